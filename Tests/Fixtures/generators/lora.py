"""LoRA and textual-inversion files in the formats people download, applied by diffusers 0.42.1 + peft.

Base model: the tiny SD 1.x folder `pipeline/sd15-tiny` (fp32) and its fp16 single file
`pipeline/sd15-tiny.safetensors` (loaded with the folder's configs). Nothing new is trained: the
adapter files are random, written in each format's own spelling, and diffusers loads them with
`load_lora_weights` / `set_adapters(names, adapter_weights)` / `load_textual_inversion`.

Adapter files (`lora/adapters/`):
- `kohya.safetensors` (fp16): kohya-ss / A1111 names (`lora_unet_…`, `lora_te_text_model_…`,
  `.lora_down.weight` / `.lora_up.weight` / `.alpha`): UNet attention q/k/v/out, the 1×1-conv
  `proj_in` / `proj_out`, feed-forward, resnet 3×3 `conv1` / `conv2` (LoCon), `time_emb_proj`, and
  the text encoder's attention and MLP. Rank 4; alpha 2 (UNet) and 3 (text encoder).
- `kohya-ldm.safetensors`: the same tensors under the original LDM module names
  (`lora_unet_input_blocks_1_1_proj_in`, …), as A1111 accepts them; diffusers ignores those for
  SD 1.x, so the Swift test compares it with `kohya.safetensors`, not with diffusers.
- `kohya-extra-key.safetensors`: `kohya.safetensors` plus two modules that name no layer (skipped
  with a warning on the Swift side; its images must equal `kohya`'s).
- `peft.safetensors`: written by `StableDiffusionPipeline.save_lora_weights` with
  `unet_lora_adapter_metadata` / `text_encoder_lora_adapter_metadata` (`lora_alpha` 8, `r` 4, so
  the scale is 2, which only the header tells).
- `training.safetensors`: the spellings diffusers' own training scripts wrote
  (`unet.….to_q.lora.down.weight`, `text_encoder.….q_proj.lora_linear_layer.up.weight`).
- `lowpolystyle.safetensors`: an A1111 embedding (`emb_params` [2, 32]; token = file name).
- `learned_embeds.safetensors`: a diffusers embedding (`{"<cat-toy>": [1, 32]}`).
- `sdxl-shaped.safetensors`: a kohya file whose shapes do not fit SD 1.x (an error case).

Runs (`lora/cases.json`, latents in `lora/runs.safetensors`, images `lora/<case>.png`): fixed initial
latents, 3 steps, guidance 7.5 unless stated, the prompt of `pipeline_runs` with the embeddings' tokens.
"""
import json
import pathlib

import numpy as np
import torch
from safetensors.torch import save_file

from diffusers import LCMScheduler, StableDiffusionPipeline

from ._common import seeded

PROMPT = "a photo of <cat-toy> riding a horse on mars, lowpolystyle"
NEGATIVE = "blurry, lowpolystyle, watermark"
STEPS = 3
GUIDANCE = 7.5
LATENT_SEED = 4242
STEP_SEED = 7
RANK = 4


def kohya_name(module: str, prefix: str) -> str:
    return prefix + module.replace(".", "_")


def unet_targets(unet):
    """(module name, module) of every layer the kohya file touches."""
    wanted = ("attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0", "attn2.to_q", "attn2.to_k", "attn2.to_v",
              "attn2.to_out.0", "ff.net.0.proj", "ff.net.2", "proj_in", "proj_out", "conv1", "conv2", "time_emb_proj")
    return [(n, m) for n, m in unet.named_modules() if n.endswith(wanted) and "resnets" in n or
            (n.endswith(wanted) and "attentions" in n)]


def text_targets(text_encoder):
    wanted = ("q_proj", "k_proj", "v_proj", "out_proj", "mlp.fc1", "mlp.fc2")
    return [(n, m) for n, m in text_encoder.named_modules() if n.endswith(wanted)]


def low_rank_pair(module, generator, rank):
    """Random down [r, in(, kh, kw)] and up [out, r(, 1, 1)] with a delta about the weight's size."""
    weight = module.weight
    if weight.ndim == 4:
        out_ch, in_ch, kh, kw = weight.shape
        down = torch.randn((rank, in_ch, kh, kw), generator=generator) / np.sqrt(in_ch * kh * kw)
        up = torch.randn((out_ch, rank, 1, 1), generator=generator) * 0.5 / np.sqrt(rank)
    else:
        out_f, in_f = weight.shape
        down = torch.randn((rank, in_f), generator=generator) / np.sqrt(in_f)
        up = torch.randn((out_f, rank), generator=generator) * 0.5 / np.sqrt(rank)
    return down, up


