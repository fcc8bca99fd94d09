#!/usr/bin/env bash
# Pushes localhost:5000/busybox-tini:multi, a multi-arch stand-in base image: an OCI image index
# over two tiny images, linux/amd64 and linux/arm64, each holding Debian's busybox-static
# (/bin/busybox plus applet symlinks) and tini's static binary (/usr/bin/tini-static, installed as
# /usr/bin/tini) for its architecture. Nothing comes from a container registry.
#
#   apt-get download (private apt configuration, see below) → dpkg-deb -x → root filesystem tar
#   → docker import --platform linux/<arch> → push :multi-<arch>
#   → PUT the index (application/vnd.oci.image.index.v1+json) to :multi with curl, pointing at each
#     per-arch manifest with the media type, digest and size the registry serves for it (the
#     containerd image store pushes docker media types; the index does not care).
#
# The .debs come from the bookworm mirror apt already uses, through a private apt configuration
# under $FLEET_STATE_DIR/apt-multiarch (amd64 + arm64 lists of bookworm main only): the host's dpkg
# architectures, apt lists and caches are left alone.
#
# Usage: hack/multiarch-base.sh        (hack/dev-env.sh calls it; needs dockerd, the registry and
#                                       arm64 emulation, all set up by hack/dev-env.sh)
# Environment (defaults in hack/lib.sh):
#   FLEET_MULTIARCH_IMAGE   default localhost:5000/busybox-tini:multi; per-arch tags get -<arch>
#   FLEET_REBUILD_BASE=1    rebuild and re-push even when the index is already in the registry
#   FLEET_STATE_DIR, FLEET_REGISTRY, FLEET_REGISTRY_URL, DOCKER
# Idempotent: when the index (with both platforms) is in the registry it stops after one request.
set -euo pipefail

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLEET_REBUILD_BASE=${FLEET_REBUILD_BASE:-0}
readonly ARCHES=(amd64 arm64)
declare -rA UNAME_M=([amd64]=x86_64 [arm64]=aarch64)
declare -rA ELF_MACHINE=([amd64]='3e 00' [arm64]='b7 00') # e_machine, little endian
readonly APPLETS=(sh echo cat ls id mkdir chown test '[' sleep stat touch uname)
readonly IMAGE_PATH=/usr/sbin:/usr/bin:/sbin:/bin
readonly OCI_INDEX=application/vnd.oci.image.index.v1+json
readonly ACCEPT_MANIFEST='application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
readonly ACCEPT_INDEX="$OCI_INDEX, application/vnd.docker.distribution.manifest.list.v2+json"

