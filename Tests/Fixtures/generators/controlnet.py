"""Tiny ControlNets for the tiny SD 1.x pipeline, and diffusers' StableDiffusionControlNetPipeline runs.

Writes under `root/controlnet/`:

- `controlnet-a/`, `controlnet-b/`: diffusers `ControlNetModel` folders (config.json with
  `_class_name` ControlNetModel, fp16 `diffusion_pytorch_model.safetensors`, as most published
  ControlNets are). Both are `ControlNetModel.from_unet(unet)` of `pipeline/sd15-tiny/unet` with a
  small conditioning embedding (`conditioning_embedding_out_channels` (8, 8, 16, 16): four entries like
  the published (16, 32, 96, 256), so the original layout's `input_hint_block.0 … .14` numbering holds).
  `from_unet` zero-initialises the zero convolutions and the embedding's `conv_out`; they are
  re-randomised with a seeded generator (a different one per model) so the ControlNet's effect is visible.
- `control_a.safetensors`: controlnet-a in the original single-file layout of
  `control_v11p_sd15_canny.safetensors` (`control_model.` prefix, `input_blocks`, `middle_block`,
  `input_hint_block`, `zero_convs.N.0`, `middle_block_out.0`), fp16, verified to load back with
  `ControlNetModel.from_single_file(file, config=controlnet-a)` bit-identically.
- `control-edges.png` (64×64) and `control-shapes.png` (80×48): control images (drawn edges and
  filled shapes); `lanczos-WxH.png`: `control-shapes.png` resized by PIL (`Image.resize`, LANCZOS,
  as diffusers' `VaeImageProcessor` does) to several sizes.
- `residuals.safetensors`: one forward of controlnet-a (fp16 weights computed in fp32) on fixed inputs
  at conditioning scale 0.7: `input/latents`, `input/context`, `input/image`, `down.N`, `mid`.
- `runs.safetensors` + `cases.json` + `<case>.png`: seeded `StableDiffusionControlNetPipeline` runs on
  the sd15-tiny pipeline (final latents and PIL images).
"""
import json
import math
import pathlib
import shutil

import numpy as np
import torch
from PIL import Image, ImageDraw
from safetensors.torch import save_file

from ._common import seeded
from .pipeline_models import UNET_RESNET, _split_module, _unet_module_map

PROMPT = "a photo of an astronaut riding a horse on mars"
NEGATIVE = "blurry, low quality, watermark"
STEPS = 3
SEED = 1234
EMBEDDING_CHANNELS = (8, 8, 16, 16)


def rerandomize_zero_layers(controlnet, generator):
    """Fresh values for the layers `from_unet` zero-initialises (the conditioning embedding as a whole,
    the zero convolutions): weights with std 1/sqrt(fan-in), small biases."""
    with torch.no_grad():
        for name, p in sorted(controlnet.named_parameters()):
            if not name.startswith(("controlnet_cond_embedding.", "controlnet_down_blocks.", "controlnet_mid_block.")):
                continue
            noise = torch.randn(p.shape, generator=generator, dtype=torch.float32)
            value = 0.05 * noise if p.ndim == 1 else noise / math.sqrt(p[0].numel())
            p.copy_(value.to(p.dtype))


