using BlitzScale.Native.Transport.Rdma;
using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// A software RDMA fabric for tests, standing for the NICs this machine lacks: NICs made from it connect queue pairs
/// inside the process and carry each RDMA write with immediate as a memory copy, checking keys, ranges, access and
/// queue-pair state as a NIC would, and producing the same completions (error ones included). The transport code
/// above <see cref="IRdmaNic"/> runs unchanged.
/// </summary>
internal sealed class RdmaLoopback
{
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, QueuePair> _queuePairs = [];
    private readonly Dictionary<uint, Region> _regions = [];
    private uint _nextQueuePair = 0x100;
    private uint _nextKey = 0x1000;
    private ushort _nextLid = 1;

    /// <summary>Called per write with its immediate; true flips one byte of the placed copy, as a faulty link would.</summary>
    public Func<uint, bool>? CorruptWrite { get; set; }

    /// <summary>Regions registered and not yet deregistered.</summary>
    public int OpenRegions
    {
        get
        {
            lock (_gate) return _regions.Count;
        }
    }

    /// <summary>Queue pairs created and not yet destroyed.</summary>
    public int OpenQueuePairs
    {
        get
        {
            lock (_gate) return _queuePairs.Count;
        }
    }

    public IRdmaNic OpenNic(string name) => new Nic(this, name, _nextLid++);

    /// <summary>The link fails: every queue pair goes to the error state and flushes what it had posted.</summary>
    public void Break()
    {
        lock (_gate)
        {
            foreach (var queuePair in _queuePairs.Values) queuePair.Fail(IbvWcStatus.WorkRequestFlushed);
        }
    }

    private sealed class Nic(RdmaLoopback fabric, string name, ushort lid) : IRdmaNic
    {
        public string Name { get; } = $"{name} port 1";
        public RdmaPortAddress Address { get; } = new(1, 0, lid, (UInt128)0xfe80 << 112 | lid, IbvMtu.Mtu4096, RdmaLinkLayer.InfiniBand);

        public IRdmaRegion Register(nint address, long length, bool remoteWrite)
        {
            lock (fabric._gate)
            {
                var region = new Region(fabric, address, length, fabric._nextKey++, remoteWrite);
                fabric._regions.Add(region.LocalKey, region);
                return region;
            }
        }

        public IRdmaQueuePair CreateQueuePair(int sendDepth, int receiveDepth)
        {
            lock (fabric._gate)
            {
                var queuePair = new QueuePair(fabric, fabric._nextQueuePair++, sendDepth, receiveDepth);
                fabric._queuePairs.Add(queuePair.Number, queuePair);
                return queuePair;
            }
        }

        public void Dispose()
        {
        }
    }

    private sealed class Region(RdmaLoopback fabric, nint address, long length, uint key, bool remoteWrite) : IRdmaRegion
    {
        public nint Address { get; } = address;
        public long Length { get; } = length;
        public uint LocalKey { get; } = key;
        public uint RemoteKey { get; } = key;
        public bool RemoteWrite { get; } = remoteWrite;

        public bool Covers(ulong start, int bytes) => start >= (ulong)Address && start + (ulong)bytes <= (ulong)Address + (ulong)Length;

        public void Dispose()
        {
            lock (fabric._gate) fabric._regions.Remove(LocalKey);
        }
    }

    private sealed unsafe class QueuePair(RdmaLoopback fabric, uint number, int sendDepth, int receiveDepth) : IRdmaQueuePair
    {
        private readonly Queue<RdmaCompletion> _completions = new();
        private readonly Queue<ulong> _receives = new();
        // Writes that arrived with no receive posted: a NIC answers receiver-not-ready and the sender retries (forever, at RNR retry 7).
        private readonly Queue<uint> _unreceived = new();
        private IbvQpState _state = IbvQpState.Init;
        private uint _remote;
        private int _sendsOutstanding;

