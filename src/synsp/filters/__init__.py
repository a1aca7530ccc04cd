"""Classical temporal filters for pose sequences, all behind the refiner contract.

Every filter is called as ``f(poses, fps=None, confidence=None)`` on
``(T, J, D)`` or ``(T, P, J, D)`` arrays and returns float64 numpy of the same
shape, has a ``delay`` (its look-ahead in frames) and an online form
``f.online()`` (the refiner contract, :mod:`synsp.filters.base`).  Pick one by name::

    from synsp.filters import get_filter
    smooth = get_filter("savgol")                  # SmoothNet's evaluation settings
    smooth = get_filter("butterworth", cutoff=4.0)   # any parameter can be overridden
    refined = smooth(poses, fps=50)

Registered names (:data:`FILTERS`), with their defaults:

=================== ===================================================================
``one-euro``         One-Euro, SmoothNet eval: min_cutoff 0.04, beta 0.7, d_cutoff 1, t_e = 1 frame
``one-euro-mmpose``  One-Euro, MMPose/VIBE demos: min_cutoff 0.004, beta 0.7, d_cutoff 1
``savgol``           Savitzky-Golay, SmoothNet eval: window 31, polyorder 2, shrink when T < 31 (note)
``savgol-mmpose``    Savitzky-Golay, MMPose: window 11, polyorder 2, edge-pad when T < 11 (note)
``gaussian``         SmoothNet eval: sigma 3 on non-overlapping 31-frame blocks, tail unfiltered
``gaussian-mmpose``  MMPose: median of 11 frames, then Gaussian sigma 4 over the whole sequence
``butterworth``      zero-phase Butterworth low-pass, order 4, cutoff 6 Hz
``kalman``           causal constant-acceleration Kalman filter: jerk q 30 m/s^3, sigma 0.01 m
``kalman-rts``       constant-acceleration Rauch-Tung-Striebel smoother: q 100 m/s^3, sigma 0.01 m
=================== ===================================================================

Note: Savitzky-Golay shrinks (or pads) only when the filter object is called directly
(``get_filter("savgol")(poses)``, MMPose's ``build_filter``, the first frames of a track online):
:func:`synsp.refine` leaves a part shorter than a filter's ``window`` as it is, with a warning.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any, Callable

from ..validation import SynspInputError
from .base import DEFAULT_FPS, WHOLE_SEQUENCE, Online, Refiner, TemporalFilter
from .butterworth import ButterworthFilter
from .gaussian import BlockGaussianFilter, MedianGaussianFilter
from .kalman import KalmanFilter
from .one_euro import OneEuroFilter
from .savgol import SavitzkyGolayFilter

__all__ = [
    "DEFAULT_FPS",
    "WHOLE_SEQUENCE",
    "Online",
    "Refiner",
    "TemporalFilter",
    "OneEuroFilter",
    "SavitzkyGolayFilter",
    "BlockGaussianFilter",
    "MedianGaussianFilter",
    "ButterworthFilter",
    "KalmanFilter",
    "FILTERS",
    "FILTER_NOTES",
    "get_filter",
    "filter_parameters",
    "parse_filter_spec",
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

#: name -> (delay, what it is for): the delay is the look-ahead an output frame waits for (each filter's
#: ``delay``); "whole clip" for a filter that runs forwards and backwards over the sequence
FILTER_NOTES: dict[str, tuple[str, str]] = {
    "one-euro": ("0 frames (causal)", "live use on any skeleton in pixels; SmoothNet's evaluation settings (beta is "
                 "per data unit: on metres it lags, on mm it barely smooths)"),
    "one-euro-mmpose": ("0 frames (causal)", "live use, very light smoothing (MMPose/VIBE demo settings)"),
    "savgol": ("15 frames (31-frame window)", "SmoothNet's evaluation baseline; at 30 fps it keeps 0.74 of 1 Hz "
               "motion and returns 2 Hz inverted (-0.22): for comparisons, not for motion"),
    "savgol-mmpose": ("5 frames (11-frame window)", "light offline smoothing, short delay (MMPose's)"),
    "gaussian": ("up to 30 frames (31-frame blocks)", "SmoothNet's evaluation baseline (blocks, tail unfiltered; "
                 "halves 2 Hz motion at 30 fps)"),
    "gaussian-mmpose": ("21 frames (11-frame median, sigma 4)", "outliers (running median) then smoothing (MMPose's)"),
    "butterworth": ("whole clip (zero-phase)", "clean or near-clean data in any units, any skeleton"),
    "kalman": ("0 frames (causal)", "live use, any units (only its two noise levels' ratio sets the smoothing)"),
    "kalman-rts": ("whole clip (smoother)", "the smoothest filter, any units (only its noise levels' ratio counts)"),
}


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


def filter_parameters(name: str) -> dict[str, Any]:
    """The parameters filter ``name`` takes, with the values its preset uses."""
    if name not in _PRESETS:
        raise SynspInputError(f"filter is {name!r}; expected one of {', '.join(sorted(FILTERS))}")
    made = FILTERS[name]()
    return {f.name: getattr(made, f.name) for f in dataclasses.fields(made) if f.name != "name"}


_TYPES = {"float": float, "int": int, "str": str, "bool": bool}

#: the parameters every filter has (TemporalFilter's fields)
_BASE_FIELDS = frozenset(f.name for f in dataclasses.fields(TemporalFilter))


def _value(text: str, kind: Any, name: str, filter_name: str) -> Any:
    kind = kind if isinstance(kind, str) else getattr(kind, "__name__", "str")
    try:
        if kind == "bool":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if kind == "int":  # "11.0" is the whole number 11, as the Python API takes it
            number = float(text)
            if not number.is_integer():
                raise ValueError
            return int(number)
        value = _TYPES.get(kind, str)(text)
    except (ValueError, OverflowError):
        words = {"float": "a number", "int": "a whole number", "bool": "true or false"}
        raise SynspInputError(f"filter {filter_name!r}: {name}={text!r} is not {words.get(kind, 'a ' + kind)}") from None
    return value


def parse_filter_spec(spec: str) -> TemporalFilter | None:
    """``"one-euro:min_cutoff=1,beta=0.01"`` -> that filter with those parameters; None when ``spec`` does
    not start with a filter name followed by ``:``.  Values are converted to the parameter's type.

    Raises:
        SynspInputError: an unknown parameter (naming the valid ones), ``name`` without ``=value``, a
        parameter given twice, a value of the wrong type or out of range.
    """
    name, sep, rest = spec.partition(":")
    if not sep or name not in _PRESETS:
        return None
    fields = {f.name: f.type for f in dataclasses.fields(_PRESETS[name][0]) if f.name != "name"}
    params: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not eq or not key:
            # the example: the filter's own first parameter (not the base's min_confidence), at its preset value
            first = next(f for f in fields if f not in _BASE_FIELDS)
            raise SynspInputError(f"filter {name!r}: {item!r} is not name=value (e.g. "
                                  f"{name}:{first}={filter_parameters(name)[first]})")
        if key not in fields:
            raise SynspInputError(f"filter {name!r} has no parameter {key}; expected some of "
                                  f"{', '.join(sorted(fields))}")
        if key in params:
            raise SynspInputError(f"filter {name!r}: {key} is given twice in {spec!r}; give each parameter once")
        params[key] = _value(text.strip(), fields[key], key, name)
    return get_filter(name, **params)
