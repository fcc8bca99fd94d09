#!/usr/bin/env bash
# The external Dockerfile frontend image, as `# syntax=docker/dockerfile:1.7` would pull it, for the
# stack benchmark's "uv Dockerfile through a frontend image" side (issue #15's warm target is
# against it: a `# syntax=` frontend pays the gateway container start, the built-in one does not).
# Docker Hub is out of reach here, so it is built from BuildKit's source at tag dockerfile/1.7.1
# (the frontend of BuildKit v0.13's time, this daemon's BuildKit) with its vendored modules: no
# module download. Go from Debian (golang-1.24-go).
#
# Usage: hack/dockerfile-frontend.sh [BUILDKIT_SOURCE]
#   BUILDKIT_SOURCE  a checkout of github.com/moby/buildkit at dockerfile/1.7.1, or a git
#                    repository (a bare mirror too) that has that tag: its tree is exported into
#                    $FLEET_STATE_DIR/buildkit-src (default: a shallow clone of the tag there)
# Prints localhost:5000/dockerfile-frontend:1.7.1 on its last line; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

tag=dockerfile/1.7.1
ref="$FLEET_REGISTRY/dockerfile-frontend:1.7.1"
if registry_has "dockerfile-frontend:1.7.1"; then
  log "$ref already in the registry"
  echo "$ref"
  exit 0
fi
src=$FLEET_STATE_DIR/buildkit-src
if [[ -n ${1:-} && -d $1/frontend/dockerfile ]]; then
  src=$1
elif [[ -n ${1:-} ]]; then
  # A repository with the tag (where github.com is out of reach, a mirror of it).
  git -C "$1" rev-parse -q --verify "refs/tags/$tag" >/dev/null || die "$1: no checkout and no tag $tag"
  rm -rf "$src" && mkdir -p "$src"
  git -C "$1" archive "$tag" | tar -x -C "$src"
elif [[ ! -d $src/frontend/dockerfile ]]; then
  git clone -q --depth 1 --branch "$tag" https://github.com/moby/buildkit "$src" >&2 ||
    die "cannot clone BuildKit $tag; pass a checkout or a repository that has the tag"
fi
go=$(command -v go || echo /usr/lib/go-1.24/bin/go)
[[ -x $go ]] || die "no Go toolchain (apt-get install golang-1.24-go)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
log "building the Dockerfile frontend from $src ($tag)"
mkdir -p "$out/root/bin"
(cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=vendor GOTOOLCHAIN=local GOPROXY=off \
  "$go" build -trimpath -ldflags "-s -w" -o "$out/root/bin/dockerfile-frontend" ./frontend/dockerfile/cmd/dockerfile-frontend) >&2
# The labels docker/dockerfile images carry (frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile).
tar -C "$out/root" -cf - bin | "$DOCKER" import \
  --change 'ENTRYPOINT ["/bin/dockerfile-frontend"]' \
  --change 'LABEL moby.buildkit.frontend.network.none="true"' \
  --change 'LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"' \
  - "$ref" >/dev/null
"$DOCKER" push -q "$ref" >/dev/null
log "pushed $ref"
echo "$ref"
