// This one file is compiled twice: into the LanguageModel library (where the tests reach it) and, by
// MSBuild's RoslynCodeTaskFactory, into the build task that LanguageModel.targets runs on every consuming
// app. That is why it targets the netstandard2.0 surface MSBuild compiles against (no spans, no
// BinaryPrimitives) and why the task class sits behind LANGUAGEMODEL_LIBRARY.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace LanguageModel.Native
{
    /// <summary>What <see cref="ElfVersionNeedPatcher.WeakenVersionNeed"/> did to a file.</summary>
    internal enum VersionNeedPatchOutcome
    {
        /// <summary>The file does not require the version at all: nothing to do.</summary>
        NotRequired,
        /// <summary>The requirement was already weak: nothing to do.</summary>
        AlreadyWeak,
        /// <summary>The requirement was marked weak and the file rewritten.</summary>
        Weakened,
    }

    /// <summary>How an ELF file requires one symbol version.</summary>
    internal enum VersionNeedState
    {
        /// <summary>The file does not require the version.</summary>
        Absent,
        /// <summary>The loader refuses to load the file where the version is missing.</summary>
        Strong,
        /// <summary>The loader accepts the file where the version is missing.</summary>
        Weak,
    }

    /// <summary>
    /// Marks one symbol-version requirement (for example <c>GLIBCXX_3.4.32</c> of <c>libstdc++.so.6</c>) of an
    /// ELF64 little-endian shared library as weak, so the dynamic loader accepts a system library that lacks
    /// that version. It is safe only when no relocation binds a symbol of that version; otherwise it refuses,
    /// because the library would then crash on the first call to the missing function.
    /// </summary>
    /// <remarks>
    /// The file is read through its dynamic segment (what the loader itself reads), not its section headers:
    /// <c>DT_VERNEED</c>/<c>DT_VERNEEDNUM</c> give the requirements, <c>DT_VERSYM</c> the version index of each
    /// dynamic symbol, and <c>DT_RELA</c>/<c>DT_REL</c>/<c>DT_JMPREL</c> the relocations whose symbols the
    /// loader would bind.
    /// </remarks>
    internal static class ElfVersionNeedPatcher
    {
        private const ushort VerFlagWeak = 0x2;
        private const uint PtLoad = 1;
        private const uint PtDynamic = 2;
        private const long DtNull = 0, DtPltRelSz = 2, DtStrTab = 5, DtSymTab = 6, DtRela = 7, DtRelaSz = 8,
            DtRelaEnt = 9, DtRel = 17, DtRelSz = 18, DtRelEnt = 19, DtPltRel = 20, DtJmpRel = 23,
            DtVerSym = 0x6ffffff0, DtVerNeed = 0x6ffffffe, DtVerNeedNum = 0x6fffffff;

        /// <summary>Reads the file and reports whether <paramref name="versionName"/> is required, and how.</summary>
        public static VersionNeedState Inspect(string path, string versionName)
        {
            var image = ReadImage(path);
            var need = FindVersionNeed(image, path, versionName);
            if (need is null) return VersionNeedState.Absent;
            return (image.U16(need.Value.AuxOffset + 4) & VerFlagWeak) != 0 ? VersionNeedState.Weak : VersionNeedState.Strong;
        }

        /// <summary>
        /// Marks the requirement of <paramref name="versionName"/> weak in <paramref name="path"/>, in place and
        /// atomically (a temporary file beside it, then a rename). Idempotent.
        /// </summary>
        /// <exception cref="InvalidDataException">The file is not an ELF64 little-endian shared library with a dynamic segment.</exception>
        /// <exception cref="InvalidOperationException">A relocation binds a symbol of that version, so weakening it would be unsafe.</exception>
        public static VersionNeedPatchOutcome WeakenVersionNeed(string path, string versionName)
        {
            var image = ReadImage(path);
            var need = FindVersionNeed(image, path, versionName);
            if (need is null) return VersionNeedPatchOutcome.NotRequired;

            int flagsOffset = need.Value.AuxOffset + 4;
            ushort flags = image.U16(flagsOffset);
            if ((flags & VerFlagWeak) != 0) return VersionNeedPatchOutcome.AlreadyWeak;

            var bound = SymbolsBoundWithVersion(image, path, need.Value.VersionIndex);
            if (bound.Count > 0)
            {
                throw new InvalidOperationException(
                    $"{path}: refusing to mark {versionName} (of {need.Value.LibraryName}) weak: relocations bind " +
                    $"{string.Join(", ", bound)} at that version, so the library really calls code that an older " +
                    $"{need.Value.LibraryName} lacks and would crash at run time. Install a {need.Value.LibraryName} " +
                    $"that provides {versionName} (for example GCC 13's libstdc++) instead.");
            }

            image.WriteU16(flagsOffset, (ushort)(flags | VerFlagWeak));
            WriteAtomically(path, image.Bytes);
            return VersionNeedPatchOutcome.Weakened;
        }

        private readonly struct VersionNeed
        {
            public VersionNeed(int auxOffset, ushort versionIndex, string libraryName)
            {
                AuxOffset = auxOffset;
                VersionIndex = versionIndex;
                LibraryName = libraryName;
            }

            public int AuxOffset { get; }
            public ushort VersionIndex { get; }
            public string LibraryName { get; }
        }

        private static VersionNeed? FindVersionNeed(Image image, string path, string versionName)
        {
            var dynamic = image.Dynamic;
            if (!dynamic.TryGetValue(DtVerNeed, out long verNeedAddress)) return null;
            long strTab = image.AddressToOffset(Required(dynamic, DtStrTab, path), path);
            long count = Required(dynamic, DtVerNeedNum, path);

            long need = image.AddressToOffset(verNeedAddress, path);
            for (long i = 0; i < count; i++)
            {
                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                ushort auxCount = image.U16(need + 2);
                string file = image.CString(strTab + image.U32(need + 4));
                long aux = need + image.U32(need + 8);
                for (int j = 0; j < auxCount; j++)
                {
                    // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                    if (image.CString(strTab + image.U32(aux + 8)) == versionName)
                        return new VersionNeed(checked((int)aux), image.U16(aux + 6), file);
                    aux += image.U32(aux + 12);
                }
                long next = image.U32(need + 12);
                if (next == 0) break;
                need += next;
            }
            return null;
        }

        private static List<string> SymbolsBoundWithVersion(Image image, string path, ushort versionIndex)
        {
            var dynamic = image.Dynamic;
            var bound = new SortedSet<string>(StringComparer.Ordinal);
            if (!dynamic.TryGetValue(DtVerSym, out long verSymAddress)) return new List<string>();
            long verSym = image.AddressToOffset(verSymAddress, path);
            long symTab = image.AddressToOffset(Required(dynamic, DtSymTab, path), path);
            long strTab = image.AddressToOffset(Required(dynamic, DtStrTab, path), path);

            void Scan(long tableAddress, long size, long entrySize)
            {
                long start = image.AddressToOffset(tableAddress, path);
                for (long entry = start; entry + entrySize <= start + size; entry += entrySize)
                {
                    // r_info sits after r_offset in both Elf64_Rel and Elf64_Rela; its high half is the symbol.
                    long symbol = (long)(image.U64(entry + 8) >> 32);
                    if (symbol == 0) continue;
                    if ((image.U16(verSym + 2 * symbol) & 0x7fff) != versionIndex) continue;
                    bound.Add(image.CString(strTab + image.U32(symTab + 24 * symbol)));
                }
            }

            if (dynamic.TryGetValue(DtRela, out long rela))
                Scan(rela, Required(dynamic, DtRelaSz, path), dynamic.TryGetValue(DtRelaEnt, out long e) ? e : 24);
            if (dynamic.TryGetValue(DtRel, out long rel))
                Scan(rel, Required(dynamic, DtRelSz, path), dynamic.TryGetValue(DtRelEnt, out long e) ? e : 16);
            if (dynamic.TryGetValue(DtJmpRel, out long jmpRel))
            {
                bool isRela = !dynamic.TryGetValue(DtPltRel, out long kind) || kind == DtRela;
                Scan(jmpRel, Required(dynamic, DtPltRelSz, path), isRela ? 24 : 16);
            }
            return new List<string>(bound);
        }

        private static long Required(Dictionary<long, long> dynamic, long tag, string path) =>
            dynamic.TryGetValue(tag, out long value)
                ? value
                : throw new InvalidDataException($"{path}: the dynamic segment has no entry 0x{tag:x}; the file is damaged or not a shared library.");

        private static Image ReadImage(string path)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new IOException($"{path}: cannot read the native library: {e.Message}", e);
            }
            return new Image(bytes, path);
        }

        private static void WriteAtomically(string path, byte[] bytes)
        {
            string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            string temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    stream.Write(bytes, 0, bytes.Length);
                    stream.Flush(true);
                }
                // A rename replaces the directory entry, so a reader never sees half a file and a hard link
                // into the NuGet cache is never written through.
                File.Replace(temp, path, null);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }

        private sealed class Image
        {
            private readonly string _path;
            private readonly List<(long Address, long Offset, long Size)> _loads = new List<(long, long, long)>();

            public Image(byte[] bytes, string path)
            {
                Bytes = bytes;
                _path = path;
                if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
                    throw new InvalidDataException($"{path}: not an ELF file.");
                if (bytes[4] != 2 || bytes[5] != 1)
                    throw new InvalidDataException($"{path}: only 64-bit little-endian ELF files are supported (class {bytes[4]}, data {bytes[5]}).");

                long phOffset = (long)U64(32);
                int phEntrySize = U16(54), phCount = U16(56);
                long dynamicOffset = -1, dynamicSize = 0;
                for (int i = 0; i < phCount; i++)
                {
                    long ph = phOffset + (long)i * phEntrySize;
                    // Elf64_Phdr: p_type u32, p_flags u32, p_offset u64, p_vaddr u64, p_paddr u64, p_filesz u64, ...
                    uint type = U32(ph);
                    if (type == PtLoad) _loads.Add(((long)U64(ph + 16), (long)U64(ph + 8), (long)U64(ph + 32)));
                    if (type == PtDynamic) { dynamicOffset = (long)U64(ph + 8); dynamicSize = (long)U64(ph + 32); }
                }
                if (dynamicOffset < 0)
                    throw new InvalidDataException($"{path}: no dynamic segment; not a shared library.");

                for (long entry = dynamicOffset; entry + 16 <= dynamicOffset + dynamicSize; entry += 16)
                {
                    long tag = (long)U64(entry);
                    if (tag == DtNull) break;
                    if (!Dynamic.ContainsKey(tag)) Dynamic[tag] = (long)U64(entry + 8);
                }
            }

            public byte[] Bytes { get; }

            public Dictionary<long, long> Dynamic { get; } = new Dictionary<long, long>();

            public long AddressToOffset(long address, string path)
            {
                foreach (var load in _loads)
                    if (address >= load.Address && address < load.Address + load.Size)
                        return address - load.Address + load.Offset;
                throw new InvalidDataException($"{path}: address 0x{address:x} lies outside every loadable segment.");
            }

            public ushort U16(long at) { Check(at, 2); return (ushort)(Bytes[at] | Bytes[at + 1] << 8); }

            public uint U32(long at) { Check(at, 4); return (uint)(Bytes[at] | Bytes[at + 1] << 8 | Bytes[at + 2] << 16 | Bytes[at + 3] << 24); }

            public ulong U64(long at) => U32(at) | (ulong)U32(at + 4) << 32;

            public void WriteU16(long at, ushort value) { Check(at, 2); Bytes[at] = (byte)value; Bytes[at + 1] = (byte)(value >> 8); }

            public string CString(long at)
            {
                long end = at;
                while (end < Bytes.Length && Bytes[end] != 0) end++;
                Check(at, end - at + 1);
                return Encoding.UTF8.GetString(Bytes, checked((int)at), checked((int)(end - at)));
            }

            private void Check(long at, long length)
            {
                if (at < 0 || at + length > Bytes.Length)
                    throw new InvalidDataException($"{_path}: truncated ELF file (needs bytes {at}..{at + length}, has {Bytes.Length}).");
            }
        }
    }

#if !LANGUAGEMODEL_LIBRARY
    /// <summary>MSBuild task: weakens one version need in each given native library (see LanguageModel.targets).</summary>
    public sealed class WeakenNativeVersionNeed : Microsoft.Build.Utilities.Task
    {
        /// <summary>The copies of the native library in the app's own output.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>The version whose need becomes weak, for example GLIBCXX_3.4.32.</summary>
        [Microsoft.Build.Framework.Required]
        public string VersionName { get; set; } = "";

        /// <inheritdoc />
        public override bool Execute()
        {
            foreach (var item in Files)
            {
                string path = item.ItemSpec;
                if (!File.Exists(path)) continue;
                try
                {
                    var outcome = ElfVersionNeedPatcher.WeakenVersionNeed(path, VersionName);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"{path}: {VersionName} {outcome}.");
                }
                catch (Exception e) when (e is InvalidOperationException || e is InvalidDataException || e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogError(e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
