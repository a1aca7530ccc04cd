"""Missing joints: which entries are missing, and a linear fill over time.

A joint is *missing* in a frame when the detector gave no position (NaN) or a
confidence below a threshold.  Every filter in :mod:`synsp.filters` first fills
missing entries with :func:`interpolate_missing`, then filters the filled
sequence, so a gap never turns into a jump to NaN or to zero.

Poses are ``(T, J, D)`` or ``(T, P, J, D)`` (T frames, P persons or views,
J joints, D = 2 or 3 coordinates).  Each joint coordinate is filled on its own:

* inside the sequence, linearly between the nearest observed frames before and
  after the gap;
* before the first and after the last observation, by holding that observation
  (constant extrapolation: no invented velocity at the ends).

A joint coordinate missing in **every** frame raises :class:`SynspInputError`
naming the joint (and person).  Inventing it from the other joints (their mean,
say) would put a plausible-looking but wrong point into every metric and every
downstream model without anyone noticing; a joint the detector never saw should
be dropped or filled by the caller, who knows the skeleton.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .validation import SynspInputError, check_poses, to_numpy

#: coordinates per joint that can be filled: 2D/3D positions, quaternions, 6D rotations
ANY_DIMS = (2, 3, 4, 6)

__all__ = ["missing_from_confidence", "interpolate_missing", "hold_missing"]


def missing_from_confidence(confidence: Any, poses_shape: tuple[int, ...], threshold: float) -> np.ndarray:
    """Boolean mask ``confidence < threshold`` per joint, shape ``poses_shape[:-1]``.

    ``confidence`` is ``(T, J)`` for ``(T, J, D)`` poses or ``(T, P, J)`` for
    ``(T, P, J, D)`` poses (numpy or torch).  NaN confidence counts as missing;
    inf is a user mistake and raises.
    """
    conf = to_numpy(confidence, name="confidence")
    expected = tuple(poses_shape[:-1])
    if conf.shape != expected:
        raise SynspInputError(
            f"confidence has shape {conf.shape}; expected {expected}, one score per joint "
            f"of poses with shape {tuple(poses_shape)}"
        )
    if np.isinf(conf).any():
        idx = tuple(int(i) for i in np.argwhere(np.isinf(conf))[0])
        raise SynspInputError(f"confidence contains inf (first at index {idx}); pass finite scores")
    return ~(conf >= threshold)  # NaN compares False, so it is missing


def interpolate_missing(poses: Any, missing: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Fill missing joint coordinates linearly over time.

    Args:
        poses: ``(T, J, D)`` or ``(T, P, J, D)``, numpy or torch; NaN marks a
            missing coordinate; a joint with an inf or absurd coordinate (beyond
            :data:`synsp.validation.ABSURD_COORDINATE`) is missing too.
        missing: optional boolean mask of extra missing entries (for example
            low confidence), shape ``poses.shape[:-1]`` (per joint, all its
            coordinates) or ``poses.shape`` (per coordinate).

    Returns:
        ``(filled, missing_mask)``: ``filled`` is float64 with the shape of
        ``poses`` and no NaN; observed entries are returned unchanged.
        ``missing_mask`` is boolean, shape of ``poses``, True exactly where an
        entry was NaN or marked by ``missing``.

    Raises:
        SynspInputError: bad shape, every entry missing (or inf/absurd), or a joint
        coordinate missing in every frame.
    """
    x = check_poses(poses, ndims=(3, 4), dims=ANY_DIMS, allow_nan=True)
    mask = np.isnan(x)
    if missing is not None:
        extra = to_numpy(missing, dtype=bool, name="missing")
        if extra.shape == x.shape[:-1]:
            extra = extra[..., None]
        elif extra.shape != x.shape:
            raise SynspInputError(
                f"missing has shape {extra.shape}; expected {x.shape[:-1]} (per joint) "
                f"or {x.shape} (per coordinate) for poses with shape {x.shape}"
            )
        mask = mask | extra
    if mask.all():
        raise SynspInputError(
            f"poses has no observed value (shape {x.shape}: every entry is NaN or below the "
            "confidence threshold); nothing to filter"
        )
    never = mask.all(axis=0)  # (..., J, D)
    if never.any():
        where = np.argwhere(never)[0]
        joint = int(where[-2])
        person = f" of person/view {int(where[0])}" if x.ndim == 4 else ""
        raise SynspInputError(
            f"poses joint {joint}{person} (coordinate {int(where[-1])}) is missing in all "
            f"{x.shape[0]} frames; drop that joint or fill it before filtering"
        )
    if not mask.any():
        return x.copy(), mask

    T = x.shape[0]
    flat = x.reshape(T, -1)  # (T, C), C = [P*]J*D
    gap = mask.reshape(T, -1)
    frames = np.arange(T)[:, None]
    # index of the nearest observed frame at or before / at or after each frame
    before = np.maximum.accumulate(np.where(gap, -1, frames), axis=0)
    after = np.minimum.accumulate(np.where(gap, T, frames)[::-1], axis=0)[::-1]
    before = np.where(before < 0, after, before)  # leading gap: hold the first observation
    after = np.where(after >= T, before, after)  # trailing gap: hold the last observation
    lo = np.take_along_axis(flat, before, axis=0)
    hi = np.take_along_axis(flat, after, axis=0)
    span = after - before
    frac = np.divide(frames - before, span, out=np.zeros(span.shape), where=span > 0)
    filled = np.where(gap, lo + frac * (hi - lo), flat)
    return filled.reshape(x.shape), mask


def hold_missing(poses: Any, missing: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Causal filling: a missing joint coordinate holds its last observed value.

    Same arguments and result as :func:`interpolate_missing`, but frame ``t``
    only uses frames ``<= t`` (what an online refiner can know); a gap at the
    very start, before any observation, takes the first observed value.
    """
    filled, mask = interpolate_missing(poses, missing)  # validates; leading gaps take the first value
    T = filled.shape[0]
    frame = np.where(mask, 0, np.arange(T).reshape((T,) + (1,) * (filled.ndim - 1)))
    last = np.maximum.accumulate(frame, axis=0)  # the last observed frame (0 before any)
    return np.take_along_axis(filled, last, axis=0), mask
