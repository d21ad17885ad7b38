using System.Runtime.Versioning;

namespace ImageEmbed.Tests;

/// <summary>Asserts that a data folder is the owner's alone: the folder 0700, every file in it 0600.</summary>
internal static class DataFolderModes
{
    public const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <param name="expectAtLeast">File names that must be there, so the check is not passed by an empty folder.</param>
    [UnsupportedOSPlatform("windows")]
    public static void AssertPrivate(string data, params string[] expectAtLeast)
    {
        Assert.Equal(Folder, System.IO.File.GetUnixFileMode(data));
        string[] files = Directory.GetFiles(data);
        Assert.Subset(files.Select(f => Path.GetFileName(f)).ToHashSet(), expectAtLeast.ToHashSet());
        foreach (string file in files)
        {
            UnixFileMode mode = System.IO.File.GetUnixFileMode(file);
            Assert.True(mode == File, $"{Path.GetFileName(file)} is {mode}, not 0600");
        }
    }
}
