#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) from the committed seeds; exits non-zero on a crash.
# Usage: bash fuzz/run.sh [SECONDS]
# cargo-fuzz needs nightly flags; on a stable toolchain RUSTC_BOOTSTRAP=1 unlocks them.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
targets=(analyse_file config nesting)
start=$(date +%s)
cargo fuzz build
echo "fuzz: built the targets in $(($(date +%s) - start)) s"
status=0
for target in "${targets[@]}"; do
    # A fresh working corpus each run, grown from the seeds (the seeds themselves are never written).
    mkdir -p "corpus/$target" "artifacts/$target"
    if [ "$target" = analyse_file ]; then
        # The fixtures are seeds too: copied into the working corpus, not kept twice in the repo.
        find ../fixtures -name '*.rs' -print0 | while IFS= read -r -d '' f; do
            rel=${f#../fixtures/}
            cp "$f" "corpus/$target/${rel//\//__}"
        done
    fi
    echo "fuzz: $target for ${seconds} s"
    # -detect_leaks=0: LeakSanitizer flags glibc's thread-exit list of the engine's worker threads
    # (64 bytes from __cxa_thread_atexit_impl), which is no bug; crashes and hangs still fail.
    if ! cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -max_len=8192 \
        -detect_leaks=0 -print_final_stats=1; then
        echo "fuzz: $target CRASHED; the input is in fuzz/artifacts/$target/" >&2
        echo "fuzz: reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run $target fuzz/artifacts/$target/<file>" >&2
        status=1
    fi
done
exit "$status"
