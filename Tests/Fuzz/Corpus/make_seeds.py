"""Writes the seed corpora of the fuzz targets (Tests/Fuzz/Corpus/<Target>/).

Run with the reference venv: /opt/sdref/bin/python Tests/Fuzz/Corpus/make_seeds.py
Seeds are small, valid (or nearly valid) inputs that reach deep into each parser; libFuzzer mutates
them. The corpora libFuzzer grows while running are not committed.
"""
import io
import json
import pathlib
import struct
import zlib

import numpy as np
from PIL import Image, PngImagePlugin
from safetensors.numpy import save

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FIXTURES = ROOT / "Tests" / "Fixtures"


def write(target, name, data):
    folder = HERE / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def raw_safetensors(header, data=b""):
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    t = "FuzzSafetensorsHeader"
    write(t, "f32.safetensors", save({"weight": np.arange(6, dtype=np.float32).reshape(2, 3)}))
    write(t, "mixed.safetensors", save({
        "a.f16": np.ones((2, 2), dtype=np.float16), "b.f64": np.zeros((3,), dtype=np.float64),
        "c.i64": np.arange(4, dtype=np.int64), "d.u8": np.zeros((1, 1, 2), dtype=np.uint8),
        "e.bool": np.array([True, False]), "scalar": np.array(1.5, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32)}, metadata={"format": "pt", "note": "seed"}))
    write(t, "bf16.safetensors", raw_safetensors(
        {"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
         "y": {"dtype": "F8_E4M3", "shape": [3], "data_offsets": [4, 7]}}, b"\x80\x3f\x00\x40\x01\x02\x03"))
    write(t, "empty-header.safetensors", raw_safetensors({}))
    write(t, "escapes.safetensors", raw_safetensors(
        {"na\u00efve/\"quoted\"\\\u2603": {"dtype": "I8", "shape": [1], "data_offsets": [0, 1]}}, b"\x07"))
    write(t, "overlap.safetensors", raw_safetensors(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)))
    entry = b'{"dtype":"U8","shape":[],"data_offsets":[0,1]}'
    duplicate = b'{"a":' + entry + b',"a":' + entry + b"}"
    write(t, "duplicate.safetensors", struct.pack("<Q", len(duplicate)) + duplicate + b"\x00")
    # The header of a real (tiny) diffusers checkpoint with its data section.
    unet = FIXTURES / "pipeline" / "sd15-tiny" / "vae" / "diffusion_pytorch_model.safetensors"
    blob = unet.read_bytes()
    length = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + length])
    # Keep three tensors and their bytes so the seed stays small.
    kept = {}
    data = b""
    for name in sorted(k for k in header if k != "__metadata__")[:3]:
        entry = header[name]
        begin, end = entry["data_offsets"]
        chunk = blob[8 + length + begin:8 + length + end]
        kept[name] = dict(entry, data_offsets=[len(data), len(data) + len(chunk)])
        data += chunk
    write(t, "vae-excerpt.safetensors", raw_safetensors(kept, data))


def png(image, **options):
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def png_seeds():
    t = "FuzzPNG"
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (5, 7, 3), dtype=np.uint8), "RGB")
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 1, Size: 7x5")
    write(t, "rgb8-parameters.png", png(rgb, pnginfo=info))
    utf8 = PngImagePlugin.PngInfo()
    utf8.add_itxt("parameters", "猫 ünïcødé", zip=True)
    write(t, "rgb8-itxt.png", png(rgb, pnginfo=utf8))
    ztxt = PngImagePlugin.PngInfo()
    ztxt.add_text("parameters", "compressed " * 8, zip=True)
    write(t, "rgb8-ztxt.png", png(rgb, pnginfo=ztxt))
    write(t, "rgba8.png", png(Image.fromarray(rng.integers(0, 256, (4, 3, 4), dtype=np.uint8), "RGBA")))
    write(t, "gray8.png", png(Image.fromarray(rng.integers(0, 256, (3, 6), dtype=np.uint8), "L")))
    write(t, "gray1.png", png(Image.fromarray(rng.integers(0, 2, (9, 5), dtype=np.uint8) * 255, "L").convert("1")))
    write(t, "gray16.png", png(Image.fromarray(rng.integers(0, 65536, (3, 3), dtype=np.uint16))))
    write(t, "gray-alpha.png", png(Image.fromarray(rng.integers(0, 256, (2, 5, 2), dtype=np.uint8), "LA")))
    palette = rgb.convert("P", palette=Image.ADAPTIVE, colors=4)
    write(t, "palette.png", png(palette))
    write(t, "palette-trns.png", png(palette, transparency=1))
    write(t, "palette-2bit.png", png(palette, bits=2))
    write(t, "rgb-interlaced.png", adam7(rng))
    write(t, "rgb16.png", rgb16(rng))
    write(t, "one-pixel.png", png(Image.new("RGB", (1, 1), (10, 20, 30))))


