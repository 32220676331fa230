#!/bin/sh
# Run every test of the project: the cmocka unit tests and the command-line
# tests, all speaking TAP ("ok N - name" / "not ok N - name"). Prints each
# failure with its diagnostics, a line per suite, and a final
# "N passed, N failed"; exits non-zero on any failure. A test that cannot get
# a component it needs is reported "# SKIP" and listed; with CI=true it fails.
set -u
BUILD=${1:-build}
export CMOCKA_MESSAGE_OUTPUT=TAP
LONGWEAVE=$(cd "$(dirname "$BUILD/longweave")" && pwd)/longweave
export LONGWEAVE
pass=0
fail=0
skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_suite() {
    name=$1
    shift
    "$@" >"$log" 2>&1
    rc=$?
    p=$(grep '^ok ' "$log" | grep -vc '# SKIP')
    f=$(grep -c '^not ok ' "$log")
    s=$(grep -c '^ok .*# SKIP' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >>"$log"
    fi
    if [ "$f" -gt 0 ] || [ "$s" -gt 0 ]; then
        echo "--- $name"
        grep -v '^ok ' "$log"
        grep '^ok .*# SKIP' "$log"
    fi
    printf '%-28s %3d passed, %d failed%s\n' "$name" "$p" "$f" \
        "$([ "$s" -gt 0 ] && echo ", $s SKIPPED")"
    pass=$((pass + p))
    fail=$((fail + f))
    skip=$((skip + s))
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_suite "unit/$(basename "$t")" "$t"
done
for t in tests/cli/test_*.py; do
    run_suite "cli/$(basename "$t" .py)" python3 "$t"
done
if [ "$skip" -gt 0 ]; then
    echo "$skip tests SKIPPED (a component they need is missing; see above)"
    if [ "${CI:-}" = true ]; then
        echo "CI runs every test: the skipped ones count as failed"
        fail=$((fail + skip))
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
