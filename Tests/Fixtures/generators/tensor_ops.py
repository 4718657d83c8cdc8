"""Reference values for the Tensor engine: every op, safetensors dtypes, and torch's CPU RNG.

Writes under `tensor_ops/`:
- `linear_matmul`, `conv2d`, `normalization`, `activations`, `shape_ops`, `broadcast`,
  `attention`: inputs and torch's outputs (float32) for each case, named `<case>.<tensor>`.
- `rng` / `rng_portable`: `torch.randn` values for several seeds and sizes, and for sequences of
  draws from one generator, from torch's AVX2 kernel and (in a subprocess with
  `ATEN_CPU_CAPABILITY=default`) from its portable kernel.
- `dtype_f16`, `dtype_bf16`, `dtype_f64`: files written by `safetensors` in those dtypes, each with
  `values` in the dtype and `expected` (the same values widened to float32 by torch).
- `writer_reference`: a small F32 file as Python's `safetensors` writes it.
"""
import math
import os
import pathlib
import subprocess
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _common import save, seeded  # noqa: E402

NAME = "tensor_ops"

# Seeds whose low 32 bits differ (only those reach torch's MT19937 state), plus values above 2**32
# and 2**63 to check that the high bits are ignored.
RNG_SEEDS = [0, 1, 42, 2**32 - 1, 2**63 + 12345, 2**64 - 1]
RNG_SIZES = [1, 2, 3, 15, 16, 17, 31, 32, 100, 4 * 8 * 8, 1000]
RNG_LARGE_SEEDS = [0, 42, 2**63 + 12345]   # also 4*64*64 = 16384, an SD 1.5 latent
# One generator, several draws in a row: scalar draws leave a cached value that the next scalar draw
# uses; vectorised draws do not touch it. Mirrors diffusers (latents, then per-step noise).
RNG_SEQUENCE = [3, 17, 1, 4 * 64 * 64, 5, 100, 2, 16, 1]
RNG_SEQUENCE_SEEDS = [7, 2**32 + 7]


def save_cases(tensors: dict, path: pathlib.Path, metadata=None):
    """Saves with every tensor in its own memory (safetensors refuses views that share storage)."""
    save({k: v.clone() for k, v in tensors.items()}, path, metadata=metadata)


def randn(shape, seed, scale=1.0):
    return torch.randn(shape, generator=seeded(seed)) * scale


