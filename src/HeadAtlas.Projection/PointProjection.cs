namespace HeadAtlas.Projection;

public enum ProjectionMethod { Pca, Tsne, Umap }

/// <summary>One file-to-file projection, as run by <c>headatlas project</c>.</summary>
public sealed record ProjectionRequest
{
    public required string Input { get; init; }
    public required string Output { get; init; }
    public ProjectionMethod Method { get; init; } = ProjectionMethod.Tsne;
    public int Dims { get; init; } = 2;
    public Metric Metric { get; init; } = Metric.Euclidean;
    public double Perplexity { get; init; } = 30;
    public int Seed { get; init; } = 0;
    public int Iterations { get; init; } = 750;
    /// <summary>UMAP n_neighbors (counting the point itself).</summary>
    public int Neighbors { get; init; } = 15;
    public double MinDist { get; init; } = 0.1;
    public int Threads { get; init; } = 0;
}

/// <summary>Reads points, checks them against the request, projects, writes the CSV (temp file, then rename).</summary>
public static class PointProjection
{
    public const int MinPoints = 4;

    public static void Run(ProjectionRequest request, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        if (request.Dims is not (2 or 3)) throw new ProjectionInputException($"--dims must be 2 or 3 (got {request.Dims})");
        var points = PointFiles.Read(request.Input);
        var y = Project(points, request, progress, cancel);
        PointFiles.WriteCsv(request.Output, y, points.N, request.Dims);
    }

    /// <summary>Validates and projects points read from <see cref="ProjectionRequest.Input"/>; returns [N, Dims].</summary>
    public static float[] Project(PointMatrix points, ProjectionRequest request, IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        string file = request.Input;
        if (request.Dims is not (2 or 3)) throw new ProjectionInputException($"--dims must be 2 or 3 (got {request.Dims})");
        if (points.N < MinPoints) throw new ProjectionInputException($"{file}: has {points.N} points; a projection needs at least {MinPoints}");
        var data = points.Data;
        if (request.Metric == Metric.Cosine)
        {
            data = (float[])data.Clone();
            for (int i = 0; i < points.N; i++)
            {
                var row = data.AsSpan(i * points.D, points.D);
                double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(row));
                if (norm == 0) throw new ProjectionInputException($"{file}: row {i + 1} is all zeros, which has no direction for the cosine metric");
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, (float)(1 / norm), row);
            }
        }
        if (request.Method == ProjectionMethod.Pca)
        {
            if (points.D < request.Dims) throw new ProjectionInputException($"{file}: has {points.D} columns; PCA cannot produce {request.Dims} dims");
            return Pca.Project(data, points.N, points.D, request.Dims);
        }
        if (request.Method == ProjectionMethod.Umap)
        {
            if (request.Neighbors < 2 || request.Neighbors > points.N)
                throw new ProjectionInputException($"{file}: --neighbors {request.Neighbors} is out of range for its {points.N} points (it must be in 2..{points.N})");
            if (!(request.MinDist >= 0) || request.MinDist > 1)
                throw new ProjectionInputException($"--min-dist must be in [0, 1] (got {request.MinDist})");
            var umap = new UmapOptions
            {
                Dims = request.Dims, Neighbors = request.Neighbors, MinDist = request.MinDist, Seed = request.Seed, Threads = request.Threads,
            };
            return Umap.Embed(data, points.N, points.D, umap, progress, cancel);
        }
        if (!(request.Perplexity >= 1) || request.Perplexity >= points.N - 1)
            throw new ProjectionInputException($"{file}: perplexity {request.Perplexity} is out of range for its {points.N} points (it must be at least 1 and below n − 1 = {points.N - 1})");
        var options = new TsneOptions
        {
            Dims = request.Dims, Perplexity = request.Perplexity, Seed = request.Seed,
            Iterations = request.Iterations, Threads = request.Threads,
        };
        return Tsne.Embed(data, points.N, points.D, options, progress, cancel);
    }
}
