"""What a pose file holds and what ``synsp refine`` would do with it (``synsp inspect``).

Before refining unknown data a user wants to know whether synsp read it as meant: the format and
skeleton it recognised, the units and frame rate (and whether the rate was assumed), the people and
how long each was followed, how much is missing, how much the data jitters, and the method the
default would pick, with its delay.  :func:`inspect_pose_file` gathers that from a
:class:`synsp.io.tracks.PoseFile` without refining anything; the CLI prints it.

Jitter: per track part, the median over frames of :func:`synsp.noise_floor.noise_floor` (the white
noise the quieter quarter of the joints shows over 2 s; joints seen in at least 90 % of the part's frames,
short gaps filled) as a share of the person's size (the median
larger side of the joint box).  On the corpus's validation split: clean motion capture 0.02-0.10 %,
the same played 3x faster 0.12-0.45 %, 1 % white jitter with outliers 0.44-0.65 %.  It needs joint
positions; rotation files get None.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from .api import (detection_step, file_fps, guessed_pairs, joint_order_sample, on_detections, repair_pose_file,
                  repair_skeleton, views_relabelled)
from .batch import check_method_fits, method_for, views_method
from .cuts import find_cuts, find_rotation_cuts
from .filters import get_filter
from .filters.base import WHOLE_SEQUENCE
from .io.tracks import FORMATS
from .metrics import size_of
from .missing import interpolate_missing, missing_from_confidence
from .noise_floor import noise_floor
from .refiners import VIEW_MEAN, min_frames_of
from .repair import limb_groups, twisted_frames
from .skeletons import BUILTIN_SKELETONS, SKELETONS, skeleton_for
from .validation import ABSURD_COORDINATE, SynspInputError, absurd_joints

__all__ = ["inspect_pose_file", "file_cuts", "describe", "as_plain", "bvh_rotations", "file_numbers", "inspect_views",
           "describe_views", "views_labels"]

#: the jitter floor (% of the person's size) that clean motion capture stays below on the validation split
CLEAN_FLOOR_PCT = 0.10


def _part_stats(kp: np.ndarray, conf: np.ndarray | None, min_confidence: float,
                fps: float) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Of one track part ``(T, J, D)``: per joint, frames missing and whether it was ever seen ``(J,)``, and
    its jitter in % of the person's size (over the joints seen in at least 90 % of its frames; None when
    shorter than 4 frames or fewer than two such joints)."""
    missing = np.isnan(kp).any(-1)
    if conf is not None:  # as the refiners count them (a NaN score is missing too)
        missing |= missing_from_confidence(conf, kp.shape, min_confidence)
    seen = ~missing.all(axis=0)
    steady = missing.mean(axis=0) <= 0.1  # joints seen in nearly every frame: a filled gap would fake smoothness
    if len(kp) < 4 or steady.sum() < 2:
        return missing.sum(0), seen, None
    body = np.where(missing[..., None], np.nan, kp)[:, steady]
    filled, _ = interpolate_missing(body, never="keep")
    if not np.isfinite(filled).all():
        return missing.sum(0), seen, None
    floor = float(np.median(noise_floor(filled, fps)))
    return missing.sum(0), seen, 100.0 * floor / size_of(filled)


