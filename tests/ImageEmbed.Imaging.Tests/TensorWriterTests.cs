using ImageEmbed.Imaging.Preprocess;

namespace ImageEmbed.Imaging.Tests;

public sealed class TensorWriterTests
{
    // A 2x1 image: pixel 0 = (0, 128, 255), pixel 1 = (10, 20, 30).
    private static readonly byte[] Rgb = [0, 128, 255, 10, 20, 30];

    [Fact]
    public void Write_NhwcScaleOnly_DividesBy255InPlaceOrder()
    {
        var recipe = new ImagePreprocessing { Width = 2, Height = 1 };
        float[] tensor = new float[6];

        TensorWriter.Write(Rgb, recipe, tensor);

        Assert.Equal([0f, 128 / 255f, 1f, 10 / 255f, 20 / 255f, 30 / 255f], tensor, new ToleranceComparer(1e-7f));
    }

    [Fact]
    public void Write_NchwWithClipMeanStd_DeinterleavesAndNormalizes()
    {
        float[] mean = [0.48145466f, 0.4578275f, 0.40821073f];
        float[] std = [0.26862954f, 0.26130258f, 0.27577711f];
        var recipe = new ImagePreprocessing { Width = 2, Height = 1, Layout = TensorLayout.Nchw, Mean = mean, Std = std };
        float[] tensor = new float[6];

        TensorWriter.Write(Rgb, recipe, tensor);

        float Expected(byte v, int c) => (v / 255f - mean[c]) / std[c];
        Assert.Equal([Expected(0, 0), Expected(10, 0), Expected(128, 1), Expected(20, 1), Expected(255, 2), Expected(30, 2)], tensor, new ToleranceComparer(1e-5f));
    }

    [Fact]
    public void Write_NhwcPerChannelMean_AppliesEachChannelsOwn()
    {
        var recipe = new ImagePreprocessing { Width = 2, Height = 1, Scale = 1f, Mean = [1f, 2f, 3f], Std = [1f, 2f, 5f] };
        float[] tensor = new float[6];

        TensorWriter.Write(Rgb, recipe, tensor);

        Assert.Equal([-1f, 63f, 50.4f, 9f, 9f, 5.4f], tensor, new ToleranceComparer(1e-4f));
    }

    [Fact]
    public void Write_ShortBuffers_Throw()
    {
        var recipe = new ImagePreprocessing { Width = 2, Height = 1 };
        Assert.Throws<ArgumentException>(() => TensorWriter.Write(Rgb.AsSpan(0, 3), recipe, new float[6]));
        Assert.Throws<ArgumentException>(() => TensorWriter.Write(Rgb, recipe, new float[5]));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
