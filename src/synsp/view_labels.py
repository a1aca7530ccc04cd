"""Left/right labels made the same in every view of one person, before the views are fused.

Several synchronised 3D views of one person in one world frame (``synsp.refine(x, views=True)``, ``synsp refine
--views``: cameras with known extrinsics, each lifting or triangulating its own keypoints) are fused by averaging
(:mod:`synsp.view_fusion`).  Each view's left/right inversions are undone over its own track first
(:func:`synsp.repair.repair_inversions`), but an inversion that lasts a whole track is invisible to motion: a
camera behind the person whose 2D detector takes the person for front-facing labels the whole take the wrong way
round.  Averaged with the others, that view's left wrist meets their right one: on four simulated views of every
test clip, one of them labelled the wrong way round throughout, the fused poses were 81.66 mm from the truth
without this step and 41.85 with it, as with agreeing labels (``python benchmarks/view_labels.py``;
docs/results.md, *Views that disagree on left and right*).

:func:`agree_views` compares each view's labelled limbs with the other views' (the median of each coordinate over
them), per limb group and frame, under the view's labels and exchanged, and relabels the frames where exchanged
fits the others better, by a two-state Viterbi per view and group:

* per frame, each joint's distance to the others' joint of the same label (or the partner's, exchanged), in units
  of the group's typical disagreement between views (the median over frames, joints and views of the smaller of
  the two; at least ``floor`` times the person's size), truncated at ``cap`` and weighted by the joint's
  confidence;
* ``switch_cost`` per change of labels along a view's track (what a view gets wrong over a few frames is its own
  repair's business, decided on its motion);
* ``flip_cost`` per relabelled frame: of two labellings the others cannot tell apart, a view keeps its own.

Each step relabels the one view's group whose relabelling lowers its cost most, each view judged against all
the others as they are labelled at that moment, until no relabelling gains: the view that disagrees most clearly
goes first, so that a view judged against a reference that still held it is judged again once it is mended (in
view order, a right view judged against one right and one wrong one could follow the wrong one).  With three views
or more the majority settles every frame where it agrees; with two views nothing can tell which one is right, and
the second is made to agree with the first (put the most reliable camera first).

2D views are each in their own image: with the cameras' calibration (:mod:`synsp.calibration`),
:func:`agree_cameras` decides the cameras together, for three cameras or more: per limb group and frame, the set of
cameras whose relabelling lets the points triangulated from all of them project closest to every camera's own
(relabelling a set or all the others is the same person, so the smaller side is relabelled: the majority settles
every frame where it agrees), by a Viterbi over those sets.  Judged one camera at a time against the others'
triangulation, the side-on cameras (which hardly tell left from right) let the cameras in front or behind decide,
the very ones estimators flip: with one of four wrong throughout, the three right ones were relabelled.  A camera
that sees someone else (its points far from where every pair of the others puts them) is left out; most cameras
doing so is a calibration that does not match the inputs, an error.  With two cameras, or without a calibration,
2D views are not compared.
"""

from __future__ import annotations

import warnings
from itertools import combinations
from typing import Any, NamedTuple

import numpy as np

from .calibration import check_cameras, project, triangulate, undistort
from .metrics import size_of
from .repair import decided_pairs, relabel, viterbi_paths
from .skeletons import Skeleton, get_skeleton
from .validation import SynspInputError, absurd_joints, check_poses, to_numpy

__all__ = ["ViewAgreement", "agree_camera_poses", "agree_cameras", "agree_view_poses", "agree_views"]

#: ``agree_views`` defaults (units of the group's typical disagreement between views; see the module docstring)
SWITCH_COST = 20.0
FLIP_COST = 0.5
CAP = 5.0


class ViewAgreement(NamedTuple):
    """What :func:`agree_views` returns: ``poses`` (the input's shape, relabelled), ``flipped`` ``(T, P, G)`` (True
    where a view's group was relabelled to agree with the others), ``groups`` (the G names)."""

    poses: np.ndarray
    flipped: np.ndarray
    groups: tuple[str, ...]


