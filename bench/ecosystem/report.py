#!/usr/bin/env python3
"""The ecosystem check's report: scalelint's precision and recall on real services.

usage: report.py [RESULTS.json] [--markdown]
       report.py --run BIN [--src DIR] [--markdown]
       report.py --diff BEFORE.json AFTER.json

Reads a results file written by run.sh (default: the newest in results/), or with --run keys the
findings itself by running BIN over each service's checkout in --src (default /work/eco/src, else
the cache folder run.sh uses), and the verdicts in triage/<name>.toml. Prints, counts first:

  - the runs: files, findings, wall time and peak memory per service (from a results file);
  - per family and per log rule, overall and per service: tp, fp, debatable, fn (missed hazards
    plus triaged tp no longer reported or reported only as a note), precision tp/(tp+fp) leaving
    debatable out, the same with debatable counted as wrong, and recall tp/(tp+fn). Findings at
    `note` severity (informational: the work repeats but does no harm, a banner printed once per
    process) are counted in their own column and left out of tp/fp/debatable: precision is over
    what a user is asked to fix and what gates CI. A triaged tp reported only as a note counts
    as fn (listed as DEMOTED);
  - fp and debatable counts per kind, with the issue meant to remove each kind;
  - every NEW finding (no verdict, in a triaged scope: any scheduler/migration/pool/state finding of a
    triaged service, a log finding in one of its read_files) and every LOST one (a triaged tp no
    longer reported); triaged fp/debatable findings no longer reported are counted as gone.

--diff lists, per service, every finding AFTER adds to BEFORE or removes from it, triaged or
not (clippy's lintcheck shows the same), with the verdict of those that have one.

Exits 1 when NEW, LOST or DEMOTED is non-empty, 2 on a malformed triage file. Services without a triage
file are listed as untriaged and left out of the ratios. --markdown prints the tables as Markdown
(for README.md) and leaves out the per-finding lists. Needs python >= 3.11 (tomllib), stdlib only.
"""
import glob
import json
import os
import sys
import tomllib

import keyed
from keyed import FAMILIES, LOG_RULES, family, key

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICTS = ("tp", "fp", "debatable")
# The issue that removes each kind of wrong finding (see README.md).
KIND_ISSUE = {
    **dict.fromkeys(["one-shot-command", "test-only", "debug-only", "unreached", "not-a-service",
                     "dev-deploy-file", "supervisor-duplicate", "method-resolved-by-name",
                     "single-instance-by-design"], 15),
    **dict.fromkeys(["queue-consumer", "ledger-claim", "leader-check", "own-dist-lock",
                     "per-instance-work", "idempotent-write", "lock-sql-not-followed",
                     "config-gated"], 16),
    **dict.fromkeys(["bounded-loop", "loop-exits-after-log", "runtime-chosen-format",
                     "version-dependent-default", "wrong-type-by-name", "not-a-payload",
                     "startup-banner", "before-logger", "per-item-error", "per-event",
                     "per-event-loop", "audit-event", "span-fields-not-logged",
                     "instances-assumed"], 17),
}


def default_src():
    if os.path.isdir("/work/eco/src"):
        return "/work/eco/src"
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(cache, "scalelint-ecosystem")


def load_services():
    with open(os.path.join(HERE, "services.toml"), "rb") as f:
        return tomllib.load(f)["service"]


def load_results(argv, services):
    """{name: [rows]} for every service that was run, its measured runs (none with --run) and a
    short description of where they came from."""
    if "--run" in argv:
        binary = os.path.abspath(argv[argv.index("--run") + 1])
        src = argv[argv.index("--src") + 1] if "--src" in argv else default_src()
        out = {}
        for s in services:
            root = os.path.join(src, s["name"], s.get("root", "."))
            if os.path.isdir(root):
                out[s["name"]] = keyed.keyed(binary, root)[1]
        return out, {}, f"{binary} over {src}"
    paths = [a for a in argv if a.endswith(".json")]
    path = paths[0] if paths else max(glob.glob(os.path.join(HERE, "results", "*.json")),
                                      default=None, key=os.path.getmtime)
    if path is None:
        sys.exit("no results: run run.sh first, or pass --run BIN")
    with open(path) as f:
        doc = json.load(f)
    return ({n: s["rows"] for n, s in doc["services"].items()}, doc["services"],
            f"{os.path.relpath(path)} ({doc['scalelint']}, {doc['date']})")


