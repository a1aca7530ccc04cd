"""Zero-phase Butterworth low-pass, the default smoother of biomechanics (Winter 2009).

A Butterworth low-pass of order ``n`` and cutoff ``f_c`` has the maximally flat
magnitude response ``|H(f)|^2 = 1 / (1 + (f / f_c)^(2n))`` (digital design by
the bilinear transform, :func:`scipy.signal.butter`, as second-order sections).
Running it forward and then backward (:func:`scipy.signal.sosfiltfilt`) cancels
the phase, so there is no lag, and squares the magnitude: the effective
response is ``1 / (1 + (f / f_c)^(2n))`` (order ``2n``), i.e. the gain at
``f_c`` is 0.5 (-6 dB), not 0.707.  No "Winter correction" of the cutoff for
the double pass is applied: ``cutoff`` is the -6 dB frequency of the result.

Human movement has most of its power below 6 Hz, hence the defaults (order 4,
6 Hz).  The cutoff is in Hz, so the filter needs ``fps`` (30 assumed when None).

Ends: the sequence is extended by an odd reflection about each end point
(``2 x[0] - x[k]``), which preserves the local slope, over
``pad = max(3 (2 s + 1), ceil(2 fps / cutoff))`` frames for ``s`` second-order
sections: twice the filter's time scale ``fps / cutoff``, and at least scipy's
default padding (15 frames at order 4), which at high rates left a larger end
error (a 6 Hz cut of smooth motion cut mid-swing moved its last frame by 22 mm
at 240 fps with 15 frames, under 2 mm with 80).  A sequence of ``T <= pad``
frames is reflected again about the ends of its reflection (and so on) until
the padding is reached, so its ends get the same padding as a long one and a
constant still passes unchanged and a line nearly; ``T = 1`` is returned unchanged.
``window`` is ``3 (2 s + 1) + 1`` (16 at order 4), one more than scipy's
default padding (:func:`synsp.refine` leaves a part shorter than ``window`` as
it is, with a warning).  The output at every frame depends on the whole sequence (an IIR filter run both ways), so
``delay`` is :data:`~synsp.filters.base.WHOLE_SEQUENCE`: online it refuses,
except ``online(causal=True)`` (the last frame of the filter over each
track's last ``window`` frames, as MMPose's ``Smoother`` runs a filter).

Cutoffs.  A cutoff at or above the Nyquist frequency ``fps / 2`` puts every
representable frequency in the pass band: the input is returned unchanged
with a warning.  A cutoff below ``fps / 10^5`` (:data:`MIN_CUTOFF_PER_FPS`; a
time scale ``fps / cutoff`` over 100,000 frames, 55 min at 30 fps: a drift
removal's 0.05 Hz at 120 fps is 2,400) raises
:class:`~synsp.validation.SynspInputError` when the filter is called (``fps``
known), and a cutoff below 1e-5 Hz (that bound at the lowest frame rate,
1 Hz) already when it is made: the sections' poles come
within ``2 pi cutoff / fps`` of 1, and their gain at zero frequency, 1 in
exact arithmetic, drifts from it in float64 in proportion to
``(fps / cutoff)^2`` (1e-12 at ``fps / 1000``, 1e-8 at the bound, 5 % at
``fps / 3 10^8``: a constant 1.0 came back 0.95; below, the design fails).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from ..validation import MIN_FPS, SynspInputError
from .base import TemporalFilter, check_at_most, check_positive

__all__ = ["ButterworthFilter", "MIN_CUTOFF_PER_FPS", "MAX_ORDER"]

#: values filtered at once (channels x frames): about 8 MB of float64 per chunk
_CHUNK_VALUES = 1 << 20

MAX_ORDER = 100
"""The highest ``order``: scipy's design in float64 loses accuracy above it and overflows from about 150."""

MIN_CUTOFF_PER_FPS = 1e-5
"""The lowest cutoff, as a fraction of ``fps``: a time scale ``fps / cutoff`` of at most 100,000 frames (module
docstring: below, no motion is left to smooth and the sections lose float64 accuracy as ``(fps / cutoff)^2``)."""


