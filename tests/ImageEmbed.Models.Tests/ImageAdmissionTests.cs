using ImageEmbed.Models.Batching;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

/// <summary><see cref="ImageAdmission"/>: all of a request's images are admitted, or none, at once.</summary>
public sealed class ImageAdmissionTests
{
    private static ImageAdmission Create(int capacity) => new(capacity, images => TimeSpan.FromSeconds(images * 2));

    [Fact]
    public void Admit_WhatFits_AndRefusesWholeWhatDoesNot_WithTheWaitForRoom()
    {
        ImageAdmission admission = Create(10);
        using ImageAdmission.Lease seven = admission.Admit(7);
        Assert.Equal(7, admission.InFlight);

        var refused = Assert.Throws<OverloadedException>(() => admission.Admit(5));
        // Room for 5 comes once 2 of the 7 have finished: 2 images at 2 s each.
        Assert.Equal("7 images are in progress and this request adds 5 (Models:QueueCapacity = 10); retry in about 4 s.", refused.Message);
        Assert.Equal(TimeSpan.FromSeconds(4), refused.RetryAfter);
        Assert.Equal(7, admission.InFlight); // nothing of the refused request was taken

        using ImageAdmission.Lease three = admission.Admit(3);
        Assert.Throws<OverloadedException>(admission.ThrowIfFull);
        seven.Dispose();
        seven.Dispose(); // once only
        Assert.Equal(3, admission.InFlight);
        admission.ThrowIfFull();
    }

    [Fact]
    public void Admit_MoreThanTheCapacity_RunsAlone_NeverRefusedForGood()
    {
        ImageAdmission admission = Create(4);
        using (admission.Admit(1))
            Assert.Throws<OverloadedException>(() => admission.Admit(9));
        using ImageAdmission.Lease alone = admission.Admit(9);
        Assert.Equal(9, admission.InFlight);
        Assert.Throws<OverloadedException>(() => admission.Admit(1));
    }

    [Fact]
    public async Task AdmitAsync_WaitsForRoom_InsteadOfRefusing()
    {
        ImageAdmission admission = Create(2);
        ImageAdmission.Lease both = admission.Admit(2);
        Task<ImageAdmission.Lease> waiting = admission.AdmitAsync(1, CancellationToken.None);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);

        both.Dispose();
        using ImageAdmission.Lease admitted = await waiting.DefaultTimeout();
        Assert.Equal(1, admission.InFlight);

        using var cancel = new CancellationTokenSource();
        using ImageAdmission.Lease rest = admission.Admit(1);
        Task<ImageAdmission.Lease> cancelled = admission.AdmitAsync(1, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled).DefaultTimeout();
        Assert.Equal(2, admission.InFlight);
    }
}
