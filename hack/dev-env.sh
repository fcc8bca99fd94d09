#!/usr/bin/env bash
# Brings up the fleet-frontend dev environment on Debian 12, from Debian packages only:
#   - dockerd 26.1 + buildx 0.13 + containerd 1.7 from trixie (apt pin 100, `pkg/trixie` installs),
#     started without systemd, with no bridge network;
#   - a plain-HTTP registry listening only on 127.0.0.1:5000;
#   - arm64 emulation: Debian's qemu-user-static, binfmt_misc mounted, the qemu-aarch64 handler
#     registered with the F (fix-binary) flag so it also works inside containers and BuildKit;
#   - localhost:5000/python:3.11-slim (debootstrap, no registry pull),
#     localhost:5000/busybox:fleet-test (busybox-static, no tini) and
#     localhost:5000/busybox-tini:multi (linux/amd64 + linux/arm64 index; hack/multiarch-base.sh).
# Idempotent: every step checks state first, so a re-run on a prepared host takes seconds.
# Facts and measurements: shared docs dev-environment.md.
#
# Environment:
#   FLEET_IMAGE_STORE=containerd|classic  dockerd image store (default containerd); switching
#                                         rewrites daemon.json and restarts dockerd
#   FLEET_RESTART_DOCKERD=1               restart a running dockerd even when it is usable (drops
#                                         BuildKit's in-memory cache records; hack/test.sh)
#   FLEET_REBUILD_BASE=1                  re-run debootstrap and re-push the python base image;
#                                         also rebuild and re-push busybox-tini:multi
#   FLEET_STATE_DIR=DIR                   pid files, logs, rootfs cache (default /var/lib/fleet-dev)
#   DOCKER=PATH                           docker CLI (default /usr/bin/docker, Debian's docker-cli)
set -euo pipefail
set +m # no job control: background daemons keep the pid we see in $!

FLEET_LOG_PREFIX=dev-env
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLEET_IMAGE_STORE=${FLEET_IMAGE_STORE:-containerd}
FLEET_REBUILD_BASE=${FLEET_REBUILD_BASE:-0}
case $FLEET_IMAGE_STORE in
  containerd) want_driver=overlayfs snapshotter=true ;;
  classic) want_driver=overlay2 snapshotter=false ;;
  *) die "FLEET_IMAGE_STORE must be containerd or classic, not '$FLEET_IMAGE_STORE'" ;;
esac

[[ $EUID -eq 0 ]] || die "must run as root"
umask 022
export DEBIAN_FRONTEND=noninteractive

TRIXIE_SOURCES=/etc/apt/sources.list.d/fleet-trixie.sources
TRIXIE_PIN=/etc/apt/preferences.d/fleet-trixie
DAEMON_JSON=/etc/docker/daemon.json
REGISTRY_CONF=/etc/docker/registry/fleet.yml
POLICY_RC=/usr/sbin/policy-rc.d
DOCKERD_PID=$FLEET_STATE_DIR/dockerd.pid
DOCKERD_LOG=$FLEET_STATE_DIR/dockerd.log
DOCKERD_CONF_SUM=$FLEET_STATE_DIR/dockerd.daemon-json.sha256
REGISTRY_PID=$FLEET_STATE_DIR/registry.pid
REGISTRY_LOG=$FLEET_STATE_DIR/registry.log
REGISTRY_CONF_SUM=$FLEET_STATE_DIR/registry.conf.sha256
ROOTFS_DIR=$FLEET_STATE_DIR/rootfs
BINFMT_DIR=/proc/sys/fs/binfmt_misc
QEMU_AARCH64=$BINFMT_DIR/qemu-aarch64
HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Packages, and the installed version each needs (glob; empty = any).
PKGS_TRIXIE=(docker.io docker-cli docker-buildx containerd)
PKGS_BOOKWORM=(docker-registry debootstrap busybox-static ca-certificates curl jq
  qemu-user-static binfmt-support)
