#!/usr/bin/env bash
# npm-install.sh - install the browser test's npm packages (playwright-core
# only) from tests/browser/package-lock.json, unless node_modules already
# holds the locked version: then nothing is fetched and it works offline.
# playwright-core has no install script and downloads no browser; the test
# uses Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")"
want=$(node -e 'console.log(require("./package-lock.json").packages["node_modules/playwright-core"].version)')
have() {
    node -e 'console.log(require("./node_modules/playwright-core/package.json").version)' 2>/dev/null || true
}
if [ "$(have)" = "$want" ]; then
    exit 0
fi
exec 9<package.json # a lock on a file that is always there
flock 9
if [ "$(have)" != "$want" ]; then
    echo "npm-install: playwright-core $want (npm ci)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
