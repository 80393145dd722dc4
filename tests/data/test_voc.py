"""Image decoding: torchvision's JPEG decoder gives the pixels Pillow gives."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fssbench.data.voc import read_image
from fssbench.errors import DataError


def _pillow(path: Path) -> torch.Tensor:
    with Image.open(path) as image:
        return torch.from_numpy(np.asarray(image.convert("RGB")).copy()).permute(2, 0, 1).contiguous()


def test_the_synthetic_jpegs_decode_as_pillow_decodes_them(synthetic):
    paths = sorted((synthetic.data_root() / "JPEGImages").glob("*.jpg"))[:200]
    assert paths and all(torch.equal(read_image(p), _pillow(p)) for p in paths)


@pytest.mark.parametrize(
    "mode, options", [("RGB", {}), ("RGB", {"subsampling": 0}), ("RGB", {"progressive": True}), ("L", {}), ("CMYK", {})]
)
def test_jpeg_kinds_and_other_formats_decode_as_pillow_decodes_them(tmp_path: Path, mode, options):
    rng = np.random.default_rng(0)
    array = (
        (np.linspace(0, 255, 61 * 47 * 3).reshape(61, 47, 3) + rng.normal(0, 20, (61, 47, 3)))
        .clip(0, 255)
        .astype(np.uint8)
    )
    image = Image.fromarray(array).convert(mode)
    formats = [("x.jpg", {"quality": 90, **options})] + ([("x.png", {})] if mode != "CMYK" else [])
    for name, kwargs in formats:
        image.save(tmp_path / name, **kwargs)
        decoded = read_image(tmp_path / name)
        assert decoded.dtype == torch.uint8 and decoded.shape == (3, 61, 47)
        assert torch.equal(decoded, _pillow(tmp_path / name))


def test_a_truncated_jpeg_is_a_data_error(tmp_path: Path):
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(tmp_path / "whole.jpg")
    data = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cannot be decoded"):
        read_image(tmp_path / "cut.jpg")
