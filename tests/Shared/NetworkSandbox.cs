using System.Diagnostics;

namespace ImageEmbed.Tests;

/// <summary>
/// A network namespace the test makes for itself (<c>ip netns</c>) with only its own loopback up: a process
/// started in it cannot reach any address outside the machine, whatever it tries. Host names it resolves
/// come from <paramref name="hosts"/> (<c>ip netns exec</c> mounts <c>/etc/netns/NAME/hosts</c> over
/// <c>/etc/hosts</c>). Disposing deletes the namespace and that file. Needs root, as CI and developers have.
/// </summary>
internal sealed class NetworkSandbox : IDisposable
{
    private readonly string _etc;

    private NetworkSandbox(string name, string etc)
    {
        Name = name;
        _etc = etc;
    }

    public string Name { get; }

    /// <param name="hosts">Lines for the namespace's <c>/etc/hosts</c>, e.g. <c>169.254.169.254 metadata.example.com</c>.</param>
    public static NetworkSandbox Create(params string[] hosts)
    {
        string name = "ie-test-" + Guid.NewGuid().ToString("N")[..10];
        string etc = Path.Combine("/etc/netns", name);
        Directory.CreateDirectory(etc);
        File.WriteAllLines(Path.Combine(etc, "hosts"), ["127.0.0.1 localhost", "::1 localhost", .. hosts]);
        var sandbox = new NetworkSandbox(name, etc);
        try
        {
            Run("ip", "netns", "add", name);
            Run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
            return sandbox;
        }
        catch
        {
            sandbox.Dispose();
            throw;
        }
    }

    /// <summary>Makes <paramref name="info"/> start its program inside the namespace.</summary>
    public ProcessStartInfo Enter(ProcessStartInfo info)
    {
        var wrapped = new ProcessStartInfo("ip") { RedirectStandardOutput = info.RedirectStandardOutput, RedirectStandardError = info.RedirectStandardError };
        foreach (string a in new[] { "netns", "exec", Name, info.FileName }.Concat(info.ArgumentList)) wrapped.ArgumentList.Add(a);
        foreach ((string key, string? value) in info.Environment) wrapped.Environment[key] = value;
        return wrapped;
    }

    public void Dispose()
    {
        try
        {
            Run("ip", "netns", "delete", Name);
        }
        catch (InvalidOperationException)
        {
            // Never created (Create failed part-way): nothing to delete.
        }
        Directory.Delete(_etc, recursive: true);
    }

    private static void Run(string program, params string[] args)
    {
        using Process process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {errors.Trim()}");
    }
}
