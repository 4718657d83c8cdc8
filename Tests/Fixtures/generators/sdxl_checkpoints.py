"""SDXL single-file checkpoints and the base → refiner hand-over, on the folders `sdxl.py` writes (run it first).

Writes `sdxl/handover/`:
- `single-file-map.json`: for the tiny SDXL base (`pipeline/sdxl-tiny`) and refiner (`pipeline/sdxl-refiner-tiny`),
  every tensor of their single-file export in the SGM / A1111 layout (`conditioner.embedders.0.transformer.…`,
  `conditioner.embedders.1.model.…`, the refiner's `conditioner.embedders.0.model.…`, `model.diffusion_model.…`
  with `label_emb.0.0/0.2`, `first_stage_model.…`): checkpoint key → component, the folder tensor(s) it is made
  of and how (`identity`, `transpose` for OpenCLIP's `text_projection`, `conv1x1` for the VAE attention
  projections, `concat` for OpenCLIP's fused q/k/v). A whole file would cost the two token embeddings
  (49408 × 48 values) again, over the fixtures budget, so the Swift test assembles the file from the folder's
  own tensors with this map (F32: the writer stores F32; fp16 values widen exactly). The map is not taken on
  trust: the same file is written here and loaded with diffusers' `from_single_file(…, config=<folder>)`,
  every tensor must equal the folder's, and the base file must reproduce the folder's `seeded-sdxl-default`
  run bit for bit.
- `ldm-keys-sdxl.json`: a real-size SDXL base key catalogue (names and shapes; see `write_catalogue`).
- `cases.json`, `latents.safetensors`, `<case>.png`: `StableDiffusionXLPipeline(denoising_end=f,
  output_type="latent")` → `StableDiffusionXLImg2ImgPipeline(image=latents, denoising_start=f)` on the tiny
  base and refiner, as diffusers 0.42.1 documents the ensemble of expert denoisers. Per case the base's
  latents at the cut (`<case>/base_latents`) and the refiner's final latents (`<case>/latents`). With
  `shared_generator` the one generator object is passed to both calls (what the Swift session does: one random
  source per generation); otherwise each call gets a fresh generator of the seed.
"""
import json
import pathlib
import tempfile

import torch
from safetensors.torch import save_file

from ._common import seeded
from .pipeline_models import _state, _unet_module_map, _vae_module_map, _split_module, UNET_RESNET, VAE_ATTENTION
from .sdxl import NEGATIVE, PROMPT, SEED, load_pipeline, load_refiner

OPENCLIP_RENAMES = {"layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj",
                    "self_attn.out_proj": "attn.out_proj"}


def unet_map(state, config):
    """`model.diffusion_model.…` → (`unet`, [diffusers key], identity); SDXL's `add_embedding` is `label_emb.0`."""
    module_map = _unet_module_map(dict(config, down_block_types=list(config["down_block_types"]),
                                       up_block_types=list(config["up_block_types"])))
    module_map["add_embedding.linear_1"] = ("label_emb.0.0", "plain")
    module_map["add_embedding.linear_2"] = ("label_emb.0.2", "plain")
    out = {}
    for key in state:
        prefix, leaf = _split_module(key, module_map)
        ldm, kind = module_map[prefix]
        if kind == "resnet":
            layer, param = leaf.split(".")
            leaf = f"{UNET_RESNET[layer]}.{param}"
        out[f"model.diffusion_model.{ldm}.{leaf}"] = ("unet", [key], "identity")
    return out


def vae_map(state, config):
    module_map = _vae_module_map(config)
    out = {}
    for key, value in state.items():
        prefix, leaf = _split_module(key, module_map)
        ldm, kind = module_map[prefix]
        transform = "identity"
        if kind == "vae_resnet":
            leaf = leaf.replace("conv_shortcut", "nin_shortcut")
        elif kind == "vae_attention":
            layer, param = leaf.rsplit(".", 1)
            leaf = f"{VAE_ATTENTION[layer]}.{param}"
            if value.ndim == 2:
                transform = "conv1x1"
        out[f"first_stage_model.{ldm}.{leaf}"] = ("vae", [key], transform)
    return out


def clip_map(state, prefix):
    """CLIP ViT-L as transformers saves it, under `conditioner.embedders.0.transformer.text_model.`."""
    return {f"{prefix}transformer.text_model.{k.removeprefix('text_model.')}": ("text_encoder", [k], "identity")
            for k in state}


