# shellcheck shell=bash disable=SC2034  # (variables here are read by the scripts that source it)
# Shared by hack/bench.sh and hack/bench-deps.sh: the web workload built two ways on the same
# daemon — "ours" (fleet-frontend through BUILDKIT_SYNTAX) and "peer" (a Dockerfile through the
# built-in frontend, written by bench/peer.sh) — with the locked wheels served from a loopback
# `python3 -m http.server`. Source hack/lib.sh first, then this file.
#
# Every build: --network=none, --progress=rawjson (kept in $BENCH_LOGS), never --sbom.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_TOOL=$bench_root/bench/benchtool.py
RUNS=${RUNS:-5}
BENCH_BUILD_TIMEOUT=${BENCH_BUILD_TIMEOUT:-600} # seconds, per build
WHEELS=${FLEET_WHEEL_CACHE:-$FLEET_STATE_DIR/wheels}
BENCH_MD=${BENCH_MD:-$bench_root/BENCHMARKS.md}

# The one-wheel version change of hack/bench.sh: idna 3.19 -> 3.20 (the lock has 3.20). A real
# wheel, fetched once from PyPI into the wheel cache like the lock's own wheels.
SWAP_PKG=idna
SWAP_VER=3.19
SWAP_FILE=idna-3.19-py3-none-any.whl
SWAP_SHA=815e7be7a7806d54abb586dc943addc79e8b2ee16915059658cbeff4b1b43bf4
SWAP_SIZE=68550
SWAP_URL=https://files.pythonhosted.org/packages/57/b0/0e52c878c53f245edd3a11020f20979b3f490f245af532c7cae3027754b5/idna-3.19-py3-none-any.whl
# The one-wheel addition of hack/bench-deps.sh (the same leaf package as tests/e2e/deps.rs).
ADD_PKG=typing-inspection

bt() { python3 "$BENCH_TOOL" "$@"; }

# bench_init NAME: lock, work and log directories, cleanup on exit.
bench_init() {
  BENCH_NAME=$1
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS=$RUNS is not a positive number"
  mkdir -p "$FLEET_STATE_DIR"
  # Both scripts prune the build cache: never two at once.
  exec 9>"$FLEET_STATE_DIR/bench.lock"
  flock -n 9 || die "another hack/bench*.sh holds $FLEET_STATE_DIR/bench.lock"
  BENCH_WORK=$(mktemp -d "/tmp/fleet-bench-$BENCH_NAME.XXXXXX")
  BENCH_LOGS=$FLEET_STATE_DIR/bench-logs/$BENCH_NAME
  rm -rf "$BENCH_LOGS"
  mkdir -p "$BENCH_LOGS"
  RESULTS=$BENCH_LOGS/results.tsv
  printf 'scenario\tside\trun\trc\tseconds\tfrontend_ms\tfiles\tbytes\tvertices\tcached\texecuted\tinstall_s\tsteps\n' >"$RESULTS"
  BENCH_IIDS=$BENCH_WORK/iids
  : >"$BENCH_IIDS"
  MIRROR_PID=
  BUILDS_DONE=0
  BUILDS_T0=
  BENCH_START=$SECONDS
  LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local rc=$?
  [[ -z $MIRROR_PID ]] || { kill "$MIRROR_PID" 2>/dev/null; wait "$MIRROR_PID" 2>/dev/null; } || true
  # Images this run made: drop our tags, then the image ids (untagged ones go; others stay).
  "$DOCKER" image rm fleet-bench/web:ours fleet-bench/web:peer >/dev/null 2>&1 || true
  if [[ -s $BENCH_IIDS ]]; then
    sort -u "$BENCH_IIDS" | xargs -r "$DOCKER" image rm >/dev/null 2>&1 || true
  fi
  rm -rf "$BENCH_WORK"
  return $rc
}

bench_preflight() {
  docker_up || die "dockerd is not answering (hack/dev-env.sh starts it)"
  registry_up || die "no registry at $FLEET_REGISTRY_URL (hack/dev-env.sh starts it)"
  command -v python3 >/dev/null || die "python3 is needed (mirror and reports)"
  "$DOCKER" buildx version >/dev/null || die "docker buildx is missing"
}

