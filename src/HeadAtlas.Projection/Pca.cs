namespace HeadAtlas.Projection;

/// <summary>Principal component analysis of row-major [n, d] float data (exact; see <see cref="PcaModel"/>).</summary>
public static class Pca
{
    /// <summary>Projects [n, d] onto its top <paramref name="dims"/> principal components: returns [n, dims], centered.</summary>
    public static float[] Project(ReadOnlySpan<float> data, int n, int d, int dims) =>
        PcaModel.Fit(data, n, d, dims).Transform(data, n);

    /// <summary>As <see cref="Project(ReadOnlySpan{float}, int, int, int)"/>, on at most <paramref name="threads"/> threads (0 = all cores).</summary>
    public static float[] Project(ReadOnlySpan<float> data, int n, int d, int dims, int threads) =>
        PcaModel.Fit(data, n, d, dims, threads).Transform(data, n);
}
