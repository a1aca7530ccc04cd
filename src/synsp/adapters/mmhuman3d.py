"""A drop-in for MMHuman3D's ``smooth_process`` and its post-processing filters (``build_post_processing``).

Interface mirrored: ``smooth_process(x, smooth_type='savgol',
cfg_base_dir='configs/_base_/post_processing/')`` smooths ``x`` of shape
``(frames, K, C)`` or ``(frames, persons, K, C)`` along time (persons
independently) and returns an array of the same shape::

    from synsp.adapters.mmhuman3d import smooth_process   # was: from mmhuman3d.utils.demo_utils import ...
    poses = smooth_process(rotmat.reshape(T, 24, 9), smooth_type='smoothnet_windowsize8')  # stays rotations
    verts = smooth_process(verts, smooth_type='smoothnet')                # (T, 6890, 3), as MMHuman3D's demo
    cams = smooth_process(pred_cams[:, None], smooth_type='oneeuro')      # (T, 1, 3)
    poses = speed_up_process(torch.tensor(rotmat), 'deciwatch')           # (T, 24, 3, 3), frames 0, 5, 10, ...

    from synsp.adapters.mmhuman3d import build_post_processing   # was: from mmhuman3d.core.post_processing ...
    f = build_post_processing(dict(type='SGFilter', window_size=11, polyorder=2))
    y = f(torch_tensor)                                                   # a tensor, same dtype and device

Types and what runs (the settings of MMHuman3D's configs):

============================== =================================================================
``oneeuro``                     One-Euro (``one-euro-mmpose``: min_cutoff 0.004, beta 0.7, t_e = 1 frame)
``savgol``                      Savitzky-Golay per channel, window 11, polyorder 2; as MMHuman3D an even
                                window is one less, a window longer than T is T (even allowed) and
                                polyorder drops to window - 1 below it
``gaus1d``                      as MMHuman3D: per channel a median over a window x window block of
                                keypoints and frames (``medfilt`` of each ``(K, T)`` slice, zero outside
                                it), then a Gaussian of sigma 4 over time
``gaus1d_time``                 (synsp) the median over time only, then the Gaussian (``gaussian-mmpose``:
                                MMPose's filter), with the ``gaus1d`` settings
``smoothnet``                   as ``smoothnet_windowsize8``
``smoothnet_windowsize<W>``     the shipped SmoothNet of window W for any K and C (one network for every
                                channel, :class:`synsp.adapters.mmpose.SharedSmoothNet`); a window with
                                none shipped raises :class:`SynspInputError` naming the shipped ones
``deciwatch_interval<N>_q<Q>``  DeciWatch (MMHuman3D's speed-up configs, ``speed_up_cfg``; also
                                :func:`speed_up_process`): reads only the frames ``0, N, 2N, ...`` and
                                recovers the others from them (see below)
``synsp``                       (synsp) the default shipped model, as ``synsp.refine``, each person alone
                                after its left/right inversions are repaired (``repair``); SMPL rotation
                                matrices (24 joints, or another count: SMPL-X ``body_pose``'s 21): the
                                universal model trained on rotations, ``synsp-universal-w16-rot``
============================== =================================================================

``cfg_base_dir`` is MMHuman3D's ``configs/_base_/post_processing`` folder:
the settings come from the dict ``smooth_cfg`` (DeciWatch: ``speed_up_cfg``)
of ``<cfg_base_dir>/<smooth_type>.py`` (``smoothnet`` reads
``smoothnet_windowsize8.py``; ``gaus1d_time`` reads ``gaus1d.py``), run as
plain Python.  The default is MMHuman3D's relative path; where the current
folder has no such file, the built-in copy of MMHuman3D's settings is used
(a ``cfg_base_dir`` you pass must hold the file).  ``None`` means the
built-in settings.

DeciWatch keeps MMHuman3D's contract: a speed-up estimates one frame in N (MMHuman3D's demo puts
zeros in the others), and only those frames are read.  Up to the last sampled frame ``L`` the samples
are interpolated to every frame (SMPL rotations, ``(..., 9)`` / ``(..., 3, 3)`` matrices and ``(24, 3)``
axis-angles no longer than pi, along the shortest arc: quaternion slerp per joint; anything else
linearly); frames after ``L`` come back as they are (MMHuman3D's keeps them too).  Where a shipped
DeciWatch samples one frame in N and refines the data (17 Human3.6M joints in 3D:
``deciwatch-h36m17-3d-w101`` for N = 10; its own window for every Q asked), it refines that
interpolation in windows starting on sampled frames.  MMHuman3D's DeciWatch checkpoints take SMPL poses, for which no DeciWatch is shipped
(synsp trains DeciWatch on positions only): there the interpolation is the result, and a warning says
that no learned recovery ran.  :func:`speed_up_process` and :func:`get_speed_up_interval` are
MMHuman3D's speed-up entry points (``'deciwatch'`` is ``deciwatch_interval5_q3``; numpy out).

``repair`` (:func:`smooth_process`): left/right inversions of each person's keypoints are undone over
the whole sequence before smoothing (:func:`synsp.repair.repair_poses`: positions, C = 2 or 3, of a
skeleton registered for K; rotations are never relabelled).  Default: on for ``'synsp'``, off for
MMHuman3D's types, so that their results equal MMHuman3D's.

Input and output: numpy in, numpy out; a torch tensor in, a tensor out with
the input's dtype and device.  The output keeps the input's dtype, as
MMHuman3D's filters do: float32 stays float32 and integer input comes back as
integers (the smoothed values truncated towards zero).  NaN marks a missing
value (filled by linear interpolation over time); a channel NaN in every frame
comes back NaN (the others smoothed without it), and a person NaN in every
value (an empty slot of ``(frames, persons, K, C)``) comes back as it is, as
MMHuman3D's loop over persons returns it; an error names the person.  inf raises.

Rotation matrices, ``(..., 9)`` or ``(..., 3, 3)`` whose input matrices are
all rotations (orthonormal to 1e-3, determinant +1), are smoothed entry by
entry (the matrices of a frame are its keypoints, so ``(T, 24, 3, 3)`` is
``(T, 24, 9)``) and then replaced by the nearest rotation (Frobenius norm, by
SVD), so the output holds valid rotations.  SMPL axis-angles ``(T, [P,] 24, 3)``
(as ``'synsp'`` reads them, below) are smoothed so too, as their matrices, and
come back as axis-angles (at most pi long) of the input's shape and dtype.

Deliberate differences from MMHuman3D, each where MMHuman3D fails or returns
something unusable:

* SmoothNet treats C = 3 as points (keypoints, vertices: normalised around
  their mean per window as synsp's SmoothNet was trained), where MMHuman3D's
  reads every C = 3 array as axis-angles (vertices included) and refuses C
  other than 3, 6, 9; cameras, 6D and matrices enter as they are (minus each
  window's mean).  MMHuman3D's SmoothNet/DeciWatch checkpoints are never
  loaded.
* ``'synsp'`` reads ``(T, [P,] 24, 3)`` as SMPL axis-angles (MMHuman3D's SmoothNet reads C = 3 so) through the
  rotation network unless they clearly are joint positions (:func:`synsp.rotations.axis_angle_evidence`: a
  vector beyond 2 pi, more than a tenth beyond pi, or the SMPL tree's "bones" between them rigid while the joints
  move): 24 joint positions of a body stay points.  Where the data cannot tell (one frame, no motion) they are
  taken as axis-angles and a warning says so.
* MMHuman3D's types smooth such SMPL axis-angles as rotation matrices (above), where MMHuman3D's filters smooth
  each component: an axis-angle's components jump where its angle passes pi (a joint swinging through a half turn:
  the vector flips to the opposite side), and smoothed across the jump the rotation is up to 160 degrees off.
* ``(T, 24, 3, 3)`` rotation matrices are 24 keypoints of 9 entries
  (MMHuman3D: 24 persons of 3 keypoints, which its ``gaus1d`` turns into
  zeros and its SmoothNet reads as axis-angles).
* ``gaus1d`` with an even ``T`` shorter than the window uses ``T - 1``
  (MMHuman3D's ``medfilt`` raises); with ``K <= window // 2`` keypoints its
  output is zero, as MMHuman3D's: a warning says so and names ``gaus1d_time``.
* ``savgol`` on one frame returns it (MMHuman3D raises).
* torch tensors are accepted by ``smooth_process`` too (MMHuman3D's needs
  numpy), and the SmoothNet/DeciWatch filters return the input's dtype.
* DeciWatch on SMPL poses interpolates the sampled frames (no shipped
  network; MMHuman3D loads its checkpoints), takes any T (MMHuman3D's needs
  more than one window) and any K and C, and its types are accepted by
  ``smooth_process`` too (MMHuman3D's only by ``speed_up_process``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d, median_filter
from scipy.signal import savgol_filter

from ..api import choose_model, refine, repair_skeleton
from ..filters import get_filter
from ..filters.base import check_positive
from ..geometry import (axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quaternion, nearest_rotation,
                        quaternion_to_matrix)
from ..models.deciwatch import DeciWatchConfig
from ..refiners import get_refiner, shipped_path
from ..repair import repair_poses
from ..rotations import (DEFAULT_ROTATION_MODEL, RotationNetwork, axis_angle_evidence, refine_rotations,
                         rotation_filter)
from ..validation import SynspInputError, is_torch
from .mmpose import (SharedSmoothNet, as_sequence, build_from_registry, cast_like, describe_shipped, fill_missing,
                     load_config, per_channel, shipped_cards)

__all__ = ["SMOOTH_TYPES", "DEFAULT_CFG_BASE_DIR", "smooth_process", "speed_up_process", "get_speed_up_interval",
           "build_post_processing", "POST_PROCESSING", "OneEuroFilter", "Gaus1dFilter", "Gaus1dTimeFilter", "SGFilter",
           "SmoothNetFilter", "DeciWatchPostProcessing", "interpolate_samples", "shipped_deciwatches"]

DEFAULT_CFG_BASE_DIR = "configs/_base_/post_processing/"
"""MMHuman3D's default ``cfg_base_dir``, relative to the current folder."""

