#!/usr/bin/env bash
# The whole server comparison, one command: `bash tests/bench/run.sh`.
#
# Builds the load generator and the Rust servers (release), installs the Node reference
# (socket.io 4.8 + bufferutil, pinned in node/package-lock.json), then for every scenario starts
# each server afresh pinned to one core (`taskset -c $SERVER_CPU`) with the generator pinned to
# the other (`$GEN_CPU`), and prints one table with ratios to the raw ceiling and to Node.
#
# Environment knobs: REPEAT (runs per cell, median kept; default 3), DURATION (measured seconds
# per run; default 5), SERVERS (default "raw sio-tokio sio-smol node socketioxide"), SCENARIOS
# (names below), SERVER_CPU / GEN_CPU (default 0 / 1), MT_CPUS (cores of the `-mt` scenarios,
# server and generator alike; default 0,1), RESULTS (raw result lines file).
set -euo pipefail
unset RUST_BACKTRACE RUST_LOG

here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
REPEAT="${REPEAT:-3}"
DURATION="${DURATION:-5}"
SERVERS="${SERVERS:-raw sio-tokio sio-smol node socketioxide}"
SCENARIOS="${SCENARIOS:-echo-1 echo-16 ack-1 ack-16 binary-16 mixed-16 echo-10k bcast-1k bcast-10k idle-10k echo-16-mt}"
SERVER_CPU="${SERVER_CPU:-0}"
GEN_CPU="${GEN_CPU:-1}"
# The cores of the multi-threaded servers and of their load generator (`-mt` scenarios).
MT_CPUS="${MT_CPUS:-0,1}"
RESULTS="${RESULTS:-$(mktemp /tmp/sio-bench.XXXXXX)}"

echo "building (release) ..." >&2
cargo build --quiet --release --manifest-path "$here/Cargo.toml" --bins
bin="$CARGO_TARGET_DIR/release"
if [ ! -d "$here/node/node_modules/socket.io-msgpack-parser" ]; then
  echo "installing the Node reference ..." >&2
  npm ci --prefix "$here/node" --no-audit --no-fund --silent
fi
# 10k connections: one descriptor each on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Loadgen arguments of each scenario.
scenario_args() {
  case "$1" in
    echo-1)    echo "--scenario echo --clients 50 --inflight 1 --payload 64" ;;
    # The msgpack parser (socket.io-msgpack-parser on Node; sio's Parser::MsgPack).
    echo-1-msgpack) echo "--scenario echo --clients 50 --inflight 1 --payload 64" ;;
    # WebTransport (HTTP/3): sio on tokio only (sio-server --webtransport).
    echo-1-wt) echo "--scenario echo --clients 50 --inflight 1 --payload 64" ;;
    echo-16)   echo "--scenario echo --clients 50 --inflight 16 --payload 64" ;;
    ack-1)     echo "--scenario ack --clients 50 --inflight 1 --payload 64" ;;
    ack-16)    echo "--scenario ack --clients 50 --inflight 16 --payload 64" ;;
    binary-16) echo "--scenario binary --clients 50 --inflight 16 --payload 1024" ;;
    # Half the clients on HTTP long-polling (the raw ceiling has no polling: no cell).
    mixed-16)  echo "--scenario echo --clients 50 --inflight 16 --payload 64 --polling 0.5" ;;
    # 10,000 connections, 1,000 of them sending 10 echoes a second each (open loop): latency
    # at a load every server carries, with many idle connections beside the busy ones.
    echo-10k)  echo "--scenario echo --clients 10000 --active 1000 --rate 10 --payload 64 --warmup 2" ;;
    # The servers on two worker threads (both cores, shared with the generator): how the
    # design spreads over cores. Rust servers only (Node runs one thread; raw is single).
    echo-16-mt) echo "--scenario echo --clients 50 --inflight 16 --payload 64" ;;
    bcast-1k)  echo "--scenario broadcast --clients 1000 --inflight 4 --payload 64" ;;
    bcast-10k) echo "--scenario broadcast --clients 10000 --inflight 1 --payload 64" ;;
    idle-10k)  echo "--scenario idle --clients 10000" ;;
    *) echo "unknown scenario $1" >&2; exit 2 ;;
  esac
}

