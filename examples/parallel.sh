#!/usr/bin/env bash
# Run one longweave stage as N parts (--part I/N) with GNU parallel, on this
# machine or over ssh, then merge the parts into the output a single run
# would have written. Rerun with --resume after a failure: finished parts
# (manifest present, same command, files verified) are skipped.
#
#   examples/parallel.sh [options] STAGE OUT [STAGE ARGS...]
#
#   -n N                 number of parts (default 4)
#   -j JOBS              parts run at once (default: number of cores)
#   --threads T          -j given to each longweave run (default 1)
#   --resume             skip finished parts and a finished merge
#   --force              replace an OUT that is already there (and its parts)
#   --sshloginfile FILE  spread the parts over the hosts in FILE (GNU
#                        parallel's format); OUT, the inputs and longweave
#                        must be at the same paths on every host (shared FS)
#   --longweave BIN      the longweave command (default: longweave on PATH)
#
# STAGE is shard, tokenize, cip, synl or needle. Part I goes to
# OUT.parts/part-IIIII (tokenize: OUT.parts/part-IIIII/NAME for the prefix
# OUT = DIR/NAME), and `longweave merge` joins them into OUT.
#
# The Slurm scripts in examples/slurm/ use the two steps on their own:
#   examples/parallel.sh part I N STAGE OUT [STAGE ARGS...]   # one part
#   examples/parallel.sh merge N STAGE OUT                    # the merge
set -euo pipefail

LONGWEAVE=${LONGWEAVE:-longweave}
PARTS=4
JOBS=
THREADS=1
RESUME=()
FORCE=()
SSH=()

die() { echo "parallel.sh: $*" >&2; exit 64; }

# The output of part I: a directory, or a prefix inside one for tokenize.
part_output() { # STAGE OUT I
    local dir
    dir="$2.parts/part-$(printf %05d "$3")"
    if [ "$1" = tokenize ]; then echo "$dir/$(basename "$2")"; else echo "$dir"; fi
}

check_stage() {
    case $1 in shard|tokenize|cip|synl|needle) ;; *) die "cannot split '$1' into parts";; esac
}

run_part() { # I N STAGE OUT ARGS...
    local i=$1 n=$2 stage=$3 out=$4
    shift 4
    check_stage "$stage"
    "$LONGWEAVE" "$stage" "$@" --part "$i/$n" -j "$THREADS" -q "${RESUME[@]}" "${FORCE[@]}" \
        -o "$(part_output "$stage" "$out" "$i")"
}

run_merge() { # N STAGE OUT
    local n=$1 stage=$2 out=$3 i
    local inputs=()
    for ((i = 0; i < n; i++)); do inputs+=("$(part_output "$stage" "$out" "$i")"); done
    "$LONGWEAVE" merge -q "${RESUME[@]}" "${FORCE[@]}" "$out" "${inputs[@]}"
}

# The manifest a finished output has, and a finished part I of N > 1
# (longweave's layout: docs/DESIGN.md, "Layout").
manifest_of() { # STAGE OUT [I]
    if [ "$1" = tokenize ]; then echo "$2.manifest.json"
    elif [ $# -eq 3 ]; then printf '%s/manifest.part-%05d.json\n' "$2" "$3"
    else echo "$2/manifest.json"; fi
}

while [ $# -gt 0 ]; do
    case $1 in
        -n) PARTS=$2; shift 2 ;;
        -j) JOBS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --resume) RESUME=(--resume); shift ;;
        --force) FORCE=(--force); shift ;;
        --sshloginfile) SSH=(--sshloginfile "$2" --workdir "$PWD"); shift 2 ;;
        --longweave) LONGWEAVE=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
    esac
done

case ${1:-} in
    part) shift; [ $# -ge 4 ] || die "part I N STAGE OUT [ARGS...]"; run_part "$@"; exit ;;
    merge) shift; [ $# -eq 3 ] || die "merge N STAGE OUT"; run_merge "$@"; exit ;;
esac

[ $# -ge 2 ] || die "usage: parallel.sh [options] STAGE OUT [STAGE ARGS...] (--help)"
[[ $PARTS =~ ^[1-9][0-9]*$ ]] || die "-n takes a positive count"
command -v parallel >/dev/null || die "GNU parallel is not installed (Debian: apt install parallel)"
stage=$1 out=$2
shift 2
check_stage "$stage"
[ ${#RESUME[@]} -eq 0 ] || [ ${#FORCE[@]} -eq 0 ] || die "give --resume or --force, not both"
# Before any part runs: an output already there is replaced only when asked.
if [ -e "$(manifest_of "$stage" "$out")" ] && [ ${#RESUME[@]} -eq 0 ] && [ ${#FORCE[@]} -eq 0 ]; then
    echo "parallel.sh: $out already holds an output ($(manifest_of "$stage" "$out")); give" \
         "--resume to finish or keep it, --force to replace it" >&2
    exit 73
fi
done_before=0
for ((i = 0; i < PARTS; i++)); do
    part=$(part_output "$stage" "$out" "$i")
    if [ "$PARTS" -gt 1 ]; then
        m=$(manifest_of "$stage" "$part" "$i")
    else
        m=$(manifest_of "$stage" "$part")
    fi
    if [ -e "$m" ]; then done_before=$((done_before + 1)); fi
done
mkdir -p "$out.parts"
self=$(realpath "$0")
start=$(date +%s)
# Each job calls this script's `part` step with the same options.
flags=("${RESUME[@]}" "${FORCE[@]}")
if ! parallel --will-cite --halt never -j "${JOBS:-$(nproc)}" "${SSH[@]}" \
        --joblog "$out.parts/joblog" \
        -q "$self" --longweave "$LONGWEAVE" --threads "$THREADS" "${flags[@]}" \
        part '{}' "$PARTS" "$stage" "$out" "$@" ::: $(seq 0 $((PARTS - 1))); then
    echo "parallel.sh: some parts failed (see $out.parts/joblog); rerun with --resume" >&2
    exit 1
fi
run_merge "$PARTS" "$stage" "$out"
if [ ${#RESUME[@]} -gt 0 ] && [ "$done_before" -gt 0 ]; then
    kept="; $done_before had an output already (kept if complete, else redone)"
else
    kept=""
fi
echo "parallel.sh: $stage in $PARTS parts$kept, merged into $out in $(($(date +%s) - start)) s" \
     "(manifest: $(manifest_of "$stage" "$out"); parts in $out.parts/)" >&2
