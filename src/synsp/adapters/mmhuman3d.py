"""A drop-in for MMHuman3D's ``mmhuman3d.utils.demo_utils.smooth_process``.

Interface mirrored: ``smooth_process(x, smooth_type='savgol',
cfg_base_dir=...)`` smooths ``x`` of shape ``(frames, K, C)`` or ``(frames,
persons, K, C)`` along time and returns an array of the same shape and dtype::

    from synsp.adapters.mmhuman3d import smooth_process   # was: from mmhuman3d.utils.demo_utils import ...
    joints = smooth_process(joints, smooth_type='smoothnet')          # (T, 17, 3) -> shipped SmoothNet
    rotmat = smooth_process(rotmat.reshape(T, -1, 24, 9), 'savgol')   # rotations stay rotations
    boxes = smooth_process(boxes[:, None], smooth_type='oneeuro')      # any C, channel by channel

``smooth_type`` takes MMHuman3D's names, mapped onto synsp refiners with the
same definition and MMHuman3D's default settings:

=========================== ==================================================================
``oneeuro``                  ``one-euro-mmpose`` (min_cutoff 0.004, beta 0.7, t_e = 1 frame)
``savgol``                   Savitzky-Golay, window 11, polyorder 2, window shrunk for short input
``gaus1d``                   ``gaussian-mmpose``: running median of 11 frames, then Gaussian sigma 4
``smoothnet``                as ``smoothnet_windowsize8``
``smoothnet_windowsize<W>``  the shipped SmoothNet of window W (W = 8, 16, 32, 64), if any:
                             ``smoothnet-h36m17-3d-w8`` is W = 8, 17 Human3.6M joints in 3D
``synsp``                    (synsp's addition) the default shipped model, as ``synsp.refine``;
                             SMPL rotation matrices (24 joints): the rotation network
                             ``synsp-smpl24-rot-w8`` (:mod:`synsp.rotations`)
=========================== ==================================================================

With ``cfg_base_dir`` the settings come, as in MMHuman3D, from the dict
``smooth_cfg`` of ``<cfg_base_dir>/<smooth_type>.py`` (run as plain Python):
``type`` ``oneeuro`` / ``OneEuroFilter`` (``min_cutoff``, ``beta``),
``savgol`` / ``SGFilter`` (``window_size``, ``polyorder``), ``gaus1d`` /
``Gaus1dFilter`` (``window_size``, ``sigma``) or ``smoothnet`` /
``SmoothNetFilter`` (``window_size``; MMHuman3D's ``checkpoint`` and network
sizes are ignored: synsp uses its shipped SmoothNet of that window).

Filters smooth every channel on its own, whatever ``C`` is (keypoints,
bounding boxes, cameras, axis-angles, rotation matrices); the persons are
independent.  Networks need the keypoints they were trained for: any other
``(K, C)`` raises :class:`SynspInputError` listing the shipped models.

Rotation matrices, ``(..., 9)`` or ``(..., 3, 3)`` whose input matrices are
all rotations (orthonormal to 1e-3, determinant +1), are smoothed entry by
entry as in MMHuman3D and then replaced by the nearest rotation (Frobenius
norm, by SVD), so the output holds valid rotations.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..api import default_model
from ..filters.base import Refiner
from ..geometry import axis_angle_to_matrix, matrix_to_axis_angle, nearest_rotation
from ..refiners import NetworkRefiner, get_refiner
from ..validation import SynspInputError
from .mmpose import describe_shipped, load_config, refiner_from_config

__all__ = ["SMOOTH_TYPES", "smooth_process"]

SMOOTH_TYPES = ("oneeuro", "gaus1d", "savgol", "smoothnet", "smoothnet_windowsize8", "smoothnet_windowsize16",
                "smoothnet_windowsize32", "smoothnet_windowsize64", "synsp")
"""MMHuman3D's smooth types, and ``synsp``."""

# MMHuman3D's configs/_base_/post_processing/<smooth_type>.py
_CONFIGS: dict[str, dict[str, Any]] = {
    "oneeuro": {"type": "oneeuro", "min_cutoff": 0.004, "beta": 0.7},
    "savgol": {"type": "savgol", "window_size": 11, "polyorder": 2},
    "gaus1d": {"type": "gaus1d", "window_size": 11, "sigma": 4},
    "smoothnet": {"type": "smoothnet", "window_size": 8},
    **{f"smoothnet_windowsize{w}": {"type": "smoothnet", "window_size": w} for w in (8, 16, 32, 64)},
}

# MMHuman3D post-processing registry names -> (synsp preset, MMHuman3D argument -> synsp parameter)
_ONE_EURO = ("one-euro-mmpose", {"min_cutoff": "min_cutoff", "beta": "beta"})
_SAVGOL = ("savgol", {"window_size": "window", "polyorder": "polyorder"})  # shrinks the window, as MMHuman3D
_GAUS1D = ("gaussian-mmpose", {"window_size": "window", "sigma": "sigma"})
_FILTERS = {"oneeuro": _ONE_EURO, "OneEuroFilter": _ONE_EURO, "savgol": _SAVGOL, "SGFilter": _SAVGOL,
            "gaus1d": _GAUS1D, "Gaus1dFilter": _GAUS1D}
_SMOOTHNET = ("smoothnet", "SmoothNetFilter")

_ROTATION_TOLERANCE = 1e-3


