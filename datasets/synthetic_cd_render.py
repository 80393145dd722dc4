"""Drawing of synthetic-cd images: another domain than synthetic-5i's, for cross-domain tests.

Six classes, each a shape synthetic-5i does not have, filled with a texture of its own, in muted,
nearly grey colours on a grainy cloud background (synthetic-5i: five other shapes, four other
textures, saturated colours, smooth colour blobs). Half the images hold a second object of another
class, unmasked, so that the support tells which object is meant.
"""

from __future__ import annotations

import numpy as np

SHAPES = ("ellipse", "annulus", "hexagon", "crescent", "diamond", "bar")
TEXTURES = ("waves", "hatch", "grid", "speckle", "gradient", "blotch")
CLASS_NAMES = tuple(f"{t}-{s}" for s, t in zip(SHAPES, TEXTURES))


def shape_mask(shape: str, u: np.ndarray, v: np.ndarray, r: float) -> np.ndarray:
    """The shape, centred at u = v = 0, of size about r."""
    if shape == "ellipse":
        return (u / r) ** 2 + (v / (0.55 * r)) ** 2 <= 1
    if shape == "annulus":
        return ((u**2 + v**2) <= r**2) & ((u**2 + v**2) >= (0.55 * r) ** 2)
    if shape == "hexagon":
        a, b = abs(u), abs(v)
        return (b <= 0.87 * r) & (0.87 * a + 0.5 * b <= 0.87 * r)
    if shape == "crescent":
        return ((u**2 + v**2) <= r**2) & (((u - 0.45 * r) ** 2 + v**2) >= (0.8 * r) ** 2)
    if shape == "diamond":
        return abs(u) + abs(v) * 1.4 <= r
    if shape == "bar":
        return (abs(u) <= r) & (abs(v) <= 0.33 * r)
    raise ValueError(shape)


def texture(name: str, u: np.ndarray, v: np.ndarray, period: float, rng: np.random.Generator) -> np.ndarray:
    """A fill pattern in [0, 1] (1: the first colour)."""
    if name == "waves":
        return (np.sin(2 * np.pi * (v + 0.25 * period * np.sin(2 * np.pi * u / period)) / period) + 1) / 2
    if name == "hatch":
        return ((u + v) % period < period / 3).astype(float)
    if name == "grid":
        return ((u % period < period / 5) | (v % period < period / 5)).astype(float)
    if name == "speckle":
        return (rng.random(u.shape) < 0.35).astype(float)
    if name == "gradient":
        return np.clip((u - u.min()) / max(float(np.ptp(u)), 1e-6), 0, 1)
    if name == "blotch":
        return (smooth_noise(rng, u.shape[0], 6) > 0).astype(float)
    raise ValueError(name)


def smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Low-frequency noise: a random grid of `cells` x `cells`, bilinearly upsampled to `size`."""
    grid = rng.normal(0, 1, (cells + 1, cells + 1))
    ys = np.linspace(0, cells, size)
    i0 = np.clip(ys.astype(int), 0, cells - 1)
    t = ys - i0
    rows = grid[i0] * (1 - t[:, None]) + grid[i0 + 1] * t[:, None]
    return rows[:, i0] * (1 - t[None, :]) + rows[:, i0 + 1] * t[None, :]


def muted_colour(rng: np.random.Generator) -> np.ndarray:
    """A nearly grey colour: one level, a slight tint."""
    return rng.uniform(30, 225) + rng.normal(0, 10, 3)


def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Grainy clouds of three scales, nearly grey."""
    clouds = sum(smooth_noise(rng, size, cells) / scale for cells, scale in ((3, 1), (8, 2), (20, 4)))
    level = 128 + 38 * clouds
    tint = rng.normal(0, 8, 3)
    return level[..., None] + tint + rng.normal(0, 14, (size, size, 3))


def place(rng: np.random.Generator, size: int, taken: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """A centre and size that do not cover an object already placed."""
    for _ in range(50):
        r = rng.uniform(0.18, 0.27) * size
        cy, cx = rng.uniform(r, size - r, 2)
        if all(np.hypot(cy - y, cx - x) > r + q for y, x, q in taken):
            break
    return cy, cx, r


def render(rng: np.random.Generator, class_id: int, distractor: int | None, size: int) -> tuple[np.ndarray, np.ndarray]:
    """An RGB uint8 image with an object of `class_id` (1-based) and perhaps another class's; the 0/255 mask
    of the first."""
    image = background(rng, size)
    mask = np.zeros((size, size), dtype=np.uint8)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    taken: list[tuple[float, float, float]] = []
    for index, c in enumerate([class_id] if distractor is None else [class_id, distractor]):
        cy, cx, r = place(rng, size, taken)
        taken.append((cy, cx, r))
        angle = rng.uniform(-np.pi, np.pi)  # any rotation: another statistic than synthetic-5i's small tilt
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        inside = shape_mask(SHAPES[c - 1], u, v, r)
        pattern = texture(TEXTURES[c - 1], u, v, 0.09 * size, rng)[..., None]
        fill = pattern * muted_colour(rng) + (1 - pattern) * muted_colour(rng)
        image[inside] = fill[inside]
        if index == 0:
            mask[inside] = 255
    return np.clip(image, 0, 255).astype(np.uint8), mask
