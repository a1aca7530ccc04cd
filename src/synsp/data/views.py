"""Views for training: virtual cameras, multi-view sets, random and similar-pose groups.

SynSP refines ``P`` pose sequences at once, ``(P, W, C)``, and lets every view
attend to the others.  Where the P sequences come from:

* **one motion, P cameras** (:func:`multi_view`): the paper's multi-view
  Human3.6M setting, synchronised views of one subject, each with its own
  estimator errors;
* **random combination** (:func:`random_combination`, seed supplementary 2.7):
  windows of different people and frames stacked as if they were views;
* **similar poses** (:func:`similar_pose_groups`, seed 2.7): each window with
  its nearest neighbours in a :class:`PoseBank` of training windows.

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
  onto view 0 over the window, as :func:`similar_pose_groups` does) restores
  a meaningful cue, at the price of absorbing part of each view's error into
  the alignment.

Similar poses
-------------
Windows are compared by :func:`pose_descriptor`: root-relative per frame,
rotated into the window's mean torso frame (3D; so the facing direction and
any camera rotation do not count), divided by the window's RMS joint distance
from the root (so body size and camera distance do not count), flattened.
:class:`PoseBank` searches it exactly, with a PCA prefilter and matrix
products in chunks.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..skeletons import Skeleton, get_skeleton, smpl24_joints
from ..validation import SynspInputError, check_poses, to_numpy
from .corpus import load_corpus

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

IMAGE_SIZES = ((1000, 1000), (1920, 1080))
"""(width, height) choices of :func:`random_camera`: Human3.6M-like and full HD."""

PCA_DIMS = 32
"""Dimensions of the PCA code that preselects candidates in :meth:`PoseBank.nearest`."""

_BANK_VERSION = 1


# ----------------------------------------------------------------------------
# Cameras


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


def split_positions(skeleton: str = "h36m17", split: str = "test", representation: str = "3d",
                    frames: int = 10**9, corpus: Any = None, seed: int = 0) -> list[tuple[np.ndarray, Any]]:
    """A corpus split's clips (one phase per take, sorted by id) as ``(positions, clip)`` pairs, whole clips
    until ``frames`` frames are reached: world metres, or for ``representation="2d"`` the pixels of clip
    ``i`` seen by the :func:`random_camera` seeded ``seed + i`` (the evaluation sets' convention).
    ``skeleton="smpl24"``: the clips with rotations, their joints by forward kinematics of a neutral SMPL
    body (:func:`synsp.skeletons.smpl24_joints`) moved along the clip's h36m17 pelvis path."""
    fk = skeleton == "smpl24"  # no stored smpl24 positions: forward kinematics of the clips' rotations
    clips = load_corpus(corpus, skeleton="h36m17" if fk else skeleton, split=split, phases="first", rotations=fk)
    out, total = [], 0
    for i, clip in enumerate(sorted(clips, key=lambda c: c.clip_id)):
        if total >= frames:
            break
        gt = clip.positions.astype(np.float64)
        if fk:  # a neutral SMPL body on the h36m17 pelvis path: a joint set the corpus does not store
            gt = smpl24_joints(clip.rotations.astype(np.float64)) + gt[:, :1]
        if representation == "2d":
            centre = gt.reshape(-1, 3).mean(axis=0)
            cam = random_camera(np.random.default_rng(seed + i), centre,
                                radius=float(np.linalg.norm(gt - centre, axis=-1).max()))
            gt, _ = project(gt, cam)
        out.append((gt, clip))
        total += gt.shape[0]
    return out


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


# ----------------------------------------------------------------------------
# Random combination


def random_groups(n: int, views: int, rng: np.random.Generator, num_groups: int | None = None) -> np.ndarray:
    """Indices ``(N', P)`` of ``views`` distinct items out of ``n`` per group.

    ``num_groups=None``: a random partition, every item in at most one group,
    ``N' = n // views`` (the remainder is left out).  Otherwise ``num_groups``
    independent groups (items repeat across groups, never within one).
    """
    if int(views) != views or views < 1 or views > n:
        raise SynspInputError(f"views is {views!r}; expected an integer in 1..{n} (the number of windows)")
    if num_groups is None:
        count = n // views
        return rng.permutation(n)[: count * views].reshape(count, views)
    if int(num_groups) != num_groups or num_groups < 1:
        raise SynspInputError(f"num_groups is {num_groups!r}; expected a positive integer or None")
    return np.stack([rng.choice(n, size=views, replace=False) for _ in range(int(num_groups))])


def random_combination(
    windows: Any, views: int, rng: np.random.Generator, num_groups: int | None = None
) -> np.ndarray:
    """Windows ``(N, W, J, D)`` of different people and frames grouped as views: ``(N', P, W, J, D)``.

    The seed's "random combination" (supplementary 2.7): unrelated windows
    stacked as if they were synchronised views.  Grouping as in
    :func:`random_groups`.
    """
    w = to_numpy(windows)
    if w.ndim != 4 or w.shape[-1] not in (2, 3):
        raise SynspInputError(f"windows has shape {w.shape}; expected (N, W, J, D) with D = 2 or 3")
    return w[random_groups(w.shape[0], views, rng, num_groups)]


# ----------------------------------------------------------------------------
# Similar poses


def _torso(sk: Skeleton) -> tuple[list[int], list[int], list[int], list[int]] | None:
    names = ("left_hip", "left_shoulder", "right_hip", "right_shoulder")
    if not all(n in sk.joints for n in names):
        return None
    lh, ls, rh, rs = (sk.index(n) for n in names)
    return [lh, ls], [rh, rs], [lh, rh], [ls, rs]


def _torso_frames(x: np.ndarray, sk: Skeleton) -> np.ndarray | None:
    """Rows (lateral, up, forward) of each window's mean torso frame, ``(N, 3, 3)``.

    ``x`` ``(N, W, J, 3)`` root-relative.  Up: shoulders' midpoint minus
    hips' midpoint; lateral: left minus right (hips and shoulders),
    orthogonalised; forward completes a right-handed frame.
    """
    torso = _torso(sk)
    if torso is None:
        return None
    left, right, hips, shoulders = torso
    lateral = (x[:, :, left].mean(2) - x[:, :, right].mean(2)).mean(1)  # (N, 3)
    up = (x[:, :, shoulders].mean(2) - x[:, :, hips].mean(2)).mean(1)
    up = up / np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-12)
    lateral = lateral - (lateral * up).sum(-1, keepdims=True) * up
    lateral = lateral / np.maximum(np.linalg.norm(lateral, axis=-1, keepdims=True), 1e-12)
    return np.stack([lateral, up, np.cross(lateral, up)], axis=1)


