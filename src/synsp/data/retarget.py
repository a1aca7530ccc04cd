"""From a mocap skeleton's points to the standard joint sets synsp trains on.

Every source skeleton (CMU ASF, the two BVH rigs, the exp-map tree, optical
marker-joint positions) is first reduced to the same 19 **landmarks**
(:data:`LANDMARKS`: hips, knees, ankles, toes, shoulders, elbows, wrists, hand
centres, base of the neck, base of the skull, top of the head) plus, when the
source has rotations, the global rotation of its head segment.  The standard
skeletons are then defined once, from the landmarks, the same way for every
source, so that the sources share one anatomy:

* ``pelvis`` = midpoint of the hips; ``spine`` = midpoint of pelvis and thorax;
  ``thorax`` = base of the neck; Human3.6M's ``neck`` (its "neck/nose" point) =
  midpoint of the skull base and the nose; ``head_top`` = top of the head.
* j14 neck = base of the neck (the LSP "neck" between the shoulders).
* **Facial points (coco17 nose, eyes, ears) are rigid points of the head's
  frame.**  The frame has its origin at the head centre (midway from skull base
  to head top), ``up`` along skull base -> head top, ``left`` and ``forward``
  completing a right-handed frame (``left x up = forward``).  When the source
  has a head rotation, ``forward`` turns with it: a constant per-clip offset
  between the head segment's rotation and the frame is fitted (the rotation
  nearest, in the least-squares sense, to the frames given by the shoulders'
  left direction over the clip), so a head turn moves nose and eyes while the
  shoulders stay.  Without rotations (position-only sources) ``left`` is the
  shoulders' direction.  The points sit at fixed multiples of the head height
  ``h`` (skull base to top): nose 0.50 h forward and 0.10 h down from the
  centre, eyes 0.40 h forward, 0.10 h up and 0.16 h to each side, ears 0.38 h
  to each side.
"""

from __future__ import annotations

import numpy as np

from ..geometry import matrix_to_axis_angle, nearest_rotation
from ..skeletons import get_skeleton

__all__ = ["LANDMARKS", "head_frame", "to_skeleton", "STANDARD_SKELETONS", "smpl24_rotations"]

LANDMARKS = (
    "left_hip", "left_knee", "left_ankle", "left_toe",
    "right_hip", "right_knee", "right_ankle", "right_toe",
    "neck_base", "skull_base", "head_top",
    "left_shoulder", "left_elbow", "left_wrist", "left_hand",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand",
)
_L = {name: i for i, name in enumerate(LANDMARKS)}

#: skeletons the corpus stores positions for (j14 is h36m17 mapped, see synsp.skeletons)
STANDARD_SKELETONS = ("h36m17", "coco17")

# facial points in the head frame, in head heights: (left, up, forward)
_FACE = {
    "nose": (0.0, -0.10, 0.50),
    "left_eye": (0.16, 0.10, 0.40),
    "right_eye": (-0.16, 0.10, 0.40),
    "left_ear": (0.38, 0.0, 0.0),
    "right_ear": (-0.38, 0.0, 0.0),
}


