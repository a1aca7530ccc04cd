"""A body's orientation jittering on its own, found and smoothed after a network: SMPL's global orientation
after a rotation network, and a body of points turning jerkily as a whole after the universal models.

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
   given quaternion by the gate and renormalised; no frame is turned by more than
   :data:`ROOT_CORRECTION_CAP` times the joint's jitter level (on quick real turns the smoother lags; a
   network's input faster than its rate is judged as the network saw it, low-passed: ``gate_from_fps``).

Offline only: a smoother looks ahead, so causal networks and online use skip this stage.  Bodies of fewer
than 4 joints or 16 frames are returned as given.

**A body of points turning as a whole** (:func:`smooth_rigid_jitter`, after the universal models on 2D and
3D joints): the same three steps on the body's rotation as a whole (:func:`body_rotation`: Kabsch between
consecutive frames, accumulated; in 3D re-weighted so that the torso, not a swinging leg, sets it), its
level as a length (times the body's RMS radius) against the median joint's in the body's own frame
(:func:`rigid_gate`, the same thresholds), smoothed with :data:`RIGID_SMOOTHING_RATIO`; tracks shorter than
:data:`LEVEL_WINDOW_S` are left alone.  Two limits keep it from harming fast real turns: the rotation is
smoothed on each side of a cut (a turn faster than :data:`MAX_TURN_DEG_S`, such as a rest pose in front of a
take), and no frame is turned by more than :data:`CORRECTION_CAP` times the input rotation's jitter level
(on a 57-joint dance rig the uncapped smoother followed quick real turns and added 0.56 mm where a 1 %
shake was to be removed).  Chosen on the validation split (docs/results.md, *Robustness*).
"""

from __future__ import annotations

import numpy as np

from .filters.kalman import KalmanFilter
from .geometry import axis_angle_to_quaternion, matrix_to_quaternion, quaternion_to_axis_angle, quaternion_to_matrix
from .noise_floor import running_level
from .timeseries import continuous_quaternions, resample_time
from .validation import SynspInputError

__all__ = ["RATIO_THRESHOLD", "MIN_LEVEL_DEG", "GATE_WIDTH", "LEVEL_WINDOW_S", "SMOOTHING_RATIO",
           "RIGID_SMOOTHING_RATIO", "CORRECTION_CAP", "ROOT_CORRECTION_CAP", "MAX_TURN_DEG_S", "jitter_level",
           "root_gate", "smooth_root_jitter", "body_rotation", "rigid_gate", "smooth_rigid_jitter"]

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
_REWEIGHTINGS = 2
#: the same for a body of points turning as a whole (:func:`smooth_rigid_jitter`): about a 2.3 Hz low-pass
RIGID_SMOOTHING_RATIO = 3000.0
_SMOOTHER = KalmanFilter(model="ca", process_noise=SMOOTHING_RATIO * 0.01, measurement_noise=0.01, smoother=True)
#: the global orientation is turned by at most this multiple of its jitter level per frame (as
#: :data:`CORRECTION_CAP` for a body of points)
ROOT_CORRECTION_CAP = 2.0
#: each frame's turn by the smoothed rotation is at most this multiple of the input rotation's jitter level
#: (the white-noise standard deviation :func:`rigid_gate` measures): jitter is corrected, a real turn the
#: smoother rounds off is not followed further
CORRECTION_CAP = 1.5
#: a body turning faster than this (degrees per second) between two frames is a cut, not motion: the rotation
#: is smoothed on each side separately
MAX_TURN_DEG_S = 1500.0
_RIGID_SMOOTHER = KalmanFilter(model="ca", process_noise=RIGID_SMOOTHING_RATIO * 0.01, measurement_noise=0.01,
                               smoother=True)


def _level(series: np.ndarray, fps: float) -> np.ndarray:
    """:func:`synsp.noise_floor.running_level` over :data:`LEVEL_WINDOW_S` seconds."""
    return running_level(series, fps, LEVEL_WINDOW_S)


