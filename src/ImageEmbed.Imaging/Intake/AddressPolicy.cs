using System.Net;
using System.Net.Sockets;

namespace ImageEmbed.Imaging.Intake;

/// <summary>Which IP addresses an image URL may lead to.</summary>
public static class AddressPolicy
{
    /// <summary>
    /// True for globally routable unicast addresses. False for loopback, private (RFC 1918), shared
    /// (100.64/10), link-local (169.254/16 incl. cloud metadata 169.254.169.254, fe80::/10), multicast,
    /// unique-local (fc00::/7), unspecified, broadcast and reserved ranges. IPv4-mapped IPv6 addresses
    /// are judged by their IPv4 address.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return false;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return !(b[0] == 0                                   // "this network"
                || b[0] == 10                                     // private
                || (b[0] == 100 && (b[1] & 0xC0) == 64)           // shared address space (CGNAT)
                || b[0] == 127                                    // loopback
                || (b[0] == 169 && b[1] == 254)                   // link-local, cloud metadata
                || (b[0] == 172 && (b[1] & 0xF0) == 16)           // private
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)        // IETF protocol assignments
                || (b[0] == 192 && b[1] == 168)                   // private
                || (b[0] == 198 && (b[1] & 0xFE) == 18)           // benchmarking
                || b[0] >= 224);                                  // multicast, reserved, broadcast
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast) return false;
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            if ((b[0] & 0xFE) == 0xFC) return false;              // unique-local fc00::/7
            if (address.IsIPv6Teredo || (b[0] == 0x20 && b[1] == 0x02)) return false; // tunnels that embed IPv4 targets
            return true;
        }
        return false;
    }
}
