"""Tiny random-weight Stable Diffusion pipelines, as people download them, plus single-file exports.

Writes under `root/pipeline/`:

- `sd15-tiny/`: an SD 1.x-like `StableDiffusionPipeline` folder (fp32, PNDM with SD 1.5's published
  scheduler config, CLIP text model with quick_gelu and the real 49408-token vocabulary).
- `sd2-tiny/`: an SD 2.x-like folder saved as the fp16 variant (`*.fp16.safetensors` only, as a
  `variant="fp16"` download gives), DDIM with SD 2.1's published v-prediction config, linear
  projections, per-block head counts, upcast attention, gelu text model, `!` as the pad token.
- `sd15-tiny.safetensors` / `sd2-tiny.safetensors` (not committed: `single_file_recipes` turns them into
  recipes the tests assemble them from): the same weights as single-file checkpoints in
  the original LDM / A1111 layout (`model.diffusion_model.`, `first_stage_model.`,
  `cond_stage_model.transformer.text_model.` or OpenCLIP's `cond_stage_model.model.`), both in fp16
  (the SD 1.x one rounded from the fp32 folder, as most shared SD 1.5 files are), with the extra tensors real files carry (DDPM schedule buffers, `model_ema.decay`, CLIP
  `position_ids`, OpenCLIP's unused last resblock, `text_projection`, `logit_scale`).
- `ldm-keys-sd15.json` / `ldm-keys-sd21.json`: key names and shapes (no data) of real-size SD 1.5 and
  SD 2.1 checkpoints in both layouts, for testing the published-config key mapping.

The folders follow the published repos' layout where transformers 5 would write something else: the
text encoder's tensors keep the `text_model.` prefix and the tokenizer folder holds `vocab.json`,
`merges.txt`, `special_tokens_map.json` and `tokenizer_config.json` (no `tokenizer.json`); the
scheduler config is the published file verbatim (keys it omits take the class defaults).

Every export is verified before it is kept: the folders load back with
`StableDiffusionPipeline.from_pretrained`, and the single files with
`StableDiffusionPipeline.from_single_file(file, config=folder)` give tensors bit-identical to the
folder's (for the fp16 SD 1.x file: to the folder's rounded to fp16), with no parameter missing. The LDM mapping is the inverse of diffusers'
`loaders/single_file_utils.py` conversion, checked against that conversion on the real-size configs.

The tokenizers' `vocab.json` / `merges.txt` are committed as symlinks to the bundled copies in
Sources/Tokenizer/Resources/clip (the same vocabulary; `save_pretrained` writes it through the link
with the same content), so the fixtures hold the 1.5 MB vocabulary once.
"""
import gzip
import json
import math
import pathlib
import shutil

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ._common import seeded

# ---------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------

SD15_SCHEDULER = {  # stable-diffusion-v1-5/scheduler/scheduler_config.json, as published
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.6.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}

SD21_SCHEDULER = {  # stabilityai/stable-diffusion-2-1/scheduler/scheduler_config.json, as published
    "_class_name": "DDIMScheduler",
    "_diffusers_version": "0.8.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "prediction_type": "v_prediction",
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
}

