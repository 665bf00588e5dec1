namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary>
/// The data-path verbs, which verbs.h defines <c>static inline</c> and so no library exports: each reads its function
/// pointer from the context's ops table (offsets in <see cref="IbvLayout"/>) and calls it, as the inline does.
/// Callers read the pointers once per queue pair, not per call.
/// </summary>
internal static unsafe class VerbsOps
{
    /// <summary><c>int (*poll_cq)(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc)</c>: completions polled, or negative on error.</summary>
    public static delegate* unmanaged<nint, int, IbvWc*, int> PollCq(nint cq) =>
        (delegate* unmanaged<nint, int, IbvWc*, int>)Op(*(nint*)(cq + IbvLayout.CqContext), IbvLayout.OpsPollCq, "poll_cq");

    /// <summary><c>int (*post_send)(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr)</c>: 0, or an errno value.</summary>
    public static delegate* unmanaged<nint, IbvSendWr*, IbvSendWr**, int> PostSend(nint qp) =>
        (delegate* unmanaged<nint, IbvSendWr*, IbvSendWr**, int>)Op(*(nint*)(qp + IbvLayout.QpContext), IbvLayout.OpsPostSend, "post_send");

    /// <summary><c>int (*post_recv)(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)</c>: 0, or an errno value.</summary>
    public static delegate* unmanaged<nint, IbvRecvWr*, IbvRecvWr**, int> PostRecv(nint qp) =>
        (delegate* unmanaged<nint, IbvRecvWr*, IbvRecvWr**, int>)Op(*(nint*)(qp + IbvLayout.QpContext), IbvLayout.OpsPostRecv, "post_recv");

    /// <summary>The <c>imm_data</c> fields are <c>__be32</c>: the value a peer sees is the one posted, in network order.</summary>
    public static uint ToNetworkOrder(uint value) => BitConverter.IsLittleEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value) : value;

    private static nint Op(nint context, int offset, string name)
    {
        nint op = *(nint*)(context + offset);
        return op != 0 ? op : throw new RdmaException($"the RDMA provider left ops.{name} of its context empty; this libibverbs layout is not the one this code reads", 0);
    }
}
