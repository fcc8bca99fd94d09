#!/usr/bin/env python3
"""Helpers for hack/bench.sh and hack/bench-deps.sh (stdlib only).

Subcommands:
  llb-wheels LLB_JSON              "filename sha256 url" per HTTP source of `fleet-frontend llb --format json`
  llb-requirements LLB_JSON        the hash-pinned requirements file the frontend generates
  llb-config LLB_JSON              the image config JSON
  peer-config LLB_JSON             ENV/WORKDIR/EXPOSE/LABEL/HEALTHCHECK/USER/ENTRYPOINT/CMD lines for bench/peer.sh
  lock-without PKG LOCK            uv.lock without PKG's [[package]] block, on stdout
  lock-with-version PKG VER FILE SHA256 SIZE URL LOCK
                                   uv.lock with PKG pinned to another version (one wheel), on stdout
  rawjson SUMMARY_OF               one line "vertices cached executed names..." from --progress=rawjson
  frontend-ms DOCKERD_LOG OFFSET   the frontend's "done in" after OFFSET, in ms ("NA" unless exactly one)
  fetched MIRROR_LOG FROM_LINE DIR "count bytes files" of 200 GETs after FROM_LINE (sizes from DIR)
  report RESULTS_TSV KIND          markdown tables (KIND = builds | deps)
  config-diff OURS PEER            image config fields that differ (`docker image inspect` JSON files)
  steps RESULTS_TSV                markdown: the steps that ran in the last run of each scenario
  llb-tables SCALING_OUT CRITERION_DIR   markdown from the scaling bench output and criterion's estimates
  write-section FILE NAME          replace the text between <!-- NAME:begin --> and <!-- NAME:end --> with stdin
"""

import json
import os
import re
import statistics
import sys


def llb(path):
    with open(path) as f:
        return json.load(f)


def http_sources(d):
    for op in d["ops"]:
        src = (op.get("op") or {}).get("source")
        if src and src["identifier"].startswith(("http://", "https://")):
            attrs = src.get("attrs", {})
            yield attrs["http.filename"], attrs["http.checksum"].removeprefix("sha256:"), src["identifier"]


def cmd_llb_wheels(path):
    for name, sha, url in sorted(http_sources(llb(path))):
        print(name, sha, url)


def cmd_llb_requirements(path):
    for op in llb(path)["ops"]:
        for a in (op.get("op") or {}).get("file", []):
            mk = a["action"].get("mkfile")
            if mk and mk["path"] == "/requirements.txt":
                sys.stdout.write(mk["data"])
                return
    sys.exit("no generated requirements.txt in " + path)


def cmd_llb_config(path):
    print(json.dumps(llb(path)["image_config"]))


def cmd_peer_config(path):
    """The runtime stage's config instructions, from fleet-frontend's image config."""
    c = llb(path)["image_config"]["config"]
    q = json.dumps

    def dur(ns):
        return f"{ns // 1_000_000_000}s"

    env = []
    for e in c.get("Env", []):
        k, v = e.split("=", 1)
        env.append(f"{k}={q(v)}")
    lines = ["ENV " + " ".join(env), "WORKDIR " + c.get("WorkingDir", "/")]
    lines.append("EXPOSE " + " ".join(sorted(c.get("ExposedPorts", {}))))
    lines.append("LABEL " + " ".join(f"{q(k)}={q(v)}" for k, v in sorted(c.get("Labels", {}).items())))
    h = c.get("Healthcheck")
    if h:
        opts = [
            "--interval=" + dur(h["Interval"]),
            "--timeout=" + dur(h["Timeout"]),
            "--start-period=" + dur(h["StartPeriod"]),
            "--retries=" + str(h["Retries"]),
        ]
        if h.get("StartInterval"):
            opts.append("--start-interval=" + dur(h["StartInterval"]))
        lines.append("HEALTHCHECK " + " ".join(opts) + " CMD " + q(h["Test"][1:]))
    lines.append("USER " + c["User"])
    lines.append("ENTRYPOINT " + q(c["Entrypoint"]))
    lines.append("CMD " + q(c["Cmd"]))
    print("\n".join(lines))


def blocks(text):
    return text.split("\n[[package]]\n")


