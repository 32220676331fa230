#!/usr/bin/env bash
# Submit a longweave stage to Slurm as a job array of N parts (--part I/N)
# and a merge job that starts when every part has succeeded.
#
#   examples/slurm/submit.sh [options] N STAGE OUT [STAGE ARGS...]
#   e.g. examples/slurm/submit.sh --cpus 8 --mem 16G 64 tokenize /data/tok/web \
#            -t llama3.tiktoken /data/shards
#
# Resources, given to sbatch on its command line (an option wins over its
# variable):
#   --cpus C         CPUs of each part, its longweave -j (LW_CPUS, default 2)
#   --mem M          memory of each part (LW_MEM, default 4G)
#   --time T         time limit of each part (LW_TIME; default: the partition's)
#   --merge-mem M    memory of the merge, which runs on one CPU (LW_MERGE_MEM,
#                    default 2G; the merge streams, its memory stays flat)
#   --merge-time T   time limit of the merge (LW_MERGE_TIME; default: the
#                    partition's)
#   --partition P    (LW_PARTITION; default: the cluster's default partition)
#   --account A      (LW_ACCOUNT; default: yours)
#   --all            submit every part, even those already finished
#
# Part I writes OUT.parts/part-IIIII (see examples/parallel.sh), the merge
# writes OUT. Submitting the same line again after a failure submits only
# the parts that have no manifest yet (a part writes its manifest last), and
# the merge. (The merge of a failed array never starts: squeue shows it
# pending with DependencyNeverSatisfied; scancel it.) Every task runs with
# --resume, so a part that is submitted but finished (same command, files
# verified) is skipped, and one that was interrupted is redone from a clean
# state. Use --all after changing the stage's arguments: each part then finds
# its output made by another command and redoes it. LONGWEAVE names the
# binary if it is not on the nodes' PATH; other sbatch settings go in
# SBATCH_* variables. OUT, the inputs and this folder must be on a file
# system the nodes share.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
helper=$(cd "$here/.." && pwd)/parallel.sh

die() { echo "submit.sh: $*" >&2; exit 64; }

cpus=${LW_CPUS:-2} mem=${LW_MEM:-4G} time=${LW_TIME:-}
merge_mem=${LW_MERGE_MEM:-2G} merge_time=${LW_MERGE_TIME:-}
partition=${LW_PARTITION:-} account=${LW_ACCOUNT:-}
all=
while [ $# -gt 0 ]; do
    case $1 in
        --cpus|--mem|--time|--merge-mem|--merge-time|--partition|--account)
            [ $# -ge 2 ] || die "$1 takes a value"
            case $1 in
                --cpus) cpus=$2 ;; --mem) mem=$2 ;; --time) time=$2 ;;
                --merge-mem) merge_mem=$2 ;; --merge-time) merge_time=$2 ;;
                --partition) partition=$2 ;; --account) account=$2 ;;
            esac
            shift 2 ;;
        --all) all=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --) shift; break ;;
        -*) die "unknown option $1 (--help)" ;;
        *) break ;;
    esac
done
[ $# -ge 3 ] || die "usage: submit.sh [options] N STAGE OUT [STAGE ARGS...] (--help)"
n=$1 stage=$2 out=$3
shift 3
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive count"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus takes a positive count"
case $stage in shard|tokenize|cip|synl|needle) ;; *) die "cannot split '$stage' into parts" ;; esac

# Has part I written its manifest? (the layout of examples/parallel.sh:
# tokenize writes the prefix OUT.parts/part-IIIII/NAME, the others a folder
# with manifest.json or manifest.part-IIIII.json)
finished() {
    local dir tag
    tag=$(printf %05d "$1")
    dir=$out.parts/part-$tag
    if [ "$stage" = tokenize ]; then
        [ -e "$dir/$(basename "$out").manifest.json" ]
    else
        [ -e "$dir/manifest.json" ] || [ -e "$dir/manifest.part-$tag.json" ]
    fi
}

# The parts to run, as an array range: "0-63", or "3,17-18" after a failure.
todo=() left=0
for ((i = 0; i < n; i++)); do
    if [ -n "$all" ] || ! finished "$i"; then
        todo+=("$i")
        left=$((left + 1))
    fi
done
range=
for ((k = 0; k < left; k++)); do
    first=${todo[k]}
    while [ $((k + 1)) -lt "$left" ] && [ "${todo[k + 1]}" -eq $((todo[k] + 1)) ]; do
        k=$((k + 1))
    done
    [ "${todo[k]}" -eq "$first" ] && range+=",$first" || range+=",$first-${todo[k]}"
done
range=${range#,}

common=()
[ -n "$partition" ] && common+=(--partition="$partition")
[ -n "$account" ] && common+=(--account="$account")
mkdir -p "$out.parts/logs"
dep=()
if [ "$left" -gt 0 ]; then
    part_res=(--cpus-per-task="$cpus" --mem="$mem")
    [ -n "$time" ] && part_res+=(--time="$time")
    # Slurm runs a copy of the batch script, so the helper's path is passed along.
    array=$(sbatch --parsable --array="$range" --job-name="lw-$stage" \
        --output="$out.parts/logs/part-%a.log" "${common[@]}" "${part_res[@]}" \
        "$here/part.sbatch" "$helper" "$n" "$stage" "$out" "$@")
    array=${array%%;*} # "jobid;cluster" on federated clusters
    echo "submit.sh: job $array: parts $range of 0-$((n - 1)) ($left of $n; ${part_res[*]})"
    dep=(--dependency="afterok:$array")
else
    echo "submit.sh: all $n parts are finished; submitting the merge only"
fi
merge_res=(--cpus-per-task=1 --mem="$merge_mem")
[ -n "$merge_time" ] && merge_res+=(--time="$merge_time")
merge=$(sbatch --parsable "${dep[@]}" --job-name="lw-$stage-merge" \
    --output="$out.parts/logs/merge.log" "${common[@]}" "${merge_res[@]}" \
    "$here/merge.sbatch" "$helper" "$n" "$stage" "$out")
merge=${merge%%;*}
echo "submit.sh: job $merge: the merge into $out (${dep[*]:-no dependency}; ${merge_res[*]})"
