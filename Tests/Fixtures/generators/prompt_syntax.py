"""AUTOMATIC1111 prompt syntax fixtures: the web UI's own parser on a corpus of prompts, its chunking of the
token ids, and the chunked, weighted conditioning on the tiny SD 1.x / 2.x text encoders.

The web UI is not pip-installable. Point `A1111_WEBUI_DIR` at a checkout of
https://github.com/AUTOMATIC1111/stable-diffusion-webui (written with v1.10's `modules/prompt_parser.py`): its
`modules/prompt_parser.py` is loaded from there (it imports only `lark` and `torch`) and called as is. Nothing
of the web UI is copied into this repository.

Writes under `prompt_syntax/`:
- `parser.json`: for every prompt of the corpus, `parse_prompt_attention(prompt)` (a list of [text, weight],
  the weight as Python's repr() string;
  BREAK appears as ["BREAK", -1] as A1111 returns it) or "error" when A1111 raises; and
  `get_learned_conditioning_prompt_schedules([prompt], steps)[0]` (a list of [end step, text]) or "error".
  The corpus: A1111's doctest examples, hand-written edge cases, and seeded random strings over the syntax
  characters.
- `chunks.json`: per model (`sd15-tiny`, `sd2-tiny`), per prompt, the chunks (77 token ids and 77 multipliers
  each) and the token count of `FrozenCLIPEmbedderWithCustomWordsBase.tokenize_line` with its defaults (emphasis
  "Original", comma back-tracking 20), using the model folder's tokenizer.
- `conditioning.json` + `conditioning.safetensors`: per model and case, the prompt's schedule (end steps and
  texts) and, per schedule entry, the conditioning `[chunks · 77, width]` (`<model>/<case>/<entry>`), computed
  as A1111 computes it: all of a prompt's schedule texts encoded together, chunk by chunk, each chunk's output
  multiplied by its multipliers and rescaled to the batch's mean before weighting.
- `runs.json` + `runs.safetensors`: a seeded diffusers run on sd15-tiny with that conditioning passed as
  `prompt_embeds` / `negative_prompt_embeds` (equal chunk counts, so diffusers can batch them): final latents,
  and the decoded image as `<run>.png`.

- `sdxl.json` + `sdxl.safetensors` + `sdxl-*.png`: the web UI's SDXL text side on `pipeline/sdxl-tiny` (both
  embedders chunked and weighted on their own outputs, the second with open_clip's tokenizer; the pooled output
  of each text's first chunk): per case and schedule entry `<case>/<entry>/context` `[chunks · 77, 48]` and
  `<case>/<entry>/pooled` `[16]`; and two seeded runs through diffusers' SDXL loop with that conditioning
  (`<run>/latents`, `<run>.png`), one with prompt and negative prompt of different chunk counts (two UNet calls
  per step, which `StableDiffusionXLPipeline` cannot take, so the loop is written out in `sdxl_denoise` and
  checked against the pipeline where the pipeline can run it).

TRANSCRIPTION: `sd_hijack_clip.py` cannot be imported without the web UI (it imports `modules.shared` and the
model hijack), so `tokenize_line`, `process_tokens` and `EmphasisOriginal.after_transformers` are transcribed
below (functions marked "transcribed from"), with `sd_hijack_open_clip.py`'s SDXL tokenizer part, line for line, with the options at their defaults. The text
encoder is transformers' `CLIPTextModel` as diffusers loads it; A1111's "Clip skip" n is hidden_states[-n] and
final layer norm, which is diffusers' clip_skip n − 1.
"""
import importlib.util
import json
import math
import os
import pathlib
import random

import torch
from safetensors.torch import save_file
from transformers import CLIPTextModel, CLIPTokenizer

from ._common import seeded

STEPS = 10
RANDOM_STEPS = 6
CHUNK_LENGTH = 75
COMMA_BACKTRACK = 20  # opts.comma_padding_backtrack default


