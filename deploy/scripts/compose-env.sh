#!/usr/bin/env bash
# Writes the secrets of the compose stack once, readable by their owner only and git-ignored:
# deploy/vault.env (the vault's key-encryption key) and deploy/database.env (the PostgreSQL
# password and the database URL the roles use). Existing files are kept: a new vault key would make
# every stored secret unreadable.
set -euo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
umask 077
if [[ ! -s "$DEPLOY/vault.env" ]]; then
    printf 'POSTURE_VAULT_KEY_1=%s\n' "$(head -c 32 /dev/urandom | base64)" >"$DEPLOY/vault.env"
    echo "wrote $DEPLOY/vault.env (back it up: stored secrets cannot be decrypted without it)"
fi
if [[ ! -s "$DEPLOY/database.env" ]]; then
    password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
    {
        printf 'POSTGRES_PASSWORD=%s\n' "$password"
        printf 'POSTURE__DATABASE__URL=postgres://posture:%s@postgres:5432/posture\n' "$password"
    } >"$DEPLOY/database.env"
    echo "wrote $DEPLOY/database.env"
fi
