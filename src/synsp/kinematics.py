"""Forward kinematics for joint trees (vectorised over frames).

Conventions
-----------
* **Column vectors.**  A rotation matrix ``R`` acts on a column vector ``v`` as
  ``R @ v``.  A joint's *local* rotation ``L_j`` maps vectors expressed in the
  joint's own frame into its parent's frame; its *global* rotation is
  ``G_j = G_parent @ L_j`` (``G_root = L_root``).
* **Offsets.**  ``offsets[j]`` is the fixed vector from the parent joint to joint
  ``j``.  With ``offset_frame="parent"`` (BVH, exp-map trees and most rigs) it is
  expressed in the parent's frame::

      p_j = p_parent + G_parent @ offsets[j]

  With ``offset_frame="self"`` (the Acclaim ASF/AMC "bone end" convention) it is
  expressed in the joint's own frame, so the joint's own rotation moves it::

      p_j = p_parent + G_j @ offsets[j]

  ``offsets`` may also be ``(T, J, 3)``: per-frame local translations, for rigs
  whose non-root joints carry translation channels.
* The root joint is index 0 and sits at ``root_translation[t]``; its offset is
  not used by the FK (readers fold it into ``root_translation``).
* Joints are topologically ordered: ``parents[0] == -1`` and
  ``0 <= parents[j] < j`` for every other joint.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synsp.validation import SynspInputError

__all__ = ["forward_kinematics", "forward_kinematics_torch", "check_parents"]


def check_parents(parents: Any, num_joints: int | None = None, name: str = "parents") -> np.ndarray:
    """Validate a parent array (``parents[0] == -1``, ``0 <= parents[j] < j``) and return it as int64."""
    arr = np.asarray(parents)
    if arr.ndim != 1:
        raise SynspInputError(f"{name} has shape {arr.shape}; expected a 1-d array of parent indices (J,)")
    if arr.size == 0:
        raise SynspInputError(f"{name} is empty; expected at least the root joint")
    if not np.issubdtype(arr.dtype, np.integer):
        as_int = arr.astype(np.int64) if np.issubdtype(arr.dtype, np.number) else None
        if as_int is None or not np.array_equal(as_int, arr):
            raise SynspInputError(f"{name} must hold integer joint indices; found dtype {arr.dtype}")
        arr = as_int
    arr = arr.astype(np.int64)
    if num_joints is not None and arr.size != num_joints:
        raise SynspInputError(f"{name} has {arr.size} entries; expected one per joint ({num_joints})")
    if arr[0] != -1:
        raise SynspInputError(f"{name}[0] is {arr[0]}; the root must be joint 0 with parent -1")
    for j in range(1, arr.size):
        p = int(arr[j])
        if not 0 <= p < j:
            raise SynspInputError(
                f"{name}[{j}] is {p}; expected a parent index in [0, {j - 1}] "
                "(joints must be ordered so that every parent comes before its children, "
                "and only joint 0 may be a root)"
            )
    return arr


def forward_kinematics(
    local_rotations: Any,
    offsets: Any,
    parents: Any,
    root_translation: Any,
    *,
    offset_frame: str = "parent",
) -> tuple[np.ndarray, np.ndarray]:
    """Joint positions and global rotations from local rotations.

    Parameters
    ----------
    local_rotations : (T, J, 3, 3)
        Local rotation of every joint relative to its parent (column-vector convention).
    offsets : (J, 3) or (T, J, 3)
        Parent-to-joint vectors (see the module docstring for ``offset_frame``).
    parents : (J,)
        Parent indices, ``parents[0] == -1`` and ``0 <= parents[j] < j``.
    root_translation : (T, 3)
        World position of the root joint in every frame.
    offset_frame : "parent" or "self"
        Frame in which ``offsets[j]`` is expressed.

    Returns
    -------
    positions : (T, J, 3) float64
    global_rotations : (T, J, 3, 3) float64
    """
    rot = np.asarray(local_rotations, dtype=np.float64)
    if rot.ndim != 4 or rot.shape[-2:] != (3, 3):
        raise SynspInputError(f"local_rotations has shape {rot.shape}; expected (T, J, 3, 3)")
    T, J = rot.shape[:2]
    par = check_parents(parents, J)
    off = np.asarray(offsets, dtype=np.float64)
    if off.shape not in ((J, 3), (T, J, 3)):
        raise SynspInputError(f"offsets has shape {off.shape}; expected ({J}, 3) or ({T}, {J}, 3)")
    root = np.asarray(root_translation, dtype=np.float64)
    if root.shape != (T, 3):
        raise SynspInputError(f"root_translation has shape {root.shape}; expected ({T}, 3)")
    if offset_frame not in ("parent", "self"):
        raise SynspInputError(f"offset_frame is {offset_frame!r}; expected 'parent' or 'self'")

    glob = np.empty_like(rot)
    pos = np.empty((T, J, 3), dtype=np.float64)
    glob[:, 0] = rot[:, 0]
    pos[:, 0] = root
    per_frame = off.ndim == 3
    for j in range(1, J):
        p = par[j]
        glob[:, j] = glob[:, p] @ rot[:, j]
        frame = glob[:, p] if offset_frame == "parent" else glob[:, j]
        if per_frame:
            pos[:, j] = pos[:, p] + np.einsum("tab,tb->ta", frame, off[:, j])
        else:
            pos[:, j] = pos[:, p] + frame @ off[j]
    return pos, glob


def forward_kinematics_torch(local_rotations: Any, offsets: Any, parents: Any) -> Any:
    """Differentiable joint positions ``(..., J, 3)`` of local rotations ``(..., J, 3, 3)`` (torch), the root at
    the origin, ``offsets`` ``(J, 3)`` in the parent's frame (the conventions of :func:`forward_kinematics`):
    what a training loss on a body's joints, rather than on its rotations, needs."""
    import torch

    rot = local_rotations
    if not isinstance(rot, torch.Tensor) or rot.dim() < 3 or rot.shape[-2:] != (3, 3):
        raise SynspInputError(f"local_rotations must be a (..., J, 3, 3) tensor; got {getattr(rot, 'shape', type(rot))}")
    par = check_parents(parents, rot.shape[-3])
    off = torch.as_tensor(np.asarray(offsets, dtype=np.float64), dtype=rot.dtype, device=rot.device)
    if off.shape != (rot.shape[-3], 3):
        raise SynspInputError(f"offsets has shape {tuple(off.shape)}; expected ({rot.shape[-3]}, 3)")
    glob = [rot[..., 0, :, :]]
    pos = [torch.zeros_like(rot[..., 0, :, 0])]
    for j in range(1, rot.shape[-3]):
        p = int(par[j])
        glob.append(glob[p] @ rot[..., j, :, :])
        pos.append(pos[p] + glob[p] @ off[j])
    return torch.stack(pos, dim=-2)
