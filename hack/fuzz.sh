#!/usr/bin/env bash
# hack/fuzz.sh [SECONDS]: runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60) and
# fails on any crash, OOM or timeout.
#
# - Installs cargo-fuzz $CARGO_FUZZ_VERSION from crates.io when it is missing or another version.
# - Only the stable toolchain exists here: RUSTC_BOOTSTRAP=1 lets it accept the -Z flags
#   (-Zsanitizer=address, ...) that cargo-fuzz passes. Builds keep debug assertions and overflow
#   checks (-a).
# - Seeds: examples/, llb-graphs/tests/golden/, tests/bad-inputs/ (manifest);
#   llb-graphs/tests/fixtures/lock/ with a format byte in front (lockfile); fuzz/seeds/options/;
#   fuzz/seeds/writers/.
#   fuzz/corpus/<target>/ keeps what libFuzzer finds between runs (git-ignored).
# - Limits: -max_total_time=SECONDS, -rss_limit_mb=2048, -timeout=10 (seconds per input);
#   -max_len=65536 for manifest and lockfile (libFuzzer's default of 4096 cannot reach deep
#   nesting or long marker chains, issue #11), the default for the others.
# - A crash lands in fuzz/artifacts/<target>/; copy it to fuzz/regressions/<target>/ under a
#   name that says what it is: `cargo test -p fleet-frontend --test bad_inputs` replays it.
# Env: FUZZ_TARGETS="manifest options" runs a subset. One target at a time (2-core machine).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

CARGO_FUZZ_VERSION=0.13.1
seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "usage: hack/fuzz.sh [SECONDS] (a positive integer)"
read -r -a targets <<<"${FUZZ_TARGETS:-manifest options lockfile writers}"
export RUSTC_BOOTSTRAP=1

if [[ $(cargo fuzz --version 2>/dev/null || true) != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

log "building ${targets[*]} (address sanitizer, debug assertions)"
build_log=$(mktemp)
cargo fuzz build -a >"$build_log" 2>&1 || {
  tail -n 40 "$build_log" >&2
  die "cargo fuzz build failed"
}
rm -f "$build_log"

seeds=$(mktemp -d)
logs=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT

# seed_lock FILE: the lockfile target reads one format byte, then the file.
seed_lock() {
  local f=$1 b
  case $(basename "$f") in
    uv.lock) b='\x02' ;;
    pylock*.toml) b='\x01' ;;
    *.txt | *.in) b='\x00' ;;
    *) return 0 ;;
  esac
  { printf '%b' "$b"; cat "$f"; } >"$seeds/lockfile/$(echo "$f" | tr '/' '_')"
}

mkdir -p "$seeds"/{manifest,options,lockfile,writers}
for f in examples/*/fleet.toml llb-graphs/tests/golden/*/fleet.toml tests/bad-inputs/*/fleet.toml; do
  [[ -f $f && $(stat -c %s "$f") -le 65536 ]] && cp "$f" "$seeds/manifest/$(echo "$f" | tr '/' '_')"
done
cp fuzz/seeds/options/* "$seeds/options/"
cp fuzz/seeds/writers/* "$seeds/writers/"
while IFS= read -r -d '' f; do seed_lock "$f"; done < <(find llb-graphs/tests/fixtures/lock -type f -print0)

# The binaries built above, run directly: `cargo fuzz run` would rebuild first, and a tree that
# changes mid-run would then be fuzzed (or fail to build) partway through.
bin_dir=${CARGO_TARGET_DIR:-fuzz/target}/x86_64-unknown-linux-gnu/release
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0}
failed=()
for t in "${targets[@]}"; do
  [[ -x $bin_dir/$t ]] || die "no fuzz binary $bin_dir/$t (unknown target?)"
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log "fuzzing $t for ${seconds}s ($(find "$seeds/$t" -type f | wc -l) seeds, $(find "fuzz/corpus/$t" -type f | wc -l) in corpus)"
  flags=()
  [[ -f fuzz/$t.dict ]] && flags=("-dict=fuzz/$t.dict")
  case $t in manifest | lockfile) flags+=("-max_len=65536") ;; esac
  marker=$(mktemp)
  if "$bin_dir/$t" -artifact_prefix="fuzz/artifacts/$t/" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 "${flags[@]}" "fuzz/corpus/$t" "$seeds/$t" >"$logs/$t.log" 2>&1; then
    execs=$(grep -m1 'stat::number_of_executed_units' "$logs/$t.log" | awk '{print $2}')
    rate=$(grep -m1 'stat::average_exec_per_sec' "$logs/$t.log" | awk '{print $2}')
    cov=$(grep -E '^#[0-9]+.*(DONE|pulse)' "$logs/$t.log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)
    log "$t: ok, ${execs:-?} execs in ${seconds}s (${rate:-?}/s), ${cov:-coverage n/a}"
  else
    failed+=("$t")
    warn "$t: FAILED; log tail:"
    tail -n 40 "$logs/$t.log" >&2
    new=$(find "fuzz/artifacts/$t" -type f -newer "$marker" | head -n 5 | tr '\n' ' ')
    if [[ -n $new ]]; then
      warn "$t: crash/oom/timeout input(s): $new"
      warn "reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run -a $t <input>; then copy it to"
      warn "fuzz/regressions/$t/<what-it-is> so \`cargo test -p fleet-frontend --test bad_inputs\` replays it"
    else
      warn "$t: libFuzzer failed without writing an input (see the log above)"
    fi
  fi
  rm -f "$marker"
done
log "logs: $logs"
((${#failed[@]} == 0)) || die "fuzz targets failed: ${failed[*]}"
log "all targets ran ${seconds}s each without a crash"
