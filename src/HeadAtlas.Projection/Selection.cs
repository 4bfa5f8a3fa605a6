namespace HeadAtlas.Projection;

/// <summary>Partial selection of the smallest keys (Hoare's quickselect), for top-k searches.</summary>
internal static class Selection
{
    /// <summary>Reorders <paramref name="keys"/> so that its first <paramref name="k"/> entries are its k smallest
    /// (in no particular order). Keys are expected to be distinct (they carry an index).</summary>
    public static void Smallest(Span<ulong> keys, int k)
    {
        if (k <= 0 || k >= keys.Length) return;
        int target = k - 1, lo = 0, hi = keys.Length - 1; // the k-th smallest belongs at target, inside [lo, hi]
        while (hi - lo > 16)
        {
            int mid = lo + (hi - lo) / 2;
            // Median of three as the pivot (also puts sentinels at lo and hi for the scans below).
            if (keys[mid] < keys[lo]) (keys[mid], keys[lo]) = (keys[lo], keys[mid]);
            if (keys[hi] < keys[lo]) (keys[hi], keys[lo]) = (keys[lo], keys[hi]);
            if (keys[hi] < keys[mid]) (keys[hi], keys[mid]) = (keys[mid], keys[hi]);
            ulong pivot = keys[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j) { (keys[i], keys[j]) = (keys[j], keys[i]); i++; j--; }
            }
            // Now keys[lo..j] ≤ pivot ≤ keys[i..hi], and anything strictly between j and i is the pivot, in place.
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return;
        }
        keys[lo..(hi + 1)].Sort();
    }
}
