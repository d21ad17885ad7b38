using System.Security.Cryptography;

namespace ImageEmbed.Models.Catalog;

/// <summary>A model download failed; the message says why and how to install the model by hand.</summary>
public sealed class ModelDownloadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Progress of a pull: the file being fetched and byte counts over the whole model.</summary>
public readonly record struct PullProgress(string File, long BytesDone, long BytesTotal);

/// <summary>
/// Installs a catalog model: downloads its files into <c>.staging/NAME</c> under the models folder,
/// resuming partial files with HTTP range requests, checks every size and sha256, writes the
/// manifest, and only then moves the folder into place, so a model is either fully installed or absent.
/// </summary>
public sealed class ModelPuller(HttpClient http, string modelsDirectory, string? mirror = null)
{
    public const string DefaultOrigin = "https://huggingface.co";

    /// <summary>Pulls <paramref name="manifest"/>. A model already installed is left alone unless <paramref name="force"/>.</summary>
    /// <param name="complete">
    /// Called with the staging folder once every file is there and verified; returns the manifest to install
    /// (a model imported from a repository learns its tensor names from the graphs). An exception from it
    /// installs nothing, and the downloaded files stay staged for the next try.
    /// </param>
    /// <returns>The installed folder.</returns>
    /// <exception cref="ModelDownloadException">Unreachable, refused, or a file did not match its checksum.</exception>
    public async Task<string> PullAsync(ModelManifest manifest, bool force, IProgress<PullProgress>? progress, CancellationToken ct,
        Func<string, ModelManifest>? complete = null)
    {
        if (manifest.Downloads.Count == 0)
            throw new ModelDownloadException($"Model '{manifest.Name}' has no files to download: it is built here ('imageembed models pull {manifest.Name}' knows how).");
        string target = Path.Combine(modelsDirectory, manifest.Name);
        if (Directory.Exists(target) && !force)
            throw new ModelDownloadException($"Model '{manifest.Name}' is already installed in {target}. Use --force to download it again.");

        string staging = ModelFolders.Staging(modelsDirectory, manifest.Name);
        Directory.CreateDirectory(staging);
        long total = manifest.Downloads.Sum(d => d.Size);
        long before = 0;
        foreach (DownloadSpec file in manifest.Downloads)
        {
            await FetchFileAsync(manifest.Name, file, Path.Combine(staging, file.Path), before, total, progress, ct).ConfigureAwait(false);
            before += file.Size;
        }
        ModelFolders.WriteManifest(staging, complete?.Invoke(staging) ?? manifest);
        return ModelFolders.Publish(staging, modelsDirectory, manifest.Name);
    }

    /// <summary>The URL a hub URL is fetched from: under <c>IMAGEEMBED_MODEL_MIRROR</c> when one is set.</summary>
    public string Mirrored(string url) => mirror is null ? url : url.Replace(DefaultOrigin, mirror.TrimEnd('/'), StringComparison.Ordinal);

    private async Task FetchFileAsync(string model, DownloadSpec file, string path, long before, long total, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        long have = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (have > file.Size) { File.Delete(path); have = 0; }
        string url = Mirrored(file.Url);

        if (have < file.Size)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (have > 0) request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(have, null);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ModelDownloadException(Unreachable(model, url, e.Message), e);
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                    throw new ModelDownloadException(Unreachable(model, url, $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}"));
                // 200 to a range request means the server ignored it: start the file again.
                bool append = have > 0 && response.StatusCode == System.Net.HttpStatusCode.PartialContent;
                if (!append) have = 0;
                await using FileStream output = new(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                byte[] buffer = new byte[1 << 16];
                int read;
                try
                {
                    while ((read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    {
                        if (have + read > file.Size)
                            throw new ModelDownloadException($"Model '{model}': {file.Path} is longer than the catalog's {file.Size:N0} bytes; refused.");
                        await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                        have += read;
                        progress?.Report(new PullProgress(file.Path, before + have, total));
                    }
                }
                catch (IOException e)
                {
                    // The partial file stays in .staging: the next pull resumes from here.
                    throw new ModelDownloadException($"Model '{model}': the download of {file.Path} broke off at {have:N0} of {file.Size:N0} bytes ({e.Message}). Run the pull again to resume.", e);
                }
            }
            if (have != file.Size)
                throw new ModelDownloadException($"Model '{model}': the download of {file.Path} ended at {have:N0} of {file.Size:N0} bytes. Run the pull again to resume.");
        }

        progress?.Report(new PullProgress(file.Path, before + file.Size, total));
        string actual;
        await using (FileStream stream = File.OpenRead(path))
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
        if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(path);
            throw new ModelDownloadException($"Model '{model}': {file.Path} has sha256 {actual}, the catalog says {file.Sha256}. The file was discarded; nothing was installed.");
        }
    }

    private string Unreachable(string model, string url, string why) =>
        $"Could not download model '{model}' from {url}: {why}. If this machine is offline or the host is blocked, install it by hand: " +
        $"fetch the files that 'imageembed models info {model}' lists (downloads), put them under {Path.Combine(modelsDirectory, model)}/ with their paths, " +
        $"and write that manifest there as {ModelRegistry.ManifestFileName}; or set IMAGEEMBED_MODEL_MIRROR to a mirror of {DefaultOrigin}.";
}
