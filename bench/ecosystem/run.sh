#!/usr/bin/env bash
# The ecosystem check: runs scalelint over the real services pinned in services.toml, records
# per service the files checked, findings per rule, wall time and peak memory (with every finding
# keyed for triage) in results/<date>-<label>.json, then prints report.py's table over it.
#
# Usage: bench/ecosystem/run.sh [--only NAME] [--src DIR] [--bin PATH] [--label LABEL]
#                               [--no-report]
#   --only NAME   one service of services.toml (default: all of them)
#   --src DIR     a folder holding one checkout per service, DIR/<name>/ (default /work/eco/src
#                 when it exists, else ~/.cache/scalelint-ecosystem). A missing checkout is
#                 cloned from https://github.com/<repo> and checked out at the pinned commit; a
#                 checkout at another commit stops the run (check it out, or pin the new commit).
#   --bin PATH    the scalelint binary to measure (default: cargo build --release --locked, then
#                 target/release/scalelint)
#   --label LABEL the results file's label (default: the short commit of this checkout, or the
#                 binary's file name with --bin)
#   --no-report   only write the results file
# Exits with report.py's status: 1 when a finding in a triaged scope has no verdict (new) or a
# triaged tp is no longer reported (lost). Needs git, python3 >= 3.11 and GNU time (/usr/bin/time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$here/../.." && pwd)

only="" src="" bin="" label="" report=true
while [ $# -gt 0 ]; do
    case "$1" in
    --only) only=$2; shift 2 ;;
    --src) src=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --label) label=$2; shift 2 ;;
    --no-report) report=false; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -z "$src" ]; then
    if [ -d /work/eco/src ]; then src=/work/eco/src; else src=${XDG_CACHE_HOME:-$HOME/.cache}/scalelint-ecosystem; fi
fi
mkdir -p "$src"
src=$(cd "$src" && pwd)
[ -x /usr/bin/time ] || { echo "run.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

if [ -z "$bin" ]; then
    (cd "$repo_root" && cargo build --release --locked)
    bin=$repo_root/target/release/scalelint
    label=${label:-$(git -C "$repo_root" rev-parse --short HEAD)}
else
    bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
    label=${label:-$(basename "$bin")}
fi
out=$here/results/$(date +%F)-$label${only:+-$only}.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name, repo, commit and root of each service, tab-separated
python3 - "$here/services.toml" "$only" >"$tmp/services.tsv" <<'EOF'
import sys, tomllib
services = tomllib.load(open(sys.argv[1], "rb"))["service"]
chosen = [s for s in services if sys.argv[2] in ("", s["name"])]
if not chosen:
    print(f"run.sh: no service named {sys.argv[2]!r} in services.toml", file=sys.stderr)
    sys.exit(2)
for s in chosen:
    print("\t".join([s["name"], s["repo"], s["commit"], s.get("root", ".")]))
EOF

# Every checkout first, so a wrong commit stops the run before anything is measured.
while IFS=$'\t' read -r name repo commit root; do
    dir=$src/$name
    if [ ! -d "$dir" ]; then
        echo "== $name: cloning https://github.com/$repo into $dir"
        git clone -q "https://github.com/$repo" "$dir" ||
            { echo "run.sh: cannot clone $repo; put a checkout at $dir (or use --src)" >&2; exit 2; }
        git -C "$dir" checkout -q "$commit"
    fi
    head=$(git -C "$dir" rev-parse HEAD)
    if [ "$head" != "$commit" ]; then
        echo "run.sh: $dir is at $head, not at the pinned $commit; check out the pinned commit or pin the new one in services.toml" >&2
        exit 2
    fi
done <"$tmp/services.tsv"

python3 "$here/keyed.py" --new-results "$out" "$label" "$bin"
while IFS=$'\t' read -r name repo commit root; do
    dir=$src/$name
    echo "== $name ($repo @ ${commit:0:12}, root $root)"
    status=0
    (cd "$dir/$root" && /usr/bin/time -v -o "$tmp/$name.time" \
        "$bin" --format json --exit-zero --output-file "$tmp/$name.json" .) 2>"$tmp/$name.err" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "run.sh: scalelint exited $status on $name:" >&2
        cat "$tmp/$name.err" >&2
        rm -f "$out"
        exit 2
    fi
    python3 "$here/keyed.py" --record "$out" "$name" "$repo" "$commit" "$root" "$dir/$root" \
        "$tmp/$name.json" "$tmp/$name.time"
done <"$tmp/services.tsv"
echo "results: $out"

if $report; then
    cd "$here" && python3 report.py "$out"
fi
