"""A drop-in for MMHuman3D's ``smooth_process`` and its post-processing filters (``build_post_processing``).

Interface mirrored: ``smooth_process(x, smooth_type='savgol',
cfg_base_dir='configs/_base_/post_processing/')`` smooths ``x`` of shape
``(frames, K, C)`` or ``(frames, persons, K, C)`` along time (persons
independently) and returns an array of the same shape::

    from synsp.adapters.mmhuman3d import smooth_process   # was: from mmhuman3d.utils.demo_utils import ...
    poses = smooth_process(rotmat.reshape(T, 24, 9), smooth_type='smoothnet_windowsize8')  # stays rotations
    verts = smooth_process(verts, smooth_type='smoothnet')                # (T, 6890, 3), as MMHuman3D's demo
    cams = smooth_process(pred_cams[:, None], smooth_type='oneeuro')      # (T, 1, 3)

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
                                channel, :class:`synsp.adapters.mmpose.SharedSmoothNet`); W = 8 and 32 are
                                shipped, 16 and 64 raise :class:`SynspInputError` naming them
``deciwatch_interval<N>_q<Q>``  DeciWatch (MMHuman3D's speed-up configs, ``speed_up_cfg``): the shipped
                                ``deciwatch-h36m17-3d-w101`` samples one frame in 10 (N = 10; its window
                                has Q = 10 intervals, for every Q asked) and refines 17 Human3.6M joints
                                in 3D; N = 5, or other data (MMHuman3D's are SMPL poses), raises naming
                                the shipped model
``synsp``                       (synsp) the default shipped model, as ``synsp.refine``; SMPL rotation
                                matrices (24 joints): the rotation network ``synsp-smpl24-rot-w8``
============================== =================================================================

``cfg_base_dir`` is MMHuman3D's ``configs/_base_/post_processing`` folder:
the settings come from the dict ``smooth_cfg`` (DeciWatch: ``speed_up_cfg``)
of ``<cfg_base_dir>/<smooth_type>.py`` (``smoothnet`` reads
``smoothnet_windowsize8.py``; ``gaus1d_time`` reads ``gaus1d.py``), run as
plain Python.  The default is MMHuman3D's relative path; where the current
folder has no such file, the built-in copy of MMHuman3D's settings is used
(a ``cfg_base_dir`` you pass must hold the file).  ``None`` means the
built-in settings.

Input and output: numpy in, numpy out; a torch tensor in, a tensor out with
the input's dtype and device.  The output keeps the input's dtype, as
MMHuman3D's filters do: float32 stays float32 and integer input comes back as
integers (the smoothed values truncated towards zero).  NaN marks a missing
value (filled by linear interpolation over time); inf raises.

Rotation matrices, ``(..., 9)`` or ``(..., 3, 3)`` whose input matrices are
all rotations (orthonormal to 1e-3, determinant +1), are smoothed entry by
entry (the matrices of a frame are its keypoints, so ``(T, 24, 3, 3)`` is
``(T, 24, 9)``) and then replaced by the nearest rotation (Frobenius norm, by
SVD), so the output holds valid rotations.

Deliberate differences from MMHuman3D, each where MMHuman3D fails or returns
something unusable:

* SmoothNet treats C = 3 as points (keypoints, vertices: normalised around
  their mean per window as synsp's SmoothNet was trained), where MMHuman3D's
  reads every C = 3 array as axis-angles (vertices included) and refuses C
  other than 3, 6, 9; cameras, 6D and matrices enter as they are (minus each
  window's mean).  MMHuman3D's SmoothNet/DeciWatch checkpoints are never
  loaded.
* ``(T, 24, 3, 3)`` rotation matrices are 24 keypoints of 9 entries
  (MMHuman3D: 24 persons of 3 keypoints, which its ``gaus1d`` turns into
  zeros and its SmoothNet reads as axis-angles).
* ``gaus1d`` with an even ``T`` shorter than the window uses ``T - 1``
  (MMHuman3D's ``medfilt`` raises); with ``K <= window // 2`` keypoints its
  output is zero, as MMHuman3D's: a warning says so and names ``gaus1d_time``.
* ``savgol`` on one frame returns it (MMHuman3D raises).
* torch tensors are accepted by ``smooth_process`` too (MMHuman3D's needs
  numpy), and the SmoothNet/DeciWatch filters return the input's dtype.
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

from ..api import default_model
from ..filters import get_filter
from ..filters.base import check_positive
from ..geometry import axis_angle_to_matrix, matrix_to_axis_angle, nearest_rotation
from ..refiners import get_refiner
from ..validation import SynspInputError, is_torch
from .mmpose import (SharedSmoothNet, as_sequence, build_from_registry, cast_like, describe_shipped, fill_missing,
                     load_config, per_channel, shipped_cards)

__all__ = ["SMOOTH_TYPES", "DEFAULT_CFG_BASE_DIR", "smooth_process", "build_post_processing", "POST_PROCESSING",
           "OneEuroFilter", "Gaus1dFilter", "Gaus1dTimeFilter", "SGFilter", "SmoothNetFilter",
           "DeciWatchPostProcessing"]

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
        images = fill_missing(arr.astype(np.float64)).transpose(2, 1, 0)  # (C, K, T): one (K, T) image per channel
        median = median_filter(images, size=(1, w, w), mode="constant", cval=0.0)
        return gaussian_filter1d(median, float(self.sigma), axis=-1).transpose(2, 1, 0)


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
        return savgol_filter(x.reshape(T, -1), w, order, axis=0).reshape(x.shape)


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
    """DeciWatch: the shipped DeciWatch that samples one frame in ``interval`` (see the module docstring).

    Its windows start on the sampled frames ``0, N, 2N, ...`` (stride N), as
    MMHuman3D's, so the frames it reads are the ones a speed-up estimated.
    ``slide_window_q`` and ``checkpoint`` are accepted; the shipped window is used.
    """

    def __init__(self, interval: int, slide_window_q: int, checkpoint: str | None = None, device: Any = None):
        check_positive(interval, "interval", integer=True)
        check_positive(slide_window_q, "slide_window_q", integer=True)
        self.interval, self.slide_window_q = int(interval), int(slide_window_q)
        names = [name for name, card in shipped_cards().items() if card["architecture"] == "deciwatch"]
        nets = {name: get_refiner(name) for name in names}
        shipped = ", ".join(f"{n} (interval {r.model.config.interval}, q {r.model.config.q}, {r.card.skeleton} in "
                            f"{r.card.dims}D)" for n, r in nets.items()) or "none"
        match = [n for n, r in nets.items() if r.model.config.interval == self.interval]
        if not match:
            raise SynspInputError(
                f"DeciWatch interval={interval} (deciwatch_interval{interval}_q{slide_window_q}): no shipped DeciWatch "
                f"samples one frame in {interval}; shipped: {shipped}.  MMHuman3D's DeciWatch checkpoints cannot be "
                "loaded; train one with `synsp train --architecture deciwatch`")
        self.refiner = get_refiner(match[0], stride=self.interval, device=str(device or "cpu"))
        self.shipped = shipped

    def _smooth(self, arr: np.ndarray) -> np.ndarray:
        card = self.refiner.card
        joints = self.refiner.skeleton.num_joints if self.refiner.skeleton else arr.shape[1]
        if arr.shape[1:] != (joints, card.dims):
            raise SynspInputError(
                f"DeciWatch: x has (K, C) = {arr.shape[1:]}; the shipped DeciWatch refines {joints} {card.skeleton} "
                f"joints in {card.dims}D ({self.shipped}).  MMHuman3D's DeciWatch takes SMPL poses (24 rotations), "
                "which no shipped DeciWatch was trained on; smooth them with 'smoothnet_windowsize8' or 'synsp'")
        return self.refiner(arr.astype(np.float64))


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


def smooth_process(x: Any, smooth_type: str = "savgol", cfg_base_dir: str | os.PathLike | None = DEFAULT_CFG_BASE_DIR
                   ) -> Any:
    """Smooth ``x`` ``(frames, K, C)`` or ``(frames, persons, K, C)`` along time (see the module docstring).

    Raises:
        SynspInputError: unknown ``smooth_type``, a bad array, a missing config
            file, or a network given data it cannot refine.
    """
    if smooth_type not in SMOOTH_TYPES:
        raise SynspInputError(f"smooth_type is {smooth_type!r}; expected one of {', '.join(SMOOTH_TYPES)}")
    arr = x.detach().cpu().numpy() if is_torch(x) else np.asarray(x)
    if arr.ndim not in (3, 4) or 0 in arr.shape or arr.dtype.kind not in "fiu":
        raise SynspInputError(
            f"x has shape {arr.shape} and dtype {arr.dtype}; expected a non-empty numeric array "
            "(frames, K, C) or (frames, persons, K, C)"
        )
    if arr.dtype.kind == "f" and np.isinf(arr).any():
        raise SynspInputError("x contains inf; pass finite values (NaN marks a missing value)")
    rotations = arr.dtype.kind == "f" and _holds_rotations(arr)
    if smooth_type == "synsp":
        out = _synsp(arr.astype(np.float64), rotations)
    else:
        smooth_func = build_post_processing(_smooth_config(smooth_type, cfg_base_dir))
        if rotations and isinstance(smooth_func, Gaus1dFilter):
            warnings.warn(
                "gaus1d's median over a block of keypoints x frames mixes the rotations of neighbouring joints, as "
                "MMHuman3D's does (the result is projected back onto rotations); smooth_type='gaus1d_time' "
                "filters every joint over time only", UserWarning, stacklevel=2)
        data = arr.reshape(arr.shape[0], -1, 9) if rotations and arr.shape[-2:] == (3, 3) else arr
        if data.ndim == 4:
            out = np.stack([smooth_func(data[:, p]) for p in range(data.shape[1])], axis=1)
        else:
            out = smooth_func(data)
        if rotations:
            out = nearest_rotation(out.reshape(-1, 3, 3))
        out = out.reshape(arr.shape)
    return _like(cast_like(out, arr), x)


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


def _synsp(x: np.ndarray, rotations: bool) -> np.ndarray:
    """``smooth_type='synsp'``: SMPL rotation matrices through the rotation network, anything else through
    ``synsp.refine``'s default model for its K and C."""
    if rotations:
        return _smpl_rotations(x)
    K, C = x.shape[-2:]
    try:
        refiner = get_refiner(default_model(K, C))
    except SynspInputError as err:
        raise SynspInputError(
            f"smooth_type 'synsp' needs a shipped model for K = {K} keypoints with C = {C} coordinates "
            f"and none is shipped (shipped: {describe_shipped()}); use 'oneeuro', 'gaus1d', 'savgol' or "
            "'smoothnet' (any K and C)"
        ) from err
    return refiner(x)


def _smpl_rotations(x: np.ndarray) -> np.ndarray:
    """SMPL rotation matrices ``(T, ..., 9)`` / ``(T, ..., 3, 3)``, 24 per person, through the rotation network."""
    from ..rotations import DEFAULT_ROTATION_MODEL, refine_rotations

    T = x.shape[0]
    m = x.reshape(T, -1, 3, 3)
    if m.shape[1] % 24:
        raise SynspInputError(
            f"smooth_type 'synsp' on rotation matrices needs 24 SMPL joints per person ({DEFAULT_ROTATION_MODEL}); "
            f"x has shape {x.shape} ({m.shape[1]} matrices per frame); use 'oneeuro', 'gaus1d', 'savgol' or "
            "'smoothnet'")
    persons = m.reshape(T, -1, 24, 3, 3)
    bad = ~np.isfinite(persons).all(axis=(-2, -1))
    aa = matrix_to_axis_angle(np.where(bad[..., None, None], np.eye(3), persons))
    aa[bad] = np.nan
    out = np.stack([refine_rotations(aa[:, p], DEFAULT_ROTATION_MODEL) for p in range(aa.shape[1])], axis=1)
    return axis_angle_to_matrix(out).reshape(x.shape)


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
