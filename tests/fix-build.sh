#!/usr/bin/env bash
# Fixes never break a build. tests/fix-build/ is a small workspace (committed Cargo.lock, no
# database needed to build) with code for every machine and maybe fix. This copies it to a
# temporary folder, `cargo check`s each member, runs `scalelint --fix --unsafe-fixes` (machine
# and maybe fixes applied as a user applies them), and `cargo check`s each member again.
# It fails when the fixture does not compile before, when a fixed file does not compile after,
# when a second run would still change something, or when a rule whose best fix is machine or
# maybe has no such fix in the fixture (add code for it to tests/fix-build/).
#
#   bash tests/fix-build.sh [path/to/scalelint]
#
# Members are checked one at a time (`-p`) so features do not unify between them: `service`
# has every optional piece a fix may need, `bare` has none, so a fix that needs what `bare`
# lacks must add it or offer no edit there. CARGO_TARGET_DIR defaults to target/fix-build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/target/debug/scalelint}"
if [ ! -x "$bin" ]; then
    (cd "$root" && cargo build --locked --quiet)
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/fix-build}"
export CARGO_TERM_COLOR=never
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/tests/fix-build" "$work/orig"
rm -rf "$work/orig/target"
cp -r "$work/orig" "$work/crate"
members=(fix-build-service fix-build-bare)

check() {
    local stage=$1 m
    for m in "${members[@]}"; do
        if ! (cd "$work/crate" && cargo check --locked --quiet -p "$m" 2> "$work/$m.$stage.log"); then
            cat "$work/$m.$stage.log" >&2
            echo "fix-build: \`cargo check -p $m\` fails $stage the fixes" >&2
            if [ "$stage" = after ]; then
                (cd "$work" && diff -ru orig crate >&2) || true
            fi
            exit 1
        fi
    done
}

check before

# Every rule whose best fix is machine or maybe has a fix with edits in the fixture.
"$bin" rules | awk 'NR > 1 && ($4 == "machine" || $4 == "maybe") { print $1 }' | sort > "$work/rules"
(cd "$work/crate" && "$bin" --format json --exit-zero .) > "$work/findings.json"
python3 - "$work/findings.json" "$work/rules" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))["diagnostics"]
rules = open(sys.argv[2]).read().split()
with_edits = {}
for f in findings:
    fix = f.get("fix") or {}
    if fix.get("edits") and fix.get("applicability") in ("machine", "maybe"):
        with_edits.setdefault(f["rule"], set()).add(fix["applicability"])
missing = [r for r in rules if r not in with_edits]
if missing:
    sys.exit("fix-build: no machine or maybe fix of " + ", ".join(missing)
             + " in tests/fix-build/: add code that gets one")
for r in sorted(with_edits):
    print(f"fix-build: {r}: {'/'.join(sorted(with_edits[r]))} fixes")
PY

(cd "$work/crate" && "$bin" --fix --unsafe-fixes --exit-zero --quiet . > "$work/fix.out")
if (cd "$work" && diff -rq orig crate > /dev/null); then
    echo "fix-build: --fix --unsafe-fixes changed nothing" >&2
    exit 1
fi
changed=$(cd "$work" && diff -ru orig crate | grep -c '^+[^+]' || true)
echo "fix-build: --fix --unsafe-fixes changed $changed lines"

check after

left=$(cd "$work/crate" && "$bin" --diff --unsafe-fixes --quiet . || true)
if [ -n "$left" ]; then
    printf '%s\n' "$left" >&2
    echo "fix-build: a second run would still change the files" >&2
    exit 1
fi
echo "fix-build: every member compiles before and after the fixes"
