"""Classical temporal filters for pose sequences, all behind the refiner contract.

Every filter is called as ``f(poses, fps=None, confidence=None)`` on
``(T, J, D)`` or ``(T, P, J, D)`` arrays and returns float64 numpy of the same
shape (see :mod:`synsp.filters.base`).  Pick one by name::

    from synsp.filters import get_filter
    smooth = get_filter("savgol")                  # SmoothNet's evaluation settings
    smooth = get_filter("butterworth", cutoff=4.0)   # any parameter can be overridden
    refined = smooth(poses, fps=50)

Registered names (:data:`FILTERS`), with their defaults:

=================== ===================================================================
``one-euro``         One-Euro, SmoothNet eval: min_cutoff 0.04, beta 0.7, d_cutoff 1, t_e = 1 frame
``one-euro-mmpose``  One-Euro, MMPose/VIBE demos: min_cutoff 0.004, beta 0.7, d_cutoff 1
``savgol``           Savitzky-Golay, SmoothNet eval: window 31, polyorder 2, shrink when T < 31
``savgol-mmpose``    Savitzky-Golay, MMPose: window 11, polyorder 2, edge-pad when T < 11
``gaussian``         SmoothNet eval: sigma 3 on non-overlapping 31-frame blocks, tail unfiltered
``gaussian-mmpose``  MMPose: median of 11 frames, then Gaussian sigma 4 over the whole sequence
``butterworth``      zero-phase Butterworth low-pass, order 4, cutoff 6 Hz
``kalman``           causal constant-acceleration Kalman filter: jerk q 30 m/s^3, sigma 0.01 m
``kalman-rts``       constant-acceleration Rauch-Tung-Striebel smoother: q 100 m/s^3, sigma 0.01 m
=================== ===================================================================
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any, Callable

from ..validation import SynspInputError
from .base import DEFAULT_FPS, Refiner, TemporalFilter
from .butterworth import ButterworthFilter
from .gaussian import BlockGaussianFilter, MedianGaussianFilter
from .kalman import KalmanFilter
from .one_euro import OneEuroFilter
from .savgol import SavitzkyGolayFilter

__all__ = [
    "DEFAULT_FPS",
    "Refiner",
    "TemporalFilter",
    "OneEuroFilter",
    "SavitzkyGolayFilter",
    "BlockGaussianFilter",
    "MedianGaussianFilter",
    "ButterworthFilter",
    "KalmanFilter",
    "FILTERS",
    "get_filter",
]

_PRESETS: dict[str, tuple[type[TemporalFilter], dict[str, Any]]] = {
    "one-euro": (OneEuroFilter, {}),
    "one-euro-mmpose": (OneEuroFilter, {"min_cutoff": 0.004, "beta": 0.7}),
    "savgol": (SavitzkyGolayFilter, {}),
    "savgol-mmpose": (SavitzkyGolayFilter, {"window": 11, "polyorder": 2, "short_sequence": "pad"}),
    "gaussian": (BlockGaussianFilter, {}),
    "gaussian-mmpose": (MedianGaussianFilter, {}),
    "butterworth": (ButterworthFilter, {}),
    "kalman": (KalmanFilter, {}),
    "kalman-rts": (KalmanFilter, {"smoother": True, "process_noise": 100.0}),
}

FILTERS: dict[str, Callable[..., TemporalFilter]] = {
    name: partial(cls, name=name, **params) for name, (cls, params) in _PRESETS.items()
}
"""Filter factories by name; ``FILTERS[name](**overrides)`` builds one."""


def get_filter(name: str, **params: Any) -> TemporalFilter:
    """The filter registered as ``name``, with ``params`` overriding its defaults.

    Raises:
        SynspInputError: unknown name, or a parameter the filter does not take.
    """
    if name not in _PRESETS:
        raise SynspInputError(f"filter is {name!r}; expected one of {', '.join(sorted(FILTERS))}")
    cls = _PRESETS[name][0]
    accepted = {f.name for f in dataclasses.fields(cls)} - {"name"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise SynspInputError(
            f"filter {name!r} has no parameter {', '.join(unknown)}; expected some of "
            f"{', '.join(sorted(accepted))}"
        )
    return FILTERS[name](**params)
