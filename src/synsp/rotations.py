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

A rotation *network* (a model card with ``normalization`` :data:`synsp.normalization.ROTATIONS_6D`,
e.g. the shipped ``synsp-smpl24-rot-w8``) refines all joints of a body at once instead:
:class:`RotationNetwork` turns the axis-angles into 6D vectors (the first two columns of each
rotation matrix, continuous where the axis-angle wraps), fills and resamples them in time, runs
SynSP on 8-frame windows with the root orientation expressed relative to the window's mean, merges
the windows (SWAA) and projects the result back onto rotations (Gram-Schmidt).  The universal model
trained with rotations (:data:`DEFAULT_ROTATION_MODEL`, any joint count; its 6D columns are tokens like
points, 16-frame windows) is wrapped the same way: the default for SMPL's 24 joints and other counts.  A network for
joint *positions* named here raises :class:`synsp.validation.SynspInputError`.

The metrics of rotations (:func:`synsp.metrics.rotation_metrics`,
:func:`synsp.metrics.angular_acceleration`) live in :mod:`synsp.metrics`; the fronts
over this module, :func:`synsp.api.refine_smpl` (SMPL ``poses`` and root translation together) and
:func:`synsp.api.refine_rotation_file` (what :func:`synsp.api.refine_pose_file` runs for a pose file of
rotations), live in :mod:`synsp.api`.  :func:`translation_filter` is the filter they run on the root
translation beside a rotation refiner.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .data.rotation_windows import fill_rotations
from .filters import FILTERS, TemporalFilter, get_filter
from .geometry import axis_angle_to_quaternion, axis_angle_to_rot6d, quaternion_to_axis_angle, rot6d_to_axis_angle
from .io.smpl import KNOWN_JOINTS
from .missing import missing_from_confidence
from .normalization import ROTATIONS_6D
from .refiners import (NetworkRefiner, get_refiner, min_frames_of, named_checkpoint, register_wrapper, shipped_models,
                       shipped_path)
from .root_jitter import ROOT_CORRECTION_CAP, smooth_root_jitter
# SMPL24_OFFSETS, smpl24_joints re-exported: the neutral body lives with the skeletons
from .skeletons import SMPL24_OFFSETS, get_skeleton, smpl24_joints
from .timeseries import Converted, continuous_quaternions, per_chunk, to_lower_rate_in_pieces
from .validation import SynspInputError, check_fps, check_poses, check_refined, check_resampled_length, to_numpy

__all__ = [
    "DEFAULT_ROTATION_FILTER",
    "DEFAULT_ROTATION_MODEL",
    "UNIVERSAL_ROTATION_MODEL",
    "SMPL24_OFFSETS",
    "RotationNetwork",
    "axis_angle_evidence",
    "check_time_first",
    "looks_like_axis_angles",
    "refines_rotations",
    "rotation_filter",
    "smpl24_joints",
    "refine_rotations",
    "translation_filter",
    "continuous_quaternions",
]

#: the filter of :func:`rotation_filter` when none is named, and the translation's filter beside a network
DEFAULT_ROTATION_FILTER = "butterworth"
#: what refines rotations when no model is named, SMPL's 24 joints and any other count up to
#: :data:`UNIVERSAL_ROTATION_MAX_JOINTS` (SMPL-H / SMPL-X bodies: 22): the universal model trained on rotations
#: too (docs/results.md, "Rotations through the universal weights"); ``synsp-smpl24-rot-w8`` by name
DEFAULT_ROTATION_MODEL = "synsp-universal-w16-rot"
#: the same model (the name of the default for other joint counts until the two were one)
UNIVERSAL_ROTATION_MODEL = DEFAULT_ROTATION_MODEL
UNIVERSAL_ROTATION_MAX_JOINTS = 200



