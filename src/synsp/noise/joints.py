"""Skeleton helpers: error factors per joint from the joint's name, the skeleton, the left/right flip."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..skeletons import get_skeleton
from ..validation import SynspInputError
from .model import JointScale


_EXTREMITY_WORDS = (
    "wrist", "hand", "ankle", "foot", "toe", "heel", "finger", "thumb", "index", "pinky", "palm",
)
_LIMB_WORDS = ("elbow", "knee", "forearm", "shin", "calf")
_HEAD_WORDS = ("head", "nose", "eye", "ear", "mouth", "face", "jaw", "chin", "lip", "brow")
_TORSO_WORDS = (
    "hip", "pelvis", "spine", "thorax", "neck", "shoulder", "chest", "clavicle", "collar", "root",
    "torso", "abdomen", "back", "sternum", "waist",
)


def _joint_class(name: str) -> str:
    low = name.lower()
    for cls, words in (
        ("extremity", _EXTREMITY_WORDS),
        ("limb", _LIMB_WORDS),
        ("head", _HEAD_WORDS),
        ("torso", _TORSO_WORDS),
    ):
        if any(w in low for w in words):
            return cls
    return "limb"


def joint_factors(names: Sequence[str], scale: JointScale | None = None) -> np.ndarray:
    """Error multiplier per joint from its name, ``(J,)``, see :class:`JointScale`."""
    scale = JointScale() if scale is None else scale
    return np.array([getattr(scale, _joint_class(str(n))) for n in names], dtype=np.float64)


def resolve_skeleton(skeleton: Any):
    if isinstance(skeleton, str):
        return get_skeleton(skeleton)
    missing = [a for a in ("joints", "left_right", "root_joints") if not hasattr(skeleton, a)]
    if missing:
        raise SynspInputError(
            f"skeleton is {type(skeleton).__name__}, which has no {', '.join(missing)}; "
            "pass a skeleton name such as 'h36m17' or a synsp.skeletons.Skeleton"
        )
    return skeleton


def flip_permutation(num_joints: int, pairs: np.ndarray) -> np.ndarray:
    perm = np.arange(num_joints)
    perm[pairs[:, 0]], perm[pairs[:, 1]] = pairs[:, 1], pairs[:, 0]
    return perm
