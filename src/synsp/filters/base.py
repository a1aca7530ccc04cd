"""The one contract every refiner obeys, and the shared front of the classical filters.

A *refiner* is any object with

* ``name: str`` -- the name it is registered under;
* ``window: int`` -- the frames it needs: its look-ahead (latency) in frames
  for an offline filter, 1 for a causal one;
* ``causal: bool`` -- True when the output at frame ``t`` depends on frames
  ``<= t`` only (usable online with no delay);
* ``__call__(poses, fps=None, confidence=None) -> np.ndarray``.

``poses`` is ``(T, J, D)`` or ``(T, P, J, D)`` (T frames, P persons or views,
J joints, D = 2 or 3 coordinates in any unit), numpy or torch; the result is
numpy float64 of the same shape.  Time is axis 0 and every joint coordinate of
every person/view is filtered independently.  ``fps`` is the frame rate of the
sequence: filters whose parameters are in Hz or seconds use it and assume
:data:`DEFAULT_FPS` (30) when it is None; filters defined in frames ignore it.
``confidence`` is ``(T, J)`` or ``(T, P, J)``: joints scoring below the
filter's ``min_confidence`` (and NaN joints) are missing.

:class:`TemporalFilter` implements that contract once for the classical
filters: validate, mark missing joints, fill them by linear interpolation over
time (:func:`synsp.missing.interpolate_missing`), flatten to ``(T, C)``
channels, call the filter's ``_filter`` and restore the shape.  A filtered
sequence has no NaN: missing joints come back filled and filtered.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from ..missing import interpolate_missing, missing_from_confidence
from ..validation import SynspInputError, check_fps, check_poses, to_numpy

__all__ = ["DEFAULT_FPS", "Refiner", "TemporalFilter", "resolve_fps"]

DEFAULT_FPS = 30.0
"""Frame rate assumed when a filter that needs one is called with ``fps=None``."""


@runtime_checkable
class Refiner(Protocol):
    """Anything that refines a pose sequence: a classical filter or a network."""

    name: str
    window: int
    causal: bool

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None) -> np.ndarray:
        """``(T, J, D)`` or ``(T, P, J, D)`` in, float64 numpy of the same shape out."""
        ...


def resolve_fps(fps: Any) -> float:
    """``fps`` as a float (:func:`synsp.validation.check_fps`: 1 to 10,000 Hz), :data:`DEFAULT_FPS` when None."""
    return DEFAULT_FPS if fps is None else check_fps(fps)


def check_positive(value: Any, name: str, integer: bool = False, allow_zero: bool = False) -> None:
    """Raise :class:`SynspInputError` unless ``value`` is a positive (or >= 0) number / int."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if integer:
        ok = ok and int(value) == value
    if not ok:
        what = "integer" if integer else "number"
        bound = ">= 0" if allow_zero else "> 0"
        raise SynspInputError(f"{name} is {value!r}; expected a finite {what} {bound}")


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise SynspInputError(f"{name} is {value!r}; expected one of {', '.join(map(repr, choices))}")


@dataclass(frozen=True, kw_only=True)
class TemporalFilter(ABC):
    """Base of the classical filters: the refiner contract around ``_filter``.

    Args:
        name: the registry name (presets of one class differ by name).
        min_confidence: joints whose ``confidence`` is below this value (or
            NaN) are treated as missing, like NaN joints.  Only used when a
            ``confidence`` array is passed.  0.3 is the usual keypoint-score
            threshold of 2D detectors (OpenPose, MMPose demos).
    """

    name: str = "filter"
    min_confidence: float = 0.3

    causal: ClassVar[bool] = False

    @property
    @abstractmethod
    def window(self) -> int:
        """Frames the filter needs (look-ahead for offline filters, 1 if causal)."""

    def __post_init__(self) -> None:
        if not isinstance(self.min_confidence, (int, float)) or not math.isfinite(self.min_confidence):
            raise SynspInputError(f"min_confidence is {self.min_confidence!r}; expected a finite number")

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None) -> np.ndarray:
        x = check_poses(poses, ndims=(3, 4), allow_nan=True)
        rate = resolve_fps(fps)
        low = None
        if confidence is not None:
            low = missing_from_confidence(confidence, x.shape, self.min_confidence)
        filled, missing = interpolate_missing(x, low)
        T = x.shape[0]
        # measurement weight per channel: 0 where missing, the confidence where given, else 1
        weight = (~missing).astype(np.float64)
        if confidence is not None:
            weight *= to_numpy(confidence)[..., None]
        weight = np.clip(np.nan_to_num(weight), 0.0, None)
        out = self._filter(filled.reshape(T, -1), rate, weight.reshape(T, -1))  # (T, C)
        return np.ascontiguousarray(out, dtype=np.float64).reshape(x.shape)

    @abstractmethod
    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        """Filter ``x`` of shape ``(T, C)`` along axis 0; ``x`` has no NaN.

        ``weight`` ``(T, C)`` is 0 where the entry was missing (filled by
        interpolation), the joint confidence where one was given, 1 otherwise;
        only filters with a measurement model (Kalman) use it.
        """
