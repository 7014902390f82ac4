#!/usr/bin/env bash
# Broadcast through each Redis adapter across three sio servers, one command:
# `bash tests/bench/cluster.sh`.
#
# For each adapter (classic: one redis-server; sharded: a Redis Cluster of three masters made
# with redis-cli; streams: one redis-server, with and without connection state recovery)
# starts three `sio-server --driver tokio` pinned to $SERVER_CPU, spreads the load generator's
# clients over them (pinned to $GEN_CPU; the broadcast sender on the first server), and
# measures deliveries per second: every broadcast goes to every socket of every server, two
# thirds of them through Redis. CPU is the three servers' together; Redis runs unpinned.
#
# Environment knobs: ADAPTERS (default "classic sharded streams streams+recovery"), CLIENTS
# (receivers, default 900), INFLIGHT (broadcasts outstanding, default 4), DURATION (default 5),
# REPEAT (runs per adapter, median kept; default 1), SERVER_CPU / GEN_CPU (default 0 / 1).
# Needs Debian's redis-server and redis-tools (tests/install-redis.sh).
set -euo pipefail
unset RUST_BACKTRACE RUST_LOG

here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
ADAPTERS="${ADAPTERS:-classic sharded streams streams+recovery}"
CLIENTS="${CLIENTS:-900}"
INFLIGHT="${INFLIGHT:-4}"
DURATION="${DURATION:-5}"
REPEAT="${REPEAT:-1}"
SERVER_CPU="${SERVER_CPU:-0}"
GEN_CPU="${GEN_CPU:-1}"
RESULTS="${RESULTS:-$(mktemp /tmp/sio-bench-cluster.XXXXXX)}"

echo "building (release) ..." >&2
cargo build --quiet --release --manifest-path "$here/Cargo.toml" --bins
bin="$CARGO_TARGET_DIR/release"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work="$(mktemp -d /tmp/sio-bench-redis.XXXXXX)"
REDIS_PIDS=()
SERVER_PIDS=()

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
  for _ in $(seq 100); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "redis-server on $1 did not start" >&2; exit 1
}

# Starts one redis-server without persistence; sets REDIS_URLS.
start_redis() {
  local port; port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
    >/dev/null 2>&1 &
  REDIS_PIDS+=($!)
  wait_port "$port"
  REDIS_URLS="redis://127.0.0.1:$port/"
}

# Starts a Redis Cluster of three masters; sets REDIS_URLS.
start_redis_cluster() {
  local addrs=() urls=()
  for i in 1 2 3; do
    local port bus; port="$(free_port)"; bus="$(free_port)"
    mkdir -p "$work/$port"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-port "$bus" \
      --cluster-config-file nodes.conf --save "" --appendonly no --dir "$work/$port" \
      >/dev/null 2>&1 &
    REDIS_PIDS+=($!)
    wait_port "$port"
    addrs+=("127.0.0.1:$port")
    urls+=("redis://127.0.0.1:$port/")
  done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
  for _ in $(seq 100); do
    redis-cli -p "${addrs[0]#*:}" cluster info | grep -q cluster_state:ok && break
    sleep 0.1
  done
  REDIS_URLS="$(IFS=,; echo "${urls[*]}")"
}

# Starts three sio servers with adapter $1 (and recovery if $2); sets ADDRS and PIDS.
start_servers() {
  local addrs=() pids=() extra=()
  [ -n "$2" ] && extra=(--recovery)
  for i in 1 2 3; do
    local out; out="$(mktemp /tmp/sio-bench-server.XXXXXX)"
    taskset -c "$SERVER_CPU" "$bin/sio-server" --driver tokio --adapter "$1" --redis "$REDIS_URLS" \
      "${extra[@]}" >"$out" 2>&1 &
    local pid=$!
    SERVER_PIDS+=("$pid")
    local port=""
    for _ in $(seq 100); do
      port="$(awk '/^listening/{print $2}' "$out")"
      [ -n "$port" ] && break
      sleep 0.1
    done
    rm -f "$out"
    [ -n "$port" ] || { echo "server with $1 did not start" >&2; exit 1; }
    addrs+=("127.0.0.1:$port")
    pids+=("$pid")
  done
  ADDRS="$(IFS=,; echo "${addrs[*]}")"
  PIDS="$(IFS=,; echo "${pids[*]}")"
}

stop_all() {
  for p in "${SERVER_PIDS[@]}" "${REDIS_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${SERVER_PIDS[@]}" "${REDIS_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  SERVER_PIDS=()
  REDIS_PIDS=()
}
trap 'stop_all; rm -rf "$work"' EXIT

for adapter in $ADAPTERS; do
  for run in $(seq "$REPEAT"); do
    kind="${adapter%+recovery}"
    recovery=""; [ "$kind" != "$adapter" ] && recovery=1
    if [ "$kind" = sharded ]; then start_redis_cluster; else start_redis; fi
    start_servers "$kind" "$recovery"
    sleep 1
    line="$(timeout 300 taskset -c "$GEN_CPU" "$bin/loadgen" --addr "$ADDRS" --proto sio \
      --pid "$PIDS" --duration "$DURATION" --scenario broadcast --clients "$CLIENTS" \
      --inflight "$INFLIGHT" --payload 64 | grep '^RESULT' || true)"
    stop_all
    rm -rf "${work:?}"/*
    echo "$adapter run=$run ${line#RESULT }" | tee -a "$RESULTS" >&2
  done
done

python3 - "$RESULTS" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    parts = line.split()
    kv = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    if "msgs_per_s" in kv:
        rows.setdefault(parts[0], []).append(kv)
print("| adapter | deliveries/s | p50 ms | p99 ms | lost | CPU µs/delivery (3 servers) |")
print("|---|---|---|---|---|---|")
for name, runs in rows.items():
    r = sorted(runs, key=lambda kv: float(kv["msgs_per_s"]))[len(runs) // 2]
    print(f"| {name} | {float(r['msgs_per_s']):,.0f} | {int(r['p50_us'])/1000:.2f} | "
          f"{int(r['p99_us'])/1000:.2f} | {r['lost']} | {float(r['cpu_us_per_msg']):.2f} |")
EOF
echo "(raw results: $RESULTS)" >&2