SMOOTHNET_WINDOWS = (8, 16, 32, 64)
DECIWATCH_TYPES = tuple(f"deciwatch_interval{n}_q{q}" for n in (5, 10) for q in range(1, 6))
SMOOTH_TYPES = ("oneeuro", "gaus1d", "savgol", "smoothnet", *(f"smoothnet_windowsize{w}" for w in SMOOTHNET_WINDOWS),
                *DECIWATCH_TYPES, "gaus1d_time", "synsp")
"""MMHuman3D's smooth types and DeciWatch configs, and synsp's ``gaus1d_time`` and ``synsp``."""

# The settings of MMHuman3D's configs/_base_/post_processing/<name>.py (checkpoints: the file names only)
_CONFIGS: dict[str, dict[str, Any]] = {
    "oneeuro": {"type": "oneeuro", "min_cutoff": 0.004, "beta": 0.7},
    "savgol": {"type": "savgol", "window_size": 11, "polyorder": 2},
    "gaus1d": {"type": "gaus1d", "window_size": 11, "sigma": 4},
    **{f"smoothnet_windowsize{w}": {"type": "smoothnet", "window_size": w, "output_size": w,
                                    "checkpoint": f"smoothnet_windowsize{w}.pth.tar"} for w in SMOOTHNET_WINDOWS},
    **{f"deciwatch_interval{n}_q{q}": {"type": "deciwatch", "interval": n, "slide_window_q": q,
                                       "checkpoint": f"deciwatch_interval{n}_q{q}.pth.tar"}
       for n in (5, 10) for q in range(1, 6)},
}

