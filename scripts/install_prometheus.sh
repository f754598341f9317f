#!/usr/bin/env bash
# Installs Prometheus (prometheus, promtool; Debian package "prometheus") and Alertmanager
# (prometheus-alertmanager, amtool; Debian package "prometheus-alertmanager") for the tests
# that check generated rules and run the monitoring kit against real servers, and for
# `make lint-deploy`. Idempotent and quiet: does nothing when all four commands are on PATH.
# The packages' services are not started (the tests start their own servers).
set -euo pipefail

packages=()
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
    packages+=(prometheus)
fi
if ! command -v amtool >/dev/null 2>&1 || ! command -v prometheus-alertmanager >/dev/null 2>&1; then
    packages+=(prometheus-alertmanager)
fi
if [ "${#packages[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_prometheus.sh: ${packages[*]} missing and apt-get is not available;" \
        "install Prometheus and Alertmanager another way" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install_prometheus.sh: need root (or sudo) to install ${packages[*]}" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >/dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
command -v promtool >/dev/null
command -v amtool >/dev/null
command -v prometheus-alertmanager >/dev/null