def agree_views(poses: Any, skeleton: Any, confidence: Any = None, *, switch_cost: float = SWITCH_COST,
                flip_cost: float = FLIP_COST, cap: float = CAP, floor: float = 0.002, min_confidence: float = 0.3,
                steps: int | None = None) -> ViewAgreement:
    """Relabel each view of ``poses`` ``(T, P, J, 3)`` (P views of one person in one world frame, NaN where
    missing) so that its left and right limbs are where the other views have them (the module docstring).
    ``confidence`` ``(T, P, J)``: scores in [0, 1] weighing each joint (below ``min_confidence``: not used).
    Other per-joint arrays follow with :func:`synsp.repair.relabel` and the returned ``flipped``.  ``steps``: the
    most relabellings of a view's group (None: twice the views times the groups)."""
    x = check_poses(poses, "poses", ndims=(4,), dims=(3,), allow_nan=True)
    T, P, J, _ = x.shape
    sk, table = _skeleton_pairs(skeleton, J)
    names = tuple(table)
    if P < 2 or T == 0 or not names:
        return ViewAgreement(x, np.zeros((T, P, len(names)), dtype=bool), names)
    cur, weight = _usable(x, confidence, min_confidence)
    flipped = _agree(cur, weight, sk, table, lambda p: _median(cur[:, [q for q in range(P) if q != p]]),
                     switch_cost, flip_cost, cap, floor * size_of(cur), steps)
    out = relabel(x, flipped, sk, names) if flipped.any() else x
    return ViewAgreement(out, flipped, names)


#: ``agree_cameras``: a camera whose points are further than this share of the person's size from where every pair
#: of the other cameras puts them, in a frame, sees someone else there (on the Pose2Sim demo's cameras, by the
#: median over the body's pairs: 0.07 at most for a camera that sees the person, 0.2 in half the frames of one that
#: follows someone else)
ELSEWHERE = 0.12


