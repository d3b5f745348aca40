using System.Reflection;
using System.Text;
using LanguageModel.Native;
using LanguageModel.Tests.Support;

namespace LanguageModel.Tests.Native;

/// <summary>
/// The ELF logic behind the native-loading fix, on real bytes: copies of the libLibTorchSharp.so that TorchSharp ships.
/// </summary>
public class ElfVersionNeedPatcherTests : IDisposable
{
    private const string Version = "GLIBCXX_3.4.32";
    private const string Marker = "_ZSt21ios_base_library_initv";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Metadata(string key) =>
        typeof(ElfVersionNeedPatcherTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>The original, as shipped in the NuGet cache (never modified by the build).</summary>
    private static string ShippedLibrary => Path.Combine(Metadata("NuGetPackageRoot"), "torchsharp", Metadata("TorchSharpVersion"),
                                                        "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>The app's own copy, which the build has patched.</summary>
    private static string OutputLibrary => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private string CopyOfShipped()
    {
        string copy = Path.Combine(_dir.Path, "libLibTorchSharp.so");
        File.Copy(ShippedLibrary, copy);
        return copy;
    }

    [Fact]
    public void Shipped_library_needs_the_version_strongly_and_the_build_left_it_untouched()
    {
        ElfVersionNeedPatcher.Inspect(ShippedLibrary, Version).Should().Be(VersionNeedState.Strong);
    }

    [Fact]
    public void Build_output_copy_is_already_weak()
    {
        ElfVersionNeedPatcher.Inspect(OutputLibrary, Version).Should().Be(VersionNeedState.Weak);
    }

    [Fact]
    public void Weakening_sets_only_the_weak_flag_of_that_version()
    {
        string copy = CopyOfShipped();
        byte[] before = File.ReadAllBytes(copy);

        ElfVersionNeedPatcher.WeakenVersionNeed(copy, Version).Should().Be(VersionNeedPatchOutcome.Weakened);

        byte[] after = File.ReadAllBytes(copy);
        after.Should().HaveSameCount(before);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        changed.Should().ContainSingle();
        // vna_flags is a little-endian u16; VER_FLG_WEAK is bit 1 of its low byte.
        (after[changed[0]] ^ before[changed[0]]).Should().Be(0x2);
        changed[0].Should().Be(ElfTestImage.Parse(before).VernauxFlagsOffset(Version));
        ElfVersionNeedPatcher.Inspect(copy, Version).Should().Be(VersionNeedState.Weak);
        ElfVersionNeedPatcher.Inspect(copy, "GLIBCXX_3.4.30").Should().Be(VersionNeedState.Strong);
    }

    [Fact]
    public void Weakening_twice_changes_nothing_the_second_time()
    {
        string copy = CopyOfShipped();
        ElfVersionNeedPatcher.WeakenVersionNeed(copy, Version);
        byte[] once = File.ReadAllBytes(copy);
        var writeTime = File.GetLastWriteTimeUtc(copy);

        ElfVersionNeedPatcher.WeakenVersionNeed(copy, Version).Should().Be(VersionNeedPatchOutcome.AlreadyWeak);

        File.ReadAllBytes(copy).Should().Equal(once);
        File.GetLastWriteTimeUtc(copy).Should().Be(writeTime);
        Directory.GetFiles(_dir.Path).Should().ContainSingle("no temporary file is left behind");
    }

    [Fact]
    public void A_library_without_the_need_is_left_alone()
    {
        string copy = CopyOfShipped();
        byte[] before = File.ReadAllBytes(copy);

        ElfVersionNeedPatcher.WeakenVersionNeed(copy, "GLIBCXX_9.9.99").Should().Be(VersionNeedPatchOutcome.NotRequired);

        File.ReadAllBytes(copy).Should().Equal(before);
    }

    [Fact]
    public void Refuses_when_a_relocation_binds_a_symbol_of_that_version()
    {
        // Construct the dangerous case: give a symbol that the PLT really binds the marker's version, as if a
        // future TorchSharp called a libstdc++ function that only GCC 13 has.
        string copy = CopyOfShipped();
        byte[] bytes = File.ReadAllBytes(copy);
        var elf = ElfTestImage.Parse(bytes);
        var (boundSymbol, boundName) = elf.FirstPltSymbol();
        elf.SetVersionIndex(boundSymbol, elf.VersionIndexOf(Marker));
        File.WriteAllBytes(copy, bytes);

        var act = () => ElfVersionNeedPatcher.WeakenVersionNeed(copy, Version);

        act.Should().Throw<InvalidOperationException>()
           .WithMessage($"{copy}: refusing to mark {Version} (of libstdc++.so.6) weak*{boundName}*");
        File.ReadAllBytes(copy).Should().Equal(bytes);
    }

    [Fact]
    public void Rejects_a_file_that_is_not_elf_by_path()
    {
        string path = _dir.File("fake.so", "not an ELF file at all, but long enough to have a header........");

        var act = () => ElfVersionNeedPatcher.WeakenVersionNeed(path, Version);

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: not an ELF file.");
    }

    [Fact]
    public void Rejects_a_truncated_library_by_path()
    {
        string path = _dir.File("cut.so", File.ReadAllBytes(ShippedLibrary).AsSpan(0, 4096).ToArray());

        var act = () => ElfVersionNeedPatcher.WeakenVersionNeed(path, Version);

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}:*");
    }
}

/// <summary>
/// A second, deliberately different reading of an ELF64 file (through its section headers, as readelf does) to
/// check the patcher's dynamic-segment reading and to construct test cases.
/// </summary>
internal sealed class ElfTestImage
{
    private const uint ShtDynSym = 11, ShtRela = 4, ShtVerNeed = 0x6ffffffe, ShtVerSym = 0x6fffffff;
    private readonly byte[] _bytes;
    private readonly List<(string Name, uint Type, long Offset, long Size, uint Link)> _sections = new();

