"""The fronts over the refiners: numpy in, numpy out, any method by name, and whole pose files.

* :func:`refine` (``synsp.refine``): joint positions ``(T, J, D)`` / ``(T, P, J, D)`` with a shipped
  model, a checkpoint, a filter or any refiner (:func:`choose_model` when none is named), repaired
  first (:func:`repair_skeleton`: which skeleton's left/right pairs, :func:`synsp.repair.repair_poses`);
* :func:`refine_smpl` (``synsp.refine_smpl``): SMPL ``poses`` and root translation, through
  :mod:`synsp.rotations`;
* :func:`refine_pose_file` / :func:`repair_pose_file`: every track of a
  :class:`synsp.io.tracks.PoseFile` (:func:`refine_tracks`, the per-person loop), positions or, by
  :func:`refine_rotation_file`, rotations.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from typing import Any

import numpy as np

from .calibration import check_cameras
from .cuts import find_cuts, find_rotation_cuts, parts, whole_frames
from .filters import FILTERS
from .filters.base import DEFAULT_FPS
from .identity import repair_track_identities
from .io.smpl import KNOWN_JOINTS as SMPL_JOINT_COUNTS
from .io.tracks import PoseFile, Track, regroup, ungroup
from .metrics import angular_acceleration
from .missing import missing_from_confidence, runs_mask, time_runs
from .refiners import (NATIVE_SLOWDOWN, VIEW_MEAN, FunctionRefiner, NetworkRefiner, Refiner, fit_refiner, get_refiner,
                       min_frames_of, shipped_models, shipped_path, subset_indices, what_it_takes)
from .repair import limb_asymmetry, relabel, repair_poses
from .rotations import (RotationNetwork, check_time_first, looks_like_axis_angles, refine_rotations, rotation_filter,
                        translation_filter)
from .skeletons import BUILTIN_SKELETONS, NOT_BODIES, SKELETONS, Skeleton, get_skeleton, skeleton_for, skeleton_name
from .timeseries import second_difference
from .validation import (
    ABSURD_COORDINATE,
    SynspInputError,
    SynspOutputError,
    absurd_joints,
    check_fps,
    check_max_gap,
    check_poses,
    check_radians,
    check_refined,
    check_refined_shape,
    float_dtype,
    to_numpy,
)
from .view_labels import agree_camera_poses, agree_view_poses

__all__ = ["layout_doubts", "refine", "refine_smpl", "refine_pose_file", "refine_rotation_file", "repair_pose_file",
           "default_model",
           "choose_model", "repair_skeleton", "joint_order_sample", "check_skeleton_fits", "file_fps", "FALLBACK_FILTER", "UNIVERSAL_MODEL",
           "guess_joint_order", "order_misfit",
           "VIEWS_MODEL", "UNIVERSAL_CAUSAL_MODEL", "LOW_RATE_MODEL", "LOW_RATE_FPS", "views_relabelled"]

#: the default learned method for one person's body, any joint set, 2D or 3D (synsp.models.universal)
UNIVERSAL_MODEL = "synsp-universal-w16"
#: several synchronised 3D views of one body: refined together by this model, then fused (:mod:`synsp.view_fusion`)
VIEWS_MODEL = "synsp-universal-w16-views"
#: the default for one body's input below :data:`LOW_RATE_FPS`: the universal model on 8-frame windows, run at the
#: input's own rate (:data:`synsp.refiners.NATIVE_SLOWDOWN`: such frames are motion played faster, which it learned);
#: a spline to 30 fps turned the jitter smooth, and the 16-frame default, also at the input's rate, removes less
#: spiky jitter there (docs/results.md, *Frame rates below the network's*)
LOW_RATE_MODEL = "synsp-universal-w8"
#: input below this rate (fps: below the network's 30 by more than the 1 % it takes as its own) is refined by
#: :data:`LOW_RATE_MODEL` by default (chosen on the validation split: ahead of the 16-frame default run on the same
#: frames at 12, 15 and 20 fps, level at 24; at 25 fps below Kalman-RTS on every row where the 16-frame default was
#: not, spiky jitter 8.70 against 8.92 mm, Kalman-RTS 8.76; at 28 fps a toss-up, docs/results.md); a stream takes it
#: too, so the two agree
LOW_RATE_FPS = 29.7
#: the universal model's zero-delay counterpart (online use without delay: the MMPose drop-in's online "synsp")
UNIVERSAL_CAUSAL_MODEL = "synsp-universal-w8-causal"
#: the universal model attends across joints (cost ~ J^2 per window): beyond this many, the filter
UNIVERSAL_MAX_JOINTS = 200
#: the method for data no shipped model covers (any skeleton, any units; see :func:`choose_model`)
FALLBACK_FILTER = "butterworth"


def default_model(num_joints: int, dims: int, skeleton: str | None = None, views: int = 1) -> str:
    """The shipped model for a joint count and coordinate count (and optional skeleton name)."""
    names = [skeleton] if skeleton else skeleton_for(num_joints)
    candidates = []
    for name, stem in shipped_models().items():
        card = json.loads(stem.with_suffix(".json").read_text())
        if card["dims"] != dims or card.get("causal", False):
            continue
        # a model for the data's own skeleton first, then one for a skeleton the data contains
        inside = [n for n in names if n in SKELETONS and card["skeleton"] in SKELETONS
                  and subset_indices(n, card["skeleton"]) is not None]
        if card["skeleton"] in names or inside:
            candidates.append((card["skeleton"] not in names, (card["views"] > 1) != (views > 1),
                               card["views"] != views,
                               card["architecture"] != "synsp", name))
    if not candidates:
        raise SynspInputError(
            f"no shipped model for {num_joints} joints in {dims}D"
            + (f" on skeleton {skeleton!r}" if skeleton else "")
            + "; pass model= a filter name ('one-euro', 'savgol', 'kalman-rts', ...) or a checkpoint "
            "trained with `synsp train`"
        )
    return min(candidates)[-1]


def choose_model(num_joints: int, dims: int, skeleton: str | None = None, views: int = 1,
                 fps: float | None = None) -> tuple[str, str | None]:
    """The method :func:`refine` and :func:`refine_pose_file` use when none is named: ``(name, note)``.

    For one person or view of a body in 2D or 3D (any joint set: Human3.6M-17, COCO-17, MediaPipe-33, a
    22-marker Pose2Sim TRC, a custom rig; not :data:`NOT_BODIES`, at most :data:`UNIVERSAL_MAX_JOINTS`
    joints): :data:`UNIVERSAL_MODEL`, ``note`` None.  On a whole-body skeleton (COCO-WholeBody's 133, OpenPose's
    137 with face and hands) it refines the body (and feet), and the face and hands follow them
    (:data:`synsp.skeletons.BODY_JOINTS`,
    applied by :func:`synsp.refiners.fit_refiner`).  It is the default because it does no harm: on the
    test split it adds 0.23 mm to clean h36m17 motion (1.27 at 3x speed) where the dedicated
    ``synsp-h36m17-3d-w8`` adds 2.45 (9.94), 0.04 px to clean COCO-17 keypoints (the dedicated 2D model
    0.40), and it is the better of the two on most held-out error families; the dedicated models stay
    ahead on the noise presets (large slow drift: 0.90-0.93x the input's MPJPE against 0.96-0.99x) and
    on quantized 3D input, and are chosen by name (docs/results.md, "Robustness").
    Several synchronised 3D views of such a body in one world frame (``views > 1``): ``VIEWS_MODEL +
    "+view-mean"``, the universal model trained on views (each view's refinement reads the others) and then the
    views fused (:mod:`synsp.view_fusion`; on the test split it adds 0.1 mm to clean views where the 4-view
    network, available by name, adds 2.1 and is behind on overshoot); without that model, ``UNIVERSAL_MODEL +
    "+view-mean"``, every view refined alone.  2D views (each in its own camera's image) are refined alone, not
    fused.  One body's input at ``fps`` below :data:`LOW_RATE_FPS`: :data:`LOW_RATE_MODEL`.
    One point (a ball, a centroid): :data:`FALLBACK_FILTER`, with a note.
    A hand or a face alone (:data:`NOT_BODIES`): the dedicated shipped model for the data
    (:func:`default_model`, ``note`` None); else :data:`FALLBACK_FILTER` with a one-line ``note`` saying
    why: no skeleton is refused.  Butterworth because it needs nothing but the frame rate: a zero-phase
    low-pass at 6 Hz, independent of the units and of the joints (so are the Kalman filters, whose two noise
    levels act through their ratio; One-Euro's speed threshold is in the data's units).  On the measured
    comparison (docs/results.md, test split, three simulated estimators) its MPJPE is within 1.4 mm of the best
    filter, Kalman-RTS (52.7 / 93.7 / 81.4 mm against 51.7 / 93.3 / 80.0), at a tenth of its time, below its input
    on all three.
    """
    if num_joints < 2 and dims in (2, 3):  # one point has no shape to read, and a network leaves it as it is
        return FALLBACK_FILTER, f"one point per frame: refined with the {FALLBACK_FILTER} filter (a network " \
                                "refines the joints of a body relative to each other)"
    skeleton = skeleton_name(skeleton)
    names = [skeleton] if skeleton else skeleton_for(num_joints)  # unnamed: the registered joint sets of that size
    body = not (names and all(n in NOT_BODIES for n in names))
    if dims in (2, 3) and body and num_joints <= UNIVERSAL_MAX_JOINTS and UNIVERSAL_MODEL in shipped_models():
        # several 3D views of one person in one world frame: refined together by the model trained on views
        # (without it, each alone), then fused (synsp.view_fusion); 2D views are each in their own camera's
        # image: refined alone, not averaged
        if views > 1 and dims == 3:
            return (VIEWS_MODEL if VIEWS_MODEL in shipped_models() else UNIVERSAL_MODEL) + VIEW_MEAN, None
        if fps is not None and fps < LOW_RATE_FPS and LOW_RATE_MODEL in shipped_models():
            return LOW_RATE_MODEL, None
        return UNIVERSAL_MODEL, None
    try:
        return default_model(num_joints, dims, skeleton, views=views), None
    except SynspInputError:
        what = f"{num_joints} joints in {dims}D" + (f" on skeleton {skeleton!r}" if skeleton else "")
        return FALLBACK_FILTER, f"no shipped model for {what}: refined with the {FALLBACK_FILTER} filter"


def guessed_pairs(pose_file) -> bool:
    """Whether ``pose_file``'s skeleton is the one its reader made of its points' names (a TRC's markers, a C3D's
    labels, a BVH's joints; :func:`synsp.skeletons.skeleton_of_names`), a joint set of its own whose left/right
    pairs are only guessed from the names: they tell an inversion from a cut, and relabel nothing (the repair was
    measured on the built-in skeletons; on clean BVH takes of a 57-joint rig guessed pairs relabelled the eyes in
    a fast head turn).  ``--skeleton`` / ``read_input(..., skeleton=)`` with the same name turns the repair on."""
    name = pose_file.skeleton
    return name is not None and name not in BUILTIN_SKELETONS and name == pose_file.meta.get("named_skeleton")


#: how much better than every other order of their count one joint order must fit unnamed points to be taken for
#: them (:func:`guess_joint_order`; :func:`order_misfit`).  On the test split's clips (``/tmp`` script, 2026-12-07:
#: h36m17 / coco17 and j14 / crowdpose14, 2D through 3 cameras and 3D, clean, spiky 1 %, mediapipe-like in 2D,
#: 3dpw-spin-like in 3D) the wrong order's misfit exceeds the right one's by 0.32 or more on whole clips (1,496), by
#: 0.14 or more on 100-frame pieces and by -0.16 or more on 10-frame ones: at 0.2, none of 17,688 pieces of 10-100
#: frames is taken in the wrong order, 34 are unsure
ORDER_MARGIN = 0.2
#: the misfit above which points look like no body in any order, which then says nothing (the count's default stays):
#: the right order's is at most -0.22 on those whole clips (-0.43 for 17 joints); 19 of the pieces look like no body;
#: 17 unrelated random points' lies between -0.01 and 0.62 in either order (ten draws)
BODY_MISFIT = 0.0
#: the share of the joints that must be seen (finite in at least half of the frames) for the points to choose their
#: order: with a body's lower half out of the picture, CrowdPose-order 2D pieces of 4-30 frames fitted j14 better in
#: 6-10 % of cases (a review's ``/tmp`` script, 2026-12-07); such points keep the count's default (none for 14)
ORDER_SEEN = 0.8


def order_misfit(poses: Any, skeleton: Any) -> float | None:
    """How badly points ``(T, J, D)`` fit ``skeleton``'s joint order; lower fits better.

    The log of the mean length of its bones over the mean distance between any two joints (each length the median
    over the frames: the bones of the right order join neighbouring joints, those of a wrong order often joints far
    apart), plus the left/right asymmetry of its limbs (:func:`synsp.repair.limb_asymmetry`).  Missing (NaN),
    infinite and absurd coordinates are left out; None where no bone is ever seen."""
    sk = get_skeleton(skeleton)
    x = np.asarray(poses, dtype=np.float64)
    x = np.where((np.isfinite(x).all(-1) & ~absurd_joints(x))[..., None], x, np.nan)
    child = np.array([j for j, p in enumerate(sk.parents) if p >= 0], dtype=np.int64)
    a, b = np.triu_indices(sk.num_joints, 1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a bone never seen: an all-NaN median
        bone = np.nanmean(np.nanmedian(np.linalg.norm(x[:, child] - x[:, np.asarray(sk.parents)[child]], axis=-1), 0))
        pair = np.nanmean(np.nanmedian(np.linalg.norm(x[:, a] - x[:, b], axis=-1), 0))
        ratio = bone / pair
    if not (np.isfinite(ratio) and ratio > 0):
        return None
    return float(np.log(ratio) + (limb_asymmetry(x, sk) or 0.0))


def guess_joint_order(poses: Any, names: Any) -> dict[str, Any]:
    """Which of the joint orders ``names`` (the built-in skeletons of one joint count) unnamed points ``(T, J, D)``
    are in, by :func:`order_misfit`.  Returns ``misfit`` (``{name: value}``, the orders it could judge), ``order``
    (the one whose misfit is at most :data:`BODY_MISFIT` and :data:`ORDER_MARGIN` below every other's, else None)
    and ``unsure`` (no order is that clear, but one looks like a body: their pairs are not known; False where the
    points look like no body in any order, unrelated points, about which the orders say nothing, or fewer than
    :data:`ORDER_SEEN` of the joints are seen: a partial body, whose missing bones could favour another order)."""
    finite = np.isfinite(np.asarray(poses, dtype=np.float64)).all(-1)  # (T, J)
    present = finite[finite.any(axis=-1)] if finite.ndim == 2 else finite[:0]  # the frames the body is in
    if not len(present) or (present.mean(axis=0) >= 0.5).mean() < ORDER_SEEN:
        return dict(misfit={}, order=None, unsure=False)
    misfit = {n: m for n in names if (m := order_misfit(poses, n)) is not None}
    ranked = sorted((m, n) for n, m in misfit.items())
    if not ranked or ranked[0][0] > BODY_MISFIT:
        return dict(misfit=misfit, order=None, unsure=False)
    clear = len(ranked) == 1 or ranked[1][0] - ranked[0][0] >= ORDER_MARGIN
    return dict(misfit=misfit, order=ranked[0][1] if clear else None, unsure=not clear)


def repair_skeleton(num_joints: int, dims: int, skeleton: Any = None, refiner: Any = None,
                    poses: Any = None) -> Skeleton | None:
    """The skeleton whose left/right pairs a refinement's repair uses, or None (no repair).

    ``skeleton`` when given (a registered name or a :class:`Skeleton`); else the refiner's own
    skeleton when it has ``num_joints`` joints; else the one registered skeleton with that joint
    count.  A count with several orders (17 joints: ``h36m17`` and ``coco17``; 14: ``j14`` and ``crowdpose14``)
    is decided by ``poses`` ``(T, [P,] J, D)`` where given (:func:`guess_joint_order`): the order that fits them
    clearly best; where two fit about equally, none, with a :class:`UserWarning` asking for ``--skeleton``
    (a repair with another order's pairs exchanges joints that are no pair: a wrist with a shoulder).  Without
    ``poses``, or points that look like no body in any order, the order of the shipped model for ``dims``
    (17 joints, 3D: ``h36m17``, 2D: ``coco17``; 14 joints: none).  Unknown joint sets are not repaired.
    """
    if isinstance(skeleton, Skeleton):
        return skeleton if skeleton.num_joints == num_joints else None
    if skeleton is not None:
        sk = SKELETONS.get(skeleton_name(skeleton))
        return sk if sk is not None and sk.num_joints == num_joints else None
    own = getattr(refiner, "skeleton", None)
    if isinstance(own, Skeleton) and own.num_joints == num_joints:
        return own
    names = skeleton_for(num_joints)
    by_count = names[0] if len(names) == 1 else None
    if len(names) > 1:
        try:
            card = json.loads(shipped_models()[default_model(num_joints, dims)].with_suffix(".json").read_text())
            by_count = card["skeleton"] if card["skeleton"] in names else None
        except (SynspInputError, KeyError, OSError, ValueError):
            by_count = None
    if poses is not None and len(names) > 1:  # several orders of this count: which one do the points fit?
        x = np.asarray(poses)
        x = x.reshape(-1, *x.shape[-2:])
        guess = guess_joint_order(x[:: max(1, len(x) // 3000)], names)
        if guess["order"] is not None:
            return SKELETONS[guess["order"]]
        if guess["unsure"]:
            close = ", ".join(sorted(guess["misfit"], key=guess["misfit"].get))
            warnings.warn(f"{num_joints} points per pose name no skeleton and fit more than one joint order ({close}) "
                          "about as well: their left/right labels are not repaired (another order's pairs would "
                          "exchange joints that are no pair); name their order with --skeleton NAME (skeleton=NAME "
                          "in Python)", UserWarning, stacklevel=3)
            return None
    return SKELETONS[by_count] if by_count is not None else None


def layout_doubts(x: np.ndarray, skeleton: Any = None, scored: bool = False, rotations: bool = True) -> list[str]:
    """What in an array's layout suggests it is not ``(T, [P,] J, D)`` joint positions, one sentence each (empty
    when nothing does): SMPL axis-angles ``(T, 24, 3)`` (smoothed as points, a rotation near a half turn wraps,
    100+ degrees off), a score in the last channel beside pixels (``[x, y, score]`` refined as 3D: the scores
    rewritten and low-score points not filled; not told apart from coordinates normalised to [0, 1], which any
    small 3D array could be), or frames and joints exchanged (fewer frames than joints, a joint count of no known
    skeleton; ``scored``: scores were given beside the points, so the last channel is no score; ``rotations``: look
    for axis-angles, which noisy SMPL-24 joint positions in metres can look like too: 44 of 50 test clips with
    3dpw-spin-like errors)."""
    doubts = []
    if rotations and looks_like_axis_angles(x):
        doubts.append("these (T, 24, 3) poses may be SMPL axis-angle rotations (vectors at most 2 pi long, no rigid "
                      "bones; noisy joint positions in metres can look so too); they are refined as joint positions: "
                      "give rotations to synsp.refine_smpl (or an SMPL .npz with a body_pose key to synsp refine)")
    if x.shape[-1] == 3 and x.size and not scored:
        last, plane = x[..., 2], x[..., :2]
        seen = np.isfinite(last)
        if seen.sum() > 10 and np.isfinite(plane).any():
            spread = float(np.nanmax(plane) - np.nanmin(plane))
            in_unit = bool((last[seen] >= 0).all() and (last[seen] <= 1).all() and np.ptp(last[seen]) > 0)
            if in_unit and spread > 10 and spread > 50 * np.ptp(last[seen]):
                doubts.append("the third coordinate of every point lies in [0, 1] like a detector's score, and the "
                              "first two span 50 times more, like pixels; if these are [x, y, score] rows, give "
                              "the (T, J, 2) points and the scores as confidence (an .npz with keypoints and scores "
                              "keys for synsp refine): as 3D points, the scores are refined and low-score points are "
                              "not filled")
    J, T = x.shape[-2], x.shape[0]
    if T < J and not skeleton_for(J) and skeleton is None:
        doubts.append(f"{T} frames of {J} joints, and no built-in skeleton has {J} joints; if the array is (joints, "
                      "frames, coordinates), move its frames first (numpy.swapaxes(x, 0, 1))")
    return doubts


def joint_order_sample(pose_file) -> np.ndarray | None:
    """The points a pose file's joint order is judged on (:func:`repair_skeleton`'s ``poses``): every track's
    first 3,000 frames, or None without tracks."""
    return np.concatenate([t.keypoints[:3000] for t in pose_file.tracks]) if pose_file.tracks else None


def refiner_of(model: Any) -> Refiner:
    """The refiner ``model`` names (a filter, shipped model or checkpoint path, see
    :func:`synsp.refiners.get_refiner`), or ``model`` itself when it already is one: a filter object
    with its own settings (``OneEuroFilter(min_cutoff=1.0)``, ``get_filter("butterworth", cutoff=4)``)
    or a loaded :class:`~synsp.refiners.NetworkRefiner` (loaded once, used for many files).  Any other
    function of poses ``fn(poses, fps=None, confidence=None)`` is put behind the refiner contract
    (:class:`~synsp.refiners.FunctionRefiner`)."""
    if isinstance(model, (str, os.PathLike)):
        return get_refiner(model)
    if isinstance(model, Refiner):
        return model
    if callable(model):
        return FunctionRefiner(model)
    raise SynspInputError(f"model is a {type(model).__name__}; expected a method name, a checkpoint path or a refiner "
                          "object (a filter from synsp.filters, a NetworkRefiner)")


def refine(
    poses: Any,
    model: str | os.PathLike | None = None,
    fps: float | None = None,
    confidence: Any = None,
    skeleton: str | None = None,
    return_filled: bool = False,
    progress: bool = False,
    views: bool = False,
    repair: bool = True,
    visibility: Any = None,
    cameras: Any = None,
    cuts: bool = True,
    max_gap: int | None = None,
):
    """Refine ``poses`` ``(T, J, D)`` or ``(T, P, J, D)`` in the user's units; returns a numpy array of the
    same shape and floating dtype (float32 in, float32 out; float64 for integer input), and with
    ``return_filled`` the ``(T, J)`` / ``(T, P, J)`` bool mask of the joints it filled: ``(refined, filled)``.

    The P axis holds persons, each refined alone by the rules ``synsp refine`` applies to a file's tracks
    (:func:`refine_pose_file`, which the columns go through as tracks): a person is present in the frames where
    their column has a finite joint, and absent elsewhere, where they come back NaN, as they came (before they
    enter, after they leave, in a gap; a column nobody fills stays NaN); an absence of up to ``max_gap`` frames
    inside their timeline is filled for the refinement only, a longer one splits it into parts refined alone
    (default: half a second at ``fps``, 15 frames without one); a person or part shorter than the refiner needs
    comes back as it came (below).  A ``max_gap`` given also limits what is filled for one joint, of ``(T, J, D)``
    poses too: where a joint is missing (NaN, or below the confidence threshold) for more than ``max_gap`` frames
    in a row (of ``views``: in every view), it comes back NaN and not marked filled (it was filled for the
    refinement only); without ``max_gap`` every missing joint comes back filled.  Unless ``views=True``: then it
    holds P synchronised views of one person in one world frame (cameras with
    known extrinsics, triangulated or lifted per view): by default the views are
    refined together by the universal model trained on views and then fused
    (``synsp-universal-w16-views+view-mean``, :mod:`synsp.view_fusion`; every view gets the fused poses); ``model=
    "synsp-universal-w16+view-mean"`` refines each view alone before fusing, ``model=
    "synsp-h36m17-3d-w8-p4"`` refines them together with the 4-view network.  With the repair, several 3D views'
    left/right labels are made to agree before fusing (:mod:`synsp.view_labels`); 2D views (each camera's keypoints, ``(T, C, J, 2)``)
    are refined alone, and with ``cameras`` (their calibration, :mod:`synsp.calibration`;
    :func:`synsp.io.cameras.read_cameras` reads Pose2Sim / anipose ``.toml``) their labels are made to agree first
    (:func:`synsp.view_labels.agree_cameras`, three cameras or more).

    ``model``: a shipped model name, a checkpoint path or a filter name
    (``"one-euro"``, ``"savgol"``, ``"gaussian"``, ``"butterworth"``,
    ``"kalman-rts"``, ...; with parameters ``"one-euro:min_cutoff=1,beta=0.01"``, an unknown one raising
    :class:`SynspInputError` naming the valid ones), a run folder (its ``best`` checkpoint), or a refiner object (``OneEuroFilter(min_cutoff=1.0)``, see
    :func:`refiner_of`); by default the shipped model for the joint count,
    D and ``skeleton``, else the Butterworth filter (:func:`choose_model`: any skeleton is refined).
    ``confidence`` ``(T, J)``/``(T, P, J)``: joints below
    0.3 or NaN are treated as missing and filled; with ``return_filled`` the
    mask of filled joints is returned too.  A joint below the threshold in every frame of a person
    but with coordinates in all of them (a joint out of the image or hidden throughout, which
    MediaPipe and MMPose still predict) is used as observed, as ``synsp refine`` does for files.
    ``visibility`` ``(T, J)``/``(T, P, J)`` instead: MediaPipe's visibility (the likelihood that a landmark is
    not occluded, given with a predicted position either way), which the left/right repair weighs and nothing
    fills: every finite landmark's position is refined, as ``synsp refine`` does with a MediaPipe file (on real
    video closer to the other BlazePose models than with it as ``confidence``: docs/results.md, *MediaPipe's
    visibility is not a confidence*).  ``fps``: 1 to 10,000 Hz (None: the model's rate, 30 for
    the filters that need one); below a third of a universal network's rate (10 fps) it barely refines the jitter of
    each joint, and a :class:`UserWarning` says to name a filter.

    NaN, inf and absurd coordinates (magnitude above :data:`synsp.validation.ABSURD_COORDINATE`), and joints
    absurdly far from their own body in a frame (:func:`synsp.validation.stray_joints`), are
    missing joints and come back filled; input with no other value raises.  The result is checked
    before it is returned (same shape, finite wherever the input was finite or filled): a refiner that
    produced NaN or inf raises :class:`synsp.validation.SynspOutputError` instead.

    ``repair`` (default on): before refining, left/right inversions of arms, legs and head are undone
    over the whole track (:func:`synsp.repair.repair_inversions`, each person or view alone) and, for
    persons (not ``views``), identity swaps between them, by the rules of a file's tracks
    (:func:`synsp.identity.repair_track_identities`: a column's first detection is a new person, and only the
    persons seen in the last 10 frames compete for a detection, so someone who enters after an absence keeps their
    column): the result is then in the repaired labels and person order (column ``k`` follows the person first
    seen in column ``k``).  It needs the skeleton (``skeleton``,
    the model's, or the one registered for the joint count; see :func:`repair_skeleton`).

    ``cuts`` (default on): where a person's poses jump to another shot, place or person at one frame (an edited
    video, two recordings joined, a tracker that took someone else; :func:`synsp.cuts.find_cuts`), each side is
    refined alone, so that no smoother spreads the jump over its neighbours (a side too short to refine, such as a
    false detection far away for a frame or two, is left as it is: :func:`synsp.cuts.whole_frames`).

    Too short: input, a person or a part (between absences, between cuts) shorter than the refiner needs
    (:func:`synsp.refiners.min_frames_of`: 4 frames for the networks, which pad a shorter part into one window, a
    filter's window otherwise, 16 for Butterworth) comes back as it came, unrefined and unfilled, as a file's track
    part does, with one :class:`UserWarning` naming the parts, the refiner's minimum and what to do.
    """
    x = check_poses(poses, "poses", ndims=(3, 4), allow_nan=True)
    fps = check_fps(fps)
    max_gap = check_max_gap(max_gap)
    for doubt in layout_doubts(x, skeleton, scored=confidence is not None):
        warnings.warn(f"synsp.refine: {doubt}", UserWarning, stacklevel=2)
    cuts, repair, views = _flag(cuts, "cuts"), _flag(repair, "repair"), _flag(views, "views")
    check_skeleton_fits(skeleton, x.shape[-2])
    if views and x.ndim != 4:
        raise SynspInputError(f"views=True needs (T, P, J, D) poses with P views; got shape {x.shape}")
    if cameras is not None and not (views and x.shape[-1] == 2):
        raise SynspInputError("cameras= calibrates 2D views: give views=True and (T, C, J, 2) keypoints, one camera "
                              "per view (3D views in one world frame need no cameras)")
    if cameras is not None:  # checked whether used or not (repair=False does not compare the cameras' labels)
        check_cameras(cameras, x.shape[1])
    if model is None:
        model, _ = choose_model(x.shape[-2], x.shape[-1], skeleton, views=x.shape[1] if views else 1, fps=fps)
        model = shipped_path(model)  # the shipped model, by its checkpoint's path
    method = refiner_of(model)
    refiner = fit_refiner(method, x.shape[-2], skeleton)
    if isinstance(refiner, RotationNetwork):  # it would read the positions as axis-angles
        raise SynspInputError(
            f"{refiner.name} refines joint rotations (axis-angles), and refine() takes joint positions; refine "
            "rotations with synsp.refine_smpl(poses, trans) (SMPL) or synsp.rotations.refine_rotations, or a pose "
            "file of rotations with synsp refine")
    if x.ndim == 4 and x.shape[1] > 1 and not views and getattr(refiner, "views_together", False):
        raise SynspInputError(
            f"{refiner.name} refines the P axis of (T, P, J, D) as synchronised views of one person, together; "
            f"without views=True it holds persons, which it would mix. Pass views=True if the {x.shape[1]} "
            "columns are views of one person, or leave model= out (each person refined alone)")
    _check_model_dims(method, model, x, skeleton)
    _warn_below_native_rate(refiner, fps)
    if visibility is not None:
        if confidence is not None:
            raise SynspInputError("give confidence= (low scores are missing and filled) or visibility= (MediaPipe's: "
                                  "the repair weighs it, every position is refined), not both")
        visibility = check_scores(visibility, x.shape[:-1], "visibility")
    confidence = _trust_never_confident_joints(x, confidence, refiner.min_confidence, views=views)
    least = min_frames_of(refiner)
    if x.ndim == 4 and not views and np.isfinite(x).any():  # persons: each on their own timeline, as a file's tracks
        # (a joint far from its own body is missing there, judged per track after the identity repair)
        out, filled, short = _refine_persons(x, refiner, fps, confidence, visibility, skeleton, progress, repair, cuts,
                                             max_gap)
        _warn_short(short, least, refiner, persons=True)
        if max_gap is not None:
            out, filled = _unfilled_beyond(out, filled, max_gap)
        out = out.astype(float_dtype(poses), copy=False)
        return (out, filled) if return_filled else out
    given = x  # a stray joint that is not filled (too short, never seen, beyond max_gap) comes back as given
    stray = absurd_joints(x, stray=True, use=_judged(x, confidence, refiner))  # far from its own body: missing
    if stray.any():
        x = np.where(stray[..., None], np.nan, x)
    if len(x) < least and np.isfinite(x).any():  # too short to refine: as it came (the rule of a file's track parts)
        _warn_short([(None, 0, len(x))], least, refiner, persons=False)
        out = given.astype(float_dtype(poses), copy=False)
        return (out, np.zeros(x.shape[:-1], dtype=bool)) if return_filled else out
    # the poses' skeleton: its pairs are the repair's, and tell an inversion from a cut
    # (the points choose among a count's orders for the repair; without it, the cuts take the count's own, as a
    # stream's do, which sees no points before its first output: its output equals this one's with repair=False)
    sk = repair_skeleton(x.shape[-2], x.shape[-1], skeleton, refiner, poses=x if repair else None) \
        if repair or cuts else None
    found = None  # the cuts, found by the repair in the repaired track, which it repairs again on each side alone
    if repair:  # (views: found after their labels agree, below, and each view repaired whole)
        finder = _cut_finder(refiner, fps, sk, visibility is None) if cuts and not views else None
        x, weights, report = repair_poses(x, sk, confidence if visibility is None else visibility,
                                          persons=x.ndim == 4 and not views, cuts=finder)
        found = report.get("cuts")
        if views:
            x, weights, _ = _agree_views(x, sk, weights, cameras)
        confidence = confidence if visibility is not None else weights
    try:
        out, filled, gone, starts = _refine_standing_in(  # a joint never given in the track: as a file keeps it
            lambda poses, conf: _run(refiner, poses, fps, conf, progress, cuts, sk, views, found, fill_all=True),
            x, confidence, refiner.min_confidence, sk if sk is not None else skeleton)
    except SynspInputError as exc:  # no valid joint: the refiner's own words name a person or view, not what to do
        judged = None if isinstance(exc, SynspOutputError) else _judged(x, confidence, refiner)
        if judged is None or judged.any():
            raise
        raise SynspInputError(_nothing_valid(x, refiner.min_confidence)) from exc
    if len(gone):
        many = len(gone) > 1
        warnings.warn(f"synsp.refine: joint{'s' * many} {', '.join(map(str, gone))} {_never_given(many)}",
                      UserWarning, stacklevel=2)
    bounds = [0, *starts, len(x)]  # a part between cuts too short to refine is left as it is: said
    _warn_short([(None, a, b - a) for a, b in zip(bounds[:-1], bounds[1:]) if b - a < least], least, refiner, False)
    check_refined(out, x, np.isfinite(x).all(-1) | filled)
    if max_gap is not None:
        out, filled = _unfilled_beyond(out, filled, max_gap, views and getattr(refiner, "views_together", False))
    out = _as_given_where_stray(out, given, stray)
    out = out.astype(float_dtype(poses), copy=False)  # float32 in, float32 out
    return (out, filled) if return_filled else out


def _nothing_valid(x: np.ndarray, threshold: float) -> str:
    """What :func:`refine` says of poses ``x`` in which no joint is valid in any frame (every coordinate NaN, or
    every finite joint scoring below ``threshold``), and what to do."""
    whose = "" if x.ndim == 3 else " of any person or view"
    if not np.isfinite(x).any():
        return (f"poses: every coordinate is NaN (shape {x.shape}), so no joint{whose} is seen in any frame; nothing "
                "to refine. Give the joints' finite coordinates: NaN marks a missing joint, filled from the frames "
                "where it is seen")
    return (f"poses: no joint{whose} is valid in any frame (each joint is NaN in some frame and scores below "
            f"{threshold:g} wherever it is finite); nothing to refine. Give finite coordinates and scores on a 0-1 "
            f"scale: NaN or a score below {threshold:g} marks a missing joint, filled from the frames where it is "
            "seen")


def _check_model_dims(method: Refiner, model: Any, x: np.ndarray, skeleton: Any) -> None:
    """Refuse a network named by ``model`` (``method``, its refiner) that takes other points than ``x``'s (a 2D
    model on 3D points, or the reverse), naming it, in the words of :func:`synsp.batch.check_method_fits`."""
    dims, _ = what_it_takes(method, x.shape[-2], skeleton)
    D = x.shape[-1]
    if dims is None or D in dims:
        return
    named = str(model) if isinstance(model, (str, os.PathLike)) else getattr(method, "name", type(method).__name__)
    raise SynspInputError(
        f"model={named!r} refines {' or '.join(f'{d}D' for d in dims)} points, and poses holds {D}D points (D = {D}, "
        f"shape {x.shape}); name a {D}D model or a filter (synsp models lists them), or leave model= out for the "
        "default")


def _warn_below_native_rate(refiner: Refiner, fps: float | None) -> None:
    """One :class:`UserWarning` when ``refiner`` is a universal network (or holds one) and ``fps`` is below the
    rates it refines frame for frame (:data:`synsp.refiners.NATIVE_SLOWDOWN` times below its own): such input is
    brought to its rate through a spline, which makes the jitter of each joint smooth motion, and the network keeps
    it (test split, h36m17 3D at 8 fps, MPJPE mm: spiky 1 % 16.06 in, 16.02 out, Kalman-RTS 14.59; overshoot 2 %
    22.31, 22.30, 21.04; the whole body's shake it still takes out, rigid-shake 3 % 20.50, 16.07, 18.09).  The
    dedicated networks refine there (13.97 / 19.96 / 18.64 mm): no warning."""
    network = getattr(refiner, "inner", refiner)
    network = getattr(network, "network", network)
    card = getattr(network, "card", None)
    if fps is None or not isinstance(network, NetworkRefiner) or card.architecture != "universal":
        return
    lowest = card.fps / NATIVE_SLOWDOWN
    if fps >= lowest or network.runs_at(fps):
        return
    warnings.warn(f"synsp.refine: at {fps:g} fps {refiner.name} barely refines the jitter of each joint: it refines "
                  f"{lowest:g} to {card.fps:g} fps input frame for frame, and slower input is brought to {card.fps:g} "
                  "fps through a spline, which makes that jitter smooth motion, kept; name a filter, e.g. "
                  "model='kalman-rts'", UserWarning, stacklevel=3)


def _refine_standing_in(refine_with: Any, x: np.ndarray, confidence: Any, threshold: float,
                        skeleton: Any) -> tuple:
    """``refine_with(poses, confidence) -> (refined, filled, *more)`` on poses ``x`` ``(T, J, D)`` whose joints never
    valid (NaN, or below ``threshold`` in every frame, while another joint is valid) are stood in for
    (:func:`_stand_in_for_unseen_joints`) and come back as given, not filled.  Returns ``(refined, filled, the
    indices of those joints, *more)``: the caller says so."""
    conf = _scores_fitting(confidence, x.shape[:-1])
    valid = np.isfinite(x).all(-1) if x.ndim == 3 and (confidence is None or conf is not None) else None
    if valid is not None and conf is not None:
        with np.errstate(invalid="ignore"):
            valid &= conf >= threshold
    if valid is None or not valid.any() or valid.any(axis=0).all():
        out, filled, *more = refine_with(x, confidence)
        return (out, filled, np.zeros(0, dtype=np.int64), *more)
    stood, conf, keep = _stand_in_for_unseen_joints(x, conf, valid, np.arange(len(x)), skeleton)
    out, filled, *more = refine_with(stood, conf)
    out[:, keep], filled[:, keep] = x[:, keep], False
    return (out, filled, np.flatnonzero(keep), *more)


def _scores_fitting(scores: Any, shape: tuple) -> np.ndarray | None:
    """``scores`` as an array when it is one of ``shape`` (the poses' without D); None when there are none or they do
    not fit (the refiner names that mistake)."""
    if scores is None:
        return None
    try:
        arr = to_numpy(scores, name="confidence")
    except SynspInputError:
        return None
    return arr if arr.shape == tuple(shape) else None


def _as_given_where_stray(out: np.ndarray, given: np.ndarray, stray: np.ndarray) -> np.ndarray:
    """``out`` with the joints of ``given`` far from their body (``stray``, refined as missing) that came back NaN
    (unfilled: never seen in the track, beyond ``max_gap``) given back as they came, as a file's are."""
    back = stray & np.isnan(out).any(-1)
    if not back.any():
        return out
    out = out.astype(np.float64)  # a copy, whatever the refiner returned
    out[back] = given[back]
    return out


def _filled_beyond(filled: np.ndarray, max_gap: int, views: bool = False) -> np.ndarray | None:
    """The entries of ``filled`` (a fill mask, ``(T, ...)``) in runs of more than ``max_gap`` frames in which a
    joint was filled (``views``, views refined together: in every view), or None where there is none."""
    lost = filled.all(axis=1, keepdims=True) if views else filled
    T = lost.shape[0]
    col, a, b = time_runs(lost.reshape(T, -1))
    far = b - a > max_gap
    if not far.any():
        return None
    beyond = runs_mask(T, lost[0].size, col[far], a[far], b[far])
    return np.broadcast_to(beyond.reshape(lost.shape), filled.shape) & filled


def _unfilled_beyond(out: np.ndarray, filled: np.ndarray, max_gap: int,
                     views: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``out`` (refined, float) and ``filled`` (its mask, ``out.shape[:-1]``) with every run of more than ``max_gap``
    frames in which a joint was filled (``views``, views refined together: in every view, else what one view
    lost is filled from the others) given back NaN and not filled, as an absence longer than ``max_gap`` is
    (:func:`refine`)."""
    beyond = _filled_beyond(filled, max_gap, views)
    if beyond is None:
        return out, filled
    if not out.flags.writeable or out.dtype.kind != "f":  # a refiner object's own output
        out = out.astype(np.float64)
    out[beyond] = np.nan
    return out, filled & ~beyond


def _as_written_beyond(out: np.ndarray, filled: np.ndarray, written: np.ndarray, max_gap: int,
                       only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A file's track part: ``out`` and ``filled`` (:func:`refine_tracks`) with every joint filled for more than
    ``max_gap`` frames in a row given back as ``written`` (NaN as NaN, a low-score joint's coordinates, beside its
    score) and not filled, as a whole absence longer than ``max_gap`` splits the track (``--max-gap``).  ``only``:
    the entries that may be given back (their runs counted alone); the other filled ones keep their fill."""
    beyond = _filled_beyond(filled if only is None else filled & only, max_gap)
    if beyond is None:
        return out, filled
    out = out.copy() if out.dtype.kind == "f" else out.astype(np.float64)
    out[beyond] = written[beyond]
    return out, filled & ~beyond


def _flag(value: Any, name: str) -> bool:
    """``value`` as a bool when it is one (numpy's too), else :class:`SynspInputError` naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise SynspInputError(f"{name} is {value!r}; expected True or False")
    return bool(value)


def check_scores(scores: Any, shape: tuple, name: str) -> np.ndarray:
    """``scores`` as a float array of ``shape`` (the poses' without D), or :class:`SynspInputError` naming it."""
    arr = to_numpy(scores, name=name)
    if arr.shape != tuple(shape):
        raise SynspInputError(f"{name} has shape {arr.shape}; expected {tuple(shape)} like the poses without D")
    return arr


def views_relabelled(x: np.ndarray, refiner: Any, skeleton: str | None = None, confidence: Any = None,
                     visibility: Any = None, cameras: Any = None) -> dict[str, Any]:
    """What the left/right repair of ``refine(x, model=refiner, skeleton=skeleton, views=True, ...)`` relabels in the
    views ``x`` ``(T, P, J, D)``, found by its steps without refining: ``skeleton`` (the repair's
    :class:`~synsp.skeletons.Skeleton`, None: nothing repaired), ``repaired`` ``(P,)`` (the group-frames, a limb
    group in a frame, each view's own repair relabels: :func:`synsp.repair.repair_poses`) and ``agreed`` ``(P,)``
    (each view's group-frames then relabelled to agree with the other views, as in :func:`refine`)."""
    x = np.asarray(x, dtype=np.float64)
    none = np.zeros(x.shape[1], dtype=int)
    refiner = fit_refiner(refiner, x.shape[-2], skeleton)
    confidence = _trust_never_confident_joints(x, confidence, refiner.min_confidence, views=True)
    stray = absurd_joints(x, stray=True, use=_judged(x, confidence, refiner))  # far from its own body: missing
    x = np.where(stray[..., None], np.nan, x) if stray.any() else x
    sk = repair_skeleton(x.shape[-2], x.shape[-1], skeleton, refiner, poses=x)
    if sk is None:
        return dict(skeleton=None, repaired=none, agreed=none)
    x, weights, report = repair_poses(x, sk, confidence if visibility is None else visibility)
    frames = report.get("relabelled")
    repaired = none if frames is None else np.asarray(frames).reshape(x.shape[1], -1).sum(-1).astype(int)
    _, _, flipped = _agree_views(x, sk, weights, cameras)
    return dict(skeleton=sk, repaired=repaired, agreed=flipped.sum(axis=(0, 2)).astype(int) if flipped.size else none)


def _agree_views(x: np.ndarray, sk: Skeleton, weights: Any, cameras: Any) -> tuple:
    """Views' labels made to agree after each view's own repair: calibrated 2D views (``cameras``) as the other
    cameras see them (:func:`synsp.view_labels.agree_camera_poses`), 3D views in one world frame as the others have
    them (:func:`synsp.view_labels.agree_view_poses`): ``(x, weights, flipped)``."""
    if cameras is not None:
        return agree_camera_poses(x, sk, weights, cameras)
    return agree_view_poses(x, sk, weights)


def _trust_never_confident_joints(x: np.ndarray, confidence: Any, threshold: float, views: bool = False) -> Any:
    """``confidence`` with every joint that is below ``threshold`` (or NaN) in all frames of a person or view
    of ``x`` ``(T, J, D)`` / ``(T, P, J, D)`` but finite in all of them set to 1 (used as observed; else it could
    only be filled from nothing); ``confidence`` itself when there is none or it does not fit (the refiner names
    that mistake).  ``views``: only a joint no view is ever confident about (one view's is the others' to give:
    a camera that never sees the head, its guess 0.5 m off, pulled the fused head 131 mm off)."""
    conf = _scores_fitting(confidence, x.shape[:-1])
    if conf is None or not len(x):
        return confidence
    with np.errstate(invalid="ignore"):
        never = ~(np.nan_to_num(conf, nan=-1.0) >= threshold).any(axis=0)  # (J,) or (P, J)
    finite = np.isfinite(x).all(axis=(0, -1))
    if views and never.ndim == 2:  # (P, J): a joint no view is ever sure of, in each view that always gives it
        never = np.broadcast_to(never.all(axis=0, keepdims=True), never.shape)
    trusted = never & finite
    if not trusted.any():
        return confidence
    conf = conf.astype(np.float64, copy=True)
    conf[:, trusted] = 1.0
    return conf


def check_skeleton_fits(skeleton: Any, num_joints: int) -> None:
    """A named skeleton (or :class:`Skeleton`) must have the data's joint count: one that does not would be
    ignored, or choose a model for other joints (``--skeleton smpl24`` on 17 joints)."""
    if skeleton is None:
        return
    sk = get_skeleton(skeleton)
    if sk.num_joints != num_joints:
        raise SynspInputError(f"skeleton {sk.name!r} has {sk.num_joints} joints; the data has {num_joints} per "
                              f"pose; name a skeleton with {num_joints} joints "
                              f"({', '.join(skeleton_for(num_joints)) or 'none registered'}) or leave it out")


def _cut_finder(refiner: Refiner, fps: float | None, skeleton: Skeleton | None, scores: bool = True):
    """The cut detector :func:`_run` uses, for one person's (or view's) poses ``(T, J, D)`` and confidences
    (``(T, J)`` or None; a joint below the refiner's ``min_confidence`` is not judged; ``scores=False``: the
    repair's weights are a visibility, not given to the refiner, and every finite joint is judged): what the
    repair is given so that it repairs each side of a cut alone (:func:`synsp.repair.repair_poses`)."""
    def find(x: np.ndarray, confidence: Any = None) -> np.ndarray:
        return find_cuts(x, fps, _judged(x, confidence if scores else None, refiner), skeleton=skeleton)
    return find


def _judged(x: np.ndarray, confidence: Any, refiner: Refiner) -> np.ndarray | None:
    """The joints of ``x`` the cut detector may judge: finite, and at least the refiner's ``min_confidence``
    (NaN is not); None when ``confidence`` does not fit ``x`` (the refiner names that mistake)."""
    valid = np.isfinite(x).all(-1)
    if confidence is None:
        return valid
    conf = (confidence if isinstance(confidence, np.ndarray) and confidence.dtype.kind == "f"
            else to_numpy(confidence, name="confidence"))  # a complex, ragged or string array: named here
    if conf.shape != valid.shape:
        return None
    with np.errstate(invalid="ignore"):
        valid &= conf >= refiner.min_confidence  # NaN: not valid (no float copy of an hour of scores)
    return valid


def _run(refiner: Refiner, x: np.ndarray, fps: float | None, confidence: Any, progress: bool, cuts: bool = True,
         skeleton: Skeleton | None = None, views: bool = False,
         found: list | None = None, fill_all: bool = False) -> tuple[np.ndarray, np.ndarray, list]:
    """Any refiner on ``x``: the refined poses, the mask of joints it filled (NaN or low confidence) and the
    frames where a part after a cut begins (:mod:`synsp.cuts`; with ``cuts``, each part is refined alone: every
    person of ``(T, P, J, D)`` at their own cuts, ``views`` at the cuts of any view).  ``skeleton``: the poses'
    (its left/right pairs, so that an inversion is not taken for a cut; a whole body's body joints judge).
    ``found``: the cuts already found (by the repair, :func:`_cut_finder`), one list per person or view (one for
    ``(T, J, D)``); None: found here.  A part between cuts too short to refine is left as it is where its frames
    are ones a cut is judged by (:func:`synsp.cuts.whole_frames`); ``fill_all`` (:func:`refine`'s promise that every
    NaN joint comes back filled, unlike a track's absent frames): and no joint in it is NaN."""
    spans: list = []  # per person (or the one timeline): the parts between cuts
    valid = _judged(x, confidence, refiner) if cuts else None
    cuts = cuts and valid is not None
    if cuts:
        least = min_frames_of(refiner)
        columns = 1 if x.ndim == 3 else x.shape[1]
        if found is None or len(found) != columns:
            found = [find_cuts(x if x.ndim == 3 else x[:, p], fps, valid if x.ndim == 3 else valid[:, p],
                               skeleton=skeleton) for p in range(columns)]
        # a part too short to refine is cut off (left as it is) when its frames are ones a cut is judged by
        finite = np.isfinite(x).all(-1) if fill_all else None
        if x.ndim == 3:
            spans = [parts(len(x), found[0], least, whole_frames(valid, skeleton, finite))]
        elif views:  # one timeline, cut where any view jumps
            spans = [parts(len(x), np.concatenate([np.asarray(f, dtype=np.int64) for f in found]), least,
                           np.all([whole_frames(valid[:, v], skeleton, None if finite is None else finite[:, v])
                                   for v in range(x.shape[1])], axis=0))]
        else:
            spans = [parts(len(x), found[p], least, whole_frames(valid[:, p], skeleton,
                                                                 None if finite is None else finite[:, p]))
                     for p in range(x.shape[1])]
    if all(len(s) == 1 for s in spans):
        return (*_refined(refiner, x, fps, confidence, progress), [])
    if x.ndim == 3 or views:
        return (*_in_parts(refiner, x, fps, confidence, progress, spans[0], fill_all), [a for a, _ in spans[0][1:]])
    # persons, each refined alone at their own cuts
    pieces = [_in_parts(refiner, x[:, p], fps, None if confidence is None else confidence[:, p], progress, s, fill_all)
              for p, s in enumerate(spans)]
    return (np.stack([r[0] for r in pieces], axis=1), np.stack([r[1] for r in pieces], axis=1),
            sorted({a for s in spans for a, _ in s[1:]}))


def _refined(refiner: Refiner, x: np.ndarray, fps: float | None, confidence: Any,
             progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """``refiner`` on ``x``: the refined poses and the mask of the joints it filled, the poses checked to be an array
    of ``x``'s shape (a model function returning a list is named as such, before anything indexes it)."""
    out, filled = refiner(x, fps=fps, confidence=confidence, progress=progress, return_filled=True)
    check_refined_shape(out, x)
    return out, filled


def _in_parts(refiner: Refiner, x: np.ndarray, fps: float | None, confidence: Any, progress: bool,
              spans: list, fill_all: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``refiner`` on each ``(a, b)`` of ``spans`` of ``x`` alone: the refined poses and filled joints, joined.
    A part shorter than the refiner needs (:func:`synsp.cuts.parts` keeps one only in frames a cut is judged by,
    :func:`synsp.cuts.whole_frames`) is left as it is, its missing joints unfilled.  The frames with no coordinate
    at the end of a part before a cut (nobody detected until the jump) are not refined with the person's frames,
    which they would pull towards whatever fills them (a track ends at its last detection): they stay as they are
    (NaN), or with ``fill_all`` get the values the refinement of the whole part gives them."""
    from tqdm.auto import tqdm  # loaded when used (the import time of synsp)

    least = min_frames_of(refiner)
    bar = tqdm(total=len(x), desc=f"refining {len(spans)} parts", unit="frame", disable=not progress)
    runs = []

    def run(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        # a joint given before a cut and never after it (or the reverse): stood in for, and left as given in this
        # part, as a joint never given in the whole track is (refine, refine_pose_file)
        out, filled, gone = _refine_standing_in(
            lambda poses, conf: _refined(refiner, poses, fps, conf, False),
            x[a:b], None if confidence is None else confidence[a:b], refiner.min_confidence, None)
        if len(gone):
            warnings.warn(f"synsp.refine: joint(s) {', '.join(map(str, gone))} missing in every frame of the part "
                          f"{a}-{b - 1} between cuts: given back there as given", UserWarning, stacklevel=4)
        return out, filled

    for k, (a, b) in enumerate(spans):  # one progress bar over the parts, none per part
        seen = np.flatnonzero(np.isfinite(x[a:b]).reshape(b - a, -1).any(1))
        end = a + int(seen[-1]) + 1 if k < len(spans) - 1 and len(seen) else b  # before a cut: to its last frame seen
        if b - a < least:
            runs.append((x[a:b].copy(), np.zeros(x[a:b].shape[:-1], dtype=bool)))
        elif end == b or end - a < least:
            runs.append(run(a, b))
        else:
            ref, filled = run(a, end)
            rest = run(a, b) if fill_all else (x[a:b].copy(), np.zeros(x[a:b].shape[:-1], dtype=bool))
            runs.append((np.concatenate([ref, rest[0][end - a:]]), np.concatenate([filled, rest[1][end - a:]])))
        bar.update(b - a)
    bar.close()
    return np.concatenate([r[0] for r in runs]), np.concatenate([r[1] for r in runs])


def _refine_persons(x: np.ndarray, refiner: Refiner, fps: float | None, confidence: Any, visibility: Any,
                    skeleton: Any, progress: bool, repair: bool, cuts: bool,
                    max_gap: int | None) -> tuple[np.ndarray, np.ndarray, list]:
    """:func:`refine` of persons ``(T, P, J, D)``: each column a track (present in the frames where it has a finite
    joint, as ``synsp refine`` reads an array file), refined by :func:`refine_pose_file`'s rules (identity swaps,
    absences, parts, cuts) with the person order of the identity repair: ``(refined, filled, short)``, absent
    frames NaN, ``short`` the ``(person, first frame, frames)`` of the parts left as they came for being too
    short."""
    scores = visibility
    if confidence is not None:  # named as the refiner names it (shape, inf); its scale warning comes per part
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            missing_from_confidence(confidence, x.shape, refiner.min_confidence)
        scores = to_numpy(confidence, name="confidence")
    tracks = []
    for q in range(x.shape[1]):
        present = np.flatnonzero(np.isfinite(x[:, q]).any(axis=(-1, -2)))
        if len(present):
            tracks.append(Track(q, present, x[present, q], None if scores is None else scores[present, q]))
    pose_file = PoseFile(tracks=tracks, num_frames=len(x), format="array", skeleton=skeleton, source="poses",
                         meta={"scores": "visibility"} if visibility is not None else {})
    collect: dict = {"filled": {}, "short": [], "unseen": []}
    refined, summary = _positions(pose_file, None, fps, max_gap, progress, repair, refine=True, cuts=cuts,
                                  refiner=refiner, persons=True, collect=collect)
    _warn_unseen_of_persons(collect["unseen"])
    moved = int(summary.get("reassigned") or 0)
    if moved:  # the columns are persons now, not the tracker's ids: said, as a file's summary says it
        warnings.warn(f"synsp.refine: {moved} person-frame{'s' * (moved != 1)} moved to another column: where the "
                      "columns exchanged people (a tracker's id switch, crossing people), each column now follows "
                      "the person first seen in it; repair=False keeps every detection in its column",
                      UserWarning, stacklevel=3)
    out = np.full(x.shape, np.nan)
    filled = np.zeros(x.shape[:-1], dtype=bool)
    for t in refined.tracks:  # person p (first seen in column p) into column p
        out[t.frames, t.track_id] = t.keypoints
        if t.track_id in collect["filled"]:
            filled[t.frames, t.track_id] = collect["filled"][t.track_id]
    return out, filled, collect["short"]


def _never_given(many: bool) -> str:
    """The words of the warning for one or more joints (``many``) never given in a track: what was done instead."""
    return (f"{'are' if many else 'is'} missing (NaN, or below the confidence threshold) in every frame: the others "
            f"were refined with a stand-in (the nearest joint) for {'them' if many else 'it'}, and "
            f"{'they come' if many else 'it comes'} back as given (NaN where not a finite number)")


def _warn_unseen_of_persons(unseen: list) -> None:
    """One :class:`UserWarning` for the joints of :func:`refine`'s persons never valid in a whole track or track
    part (``(person, first frame, last frame, whole track, joints)``), which came back as given, as :func:`refine`
    says of ``(T, J, D)`` poses; none when none."""
    if not unseen:
        return
    where = ["person " + str(p) + ("" if whole else f", frames {f}-{g}") for p, f, g, whole, _ in unseen]
    if len(unseen) == 1:
        joints = unseen[0][-1]
        many = len(joints) > 1
        warnings.warn(f"synsp.refine: {where[0]}: joint{'s' * many} {', '.join(map(str, joints))} "
                      f"{_never_given(many)}", UserWarning, stacklevel=4)
        return
    items = [f"{w}: joint{'s' * (len(j) > 1)} {', '.join(map(str, j))}" for w, (*_, j) in zip(where, unseen)]
    listed = "; ".join(items[:5]) + (f"; {len(items) - 5} more" if len(items) > 5 else "")
    warnings.warn(f"synsp.refine: joints missing (NaN, or below the confidence threshold) in every frame of their "
                  f"person (or of the frames named): {listed}; the others were refined with a stand-in (the nearest "
                  "joint) for them, and they come back as given (NaN where not a finite number)", UserWarning,
                  stacklevel=4)


def _warn_short(short: list, least: int, refiner: Refiner, persons: bool) -> None:
    """One :class:`UserWarning` line for the parts ``short`` (``(person, first frame, frames)``) that
    :func:`refine` gave back as they came, shorter than the ``least`` frames ``refiner`` needs; none when none."""
    if not short:
        return
    where = "; ".join((f"person {p}: " if persons else "") + f"{n} frame{'s' * (n != 1)} from frame {f}"
                      for p, f, n in short[:3]) + (f"; {len(short) - 3} more" if len(short) > 3 else "")
    fewer = " or name a method that needs fewer (model='kalman-rts': 3 frames)" if least > 3 else ""
    warnings.warn(f"synsp.refine: {len(short)} part{'s' * (len(short) != 1)} shorter than the {least} frames "
                  f"{refiner.name} needs came back as {'they' if len(short) != 1 else 'it'} came, unrefined ({where}); "
                  f"give more frames{fewer}", UserWarning, stacklevel=3)


def _mean_accel(x: np.ndarray) -> float:
    """Mean |second difference| per joint of ``(T, J, D)`` (NaN-aware; NaN when T < 3)."""
    if len(x) < 3:
        return float("nan")
    a = _accel_values(x)
    return float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")


def _accel_values(x: np.ndarray) -> np.ndarray:
    """|second difference| ``(T - 2, J)`` of ``(T, J, D)`` positions; NaN where a frame involved is NaN."""
    return np.linalg.norm(second_difference(x), axis=-1)


def _valid_mean(accel, x: np.ndarray, valid: np.ndarray, block: int = 16, frames: int = 16_384) -> float:
    """The mean of ``accel`` (``(T, J, D)`` -> ``(T - 2, J)`` values from three frames each, NaN where
    undefined) over the joints ``valid`` ``(T, J)`` marks, a few joints and frames at a time (overlapping by
    two frames): a whole body over an hour would otherwise hold masked copies of the whole track (NaN when no
    value is finite)."""
    total, count = 0.0, 0
    for j in range(0, x.shape[1], block):
        for t in range(0, max(1, len(x) - 2), frames):
            span = slice(t, t + frames + 2)
            a = np.asarray(accel(np.where(valid[span, j:j + block, None], x[span, j:j + block], np.nan)))
            ok = np.isfinite(a)
            total += float(a[ok].sum())
            count += int(ok.sum())
    return total / count if count else float("nan")


def refine_smpl(poses: Any, trans: Any = None, model: Any = None,
                fps: float | None = 30, confidence: Any = None, cuts: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Refine SMPL parameters: ``poses`` ``(T, 72)`` (or any ``(T, 3K)``) or ``(T, 24, 3)``
    axis-angle, and the root translation ``trans`` ``(T, 3)`` or None.

    The rotations go through :func:`synsp.rotations.refine_rotations` (``model``: what
    :func:`synsp.rotations.rotation_filter` gives for it), the translation as a 3D position (a
    ``(T, 1, 3)`` array) through the same filter, or :data:`synsp.rotations.DEFAULT_ROTATION_FILTER`
    beside a network (:func:`synsp.rotations.translation_filter`).  Returns ``(poses, trans)`` in the
    input shapes and floating dtypes (``trans`` None when None was given).  Errors as
    :func:`synsp.rotations.refine_rotations` (all-NaN or complex input, a bad ``fps``); refused too: 3 x 3 matrices
    or 6D vectors flattened to ``(T, 9K)`` / ``(T, 6K)`` (SMPL-family K), and angles in degrees
    (:func:`synsp.validation.check_radians`).  ``confidence`` ``(T, K)``: a joint below the model's
    ``min_confidence`` is missing (filled; no cut is found at it), the scores weigh a Kalman filter's
    measurements.  ``cuts``: for 22 or 24
    joints, where the body's joints (SMPL's forward kinematics) jump at one frame to another shot or person,
    each side is refined alone (:mod:`synsp.cuts`; a part too short to refine is left as it is).
    """
    p = to_numpy(poses, name="poses")
    fps = check_fps(fps)
    cuts = _flag(cuts, "cuts")
    if p.ndim == 2 and p.shape[1] % 3 == 0 and p.shape[1] > 0:
        C = p.shape[1]
        for per, what, how in ((9, "3 x 3 rotation matrices", "matrix_to_axis_angle"),
                               (6, "6D rotations", "rot6d_to_axis_angle")):
            if C % per == 0 and C // per in SMPL_JOINT_COUNTS and C // 3 not in SMPL_JOINT_COUNTS:
                raise SynspInputError(f"poses has shape {p.shape}: {C // per} joints' {what} flattened, not {C // 3} "
                                      f"joints' axis-angles? refine_smpl takes axis-angles (T, 3K) or (T, K, 3); "
                                      f"convert them first (synsp.geometry.{how})")
        rot = p.reshape(p.shape[0], -1, 3)
    elif p.ndim == 3 and p.shape[2] == 3:
        check_time_first(p, "poses")  # (24, T, 3): joints first would be smoothed across joints
        rot = p
    else:
        raise SynspInputError(f"poses has shape {p.shape}; expected (T, 72) (or any (T, 3K)) or (T, 24, 3) "
                              "axis-angle rotations")
    check_radians(rot, "poses")
    filt = rotation_filter(model, rot.shape[1])
    low = None if confidence is None else \
        missing_from_confidence(confidence, rot.shape, getattr(filt, "min_confidence", 0.3))
    t3 = None
    if trans is not None:
        t = to_numpy(trans, name="trans")
        if t.shape != (p.shape[0], 3):
            raise SynspInputError(f"trans has shape {t.shape}; expected {(p.shape[0], 3)} (one root translation "
                                  "per frame of poses)")
        t3 = check_poses(t[:, None, :], "trans", dims=(3,), allow_nan=True)
    spans = [(0, len(rot))]
    if cuts and rot.dtype.kind == "f" and rot.ndim == 3 and len(rot) > 2:
        valid = np.isfinite(rot).all(-1) & (True if low is None else ~low)  # an unsure joint is no cut (as NaN)
        spans = parts(len(rot), find_rotation_cuts(rot, fps, valid), min_frames_of(filt), valid.all(-1))
    if len(spans) == 1:
        out = refine_rotations(rot, filt, fps=fps, confidence=confidence).reshape(p.shape)
    else:  # each side of a cut alone; a part too short to refine (kept only when complete) as it is
        least = min_frames_of(filt)
        conf = None if confidence is None else to_numpy(confidence, name="confidence")
        out = np.array(rot, dtype=np.float64, copy=True)
        for a, b in spans:
            if b - a >= least:
                out[a:b] = refine_rotations(rot[a:b], filt, fps=fps, confidence=None if conf is None else conf[a:b])
        out = out.reshape(p.shape)
    out = out.astype(float_dtype(poses), copy=False)  # float32 in, float32 out, as refine
    if t3 is None:
        return out, None
    if len(spans) == 1:
        t_out = translation_filter(filt)(t3, fps=fps)
    else:
        t_out = np.array(t3, dtype=np.float64, copy=True)
        for a, b in spans:
            if b - a >= min_frames_of(filt):
                t_out[a:b] = translation_filter(filt)(t3[a:b], fps=fps)
    check_refined(t_out, t3, np.ones(t3.shape[:-1], dtype=bool), what="refined translation")
    return out, t_out[:, 0].astype(float_dtype(trans), copy=False)


def _stand_in_for_unseen_joints(kp: np.ndarray, conf: np.ndarray | None, valid: np.ndarray, at: np.ndarray,
                                skeleton: str | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Joints with no confident detection in a whole track part (``valid`` ``(T, J)`` never True).

    A joint whose low-confidence coordinates are real numbers in every detected frame (MediaPipe
    and MMPose still predict occluded joints) is used as observed.  A joint that is NaN or the
    detector's ``(0, 0)`` placeholder somewhere gets a stand-in for the refiner (its nearest
    seen ancestor, else the mean of the seen joints) and keeps its raw values in the output:
    returns ``(kp, conf, keep_raw (J,))``.
    """
    never = ~valid.any(axis=0)
    keep_raw = np.zeros(kp.shape[1], dtype=bool)
    if not never.any():
        return kp, conf, keep_raw
    kp, conf = kp.copy(), None if conf is None else conf.copy()
    raw = kp[at]  # (n, J, D) the detected frames
    guess = np.isfinite(raw).all(axis=(0, 2)) & ~(raw == 0).all(axis=-1).any(axis=0)
    sk = skeleton if isinstance(skeleton, Skeleton) else get_skeleton(skeleton) if skeleton in SKELETONS else None
    seen_joints = set(np.flatnonzero(~never).tolist())
    for j in np.flatnonzero(never):
        if guess[j]:
            if conf is not None:
                conf[:, j] = np.where(np.isnan(kp[:, j]).any(-1), 0.0, 1.0)
            continue
        keep_raw[j] = True
        k = sk.nearest_ancestor(j, seen_joints) if sk is not None else -1
        seen = ~never
        with warnings.catch_warnings():  # a frame nobody was detected in: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            stand_in = kp[:, k] if k != -1 else np.nanmean(np.where(valid[..., None], kp, np.nan)[:, seen], axis=1)
        kp[:, j] = stand_in
        if conf is not None:
            conf[:, j] = np.where(np.isnan(stand_in).any(-1), 0.0, 1.0)
    return kp, conf, keep_raw


def refine_pose_file(pose_file, model: str | os.PathLike | None = None, fps: float | None = None,
                     max_gap: int | None = None, progress: bool = False, repair: bool = True, cuts: bool = True):
    """Refine every person (track) of a :class:`synsp.io.tracks.PoseFile`; returns ``(refined, summary)``.

    Each track is refined on its own timeline: frames where the person is not
    detected are missing and filled, unless more than ``max_gap`` of them follow
    each other (default: half a second at the file's fps, 15 frames when it is
    unknown); there the track is cut and each part refined alone.  Joints that
    are NaN or score below the refiner's ``min_confidence`` are filled; they keep
    their original scores in the output.  A network refines a part shorter than its window as one
    edge-padded window, from its ``min_frames`` (4) frames on; parts shorter than that, or than a
    filter's window, are left as they are (listed in ``summary["unrefined_tracks"]``); a file in
    which every part is that short is an error.

    A joint never confident in a whole part is used as observed when the detector still gave it
    real coordinates, else left as the detector wrote it (counted in ``summary["unseen"]``).

    ``summary``: ``frames``, ``persons``, ``filled`` (joints filled), ``unseen``,
    ``accel_before`` / ``accel_after`` (mean |second difference| per joint over
    consecutive detections, in the file's units per frame^2), ``model``,
    ``unrefined_tracks``, ``fallback`` (None, or why a filter was used: no ``model`` named and no shipped
    model for the file, see :func:`choose_model`); the accelerations count valid joints only (a missing or low-score joint, such as
    OpenPose's ``(0, 0)`` "not found", is left out before and after).  ``relabelled``: ``{track id: {group:
    frames}}`` for the tracks whose left/right labels the repair exchanged somewhere (``repair``, default
    on: each track part is repaired by :func:`synsp.repair.repair_inversions` before it is refined; the
    output keeps the repaired labels, the track's scores move with them; joint positions only).
    ``cuts``: ``{track id: file frame numbers}`` where a part of a track began after a cut (``cuts``, default
    on: a jump to another shot, place or person, :func:`synsp.cuts.find_cuts`; each side refined alone; rotation
    files: :func:`synsp.cuts.find_rotation_cuts`).
    ``relabelled_frames``: ``{track id: {group: file frame numbers}}``, the same frames where each
    detection is in the file.  ``reassigned``: the detections (person-frames) the repair gave to another
    person than their track's
    (with ``repair``, a file of several tracks first has its identity swaps undone by
    :func:`synsp.identity.repair_track_identities`: where two tracks exchanged persons, crossing people
    or a tracker's id switch, each person is refined along their own motion; every detection's refined
    values are written back where the file has it, under its own track id, so the document keeps its
    ids and other fields; ``relabelled`` and ``unrefined_tracks`` then name each person by the id of
    the track they were first detected in).

    ``fps`` (else the file's) must be 1 to 10,000 Hz and ``max_gap`` a whole number >= 0; NaN, inf and
    absurd coordinates (see :func:`refine`) are missing joints.  Every refined part is checked (finite
    wherever the input was valid or filled) before anything is returned: a NaN result raises
    :class:`synsp.validation.SynspOutputError`, so nothing is written.
    """
    fps = file_fps(pose_file, fps)
    max_gap = check_max_gap(max_gap)
    cuts = _flag(cuts, "cuts")
    step = detection_step(pose_file, fps, max_gap)
    if step > 1:  # a detector run on every step-th frame: its detections are the sequence, at fps / step
        stepped, f0, rate, gap = on_detections(pose_file, step, fps, max_gap)
        refined, summary = refine_pose_file(stepped, model=model, fps=rate, max_gap=gap, progress=progress,
                                            repair=repair, cuts=cuts)
        return _unstepped(pose_file, refined, summary, step, f0)
    if pose_file.format == "smpl" or pose_file.units == "axis-angle":
        # joint rotations (SMPL-style body-model files), not positions: the rotation network or a filter on
        # quaternions; same summary keys, accel in degrees / frame^2 (see refine_rotation_file)
        refined, summary = refine_rotation_file(pose_file, model=model, fps=fps, max_gap=max_gap, progress=progress,
                                                cuts=cuts)
        summary.setdefault("relabelled", {})  # rotations are not repaired (the same summary keys as positions)
        summary.setdefault("reassigned", 0)
        summary.setdefault("relabelled_frames", {})
        summary["fallback"] = (f"no shipped rotation model for {pose_file.num_joints} joints: refined with the "
                               f"{summary['model']} filter on quaternions"
                               if model is None and summary["model"] in FILTERS else None)
        return refined, summary
    return _positions(pose_file, model, fps, max_gap, progress, repair, refine=True, cuts=cuts)


def detection_step(pose_file, fps: float | None, max_gap: int | None = None) -> int:
    """``k`` > 1 when every detection of ``pose_file`` lies on every ``k``-th frame (a detector run on every
    ``k``-th frame, an OpenPose folder of every other image), the absence between them one that a track would fill
    (``k - 1`` frames, at most ``max_gap``: :meth:`PoseFile.max_gap`) and ``fps / k`` at least 10 fps (``fps`` None:
    :data:`synsp.filters.base.DEFAULT_FPS`; below, the networks would resample it to 30 fps anyway: 4 frames of 30
    fps gained nothing); else 1.  Such
    detections are refined as the sequence they are, at ``fps / k`` (filled in between, a network took the
    curve through them as observed and left their jitter: 0.03 px moved on a file whose consecutive frames moved
    2.3)."""
    if not pose_file.tracks or not any(len(t.frames) > 1 for t in pose_file.tracks):
        return 1
    frames = np.concatenate([t.frames for t in pose_file.tracks])
    k = int(np.gcd.reduce(frames - frames.min()))
    if k < 2 or k - 1 > pose_file.max_gap(fps, max_gap) or (fps or DEFAULT_FPS) / k < DEFAULT_FPS / NATIVE_SLOWDOWN:
        return 1
    return k


def on_detections(pose_file, k: int, fps: float | None, max_gap: int | None):
    """``pose_file`` on the timeline of its detections (:func:`detection_step` ``k``): frame ``f`` becomes
    ``(f - f0) // k``; returns ``(stepped, f0, rate, gap)``, ``rate`` the frame rate (``fps`` or
    :data:`synsp.filters.base.DEFAULT_FPS`, over ``k``) and ``gap`` the ``max_gap`` (file frames) on that timeline:
    None when it is None (then the stepped file's own default, half a second at ``rate``, holds tracks and joints
    alike; a given one limits the joints' fill too)."""
    f0 = int(min(t.frames.min() for t in pose_file.tracks if len(t.frames)))
    tracks = [dataclasses.replace(t, frames=(t.frames - f0) // k) for t in pose_file.tracks]
    numbers = None if pose_file.frame_numbers is None else np.asarray(pose_file.frame_numbers)[f0::k]
    stepped = dataclasses.replace(pose_file, tracks=tracks, num_frames=(pose_file.num_frames - 1 - f0) // k + 1,
                                  frame_numbers=numbers, fps=None if pose_file.fps is None else pose_file.fps / k)
    return stepped, f0, (fps or DEFAULT_FPS) / k, None if max_gap is None else (max_gap + 1) // k - 1


def _unstepped(pose_file, refined, summary: dict, k: int, f0: int):
    """The refinement of :func:`on_detections` ``(pose_file, k, ...)`` back on ``pose_file``'s timeline: its
    tracks' values (and scores, and the meta the refinement changed) at the file's detections, the summary's frame
    numbers as the file's (``summary["frame_step"]``: ``k``)."""
    done = {t.track_id: t for t in refined.tracks}
    tracks = [dataclasses.replace(t, keypoints=done[t.track_id].keypoints, scores=done[t.track_id].scores)
              for t in pose_file.tracks]
    back = lambda f: f0 + k * np.asarray(f)  # noqa: E731
    summary = dict(summary, frames=pose_file.num_frames, frame_step=k,  # accelerations per file frame^2
                   **{key: summary[key] / k ** 2 for key in ("accel_before", "accel_after") if key in summary},
                   cuts={tid: [int(f) for f in back(v)] for tid, v in summary.get("cuts", {}).items()},
                   relabelled_frames={tid: {g: back(f) for g, f in groups.items()}
                                      for tid, groups in summary.get("relabelled_frames", {}).items()})
    return dataclasses.replace(pose_file, tracks=tracks, meta=refined.meta), summary


def repair_pose_file(pose_file, model: str | os.PathLike | None = None, fps: float | None = None,
                     max_gap: int | None = None):
    """The repair :func:`refine_pose_file` runs before refining, alone: ``(repaired, summary)``.

    The same identity and left/right repair on the same track parts (``model`` decides the parts too
    short to refine, which are not repaired either, and the skeleton); ``repaired`` holds the input's
    values relabelled (each detection in place, under its own track id).  ``summary``: ``reassigned``,
    ``relabelled`` and ``relabelled_frames`` as :func:`refine_pose_file` gives them (``synsp plot``
    marks those frames).  Joint positions only: a rotation file is returned as it is, nothing relabelled.
    """
    fps = file_fps(pose_file, fps)
    max_gap = check_max_gap(max_gap)
    if pose_file.format == "smpl" or pose_file.units == "axis-angle":
        return pose_file, {"reassigned": 0, "relabelled": {}, "relabelled_frames": {}}
    step = detection_step(pose_file, fps, max_gap)
    if step > 1:  # on the detections' own timeline, as refine_pose_file repairs them
        stepped, f0, rate, gap = on_detections(pose_file, step, fps, max_gap)
        repaired, summary = repair_pose_file(stepped, model=model, fps=rate, max_gap=gap)
        return _unstepped(pose_file, repaired, summary, step, f0)
    repaired, summary = _positions(pose_file, model, fps, max_gap, False, True, refine=False)
    return repaired, {k: summary[k] for k in ("reassigned", "relabelled", "relabelled_frames")}


def _positions(pose_file, model, fps, max_gap, progress: bool, repair: bool, refine: bool, cuts: bool = True,
               refiner: Refiner | None = None, persons: bool = False, collect: dict | None = None):
    """:func:`refine_pose_file` on joint positions; with ``refine=False`` only its repair
    (:func:`repair_pose_file`).  :func:`refine` of persons (:func:`_refine_persons`) gives its ``refiner`` (chosen
    and fitted already), ``persons`` (the result's tracks are the persons, each under the id of the track they
    were first detected in, not every detection back in its own track) and ``collect`` (see
    :func:`refine_tracks`; ``short`` also gets the parts between cuts too short to refine)."""
    if not pose_file.tracks:
        raise SynspInputError(f"{pose_file.source or 'pose file'}: no person (no valid joint) in any frame; nothing to refine")
    fallback = None
    if refiner is None:
        name, fallback = (model, None) if model is not None else choose_model(pose_file.num_joints, pose_file.dims,
                                                                             pose_file.skeleton, fps=fps)
        default = model is None  # the shipped model, by its checkpoint's path
        refiner = fit_refiner(refiner_of(shipped_path(name) if default else name), pose_file.num_joints,
                              pose_file.skeleton, pose_file.meta.get("joint_names"))  # a network takes them by name
    least = min_frames_of(refiner)
    sample = joint_order_sample(pose_file)  # the points the layout and the joint order are judged on
    if refine and pose_file.format == "array":  # a bare array says nothing of its layout: say what looks wrong
        scored = any(t.scores is not None for t in pose_file.tracks)
        for doubt in layout_doubts(sample, pose_file.skeleton, scored, rotations=False):
            warnings.warn(f"{pose_file.source or 'the array'}: {doubt}", UserWarning, stacklevel=3)

    original, owner, reassigned = pose_file, None, 0
    # identity swaps between tracks first: refine each person (not between tracks that are separate recordings:
    # a SmoothNet file's sequences, each on its own timeline from frame 0)
    if repair and len(pose_file.tracks) > 1 and not pose_file.meta.get("independent_tracks"):
        ident = repair_track_identities([(t.frames, t.keypoints, t.scores) for t in pose_file.tracks])
        if ident.reassigned:
            owner, reassigned = ident.owner, ident.reassigned
            pose_file = regroup(pose_file, owner)
    # the file's skeleton: its pairs are the repair's, and tell an inversion from a cut
    known = (repair_skeleton(pose_file.num_joints, pose_file.dims, pose_file.skeleton, refiner,
                             poses=sample if repair else None) if repair or cuts else None)
    sk = known if repair and not guessed_pairs(pose_file) else None
    flips = []  # (track, a, b, flipped on the detected frames) of the parts the repair relabelled
    cut_at: dict = {}  # track id: the file frames where a part began after a cut
    short: list = []  # (track id, file frame, frames) of the parts between cuts too short to refine (left as they are)

    def refine_part(kp, conf, valid, at, track, a, b):
        found = None
        if sk is not None:
            finder = _cut_finder(refiner, fps, known, pose_file.scores_mark_missing) if cuts else None

            def seen_finder(x: np.ndarray, c: Any = None) -> Any:
                """The cuts of the repaired part as the refinement sees it (:func:`_run` without the repair): its
                joints never valid stood in for, as below (else a BODY_25 body whose face and feet points are never
                found has no frame to judge, and a jump to a false detection is refined over)."""
                c = c if pose_file.scores_mark_missing else None
                v = _judged(x, c, refiner)
                if v is not None and not v.any(axis=0).all():
                    x, c, _ = _stand_in_for_unseen_joints(x, c, v, at, pose_file.skeleton)
                return finder(x, c)

            kp, conf, report = repair_poses(kp, sk, conf, cuts=seen_finder if cuts else None)
            found = report.get("cuts")
            hands = report.get("hands")  # a whole body's hands exchanged apart from its arms (to their wrists)
            if report["relabelled"] is not None and (report["relabelled"].any() or hands is not None and hands.any()):
                flips.append((track, a, b, report["groups"], report["flipped"][at],
                              None if hands is None else hands[at]))
                valid = relabel(valid, report["flipped"], sk, report["groups"], hands)
        if not refine:  # the repair alone: the relabelled input is the result
            return kp, np.zeros(kp.shape[:2], dtype=bool), 0
        if not pose_file.scores_mark_missing:
            conf = None  # MediaPipe's visibility: an occluded landmark's predicted position is refined, not filled
        raw = kp
        kp, conf, keep_raw = _stand_in_for_unseen_joints(kp, conf, valid, at, pose_file.skeleton)
        ref, filled, found = _run(refiner, kp, fps, conf, progress, cuts, known, found=found)
        if found:
            cut_at.setdefault(track.track_id, []).extend(int(track.frames[a]) + c for c in found)
            bounds = [0, *found, len(kp)]
            short.extend((track.track_id, int(track.frames[a]) + c, e - c)
                         for c, e in zip(bounds[:-1], bounds[1:]) if e - c < least)
        ref[:, keep_raw] = raw[:, keep_raw]  # never seen: left as the detector wrote them
        filled[:, keep_raw] = False
        if collect is not None and keep_raw.any():  # refine() of persons says so (a file's summary counts them)
            collect.setdefault("unseen", []).append((track.track_id, int(track.frames[a]), int(track.frames[b - 1]),
                                                     (a, b) == (0, len(track.frames)), np.flatnonzero(keep_raw)))
        return ref, filled, int(keep_raw.sum())

    refined, summary = refine_tracks(pose_file, refiner, refine_part, _accel_values, fps, max_gap, collect)
    summary["fallback"] = fallback  # why a filter refined the file when no method was named (else None)
    if short:  # listed with the tracks too short to refine
        summary["unrefined_tracks"] = sorted(set(summary["unrefined_tracks"]) | {s[0] for s in short}, key=str)
        if collect is not None:
            collect["short"].extend(short)
    summary["relabelled"] = {}
    # the file's own tracks (where each detection is) of every person's detections: (frames, track ids)
    where = {t.track_id: (t.frames, np.full(len(t.frames), t.track_id, dtype=object)) for t in original.tracks}
    if owner is not None:
        where = {}
        for p, person in enumerate(original.tracks):
            rows = [(t.frames[own == p], np.full(int((own == p).sum()), t.track_id, dtype=object))
                    for t, own in zip(original.tracks, owner)]
            f, ids = np.concatenate([r[0] for r in rows]), np.concatenate([r[1] for r in rows])
            where[person.track_id] = (f[np.argsort(f)], ids[np.argsort(f)])
    marks: dict = {}
    scores = {}
    sources: dict = {}  # file track id: (n, J), per detection the joint whose input each joint now holds
    for track, a, b, groups, flipped, hands in flips:
        counts = summary["relabelled"].setdefault(track.track_id, dict.fromkeys(groups, 0))
        frames, ids = where[track.track_id]
        hit, J = flipped.any(axis=1) | (False if hands is None else hands), track.keypoints.shape[1]
        moved = relabel(np.broadcast_to(np.arange(J), (int(hit.sum()), J)), flipped[hit], sk, groups,
                        None if hands is None else hands[hit])
        at = np.searchsorted(frames, track.frames[a:b][hit])
        for tid, f, row in zip(ids[at], frames[at], moved):
            own = original.track(tid).frames
            src = sources.setdefault(tid, np.broadcast_to(np.arange(J), (len(own), J)).copy())
            src[np.searchsorted(own, f)] = row
        for k, (g, n) in enumerate(zip(groups, flipped.sum(0))):
            counts[g] += int(n)
            at = np.searchsorted(frames, track.frames[a:b][flipped[:, k]])
            for tid, f in zip(ids[at], frames[at]):
                marks.setdefault(tid, {}).setdefault(g, []).append(int(f))
        if track.scores is not None:
            sc = scores.setdefault(track.track_id, track.scores.copy())
            sc[a:b] = relabel(sc[a:b], flipped, sk, groups, hands)
    if scores:
        refined = dataclasses.replace(refined, tracks=[dataclasses.replace(t, scores=scores.get(t.track_id, t.scores))
                                                       for t in refined.tracks])
    summary["reassigned"] = reassigned
    summary["cuts"] = cut_at
    summary["relabelled_frames"] = {tid: {g: np.unique(f) for g, f in groups.items()} for tid, groups in marks.items()}
    if owner is not None and not persons:  # every detection back where the file has it
        refined = ungroup(original, refined, owner)
    if sources:  # writers move a joint's other values with it (MediaPipe's z, presence and world landmarks)
        refined = dataclasses.replace(refined, meta={**refined.meta, "joint_sources": sources})
    return refined, summary


def file_fps(pose_file, fps: Any = None) -> float | None:
    """The frame rate to refine ``pose_file`` at: ``fps`` when given, else the file's (None when it has
    none), checked by :func:`synsp.validation.check_fps` (1 to 10,000 Hz)."""
    if fps is not None:
        return check_fps(fps)
    try:
        return check_fps(pose_file.fps, name=f"{pose_file.source or 'the pose file'}: its stored frame rate")
    except SynspInputError as exc:
        raise SynspInputError(f"{exc}; pass the right one (--fps / fps=)") from None


def refine_tracks(pose_file, refiner, refine_part, accel, fps: float | None, max_gap: int | None,
                  collect: dict | None = None):
    """The per-person loop of :func:`refine_pose_file` (positions) and
    :func:`refine_rotation_file` (rotations); returns ``(refined, summary)``.

    Every track is cut where more than ``max_gap`` frames are absent; each part with at least one
    valid joint (finite, score >= ``refiner.min_confidence``) and :func:`~synsp.refiners.min_frames_of` frames goes
    through ``refine_part(kp, conf, valid, at, track, a, b) -> (refined, filled, unseen)`` on the
    part's dense timeline (``at``: the detected frames in it; ``a:b``: the part among the track's
    detections); the others are left as they are and listed.  ``accel`` (``(T, J, D)`` -> per joint and
    frame ``(T - 2, J)``), averaged over the valid joints, gives the summary's
    ``accel_before`` / ``accel_after``.  A file whose every part is left so raises; with ``collect`` (a dict with
    ``filled`` and ``short``, :func:`refine` of persons) nothing raises for that: ``collect["filled"][track id]``
    gets the ``(n, J)`` mask of the joints filled in each detection and ``collect["short"]`` the ``(track id,
    first frame, frames)`` of the parts too short to refine.
    """
    least = min_frames_of(refiner)
    source = pose_file.source or "pose file"
    gap = pose_file.max_gap(check_fps(fps), check_max_gap(max_gap))
    new, unrefined, filled_total, unseen, before, after = {}, [], 0, 0, [], []
    any_valid, any_absurd = False, False
    positions = not (pose_file.format == "smpl" or pose_file.units == "axis-angle")  # rotations: never stray
    for track in pose_file.tracks:
        out = None  # the track's refined keypoints: a copy of the input once a part is refined
        for a, b in track.split(gap):
            at = track.frames[a:b] - track.frames[a]
            kp, conf = track.dense(a, b)
            judged = _judged(kp, conf if pose_file.scores_mark_missing else None, refiner) if positions else None
            # inf, beyond ABSURD_COORDINATE or (positions) far from its own body: missing, like NaN
            absurd = absurd_joints(kp, stray=positions, use=judged)
            written = kp
            if absurd.any():
                any_absurd = True
                kp = np.where(absurd[..., None], np.nan, kp)
            valid = ~np.isnan(kp).any(-1)
            if conf is not None and pose_file.scores_mark_missing:
                valid &= conf >= refiner.min_confidence
            any_valid |= bool(valid.any())
            if len(kp) < least or not valid.any():
                unrefined.append(track.track_id)
                if collect is not None and len(kp) < least:
                    collect["short"].append((track.track_id, int(track.frames[a]), len(kp)))
                continue
            ref, filled, part_unseen = refine_part(kp, conf, valid, at, track, a, b)
            if max_gap is not None and collect is None:  # a joint lost longer than asked: as written, not filled
                ref, filled = _as_written_beyond(ref, filled, written, max_gap)
            elif max_gap is not None and absurd.any():  # persons (refine): a far finite point lost longer: as given
                ref, filled = _as_written_beyond(ref, filled, written, max_gap, only=absurd & ~absurd_joints(written))
            if collect is not None:
                collect["filled"].setdefault(track.track_id, np.zeros(track.keypoints.shape[:2], dtype=bool))[a:b] \
                    = filled[at]
            check_refined(ref, kp, np.isfinite(kp).all(-1) | filled,
                          what=f"{source}: refined track {track.track_id!r}")
            if absurd.any():  # a joint never seen (absurd in every frame) is left as written, not as NaN
                ref = np.where((absurd & np.isnan(ref).any(-1))[..., None], written, ref)
            if out is None and (a, b) == (0, len(track.frames)) and len(at) == len(ref):
                out = ref  # one part, every frame detected: the refined array itself (an hour of a body: no copy)
            else:
                out = track.keypoints.copy() if out is None else out
                out[a:b] = ref[at]
            filled_total += int(filled[at].sum())
            unseen += part_unseen
            # valid joints only: a missing or low-score joint (OpenPose's (0, 0, c=0)) is no acceleration
            before.append(_valid_mean(accel, kp, valid))
            after.append(_valid_mean(accel, ref, valid))
        new[track.track_id] = track.keypoints.copy() if out is None else out
    if not any_valid and any_absurd:
        raise SynspInputError(
            f"{source}: every coordinate is NaN, inf or beyond the {ABSURD_COORDINATE:g} magnitude of any real "
            "coordinate (or scores below the threshold); the data is corrupt, nothing to refine")
    if not before and not any_valid and any(t.scores is not None and np.isfinite(t.keypoints).any()
                                            for t in pose_file.tracks):
        raise SynspInputError(
            f"{source}: no joint has a score of at least {refiner.min_confidence:g} (the scores are all lower, "
            "negative or NaN), so every joint counts as missing; nothing to refine. Check the file's scores "
            "(or confidences / visibility), or give them on a 0-1 scale")
    if not before and collect is None:
        if not hasattr(refiner, "min_frames"):  # a filter's window
            need = (f"shorter than the {least}-frame window of {refiner.name} (or has no valid joint); nothing to "
                    f"refine. Pass a shorter-window method (e.g. model='kalman-rts', from 3 frames in any units; the "
                    f"default networks refine parts from {NetworkRefiner.min_frames} frames)")
        else:  # a network: a part shorter than its window is one padded window, but not below min_frames
            need = (f"shorter than the {least} frames {refiner.name} needs (or has no valid joint); nothing to "
                    f"refine. Pass a method that takes shorter tracks (e.g. model='kalman-rts', from 3 frames in "
                    f"any units)")
        raise SynspInputError(f"{pose_file.source or 'pose file'}: every track is {need} or a longer recording")
    measured = np.isfinite(before) & np.isfinite(after)  # NaN: no three consecutive frames seen in that part
    summary = dict(frames=pose_file.num_frames, persons=len(pose_file.tracks), filled=filled_total, unseen=unseen,
                   accel_before=float(np.mean(np.asarray(before)[measured])) if measured.any() else float("nan"),
                   accel_after=float(np.mean(np.asarray(after)[measured])) if measured.any() else float("nan"),
                   model=str(refiner.name), unrefined_tracks=sorted(set(unrefined), key=str))
    return pose_file.with_keypoints(new), summary


def refine_rotation_file(pose_file, model: Any = None, fps: float | None = None, max_gap: int | None = None,
                         progress: bool = False, cuts: bool = True):
    """:func:`refine_pose_file` for a pose file of rotations; returns ``(refined, summary)``.

    Every track's keypoints are axis-angle rotations ``(n, J, 3)``, refined by ``model``
    (:func:`synsp.rotations.rotation_filter`: by default the rotation network for 24 joints, the universal
    model trained on rotations for other joint counts up to 200, else
    :data:`synsp.rotations.DEFAULT_ROTATION_FILTER`); the root translation, when the reader found one, is
    ``pose_file.meta['translation'][track_id]`` ``(n, 3)`` and is refined as a 3D position by the
    same filter (:func:`synsp.rotations.translation_filter`: the default filter beside a network; the refined file carries the new
    values there).  Tracks are cut where more than ``max_gap`` frames are absent (default half a
    second at the file's fps, 15 frames when unknown); shorter gaps are filled.  Parts shorter
    than the network's ``min_frames`` or the filter's window are left as they are (``summary['unrefined_tracks']``).

    ``summary``: the keys of :func:`refine_pose_file`; ``accel_before`` /
    ``accel_after`` are the mean angular acceleration in degrees / frame^2
    (:func:`synsp.metrics.mean_angular_acceleration`), ``filled`` counts missing or low-confidence joints,
    ``unseen`` the joints never valid in a whole part (left as they were).  ``progress``: a
    progress bar over the network's batches of windows (long recordings).  ``cuts``: where the body's joints
    jump at one frame (a rest pose in front of a BVH take, joined recordings; :func:`synsp.cuts.find_cuts` on the
    joint positions of the rotations: the BVH's own skeleton, or SMPL's for 22 / 24 joints; other files are not
    cut), each side is refined alone; ``summary['cuts']`` lists them.
    """
    if not pose_file.tracks:
        raise SynspInputError(f"{pose_file.source or 'pose file'}: no person (no valid rotation) in any frame; "
                              "nothing to refine")
    if pose_file.dims != 3:
        raise SynspInputError(f"{pose_file.source or 'pose file'}: rotations must be axis-angle vectors "
                              f"(D = 3); found D = {pose_file.dims}")
    fps = file_fps(pose_file, fps)
    filt = rotation_filter(model, pose_file.num_joints)
    trans_in = pose_file.meta.get("translation") or {}
    new_trans: dict = {}
    least = min_frames_of(filt)
    cut_at: dict = {}  # track id: the file frames where a part began after a cut

    def refine_part(kp, conf, valid, at, track, a, b):
        seen = valid.any(axis=0)  # a joint never valid in the part is left as it was
        spans = [(0, len(kp))]
        if cuts:
            spans = parts(len(kp), find_rotation_cuts(kp, fps, valid, pose_file.meta.get("bvh")), least, valid.all(-1))
        if len(spans) > 1:
            cut_at.setdefault(track.track_id, []).extend(int(track.frames[a]) + s for s, _ in spans[1:])
        whole = isinstance(filt, RotationNetwork) and spans == [(0, len(kp))] and seen.all()
        ref = filt(kp, fps=fps, confidence=conf, progress=progress) if whole else kp.copy()  # (an hour: no copy)
        for s, e in [] if whole else spans:
            if e - s < least:
                continue  # a part too short to refine (parts keeps one only when complete): left as it is
            piece, pc = kp[s:e], None if conf is None else conf[s:e]
            if isinstance(filt, RotationNetwork):  # the network needs every joint; unseen ones are masked
                ref[s:e, seen] = filt(piece, fps=fps, confidence=pc, progress=progress)[:, seen]
            else:
                here = seen & valid[s:e].any(axis=0)
                ref[s:e, here] = refine_rotations(piece[:, here], filt, fps=fps,
                                                  confidence=None if pc is None else pc[:, here])
        tr = trans_in.get(track.track_id)
        if tr is not None:
            tr_out = new_trans.setdefault(track.track_id, np.array(tr, dtype=np.float64, copy=True))
            if np.isfinite(tr_out[a:b]).all(-1).any():
                t3 = np.full((len(kp), 1, 3), np.nan)
                t3[at, 0] = tr_out[a:b]
                for s, e in spans:
                    if e - s >= least and np.isfinite(t3[s:e]).all(-1).any():
                        t3[s:e] = translation_filter(filt)(t3[s:e], fps=fps)
                tr_out[a:b] = t3[at, 0]
        filled = ~valid
        filled[:, ~seen] = False
        return ref, filled, int((~seen).sum())

    refined, summary = refine_tracks(pose_file, filt, refine_part, angular_acceleration, fps, max_gap)
    summary["cuts"] = cut_at
    derived = pose_file.meta.get("derived") or []
    if derived:  # a mesh or joints computed from the unrefined pose, copied as they were: they no longer match
        them = "them" if len(derived) > 1 else "it"
        warnings.warn(f"{pose_file.source or 'pose file'}: {', '.join(map(repr, derived))} came from the unrefined "
                      f"pose and {'are' if len(derived) > 1 else 'is'} copied unchanged; recompute {them} from the "
                      f"refined pose with your body model (e.g. smplx) before using {them}", stacklevel=2)
    stale = pose_file.meta.get("stale") or []
    if stale:  # another copy of the pose (the smplx split of 'poses', a world-frame pose) than the one refined
        layout = next(iter((pose_file.meta.get("layouts") or {}).values()), {})
        refined_keys = " + ".join(map(repr, layout.get("keys", []))) or "the pose"
        many = len(stale) > 1
        warnings.warn(f"{pose_file.source or 'pose file'}: {', '.join(map(repr, stale))} "
                      f"also hold{'' if many else 's'} a pose or root path and {'are' if many else 'is'} copied "
                      f"unchanged; only {refined_keys} is refined (a pose array: synsp refine --key NAME refines it "
                      "instead)", stacklevel=2)
    if trans_in:
        meta = dict(pose_file.meta)
        meta["translation"] = {**trans_in, **new_trans}
        refined = dataclasses.replace(refined, meta=meta)
    return refined, summary