def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def adam7(rng):
    """An interlaced 8-bit RGB PNG (PIL does not write interlaced files), built pass by pass."""
    width, height = 9, 11
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = pixels[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        for row in sub:
            raw += b"\x00" + row.tobytes()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def rgb16(rng):
    width, height = 3, 2
    pixels = rng.integers(0, 65536, (height, width, 3), dtype=np.uint16).astype(">u2")
    raw = b"".join(b"\x01" + row.tobytes() for row in pixels)  # filter type Sub on every row
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def config_seeds():
    t = "FuzzConfigs"
    for model in ["sd15-tiny", "sd2-tiny"]:
        for component, name in [("unet", "config.json"), ("vae", "config.json"), ("text_encoder", "config.json"),
                                ("scheduler", "scheduler_config.json")]:
            write(t, f"{model}-{component}.json", (FIXTURES / "pipeline" / model / component / name).read_bytes())
    from diffusers import (DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler,
                           EulerAncestralDiscreteScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler,
                           LCMScheduler, LMSDiscreteScheduler, PNDMScheduler, UniPCMultistepScheduler)
    for cls in [DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                EulerDiscreteScheduler, HeunDiscreteScheduler, LCMScheduler, LMSDiscreteScheduler, PNDMScheduler,
                UniPCMultistepScheduler]:
        config = dict(cls().config)
        config["_class_name"] = cls.__name__
        write(t, f"scheduler-{cls.__name__}.json", json.dumps(config, indent=1, default=str))
    write(t, "scheduler-karras.json", json.dumps({
        "_class_name": "DPMSolverMultistepScheduler", "use_karras_sigmas": True, "algorithm_type": "dpmsolver++",
        "timestep_spacing": "trailing", "steps_offset": 1, "lambda_min_clipped": float("-inf")}))
    write(t, "scheduler-trained-betas.json", json.dumps({
        "_class_name": "DDIMScheduler", "num_train_timesteps": 4, "trained_betas": [0.1, 0.2, 0.3, 0.4],
        "prediction_type": "v_prediction", "timestep_spacing": "linspace", "_use_default_values": ["clip_sample"]}))


def tokenizer_seeds():
    t = "FuzzTokenizer"
    prompts = {
        "plain.txt": "a photo of an astronaut riding a horse on mars",
        "weights.txt": "(masterpiece:1.2), best quality, [blurry], <lora:foo:0.8> 1girl, 8k uhd",
        "special.txt": "<|startoftext|>A<|endoftext|> b <|ENDOFTEXT|>!!!",
        "unicode.txt": "Café naïve ﬁ ＡＢＣ 東京 🐱‍👤 e\u0301 Å \u0130stanbul ß ǅ",
        "whitespace.txt": " \t\n\r\u00a0\u3000 x  \u2028y\u200b",
        "contractions.txt": "I'll don't you've WE'RE it's 'tis O'Neil's 123456 3.14",
        "long.txt": ", ".join(["a very detailed painting of a castle on a hill"] * 12),
    }
    for name, text in prompts.items():
        write(t, name, text)
    write(t, "invalid-utf8.bin", b"a \xff\xfe \xc3\x28 \xe2\x82 cat \xf0\x9f\x98")


TINY_VOCAB = {"a": 0, "b": 1, "a</w>": 2, "b</w>": 3, "ab": 4, "ab</w>": 5, "<|startoftext|>": 6, "<|endoftext|>": 7}


def tokenizer_files_seeds():
    t = "FuzzTokenizerFiles"
    sep = "\n%%\n"
    vocab = json.dumps(TINY_VOCAB)
    merges = "#version: 0.2\na b\na b</w>\n"
    write(t, "published.txt", sep.join([vocab, merges, '{"model_max_length": 77}']))
    sd1 = (FIXTURES / "pipeline" / "sd15-tiny" / "tokenizer")
    write(t, "published-sd1-config.txt", sep.join([vocab, merges, (sd1 / "tokenizer_config.json").read_text(),
                                                   (sd1 / "special_tokens_map.json").read_text()]))
    sd2 = (FIXTURES / "tokenizer" / "sd2-added-tokens-decoder")
    if (sd2 / "tokenizer_config.json").exists():
        vocab2 = dict(TINY_VOCAB, **{"!": 8})
        write(t, "published-sd2-decoder.txt", sep.join([json.dumps(vocab2), merges,
                                                        (sd2 / "tokenizer_config.json").read_text()]))
    write(t, "published-extra.txt", sep.join([vocab, merges, json.dumps({
        "model_max_length": 5, "split_special_tokens": True, "image_token": "ab",
        "extra_special_tokens": {"x": {"content": "b", "lstrip": True, "single_word": True}},
        "pad_token": {"content": "!", "special": True}, "unk_token": "<|endoftext|>"})]))
    tokenizer_json = {
        "version": "1.0",
        "added_tokens": [
            {"id": 6, "content": "<|startoftext|>", "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": True, "special": True},
            {"id": 7, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}],
        "model": {"type": "BPE", "dropout": None, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": TINY_VOCAB, "merges": [["a", "b"], ["a", "b</w>"]]}}
    write(t, "transformers5.txt", sep.join([json.dumps(tokenizer_json), '{"model_max_length": 77, "pad_token": "!"}']))
    tokenizer_json["model"]["merges"] = ["a b", "a b</w>"]
    write(t, "transformers5-string-merges.txt", sep.join([json.dumps(tokenizer_json), "{}"]))


if __name__ == "__main__":
    safetensors_seeds()
    png_seeds()
    config_seeds()
    tokenizer_seeds()
    tokenizer_files_seeds()
