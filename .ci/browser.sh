#!/bin/sh
# Makes sure Debian's Chromium is installed for the browser tests (Playwright drives it;
# it cannot download its own browser here).
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "Chromium is missing: install Debian's 'chromium' package (apt-get install -y chromium)." >&2
    exit 1
fi
echo "Installing Chromium from Debian's packages…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq chromium >/dev/null
