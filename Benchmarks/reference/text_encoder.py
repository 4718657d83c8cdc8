#!/usr/bin/env python3
"""transformers' side of TextEncoderBenchmark: the full-size CLIP text model of SD 1.5 (or 2.1) with random
weights built in memory from the published config, fp32, 2 threads, batch 2 × 77 tokens.

Usage: /opt/sdref/bin/python Benchmarks/reference/text_encoder.py [--preset sd15|sd21] [--runs N] [--clip-skip N]
Prints build time, median / best encode time and peak RSS (ru_maxrss), like the Swift benchmark.
"""
import argparse
import resource
import statistics
import time

import torch
from transformers import CLIPTextConfig, CLIPTextModel

PRESETS = {
    # stable-diffusion-v1-5/text_encoder/config.json (OpenAI CLIP ViT-L/14)
    "sd15": dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                 hidden_act="quick_gelu", projection_dim=768),
    # stable-diffusion-2-1/text_encoder/config.json (OpenCLIP ViT-H/14, 23 layers)
    "sd21": dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=23, num_attention_heads=16,
                 hidden_act="gelu", projection_dim=512),
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=PRESETS, default="sd15")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--clip-skip", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    baseline = peak_rss_mib()

    start = time.perf_counter()
    config = CLIPTextConfig(vocab_size=49408, max_position_embeddings=77, layer_norm_eps=1e-5, **PRESETS[args.preset])
    model = CLIPTextModel(config).eval()
    build = time.perf_counter() - start
    after_build = peak_rss_mib()

    bos, eos = 49406, 49407
    negative = [bos, eos] + [eos] * 75
    positive = [bos] + [320 + 37 * i for i in range(20)] + [eos] + [eos] * 55
    ids = torch.tensor([negative, positive])

    def encode():
        # diffusers' encode_prompt: last_hidden_state, or hidden_states[-(clip_skip + 1)] then final_layer_norm.
        if args.clip_skip is None:
            return model(ids)[0]
        out = model(ids, output_hidden_states=True)
        return model.final_layer_norm(out[-1][-(args.clip_skip + 1)])

    times = []
    with torch.inference_mode():
        encode()  # warm-up
        for _ in range(args.runs):
            start = time.perf_counter()
            encode()
            times.append(time.perf_counter() - start)
    print(f"transformers CLIPTextModel {args.preset} ({config.hidden_size} wide, {config.num_hidden_layers} layers), "
          f"batch 2 × 77, random weights, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"attention {model.config._attn_implementation}")
    print(f"build (random init): {build:.3f} s")
    print(f"encode: median {statistics.median(times):.3f} s, best {min(times):.3f} s over {args.runs} runs")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB (after imports {baseline:.0f}, after build {after_build:.0f})")


if __name__ == "__main__":
    main()
