#!/usr/bin/env bash
# `--format junit` through real consumers: each report validates against the JUnit schema the
# Jenkins xUnit plugin checks JUnit input with (tests/schemas/junit-10.xsd, by libxml2's
# xmllint), and junitparser (the parser behind the publish-unit-test-result GitHub action)
# reads back one failed test case per finding of `--format json`, at its path, line and column.
# Usage: tests/junit.sh [path/to/scalelint]
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(realpath "${1:-$repo/target/debug/scalelint}")"
if ! command -v xmllint >/dev/null 2>&1; then
    apt-get install -y -q libxml2-utils >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q libxml2-utils >/dev/null; }
fi
if ! python3 -c 'import junitparser, sys; sys.exit(junitparser.version != "5.0.3")' 2>/dev/null; then
    python3 -m pip install --quiet junitparser==5.0.3 ||
        python3 -m pip install --quiet --break-system-packages junitparser==5.0.3
fi
xmllint --version 2>&1 | head -1 || true

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A crate whose path needs escaping in XML, with a finding.
odd="$work/a&b <c> \"d\""
mkdir -p "$odd/src"
printf '[package]\nname = "odd"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nsqlx = "0.8"\naxum = "0.8"\n' >"$odd/Cargo.toml"
printf 'pub async fn connect(url: &str) {\n    let _ = sqlx::postgres::PgPoolOptions::new().max_connections(500).connect(url).await;\n}\n' >"$odd/src/lib.rs"

cd "$repo"
n=0
for input in fixtures/projects/sample-service fixtures/projects/monorepo fixtures/projects/clean-service "$odd"; do
    n=$((n + 1))
    "$bin" "$input" --format junit --output-file "$work/$n.xml" --exit-zero
    "$bin" "$input" --format json --output-file "$work/$n.json" --exit-zero
    xmllint --noout --schema tests/schemas/junit-10.xsd "$work/$n.xml"
    python3 - "$work/$n.xml" "$work/$n.json" <<'PY'
import json, sys
from junitparser import JUnitXml, Failure

xml = JUnitXml.fromfile(sys.argv[1])
report = json.load(open(sys.argv[2]))
wanted = sorted(
    (d["path"].split("/")[-1], d["line"], d["column"], d["rule"]) for d in report["diagnostics"]
)
failed, passed = [], 0
for suite in xml:
    for case in suite:
        results = [r for r in case.result if isinstance(r, Failure)]
        if not results:
            passed += 1
            continue
        assert len(results) == 1, case.name
        where, rule = case.name.rsplit(": ", 1)
        path, line, column = where.rsplit(":", 2)
        assert results[0].type == rule, (results[0].type, rule)
        assert case.classname == "scalelint." + rule
        assert results[0].message.split(": ", 1)[0] in ("error", "warning", "note")
        assert "scalelint explain " + rule in results[0].text
        failed.append((path.split("/")[-1], int(line), int(column), rule))
assert sorted(failed) == wanted, (sorted(failed), wanted)
assert xml.failures == len(wanted), (xml.failures, len(wanted))
assert passed == (0 if wanted else 1), passed
print(f"{sys.argv[1]}: {len(wanted)} findings as failed test cases, {passed} passed")
PY
done
# The schema is strict enough to matter: a `line` attribute on a test case is not JUnit's.
sed 's/<testcase name=/<testcase line="7" name=/' "$work/2.xml" >"$work/bad.xml"
if xmllint --noout --schema tests/schemas/junit-10.xsd "$work/bad.xml" 2>/dev/null; then
    echo "junit-10.xsd accepted a test case with a line attribute" >&2
    exit 1
fi
echo "junit: 4 reports valid against junit-10.xsd and read back by junitparser"
