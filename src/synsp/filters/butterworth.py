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
(``2 x[0] - x[k]``), which preserves the local slope, over ``pad = 3 (2 s + 1)``
frames for ``s`` second-order sections (15 at order 4; scipy's default); for a
sequence of ``T <= pad`` frames the padding is reduced to ``T - 1`` frames, so
the filter never fails (``T = 1`` is returned unchanged).  ``window`` is
``pad + 1``, the length from which the full padding is used.  The output at
every frame depends on the whole sequence (an IIR filter run both ways), so
``delay`` is :data:`~synsp.filters.base.WHOLE_SEQUENCE`: online it refuses,
except ``online(causal=True)`` (the last frame of the filter over each
track's last ``window`` frames, as MMPose's ``Smoother`` runs a filter).  When ``cutoff``
is at or above the Nyquist frequency ``fps / 2`` every representable frequency
is in the pass band and the input is returned unchanged with a warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from .base import TemporalFilter, check_positive

__all__ = ["ButterworthFilter"]

#: values filtered at once (channels x frames): about 8 MB of float64 per chunk
_CHUNK_VALUES = 1 << 20


@dataclass(frozen=True, kw_only=True)
class ButterworthFilter(TemporalFilter):
    """Zero-phase (forward-backward) Butterworth low-pass along time.

    Args:
        order: order ``n`` of the single-pass filter (the double pass has
            ``2n``); higher gives a sharper transition and more ringing.
        cutoff: cutoff frequency in Hz (gain 0.5 after the double pass).
        min_confidence: see :class:`TemporalFilter`.
    """

    name: str = "butterworth"
    order: int = 4
    cutoff: float = 6.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self.order, "order", integer=True)
        check_positive(self.cutoff, "cutoff")

    @property
    def window(self) -> int:
        sections = (self.order + 1) // 2
        return 3 * (2 * sections + 1) + 1

    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        T = x.shape[0]
        if self.cutoff >= fps / 2.0:
            warnings.warn(
                f"butterworth cutoff {self.cutoff} Hz is at or above the Nyquist frequency "
                f"{fps / 2.0} Hz of fps = {fps}; returning the input unchanged",
                stacklevel=3,
            )
            return x.copy()
        if T == 1:
            return x.copy()
        sos = butter(int(self.order), self.cutoff, btype="low", output="sos", fs=fps)
        # padded (odd reflection) over twice the filter's time scale, fps / cutoff frames, and at least scipy's
        # default: at high rates 15 frames left an end transient of 9 mm on clean motion at 240 fps (now 0.1)
        pad = min(max(self.window - 1, int(np.ceil(2.0 * fps / self.cutoff))), T - 1)
        # a few channels at a time: scipy's forward-backward pass holds several copies of what it filters, and the
        # channels are independent, so the result is the same with a bounded working set (an hour of a whole body)
        out = np.empty(x.shape, dtype=np.result_type(x.dtype, np.float64))
        step = max(1, _CHUNK_VALUES // max(T, 1))
        for c in range(0, x.shape[1], step):
            out[:, c:c + step] = sosfiltfilt(sos, x[:, c:c + step], axis=0, padtype="odd", padlen=pad)
        return out
