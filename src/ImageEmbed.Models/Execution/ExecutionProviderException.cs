namespace ImageEmbed.Models.Execution;

/// <summary>
/// The execution provider the settings ask for cannot run here (e.g. <c>cuda</c> on a CPU build or a host
/// without a GPU). Raised at start; the message names the provider, what is missing and the setting to change.
/// </summary>
public sealed class ExecutionProviderException(string message, Exception? inner = null) : Exception(message, inner);
