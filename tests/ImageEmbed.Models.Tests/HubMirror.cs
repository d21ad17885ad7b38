using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;

namespace ImageEmbed.Tests;

/// <summary>
/// A loopback server laid out like the Hugging Face hub (a fake: the hub cannot be reached from here), for
/// <c>IMAGEEMBED_MODEL_MIRROR</c>: <c>/api/models/OWNER/REPO/revision/REV</c> answers the commit and the files
/// (ONNX files as LFS, with size and sha256; the rest with their size only), and
/// <c>/OWNER/REPO/resolve/COMMIT/PATH</c> serves a file, honouring Range. Unknown repositories, revisions and
/// paths answer 404.
/// </summary>
internal sealed class HubMirror : IDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, Dictionary<string, byte[]>> _repositories = new(StringComparer.Ordinal);

    public HubMirror()
    {
        Url = $"http://127.0.0.1:{TestNetwork.FreePort()}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _ = ServeAsync();
    }

    public string Url { get; }

    /// <summary>Paths requested, in order (the API call included).</summary>
    public List<string> Requests { get; } = [];

    public void Add(string repository, Dictionary<string, byte[]> files) => _repositories[repository] = files;

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            try
            {
                Serve(context);
            }
            catch (HttpListenerException)
            {
            }
        }
    }

    private void Serve(HttpListenerContext context)
    {
        string path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath);
        lock (Requests) Requests.Add(path);
        string[] parts = path.Trim('/').Split('/');
        // /api/models/OWNER/REPO/revision/REV
        if (parts is ["api", "models", string owner, string name, "revision", string revision] && Repository(owner, name) is { } files && revision is "main" or Commit)
        {
            var siblings = files.Select(f => f.Key.EndsWith(".onnx", StringComparison.Ordinal)
                ? (object)new { rfilename = f.Key, size = f.Value.Length, lfs = new { sha256 = Convert.ToHexStringLower(SHA256.HashData(f.Value)), size = f.Value.Length, pointerSize = 134 } }
                : new { rfilename = f.Key, size = f.Value.Length });
            Write(context, JsonSerializer.SerializeToUtf8Bytes(new { id = $"{owner}/{name}", sha = Commit, siblings, cardData = new { license = "apache-2.0" } }), 0);
            return;
        }
        // /OWNER/REPO/resolve/COMMIT/PATH...
        if (parts.Length >= 5 && parts[2] == "resolve" && parts[3] == Commit && Repository(parts[0], parts[1]) is { } repo
            && repo.TryGetValue(string.Join('/', parts[4..]), out byte[]? file))
        {
            int from = 0;
            if (context.Request.Headers["Range"] is string range)
            {
                from = int.Parse(range["bytes=".Length..range.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                context.Response.StatusCode = 206;
                context.Response.AddHeader("Content-Range", $"bytes {from}-{file.Length - 1}/{file.Length}");
            }
            Write(context, file, from);
            return;
        }
        context.Response.StatusCode = 404;
        context.Response.Close();
    }

    private Dictionary<string, byte[]>? Repository(string owner, string name) => _repositories.GetValueOrDefault($"{owner}/{name}");

    private static void Write(HttpListenerContext context, byte[] body, int from)
    {
        context.Response.ContentLength64 = body.Length - from;
        context.Response.OutputStream.Write(body, from, body.Length - from);
        context.Response.Close();
    }

    public void Dispose() => _listener.Close();
}
