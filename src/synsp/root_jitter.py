"""Jitter of a body's global orientation alone, found and smoothed after a rotation network.

Per-frame body-model regressors (SPIN, VIBE, PARE, ...) often get the body's pose right and its global
orientation (SMPL joint 0) wobbling from frame to frame.  A window network that sees the other joints
correct learns to leave the body alone, so that wobble passes it (docs/results.md, "Rotations through the
universal weights").  A smoother on joint 0 alone removes it, but run on every input it also rounds off
real turns (2.6-4.2 mm added to clean motion).  So :func:`smooth_root_jitter` smooths the global
orientation only where it jitters clearly more than the rest of the body:

1. **How much a joint jitters** (:func:`jitter_level`): the rotation's third difference over time, as the
   standard deviation of white noise that would give it (``|d3 q|^2 = 20 s^2``; degrees, quaternion
   components being half-angles), its median over :data:`LEVEL_WINDOW_S` seconds around each frame.  Real
   motion has a third difference too (CMU mocap: 0.1-0.6 degrees at 30 fps, about 1 played 3x faster),
   so the level alone cannot tell a fast turn from jitter.
2. **Where to smooth** (:func:`root_gate`; a rotation network decides on its input): where joint 0's level
   is more than :data:`RATIO_THRESHOLD` times the median level of the other joints and above
   :data:`MIN_LEVEL_DEG`.  In real motion, fast or slow, the global orientation jerks no more than the limbs
   do.  On the validation split (34 clips) the per-clip median ratio of clean motion is at most 1.9 at 2x
   and 2.2 at 3x speed; at 1x at most 1.0 but for a dance clip whose body is nearly still (ratio 8, level
   at most 0.47 degrees: the floor keeps it out).  With the held-out ``rigid-shake`` error on the global
   orientation it is 1.5 to 89 (median 3.5 at 2.5 degrees, 9.6 at 7.5); with errors on every joint
   (spiky, overshoot, quantized, the training family) at most 1.8.  A gate rises from 0 at the
   threshold to 1 at ``1 + GATE_WIDTH`` times it.
3. **How much**: a Rauch-Tung-Striebel smoother with a constant-acceleration model
   (:class:`synsp.filters.kalman.KalmanFilter`) on the continuous quaternion, noise ratio
   :data:`SMOOTHING_RATIO` (about a 1.6 Hz low-pass; chosen on the validation split among 300 to 3,000 and
   a per-clip maximum-likelihood ratio, which smoothed the coloured jitter too little), blended with the
   given quaternion by the gate and renormalised.

Offline only: a smoother looks ahead, so causal networks and online use skip this stage.  Bodies of fewer
than 4 joints or 16 frames are returned as given.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .filters.kalman import KalmanFilter
from .geometry import axis_angle_to_quaternion, quaternion_to_axis_angle
from .timeseries import continuous_quaternions
from .validation import SynspInputError

__all__ = ["RATIO_THRESHOLD", "MIN_LEVEL_DEG", "GATE_WIDTH", "LEVEL_WINDOW_S", "SMOOTHING_RATIO", "jitter_level",
           "root_gate", "smooth_root_jitter"]

#: the global orientation is smoothed where its jitter is above this multiple of the body's joints' median
RATIO_THRESHOLD = 2.5
#: ... and above this many degrees (white-noise equivalent)
MIN_LEVEL_DEG = 0.6
#: the gate rises from 0 at the threshold to 1 at (1 + GATE_WIDTH) times it
GATE_WIDTH = 0.5
#: seconds over which :func:`jitter_level` takes its median
LEVEL_WINDOW_S = 2.0
#: the smoother's process-to-measurement noise ratio (1/s^3): about a 1.6 Hz low-pass (10 rad/s = its cube root)
SMOOTHING_RATIO = 1000.0
_MIN_FRAMES = 16
_MIN_JOINTS = 4
_SMOOTHER = KalmanFilter(model="ca", process_noise=SMOOTHING_RATIO * 0.01, measurement_noise=0.01, smoother=True)


def jitter_level(q: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame jitter in degrees of sign-continuous quaternion sequences ``q`` ``(T, ..., 4)`` (``T >= 4``;
    each sequence on its own): ``sqrt(median |d3 q|^2 / 20)`` over :data:`LEVEL_WINDOW_S` seconds, as an
    angle; ``(T, ...)``."""
    d3 = np.sum(np.diff(q, 3, axis=0) ** 2, axis=-1)  # (T - 3, ...): d3[i] spans frames i..i+3
    size = max(3, int(round(LEVEL_WINDOW_S * fps)) | 1)
    med = ndimage.median_filter(d3, size=(size,) + (1,) * (d3.ndim - 1), mode="reflect")
    level = np.degrees(2.0 * np.sqrt(med / 20.0))
    return np.concatenate([level[:1], level, level[-2:]])


