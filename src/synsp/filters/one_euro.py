"""One-Euro filter: an adaptive first-order low-pass (Casiez, Roussel, Vogel, CHI 2012).

For each channel, with sample period ``t_e`` and the smoothing factor of a
first-order low-pass of cutoff ``f_c``

    alpha(f_c) = r / (r + 1),    r = 2 * pi * f_c * t_e,

the filter runs, for ``t = 1 .. T-1``,

    dx_hat[t] = alpha(d_cutoff) * (x[t] - x_hat[t-1]) / t_e + (1 - alpha(d_cutoff)) * dx_hat[t-1]
    f_c[t]    = min_cutoff + beta * |dx_hat[t]|
    x_hat[t]  = alpha(f_c[t]) * x[t] + (1 - alpha(f_c[t])) * x_hat[t-1]

from ``x_hat[0] = x[0]`` and ``dx_hat[0] = 0`` (the first frame passes through
unchanged).  Slow motion gets the low cutoff ``min_cutoff`` (little jitter,
some lag); fast motion raises the cutoff through ``beta`` (little lag).  The
filter is causal: the output at frame ``t`` only uses frames ``<= t``.

Two time units:

* ``time_unit="frame"`` (the default, as in SmoothNet's evaluation, MMPose and
  VIBE): ``t_e = 1`` frame, so cutoffs are in cycles per frame, the speed
  ``|dx_hat|`` is in units per frame, and ``fps`` is ignored.  ``min_cutoff =
  0.04`` cycles/frame is 1.2 Hz at 30 fps.
* ``time_unit="second"``: ``t_e = 1 / fps`` seconds, cutoffs in Hz, speed in
  units per second (Casiez et al.'s formulation); ``fps`` defaults to 30.

``beta`` multiplies a speed, so its useful value depends on the units of the
poses: the presets were tuned by their authors on metres (SmoothNet) and on
normalised or pixel coordinates (MMPose/VIBE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .base import TemporalFilter, check_choice, check_positive
from .online import FilterOnline

__all__ = ["OneEuroFilter", "OneEuroOnline", "smoothing_factor"]


def smoothing_factor(cutoff: np.ndarray | float, t_e: float) -> np.ndarray | float:
    """``alpha = r / (r + 1)`` with ``r = 2 pi cutoff t_e``: the weight of the new sample."""
    r = 2.0 * math.pi * cutoff * t_e
    return r / (r + 1.0)


@dataclass(frozen=True, kw_only=True)
class OneEuroFilter(TemporalFilter):
    """Causal One-Euro filter, vectorised over all channels (one loop over frames).

    Args:
        min_cutoff: cutoff at zero speed (cycles/frame or Hz, see ``time_unit``);
            lower is smoother and lags more.
        beta: speed coefficient, cutoff increase per unit of speed; higher
            follows fast motion with less lag.
        d_cutoff: cutoff of the low-pass on the speed estimate.
        time_unit: ``"frame"`` (``t_e`` = 1 frame; ``fps`` ignored) or
            ``"second"`` (``t_e`` = 1/fps; cutoffs in Hz).
        min_confidence: see :class:`TemporalFilter`.

    Defaults are SmoothNet's evaluation settings (``one-euro``); MMPose and VIBE
    demos use ``min_cutoff=0.004`` (``one-euro-mmpose``).  Any length ``T >= 1``
    works; ``window`` is 1, ``delay`` 0; online (:meth:`online`) the recursion advances one step per
    frame, so every frame equals the offline output over the track so far when no joint is missing (a
    missing joint holds its last value online; offline it is interpolated up to the frame it returns in).
    """

    name: str = "one-euro"
    min_cutoff: float = 0.04
    beta: float = 0.7
    d_cutoff: float = 1.0
    time_unit: str = "frame"

    causal = True

    @property
    def window(self) -> int:
        return 1

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self.min_cutoff, "min_cutoff")
        check_positive(self.beta, "beta", allow_zero=True)
        check_positive(self.d_cutoff, "d_cutoff")
        check_choice(self.time_unit, "time_unit", ("frame", "second"))

    def _recursion(self, fps: float) -> OneEuroOnline:
        return OneEuroOnline(self, fps)

    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        t_e = 1.0 if self.time_unit == "frame" else 1.0 / fps
        alpha_d = smoothing_factor(self.d_cutoff, t_e)
        out = np.empty_like(x)  # (T, C)
        out[0] = x[0]
        x_hat = x[0].copy()  # (C,)
        dx_hat = np.zeros_like(x_hat)
        for t in range(1, x.shape[0]):
            dx_hat = alpha_d * (x[t] - x_hat) / t_e + (1.0 - alpha_d) * dx_hat
            alpha = smoothing_factor(self.min_cutoff + self.beta * np.abs(dx_hat), t_e)
            x_hat = x_hat + alpha * (x[t] - x_hat)  # = alpha x + (1 - alpha) x_hat, exact on constants
            out[t] = x_hat
        return out


class OneEuroOnline(FilterOnline):
    """The One-Euro recursion, one step per frame: zero delay, every frame equal to the offline filter run
    over the track so far when no joint is missing (the online form of :class:`OneEuroFilter`).  A missing
    joint holds its last value here, while offline it is interpolated to the frame it comes back in, so the
    two differ from the gap on, until the recursion forgets it."""

    def __init__(self, f: Any, fps: float):
        super().__init__(f, fps, 0)
        self.t_e = 1.0 if f.time_unit == "frame" else 1.0 / fps
        self.alpha_d = smoothing_factor(f.d_cutoff, self.t_e)

    def _push(self, st, x, missing, confidence, first):
        if first:  # the first frame passes through
            st.x_hat, st.dx_hat = x.copy(), np.zeros_like(x)
            return [st.x_hat]
        f = self.filter
        st.dx_hat = self.alpha_d * (x - st.x_hat) / self.t_e + (1.0 - self.alpha_d) * st.dx_hat
        alpha = smoothing_factor(f.min_cutoff + f.beta * np.abs(st.dx_hat), self.t_e)
        st.x_hat = st.x_hat + alpha * (x - st.x_hat)
        return [st.x_hat]

    def _first_seen(self, st, joints, frame):
        # the recursion restarts at the joint's first value, as offline, where its frames before hold that value
        st.x_hat = np.where(joints[:, None], frame, st.x_hat)
        st.dx_hat = np.where(joints[:, None], 0.0, st.dx_hat)
