#!/usr/bin/env python3
"""Writes every reference fixture the Swift tests read, from diffusers / transformers.

Usage:  python3 Tests/Fixtures/generate.py [name ...]

Each module in generators/ exposes `generate(root: pathlib.Path)` and writes its files under
`root/<name>/`. With no arguments every generator runs. Outputs are deterministic (fixed seeds) and
small (tiny random-weight configs). Requires the pinned packages in requirements.txt; CI never
runs this, it only reads the committed outputs.
"""
import importlib
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))


def main(names):
    available = sorted(p.stem for p in (ROOT / "generators").glob("*.py") if not p.stem.startswith("_"))
    for name in names or available:
        if name not in available:
            sys.exit(f"unknown generator {name!r}; available: {', '.join(available)}")
        module = importlib.import_module(f"generators.{name}")
        print(f"== {name}", flush=True)
        module.generate(ROOT)


if __name__ == "__main__":
    main(sys.argv[1:])