def odd_padded(x: np.ndarray, pad: int) -> np.ndarray:
    """``x`` ``(T, C)``, ``T >= 2``, extended at both ends by ``pad`` frames of odd reflection about the end
    points (``2 x[0] - x[k]``, scipy's ``padtype="odd"``); when ``pad >= T`` the reflection is reflected again
    about its own ends until ``pad`` is reached, which keeps lines (and the local slope at the ends) exact."""
    out, done = x, 0
    while done < pad:
        n = min(pad - done, out.shape[0] - 1)
        out = np.concatenate([2.0 * out[:1] - out[n:0:-1], out, 2.0 * out[-1:] - out[-2:-n - 2:-1]])
        done += n
    return out


@dataclass(frozen=True, kw_only=True)
class ButterworthFilter(TemporalFilter):
    """Zero-phase (forward-backward) Butterworth low-pass along time.

    Args:
        order: order ``n`` of the single-pass filter (the double pass has
            ``2n``), at most :data:`MAX_ORDER` (100); higher gives a sharper
            transition and more ringing.
        cutoff: cutoff frequency in Hz (gain 0.5 after the double pass), at least ``fps / 10^5``
            (module docstring); at or above ``fps / 2`` the input comes back unchanged, with a warning.
        min_confidence: see :class:`TemporalFilter`.
    """

    name: str = "butterworth"
    order: int = 4
    cutoff: float = 6.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "order", check_positive(self.order, "order", integer=True))
        check_at_most(self.order, "order", MAX_ORDER, "scipy's float64 design loses accuracy above it")
        check_positive(self.cutoff, "cutoff")
        self._check_cutoff(MIN_FPS)

    @property
    def window(self) -> int:
        sections = (self.order + 1) // 2
        return 3 * (2 * sections + 1) + 1

    def _check_cutoff(self, fps: float) -> None:
        """Refuse a cutoff below ``fps / 10^5`` (:data:`MIN_CUTOFF_PER_FPS`, the module docstring)."""
        least = MIN_CUTOFF_PER_FPS * fps
        if self.cutoff < least:
            at = f"at fps = {fps:g}" if fps > MIN_FPS else f"at any fps (>= {MIN_FPS:g})"
            raise SynspInputError(
                f"cutoff is {self.cutoff!r} Hz; expected at least fps / 100000 = {least:g} Hz {at}, up to fps / 2 "
                f"(above, the input comes back unchanged): a lower cutoff has a time scale fps / cutoff over "
                f"100,000 frames, longer than any motion to smooth, where the filter's float64 sections lose accuracy")

    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        T = x.shape[0]
        if self.cutoff >= fps / 2.0:
            warnings.warn(
                f"butterworth cutoff {self.cutoff} Hz is at or above the Nyquist frequency "
                f"{fps / 2.0} Hz of fps = {fps}; returning the input unchanged",
                stacklevel=3,
            )
            return x.copy()
        self._check_cutoff(fps)
        if T == 1:
            return x.copy()
        sos = butter(self.order, self.cutoff, btype="low", output="sos", fs=fps)
        # padded (odd reflection) over twice the filter's time scale, fps / cutoff frames, and at least scipy's
        # default: at high rates 15 frames left an end transient of 9 mm on clean motion at 240 fps (now 0.1);
        # a clip shorter than that is reflected again and again (odd_padded) rather than padded less
        pad = max(self.window - 1, int(np.ceil(2.0 * fps / self.cutoff)))
        # a few channels at a time: scipy's forward-backward pass holds several copies of what it filters, and the
        # channels are independent, so the result is the same with a bounded working set (an hour of a whole body)
        out = np.empty(x.shape, dtype=np.result_type(x.dtype, np.float64))
        step = max(1, _CHUNK_VALUES // (T + 2 * pad))
        for c in range(0, x.shape[1], step):
            padded = odd_padded(x[:, c:c + step], pad)
            out[:, c:c + step] = sosfiltfilt(sos, padded, axis=0, padtype=None)[pad:pad + T]
        return out