class RotationNetwork:
    """A rotation model behind the refiner contract on axis-angles ``(T, J, 3)`` / ``(T, P, J, 3)``.

    Wraps the :class:`synsp.refiners.NetworkRefiner` of a card whose normalisation is
    :data:`synsp.normalization.ROTATIONS_6D` (that refiner works on 6D vectors); NaN rotations
    and low confidences are missing, filled and flagged as for positions.  ``causal``, ``delay`` and
    ``window`` are the network's (``get_refiner(name, causal=True)``: zero delay, the last frame of the
    window ending at each frame); :meth:`online` is the network's online form on axis-angles
    (:class:`RotationOnline`).

    ``smooth_root`` (offline, non-causal networks): the global orientation (joint 0) of the output is then
    smoothed where that of the input jitters well beyond its body's joints
    (:func:`synsp.root_jitter.smooth_root_jitter`); False gives the network's output as it is.
    """

    def __init__(self, network: Any, smooth_root: bool = True):
        if not refines_rotations(network):
            raise SynspInputError(f"model {network.name!r} refines joint positions, not rotations")
        self.network, self.card = network, network.card
        self.name, self.window, self.min_confidence = network.name, network.window, network.min_confidence
        self.min_frames = min_frames_of(network)
        self.causal, self.delay = network.causal, network.delay
        self.skeleton = network.skeleton
        self.smooth_root = bool(smooth_root)

    def online(self, causal: bool | None = None, fps: float | None = None) -> "RotationOnline":
        """The network frame by frame on axis-angle frames ``(J, 3)`` (:class:`RotationOnline`), at its own rate."""
        rate = self.network.card.fps
        if fps is not None and not self.network.runs_at(check_fps(fps), rotations=True):
            raise SynspInputError(f"fps is {fps:g}, but {self.name!r} refines rotations online at its rate {rate:g} "
                                  "fps only; refine offline (synsp.refine_smpl resamples) or use a filter")
        return RotationOnline(self.network.online(causal=causal, fps=fps))

    def __call__(self, rotvec: Any, fps: float | None = None, confidence: Any = None,
                 progress: bool = False, return_filled: bool = False):
        joints = self.skeleton.num_joints if self.skeleton else None
        x = check_poses(rotvec, "rotvec", ndims=(3, 4), dims=(3,), joints=joints, allow_nan=True)
        # lost rotations are filled on quaternions here and flagged to the network as missing
        lost = np.isnan(x).any(-1)
        if confidence is not None:
            lost |= missing_from_confidence(confidence, x.shape, self.min_confidence)
        lost &= ~lost.all(axis=0)  # never seen: the identity stand-in is all there is, used as observed
        filled = fill_rotations(x)
        if lost.any():  # the network fills the lost 6D vectors itself
            out = self.network(per_chunk(axis_angle_to_rot6d, filled), fps=fps, confidence=np.where(lost, 0.0, 1.0),
                               progress=progress)
            out = np.ascontiguousarray(per_chunk(rot6d_to_axis_angle, out), dtype=np.float64)
        else:  # the same, converted to 6D and back a piece at a time (an hour at 120 Hz is not converted whole)
            four = filled[:, None] if filled.ndim == 3 else filled
            fps_in = self.network.card.fps if fps is None else check_fps(fps)
            out = self.network.refine_filled(Converted(four, axis_angle_to_rot6d, 6), lost.reshape(four.shape[:-1]),
                                             fps_in, progress, decode=rot6d_to_axis_angle)
            out = out[:, 0] if filled.ndim == 3 else out
        if self.smooth_root and not self.causal:  # decided on the input: where its root jitters, not the body
            out = self.smooth_root_of(out, filled, self.network.card.fps if fps is None else check_fps(fps))
        return (out, lost) if return_filled else out

    def smooth_root_of(self, out: np.ndarray, filled: np.ndarray, fps: float,
                       cap: float = ROOT_CORRECTION_CAP) -> np.ndarray:
        """The offline stage for a global orientation jittering on its own (:func:`smooth_root_jitter`) on the
        network's axis-angle output ``out`` (a float64 array, changed in place and returned) for its filled input
        ``filled`` at ``fps``, decided on the input as
        the network saw it: an input faster than the network's rate low-passed to that rate first (the jitter
        above its Nyquist frequency never reached the network); ``cap``: see :func:`smooth_root_jitter`."""
        rate = self.network.card.fps
        if fps > 1.01 * rate and filled.shape[0] >= 4:
            n = check_resampled_length(filled.shape[0], fps, rate, int(np.prod(filled.shape[1:])))
            seen = to_lower_rate_in_pieces(filled, n, fn=axis_angle_to_rot6d, fn_out=rot6d_to_axis_angle)
            return smooth_root_jitter(out, fps, gate_from=seen, gate_from_fps=rate, cap=cap, copy=False)
        return smooth_root_jitter(out, fps, gate_from=filled, cap=cap, copy=False)


