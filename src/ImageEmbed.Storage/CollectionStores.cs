using ImageEmbed.Storage.Embedded;
using ImageEmbed.Storage.PgVector;

namespace ImageEmbed.Storage;

/// <summary>Opens the store that the <c>IMAGEEMBED_STORE</c> setting names; one rule for the service and the CLI.</summary>
public static class CollectionStores
{
    /// <param name="setting">Empty or <c>embedded</c>, <c>embedded-int8</c>, or a PostgreSQL connection string / URL.</param>
    /// <param name="dataDirectory">Where the embedded store keeps <c>collections.db</c>.</param>
    /// <param name="poolSize">PostgreSQL only: most connections to open (0: the connection string's, else Npgsql's default).</param>
    public static async Task<ICollectionStore> OpenAsync(string? setting, string dataDirectory, CancellationToken ct = default, int poolSize = 0)
    {
        if (string.IsNullOrWhiteSpace(setting) || setting == "embedded")
            return await EmbeddedStore.OpenAsync(dataDirectory, ct: ct).ConfigureAwait(false);
        if (setting == "embedded-int8")
            return await EmbeddedStore.OpenAsync(dataDirectory, int8: true, ct).ConfigureAwait(false);
        return await PgVectorStore.OpenAsync(setting, ct, poolSize).ConfigureAwait(false);
    }
}