def kohya_tensors(pipe, seed):
    generator = seeded(seed)
    tensors = {}
    for index, (name, module) in enumerate(unet_targets(pipe.unet)):
        key = kohya_name(name, "lora_unet_")
        down, up = low_rank_pair(module, generator, RANK)
        tensors[f"{key}.lora_down.weight"], tensors[f"{key}.lora_up.weight"] = down, up
        # One alpha for all UNet modules: diffusers 0.42.1 turns differing per-module alphas into
        # `alpha_pattern` keys that peft cannot match for attention layers (it then uses the most
        # common alpha), and gives a module without alpha that common alpha instead of its rank; real
        # kohya files have one alpha throughout. See Documentation/LoRA.md.
        tensors[f"{key}.alpha"] = torch.tensor(2.0)
    for index, (name, module) in enumerate(text_targets(pipe.text_encoder)):
        # transformers 5 names the modules without `text_model.`; kohya files always have it.
        key = kohya_name("text_model." + name.removeprefix("text_model."), "lora_te_")
        down, up = low_rank_pair(module, generator, RANK)
        tensors[f"{key}.lora_down.weight"], tensors[f"{key}.lora_up.weight"] = down, up
        tensors[f"{key}.alpha"] = torch.tensor(3.0)
    return {k: v.to(torch.float16).contiguous() for k, v in tensors.items()}


def save(tensors, path, metadata=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=metadata or {"format": "pt"})


def peft_file(pipe, path, seed):
    """Random PEFT factors saved exactly as diffusers' training scripts save them."""
    from peft import LoraConfig
    generator = seeded(seed)
    unet_config = LoraConfig(r=RANK, lora_alpha=8, init_lora_weights=False,
                             target_modules=["to_q", "to_k", "to_v", "to_out.0", "proj_in", "ff.net.2"])
    text_config = LoraConfig(r=RANK, lora_alpha=8, init_lora_weights=False,
                             target_modules=["q_proj", "v_proj", "fc1"])
    unet_layers, text_layers = {}, {}
    for name, module in pipe.unet.named_modules():
        if any(name.endswith(t) for t in unet_config.target_modules) and "attentions" in name:
            down, up = low_rank_pair(module, generator, RANK)
            unet_layers[f"{name}.lora_A.weight"], unet_layers[f"{name}.lora_B.weight"] = down, up
    for name, module in text_targets(pipe.text_encoder):
        if any(name.endswith(t) for t in text_config.target_modules):
            down, up = low_rank_pair(module, generator, RANK)
            text_layers[f"text_model.{name.removeprefix('text_model.')}.lora_A.weight"] = down
            text_layers[f"text_model.{name.removeprefix('text_model.')}.lora_B.weight"] = up
    StableDiffusionPipeline.save_lora_weights(
        str(path.parent), unet_lora_layers=unet_layers, text_encoder_lora_layers=text_layers,
        weight_name=path.name, unet_lora_adapter_metadata=unet_config.to_dict(),
        text_encoder_lora_adapter_metadata=text_config.to_dict())


def training_file(pipe, path, seed):
    """The `.lora.down` (UNet) and `.lora_linear_layer.down` (text encoder) spellings."""
    generator = seeded(seed)
    tensors = {}
    for name, module in pipe.unet.named_modules():
        if name.endswith(("attn1.to_q", "attn2.to_v", "attn1.to_out.0")):
            down, up = low_rank_pair(module, generator, RANK)
            tensors[f"unet.{name}.lora.down.weight"], tensors[f"unet.{name}.lora.up.weight"] = down, up
    for name, module in text_targets(pipe.text_encoder):
        if name.endswith(("k_proj", "out_proj")):
            down, up = low_rank_pair(module, generator, RANK)
            full = f"text_encoder.text_model.{name.removeprefix('text_model.')}"
            tensors[f"{full}.lora_linear_layer.down.weight"] = down
            tensors[f"{full}.lora_linear_layer.up.weight"] = up
    save(tensors, path)


LDM_UNET = None