class RotationOnline:
    """A rotation network frame by frame (:class:`synsp.filters.base.Online` on axis-angle frames ``(J, 3)``):
    each frame is turned into 6D vectors (a missing rotation's into the identity's, flagged missing), the
    network's online form refines them (windows averaged on the 6D vectors, as offline) and the refined
    frames come back as axis-angles."""

    rotations = True
    dims = (3,)

    def __init__(self, inner: Any):
        self.inner = inner
        self.delay, self.fps, self.joints, self.skeleton = inner.delay, inner.fps, inner.joints, inner.skeleton

    def start(self) -> Any:
        return self.inner.start()

    def step(self, states: list, frames: list, missing: list, confidence: list | None = None) -> list:
        r6 = [axis_angle_to_rot6d(np.where(m[:, None], 0.0, x)) for x, m in zip(frames, missing)]
        return self._axis_angles(self.inner.step(states, r6, missing))

    def finish(self, states: list) -> list:
        return self._axis_angles(self.inner.finish(states))

    @staticmethod
    def _axis_angles(outputs: list) -> list:
        """Every refined 6D frame of ``outputs`` (per track: None or a list) as axis-angles, in one conversion."""
        frames = [f for out in outputs if out for f in out]
        if not frames:
            return outputs
        converted = iter(rot6d_to_axis_angle(np.stack(frames)))
        return [out if not out else [next(converted) for _ in out] for out in outputs]


# a network whose card says 6D rotations is a RotationNetwork in synsp.refiners.get_refiner (the registry;
# refiners imports no rotations)
register_wrapper(ROTATIONS_6D, RotationNetwork)


def refines_rotations(network: Any) -> bool:
    """True for a network that refines 6D joint rotations: a rotation model (its card's normalisation is
    :data:`synsp.normalization.ROTATIONS_6D`) or the universal model trained with rotations (it takes dims 6
    beside positions; :func:`rotation_filter` wraps it in a :class:`RotationNetwork` for rotation input)."""
    return isinstance(network, NetworkRefiner) and (network.card.normalization == ROTATIONS_6D
                                                     or 6 in network.dims)


def rotation_filter(model: Any = None, num_joints: int | None = None) -> "TemporalFilter | RotationNetwork":
    """What refines rotations for ``model``: the refiner :func:`synsp.refiners.get_refiner` gives for it (a
    refiner object passes through) when that is a synsp filter (:class:`TemporalFilter`, run on
    quaternions) or a rotation network (:class:`RotationNetwork`: a model whose card says rotations, or the
    universal model trained with rotations).  ``None``: :data:`DEFAULT_ROTATION_MODEL` for up to
    :data:`UNIVERSAL_ROTATION_MAX_JOINTS` joints (``num_joints`` not given: SMPL's 24);
    :data:`DEFAULT_ROTATION_FILTER` for more, or when the model is not installed.

    Anything else (a network for joint positions, an unknown name) raises :class:`SynspInputError`.
    """
    if model is None:
        fits = (num_joints or 24) <= UNIVERSAL_ROTATION_MAX_JOINTS and DEFAULT_ROTATION_MODEL in shipped_models()
        model = shipped_path(DEFAULT_ROTATION_MODEL) if fits else DEFAULT_ROTATION_FILTER
    if isinstance(model, str):
        named_checkpoint(model)  # a name that a shipped and a local model both have: refused in its own words
    try:
        refiner = model if isinstance(model, (TemporalFilter, RotationNetwork)) else get_refiner(str(model))
    except SynspInputError:
        refiner = None
    if refines_rotations(refiner):  # the universal model with rotations: a position refiner by default
        refiner = RotationNetwork(refiner)
    if isinstance(refiner, (TemporalFilter, RotationNetwork)):
        return refiner
    key = str(model)
    rotation_models = [n for n, stem in shipped_models().items() if _is_rotation_card(stem)]
    raise SynspInputError(
        f"model {key!r} cannot refine rotations: rotations (SMPL / axis-angle body-model files) are refined "
        f"by a rotation network ({', '.join(rotation_models) or 'none installed'}) or a classical filter "
        f"({', '.join(sorted(FILTERS))}); the other shipped networks refine joint positions. "
        f"Leave the model out for the default ({DEFAULT_ROTATION_MODEL}) or name one of those")


def _is_rotation_card(stem: Any) -> bool:
    import json

    try:
        card = json.loads(Path(f"{stem}.json").read_text())
    except (OSError, ValueError):
        return False
    config = card.get("config") if isinstance(card, dict) else None
    return isinstance(card, dict) and (card.get("normalization") == ROTATIONS_6D
                                       or (isinstance(config, dict) and config.get("rotations") is True))


