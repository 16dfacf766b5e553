"""Reads a run directory's results.edn and history.edn with edn_format (a PyPI EDN reader this
project did not write) and checks them against results.json and history.jsonl.

Usage: python3 read_run.py RUN_DIR. Prints one line of facts and exits 0, or prints what
differs and exits 1. Exits 3 when edn_format is not installed (the caller skips).
"""

import json
import math
import sys

try:
    import edn_format
except ImportError:
    print("edn_format is not installed (pip install --user edn_format)")
    sys.exit(3)

K = edn_format.Keyword
bad = []


def plain(x):
    """EDN data as JSON-like data: keywords as their names, vectors and lists as lists."""
    if isinstance(x, edn_format.Keyword):
        return x.name
    if isinstance(x, (list, tuple, edn_format.ImmutableList)):
        return [plain(y) for y in x]
    if isinstance(x, (set, frozenset)):
        return sorted(plain(y) for y in x)
    if isinstance(x, (dict, edn_format.ImmutableDict)):
        return {plain(k) if not isinstance(k, (int, float)) else json_key(k): plain(v) for k, v in x.items()}
    return x


def json_key(k):
    """A numeric map key as results.json writes it: 0, 0.5, 1."""
    return str(int(k)) if float(k).is_integer() else repr(k)


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def check(what, got, want):
    if not same(got, want):
        bad.append(f"{what}: EDN has {got!r}, JSON has {want!r}")


run = sys.argv[1]
edn = edn_format.loads(open(f"{run}/results.edn").read())
js = json.load(open(f"{run}/results.json"))
if not isinstance(edn, (dict, edn_format.ImmutableDict)):
    print(f"results.edn is not a map: {type(edn)}")
    sys.exit(1)
valid = edn[K("valid?")]
check("valid?", plain(valid), js["valid?"])
if js["valid?"] == "unknown" and not isinstance(valid, edn_format.Keyword):
    bad.append("an unknown verdict must be the keyword :unknown")
for group in ["all", "clients", "servers"]:
    for field in ["send-count", "recv-count", "msg-count"]:
        check(f"net {group} {field}", edn[K("net")][K(group)][K(field)], js["net"][group][field])
if js["net"]["servers"].get("msgs-per-op") is not None:
    check("msgs-per-op", edn[K("net")][K("servers")][K("msgs-per-op")], js["net"]["servers"]["msgs-per-op"])
for field in ["count", "ok-count", "fail-count", "info-count"]:
    check(f"stats {field}", edn[K("stats")][K(field)], js["stats"][field])
check("availability", edn[K("availability")][K("ok-fraction")], js["availability"]["ok-fraction"])
check("perf latency-graph", plain(edn[K("perf")][K("latency-graph")]), {"valid?": True})
check("workload", plain(edn[K("workload")]), js["workload"])

ops = 0
nemesis = []
with open(f"{run}/history.edn") as he:
    client = []
    for i, line_edn in enumerate(he):
        op = edn_format.loads(line_edn)
        check(f"line {i} index (dense, as Jepsen numbers operations)", op[K("index")], i)
        if op[K("process")] == K("nemesis"):
            nemesis.append(op)
        else:
            client.append(op)
with open(f"{run}/history.jsonl") as hj:
    for op, line_json in zip(client, hj):
        want = json.loads(line_json)
        for field in ["time", "type", "process", "f", "value", "node"]:
            check(f"op {want['index']} {field}", plain(op[K(field)]), want[field])
        if "error" in want:
            check(f"op {want['index']} error", plain(op[K("error")]), want["error"])
        if not isinstance(op[K("type")], edn_format.Keyword) or not isinstance(op[K("f")], edn_format.Keyword):
            bad.append(f"op {want['index']}: :type and :f must be keywords")
        ops += 1
jsonl_ops = sum(1 for _ in open(f"{run}/history.jsonl"))
check("history length", ops, jsonl_ops)
# The nemesis's actions: an :info invocation and completion each, at the logged time.
actions = js["glomers"]["nemesis"]
check("nemesis operations", len(nemesis), 2 * len(actions))
for k, a in enumerate(actions):
    pair = nemesis[2 * k: 2 * k + 2]
    for op in pair:
        check(f"nemesis {k} time", op[K("time")], a["time"])
        check(f"nemesis {k} type", op[K("type")], K("info"))
        check(f"nemesis {k} f", plain(op[K("f")]), a["action"].split(" ")[0])
    if a["action"].startswith("start-partition") and len(pair) == 2:
        value = plain(pair[1][K("value")])
        if not (isinstance(value, list) and value[0] == "isolated" and isinstance(value[1], dict)):
            bad.append(f"nemesis {k}: a partition's completion is [:isolated grudge], not {value!r}")
        for node, dropped in value[1].items():
            if f"{node} drops {','.join(dropped)}" not in a["action"]:
                bad.append(f"nemesis {k}: {node} drops {dropped} is not in {a['action']!r}")

if bad:
    print("\n".join(bad[:20]))
    sys.exit(1)
print(f"edn_format read results.edn (valid? {plain(valid)}) and {ops} operations and {len(nemesis)} nemesis operations of history.edn")
