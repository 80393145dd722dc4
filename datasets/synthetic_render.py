"""Drawing of synthetic-5i images: textured shapes on a textured background.

Class c (0-based) is a shape (c % 5) filled with a texture ((c // 5 + c % 5) % 4), so every
fold holds all five shapes in a mix of textures. Colours are drawn per object, so a class is
recognisable only from its shape and texture, never from a colour.
"""

from __future__ import annotations

import numpy as np

SHAPES = ("disc", "square", "triangle", "cross", "star")
TEXTURES = ("stripes", "checker", "dots", "rings")
CLASS_NAMES = tuple(f"{TEXTURES[(c // 5 + c % 5) % 4]}-{SHAPES[c % 5]}" for c in range(20))


def _shape_mask(shape: str, u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    if shape == "disc":
        return u**2 + v**2 <= r**2
    if shape == "square":
        return np.maximum(abs(u), abs(v)) <= 0.82 * r
    if shape == "triangle":
        # an equilateral triangle with its circumradius r
        return (v <= 0.5 * r) & (np.sqrt(3) * u - v <= r) & (-np.sqrt(3) * u - v <= r)
    if shape == "cross":
        arm = 0.36 * r
        return ((abs(u) <= arm) & (abs(v) <= r)) | ((abs(v) <= arm) & (abs(u) <= r))
    if shape == "star":
        radius = np.sqrt(u**2 + v**2)
        return radius <= r * (0.62 + 0.38 * np.cos(5 * np.arctan2(v, u)))
    raise ValueError(shape)


def _texture(texture: str, u: np.ndarray, v: np.ndarray, period: float) -> np.ndarray:
    if texture == "stripes":
        return np.sin(2 * np.pi * u / period) > 0
    if texture == "checker":
        return (np.floor(u / period * 1.4) + np.floor(v / period * 1.4)) % 2 == 0
    if texture == "dots":
        du, dv = (u % period) - period / 2, (v % period) - period / 2
        return du**2 + dv**2 < (period / 3.2) ** 2
    if texture == "rings":
        return np.sin(2 * np.pi * np.sqrt(u**2 + v**2) / period) > 0
    raise ValueError(texture)


def _two_colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    while True:
        a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        if np.abs(a - b).sum() > 220:
            return a, b


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Smooth colour blobs plus fine noise: no periodic texture, so never mistaken for a class."""
    coarse = rng.uniform(40, 215, (5, 5, 3))
    ys = np.linspace(0, 4, size)
    i0 = np.clip(ys.astype(int), 0, 3)
    t = (ys - i0)[:, None]
    rows = coarse[i0] * (1 - t[..., None]) + coarse[i0 + 1] * t[..., None]  # (size, 5, 3)
    cols = rows[:, i0] * (1 - t.T[..., None]) + rows[:, i0 + 1] * t.T[..., None]
    return cols + rng.normal(0, 8, (size, size, 3))


def _void_band(label: np.ndarray) -> np.ndarray:
    """Pixels whose 4-neighbourhood holds another label: VOC-style void along object borders."""
    padded = np.pad(label, 1, mode="edge")
    centre = padded[1:-1, 1:-1]
    band = np.zeros_like(label, dtype=bool)
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        band |= padded[dy : dy + label.shape[0], dx : dx + label.shape[1]] != centre
    return band


def render(rng: np.random.Generator, class_ids: list[int], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw objects of `class_ids` (1-based); returns an RGB uint8 image and a class-id label."""
    image = _background(rng, size)
    label = np.zeros((size, size), dtype=np.uint8)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    placed: list[tuple[float, float, float]] = []
    for class_id in class_ids:
        c = class_id - 1
        shape, texture = SHAPES[c % 5], TEXTURES[(c // 5 + c % 5) % 4]
        for _ in range(50):  # objects may touch but rarely hide each other
            r = rng.uniform(0.17, 0.28) * size
            cy, cx = rng.uniform(r * 0.8, size - r * 0.8, 2)
            if all(np.hypot(cy - y, cx - x) > 0.8 * (r + q) for y, x, q in placed):
                break
        placed.append((cy, cx, r))
        angle = rng.uniform(-0.25, 0.25)  # a small tilt: shapes stay recognisable to a small CNN trained briefly
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        mask = _shape_mask(shape, u, v, r)
        pattern = _texture(texture, u, v, 0.1 * size)
        a, b = _two_colours(rng)
        fill = np.where(pattern[..., None], a, b)
        image[mask] = fill[mask]
        label[mask] = class_id
    label[_void_band(label)] = 255
    image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), label
