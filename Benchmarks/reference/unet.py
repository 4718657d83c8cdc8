#!/usr/bin/env python3
"""diffusers' side of UNetBenchmark: the full-size SD UNet (SD 1.5 by default: block_out_channels
[320, 640, 1280, 1280], 2 layers per block, cross-attention 768, 8 heads) with random weights built in memory
from the published config, fp32, 2 threads, one forward at batch 2 × 4 × 64 × 64 with 77-token text embeddings.

Usage: /opt/sdref/bin/python Benchmarks/reference/unet.py [--preset sd15|sd21] [--latent-size N] [--batch N]
                                                           [--runs N] [--warmup N]
Prints the parameter count, build time, median / best forward time and peak RSS (ru_maxrss), like the Swift
benchmark.
"""
import argparse
import resource
import statistics
import time

import torch
from diffusers import UNet2DConditionModel

PRESETS = {
    # stable-diffusion-v1-5/stable-diffusion-v1-5 unet/config.json
    "sd15": dict(sample_size=64, cross_attention_dim=768, attention_head_dim=8),
    # stabilityai/stable-diffusion-2-1 unet/config.json
    "sd21": dict(sample_size=96, cross_attention_dim=1024, attention_head_dim=[5, 10, 20, 20],
                 use_linear_projection=True, upcast_attention=True),
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=PRESETS, default="sd15")
    parser.add_argument("--latent-size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    baseline = peak_rss_mib()

    start = time.perf_counter()
    unet = UNet2DConditionModel(
        in_channels=4, out_channels=4, block_out_channels=[320, 640, 1280, 1280], layers_per_block=2,
        down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
        up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
        norm_num_groups=32, norm_eps=1e-5, flip_sin_to_cos=True, freq_shift=0, **PRESETS[args.preset],
    ).eval()
    build = time.perf_counter() - start
    after_build = peak_rss_mib()
    parameters = sum(p.numel() for p in unet.parameters())
    tensors = len(unet.state_dict())

    generator = torch.Generator().manual_seed(0)
    side = args.latent_size
    latents = torch.randn(args.batch, 4, side, side, generator=generator)
    text = torch.randn(args.batch, 77, unet.config.cross_attention_dim, generator=generator)
    times = []
    with torch.inference_mode():
        for _ in range(args.warmup):
            output = unet(latents, 999, encoder_hidden_states=text).sample
        for _ in range(args.runs):
            start = time.perf_counter()
            output = unet(latents, 999, encoder_hidden_states=text).sample
            times.append(time.perf_counter() - start)
    print(f"diffusers UNet2DConditionModel {args.preset}, {args.batch} × 4 × {side} × {side}, text {args.batch} × 77 × "
          f"{unet.config.cross_attention_dim}, random weights, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"parameters: {parameters} in {tensors} tensors")
    print(f"build (random init): {build:.3f} s")
    print(f"forward: median {statistics.median(times):.3f} s, best {min(times):.3f} s over {args.runs} runs "
          f"(after {args.warmup} warm-up)")
    print(f"output: {list(output.shape)}, range [{output.min():.3f}, {output.max():.3f}]")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB (after imports {baseline:.0f}, after build {after_build:.0f})")


if __name__ == "__main__":
    main()