def ldm_unet_names(root):
    """diffusers UNet module → LDM module (`input_blocks.1.1.proj_in`), from diffusers' own single-file map."""
    from diffusers.loaders.single_file_utils import convert_ldm_unet_checkpoint
    from safetensors.torch import load_file
    checkpoint = load_file(str(root / "pipeline" / "sd15-tiny.safetensors"))
    unet_keys = {k for k in checkpoint if k.startswith("model.diffusion_model.")}
    config = json.loads((root / "pipeline" / "sd15-tiny" / "unet" / "config.json").read_text())
    # Tag every LDM tensor with its own name, convert, and read the tags back.
    tagged = {k: torch.tensor([float(i)]) for i, k in enumerate(sorted(unet_keys))}
    names = sorted(unet_keys)
    converted = convert_ldm_unet_checkpoint(tagged, config)
    mapping = {}
    for key, value in converted.items():
        ldm = names[int(value.flatten()[0].item())].removeprefix("model.diffusion_model.")
        mapping[key.rsplit(".", 1)[0]] = ldm.rsplit(".", 1)[0]
    return mapping


def ldm_kohya(kohya, mapping):
    out = {}
    lookup = {kohya_name(d, "lora_unet_"): kohya_name(l, "lora_unet_") for d, l in mapping.items()}
    for key, value in kohya.items():
        module, rest = key.split(".", 1)
        out[f"{lookup.get(module, module)}.{rest}"] = value
    return out


def embeddings(root, out):
    generator = seeded(99)
    save({"emb_params": (torch.randn((2, 32), generator=generator) * 0.5).to(torch.float16)},
         out / "lowpolystyle.safetensors")
    save({"<cat-toy>": torch.randn((1, 32), generator=generator) * 0.5}, out / "learned_embeds.safetensors")


def load(root, single_file=False):
    folder = root / "pipeline" / "sd15-tiny"
    common = dict(torch_dtype=torch.float32, safety_checker=None, requires_safety_checker=False)
    if single_file:
        pipe = StableDiffusionPipeline.from_single_file(str(root / "pipeline" / "sd15-tiny.safetensors"),
                                                        config=str(folder), local_files_only=True, **common)
    else:
        pipe = StableDiffusionPipeline.from_pretrained(str(folder), **common)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def adapter_name(adapter):
    return "adapter_" + adapter["file"].removesuffix(".safetensors").replace(".", "_").replace("-", "_")


def apply(pipe, adapters, adapter_dir):
    """load_lora_weights each file under its own name, then set_adapters with the scales."""
    for adapter in adapters.get("loras", []):
        pipe.load_lora_weights(str(adapter_dir), weight_name=adapter["file"], adapter_name=adapter_name(adapter))
    if adapters.get("loras"):
        pipe.set_adapters([adapter_name(a) for a in adapters["loras"]], adapter_weights=[a["scale"] for a in adapters["loras"]])
    for embedding in adapters.get("embeddings", []):
        token = embedding.get("token")
        pipe.load_textual_inversion(str(adapter_dir / embedding["file"]), token=token)


def touched(pipe):
    """How many layers carry a LoRA, per component (a silent no-op would make parity meaningless)."""
    count = lambda model: sum(1 for _, m in model.named_modules() if hasattr(m, "lora_A") and len(m.lora_A) > 0)
    return {"unet": count(pipe.unet), "text_encoder": count(pipe.text_encoder)}


CASES = [
    dict(name="kohya-0.8", loras=[dict(file="kohya.safetensors", scale=0.8)]),
    dict(name="peft", loras=[dict(file="peft.safetensors", scale=1.0)], seeded=True),
    dict(name="training", loras=[dict(file="training.safetensors", scale=1.0)]),
    dict(name="stacked", loras=[dict(file="kohya.safetensors", scale=0.8), dict(file="peft.safetensors", scale=0.5)]),
    dict(name="embeddings", embeddings=[dict(file="lowpolystyle.safetensors", token="lowpolystyle"),
                                        dict(file="learned_embeds.safetensors")]),
    dict(name="lcm-style", loras=[dict(file="peft.safetensors", scale=1.0)], scheduler="lcm", steps=4, guidance=1.0),
    dict(name="singlefile-kohya", loras=[dict(file="kohya.safetensors", scale=1.0)], single_file=True),
]


def generate(root: pathlib.Path):
    from .single_file_recipes import ensure_single_file
    for name in ("sd15-tiny", "sd2-tiny"):
        ensure_single_file(root, name)  # not committed: assembled from its recipe on a fresh clone
    out = root / "lora"
    adapter_dir = out / "adapters"
    adapter_dir.mkdir(parents=True, exist_ok=True)
    for stale in list(out.glob("*.png")) + list(adapter_dir.iterdir()):
        stale.unlink()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        write(root, out, adapter_dir)
    finally:
        torch.set_num_threads(threads)


