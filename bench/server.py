#!/usr/bin/env python3
"""`scalelint server` against the CLI on one workspace (default: lemmy from the ecosystem check).

Measured, in paired rounds (CLI, then server), wall time:
  cli      `scalelint PATH -q --format short` from start to exit;
  first    the server started, `initialize`d, one file opened: until its first
           `textDocument/publishDiagnostics` (the whole workspace analysed);
  reanalyse  that file changed (one line added at its end): until diagnostics for the new
           version (parsed files are kept, so only the edited one is parsed again).
The server runs with `debounceMs: 0` (the debounce is a deliberate wait, not work).
Also the CPU time (user + system) of each, which a loaded machine disturbs less. Prints each
round and the medians with the ratios to the CLI's.

    python3 bench/server.py --bin target/release/scalelint [--rounds 5] [PATH [FILE]]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def frame(msg):
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def wait_for(proc, pred):
    while True:
        m = read(proc.stdout)
        if m is None:
            raise SystemExit("the server ended")
        if pred(m):
            return m


def cpu(pid):
    """User + system CPU seconds of a running process so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_round(binary, root, file):
    uri = "file://" + os.path.abspath(file)
    text = open(file, encoding="utf-8").read()
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    send = lambda m: (proc.stdin.write(frame(m)), proc.stdin.flush())
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": None, "rootUri": "file://" + os.path.abspath(root), "capabilities": {},
        "initializationOptions": {"debounceMs": 0}}})
    wait_for(proc, lambda m: m.get("id") == 1)
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "rust", "version": 1, "text": text}}})
    published = lambda version: lambda m: (
        m.get("method") == "textDocument/publishDiagnostics"
        and m["params"]["uri"] == uri and m["params"].get("version") == version)
    wait_for(proc, published(1))
    first = time.perf_counter() - t0
    first_cpu = cpu(proc.pid)
    t1 = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"text": text + "\n// edited\n"}]}})
    wait_for(proc, published(2))
    again = time.perf_counter() - t1
    again_cpu = cpu(proc.pid) - first_cpu
    send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
    wait_for(proc, lambda m: m.get("id") == 2)
    send({"jsonrpc": "2.0", "method": "exit", "params": None})
    proc.wait(timeout=60)
    return first, again, first_cpu, again_cpu


def cli_round(binary, root):
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([binary, root, "-q", "--format", "short"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/release/scalelint")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("path", nargs="?", default="/work/eco/src/lemmy")
    ap.add_argument("file", nargs="?", help="the file opened and edited (default: the path's "
                    "largest .rs file under crates/ or src/)")
    args = ap.parse_args()
    root = os.path.abspath(args.path)
    file = args.file
    if file is None:
        files = []
        for d, _, names in os.walk(root):
            if "/target" in d or "/." in d:
                continue
            files += [os.path.join(d, n) for n in names if n.endswith(".rs")]
        file = max(files, key=os.path.getsize)
    print(f"workspace {root}\nfile {file}\nbinary {args.bin}")
    rows = []
    for r in range(args.rounds):
        c, c_cpu = cli_round(args.bin, root)
        f, a, f_cpu, a_cpu = server_round(args.bin, root, file)
        rows.append((c, f, a, c_cpu, f_cpu, a_cpu))
        print(f"round {r + 1}: wall: cli {c:.3f} s, first diagnostics {f:.3f} s, re-analysis "
              f"{a:.3f} s; CPU: cli {c_cpu:.2f} s, first {f_cpu:.2f} s, re-analysis {a_cpu:.2f} s",
              flush=True)
    mc, mf, ma, cc, cf, ca = (statistics.median(x) for x in zip(*rows))
    print(f"median wall: cli {mc:.3f} s, first {mf:.3f} s ({mf / mc:.2f}x), "
          f"re-analysis {ma:.3f} s ({ma / mc:.2f}x)")
    print(f"median CPU:  cli {cc:.2f} s, first {cf:.2f} s ({cf / cc:.2f}x), "
          f"re-analysis {ca:.2f} s ({ca / cc:.2f}x)")


if __name__ == "__main__":
    sys.exit(main())
