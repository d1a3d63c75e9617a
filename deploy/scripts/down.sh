#!/usr/bin/env bash
# Stops what deploy/scripts/up.sh started (by its pid files): the roles first, then the simulator
# and any throwaway NATS or PostgreSQL. Servers that were already running are left alone.
#
#   deploy/scripts/down.sh [--purge] [--role ROLE[,ROLE]]...
#
# --purge also drops the stack's database and deletes the state folder (vault key, API key, logs).
# --role stops only the named roles (SIGTERM, then their drain), as a rolling restart would;
# deploy/scripts/up.sh starts them again.
set -euo pipefail

# shellcheck source=deploy/scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PURGE=0
SELECTED=()
while (($#)); do
    case "$1" in
    --purge) PURGE=1 ;;
    --role)
        [[ $# -ge 2 ]] || { echo "down: --role needs a role name" >&2; exit 2; }
        IFS=, read -ra named <<<"$2"
        SELECTED+=("${named[@]}")
        shift
        ;;
    -h | --help)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "down: unknown argument $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

if [[ ! -d "$PID_DIR" ]]; then
    echo "down: nothing to stop ($PID_DIR does not exist)" >&2
    exit 0
fi

if ((${#SELECTED[@]})); then
    ((PURGE == 0)) || { echo "down: --purge stops everything; it cannot be combined with --role" >&2; exit 2; }
    for role in "${SELECTED[@]}"; do
        role_index "$role" >/dev/null || { echo "down: unknown role $role (roles: ${ROLES[*]})" >&2; exit 2; }
        stop_recorded "$role" 25
    done
    exit 0
fi

# The gateway first (no new calls), then the roles behind it; each drains for up to 20 s.
for role in gateway assessment scheduler sync tokens credentials sim; do
    stop_recorded "$role" 25 &
done
wait

stop_recorded nats 10
if [[ -f "$PID_DIR/postgres.pid" ]]; then
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- pg_ctl -D "$STATE_DIR/postgres/data" -m fast -w stop >/dev/null || true
    else
        pg_ctl -D "$STATE_DIR/postgres/data" -m fast -w stop >/dev/null || true
    fi
    rm -f "$PID_DIR/postgres.pid"
    echo "down: stopped the throwaway PostgreSQL" >&2
fi

if ((PURGE)); then
    if port_open "$PG_PORT" && command -v psql >/dev/null; then
        psql "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" &&
            echo "down: dropped database $PG_DB" >&2
    fi
    rm -rf "$STATE_DIR"
    echo "down: removed $STATE_DIR" >&2
fi
