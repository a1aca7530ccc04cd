"""Kalman filter and Rauch-Tung-Striebel smoother with a kinematic motion model.

Every channel (one coordinate of one joint) is an independent 1-D target
observed directly.  Its state is ``s = [p, v]`` (``model="cv"``, constant
velocity) or ``s = [p, v, a]`` (``model="ca"``, constant acceleration); with
the frame period ``dt = 1 / fps``

    s[t] = F s[t-1] + G w[t],   z[t] = H s[t] + e[t],   H = [1, 0(, 0)]

    cv: F = [[1, dt], [0, 1]],                          G = [dt^2/2, dt]
    ca: F = [[1, dt, dt^2/2], [0, 1, dt], [0, 0, 1]],   G = [dt^3/6, dt^2/2, dt]

``w[t] ~ N(0, q^2)`` is the random acceleration (cv) or jerk (ca), held
constant over one frame and independent between frames (the discrete
white-noise models of Bar-Shalom, Li & Kirubarajan 2001, sec. 6.3), so
``Q = q^2 G G^T``; ``e[t] ~ N(0, R[t])`` with ``R[t] = sigma^2 / c[t]``, where
``c[t]`` is the joint's confidence when one is given (low confidence -> large
R) and 1 otherwise, and ``c[t] = 0`` (no measurement: the update is skipped)
where the joint is missing -- except, for the smoother, before a channel's first
and after its last observation (below, *Track ends*).

The forward pass is the Kalman filter (preset ``kalman``, causal: the output at
frame ``t`` is ``E[p[t] | z[0..t]]``).  The smoother (preset ``kalman-rts``)
adds the Rauch-Tung-Striebel backward pass

    A[t] = P[t|t] F^T P[t+1|t]^-1
    s[t|T] = s[t|t] + A[t] (s[t+1|T] - s[t+1|t])

giving ``E[p[t] | z[0..T-1]]`` (offline, zero lag).  The CA smoother
reproduces any noiseless quadratic trajectory and the CV one any line (to about
1e-9 of their scale: the only residue is the prior's).

Track ends.  Before its first and after its last observation a channel has
no data, and the motion model alone extrapolated its velocity and acceleration
without bound (CMU mocap with 5 mm noise and the last 30 frames missing: a
10.5 m body box at the last frame, the truth's 1.24 m; 90 frames: 98.6 m).  The
smoother measures there, with ``c = 1`` (:data:`END_FILL_WEIGHT`), the fill every
refiner refines (:func:`synsp.missing.interpolate_missing`, curved: the motion's
velocity carried on, decaying, then held), so it comes out as that fill smoothed,
joined continuously to the observed frames (1.46 m and 1.19 m boxes, as
Butterworth's and the default network's); the frames between two observations
are not touched unless more than :data:`synsp.missing.CURVED_GAP_FRAMES` of them are missing in a row and their
fill follows the joints still seen (:func:`synsp.missing.body_fill`), which is then measured likewise (a wrist lost for
3 s of a 1 m/s walk: 0.157 m off, as Butterworth, where the motion model drawn across the gap gave 0.73 m).  The forward filter (and every online form) cannot know that a
gap ends the track: it predicts with the model alone for the first
:data:`FREE_PREDICTION` seconds of a gap (the textbook filter, as before), then
holds the position it reached (velocity and acceleration set to 0; the
covariances stay the textbook ones, so a joint that comes back is taken up as
fast as before), as a causal fill holds a gap (the same 30 missing frames: a
1.76 m box against 13.5 m).  That hold is the one departure from the textbook
recursions above.

The prior of the first frame is centred on the first (filled) measurement with
zero velocity and acceleration, and is diffuse: standard deviations of 10^4
``measurement_noise`` for the position, per frame for the velocity and per
frame squared for the acceleration, so it has no practical influence.

Vectorisation: the model matrices are shared, and the covariances, gains and
smoother gains depend only on the measurement weights ``c[t]``, not on the
data.  They are computed once per distinct weight sequence (once in total
without confidence or missing joints) and the state update is applied to all
channels together as a matrix product; only the loop over frames remains.

Units.  ``process_noise`` ``q`` is in units/s^2 (cv) or units/s^3 (ca) and
``measurement_noise`` ``sigma`` in units.  The defaults suit root-relative
joints in metres at 30 fps with about 1 cm of jitter: ``sigma = 0.01`` and
``q = 30`` m/s^3 for the causal filter (on CMU mocap with 1 cm noise added it
halves the acceleration error at an unchanged MPJPE), ``q = 100`` m/s^3 for the
smoother (acceleration error -85 %, MPJPE -45 %).  Only the ratio
``q dt^k / sigma`` (``k = 2`` cv, ``3`` ca) sets the amount of smoothing, so
for other units scale both by the same factor: times 1000 for millimetres, and
for pixels by the person's height in pixels over 1.7 m (roughly).  At another
frame rate keep ``q`` (it is physical) and set ``fps``.  Larger ``q`` or
smaller ``sigma`` follow the measurements more closely; smaller ``q`` smooths
more, lags more (forward filter) and rounds off fast motion (smoother).  Both
noises lie in 1e-100 .. 1e100 (:data:`NOISE_RANGE`) and their ratio ``q dt^k /
sigma`` is at most 1e6 (:data:`MAX_NOISE_RATIO`: the filter then gives its
input back); else :class:`~synsp.validation.SynspInputError`.

``window`` is 1 for the causal filter; for the smoother, whose look-ahead is
the whole sequence (``delay`` :data:`~synsp.filters.base.WHOLE_SEQUENCE`), it is the number of frames
that determine the state (2 for cv, 3 for ca).  Both run on any ``T >= 1``.  Online
(:meth:`~synsp.filters.base.TemporalFilter.online`) the forward filter advances one update per frame
(zero delay, equal to the offline filter); the smoother has no online form with a bounded delay and
refuses, except ``causal=True``: its forward filter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..validation import SynspInputError
from .base import TemporalFilter, check_choice, check_positive
from .online import FilterOnline

__all__ = ["KalmanFilter", "KalmanOnline", "motion_model", "free_frames", "unmeasured_run", "NOISE_RANGE",
           "MAX_NOISE_RATIO", "END_FILL_WEIGHT", "FREE_PREDICTION"]

_DIFFUSE = 1e4  # prior standard deviation, in measurement-noise units per frame^k

NOISE_RANGE = (1e-100, 1e100)
"""The accepted ``process_noise`` and ``measurement_noise``: their squares, and the variances built from them
(the prior's, ``(1e4 sigma fps^2)^2``, up to 1e24 ``sigma^2``), stay positive finite float64 numbers (``q =
1e300`` overflowed, ``sigma = 1e-300`` squared to 0 and made the gain 0 / 0)."""

MAX_NOISE_RATIO = 1e6
"""The largest ``q dt^k / sigma`` (``k = 2`` cv, ``3`` ca), the ratio that sets the smoothing: at 1e6 the filter
already gives its input back to 1e-6 ``sigma`` (no smoothing left), and above 1e7 (ca) the smoother's predicted
covariances are singular in float64 (``numpy.linalg.LinAlgError``)."""


END_FILL_WEIGHT = 1.0
"""The smoother's measurement weight ``c`` of the filled entries before a channel's first and after its last
observation (module docstring, *Track ends*): the fill measured as an observation of confidence 1, so that the
smoother follows it as Butterworth does.  On CMU mocap with 1 cm noise and the last 30 or 300 of 400 frames
missing, from ``process_noise = 0.1`` (heavy smoothing) to 1e4, cv and ca, it stayed within 0.12 m of
Butterworth's output there; a weak weight, 0.01, strayed up to 1.4 m (the model's extrapolation outweighing it)."""

FREE_PREDICTION = 0.125
"""Seconds of a gap in a channel's measurements over which the forward filter predicts with its motion model
alone (rounded up to whole frames, :func:`free_frames`: 4 at 25 or 30 fps, 8 at 60); from the next frame on the
position holds.  Over CMU mocap clips of the corpus with 1 cm noise (``kalman``, frames after the last observed
one), the model alone was 0.24 m off 8 frames into a gap, 0.67 m after 15 and 2.2 m after 30; with the hold 0.15,
0.27 and 0.54 m (holding from the gap's first frame: 0.16, 0.30 and 0.57).  The textbook filter is kept on short
gaps, where it is not far off."""


def motion_model(model: str, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Transition ``F`` ``(n, n)`` and noise gain ``G`` ``(n,)`` of the ``cv`` or ``ca`` model."""
    if model == "cv":
        return np.array([[1.0, dt], [0.0, 1.0]]), np.array([dt**2 / 2, dt])
    F = np.array([[1.0, dt, dt**2 / 2], [0.0, 1.0, dt], [0.0, 0.0, 1.0]])
    return F, np.array([dt**3 / 6, dt**2 / 2, dt])


def free_frames(fps: float) -> int:
    """The frames ``H`` of a gap over which the forward filter predicts with its model alone
    (:data:`FREE_PREDICTION` seconds, rounded up): a joint whose ``k``-th frame in a row is unmeasured, ``k > H``,
    holds its position from then on (its velocity and acceleration set to 0)."""
    return math.ceil(FREE_PREDICTION * fps - 1e-9)


def unmeasured_run(weight: np.ndarray) -> np.ndarray:
    """``(T, ...)`` ints: the unmeasured frames (``weight == 0``) in a row ending at each frame (0 where measured)."""
    t = np.arange(len(weight)).reshape((-1,) + (1,) * (weight.ndim - 1))
    last = np.maximum.accumulate(np.where(weight > 0, t, -1), axis=0)
    return t - last


@dataclass(frozen=True, kw_only=True)
class KalmanFilter(TemporalFilter):
    """Per-channel kinematic Kalman filter, optionally with an RTS smoother.

    Args:
        model: ``"cv"`` (constant velocity, random acceleration) or ``"ca"``
            (constant acceleration, random jerk).
        process_noise: standard deviation ``q`` of the random acceleration
            (cv, units/s^2) or jerk (ca, units/s^3), from 1e-100 to 1e100
            (:data:`NOISE_RANGE`).
        measurement_noise: standard deviation ``sigma`` of the measurement
            error of a joint with confidence 1, in units, from 1e-100 to 1e100.
        smoother: False for the causal forward filter, True for the offline
            Rauch-Tung-Striebel smoother.
        min_confidence: see :class:`TemporalFilter`.
    """

    name: str = "kalman"
    model: str = "ca"
    process_noise: float = 30.0
    measurement_noise: float = 0.01
    smoother: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self.model, "model", ("cv", "ca"))
        for name in ("process_noise", "measurement_noise"):
            value = check_positive(getattr(self, name), name)
            if not NOISE_RANGE[0] <= value <= NOISE_RANGE[1]:
                raise SynspInputError(
                    f"{name} is {value!r}; expected a number from {NOISE_RANGE[0]:g} to {NOISE_RANGE[1]:g}: its "
                    "square is a variance, and the filter's variances (up to 1e24 times it at 10,000 fps) must "
                    "stay positive finite float64 numbers")
        if not isinstance(self.smoother, (bool, np.bool_)):
            raise SynspInputError(f"smoother is {self.smoother!r}; expected True or False")

    @property
    def causal(self) -> bool:  # type: ignore[override]
        return not self.smoother

    @property
    def window(self) -> int:
        if not self.smoother:
            return 1
        return 2 if self.model == "cv" else 3

    def _check_ratio(self, fps: float) -> None:
        """Refuse a ``q dt^k / sigma`` above :data:`MAX_NOISE_RATIO` at ``fps``."""
        ratio = self.process_noise / (self.measurement_noise * fps ** (2 if self.model == "cv" else 3))
        if ratio > MAX_NOISE_RATIO:
            raise SynspInputError(
                f"process_noise {self.process_noise:g} over measurement_noise {self.measurement_noise:g} at fps = "
                f"{fps:g} gives q dt^{2 if self.model == 'cv' else 3} / sigma = {ratio:.3g}; expected at most "
                f"{MAX_NOISE_RATIO:g}: above, the filter gives its input back (no smoothing left) and the smoother's "
                "covariances are singular in float64. Lower process_noise or raise measurement_noise")

    def _measurement_weight(self, weight: np.ndarray, missing: np.ndarray, refilled: np.ndarray) -> np.ndarray:
        """The smoother measures the fill of the entries missing before a channel's first and after its last
        observation, and the entries filled from the joints still seen (``refilled``, :func:`synsp.missing.body_fill`:
        a wrist lost for 3 s while the body walks on is not drawn straight across; a gap with no joint to follow, a
        lone point's, is left to the motion model), with weight :data:`END_FILL_WEIGHT` (module docstring, *Track
        ends*)."""
        if not self.smoother:
            return weight
        seen = ~missing
        ends = missing & ((np.cumsum(seen, axis=0) == 0) | (np.cumsum(seen[::-1], axis=0)[::-1] == 0))
        measured = ends | refilled
        return np.where(measured, END_FILL_WEIGHT, weight) if measured.any() else weight

    def _recursion(self, fps: float) -> KalmanOnline:
        """The forward filter, one update per frame: the causal filter's online form, and the smoother's
        zero-delay one (``online(causal=True)``: the smoother's estimate of the latest frame)."""
        return KalmanOnline(self, fps)

    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        self._check_ratio(fps)
        T, C = x.shape
        dt = 1.0 / fps
        F, G = motion_model(self.model, dt)
        n = F.shape[0]
        Q = self.process_noise**2 * np.outer(G, G)
        r = self.measurement_noise**2
        # channels with the same weight sequence share covariances and gains
        weights, group = np.unique(weight, axis=1, return_inverse=True)  # (T, K), (C,); K = n_groups
        group = group.reshape(-1)
        n_groups = weights.shape[1]

        prior_std = _DIFFUSE * self.measurement_noise * fps ** np.arange(n)
        P = np.broadcast_to(np.diag(prior_std**2), (n_groups, n, n)).copy()  # (K, n, n)
        s = np.zeros((C, n))
        s[:, 0] = x[0]
        s_filt = np.empty((T, C, n))
        s_pred = np.empty((T, C, n))
        P_filt = np.empty((T, n_groups, n, n))
        P_pred = np.empty((T, n_groups, n, n))
        # deep in a gap the forward filter holds the position (free_frames); the smoother does not (its gaps are
        # bridged by the frames after them, its track ends measure the fill)
        held = unmeasured_run(weights) > free_frames(fps) if not self.smoother else None  # (T, K)
        for t in range(T):
            if t > 0:
                s = s @ F.T  # (C, n)
                P = F @ P @ F.T + Q  # (K, n, n)
                if held is not None and held[t].any():
                    s[held[t][group], 1:] = 0.0
            s_pred[t], P_pred[t] = s, P
            # gain with R = r / w, written so that w = 0 (missing) gives a zero gain
            w = weights[t]  # (K,)
            gain = (w / (w * P[:, 0, 0] + r))[:, None] * P[:, :, 0]  # (K, n)
            s = s + gain[group] * (x[t] - s[:, 0])[:, None]
            P = P - gain[:, :, None] * P[:, None, 0, :]
            P = 0.5 * (P + P.transpose(0, 2, 1))
            s_filt[t], P_filt[t] = s, P
        if not self.smoother:
            return s_filt[:, :, 0]

        for t in range(T - 2, -1, -1):
            # A[t] = P[t|t] F^T P[t+1|t]^-1, via a solve with the symmetric P[t+1|t]
            A = np.linalg.solve(P_pred[t + 1], F @ P_filt[t]).transpose(0, 2, 1)  # (K, n, n)
            s = s_filt[t] + np.einsum("cij,cj->ci", A[group], s - s_pred[t + 1])
            s_filt[t] = s
        return s_filt[:, :, 0]


