"""Identity-swap repair for several persons: who is who, frame by frame, by motion continuity.

A multi-person detector and tracker gives each person a track id; where two people cross, overlap
or leave the picture for a moment, the ids can be exchanged, and a refiner then smooths a track
that jumps from one person to the other.  :func:`repair_identities` rebuilds the tracks of a
``(T, P, J, D)`` array (NaN where a person is absent) one frame after another:

* every output track predicts its next pose from its last observation and its velocity over its
  last ``history`` observations (carried over gaps of up to ``extrapolate`` frames; constant
  position over longer ones);
* the cost of giving input slot ``p`` to track ``k`` is the mean over the joints seen in both of
  ``min(|prediction - observation| / sigma, cap)``, ``sigma`` relative to the persons' size and
  widened by half per frame since the track was last seen; a track with no prediction (never seen)
  takes a present slot at ``cap / 2`` and a tracked person may go unseen at ``cap / 2``;
* hysteresis: the assignment of the previous frame gets ``margin`` off its costs (for the persons
  present now and at the frame time before: not for one coming back after frames unseen, whose slot a tracker may
  have given to someone else meanwhile), so a new
  assignment needs to be clearly better and the tracks do not chatter while two people overlap;
* the assignment itself: :func:`scipy.optimize.linear_sum_assignment`, only in frames where some
  track's cheapest slot is not its current one (elsewhere the current assignment is optimal);
* frames where nobody appears or disappears and every person's pose is nearer its own pose of the
  frame before than half the distance to anyone else's (``clear_ratio``) keep the assignment
  without any of this (found for all frames at once, so long tracks of well separated people
  cost next to nothing).

The first frame keeps the input's order: output track ``k`` is the person in slot ``k`` when the
track starts.  Left/right inversions within a person: :mod:`synsp.repair`.

:func:`repair_track_identities` does the same for the tracks of a pose file (a tracker's ids, each
track with its own frames): there a track's first detection is a new person (a tracker gives a new
person a new id; it never joins another track), only the persons seen in the last ``extrapolate``
frames and those whose track is present compete in a frame (a person gone for longer keeps their id
when their track comes back), and the work and memory follow the detections, not frames x ids, so
a file of hundreds of short tracks costs what its few people present at a time cost.

:class:`OnlineIdentities` is the same repair for detections that come one frame time at a time (every rule above
looks only at the frames before the one it decides, so it needs no delay): what ``synsp.Stream(...,
identities=True)`` runs.
"""

from __future__ import annotations

import numbers
import warnings
from collections import deque
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .metrics import size_of
from .validation import SynspInputError, absurd_joints, check_poses, to_numpy

#: the hysteresis ``margin`` is for persons seen in the last this many frame times with detections: a detection
#: missed for a frame or two keeps it (two people overlapping do not chatter); a person back after longer is judged
#: afresh (a tracker may have given their id to the person who hid them: 10 hidden frames mixed 13 of 20 takes)
FRESH_TIMES = 3

__all__ = ["IdentityRepair", "repair_identities", "reorder", "TrackIdentities", "repair_track_identities",
           "OnlineIdentities"]


class IdentityRepair(NamedTuple):
    """What :func:`repair_identities` returns.

    ``poses``: ``(T, P, J, D)`` reordered; ``order``: ``(T, P)`` the input slot whose person is in
    output slot ``k`` at frame ``t`` (``poses[t, k] = input[t, order[t, k]]``); ``reassigned``:
    ``(T, P)`` True where ``order[t, k] != k`` and a person is there.
    """

    poses: np.ndarray
    order: np.ndarray
    reassigned: np.ndarray


def reorder(values: Any, order: np.ndarray) -> np.ndarray:
    """Apply ``order`` ``(T, P)`` from :func:`repair_identities` to another ``(T, P, ...)`` array (scores)."""
    v = np.asarray(values)
    if (order == np.arange(order.shape[1])).all():
        return v.copy()
    return v[np.arange(len(order))[:, None], order]


