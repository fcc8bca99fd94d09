# shellcheck shell=bash
# shellcheck disable=SC2154 # bench_root, BENCH_WORK, FE_BIN, ...: set by bench/lib.sh, sourced first
# `hack/bench.sh stack`: the benchmark stack (bench/stack, 45 packages locked by uv) built three
# ways on one daemon, interleaved: ours (fleet-frontend, wheels as checksummed HTTP sources from
# PyPI, installed by uv in groups), the usual pip Dockerfile and uv's documented Docker pattern
# (both written by bench/stack-peers.sh into a temp dir; they download inside a RUN step with
# --network=host and the CA bundle as a secret). Source hack/lib.sh and bench/lib.sh first.
#
# Scenarios (STACK_SCENARIOS, default "warm code lock push"; "cold" prunes the daemon's whole build
# cache before every build, so it is opt-in: never on a daemon others use):
#   cold   `docker builder prune -af`, then build
#   warm   no change; also the uv Dockerfile through the Dockerfile frontend image (uvx:
#          hack/dockerfile-frontend.sh, or STACK_DF_REF), the yardstick of a `# syntax=` frontend
#   code   one line added to app/main.py on every side (uvx: a line of its own); also uvx
#   lock   one small package added to pyproject.toml and `uv lock` (a new one each run), untimed;
#          then each side builds the new lock (the pip side from `uv export` of it)
#   push   each side's image pushed to the loopback registry as service A, then a second service
#          (bench/stack/app-b: the same lock, its own code) built and pushed after it, into its own
#          repository: what `docker push` uploaded for B ("Pushed", not "Mounted from" or
#          "exists"), in bytes, and how much of that is layers B shares with A (dependencies)
STACK_RUNS=${STACK_RUNS:-3}
STACK_SCENARIOS=${STACK_SCENARIOS:-warm code lock push}
STACK_CA=${STACK_CA:-/etc/ssl/certs/ca-certificates.crt}
# Small pure-Python packages, one added per lock run.
STACK_ADD=(six toolz tabulate wrapt attrs itsdangerous cachetools decorator)

stack_prepare() {
  command -v uv >/dev/null || die "the stack bench needs uv on the host (pip install uv)"
  STACK=$BENCH_WORK/stack
  PEERS=$BENCH_WORK/peers
  STACK_RESULTS=$BENCH_LOGS/stack.tsv
  STACK_PUSHES=$BENCH_LOGS/stack-push.tsv
  printf 'scenario\tside\trun\trc\tseconds\n' >"$STACK_RESULTS"
  printf 'scenario\tside\trun\tbytes\tshared_bytes\tlayers_pushed\tlayers\n' >"$STACK_PUSHES"
  mkdir -p "$STACK"
  cp -a "$bench_root/bench/stack/." "$STACK/"
  "$FE_BIN" llb "$STACK/fleet.toml" --target stack --format json >"$BENCH_WORK/stack.json" ||
    die "fleet-frontend llb failed on bench/stack"
  read -r UV_FILE UV_SHA UV_URL < <(bt llb-uv "$BENCH_WORK/stack.json")
  stack_peers
  STACK_DF_REF=${STACK_DF_REF:-$("$bench_root/hack/dockerfile-frontend.sh" | tail -n 1)}
}

# The peers' Dockerfile dirs; uvx (the uv Dockerfile through the frontend image) gets a copy of
# uv's, so that its code edits are its own and never hit the cache of uv's build.
stack_peers() {
  "$bench_root/bench/stack-peers.sh" "$PEERS" "$STACK" "$UV_FILE" "$UV_SHA" "$UV_URL"
  rm -rf "$PEERS/uvx" && cp -a "$PEERS/uv" "$PEERS/uvx"
}

# side_args SIDE TARGET DIR: NUL-separated buildx arguments that pick SIDE's definition: ours
# builds TARGET of bench/stack offline; a peer builds DIR/Dockerfile (PyPI through the CA secret).
side_args() {
  local side=$1 target=$2 dir=$3
  case $side in
    ours) printf '%s\0' --network=none -f "$STACK/fleet.toml" --target "$target" --build-arg "BUILDKIT_SYNTAX=$FE_REF" "$STACK" ;;
    uv | pip) printf '%s\0' --network=host --secret "id=ca,src=$STACK_CA" -f "$dir/Dockerfile" "$dir" ;;
    # The same uv Dockerfile through the Dockerfile frontend *image*, as `# syntax=` selects it.
    uvx) printf '%s\0' --network=host --secret "id=ca,src=$STACK_CA" --build-arg "BUILDKIT_SYNTAX=$STACK_DF_REF" \
      -f "$dir/Dockerfile" "$dir" ;;
    *) die "unknown bench side '$side'" ;;
  esac
}

