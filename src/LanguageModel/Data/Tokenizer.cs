using System.Buffers;
using System.Text;

namespace LanguageModel;

/// <summary>
/// Splits corpus text the way TensorFlow's PTB reader does on PTB files: words are separated by whitespace and
/// every line ends with <c>&lt;eos&gt;</c>. Works on spans, so reading a corpus allocates no string per word.
/// </summary>
internal static class Tokenizer
{
    /// <summary>Every character that separates words (what Python's <c>str.split()</c> splits on, for the characters PTB can hold).</summary>
    public static readonly SearchValues<char> Whitespace =
        SearchValues.Create(" \t\n\v\f\r\u001c\u001d\u001e\u001f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000");

    /// <summary>A callback for each token: the token, and the 1-based line it is on.</summary>
    public delegate void TokenHandler(ReadOnlySpan<char> token, int line);

    /// <summary>Reads <paramref name="path"/> as strict UTF-8 and calls <paramref name="onToken"/> for every word and line end.</summary>
    /// <returns>The number of tokens, <c>&lt;eos&gt;</c> included.</returns>
    public static int ForEachToken(string path, TokenHandler onToken)
    {
        string text = ReadText(path);
        int count = 0, line = 1, wordsInFile = 0;
        var span = text.AsSpan();
        int lineStart = 0;
        while (lineStart < span.Length)
        {
            int newline = span[lineStart..].IndexOf('\n');
            var lineText = newline < 0 ? span[lineStart..] : span.Slice(lineStart, newline);
            foreach (var range in lineText.SplitAny(Whitespace))
            {
                var word = lineText[range];
                if (word.IsEmpty) continue;
                onToken(word, line);
                count++;
                wordsInFile++;
            }
            onToken(Vocabulary.EndOfSentence, line);
            count++;
            line++;
            lineStart = newline < 0 ? span.Length : lineStart + newline + 1;
        }
        if (wordsInFile == 0)
            throw new InvalidDataException($"{path}: the corpus is empty (it holds no words, only whitespace).");
        return count;
    }

    private static string ReadText(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"{path}: corpus file not found.", path, e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"{path}: corpus file not found (its directory does not exist).", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot read the corpus file: {e.Message}", e);
        }
        if (bytes.Length == 0) throw new InvalidDataException($"{path}: the corpus file is empty.");

        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true)
                .GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            int offset = start + Math.Max(e.Index, 0);
            int line = 1 + bytes.AsSpan(0, Math.Min(offset, bytes.Length)).Count((byte)'\n');
            throw new InvalidDataException($"{path}: line {line}: not valid UTF-8 (bad byte 0x{bytes[Math.Min(offset, bytes.Length - 1)]:X2} at byte offset {offset}).", e);
        }
    }
}
