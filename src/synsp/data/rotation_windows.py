"""Training windows of joint *rotations* (SMPL-style local axis-angles) with simulated errors.

:class:`RotationWindowDataset` is :class:`~synsp.data.dataset.WindowDataset` for
the corpus's ``smpl24`` rotations ``(T, 24, 3)`` (axis-angle, radians, local to
the parent joint; joint 0 is the body's global orientation).  Sampling, epochs,
chunks and the cache are the parent's; what a chunk is made of differs:

1. speed change 0.8-1.25 by normalised linear interpolation of sign-continuous
   quaternions (:func:`resample_rotations`), not of the axis-angle vectors;
2. mirror (probability 0.5): left and right joints swapped and every rotation
   mirrored in the body's sagittal plane (SMPL's lateral axis is x, so the
   axis-angle ``(x, y, z)`` becomes ``(x, -y, -z)``; :func:`mirror_rotations`);
3. a uniform random rotation of the root orientation (the body's orientation in
   a camera frame can be anything); there is no scale: rotations have no size;
4. errors: :func:`synsp.noise.simulate` with ``representation="rotations"``
   (metre presets, whose lengths become angles through the preset's
   ``radians_per_metre``), or for an error family (``"mixed"``,
   ``"mixed-gentle"``) :func:`synsp.error_families.simulate_family` with
   ``representation="rotations"`` (a level in degrees per segment, exactly
   clean segments included);
5. ``input``: lost rotations filled along time on quaternions
   (:func:`fill_rotations`); ``mask`` = simulated miss or confidence < 0.3.

Items are the parent's: float32 ``gt``, ``input`` ``(W, 24 * 3)`` axis-angles
and ``mask``, ``confidence`` ``(W, 24)``.  Only ``mode="single"``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..geometry import (
    axis_angle_to_matrix,
    axis_angle_to_quaternion,
    matrix_to_axis_angle,
    quaternion_to_axis_angle,
)
from ..error_families import ErrorFamily, simulate_family
from ..missing import interpolate_missing
from ..noise import simulate
from ..skeletons import get_skeleton
from ..timeseries import continuous_quaternions, per_chunk, resample
from ..validation import SynspInputError
from .dataset import MASK_CONFIDENCE, Chunk, WindowDataset, random_rotation

__all__ = ["RotationWindowDataset", "resample_rotations", "mirror_rotations", "fill_rotations"]


def resample_rotations(aa: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Axis-angles ``(T, J, 3)`` at fractional frame ``times`` (normalised quaternion lerp)."""
    q = continuous_quaternions(axis_angle_to_quaternion(np.asarray(aa, dtype=np.float64)))  # the short way
    out = resample(q, times)
    return quaternion_to_axis_angle(out / np.linalg.norm(out, axis=-1, keepdims=True))


def mirror_rotations(aa: np.ndarray, skeleton: Any = "smpl24") -> np.ndarray:
    """The mirror image of local axis-angles ``(..., J, 3)`` whose lateral axis is x."""
    return -get_skeleton(skeleton).mirror(aa, axis=0)


def fill_rotations(aa: np.ndarray) -> np.ndarray:
    """NaN rotations of ``(T, ..., 3)`` filled along time: normalised linear interpolation of
    sign-continuous quaternions (held at the ends); a joint never seen is the identity."""
    aa = np.asarray(aa, dtype=np.float64)
    nan = np.isnan(aa).any(-1)
    if not nan.any():
        return aa
    q = per_chunk(axis_angle_to_quaternion, np.where(nan[..., None], 0.0, aa))
    q[nan] = np.nan
    never = nan.all(axis=0)
    q[:, never] = (1.0, 0.0, 0.0, 0.0)
    shape = q.shape
    q = continuous_quaternions(q.reshape(shape[0], -1, 4))
    filled, _ = interpolate_missing(q)
    filled /= np.linalg.norm(filled, axis=-1, keepdims=True)
    return per_chunk(quaternion_to_axis_angle, filled.reshape(shape))


class RotationWindowDataset(WindowDataset):
    """:class:`WindowDataset` over ``(T, J, 3)`` local axis-angle clips (see the module docstring).

    ``clips``: axis-angle arrays (e.g. the corpus clips' ``rotations``, from
    ``load_corpus(..., rotations=True)``) on ``skeleton`` (``"smpl24"``).
    """

    def __init__(self, clips: Sequence[Any], window: int = 8, skeleton: Any = "smpl24", fps: float = 30.0,
                 preset: Any = None, seed: int = 0, augment: Any = True, windows_per_epoch: int | None = None,
                 mode: str = "single", **_ignored: Any) -> None:
        if mode != "single":
            raise SynspInputError(f"mode is {mode!r}; rotation training supports mode 'single' only")
        arrays = [np.asarray(getattr(c, "rotations", c), dtype=np.float32) for c in clips]
        if any(a is None or a.ndim != 3 for a in arrays):
            raise SynspInputError("rotation clips must be (T, J, 3) axis-angle arrays (load_corpus(rotations=True))")
        super().__init__(arrays, window=window, skeleton=skeleton, fps=fps, preset=preset, mode="single",
                         representation="3d", seed=seed, augment=augment, windows_per_epoch=windows_per_epoch)
        self.representation = "rotations"

    def _make_chunk(self, clip: int, c: int) -> Chunk:
        rng = np.random.default_rng([self.seed, self._epoch, 0, clip, c])
        aug, sk = self.augment, self.skeleton
        a0, speed, times = self._chunk_times(rng, clip, c)
        frames = resample_rotations(self._clips[clip], times)  # (n, J, 3)
        mirrored = bool(rng.random() < aug.mirror and sk.left_right)
        if mirrored:
            frames = mirror_rotations(frames, sk)
        if aug.rotation:
            frames[:, 0] = matrix_to_axis_angle(random_rotation(rng) @ axis_angle_to_matrix(frames[:, 0]))
        gt = frames[:, None]  # (n, 1, J, 3)
        preset = self.presets[int(rng.integers(len(self.presets)))]
        if isinstance(preset, ErrorFamily):
            sim = simulate_family(gt, preset, skeleton=sk, fps=self.fps, seed=int(rng.integers(2**63 - 1)),
                                  representation="rotations")
        else:
            sim = simulate(gt, preset, skeleton=sk, fps=self.fps, seed=int(rng.integers(2**63 - 1)),
                           representation="rotations")
        return Chunk(a0=a0, speed=speed, gt=gt.astype(np.float32),
                      input=fill_rotations(sim.pred).astype(np.float32),
                      confidence=sim.confidence.astype(np.float32),
                      mask=sim.missing | (sim.confidence < MASK_CONFIDENCE), mirrored=mirrored)
