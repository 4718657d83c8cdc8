"""UNet fixtures: two tiny random-weight `UNet2DConditionModel`s in the SD 1.x / SD 2.x layouts, and
their outputs on batch-2 (classifier-free guidance layout) latents of several shapes.

Writes under `unet/`:
- `sd1_tiny/`: SD 1.x-like (4 levels, 3 cross-attention levels, 2 heads everywhere, 1×1-conv
  projections, cross-attention width 32), `save_pretrained` in float32.
- `sd2_tiny/`: SD 2.x-like (per-level head counts, linear projections, `upcast_attention`,
  cross-attention width 64), saved in float16 with `variant="fp16"`.
- `sd1_cases.safetensors`, `sd2_cases.safetensors`: per case `latents_N`, `text_N`, `output_N`,
  and `timesteps` (one per case, all exact in float32).
- `options_tiny/` + `options_cases.safetensors`: a two-level model setting every non-default option
  this implementation supports (per-level layer and transformer depths, centred input, sin-first
  embedding with shift 1, right/bottom-padded downsampling, a custom time-embedding width, 1×1 and
  5×5 input/output convolutions, `act_fn="swish"`), on odd-sided latents.
- `timestep_embedding.safetensors`: diffusers' `get_timestep_embedding` for a few timesteps and
  both `flip_sin_to_cos` / `freq_shift` settings.

Every parameter is re-randomised with a seeded generator (diffusers zero-initialises some layers),
and the reference runs in float32. For the fp16-saved model the reference uses the fp16-rounded
weights widened back to float32, which is what the Swift loader computes with.
"""
import json
import pathlib

import torch
from diffusers import UNet2DConditionModel
from diffusers.models.embeddings import get_timestep_embedding

from ._common import save, seeded

SD1_CONFIG = dict(
    sample_size=16,
    in_channels=4,
    out_channels=4,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(8, 16, 16, 16),
    layers_per_block=2,
    cross_attention_dim=32,
    attention_head_dim=2,
    norm_num_groups=4,
    norm_eps=1e-5,
    flip_sin_to_cos=True,
    freq_shift=0,
)

SD2_CONFIG = dict(
    sample_size=16,
    in_channels=4,
    out_channels=4,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(8, 16, 24, 24),
    layers_per_block=2,
    cross_attention_dim=64,
    attention_head_dim=[2, 4, 4, 4],
    use_linear_projection=True,
    upcast_attention=True,
    norm_num_groups=4,
    norm_eps=1e-5,
    flip_sin_to_cos=True,
    freq_shift=0,
)

OPTIONS_CONFIG = dict(
    sample_size=8,
    in_channels=4,
    out_channels=3,
    center_input_sample=True,
    flip_sin_to_cos=False,
    freq_shift=1,
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(8, 16),
    layers_per_block=[1, 2],
    transformer_layers_per_block=[2, 1],
    downsample_padding=0,
    act_fn="swish",
    cross_attention_dim=24,
    attention_head_dim=[2, 4],
    use_linear_projection=True,
    norm_num_groups=4,
    norm_eps=1e-6,
    time_embedding_dim=48,
    conv_in_kernel=1,
    conv_out_kernel=5,
)