def jitter_level(q: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame jitter in degrees of sign-continuous quaternion sequences ``q`` ``(T, ..., 4)`` (``T >= 4``;
    each sequence on its own): ``sqrt(median |d3 q|^2 / 20)`` over :data:`LEVEL_WINDOW_S` seconds, as an
    angle; ``(T, ...)``."""
    return np.degrees(2.0 * _level(q, fps))


#: joints whose quaternions (or turned positions) are made at a time (bounded memory on long sequences of
#: many joints)
_JOINTS_AT_ONCE = 8
#: frames whose residuals :func:`body_rotation` makes at a time
_FRAMES_AT_ONCE = 4096


def root_gate(rotvec: np.ndarray, fps: float, joint: int = 0) -> np.ndarray:
    """Per frame, how surely joint ``joint`` of ``rotvec`` ``(T, J, 3)`` (axis-angles, no NaN, ``T >= 4``)
    jitters on its own: 0 (not) to 1 (see the module docstring), ``(T,)``."""
    return _root_gate_and_level(rotvec, fps, joint)[0]


def _root_gate_and_level(rotvec: np.ndarray, fps: float, joint: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`root_gate` and the joint's jitter level it is made from (degrees, ``(T,)``)."""
    levels = np.empty(rotvec.shape[:2])  # (T, J), a few joints at a time: each is a sequence of its own
    for a in range(0, rotvec.shape[1], _JOINTS_AT_ONCE):
        levels[:, a:a + _JOINTS_AT_ONCE] = jitter_level(
            continuous_quaternions(axis_angle_to_quaternion(rotvec[:, a:a + _JOINTS_AT_ONCE])), fps)
    root = levels[:, joint]
    ratio = root / np.maximum(np.median(np.delete(levels, joint, axis=1), axis=1), 1e-9)
    return np.clip((ratio / RATIO_THRESHOLD - 1.0) / GATE_WIDTH, 0.0, 1.0) * (root > MIN_LEVEL_DEG), root


def _checked(values: np.ndarray, gate_from: np.ndarray | None, name: str, dims: tuple[int, ...], expected: str,
             what: str, fill: str, copy: bool = True) -> np.ndarray:
    """``values`` as a float64 copy (``copy=False``: itself when it is a float64 array), or
    :class:`SynspInputError` naming what is wrong: a shape other than ``(T, J, D)`` / ``(T, P, J, D)`` with
    ``D`` in ``dims``, a ``gate_from`` of another shape, NaN or inf."""
    x = np.array(values, dtype=np.float64) if copy else np.asarray(values, dtype=np.float64)
    if x.ndim not in (3, 4) or x.shape[-1] not in dims:
        raise SynspInputError(f"{name} has shape {x.shape}; expected {expected}")
    if gate_from is not None and np.shape(gate_from) != x.shape:
        raise SynspInputError(f"gate_from has shape {np.shape(gate_from)}; expected {name}'s {x.shape}")
    if not np.isfinite(x).all() or (gate_from is not None and not np.isfinite(gate_from).all()):
        raise SynspInputError(f"{name} (or gate_from) has NaN or inf {what}: fill them first ({fill})")
    return x


def smooth_root_jitter(rotvec: np.ndarray, fps: float, joint: int = 0, gate_from: np.ndarray | None = None,
                       gate_from_fps: float | None = None, cap: float = ROOT_CORRECTION_CAP,
                       max_turn_deg_s: float = MAX_TURN_DEG_S, copy: bool = True) -> np.ndarray:
    """``rotvec`` ``(T, J, 3)`` or ``(T, P, J, 3)`` (axis-angles, no NaN) with joint ``joint``'s jitter smoothed
    where it jitters more than the body (see the module docstring), on each side of a cut (the joint turning
    faster than ``max_turn_deg_s``), each frame turned by at most ``cap`` times the joint's jitter level
    (``inf``, ``inf``: the stage before 2026-12-06); a copy, the other joints and the
    stretches where it does not unchanged.  ``gate_from`` (same shape): where to smooth, and the level, are
    decided on these rotations instead (a network's input, when ``rotvec`` is its output); with
    ``gate_from_fps`` they are at that rate (any length spanning the same time, e.g. the input as a network
    at another rate saw it) and the gate and level are brought to ``rotvec``'s frames.  ``copy=False``: ``rotvec``
    itself is changed and returned when it is a float64 array (an hour of a body is not copied)."""
    other_rate = gate_from is not None and gate_from_fps is not None
    x = _checked(rotvec, None if other_rate else gate_from, "rotvec", (3,), "axis-angles (T, J, 3) or (T, P, J, 3)",
                 "rotations", "synsp.data.rotation_windows.fill_rotations", copy=copy)
    if x.shape[0] < _MIN_FRAMES or x.shape[-2] < _MIN_JOINTS:
        return x
    people = x[:, None] if x.ndim == 3 else x  # (T, P, J, 3)
    source = people if gate_from is None else (gate_from[:, None] if gate_from.ndim == 3 else gate_from)
    if other_rate and (source.shape[1:] != people.shape[1:] or source.shape[0] < 4
                       or not np.isfinite(source).all()):
        raise SynspInputError(f"gate_from has shape {np.shape(gate_from)}; expected rotvec's people and joints "
                              f"{x.shape[1:]}, at least 4 frames, finite")
    for p in range(people.shape[1]):
        gate, level = _root_gate_and_level(source[:, p], gate_from_fps if other_rate else fps, joint)
        if other_rate:
            gate, level = np.clip(resample_time(gate, x.shape[0]), 0.0, 1.0), resample_time(level, x.shape[0])
        if not gate.any():
            continue
        q0 = continuous_quaternions(axis_angle_to_quaternion(people[:, p, joint:joint + 1]))[:, 0]
        smooth = _smooth_pieces(q0, fps, max_turn_deg_s,
                                lambda y: _SMOOTHER(y.reshape(-1, 2, 2), fps=fps).reshape(y.shape))
        blend = gate[:, None] * smooth + (1.0 - gate[:, None]) * q0
        norm = np.linalg.norm(blend, axis=-1, keepdims=True)
        ok = norm[:, 0] > 1e-6
        R0 = quaternion_to_matrix(q0[ok])
        turn = _capped_turn(quaternion_to_matrix(blend[ok] / norm[ok]), R0, cap * np.radians(level[ok]))
        people[ok, p, joint] = quaternion_to_axis_angle(matrix_to_quaternion(np.einsum("tab,tbc->tac", turn, R0)))
    return x


def _capped_turn(target: np.ndarray, R: np.ndarray, most: np.ndarray) -> np.ndarray:
    """``(T, 3, 3)``: the turn from rotations ``R`` to ``target`` (both ``(T, 3, 3)``), ``target R^T``, shortened
    to at most ``most`` ``(T,)`` radians per frame (the caps of :func:`smooth_root_jitter` and
    :func:`smooth_rigid_jitter`)."""
    turn = quaternion_to_axis_angle(matrix_to_quaternion(np.einsum("tab,tcb->tac", target, R)))
    angle = np.linalg.norm(turn, axis=-1)
    turn *= (np.minimum(angle, most) / np.maximum(angle, 1e-12))[:, None]
    return quaternion_to_matrix(axis_angle_to_quaternion(turn))


def body_rotation(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How a body of points ``(T, J, D)`` (``D`` 2 or 3, no NaN) turns as a whole: each frame's rotation
    from the first, accumulated from the best rotation (Kabsch) between consecutive frames centred on their
    mean, so a body that turns round stays well defined.  In 3D the fit is weighted, twice re-weighted
    by how far each joint moves within the body (``1 / (1 + (m_j / median m)^2)``, ``m_j`` its median
    residual): otherwise the legs' scissor swing reads as a turn about the hips.  Returns the rotations
    (3D: ``(T, 3, 3)`` matrices; 2D: ``(T,)`` angles in radians, unwrapped) and the centred points
    ``(T, J, D)``."""
    R, centre = _body_rotation(points)
    return R, points - centre


def _body_rotation(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`body_rotation`'s rotations and the centroids ``(T, 1, D)`` instead of the centred points, which
    are made a block of frames at a time (bounded memory: an hour of a body is not copied)."""
    centre = points.mean(axis=1, keepdims=True)
    T = points.shape[0]
    blocks = [slice(f, min(f + _FRAMES_AT_ONCE, T - 1)) for f in range(0, T - 1, _FRAMES_AT_ONCE)]

    def pair(block: slice) -> tuple[np.ndarray, np.ndarray]:  # frames t and t + 1 of the block, centred
        return (points[block] - centre[block],
                points[block.start + 1:block.stop + 1] - centre[block.start + 1:block.stop + 1])

    if points.shape[-1] == 2:
        turn = np.empty(T - 1)
        for block in blocks:
            a, b = pair(block)
            cross = np.sum(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0], axis=1)
            turn[block] = np.arctan2(cross, np.sum(a * b, axis=(1, 2)))
        return np.concatenate([[0.0], np.cumsum(turn)]), centre
    weight = np.ones(points.shape[1])
    H = np.empty((T - 1, 3, 3))
    residual = np.empty((T - 1, points.shape[1]))
    for _ in range(1 + _REWEIGHTINGS):
        # H = sum w a b^T = U S Vt; R = V diag(1, 1, d) U^T maps frame t's centred points onto t + 1's
        for block in blocks:
            H[block] = np.einsum("j,tja,tjb->tab", weight, *pair(block))
        U, _, Vt = np.linalg.svd(H)
        d = np.sign(np.linalg.det(np.einsum("tab,tbc->tac", U, Vt)))
        Vt[:, 2] *= np.where(d == 0, 1.0, d)[:, None]
        step = np.einsum("tba,tcb->tac", Vt, U)
        # joints that move within the body (a swinging leg) weigh less, so the torso sets the rotation
        for block in blocks:
            a, b = pair(block)
            residual[block] = np.linalg.norm(np.einsum("tab,tjb->tja", step[block], a) - b, axis=-1)
        moved = np.median(residual, axis=0)  # (J,)
        weight = 1.0 / (1.0 + (moved / max(float(np.median(moved)), 1e-12)) ** 2)
    R = np.empty((T, 3, 3))
    R[0] = np.eye(3)
    for t in range(1, T):
        R[t] = step[t - 1] @ R[t - 1]
    return R, centre


def _rotate(c: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """Centred points ``(T, J, D)`` turned by per-frame rotations (3D matrices, 2D angles)."""
    if c.shape[-1] == 2:
        co, si = np.cos(rotation)[:, None], np.sin(rotation)[:, None]
        return np.stack([co * c[..., 0] - si * c[..., 1], si * c[..., 0] + co * c[..., 1]], axis=-1)
    return np.einsum("tab,tjb->tja", rotation, c)


def rigid_gate(points: np.ndarray, fps: float) -> np.ndarray:
    """Per frame, how surely a body of points ``(T, J, D)`` (no NaN, ``T >= 4``) jitters as a whole: its
    rotation's jitter level (:func:`body_rotation`; as a length: times the body's RMS radius) over the
    median level of its joints in the body's own frame, through the same gate as :func:`root_gate`."""
    return _rigid_gate_and_level(points, fps)[0]


def _rigid_gate_and_level(points: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rigid_gate` and the rotation's jitter level it is made from (radians, ``(T,)``)."""
    R, centre = _body_rotation(points)
    if points.shape[-1] == 2:
        angle, back = _level(R[:, None], fps), -R
    else:
        q = continuous_quaternions(matrix_to_quaternion(R)[:, None])[:, 0]
        angle, back = 2.0 * _level(q, fps), np.swapaxes(R, 1, 2)
    # each joint's level in the body's own frame, and the body's RMS radius, a few joints at a time
    levels, squares = np.empty(points.shape[:2]), 0.0
    for j in range(0, points.shape[1], _JOINTS_AT_ONCE):
        c = points[:, j:j + _JOINTS_AT_ONCE] - centre
        squares += float(np.einsum("tjd,tjd->", c, c))
        levels[:, j:j + _JOINTS_AT_ONCE] = _level(_rotate(c, back), fps)
    radius = float(np.sqrt(squares / (points.shape[0] * points.shape[1])))
    ratio = angle * radius / np.maximum(np.median(levels, axis=1), 1e-12)
    gate = np.clip((ratio / RATIO_THRESHOLD - 1.0) / GATE_WIDTH, 0.0, 1.0) * (np.degrees(angle) > MIN_LEVEL_DEG)
    return gate, angle


def smooth_rigid_jitter(positions: np.ndarray, fps: float, gate_from: np.ndarray | None = None,
                        cap: float = CORRECTION_CAP, max_turn_deg_s: float = MAX_TURN_DEG_S,
                        copy: bool = True) -> np.ndarray:
    """``positions`` ``(T, J, D)`` or ``(T, P, J, D)`` (``D`` 2 or 3, no NaN) with each body's rotation as a
    whole smoothed where it jitters more than the body's shape (:func:`rigid_gate`; ``gate_from``, same
    shape: decided on these instead, a network's input): the rotation's track is smoothed like the global
    orientation in :func:`smooth_root_jitter`, on each side of a cut (a turn faster than ``max_turn_deg_s``),
    and each frame turned about the body's centroid by the difference, blended by the gate and at most ``cap``
    times the input rotation's jitter level (``inf``, ``inf``: the stage before 2026-12-06).  A copy; bodies
    of fewer than 4 points, and tracks shorter than :data:`LEVEL_WINDOW_S` (the level's median needs that many
    frames), come back as given.  ``copy=False``: a float64 array ``positions`` is changed in place and
    returned (a refiner's own output: an hour of a body is not copied)."""
    x = _checked(positions, gate_from, "positions", (2, 3), "(T, J, D) or (T, P, J, D) with D 2 or 3",
                 "coordinates", "synsp.missing.interpolate_missing", copy=copy)
    if x.shape[0] < max(_MIN_FRAMES, LEVEL_WINDOW_S * fps) or x.shape[-2] < _MIN_JOINTS:
        return x
    people = x[:, None] if x.ndim == 3 else x  # (T, P, J, D)
    source = people if gate_from is None else (gate_from[:, None] if gate_from.ndim == 3 else gate_from)
    for p in range(people.shape[1]):
        gate, level = _rigid_gate_and_level(source[:, p], fps)
        if not gate.any():
            continue
        R, centre = _body_rotation(people[:, p])
        if people.shape[-1] == 2:
            track = R[:, None]  # (T, 1): the angle
            smooth = _smooth_pieces(track, fps, max_turn_deg_s,  # the angle as a point (its x) of 2 coordinates
                                    lambda y: _RIGID_SMOOTHER(np.repeat(y[:, None], 2, axis=2), fps=fps)[:, 0, :1])
            step = gate * np.clip(smooth[:, 0] - R, -cap * level, cap * level)
            for j in range(0, people.shape[2], _JOINTS_AT_ONCE):  # in place, a few joints at a time
                body = people[:, p, j:j + _JOINTS_AT_ONCE]
                body[:] = _rotate(body - centre, step) + centre
            continue
        q = continuous_quaternions(matrix_to_quaternion(R)[:, None])[:, 0]
        smooth = _smooth_pieces(q, fps, max_turn_deg_s,
                                lambda y: _RIGID_SMOOTHER(y.reshape(-1, 2, 2), fps=fps).reshape(y.shape))
        blend = gate[:, None] * smooth + (1.0 - gate[:, None]) * q
        blend /= np.maximum(np.linalg.norm(blend, axis=-1, keepdims=True), 1e-12)
        # at most cap times the input's jitter (radians, as the gate measured it)
        turn = _capped_turn(quaternion_to_matrix(blend), R, cap * level)
        for j in range(0, people.shape[2], _JOINTS_AT_ONCE):  # in place, a few joints at a time
            body = people[:, p, j:j + _JOINTS_AT_ONCE]
            body[:] = _rotate(body - centre, turn) + centre
    return x


def _smooth_pieces(track: np.ndarray, fps: float, max_turn_deg_s: float, smoother) -> np.ndarray:
    """``smoother`` over each piece of ``track`` ``(T, C)`` (a body's rotation: an angle, or a continuous
    quaternion) between cuts: frames where the body turns faster than ``max_turn_deg_s`` (a rest pose at the
    start of a mocap file, a cut in the video), which a smoother would spread over its neighbours.  Pieces
    shorter than the smoother needs come back as given."""
    step = np.linalg.norm(np.diff(track, axis=0), axis=-1) * (2.0 if track.shape[-1] == 4 else 1.0)  # radians
    cuts = np.flatnonzero(step > np.radians(max_turn_deg_s) / fps) + 1
    out = track.copy()
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(track)]):
        if b - a >= _MIN_FRAMES:
            out[a:b] = smoother(track[a:b])
    return out