# The frontend image (built and pushed by hack/frontend-image.sh; its last line is the ref) and
# the same binary for `llb` (HTTP source URLs, requirements and image config for the peer).
bench_frontend() {
  if [[ -n ${BENCH_FRONTEND_REF:-} ]]; then
    # An image hack/frontend-image.sh pushed before, with its binary still in the target dir.
    FE_REF=$BENCH_FRONTEND_REF
  else
    log "building and pushing the frontend image (hack/frontend-image.sh)"
    FE_REF=$("$bench_root/hack/frontend-image.sh" | tail -n 1)
  fi
  [[ $FE_REF == */fleet-frontend@sha256:* ]] || die "hack/frontend-image.sh printed '$FE_REF'"
  FE_BIN=${CARGO_TARGET_DIR:-$bench_root/target}/x86_64-unknown-linux-gnu/release/fleet-frontend
  [[ -x $FE_BIN ]] || die "no frontend binary at $FE_BIN"
  log "frontend: $FE_REF"
}

# fetch_wheel FILE SHA256 URL: into the wheel cache unless already there (PyPI, on the host).
fetch_wheel() {
  local file=$1 sha=$2 url=$3
  if [[ -f $WHEELS/$file ]] && [[ $(sha256sum "$WHEELS/$file" | cut -d' ' -f1) == "$sha" ]]; then
    return
  fi
  log "downloading $file into $WHEELS"
  curl -fsSL --retry 3 -o "$WHEELS/$file.part" "$url" || die "download of $url failed"
  [[ $(sha256sum "$WHEELS/$file.part" | cut -d' ' -f1) == "$sha" ]] || die "$file: sha256 mismatch"
  mv -f "$WHEELS/$file.part" "$WHEELS/$file"
}

# The two build directories, the wheel cache and the mirror.
bench_prepare() {
  OURS=$BENCH_WORK/ours
  PEER=$BENCH_WORK/peer
  mkdir -p "$OURS" "$WHEELS"
  cp -a "$bench_root/examples/web/." "$OURS/"
  cp "$OURS/uv.lock" "$BENCH_WORK/uv.lock.full"
  "$FE_BIN" llb "$OURS/fleet.toml" --target web --format json >"$BENCH_WORK/full.json" ||
    die "fleet-frontend llb failed on examples/web"
  local file sha url n=0
  while read -r file sha url; do
    fetch_wheel "$file" "$sha" "$url"
    n=$((n + 1))
  done < <(bt llb-wheels "$BENCH_WORK/full.json")
  ((n > 0)) || die "no HTTP sources in the web LLB"
  fetch_wheel "$SWAP_FILE" "$SWAP_SHA" "$SWAP_URL"
  WHEEL_COUNT=$n
  "$bench_root/bench/peer.sh" "$PEER" "$BENCH_WORK/full.json" "$OURS/app"
  mirror_start
}

mirror_start() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  MIRROR_LOG=$BENCH_LOGS/mirror.log
  python3 -u -m http.server --bind 127.0.0.1 "$port" --directory "$WHEELS" >/dev/null 2>"$MIRROR_LOG" &
  MIRROR_PID=$!
  MIRROR=http://127.0.0.1:$port/
  wait_until 10 curl -fsS --noproxy '*' -o /dev/null "$MIRROR" || die "the wheel mirror did not start"
  log "wheel mirror $MIRROR (pid $MIRROR_PID) serving $WHEELS"
}

# set_lock full | without:PKG | swap: rewrites both sides' dependency inputs. Ours gets the lock;
# the peer gets the Dockerfile and requirements.txt regenerated from ours' LLB of that lock.
set_lock() {
  local variant=$1 lock=$BENCH_WORK/uv.lock.full
  case $variant in
    full) cp "$lock" "$OURS/uv.lock" ;;
    without:*) bt lock-without "${variant#without:}" "$lock" >"$OURS/uv.lock" ;;
    swap) bt lock-with-version "$SWAP_PKG" "$SWAP_VER" "$SWAP_FILE" "$SWAP_SHA" "$SWAP_SIZE" "$SWAP_URL" "$lock" \
      >"$OURS/uv.lock" ;;
    *) die "unknown lock variant $variant" ;;
  esac
  "$FE_BIN" llb "$OURS/fleet.toml" --target web --format json >"$BENCH_WORK/cur.json" ||
    die "fleet-frontend llb failed with lock variant $variant"
  "$bench_root/bench/peer.sh" "$PEER" "$BENCH_WORK/cur.json"
}

# edit_app TAG: the same code-only change on both sides (a new line in app/main.py).
edit_app() {
  local line="# bench edit $1 $RANDOM$RANDOM"
  printf '%s\n' "$line" >>"$OURS/app/main.py"
  printf '%s\n' "$line" >>"$PEER/app/main.py"
  cmp -s "$OURS/app/main.py" "$PEER/app/main.py" || die "the two app copies differ"
}

prune() { "$DOCKER" builder prune -af >/dev/null; }

