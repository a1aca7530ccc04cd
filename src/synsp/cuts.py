"""Cuts: frames where a track jumps to another shot, another place or another person.

An edited video (a cut between cameras or scenes), two recordings written one after the other, a tracker that
hands a track to someone else, a mocap file that starts in its rest pose: the poses jump at one frame and go
on smoothly from there.  Every smoother spreads such a jump over its neighbours: on the corpus's test clips
joined two by two at a cut (the second clip elsewhere, clean), the second around the cut gets 68 mm of MPJPE
from the default network, 87 from Kalman-RTS and 54 from Butterworth, against 0.3, 2.6 and 1.3 mm when each
side is refined alone (``python benchmarks/cuts.py``).  So the refiners run on each side of a cut alone.

A step from frame ``t - 1`` to ``t`` is a cut when

* the joints moved, on average, at least :data:`CUT_JUMP` of the person's size (the larger side of the joint
  box of either frame) in that one step;
* that step is at least :data:`CUT_RATIO` times every other step within :data:`CUT_NEIGHBOURHOOD_S` seconds
  (at least 3 frames) on either side: a jump and not fast motion, nor a single frame thrown away (which
  jumps out and back);
* it is not a left/right inversion: with the skeleton's pairs of any combination of limb groups (arms, legs,
  head, ...) exchanged, the step is more than half the step itself, or still at least :data:`CUT_JUMP` or
  :data:`CUT_RATIO` times every other step around it (a rest pose turned round from its take looks half
  mirrored, and is still a jump); inversions are the repair's (:mod:`synsp.repair`, which repairs each side of a
  cut alone).

The thresholds were chosen on the corpus's training split (``CUT_JUMP`` among 0.08-0.25, ``CUT_RATIO`` among
3, 4 and 6): no cut on its clips, clean at 1x-4x speed or under any error family or preset, in 3D and 2D,
while 76 % (3D) / 89 % (2D) of cuts to another pose in the same place are found (all cuts to another place).

Only frames where at least :data:`CUT_SEEN` of the joints are valid count (of a whole body, its body joints:
:func:`judged_joints`), and only where they and their
neighbours are: a stretch of frames with a few joints (an estimator losing the body) is no evidence of a cut.
A step over frames where the person was not detected at all is the jump between the frames around them (the
ratio uses it per frame), and the part after the cut begins with the first frame seen after the jump (the
missing frames before it stay with the part before, as a stream has them).  A part shorter than a refiner needs
(a false detection far away for a frame or two, a rest pose in front of a take) is left as it is when each of its
frames is one the cuts are judged by (a joint below the score threshold there keeps its written position) or holds
no valid joint at all (:func:`whole_frames`), else it stays with its neighbour (:func:`parts`).

Joint rotations (SMPL, BVH read as rotations) are cut on the joint positions they give
(:func:`find_rotation_cuts`).  The global orientation's turn alone was tried first and not kept: it fired on
a clean corpus take and 54 times under the ``quantized`` family at 7.5 degrees, where a snapped orientation
turns at once (docs/results.md, *Cuts*).
"""

from __future__ import annotations

import warnings
from collections import deque
from typing import Any

import numpy as np

from .geometry import axis_angle_to_matrix
from .kinematics import forward_kinematics
from .repair import decided_pairs
from .skeletons import BODY_JOINTS, get_skeleton, smpl24_joints
from .validation import SynspInputError

__all__ = ["CUT_JUMP", "CUT_RATIO", "CUT_NEIGHBOURHOOD_S", "CUT_SEEN", "OnlineCuts", "find_cuts", "find_rotation_cuts",
           "judged_joints", "parts", "whole_frames"]

#: the mean joint step, as a share of the person's size, from which one frame's step can be a cut
CUT_JUMP = 0.12
#: how many times larger than every other step around it a cut's step is
CUT_RATIO = 4.0
#: seconds on each side of a step that :data:`CUT_RATIO` compares it with (at least 3 frames)
CUT_NEIGHBOURHOOD_S = 0.15
#: the share of the joints valid in both frames of a step for it to be judged
CUT_SEEN = 0.8
#: frames handled at a time (an hour of a whole body in bounded memory)
CHUNK = 4096


