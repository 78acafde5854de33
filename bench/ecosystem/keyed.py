#!/usr/bin/env python3
"""Key scalelint's findings on one service so a triage verdict survives moved lines.

usage: keyed.py BIN SERVICE_ROOT [--toml]
       run BIN from SERVICE_ROOT over `.` and print every finding with its key, one JSON object a
       line (--toml: as a skeleton of [[finding]] tables for triage/<name>.toml)
usage: keyed.py --from-json SCALELINT_JSON SERVICE_ROOT [--toml]
       the same from a `--format json` output written earlier
usage: keyed.py --new-results RESULTS LABEL BIN
       keyed.py --record RESULTS NAME REPO COMMIT ROOT ROOT_DIR SCALELINT_JSON TIME_FILE
       (run.sh) start a results file; add one service's measured run to it: files, findings
       per rule, wall time and peak memory from GNU time's -v report, and the keyed findings

A finding's key is (rule, path, line_text, occurrence):
  path       as scalelint prints it when run from SERVICE_ROOT with `.` as the path
  line_text  the primary line of the finding, stripped of leading/trailing whitespace
  occurrence 0-based index among findings with the same (rule, path, line_text), in line order
Moving code keeps the key; editing the flagged line changes it (as a baseline fingerprint does).
report.py imports this module, so both key findings the same way.
"""
import json
import os
import re
import subprocess
import sys
import time

FAMILY = {
    "unlocked-scheduler": "schedulers",
    "unlocked-migration": "migrations",
    "oversized-pool": "pools",
    "host-sized-pool": "pools",
    "print-in-service": "logs",
    "log-in-loop": "logs",
    "log-payload": "logs",
    "instrument-all-args": "logs",
    "verbose-default-level": "logs",
    "unstructured-logs": "logs",
    "sql-statement-logging": "logs",
    "in-memory-session-store": "state",
    "ephemeral-signing-key": "state",
    "in-process-rate-limit": "state",
    "per-worker-state": "state",
    "local-fanout": "state",
    "in-memory-flow-state": "state",
    "in-process-queue": "state",
    "local-file-storage": "state",
    "local-cache-invalidation": "state",
    "embedded-database": "state",
}
FAMILIES = ["schedulers", "migrations", "pools", "logs", "state"]
LOG_RULES = [r for r, f in FAMILY.items() if f == "logs"]


def family(rule):
    return FAMILY.get(rule, "engine")  # parse-error, unused-allow


def key(row):
    return (row["rule"], row["path"], row["line_text"], row["occurrence"])


def line_of(root, path, line, cache={}):
    full = os.path.join(root, path)
    if full not in cache:
        try:
            with open(full, "rb") as f:
                cache[full] = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            cache[full] = []
    lines = cache[full]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def key_rows(doc, root):
    """The keyed rows of a scalelint `--format json` document produced from `root`."""
    rows = []
    for d in doc["diagnostics"]:
        rows.append({
            "rule": d["rule"],
            "family": family(d["rule"]),
            "path": d["path"],
            "line": d["line"],
            "line_text": line_of(root, d["path"], d["line"]),
            "message": d["message"],
            "severity": d["severity"],
        })
    rows.sort(key=lambda r: (r["rule"], r["path"], r["line"]))
    seen = {}
    for r in rows:
        k = (r["rule"], r["path"], r["line_text"])
        r["occurrence"] = seen.get(k, 0)
        seen[k] = r["occurrence"] + 1
    return rows


def run(binary, root):
    """Run scalelint from `root` over `.`; return its JSON document."""
    p = subprocess.run([binary, "--format", "json", "--exit-zero", "."], cwd=root,
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"scalelint exited {p.returncode}: {p.stderr.strip()[:300]}")
    return json.loads(p.stdout)


def keyed(binary, root):
    doc = run(binary, root)
    return doc, key_rows(doc, root)


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def new_results(path, label, binary):
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    doc = {"label": label, "date": time.strftime("%Y-%m-%d %H:%M:%S"),
           "scalelint": version.strip(), "binary": binary, "services": {}}
    write_json(path, doc)


def record(path, name, repo, commit, root, root_dir, output, time_file):
    with open(path) as f:
        results = json.load(f)
    with open(output) as f:
        doc = json.load(f)
    with open(time_file) as f:
        measured = dict(line.strip().rsplit(": ", 1) for line in f if ": " in line)
    wall = 0.0
    for part in measured["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
        wall = wall * 60 + float(part)
    rows = [{k: r[k] for k in ("rule", "path", "line", "line_text", "occurrence", "severity")}
            for r in key_rows(doc, root_dir)]
    per_rule = {}
    for r in rows:
        per_rule[r["rule"]] = per_rule.get(r["rule"], 0) + 1
    results["services"][name] = {
        "repo": repo, "commit": commit, "root": root,
        "files": doc["summary"]["files"], "parse_errors": doc["summary"]["parse_errors"],
        "findings": len(rows), "per_rule": dict(sorted(per_rule.items())),
        "wall_s": round(wall, 2),
        "peak_rss_mib": round(int(measured["Maximum resident set size (kbytes)"]) / 1024, 1),
        "rows": rows,
    }
    write_json(path, results)
    s = results["services"][name]
    print(f"   {s['files']} files, {s['findings']} findings, {s['wall_s']} s, "
          f"{s['peak_rss_mib']} MiB: {s['per_rule']}")


def write_json(path, doc):
    """Indented, with one finding a line so the file diffs well."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    text = json.dumps(doc, indent=1, ensure_ascii=False)
    with open(path, "w") as f:
        f.write(re.sub(r"\{\n\s+\"rule\"[^{}]*\}",
                       lambda m: re.sub(r"\n\s*", " ", m.group(0)), text) + "\n")


def main(argv):
    if argv and argv[0] == "--new-results" and len(argv) == 4:
        return new_results(*argv[1:])
    if argv and argv[0] == "--record" and len(argv) == 9:
        return record(*argv[1:])
    as_toml = "--toml" in argv
    args = [a for a in argv if a != "--toml"]
    if len(args) == 3 and args[0] == "--from-json":
        with open(args[1]) as f:
            rows = key_rows(json.load(f), args[2])
    elif len(args) == 2 and not args[0].startswith("-"):
        _, rows = keyed(args[0], args[1])
    else:
        sys.exit(__doc__)
    emit(rows, as_toml)


def emit(rows, as_toml):
    for r in rows:
        if not as_toml:
            print(json.dumps(r, ensure_ascii=False))
            continue
        print("[[finding]]")
        for f in ("rule", "path", "line_text", "occurrence"):
            print(f"{f} = {toml_str(r[f]) if isinstance(r[f], str) else r[f]}")
        print(f"line = {r['line']}  # at triage time")
        print('verdict = ""  # tp | fp | debatable')
        print('kind = ""  # for fp and debatable')
        print('reason = ""')
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
