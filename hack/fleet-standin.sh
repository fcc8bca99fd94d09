#!/usr/bin/env bash
# Makes a stand-in for images/fleet.toml's upstream python:3.11-slim-bookworm that already has the
# apt packages of its CPU families (base-python, base-utils) at their pinned versions:
# localhost:5000/python:3.11-slim-fleet-<hash of the package list>. With it, the CPU fleet builds
# with no network at all, which `docker buildx bake` needs (buildx 0.13.1's bake can grant no
# network, and this daemon has no bridge). Prints the reference on its last line. Idempotent:
# skipped when the registry has that tag. The packages come from the Debian archive (host network).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

pkgs=$(python3 - <<'PY'
import tomllib
m = tomllib.load(open("images/fleet.toml", "rb"))
fams = m["families"]
print(" ".join(p for f in ("base-python", "base-utils") for p in fams[f].get("apt", [])))
PY
)
hash=$(printf '%s' "$pkgs" | sha256sum | cut -c1-12)
tag="3.11-slim-fleet-$hash"
ref="$FLEET_REGISTRY/python:$tag"
if registry_has "python:$tag"; then
  log "$ref already in the registry"
  echo "$ref"
  exit 0
fi
log "making $ref with: $pkgs"
name="fleet-standin-$$"
"$DOCKER" pull -q "$FLEET_BASE_IMAGE" >/dev/null
# shellcheck disable=SC2086 # the package list is split on purpose
"$DOCKER" run --name "$name" --network host "$FLEET_BASE_IMAGE" sh -c \
  "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null && rm -rf /var/lib/apt/lists/*" >&2
commit_and_push "$name" "$ref"
