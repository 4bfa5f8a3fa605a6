using System.Runtime.Intrinsics;

namespace HeadAtlas.Projection;

/// <summary>The exact near part of the split kernels (see <see cref="FftRepulsion2D.NearPairsTarget"/>).</summary>
internal sealed partial class FftRepulsion2D
{
    private int[] cellStart = [], cellOrder = [], cellOfPoint = []; // [cells + 1], [n], [n]
    private float[] cellX = [], cellY = []; // [n] positions relative to the grid origin, in cell order
    private float[] nearFx = [], nearFy = [], nearZ = []; // [n] near sums, in cell order

    /// <summary>Cell rows per band of the near field (bands are the units of parallel work; see NearField).</summary>
    private const int BandRows = 2;

    /// <summary>Adds the near parts K − K_far of all pairs closer than r_c: rep[i] += Σⱼ (K₂ − K₂far)(yᵢ − yⱼ),
    /// zPart[i] += Σⱼ (K₁ − K₁far). Points are bucketed into square cells of side r_c (counting sort, stable by
    /// index), so a point's partners lie in its own and the 8 surrounding cells. Each pair is visited once
    /// ("half shell": later points of the own cell, the cell to the right, the three cells of the row above) and adds
    /// to both ends; in cell order those partners are two contiguous runs, eight at a time in float SIMD, and the
    /// partners' sums are contiguous too. A point of cell row r writes only to rows r and r + 1, so bands of
    /// <see cref="BandRows"/> rows run in parallel in two phases (even bands, then odd): no two bands running at once
    /// touch the same sums, and every sum is accumulated in one fixed order whatever the thread count.</summary>
    private void NearField(double[] y, int n, double[] rep, double[] zPart)
    {
        double rc = nearRadius;
        double x0 = gridX0, y0 = gridY0;
        int cells1 = (int)Math.Ceiling(gridExtent / rc) + 1, cellCount = cells1 * cells1;
        if (cellStart.Length < cellCount + 1) cellStart = new int[cellCount + 1];
        if (cellOrder.Length < n)
        {
            cellOrder = new int[n]; cellOfPoint = new int[n];
            cellX = new float[n]; cellY = new float[n];
            nearFx = new float[n]; nearFy = new float[n]; nearZ = new float[n];
        }
        var start = cellStart;
        Array.Clear(start, 0, cellCount + 1);
        for (int i = 0; i < n; i++)
        {
            int cx = Math.Clamp((int)((y[2 * i] - x0) / rc), 0, cells1 - 1);
            int cy = Math.Clamp((int)((y[2 * i + 1] - y0) / rc), 0, cells1 - 1);
            int c = cy * cells1 + cx;
            cellOfPoint[i] = c;
            start[c + 1]++;
        }
        for (int c = 0; c < cellCount; c++) start[c + 1] += start[c];
        for (int i = 0; i < n; i++)
        {
            int at = start[cellOfPoint[i]]++; // start[c] ends as the old start[c + 1]; shifted back below
            cellOrder[at] = i; cellX[at] = (float)(y[2 * i] - x0); cellY[at] = (float)(y[2 * i + 1] - y0);
        }
        for (int c = cellCount; c > 0; c--) start[c] = start[c - 1];
        start[0] = 0;
        Array.Clear(nearFx, 0, n); Array.Clear(nearFy, 0, n); Array.Clear(nearZ, 0, n);

        var pairs = new NearPairs(cellX, cellY, nearFx, nearFy, nearZ, start, cells1, (float)(rc * rc), (float)(1 / (1 + rc * rc)));
        int bands = (cells1 + BandRows - 1) / BandRows;
        for (int phase = 0; phase < 2; phase++)
            Parallel.For(0, (bands + 1 - phase) / 2, parallel, k =>
            {
                int band = 2 * k + phase;
                for (int cy = band * BandRows; cy < Math.Min(cells1, (band + 1) * BandRows); cy++) pairs.Row(cy);
            });
        int[] order = cellOrder;
        for (int a = 0; a < n; a++)
        {
            int i = order[a];
            rep[2 * i] += nearFx[a]; rep[2 * i + 1] += nearFy[a]; zPart[i] += nearZ[a];
        }
    }

