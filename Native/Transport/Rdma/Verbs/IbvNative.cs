using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary>
/// The libibverbs entry points this transport calls (rdma-core; symbols resolve to their default versions,
/// IBVERBS_1.1). Pointers to verbs objects stay <see cref="nint"/>: their layouts are the library's. Calls that fail
/// return NULL and set errno (<c>SetLastError</c>), or return the errno value itself; <see cref="VerbsError"/> turns
/// both into exceptions.
/// </summary>
/// <remarks>
/// <c>ibv_query_port</c> is a macro over an inline that calls the exported <c>ibv_query_port</c> when the provider
/// has no extended query; calling the export with a zeroed, full-size <see cref="IbvPortAttr"/> is what that inline
/// does. <c>ibv_reg_mr</c> is likewise a macro that ends in the exported function of the same name.
/// </remarks>
internal static unsafe partial class IbvNative
{
    public const string Library = "libibverbs.so.1";

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint* ibv_get_device_list(int* numDevices);

    [LibraryImport(Library)]
    public static partial void ibv_free_device_list(nint* list);

    [LibraryImport(Library)]
    public static partial byte* ibv_get_device_name(nint device);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint ibv_open_device(nint device);

    [LibraryImport(Library)]
    public static partial int ibv_close_device(nint context);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint ibv_alloc_pd(nint context);

    [LibraryImport(Library)]
    public static partial int ibv_dealloc_pd(nint pd);

    [LibraryImport(Library, SetLastError = true)]
    public static partial IbvMr* ibv_reg_mr(nint pd, void* address, nuint length, IbvAccess access);

    [LibraryImport(Library)]
    public static partial int ibv_dereg_mr(IbvMr* mr);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint ibv_create_cq(nint context, int cqe, nint cqContext, nint channel, int completionVector);

    [LibraryImport(Library)]
    public static partial int ibv_destroy_cq(nint cq);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint ibv_create_qp(nint pd, IbvQpInitAttr* attributes);

    [LibraryImport(Library)]
    public static partial int ibv_destroy_qp(nint qp);

    [LibraryImport(Library)]
    public static partial int ibv_modify_qp(nint qp, IbvQpAttr* attributes, IbvQpAttrMask mask);

    [LibraryImport(Library)]
    public static partial int ibv_query_port(nint context, byte port, IbvPortAttr* attributes);

    [LibraryImport(Library)]
    public static partial int ibv_query_gid(nint context, byte port, int index, IbvGid* gid);
}
