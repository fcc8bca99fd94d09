#!/usr/bin/env bash
# Runs every test: unit, golden, CLI and end-to-end (through real dockerd + buildx).
# With dockerd up (hack/dev-env.sh) it builds and pushes the frontend image first and runs the
# e2e tests with E2E=1; under CI=true a missing dockerd is an error, never a silent skip.
# Then, unless FLEET_SKIP_CLASSIC=1, it switches dockerd to the classic image store, whose BuildKit
# does not list the `mergeop` cap, runs the runtime-contract e2e test there (the copy fallback),
# and switches back.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

if "$DOCKER" info >/dev/null 2>&1; then
  FLEET_FRONTEND_REF=$(hack/frontend-image.sh | tail -n 1)
  FLEET_STANDIN_FLEET=$(hack/fleet-standin.sh | tail -n 1)
  export FLEET_FRONTEND_REF FLEET_STANDIN_FLEET E2E=1
  log "frontend image: $FLEET_FRONTEND_REF; fleet stand-in base: $FLEET_STANDIN_FLEET"
elif [[ ${CI:-} == true ]]; then
  die "CI=true but dockerd is not reachable with $DOCKER (run hack/dev-env.sh)"
else
  warn "dockerd not reachable: e2e tests will be skipped"
fi
# retry_e2e NAME...: runs exactly these e2e tests and fails unless every one of them passed.
retry_e2e() {
  local log n
  log=$(mktemp)
  FLEET_GPU_E2E=0 cargo test --locked -p fleet-e2e --test e2e -- --exact "$@" 2>&1 | tee "$log" ||
    { rm -f "$log"; die "the re-run failed too: not BuildKit's lost snapshot alone"; }
  n=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log")
  rm -f "$log"
  [[ $n == "$#" ]] || die "the re-run passed ${n:-0} of $# tests (a failed test outside the e2e binary?)"
  warn "all $# re-run tests passed on the restarted dockerd"
}

# One e2e test binary (tests/e2e/main.rs); its gpu module has its own phase
# (hack/test-gpu-families.sh), so it stays skipped here even when the caller exported FLEET_GPU_E2E=1.
out=$(mktemp)
if ! FLEET_GPU_E2E=0 cargo test --workspace --locked --no-fail-fast "$@" 2>&1 | tee "$out"; then
  # BuildKit v0.13 (dockerd 26.1) can release a cache ref once too often, after which containerd
  # collects a snapshot that a live record still names; every later build that reaches that
  # record fails to finalize it until dockerd restarts (moby/buildkit#6808, fixed upstream in
  # #6821, 2026-06; not in the BuildKit that dockerd 26.1 embeds). Only that failure is retried,
  # once, on a restarted dockerd, and only the failed e2e tests; any other failure stands.
  grep -Eq 'snapshot [a-z0-9]+ does not exist: not found' "$out" || { rm -f "$out"; exit 1; }
  mapfile -t failed < <(sed -n 's/^---- \(.*\) stdout ----$/\1/p' "$out")
  rm -f "$out"
  ((${#failed[@]} > 0)) || die "tests failed (BuildKit's lost-snapshot error among them) but none named"
  warn "BuildKit lost a snapshot (moby/buildkit#6808) under ${#failed[@]} failed tests: restarting dockerd, re-running them once"
  # For the record (the restart rotates the log): what dockerd said went wrong.
  grep -E 'level=(error|warning)' "${FLEET_STATE_DIR:-/var/lib/fleet-dev}/dockerd.log" | tail -n 30 >&2 || true
  FLEET_RESTART_DOCKERD=1 hack/dev-env.sh >&2
  retry_e2e "${failed[@]}"
fi
rm -f "$out"

if [[ ${E2E:-} == 1 && ${FLEET_SKIP_CLASSIC:-} != 1 ]]; then
  log "classic image store: the copy fallback when BuildKit lacks the mergeop cap"
  trap 'FLEET_IMAGE_STORE=containerd hack/dev-env.sh >&2' EXIT
  FLEET_IMAGE_STORE=classic hack/dev-env.sh >&2
  FLEET_GPU_E2E=0 cargo test --locked -p fleet-e2e --test e2e hello::hello_builds_runs_and_keeps_the_runtime_contract
fi
