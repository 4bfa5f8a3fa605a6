using System.Runtime.CompilerServices;

namespace HeadAtlas.Projection;

/// <summary>
/// The entries j &gt; i of a symmetric P, each undirected edge once, as <see cref="EdgeAttraction2D"/> and
/// <see cref="EdgeAttraction3D"/> walk them: CSR rows padded to a multiple of the attraction's step with weight-0
/// entries (i, i), and the rows cut into <see cref="Blocks"/> blocks of about equal edge counts whatever the thread
/// count (each block sums into its own buffer over the points [Low, High) its edges touch; the buffers are added in
/// block order, so results do not depend on the thread count).
/// </summary>
internal sealed class UpperEdges
{
    /// <summary>Row blocks: enough to keep a few cores busy; each costs one buffer to clear and sum.</summary>
    public const int Blocks = 8;

    public int N { get; }
    public int[] RowStart { get; }  // [n + 1] into Columns/Values
    public int[] Columns { get; }   // [m] j > i of each edge (i, j); padding (i, 0)
    public float[] Values { get; }  // [m] pᵢⱼ
    public int[] BlockRow { get; }  // [Blocks + 1] first row of each block
    public int[] Low { get; }       // [Blocks] first point a block's edges touch
    public int[] High { get; }      // [Blocks] one past the last

    private UpperEdges(int n, int[] rowStart, int[] columns, float[] values)
    {
        N = n; RowStart = rowStart; Columns = columns; Values = values;
        int m = rowStart[n];
        BlockRow = new int[Blocks + 1];
        for (int b = 1, i = 0; b < Blocks; b++)
        {
            long target = (long)m * b / Blocks;
            while (i < n && rowStart[i] < target) i++;
            BlockRow[b] = i;
        }
        BlockRow[Blocks] = n;
        Low = new int[Blocks]; High = new int[Blocks];
        for (int b = 0; b < Blocks; b++)
        {
            int hi = BlockRow[b + 1];
            for (int e = rowStart[BlockRow[b]]; e < rowStart[BlockRow[b + 1]]; e++) hi = Math.Max(hi, columns[e] + 1);
            Low[b] = BlockRow[b]; High[b] = hi;
        }
    }

    /// <summary>The upper entries of <paramref name="p"/>, each row padded to a multiple of
    /// <paramref name="rowMultiple"/>; null if its stored entries are not symmetric (same columns and bit-identical
    /// values both ways) with strictly ascending columns in every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once: not worth a tier-0 pass over every entry
    public static UpperEdges? TryCreate(SparseAffinities p, int rowMultiple)
    {
        if (!IsSymmetric(p)) return null;
        int n = p.N;
        var start = new int[n + 1]; // [n + 1]
        for (int i = 0; i < n; i++)
        {
            int upper = 0;
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++) if (p.Columns[e] > i) upper++;
            start[i + 1] = start[i] + (upper + rowMultiple - 1) / rowMultiple * rowMultiple;
        }
        var cols = new int[start[n]];   // [m]
        var vals = new float[start[n]]; // [m]
        for (int i = 0; i < n; i++)
        {
            int at = start[i];
            for (int e = p.RowStart[i]; e < p.RowStart[i + 1]; e++)
                if (p.Columns[e] > i) { cols[at] = p.Columns[e]; vals[at] = (float)p.Values[e]; at++; }
            for (; at < start[i + 1]; at++) cols[at] = i; // padding: yᵢ − yᵢ = 0 with weight 0 adds nothing
        }
        return new UpperEdges(n, start, cols, vals);
    }

    /// <summary>True if every entry (i, j) has a partner (j, i) of the same value, and columns ascend strictly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool IsSymmetric(SparseAffinities p)
    {
        int n = p.N;
        var rs = p.RowStart; var cols = p.Columns; var vals = p.Values;
        // cursor[j]: the next entry (j, i), i > j, of row j still waiting for its partner (i, j); rows i are visited in
        // ascending order, so the partners of row j's upper entries arrive in row j's column order.
        var cursor = new int[n]; // [n]
        for (int j = 0; j < n; j++)
        {
            int e = rs[j];
            for (int t = rs[j] + 1; t < rs[j + 1]; t++) if (cols[t] <= cols[t - 1]) return false;
            while (e < rs[j + 1] && cols[e] <= j) e++;
            cursor[j] = e;
        }
        for (int i = 0; i < n; i++)
            for (int e = rs[i]; e < rs[i + 1] && cols[e] < i; e++)
            {
                int j = cols[e], c = cursor[j];
                if (j < 0 || c == rs[j + 1] || cols[c] != i || vals[c] != vals[e]) return false;
                cursor[j] = c + 1;
            }
        for (int j = 0; j < n; j++) if (cursor[j] != rs[j + 1]) return false;
        return true;
    }
}
