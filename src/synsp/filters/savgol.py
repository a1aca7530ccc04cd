"""Savitzky-Golay filter: local least-squares polynomial smoothing (Savitzky & Golay 1964).

Each output frame is the value at the centre of the degree-``polyorder``
polynomial fitted by least squares to the ``window`` frames around it, i.e. a
fixed FIR filter whose taps are the centre row of the fit's pseudo-inverse.  It
reproduces every polynomial of degree ``<= polyorder`` exactly, so it removes
jitter without flattening smooth curvature, but it has a ``(window - 1) / 2``
frame look-ahead.  At both ends scipy's ``mode="interp"`` evaluates the
polynomial fitted to the first/last ``window`` frames, so polynomials are
reproduced there too (:func:`scipy.signal.savgol_filter` does the work).

Sequences shorter than ``window`` reach the filter when it is called directly
(``get_filter("savgol")(poses)``, MMPose's ``build_filter``, the first frames
of a track online), and are handled in one of two ways (:func:`synsp.refine`
does not call it on them: it leaves a part shorter than a filter's ``window``
as it is, with a warning):

* ``short_sequence="shrink"`` (SmoothNet's evaluation, preset ``savgol``): the
  window is clipped to ``T`` and made odd (``T`` even -> ``T - 1``), and
  ``polyorder`` is capped at ``window - 1``; ``T <= 2`` returns the input.
* ``short_sequence="pad"`` (MMPose 0.x, preset ``savgol-mmpose``): the sequence
  is padded at the start by repeating its first frame up to ``window`` frames,
  filtered, and the last ``T`` frames are returned (MMPose pads at the start
  because online use appends new frames at the end).

``fps`` is ignored: the window is in frames.

``delay`` is ``(window - 1) / 2`` frames, the look-ahead of every frame but the
first ``delay`` ones (which the ``interp`` end fit takes from the first
``window`` frames).  Online (:meth:`~synsp.filters.base.TemporalFilter.online`)
frame ``t`` is given out when frame ``t + delay`` has come, as the centre of
the fit over frames ``t - delay .. t + delay``: equal to offline when no joint
is missing, except the first ``delay`` frames of a track, which come from the
frames seen so far, and a track shorter than ``window`` whose frames came out
before its end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter

from ..validation import SynspInputError
from .base import MAX_WINDOW, TemporalFilter, check_at_most, check_choice, check_positive

__all__ = ["SavitzkyGolayFilter"]


@dataclass(frozen=True, kw_only=True)
class SavitzkyGolayFilter(TemporalFilter):
    """Savitzky-Golay smoothing along time.

    Args:
        window: odd number of frames of each local fit (the filter length), at most
            :data:`~synsp.filters.base.MAX_WINDOW`.
        polyorder: degree of the local polynomial, ``< window``; higher keeps
            sharper motion and removes less jitter.
        short_sequence: ``"shrink"`` or ``"pad"``, what to do when called on
            ``T < window`` frames (see the module docstring; :func:`synsp.refine`
            leaves a part that short as it is).
        min_confidence: see :class:`TemporalFilter`.

    Defaults are SmoothNet's evaluation settings (``savgol``: 31, 2, shrink);
    MMPose uses 11, 2, pad (``savgol-mmpose``).
    """

    name: str = "savgol"
    window: int = 31
    polyorder: int = 2
    short_sequence: str = "shrink"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "window", check_positive(self.window, "window", integer=True))
        check_at_most(self.window, "window", MAX_WINDOW, "frames, the longest filter window")
        if self.window % 2 == 0:
            raise SynspInputError(f"window is {self.window}; expected an odd number of frames")
        object.__setattr__(self, "polyorder", check_positive(self.polyorder, "polyorder", integer=True,
                                                             allow_zero=True))
        if self.polyorder >= self.window:
            raise SynspInputError(
                f"polyorder is {self.polyorder}; expected less than window = {self.window}"
            )
        check_choice(self.short_sequence, "short_sequence", ("shrink", "pad"))

    @property
    def delay(self) -> int:
        return (self.window - 1) // 2

    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        T = x.shape[0]
        if T >= self.window:
            return savgol_filter(x, self.window, self.polyorder, axis=0, mode="interp")
        if self.short_sequence == "pad":
            padded = np.concatenate([np.repeat(x[:1], self.window - T, axis=0), x])  # (window, C)
            return savgol_filter(padded, self.window, self.polyorder, axis=0, mode="interp")[-T:]
        window = T if T % 2 else T - 1
        polyorder = min(self.polyorder, window - 1)
        return savgol_filter(x, window, polyorder, axis=0, mode="interp")