declare -A PKG_VERSION=([docker.io]='26.1.*' [docker-cli]='26.1.*' [docker-buildx]='0.13.*' [containerd]='1.7.*')

mkdir -p "$FLEET_STATE_DIR" "$ROOTFS_DIR"
# fd 9 holds the lock; daemons started below get `9>&-` so they do not keep it.
exec 9>"$FLEET_STATE_DIR/dev-env.lock"
if ! flock -n 9; then
  log "waiting for another dev-env.sh ($FLEET_STATE_DIR/dev-env.lock)"
  flock -w 900 9 || die "another dev-env.sh still holds $FLEET_STATE_DIR/dev-env.lock"
fi

T0=$SECONDS
step() { log "--- $* (t+$((SECONDS - T0))s)"; }

# Undo temporary state on any exit (also after an earlier run was killed mid-install).
POLICY_RC_BACKUP=$FLEET_STATE_DIR/policy-rc.d.orig
cleanup() {
  if [[ -f $POLICY_RC && $(<"$POLICY_RC") == *fleet-dev-env* ]]; then rm -f "$POLICY_RC"; fi
  if [[ -f $POLICY_RC_BACKUP && ! -e $POLICY_RC ]]; then mv -f "$POLICY_RC_BACKUP" "$POLICY_RC"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cleanup

# --- apt -------------------------------------------------------------------------------------

# Print the apt-get install arguments for the packages that are missing or installed at an
# unexpected version: `pkg/trixie` for the trixie ones.
packages_needed() {
  local p status
  for p in "${PKGS_TRIXIE[@]}" "${PKGS_BOOKWORM[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$p" 2>/dev/null || true)
    # shellcheck disable=SC2053 # glob match on purpose
    if [[ $status != 'ii '* || ${status:3} != ${PKG_VERSION[$p]:-*} ]]; then
      [[ -n ${PKG_VERSION[$p]:-} ]] && p+=/trixie
      printf '%s ' "$p"
    fi
  done
}

write_daemon_json() {
  mkdir -p /etc/docker
  if write_if_changed "$DAEMON_JSON" <<EOF; then
{
  "bridge": "none",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "builder": {
    "gc": { "enabled": true, "defaultKeepStorage": "10GB" },
    "entitlements": { "network-host": true }
  },
  "features": { "containerd-snapshotter": $snapshotter }
}
EOF
    log "wrote $DAEMON_JSON (image store: $FLEET_IMAGE_STORE)"
  fi
}

setup_apt() {
  local mirror
  mirror=$(debian_mirror) || die "found no Debian bookworm mirror in /etc/apt/sources.list{,.d/}"
  if write_if_changed "$TRIXIE_SOURCES" <<EOF; then
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    log "wrote $TRIXIE_SOURCES (mirror $mirror)"
  fi
  if write_if_changed "$TRIXIE_PIN" <<'EOF'; then
Package: *
Pin: release n=trixie
Pin-Priority: 100
EOF
    log "wrote $TRIXIE_PIN (Pin-Priority 100)"
  fi
}

install_packages() {
  local needed
  needed=$(packages_needed)
  if [[ -z $needed ]]; then
    log "packages already installed; skipping apt"
    return
  fi
  local apt_log=$FLEET_STATE_DIR/apt.log
  log "apt-get update (log $apt_log)"
  apt-get update -o DPkg::Lock::Timeout=300 >"$apt_log" 2>&1 ||
    { tail -n 20 "$apt_log" >&2; die "apt-get update failed; see $apt_log"; }
  # Keep packaged services (docker, docker-registry on all interfaces) from starting.
  [[ ! -e $POLICY_RC ]] || mv -f "$POLICY_RC" "$POLICY_RC_BACKUP"
  printf '#!/bin/sh\n# fleet-dev-env: keep packaged services from starting during apt-get install\nexit 101\n' >"$POLICY_RC"
  chmod 0755 "$POLICY_RC"
  log "apt-get install --no-install-recommends $needed(log $apt_log)"
  # `pkg/trixie` takes only the named packages from trixie; never `-t trixie` (it upgrades libc).
  # shellcheck disable=SC2086 # $needed is a list of package names
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    $needed >>"$apt_log" 2>&1 ||
    { tail -n 30 "$apt_log" >&2; die "apt-get install failed; see $apt_log"; }
  cleanup
  needed=$(packages_needed)
  [[ -z $needed ]] || die "still missing or at unexpected versions after apt-get install: $needed"
}

