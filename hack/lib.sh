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
# OCI image index, linux/amd64 + linux/arm64: busybox-static + tini (hack/multiarch-base.sh).
FLEET_MULTIARCH_IMAGE=${FLEET_MULTIARCH_IMAGE:-$FLEET_REGISTRY/busybox-tini:multi}
export DOCKER FLEET_STATE_DIR FLEET_REGISTRY FLEET_REGISTRY_URL FLEET_BASE_IMAGE FLEET_BUSYBOX_IMAGE \
  FLEET_MULTIARCH_IMAGE

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

# Print the URI of the Debian mirror apt already uses for bookworm: the first enabled `deb` entry
# whose suites include exactly `bookworm`, skipping the security archive and repositories signed by
# another key (nodesource, google, docker.com, ...).
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f && $f != */fleet-trixie.sources ]] || continue
    uri=$(awk 'BEGIN { RS = ""; FS = "\n" }
      {
        types = uris = suites = signed = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^[ \t]*#/ || !match($i, /^[A-Za-z-]+:/)) continue
          k = tolower(substr($i, 1, RLENGTH - 1)); v = substr($i, RLENGTH + 1)
          gsub(/^[ \t]+|[ \t]+$/, "", v)
          if (k == "types") types = v; else if (k == "uris") uris = v
          else if (k == "suites") suites = v; else if (k == "signed-by") signed = v
          else if (k == "enabled") enabled = tolower(v)
        }
        if (enabled == "no" || (" " types " ") !~ / deb /) next
        if ((" " suites " ") !~ / bookworm /) next
        if (signed != "" && signed !~ /debian-archive/) next
        n = split(uris, u, /[ \t]+/)
        for (j = 1; j <= n; j++) if (u[j] !~ /security/) { print u[j]; exit }
      }' "$f")
    [[ -z $uri ]] || { printf '%s\n' "${uri%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk '/^[ \t]*deb[ \t]/ {
        opts = ""
        if (match($0, /\[[^]]*\]/)) { opts = substr($0, RSTART, RLENGTH); sub(/\[[^]]*\]/, "") }
        if ($3 != "bookworm" || $2 ~ /security/) next
        if (opts ~ /signed-by=/ && opts !~ /debian-archive/) next
        print $2; exit
      }' "$f")
    [[ -z $uri ]] || { printf '%s\n' "${uri%/}"; return; }
  done
  return 1
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

# commit_and_push CONTAINER REF: commit a stand-in container as REF, remove it, push REF to the
# loopback registry and print REF (the last line a stand-in script prints).
commit_and_push() {
  "$DOCKER" commit "$1" "$2" >/dev/null
  "$DOCKER" rm "$1" >/dev/null
  "$DOCKER" push -q "$2" >/dev/null
  log "pushed $2"
  echo "$2"
}
