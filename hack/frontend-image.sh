#!/usr/bin/env bash
# Builds the static fleet-frontend binary, assembles the frontend image as an OCI layout
# (`fleet-frontend image`, definition in images/frontend.toml) and pushes it to the loopback
# registry with plain curl (registry HTTP API v2).
#
# Usage: hack/frontend-image.sh [--layout-only]
#   --layout-only   write the OCI layout only; no registry needed
#
# Environment (defaults in hack/lib.sh):
#   FLEET_STATE_DIR      default /var/lib/fleet-dev; the layout goes to $FLEET_STATE_DIR/frontend-oci
#   FLEET_REGISTRY_URL   default http://127.0.0.1:5000 (must be 127.0.0.0/8)
#   FLEET_REGISTRY       default localhost:5000, the name used in the printed reference
#   CARGO_TARGET_DIR     honoured when looking for the built binary
#
# The last line of stdout is the image pinned by digest,
#   localhost:5000/fleet-frontend@sha256:<manifest digest>
# and everything else goes to stderr. Tags pushed: test-<git short sha> (clean tree) or
# test-<sha>-dirty-<content hash> (dirty tree), plus `latest`. Pin tests by the digest or the
# unique tag, never `latest` (dev-environment.md §10: a stale copy in an image store shadows it).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/lib.sh
source "$repo_root/hack/lib.sh"

readonly REGISTRY=$FLEET_REGISTRY_URL # plain HTTP API base
readonly REGISTRY_NAME=$FLEET_REGISTRY # how dockerd/BuildKit name the same registry
readonly REPO=fleet-frontend
readonly TARGET=x86_64-unknown-linux-gnu
# Loopback only (dev-environment.md §1), whatever the environment says.
[[ $REGISTRY =~ ^http://127\.[0-9]+\.[0-9]+\.[0-9]+(:[0-9]+)?$ ]] ||
  die "FLEET_REGISTRY_URL=$REGISTRY is not a loopback http:// URL"

layout_only=false
case "${1:-}" in
  "") ;;
  --layout-only) layout_only=true ;;
  -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

layout=$FLEET_STATE_DIR/frontend-oci
definition=$repo_root/images/frontend.toml

build_static_binary() {
  log "building the static release binary ($TARGET)"
  # --target keeps RUSTFLAGS off build scripts and proc macros, which must stay dynamic.
  (cd "$repo_root" && RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build --release --locked --target "$TARGET" -p fleet-frontend >&2)
  binary=${CARGO_TARGET_DIR:-$repo_root/target}/$TARGET/release/fleet-frontend
  [[ -x $binary ]] || die "no binary at $binary"
  # The image is scratch: no loader, no libc. `file` says "static-pie linked" or
  # "statically linked"; ldd's wording varies, so only its "=>" lines count as failure.
  file -b "$binary" | grep -Eq 'static(-pie)? linked' ||
    die "$binary is not static: $(file -b "$binary")"
  if ldd "$binary" 2>&1 | grep -q '=>'; then die "ldd lists shared libraries for $binary"; fi
  "$binary" --version >&2 || die "$binary does not run as a plain binary"
}

# test-<sha>, or test-<sha>-dirty-<hash of binary and definition> so that every distinct image
# built from a dirty tree gets its own tag (a reused tag could be shadowed by a stale copy).
choose_tag() {
  local sha
  sha=$(git -C "$repo_root" rev-parse --short=12 HEAD)
  # `git status` also refreshes the index stat cache, so a touched-but-unchanged file is clean.
  if [[ -z $(git -C "$repo_root" status --porcelain --untracked-files=normal) ]]; then
    tag=test-$sha
  else
    tag=test-$sha-dirty-$(cat "$binary" "$definition" | sha256sum | cut -c1-12)
  fi
}

assemble_layout() {
  local staging=$layout.staging
  log "assembling OCI layout in $layout (tag $tag)"
  # A fresh directory, swapped in only once complete: readers never see a half-written layout,
  # and blobs of earlier builds do not pile up next to the new ones.
  rm -rf "$staging"
  mkdir -p "$staging"
  digest=$("$binary" image --definition "$definition" --binary "$binary" --out "$staging" \
    --tag "$tag" | tail -n 1)
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "fleet-frontend image printed '$digest'"
  rm -rf "$layout"
  mv "$staging" "$layout"
}

# curl against the loopback registry only; --noproxy so an http_proxy in the environment
# cannot route these requests off the machine.
reg() { curl --noproxy '*' -sS "$@"; }

check_registry() {
  reg -f -o /dev/null --max-time 5 "$REGISTRY/v2/" ||
    die "no registry at $REGISTRY (start it with hack/dev-env.sh, or use --layout-only)"
}

push_blob() {
  local blob_digest=$1 file=$layout/blobs/sha256/${1#sha256:} status location
  status=$(reg -o /dev/null -w '%{http_code}' -I "$REGISTRY/v2/$REPO/blobs/$blob_digest")
  if [[ $status == 200 ]]; then
    log "blob $blob_digest already in the registry"
    return
  fi
  location=$(reg -f -o /dev/null -D - -X POST "$REGISTRY/v2/$REPO/blobs/uploads/" |
    header Location)
  # The registry answers with an absolute URL built from our Host header, or a path.
  case $location in
    "$REGISTRY"/*) ;;
    /*) location=$REGISTRY$location ;;
    *) die "upload location '$location' is not on $REGISTRY" ;;
  esac
  if [[ $location == *\?* ]]; then location+="&"; else location+="?"; fi
  log "uploading blob $blob_digest ($(stat -c %s "$file") bytes)"
  reg -f -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary "@$file" "${location}digest=$blob_digest"
}

# Prints the value of response header $1 from `curl -D -` output on stdin.
header() {
  tr -d '\r' | awk -v name="$1" 'tolower($1) == tolower(name ":") { print $2; exit }'
}

push_manifest() {
  local ref=$1 manifest=$layout/blobs/sha256/${digest#sha256:} pushed
  pushed=$(reg -f -o /dev/null -D - -X PUT \
    -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$manifest" "$REGISTRY/v2/$REPO/manifests/$ref" | header Docker-Content-Digest)
  [[ $pushed == "$digest" ]] || die "registry stored $REPO:$ref as '$pushed', expected $digest"
  log "pushed $REGISTRY_NAME/$REPO:$ref"
}

push_layout() {
  local manifest=$layout/blobs/sha256/${digest#sha256:} blob_digest blob_digests
  # Config and layer digests, read from the compact manifest JSON the CLI wrote. Blobs go
  # first: the registry rejects a manifest that names a blob it does not have.
  mapfile -t blob_digests < <(grep -o '"digest":"sha256:[0-9a-f]\{64\}"' "$manifest" | cut -d'"' -f4)
  ((${#blob_digests[@]} == 2)) || die "expected a config and one layer in $manifest"
  for blob_digest in "${blob_digests[@]}"; do
    push_blob "$blob_digest"
  done
  push_manifest "$tag"
  push_manifest latest
}

start=$SECONDS
build_static_binary
choose_tag
assemble_layout
if $layout_only; then
  log "layout only: $layout (ref.name $tag), $((SECONDS - start)) s"
else
  check_registry
  push_layout
  log "done in $((SECONDS - start)) s"
fi
echo "$REGISTRY_NAME/$REPO@$digest"