def refine_rotations(rotvec: Any, model: Any = None, fps: float | None = 30,
                     confidence: Any = None) -> np.ndarray:
    """Refine joint rotations ``(T, J, 3)`` (axis-angle, radians) over time; returns ``(T, J, 3)``.

    ``model``: None (:data:`DEFAULT_ROTATION_MODEL`), a rotation network (name, checkpoint or
    :class:`RotationNetwork`; ``J`` must be its skeleton's joint count), or a synsp filter name
    (``'butterworth'``, ``'savgol'``, ``'one-euro'``, ``'gaussian'``, ``'kalman'``,
    ``'kalman-rts'``, ...) or filter object, which works on any ``J``.  ``fps``: the input's frame
    rate (networks resample to their own; filters with parameters in Hz or seconds use it).
    ``confidence`` ``(T, J)``: joints below the refiner's ``min_confidence`` are treated as
    missing, like NaN joints; missing joints come back filled.  See the module docstring.

    A joint whose rotation is NaN (or inf, or absurd: beyond 1e9 radians) in every frame raises
    :class:`SynspInputError` (no rotation is made up for it), and so does input with no rotation at
    all; complex, object or boolean input raises too.  ``fps``: 1 to 10,000 Hz.
    """
    x = check_poses(rotvec, "rotvec", ndims=(3,), dims=(3,), allow_nan=True)
    fps = check_fps(fps)
    _check_seen(x)
    filt = rotation_filter(model, x.shape[1])
    if isinstance(filt, RotationNetwork):
        out = filt(x, fps=fps, confidence=confidence)
        check_refined(out, x, np.ones(x.shape[:-1], dtype=bool), what="refined rotations")
        return out
    T, J, _ = x.shape
    missing = np.isnan(x).any(-1)
    q = axis_angle_to_quaternion(np.where(missing[..., None], 0.0, x))
    q[missing] = np.nan
    q = continuous_quaternions(q)
    conf = None
    if confidence is not None:
        conf = to_numpy(confidence, name="confidence")
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
    out = np.ascontiguousarray(quaternion_to_axis_angle(smooth / norm), dtype=np.float64)
    check_refined(out, x, np.ones(x.shape[:-1], dtype=bool), what="refined rotations")
    return out


def _check_seen(x: np.ndarray, name: str = "rotvec") -> None:
    """Raise unless every joint of ``x`` ``(T, J, 3)`` has a rotation (not NaN) in some frame."""
    lost = np.isnan(x).any(-1)
    if lost.all():
        raise SynspInputError(f"{name} has no rotation: every value is NaN (or inf, or beyond 1e9); "
                              "nothing to refine")
    never = lost.all(axis=0)
    if never.any():
        raise SynspInputError(f"{name}: joint {int(np.flatnonzero(never)[0])} is NaN in all {x.shape[0]} frames "
                              f"({int(never.sum())} such joint(s)); no rotation is made up for it: drop it or "
                              "fill it before refining")


def translation_filter(refiner: Any) -> TemporalFilter:
    """The filter for the root translation beside ``refiner`` (itself when it is a filter)."""
    return refiner if isinstance(refiner, TemporalFilter) else get_filter(DEFAULT_ROTATION_FILTER)


# looks_like_axis_angles: every vector at most 2 pi long (this much rounding allowed) and at most this share beyond
# pi (a rotation needs at most pi; fitted outputs reach 2 pi, mostly in a few joints such as the root)
_AXIS_ANGLE_SLACK = 0.01
_LONG_AXIS_ANGLE_SHARE = 0.1


def _axis_angle_lengths(norms: np.ndarray) -> bool:
    """True when the vector lengths ``norms`` ``(..., 24)`` (NaN: missing) may be axis-angles: all at most 2 pi, at
    most a tenth beyond pi, and a pose with one beyond pi mostly short (median at most pi / 2).  A body's joint
    positions that far from the origin are all about as far."""
    seen = norms[np.isfinite(norms)]
    if not seen.size:
        return True
    long = norms > np.pi + _AXIS_ANGLE_SLACK  # (..., 24)
    if seen.max() > 2 * np.pi + _AXIS_ANGLE_SLACK or long.sum() > _LONG_AXIS_ANGLE_SHARE * seen.size:
        return False
    poses = long.any(axis=-1)
    return not poses.any() or bool((np.nanmedian(norms[poses], axis=-1) <= np.pi / 2).all())


# axis_angle_evidence: joint positions keep their bones rigid while they move; the bones' relative spread over time
# at most this share of the joints' own relative motion reads as positions (clean SMPL axis-angles: at least 0.5)
_RIGID_SHARE = 0.25
# below this motion (relative to the mean "bone") nothing moves enough to tell: unsure
_STILL = 1e-3