def repair_identities(poses: Any, confidence: Any = None, *, sigma: float = 0.05, cap: float = 4.0,
                      margin: float = 0.5, history: int = 3, extrapolate: int = 10,
                      clear_ratio: float = 0.5, min_confidence: float = 0.3) -> IdentityRepair:
    """Reassign the persons of ``poses`` ``(T, P, J, D)`` frame by frame so each output slot follows
    one person (see the module docstring).  ``confidence`` ``(T, P, J)``: joints below
    ``min_confidence`` are not used for the costs (they move with their person).

    Every slot competes for every person in every frame it is unclear: the rule for slots that say nothing about
    who is who (instances in their list order, :mod:`synsp.io.keypoints_json` without track ids).  Where the
    columns are a tracker's tracks, it can hand a person who enters to the slot of someone who left long before
    (on clean input too); :func:`repair_track_identities` lets only the persons seen in the last ``extrapolate``
    frames compete, a track's first detection being a new person, and :func:`synsp.refine` of persons uses it."""
    x = check_poses(poses, "poses", ndims=(4,), allow_nan=True)
    T, P, J, D = x.shape
    use = np.isfinite(x).all(-1)
    if confidence is not None:
        c = to_numpy(confidence, name="confidence")
        if c.shape != x.shape[:-1]:
            raise SynspInputError(f"confidence has shape {c.shape}; expected {x.shape[:-1]} like the poses")
        use &= np.nan_to_num(c) >= min_confidence
    xs = np.where(use[..., None], x, np.nan)
    present = use.any(-1)  # (T, P)
    order = np.tile(np.arange(P), (T, 1))
    if P < 2 or T < 2:
        return IdentityRepair(x.copy(), order, np.zeros((T, P), dtype=bool))
    sizes = [size_of(xs[:, p]) for p in range(P) if present[:, p].any()]
    scale = sigma * float(np.median(sizes)) if sizes else 1.0

    # per output track: the frames and poses of its last few observations (newest last)
    seen: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(P)]
    current = np.arange(P)
    unclear = np.flatnonzero(~_clear_frames(xs, present, clear_ratio))
    t = 0
    while t < T:
        k = int(np.searchsorted(unclear, t))
        stop = int(unclear[k]) if k < len(unclear) else T
        if t > 0 and stop > t:  # every person near its own last pose until stop: keep the assignment
            order[t:stop] = current
            for track in range(P):
                frames = np.flatnonzero(present[t:stop, current[track]])[-(history + 1):] + t
                seen[track] = (seen[track] + [(int(f), xs[f, current[track]]) for f in frames])[-(history + 1):]
            t = stop
            continue
        obs = xs[t]
        here = present[t]
        cols = _assignment(seen, t, t - FRESH_TIMES, obs[current], here[current], scale, cap, extrapolate, margin)
        if cols is not None:
            current = current[cols]
        order[t] = current
        for k in range(P):
            if here[current[k]]:
                seen[k] = (seen[k] + [(t, obs[current[k]])])[-(history + 1):]
        t += 1
    out = reorder(x, order)
    reassigned = (order != np.arange(P)) & reorder(present | np.isfinite(x).all(-1).any(-1), order)
    return IdentityRepair(out, order, reassigned)


class TrackIdentities(NamedTuple):
    """What :func:`repair_track_identities` returns: ``owner[k]`` ``(n_k,)`` the person (the index of the
    track they were first detected in) of each detection of track ``k``; ``reassigned``: the
    detections given to another person than their track's (``owner[k] != k``)."""

    owner: list[np.ndarray]
    reassigned: int


