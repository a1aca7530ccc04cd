"""Refining joint rotations (SMPL-style axis-angle) with the classical filters.

Body-model estimators (VIBE, PARE, SPIN, 4DHumans, ...) and AMASS give each joint's
*rotation*, as an axis-angle vector ``angle * unit_axis`` (SMPL's ``poses`` ``(T, 72)`` are 24
such vectors).  Rotations are not vectors: smoothing the axis-angle components directly goes
wrong where a rotation crosses ``pi`` (the vector jumps from ``+pi * a`` to ``-pi * a``, the
same rotation), and averaging rotation matrices leaves the rotation group.  So
:func:`refine_rotations`:

1. converts every joint's axis-angle to a unit quaternion ``(w, x, y, z)``
   (:func:`synsp.geometry.axis_angle_to_quaternion`);
2. makes the quaternions *sign-continuous* over time: ``q`` and ``-q`` are the same rotation,
   and each frame's quaternion is flipped to ``-q`` when its dot product with the previous
   (valid) frame's is negative, so the four components move continuously, also where the
   axis-angle wraps at ``pi``;
3. smooths the four components with a named synsp filter.  The filters take ``(T, J, D)``
   with ``D`` in (2, 3) and filter every coordinate channel on its own
   (:class:`synsp.filters.base.TemporalFilter` flattens to ``(T, C)`` channels), so the
   ``(T, J, 4)`` quaternions are passed as ``(T, 2J, 2)``: joint ``j``'s ``(w, x)`` is row
   ``2j`` and its ``(y, z)`` row ``2j + 1``.  This is exactly filtering the 4 channels;
   a per-joint confidence ``(T, J)`` is repeated to ``(T, 2J)``;
4. renormalises (projects each smoothed quaternion back onto the unit sphere) and converts
   back to axis-angle with the angle in ``[0, pi]`` (the standard vector, not one continuous
   with the input's: both describe the same rotation).

For the small frame-to-frame changes of human motion this is smoothing on the rotation group
to first order (normalised linear averaging of nearby quaternions).  Filter settings in
physical units keep their meaning for the dimensionless quaternion components: a change of
0.01 in a component is about 1.15 degrees of rotation (the Kalman filters' 0.01 m
measurement noise therefore reads as ~1 degree).

Network refiners (the shipped SynSP models) refine joint *positions*; until a rotation model
exists, asking for one here raises :class:`synsp.validation.SynspInputError` naming the
filters.

:func:`refine_smpl` refines SMPL parameters ``poses`` ``(T, 72)`` / ``(T, 24, 3)`` and the root
translation ``(T, 3)`` together (the translation as a 3D position).
:func:`refine_rotation_file` is what :func:`synsp.api.refine_pose_file` runs for a pose file
of rotations (format ``'smpl'`` or units ``'axis-angle'``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .filters import FILTERS, TemporalFilter, get_filter
from .geometry import (
    axis_angle_to_matrix,
    axis_angle_to_quaternion,
    matrix_to_axis_angle,
    quaternion_to_axis_angle,
)
from .validation import SynspInputError, check_poses, to_numpy

__all__ = [
    "DEFAULT_ROTATION_FILTER",
    "rotation_filter",
    "refine_rotations",
    "refine_smpl",
    "refine_rotation_file",
    "continuous_quaternions",
    "angular_acceleration",
]

#: the filter used when no model is named
DEFAULT_ROTATION_FILTER = "butterworth"


def rotation_filter(model: Any = None) -> TemporalFilter:
    """The synsp filter named ``model`` (a :class:`TemporalFilter` is returned as it is).

    Anything else (a shipped network name, a checkpoint path, an unknown name) raises
    :class:`SynspInputError`: rotation refinement uses the filters only.
    """
    if model is None:
        model = DEFAULT_ROTATION_FILTER
    if isinstance(model, TemporalFilter):
        return model
    key = str(model)
    if key in FILTERS:
        return get_filter(key)
    raise SynspInputError(
        f"model {key!r} cannot refine rotations: rotation refinement (SMPL / axis-angle body-model "
        f"files) uses the classical filters ({', '.join(sorted(FILTERS))}); the shipped SynSP networks "
        "are trained on joint positions, not rotations, and there is no rotation model yet. "
        f"Pass model={DEFAULT_ROTATION_FILTER!r} (the default) or another filter name")


def continuous_quaternions(q: Any) -> np.ndarray:
    """``(T, J, 4)`` quaternions with signs chosen so that consecutive valid frames of each joint
    have a non-negative dot product (NaN frames are skipped and stay NaN)."""
    q = np.array(q, dtype=np.float64)
    T = q.shape[0]
    valid = np.isfinite(q).all(-1)  # (T, J)
    idx = np.where(valid, np.arange(T)[:, None], -1)
    last = np.maximum.accumulate(idx, axis=0)  # last valid frame <= t
    prev = np.concatenate([np.full((1,) + last.shape[1:], -1), last[:-1]], axis=0)  # last valid frame < t
    has_prev = valid & (prev >= 0)
    ref = np.take_along_axis(q, np.clip(prev, 0, None)[..., None], axis=0)
    dot = np.einsum("tjk,tjk->tj", np.where(has_prev[..., None], q, 0.0), np.where(has_prev[..., None], ref, 0.0))
    step = np.where(dot < 0, -1.0, 1.0)  # flip relative to the previous valid frame (as read)
    sign = np.cumprod(step, axis=0)
    return q * sign[..., None]


def refine_rotations(rotvec: Any, model: Any = DEFAULT_ROTATION_FILTER, fps: float | None = 30,
                     confidence: Any = None) -> np.ndarray:
    """Smooth joint rotations ``(T, J, 3)`` (axis-angle, radians) over time; returns ``(T, J, 3)``.

    ``model``: a synsp filter name (``'butterworth'``, ``'savgol'``, ``'one-euro'``,
    ``'gaussian'``, ``'kalman'``, ``'kalman-rts'``, ...) or a filter object.  ``fps`` for the
    filters with parameters in Hz or seconds.  ``confidence`` ``(T, J)``: joints below the
    filter's ``min_confidence`` are treated as missing, like NaN joints; missing joints come
    back filled (interpolated on the quaternion sphere, then smoothed).  See the module
    docstring for the method.
    """
    x = check_poses(rotvec, "rotvec", ndims=(3,), dims=(3,), allow_nan=True)
    filt = rotation_filter(model)
    T, J, _ = x.shape
    missing = np.isnan(x).any(-1)
    q = axis_angle_to_quaternion(np.where(missing[..., None], 0.0, x))
    q[missing] = np.nan
    q = continuous_quaternions(q)
    conf = None
    if confidence is not None:
        conf = to_numpy(confidence)
        if conf.shape != (T, J):
            raise SynspInputError(f"confidence has shape {conf.shape}; expected {(T, J)}, one score per "
                                  f"joint of rotvec with shape {x.shape}")
        conf = np.repeat(conf, 2, axis=1)
    smooth = filt(q.reshape(T, 2 * J, 2), fps=fps, confidence=conf).reshape(T, J, 4)
    norm = np.linalg.norm(smooth, axis=-1, keepdims=True)
    # a smoothed quaternion near 0 would mean opposite rotations averaged: keep the frame's own
    bad = ~(norm[..., 0] > 1e-6)
    if bad.any():
        keep = np.where(np.isnan(q), smooth, q)
        smooth = np.where(bad[..., None], keep, smooth)
        norm = np.linalg.norm(smooth, axis=-1, keepdims=True)
    return np.ascontiguousarray(quaternion_to_axis_angle(smooth / norm), dtype=np.float64)


def refine_smpl(poses: Any, trans: Any = None, model: Any = DEFAULT_ROTATION_FILTER,
                fps: float | None = 30, confidence: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Refine SMPL parameters: ``poses`` ``(T, 72)`` (or any ``(T, 3K)``) or ``(T, 24, 3)``
    axis-angle, and the root translation ``trans`` ``(T, 3)`` or None.

    The rotations go through :func:`refine_rotations`, the translation through the same filter
    as a 3D position (a ``(T, 1, 3)`` array).  Returns ``(poses, trans)`` in the input shapes
    (``trans`` None when None was given).
    """
    p = to_numpy(poses)
    if p.ndim == 2 and p.shape[1] % 3 == 0 and p.shape[1] > 0:
        rot = p.reshape(p.shape[0], -1, 3)
    elif p.ndim == 3 and p.shape[2] == 3:
        rot = p
    else:
        raise SynspInputError(f"poses has shape {p.shape}; expected (T, 72) (or any (T, 3K)) or (T, 24, 3) "
                              "axis-angle rotations")
    filt = rotation_filter(model)
    out = refine_rotations(rot, filt, fps=fps, confidence=confidence).reshape(p.shape)
    if trans is None:
        return out, None
    t = to_numpy(trans)
    if t.shape != (p.shape[0], 3):
        raise SynspInputError(f"trans has shape {t.shape}; expected {(p.shape[0], 3)} (one root translation "
                              "per frame of poses)")
    t_out = filt(check_poses(t[:, None, :], "trans", dims=(3,), allow_nan=True), fps=fps)[:, 0]
    return out, t_out