# --- dockerd ---------------------------------------------------------------------------------

# Print why the running dockerd cannot be used; print nothing when it can.
dockerd_problem() {
  local driver
  if [[ ${FLEET_RESTART_DOCKERD:-0} == 1 ]]; then echo "FLEET_RESTART_DOCKERD=1"; return; fi
  driver=$("$DOCKER" info --format '{{.Driver}}' 2>/dev/null) || { echo "docker info failed"; return; }
  if [[ $driver != "$want_driver" ]]; then
    echo "storage driver is '$driver', want '$want_driver' (FLEET_IMAGE_STORE=$FLEET_IMAGE_STORE)"
  elif [[ -n $("$DOCKER" network ls -q --filter name='^bridge$') ]]; then
    echo "it has a bridge network"
  elif pid_of "$DOCKERD_PID" dockerd >/dev/null && ! sha256sum -c --status "$DOCKERD_CONF_SUM" 2>/dev/null; then
    echo "$DAEMON_JSON changed since it started"
  fi
}

start_dockerd() {
  local pid
  if pid=$(pid_of "$DOCKERD_PID" dockerd); then stop_pid "$pid" dockerd; fi
  rm -f "$DOCKERD_PID"
  [[ ! -f $DOCKERD_LOG ]] || mv -f "$DOCKERD_LOG" "$DOCKERD_LOG.1"
  log "starting dockerd (log $DOCKERD_LOG)"
  sha256sum "$DAEMON_JSON" >"$DOCKERD_CONF_SUM"
  setsid nohup /usr/sbin/dockerd --pidfile "$DOCKERD_PID" </dev/null >"$DOCKERD_LOG" 2>&1 9>&- &
  pid=$!
  await_started dockerd "$pid" "$DOCKERD_LOG" 60 0.1 docker_up
  log "dockerd up (pid $pid)"
}

# await_started NAME PID LOG SECONDS POLL CHECK...: poll CHECK until it succeeds; die with the
# log's tail if the process exits first, or after SECONDS.
await_started() {
  local name=$1 pid=$2 logf=$3 secs=$4 poll=$5
  shift 5
  local deadline=$((SECONDS + secs))
  until "$@" 2>/dev/null; do
    if ! alive "$pid"; then
      tail -n 20 "$logf" >&2 || true
      die "$name exited during startup; see $logf"
    fi
    ((SECONDS < deadline)) || die "$name did not answer within $secs s; see $logf"
    sleep "$poll"
  done
}

ensure_dockerd() {
  local why pid
  if docker_up; then
    why=$(dockerd_problem)
    if [[ -z $why ]]; then
      log "reusing running dockerd"
      return
    fi
    log "running dockerd cannot be reused: $why"
    if pid=$(pid_of "$DOCKERD_PID" dockerd); then
      stop_pid "$pid" dockerd
    elif [[ -d /run/systemd/system ]]; then
      log "systemctl stop docker.service docker.socket"
      systemctl stop docker.service docker.socket
    else
      die "a dockerd not started by this script is running ($why); stop it and re-run"
    fi
  fi
  start_dockerd
  why=$(FLEET_RESTART_DOCKERD=0 dockerd_problem)
  [[ -z $why ]] || die "dockerd started but is unusable: $why"
}

# --- arm64 emulation -------------------------------------------------------------------------

