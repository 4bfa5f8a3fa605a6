using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace HeadAtlas.Server;

/// <summary>The /api routes of docs/server-api.md.</summary>
public static class ApiEndpoints
{
    public const string ArrowMime = "application/vnd.apache.arrow.file";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/manifest", (ServedRun run) => Results.Json(run.ManifestWithReady()));

        app.MapGet("/api/file/{**path}", (string? path, ServedRun run) =>
        {
            // Routing leaves "%2F" encoded inside a catch-all value; decode it so "..%2F" is seen as "../".
            var full = run.ResolveInside(Uri.UnescapeDataString(path ?? ""));
            if (full is null)
                return Results.Problem($"path '{path}' is outside the run folder", statusCode: 400);
            if (!File.Exists(full))
                return Results.Problem($"'{path}' is not in the run (yet)", statusCode: 404);
            var mime = full.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : ArrowMime;
            return Results.File(full, mime, enableRangeProcessing: false);
        });

        app.MapGet("/api/attention/{layer:int}/{head:int}/{sentence:int}",
            (int layer, int head, int sentence, ServedRun run, AttentionReader reader) =>
            {
                var entry = run.FindHead(layer, head);
                if (entry is null)
                    return Results.Problem($"the run has no head L{layer}_H{head}", statusCode: 404);
                if (sentence < 0 || sentence >= reader.SentenceCount)
                    return Results.Problem(
                        $"sentence {sentence} is out of range (the run has {reader.SentenceCount})", statusCode: 404);
                try
                {
                    var a = reader.Read(entry, sentence);
                    return Results.Json(new { sentence = a.Sentence, tokens = a.Tokens, weights = a.Weights });
                }
                catch (FileNotFoundException)
                {
                    return Results.Problem($"{entry.Dir}/attention.arrow is not in the run", statusCode: 404);
                }
            });
    }
}