def load_prompt_parser():
    root = os.environ.get("A1111_WEBUI_DIR")
    if not root:
        raise SystemExit("set A1111_WEBUI_DIR to a checkout of AUTOMATIC1111/stable-diffusion-webui")
    path = pathlib.Path(root) / "modules" / "prompt_parser.py"
    spec = importlib.util.spec_from_file_location("a1111_prompt_parser", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DOCTEST_ATTENTION = [
    "normal text",
    "an (important) word",
    "(unbalanced",
    "\\(literal\\]",
    "(unnecessary)(parens)",
    "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
]

DOCTEST_SCHEDULES = [
    "test", "a [b:3]", "a [b: 3]", "a [[[b]]:2]", "[(a:2):3]", "a [b : c : 1] d", "a[b:[c:d:2]:1]e",
    "a [unbalanced", "a [b:.5] c", "a [{b|d{:.5] c", "((a][:b:c [d:3]", "[a|(b:1.1)]", "[fe|]male", "[fe|||]male",
]

EDGE = [
    "", " ", "a", "(a:1.2)", "(a: 1.3 )", "(a:1e-1)", "(a:-1)", "(a:+.5)", "(a:1.2.3)", "(a:.)", "(a:)", "(a:b)",
    "((a))", "(((red)))dish", "[a]", "[[a]]", "([a])", "[(a)]", "(a [b] c:1.5)", "(a (b:2) c)", "a)", "a]", "(a",
    "[a", "a ( b", "a [ b", ")(", "][", "\\(a\\)", "\\[a\\]", "\\\\", "a\\b", "\\", "a\\", "\\:", "(a\\:1.2)",
    "a BREAK b", "aBREAK b", "a BREAKb", "a break b", "BREAK", "BREAK a", "a BREAK", "(a BREAK b)", "(BREAK)",
    "a BREAK BREAK b", "a\nBREAK\nb", "a, BREAK, b", "[a BREAK b:3]", "a:b", "a : 1.2", "(a:1.2", "a:1.2)",
    "(a:1.2))", "((a:1.2)", "[a:b:3]", "[a:b:0.5]", "[a:b:1.0]", "[a:b:0]", "[a:b:-1]", "[a:b:20]", "[a:b:1e-1]",
    "[a:b:.5e1]", "[a:b:5.]", "[a:b:+2]", "[a:b: 3 ]", "[:b:3]", "[a::3]", "[::3]", "[a|b]", "[a|b|c]", "[a|]",
    "[|]", "[|a]", "[ a|b]", "[a b|c]", "a|b", "(a|b)", "[a:b|c:2]", "[a:[b:c:2]:3]", "[[a:b:2]:[c:d:4]:3]",
    "[[a|b]:c:5]", "[a:(b:1.5):4]", "([a:b:3]:1.2)", "[a:b:3] [c|d]", "[a\\:b:2]", "[\\[a:2]", "[a\nb:2]",
    "x [a:1]", "[[a]:2]", "[a] :3]", "[a:b:c:3]", "(a:١)", "[a:b:١]", "a (b:1.1) c (d:1.1) e",
    "masterpiece, (best quality:1.2), 1girl, [blurry], ((detailed))",
    "fantasy landscape with a [mountain:lake:0.25] and [an oak:a christmas tree:0.75][ in foreground::0.6]"
    "[ in background:0.25] [shoddy:masterful:0.5]",
    "a <lora:foo:0.8> cat", "日本語 (テスト:1.2)", "emoji 😀 (smile:1.1)", "tab\t(a)\u00a0(b)",
]

RANDOM_ALPHABET = ["a", "b", " ", "[", "]", "(", ")", ":", "|", "\\", "1", ".", "5", "-", "e", "\n", "x ",
                   "BREAK", ", "]
RANDOM_WEIGHTS = [6, 4, 4, 5, 5, 4, 4, 4, 2, 1, 3, 2, 2, 1, 1, 1, 2, 1, 1]


def random_corpus(count, seed):
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        s = "".join(rng.choices(RANDOM_ALPHABET, RANDOM_WEIGHTS, k=rng.randint(1, 16)))
        if s not in out:
            out.append(s)
    return out


def attention(pp, prompt):
    try:
        # Weights as repr() strings: JSON readers do not all parse doubles to the nearest value.
        return [[text, repr(float(weight))] for text, weight in pp.parse_prompt_attention(prompt)]
    except Exception:
        return "error"


def schedules(pp, prompt, steps):
    try:
        return [[int(t), text] for t, text in pp.get_learned_conditioning_prompt_schedules([prompt], steps)[0]]
    except Exception:
        return "error"


def parser_fixture(pp):
    cases = []
    for prompt in DOCTEST_ATTENTION + DOCTEST_SCHEDULES + EDGE:
        cases.append(dict(prompt=prompt, steps=STEPS, attention=attention(pp, prompt),
                          schedules=schedules(pp, prompt, STEPS)))
    for prompt in random_corpus(1200, seed=15):
        cases.append(dict(prompt=prompt, steps=RANDOM_STEPS, attention=attention(pp, prompt),
                          schedules=schedules(pp, prompt, RANDOM_STEPS)))
    return cases


# ---------------------------------------------------------------------------------------------------------
# Transcribed from modules/sd_hijack_clip.py (FrozenCLIPEmbedderWithCustomWordsBase), options at defaults:
# emphasis "Original", comma_padding_backtrack 20, no textual-inversion embeddings (the SDK's textual
# inversion adds tokens to the tokenizer, so find_embedding_at_position never matches here).
class Chunker:
    def __init__(self, pp, tokenizer, id_pad):
        self.pp = pp
        self.tokenizer = tokenizer
        self.id_start = tokenizer.bos_token_id
        self.id_end = tokenizer.eos_token_id
        self.id_pad = id_pad
        self.comma_token = tokenizer.get_vocab().get(",</w>", None)
        self.chunk_length = CHUNK_LENGTH

    def empty_chunk(self):
        return dict(tokens=[self.id_start] + [self.id_end] * (self.chunk_length + 1),
                    multipliers=[1.0] * (self.chunk_length + 2))

    def tokenize(self, texts):
        return self.tokenizer(texts, truncation=False, add_special_tokens=False)["input_ids"]

    def tokenize_line(self, line):
        parsed = self.pp.parse_prompt_attention(line)
        tokenized = self.tokenize([text for text, _ in parsed])
        chunks = []
        chunk = dict(tokens=[], multipliers=[])
        token_count = 0
        last_comma = -1

        def next_chunk(is_last=False):
            nonlocal token_count, last_comma, chunk
            if is_last:
                token_count += len(chunk["tokens"])
            else:
                token_count += self.chunk_length
            to_add = self.chunk_length - len(chunk["tokens"])
            if to_add > 0:
                chunk["tokens"] += [self.id_end] * to_add
                chunk["multipliers"] += [1.0] * to_add
            chunk["tokens"] = [self.id_start] + chunk["tokens"] + [self.id_end]
            chunk["multipliers"] = [1.0] + chunk["multipliers"] + [1.0]
            last_comma = -1
            chunks.append(chunk)
            chunk = dict(tokens=[], multipliers=[])

        for tokens, (text, weight) in zip(tokenized, parsed):
            if text == "BREAK" and weight == -1:
                next_chunk()
                continue
            position = 0
            while position < len(tokens):
                token = tokens[position]
                if token == self.comma_token:
                    last_comma = len(chunk["tokens"])
                elif COMMA_BACKTRACK != 0 and len(chunk["tokens"]) == self.chunk_length and last_comma != -1 \
                        and len(chunk["tokens"]) - last_comma <= COMMA_BACKTRACK:
                    break_location = last_comma + 1
                    reloc_tokens = chunk["tokens"][break_location:]
                    reloc_mults = chunk["multipliers"][break_location:]
                    chunk["tokens"] = chunk["tokens"][:break_location]
                    chunk["multipliers"] = chunk["multipliers"][:break_location]
                    next_chunk()
                    chunk["tokens"] = reloc_tokens
                    chunk["multipliers"] = reloc_mults
                if len(chunk["tokens"]) == self.chunk_length:
                    next_chunk()
                chunk["tokens"].append(token)
                chunk["multipliers"].append(weight)
                position += 1
        if chunk["tokens"] or not chunks:
            next_chunk(is_last=True)
        return chunks, token_count

    # Transcribed from forward() and process_tokens(): a batch of texts (a prompt's schedule texts), chunk by
    # chunk, missing chunks filled with empty_chunk(); SD 2.x pads after each row's first end token.
    # An encoder that returns (z, pooled) stands for SDXL's second embedder (`z.pooled` in the web UI): forward
    # then returns (hstack(zs), zs[0].pooled), the pooled output of each text's first chunk.
    def forward(self, texts, encode):
        batch_chunks = [self.tokenize_line(text)[0] for text in texts]
        chunk_count = max(len(x) for x in batch_chunks)
        zs = []
        pooleds = []
        for i in range(chunk_count):
            batch_chunk = [chunks[i] if i < len(chunks) else self.empty_chunk() for chunks in batch_chunks]
            tokens = [x["tokens"] for x in batch_chunk]
            multipliers = [x["multipliers"] for x in batch_chunk]
            z, pooled = self.process_tokens(tokens, multipliers, encode)
            zs.append(z)
            pooleds.append(pooled)
        return torch.hstack(zs) if pooleds[0] is None else (torch.hstack(zs), pooleds[0])

    def process_tokens(self, remade_batch_tokens, batch_multipliers, encode):
        tokens = torch.asarray(remade_batch_tokens)
        if self.id_end != self.id_pad:
            for batch_pos in range(len(remade_batch_tokens)):
                index = remade_batch_tokens[batch_pos].index(self.id_end)
                tokens[batch_pos, index + 1:tokens.shape[1]] = self.id_pad
        z = encode(tokens)
        z, pooled = z if isinstance(z, tuple) else (z, None)
        # EmphasisOriginal.after_transformers (modules/sd_emphasis.py)
        multipliers = torch.asarray(batch_multipliers)
        original_mean = z.mean()
        z = z * multipliers.reshape(multipliers.shape + (1,)).expand(z.shape)
        new_mean = z.mean()
        z = z * (original_mean / new_mean)
        return z, pooled


# Transcribed from modules/sd_hijack_open_clip.py (FrozenOpenCLIPEmbedder2WithCustomWords): SDXL's second
# embedder chunks with open_clip's tokenizer, and pads with id 0 after each chunk's first end-of-text.
class OpenCLIPChunker(Chunker):
    def __init__(self, pp):
        import open_clip.tokenizer
        self.pp = pp
        self.open_clip_tokenizer = open_clip.tokenizer._tokenizer
        self.comma_token = [v for k, v in self.open_clip_tokenizer.encoder.items() if k == ",</w>"][0]
        self.id_start = self.open_clip_tokenizer.encoder["<start_of_text>"]
        self.id_end = self.open_clip_tokenizer.encoder["<end_of_text>"]
        self.id_pad = 0
        self.chunk_length = CHUNK_LENGTH

    def tokenize(self, texts):
        return [self.open_clip_tokenizer.encode(text) for text in texts]
# End of the transcription.
# ---------------------------------------------------------------------------------------------------------


CHUNK_PROMPTS = [
    "a photo of a cat",
    "(a:1.2) [b] ((c)) \\(d\\)",
    "(((red)))dish",
    "a BREAK b BREAK",
    "BREAK",
    "",
    "(a BREAK b)",
    # 74 + comma words: crosses 75 with a comma in the last 20 tokens (back-tracking).
    ", ".join(f"word{i}" for i in range(45)),
    # Long without commas: a hard cut at 75.
    " ".join(f"tok{i}" for i in range(90)),
    # A comma more than 20 tokens before the cut: no back-tracking.
    "start, " + " ".join(f"w{i}" for i in range(100)),
    # Exactly 75 tokens, then a comma: the comma opens chunk 2.
    " ".join(["cat"] * 75) + ", dog",
    "masterpiece, (best quality:1.2), 1girl, [blurry], ((detailed)), " + ", ".join(["(x:0.9) y"] * 30),
    "<|endoftext|> after end (a:1.5)",
]

CONDITIONING_CASES = [
    dict(name="plain", prompt="a photo of a cat"),
    dict(name="weights", prompt="a (photo:1.3) of a [cat], ((red)) \\(hat\\)"),
    dict(name="nested", prompt="(a (b [c] d:1.5) e:0.8) f"),
    dict(name="break", prompt="a red cat BREAK (a blue dog:1.2)"),
    dict(name="long-commas", prompt=", ".join(f"(word{i}:1.1)" if i % 5 == 0 else f"word{i}" for i in range(45))),
    dict(name="schedule", prompt="a [(cat:1.4):dog:0.5] on a [sofa|bed]", steps=4),
    dict(name="clip-skip", prompt="a (photo:1.3) of a cat", clip_skip=1),
    dict(name="negative", prompt="(blurry:1.4), [lowres], bad hands"),
]


def encoder_for(model, clip_skip):
    def encode(tokens):
        with torch.no_grad():
            out = model(input_ids=tokens, output_hidden_states=clip_skip is not None)
            if clip_skip is None:
                return out.last_hidden_state
            z = out.hidden_states[-(clip_skip + 1)]
            return model.text_model.final_layer_norm(z) if hasattr(model, "text_model") else model.final_layer_norm(z)
    return encode


def chunk_fixture(pp, root):
    result = {}
    for model in ("sd15-tiny", "sd2-tiny"):
        tokenizer = CLIPTokenizer.from_pretrained(str(root / "pipeline" / model / "tokenizer"))
        chunker = Chunker(pp, tokenizer, tokenizer.pad_token_id)
        entries = []
        for prompt in CHUNK_PROMPTS:
            chunks, count = chunker.tokenize_line(prompt)
            padded = []
            for c in chunks:
                ids = list(c["tokens"])
                if chunker.id_end != chunker.id_pad:
                    index = ids.index(chunker.id_end)
                    ids[index + 1:] = [chunker.id_pad] * (len(ids) - index - 1)
                padded.append(dict(ids=ids, multipliers=[float(m) for m in c["multipliers"]]))
            entries.append(dict(prompt=prompt, token_count=count, chunks=padded))
        result[model] = entries
    return result


def conditioning_fixture(pp, root, tensors):
    result = {}
    for model_name in ("sd15-tiny", "sd2-tiny"):
        folder = root / "pipeline" / model_name
        tokenizer = CLIPTokenizer.from_pretrained(str(folder / "tokenizer"))
        variant = "fp16" if (folder / "text_encoder" / "model.fp16.safetensors").exists() else None
        model = CLIPTextModel.from_pretrained(str(folder / "text_encoder"), variant=variant,
                                              torch_dtype=torch.float32).eval()
        chunker = Chunker(pp, tokenizer, tokenizer.pad_token_id)
        cases = []
        for case in CONDITIONING_CASES:
            steps = case.get("steps", STEPS)
            schedule = pp.get_learned_conditioning_prompt_schedules([case["prompt"]], steps)[0]
            texts = [text for _, text in schedule]
            z = chunker.forward(texts, encoder_for(model, case.get("clip_skip")))
            for i in range(len(texts)):
                tensors[f"{model_name}/{case['name']}/{i}"] = z[i].contiguous()
            cases.append(dict(name=case["name"], prompt=case["prompt"], steps=steps,
                              clip_skip=case.get("clip_skip"), schedule=[[int(t), s] for t, s in schedule],
                              tokens=int(z.shape[1])))
        result[model_name] = cases
    return result


def run_fixture(root, conditioning, tensors, run_tensors):
    """A seeded sd15-tiny run (Euler, 4 steps, 32×32) whose prompt and negative prompt conditionings are the
    A1111 tensors above ("weights" and "negative": one chunk each), passed to diffusers as embeddings."""
    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline
    folder = root / "pipeline" / "sd15-tiny"
    pipe = StableDiffusionPipeline.from_pretrained(str(folder), torch_dtype=torch.float32, safety_checker=None,
                                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    pipe.scheduler = EulerDiscreteScheduler.from_config(pipe.scheduler.config)
    positive = tensors["sd15-tiny/weights/0"].unsqueeze(0)
    negative = tensors["sd15-tiny/negative/0"].unsqueeze(0)
    run = dict(name="weighted-euler", model="sd15-tiny", prompt=CONDITIONING_CASES[1]["prompt"],
               negative_prompt=CONDITIONING_CASES[7]["prompt"], steps=4, guidance=7.5, seed=1234, width=32,
               height=32, scheduler="euler")
    outputs = {}
    for output_type in ("latent", "pil"):
        with torch.no_grad():
            outputs[output_type] = pipe(prompt_embeds=positive, negative_prompt_embeds=negative,
                                        num_inference_steps=run["steps"], guidance_scale=run["guidance"],
                                        width=run["width"], height=run["height"], generator=seeded(run["seed"]),
                                        output_type=output_type).images
    run_tensors[f"{run['name']}/latents"] = outputs["latent"].detach().to(torch.float32).contiguous()
    outputs["pil"][0].save(str(root / "prompt_syntax" / f"{run['name']}.png"))
    run["image"] = f"{run['name']}.png"
    return [run]


# ---------------------------------------------------------------------------------------------------------
# SDXL (`sdxl.json`, `sdxl.safetensors`, `sdxl-*.png`): the web UI's SDXL text side on pipeline/sdxl-tiny.
# `sd_models_xl.get_learned_conditioning` runs sgm's GeneralConditioner, whose two text embedders the web UI
# wraps: FrozenCLIPEmbedderForSDXLWithCustomWords (the model's CLIP tokenizer, padding with end-of-text,
# `hidden_states[-2]` as sgm's layer "hidden" / layer_idx 11 is for 12 layers) and
# FrozenOpenCLIPEmbedder2WithCustomWords (open_clip's tokenizer, id-0 padding, layer "penultimate", pooled =
# text_projection(ln_final(last)[argmax ids])). Each chunks and weights on its own output (Chunker.forward);
# GeneralConditioner concatenates "crossattn" along dim 2 and the pooled output goes first in "vector".
# Clip skip: the web UI ignores it for SDXL by default (`sdxl_clip_l_skip` off, encoder 2 fixed at
# "penultimate"); the SDK keeps diffusers' rule (`hidden_states[-(k + 2)]` of both encoders, prompt only), and
# the "clip-skip" case records A1111's chunking with that layer.

SDXL_CASES = [
    dict(name="weights", prompt="a (photo:1.3) of a [cat], ((red)) \\(hat\\)"),
    dict(name="nested", prompt="(a (b [c] d:1.5) e:0.8) f"),
    dict(name="break", prompt="a red cat BREAK (a blue dog:1.2)"),
    dict(name="long-commas", prompt=CONDITIONING_CASES[4]["prompt"]),
    dict(name="schedule", prompt="a [(cat:1.4):dog:0.5] on a [sofa|bed]", steps=4),
    dict(name="clip-skip", prompt="a (photo:1.3) of a cat", clip_skip=1),
    dict(name="negative", prompt="(blurry:1.4), [lowres], bad hands"),
]

SDXL_STEPS = 4


def sdxl_encoder(model, clip_skip, pooled):
    def encode(tokens):
        with torch.no_grad():
            out = model(input_ids=tokens, output_hidden_states=True)
            z = out.hidden_states[-((clip_skip or 0) + 2)]
            return (z, out.text_embeds) if pooled else z
    return encode


def sdxl_conditioning(pp, pipe, prompt, steps, clip_skip=None):
    """Per schedule entry (end step, context [1, T, 48], pooled [1, 16]) as the web UI computes them."""
    first = Chunker(pp, pipe.tokenizer, pipe.tokenizer.eos_token_id)  # A1111: id_pad = id_end for CLIP ViT-L
    second = OpenCLIPChunker(pp)
    schedule = pp.get_learned_conditioning_prompt_schedules([prompt], steps)[0]
    texts = [text for _, text in schedule]
    # The model's second tokenizer (what the SDK reads) and open_clip's agree on these prompts.
    for text in texts:
        for fragment, _ in pp.parse_prompt_attention(text):
            assert pipe.tokenizer_2(fragment, add_special_tokens=False)["input_ids"] == \
                second.open_clip_tokenizer.encode(fragment), fragment
    z1 = first.forward(texts, sdxl_encoder(pipe.text_encoder, clip_skip, False))
    z2, pooled = second.forward(texts, sdxl_encoder(pipe.text_encoder_2, clip_skip, True))
    context = torch.cat([z1, z2], dim=2)
    return [(int(t), context[i:i + 1], pooled[i:i + 1]) for i, (t, _) in enumerate(schedule)]


def sdxl_denoise(pipe, positive, negative, steps, guidance, seed, size, output_type):
    """StableDiffusionXLPipeline's loop (default Euler scheduler, default micro-conditioning) with per-step
    schedules, as the web UI's sampler uses them (an entry while the 0-based step ≤ its end), and, when the
    two sides' token counts differ (A1111's default `pad_cond_uncond` off), two UNet calls per step."""
    def at(schedule, step):
        return next((c, p) for end, c, p in schedule if step <= end)
    pipe.scheduler.set_timesteps(steps)
    latents = pipe.prepare_latents(1, 4, size, size, torch.float32, "cpu", seeded(seed))
    ids = torch.tensor([[size, size, 0, 0, size, size]], dtype=torch.float32)
    with torch.no_grad():
        for step, t in enumerate(pipe.scheduler.timesteps):
            (c, cp), (u, up) = at(positive, step), at(negative, step)
            x = pipe.scheduler.scale_model_input(latents, t)
            if c.shape == u.shape:
                out = pipe.unet(torch.cat([x, x]), t, encoder_hidden_states=torch.cat([u, c]),
                                added_cond_kwargs={"text_embeds": torch.cat([up, cp]), "time_ids": torch.cat([ids, ids])})
                noise_uncond, noise_text = out.sample.chunk(2)
            else:
                noise_uncond = pipe.unet(x, t, encoder_hidden_states=u,
                                         added_cond_kwargs={"text_embeds": up, "time_ids": ids}).sample
                noise_text = pipe.unet(x, t, encoder_hidden_states=c,
                                       added_cond_kwargs={"text_embeds": cp, "time_ids": ids}).sample
            noise = noise_uncond + guidance * (noise_text - noise_uncond)
            latents = pipe.scheduler.step(noise, t, latents, return_dict=False)[0]
        if output_type == "latent":
            return latents
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor, return_dict=False)[0]
        return pipe.image_processor.postprocess(image, output_type="pil")[0]


SDXL_RUNS = [
    # 3-chunk prompt against a weighted 1-chunk negative prompt: two UNet calls per step.
    dict(name="sdxl-long-negative", prompt=SDXL_CASES[3]["prompt"], negative_prompt=SDXL_CASES[6]["prompt"], seed=1234),
    # Prompt editing inside a 2-chunk BREAK prompt; no negative prompt: force_zeros_for_empty_prompt gives
    # zeros shaped like the prompt's conditioning (diffusers' rule; the web UI zeros its "" negative too).
    dict(name="sdxl-break-schedule", prompt="a [(red:1.3) cat:dog:0.5] BREAK (a blue hat:0.8)", negative_prompt=None,
         seed=1235),
]


def sdxl_fixture(pp, root, out):
    from .sdxl import load_pipeline
    pipe = load_pipeline(root / "pipeline" / "sdxl-tiny")
    assert getattr(pipe, "watermark", None) is None
    tensors = {}
    cases = []
    for case in SDXL_CASES:
        steps = case.get("steps", STEPS)
        entries = sdxl_conditioning(pp, pipe, case["prompt"], steps, case.get("clip_skip"))
        for i, (_, context, pooled) in enumerate(entries):
            tensors[f"{case['name']}/{i}/context"] = context[0].contiguous()
            tensors[f"{case['name']}/{i}/pooled"] = pooled[0].contiguous()
        cases.append(dict(name=case["name"], prompt=case["prompt"], steps=steps, clip_skip=case.get("clip_skip"),
                          schedule=[[t, s] for t, s in pp.get_learned_conditioning_prompt_schedules([case["prompt"]], steps)[0]],
                          tokens=int(entries[0][1].shape[1])))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reductions in one order, whatever the machine
    try:
        # The loop above against diffusers' own pipeline where diffusers can run it (one constant conditioning
        # per side, equal token counts): the same latents, bit for bit.
        positive = sdxl_conditioning(pp, pipe, SDXL_CASES[0]["prompt"], SDXL_STEPS)
        negative = sdxl_conditioning(pp, pipe, SDXL_CASES[6]["prompt"], SDXL_STEPS)
        mine = sdxl_denoise(pipe, positive, negative, SDXL_STEPS, 5.0, 99, 64, "latent")
        with torch.no_grad():
            theirs = pipe(prompt_embeds=positive[0][1], pooled_prompt_embeds=positive[0][2],
                          negative_prompt_embeds=negative[0][1], negative_pooled_prompt_embeds=negative[0][2],
                          num_inference_steps=SDXL_STEPS, guidance_scale=5.0, generator=seeded(99),
                          output_type="latent").images
        assert torch.equal(mine, theirs), (mine - theirs).abs().max()
        runs = []
        for run in SDXL_RUNS:
            positive = sdxl_conditioning(pp, pipe, run["prompt"], SDXL_STEPS)
            if run["negative_prompt"] is None:
                negative = [(SDXL_STEPS, torch.zeros_like(positive[0][1]), torch.zeros_like(positive[0][2]))]
            else:
                negative = sdxl_conditioning(pp, pipe, run["negative_prompt"], SDXL_STEPS)
            latents = sdxl_denoise(pipe, positive, negative, SDXL_STEPS, 5.0, run["seed"], 64, "latent")
            tensors[f"{run['name']}/latents"] = latents.contiguous()
            sdxl_denoise(pipe, positive, negative, SDXL_STEPS, 5.0, run["seed"], 64, "pil").save(str(out / f"{run['name']}.png"))
            runs.append(dict(run, steps=SDXL_STEPS, guidance=5.0, width=64, height=64, scheduler="euler",
                             image=f"{run['name']}.png"))
    finally:
        torch.set_num_threads(threads)
    save_file(tensors, str(out / "sdxl.safetensors"))
    (out / "sdxl.json").write_text(json.dumps(dict(cases=cases, runs=runs), ensure_ascii=False, indent=1))


def generate(root: pathlib.Path):
    pp = load_prompt_parser()
    out = root / "prompt_syntax"
    out.mkdir(parents=True, exist_ok=True)
    (out / "parser.json").write_text(json.dumps(parser_fixture(pp), ensure_ascii=False, separators=(",", ":")))
    (out / "chunks.json").write_text(json.dumps(chunk_fixture(pp, root), ensure_ascii=False,
                                                separators=(",", ":")))
    tensors = {}
    conditioning = conditioning_fixture(pp, root, tensors)
    (out / "conditioning.json").write_text(json.dumps(conditioning, ensure_ascii=False, indent=1))
    save_file(tensors, str(out / "conditioning.safetensors"))
    run_tensors = {}
    runs = run_fixture(root, conditioning, tensors, run_tensors)
    (out / "runs.json").write_text(json.dumps(runs, indent=1))
    save_file(run_tensors, str(out / "runs.safetensors"))
    sdxl_fixture(pp, root, out)
    for path in sorted(out.iterdir()):
        print(f"   {path.name}: {path.stat().st_size / 1024:.1f} KiB")