def load_triage(name):
    path = os.path.join(HERE, "triage", f"{name}.toml")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        t = tomllib.load(f)
    errors = []
    seen = set()
    for i, v in enumerate(t.get("finding", [])):
        where = f"{path}: finding {i + 1} ({v.get('rule')} {v.get('path')}:{v.get('line')})"
        missing = [k for k in ("rule", "path", "line_text", "occurrence", "verdict", "reason")
                   if k not in v]
        if missing:
            errors.append(f"{where}: missing {', '.join(missing)}")
            continue
        if v["verdict"] not in VERDICTS:
            errors.append(f"{where}: verdict {v['verdict']!r} is not one of {VERDICTS}")
        if v["verdict"] != "tp" and not v.get("kind"):
            errors.append(f"{where}: an {v['verdict']} needs a kind")
        if key(v) in seen:
            errors.append(f"{where}: the same key is triaged twice")
        seen.add(key(v))
    for i, m in enumerate(t.get("missed", [])):
        if not all(k in m for k in ("rule", "path", "line_text", "reason")):
            errors.append(f"{path}: missed {i + 1}: needs rule, path, line_text and reason")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(2)
    t.setdefault("finding", [])
    t.setdefault("missed", [])
    t["read_files"] = set(t.get("read_files", []))
    return t


def in_scope(row, triage):
    return family(row["rule"]) in ("schedulers", "migrations", "pools", "state") or (
        family(row["rule"]) == "logs" and row["path"] in triage["read_files"])


def judge(rows, triage):
    """Count one service: {scope: counts}; its new, lost and gone findings; its wrong kinds."""
    counts = {}

    def bump(rule, what):
        for scope in (family(rule), rule if rule in LOG_RULES else None):
            if scope:
                c = counts.setdefault(scope, dict.fromkeys(
                    COUNTS, 0))
                c[what] += 1

    verdicts = {key(v): v for v in triage["finding"]}
    missed = {(m["rule"], m["path"], m["line_text"]): m for m in triage["missed"]}
    reported = set()
    new, kinds, demoted = [], [], []
    for r in rows:
        if family(r["rule"]) == "engine":
            continue
        reported.add(key(r))
        v = verdicts.get(key(r))
        if r.get("severity") == "note":
            bump(r["rule"], "note")
            if v and v["verdict"] == "tp":
                bump(r["rule"], "fn")
                demoted.append(v)
            continue
        if v:
            bump(r["rule"], v["verdict"])
            if v["verdict"] != "tp":
                kinds.append((v.get("kind", "?"), family(r["rule"]), v["verdict"]))
        elif (r["rule"], r["path"], r["line_text"]) in missed:
            bump(r["rule"], "tp")  # a hazard once missed is now found: still triage it
            new.append((r, "was [[missed]]: move it to [[finding]]"))
        elif in_scope(r, triage):
            bump(r["rule"], "new")
            new.append((r, ""))
        else:
            bump(r["rule"], "unread")
    lost = [v for v in triage["finding"] if v["verdict"] == "tp" and key(v) not in reported]
    gone = [v for v in triage["finding"] if v["verdict"] != "tp" and key(v) not in reported]
    for v in lost:
        bump(v["rule"], "fn")
    found_again = {(r["rule"], r["path"], r["line_text"]) for r, note in new if note}
    for k, m in missed.items():
        if k not in found_again:
            bump(m["rule"], "fn")
    return counts, new, lost, gone, kinds, demoted


