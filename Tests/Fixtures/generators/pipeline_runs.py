"""End-to-end runs of diffusers' Stable Diffusion pipelines on the tiny fixture models.

Reads the folders `pipeline_models` wrote (`pipeline/sd15-tiny/`, fp32; `pipeline/sd2-tiny/`, fp16
variant files loaded with `torch_dtype=torch.float32`, so the reference computes in fp32 from the
fp16-rounded weights exactly as the Swift side does) and records, for every case, diffusers' final
latents (`output_type="latent"`) and its decoded images (PIL output, saved as PNG).

Cases (the manifest `pipeline_runs/cases.json` lists them with every parameter):
- `txt2img-<model>-<scheduler>`: each of the 11 CLI scheduler names (mirroring
  Sources/Schedulers/Configuration/SchedulerName.swift: the class built `from_config(pipe.scheduler.config)`
  plus the name's own options), fixed initial latents, a prompt and a negative prompt, guidance 7.5.
  Every run also gets `generator=torch.Generator("cpu").manual_seed(seed)`, which only the stochastic
  schedulers (euler-a, ddpm, lcm) draw from.
- `seeded-<model>-…`: no initial latents; the pipeline draws them from the seeded generator, with the
  default scheduler, euler-a and ddpm, two images per prompt, no guidance (scale 1) and clip skip 1.
- `img2img-<model>-…`: `StableDiffusionImg2ImgPipeline` built from the same components on a committed
  init image, seeded (the VAE posterior sample, then the added noise, from the one generator).

diffusers 0.42.1 applies `clip_skip` to the prompt only: the negative prompt is always encoded with the
last layer (`encode_prompt`'s negative branch takes `text_encoder(...)[0]`); the Swift pipeline does the
same. (With transformers 5, diffusers' clip-skip branch needs an alias, see `generate`.)

Files: `cases.json`; `<model>.safetensors` with `<case>/latents` (the final latents, float32) and,
for the fixed-latent cases, `<case>/initial_latents`; `<case>.png` (one image) or `<case>-<i>.png`;
`init-64.png` / `init-32.png`, the img2img inputs.

`singlefile-sd15-tiny-…`: the fp16 single-file export `pipeline/sd15-tiny.safetensors` loaded with
`from_single_file(file, config="pipeline/sd15-tiny")` (its weights are the folder's rounded to fp16, so
its runs differ from the folder's). The fp16 `sd2-tiny.safetensors` holds exactly the fp16 folder's
weights, so the Swift tests compare it with the folder directly (bit-identical latents).
"""
import json
import pathlib

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

from diffusers import (
    DDIMScheduler,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    HeunDiscreteScheduler,
    LCMScheduler,
    LMSDiscreteScheduler,
    PNDMScheduler,
    StableDiffusionImg2ImgPipeline,
    StableDiffusionPipeline,
    UniPCMultistepScheduler,
)

from ._common import seeded

# CLI name -> (diffusers class, options the name itself sets). Must agree with SchedulerName.swift.
SCHEDULERS = {
    "ddim": (DDIMScheduler, {}),
    "pndm": (PNDMScheduler, {}),
    "euler": (EulerDiscreteScheduler, {}),
    "euler-a": (EulerAncestralDiscreteScheduler, {}),
    "lms": (LMSDiscreteScheduler, {}),
    "heun": (HeunDiscreteScheduler, {}),
    "dpm++2m": (DPMSolverMultistepScheduler, {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": False}),
    "dpm++2m-karras": (DPMSolverMultistepScheduler, {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True}),
    "ddpm": (DDPMScheduler, {}),
    "unipc": (UniPCMultistepScheduler, {}),
    "lcm": (LCMScheduler, {}),
}

MODELS = {
    # name -> (from_pretrained variant, init image side)
    "sd15-tiny": (None, 64),
    "sd2-tiny": ("fp16", 32),
    "sdturbo-tiny": ("fp16", 32),  # SD-Turbo's published layout and scheduler on sd2-tiny's weights
}

PROMPT = "a photo of an astronaut riding a horse on mars"
NEGATIVE = "blurry, low quality, watermark"
STEPS = 5
GUIDANCE = 7.5
LATENT_SEED = 4242  # the fixed initial latents
STEP_SEED = 7  # the generator given to fixed-latent runs (drawn from by stochastic schedulers only)
SEED = 1234  # seeded runs


def init_image(side: int) -> Image.Image:
    """A smooth picture with edges: colour gradients, a disc and a bar (a random-looking image would
    be a poor img2img input and compress badly)."""
    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / (side - 1)
    r = 0.8 * x + 0.2 * y
    g = 0.3 + 0.5 * y * (1 - x)
    b = 0.9 - 0.6 * y
    disc = (x - 0.6) ** 2 + (y - 0.4) ** 2 < 0.06
    r[disc], g[disc], b[disc] = 0.95, 0.85, 0.2
    bar = (y > 0.75) & (y < 0.85)
    r[bar], g[bar], b[bar] = 0.1, 0.1, 0.15
    pixels = np.stack([r, g, b], axis=-1)
    return Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8), "RGB")


