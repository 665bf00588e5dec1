using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary><c>struct ibv_mr</c> (48 bytes): a registered memory region, with the keys work requests name it by.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IbvMr
{
    public nint Context;
    public nint ProtectionDomain;
    public nint Address;
    public nuint Length;
    public uint Handle;
    public uint LocalKey;
    public uint RemoteKey;
}

/// <summary>
/// Byte offsets into verbs objects that are read but never declared whole (their tails hold a pthread mutex and
/// condition, whose sizes this code need not know). x86-64 layout of rdma-core's <c>libibverbs/verbs.h</c>:
/// <code>
/// struct ibv_qp      { ibv_context *context @0; void *qp_context @8; ibv_pd *pd @16; ibv_cq *send_cq @24;
///                      ibv_cq *recv_cq @32; ibv_srq *srq @40; u32 handle @48; u32 qp_num @52; … }
/// struct ibv_cq      { ibv_context *context @0; … }
/// struct ibv_context { ibv_device *device @0; struct ibv_context_ops ops @8; … }
/// struct ibv_context_ops: 27 function pointers, 8 bytes each; poll_cq is the 12th (index 11),
///                      post_send the 26th (index 25), post_recv the 27th (index 26)
/// </code>
/// <c>ibv_poll_cq</c>, <c>ibv_post_send</c> and <c>ibv_post_recv</c> are <c>static inline</c> in verbs.h: they call
/// <c>cq-&gt;context-&gt;ops.poll_cq</c> and <c>qp-&gt;context-&gt;ops.post_send/post_recv</c>, which every provider
/// fills in (<c>verbs_set_ops</c>). That table is part of the ABI, so reading it here is what the C inline does.
/// </summary>
internal static class IbvLayout
{
    public const int QpContext = 0;
    public const int QpNumber = 52;
    public const int CqContext = 0;
    public const int ContextOps = 8;
    public const int OpsPollCq = ContextOps + 11 * 8;
    public const int OpsPostSend = ContextOps + 25 * 8;
    public const int OpsPostRecv = ContextOps + 26 * 8;
}
