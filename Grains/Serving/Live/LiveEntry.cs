using BlitzScale.Native.Engine;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving.Live;

// One request on a LiveNew instance: its stream, its KV blocks for the layers run here, its output so far, and where it is
// (advancing through the landed layers, split with the partner, or local). Only LiveServer touches it, under its lock.
internal sealed class LiveEntry(ServingRequest request, RequestStream stream)
{
    public ServingRequest Request { get; } = request;
    public RequestStream Stream { get; } = stream;
    public string Id => Request.Id;
    public int PromptLength => Request.PromptIds.Length;
    public int Positions => Request.PromptIds.Length + Request.MaxTokens;
    public KvBlockTable Kv { get; } = new();
    public List<int> Output { get; } = [];
    // The prompt's hidden states after the layers run so far, until it is handed over or reaches the last layer.
    public HiddenStates? Hidden { get; set; }
    // The split layer j once the partner pulled it; null while it advances here or runs locally.
    public int? Split { get; set; }
    // The partner that pulled it, which runs its tail for its whole generation (a LiveNew may change partners meanwhile).
    public ILivePartner? Partner { get; set; }
    public bool Admitted { get; set; }
    public bool InStep { get; set; }
    public bool RemoteBusy { get; set; }
    // Its next decode step is due here (it has a token whose position is not computed yet).
    public bool DecodeDue { get; set; }
    // Its keys and values moved to the partner after its prompt: the partner runs it whole, and it holds no seat or block here.
    public bool Moved { get; set; }
    public bool CancelRequested { get; set; }
    public bool Ended { get; set; }

    // The position of the newest token, the one a decode step computes.
    public int DecodePosition => PromptLength + Output.Count - 1;
}
