using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Service.Auth;

/// <summary>Endpoint metadata: the <see cref="KeyScope"/> a key needs for this route. Every API route declares one.</summary>
internal sealed record RequiredScope(KeyScope Scope);

internal static class RequiredScopeExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, KeyScope scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredScope(scope));
}
