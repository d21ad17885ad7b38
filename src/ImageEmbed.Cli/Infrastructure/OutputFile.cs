using Microsoft.Win32.SafeHandles;

namespace ImageEmbed.Cli.Infrastructure;

/// <summary>
/// Where a command writes its output: a file, or standard output for <c>-</c>. Standard output is opened on the
/// descriptor itself rather than through <see cref="Console"/>, whose stream swallows a closed pipe's EPIPE: written
/// that way, <c>export ... -o - | head</c> would go on exporting to nobody. Here the write fails and the command stops
/// (<see cref="IsReaderGone"/>).
/// </summary>
internal static class OutputFile
{
    public const string StandardOutput = "-";

    public static Stream Create(string path) =>
        path == StandardOutput
            ? new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 1 << 16)
            : File.Create(path);

    /// <summary>The reader of a pipe went away (<c>| head</c>): not an error, the output is simply not wanted any more.</summary>
    public static bool IsReaderGone(string path, Exception e) =>
        // EPIPE (32 on Linux and macOS, as .NET reports an unmapped errno); Windows' ERROR_BROKEN_PIPE and ERROR_NO_DATA.
        path == StandardOutput && e is IOException { HResult: 32 or unchecked((int)0x8007006D) or unchecked((int)0x800700E8) };
}