# stack_build SIDE SCENARIO RUN [setup]
stack_build() {
  local side=$1 scenario=$2 run=$3 kind=${4:-timed} t0 t1 rc=0 secs
  local log=$BENCH_LOGS/stack-$scenario-$side-$run${kind/timed/}.txt
  local -a args=(buildx build --progress=plain -t "fleet-bench/stack:$side" --iidfile "$BENCH_WORK/iid") more
  mapfile -d '' -t more < <(side_args "$side" stack "$PEERS/$side")
  args+=("${more[@]}")
  t0=$(date +%s%N)
  timeout "$BENCH_BUILD_TIMEOUT" "$DOCKER" "${args[@]}" >"$log" 2>&1 || rc=$?
  t1=$(date +%s%N)
  [[ ! -s $BENCH_WORK/iid ]] || { cat "$BENCH_WORK/iid"; echo; } >>"$BENCH_IIDS"
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  ((rc == 0)) || { warn "stack $scenario $side $run: build failed (rc $rc); see $log"; tail -n 5 "$log" >&2; }
  log "$(printf 'stack %-5s %-4s %s%s %8.2f s' "$scenario" "$side" "$run" "${kind/timed/}" "$secs")"
  [[ $kind != timed ]] || printf '%s\t%s\t%s\t%s\t%s\n' "$scenario" "$side" "$run" "$rc" "$secs" >>"$STACK_RESULTS"
}

# stack_build_b SIDE RUN: the second service (bench/stack/app-b) as fleet-bench/stack-b:SIDE.
stack_build_b() {
  local side=$1 run=$2 log=$BENCH_LOGS/stack-push-$1-$2-b.txt rc=0
  local -a args=(buildx build --progress=plain -t "fleet-bench/stack-b:$side") more
  if [[ $side != ours ]]; then
    # A peer's second service: its Dockerfile dir with app-b as the app.
    rm -rf "$PEERS/$side-b" && cp -a "$PEERS/$side" "$PEERS/$side-b"
    rm -rf "$PEERS/$side-b/app" && cp -a "$STACK/app-b" "$PEERS/$side-b/app"
  fi
  mapfile -d '' -t more < <(side_args "$side" stack-b "$PEERS/$side-b")
  args+=("${more[@]}")
  timeout "$BENCH_BUILD_TIMEOUT" "$DOCKER" "${args[@]}" >"$log" 2>&1 || rc=$?
  ((rc == 0)) || die "stack push $side $run: the second service failed to build (rc $rc); see $log"
}

# stack_push SIDE RUN: pushes A then B into fresh repositories of the loopback registry; one
# "push SIDE RUN bytes_pushed shared_bytes_pushed layers_pushed layers" line into $STACK_PUSHES.
stack_push() {
  local side=$1 run=$2 repo="$FLEET_REGISTRY/fleet-bench-push-$$-$2" log=$BENCH_LOGS/stack-push-$1-$2.txt
  # B's own code is new to the registry on every run, as a real second service's is; only the
  # layers it shares with A may be found there already.
  printf '# push %s %s %s\n' "$side" "$run" "$RANDOM$RANDOM$RANDOM" >>"$STACK/app-b/main.py"
  stack_build_b "$side" "$run"
  "$DOCKER" tag "fleet-bench/stack:$side" "$repo/$side-a:1"
  "$DOCKER" tag "fleet-bench/stack-b:$side" "$repo/$side-b:1"
  "$DOCKER" push "$repo/$side-a:1" >"$log.a" 2>&1 || die "push of $repo/$side-a failed; see $log.a"
  "$DOCKER" push "$repo/$side-b:1" >"$log" 2>&1 || die "push of $repo/$side-b failed; see $log"
  local a b
  a=$(registry_manifest "fleet-bench-push-$$-$run/$side-a" 1) b=$(registry_manifest "fleet-bench-push-$$-$run/$side-b" 1)
  jq -rn --arg side "$side" --arg run "$run" --argjson a "$a" --argjson b "$b" --rawfile log "$log" '
    [$log | scan("(?m)^([0-9a-f]{12}): Pushed") | .[0]] as $pushed
    | [$a.layers[].digest] as $shared
    | [$b.layers[] | select((.digest[7:19]) as $id | $pushed | index($id))] as $up
    | "push\t\($side)\t\($run)\t\([$up[].size] | add // 0)\t\([$up[] | select(.digest as $d | $shared | index($d)) | .size] | add // 0)\t\($up | length)\t\($b.layers | length)"' >>"$STACK_PUSHES"
  log "$(tail -n 1 "$STACK_PUSHES")"
}

