#!/usr/bin/env bash
# Trustworthiness (k = 10, scikit-learn) of UMAP from two builds of HeadAtlas.UmapBench on one point file, with the SGD's
# CPU seconds. Make a mixture file with `HeadAtlas.UmapBench pair N D DIR` (DIR/x.npy) or use a real head's .npy.
# usage: bench/umap/before_after.sh BEFORE_EXE AFTER_EXE POINTS.npy [dims=2]
set -euo pipefail
before="$1" after="$2" points="$3" dims="${4:-2}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "before:"; "$before" embed "$points" "$dims" "$out/before.csv"
echo "after:"; "$after" embed "$points" "$dims" "$out/after.csv"
"${PYTHON:-/usr/bin/python3}" - "$points" "$out" <<'PY'
import sys, numpy as np
from sklearn.manifold import trustworthiness
x = np.load(sys.argv[1]).astype(np.float64)
tw = {m: trustworthiness(x, np.loadtxt(f"{sys.argv[2]}/{m}.csv", delimiter=","), n_neighbors=10) for m in ("before", "after")}
print(f"trustworthiness (k=10) on {sys.argv[1]} {x.shape}: before {tw['before']:.4f}, after {tw['after']:.4f}, difference {tw['after'] - tw['before']:+.4f}")
PY