class KalmanOnline(FilterOnline):
    """The forward Kalman filter, one update per frame: zero delay (the online form of :class:`KalmanFilter`).

    A missing joint is not measured (its weight is 0, as offline); a confidence weights the measurement
    (``R = sigma^2 / c``).  Past :data:`FREE_PREDICTION` seconds of a joint's gap its position holds
    (:func:`free_frames`, as offline), so a joint lost for good does not drift away.  For the RTS smoother
    (``kalman-rts``) this is its zero-delay form: the smoother's estimate of the latest frame is the forward
    filter's (offline, the smoother measures a track end's fill instead).
    """

    def __init__(self, f: Any, fps: float):
        super().__init__(f, fps, 0)
        f._check_ratio(fps)
        self.F, G = motion_model(f.model, 1.0 / fps)
        self.free = free_frames(fps)
        self.Q = f.process_noise**2 * np.outer(G, G)
        self.r = f.measurement_noise**2
        n = self.F.shape[0]
        self.prior = np.diag((_DIFFUSE * f.measurement_noise * fps ** np.arange(n)) ** 2)

    def _push(self, st, x, missing, confidence, first):
        weight = np.broadcast_to((~missing).astype(np.float64)[:, None], x.shape)
        if confidence is not None:
            weight = weight * np.asarray(confidence, dtype=np.float64)[:, None]
        w = np.clip(np.nan_to_num(weight), 0.0, None).reshape(-1)  # (C,)
        z = x.reshape(-1)
        n = self.F.shape[0]
        st.run = np.where(w > 0, 0, 1 if first else st.run + 1)  # (C,) unmeasured frames in a row, as offline
        if first:
            st.s = np.zeros((z.size, n))
            st.s[:, 0] = z
            st.P = np.broadcast_to(self.prior, (z.size, n, n)).copy()
        else:
            st.s = st.s @ self.F.T
            st.P = self.F @ st.P @ self.F.T + self.Q
            st.s[st.run > self.free, 1:] = 0.0  # deep in a gap: the position held, as offline
        P = st.P
        gain = (w / (w * P[:, 0, 0] + self.r))[:, None] * P[:, :, 0]  # (C, n); w = 0: no update
        st.s = st.s + gain * (z - st.s[:, 0])[:, None]
        P = P - gain[:, :, None] * P[:, None, 0, :]
        st.P = 0.5 * (P + P.transpose(0, 2, 1))
        return [st.s[:, 0].reshape(x.shape)]

    def _first_seen(self, st, joints, frame):
        # the state restarts at the joint's first value, still: as offline, where the frames before hold that value
        # unmeasured (the covariance, which the values never change, is already offline's)
        cols = np.broadcast_to(joints[:, None], frame.shape).reshape(-1)
        st.s[cols] = 0.0
        st.s[cols, 0] = frame.reshape(-1)[cols]

