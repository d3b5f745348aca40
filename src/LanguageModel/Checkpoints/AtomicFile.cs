namespace LanguageModel;

/// <summary>Writes a file so that readers see either the old contents or the complete new ones, never a part.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes through <paramref name="write"/> into a temporary file in the target's directory, flushes it to disk,
    /// then renames it over <paramref name="path"/>. On any failure the temporary file is removed and the target is untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot write: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
