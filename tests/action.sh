#!/usr/bin/env bash
# The composite action's steps, run as the runner runs them (bash, inputs as env, GITHUB_OUTPUT),
# with the scalelint just built on PATH: exit codes, annotations, the SARIF file, fail-on-findings.
# Usage: tests/action.sh [PATH-TO-SCALELINT-BINARY-FOLDER] (default target/debug)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$repo/target/debug}"
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
for name in ["paths", "config", "sarif-file", "baseline", "fail-on-findings", "args"]:
    assert name in action["inputs"], name
EOF

run_action() { # run_action EXPECTED-EXIT PATHS FAIL-ON-FINDINGS
    : >"$work/output"
    local code=0
    (
        cd "$repo"
        export PATH="$bin:$PATH" GITHUB_ACTION_PATH="$repo" GITHUB_OUTPUT="$work/output"
        export GITHUB_ACTIONS=true
        export INPUT_PATHS="$2" INPUT_CONFIG="" INPUT_SARIF_FILE="$work/out.sarif" INPUT_BASELINE=""
        export INPUT_FAIL_ON_FINDINGS="$3" INPUT_ARGS="--instances 4"
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

echo "action.sh: ok"