TINY = {
    "sd15": {
        "unet": dict(
            sample_size=8, in_channels=4, out_channels=4, block_out_channels=(16, 32), layers_per_block=2,
            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
            cross_attention_dim=32, attention_head_dim=2, norm_num_groups=8,
        ),
        # Four blocks: latents are 1/8 of the image side, as in the real model.
        "vae": dict(
            sample_size=64, in_channels=3, out_channels=3, block_out_channels=(8, 16, 16, 16), layers_per_block=2,
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
            latent_channels=4, norm_num_groups=4, scaling_factor=0.18215,
        ),
        "text": dict(
            vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
            max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
            bos_token_id=49406, eos_token_id=49407, pad_token_id=1,
        ),
    },
    "sd2": {
        # Both blocks with attention so an upsampler sits after a transformer (`output_blocks.N.2.conv`).
        "unet": dict(
            sample_size=8, in_channels=4, out_channels=4, block_out_channels=(16, 32), layers_per_block=1,
            down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
            cross_attention_dim=32, attention_head_dim=[2, 4], norm_num_groups=8,
            use_linear_projection=True, upcast_attention=True,
        ),
        # Three blocks, so the decoder's reversed block order is not a mere swap and latents are 1/4 of
        # the image side (a pipeline must take the factor from the config, not assume 8).
        "vae": dict(
            sample_size=32, in_channels=3, out_channels=3, block_out_channels=(16, 32, 32), layers_per_block=1,
            down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
            latent_channels=4, norm_num_groups=8, scaling_factor=0.18215,
        ),
        "text": dict(
            vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=77, hidden_act="gelu", layer_norm_eps=1e-5,
            bos_token_id=0, eos_token_id=2, pad_token_id=1, projection_dim=32,
        ),
    },
}

REAL = {  # the published unet / vae / text_encoder configs (see /work/shared/REFERENCE.md)
    "sd15": {
        "unet": dict(
            sample_size=64, in_channels=4, out_channels=4, block_out_channels=(320, 640, 1280, 1280),
            layers_per_block=2, down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3, cross_attention_dim=768,
            attention_head_dim=8, norm_num_groups=32,
        ),
        "vae": dict(
            sample_size=512, in_channels=3, out_channels=3, block_out_channels=(128, 256, 512, 512),
            layers_per_block=2, down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4, norm_num_groups=32,
        ),
        "text": dict(
            vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
            max_position_embeddings=77, hidden_act="quick_gelu",
        ),
    },
    "sd21": {
        "unet": dict(
            sample_size=96, in_channels=4, out_channels=4, block_out_channels=(320, 640, 1280, 1280),
            layers_per_block=2, down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3, cross_attention_dim=1024,
            attention_head_dim=[5, 10, 20, 20], norm_num_groups=32, use_linear_projection=True,
            upcast_attention=True,
        ),
        "vae": dict(
            sample_size=768, in_channels=3, out_channels=3, block_out_channels=(128, 256, 512, 512),
            layers_per_block=2, down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4, norm_num_groups=32,
        ),
        "text": dict(
            vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_hidden_layers=23, num_attention_heads=16,
            max_position_embeddings=77, hidden_act="gelu", projection_dim=512,
        ),
    },
}

# DDPM buffers that LDM's LatentDiffusion registers and saves (diffusers ignores them).
SCHEDULE_BUFFERS = [
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
    "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
]

# ---------------------------------------------------------------------------------------------
# Tokenizer (published layout)
# ---------------------------------------------------------------------------------------------


def clip_vocabulary():
    """vocab and merges exactly as CLIP's simple_tokenizer derives them from the shipped BPE file."""
    from open_clip.tokenizer import bytes_to_unicode, default_bpe

    lines = gzip.open(default_bpe()).read().decode("utf-8").split("\n")
    merges = lines[1:49152 - 256 - 2 + 1]
    pairs = [tuple(m.split()) for m in merges]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(p) for p in pairs]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == 49408 and len(set(vocab)) == 49408
    return vocab, pairs


