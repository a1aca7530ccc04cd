"""Whole-track repair of left/right inversions, before any refinement.

Pose estimators (MediaPipe, OpenPose, MMPose, body-model regressors) exchange the left and right
labels of arms, legs or the whole body for tens of frames: a person seen from the back, crossed
legs.  Inside any short window the swapped labelling is perfectly smooth, so no window refiner or
filter can see it; over the whole track it shows as a jump where the swap starts and another
where it ends.  :func:`repair_inversions` finds those jumps.

Groups.  The skeleton's left/right pairs are split into limb groups (:func:`limb_groups`):
``arms`` (shoulders, collar bones, elbows, wrists and everything hung below them: hands,
fingers), ``legs`` (hips, knees, ankles, heels, feet, toes), ``head`` (eyes, ears, mouth, jaw,
...), and ``other`` for pairs whose names say nothing (custom skeletons).  On a whole body
(:data:`synsp.skeletons.BODY_JOINTS`: COCO-WholeBody, OpenPose with face and hands, Halpe-136) each
group is decided on its body pairs alone and relabelled whole, face and fingers included.  A pair belongs to the
group of the first joint on its path up the kinematic tree (through joints of its side) whose name
says arm or leg (MediaPipe's finger points follow the wrist, BODY_25's toes the ankle, WholeBody's
hands the wrist).  Where the arms are relabelled, a whole body's two hands are then exchanged back where each
hand's root is clearly nearer the other wrist than its own (:func:`hand_exchanges`, :attr:`InversionRepair.hands`):
a hand detector labels the hands apart from the body, so a relabelled body's hands may have been right already
(carried with the arms, an MMPose body's correct hands went to the other wrists, about 100 px away).  Hands
exchanged on their own beside correct arms are left as they came: decided frame by frame, the same rule would
move correct hands to the wrong wrists wherever an arm inversion is left unrepaired.

Model.  Per group and frame ``t`` a hidden state ``s_t``: 1 when the observed labels of the
group are exchanged.  Each frame's labelled positions under the states of frames ``t-2, t-1, t``
are scored by a constant-velocity prediction from the two frames before (the Viterbi runs on the
pairs ``(s_{t-1}, s_t)``, 4 states, so the prediction is exact second order):

* motion continuity: per joint, ``min(|x_t - (x_{t-1} + (x_{t-1} - x_{t-2}))| / sigma, cap)``,
  truncated so that outliers and short single-joint errors cannot buy a relabelling.  ``sigma``
  is the group's own jitter, the median length of its joints' second differences over the track
  (at least ``floor`` times the person's size, the median larger side of the joint bounding box),
  so the costs have no unit (pixels, metres, millimetres alike) and adapt to the estimator's
  noise; at most :data:`LABEL_FREE_BOUND` times the same median under the labels of each three frames
  that make it least, so that a track (or a stream's first second) whose labels flip back and forth is
  not measured by its own flips (MediaPipe's lite model on a person seen from behind: 103 px where the
  jitter is 13).  A missing joint (NaN, or confidence below ``min_confidence``) adds nothing; after a gap
  the prediction is the last seen position, with ``sigma`` widened by half per missing frame;
* glitches: a joint in a frame that fits neither its own nor its partner's place halfway between its
  neighbouring frames, under either labelling of the next frame, by more than ``glitch`` (default
  :data:`GLITCH`) times ``sigma``, is left out of the motion costs (as if missing): a single garbage frame
  (a collapsed or half-exchanged pose) would otherwise spoil the prediction of the next two frames and buy
  a relabelling of the correct frames between two such glitches (the lite BlazePose model's frames 40-52 of
  the ``synsp demo`` video).  An inversion's boundary fits one of those labellings and is kept;
* confidence: each pair's terms are weighted by the lowest confidence of the points they use;
* ``switch_cost`` per change of state (the prior against flipping), ``edge_cost`` (default three
  switches) for a track that starts or ends relabelled: a boundary there has evidence from one
  side only (twice in the whole-body pass below: a body that ends relabelled is both groups' edge);
* agreement with the input: ``flip_cost`` per relabelled frame plus ``move_cost`` times how far
  apart (in ``sigma``, truncated at ``cap``) the group's left and right joints are in it.  ``flip_cost``
  is twice as high in 2D (:data:`FLIP_COST_2D`) as in 3D (:data:`FLIP_COST_3D`): in an image the left
  and right limbs pass each other at every step of a side view, so an estimator that gives its labels
  back while the legs overlap is invisible to motion continuity, and only the labels themselves can end
  the relabelling (on the real MediaPipe track of ``synsp demo`` a prior of 0.05 kept a standing person's
  correctly labelled legs exchanged for 45 frames after a 5-frame inversion); in 3D limbs do not pass
  through each other, and the simulated 3D leg inversions want a low prior (0.05 restores 98.6 % of those whose
  errors stay with the label, 0.5 96.9 %), but a monocular 3D estimator's jumps (MediaPipe's world landmarks)
  bought relabellings of correct frames at 0.05 (docs/results.md, *The 3D prior*).  Of two
  labellings that explain the motion equally well (a global exchange of the whole track is
  invisible to motion), the one that agrees with the input on most frames wins, and a long stretch
  of well separated limbs is not relabelled because of a few ambiguous frames at its ends.  On
  clean input nothing is relabelled;
* anatomy (3D, skeletons with shoulders and hips named): relabelling the arms or the legs alone turns the
  shoulders' left-to-right line against the hips'; where the two point the same way (their cosine, at least
  0.45 in every frame of the corpus's motion capture) that costs up to :data:`TWIST_COST` per frame (all of it
  from a cosine of :data:`TWIST_FULL`), nothing where the input is already twisted.  A monocular 3D estimator's
  jumps otherwise bought such bodies: on MediaPipe's world landmarks the repair left 84 frames of 2,862 with
  the shoulders facing against the hips where the input had 5 (8 with the cost), among them the lite model's
  correctly labelled arms over frames 40-52 of the ``synsp demo`` video (docs/results.md, *The 3D twist*).  Not
  in 2D, where a side view foreshortens both lines.

Two passes: the whole body first (``whole_body``; arms and legs together, their costs summed, with
``body_move_cost``), then every group alone on the body's labelling.  A detector that takes a
person for back-facing exchanges arms and legs at once, and their evidence together finds the
inversion where either alone is ambiguous (legs side by side); the head follows the body and is
then checked alone (MediaPipe's face points often collapse rather than exchange).

Rounds.  The prior favours the labels a round (both passes) starts from, so an inversion whose evidence only
shows once a neighbouring one is undone stays after one round: a person seen from behind that an estimator labels
the wrong way round over long stretches (MediaPipe's lite model on camera 2 of the Pose2Sim demo).  The labels are decided
again from the previous round's until a round changes nothing, at most ``rounds`` times (:data:`ROUNDS_2D` in 2D),
on the deciding joints alone (no copy of a whole body's face and hands); a track whose labels swing back and
forth between two labellings (a few frames of a near tie) keeps the earlier of the two.  On simulated inversions
a second round never changes anything; on real 2D output it settled within four and brought every method closer
to what the other models and the other cameras saw (docs/results.md, *Held-out real video*).  In 3D
(:data:`ROUNDS_3D`) one round: on MediaPipe's monocular world landmarks without scores more rounds moved them
further from the other models at the former 3D prior of 0.05 (117.80 to 124.39 mm on the first video); at 0.5 four
rounds change nothing there and cost the Pose2Sim views 0.02 mm.  :class:`OnlineRepair` decides once.

The costs are numpy arrays over the whole track and the Viterbi recursion runs on blocks of about
``sqrt(T)`` frames side by side (min-plus products of the blocks' transition matrices, then the
blocks' own recursions in parallel), so an hour at 30 fps (108,000 frames, 17 joints) takes about
a second; memory is a few hundred bytes per frame and group.

Online: :class:`OnlineRepair` decides the same model frame by frame with a fixed delay (what
:class:`synsp.Stream` runs): each frame gets its labels in the best labelling of the track up to
``delay`` frames after it, equal to the offline ones where those frames settle them.

Not used: bone lengths.  Exchanging a whole group keeps every bone length on a left/right
symmetric skeleton; only on skeletons whose hips hang from the shoulders (COCO) does it change
one, and that only measures agreement with the other group, which is itself possibly exchanged.
Not repaired: body-model rotations (SMPL axis-angles); :mod:`synsp.identity` repairs identity
swaps between persons; :mod:`synsp.label_errors` simulates both kinds of error.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .identity import reorder, repair_identities
from .metrics import size_of
from .skeletons import BODY_JOINTS, Skeleton, get_skeleton
from .timeseries import second_difference
from .validation import SynspInputError, absurd_joints, check_poses, to_numpy

__all__ = ["FLIP_COST_2D", "FLIP_COST_3D", "GLITCH", "GROUPS", "LABEL_FREE_BOUND", "ROUNDS_2D", "ROUNDS_3D",
           "TWIST_COST", "TWIST_FULL", "decided_pairs", "default_flip_cost", "group_scales", "twisted_frames",
           "InversionRepair", "limb_groups", "OnlineRepair", "relabel", "repair_inversions", "repair_poses",
           "held_frames", "score_divisor", "score_weights", "SCORE_FULL", "SCORE_QUANTILE", "limb_asymmetry",
           "hand_exchanges"]

GROUPS = ("arms", "legs", "head", "other")
#: ``flip_cost`` by default (None): per relabelled frame, in 3D and in 2D (see the module docstring, *Model*)
FLIP_COST_3D = 0.5
FLIP_COST_2D = 1.0
#: ``glitch`` by default: a joint further than this many ``sigma`` from where its neighbouring frames put it, under
#: every labelling, is left out of the motion costs (see the module docstring, *Model*; chosen on the real
#: MediaPipe tracks of ``benchmarks/real_agreement.py``: 4-5 undo the lite model's 3D harm, 3-7 its 2D harm, and
#: the simulated inversions of ``benchmarks/inversions.py`` are restored as without it from 4 to 20)
GLITCH = 5.0
#: ``rounds`` by default (None), in 2D and in 3D: the labels are decided again from the previous round's until
#: nothing changes, at most this many times (see the module docstring, *Rounds*)
ROUNDS_2D = 4
ROUNDS_3D = 1
#: a group's ``sigma`` is at most this many times its jitter measured as if every frame had its best labels (the
#: module docstring, *Model*; None: no bound).  On ordinary tracks the ratio is 1-1.6 (legs that pass each other
#: in a side view), so 2 binds only on tracks that flip: every simulated table of ``benchmarks/inversions.py`` is
#: the same with and without it; the stream's repair of the Pose2Sim views undid 50 inversions instead of 30
LABEL_FREE_BOUND = 2.0
#: in 3D, the most a frame's relabelling of the arms or of the legs alone (not the whole body) costs where it would
#: turn the shoulders' line against the hips' line (the module docstring, *Model*; None or 0: not used)
TWIST_COST = 10.0
#: the cosine between the hips' and the shoulders' left-to-right lines from which that relabelling costs all of
#: :data:`TWIST_COST` (from 0 to it, a share; the corpus's 81,578 frames of motion capture: at least 0.45)
TWIST_FULL = 0.5


def default_flip_cost(flip_cost: float | None, dims: int) -> float:
    """``flip_cost``, or its default for ``dims``-dimensional points."""
    if flip_cost is not None:
        return float(flip_cost)
    return FLIP_COST_2D if dims == 2 else FLIP_COST_3D

_LEG_WORDS = ("hip", "knee", "ankle", "heel", "foot", "toe", "thigh", "femur", "tibia", "shin", "calf", "leg")
_ARM_WORDS = ("shoulder", "collar", "clavicle", "elbow", "wrist", "hand", "finger", "thumb", "pinky", "index",
              "forearm", "arm", "humerus", "radius")
_HEAD_WORDS = ("eye", "ear", "mouth", "jaw", "brow", "nose", "lip", "cheek", "face", "head", "temple", "chin")


def _word_group(name: str) -> str | None:
    name = name.lower()  # a custom skeleton's names keep their file's case (lThigh, LeftForeArm)
    for group, words in (("legs", _LEG_WORDS), ("arms", _ARM_WORDS), ("head", _HEAD_WORDS)):
        if any(w in name for w in words):
            return group
    return None


def limb_groups(skeleton: Any) -> dict[str, tuple[tuple[int, int], ...]]:
    """The skeleton's left/right pairs by limb group, in the order of :data:`GROUPS` (empty groups left out).

    A pair goes to the group of the first joint on the left joint's path up the tree (through left
    joints only, up to the first central one) whose name says leg or arm (``hip``, ``knee``, ``toe``,
    ...; ``shoulder``, ``wrist``, ``finger``, ...); a pair with no such joint on the way goes to
    ``head`` when its own name says head or face, else ``other``.
    """
    sk = skeleton if isinstance(skeleton, Skeleton) else get_skeleton(skeleton)
    found: dict[str, list[tuple[int, int]]] = {g: [] for g in GROUPS}
    sided = set(sk.left_indices)
    for left, right in sk.left_right:
        group, j = None, left
        while j in sided and group is None:  # up through the left side only, never past a central joint
            g = _word_group(sk.joints[j])
            group = g if g in ("arms", "legs") else None
            j = sk.parents[j]
        if group is None:
            group = "head" if _word_group(sk.joints[left]) == "head" else "other"
        found[group].append((left, right))
    return {g: tuple(p) for g, p in found.items() if p}


def decided_pairs(skeleton: Any) -> dict[str, tuple[tuple[int, int], ...]]:
    """The pairs each limb group is decided on: :func:`limb_groups`, or on a whole body
    (:data:`synsp.skeletons.BODY_JOINTS`) the pairs of its body only (a group without one is left out).
    A decided group is relabelled whole (:func:`relabel`): a hand's points follow its arm, then go to the wrist
    they hang from (:func:`hand_exchanges`)."""
    sk = skeleton if isinstance(skeleton, Skeleton) else get_skeleton(skeleton)
    table = limb_groups(sk)
    body = BODY_JOINTS.get(sk.name)
    if body is None:
        return table
    table = {g: tuple(p for p in pairs if p[0] in body and p[1] in body) for g, pairs in table.items()}
    return {g: pairs for g, pairs in table.items() if pairs}


def _twist_pairs(sk: Skeleton, cols: list[int] | None, evidence: dict) -> tuple[int, int, int, int] | None:
    """The shoulders' and the hips' pairs (left shoulder, right shoulder, left hip, right hip), numbered as the
    repair's deciding joints (``cols``, :func:`_decided_joints`), when the arms' and the legs' groups have them by
    name, else None."""
    found = {}
    for group, word in (("arms", "shoulder"), ("legs", "hip")):
        for a, b in evidence.get(group, ()):
            if word in sk.joints[a if cols is None else cols[a]] and word not in found:
                found[word] = (a, b)
    return None if len(found) < 2 else (*found["shoulder"], *found["hip"])


def _twist_costs(xs: np.ndarray, weight: np.ndarray, pairs: tuple[int, int, int, int]) -> np.ndarray:
    """``(T,)``: what relabelling the arms or the legs alone costs in each frame of ``xs`` ``(T, J, 3)`` (NaN: not
    usable): :data:`TWIST_COST` times the share of :data:`TWIST_FULL` that the cosine between the shoulders' and
    the hips' left-to-right lines reaches (0 where it is negative: a body already twisted there), times the lowest
    weight of the four joints; 0 where one is missing."""
    share = np.clip(np.nan_to_num(_twist_cosine(xs, pairs), nan=0.0) / TWIST_FULL, 0.0, 1.0)
    return (TWIST_COST or 0.0) * share * weight[:, list(pairs)].min(-1)


def _twist_cosine(xs: np.ndarray, pairs: tuple[int, int, int, int]) -> np.ndarray:
    """``(T,)``: the cosine between the shoulders' and the hips' left-to-right lines in each frame of ``xs`` ``(T,
    J, 3)`` (``pairs``: left and right shoulder, left and right hip); NaN where a joint is missing."""
    ls, rs, lh, rh = pairs
    s, h = xs[:, ls] - xs[:, rs], xs[:, lh] - xs[:, rh]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (s * h).sum(-1) / (np.linalg.norm(s, axis=-1) * np.linalg.norm(h, axis=-1))


def twisted_frames(poses: Any, skeleton: Any) -> np.ndarray | None:
    """``(T,)`` True in the frames of a 3D track ``(T, J, 3)`` whose shoulders' left-to-right line points against
    the hips' (their cosine below 0; never in the corpus's motion capture): the arms or the legs labelled the wrong
    way round alone, or a wrong pose.  None for 2D points or a skeleton without named shoulders and hips."""
    x = check_poses(poses, "poses", ndims=(3,), allow_nan=True)
    sk = _resolve(skeleton, x.shape[1])
    pairs = _twist_pairs(sk, None, decided_pairs(sk)) if x.shape[-1] == 3 else None
    if pairs is None:
        return None
    with np.errstate(invalid="ignore"):
        return _twist_cosine(x, pairs) < 0


def _decided_joints(sk: Skeleton) -> tuple[list[int] | None, dict[str, tuple[tuple[int, int], ...]]]:
    """The joints a repair is decided on (a whole body's body; None: all of them) and :func:`decided_pairs`
    numbered into those joints, so the costs are computed on the body alone (a fifth of the memory)."""
    table, body = decided_pairs(sk), BODY_JOINTS.get(sk.name)
    if body is None:
        return None, table
    at = {j: i for i, j in enumerate(body)}
    return list(body), {g: tuple((at[a], at[b]) for a, b in pairs) for g, pairs in table.items()}


class InversionRepair(NamedTuple):
    """What :func:`repair_inversions` returns.

    ``poses``: the repaired track, the input's shape (None when asked for the labels alone); ``flipped``: ``(T, G)`` (``(T, P, G)`` for
    ``(T, P, J, D)`` input) True where the group's labels were exchanged (frames where the group
    has at least one finite joint); ``groups``: the G group names, the columns of ``flipped``; ``hands``: ``(T,)``
    (``(T, P)``) True where a whole body's two hands are exchanged on top of ``flipped`` (only where the arms are
    relabelled), each put back at the wrist it hangs from (:func:`hand_exchanges`; :func:`relabel` takes it as
    ``hands``), None for a skeleton without such hands or when the arms are not repaired.
    """

    poses: np.ndarray | None
    flipped: np.ndarray
    groups: tuple[str, ...]
    hands: np.ndarray | None = None


def _resolve(skeleton: Any, num_joints: int) -> Skeleton:
    if skeleton is None:
        raise SynspInputError("repair_inversions needs the skeleton (a name such as 'coco17' or a Skeleton) "
                              "to know the left/right pairs")
    sk = skeleton if isinstance(skeleton, Skeleton) else get_skeleton(skeleton)
    if sk.num_joints != num_joints:
        raise SynspInputError(f"poses have {num_joints} joints but skeleton {sk.name!r} has {sk.num_joints}")
    return sk


def repair_inversions(poses: Any, skeleton: Any, confidence: Any = None, *, switch_cost: float = 10.0,
                      flip_cost: float | None = None, move_cost: float = 0.002, body_move_cost: float = 0.005,
                      sigma: float = 1.0, floor: float = 0.002, cap: float = 20.0,
                      min_confidence: float = 0.3, edge_cost: float | None = None,
                      whole_body: bool = True, groups: Any = None, scales: Any = None,
                      glitch: float | None = GLITCH, rounds: int | None = None,
                      relabelled: bool = True) -> InversionRepair:
    """Find and undo left/right label exchanges of whole limb groups over a whole track.

    ``poses``: ``(T, J, D)`` (one person) or ``(T, P, J, D)`` (each person or view alone), D = 2 or 3,
    NaN for missing joints, any unit.  ``skeleton``: a name or :class:`~synsp.skeletons.Skeleton`
    with the left/right pairs.  ``confidence``: ``(T, J)`` / ``(T, P, J)`` scores in [0, 1] (NaN
    and scores below ``min_confidence`` count as missing).  ``groups``: a subset of the group
    names to repair (default all).  The model and its parameters are in the module docstring:
    ``sigma`` multiplies the group's measured jitter (``floor``: the least ``sigma`` as a share of
    the person's size); ``cap``, ``switch_cost``, ``edge_cost`` (None: three switches) and
    ``flip_cost`` (None: :data:`FLIP_COST_2D` or :data:`FLIP_COST_3D` by the points' dimension) are in units
    of one joint's error of ``sigma``; ``move_cost`` (each group) and
    ``body_move_cost`` (the whole-body pass, ``whole_body``) weigh how far apart left and right are
    in a relabelled frame.  The defaults were chosen on simulated inversions over the corpus's test
    split (the clips the tests and ``benchmarks/inversions.py`` use; the validation split gives the
    same picture) and on the real MediaPipe track of ``synsp demo``.  ``scales``: ``{group: value}``
    to use as each group's unit instead of measuring it on the track (:func:`group_scales`; what
    :class:`OnlineRepair` is compared with).  ``glitch``: in units of ``sigma`` (None: no joint left out).
    ``rounds``: the most times the labels are decided (None: :data:`ROUNDS_2D` or :data:`ROUNDS_3D` by the points'
    dimension): each round starts from the labels the previous one gave, until a round changes nothing (the module
    docstring, *Rounds*).

    Returns :class:`InversionRepair` ``(poses, flipped, groups, hands)``; apply the same relabelling to
    other per-joint arrays (confidences) with :func:`relabel` (``hands=``).  A whole body's hands are put at their
    wrists after the relabelling (:func:`hand_exchanges`, ``hands``) where the arms are relabelled.
    ``relabelled=False``: ``poses`` is None (the labels alone, without a relabelled copy of the track: what
    :func:`repair_poses` asks for an hour of a whole body).
    """
    x = check_poses(poses, "poses", ndims=(3, 4), allow_nan=True)
    sk = _resolve(skeleton, x.shape[-2])
    flip_cost = default_flip_cost(flip_cost, x.shape[-1])
    if rounds is None:
        rounds = ROUNDS_2D if x.shape[-1] == 2 else ROUNDS_3D
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 1:
        raise SynspInputError(f"rounds is {rounds!r}; expected a whole number >= 1 (or None)")
    table = limb_groups(sk)
    if groups is not None:
        groups = (groups,) if isinstance(groups, str) else tuple(groups)
        unknown = set(groups) - set(GROUPS)
        if unknown:
            raise SynspInputError(f"unknown limb group(s) {sorted(unknown)}; expected some of {GROUPS}")
        absent = [g for g in groups if g not in table]
        if absent:
            raise SynspInputError(f"skeleton {sk.name!r} has no limb group {', '.join(absent)}; its groups: "
                                  f"{', '.join(table) or 'none'}")
        table = {g: p for g, p in table.items() if g in groups}
    names = tuple(table)
    if scales is not None and any(g not in scales for g in names):
        raise SynspInputError(f"scales has no value for group(s) {[g for g in names if g not in scales]}; "
                              f"expected {{group: value}} for each of {names}")
    _check_costs(dict(switch_cost=switch_cost, move_cost=move_cost, body_move_cost=body_move_cost, sigma=sigma,
                      floor=floor, cap=cap, flip_cost=flip_cost, edge_cost=edge_cost, glitch=glitch,
                      min_confidence=min_confidence, **{f"scales[{g!r}]": scales[g] for g in names if scales}))
    single = x.ndim == 3
    x4 = x[:, None] if single else x
    conf = None
    if confidence is not None:
        conf = to_numpy(confidence, name="confidence")
        if conf.shape != x.shape[:-1]:
            raise SynspInputError(f"confidence has shape {conf.shape}; expected {x.shape[:-1]} like the poses")
        conf = conf[:, None] if single else conf
    # a whole body (BODY_JOINTS: COCO-WholeBody, OpenPose with face and hands, Halpe-136): each group is decided on
    # its body pairs alone and relabelled whole (a hand's points follow its arm), at a fifth of the memory
    cols, evidence = _decided_joints(sk)
    evidence = {g: pairs for g, pairs in evidence.items() if g in table}
    names = tuple(evidence)
    twist = _twist_pairs(sk, cols, evidence) if x.shape[-1] == 3 and TWIST_COST else None
    xe = x4 if cols is None else x4[:, :, cols]
    ce = conf if conf is None or cols is None else conf[:, :, cols]
    T, P, J, _ = xe.shape
    flipped = np.zeros((T, P, len(names)), dtype=bool)
    for p in range(P):
        # a detection held over the frames its detector skipped is one observation: the track of distinct
        # detections is decided, each held frame takes its detection's labels (held_frames)
        fresh = ~held_frames(xe[:, p])
        source = np.cumsum(fresh) - 1  # each frame's detection among the fresh ones
        xp = xe[fresh, p]
        cp = None if ce is None else ce[fresh, p]
        T = len(xp)
        usable = np.isfinite(xp).all(-1)
        if cp is not None:
            usable &= np.nan_to_num(cp) >= min_confidence
        xs = np.where(usable[..., None], xp, np.nan)
        weight = np.ones((T, J)) if cp is None else score_weights(cp, usable)
        if not names or T < 2:
            continue
        sets = [np.asarray(evidence[g]) for g in names]
        seen = np.stack([np.isfinite(xp[:, pairs.reshape(-1)]).all(-1).any(-1) for pairs in sets])  # (G, T)
        total, last = np.zeros((len(names), T), dtype=bool), None
        for _ in range(rounds):  # each round from the labels of the one before, until one changes nothing
            states = _decide(xs, weight, names, sets, scales, switch_cost=switch_cost, flip_cost=flip_cost,
                             move_cost=move_cost, body_move_cost=body_move_cost, sigma=sigma, floor=floor, cap=cap,
                             edge_cost=edge_cost, whole_body=whole_body, glitch=glitch, twist=twist) & seen
            if not states.any():
                break
            if last is not None and np.array_equal(states, last):
                total ^= last  # back to the labels of two rounds ago: of the two it swings between, the earlier
                break
            total ^= states
            xs, weight, last = _swap(xs, states, sets), _swap(weight, states, sets), states
        flipped[:, p] = total.T[source]
    # a whole body's hands at the wrists they hang from (decided apart from the arms: a hand detector's own labels),
    # only where the arms are relabelled: elsewhere correct hands beside an arm inversion the repair leaves would
    # follow the wrong wrists (a review: 17 -> 130 wrong hand-frames under a missed edge inversion)
    hands = _hand_exchanges(x4, conf, sk, min_confidence) if "arms" in names else None
    if hands is not None:
        hands &= flipped[..., names.index("arms")]
    out = relabel(x4, flipped, sk, names, hands=hands) if relabelled else None
    dtype = getattr(poses, "dtype", None)
    if out is not None and isinstance(dtype, np.dtype) and np.issubdtype(dtype, np.floating):
        out = out.astype(dtype, copy=False)  # float32 / float16 poses come back as they came
    if single:
        out, flipped = None if out is None else out[:, 0], flipped[:, 0]
        hands = None if hands is None else hands[:, 0]
    return InversionRepair(out, flipped, names, hands)


def _hands(sk: Skeleton) -> tuple[int, int, int, int, np.ndarray] | None:
    """A whole body's hands (:data:`synsp.skeletons.BODY_JOINTS`): its left and right wrists (the arms' body pair the
    hands hang from), the hands' roots (left, right: the points whose parents are the wrists) and the hands'
    left/right pairs ``(n, 2)`` (the points whose nearest body joint up the tree is a wrist, roots included); None
    for a skeleton without such hands."""
    body = BODY_JOINTS.get(sk.name)
    if body is None:
        return None
    inside = set(body)
    pairs = [(a, b) for a, b in sk.left_right if a not in inside and b not in inside]
    for lw, rw in limb_groups(sk).get("arms", ()):
        if lw not in inside or rw not in inside:
            continue
        hung = [(a, b) for a, b in pairs
                if sk.nearest_ancestor(a, inside) == lw and sk.nearest_ancestor(b, inside) == rw]
        roots = [(a, b) for a, b in hung if sk.parents[a] == lw and sk.parents[b] == rw]
        if len(roots) == 1:
            return lw, rw, roots[0][0], roots[0][1], np.asarray(hung)
    return None


def hand_exchanges(poses: Any, skeleton: Any, confidence: Any = None, *,
                   min_confidence: float = 0.3) -> np.ndarray | None:
    """``(T,)`` (``(T, P)`` for ``(T, P, J, D)`` poses) True in the frames where a whole body's two hands are labelled
    the wrong way round against its wrists, None for a skeleton without hands hanging from its wrists
    (:data:`synsp.skeletons.BODY_JOINTS`: COCO-WholeBody, OpenPose with hands, Halpe-136).

    A frame's hands are exchanged where each hand's root is clearly nearer the other wrist than its own: the two
    crossed distances (root to the other wrist) together under half the two own ones, with both roots and both
    wrists seen (finite, score at least ``min_confidence``) and the wrists further apart than a hand's length (the
    median over the track of the largest distance from a seen hand's root to its other seen points), so that
    clasped hands decide nothing.  Relabelling the arms moves the wrists and the hands together, so the answer is
    the same before and after :func:`repair_inversions` relabels them: it is what :func:`relabel` exchanges on top
    of the arms' labels (``hands``)."""
    x = check_poses(poses, "poses", ndims=(3, 4), allow_nan=True)
    sk = _resolve(skeleton, x.shape[-2])
    conf = None if confidence is None else to_numpy(confidence, name="confidence")
    if conf is not None and conf.shape != x.shape[:-1]:
        raise SynspInputError(f"confidence has shape {conf.shape}; expected {x.shape[:-1]} like the poses")
    single = x.ndim == 3
    x4 = x[:, None] if single else x
    c4 = conf[:, None] if conf is not None and single else conf
    out = _hand_exchanges(x4, c4, sk, min_confidence)
    return out[:, 0] if out is not None and single else out


