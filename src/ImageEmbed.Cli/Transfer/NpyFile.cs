using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ImageEmbed.Cli.Transfer;

/// <summary>
/// NumPy <c>.npy</c> version 1.0 of a 2-D little-endian float32 array (<c>np.load</c> reads it). The header
/// has a fixed size so the row count can be written after the rows are.
/// </summary>
internal static class NpyFile
{
    private const int HeaderSize = 128;
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    /// <summary>Reserves the header; call <see cref="WriteHeader"/> once the rows are written.</summary>
    public static void ReserveHeader(Stream stream) => stream.Write(new byte[HeaderSize]);

    public static void WriteHeader(Stream stream, long rows, int columns)
    {
        string dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
        int length = HeaderSize - 10;
        string padded = dict.PadRight(length - 1) + "\n";
        stream.Position = 0;
        stream.Write(Magic);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)length);
        stream.Write(len);
        stream.Write(Encoding.ASCII.GetBytes(padded));
    }

    public static void WriteRow(Stream stream, ReadOnlySpan<float> row)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Writing .npy needs a little-endian machine.");
        stream.Write(MemoryMarshal.AsBytes(row));
    }

    /// <summary>Reads a 2-D <c>&lt;f4</c> C-order array.</summary>
    /// <exception cref="InvalidDataException">Not such a file.</exception>
    public static float[][] Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic.AsSpan(0, 6))) throw new InvalidDataException($"{path} is not a .npy file.");
        int headerLength = bytes[6] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int start = bytes[6] == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(bytes, start, headerLength);
        if (!header.Contains("'<f4'", StringComparison.Ordinal) || header.Contains("'fortran_order': True", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: only little-endian float32 ('<f4') arrays in C order can be imported (header: {header.Trim()}).");
        var shape = System.Text.RegularExpressions.Regex.Match(header, @"'shape':\s*\((\d+),\s*(\d+)\)");
        if (!shape.Success) throw new InvalidDataException($"{path}: the array must be 2-D (rows, dimensions); header: {header.Trim()}.");
        int rows = int.Parse(shape.Groups[1].Value, CultureInfo.InvariantCulture), columns = int.Parse(shape.Groups[2].Value, CultureInfo.InvariantCulture);
        int dataStart = start + headerLength;
        if ((long)rows * columns * 4 != bytes.Length - dataStart) throw new InvalidDataException($"{path}: {rows}x{columns} float32 values do not match the file's {bytes.Length - dataStart} data bytes.");
        var result = new float[rows][];
        for (int r = 0; r < rows; r++)
            result[r] = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(dataStart + r * columns * 4, columns * 4)).ToArray();
        return result;
    }
}
