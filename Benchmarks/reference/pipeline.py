#!/usr/bin/env python3
"""diffusers' side of PipelineBenchmark: the same items on SD 1.5 at full size, with random weights built in
memory from the published configurations (fp32, as diffusers holds a model on the CPU), torch on the same
thread count.

Items: text-encode (CLIP, batch 2 × 77), unet-512 / unet-256 (one guided step: batch 2 × 4 × 64² / 32²),
vae-512 / vae-256 (decode 1 × 4 × 64² / 32²), generate-512 / generate-256 (StableDiffusionPipeline, PNDM,
guidance 7.5, `--steps` steps), load (StableDiffusionPipeline.from_pretrained on --model-folder, fp16 files
upcast to float32 as a CPU user loads them); unet-768 / unet-1024 / vae-768 / vae-1024 (the same at larger sizes),
vae-tiled-1024 (enable_tiling() with 512-pixel tiles), unet-xl-1024 (one guided step of SDXL base's UNet) and
generate-xl-1024 (StableDiffusionXLPipeline, Euler, guidance 5.0, both text encoders).

Usage: /opt/sdref/bin/python Benchmarks/reference/pipeline.py [--items a,b,…] [--runs N] [--warmup N]
           [--generation-runs N] [--steps N] [--threads N] [--model-folder PATH]
Prints, like the Swift benchmark, one line per item and a `RESULT {json}` line: runs, median, spread and
peak resident memory (VmHWM, reset before each item after the first, as the Swift side does).
"""
import argparse
import json
import pathlib
import statistics
import sys
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKENIZER = ROOT / "Tests/Fixtures/pipeline/sd15-tiny/tokenizer"
XL_TOKENIZERS = ROOT / "Tests/Fixtures/pipeline/sdxl-tiny"  # tokenizer/ and tokenizer_2/ (pads with "!")
ITEMS = ["text-encode", "unet-512", "unet-256", "unet-768", "unet-1024", "vae-512", "vae-256", "vae-768", "vae-1024",
         "vae-tiled-1024", "generate-512", "generate-256", "unet-xl-1024", "generate-xl-1024", "load", "controlnet-ab"]
SIDES = {"256": 32, "512": 64, "768": 96, "1024": 128}  # latent side by image side


def log(message):
    print(f"  {message}", file=sys.stderr, flush=True)


def status_mib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


