using System.Runtime.CompilerServices;
namespace HeadAtlas.Projection;

/// <summary>
/// An order of points in which neighbours in space tend to be neighbours in the order: recursive halving at the median
/// of the coordinate with the largest variance (the leaf order of a k-d tree). A brute-force kNN search that first
/// scans the candidates next to a query in this order finds a tight admission threshold early and then admits few.
/// </summary>
internal static class LocalityOrder
{
    /// <summary>Returns order [n]: order[p] is the point at position p. Deterministic (ties by point index).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int[] Compute(float[] x, int n, int d, int leafSize = 32)
    {
        var keys = new ulong[n]; // [n] (coordinate, point) as sortable keys; the low half is the point
        for (int i = 0; i < n; i++) keys[i] = (uint)i;
        var mean = new double[d];
        var square = new double[d];
        var pending = new Stack<(int Start, int End)>();
        pending.Push((0, n));
        while (pending.Count > 0)
        {
            var (start, end) = pending.Pop();
            if (end - start <= leafSize) continue;
            Array.Clear(mean); Array.Clear(square);
            for (int p = start; p < end; p++)
            {
                int row = (int)(uint)keys[p] * d;
                for (int t = 0; t < d; t++) { double v = x[row + t]; mean[t] += v; square[t] += v * v; }
            }
            int axis = 0; double best = -1;
            for (int t = 0; t < d; t++)
            {
                double spread = square[t] - mean[t] * mean[t] / (end - start); // (count ×) variance
                if (spread > best) { best = spread; axis = t; }
            }
            for (int p = start; p < end; p++)
            {
                uint point = (uint)keys[p];
                keys[p] = (ulong)SortableBits(x[(int)point * d + axis]) << 32 | point;
            }
            int mid = start + (end - start) / 2;
            Selection.Smallest(keys.AsSpan(start, end - start), mid - start);
            pending.Push((mid, end));
            pending.Push((start, mid));
        }
        var order = new int[n];
        for (int p = 0; p < n; p++) order[p] = (int)(uint)keys[p];
        return order;
    }

    /// <summary>A float's bits made monotone as an unsigned integer (−0 and +0 adjacent, NaN not expected).</summary>
    internal static uint SortableBits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return bits ^ ((uint)((int)bits >> 31) | 0x8000_0000u);
    }
}
