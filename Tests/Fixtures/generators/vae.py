"""VAE fixtures: two tiny random-weight `AutoencoderKL` models in Stable Diffusion's architecture and the
outputs diffusers computes from them.

Writes under `<root>/vae/`:
- `sd15-tiny/` (`config.json`, `diffusion_pytorch_model.safetensors`, fp32): SD 1.x structure (four
  DownEncoderBlock2D / UpDecoderBlock2D, layers_per_block 2, scaling_factor 0.18215) with tiny widths.
  `sample_size` 32 makes diffusers' own `enable_tiling()` use 32-pixel / 4-latent tiles.
- `sd21-tiny/` (`config.json`, `diffusion_pytorch_model.fp16.safetensors`, float16): an SD 2.x-like
  folder saved with `variant="fp16"`, layers_per_block 1, a different `scaling_factor` (0.13025) so a
  test proves it is read from the config. Its reference outputs are computed from the fp16-rounded
  weights widened to fp32, as the Swift side loads them.
- `sd15-tiny-reference.safetensors`, `sd21-tiny-reference.safetensors`: inputs and diffusers' outputs
  (all computed in float32):
  - `decode.latents` (as the UNet produces them, i.e. scaled) and `decode.image` =
    `vae.decode(latents / scaling_factor).sample`;
  - `encode.image`, `encode.mean`, `encode.logvar` (clamped, as DiagonalGaussianDistribution keeps it),
    `encode.noise` (= `torch.randn(mean.shape, generator=Generator().manual_seed(7))`, what
    `latent_dist.sample(generator)` draws), `encode.sample` (= `latent_dist.sample(generator)` with that
    generator), `encode.scaled_sample` (× scaling_factor, what img2img feeds the scheduler) and
    `encode.scaled_mode`;
  - sd15 only: `tiled_decode.latents` (in the VAE's own scale), `tiled_decode.image` =
    `vae.decode(latents).sample` with `enable_tiling()`, `tiled_decode.untiled_image` (the same
    latents decoded without tiling), and
    `tiled_encode.image`, `tiled_encode.moments` (tiled `_encode`: mean and logvar channels
    concatenated, before clamping), `tiled_encode.untiled_moments`.
"""
import json
import pathlib

import torch
from diffusers import AutoencoderKL

from ._common import save, seeded

NAME = "vae"


def _randomise(model: torch.nn.Module, seed: int) -> None:
    """Gives every parameter a non-trivial seeded value: weights uniform in ±1/√fan-in (like PyTorch's
    default init), norm scales around 1, biases small but nonzero."""
    generator = seeded(seed)
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            shape = parameter.shape
            if parameter.ndim == 1 and "norm" in name and name.endswith("weight"):
                value = 1 + 0.2 * torch.randn(shape, generator=generator)
            elif parameter.ndim == 1:
                value = 0.1 * torch.randn(shape, generator=generator)
            else:
                fan_in = parameter[0].numel()
                bound = 1.0 / fan_in ** 0.5
                value = (torch.rand(shape, generator=generator) * 2 - 1) * bound * 1.5
            parameter.copy_(value)


def _build(config: dict, seed: int) -> AutoencoderKL:
    torch.manual_seed(seed)
    vae = AutoencoderKL(**config)
    _randomise(vae, seed)
    return vae.eval()


def _encode_outputs(vae: AutoencoderKL, image: torch.Tensor, seed: int) -> dict:
    posterior = vae.encode(image).latent_dist
    noise = torch.randn(posterior.mean.shape, generator=seeded(seed))
    sample = posterior.sample(generator=seeded(seed))
    # The recorded noise must be exactly what sample() drew, or the Swift test would check nothing.
    assert torch.equal(sample, posterior.mean + posterior.std * noise)
    factor = vae.config.scaling_factor
    return {
        "encode.image": image,
        "encode.mean": posterior.mean,
        "encode.logvar": posterior.logvar,
        "encode.noise": noise,
        "encode.sample": sample,
        "encode.scaled_sample": factor * sample,
        "encode.scaled_mode": factor * posterior.mode(),
    }