# (latent shape, text length, timestep). Timesteps cover an integer, a fractional value (Euler-style
# schedulers) and 0; shapes cover square, non-square, sides not divisible by 8, and an odd side.
SD1_CASES = [
    ([2, 4, 16, 16], 77, 999),
    ([2, 4, 16, 24], 77, 541.25),
    ([2, 4, 12, 20], 77, 0),
    ([2, 4, 13, 10], 77, 17),
]
SD2_CASES = [
    ([2, 4, 16, 16], 77, 981),
    ([2, 4, 16, 24], 77, 250.5),
    ([2, 4, 13, 10], 77, 1),
]
# 333.3 is not exact in float32: both sides round it the same way (diffusers calls `.float()`).
OPTIONS_CASES = [
    ([2, 4, 9, 7], 7, 333.3),
]


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Gives every parameter a seeded, non-trivial value of a sensible scale."""
    generator = seeded(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            if parameter.ndim >= 2:
                fan_in = parameter[0].numel()
                parameter.copy_(noise / fan_in**0.5)
            elif "norm" in name and name.endswith("weight"):
                parameter.copy_(1 + 0.2 * noise)
            else:
                parameter.copy_(0.1 * noise)


def build(config: dict, seed: int) -> UNet2DConditionModel:
    model = UNet2DConditionModel(**config)
    randomise(model, seed)
    return model.eval()


def record_cases(model, cases, cross_dim: int, seed: int, path: pathlib.Path) -> None:
    generator = seeded(seed)
    tensors = {}
    for index, (shape, text_length, timestep) in enumerate(cases):
        latents = torch.randn(shape, generator=generator)
        text = torch.randn([shape[0], text_length, cross_dim], generator=generator)
        with torch.inference_mode():
            # A Python number, as a scheduler's timestep reaches the UNet (widened to float32 inside).
            output = model(latents, timestep, encoder_hidden_states=text).sample
        tensors[f"latents_{index}"] = latents
        tensors[f"text_{index}"] = text
        tensors[f"output_{index}"] = output
    # A tensor rather than safetensors metadata, whose key order is not stable between runs.
    tensors["timesteps"] = torch.tensor([float(case[2]) for case in cases])
    save(tensors, path)


def record_timestep_embeddings(path: pathlib.Path) -> None:
    timesteps = torch.tensor([0.0, 1.0, 17.0, 250.5, 541.25, 999.0], dtype=torch.float64)
    tensors = {
        "timesteps": timesteps.float(),
        "flip_shift0_dim32": get_timestep_embedding(timesteps, 32, flip_sin_to_cos=True, downscale_freq_shift=0),
        "flip_shift0_dim320": get_timestep_embedding(timesteps, 320, flip_sin_to_cos=True, downscale_freq_shift=0),
        "noflip_shift1_dim320": get_timestep_embedding(timesteps, 320, flip_sin_to_cos=False, downscale_freq_shift=1),
        "flip_shift0_dim7": get_timestep_embedding(timesteps, 7, flip_sin_to_cos=True, downscale_freq_shift=0),
    }
    save(tensors, path)


def generate(root: pathlib.Path) -> None:
    out = root / "unet"
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    sd1 = build(SD1_CONFIG, seed=1)
    sd1.save_pretrained(out / "sd1_tiny", safe_serialization=True)
    record_cases(sd1, SD1_CASES, SD1_CONFIG["cross_attention_dim"], seed=11, path=out / "sd1_cases.safetensors")

    sd2 = build(SD2_CONFIG, seed=2)
    sd2 = sd2.half()
    sd2.save_pretrained(out / "sd2_tiny", safe_serialization=True, variant="fp16")
    sd2 = sd2.float()  # the fp16-rounded weights, widened: what the Swift side computes with
    record_cases(sd2, SD2_CASES, SD2_CONFIG["cross_attention_dim"], seed=12, path=out / "sd2_cases.safetensors")

    options = build(OPTIONS_CONFIG, seed=3)
    options.save_pretrained(out / "options_tiny", safe_serialization=True)
    record_cases(options, OPTIONS_CASES, OPTIONS_CONFIG["cross_attention_dim"], seed=13,
                 path=out / "options_cases.safetensors")

    record_timestep_embeddings(out / "timestep_embedding.safetensors")

    for folder in ("sd1_tiny", "sd2_tiny", "options_tiny"):
        config = json.loads((out / folder / "config.json").read_text())
        print(f"  {folder}: {sum(p.stat().st_size for p in (out / folder).iterdir())} bytes, "
              f"blocks {config['block_out_channels']}, heads {config['attention_head_dim']}")
