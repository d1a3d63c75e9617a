# Shared settings of up.sh and down.sh: where state lives and which ports each role gets.
# Every value can be overridden from the environment, so tests and benchmarks can run their own
# stack beside a developer's.
# shellcheck shell=bash disable=SC2034  # the settings are used by the scripts that source this file

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${POSTURE_UP_STATE:-$REPO_ROOT/.state}"
PID_DIR="$STATE_DIR/pids"
LOG_DIR="$STATE_DIR/logs"
PORT_BASE="${POSTURE_UP_PORT_BASE:-7800}"
PG_PORT="${POSTURE_UP_PG_PORT:-5432}"
PG_DB="${POSTURE_UP_DB:-posture_local}"
NATS_PORT="${POSTURE_UP_NATS_PORT:-4222}"
NATS_MONITOR_PORT="${POSTURE_UP_NATS_MONITOR_PORT:-$((PORT_BASE + 92))}"
SIM_PORT="${POSTURE_UP_SIM_PORT:-$((PORT_BASE + 80))}"
BUS_PREFIX="${POSTURE_UP_BUS_PREFIX:-posture-local}"
CONFIG_FILE="${POSTURE_UP_CONFIG:-$REPO_ROOT/deploy/config/local.toml}"

# Start order: the gateway last, so its upstreams are up when it reports ready.
ROLES=(credentials tokens sync scheduler assessment gateway)

role_index() {
    local i
    for i in "${!ROLES[@]}"; do
        if [[ "${ROLES[$i]}" == "$1" ]]; then
            echo $((i + 1))
            return
        fi
    done
    return 1
}

# Internal gRPC port of a role; its health port is the next one.
grpc_port() { echo $((PORT_BASE + 10 * $(role_index "$1"))); }
health_port() { echo $(($(grpc_port "$1") + 1)); }
gateway_port() { echo $((PORT_BASE + 60)); }
gateway_health_port() { echo $((PORT_BASE + 61)); }

log() { printf '%s\n' "up: $*" >&2; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when process $1 runs. A killed process whose parent is gone can stay a zombie (state Z)
# until something reaps it; kill -0 still succeeds on it, so the state decides where /proc exists.
pid_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [[ -r "/proc/$1/stat" ]] || return 0
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z && "${stat%% *}" != X ]]
}

# The pid recorded for $1 when that process is still alive.
live_pid() {
    local file="$PID_DIR/$1.pid" pid
    [[ -f "$file" ]] || return 1
    pid="$(cat "$file")"
    [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" && echo "$pid"
}

# Stops the process recorded in $PID_DIR/$1.pid: SIGTERM, then up to $2 seconds for the drain,
# then SIGKILL. Only processes this stack started have pid files.
stop_recorded() {
    local name="$1" grace="${2:-25}" pid
    if pid="$(live_pid "$name")"; then
        kill -TERM "$pid" 2>/dev/null || true
        local waited=0
        while pid_alive "$pid" && ((waited < grace * 10)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if pid_alive "$pid"; then
            printf 'down: %s (pid %s) did not stop in %ss; killing it\n' "$name" "$pid" "$grace" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        printf 'down: stopped %s (pid %s)\n' "$name" "$pid" >&2
    fi
    rm -f "$PID_DIR/$name.pid"
}
