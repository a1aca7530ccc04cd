"""Pose-sequence metrics with the conventions of SmoothNet, DeciWatch and SynSP.

Per-frame metrics take ``pred`` and ``gt`` of shape ``(T, J, D)`` (D = 2 or 3,
numpy or torch) and return a numpy array of length ``T``:

* :func:`mpjpe`: mean over joints of the Euclidean joint error.
* :func:`pa_mpjpe`: MPJPE after a per-frame similarity Procrustes alignment of
  ``pred`` to ``gt`` (scale, rotation with the reflection fix, translation).
* :func:`accel_error`: mean over joints of
  ``|| (p[t-1] - 2 p[t] + p[t+1]) - (g[t-1] - 2 g[t] + g[t+1]) ||`` for
  ``t = 1..T-2``, with **one 0 appended at each end** exactly as SmoothNet
  reports it, so a sequence of ``T`` frames gives ``T`` values and the mean is
  ``(T-2)/T`` times the mean of the unpadded errors.
* :func:`pck`: fraction of joints within ``threshold * body_size`` (2D).

Units are the inputs' units: SmoothNet-style tables are in millimetres, i.e.
metres times 1000 (``summarize(..., scale=1000)``); Accel is per frame², so it
depends on the frame rate (50 fps Human3.6M, 30 fps 3DPW, 60 fps AIST++).

Sequence-level diagnostics: :func:`bone_length_std` (a refined skeleton should
not breathe) and :func:`fast_frame_mask` (frames where the ground truth itself
accelerates hard; error there exposes over-smoothing).  :func:`size_of`: a person's
size (the median larger side of the joints' box), the unit of :mod:`synsp.repair`'s and
:mod:`synsp.identity`'s costs.

:func:`summarize` pools per-frame values over many sequences frame-weighted
(every frame of every sequence and view counts once, as SmoothNet does), with
optional root-relative alignment on a set of root joints, the hardest 1 % of
frames (by the input's MPJPE when the input is given, SmoothNet's ``*_top1``),
and the error on the top 10 % ground-truth-acceleration frames.

Rotations (axis-angle, SMPL-style): :func:`geodesic_error` (degrees), :func:`angular_acceleration`
(degrees / frame², its mean :func:`mean_angular_acceleration`) and :func:`rotation_metrics`, which adds
the position metrics of smpl24 sequences through forward kinematics of a fixed neutral body
(:func:`synsp.skeletons.smpl24_joints`, :data:`synsp.skeletons.SMPL24_OFFSETS`: a hand-made
mannequin 1.7 m tall, not the SMPL model, whose template cannot be redistributed), in millimetres,
root at the origin.

What every evaluation shares (issue 16): :func:`metric_scale`, the one rule for the unit of the tables
(3D in metres -> millimetres, 2D keypoints in pixels as given), and :func:`refine_clips`, a refiner run
over ``(gt, input, confidence, ...)`` clips with its throughput.  They sit here, at the bottom, because
:mod:`synsp.training`, :mod:`synsp.evaluation` (which imports training) and the experiments all use them
and they need nothing but a callable.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .geometry import axis_angle_to_matrix, geodesic_angle, matrix_to_axis_angle, procrustes_align
from .skeletons import get_skeleton, smpl24_joints
from .timeseries import CHUNK_FRAMES, root_relative, second_difference
from .validation import SynspInputError, check_poses, check_same_shape, to_numpy

__all__ = [
    "mpjpe",
    "pa_mpjpe",
    "accel_error",
    "pck",
    "bone_length_std",
    "size_of",
    "fast_frame_mask",
    "root_relative",
    "summarize",
    "geodesic_error",
    "angular_acceleration",
    "angular_acceleration_vectors",
    "mean_angular_acceleration",
    "rotation_metrics",
    "metric_scale",
    "RefinedClips",
    "refine_clips",
]


def _pair(pred: Any, gt: Any) -> tuple[np.ndarray, np.ndarray]:
    p = check_poses(pred, "pred")
    g = check_poses(gt, "gt")
    check_same_shape(p, g)
    return p, g


def mpjpe(pred: Any, gt: Any) -> np.ndarray:
    """Mean per-joint position error per frame, ``(T,)``."""
    p, g = _pair(pred, gt)
    return np.linalg.norm(p - g, axis=-1).mean(axis=-1)


def pa_mpjpe(pred: Any, gt: Any) -> np.ndarray:
    """MPJPE after per-frame similarity Procrustes alignment of pred to gt, ``(T,)``."""
    p, g = _pair(pred, gt)
    return np.linalg.norm(procrustes_align(p, g) - g, axis=-1).mean(axis=-1)


def accel_error(pred: Any, gt: Any) -> np.ndarray:
    """Acceleration error per frame, zero-padded at both ends, ``(T,)``.

    Sequences shorter than 3 frames have no second difference: all zeros.
    """
    p, g = _pair(pred, gt)
    out = np.zeros(p.shape[0])
    if p.shape[0] >= 3:
        diff = second_difference(p) - second_difference(g)
        out[1:-1] = np.linalg.norm(diff, axis=-1).mean(axis=-1)
    return out


def pck(
    pred: Any, gt: Any, body_size: Any, thresholds: Sequence[float] = (0.05, 0.1, 0.2)
) -> np.ndarray:
    """Percentage of correct keypoints per frame and threshold, ``(T, K)`` in [0, 1].

    A joint is correct when its error is at most ``threshold * body_size``;
    ``body_size`` is a scalar or one value per frame (``(T,)``), e.g. the larger
    side of the person's box as in Sub-JHMDB evaluation.
    """
    p, g = _pair(pred, gt)
    size = np.broadcast_to(np.asarray(body_size, dtype=np.float64), (p.shape[0],))
    if not np.all(size > 0):
        raise SynspInputError("body_size must be positive for every frame")
    err = np.linalg.norm(p - g, axis=-1)  # (T, J)
    thr = np.asarray(thresholds, dtype=np.float64)[None, :] * size[:, None]  # (T, K)
    return (err[:, None, :] <= thr[:, :, None]).mean(axis=-1)


def bone_length_std(x: Any, parents: Sequence[int]) -> np.ndarray:
    """Standard deviation over time of every bone's length, ``(num_bones,)``.

    ``parents[j]`` is the parent joint of ``j`` (negative for a root); bones are
    the ``(j, parents[j])`` pairs in joint order.
    """
    pos = check_poses(x, "poses")
    parents = np.asarray(parents)
    if parents.shape != (pos.shape[1],):
        raise SynspInputError(
            f"parents has {parents.size} entries but the poses have {pos.shape[1]} joints"
        )
    child = np.flatnonzero(parents >= 0)
    lengths = np.linalg.norm(pos[:, child] - pos[:, parents[child]], axis=-1)  # (T, B)
    return lengths.std(axis=0)


def size_of(x: np.ndarray) -> float:
    """A person's size: the median over frames of the larger side of the joints' bounding box (NaN-aware)."""
    x = x[:: max(1, len(x) // 2000)]  # a median: a few thousand frames tell it
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        side = (np.nanmax(x, axis=-2) - np.nanmin(x, axis=-2)).max(axis=-1)
        size = float(np.nanmedian(side)) if np.isfinite(side).any() else float("nan")
    return size if np.isfinite(size) and size > 0 else 1.0


def _gt_accel_magnitude(gt: np.ndarray) -> np.ndarray:
    """Per-frame mean joint acceleration of the ground truth, zero-padded, ``(T,)``."""
    out = np.zeros(gt.shape[0])
    if gt.shape[0] >= 3:
        out[1:-1] = np.linalg.norm(second_difference(gt), axis=-1).mean(axis=-1)
    return out


def fast_frame_mask(gt: Any, fraction: float = 0.1) -> np.ndarray:
    """Boolean ``(T,)`` mask of the ``fraction`` of frames where gt accelerates hardest."""
    g = check_poses(gt, "gt")
    return _top_fraction(_gt_accel_magnitude(g), fraction)


def _top_fraction(values: np.ndarray, fraction: float) -> np.ndarray:
    """Mask of the ``fraction`` of entries with the largest values, counted as SmoothNet's evaluation does:
    it sorts and keeps the entries from index ``int(N * (1 - fraction))`` on, so ``N - int(0.99 N)`` for
    its top 1 % (31 of 3,015 frames, where rounding 1 % would keep 30); at least one."""
    if not 0 < fraction <= 1:
        raise SynspInputError(f"fraction must be in (0, 1], got {fraction}")
    count = max(1, values.size - int(values.size * (1.0 - fraction)))
    mask = np.zeros(values.size, dtype=bool)
    mask[np.argsort(values, kind="stable")[-count:]] = True
    return mask


def _as_views(x: Any, name: str) -> list[np.ndarray]:
    """``(T, J, D)`` -> [it]; ``(T, P, J, D)`` -> one ``(T, J, D)`` array per view."""
    arr = check_poses(x, name, ndims=(3, 4))
    return [arr] if arr.ndim == 3 else [arr[:, v] for v in range(arr.shape[1])]


def summarize(
    preds: Sequence[Any],
    gts: Sequence[Any],
    inputs: Sequence[Any] | None = None,
    root_joints: Sequence[int] | None = None,
    parents: Sequence[int] | None = None,
    scale: float = 1.0,
    hardest: float = 0.01,
    fast: float = 0.1,
    pck_thresholds: Sequence[float] | None = None,
) -> dict[str, float]:
    """Frame-weighted metrics over many sequences, SmoothNet style.

    ``preds``/``gts`` (and optionally ``inputs``, the unrefined estimator output)
    are sequences of ``(T_i, J, D)`` or ``(T_i, P, J, D)`` arrays; views are
    pooled as separate sequences.  ``root_joints`` makes everything
    root-relative first; ``scale`` multiplies lengths (1000: metres to mm).

    Returns ``mpjpe``, ``pa_mpjpe``, ``accel``; ``*_hardest`` over the
    ``hardest`` fraction of frames with the largest input MPJPE (the
    prediction's own MPJPE when no input is given); ``mpjpe_fast`` and
    ``accel_fast`` on the ``fast`` fraction of frames where the ground truth
    accelerates hardest; ``bone_std`` (mean over bones and sequences) when
    ``parents`` is given; ``frames``.  ``pck_thresholds`` (2D keypoints): also
    ``pck@<t>``, the percentage of joints within ``t`` times the larger side of
    the ground truth's box in that frame (:func:`pck`, on the coordinates as
    given, not root-relative).
    """
    if len(preds) != len(gts) or (inputs is not None and len(inputs) != len(gts)):
        raise SynspInputError(
            f"got {len(preds)} predictions and {len(gts)} ground truths"
            + (f" and {len(inputs)} inputs" if inputs is not None else "")
            + "; pass one of each per sequence"
        )
    if not preds:
        raise SynspInputError("no sequences to summarize")
    pooled: dict[str, list[np.ndarray]] = {k: [] for k in ("mpjpe", "pa", "accel", "ref", "gtacc", "pck")}
    bone_stds: list[np.ndarray] = []
    for i in range(len(preds)):
        p_views, g_views = _as_views(preds[i], f"preds[{i}]"), _as_views(gts[i], f"gts[{i}]")
        r_views = _as_views(inputs[i], f"inputs[{i}]") if inputs is not None else p_views
        if not len(p_views) == len(g_views) == len(r_views):
            raise SynspInputError(
                f"sequence {i}: the prediction has {len(p_views)} view(s), the ground truth {len(g_views)}"
                + (f", the input {len(r_views)}" if inputs is not None else "")
                + "; pass (T, J, D) arrays, or (T, P, J, D) with the same P for each")
        for p, g, r in zip(p_views, g_views, r_views):
            check_same_shape(p, g, (f"preds[{i}]", f"gts[{i}]"))
            if pck_thresholds is not None:
                box = (g.max(axis=-2) - g.min(axis=-2)).max(axis=-1)  # (T,) larger side of the truth's box
                pooled["pck"].append(pck(p, g, np.maximum(box, 1e-9), pck_thresholds))
            if root_joints is not None:
                p, g, r = (root_relative(a, root_joints) for a in (p, g, r))
            pooled["mpjpe"].append(mpjpe(p, g) * scale)
            pooled["pa"].append(pa_mpjpe(p, g) * scale)
            pooled["accel"].append(accel_error(p, g) * scale)
            pooled["ref"].append(mpjpe(r, g))
            pooled["gtacc"].append(_gt_accel_magnitude(g))
            if parents is not None:
                bone_stds.append(bone_length_std(p, parents) * scale)
    m, pa, acc, ref, gtacc = (np.concatenate(pooled[k]) for k in ("mpjpe", "pa", "accel", "ref", "gtacc"))
    hard = _top_fraction(ref, hardest)
    fast_mask = _top_fraction(gtacc, fast)
    out = {
        "mpjpe": float(m.mean()),
        "pa_mpjpe": float(pa.mean()),
        "accel": float(acc.mean()),
        "mpjpe_hardest": float(m[hard].mean()),
        "pa_mpjpe_hardest": float(pa[hard].mean()),
        "accel_hardest": float(acc[hard].mean()),
        "mpjpe_fast": float(m[fast_mask].mean()),
        "accel_fast": float(acc[fast_mask].mean()),
        "frames": int(m.size),
    }
    if bone_stds:
        out["bone_std"] = float(np.mean(np.concatenate(bone_stds)))
    if pck_thresholds is not None:
        correct = np.concatenate(pooled["pck"])  # (frames, K)
        out.update({f"pck@{t:g}": float(100.0 * correct[:, k].mean()) for k, t in enumerate(pck_thresholds)})
    return out


def geodesic_error(pred_rotvec: Any, gt_rotvec: Any) -> float:
    """Mean geodesic angle, in degrees, between axis-angle rotations ``(..., 3)`` of the same shape.

    The angle of ``R_pred^T R_gt`` (:func:`synsp.geometry.geodesic_angle`), so ``q`` / ``-q`` and
    ``+pi a`` / ``-pi a`` compare equal.
    """
    p, g = to_numpy(pred_rotvec), to_numpy(gt_rotvec)
    if p.shape != g.shape or p.ndim == 0 or p.shape[-1] != 3:
        raise SynspInputError(f"pred_rotvec {p.shape} and gt_rotvec {g.shape}: expected two axis-angle arrays "
                              "of the same shape (..., 3)")
    if p.size == 0:
        raise SynspInputError("pred_rotvec and gt_rotvec are empty")
    if not (np.isfinite(p).all() and np.isfinite(g).all()):
        raise SynspInputError("pred_rotvec / gt_rotvec contain NaN or inf; pass finite rotations")
    angle = geodesic_angle(axis_angle_to_matrix(p), axis_angle_to_matrix(g))
    return float(np.degrees(np.mean(angle)))


def angular_acceleration(rotvec: Any) -> np.ndarray:
    """Angular acceleration ``(T - 2, J)`` in degrees / frame^2 of axis-angle rotations ``(T, J, 3)``.

    With the angular velocity ``w_t = log(R_{t+1} R_t^T)`` (a rotation vector in the parent
    frame), the acceleration is ``|w_{t+1} - w_t|``; NaN where a frame involved is NaN.
    """
    return np.degrees(np.linalg.norm(angular_acceleration_vectors(rotvec), axis=-1))


def angular_acceleration_vectors(rotvec: Any) -> np.ndarray:
    """The vectors ``w_{t+1} - w_t`` ``(T - 2, J, 3)`` (radians / frame^2, in the parent frame) of which
    :func:`angular_acceleration` gives the lengths; NaN where a frame involved is NaN."""
    x = check_poses(rotvec, "rotvec", ndims=(3,), dims=(3,), allow_nan=True)
    if len(x) < 3:
        return np.zeros((0, x.shape[1], 3))

    def velocity(a: np.ndarray) -> np.ndarray:  # (n, J, 3) -> (n - 1, J, 3)
        R = axis_angle_to_matrix(np.nan_to_num(a))
        return matrix_to_axis_angle(R[1:] @ np.swapaxes(R[:-1], -1, -2))

    # in chunks of frames overlapping by one, so that every frame pair is seen once
    w = np.concatenate([velocity(x[a:a + CHUNK_FRAMES + 1]) for a in range(0, len(x) - 1, CHUNK_FRAMES)])
    acc = np.diff(w, axis=0)
    bad = np.isnan(x).any(-1)
    acc[bad[:-2] | bad[1:-1] | bad[2:]] = np.nan
    return acc


def mean_angular_acceleration(x: np.ndarray) -> float:
    """The mean of :func:`angular_acceleration` over frames and joints (NaN when no value is finite)."""
    a = angular_acceleration(x)
    return float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")


def rotation_metrics(preds: list, gts: list, inputs: list | None = None) -> dict[str, float]:
    """Metrics of smpl24 axis-angle sequences ``(T_i, 24, 3)``: the position metrics of
    :func:`summarize` (mm) on their forward-kinematics joints (:func:`synsp.skeletons.smpl24_joints`),
    plus ``angle`` (mean geodesic error, degrees) and ``angle_accel`` (the mean angular-acceleration
    error, degrees / frame^2: the length of the difference between the prediction's and the truth's
    acceleration vectors, :func:`angular_acceleration_vectors`, as Accel is for positions; frames 1 to T - 2,
    no padding)."""
    fk = lambda seqs: [smpl24_joints(s) for s in seqs]  # noqa: E731
    out = summarize(fk(preds), fk(gts), inputs=None if inputs is None else fk(inputs), root_joints=(0,),
                    parents=get_skeleton("smpl24").parents, scale=1000.0)
    frames = np.array([len(g) for g in gts], dtype=np.float64)
    out["angle"] = float(np.average([geodesic_error(p, g) for p, g in zip(preds, gts)], weights=frames))
    acc = [np.degrees(np.linalg.norm(angular_acceleration_vectors(p) - angular_acceleration_vectors(g), axis=-1))
           for p, g in zip(preds, gts)]
    out["angle_accel"] = float(np.nanmean(np.concatenate([a.ravel() for a in acc])))
    return out


def metric_scale(dims: int) -> float:
    """The ``scale`` of :func:`summarize` for poses with ``dims`` coordinates: 1000 for 3D (metres to
    millimetres), 1 otherwise (2D keypoints stay in pixels)."""
    return 1000.0 if dims == 3 else 1.0


@dataclass
class RefinedClips:
    """What :func:`refine_clips` returns: one prediction and one truth per clip, and the time spent."""

    preds: list[Any]
    gts: list[Any]
    seconds: float  #: time inside the refiner calls only
    frames: int  #: frames of the truths

    @property
    def fps(self) -> float:
        """The refiner's throughput in frames per second (inf when no time was measured)."""
        return self.frames / self.seconds if self.seconds > 0 else float("inf")

    @property
    def scale(self) -> float:
        """:func:`metric_scale` of the truths."""
        return metric_scale(np.shape(self.gts[0])[-1])


def refine_clips(refiner: Callable, clips: Sequence[tuple], fps: float = 30.0) -> RefinedClips:
    """Run ``refiner(input, fps=fps, confidence=confidence)`` on each ``(gt, input, confidence, ...)`` clip
    (further items, such as a motion kind, are ignored), timing the calls."""
    preds, gts, seconds, frames = [], [], 0.0, 0
    for gt, inp, conf, *_ in clips:
        start = time.perf_counter()
        preds.append(refiner(inp, fps=fps, confidence=conf))
        seconds += time.perf_counter() - start
        gts.append(gt)
        frames += len(gt)
    return RefinedClips(preds, gts, seconds, frames)
