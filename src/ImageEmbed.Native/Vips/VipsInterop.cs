using System.Runtime.InteropServices;

namespace ImageEmbed.Native.Vips;

/// <summary>
/// Raw libvips / GLib / GObject declarations (all exported by the self-contained libvips-cpp build).
/// Declarations only: the wrappers in this folder own the handles and the error checks.
/// Variadic C functions are declared with their fixed arguments plus the NULL terminator, which
/// is passed in an integer register and is therefore safe to pass without C varargs support.
/// </summary>
internal static unsafe partial class VipsInterop
{
    private const string Lib = NativeLibraries.Libvips;

    [StructLayout(LayoutKind.Sequential)]
    internal struct GValue
    {
        public nuint GType;
        public ulong Data0;
        public ulong Data1;
    }

    [LibraryImport(Lib, EntryPoint = "vips_init", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Init(string argv0);

    [LibraryImport(Lib, EntryPoint = "vips_version")]
    internal static partial int Version(int flag);

    [LibraryImport(Lib, EntryPoint = "vips_error_buffer")]
    internal static partial byte* ErrorBuffer();

    [LibraryImport(Lib, EntryPoint = "vips_error_clear")]
    internal static partial void ErrorClear();

    [LibraryImport(Lib, EntryPoint = "vips_cache_set_max")]
    internal static partial void CacheSetMax(int max);

    [LibraryImport(Lib, EntryPoint = "vips_concurrency_set")]
    internal static partial void ConcurrencySet(int concurrency);

    [LibraryImport(Lib, EntryPoint = "vips_leak_set")]
    internal static partial void LeakSet([MarshalAs(UnmanagedType.Bool)] bool leak);

    [LibraryImport(Lib, EntryPoint = "vips_tracked_get_mem")]
    internal static partial nuint TrackedGetMem();

    [LibraryImport(Lib, EntryPoint = "vips_tracked_get_allocs")]
    internal static partial int TrackedGetAllocs();

    [LibraryImport(Lib, EntryPoint = "vips_tracked_get_files")]
    internal static partial int TrackedGetFiles();

    [LibraryImport(Lib, EntryPoint = "vips_block_untrusted_set")]
    internal static partial void BlockUntrustedSet([MarshalAs(UnmanagedType.Bool)] bool state);

    [LibraryImport(Lib, EntryPoint = "vips_operation_block_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void OperationBlockSet(string name, [MarshalAs(UnmanagedType.Bool)] bool state);

    // ---- sources and loading ----

    [LibraryImport(Lib, EntryPoint = "vips_blob_copy")]
    internal static partial nint BlobCopy(byte* data, nuint length);

    [LibraryImport(Lib, EntryPoint = "vips_area_unref")]
    internal static partial void AreaUnref(nint area);

    [LibraryImport(Lib, EntryPoint = "vips_source_new_from_blob")]
    internal static partial VipsObjectHandle SourceNewFromBlob(nint blob);

    [LibraryImport(Lib, EntryPoint = "vips_foreign_find_load_source")]
    internal static partial byte* ForeignFindLoadSource(VipsObjectHandle source);

    [LibraryImport(Lib, EntryPoint = "vips_image_new_from_source", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial VipsImageHandle ImageNewFromSource(VipsObjectHandle source, string options, nint terminator);

    [LibraryImport(Lib, EntryPoint = "vips_image_new_from_memory_copy")]
    internal static partial VipsImageHandle ImageNewFromMemoryCopy(byte* data, nuint size, int width, int height, int bands, int format);

    // ---- image header ----

    [LibraryImport(Lib, EntryPoint = "vips_image_get_width")]
    internal static partial int ImageGetWidth(VipsImageHandle image);

    [LibraryImport(Lib, EntryPoint = "vips_image_get_height")]
    internal static partial int ImageGetHeight(VipsImageHandle image);

    [LibraryImport(Lib, EntryPoint = "vips_image_get_bands")]
    internal static partial int ImageGetBands(VipsImageHandle image);

    [LibraryImport(Lib, EntryPoint = "vips_image_get_format")]
    internal static partial int ImageGetFormat(VipsImageHandle image);

    [LibraryImport(Lib, EntryPoint = "vips_image_get_interpretation")]
    internal static partial int ImageGetInterpretation(VipsImageHandle image);

    [LibraryImport(Lib, EntryPoint = "vips_image_hasalpha")]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static partial bool ImageHasAlpha(VipsImageHandle image);

    [LibraryImport(Lib, EntryPoint = "vips_image_get_typeof", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nuint ImageGetTypeof(VipsImageHandle image, string name);

    [LibraryImport(Lib, EntryPoint = "vips_image_get_blob", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ImageGetBlob(VipsImageHandle image, string name, out void* data, out nuint length);

    [LibraryImport(Lib, EntryPoint = "vips_image_set_blob_copy", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void ImageSetBlobCopy(VipsImageHandle image, string name, void* data, nuint length);

    [LibraryImport(Lib, EntryPoint = "vips_image_get_n_pages")]
    internal static partial int ImageGetNPages(VipsImageHandle image);

    [LibraryImport(Lib, EntryPoint = "vips_image_write_to_memory")]
    internal static partial void* ImageWriteToMemory(VipsImageHandle image, out nuint size);

    [LibraryImport(Lib, EntryPoint = "vips_image_write_to_buffer", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ImageWriteToBuffer(VipsImageHandle image, string suffix, out nint buffer, out nuint size, nint terminator);

    [LibraryImport(Lib, EntryPoint = "vips_image_get_type")]
    internal static partial nuint ImageGetType();

    // ---- operations ----

    [LibraryImport(Lib, EntryPoint = "vips_operation_new", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial VipsObjectHandle OperationNew(string name);

    [LibraryImport(Lib, EntryPoint = "vips_object_set_from_string", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ObjectSetFromString(VipsObjectHandle obj, string options);

    [LibraryImport(Lib, EntryPoint = "vips_cache_operation_build")]
    internal static partial VipsObjectHandle CacheOperationBuild(VipsObjectHandle operation);

    [LibraryImport(Lib, EntryPoint = "vips_object_unref_outputs")]
    internal static partial void ObjectUnrefOutputs(VipsObjectHandle obj);

    // ---- GLib / GObject ----

    [LibraryImport(Lib, EntryPoint = "g_object_unref")]
    internal static partial void GObjectUnref(nint obj);

    [LibraryImport(Lib, EntryPoint = "g_log_set_handler", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial uint GLogSetHandler(string domain, int levels, delegate* unmanaged<byte*, int, byte*, void*, void> handler, void* userData);

    [LibraryImport(Lib, EntryPoint = "g_free")]
    internal static partial void GFree(void* mem);

    [LibraryImport(Lib, EntryPoint = "g_value_init")]
    internal static partial GValue* GValueInit(GValue* value, nuint gtype);

    [LibraryImport(Lib, EntryPoint = "g_value_unset")]
    internal static partial void GValueUnset(GValue* value);

    [LibraryImport(Lib, EntryPoint = "g_value_set_object")]
    internal static partial void GValueSetObject(GValue* value, VipsImageHandle obj);

    [LibraryImport(Lib, EntryPoint = "g_value_dup_object")]
    internal static partial VipsImageHandle GValueDupObject(GValue* value);

    [LibraryImport(Lib, EntryPoint = "g_object_set_property", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void GObjectSetProperty(VipsObjectHandle obj, string name, GValue* value);

    [LibraryImport(Lib, EntryPoint = "g_object_get_property", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void GObjectGetProperty(VipsObjectHandle obj, string name, GValue* value);
}
