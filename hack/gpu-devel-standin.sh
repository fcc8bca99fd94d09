#!/usr/bin/env bash
# Makes a stand-in for images/fleet.toml's nvidia/cuda:12.1.1-devel-ubuntu22.04 (the builder of
# family-llm-cu121's llama-cpp-python, which cannot be pulled here): the CUDA runtime stand-in
# (hack/gpu-standin.sh: Debian bookworm + CPython 3.10 under /usr/local) plus build-essential and
# a CUDA toolkit with nvcc.
#
# Where nvcc comes from: Debian trixie's non-free CUDA 12.4 toolkit (nvidia-cuda-toolkit,
# nvidia-cuda-dev and the libraries they need), unpacked with `dpkg -x` (the toolkit's Depends on
# the driver, libcuda1 >= 550, cannot be met on a machine without a GPU and is not needed to
# compile). PyPI has no CUDA 12 compiler: every nvidia-cuda-nvcc-cu12 wheel (12.0.76 .. 12.9.86)
# carries ptxas only, no nvcc/cicc/fatbinary/nvlink; the nvidia-cuda-nvcc wheels that do are CUDA 13,
# whose code needs libcudart.so.13. So the stand-in compiles with CUDA 12.4, the real builder with
# 12.1: both give code for libcudart.so.12. cuobjdump (in the toolkit) lists the SASS a library
# carries: the GPU e2e uses it to check the arch the machine profile asked for.
#
# Bookworm's build-essential (gcc 12, which nvcc 12.4 supports) and glibc 2.36 stay: a library built
# here must load on the runtime stand-in. The toolkit's static libraries are removed except
# cudart's (CMake's CUDA default), ~2 GB the build never reads. Prints
# localhost:5000/cuda-devel-standin:<tag> on its last line; idempotent (skipped when the
# registry has the tag). Downloads ~1.3 GB from deb.debian.org (host network) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

# The toolkit's own packages and the CUDA libraries a CMake CUDA build links (cudart, cuBLAS),
# with the versions the trixie index names for them (apt checks each file's hash against it).
pkgs="nvidia-cuda-toolkit nvidia-cuda-dev libcudart12 libcublas12 libcublaslt12 libnvvm4 libcu++-dev libcub-dev libthrust-dev"
base=$(hack/gpu-standin.sh | tail -n 1)
hash=$(printf '%s\n' "$base" "$pkgs" "$(sha256sum "$0")" | sha256sum | cut -c1-12)
tag="12.1.1-devel-py310-$hash"
ref="$FLEET_REGISTRY/cuda-devel-standin:$tag"
if registry_has "cuda-devel-standin:$tag"; then
  log "$ref already in the registry"
  echo "$ref"
  exit 0
fi
log "making $ref: $base + build-essential + Debian trixie's CUDA 12.4 toolkit ($pkgs)"
name="fleet-gpu-devel-standin-$$"
# trixie is only a download source here (priority 100, never installed from): `apt-get download`
# verifies each .deb against the signed index; `dpkg -x` unpacks it without its driver Depends.
# shellcheck disable=SC2016 # the script runs in the container; its $ are the container sh's
"$DOCKER" run --name "$name" --network host -e "PKGS=$pkgs" "$base" sh -euc '
  export DEBIAN_FRONTEND=noninteractive
  printf "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" \
    > /etc/apt/sources.list.d/trixie.sources
  printf "Package: *\nPin: release n=trixie\nPin-Priority: 100\n" > /etc/apt/preferences.d/trixie
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends build-essential >/dev/null
  mkdir /tmp/debs && cd /tmp/debs
  for p in $PKGS; do apt-get download -qq "$p/trixie"; done
  for d in ./*.deb; do dpkg -x "$d" /; done
  cd / && rm -rf /tmp/debs /var/lib/apt/lists/* /etc/apt/sources.list.d/trixie.sources /etc/apt/preferences.d/trixie
  find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name "*_static*.a" ! -name "libcudart_static.a" -delete
  ldconfig
  nvcc --version | tail -n 2
  test -x /usr/bin/cuobjdump && test -e /usr/lib/x86_64-linux-gnu/stubs/libcuda.so
  test "$(python3 -c "import sys; print(sys.version_info[:2])")" = "(3, 10)"
' >&2
commit_and_push "$name" "$ref"
