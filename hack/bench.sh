#!/usr/bin/env bash
# Benchmarks, written into BENCHMARKS.md (between marker comments; no hand-edited numbers).
#
# Usage: hack/bench.sh [all|llb|builds|stack]  (default: all = llb + builds)
#   llb      cargo bench -p llb-graphs: the scaling table (10..10,000 services), peak memory of the
#            10,000-service run, and the criterion medians (about 3 minutes)
#   builds   examples/web built side by side on the same daemon, interleaved A B A B:
#            ours   = fleet-frontend via --build-arg BUILDKIT_SYNTAX=<image pinned by digest>
#            peer   = the equivalent multi-stage Dockerfile via BuildKit's built-in frontend
#                     (written by bench/peer.sh at bench time; no Dockerfile is committed)
#            scenarios: cold (after `docker builder prune -af`), warm no-op rebuild, code-only change
#            (app/main.py edited), one-wheel version change (idna 3.19 -> 3.20: the build cache is
#            pruned, the old lock built untimed, then the new lock timed). Medians, ours/peer.
#            Also the frontend image size and the frontend's own time inside each build.
#   stack    bench/stack (45 packages locked by uv) built by ours, a pip Dockerfile and uv's
#            documented Docker pattern, side by side: see bench/stack.sh (STACK_RUNS,
#            STACK_SCENARIOS; "cold" prunes the build cache and is opt-in)
#
# Environment:
#   RUNS=5                   timed runs per scenario and side (at least 5 for the report)
#   BENCH_BUILD_TIMEOUT=600  seconds per build
#   FLEET_STATE_DIR, DOCKER, ...  as in hack/lib.sh; logs go to $FLEET_STATE_DIR/bench-logs/bench/
#
# The wheels come from a loopback `python3 -m http.server` over the wheel cache
# ($FLEET_STATE_DIR/wheels, filled from PyPI on first use, like tests/e2e/deps.rs); both sides fetch
# them as checksummed HTTP sources from it (FLEET_ARTIFACT_MIRROR). Every build: --network=none.
# The script prunes the daemon's whole build cache (`docker builder prune -af`) for the cold and
# dependency scenarios: other builds on the same daemon lose their cache too.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
# shellcheck source=hack/lib.sh
source "$repo_root/hack/lib.sh"
# shellcheck source=bench/lib.sh
source "$repo_root/bench/lib.sh"
# shellcheck source=bench/stack.sh
source "$repo_root/bench/stack.sh"

phase=${1:-all}
case $phase in
  all | llb | builds | stack) ;;
  -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 0 ;;
  *) die "unknown phase '$phase' (all, llb, builds or stack)" ;;
esac

bench_init bench

run_llb() {
  local criterion=${CARGO_TARGET_DIR:-$repo_root/target}/criterion
  log "cargo bench -p llb-graphs --bench scaling (about 30 s)"
  cargo bench -q -p llb-graphs --bench scaling 2>"$BENCH_LOGS/scaling.err" | tee "$BENCH_LOGS/scaling.txt" >&2
  log "cargo bench -p llb-graphs --bench lower (about 2 minutes)"
  rm -rf "$criterion/pipeline" "$criterion/one_target" "$criterion/marshal" "$criterion/validate" "$criterion/lock"
  cargo bench -q -p llb-graphs --bench lower >"$BENCH_LOGS/criterion.txt" 2>&1 ||
    die "criterion failed; see $BENCH_LOGS/criterion.txt"
  {
    echo "Written by \`hack/bench.sh llb\`."
    echo
    machine_md
    echo
    bt llb-tables "$BENCH_LOGS/scaling.txt" "$criterion"
  } | write_md llb
  log "wrote the llb section of $BENCH_MD"
}

