namespace ImageEmbed.Models.Execution;

/// <summary>Where ONNX Runtime runs the models.</summary>
public enum ExecutionProvider
{
    /// <summary>The CPU: every build, every platform.</summary>
    Cpu,

    /// <summary>An NVIDIA GPU through CUDA: the GPU build (<c>-p:ImageEmbedGpu=true</c>, linux-x64) with CUDA 13 and cuDNN 9 on the host.</summary>
    Cuda,

    /// <summary>Apple's Core ML (Neural Engine/GPU) on macOS, which the standard package carries there.</summary>
    CoreMl,
}

/// <summary>The provider chosen at start, and why (logged once, so an operator sees what <c>auto</c> picked).</summary>
public sealed record ProviderChoice(ExecutionProvider Provider, string Reason);
