#!/usr/bin/env bash
# Instruction counts per message (callgrind: repeatable on a noisy machine) of one server under
# one scenario: `bash tests/bench/profile.sh SERVER [SCENARIO] [INFLIGHT]`, SERVER one of raw,
# sio-tokio, sio-smol, socketioxide. Prints instructions per round trip and writes the profile
# (tests/bench/callgrind.out.SERVER-SCENARIO-INFLIGHT.1, whatever the working directory) for
# `callgrind_annotate --inclusive=yes`. The count covers
# the whole load (no warm-up), so it divides by exactly the messages answered. SIO_ARGS adds
# arguments to sio-server (e.g. SIO_ARGS="--handlers values"), LOADGEN_ARGS to the load generator
# (e.g. LOADGEN_ARGS="--polling 0.5" for the mixed scenario). WARMUP=S counts only the measured
# window after S seconds of load (the connections' handshakes left out: for many clients);
# VG_ARGS adds arguments to valgrind (e.g. VG_ARGS=--cache-sim=yes for simulated cache misses).
set -euo pipefail
unset RUST_BACKTRACE
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
server="$1"; scenario="${2:-echo}"; inflight="${3:-16}"
cargo build --quiet --release --manifest-path "$here/Cargo.toml" --bins
bin="$CARGO_TARGET_DIR/release"
case "$server" in
  raw) cmd=("$bin/raw-echo"); proto=raw ;;
  sio-tokio) cmd=("$bin/sio-server" --driver tokio ${SIO_ARGS:-}); proto=sio ;;
  sio-smol) cmd=("$bin/sio-server" --driver smol ${SIO_ARGS:-}); proto=sio ;;
  socketioxide) cmd=("$bin/sioxide-server"); proto=sio ;;
  *) echo "unknown server $server" >&2; exit 2 ;;
esac
out="$here/callgrind.out.$server-$scenario-$inflight"
log="$(mktemp)"
valgrind --tool=callgrind ${VG_ARGS:-} --callgrind-out-file="$out" --instr-atstart=no "${cmd[@]}" >"$log" 2>&1 &
vpid=$!
for _ in $(seq 300); do grep -q '^listening' "$log" && break; sleep 0.1; done
port="$(awk '/^listening/{print $2}' "$log")"
# Count from the first connection to the last answer: the load generator's message count
# (no warm-up) then covers exactly the instrumented window; the handshakes of the clients are
# included and weigh well under 1 %.
callgrind_control -i on "$vpid" >/dev/null
"$bin/loadgen" --addr "127.0.0.1:$port" --proto "$proto" --pid "$vpid" --scenario "$scenario" \
  --clients 50 --inflight "$inflight" --warmup "${WARMUP:-0}" --duration 8 ${LOADGEN_ARGS:-} \
  >"$log.gen" 2>"$log.err" &
gpid=$!
if [ "${WARMUP:-0}" != 0 ]; then
  # Zero the counts when the generator starts its measured window.
  while kill -0 "$gpid" 2>/dev/null && ! grep -q '^measuring' "$log.err"; do sleep 0.05; done
  callgrind_control -z "$vpid" >/dev/null
fi
wait "$gpid"
callgrind_control -d "$vpid" >/dev/null
kill "$vpid"; wait "$vpid" 2>/dev/null || true
msgs="$(grep -o 'msgs=[0-9]*' "$log.gen" | cut -d= -f2)"
dump="$(ls -t "$out".* 2>/dev/null | head -1)"
ir="$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')"
awk -v m="$msgs" -v ir="$ir" -v who="$server $scenario" -v f="$dump" \
  'BEGIN { printf "%s: %d msgs, %.0f instructions per round trip (%s)\n", who, m, ir / m, f }'
rm -f "$log" "$log.gen" "$log.err"
