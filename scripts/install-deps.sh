#!/usr/bin/env bash
# Install the Debian 12 packages lockstep needs, only those missing.
# Needs root (apt-get); downloads nothing but Debian packages.
set -euo pipefail

pkgs=(gcc g++ make cmake ninja-build pkg-config
      libigraph-dev libzstd-dev zlib1g-dev libxxhash-dev libcmocka-dev libutf8proc-dev
      libopenmpi-dev openmpi-bin zstd gzip python3)
if [ "${1:-}" = "--test" ]; then
    # sanitiser runtime for clang and the libFuzzer smoke run; jansson as the
    # reference JSON parser of the differential tests; networkx
    # reads the graph files back; chromium and node run the report's browser test
    pkgs+=(clang libclang-rt-14-dev clang-format clang-tidy libjansson-dev
           python3-networkx chromium)
    # node and npm: Debian's packages unless a Node.js with npm is already
    # there (a NodeSource nodejs bundles npm and conflicts with Debian's npm)
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
    command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]}; run as root or install them" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
