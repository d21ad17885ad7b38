namespace ImageEmbed.Service.Tests;

/// <summary>The service with private URLs allowed (so it can fetch from the loopback image server) and an image server.</summary>
public sealed class OpenServiceFixture : IAsyncLifetime
{
    public ServiceServer Service { get; private set; } = null!;
    public TestImageServer Images { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Images = await TestImageServer.StartAsync();
        Service = await ServiceServer.StartAsync(new Dictionary<string, string?>
        {
            ["Imaging:AllowPrivateUrls"] = "true",
            ["Imaging:FetchTimeoutMs"] = "10000", // generous: the loopback server shares 2 busy cores with every test project
            ["Imaging:MaxBytes"] = "8000000",
        });
    }

    public async Task DisposeAsync()
    {
        await Service.DisposeAsync();
        await Images.DisposeAsync();
    }
}