def inspect_pose_file(pose_file, model: str | None = None, fps: float | None = None,
                      max_gap: int | None = None) -> dict[str, Any]:
    """What :func:`synsp.api.refine_pose_file` would meet and do on ``pose_file``, without refining.

    Returns a dict: ``format``, ``description`` (the format's), ``skeleton`` (name or None), ``joints``,
    ``dims``, ``units``, ``file_fps`` (the file's rate or None), ``fps`` (the rate refining would use:
    ``fps``, else the file's, else the method's), ``fps_given`` (``fps`` was given), ``frames``, ``tracks`` (a
    list of dicts: ``id``, ``first``, ``last`` (the file's own frame numbers: a TRC's ``Frame#``, an ``.npz``'s
    ``frames``, ``PoseFile.frame_numbers``; from 0 where the file numbers none), ``detections``, ``parts`` (pieces
    after cutting gaps longer than ``max_gap``), ``missing`` (share of the joints it was seen with that are NaN or
    below the method's score threshold, over its frames, or ``corrupt``), ``corrupt`` (the joints in frames that
    refining treats as missing for their values: inf, beyond :data:`synsp.validation.ABSURD_COORDINATE`, or, for
    positions, absurdly far from their own body, :func:`synsp.validation.stray_joints`), ``never_seen`` (joints it
    was never seen with: left as written), ``jitter``
    (% of the person's size, None for rotations or parts too short)), ``method`` (the name),
    ``fallback`` (why a filter, or None), ``delay`` (frames, or None for a whole-sequence method),
    ``window`` (the method's), ``min_frames`` (frames a track part needs: a network refines a shorter part as one
    padded window), ``repair`` (the skeleton whose left/right inversions are
    repaired, or None), ``relabelled`` (``{track id: {group: frames}}`` the repair would relabel) and
    ``reassigned`` (person-frames its identity repair would give to another track): :func:`synsp.api.repair_pose_file`;
    ``twisted``: in 3D, the detections whose shoulders face against the hips (:func:`synsp.repair.twisted_frames`;
    None in 2D, without named shoulders and hips, or where the joint order is only assumed and does not fit);
    ``never_detected``: the individuals the file names (DeepLabCut's) that have no track; ``rows``: ``[rows,
    first, last]`` when the file numbers its frames (rows) other than 0, 1, 2, ... (else None);
    ``assumed_skeleton``: the skeleton the repair and the cuts take for points that name none (by their count
    alone, or by their limbs where the count has no default), else None; ``order_fits`` / ``order_looks_like``:
    whether the points fit that order and which other order they look like (the order refine takes,
    :func:`synsp.api.repair_skeleton`; None when nothing is assumed); ``cuts``: ``{track id: file
    frame numbers}`` (as ``first``) where refining would cut the track (:func:`synsp.cuts.find_cuts`; rotations:
    :func:`synsp.cuts.find_rotation_cuts`); ``rotations``: the file holds joint rotations (not repaired);
    ``refused``: why refine refuses the file (every track too short for the method, no valid joint: its own words),
    else None.  A file without any person, or a
    ``model`` that cannot take its points (a 2D model on 3D points), raises as refine does.
    """
    if not pose_file.tracks:  # refused by refine in the same words (synsp.api.refine_pose_file)
        what = "rotation" if pose_file.format == "smpl" or pose_file.units == "axis-angle" else "joint"
        raise SynspInputError(f"{pose_file.source or 'pose file'}: no person (no valid {what}) in any frame; "
                              "nothing to refine")
    step = detection_step(pose_file, file_fps(pose_file, fps), max_gap)
    if step > 1:  # detections on one frame in k: refine takes them as the sequence they are (and so does this)
        return _on_detections(pose_file, step, model, fps, max_gap)
    plan = _plan(pose_file, model, fps, max_gap)
    method, fallback, refiner = plan["method"], plan["fallback"], plan["refiner"]
    name = str(getattr(refiner, "name", method))
    rotations, used_fps, gap, min_conf, sk = (plan[k] for k in ("rotations", "fps", "gap", "min_conf", "skeleton"))
    least = min_frames_of(refiner) if hasattr(refiner, "window") else 1
    tracks, cuts, refinable = [], {}, False
    for t in pose_file.tracks:
        parts = t.split(gap)
        frames, absent, seen, jitter = 0, np.zeros(pose_file.num_joints), np.zeros(pose_file.num_joints, bool), []
        corrupt = 0
        for a, b in parts:
            kp, conf = _part(pose_file, t, a, b)
            use = None if conf is None or rotations else ~missing_from_confidence(conf, kp.shape, min_conf)
            bad = absurd_joints(kp, stray=not rotations, use=use)  # missing to refine_tracks, like NaN
            if bad.any():
                kp, corrupt = np.where(bad[..., None], np.nan, kp), corrupt + int(bad.sum())
            if rotations:
                lost, here, level = np.isnan(kp).any(-1).sum(0), ~np.isnan(kp).any(-1).all(0), None
            else:
                lost, here, level = _part_stats(kp, conf, min_conf, used_fps)
            found = _part_cuts(pose_file, kp, conf, plan)
            if len(found):
                cuts.setdefault(t.track_id, []).extend(file_numbers(pose_file, int(t.frames[a]) + found))
            frames, absent, seen = frames + len(kp), absent + lost, seen | here
            refinable |= len(kp) >= least and bool(here.any())  # what refine_tracks refines, else leaves
            if level is not None:
                jitter.append((level, len(kp)))
        level = (float(np.average([j for j, _ in jitter], weights=[n for _, n in jitter])) if jitter else None)
        share = float(absent[seen].sum() / (frames * seen.sum())) if seen.any() else 1.0
        first, last = file_numbers(pose_file, t.frames[[0, -1]])
        tracks.append(dict(id=t.track_id, first=first, last=last, detections=len(t.frames),
                           parts=len(parts), missing=share, never_seen=int((~seen).sum()), jitter=level,
                           corrupt=corrupt))
    delay = getattr(refiner, "delay", None)
    # a hand or a custom set without pairs, or pairs only guessed from the points' names: no repair
    sk = sk if sk is not None and limb_groups(sk) and not plan["guessed"] else None
    # no skeleton named: the repair and the cuts take the one synsp picks by the joint count; is the order that?
    by_count, chosen = plan["by_count"], plan["skeleton"]
    unnamed = pose_file.skeleton is None and not plan["guessed"]
    assumed = by_count.name if unnamed and by_count is not None and limb_groups(by_count) else None
    if unnamed and assumed is None and chosen is not None and limb_groups(chosen):  # no default: the limbs chose
        assumed = chosen.name
    orders = skeleton_for(pose_file.num_joints)  # a count of several orders that the points did not tell apart
    unsure = orders if unnamed and chosen is None and len(orders) > 1 and not rotations else None
    order = None  # does the order refine takes (synsp.api.repair_skeleton: the limbs decide) agree with it?
    if assumed:
        fits = chosen is not None and chosen.name == assumed
        order = dict(fits=fits, looks_like=None if fits or chosen is None else chosen.name)
    twisted = None  # 3D: frames whose shoulders face against the hips, over every track
    if sk is not None and pose_file.dims == 3:  # in the order refine takes (the limbs decide an unnamed one)
        counts = [twisted_frames(t.keypoints, sk) for t in pose_file.tracks]
        twisted = None if any(c is None for c in counts) else int(sum(c.sum() for c in counts))
    relabelled, reassigned, refused = {}, 0, None
    if rotations and not refinable:  # refine_tracks' words: refine refuses a file whose every part it would leave
        refused = (f"every track is shorter than the {least} frames {name} needs (or has no valid joint); nothing to "
                   "refine. Pass a method that takes shorter tracks (e.g. model='kalman-rts', from 3 frames in any "
                   "units) or a longer recording")
    if not rotations and pose_file.tracks:
        try:  # what refine's repair would change, run alone (about a second for an hour)
            _, found = repair_pose_file(pose_file, model=model, fps=fps, max_gap=max_gap)
            relabelled, reassigned = found["relabelled"], found["reassigned"]
        except SynspInputError as exc:  # refine fails the same way (the same parts, before its repair): its words
            source = f"{pose_file.source}: "
            refused = str(exc)[len(source):] if str(exc).startswith(source) else str(exc)
    ids = {t.track_id for t in pose_file.tracks}
    never = [n for n in pose_file.meta.get("individuals", ()) if n not in ids]  # named by the file, never detected
    return dict(format=pose_file.format, description=FORMATS.get(pose_file.format, ("", ""))[1],
                skeleton=pose_file.skeleton, joints=pose_file.num_joints, dims=pose_file.dims, units=pose_file.units,
                file_fps=pose_file.fps, fps=used_fps, fps_given=fps is not None, frames=pose_file.num_frames,
                tracks=tracks, method=name,
                fallback=fallback, delay=None if delay in (None, WHOLE_SEQUENCE) else int(delay),
                window=int(getattr(refiner, "window", 1)),
                min_frames=least,
                repair=None if sk is None else sk.name, guessed=plan["guessed"],
                relabelled=relabelled, reassigned=int(reassigned), twisted=twisted, cuts=cuts,
                never_detected=never, rows=_rows(pose_file), assumed_skeleton=assumed, unsure_orders=unsure,
                order_fits=None if order is None else order["fits"],
                order_looks_like=None if order is None else order["looks_like"],
                note=pose_file.meta.get("note"), rotations=rotations, refused=refused)


