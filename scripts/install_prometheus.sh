#!/usr/bin/env bash
# Installs promtool (Debian package "prometheus") for the tests that check generated
# Prometheus rules. Idempotent and quiet: does nothing when promtool is already on PATH.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_prometheus.sh: promtool is missing and apt-get is not available;" \
        "install Prometheus' promtool another way" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install_prometheus.sh: need root (or sudo) to install the prometheus package" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >/dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
command -v promtool >/dev/null
