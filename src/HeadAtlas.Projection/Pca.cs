namespace HeadAtlas.Projection;

/// <summary>Principal component analysis of row-major [n, d] float data (exact; see <see cref="PcaModel"/>).</summary>
public static class Pca
{
    /// <summary>Projects [n, d] onto its top <paramref name="dims"/> principal components: returns [n, dims], centered.</summary>
    public static float[] Project(ReadOnlySpan<float> data, int n, int d, int dims) =>
        PcaModel.Fit(data, n, d, dims).Transform(data, n);
}