    /// <summary>The pair sums of <see cref="NearField"/>: positions and sums in cell order, cells of side r_c.</summary>
    private readonly record struct NearPairs(float[] X, float[] Y, float[] Fx, float[] Fy, float[] Z, int[] Start, int Cells1, float Sc, float C1)
    {
        /// <summary>All pairs whose first point lies in cell row <paramref name="cy"/>.</summary>
        public void Row(int cy)
        {
            int rowBase = cy * Cells1;
            for (int cx = 0; cx < Cells1; cx++)
            {
                int right = Start[rowBase + Math.Min(cx + 1, Cells1 - 1) + 1];
                int aboveFrom = 0, aboveTo = 0;
                if (cy + 1 < Cells1)
                {
                    int upBase = rowBase + Cells1;
                    aboveFrom = Start[upBase + Math.Max(cx - 1, 0)];
                    aboveTo = Start[upBase + Math.Min(cx + 1, Cells1 - 1) + 1];
                }
                int a = Start[rowBase + cx], end = Start[rowBase + cx + 1];
                // Two points of the cell at a time share the partners' loads and sum updates: their runs above are
                // the same, and a + 1's run in this row is a's without the pair (a, a + 1), done on its own.
                for (; a + 2 <= end; a += 2)
                {
                    Pair(a, a + 1);
                    Run2(a, a + 2, right);
                    Run2(a, aboveFrom, aboveTo);
                }
                if (a < end)
                {
                    var (fx, fy, z) = Run(a, a + 1, right);
                    var (gx, gy, w) = Run(a, aboveFrom, aboveTo);
                    Fx[a] += fx + gx; Fy[a] += fy + gy; Z[a] += z + w;
                }
            }
        }

        /// <summary>The single pair (a, b).</summary>
        private void Pair(int a, int b)
        {
            float dx = X[a] - X[b], dy = Y[a] - Y[b], s = dx * dx + dy * dy;
            if (s >= Sc) return;
            float k1 = 1 / (1 + s), cds = C1 * (s - Sc);
            float near2 = k1 * k1 - C1 * C1 * (1 - 2 * cds + 3 * cds * cds);
            float near1 = k1 - C1 * (1 - cds + cds * cds);
            Fx[a] += near2 * dx; Fy[a] += near2 * dy; Z[a] += near1;
            Fx[b] -= near2 * dx; Fy[b] -= near2 * dy; Z[b] += near1;
        }

        /// <summary>Pairs (a, b) and (a + 1, b) for b in [from, to), both points' sums and the b's updated.</summary>
        private void Run2(int a, int from, int to)
        {
            var ax = Vector256.Create(X[a]); var ay = Vector256.Create(Y[a]);
            var bx = Vector256.Create(X[a + 1]); var by = Vector256.Create(Y[a + 1]);
            var sfx = Vector256<float>.Zero; var sfy = sfx; var sz = sfx; var tfx = sfx; var tfy = sfx; var tz = sfx;
            int b = from;
            for (; b + 8 <= to; b += 8)
            {
                var px = Vector256.LoadUnsafe(ref X[b]); var py = Vector256.LoadUnsafe(ref Y[b]);
                var (fx, fy, z1) = Terms(ax - px, ay - py);
                var (gx, gy, z2) = Terms(bx - px, by - py);
                sfx += fx; sfy += fy; sz += z1; tfx += gx; tfy += gy; tz += z2;
                (Vector256.LoadUnsafe(ref Fx[b]) - fx - gx).StoreUnsafe(ref Fx[b]);
                (Vector256.LoadUnsafe(ref Fy[b]) - fy - gy).StoreUnsafe(ref Fy[b]);
                (Vector256.LoadUnsafe(ref Z[b]) + z1 + z2).StoreUnsafe(ref Z[b]);
            }
            Fx[a] += Vector256.Sum(sfx); Fy[a] += Vector256.Sum(sfy); Z[a] += Vector256.Sum(sz);
            Fx[a + 1] += Vector256.Sum(tfx); Fy[a + 1] += Vector256.Sum(tfy); Z[a + 1] += Vector256.Sum(tz);
            for (; b < to; b++) { Pair(a, b); Pair(a + 1, b); }
        }

        /// <summary>Near parts of eight pairs with differences (dx, dy): the force terms (K₂ − K₂far)·(dx, dy) and
        /// K₁ − K₁far, zero beyond r_c.</summary>
        private (Vector256<float> Fx, Vector256<float> Fy, Vector256<float> Z) Terms(Vector256<float> dx, Vector256<float> dy)
        {
            var one = Vector256.Create(1f); var two = Vector256.Create(2f); var vc1 = Vector256.Create(C1);
            var vsc = Vector256.Create(Sc);
            var s = dx * dx + dy * dy;
            var inside = Vector256.LessThan(s, vsc);
            var den = one + s;
            var r = System.Runtime.Intrinsics.X86.Avx.Reciprocal(den);
            var k1 = r * (two - den * r); // 1/(1+s): estimate and one Newton step
            var cds = vc1 * (s - vsc);
            var near1 = Vector256.BitwiseAnd(k1 - vc1 * (one - cds + cds * cds), inside);
            var near2 = Vector256.BitwiseAnd(k1 * k1 - vc1 * vc1 * (one - two * cds + Vector256.Create(3f) * cds * cds), inside);
            return (near2 * dx, near2 * dy, near1);
        }

        /// <summary>Pairs (a, b) for b in [from, to): returns a's sums and adds the opposite forces and the same Z
        /// terms to the b's.</summary>
        private (float Fx, float Fy, float Z) Run(int a, int from, int to)
        {
            float xi = X[a], yi = Y[a];
            var vx = Vector256.Create(xi); var vy = Vector256.Create(yi); var vsc = Vector256.Create(Sc);
            var vc1 = Vector256.Create(C1); var vc2 = vc1 * vc1; var one = Vector256.Create(1f); var two = Vector256.Create(2f); var three = Vector256.Create(3f);
            var sfx = Vector256<float>.Zero; var sfy = sfx; var sz = sfx;
            int b = from;
            for (; b + 8 <= to; b += 8)
            {
                var dx = vx - Vector256.LoadUnsafe(ref X[b]);
                var dy = vy - Vector256.LoadUnsafe(ref Y[b]);
                var s = dx * dx + dy * dy;
                var inside = Vector256.LessThan(s, vsc);
                if (inside == Vector256<float>.Zero) continue;
                // 1/(1+s) by the hardware estimate and one Newton step (relative error ~1e-7, cheaper than a division).
                var den = one + s;
                var r = System.Runtime.Intrinsics.X86.Avx.Reciprocal(den);
                var k1 = r * (two - den * r);
                var cds = vc1 * (s - vsc);
                // K₁far = c(1 − c·ds + (c·ds)²), K₂far = c²(1 − 2c·ds + 3(c·ds)²)
                var near1 = Vector256.BitwiseAnd(k1 - vc1 * (one - cds + cds * cds), inside);
                var near2 = Vector256.BitwiseAnd(k1 * k1 - vc2 * (one - two * cds + three * cds * cds), inside);
                var fx = near2 * dx; var fy = near2 * dy;
                sfx += fx; sfy += fy; sz += near1;
                (Vector256.LoadUnsafe(ref Fx[b]) - fx).StoreUnsafe(ref Fx[b]);
                (Vector256.LoadUnsafe(ref Fy[b]) - fy).StoreUnsafe(ref Fy[b]);
                (Vector256.LoadUnsafe(ref Z[b]) + near1).StoreUnsafe(ref Z[b]);
            }
            float tfx = 0, tfy = 0, tz = 0;
            for (; b < to; b++)
            {
                float dx = xi - X[b], dy = yi - Y[b], s = dx * dx + dy * dy;
                if (s >= Sc) continue;
                float k1 = 1 / (1 + s), cds = C1 * (s - Sc);
                float near2 = k1 * k1 - C1 * C1 * (1 - 2 * cds + 3 * cds * cds);
                float near1 = k1 - C1 * (1 - cds + cds * cds);
                tfx += near2 * dx; tfy += near2 * dy; tz += near1;
                Fx[b] -= near2 * dx; Fy[b] -= near2 * dy; Z[b] += near1;
            }
            return (Vector256.Sum(sfx) + tfx, Vector256.Sum(sfy) + tfy, Vector256.Sum(sz) + tz);
        }
    }
}
