using System.Net;
using ImageEmbed.Imaging.Intake;

namespace ImageEmbed.Imaging.Tests;

/// <summary>Which addresses an image URL may reach, judged before any connection.</summary>
public sealed class AddressPolicyTests
{
    [Theory]
    // IPv4
    [InlineData("8.8.8.8", true)]
    [InlineData("93.184.216.34", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    // IPv6 global unicast
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("2a00:1450:4001:81b::200e", true)]
    // IPv6 special ranges
    [InlineData("::", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fec0::1", false)]
    [InlineData("fc00::1", false)]
    [InlineData("fd12:3456::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("100::1", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("3fff::1", false)]
    [InlineData("2001:2::1", false)]
    // IPv6 forms that carry an IPv4 address: judged by it
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("::127.0.0.1", false)]
    [InlineData("::169.254.169.254", false)]
    [InlineData("::8.8.8.8", true)]
    [InlineData("::ffff:0:127.0.0.1", false)]
    [InlineData("64:ff9b::7f00:1", false)]
    [InlineData("64:ff9b::a9fe:a9fe", false)]
    [InlineData("64:ff9b::808:808", true)]
    // Local-use NAT64, 6to4 and Teredo: refused whatever they carry
    [InlineData("64:ff9b:1::808:808", false)]
    [InlineData("64:ff9b:1::7f00:1", false)]
    [InlineData("2002:7f00:1::1", false)]
    [InlineData("2002:808:808::1", false)]
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2", false)]
    public void IsPublic_AddressTable(string address, bool expected) =>
        Assert.Equal(expected, AddressPolicy.IsPublic(IPAddress.Parse(address)));
}
