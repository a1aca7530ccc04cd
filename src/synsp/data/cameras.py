"""Virtual cameras: a pinhole :class:`Camera`, cameras looking at a subject, world <-> camera <-> pixels,
and one motion seen by P cameras (:func:`multi_view`).

SynSP refines ``P`` pose sequences at once, ``(P, W, C)``, and lets every view
attend to the others.  The paper's multi-view Human3.6M setting is **one
motion, P cameras** (:func:`multi_view`): synchronised views of one subject,
each with its own estimator errors.  (Other ways to fill the P views:
:mod:`synsp.data.groups`, random combination, and :mod:`synsp.data.pose_bank`,
similar poses.)

Cameras
-------
A :class:`Camera` is a pinhole camera without distortion.  World points ``X``
(metres, rows) map to camera coordinates ``X_c = X R^T + t`` in the OpenCV
convention: **x to the right of the image, y down the image, z forward along
the optical axis** (a right-handed frame; depth is ``z``).  Pixels are
``u = fx x/z + cx``, ``v = fy y/z + cy`` with the origin at the top-left corner
of the image.  :func:`random_camera` looks at the subject from a random yaw
(full circle about the world's up axis), pitch (-10 to 40 degrees, positive
looking down), roll (+-5 degrees), distance (2.5 to 8 m, farther when the
subject needs it to fit), focal length (500 to 1500 px) and image size
(1000 x 1000 or 1920 x 1080).

Simulated errors are applied by the caller with :func:`synsp.noise.simulate`:
for 3D, ``depth_axis`` is the camera's viewing direction, i.e.
:func:`view_depth_axes` (world frame) or axis 2 (camera frame); for 2D, a pixel
preset on the output of :func:`project`.

Which frame for multi-view 3D (recommendation)
----------------------------------------------
SynSP's cross-view similarity cue, ``exp(-mean_c (x_j - x_i)^2)`` per frame,
compares the views' coordinates directly.  It means "view j agrees with view i
here" only when the views share a frame:

* ``frame="world"`` (known extrinsics: every view's output rotated, and for
  root-relative estimators translated, into one shared frame): views differ by
  their errors only, so the cue is high where they agree and drops exactly
  where one view has a miss, an inversion or a burst of jitter.  **The shipped
  multi-view model should use this frame** (``WindowDataset(...,
  representation="3d")``).  It needs calibrated cameras at inference.
* ``frame="camera"``: each view in its own camera frame, root-relative like
  Human3.6M's files (the paper's setting and the official ``mh36m`` loader):
  views differ by a rotation of up to 180 degrees, the cue is near
  ``exp(-large)`` everywhere and carries no information; the network can only
  learn the relation through attention, with the rotation as a nuisance.  Use
  it to reproduce the paper's H3.6M numbers, or where no calibration exists;
  then aligning the views' orientation first (rigid Procrustes of each view
  onto view 0 over the window, as :func:`synsp.data.pose_bank.similar_pose_groups` does) restores
  a meaningful cue, at the price of absorbing part of each view's error into
  the alignment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..skeletons import get_skeleton
from ..validation import SynspInputError, check_poses, to_numpy

__all__ = ["Camera", "look_at", "random_camera", "to_camera", "from_camera", "project", "multi_view",
           "view_depth_axes"]

IMAGE_SIZES = ((1000, 1000), (1920, 1080))
"""(width, height) choices of :func:`random_camera`: Human3.6M-like and full HD."""


@dataclass(frozen=True, eq=False)
class Camera:
    """A pinhole camera (no distortion), OpenCV convention (x right, y down, z forward).

    ``R`` ``(3, 3)`` rotates world into camera coordinates and ``t`` ``(3,)``
    translates: ``X_c = R X + t``.  ``focal`` ``(fx, fy)`` and ``principal``
    ``(cx, cy)`` in pixels; ``image_size`` ``(width, height)`` in pixels.
    """

    R: np.ndarray
    t: np.ndarray
    focal: tuple[float, float]
    principal: tuple[float, float]
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        R = np.asarray(self.R, dtype=np.float64)
        t = np.asarray(self.t, dtype=np.float64)
        if R.shape != (3, 3) or not np.allclose(R @ R.T, np.eye(3), atol=1e-6) or np.linalg.det(R) <= 0:
            raise SynspInputError(f"Camera.R must be a (3, 3) rotation matrix (orthonormal, det +1); got {R!r}")
        if t.shape != (3,):
            raise SynspInputError(f"Camera.t has shape {t.shape}; expected (3,)")
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "focal", (float(self.focal[0]), float(self.focal[1])))
        object.__setattr__(self, "principal", (float(self.principal[0]), float(self.principal[1])))
        object.__setattr__(self, "image_size", (int(self.image_size[0]), int(self.image_size[1])))

    @property
    def position(self) -> np.ndarray:
        """Centre of projection in world coordinates, ``-R^T t``."""
        return -self.R.T @ self.t

    @property
    def viewing_direction(self) -> np.ndarray:
        """Unit optical axis (camera +z) in world coordinates: the depth direction."""
        return self.R[2].copy()


def look_at(
    eye: Any,
    target: Any,
    *,
    up: Any = (0.0, 1.0, 0.0),
    roll_deg: float = 0.0,
    focal: float = 1000.0,
    image_size: tuple[int, int] = (1000, 1000),
) -> Camera:
    """A camera at ``eye`` whose optical axis passes through ``target``.

    The image's y axis points along ``-up`` (then turned by ``roll_deg`` about
    the optical axis); the principal point is the image centre, so ``target``
    projects there.
    """
    eye = np.asarray(eye, dtype=np.float64)
    forward = np.asarray(target, dtype=np.float64) - eye
    up = np.asarray(up, dtype=np.float64)
    if forward.shape != (3,) or up.shape != (3,):
        raise SynspInputError("eye, target and up must be 3-vectors")
    norm = np.linalg.norm(forward)
    if norm == 0:
        raise SynspInputError("look_at: eye and target are the same point")
    forward = forward / norm
    right = np.cross(forward, up)
    if np.linalg.norm(right) < 1e-9:
        raise SynspInputError("look_at: the viewing direction is parallel to up; pass another up vector")
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
    roll = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    R = roll @ np.stack([right, down, forward])
    width, height = image_size
    return Camera(R, -R @ eye, (focal, focal), (width / 2.0, height / 2.0), (width, height))


def random_camera(
    rng: np.random.Generator,
    target_center: Any,
    *,
    radius: float = 1.0,
    yaw_deg: tuple[float, float] = (0.0, 360.0),
    pitch_deg: tuple[float, float] = (-10.0, 40.0),
    roll_deg: tuple[float, float] = (-5.0, 5.0),
    distance: tuple[float, float] = (2.5, 8.0),
    focal: tuple[float, float] = (500.0, 1500.0),
    image_sizes: Sequence[tuple[int, int]] = IMAGE_SIZES,
    up: Any = (0.0, 1.0, 0.0),
    fill: float = 0.9,
) -> Camera:
    """A random camera looking at ``target_center`` (world coordinates, metres).

    Yaw, pitch (positive: camera above, looking down), roll, focal length and
    distance are uniform in their ranges; the image size is one of
    ``image_sizes``.  The subject is the sphere of ``radius`` metres about
    ``target_center`` (for a clip: the bounding sphere of all its joints).  The
    distance is raised where needed so that this sphere, which projects to a
    circle of radius ``f r / sqrt(d^2 - r^2)`` pixels around the principal
    point, stays within ``fill`` of the half of the image's shorter side:
    every joint of the subject is then inside the image.
    """
    center = np.asarray(target_center, dtype=np.float64)
    up = np.asarray(up, dtype=np.float64)
    if center.shape != (3,) or up.shape != (3,) or not np.isfinite(center).all():
        raise SynspInputError(f"target_center must be a finite 3-vector; got {target_center!r}")
    if not (radius >= 0 and math.isfinite(radius)):
        raise SynspInputError(f"radius is {radius!r}; expected a finite distance >= 0 (metres)")
    up = up / np.linalg.norm(up)
    helper = np.eye(3)[int(np.argmin(np.abs(up)))]
    east = np.cross(up, helper)
    east /= np.linalg.norm(east)
    north = np.cross(east, up)
    yaw = math.radians(rng.uniform(*yaw_deg))
    pitch = math.radians(rng.uniform(*pitch_deg))
    roll = rng.uniform(*roll_deg)
    f = rng.uniform(*focal)
    width, height = image_sizes[int(rng.integers(len(image_sizes)))]
    half = fill * min(width, height) / 2.0
    fit = radius * math.sqrt(1.0 + (f / half) ** 2)
    d = max(rng.uniform(*distance), fit)
    away = math.cos(pitch) * (math.sin(yaw) * east + math.cos(yaw) * north) + math.sin(pitch) * up
    return look_at(center + d * away, center, up=up, roll_deg=roll, focal=f, image_size=(width, height))


def _points(positions: Any, name: str = "positions") -> np.ndarray:
    x = to_numpy(positions)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise SynspInputError(f"{name} has shape {x.shape}; expected (..., 3) points")
    return x


def to_camera(positions: Any, cam: Camera) -> np.ndarray:
    """World points ``(..., 3)`` -> camera coordinates ``(..., 3)`` (x right, y down, z forward)."""
    return _points(positions) @ cam.R.T + cam.t


def from_camera(points: Any, cam: Camera) -> np.ndarray:
    """Camera coordinates ``(..., 3)`` -> world points; the inverse of :func:`to_camera`."""
    return (_points(points, "points") - cam.t) @ cam.R


def project(positions: Any, cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """World points ``(..., 3)`` -> ``(pixels (..., 2), depth (...))``.

    ``depth`` is the camera z (metres along the optical axis); pixels of points
    with ``depth <= 0`` (behind the camera) are meaningless.
    """
    xc = to_camera(positions, cam)
    z = xc[..., 2]
    safe = np.where(z > 0, z, np.inf)
    u = cam.focal[0] * xc[..., 0] / safe + cam.principal[0]
    v = cam.focal[1] * xc[..., 1] / safe + cam.principal[1]
    return np.stack([u, v], axis=-1), z


# ----------------------------------------------------------------------------
# One motion, P cameras

FRAMES = ("world", "camera", "image")


def multi_view(
    gt: Any,
    cameras: Sequence[Camera],
    frame: str = "world",
    *,
    root_relative: bool = False,
    skeleton: Any = None,
) -> np.ndarray:
    """The motion ``gt`` ``(T, J, 3)`` (world, metres) seen by P cameras: ``(T, P, J, D)``.

    ``frame="world"``: every view is ``gt`` itself (a shared frame; errors are
    added per view afterwards, along each camera's depth, see
    :func:`view_depth_axes`).  ``frame="camera"``: view p is
    ``to_camera(gt, cameras[p])``; with ``root_relative=True`` (needs
    ``skeleton``) each frame's root is subtracted, like Human3.6M's
    camera-frame files, and views differ by the cameras' relative rotations
    only.  ``frame="image"``: pixels, ``D = 2``.  See the module docstring for
    which frame a multi-view model should use.
    """
    x = check_poses(gt, "gt", dims=(3,))
    if frame not in FRAMES:
        raise SynspInputError(f"frame is {frame!r}; expected one of {FRAMES}")
    if len(cameras) == 0:
        raise SynspInputError("cameras is empty; pass at least one Camera")
    if frame == "world":
        views = np.repeat(x[:, None], len(cameras), axis=1)
    elif frame == "camera":
        views = np.stack([to_camera(x, cam) for cam in cameras], axis=1)
    else:
        views = np.stack([project(x, cam)[0] for cam in cameras], axis=1)
    if root_relative:
        if skeleton is None:
            raise SynspInputError("root_relative=True needs skeleton= to know the root joints")
        views = views - get_skeleton(skeleton).root_position(views)[..., None, :]
    return views


def view_depth_axes(cameras: Sequence[Camera], frame: str = "world") -> np.ndarray:
    """``(P, 3)`` depth direction of every view, for ``simulate(..., depth_axis=...)``.

    The cameras' viewing directions in the world frame, or ``(0, 0, 1)`` for
    every view in camera frames.
    """
    if frame == "world":
        return np.stack([cam.viewing_direction for cam in cameras])
    if frame == "camera":
        return np.tile(np.array([0.0, 0.0, 1.0]), (len(cameras), 1))
    raise SynspInputError(f"frame is {frame!r}; depth axes exist for 'world' or 'camera' 3D views")
