#!/bin/sh
# Regenerates the lock-differential corpus (needs network: PyPI). Run from anywhere.
#   projects/*: `uv lock` of the committed pyproject.toml files (fresh resolution: versions of
#               unpinned transitive dependencies move; review the diff, then re-run the test).
#   real/*:     unedited files from public repositories (SOURCE.toml: repo + commit); never
#               re-locked here, only re-exported.
#   expected/*: expect.py (uv export + packaging), for cases.txt; then files.py (pip's own
#               file choice among each package's locked files; no network).
# Tools: uv, pip and packaging from PyPI (`pip install uv pip packaging`); recorded versions in README.md.
set -eu
cd "$(dirname "$0")"
for d in projects/*/; do
    (cd "$d" && uv lock -q)
done
python3 expect.py
python3 files.py
