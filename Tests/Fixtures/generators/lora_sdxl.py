"""SDXL LoRA and textual-inversion files applied by diffusers 0.42.1 + peft (`StableDiffusionXLPipeline`).

Base model: the tiny SDXL folder `pipeline/sdxl-tiny` (written by `sdxl.py`; loaded in float32 as there).
The adapter files are random, in each format's own spelling, loaded with `load_lora_weights` /
`set_adapters(names, adapter_weights)` / `load_textual_inversion`.

Adapter files (`sdxl/lora/adapters/`):
- `kohya-xl.safetensors` (fp16): kohya-ss SDXL names as sd-scripts writes them: the UNet under the original
  SGM / LDM module names (`lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q`, `…middle_block_1_…`,
  `…output_blocks_0_0_in_layers_2`, `lora_unet_label_emb_0_0`), which diffusers maps for SDXL
  (`_maybe_map_sgm_blocks_to_diffusers`); `lora_te1_text_model_…` (text_encoder) and `lora_te2_text_model_…`
  (text_encoder_2). Rank 4; alpha 2 (UNet) and 3 (text encoders).
- `peft-xl.safetensors`: written by `StableDiffusionXLPipeline.save_lora_weights` with the three
  `*_lora_adapter_metadata` (`lora_alpha` 8, `r` 4: scale 2 that only the header tells).
- `xlstyle.safetensors`: an SDXL embedding as model sites share them: `clip_l` [2, 32] and `clip_g` [2, 16]
  (the tiny encoders' widths); token = file name. diffusers: `load_textual_inversion(sd["clip_l"],
  token=…, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer)` and the same with `clip_g`,
  `text_encoder_2`, `tokenizer_2`, as its documentation shows.
- `gonly.safetensors`: a diffusers single-vector embedding `{"<g-only>": [1, 16]}`, 16 wide: the width of
  text_encoder_2 only (the SDK decides by width; diffusers is told `text_encoder=pipe.text_encoder_2`).

Runs (`sdxl/lora/cases.json`, latents in `sdxl/lora/runs.safetensors`, images `sdxl/lora/<case>.png`): 64²,
3 steps, guidance 5.0, the model's Euler scheduler, fixed initial latents unless seeded.
"""
import json
import pathlib

import numpy as np
import torch
from safetensors.torch import save_file

from diffusers import StableDiffusionXLPipeline

from ._common import seeded
from .lora import low_rank_pair, text_targets, unet_targets

PROMPT = "a photo of an astronaut riding a horse on mars, xlstyle, <g-only>"
NEGATIVE = "blurry, xlstyle, watermark"
STEPS = 3
GUIDANCE = 5.0
LATENT_SEED = 4343
STEP_SEED = 8
RANK = 4


def save(tensors, path, metadata=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=metadata or {"format": "pt"})


def sgm_module(name: str, config) -> str:
    """diffusers UNet module → the SGM / LDM module sd-scripts' SDXL UNet names it by."""
    layers = config.layers_per_block
    p = name.split(".")
    resnet_inner = {"conv1": "in_layers.2", "conv2": "out_layers.3", "time_emb_proj": "emb_layers.1",
                    "conv_shortcut": "skip_connection"}

    def inner(kind, rest):
        if kind == "resnets":
            return [resnet_inner[rest[0]]] + rest[1:]
        return rest

    if p[0] == "down_blocks":
        block, kind, layer, rest = int(p[1]), p[2], int(p[3]), p[4:]
        if kind == "downsamplers":
            return f"input_blocks.{1 + block * (layers + 1) + layers}.0.op"
        slot = 0 if kind == "resnets" else 1
        return ".".join([f"input_blocks.{1 + block * (layers + 1) + layer}.{slot}"] + inner(kind, rest))
    if p[0] == "mid_block":
        kind, layer, rest = p[1], int(p[2]), p[3:]
        slot = {("resnets", 0): 0, ("attentions", 0): 1, ("resnets", 1): 2}[(kind, layer)]
        return ".".join([f"middle_block.{slot}"] + inner(kind, rest))
    if p[0] == "up_blocks":
        block, kind, layer, rest = int(p[1]), p[2], int(p[3]), p[4:]
        slot = 0 if kind == "resnets" else 1
        return ".".join([f"output_blocks.{block * (layers + 1) + layer}.{slot}"] + inner(kind, rest))
    if name.startswith("add_embedding.linear_"):
        return {"add_embedding.linear_1": "label_emb.0.0", "add_embedding.linear_2": "label_emb.0.2"}[name]
    raise ValueError(name)