def bvh_rotations(rotation_file, model: str | None = None, fps: float | None = None,
                  max_gap: int | None = None) -> dict[str, Any]:
    """What refining a BVH into a ``.bvh`` does (its joint rotations and root path, read with ``rotations=True``
    as :func:`synsp.batch.refine_path` reads it for such an output), for ``synsp inspect`` to say beside what it
    does to the joint positions (into ``.npz``, ``.npy``, ``.trc``): ``method``, ``delay``, ``fallback``,
    ``units`` (degrees) and ``refused`` (why refine refuses it, else None; ``method`` None when no method
    takes the rotations)."""
    try:
        info = inspect_pose_file(rotation_file, model=model, fps=fps, max_gap=max_gap)
    except SynspInputError as exc:
        return dict(method=None, delay=None, fallback=None, units="degrees", refused=str(exc))
    return dict(method=info["method"], delay=info["delay"], fallback=info["fallback"], units="degrees",
                refused=info["refused"])


def file_cuts(pose_file, model: str | None = None, fps: float | None = None,
              max_gap: int | None = None) -> dict[Any, list[int]]:
    """``{track id: frames}`` where :func:`synsp.api.refine_pose_file` would cut ``pose_file``'s tracks
    (:mod:`synsp.cuts`), without :func:`inspect_pose_file`'s other work: frames of the file's timeline (as
    ``Track.frames`` and refine's ``summary["cuts"]``), which :func:`inspect_pose_file` gives as the file's own
    numbers (:func:`file_numbers`)."""
    rate = file_fps(pose_file, fps)
    step = detection_step(pose_file, rate, max_gap)
    if step > 1:  # on the detections' own timeline, as refine cuts them
        stepped, f0, rate, gap = on_detections(pose_file, step, rate, max_gap)
        found = file_cuts(stepped, model=model, fps=rate, max_gap=gap)
        return {tid: [f0 + step * f for f in frames] for tid, frames in found.items()}
    plan = _plan(pose_file, model, fps, max_gap)
    cuts: dict[Any, list[int]] = {}
    for t in pose_file.tracks:
        for a, b in t.split(plan["gap"]):
            kp, conf = _part(pose_file, t, a, b)
            found = _part_cuts(pose_file, kp, conf, plan)
            if len(found):
                cuts.setdefault(t.track_id, []).extend(int(t.frames[a]) + int(c) for c in found)
    return cuts