# Loopback only (dev-environment.md §1), whatever the environment says.
[[ $FLEET_REGISTRY_URL =~ ^http://127\.[0-9]+\.[0-9]+\.[0-9]+(:[0-9]+)?$ ]] ||
  die "FLEET_REGISTRY_URL=$FLEET_REGISTRY_URL is not a loopback http:// URL"
ref=$FLEET_MULTIARCH_IMAGE
[[ $ref == "$FLEET_REGISTRY"/*:* && $ref != *@* ]] ||
  die "FLEET_MULTIARCH_IMAGE=$ref must be $FLEET_REGISTRY/<repo>:<tag>"
name=${ref#"$FLEET_REGISTRY"/}
repo=${name%:*} tag=${name##*:}

rootfs_dir=$FLEET_STATE_DIR/rootfs
apt_dir=$FLEET_STATE_DIR/apt-multiarch
work=$FLEET_STATE_DIR/multiarch.tmp

# index_in_registry: the registry serves an image index for $ref listing linux/amd64 and linux/arm64.
index_in_registry() {
  curl -fsS -m 10 -H "Accept: $ACCEPT_INDEX" "$FLEET_REGISTRY_URL/v2/$repo/manifests/$tag" 2>/dev/null |
    jq -e '[.manifests[]?.platform | "\(.os)/\(.architecture)"] | sort == ["linux/amd64", "linux/arm64"]' \
      >/dev/null 2>&1
}

if [[ $FLEET_REBUILD_BASE != 1 ]] && index_in_registry; then
  log "$ref already in the registry (index: linux/amd64, linux/arm64)"
  exit 0
fi

mkdir -p "$FLEET_STATE_DIR" "$rootfs_dir"
exec 8>"$FLEET_STATE_DIR/multiarch-base.lock"
flock -w 600 8 || die "another multiarch-base.sh still holds $FLEET_STATE_DIR/multiarch-base.lock"
registry_up || die "no registry answers at $FLEET_REGISTRY_URL (run hack/dev-env.sh)"
docker_up || die "$DOCKER info failed (run hack/dev-env.sh)"

T0=$SECONDS
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# --- .debs from Debian's archive -------------------------------------------------------------

apt_private() {
  apt-get -q \
    -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::State::status="$apt_dir/status" \
    -o Dir::Cache="$apt_dir/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    -o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
    -o Acquire::Languages=none -o APT::Sandbox::User=root "$@"
}

download_debs() {
  local mirror arch
  mirror=$(debian_mirror) || die "found no Debian bookworm mirror in /etc/apt/sources.list{,.d/}"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  : >"$apt_dir/status"
  cat >"$apt_dir/sources.list" <<EOF
deb [arch=amd64,arm64 target=Packages signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
EOF
  log "apt-get update (private lists in $apt_dir: bookworm main, amd64 + arm64; log $apt_dir/apt.log)"
  apt_private update >"$apt_dir/apt.log" 2>&1 ||
    { tail -n 20 "$apt_dir/apt.log" >&2; die "apt-get update failed; see $apt_dir/apt.log"; }
  for arch in "${ARCHES[@]}"; do
    mkdir -p "$work/debs-$arch"
    (cd "$work/debs-$arch" && apt_private download "busybox-static:$arch" "tini:$arch") \
      >>"$apt_dir/apt.log" 2>&1 ||
      { tail -n 20 "$apt_dir/apt.log" >&2; die "apt-get download ($arch) failed; see $apt_dir/apt.log"; }
  done
  log "downloaded: $(cd "$work" && echo debs-*/*.deb | sed 's/%3a/:/g')"
}

# --- root filesystems and images -------------------------------------------------------------

# check_elf FILE ARCH: FILE is an ELF executable for ARCH.
check_elf() {
  local file=$1 arch=$2 magic machine
  magic=$(od -An -c -N4 "$file" | tr -d ' ')
  machine=$(od -An -tx1 -j18 -N2 "$file" | sed 's/^ *//')
  [[ $magic == '177ELF' && $machine == "${ELF_MACHINE[$arch]}" ]] ||
    die "$file is not an ELF binary for $arch (magic '$magic', e_machine '$machine')"
}

# build_rootfs ARCH: $rootfs_dir/busybox-tini-ARCH with /bin/busybox (+ applets) and /usr/bin/tini.
build_rootfs() {
  local arch=$1
  local deb x=$work/x-$arch dir=$rootfs_dir/busybox-tini-$arch tmp a busybox out
  tmp=$dir.tmp
  rm -rf "$x" "$tmp"
  for deb in "$work/debs-$arch"/*.deb; do dpkg-deb -x "$deb" "$x"; done
  busybox=$x/bin/busybox
  [[ -f $busybox ]] || busybox=$x/usr/bin/busybox
  check_elf "$busybox" "$arch"
  check_elf "$x/usr/bin/tini-static" "$arch"
  install -D -m 0755 "$busybox" "$tmp/bin/busybox"
  install -D -m 0755 "$x/usr/bin/tini-static" "$tmp/usr/bin/tini"
  for a in "${APPLETS[@]}"; do ln -s busybox "$tmp/bin/$a"; done
  install -d -m 0755 "$tmp/sbin" "$tmp/usr/sbin"
  install -d -m 1777 "$tmp/tmp"
  # Both binaries are static, so they run on the host too (arm64 through binfmt_misc + qemu).
  out=$("$tmp/bin/busybox" uname -m 2>&1) || true
  [[ $out == "${UNAME_M[$arch]}" ]] ||
    die "$arch busybox: 'uname -m' gave '$out', want '${UNAME_M[$arch]}' (arm64 emulation: hack/dev-env.sh)"
  out=$("$tmp/usr/bin/tini" --version 2>&1) || die "$arch tini --version failed: $out"
  log "$arch root filesystem: busybox uname -m = ${UNAME_M[$arch]}; $out"
  rm -rf "$dir" "$x"
  mv "$tmp" "$dir"
}

import_and_push() {
  local arch=$1
  local dir=$rootfs_dir/busybox-tini-$arch
  log "importing and pushing $ref-$arch (linux/$arch)"
  tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 -C "$dir" -c . |
    "$DOCKER" import --platform "linux/$arch" --change "ENV PATH=$IMAGE_PATH" \
      -m "busybox-static + tini-static from Debian bookworm (linux/$arch)" - "$ref-$arch" >/dev/null
  "$DOCKER" push "$ref-$arch" >/dev/null
}

# header NAME: print the value of HTTP response header NAME (lower case) read from stdin.
header() {
  awk -v name="$1" 'index(tolower($0), name ":") == 1 { sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); print; exit }'
}

# descriptor ARCH: print the index entry (JSON) for the manifest the registry serves for
# $ref-ARCH, after checking that its image config says linux/ARCH.
descriptor() {
  local arch=$1
  local body=$work/manifest-$arch.json headers=$work/manifest-$arch.headers
  local media_type digest served size config platform
  curl -fsS -m 20 -D "$headers" -o "$body" -H "Accept: $ACCEPT_MANIFEST" \
    "$FLEET_REGISTRY_URL/v2/$repo/manifests/$tag-$arch" || die "cannot fetch the manifest of $ref-$arch"
  media_type=$(header content-type <"$headers")
  media_type=${media_type%%;*}
  served=$(header docker-content-digest <"$headers")
  digest=sha256:$(sha256sum "$body" | cut -d' ' -f1)
  size=$(stat -c %s "$body")
  [[ $media_type == "$(jq -r '.mediaType // empty' "$body")" ]] ||
    die "$ref-$arch: Content-Type '$media_type' differs from the manifest's mediaType"
  case $media_type in
    application/vnd.oci.image.manifest.v1+json | application/vnd.docker.distribution.manifest.v2+json) ;;
    *) die "$ref-$arch: the registry serves '$media_type', not an image manifest" ;;
  esac
  [[ -z $served || $served == "$digest" ]] || die "$ref-$arch: digest $digest, registry says $served"
  config=$(jq -r .config.digest "$body")
  platform=$(curl -fsS -m 20 "$FLEET_REGISTRY_URL/v2/$repo/blobs/$config" | jq -r '"\(.os)/\(.architecture)"') ||
    die "cannot fetch the image config of $ref-$arch"
  [[ $platform == "linux/$arch" ]] || die "$ref-$arch: image config says $platform, want linux/$arch"
  log "$ref-$arch: $media_type $digest ($size bytes)"
  jq -cn --arg mt "$media_type" --arg d "$digest" --argjson s "$size" --arg a "$arch" \
    '{mediaType: $mt, digest: $d, size: $s, platform: {architecture: $a, os: "linux"}}'
}

put_index() {
  local arch index=$work/index.json entries=() entry digest served
  for arch in "${ARCHES[@]}"; do
    entry=$(descriptor "$arch") || exit 1
    entries+=("$entry")
  done
  printf '%s\n' "${entries[@]}" |
    jq -cs --arg mt "$OCI_INDEX" '{schemaVersion: 2, mediaType: $mt, manifests: .}' >"$index"
  digest=sha256:$(sha256sum "$index" | cut -d' ' -f1)
  log "PUT $FLEET_REGISTRY_URL/v2/$repo/manifests/$tag ($OCI_INDEX, $digest)"
  served=$(curl -fsS -m 20 -X PUT -H "Content-Type: $OCI_INDEX" --data-binary "@$index" \
    -D - -o /dev/null "$FLEET_REGISTRY_URL/v2/$repo/manifests/$tag" | header docker-content-digest) ||
    die "PUT of the index for $ref failed"
  [[ $served == "$digest" ]] || die "registry stored the index as '$served', want $digest"
  index_in_registry || die "$ref: the registry does not serve the index just pushed"
}

# Each image runs in a container (--network none) on its platform: for arm64 this needs the F flag
# on the qemu-aarch64 handler, since the container's root filesystem has no qemu.
check_containers() {
  local arch out
  for arch in "${ARCHES[@]}"; do
    out=$("$DOCKER" run --rm --network none --platform "linux/$arch" "$ref-$arch" uname -m 2>&1) ||
      die "docker run $ref-$arch failed: $out"
    [[ $out == "${UNAME_M[$arch]}" ]] || die "docker run $ref-$arch: uname -m gave '$out', want '${UNAME_M[$arch]}'"
  done
  log "containers run: linux/amd64 uname -m = x86_64, linux/arm64 uname -m = aarch64"
}

log "building $ref (linux/amd64 + linux/arm64, busybox-static + tini from Debian)"
download_debs
for arch in "${ARCHES[@]}"; do build_rootfs "$arch"; done
for arch in "${ARCHES[@]}"; do import_and_push "$arch"; done
put_index
check_containers
log "$ref pushed in $((SECONDS - T0)) s"
