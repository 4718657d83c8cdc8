"""Helpers shared by the fixture generators."""
import torch
from safetensors.torch import save_file


def seeded(seed: int) -> torch.Generator:
    return torch.Generator("cpu").manual_seed(seed)


def save(tensors: dict, path, metadata: dict | None = None) -> None:
    """Saves float32, contiguous tensors as safetensors (the Swift side reads F32/F16/BF16)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().to(torch.float32).contiguous() for k, v in tensors.items()}, str(path), metadata=metadata)
