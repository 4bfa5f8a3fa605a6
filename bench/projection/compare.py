"""Side-by-side t-SNE: ours (HeadAtlas.ProjectionBench) vs scikit-learn's Barnes-Hut TSNE, same machine, same run.

Prints for each data set: time of both and the ratio ours/sklearn, exact KL(P||Q) of both embeddings with P
computed by scikit-learn's own routine (so both are scored identically), sklearn's reported kl_divergence_, and
trustworthiness (k=10) of both. Usage: compare.py BENCH_EXE [iterations] [--quick] [--mixture] [--head HEAD.npy]
(HEAD.npy: the MiniLM head's joint points, written by `HeadAtlas.ProjectionBench minilm-head`).
"""
import inspect
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities_nn
from sklearn.neighbors import NearestNeighbors

PERPLEXITY = 30.0


def mixture(n, d, clusters=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d)) * 4
    labels = rng.integers(0, clusters, n)
    return (centres[labels] + rng.normal(size=(n, d))).astype(np.float32)


def joint_p(x):
    """scikit-learn's sparse P for barnes_hut: kNN with k = min(n-1, 3*perplexity+1), squared distances."""
    n = x.shape[0]
    k = min(n - 1, int(3.0 * PERPLEXITY + 1))
    nn = NearestNeighbors(n_neighbors=k, metric="euclidean").fit(x)
    dist = nn.kneighbors_graph(mode="distance")
    dist.data **= 2
    return _joint_probabilities_nn(dist, PERPLEXITY, 0).tocsr()


def exact_kl(p, y):
    """KL(P||Q) with exact Q = (1+|yi-yj|^2)^-1 / Z over all pairs (chunked, float64)."""
    y = y.astype(np.float64)
    n = y.shape[0]
    sq = (y * y).sum(1)
    z = 0.0
    for s in range(0, n, 2000):
        block = sq[s:s + 2000, None] + sq[None, :] - 2 * y[s:s + 2000] @ y.T
        np.maximum(block, 0, out=block)
        q = 1.0 / (1.0 + block)
        q[np.arange(block.shape[0]), np.arange(s, s + block.shape[0])] = 0
        z += q.sum()
    coo = p.tocoo()
    keep = coo.data > 0
    i, j, pij = coo.row[keep], coo.col[keep], coo.data[keep]
    d2 = ((y[i] - y[j]) ** 2).sum(1)
    qij = 1.0 / (1.0 + d2) / z
    return float((pij * np.log(pij / qij)).sum())


def run_ours(exe, x, iterations, dims=2):
    with tempfile.TemporaryDirectory() as tmp:
        xin, yout = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.csv")
        np.save(xin, x.astype(np.float32))
        before = os.times()
        out = subprocess.run([exe, xin, yout, str(dims), str(iterations), "2", str(PERPLEXITY)],
                             check=True, capture_output=True, text=True).stdout
        after = os.times()
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        seconds = float([l for l in out.splitlines() if l.startswith("seconds=")][0].split("=")[1])
        detail = [l for l in out.splitlines() if l.startswith("ours")][0]
        return np.loadtxt(yout, delimiter=",", dtype=np.float64), seconds, detail, cpu


def run_sklearn(x, iterations, dims=2):
    params = dict(n_components=dims, perplexity=PERPLEXITY, init="pca", learning_rate="auto",
                  n_jobs=2, random_state=0, method="barnes_hut")
    names = inspect.signature(TSNE).parameters
    params["max_iter" if "max_iter" in names else "n_iter"] = iterations
    tsne = TSNE(**params)
    start, cpu0 = time.perf_counter(), time.process_time()
    y = tsne.fit_transform(x)
    return y, time.perf_counter() - start, tsne.kl_divergence_, time.process_time() - cpu0


def main():
    exe = sys.argv[1]
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else 750
    quick = "--quick" in sys.argv
    head = sys.argv[sys.argv.index("--head") + 1] if "--head" in sys.argv else None
    sets = [("digits 1797x64", load_digits().data.astype(np.float32))]
    if not quick and head:
        x = np.load(head)
        sets.append((f"minilm L2H3 {x.shape[0]}x{x.shape[1]} (5000 demo tokens: queries+keys, cosine)", x))
    if not quick and "--mixture" in sys.argv:
        sets.append(("mixture 10000x32", mixture(10000, 32)))
    print(f"iterations={iterations} perplexity={PERPLEXITY} threads/n_jobs=2 load average {os.getloadavg()[0]:.1f}")
    for name, x in sets:
        y_ours, t_ours, detail, cpu_ours = run_ours(exe, x, iterations)
        y_sk, t_sk, kl_sk_reported, cpu_sk = run_sklearn(x, iterations)
        p = joint_p(x)
        kl_ours, kl_sk = exact_kl(p, y_ours), exact_kl(p, y_sk)
        tw_ours = trustworthiness(x, y_ours, n_neighbors=10)
        tw_sk = trustworthiness(x, y_sk, n_neighbors=10)
        print(f"\n== {name}")
        print(f"  {detail}")
        print(f"  time:   ours {t_ours:8.2f} s   sklearn {t_sk:8.2f} s   speed-up sklearn/ours {t_sk / t_ours:6.1f}x   (target >= 20x)")
        print(f"  KL:     ours {kl_ours:8.4f}     sklearn {kl_sk:8.4f}     ratio ours/sklearn {kl_ours / kl_sk:6.3f}  (target <= 1.05; sklearn reports {kl_sk_reported:.4f})")
        print(f"  cpu:    ours {cpu_ours:8.2f} s (process user+sys, incl. start-up)   sklearn {cpu_sk:8.2f} s (fit_transform)   ratio {cpu_sk / cpu_ours:6.1f}x")
        print(f"  trust:  ours {tw_ours:8.4f}     sklearn {tw_sk:8.4f}     difference {tw_ours - tw_sk:+.4f}     (target >= -0.005)")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