_ROTATION_TOLERANCE = 1e-3


# ---- filters --------------------------------------------------------------------------------------


def _like(out: np.ndarray, x: Any) -> Any:
    """``out`` as ``x`` came: a tensor of ``x``'s dtype and device, or numpy."""
    if is_torch(x):
        return torch.from_numpy(np.ascontiguousarray(out)).to(device=x.device, dtype=x.dtype)
    return out


class _PostProcessing:
    """MMHuman3D's filter interface: ``f(x)`` on ``(T, K, C)`` numpy or torch, same type, shape and dtype."""

    def __call__(self, x: Any = None) -> Any:
        arr = as_sequence(x)
        return _like(cast_like(self._smooth(arr), arr), x)

    def _smooth(self, arr: np.ndarray) -> np.ndarray:  # (T, K, C) numpy -> float (T, K, C)
        raise NotImplementedError


def _odd_window(window_size: Any, T: int) -> int:
    """MMHuman3D's window rule: an even ``window_size`` is one less, and at most ``T``."""
    check_positive(window_size, "window_size", integer=True)
    w = int(window_size) - (int(window_size) % 2 == 0)
    return min(max(w, 1), T)


class OneEuroFilter(_PostProcessing):
    """One-Euro, frame time unit, ``d_cutoff`` 1 (``one-euro-mmpose``); each call is one sequence."""

    def __init__(self, min_cutoff: float = 0.004, beta: float = 0.7):
        self.min_cutoff, self.beta = min_cutoff, beta
        self._filter = get_filter("one-euro-mmpose", min_cutoff=min_cutoff, beta=beta)

    def _smooth(self, arr: np.ndarray) -> np.ndarray:
        return per_channel(self._filter, arr)


class Gaus1dFilter(_PostProcessing):
    """MMHuman3D's ``gaus1d``: a median over a block of keypoints x frames per channel, then a Gaussian over time."""

    def __init__(self, window_size: int = 11, sigma: float = 4):
        check_positive(window_size, "window_size", integer=True)
        check_positive(sigma, "sigma")
        self.window_size, self.sigma = window_size, sigma

    def _smooth(self, arr: np.ndarray) -> np.ndarray:
        T, K, C = arr.shape
        w = _odd_window(self.window_size, T)
        if w % 2 == 0:  # T even and shorter than the window: MMHuman3D's medfilt raises here
            w -= 1
        if K <= w // 2:
            warnings.warn(
                f"gaus1d takes, as MMHuman3D's does, the median of a {w} x {w} block of keypoints x frames, zero "
                f"outside the array: with K = {K} keypoints most of every block is padding and the output is zero; "
                "smooth_type='gaus1d_time' takes the median over time only", UserWarning, stacklevel=3)
        filled = fill_missing(arr.astype(np.float64))
        dead = np.isnan(filled).all(axis=0)  # (K, C) NaN in every frame: zero in the median, as outside the array
        images = np.where(dead, 0.0, filled).transpose(2, 1, 0)  # (C, K, T): one (K, T) image per channel
        median = median_filter(images, size=(1, w, w), mode="constant", cval=0.0)
        out = gaussian_filter1d(median, float(self.sigma), axis=-1).transpose(2, 1, 0)
        out[:, dead] = np.nan  # nothing to smooth it from: NaN, as given
        return out


