"""Replacement VAEs on the tiny SD 1.x model (`pipeline/sd15-tiny`), run through diffusers 0.42.1.

Writes `vae_swap/`:
- `kl/`: another tiny `AutoencoderKL` folder, the architecture of sd15-tiny's VAE with other random
  weights (`pipeline_models.rerandomize`, seed 1901) and another `scaling_factor` (0.5), saved in fp16
  (the reference loads it with `torch_dtype=float32`, so both sides compute in fp32 from the same
  fp16-rounded weights);
- `kl-ldm.safetensors`: the same fp16 weights as one file in the original LDM key layout without
  prefix (`encoder.down.0.block.0…`, `decoder.up.3…`, attention projections as 1×1 convolutions), as
  `vae-ft-mse-840000-ema-pruned.safetensors` is laid out; written with `pipeline_models.vae_to_ldm`
  (the inverse of diffusers' `convert_ldm_vae_checkpoint`) and checked by loading it back with
  `AutoencoderKL.from_single_file(…, config=sd15-tiny, subfolder="vae")`, which gives it the base
  model's config (so its scaling factor is sd15-tiny's 0.18215, not the folder's 0.5);
- `taesd/`: a tiny random `AutoencoderTiny` (8 channels per level, blocks 1-2-1-1 / 1-1-2-1, seed
  1902), saved in fp32, with `block_out_channels` removed from `config.json` as in the published TAESD
  configs (diffusers re-derives it from `decoder_block_out_channels`);
- `runs.json` + `runs.safetensors` (`<case>/latents`, diffusers' final latents) + `<case>.png`: seeded
  txt2img and img2img runs of `StableDiffusionPipeline.from_pretrained(sd15-tiny, vae=…)` /
  `StableDiffusionImg2ImgPipeline`, 3 steps, guidance 7.5, on `pipeline_runs/init-64.png`.
"""
import json
import pathlib

import torch
from PIL import Image
from safetensors.torch import save_file

from diffusers import (AutoencoderKL, AutoencoderTiny, EulerAncestralDiscreteScheduler, StableDiffusionImg2ImgPipeline,
                       StableDiffusionPipeline)

from ._common import seeded
from .pipeline_models import _assert_same, _state, rerandomize, vae_to_ldm

PROMPT = "a photo of an astronaut riding a horse on mars"
NEGATIVE = "blurry, low quality, watermark"
STEPS = 3
GUIDANCE = 7.5
SEED = 1234

CASES = [
    # name, vae, kind, scheduler, strength
    ("kl-txt2img", "kl", "txt2img", None, None),
    ("kl-img2img", "kl", "img2img", None, 0.75),
    ("ldm-txt2img", "ldm", "txt2img", None, None),
    ("ldm-img2img", "ldm", "img2img", "euler-a", 0.75),
    ("taesd-txt2img", "taesd", "txt2img", None, None),
    ("taesd-img2img", "taesd", "img2img", "euler-a", 0.75),
]


def write_kl(base: pathlib.Path, out: pathlib.Path):
    vae = AutoencoderKL.from_pretrained(str(base / "vae"))
    config = dict(vae.config)
    config["scaling_factor"] = 0.5
    fresh = AutoencoderKL.from_config(config)
    rerandomize(fresh, seeded(1901))
    fresh = fresh.to(torch.float16).eval()
    fresh.save_pretrained(str(out / "kl"), safe_serialization=True)
    state = _state(fresh)
    ldm = {k.removeprefix("first_stage_model."): v.contiguous() for k, v in vae_to_ldm(state, config).items()}
    save_file(ldm, str(out / "kl-ldm.safetensors"))
    loaded = AutoencoderKL.from_single_file(str(out / "kl-ldm.safetensors"), config=str(base), subfolder="vae",
                                            torch_dtype=torch.float16, local_files_only=True)
    _assert_same(_state(loaded), state, "kl-ldm.safetensors")
    assert loaded.config.scaling_factor == vae.config.scaling_factor


def write_taesd(out: pathlib.Path):
    torch.manual_seed(0)
    tiny = AutoencoderTiny(encoder_block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8),
                           num_encoder_blocks=(1, 2, 1, 1), num_decoder_blocks=(1, 1, 2, 1))
    rerandomize(tiny, seeded(1902))
    folder = out / "taesd"
    tiny.eval().save_pretrained(str(folder), safe_serialization=True)
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    config.pop("block_out_channels", None)
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def load_vae(kind: str, base: pathlib.Path, out: pathlib.Path):
    if kind == "kl":
        return AutoencoderKL.from_pretrained(str(out / "kl"), torch_dtype=torch.float32)
    if kind == "ldm":
        return AutoencoderKL.from_single_file(str(out / "kl-ldm.safetensors"), config=str(base), subfolder="vae",
                                              torch_dtype=torch.float32, local_files_only=True)
    tiny = AutoencoderTiny.from_pretrained(str(out / "taesd"), torch_dtype=torch.float32)
    assert list(tiny.config.block_out_channels) == [8, 8, 8, 8]
    return tiny


def generate(root: pathlib.Path):
    base = root / "pipeline" / "sd15-tiny"
    out = root / "vae_swap"
    out.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reductions in one order, whatever the machine
    try:
        write_kl(base, out)
        write_taesd(out)
        init = Image.open(root / "pipeline_runs" / "init-64.png").convert("RGB")
        tensors, manifest = {}, {"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": STEPS, "guidance": GUIDANCE,
                                 "seed": SEED, "init_image": "pipeline_runs/init-64.png", "cases": []}
        for name, kind, task, scheduler, strength in CASES:
            pipe = StableDiffusionPipeline.from_pretrained(str(base), vae=load_vae(kind, base, out), torch_dtype=torch.float32,
                                                           safety_checker=None, requires_safety_checker=False)
            if task == "img2img":
                pipe = StableDiffusionImg2ImgPipeline(**pipe.components)
            if scheduler == "euler-a":
                pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(pipe.scheduler.config)
            pipe.set_progress_bar_config(disable=True)
            kwargs = dict(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=STEPS, guidance_scale=GUIDANCE)
            if task == "img2img":
                kwargs.update(image=init, strength=strength)
            results = []
            for output_type in ("latent", "pil"):
                with torch.no_grad():
                    results.append(pipe(**kwargs, generator=seeded(SEED), output_type=output_type).images)
            tensors[f"{name}/latents"] = results[0].detach().to(torch.float32).contiguous()
            results[1][0].save(out / f"{name}.png")
            manifest["cases"].append(dict(name=name, vae=kind, kind=task, scheduler=scheduler, strength=strength,
                                          image=f"{name}.png"))
            print(f"   {name}: latents |max| {results[0].abs().max():.3f}", flush=True)
        save_file(tensors, str(out / "runs.safetensors"), metadata={"format": "pt"})
        (out / "runs.json").write_text(json.dumps(manifest, indent=1) + "\n")
    finally:
        torch.set_num_threads(threads)