def _added_token(content, with_type):
    token = {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
    return {"__type": "AddedToken", **token} if with_type else token


def write_tokenizer(folder: pathlib.Path, vocab, pairs, pad_token: str, name_or_path: str):
    """The four files of the published SD 1.5 / SD 2.1 `tokenizer/` folders."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    with open(folder / "vocab.json", "w", encoding="utf-8") as f:
        json.dump({token: i for i, token in enumerate(vocab)}, f, ensure_ascii=False)
    with open(folder / "merges.txt", "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in pairs:
            f.write(f"{a} {b}\n")
    special = {
        "bos_token": _added_token("<|startoftext|>", False),
        "eos_token": _added_token("<|endoftext|>", False),
        "pad_token": pad_token,
        "unk_token": _added_token("<|endoftext|>", False),
    }
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    config = {
        "add_prefix_space": False,
        "bos_token": _added_token("<|startoftext|>", True),
        "do_lower_case": True,
        "eos_token": _added_token("<|endoftext|>", True),
        "errors": "replace",
        "model_max_length": 77,
        "name_or_path": name_or_path,
        "pad_token": pad_token,
        "special_tokens_map_file": "./special_tokens_map.json",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": _added_token("<|endoftext|>", True),
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def check_tokenizer(folder: pathlib.Path, pad_token: str):
    """The folder loads in transformers and tokenizes like CLIP's own tokenizer."""
    from open_clip.tokenizer import SimpleTokenizer
    from transformers import CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(str(folder))
    ref = SimpleTokenizer()
    assert tok.model_max_length == 77 and tok.pad_token == pad_token, (tok.model_max_length, tok.pad_token)
    assert tok.bos_token_id == 49406 and tok.eos_token_id == 49407
    texts = ["a photo of an astronaut riding a horse on Mars", "  Hello,   WORLD's 3.14 café <|x|> naïve  ",
             "photograph of a cat, 8k, highly detailed, trending on artstation"]
    for text in texts + (["wow!! a horse!"] if pad_token != "!" else []):
        ids = tok(text)["input_ids"]
        assert ids == [49406] + ref.encode(text) + [49407], (text, ids)
    if pad_token == "!":
        # As with the published SD 2.x tokenizer, "!" is a special token and is split out before BPE.
        assert tok("wow!!")["input_ids"] == [49406] + ref.encode("wow") + [0, 0, 49407], tok("wow!!")["input_ids"]


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def build_models(cfg, dtype=torch.float32, device=None):
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    if device is not None:
        with torch.device(device):
            return build_models(cfg, dtype)
    unet = UNet2DConditionModel(**cfg["unet"])
    vae = AutoencoderKL(**cfg["vae"])
    text = CLIPTextModel(CLIPTextConfig(**cfg["text"]))
    return unet.to(dtype), vae.to(dtype), text.to(dtype)


def rerandomize(module: torch.nn.Module, generator: torch.Generator):
    """Fresh values for every parameter (diffusers zero-initialises some layers, e.g. conv_out,
    proj_out): norm scales near 1, small biases, weights with std 1/sqrt(fan-in) so activations stay
    of order one, embeddings with std 0.1."""
    with torch.no_grad():
        for name, p in sorted(module.named_parameters()):
            noise = torch.randn(p.shape, generator=generator, dtype=torch.float32)
            if p.ndim == 1 and name.endswith("weight") and "norm" in name:
                value = 1 + 0.1 * noise
            elif p.ndim == 1:
                value = 0.05 * noise
            elif "embedding" in name:
                value = 0.1 * noise
            else:
                value = noise / math.sqrt(p[0].numel())
            p.copy_(value.to(p.dtype))


# ---------------------------------------------------------------------------------------------
# diffusers / transformers → original LDM key layout (inverse of single_file_utils.py)
# ---------------------------------------------------------------------------------------------

UNET_RESNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1",
               "norm2": "out_layers.0", "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}
VAE_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def _unet_module_map(config):
    """diffusers module prefix → LDM module prefix (under `model.diffusion_model.`), and the kind of
    module, computed from the config."""
    layers = config["layers_per_block"]
    down = config["down_block_types"]
    up = config["up_block_types"]
    m = {
        "time_embedding.linear_1": ("time_embed.0", "plain"), "time_embedding.linear_2": ("time_embed.2", "plain"),
        "conv_in": ("input_blocks.0.0", "plain"), "conv_norm_out": ("out.0", "plain"), "conv_out": ("out.2", "plain"),
        "mid_block.resnets.0": ("middle_block.0", "resnet"), "mid_block.attentions.0": ("middle_block.1", "plain"),
        "mid_block.resnets.1": ("middle_block.2", "resnet"),
    }
    for b, kind in enumerate(down):
        for i in range(layers):
            n = 1 + b * (layers + 1) + i
            m[f"down_blocks.{b}.resnets.{i}"] = (f"input_blocks.{n}.0", "resnet")
            if kind.startswith("CrossAttn"):
                m[f"down_blocks.{b}.attentions.{i}"] = (f"input_blocks.{n}.1", "plain")
        if b != len(down) - 1:
            m[f"down_blocks.{b}.downsamplers.0.conv"] = (f"input_blocks.{1 + b * (layers + 1) + layers}.0.op", "plain")
    for b, kind in enumerate(up):
        attention = kind.startswith("CrossAttn")
        for i in range(layers + 1):
            n = b * (layers + 1) + i
            m[f"up_blocks.{b}.resnets.{i}"] = (f"output_blocks.{n}.0", "resnet")
            if attention:
                m[f"up_blocks.{b}.attentions.{i}"] = (f"output_blocks.{n}.1", "plain")
        if b != len(up) - 1:
            n = b * (layers + 1) + layers
            m[f"up_blocks.{b}.upsamplers.0.conv"] = (f"output_blocks.{n}.{2 if attention else 1}.conv", "plain")
    return m


def _vae_module_map(config):
    blocks = len(config["block_out_channels"])
    layers = config["layers_per_block"]
    m = {}
    for side in ("encoder", "decoder"):
        m[f"{side}.conv_in"] = (f"{side}.conv_in", "plain")
        m[f"{side}.conv_out"] = (f"{side}.conv_out", "plain")
        m[f"{side}.conv_norm_out"] = (f"{side}.norm_out", "plain")
        m[f"{side}.mid_block.resnets.0"] = (f"{side}.mid.block_1", "vae_resnet")
        m[f"{side}.mid_block.resnets.1"] = (f"{side}.mid.block_2", "vae_resnet")
        m[f"{side}.mid_block.attentions.0"] = (f"{side}.mid.attn_1", "vae_attention")
    for name in ["quant_conv", "post_quant_conv"]:
        m[name] = (name, "plain")
    for b in range(blocks):
        for i in range(layers):
            m[f"encoder.down_blocks.{b}.resnets.{i}"] = (f"encoder.down.{b}.block.{i}", "vae_resnet")
        if b != blocks - 1:
            m[f"encoder.down_blocks.{b}.downsamplers.0.conv"] = (f"encoder.down.{b}.downsample.conv", "plain")
        ldm = blocks - 1 - b
        for i in range(layers + 1):
            m[f"decoder.up_blocks.{b}.resnets.{i}"] = (f"decoder.up.{ldm}.block.{i}", "vae_resnet")
        if b != blocks - 1:
            m[f"decoder.up_blocks.{b}.upsamplers.0.conv"] = (f"decoder.up.{ldm}.upsample.conv", "plain")
    return m


def _split_module(key, module_map):
    """Longest module prefix of `key` in the map, and the leaf after it."""
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in module_map:
            return prefix, ".".join(parts[cut:])
    raise KeyError(f"no LDM module for {key}")


def unet_to_ldm(state, config):
    module_map = _unet_module_map(config)
    out = {}
    for key, value in state.items():
        prefix, leaf = _split_module(key, module_map)
        ldm, kind = module_map[prefix]
        if kind == "resnet":
            layer, param = leaf.split(".")
            leaf = f"{UNET_RESNET[layer]}.{param}"
        out[f"model.diffusion_model.{ldm}.{leaf}"] = value
    return out


def vae_to_ldm(state, config):
    module_map = _vae_module_map(config)
    out = {}
    for key, value in state.items():
        prefix, leaf = _split_module(key, module_map)
        ldm, kind = module_map[prefix]
        if kind == "vae_resnet":
            leaf = leaf.replace("conv_shortcut", "nin_shortcut")
        elif kind == "vae_attention":
            layer, param = leaf.rsplit(".", 1)
            leaf = f"{VAE_ATTENTION[layer]}.{param}"
            if value.ndim == 2:  # LDM's attention projections are 1×1 convolutions
                value = value.reshape(*value.shape, 1, 1)
        out[f"first_stage_model.{ldm}.{leaf}"] = value
    return out


def clip_to_ldm(state):
    """SD 1.x: transformers' CLIP names under `cond_stage_model.transformer.text_model.`."""
    return {f"cond_stage_model.transformer.text_model.{k.removeprefix('text_model.')}": v for k, v in state.items()}


def open_clip_to_ldm(state, layers):
    """SD 2.x: OpenCLIP names under `cond_stage_model.model.`, q/k/v fused into in_proj."""
    state = {k.removeprefix("text_model."): v for k, v in state.items()}
    p = "cond_stage_model.model."
    out = {
        p + "token_embedding.weight": state["embeddings.token_embedding.weight"],
        p + "positional_embedding": state["embeddings.position_embedding.weight"],
        p + "ln_final.weight": state["final_layer_norm.weight"],
        p + "ln_final.bias": state["final_layer_norm.bias"],
    }
    renames = {"layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj",
               "self_attn.out_proj": "attn.out_proj"}
    for i in range(layers):
        src, dst = f"encoder.layers.{i}.", f"{p}transformer.resblocks.{i}."
        for old, new in renames.items():
            for param in ("weight", "bias"):
                out[f"{dst}{new}.{param}"] = state[f"{src}{old}.{param}"]
        for param, fused in (("weight", "in_proj_weight"), ("bias", "in_proj_bias")):
            out[dst + "attn." + fused] = torch.cat(
                [state[f"{src}self_attn.{x}_proj.{param}"] for x in "qkv"], dim=0)
    return out


def open_clip_extras(hidden, intermediate, layers, dtype, generator, device=None):
    """What a real SD 2.x file holds beyond diffusers' text model: OpenCLIP's last resblock (SD 2 uses
    the penultimate layer's output, so diffusers' 23-layer model never loads it), the contrastive
    `text_projection` and `logit_scale`."""
    p = f"cond_stage_model.model.transformer.resblocks.{layers}."
    shapes = {
        "ln_1.weight": [hidden], "ln_1.bias": [hidden], "ln_2.weight": [hidden], "ln_2.bias": [hidden],
        "attn.in_proj_weight": [3 * hidden, hidden], "attn.in_proj_bias": [3 * hidden],
        "attn.out_proj.weight": [hidden, hidden], "attn.out_proj.bias": [hidden],
        "mlp.c_fc.weight": [intermediate, hidden], "mlp.c_fc.bias": [intermediate],
        "mlp.c_proj.weight": [hidden, intermediate], "mlp.c_proj.bias": [hidden],
    }
    out = {}
    for name, shape in shapes.items():
        out[p + name] = _random(shape, generator, device).to(dtype)
    out["cond_stage_model.model.text_projection"] = _random([hidden, hidden], generator, device).to(dtype)
    out["cond_stage_model.model.logit_scale"] = torch.tensor(math.log(100.0), device=device).to(dtype)
    return out


def _random(shape, generator, device):
    if device == "meta":
        return torch.empty(shape, device="meta")
    return torch.randn(shape, generator=generator) * 0.05


def schedule_buffers(dtype, device=None):
    """The DDPM buffers of LDM's LatentDiffusion (scaled_linear 0.00085…0.012, 1000 steps)."""
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    alphas = 1 - betas
    cumprod = torch.cumprod(alphas, 0)
    prev = torch.cat([torch.ones(1, dtype=torch.float64), cumprod[:-1]])
    variance = betas * (1 - prev) / (1 - cumprod)
    values = {
        "betas": betas, "alphas_cumprod": cumprod, "alphas_cumprod_prev": prev,
        "sqrt_alphas_cumprod": cumprod.sqrt(), "sqrt_one_minus_alphas_cumprod": (1 - cumprod).sqrt(),
        "log_one_minus_alphas_cumprod": (1 - cumprod).log(), "sqrt_recip_alphas_cumprod": (1 / cumprod).sqrt(),
        "sqrt_recipm1_alphas_cumprod": (1 / cumprod - 1).sqrt(), "posterior_variance": variance,
        "posterior_log_variance_clipped": torch.log(torch.clamp(variance, min=1e-20)),
        "posterior_mean_coef1": betas * prev.sqrt() / (1 - cumprod),
        "posterior_mean_coef2": (1 - prev) * alphas.sqrt() / (1 - cumprod),
    }
    assert list(values) == SCHEDULE_BUFFERS
    return {k: v.to(dtype).to(device or "cpu") for k, v in values.items()}


def export_ldm(unet, vae, text, cfg, family, dtype, generator, device=None):
    """The whole pipeline as one LDM-layout state dict, with the extras real files carry."""
    out = {}
    out.update(unet_to_ldm(unet.state_dict(), cfg["unet"]))
    out.update(vae_to_ldm(vae.state_dict(), cfg["vae"]))
    text_state = text.state_dict()
    if family == "sd1":
        out.update(clip_to_ldm(text_state))
        out["cond_stage_model.transformer.text_model.embeddings.position_ids"] = (
            torch.arange(77, dtype=torch.int64, device=device).unsqueeze(0))
    else:
        t = cfg["text"]
        out.update(open_clip_to_ldm(text_state, t["num_hidden_layers"]))
        out.update(open_clip_extras(t["hidden_size"], t["intermediate_size"], t["num_hidden_layers"], dtype,
                                    generator, device))
    out.update(schedule_buffers(dtype, device))
    out["model_ema.decay"] = torch.tensor(0.9999, dtype=torch.float32, device=device)
    out["model_ema.num_updates"] = torch.tensor(0, dtype=torch.int32, device=device)
    return out


# ---------------------------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------------------------


def _prefix_text_model(path: pathlib.Path):
    """Rewrites a transformers-5 text encoder file with the published `text_model.` prefix."""
    with safe_open(str(path), "pt") as f:
        tensors = {("text_model." + k if not k.startswith("text_model.") else k): f.get_tensor(k) for k in f.keys()}
        metadata = f.metadata()
    save_file(tensors, str(path), metadata=metadata)


def save_folder(folder, unet, vae, text, scheduler_config, vocab, pairs, pad_token, name_or_path, variant):
    from diffusers import DDIMScheduler, PNDMScheduler, StableDiffusionPipeline
    from transformers import CLIPTokenizer

    if folder.exists():
        shutil.rmtree(folder)
    scratch = folder.parent / (folder.name + ".tokenizer-tmp")
    write_tokenizer(scratch, vocab, pairs, pad_token, name_or_path)
    tokenizer = CLIPTokenizer.from_pretrained(str(scratch))
    scheduler_class = {"PNDMScheduler": PNDMScheduler, "DDIMScheduler": DDIMScheduler}[scheduler_config["_class_name"]]
    scheduler = scheduler_class.from_config({k: v for k, v in scheduler_config.items() if not k.startswith("_")})
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(str(folder), variant=variant, safe_serialization=True)
    shutil.rmtree(scratch)
    # Published layout where transformers 5 writes its own: tokenizer files, text_model. prefix,
    # the scheduler config file as published.
    write_tokenizer(folder / "tokenizer", vocab, pairs, pad_token, name_or_path)
    suffix = f".{variant}.safetensors" if variant else ".safetensors"
    _prefix_text_model(folder / "text_encoder" / f"model{suffix}")
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps(scheduler_config, indent=2) + "\n")


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _assert_same(actual: dict, expected: dict, what: str):
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not missing and not extra, f"{what}: missing {missing[:5]}, extra {extra[:5]}"
    for k in expected:
        a, e = actual[k], expected[k]
        assert a.device.type != "meta", f"{what}: {k} was never loaded"
        assert a.dtype == e.dtype and a.shape == e.shape and torch.equal(a, e), f"{what}: {k} differs"


