using System.Net;
using System.Net.Sockets;

namespace ImageEmbed.Imaging.Intake;

/// <summary>Which IP addresses an image URL may lead to.</summary>
public static class AddressPolicy
{
    /// <summary>
    /// True for globally routable unicast addresses. False for loopback, private (RFC 1918), shared
    /// (100.64/10), link-local (169.254/16 incl. cloud metadata 169.254.169.254, fe80::/10), multicast,
    /// unique-local (fc00::/7), unspecified, broadcast and reserved ranges. IPv6 forms that carry an IPv4
    /// address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, IPv4-translated ::ffff:0:0:0/96, NAT64
    /// 64:ff9b::/96) are judged by that IPv4 address; the local-use NAT64 prefix 64:ff9b:1::/48, 6to4,
    /// Teredo and the rest of 2001::/23, documentation prefixes and everything outside 2000::/3 are refused.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && EmbeddedIPv4(address) is { } v4) address = v4;
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
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            if ((b[0] & 0xE0) != 0x20) return false;                                   // not global unicast 2000::/3
            if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xFE) == 0) return false;     // 2001::/23 IETF special (Teredo 2001::/32 too)
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return false; // 2001:db8::/32 documentation
            if (b[0] == 0x20 && b[1] == 0x02) return false;                            // 6to4 2002::/16: a tunnel to an IPv4 target
            if (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0) return false;     // 3fff::/20 documentation
            return true;
        }
        return false;
    }

    /// <summary>The IPv4 address an IPv6 address stands for, where the form says so; null otherwise.</summary>
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        ReadOnlySpan<byte> prefix = b[..12];
        bool compatible = !prefix.ContainsAnyExcept((byte)0);                                          // ::a.b.c.d (and ::, ::1)
        bool mapped = !prefix[..10].ContainsAnyExcept((byte)0) && prefix[10] == 0xFF && prefix[11] == 0xFF; // ::ffff:a.b.c.d
        bool translated = !prefix[..8].ContainsAnyExcept((byte)0) && prefix[8] == 0xFF && prefix[9] == 0xFF && prefix[10] == 0 && prefix[11] == 0; // ::ffff:0:a.b.c.d
        bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && !prefix[4..].ContainsAnyExcept((byte)0); // 64:ff9b::a.b.c.d
        return compatible || mapped || translated || nat64 ? new IPAddress(b[12..]) : null;
    }
}