def controlnet_to_ldm(state, config):
    """diffusers ControlNetModel → original ControlNet layout (inverse of diffusers'
    `convert_controlnet_checkpoint`), under `control_model.`."""
    unet_like = dict(config, up_block_types=[])
    module_map = {k: v for k, v in _unet_module_map(unet_like).items()
                  if not k.startswith(("conv_norm_out", "conv_out", "up_blocks"))}
    blocks = len(config["conditioning_embedding_out_channels"])
    last = 2 * (2 * (blocks - 1) + 1)
    module_map["controlnet_cond_embedding.conv_in"] = ("input_hint_block.0", "plain")
    module_map["controlnet_cond_embedding.conv_out"] = (f"input_hint_block.{last}", "plain")
    for i in range(2 * (blocks - 1)):
        module_map[f"controlnet_cond_embedding.blocks.{i}"] = (f"input_hint_block.{2 * (i + 1)}", "plain")
    module_map["controlnet_mid_block"] = ("middle_block_out.0", "plain")
    out = {}
    for key, value in state.items():
        if key.startswith("controlnet_down_blocks."):
            index, param = key.split(".")[1:]
            out[f"control_model.zero_convs.{index}.0.{param}"] = value
            continue
        prefix, leaf = _split_module(key, module_map)
        ldm, kind = module_map[prefix]
        if kind == "resnet":
            layer, param = leaf.split(".")
            leaf = f"{UNET_RESNET[layer]}.{param}"
        out[f"control_model.{ldm}.{leaf}"] = value
    return out


def control_images(out):
    """Two control images: white edges on black (what a Canny preprocessor gives) and filled shapes
    at another size (resized by the pipeline)."""
    edges = Image.new("RGB", (64, 64), (0, 0, 0))
    d = ImageDraw.Draw(edges)
    d.ellipse((12, 10, 44, 42), outline=(255, 255, 255))
    d.line((4, 56, 60, 50), fill=(255, 255, 255))
    d.rectangle((40, 30, 58, 60), outline=(255, 255, 255))
    edges.save(out / "control-edges.png")
    shapes = Image.new("RGB", (80, 48), (20, 40, 90))
    d = ImageDraw.Draw(shapes)
    d.ellipse((5, 5, 40, 40), fill=(240, 200, 30))
    d.polygon([(50, 40), (70, 8), (78, 44)], fill=(200, 30, 60))
    d.line((0, 24, 80, 30), fill=(255, 255, 255), width=3)
    shapes.save(out / "control-shapes.png")
    return Image.open(out / "control-edges.png").convert("RGB"), Image.open(out / "control-shapes.png").convert("RGB")


def build(root, out):
    from diffusers import ControlNetModel, UNet2DConditionModel

    unet = UNet2DConditionModel.from_pretrained(str(root / "pipeline" / "sd15-tiny" / "unet"))
    for name, seed in (("controlnet-a", 101), ("controlnet-b", 202)):
        net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=EMBEDDING_CHANNELS)
        rerandomize_zero_layers(net, seeded(seed))
        net.half().save_pretrained(str(out / name), safe_serialization=True)
    folder_a = ControlNetModel.from_pretrained(str(out / "controlnet-a"), torch_dtype=torch.float16)
    state = {k: v.detach().clone().contiguous() for k, v in folder_a.state_dict().items()}
    ldm = controlnet_to_ldm(state, dict(folder_a.config))
    save_file(ldm, str(out / "control_a.safetensors"), metadata={"format": "pt"})
    single = ControlNetModel.from_single_file(str(out / "control_a.safetensors"), config=str(out / "controlnet-a"),
                                              torch_dtype=torch.float16, local_files_only=True)
    loaded = single.state_dict()
    assert set(loaded) == set(state), set(loaded) ^ set(state)
    for k, v in state.items():
        assert torch.equal(loaded[k], v), k


def residuals(out, edges):
    from diffusers import ControlNetModel

    net = ControlNetModel.from_pretrained(str(out / "controlnet-a"), torch_dtype=torch.float32)
    g = seeded(77)
    latents = torch.randn((2, 4, 8, 8), generator=g)
    context = torch.randn((2, 7, 32), generator=g)
    image = torch.from_numpy(np.array(edges).astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
    image = torch.cat([image, image.flip(-1)])
    with torch.no_grad():
        down, mid = net(latents, 481.0, encoder_hidden_states=context, controlnet_cond=image,
                        conditioning_scale=0.7, return_dict=False)
    tensors = {"input/latents": latents, "input/context": context, "input/image": image, "mid": mid}
    tensors.update({f"down.{i}": d for i, d in enumerate(down)})
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(out / "residuals.safetensors"),
              metadata={"timestep": "481", "scale": "0.7"})


