#!/usr/bin/env bash
# The soak and fault-injection run of a sio server (see tests/soak/README.md):
#
#   bash tests/soak/run.sh            # the full run, about 10 minutes
#   bash tests/soak/run.sh --quick    # under 3 minutes (tests/run.sh runs this one)
#
# Builds the release binaries, raises the open-file limit, and hands over to the conductor
# (tests/src/bin/soak.rs), which ends with one line `SOAK conns=N churned=N …` and exits
# non-zero when a check fails. Logs of every process go to target/soak/.
set -euo pipefail
cd "$(dirname "$0")/../.."

args=()
for a in "$@"; do
  case "$a" in
    --quick) args+=(--quick) ;;
    *) echo "usage: bash tests/soak/run.sh [--quick]" >&2; exit 64 ;;
  esac
done

# 10,000 connections, a fifth of them long-polling (two sockets each), plus churn: far above
# the usual soft limit of 1024. Every process of the run inherits this one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "soak: open-file limit $(ulimit -n)"

# The cluster phase needs redis-server (Debian's package).
bash tests/install-redis.sh >/dev/null

# The server on jemalloc (see the `jemalloc` feature of tests/Cargo.toml).
cargo build --release -q -p sio-tests --features jemalloc --bin soak --bin soak-server --bin soak-load
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
rm -rf "$target/soak"
mkdir -p "$target/soak"
exec "$target/release/soak" --bin-dir "$target/release" --log-dir "$target/soak" "${args[@]}"
