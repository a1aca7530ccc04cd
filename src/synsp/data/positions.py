"""A corpus split as position sequences: world metres, or the pixels of a seeded virtual camera
(the evaluation sets' convention, :func:`split_positions`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .cameras import project, random_camera
from .corpus import load_corpus

__all__ = ["split_positions"]


def split_positions(skeleton: str = "h36m17", split: str = "test", representation: str = "3d",
                    frames: int = 10**9, corpus: Any = None, seed: int = 0) -> list[tuple[np.ndarray, Any]]:
    """A corpus split's clips (one phase per take, sorted by id) as ``(positions, clip)`` pairs, whole clips
    until ``frames`` frames are reached: world metres, or for ``representation="2d"`` the pixels of clip
    ``i`` seen by the :func:`~synsp.data.cameras.random_camera` seeded ``seed + i`` (the evaluation sets' convention).
    ``skeleton="smpl24"``: the clips with rotations, their joints by forward kinematics of a neutral SMPL
    body (:func:`synsp.skeletons.smpl24_joints`) moved along the clip's h36m17 pelvis path."""
    clips = load_corpus(corpus, skeleton=skeleton, split=split, phases="first", rotations=skeleton == "smpl24")
    out, total = [], 0
    for i, clip in enumerate(sorted(clips, key=lambda c: c.clip_id)):
        if total >= frames:
            break
        gt = clip.positions.astype(np.float64)
        if representation == "2d":
            centre = gt.reshape(-1, 3).mean(axis=0)
            cam = random_camera(np.random.default_rng(seed + i), centre,
                                radius=float(np.linalg.norm(gt - centre, axis=-1).max()))
            gt, _ = project(gt, cam)
        out.append((gt, clip))
        total += gt.shape[0]
    return out