def verify_folder(folder, variant, dtype, states, pad_token):
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(folder), variant=variant, torch_dtype=dtype)
    for name in ("unet", "vae", "text_encoder"):
        _assert_same(_state(getattr(pipe, name)), states[name], f"{folder.name}/{name}")
    check_tokenizer(folder / "tokenizer", pad_token)
    return pipe


def verify_single_file(path, folder, dtype, states, family, text_layers):
    """Loads the export with diffusers' own single-file code and checks every tensor round-trips."""
    from diffusers import StableDiffusionPipeline
    from diffusers.loaders import single_file_utils as sfu

    # diffusers drops OpenCLIP's last resblock by its real index (23); a tiny export's last block has
    # index `text_layers`, so the ignore list is pointed at it for the check (diffusers would load it
    # into nothing otherwise: load_model_dict_into_meta skips keys the model lacks).
    original = list(sfu.SD_2_TEXT_ENCODER_KEYS_TO_IGNORE)
    if family == "sd2":
        sfu.SD_2_TEXT_ENCODER_KEYS_TO_IGNORE[:] = [
            k.replace("resblocks.23.", f"resblocks.{text_layers}.") for k in original]
    try:
        pipe = StableDiffusionPipeline.from_single_file(str(path), config=str(folder), torch_dtype=dtype,
                                                        local_files_only=True)
    finally:
        sfu.SD_2_TEXT_ENCODER_KEYS_TO_IGNORE[:] = original
    for name in ("unet", "vae", "text_encoder"):
        _assert_same(_state(getattr(pipe, name)), states[name], f"{path.name}/{name}")
    # diffusers' detection agrees with the family (by the key it uses when cross-attention is 1024-wide
    # it would say v2; the tiny models are 32 wide, so only the text-encoder key tells them apart).
    with safe_open(str(path), "pt") as f:
        keys = set(f.keys())
    assert sfu.is_clip_model(keys) == (family == "sd1") and sfu.is_open_clip_model(keys) == (family == "sd2")


