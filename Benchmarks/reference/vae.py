#!/usr/bin/env python3
"""diffusers' side of VAEBenchmark: the full-size SD VAE decoder (block_out_channels [128, 256, 512, 512]) with
random weights built in memory from the published config, fp32, 2 threads, 1 × 4 × 64 × 64 latents → 512 × 512.

Usage: /opt/sdref/bin/python Benchmarks/reference/vae.py [--preset sd15|sd21] [--latent-size N] [--tile PIXELS] [--runs N]
Prints build time, median / best decode time, CPU time per decode and peak RSS (ru_maxrss), like the Swift benchmark. The encoder is
dropped after building so that, like the Swift side, only the decoder's weights are resident.
"""
import argparse
import resource
import statistics
import time

import torch
from diffusers import AutoencoderKL

PRESETS = {
    # stable-diffusion-v1-5/vae/config.json
    "sd15": dict(sample_size=512),
    # stabilityai/stable-diffusion-2-1/vae/config.json
    "sd21": dict(sample_size=768),
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=PRESETS, default="sd15")
    parser.add_argument("--latent-size", type=int, default=64)
    parser.add_argument("--tile", type=int, default=None, help="enable tiling with tiles of this many pixels")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    baseline = peak_rss_mib()

    start = time.perf_counter()
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[128, 256, 512, 512],
        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
        layers_per_block=2, norm_num_groups=32, act_fn="silu", scaling_factor=0.18215, **PRESETS[args.preset],
    ).eval()
    vae.encoder = None
    vae.quant_conv = None
    if args.tile is not None:
        vae.enable_tiling()
        vae.tile_sample_min_size = args.tile
        vae.tile_latent_min_size = args.tile // 8
    build = time.perf_counter() - start
    after_build = peak_rss_mib()

    latents = torch.randn(1, 4, args.latent_size, args.latent_size, generator=torch.Generator().manual_seed(0))
    times = []
    cpu_start = cpu_seconds()
    with torch.inference_mode():
        for _ in range(args.runs):
            start = time.perf_counter()
            image = vae.decode(latents / vae.config.scaling_factor).sample
            times.append(time.perf_counter() - start)
    cpu = (cpu_seconds() - cpu_start) / args.runs
    print(f"diffusers AutoencoderKL decoder {args.preset}, 1 × 4 × {args.latent_size} × {args.latent_size} → "
          f"{list(image.shape)}, random weights, torch {torch.__version__}, {torch.get_num_threads()} threads"
          + (f", tiled ({args.tile}-pixel tiles)" if args.tile else ""))
    print(f"build (random init): {build:.3f} s")
    print(f"decode: median {statistics.median(times):.3f} s, best {min(times):.3f} s over {args.runs} runs; CPU time {cpu:.3f} s per decode")
    print(f"output range: [{image.min():.3f}, {image.max():.3f}]")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB (after imports {baseline:.0f}, after build {after_build:.0f})")


if __name__ == "__main__":
    main()