def axis_angle_evidence(x: np.ndarray) -> str:
    """What ``x`` ``(T, [P,] 24, 3)`` reads as: ``'axis-angles'`` (SMPL rotations), ``'positions'`` (24 joint
    positions) or ``'unsure'`` (the data cannot tell: a single frame, or no motion).  Not float or not
    ``(..., 24, 3)``: ``'positions'``.

    Positions when the vector lengths cannot be axis-angles: beyond 2 pi (0.01 of rounding allowed), more than a
    tenth of them beyond pi (a rotation needs at most pi, fitted outputs reach 2 pi in a few joints such as the
    root), or vectors beyond pi in poses of mostly long vectors (a body's joint positions that far from the origin
    are all about as far).  Otherwise the SMPL tree's "bones" between the vectors (those beyond pi taken as the same
    rotations within pi) decide: joint positions of one body keep their bone lengths while the joints move, so
    bones rigid (median relative spread over time at most 10 %) *and* at most a quarter as variable as the joints
    themselves move (median spread of a joint over time relative to the median bone) read as positions.  Bones
    that vary (clean SMPL axis-angles of 16 frames: half as much as the joints move, or more) read as axis-angles,
    however little the body moves; with no motion at all (below 0.1 % of a bone) or one frame: unsure.
    Root-centred joint positions in metres are short too: the bones tell them apart while the body moves.  A still
    body's positions with noise read as axis-angles (the noise moves bones and joints alike: a smpl24 pose held 60
    frames with 2-10 mm of noise); so read by MMHuman3D's ``smooth_process``, such vectors are smoothed about as
    positions would be (3.28 mm against 3.35, a review's ``/tmp`` script)."""
    x = np.asarray(x)
    if x.dtype.kind != "f" or x.shape[-2:] != (24, 3):
        return "positions"
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a joint NaN throughout: no spread, not counted
        norms = np.linalg.norm(x, axis=-1, keepdims=True)
        if not _axis_angle_lengths(norms[..., 0]):
            return "positions"
        if x.shape[0] < 2:
            return "unsure"
        x = np.where(norms > np.pi, x * (1 - 2 * np.pi / norms), x)  # the same rotations at most pi long
        parents = np.asarray(get_skeleton("smpl24").parents[1:])
        bones = np.linalg.norm(x[..., 1:, :] - x[..., parents, :], axis=-1)  # (T, [P,] 23)
        size = np.nanmean(bones, axis=0)
        spread = np.nanstd(bones, axis=0) / size
        motion = np.linalg.norm(np.nanstd(x, axis=0), axis=-1) / np.nanmedian(size)  # ([P,] 24)
    spread, motion = spread[np.isfinite(spread)], motion[np.isfinite(motion)]
    if not len(spread) or not len(motion) or float(np.median(motion)) < _STILL:
        return "unsure"
    spread, motion = float(np.median(spread)), float(np.median(motion))
    if spread <= 0.1 and spread <= _RIGID_SHARE * motion:
        return "positions"
    return "axis-angles"


def looks_like_axis_angles(x: np.ndarray) -> bool:
    """True when ``x`` ``(T, [P,] 24, 3)`` reads as SMPL axis-angles rather than joint positions (as MMHuman3D's
    SmoothNet reads C = 3): :func:`axis_angle_evidence` says ``'axis-angles'`` (``'unsure'``, one frame or no
    motion, is False here: a caller that must choose decides on the evidence itself)."""
    return axis_angle_evidence(x) == "axis-angles"


def check_time_first(x: np.ndarray, name: str = "poses") -> None:
    """Raise :class:`SynspInputError` when the rotations ``x`` ``(T, J, 3)`` look joint-first, ``(J, T, 3)``: their
    ``J`` is no joint count of the SMPL family (:data:`synsp.io.smpl.KNOWN_JOINTS`, or 21 / 23, a ``body_pose``
    without the root) while their ``T`` is one and their ``J`` is more than ``T`` (a second of a 15-joint hand at 24
    fps, ``(24, 15, 3)``, is time-first).  Refined so, every frame would be smoothed across the joints."""
    counts = set(KNOWN_JOINTS) | {21, 23}
    if x.ndim == 3 and x.shape[1] not in counts and x.shape[0] in counts and x.shape[1] > x.shape[0]:
        raise SynspInputError(
            f"{name} has shape {x.shape}: {x.shape[0]} joints of {x.shape[1]} frames? time comes first: give "
            f"(T, J, 3), e.g. ({x.shape[1]}, {x.shape[0]}, 3) (numpy.swapaxes({name}, 0, 1))")
