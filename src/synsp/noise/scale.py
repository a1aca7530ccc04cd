"""Input-dependent scales: the length multiplier per person (box / 500 px, radians per metre, ...)
and the camera depth directions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import to_numpy
from .model import REFERENCE_BOX_PX, ErrorModel, dims_of, require


def joint_box(x4: np.ndarray) -> np.ndarray:
    """Median over frames of the larger side of the joint bounding box, ``(P,)``."""
    extent = (x4.max(axis=2) - x4.min(axis=2)).max(axis=-1)  # (T, P)
    return np.median(extent, axis=0)


def resolve_scale(model: ErrorModel, x4: np.ndarray, representation: str, scale: Any) -> np.ndarray:
    num_persons, dims = x4.shape[1], x4.shape[-1]
    if scale is not None:
        s = np.broadcast_to(np.asarray(to_numpy(scale), dtype=np.float64), (num_persons,)).copy()
        ok = bool(np.all(np.isfinite(s) & (s > 0)))
        require(ok, f"scale is {scale!r}; expected positive finite value(s)")
        return s
    if representation == "rotations":
        require(
            model.unit == "m",
            f"preset {model.name!r} is a 2D pixel preset; for rotations use a 3D preset or pass scale= "
            "(radians per preset unit)",
        )
        return np.full(num_persons, model.radians_per_metre)
    require(
        dims == dims_of(model.unit),
        f"preset {model.name!r} is a {dims_of(model.unit)}D preset ({model.unit}) but gt has D = {dims}; "
        "use a matching preset or pass scale= (preset units -> gt units)",
    )
    if dims == 3:
        return np.ones(num_persons)
    box = joint_box(x4)
    require(
        bool(np.all(box > 0)),
        "gt has a zero-size joint box (all joints at one point), so the 2D preset cannot be "
        "scaled; pass scale=",
    )
    return box / REFERENCE_BOX_PX


def depth_unit_vectors(depth_axis: Any, num_persons: int) -> np.ndarray | None:
    """``(P, 3)`` unit camera directions, or None for isotropic noise."""
    if depth_axis is None:
        return None
    if isinstance(depth_axis, (int, np.integer)):
        require(0 <= int(depth_axis) < 3, f"depth_axis is {depth_axis}; expected 0, 1 or 2 (or a 3-vector)")
        n = np.zeros((num_persons, 3))
        n[:, int(depth_axis)] = 1.0
        return n
    n = np.asarray(to_numpy(depth_axis), dtype=np.float64)
    require(
        n.shape in ((3,), (num_persons, 3)) and bool(np.all(np.isfinite(n))),
        f"depth_axis has shape {n.shape}; expected an axis index, a 3-vector or one 3-vector "
        f"per view ({num_persons}, 3)",
    )
    n = np.broadcast_to(n, (num_persons, 3))
    norm = np.linalg.norm(n, axis=-1, keepdims=True)
    require(bool(np.all(norm > 0)), "depth_axis has a zero vector; expected the camera's viewing direction")
    return n / norm
