"""Online refinement: push frames as they come, get refined frames after a fixed delay.

``Stream(model)`` keeps, per track, the last ``W`` input frames and the
partial window averages of the frames not yet final.  Every pushed frame
completes one window, which is refined at once; the oldest pending frame is
then covered by every window it will ever be in, so it is returned: the
refinement's **delay is W - 1 frames** (7 frames, 233 ms at 30 fps, for
W = 8), plus the left/right repair's when it is asked for (below; ``repair=True``).
``flush()`` returns the frames still pending of every track (averaged over the
windows that exist, as offline refinement does at a sequence's end).

The output equals offline :func:`synsp.refine` of the whole track frame for
frame when no joint is missing and the stream runs at the model's frame rate
(with the left/right repair, where its delay settles the labels; below).

**Many people, frame times, absences.**  ``step({track_id: frame, ...})``
pushes one frame time for every person detected in it and refines all the
windows that became complete in **one batched network forward** (a push
refines a batch of one); it returns ``{track_id: frames}``.  A stream fed
with frame times (``step``, or ``push(..., time=t)`` with ``t`` the frame
index) applies the offline rule of :func:`synsp.api.refine_pose_file`:

* a track absent for at most ``max_gap`` frames (default: half a second at
  the model's frame rate, 15 frames at 30 fps, as offline) goes on: the absent
  frames hold the last observed pose inside the windows (flagged missing to
  models trained with a mask; offline interpolates them) and are not returned;
* a track absent for more than ``max_gap`` frames is **ended**: its pending
  frames are returned (equal to offline refinement of the part that ended)
  and its state is freed; when the id comes back, a new track starts (equal
  to offline refinement of the new part; a part shorter than the window is
  refined as one padded window, as :func:`synsp.refine` does, where
  ``refine_pose_file`` leaves it raw).  The stream ends a vanished track
  as soon as it knows the absence is longer than ``max_gap``: at the first
  ``step`` at least ``max_gap + 1`` frames after the track's last frame, or
  the first ``push`` at least ``max_gap + 2`` frames after it (a push at
  time ``t`` cannot know whether the track will still come at ``t``).

How frames come back: every returned list is a :class:`Frames`, a plain
``list`` of refined frames, oldest first, with ``.times`` (their frame
times).  ``push`` returns the frames of its own track (the pending frames of
a part it ended first, when the track comes back after a long absence) and,
in ``.ended``, ``{other_track_id: Frames}`` for the other tracks it ended;
``step`` returns one dict holding both (an entry for every id it was given
and for every track it ended); ``flush`` returns ``{track_id: Frames}`` and
frees every track (or one).  Frames are returned once: a track ended by a
push is gone from ``stream.tracks`` and from later flushes.  Times are
integers that never go back: ``step`` uses the next frame time unless
``time=`` is given; ``push(time=t)`` needs ``t`` at least the latest time
seen and above the track's last one.

A stream pushed **without** times (``push(frame, track_id)``, the original
API) cannot see absences: every frame follows its track's previous one, a
track is never ended by the stream and is kept until ``flush(track_id)``
(``Frames.times`` count the track's frames).  A stream takes times or no
times, not both.

``Stream(model, causal=True)`` has **zero delay**: each pushed frame is
returned at once as the last frame of the refined window ending at it (the
start of a track is padded with its first frame), equal to
``NetworkRefiner(..., causal=True)`` offline.  The shipped models were trained
on whole windows, so their last frame is less accurate than the averaged
output (see the README).
Missing joints (NaN, or confidence below ``min_confidence``) can only be
filled from the past online: they hold their last observed value and are
flagged to models trained with a mask.  Frames before a track's first
observed joint are dropped (nothing to hold).

``Stream(model, skeleton="mediapipe33")`` streams a larger skeleton that
contains the model's joints (MediaPipe-33, BODY_25, WholeBody-133 for the
COCO-17 model): those joints go through the network; every other joint
follows its nearest refined joint with its offset from it smoothed online
(exponential smoothing, 2 Hz cut-off at the model's rate), as
:class:`synsp.refiners.SubsetRefiner` does offline.

``Stream("synsp-smpl24-rot-w8")`` streams SMPL rotations: frames are ``(24, 3)``
axis-angles, refined as 6D vectors (the windows averaged on them, as offline)
and returned as axis-angles.

**Left/right repair online.**  ``repair=True`` repairs left/right inversions of
arms, legs and head before refining (:class:`synsp.repair.OnlineRepair`, the
model of :func:`synsp.repair.repair_inversions`), for a model whose skeleton
has left/right pairs (the larger ``skeleton`` when given: hands and feet
follow their limb); not for SMPL rotations.  It is off by default, unlike the
offline refinement, because it adds a second of delay and, per person,
unbatched work (100 people: about twice the time per frame): a stream's
default stays the model's delay.  Each frame is
held ``repair_delay`` frames (default one second at the model's frame rate:
30 frames at 30 fps) and given to the network with its labels in the best
labelling of the track up to then, so **the delay is W - 1 + repair_delay
frames** (37 frames, 1.23 s at 30 fps; ``stream.delay``; ``model_delay`` and
``repair_delay`` apart).  That is for live analysis, broadcast, coaching and
dashboards, which accept a second or two; interactive uses (games, AR) keep
the default ``repair=False`` (or a causal model) and take the inversions as they come.
The frames come out relabelled (the confidences with them) and equal to
offline refinement with repair where the delay settles each frame's labels
as the whole track does: an inversion that ends within the delay, or a
longer one whose start alone is clear evidence.  A longer inversion can be
left for a while before its end comes into view; one at a track's start is
repaired when the delay covers about twice its length, else left (and some
frames after it can be relabelled instead).  The jitter unit the costs use is
measured on the track so far (the first ``repair_delay + 1`` frames, then a
running median), not on the whole track.  ``stream.relabelled`` is
``{track_id: {group: frames}}`` of the frames given out relabelled, as the
summary of :func:`synsp.api.refine_pose_file`.  Memory: ``repair_delay``
frames per track, plus 3.2 KB per limb group; cost: see ``benchmarks/stream_latency.py
--repair both``.

Bad arguments (a frame or confidence of the wrong shape, an unhashable or
unknown track id, a time that goes back) raise
:class:`synsp.validation.SynspInputError` with a one-line message and leave
the stream as it was.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Hashable

import numpy as np

from .geometry import axis_angle_to_rot6d, rot6d_to_axis_angle
from .refiners import NetworkRefiner, anchor_positions, extra_joint_anchors, get_refiner, subset_indices
from .repair import OnlineRepair, limb_groups, relabel
from .skeletons import SKELETONS, get_skeleton
from .validation import ABSURD_COORDINATE, SynspInputError

__all__ = ["Stream", "Frames"]


class Frames(list):
    """Refined frames of one track, oldest first: a ``list`` of arrays, with ``times`` (the frame time
    of each) and ``ended`` (from :meth:`Stream.push`: ``{track_id: Frames}`` of the other tracks the
    push ended; empty otherwise)."""

    def __init__(self, frames=(), times=()):
        super().__init__(frames)
        self.times: list[int] = list(times)
        self.ended: dict[Hashable, Frames] = {}


class _Track:
    """One track's state: ring buffers of the last ``W`` frames (a frame of absolute index ``a`` in
    the track sits in slot ``a % W`` of every buffer)."""

    __slots__ = ("frames", "missing", "sums", "counts", "real", "times", "offsets", "pushed",
                 "last_valid", "offset", "last_time", "repair")

    def __init__(self) -> None:
        self.frames = None  # (W, J, D) filled input frames (None before the first observed joint)
        self.missing = None  # (W, J) their missing flags
        self.sums = None  # (W, J, D) partial window sums of the pending output frames (not causal)
        self.counts = None  # (W,) windows summed in each
        self.real = None  # (W,) a pushed frame (False: the hold of an absent frame, not returned)
        self.times = None  # (W,) frame times
        self.offsets = None  # (W, E, D) smoothed extra-joint offsets (larger skeletons)
        self.pushed = 0  # frames taken (pushed and held-absent ones)
        self.last_valid = None  # (J, D) last filled frame
        self.offset = None  # (E, D) current smoothed extra-joint offsets
        self.last_time = -1  # time of the last frame pushed (taken or not)
        self.repair = None  # OnlineRepair: the frames waiting for their left/right labels (before the ring)


def _id(track_id: Any) -> str:
    return reprlib.repr(track_id)


class Stream:
    """Per-track online refinement with a window network (see the module docstring)."""

    def __init__(self, model: str = "synsp-h36m17-3d-w8", min_confidence: float = 0.3,
                 causal: bool | None = None, skeleton: str | None = None, max_gap: int | None = None,
                 repair: bool | None = None, repair_delay: int | None = None):
        """``causal=None`` follows the model card (``True`` for models trained with ``--causal``);
        ``skeleton``: frames of a larger skeleton containing the model's joints; ``max_gap``: the
        longest absence (in frames) inside a track of a stream fed with frame times, default half a
        second at the model's frame rate; ``repair``: left/right inversion repair online (default off:
        ``True`` for a model whose skeleton has left/right pairs; never for rotations),
        deciding each frame ``repair_delay`` frames after it came (default one second at the model's
        frame rate, 30 frames at 30 fps); see the module docstring."""
        from .rotations import RotationNetwork

        refiner = get_refiner(model) if not isinstance(model, (NetworkRefiner, RotationNetwork)) else model
        self.rotations = isinstance(refiner, RotationNetwork)  # axis-angles in and out, 6D inside
        if self.rotations:
            refiner = refiner.network
        if not isinstance(refiner, NetworkRefiner) or refiner.card.views != 1:
            raise SynspInputError(f"Stream needs a single-view window network; {model!r} is not one")
        if max_gap is not None and (isinstance(max_gap, bool) or not isinstance(max_gap, numbers.Integral)
                                    or max_gap < 0):
            raise SynspInputError(f"max_gap is {max_gap!r}; expected a whole number of frames >= 0 (or None)")
        self.refiner = refiner
        self.card = refiner.card
        self.window = refiner.card.window
        self.causal = refiner.causal if causal is None else causal
        self.model_delay = 0 if self.causal else self.window - 1
        self.min_confidence = min_confidence
        self.max_gap = int(round(0.5 * self.card.fps)) if max_gap is None else int(max_gap)
        self.tracks: dict[Hashable, _Track] = {}
        self.time = -1  # the latest frame time seen (streams fed with times)
        self._timed: bool | None = None  # fed with frame times (step / push(time=)), without, or not yet
        self._seen: OrderedDict[Hashable, int] = OrderedDict()  # track -> last time, oldest first
        self._joints = self.refiner.skeleton.num_joints if self.refiner.skeleton else None
        self._order = (np.arange(self.window)[None, :] + np.arange(self.window)[:, None]) % self.window
        self.subset = None
        if skeleton is not None and skeleton != self.card.skeleton:
            self.subset = subset_indices(skeleton, self.card.skeleton)
            if self.subset is None:
                raise SynspInputError(f"skeleton {skeleton!r} does not contain every joint of "
                                      f"{self.card.skeleton!r}; {self.card.name} cannot stream it")
            self.extra, self.anchor = extra_joint_anchors(skeleton, self.subset)
            self.num_joints = get_skeleton(skeleton).num_joints
            self.smoothing = 1.0 - math.exp(-2 * math.pi * 2.0 / self.card.fps)
        self._setup_repair(repair, repair_delay, skeleton)
        self.delay = self.model_delay + self.repair_delay  # frames from a push to its refined frame
        self.relabelled: dict[Hashable, dict[str, int]] = {}  # track -> {group: frames given out relabelled}

    def _setup_repair(self, repair: Any, repair_delay: Any, skeleton: str | None) -> None:
        """The skeleton whose left/right pairs the online repair uses (None: no repair) and its delay."""
        name = skeleton if self.subset is not None else self.card.skeleton
        sk = None if self.rotations or name not in SKELETONS else SKELETONS[name]
        if sk is not None and (self.subset is None and sk.num_joints != self._joints or not limb_groups(sk)):
            sk = None
        if repair is not None and not isinstance(repair, bool):
            raise SynspInputError(f"repair is {repair!r}; expected True or False (None: off)")
        if repair and sk is None:
            why = ("SMPL rotations are not repaired" if self.rotations else
                   f"skeleton {name!r} has no left/right pairs to repair")
            raise SynspInputError(f"repair=True but {why}; pass repair=False (or leave it None)")
        self._repair_skeleton = sk if repair else None
        if repair_delay is None:
            repair_delay = int(round(self.card.fps))
        elif isinstance(repair_delay, bool) or not isinstance(repair_delay, numbers.Integral) or repair_delay < 0:
            raise SynspInputError(f"repair_delay is {repair_delay!r}; expected a whole number of frames >= 0 "
                                  "(or None: one second)")
        self.repair = self._repair_skeleton is not None
        self.repair_delay = int(repair_delay) if self.repair else 0
        self.repair_groups = tuple(limb_groups(sk)) if self.repair else ()

    # ------------------------------------------------------------------ public API

    def push(self, frame: Any, track_id: Hashable = 0, confidence: Any = None, time: int | None = None) -> Frames:
        """Add one frame ``(J, D)`` of a track (``confidence``: ``(J,)`` scores or one number; ``time``:
        its frame index, for the gap rule); returns the frames of this track that became final (0 or 1,
        more when held absent frames or an ended part come due), their ended-track companions in
        ``.ended`` (see the module docstring)."""
        entry = self._entry(track_id, frame, confidence)
        now = self._check_time(time, [entry], step=False)
        out = self._advance([entry], now, step=False)
        mine = out.pop(entry[0], Frames())
        mine.ended = out
        return mine

    def step(self, frames: Mapping, confidences: Mapping | None = None,
             time: int | None = None) -> dict[Hashable, Frames]:
        """One frame time: ``frames`` ``{track_id: (J, D) frame}`` of every person detected in it
        (``confidences`` ``{track_id: (J,) scores}`` for some or all), the windows of all tracks refined
        in one batched forward; tracks not in ``frames`` are absent at this time.  ``time``: the frame
        time (default: the one after the latest).  Returns ``{track_id: Frames}`` for every id given and
        every track ended (the pending frames of a track absent for more than ``max_gap`` frames)."""
        if not isinstance(frames, Mapping):
            raise SynspInputError(f"frames is a {type(frames).__name__}; expected a dict {{track_id: (J, D) frame}}")
        if confidences is None:
            confidences = {}
        elif not isinstance(confidences, Mapping):
            raise SynspInputError(f"confidences is a {type(confidences).__name__}; expected a dict "
                                  "{track_id: (J,) scores} or None")
        stray = [k for k in confidences if k not in frames]
        if stray:
            raise SynspInputError(f"confidences has track id {_id(stray[0])} that frames lacks; give a "
                                  "confidence only with its track's frame")
        entries = [self._entry(tid, f, confidences.get(tid)) for tid, f in frames.items()]
        now = self._check_time(time, entries, step=True)
        return self._advance(entries, now, step=True)

    def flush(self, track_id: Hashable | None = None) -> dict[Hashable, Frames]:
        """End tracks (all, or one): their remaining frames, oldest first."""
        if track_id is None:
            ids = list(self.tracks)
        else:
            self._check_id(track_id)
            if track_id not in self.tracks:
                why = (f" (ended after more than {self.max_gap} absent frames: its frames came back then)"
                       if self._timed else "")
                raise SynspInputError(f"track_id {_id(track_id)} is not in the stream: never pushed, already "
                                      f"flushed{why}; stream.tracks holds the live ones")
            ids = [track_id]
        emitted: list = []
        jobs: list = []
        tails = []
        for tid in ids:
            tails.append(self._end(tid, jobs))
        refined = self._refine_jobs(jobs)
        out = {tid: Frames() for tid in ids}
        for tid, tail in zip(ids, tails):
            self._emit_tail(tid, tail, refined, emitted)
        return self._deliver(emitted, out)

    # ------------------------------------------------------------------ validation

    @staticmethod
    def _check_id(track_id: Any) -> None:
        try:
            hash(track_id)
        except TypeError:
            raise SynspInputError(f"track_id {_id(track_id)} is a {type(track_id).__name__}, which cannot be a "
                                  "dict key; use an int or a str") from None

    def _entry(self, track_id: Any, frame: Any, confidence: Any) -> tuple:
        """Checked ``(track_id, x (J, D) for the network, missing (J,), full frame or None, full conf)``."""
        self._check_id(track_id)
        try:
            x = np.array(frame, dtype=np.float64)
        except (TypeError, ValueError):
            raise SynspInputError(f"frame of track {_id(track_id)} is not an array of numbers "
                                  f"({type(frame).__name__})") from None
        if self.rotations:
            joints, dims, what = self._joints, 3, " axis-angle rotations"
        elif self.subset is not None:
            joints, dims, what = self.num_joints, self.card.dims, ""
        else:
            joints, dims, what = self._joints or (x.shape[0] if x.ndim == 2 else -1), self.card.dims, ""
        if x.shape != (joints, dims):
            expected = f"({joints}, {dims})" if joints > 0 else f"(J, {dims})"
            raise SynspInputError(f"frame has shape {x.shape}; expected {expected}{what} (track {_id(track_id)})")
        conf = None
        if confidence is not None:
            try:
                conf = np.asarray(confidence, dtype=np.float64)
            except (TypeError, ValueError):
                raise SynspInputError(f"confidence of track {_id(track_id)} is not numbers "
                                      f"({type(confidence).__name__}); expected ({joints},) scores or one "
                                      "number") from None
            if conf.shape not in ((), (joints,)):
                raise SynspInputError(f"confidence of track {_id(track_id)} has shape {conf.shape}; expected "
                                      f"({joints},) scores (one per joint of the frame) or one number")
            conf = np.broadcast_to(conf, (joints,))
        return (track_id,) + self._split(x, conf) + (conf,)

    def _split(self, x: np.ndarray, conf) -> tuple:
        """A caller's frame -> ``(x for the network, its missing flags, the full frame or None)``."""
        full = None
        if self.rotations:
            lost = ~np.isfinite(x).all(-1)
            body = axis_angle_to_rot6d(np.where(lost[:, None], 0.0, x))
            body[lost] = np.nan
        elif self.subset is not None:
            full, body = x, x[self.subset]
        else:
            body = x
        with np.errstate(invalid="ignore"):  # inf or absurd coordinates are lost joints, as offline
            missing = ~(np.abs(body) <= ABSURD_COORDINATE).all(-1)
        if conf is not None:
            missing |= ~((conf if self.subset is None else conf[self.subset]) >= self.min_confidence)
        return body, missing, full

    def _check_time(self, time: Any, entries: list, step: bool) -> int | None:
        """The frame time of this push/step (None: a push without times), checked."""
        timed = step or time is not None
        if self._timed is not None and timed != self._timed:
            raise SynspInputError(
                "this stream was fed with frame times (step or push(time=...)); pass time= to every push"
                if self._timed else
                "this stream was pushed without frame times; a stream takes times (step, push(time=...)) "
                "from its first frame on or never (make a new Stream)")
        if not timed:
            return None
        if time is None:
            return self.time + 1
        if isinstance(time, bool) or not isinstance(time, numbers.Integral) or time < 0:
            raise SynspInputError(f"time is {time!r}; expected a frame index (int >= 0)")
        time = int(time)
        if time < self.time:
            raise SynspInputError(f"time {time} is before the stream's latest frame time {self.time}; frames "
                                  "must come in time order")
        for e in entries:
            seen = self._seen.get(e[0])
            if seen is not None and time <= seen:
                raise SynspInputError(f"track {_id(e[0])} already has a frame at time {seen}; each track takes "
                                      "one frame per time")
        return time

    # ------------------------------------------------------------------ the work

    def _advance(self, entries: list, now: int | None, step: bool) -> dict[Hashable, Frames]:
        """Take the (checked) entries at time ``now``: end the tracks absent too long, append the frames
        (and the holds of short absences), refine every complete window in one batch, return the frames
        that became final."""
        if now is not None:
            self._timed = True
            self.time = max(self.time, now)
        elif entries:
            self._timed = False
        given = {e[0] for e in entries}
        ended = []
        if now is not None:  # the gap rule: tracks known absent for more than max_gap frames end
            for tid, last in self._seen.items():
                absent = now - last - (0 if step and tid not in given else 1)
                if now - last <= self.max_gap:
                    break  # ordered by last time: the rest are more recent
                if absent > self.max_gap:
                    ended.append(tid)
            for e in entries:  # a push's own track (push: not in the scan's certain part)
                last = self._seen.get(e[0])
                if last is not None and e[0] not in ended and now - last - 1 > self.max_gap:
                    ended.append(e[0])
        jobs: list = []
        tails = [self._end(tid, jobs) for tid in ended]
        events = []
        for tid, body, missing, full, conf in entries:
            track = self.tracks.get(tid)
            if track is None:
                track = self.tracks[tid] = _Track()
            t = now if now is not None else track.last_time + 1
            if track.frames is not None or track.repair is not None:
                for hold in range(track.last_time + 1, t):  # a short absence: hold the last pose
                    events += [(tid, track, ev) for ev in self._feed(tid, track, None, None, None, None, hold, jobs)]
            events += [(tid, track, ev) for ev in self._feed(tid, track, body, missing, full, conf, t, jobs)]
            track.last_time = t
            if now is not None:
                self._seen[tid] = t
                self._seen.move_to_end(tid)
        refined = self._refine_jobs(jobs)
        out = {tid: Frames() for tid in ended}
        out.update((e[0], Frames()) for e in entries)
        emitted: list = []
        for tid, tail in zip(ended, tails):
            self._emit_tail(tid, tail, refined, emitted)
        for tid, track, ev in events:
            self._replay(tid, track, ev, refined, emitted)
        return self._deliver(emitted, out)

    def _feed(self, tid, track: _Track, body, missing, full, conf, t: int, jobs: list) -> list:
        """One frame (``body`` None: the hold of an absent frame) through the online repair, when there is one,
        into the input ring: the events of the frames taken (the frame that left the repair's window)."""
        if self._repair_skeleton is None:
            ev = self._take(track, body, missing, full, conf, t, jobs)
            return [] if ev is None else [ev]
        if track.repair is None:
            if missing.all():
                return []  # nothing observed yet on this track: wait for a first detection
            track.repair = OnlineRepair(self._repair_skeleton, self.repair_delay, min_confidence=self.min_confidence)
        if body is None:
            frame = np.full((self._repair_skeleton.num_joints, self.card.dims), np.nan)
        else:
            x = body if full is None else full
            with np.errstate(invalid="ignore"):
                frame = np.where((np.abs(x) <= ABSURD_COORDINATE).all(-1)[:, None], x, np.nan)
        out = []
        for payload, flipped in track.repair.push(frame, conf, (body, missing, full, conf, t)):
            out += self._release(tid, track, payload, flipped, jobs)
        return out

    def _release(self, tid, track: _Track, payload: tuple, flipped: np.ndarray, jobs: list) -> list:
        """A frame whose labels the repair decided: relabelled where ``flipped`` says so, then taken."""
        body, missing, full, conf, t = payload
        if body is not None and flipped.any():
            x = relabel((body if full is None else full)[None], flipped[None], self._repair_skeleton,
                        self.repair_groups)[0]
            conf = None if conf is None else relabel(conf[None], flipped[None], self._repair_skeleton,
                                                      self.repair_groups)[0]
            body, missing, full = self._split(x, conf)
            counts = self.relabelled.setdefault(tid, dict.fromkeys(self.repair_groups, 0))
            for g, f in zip(self.repair_groups, flipped):
                counts[g] += int(f)
        ev = self._take(track, body, missing, full, conf, t, jobs)
        return [] if ev is None else [ev]

    def _take(self, track: _Track, body, missing, full, conf, t: int, jobs: list):
        """Append one frame (``body`` None: the hold of an absent frame) to the input ring; queue its window.
        Returns the event the output side replays, or None when the frame is dropped."""
        W = self.window
        real = body is not None
        if track.frames is None:
            if missing.all():
                return None  # nothing observed yet on this track: wait for a first detection
            first = np.where(missing[:, None], np.nanmean(body[~missing], axis=0), body)
            track.frames = np.repeat(first[None], W, axis=0)
            track.missing = np.repeat(missing[None], W, axis=0)
            if not self.causal:
                track.sums = np.zeros_like(track.frames)
                track.counts = np.zeros(W, dtype=np.int64)
                track.real = np.zeros(W, dtype=bool)
                track.times = np.zeros(W, dtype=np.int64)
            filled = first
        else:
            if not real:
                filled, missing = track.last_valid, np.ones(track.missing.shape[1], dtype=bool)
            else:
                filled = np.where(missing[:, None], track.last_valid, body) if missing.any() else body
            slot = track.pushed % W
            track.frames[slot] = filled
            track.missing[slot] = missing
        track.last_valid = filled
        if self.subset is not None:
            if real:
                self._smooth_offset(track, full, conf, filled)
            if track.offsets is None and not self.causal:
                track.offsets = np.zeros((W,) + track.offset.shape)
        track.pushed += 1
        job = -1
        if self.causal:
            if real:  # a held frame's causal output is never returned: no window for it
                job = len(jobs)
                jobs.append(track.frames[self._order[track.pushed % W]])
                jobs.append(track.missing[self._order[track.pushed % W]])
        elif track.pushed >= W:
            job = len(jobs)
            order = self._order[track.pushed % W]
            jobs.append(track.frames[order])
            jobs.append(track.missing[order])
        return (track.pushed - 1, real, t, track.offset, job // 2 if job >= 0 else -1)

    def _smooth_offset(self, track: _Track, x: np.ndarray, conf, body: np.ndarray) -> None:
        """Update the extra points' smoothed offsets from their anchors. Anchors are measured on ``body``, the
        model joints filled over time like the network's input, so a missing or low-score anchor (OpenPose's
        (0, 0, c=0)) is never measured from, as in the offline SubsetRefiner."""
        with np.errstate(invalid="ignore"):
            seen = (np.abs(x[self.extra]) <= ABSURD_COORDINATE).all(-1)
        if conf is not None:
            seen &= conf[self.extra] >= self.min_confidence
        offset = x[self.extra] - anchor_positions(body, self.anchor, np.mean)
        if track.offset is None:
            track.offset = np.where(seen[:, None], offset, np.nan)
        else:
            new = track.offset + self.smoothing * (offset - track.offset)
            track.offset = np.where(seen[:, None], np.where(np.isnan(track.offset), offset, new), track.offset)

    def _refine_jobs(self, jobs: list) -> np.ndarray | None:
        """All queued windows ``(W, J, D)`` (+ flags) refined in batched forwards -> ``(n, W, J, D)``."""
        if not jobs:
            return None
        frames, missing = np.stack(jobs[0::2]), np.stack(jobs[1::2])
        step = self.refiner.batch
        parts = [self.refiner.refine_windows(frames[a:a + step, None], missing[a:a + step, None])[:, 0]
                 for a in range(0, len(frames), step)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _replay(self, tid, track: _Track, ev: tuple, refined, emitted: list) -> None:
        """The output side of one taken frame: its window summed in, the frame that became final emitted."""
        index, real, t, offset, job = ev
        if self.causal:
            if job >= 0:
                emitted.append((tid, refined[job][-1], t, offset))
            return
        W = self.window
        slot = index % W
        track.sums[slot] = 0.0
        track.counts[slot] = 0
        track.real[slot] = real
        track.times[slot] = t
        if track.offsets is not None:
            track.offsets[slot] = offset
        if job >= 0:  # the window ending at this frame covers the last W frames
            order = self._order[(index + 1) % W]
            track.sums[order] += refined[job]
            track.counts += 1
            oldest = order[0]
            if track.real[oldest]:
                emitted.append((tid, track.sums[oldest] / track.counts[oldest], int(track.times[oldest]),
                                None if track.offsets is None else track.offsets[oldest].copy()))

    def _end(self, tid, jobs: list):
        """Remove a track: the frames still in its repair decided and taken, the padded window of a short one
        queued; returns what :meth:`_emit_tail` needs."""
        track = self.tracks.pop(tid)
        self._seen.pop(tid, None)
        events = []
        if track.repair is not None:
            for payload, flipped in track.repair.finish():
                events += self._release(tid, track, payload, flipped, jobs)
        if self.causal or track.frames is None:
            return track, -1, events  # every frame taken was returned (or is in events)
        W, n = self.window, track.pushed
        if n < W:  # a short track: one padded window (slots 0..n-1 hold its frames)
            pad = W - n
            jobs.append(np.concatenate([track.frames[:n], np.repeat(track.frames[n - 1][None], pad, 0)]))
            jobs.append(np.concatenate([track.missing[:n], np.repeat(track.missing[n - 1][None], pad, 0)]))
            return track, len(jobs) // 2 - 1, events
        return track, -1, events

    def _emit_tail(self, tid, tail: tuple, refined, emitted: list) -> None:
        """The frames of an ended track not returned yet (averaged over the windows that exist)."""
        track, job, events = tail
        for ev in events:  # the frames its repair still held
            self._replay(tid, track, ev, refined, emitted)
        if self.causal or track.frames is None:
            return
        W, n = self.window, track.pushed
        if n < W:
            slots = range(n)
            values = refined[job][:n]
        else:
            slots = [(n + 1 + k) % W for k in range(W - 1)]  # the frames n-W+1 .. n-1
            values = [track.sums[s] / track.counts[s] for s in slots]
        for s, v in zip(slots, values):
            if track.real[s]:
                emitted.append((tid, v, int(track.times[s]),
                                None if track.offsets is None else track.offsets[s]))

    def _deliver(self, emitted: list, out: dict) -> dict[Hashable, Frames]:
        """Network-space frames -> the caller's (axis-angles, the larger skeleton), grouped by track."""
        if emitted:
            body = np.stack([e[1] for e in emitted])
            if self.rotations:
                body = rot6d_to_axis_angle(body)
            elif self.subset is not None:
                full = np.empty((len(body), self.num_joints, body.shape[-1]))
                full[:, self.subset] = body
                offsets = np.stack([e[3] for e in emitted])
                full[:, self.extra] = anchor_positions(body, self.anchor, np.nanmean) + offsets
                body = full
            for e, frame in zip(emitted, body):
                frames = out.setdefault(e[0], Frames())
                frames.append(frame)
                frames.times.append(e[2])
        return out