def write(root, out, adapter_dir):
    base = load(root)
    kohya = kohya_tensors(base, 11)
    save(kohya, adapter_dir / "kohya.safetensors", {"ss_network_dim": str(RANK), "format": "pt"})
    save(ldm_kohya(kohya, ldm_unet_names(root)), adapter_dir / "kohya-ldm.safetensors")
    extra = dict(kohya)
    extra["lora_unet_no_such_block_0_proj.lora_down.weight"] = torch.zeros((RANK, 8), dtype=torch.float16)
    extra["lora_unet_no_such_block_0_proj.lora_up.weight"] = torch.zeros((8, RANK), dtype=torch.float16)
    extra["lora_te_text_model_encoder_layers_9_mlp_fc1.lora_down.weight"] = torch.zeros((RANK, 32), dtype=torch.float16)
    extra["lora_te_text_model_encoder_layers_9_mlp_fc1.lora_up.weight"] = torch.zeros((64, RANK), dtype=torch.float16)
    save(extra, adapter_dir / "kohya-extra-key.safetensors")
    peft_file(base, adapter_dir / "peft.safetensors", 12)
    training_file(base, adapter_dir / "training.safetensors", 13)
    embeddings(root, adapter_dir)
    generator = seeded(14)
    save({"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight":
              torch.randn((RANK, 320), generator=generator).half(),
          "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight":
              torch.randn((320, RANK), generator=generator).half()}, adapter_dir / "sdxl-shaped.safetensors")

    manifest = {"prompt": PROMPT, "negative_prompt": NEGATIVE, "steps": STEPS, "guidance": GUIDANCE,
                "latent_seed": LATENT_SEED, "cases": []}
    tensors = {}
    latent_shape = (1, 4, 8, 8)
    initial = torch.randn(latent_shape, generator=seeded(LATENT_SEED), dtype=torch.float32)
    tensors["initial_latents"] = initial.clone()
    for case in CASES:
        pipe = load(root, case.get("single_file", False))
        apply(pipe, case, adapter_dir)
        counts = touched(pipe)
        if case.get("scheduler") == "lcm":
            pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)
        kwargs = dict(prompt=PROMPT, negative_prompt=NEGATIVE, num_inference_steps=case.get("steps", STEPS),
                      guidance_scale=case.get("guidance", GUIDANCE))
        if case.get("seeded"):
            seed = 1234
        else:
            seed = STEP_SEED
            kwargs["latents"] = initial.clone()
        with torch.no_grad():
            latents = pipe(**kwargs, generator=seeded(seed), output_type="latent").images
            image = pipe(**kwargs if not case.get("seeded") else kwargs, generator=seeded(seed)).images[0]
            ids = pipe.tokenizer(pipe.maybe_convert_prompt(PROMPT, pipe.tokenizer), padding="max_length",
                                 max_length=77, truncation=True, return_tensors="pt").input_ids
            embeds = pipe.text_encoder(ids)[0]
        tensors[f"{case['name']}/latents"] = latents.to(torch.float32).contiguous()
        tensors[f"{case['name']}/prompt_embeds"] = embeds.to(torch.float32).contiguous()
        image.save(out / f"{case['name']}.png")
        entry = dict(name=case["name"], loras=case.get("loras", []), embeddings=case.get("embeddings", []),
                     scheduler=case.get("scheduler"), steps=case.get("steps", STEPS),
                     guidance=case.get("guidance", GUIDANCE), seed=seed, fixed_latents=not case.get("seeded"),
                     single_file=case.get("single_file", False), touched=counts,
                     prompt_ids=ids[0].tolist())
        manifest["cases"].append(entry)
        print(f"   {case['name']}: touched {counts}, latents |max| {latents.abs().max():.3f}", flush=True)
    base_latents = None
    with torch.no_grad():
        base_latents = base(prompt=PROMPT.replace("<cat-toy>", "cat"), negative_prompt=NEGATIVE, num_inference_steps=STEPS,
                            guidance_scale=GUIDANCE, latents=initial.clone(), generator=seeded(STEP_SEED),
                            output_type="latent").images
    tensors["base/latents"] = base_latents.contiguous()
    save_file(tensors, str(out / "runs.safetensors"), metadata={"format": "pt"})
    (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")