def _on_detections(pose_file, k: int, model: str | None, fps: float | None, max_gap: int | None) -> dict[str, Any]:
    """:func:`inspect_pose_file` of a file whose detections lie on one frame in ``k``
    (:func:`synsp.api.detection_step`): the file on the timeline of its detections, as refine takes it, its frame
    numbers (tracks, cuts) given back as the file's; ``frame_step``: ``k``."""
    stepped, f0, rate, gap = on_detections(pose_file, k, file_fps(pose_file, fps), max_gap)
    # numbered on the detections' timeline (0, 1, 2, ...), then back on the file's timeline and its own numbers
    info = inspect_pose_file(dataclasses.replace(stepped, frame_numbers=None), model=model, fps=rate, max_gap=gap)
    back = lambda frames: file_numbers(pose_file, f0 + k * np.asarray(frames, dtype=np.int64))  # noqa: E731
    for t in info["tracks"]:
        t["first"], t["last"] = back([t["first"], t["last"]])
    info["cuts"] = {tid: back(frames) for tid, frames in info["cuts"].items()}
    given = fps is not None
    return dict(info, frames=pose_file.num_frames, file_fps=pose_file.fps, fps_given=given, frame_step=k,
                fps=rate * k if given or pose_file.fps else info["fps"] * k, rows=_rows(pose_file))


def file_numbers(pose_file, frames) -> list[int]:
    """The file's own numbers of the timeline ``frames`` (``Track.frames``, indices into the file's timeline):
    ``PoseFile.frame_numbers`` (a TRC's ``Frame#`` 100-189, an ``.npz``'s ``frames``), or the frames themselves
    where the file numbers none."""
    at = np.asarray(frames, dtype=np.int64).reshape(-1)
    return [int(f) for f in (at if pose_file.frame_numbers is None else np.asarray(pose_file.frame_numbers)[at])]


def _rows(pose_file) -> list[int] | None:
    """``[rows, first, last]``: how many frames (rows) the file has and the numbers of its first and last, when it
    numbers them other than 0, 1, 2, ...: its ``frame_numbers``, or the rows' own numbers where they are the
    timeline's frames (DeepLabCut's index: rows 100-189 are 90 of its 190 frames); else None."""
    numbers = pose_file.frame_numbers
    if numbers is not None and len(numbers) and (int(numbers[0]) != 0 or int(numbers[-1]) != len(numbers) - 1):
        return [len(numbers), int(numbers[0]), int(numbers[-1])]
    numbers = pose_file.meta.get("frames")  # the rows' own frame numbers (DeepLabCut's index)
    if isinstance(numbers, np.ndarray) and numbers.ndim == 1 and len(numbers) and len(numbers) != pose_file.num_frames:
        return [len(numbers), int(numbers[0]), int(numbers[-1])]
    return None


