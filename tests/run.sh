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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The npm reference packages are installed once here, not by two suites at
# the same time (harness.node_modules uses LONGWEAVE_NODE_MODULES).
if [ -z "${LONGWEAVE_NODE_MODULES:-}" ] && nm=$(scripts/npm_deps.sh) && [ -n "$nm" ]; then
    export LONGWEAVE_NODE_MODULES="$nm"
fi

# Suites run TEST_JOBS at a time (default 2: the suites are mostly one
# process each), each into its own log; they are reported in this order.
i=0
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    i=$((i + 1))
    printf '%04d unit/%s %s\n' "$i" "$(basename "$t")" "$t"
done >"$work/list"
for t in tests/cli/test_*.py; do
    i=$((i + 1))
    printf '%04d cli/%s %s\n' "$i" "$(basename "$t" .py)" "$t"
done >>"$work/list"
# shellcheck disable=SC2016
xargs -P "${TEST_JOBS:-2}" -L 1 sh -c '
    case $2 in cli/*) python3 "$3" ;; *) "$3" ;; esac >"$0/$1.log" 2>&1
    echo $? >"$0/$1.rc"' "$work" <"$work/list"

report() {
    name=$1
    log=$2
    rc=$3
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

while read -r idx name _; do
    rc=$(cat "$work/$idx.rc" 2>/dev/null || echo 1)
    [ -f "$work/$idx.log" ] || : >"$work/$idx.log"
    report "$name" "$work/$idx.log" "$rc"
done <"$work/list"
if [ "$skip" -gt 0 ]; then
    echo "$skip tests SKIPPED (a component they need is missing; see above)"
    if [ "${CI:-}" = true ]; then
        echo "CI runs every test: the skipped ones count as failed"
        fail=$((fail + skip))
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
