"""The one contract every refiner obeys, and the shared front of the classical filters.

Every refiner -- the classical filters here, :class:`synsp.refiners.NetworkRefiner` (SynSP, SmoothNet,
DeciWatch, HANet, the universal model), :class:`synsp.rotations.RotationNetwork`, and the wrappers
:class:`synsp.refiners.SubsetRefiner` and :class:`synsp.grouping.SimilarPoseRefiner` -- has the same
small surface, :class:`Refiner`:

Attributes:

* ``name: str`` -- the name it is registered under (what :func:`synsp.refiners.get_refiner` takes).
* ``window: int >= 1`` -- the frames it needs: a window network's ``W``, a filter's support
  (Savitzky-Golay's window, Butterworth's end padding + 1, ...), 1 for a causal filter.  A track part
  shorter than this is left as it is by :func:`synsp.refine_pose_file`.
* ``causal: bool`` -- True when the output at frame ``t`` depends on frames ``<= t`` only.
* ``delay: int`` -- the look-ahead, in frames: the output at frame ``t`` is final once frame
  ``t + delay`` is known.  0 for a causal refiner; ``W - 1`` for a window network (stride-1 windows,
  averaged); ``(window - 1) // 2`` for Savitzky-Golay; ``window - 1`` for the block Gaussian; the
  median's half window plus the kernel's radius for MMPose's Gaussian; :data:`WHOLE_SEQUENCE` (-1) for a
  refiner whose every output frame depends on the whole sequence (zero-phase Butterworth, the
  Rauch-Tung-Striebel smoother).  It is also the delay of the refiner's online form (below) and what
  :func:`synsp.evaluation.compare` reports as latency.
* ``min_confidence: float`` -- joints scoring below it (and NaN joints) are missing.

Methods:

* ``__call__(poses, fps=None, confidence=None, progress=False, return_filled=False)`` -- refine a whole
  sequence offline.  ``poses`` ``(T, J, D)`` or ``(T, P, J, D)`` (T frames, P persons or views, J joints,
  D = 2 or 3 coordinates in any unit; axis-angle rotations, D = 3, for a rotation network), numpy or
  torch; the result is numpy float64 of the same shape, with no NaN: missing joints come back filled.
  ``fps`` is the sequence's frame rate (filters in Hz or seconds assume :data:`DEFAULT_FPS` when None,
  networks their training rate and resample any other); ``confidence`` ``(T, J)`` or ``(T, P, J)``.
  ``progress``: a progress bar where the work is long (networks).  With ``return_filled=True`` the
  result is ``(poses, filled)``, ``filled`` the bool ``(T, J)`` / ``(T, P, J)`` mask of the joints it
  filled (NaN, inf or absurd coordinates, or a score below ``min_confidence``).
* ``online(causal=None, fps=None) -> Online`` -- the refiner run frame by frame (what
  :class:`synsp.Stream` and the MMPose adapter drive).  ``causal=None``: its own delay (``delay``
  frames; a refiner with ``delay == WHOLE_SEQUENCE`` raises :class:`SynspInputError` naming online
  alternatives); ``causal=True``: zero delay for any refiner (a causal refiner as it is; a window network
  gives the last frame of the window ending at each frame; any other filter the last frame of the
  filter over the track's last ``window`` frames, the rule MMPose 0.x's ``Smoother`` applies online,
  and the Kalman smoother its forward filter).  ``fps``: the frames' rate (a network cannot resample
  online: a rate it does not run at frame for frame raises).  A refiner with no online form (a multi-view network,
  which needs the P synchronised views of a person together) raises :class:`SynspInputError`.

An :class:`Online` stepper serves any number of tracks and batches their work (one network forward per
``step`` for every track):

* ``delay: int >= 0`` -- frames from a frame going in to its refined frame coming out;
  ``fps: float`` -- the frames' rate; ``joints: int | None`` -- J of every frame (None: any, fixed per
  track by the caller); ``dims: tuple[int, ...]`` -- the D it takes; ``skeleton: str | None`` -- the
  registered skeleton of the frames when known; ``rotations: bool`` -- True for axis-angle rotations.
* ``start() -> state`` -- a new track's state (an opaque object the caller keeps).
* ``step(states, frames, missing, confidence=None) -> list`` -- one frame of each of ``len(states)``
  tracks: ``frames[k]`` ``(J, D)``, ``missing[k]`` bool ``(J,)`` (True: the joint is missing, its
  coordinates are not read), ``confidence``: None or ``confidence[k]`` None or ``(J,)`` scores (a Kalman
  filter weights its measurements by them).  Returns, per track, None when the frame was not taken (no
  joint observed on the track yet: nothing to hold) or the list of refined frames ``(J, D)`` that
  became final, oldest first: every taken frame comes out exactly once, ``delay`` frames later.  A
  missing joint holds its last value.
* ``finish(states) -> list[list]`` -- the frames still pending of each track (its end), oldest first;
  the states are spent.

Offline and online agree: a window network's online output equals its offline output frame for frame
when no joint is missing and the stream runs at the model's rate; so do the causal filters (stepped)
and the filters with a bounded look-ahead (Savitzky-Golay from its ``delay``-th frame on).

:class:`TemporalFilter` implements the contract once for the classical filters: validate, mark missing
joints, fill them over time (:func:`synsp.missing.interpolate_missing`: short gaps along the motion's curve
offline and long ones relative to the joints still seen, linearly for a causal filter),
flatten to ``(T, C)`` channels (time is axis 0 and every joint coordinate of every person/view is
filtered independently), call the filter's ``_filter`` and restore the shape.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from ..missing import interpolate_missing, missing_from_confidence
from ..validation import SynspInputError, check_fps, check_poses, to_numpy
from .online import LookAheadOnline, RecentOnline

__all__ = ["DEFAULT_FPS", "WHOLE_SEQUENCE", "MAX_WINDOW", "Refiner", "Online", "TemporalFilter", "resolve_fps",
           "whole_sequence_refusal"]

DEFAULT_FPS = 30.0
"""Frame rate assumed when a filter that needs one is called with ``fps=None``."""

WHOLE_SEQUENCE = -1
"""The ``delay`` of a refiner whose every output frame depends on the whole sequence."""

MAX_WINDOW = 10_001
"""The longest window (or block) of a filter, in frames: 5.6 minutes at 30 fps.  Windows are filled and
convolved whole, so a longer one costs memory and time in proportion and changes nothing a pose needs."""


@runtime_checkable
class Online(Protocol):
    """A refiner run frame by frame over many tracks (see the module docstring)."""

    delay: int
    fps: float
    joints: int | None
    dims: tuple[int, ...]
    skeleton: str | None
    rotations: bool

    def start(self) -> Any:
        """A new track's state."""
        ...

    def step(self, states: list, frames: list, missing: list, confidence: list | None = None) -> list:
        """One frame ``(J, D)`` of each track -> per track None (not taken) or its frames that became final."""
        ...

    def finish(self, states: list) -> list:
        """The frames still pending of each track, oldest first."""
        ...