def ratio(a, b):
    return f"{a / b:.2f}" if b else "–"


def row_cells(c):
    tp, fp, deb, fn = c["tp"], c["fp"], c["debatable"], c["fn"]
    reported = tp + fp + deb + c["new"] + c["unread"] + c["note"]
    return [reported, tp, fp, deb, fn, c["new"], c["unread"], c["note"],
            ratio(tp, tp + fp), ratio(tp, tp + fp + deb), ratio(tp, tp + fn)]


COUNTS = ["tp", "fp", "debatable", "fn", "new", "unread", "note"]
HEAD = ["reported", "tp", "fp", "deb", "fn", "new", "unread", "notes", "precision", "prec. (deb wrong)", "recall"]


def plain(title, head, body, md, align):
    """A table as Markdown or aligned text; align: one letter a column, l(eft) or r(ight)."""
    if md:
        out = [f"**{title}**", "", "| " + " | ".join(head) + " |",
               "|" + "|".join("--:" if a == "r" else "---" for a in align) + "|"]
        return "\n".join(out + ["| " + " | ".join(r) + " |" for r in body]) + "\n"
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    fmt = lambda r: "  ".join(x.rjust(w) if a == "r" else x.ljust(w)
                              for x, w, a in zip(r, widths, align)).rstrip()
    return "\n".join([title, fmt(head)] + [fmt(r) for r in body]) + "\n"


def table(title, first, rows, md):
    body = [[str(x) for x in r] for r in rows]
    return plain(title, [first] + HEAD, body, md, "l" + "r" * len(HEAD))


def add(total, c):
    for k, n in c.items():
        total[k] = total.get(k, 0) + n


def diff(before_path, after_path):
    """Every finding added or removed between two results files, with its verdict if any."""
    runs = []
    for path in (before_path, after_path):
        with open(path) as f:
            runs.append(json.load(f)["services"])
    before, after = runs
    changed = 0
    for name in [n for n in after if n in before]:
        triage = load_triage(name) or {"finding": []}
        verdicts = {key(v): v["verdict"] for v in triage["finding"]}
        old = {key(r): r for r in before[name]["rows"]}
        new = {key(r): r for r in after[name]["rows"]}
        lines = [("+", new[k]) for k in new.keys() - old.keys()]
        lines += [("-", old[k]) for k in old.keys() - new.keys()]
        lines.sort(key=lambda x: (x[1]["rule"], x[1]["path"], x[1]["line"]))
        if lines:
            print(f"{name}: {sum(s == '+' for s, _ in lines)} added, "
                  f"{sum(s == '-' for s, _ in lines)} removed")
        for sign, r in lines:
            print(f"  {sign} {r['rule']} {r['path']}:{r['line']} [{verdicts.get(key(r), 'untriaged')}]"
                  f" {r['line_text']}")
        changed += len(lines)
    print(f"{changed} finding(s) changed")
    return 0


