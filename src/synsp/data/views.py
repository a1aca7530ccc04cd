"""The old home of the training views, kept as re-exports only until its last importers move (issue 16).

Each concept has its own module now: cameras and multi-view sets in
:mod:`synsp.data.cameras`, random combination in :mod:`synsp.data.groups`,
the pose bank and similar-pose groups in :mod:`synsp.data.pose_bank`, a corpus
split as positions in :mod:`synsp.data.positions`.  Import from those; this
module defines nothing.
"""

from __future__ import annotations

from .cameras import Camera, from_camera, look_at, multi_view, project, random_camera, to_camera, view_depth_axes
from .groups import random_combination, random_groups
from .pose_bank import PoseBank, align_to, draw_windows, pose_descriptor, similar_pose_groups
from .positions import split_positions

__all__ = [
    "Camera",
    "look_at",
    "random_camera",
    "to_camera",
    "from_camera",
    "project",
    "multi_view",
    "view_depth_axes",
    "random_groups",
    "random_combination",
    "pose_descriptor",
    "PoseBank",
    "draw_windows",
    "align_to",
    "similar_pose_groups",
    "split_positions",
]
