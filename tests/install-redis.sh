#!/usr/bin/env bash
# Installs Debian's redis-server and redis-tools (used by tests/tests/redis_cluster.rs,
# redis_sharded.rs and redis_streams.rs, which start their own servers on free loopback ports;
# redis-cli makes the Redis Cluster) when they are missing. Idempotent: does nothing but print
# the version when both are on the PATH. Needs root (or sudo) for apt-get; runs `apt-get update`
# only if the package is not known to apt yet.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            echo "install-redis: redis-server is missing and we are not root" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache policy redis-server 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        $SUDO apt-get update -q
    fi
    $SUDO apt-get install -y -q --no-install-recommends redis-server redis-tools
    # The package starts a system service on port 6379; the tests do not use it.
    $SUDO systemctl stop redis-server >/dev/null 2>&1 || true
fi

redis-server --version
redis-cli --version
