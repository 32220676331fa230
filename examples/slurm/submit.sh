#!/usr/bin/env bash
# Submit a longweave stage to Slurm as a job array of N parts (--part I/N)
# and a merge job that starts when every part has succeeded.
#
#   examples/slurm/submit.sh N STAGE OUT [STAGE ARGS...]
#   e.g. examples/slurm/submit.sh 64 tokenize /data/tok/web -t llama3.tiktoken /data/shards
#
# Part I writes OUT.parts/part-IIIII (see examples/parallel.sh), the merge
# writes OUT. Every task runs with --resume, so submitting the same line
# again after a failure redoes only the parts that did not finish. Resources
# (cpus, memory, time, partition) are set in part.sbatch and merge.sbatch or
# with SBATCH_* environment variables; LONGWEAVE names the binary if it is not
# on the nodes' PATH. OUT, the inputs and this folder must be on a file
# system the nodes share.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 3 ] || { echo "usage: submit.sh N STAGE OUT [STAGE ARGS...]" >&2; exit 64; }
n=$1 stage=$2 out=$3
shift 3
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N must be a positive count" >&2; exit 64; }
mkdir -p "$out.parts/logs"
# Slurm runs a copy of the batch script, so the helper's path is passed along.
array=$(sbatch --parsable --array=0-$((n - 1)) --job-name="lw-$stage" \
    --output="$out.parts/logs/part-%a.log" \
    "$here/part.sbatch" "$here/../parallel.sh" "$n" "$stage" "$out" "$@")
array=${array%%;*} # "jobid;cluster" on federated clusters
merge=$(sbatch --parsable --dependency="afterok:$array" --job-name="lw-$stage-merge" \
    --output="$out.parts/logs/merge.log" \
    "$here/merge.sbatch" "$here/../parallel.sh" "$n" "$stage" "$out")
echo "submitted parts as job $array (array 0-$((n - 1))) and the merge as job ${merge%%;*}"
