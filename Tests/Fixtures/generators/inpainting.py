"""Inpainting runs of diffusers' `StableDiffusionInpaintPipeline` on tiny models.

Writes under `root/inpainting/`:

- `sd15-inpaint-tiny/`: an SD 1.x-like inpainting model folder as published repos lay it out
  (`model_index.json` naming `StableDiffusionInpaintPipeline`): a new tiny UNet with
  `in_channels` 9 (sd15-tiny's UNet configuration otherwise: latents + mask + masked-image
  latents), stored with fp16 values to halve its size (loaded in float32 by both sides); its
  `text_encoder/`, `tokenizer/`, `vae/` and `scheduler/` link to `pipeline/sd15-tiny/`.
- `sd15-inpaint-tiny-unet.ldm.safetensors`: the same UNet in the original LDM layout
  (`model.diffusion_model.…`, fp16). A single-file inpainting checkpoint is this plus every
  non-UNet tensor of `pipeline/sd15-tiny.safetensors`; the Swift tests assemble it the same way
  (committing the whole file would cost 4 MB of duplicated text encoder).
- `init-64.png`, `init-64x48.png`: the init images (the second one non-square).
- `mask-rect-64.png` (gray, a hard rectangle whose edges are not on the 8-pixel latent grid),
  `mask-soft-64.png` (RGB, a blurred tinted disc: the grayscale conversion and the 0.5 threshold
  decide its edge), `mask-rect-64x48.png` (RGBA with a varying alpha, which diffusers ignores).
- `masks.safetensors`: `<mask file>/full` (diffusers' `mask_processor.preprocess` output) and
  `<mask file>/latent` (its nearest downsampling to the latent size), fp16.
- `cases.json`, `runs.safetensors` (`<case>/latents`, the final latents from `output_type="latent"`),
  and `<case>.png` / `<case>-<i>.png` (PIL output; left out for four cases to stay within the
  fixture budget, their latents are still compared).

Cases: the 9-channel folder, the ordinary 4-channel `pipeline/sd15-tiny` ("legacy" inpainting:
diffusers blends the noised original latents back after every step) and the single-file
checkpoint; DDIM, Euler a, DPM++ 2M and the model's own PNDM; strength 1.0 (pure noise start) and
below (noised init latents); hard and soft masks; 64×48; with and without a negative prompt; two
images per prompt; no guidance. Every run is seeded with `torch.Generator("cpu").manual_seed(seed)`:
the VAE posterior samples (init image when strength < 1 or for the legacy blend, then the masked
image, even where it goes unused) and the noise come from it in diffusers' order.
"""
import json
import os
import pathlib
import shutil
import tempfile

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter
from safetensors import safe_open
from safetensors.torch import save_file

from diffusers import StableDiffusionInpaintPipeline, UNet2DConditionModel

from ._common import seeded
from .pipeline_models import TINY, rerandomize, unet_to_ldm
from .pipeline_runs import SCHEDULERS, scheduler_for

PROMPT = "a red apple on a wooden table"
NEGATIVE = "blurry, low quality"
STEPS = 5
GUIDANCE = 7.5
SEED = 4321
MODEL = "sd15-inpaint-tiny"
LEGACY = "sd15-tiny"
SINGLE_FILE = "singlefile-sd15-inpaint-tiny"


