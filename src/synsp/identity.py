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
  present), so a new
  assignment needs to be clearly better and the tracks do not chatter while two people overlap;
* the assignment itself: :func:`scipy.optimize.linear_sum_assignment`, only in frames where some
  track's cheapest slot is not its current one (elsewhere the current assignment is optimal);
* frames where nobody appears or disappears and every person's pose is nearer its own pose of the
  frame before than half the distance to anyone else's (``clear_ratio``) keep the assignment
  without any of this (found for all frames at once, so long tracks of well separated people
  cost next to nothing).

The first frame keeps the input's order: output track ``k`` is the person in slot ``k`` when the
track starts.  Left/right inversions within a person: :mod:`synsp.repair`.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from .repair import size_of
from .validation import SynspInputError, check_poses, to_numpy

__all__ = ["IdentityRepair", "repair_identities", "reorder"]


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
    ``min_confidence`` are not used for the costs (they move with their person)."""
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
    half = cap / 2.0

    # per output track: the frames and input slots of its last few observations (newest last)
    seen: list[list[tuple[int, int]]] = [[] for _ in range(P)]
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
                seen[track] = (seen[track] + [(int(f), int(current[track])) for f in frames])[-(history + 1):]
            t = stop
            continue
        obs = xs[t]
        here = present[t]
        cost = np.empty((P, P))
        for k in range(P):
            if not seen[k]:
                cost[k] = np.where(here, half, 0.0)
                continue
            last_t, last_p = seen[k][-1]
            last_x = xs[last_t, last_p]
            dt = t - last_t
            pred = last_x
            if len(seen[k]) > 1 and dt <= extrapolate:
                first_t, first_p = seen[k][0]
                vel = (last_x - xs[first_t, first_p]) / (last_t - first_t)
                pred = last_x + np.where(np.isfinite(vel), vel, 0.0) * dt
            s = scale * (1.0 + 0.5 * (dt - 1))
            d = np.linalg.norm(obs - pred[None], axis=-1) / s  # (P, J)
            with np.errstate(invalid="ignore"):
                m = np.where(np.isfinite(d), np.minimum(d, cap), np.nan)
            n = np.isfinite(m).sum(-1)
            mean = np.where(n > 0, np.nansum(m, axis=-1) / np.maximum(n, 1), cap)
            cost[k] = np.where(here, mean, half)
        biased = cost.copy()
        biased[np.arange(P), current] -= margin * here[current]  # keeping a track on a present person
        if not (biased[np.arange(P), current] <= biased.min(axis=1)).all():
            from scipy.optimize import linear_sum_assignment

            _, current = linear_sum_assignment(biased)
        order[t] = current
        for k in range(P):
            if here[current[k]]:
                seen[k] = (seen[k] + [(t, int(current[k]))])[-(history + 1):]
        t += 1
    out = reorder(x, order)
    reassigned = (order != np.arange(P)) & reorder(present | np.isfinite(x).all(-1).any(-1), order)
    return IdentityRepair(out, order, reassigned)


def _clear_frames(x: np.ndarray, present: np.ndarray, ratio: float, chunk: int = 4096) -> np.ndarray:
    """``(T,)`` True where nobody appears or disappears and every present slot's pose is nearer its own
    pose of the frame before than ``ratio`` times any other slot's (mean joint distance)."""
    T, P = present.shape
    clear = np.zeros(T, dtype=bool)
    clear[1:] = (present[1:] == present[:-1]).all(-1)
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
