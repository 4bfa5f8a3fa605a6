#!/usr/bin/env bash
# t-SNE 3D quality: ours with Barnes-Hut repulsion, ours with exact O(n²) repulsion (the same optimizer without any
# approximation), and scikit-learn's Barnes-Hut TSNE (n_jobs=2, perplexity 30, init pca, learning_rate auto, 750
# iterations) on one N×D mixture. Prints times, exact KL(P‖Q) of each with scikit-learn's P (bench/projection/compare.py),
# and trustworthiness (k = 10). Needs Debian's python3-sklearn (PYTHON overrides /usr/bin/python3).
# usage: bench/umap/tsne3d_vs_sklearn.sh [n=5000] [d=32]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-5000}" d="${2:-32}"
dotnet build "$root/bench/HeadAtlas.UmapBench" -c Release -v quiet -nologo >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$root/bench/HeadAtlas.UmapBench/bin/Release/net10.0/HeadAtlas.UmapBench" tsne3d "$n" "$d" "$out"
"${PYTHON:-/usr/bin/python3}" - "$out" "$root/bench/projection" <<'PY'
import sys, time, numpy as np
sys.path.insert(0, sys.argv[2])
from compare import joint_p, exact_kl, run_sklearn
from sklearn.manifold import trustworthiness
out = sys.argv[1]
x = np.load(f"{out}/x.npy")
ys = {m: np.loadtxt(f"{out}/{m}.csv", delimiter=",") for m in ("bh", "exact")}
ys["sklearn"], seconds = run_sklearn(x, 750, dims=3)[:2]
print(f"sklearn 3D: {seconds:.1f} s")
p = joint_p(x)
for m, y in ys.items():
    print(f"{m:8s} KL {exact_kl(p, y):.4f}  trustworthiness(k=10) {trustworthiness(x, y, n_neighbors=10):.4f}")
PY
