#!/usr/bin/env bash
# Build lockstep and run every test: the strict (-Werror) build, then the
# clang build (-Werror) and its unit tests, then the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
# Tests that need ../shared/data skip (exit 77) when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)

echo "== dev build (-Werror) and tests"
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev -j "$jobs"

echo "== lint: clang-format and clang-tidy (the gating analyser, .clang-tidy)"
clang-format --dry-run --Werror src/*.[ch] cli/*.[ch] include/lockstep/*.h
run-clang-tidy -quiet -p build "$PWD/src/" "$PWD/cli/" >build/clang-tidy.log 2>&1 || {
    grep -E "(warning|error):" build/clang-tidy.log | head -40
    echo "clang-tidy found problems (full log: build/clang-tidy.log)" >&2
    exit 1
}

# clang 14, the other compiler the project supports, finds what gcc does not
# (-Wformat-nonliteral, -Wunsequenced): the build under -Werror and the unit tests
echo "== clang build (-Werror) and unit tests"
cmake --preset clang >/dev/null
cmake --build --preset clang
ctest --preset clang -j "$jobs" -L unit

echo "== ASan + UBSan build and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan -j "$jobs"