def build_pipeline(out, name, family, cfg, dtype, variant, scheduler_config, pad_token, name_or_path, seed,
                   vocab, pairs, file_dtype):
    generator = seeded(seed)
    unet, vae, text = build_models(cfg, torch.float32)
    for module in (unet, vae, text):
        rerandomize(module, generator)
    unet, vae, text = unet.to(dtype).eval(), vae.to(dtype).eval(), text.to(dtype).eval()
    states = {"unet": _state(unet), "vae": _state(vae), "text_encoder": _state(text)}
    folder = out / name
    save_folder(folder, unet, vae, text, scheduler_config, vocab, pairs, pad_token, name_or_path, variant)
    verify_folder(folder, variant, dtype, states, pad_token)

    ldm = export_ldm(unet, vae, text, cfg, family, file_dtype, generator)
    # Model tensors in the file's dtype (the EMA counters keep theirs, as in real files).
    ldm = {k: (v.to(file_dtype) if v.is_floating_point() and not k.startswith("model_ema.") else v).contiguous()
           for k, v in ldm.items()}
    path = out / f"{name}.safetensors"
    save_file(ldm, str(path), metadata={"format": "pt"})
    rounded = {component: {k: v.to(file_dtype).to(v.dtype) for k, v in tensors.items()}
               for component, tensors in states.items()}
    verify_single_file(path, folder, dtype, rounded, family, cfg["text"]["num_hidden_layers"])
    return ldm


