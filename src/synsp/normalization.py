"""Per-window normalisation that lets one network serve any units and placement.

A window of positions ``(..., W, J, D)`` (metres, millimetres or pixels, in any
camera or world frame) becomes network input ``(..., W, (J+1)*D)``:

* the **root trajectory** ``r(t)`` (mean of the skeleton's root joints) is split
  off: joints become root-relative, ``x - r(t)``;
* everything is divided by one **robust body size per window**, ``s`` = the
  median over the window's frames of the RMS distance of the joints to the
  root (never a per-frame scale: that would inject jitter);
* the trajectory itself, relative to its mean over the window,
  ``(r(t) - mean_t r) / s``, is appended as one extra "joint", so the root
  path is refined too instead of being passed through raw.

:func:`denormalize_windows` undoes it exactly.  The same rule serves 2D
keypoints (``s`` then plays the role of a per-window person box size) and 3D.
No rotation is normalised away: models are trained with full 3D rotation
augmentation instead.

Joint *rotations* (SMPL-style local rotations, as 6D vectors ``(..., W, J, 6)``,
:func:`synsp.geometry.matrix_to_rot6d`) need no unit or scale; only the root
joint's rotation is global (the body's orientation in the camera or world), so
:func:`normalize_rotation_windows` expresses it relative to the window's mean
root orientation ``M`` (the chordal mean: the rotation nearest to the sum of
the window's root matrices), ``M^T R_root(t)``, the rotation analogue of
subtracting the window's mean root position, and
:func:`denormalize_rotation_windows` turns it back with ``M``.  The card's
``normalization`` is then :data:`ROTATIONS_6D`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import matrix_to_rot6d, nearest_rotation, rot6d_to_matrix

__all__ = ["WindowStats", "SCALE_FLOOR", "normalize_windows", "denormalize_windows", "window_mask", "PER_VIEW", "SHARED_VIEWS",
           "ROTATIONS_6D", "CENTROID", "root_joints_of", "normalize_rotation_windows", "denormalize_rotation_windows"]

#: the model card's ``normalization`` values: each view on its own, or the views of one person together
PER_VIEW = "window-root-rms"
SHARED_VIEWS = "window-root-rms-shared-views"
ROTATIONS_6D = "rot6d-window-root-orientation"
#: any skeleton (the universal model): the root is the centroid of all joints, so no joint order is assumed
CENTROID = "window-centroid-rms"


def root_joints_of(normalization: str, root_joints: tuple[int, ...], num_joints: int) -> tuple[int, ...]:
    """The joints whose mean is the root under ``normalization``: all of them for :data:`CENTROID`,
    else the model card's ``root_joints``."""
    return tuple(range(num_joints)) if normalization == CENTROID else tuple(root_joints)


#: a window whose joints lie closer than this to their root (the median over frames of the RMS distance) has no
#: size to normalise by: its scale is taken as 1, and a refiner returns such a window as it came
#: (:attr:`WindowStats.flat`)
SCALE_FLOOR = 1e-9


@dataclass
class WindowStats:
    """What :func:`denormalize_windows` needs: ``centre (..., 1, D)`` and ``scale (..., 1, 1)``; ``flat``
    ``(...)``: the windows without a size (every joint at one point, :data:`SCALE_FLOOR`), None when not known."""

    centre: np.ndarray
    scale: np.ndarray
    flat: np.ndarray | None = None


def normalize_windows(
    windows: np.ndarray, root_joints: tuple[int, ...], stats: WindowStats | None = None,
    shared_views: bool = False,
) -> tuple[np.ndarray, WindowStats]:
    """``(..., W, J, D) -> (..., W, (J+1)*D)`` and the stats to undo it.

    ``stats`` given (those of the estimator's input window) normalises another
    window the same way: training targets must use the input's stats, the only
    ones known at inference.  ``shared_views``: windows ``(n, P, W, J, D)`` of P
    views of one person in one frame share one centre and scale (their means
    over the views), so the views stay comparable after normalisation.
    """
    x = np.asarray(windows, dtype=np.float64)
    root = x[..., list(root_joints), :].mean(axis=-2, keepdims=True)  # (..., W, 1, D)
    rel = x - root
    if stats is None:
        radius = np.sqrt((rel**2).sum(-1).mean(-1))  # (..., W)
        scale = np.median(radius, axis=-1)[..., None, None]  # (..., 1, 1)
        flat = ~(scale > SCALE_FLOOR)
        stats = WindowStats(root.mean(axis=-3), np.where(flat, 1.0, scale), flat[..., 0, 0])  # centre (..., 1, D)
        if shared_views:  # the P axis is the one before W
            stats = WindowStats(*(np.broadcast_to(a.mean(axis=-3, keepdims=True), a.shape)
                                  for a in (stats.centre, stats.scale)),
                                np.broadcast_to(stats.flat.all(axis=-1, keepdims=True), stats.flat.shape))
    scale, centre = stats.scale, stats.centre
    traj = (root - centre[..., None, :, :]) / scale[..., None]  # (..., W, 1, D)
    out = np.concatenate([rel / scale[..., None], traj], axis=-2)  # (..., W, J+1, D)
    return out.reshape(*out.shape[:-2], -1), stats


def denormalize_windows(y: np.ndarray, stats: WindowStats, dims: int) -> np.ndarray:
    """Network output ``(..., W, (J+1)*D) -> (..., W, J, D)`` in the input's units and frame."""
    y = np.asarray(y, dtype=np.float64)
    y = y.reshape(*y.shape[:-1], -1, dims)  # (..., W, J+1, D)
    scale = stats.scale[..., None]  # (..., 1, 1, 1)
    root = y[..., -1:, :] * scale + stats.centre[..., None, :, :]
    return y[..., :-1, :] * scale + root


def window_mask(missing: np.ndarray, root_joints: tuple[int, ...]) -> np.ndarray:
    """Missing flags ``(..., W, J)`` -> mask channels ``(..., W, J+1)`` (root: any root joint)."""
    m = np.asarray(missing, dtype=np.float64)
    return np.concatenate([m, m[..., list(root_joints)].max(axis=-1, keepdims=True)], axis=-1)


def normalize_rotation_windows(windows: np.ndarray, root: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """6D rotations ``(..., W, J, 6) -> (..., W, J*6)`` with joint 0 relative to the window's
    mean root orientation; also returns that orientation ``(..., 3, 3)``.

    ``root`` given (the input window's): normalise another window (the target) the same way.
    """
    x = np.array(windows, dtype=np.float64)
    R0 = rot6d_to_matrix(x[..., 0, :])  # (..., W, 3, 3)
    if root is None:
        root = nearest_rotation(R0.sum(axis=-3))
    x[..., 0, :] = matrix_to_rot6d(np.swapaxes(root, -1, -2)[..., None, :, :] @ R0)
    return x.reshape(*x.shape[:-2], -1), root


def denormalize_rotation_windows(y: np.ndarray, root: np.ndarray) -> np.ndarray:
    """Network output ``(..., W, J*6) -> (..., W, J, 6)`` with the root orientation restored."""
    y = np.array(y, dtype=np.float64)
    y = y.reshape(*y.shape[:-1], -1, 6)
    y[..., 0, :] = matrix_to_rot6d(root[..., None, :, :] @ rot6d_to_matrix(y[..., 0, :]))
    return y
