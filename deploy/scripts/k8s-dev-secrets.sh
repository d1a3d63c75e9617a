#!/usr/bin/env bash
# Creates the Secrets the dev overlay expects in namespace posture-dev (idempotent: existing
# Secrets are kept, since a new vault key would make every stored secret unreadable):
#   posture-vault-keyring  key dev-1: 32 random bytes, base64 (the vault's key-encryption key)
#   posture-database       key url:   the in-cluster dev PostgreSQL (password-less, dev only)
set -euo pipefail
NAMESPACE="${NAMESPACE:-posture-dev}"
KUBECTL="${KUBECTL:-kubectl}"

"$KUBECTL" get namespace "$NAMESPACE" >/dev/null 2>&1 || "$KUBECTL" create namespace "$NAMESPACE"
if ! "$KUBECTL" -n "$NAMESPACE" get secret posture-vault-keyring >/dev/null 2>&1; then
    key_file="$(mktemp)"
    trap 'rm -f "$key_file"' EXIT
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n' >"$key_file")
    "$KUBECTL" -n "$NAMESPACE" create secret generic posture-vault-keyring --from-file=dev-1="$key_file"
fi
if ! "$KUBECTL" -n "$NAMESPACE" get secret posture-database >/dev/null 2>&1; then
    "$KUBECTL" -n "$NAMESPACE" create secret generic posture-database \
        --from-literal=url="postgres://posture@postgres.$NAMESPACE.svc:5432/posture"
fi
echo "secrets ready in $NAMESPACE"