def _plan(pose_file, model: str | None, fps: float | None, max_gap: int | None) -> dict[str, Any]:
    """What refining ``pose_file`` would use: ``method``, ``fallback``, ``refiner``, ``rotations``, ``fps`` (the
    rate), ``gap`` (frames), ``min_conf``, ``skeleton`` (the repair's, None for rotations), ``by_count`` (the one
    the joint count gives) and ``sample`` (the points the order is judged on)."""
    rate = file_fps(pose_file, fps)
    method, fallback = method_for(pose_file, model, rate, max_gap)
    check_method_fits(pose_file, method, model)  # a 2D model on 3D points: refine refuses it, so does inspect
    refiner = get_filter(method) if isinstance(method, str) else method
    rotations = pose_file.format == "smpl" or pose_file.units == "axis-angle"
    used_fps = float(rate or getattr(getattr(refiner, "card", None), "fps", None) or 30.0)
    by_count = sk = sample = None
    if not rotations:  # as refine_pose_file picks it: by the count, unless the limbs show another order
        by_count = repair_skeleton(pose_file.num_joints, pose_file.dims, pose_file.skeleton, refiner)
        sample = joint_order_sample(pose_file)
        with warnings.catch_warnings():  # an unsure order: inspect says so in its own words (describe)
            warnings.simplefilter("ignore", UserWarning)
            sk = repair_skeleton(pose_file.num_joints, pose_file.dims, pose_file.skeleton, refiner, poses=sample)
    return dict(method=method, fallback=fallback, refiner=refiner, rotations=rotations, fps=used_fps,
                gap=pose_file.max_gap(used_fps, max_gap), skeleton=sk, by_count=by_count, sample=sample,
                guessed=guessed_pairs(pose_file),
                min_conf=float(getattr(refiner, "min_confidence", 0.3) or 0.0))