def root_gate(rotvec: np.ndarray, fps: float, joint: int = 0) -> np.ndarray:
    """Per frame, how surely joint ``joint`` of ``rotvec`` ``(T, J, 3)`` (axis-angles, no NaN, ``T >= 4``)
    jitters on its own: 0 (not) to 1 (see the module docstring), ``(T,)``."""
    q = continuous_quaternions(axis_angle_to_quaternion(rotvec))  # (T, J, 4)
    levels = jitter_level(q, fps)  # (T, J)
    root = levels[:, joint]
    ratio = root / np.maximum(np.median(np.delete(levels, joint, axis=1), axis=1), 1e-9)
    return np.clip((ratio / RATIO_THRESHOLD - 1.0) / GATE_WIDTH, 0.0, 1.0) * (root > MIN_LEVEL_DEG)


def smooth_root_jitter(rotvec: np.ndarray, fps: float, joint: int = 0, gate_from: np.ndarray | None = None
                       ) -> np.ndarray:
    """``rotvec`` ``(T, J, 3)`` or ``(T, P, J, 3)`` (axis-angles, no NaN) with joint ``joint``'s jitter smoothed
    where it jitters more than the body (see the module docstring); a copy, the other joints and the
    stretches where it does not unchanged.  ``gate_from`` (same shape): where to smooth is decided on these
    rotations instead (a network's input, when ``rotvec`` is its output)."""
    x = np.array(rotvec, dtype=np.float64, copy=True)
    if x.ndim not in (3, 4) or x.shape[-1] != 3:
        raise SynspInputError(f"rotvec has shape {x.shape}; expected axis-angles (T, J, 3) or (T, P, J, 3)")
    if gate_from is not None and np.shape(gate_from) != x.shape:
        raise SynspInputError(f"gate_from has shape {np.shape(gate_from)}; expected rotvec's {x.shape}")
    if not np.isfinite(x).all() or (gate_from is not None and not np.isfinite(gate_from).all()):
        raise SynspInputError("rotvec (or gate_from) has NaN or inf rotations: fill them first "
                              "(synsp.data.rotation_windows.fill_rotations)")
    if x.shape[0] < _MIN_FRAMES or x.shape[-2] < _MIN_JOINTS:
        return x
    people = x[:, None] if x.ndim == 3 else x  # (T, P, J, 3)
    source = people if gate_from is None else (gate_from[:, None] if gate_from.ndim == 3 else gate_from)
    for p in range(people.shape[1]):
        gate = root_gate(source[:, p], fps, joint)
        if not gate.any():
            continue
        q0 = continuous_quaternions(axis_angle_to_quaternion(people[:, p, joint:joint + 1]))[:, 0]
        smooth = _SMOOTHER(q0.reshape(-1, 2, 2), fps=fps).reshape(q0.shape)
        blend = gate[:, None] * smooth + (1.0 - gate[:, None]) * q0
        norm = np.linalg.norm(blend, axis=-1, keepdims=True)
        ok = norm[:, 0] > 1e-6
        people[ok, p, joint] = quaternion_to_axis_angle(blend[ok] / norm[ok])
    return x
