using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace LanguageModel;

/// <summary>
/// Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header giving each
/// tensor's dtype, shape and byte range, then the raw little-endian data), which PyTorch users load with
/// <c>safetensors.torch.load_file</c>.
/// </summary>
internal static class SafeTensors
{
    private static readonly (ScalarType Type, string Name, int Size)[] Types =
    [
        (ScalarType.Float32, "F32", 4), (ScalarType.Float64, "F64", 8), (ScalarType.Int64, "I64", 8),
        (ScalarType.Int32, "I32", 4), (ScalarType.Byte, "U8", 1),
    ];

    /// <summary>Serialises <paramref name="tensors"/> (copied to the CPU) in name order.</summary>
    public static byte[] Serialize(IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (key, value) in metadata) meta[key] = value;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var type = Types.FirstOrDefault(t => t.Type == tensor.dtype);
            if (type.Name is null) throw new NotSupportedException($"Tensor '{name}' has dtype {tensor.dtype}, which this writer does not support.");
            byte[] bytes = Bytes(tensor);
            header[name] = new JsonObject
            {
                ["dtype"] = type.Name,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // The format lets the header be padded with spaces; 8-byte alignment keeps the data aligned for readers that map it.
        int padded = (json.Length + 7) / 8 * 8;
        using var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var blob in blobs) stream.Write(blob);
        return stream.ToArray();
    }

    /// <summary>
    /// Parses safetensors bytes into CPU tensors and the header's string metadata; <paramref name="source"/> names the
    /// file in errors.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed safetensors file.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Deserialize(byte[] data, string source)
    {
        if (data.Length < 8) throw new InvalidDataException($"{source}: not a safetensors file (only {data.Length} bytes).");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (headerLength > (ulong)(data.Length - 8)) throw new InvalidDataException($"{source}: truncated safetensors file (header of {headerLength} bytes, file of {data.Length}).");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(data.AsSpan(8, (int)headerLength))?.AsObject() ?? throw new InvalidDataException($"{source}: empty safetensors header.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the safetensors header is not valid JSON: {e.Message}", e);
        }

        long dataStart = 8 + (long)headerLength;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in header)
            {
                if (name == "__metadata__")
                {
                    foreach (var (key, value) in node!.AsObject()) metadata[key] = value!.GetValue<string>();
                    continue;
                }
                string dtype = node?["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: tensor '{name}' has no dtype.");
                var type = Types.FirstOrDefault(t => t.Name == dtype);
                if (type.Name is null) throw new InvalidDataException($"{source}: tensor '{name}' has unsupported dtype {dtype}.");
                long[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray().Select(o => o!.GetValue<long>()).ToArray();
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (offsets.Length != 2 || offsets[1] - offsets[0] != count * type.Size || dataStart + offsets[1] > data.Length || offsets[0] < 0)
                    throw new InvalidDataException($"{source}: tensor '{name}' [{string.Join(", ", shape)}] {dtype} does not fit its byte range or the file is truncated.");
                result[name] = FromBytes(data.AsSpan((int)(dataStart + offsets[0]), (int)(offsets[1] - offsets[0])), type.Type, shape);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw new InvalidDataException($"{source}: malformed safetensors header: {e.Message}", e);
        }
        return (result, metadata);
    }

    private static byte[] Bytes(Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors output needs a little-endian machine.");
        return cpu.dtype switch
        {
            ScalarType.Float32 => MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()).ToArray(),
            ScalarType.Float64 => MemoryMarshal.AsBytes(cpu.data<double>().ToArray().AsSpan()).ToArray(),
            ScalarType.Int64 => MemoryMarshal.AsBytes(cpu.data<long>().ToArray().AsSpan()).ToArray(),
            ScalarType.Int32 => MemoryMarshal.AsBytes(cpu.data<int>().ToArray().AsSpan()).ToArray(),
            _ => cpu.data<byte>().ToArray(),
        };
    }

    private static Tensor FromBytes(ReadOnlySpan<byte> bytes, ScalarType type, long[] shape) => type switch
    {
        ScalarType.Float32 => tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
        ScalarType.Float64 => tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape),
        ScalarType.Int64 => tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
        ScalarType.Int32 => tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), shape),
        _ => tensor(bytes.ToArray(), shape),
    };
}
