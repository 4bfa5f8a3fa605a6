/// <summary>Writes a float32 [rows, cols] array as a NumPy .npy file (version 1.0, C order).</summary>
internal static class NpyFile
{
    public static void Write(string path, float[] x, int rows, int cols)
    {
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}";
        header = header.PadRight(118 - 1) + "\n"; // 10-byte preamble + header = 128 bytes
        using var file = File.Create(path);
        file.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 });
        file.Write(System.Text.Encoding.ASCII.GetBytes(header));
        file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()));
    }
}
