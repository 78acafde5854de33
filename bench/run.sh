#!/usr/bin/env bash
# Times scalelint against the parse floor on the vendored corpus (run bench/vendor.sh first).
#
# It first runs both programs once untimed on the corpus (warm-up: fills the page cache; keeps
# scalelint's JSON output and stderr in bench/out/ to look at). Then, for each scale K, on K
# hard-linked copies of the corpus (K=1: the corpus itself; hard links share the page cache),
# it runs timed rounds: each round times parse-floor and then scalelint with hyperfine (one run
# each, so both runs of a round see the same machine load) under `/usr/bin/time -v` (peak RSS).
# It prints, per scale: the median wall time of each, the ratio of the medians, the median of
# the per-round ratios, and the median peak RSS of each.
#
# Usage: bench/run.sh [--scale K[,K...]] [--runs N] [--scale-runs N] [--jobs N] [--no-build]
#                     [--scalelint BIN] [--corpus DIR]
#   --scale 1,2,4   corpus copies (default 1)
#   --runs N        timed rounds at scale 1 (default 5)
#   --scale-runs N  timed rounds at each scale K > 1 (default 2)
#   --jobs N        threads for both programs (default 2)
#   --no-build      use the existing release binaries
#   --scalelint BIN time this scalelint binary (e.g. another branch's build) instead of building
#   --corpus DIR    another folder to measure (default bench/corpus/vendor)
# Results (hyperfine JSON, /usr/bin/time reports, scalelint output) go to bench/out/.
set -euo pipefail
script=$(realpath "$0")
cd "$(dirname "$script")/.."
root=$PWD

scales=1
runs=5
scale_runs=2
scalelint=""
jobs=2
build=true
corpus=$root/bench/corpus/vendor
while [ $# -gt 0 ]; do
    case "$1" in
    --scale) scales=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --scale-runs) scale_runs=$2; shift 2 ;;
    --scalelint) scalelint=$(realpath "$2"); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --no-build) build=false; shift ;;
    --corpus) corpus=$(realpath "$2"); shift 2 ;;
    *)
        sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//' >&2
        exit 2
        ;;
    esac
done

if [ ! -d "$corpus" ]; then
    echo "no corpus at $corpus: run bench/vendor.sh first" >&2
    exit 2
fi

# Tools: hyperfine and GNU time (Debian packages).
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
fi
command -v python3 >/dev/null || { echo "python3 is needed to summarize" >&2; exit 2; }

if $build; then
    echo "building scalelint and parse-floor (release)..."
    [ -n "$scalelint" ] || cargo build --release --quiet
    cargo build --release --quiet --manifest-path bench/parse-floor/Cargo.toml
fi
if [ -n "$scalelint" ]; then
    version="$scalelint"
else
    scalelint=$root/target/release/scalelint
    version="scalelint $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo '+dirty')"
fi
floor=$root/bench/parse-floor/target/release/parse-floor

out=$root/bench/out
mkdir -p "$out"
rm -f "$out"/x*-round*
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$version; jobs $jobs"

# Warm-up (untimed): fills the page cache, and keeps the outputs to look at.
echo "warm-up on $corpus"
$floor --jobs "$jobs" "$corpus" >"$out/parse-floor.txt" 2>"$out/parse-floor.stderr"
echo "parse-floor: $(cat "$out/parse-floor.txt")"
status=0
"$scalelint" --format json --exit-zero --jobs "$jobs" "$corpus" \
    >"$out/scalelint.json" 2>"$out/scalelint.stderr" || status=$?
if [ $status -ne 0 ]; then
    echo "scalelint exited with $status; stderr:" >&2
    head -20 "$out/scalelint.stderr" >&2
    exit 1
fi
python3 - "$out/scalelint.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
rules = collections.Counter(x["rule"] for x in d["diagnostics"])
print("scalelint:", ", ".join(f"{k}: {v}" for k, v in d["summary"].items()),
      "|", ", ".join(f"{k} {v}" for k, v in rules.most_common()) or "no findings")
PY
if [ -s "$out/scalelint.stderr" ]; then
    echo "scalelint stderr ($(wc -l <"$out/scalelint.stderr") lines): $(head -c 300 "$out/scalelint.stderr")"
fi

for k in ${scales//,/ }; do
    if [ "$k" -eq 1 ]; then
        dir=$corpus
    else
        # Hard links: K real copies (scalelint does not follow symlinks) without K times the disk.
        dir=$root/bench/corpus/scaled/$(basename "$corpus")-x$k
        if [ ! -d "$dir" ]; then
            rm -rf "$dir.tmp"
            mkdir -p "$dir.tmp"
            for i in $(seq 1 "$k"); do
                cp -al "$corpus" "$dir.tmp/copy$i" 2>/dev/null || cp -r "$corpus" "$dir.tmp/copy$i"
            done
            mv "$dir.tmp" "$dir"
        fi
    fi
    pf_cmd="$floor --jobs $jobs $dir"
    sl_cmd="$scalelint --format json --exit-zero --jobs $jobs $dir"

    echo
    echo "== scale ${k}x: $dir"
    rounds=$runs
    [ "$k" -eq 1 ] || rounds=$scale_runs
    for i in $(seq 1 "$rounds"); do
        hyperfine -N --runs 1 --style none \
            --export-json "$out/x$k-round$i.json" \
            -n parse-floor "/usr/bin/time -v -o $out/x$k-round$i-parse-floor.time $pf_cmd" \
            -n scalelint "/usr/bin/time -v -o $out/x$k-round$i-scalelint.time $sl_cmd"
        printf '.'
    done
    echo
    python3 - "$out" "$k" "$rounds" <<'PY'
import json, re, statistics, sys
out, k, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = {"parse-floor": [], "scalelint": []}
rss = {"parse-floor": [], "scalelint": []}
for i in range(1, runs + 1):
    for r in json.load(open(f"{out}/x{k}-round{i}.json"))["results"]:
        times[r["command"]].append(r["times"][0])
    for name in rss:
        text = open(f"{out}/x{k}-round{i}-{name}.time").read()
        rss[name].append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)))
med = {n: statistics.median(t) for n, t in times.items()}
for n in times:
    ts = ", ".join(f"{t:.2f}" for t in times[n])
    print(f"{n:12} median {med[n]:7.2f} s  (runs: {ts})  peak RSS median {statistics.median(rss[n]) / 1024:.1f} MiB (max {max(rss[n]) / 1024:.1f})")
pairs = [s / p for p, s in zip(times["parse-floor"], times["scalelint"])]
print(f"ratio scalelint / parse-floor: {med['scalelint'] / med['parse-floor']:.2f} (medians), "
      f"{statistics.median(pairs):.2f} (median of per-round ratios: {', '.join(f'{r:.2f}' for r in pairs)})")
PY
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
