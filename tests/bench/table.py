"""Prints the comparison table from the result lines of run.sh.

Each line: `SERVER SCENARIO run=N key=value ...` (the loadgen's RESULT fields). Per cell the
median over the runs is kept. The ratios are server CPU per message (or resident memory per
idle connection) divided by the raw ceiling's and by Node's, measured in the same run.
"""
import statistics
import sys
from collections import defaultdict

ORDER = ["raw", "sio-tokio", "sio-smol", "socketioxide", "node"]

cells = defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) < 3:
        continue
    server, scenario = parts[0], parts[1]
    kv = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    cells[(scenario, server)].append(kv)


def med(runs, key):
    vals = [float(r[key]) for r in runs if key in r]
    return statistics.median(vals) if vals else None


scenarios = list(dict.fromkeys(s for s, _ in cells))
servers = [s for s in ORDER if any(k[1] == s for k in cells)]
rows = []
for sc in scenarios:
    idle = sc.startswith("idle")
    metric = "rss_kib_per_conn" if idle else "cpu_us_per_msg"
    raw = med(cells.get((sc, "raw"), []), metric)
    node = med(cells.get((sc, "node"), []), metric)
    for sv in servers:
        runs = cells.get((sc, sv))
        if not runs:
            continue
        m = med(runs, metric)
        r_raw = f"{m / raw:.2f}" if m and raw else "-"
        r_node = f"{m / node:.2f}" if m and node else "-"
        if idle:
            rows.append([sc, sv, "-", "-", "-", "-", f"{m:.2f} KiB/conn" if m is not None else "failed", r_raw, r_node])
        else:
            rate = med(runs, "msgs_per_s")
            rows.append([
                sc, sv,
                f"{rate:,.0f}" if rate is not None else "failed",
                f"{med(runs, 'p50_us') / 1000:.2f}" if m is not None else "-",
                f"{med(runs, 'p99_us') / 1000:.2f}" if m is not None else "-",
                f"{max(int(r.get('lost', 0)) for r in runs)}"
                + (f" ({reord:,} reordered)" if (reord := max(int(r.get('reordered', 0)) for r in runs)) else ""),
                f"{m:.2f} µs" if m is not None else "failed",
                r_raw, r_node,
            ])

head = ["scenario", "server", "msgs/s", "p50 ms", "p99 ms", "lost", "server CPU/msg (idle: RSS/conn)", "× raw", "× node"]
print("| " + " | ".join(head) + " |")
print("|" + "|".join("---" for _ in head) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
