namespace ImageEmbed.Tests;

/// <summary>Every await in a test gets a deadline, so a hang fails the test instead of stalling the run.</summary>
internal static class TaskTimeoutExtensions
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Timeout);
    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Timeout);
}
