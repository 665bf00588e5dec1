namespace BlitzScale.Native.Transport.Rdma.Verbs;

// Values of rdma-core's libibverbs/verbs.h (the ABI is stable across versions; checked against rdma-core 44). Only the
// members this transport uses or reports are named.

/// <summary><c>enum ibv_qp_state</c>.</summary>
internal enum IbvQpState
{
    Reset = 0,
    Init = 1,
    ReadyToReceive = 2,
    ReadyToSend = 3,
    Error = 6,
}

/// <summary><c>enum ibv_qp_attr_mask</c>: which fields of <see cref="IbvQpAttr"/> a <c>ibv_modify_qp</c> call sets.</summary>
[Flags]
internal enum IbvQpAttrMask
{
    State = 1 << 0,
    CurrentState = 1 << 1,
    EnableSqdAsyncNotify = 1 << 2,
    AccessFlags = 1 << 3,
    PkeyIndex = 1 << 4,
    Port = 1 << 5,
    Qkey = 1 << 6,
    AddressVector = 1 << 7,
    PathMtu = 1 << 8,
    Timeout = 1 << 9,
    RetryCount = 1 << 10,
    RnrRetry = 1 << 11,
    RqPsn = 1 << 12,
    MaxQpRdAtomic = 1 << 13,
    AltPath = 1 << 14,
    MinRnrTimer = 1 << 15,
    SqPsn = 1 << 16,
    MaxDestRdAtomic = 1 << 17,
    PathMigState = 1 << 18,
    Capabilities = 1 << 19,
    DestQpNumber = 1 << 20,
}

/// <summary><c>enum ibv_access_flags</c>.</summary>
[Flags]
internal enum IbvAccess
{
    None = 0,
    LocalWrite = 1 << 0,
    RemoteWrite = 1 << 1,
    RemoteRead = 1 << 2,
}

/// <summary><c>enum ibv_qp_type</c>.</summary>
internal enum IbvQpType
{
    ReliableConnected = 2,
}

/// <summary><c>enum ibv_wr_opcode</c>.</summary>
internal enum IbvWrOpcode
{
    RdmaWrite = 0,
    RdmaWriteWithImmediate = 1,
    Send = 2,
}

/// <summary><c>enum ibv_send_flags</c>.</summary>
[Flags]
internal enum IbvSendFlags
{
    None = 0,
    Fence = 1 << 0,
    Signaled = 1 << 1,
}

/// <summary><c>enum ibv_wc_opcode</c>.</summary>
internal enum IbvWcOpcode
{
    Send = 0,
    RdmaWrite = 1,
    Receive = 1 << 7,
    ReceiveRdmaWithImmediate = Receive + 1,
}

/// <summary><c>enum ibv_wc_flags</c>.</summary>
[Flags]
internal enum IbvWcFlags
{
    None = 0,
    Grh = 1 << 0,
    WithImmediate = 1 << 1,
}

/// <summary><c>enum ibv_wc_status</c> (0 is success; the names are what <c>ibv_wc_status_str</c> calls them).</summary>
internal enum IbvWcStatus
{
    Success = 0,
    LocalLengthError = 1,
    LocalQpOperationError = 2,
    LocalProtectionError = 4,
    WorkRequestFlushed = 5,
    BadResponse = 7,
    LocalAccessError = 8,
    RemoteInvalidRequest = 9,
    RemoteAccessError = 10,
    RemoteOperationError = 11,
    TransportRetryExceeded = 12,
    RnrRetryExceeded = 13,
    RemoteAborted = 16,
    Fatal = 19,
    ResponseTimeout = 20,
    General = 21,
}

/// <summary><c>enum ibv_mtu</c>: the path MTU, 256 bytes « (value − 1).</summary>
internal enum IbvMtu
{
    Mtu256 = 1,
    Mtu512 = 2,
    Mtu1024 = 3,
    Mtu2048 = 4,
    Mtu4096 = 5,
}
