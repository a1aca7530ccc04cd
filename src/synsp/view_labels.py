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
:func:`agree_cameras` does the same for three cameras or more, each camera against the points that the others
triangulate, projected into it; a camera that sees someone else (its points far from where every pair of the others
puts them) is left out.  Without one, 2D views are not compared.
"""

from __future__ import annotations

import warnings
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
    where the other cameras see them: as :func:`agree_views`, each camera against the points triangulated from the
    others and projected into it.  In a frame where a camera's points are further than :data:`ELSEWHERE` times the
    person's size from where every pair of the other cameras puts them (a single-person estimator that followed
    someone else), the camera is neither judged nor a judge; a camera elsewhere in most of its frames is left out
    and named in a warning."""
    x = check_poses(keypoints, "keypoints", ndims=(4,), dims=(2,), allow_nan=True)
    T, C, J, _ = x.shape
    cams = check_cameras(cameras, C)
    sk, table = _skeleton_pairs(skeleton, J)
    names = tuple(table)
    if C < 3 or T == 0 or not names:
        return ViewAgreement(x, np.zeros((T, C, len(names)), dtype=bool), names)
    seen, weight = _usable(x, confidence, min_confidence)
    cur = np.stack([undistort(seen[:, c], cams["K"][c], cams["dist"][c], fisheye=cams["fisheye"][c])
                    for c in range(C)], 1)
    size = np.array([size_of(cur[:, c]) for c in range(C)])  # the person's size in each camera (normalised)
    away = _elsewhere(cur, cams, table, size)  # (T, C)
    for c in np.flatnonzero(away.mean(0) > 0.5):
        warnings.warn(f"the camera at index {c} sees the person elsewhere than the other cameras in "
                      f"{int(away[:, c].sum())} of {T} frames (another person?): it is left out of the comparison",
                      stacklevel=2)
        away[:, c] = True
    weight = np.where(away[..., None], 0.0, weight)

    def reference(p: int) -> np.ndarray:
        others = [q for q in range(C) if q != p]
        X = triangulate(cur[:, others], weight[:, others], cams["R"][others], cams["t"][others])
        return project(X, cams["R"][p], cams["t"][p])

    flipped = _agree(cur, weight, sk, table, reference, switch_cost, flip_cost, cap,
                     floor * float(np.median(size)), steps)
    out = relabel(x, flipped, sk, names) if flipped.any() else x
    return ViewAgreement(out, flipped, names)


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