def main(argv):
    if "--diff" in argv:
        i = argv.index("--diff")
        return diff(argv[i + 1], argv[i + 2])
    md = "--markdown" in argv
    services = load_services()
    results, runs, source = load_results(argv, services)
    overall, per_service, all_new, all_lost, all_gone, all_kinds = {}, [], [], [], [], []
    all_demoted = []
    untriaged, not_run, stale = [], [], []
    names = {s["name"] for s in services}
    unknown = [os.path.basename(p)[:-5] for p in glob.glob(os.path.join(HERE, "triage", "*.toml"))
               if os.path.basename(p)[:-5] not in names]
    for s in services:
        name = s["name"]
        if name not in results:
            not_run.append(name)
            continue
        triage = load_triage(name)
        if triage is None:
            untriaged.append(f"{name} ({len(results[name])} findings)")
            continue
        if triage.get("commit") != s["commit"]:
            stale.append(f"{name} (triaged at {str(triage.get('commit'))[:12]}, "
                         f"pinned at {s['commit'][:12]})")
        counts, new, lost, gone, kinds, demoted = judge(results[name], triage)
        all_demoted += [(name, v) for v in demoted]
        for scope, c in counts.items():
            add(overall.setdefault(scope, {}), c)
        per_service.append((name, counts))
        all_new += [(name, r, note) for r, note in new]
        all_lost += [(name, v) for v in lost]
        all_gone += [(name, v) for v in gone]
        all_kinds += kinds

    empty = dict.fromkeys(COUNTS, 0)
    scopes = FAMILIES + [f"`{r}`" if md else f"  {r}" for r in LOG_RULES]
    out = [f"scalelint ecosystem check: {source}; "
           f"triaged: {', '.join(n for n, _ in per_service) or 'none'}\n"]
    if untriaged:
        out.append(f"untriaged (left out): {', '.join(untriaged)}\n")
    if not_run:
        out.append(f"not in the results: {', '.join(not_run)}\n")
    if stale:
        out.append(f"triaged at another commit (re-triage what changed): {', '.join(stale)}\n")
    if unknown:
        out.append(f"triage files of no service in services.toml: {', '.join(sorted(unknown))}\n")
    if runs:
        head = ["service", "deploy", "files", "findings", "wall (s)", "peak RSS (MiB)"]
        body = [[s["name"], s["deploy"]] + [str(runs[s["name"]][k]) for k in
                ("files", "findings", "wall_s", "peak_rss_mib")]
                for s in services if s["name"] in runs]
        out.append(plain("Runs", head, body, md, "ll" + "r" * 4))
    out.append(table("Overall, per family and per log rule", "scope",
                     [[s] + row_cells(overall.get(s.strip(" `"), empty)) for s in scopes], md))
    out.append(table("Per service and family", "service / family",
                     [[f"{n} / {f}"] + row_cells(c[f]) for n, c in per_service
                      for f in FAMILIES if f in c], md))
    tally = {}
    for kind, fam, verdict in all_kinds:
        t = tally.setdefault(kind, {"fp": 0, "debatable": 0, "families": set()})
        t[verdict] += 1
        t["families"].add(fam)
    krows = sorted(tally.items(), key=lambda kv: -(kv[1]["fp"] + kv[1]["debatable"]))
    head = ["kind", "fp", "debatable", "families", "removed by"]
    body = [[k, str(t["fp"]), str(t["debatable"]), ", ".join(sorted(t["families"])),
             f"issue {KIND_ISSUE[k]}" if k in KIND_ISSUE else "–"] for k, t in krows]
    out.append(plain("Wrong and debatable findings per kind", head, body, md, "lrrll"))
    print("\n".join(out))
    if md:
        print(f"New: {len(all_new)}, lost: {len(all_lost)}, demoted to a note: "
              f"{len(all_demoted)}, gone: {len(all_gone)} "
              "(`report.py` without `--markdown` lists them).")
    else:
        print(f"NEW: {len(all_new)} finding(s) in a triaged scope with no verdict")
        for name, r, note in all_new:
            print(f"  {name}: {r['rule']} {r['path']}:{r['line']} occurrence {r['occurrence']}: "
                  f"{r['line_text']}" + (f"  ({note})" if note else ""))
        print(f"gone: {len(all_gone)} triaged fp/debatable no longer reported (fine; prune them "
              "from the triage once the change lands)")
        print(f"LOST: {len(all_lost)} triaged tp no longer reported")
        for name, v in all_lost:
            print(f"  {name}: {v['rule']} {v['path']}:{v.get('line', '?')} "
                  f"occurrence {v['occurrence']}: {v['line_text']}")
        print(f"DEMOTED: {len(all_demoted)} triaged tp reported only at note severity")
        for name, v in all_demoted:
            print(f"  {name}: {v['rule']} {v['path']}:{v.get('line', '?')} "
                  f"occurrence {v['occurrence']}: {v['line_text']}")
    return 1 if all_new or all_lost or all_demoted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