def heads_first(x, heads):
    b, n, c = x.shape
    return x.view(b, n, heads, c // heads).transpose(1, 2)


def heads_last(x):
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


def linear_matmul():
    t = {}
    x, w, b = randn([2, 5, 7], 1), randn([3, 7], 2), randn([3], 3)
    t.update({"linear.x": x, "linear.weight": w, "linear.bias": b,
              "linear.out_bias": F.linear(x, w, b), "linear.out_nobias": F.linear(x, w)})
    x, w, b = randn([2, 9, 96], 4), randn([40, 96], 5, 0.1), randn([40], 6)
    t.update({"linear_wide.x": x, "linear_wide.weight": w, "linear_wide.bias": b,
              "linear_wide.out": F.linear(x, w, b)})
    a, bm = randn([5, 7], 7), randn([7, 4], 8)
    t.update({"matmul.a": a, "matmul.b": bm, "matmul.out": a @ bm,
              "matmul.a_t": a.t().contiguous(), "matmul.b_t": bm.t().contiguous()})
    a, bm = randn([2, 3, 5, 7], 9), randn([2, 3, 7, 4], 10)
    shared = randn([7, 4], 11)
    t.update({"bmm.a": a, "bmm.b": bm, "bmm.out": a @ bm,
              "bmm.a_t": a.transpose(-1, -2).contiguous(), "bmm.b_t": bm.transpose(-1, -2).contiguous(),
              "bmm.shared": shared, "bmm.out_shared": a @ shared})
    return t


CONV_CASES = [
    # name, input shape, weight shape, stride, (top, bottom, left, right), bias
    ("pointwise", [2, 6, 5, 7], [4, 6, 1, 1], 1, (0, 0, 0, 0), True),
    ("pointwise_nobias", [2, 6, 5, 7], [4, 6, 1, 1], 1, (0, 0, 0, 0), False),
    ("pointwise_stride2", [2, 6, 5, 7], [4, 6, 1, 1], 2, (0, 0, 0, 0), True),
    ("k3_pad1", [2, 5, 9, 7], [6, 5, 3, 3], 1, (1, 1, 1, 1), True),
    ("k3_pad1_nobias", [2, 5, 9, 7], [6, 5, 3, 3], 1, (1, 1, 1, 1), False),
    ("k3_nopad", [2, 3, 6, 8], [4, 3, 3, 3], 1, (0, 0, 0, 0), True),
    ("k3_stride2_pad1", [2, 3, 9, 11], [5, 3, 3, 3], 2, (1, 1, 1, 1), True),
    ("k3_stride2_pad1_even", [2, 3, 8, 8], [5, 3, 3, 3], 2, (1, 1, 1, 1), False),
    # diffusers' VAE encoder Downsample2D: F.pad(x, (0, 1, 0, 1)) then a stride-2, unpadded conv.
    ("vae_downsample", [2, 4, 8, 8], [4, 4, 3, 3], 2, (0, 1, 0, 1), True),
    ("vae_downsample_odd", [1, 4, 7, 9], [4, 4, 3, 3], 2, (0, 1, 0, 1), True),
    ("k1x3_rect", [1, 2, 5, 6], [3, 2, 1, 3], 1, (0, 0, 1, 1), True),
]


def conv2d():
    t = {}
    for i, (name, xs, ws, stride, (top, bottom, left, right), has_bias) in enumerate(CONV_CASES):
        x, w = randn(xs, 100 + i), randn(ws, 200 + i, 0.3)
        b = randn([ws[0]], 300 + i) if has_bias else None
        out = F.conv2d(F.pad(x, (left, right, top, bottom)), w, b, stride=stride)
        t.update({f"{name}.x": x, f"{name}.weight": w, f"{name}.out": out})
        if b is not None:
            t[f"{name}.bias"] = b
    # Large enough that the SDK unfolds it in several bands of output rows (≈ 28 rows per band
    # at 512 × 9 columns × 32 wide). Inputs are torch.randn from seeds 7 and 8, which the Swift
    # test regenerates with TorchGenerator instead of reading them, to keep the fixture small.
    x = torch.randn([1, 512, 32, 32], generator=seeded(7))
    w = torch.randn([1, 512, 3, 3], generator=seeded(8)) * 0.02
    t["banded.out"] = F.conv2d(x, w, padding=1)
    return t


def normalization():
    t = {}
    x = randn([2, 8, 5, 3], 20) * 2 + 0.5
    w, b = randn([8], 21), randn([8], 22)
    t.update({"group.x": x, "group.weight": w, "group.bias": b,
              "group.out_eps5": F.group_norm(x, 4, w, b, 1e-5),
              "group.out_eps6": F.group_norm(x, 4, w, b, 1e-6),
              "group.out_silu": F.silu(F.group_norm(x, 4, w, b, 1e-5)),
              "group.out_noaffine": F.group_norm(x, 2, None, None, 1e-6)})
    # A variance near eps, where 1e-5 and 1e-6 give clearly different outputs.
    x = randn([2, 4, 3, 3], 29) * 0.003
    t.update({"group_small.x": x, "group_small.out_eps5": F.group_norm(x, 2, None, None, 1e-5),
              "group_small.out_eps6": F.group_norm(x, 2, None, None, 1e-6)})
    # A large mean over a small spread needs a stable variance. torch's float32 kernel is itself
    # off by ~1e-4 here, so the reference is computed in float64 from the same float32 input.
    x = randn([1, 6, 4, 4], 23) * 0.01 + 50
    t.update({"group_offset.x": x, "group_offset.out": F.group_norm(x.double(), 3, None, None, 1e-6).float()})
    x = randn([2, 6, 10], 24)
    t.update({"group_rank3.x": x, "group_rank3.out": F.group_norm(x, 3, None, None, 1e-5)})
    x, w, b = randn([2, 5, 16], 25) * 3 - 1, randn([16], 26), randn([16], 27)
    t.update({"layer.x": x, "layer.weight": w, "layer.bias": b,
              "layer.out": F.layer_norm(x, [16], w, b, 1e-5),
              "layer.out_noaffine": F.layer_norm(x, [16], None, None, 1e-6)})
    x = randn([2, 3, 8], 31) * 0.01 + 50   # float64 reference, as for group_offset
    t.update({"layer_offset.x": x, "layer_offset.out": F.layer_norm(x.double(), [8], None, None, 1e-5).float()})
    x = randn([3, 4, 9], 28) * 4
    x[0, 1, 3] = -math.inf
    x[1, 2, :5] = -math.inf
    x[2, 0, 8] = -math.inf
    x[2, 3] += 1e4   # large logits: needs the max subtraction
    t.update({"softmax.x": x, "softmax.out": torch.softmax(x, dim=-1)})
    return t


def activations():
    x = torch.cat([torch.linspace(-12, 12, 301), randn([200], 30) * 3])
    return {"x": x, "silu": F.silu(x), "gelu": F.gelu(x), "quick_gelu": x * torch.sigmoid(1.702 * x)}


def shape_ops():
    t = {}
    a, b, c = randn([2, 3, 4], 40), randn([2, 5, 4], 41), randn([2, 1, 4], 42)
    t.update({"concat.a": a, "concat.b": b, "concat.c": c, "concat.axis1": torch.cat([a, b, c], 1)})
    d = randn([1, 3, 4], 43)
    t.update({"concat.d": d, "concat.axis0": torch.cat([a, d], 0)})
    e = randn([2, 3, 6], 44)
    t.update({"concat.e": e, "concat.axis2": torch.cat([a, e], 2)})
    x = randn([2, 6, 4, 5], 45)
    t.update({"slice.x": x, "slice.axis1": x[:, 1:4].contiguous(), "slice.axis3": x[..., 2:5].contiguous(),
              "slice.axis0": x[1:2].contiguous()})
    for i, piece in enumerate(x.chunk(3, dim=1)):
        t[f"chunk.axis1.{i}"] = piece.contiguous()
    for i, piece in enumerate(x.chunk(2, dim=0)):
        t[f"chunk.axis0.{i}"] = piece.contiguous()
    g = randn([2, 3, 8], 46)   # GEGLU: proj(x).chunk(2, dim=-1)
    t["chunk.last.x"] = g
    for i, piece in enumerate(g.chunk(2, dim=-1)):
        t[f"chunk.last.{i}"] = piece.contiguous()
    p = randn([2, 3, 4, 5], 47)
    t.update({"permute.x": p, "permute.nhwc": p.permute(0, 2, 3, 1).contiguous(),
              "permute.heads": p.permute(0, 2, 1, 3).contiguous(),
              "permute.scrambled": p.permute(3, 1, 0, 2).contiguous()})
    u = randn([2, 3, 4, 5], 48)
    t.update({"upsample.x": u,
              "upsample.2x": F.interpolate(u, scale_factor=2.0, mode="nearest"),
              "upsample.7x9": F.interpolate(u, size=(7, 9), mode="nearest"),
              "upsample.5x11": F.interpolate(u, size=(5, 11), mode="nearest"),
              "upsample.3x4": F.interpolate(u, size=(3, 4), mode="nearest")})
    v = randn([1, 2, 3, 3], 49)   # an odd latent side: the skip is 7×7 from a 3×3 map
    t.update({"upsample.odd.x": v, "upsample.odd.7x7": F.interpolate(v, size=(7, 7), mode="nearest")})
    return t


BROADCAST_CASES = [
    ("trailing", [2, 3, 4, 5], [5]),
    ("channel", [2, 3, 4, 5], [3, 1, 1]),
    ("sample_channel", [2, 3, 4, 5], [2, 3, 1, 1]),
    ("both", [2, 1, 4, 1], [1, 3, 1, 5]),
    ("left", [4, 5], [2, 3, 4, 5]),
    ("scalar", [2, 3, 4], [1]),
    ("middle", [2, 3, 4], [2, 1, 4]),
    ("same", [2, 3, 4], [2, 3, 4]),
]


def broadcast():
    t = {}
    for i, (name, sa, sb) in enumerate(BROADCAST_CASES):
        a, b = randn(sa, 60 + i), randn(sb, 80 + i) + 3   # keep divisors away from 0
        t.update({f"{name}.a": a, f"{name}.b": b, f"{name}.add": a + b, f"{name}.sub": a - b,
                  f"{name}.mul": a * b, f"{name}.div": a / b})
    return t


ATTENTION_CASES = [
    # name, batch, Lq, Lk, heads, head dim, value head dim, causal, scale
    ("self", 2, 7, 7, 2, 4, 4, False, None),
    ("causal", 2, 7, 7, 2, 4, 4, True, None),
    ("cross", 2, 9, 5, 3, 4, 6, False, None),
    ("causal_rect", 1, 5, 8, 2, 4, 4, True, None),
    ("scaled", 1, 6, 4, 1, 8, 8, False, 0.3),
    # More than attentionQueryBlock (1024) queries: several query blocks per head.
    ("long", 1, 1100, 33, 2, 8, 8, False, None),
    ("long_causal", 1, 1030, 1030, 2, 4, 4, True, None),
]


def attention():
    t = {}
    for i, (name, b, lq, lk, heads, d, dv, causal, scale) in enumerate(ATTENTION_CASES):
        q, k = randn([b, lq, heads * d], 500 + i), randn([b, lk, heads * d], 600 + i)
        v = randn([b, lk, heads * dv], 700 + i)
        out = F.scaled_dot_product_attention(heads_first(q, heads), heads_first(k, heads), heads_first(v, heads),
                                             is_causal=causal, scale=scale)
        t.update({f"{name}.q": q, f"{name}.k": k, f"{name}.v": v, f"{name}.out": heads_last(out)})
    return t


def rng_values():
    """torch.randn values for the current process's CPU capability."""
    t = {}
    for seed in RNG_SEEDS:
        sizes = RNG_SIZES + ([4 * 64 * 64] if seed in RNG_LARGE_SEEDS else [])
        for size in sizes:
            t[f"seed{seed}.size{size}"] = torch.randn([size], generator=seeded(seed), dtype=torch.float32)
    for seed in RNG_SEQUENCE_SEEDS:
        g = seeded(seed)
        for i, size in enumerate(RNG_SEQUENCE):
            t[f"sequence{seed}.{i}"] = torch.randn([size], generator=g, dtype=torch.float32)
    # Reseeding an used generator restarts the stream and drops the cached scalar sample.
    g = seeded(3)
    torch.randn([1], generator=g)
    g.manual_seed(5)
    t["reseeded"] = torch.randn([3], generator=g)
    # The shape does not matter, only the element count: a latent-shaped draw.
    t["latent"] = torch.randn([1, 4, 8, 8], generator=seeded(42))
    return t


def rng(root: pathlib.Path):
    out = root / NAME
    save_cases(rng_values(), out / "rng.safetensors", metadata={"capability": torch.backends.cpu.get_cpu_capability()})
    # The portable kernel is chosen once per process, so it needs a fresh interpreter.
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default")
    subprocess.run([sys.executable, __file__, "--portable-rng", str(out / "rng_portable.safetensors")],
                   env=env, check=True)


def dtype_files(root: pathlib.Path):
    out = root / NAME
    special = [0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 6.103515625e-05, 5.960464477539063e-08,
               math.inf, -math.inf, 0.1, 1 / 3]
    base = torch.tensor(special + randn([20], 90).tolist(), dtype=torch.float32)
    f16 = base.to(torch.float16).reshape(4, 8)
    save_file({"values": f16, "expected": f16.to(torch.float32)}, str(out / "dtype_f16.safetensors"),
              metadata={"format": "pt"})
    bf16 = (base * 1e30).to(torch.bfloat16).reshape(2, 16)   # beyond half's range
    save_file({"values": bf16, "expected": bf16.to(torch.float32)}, str(out / "dtype_bf16.safetensors"))
    f64 = torch.tensor(special + [1e-40, 3.4e38, 1e300, math.pi] + randn([16], 91).tolist(), dtype=torch.float64)
    save_file({"values": f64.reshape(4, 8), "expected": f64.to(torch.float32).reshape(4, 8),
               "ids": torch.arange(6, dtype=torch.int64)}, str(out / "dtype_f64.safetensors"))


def writer_reference(root: pathlib.Path):
    """A file as Python's safetensors writes it, which SafetensorsWriter must reproduce byte for
    byte (one metadata key only: Python orders several by hash)."""
    tensors = {"b": torch.arange(6, dtype=torch.float32).reshape(2, 3) - 2.5, "a.x": torch.tensor([1.5]),
               "\u00e9": torch.zeros(0, 3), "scalar": torch.tensor(3.25), "quote\"d": torch.tensor([[-0.0, 1e-3]])}
    save_file(tensors, str(root / NAME / "writer_reference.safetensors"), metadata={"format": "pt"})


def generate(root: pathlib.Path):
    out = root / NAME
    save_cases(linear_matmul(), out / "linear_matmul.safetensors")
    save_cases(conv2d(), out / "conv2d.safetensors")
    save_cases(normalization(), out / "normalization.safetensors")
    save_cases(activations(), out / "activations.safetensors")
    save_cases(shape_ops(), out / "shape_ops.safetensors")
    save_cases(broadcast(), out / "broadcast.safetensors")
    save_cases(attention(), out / "attention.safetensors")
    dtype_files(root)
    writer_reference(root)
    rng(root)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--portable-rng":
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT"
    save_cases(rng_values(), pathlib.Path(sys.argv[2]), metadata={"capability": "DEFAULT"})
