"""Writes llb-graphs/tests/fixtures/pep440.tsv: version strings and what `packaging` makes of them.

Run: python3 hack/oracles/pep440.py > llb-graphs/tests/fixtures/pep440.tsv  (packaging 26.4)
Columns: input (JSON string), normalised str(Version(input)) or `INVALID`.
"""
import json
import packaging
from packaging.version import InvalidVersion, Version

INPUTS = [
    "1.0", "1.0.0", "01.02", "v1.0", "V1.0", "1.0-post1", "1.0.post", "1.0-1", "1.0_dev2", "1.0.RC1",
    "1.0c1", "1.0alpha2", "1.0beta", "1.0preview3", "1.0pre", "1!2.0", "1.0+local.1", "1.0+LOCAL-01_x",
    "1.0a1.post2.dev3", "2.2.2+cu121", "1.0rev4", "1.0r", "1.0.", "1..0", ".1", "1.0+", "1.0+a..b",
    "1.0 ", " 1.0", "1.0\n--extra-index-url http://x", "1.0 ; evil", "1.0#x", "", "1.0-", "1.0.*",
    "1.0a", "1.0-dev", "1.0.dev", "1.0post-1", "abc", "1.0!1", "1.0+cpu+x", "0!0", "1.0a1b2",
    "1.0.post1.post2", "1.0dev1.post1", "1.0-post", "1.0_1", "1.0.1", "1e3", "1.0+é",
]

print(f"# packaging {packaging.__version__}; python3 hack/oracles/pep440.py")
for s in INPUTS:
    try:
        out = str(Version(s))
    except InvalidVersion:
        out = "INVALID"
    print(f"{json.dumps(s)}\t{out}")
