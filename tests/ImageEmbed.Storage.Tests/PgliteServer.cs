using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ImageEmbed.Tests;

namespace ImageEmbed.Storage.Tests;

/// <summary>
/// A real PostgreSQL with pgvector for the tests: PGlite (Postgres compiled to WebAssembly) served on a
/// loopback port by <c>pglite-server</c> from npm, in memory, one per test class. The npm packages are
/// installed on first use into <c>.native/pglite</c> (<see cref="NpmPackages"/>).
/// <c>Pglite/pglite-preload.mjs</c> is loaded into the server: it exits with the test process, and
/// works around a pglite-socket 0.0.20 bug that crashes PGlite on large messages. Set
/// <c>IMAGEEMBED_TEST_PGVECTOR</c> to a connection string to run the same tests against another server.
/// </summary>
/// <remarks>
/// What PGlite needs from a client, found by trying (Npgsql 10, PGlite 0.3.15, pglite-socket 0.0.20):
/// <list type="bullet">
/// <item>pglite-socket hands each TCP read to PGlite as is; a protocol message split across reads
/// (any upsert over 64 KB, smaller ones by chance) kills the server with "RuntimeError: unreachable".
/// The preload reassembles messages first.</item>
/// <item>It serves one connection at a time: a second one is accepted but left unanswered until the
/// first closes (pglite-socket's connection queue). So the pool is one connection
/// (<c>Maximum Pool Size=1</c>), the store never holds two at once, and concurrent callers wait on the
/// Npgsql pool; <c>Timeout</c> bounds that wait, so it is generous.</item>
/// <item>Every connection drives the same single backend, so session state outlives a connection.
/// Npgsql's reset of a pooled connection (<c>DISCARD ALL</c>) resets PGlite's search_path to
/// <c>pg_catalog</c>, after which tables land in, and are looked up in, the wrong schema ("type
/// vector does not exist"): hence <c>No Reset On Close=true</c>. The store itself only uses SET LOCAL.</item>
/// <item>It answers the SSL request with an authentication message, which Npgsql rejects
/// ("Received unknown response R for SSLRequest"): hence <c>SSL Mode=Disable</c>.</item>
/// <item>Cancelling a running command takes <c>Timeout</c> seconds: Npgsql sends the cancel request on
/// a new connection, which PGlite queues behind the one it should cancel. The command then fails with
/// OperationCanceledException and the connection stays usable.</item>
/// <item>It takes any user name and password; the database is always <c>template1</c> whatever the
/// connection string names.</item>
/// </list>
/// </remarks>
public class PgliteServerFixture : IAsyncLifetime
{
    public const string ExternalServerVariable = "IMAGEEMBED_TEST_PGVECTOR";

    private const string PglitePackage = "@electric-sql/pglite@0.3.15";
    private const string SocketPackage = "@electric-sql/pglite-socket@0.0.20";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private Process? _server;
    private readonly StringBuilder _output = new();

    /// <summary>An Npgsql connection string for the server, with the settings PGlite needs.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The loopback port PGlite listens on (0 for an external server).</summary>
    public int Port { get; private set; }

