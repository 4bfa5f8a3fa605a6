#!/usr/bin/env bash
# Peak resident memory of the real tool, `headatlas project`, for t-SNE 2D and UMAP 2D of an N×32 mixture
# (issue 4: 1M points within 4 GiB, no environment variable). Prints /usr/bin/time's "Maximum resident set size" and
# the per-phase trace (HEADATLAS_MEMORY_TRACE=1: VmRSS, VmHWM and the GC heap at each phase boundary).
# t-SNE runs only a few iterations: everything it holds is allocated before the first.
# At 1M points NN-descent alone takes 8–15 minutes on this 2-core machine.
# usage: bench/umap/cli_memory.sh [n=1000000] [tsne-iterations=50] [methods="tsne umap"]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-1000000}" iters="${2:-50}" methods="${3:-tsne umap}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
dotnet build "$root/src/HeadAtlas.Cli" -c Release -v quiet -nologo -o "$out/cli" >/dev/null
dotnet build "$root/bench/HeadAtlas.ProjectionBench" -c Release -v quiet -nologo >/dev/null
"$root/bench/HeadAtlas.ProjectionBench/bin/Release/net10.0/HeadAtlas.ProjectionBench" mixture "$n" 32 "$out/x.npy" 1
for method in $methods; do
  HEADATLAS_MEMORY_TRACE=1 /usr/bin/time -v "$out/cli/headatlas" project --input "$out/x.npy" --method "$method" \
    --iterations "$iters" --out "$out/$method.csv" 2>"$out/$method.log" >/dev/null
  echo "== $method 2D, $n × 32"
  grep -E '^\[memory|Maximum resident|Elapsed \(wall' "$out/$method.log"
done
