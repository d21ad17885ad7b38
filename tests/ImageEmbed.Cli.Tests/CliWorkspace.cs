using System.Diagnostics;
using ImageEmbed.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using ImageEmbed.Tests;

namespace ImageEmbed.Cli.Tests;

/// <summary>A temporary data folder (store, cache, keys) and scratch folder for CLI runs; deleted afterwards.</summary>
internal sealed class CliWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("imageembed-cli-").FullName;
    public string Data => Path.Combine(Root, "data");
    public Dictionary<string, string> Env => new() { ["IMAGEEMBED_DATA_DIR"] = Data };

    public string File(string name) => Path.Combine(Root, name);

    public Task<CliRunner.Result> RunAsync(params string[] args) => CliRunner.RunAsync(args, Env);

    public Task<CliRunner.Result> RunAsync(IDictionary<string, string> extraEnv, params string[] args)
    {
        var env = Env;
        foreach ((string k, string v) in extraEnv) env[k] = v;
        return CliRunner.RunAsync(args, env);
    }

    /// <summary>A folder under the workspace holding copies of <paramref name="files"/>.</summary>
    public string CopyInto(string folder, IEnumerable<string> files)
    {
        string dir = Path.Combine(Root, folder);
        Directory.CreateDirectory(dir);
        foreach (string f in files) System.IO.File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), overwrite: true);
        return dir;
    }

    /// <summary>Starts the CLI without waiting for it (output drained and discarded).</summary>
    public Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(TestPaths.CliDll);
        foreach (string a in args) info.ArgumentList.Add(a);
        TestProcesses.SetEnvironment(info, new Dictionary<string, string> { ["IMAGEEMBED_MODELS_DIR"] = TestPaths.ModelsDir, ["IMAGEEMBED_DATA_DIR"] = Data });
        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Items of a collection as committed in the embedded store's file (read by a second connection).</summary>
    public long CommittedCount(string collection)
    {
        string path = Path.Combine(Data, "collections.db");
        if (!System.IO.File.Exists(path)) return 0;
        try
        {
            using SqliteDatabase db = SqliteDatabase.Open(path);
            using SqliteStatement count = db.Prepare("SELECT count(*) FROM items WHERE collection = ?1");
            count.Bind(1, collection);
            return count.Step() ? count.GetInt64(0) : 0;
        }
        catch (SqliteException)
        {
            return 0; // the file is being created
        }
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