def judged_joints(skeleton: Any, num_joints: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(joints, flips)``: the joints of a pose of ``skeleton`` (a :class:`synsp.skeletons.Skeleton` or None) that
    a cut is judged on, and ``(K, n)`` permutations of them that relabel each combination of the skeleton's limb
    groups (:func:`synsp.repair.decided_pairs`: arms, legs, head, other pairs; the whole body among them), the
    inversions an estimator makes.  A whole body's body joints (:data:`synsp.skeletons.BODY_JOINTS`: its hands
    and face, often below the score threshold, would keep most frames from counting); every joint otherwise
    (``joints`` None).  ``(None, None)`` when ``skeleton`` is None or not of ``num_joints`` joints; ``flips`` None
    when it has no left/right pairs."""
    if skeleton is None or skeleton.num_joints != num_joints:
        return None, None
    groups = list(decided_pairs(skeleton).values())
    flips = []
    for mask in range(1, 2 ** len(groups)):
        perm = np.arange(num_joints)
        for g, pairs in enumerate(groups):
            if mask >> g & 1:
                for a, b in pairs:
                    perm[a], perm[b] = b, a
        flips.append(perm)
    flips = np.asarray(flips, dtype=np.int64).reshape(-1, num_joints) if flips else None
    body = BODY_JOINTS.get(skeleton.name)
    if body is None:
        return None, flips
    body = np.asarray(body, dtype=np.int64)
    return body, None if flips is None else flips[:, body]


def find_cuts(poses: Any, fps: float | None = None, valid: Any = None, flip: Any = None,
              skeleton: Any = None) -> np.ndarray:
    """The frames where a new part of ``poses`` ``(T, J, D)`` begins after a cut (see the module docstring),
    sorted, each in ``1..T-1``; an empty array when there is none.

    ``fps``: the frame rate (None: 30); ``valid`` ``(T, J)``: the joints to use (default: the finite ones);
    ``flip``: a left/right permutation of the joints (``Skeleton.flip_permutation``), or ``(K, J)`` of them, so
    that an inversion is not taken for a cut; or ``skeleton`` (a :class:`synsp.skeletons.Skeleton` of J joints)
    for both the permutations (each limb group's inversion) and the joints to judge (:func:`judged_joints`).
    """
    x = np.asarray(poses)
    x = x if x.dtype == np.float32 else x.astype(np.float64, copy=False)  # float32 kept: judged in float64 by chunk
    if x.ndim != 3:
        raise SynspInputError(f"poses has shape {x.shape}; expected (T, J, D)")
    ok = _valid(x, valid)
    if skeleton is not None:
        joints, flip = judged_joints(skeleton, x.shape[1])
        if joints is not None:
            x, ok = x[:, joints], ok[:, joints]
    flips = _flips(flip, x.shape[1])
    steps = _steps(ok)
    if steps is None:
        return np.zeros(0, dtype=np.int64)
    prev, nxt, judged = steps
    size = np.empty(len(x))  # the larger side of each frame's joint box, a few thousand frames at a time
    for a in range(0, len(x), CHUNK):
        box = np.where(ok[a:a + CHUNK, :, None], x[a:a + CHUNK].astype(np.float64), np.nan)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a frame with no valid joint: NaN, never judged
            size[a:a + CHUNK] = (np.nanmax(box, axis=1) - np.nanmin(box, axis=1)).max(-1)
    scale = np.maximum(np.nan_to_num(np.maximum(size[prev], size[nxt])), np.finfo(np.float64).tiny)

    def mean_step(k: np.ndarray, order: Any = slice(None)) -> np.ndarray:
        """The mean step of the joints valid in both frames of steps ``k``, ``order``: the later frame's joints
        relabelled (``flip``), as a share of the person's size."""
        out = np.empty(len(k))
        for a in range(0, len(k), CHUNK):
            i, j = prev[k[a:a + CHUNK]], nxt[k[a:a + CHUNK]]
            mask = ok[i] & ok[j][:, order]
            step = x[j][:, order].astype(np.float64) - x[i]
            d = np.linalg.norm(np.where(mask[..., None], step, 0.0), axis=-1)
            out[a:a + CHUNK] = d.sum(1) / np.maximum(mask.sum(1), 1)
        return out / scale[k]

    every = np.arange(len(prev))
    jump = mean_step(every)  # (S,) share of the size
    cut = _cut_steps(jump, prev, nxt, judged, fps, CUT_JUMP)
    if flips is not None and cut.any():
        idx = np.flatnonzero(cut)
        for flip in flips:
            # an inversion: under these labels the step is at most half as long and an ordinary one, under CUT_JUMP
            # and not CUT_RATIO times the steps around it (a rest pose turned round from its take looks half
            # mirrored, and is still a jump)
            other = jump.copy()
            other[idx] = mean_step(idx, flip)
            ordinary = (other[idx] < CUT_JUMP) & ~_cut_steps(other, prev, nxt, judged, fps, 0.0)[idx]
            cut[idx[(other[idx] <= 0.5 * jump[idx]) & ordinary]] = False
    k = np.flatnonzero(cut)
    return nxt[k].astype(np.int64)  # the first frame seen after the jump


def find_rotation_cuts(rotations: Any, fps: float | None = None, valid: Any = None, layout: Any = None) -> np.ndarray:
    """:func:`find_cuts` of joint rotations ``(T, J, 3)`` (local axis-angles; ``valid`` ``(T, J)``, default the
    finite ones) on the joint positions they give by forward kinematics: of a BVH's own skeleton (``layout``,
    the reader's ``meta['bvh']``) or, for 22 / 24 joints, of SMPL's (:func:`synsp.skeletons.smpl24_joints`,
    with its left/right pairs); no cut for other joint sets.  A frame with a missing rotation counts as missing
    in every joint.  On the corpus's training split (SMPL-24, 52,754 frames) it finds none in clean motion at
    1x-4x speed nor under the held-out families (2.5 and 7.5 degrees); it finds the rest pose in front of 29
    of the 89 BVH takes in ``../shared/data/cmu_mocap`` (the ones far from their first frame)."""
    r = np.asarray(rotations, dtype=np.float64)
    if r.ndim != 3 or r.shape[-1] != 3:
        raise SynspInputError(f"rotations has shape {r.shape}; expected (T, J, 3) axis-angles")
    ok = _valid(r, valid)
    T, J = r.shape[:2]
    whole = ok.all(-1)[:, None]  # (T, 1): every rotation of the frame valid
    bvh = layout is not None and len(layout.rotating) == J
    if not bvh and J not in (22, 24):
        return np.zeros(0, dtype=np.int64)
    # float32 (an hour of a 57-joint BVH at 120 Hz: 300 MB, not 600); find_cuts judges each chunk in float64
    pos = np.empty((T, len(layout.names) if bvh else 24, 3), dtype=np.float32)
    for a in range(0, T, CHUNK):  # a few thousand frames at a time: an hour of a body in bounded memory
        rot = np.where(ok[a:a + CHUNK, :, None], r[a:a + CHUNK], 0.0)
        if bvh:
            mats = np.tile(np.eye(3), (len(rot), len(layout.names), 1, 1))
            mats[:, np.asarray(layout.rotating)] = axis_angle_to_matrix(rot)
            pos[a:a + CHUNK], _ = forward_kinematics(mats, np.asarray(layout.offsets, dtype=np.float64),
                                                        np.asarray(layout.parents), np.zeros((len(rot), 3)))
        else:  # SMPL's body (SMPL-X / SMPL-H: its first 22 joints)
            pos[a:a + CHUNK] = smpl24_joints(np.concatenate([rot, np.zeros((len(rot), 24 - J, 3))], axis=1))
    return find_cuts(pos, fps, np.repeat(whole, pos.shape[1], axis=1), skeleton=None if bvh else get_skeleton("smpl24"))


def _flips(flip: Any, joints: int) -> np.ndarray | None:
    """``flip`` (one permutation of ``joints`` or ``(K, joints)`` of them) as ``(K, joints)`` ints, or None."""
    if flip is None:
        return None
    flips = np.asarray(flip, dtype=np.int64)
    flips = flips[None] if flips.ndim == 1 else flips
    if flips.ndim != 2 or flips.shape[1] != joints:
        raise SynspInputError(f"flip has shape {flips.shape} for {joints} joints; expected ({joints},) or "
                              f"(K, {joints})")
    return flips


def _valid(x: np.ndarray, valid: Any) -> np.ndarray:
    """``(T, J)`` the joints to judge: finite, and ``valid`` where given."""
    ok = np.isfinite(x).all(-1)
    return ok if valid is None else ok & np.asarray(valid, dtype=bool).reshape(ok.shape)


def _steps(ok: np.ndarray):
    """The steps between consecutive frames with at least :data:`CUT_SEEN` of the joints valid: ``(prev, nxt,
    judged)``, or None when there are fewer than 3 such frames.  A step is judged when that share of the joints
    is valid in both frames and the frames it skips hold no joint at all (the person not detected); frames of a
    few joints (a messy stretch of the estimator) are no evidence of a cut."""
    T, J = ok.shape
    if T < 3 or J < 2:
        return None
    need = max(2, CUT_SEEN * J)
    seen = np.flatnonzero(ok.sum(1) >= need)
    if len(seen) < 3:
        return None
    prev, nxt = seen[:-1], seen[1:]
    partial = np.concatenate([[0], np.cumsum(ok.any(1) & (ok.sum(1) < need))])
    judged = ((ok[prev] & ok[nxt]).sum(1) >= need) & (partial[nxt] - partial[prev + 1] == 0)
    return prev, nxt, judged


def _neighbourhood(fps: float | None) -> int:
    """The steps on each side of a step that :data:`CUT_RATIO` compares it with: :data:`CUT_NEIGHBOURHOOD_S` at
    ``fps`` (None: 30), at least 3."""
    return max(3, int(round(CUT_NEIGHBOURHOOD_S * (30.0 if fps is None else float(fps)))))


def _cut_steps(jump: np.ndarray, prev: np.ndarray, nxt: np.ndarray, judged: np.ndarray, fps: float | None,
               threshold: float) -> np.ndarray:
    """``(S,)`` True where a step's ``jump`` is at least ``threshold`` and, per frame, :data:`CUT_RATIO` times
    every other step's within :data:`CUT_NEIGHBOURHOOD_S`, itself and its neighbours judged."""
    speed = jump / (nxt - prev)
    w = _neighbourhood(fps)

    def around(a: np.ndarray, edge) -> np.ndarray:  # (S, 2w + 1): each step's neighbourhood, itself at w
        return np.lib.stride_tricks.sliding_window_view(np.concatenate([np.full(w, edge), a, np.full(w, edge)]),
                                                        2 * w + 1)

    near = around(speed, 0.0)
    others = np.maximum(near[:, :w].max(1), near[:, w + 1:].max(1))
    return around(judged, True).all(1) & (jump >= threshold) & (speed >= CUT_RATIO * others)


def whole_frames(valid: Any, skeleton: Any = None, finite: Any = None) -> np.ndarray:
    """``(T,)`` bool: the frames of ``valid`` ``(T, J)`` (the joints a refiner takes as observed; ``skeleton``: a
    :class:`synsp.skeletons.Skeleton`, a registered name or None) that a part too
    short to refine may be left as it is in (``parts``' ``complete``): those with at least :data:`CUT_SEEN` of the
    joints a cut is judged on valid (of ``skeleton``'s whole body its body joints, :func:`judged_joints`; every
    joint otherwise), the frames :func:`find_cuts` judges a step by, and those with no valid joint (the person not
    detected: nothing to refine there).  With ``finite`` ``(T, J)`` (the joints with coordinates), for a caller
    that promises every missing joint filled (:func:`synsp.refine` of one ``(T, J, D)`` track), only frames in
    which every joint has coordinates: a part left as it is would leave a NaN joint (or frame) unfilled, so such a
    part stays with its neighbour, filled there.

    Not "every joint valid": a false detection far away with one keypoint below the score threshold (or, in a whole
    body, a face or hand point) would then keep the cut from standing, and the fragment would be refined into its
    neighbour, dragging the real person's last frames towards it.  A joint below the threshold in a part left as it
    is keeps the position it was given, as in a track part too short to refine; a frame of a few joints (an
    estimator losing the body, no evidence of a cut either) keeps a short part with its neighbour."""
    ok = np.asarray(valid, dtype=bool)
    if ok.ndim != 2:
        raise SynspInputError(f"valid has shape {ok.shape}; expected (T, J)")
    joints, _ = judged_joints(get_skeleton(skeleton) if isinstance(skeleton, str) else skeleton, ok.shape[1])
    judged = ok if joints is None else ok[:, joints]
    out = (judged.sum(1) >= max(2, CUT_SEEN * judged.shape[1])) | ~ok.any(1)  # the share find_cuts judges frames by
    return out if finite is None else out & np.asarray(finite, dtype=bool).reshape(ok.shape).all(1)


def parts(length: int, cuts: Any, least: int = 1, complete: Any = None) -> list[tuple[int, int]]:
    """``[(a, b), ...]``: the frames ``0..length`` split at ``cuts`` (sorted frame indices).  A cut that would
    leave a part shorter than ``least`` frames (too short for a refiner) is kept only when ``complete``
    (``(length,)`` bool, the frames that may be left as they are: :func:`whole_frames`) is true on all that part:
    such a part is left as it is (a rest pose in front of a mocap take, a flash of another shot, a false
    detection far away); otherwise the part stays with its neighbour (``complete`` None: never)."""
    ok = np.zeros(length, dtype=bool) if complete is None else np.asarray(complete, dtype=bool)

    def fits(a: int, b: int) -> bool:
        return b - a >= least or bool(ok[a:b].all())

    bounds = [0]
    for c in sorted(int(c) for c in np.asarray(cuts).ravel()):
        if 0 < c < length and c > bounds[-1] and fits(bounds[-1], c) and fits(c, length):
            bounds.append(c)
    bounds.append(int(length))
    return list(zip(bounds[:-1], bounds[1:]))


class OnlineCuts:
    """:func:`find_cuts` frame by frame, for a stream: :meth:`push` takes each frame of one track and gives back
    the frames whose part is decided, each with whether a new part begins at it after a cut; :meth:`finish`
    gives back the rest at the track's end.  The cuts are those :func:`find_cuts` finds on the whole track.

    A step that may be a cut (every condition but the steps after it) holds its frame and the frames after it
    until the next ``w`` steps are in (:data:`CUT_NEIGHBOURHOOD_S`, at least 3 frames): at such a jump, and
    only there, frames come back up to ``w`` frames later than the others.
    """

    def __init__(self, joints: int, fps: float | None = None, flip: Any = None, skeleton: Any = None):
        self.joints, flip = judged_joints(skeleton, joints) if skeleton is not None else (None, flip)
        self.need = max(2, CUT_SEEN * (int(joints) if self.joints is None else len(self.joints)))
        self.w = _neighbourhood(fps)
        self.flips = _flips(flip, int(joints) if self.joints is None else len(self.joints))
        self.frame = -1  # the frames pushed so far, less one
        self.last: tuple | None = None  # (frame, x, ok) of the last frame with enough joints
        self.partial = False  # a frame of a few joints since then (the next step is not judged)
        self.past: deque = deque(maxlen=self.w)  # (speed, judged) of the steps before
        self.candidate: dict | None = None  # a step that may be a cut: its speed, the steps after it, held frames

    def push(self, x: Any, ok: Any, payload: Any) -> list[tuple[Any, bool]]:
        """One frame ``x`` ``(J, D)`` (None: absent) with its valid joints ``ok`` ``(J,)``; returns ``[(payload,
        cut before it), ...]`` of the frames decided, oldest first (``payload``: whatever the caller keeps)."""
        self.frame += 1
        if x is not None and self.joints is not None:  # a whole body: its body joints
            x, ok = np.asarray(x)[self.joints], np.asarray(ok)[self.joints]
        ok = np.zeros(0, dtype=bool) if x is None else np.asarray(ok, dtype=bool) & np.isfinite(x).all(-1)
        if ok.sum() < self.need:  # not a frame to judge a step by
            self.partial |= bool(ok.any())
            if self.candidate is not None:
                self.candidate["held"].append(payload)
                return []
            return [(payload, False)]
        x = np.asarray(x, dtype=np.float64)
        seen = x[ok]
        size = float((seen.max(0) - seen.min(0)).max())
        step = self._step(x, ok, size)
        self.last, self.partial = (self.frame, x, ok, size), False
        if step is None:  # the first frame with enough joints
            return [(payload, False)]
        speed, judged, jump, mirrored = step
        out: list = []
        if self.candidate is not None:
            c = self.candidate
            if judged and speed * CUT_RATIO <= c["speed"]:
                c["after"].append((speed, judged))
                c["held"].append(payload)
                return self._release(cut=True) if len(c["after"]) == self.w else []
            out = self._release()  # not a cut: a larger or unjudged step within w after it
        before = max([s for s, _ in self.past] + [0.0])  # the steps before it (none before the track: 0)
        if judged and all(j for _, j in self.past) and jump >= CUT_JUMP and speed >= CUT_RATIO * before:
            self.candidate = dict(speed=speed, step=(speed, judged), after=[], held=[payload], mirrored=mirrored,
                                  before=before)
            return out
        self.past.append((speed, judged))
        return out + [(payload, False)]

    def finish(self) -> list[tuple[Any, bool]]:
        """The frames still held, decided as :func:`find_cuts` decides the last steps of a track (nothing after
        them); the detector then starts over, as for a new track."""
        out = self._release(cut=True) if self.candidate is not None else []
        self.frame, self.last, self.partial = -1, None, False
        self.past.clear()
        return out

    def _release(self, cut: bool = False) -> list[tuple[Any, bool]]:
        """The held frames of the candidate, a cut before the first when ``cut`` (and the jump is no inversion: no
        relabelling makes it at most half as long, under CUT_JUMP and less than CUT_RATIO times the steps around it,
        the ``w`` before and after); its steps join the past."""
        c, self.candidate = self.candidate, None
        around = max([c["before"]] + [s for s, _ in c["after"]])
        cut = cut and not any(j < CUT_JUMP and m < CUT_RATIO * around for j, m in c["mirrored"])
        self.past.append(c["step"])
        self.past.extend(c["after"])
        return [(p, cut and k == 0) for k, p in enumerate(c["held"])]

    def _step(self, x: np.ndarray, ok: np.ndarray, size: float):
        """``(speed, judged, jump, mirrored)`` of the step from the last frame with enough joints to ``x`` (whose
        valid joints' box has the larger side ``size``), as :func:`find_cuts` measures it (None for a track's
        first such frame); ``mirrored``: ``(jump, speed)`` of the step under each relabelling that makes it at most
        half as long (at a jump of at least CUT_JUMP)."""
        if self.last is None:
            return None
        t0, x0, ok0, size0 = self.last
        both = ok0 & ok
        scale = max(size0, size, np.finfo(np.float64).tiny)

        def mean_step(a: np.ndarray, mask: np.ndarray) -> float:
            d = a[mask] - x0[mask]
            return float(np.sqrt((d * d).sum(-1)).sum() / max(len(d), 1) / scale)

        jump = mean_step(x, both)
        judged = int(both.sum()) >= self.need and not self.partial
        mirrored = []
        if self.flips is not None and jump >= CUT_JUMP:
            for flip in self.flips:
                other = mean_step(x[flip], ok0 & ok[flip])
                if other <= 0.5 * jump:
                    mirrored.append((other, other / (self.frame - t0)))
        return jump / (self.frame - t0), judged, jump, mirrored
