"""OpenCV's Canny edges on small real photographs: the reference for `CannyEdgeDetector`.

Writes under `root/canny/`:

- `<name>.png`: scikit-image's bundled sample photographs (`skimage.data.astronaut`, `camera` (gray),
  `coffee`, `chelsea`; shipped inside the package, nothing downloaded), shrunk with PIL's LANCZOS
  `thumbnail` to at most 128 px a side.
- `<name>-<low>-<high>.png`: `cv2.Canny(np.array(image), low, high)` (apertureSize 3, L2gradient
  False: OpenCV's defaults) as a one-channel 0/255 PNG. The photo goes in as diffusers' ControlNet
  examples pass it: the RGB array itself (OpenCV's multi-channel Canny, no gray conversion). One case
  gives low > high, which OpenCV swaps.
- `cases.json`: the list of (image, low, high, edges file).
"""
import json

import cv2
import numpy as np
import skimage
import skimage.data
from PIL import Image

PHOTOS = ["astronaut", "camera", "coffee", "chelsea"]
THRESHOLDS = [(100, 200), (50, 150)]
SIDE = 128


def generate(root):
    out = root / "canny"
    out.mkdir(parents=True, exist_ok=True)
    cases = []
    for name in PHOTOS:
        photo = Image.fromarray(getattr(skimage.data, name)())
        photo.thumbnail((SIDE, SIDE), Image.LANCZOS)
        photo.save(out / f"{name}.png", optimize=True)
        array = np.array(photo)
        thresholds = THRESHOLDS + ([(200.5, 100.9)] if name == "astronaut" else [])
        for low, high in thresholds:
            edges = cv2.Canny(array, low, high)
            file = f"{name}-{low:g}-{high:g}.png"
            Image.fromarray(edges).save(out / file, optimize=True)
            cases.append({"image": f"{name}.png", "low": low, "high": high, "edges": file,
                          "edge_pixels": int((edges > 0).sum())})
    manifest = {"opencv": cv2.__version__, "scikit_image": skimage.__version__, "cases": cases}
    (out / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")