def open_clip_map(state, prefix, layers):
    """OpenCLIP ViT-bigG (`convert_open_clip_checkpoint` read backwards): fused q/k/v, `text_projection` transposed."""
    t = "text_model."
    out = {
        prefix + "token_embedding.weight": [t + "embeddings.token_embedding.weight"],
        prefix + "positional_embedding": [t + "embeddings.position_embedding.weight"],
        prefix + "ln_final.weight": [t + "final_layer_norm.weight"],
        prefix + "ln_final.bias": [t + "final_layer_norm.bias"],
    }
    out = {k: ("text_encoder_2", v, "identity") for k, v in out.items()}
    out[prefix + "text_projection"] = ("text_encoder_2", ["text_projection.weight"], "transpose")
    for i in range(layers):
        src, dst = f"{t}encoder.layers.{i}.", f"{prefix}transformer.resblocks.{i}."
        for old, new in OPENCLIP_RENAMES.items():
            for param in ("weight", "bias"):
                out[f"{dst}{new}.{param}"] = ("text_encoder_2", [f"{src}{old}.{param}"], "identity")
        for param, fused in (("weight", "in_proj_weight"), ("bias", "in_proj_bias")):
            out[f"{dst}attn.{fused}"] = ("text_encoder_2", [f"{src}self_attn.{x}_proj.{param}" for x in "qkv"], "concat")
    assert set(k for v in out.values() for k in v[1]) == set(state), "every text_encoder_2 tensor mapped once"
    return out


def build_map(pipe, refiner: bool):
    states = {name: _state(getattr(pipe, name)) for name in
              (("text_encoder_2",) if refiner else ("text_encoder", "text_encoder_2")) + ("unet", "vae")}
    out = {}
    out.update(unet_map(states["unet"], dict(pipe.unet.config)))
    out.update(vae_map(states["vae"], dict(pipe.vae.config)))
    if refiner:
        out.update(open_clip_map(states["text_encoder_2"], "conditioner.embedders.0.model.",
                                 pipe.text_encoder_2.config.num_hidden_layers))
    else:
        out.update(clip_map(states["text_encoder"], "conditioner.embedders.0."))
        out.update(open_clip_map(states["text_encoder_2"], "conditioner.embedders.1.model.",
                                 pipe.text_encoder_2.config.num_hidden_layers))
    return out, states


def assemble(mapping, states, dtypes):
    """The single file's tensors, each in the dtype its folder file stores."""
    tensors = {}
    for key, (component, sources, transform) in mapping.items():
        values = [states[component][s] for s in sources]
        if transform == "identity":
            value = values[0]
        elif transform == "transpose":
            value = values[0].T
        elif transform == "conv1x1":
            value = values[0].reshape(*values[0].shape, 1, 1)
        else:
            value = torch.cat(values, dim=0)
        tensors[key] = value.to(dtypes[component]).contiguous()
    return tensors


def check_same(actual, expected, what):
    assert set(actual) == set(expected), f"{what}: {sorted(set(actual) ^ set(expected))[:5]}"
    for k in expected:
        assert torch.equal(actual[k].float(), expected[k].float()), f"{what}: {k} differs"


def verify_single_files(folder, refiner_folder, base, refiner, maps):
    from diffusers import StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline
    from .sdxl import STEPS

    f32 = dict(torch_dtype=torch.float32, local_files_only=True)
    # Folder file dtypes: the UNets and text_encoder_2 are fp16-only, text_encoder (sd15-tiny's) and the VAE fp32.
    dtypes = dict(unet=torch.float16, text_encoder_2=torch.float16, text_encoder=torch.float32, vae=torch.float32)
    with tempfile.TemporaryDirectory() as scratch:
        for name, (mapping, states), pipe_class, config, reference in (
                ("base", maps["base"], StableDiffusionXLPipeline, folder, base),
                ("refiner", maps["refiner"], StableDiffusionXLImg2ImgPipeline, refiner_folder, refiner)):
            tensors = assemble(mapping, states, dtypes)
            # What real files carry beside the models: OpenCLIP's logit scale, CLIP's position ids.
            logit = "conditioner.embedders.0.model.logit_scale" if name == "refiner" else "conditioner.embedders.1.model.logit_scale"
            tensors[logit] = torch.tensor(4.6052)
            path = pathlib.Path(scratch) / f"{name}.safetensors"
            save_file(tensors, str(path), metadata={"format": "pt"})
            loaded = pipe_class.from_single_file(str(path), config=str(config), **f32)
            for component in states:
                check_same(_state(getattr(loaded, component)), states[component], f"{name}/{component}")
            if name == "base":
                loaded.set_progress_bar_config(disable=True)
                kwargs = dict(prompt=PROMPT, negative_prompt=None, num_inference_steps=STEPS, output_type="latent")
                with torch.no_grad():
                    a = loaded(**kwargs, generator=seeded(SEED)).images
                    b = reference(**kwargs, generator=seeded(SEED)).images
                assert torch.equal(a, b), "the single file must reproduce the folder's run"
            print(f"   {name}: {len(tensors)} tensors verified with from_single_file", flush=True)


