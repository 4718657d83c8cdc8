"""UNet inputs beyond the text context, recorded on the tiny SD 1.x-like UNet of `unet.py`
(`unet/sd1_tiny`, read back from the committed folder so both generators agree):

- ControlNet residuals: diffusers' `down_block_additional_residuals` (one per skip connection:
  `conv_in`'s output, each resnet/attention output and each downsample, 12 for this model) and
  `mid_block_additional_residual`, random, on batch-2 latents [2, 4, 8, 12] (a non-square size) at
  t = 421.
- Extra input channels: not recorded here; diffusers' inpainting pipeline concatenates them onto
  the latents before the UNet, which the Swift test checks against the model's own concatenated input.

Writes `unet/residual_cases.safetensors`: `latents`, `text`, `timestep`, `down_N`, `mid`, `output`
(with residuals) and `output_plain` (the same inputs without them, so the test also shows the
residuals changed the result).
"""
import pathlib

import torch
from diffusers import UNet2DConditionModel

from ._common import save, seeded


def generate(root: pathlib.Path) -> None:
    model = UNet2DConditionModel.from_pretrained(root / "unet" / "sd1_tiny").eval()
    generator = seeded(2024)
    latents = torch.randn(2, 4, 8, 12, generator=generator)
    text = torch.randn(2, 5, model.config.cross_attention_dim, generator=generator)
    timestep = torch.tensor(421.0)
    # Shapes of the skips, taken from a forward hook-free dry run of the down path.
    with torch.no_grad():
        emb = model.time_embedding(model.time_proj(timestep.expand(2)).to(torch.float32))
        sample = model.conv_in(latents)
        skips = [sample]
        for block in model.down_blocks:
            if getattr(block, "has_cross_attention", False):
                sample, res = block(hidden_states=sample, temb=emb, encoder_hidden_states=text)
            else:
                sample, res = block(hidden_states=sample, temb=emb)
            skips += list(res)
        mid_shape = model.mid_block(sample, emb, encoder_hidden_states=text).shape
    down = [0.5 * torch.randn(s.shape, generator=generator) for s in skips]
    mid = 0.5 * torch.randn(mid_shape, generator=generator)
    with torch.no_grad():
        output = model(latents, timestep, encoder_hidden_states=text,
                       down_block_additional_residuals=tuple(down), mid_block_additional_residual=mid).sample
        plain = model(latents, timestep, encoder_hidden_states=text).sample
    tensors = {"latents": latents, "text": text, "timestep": timestep.reshape(1), "mid": mid,
               "output": output, "output_plain": plain}
    tensors.update({f"down_{i}": d for i, d in enumerate(down)})
    save(tensors, root / "unet" / "residual_cases.safetensors")
