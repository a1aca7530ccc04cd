"""How much white jitter a pose sequence carries: its noise floor, read over seconds, not one window.

A network that sees 16 frames cannot tell fast clean motion from slow motion with jitter on it: both have
energy at high frequencies.  Over a few seconds they differ: jitter is on every joint, motion is not (the
torso of a dancer moves smoothly while the hands are fast).  Per joint, the white noise that would give the
third difference of its position about the body's centroid (:func:`running_level`, ``sqrt(median
|d3 x|^2 / 20)`` over :data:`FLOOR_WINDOW_S` seconds, also :mod:`synsp.root_jitter`'s), and per frame the
:data:`FLOOR_QUANTILE`-th percentile of it over the joints: the level the quietest joints still show.

On the corpus's validation split (h36m17, fraction of the person's size, the median over each clip):
clean motion capture 0.02-0.10 %, the same played 3x faster 0.12-0.45 %, white jitter of 1 % with single
-frame outliers (the held-out ``spiky`` family) 0.44-0.65 %.  The universal models built with
``noise_cue=True`` take it, relative to each window's scale, as one more input (:mod:`synsp.models.universal`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .validation import SynspInputError

__all__ = ["FLOOR_WINDOW_S", "FLOOR_QUANTILE", "D3_WHITE_GAIN", "noise_floor", "running_level"]

#: seconds over which each joint's jitter level is a running median
FLOOR_WINDOW_S = 2.0
#: the percentile over joints that is the floor: the quieter quarter of the body
FLOOR_QUANTILE = 25.0
#: white noise of unit variance has a third difference of variance 1 + 9 + 9 + 1 = 20
D3_WHITE_GAIN = 20.0


def running_level(series: np.ndarray, fps: float, seconds: float = FLOOR_WINDOW_S) -> np.ndarray:
    """``sqrt(median |d3 x|^2 / 20)`` over ``seconds`` around each frame of ``series`` ``(T, ..., C)``
    (``T >= 4``; the norm over the last axis): the standard deviation of the white noise that would give that
    third difference, ``(T, ...)``, in the series' units."""
    d3 = np.sum(np.diff(series, 3, axis=0) ** 2, axis=-1)  # (T - 3, ...): d3[i] spans frames i..i+3
    size = max(3, int(round(seconds * fps)) | 1)
    level = np.sqrt(ndimage.median_filter(d3, size=(size,) + (1,) * (d3.ndim - 1), mode="reflect") / D3_WHITE_GAIN)
    return np.concatenate([level[:1], level, level[-2:]])


def noise_floor(positions: np.ndarray, fps: float) -> np.ndarray:
    """Per frame, the white-jitter floor of ``positions`` ``(T, J, D)`` or ``(T, P, J, D)`` (no NaN: fill
    missing joints first) in their units: ``(T,)`` or ``(T, P)``.  Sequences shorter than 4 frames or bodies
    of one joint have no measurable floor: zeros."""
    x = np.asarray(positions, dtype=np.float64)
    if x.ndim not in (3, 4):
        raise SynspInputError(f"positions has shape {x.shape}; expected (T, J, D) or (T, P, J, D)")
    if not np.isfinite(x).all():
        raise SynspInputError("positions has NaN or inf values: fill missing joints first")
    if x.shape[0] < 4 or x.shape[-2] < 2:
        return np.zeros(x.shape[:-2])
    level = running_level(x - x.mean(axis=-2, keepdims=True), fps)  # (T, ..., J)
    return np.percentile(level, FLOOR_QUANTILE, axis=-1)
