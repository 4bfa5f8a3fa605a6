using System.Numerics.Tensors;
using HeadAtlas.Models.Vision;
using HeadAtlas.Models.Weights;
using HeadAtlas.Tensors;
using Tensor = HeadAtlas.Tensors.Tensor;

namespace HeadAtlas.Models.Architectures;

/// <summary>
/// A vision transformer (ViT): the image cut into patch×patch squares, each flattened and projected (the patch
/// convolution as one matrix product), a CLS token in front, learned positions added; then pre-norm blocks with
/// bidirectional attention and an erf-GELU MLP, and a final LayerNorm. Tokens are [CLS] and the patches row by row.
/// Hooks as the decoders' (TransformerLens names); hook_embed is CLS + projected patches, hook_pos_embed the positions.
/// </summary>
public sealed class Vit : IImageModel
{
    private readonly VitWeights _w;
    private readonly ImagePreprocessor _preprocessor;
    private readonly SelfAttention _attention;
    private readonly int _d, _heads, _dHead, _dMlp, _grid, _tokens;

    public Vit(string name, VitWeights weights, ImagePreprocessor preprocessor)
    {
        _w = weights;
        _preprocessor = preprocessor;
        _d = weights.DModel;
        _heads = weights.Heads;
        _dHead = _d / _heads;
        _dMlp = weights.DMlp;
        _grid = weights.Grid;
        _tokens = 1 + _grid * _grid;
        if (preprocessor.Height != weights.ImageSize || preprocessor.Width != weights.ImageSize)
            throw new ModelException($"{name}: {ImagePreprocessor.FileName} resizes to {preprocessor.Width}×{preprocessor.Height} but config.json's image_size is {weights.ImageSize}");
        _attention = new SelfAttention(_heads, _heads, _dHead, causal: false);
        Info = new ModelInfo(name, "vit", weights.Layers.Length, _heads, _heads, _dHead, _d, _tokens);
        HookNames = DecoderHooks.Gpt2(weights.Layers.Length);
    }

    public ModelInfo Info { get; }
    public IReadOnlySet<string> HookNames { get; }

    public TokenizedText Tokenize(string text) =>
        throw new ModelException($"{Info.Name} is a vision model: it reads images (activations --image FILE), not text; for an atlas give build --images FOLDER");

    public IReadOnlyList<Tensor> Forward(IReadOnlyList<int[]> sequences, IReadOnlyList<HookSet?>? hooks = null) =>
        throw new ModelException($"{Info.Name} is a vision model: it reads images, not token ids");

    public (int Rows, int Cols) PatchGrid => (_grid, _grid);

    public ImageInput LoadImage(string path)
    {
        var image = _preprocessor.LoadWithRgb(path); // pixels [3, height, width], rgb [height, width, 3]
        var tokens = new string[_tokens];
        tokens[0] = "[CLS]";
        for (int r = 0; r < _grid; r++)
            for (int c = 0; c < _grid; c++) tokens[1 + r * _grid + c] = $"patch {r},{c}";
        return new ImageInput(image.Pixels, tokens, _grid, _grid)
        {
            Rgb = image.Rgb, SourceWidth = image.SourceWidth, SourceHeight = image.SourceHeight,
        };
    }

    public IReadOnlyList<Tensor> ForwardImages(IReadOnlyList<Tensor> pixels, IReadOnlyList<HookSet?>? hooks = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int size = _w.ImageSize, ch = _w.Channels;
        foreach (var px in pixels)
            if (!px.Shape.AsSpan().SequenceEqual([ch, size, size]))
                throw new ModelException($"{Info.Name} takes images of shape [{ch}, {size}, {size}], got [{string.Join(", ", px.Shape)}]");
        // Every image has the same number of tokens; dummy ids let the shared batch check hooks and lay out rows.
        var batch = SequenceBatch.Create(pixels.Select(_ => new int[_tokens]).ToList(), hooks, Info, HookNames, vocabSize: 1);
        int t = batch.Total, d = _d;
        var x = new float[t * d];   // [tokens, d_model]
        var pos = new float[t * d]; // [tokens, d_model]
        for (int s = 0; s < pixels.Count; s++)
        {
            Embed(pixels[s], x.AsSpan(batch.Offsets[s] * d, _tokens * d));
            _w.Positions.CopyTo(pos.AsSpan(batch.Offsets[s] * d, _tokens * d));
        }
        batch.HookRows(DecoderHooks.Embed, x, d, [d]);      // [pos, d_model]
        batch.HookRows(DecoderHooks.PosEmbed, pos, d, [d]); // [pos, d_model]
        TensorPrimitives.Add(x, pos, x);

        for (int l = 0; l < _w.Layers.Length; l++) Block(l, batch, x);
        Ops.LayerNormRows(x, d, _w.FinalGamma, _w.FinalBeta, _w.LayerNormEps);
        batch.HookRows(DecoderHooks.FinalNormalized, x, d, [d]); // [pos, d_model]
        return batch.Split(x, d);
    }