class Models:
    """The components, built on first use (default random initialisation, fp32, eval mode)."""

    def __init__(self):
        self.cache = {}

    def get(self, name):
        if name not in self.cache:
            start = time.perf_counter()
            self.cache[name] = getattr(self, "_" + name)()
            log(f"built {name} in {time.perf_counter() - start:.1f} s; resident {status_mib('VmRSS:'):.0f} MiB")
        return self.cache[name]

    @staticmethod
    def _unet():
        from diffusers import UNet2DConditionModel
        # stable-diffusion-v1-5 unet/config.json
        return UNet2DConditionModel(
            sample_size=64, in_channels=4, out_channels=4, block_out_channels=[320, 640, 1280, 1280], layers_per_block=2,
            down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
            up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3, norm_num_groups=32, norm_eps=1e-5,
            cross_attention_dim=768, attention_head_dim=8, flip_sin_to_cos=True, freq_shift=0).eval()

    @staticmethod
    def _vae(scaling_factor=0.18215, sample_size=512, **extra):
        from diffusers import AutoencoderKL
        # stable-diffusion-v1-5 vae/config.json; SDXL's (stable-diffusion-xl-base-1.0 vae/config.json) is the same
        # architecture with scaling_factor 0.13025, sample_size 1024 and force_upcast.
        return AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=4, block_out_channels=[128, 256, 512, 512],
            down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
            layers_per_block=2, norm_num_groups=32, act_fn="silu", scaling_factor=scaling_factor,
            sample_size=sample_size, **extra).eval()

    def _decoder(self):
        # The decoder alone, as VAEBenchmark and the Swift decode items measure it.
        vae = self._vae()
        vae.encoder = None
        vae.quant_conv = None
        return vae

    @staticmethod
    def _text_encoder():
        from transformers import CLIPTextConfig, CLIPTextModel
        # stable-diffusion-v1-5 text_encoder/config.json
        return CLIPTextModel(CLIPTextConfig(
            hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
            max_position_embeddings=77, vocab_size=49408, hidden_act="quick_gelu", layer_norm_eps=1e-5,
            projection_dim=768)).eval()

    @staticmethod
    def _xl_unet():
        from diffusers import UNet2DConditionModel
        # stable-diffusion-xl-base-1.0 unet/config.json
        return UNet2DConditionModel(
            sample_size=128, in_channels=4, out_channels=4, block_out_channels=[320, 640, 1280], layers_per_block=2,
            down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
            up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"], norm_num_groups=32,
            norm_eps=1e-5, cross_attention_dim=2048, transformer_layers_per_block=[1, 2, 10],
            attention_head_dim=[5, 10, 20], use_linear_projection=True, addition_embed_type="text_time",
            addition_time_embed_dim=256, projection_class_embeddings_input_dim=2816, flip_sin_to_cos=True,
            freq_shift=0).eval()

    @staticmethod
    def _xl_text_encoder_2():
        from transformers import CLIPTextConfig, CLIPTextModelWithProjection
        # stable-diffusion-xl-base-1.0 text_encoder_2/config.json (OpenCLIP ViT-bigG)
        return CLIPTextModelWithProjection(CLIPTextConfig(
            hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=20,
            max_position_embeddings=77, vocab_size=49408, hidden_act="gelu", layer_norm_eps=1e-5,
            projection_dim=1280)).eval()

    def _xl_pipeline(self):
        from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline
        from transformers import CLIPTokenizer
        # stable-diffusion-xl-base-1.0 scheduler/scheduler_config.json
        scheduler = EulerDiscreteScheduler.from_config(dict(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
            interpolation_type="linear", prediction_type="epsilon", sample_max_value=1.0, set_alpha_to_one=False,
            skip_prk_steps=True, steps_offset=1, timestep_spacing="leading", trained_betas=None,
            use_karras_sigmas=False))
        vae = self._vae(scaling_factor=0.13025, sample_size=1024, force_upcast=True)
        pipe = StableDiffusionXLPipeline(
            vae=vae, text_encoder=self.get("text_encoder"), text_encoder_2=self.get("xl_text_encoder_2"),
            tokenizer=CLIPTokenizer.from_pretrained(XL_TOKENIZERS / "tokenizer"),
            tokenizer_2=CLIPTokenizer.from_pretrained(XL_TOKENIZERS / "tokenizer_2"), unet=self.get("xl_unet"),
            scheduler=scheduler, force_zeros_for_empty_prompt=True, add_watermarker=False)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _pipeline(self):
        from diffusers import PNDMScheduler, StableDiffusionPipeline
        from transformers import CLIPTokenizer
        scheduler = PNDMScheduler.from_config(dict(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
            skip_prk_steps=True, steps_offset=1, set_alpha_to_one=False, clip_sample=False, trained_betas=None))
        pipe = StableDiffusionPipeline(
            vae=self.get("vae"), text_encoder=self.get("text_encoder"), tokenizer=CLIPTokenizer.from_pretrained(TOKENIZER),
            unet=self.get("unet"), scheduler=scheduler, safety_checker=None, feature_extractor=None,
            requires_safety_checker=False)
        pipe.set_progress_bar_config(disable=True)
        return pipe


def timed(item, runs, warmup, body):
    for _ in range(warmup):
        body()
    times = []
    for run in range(runs):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
        log(f"{item} run {run + 1}/{runs}: {times[-1]:.3f} s")
    return times, {}


class Stopwatch:
    """Times every call of a module's method (diffusers calls the UNet once per step, the VAE once per decode)."""

    def __init__(self, owner, name):
        self.seconds = []
        original = getattr(owner, name)

        def wrapped(*args, **kwargs):
            start = time.perf_counter()
            result = original(*args, **kwargs)
            self.seconds.append(time.perf_counter() - start)
            return result

        setattr(owner, name, wrapped)


