#!/bin/sh
# Run every benchmark (soak.sh last: minutes, and 3 GB of disk). Figures
# belong in notes and the README, not in tests.
set -eu
LONGWEAVE=${1:-build/longweave}
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/shard_bench.sh" "$LONGWEAVE"
"$HERE/compressed_bench.sh" "$LONGWEAVE"
"$HERE/tokenize_bench.sh" "$LONGWEAVE"
"$HERE/bpe_bench.sh" "$LONGWEAVE"
"$HERE/cip_bench.sh" "$LONGWEAVE"
"$HERE/output_bench.sh" "$LONGWEAVE"
"$HERE/synl_bench.sh" "$LONGWEAVE"
"$HERE/datasets_bench.sh" "$LONGWEAVE"
"$HERE/soak.sh" "$LONGWEAVE"
