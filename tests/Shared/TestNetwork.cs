using System.Net;
using System.Net.Sockets;

namespace ImageEmbed.Tests;

internal static class TestNetwork
{
    /// <summary>A loopback port that was free a moment ago (for servers that must be given a port up front).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