# Print the flags of the qemu-aarch64 binfmt_misc handler ("-" for none) when it is registered and
# enabled; fail otherwise.
aarch64_handler_flags() {
  [[ -f $QEMU_AARCH64 && $(head -n 1 "$QEMU_AARCH64") == enabled ]] || return 1
  awk '$1 == "flags:" { f = $2 } END { print (f == "" ? "-" : f) }' "$QEMU_AARCH64"
}

# Debian's qemu-user-static registers its handlers with `fix_binary yes` (flag F): the kernel opens
# the interpreter once, at registration, so arm64 binaries also run inside containers and BuildKit
# steps whose root filesystem has no /usr/libexec/qemu-binfmt. binfmt_misc is global to the kernel
# (here: the machine), not per container.
ensure_arm64_emulation() {
  local flags
  if ! mountpoint -q "$BINFMT_DIR"; then
    log "mounting binfmt_misc on $BINFMT_DIR"
    mount -t binfmt_misc binfmt_misc "$BINFMT_DIR" ||
      die "cannot mount binfmt_misc on $BINFMT_DIR (needs root in the initial mount namespace of a privileged host/VM)"
  fi
  if flags=$(aarch64_handler_flags) && [[ $flags == *F* ]]; then
    log "qemu-aarch64 binfmt handler already registered (flags: $flags)"
  else
    if [[ -e $QEMU_AARCH64 ]]; then
      log "removing the qemu-aarch64 binfmt handler ($(head -n 1 "$QEMU_AARCH64"), flags: ${flags:-?}): no F flag"
      echo -1 >"$QEMU_AARCH64"
    fi
    log "update-binfmts --enable qemu-aarch64"
    update-binfmts --enable qemu-aarch64 ||
      die "update-binfmts --enable qemu-aarch64 failed (is qemu-user-static installed?)"
    flags=$(aarch64_handler_flags) || die "qemu-aarch64 binfmt handler not registered after update-binfmts"
    [[ $flags == *F* ]] || die "qemu-aarch64 binfmt handler has flags '$flags', want F (fix-binary)"
    log "qemu-aarch64 binfmt handler registered (flags: $flags)"
  fi
  # Smoke test with the static arm64 busybox that hack/multiarch-base.sh unpacks (absent on the
  # first run; multiarch-base.sh then checks it, on the host and in a container, right after).
  local arm64_busybox=$ROOTFS_DIR/busybox-tini-arm64/bin/busybox out
  if [[ -x $arm64_busybox ]]; then
    out=$("$arm64_busybox" uname -m 2>&1) || true
    [[ $out == aarch64 ]] || die "arm64 busybox does not run under emulation: $arm64_busybox uname -m gave '$out'"
    log "arm64 static busybox runs: uname -m = $out"
  fi
}

# --- registry --------------------------------------------------------------------------------

write_registry_conf() {
  mkdir -p "$(dirname "$REGISTRY_CONF")" /var/lib/docker-registry
  if write_if_changed "$REGISTRY_CONF" <<'EOF'; then
version: 0.1
log:
  level: warn
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/docker-registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
EOF
    log "wrote $REGISTRY_CONF"
  fi
}

start_registry() {
  local pid
  if pid=$(pid_of "$REGISTRY_PID" docker-registry); then stop_pid "$pid" docker-registry; fi
  [[ ! -f $REGISTRY_LOG ]] || mv -f "$REGISTRY_LOG" "$REGISTRY_LOG.1"
  log "starting docker-registry on 127.0.0.1:5000 (log $REGISTRY_LOG)"
  sha256sum "$REGISTRY_CONF" >"$REGISTRY_CONF_SUM"
  setsid nohup /usr/bin/docker-registry serve "$REGISTRY_CONF" </dev/null >"$REGISTRY_LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$REGISTRY_PID"
  await_started docker-registry "$pid" "$REGISTRY_LOG" 20 0.05 registry_up
  log "registry up (pid $pid)"
}