def scheduler_for(default, name):
    """A fresh scheduler (a used one keeps img2img's begin index): the model's own class, or a named one."""
    if name is None:
        return type(default).from_config(default.config)
    cls, options = SCHEDULERS[name]
    return cls.from_config(default.config, **options)


def txt2img_cases(model):
    cases = []
    for name in SCHEDULERS:
        cases.append(dict(name=f"txt2img-{model}-{name}", kind="txt2img", scheduler=name, seed=STEP_SEED,
                          fixed_latents=True))
    cases += [
        dict(name=f"seeded-{model}-default", kind="txt2img", scheduler=None, seed=SEED),
        dict(name=f"seeded-{model}-euler-a-2images", kind="txt2img", scheduler="euler-a", seed=SEED, images=2),
        dict(name=f"seeded-{model}-ddpm", kind="txt2img", scheduler="ddpm", seed=SEED),
        dict(name=f"seeded-{model}-default-unguided", kind="txt2img", scheduler=None, seed=SEED, guidance=1.0),
        dict(name=f"seeded-{model}-euler-a-clipskip1", kind="txt2img", scheduler="euler-a", seed=SEED, clip_skip=1),
        dict(name=f"seeded-{model}-default-clipskip1-unguided", kind="txt2img", scheduler=None, seed=SEED + 1,
             clip_skip=1, guidance=1.0),
        dict(name=f"img2img-{model}-default", kind="img2img", scheduler=None, seed=SEED, strength=0.6),
        dict(name=f"img2img-{model}-euler-a", kind="img2img", scheduler="euler-a", seed=SEED, strength=0.75),
        dict(name=f"img2img-{model}-dpm++2m-2images", kind="img2img", scheduler="dpm++2m", seed=SEED + 2,
             strength=0.7, images=2),
    ]
    return cases


def run_case(pipe, img2img, default, case, latent_shape, init, tensors):
    images = case.get("images", 1)
    guidance = case.get("guidance", GUIDANCE)
    clip_skip = case.get("clip_skip")
    kwargs = dict(num_inference_steps=case.get("steps", STEPS), guidance_scale=guidance, num_images_per_prompt=images)
    kwargs.update(prompt=PROMPT, negative_prompt=NEGATIVE, clip_skip=clip_skip)
    target = img2img if case["kind"] == "img2img" else pipe
    target.scheduler = scheduler_for(default, case["scheduler"])
    if case["kind"] == "img2img":
        kwargs.update(image=init, strength=case["strength"])
    elif case.get("fixed_latents"):
        latents = torch.randn((images, *latent_shape), generator=seeded(LATENT_SEED), dtype=torch.float32)
        tensors[f"{case['name']}/initial_latents"] = latents.clone()
        kwargs.update(latents=latents)
    results = []
    for output_type in ("latent", "pil"):
        with torch.no_grad():
            out = target(**kwargs, generator=seeded(case["seed"]), output_type=output_type)
        results.append(out.images)
    latents, pictures = results
    tensors[f"{case['name']}/latents"] = latents.detach().to(torch.float32).contiguous()
    return pictures


def load(root, model, variant, single_file):
    folder = root / "pipeline" / model
    common = dict(torch_dtype=torch.float32, safety_checker=None, requires_safety_checker=False)
    if single_file:
        pipe = StableDiffusionPipeline.from_single_file(str(root / "pipeline" / f"{model}.safetensors"),
                                                        config=str(folder), local_files_only=True, **common)
    else:
        pipe = StableDiffusionPipeline.from_pretrained(str(folder), variant=variant, **common)
    pipe.set_progress_bar_config(disable=True)
    # diffusers 0.42.1's clip-skip branch reads `text_encoder.text_model.final_layer_norm`, which
    # transformers 5 moved to `text_encoder.final_layer_norm`: an alias (not a registered submodule)
    # lets diffusers' own code run unchanged.
    if not hasattr(pipe.text_encoder, "text_model"):
        object.__setattr__(pipe.text_encoder, "text_model", pipe.text_encoder)
    return pipe


