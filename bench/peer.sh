#!/usr/bin/env bash
# The benchmark peer of examples/web: the same service as a multi-stage Dockerfile for BuildKit's
# built-in Dockerfile frontend, written into a temporary build directory at bench time.
#
# Why the Dockerfile text lives in this script and not in a committed file: the project rule is
# that `git ls-files` holds no Dockerfile (fleet-frontend builds images without any), but the peer
# of a benchmark against the Dockerfile frontend has to be one. So hack/bench.sh and
# hack/bench-deps.sh call this script, which writes OUT_DIR/Dockerfile, and nothing named
# Dockerfile is ever committed.
#
# Usage: bench/peer.sh OUT_DIR LLB_JSON [APP_DIR]
#   OUT_DIR    build directory to (re)write: Dockerfile, requirements.txt and app/ (when APP_DIR)
#   LLB_JSON   `fleet-frontend llb fleet.toml --target web --format json` of the same manifest and
#              lock, so both sides install the very same wheels from the very same hash-pinned
#              requirements file and get the same image config (env, user, ports, healthcheck)
#   APP_DIR    the app directory to copy to OUT_DIR/app
#
# What the peer does, step for step like fleet-frontend's LLB:
# - wheels: one `ADD --link --checksum=sha256:<locked> ${FLEET_ARTIFACT_MIRROR}<file> /` per wheel:
#   an HTTP source checked against the lock's sha256 and fetched by BuildKit from the same loopback
#   mirror, exactly what fleet-frontend emits (its HTTP sources + MergeOp). The other option, a
#   named context (`--build-context wheels=DIR`), would send the wheels through the client session
#   instead of HTTP, so downloads could not be compared; ADD --checksum is the comparable one.
# - deps: `pip install --no-index --no-deps --require-hashes --target ...` from those wheels and
#   the generated requirements (with --hash), bind mounts only, a pip cache mount, no network;
# - runtime: tini check, the install prefix and app/ copied with --link (layers reused, like
#   MergeOp), root-owned app, USER 10001:10001, ENV/EXPOSE/HEALTHCHECK/LABEL/ENTRYPOINT/CMD taken
#   from fleet-frontend's image config.
set -euo pipefail

[[ $# -ge 2 ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
out=$1 llb_json=$2 app=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tool=$here/benchtool.py
base=${FLEET_BASE_IMAGE:-localhost:5000/python:3.11-slim}

mkdir -p "$out"
python3 "$tool" llb-requirements "$llb_json" >"$out/requirements.txt"

# Everything variable in the Dockerfile, from fleet-frontend's own output.
adds=$(python3 "$tool" llb-wheels "$llb_json" | while read -r file sha _url; do
  # shellcheck disable=SC2016 # ${FLEET_ARTIFACT_MIRROR} is for the Dockerfile, not the shell
  printf 'ADD --link --checksum=sha256:%s ${FLEET_ARTIFACT_MIRROR}%s /\n' "$sha" "$file"
done)
runtime_config=$(python3 "$tool" peer-config "$llb_json")

cat >"$out/Dockerfile" <<EOF
# Written by bench/peer.sh for hack/bench.sh and hack/bench-deps.sh; never committed (the project
# keeps no Dockerfile in git). No "# syntax=" line: BuildKit's built-in Dockerfile frontend.

# The locked wheels: HTTP sources checked against the lock's sha256, from the loopback mirror.
FROM scratch AS wheels
ARG FLEET_ARTIFACT_MIRROR
$adds

# Offline, hash-checked install into a prefix; only the prefix reaches the image.
FROM $base AS deps
RUN --mount=type=cache,target=/root/.cache/pip \\
    --mount=type=bind,from=wheels,target=/fleet/wheels \\
    --mount=type=bind,source=requirements.txt,target=/fleet/req/requirements.txt \\
    PYTHONDONTWRITEBYTECODE=1 python3 -m pip install --no-index --no-deps --require-hashes \\
      --disable-pip-version-check --find-links /fleet/wheels --target /fleet/out/opt/fleet/site \\
      -r /fleet/req/requirements.txt

FROM $base
RUN test -x /usr/bin/tini && mkdir -p /app
COPY --link --from=deps /fleet/out/ /
COPY --link app/ /app/
$runtime_config
EOF

if [[ -n $app ]]; then
  rm -rf "$out/app"
  cp -a "$app" "$out/app"
fi