def _part(pose_file, track, a: int, b: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A track part's dense keypoints and the scores that mark joints missing (None for MediaPipe's visibility:
    refined where low, not filled, as refine_pose_file)."""
    kp, conf = track.dense(a, b)
    return kp, conf if pose_file.scores_mark_missing else None


def _part_cuts(pose_file, kp: np.ndarray, conf: np.ndarray | None, plan: dict[str, Any]) -> np.ndarray:
    """The cuts of one track part, as refining finds them (positions: there after the repair)."""
    if plan["rotations"]:
        return find_rotation_cuts(kp, plan["fps"], None, pose_file.meta.get("bvh"))
    valid = None if conf is None else ~missing_from_confidence(conf, kp.shape, plan["min_conf"])
    return find_cuts(kp, plan["fps"], valid, skeleton=plan["skeleton"])


def describe(info: dict[str, Any], source: Any = None) -> list[str]:
    """The lines ``synsp inspect`` prints for :func:`inspect_pose_file`'s dict."""
    assumed = info.get("assumed_skeleton")
    sk = info["skeleton"] or (
        f"none named: taken as {assumed} by the count of points and their limbs for the left/right repair and "
        "the cuts; --skeleton NAME if they are in another order"
        if assumed and info.get("order_fits") is not False else
        f"none named ({info['joints']} points; see the joint order below)" if assumed else
        f"none named ({info['joints']} points in one of the orders {', '.join(info['unsure_orders'])}: their limbs do "
        "not tell which, or too few joints are seen; not repaired, --skeleton NAME to name it)"
        if info.get("unsure_orders") else
        f"none recognised ({info['joints']} points: a body of its own joint set)")
    if info["skeleton"] and info["skeleton"] not in BUILTIN_SKELETONS and info["skeleton"] in SKELETONS:
        own = SKELETONS[info["skeleton"]]
        sk += (f" (a joint set of its own: {own.num_joints} named points, {len(own.left_right)} left/right "
               "pair(s) guessed from the names)")
    given = (f"given; the file says {info['file_fps']:g}" if info.get("file_fps") and
             abs(info["file_fps"] - info["fps"]) > 1e-6 * info["fps"] else "given")
    rate = (f"{info['fps']:g} fps ({given})" if info.get("fps_given") else
            f"{info['file_fps']:g} fps (the file's)" if info["file_fps"] else
            f"not in the file: {info['fps']:g} fps assumed (give --fps)")
    lines = [f"{source}: {info['format']} ({info['description']})" if source else info["format"],
             f"  skeleton: {sk}; {info['joints']} joints, {info['dims']}D, units {info['units']}",
             f"  frame rate: {rate}; " + (f"{info['rows'][0]} frames, numbered {info['rows'][1]}-{info['rows'][2]}"
                                          if info.get("rows") else _count(info["frames"], "frame"))]
    if info.get("frame_step", 1) > 1:
        lines.append(f"  detections on one frame in {info['frame_step']}: refined as the sequence they are, at "
                     f"{info['fps'] / info['frame_step']:g} fps")
    if assumed and info.get("order_fits") is False:
        other = info.get("order_looks_like")
        lines.append(f"  joint order: the left and right limbs are unequal in {assumed} order (the {info['dims']}D "
                     "default for this count)"
                     + (f" and equal in {other} order: refine takes them as {other} (--skeleton NAME to say otherwise)"
                        if other else ": no built-in order is clearly theirs, and refine repairs no left/right "
                        "labels (--skeleton NAME to name their order)"))
    if info.get("note"):
        lines.append(f"  note: {info['note']}")
    tracks = info["tracks"]
    never = info.get("never_detected") or []
    lines.append(f"  people: {len(tracks)} track(s)" + (
        f" ({len(tracks) + len(never)} individuals in the file, {len(never)} never detected: "
        f"{', '.join(map(repr, never[:10]))}{' ...' if len(never) > 10 else ''})" if never else ""))
    for t in tracks[:20]:
        jitter = "jitter not measured" if t["jitter"] is None else (
            f"jitter {t['jitter']:.2f} % of the person's size"
            + (" (as clean motion capture)" if t["jitter"] <= CLEAN_FLOOR_PCT else ""))
        least = info.get("min_frames", info["window"])
        short = (f" (fewer than the {least} frames the method needs"
                 + ("" if info.get("refused") else ": left as it is") + ")" if t["detections"] < least else "")
        never = f", {t['never_seen']} joint(s) never seen (left as written)" if t["never_seen"] else ""
        if t.get("corrupt"):
            never += (f", {t['corrupt']} joint(s) inf, beyond {ABSURD_COORDINATE:g} or absurdly far from the body in "
                      "their frame, or a (0, 0) placeholder away from it (treated as missing)")
        lines.append(f"    {t['id']!r}: frames {t['first']}-{t['last']}, {_count(t['detections'], 'detection')} in "
                     f"{t['parts']} part(s), {100 * t['missing']:.1f} % of joints missing{never}, {jitter}{short}")
    if len(tracks) > 20:
        lines.append(f"    ... and {len(tracks) - 20} more")
    if info.get("twisted") is not None:
        lines.append(f"  body twist: {info['twisted']} frame(s) with the shoulders facing against the hips"
                     + (" (the arms or the legs labelled the wrong way round alone, which motion cannot show, or a "
                        "wrong pose: the repair does not relabel into such a body, nor out of it)"
                        if info["twisted"] else ""))
    delay = "whole sequence (offline)" if info["delay"] is None else f"{info['delay']} frames of delay"
    lines.append(f"  method: {info['method']} ({delay})" + (f"; {info['fallback']}" if info["fallback"] else "")
                 + (" on the joint positions (into a .npz, .npy or .trc OUTPUT)" if info.get("as_bvh") else ""))
    bvh = info.get("as_bvh")
    if bvh:  # a BVH into a .bvh is refined as joint rotations (synsp.batch.refine_path reads it so)
        later = "whole sequence (offline)" if bvh["delay"] is None else f"{bvh['delay']} frames of delay"
        lines.append(f"  into a .bvh OUTPUT: its joint rotations in {bvh['units']}, "
                     + (f"by {bvh['method']} ({later})" + (f"; {bvh['fallback']}" if bvh.get("fallback") else "")
                        if bvh.get("method") else "not refined")
                     + (f"; refine refuses: {bvh['refused']}" if bvh.get("refused") else ""))
    if info.get("refused"):
        lines.append(f"  refine: refuses this file: {info['refused']}")
    repair = "none (no skeleton with left/right pairs)"
    if info.get("unsure_orders"):
        repair = "none (the joint order is not known: --skeleton NAME to name it)"
    if info.get("rotations"):
        repair = "none (joint rotations are not repaired; the repair relabels joint positions)"
    if info.get("guessed"):
        repair = ("none (left/right pairs only guessed from the points' names judge cuts and relabel nothing; "
                  f"--skeleton {info['skeleton']} repairs with them)")
    if info["repair"]:
        groups: dict[str, int] = {}
        for per_group in info.get("relabelled", {}).values():
            for g, n in per_group.items():
                groups[g] = groups.get(g, 0) + int(n)
        found = (f"would relabel {', '.join(f'{g} in {n} frames' for g, n in groups.items())} of "
                 f"{len(info['relabelled'])} track(s)" if groups else "nothing to relabel")
        repair = f"on ({info['repair']} pairs): {found}"
    cam = info.get("camera")  # one of several calibrated cameras (inspect --cameras): synsp.batch.cameras_agreed
    if cam is not None:
        own = (f"its own repair: labels of {cam['repaired']} group-frame(s) would be exchanged"
               if cam["repaired"] else "its own repair: nothing to relabel")
        agreed = (f"labels of {cam['agreed']} group-frame(s) would be exchanged to agree with the other cameras"
                  if cam["agreed"] else "its labels agree with the other cameras'")
        repair = (f"camera {cam['index']} of {cam['count']}" + (f" ({cam['name']})" if cam["name"] else "")
                  + (f", {cam['skeleton']} pairs: {own}; {agreed}" if cam["skeleton"] else
                     ": none (no skeleton with left/right pairs)"))
    lines.append(f"  left/right repair: {repair}")
    if info.get("reassigned"):
        lines.append(f"  identity swaps: {info['reassigned']} person-frames would follow their own person")
    if info.get("cuts"):
        lines.append("  cuts (a jump to another shot, place or person; each side refined alone, --no-cuts to smooth "
                     "over them): " + "; ".join(f"track {k!r} at frame(s) {', '.join(map(str, v[:10]))}"
                                               + (f" and {len(v) - 10} more" if len(v) > 10 else "")
                                               for k, v in info["cuts"].items()))
    return lines


