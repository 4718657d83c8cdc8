"""SDXL fixtures: a tiny random SDXL-like `StableDiffusionXLPipeline` folder and layer-level references.

Writes `pipeline/sdxl-tiny/`, a diffusers folder as `save_pretrained` lays it out, reusing what the SD 1.x /
2.x fixtures already hold instead of new copies (the fixtures budget is tight, and a 49408-token vocabulary
costs 49408 × width values per text encoder):
- `text_encoder/` → `../sd15-tiny/text_encoder` (CLIPTextModel, 32 wide, 3 layers, quick_gelu, fp32) and
  `tokenizer/` → `../sd15-tiny/tokenizer` (pads with `<|endoftext|>`), symbolic links;
- `tokenizer_2/` → `../sd2-tiny/tokenizer` (the same vocabulary, pads with `!`, as SDXL's `tokenizer_2`);
- `text_encoder_2/`: a new `CLIPTextModelWithProjection` (16 wide, 2 layers, 2 heads, gelu, projection 16,
  `eos_token_id` 2 as SDXL's published config has, so the pooled token is the argmax id), fp16 variant file
  only, tensors under `text_model.` plus `text_projection.weight`;
- `unet/`: a new SDXL-like `UNet2DConditionModel` (levels: DownBlock2D then two CrossAttnDownBlock2D,
  one resnet per level, per-level transformer depths [1, 1, 2], head counts [2, 2, 4], linear projections, cross-attention width
  48 = 32 + 16, `text_time` with 8-wide time-id embeddings and a 16 + 6 · 8 = 64-wide `add_embedding` input),
  fp16 variant file only;
- `vae/`: sd15-tiny's weights (linked file) with SDXL's `scaling_factor` 0.13025 in its own `config.json`;
- `scheduler/`: SDXL base's published `scheduler_config.json` (EulerDiscreteScheduler, leading spacing);
- `model_index.json`: `StableDiffusionXLPipeline`, `force_zeros_for_empty_prompt` true.

Writes `sdxl/` references:
- `unet_cases.safetensors`: the folder's UNet (fp16 weights computed in float32) on batch-2 latents with
  text, pooled embeddings and time ids (6 ids, and a refiner-style 5-id input is rejected, not recorded):
  per case `latents_N`, `text_N`, `pooled_N`, `time_ids_N`, `output_N`, and `timesteps`.
- `text_encoder_cases.safetensors`: token ids from the real tokenizers for a few prompts (`ids1`, `ids2`),
  then for encoder 1 `hidden1_m2` (= `hidden_states[-2]`) and for encoder 2 `hidden2_m2`, `hidden2_m3`
  (`hidden_states[-3]`, clip skip 1) and `pooled2` (`text_embeds`).
- `runs/`: `StableDiffusionXLPipeline` / `StableDiffusionXLImg2ImgPipeline` runs on the folder (see `run_cases`):
  `cases.json` (every parameter, `negative_prompt` null meaning none given), `latents.safetensors`
  (`<case>/latents`, `<case>/initial_latents`), `<case>.png` / `<case>-<i>.png`, `init-64.png`.
"""
import json
import pathlib
import shutil

import torch
from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from ._common import save, seeded
from .pipeline_models import rerandomize

SDXL_SCHEDULER = {  # stabilityai/stable-diffusion-xl-base-1.0/scheduler/scheduler_config.json, as published
    "_class_name": "EulerDiscreteScheduler",
    "_diffusers_version": "0.19.0.dev0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
    "use_karras_sigmas": False,
}

UNET = dict(
    sample_size=8,
    in_channels=4,
    out_channels=4,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    block_out_channels=(8, 16, 16),
    layers_per_block=1,
    transformer_layers_per_block=[1, 1, 2],
    attention_head_dim=[2, 2, 4],
    cross_attention_dim=48,
    use_linear_projection=True,
    addition_embed_type="text_time",
    addition_time_embed_dim=8,
    projection_class_embeddings_input_dim=16 + 6 * 8,
    norm_num_groups=4,
    norm_eps=1e-5,
    flip_sin_to_cos=True,
    freq_shift=0,
)

TEXT_ENCODER_2 = dict(
    vocab_size=49408,
    hidden_size=16,
    intermediate_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    max_position_embeddings=77,
    hidden_act="gelu",
    projection_dim=16,
    bos_token_id=0,
    eos_token_id=2,
    pad_token_id=1,
)

