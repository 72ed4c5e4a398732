#!/usr/bin/env python3
"""The table of every benchmark target (benchmarks/targets.json): measured ratio, target, met or
missed. Reads the JSON that `run-benchmarks` writes (build/bench/benchmarks/bench_*.json), or with
--short runs the binaries itself on the rows that gate, with a short minimum time (CI's step).
With --gate, exits 1 when a gating row misses its target by more than --tolerance (20%).

    benchmarks/check_targets.py --build-dir build/bench                 # after run-benchmarks
    benchmarks/check_targets.py --build-dir build/bench --short --gate  # CI: a minute or two
"""
import argparse
import json
import os
import re
import subprocess
import sys

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load_results(path):
    """{(workload, impl): {"cpu": ns, "real": ns, counter: value}} from one benchmark JSON."""
    with open(path) as f:
        data = json.load(f)
    results = {}
    for run in data.get("benchmarks", []):
        if run.get("run_type") != "iteration" or run.get("error_occurred"):
            continue
        parts = run.get("run_name", run["name"]).split("/")
        if len(parts) < 2:
            continue
        scale = UNIT_NS.get(run.get("time_unit", "ns"), 1.0)
        measured = {"cpu": run["cpu_time"] * scale, "real": run["real_time"] * scale}
        for key, value in run.items():
            if isinstance(value, (int, float)) and key not in measured and key not in (
                    "iterations", "real_time", "cpu_time", "repetitions", "repetition_index",
                    "threads", "family_index", "per_family_instance_index"):
                measured[key] = float(value)
        results[(parts[0], parts[1])] = measured
    return results


def run_short(build_dir, binary, workloads, min_time):
    exe = os.path.join(build_dir, "benchmarks", binary)
    out = os.path.join(build_dir, "benchmarks", binary + ".short.json")
    pattern = "^(" + "|".join(re.escape(w) for w in workloads) + ")/"
    subprocess.run([exe, "--benchmark_filter=" + pattern, "--benchmark_min_time=%g" % min_time,
                    "--benchmark_out=" + out, "--benchmark_out_format=json"],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def describe_target(row):
    if "max_value" in row:
        return "<= %g" % row["max_value"]
    if row.get("max_ratio") is None:
        return "report"
    low = row.get("min_ratio", 0.0)
    return ("%.2f-%.2f" % (low, row["max_ratio"])) if low else ("<= %.2f" % row["max_ratio"])


def judge(row, found, tolerance):
    """Prints the row's line of the table; returns (verdict, what failed or None)."""
    gate = "gates" if row["gate"] else "-"
    unit = "ns" if row["metric"] in ("cpu", "real") else row.get("unit", "")
    ours = found.get((row["workload"], "ours"), {}).get(row["metric"])
    peer_name = row.get("peer")
    peer = found.get((row["workload"], peer_name), {}).get(row["metric"]) if peer_name else None
    if ours is None or (peer_name and not peer):
        print("| %s | %s | %s | - | - | - | %s | not measured | %s |"
              % (row["workload"], peer_name or "-", row["metric"], describe_target(row), gate))
        return "not measured", row["workload"] + " (not measured)"

    if peer_name:
        # ours / peer against a ratio. A row may also have a floor ("min_ratio"): the linearity
        # row must be near 10x, not merely at most 12x. Without max_ratio it is only reported.
        value = ours / peer
        high = row.get("max_ratio")
        low = row.get("min_ratio", 0.0)
    else:
        # An absolute limit (a latency, bytes per object): no peer to divide by.
        value = ours
        high = row["max_value"]
        low = 0.0
    bad = None
    if high is None:
        verdict = "reported"
    elif low <= value <= high:
        verdict = "met"
    elif low * (1 - tolerance) <= value <= high * (1 + tolerance):
        verdict = "missed (within %d%%)" % round(tolerance * 100)
    else:
        verdict = "MISSED"
        limit = high * (1 + tolerance)
        bad = "%s %.2f %s %.2f" % (row["workload"], value,
                                   *((">", limit) if value > limit
                                     else ("<", low * (1 - tolerance))))
    print("| %s | %s | %s | %.4g %s | %s | %s | %s | %s | %s |"
          % (row["workload"], peer_name or "-", row["metric"], ours, unit,
             ("%.4g %s" % (peer, unit)) if peer_name else "-",
             ("%.3g" % value) if peer_name else "-", describe_target(row), verdict, gate))
    return verdict, bad


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build/bench")
    parser.add_argument("--targets", default=os.path.join(here, "targets.json"))
    parser.add_argument("--short", action="store_true", help="run the gating rows now, briefly")
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--gate", action="store_true", help="exit 1 when a gating row fails")
    parser.add_argument("--tolerance", type=float, default=0.2)
    args = parser.parse_args()

    with open(args.targets) as f:
        rows = json.load(f)["rows"]
    if args.short:
        rows = [row for row in rows if row["gate"]]

    results = {}
    for binary in sorted({row["binary"] for row in rows}):
        if args.short:
            workloads = sorted({row["workload"] for row in rows if row["binary"] == binary})
            path = run_short(args.build_dir, binary, workloads, args.min_time)
        else:
            path = os.path.join(args.build_dir, "benchmarks", binary + ".json")
        results[binary] = load_results(path) if os.path.exists(path) else {}

    failed = []
    print("\n| workload | peer | metric | ours | peer | ratio | target | result | gate |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        verdict, bad = judge(row, results[row["binary"]], args.tolerance)
        if bad and row["gate"]:
            failed.append(bad)
    if args.gate and failed:
        print("\nBenchmark gate FAILED: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