class Gaus1dTimeFilter(_PostProcessing):
    """synsp's ``gaus1d_time``: the running median over time only, then the Gaussian (``gaussian-mmpose``)."""

    def __init__(self, window_size: int = 11, sigma: float = 4):
        check_positive(window_size, "window_size", integer=True)
        self.window_size, self.sigma = window_size, sigma
        odd = int(window_size) - (int(window_size) % 2 == 0)
        self._filter = get_filter("gaussian-mmpose", window=max(odd, 1), sigma=float(sigma))

    def _smooth(self, arr: np.ndarray) -> np.ndarray:
        return per_channel(self._filter, arr)


class SGFilter(_PostProcessing):
    """MMHuman3D's ``savgol``: Savitzky-Golay per channel with its window rules (see the module docstring)."""

    def __init__(self, window_size: int = 11, polyorder: int = 2):
        check_positive(window_size, "window_size", integer=True)
        check_positive(polyorder, "polyorder", integer=True)
        self.window_size, self.polyorder = window_size, polyorder

    def _smooth(self, arr: np.ndarray) -> np.ndarray:
        T = arr.shape[0]
        x = fill_missing(arr.astype(np.float64))
        if T == 1:
            return x
        w = _odd_window(self.window_size, T)
        order = w - 1 if w <= self.polyorder else int(self.polyorder)
        if order < 1:
            raise SynspInputError(f"savgol window_size={self.window_size} leaves a window of {w} frame(s); "
                                  "expected at least 2")
        flat = x.reshape(T, -1)
        live = ~np.isnan(flat).all(axis=0)  # a channel NaN in every frame stays NaN (nothing to smooth it from)
        out = np.full(flat.shape, np.nan)
        out[:, live] = savgol_filter(flat[:, live], w, order, axis=0)
        return out.reshape(x.shape)


class SmoothNetFilter(_PostProcessing):
    """The shipped SmoothNet of ``window_size`` on any ``(T, K, C)`` (see the module docstring)."""

    def __init__(self, window_size: int, output_size: int | None = None, checkpoint: str | None = None,
                 hidden_size: int = 512, res_hidden_size: int = 512, num_blocks: int = 5, device: Any = "cpu"):
        if output_size is not None and output_size != window_size:
            raise SynspInputError(
                f"SmoothNet output_size is {output_size}; synsp's SmoothNet refines the whole window "
                f"(output_size = window_size = {window_size})")
        self.window_size = window_size
        self.net = SharedSmoothNet(window_size, checkpoint, hidden_size, res_hidden_size, num_blocks, device or "cpu")

    def _smooth(self, arr: np.ndarray) -> np.ndarray:
        if arr.shape[0] < self.net.window:
            return arr.copy()  # as MMHuman3D: too short to fill one window
        out = self.net(arr)
        if arr.shape[-1] == 9 and arr.dtype.kind == "f" and _holds_rotations(arr):
            out = nearest_rotation(out.reshape(-1, 3, 3)).reshape(out.shape)
        return out


class DeciWatchPostProcessing(_PostProcessing):
    """DeciWatch's contract: only the frames ``0, N, 2N, ...`` (``N = interval``) are read; the others are
    recovered from them (see the module docstring).

    Frames ``0 .. L`` (``L``, the last sampled frame) come back recovered: the sampled frames are
    interpolated to every frame (rotations along the shortest arc, see :func:`interpolate_samples`), and
    where a shipped DeciWatch samples one frame in N and refines the data's ``(K, C)`` (17 Human3.6M
    joints in 3D), that network refines the interpolation in windows starting on sampled frames.  Frames
    after ``L`` come back as they are, as MMHuman3D's (a speed-up estimates them all).  For other data no
    network is shipped: the interpolation is the result and a warning says so.  ``slide_window_q`` and
    ``checkpoint`` are accepted; the shipped window is used.
    """

    def __init__(self, interval: int, slide_window_q: int, checkpoint: str | None = None, device: Any = None):
        check_positive(interval, "interval", integer=True)
        check_positive(slide_window_q, "slide_window_q", integer=True)
        self.interval, self.slide_window_q = int(interval), int(slide_window_q)
        self.device = str(device or "cpu")
        self.networks = shipped_deciwatches()
        self.refiner = None  # the shipped DeciWatch of this interval, loaded on first use

    def _network(self) -> Any:
        if self.refiner is None:
            names = [name for name, interval in self.networks.items() if interval == self.interval]
            if names:
                self.refiner = get_refiner(names[0], stride=self.interval, device=self.device)
        return self.refiner

    def _smooth(self, arr: np.ndarray) -> np.ndarray:
        x = arr.astype(np.float64)
        T, K, C = x.shape
        N = self.interval
        last = (T - 1) // N * N  # the last sampled frame
        samples = fill_missing(x[: last + 1: N])
        kind = _sample_kind(samples)
        out = x.copy()
        out[: last + 1] = interpolate_samples(samples, N, kind)
        net = self._network()
        joints = (net.skeleton.num_joints if net.skeleton else K) if net is not None else None
        if net is not None and kind == "points" and (K, C) == (joints, net.card.dims):
            out[: last + 1] = net(out[: last + 1])
        else:
            shipped = ", ".join(f"{n} (interval {i})" for n, i in self.networks.items()) or "none"
            warnings.warn(
                f"DeciWatch interval {N}: no shipped DeciWatch refines (K, C) = {(K, C)} at this interval "
                f"(shipped: {shipped}, 17 Human3.6M joints in 3D); the frames 0, {N}, {2 * N}, ... are "
                f"interpolated ({_KIND_WORDS[kind]}), with no learned recovery", UserWarning, stacklevel=3)
        return out


