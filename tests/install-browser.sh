#!/usr/bin/env bash
# Installs Debian's chromium (used by tests/js/browser-chat.mjs) when it is missing.
# Idempotent: does nothing but print the version when /usr/bin/chromium exists.
# Needs root (or sudo) for apt-get; runs `apt-get update` only if the package
# is not known to apt yet.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            echo "install-browser: $CHROMIUM is missing and we are not root" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Refresh the package lists only when apt does not know a candidate yet.
    if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        $SUDO apt-get update -q
    fi
    $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi

"$CHROMIUM" --version
