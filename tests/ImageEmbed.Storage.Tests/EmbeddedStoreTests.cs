using ImageEmbed.Storage.Embedded;

namespace ImageEmbed.Storage.Tests;

/// <summary>The shared contract over the embedded store: a real SQLite file in a temp folder.</summary>
public sealed class EmbeddedStoreTests : CollectionStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-store-").FullName;

    protected override async Task<ICollectionStore> OpenStoreAsync() => await EmbeddedStore.OpenAsync(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

/// <summary>The shared contract over the embedded store's int8 layout (exact re-scoring from the file).</summary>
public sealed class EmbeddedInt8StoreTests : CollectionStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-store-int8-").FullName;

    protected override async Task<ICollectionStore> OpenStoreAsync() => await EmbeddedStore.OpenAsync(_dir, int8: true);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
