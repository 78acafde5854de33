#!/usr/bin/env bash
# The robustness sweep: scalelint over the whole vendored corpus (run bench/vendor.sh first),
# parsing every file (--no-prefilter) at 1 and at 2 threads, then once as users run it. It fails
# unless every run finishes without a panic or an I/O error and the two full runs give
# byte-identical JSON, and it prints how many files were checked and the parse-error rate
# (files syn itself cannot parse: templates, compile-fail tests).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-bench/corpus/vendor}
[ -d "$corpus" ] || { echo "sweep: $corpus is missing; run bench/vendor.sh first" >&2; exit 2; }
cargo build --release --locked --quiet
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for jobs in 1 2 default; do
  flags=(--no-prefilter --jobs "$jobs")
  [ "$jobs" = default ] && flags=()
  set +e
  ./target/release/scalelint "$corpus" --format json "${flags[@]}" > "$out/j$jobs.json" 2> "$out/j$jobs.err"
  code=$?
  set -e
  if [ "$code" -gt 1 ]; then
    echo "sweep: exit $code at --jobs $jobs" >&2
    cat "$out/j$jobs.err" >&2
    exit 1
  fi
  if grep -q "panicked" "$out/j$jobs.err"; then
    echo "sweep: panic at --jobs $jobs" >&2
    cat "$out/j$jobs.err" >&2
    exit 1
  fi
done
cmp -s "$out/j1.json" "$out/j2.json" || { echo "sweep: output differs between --jobs 1 and 2" >&2; exit 1; }
python3 - "$out/j1.json" <<'PY'
import json, sys, collections
report = json.load(open(sys.argv[1]))
s = report["summary"]
rules = collections.Counter(d["rule"] for d in report["diagnostics"])
print(f"sweep: {s['files']} files parsed, {s['parse_errors']} parse errors "
      f"({100 * s['parse_errors'] / max(s['files'], 1):.2f}%), identical at 1 and 2 threads")
print("sweep: findings by rule:", dict(sorted(rules.items())))
PY