ensure_registry() {
  local pid
  write_registry_conf
  if registry_up 2>/dev/null; then
    if pid=$(pid_of "$REGISTRY_PID" docker-registry); then
      if sha256sum -c --status "$REGISTRY_CONF_SUM" 2>/dev/null; then
        log "reusing running registry (pid $pid)"
        return
      fi
      log "$REGISTRY_CONF changed since the registry started"
    else
      # Not ours: refuse one that listens beyond loopback (e.g. the packaged config.yml on :5000).
      if ss -Hltn 'sport = :5000' | awk '{ print $4 }' | grep -qvE '^127\.'; then
        die "something not started by this script listens on port 5000 beyond 127.0.0.1; stop it and re-run"
      fi
      warn "reusing a registry on 127.0.0.1:5000 that this script did not start"
      return
    fi
  fi
  start_registry
}

# --- images ----------------------------------------------------------------------------------

# Unmount anything left mounted below DIR (a failed debootstrap may leave proc/sys), then remove it.
remove_tree() {
  local dir=$1 m
  [[ -e $dir ]] || return 0
  findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r | while read -r m; do
    umount -l "$m" || true
  done
  rm -rf --one-file-system "$dir"
}

push_image() {
  local ref=$1
  log "pushing $ref"
  "$DOCKER" push "$ref" >/dev/null
  registry_has "$ref" || die "$ref is not in the registry after push"
}

# Make sure the local image store has REF (it may be only in the registry, e.g. after a store switch).
ensure_local() {
  local ref=$1
  "$DOCKER" image inspect "$ref" >/dev/null 2>&1 && return
  log "pulling $ref into the local image store"
  "$DOCKER" pull -q "$ref" >/dev/null
}

