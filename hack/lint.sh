#!/usr/bin/env bash
# hack/lint.sh: the first phase of .ci/run; fails on any finding.
# - `cargo fmt --all --check` (rustfmt.toml),
# - `cargo clippy --workspace --all-targets -- -D warnings` (clippy.toml),
# - `shellcheck -x` on every shell script git tracks: *.sh, .ci/run, and any tracked file whose
#   first line is a sh/bash shebang. shellcheck comes from Debian's packages; on a fresh machine
#   (CI runs as root) it is installed here with apt-get, elsewhere a missing one is an error.
# - actionlint (for frontend/tests/ci_examples.rs, which lints examples/github-actions/): installed
#   here from PyPI by hash (hack/requirements-lint.txt) when missing, so the test runs in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.sh
source hack/lib.sh

log "cargo fmt --all --check"
cargo fmt --all --check

log "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

if ! command -v shellcheck >/dev/null; then
  [[ $(id -u) == 0 ]] || die "shellcheck is missing: apt-get install -y shellcheck"
  log "apt-get install shellcheck"
  apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 shellcheck >/dev/null
fi

if ! command -v actionlint >/dev/null; then
  log "pip install actionlint (hack/requirements-lint.txt)"
  python3 -m pip install -q --disable-pip-version-check --require-hashes -r hack/requirements-lint.txt
  hash -r
  command -v actionlint >/dev/null || die "actionlint is not on PATH after pip install"
fi
log "actionlint $(actionlint --version | head -n 1)"

scripts=()
while IFS= read -r -d '' f; do
  case $f in
    *.sh | .ci/run) scripts+=("$f") ;;
    *) [[ -f $f ]] && head -n 1 "$f" | grep -qE '^#!.*(/|env )(ba)?sh( |$)' && scripts+=("$f") ;;
  esac
done < <(git ls-files -z)
log "shellcheck -x on ${#scripts[@]} scripts"
shellcheck -x "${scripts[@]}"
log "lint clean"