@runtime_checkable
class Refiner(Protocol):
    """Anything that refines a pose sequence: a classical filter, a network or a wrapper (module docstring)."""

    name: str
    window: int
    causal: bool
    delay: int
    min_confidence: float

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None, progress: bool = False,
                 return_filled: bool = False) -> Any:
        """``(T, J, D)`` or ``(T, P, J, D)`` in, float64 numpy of the same shape out (with the filled mask
        ``(T, J)`` / ``(T, P, J)`` too: ``(poses, filled)``, when ``return_filled``)."""
        ...

    def online(self, causal: bool | None = None, fps: float | None = None) -> Online:
        """The refiner frame by frame (:class:`Online`), with its own ``delay`` or, ``causal=True``, none."""
        ...


def whole_sequence_refusal(name: str, window: int) -> SynspInputError:
    """The error of ``online()`` for a refiner whose output needs the whole sequence."""
    return SynspInputError(
        f"{name} needs the whole sequence (every output frame depends on all of it): it has no online form "
        "with a bounded delay. Online, use a causal filter (one-euro, kalman: no delay), a filter with a "
        "bounded look-ahead (savgol-mmpose: 5 frames, savgol: 15), a window network (synsp-h36m17-3d-w8, "
        f"synsp-coco17-2d-w8: 7 frames), or causal=True for {name}'s zero-delay approximation (each frame "
        f"the last of the filter over the track's last {window} frames, as MMPose's Smoother runs filters)")


def resolve_fps(fps: Any) -> float:
    """``fps`` as a float (:func:`synsp.validation.check_fps`: 1 to 10,000 Hz), :data:`DEFAULT_FPS` when None."""
    return DEFAULT_FPS if fps is None else check_fps(fps)


