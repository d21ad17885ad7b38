using ImageEmbed.Storage.Content;
using ImageEmbed.Storage.Embedded;
using ImageEmbed.Storage.Jobs;
using ImageEmbed.Storage.Keys;
using ImageEmbed.Tests;

namespace ImageEmbed.Storage.Tests;

/// <summary>
/// The data folder is the owner's alone whatever the umask: 0700, and every file the stores write 0600,
/// including SQLite's WAL and shared-memory files.
/// </summary>
public sealed class PrivateFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("imageembed-private-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(0x12)] // 022
    [InlineData(0)]
    public async Task Stores_UnderAnyUmask_MakeAFolderOnlyTheOwnerReads(int mask)
    {
        if (OperatingSystem.IsWindows()) return;
        string data = Path.Combine(_root, "data");
        using (ProcessUmask.Set(mask))
        {
            await using (EmbeddedStore store = await EmbeddedStore.OpenAsync(data))
            using (ContentCache cache = ContentCache.Open(data))
            using (JobStore jobs = JobStore.Open(data))
            {
                await store.CreateCollectionAsync("c", "m", 2).DefaultTimeout();
                await store.UpsertAsync("c", [new CollectionItem("a", [0.6f, 0.8f])]).DefaultTimeout();
                cache.PutEmbedding("space", new string('a', 64), [0.6f, 0.8f]);
                jobs.Create(null, "m", [new JobItemSpec("http://x.example/a.jpg", "a")]);
                ApiKeyFile.Create(data, "test");
                // Open, so the WAL and shared-memory files exist: they are written while the stores are.
                DataFolderModes.AssertPrivate(data, [EmbeddedStore.FileName + "-wal", EmbeddedStore.FileName + "-shm", ContentCache.FileName, JobStore.FileName, ApiKeyFile.FileName]);
            }
        }
        DataFolderModes.AssertPrivate(data, [EmbeddedStore.FileName]);
    }

    [Fact]
    public async Task Open_FolderAndFilesMadeLooser_AreTightened()
    {
        if (OperatingSystem.IsWindows()) return;
        string data = Path.Combine(_root, "old");
        await (await EmbeddedStore.OpenAsync(data)).DisposeAsync();
        // As an earlier version left them under umask 022.
        File.SetUnixFileMode(data, DataFolderModes.Folder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(Path.Combine(data, EmbeddedStore.FileName), DataFolderModes.File | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await (await EmbeddedStore.OpenAsync(data)).DisposeAsync();

        DataFolderModes.AssertPrivate(data, [EmbeddedStore.FileName]);
    }
}
