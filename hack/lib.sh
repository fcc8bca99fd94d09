# shellcheck shell=bash
# Shared helpers for the hack/ scripts. Source it; do not execute it.
#
# Conventions (facts in shared docs dev-environment.md):
# - DOCKER is the docker CLI to use. Debian's docker-cli (trixie, 26.1) installs /usr/bin/docker,
#   which finds Debian's buildx 0.13.1 in /usr/libexec/docker/cli-plugins. A newer CLI may come
#   first in PATH (/usr/local/bin/docker), so scripts call "$DOCKER", never a bare `docker`.
# - The registry is plain HTTP on 127.0.0.1:5000; image references use localhost:5000/<repo>:<tag>.
# - Nothing uses a bridge network: every `docker run` gets --network none|host and every
#   `docker buildx build` gets --network=none|host. Never pass --sbom.

DOCKER=${DOCKER:-/usr/bin/docker}
FLEET_STATE_DIR=${FLEET_STATE_DIR:-/var/lib/fleet-dev}
FLEET_REGISTRY=${FLEET_REGISTRY:-localhost:5000}   # image reference prefix
FLEET_REGISTRY_URL=${FLEET_REGISTRY_URL:-http://127.0.0.1:5000}
FLEET_BASE_IMAGE=${FLEET_BASE_IMAGE:-$FLEET_REGISTRY/python:3.11-slim}
FLEET_BUSYBOX_IMAGE=${FLEET_BUSYBOX_IMAGE:-$FLEET_REGISTRY/busybox:fleet-test}
export DOCKER FLEET_STATE_DIR FLEET_REGISTRY FLEET_REGISTRY_URL FLEET_BASE_IMAGE FLEET_BUSYBOX_IMAGE

# Log prefix: the calling script's name without extension, e.g. [dev-env].
FLEET_LOG_PREFIX=${FLEET_LOG_PREFIX:-$(basename "${BASH_SOURCE[1]:-$0}" .sh)}

log() { printf '[%s] %s\n' "$FLEET_LOG_PREFIX" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$FLEET_LOG_PREFIX" "$*" >&2; }
die() {
  printf '[%s] ERROR: %s\n' "$FLEET_LOG_PREFIX" "$*" >&2
  exit 1
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
  local timeout=$1
  shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# alive PID: the process exists and is not a zombie.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# pid_of PIDFILE COMM: print the pid in PIDFILE if that process is alive and named COMM.
pid_of() {
  local pidfile=$1 comm=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
  printf '%s\n' "$pid"
}

# stop_pid PID NAME: SIGTERM, wait up to 30 s, then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 i
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  warn "$name (pid $pid) did not exit after 30 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

docker_up() { timeout 20 "$DOCKER" info >/dev/null 2>&1; }
registry_up() { curl -fsS -m 5 -o /dev/null "$FLEET_REGISTRY_URL/v2/"; }

# registry_has REF: true when the registry serves a manifest for localhost:5000/REPO:TAG.
registry_has() {
  local ref=${1#"$FLEET_REGISTRY"/}
  local repo=${ref%:*} tag=${ref##*:}
  curl -fs -m 10 -o /dev/null -I \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "$FLEET_REGISTRY_URL/v2/$repo/manifests/$tag"
}

# write_if_changed PATH: write stdin to PATH only when the content differs.
# Returns 0 when the file was (re)written, 1 when it was already up to date.
write_if_changed() {
  local path=$1 tmp
  tmp=$(mktemp "$path.XXXXXX")
  cat >"$tmp"
  if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 1
  fi
  chmod 0644 "$tmp"
  mv -f "$tmp" "$path"
}
