namespace ImageEmbed.Storage;

/// <summary>
/// The data folder holds every vector, metadata field, source URL, thumbnail and key hash, so it is the
/// owner's alone: the folder is 0700 and the files the stores create are 0600, whatever the process umask
/// (which only ever removes bits, so asking for these modes is enough for new files). A folder or file made
/// looser by an earlier version, or by hand, is tightened when it is opened. On Windows the folder keeps the
/// ACLs it inherits from the user's profile.
/// </summary>
public static class PrivateFiles
{
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupAndOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="folder"/> (and missing parents) readable by the owner only, or tightens it if it exists.</summary>
    public static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }
        Directory.CreateDirectory(folder, FolderMode);
        Tighten(folder, FolderMode);
    }

    /// <summary>
    /// Makes sure the SQLite database at <paramref name="path"/> and its <c>-wal</c>/<c>-shm</c> files are 0600:
    /// creates an empty file with that mode before SQLite does (SQLite gives the WAL and shared-memory files the
    /// database file's mode), and tightens files that already exist.
    /// </summary>
    public static void PrepareDatabase(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode }).Dispose();
        }
        catch (IOException) when (File.Exists(path))
        {
            // Already there (or made by a concurrent opener): tightened below.
        }
        foreach (string file in (ReadOnlySpan<string>)[path, path + "-wal", path + "-shm"])
            if (File.Exists(file)) Tighten(file, FileMode);
    }

    /// <summary>Makes a file of ours 0600, e.g. one written through a temporary path before it replaces the old one.</summary>
    public static void RestrictFile(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, FileMode);
    }

    private static void Tighten(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            if ((File.GetUnixFileMode(path) & GroupAndOthers) != 0) File.SetUnixFileMode(path, mode);
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours to change (a folder owned by another account but writable by us): leave it as it is.
        }
    }
}
