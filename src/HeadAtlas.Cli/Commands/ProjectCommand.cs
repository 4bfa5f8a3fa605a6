using System.CommandLine;
using HeadAtlas.Projection;

namespace HeadAtlas.Cli.Commands;

/// <summary><c>headatlas project</c>: PCA, t-SNE or UMAP of a point file (CSV or .npy) into a CSV of coordinates.</summary>
public static class ProjectCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "Points: CSV (one row per point, numeric, no header) or .npy (2-D float32/float64)", Required = true };
        var method = new Option<string>("--method") { Description = "pca, tsne or umap", DefaultValueFactory = _ => "tsne" };
        var dims = new Option<int>("--dims") { Description = "Output dimensions: 2 or 3", DefaultValueFactory = _ => 2 };
        var metric = new Option<string>("--metric") { Description = "cosine or euclidean", DefaultValueFactory = _ => "euclidean" };
        var perplexity = new Option<double>("--perplexity") { Description = "t-SNE perplexity", DefaultValueFactory = _ => 30 };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same output)", DefaultValueFactory = _ => 0 };
        var iterations = new Option<int>("--iterations") { Description = "t-SNE iterations (250 of them early exaggeration)", DefaultValueFactory = _ => 750 };
        var threads = new Option<int>("--threads") { Description = "Threads; 0 = all cores", DefaultValueFactory = _ => 0 };
        var neighbors = new Option<int>("--neighbors") { Description = "UMAP n_neighbors (counting the point itself)", DefaultValueFactory = _ => 15 };
        var minDist = new Option<double>("--min-dist") { Description = "UMAP min_dist", DefaultValueFactory = _ => 0.1 };
        var output = new Option<string>("--out") { Description = "Output CSV: one row of coordinates per input row", Required = true };

        var command = new Command("project", "Project points to 2D or 3D with PCA, t-SNE or UMAP")
        {
            input, method, dims, metric, perplexity, neighbors, minDist, seed, iterations, threads, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                var request = new ProjectionRequest
                {
                    Input = parse.GetValue(input)!,
                    Output = parse.GetValue(output)!,
                    Method = parse.GetValue(method)?.ToLowerInvariant() switch
                    {
                        "pca" => ProjectionMethod.Pca,
                        "tsne" or "t-sne" => ProjectionMethod.Tsne,
                        "umap" => ProjectionMethod.Umap,
                        var other => throw new ProjectionInputException($"--method must be pca, tsne or umap (got '{other}')"),
                    },
                    Dims = parse.GetValue(dims),
                    Metric = parse.GetValue(metric)?.ToLowerInvariant() switch
                    {
                        "cosine" => Metric.Cosine,
                        "euclidean" => Metric.Euclidean,
                        var other => throw new ProjectionInputException($"--metric must be cosine or euclidean (got '{other}')"),
                    },
                    Perplexity = parse.GetValue(perplexity),
                    Neighbors = parse.GetValue(neighbors),
                    MinDist = parse.GetValue(minDist),
                    Seed = parse.GetValue(seed),
                    Iterations = parse.GetValue(iterations),
                    Threads = parse.GetValue(threads),
                };
                PointProjection.Run(request);
                return 0;
            }
            catch (ProjectionInputException e)
            {
                // Handled here too, so the message stays one clean line whatever the parser's exception handling does.
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