def cmd_lock_without(pkg, lock):
    text = open(lock).read()
    kept = [b for b in blocks(text) if not b.startswith(f'name = "{pkg}"\n')]
    if len(kept) == len(blocks(text)):
        sys.exit(f"{pkg} is not in {lock}")
    sys.stdout.write("\n[[package]]\n".join(kept))


def cmd_lock_with_version(pkg, ver, filename, sha, size, url, lock):
    text = open(lock).read()
    out, hit = [], False
    for b in blocks(text):
        if b.startswith(f'name = "{pkg}"\n'):
            hit = True
            tail = "\n" if b.endswith("\n") else ""
            b = (
                f'name = "{pkg}"\nversion = "{ver}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
                f'wheels = [\n    {{ url = "{url}", hash = "sha256:{sha}", size = {size} }},\n]\n' + tail
            )
        out.append(b)
    if not hit:
        sys.exit(f"{pkg} is not in {lock}")
    sys.stdout.write("\n[[package]]\n".join(out))


def rawjson_objects(path):
    text = open(path, errors="replace").read()
    dec, i = json.JSONDecoder(), 0
    while True:
        j = text.find("{", i)
        if j < 0:
            return
        try:
            obj, i = dec.raw_decode(text, j)
        except json.JSONDecodeError:
            i = j + 1
            continue
        yield obj


def ts(value):
    """RFC 3339 with nanoseconds -> seconds since the epoch."""
    from datetime import datetime

    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?", value or "")
    if not m:
        return None
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").timestamp()
    return base + float("0." + (m.group(2) or "0"))


INSTALL_STEP = re.compile(r"pip install|(uv|pip) install .*locked wheels?|install \d+ locked wheels")


def cmd_rawjson(path):
    """vertices, cached, executed, install step seconds, executed step names (|-separated)."""
    vertices = {}
    for obj in rawjson_objects(path):
        for v in obj.get("vertexes") or []:
            cur = vertices.setdefault(v["digest"], {})
            cur.update({k: v[k] for k in ("name", "cached", "started", "completed", "error") if k in v})
    skip = ("[internal]", "resolve image config")

    def took(v):
        a, b = ts(v.get("started")), ts(v.get("completed"))
        return b - a if a is not None and b is not None else 0.0

    # BuildKit reports a source or file op whose result was not needed (its consumer was cached)
    # as started and completed within microseconds, without "cached": only >= 1 ms counts as run.
    executed = [
        v
        for v in vertices.values()
        if not v.get("cached") and took(v) >= 0.001 and not v.get("name", "").startswith(skip)
    ]
    install = [took(v) for v in executed if INSTALL_STEP.search(v.get("name", ""))]
    cached = sum(1 for v in vertices.values() if v.get("cached"))
    short = sorted(re.sub(r"\s+", " ", v.get("name", "?"))[:70] for v in executed)
    print(f"{len(vertices)}\t{cached}\t{len(executed)}\t{sum(install):.2f}\t{'|'.join(short) or '-'}")


UNITS = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}


def cmd_frontend_ms(log, offset):
    offset = int(offset)
    with open(log, "rb") as f:
        if os.path.getsize(log) < offset:  # rotated
            offset = 0
        f.seek(offset)
        data = f.read().decode("utf-8", "replace")
    hits = re.findall(r"fleet-frontend: done in ([0-9.]+)(ns|µs|us|ms|s)\b", data)
    if len(hits) != 1:
        print("NA")
        return
    value, unit = hits[0]
    print(f"{float(value) * UNITS[unit]:.1f}")


def cmd_fetched(log, from_line, wheel_dir):
    lines = open(log, errors="replace").read().splitlines()[int(from_line):]
    files = []
    for line in lines:
        m = re.search(r'"GET /([^ ?"]+)[^"]*" 200 ', line)
        if m:
            files.append(m.group(1))
    size = sum(os.path.getsize(os.path.join(wheel_dir, f)) for f in files if os.path.exists(os.path.join(wheel_dir, f)))
    print(f"{len(files)}\t{size}\t{','.join(files) or '-'}")


def read_results(path):
    rows = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    return rows


def med(values):
    vals = [float(v) for v in values if v not in ("", "NA")]
    return statistics.median(vals) if vals else None