def repair_track_identities(tracks: Any, *, sigma: float = 0.05, cap: float = 4.0, margin: float = 0.5,
                            history: int = 3, extrapolate: int = 10, clear_ratio: float = 0.5,
                            min_confidence: float = 0.3) -> TrackIdentities:
    """Who is who in a tracker's tracks, frame by frame, by motion continuity (the module docstring).

    ``tracks``: a sequence of ``(frames (n,), keypoints (n, J, D), scores (n, J) or None)``, frames
    increasing; NaN, inf and absurd coordinates and joints scoring below ``min_confidence`` are not
    measured (their detection moves with its track).  The parameters are those of
    :func:`repair_identities`.  Returns :class:`TrackIdentities`: the person of every detection.
    """
    frames, poses, present = [], [], []
    for f, kp, sc in tracks:
        kp = np.asarray(kp, dtype=np.float64)
        use = np.isfinite(kp).all(-1) & ~absurd_joints(kp)
        if sc is not None:
            use &= np.nan_to_num(np.asarray(sc, dtype=np.float64)) >= min_confidence
        frames.append(np.asarray(f, dtype=np.int64))
        poses.append(np.where(use[..., None], kp, np.nan))
        present.append(use.any(-1))
    K = len(frames)
    owner = [np.full(len(f), k, dtype=np.int64) for k, f in enumerate(frames)]
    if K < 2 or not any(p.any() for p in present):
        return TrackIdentities(owner, 0)
    sizes = [size_of(x[p]) for x, p in zip(poses, present) if p.any()]
    scale = sigma * float(np.median(sizes))
    births = {int(f[np.argmax(p)]): [] for f, p in zip(frames, present) if p.any()}
    for k, (f, p) in enumerate(zip(frames, present)):
        if p.any():
            births[int(f[np.argmax(p)])].append(k)
    # every detection by frame: (frame, track, row), sorted by frame then track
    det_f = np.concatenate(frames)
    det_k = np.concatenate([np.full(len(f), k) for k, f in enumerate(frames)])
    det_i = np.concatenate([np.arange(len(f)) for f in frames])
    by = np.lexsort((det_k, det_f))
    det_f, det_k, det_i = det_f[by], det_k[by], det_i[by]
    times, starts = np.unique(det_f, return_index=True)
    bounds = np.append(starts, len(det_f))
    clear = _clear_track_frames(frames, poses, present, times, clear_ratio)

    held = np.arange(K)  # held[p]: the track whose detections person p gets now (a permutation)
    holder = np.arange(K)  # its inverse
    seen: list[list[tuple[int, np.ndarray]]] = [[] for _ in range(K)]
    last = np.full(K, np.iinfo(np.int64).min // 2)  # the frame each person was last seen in
    u = 0
    while u < len(times):
        if clear[u] and u > 0:  # a span where everybody stays near themselves: the assignment holds
            v = u
            while v < len(times) and clear[v]:
                v += 1
            a, b = bounds[u], bounds[v]
            for k in np.unique(det_k[a:b]):
                rows = det_i[a:b][det_k[a:b] == k]
                owner[k][rows] = holder[k]
                shown = rows[present[k][rows]][-(history + 1):]
                p = holder[k]
                seen[p] = (seen[p] + [(int(frames[k][i]), poses[k][i]) for i in shown])[-(history + 1):]
                if len(shown):
                    last[p] = frames[k][shown[-1]]
            u = v
            continue
        t = int(times[u])
        here_k = det_k[bounds[u]:bounds[u + 1]]
        here_i = det_i[bounds[u]:bounds[u + 1]]
        row_of = dict(zip(here_k.tolist(), here_i.tolist()))
        shown = {k for k, i in row_of.items() if present[k][i]}
        born = set(births.get(t, ()))
        compete = {p for p in np.flatnonzero(t - last <= extrapolate).tolist()} | {int(holder[k]) for k in shown}
        compete -= {int(holder[k]) for k in born}
        persons = sorted(compete)
        if len(persons) > 1:
            pool = held[persons]
            J, D = poses[0].shape[1:]
            obs = np.full((len(pool), J, D), np.nan)
            here = np.zeros(len(pool), dtype=bool)
            for n, k in enumerate(pool):
                if k in shown:
                    obs[n], here[n] = poses[k][row_of[k]], True
            since = int(times[max(u - FRESH_TIMES, 0)]) if u else None
            cols = _assignment([seen[p] for p in persons], t, since, obs, here, scale, cap, extrapolate, margin)
            if cols is not None:
                held[persons] = pool[cols]
                holder[held[persons]] = persons
        for k, i in row_of.items():
            p = int(holder[k])
            owner[k][i] = p
            if k in shown:
                seen[p] = (seen[p] + [(t, poses[k][i])])[-(history + 1):]
                last[p] = t
        u += 1
    reassigned = int(sum((o != k).sum() for k, o in enumerate(owner)))
    return TrackIdentities(owner, reassigned)


class OnlineIdentities:
    """:func:`repair_track_identities` for detections that come one frame time at a time (what
    ``synsp.Stream(..., identities=True)`` runs): :meth:`assign` gives every detection of a frame time its person
    at once, from the frames before it only (no delay), by the same rules: a new track id is a new person, a
    person's id is the track id they were first detected in, the assignment holds where everybody stays near
    themselves and is decided again by motion continuity elsewhere.  The unit is ``sigma`` times the median size
    of the last 1,000 detections (offline: of the whole file's tracks), or ``scale`` (the poses' unit) when given;
    with the same unit the persons are those of :func:`repair_track_identities` on the same detections.  Memory:
    the last few poses of every person seen in the last ``forget`` frame times; a track id absent for longer is
    forgotten with its person (if it comes back, it is a new person: trackers do not reuse an id after minutes;
    a tracker that makes a new id for every track keeps the memory bounded)."""

    def __init__(self, *, sigma: float = 0.05, cap: float = 4.0, margin: float = 0.5, history: int = 3,
                 extrapolate: int = 10, clear_ratio: float = 0.5, scale: float | None = None, forget: int = 9000):
        self.sigma, self.cap, self.margin, self.history = sigma, cap, margin, history
        self.extrapolate, self.clear_ratio, self.scale = extrapolate, clear_ratio, scale
        self._sizes: deque = deque(maxlen=1000)  # the last detections' sizes (the unit)
        self._held: dict = {}  # person -> the track whose detections they get now
        self._holder: dict = {}  # track -> the person who gets its detections (the inverse)
        self._seen: dict = {}  # person -> their last history + 1 observations [(time, pose)]
        self._last: dict = {}  # person -> the time they were last seen
        self._before: tuple = (None, {})  # the previous frame time and its present tracks' poses
        self._times: deque = deque(maxlen=FRESH_TIMES)
        self.reassigned = 0  # detections given to another person than their track's so far
        self._shape = None  # every pose's (J, D), from the first one
        if isinstance(forget, bool) or not isinstance(forget, int) or forget <= extrapolate:
            raise SynspInputError(f"forget is {forget!r}; expected a whole number of frame times above extrapolate "
                                  f"({extrapolate})")
        self.forget = forget
        self._track_last: dict = {}  # track -> the last frame time it was given
        self._pruned = -(1 << 62)  # the frame time of the last look for tracks to forget

    def assign(self, time: int, detections: Mapping) -> dict:
        """``detections`` ``{track_id: pose (J, D)}`` of one frame time (NaN joints: not measured; a pose without
        a usable joint moves with its track) -> ``{track_id: person_id}``; times increase from call to call."""
        t = int(time)
        if self._before[0] is not None and t <= self._before[0]:
            raise SynspInputError(f"time {t} is not after the previous frame time {self._before[0]}; identities are "
                                  f"assigned one frame time after another")
        poses = {k: np.asarray(x, dtype=np.float64) for k, x in detections.items()}
        if not poses:  # a frame time without detections is none of the offline repair's times: "the frame before"
            return {}  # stays the last one with detections
        for k, x in poses.items():
            self._shape = x.shape if self._shape is None else self._shape
            if x.shape != self._shape:
                raise SynspInputError(f"the pose of track {k!r} has shape {x.shape}; the persons' identities compare "
                                      f"poses of one joint set, {self._shape} so far")
        shown = {k: x for k, x in poses.items() if np.isfinite(x).all(-1).any()}
        if shown:  # each detection's size: the larger side of its joints' box
            box = np.stack(list(shown.values()))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self._sizes.extend(np.nanmax(np.nanmax(box, 1) - np.nanmin(box, 1), -1).tolist())
        born = [k for k in poses if k not in self._holder]
        for k in born:  # a new track is a new person, who holds it
            self._held[k], self._holder[k] = k, k
        prev_t, prev = self._before
        if not (prev_t == t - 1 and _clear_step(prev, shown, self.clear_ratio)):
            scale = self.scale if self.scale is not None else self.sigma * float(np.median(self._sizes or [1.0]))
            compete = {p for p, last in self._last.items() if t - last <= self.extrapolate}
            compete |= {self._holder[k] for k in shown}
            compete -= {self._holder[k] for k in born}
            persons = sorted(compete, key=_id_order)
            if len(persons) > 1:
                pool = [self._held[p] for p in persons]
                obs = np.stack([shown[k] if k in shown else np.full(self._shape, np.nan) for k in pool])
                here = np.array([k in shown for k in pool])
                cols = _assignment([self._seen.get(p, []) for p in persons], t, self._times[0] if self._times else None,
                                   obs, here, scale, self.cap,
                                   self.extrapolate, self.margin)
                if cols is not None:
                    for p, c in zip(persons, cols):
                        self._held[p] = pool[c]
                        self._holder[pool[c]] = p
        out = {k: self._holder[k] for k in poses}
        for k, x in shown.items():
            p = out[k]
            self._seen[p] = (self._seen.get(p, []) + [(t, x)])[-(self.history + 1):]
            self._last[p] = t
        self.reassigned += sum(p != k for k, p in out.items())
        self._before = (t, shown)
        self._times.append(t)  # the last FRESH_TIMES frame times with detections
        self._track_last.update(dict.fromkeys(poses, t))
        if len(self._track_last) > 64 and t - self._pruned >= 128:  # a look every 128 frame times
            self._pruned = t
            self._drop_older_than(t - self.forget)
        return out

    def _drop_older_than(self, t: int) -> None:
        """Forget the tracks last given before frame time ``t`` and the persons holding them; not a track whose
        id names a person still holding another track (after a swap): it coming back must not take that id."""
        for k in [k for k, last in self._track_last.items() if last < t]:
            if self._held.get(k, k) != k:
                continue
            del self._track_last[k]
            p = self._holder.pop(k, None)
            if p is not None and self._held.get(p) == k:
                del self._held[p]
                self._seen.pop(p, None)
                self._last.pop(p, None)


def _id_order(track_id: Any) -> tuple:
    """A sort key for track ids of mixed types (ints and strings; tuples of them, element by element): the order
    persons compete in."""
    if isinstance(track_id, tuple):
        return ("tuple", tuple(_id_order(v) for v in track_id))
    if isinstance(track_id, (numbers.Real, str, bytes)) and not isinstance(track_id, bool):
        return (type(track_id).__name__, track_id)
    return (type(track_id).__name__, repr(track_id))  # anything else hashable: by its text


def _clear_step(before: dict, now: dict, ratio: float) -> bool:
    """One frame of :func:`_clear_track_frames`: the same tracks present as in the frame before (``{track: pose}``
    each), and each one's pose nearer its own pose there than ``ratio`` times any other track's (mean joint
    distances; a pair whose centroids alone are far enough apart, a lower bound of theirs, is not measured)."""
    if set(before) != set(now) or not now:
        return False
    keys = list(now)
    a, b = np.stack([now[k] for k in keys]), np.stack([before[k] for k in keys])  # (P, J, D)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        own = np.nanmean(np.linalg.norm(a - b, axis=-1), axis=-1)
        if not np.isfinite(own).all():
            return False
        bound = np.linalg.norm(a.mean(1)[:, None] - b.mean(1)[None], axis=-1)  # NaN where a joint is missing
        doubt = ~(own[:, None] < ratio * bound)
        np.fill_diagonal(doubt, False)
        i, j = np.nonzero(doubt)
        cross = np.nanmean(np.linalg.norm(a[i] - b[j], axis=-1), axis=-1)
    return bool((own[i] < ratio * np.where(np.isnan(cross), np.inf, cross)).all())


def _clear_track_frames(frames: list[np.ndarray], poses: list[np.ndarray], present: list[np.ndarray],
                        times: np.ndarray, ratio: float) -> np.ndarray:
    """``_clear_frames`` for tracks: per entry of ``times`` (the frames with detections), True where the
    frame before holds the same present tracks and each one's pose is nearer its own pose of the frame
    before than ``ratio`` times any other track's; pairs of tracks are compared only where both are."""
    index = {int(t): n for n, t in enumerate(times)}
    clear = np.zeros(len(times), dtype=bool)
    clear[1:] = np.diff(times) == 1
    on = []  # per track: the frames it is present in
    for k, (f, p) in enumerate(zip(frames, present)):
        fp = f[p]
        on.append(fp)
        if not len(fp):
            continue
        # appearing and disappearing (also into a detection without a usable joint) make a frame unclear
        start = fp[np.r_[True, np.diff(fp) != 1]]
        stop = fp[np.r_[np.diff(fp) != 1, True]] + 1
        for t in np.concatenate([start, stop]):
            if int(t) in index:
                clear[index[int(t)]] = False
    own = []  # per track: the distance to its own pose of the frame before, at each of its present frames
    for k, fp in enumerate(on):
        x = poses[k][present[k]]
        d = np.full(len(fp), np.nan)
        step = np.flatnonzero(np.diff(fp) == 1) + 1
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            d[step] = np.nanmean(np.linalg.norm(x[step] - x[step - 1], axis=-1), axis=-1)
        own.append(d)
        where = np.searchsorted(times, fp[~np.isfinite(d) & (fp != times[0])])
        clear[where] = False
    spans = [(fp[0], fp[-1]) if len(fp) else (0, -1) for fp in on]
    order = np.argsort([a for a, _ in spans])
    for n, k in enumerate(order):  # pairs of tracks present at overlapping times (sweep by first frame)
        for j in order[n + 1:]:
            if spans[j][0] > spans[k][1] + 1:
                break
            for a, b in ((k, j), (j, k)):  # a's pose at t against b's at t - 1
                common, ia, ib = np.intersect1d(on[a], on[b] + 1, assume_unique=True, return_indices=True)
                if not len(common):
                    continue
                xa = poses[a][present[a]][ia]
                xb = poses[b][present[b]][ib]
                with np.errstate(invalid="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    cross = np.nanmean(np.linalg.norm(xa - xb, axis=-1), axis=-1)
                bad = ~(own[a][ia] < ratio * np.where(np.isnan(cross), np.inf, cross))
                clear[np.searchsorted(times, common[bad])] = False
    return clear


def _assignment(seen: list, t: int, prev: int | None, obs: np.ndarray, here: np.ndarray, scale: float, cap: float,
                extrapolate: int, margin: float) -> np.ndarray | None:
    """Which of the slots ``obs`` ``(n, J, D)`` (present where ``here``; slot ``i`` is what person ``i`` holds now)
    each of the n competing persons (their last observations ``seen[i]``) takes: ``(n,)``, or None where each
    keeps its own (keeping a present person seen since the frame time ``prev`` costs ``margin`` less: hysteresis,
    which a detection missed for a frame or two keeps; not one coming back after more frames unseen, whose slot a
    tracker may have given to someone else meanwhile: :data:`FRESH_TIMES`)."""
    from scipy.optimize import linear_sum_assignment

    cost = np.stack([_costs(s, t, obs, here, scale, cap, extrapolate) for s in seen])
    fresh = np.array([bool(s) and prev is not None and s[-1][0] >= prev for s in seen])
    cost[np.arange(len(obs)), np.arange(len(obs))] -= margin * (here & fresh)
    if (np.diagonal(cost) <= cost.min(axis=1)).all():
        return None
    return linear_sum_assignment(cost)[1]


def _costs(seen: list[tuple[int, np.ndarray]], t: int, obs: np.ndarray, here: np.ndarray, scale: float,
           cap: float, extrapolate: int) -> np.ndarray:
    """The cost of giving each of the slots ``obs`` ``(n, J, D)`` (present where ``here``) to a track whose
    last observations are ``seen`` ``[(frame, pose)]`` (oldest first): the mean truncated distance to its
    constant-velocity prediction in units of ``scale`` (widened by half per frame since it was seen);
    ``cap / 2`` for an absent slot, or for a present one when the track was never seen (then absent: 0)."""
    half = cap / 2.0
    if not seen:
        return np.where(here, half, 0.0)
    last_t, last_x = seen[-1]
    dt = t - last_t
    pred = last_x
    if len(seen) > 1 and dt <= extrapolate:
        first_t, first_x = seen[0]
        vel = (last_x - first_x) / (last_t - first_t)
        pred = last_x + np.where(np.isfinite(vel), vel, 0.0) * dt
    s = scale * (1.0 + 0.5 * (dt - 1))
    d = np.linalg.norm(obs - pred[None], axis=-1) / s  # (n, J)
    with np.errstate(invalid="ignore"):
        m = np.where(np.isfinite(d), np.minimum(d, cap), np.nan)
    n = np.isfinite(m).sum(-1)
    mean = np.where(n > 0, np.nansum(m, axis=-1) / np.maximum(n, 1), cap)
    return np.where(here, mean, half)


def _clear_frames(x: np.ndarray, present: np.ndarray, ratio: float, values: int = 1 << 23) -> np.ndarray:
    """``(T,)`` True where nobody appears or disappears and every present slot's pose is nearer its own
    pose of the frame before than ``ratio`` times any other slot's (mean joint distance); frames in
    chunks of at most ``values`` pairwise joint distances (bounded memory however many slots)."""
    T, P = present.shape
    clear = np.zeros(T, dtype=bool)
    clear[1:] = (present[1:] == present[:-1]).all(-1)
    chunk = max(1, values // (P * P * max(1, x.shape[2])))
    for a in range(1, T, chunk):
        b = min(T, a + chunk)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            d = np.nanmean(np.linalg.norm(x[a:b, :, None] - x[a - 1:b - 1, None], axis=-1), axis=-1)  # (m, P, P)
        own = np.diagonal(d, axis1=1, axis2=2)
        other = np.where(np.eye(P, dtype=bool), np.inf, np.where(np.isnan(d), np.inf, d)).min(-1)
        ok = (own < ratio * other) | ~present[a:b]
        clear[a:b] &= ok.all(-1)
    return clear