# registry_manifest REPO TAG: the linux/amd64 image manifest JSON the loopback registry serves
# (`docker push` from the containerd store pushes an index: the image and its attestation).
registry_manifest() {
  local m digest
  m=$(curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "$FLEET_REGISTRY_URL/v2/$1/manifests/$2")
  digest=$(jq -r 'if .manifests then [.manifests[] | select(.platform.os == "linux" and .platform.architecture == "amd64")][0].digest else empty end' <<<"$m")
  if [[ -n $digest ]]; then registry_manifest "$1" "$digest"; else printf '%s\n' "$m"; fi
}

# stack_all SCENARIO RUN [setup]: every side; uvx (the frontend image) in the warm and code
# scenarios, the yardstick of a `# syntax=` frontend (a lock change it would solve as uv did).
stack_all() {
  local side
  for side in ours uv pip; do stack_build "$side" "$@"; done
  [[ $1 != warm && $1 != code ]] || stack_build uvx "$@"
}

stack_add_package() {
  local pkg=$1
  python3 - "$STACK/pyproject.toml" "$pkg" <<'EOF'
import sys
path, pkg = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines(True)
for i, line in enumerate(lines):
    # The one-line dependency list: its last "]" closes it ("uvicorn[standard]" has one too).
    if line.startswith("dependencies = ["):
        lines[i] = line.rstrip()[:-1] + ', "%s"]\n' % pkg
open(path, "w").write("".join(lines))
EOF
  (cd "$STACK" && UV_NATIVE_TLS=1 uv lock -q) || die "uv lock with $pkg failed"
  stack_peers
}

stack_edit_app() {
  local line="# bench edit $1 $RANDOM$RANDOM" side
  printf '%s\n' "$line" >>"$STACK/app/main.py"
  for side in uv pip; do printf '%s\n' "$line" >>"$PEERS/$side/app/main.py"; done
  printf '%s uvx\n' "$line" >>"$PEERS/uvx/app/main.py"
}

run_stack() {
  local i scenario side
  bench_preflight
  bench_frontend
  stack_prepare
  log "stack: scenarios $STACK_SCENARIOS, STACK_RUNS=$STACK_RUNS; ours = $FE_REF"
  for scenario in $STACK_SCENARIOS; do
    case $scenario in
      cold) for ((i = 1; i <= STACK_RUNS; i++)); do
        for side in ours uv pip; do prune; stack_build "$side" cold "$i"; done
      done ;;
      warm) stack_all warm 0 setup
        for ((i = 1; i <= STACK_RUNS; i++)); do stack_all warm "$i"; done ;;
      code) for ((i = 1; i <= STACK_RUNS; i++)); do stack_edit_app "$i"; stack_all code "$i"; done ;;
      lock) stack_all lock 0 setup
        for ((i = 1; i <= STACK_RUNS; i++)); do stack_add_package "${STACK_ADD[i - 1]}"; stack_all lock "$i"; done ;;
      push) for side in ours uv pip; do stack_build "$side" push 1 setup; stack_push "$side" 1; done ;;
      *) die "unknown stack scenario $scenario" ;;
    esac
  done
  {
    echo "Written by \`hack/bench.sh stack\` (STACK_RUNS=$STACK_RUNS, scenarios: $STACK_SCENARIOS; logs in \`$BENCH_LOGS\`)."
    echo
    machine_md
    echo
    echo "bench/stack: $(grep -c '^\[\[package' "$bench_root/bench/stack/uv.lock") packages in uv.lock (the project itself among them). Wall time of \`docker buildx build -t\` (into the image store), medians; ours = fleet-frontend, pip = \`pip install --require-hashes\` Dockerfile, uv = \`uv sync --locked --no-install-project\` Dockerfile (bench/stack-peers.sh):"
    echo
    bt stack-report "$STACK_RESULTS"
    echo
    [[ $(wc -l <"$STACK_PUSHES") -le 1 ]] || bt stack-push-report "$STACK_PUSHES"
    for side in ours uv pip; do
      "$DOCKER" image inspect --format "- $side image: {{.Size}} bytes, {{len .RootFS.Layers}} layers" "fleet-bench/stack:$side" 2>/dev/null || true
    done
  } | write_md stack
  log "wrote the stack section of $BENCH_MD"
}