def kohya_xl(pipe, seed):
    generator = seeded(seed)
    tensors = {}
    modules = unet_targets(pipe.unet) + [(n, m) for n, m in pipe.unet.named_modules()
                                         if n in ("add_embedding.linear_1", "add_embedding.linear_2")]
    for name, module in modules:
        key = "lora_unet_" + sgm_module(name, pipe.unet.config).replace(".", "_")
        down, up = low_rank_pair(module, generator, RANK)
        tensors[f"{key}.lora_down.weight"], tensors[f"{key}.lora_up.weight"] = down, up
        tensors[f"{key}.alpha"] = torch.tensor(2.0)
    for prefix, encoder in (("lora_te1_", pipe.text_encoder), ("lora_te2_", pipe.text_encoder_2)):
        for name, module in text_targets(encoder):
            key = prefix + ("text_model." + name.removeprefix("text_model.")).replace(".", "_")
            down, up = low_rank_pair(module, generator, RANK)
            tensors[f"{key}.lora_down.weight"], tensors[f"{key}.lora_up.weight"] = down, up
            tensors[f"{key}.alpha"] = torch.tensor(3.0)
    return {k: v.to(torch.float16).contiguous() for k, v in tensors.items()}, len(modules)


def peft_xl(pipe, path, seed):
    from peft import LoraConfig
    generator = seeded(seed)
    unet_config = LoraConfig(r=RANK, lora_alpha=8, init_lora_weights=False,
                             target_modules=["to_q", "to_k", "to_v", "to_out.0", "proj_in", "ff.net.2"])
    text_config = LoraConfig(r=RANK, lora_alpha=8, init_lora_weights=False, target_modules=["q_proj", "v_proj", "fc1"])
    unet_layers = {}
    for name, module in pipe.unet.named_modules():
        if any(name.endswith(t) for t in unet_config.target_modules) and "attentions" in name:
            down, up = low_rank_pair(module, generator, RANK)
            unet_layers[f"{name}.lora_A.weight"], unet_layers[f"{name}.lora_B.weight"] = down, up
    text_layers = []
    for encoder in (pipe.text_encoder, pipe.text_encoder_2):
        layers = {}
        for name, module in text_targets(encoder):
            if any(name.endswith(t) for t in text_config.target_modules):
                down, up = low_rank_pair(module, generator, RANK)
                layers[f"text_model.{name.removeprefix('text_model.')}.lora_A.weight"] = down
                layers[f"text_model.{name.removeprefix('text_model.')}.lora_B.weight"] = up
        text_layers.append(layers)
    StableDiffusionXLPipeline.save_lora_weights(
        str(path.parent), unet_lora_layers=unet_layers, text_encoder_lora_layers=text_layers[0],
        text_encoder_2_lora_layers=text_layers[1], weight_name=path.name,
        unet_lora_adapter_metadata=unet_config.to_dict(), text_encoder_lora_adapter_metadata=text_config.to_dict(),
        text_encoder_2_lora_adapter_metadata=text_config.to_dict())


def embeddings(out):
    generator = seeded(98)
    save({"clip_l": (torch.randn((2, 32), generator=generator) * 0.5).to(torch.float16),
          "clip_g": (torch.randn((2, 16), generator=generator) * 0.5).to(torch.float16)}, out / "xlstyle.safetensors")
    save({"<g-only>": torch.randn((1, 16), generator=generator) * 0.5}, out / "gonly.safetensors")


def adapter_name(file):
    return "adapter_" + file.removesuffix(".safetensors").replace("-", "_")


def apply(pipe, case, adapter_dir):
    from safetensors.torch import load_file
    for lora in case.get("loras", []):
        pipe.load_lora_weights(str(adapter_dir), weight_name=lora["file"], adapter_name=adapter_name(lora["file"]))
    if case.get("loras"):
        pipe.set_adapters([adapter_name(l["file"]) for l in case["loras"]], adapter_weights=[l["scale"] for l in case["loras"]])
    for embedding in case.get("embeddings", []):
        state = load_file(str(adapter_dir / embedding["file"]))
        if "clip_l" in state:
            token = embedding["file"].removesuffix(".safetensors")
            pipe.load_textual_inversion(state["clip_l"], token=token, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer)
            pipe.load_textual_inversion(state["clip_g"], token=token, text_encoder=pipe.text_encoder_2,
                                        tokenizer=pipe.tokenizer_2)
        else:
            pipe.load_textual_inversion(str(adapter_dir / embedding["file"]), text_encoder=pipe.text_encoder_2,
                                        tokenizer=pipe.tokenizer_2)