# ---------------------------------------------------------------------------------------------
# Real-size key catalogues (names and shapes only)
# ---------------------------------------------------------------------------------------------


def key_catalogue(cfg, family):
    """LDM keys of a real-size checkpoint and the diffusers keys each component loads, built on the meta
    device, and checked against diffusers' own LDM → diffusers conversion."""
    from diffusers.loaders import single_file_utils as sfu

    unet, vae, text = build_models(cfg, torch.float32, device="meta")
    ldm = export_ldm(unet, vae, text, cfg, family, torch.float32, None, device="meta")
    expected = {
        "unet": {k: list(v.shape) for k, v in unet.state_dict().items()},
        "vae": {k: list(v.shape) for k, v in vae.state_dict().items()},
        "text_encoder": {"text_model." + k: list(v.shape) for k, v in text.state_dict().items()},
    }
    # diffusers' conversion of the catalogue must give back exactly the model's keys and shapes.
    unet_config = dict(cfg["unet"])
    converted_unet = sfu.convert_ldm_unet_checkpoint(ldm, unet_config)
    vae_config = dict(cfg["vae"])
    converted_vae = sfu.convert_ldm_vae_checkpoint(ldm, vae_config)
    if family == "sd1":
        converted_text = sfu.convert_ldm_clip_checkpoint(ldm)
    else:
        converted_text = sfu.convert_open_clip_checkpoint(text, ldm)
    converted_text = {("text_model." + k.removeprefix("text_model.")): v for k, v in converted_text.items()
                      if not k.startswith("text_projection") and "position_ids" not in k}
    for name, converted in (("unet", converted_unet), ("vae", converted_vae), ("text_encoder", converted_text)):
        got = {k: list(v.shape) for k, v in converted.items()}
        assert got == expected[name], (family, name, sorted(set(got) ^ set(expected[name]))[:6])
    # diffusers' own model-type detection recognises the catalogue (v1 by default, v2 by the 1024-wide
    # cross-attention of input_blocks.2.1).
    assert sfu.infer_diffusers_model_type(ldm) == {"sd1": "v1", "sd2": "v2"}[family]
    return {"ldm": {k: list(v.shape) for k, v in sorted(ldm.items())},
            **{name: dict(sorted(keys.items())) for name, keys in expected.items()}}