        public uint Number { get; } = number;
        public uint InitialPsn { get; } = number * 7919 & RdmaConnectionInfo.Max24Bit;

        public void Connect(RdmaConnectionInfo remote)
        {
            lock (fabric._gate)
            {
                if (_state != IbvQpState.Init) throw new RdmaException($"ibv_modify_qp(→RTR) failed: queue pair {Number} is {_state}", 22);
                if (!fabric._queuePairs.TryGetValue(remote.QpNumber, out var peer) || peer.InitialPsn != remote.Psn)
                    throw new RdmaException($"ibv_modify_qp(→RTR) failed: no queue pair {remote.QpNumber} with PSN {remote.Psn} on the fabric", 22);
                _remote = remote.QpNumber;
                _state = IbvQpState.ReadyToSend;
            }
        }

        public void PostWriteWithImmediate(ulong workRequestId, nint localAddress, int length, uint localKey, ulong remoteAddress, uint remoteKey, uint immediate)
        {
            lock (fabric._gate)
            {
                if (_state != IbvQpState.ReadyToSend) throw new RdmaException($"ibv_post_send failed: queue pair {Number} is {_state}", 22);
                if (_sendsOutstanding >= sendDepth) throw new RdmaException($"ibv_post_send failed: the send queue of {sendDepth} is full", 12);
                _sendsOutstanding++;
                if (!fabric._regions.TryGetValue(localKey, out var local) || !local.Covers((ulong)localAddress, length))
                {
                    Fail(IbvWcStatus.LocalProtectionError, workRequestId);
                    return;
                }
                if (!fabric._queuePairs.TryGetValue(_remote, out var peer) || peer._state != IbvQpState.ReadyToSend)
                {
                    Fail(IbvWcStatus.TransportRetryExceeded, workRequestId);
                    return;
                }
                if (!fabric._regions.TryGetValue(remoteKey, out var target) || !target.RemoteWrite || !target.Covers(remoteAddress, length))
                {
                    Fail(IbvWcStatus.RemoteAccessError, workRequestId);
                    return;
                }
                Buffer.MemoryCopy((void*)localAddress, (void*)remoteAddress, length, length);
                if (fabric.CorruptWrite?.Invoke(immediate) == true) ((byte*)remoteAddress)[length / 2] ^= 0x5A;
                peer.Arrive(immediate);
                _sendsOutstanding--;
                _completions.Enqueue(new RdmaCompletion(workRequestId, RdmaCompletionKind.WriteSent, IbvWcStatus.Success, 0));
            }
        }

        public void PostReceive(ulong workRequestId)
        {
            lock (fabric._gate)
            {
                if (_receives.Count >= receiveDepth) throw new RdmaException($"ibv_post_recv failed: the receive queue of {receiveDepth} is full", 12);
                _receives.Enqueue(workRequestId);
                if (_unreceived.TryDequeue(out uint immediate)) Arrive(immediate);
            }
        }

        public int Poll(Span<RdmaCompletion> completions)
        {
            lock (fabric._gate)
            {
                int n = 0;
                while (n < completions.Length && _completions.TryDequeue(out var completion)) completions[n++] = completion;
                return n;
            }
        }

        /// <summary>Under the fabric's lock.</summary>
        public void Fail(IbvWcStatus status, ulong? workRequestId = null)
        {
            _state = IbvQpState.Error;
            if (workRequestId is not null) _sendsOutstanding--;
            _completions.Enqueue(new RdmaCompletion(workRequestId ?? 0, RdmaCompletionKind.Other, status, 0));
        }

        private void Arrive(uint immediate)
        {
            if (!_receives.TryDequeue(out ulong receive))
            {
                _unreceived.Enqueue(immediate);
                return;
            }
            _completions.Enqueue(new RdmaCompletion(receive, RdmaCompletionKind.WriteReceived, IbvWcStatus.Success, immediate));
        }

        public void Dispose()
        {
            lock (fabric._gate) fabric._queuePairs.Remove(Number);
        }
    }
}
