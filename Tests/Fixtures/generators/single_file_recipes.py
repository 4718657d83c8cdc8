"""Recipes that rebuild the tiny single-file checkpoints from the committed folders, byte for byte.

`pipeline/sd15-tiny.safetensors` and `pipeline/sd2-tiny.safetensors` (written by `pipeline_models`) hold
the same weights as the `sd15-tiny/` and `sd2-tiny/` folders, renamed to the LDM layout, rounded to fp16 and
with OpenCLIP's q/k/v fused. Committing them would store those weights twice (8.4 MB), so they are not
committed; instead this module writes, for each:

- `<name>.recipe.json`: the file's header verbatim, and for every tensor the folder tensors whose bytes
  (converted to the file's dtype) are concatenated to give its data — or `extras`; plus the file's
  length and FNV-1a-64 checksum;
- `<name>.extras.safetensors`: the tensors no folder holds (DDPM schedule buffers, EMA counters, CLIP
  `position_ids`, OpenCLIP's unused last block, `text_projection`, `logit_scale`), as stored in the file.

The Swift tests (Tests/_TestSupport/SingleFileFixtures.swift) assemble the file from these and check the
checksum, so they read exactly the bytes diffusers' `from_single_file` was verified against here. The
sources are found by value: each file tensor is matched to the folder tensor with identical bytes (fused
in_proj tensors to three consecutive ones), which uses no knowledge of the key mapping under test.

Run after `pipeline_models` (it reads that generator's outputs): `python3 Tests/Fixtures/generate.py
pipeline_models single_file_recipes`.
"""
import hashlib
import json
import pathlib
import struct

import torch
from safetensors import safe_open
from safetensors.torch import save_file

FNV_OFFSET, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3


def fnv1a64(data: bytes) -> int:
    """FNV-1a 64 (the Swift side computes the same; a checksum, not a security measure)."""
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def _read_header(path: pathlib.Path):
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header_bytes = raw[8:8 + length]
    return raw, header_bytes, json.loads(header_bytes)


def _folder_files(folder: pathlib.Path, suffix: str):
    return [f"unet/diffusion_pytorch_model{suffix}", f"vae/diffusion_pytorch_model{suffix}",
            f"text_encoder/model{suffix}"]


def write_recipe(out: pathlib.Path, name: str, suffix: str):
    path = out / f"{name}.safetensors"
    raw, header_bytes, header = _read_header(path)
    data_start = 8 + len(header_bytes)

    # Folder tensors by their bytes in each dtype a file tensor may have.
    by_bytes = {}
    for relative in _folder_files(out / name, suffix):
        with safe_open(str(out / name / relative), "pt") as f:
            for key in f.keys():
                tensor = f.get_tensor(key).contiguous()
                for dtype in (torch.float16, torch.float32):
                    if tensor.is_floating_point():
                        blob = tensor.to(dtype).numpy().tobytes()
                        by_bytes.setdefault((dtype, hashlib.sha256(blob).hexdigest()), (relative, key))

    torch_dtypes = {"F16": torch.float16, "F32": torch.float32}
    recipe, extras = {}, {}
    with safe_open(str(path), "pt") as f:
        for key, entry in header.items():
            if key == "__metadata__":
                continue
            begin, end = entry["data_offsets"]
            blob = raw[data_start + begin:data_start + end]
            dtype = torch_dtypes.get(entry["dtype"])
            sources = None
            if dtype is not None:
                whole = by_bytes.get((dtype, hashlib.sha256(blob).hexdigest()))
                if whole:
                    sources = [whole]
                elif entry["shape"] and entry["shape"][0] % 3 == 0:
                    third = len(blob) // 3
                    parts = [by_bytes.get((dtype, hashlib.sha256(blob[i * third:(i + 1) * third]).hexdigest()))
                             for i in range(3)]
                    if all(parts):
                        sources = parts
            if sources is None:
                extras[key] = f.get_tensor(key)
                recipe[key] = {"extras": True}
            else:
                recipe[key] = {"from": [{"file": file, "key": k} for file, k in sources]}
    save_file(extras, str(out / f"{name}.extras.safetensors"), metadata={"format": "pt"})
    document = {
        "file": f"{name}.safetensors", "folder": name, "length": len(raw), "fnv1a64": f"{fnv1a64(raw):016x}",
        "header": header_bytes.decode("utf-8"), "tensors": dict(sorted(recipe.items())),
    }
    (out / f"{name}.recipe.json").write_text(json.dumps(document, separators=(",", ":")) + "\n")
    print(f"{name}: {len(recipe) - len(extras)} tensors from the folder, {len(extras)} extras")


def ensure_single_file(root: pathlib.Path, name: str) -> pathlib.Path:
    """The single file `pipeline/<name>.safetensors`, assembled from its recipe if it is not there (a fresh
    clone), for the generators that read it."""
    out = root / "pipeline"
    path = out / f"{name}.safetensors"
    if path.exists():
        return path
    document = json.loads((out / f"{name}.recipe.json").read_text())
    header = json.loads(document["header"])
    pieces = []
    with safe_open(str(out / f"{name}.extras.safetensors"), "pt") as extras:
        opened = {}
        for key, entry in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                                 key=lambda item: item[1]["data_offsets"][0]):
            step = document["tensors"][key]
            dtype = {"F16": torch.float16, "F32": torch.float32}.get(entry["dtype"])
            if step.get("extras"):
                pieces.append(extras.get_tensor(key).contiguous().numpy().tobytes())
                continue
            blob = b""
            for source in step["from"]:
                file = opened.setdefault(source["file"], safe_open(str(out / document["folder"] / source["file"]), "pt"))
                blob += file.get_tensor(source["key"]).to(dtype).contiguous().numpy().tobytes()
            pieces.append(blob)
    header_bytes = document["header"].encode("utf-8")
    raw = struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(pieces)
    assert len(raw) == document["length"] and f"{fnv1a64(raw):016x}" == document["fnv1a64"], name
    path.write_bytes(raw)
    return path


def generate(root: pathlib.Path):
    out = root / "pipeline"
    write_recipe(out, "sd15-tiny", ".safetensors")
    write_recipe(out, "sd2-tiny", ".fp16.safetensors")