# build SIDE SCENARIO RUN [setup]: one build; a timed one appends a row to $RESULTS.
build() {
  local side=$1 scenario=$2 run=$3 kind=${4:-timed}
  local tag=$scenario-$side-$run${kind/timed/}
  local progress=$BENCH_LOGS/$tag.rawjson off mline t0 t1 rc=0 secs fe fetched summary
  local -a args=(buildx build --progress=rawjson --network=none --iidfile "$BENCH_WORK/iid"
    --build-arg "FLEET_ARTIFACT_MIRROR=$MIRROR" -t "fleet-bench/web:$side")
  case $side in
    ours) args+=(-f "$OURS/fleet.toml" --target web --build-arg "BUILDKIT_SYNTAX=$FE_REF" "$OURS") ;;
    # No BUILDKIT_SYNTAX and no "# syntax=" line: BuildKit's built-in Dockerfile frontend.
    peer) args+=(-f "$PEER/Dockerfile" "$PEER") ;;
  esac
  BUILDS_T0=${BUILDS_T0:-$SECONDS} # the ETA counts build time only (not cargo or the frontend image)
  off=$(stat -c %s "$FLEET_STATE_DIR/dockerd.log" 2>/dev/null || echo 0)
  mline=$(wc -l <"$MIRROR_LOG")
  rm -f "$BENCH_WORK/iid"
  t0=$(date +%s%N)
  timeout "$BENCH_BUILD_TIMEOUT" "$DOCKER" "${args[@]}" >"$progress" 2>&1 || rc=$?
  t1=$(date +%s%N)
  if [[ -s $BENCH_WORK/iid ]]; then
    cat "$BENCH_WORK/iid" >>"$BENCH_IIDS"
    echo >>"$BENCH_IIDS"
  fi
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  BUILDS_DONE=$((BUILDS_DONE + 1))
  if ((rc != 0)); then
    warn "$tag: build failed (rc $rc); last lines of $progress:"
    tail -n 5 "$progress" >&2
  fi
  [[ $kind == timed ]] || { progress_line "$tag" "$secs"; return 0; }
  fe=NA
  if [[ $side == ours ]]; then
    # The frontend's stderr reaches the dockerd log a moment after the CLI returns.
    fe=$(bt frontend-ms "$FLEET_STATE_DIR/dockerd.log" "$off")
    [[ $fe != NA ]] || { sleep 0.5; fe=$(bt frontend-ms "$FLEET_STATE_DIR/dockerd.log" "$off"); }
  fi
  fetched=$(bt fetched "$MIRROR_LOG" "$mline" "$WHEELS")
  summary=$(bt rawjson "$progress")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$side" "$run" "$rc" "$secs" "$fe" \
    "$(cut -f1,2 <<<"$fetched")" "$summary" >>"$RESULTS"
  progress_line "$tag" "$secs"
}

# progress_line TAG SECONDS: what just ran and the ETA from the average build so far.
progress_line() {
  local elapsed=$((SECONDS - BUILDS_T0)) left=$((BUILDS_PLANNED - BUILDS_DONE))
  local eta=$((BUILDS_DONE > 0 ? elapsed * left / BUILDS_DONE : 0))
  log "$(printf '%-22s %7.2f s   [%d/%d builds, %dm%02ds elapsed, ETA ~%dm%02ds]' "$1" "$2" \
    "$BUILDS_DONE" "$BUILDS_PLANNED" $((elapsed / 60)) $((elapsed % 60)) $((eta / 60)) $((eta % 60)))"
}

# The machine, for the report.
machine_md() {
  local mem cpu
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  # shellcheck disable=SC2016 # backquotes are Markdown
  printf -- '- machine: %s CPUs (`nproc`), %s, %s; kernel %s\n' "$(nproc)" "${cpu:-unknown CPU}" "$mem" "$(uname -r)"
  printf -- '- docker %s (server %s, %s), %s\n' \
    "$("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null)" \
    "$("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null)" \
    "$("$DOCKER" info --format '{{.Driver}} storage, {{range .DriverStatus}}{{if eq (index . 0) "driver-type"}}{{index . 1}}{{end}}{{end}}' 2>/dev/null)" \
    "$("$DOCKER" buildx version 2>/dev/null | awk '{ print "buildx " $2 }')"
  printf -- '- load average at start %s, at end %s (shared machine: other builds and tests may run on the same daemon)\n' \
    "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC2016
  printf -- '- git: %s%s%s\n' "$(git -C "$bench_root" rev-parse --short=12 HEAD)" \
    "$([[ -z $(git -C "$bench_root" status --porcelain --untracked-files=no) ]] || echo ' (dirty tree)')" \
    "${FE_REF:+; frontend \`$FE_REF\`}"
}

# write_md SECTION: stdin replaces the text between the section's markers in BENCHMARKS.md.
write_md() { bt write-section "$BENCH_MD" "$1"; }