def controlnet_comparison(item, models, args, generator):
    """A guided 512² step of StableDiffusionControlNetPipeline: its two calls per step, the ControlNet on the
    batch-2 latents and a 512² control image repeated for both halves, then the UNet with the residuals (A);
    the UNet alone (B), alternated with A; the ControlNet alone. The ControlNet is SD 1.5's published
    architecture (`ControlNetModel.from_unet`: the UNet's encoder, conditioning embedding 16-32-96-256)."""
    from diffusers import ControlNetModel
    unet = models.get("unet")
    controlnet = ControlNetModel.from_unet(unet).eval()
    latents = torch.randn(2, 4, 64, 64, generator=generator)
    text = torch.randn(2, 77, 768, generator=generator)
    image = torch.rand(1, 3, 512, 512, generator=generator).repeat(2, 1, 1, 1)

    def controlled():
        down, mid = controlnet(latents, 999, encoder_hidden_states=text, controlnet_cond=image, conditioning_scale=1.0,
                               guess_mode=False, return_dict=False)
        unet(latents, 999, encoder_hidden_states=text, down_block_additional_residuals=down,
             mid_block_additional_residual=mid)

    def plain():
        unet(latents, 999, encoder_hidden_states=text)

    def alone():
        controlnet(latents, 999, encoder_hidden_states=text, controlnet_cond=image, conditioning_scale=1.0,
                   guess_mode=False, return_dict=False)

    for _ in range(max(args.warmup, 1)):
        controlled(), plain()
    a, b, c = [], [], []
    cpu = {"a": [], "b": [], "c": []}  # process CPU seconds (torch's OpenMP threads included)
    for run in range(args.runs):
        for key, times, body in (("a", a, controlled), ("b", b, plain), ("c", c, alone)):
            start, cpu_start = time.perf_counter(), time.process_time()
            body()
            times.append(time.perf_counter() - start)
            cpu[key].append(time.process_time() - cpu_start)
        log(f"{item} run {run + 1}/{args.runs}: with ControlNet {a[-1]:.3f} s (CPU {cpu['a'][-1]:.1f} s), without "
            f"{b[-1]:.3f} s (CPU {cpu['b'][-1]:.1f} s), ControlNet alone {c[-1]:.3f} s (CPU {cpu['c'][-1]:.1f} s)")
    added = [x - y for x, y in zip(a, b)]
    spread = lambda values: (max(values) - min(values)) / statistics.median(values)
    return a, {"b_median": statistics.median(b), "b_spread": spread(b), "controlnet_median": statistics.median(c),
               "controlnet_spread": spread(c), "added_paired_median": statistics.median(added),
               "added_over_controlnet": statistics.median(added) / statistics.median(c),
               "a_cpu_median": statistics.median(cpu["a"]), "b_cpu_median": statistics.median(cpu["b"]),
               "controlnet_cpu_median": statistics.median(cpu["c"])}