def agree_cameras(keypoints: Any, cameras: Any, skeleton: Any, confidence: Any = None, *,
                  switch_cost: float = SWITCH_COST, flip_cost: float = FLIP_COST, cap: float = CAP,
                  floor: float = 0.002, min_confidence: float = 0.3, steps: int | None = None) -> ViewAgreement:
    """Relabel each camera's 2D keypoints ``(T, C, J, 2)`` (pixels, NaN where missing; C >= 3 calibrated,
    synchronised cameras of one person, ``cameras``: :mod:`synsp.calibration`) so that its left and right limbs are
    where the other cameras see them.  Per limb group and frame, every set of cameras that may be relabelled
    together (:func:`_camera_subsets`) is scored by how far the points triangulated from all the cameras, so
    labelled, project from each camera's own (:func:`_subset_costs`); a two-state-per-camera Viterbi over those sets
    (:func:`_subset_path`) charges ``switch_cost`` per camera whose labels change and ``flip_cost`` per relabelled
    camera and frame.  Each camera judged alone against the others' triangulation followed the cameras seen from in
    front or behind (side-on cameras hardly tell left from right), which are the ones estimators label the wrong way
    round: with one of four such cameras wrong, the three right ones were relabelled.  In a frame where a camera's
    points are further than :data:`ELSEWHERE` times the person's size from where every pair of the other cameras puts
    them (a single-person estimator that followed someone else), the camera is not used; a camera elsewhere in most
    of its frames is left out and named in a warning, and :class:`SynspInputError` when that is more than half of the
    cameras (a calibration that does not match the inputs); two cameras or more so left out, or a person triangulated
    mirrored in most frames (:func:`_mirrored`) whom the agreement does not mend by relabelling fewer than half of
    the cameras, are cameras not in the inputs' order: a warning, and nothing is relabelled.  A relabelling made
    with a camera left out is named in a warning, camera by camera.  With two cameras nothing can tell which one is
    right: a warning, and nothing is relabelled.  ``steps`` is not used (the cameras are decided together, not one
    relabelling at a time as by :func:`agree_views`)."""
    x = check_poses(keypoints, "keypoints", ndims=(4,), dims=(2,), allow_nan=True)
    T, C, J, _ = x.shape
    cams = check_cameras(cameras, C)
    sk, table = _skeleton_pairs(skeleton, J)
    names = tuple(table)
    if C == 2 and T and names:
        warnings.warn("with 2 cameras the left/right labels are not compared: two cameras cannot tell which one is "
                      "right (three cameras or more)", stacklevel=2)
    if C < 3 or T == 0 or not names:
        return ViewAgreement(x, np.zeros((T, C, len(names)), dtype=bool), names)
    seen, weight = _usable(x, confidence, min_confidence)
    cur = np.stack([undistort(seen[:, c], cams["K"][c], cams["dist"][c], fisheye=cams["fisheye"][c])
                    for c in range(C)], 1)
    size = np.array([size_of(cur[:, c]) for c in range(C)])  # the person's size in each camera (normalised)
    away = _elsewhere(cur, cams, table, size)  # (T, C)
    lost = np.flatnonzero(away.mean(0) > 0.5)
    if 2 * len(lost) > C and C > 3:  # (of three, one following someone else puts all three "elsewhere")
        raise SynspInputError(f"{len(lost)} of {C} cameras see the person elsewhere than the other cameras: the "
                              f"calibration probably does not match the inputs (give the cameras in the inputs' "
                              f"order, world-to-camera R and t in OpenCV's convention, t in one unit)")
    for c in lost:
        warnings.warn(f"the camera at index {c} sees the person elsewhere than the other cameras in "
                      f"{int(away[:, c].sum())} of {T} frames (another person?): it is left out of the comparison",
                      stacklevel=2)
        away[:, c] = True
    none = ViewAgreement(x, np.zeros((T, C, len(names)), dtype=bool), names)
    if len(lost) >= 2:
        warnings.warn(f"cameras at indices {', '.join(map(str, lost))} see the person elsewhere than the other "
                      f"cameras: the cameras may not be in the inputs' order; no left/right labels are changed",
                      stacklevel=2)
        return none
    weight = np.where(away[..., None], 0.0, weight)
    masks = _camera_subsets(C)
    least = floor * np.where(np.isfinite(size), size, np.nanmedian(size) if np.isfinite(size).any() else 1.0)
    flipped = np.stack([masks[_subset_path(_subset_costs(cur, weight, cams, np.asarray(pairs), masks, least,
                                                         flip_cost, cap), masks, switch_cost)]
                        for pairs in table.values()], -1)  # (T, C, G)
    given = _mirrored(cur, weight, cams, sk)
    if given is not None and 2 * given[0] > given[1]:
        agreed = _mirrored(relabel(cur, flipped, sk, names), relabel(weight, flipped, sk, names), cams, sk)
        half = 2 * flipped.any(-1).sum(1) >= C - len(lost)  # (T,): half of the cameras used relabelled, a tie
        if (agreed is not None and 4 * agreed[0] > agreed[1]) or 2 * half.sum() > T:
            warnings.warn(f"the person triangulated from the cameras is mirrored (its face turned the other way than "
                          f"its left/right shoulders and hips say) in {given[0]} of {given[1]} frames: the cameras "
                          f"may not be in the inputs' order (or every camera labels left and right the wrong way "
                          f"round); no labels are changed", stacklevel=2)
            return none
    if len(lost) and flipped.any():
        what = ", ".join(f"the camera at index {c} in {int(flipped[:, c].any(-1).sum())} frames"
                         for c in range(C) if flipped[:, c].any())
        warnings.warn(f"with a camera left out, left and right were exchanged in {what}: if the cameras are not in "
                      f"the inputs' order, these labels are wrong", stacklevel=2)
    out = relabel(x, flipped, sk, names) if flipped.any() else x
    return ViewAgreement(out, flipped, names)


