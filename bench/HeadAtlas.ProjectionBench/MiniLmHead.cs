using HeadAtlas.Atlas;
using HeadAtlas.Models;
using HeadAtlas.Projection;

/// <summary>
/// Benchmark data (b) of issue 4: the queries and keys of one head of the built-in MiniLM over the tokens of the
/// first demo sentences (Moby-Dick; $HEADATLAS_HOME or the repository must have corpus/node_modules installed, as
/// ./headatlas demo does), joined as the build joins them: key translation, scale matching, cosine.
/// </summary>
internal static class MiniLmHead
{
    /// <summary>Returns the points [2n, dHead] (rows 0..n−1 queries, n..2n−1 keys), n = the tokens used.</summary>
    public static (float[] Points, int N, int DHead) JointPoints(int layer, int head, int maxTokens)
    {
        var model = BuiltinModels.Load(BuiltinModels.MiniLm);
        int dHead = model.Info.DHead;
        var sentences = DemoCorpus.Sentences(DemoCorpus.Home(), s => model.Tokenize(s).Ids.Length);
        var q = new List<float>(); // [n, dHead]
        var k = new List<float>(); // [n, dHead]
        string hookQ = $"blocks.{layer}.attn.hook_q", hookK = $"blocks.{layer}.attn.hook_k";
        int n = 0;
        foreach (var sentence in sentences)
        {
            if (n >= maxTokens) break;
            var ids = model.Tokenize(sentence).Ids;
            var hooks = new HookSet().Capture(hookQ, hookK);
            model.Forward([ids], [hooks]);
            var tq = hooks.Captured[hookQ]; // [pos, head, d_head]
            var tk = hooks.Captured[hookK]; // [pos, head, d_head]
            int heads = tq.Dim(1);
            // The last sentence may be cut: its tokens' vectors are still those of the whole sentence.
            for (int pos = 0; pos < ids.Length && n < maxTokens; pos++, n++)
            {
                q.AddRange(tq.Data.AsSpan((pos * heads + head) * dHead, dHead).ToArray());
                k.AddRange(tk.Data.AsSpan((pos * heads + head) * dHead, dHead).ToArray());
            }
        }
        var points = QkNormalization.JointPoints(q.ToArray(), k.ToArray(), n, dHead, keyTranslation: true, scaleMatching: true, Metric.Cosine);
        return (points, n, dHead);
    }
}
