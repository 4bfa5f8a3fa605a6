#!/usr/bin/env bash
# UMAP SGD (Umap.Optimize) CPU seconds of two builds of HeadAtlas.UmapBench, run alternately (this machine is shared and
# noisy: the minimum of a few rounds per side is compared). Build the "before" side from another checkout, e.g.
#   git worktree add /tmp/umap-before main && dotnet build /tmp/umap-before/bench/HeadAtlas.UmapBench -c Release
# usage: bench/umap/sgd_speed.sh BEFORE_EXE AFTER_EXE [n=16000] [dims=2] [rounds=3]
set -euo pipefail
before="$1" after="$2" n="${3:-16000}" dims="${4:-2}" rounds="${5:-3}"
sgd_cpu() { "$1" umap "$n" "$dims" | tail -1 | sed -E 's/.*, ([0-9.]+) s CPU.*/\1/'; }
b=() a=()
for r in $(seq "$rounds"); do
  b+=("$(sgd_cpu "$before")"); a+=("$(sgd_cpu "$after")")
  echo "round $r: before ${b[-1]} s CPU, after ${a[-1]} s CPU"
done
python3 -c "import sys; b=min(map(float,sys.argv[1].split())); a=min(map(float,sys.argv[2].split())); print(f'UMAP {sys.argv[3]}D n={sys.argv[4]} SGD CPU (min of rounds): before {b:.2f} s, after {a:.2f} s, ratio {b/a:.2f}x')" "${b[*]}" "${a[*]}" "$dims" "$n"
