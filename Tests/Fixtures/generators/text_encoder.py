"""CLIP text encoder fixtures: tiny random-weight transformers `CLIPTextModel`s and their outputs.

Writes under `text_encoder/`:
- `sd15/` (`config.json`, `model.safetensors`): SD 1.x-like (quick_gelu), fp32, in the layout of the published
  SD 1.x checkpoints: tensors named `text_model.…` plus the int64 `text_model.embeddings.position_ids` buffer
  that older transformers saved.
- `sd21/` (`config.json`, `model.fp16.safetensors`): SD 2.x-like (gelu), saved by transformers 5 in float16 with
  `variant="fp16"`, so its tensors have no `text_model.` prefix.
- `sd15.reference.safetensors`, `sd21.reference.safetensors`: the token ids (stored as float32, exact below 2^24)
  and the reference outputs: `last_hidden_state`, `clip_skip_1`, `clip_skip_2` (diffusers' `encode_prompt`:
  `hidden_states[-(clip_skip + 1)]` then `final_layer_norm`), and `short_ids` / `short_last_hidden_state` for a
  sequence shorter than the 77 positions.

Outputs are computed in float32; for the fp16 model from its fp16-rounded weights widened to float32, which is
what the Swift loader computes with.
"""
import pathlib

import torch
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModel

from ._common import save, seeded

VOCAB = 1000  # the encoder does not need the tokenizer's 49408 ids; keeps the embedding table small
BOS, EOS = VOCAB - 2, VOCAB - 1

CONFIGS = {
    # Shaped like SD 1.x's CLIP ViT-L/14 text model (quick_gelu, pad = eos), scaled down.
    "sd15": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                 hidden_act="quick_gelu", pad_token_id=EOS),
    # Shaped like SD 2.x's OpenCLIP ViT-H/14 text model (gelu, pads with id 0), scaled down.
    "sd21": dict(hidden_size=48, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4,
                 hidden_act="gelu", pad_token_id=0),
}


def build(name: str, seed: int) -> CLIPTextModel:
    config = CLIPTextConfig(vocab_size=VOCAB, max_position_embeddings=77, layer_norm_eps=1e-5,
                            bos_token_id=BOS, eos_token_id=EOS, projection_dim=32, **CONFIGS[name])
    config.architectures = ["CLIPTextModel"]
    model = CLIPTextModel(config).eval()
    randomize(model, seeded(seed))
    return model


def randomize(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Re-draws every parameter so each path matters: weights ~ N(0, 1/fan_in) (attention scores of order 1,
    so the softmax and causal mask are exercised), embeddings ~ N(0, 1), norm scales 1 ± 0.2, biases ± 0.1."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=generator)
            if "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * noise)
            elif name.endswith("bias"):
                p.copy_(0.1 * noise)
            elif "embedding" in name:
                p.copy_(noise)
            else:
                p.copy_(noise / p.shape[1] ** 0.5)


def token_ids(generator: torch.Generator, pad: int) -> torch.Tensor:
    """Two tokenizer-shaped rows: bos, words, eos, then padding; the second row fills all 77 positions and
    touches the extreme ids 0 and VOCAB - 1."""
    rows = torch.full((2, 77), pad, dtype=torch.long)
    rows[0, 0] = BOS
    rows[0, 1:12] = torch.randint(0, BOS, (11,), generator=generator)
    rows[0, 12] = EOS
    rows[1] = torch.randint(0, VOCAB, (77,), generator=generator)
    rows[1, 0], rows[1, 5], rows[1, 76] = BOS, 0, VOCAB - 1
    return rows


def outputs(model: CLIPTextModel, ids: torch.Tensor, short: torch.Tensor) -> dict:
    with torch.inference_mode():
        out = model(ids, output_hidden_states=True)
        result = {"ids": ids.float(), "last_hidden_state": out.last_hidden_state}
        for skip in (1, 2):
            result[f"clip_skip_{skip}"] = model.final_layer_norm(out.hidden_states[-(skip + 1)])
        result["short_ids"] = short.float()
        result["short_last_hidden_state"] = model(short).last_hidden_state
    return result


def check_reload(folder: pathlib.Path, expected: torch.Tensor, ids: torch.Tensor, **kwargs) -> None:
    """transformers itself must read the written folder back to the same outputs."""
    reloaded = CLIPTextModel.from_pretrained(folder, dtype=torch.float32, **kwargs).eval()
    with torch.inference_mode():
        got = reloaded(ids).last_hidden_state
    assert torch.equal(got, expected), f"{folder}: reloaded model disagrees by {(got - expected).abs().max()}"


def generate(root: pathlib.Path) -> None:
    out = root / "text_encoder"

    # SD 1.x-like, fp32, published layout (text_model. prefix and the int64 position_ids buffer).
    model = build("sd15", seed=1501)
    folder = out / "sd15"
    folder.mkdir(parents=True, exist_ok=True)
    model.config.to_json_file(folder / "config.json")
    tensors = {f"text_model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    tensors["text_model.embeddings.position_ids"] = torch.arange(77, dtype=torch.long).unsqueeze(0)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    g = seeded(1502)
    ids, short = token_ids(g, pad=EOS), torch.randint(0, VOCAB, (1, 9), generator=g)
    reference = outputs(model, ids, short)
    check_reload(folder, reference["last_hidden_state"], ids)
    save(reference, out / "sd15.reference.safetensors")

    # SD 2.x-like, saved by transformers 5 in fp16 as the `fp16` variant (no prefix). The reference runs the
    # fp16-rounded weights in float32.
    model = build("sd21", seed=2101)
    folder = out / "sd21"
    model.half().save_pretrained(folder, variant="fp16")
    model.float()
    g = seeded(2102)
    ids, short = token_ids(g, pad=0), torch.randint(0, VOCAB, (1, 9), generator=g)
    reference = outputs(model, ids, short)
    check_reload(folder, reference["last_hidden_state"], ids, variant="fp16")
    save(reference, out / "sd21.reference.safetensors")

    for path in sorted(out.rglob("*")):
        if path.is_file():
            print(f"  {path.relative_to(root)}: {path.stat().st_size} bytes")