# Sizes of the frontend image, from the OCI layout hack/frontend-image.sh wrote.
frontend_size_md() {
  local layout=$FLEET_STATE_DIR/frontend-oci manifest layer layer_size config_size tar_size bin_size
  manifest=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$layout/index.json" | head -n 1 | cut -d'"' -f4)
  manifest=$layout/blobs/sha256/${manifest#sha256:}
  config_size=$(grep -o '"config":{[^}]*}' "$manifest" | grep -o '"size":[0-9]*' | cut -d: -f2)
  layer=$(grep -o '"layers":\[{[^}]*}' "$manifest" | grep -o 'sha256:[0-9a-f]*')
  layer_size=$(stat -c %s "$layout/blobs/sha256/${layer#sha256:}")
  tar_size=$(gzip -dc "$layout/blobs/sha256/${layer#sha256:}" | wc -c)
  bin_size=$(gzip -dc "$layout/blobs/sha256/${layer#sha256:}" | tar -tv | awk '{ s += $3 } END { print s }')
  echo "| Frontend image (\`$FE_REF\`) | bytes | MiB |"
  echo "|---|---|---|"
  awk -v b="$bin_size" -v t="$tar_size" -v l="$layer_size" -v c="$config_size" -v m="$(stat -c %s "$manifest")" 'BEGIN {
    printf "| binary, uncompressed (files in the layer) | %d | %.2f |\n", b, b / 1048576
    printf "| layer tar, uncompressed | %d | %.2f |\n", t, t / 1048576
    printf "| layer, compressed (what a cold build pulls) | %d | %.2f |\n", l, l / 1048576
    printf "| config + manifest | %d | %.3f |\n", c + m, (c + m) / 1048576
  }'
  echo
  echo "The peer's frontend is built into BuildKit: nothing to pull."
}

image_sizes_md() {
  local ours peer
  if "$DOCKER" image inspect fleet-bench/web:ours >"$BENCH_WORK/ours.inspect" 2>/dev/null &&
    "$DOCKER" image inspect fleet-bench/web:peer >"$BENCH_WORK/peer.inspect" 2>/dev/null; then
    bt config-diff "$BENCH_WORK/ours.inspect" "$BENCH_WORK/peer.inspect"
    echo
  fi
  ours=$("$DOCKER" image inspect --format '{{.Size}}' fleet-bench/web:ours 2>/dev/null || echo 0)
  peer=$("$DOCKER" image inspect --format '{{.Size}}' fleet-bench/web:peer 2>/dev/null || echo 0)
  awk -v o="$ours" -v p="$peer" 'BEGIN {
    printf "Built images (`docker image inspect .Size`, last build): ours %.1f MB, peer %.1f MB.\n", o / 1e6, p / 1e6 }'
}

run_builds() {
  local i
  bench_preflight
  bench_frontend
  bench_prepare
  BUILDS_PLANNED=$((10 * RUNS + 2))
  log "$BUILDS_PLANNED builds, RUNS=$RUNS; ours = $FE_REF, peer = built-in Dockerfile frontend"

  log "scenario cold: docker builder prune -af before every build"
  for ((i = 1; i <= RUNS; i++)); do
    prune
    build ours cold "$i"
    prune
    build peer cold "$i"
  done

  log "scenario warm: no change (after one untimed build per side)"
  build ours warm 0 setup
  build peer warm 0 setup
  for ((i = 1; i <= RUNS; i++)); do
    build ours warm "$i"
    build peer warm "$i"
  done

  log "scenario code: one line added to app/main.py, the same on both sides"
  for ((i = 1; i <= RUNS; i++)); do
    edit_app "$i"
    build ours code "$i"
    build peer code "$i"
  done

  log "scenario wheel: $SWAP_PKG $SWAP_VER -> the locked version; cache pruned, old lock built untimed first"
  for ((i = 1; i <= RUNS; i++)); do
    for side in ours peer; do
      set_lock swap
      prune
      build "$side" wheel "$i" setup
      set_lock full
      build "$side" wheel "$i"
    done
  done

  {
    echo "Written by \`hack/bench.sh builds\` (RUNS=$RUNS; logs in \`$BENCH_LOGS\`)."
    echo
    machine_md
    echo
    echo "Wall time of \`docker buildx build\` (client start to exit, image exported to the image store with \`-t\`), medians of $RUNS interleaved runs per side:"
    echo
    bt report "$RESULTS" builds
    echo
    echo "\"unusual runs\": runs that show signs of another build on the same daemon at the same time (more rawjson vertices than usual, another number of steps run than usual, or, for ours, not exactly one frontend log line); they stay in the medians."
    echo
    echo "\"steps run\": vertices that executed rather than came from the cache (\`--progress=rawjson\`, \`[internal]\` and image-config resolution left out), as the set of counts seen over the runs."
    echo
    bt steps "$RESULTS"
    echo
    frontend_size_md
    echo
    image_sizes_md
  } | write_md builds
  log "wrote the builds section of $BENCH_MD"
}

if [[ $phase == stack ]]; then
  run_stack
else
  [[ $phase == builds ]] || run_llb
  [[ $phase == llb ]] || run_builds
fi
log "done in $((SECONDS - BENCH_START)) s"
