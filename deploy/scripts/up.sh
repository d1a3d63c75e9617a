#!/usr/bin/env bash
# Brings up Posture distributed on this machine without containers: one `posture run --service X`
# process per role, the local PostgreSQL and NATS (or throwaway ones under the state folder), the
# Microsoft cloud simulator with a demo tenant, a first admin API key and the tenant connected.
#
#   deploy/scripts/up.sh [--no-sim] [--release] [--role ROLE[,ROLE]]...
#
# Only what is not running yet is started, so running it again after a role died (or was stopped
# with `down.sh --role X`) brings that role back; --role limits the roles started to those named.
# Environment (all optional): POSTURE_UP_STATE (state folder, default .state), POSTURE_UP_PORT_BASE
# (7800: role N gets grpc BASE+10N and health BASE+10N+1; gateway BASE+60), POSTURE_UP_PG_PORT,
# POSTURE_UP_DB, POSTURE_UP_NATS_PORT, POSTURE_UP_SIM_PORT, POSTURE_UP_SIM_TENANTS,
# POSTURE_UP_SIM_USERS, POSTURE_UP_SIM (0: as --no-sim), POSTURE_UP_BUS_PREFIX, POSTURE_UP_CONFIG,
# POSTURE_BIN (skip the build, use this binary). deploy/scripts/down.sh stops what this started.
set -euo pipefail

