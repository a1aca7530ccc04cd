"""The :class:`Motion` container returned by the skeleton readers (BVH, ASF/AMC, exp-map)."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from synsp.kinematics import check_parents, forward_kinematics
from synsp.validation import SynspInputError

__all__ = ["Motion"]

_UNIT_NAMES = {1.0: "m", 0.1: "dm", 0.01: "cm", 0.001: "mm", 0.0254: "in"}


def unit_label(metres_per_unit: float, fallback: str) -> str:
    """The name of a length unit (``"m"``, ``"cm"``, ``"mm"``, ...) of ``metres_per_unit``, else ``fallback``."""
    for value, name in _UNIT_NAMES.items():
        if abs(metres_per_unit - value) <= 1e-12 * max(1.0, value):
            return name
    return fallback


@dataclass(eq=False)
class Motion:
    """A skeleton animation: a joint tree, per-frame local rotations and the root path.

    ``positions`` (T, J, 3) and ``global_rotations`` (T, J, 3, 3) are computed by
    :func:`synsp.kinematics.forward_kinematics` when first asked for (column-vector
    convention; see that module; a motion only written back or whose rotations alone are used never
    needs them: an hour of 57 joints is 560 MB of them) and kept.  They are not recomputed if you edit the arrays in
    place: use :func:`dataclasses.replace` or the methods below, which return new objects.

    Attributes
    ----------
    joint_names : list of str, one per joint (root first).
    parents : (J,) int64, ``parents[0] == -1``, ``0 <= parents[j] < j``.
    offsets : (J, 3) rest offset of every joint from its parent (in ``units``).
    local_rotations : (T, J, 3, 3) local rotation matrices.
    root_translation : (T, 3) world position of joint 0 (in ``units``).
    fps : frames per second.
    units : label of the length unit (``"m"``, ``"cm"``, ``"asf"``, ...).
    metres_per_unit : multiply lengths by this to get metres (1.0 when ``units == "m"``).
    source : the file the motion was read from, if any.
    offset_frame : ``"parent"`` (BVH, exp-map) or ``"self"`` (ASF/AMC bone ends); see
        :mod:`synsp.kinematics`.
    translations : optional (T, J, 3) per-frame local translations, used instead of
        ``offsets`` by the FK (BVH joints other than the root with position channels).
    end_site : optional (J,) bool, True for points that are BVH ``End Site`` entries.
    channels : optional per-joint tuple of BVH channel names (kept so that
        :func:`synsp.io.write_bvh` writes the same layout back).
    """

    joint_names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    local_rotations: np.ndarray
    root_translation: np.ndarray
    fps: float
    units: str = "m"
    metres_per_unit: float = 1.0
    source: str | None = None
    offset_frame: str = "parent"
    translations: np.ndarray | None = None
    end_site: np.ndarray | None = None
    channels: list[tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        self.joint_names = [str(n) for n in self.joint_names]
        J = len(self.joint_names)
        self.parents = check_parents(self.parents, J, "Motion.parents")
        self.offsets = np.asarray(self.offsets, dtype=np.float64)
        if self.offsets.shape != (J, 3):
            raise SynspInputError(f"Motion.offsets has shape {self.offsets.shape}; expected ({J}, 3)")
        self.local_rotations = np.asarray(self.local_rotations, dtype=np.float64)
        if self.local_rotations.ndim != 4 or self.local_rotations.shape[1:] != (J, 3, 3):
            raise SynspInputError(
                f"Motion.local_rotations has shape {self.local_rotations.shape}; expected (T, {J}, 3, 3)"
            )
        T = self.local_rotations.shape[0]
        self.root_translation = np.asarray(self.root_translation, dtype=np.float64)
        if self.root_translation.shape != (T, 3):
            raise SynspInputError(
                f"Motion.root_translation has shape {self.root_translation.shape}; expected ({T}, 3)"
            )
        if self.translations is not None:
            self.translations = np.asarray(self.translations, dtype=np.float64)
            if self.translations.shape != (T, J, 3):
                raise SynspInputError(
                    f"Motion.translations has shape {self.translations.shape}; expected ({T}, {J}, 3)"
                )
        if self.end_site is not None:
            self.end_site = np.asarray(self.end_site, dtype=bool)
            if self.end_site.shape != (J,):
                raise SynspInputError(f"Motion.end_site has shape {self.end_site.shape}; expected ({J},)")
        if self.channels is not None:
            if len(self.channels) != J:
                raise SynspInputError(f"Motion.channels has {len(self.channels)} entries; expected {J}")
            self.channels = [tuple(c) for c in self.channels]
        self.fps = float(self.fps)
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise SynspInputError(f"Motion.fps is {self.fps}; expected a positive frame rate")
        self.metres_per_unit = float(self.metres_per_unit)
        if not np.isfinite(self.metres_per_unit) or self.metres_per_unit <= 0:
            raise SynspInputError(f"Motion.metres_per_unit is {self.metres_per_unit}; expected > 0")

    @functools.cached_property
    def _kinematics(self) -> tuple[np.ndarray, np.ndarray]:
        offsets = self.translations if self.translations is not None else self.offsets
        return forward_kinematics(
            self.local_rotations, offsets, self.parents, self.root_translation, offset_frame=self.offset_frame
        )

    @property
    def positions(self) -> np.ndarray:
        """(T, J, 3) joint positions (forward kinematics, computed once)."""
        return self._kinematics[0]

    @property
    def global_rotations(self) -> np.ndarray:
        """(T, J, 3, 3) global joint rotations (forward kinematics, computed once)."""
        return self._kinematics[1]

    # ------------------------------------------------------------------ properties
    @property
    def num_frames(self) -> int:
        return int(self.local_rotations.shape[0])

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def duration(self) -> float:
        """Seconds covered by the frames (``num_frames / fps``)."""
        return self.num_frames / self.fps

    def __repr__(self) -> str:
        return (
            f"Motion({self.num_frames} frames @ {self.fps:g} fps, {self.num_joints} joints, "
            f"units={self.units!r}, source={self.source!r})"
        )

    # ------------------------------------------------------------------ joints
    def joint_index(self, name: str) -> int:
        try:
            return self.joint_names.index(name)
        except ValueError:
            raise SynspInputError(
                f"joint {name!r} is not in this motion{self._from()}; its joints are {self.joint_names}"
            ) from None

    def points(self, names: Sequence[str]) -> np.ndarray:
        """Positions ``(T, len(names), 3)`` of the named joints, in the given order."""
        idx = [self.joint_index(n) for n in names]
        return self.positions[:, idx]

    def bone_lengths(self) -> np.ndarray:
        """``(T, J)`` distance from every joint to its parent (0 for the root)."""
        out = np.zeros((self.num_frames, self.num_joints))
        d = self.positions[:, 1:] - self.positions[:, self.parents[1:]]
        out[:, 1:] = np.linalg.norm(d, axis=-1)
        return out

    def rest_positions(self) -> np.ndarray:
        """``(J, 3)`` joint positions with every local rotation = identity and the root at the origin."""
        eye = np.broadcast_to(np.eye(3), (1, self.num_joints, 3, 3))
        pos, _ = forward_kinematics(eye, self.offsets, self.parents, np.zeros((1, 3)), offset_frame=self.offset_frame)
        return pos[0]

    # ------------------------------------------------------------------ frames
    def select_frames(self, index: Any) -> "Motion":
        """New motion with the frames ``index`` (a slice, an int array or a bool mask)."""
        if isinstance(index, slice):
            idx = np.arange(self.num_frames)[index]
        else:
            idx = np.asarray(index)
            if idx.dtype == bool:
                if idx.shape != (self.num_frames,):
                    raise SynspInputError(
                        f"frame mask has shape {idx.shape}; expected ({self.num_frames},)"
                    )
                idx = np.flatnonzero(idx)
            elif not np.issubdtype(idx.dtype, np.integer):
                raise SynspInputError(f"frame index must be a slice, ints or a bool mask; found dtype {idx.dtype}")
            idx = idx.reshape(-1)
            if idx.size and (idx.min() < -self.num_frames or idx.max() >= self.num_frames):
                raise SynspInputError(
                    f"frame index out of range for a motion of {self.num_frames} frames "
                    f"(found {int(idx.min())}..{int(idx.max())})"
                )
        if idx.size == 0:
            raise SynspInputError(f"selecting no frames of a {self.num_frames}-frame motion leaves it empty")
        return dataclasses.replace(
            self,
            local_rotations=self.local_rotations[idx],
            root_translation=self.root_translation[idx],
            translations=None if self.translations is None else self.translations[idx],
        )

    def drop_frames(self, first: int = 0, last: int = 0) -> "Motion":
        """New motion without the first ``first`` and the last ``last`` frames.

        ``motion.drop_frames(1)`` removes a T-pose/rest frame at the start.
        """
        first, last = int(first), int(last)
        if first < 0 or last < 0:
            raise SynspInputError(f"drop_frames(first={first}, last={last}): counts must be >= 0")
        if first + last >= self.num_frames:
            raise SynspInputError(
                f"drop_frames(first={first}, last={last}) would leave no frames of {self.num_frames}"
            )
        return self.select_frames(slice(first, self.num_frames - last))

    def with_fps(self, fps: float) -> "Motion":
        """Same frames, relabelled with the true frame rate (no resampling)."""
        return dataclasses.replace(self, fps=fps)

    # ------------------------------------------------------------------ units
    def scaled(self, factor: float, units: str | None = None) -> "Motion":
        """Multiply every length by ``factor`` (``metres_per_unit`` is divided by it)."""
        factor = float(factor)
        if not np.isfinite(factor) or factor <= 0:
            raise SynspInputError(f"scale factor is {factor}; expected a positive number")
        mpu = self.metres_per_unit / factor
        if units is None:
            units = self.units if factor == 1.0 else unit_label(mpu, f"{self.units}*{factor:g}")
        return dataclasses.replace(
            self,
            offsets=self.offsets * factor,
            root_translation=self.root_translation * factor,
            translations=None if self.translations is None else self.translations * factor,
            units=units,
            metres_per_unit=mpu,
        )

    def to_metres(self) -> "Motion":
        """New motion with every length in metres (``units == "m"``)."""
        if self.units == "m" and self.metres_per_unit == 1.0:
            return self
        return self.scaled(self.metres_per_unit, units="m")

    # ------------------------------------------------------------------ conventions
    def to_parent_frame(self) -> "Motion":
        """Equivalent motion in the ``offset_frame="parent"`` (BVH) convention.

        For an ASF/AMC motion (points = bone *ends*, ``offset_frame="self"``) every bone
        becomes a joint at its *start* (its parent's end) carrying the bone's rotation, and
        every leaf bone gets an end-site point ``<name>_end`` at its end, appended after
        the original joints.  The original point ``i`` is then the start of any child of
        ``i`` (or ``i``'s end site), so no position is lost.  Joint names are kept.
        """
        if self.offset_frame == "parent":
            return self
        if self.translations is not None:
            raise SynspInputError("to_parent_frame() does not support per-frame translations")
        J = self.num_joints
        par = self.parents
        has_child = np.zeros(J, dtype=bool)
        has_child[par[1:]] = True
        leaves = [j for j in range(J) if not has_child[j]]
        bone = self.offsets.copy()
        bone[0] = 0.0  # the root's "end" is the root position itself
        offsets = np.zeros((J + len(leaves), 3))
        offsets[1:J] = bone[par[1:]]
        offsets[J:] = bone[leaves]
        parents = np.concatenate([par, np.asarray(leaves, dtype=np.int64)])
        names = list(self.joint_names)
        for j in leaves:
            name = f"{self.joint_names[j]}_end"
            while name in names:
                name += "_"
            names.append(name)
        eye = np.broadcast_to(np.eye(3), (self.num_frames, len(leaves), 3, 3))
        rots = np.concatenate([self.local_rotations, eye], axis=1)
        end_site = np.zeros(len(names), dtype=bool)
        end_site[J:] = True
        return Motion(
            joint_names=names,
            parents=parents,
            offsets=offsets,
            local_rotations=rots,
            root_translation=self.root_translation,
            fps=self.fps,
            units=self.units,
            metres_per_unit=self.metres_per_unit,
            source=self.source,
            offset_frame="parent",
            end_site=end_site,
        )

    def _from(self) -> str:
        return f" (from {self.source})" if self.source else ""