def _decode_outputs(vae: AutoencoderKL, latents: torch.Tensor) -> dict:
    return {
        "decode.latents": latents,
        "decode.image": vae.decode(latents / vae.config.scaling_factor).sample,
    }


SD15_TINY = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=["DownEncoderBlock2D"] * 4,
    up_block_types=["UpDecoderBlock2D"] * 4,
    block_out_channels=[8, 16, 16, 16],
    layers_per_block=2,
    act_fn="silu",
    latent_channels=4,
    norm_num_groups=4,
    sample_size=32,
    scaling_factor=0.18215,
)

SD21_TINY = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=["DownEncoderBlock2D"] * 4,
    up_block_types=["UpDecoderBlock2D"] * 4,
    block_out_channels=[16, 32, 32, 32],
    layers_per_block=1,
    act_fn="silu",
    latent_channels=4,
    norm_num_groups=8,
    sample_size=64,
    scaling_factor=0.13025,
)


def generate(root: pathlib.Path) -> None:
    out = root / NAME
    torch.set_grad_enabled(False)

    # SD 1.x-like, fp32.
    vae = _build(SD15_TINY, seed=1)
    vae.save_pretrained(out / "sd15-tiny", safe_serialization=True)
    g = seeded(11)
    tensors = {}
    tensors |= _decode_outputs(vae, torch.randn(2, 4, 5, 7, generator=g))
    tensors |= _encode_outputs(vae, torch.rand(2, 3, 40, 56, generator=g) * 2 - 1, seed=7)

    # Tiled decode / encode with diffusers' own tiling (tiles of sample_size 32 px / 4 latents,
    # overlap factor 0.25). The tiled and untiled results differ: each tile has its own group-norm
    # statistics and attention; both are recorded.
    latents = torch.randn(1, 4, 10, 7, generator=g)
    image = torch.rand(1, 3, 80, 56, generator=g) * 2 - 1
    vae.disable_tiling()
    untiled_image = vae.decode(latents).sample
    untiled_moments = vae._encode(image)
    vae.enable_tiling()
    assert (vae.tile_sample_min_size, vae.tile_latent_min_size, vae.tile_overlap_factor) == (32, 4, 0.25)
    tensors |= {
        "tiled_decode.latents": latents,
        "tiled_decode.image": vae.decode(latents).sample,
        "tiled_decode.untiled_image": untiled_image,
        "tiled_encode.image": image,
        "tiled_encode.moments": vae._encode(image),
        "tiled_encode.untiled_moments": untiled_moments,
    }
    vae.disable_tiling()
    save(tensors, out / "sd15-tiny-reference.safetensors")
    d = (tensors["tiled_decode.image"] - untiled_image).abs()
    e = (tensors["tiled_encode.moments"] - untiled_moments).abs()
    print(f"  diffusers tiled vs untiled: decode max {d.max():.4f} mean {d.mean():.4f}; "
          f"encode max {e.max():.4f} mean {e.mean():.4f}")

    # SD 2.x-like, stored in float16; reference from the fp16-rounded weights in fp32.
    vae = _build(SD21_TINY, seed=2).half()
    vae.save_pretrained(out / "sd21-tiny", safe_serialization=True, variant="fp16")
    vae = vae.float()
    g = seeded(21)
    tensors = {}
    tensors |= _decode_outputs(vae, torch.randn(1, 4, 6, 9, generator=g))
    # Odd, non-square size: exercises the encoder's right/bottom-only padding.
    tensors |= _encode_outputs(vae, torch.rand(1, 3, 27, 45, generator=g) * 2 - 1, seed=8)
    save(tensors, out / "sd21-tiny-reference.safetensors")

    for name in ("sd15-tiny", "sd21-tiny"):
        config = json.loads((out / name / "config.json").read_text())
        print(f"  {name}: scaling_factor {config['scaling_factor']}, block_out_channels {config['block_out_channels']}")
