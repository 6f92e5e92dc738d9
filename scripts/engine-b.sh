#!/usr/bin/env bash
# A second, independent Docker engine ("engine B") next to the one scripts/stack-up.sh runs,
# for end-to-end tests that need another runner for real: its own containerd (own root,
# state and socket), its own dockerd (own data root, exec root, pid file and socket,
# containerd image store) and its own BuildKit inside it. Only the registry is shared.
#
#   scripts/engine-b.sh up          start it (idempotent); prints the DOCKER_HOST to use
#   scripts/engine-b.sh down        stop it cleanly (idempotent); keeps its data
#   scripts/engine-b.sh down --purge   stop it and delete its data roots
#   scripts/engine-b.sh host        print its DOCKER_HOST
#
# It never touches the first engine: no shared socket, pid file, data root, containerd
# namespace, network bridge or iptables rules. Its build containers attach to a bridge of its
# own (created here, with its own subnet; no iptables rules, no forwarding, no masquerading):
# `--bridge=none` is NOT an option, because a dockerd started with it deletes the interface
# `docker0` of the first engine on start-up, and the first engine's RUN steps then fail with
# "adding interface veth… to bridge docker0 failed". It uses the
# same containerd/dockerd binaries stack-up.sh installs (run that first), and stays small
# for a 2-core machine: no CRI plugin, no networks, no containers left running.
# Then it pulls the busybox test base from the shared registry, so B can build from it.
set -euo pipefail

log() { printf '[engine-b] %s\n' "$*" >&2; }

NAME="${ENGINE_B_NAME:-conda-image-action-engine-b}"
STATE_DIR="${ENGINE_B_STATE_DIR:-/var/lib/$NAME}"
RUN_DIR="${ENGINE_B_RUN_DIR:-/run/$NAME}"
REGISTRY_ADDR="${STACK_REGISTRY_ADDR:-127.0.0.1:5000}"
BUSYBOX_REF="$REGISTRY_ADDR/test/busybox:latest"
# Its bridge (at most 15 characters) and subnet: distinct from docker0 and its 172.17.0.0/16.
BRIDGE="${ENGINE_B_BRIDGE:-cia-engine-b}"
BRIDGE_CIDR="${ENGINE_B_BRIDGE_CIDR:-10.213.47.1/24}"

CTRD_SOCK="$RUN_DIR/containerd/containerd.sock"
CTRD_PID="$RUN_DIR/containerd.pid"
DOCKER_SOCK="$RUN_DIR/docker.sock"
DOCKER_PID="$RUN_DIR/docker.pid"
DOCKER_HOST_B="unix://$DOCKER_SOCK"
LOG_DIR="$STATE_DIR/log"

dockerb() { docker -H "$DOCKER_HOST_B" "$@"; }

wait_for() { # wait_for <what> <seconds> <command...>: polls a readiness probe with a deadline
  local what=$1 secs=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then log "$what did not come up within ${secs}s (see $LOG_DIR)"; return 1; fi
    sleep 0.2
  done
}

# The PID in a pid file when that process is alive and is `comm`; empty otherwise.
live_pid() { # live_pid <pidfile> <comm>
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 0
  grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 0
  echo "$pid"
}

