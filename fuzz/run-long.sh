#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one at a time, and prints one
# line per target:
#
#   FUZZ target=<name> execs=<N> secs=<S> execs_per_sec=<R> corpus=<files> crashes=<n>
#
# Usage: fuzz/run-long.sh [SECONDS] [TARGET...]        (SECONDS defaults to 600)
#
# Environment:
#   SANITIZER  cargo-fuzz sanitizer (default `none`: the core is `forbid(unsafe_code)`, and
#              AddressSanitizer makes the session targets 5x slower; `address` needs nightly)
#   RUNS=N     stop a target after N executions (SECONDS stays the upper bound)
#   MERGE=1    after each target, merge the inputs that reach new edges into fuzz/corpus/<target>
#   NICE       niceness of the fuzzing (default 19: the machine is shared)
#   FUZZ_ARGS  extra libFuzzer flags for every target
#
# New inputs go to fuzz/work/<target>/ (not tracked), crashes to fuzz/artifacts/<target>/.
# Exits non-zero if any target crashed (or failed to run).
set -uo pipefail

secs=${1:-600}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")"

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=+nightly
else
    toolchain=
fi
sanitizer=${SANITIZER:-none}
nice=${NICE:-19}
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 2
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo $toolchain fuzz list)
fi

echo "building ${targets[*]} (toolchain ${toolchain:-stable}, sanitizer $sanitizer)" >&2
nice -n "$nice" cargo $toolchain fuzz build --sanitizer "$sanitizer" >&2 || exit 2

# Per-target libFuzzer flags: the session targets replay whole sessions, whose cost grows with
# the input. 512 bytes are a hundred or more server steps (each session's invariants are
# checked after every one, so depth comes from the ops, not the length): twice the runs a
# second of 2 KiB. The client target is cheaper per byte.
extra_for() {
    case "$1" in
        server_session) echo "-max_len=512" ;;
        client_session) echo "-max_len=2048" ;;
        # One chunk per byte at split size 1: 4 KiB inputs ran at 7 600 a second.
        eio_payload) echo "-max_len=1024" ;;
        # Whole deflate streams: unbounded inputs grew to 60 KiB and ran 260 a second. Messages
        # past the 32 KiB window are covered by the codec's unit test over every size class.
        compression) echo "-max_len=4096" ;;
        *) echo "" ;;
    esac
}

status=0
for t in "${targets[@]}"; do
    mkdir -p "work/$t" "artifacts/$t" "corpus/$t"
    stamp=$(mktemp)
    log="work/$t.log"
    start=$(date +%s)
    # -jobs=1 -workers=1: libFuzzer runs the fuzzing in one child process that logs to
    # fuzz-0.log in the current directory (moved next to the work corpus afterwards).
    # shellcheck disable=SC2046,SC2086
    nice -n "$nice" cargo $toolchain fuzz run --sanitizer "$sanitizer" "$t" \
        "work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -jobs=1 -workers=1 -print_final_stats=1 -timeout=20 \
        ${RUNS:+-runs=$RUNS} $(extra_for "$t") ${FUZZ_ARGS:-} >"$log" 2>&1
    rc=$?
    end=$(date +%s)
    [ -f fuzz-0.log ] && cat fuzz-0.log >>"$log" && rm -f fuzz-0.log

    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    execs=${execs:-0}
    elapsed=$((end - start))
    [ "$elapsed" -gt 0 ] || elapsed=1
    rate=$((execs / elapsed))
    files=$(($(find "corpus/$t" "work/$t" -type f | wc -l)))
    crashes=$(find "artifacts/$t" -type f -newer "$stamp" \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l)
    rm -f "$stamp"
    echo "FUZZ target=$t execs=$execs secs=$elapsed execs_per_sec=$rate corpus=$files crashes=$crashes"
    if [ "$crashes" -gt 0 ] || [ "$rc" -ne 0 ] || [ "$execs" -eq 0 ]; then
        echo "  $t: exit $rc, see fuzz/$log and fuzz/artifacts/$t/" >&2
        status=1
    fi
    if [ "${MERGE:-0}" = 1 ]; then
        # Edges only (no hit-count buckets, no value profile): a feature-complete merge of a
        # long run adds megabytes; this adds the few inputs that reach new code.
        nice -n "$nice" cargo $toolchain fuzz run --sanitizer "$sanitizer" "$t" \
            "corpus/$t" "work/$t" -- -merge=1 -use_counters=0 -use_value_profile=0 \
            $(extra_for "$t") >>"$log" 2>&1
        rm -f fuzz-0.log
    fi
done
exit $status
