using System.Runtime.InteropServices;

namespace ImageEmbed.Tests;

/// <summary>The process umask (libc), for tests that check the modes of the files the product creates.</summary>
internal static class ProcessUmask
{
    /// <summary>Sets the umask until the returned scope is disposed. Child processes started meanwhile inherit it.</summary>
    public static IDisposable Set(int mask)
    {
        uint previous = umask((uint)mask);
        return new Restore(previous);
    }

    private sealed class Restore(uint previous) : IDisposable
    {
        public void Dispose() => umask(previous);
    }

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe blocks in every test project; DllImport of one uint does not.
    [DllImport("libc", SetLastError = false)]
    private static extern uint umask(uint mask);
#pragma warning restore SYSLIB1054
}