    /// <summary>CLS then each patch's projection: x[1 + r·grid + c] = W · patch(r, c) + b.</summary>
    private void Embed(Tensor pixels, Span<float> x)
    {
        int p = _w.PatchSize, ch = _w.Channels, size = _w.ImageSize, width = ch * p * p, n = _grid * _grid;
        var patches = new float[n * width]; // [patches, channel·p·p], in the conv kernel's (channel, row, column) order
        for (int r = 0; r < _grid; r++)
            for (int c = 0; c < _grid; c++)
            {
                var row = patches.AsSpan((r * _grid + c) * width, width);
                for (int k = 0; k < ch; k++)
                    for (int i = 0; i < p; i++)
                        pixels.Data.AsSpan((k * size + r * p + i) * size + c * p, p).CopyTo(row.Slice((k * p + i) * p, p));
            }
        _w.ClsToken.CopyTo(x[.._d]);
        var projected = x[_d..];
        for (int i = 0; i < n; i++) _w.PatchBias.CopyTo(projected.Slice(i * _d, _d));
        Gemm.MultiplyTransposedB(patches, _w.PatchWeight, projected, n, width, _d, accumulate: true);
    }

    private void Block(int l, SequenceBatch batch, float[] x)
    {
        var w = _w.Layers[l];
        var n = DecoderHooks.Layer(l);
        int t = batch.Total, d = _d;
        batch.HookRows(n.ResidPre, x, d, [d]); // [pos, d_model]
        var h = (float[])x.Clone(); // [tokens, d_model]
        Ops.LayerNormRows(h, d, w.Ln1Gamma, w.Ln1Beta, _w.LayerNormEps);
        batch.HookRows(n.Ln1, h, d, [d]); // [pos, d_model]

        var q = new float[t * d]; // [tokens, head·d_head]
        var k = new float[t * d];
        var v = new float[t * d];
        Affine(w.Q, w.QBias, h, q, t);
        Affine(w.K, w.KBias, h, k, t);
        Affine(w.V, w.VBias, h, v, t);
        batch.HookRows(n.Q, q, d, [_heads, _dHead]); // [pos, head, d_head]
        batch.HookRows(n.K, k, d, [_heads, _dHead]); // [pos, head, d_head]
        batch.HookRows(n.V, v, d, [_heads, _dHead]); // [pos, head, d_head]

        var z = new float[t * d]; // [tokens, head·d_head]
        _attention.Run(batch, n, q, k, v, z);
        batch.HookRows(n.Z, z, d, [_heads, _dHead]); // [pos, head, d_head]
        var attnOut = new float[t * d]; // [tokens, d_model]
        Affine(w.O, w.OBias, z, attnOut, t);
        batch.HookRows(n.AttnOut, attnOut, d, [d]); // [pos, d_model]
        TensorPrimitives.Add(x, attnOut, x);
        batch.HookRows(n.ResidMid, x, d, [d]); // [pos, d_model]

        x.AsSpan().CopyTo(h);
        Ops.LayerNormRows(h, d, w.Ln2Gamma, w.Ln2Beta, _w.LayerNormEps);
        batch.HookRows(n.Ln2, h, d, [d]); // [pos, d_model]
        var hidden = new float[t * _dMlp]; // [tokens, d_mlp]
        Affine(w.Up, w.UpBias, h, hidden, t);
        batch.HookRows(n.MlpPre, hidden, _dMlp, [_dMlp]); // [pos, d_mlp]
        Ops.GeluErf(hidden);
        batch.HookRows(n.MlpPost, hidden, _dMlp, [_dMlp]); // [pos, d_mlp]
        var mlpOut = attnOut; // reuse: [tokens, d_model]
        Affine(w.Down, w.DownBias, hidden, mlpOut, t);
        batch.HookRows(n.MlpOut, mlpOut, d, [d]); // [pos, d_model]
        TensorPrimitives.Add(x, mlpOut, x);
        batch.HookRows(n.ResidPost, x, d, [d]); // [pos, d_model]
    }

    /// <summary>y[t, out] = x[t, in] · Wᵀ + bias.</summary>
    private static void Affine(WeightMatrix w, float[] bias, float[] x, float[] y, int t)
    {
        for (int r = 0; r < t; r++) bias.CopyTo(y, r * bias.Length);
        w.MultiplyTransposed(x, y, t, accumulate: true);
    }

    private bool _disposed;

    /// <summary>Releases the memory-mapped weight files; the model cannot run afterwards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _w.Files?.Dispose();
    }
}