def _hand_exchanges(x: np.ndarray, conf: np.ndarray | None, sk: Skeleton,
                    min_confidence: float) -> np.ndarray | None:
    """:func:`hand_exchanges` of ``x`` ``(T, P, J, D)`` with ``conf`` ``(T, P, J)`` or None: ``(T, P)``, or None."""
    hands = _hands(sk)
    if hands is None:
        return None
    lw, rw, lroot, rroot, pairs = hands

    def seen(joints: list[int]) -> np.ndarray:
        """``(T, P, n, D)`` positions of ``joints``, NaN where not usable."""
        pts = x[:, :, joints].astype(np.float64)
        ok = np.isfinite(pts).all(-1)
        if conf is not None:
            ok &= np.nan_to_num(conf[:, :, joints]) >= min_confidence
        return np.where(ok[..., None], pts, np.nan)

    def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.linalg.norm(a - b, axis=-1)

    wl, wr, hl, hr = np.moveaxis(seen([lw, rw, lroot, rroot]), 2, 0)
    own, crossed, apart = dist(hl, wl) + dist(hr, wr), dist(hl, wr) + dist(hr, wl), dist(wl, wr)
    # a hand's length: the largest distance from its root to its other points, per frame (NaN where none is seen)
    reach = np.concatenate([np.fmax.reduce(dist(seen([j for j in pairs[:, k] if j != root]), root_at[:, :, None]),
                                           axis=-1) for k, root, root_at in ((0, lroot, hl), (1, rroot, hr))])
    length = np.full(x.shape[1], np.nan)  # per person, the median over the track (NaN: never seen, nothing decided)
    for p in range(x.shape[1]):
        v = reach[:, p][np.isfinite(reach[:, p])]
        if v.size:
            length[p] = np.median(v)
    return (crossed < 0.5 * own) & (apart > length)