def _mirrored(cur: np.ndarray, weight: np.ndarray, cams: dict, sk: Skeleton) -> tuple[int, int] | None:
    """``(mirrored, frames)``: of the frames where the person triangulated from all the cameras (``cur`` ``(T, C,
    J, 2)`` normalised, ``weight`` ``(T, C, J)``, the labels as given) has its shoulders, hips and face, those where
    it is mirrored, or None when the skeleton has no face cue.  A calibration's world is right-handed, so a body's
    forward direction from its trunk (up, from the hips' to the shoulders' midpoint, crossed with left minus right,
    shoulders and hips) points against the face's (the nose ahead of the ears' midpoint; h36m17: its Neck/Nose point
    ahead of the midpoint of the thorax and the head top) in every frame of the corpus's h36m17 and coco17 3D and of
    MediaPipe's world landmarks; the cameras in another order than the inputs (a ring of four given reversed)
    triangulate a mirrored person, which the per-camera agreement cannot mend."""
    j = {n: i for i, n in enumerate(sk.joints)}
    if {"nose", "left_ear", "right_ear"} <= set(j):
        tip, back = j["nose"], (j["left_ear"], j["right_ear"])
    elif sk.name == "h36m17":
        tip, back = j["neck"], (j["thorax"], j["head_top"])
    else:
        return None
    trunk = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
    if not set(trunk) <= set(j):
        return None
    used = [j[n] for n in trunk] + [tip, *back]
    X = triangulate(cur[:, :, used], weight[:, :, used], cams["R"], cams["t"])  # (T, 7, 3)
    lh, rh, ls, rs, nose, b1, b2 = np.moveaxis(X, 1, 0)
    forward = np.cross(ls + rs - lh - rh, lh - rh + ls - rs)
    side = np.einsum("td,td->t", forward, nose - 0.5 * (b1 + b2))
    seen = np.isfinite(side) & (side != 0)
    return (int((side[seen] > 0).sum()), int(seen.sum())) if seen.any() else None


#: ``agree_cameras``: the most cameras relabelled together in one frame (besides: fewer than half of them)
MOST_RELABELLED = 3