def touched(pipe):
    count = lambda model: sum(1 for _, m in model.named_modules() if hasattr(m, "lora_A") and len(m.lora_A) > 0)
    return {"unet": count(pipe.unet), "text_encoder": count(pipe.text_encoder), "text_encoder_2": count(pipe.text_encoder_2)}


CASES = [
    dict(name="kohya-xl-0.8", loras=[dict(file="kohya-xl.safetensors", scale=0.8)]),
    dict(name="peft-xl", loras=[dict(file="peft-xl.safetensors", scale=1.0)], seeded=True),
    dict(name="embeddings-xl", embeddings=[dict(file="xlstyle.safetensors"), dict(file="gonly.safetensors")]),
]


def generate(root: pathlib.Path):
    from .sdxl import load_pipeline
    out = root / "sdxl" / "lora"
    adapter_dir = out / "adapters"
    adapter_dir.mkdir(parents=True, exist_ok=True)
    for stale in list(out.glob("*.png")) + [p for p in adapter_dir.iterdir() if p.is_file()]:
        stale.unlink()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        folder = root / "pipeline" / "sdxl-tiny"
        base = load_pipeline(folder)
        kohya, unet_modules = kohya_xl(base, 21)
        save(kohya, adapter_dir / "kohya-xl.safetensors", {"ss_network_dim": str(RANK), "ss_base_model_version": "sdxl_base_v1-0",
                                                           "format": "pt"})
        peft_xl(base, adapter_dir / "peft-xl.safetensors", 22)
        embeddings(adapter_dir)
        manifest = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": STEPS, "guidance": GUIDANCE, "cases": []}
        tensors = {}
        initial = torch.randn((1, 4, 8, 8), generator=seeded(LATENT_SEED), dtype=torch.float32)
        tensors["initial_latents"] = initial.clone()
        for case in CASES:
            pipe = load_pipeline(folder)
            apply(pipe, case, adapter_dir)
            counts = touched(pipe)
            if case["name"].startswith("kohya"):
                te = sum(1 for k in kohya if k.endswith(".lora_down.weight") and k.startswith("lora_te"))
                # Nothing of the file may be silently dropped: parity would then test less than it claims.
                assert counts["unet"] == unet_modules and counts["text_encoder"] + counts["text_encoder_2"] == te, counts
            kwargs = dict(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=STEPS, guidance_scale=GUIDANCE)
            seed = 1235 if case.get("seeded") else STEP_SEED
            if not case.get("seeded"):
                kwargs["latents"] = initial.clone()
            with torch.no_grad():
                latents = pipe(**kwargs, generator=seeded(seed), output_type="latent").images
                image = pipe(**kwargs, generator=seeded(seed)).images[0]
                ids = [t(pipe.maybe_convert_prompt(PROMPT, t), padding="max_length", max_length=77, truncation=True,
                         return_tensors="pt").input_ids[0].tolist() for t in (pipe.tokenizer, pipe.tokenizer_2)]
            tensors[f"{case['name']}/latents"] = latents.to(torch.float32).contiguous()
            image.save(out / f"{case['name']}.png")
            manifest["cases"].append(dict(name=case["name"], loras=case.get("loras", []),
                                          embeddings=case.get("embeddings", []), seed=seed,
                                          fixed_latents=not case.get("seeded"), touched=counts,
                                          prompt_ids=ids[0], prompt_ids_2=ids[1]))
            print(f"   {case['name']}: touched {counts}, latents |max| {latents.abs().max():.3f}", flush=True)
        with torch.no_grad():
            base_latents = base(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=STEPS, guidance_scale=GUIDANCE,
                                latents=initial.clone(), generator=seeded(STEP_SEED), output_type="latent").images
        tensors["base/latents"] = base_latents.contiguous()
        save_file(tensors, str(out / "runs.safetensors"), metadata={"format": "pt"})
        (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")
    finally:
        torch.set_num_threads(threads)