stop_pid() { # stop_pid <pidfile> <comm> <what>: SIGTERM, wait up to 30 s, then SIGKILL
  local pid
  pid=$(live_pid "$1" "$2")
  if [ -z "$pid" ]; then rm -f "$1"; return 0; fi
  log "stopping $3 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + 30 ))
  while [ -d "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then log "$3 did not stop within 30s: killing it"; kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.2
  done
  rm -f "$1"
}

write_configs() {
  mkdir -p "$STATE_DIR/containerd" "$STATE_DIR/docker" "$STATE_DIR/opt" "$LOG_DIR" "$RUN_DIR/containerd" "$RUN_DIR/docker-exec"
  cat >"$STATE_DIR/containerd.toml" <<CFG
version = 2
root = "$STATE_DIR/containerd"
state = "$RUN_DIR/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_SOCK"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE_DIR/opt"
CFG
  cat >"$STATE_DIR/daemon.json" <<CFG
{
  "features": { "containerd-snapshotter": true },
  "bridge": "$BRIDGE",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "userland-proxy": false
}
CFG
}

make_bridge() {
  [ "$BRIDGE" != docker0 ] || { log 'engine B must not use the bridge of the first engine'; exit 1; }
  if ip link show "$BRIDGE" >/dev/null 2>&1; then return 0; fi
  log "creating bridge $BRIDGE ($BRIDGE_CIDR)"
  ip link add "$BRIDGE" type bridge
  ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

start_containerd() {
  if ctr --address "$CTRD_SOCK" version >/dev/null 2>&1; then return 0; fi
  stop_pid "$CTRD_PID" containerd 'a stale containerd of engine B'
  log "starting containerd ($CTRD_SOCK)"
  nohup containerd --config "$STATE_DIR/containerd.toml" >>"$LOG_DIR/containerd.log" 2>&1 &
  echo $! >"$CTRD_PID"
  wait_for 'containerd of engine B' 60 ctr --address "$CTRD_SOCK" version
}

start_dockerd() {
  if dockerb info >/dev/null 2>&1; then return 0; fi
  # A dockerd killed hard leaves its pid file; dockerd refuses to start while it names a live process.
  [ -n "$(live_pid "$DOCKER_PID" dockerd)" ] || rm -f "$DOCKER_PID"
  log "starting dockerd ($DOCKER_HOST_B)"
  nohup dockerd \
    --config-file "$STATE_DIR/daemon.json" \
    --containerd "$CTRD_SOCK" \
    --data-root "$STATE_DIR/docker" \
    --exec-root "$RUN_DIR/docker-exec" \
    --pidfile "$DOCKER_PID" \
    -H "$DOCKER_HOST_B" \
    >>"$LOG_DIR/dockerd.log" 2>&1 &
  wait_for 'dockerd of engine B' 90 dockerb info
}

seed_busybox() {
  if dockerb image inspect "$BUSYBOX_REF" >/dev/null 2>&1; then return 0; fi
  log "pulling $BUSYBOX_REF from the shared registry"
  dockerb pull -q "$BUSYBOX_REF" >/dev/null
}

up() {
  command -v containerd >/dev/null && command -v dockerd >/dev/null || { log 'containerd/dockerd are not installed: run scripts/stack-up.sh first'; exit 1; }
  [ "$(id -u)" = 0 ] || { log 'must run as root (starts daemons)'; exit 1; }
  write_configs
  make_bridge
  start_containerd
  start_dockerd
  seed_busybox
  dockerb info -f '{{.DriverStatus}}' | grep -q 'io.containerd.snapshotter' || { log 'engine B runs without the containerd image store'; exit 1; }
  log "ready: $DOCKER_HOST_B"
  echo "$DOCKER_HOST_B"
}

down() {
  stop_pid "$DOCKER_PID" dockerd 'dockerd of engine B'
  stop_pid "$CTRD_PID" containerd 'containerd of engine B'
  if [ "${1:-}" = --purge ]; then
    log "deleting $STATE_DIR and $RUN_DIR"
    # Snapshots may still be mounted under the data roots if a daemon was killed hard.
    local m
    for m in $(awk -v a="$STATE_DIR/" -v b="$RUN_DIR/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$STATE_DIR" "$RUN_DIR"
    [ "$BRIDGE" = docker0 ] || ip link del "$BRIDGE" 2>/dev/null || true
  fi
}

case "${1:-}" in
  up) up ;;
  down) shift; down "$@" ;;
  host) echo "$DOCKER_HOST_B" ;;
  *) echo "usage: $0 up | down [--purge] | host" >&2; exit 2 ;;
esac
