using System.Runtime.InteropServices;

namespace ImageEmbed.Native.Onnx;

/// <summary>The one place an <c>OrtStatus*</c> is inspected and released.</summary>
internal static unsafe class OrtStatus
{
    /// <summary>Throws <see cref="OrtException"/> when <paramref name="status"/> is not NULL; always releases it.</summary>
    public static void Check(nint status)
    {
        if (status == 0) return;
        OrtApi* api = OrtRuntime.Api;
        try
        {
            OrtErrorCode code = api->GetErrorCode(status);
            string message = Marshal.PtrToStringUTF8((nint)api->GetErrorMessage(status)) ?? "(no message)";
            throw new OrtException(code, message);
        }
        finally
        {
            api->ReleaseStatus(status);
        }
    }
}
