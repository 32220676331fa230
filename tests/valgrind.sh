#!/bin/sh
# Run the command-line tests with every longweave process under
# `valgrind --leak-check=full`: a definite or indirect leak, or any memory
# error, makes that process exit 99 (so its test fails) and is listed at the
# end from the logs. Slow (valgrind runs the command ~30x slower): by hand,
# not in CI. PCRE2's JIT is off (LONGWEAVE_PCRE2_JIT=0): its SIMD scans read
# aligned 16-byte blocks past the end of the subject by design, which
# valgrind would report on every regex match; the interpreter matches alike.
# Usage: tests/valgrind.sh [BUILD] [test_name.py ...]
set -u
BUILD=${1:-build}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$BUILD" && pwd)/longweave
logs=$(mktemp -d "${TMPDIR:-/tmp}/lwvalgrind.XXXXXX")
wrapper="$logs/longweave"
cat >"$wrapper" <<WRAP
#!/bin/sh
LONGWEAVE_PCRE2_JIT=0 exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \\
    --show-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$logs/vg.%p.log" \\
    "$bin" "\$@"
WRAP
chmod 755 "$wrapper"
chmod 1777 "$logs" # a test runs longweave as another user
export LONGWEAVE="$wrapper"
tests=${*:-$(cd "$root/tests/cli" && ls test_*.py)}
pass=0
fail=0
for t in $tests; do
    out=$(cd "$root" && python3 "tests/cli/$t" 2>&1)
    p=$(printf '%s\n' "$out" | grep -c '^ok ')
    f=$(printf '%s\n' "$out" | grep -c '^not ok ')
    printf '%-28s %3d passed, %d failed\n' "valgrind/${t%.py}" "$p" "$f"
    [ "$f" -gt 0 ] && printf '%s\n' "$out" | grep -v '^ok '
    pass=$((pass + p))
    fail=$((fail + f))
done
bad=$(grep -l 'definitely lost\|indirectly lost\|Invalid \|uninitialised\|Mismatched' "$logs"/vg.*.log 2>/dev/null)
runs=$(ls "$logs"/vg.*.log 2>/dev/null | wc -l)
if [ -n "$bad" ]; then
    for f in $bad; do echo "--- $f"; head -n 60 "$f"; done
    fail=$((fail + 1))
fi
echo "$runs longweave runs under valgrind; logs with problems: $(printf '%s' "$bad" | grep -c .)"
echo "$pass passed, $fail failed"
[ -n "$bad" ] || rm -rf "$logs"
[ "$fail" -eq 0 ]
