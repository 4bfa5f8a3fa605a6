using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace HeadAtlas.Projection;

/// <summary>Partial selection of the smallest keys (quickselect), for top-k searches.</summary>
internal static class Selection
{
    /// <summary>Reorders <paramref name="keys"/> so that its first <paramref name="k"/> entries are its k smallest
    /// (in no particular order). Keys are expected to be distinct (they carry an index).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Smallest(Span<ulong> keys, int k)
    {
        if (k <= 0 || k >= keys.Length) return;
        ref ulong at = ref MemoryMarshal.GetReference(keys);
        int target = k - 1, lo = 0, hi = keys.Length - 1; // the k-th smallest belongs at target, inside [lo, hi]
        while (hi - lo > 16)
        {
            // Median of three as the pivot, moved to hi.
            int mid = lo + (hi - lo) / 2;
            if (Unsafe.Add(ref at, mid) < Unsafe.Add(ref at, lo)) Swap(ref at, mid, lo);
            if (Unsafe.Add(ref at, hi) < Unsafe.Add(ref at, lo)) Swap(ref at, hi, lo);
            if (Unsafe.Add(ref at, mid) < Unsafe.Add(ref at, hi)) Swap(ref at, mid, hi);
            ulong pivot = Unsafe.Add(ref at, hi);
            // Lomuto partition without branches on the data (whether a key is below the pivot is a coin flip for the
            // branch predictor): every key is swapped into the store slot, which advances only past smaller keys.
            int store = lo;
            for (int i = lo; i < hi; i++)
            {
                ulong v = Unsafe.Add(ref at, i);
                Unsafe.Add(ref at, i) = Unsafe.Add(ref at, store);
                Unsafe.Add(ref at, store) = v;
                store += v < pivot ? 1 : 0;
            }
            Swap(ref at, store, hi);
            // Now keys[lo..store) < pivot = keys[store] < keys(store..hi].
            if (target == store) return;
            if (target < store) hi = store - 1; else lo = store + 1;
        }
        keys[lo..(hi + 1)].Sort();
    }

    private static void Swap(ref ulong at, int a, int b) =>
        (Unsafe.Add(ref at, a), Unsafe.Add(ref at, b)) = (Unsafe.Add(ref at, b), Unsafe.Add(ref at, a));
}
