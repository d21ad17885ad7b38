using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using ImageEmbed.Service.Auth;
using ImageEmbed.Service.Errors;

namespace ImageEmbed.Service.Limits;

/// <summary>Per-API-key request rate limits (token bucket), answering 429 with Retry-After in the route's error shape.</summary>
internal static class RateLimiting
{
    public static IServiceCollection AddPerKeyRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<ServiceOptions>((limiter, options) =>
        {
            int perMinute = options.RateLimitPerMinute;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                perMinute == 0 || context.Items[ApiKeyMiddleware.KeyTagItem] is not string tag
                    ? RateLimitPartition.GetNoLimiter("unlimited")
                    : RateLimitPartition.GetTokenBucketLimiter(tag, _ => new TokenBucketRateLimiterOptions
                    {
                        // A full minute's allowance may be spent at once; it refills one token at a time.
                        TokenLimit = perMinute,
                        TokensPerPeriod = 1,
                        ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = (rejected, _) =>
            {
                // The bucket knows when its next token comes: say that, not a guess.
                TimeSpan wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan next) ? next : TimeSpan.FromMinutes(1) / perMinute;
                int seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                return new ValueTask(ErrorWriter.WriteAsync(rejected.HttpContext, new ApiError(429,
                    $"Rate limit exceeded: {perMinute} requests per minute per API key (IMAGEEMBED_RATE_LIMIT_PER_MINUTE). Retry in {seconds} s.", "rate_limit_error", "rate_limit_exceeded", RetryAfter: wait)));
            };
        });
        return services;
    }
}