#: the quantile of a track's usable scores that tells the scale of its detector's scores, and the weight it gets at
#: least (:func:`score_weights`)
SCORE_QUANTILE, SCORE_FULL = 0.9, 0.9


def held_frames(x: np.ndarray) -> np.ndarray:
    """``(T,)`` True for a frame of ``x`` ``(T, J, D)`` that repeats the frame before exactly (every joint the
    same or missing in both, at least one the same): a detector's result held over the frames it skipped.  The
    offline repair decides the track of distinct detections and gives each held frame its detection's labels:
    within a hold the motion stops, then jumps by the skipped frames' motion at once, which a constant-velocity
    prediction reads as exchanged labels (clean 2D motion held for 3 frames had 33 frames relabelled by up to
    134 px, for 5 frames 396 of 7,996).  :class:`OnlineRepair` does not (leaving such frames out of its evidence
    helped on some clips and harmed on others)."""
    held = np.zeros(len(x), dtype=bool)
    if len(x) > 1:
        same = (x[1:] == x[:-1]).all(-1)
        both_missing = ~np.isfinite(x[1:]).all(-1) & ~np.isfinite(x[:-1]).all(-1)
        held[1:] = (same | both_missing).all(-1) & same.any(-1)
    return held


def score_weights(confidence: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """The repair's weight of each score ``(T, J)``, in [0, 1]: the score itself where the track's usable scores'
    :data:`SCORE_QUANTILE` quantile is at least :data:`SCORE_FULL`, else scaled up until that quantile weighs
    :data:`SCORE_FULL` (:func:`score_divisor`), so that what counts is a joint's confidence against the detector's
    usual one, not the scale of its scores: an estimator whose scores sit around 0.45 had its repair switched off
    (each continuity term multiplies three frames' weights).  Scaling high scores as well moved the online
    repair's decisions on the real MediaPipe track (``benchmarks/real_agreement.py --consensus 1 --online 30``:
    46 correct group-frames exchanged against 24), a near tie that a 1 % change of the weights tips."""
    c = np.nan_to_num(np.asarray(confidence, dtype=np.float64))
    ref = float(np.quantile(c[usable], SCORE_QUANTILE)) if usable.any() else 0.0
    return np.clip(c / score_divisor(ref), 0.0, 1.0)


def score_divisor(reference: float) -> float:
    """What :func:`score_weights` divides the scores by: 1 for a detector whose :data:`SCORE_QUANTILE` quantile
    (``reference``) is at least :data:`SCORE_FULL` (MediaPipe, MMPose: its weights stay its scores), else less, so
    that the quantile weighs :data:`SCORE_FULL`; 1 when there is no reference (0)."""
    return min(1.0, reference / SCORE_FULL) if reference > 0 else 1.0


def _check_costs(values: dict) -> None:
    """Every cost, unit and threshold of :func:`repair_inversions` a finite number, positive where it divides or
    truncates (``sigma``, ``floor``, ``cap``, the ``scales``), else >= 0 (``glitch`` 0 or None: no joint left out;
    ``min_confidence`` any number): 0, a negative or NaN value had switched the repair off without a word."""
    positive = ("sigma", "floor", "cap", "scales")
    for name, v in values.items():
        if v is None and name in ("flip_cost", "edge_cost", "glitch"):
            continue
        ok = not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating)) and np.isfinite(v)
        if name == "min_confidence":  # any threshold (below 0: every score counts)
            if not ok:
                raise SynspInputError(f"{name} is {v!r}; expected a finite number")
            continue
        strict = name.startswith(positive)
        if not ok or (v <= 0 if strict else v < 0):
            raise SynspInputError(f"{name} is {v!r}; expected a finite number {'> 0' if strict else '>= 0'}")


