#!/usr/bin/env bash
# Brings up the real build stack the end-to-end tests and benchmarks use, idempotently:
#   containerd + dockerd (containerd image store) + docker-buildx + the CNCF Distribution
#   registry on 127.0.0.1:5000 (deletes enabled) + skopeo + a busybox base image in the
#   registry (127.0.0.1:5000/test/busybox:latest), since nothing can be pulled from outside.
# All from Debian's packages (buildx/docker/containerd from trixie, pinned low).
# Safe to run again: it only installs or starts what is missing.
set -euo pipefail

log() { printf '[stack-up] %s\n' "$*" >&2; }
need_root() { [ "$(id -u)" = 0 ] || { log "must run as root (installs packages, starts daemons)"; exit 1; }; }

REGISTRY_ADDR="${STACK_REGISTRY_ADDR:-127.0.0.1:5000}"
STATE_DIR="${STACK_STATE_DIR:-/var/lib/conda-image-action-stack}"
LOG_DIR="$STATE_DIR/log"
BUSYBOX_REF="$REGISTRY_ADDR/test/busybox:latest"

# The URI of the machine's main Debian archive (not the security one), from deb822 or
# one-line sources.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file|mirror):/ && $i !~ /security/) { print $i; exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  return 1
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v containerd >/dev/null || missing+=(containerd)
  [ -x /usr/libexec/docker/cli-plugins/docker-buildx ] || missing+=(docker-buildx)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v skopeo >/dev/null || missing+=(skopeo)
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
  command -v curl >/dev/null || missing+=(curl)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v openssl >/dev/null || missing+=(openssl)
  [ ${#missing[@]} -eq 0 ] && return 0
  need_root
  log "installing: ${missing[*]}"
  if [ ! -f /etc/apt/sources.list.d/trixie.sources ]; then
    # The trixie suite comes from the same mirror as the machine's own Debian sources
    # (no registry host is named here: whatever mirror the machine is set up with is used).
    local mirror
    mirror=$(debian_mirror)
    [ -n "$mirror" ] || { log "no Debian mirror found in /etc/apt/sources.list{,.d}: cannot add trixie"; exit 1; }
    cat >/etc/apt/sources.list.d/trixie.sources <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    cat >/etc/apt/preferences.d/trixie-low <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # buildx is only in trixie; take the engine pieces from the same suite so they match.
  apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    -t trixie docker.io containerd docker-buildx >/dev/null
  apt-get install -y -qq docker-registry skopeo busybox-static curl apache2-utils openssl >/dev/null
}

wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 secs=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then log "$what did not come up within ${secs}s"; return 1; fi
    sleep 0.2
  done
}

start_containerd() {
  if ctr --address /run/containerd/containerd.sock version >/dev/null 2>&1; then return 0; fi
  log "starting containerd"
  mkdir -p "$LOG_DIR"
  nohup containerd >>"$LOG_DIR/containerd.log" 2>&1 &
  wait_for containerd 60 ctr --address /run/containerd/containerd.sock version
}

start_dockerd() {
  mkdir -p /etc/docker
  local want='{"features":{"containerd-snapshotter":true}}'
  if [ ! -f /etc/docker/daemon.json ] || ! grep -q containerd-snapshotter /etc/docker/daemon.json; then
    echo "$want" >/etc/docker/daemon.json
  fi
  if docker info >/dev/null 2>&1; then
    docker info -f '{{.DriverStatus}}' 2>/dev/null | grep -q 'io.containerd.snapshotter' \
      || log "warning: dockerd is running without the containerd image store"
    return 0
  fi
  # A dockerd killed hard (e.g. when the session that started it ended) leaves its pid file;
  # dockerd then refuses to start if that PID now belongs to any other process.
  local pidfile=/var/run/docker.pid
  if [ -f "$pidfile" ]; then
    local pid; pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -z "$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ] \
       || grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
      log "removing stale $pidfile (pid ${pid:-none} is not a running dockerd)"
      rm -f "$pidfile"
    fi
  fi
  log "starting dockerd"
  nohup dockerd --containerd /run/containerd/containerd.sock >>"$LOG_DIR/dockerd.log" 2>&1 &
  wait_for dockerd 90 docker info
}

start_registry() {
  if curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then return 0; fi
  log "starting registry on $REGISTRY_ADDR"
  mkdir -p "$STATE_DIR/registry"
  cat >"$STATE_DIR/registry.yml" <<CFG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
CFG
  nohup docker-registry serve "$STATE_DIR/registry.yml" >>"$LOG_DIR/registry.log" 2>&1 &
  wait_for registry 30 curl -fsS "http://$REGISTRY_ADDR/v2/"
}

seed_busybox() {
  if curl -fsS -o /dev/null "http://$REGISTRY_ADDR/v2/test/busybox/manifests/latest" \
       -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'; then
    return 0
  fi
  log "seeding $BUSYBOX_REF from busybox-static"
  local root; root=$(mktemp -d)
  local bb; bb=$(command -v busybox || echo /bin/busybox)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root"
  cp "$bb" "$root/bin/busybox"
  for app in sh ls cat echo mkdir cp mv rm sha256sum wc sort head tail grep sed awk tr sleep true false env find du touch date printf test dd xargs; do
    ln -sf busybox "$root/bin/$app"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$BUSYBOX_REF" >/dev/null
  rm -rf "$root"
  docker push -q "$BUSYBOX_REF" >/dev/null
}

main() {
  install_packages
  start_containerd
  start_dockerd
  start_registry
  seed_busybox
  docker buildx version >/dev/null || { log "docker buildx is not usable"; exit 1; }
  log "ready: docker $(docker version -f '{{.Server.Version}}'), $(docker buildx version | cut -d' ' -f1-2), registry http://$REGISTRY_ADDR, $BUSYBOX_REF"
}
main "$@"