def inspect_views(pose_file, views: np.ndarray, model: str | None = None, fps: float | None = None,
                  skeleton: str | None = None, cameras: Any = None) -> dict[str, Any]:
    """What ``synsp refine --views`` would do with ``views`` ``(T, P, J, D)``, the P synchronised views of one person
    in ``pose_file`` (:func:`synsp.batch.read_views`), without refining.

    Returns a dict: ``format``, ``description``, ``joints``, ``dims``, ``units``, ``file_fps``, ``fps`` (the rate
    refining would use), ``fps_given``, ``frames``, ``views`` (P), ``missing`` (per view, the share of its joints
    that are NaN), ``method`` (the name: ``model``, else :func:`synsp.api.choose_model`'s for P views;
    :func:`synsp.batch.views_method`), ``together`` (the views refined together or fused, else each alone),
    ``delay`` (frames, None for a whole-sequence method), ``min_frames``, ``refused`` (why refine refuses the views,
    else None), ``calibrated`` (``cameras`` given), ``repair`` (the skeleton whose pairs the repair uses, or None),
    ``repaired`` and ``agreed`` (per view, the group-frames its own repair and then the views' agreement would
    relabel: :func:`synsp.api.views_relabelled`; None when refused)."""
    T, P, J, D = views.shape
    refiner, name = views_method(pose_file, P, model, fps if fps is not None else pose_file.fps, skeleton)
    least = min_frames_of(refiner)
    rate = fps if fps is not None else pose_file.fps
    used_fps = float(rate or getattr(getattr(refiner, "card", None), "fps", None) or 30.0)
    refused = found = None
    if T < least:  # refine's words (synsp.cli)
        refused = (f"the views are {T} frames long, shorter than the {least} frames {name} needs; nothing to refine. "
                   "Pass a method that takes shorter tracks (e.g. --model kalman-rts+view-mean, from 3 frames in any "
                   "units) or a longer recording")
    else:
        conf = pose_file.scores_array()
        scores = {} if conf is None else {"confidence" if pose_file.scores_mark_missing else "visibility": conf}
        found = views_relabelled(views, refiner, skeleton, cameras=cameras, **scores)
    delay = getattr(refiner, "delay", None)
    missing = np.isnan(views).any(-1).mean(axis=(0, 2)) if T else np.ones(P)
    return dict(format=pose_file.format, description=FORMATS.get(pose_file.format, ("", ""))[1], joints=J, dims=D,
                units=pose_file.units, file_fps=pose_file.fps, fps=used_fps, fps_given=fps is not None, frames=T,
                views=P, missing=[float(m) for m in missing], method=name,
                together=name.endswith(VIEW_MEAN) or bool(getattr(refiner, "views_together", False)),
                delay=None if delay in (None, WHOLE_SEQUENCE) else int(delay), min_frames=least, refused=refused,
                calibrated=cameras is not None,
                repair=None if found is None or found["skeleton"] is None else found["skeleton"].name,
                repaired=None if found is None else [int(n) for n in found["repaired"]],
                agreed=None if found is None else [int(n) for n in found["agreed"]])