def _decide(xs: np.ndarray, weight: np.ndarray, names: tuple[str, ...], sets: list[np.ndarray], scales: Any, *,
            switch_cost: float, flip_cost: float, move_cost: float, body_move_cost: float, sigma: float, floor: float,
            cap: float, edge_cost: float | None, whole_body: bool, glitch: float | None,
            twist: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """One round of :func:`repair_inversions` over one person's track: ``(G, T)`` True where group ``names[k]``
    (its pairs ``sets[k]``, columns of ``xs`` ``(T, J, D)``, NaN where not usable, and of ``weight`` ``(T, J)``)
    is to be relabelled, the whole-body pass first (``twist``: the shoulders' and hips' pairs in 3D,
    :func:`_twist_costs`)."""
    T = len(xs)
    edge = 3 * switch_cost if edge_cost is None else edge_cost
    costs, seps = [], []
    units = _scales(xs, sets, sigma, floor) if scales is None else [float(scales[g]) for g in names]
    for pairs, scale in zip(sets, units):
        costs.append(_continuity_costs(xs, weight, pairs[:, 0], pairs[:, 1], scale, cap, glitch=glitch))
        # agreement with the input: relabelling a frame costs more the further apart left and right are
        sep = _rho(xs[:, pairs[:, 0]] - xs[:, pairs[:, 1]], scale, cap)
        seps.append(2 * (sep * np.minimum(weight[:, pairs[:, 0]], weight[:, pairs[:, 1]])).sum(-1))

    def solve(costs: list[np.ndarray], seps: list[np.ndarray], move_cost: float, groups: int = 1,
              extra: list | None = None) -> np.ndarray:
        trans, init = [], []
        for k, (cost, sep) in enumerate(zip(costs, seps)):
            flip = flip_cost + move_cost * sep + (0.0 if extra is None else extra[k])
            tr, i0 = _pair_state_transitions(cost, switch_cost, flip, groups * edge)
            trans.append(tr)
            init.append(i0)
        return (viterbi_paths(np.stack(init), np.stack(trans)) % 2).astype(bool)  # (sets, T)

    whole = np.zeros(T, dtype=bool)
    if whole_body and "arms" in names and "legs" in names:
        # first the whole body on the evidence of arms and legs together (a detector's face points often collapse
        # rather than swap when it takes a person for back-facing), then each group on the body's relabelling
        # (its costs are the same table with the body's switches XORed in)
        limbs = [names.index("arms"), names.index("legs")]
        # a body that starts or ends relabelled is the edge of both groups (with one edge cost, the lite BlazePose
        # model's five inverted frames in camera 1 of the Pose2Sim demo were relabelled to the track's end: its
        # way out of them is gradual, its end 20 frames on)
        whole = solve([costs[limbs[0]] + costs[limbs[1]]], [seps[limbs[0]] + seps[limbs[1]]], body_move_cost,
                      len(limbs))[0]
    extra = None
    if twist is not None:  # the arms or the legs alone against the other (a whole body's relabelling keeps it)
        tw = _twist_costs(xs, weight, twist)
        extra = [tw if g in ("arms", "legs") else 0.0 for g in names]
    return solve([_relative_to(c, whole) for c in costs], seps, move_cost, extra=extra) ^ whole


def _swap(values: np.ndarray, states: np.ndarray, sets: list[np.ndarray]) -> np.ndarray:
    """A copy of ``values`` ``(T, J, ...)`` or ``(T, P, J, ...)`` with the left/right columns of ``sets[k]``
    (pairs of joint indices) exchanged where ``states[k]`` ``(T,)`` / ``(T, P)`` is True."""
    out = values.copy()
    for rows, pairs in zip(states, sets):
        if rows.any():
            sub = out[rows]
            sub[:, pairs[:, 0]], sub[:, pairs[:, 1]] = sub[:, pairs[:, 1]], sub[:, pairs[:, 0]]
            out[rows] = sub
    return out


def _scales(xs: np.ndarray, sets: list[np.ndarray], sigma: float, floor: float) -> list[float]:
    """Each group's ``sigma``: its jitter (the median second difference of its joints over the track, at most
    :data:`LABEL_FREE_BOUND` times the same measured under each frame's best labels) times ``sigma``, at least
    ``floor`` times the person's size; ``xs`` ``(T, J, D)`` with NaN where not usable."""
    size = size_of(xs)
    out = []
    for pairs in sets:
        jitter = _jitter(xs[:, pairs.reshape(-1)])
        if LABEL_FREE_BOUND is not None and len(xs) >= 3:
            free = _label_free_acc(xs[:-2, pairs[:, 0]], xs[:-2, pairs[:, 1]], xs[1:-1, pairs[:, 0]],
                                   xs[1:-1, pairs[:, 1]], xs[2:, pairs[:, 0]], xs[2:, pairs[:, 1]])
            free = free[np.isfinite(free)]
            if free.size:
                jitter = min(jitter, LABEL_FREE_BOUND * float(np.median(free)))
        out.append(max(sigma * jitter, floor * size))
    return out


def _label_free_acc(l0: np.ndarray, r0: np.ndarray, l1: np.ndarray, r1: np.ndarray, l2: np.ndarray,
                    r2: np.ndarray) -> np.ndarray:
    """The second difference's length of each joint of its pairs (left joints, then right ones, along the
    second-to-last axis) over three frames, under the labels of the middle and last frames that make it
    least: the jitter a track would have with every inversion undone (an inversion's every frame adds two
    jumps of a limb's width to the plain median, which would loosen every cost of a track full of them)."""
    out = []
    for a, own1, other1, own2, other2 in ((l0, l1, r1, l2, r2), (r0, r1, l1, r2, l2)):
        best = None
        for b in (own1, other1):
            for c in (own2, other2):
                n = np.linalg.norm(c - 2 * b + a, axis=-1)
                best = n if best is None else np.fmin(best, n)
        out.append(best)
    return np.concatenate(out, axis=-1)


def group_scales(poses: Any, skeleton: Any, confidence: Any = None, *, sigma: float = 1.0, floor: float = 0.002,
                 min_confidence: float = 0.3) -> dict[str, float]:
    """The unit of every cost of :func:`repair_inversions` on one track ``(T, J, D)``: per limb group, ``sigma``
    times the group's jitter measured over the whole track (at least ``floor`` times the person's size).

    :class:`OnlineRepair` estimates it while the track comes; passing these as its ``scales`` makes its
    costs those of the offline repair of the whole track."""
    x = check_poses(poses, "poses", ndims=(3,), allow_nan=True)
    sk = _resolve(skeleton, x.shape[-2])
    usable = np.isfinite(x).all(-1)
    if confidence is not None:
        usable &= np.nan_to_num(to_numpy(confidence, name="confidence")) >= min_confidence
    xs = np.where(usable[..., None], x, np.nan)
    cols, table = _decided_joints(sk)  # a whole body: its body's joints, as repair_inversions measures them
    xs = xs if cols is None else xs[:, cols]
    return dict(zip(table, _scales(xs, [np.asarray(p) for p in table.values()], sigma, floor)))


def limb_asymmetry(poses: np.ndarray, skeleton: Skeleton) -> float | None:
    """How unequal the left and right limbs of ``poses`` ``(T, J, D)`` are when its points are in ``skeleton``'s
    order: the median over its left/right bones of the arms and legs (a left/right pair of the arms or legs whose
    parents are such a pair: upper arms, forearms, thighs, shins; the head and torso's depend on the view) of
    ``|log(left length / right length)|``, each length the bone's median over the frames.  Near 0 for data in that
    order; a wrong order pairs bones of unrelated lengths.  None without such pairs or lengths."""
    import warnings

    par = np.asarray(skeleton.parents)
    groups = limb_groups(skeleton)
    limbs = [tuple(p) for g in ("arms", "legs") for p in groups.get(g, ())]
    pairs = [(a, b) for a, b in limbs if (par[a], par[b]) in limbs or (par[b], par[a]) in limbs]
    if not pairs:
        return None
    x = np.asarray(poses, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a bone never seen: an all-NaN median
        ratios = [np.log(np.nanmedian(np.linalg.norm(x[:, a] - x[:, par[a]], axis=-1))
                         / np.nanmedian(np.linalg.norm(x[:, b] - x[:, par[b]], axis=-1))) for a, b in pairs]
    ratios = [abs(r) for r in ratios if np.isfinite(r)]
    return float(np.median(ratios)) if ratios else None


def relabel(values: Any, flipped: np.ndarray, skeleton: Any, groups: tuple[str, ...],
            hands: Any = None) -> np.ndarray:
    """Exchange the left/right joints of ``groups`` where ``flipped`` says so.

    ``values``: ``(T, J, ...)`` or ``(T, P, J, ...)`` per-joint arrays (poses, confidences);
    ``flipped``: ``(T, G)`` or ``(T, P, G)`` from :func:`repair_inversions`; ``hands``: ``(T,)`` or ``(T, P)``,
    a whole body's two hands exchanged as well where True (:attr:`InversionRepair.hands`; None: nowhere).
    Returns a copy.
    """
    sk = skeleton if isinstance(skeleton, Skeleton) else get_skeleton(skeleton)
    table = limb_groups(sk)
    out = _swap(np.asarray(values), np.moveaxis(np.asarray(flipped, dtype=bool), -1, 0),
                [np.asarray(table[g]) for g in groups])
    if hands is not None and np.any(hands):
        found = _hands(sk)
        if found is None:
            raise SynspInputError(f"hands given, but skeleton {sk.name!r} has no hands hanging from its wrists")
        out = _swap(out, np.asarray(hands, dtype=bool)[None], [found[-1]])
    return out


def repair_poses(poses: np.ndarray, skeleton: Skeleton | None, confidence: Any = None, *,
                 persons: bool = False, cuts: Callable[[np.ndarray, Any], Any] | None = None
                 ) -> tuple[np.ndarray, Any, dict]:
    """The repair that :func:`synsp.refine` runs before refining: ``(poses, confidence, report)``.

    ``poses`` ``(T, J, D)`` or ``(T, P, J, D)``; with ``persons`` the P axis holds persons and their
    identities are repaired first (:func:`synsp.identity.repair_identities`, every slot competing; :func:`synsp.refine`
    gives persons to the rules of a file's tracks instead, :func:`synsp.identity.repair_track_identities`), then each
    person's (or
    view's) left/right inversions (:func:`synsp.refine` then makes 3D views agree with each other:
    :func:`synsp.view_labels.agree_view_poses`).  ``confidence`` follows the same reordering and relabelling.
    ``report``: ``groups``, ``relabelled`` (frames per group, ``(G,)`` or ``(P, G)``), ``flipped`` (the
    mask of :func:`repair_inversions`), ``hands`` (its :attr:`InversionRepair.hands`: a whole body's hands exchanged
    on top of ``flipped``, or None), ``reassigned`` (person-frames given to another slot).

    ``cuts``: a function of one person's (or view's) poses ``(T, J, D)`` and confidences (``(T, J)`` or None)
    giving the frames where a part after a cut begins (:func:`synsp.cuts.find_cuts`), applied to the repaired
    poses (the cuts the refiner then uses, as before): where it finds any, each part is repaired again alone, as
    a track of its own (a jump to another shot or person says nothing about the labels on either side).  Cuts
    are looked for after the repair, not before: where an estimator's error stays with the label (a per-joint
    bias), an inversion's edges jump like cuts under either labelling, and a track cut there could not be
    repaired (``synsp benchmark --experiment inversions``: 95.5 mm instead of 91.6).  ``report["cuts"]`` then
    holds them, one list per person or view (one list for ``(T, J, D)``); None when nothing was repaired (no
    skeleton with pairs).
    """
    report: dict = {"groups": (), "relabelled": None, "hands": None, "reassigned": 0}
    x = poses
    try:
        conf = None if confidence is None else to_numpy(confidence, name="confidence")
    except SynspInputError:
        conf = None
    if confidence is not None and (conf is None or conf.shape != x.shape[:-1]):
        return x, confidence, report  # not touched: the refiner names the mistake
    if persons and x.ndim == 4 and x.shape[1] > 1:
        ident = repair_identities(x, conf)
        if ident.reassigned.any():
            x = ident.poses
            conf = None if conf is None else reorder(conf, ident.order)
        report["reassigned"] = int(ident.reassigned.sum())
    if skeleton is not None and len(x) >= 3 and limb_groups(skeleton):
        real = np.isfinite(x).all(-1) & ~absurd_joints(x)
        xr = x if real.all() else np.where(real[..., None], x, np.nan)
        r = repair_inversions(xr, skeleton, conf, relabelled=False)
        flipped, groups, hands = r.flipped, r.groups, r.hands  # hands: decided apart from the arms, kept in parts
        moves = flipped.any() or (hands is not None and hands.any())
        if cuts is not None:  # cut where the repaired track jumps; then each side repaired again, alone
            seen = relabel(xr, flipped, skeleton, groups, hands) if moves else xr
            seen_conf = conf if conf is None or not moves else relabel(conf, flipped, skeleton, groups, hands)
            found = [sorted(int(c) for c in cuts(col, cc)) for col, cc in _columns(seen, seen_conf)]
            report["cuts"] = found
            if any(found):
                flipped = _inversions_in_parts(xr, skeleton, conf, found, flipped, groups)
        report.update(groups=groups, relabelled=flipped.sum(0), flipped=flipped, hands=hands)
        if flipped.any() or (hands is not None and hands.any()):
            x = relabel(x, flipped, skeleton, groups, hands)  # the input's own values (inf and all), relabelled
            conf = None if conf is None else relabel(conf, flipped, skeleton, groups, hands)
    elif cuts is not None:
        report["cuts"] = None  # not repaired: the refiner finds the cuts itself
    return x, (confidence if conf is None else conf), report


def _columns(x: np.ndarray, conf: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """``(poses (T, J, D), confidences (T, J) or None)`` of each person or view of ``x`` ``(T, J, D)`` (one) or
    ``(T, P, J, D)``, ``conf`` likewise (views, no copies)."""
    if x.ndim == 3:
        return [(x, conf)]
    return [(x[:, p], None if conf is None else conf[:, p]) for p in range(x.shape[1])]


def _inversions_in_parts(x: np.ndarray, skeleton: Skeleton, conf: np.ndarray | None, found: list[list[int]],
                         whole: np.ndarray, groups: tuple[str, ...]) -> np.ndarray:
    """:func:`repair_inversions`'s ``flipped`` of ``x`` ``(T, J, D)`` / ``(T, P, J, D)`` with each column's parts
    between its cuts ``found`` (a list of frames per column) repaired alone; a column without a cut keeps its
    labels of the repair of the whole (``whole``, of the limb ``groups``), and a part under 3 frames its own."""
    flipped = whole.copy()
    columns = [flipped] if x.ndim == 3 else [flipped[:, p] for p in range(x.shape[1])]  # views into flipped
    for (col, cc), out, starts in zip(_columns(x, conf), columns, found):
        bounds = [0, *starts, len(col)] if starts else []
        for a, b in zip(bounds[:-1], bounds[1:]):
            out[a:b] = False
            if b - a >= 3:
                r = repair_inversions(col[a:b], skeleton, None if cc is None else cc[a:b], relabelled=False)
                out[a:b, [groups.index(g) for g in r.groups]] = r.flipped
    return flipped


def _ffill(v: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Last valid value at or before each frame along axis 0 (NaN before the first) and its age in frames."""
    T = len(v)
    idx = np.where(ok, np.arange(T).reshape((T,) + (1,) * (ok.ndim - 1)), -1)
    idx = np.maximum.accumulate(idx, axis=0)
    filled = np.take_along_axis(v, np.maximum(idx, 0)[..., None], axis=0)
    filled[idx < 0] = np.nan
    age = np.where(idx >= 0, np.arange(T).reshape((T,) + (1,) * (ok.ndim - 1)) - idx, 0)
    return filled, age


def _shift(v: np.ndarray, k: int, fill: float = np.nan) -> np.ndarray:
    """``v`` delayed by ``k`` frames along axis 0 (the first ``k`` frames get ``fill``)."""
    out = np.empty_like(v)
    out[:k] = fill
    out[k:] = v[: len(v) - k]
    return out


def _glitches(X: np.ndarray, scale: Any, glitch: float) -> np.ndarray:
    """``(T, 2, n)``: the joints of ``X`` ``(T, side, n, D)`` (frames in order) further than ``glitch * scale``
    (``scale``: a number or ``(n,)`` per pair) from the midpoint of their neighbouring frames under each of the
    four labellings of their own frame and the next one (relative to the frame before); never the first or
    last frame, nor where a neighbour is missing."""
    best = np.full(X.shape[:-1], np.inf, dtype=np.float32)
    if len(X) >= 3:
        mid = best[1:-1]
        for here in (X[1:-1], X[1:-1][:, ::-1]):
            for after in (X[2:], X[2:][:, ::-1]):
                d = np.sqrt(((here - (X[:-2] + after) / 2) ** 2).sum(-1))
                np.fmin(mid, d, out=mid)  # NaN (a neighbour missing) leaves it as it was
    return np.isfinite(best) & (best > np.float32(glitch) * np.asarray(scale, dtype=np.float32))


def _continuity_costs(x: np.ndarray, weight: np.ndarray, left: np.ndarray, right: np.ndarray,
                      scale: float, cap: float, chunk: int = 16384, glitch: float | None = None) -> np.ndarray:
    """Motion-continuity cost ``(T, 2, 2)`` of one group: ``[t, u, v]`` with ``u = s_{t-2} xor s_{t-1}``,
    ``v = s_{t-1} xor s_t`` (labels of frame t-1 as reference); row 0 is zero.  ``glitch``: leave out the
    joints :func:`_glitches` finds (None: none)."""
    T = len(x)
    out = np.zeros((T, 2, 2))
    if T < 2:
        return out
    X = np.stack([x[:, left], x[:, right]], axis=1).astype(np.float32)  # (T, side, n, D)
    if glitch:
        X[_glitches(X, scale, glitch)] = np.nan
    ok = np.isfinite(X).all(-1)  # (T, 2, n)
    F, age = _ffill(X, ok)  # the last seen position of each side and how old it is
    W, _ = _ffill(np.stack([weight[:, left], weight[:, right]], axis=1)[..., None], ok)
    W = np.nan_to_num(W[..., 0]).astype(np.float32)  # the confidence of the last seen position
    for a in range(1, T, chunk):  # bounded memory: the per-joint terms of a chunk of frames at a time
        b = min(T, a + chunk)
        t = np.arange(a, b)
        t2 = np.maximum(t - 2, 0)
        terms = _continuity_terms(X[t], ok[t], W[t], X[t - 1], ok[t - 1], X[t2], ok[t2], W[t2], F[t - 1],
                                  age[t - 1], W[t - 1], t >= 2, scale, cap)
        out[t] = terms.sum(-1)
    return out


def _continuity_terms(Xt: np.ndarray, ok_t: np.ndarray, Wt: np.ndarray, X1: np.ndarray, ok1: np.ndarray,
                      X2: np.ndarray, ok2: np.ndarray, W2: np.ndarray, F1: np.ndarray, age1: np.ndarray,
                      W1: np.ndarray, second: np.ndarray, scale: Any, cap: float) -> np.ndarray:
    """The per-pair terms ``(m, 2, 2, n)`` of :func:`_continuity_costs` for ``m`` frames ``t`` (their rows are
    the terms summed over the last axis); shared by the offline table and :class:`OnlineRepair`.

    ``Xt``, ``X1``, ``X2``: ``(m, 2, n, D)`` float32 positions (side, pair) of frames t, t-1, t-2 (NaN: not
    usable) with their masks ``ok_*`` ``(m, 2, n)``; ``Wt``, ``W2``: ``(m, 2, n)`` float32 weights of frames t and
    t-2 where usable; ``F1``, ``age1``, ``W1``: the last usable position at or before t-1, its age in frames
    and its weight; ``second`` ``(m,)``: frame t-2 exists; ``scale``: a number or ``(n,)`` per pair."""
    flip = np.array([[0, 1], [1, 0]])  # [u, side]: the side whose frame t-2 continues the side's label
    known = np.isfinite(F1).all(-1).all(1)  # (m, n): both sides seen at least once by frame t-1
    # velocity only from two real observations of both sides, else a constant-position prediction
    vel_ok = ok1.all(1) & ok2.all(1) & second[:, None]  # (m, n)
    vel = X1[:, None] - X2[:, flip]  # (m, u, side, n, D)
    vel = np.where(vel_ok[:, None, None, :, None], vel, np.float32(0))
    pred = F1[:, None] + vel  # (m, u, side, n, D)
    res = Xt[:, :, None, None] - pred[:, None]  # (m, observed side, u, label side, n, D)
    s = (scale * (1.0 + 0.5 * age1.max(1))).astype(np.float32)  # (m, n): a stale prediction is loose
    e = _rho(res, s[:, None, None, None], cap)  # (m, o, u, k, n)
    w = np.minimum(W1[:, 0], W1[:, 1]) * np.where(vel_ok, np.minimum(W2[:, 0], W2[:, 1]), np.float32(1))
    here = np.where(ok_t, Wt, np.float32(1))
    w = w * np.minimum(here[:, 0], here[:, 1])
    w = np.where(known, w, np.float32(0))  # (m, n)
    terms = np.empty(w.shape[:1] + (2, 2) + w.shape[1:], dtype=w.dtype)
    for u in (0, 1):
        for v in (0, 1):  # label side k takes observed side k ^ v
            terms[:, u, v] = w * (e[:, v, u, 0] + e[:, 1 - v, u, 1])
    return terms


def _rho(r: np.ndarray, s: Any, cap: float) -> np.ndarray:
    """Truncated distance per joint (last axis: coordinates) in units of ``s``, 0 where it is NaN."""
    sq = r[..., 0] * r[..., 0]
    for d in range(1, r.shape[-1]):
        sq += r[..., d] * r[..., d]
    e = np.sqrt(sq) / s
    return np.where(np.isfinite(e), np.minimum(e, cap), 0.0)


def _jitter(x: np.ndarray) -> float:
    """Median length of the second difference over frames and joints (NaN-aware; 0 when none)."""
    if len(x) < 3:
        return 0.0
    a = np.linalg.norm(second_difference(x), axis=-1)
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else 0.0


def _relative_to(cost: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The ``(T, 2, 2)`` cost table of a track relabelled by ``states`` ``(T,)``: ``[t, u, v]`` becomes
    ``[t, u ^ (s_{t-2} ^ s_{t-1}), v ^ (s_{t-1} ^ s_t)]``."""
    change = np.zeros(len(states), dtype=bool)
    change[1:] = states[1:] ^ states[:-1]
    before = np.zeros_like(change)
    before[2:] = change[1:-1]
    out = cost.copy()
    out[before] = out[before][:, ::-1, :]
    out[change] = out[change][:, :, ::-1]
    return out


def _pair_state_transitions(cost: np.ndarray, switch_cost: float, flip_cost: np.ndarray,
                            edge_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Transition costs ``(T-1, 4, 4)`` between pair states ``2 s_{t-1} + s_t`` and the initial costs ``(4,)``;
    ``flip_cost`` ``(T,)``: the cost of relabelling each frame."""
    T = len(cost)
    trans = np.full((T - 1, 4, 4), np.inf)
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                trans[:, 2 * a + b, 2 * b + c] = cost[1:, a ^ b, b ^ c] + switch_cost * (b ^ c) + flip_cost[1:] * c
    init = np.array([0.0, np.inf, np.inf, edge_cost + flip_cost[0]])  # frame 0: (s, s)
    trans[-1, :, 1::2] += edge_cost  # ending relabelled: a track's ends cost a switch like any boundary
    return trans, init


def viterbi_paths(init: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """Minimum-cost state paths: ``init`` ``(B, S)``, ``trans`` ``(B, N, S, S)`` (from, to) -> ``(B, N + 1)``.

    The N transitions are cut into K blocks of L (about sqrt(N)); the blocks' min-plus transfer
    matrices give the optimal costs at block starts, then every block runs its own recursion with
    back pointers at the same time, and the path is read back block by block.  Ties go to the
    lower state (no relabelling).
    """
    B, N, S, _ = trans.shape
    if N == 0:
        return init.argmin(-1)[:, None]
    L = max(8, int(np.ceil(np.sqrt(N))))
    K = -(-N // L)
    pad = K * L - N
    if pad:
        eye = np.full((S, S), np.inf)
        np.fill_diagonal(eye, 0.0)
        trans = np.concatenate([trans, np.broadcast_to(eye, (B, pad, S, S))], axis=1)
    # (L, B K, S, S): step i of every block, contiguous
    M = np.ascontiguousarray(trans.reshape(B * K, L, S, S).transpose(1, 0, 2, 3))
    prod = M[0]
    for i in range(1, L):  # min-plus product, the middle index unrolled (a reduction over a short axis is slow)
        new = prod[:, :, 0, None] + M[i][:, None, 0, :]
        for m in range(1, S):
            np.minimum(new, prod[:, :, m, None] + M[i][:, None, m, :], out=new)
        prod = new
    prod = prod.reshape(B, K, S, S)
    starts = np.empty((B, K, S))
    a = init.astype(np.float64)
    for k in range(K):
        starts[:, k] = a
        a = (a[:, :, None] + prod[:, k]).min(axis=1)
    back = np.empty((L, B * K, S), dtype=np.intp)
    a = starts.reshape(B * K, S)
    for i in range(L):
        cand = a[:, :, None] + M[i]
        back[i] = cand.argmin(axis=1)
        a = np.take_along_axis(cand, back[i][:, None, :], axis=1)[:, 0]
    end = a.reshape(B, K, S)[:, -1].argmin(axis=-1)
    path = np.empty((L, B * K, S), dtype=np.intp)  # path[i, block, e]: the state at step i given e at the block's end
    cur = np.broadcast_to(np.arange(S), (B * K, S))
    for i in reversed(range(L)):
        cur = np.take_along_axis(back[i], cur, axis=-1)
        path[i] = cur
    path = path.reshape(L, B, K, S)
    states = np.empty((B, K * L + 1), dtype=np.intp)
    states[:, K * L] = end
    rows = np.arange(B)
    e = end
    for k in reversed(range(K)):
        states[:, k * L:(k + 1) * L] = path[:, rows, k, e].T
        e = path[0, rows, k, e]
    return states[:, : N + 1]


# --- online: the same model decided with a fixed lag -----------------------------------------------------

_A, _B, _C = (np.array(v) for v in zip(*[(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]))
_FROM, _TO, _U, _V = 2 * _A + _B, 2 * _B + _C, _A ^ _B, _B ^ _C  # the 8 allowed pair-state transitions
_STATES = np.arange(4)  # pair state 2 s_{t-1} + s_t
_STATE_LABEL = _STATES & 1  # its s_t
_CHANGES = (_STATES >> 1) ^ _STATE_LABEL  # 1 where the labelling changes at t
_ENDS_FLIPPED = _STATE_LABEL.astype(np.float64)
_ORDER = np.array([[0, 1], [1, 0]])[_CHANGES]  # (4, 2): a cost axis read along a survivor that changes there
_ONE = np.zeros(1, dtype=np.intp)


class _LogMedians:
    """Running medians of ``rows`` streams of non-negative values in bounded memory: counts on a log grid
    (50 bins a decade from 1e-8 to 1e8, bin 0 for anything smaller, zero included), the median interpolated
    in its bin (within about 1 % of the exact median of all the values)."""

    __slots__ = ("counts",)
    LO, HI, PER = -8.0, 8.0, 50

    def __init__(self, rows: int) -> None:
        self.counts = np.zeros((rows, int((self.HI - self.LO) * self.PER) + 1), dtype=np.int32)  # 3.2 KB a stream

    def add(self, row: np.ndarray, values: np.ndarray) -> None:
        """Count ``values`` (NaN ignored) in the streams ``row`` (same shape)."""
        ok = np.isfinite(values)
        v = values[ok]
        if v.size:
            with np.errstate(divide="ignore"):
                k = np.floor((np.log10(v) - self.LO) * self.PER) + 1
            k = np.clip(np.where(v > 0, k, 0), 0, self.counts.shape[1] - 1).astype(np.intp)
            np.add.at(self.counts, (row[ok], k), 1)

    def medians(self, q: float = 0.5) -> np.ndarray:
        """``(rows,)``; NaN for a stream with no value yet (``q``: another quantile)."""
        cum = np.cumsum(self.counts, axis=1)
        half = q * cum[:, -1]
        k = (cum < half[:, None]).sum(1)  # the first bin holding the middle
        k = np.minimum(k, cum.shape[1] - 1)
        rows = np.arange(len(k))
        before = np.where(k > 0, cum[rows, np.maximum(k - 1, 0)], 0)
        share = (half - before) / np.maximum(self.counts[rows, k], 1)
        out = 10.0 ** (self.LO + (k - 1 + share) / self.PER)
        out[k == 0] = 0.0
        out[cum[:, -1] == 0] = np.nan
        return out


class OnlineRepair:
    """:func:`repair_inversions` of one track that comes frame by frame: each frame is given out ``delay``
    frames after it came, with its labels in the best labelling of the track so far; memory bounded by
    ``delay`` (what :class:`synsp.Stream` runs per track).

    ``push(frame, confidence, payload)`` takes one frame ``(J, D)`` (NaN: missing; an all-NaN frame for an
    absent one) and returns ``[(payload, flipped)]`` for the frame that left the window (none during the
    first ``delay`` frames), ``flipped`` ``(G,)`` True where the group's left/right labels are to be
    exchanged (groups: :attr:`groups`); ``finish()`` gives out the frames still waiting, decided with the
    track's end as offline.  :attr:`relabelled` counts the relabelled frames given out per group.

    How.  The costs, parameters and two passes are those of :func:`repair_inversions` (the whole body on the
    evidence of arms and legs, then each group on the body's labelling).  Each pass keeps the Viterbi scores
    of its four pair states and, for each, the labels of the waiting frames along its best labelling (its
    survivor: a fixed-lag Viterbi); the group pass runs once along each of the body pass's four survivors,
    so both passes look ``delay`` frames ahead.  A frame leaving the window takes its labels from the
    survivor of the best state at the latest frame.  The latest frame is not the track's end: ending there
    relabelled costs nothing (an inversion under way will end later), except where the best labelling that
    ends as observed relabels the track's first frames: then it costs ``edge_cost``, as the start does (the
    two are the same question, which side of one jump is wrong; offline answers it with the whole track).

    Equal to the offline repair of the whole track where the ``delay`` frames after each frame decide it
    as the whole track does: an inversion that ends within the delay, with its two jumps in view; also a
    longer one whose start alone is clear evidence (tested on simulated inversions and the demo's real
    MediaPipe track).  Where they do not, the online labels can differ: a long inversion can be left for a
    while before its end comes into view (its relabelling then costs more than the jump into it); an
    inversion at a track's start is repaired when the delay covers about twice its length, else left, and
    then some frames after it (fewer than its length) can be relabelled instead.  Each frame is decided
    once, by the best labelling of its own time, so consecutive frames may be decided by different ones.

    Units.  Offline, the costs are in units of each group's jitter over the whole track
    (:func:`group_scales`).  Online, the jitter and the person's size are running medians over the track so
    far (a log-histogram each, 3.2 KB; the jitter bounded as offline by its median under the best labels, in
    another), first taken over the first ``delay + 1`` frames (before
    the first frame is given out), then taken again every 10 frames: early frames, and a track whose noise
    changes, are decided on a somewhat different unit.  ``scales`` (``{group: value}``) fixes them.
    A track of fewer than 3 frames is not relabelled (as :func:`repair_poses`).  Scores are weighed as offline
    (:func:`score_weights`), their reference quantile a running one (a log-histogram: within about 3 %).
    Detections held over skipped frames are not merged as offline (:func:`held_frames`): there the two differ.

    Glitches (``glitch``, as offline): the warm-up's frames are checked all at once when it ends, on its units;
    after it, a frame's joints are checked when the next frame comes, so each frame's costs wait one frame inside
    the delay; with ``delay=0`` there is no next frame in time and no check.

    Prior: ``flip_cost`` as offline (None: by the frames' dimension).  In 2D its value needs the inversion's
    end in view more often: with 30 frames of delay it restored 89 % of the simulated 2D inversions against 92 %
    with a prior of 0.05 and relabelled 72 group-frames wrongly against 39, of about 24,000 (``python
    benchmarks/inversions.py --cases 2d --online 0.05,1``), but on real MediaPipe output judged by three
    BlazePose models' consensus (``python benchmarks/real_agreement.py --consensus 0.05,1 --online 30``) it
    exchanged 23 of 1,074 correct group-frames against 173 and undid 47 of 70 inversions against 45.  In 3D
    likewise (:data:`FLIP_COST_3D`, 0.5): on MediaPipe's world landmarks 0.05 exchanged 94 of 978 correct
    group-frames online (``--world --online 30``), 0.5 one; with :data:`TWIST_COST` 41 and none.
    """

    def __init__(self, skeleton: Any, delay: int = 30, *, switch_cost: float = 10.0, flip_cost: float | None = None,
                 move_cost: float = 0.002, body_move_cost: float = 0.005, sigma: float = 1.0, floor: float = 0.002,
                 cap: float = 20.0, min_confidence: float = 0.3, edge_cost: float | None = None,
                 whole_body: bool = True, scales: Any = None, glitch: float | None = GLITCH):
        import numbers
        from collections import deque

        if isinstance(delay, bool) or not isinstance(delay, numbers.Integral) or delay < 0:
            raise SynspInputError(f"delay is {delay!r}; expected a whole number of frames >= 0")
        _check_costs(dict(switch_cost=switch_cost, move_cost=move_cost, body_move_cost=body_move_cost, sigma=sigma,
                          floor=floor, cap=cap, flip_cost=flip_cost, edge_cost=edge_cost, glitch=glitch,
                          min_confidence=min_confidence))
        sk = skeleton if isinstance(skeleton, Skeleton) else get_skeleton(skeleton)
        table = decided_pairs(sk)  # a whole body: decided on its body pairs, as offline
        if not table:
            raise SynspInputError(f"skeleton {sk.name!r} has no left/right pairs: nothing to repair")
        body = BODY_JOINTS.get(sk.name)
        self._measured = slice(None) if body is None else list(body)  # the joints whose box is the person's size
        self.skeleton, self.groups, self.delay = sk, tuple(table), int(delay)
        G = len(self.groups)
        sets = [np.asarray(table[g]) for g in self.groups]
        self._left = np.concatenate([p[:, 0] for p in sets])
        self._right = np.concatenate([p[:, 1] for p in sets])
        self._sides = np.concatenate([self._left, self._right])
        bounds = np.cumsum([0] + [len(p) for p in sets])
        self._slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        self._starts = bounds[:-1]
        self._group_of = np.repeat(np.arange(G), np.diff(bounds))  # the group of each pair
        self._jrows = np.concatenate([self._group_of, self._group_of])  # of each joint of _sides
        self._body = (self.groups.index("arms"), self.groups.index("legs")) if (
            whole_body and "arms" in table and "legs" in table) else None
        # in 3D: the shoulders' and hips' pairs among all pairs, and the groups their twist cost falls on
        twist = _twist_pairs(sk, None, table) if TWIST_COST else None
        at = {tuple(p): i for i, p in enumerate(zip(self._left, self._right))}
        self._twist = None if twist is None else [at[twist[:2]], at[twist[2:]]]
        self._twisted = np.array([g in ("arms", "legs") for g in self.groups], dtype=np.float64)
        # None: by the first frame's dimension (default_flip_cost), as offline
        self.switch_cost, self.flip_cost, self.move_cost = switch_cost, flip_cost, move_cost
        self.body_move_cost, self.sigma, self.floor, self.cap = body_move_cost, sigma, floor, cap
        self.min_confidence = min_confidence
        self.edge_cost = 3 * switch_cost if edge_cost is None else edge_cost
        # a frame's glitches are known when the next frame comes: its costs wait for it (none with no delay)
        self.glitch = glitch if glitch and self.delay >= 1 else None
        self._raw: list = []  # the last two frames' pair positions as they came (for the glitch check)
        self._checked = False  # the warm-up's frames checked for glitches (all at once, on its units)
        self._fixed = None
        if scales is not None:
            missing = [g for g in self.groups if g not in scales]
            if missing:
                raise SynspInputError(f"scales lacks group(s) {missing}; expected a value for each of {self.groups}")
            _check_costs({f"scales[{g!r}]": scales[g] for g in self.groups})
            self._fixed = np.array([float(scales[g]) for g in self.groups])
        self._stats = _LogMedians(G + 1)  # each group's second differences (its jitter), the person's size
        self._free = _LogMedians(G)  # each group's second differences under the best labels (_label_free_acc)
        self._score_median = _LogMedians(1)  # the usable scores (score_weights)
        self._score_ref = 0.0  # their SCORE_QUANTILE quantile, taken with the units (0: none yet, raw scores)
        self._units = None  # the units from them, taken again every 10 frames
        self._recent: list = []  # the last two frames of the groups' usable joints (for the jitter)
        self._pending: deque = deque()  # per frame not given out: [payload, seen, X, W, delta, wmin]
        self.frames = 0  # frames pushed
        self._costed = 0  # frames whose costs went through the passes
        self.relabelled = np.zeros(G, dtype=np.int64)  # frames given out relabelled, per group
        K, cap_ = (4 if self._body else 1), self.delay + 2
        self._ab = np.zeros(4)  # the body pass: the scores of its pair states and their survivors' labels
        self._pb = np.zeros((4, cap_), dtype=np.int8)  # (state, waiting frame)
        self._ag = np.zeros((K, G, 4))  # the group pass along each body survivor
        self._pg = np.zeros((K, G, 4, cap_), dtype=np.int8)  # (body state, group, state, waiting frame)
        self._m = 0  # waiting frames in the survivors
        self._kg = (np.arange(K)[:, None, None], np.arange(G)[None, :, None])  # index grids

    # ---------------------------------------------------------------- public

    def push(self, frame: Any, confidence: Any = None, payload: Any = None) -> list[tuple[Any, np.ndarray]]:
        """Add one frame; returns ``[(payload, flipped)]`` of the frame that became final (if any)."""
        x = np.asarray(frame, dtype=np.float64)
        if self.flip_cost is None:
            self.flip_cost = default_flip_cost(None, x.shape[-1])
        finite = np.isfinite(x).all(-1)
        if confidence is None:
            usable, weight = finite, np.ones(len(x))
        else:
            c = np.nan_to_num(np.asarray(confidence, dtype=np.float64))
            usable = finite & (c >= self.min_confidence)
            body = usable[self._measured]  # the joints offline decides on (a whole body's body), as offline
            self._score_median.add(np.zeros(int(body.sum()), dtype=np.intp), c[self._measured][body])
            weight = np.maximum(c, 0.0)  # over the track's reference score when costed (_step), as offline
        xs = np.where(usable[:, None], x, np.nan)
        seen = np.logical_or.reduceat(finite[self._left] | finite[self._right], self._starts)
        side = xs[self._sides]  # (2 n, D): the left joints of every pair, then the right ones
        self._measure(xs, side)
        n = len(self._left)
        X = side.reshape(2, n, -1).astype(np.float32)  # (side, pair, D)
        W = weight[self._sides].reshape(2, n).astype(np.float32)
        delta = side[:n] - side[n:]
        wmin = np.minimum(weight[self._left], weight[self._right])
        if self.glitch:  # the frame before, not costed yet: leave out its glitches, as offline
            if self._checked and len(self._raw) == 2 and self._pending and self.frames > self._costed:
                bad = _glitches(np.stack(self._raw + [X]), self._glitch_units(), self.glitch)[1]
                before = self._pending[-1]
                before[2] = np.where(bad[..., None], np.float32(np.nan), before[2])
            self._raw = [self._raw[-1], X] if self._raw else [X]
        self._pending.append([payload, seen, X, W, delta, wmin])
        self.frames += 1
        if self.frames > self.delay:  # past the warm-up: every frame that came through the passes, the oldest out
            if self.glitch and not self._checked:
                self._check_warm_up()
            self._cost_waiting()
            return [self._decide()]
        return []

    def finish(self) -> list[tuple[Any, np.ndarray]]:
        """The frames still waiting, decided with the track's end (as offline); the repair is then empty."""
        out = []
        G = len(self.groups)
        if self.frames < 3:
            out = [(p[0], np.zeros(G, dtype=bool)) for p in self._pending]
        elif self._pending:
            if self.glitch and not self._checked:
                self._check_warm_up()
            self._cost_waiting(last=True)
            c = int((self._ab + self.edge_cost * _ENDS_FLIPPED).argmin()) if self._body else 0
            body = self._pb[c, : self._m] if self._body else np.zeros(self._m, dtype=np.int8)
            best = (self._ag[c] + self.edge_cost * _ENDS_FLIPPED).argmin(-1)  # (G,)
            states = self._pg[c, np.arange(G), best, : self._m]  # (G, m)
            for k, p in enumerate(self._pending):
                flipped = ((states[:, k] ^ body[k]) > 0) & p[1]
                self.relabelled += flipped
                out.append((p[0], flipped))
        self._pending.clear()
        self._m = 0
        return out

    @property
    def waiting(self) -> int:
        """Frames pushed and not given out yet (at most ``delay``: the memory a track holds)."""
        return len(self._pending)

    # ---------------------------------------------------------------- the work

    def _measure(self, xs: np.ndarray, side: np.ndarray) -> None:
        """The running medians: each group's second differences, the person's size."""
        if len(self._recent) == 2:
            a, b = self._recent
            acc = np.sqrt(((side - 2 * b + a) ** 2).sum(-1))
            self._stats.add(self._jrows, acc)
            if LABEL_FREE_BOUND is not None:
                n = len(self._left)
                self._free.add(self._jrows, _label_free_acc(a[:n], a[n:], b[:n], b[n:], side[:n], side[n:]))
        self._recent = [self._recent[-1], side] if self._recent else [side]
        body = xs[self._measured]
        lo, hi = np.fmin.reduce(body, axis=0), np.fmax.reduce(body, axis=0)  # NaN only where no joint is usable
        size = np.max(hi - lo)
        if np.isfinite(size):
            self._stats.add(np.array([len(self.groups)]), np.array([size]))

    def _scales(self) -> np.ndarray:
        """Each group's unit: fixed, or from the running medians (taken again every 10 frames, with the reference
        score of :func:`score_weights`)."""
        if self._units is None or self.frames % 10 == 0:
            self._score_ref = float(np.nan_to_num(self._score_median.medians(SCORE_QUANTILE)[0]))
            self._units = self._fixed if self._fixed is not None else self._units_now()
        return self._units

    def _units_now(self) -> np.ndarray:
        """Each group's unit from the running medians as they are now."""
        med = self._stats.medians()
        size = med[-1] if np.isfinite(med[-1]) and med[-1] > 0 else 1.0
        jitter = np.nan_to_num(med[:-1])
        if LABEL_FREE_BOUND is not None:
            free = self._free.medians()
            jitter = np.where(np.isfinite(free), np.minimum(jitter, LABEL_FREE_BOUND * free), jitter)
        return np.maximum(self.sigma * jitter, self.floor * size)

    def _glitch_units(self) -> np.ndarray:
        """Each pair's unit for the glitch check: fixed, or from the running medians as they are now (the costs'
        units, taken every 10 frames, made the stream's check exchange more than twice as many correct labels on
        the real tracks of ``benchmarks/real_agreement.py --consensus 1 --online 30``: 57 against 24)."""
        return (self._fixed if self._fixed is not None else self._units_now())[self._group_of]

    def _check_warm_up(self) -> None:
        """The glitch check of the warm-up's frames, all at once on the units of the whole warm-up (frame by frame, a
        running median over the first few frames put the Pose2Sim views' stream at 50 inversions undone and 32
        correct labels exchanged, against 60 / 24 with the whole track's units); the latest frame waits for the
        next one, as after the warm-up."""
        X = np.stack([p[2] for p in self._pending])  # as they came: nothing is left out before this check
        bad = _glitches(X, self._glitch_units(), self.glitch)
        for k in range(1, len(self._pending) - 1):
            item = self._pending[k]
            item[2] = np.where(bad[k][..., None], np.float32(np.nan), item[2])
        self._checked = True

    def _cost_waiting(self, last: bool = False) -> None:
        """Put the frames that came since the last call through both passes (the warm-up's all at once); with
        the glitch check, the latest frame waits for the next one (``last``: the track ended, it goes too)."""
        waiting = self.frames - self._costed - (1 if self.glitch and not last else 0)
        if waiting <= 0:
            return
        per_pair = self._scales()[self._group_of]
        first = len(self._pending) - (self.frames - self._costed)  # the oldest frame not costed yet
        for k in range(first, first + waiting):
            self._step(self._pending[k], per_pair)
            self._costed += 1

    def _step(self, item: list, per_pair: np.ndarray) -> None:
        """One frame through the body pass and the group pass along each body survivor."""
        _, _, X, W, delta, wmin = item
        ref = score_divisor(self._score_ref)  # score_weights, on the scores so far
        W, wmin = np.minimum(W / ref, 1.0).astype(np.float32), np.minimum(wmin / ref, 1.0)
        ok = np.isfinite(X).all(-1)
        sep = _rho(delta, per_pair, self.cap) * wmin
        seps = np.array([2 * sep[s].sum(-1) for s in self._slices])
        flip = self.flip_cost + self.move_cost * seps  # relabelling the frame, per group
        if self._twist is not None and X.shape[-1] == 3:  # the arms or the legs alone against the other, as offline
            pts = X[:, self._twist].transpose(1, 0, 2).reshape(1, 4, -1).astype(np.float64)  # the four joints
            weights = W[:, self._twist].T.reshape(1, 4)
            flip = flip + self._twisted * _twist_costs(pts, weights, (0, 1, 2, 3))[0]
        if self._costed == 0:
            self._F = np.full(X.shape, np.nan, dtype=np.float32)
            self._age = np.zeros(ok.shape, dtype=np.int64)
            self._W1 = np.zeros(W.shape, dtype=np.float32)
            self._X1 = self._X2 = np.full(X.shape, np.nan, dtype=np.float32)
            self._ok1 = self._ok2 = np.zeros(ok.shape, dtype=bool)
            self._Wr1 = self._Wr2 = np.zeros(W.shape, dtype=np.float32)
            if self._body:
                a, b = self._body
                self._ab = np.array([0.0, np.inf, np.inf, len(self._body) * self.edge_cost + (
                    self.flip_cost + self.body_move_cost * (seps[a] + seps[b]))])
            self._ag[:] = np.array([0.0, np.inf, np.inf, 0.0])
            self._ag[..., 3] = self.edge_cost + flip
            self._pb[:, 0] = _STATE_LABEL
            self._pg[..., 0] = _STATE_LABEL
            self._sb = _STATE_LABEL.astype(bool)  # each survivor relabels the track's first frame
            self._sg = np.broadcast_to(_STATE_LABEL.astype(bool), self._ag.shape).copy()
            self._m = 1
        else:
            terms = _continuity_terms(X[None], ok[None], W[None], self._X1[None], self._ok1[None], self._X2[None],
                                      self._ok2[None], self._Wr2[None], self._F[None], self._age[None],
                                      self._W1[None], np.array([self._costed >= 2]), per_pair, self.cap)[0]
            rows = np.stack([terms[..., s].sum(-1) for s in self._slices]).astype(np.float64)  # (G, 2, 2)
            m = self._m
            if self._body:
                a, b = self._body
                fb = self.flip_cost + self.body_move_cost * (seps[a] + seps[b])
                cand = self._ab[:, None] + self._transitions(rows[a] + rows[b], fb)
                back = cand.argmin(0)
                self._ab = cand[back, _STATES]
                self._pb = self._pb[back]
                self._sb = self._sb[back]
                self._pb[:, m] = _STATE_LABEL
                # the group costs along each body survivor: its switches at t-1 and t XORed in
                g = self._kg[1][..., None]
                rel = rows[g, _ORDER[back][:, None, :, None], _ORDER[:, None, None, :]]  # (K, G, 2, 2)
            else:
                back = _ONE
                rel = rows[None]
            cand = self._ag[back][..., :, None] + self._transitions(rel, flip)
            src = cand.argmin(-2)  # (K, G, 4): the best previous state of each state
            k, g = self._kg
            self._ag = cand[k, g, src, _STATES]
            self._pg = self._pg[back][k, g, src]
            self._sg = self._sg[back][k, g, src]
            self._pg[..., m] = _STATE_LABEL
            self._m = m + 1
        # the continuity state: the last usable position of each joint, its age and weight; frames t-1, t-2
        seen_before = np.isfinite(self._F[..., 0])
        self._F = np.where(ok[..., None], X, self._F)
        self._age = np.where(ok, 0, np.where(seen_before, self._age + 1, 0))
        self._W1 = np.where(ok, W, self._W1)
        self._X2, self._ok2, self._Wr2 = self._X1, self._ok1, self._Wr1
        self._X1, self._ok1, self._Wr1 = X, ok, W

    def _transitions(self, cost: np.ndarray, flip: Any) -> np.ndarray:
        """``(..., 4, 4)`` transition costs of one frame from its ``(..., 2, 2)`` continuity costs and the cost of
        relabelling it (as :func:`_pair_state_transitions`)."""
        trans = np.full(cost.shape[:-2] + (4, 4), np.inf)
        trans[..., _FROM, _TO] = cost[..., _U, _V] + self.switch_cost * _V + np.multiply.outer(flip, _C)
        return trans

    def _mirror(self, scores: np.ndarray, start: np.ndarray, groups: int = 1) -> np.ndarray:
        """``(..., 4)``: ``edge_cost`` (``groups`` times: the body pass's is both groups') on the states that end
        relabelled where the best labelling that ends as observed relabels the track's start (``start``), else
        0."""
        kept = np.where(scores[..., 0] <= scores[..., 2], 0, 2)  # the best state with s_t = 0 (ties: the lower)
        mirrored = np.take_along_axis(start, kept[..., None], axis=-1)  # (..., 1)
        return np.where(mirrored, groups * self.edge_cost * _ENDS_FLIPPED, 0.0)

    def _decide(self) -> tuple[Any, np.ndarray]:
        """Give out the oldest waiting frame with its labels in the best labelling of the track so far, as the
        offline repair of the frames that came would give them (its end: the latest frame)."""
        c = int((self._ab + self._mirror(self._ab, self._sb, len(self._body))).argmin()) if self._body else 0
        body = self._pb[c, 0] if self._body else 0
        best = (self._ag[c] + self._mirror(self._ag[c], self._sg[c])).argmin(-1)
        states = self._pg[c, self._kg[1][0, :, 0], best, 0]  # (G,) relative to the body
        self._pb[:, :-1] = self._pb[:, 1:]
        self._pg[..., :-1] = self._pg[..., 1:]
        self._m -= 1
        payload, seen = self._pending.popleft()[:2]
        flipped = ((states ^ body) > 0) & seen
        self.relabelled += flipped
        return payload, flipped