def check_positive(value: Any, name: str, integer: bool = False, allow_zero: bool = False) -> Any:
    """``value`` if it is a positive (or >= 0) number / whole number, else :class:`SynspInputError`.  With
    ``integer`` the result is an ``int`` (``11.0`` -> ``11``): scipy's windows and orders take no float."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if integer:
        ok = ok and int(value) == value
    if not ok:
        what = "integer" if integer else "number"
        bound = ">= 0" if allow_zero else "> 0"
        raise SynspInputError(f"{name} is {value!r}; expected a finite {what} {bound}")
    return int(value) if integer else value


def check_at_most(value: Any, name: str, most: float, why: str) -> None:
    """Raise :class:`SynspInputError` when the (checked) number ``value`` exceeds ``most``, saying ``why``."""
    if value > most:
        raise SynspInputError(f"{name} is {value!r}; expected at most {most:g} ({why})")


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
        """Frames the filter needs (its support; 1 if causal)."""

    @property
    def delay(self) -> int:
        """Look-ahead in frames (module docstring): 0 causal, :data:`WHOLE_SEQUENCE` unless a filter
        with a bounded look-ahead says otherwise."""
        return 0 if self.causal else WHOLE_SEQUENCE

    def __post_init__(self) -> None:
        if not isinstance(self.min_confidence, (int, float)) or not math.isfinite(self.min_confidence):
            raise SynspInputError(f"min_confidence is {self.min_confidence!r}; expected a finite number")

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None, progress: bool = False,
                 return_filled: bool = False) -> Any:
        x = check_poses(poses, ndims=(3, 4), allow_nan=True)
        rate = resolve_fps(fps)
        low = None
        if confidence is not None:
            low = missing_from_confidence(confidence, x.shape, self.min_confidence)
        # offline, short gaps along a curve (synsp.missing.curved_fill) and long ones relative to the joints still
        # seen (body_fill), as for the networks; causal: linear
        refilled = np.zeros(x.shape, dtype=bool)  # where the body fill decided (synsp.missing.body_fill)
        filled, missing = interpolate_missing(x, low, curved=not self.causal, body=not self.causal, refilled=refilled)
        T = x.shape[0]
        # measurement weight per channel: 0 where missing, the confidence where given, else 1
        weight = (~missing).astype(np.float64)
        if confidence is not None:
            weight *= to_numpy(confidence)[..., None]
        weight = np.clip(np.nan_to_num(weight), 0.0, None)
        weight = self._measurement_weight(weight.reshape(T, -1), missing.reshape(T, -1), refilled.reshape(T, -1))
        out = self._filter(filled.reshape(T, -1), rate, weight)  # (T, C)
        out = np.ascontiguousarray(out, dtype=np.float64).reshape(x.shape)
        return (out, missing.any(-1)) if return_filled else out

    def online(self, causal: bool | None = None, fps: float | None = None) -> Online:
        """The filter frame by frame (module docstring): a causal filter stepped (zero delay); with
        ``causal=True`` any filter at zero delay; otherwise the filter with its bounded look-ahead
        (``delay`` frames), or :class:`SynspInputError` for a filter that needs the whole sequence."""
        rate = resolve_fps(fps)
        if self.causal or causal:
            return self._recursion(rate) or RecentOnline(self, rate)
        if self.delay == WHOLE_SEQUENCE:
            raise whole_sequence_refusal(self.name, self.window)
        return LookAheadOnline(self, rate, self.delay, self._chunk_start)

    def _measurement_weight(self, weight: np.ndarray, missing: np.ndarray, refilled: np.ndarray) -> np.ndarray:
        """The weights ``(T, C)`` that ``_filter`` gets, from ``weight`` (0 where ``missing``, the confidence where
        given, else 1), the ``missing`` ``(T, C)`` mask and ``refilled`` ``(T, C)``, the entries filled from the joints
        still seen (:func:`synsp.missing.body_fill`): ``weight`` itself unless a filter with a measurement model
        weighs filled entries (the Kalman smoother measures a track end's fill and the body fill)."""
        return weight

    def _recursion(self, fps: float) -> Online | None:
        """The filter's causal recursion, one step per frame (None: it has none)."""
        return None

    def _chunk_start(self, t: int, end: int | None) -> int:
        """The first frame of the chunk whose offline output holds frame ``t``'s, as online has it
        (``end`` None: frame ``t + delay`` is the latest; else ``end`` frames in all, the track's end)."""
        if end is None:
            return max(0, t - self.delay)
        return max(0, min(t - self.delay, end - self.window))

    @abstractmethod
    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        """Filter ``x`` of shape ``(T, C)`` along axis 0; ``x`` has no NaN.

        ``weight`` ``(T, C)`` is 0 where the entry was missing (filled by
        interpolation), the joint confidence where one was given, 1 otherwise
        (as :meth:`_measurement_weight` leaves it); only filters with a
        measurement model (Kalman) use it.
        """