def describe_views(info: dict[str, Any], source: Any = None) -> list[str]:
    """The lines ``synsp inspect --views`` prints for :func:`inspect_views`'s dict."""
    rate = (f"{info['fps']:g} fps (given)" if info["fps_given"] else f"{info['file_fps']:g} fps (the file's)"
            if info["file_fps"] else f"not in the file: {info['fps']:g} fps assumed (give --fps)")
    delay = "whole sequence (offline)" if info["delay"] is None else f"{info['delay']} frames of delay"
    if info["dims"] == 2:
        how = "each camera's view refined alone"
    else:
        how = ("the views refined together, then fused" if info["together"] else
               f"each view refined alone (--model {info['method']}{VIEW_MEAN} fuses them)")
    lines = [f"{source}: {info['format']} ({info['description']})" if source else info["format"],
             f"  views: {info['views']} synchronised views of one person (--views), {info['joints']} joints, "
             f"{info['dims']}D, units {info['units']}" + (", calibrated (--cameras)" if info["calibrated"] else ""),
             f"  frame rate: {rate}; {_count(info['frames'], 'frame')}",
             "  missing joints: " + ", ".join(f"view {p} {100 * m:.1f} %" for p, m in enumerate(info["missing"])),
             f"  method: {info['method']} ({delay}); {how}"]
    if info["refused"]:
        lines.append(f"  refine: refuses these views: {info['refused']}")
        return lines
    found = dict(skeleton=info["repair"], repaired=info["repaired"], agreed=info["agreed"])
    lines.append("  left/right repair: " + (f"on ({info['repair']} pairs): " if info["repair"] else "")
                 + views_labels(found, info["dims"], info["calibrated"], would=True))
    return lines


def views_labels(found: dict | None, dims: int, calibrated: bool, would: bool = False) -> str:
    """What the left/right repair of ``synsp refine --views`` relabels, in words: ``found`` is
    :func:`synsp.api.views_relabelled`'s dict (None: --no-repair), the group-frames (a limb group in a frame) each
    view's own repair and then the views' agreement relabel, per view numbered from 0; ``would``: as inspect says
    it, before refining."""
    done = "would be" if would else "were"
    if found is None:
        return "left/right labels not repaired (--no-repair)"
    if found["skeleton"] is None:
        return "left/right labels not repaired (no skeleton with left/right pairs: --skeleton NAME names one)"

    def per(counts) -> str:
        return ", ".join(f"view {p} in {int(n)}" for p, n in enumerate(counts) if n)

    own = (f"each view's own repair: labels of {int(sum(found['repaired']))} group-frame(s) {done} exchanged "
           f"({per(found['repaired'])})" if any(found["repaired"]) else "each view's own repair: nothing to relabel")
    if dims == 2 and not calibrated:
        return f"{own}; the cameras' labels {'would not be' if would else 'were not'} compared (no --cameras)"
    other = "cameras" if dims == 2 else "views"
    agreed = (f"labels of {int(sum(found['agreed']))} group-frame(s) {done} exchanged to agree with the other "
              f"{other} ({per(found['agreed'])})" if any(found["agreed"]) else f"the {other}' labels agree")
    return f"{own}; {agreed}"


def _count(n: int, word: str) -> str:
    """``1 frame``, ``2 frames``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def as_plain(value: Any) -> Any:
    """``value`` with numpy scalars, tuples and non-string keys (track ids) made JSON-ready (``synsp inspect --json``)."""
    if isinstance(value, dict):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