def init_image(width: int, height: int) -> Image.Image:
    """Gradients, a disc and a bar: edges and flat areas, compresses well."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x, y = x / (width - 1), y / (height - 1)
    r = 0.2 + 0.6 * y
    g = 0.7 - 0.4 * x
    b = 0.3 + 0.5 * x * y
    disc = (x - 0.35) ** 2 + (y - 0.55) ** 2 < 0.05
    r[disc], g[disc], b[disc] = 0.9, 0.2, 0.15
    bar = (x > 0.7) & (x < 0.8)
    r[bar], g[bar], b[bar] = 0.95, 0.95, 0.9
    pixels = np.stack([r, g, b], axis=-1)
    return Image.fromarray(np.round(np.clip(pixels, 0, 1) * 255).astype(np.uint8), "RGB")


def rect_mask(width: int, height: int, box, mode: str) -> Image.Image:
    gray = Image.new("L", (width, height), 0)
    ImageDraw.Draw(gray).rectangle(box, fill=255)
    if mode == "L":
        return gray
    # RGBA: white rectangle on black, alpha varying across the image (diffusers' convert("L") drops it).
    alpha = Image.fromarray(np.tile(np.linspace(40, 255, width).astype(np.uint8), (height, 1)), "L")
    rgba = Image.merge("RGBA", (gray, gray, gray, alpha))
    return rgba


def soft_mask(side: int) -> Image.Image:
    """A disc blurred with a Gaussian, tinted so the channels differ (luma decides)."""
    disc = Image.new("L", (side, side), 0)
    ImageDraw.Draw(disc).ellipse((18, 14, 50, 46), fill=255)
    blurred = np.asarray(disc.filter(ImageFilter.GaussianBlur(5)), dtype=np.float32)
    rgb = np.stack([blurred, blurred * 0.9, np.minimum(blurred * 1.3, 255)], axis=-1)
    return Image.fromarray(np.round(rgb).astype(np.uint8), "RGB")


def build_model(root: pathlib.Path, out: pathlib.Path):
    """The 9-channel folder and its LDM-layout UNet."""
    config = dict(TINY["sd15"]["unet"], in_channels=9)
    unet = UNet2DConditionModel(**config)
    rerandomize(unet, seeded(1609))
    unet = unet.to(torch.float16).eval()
    folder = out / MODEL
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    unet.save_pretrained(str(folder / "unet"), safe_serialization=True)
    for component in ("text_encoder", "tokenizer", "vae", "scheduler"):
        (folder / component).symlink_to(pathlib.Path("..") / ".." / "pipeline" / LEGACY / component)
    index = json.loads((root / "pipeline" / LEGACY / "model_index.json").read_text())
    index["_class_name"] = "StableDiffusionInpaintPipeline"
    (folder / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    ldm = {k: v.to(torch.float16).contiguous() for k, v in unet_to_ldm(unet.state_dict(), config).items()}
    save_file(ldm, str(out / f"{MODEL}-unet.ldm.safetensors"), metadata={"format": "pt"})
    return {k: v.detach().clone() for k, v in unet.state_dict().items()}


def single_file(root: pathlib.Path, out: pathlib.Path, directory: pathlib.Path) -> pathlib.Path:
    """sd15-tiny.safetensors with its UNet replaced by the 9-channel one (what the Swift tests build)."""
    tensors = {}
    with safe_open(str(root / "pipeline" / f"{LEGACY}.safetensors"), "pt") as f:
        for key in f.keys():
            if not key.startswith("model.diffusion_model."):
                tensors[key] = f.get_tensor(key)
    with safe_open(str(out / f"{MODEL}-unet.ldm.safetensors"), "pt") as f:
        for key in f.keys():
            tensors[key] = f.get_tensor(key)
    path = directory / f"{SINGLE_FILE}.safetensors"
    save_file(tensors, str(path), metadata={"format": "pt"})
    return path


def load(root, out, name, single_file_path=None):
    common = dict(torch_dtype=torch.float32, safety_checker=None, requires_safety_checker=False)
    if single_file_path is not None:
        pipe = StableDiffusionInpaintPipeline.from_single_file(str(single_file_path), config=str(out / MODEL),
                                                               local_files_only=True, **common)
    else:
        folder = out / MODEL if name == MODEL else root / "pipeline" / name
        pipe = StableDiffusionInpaintPipeline.from_pretrained(str(folder), **common)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def cases():
    c = []
    for scheduler in ("ddim", "euler-a", "dpm++2m"):
        c.append(dict(name=f"inpaint-{scheduler}-rect", model=MODEL, scheduler=scheduler, mask="mask-rect-64.png",
                      init="init-64.png", strength=1.0))
        c.append(dict(name=f"inpaint-{scheduler}-soft-strength0.6", model=MODEL, scheduler=scheduler,
                      mask="mask-soft-64.png", init="init-64.png", strength=0.6, png=scheduler == "euler-a"))
    c += [
        dict(name="inpaint-default-64x48-strength0.75", model=MODEL, scheduler=None, mask="mask-rect-64x48.png",
             init="init-64x48.png", strength=0.75),
        dict(name="inpaint-euler-a-2images-nonegative", model=MODEL, scheduler="euler-a", mask="mask-soft-64.png",
             init="init-64.png", strength=1.0, images=2, negative=None, png=False),
        dict(name="inpaint-ddim-unguided-strength0.8", model=MODEL, scheduler="ddim", mask="mask-rect-64.png",
             init="init-64.png", strength=0.8, guidance=1.0),
        dict(name="legacy-ddim-rect", model=LEGACY, scheduler="ddim", mask="mask-rect-64.png", init="init-64.png",
             strength=1.0),
        dict(name="legacy-euler-a-soft-strength0.7", model=LEGACY, scheduler="euler-a", mask="mask-soft-64.png",
             init="init-64.png", strength=0.7, png=False),
        dict(name="legacy-dpm++2m-64x48-strength0.6", model=LEGACY, scheduler="dpm++2m", mask="mask-rect-64x48.png",
             init="init-64x48.png", strength=0.6),
        dict(name=f"{SINGLE_FILE}-euler-a", model=SINGLE_FILE, scheduler="euler-a", mask="mask-rect-64.png",
             init="init-64.png", strength=1.0),
    ]
    return c


def run_case(pipe, default, case, out, tensors):
    images = case.get("images", 1)
    init = Image.open(out / case["init"]).convert("RGB")
    # The init image's size, given explicitly: without it the inpainting pipeline takes the UNet's
    # default size and resizes image and mask to it.
    kwargs = dict(prompt=PROMPT, negative_prompt=case.get("negative", NEGATIVE), width=init.width, height=init.height,
                  image=init, mask_image=Image.open(out / case["mask"]),
                  strength=case["strength"], num_inference_steps=STEPS, guidance_scale=case.get("guidance", GUIDANCE),
                  num_images_per_prompt=images)
    results = []
    for output_type in ("latent", "pil"):
        pipe.scheduler = scheduler_for(default, case["scheduler"])
        with torch.no_grad():
            results.append(pipe(**kwargs, generator=seeded(SEED), output_type=output_type).images)
    latents, pictures = results
    tensors[f"{case['name']}/latents"] = latents.detach().to(torch.float32).contiguous()
    return pictures


def processed_masks(pipe, out):
    """Each mask as the pipeline prepares it: `mask_processor.preprocess` (gray, 0…1, binarized) and
    the nearest downsampling of `prepare_mask_latents`, stored as fp16 (0 and 1 are exact)."""
    tensors = {}
    for name in ("mask-rect-64.png", "mask-soft-64.png", "mask-rect-64x48.png"):
        mask = Image.open(out / name)
        condition = pipe.mask_processor.preprocess(mask, height=mask.height, width=mask.width)
        factor = pipe.vae_scale_factor
        latent = torch.nn.functional.interpolate(condition, size=(mask.height // factor, mask.width // factor))
        tensors[f"{name}/full"] = condition.to(torch.float16).contiguous()
        tensors[f"{name}/latent"] = latent.to(torch.float16).contiguous()
    return tensors


def generate(root: pathlib.Path):
    from .single_file_recipes import ensure_single_file
    for name in ("sd15-tiny", "sd2-tiny"):
        ensure_single_file(root, name)  # not committed: assembled from its recipe on a fresh clone
    out = root / "inpainting"
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reductions in one order, whatever the machine
    try:
        write(root, out)
    finally:
        torch.set_num_threads(threads)


def write(root: pathlib.Path, out: pathlib.Path):
    state = build_model(root, out)
    init_image(64, 64).save(out / "init-64.png")
    init_image(64, 48).save(out / "init-64x48.png")
    rect_mask(64, 64, (13, 20, 44, 49), "L").save(out / "mask-rect-64.png")
    soft_mask(64).save(out / "mask-soft-64.png")
    rect_mask(64, 48, (29, 5, 58, 37), "RGBA").save(out / "mask-rect-64x48.png")

    manifest = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": STEPS, "seed": SEED, "cases": []}
    tensors = {}
    with tempfile.TemporaryDirectory() as scratch:
        path = single_file(root, out, pathlib.Path(scratch))
        pipes = {MODEL: load(root, out, MODEL), LEGACY: load(root, out, LEGACY),
                 SINGLE_FILE: load(root, out, SINGLE_FILE, single_file_path=path)}
        # The folder loads back exactly (fp16 values widened to float32).
        loaded = pipes[MODEL].unet.state_dict()
        assert all(torch.equal(loaded[k], v.to(torch.float32)) for k, v in state.items())
        assert pipes[MODEL].unet.config.in_channels == 9 and pipes[SINGLE_FILE].unet.config.in_channels == 9
        single_state = pipes[SINGLE_FILE].unet.state_dict()
        assert all(torch.equal(single_state[k], v.to(torch.float32)) for k, v in state.items())
        defaults = {name: pipe.scheduler for name, pipe in pipes.items()}
        for case in cases():
            pipe = pipes[case["model"]]
            pictures = run_case(pipe, defaults[case["model"]], case, out, tensors)
            files = [f"{case['name']}.png"] if len(pictures) == 1 else [f"{case['name']}-{i}.png" for i in range(len(pictures))]
            if not case.get("png", True):
                files = []  # latents only: the decoder is checked by the other cases (fixture budget)
            for picture, file in zip(pictures, files):
                picture.save(out / file, optimize=True)
            manifest["cases"].append(dict(
                name=case["name"], model=case["model"], scheduler=case["scheduler"], init_image=case["init"],
                mask_image=case["mask"], strength=case["strength"], guidance=case.get("guidance", GUIDANCE),
                negative_prompt=case.get("negative", NEGATIVE), images=case.get("images", 1), image_files=files,
                width=pictures[0].width, height=pictures[0].height, seed=SEED,
                single_file=case["model"] == SINGLE_FILE))
            print(f"   {case['name']}: latents |max| {tensors[case['name'] + '/latents'].abs().max():.3f}", flush=True)
    save_file(tensors, str(out / "runs.safetensors"), metadata={"format": "pt"})
    save_file(processed_masks(pipes[MODEL], out), str(out / "masks.safetensors"), metadata={"format": "pt"})
    (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")
