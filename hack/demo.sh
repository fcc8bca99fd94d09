#!/usr/bin/env bash
# Sets up the dev environment, builds the frontend image, builds examples/hello through
# `docker buildx build` with it, runs the service on loopback and prints its /health answer.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

hack/dev-env.sh
fe=$(hack/frontend-image.sh | tail -n 1)
log "frontend image: $fe"
"$DOCKER" buildx build --network=none --build-arg "BUILDKIT_SYNTAX=$fe" \
  -f examples/hello/fleet.toml --target hello --load -t fleet-hello:demo examples/hello
"$DOCKER" rm -f fleet-hello-demo >/dev/null 2>&1 || true
"$DOCKER" run -d --name fleet-hello-demo --network host fleet-hello:demo >/dev/null
trap '"$DOCKER" rm -f fleet-hello-demo >/dev/null 2>&1 || true' EXIT
wait_until 20 curl -fsS --noproxy '*' http://127.0.0.1:18081/health || die "/health did not answer"
log "GET http://127.0.0.1:18081/health:"
curl -fsS --noproxy '*' http://127.0.0.1:18081/health
echo
