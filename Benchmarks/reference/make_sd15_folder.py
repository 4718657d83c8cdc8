#!/usr/bin/env python3
"""Writes a full-size Stable Diffusion 1.5 diffusers folder with random weights, for load-time and memory
benchmarks (no download): the published SD 1.5 configurations, weights from each model's own random
initialisation, saved with `save_pretrained(variant="fp16")` as fp16 safetensors (about 2 GB), plus the
tokenizer copied from the test fixtures. Nothing it writes is ever committed.

Usage: /opt/sdref/bin/python Benchmarks/reference/make_sd15_folder.py [OUTPUT] [--dtype fp16|fp32]
           [--single-file PATH]
       (OUTPUT defaults to /tmp/sd15-random-fp16, or /tmp/sd15-random-fp32 with --dtype fp32)

--single-file also writes the same weights, rounded to fp16, as one single-file checkpoint in the original
LDM / A1111 layout (`model.diffusion_model.`, `first_stage_model.`, `cond_stage_model.transformer.`, with the
DDPM buffers and EMA counters real files carry; about 2 GB), as most shared SD 1.5 files are. The key mapping
is the test fixtures' (Tests/Fixtures/generators/pipeline_models.py, checked there against diffusers'
`from_single_file`).

fp16 writes `*.fp16.safetensors` (what `variant="fp16"` downloads look like); fp32 writes the plain file
names. The Swift loader reads either without options: it picks the `.fp16.` files when they are the only
ones.
"""
import argparse
import pathlib
import shutil
import sys
import time

import torch
from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKENIZER = ROOT / "Tests/Fixtures/pipeline/sd15-tiny/tokenizer"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output", nargs="?")
    parser.add_argument("--dtype", choices=["fp16", "fp32"], default="fp16")
    parser.add_argument("--single-file")
    args = parser.parse_args()
    output = pathlib.Path(args.output or f"/tmp/sd15-random-{args.dtype}")
    torch.manual_seed(0)
    start = time.perf_counter()
    # stable-diffusion-v1-5/stable-diffusion-v1-5: unet/config.json, vae/config.json, text_encoder/config.json,
    # scheduler/scheduler_config.json.
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, block_out_channels=[320, 640, 1280, 1280], layers_per_block=2,
        down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
        up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
        norm_num_groups=32, norm_eps=1e-5, cross_attention_dim=768, attention_head_dim=8,
        flip_sin_to_cos=True, freq_shift=0, act_fn="silu")
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[128, 256, 512, 512], layers_per_block=2,
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
        norm_num_groups=32, sample_size=512, act_fn="silu")
    text_encoder = CLIPTextModel(CLIPTextConfig(
        hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
        max_position_embeddings=77, vocab_size=49408, hidden_act="quick_gelu", layer_norm_eps=1e-5,
        projection_dim=768, bos_token_id=0, eos_token_id=2, pad_token_id=1))
    # from_config keeps keys the class does not take (clip_sample), as the published config has them.
    scheduler = PNDMScheduler.from_config(dict(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
        skip_prk_steps=True, steps_offset=1, set_alpha_to_one=False, clip_sample=False, trained_betas=None))
    tokenizer = CLIPTokenizer.from_pretrained(TOKENIZER)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    if output.exists():
        shutil.rmtree(output)
    if args.dtype == "fp16":
        pipe.to(torch.float16)
        pipe.save_pretrained(output, variant="fp16")
    else:
        pipe.save_pretrained(output)
    if args.single_file:
        sys.path.insert(0, str(ROOT / "Tests/Fixtures"))
        from generators.pipeline_models import export_ldm
        from safetensors.torch import save_file
        state = export_ldm(unet.half(), vae.half(), text_encoder.half(), {"unet": unet.config, "vae": vae.config},
                           "sd1", torch.float16, torch.Generator().manual_seed(0))
        save_file({k: v.contiguous() for k, v in state.items()}, args.single_file)
        print(f"wrote {args.single_file} ({pathlib.Path(args.single_file).stat().st_size / 2**30:.2f} GiB, "
              f"{len(state)} tensors, LDM layout, fp16)")
    size = sum(f.stat().st_size for f in output.rglob("*.safetensors"))
    print(f"wrote {output} ({size / 2**30:.2f} GiB of safetensors, {args.dtype}) in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
