#!/usr/bin/env bash
# The composite action's steps, run as the runner runs them (bash, inputs as env, GITHUB_OUTPUT,
# GITHUB_PATH), with the scalelint just built on PATH: exit codes, annotations, the SARIF file,
# fail-on-findings. Then the install step against a local release archive in the layout `dist`
# publishes (no network): checksum verified, a stale cached binary replaced, and the fallback to
# `cargo install --locked` when the archive or its checksum is wrong.
# Usage: tests/action.sh [PATH-TO-SCALELINT-BINARY-FOLDER] (default target/debug)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(realpath "${1:-${CARGO_TARGET_DIR:-$repo/target}/debug}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -c "import yaml" 2>/dev/null || python3 -m pip install --quiet pyyaml ||
    python3 -m pip install --quiet --break-system-packages pyyaml

# Each step's `run` script, by step id or name, from action.yml (PyYAML comes with pre-commit).
python3 - "$repo/action.yml" "$work" <<'EOF'
import sys, yaml
action = yaml.safe_load(open(sys.argv[1]))
assert action["runs"]["using"] == "composite"
for i, step in enumerate(action["runs"]["steps"]):
    assert step["shell"] == "bash", step
    open(f"{sys.argv[2]}/step{i}.sh", "w").write(step["run"])
for name in ["paths", "config", "sarif-file", "baseline", "fail-on-findings", "args", "version"]:
    assert name in action["inputs"], name
EOF

run_action() { # run_action EXPECTED-EXIT PATHS FAIL-ON-FINDINGS
    : >"$work/output"
    local code=0
    (
        cd "$repo"
        export PATH="$bin:$PATH" GITHUB_ACTION_PATH="$repo" GITHUB_OUTPUT="$work/output"
        export GITHUB_ACTIONS=true GITHUB_PATH="$work/path" RUNNER_OS=Linux RUNNER_ARCH=X64
        export INPUT_PATHS="$2" INPUT_CONFIG="" INPUT_SARIF_FILE="$work/out.sarif" INPUT_BASELINE=""
        export INPUT_FAIL_ON_FINDINGS="$3" INPUT_ARGS="--instances 4" INPUT_VERSION=""
        export ACTION_REF="" ACTION_REPOSITORY=OWNER/scalelint
        bash -e "$work/step0.sh"
        bash -e "$work/step1.sh"
    ) >"$work/stdout" 2>"$work/stderr" || code=$?
    if [ "$code" -ne "$1" ]; then
        echo "action.sh: exit $code, expected $1 (paths=$2 fail-on-findings=$3)" >&2
        cat "$work/stdout" "$work/stderr" >&2
        exit 1
    fi
}

run_action 1 fixtures/projects/sample-service true
grep -q '^::warning file=fixtures/projects/sample-service/src/db.rs,line=' "$work/stdout"
grep -qx 'exit-code=1' "$work/output"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['version']=='2.1.0' and r['runs'][0]['results']" "$work/out.sarif"

run_action 0 fixtures/projects/sample-service false
grep -qx 'exit-code=1' "$work/output"

run_action 0 "fixtures/projects/clean-service fixtures/oversized-pool/ok_sqlx_in_budget.rs" true
grep -qx 'exit-code=0' "$work/output"

# The install step alone, as the runner runs it: the folders it adds to GITHUB_PATH come first
# on PATH afterwards. `cargo` is a stand-in that records its arguments and "installs" the
# binary just built, so a fallback is seen without building.
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -n 1)"
mkdir -p "$work/stub" "$work/cargo-bin" "$work/stale" "$work/none"
printf '#!/usr/bin/env bash\necho "$*" >"%s/cargo-args"\ncp "%s/scalelint" "%s/cargo-bin/scalelint"\n' \
    "$work" "$bin" "$work" >"$work/stub/cargo"
