using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.ModelTools.Import;

/// <summary>
/// <c>models pull mobilenet-v2-140</c>: downloads the npm tarball of <c>nsfwjs@4.3.0</c> over HTTPS (no npm
/// needed), checks it against the registry's published sha512 integrity, unpacks only the MobileNetV2 graph
/// model's files, and installs them through <see cref="TfjsModelInstaller"/>.
/// </summary>
public static class NsfwjsPackage
{
    public const string DefaultRegistry = "https://registry.npmjs.org";

    /// <summary><c>dist.integrity</c> of nsfwjs@4.3.0 as the npm registry publishes it (<c>npm view nsfwjs@4.3.0 dist.integrity</c>).</summary>
    public const string Integrity = "sha512-WTKDte0vp1X97N1h34P79G/hG+sVT3+TnDz9di1WseIJR93v11E4viNX7Vg9WsO6HYoR772Nzq2iM8jo3XBZ+g==";

    private const string TarballPath = "/nsfwjs/-/nsfwjs-4.3.0.tgz";
    private const string ModelFolder = "package/dist/models/mobilenet_v2_mid/";
    private const long MaxTarballBytes = 64L << 20; // the real one is ~25 MB

    /// <exception cref="ModelDownloadException">Unreachable, refused, too large, or not the pinned tarball.</exception>
    /// <exception cref="ModelLoadException">Installed already and <paramref name="force"/> is false.</exception>
    public static async Task<InstalledModel> PullMobileNetAsync(HttpClient http, string modelsDirectory, string? registry, bool force, CancellationToken ct)
    {
        string url = (string.IsNullOrEmpty(registry) ? DefaultRegistry : registry).TrimEnd('/') + TarballPath;
        byte[] tarball = await DownloadAsync(http, url, ct).ConfigureAwait(false);
        string actual = "sha512-" + Convert.ToBase64String(SHA512.HashData(tarball));
        if (actual != Integrity)
            throw new ModelDownloadException($"{url} is not nsfwjs@4.3.0 as published: its integrity is {actual}, expected {Integrity}. Nothing was installed.");

        string unpacked = Directory.CreateTempSubdirectory("imageembed-nsfwjs-").FullName;
        try
        {
            await ExtractModelAsync(tarball, unpacked, ct).ConfigureAwait(false);
            return TfjsModelInstaller.Install(unpacked, ModelCatalog.MobileNetV2_140.Name, modelsDirectory, force);
        }
        finally
        {
            Directory.Delete(unpacked, recursive: true);
        }
    }

    private static async Task<byte[]> DownloadAsync(HttpClient http, string url, CancellationToken ct)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new ModelDownloadException($"Could not download {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}. IMAGEEMBED_NPM_REGISTRY points at another registry.");
            await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[1 << 16];
            int read;
            while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxTarballBytes)
                    throw new ModelDownloadException($"{url} is larger than {MaxTarballBytes >> 20} MB; that is not the nsfwjs tarball. Nothing was installed.");
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        catch (HttpRequestException e)
        {
            throw new ModelDownloadException($"Could not download {url}: {e.Message}. If this machine is offline, set IMAGEEMBED_NPM_REGISTRY to a registry it reaches, or run 'imageembed models import-tfjs DIR --name mobilenet-v2-140' on the unpacked package's {ModelFolder}.", e);
        }
    }

    /// <summary>Writes the regular files directly in <see cref="ModelFolder"/> into <paramref name="destination"/>; nothing else of the package.</summary>
    private static async Task ExtractModelAsync(byte[] tarball, string destination, CancellationToken ct)
    {
        await using var gzip = new GZipStream(new MemoryStream(tarball), CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        int files = 0;
        while (await tar.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !entry.Name.StartsWith(ModelFolder, StringComparison.Ordinal)) continue;
            string name = entry.Name[ModelFolder.Length..];
            if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || name is "." or "..") continue;
            await entry.ExtractToFileAsync(Path.Combine(destination, name), overwrite: false, ct).ConfigureAwait(false);
            files++;
        }
        if (files == 0) throw new ModelDownloadException($"The nsfwjs tarball holds no {ModelFolder}; nothing was installed.");
    }
}
