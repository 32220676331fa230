#!/bin/sh
# Run every test of the project: the cmocka unit tests and the command-line
# tests, all speaking TAP ("ok N - name" / "not ok N - name"). Prints each
# failure with its diagnostics, a line per suite, and a final
# "N passed, N failed"; exits non-zero on any failure.
set -u
BUILD=${1:-build}
export CMOCKA_MESSAGE_OUTPUT=TAP
LONGWEAVE=$(cd "$(dirname "$BUILD/longweave")" && pwd)/longweave
export LONGWEAVE
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_suite() {
    name=$1
    shift
    "$@" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >>"$log"
    fi
    if [ "$f" -gt 0 ]; then
        echo "--- $name"
        grep -v '^ok ' "$log"
    fi
    printf '%-28s %3d passed, %d failed\n' "$name" "$p" "$f"
    pass=$((pass + p))
    fail=$((fail + f))
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_suite "unit/$(basename "$t")" "$t"
done
for t in tests/cli/test_*.py; do
    run_suite "cli/$(basename "$t" .py)" python3 "$t"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
