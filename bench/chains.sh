#!/bin/sh
# Times scalelint on generated chains at 1x, 2x and 4x length, to see whether time grows
# linearly (a doubling should about double the time). Usage: bench/chains.sh [BIN]
set -eu
BIN=${1:-target/release/scalelint}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/src"
printf '[package]\nname = "svc"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nsqlx = "0.8"\naxum = "0.7"\n' >"$dir/Cargo.toml"
for kind in call method closures assign refs oneline; do
  for mult in 1 2 4; do
    case $kind in
      call) n=$((2000 * mult)); body=$(python3 -c "print('fn f() { y' + '()'*$n + '; }')") ;;
      method) n=$((2000 * mult)); body=$(python3 -c "print('fn f() { y' + '.m()'*$n + '; }')") ;;
      closures) n=$((2000 * mult)); body=$(python3 -c "print('fn f() { let _ = ' + '|| '*$n + 'y; }')") ;;
      assign) n=$((2000 * mult)); body=$(python3 -c "print('fn f() { ' + 'x = '*$n + '1; }')") ;;
      refs) n=$((16000 * mult)); body=$(python3 -c "print('fn f() { let _ = ' + '&'*$n + 'y; }')") ;;
      oneline) n=$((100000 * mult)); body=$(python3 -c "print('fn f() { ' + 'let x = 1; '*$n + '}')") ;;
    esac
    printf '%s\n' "$body" >"$dir/src/lib.rs"
    start=$(date +%s.%N)
    "$BIN" --no-prefilter --format short "$dir" >/dev/null || true
    end=$(date +%s.%N)
    printf '%-8s %dx %8d bytes %6.2f s\n' "$kind" "$mult" "$(wc -c <"$dir/src/lib.rs")" "$(echo "$end - $start" | bc)"
  done
done
