#!/usr/bin/env bash
# Hash-pinned dependencies benchmark (issue #3), written into BENCHMARKS.md between marker
# comments: examples/web (15 locked wheels) built by fleet-frontend ("ours") and by the equivalent
# Dockerfile through BuildKit's built-in frontend ("peer", written by bench/peer.sh), interleaved
# A B A B on the same daemon, with the time and the bytes each build downloads.
#
# Usage: hack/bench-deps.sh
#
# Scenarios (RUNS timed runs per side, default 5):
#   cold      `docker builder prune -af`, then a build: every wheel is fetched
#   add-one   prune, build the lock without typing-inspection (untimed), then add it back (timed):
#             only that one wheel should be fetched, and only the install step re-run
# Bytes downloaded: the wheels that the loopback mirror (`python3 -m http.server`) answered with
# 200 during the build, from its access log, times their sizes in the wheel cache. Both sides fetch
# from the same mirror as checksummed HTTP sources (ours: FLEET_ARTIFACT_MIRROR; peer:
# `ADD --checksum=sha256:... ${FLEET_ARTIFACT_MIRROR}<wheel>`), so the counts compare directly.
#
# Environment: RUNS=5, BENCH_BUILD_TIMEOUT=600; logs in $FLEET_STATE_DIR/bench-logs/bench-deps/.
# Every build: --network=none. The cache prunes affect every build on the daemon.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=hack/lib.sh
source "$repo_root/hack/lib.sh"
# shellcheck source=bench/lib.sh
source "$repo_root/bench/lib.sh"

case ${1:-} in
  "") ;;
  -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

bench_init bench-deps
bench_preflight
bench_frontend
bench_prepare
BUILDS_PLANNED=$((6 * RUNS))
log "$BUILDS_PLANNED builds, RUNS=$RUNS; ours = $FE_REF, peer = built-in Dockerfile frontend"

log "scenario cold: docker builder prune -af before every build"
for ((i = 1; i <= RUNS; i++)); do
  for side in ours peer; do
    prune
    build "$side" cold "$i"
  done
done

log "scenario add-one: lock without $ADD_PKG built untimed after a prune, then $ADD_PKG added back"
for ((i = 1; i <= RUNS; i++)); do
  for side in ours peer; do
    set_lock "without:$ADD_PKG"
    prune
    build "$side" add-one "$i" setup
    set_lock full
    build "$side" add-one "$i"
  done
done

{
  echo "Written by \`hack/bench-deps.sh\` (RUNS=$RUNS; logs in \`$BENCH_LOGS\`)."
  echo
  machine_md
  echo
  echo "examples/web: $WHEEL_COUNT locked wheels, $(bt llb-wheels "$BENCH_WORK/full.json" | while read -r f _; do stat -c %s "$WHEELS/$f"; done | awk '{ s += $1 } END { printf "%d bytes (%.2f MiB)", s, s / 1048576 }') in all; $ADD_PKG's wheel is $(stat -c %s "$WHEELS/${ADD_PKG//-/_}"-*.whl | head -n 1) bytes. Medians of $RUNS interleaved runs per side:"
  echo
  bt report "$RESULTS" deps
  echo
  echo "\"unusual runs\": runs that show signs of another build on the same daemon at the same time (more rawjson vertices than usual, another number of steps run than usual, or, for ours, not exactly one frontend log line); they stay in the medians."
  echo
  bt steps "$RESULTS"
} | write_md deps
log "wrote the deps section of $BENCH_MD"
log "done in $((SECONDS - BENCH_START)) s"