def smooth_process(x: Any, smooth_type: str = "savgol", cfg_base_dir: str | os.PathLike | None = None) -> np.ndarray:
    """Smooth ``x`` ``(frames, K, C)`` or ``(frames, persons, K, C)`` along time (see the module docstring).

    Raises:
        SynspInputError: unknown ``smooth_type``, a bad array, or a network
            given keypoints it was not trained for.
    """
    if smooth_type not in SMOOTH_TYPES:
        raise SynspInputError(f"smooth_type is {smooth_type!r}; expected one of {', '.join(SMOOTH_TYPES)}")
    arr = np.asarray(x)
    if arr.ndim not in (3, 4) or 0 in arr.shape or not np.issubdtype(arr.dtype, np.number):
        raise SynspInputError(
            f"x has shape {arr.shape} and dtype {arr.dtype}; expected a non-empty numeric array "
            "(frames, K, C) or (frames, persons, K, C)"
        )
    if np.isinf(arr).any():
        raise SynspInputError("x contains inf; pass finite values (NaN marks a missing value)")
    data = arr.astype(np.float64)
    if smooth_type == "synsp" and _holds_rotations(data):
        return _smpl_rotations(data).astype(arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64)
    refiner = _refiner(smooth_type, cfg_base_dir, data.shape)
    if isinstance(refiner, NetworkRefiner):
        _check_network(refiner, smooth_type, data.shape)
        out = refiner(data)
    else:
        out = _per_channel(refiner, data)
    if _holds_rotations(data):
        out = nearest_rotation(out.reshape(-1, 3, 3)).reshape(arr.shape)
    return out.astype(arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64)


def _refiner(smooth_type: str, cfg_base_dir: str | os.PathLike | None, shape: tuple[int, ...]) -> Refiner:
    if smooth_type == "synsp":
        K, C = shape[-2:]
        try:
            return get_refiner(default_model(K, C))
        except SynspInputError as err:
            raise SynspInputError(
                f"smooth_type 'synsp' needs a shipped model for K = {K} keypoints with C = {C} coordinates "
                f"and none is shipped (shipped: {describe_shipped()}); use 'oneeuro', 'gaus1d' or 'savgol'"
            ) from err
    if cfg_base_dir is None:
        cfg = _CONFIGS[smooth_type]
    else:
        cfg = load_config(os.path.join(cfg_base_dir, f"{smooth_type}.py"), "smooth_cfg")
    return refiner_from_config(cfg, _FILTERS, _SMOOTHNET, "smooth_cfg")


def _check_network(refiner: NetworkRefiner, smooth_type: str, shape: tuple[int, ...]) -> None:
    card = refiner.card
    joints = refiner.skeleton.num_joints if refiner.skeleton else shape[-2]
    if shape[-2:] != (joints, card.dims):
        raise SynspInputError(
            f"smooth_type {smooth_type!r} uses {card.name!r}, which refines {joints} joints ({card.skeleton}) "
            f"x {card.dims} coordinates; x has K = {shape[-2]}, C = {shape[-1]} (shape {shape}).  Shipped: "
            f"{describe_shipped()}; use 'oneeuro', 'gaus1d' or 'savgol' for other data"
        )


def _smpl_rotations(x: np.ndarray) -> np.ndarray:
    """SMPL rotation matrices ``(T, ..., 9)`` / ``(T, ..., 3, 3)``, 24 per person, through the rotation network."""
    from ..rotations import DEFAULT_ROTATION_MODEL, refine_rotations

    T = x.shape[0]
    m = x.reshape(T, -1, 3, 3)
    if m.shape[1] % 24:
        raise SynspInputError(
            f"smooth_type 'synsp' on rotation matrices needs 24 SMPL joints per person ({DEFAULT_ROTATION_MODEL}); "
            f"x has shape {x.shape} ({m.shape[1]} matrices per frame); use 'oneeuro', 'gaus1d' or 'savgol'")
    persons = m.reshape(T, -1, 24, 3, 3)
    bad = ~np.isfinite(persons).all(axis=(-2, -1))
    aa = matrix_to_axis_angle(np.where(bad[..., None, None], np.eye(3), persons))
    aa[bad] = np.nan
    out = np.stack([refine_rotations(aa[:, p], DEFAULT_ROTATION_MODEL) for p in range(aa.shape[1])], axis=1)
    return axis_angle_to_matrix(out).reshape(x.shape)


def _per_channel(refiner: Refiner, x: np.ndarray) -> np.ndarray:
    """Filter every channel of ``x`` ``(T, ...)`` on its own.

    synsp filters take ``(T, J, D)`` with D = 2 or 3 and treat every
    coordinate independently, so the channels are laid out as ``(T, J, 3)``
    (zero-padded to a multiple of 3; the padding is dropped).
    """
    T = x.shape[0]
    flat = x.reshape(T, -1)
    n = flat.shape[1]
    padded = np.concatenate([flat, np.zeros((T, -n % 3))], axis=1)
    return refiner(padded.reshape(T, -1, 3)).reshape(T, -1)[:, :n].reshape(x.shape)


def _holds_rotations(x: np.ndarray) -> bool:
    """True when the trailing axes, ``(9,)`` or ``(3, 3)``, hold rotation matrices (NaN ones aside)."""
    if x.shape[-1] != 9 and x.shape[-2:] != (3, 3):
        return False
    m = x.reshape(-1, 3, 3)
    m = m[np.isfinite(m).all(axis=(1, 2))]
    if not len(m):
        return False
    orthonormal = np.abs(m @ m.transpose(0, 2, 1) - np.eye(3)).max() < _ROTATION_TOLERANCE
    return bool(orthonormal and (np.linalg.det(m) > 0).all())
