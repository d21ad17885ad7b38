using System.Diagnostics;

namespace ImageEmbed.Tests;

internal static class TestProcesses
{
    /// <summary>
    /// Gives a child process exactly the given <c>IMAGEEMBED_*</c> settings: whatever the test runner's own
    /// environment holds for ImageEmbed must not leak into the process under test.
    /// </summary>
    public static void SetEnvironment(ProcessStartInfo info, IReadOnlyDictionary<string, string> settings)
    {
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("IMAGEEMBED_", StringComparison.Ordinal)).ToArray())
            info.Environment.Remove(key);
        foreach ((string key, string value) in settings) info.Environment[key] = value;
    }
}
