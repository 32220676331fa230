#!/bin/sh
# Run every libFuzzer target of BUILD (built by `make fuzz`) for SECONDS
# each, two at a time, starting from the seeds in tests/fuzz/seeds/TARGET.
# New inputs go to BUILD/corpus/TARGET, crashes to BUILD/crash-TARGET-*.
# Prints one line per target and "N passed, N failed"; exits non-zero when a
# target found a crash, a leak or a timeout (its log is printed).
set -u
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
run_one() {
    name=$1
    mkdir -p "$BUILD/corpus/$name"
    "$BUILD/fuzz_$name" -max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$BUILD/crash-$name-" \
        "$BUILD/corpus/$name" "$here/seeds/$name" >"$BUILD/fuzz_$name.log" 2>&1
}
report() {
    name=$1
    rc=$2
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BUILD/fuzz_$name.log")
    if [ "$rc" -eq 0 ]; then
        printf '%-28s ok (%s runs in %ss)\n' "fuzz/$name" "${runs:-?}" "$SECONDS_EACH"
        pass=$((pass + 1))
    else
        printf '%-28s FAILED (exit %s)\n' "fuzz/$name" "$rc"
        tail -n 60 "$BUILD/fuzz_$name.log"
        fail=$((fail + 1))
    fi
}
set -- $(cd "$here/seeds" && ls)
while [ $# -gt 0 ]; do
    a=$1
    shift
    run_one "$a" &
    pa=$!
    b=
    if [ $# -gt 0 ]; then
        b=$1
        shift
        run_one "$b" &
        pb=$!
    fi
    wait "$pa"; ra=$?
    report "$a" "$ra"
    if [ -n "$b" ]; then
        wait "$pb"; rb=$?
        report "$b" "$rb"
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