printf '#!/bin/sh\necho "scalelint 0.0.9"\n' >"$work/stale/scalelint"
chmod +x "$work/stub/cargo" "$work/stale/scalelint"
# A release folder as dist lays it out: scalelint-<target>.tar.xz holding scalelint-<target>/,
# and its .sha256 ("<hash> *<file>").
release="$work/releases/v$version"
target=x86_64-unknown-linux-musl
mkdir -p "$release" "$work/pack/scalelint-$target"
cp "$bin/scalelint" "$work/pack/scalelint-$target/"
tar -cJf "$release/scalelint-$target.tar.xz" -C "$work/pack" "scalelint-$target"
(cd "$release" && sha256sum --binary "scalelint-$target.tar.xz" >"scalelint-$target.tar.xz.sha256")

install_step() { # install_step EXTRA-PATH ACTION-REF
    : >"$work/path"
    rm -f "$work/cargo-args" "$work/cargo-bin/scalelint"
    rm -rf "$work/tmp"
    (
        export PATH="$1:$work/stub:/usr/bin:/bin" GITHUB_ACTION_PATH="$repo"
        export GITHUB_PATH="$work/path" RUNNER_OS=Linux RUNNER_ARCH=X64 RUNNER_TEMP="$work/tmp"
        export SCALELINT_RELEASE_URL="file://$work/releases" ACTION_REF="$2"
        export ACTION_REPOSITORY=OWNER/scalelint INPUT_VERSION=""
        mkdir -p "$RUNNER_TEMP"
        bash -e "$work/step0.sh"
    ) >"$work/stdout" 2>&1 || {
        cat "$work/stdout" >&2
        echo "action.sh: the install step failed" >&2
        exit 1
    }
}
installed() { # the scalelint the next step would run
    local added
    added="$(tac "$work/path" | paste -sd: -)"
    PATH="${added:+$added:}$1:$work/cargo-bin:/usr/bin:/bin" scalelint --version
}
check() { # check DESCRIPTION COMMAND...
    "${@:2}" || {
        echo "action.sh: install step: $1" >&2
        cat "$work/stdout" >&2
        exit 1
    }
}

# 1. At a release tag, on a runner with no scalelint: the archive, checksum verified.
install_step "$work/none" "v$version"
check "no verified archive" grep -q "sha256 [0-9a-f]* verified" "$work/stdout"
check "built from source despite the archive" test ! -e "$work/cargo-args"
check "the archive's scalelint is not on PATH" test "$(installed "$work/none")" = "scalelint $version"

# 2. A cached scalelint of another version is not used: the release replaces it.
install_step "$work/stale" "v$version"
check "the stale binary was kept" grep -q "scalelint 0.0.9 is on PATH" "$work/stdout"
check "the stale binary still runs" test "$(installed "$work/stale")" = "scalelint $version"

# 3. The right version already on PATH: nothing downloaded or built.
install_step "$bin" "v$version"
check "the installed binary was not used" grep -q "already installed" "$work/stdout"
check "something was installed anyway" test ! -s "$work/path" -a ! -e "$work/cargo-args"

# 4. A checksum that does not match: the archive is refused and scalelint built from source.
cp "$release/scalelint-$target.tar.xz.sha256" "$work/good.sha256"
echo "0000000000000000000000000000000000000000000000000000000000000000 *scalelint-$target.tar.xz" \
    >"$release/scalelint-$target.tar.xz.sha256"
install_step "$work/none" "v$version"
cp "$work/good.sha256" "$release/scalelint-$target.tar.xz.sha256"
check "a bad checksum was not reported" grep -q "does not match" "$work/stdout"
check "no fallback to cargo install" \
    grep -q -- "install --locked --force --path $repo --bin scalelint" "$work/cargo-args"
check "the refused archive is on PATH" test ! -s "$work/path"

# 5. No release for this tag, and a branch ref: both build from source.
install_step "$work/none" "v9.9.9"
check "no fallback for a missing release" grep -q -- "install --locked" "$work/cargo-args"
install_step "$work/none" "main"
check "no fallback for a branch" grep -q -- "install --locked" "$work/cargo-args"
check "a branch looked for a release" grep -q "no usable release archive of this ref" "$work/stdout"

echo "action.sh: ok"
