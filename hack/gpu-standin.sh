#!/usr/bin/env bash
# Makes a stand-in for images/fleet.toml's nvidia/cuda:12.1.1-runtime-ubuntu22.04 (which cannot be
# pulled here): the CPU fleet stand-in (hack/fleet-standin.sh: Debian bookworm + tini, curl,
# dumb-init, gosu, tzdata) plus the Python Ubuntu 22.04 has, CPython 3.10, under /usr/local as the
# official python:3.10 images keep it (a pyenv build of this machine, relocated; `pyenv root`).
# No CUDA libraries: the GPU families bring theirs as wheels (torch's nvidia-*, vision's cuDNN),
# and nothing here runs on a GPU. base-gpu-cu121's apt packages are all present, so its apt step
# needs no network. Prints localhost:5000/cuda-runtime-standin:<tag> on its last line;
# idempotent (skipped when the registry has the tag).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

root=$(pyenv root 2>/dev/null || echo /root/.pyenv)
py=$(find "$root/versions" -maxdepth 1 -name '3.10.*' | sort -V | tail -n 1)
[[ -x $py/bin/python3.10 ]] || die "no CPython 3.10 under $root/versions (this machine kind ships pyenv builds)"
base=$(hack/fleet-standin.sh | tail -n 1)
# The tag follows everything the image is made of: the base, the Python build, this script.
hash=$(printf '%s\n' "$base" "$(basename "$py")" "$(sha256sum "$0")" | sha256sum | cut -c1-12)
ref="$FLEET_REGISTRY/cuda-runtime-standin:12.1.1-py310-$hash"
if registry_has "cuda-runtime-standin:12.1.1-py310-$hash"; then
  log "$ref already in the registry"
  echo "$ref"
  exit 0
fi
log "making $ref: $base + $(basename "$py") under /usr/local"
name="fleet-gpu-standin-$$"
# The copy leaves out the test suite and caches (~2/3 of the build); ldconfig finds
# libpython3.10.so in /usr/local/lib (its RPATH still names the pyenv folder).
# shellcheck disable=SC2016 # the script runs in the container; its $ are the container sh's
"$DOCKER" run --name "$name" --network none -v "$py:/py:ro" "$base" sh -euc '
  cd /py && tar --exclude="./lib/python3.10/test" --exclude="__pycache__" -cf - . | tar -C /usr/local -xf -
  ldconfig
  ln -sf python3.10 /usr/local/bin/python3
  ln -sf python3.10 /usr/local/bin/python
  ln -sf pip3.10 /usr/local/bin/pip3
  ln -sf pip3.10 /usr/local/bin/pip
  test "$(python3 -c "import sys, ssl, sqlite3, ctypes, zlib, bz2, lzma; print(sys.prefix, sys.version_info[:2])")" = "/usr/local (3, 10)"
' >&2
commit_and_push "$name" "$ref"
