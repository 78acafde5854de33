#!/usr/bin/env bash
# Rebuilds the benchmark corpus: vendors every dependency (all platforms) of bench/corpus into
# bench/corpus/vendor (git-ignored) at the versions pinned in bench/corpus/Cargo.lock.
#
# Then it removes the crates that are machine-generated bindings or data tables rather than code
# anyone writes by hand: `*-sys` FFI crates, the Windows / WASM / UEFI / Objective-C platform API
# bindings, and chrono-tz's generated time-zone tables. They are about a third of the bytes, no
# service looks like them, and they would turn the benchmark into a test of parsing giant
# declaration lists (which a keyword prefilter skips for free). `--keep-bindings` keeps them.
#
# Usage: bench/vendor.sh [--keep-bindings]
set -euo pipefail
cd "$(dirname "$0")/.."

keep_bindings=false
case "${1:-}" in
"") ;;
--keep-bindings) keep_bindings=true ;;
*)
    echo "usage: bench/vendor.sh [--keep-bindings]" >&2
    exit 2
    ;;
esac

corpus=bench/corpus
vendor=$corpus/vendor

rs_stats() { # files and MiB of Rust under $1
    find "$1" -type f -name '*.rs' -printf '%s\n' |
        awk '{n++; s+=$1} END {printf "%d .rs files (%.1f MiB of Rust)", n, s/1048576}'
}

# --locked: exactly the committed Cargo.lock. Vendor into a fresh folder.
rm -rf "$vendor"
cargo vendor --quiet --locked --manifest-path "$corpus/Cargo.toml" "$vendor" >/dev/null
echo "vendored: $(find "$vendor" -mindepth 1 -maxdepth 1 -type d | wc -l) crates, $(rs_stats "$vendor")"

if ! $keep_bindings; then
    removed=()
    for dir in "$vendor"/*/; do
        name=$(basename "$dir")
        base=${name%%-[0-9]*} # cargo vendor adds -<version> when two versions coexist
        case "$base" in
        *-sys | windows | windows-* | windows_* | web-sys | js-sys | wasi | wasip2 | wit-bindgen | \
            r-efi | objc2-* | chrono-tz)
            removed+=("$name")
            rm -rf "$dir"
            ;;
        esac
    done
    echo "removed ${#removed[@]} binding/data crates: ${removed[*]}"
fi

echo "corpus: $vendor"
echo "crates: $(find "$vendor" -mindepth 1 -maxdepth 1 -type d | wc -l)"
echo "$(rs_stats "$vendor")"
echo "total size on disk: $(du -sh "$vendor" | cut -f1)"
