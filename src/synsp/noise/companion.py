"""Another person's track placed beside the subject, for swap errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..validation import check_poses
from .joints import resolve_skeleton
from .model import require


def place_companion(
    subject: Any,
    other: Any,
    distance: float,
    *,
    skeleton: Any,
    up_axis: int = 1,
    angle_deg: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Cut ``other`` to the subject's length and move it ``distance`` away.

    ``subject`` ``(T, J, D)``, ``other`` ``(T2, J, D)`` on the same skeleton
    (D = 2 or 3, same units).  ``other`` is cropped to T frames, or played
    forward and backward until it has T frames (no jump at the seams).  It is
    then translated so that its mean root position (over frames) sits
    ``distance`` from the subject's mean root position: in 3D along a
    horizontal direction at ``angle_deg`` about ``up_axis`` (random when
    None), in 2D along the image x axis (to the right, or the left with a
    random sign when ``angle_deg`` is None and 180 degrees otherwise), with
    the vertical mean aligned.  Returns ``(T, J, D)``, ready for
    ``simulate(..., companion=...)``.
    """
    sk = resolve_skeleton(skeleton)
    a = check_poses(subject, "subject", joints=len(sk.joints))
    b = check_poses(other, "other", dims=(a.shape[-1],), joints=a.shape[1])
    require(
        isinstance(distance, (int, float)) and math.isfinite(distance) and distance >= 0,
        f"distance is {distance!r}; expected a finite number >= 0 in the poses' units",
    )
    T, D = a.shape[0], a.shape[-1]
    require(0 <= up_axis < D, f"up_axis is {up_axis}; expected an axis index below D = {D}")
    idx = np.arange(T) % (2 * b.shape[0] - 1) if b.shape[0] > 1 else np.zeros(T, dtype=int)
    idx = np.where(idx < b.shape[0], idx, 2 * (b.shape[0] - 1) - idx)
    placed = b[idx]
    roots = list(sk.root_joints)
    shift = a[:, roots].mean(axis=(0, 1)) - placed[:, roots].mean(axis=(0, 1))
    rng = np.random.default_rng(seed)
    direction = np.zeros(D)
    horizontal = [k for k in range(D) if k != up_axis]
    if D == 2:
        if angle_deg is None:
            sign = rng.choice([-1.0, 1.0])
        else:
            sign = math.copysign(1.0, math.cos(math.radians(angle_deg)))
        direction[horizontal[0]] = sign
    else:
        angle = rng.uniform(0, 2 * math.pi) if angle_deg is None else math.radians(angle_deg)
        direction[horizontal[0]], direction[horizontal[1]] = math.cos(angle), math.sin(angle)
    shift[horizontal] += distance * direction[horizontal]
    return placed + shift
