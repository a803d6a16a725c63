#!/usr/bin/env bash
# Install the Debian 12 packages lockstep needs, only those missing.
# Needs root (apt-get); downloads nothing but Debian packages.
set -euo pipefail

pkgs=(gcc g++ make cmake ninja-build pkg-config
      libigraph-dev libzstd-dev zlib1g-dev libxxhash-dev libcmocka-dev libutf8proc-dev
      zstd gzip python3)
if [ "${1:-}" = "--test" ]; then
    # sanitiser runtime for clang and the libFuzzer smoke run; jansson as the
    # reference JSON parser of the differential tests
    pkgs+=(clang libclang-rt-14-dev clang-format clang-tidy libjansson-dev)
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