def _camera_subsets(C: int) -> np.ndarray:
    """``(S, C)`` booleans: the sets of cameras that :func:`agree_cameras` may relabel together, the empty set first,
    then by size and in camera order (a tie keeps the earlier).  Relabelling a set or every other camera explains
    the points alike (the triangulated person is the same, its labels exchanged), so only the smaller side is a
    candidate: fewer than half of the cameras, or half of them without the first (of an even split the first camera
    keeps its labels), and at most :data:`MOST_RELABELLED`."""
    sets = [()]
    for k in range(1, min(C // 2, MOST_RELABELLED) + 1):
        sets += [s for s in combinations(range(C), k) if 2 * k < C or 0 not in s]
    masks = np.zeros((len(sets), C), dtype=bool)
    for i, s in enumerate(sets):
        masks[i, list(s)] = True
    return masks


def _subset_costs(cur: np.ndarray, weight: np.ndarray, cams: dict, pairs: np.ndarray, masks: np.ndarray,
                  least: np.ndarray, flip_cost: float, cap: float, sample: int = 1024) -> np.ndarray:
    """``(T, S)``: per frame, the cost of relabelling the group ``pairs`` in each set of cameras of ``masks`` ``(S,
    C)``: each camera's distance from its points to the group's points triangulated from all the cameras so
    labelled and projected into it, in units of that camera's typical distance (the median over ``sample`` frames
    spread over the take, each under its best set; at least ``least`` ``(C,)``), truncated at ``cap`` and weighted
    by the pair's confidence, plus ``flip_cost`` per relabelled camera.  Worked out a chunk of frames at a time
    (bounded memory however long the take)."""
    T, C = cur.shape[:2]
    S = len(masks)
    chunk = max(16, 2 ** 20 // (S * C * len(pairs) * 4))
    picks = np.unique(np.linspace(0, T - 1, min(T, sample)).round().astype(int))
    at = []  # (t, C, n, 2): each sampled frame's distances under its best set, a chunk of frames at a time
    for a in range(0, len(picks), chunk):
        d, w = _subset_distances(cur[picks[a:a + chunk]], weight[picks[a:a + chunk]], cams, pairs, masks)
        rel = np.where(np.isfinite(d), d, 1.0) / np.fmax(least, 1e-12)[:, None, None]
        best = (w[None, ..., None] * rel).sum((2, 3, 4)).argmin(0)  # the best set in each sampled frame
        at.append(np.where(w[..., None] > 0, d[best, np.arange(len(best))], np.nan))
    at = np.concatenate(at)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a camera without the group in any sampled frame
        unit = np.fmax(np.nanmedian(at.transpose(1, 0, 2, 3).reshape(C, -1), axis=1), least)
    unit = np.where(np.isfinite(unit), unit, 1.0)
    out = np.empty((T, S))
    for a in range(0, T, chunk):
        d, w = _subset_distances(cur[a:a + chunk], weight[a:a + chunk], cams, pairs, masks)
        cost = np.minimum(np.where(np.isfinite(d), d, np.inf) / unit[:, None, None], cap)
        out[a:a + chunk] = (w[None, ..., None] * cost).sum((2, 3, 4)).T
    return out + flip_cost * masks.sum(1)


def _subset_distances(cur: np.ndarray, weight: np.ndarray, cams: dict, pairs: np.ndarray,
                      masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(d, w)``: ``d`` ``(S, T, C, n, 2)`` the distance, in each camera's normalised image, from its left and right
    points of ``pairs`` (``n``; exchanged where ``masks`` ``(S, C)`` relabels the camera) to the points triangulated
    from all the cameras so labelled (weighted linear least squares, each camera's two DLT rows) and projected into
    it, inf where the triangulation fails or the point is behind the camera; ``w`` ``(T, C, n)`` each camera's
    weight of each pair, 0 where either point is missing or fewer than two cameras see the pair (nothing to
    judge)."""
    own = cur[:, :, pairs]  # (T, C, n, 2, 2): the left then the right point
    w = np.minimum(weight[:, :, pairs[:, 0]], weight[:, :, pairs[:, 1]])
    ok = np.isfinite(own).all((-1, -2)) & (np.nan_to_num(w) > 0)
    ok &= ok.sum(1, keepdims=True) >= 2
    w = np.where(ok, w, 0.0)
    own = np.where(ok[..., None, None], own, 0.0)
    P = np.concatenate([cams["R"], cams["t"][:, :, None]], axis=-1)  # (C, 3, 4)
    rows = own[..., None] * P[None, :, None, None, None, 2] - P[None, :, None, None, :2]  # (T, C, n, 2, 2, 4)
    M, b = rows[..., :3], -rows[..., 3]
    A = np.einsum("...ra,...rb->...ab", M, M) * w[..., None, None, None]  # each camera's normal equations
    y = np.einsum("...ra,...r->...a", M, b) * w[..., None, None]
    m = masks.astype(np.float64)
    # the left point under a set: each camera's left point, or its right one where relabelled; the right: the rest
    left_A = A[:, :, :, 0].sum(1)[None] + np.tensordot(m, A[:, :, :, 1] - A[:, :, :, 0], axes=(1, 1))
    left_y = y[:, :, :, 0].sum(1)[None] + np.tensordot(m, y[:, :, :, 1] - y[:, :, :, 0], axes=(1, 1))
    AA = np.stack([left_A, A.sum((1, 3))[None] - left_A], 3)  # (S, T, n, 2, 3, 3)
    yy = np.stack([left_y, y.sum((1, 3))[None] - left_y], 3)
    across = [np.cross(AA[..., 1, :], AA[..., 2, :]), np.cross(AA[..., 2, :], AA[..., 0, :]),
              np.cross(AA[..., 0, :], AA[..., 1, :])]  # the inverse's columns times the determinant
    det = (AA[..., 0, :] * across[0]).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        X = sum(yy[..., i, None] * across[i] for i in range(3)) / np.where(np.abs(det) > 1e-12, det, np.nan)[..., None]
    S, T, n = X.shape[:3]
    cam = (X.reshape(S, T, 1, 2 * n, 3) @ cams["R"].transpose(0, 2, 1)[None, None]).reshape(S, T, -1, n, 2, 3)
    cam += cams["t"][None, None, :, None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        seen = np.where(cam[..., 2:] > 0, cam[..., :2] / cam[..., 2:], np.nan)  # (S, T, C, n, 2, 2)
    mine = np.where(masks[:, None, :, None, None, None], own[None, ..., ::-1, :], own[None])
    diff = seen - mine
    d = np.sqrt((diff * diff).sum(-1))
    return np.where(np.isfinite(d), d, np.inf), w


def _subset_path(costs: np.ndarray, masks: np.ndarray, switch_cost: float) -> np.ndarray:
    """``(T,)``: the minimum-cost path of sets of cameras (``costs`` ``(T, S)``, ``masks`` ``(S, C)``),
    ``switch_cost`` per camera whose labels change from one frame to the next; a tie keeps the earlier set."""
    T, S = costs.shape
    change = switch_cost * (masks[:, None, :] != masks[None, :, :]).sum(-1)  # (from, to)
    back = np.empty((T, S), dtype=np.int16 if S < 2 ** 15 else np.intp)
    total = costs[0].copy()
    for t in range(1, T):
        cand = total[:, None] + change
        back[t] = cand.argmin(0)
        total = cand[back[t], np.arange(S)] + costs[t]
    path = np.empty(T, dtype=np.intp)
    path[-1] = total.argmin()
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _elsewhere(cur: np.ndarray, cams: dict, table: dict, size: np.ndarray) -> np.ndarray:
    """``(T, C)`` True where a camera's left/right joints (each pair under its closer labels, the median over them)
    are further than :data:`ELSEWHERE` times the person's size in it from where every pair of the other cameras
    puts them."""
    T, C = cur.shape[:2]
    pairs = np.concatenate([np.asarray(p) for p in table.values()])
    ok = np.isfinite(cur).all(-1).astype(np.float64)
    out = np.zeros((T, C), dtype=bool)
    for p in range(C):
        others = [q for q in range(C) if q != p]
        nearest = np.full(T, np.inf)
        for i, a in enumerate(others):
            for b in others[i + 1:]:
                X = triangulate(cur[:, [a, b]], ok[:, [a, b]], cams["R"][[a, b]], cams["t"][[a, b]])
                same, swap = _pair_distances(cur[:, p], project(X, cams["R"][p], cams["t"][p]), pairs)
                d = 0.5 * np.fmin(same.sum(0), swap.sum(0))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # frames without a pair seen
                    nearest = np.fmin(nearest, np.nanmedian(d, axis=-1))
        out[:, p] = np.isfinite(nearest) & (nearest > ELSEWHERE * size[p])
    return out


def _skeleton_pairs(skeleton: Any, joints: int) -> tuple[Skeleton, dict]:
    """The skeleton (a name or :class:`Skeleton`) of ``joints`` joints and its decided left/right pairs
    (:func:`synsp.repair.decided_pairs`), or :class:`SynspInputError` when the counts differ."""
    sk = skeleton if isinstance(skeleton, Skeleton) else get_skeleton(skeleton)
    if sk.num_joints != joints:
        raise SynspInputError(f"skeleton {sk.name!r} has {sk.num_joints} joints; the views have {joints}")
    return sk, decided_pairs(sk)


def _usable(x: np.ndarray, confidence: Any, min_confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """``x`` with NaN where a joint is missing or below ``min_confidence``, and each joint's weight ``(T, P, J)``."""
    usable = np.isfinite(x).all(-1)
    weight = np.ones(x.shape[:-1])
    if confidence is not None:
        conf = to_numpy(confidence, name="confidence")
        if conf.shape != x.shape[:-1]:
            raise SynspInputError(f"confidence has shape {conf.shape}; expected {x.shape[:-1]} like the poses")
        usable &= np.nan_to_num(conf) >= min_confidence
        weight = np.clip(np.nan_to_num(conf), 0.0, 1.0)
    return np.where(usable[..., None], x, np.nan), weight


def _agree(cur: np.ndarray, weight: np.ndarray, sk: Skeleton, table: dict, reference: Any, switch_cost: float,
           flip_cost: float, cap: float, least: float, steps: int | None) -> np.ndarray:
    """The relabelling ``(T, P, G)`` that makes every view agree with the others (the module docstring): each step
    the view and group whose relabelling gains most, ``reference(p)`` giving ``(T, J, D)``, where the other views
    (as labelled at that moment) put each joint in view ``p``'s space.  ``cur`` and ``weight`` are relabelled in
    place."""
    T, P = cur.shape[:2]
    names = tuple(table)
    flipped = np.zeros((T, P, len(names)), dtype=bool)
    for _ in range(steps if steps is not None else 2 * P * len(names)):
        best = None  # the view and group whose relabelling gains most
        for p in reversed(range(P)):  # on a tie the later view: with two views the first keeps its labels
            ref = reference(p)
            for k, g in enumerate(names):
                states, gain = _decide_view(cur[:, p], ref, weight[:, p], np.asarray(table[g]), switch_cost,
                                            flip_cost, cap, least)
                if states.any() and gain > 0 and (best is None or gain > best[0]):
                    best = (gain, p, k, states)
        if best is None:
            break
        _, p, k, states = best
        step = np.zeros_like(flipped)
        step[:, p, k] = states
        flipped ^= step
        cur[...], weight[...] = relabel(cur, step, sk, names), relabel(weight, step, sk, names)  # in place
    return flipped


def agree_view_poses(poses: np.ndarray, skeleton: Any, confidence: Any = None) -> tuple[np.ndarray, Any, np.ndarray]:
    """What :func:`synsp.refine` runs on ``views=True`` after each view's own repair: ``(poses, confidence,
    flipped)``, the views relabelled by :func:`agree_views` (NaN, inf and absurd joints not compared, the
    input's own values relabelled) and the confidence with them; 2D views and a single view as they are."""
    x = np.asarray(poses)
    flipped = np.zeros(x.shape[:2] + (0,), dtype=bool)
    if skeleton is None or x.ndim != 4 or x.shape[1] < 2 or x.shape[-1] != 3 or len(x) == 0:
        return poses, confidence, flipped
    real = np.isfinite(x).all(-1) & ~absurd_joints(x)
    seen = x if real.all() else np.where(real[..., None], x, np.nan)
    _warn_of_a_stranger(seen, decided_pairs(skeleton))
    agreed = agree_views(seen, skeleton, confidence)
    if not agreed.flipped.any():
        return poses, confidence, agreed.flipped
    if x.shape[1] == 2:
        counts = agreed.flipped[:, 1].sum(0)
        what = ", ".join(f"{g} over {n} frames" for g, n in zip(agreed.groups, counts) if n)
        warnings.warn(f"the two views disagree on left and right ({what}): the second view was relabelled to agree "
                      f"with the first; two views cannot tell which is right (give the more reliable camera first, "
                      f"or a third view)", stacklevel=2)
    return _relabelled(x, confidence, agreed, skeleton)


def _relabelled(x: np.ndarray, confidence: Any, agreed: ViewAgreement, skeleton: Any) -> tuple[np.ndarray, Any,
                                                                                                 np.ndarray]:
    """``(x, confidence, flipped)`` with the input's own values and its confidence relabelled as ``agreed`` says."""
    conf = None if confidence is None else relabel(to_numpy(confidence, name="confidence"), agreed.flipped,
                                                   skeleton, agreed.groups)
    return relabel(x, agreed.flipped, skeleton, agreed.groups), conf, agreed.flipped


def agree_camera_poses(keypoints: np.ndarray, skeleton: Any, confidence: Any, cameras: Any
                       ) -> tuple[np.ndarray, Any, np.ndarray]:
    """What :func:`synsp.refine` runs on 2D ``views=True`` with ``cameras`` after each view's own repair:
    ``(keypoints, confidence, flipped)``, the cameras' keypoints relabelled by :func:`agree_cameras` (NaN, inf and
    absurd joints not compared, the input's own values relabelled) and the confidence with them."""
    x = np.asarray(keypoints)
    if skeleton is None or len(x) == 0:
        return keypoints, confidence, np.zeros(x.shape[:2] + (0,), dtype=bool)
    real = np.isfinite(x).all(-1) & ~absurd_joints(x)
    agreed = agree_cameras(x if real.all() else np.where(real[..., None], x, np.nan), cameras, skeleton, confidence)
    if not agreed.flipped.any():
        return keypoints, confidence, agreed.flipped
    return _relabelled(x, confidence, agreed, skeleton)


#: a view this many times further from the other views than they are from theirs is named in a warning
STRANGER = 2.0


def _warn_of_a_stranger(x: np.ndarray, table: dict) -> None:
    """Warn of a view of ``x`` ``(T, P, J, 3)`` (P >= 3) whose joints are, by their median, more than
    :data:`STRANGER` times further from the other views' median than the other views are, each left/right pair
    under the labels that bring it closer (``table``: :func:`synsp.repair.decided_pairs`; a view labelled the wrong
    way round is the same person): views of another person (a camera whose single-person estimator followed someone
    else: camera 3 of the Pose2Sim multi-person demo, 2.3-2.7 times, where the views of one person there are at most
    1.4 times), which the fusion would average in."""
    P = x.shape[1]
    if P < 3:
        return
    far = np.full(P, np.nan)
    for p in range(P):
        ref = _median(x[:, [q for q in range(P) if q != p]])
        d = np.linalg.norm(x[:, p] - ref, axis=-1)
        for pairs in map(np.asarray, table.values()):
            same, swap = _pair_distances(x[:, p], ref, pairs)
            d[:, pairs[:, 0]] = d[:, pairs[:, 1]] = np.fmin(0.5 * same.sum(0), 0.5 * swap.sum(0))
        if np.isfinite(d).any():
            far[p] = np.nanmedian(d)
    for p in range(P):
        rest = np.delete(far, p)
        if np.isfinite(far[p]) and np.isfinite(rest).any() and far[p] > STRANGER * np.nanmedian(rest):
            warnings.warn(f"the view at index {p} is {far[p]:.3g} from the other views (by its joints' median "
                          f"distance, in the poses' units), where they are {np.nanmedian(rest):.3g} from theirs: is it "
                          f"the same person? The views are fused as one person", stacklevel=3)


def _median(v: np.ndarray) -> np.ndarray:
    """The median over axis 1 (views), NaN-aware (NaN where no view has a value)."""
    if np.isfinite(v).all():
        return np.median(v, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames no other view saw
        return np.nanmedian(v, axis=1)


def _pair_distances(own: np.ndarray, ref: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(same, swap)``, each ``(2, T, n)``: the distances of a view's left and right joints of ``pairs`` (``own``
    and ``ref`` ``(T, J, D)``) to ``ref``'s joints of the same label and to their partners'."""
    left, right = own[:, pairs[:, 0]], own[:, pairs[:, 1]]  # (T, n, D)
    ref_l, ref_r = ref[:, pairs[:, 0]], ref[:, pairs[:, 1]]
    same = np.stack([np.linalg.norm(left - ref_l, axis=-1), np.linalg.norm(right - ref_r, axis=-1)])
    swap = np.stack([np.linalg.norm(left - ref_r, axis=-1), np.linalg.norm(right - ref_l, axis=-1)])
    return same, swap


def _decide_view(own: np.ndarray, ref: np.ndarray, weight: np.ndarray, pairs: np.ndarray, switch_cost: float,
                 flip_cost: float, cap: float, least: float) -> tuple[np.ndarray, float]:
    """``(T,)`` True where a view's group (``pairs``) is to be exchanged to agree with ``ref`` (``own`` and ``ref``
    ``(T, J, D)``, ``weight`` ``(T, J)``), and how much lower that labelling's cost is than keeping its labels."""
    same, swap = _pair_distances(own, ref, pairs)  # (2, T, n)
    w = np.minimum(weight[:, pairs[:, 0]], weight[:, pairs[:, 1]])  # (T, n)
    both = np.isfinite(same).all(0) & np.isfinite(swap).all(0) & (w > 0)  # each pair here and there
    if not both.any():
        return np.zeros(len(own), dtype=bool), 0.0
    unit = max(float(np.median(np.minimum(same, swap)[:, both])), least, 1e-12)

    def cost(d: np.ndarray) -> np.ndarray:
        return np.where(both, w * np.minimum(d / unit, cap).sum(0), 0.0).sum(-1)  # (T,)

    costs = np.stack([cost(same), cost(swap) + flip_cost], -1)  # (T, 2): as labelled, exchanged
    if len(costs) < 2:
        states = costs.argmin(-1)
    else:
        trans = costs[1:, None, :] + switch_cost * (1 - np.eye(2))[None]  # (T-1, from, to)
        states = viterbi_paths(costs[0][None], trans[None])[0]
    total = costs[np.arange(len(costs)), states].sum() + switch_cost * np.count_nonzero(np.diff(states))
    return states.astype(bool), float(costs[:, 0].sum() - total)