def fmt(v, unit="", digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}{unit}"


def ratio(a, b):
    return "n/a" if a is None or b in (None, 0) else f"{a / b:.2f}"


def spread(values):
    vals = sorted(float(v) for v in values if v not in ("", "NA"))
    return f"{vals[0]:.2f}–{vals[-1]:.2f}" if vals else "n/a"


def executed_summary(rows):
    counts = sorted({r["executed"] for r in rows})
    return "/".join(counts) if counts else "n/a"


def mode(values):
    return min(set(values), key=lambda c: (-values.count(c), int(c)))


def mark_disturbed(rows):
    """Flags unusual runs, the signs of another build on the same daemon at the same time: more
    vertices in the rawjson than the side's usual count (BuildKit multiplexes the progress of ops
    shared with another build into ours), another number of steps run than usual for the scenario
    (cache entries made or taken by someone else), or, for ours, not exactly one frontend
    "done in" line in the dockerd log."""
    for side in {r["side"] for r in rows}:
        mine = [r for r in rows if r["side"] == side]
        usual_vertices = mode([r["vertices"] for r in mine])
        for scenario in {r["scenario"] for r in mine}:
            these = [r for r in mine if r["scenario"] == scenario]
            usual_executed = mode([r["executed"] for r in these])
            for r in these:
                r["disturbed"] = (
                    int(r["vertices"]) > int(usual_vertices)
                    or r["executed"] != usual_executed
                    or (side == "ours" and r["frontend_ms"] == "NA")
                )


