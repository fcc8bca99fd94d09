#!/usr/bin/env bash
# The GPU half of images/fleet.toml, built for real on this machine without a GPU: makes the CUDA
# runtime stand-in (hack/gpu-standin.sh), then runs the gpu module of the e2e test binary
# (tests/e2e/gpu.rs, which skips unless FLEET_GPU_E2E=1), which builds family-torch-cu121
# and AffectiveProcessingCenter (family-vision-cu121) through `docker buildx build` and probes
# each image on the CPU. Needs dockerd up (hack/dev-env.sh) and a frontend image: FLEET_FRONTEND_REF,
# else hack/frontend-image.sh makes one. First run: ~4.3 GB of wheels from PyPI.
# family-llm-cu121 compiles llama.cpp with nvcc on the devel stand-in (hack/gpu-devel-standin.sh),
# once per profile: about 40 min each on 2 cores; `gpu::llm_family_mainpc` runs one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

FLEET_FRONTEND_REF=${FLEET_FRONTEND_REF:-$(hack/frontend-image.sh | tail -n 1)}
FLEET_GPU_STANDIN=$(hack/gpu-standin.sh | tail -n 1)
FLEET_GPU_DEVEL_STANDIN=$(hack/gpu-devel-standin.sh | tail -n 1)
export FLEET_FRONTEND_REF FLEET_GPU_STANDIN FLEET_GPU_DEVEL_STANDIN E2E=1 FLEET_GPU_E2E=1
log "frontend $FLEET_FRONTEND_REF, CUDA stand-ins $FLEET_GPU_STANDIN, $FLEET_GPU_DEVEL_STANDIN"
# Arguments are test-name filters within the gpu module (default: all of it).
cargo test --locked -p fleet-e2e --test e2e -- --test-threads=1 "${@:-gpu::}"
