#!/usr/bin/env bash
# Build lockstep and run every test: the strict (-Werror) build, then the
# whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Tests that need ../shared/data skip (exit 77) when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)

echo "== dev build (-Werror) and tests"
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev -j "$jobs"

echo "== ASan + UBSan build and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan -j "$jobs"
