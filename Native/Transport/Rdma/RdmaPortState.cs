namespace BlitzScale.Native.Transport.Rdma;

/// <summary>The state of an RDMA port (<c>enum ibv_port_state</c>).</summary>
public enum RdmaPortState
{
    /// <summary><c>IBV_PORT_NOP</c>: no state change reported.</summary>
    Nop = 0,
    /// <summary><c>IBV_PORT_DOWN</c>: no link.</summary>
    Down = 1,
    /// <summary><c>IBV_PORT_INIT</c>: link up, waiting for the subnet manager.</summary>
    Init = 2,
    /// <summary><c>IBV_PORT_ARMED</c>: configured, not yet active.</summary>
    Armed = 3,
    /// <summary><c>IBV_PORT_ACTIVE</c>: ready for traffic.</summary>
    Active = 4,
    /// <summary><c>IBV_PORT_ACTIVE_DEFER</c>: active, errors deferred.</summary>
    ActiveDefer = 5,
}

/// <summary>What an RDMA port runs over (<c>IBV_LINK_LAYER_*</c>).</summary>
public enum RdmaLinkLayer
{
    /// <summary>Not reported (older drivers: InfiniBand).</summary>
    Unspecified = 0,
    /// <summary>InfiniBand: addressed by LID.</summary>
    InfiniBand = 1,
    /// <summary>RoCE: addressed by GID, every packet carries a global route header.</summary>
    Ethernet = 2,
}
