"""Summarises bench/run.sh's rounds (called by run.sh).

    summary.py OUT NAME ROUNDS          one target: both medians, their ratio, peak RSS
    summary.py --table OUT NAME:ROUNDS...   every target in one table (Markdown)
"""
import json
import re
import statistics
import sys

PROGRAMS = ("parse-floor", "scalelint")


def rounds(out, name, runs):
    """Wall seconds and peak RSS (KiB) of each program in each round."""
    times = {n: [] for n in PROGRAMS}
    rss = {n: [] for n in PROGRAMS}
    for i in range(1, runs + 1):
        for r in json.load(open(f"{out}/{name}-round{i}.json"))["results"]:
            times[r["command"]].append(r["times"][0])
        for n in PROGRAMS:
            text = open(f"{out}/{name}-round{i}-{n}.time").read()
            rss[n].append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)))
    return times, rss


def one(out, name, runs):
    times, rss = rounds(out, name, runs)
    med = {n: statistics.median(t) for n, t in times.items()}
    for n in PROGRAMS:
        ts = ", ".join(f"{t:.2f}" for t in times[n])
        print(f"{n:12} median {med[n]:7.2f} s  (runs: {ts})  peak RSS median "
              f"{statistics.median(rss[n]) / 1024:.1f} MiB (max {max(rss[n]) / 1024:.1f})")
    pairs = [s / p for p, s in zip(times["parse-floor"], times["scalelint"])]
    print(f"ratio scalelint / parse-floor: {med['scalelint'] / med['parse-floor']:.2f} (medians), "
          f"{statistics.median(pairs):.2f} (median of per-round ratios: "
          f"{', '.join(f'{r:.2f}' for r in pairs)})")


def table(out, targets):
    print("| target | .rs files | parse floor | scalelint | ratio (median of rounds) "
          "| floor peak | scalelint peak | peak ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in targets:
        name, runs = t.rsplit(":", 1)
        times, rss = rounds(out, name, int(runs))
        floor_out = open(f"{out}/{name}-parse-floor.txt").read()
        m = re.search(r"files: (\d+)", floor_out)
        files = m.group(1) if m else "?"
        pairs = [s / p for p, s in zip(times["parse-floor"], times["scalelint"])]
        peak = {n: statistics.median(rss[n]) / 1024 for n in PROGRAMS}
        print(f"| {name} | {files} | {statistics.median(times['parse-floor']):.2f} s "
              f"| {statistics.median(times['scalelint']):.2f} s | {statistics.median(pairs):.2f}× "
              f"| {peak['parse-floor']:.0f} MiB | {peak['scalelint']:.0f} MiB "
              f"| {peak['scalelint'] / peak['parse-floor']:.1f}× |")


if __name__ == "__main__":
    if sys.argv[1] == "--table":
        table(sys.argv[2], sys.argv[3:])
    else:
        one(sys.argv[1], sys.argv[2], int(sys.argv[3]))