    /// <summary>How long installing (when needed) and starting the server took.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>Whether the server is PGlite (false with <see cref="ExternalServerVariable"/>).</summary>
    public bool IsPglite => _server is not null;

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(ExternalServerVariable) is { Length: > 0 } external)
        {
            ConnectionString = external;
            return;
        }

        var clock = Stopwatch.StartNew();
        Port = await StartServerAsync(port: 0).ConfigureAwait(false);
        ConnectionString = $"Host=127.0.0.1;Port={Port};Username=postgres;Password=postgres;Database=postgres;" +
                           "Maximum Pool Size=1;Timeout=60;No Reset On Close=true;SSL Mode=Disable";
        StartTime = clock.Elapsed;
    }

    /// <summary>Where PGlite keeps the database: in memory unless a subclass gives a folder (which survives a restart).</summary>
    protected virtual string Database => "memory://";

    /// <summary>Stops the server as an administrator would (SIGTERM: sessions end, the database is closed).</summary>
    public async Task StopAsync()
    {
        if (_server is null) throw new InvalidOperationException("Only a PGlite server started by the tests can be stopped.");
        if (!_server.HasExited)
        {
            using (Process kill = Process.Start("kill", ["-TERM", _server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync().ConfigureAwait(false);
            await _server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        }
        _server.Dispose();
        _server = null;
    }

    /// <summary>Starts the server again on the same port, on the same database (keep it with a folder <see cref="Database"/>).</summary>
    public async Task RestartAsync()
    {
        if (_server is not null) throw new InvalidOperationException("Stop the server first.");
        await StartServerAsync(Port).ConfigureAwait(false);
    }

    private async Task<int> StartServerAsync(int port)
    {
        string node = NpmPackages.FindOnPath("node") ?? throw new InvalidOperationException(
            $"The pgvector tests run PostgreSQL as PGlite under Node.js, and 'node' is not on PATH. Install Node.js and npm " +
            $"(apt-get install nodejs npm), or set {ExternalServerVariable} to a PostgreSQL server with pgvector.");
        string dir = await NpmPackages.InstallAsync("pglite", [PglitePackage, SocketPackage],
            $"The pgvector tests (or set {ExternalServerVariable} to a PostgreSQL server with pgvector)").ConfigureAwait(false);
        string socketDist = Path.Combine(dir, "node_modules", "@electric-sql", "pglite-socket", "dist");
        // Exits with this process, and reassembles protocol messages split across TCP reads (see the file).
        string preload = Path.Combine(TestPaths.RepoRoot, "tests", "ImageEmbed.Storage.Tests", "Pglite", "pglite-preload.mjs");

        var start = new ProcessStartInfo(node)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
            Environment = { ["IMAGEEMBED_PGLITE_SOCKET_MODULE"] = Path.Combine(socketDist, "index.js") },
        };
        // Port 0: the OS picks a free port and the server prints it, so there is no race for one.
        foreach (string arg in new[] { "--import", new Uri(preload).AbsoluteUri, Path.Combine(socketDist, "scripts", "server.js"), "--extensions=vector", "--host=127.0.0.1",
                     $"--port={port}", $"--db={Database}" })
            start.ArgumentList.Add(arg);

        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = new Process { StartInfo = start, EnableRaisingEvents = true };
        server.OutputDataReceived += (_, e) => OnOutput(e.Data, listening);
        server.ErrorDataReceived += (_, e) => OnOutput(e.Data, listening);
        server.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"pglite-server exited before listening:\n{Output}"));
        server.Start();
        _server = server;
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();

        int listeningPort;
        try
        {
            listeningPort = await listening.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"pglite-server did not start listening within {StartTimeout.TotalSeconds} s:\n{Output}");
        }
        await WaitForPortAsync(listeningPort).ConfigureAwait(false);
        return listeningPort;
    }

    private string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Fails with the server's own output when PGlite has died (a WebAssembly abort ends the process).</summary>
    public void EnsureRunning()
    {
        if (_server is { HasExited: true })
            throw new InvalidOperationException($"pglite-server has exited (code {_server.ExitCode}); its output:\n{Output}");
    }

    private void OnOutput(string? line, TaskCompletionSource<int> listening)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        // "PGLiteSocketServer listening on {"port":39305,"host":"127.0.0.1"}"
        Match m = Regex.Match(line, "listening on .*\"port\":(\\d+)");
        if (m.Success) listening.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task WaitForPortAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port).ConfigureAwait(false);
                return; // closing the probe at once frees the server's one connection slot
            }
            catch (SocketException) when (deadline.Elapsed < StartTimeout)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }
    }

    public virtual async Task DisposeAsync()
    {
        if (_server is null) return;
        try
        {
            if (!_server.HasExited)
            {
                _server.Kill(entireProcessTree: true);
                await _server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        _server.Dispose();
    }
}

/// <summary>A PGlite server whose database lives in a folder, so it survives <see cref="PgliteServerFixture.StopAsync"/> and a restart.</summary>
public sealed class PersistentPgliteServerFixture : PgliteServerFixture
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imageembed-pglite-").FullName;

    protected override string Database => Path.Combine(_folder, "db");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(_folder, recursive: true);
    }
}
