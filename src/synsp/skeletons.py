"""Joint sets (skeletons): names, kinematic trees, left/right pairs, and mappings between them.

A :class:`Skeleton` names the joints of one keypoint format in the order that format's files use,
gives each joint a parent (a forest; ``-1`` marks a tree root), lists the left/right pairs that a
mirror swaps, and says which joints average to the root for root-relative evaluation.

Joint names are lowercase snake_case.  A joint of one side is ``left_<x>`` and its partner is
``right_<x>`` ("left" is always the subject's left).  Names mean the same place in every skeleton
where the formats agree (``left_hip``, ``left_knee``, ``left_ankle``, ``left_shoulder``,
``left_elbow``, ``left_wrist``, ``nose``, ``pelvis``, ``head_top``, ...); where two formats label
different places with the same word, the docstring of the skeleton says so (``neck`` of ``j14`` is
the base of the neck, ``neck`` of ``h36m17`` is H3.6M's "neck/nose" point higher up).

Registered skeletons (``SKELETONS``)
------------------------------------
===============  ====  ==========================================================  ==============
name             J     format                                                      root_joints
===============  ====  ==========================================================  ==============
``h36m17``       17    Human3.6M 17 joints, VideoPose3D / SmoothNet order          [0] pelvis
``coco17``       17    COCO body keypoints                                         both hips
``coco133``      133   COCO-WholeBody: body 17, feet 6, face 68, hands 2 x 21      both hips
``smpl24``       24    SMPL body-model joints                                      [0] pelvis
``j14``          14    LSP-style 14 joints (SmoothNet AIST++ / 3DPW files)         both hips
``mediapipe33``  33    MediaPipe BlazePose landmarks                               both hips
``body25``       25    OpenPose BODY_25                                            [8] mid_hip
``cmu31``        31    CMU ASF/AMC forward kinematics, one point per bone end      [0] ASF root
``hand21``       21    one hand: MediaPipe Hands, COCO-WholeBody / MMPose hands    [0] hand root
``face68``       68    face: iBUG 68 points (COCO-WholeBody face, 300-W, dlib)     all 68 points
``openpose137``  137   OpenPose --face --hand: BODY_25, face 70, hands 2 x 21      [8] mid_hip
``halpe26``      26    Halpe body (AlphaPose, RTMPose halpe26): COCO 17 + 9        [19] mid_hip
``halpe136``     136   Halpe full body: body 26, face 68, hands 2 x 21             [19] mid_hip
``crowdpose14``  14    CrowdPose: 6 left/right pairs, head top, neck               both hips
===============  ====  ==========================================================  ==============

Custom skeletons
----------------
Users' own joint sets (``synsp data import``, :mod:`synsp.data.custom`) are :class:`Skeleton`
objects too, with the names found in their files.  :func:`register_skeleton` adds one to
``SKELETONS`` under its name; corpus files and model cards carry the definition
(:meth:`Skeleton.to_dict`) and register it when loaded, so the name then works everywhere (noise,
training windows, normalisation, refiners).  A built-in name is never redefined.  A custom
skeleton may have no left/right pairs (mirroring then only negates a coordinate) and its root may
be every joint (``root_joints = (0, ..., J-1)``: the root is the mean of all joints).  Custom
skeletons have no mappings to other skeletons.

Mappings (``map_skeleton``)
---------------------------
Each target joint is a fixed linear combination of source joints whose weights sum to 1, so a
mapping commutes with translation, rotation and scaling of the pose, and with mirroring (the
weights treat left and right alike).  ``describe_mapping(src, dst)`` prints the full table; the
joints that are not plain copies of a same-named source joint are:

* ``cmu31 -> h36m17``: pelvis = mean(left_hip, right_hip); spine = lower_back (end of the ASF
  ``lowerback`` bone); thorax = thorax (end of ``thorax``, where the clavicles start);
  neck = mean(lower_neck, upper_neck); head_top = head_top (end of ``head``).  Hips, knees,
  ankles = ends of ``hipjoint``/``femur``/``tibia``; shoulders, elbows, wrists = ends of
  ``clavicle``/``humerus``/``radius``.  Why (bone lengths of CMU subjects 01-03, converted to cm):
  the ASF root sits about 10 cm above and 5 cm behind the line through the hip joints, while the
  H3.6M pelvis is exactly the midpoint of its hips; ``lowerback`` ends about 21 cm above that
  midpoint, 48 % of the way to the thorax end, the same fraction as H3.6M's spine joint
  (about 233 of 490 mm in the VideoPose3D skeleton); H3.6M's neck/nose point lies about halfway
  between thorax and head top (about 121 and 115 mm), and CMU's neck-to-head-top chain is three
  bones of about 10 cm each, so the halfway point is the midpoint of the two neck-bone ends.
* ``h36m17 -> j14``: neck = thorax (the index list H36M_TO_J14 of SPIN/SmoothNet uses the same
  joint, H3.6M 8); everything else is a copy.
* ``smpl24 -> h36m17`` (approximate: SMPL joints are rotation centres inside the body, H3.6M
  joints come from markers): pelvis = mean(left_hip, right_hip) (SMPL's pelvis joint is about
  9 cm above its hips); spine = mean(spine1, spine2); thorax = neck; neck = head;
  head_top = 1.5 head - 0.5 spine3 (SMPL has no head-top joint: this extrapolates half the
  spine3-to-head distance above the head joint, about 14 cm in the SMPL template, near the crown;
  it does not follow nodding, which turns the head about the head joint itself).
* ``smpl24 -> j14`` = ``h36m17 -> j14`` after ``smpl24 -> h36m17``; ``cmu31 -> j14`` likewise.
* ``mediapipe33 -> coco17``, ``body25 -> coco17``, ``coco133 -> coco17``, ``openpose137 -> coco17``,
  ``openpose137 -> body25``, ``halpe26 -> coco17``, ``halpe136 -> halpe26``, ``halpe136 -> coco17``: copies
  of the same-named
  joints (MediaPipe's ``left_eye`` is the eye centre, not the inner or outer corner).
* ``coco133 -> body25``: neck = mean(left_shoulder, right_shoulder), mid_hip = mean(left_hip,
  right_hip), the way OpenPose derives these two points from COCO labels; feet, face and limbs are
  copies.
* any skeleton to itself: identity.

Deliberately absent: ``coco17 -> h36m17`` and the like.  COCO has no spine, thorax or head-top
point, and its hip keypoints lie on the body surface, lower and wider than H3.6M's hip joints;
filling those joints would take invented interpolation and extrapolation weights, and a refiner
trained on H3.6M would be fed poses of another shape.  Refine such data in its own format.

Conventions of the files these orders are for
---------------------------------------------
* ``h36m17`` is the order of VideoPose3D and of SmoothNet's H3.6M files: right leg at 1-3, left
  leg at 4-6.  Files regressed from SMPL meshes with SPIN's ``J_regressor_h36m`` (SmoothNet's
  3DPW EFT/SPIN/PARE detections) are read by SmoothNet with SPIN's ``H36M_TO_J14 = [6, 5, 4, 1,
  2, 3, 16, 15, 14, 11, 12, 13, 8, 10]``, which takes index 6 as the *right* ankle.  Sources
  disagree on whether those files really have the legs the other way round (VIBE's joint-name
  list calls index 1 ``lhip``) or SPIN's J14 labels the legs the other way round; either way
  ``h36m17 -> j14`` puts the legs on the opposite sides to SmoothNet's conversion, so use SPIN's
  index list to reproduce SmoothNet's numbers on those files (MPJPE itself does not change when
  both prediction and ground truth swap the same two legs).
* ``cmu31`` is the order of the ASF ``:bonedata`` section of the CMU files.  Hand points whose
  place is not a named landmark keep the bone's name: ``left_wrist_end``, ``left_hand_end``,
  ``left_fingers_end``, ``left_thumb_end`` are the ends of ``lwrist``, ``lhand``, ``lfingers``,
  ``lthumb``.  The official SynSP mocap loader instead used ``MOCAP_TO_H36M = [0, 1, 2, 4, 6, 7,
  9, 12, 14, 15, 16, 24, 25, 27, 17, 18, 20]`` on its own 31-joint ordering after negating x,
  which mirrors the body (its left leg becomes a right leg and is labelled as one).  synsp maps
  by anatomy and does not mirror.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, Mapping, Sequence, Union

import numpy as np

from .geometry import axis_angle_to_matrix
from .kinematics import forward_kinematics
from .validation import SynspInputError, check_poses, is_torch, to_numpy

__all__ = [
    "Skeleton",
    "SKELETONS",
    "get_skeleton",
    "skeleton_for",
    "skeleton_name",
    "joint_structure",
    "map_skeleton",
    "has_mapping",
    "mapping_matrix",
    "mapping_targets",
    "describe_mapping",
    "register_skeleton",
    "BUILTIN_SKELETONS",
    "BODY_JOINTS",
    "NOT_BODIES",
    "SMPL24_OFFSETS",
    "CMU31_ASF_BONES",
    "JOINT_NAME_ALIASES",
    "smpl24_joints",
    "joint_key",
    "joint_spellings",
    "guess_left_right",
    "guess_root_joints",
    "custom_skeleton",
    "skeleton_of_names",
]


# --------------------------------------------------------------------------------------------
# Skeleton
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Skeleton:
    """One keypoint format: joint names in file order, a kinematic forest and left/right pairs.

    Attributes
    ----------
    name : registry key, e.g. ``"h36m17"``.
    joints : the ``J`` joint names, unique, in the order the format stores them.
    parents : ``J`` parent indices, ``-1`` for a tree root; they must form a forest (no cycles).
    left_right : ``(left index, right index)`` pairs; no joint appears in two pairs.
    root_joints : joints whose mean is the root for root-relative evaluation.
    description : where the order comes from and any caveat.

    Arrays passed to the methods are ``(..., J, D)`` numpy arrays or torch tensors; results keep
    the array type (and, for torch, dtype and device, so they can sit inside a loss).
    """

    name: str
    joints: tuple[str, ...]
    parents: tuple[int, ...]
    left_right: tuple[tuple[int, int], ...]
    root_joints: tuple[int, ...]
    description: str = ""

    def __post_init__(self) -> None:
        # accept lists from callers; store tuples so the skeleton is hashable and immutable
        object.__setattr__(self, "joints", tuple(str(n) for n in self.joints))
        object.__setattr__(self, "parents", tuple(int(p) for p in self.parents))
        object.__setattr__(self, "left_right", tuple((int(a), int(b)) for a, b in self.left_right))
        object.__setattr__(self, "root_joints", tuple(int(r) for r in self.root_joints))
        self._validate()

    def _validate(self) -> None:
        who = f"skeleton {self.name!r}"
        J = len(self.joints)
        if J == 0:
            raise SynspInputError(f"{who} has no joints")
        if len(set(self.joints)) != J:
            names: set[str] = set()
            repeated: set[str] = set()
            for n in self.joints:  # linear in J (a count() per joint was quadratic)
                (repeated if n in names else names).add(n)
            raise SynspInputError(f"{who} has duplicate joint names {sorted(repeated)}")
        if len(self.parents) != J:
            raise SynspInputError(
                f"{who} has {J} joints but {len(self.parents)} parents; give one parent per joint"
            )
        for j, p in enumerate(self.parents):
            if not -1 <= p < J or p == j:
                raise SynspInputError(
                    f"{who}: joint {j} ({self.joints[j]}) has parent {p}; expected -1 or another "
                    f"joint index in [0, {J})"
                )
        # every joint must reach a root by walking up; a walk that comes back to a joint of its own path is a
        # cycle.  Joints known to reach a root end a walk, so every joint is walked over once (linear in J)
        state = [0] * J  # 0: not walked yet, 1: on the current walk, 2: reaches a root
        for j in range(J):
            path, k = [], j
            while k != -1 and state[k] == 0:
                state[k] = 1
                path.append(k)
                k = self.parents[k]
            if k != -1 and state[k] == 1:
                raise SynspInputError(
                    f"{who}: the parents of joint {j} ({self.joints[j]}) form a cycle"
                )
            for k in path:
                state[k] = 2
        seen: set[int] = set()
        for a, b in self.left_right:
            if not (0 <= a < J and 0 <= b < J) or a == b:
                raise SynspInputError(
                    f"{who}: left/right pair ({a}, {b}) must be two different joint indices "
                    f"in [0, {J})"
                )
            if a in seen or b in seen:
                raise SynspInputError(
                    f"{who}: joint {a if a in seen else b} appears in more than one left/right pair"
                )
            seen.update((a, b))
        if not self.root_joints:
            raise SynspInputError(f"{who}: root_joints is empty; name at least one joint")
        if len(set(self.root_joints)) != len(self.root_joints) or not all(
            0 <= r < J for r in self.root_joints
        ):
            raise SynspInputError(
                f"{who}: root_joints {list(self.root_joints)} must be distinct indices in [0, {J})"
            )

    # ---- plain-data form (corpus meta, model cards) --------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The definition as JSON-ready data: name, joints, parents, left_right, root_joints, description."""
        return {"name": self.name, "joints": list(self.joints), "parents": list(self.parents),
                "left_right": [list(p) for p in self.left_right], "root_joints": list(self.root_joints),
                "description": self.description}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Skeleton":
        """Inverse of :meth:`to_dict` (validated like any skeleton)."""
        try:
            return cls(name=str(d["name"]), joints=d["joints"], parents=d["parents"],
                       left_right=d.get("left_right", ()), root_joints=d["root_joints"],
                       description=str(d.get("description", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise SynspInputError(f"not a valid skeleton definition ({exc!r}); expected the keys name, "
                                  "joints, parents, left_right, root_joints") from None

    def same_definition(self, other: "Skeleton") -> bool:
        """Same name, joints, parents, pairs and roots (the description may differ)."""
        return (self.name, self.joints, self.parents, self.left_right, self.root_joints) == (
            other.name, other.joints, other.parents, other.left_right, other.root_joints)

    # ---- structure -----------------------------------------------------------------------

    @property
    def num_joints(self) -> int:
        return len(self.joints)

    @cached_property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """``(child, parent)`` for every joint that has a parent, in joint order."""
        return tuple((j, p) for j, p in enumerate(self.parents) if p >= 0)

    @property
    def num_bones(self) -> int:
        return len(self.bones)

    @cached_property
    def tree_roots(self) -> tuple[int, ...]:
        """Joints without a parent (one per connected component of the forest)."""
        return tuple(j for j, p in enumerate(self.parents) if p < 0)

    @cached_property
    def left_indices(self) -> tuple[int, ...]:
        return tuple(a for a, _ in self.left_right)

    @cached_property
    def right_indices(self) -> tuple[int, ...]:
        return tuple(b for _, b in self.left_right)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {n: j for j, n in enumerate(self.joints)}

    def index(self, name: str) -> int:
        """Position of the joint called ``name``."""
        try:
            return self._index[name]
        except KeyError:
            raise SynspInputError(
                f"skeleton {self.name!r} has no joint {name!r}; its joints are {list(self.joints)}"
            ) from None

    @cached_property
    def flip_permutation(self) -> tuple[int, ...]:
        """Permutation that swaps every left joint with its right partner (an involution).

        ``x[..., flip_permutation, :]`` relabels a pose as if left and right were exchanged.
        """
        perm = list(range(self.num_joints))
        for a, b in self.left_right:
            perm[a], perm[b] = b, a
        return tuple(perm)

    # ---- array helpers -------------------------------------------------------------------

    def mirror(self, x: Any, axis: int = 0) -> Any:
        """Mirror poses ``(..., J, D)``: negate coordinate ``axis`` and swap left/right joints.

        The result is again an anatomically labelled pose (a left hand stays labelled left).
        Mirroring twice gives back ``x``.
        """
        x = _joint_array(x, self.num_joints, f"poses for skeleton {self.name!r}")
        D = x.shape[-1]
        if not -D <= axis < D:
            raise SynspInputError(f"mirror axis {axis} is out of range for D = {D} coordinates")
        sign = np.ones(D)
        sign[axis] = -1.0
        perm = list(self.flip_permutation)
        if is_torch(x):
            import torch  # loaded already: x is a tensor

            idx = torch.as_tensor(perm, device=x.device)
            return x.index_select(-2, idx) * torch.as_tensor(sign, dtype=x.dtype, device=x.device)
        return x[..., perm, :] * sign.astype(x.dtype)

    def bone_lengths(self, x: Any) -> Any:
        """Euclidean bone lengths: ``(..., J, D) -> (..., num_bones)``, ordered as :attr:`bones`."""
        x = _joint_array(x, self.num_joints, f"poses for skeleton {self.name!r}")
        child = [c for c, _ in self.bones]
        parent = [p for _, p in self.bones]
        if is_torch(x):
            import torch  # loaded already: x is a tensor

            c = torch.as_tensor(child, dtype=torch.long, device=x.device)
            p = torch.as_tensor(parent, dtype=torch.long, device=x.device)
            return torch.linalg.vector_norm(x.index_select(-2, c) - x.index_select(-2, p), dim=-1)
        diff = x[..., child, :] - x[..., parent, :]  # (..., num_bones, D)
        return np.sqrt((diff * diff).sum(-1))

    def nearest_ancestor(self, joint: int, among: Any) -> int:
        """The closest ancestor of ``joint`` (its parent, grandparent, ...) that is in ``among``; -1 if none."""
        k = self.parents[joint]
        while k != -1 and k not in among:
            k = self.parents[k]
        return k

    def root_position(self, x: Any) -> Any:
        """Mean of the :attr:`root_joints`: ``(..., J, D) -> (..., D)``."""
        x = _joint_array(x, self.num_joints, f"poses for skeleton {self.name!r}")
        roots = list(self.root_joints)
        if is_torch(x):
            import torch  # loaded already: x is a tensor

            idx = torch.as_tensor(roots, dtype=torch.long, device=x.device)
            return x.index_select(-2, idx).mean(-2)
        return x[..., roots, :].mean(-2)


def _joint_array(x: Any, J: int, name: str) -> Any:
    """Check ``x`` is ``(..., J, D)``; return a float numpy array or the torch tensor itself."""
    if is_torch(x):
        import torch  # loaded already: x is a tensor

        if not x.is_floating_point():
            x = x.to(torch.float64)
    else:
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
    shape = tuple(x.shape)
    if len(shape) < 2:
        raise SynspInputError(
            f"{name} has shape {shape}; expected (..., J, D) with J = {J} joints"
        )
    if shape[-2] != J:
        raise SynspInputError(
            f"{name} has J = {shape[-2]} joints (shape {shape}); expected J = {J}, "
            "laid out as (..., J, D)"
        )
    if shape[-1] == 0:
        raise SynspInputError(f"{name} has D = 0 coordinates (shape {shape})")
    return x


# --------------------------------------------------------------------------------------------
# Builders: joints are listed with their parent's name, pairs are found from left_/right_ names
# --------------------------------------------------------------------------------------------


def _build(
    name: str,
    tree: list[tuple[str, str | None]],
    root_joints: list[str],
    description: str,
) -> Skeleton:
    joints = [j for j, _ in tree]
    pos = {n: i for i, n in enumerate(joints)}
    parents = [-1 if p is None else pos[p] for _, p in tree]
    pairs = [
        (i, pos["right_" + n[len("left_"):]]) for i, n in enumerate(joints) if n.startswith("left_")
    ]
    return Skeleton(
        name=name,
        joints=tuple(joints),
        parents=tuple(parents),
        left_right=tuple(pairs),
        root_joints=tuple(pos[r] for r in root_joints),
        description=description,
    )


def _sides(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """Expand ``("{s}_knee", "{s}_hip")`` into the left entry then the right entry."""
    out: list[tuple[str, str | None]] = []
    for side in ("left", "right"):
        for child, parent in items:
            out.append((child.format(s=side), None if parent is None else parent.format(s=side)))
    return out


H36M17 = _build(
    "h36m17",
    [
        ("pelvis", None),
        ("right_hip", "pelvis"),
        ("right_knee", "right_hip"),
        ("right_ankle", "right_knee"),
        ("left_hip", "pelvis"),
        ("left_knee", "left_hip"),
        ("left_ankle", "left_knee"),
        ("spine", "pelvis"),
        ("thorax", "spine"),
        ("neck", "thorax"),  # H3.6M "Neck/Nose": the head joint, about nose height
        ("head_top", "neck"),  # H3.6M "Head"
        ("left_shoulder", "thorax"),
        ("left_elbow", "left_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_shoulder", "thorax"),
        ("right_elbow", "right_shoulder"),
        ("right_wrist", "right_elbow"),
    ],
    ["pelvis"],
    "Human3.6M 17 joints in the VideoPose3D / SmoothNet order (H3.6M 32-joint indices "
    "0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27): right leg 1-3, left leg 4-6. "
    "'neck' is H3.6M's Neck/Nose point, 'head_top' its Head point. Files made with SPIN's "
    "J_regressor_h36m have the legs the other way round (see the module docstring).",
)

COCO17_TREE: list[tuple[str, str | None]] = [
    ("nose", None),
    ("left_eye", "nose"),
    ("right_eye", "nose"),
    ("left_ear", "left_eye"),
    ("right_ear", "right_eye"),
    ("left_shoulder", "left_ear"),
    ("right_shoulder", "right_ear"),
    ("left_elbow", "left_shoulder"),
    ("right_elbow", "right_shoulder"),
    ("left_wrist", "left_elbow"),
    ("right_wrist", "right_elbow"),
    ("left_hip", "left_shoulder"),
    ("right_hip", "right_shoulder"),
    ("left_knee", "left_hip"),
    ("right_knee", "right_hip"),
    ("left_ankle", "left_knee"),
    ("right_ankle", "right_knee"),
]

COCO17 = _build(
    "coco17",
    COCO17_TREE,
    ["left_hip", "right_hip"],
    "COCO body keypoints. COCO has no central body joint, so the tree is rooted at the nose and "
    "uses 16 of the 19 links of the official COCO skeleton (nose-eye, eye-ear, ear-shoulder, "
    "shoulder-elbow-wrist, shoulder-hip, hip-knee-ankle), leaving out the three that would close "
    "loops (eye-eye, shoulder-shoulder, hip-hip); the tree is left/right symmetric. Ear-shoulder "
    "and shoulder-hip are not rigid bones. Root for evaluation: mean of the hips.",
)

# COCO-WholeBody face: the 68 points of the 300-W / iBUG scheme. Point 0 is the jaw end on the
# subject's right (image left for a frontal face), 17-21 the right eyebrow, 36-41 the right eye.
_FACE68: list[str] = (
    [f"right_jaw_{8 - i}" for i in range(8)]  # 0-7, from the right ear down towards the chin
    + ["chin"]  # 8
    + [f"left_jaw_{i}" for i in range(1, 9)]  # 9-16, from the chin up to the left ear
    + [f"right_eyebrow_{i}" for i in range(1, 6)]  # 17-21, outer end to inner end
    + [f"left_eyebrow_{i}" for i in range(5, 0, -1)]  # 22-26, inner end to outer end
    + [f"nose_bridge_{i}" for i in range(1, 5)]  # 27-30, top of the bridge down to the tip
    + [  # 31-35 lower edge of the nose, from the subject's right
        "right_nose_base_2",
        "right_nose_base_1",
        "nose_base",
        "left_nose_base_1",
        "left_nose_base_2",
    ]
    + [  # 36-41 right eye, clockwise in the image from the outer corner
        "right_eye_outer_corner",
        "right_eye_upper_outer",
        "right_eye_upper_inner",
        "right_eye_inner_corner",
        "right_eye_lower_inner",
        "right_eye_lower_outer",
    ]
    + [  # 42-47 left eye, clockwise in the image from the inner corner
        "left_eye_inner_corner",
        "left_eye_upper_inner",
        "left_eye_upper_outer",
        "left_eye_outer_corner",
        "left_eye_lower_outer",
        "left_eye_lower_inner",
    ]
    + [  # 48-59 outer lip contour, from the right mouth corner over the upper lip
        "right_mouth_corner",
        "right_upper_lip_2",
        "right_upper_lip_1",
        "upper_lip_center",
        "left_upper_lip_1",
        "left_upper_lip_2",
        "left_mouth_corner",
        "left_lower_lip_2",
        "left_lower_lip_1",
        "lower_lip_center",
        "right_lower_lip_1",
        "right_lower_lip_2",
    ]
    + [  # 60-67 inner lip contour
        "right_inner_mouth_corner",
        "right_inner_upper_lip",
        "inner_upper_lip_center",
        "left_inner_upper_lip",
        "left_inner_mouth_corner",
        "left_inner_lower_lip",
        "inner_lower_lip_center",
        "right_inner_lower_lip",
    ]
)
assert len(_FACE68) == 68


def _hand(side: str) -> list[tuple[str, str | None]]:
    root = f"{side}_hand_root"
    out: list[tuple[str, str | None]] = [(root, f"{side}_wrist")]
    for finger in ("thumb", "forefinger", "middle_finger", "ring_finger", "pinky_finger"):
        prev = root
        for k in range(1, 5):
            out.append((f"{side}_{finger}{k}", prev))
            prev = f"{side}_{finger}{k}"
    return out


def _face_tree() -> list[tuple[str, str | None]]:
    """The 68 iBUG points as a left/right symmetric tree rooted at the nose tip, along the contours."""
    parent: dict[str, str | None] = {"nose_bridge_4": None, "nose_bridge_3": "nose_bridge_4",
                                     "nose_bridge_2": "nose_bridge_3", "nose_bridge_1": "nose_bridge_2",
                                     "nose_base": "nose_bridge_4", "upper_lip_center": "nose_base",
                                     "inner_upper_lip_center": "upper_lip_center",
                                     "inner_lower_lip_center": "inner_upper_lip_center",
                                     "lower_lip_center": "inner_lower_lip_center", "chin": "lower_lip_center"}
    for s in ("left", "right"):
        chains = [
            ["nose_base", f"{s}_nose_base_1", f"{s}_nose_base_2"],
            ["nose_bridge_1"] + [f"{s}_eyebrow_{i}" for i in range(5, 0, -1)],
            ["nose_bridge_2", f"{s}_eye_inner_corner", f"{s}_eye_upper_inner", f"{s}_eye_upper_outer",
             f"{s}_eye_outer_corner"],
            [f"{s}_eye_inner_corner", f"{s}_eye_lower_inner", f"{s}_eye_lower_outer"],
            ["upper_lip_center", f"{s}_upper_lip_1", f"{s}_upper_lip_2", f"{s}_mouth_corner"],
            ["lower_lip_center", f"{s}_lower_lip_1", f"{s}_lower_lip_2"],
            ["inner_upper_lip_center", f"{s}_inner_upper_lip", f"{s}_inner_mouth_corner"],
            ["inner_lower_lip_center", f"{s}_inner_lower_lip"],
            ["chin"] + [f"{s}_jaw_{i}" for i in range(1, 9)],
        ]
        for chain in chains:
            for a, b in zip(chain, chain[1:]):
                parent[b] = a
    return [(n, parent[n]) for n in _FACE68]


def _face_on(anchor: str, extra: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, str | None]]:
    """The 68 face points (:func:`_face_tree`, in iBUG order) as part of a whole body: the face's root, the
    nose tip, hangs from the body's ``anchor``; ``extra``: more (point, parent) pairs after them."""
    return [(n, anchor if p is None else p) for n, p in _face_tree()] + list(extra)


COCO133 = _build(
    "coco133",
    COCO17_TREE
    + [
        ("left_big_toe", "left_ankle"),
        ("left_small_toe", "left_ankle"),
        ("left_heel", "left_ankle"),
        ("right_big_toe", "right_ankle"),
        ("right_small_toe", "right_ankle"),
        ("right_heel", "right_ankle"),
    ]
    + _face_on("nose")
    + _hand("left")
    + _hand("right"),
    ["left_hip", "right_hip"],
    "COCO-WholeBody 133 keypoints: body 0-16 (COCO order and tree, rooted at the nose), feet 17-22 "
    "(left big toe, small toe, heel, then right), face 23-90 (the 68 iBUG points; names follow the "
    "subject's sides, point 0 = right end of the jaw; mirror pairs are the iBUG flip pairs), left "
    "hand 91-111 and right hand 112-132 (root, then thumb, forefinger, middle, ring, pinky, "
    "4 points each from the palm out; hand names as in MMPose). Feet hang from the ankles, "
    "the face from the nose (its tree as face68's, rooted at the nose tip), each hand root from its wrist.",
)

SMPL24 = _build(
    "smpl24",
    [
        ("pelvis", None),
        ("left_hip", "pelvis"),
        ("right_hip", "pelvis"),
        ("spine1", "pelvis"),
        ("left_knee", "left_hip"),
        ("right_knee", "right_hip"),
        ("spine2", "spine1"),
        ("left_ankle", "left_knee"),
        ("right_ankle", "right_knee"),
        ("spine3", "spine2"),
        ("left_foot", "left_ankle"),
        ("right_foot", "right_ankle"),
        ("neck", "spine3"),
        ("left_collar", "spine3"),
        ("right_collar", "spine3"),
        ("head", "neck"),
        ("left_shoulder", "left_collar"),
        ("right_shoulder", "right_collar"),
        ("left_elbow", "left_shoulder"),
        ("right_elbow", "right_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_wrist", "right_elbow"),
        ("left_hand", "left_wrist"),
        ("right_hand", "right_wrist"),
    ],
    ["pelvis"],
    "SMPL body-model joints (the 24 rotation centres of the kinematic tree) in SMPL order. "
    "SMPL's hips sit closer together and its pelvis joint about 9 cm higher than H3.6M's.",
)

J14 = _build(
    "j14",
    [
        ("right_ankle", "right_knee"),
        ("right_knee", "right_hip"),
        ("right_hip", "right_shoulder"),
        ("left_hip", "left_shoulder"),
        ("left_knee", "left_hip"),
        ("left_ankle", "left_knee"),
        ("right_wrist", "right_elbow"),
        ("right_elbow", "right_shoulder"),
        ("right_shoulder", "neck"),
        ("left_shoulder", "neck"),
        ("left_elbow", "left_shoulder"),
        ("left_wrist", "left_elbow"),
        ("neck", None),
        ("head_top", "neck"),
    ],
    ["right_hip", "left_hip"],
    "LSP-style 14 joints as in SmoothNet's AIST++ and 3DPW files (SPIN's J14): rankle, rknee, "
    "rhip, lhip, lknee, lankle, rwrist, relbow, rshoulder, lshoulder, lelbow, lwrist, neck, "
    "headtop. "
    "'neck' is the base of the neck (filled from H3.6M's thorax). The tree is rooted at the neck "
    "with each hip hanging from the shoulder of its side. Root for evaluation: mean of joints "
    "2 and 3.",
)

MEDIAPIPE33 = _build(
    "mediapipe33",
    [
        ("nose", None),
        ("left_eye_inner", "nose"),
        ("left_eye", "left_eye_inner"),
        ("left_eye_outer", "left_eye"),
        ("right_eye_inner", "nose"),
        ("right_eye", "right_eye_inner"),
        ("right_eye_outer", "right_eye"),
        ("left_ear", "left_eye_outer"),
        ("right_ear", "right_eye_outer"),
        ("left_mouth_corner", "nose"),  # MediaPipe "mouth_left"
        ("right_mouth_corner", "nose"),  # MediaPipe "mouth_right"
        ("left_shoulder", "left_ear"),
        ("right_shoulder", "right_ear"),
        ("left_elbow", "left_shoulder"),
        ("right_elbow", "right_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_wrist", "right_elbow"),
        ("left_pinky", "left_wrist"),
        ("right_pinky", "right_wrist"),
        ("left_index", "left_wrist"),
        ("right_index", "right_wrist"),
        ("left_thumb", "left_wrist"),
        ("right_thumb", "right_wrist"),
        ("left_hip", "left_shoulder"),
        ("right_hip", "right_shoulder"),
        ("left_knee", "left_hip"),
        ("right_knee", "right_hip"),
        ("left_ankle", "left_knee"),
        ("right_ankle", "right_knee"),
        ("left_heel", "left_ankle"),
        ("right_heel", "right_ankle"),
        ("left_foot_index", "left_ankle"),
        ("right_foot_index", "right_ankle"),
    ],
    ["left_hip", "right_hip"],
    "MediaPipe BlazePose 33 landmarks in MediaPipe order ('mouth_left'/'mouth_right' are named "
    "left_/right_mouth_corner here). MediaPipe's connection list joins the face to nothing; this "
    "tree is rooted at the nose and hangs the mouth corners from the nose and each shoulder from "
    "the ear of its side, so it is connected and left/right symmetric.",
)

BODY25 = _build(
    "body25",
    [
        ("nose", "neck"),
        ("neck", "mid_hip"),
        ("right_shoulder", "neck"),
        ("right_elbow", "right_shoulder"),
        ("right_wrist", "right_elbow"),
        ("left_shoulder", "neck"),
        ("left_elbow", "left_shoulder"),
        ("left_wrist", "left_elbow"),
        ("mid_hip", None),
        ("right_hip", "mid_hip"),
        ("right_knee", "right_hip"),
        ("right_ankle", "right_knee"),
        ("left_hip", "mid_hip"),
        ("left_knee", "left_hip"),
        ("left_ankle", "left_knee"),
        ("right_eye", "nose"),
        ("left_eye", "nose"),
        ("right_ear", "right_eye"),
        ("left_ear", "left_eye"),
        ("left_big_toe", "left_ankle"),
        ("left_small_toe", "left_big_toe"),
        ("left_heel", "left_ankle"),
        ("right_big_toe", "right_ankle"),
        ("right_small_toe", "right_big_toe"),
        ("right_heel", "right_ankle"),
    ],
    ["mid_hip"],
    "OpenPose BODY_25 in OpenPose's output order; the tree follows OpenPose's limbs, rooted at "
    "mid_hip (index 8). 'neck' is the midpoint of the shoulders in OpenPose's training labels.",
)

CMU31 = _build(
    "cmu31",
    [("pelvis", None)]
    + _sides(
        ("{s}_hip", "pelvis"),  # end of lhipjoint / rhipjoint
        ("{s}_knee", "{s}_hip"),  # end of lfemur
        ("{s}_ankle", "{s}_knee"),  # end of ltibia
        ("{s}_toe_base", "{s}_ankle"),  # end of lfoot
        ("{s}_toe_tip", "{s}_toe_base"),  # end of ltoes
    )
    + [
        ("lower_back", "pelvis"),  # end of lowerback
        ("upper_back", "lower_back"),  # end of upperback
        ("thorax", "upper_back"),  # end of thorax
        ("lower_neck", "thorax"),  # end of lowerneck
        ("upper_neck", "lower_neck"),  # end of upperneck
        ("head_top", "upper_neck"),  # end of head
    ]
    + _sides(
        ("{s}_shoulder", "thorax"),  # end of lclavicle
        ("{s}_elbow", "{s}_shoulder"),  # end of lhumerus
        ("{s}_wrist", "{s}_elbow"),  # end of lradius
        ("{s}_wrist_end", "{s}_wrist"),  # end of lwrist
        ("{s}_hand_end", "{s}_wrist_end"),  # end of lhand
        ("{s}_fingers_end", "{s}_hand_end"),  # end of lfingers
        ("{s}_thumb_end", "{s}_wrist_end"),  # end of lthumb
    ),
    ["pelvis"],
    "CMU ASF/AMC forward kinematics: the ASF root position, then the end point of each bone in "
    "the order root, lhipjoint, lfemur, ltibia, lfoot, ltoes, rhipjoint, ..., rtoes, lowerback, "
    "upperback, thorax, lowerneck, upperneck, head, lclavicle, lhumerus, lradius, lwrist, lhand, "
    "lfingers, lthumb, rclavicle, ..., rthumb. Parents follow the ASF :hierarchy (both hip joints "
    "and lowerback hang from the root, the clavicles and lowerneck from thorax, lhand and lthumb "
    "from lwrist). Names: end of lhipjoint = left_hip, lfemur = left_knee, ltibia = left_ankle, "
    "lfoot = left_toe_base, ltoes = left_toe_tip, lclavicle = left_shoulder, lhumerus = "
    "left_elbow, lradius = left_wrist, head = head_top, root = pelvis (it lies about 10 cm above "
    "the hip joints). The official SynSP loader used MOCAP_TO_H36M = [0, 1, 2, 4, 6, 7, 9, 12, 14, "
    "15, 16, 24, 25, 27, 17, 18, 20] on its own 31-joint ordering after negating x, which mirrors "
    "the body; synsp maps by anatomy instead (see map_skeleton).",
)

#: the CMU ASF bone names whose end points are :data:`CMU31`'s joints, in its order (the files' own names)
CMU31_ASF_BONES: tuple[str, ...] = (
    "root", "lhipjoint", "lfemur", "ltibia", "lfoot", "ltoes", "rhipjoint", "rfemur", "rtibia", "rfoot", "rtoes",
    "lowerback", "upperback", "thorax", "lowerneck", "upperneck", "head", "lclavicle", "lhumerus", "lradius",
    "lwrist", "lhand", "lfingers", "lthumb", "rclavicle", "rhumerus", "rradius", "rwrist", "rhand", "rfingers",
    "rthumb")

HAND21 = _build(
    "hand21",
    [("hand_root", None)] + [(n[len("x_"):], p[len("x_"):]) for n, p in _hand("x")[1:]],  # COCO133's hand, no side
    ["hand_root"],
    "One hand, 21 points: MediaPipe Hands landmarks and each COCO-WholeBody / MMPose hand (OneHand10K, "
    "FreiHAND, RHD, InterHand, Panoptic) in their shared order: the root (MediaPipe's wrist), then "
    "thumb, forefinger (index), middle, ring and pinky finger, 4 points each from the palm out "
    "(MediaPipe: CMC/MCP, MCP/PIP, IP/DIP, TIP). The tree runs from the root along each finger; a "
    "single hand has no left/right pairs. Root for evaluation: the hand root.",
)


FACE68 = _build(
    "face68",
    _face_tree(),
    list(_FACE68),
    "Face, 68 points: the iBUG / 300-W scheme of COCO-WholeBody's face (MMPose 300W, "
    "coco_wholebody_face; dlib's 68 landmarks) in that order, named as in coco133 (subject's sides, "
    "point 0 = right end of the jaw). The tree is rooted at the nose tip (point 30) and runs along the "
    "contours: nose bridge and base, eyebrows from their inner ends, each eye from its inner corner, "
    "the lips from their centres, the jaw from the chin. Root for evaluation: the mean of all 68 points.",
)

OPENPOSE137 = _build(
    "openpose137",
    [(n, p) for n, p in zip(BODY25.joints, (None if i < 0 else BODY25.joints[i] for i in BODY25.parents))]
    + _face_on("nose", (("right_pupil", "right_eye_inner_corner"), ("left_pupil", "left_eye_inner_corner")))
    + _hand("left")
    + _hand("right"),
    ["mid_hip"],
    "OpenPose with --face --hand, its four keypoint lists in one array: BODY_25 0-24 (pose_keypoints_2d), "
    "face 25-94 (face_keypoints_2d: the 68 iBUG points in the order and names of coco133's face, then the "
    "right and left pupil), left hand 95-115 and right hand 116-136 (hand_left / hand_right_keypoints_2d: "
    "root, then thumb, forefinger, middle, ring, pinky, 4 points each from the palm out). The body is "
    "body25's tree, the face hangs from the nose (face68's tree, rooted at the nose tip; each pupil from its eye's "
    "inner corner), each hand root from its wrist.",
)

HALPE26 = _build(
    "halpe26",
    [
        ("nose", "neck"),
        ("left_eye", "nose"),
        ("right_eye", "nose"),
        ("left_ear", "left_eye"),
        ("right_ear", "right_eye"),
        ("left_shoulder", "neck"),
        ("right_shoulder", "neck"),
        ("left_elbow", "left_shoulder"),
        ("right_elbow", "right_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_wrist", "right_elbow"),
        ("left_hip", "mid_hip"),
        ("right_hip", "mid_hip"),
        ("left_knee", "left_hip"),
        ("right_knee", "right_hip"),
        ("left_ankle", "left_knee"),
        ("right_ankle", "right_knee"),
        ("head_top", "neck"),
        ("neck", "mid_hip"),
        ("mid_hip", None),
        ("left_big_toe", "left_heel"),
        ("right_big_toe", "right_heel"),
        ("left_small_toe", "left_heel"),
        ("right_small_toe", "right_heel"),
        ("left_heel", "left_ankle"),
        ("right_heel", "right_ankle"),
    ],
    ["mid_hip"],
    "Halpe body, 26 keypoints (AlphaPose's halpe26 models, MMPose's RTMPose body8-halpe26): COCO's 17 in "
    "COCO order, then head (the top of the head: head_top), neck, hip (the hips' centre: mid_hip), big "
    "toes, small toes and heels (left then right). The tree follows AlphaPose's Halpe links, rooted at "
    "mid_hip; the toes hang from the heel as in AlphaPose's drawing.",
)

HALPE136 = _build(
    "halpe136",
    [(n, None if i < 0 else HALPE26.joints[i]) for n, i in zip(HALPE26.joints, HALPE26.parents)]
    + _face_on("nose")
    + _hand("left")
    + _hand("right"),
    ["mid_hip"],
    "Halpe full body, 136 keypoints (AlphaPose's halpe136 models, MMPose's 'halpe' dataset): halpe26's body "
    "0-25, the 68 face points 26-93 (coco133's face: iBUG order and names), left hand 94-114 and right "
    "hand 115-135 (root, then thumb, forefinger, middle, ring, pinky, 4 points each from the palm out). "
    "The face hangs from the nose, each hand root from its wrist.",
)

CROWDPOSE14 = _build(
    "crowdpose14",
    [
        ("left_shoulder", "neck"),
        ("right_shoulder", "neck"),
        ("left_elbow", "left_shoulder"),
        ("right_elbow", "right_shoulder"),
        ("left_wrist", "left_elbow"),
        ("right_wrist", "right_elbow"),
        ("left_hip", "left_shoulder"),
        ("right_hip", "right_shoulder"),
        ("left_knee", "left_hip"),
        ("right_knee", "right_hip"),
        ("left_ankle", "left_knee"),
        ("right_ankle", "right_knee"),
        ("head_top", "neck"),  # CrowdPose "head" (MMPose "top_head")
        ("neck", None),
    ],
    ["left_hip", "right_hip"],
    "CrowdPose 14 keypoints in the order of its annotation files (MMPose's 'crowdpose' dataset and the models "
    "trained on it): left and right shoulder, elbow, wrist, hip, knee, ankle (left first), then the top of the head "
    "(CrowdPose's 'head', MMPose's 'top_head') and the neck. j14's joint names in another order (j14 starts at the "
    "right ankle): 14 points without a name are told apart by their limbs (synsp.api.guess_joint_order). The tree "
    "follows CrowdPose's links (shoulder-hip, shoulder-neck, head-neck), rooted at the neck, each hip hanging from "
    "the shoulder of its side as in j14. Root for evaluation: mean of the hips.",
)

SKELETONS: dict[str, Skeleton] = {
    s.name: s for s in (H36M17, COCO17, COCO133, SMPL24, J14, MEDIAPIPE33, BODY25, CMU31, HAND21, FACE68,
                        OPENPOSE137, HALPE26, HALPE136, CROWDPOSE14)
}

SkeletonLike = Union[str, Skeleton]

#: the skeletons synsp defines; :func:`register_skeleton` adds users' own (custom) ones to SKELETONS
BUILTIN_SKELETONS: frozenset[str] = frozenset(SKELETONS)
#: other joint names a file may give a built-in skeleton's joints, in the skeleton's order (a CMU ASF/AMC
#: file names its bones, whose end points are ``cmu31``); ``synsp data import`` recognises them
JOINT_NAME_ALIASES: dict[str, tuple[tuple[str, ...], ...]] = {"cmu31": (CMU31_ASF_BONES,)}

#: whole-body skeletons: the joints that are the body (COCO-WholeBody: body 17 and feet 6; OpenPose: BODY_25;
#: Halpe: its 26); the rest, a face
#: and hands, are not.  The universal model, trained on bodies, refines these joints and the others follow
#: their nearest refined joint (:class:`synsp.refiners.SubsetRefiner`).  A skeleton not listed here is all
#: body, or (``hand21``, ``face68``) none: :data:`NOT_BODIES`.
BODY_JOINTS: Mapping[str, tuple[int, ...]] = MappingProxyType({"coco133": tuple(range(23)),
                                                                "openpose137": tuple(range(25)),
                                                                "halpe136": tuple(range(26))})


#: skeletons that are not bodies: the universal model was trained on bodies, so a hand or a face alone gets a
#: filter (:func:`synsp.api.choose_model`, :class:`synsp.Stream`); a whole body's face and hands follow its
#: refined body (BODY_JOINTS)
NOT_BODIES: tuple[str, ...] = ("hand21", "face68")


def register_skeleton(skeleton: Skeleton) -> Skeleton:
    """Add a custom skeleton to :data:`SKELETONS` so that its name works everywhere a name is taken.

    Custom skeletons come from ``synsp data import`` (stored in the corpus meta) and from model
    cards (``skeleton_definition``); loading either registers them.  Registering the same
    definition again is a no-op and returns the skeleton already registered; a name that is
    taken by a different definition (a built-in one, or another custom one loaded in this
    process) is an error.  Names are lowercase, without surrounding spaces.
    """
    if not isinstance(skeleton, Skeleton):
        raise SynspInputError(f"register_skeleton expects a Skeleton; got {type(skeleton).__name__}")
    name = skeleton.name
    if not name or name != name.strip().lower():
        raise SynspInputError(f"skeleton name {name!r}: use a non-empty lowercase name without surrounding spaces")
    known = SKELETONS.get(name)
    if known is not None:
        if known.same_definition(skeleton):
            return known
        what = "a built-in skeleton" if name in BUILTIN_SKELETONS else "another skeleton loaded in this process"
        differ = [f for f in ("joints", "parents", "left_right", "root_joints")
                  if getattr(known, f) != getattr(skeleton, f)]
        raise SynspInputError(
            f"skeleton name {name!r} is already {what} with a different definition (its "
            f"{', '.join(differ)} differ; {known.num_joints} vs {skeleton.num_joints} joints); give the custom "
            "skeleton another name (synsp data import --skeleton NAME)"
        )
    SKELETONS[name] = skeleton
    return skeleton


# --------------------------------------------------------------------------------------------
# Skeletons of named points (a file that names its joints or markers)
# --------------------------------------------------------------------------------------------

#: joint names (keys, see :func:`joint_key`) taken for the root of a custom skeleton, in this order
ROOT_NAMES = ("pelvis", "hips", "midhip", "hipcenter", "hipcentre", "hipscenter", "hipscentre", "hip")


def joint_key(name: str) -> str:
    """A joint name for matching: lowercase letters and digits only (``Left_Hip`` -> ``lefthip``)."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _strip_prefix(names: Sequence[str]) -> list[str]:
    """Names without the prefix all of them share, up to its last separator (``CC_Base_``, ``mixamorig:``)."""
    names = [str(n) for n in names]
    common = os.path.commonprefix(names) if len(names) > 1 else ""
    cut = max(common.rfind(c) for c in "_.:- |") + 1 if common else 0
    return [n[cut:] for n in names]


def guess_left_right(names: Sequence[str]) -> list[tuple[int, int]]:
    """``(left, right)`` index pairs guessed from joint names.

    A prefix shared by all names up to a separator (``CC_Base_``, ``mixamorig:``) is ignored.
    Then, in order, each joint used once, a pair only when exactly one left and one right
    name share the rest of the name: the words ``left``/``right`` anywhere (``left_hip``,
    ``LeftUpLeg``, ``hip_left``); an ``l``/``r`` between separators (``L_Thigh``,
    ``hip_l``, ``Eye.L``, ``CC_Base_L_Calf``); a leading ``l``/``r`` (``LHip``, ``lfemur``);
    a trailing capital ``L``/``R`` (``HipL``).
    """
    def candidates(level: int, name: str) -> tuple[str, str] | None:
        low = name.lower()
        if level == 0:
            for side, word in (("l", "left"), ("r", "right")):
                i = low.find(word)
                if i >= 0:
                    return side, low[:i] + "*" + low[i + len(word):]
            return None
        if level == 1:
            tokens = re.split(r"([_.:\- |])", low)
            sides = [i for i, t in enumerate(tokens) if t in ("l", "r")]
            if len(sides) != 1 or len(tokens) == 1:
                return None
            side = tokens[sides[0]]
            tokens[sides[0]] = "*"
            return side, "".join(tokens)
        if level == 2:
            return (low[0], "*" + low[1:]) if len(low) > 1 and low[0] in "lr" else None
        if len(name) > 1 and name[-1] in "LR":
            return low[-1], low[:-1] + "*"
        return None

    stripped = _strip_prefix(names)
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for level in range(4):
        groups: dict[str, dict[str, list[int]]] = {}
        for j, n in enumerate(stripped):
            c = None if j in used or not n else candidates(level, n)
            if c is not None:
                groups.setdefault(c[1], {"l": [], "r": []})[c[0]].append(j)
        for g in groups.values():
            if len(g["l"]) == 1 and len(g["r"]) == 1:
                pairs.append((g["l"][0], g["r"][0]))
                used.update((g["l"][0], g["r"][0]))
    return sorted(pairs)


def guess_root_joints(names: Sequence[str], pairs: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """A joint named pelvis / hips / mid_hip / hip_center / hip (after a shared prefix, see
    :func:`guess_left_right`); else the first left/right pair whose names contain "hip"; else every
    joint (the root is then the mean of all joints)."""
    keys = [joint_key(n) for n in _strip_prefix(names)]
    for wanted in ROOT_NAMES:
        if wanted in keys:
            return (keys.index(wanted),)
    for a, b in pairs:
        if "hip" in keys[a] and "hip" in keys[b]:
            return (a, b)
    return tuple(range(len(names)))


def joint_spellings(name: str) -> list[list[str]]:
    """The registered skeleton ``name``'s joints as :func:`joint_key` keys, in its order: its own names, then the
    other names files give them (:data:`JOINT_NAME_ALIASES`)."""
    return [[joint_key(n) for n in names] for names in (SKELETONS[name].joints, *JOINT_NAME_ALIASES.get(name, ()))]


def custom_skeleton(names: Sequence[str], parents: Sequence[int] | None = None, name: str | None = None,
                    description: str = "") -> Skeleton:
    """A skeleton of the joints ``names`` (in that order; not registered): ``parents`` (else -1 for all),
    left/right pairs :func:`guess_left_right`, root joints :func:`guess_root_joints`; named ``name`` or
    ``custom<J>-<hash of the definition>``, so the same joints get the same name wherever they come from
    (``synsp data import``, a TRC, C3D or BVH file read for refining)."""
    names = [str(n) for n in names]
    par = [-1] * len(names) if parents is None else [int(p) for p in parents]
    pairs = guess_left_right(names)
    roots = guess_root_joints(names, pairs)
    definition = {"joints": names, "parents": par, "left_right": [list(p) for p in pairs], "root_joints": list(roots)}
    if name is None:
        name = f"custom{len(names)}-{hashlib.sha256(json.dumps(definition).encode()).hexdigest()[:6]}"
    return Skeleton(name=name, joints=names, parents=par, left_right=pairs, root_joints=roots, description=description)


def skeleton_of_names(names: Sequence[str], parents: Sequence[int] | None = None) -> str:
    """The skeleton of points a file names (TRC markers, C3D point labels, BVH joints): the registered one whose
    joints are ``names`` in the same order (compared by :func:`joint_key`; a built-in skeleton's other
    spellings, :data:`JOINT_NAME_ALIASES`, too), else :func:`custom_skeleton` of them, registered.

    Never a skeleton chosen by the joint count alone: 17 markers of a mocap set are not Human3.6M's 17 joints,
    and borrowing its left/right pairs would relabel the wrong points.  Names that repeat (after
    :func:`joint_key`) or are empty are made distinct (``#2``, ``#3``, ...) first."""
    names = [str(n).strip() for n in names]
    seen: dict[str, int] = {}
    unique = []
    for j, n in enumerate(names):
        n = n or f"j{j}"
        k = joint_key(n) or f"j{j}"
        seen[k] = seen.get(k, 0) + 1
        unique.append(n if seen[k] == 1 else f"{n}#{seen[k]}")
    keys = [joint_key(n) for n in unique]
    for sk_name, sk in SKELETONS.items():
        if sk.num_joints == len(keys) and keys in joint_spellings(sk_name):
            return sk_name
    sk = custom_skeleton(unique, parents, description="the joint names of a file read for refining; "
                                                      "left/right pairs guessed from the names")
    return register_skeleton(sk).name


def get_skeleton(name: SkeletonLike) -> Skeleton:
    """The registered skeleton called ``name`` (a :class:`Skeleton` is returned unchanged)."""
    if isinstance(name, Skeleton):
        return name
    if isinstance(name, str) and skeleton_name(name) in SKELETONS:
        return SKELETONS[skeleton_name(name)]
    raise SynspInputError(
        f"unknown skeleton {name!r}; known skeletons: {', '.join(SKELETONS)}"
    )


def skeleton_name(name: Any) -> Any:
    """The registered name a user's spelling of it stands for (``"H36M17"``, ``" h36m17"``: ``"h36m17"``, as
    :func:`get_skeleton` reads it); anything else (None, an unknown name, a :class:`Skeleton`) as it is."""
    if isinstance(name, str) and name.strip().lower() in SKELETONS:
        return name.strip().lower()
    return name


def skeleton_for(num_joints: int) -> list[str]:
    """Names of the built-in skeletons with ``num_joints`` joints (empty if none): what data that names no
    skeleton may be guessed to be by its joint count alone.  Custom skeletons registered in this process (a
    corpus, a model card, a file's named points) are never guessed: which ones are registered depends on
    what the process read before."""
    return [n for n, s in SKELETONS.items() if n in BUILTIN_SKELETONS and s.num_joints == int(num_joints)]


def joint_structure(name: SkeletonLike, keep: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Where each joint sits in its skeleton, for a network that is told it (the universal model's
    ``joint_structure``): ``(parents, info)`` for the joints ``keep`` (indices, default all, in that order).
    ``parents`` ``(K,)``: the position in ``keep`` of each joint's nearest kept ancestor, ``-1`` where none
    is kept; ``info`` ``(K, 3)``: its depth in the kinematic tree over the deepest joint's (0 at a root),
    1 where it has no child in the whole skeleton (an extremity: wrist, ankle, head, fingertip), and its
    side (+1 left, -1 right, 0 on the midline or in no left/right pair)."""
    sk = get_skeleton(name)
    J = sk.num_joints
    keep = np.arange(J) if keep is None else np.asarray(keep, dtype=np.int64)
    depth = np.zeros(J)
    for j in range(J):  # parents form a forest: walk up to the root
        p, d = sk.parents[j], 0
        while p >= 0:
            p, d = sk.parents[p], d + 1
        depth[j] = d
    leaf = np.ones(J)
    leaf[[p for p in sk.parents if p >= 0]] = 0.0
    side = np.zeros(J)
    for left, right in sk.left_right:
        side[left], side[right] = 1.0, -1.0
    where = {int(j): i for i, j in enumerate(keep)}
    parents = np.full(len(keep), -1, dtype=np.int64)
    for i, j in enumerate(keep):
        p = sk.parents[int(j)]
        while p >= 0 and p not in where:
            p = sk.parents[p]
        parents[i] = where.get(p, -1)
    info = np.stack([depth / max(depth.max(), 1.0), leaf, side], axis=-1)[keep]
    return parents, info


# --------------------------------------------------------------------------------------------
# Mappings
# --------------------------------------------------------------------------------------------

# A mapping spec gives, for every target joint name, either one source joint name or a
# {source joint name: weight} dict whose weights sum to 1.
MappingSpec = Mapping[str, Union[str, Mapping[str, float]]]


@dataclass(frozen=True, eq=False)
class _Mapping:
    src: str
    dst: str
    matrix: np.ndarray  # (J_dst, J_src), rows sum to 1
    notes: str

    @cached_property
    def gather(self) -> tuple[np.ndarray, np.ndarray]:
        """``(index, weight)``, both ``(J_dst, K)``: the nonzero weights of each row, padded with
        weight 0 on the row's first source so a NaN there already makes the target NaN."""
        rows = [np.flatnonzero(r) for r in self.matrix]
        K = max(len(r) for r in rows)
        idx = np.empty((len(rows), K), dtype=np.int64)
        w = np.zeros((len(rows), K))
        for i, r in enumerate(rows):
            idx[i] = r[0]
            idx[i, : len(r)] = r
            w[i, : len(r)] = self.matrix[i, r]
        return idx, w


_MAPPINGS: dict[tuple[str, str], _Mapping] = {}


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


def _limbs() -> dict[str, str]:
    return _same(
        *(
            f"{s}_{j}"
            for s in ("left", "right")
            for j in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")
        )
    )


def _mid(a: str, b: str) -> dict[str, float]:
    return {a: 0.5, b: 0.5}


def _register(src: str, dst: str, spec: MappingSpec, notes: str) -> None:
    s, d = SKELETONS[src], SKELETONS[dst]
    missing = [n for n in d.joints if n not in spec]
    extra = [n for n in spec if n not in d._index]
    assert not missing and not extra, (src, dst, missing, extra)
    M = np.zeros((d.num_joints, s.num_joints))
    for target, source in spec.items():
        weights = {source: 1.0} if isinstance(source, str) else dict(source)
        for joint, w in weights.items():
            M[d.index(target), s.index(joint)] += w
    assert np.allclose(M.sum(1), 1.0, atol=1e-12), (src, dst)
    _MAPPINGS[(src, dst)] = _Mapping(src, dst, M, notes)


def _register_composed(src: str, via: str, dst: str) -> None:
    first, second = _MAPPINGS[(src, via)], _MAPPINGS[(via, dst)]
    M = second.matrix @ first.matrix
    M[np.abs(M) < 1e-12] = 0.0
    notes = f"{via} -> {dst} applied after {src} -> {via}. " + first.notes
    _MAPPINGS[(src, dst)] = _Mapping(src, dst, M, notes)


_register(
    "cmu31",
    "h36m17",
    {
        "pelvis": _mid("left_hip", "right_hip"),
        **_limbs(),
        "spine": "lower_back",
        "thorax": "thorax",
        "neck": _mid("lower_neck", "upper_neck"),
        "head_top": "head_top",
    },
    "pelvis = midpoint of the ASF hip-joint ends (the ASF root is ~10 cm above and ~5 cm behind "
    "them; H3.6M's pelvis is the midpoint of its hips). spine = end of lowerback (~48 % of the way "
    "from the hip midpoint to the thorax end, like H3.6M's spine). thorax = end of thorax, where "
    "the clavicles start. neck = midpoint of the lowerneck and upperneck ends (halfway from thorax "
    "to head top, like H3.6M's neck/nose point). head_top = end of head. Limbs: ends of hipjoint, "
    "femur, tibia, clavicle, humerus, radius.",
)
_register(
    "h36m17",
    "j14",
    {**_limbs(), "neck": "thorax", "head_top": "head_top"},
    "Selection; J14's neck is H3.6M's thorax (index 8), as in SPIN/SmoothNet's H36M_TO_J14 "
    "[3, 2, 1, 4, 5, 6, 16, 15, 14, 11, 12, 13, 8, 10] for this (VideoPose3D) leg order.",
)
_register(
    "smpl24",
    "h36m17",
    {
        "pelvis": _mid("left_hip", "right_hip"),
        **_limbs(),
        "spine": _mid("spine1", "spine2"),
        "thorax": "neck",
        "neck": "head",
        "head_top": {"head": 1.5, "spine3": -0.5},
    },
    "Approximate (SMPL joints are rotation centres, H3.6M joints marker-based). pelvis = midpoint "
    "of the SMPL hips (SMPL's pelvis joint is ~9 cm higher); spine = midpoint of spine1 and "
    "spine2; "
    "thorax = SMPL neck (base of the neck, a few cm above shoulder level); neck = SMPL head; "
    "head_top = head + 0.5 (head - spine3), an extrapolation ~14 cm above the head joint in the "
    "SMPL template (SMPL has no head-top joint; head nodding is not reflected).",
)
_register_composed("smpl24", "h36m17", "j14")
_register_composed("cmu31", "h36m17", "j14")
_COCO17_NAMES = COCO17.joints
_register("mediapipe33", "coco17", _same(*_COCO17_NAMES), "Selection of the same-named landmarks "
          "(indices 0, 2, 5, 7, 8, 11-16, 23-28; 'left_eye' is MediaPipe's eye centre).")
_register("body25", "coco17", _same(*_COCO17_NAMES), "Selection of the same-named keypoints "
          "(indices 0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11).")
_register("coco133", "coco17", _same(*_COCO17_NAMES), "The first 17 keypoints.")
_register("openpose137", "body25", _same(*BODY25.joints), "The first 25 keypoints (pose_keypoints_2d).")
_register("openpose137", "coco17", _same(*_COCO17_NAMES), "Selection of the same-named body keypoints, as body25's.")
_register("halpe26", "coco17", _same(*_COCO17_NAMES), "The first 17 keypoints.")
_register("halpe136", "halpe26", _same(*HALPE26.joints), "The first 26 keypoints.")
_register("halpe136", "coco17", _same(*_COCO17_NAMES), "The first 17 keypoints.")
_register(
    "coco133",
    "body25",
    {
        **_same(*(n for n in BODY25.joints if n not in ("neck", "mid_hip"))),
        "neck": _mid("left_shoulder", "right_shoulder"),
        "mid_hip": _mid("left_hip", "right_hip"),
    },
    "neck = midpoint of the shoulders and mid_hip = midpoint of the hips, as OpenPose derives them "
    "from COCO labels; body, eyes, ears and the six foot points are copies.",
)


@lru_cache(maxsize=None)
def _identity(skeleton: Skeleton) -> _Mapping:
    return _Mapping(skeleton.name, skeleton.name, np.eye(skeleton.num_joints), "Identity.")


def _mapping(src: SkeletonLike, dst: SkeletonLike) -> _Mapping:
    s, d = get_skeleton(src), get_skeleton(dst)
    if s == d:
        return _identity(s)
    # mappings are defined on the registered skeletons only, never on look-alikes
    registered = SKELETONS.get(s.name) == s and SKELETONS.get(d.name) == d
    m = _MAPPINGS.get((s.name, d.name)) if registered else None
    if m is None:
        raise SynspInputError(
            f"no joint mapping from skeleton {s.name!r} to {d.name!r}; available targets for "
            f"{s.name!r}: {', '.join(mapping_targets(s))}"
        )
    return m


def mapping_targets(src: SkeletonLike) -> list[str]:
    """Skeletons that ``src`` can be mapped to (itself first)."""
    s = get_skeleton(src)
    if SKELETONS.get(s.name) != s:
        return [s.name]
    return [s.name] + [d for (a, d) in _MAPPINGS if a == s.name]


def has_mapping(src: SkeletonLike, dst: SkeletonLike) -> bool:
    """Whether :func:`map_skeleton` can map ``src`` poses to ``dst`` (False for unknown names)."""
    try:
        _mapping(src, dst)
    except SynspInputError:
        return False
    return True


def mapping_matrix(src: SkeletonLike, dst: SkeletonLike) -> np.ndarray:
    """The ``(J_dst, J_src)`` weight matrix of a mapping; each row sums to 1."""
    return _mapping(src, dst).matrix.copy()


def map_skeleton(x: Any, src: SkeletonLike, dst: SkeletonLike) -> Any:
    """Convert poses ``(..., J_src, D)`` on skeleton ``src`` to ``(..., J_dst, D)`` on ``dst``.

    Each target joint is the fixed weighted sum of source joints given by
    :func:`mapping_matrix` (see :func:`describe_mapping` and the module docstring for every
    definition).  Works for any ``D`` (2D pixels, 3D metres) and any leading axes; numpy in,
    numpy out; torch in, torch out (same dtype and device, differentiable).  A NaN source joint
    makes exactly the targets that use it NaN.
    """
    m = _mapping(src, dst)
    s = get_skeleton(src)
    x = _joint_array(x, s.num_joints, f"poses for skeleton {s.name!r}")
    idx, w = m.gather  # (J_dst, K) each
    if is_torch(x):
        import torch  # loaded already: x is a tensor

        ti = torch.as_tensor(idx, device=x.device)
        tw = torch.as_tensor(w, dtype=x.dtype, device=x.device)
        return (x[..., ti, :] * tw[..., None]).sum(-2)  # (..., J_dst, K, D) -> (..., J_dst, D)
    return (x[..., idx, :] * w[..., None].astype(x.dtype)).sum(-2)


def describe_mapping(src: SkeletonLike, dst: SkeletonLike) -> str:
    """A readable table: one line per target joint, ``index name = weight * source + ...``."""
    m = _mapping(src, dst)
    s, d = get_skeleton(src), get_skeleton(dst)
    lines = [f"{s.name} -> {d.name}: {m.notes}"]
    for i, row in enumerate(m.matrix):
        terms = []
        for j in np.flatnonzero(row):
            terms.append(s.joints[j] if row[j] == 1.0 else f"{row[j]:g} {s.joints[j]}")
        lines.append(f"  {i:3d} {d.joints[i]:<24s} = " + " + ".join(terms))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# A neutral SMPL body (forward kinematics of SMPL rotations without the SMPL model files)
# --------------------------------------------------------------------------------------------

#: parent-to-joint offsets (metres, parent frame) of a neutral SMPL-like body in SMPL's rest pose
#: (T-pose, y up, x to the body's left, z forward): a hand-made mannequin for forward kinematics
SMPL24_OFFSETS = np.array([
    (0.0, 0.0, 0.0), (0.07, -0.09, 0.0), (-0.07, -0.09, 0.0), (0.0, 0.10, 0.0),  # pelvis, hips, spine1
    (0.0, -0.38, 0.0), (0.0, -0.38, 0.0), (0.0, 0.13, 0.0),  # knees, spine2
    (0.0, -0.40, 0.0), (0.0, -0.40, 0.0), (0.0, 0.06, 0.0),  # ankles, spine3
    (0.0, -0.05, 0.12), (0.0, -0.05, 0.12), (0.0, 0.20, 0.0),  # feet, neck
    (0.07, 0.12, 0.0), (-0.07, 0.12, 0.0), (0.0, 0.09, 0.03),  # collars, head
    (0.11, 0.0, 0.0), (-0.11, 0.0, 0.0), (0.26, 0.0, 0.0), (-0.26, 0.0, 0.0),  # shoulders, elbows
    (0.25, 0.0, 0.0), (-0.25, 0.0, 0.0), (0.08, 0.0, 0.0), (-0.08, 0.0, 0.0),  # wrists, hands
])


def smpl24_joints(rotvec: Any, offsets: Any = None) -> np.ndarray:
    """Joint positions ``(T, 24, 3)`` (metres, pelvis at the origin) of local axis-angles
    ``(T, 24, 3)`` by forward kinematics of :data:`SMPL24_OFFSETS` (or ``offsets`` ``(24, 3)``)."""
    x = check_poses(rotvec, "rotvec", ndims=(3,), dims=(3,), joints=24)
    off = SMPL24_OFFSETS if offsets is None else to_numpy(offsets)
    pos, _ = forward_kinematics(axis_angle_to_matrix(x), off, get_skeleton("smpl24").parents,
                                np.zeros((x.shape[0], 3)))
    return pos