    private ElfTestImage(byte[] bytes)
    {
        _bytes = bytes;
        long shOffset = (long)U64(40);
        int shEntrySize = U16(58), shCount = U16(60), shStrIndex = U16(62);
        long strOffset = (long)U64(shOffset + shStrIndex * shEntrySize + 24);
        for (int i = 0; i < shCount; i++)
        {
            long sh = shOffset + (long)i * shEntrySize;
            _sections.Add((CString(strOffset + U32(sh)), U32(sh + 4), (long)U64(sh + 24), (long)U64(sh + 32), U32(sh + 40)));
        }
    }

    public static ElfTestImage Parse(byte[] bytes) => new(bytes);

    private (string Name, uint Type, long Offset, long Size, uint Link) Section(uint type, string? name = null) =>
        _sections.First(s => s.Type == type && (name is null || s.Name == name));

    private long DynStr => _sections[(int)Section(ShtDynSym).Link].Offset;

    public int VernauxFlagsOffset(string version)
    {
        var verneed = Section(ShtVerNeed);
        long strtab = _sections[(int)verneed.Link].Offset;
        for (long need = verneed.Offset; ; need += U32(need + 12))
        {
            long aux = need + U32(need + 8);
            for (int j = 0; j < U16(need + 2); j++, aux += U32(aux + 12))
                if (CString(strtab + U32(aux + 8)) == version) return (int)aux + 4;
            if (U32(need + 12) == 0) throw new InvalidOperationException($"{version} not found");
        }
    }

    public (long Index, string Name) FirstPltSymbol()
    {
        var plt = Section(ShtRela, ".rela.plt");
        for (long entry = plt.Offset; entry < plt.Offset + plt.Size; entry += 24)
        {
            long symbol = (long)(U64(entry + 8) >> 32);
            if (symbol != 0) return (symbol, SymbolName(symbol));
        }
        throw new InvalidOperationException("no PLT relocation with a symbol");
    }

    public ushort VersionIndexOf(string symbolName)
    {
        var dynsym = Section(ShtDynSym);
        for (long i = 0; i < dynsym.Size / 24; i++)
            if (SymbolName(i) == symbolName) return U16(Section(ShtVerSym).Offset + 2 * i);
        throw new InvalidOperationException($"{symbolName} not found");
    }

    public void SetVersionIndex(long symbol, ushort index)
    {
        long at = Section(ShtVerSym).Offset + 2 * symbol;
        _bytes[at] = (byte)index;
        _bytes[at + 1] = (byte)(index >> 8);
    }

    private string SymbolName(long symbol) => CString(DynStr + U32(Section(ShtDynSym).Offset + 24 * symbol));

    private ushort U16(long at) => BitConverter.ToUInt16(_bytes, (int)at);

    private uint U32(long at) => BitConverter.ToUInt32(_bytes, (int)at);

    private ulong U64(long at) => BitConverter.ToUInt64(_bytes, (int)at);

    private string CString(long at)
    {
        int end = Array.IndexOf(_bytes, (byte)0, (int)at);
        return Encoding.ASCII.GetString(_bytes, (int)at, end - (int)at);
    }
}
