"""The resize modes of `InputSpec` besides the stretch: the longest side fitted and padded (SAM's), or none."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF


def longest_shape(height: int, width: int, size: tuple[int, int]) -> tuple[int, int]:
    """The (h, w) an image of `height` x `width` is resized to so that it just fits `size`, its aspect ratio kept;
    for a square `size` SAM's ResizeLongestSide.get_preprocess_shape (the longest side to the square's side)."""
    scale = min(size[0] / height, size[1] / width)
    return min(size[0], int(height * scale + 0.5)), min(size[1], int(width * scale + 0.5))


def fitted(image: torch.Tensor, label: torch.Tensor, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 image (3, H, W) and class-id label (H, W) resized to fit `size` (bilinear with antialiasing, and
    nearest), then padded with 0 at the bottom and right to `size`."""
    shape = longest_shape(int(image.shape[-2]), int(image.shape[-1]), size)
    image = TF.resize(image, list(shape), antialias=True)
    label = TF.resize(label[None], list(shape), interpolation=TF.InterpolationMode.NEAREST)[0]
    pad = (0, size[1] - shape[1], 0, size[0] - shape[0])
    return F.pad(image, pad), F.pad(label, pad)


def zero_padding(images: torch.Tensor, sizes: list[tuple[int, int]], size: tuple[int, int]) -> torch.Tensor:
    """Normalised images (N, 3, h, w), fitted from images of `sizes`, with their padding set to 0 (as SAM pads
    after normalising), in place."""
    for image, (height, width) in zip(images, sizes):
        h, w = longest_shape(height, width, size)
        image[:, h:, :] = 0
        image[:, :, w:] = 0
    return images
