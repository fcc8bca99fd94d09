# Prints `constraint-dependencies` entries: every registry package of the given uv.lock files at its locked version.
import sys, tomllib
pins = {}
for path in sys.argv[1:]:
    for p in tomllib.load(open(path, "rb"))["package"]:
        if "registry" in p.get("source", {}):
            pins[p["name"]] = p["version"]
print("constraint-dependencies = [")
for n, v in sorted(pins.items()):
    print(f'    "{n}=={v}",')
print("]")