build_base_rootfs() {
  local rootfs=$1 mirror tmp=$1.tmp
  mirror=$(debian_mirror) || die "found no Debian bookworm mirror"
  remove_tree "$tmp"
  log "debootstrap bookworm minbase + python3 from $mirror (about 45 s; log $FLEET_STATE_DIR/debootstrap.log)"
  if ! debootstrap --variant=minbase \
    --include=python3,python3-pip,python3-venv,tini,ca-certificates,curl \
    bookworm "$tmp" "$mirror" >"$FLEET_STATE_DIR/debootstrap.log" 2>&1; then
    tail -n 20 "$FLEET_STATE_DIR/debootstrap.log" >&2 || true
    remove_tree "$tmp"
    die "debootstrap failed; see $FLEET_STATE_DIR/debootstrap.log"
  fi
  log "stripping the root filesystem"
  (
    cd "$tmp" || exit 1
    rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* \
      usr/share/doc usr/share/man usr/share/info var/log/*.log
    find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    find usr/lib/python3* -depth -type d -name __pycache__ -exec rm -rf {} +
    mkdir -p usr/local/bin
    ln -sfn /usr/bin/python3 usr/local/bin/python
    ln -sfn /usr/bin/pip3 usr/local/bin/pip
    rm -f etc/resolv.conf # may be a symlink; never truncate through it
    : >etc/resolv.conf
  )
  remove_tree "$rootfs"
  mv "$tmp" "$rootfs"
}

ensure_base_image() {
  local ref=$FLEET_BASE_IMAGE rootfs=$ROOTFS_DIR/python-3.11-slim
  if [[ $FLEET_REBUILD_BASE != 1 ]] && registry_has "$ref"; then
    log "$ref already in the registry"
    ensure_local "$ref"
    return
  fi
  if [[ $FLEET_REBUILD_BASE == 1 || ! -f $rootfs.done ]]; then
    rm -f "$rootfs.done"
    build_base_rootfs "$rootfs"
    touch "$rootfs.done"
  else
    log "using cached root filesystem $rootfs"
  fi
  log "importing $ref"
  tar --numeric-owner -C "$rootfs" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    --change 'ENV PYTHONUNBUFFERED=1' \
    --change 'CMD ["python3"]' \
    -m 'debootstrap bookworm minbase + python3' \
    - "$ref" >/dev/null
  push_image "$ref"
}

# A tiny image without tini: tests use it for the "base has no tini" error.
ensure_busybox_image() {
  local ref=$FLEET_BUSYBOX_IMAGE dir=$ROOTFS_DIR/busybox a
  if registry_has "$ref"; then
    log "$ref already in the registry"
    ensure_local "$ref"
    return
  fi
  remove_tree "$dir"
  mkdir -p "$dir/bin"
  cp /bin/busybox "$dir/bin/busybox"
  for a in sh echo cat ls id ps sleep wget; do ln -s busybox "$dir/bin/$a"; done
  log "importing $ref"
  tar --numeric-owner --owner=0 --group=0 -C "$dir" -c . | "$DOCKER" import \
    --change 'ENV PATH=/bin' \
    --change 'ENTRYPOINT ["/bin/sh"]' \
    -m 'busybox-static test image (no tini)' \
    - "$ref" >/dev/null
  push_image "$ref"
}

# Multi-arch stand-in base (linux/amd64 + linux/arm64 index), built from Debian .debs.
ensure_multiarch_base() {
  FLEET_LOG_PREFIX=$FLEET_LOG_PREFIX FLEET_REBUILD_BASE=$FLEET_REBUILD_BASE \
    bash "$HACK_DIR/multiarch-base.sh" 9>&-
}

# --- summary ---------------------------------------------------------------------------------

summary() {
  local repo tags
  log "=== dev environment ready in $((SECONDS - T0)) s"
  log "docker CLI:    $DOCKER $("$DOCKER" version --format '{{.Client.Version}}')"
  log "dockerd:       $("$DOCKER" version --format '{{.Server.Version}}') (pid $(cat "$DOCKERD_PID" 2>/dev/null || echo '?'), log $DOCKERD_LOG)"
  log "buildx:        $("$DOCKER" buildx version)"
  log "image store:   $FLEET_IMAGE_STORE (storage driver $("$DOCKER" info --format '{{.Driver}}'))"
  log "networks:      $("$DOCKER" network ls --format '{{.Name}}' | sort | tr '\n' ' ')"
  log "registry:      $FLEET_REGISTRY_URL (pid $(cat "$REGISTRY_PID" 2>/dev/null || echo '?'), log $REGISTRY_LOG)"
  for repo in $(curl -fsS "$FLEET_REGISTRY_URL/v2/_catalog" | jq -r '.repositories[]?'); do
    tags=$(curl -fsS "$FLEET_REGISTRY_URL/v2/$repo/tags/list" | jq -r '(.tags // []) | join(" ")')
    log "  $FLEET_REGISTRY/$repo: $tags"
  done
  log "local images:"
  "$DOCKER" images --filter "reference=$FLEET_REGISTRY/*" --format '{{.Repository}}:{{.Tag}}  {{.Size}}' |
    sed "s/^/[$FLEET_LOG_PREFIX]   /" >&2
}

# --- main ------------------------------------------------------------------------------------

step "apt sources and packages"
setup_apt
write_daemon_json # before docker.io is installed, so a packaged start could never make docker0
install_packages

step "dockerd ($FLEET_IMAGE_STORE image store)"
[[ -x $DOCKER ]] || die "docker CLI $DOCKER not found"
ensure_dockerd
"$DOCKER" buildx version >/dev/null 2>&1 ||
  die "'$DOCKER buildx version' failed; is docker-buildx installed in /usr/libexec/docker/cli-plugins?"

step "arm64 emulation (qemu-user-static, binfmt_misc)"
ensure_arm64_emulation

step "registry"
ensure_registry

step "images"
ensure_base_image
ensure_busybox_image
ensure_multiarch_base

summary
