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
#                     [--scalelint BIN] [--corpus DIR | --services [--src DIR] [--only NAME]]
#   --scale 1,2,4   corpus copies (default 1)
#   --runs N        timed rounds at scale 1 (default 5)
#   --scale-runs N  timed rounds at each scale K > 1 (default 2)
#   --jobs N        threads for both programs (default 2)
#   --no-build      use the existing release binaries
#   --scalelint BIN time this scalelint binary (e.g. another branch's build) instead of building
#   --corpus DIR    another folder to measure (default bench/corpus/vendor)
#   --services      measure each service of the ecosystem check (bench/ecosystem/services.toml)
#                   from its analysed root, and end with one table of all of them; the checkouts
#                   are read from --src DIR (default: as bench/ecosystem/run.sh, which clones
#                   them); --only NAME measures one. For the growth check, give --corpus the
#                   service's root and --scale 1,2,4 instead.
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
services=false
src=""
only=""
while [ $# -gt 0 ]; do
    case "$1" in
    --scale) scales=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --scale-runs) scale_runs=$2; shift 2 ;;
    --scalelint) scalelint=$(realpath "$2"); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --no-build) build=false; shift ;;
    --corpus) corpus=$(realpath "$2"); shift 2 ;;
    --services) services=true; shift ;;
    --src) src=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *)
        sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//' >&2
        exit 2
        ;;
    esac
done


# What to measure: NAME<TAB>DIR<TAB>ROUNDS per line.
targets=$(mktemp)
trap 'rm -f "$targets"' EXIT
if $services; then
    if [ -z "$src" ]; then
        if [ -d /work/eco/src ]; then src=/work/eco/src; else src=${XDG_CACHE_HOME:-$HOME/.cache}/scalelint-ecosystem; fi
    fi
    python3 - "$root/bench/ecosystem/services.toml" "$src" "$only" "$runs" >"$targets" <<'PY'
import os, sys, tomllib
services, src, only, runs = tomllib.load(open(sys.argv[1], "rb"))["service"], *sys.argv[2:]
missing = []
for s in services:
    if only not in ("", s["name"]):
        continue
    d = os.path.join(src, s["name"], s.get("root", "."))
    if os.path.isdir(d):
        print(f"{s['name']}\t{os.path.realpath(d)}\t{runs}")
    else:
        missing.append(s["name"])
if missing:
    print(f"no checkout of {', '.join(missing)} under {src}: run bench/ecosystem/run.sh first "
          "(it clones them)", file=sys.stderr)
    sys.exit(2)
PY
else
    if [ ! -d "$corpus" ]; then
        echo "no corpus at $corpus: run bench/vendor.sh first" >&2
        exit 2
    fi
    for k in ${scales//,/ }; do
        if [ "$k" -eq 1 ]; then
            printf 'x1\t%s\t%s\n' "$corpus" "$runs" >>"$targets"
            continue
        fi
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
        printf 'x%s\t%s\t%s\n' "$k" "$dir" "$scale_runs" >>"$targets"
    done
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
rm -f "$out"/*-round*
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$version; jobs $jobs"

# One target: an untimed warm-up (fills the page cache; keeps the outputs to look at), then
# ROUNDS timed rounds, each timing the parse floor and then scalelint (one run each, so both runs
# of a round see the same machine load) under /usr/bin/time -v (peak RSS).
measure() {
    local name=$1 dir=$2 rounds=$3 status=0
    echo
    echo "== $name: $dir"
    $floor --jobs "$jobs" "$dir" >"$out/$name-parse-floor.txt" 2>"$out/$name-parse-floor.stderr"
    echo "parse-floor: $(cat "$out/$name-parse-floor.txt")"
    "$scalelint" --format json --exit-zero --jobs "$jobs" "$dir" \
        >"$out/$name-scalelint.json" 2>"$out/$name-scalelint.stderr" || status=$?
    if [ $status -ne 0 ]; then
        echo "scalelint exited with $status; stderr:" >&2
        head -20 "$out/$name-scalelint.stderr" >&2
        exit 1
    fi
    python3 - "$out/$name-scalelint.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
rules = collections.Counter(x["rule"] for x in d["diagnostics"])
print("scalelint:", ", ".join(f"{k}: {v}" for k, v in d["summary"].items()),
      "|", ", ".join(f"{k} {v}" for k, v in rules.most_common()) or "no findings")
PY
    if [ -s "$out/$name-scalelint.stderr" ]; then
        echo "scalelint stderr ($(wc -l <"$out/$name-scalelint.stderr") lines): $(head -c 300 "$out/$name-scalelint.stderr")"
    fi
    for i in $(seq 1 "$rounds"); do
        hyperfine -N --runs 1 --style none \
            --export-json "$out/$name-round$i.json" \
            -n parse-floor "/usr/bin/time -v -o $out/$name-round$i-parse-floor.time $floor --jobs $jobs $dir" \
            -n scalelint "/usr/bin/time -v -o $out/$name-round$i-scalelint.time $scalelint --format json --exit-zero --jobs $jobs $dir"
        printf '.'
    done
    echo
    python3 "$root/bench/summary.py" "$out" "$name" "$rounds"
}

while IFS=$'\t' read -r name dir rounds; do
    measure "$name" "$dir" "$rounds"
done <"$targets"
echo
python3 "$root/bench/summary.py" --table "$out" $(cut -f1,3 --output-delimiter=: "$targets")
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