# shellcheck source=deploy/scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WITH_SIM=1
[[ "${POSTURE_UP_SIM:-1}" == 0 ]] && WITH_SIM=0
PROFILE=debug
SELECTED=()
while (($#)); do
    case "$1" in
    --no-sim) WITH_SIM=0 ;;
    --release) PROFILE=release ;;
    --role)
        [[ $# -ge 2 ]] || { echo "up: --role needs a role name" >&2; exit 2; }
        IFS=, read -ra named <<<"$2"
        SELECTED+=("${named[@]}")
        shift
        ;;
    -h | --help)
        sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "up: unknown argument $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done
for role in "${SELECTED[@]}"; do
    role_index "$role" >/dev/null || { echo "up: unknown role $role (roles: ${ROLES[*]})" >&2; exit 2; }
done
# With --role, only the named roles (and no simulator) are started; the rest must be running.
if ((${#SELECTED[@]})); then
    WITH_SIM=0
fi

mkdir -p "$PID_DIR" "$LOG_DIR"
chmod 700 "$STATE_DIR"

# Starts a long-running process in its own session (so it outlives this script and a closed
# terminal) and records its pid; stdout and stderr are appended to logs/<name>.log, so the log of a
# process that died is still there after its replacement starts.
spawn() {
    local name="$1"
    shift
    rm -f "$PID_DIR/$name.pid"
    # shellcheck disable=SC2016 # expanded by the inner shell: its own pid, then the command
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_DIR/$name.pid" "$@" \
        >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
    local waited=0
    until [[ -s "$PID_DIR/$name.pid" ]]; do
        sleep 0.05
        waited=$((waited + 1))
        ((waited < 100)) || { echo "up: $name did not start" >&2; exit 1; }
    done
}

# --- the binary -------------------------------------------------------------------------------
if [[ -n "${POSTURE_BIN:-}" ]]; then
    BIN="$POSTURE_BIN"
else
    log "building the posture binary ($PROFILE)"
    if [[ "$PROFILE" == release ]]; then
        (cd "$REPO_ROOT" && cargo build --release -p posture)
    else
        (cd "$REPO_ROOT" && cargo build -p posture)
    fi
    BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/$PROFILE/posture"
fi
[[ -x "$BIN" ]] || { echo "up: no posture binary at $BIN" >&2; exit 1; }

# --- PostgreSQL -------------------------------------------------------------------------------
as_postgres_owner() {
    # PostgreSQL refuses to run as root; a throwaway cluster then belongs to the postgres user.
    if [[ "$(id -u)" == 0 ]]; then
        id postgres >/dev/null 2>&1 || { echo "up: running as root needs a 'postgres' user for a throwaway PostgreSQL" >&2; exit 1; }
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if port_open "$PG_PORT"; then
    log "using the PostgreSQL at 127.0.0.1:$PG_PORT"
else
    if ! command -v initdb >/dev/null || ! command -v pg_ctl >/dev/null; then
        echo "up: nothing listens on 127.0.0.1:$PG_PORT and initdb/pg_ctl are not installed" >&2
        exit 1
    fi
    log "starting a throwaway PostgreSQL on 127.0.0.1:$PG_PORT under $STATE_DIR/postgres"
    mkdir -p "$STATE_DIR/postgres"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$STATE_DIR/postgres" && chmod 755 "$STATE_DIR"
    if [[ ! -f "$STATE_DIR/postgres/data/PG_VERSION" ]]; then
        as_postgres_owner initdb -D "$STATE_DIR/postgres/data" -U postgres --auth=trust >"$LOG_DIR/initdb.log" 2>&1
    fi
    as_postgres_owner pg_ctl -D "$STATE_DIR/postgres/data" -l "$STATE_DIR/postgres/postgres.log" -w \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $STATE_DIR/postgres" start >/dev/null
    head -1 "$STATE_DIR/postgres/data/postmaster.pid" >"$PID_DIR/postgres.pid"
fi
PG_SERVER_URL="postgres://postgres@127.0.0.1:$PG_PORT"
if command -v psql >/dev/null; then
    if [[ "$(psql "$PG_SERVER_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]]; then
        psql "$PG_SERVER_URL/postgres" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null
        log "created database $PG_DB"
    fi
else
    log "psql not found: assuming database $PG_DB exists"
fi
DATABASE_URL="$PG_SERVER_URL/$PG_DB"

# --- NATS -------------------------------------------------------------------------------------
if port_open "$NATS_PORT"; then
    log "using the NATS server at 127.0.0.1:$NATS_PORT (JetStream required)"
else
    command -v nats-server >/dev/null || { echo "up: nothing listens on 127.0.0.1:$NATS_PORT and nats-server is not installed" >&2; exit 1; }
    log "starting a throwaway nats-server with JetStream on 127.0.0.1:$NATS_PORT"
    mkdir -p "$STATE_DIR/nats"
    spawn nats nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR_PORT" -sd "$STATE_DIR/nats"
    for _ in $(seq 100); do port_open "$NATS_PORT" && break; sleep 0.1; done
fi
NATS_URL="nats://127.0.0.1:$NATS_PORT"

# --- vault key --------------------------------------------------------------------------------
KEY_FILE="$STATE_DIR/vault-key-1"
if [[ ! -s "$KEY_FILE" ]]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$KEY_FILE")
    log "generated a vault key in $KEY_FILE (secrets in $PG_DB are sealed with it)"
fi

# --- certificates -----------------------------------------------------------------------------
# The internal CA, one certificate per role (mutual TLS between roles) and the gateway's public
# certificate; kept across runs, so a role restarted later still trusts the others.
CERT_DIR="$STATE_DIR/certs"
"$BIN" certs --dir "$CERT_DIR" >"$LOG_DIR/certs.log" 2>&1 ||
    { echo "up: cannot create certificates:" >&2; cat "$LOG_DIR/certs.log" >&2; exit 1; }

# --- roles ------------------------------------------------------------------------------------
role_env() {
    local role="$1"
    local gw grpc health
    if [[ "$role" == gateway ]]; then
        grpc="127.0.0.1:$((PORT_BASE + 62))" # not bound: the gateway process has no internal roles
        health="127.0.0.1:$(gateway_health_port)"
    else
        grpc="127.0.0.1:$(grpc_port "$role")"
        health="127.0.0.1:$(health_port "$role")"
    fi
    gw="127.0.0.1:$(gateway_port)"
    echo "POSTURE__GRPC__LISTEN=$grpc"
    echo "POSTURE__HEALTH__LISTEN=$health"
    echo "POSTURE__GATEWAY__LISTEN=$gw"
    echo "POSTURE__DATABASE__URL=$DATABASE_URL"
    echo "POSTURE__BUS__NATS_URL=$NATS_URL"
    echo "POSTURE__BUS__PREFIX=$BUS_PREFIX"
    echo "POSTURE__TELEMETRY__SERVICE_NAME=posture-$role"
    echo "POSTURE__GRPC__TLS__CA_FILE=$CERT_DIR/ca.crt"
    echo "POSTURE__GRPC__TLS__CERT_FILE=$CERT_DIR/$role.crt"
    echo "POSTURE__GRPC__TLS__KEY_FILE=$CERT_DIR/$role.key"
    echo "POSTURE__GATEWAY__TLS__CERT_FILE=$CERT_DIR/edge.crt"
    echo "POSTURE__GATEWAY__TLS__KEY_FILE=$CERT_DIR/edge.key"
    local r
    for r in credentials tokens sync scheduler assessment; do
        echo "POSTURE__ENDPOINTS__${r^^}=https://127.0.0.1:$(grpc_port "$r")"
    done
}

# Only the roles that open sealed material (credentials: secrets; tokens: its sealed token cache)
# get the vault key, through their environment: never another role, never a command line.
needs_vault_key() { [[ "$1" == credentials || "$1" == tokens ]]; }

readyz() { curl -fsS -o /dev/null --max-time 2 "http://$1/readyz" 2>/dev/null; }

wanted() {
    ((${#SELECTED[@]} == 0)) && return 0
    local r
    for r in "${SELECTED[@]}"; do [[ "$r" == "$1" ]] && return 0; done
    return 1
}

STARTED=()
SKIPPED=()
RUNNING=()
for role in "${ROLES[@]}"; do
    wanted "$role" || continue
    if pid="$(live_pid "$role")"; then
        RUNNING+=("$role")
        log "$role is already running (pid $pid)"
        continue
    fi
    mapfile -t envs < <(role_env "$role")
    if needs_vault_key "$role"; then
        # An assignment before a function call is exported to what the function runs.
        POSTURE_VAULT_KEY_LOCAL_1="$(<"$KEY_FILE")" \
            spawn "$role" env "${envs[@]}" "$BIN" run --service "$role" --config "$CONFIG_FILE"
    else
        spawn "$role" env "${envs[@]}" "$BIN" run --service "$role" --config "$CONFIG_FILE"
    fi
    if [[ "$role" == gateway ]]; then hp="$(gateway_health_port)"; else hp="$(health_port "$role")"; fi
    ready=0
    for _ in $(seq 600); do
        if readyz "127.0.0.1:$hp"; then ready=1; break; fi
        if ! live_pid "$role" >/dev/null; then break; fi
        sleep 0.1
    done
    if ((ready)); then
        STARTED+=("$role")
        log "$role ready (health http://127.0.0.1:$hp/readyz)"
    elif grep -q "not part of this build yet" "$LOG_DIR/$role.log"; then
        SKIPPED+=("$role")
        rm -f "$PID_DIR/$role.pid"
        log "$role: not part of this build yet; skipped"
    else
        echo "up: $role did not become ready; its log ($LOG_DIR/$role.log) ends with:" >&2
        tail -20 "$LOG_DIR/$role.log" >&2
        exit 1
    fi
done

GATEWAY="https://127.0.0.1:$(gateway_port)"
export POSTURE_GATEWAY="$GATEWAY"
# The CLI trusts the gateway's certificate through the local CA.
export POSTURE_CA_CERT="$CERT_DIR/ca.crt"

# --- first admin key --------------------------------------------------------------------------
API_KEY_FILE="$STATE_DIR/api-key"
mapfile -t gateway_env < <(role_env gateway)
key_works() { [[ -s "$API_KEY_FILE" ]] && "$BIN" tenants list --api-key-file "$API_KEY_FILE" >/dev/null 2>&1; }
if ! key_works; then
    bootstrap() { env "${gateway_env[@]}" "$BIN" api-keys bootstrap --config "$CONFIG_FILE" "$@" 2>"$LOG_DIR/bootstrap.log"; }
    key="$(bootstrap)" || key="$(bootstrap --force)" ||
        { echo "up: cannot bootstrap an admin key:" >&2; cat "$LOG_DIR/bootstrap.log" >&2; exit 1; }
    (umask 077 && printf '%s\n' "$key" >"$API_KEY_FILE")
    log "created an admin API key in $API_KEY_FILE"
fi

# --- simulator and its tenant -----------------------------------------------------------------
if ((WITH_SIM)); then
    if pid="$(live_pid sim)"; then
        log "the simulator is already running (pid $pid)"
    else
        spawn sim "$BIN" sim --tenants "${POSTURE_UP_SIM_TENANTS:-1}" --users "${POSTURE_UP_SIM_USERS:-200}" --port "$SIM_PORT"
    fi
    SIM="http://127.0.0.1:$SIM_PORT"
    for _ in $(seq 300); do curl -fsS -o /dev/null "$SIM/_sim/tenants" 2>/dev/null && break; sleep 0.1; done
    # One line per tenant: id, client id, secret expiry date, display name (secret fetched apart).
    tenants="$(curl -fsS "$SIM/_sim/tenants" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    print(t["tenant_id"], t["client_id"], t["secret_expires_at"][:10], t["display_name"], sep="\t")
')"
    while IFS=$'\t' read -r tenant client expires name; do
        [[ -n "$tenant" ]] || continue
        secret="$(curl -fsS "$SIM/_sim/tenants/$tenant" | python3 -c 'import json, sys; print(json.load(sys.stdin)["client_secret"])')"
        if "$BIN" tenants show "$tenant" --api-key-file "$API_KEY_FILE" >/dev/null 2>&1; then
            log "tenant $name ($tenant) is already connected; testing it"
            "$BIN" tenants test "$tenant" --api-key-file "$API_KEY_FILE" || true
        else
            log "connecting simulator tenant $name ($tenant)"
            printf '%s' "$secret" | "$BIN" tenants add --api-key-file "$API_KEY_FILE" \
                --tenant-id "$tenant" --client-id "$client" --name "$name" --secret-expires "$expires" \
                --cloud custom --authority-url "$SIM/login" --graph-url "$SIM/graph" \
                --defender-url "$SIM/mde" --management-url "$SIM/manage" --keep-on-failure || true
        fi
    done <<<"$tenants"
fi

# --- what next --------------------------------------------------------------------------------
{
    echo "export POSTURE_GATEWAY=$GATEWAY"
    echo "export POSTURE_CA_CERT=$CERT_DIR/ca.crt"
    echo "export POSTURE_API_KEY=\$(cat $API_KEY_FILE)"
} >"$STATE_DIR/env"
cat <<EOF

Posture is running distributed: started ${STARTED[*]:-nothing}${RUNNING:+ (already running: ${RUNNING[*]})}${SKIPPED:+ (skipped, not in this build yet: ${SKIPPED[*]})}
  gateway   $GATEWAY (TLS; CA $CERT_DIR/ca.crt)
  logs      $LOG_DIR/<role>.log
  database  $DATABASE_URL   bus  $NATS_URL (prefix $BUS_PREFIX)

Next:
  source $STATE_DIR/env
  $BIN tenants list
EOF
if ((WITH_SIM)); then
    first="$(head -1 <<<"$tenants" | cut -f1)"
    echo "  $BIN tenants test $first"
    if [[ " ${STARTED[*]} " == *" sync "* ]]; then
        echo "  $BIN sync start $first --watch     # or: sync start, then sync watch $first <run-id>"
    fi
fi
echo "  deploy/scripts/down.sh            # stop everything this started"
