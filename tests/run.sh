#!/usr/bin/env bash
# The whole sio test suite, on a fresh machine: installs what the tests need, then runs them.
#
#   bash tests/run.sh
#
# Needs: a Rust toolchain (cargo), Python 3, Node.js with npm (for the reference peers and the golden
# vectors). Everything else (chromium, redis-server) is installed here.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "npm packages of the JavaScript peers (tests/js, pinned by package-lock.json)"
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error

step "python-socketio (pip, pinned by tests/py/requirements.txt) in tests/py/.venv"
if [ ! -x tests/py/.venv/bin/python ]; then
  python3 -m venv tests/py/.venv || {
    # Debian ships venv separately.
    apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv tests/py/.venv
  }
fi
tests/py/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/py/requirements.txt

step "openssl (makes the TLS test's certificates)"
if ! command -v openssl >/dev/null; then
  apt-get update -qq && apt-get install -y -qq openssl
fi

step "Debian's chromium for the browser test"
bash tests/install-browser.sh

step "Debian's redis-server and redis-tools for the cluster tests (classic, sharded on a Redis Cluster, streams)"
bash tests/install-redis.sh

step "golden vectors are exactly what the reference parsers produce"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
GOLDEN_OUT_DIR="$out" node tests/js/gen-golden.mjs >/dev/null
GOLDEN_OUT_DIR="$out" node tests/js/gen-golden-msgpack.mjs >/dev/null
for f in eio.json sio.json msgpack.json eio3.json; do
  if ! cmp -s "$out/$f" "core/tests/golden/$f"; then
    echo "core/tests/golden/$f differs from what tests/js/gen-golden*.mjs generate" >&2
    exit 1
  fi
done
echo "golden vectors match the reference parsers"

step "cargo test (unit, golden, property, simulation, fuzz-corpus replay, interop, browser: chat and Admin UI, doc)"
cargo test --workspace --all-targets --no-fail-fast
cargo test --workspace --doc

step "a stalled reader among 100 healthy ones, 500 MiB broadcast (release build)"
cargo test --release -p sio-tests --test stalled_reader

step "soak and fault injection, quick (tests/soak/run.sh --quick: 10,000 connections, churn, stalled readers, stopped clients, a cut proxy under acked clients, a Redis restart)"
bash tests/soak/run.sh --quick