# ---------------------------------------------------------------------------------------------


# stabilityai/sd-turbo's scheduler/scheduler_config.json as published.
SD_TURBO_SCHEDULER = {
    "_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.24.0.dev0", "beta_end": 0.012,
    "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "interpolation_type": "linear",
    "num_train_timesteps": 1000, "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": False,
    "skip_prk_steps": True, "steps_offset": 1, "timestep_spacing": "trailing", "timestep_type": "discrete",
    "trained_betas": None, "use_karras_sigmas": False,
}


def build_turbo_folder(out):
    """`sdturbo-tiny/`: SD-Turbo's published layout (SD 2.1 architecture, Euler with trailing timesteps,
    epsilon prediction) on sd2-tiny's weights, which its component folders link to instead of copying."""
    folder = out / "sdturbo-tiny"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "scheduler").mkdir(parents=True)
    for component in ("text_encoder", "tokenizer", "unet", "vae"):
        (folder / component).symlink_to(pathlib.Path("..") / "sd2-tiny" / component)
    index = json.loads((out / "sd2-tiny" / "model_index.json").read_text())
    index["scheduler"] = ["diffusers", "EulerDiscreteScheduler"]
    (folder / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps(SD_TURBO_SCHEDULER, indent=2, sort_keys=True) + "\n")


def generate(root: pathlib.Path):
    out = root / "pipeline"
    out.mkdir(parents=True, exist_ok=True)
    vocab, pairs = clip_vocabulary()
    build_pipeline(out, "sd15-tiny", "sd1", TINY["sd15"], torch.float32, None, SD15_SCHEDULER, "<|endoftext|>",
                   "openai/clip-vit-large-patch14", 1501, vocab, pairs, file_dtype=torch.float16)
    build_pipeline(out, "sd2-tiny", "sd2", TINY["sd2"], torch.float16, "fp16", SD21_SCHEDULER, "!",
                   "stabilityai/stable-diffusion-2", 2101, vocab, pairs, file_dtype=torch.float16)
    for name, family in (("sd15", "sd1"), ("sd21", "sd2")):
        catalogue = key_catalogue(REAL[name], family)
        (out / f"ldm-keys-{name}.json").write_text(json.dumps(catalogue, separators=(",", ":")) + "\n")
    build_turbo_folder(out)
    from .single_file_recipes import generate as write_recipes
    write_recipes(root)
