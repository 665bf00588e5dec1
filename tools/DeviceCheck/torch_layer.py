# PyTorch eager baseline for DeviceCheck: one llama3-8b decoder layer (bf16, random weights) timed exactly as
# ../shared/measurements/layer_costs.py times it (RMSNorm, fused QKV, SDPA, O proj, SwiGLU MLP; no RoPE there either).
# Prints one JSON object: {"device": ..., "prefill_T512_ms": ..., "prefill_T2048_ms": ..., "decode_B64_ctx1024_ms": ...}.
import json, torch, torch.nn.functional as F
dev = "cuda"
torch.backends.cuda.matmul.allow_tf32 = True
def timeit(fn, reps=20, warm=3):
    for _ in range(warm): fn()
    torch.cuda.synchronize(); s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(reps): fn()
    e.record(); torch.cuda.synchronize(); return s.elapsed_time(e) / reps
d, h, kv, ffn = 4096, 32, 8, 14336
hd = d // h
qdim, kvdim = h * hd, kv * hd
W = lambda o, i: torch.randn(o, i, device=dev, dtype=torch.bfloat16) * 0.02
wqkv, wo, wgu, wd = W(qdim + 2 * kvdim, d), W(d, qdim), W(2 * ffn, d), W(d, ffn)
def layer(x, kcache=None, vcache=None):
    B, T, _ = x.shape
    y = F.rms_norm(x, (d,))
    q, k, v = (y @ wqkv.T).split([qdim, kvdim, kvdim], -1)
    q = q.view(B, T, h, hd).transpose(1, 2); k = k.view(B, T, kv, hd).transpose(1, 2); v = v.view(B, T, kv, hd).transpose(1, 2)
    if kcache is not None: k, v = kcache, vcache
    att = F.scaled_dot_product_attention(q, k, v, is_causal=kcache is None, enable_gqa=True)
    x = x + att.transpose(1, 2).reshape(B, T, qdim) @ wo.T
    g, u = (F.rms_norm(x, (d,)) @ wgu.T).chunk(2, -1)
    return x + (F.silu(g) * u) @ wd.T
out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
with torch.no_grad():
    for T in (512, 2048):
        x = torch.randn(1, T, d, device=dev, dtype=torch.bfloat16)
        out[f"prefill_T{T}_ms"] = round(timeit(lambda: layer(x)), 4)
    B = 64
    x = torch.randn(B, 1, d, device=dev, dtype=torch.bfloat16)
    kc = torch.randn(B, kv, 1024, hd, device=dev, dtype=torch.bfloat16); vc = torch.randn_like(kc)
    out[f"decode_B{B}_ctx1024_ms"] = round(timeit(lambda: layer(x, kc, vc)), 4)
print(json.dumps(out), flush=True)