HANDOVER_CASES = [
    # diffusers' documented default: Euler (the published scheduler), 0.8.
    dict(name="handover-euler-0.8", scheduler=None, steps=10, switch=0.8, seed=SEED, negative=None,
         shared_generator=False),
    # Stochastic steps on both sides, one generator through both calls; a cut between leading timesteps.
    dict(name="handover-euler-a-0.65", scheduler="euler-a", steps=8, switch=0.65, seed=SEED + 5, negative=NEGATIVE,
         shared_generator=True),
    # Second order: diffusers' +1 rule for Heun's duplicated timesteps.
    dict(name="handover-heun-0.7", scheduler="heun", steps=6, switch=0.7, seed=SEED + 6, negative=NEGATIVE,
         shared_generator=False),
]


def write_handover(out, base, refiner):
    from .pipeline_runs import scheduler_for

    manifest = {"prompt": PROMPT, "cases": []}
    tensors = {}
    base_default, refiner_default = base.scheduler, refiner.scheduler
    for case in HANDOVER_CASES:
        base.scheduler = scheduler_for(base_default, case["scheduler"])
        refiner.scheduler = scheduler_for(refiner_default, case["scheduler"])
        generator = seeded(case["seed"])
        common = dict(prompt=PROMPT, negative_prompt=case["negative"], num_inference_steps=case["steps"])
        with torch.no_grad():
            latents = base(**common, denoising_end=case["switch"], output_type="latent", generator=generator).images
            results = []
            for output_type in ("latent", "pil"):
                g = generator if case["shared_generator"] else seeded(case["seed"])
                if case["shared_generator"]:
                    state = generator.get_state()
                results.append(refiner(**common, image=latents, denoising_start=case["switch"],
                                       output_type=output_type, generator=g).images)
                if case["shared_generator"] and output_type == "latent":
                    generator.set_state(state)
            refiner_steps = refiner.num_timesteps
        final, pictures = results
        tensors[f"{case['name']}/base_latents"] = latents.float().contiguous()
        tensors[f"{case['name']}/latents"] = final.float().contiguous()
        pictures[0].save(out / f"{case['name']}.png")
        manifest["cases"].append(dict(case, base_steps=base.num_timesteps, refiner_steps=refiner_steps,
                                      image_file=f"{case['name']}.png"))
        print(f"   {case['name']}: base {base.num_timesteps} steps, refiner {refiner_steps} steps", flush=True)
    base.scheduler, refiner.scheduler = base_default, refiner_default
    save_file(tensors, str(out / "latents.safetensors"), metadata={"format": "pt"})
    (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")


def generate(root: pathlib.Path) -> None:
    folder, refiner_folder = root / "pipeline" / "sdxl-tiny", root / "pipeline" / "sdxl-refiner-tiny"
    base, refiner = load_pipeline(folder), load_refiner(refiner_folder)
    out = root / "sdxl" / "handover"
    out.mkdir(parents=True, exist_ok=True)
    maps = {"base": build_map(base, refiner=False), "refiner": build_map(refiner, refiner=True)}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reductions in one order, whatever the machine
    try:
        verify_single_files(folder, refiner_folder, base, refiner, maps)
        write_handover(out, base, refiner)
    finally:
        torch.set_num_threads(threads)
    listing = {name: {key: {"component": c, "sources": s, "transform": t} for key, (c, s, t) in sorted(m.items())}
               for name, (m, _) in maps.items()}
    (out / "single-file-map.json").write_text(json.dumps(listing, indent=0, sort_keys=True) + "\n")
    write_catalogue(out / "ldm-keys-sdxl.json")


# ---------------------------------------------------------------------------------------------
# Real-size key catalogue of SDXL base 1.0 (names and shapes only), for the published-config route
# ---------------------------------------------------------------------------------------------

SDXL_BASE_UNET = dict(  # stabilityai/stable-diffusion-xl-base-1.0/unet/config.json (structure)
    sample_size=128, in_channels=4, out_channels=4, layers_per_block=2, block_out_channels=[320, 640, 1280],
    down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    transformer_layers_per_block=[1, 2, 10], attention_head_dim=[5, 10, 20], cross_attention_dim=2048,
    use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=256,
    projection_class_embeddings_input_dim=2816, norm_num_groups=32)


def write_catalogue(path: pathlib.Path):
    """`sdxl/handover/ldm-keys-sdxl.json`: the SGM keys of a real-size SDXL base file and the diffusers keys each
    component loads, built on the meta device with this module's map and checked against diffusers' own
    conversion (`convert_ldm_unet_checkpoint`, `convert_ldm_vae_checkpoint`, `convert_ldm_clip_checkpoint`,
    `convert_open_clip_checkpoint`) and model-type detection (`xl_base`)."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders import single_file_utils as sfu
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    with torch.device("meta"):
        unet = UNet2DConditionModel(**SDXL_BASE_UNET)
        vae = AutoencoderKL(block_out_channels=[128, 256, 512, 512], layers_per_block=2, latent_channels=4,
                            down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4)
        text = CLIPTextModel(CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                            num_attention_heads=12, hidden_act="quick_gelu", projection_dim=768))
        text2 = CLIPTextModelWithProjection(CLIPTextConfig(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
                                                           num_attention_heads=20, hidden_act="gelu", projection_dim=1280))
    states = {"unet": unet.state_dict(), "vae": vae.state_dict(),
              "text_encoder": {k if k.startswith("text_model.") else "text_model." + k: v
                               for k, v in text.state_dict().items() if "position_ids" not in k},
              "text_encoder_2": {k: v for k, v in text2.state_dict().items() if "position_ids" not in k}}
    mapping = {}
    mapping.update(unet_map(states["unet"], SDXL_BASE_UNET))
    mapping.update(vae_map(states["vae"], dict(vae.config)))
    mapping.update(clip_map(states["text_encoder"], "conditioner.embedders.0."))
    mapping.update(open_clip_map(states["text_encoder_2"], "conditioner.embedders.1.model.", 32))
    ldm = {}
    for key, (component, sources, transform) in mapping.items():
        shapes = [list(states[component][s].shape) for s in sources]
        shape = shapes[0]
        if transform == "transpose":
            shape = shape[::-1]
        elif transform == "conv1x1":
            shape = shape + [1, 1]
        elif transform == "concat":
            shape = [sum(s[0] for s in shapes)] + shape[1:]
        ldm[key] = torch.empty(shape, device="meta")
    expected = {name: {k: list(v.shape) for k, v in state.items()} for name, state in states.items()}
    converted = {
        "unet": sfu.convert_ldm_unet_checkpoint(ldm, SDXL_BASE_UNET),
        "vae": sfu.convert_ldm_vae_checkpoint(ldm, dict(vae.config)),
        "text_encoder": {"text_model." + k.removeprefix("text_model."): v for k, v in
                         sfu.convert_ldm_clip_checkpoint(ldm, "conditioner.embedders.0.transformer.").items()
                         if k.startswith(("text_model.", "embeddings.", "encoder.", "final_layer_norm"))},
        "text_encoder_2": {k: v for k, v in sfu.convert_open_clip_checkpoint(text2, ldm, "conditioner.embedders.1.model.").items()
                           if "position_ids" not in k},
    }
    for name, tensors in converted.items():
        got = {k: list(v.shape) for k, v in tensors.items()}
        assert got == expected[name], (name, sorted(set(got) ^ set(expected[name]))[:6])
    probe = dict(ldm, **{sfu.CHECKPOINT_KEY_NAMES["xl_base"]: torch.empty([1280], device="meta")})
    assert sfu.infer_diffusers_model_type(probe) == "xl_base"
    catalogue = {"ldm": {k: list(v.shape) for k, v in sorted(ldm.items())},
                 **{name: dict(sorted(keys.items())) for name, keys in expected.items()}}
    path.write_text(json.dumps(catalogue, separators=(",", ":")) + "\n")
    print(f"   ldm-keys-sdxl.json: {len(ldm)} checkpoint keys", flush=True)