# Starts server $1 pinned (with the msgpack parser when $2 is "msgpack"; on $3 threads, over
# $MT_CPUS, when $3 is above 1); sets SPID and PORT.
start_server() {
  local out; out="$(mktemp /tmp/sio-bench-server.XXXXXX)"
  local sio_parser=(--parser json) node_parser=() threads=(--threads 1) cpu="$SERVER_CPU"
  if [ "${2:-json}" = msgpack ]; then sio_parser=(--parser msgpack); node_parser=(--msgpack); fi
  if [ "${3:-1}" != 1 ]; then threads=(--threads "$3"); cpu="$MT_CPUS"; fi
  if [ "${2:-json}" = wt ]; then sio_parser=(--webtransport); fi
  case "$1" in
    raw)          taskset -c "$cpu" "$bin/raw-echo" >"$out" 2>&1 & ;;
    sio-tokio)    taskset -c "$cpu" "$bin/sio-server" --driver tokio "${sio_parser[@]}" "${threads[@]}" >"$out" 2>&1 & ;;
    sio-smol)     taskset -c "$cpu" "$bin/sio-server" --driver smol "${sio_parser[@]}" "${threads[@]}" >"$out" 2>&1 & ;;
    socketioxide) taskset -c "$cpu" "$bin/sioxide-server" "${threads[@]}" >"$out" 2>&1 & ;;
    node)         taskset -c "$cpu" node "$here/node/server.mjs" "${node_parser[@]}" >"$out" 2>&1 & ;;
    *) echo "unknown server $1" >&2; exit 2 ;;
  esac
  SPID=$!
  PORT=""
  for _ in $(seq 100); do
    PORT="$(awk '/^listening/{print $2}' "$out")"
    WT_HASH="$(awk '/^wt-hash/{print $2}' "$out")"
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  rm -f "$out"
  [ -n "$PORT" ] || { echo "server $1 did not start" >&2; exit 1; }
}

stop_server() {
  kill "$SPID" 2>/dev/null || true
  wait "$SPID" 2>/dev/null || true
}
trap 'stop_server' EXIT

# Runs of one scenario interleave the servers, so a disturbance of the shared machine spreads
# over all of them instead of skewing one.
for scenario in $SCENARIOS; do
  for run in $(seq "$REPEAT"); do
    for server in $SERVERS; do
      proto=sio; [ "$server" = raw ] && proto=raw
      [ "$server" = raw ] && [ "$scenario" = mixed-16 ] && continue
      parser=json threads=1 gen_cpu="$GEN_CPU"
      case "$scenario" in
        *-mt) threads=2 gen_cpu="$MT_CPUS"
              { [ "$server" = sio-tokio ] || [ "$server" = socketioxide ]; } || continue ;;
        # No msgpack cell for the raw ceiling or socketioxide (not built with its msgpack parser).
        *-msgpack) parser=msgpack; proto=sio-msgpack
                   { [ "$server" = raw ] || [ "$server" = socketioxide ]; } && continue ;;
        # WebTransport is served by sio on tokio only.
        *-wt) parser=wt; proto=sio-wt
              [ "$server" = sio-tokio ] || continue ;;
      esac
      start_server "$server" "$parser" "$threads"
      sleep 0.3
      wt=(); [ "$proto" = sio-wt ] && wt=(--wt-hash "$WT_HASH")
      # shellcheck disable=SC2046
      line="$(timeout 300 taskset -c "$gen_cpu" "$bin/loadgen" --addr "127.0.0.1:$PORT" --proto "$proto" \
        "${wt[@]}" --pid "$SPID" --duration "$DURATION" $(scenario_args "$scenario") | grep '^RESULT' || true)"
      stop_server
      echo "$server $scenario run=$run ${line#RESULT }" | tee -a "$RESULTS" >&2
    done
  done
done

python3 "$here/table.py" "$RESULTS"
echo "(raw results: $RESULTS)" >&2