PROMPTS = [
    "a photograph of an astronaut riding a horse",
    "wow!! a cat!",
    "",
    "hello!world, !",
]

# (latent shape, timestep, time ids per batch entry): square, non-square with an odd side, fractional t.
UNET_CASES = [
    ([2, 4, 8, 8], 999, [[64, 64, 0, 0, 64, 64], [64, 64, 0, 0, 64, 64]]),
    ([2, 4, 6, 10], 541.25, [[48, 80, 0, 0, 48, 80], [1024, 768, 16, 32, 48, 80]]),
    ([2, 4, 7, 5], 1, [[56, 40, 3, 5, 56, 40], [56, 40, 0, 0, 56, 40]]),
]


def link(path: pathlib.Path, target: str) -> None:
    path.symlink_to(target)


def build_folder(folder: pathlib.Path, sd15: pathlib.Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    generator = seeded(1717)

    unet = UNet2DConditionModel(**UNET)
    rerandomize(unet, generator)
    unet.half().save_pretrained(str(folder / "unet"), variant="fp16", safe_serialization=True)

    text2 = CLIPTextModelWithProjection(CLIPTextConfig(**TEXT_ENCODER_2))
    rerandomize(text2, generator)
    text2.half().save_pretrained(str(folder / "text_encoder_2"), variant="fp16", safe_serialization=True)
    # transformers 5 writes `text_model.`-prefixed names for the projection model already; check.
    from safetensors import safe_open
    with safe_open(str(folder / "text_encoder_2" / "model.fp16.safetensors"), "pt") as f:
        names = list(f.keys())
    assert "text_projection.weight" in names and all(n.startswith("text_model.") or n == "text_projection.weight"
                                                     for n in names), names

    link(folder / "text_encoder", "../sd15-tiny/text_encoder")
    link(folder / "tokenizer", "../sd15-tiny/tokenizer")
    link(folder / "tokenizer_2", "../sd2-tiny/tokenizer")
    (folder / "vae").mkdir()
    vae_config = json.loads((sd15 / "vae" / "config.json").read_text())
    vae_config["scaling_factor"] = 0.13025
    (folder / "vae" / "config.json").write_text(json.dumps(vae_config, indent=2, sort_keys=True) + "\n")
    link(folder / "vae" / "diffusion_pytorch_model.safetensors", "../../sd15-tiny/vae/diffusion_pytorch_model.safetensors")
    (folder / "scheduler").mkdir()
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps(SDXL_SCHEDULER, indent=2) + "\n")
    index = {
        "_class_name": "StableDiffusionXLPipeline",
        "_diffusers_version": "0.42.1",
        "feature_extractor": [None, None],
        "force_zeros_for_empty_prompt": True,
        "image_encoder": [None, None],
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    (folder / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


SDXL_TURBO_SCHEDULER = {  # stabilityai/sdxl-turbo/scheduler/scheduler_config.json, as published
    "_class_name": "EulerAncestralDiscreteScheduler",
    "_diffusers_version": "0.24.0.dev0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "trailing",
    "trained_betas": None,
    "use_karras_sigmas": False,
}


def build_turbo_folder(out: pathlib.Path) -> pathlib.Path:
    """`sdxlturbo-tiny/`: SDXL-Turbo's published layout (the SDXL architecture, Euler ancestral with trailing
    timesteps) on sdxl-tiny's weights, which its component folders link to."""
    folder = out / "sdxlturbo-tiny"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "scheduler").mkdir(parents=True)
    for component in ("text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "vae"):
        link(folder / component, f"../sdxl-tiny/{component}")
    index = json.loads((out / "sdxl-tiny" / "model_index.json").read_text())
    index["scheduler"] = ["diffusers", "EulerAncestralDiscreteScheduler"]
    (folder / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps(SDXL_TURBO_SCHEDULER, indent=2) + "\n")
    return folder


REFINER_UNET = dict(UNET,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    block_out_channels=(8, 16, 16, 16),
    transformer_layers_per_block=[1, 1, 2, 1],
    attention_head_dim=[2, 2, 4, 4],
    cross_attention_dim=16,  # encoder 2 only
    projection_class_embeddings_input_dim=16 + 5 * 8,  # pooled + 5 ids (size, crop, aesthetic score)
)


def build_refiner_folder(out: pathlib.Path) -> pathlib.Path:
    """`sdxl-refiner-tiny/`: the SDXL refiner's published layout (`StableDiffusionXLImg2ImgPipeline`, second
    encoder only, `requires_aesthetics_score`, `force_zeros_for_empty_prompt` false) with a new tiny refiner-like
    UNet (four levels, the outer two without attention, five time ids) and sdxl-tiny's other components, linked."""
    folder = out / "sdxl-refiner-tiny"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    unet = UNet2DConditionModel(**REFINER_UNET)
    rerandomize(unet, seeded(1719))
    unet.half().save_pretrained(str(folder / "unet"), variant="fp16", safe_serialization=True)
    for component in ("text_encoder_2", "tokenizer_2", "vae", "scheduler"):
        link(folder / component, f"../sdxl-tiny/{component}")
    index = {
        "_class_name": "StableDiffusionXLImg2ImgPipeline",
        "_diffusers_version": "0.42.1",
        "feature_extractor": [None, None],
        "force_zeros_for_empty_prompt": False,
        "image_encoder": [None, None],
        "requires_aesthetics_score": True,
        "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": [None, None],
        "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": [None, None],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    (folder / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return folder


def load_refiner(folder: pathlib.Path):
    from diffusers import StableDiffusionXLImg2ImgPipeline
    f32 = dict(torch_dtype=torch.float32)
    pipe = StableDiffusionXLImg2ImgPipeline.from_pretrained(
        str(folder),
        unet=UNet2DConditionModel.from_pretrained(str(folder / "unet"), variant="fp16", **f32),
        text_encoder_2=CLIPTextModelWithProjection.from_pretrained(str(folder / "text_encoder_2"), variant="fp16", **f32),
        **f32)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def load_pipeline(folder: pathlib.Path) -> StableDiffusionXLPipeline:
    """The folder as diffusers loads it, in float32 (fp16 files widened: what the Swift side computes with).
    The fp16-only components are loaded with their variant (diffusers' pipeline loader wants one variant for
    all), the rest as they are, then passed in with the folder's own pipeline config."""
    f32 = dict(torch_dtype=torch.float32)
    pipe = StableDiffusionXLPipeline.from_pretrained(
        str(folder),
        unet=UNet2DConditionModel.from_pretrained(str(folder / "unet"), variant="fp16", **f32),
        text_encoder_2=CLIPTextModelWithProjection.from_pretrained(str(folder / "text_encoder_2"), variant="fp16", **f32),
        **f32)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def record_unet(pipe, path: pathlib.Path) -> None:
    generator = seeded(1718)
    tensors = {}
    for index, (shape, timestep, time_ids) in enumerate(UNET_CASES):
        latents = torch.randn(shape, generator=generator)
        text = torch.randn([shape[0], 77, UNET["cross_attention_dim"]], generator=generator)
        pooled = torch.randn([shape[0], TEXT_ENCODER_2["projection_dim"]], generator=generator)
        ids = torch.tensor(time_ids, dtype=torch.float32)
        with torch.inference_mode():
            output = pipe.unet(latents, timestep, encoder_hidden_states=text,
                               added_cond_kwargs={"text_embeds": pooled, "time_ids": ids}).sample
        tensors.update({f"latents_{index}": latents, f"text_{index}": text, f"pooled_{index}": pooled,
                        f"time_ids_{index}": ids, f"output_{index}": output})
    tensors["timesteps"] = torch.tensor([float(case[1]) for case in UNET_CASES])
    save(tensors, path)


def record_text_encoders(pipe, path: pathlib.Path) -> None:
    tensors = {}
    ids1 = pipe.tokenizer(PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
    ids2 = pipe.tokenizer_2(PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
    with torch.inference_mode():
        out1 = pipe.text_encoder(ids1, output_hidden_states=True)
        out2 = pipe.text_encoder_2(ids2, output_hidden_states=True)
    assert len(out1.hidden_states) == 3 + 1 and len(out2.hidden_states) == 2 + 1
    tensors["ids1"] = ids1.float()
    tensors["ids2"] = ids2.float()
    tensors["hidden1_m2"] = out1.hidden_states[-2]
    tensors["hidden2_m2"] = out2.hidden_states[-2]
    tensors["hidden2_m3"] = out2.hidden_states[-3]
    tensors["pooled2"] = out2.text_embeds
    save(tensors, path)


def generate(root: pathlib.Path) -> None:
    folder = root / "pipeline" / "sdxl-tiny"
    build_folder(folder, root / "pipeline" / "sd15-tiny")
    turbo = build_turbo_folder(root / "pipeline")
    refiner = build_refiner_folder(root / "pipeline")
    pipe = load_pipeline(folder)
    out = root / "sdxl"
    out.mkdir(parents=True, exist_ok=True)
    record_unet(pipe, out / "unet_cases.safetensors")
    record_text_encoders(pipe, out / "text_encoder_cases.safetensors")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reductions in one order, whatever the machine
    try:
        write_runs(root, {"sdxl-tiny": pipe, "sdxlturbo-tiny": load_pipeline(turbo)}, load_refiner(refiner))
    finally:
        torch.set_num_threads(threads)
    print(f"  sdxl-tiny: {sum(p.stat().st_size for p in folder.rglob('*') if p.is_file() and not p.is_symlink())} "
          "bytes of new files")


# ---------------------------------------------------------------------------------------------
# End-to-end runs: `sdxl/runs/` (its own folder: pipeline_runs.py clears `pipeline_runs/`)
# ---------------------------------------------------------------------------------------------

PROMPT = "a photo of an astronaut riding a horse on mars"
NEGATIVE = "blurry, low quality, watermark"
STEPS = 5
LATENT_SEED = 4242
STEP_SEED = 7
SEED = 1234


def run_cases():
    """Every scheduler from fixed non-square latents (64×48) with a negative prompt; seeded runs at the
    default size (64², from the UNet's sample_size) with no negative prompt (the zeros rule), an explicit
    empty one (encoded), two images, clip skip, no guidance; img2img at SDXL's default strength and another."""
    from .pipeline_runs import SCHEDULERS
    cases = [dict(name=f"txt2img-sdxl-{name}", kind="txt2img", scheduler=name, seed=STEP_SEED, fixed_latents=True,
                  negative=NEGATIVE, width=64, height=48, guidance=5.0) for name in SCHEDULERS]
    cases += [
        dict(name="seeded-sdxl-default", kind="txt2img", scheduler=None, seed=SEED, negative=None),
        dict(name="seeded-sdxl-empty-negative", kind="txt2img", scheduler=None, seed=SEED, negative=""),
        dict(name="seeded-sdxl-euler-a-2images", kind="txt2img", scheduler="euler-a", seed=SEED + 1,
             negative=NEGATIVE, images=2, guidance=7.0, width=48, height=64),
        dict(name="seeded-sdxl-clipskip1", kind="txt2img", scheduler="euler-a", seed=SEED, negative=NEGATIVE,
             clip_skip=1),
        dict(name="seeded-sdxl-unguided", kind="txt2img", scheduler=None, seed=SEED + 2, negative=None, guidance=1.0),
        # diffusers takes sizes as (height, width) and the crop as (top, left): unequal values pin the order.
        dict(name="seeded-sdxl-microconditioning", kind="txt2img", scheduler=None, seed=SEED, negative=NEGATIVE,
             original_size=(768, 1024), crops_coords_top_left=(16, 40), target_size=(48, 64), width=64, height=48),
        dict(name="img2img-sdxl-default", kind="img2img", scheduler=None, seed=SEED, negative=None),
        dict(name="img2img-sdxl-euler-a", kind="img2img", scheduler="euler-a", seed=SEED, negative=NEGATIVE,
             strength=0.6, steps=6),
    ]
    for case in cases:
        case["model"] = "sdxl-tiny"
    # SDXL-Turbo as published: its own scheduler (Euler ancestral, trailing timesteps), 1–4 steps, no guidance.
    cases += [
        dict(model="sdxlturbo-tiny", name="turbo-sdxl-1step", kind="txt2img", scheduler=None, seed=SEED, negative=None,
             guidance=0.0, steps=1),
        dict(model="sdxlturbo-tiny", name="turbo-sdxl-4steps", kind="txt2img", scheduler=None, seed=SEED + 3,
             negative=None, guidance=0.0, steps=4),
        dict(model="sdxlturbo-tiny", name="turbo-sdxl-img2img", kind="img2img", scheduler=None, seed=SEED,
             negative=None, guidance=0.0, steps=2, strength=0.5),
    ]
    # The refiner as an img2img model: encoder 2 only, aesthetic-score time ids (defaults 6.0 / 2.5), no zeros rule.
    cases += [
        dict(model="sdxl-refiner-tiny", name="refiner-sdxl-default", kind="img2img", scheduler=None, seed=SEED,
             negative=None),
        dict(model="sdxl-refiner-tiny", name="refiner-sdxl-aesthetic", kind="img2img", scheduler="euler-a", seed=SEED + 4,
             negative=NEGATIVE, strength=0.5, steps=6, aesthetic_score=7.5, negative_aesthetic_score=2.0),
    ]
    return cases


def write_runs(root: pathlib.Path, pipes: dict, refiner) -> None:
    import numpy as np
    from PIL import Image
    from diffusers import StableDiffusionXLImg2ImgPipeline
    from .pipeline_runs import init_image, scheduler_for

    out = root / "sdxl" / "runs"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    defaults = {name: pipe.scheduler for name, pipe in pipes.items()}
    img2imgs = {name: StableDiffusionXLImg2ImgPipeline(**pipe.components) for name, pipe in pipes.items()}
    for img2img in img2imgs.values():
        img2img.set_progress_bar_config(disable=True)
    img2imgs["sdxl-refiner-tiny"] = refiner
    defaults["sdxl-refiner-tiny"] = refiner.scheduler
    init_name = "init-64.png"
    init_image(64).save(out / init_name)
    init = Image.open(out / init_name).convert("RGB")
    manifest = {"prompt": PROMPT, "steps": STEPS, "cases": []}
    tensors = {}
    for case in run_cases():
        pipe, img2img, default = pipes.get(case["model"]), img2imgs[case["model"]], defaults[case["model"]]
        images = case.get("images", 1)
        kwargs = dict(prompt=PROMPT, negative_prompt=case["negative"], num_inference_steps=case.get("steps", STEPS),
                      num_images_per_prompt=images, clip_skip=case.get("clip_skip"))
        if "guidance" in case:
            kwargs["guidance_scale"] = case["guidance"]
        target = img2img if case["kind"] == "img2img" else pipe
        target.scheduler = scheduler_for(default, case["scheduler"])
        if case["kind"] == "img2img":
            kwargs["image"] = init
            if "strength" in case:
                kwargs["strength"] = case["strength"]
            for key in ("aesthetic_score", "negative_aesthetic_score"):
                if key in case:
                    kwargs[key] = case[key]
        else:
            if "width" in case:
                kwargs.update(width=case["width"], height=case["height"])
            for key in ("original_size", "crops_coords_top_left", "target_size"):
                if key in case:
                    kwargs[key] = case[key]
            if case.get("fixed_latents"):
                shape = (images, 4, case["height"] // 8, case["width"] // 8)
                latents = torch.randn(shape, generator=seeded(LATENT_SEED), dtype=torch.float32)
                tensors[f"{case['name']}/initial_latents"] = latents.clone()
                kwargs["latents"] = latents
        results = []
        for output_type in ("latent", "pil"):
            with torch.no_grad():
                results.append(target(**kwargs, generator=seeded(case["seed"]), output_type=output_type).images)
        latents, pictures = results
        tensors[f"{case['name']}/latents"] = latents.detach().to(torch.float32).contiguous()
        files = [f"{case['name']}.png"] if len(pictures) == 1 else [f"{case['name']}-{i}.png" for i in range(len(pictures))]
        for picture, file in zip(pictures, files):
            picture.save(out / file)
        manifest["cases"].append(dict(
            model=case["model"], name=case["name"], kind=case["kind"], scheduler=case["scheduler"], seed=case["seed"],
            negative_prompt=case["negative"], guidance=case.get("guidance"), images=images,
            clip_skip=case.get("clip_skip"), steps=case.get("steps"), strength=case.get("strength"),
            init_image=init_name if case["kind"] == "img2img" else None, image_files=files,
            fixed_latents=case.get("fixed_latents", False), width=pictures[0].width, height=pictures[0].height,
            original_size=case.get("original_size"), crops_coords_top_left=case.get("crops_coords_top_left"),
            target_size=case.get("target_size"), aesthetic_score=case.get("aesthetic_score"),
            negative_aesthetic_score=case.get("negative_aesthetic_score")))
        print(f"   {case['name']}: latents |max| {latents.abs().max():.3f}", flush=True)
    save_file(tensors, str(out / "latents.safetensors"), metadata={"format": "pt"})
    (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")
