#!/usr/bin/env bash
# UMAP vs our t-SNE on one mixture (default 10k × 32): times, and scikit-learn's trustworthiness (k = 10) of both.
# Target (issue 4): UMAP's trustworthiness ≥ t-SNE's − 0.02. Needs Debian's python3-sklearn (PYTHON overrides /usr/bin/python3).
# usage: bench/umap/umap_vs_tsne.sh [n=10000] [d=32]
# Other modes of the same program: heads N D (six projections of one head, timed), big N D (UMAP 2D, peak RSS), knn N D K.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-10000}" d="${2:-32}"
dotnet build "$root/bench/HeadAtlas.UmapBench" -c Release -v quiet -nologo >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$root/bench/HeadAtlas.UmapBench/bin/Release/net10.0/HeadAtlas.UmapBench" pair "$n" "$d" "$out"
"${PYTHON:-/usr/bin/python3}" - "$out" <<'PY'
import sys, numpy as np
from sklearn.manifold import trustworthiness
out = sys.argv[1]
x = np.load(f"{out}/x.npy")
tw = {m: trustworthiness(x, np.loadtxt(f"{out}/{m}.csv", delimiter=","), n_neighbors=10) for m in ("umap", "tsne")}
print(f"trustworthiness (k=10): umap {tw['umap']:.4f}, tsne {tw['tsne']:.4f}, difference {tw['umap'] - tw['tsne']:+.4f} (target ≥ −0.02)")
PY
