using System.Net;
using System.Text.Json;

namespace ImageEmbed.Service.Tests;

internal static class ResponseAssert
{
    /// <summary>Asserts the status and the <c>{"error": reason, "message"}</c> shape; returns the message.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? messageContains = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        using JsonDocument doc = JsonDocument.Parse(body);
        Assert.Equal(["error", "message"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(ReasonPhrase(status), doc.RootElement.GetProperty("error").GetString());
        string message = doc.RootElement.GetProperty("message").GetString()!;
        if (messageContains is not null) Assert.Contains(messageContains, message, StringComparison.Ordinal);
        return message;
    }

    /// <summary>Asserts the status and the OpenAI envelope; returns the error object.</summary>
    public static async Task<JsonElement> OpenAiErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? param = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        JsonElement error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
        return error.Clone();
    }

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static string ReasonPhrase(HttpStatusCode status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase((int)status);
}