def turbo_cases(model):
    """SD-Turbo as published: its own scheduler (Euler, trailing timesteps), 1–4 steps, no guidance."""
    return [
        dict(name=f"turbo-{model}-1step", kind="txt2img", scheduler=None, seed=SEED, guidance=0.0, steps=1),
        dict(name=f"turbo-{model}-4steps", kind="txt2img", scheduler=None, seed=SEED + 3, guidance=0.0, steps=4),
        dict(name=f"turbo-{model}-img2img", kind="img2img", scheduler=None, seed=SEED, guidance=0.0, steps=2,
             strength=0.5),
    ]


def single_file_cases(model):
    """The fp16 SD 1.x file loaded with the fp32 folder's configs computes from fp16-rounded weights,
    so it gets its own reference runs (diffusers' `from_single_file(file, config=folder)`)."""
    return [
        dict(name=f"singlefile-{model}-euler", kind="txt2img", scheduler="euler", seed=STEP_SEED, fixed_latents=True),
        dict(name=f"singlefile-{model}-default", kind="txt2img", scheduler=None, seed=SEED),
        dict(name=f"singlefile-{model}-img2img-euler-a", kind="img2img", scheduler="euler-a", seed=SEED, strength=0.75),
    ]


def generate(root: pathlib.Path):
    from .single_file_recipes import ensure_single_file
    for name in ("sd15-tiny", "sd2-tiny"):
        ensure_single_file(root, name)  # not committed: assembled from its recipe on a fresh clone
    out = root / "pipeline_runs"
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        stale.unlink()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reductions in one order, whatever the machine
    try:
        write_runs(root, out)
    finally:
        torch.set_num_threads(threads)  # the generators after this one keep their setting


def write_runs(root: pathlib.Path, out: pathlib.Path):
    manifest = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": STEPS, "cases": []}
    sources = [(model, False, turbo_cases(model) if model.startswith("sdturbo") else txt2img_cases(model))
               for model in MODELS]
    sources.append(("sd15-tiny", True, single_file_cases("sd15-tiny")))
    tensors_by_model = {model: {} for model in MODELS}
    for model, single_file, cases in sources:
        variant, side = MODELS[model]
        pipe = load(root, model, variant, single_file)
        default = pipe.scheduler
        img2img = StableDiffusionImg2ImgPipeline(**pipe.components)
        img2img.set_progress_bar_config(disable=True)
        init_name = f"init-{side}.png"
        if not (out / init_name).exists():
            init_image(side).save(out / init_name)
        init = Image.open(out / init_name).convert("RGB")
        factor = pipe.vae_scale_factor
        default_side = pipe.unet.config.sample_size * factor
        latent_shape = (pipe.unet.config.in_channels, default_side // factor, default_side // factor)
        tensors = tensors_by_model[model]
        for case in cases:
            pictures = run_case(pipe, img2img, default, case, latent_shape, init, tensors)
            files = [f"{case['name']}.png"] if len(pictures) == 1 else [f"{case['name']}-{i}.png" for i in range(len(pictures))]
            for picture, file in zip(pictures, files):
                picture.save(out / file)
            entry = dict(model=model, variant=variant, single_file=single_file, guidance=case.get("guidance", GUIDANCE),
                         images=case.get("images", 1), clip_skip=case.get("clip_skip"), steps=case.get("steps"),
                         strength=case.get("strength"), init_image=init_name if case["kind"] == "img2img" else None,
                         image_files=files,
                         fixed_latents=case.get("fixed_latents", False), width=pictures[0].width,
                         height=pictures[0].height,
                         **{k: case[k] for k in ("name", "kind", "scheduler", "seed")})
            manifest["cases"].append(entry)
            print(f"   {case['name']}: latents |max| {tensors[case['name'] + '/latents'].abs().max():.3f}", flush=True)
    for model, tensors in tensors_by_model.items():
        save_file(tensors, str(out / f"{model}.safetensors"), metadata={"format": "pt"})
    (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")