_KIND_WORDS = {"points": "linearly", "matrices": "rotation matrices along the shortest arc",
               "axis-angles": "SMPL axis-angles along the shortest arc, as MMHuman3D's DeciWatch reads (24, 3)"}


def shipped_deciwatches() -> dict[str, int]:
    """The shipped DeciWatch networks: name -> sampling interval."""
    return {name: DeciWatchConfig(**card["config"]).interval for name, card in shipped_cards().items()
            if card["architecture"] == "deciwatch"}


def _sample_kind(x: np.ndarray) -> str:
    """How sampled frames ``(S, K, C)`` are interpolated: ``matrices`` (C = 9, all rotations),
    ``axis-angles`` (24 x 3 with every rotation vector at most pi long: SMPL poses, as MMHuman3D's
    DeciWatch reads ``(24, 3)``), else ``points`` (linear)."""
    if x.shape[-1] == 9 and _holds_rotations(x):
        return "matrices"
    if x.shape[1:] == (24, 3) and np.linalg.norm(x, axis=-1).max() <= np.pi + 1e-9:
        return "axis-angles"
    return "points"


def interpolate_samples(samples: np.ndarray, interval: int, kind: str = "points") -> np.ndarray:
    """Frames ``0 .. (S - 1) * interval`` from the samples ``(S, K, C)`` at frames ``0, interval, ...``.

    ``points``: linear per channel; ``matrices`` (C = 9) and ``axis-angles`` (C = 3): each joint's rotation
    along the shortest arc between the two samples around it (quaternion slerp).  The samples are
    returned exactly.
    """
    S = samples.shape[0]
    if S == 1:
        return samples.copy()
    t = np.arange((S - 1) * interval + 1)
    k = np.minimum(t // interval, S - 2)  # frame t lies between samples k and k + 1
    f = ((t - k * interval) / interval)[:, None, None]
    if kind == "points":
        out = (1 - f) * samples[k] + f * samples[k + 1]
    else:
        m = samples.reshape(S, -1, 3, 3) if kind == "matrices" else axis_angle_to_matrix(samples)
        q = matrix_to_quaternion(m)  # (S, K, 4)
        q0, q1 = q[k], q[k + 1]
        dot = (q0 * q1).sum(-1, keepdims=True)
        q1 = np.where(dot < 0, -q1, q1)  # the shorter of the two arcs
        theta = np.arccos(np.clip(np.abs(dot), -1.0, 1.0))
        small = theta < 1e-6
        sin = np.where(small, 1.0, np.sin(theta))
        w0 = np.where(small, 1 - f, np.sin((1 - f) * theta) / sin)
        w1 = np.where(small, f, np.sin(f * theta) / sin)
        r = quaternion_to_matrix(w0 * q0 + w1 * q1)
        out = r.reshape(len(t), *samples.shape[1:]) if kind == "matrices" else matrix_to_axis_angle(r)
    out[::interval] = samples  # the sampled frames exactly
    return out


POST_PROCESSING: dict[str, type] = {
    "OneEuroFilter": OneEuroFilter, "oneeuro": OneEuroFilter,
    "Gaus1dFilter": Gaus1dFilter, "gaus1d": Gaus1dFilter,
    "Gaus1dTimeFilter": Gaus1dTimeFilter, "gaus1d_time": Gaus1dTimeFilter,
    "SGFilter": SGFilter, "savgol": SGFilter,
    "SmoothNetFilter": SmoothNetFilter, "smoothnet": SmoothNetFilter,
    "DeciWatchPostProcessing": DeciWatchPostProcessing, "deciwatch": DeciWatchPostProcessing,
}
"""MMHuman3D's post-processing registry names (and synsp's ``gaus1d_time``) -> filter class."""


def build_post_processing(cfg: Mapping) -> Any:
    """The filter of an MMHuman3D post-processing config ``{'type': ..., **arguments}``."""
    return build_from_registry(cfg, POST_PROCESSING, "smooth_cfg")


# ---- smooth_process -------------------------------------------------------------------------------


def smooth_process(x: Any, smooth_type: str = "savgol", cfg_base_dir: str | os.PathLike | None = DEFAULT_CFG_BASE_DIR,
                   repair: bool | None = None) -> Any:
    """Smooth ``x`` ``(frames, K, C)`` or ``(frames, persons, K, C)`` along time (see the module docstring).

    ``repair``: undo left/right inversions of each person's keypoints first (:func:`synsp.repair.repair_poses`;
    positions, C = 2 or 3, of a skeleton registered for K).  None: on for ``'synsp'``, off for MMHuman3D's
    types, whose results then equal MMHuman3D's.

    Rotations stay rotations: matrices ``(..., 9)`` / ``(..., 3, 3)`` and SMPL axis-angles ``(T, [P,] 24, 3)``
    (unless :func:`synsp.rotations.axis_angle_evidence` says positions; unsure, a warning says they were taken as
    axis-angles) are smoothed as matrices and projected back onto rotations, axis-angles returned as axis-angles
    (unlike MMHuman3D, whose filters smooth axis-angle components, which
    jump where a joint's angle passes pi: the module docstring); ``'synsp'`` refines them with its rotation
    network, each person's joints alone.

    Raises:
        SynspInputError: unknown ``smooth_type``, a bad array, a missing config
            file, or a network given data it cannot refine.
    """
    if smooth_type not in SMOOTH_TYPES:
        raise SynspInputError(f"smooth_type is {smooth_type!r}; expected one of {', '.join(SMOOTH_TYPES)}")
    arr = _check_array(x, (3, 4), "(frames, K, C) or (frames, persons, K, C)")
    if smooth_type in DECIWATCH_TYPES:  # reads the sampled frames only: the others may hold anything
        return _like(_deciwatch(arr, smooth_type, cfg_base_dir), x)
    rotations = arr.dtype.kind == "f" and _holds_rotations(arr)
    evidence = "positions" if rotations else axis_angle_evidence(arr)
    if evidence == "unsure":  # SMPL poses are what smooth_process takes: rotations unless the data say otherwise
        warnings.warn(f"x {arr.shape} does not tell SMPL axis-angles from joint positions (one frame or no motion); "
                      "assumed SMPL axis-angles", UserWarning, stacklevel=2)
    axis_angles = evidence != "positions"  # SMPL poses: rotations, not points
    if axis_angles and smooth_type == "synsp":
        return _like(cast_like(_smpl_axis_angles(arr.astype(np.float64)), arr), x)
    if axis_angles:  # as rotation matrices: an axis-angle's components jump where its angle passes pi
        rotations = True
        data = axis_angle_to_matrix(arr.astype(np.float64)).reshape(*arr.shape[:-1], 9)
    else:
        data = arr.reshape(arr.shape[0], -1, 9) if rotations and arr.shape[-2:] == (3, 3) else arr
    refiner = _synsp_refiner(*data.shape[-2:]) if smooth_type == "synsp" and not rotations else None
    if (smooth_type == "synsp" if repair is None else repair) and not rotations:
        data = _repair(data, refiner)
    if smooth_type == "synsp":
        as_refine = ((lambda d: refine(d, model=refiner, repair=False)) if data.shape[-1] in (2, 3)  # cut at jumps
                     else refiner)
        out = _smpl_rotations(arr.astype(np.float64)) if rotations else _per_person(as_refine, data.astype(np.float64))
    else:
        smooth_func = build_post_processing(_smooth_config(smooth_type, cfg_base_dir))
        if rotations and isinstance(smooth_func, Gaus1dFilter):
            warnings.warn(
                "gaus1d's median over a block of keypoints x frames mixes the rotations of neighbouring joints, as "
                "MMHuman3D's does (the result is projected back onto rotations); smooth_type='gaus1d_time' "
                "filters every joint over time only", UserWarning, stacklevel=2)
        out = _per_person(smooth_func, data)
        if rotations:
            out = _nearest_rotations(out.reshape(-1, 3, 3))
        if axis_angles:
            out = matrix_to_axis_angle(out)
    return _like(cast_like(out.reshape(arr.shape), arr), x)


def speed_up_process(x: Any, speed_up_type: str = "deciwatch",
                     cfg_base_dir: str | os.PathLike | None = DEFAULT_CFG_BASE_DIR) -> np.ndarray:
    """MMHuman3D's ``speed_up_process``: recover every frame from the frames ``0, N, 2N, ...`` with DeciWatch
    (:class:`DeciWatchPostProcessing`); returns numpy, as MMHuman3D's, of ``x``'s shape and dtype.

    ``x``: numpy or a tensor, SMPL rotation matrices ``(frames, 24, 3, 3)`` or ``(frames, persons, 24, 3, 3)``
    as MMHuman3D's demo passes (the other frames may hold anything, e.g. zeros); any ``(frames, K, C)`` or
    ``(frames, persons, K, C)`` too.  ``speed_up_type``: ``'deciwatch'`` (``deciwatch_interval5_q3``, as
    MMHuman3D) or one of ``deciwatch_interval{5,10}_q{1..5}``; ``cfg_base_dir`` as :func:`smooth_process`.
    """
    name = _speed_up_name(speed_up_type)
    arr = _check_array(x, (3, 4, 5), "(frames, K, C), (frames, K, 3, 3) or with a persons axis after frames")
    return _deciwatch(arr, name, cfg_base_dir)


def _deciwatch(arr: np.ndarray, name: str, cfg_base_dir: str | os.PathLike | None) -> np.ndarray:
    """DeciWatch config ``name`` on ``arr``: trailing ``(3, 3)`` axes of a 4-d or 5-d array are matrices
    (``(T, K, 3, 3)``, ``(T, P, K, 3, 3)``; as MMHuman3D's DeciWatch reads them), else ``(T, K, C)`` or
    ``(T, P, K, C)``."""
    matrices = arr.ndim >= 4 and arr.shape[-2:] == (3, 3)
    if arr.ndim == 5 and not matrices:
        raise SynspInputError(f"x has shape {arr.shape}; a 5-d input is (frames, persons, K, 3, 3) matrices")
    data = arr.reshape(*arr.shape[:-2], 9) if matrices else arr
    speed_up_func = build_post_processing(_smooth_config(name, cfg_base_dir))
    out = _per_person(speed_up_func, data)
    return cast_like(out.reshape(arr.shape), arr)


def get_speed_up_interval(speed_up_type: str = "deciwatch",
                          cfg_base_dir: str | os.PathLike | None = DEFAULT_CFG_BASE_DIR) -> int:
    """MMHuman3D's ``get_speed_up_interval``: the ``interval`` of the speed-up config (``'deciwatch'``: 5)."""
    return int(_smooth_config(_speed_up_name(speed_up_type), cfg_base_dir)["interval"])


def _speed_up_name(speed_up_type: str) -> str:
    name = "deciwatch_interval5_q3" if speed_up_type == "deciwatch" else speed_up_type
    if name not in DECIWATCH_TYPES:
        raise SynspInputError(f"speed_up_type is {speed_up_type!r}; expected 'deciwatch' or one of "
                              f"{', '.join(DECIWATCH_TYPES)}")
    return name


def _check_array(x: Any, ndims: tuple[int, ...], layout: str) -> np.ndarray:
    arr = x.detach().cpu().numpy() if is_torch(x) else np.asarray(x)
    if arr.ndim not in ndims or 0 in arr.shape or arr.dtype.kind not in "fiu":
        raise SynspInputError(f"x has shape {arr.shape} and dtype {arr.dtype}; expected a non-empty numeric array "
                              f"{layout}")
    if arr.dtype.kind == "f" and np.isinf(arr).any():
        raise SynspInputError("x contains inf; pass finite values (NaN marks a missing value)")
    return arr


def _per_person(f: Any, data: np.ndarray) -> np.ndarray:
    """``f`` on ``(T, K, C)``, or on each person of ``(T, P, K, C)``.  A person NaN in every value (an empty
    slot of a fixed number of persons) comes back as it is, NaN, as MMHuman3D's loop over persons gives it back;
    an error names the person."""
    if data.ndim == 3:
        return data.copy() if data.dtype.kind == "f" and np.isnan(data).all() else f(data)
    out = []
    for p in range(data.shape[1]):
        try:
            out.append(_per_person(f, data[:, p]))
        except SynspInputError as err:
            raise SynspInputError(f"person {p} (x[:, {p}]): {err}") from None
    return np.stack(out, axis=1)


def _repair(data: np.ndarray, refiner: Any) -> np.ndarray:
    """Each person's left/right inversions undone (positions of a registered skeleton; else unchanged)."""
    K, C = data.shape[-2:]
    skeleton = repair_skeleton(K, C, None, refiner) if C in (2, 3) else None
    if skeleton is None:
        return data
    x = data.astype(np.float64)
    people = [x] if x.ndim == 3 else [x[:, p] for p in range(x.shape[1])]
    fixed = [repair_poses(person, skeleton)[0] for person in people]
    return fixed[0] if x.ndim == 3 else np.stack(fixed, axis=1)


def _smooth_config(smooth_type: str, cfg_base_dir: str | os.PathLike | None) -> dict[str, Any]:
    """MMHuman3D's config of ``smooth_type``: from ``cfg_base_dir`` when the file is there (module docstring)."""
    name = "smoothnet_windowsize8" if smooth_type == "smoothnet" else smooth_type
    stem = "gaus1d" if name == "gaus1d_time" else name
    key = "speed_up_cfg" if name.startswith("deciwatch") else "smooth_cfg"
    cfg = dict(_CONFIGS[stem])
    if cfg_base_dir is not None:
        path = os.path.join(os.fspath(cfg_base_dir), f"{stem}.py")
        if os.path.isfile(path):
            cfg = load_config(path, key)
        elif os.path.normpath(os.fspath(cfg_base_dir)) != os.path.normpath(DEFAULT_CFG_BASE_DIR):
            raise SynspInputError(
                f"config file {path!r} does not exist; cfg_base_dir is MMHuman3D's configs/_base_/post_processing "
                f"folder, one <smooth_type>.py per type ('smoothnet' reads smoothnet_windowsize8.py), or None for "
                "MMHuman3D's settings built into synsp")
    if name == "gaus1d_time":
        if cfg.get("type") not in ("gaus1d", "Gaus1dFilter"):
            raise SynspInputError(f"gaus1d_time takes the settings of gaus1d.py, whose type is {cfg.get('type')!r}")
        cfg["type"] = "gaus1d_time"
    return cfg


def _synsp_refiner(K: int, C: int) -> Any:
    """``smooth_type='synsp'`` on positions: ``synsp.refine``'s default model for K and C."""
    model, fallback = choose_model(K, C)
    if fallback is not None:
        raise SynspInputError(
            f"smooth_type 'synsp' needs a shipped model for K = {K} keypoints with C = {C} coordinates "
            f"and none is shipped (shipped: {describe_shipped()}); use 'oneeuro', 'gaus1d', 'savgol' or "
            "'smoothnet' (any K and C)")
    return get_refiner(shipped_path(model))  # synsp's own choice: the shipped model


def _smpl_rotations(x: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(T, ..., 9)`` / ``(T, ..., 3, 3)`` through the default rotation network
    (:data:`synsp.rotations.DEFAULT_ROTATION_MODEL`, the universal model trained on rotations), each person
    alone with its own ``K`` joints (``(T, [P,] K, 9)`` or ``(T, [P,] K, 3, 3)``: SMPL's 24, SMPL-X's 21
    ``body_pose`` joints, ...; 8 persons of 21 joints are never regrouped into 7 bodies of 24)."""
    T = x.shape[0]
    K = x.shape[-2] if x.shape[-1] == 9 else (x.shape[-3] if x.ndim > 3 else 1)  # each person's own: no regrouping
    network = rotation_filter(None, K)
    if not isinstance(network, RotationNetwork):
        raise SynspInputError(
            f"smooth_type 'synsp' on rotation matrices needs a rotation network for {K} joints per person "
            f"({DEFAULT_ROTATION_MODEL}, up to 200 joints), and none "
            f"is installed for x of shape {x.shape}; use 'oneeuro', 'gaus1d', 'savgol' or 'smoothnet'")
    persons = x.reshape(T, -1, K, 3, 3)
    bad = ~np.isfinite(persons).all(axis=(-2, -1))
    aa = matrix_to_axis_angle(np.where(bad[..., None, None], np.eye(3), persons))
    aa[bad] = np.nan
    out = _per_person(lambda person: refine_rotations(person, network), aa)
    return axis_angle_to_matrix(out).reshape(x.shape)


def _smpl_axis_angles(x: np.ndarray) -> np.ndarray:
    """SMPL axis-angles ``(T, [P,] 24, 3)`` through the default rotation network, each person alone."""
    network = rotation_filter(None, 24)
    return _per_person(lambda person: refine_rotations(person, network), x)


def _nearest_rotations(m: np.ndarray) -> np.ndarray:
    """The nearest rotation to each matrix ``(N, 3, 3)`` (:func:`synsp.geometry.nearest_rotation`); a matrix
    with NaN (a joint or person missing throughout) stays NaN."""
    out = np.full(m.shape, np.nan)
    finite = np.isfinite(m).all(axis=(1, 2))
    out[finite] = nearest_rotation(m[finite])
    return out


def _holds_rotations(x: np.ndarray) -> bool:
    """True when the trailing axes, ``(9,)`` or ``(3, 3)``, hold rotation matrices (NaN ones aside)."""
    if x.shape[-1] != 9 and x.shape[-2:] != (3, 3):
        return False
    m = np.asarray(x, dtype=np.float64).reshape(-1, 3, 3)
    m = m[np.isfinite(m).all(axis=(1, 2))]
    if not len(m):
        return False
    orthonormal = np.abs(m @ m.transpose(0, 2, 1) - np.eye(3)).max() < _ROTATION_TOLERANCE
    return bool(orthonormal and (np.linalg.det(m) > 0).all())
