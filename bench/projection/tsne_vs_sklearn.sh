#!/usr/bin/env bash
# Side-by-side benchmark: our t-SNE vs scikit-learn's (Barnes-Hut, n_jobs=2) on digits and a 10k×32 mixture.
# Needs Debian python3 with scikit-learn (apt-get install python3-sklearn); PYTHON overrides /usr/bin/python3.
# usage: bench/projection/tsne_vs_sklearn.sh [iterations=750] [--quick]   (--quick: digits only)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dotnet build "$root/bench/HeadAtlas.ProjectionBench" -c Release -v quiet -nologo >/dev/null
exe="$root/bench/HeadAtlas.ProjectionBench/bin/Release/net10.0/HeadAtlas.ProjectionBench"
"${PYTHON:-/usr/bin/python3}" "$root/bench/projection/compare.py" "$exe" "$@"