def lanczos(out, shapes):
    # Pillow 13 resizes vertically first when the height shrinks much more than the width (its PR
    # #9549); the Swift resize always goes horizontal-first, so those sizes are not recorded.
    for w, h in ((64, 64), (33, 71), (80, 48)):
        shapes.resize((w, h), resample=Image.LANCZOS).save(out / f"lanczos-{w}x{h}.png")


CASES = [
    # name, nets (folder names), images, scales, start, end, guidance, extra pipeline arguments
    dict(name="one-scale1", nets=["controlnet-a"], images=["control-edges.png"], scales=[1.0]),
    dict(name="one-scale05", nets=["controlnet-a"], images=["control-edges.png"], scales=[0.5]),
    dict(name="two", nets=["controlnet-a", "controlnet-b"], images=["control-edges.png", "control-shapes.png"],
         scales=[1.0, 0.5], width=64, height=64),
    dict(name="window", nets=["controlnet-a"], images=["control-edges.png"], scales=[1.0], start=0.2, end=0.8),
    dict(name="unguided", nets=["controlnet-a"], images=["control-edges.png"], scales=[1.0], guidance=1.0),
    dict(name="size-from-image", nets=["controlnet-b"], images=["control-shapes.png"], scales=[0.8]),
]


def runs(root, out):
    from diffusers import ControlNetModel, StableDiffusionControlNetPipeline, StableDiffusionPipeline

    base = StableDiffusionPipeline.from_pretrained(str(root / "pipeline" / "sd15-tiny"), torch_dtype=torch.float32,
                                                   safety_checker=None, requires_safety_checker=False)
    nets = {name: ControlNetModel.from_pretrained(str(out / name), torch_dtype=torch.float32)
            for name in ("controlnet-a", "controlnet-b")}
    manifest = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": STEPS, "seed": SEED, "cases": []}
    tensors = {}
    for case in CASES:
        chosen = [nets[n] for n in case["nets"]]
        pipe = StableDiffusionControlNetPipeline(**base.components, controlnet=chosen[0] if len(chosen) == 1 else chosen)
        pipe.set_progress_bar_config(disable=True)
        images = [Image.open(out / f).convert("RGB") for f in case["images"]]
        n = len(chosen)
        start, end = case.get("start", 0.0), case.get("end", 1.0)
        kwargs = dict(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=STEPS,
                      guidance_scale=case.get("guidance", 7.5), image=images[0] if n == 1 else images,
                      controlnet_conditioning_scale=case["scales"][0] if n == 1 else case["scales"],
                      control_guidance_start=start if n == 1 else [start] * n,
                      control_guidance_end=end if n == 1 else [end] * n,
                      width=case.get("width"), height=case.get("height"))
        results = []
        for output_type in ("latent", "pil"):
            with torch.no_grad():
                results.append(pipe(**kwargs, generator=seeded(SEED), output_type=output_type).images)
        tensors[f"{case['name']}/latents"] = results[0].detach().to(torch.float32).contiguous()
        picture = results[1][0]
        picture.save(out / f"{case['name']}.png")
        # width/height: the output size; requested_*: what was passed (None: the control image's size).
        manifest["cases"].append(dict(case, start=start, end=end, guidance=case.get("guidance", 7.5),
                                      width=picture.width, height=picture.height,
                                      requested_width=case.get("width"), requested_height=case.get("height")))
        print(f"   {case['name']}: {picture.width}x{picture.height} latents |max| {results[0].abs().max():.3f}", flush=True)
    save_file(tensors, str(out / "runs.safetensors"), metadata={"format": "pt"})
    (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")


def generate(root: pathlib.Path):
    out = root / "controlnet"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reductions in one order, whatever the machine
    try:
        edges, shapes = control_images(out)
        build(root, out)
        residuals(out, edges)
        lanczos(out, shapes)
        runs(root, out)
    finally:
        torch.set_num_threads(threads)