def pose_descriptor(windows: Any, skeleton: Any = "h36m17") -> np.ndarray:
    """Normalised, flattened windows: ``(N, W, J, D) -> (N, W*J*D)`` float32.

    Per frame root-relative; in 3D rotated into the window's mean torso frame
    (when the skeleton names both hips and shoulders); divided by the window's
    RMS joint distance from the root.  A window and any rotated, translated or
    scaled copy of it have the same descriptor.
    """
    sk = get_skeleton(skeleton)
    x = to_numpy(windows)
    if x.ndim != 4 or x.shape[-1] not in (2, 3) or x.shape[2] != sk.num_joints:
        raise SynspInputError(
            f"windows has shape {x.shape}; expected (N, W, J, D) with J = {sk.num_joints} "
            f"({sk.name}) and D = 2 or 3"
        )
    x = x - sk.root_position(x)[..., None, :]
    if x.shape[-1] == 3:
        frames = _torso_frames(x, sk)
        if frames is not None:
            x = np.einsum("nij,nwkj->nwki", frames, x)
    rms = np.sqrt((x * x).sum(-1).mean((1, 2)))
    x = x / np.maximum(rms, 1e-12)[:, None, None, None]
    return x.reshape(x.shape[0], -1).astype(np.float32)


@dataclass(eq=False)
class PoseBank:
    """Training windows searchable by pose similarity, mirror images included.

    ``windows`` ``(M, W, J, D)`` float32 on ``skeleton``; ``labels`` ``(M,)``
    int group ids (the take: windows of one take can be excluded from its own
    queries); ``sources`` ``(M, 2)`` (clip index, start frame) in the clips it
    was built from; ``seed`` the draw that chose them.

    The search runs over ``2M`` *entries*: entry ``i < M`` is ``windows[i]``,
    entry ``M + i`` its mirror image (:meth:`Skeleton.mirror`: left and right
    swapped), so a pose and its mirrored twin are equally easy to find (the
    descriptor of a pose raising the right arm is far from the same pose
    raising the left arm).  :meth:`entries` returns them.  Descriptors and
    their PCA code are computed on construction (a few seconds for 20,000
    windows).
    """

    windows: np.ndarray
    skeleton: str
    labels: np.ndarray
    sources: np.ndarray
    seed: int = 0
    descriptors: np.ndarray = field(init=False, repr=False)
    _mean: np.ndarray = field(init=False, repr=False)
    _basis: np.ndarray = field(init=False, repr=False)
    _codes_t: np.ndarray = field(init=False, repr=False)
    _code_norms: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        sk = get_skeleton(self.skeleton)
        self.skeleton = sk.name
        self.windows = np.asarray(to_numpy(self.windows), dtype=np.float32)
        M = self.windows.shape[0] if self.windows.ndim == 4 else 0
        if M == 0:
            raise SynspInputError(f"PoseBank windows have shape {self.windows.shape}; expected (M, W, J, D), M >= 1")
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        self.sources = np.asarray(self.sources, dtype=np.int64).reshape(-1, 2)
        if self.labels.shape != (M,) or self.sources.shape != (M, 2):
            raise SynspInputError(
                f"PoseBank has {M} windows but labels {self.labels.shape} and sources "
                f"{self.sources.shape}; expected ({M},) and ({M}, 2)"
            )
        mirrored = sk.mirror(self.windows, axis=0).astype(np.float32)
        self.descriptors = pose_descriptor(np.concatenate([self.windows, mirrored]), sk)  # (2M, F)
        d = self.descriptors.astype(np.float64)
        mean = d.mean(0)
        centred = d - mean
        _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
        basis = vectors[:, ::-1][:, : min(PCA_DIMS, d.shape[1])]
        codes = centred @ basis  # (2M, K)
        self._mean, self._basis = mean.astype(np.float32), np.ascontiguousarray(basis, dtype=np.float32)
        self._codes_t = np.ascontiguousarray(codes.T, dtype=np.float32)  # (K, 2M)
        self._code_norms = (codes**2).sum(1).astype(np.float32)

    def __len__(self) -> int:
        return int(self.windows.shape[0])

    @property
    def window(self) -> int:
        return int(self.windows.shape[1])

    def entries(self, index: Any) -> np.ndarray:
        """Windows of entry indices ``(...)`` -> ``(..., W, J, D)`` (mirror images for ``index >= M``)."""
        index = np.asarray(index, dtype=np.int64)
        M = len(self)
        w = self.windows[index % M]
        mirrored = get_skeleton(self.skeleton).mirror(w, axis=0)
        return np.where((index >= M)[..., None, None, None], mirrored, w)

    @classmethod
    def from_clips(
        cls,
        clips: Sequence[Any],
        window: int = 8,
        size: int = 20000,
        skeleton: Any = "h36m17",
        seed: int = 0,
    ) -> "PoseBank":
        """``size`` windows drawn uniformly without replacement over every (clip, start).

        ``clips``: :class:`~synsp.data.corpus.Clip` objects (labelled by take)
        or ``(T, J, D)`` arrays (labelled by index).  Clips shorter than
        ``window`` are skipped; all windows are kept when there are fewer than
        ``size``.
        """
        windows, labels, sources = draw_windows(clips, window, size, seed)
        return cls(windows, get_skeleton(skeleton).name, labels, sources, seed)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the bank to a pickle-free ``.npz`` (windows, labels, sources, metadata)."""
        path = Path(path)
        meta = {"version": _BANK_VERSION, "skeleton": self.skeleton, "seed": int(self.seed)}
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            np.savez_compressed(
                f, windows=self.windows, labels=self.labels, sources=self.sources, meta=np.array(json.dumps(meta))
            )
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PoseBank":
        """Read a bank written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise SynspInputError(f"no pose bank at {path}")
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("version") != _BANK_VERSION:
                raise SynspInputError(f"{path} is pose-bank format {meta.get('version')}; expected {_BANK_VERSION}")
            return cls(z["windows"], meta["skeleton"], z["labels"], z["sources"], meta["seed"])

    def nearest(self, query: Any, k: int, exclude: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` bank windows most similar to each query window.

        ``query`` ``(W, J, D)`` or ``(N, W, J, D)``; ``exclude`` an optional
        label (or ``(N,)`` labels) whose windows a query must not return.
        Returns ``(distance, index)``, each ``(N, k)`` (``N = 1`` for one
        window), nearest first; ``index`` counts entries (``index % M`` is the
        stored window, ``index >= M`` its mirror image).  ``distance`` is the
        RMS per-joint distance between descriptors, in units of the windows'
        RMS joint radius (0 for the same window, or a rotated, moved or scaled
        copy, or the mirror image of a stored window).  The search
        preselects ``max(4k, 64)`` candidates by the PCA code and ranks them by
        the full descriptor, in chunks of 256 queries.
        """
        q = to_numpy(query)
        if q.ndim == 3:
            q = q[None]
        if q.ndim != 4 or q.shape[1:] != self.windows.shape[1:]:
            raise SynspInputError(
                f"query has shape {q.shape}; expected (W, J, D) or (N, W, J, D) with (W, J, D) = "
                f"{self.windows.shape[1:]} like the bank"
            )
        if int(k) != k or not 1 <= k <= 2 * len(self):
            raise SynspInputError(f"k is {k!r}; expected an integer in 1..{2 * len(self)} (the bank's entries)")
        excl = None if exclude is None else np.broadcast_to(np.asarray(exclude, dtype=np.int64), (q.shape[0],))
        desc = pose_descriptor(q, self.skeleton)
        codes = (desc - self._mean) @ self._basis  # (N, K)
        labels = np.tile(self.labels, 2)
        n_cand = min(2 * len(self), max(4 * int(k), 64))
        scale = float(self.windows.shape[1] * self.windows.shape[2])
        dist = np.empty((q.shape[0], k))
        index = np.empty((q.shape[0], k), dtype=np.int64)
        for lo in range(0, q.shape[0], 256):
            hi = min(lo + 256, q.shape[0])
            # a few queries: einsum's plain loop; OpenBLAS's thread start-up costs ms per call
            dot = codes[lo:hi] @ self._codes_t if hi - lo > 16 else np.einsum("nk,km->nm", codes[lo:hi], self._codes_t)
            d2 = self._code_norms - 2.0 * dot  # (n, M), |q|^2 left out
            if excl is not None:
                d2[labels[None] == excl[lo:hi, None]] = np.inf
            cand = np.argpartition(d2, n_cand - 1, axis=1)[:, :n_cand]  # (n, c)
            diff = self.descriptors[cand] - desc[lo:hi, None]  # (n, c, F)
            full = np.einsum("ncf,ncf->nc", diff, diff)
            full[np.isinf(np.take_along_axis(d2, cand, axis=1))] = np.inf
            order = np.argsort(full, axis=1, kind="stable")[:, :k]
            best = np.take_along_axis(full, order, axis=1)
            if not np.isfinite(best).all():
                raise SynspInputError(f"fewer than {k} bank entries are left after excluding label(s) {exclude!r}")
            dist[lo:hi] = np.sqrt(best / scale)
            index[lo:hi] = np.take_along_axis(cand, order, axis=1)
        return dist, index


def draw_windows(
    clips: Sequence[Any], window: int, size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``size`` windows drawn uniformly without replacement over every (clip, start) pair.

    Returns ``(windows (M, W, J, D) float32, labels (M,), sources (M, 2))``
    as :class:`PoseBank` takes them; ``M = min(size, number of pairs)``.
    """
    arrays, labels = _clip_arrays(clips)
    if int(window) != window or window < 1 or int(size) != size or size < 1:
        raise SynspInputError(f"window and size must be positive integers; got {window!r} and {size!r}")
    lengths = np.array([max(a.shape[0] - window + 1, 0) for a in arrays])
    total = int(lengths.sum())
    if total == 0:
        raise SynspInputError(f"no clip has {window} frames; nothing to draw")
    pick = np.sort(np.random.default_rng(seed).choice(total, size=min(size, total), replace=False))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    clip = np.searchsorted(offsets, pick, side="right") - 1
    start = pick - offsets[clip]
    windows = np.stack([arrays[c][s : s + window] for c, s in zip(clip, start)])
    return windows, labels[clip], np.stack([clip, start], 1)


def _clip_arrays(clips: Sequence[Any]) -> tuple[list[np.ndarray], np.ndarray]:
    """Positions of Clip objects or arrays, and an int label per clip (take id, or index)."""
    if len(clips) == 0:
        raise SynspInputError("clips is empty; pass at least one clip")
    arrays, names = [], []
    for i, c in enumerate(clips):
        positions = getattr(c, "positions", c)
        arrays.append(check_poses(positions, f"clips[{i}]").astype(np.float32))
        names.append(getattr(c, "take", None) or f"#{i}")
    ids = {n: k for k, n in enumerate(dict.fromkeys(names))}
    return arrays, np.array([ids[n] for n in names], dtype=np.int64)


def align_to(source: np.ndarray, target: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Move windows ``source`` ``(..., W, J, D)`` onto ``target`` (broadcastable).

    3D: rigid Procrustes (rotation and translation) over all joints of the
    window; 2D: similarity (also scale, since pixels scale with camera
    distance).  ``others`` (same shape as ``source``, e.g. its noisy version)
    get the same transform.  Returns the moved ``source`` then ``others``.

    Same solution as :func:`synsp.geometry.rigid_procrustes` /
    :func:`~synsp.geometry.similarity_procrustes`, in numpy: the training
    loop calls this per sample, where torch's per-call overhead on 3 x 3
    matrices costs milliseconds.
    """
    shape, D = source.shape, source.shape[-1]
    src = source.reshape(shape[:-3] + (-1, D)).astype(np.float64)  # (..., N, D)
    tgt = np.broadcast_to(target.reshape(target.shape[:-3] + (-1, D)), src.shape).astype(np.float64)
    mu1, mu2 = src.mean(-2, keepdims=True), tgt.mean(-2, keepdims=True)
    X1, X2 = src - mu1, tgt - mu2
    K = np.swapaxes(X1, -1, -2) @ X2  # (..., D, D)
    U, _, Vh = np.linalg.svd(K)
    z = np.ones(K.shape[:-1])
    z[..., -1] = np.where(np.linalg.det(U @ Vh) < 0, -1.0, 1.0)  # a rotation, never a reflection
    R = np.swapaxes(Vh, -1, -2) @ (z[..., :, None] * np.swapaxes(U, -1, -2))  # V Z U^T
    if D == 2:
        var = (X1 * X1).sum((-2, -1))
        s = (R * np.swapaxes(K, -1, -2)).sum((-2, -1)) / np.where(var > 0, var, 1.0)
    else:
        s = np.ones(K.shape[:-2])
    t = mu2 - s[..., None, None] * mu1 @ np.swapaxes(R, -1, -2)  # (..., 1, D)
    moved = []
    for x in (source, *others):
        flat = x.reshape(src.shape).astype(np.float64)
        moved.append((s[..., None, None] * flat @ np.swapaxes(R, -1, -2) + t).reshape(shape))
    return tuple(moved)


def similar_pose_groups(
    query: Any,
    bank: PoseBank | Any,
    companions: int,
    rng: np.random.Generator | None = None,
    *,
    skeleton: Any = "h36m17",
    pool: int | None = None,
    exclude: Any = None,
    align: bool = True,
) -> np.ndarray:
    """Each query window with its ``companions`` most similar bank windows as views.

    ``query`` ``(W, J, D)`` or ``(N, W, J, D)``; ``bank`` a :class:`PoseBank`
    or windows ``(M, W, J, D)`` on ``skeleton``.  Returns ``(P, W, J, D)`` or
    ``(N, P, W, J, D)`` with ``P = companions + 1``: the query first, then its
    companions, nearest first.  With ``rng`` the companions are a random
    choice among the ``pool`` nearest (default ``4 * companions``), so one
    query gets varied groups.  Companions may be mirror images of bank
    windows (see :class:`PoseBank`).  ``exclude``: bank label(s) never to return (the
    query's own take).  ``align``: companions are moved onto the query
    (:func:`align_to`: rigid in 3D, similarity in 2D) so that the views share
    its frame, as the network's cross-view similarity cue expects.
    """
    if not isinstance(bank, PoseBank):
        b = to_numpy(bank)
        bank = PoseBank(b, skeleton, np.arange(b.shape[0] if b.ndim else 0), np.zeros((b.shape[0] if b.ndim else 0, 2)))
    q = to_numpy(query)
    single = q.ndim == 3
    q4 = q[None] if single else q
    if int(companions) != companions or companions < 1:
        raise SynspInputError(f"companions is {companions!r}; expected a positive integer")
    pool = 4 * companions if pool is None else int(pool)
    if pool < companions:
        raise SynspInputError(f"pool is {pool}; expected at least companions = {companions}")
    k = min(pool, 2 * len(bank)) if rng is not None else companions
    if k < companions:
        raise SynspInputError(f"the bank has {2 * len(bank)} entries; fewer than companions = {companions}")
    _, index = bank.nearest(q4, k, exclude=exclude)
    if rng is not None:
        pick = np.argsort(rng.random(index.shape), axis=1)[:, :companions]
        index = np.take_along_axis(index, np.sort(pick, axis=1), axis=1)
    chosen = bank.entries(index).astype(np.float64)  # (N, P-1, W, J, D)
    if align:
        (chosen,) = align_to(chosen, q4[:, None].astype(np.float64))
    groups = np.concatenate([q4[:, None].astype(np.float64), chosen], axis=1)
    return groups[0] if single else groups