def angular_acceleration(rotvec: Any) -> np.ndarray:
    """Angular acceleration ``(T - 2, J)`` in degrees / frame^2 of axis-angle rotations ``(T, J, 3)``.

    With the angular velocity ``w_t = log(R_{t+1} R_t^T)`` (a rotation vector in the parent
    frame), the acceleration is ``|w_{t+1} - w_t|``; NaN where a frame involved is NaN.
    """
    x = check_poses(rotvec, "rotvec", ndims=(3,), dims=(3,), allow_nan=True)
    if len(x) < 3:
        return np.zeros((0, x.shape[1]))
    R = axis_angle_to_matrix(np.nan_to_num(x))
    w = matrix_to_axis_angle(R[1:] @ np.swapaxes(R[:-1], -1, -2))  # (T-1, J, 3)
    acc = np.degrees(np.linalg.norm(np.diff(w, axis=0), axis=-1))
    bad = np.isnan(x).any(-1)
    acc[bad[:-2] | bad[1:-1] | bad[2:]] = np.nan
    return acc


def _mean_angular_accel(x: np.ndarray) -> float:
    a = angular_acceleration(x)
    return float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")


def refine_rotation_file(pose_file, model: Any = None, fps: float | None = None, max_gap: int | None = None):
    """:func:`synsp.api.refine_pose_file` for a pose file of rotations; returns ``(refined, summary)``.

    Every track's keypoints are axis-angle rotations ``(n, J, 3)``; the root translation, when
    the reader found one, is ``pose_file.meta['translation'][track_id]`` ``(n, 3)`` and is
    refined with the same filter as a 3D position (the refined file carries the new values
    there).  Tracks are cut where more than ``max_gap`` frames are absent (default half a
    second at the file's fps, 15 frames when unknown); shorter gaps are filled.  Parts shorter
    than the filter's window are left as they are (``summary['unrefined_tracks']``).

    ``summary``: the keys of :func:`synsp.api.refine_pose_file`; ``accel_before`` /
    ``accel_after`` are the mean angular acceleration in degrees / frame^2
    (:func:`angular_acceleration`), ``filled`` counts missing or low-confidence joints,
    ``unseen`` the joints never valid in a whole part (left as they were).
    """
    if not pose_file.tracks:
        raise SynspInputError(f"{pose_file.source or 'pose file'}: no person (no valid rotation) in any frame; "
                              "nothing to refine")
    if pose_file.dims != 3:
        raise SynspInputError(f"{pose_file.source or 'pose file'}: rotations must be axis-angle vectors "
                              f"(D = 3); found D = {pose_file.dims}")
    filt = rotation_filter(model)
    fps = fps or pose_file.fps
    window = int(filt.window)
    gap = pose_file.max_gap(fps, max_gap)
    trans_in = pose_file.meta.get("translation") or {}
    new_rot, new_trans, unrefined, filled_total, unseen, before, after = {}, {}, [], 0, 0, [], []
    for track in pose_file.tracks:
        rot = track.keypoints.copy()
        tr = trans_in.get(track.track_id)
        tr_out = None if tr is None else np.array(tr, dtype=np.float64, copy=True)
        for a, b in track.split(gap):
            at = track.frames[a:b] - track.frames[a]
            kp, conf = track.dense(a, b)
            valid = ~np.isnan(kp).any(-1)
            if conf is not None:
                valid &= conf >= filt.min_confidence
            if len(kp) < window or not valid.any():
                unrefined.append(track.track_id)
                continue
            seen = valid.any(axis=0)  # a joint never valid in the part is left as it was
            unseen += int((~seen).sum())
            ref = kp.copy()
            ref[:, seen] = refine_rotations(kp[:, seen], filt, fps=fps,
                                            confidence=None if conf is None else conf[:, seen])
            rot[a:b] = ref[at]
            filled_total += int((~valid[:, seen])[at].sum())
            before.append(_mean_angular_accel(kp))
            after.append(_mean_angular_accel(np.where(np.isnan(kp), np.nan, ref)))
            if tr_out is not None and np.isfinite(tr_out[a:b]).all(-1).any():
                t3 = np.full((len(kp), 1, 3), np.nan)
                t3[at, 0] = tr_out[a:b]
                tr_out[a:b] = filt(t3, fps=fps)[at, 0]
        new_rot[track.track_id] = rot
        if tr_out is not None:
            new_trans[track.track_id] = tr_out
    if not before:
        raise SynspInputError(
            f"{pose_file.source or 'pose file'}: every track is shorter than the {window}-frame window of "
            f"{filt.name} (or has no valid rotation); nothing to refine. Pass a shorter-window filter "
            "(e.g. model='one-euro') or a longer recording")
    refined = pose_file.with_keypoints(new_rot)
    if trans_in:
        meta = dict(pose_file.meta)
        meta["translation"] = {**trans_in, **new_trans}
        refined = dataclasses.replace(refined, meta=meta)
    summary = dict(frames=pose_file.num_frames, persons=len(pose_file.tracks), filled=filled_total, unseen=unseen,
                   accel_before=float(np.nanmean(before)), accel_after=float(np.nanmean(after)),
                   model=str(filt.name), unrefined_tracks=sorted(set(unrefined), key=str))
    return refined, summary
