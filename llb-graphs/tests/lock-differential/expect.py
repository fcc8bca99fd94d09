#!/usr/bin/env python3
"""Expected installs for the lock-differential corpus, computed by uv and packaging.

For every line of cases.txt (`CASE DIR [uv export flags]`) this runs, in DIR,

    uv export --frozen --no-default-groups --no-emit-project --no-emit-workspace \
        --no-hashes --no-header --no-annotate [flags]

(uv's own production install set: `uv sync --frozen --no-dev` installs exactly the packages
`uv export` emits) and keeps the output in expected/CASE.export.txt. `uv export` is universal:
each line carries the marker uv computed for it. packaging then evaluates those markers for
each target, with Python patch levels .0 and .99 (both must agree), and writes
expected/CASE.txt (and, for the generated projects, the same selection exported as
expected/CASE.pylock.toml): one `TARGET NAME==VERSION` (index package) or `TARGET refused WHAT`
(a URL or local path, which the frontend must refuse) or `TARGET undecided NAME` (a marker
that depends on the Python patch level, which a `python:3.11` base does not fix: refused too)
per line, or `TARGET excluded requires-python SPEC` alone when the lock's `requires-python`
excludes the target.
"""
import subprocess
from pathlib import Path

import tomllib

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
TARGETS = {
    "cp311-linux-amd64": ("3.11", "x86_64"),
    "cp310-linux-amd64": ("3.10", "x86_64"),
    "cp311-linux-arm64": ("3.11", "aarch64"),
}
NOT_PYLOCK = {"--no-emit-project", "--no-hashes", "--no-header", "--no-annotate"}
BASE = ["uv", "export", "--frozen", "--no-default-groups", "--no-emit-project", "--no-emit-workspace",
        "--no-hashes", "--no-header", "--no-annotate"]


def env(py, machine, patch):
    return {
        "python_version": py, "python_full_version": f"{py}.{patch}",
        "implementation_version": f"{py}.{patch}", "implementation_name": "cpython",
        "platform_python_implementation": "CPython", "sys_platform": "linux",
        "platform_system": "Linux", "platform_machine": machine, "os_name": "posix",
        "platform_release": "", "platform_version": "",
    }


def holds(marker, py, machine):
    """True, False, or None when the answer depends on the Python patch level."""
    if marker is None:
        return True
    a, b = (marker.evaluate(env(py, machine, p)) for p in (0, 99))
    return a if a == b else None


def main():
    for line in (HERE / "cases.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        case, rel, *flags = line.split()
        out = subprocess.run(BASE + flags, cwd=HERE / rel, check=True, capture_output=True, text=True).stdout
        (HERE / "expected" / f"{case}.export.txt").write_text(out)
        if rel.startswith("projects/"):
            # The same selection as PEP 751 (uv bakes extras/groups in; the project itself
            # stays, as `directory = { path = "." }`): the frontend must select the same set.
            pylock = BASE[:2] + ["--format", "pylock.toml"] + [f for f in BASE[2:] if f not in NOT_PYLOCK] + flags
            out_pl = subprocess.run(pylock, cwd=HERE / rel, check=True, capture_output=True, text=True).stdout
            (HERE / "expected" / f"{case}.pylock.toml").write_text(out_pl)
        rows = []
        lock = tomllib.loads((HERE / rel / "uv.lock").read_text())
        spec = SpecifierSet(lock.get("requires-python", ""))
        for target, (py, _) in TARGETS.items():
            # uv refuses a target outside the lock's requires-python: both patch levels must fail.
            if not any(spec.contains(f"{py}.{p}") for p in (0, 99)):
                rows.append(f"{target} excluded requires-python {spec}")
        for req_line in out.splitlines():
            if not req_line.strip() or req_line.startswith("#"):
                continue
            if req_line.startswith(("./", "../", "-e ", "/")):
                # A local directory: not from an index, so the frontend refuses it.
                path, _, marker = req_line.partition(" ; ")
                req, what = Requirement(f"local ; {marker}" if marker else "local"), f"refused {path}"
            else:
                req = Requirement(req_line)
                name = canonicalize_name(req.name)
                what = f"refused {name} @ {req.url}" if req.url else f"{name}=={str(req.specifier)[2:]}"
            for target, (py, machine) in TARGETS.items():
                if f"{target} excluded requires-python {spec}" in rows:
                    continue
                h = holds(req.marker, py, machine)
                if h is None:
                    rows.append(f"{target} undecided {name}")
                elif h:
                    rows.append(f"{target} {what}")
        header = f"# uv export {' '.join(BASE[2:] + flags)}  (in {rel}; markers by packaging)\n"
        (HERE / "expected" / f"{case}.txt").write_text(header + "\n".join(sorted(rows)) + "\n")
        print(case, len(rows))


if __name__ == "__main__":
    main()