def _normalise(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _frame_from_left_up(left: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Right-handed frames ``(T, 3, 3)`` with columns (left, up, forward)."""
    up = _normalise(up)
    left = _normalise(left - (left * up).sum(-1, keepdims=True) * up)
    forward = np.cross(left, up)
    return np.stack([left, up, forward], axis=-1)


def head_frame(points: np.ndarray, head_rotation: np.ndarray | None = None) -> np.ndarray:
    """Head frames ``(T, 3, 3)`` (columns left, up, forward) from landmarks ``(T, 19, 3)``.

    ``head_rotation`` ``(T, 3, 3)``: the global rotation of the source's head
    segment; the frame then follows it (see the module docstring).
    """
    up = points[:, _L["head_top"]] - points[:, _L["skull_base"]]
    shoulders = points[:, _L["left_shoulder"]] - points[:, _L["right_shoulder"]]
    body = _frame_from_left_up(shoulders, up)
    if head_rotation is None:
        return body
    offset = nearest_rotation(np.einsum("tji,tjk->ik", head_rotation, body))  # sum_t R_t^T F_t
    turned = head_rotation @ offset
    # keep the measured up axis exactly; take left/forward from the turned frame
    return _frame_from_left_up(turned[..., 0], up)


def _face_points(points: np.ndarray, frame: np.ndarray) -> dict[str, np.ndarray]:
    base, top = points[:, _L["skull_base"]], points[:, _L["head_top"]]
    centre = 0.5 * (base + top)
    height = np.linalg.norm(top - base, axis=-1)[:, None]
    return {
        name: centre + height * np.einsum("tij,j->ti", frame, np.asarray(coef))
        for name, coef in _FACE.items()
    }


def to_skeleton(points: np.ndarray, name: str, head_rotation: np.ndarray | None = None) -> np.ndarray:
    """Landmarks ``(T, 19, 3)`` -> joints ``(T, J, 3)`` of skeleton ``name`` (see module doc)."""
    skeleton = get_skeleton(name)
    lm = {n: points[:, i] for n, i in _L.items()}
    face = _face_points(points, head_frame(points, head_rotation))
    pelvis = 0.5 * (lm["left_hip"] + lm["right_hip"])
    thorax = lm["neck_base"]
    derived = {
        "pelvis": pelvis,
        "spine": 0.5 * (pelvis + thorax),
        "thorax": thorax,
        "head_top": lm["head_top"],
        **face,
    }
    if name == "h36m17":
        derived["neck"] = 0.5 * (lm["skull_base"] + face["nose"])
    elif name == "j14":
        derived["neck"] = lm["neck_base"]
    table = {**lm, **derived}
    missing = [j for j in skeleton.joints if j not in table]
    if missing:
        raise KeyError(f"no landmark rule for joints {missing} of skeleton {name!r}")
    return np.stack([table[j] for j in skeleton.joints], axis=1)


# SMPL joint -> (segment start, segment end, direction of that segment in SMPL's T-pose)
_SMPL_SEGMENTS = {
    "hip": ("{side}_hip", "{side}_knee", (0.0, -1.0, 0.0)),
    "knee": ("{side}_knee", "{side}_ankle", (0.0, -1.0, 0.0)),
    "ankle": ("{side}_ankle", "{side}_toe", (0.0, -0.45, 0.9)),
    "foot": ("{side}_ankle", "{side}_toe", (0.0, -0.45, 0.9)),
    "collar": ("neck_base", "{side}_shoulder", (1.0, 0.0, 0.0)),
    "shoulder": ("{side}_shoulder", "{side}_elbow", (1.0, 0.0, 0.0)),
    "elbow": ("{side}_elbow", "{side}_wrist", (1.0, 0.0, 0.0)),
    "wrist": ("{side}_wrist", "{side}_hand", (1.0, 0.0, 0.0)),
    "hand": ("{side}_wrist", "{side}_hand", (1.0, 0.0, 0.0)),
    "spine1": ("pelvis", "neck_base", (0.0, 1.0, 0.0)),
    "spine2": ("pelvis", "neck_base", (0.0, 1.0, 0.0)),
    "spine3": ("pelvis", "neck_base", (0.0, 1.0, 0.0)),
    "neck": ("neck_base", "skull_base", (0.0, 1.0, 0.0)),
    "head": ("skull_base", "head_top", (0.0, 1.0, 0.0)),
}


def _smallest_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The rotation of least angle taking direction ``a`` to direction ``b`` (not opposite)."""
    a, b = _normalise(a), _normalise(b)
    axis = np.cross(a, b)
    s, c = np.linalg.norm(axis), float(a @ b)
    if s < 1e-12:
        return np.eye(3)
    k = axis / s
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    angle = np.arctan2(s, c)
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K


def _rest_offsets(rest_landmarks: np.ndarray, joints: tuple[str, ...]) -> np.ndarray:
    """``A_j`` for every SMPL joint, ``(24, 3, 3)`` (identity for the pelvis)."""
    point = {n: rest_landmarks[i] for n, i in _L.items()}
    point["pelvis"] = 0.5 * (point["left_hip"] + point["right_hip"])
    out = np.repeat(np.eye(3)[None], len(joints), axis=0)
    for j, name in enumerate(joints):
        side, _, part = name.partition("_") if name.startswith(("left_", "right_")) else ("", "", name)
        if part not in _SMPL_SEGMENTS:
            continue
        start, end, target = _SMPL_SEGMENTS[part]
        target = np.array(target) * (np.array([-1.0, 1.0, 1.0]) if side == "right" else 1.0)
        rig_dir = point[end.format(side=side)] - point[start.format(side=side)]
        out[j] = _smallest_rotation(rig_dir, target)
    return out


def smpl24_rotations(global_rotations: np.ndarray, rest_landmarks: np.ndarray) -> np.ndarray:
    """Rig global rotations ``(T, 24, 3, 3)`` (in SMPL joint order) -> SMPL local axis-angles ``(T, 24, 3)``."""
    skeleton = get_skeleton("smpl24")
    offsets = _rest_offsets(rest_landmarks, skeleton.joints)
    g = global_rotations @ np.swapaxes(offsets, -1, -2)[None]  # G A^-1
    parents = np.array(skeleton.parents)
    local = g.copy()
    child = parents >= 0
    local[:, child] = np.swapaxes(g[:, parents[child]], -1, -2) @ g[:, child]
    return matrix_to_axis_angle(local)
