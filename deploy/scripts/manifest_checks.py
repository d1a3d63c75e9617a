"""Consistency checks that schema validation and checkov cannot make: references between rendered
Kubernetes objects, KEDA triggers against the sync crate's entity kinds, and the compose file
against the Compose Specification schema. Used by deploy/scripts/k8s-check.sh."""

import json
import pathlib
import re
import sys

import jsonschema
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
ROLES = ["credentials", "tokens", "sync", "scheduler", "assessment", "gateway"]


def sync_kinds():
    """Entity kind names as the sync crate declares them (`name: "users"` in src/kinds/*.rs)."""
    kinds = set()
    for path in (REPO / "crates/posture-sync/src/kinds").glob("*.rs"):
        match = re.search(r'^\s*name:\s*"([a-z0-9_]+)"', path.read_text(), re.MULTILINE)
        if match:
            kinds.add(match.group(1))
    return kinds


def check_rendered(name, path, problems):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    configmaps = by_kind.get("ConfigMap", {})
    secrets_expected = set()
    deployments = by_kind.get("Deployment", {})
    for role in ROLES:
        if f"posture-{role}" not in deployments:
            problems.append(f"{name}: no Deployment posture-{role}")
    for dep_name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        for volume in pod.get("volumes", []):
            if "configMap" in volume and volume["configMap"]["name"] not in configmaps:
                problems.append(f"{name}: {dep_name} mounts missing ConfigMap {volume['configMap']['name']}")
            if "secret" in volume:
                secrets_expected.add(volume["secret"]["secretName"])
        if not dep_name.startswith("posture-") or dep_name == "posture-sim":
            continue
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: {dep_name} mounts a service account token")
        if pod.get("terminationGracePeriodSeconds", 30) < 25:
            problems.append(f"{name}: {dep_name} grace period shorter than the 20 s drain plus preStop")
        container = pod["containers"][0]
        args = container.get("args", [])
        role = dep_name.removeprefix("posture-")
        if args[:3] != ["run", "--service", role]:
            problems.append(f"{name}: {dep_name} does not run `posture run --service {role}`: {args}")
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                secrets_expected.add(ref["name"] + (" (optional)" if ref.get("optional") else ""))
            elif env["name"] in ("POSTURE__DATABASE__URL", "POSTURE__BUS__NATS_URL"):
                problems.append(f"{name}: {dep_name} sets {env['name']} literally; use a Secret")
    if by_kind.get("Secret"):
        problems.append(f"{name}: the render contains Secrets; secrets are created apart, never in manifests")
    for scaled in by_kind.get("ScaledObject", {}).values():
        target = scaled["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"{name}: ScaledObject targets missing Deployment {target}")
        consumers = {t["metadata"]["consumer"] for t in scaled["spec"]["triggers"] if t["type"] == "nats-jetstream"}
        expected = {f"sync-{kind}" for kind in sync_kinds()}
        if expected and consumers != expected:
            problems.append(
                f"{name}: KEDA consumers differ from the sync kinds: missing {sorted(expected - consumers)}, "
                f"unknown {sorted(consumers - expected)}"
            )
    for hpa in by_kind.get("HorizontalPodAutoscaler", {}).values():
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in deployments:
            problems.append(f"{name}: HPA targets missing Deployment {target}")
        elif "replicas" in deployments[target]["spec"]:
            problems.append(f"{name}: {target} sets replicas although an HPA owns them")
    print(f"  {name}: {len(docs)} objects; secrets to create before applying: {', '.join(sorted(secrets_expected))}")


def check_compose(compose_path, schema_path, problems):
    compose = yaml.safe_load(compose_path.read_text())
    schema = json.loads(schema_path.read_text())
    validator = jsonschema.Draft201909Validator(schema)
    for error in sorted(validator.iter_errors(compose), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path)
        problems.append(f"{compose_path.name}: {where}: {error.message}")
    services = compose.get("services", {})
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for dep in depends if isinstance(depends, list) else depends.keys():
            if dep not in services:
                problems.append(f"{compose_path.name}: {name} depends on unknown service {dep}")
            elif isinstance(depends, dict) and depends[dep].get("condition") == "service_healthy" and "healthcheck" not in services[dep]:
                problems.append(f"{compose_path.name}: {name} waits for {dep} to be healthy, which has no healthcheck")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith(".") and not (compose_path.parent / source).exists():
                problems.append(f"{compose_path.name}: {name} mounts missing {source}")
    print(f"  {compose_path.name}: {len(services)} services")


def main():
    problems = []
    mode = sys.argv[1]
    if mode == "rendered":
        for arg in sys.argv[2:]:
            name, path = arg.split("=", 1)
            check_rendered(name, pathlib.Path(path), problems)
    elif mode == "compose":
        check_compose(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), problems)
    else:
        sys.exit(f"unknown mode {mode}")
    for problem in problems:
        print(f"  FAIL {problem}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
