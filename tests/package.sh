#!/usr/bin/env bash
# Packages every published crate (sio-core, sio-io, sio-tokio, sio-smol) the way `cargo publish`
# would, then builds and tests the packaged copies from their `.crate` files alone: each archive
# is unpacked into a scratch workspace outside the checkout, whose `[patch.crates-io]` points
# the crates at each other's unpacked copies (they are not on crates.io yet). Anything the
# crates need but do not ship (a file outside their folder, a path-only dependency, a README
# the docs include) fails here rather than on crates.io.
#
# Usage: tests/package.sh            (run by .ci/run)
# Environment: PACKAGE_SCRATCH  where to unpack (default: a fresh temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."

crates=(sio-core sio-io sio-tokio sio-smol)
pflags=()
for c in "${crates[@]}"; do pflags+=(-p "$c"); done

echo "-- cargo publish --dry-run (metadata, file list, inter-crate versions)"
cargo publish --dry-run --no-verify --allow-dirty "${pflags[@]}" 2>&1 | grep -E 'Packag|Upload|warning|error' || true

echo "-- cargo package"
cargo package --no-verify --allow-dirty "${pflags[@]}"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
scratch=${PACKAGE_SCRATCH:-$(mktemp -d)}
rm -rf "$scratch/crates"
mkdir -p "$scratch/crates"
for c in "${crates[@]}"; do
    tar xzf "target/package/$c-$version.crate" -C "$scratch/crates"
done

# A workspace of the unpacked crates alone: nothing from the checkout but the lock file (so
# the build starts from the dependency versions CI tests with; cargo prunes what the tests
# crate alone used) and the target directory (a cache).
{
    echo '[workspace]'
    echo 'resolver = "2"'
    printf 'members = ['
    for c in "${crates[@]}"; do printf '"crates/%s-%s", ' "$c" "$version"; done
    echo ']'
    echo
    echo '[patch.crates-io]'
    for c in sio-core sio-io; do echo "$c = { path = \"crates/$c-$version\" }"; done
    # The workspace's debug-info settings (disk) and its deflate speed-up for debug builds
    # (tests compress 200 KB messages).
    printf '\n[profile.dev]\ndebug = "line-tables-only"\n[profile.dev.package."*"]\ndebug = false\n'
    for p in miniz_oxide flate2 crc32fast adler2; do
        printf '\n[profile.dev.package.%s]\nopt-level = 3\n' "$p"
    done
} >"$scratch/Cargo.toml"
cp Cargo.lock "$scratch/Cargo.lock"

target=${CARGO_TARGET_DIR:-$PWD/target}/packaged
cd "$scratch"
# The target directory caches the dependencies only: the packaged crates unpack with the
# archive's file times and a stable hash, so a copy built by an earlier run could pass for
# fresh (a doc-test once built against the previous sio-io).
CARGO_TARGET_DIR=$target cargo clean --quiet -p sio-core -p sio-io -p sio-tokio -p sio-smol 2>/dev/null || true
echo "-- build and test the packaged crates (all features)"
log=$scratch/test.log
if CARGO_TARGET_DIR=$target cargo test --workspace --all-features >"$log" 2>&1; then
    grep -cE '^test result: ok' "$log" | sed 's/^/test binaries passed: /'
    grep -E '^test result' "$log" | awk '{p+=$4; f+=$6} END {print "tests passed:", p, "failed:", f}'
else
    tail -80 "$log" >&2
    echo "FAIL: the packaged crates do not build or pass their tests (log: $log)" >&2
    exit 1
fi
echo "ok: ${crates[*]} package, build and pass their tests from their .crate files"