def run_item(item, models, args):
    generator = torch.Generator().manual_seed(0)
    if item == "text-encode":
        encoder = models.get("text_encoder")
        bos, eos = 49406, 49407
        ids = torch.tensor([[bos, eos] + [eos] * 75,
                            [bos] + [320 + 37 * i for i in range(20)] + [eos] + [eos] * 55])
        return timed(item, max(args.runs, 5), 1, lambda: encoder(ids))
    if item == "unet-xl-1024":
        unet = models.get("xl_unet")
        latents = torch.randn(2, 4, 128, 128, generator=generator)
        added = {"text_embeds": torch.randn(2, 1280, generator=generator),
                 "time_ids": torch.tensor([[1024.0, 1024, 0, 0, 1024, 1024]] * 2)}
        text = torch.randn(2, 77, 2048, generator=generator)
        return timed(item, args.runs, args.warmup,
                     lambda: unet(latents, 999, encoder_hidden_states=text, added_cond_kwargs=added))
    if item.startswith("unet-"):
        unet = models.get("unet")
        side = SIDES[item.split("-")[1]]
        latents = torch.randn(2, 4, side, side, generator=generator)
        text = torch.randn(2, 77, 768, generator=generator)
        return timed(item, args.runs, args.warmup, lambda: unet(latents, 999, encoder_hidden_states=text))
    if item == "vae-tiled-1024":
        vae = models.get("decoder")
        # What `sd generate --vae-tiling` does: 512-pixel tiles (64 latents), overlap 0.25.
        vae.enable_tiling()
        vae.tile_sample_min_size, vae.tile_latent_min_size = 512, 64
        latents = torch.randn(1, 4, 128, 128, generator=generator)
        return timed(item, args.runs, 0, lambda: vae.decode(latents / vae.config.scaling_factor))
    if item.startswith("vae-"):
        vae = models.get("decoder")
        side = SIDES[item.split("-")[1]]
        latents = torch.randn(1, 4, side, side, generator=generator)
        return timed(item, args.runs, 0, lambda: vae.decode(latents / vae.config.scaling_factor))
    if item in ("generate-512", "generate-256", "generate-xl-1024"):
        xl = item == "generate-xl-1024"
        pipe = models.get("xl_pipeline" if xl else "pipeline")
        side = {"generate-512": 512, "generate-256": 256, "generate-xl-1024": 1024}[item]
        steps = Stopwatch(pipe.unet, "forward")
        decode = Stopwatch(pipe.vae, "decode")
        text = Stopwatch(pipe, "encode_prompt")
        times, step_medians, decodes, texts = [], [], [], []
        for run in range(args.generation_runs):
            steps.seconds.clear(), decode.seconds.clear(), text.seconds.clear()
            start = time.perf_counter()
            pipe("a photograph of an astronaut riding a horse", height=side, width=side, num_inference_steps=args.steps,
                 guidance_scale=5.0 if xl else 7.5, generator=torch.Generator().manual_seed(0))
            times.append(time.perf_counter() - start)
            step_medians.append(statistics.median(steps.seconds))
            decodes.append(sum(decode.seconds))
            texts.append(sum(text.seconds))
            log(f"{item} run {run + 1}/{args.generation_runs}: {times[-1]:.3f} s (steps "
                + " ".join(f"{s:.2f}" for s in steps.seconds) + f"; decode {decodes[-1]:.2f} s)")
        return times, {"steps": args.steps, "step_seconds_median": statistics.median(step_medians),
                       "decode_seconds": statistics.median(decodes), "text_encode_seconds": statistics.median(texts)}
    if item == "controlnet-ab":
        return controlnet_comparison(item, models, args, generator)
    if item == "load":
        if not args.model_folder:
            raise SystemExit("the load item needs --model-folder PATH")
        from diffusers import StableDiffusionPipeline
        folder = pathlib.Path(args.model_folder)
        variant = "fp16" if any(folder.glob("unet/*.fp16.safetensors")) else None

        def load():
            StableDiffusionPipeline.from_pretrained(folder, variant=variant, torch_dtype=torch.float32,
                                                    safety_checker=None, requires_safety_checker=False)
        return timed(item, args.runs, 0, load)
    raise SystemExit(f"unknown item {item}; items: {', '.join(ITEMS)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", default="text-encode,unet-256,vae-256,generate-256")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--generation-runs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model-folder")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    items = [i for i in ITEMS if i != "load"] if args.items == "all" else args.items.split(",")
    print(f"reference/pipeline.py: SD 1.5, random weights in float32; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    models = Models()
    with torch.inference_mode():
        for index, item in enumerate(items):
            if index > 0:
                reset_peak()
            times, details = run_item(item, models, args)
            median = statistics.median(times)
            spread = (max(times) - min(times)) / median if len(times) > 1 else 0
            result = {"item": item, "runs": times, "median": median, "spread": spread,
                      "peak_rss_mib": status_mib("VmHWM:"), "details": details}
            print(f"{item:13} {median:.3f} s ({min(times):.2f}–{max(times):.2f}, spread {100 * spread:.0f} %, "
                  f"{len(times)} runs); peak RSS {result['peak_rss_mib']:.0f} MiB"
                  + "".join(f"; {k} {v:.3f}" for k, v in sorted(details.items())))
            print("RESULT " + json.dumps(result, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
