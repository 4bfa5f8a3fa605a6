using System.Security.Cryptography;
using System.Text;
using HeadAtlas.Models.Vision;

namespace HeadAtlas.Atlas;

/// <summary>One image of an image corpus.</summary>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="RelativePath">Path relative to the corpus folder, with '/' separators (what the run shows).</param>
/// <param name="Width">Width of the file's image in pixels.</param>
/// <param name="Height">Height of the file's image in pixels.</param>
public sealed record CorpusImage(string Path, string RelativePath, int Width, int Height);

/// <summary>An image folder as read from disk: its images in order, the folder and the SHA-256 that identifies it
/// (docs/run-format.md, "Image runs").</summary>
public sealed record ImageCorpus(string Source, string Sha256, IReadOnlyList<CorpusImage> Images);

/// <summary>
/// Reads an image corpus: every PNG/JPEG file (by extension) under a folder, recursively, sorted by relative path
/// (ordinal, '/' separators). Hidden files and folders (name starting with '.') are skipped. Every image is decoded
/// once here, so a corrupt one is reported before a long build starts — one <see cref="CorpusInputException"/> naming it.
/// </summary>
public static class ImageCorpusReader
{
    public static readonly IReadOnlyList<string> Extensions = [".png", ".jpg", ".jpeg"];

    public static ImageCorpus Read(string folder, CancellationToken cancel = default)
    {
        string full = RunFolder.Normalize(folder);
        if (File.Exists(full)) throw new CorpusInputException($"--images '{folder}' is a file; expected a folder of PNG/JPEG images");
        if (!Directory.Exists(full)) throw new CorpusInputException($"image folder '{folder}' does not exist");

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true, IgnoreInaccessible = false, MatchCasing = MatchCasing.CaseInsensitive,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, // on Linux: names starting with '.'
        };
        List<(string Path, string Relative)> files;
        try
        {
            files = Directory.EnumerateFiles(full, "*", options)
                .Where(f => Extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant()))
                .Select(f => (f, System.IO.Path.GetRelativePath(full, f).Replace(System.IO.Path.DirectorySeparatorChar, '/')))
                .OrderBy(f => f.Item2, StringComparer.Ordinal)
                .ToList();
        }
        catch (UnauthorizedAccessException e) { throw new CorpusInputException($"image folder '{folder}' cannot be read: {e.Message}", e); }
        if (files.Count == 0)
            throw new CorpusInputException($"image folder '{folder}' holds no PNG or JPEG images (looked for {string.Join(", ", Extensions.Select(x => "*" + x))} in it and its subfolders)");

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var images = new List<CorpusImage>(files.Count);
        foreach (var (path, relative) in files)
        {
            cancel.ThrowIfCancellationRequested();
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (IOException e) { throw new CorpusInputException($"image '{path}' cannot be read: {e.Message}", e); }
            catch (UnauthorizedAccessException e) { throw new CorpusInputException($"image '{path}' cannot be read: {e.Message}", e); }
            string? problem = ImageFiles.Problem(bytes, out int width, out int height);
            if (problem is not null) throw new CorpusInputException($"image '{path}' is {problem}");
            // The hash: for each image in order, its relative path (UTF-8), a 0 byte, its bytes.
            sha.AppendData(Encoding.UTF8.GetBytes(relative));
            sha.AppendData([0]);
            sha.AppendData(bytes);
            images.Add(new CorpusImage(path, relative, width, height));
        }
        return new ImageCorpus(full, Convert.ToHexStringLower(sha.GetHashAndReset()), images);
    }
}
