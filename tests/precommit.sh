#!/usr/bin/env bash
# The pre-commit hook through the real client: `pre-commit try-repo <this repository> scalelint`
# in scratch git repositories must fail on the sample service (with its finding in the output),
# report only the files it is given, and pass on a clean service.
#
# pre-commit installs the hook with `cargo install --path .`; the build happens once (one
# snapshot revision, one PRE_COMMIT_HOME) and with optimisation off to save CI time.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v pre-commit >/dev/null 2>&1; then
    python3 -m pip install --quiet pre-commit ||
        python3 -m pip install --quiet --break-system-packages pre-commit
fi
pre-commit --version

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid
export PRE_COMMIT_HOME="$work/pre-commit-home"
export CARGO_TARGET_DIR="$repo/target/pre-commit"
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_INCREMENTAL=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
unset GITHUB_ACTIONS GITHUB_STEP_SUMMARY

# A committed snapshot of the working tree (tracked and new files, as `git add -A` would take
# them): try-repo then uses its one revision, and installs the hook once for every run below.
snapshot="$work/scalelint"
mkdir -p "$snapshot"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
    while IFS= read -r -d '' f; do
        if [ -f "$repo/$f" ]; then
            mkdir -p "$snapshot/$(dirname "$f")"
            cp -p "$repo/$f" "$snapshot/$f"
        fi
    done
git -C "$snapshot" init -q
git -C "$snapshot" add -A
git -C "$snapshot" commit -qm snapshot

scratch_repo() { # scratch_repo NAME FIXTURE
    local dir="$work/$1"
    cp -r "$repo/fixtures/projects/$2" "$dir"
    git -C "$dir" init -q
    git -C "$dir" add -A
    git -C "$dir" commit -qm fixture
    echo "$dir"
}

fail() {
    echo "precommit.sh: $1" >&2
    echo "--- pre-commit output ---" >&2
    cat "$work/out" >&2
    exit 1
}

# 1. The sample service: the hook fails and shows the findings.
svc="$(scratch_repo sample sample-service)"
echo "precommit.sh: try-repo on sample-service (installs the hook; this builds scalelint)"
if (cd "$svc" && pre-commit try-repo "$snapshot" scalelint --all-files) >"$work/out" 2>&1; then
    fail "the hook passed on sample-service; it should fail"
fi
grep -q "oversized-pool" "$work/out" || fail "no oversized-pool finding in the hook's output"
grep -q "src/db.rs" "$work/out" || fail "the finding in src/db.rs is not in the output"
grep -q "config/default.toml" "$work/out" || fail "the config file's finding is not in the output"

# 2. Passing one changed file reports that file only, with its crate read for context.
if (cd "$svc" && pre-commit try-repo "$snapshot" scalelint --files src/db.rs) >"$work/out" 2>&1; then
    fail "the hook passed on src/db.rs; it should fail"
fi
grep -q "src/db.rs" "$work/out" || fail "the finding in src/db.rs is not in the output"
if grep -q "config/default.toml" "$work/out"; then
    fail "a file that was not passed was reported"
fi

# 3. A clean service: the hook passes.
clean="$(scratch_repo clean clean-service)"
(cd "$clean" && pre-commit try-repo "$snapshot" scalelint --all-files) >"$work/out" 2>&1 ||
    fail "the hook failed on clean-service; it should pass"
grep -q "Passed" "$work/out" || fail "pre-commit did not report the hook as passed"

# 4. The scalelint-system hook runs the scalelint on PATH (here the one just built): the same
# verdicts, and nothing built.
built="${1:-$repo/target/debug/scalelint}"
sysbin="$work/sysbin"
mkdir -p "$sysbin"
cp "$built" "$sysbin/scalelint"
if (cd "$svc" && PATH="$sysbin:$PATH" pre-commit try-repo "$snapshot" scalelint-system --all-files) \
    >"$work/out" 2>&1; then
    fail "the scalelint-system hook passed on sample-service; it should fail"
fi
grep -q "oversized-pool" "$work/out" || fail "no oversized-pool finding from scalelint-system"
(cd "$clean" && PATH="$sysbin:$PATH" pre-commit try-repo "$snapshot" scalelint-system --all-files) \
    >"$work/out" 2>&1 || fail "the scalelint-system hook failed on clean-service; it should pass"

echo "precommit.sh: ok (fails on sample-service, reports only passed files, passes on clean-service; scalelint-system alike)"
