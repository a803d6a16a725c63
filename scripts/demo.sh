#!/usr/bin/env bash
# Build lockstep and run the main job on data it generates itself
# (deterministic: seed 1), then say where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release --target lockstep
out=demo-out
rm -rf "$out"
./build-release/lockstep simulate --seed 1 --actions 200000 --out "$out/input"
./build-release/lockstep detect -w 30s -o "$out/results" "$out/input/actions.csv"
echo
echo "demo: input (synthetic, with planted groups) in $out/input/ (actions.csv, tweets.csv, truth.csv)"
echo "demo: results in $out/results/ (groups.csv, accounts.csv, edges.csv, evidence.csv, summary.json, network.graphml, network.gexf)"
head -n 6 "$out/results/groups.csv"
