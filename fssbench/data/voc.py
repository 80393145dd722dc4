"""Reading and writing the PASCAL VOC layout: JPEG images and palette-PNG class masks."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from fssbench.errors import DataError, DataNotFoundError

try:  # deprecated in torchvision 0.29 in favour of TorchCodec; Pillow decodes wherever it is gone
    from torchvision.io import ImageReadMode, decode_jpeg, read_file
except ImportError:  # pragma: no cover
    decode_jpeg = None


def voc_palette() -> list[int]:
    """The 256-colour palette of VOC's SegmentationClass PNGs (bit-interleaved class ids)."""
    palette = []
    for index in range(256):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette += [r, g, b]
    return palette


def read_image(path: Path) -> torch.Tensor:
    """An RGB image as a uint8 tensor (3, H, W).

    Greyscale and colour JPEGs are decoded by torchvision (libjpeg-turbo, as Pillow's; the same pixels,
    about twice as fast); anything else, and anything torchvision refuses, by Pillow.
    """
    if not path.is_file():
        raise DataNotFoundError(f"image {path} does not exist")
    try:
        with Image.open(path) as image:  # reads the header only
            if decode_jpeg is not None and image.format == "JPEG" and image.mode in ("RGB", "L"):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        return decode_jpeg(read_file(str(path)), mode=ImageReadMode.RGB)
                except RuntimeError:
                    pass  # Pillow decodes it, or says what is wrong with it
            array = np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise DataError(f"image {path} cannot be decoded: {exc}") from None
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def read_label(path: Path) -> torch.Tensor:
    """A class-id mask (palette or greyscale PNG) as a uint8 tensor (H, W)."""
    if not path.is_file():
        raise DataNotFoundError(f"mask {path} does not exist")
    try:
        with Image.open(path) as image:
            if image.mode not in ("P", "L"):
                raise DataError(f"mask {path} has mode {image.mode}; expected a palette or greyscale PNG of class ids")
            array = np.array(image, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise DataError(f"mask {path} cannot be decoded: {exc}") from None
    return torch.from_numpy(array)


def write_label(path: Path, label: np.ndarray) -> None:
    """Write a class-id mask as a VOC palette PNG."""
    image = Image.fromarray(label.astype(np.uint8), mode="P")
    image.putpalette(voc_palette())
    image.save(path, format="PNG")


def read_binary_mask(path: Path) -> torch.Tensor:
    """A figure/ground mask in any image mode as a bool tensor (H, W).

    Foreground is a grey level above 127 (0/255 masks, anti-aliased edges); a mask whose values are all 0
    or 1 (as stored by many tools) has 1 as foreground. A mask with no foreground is refused: scored, it
    would count as a perfect prediction of nothing.
    """
    if not path.is_file():
        raise DataNotFoundError(f"mask {path} does not exist")
    try:
        with Image.open(path) as image:
            raw = np.asarray(image) if image.mode in ("L", "P") else np.asarray(image.convert("L"))
            array = raw == 1 if raw.size and raw.max() <= 1 else np.asarray(image.convert("L")) > 127
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise DataError(f"mask {path} cannot be decoded: {exc}") from None
    if not array.any():
        raise DataError(f"no foreground in {path} (every grey level is 127 or less, or 0 in a 0/1 mask)")
    return torch.from_numpy(array.copy())


def read_thresholded_mask(path: Path, level: int = 128) -> torch.Tensor:
    """A figure/ground mask read as PATNet and HSNet read theirs: PIL's ``convert("L")``, foreground where the
    grey level is `level` or more, with no other rule. A mask with no foreground is refused."""
    if not path.is_file():
        raise DataNotFoundError(f"mask {path} does not exist")
    try:
        with Image.open(path) as image:
            array = np.asarray(image.convert("L")) >= level
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise DataError(f"mask {path} cannot be decoded: {exc}") from None
    if not array.any():
        raise DataError(f"no foreground in {path} (no grey level of {level} or more)")
    return torch.from_numpy(array.copy())
