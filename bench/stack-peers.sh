#!/usr/bin/env bash
# The two peers of the benchmark stack (bench/stack), written into a temporary directory at bench
# time: the usual pip Dockerfile and uv's documented Docker pattern. No Dockerfile is committed
# (see bench/peer.sh for why this text lives in a script).
#
# Usage: bench/stack-peers.sh OUT_DIR STACK_DIR UV_FILE UV_SHA256 UV_URL
#   OUT_DIR     gets pip/ and uv/, each a build directory with its Dockerfile, inputs and app/
#   STACK_DIR   a copy of bench/stack (pyproject.toml, uv.lock, app/), maybe with a changed lock
#   UV_*        the uv wheel fleet-frontend pins (from its LLB), so both uv sides run one uv
#
# - pip: `pip install --require-hashes -r requirements.txt` (exported from the same uv.lock by
#   `uv export --frozen`) behind a pip cache mount, downloading from PyPI in the step;
# - uv: `uv sync --locked --no-install-project` behind a uv cache mount with UV_LINK_MODE=copy
#   (docs.astral.sh/uv/guides/integration/docker). The uv binary comes from the pinned wheel by
#   ADD --checksum and a zipfile unpack (ghcr.io's uv image is out of reach here).
# Both download inside a RUN step, so the build runs with --network=host and the TLS CA bundle as
# the secret `ca` (dev-environment §13: outbound TLS is intercepted here); never in a layer.
set -euo pipefail

[[ $# -eq 5 ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
out=$1 stack=$2 uv_file=$3 uv_sha=$4 uv_url=$5
base=${FLEET_BASE_IMAGE:-localhost:5000/python:3.11-slim}
command -v uv >/dev/null || { echo "bench/stack-peers.sh: needs uv on the host (pip install uv)" >&2; exit 1; }

mkdir -p "$out/pip" "$out/uv"
for side in pip uv; do
  rm -rf "$out/$side/app"
  cp -a "$stack/app" "$out/$side/app"
done
cp "$stack/pyproject.toml" "$stack/uv.lock" "$out/uv/"
(cd "$stack" && uv export --frozen --no-emit-project --format requirements-txt -q) >"$out/pip/requirements.txt"

cat >"$out/pip/Dockerfile" <<EOF
# Written by bench/stack-peers.sh; never committed. The usual pip Dockerfile.
FROM $base
RUN --mount=type=cache,target=/root/.cache/pip \\
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \\
    --mount=type=secret,id=ca,target=/run/secrets/ca \\
    PIP_CERT=/run/secrets/ca python3 -m pip install --break-system-packages --require-hashes \\
      --disable-pip-version-check --root-user-action=ignore -r /tmp/requirements.txt
COPY app/ /app/
USER 10001:10001
CMD ["python3", "/app/main.py"]
EOF

cat >"$out/uv/Dockerfile" <<EOF
# Written by bench/stack-peers.sh; never committed. uv's documented Docker pattern; uv from $uv_file.
FROM $base AS uv
ADD --checksum=sha256:$uv_sha $uv_url /uv.whl
RUN python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); n = [m for m in z.namelist() if m.endswith(".data/scripts/uv")][0]; open(sys.argv[2], "wb").write(z.read(n))' /uv.whl /uv && chmod 0755 /uv

FROM $base
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    --mount=type=bind,source=uv.lock,target=uv.lock \\
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \\
    --mount=type=secret,id=ca,target=/run/secrets/ca \\
    SSL_CERT_FILE=/run/secrets/ca uv sync --locked --no-install-project --python python3
COPY app/ /app/
ENV PATH=/opt/venv/bin:\$PATH
USER 10001:10001
CMD ["python3", "/app/main.py"]
EOF