def cmd_report(path, kind):
    rows = read_results(path)
    mark_disturbed(rows)
    scenarios = []
    for r in rows:
        if r["scenario"] not in scenarios:
            scenarios.append(r["scenario"])
    by = lambda s, side: [r for r in rows if r["scenario"] == s and r["side"] == side]  # noqa: E731
    if kind == "builds":
        print("| Scenario | runs | ours median s (min–max) | peer median s (min–max) | ours/peer | steps run ours / peer | frontend `done in` median ms | unusual runs ours / peer |")
        print("|---|---|---|---|---|---|---|---|")
    else:
        print("| Scenario | runs | ours median s (min–max) | peer median s (min–max) | ours/peer time | ours bytes fetched | peer bytes fetched | ours/peer bytes | files fetched ours / peer | unusual runs ours / peer |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    for s in scenarios:
        a, b = by(s, "ours"), by(s, "peer")
        ta, tb = med(r["seconds"] for r in a), med(r["seconds"] for r in b)
        fails = sum(1 for r in a + b if r["rc"] != "0")
        dist = f"{sum(r['disturbed'] for r in a)} / {sum(r['disturbed'] for r in b)}"
        note = f" ({fails} failed)" if fails else ""
        if kind == "builds":
            fe = med(r["frontend_ms"] for r in a)
            fe_n = sum(1 for r in a if r["frontend_ms"] != "NA")
            print(
                f"| {s}{note} | {len(a)}+{len(b)} | {fmt(ta)} ({spread(r['seconds'] for r in a)}) | "
                f"{fmt(tb)} ({spread(r['seconds'] for r in b)}) | {ratio(ta, tb)} | "
                f"{executed_summary(a)} / {executed_summary(b)} | {fmt(fe, digits=1)} (of {fe_n}) | {dist} |"
            )
        else:
            ba, bb = med(r["bytes"] for r in a), med(r["bytes"] for r in b)
            fa, fb = med(r["files"] for r in a), med(r["files"] for r in b)
            print(
                f"| {s}{note} | {len(a)}+{len(b)} | {fmt(ta)} ({spread(r['seconds'] for r in a)}) | "
                f"{fmt(tb)} ({spread(r['seconds'] for r in b)}) | {ratio(ta, tb)} | "
                f"{fmt(ba, digits=0)} | {fmt(bb, digits=0)} | {ratio(ba, bb)} | "
                f"{fmt(fa, digits=0)} / {fmt(fb, digits=0)} | {dist} |"
            )


def cmd_config_diff(ours_path, peer_path):
    """The image config fields that differ between the two built images (docker image inspect)."""
    keys = ("User", "Entrypoint", "Cmd", "WorkingDir", "ExposedPorts", "Env", "Healthcheck", "Labels")
    ours, peer = (json.load(open(p))[0]["Config"] for p in (ours_path, peer_path))
    diffs = [k for k in keys if ours.get(k) != peer.get(k)]
    if not diffs:
        print("Image configs of the two results are identical in " + ", ".join(keys) + ".")
        return
    print("Image config differences between ours and the peer:")
    for k in diffs:
        print(f"- `{k}`: ours `{json.dumps(ours.get(k))}`, peer `{json.dumps(peer.get(k))}`")


def collapse(step):
    step = re.sub(r"^\[wheels\s*\d+/\d+\] (LINK )?ADD .*", r"[wheels] \1ADD <wheel>", step)
    step = re.sub(r"^\[web\] fetch .*", "[web] fetch <wheel>", step)
    step = re.sub(r"@sha256:[0-9a-f]+", "", step)
    return step


def cmd_steps(path):
    """Markdown: the steps that ran (not cached) in the last timed run of each scenario and side."""
    rows = read_results(path)
    last = {}
    for r in rows:
        last[(r["scenario"], r["side"])] = r
    print("| Scenario | side | steps run in the last run (not cached) |")
    print("|---|---|---|")
    for (scenario, side), r in last.items():
        counts = {}
        for step in r["steps"].split("|") if r["steps"] != "-" else []:
            c = collapse(step)
            counts[c] = counts.get(c, 0) + 1
        text = ", ".join(f"`{k}`" + (f" ×{v}" if v > 1 else "") for k, v in sorted(counts.items())) or "none"
        print(f"| {scenario} | {side} | {r['executed']}: {text} |")


def cmd_llb_tables(scaling_out, criterion_dir):
    out = open(scaling_out).read().splitlines()
    print("Scaling (`cargo bench -p llb-graphs --bench scaling`, medians; every target of the manifest):")
    print()
    header = None
    for line in out:
        cols = line.split()
        if cols and cols[0] == "services":
            header = cols
            print("| " + " | ".join(cols) + " |")
            print("|" + "---|" * len(cols))
        elif header and cols and cols[0].isdigit() and len(cols) == len(header):
            print("| " + " | ".join(cols) + " |")
    print()
    for line in out:
        if line.startswith(("log-log slope", "peak memory")):
            print(f"- {line}")
    print()
    print("Criterion (`cargo bench -p llb-graphs --bench lower`; median, and median per build target):")
    print()
    print("| Benchmark | targets | median | per target |")
    print("|---|---|---|---|")
    for group in ("pipeline", "one_target", "marshal"):
        gdir = os.path.join(criterion_dir, group)
        if not os.path.isdir(gdir):
            continue
        for bench in sorted(os.listdir(gdir)):
            est = os.path.join(gdir, bench, "new", "estimates.json")
            meta = os.path.join(gdir, bench, "new", "benchmark.json")
            if not os.path.exists(est):
                continue
            ns = json.load(open(est))["median"]["point_estimate"]
            thr = (json.load(open(meta)).get("throughput") or {}).get("Elements", 1) if os.path.exists(meta) else 1
            print(f"| {group}/{bench} | {thr} | {human(ns)} | {human(ns / thr)} |")


def human(ns):
    if ns >= 1e9:
        return f"{ns / 1e9:.3f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def cmd_write_section(path, name):
    body = sys.stdin.read().rstrip("\n") + "\n"
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = open(path).read() if os.path.exists(path) else ""
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        _, post = rest.split(end, 1)
        text = pre + begin + "\n" + body + end + post
    else:
        text = text.rstrip("\n") + f"\n\n{begin}\n{body}{end}\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


COMMANDS = {
    "llb-wheels": cmd_llb_wheels,
    "llb-requirements": cmd_llb_requirements,
    "llb-config": cmd_llb_config,
    "peer-config": cmd_peer_config,
    "lock-without": cmd_lock_without,
    "lock-with-version": cmd_lock_with_version,
    "rawjson": cmd_rawjson,
    "frontend-ms": cmd_frontend_ms,
    "fetched": cmd_fetched,
    "report": cmd_report,
    "llb-tables": cmd_llb_tables,
    "steps": cmd_steps,
    "config-diff": cmd_config_diff,
    "write-section": cmd_write_section,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
