"""Missing joints: which entries are missing, and their fill over time.

A joint is *missing* in a frame when the detector gave no position (NaN) or a
confidence below a threshold.  Every filter in :mod:`synsp.filters` and every network first fills
missing entries with :func:`interpolate_missing`, then refines the filled
sequence, so a gap never turns into a jump to NaN or to zero.  Offline, a short gap follows the motion's curve
(``curved=True``, :func:`curved_fill`); the rules below are the linear fill under it and the causal one.

Poses are ``(T, J, D)`` or ``(T, P, J, D)`` (T frames, P persons or views,
J joints, D = 2 or 3 coordinates).  Each joint coordinate is filled on its own:

* inside the sequence, linearly between the nearest observed frames before and
  after the gap;
* before the first and after the last observation, by holding that observation
  (constant extrapolation); with ``curved=True`` (the networks' and filters' fill offline) the motion's
  velocity carries on there, decaying (:func:`carried_ends`).

With ``body=True`` (the networks' and filters' fill offline, beside ``curved``), a position lost for long (inside
the sequence for more than :data:`CURVED_GAP_FRAMES` frames, at its end for more than :data:`BODY_END_FRAMES`)
follows the joints still seen instead: its offset from them is filled
(:func:`body_fill`).

A joint coordinate missing in **every** frame raises :class:`SynspInputError`
naming the joint (and person).  Inventing it from the other joints (their mean,
say) would put a plausible-looking but wrong point into every metric and every
downstream model without anyone noticing; a joint the detector never saw should
be dropped or filled by the caller, who knows the skeleton.  Callers that know
why they need another edge policy choose one with ``never=`` (:data:`NEVER_OBSERVED`):
the simulator's frozen joints keep their values (``"keep"``), the error measure
counts an error it never saw as 0 (``"zero"``), and training windows put the
mean of the view's joints under the mask (``"joint-mean"``), because a network's
input must be finite everywhere.

:func:`fill_gaps` is the one implementation; :func:`interpolate_missing`, :func:`hold_missing` and
:func:`carry_missing` check the input and call it.  Causally (what a zero-delay refiner can know), a gap either
holds the last observation or, ``carried=True`` (:func:`carried_fill`, the zero-delay networks' fill), continues
the joint's last velocity, decaying; :class:`CarriedFill` is the same rule frame by frame.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .validation import SynspInputError, check_poses, to_numpy

#: a median confidence above this says the scores are not on a 0-1 scale (0-100, 0-255): warned, not refused
#: (heatmap and SimCC scores, RTMPose's, pass 1 a little)
CONFIDENCE_SCALE_WARNING = 2.0

#: coordinates per joint that can be filled: 2D/3D positions, quaternions, 6D rotations
ANY_DIMS = (2, 3, 4, 6)

#: what becomes of a joint coordinate missing in every frame, see :func:`fill_gaps`
NEVER_OBSERVED = ("raise", "zero", "keep", "joint-mean")

__all__ = ["missing_from_confidence", "interpolate_missing", "hold_missing", "carry_missing", "fill_gaps",
           "curved_fill", "carried_fill", "carried_ends", "carried_start", "unseen_start", "CarriedFill",
           "body_fill", "time_runs", "runs_mask", "NEVER_OBSERVED", "CURVED_GAP_FRAMES", "BODY_END_FRAMES",
           "BODY_REFERENCES"]


def missing_from_confidence(confidence: Any, poses_shape: tuple[int, ...], threshold: float) -> np.ndarray:
    """Boolean mask ``confidence < threshold`` per joint, shape ``poses_shape[:-1]``.

    ``confidence`` is ``(T, J)`` for ``(T, J, D)`` poses or ``(T, P, J)`` for
    ``(T, P, J, D)`` poses (numpy or torch).  NaN confidence counts as missing;
    inf is a user mistake and raises.
    """
    conf = to_numpy(confidence, name="confidence")
    expected = tuple(poses_shape[:-1])
    if conf.shape != expected:
        raise SynspInputError(
            f"confidence has shape {conf.shape}; expected {expected}, one score per joint "
            f"of poses with shape {tuple(poses_shape)}"
        )
    if np.isinf(conf).any():
        idx = tuple(int(i) for i in np.argwhere(np.isinf(conf))[0])
        raise SynspInputError(f"confidence contains inf (first at index {idx}); pass finite scores")
    if conf.size and np.isfinite(conf).any() and np.nanmedian(conf) > CONFIDENCE_SCALE_WARNING:
        warnings.warn(f"confidence: the scores' median is {np.nanmedian(conf):.3g}; a score below {threshold:g} "
                      "is a missing joint, so on a 0-100 or 0-255 scale hardly any is: give scores from 0 to 1",
                      stacklevel=3)
    return ~(conf >= threshold)  # NaN compares False, so it is missing


def interpolate_missing(poses: Any, missing: Any = None, *, never: str = "raise", curved: bool = False,
                        body: bool = False, refilled: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fill missing joint coordinates linearly over time.

    Args:
        poses: ``(T, J, D)`` or ``(T, P, J, D)``, numpy or torch; NaN marks a
            missing coordinate; a joint with an inf or absurd coordinate (beyond
            :data:`synsp.validation.ABSURD_COORDINATE`) is missing too.
        missing: optional boolean mask of extra missing entries (for example
            low confidence), shape ``poses.shape[:-1]`` (per joint, all its
            coordinates) or ``poses.shape`` (per coordinate).
        never: what becomes of a coordinate missing in every frame
            (:data:`NEVER_OBSERVED`, see :func:`fill_gaps`); by default it raises.
        curved: short gaps follow a cubic through the frames around them (:func:`fill_gaps`).
        body: long gaps of 2D / 3D positions follow the joints still seen (:func:`fill_gaps`).
        refilled: a bool array of ``poses``' shape, set True where the body fill filled (:func:`body_fill`).

    Returns:
        ``(filled, missing_mask)``: ``filled`` is float64 with the shape of
        ``poses`` and no NaN (unless ``never="keep"``); observed entries are returned unchanged.
        ``missing_mask`` is boolean, shape of ``poses``, True exactly where an
        entry was NaN or marked by ``missing``.

    Raises:
        SynspInputError: bad shape, every entry missing (or inf/absurd), or a joint
        coordinate missing in every frame (with ``never="raise"``).
    """
    x, mask = _checked(poses, missing)
    return fill_gaps(x, mask, never=never, curved=curved, body=body, refilled=refilled), mask


def hold_missing(poses: Any, missing: Any = None, *, never: str = "raise") -> tuple[np.ndarray, np.ndarray]:
    """Causal filling: a missing joint coordinate holds its last observed value.

    Same arguments and result as :func:`interpolate_missing`, but frame ``t``
    only uses frames ``<= t`` (what an online refiner can know); a gap at the
    very start, before any observation, takes the first observed value.
    """
    x, mask = _checked(poses, missing)
    return fill_gaps(x, mask, causal=True, never=never), mask


def carry_missing(poses: Any, missing: Any = None, *, never: str = "raise") -> tuple[np.ndarray, np.ndarray]:
    """Causal filling along the motion: a gap continues the velocity of the joint coordinate's last observed
    frames, decaying (:func:`carried_fill`); where that velocity cannot be read, the last observed value holds.

    Same arguments and result as :func:`hold_missing` (frame ``t`` uses only frames ``<= t``, a gap at the very
    start takes the first observed value).
    """
    x, mask = _checked(poses, missing)
    return fill_gaps(x, mask, causal=True, never=never, carried=True), mask


def _checked(poses: Any, missing: Any) -> tuple[np.ndarray, np.ndarray]:
    """``poses`` as float64 ``(T, J, D)`` / ``(T, P, J, D)`` and the per-coordinate missing mask."""
    x = check_poses(poses, ndims=(3, 4), dims=ANY_DIMS, allow_nan=True)
    mask = np.isnan(x)
    if missing is not None:
        extra = to_numpy(missing, dtype=bool, name="missing")
        if extra.shape == x.shape[:-1]:
            extra = extra[..., None]
        elif extra.shape != x.shape:
            raise SynspInputError(
                f"missing has shape {extra.shape}; expected {x.shape[:-1]} (per joint) "
                f"or {x.shape} (per coordinate) for poses with shape {x.shape}"
            )
        mask = mask | extra
    return x, mask


#: the longest gap (frames) that ``fill_gaps(..., curved=True)`` fills along a curve
CURVED_GAP_FRAMES = 30
#: observed frames on each side of a gap that its curve is fitted to (at least 2 on each side, else linear)
CURVED_SUPPORT = 4


#: a causal fill carries the velocity fitted to this many last observed frames of a joint coordinate (read only
#: when they lie within twice as many frames) ...
CARRIED_SUPPORT = 3
#: ... into its gap, decaying by this factor a frame: ``k`` frames into the gap the fill is
#: ``last + v (d + d^2 + ... + d^k)``, at most ``d / (1 - d)`` (5.7) frames of the velocity in all
CARRIED_DECAY = 0.85


def fill_gaps(x: np.ndarray, gap: np.ndarray, *, causal: bool = False, never: str = "raise",
              curved: bool = False, carried: bool = False, body: bool = False,
              refilled: np.ndarray | None = None) -> np.ndarray:
    """Every entry of ``x`` where ``gap`` is True, filled from the same coordinate's other frames.

    The one missing-joint fill of synsp.  ``x``: float ``(T, J, D)`` or ``(T, P, J, D)``, not
    checked (see :func:`interpolate_missing`); ``gap``: bool, ``x.shape`` or ``x.shape[:-1]``
    (per joint).  Entries outside ``gap`` are returned unchanged, in a new array.

    * ``causal=False``: linear in time between the nearest observed frames before and after,
      the first / last observation held before / after it;
    * ``causal=True``: the last observed value held (the first observed one before it);
    * ``curved=True`` (not causal): a gap of at most :data:`CURVED_GAP_FRAMES` frames with at least two observed
      frames on either side follows the cubic fitted (least squares) to the :data:`CURVED_SUPPORT` observed
      frames on each side, bent linearly to meet the frames around the gap (:func:`curved_fill`): the motion's
      velocity carries through the gap instead of a straight line between its ends; and before the first and after
      the last observation the motion's velocity carries on, decaying (:func:`carried_ends`), instead of the
      observation being held;
    * ``carried=True`` (causal): a gap after at least two observed frames continues their velocity, decaying
      (:func:`carried_fill`);
    * ``body=True`` (not causal; D = 2 or 3: positions): after the fills above, a joint lost for more than
      :data:`CURVED_GAP_FRAMES` frames inside the sequence, or for more than :data:`BODY_END_FRAMES` after its last
      observation, follows the joints of its person or view seen through the gap
      (:func:`body_fill`); shorter gaps keep the fills above.

    ``never``, a coordinate missing in every frame: ``"raise"`` (:class:`SynspInputError`
    naming the joint; also when nothing at all is observed), ``"zero"`` (0), ``"keep"`` (its own
    values, NaN included), ``"joint-mean"`` (per frame, the mean of the observed joints of its
    person or view, then filled in time like the others; a person never observed at all is 0).
    """
    if never not in NEVER_OBSERVED:
        raise SynspInputError(f"never is {never!r}; expected one of {NEVER_OBSERVED}")
    gap = np.broadcast_to(gap[..., None] if gap.shape == x.shape[:-1] else gap, x.shape)
    if never == "joint-mean":
        x, gap = _joint_mean(x, gap)
    if never in ("raise", "joint-mean"):
        _require_observed(x, gap)
    if not gap.any():
        return x.copy()
    T = x.shape[0]
    flat = x.reshape(T, -1)  # (T, C), C = [P*]J*D
    gap = gap.reshape(T, -1)
    unseen = gap.all(axis=0)  # (C,) coordinates never observed
    filled = np.empty(flat.shape, dtype=np.result_type(flat.dtype, np.float64))
    step = max(1, _FILL_VALUES // max(T, 1))  # a few columns at a time: its index arrays are (T, C) int64 each
    for c in range(0, flat.shape[1], step):
        cols = slice(c, c + step)
        filled[:, cols] = _filled(flat[:, cols], gap[:, cols], unseen[cols], causal)
    if curved and not causal:
        curved_fill(filled, gap & ~unseen)
        carried_ends(filled, gap & ~unseen)
    if carried and causal:
        carried_fill(filled, gap & ~unseen)
    if body and not causal and x.shape[-1] in (2, 3):
        body_fill(filled.reshape((T, -1) + x.shape[-2:]), (gap | unseen).reshape((T, -1) + x.shape[-2:]),
                  refilled=None if refilled is None else refilled.reshape((T, -1) + x.shape[-2:]))
    if never == "zero" and unseen.any():
        filled = np.where(unseen, 0.0, filled)
    return filled.reshape(x.shape)


#: values filled at a time by :func:`fill_gaps` (columns of a long track a block at a time: a whole body over an
#: hour held some ten (T, C) arrays of indices and weights at once, 2 GB)
_FILL_VALUES = 1 << 22


def _filled(flat: np.ndarray, gap: np.ndarray, unseen: np.ndarray, causal: bool) -> np.ndarray:
    """:func:`fill_gaps`'s linear (or causal) fill of the columns ``flat`` ``(T, c)`` where ``gap``."""
    T = flat.shape[0]
    frames = np.arange(T)[:, None]
    if causal:
        last = np.maximum.accumulate(np.where(gap, -1, frames), axis=0)
        first = np.where(unseen, -1, (~gap).argmax(axis=0))[None]
        src = np.where(last >= 0, last, np.where(first >= 0, first, frames))  # unseen: its own frame
        return np.take_along_axis(flat, src, axis=0)
    # index of the nearest observed frame at or before / at or after each frame
    before = np.maximum.accumulate(np.where(gap, -1, frames), axis=0)
    after = np.minimum.accumulate(np.where(gap, T, frames)[::-1], axis=0)[::-1]
    before = np.where(before < 0, after, before)  # leading gap: hold the first observation
    after = np.where(after >= T, before, after)  # trailing gap: hold the last observation
    if unseen.any():  # no observation to take: any index (the value is replaced below)
        before = np.where(unseen, frames, before)
        after = np.where(unseen, frames, after)
    lo = np.take_along_axis(flat, before, axis=0)
    hi = np.take_along_axis(flat, after, axis=0)
    span = after - before
    frac = np.divide(frames - before, span, out=np.zeros(span.shape), where=span > 0)
    with np.errstate(invalid="ignore"):  # inf - inf only in unseen columns, whose values are not used
        return np.where(gap & ~unseen, lo + frac * (hi - lo), flat)


def curved_fill(flat: np.ndarray, gap: np.ndarray, longest: int = CURVED_GAP_FRAMES,
                support: int = CURVED_SUPPORT) -> None:
    """The entries ``gap`` ``(T, C)`` of ``flat`` ``(T, C)`` (observed elsewhere) in gaps of at most ``longest``
    frames with at least two observed frames on each side: the cubic fitted by least squares to the ``support``
    nearest observed frames on each side (fewer where there are fewer), plus the linear blend of its misfits at
    the two frames around the gap (so the fill meets them), in place.  Measured against the linear fill on the
    validation split's clips with the default network after it (docs/results.md, *Missing frames*): clean
    motion with 8-frame gaps 10.1 against 18.5 mm at the filled joints, with white jitter and outliers 18.0
    against 21.9."""
    gapped = np.flatnonzero(gap.any(axis=0))
    step = max(1, _CURVED_VALUES // max(len(flat), 1))  # columns at a time: an hour's index arrays stay small
    for c0 in range(0, len(gapped), step):
        cols = gapped[c0:c0 + step]
        g = gap[:, cols]  # (T, c)
        obs_c, obs_t = np.nonzero(~g.T)  # the observed entries, column by column, each column's in time order
        n_seen = np.bincount(obs_c, minlength=len(cols))  # (c,)
        offset = np.concatenate([[0], np.cumsum(n_seen)[:-1]])  # where each column's observed frames start in obs_t
        at, i = np.nonzero(g)  # the missing entries
        r = np.cumsum(~g, axis=0)[at, i]  # the rank of the first observed frame after each (observed ones before)
        ok = (r >= 2) & (r + 1 < n_seen[i])
        ok[ok] &= obs_t[offset[i[ok]] + r[ok]] - obs_t[offset[i[ok]] + r[ok] - 1] - 1 <= longest
        at, i, r = at[ok], i[ok], r[ok]
        for a in range(0, len(at), _CURVED_ENTRIES):  # (many gaps in one block: bounded working memory)
            b = slice(a, a + _CURVED_ENTRIES)
            _curve_through(flat, cols[i[b]], at[b], obs_t, offset[i[b]] + r[b], offset[i[b]], n_seen[i[b]], support)


#: values (frames x columns) whose gaps :func:`curved_fill` finds at a time, and missing entries it fits at a time
_CURVED_VALUES, _CURVED_ENTRIES = 1 << 20, 1 << 16


def _curve_through(flat: np.ndarray, c: np.ndarray, at: np.ndarray, obs_t: np.ndarray, after: np.ndarray,
                   first: np.ndarray, n_seen: np.ndarray, support: int) -> None:
    """:func:`curved_fill` of the missing entries ``(at, c)`` of ``flat``: ``obs_t[after]`` is the first observed
    frame after each, its column's observed frames being ``obs_t[first:first + n_seen]`` in time order."""
    k = np.arange(-support, support)  # the support's ranks around each gap: before (< 0) and after
    rank = (after - first)[:, None] + k[None]
    present = (rank >= 0) & (rank < n_seen[:, None])
    frames = obs_t[first[:, None] + np.clip(rank, 0, n_seen[:, None] - 1)]
    span = np.abs(frames - at[:, None]).max(axis=1, keepdims=True).astype(np.float64)
    tau = (frames - at[:, None]) / span  # within [-1, 1]: a well-conditioned fit
    A = _cubic_terms(tau)  # (n, 2 * support, 4)
    y = flat[frames, c[:, None]]
    w = present.astype(np.float64)
    Aw = np.swapaxes(A * w[..., None], 1, 2)  # (n, 4, 2 * support): the weighted normal equations
    coef = np.linalg.solve(Aw @ A, Aw @ y[..., None])[..., 0]  # (n, 4): the cubic's coefficients in tau
    lo, hi = obs_t[after - 1], obs_t[after]  # the frames around the gap
    t_lo, t_hi = (lo - at) / span[:, 0], (hi - at) / span[:, 0]
    miss_lo = flat[lo, c] - (_cubic_terms(t_lo) * coef).sum(1)
    miss_hi = flat[hi, c] - (_cubic_terms(t_hi) * coef).sum(1)
    share = (at - lo) / (hi - lo)
    flat[at, c] = coef[:, 0] + (1.0 - share) * miss_lo + share * miss_hi


#: :func:`body_fill` fills a joint lost for more than this many frames after its last observation (a shorter end
#: keeps :func:`carried_ends`, nearer the truth there for the legs)
BODY_END_FRAMES = 12
#: :func:`body_fill` follows the mean of this many joints: those seen through the gap nearest the lost one
BODY_REFERENCES = 2


def time_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The runs of True along time of ``mask`` ``(T, C)``: ``(column, first frame, the frame after the last)`` of
    each, column by column in time order."""
    step = np.diff(np.pad(mask, ((1, 1), (0, 0))).astype(np.int8), axis=0).T  # (C, T + 1): +1 a run starts, -1 ends
    col, first = np.nonzero(step == 1)
    return col, first, np.nonzero(step == -1)[1]


def runs_mask(frames: int, columns: int, col: np.ndarray, first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The ``(frames, columns)`` mask that is True in the runs ``first .. stop - 1`` of columns ``col``
    (:func:`time_runs`' form)."""
    edges = np.zeros((frames + 1, columns), dtype=np.int64)
    np.add.at(edges, (first, col), 1)
    np.add.at(edges, (stop, col), -1)
    return np.cumsum(edges[:-1], axis=0) > 0


def body_fill(poses: np.ndarray, gap: np.ndarray, longest: int = CURVED_GAP_FRAMES, ends: int = BODY_END_FRAMES,
              references: int = BODY_REFERENCES, refilled: np.ndarray | None = None) -> None:
    """The long gaps of ``poses`` ``(T, P, J, D)`` (positions, filled already: :func:`fill_gaps`) refilled from the
    joints still seen, in place.  ``gap`` ``(T, P, J, D)``: the entries that were missing.

    A gap is a run of frames in which a joint has a missing coordinate; it is long when it lies inside the
    sequence and has more than ``longest`` frames, or when it reaches the sequence's end (not from its start) and
    has more than ``ends``; a gap at the sequence's start keeps its fill (carried back, :func:`carried_ends`).
    Its reference ``r(t)`` is the mean of the ``references`` joints of the same person or view nearest the lost
    joint at the frames around the gap, among those observed there and, through the gap, observed or in a gap that
    is not long.  The lost joint's offset from ``r`` is filled along time (linearly between the frames around the
    gap; held after its last observation) and ``r(t)`` added back: the joint moves on with the body instead of being
    held or drawn straight across.  A gap with no such reference keeps its fill.  On the test split's clips, a right
    wrist lost for its last 3 s is 0.21 m from the truth on average against 0.73 m carried and held (walks: 0.07 against
    1.41), for 3 s inside a clip 0.16 against 0.31 (a straight line); 2 joints were best or near it for every joint
    group (1 for arms on the longest gaps, 3 for legs), their mean nearer than all joints' mean.  A foot planted while
    the body bends moves with it (at a bend-over clip's start, where this fill is not used: 0.28 m off against 0.02
    carried back)."""
    T, P, J, _ = poses.shape
    lost = gap.any(axis=-1).reshape(T, P * J)
    if T < 2 or J < 2 or not lost.any():
        return
    col, a, b = time_runs(lost)  # each gap's column, first frame and the frame after it
    inside = (a > 0) & (b < T)
    whole = (a == 0) & (b == T)
    # a start is left to carried_ends: the stream fills a joint first seen after its delay as offline does, from
    # the frames it holds, and a foot planted while the body bends is nearer the truth carried back
    far = np.where(inside, b - a > longest, (b - a > ends) & (a > 0) & (b == T))
    if not far.any():
        return
    # (T, C): frames neither observed nor filled from a short gap (in a long gap, or a joint's never seen)
    unsure = runs_mask(T, P * J, col[far | whole], a[far | whole], b[far | whole])
    count = np.concatenate([np.zeros((1, P * J), dtype=np.int64), np.cumsum(unsure, axis=0)]).reshape(T + 1, P, J)
    lost = lost.reshape(T, P, J)
    for c, t0, t1 in zip(col[far], a[far], b[far]):
        p, j = divmod(int(c), J)
        around = [t for t in (t0 - 1, t1) if 0 <= t < T]  # the observed frames next to the gap
        lo, hi = max(t0 - 1, 0), min(t1 + 1, T)  # the gap and the frames around it
        ok = (count[hi, p] == count[lo, p]) & ~lost[around, p].any(axis=0)
        ok[j] = False
        if not ok.any():
            continue
        near = np.flatnonzero(ok)
        dist = np.linalg.norm(poses[around, p][:, near] - poses[around, p, j][:, None], axis=-1).mean(axis=0)
        near = near[np.argsort(dist, kind="stable")[:references]]
        r = poses[lo:hi, p][:, near].mean(axis=1)  # (hi - lo, D)
        off = poses[around, p, j] - r[np.subtract(around, lo)]  # the offsets at the frames around the gap
        share = (np.arange(t0, t1) - around[0]) / max(around[-1] - around[0], 1)  # across an inside gap; an end: held
        fill = r[t0 - lo:t1 - lo] + off[0] + share[:, None] * (off[-1] - off[0])
        span = poses[t0:t1, p, j]  # a view
        span[...] = np.where(gap[t0:t1, p, j], fill, span)
        if refilled is not None:  # (a view of the caller's mask, which says where the joints seen decided)
            refilled[t0:t1, p, j] |= gap[t0:t1, p, j]


def carried_fill(flat: np.ndarray, gap: np.ndarray, support: int = CARRIED_SUPPORT,
                 decay: float = CARRIED_DECAY, observed: np.ndarray | None = None) -> None:
    """The entries ``gap`` ``(T, C)`` of ``flat`` ``(T, C)`` (held causally: each gap holds its last observation)
    in the gaps that follow an observed frame, in place: the line fitted by least squares to the coordinate's
    last ``support`` observed frames (when at least two lie within ``2 * support`` frames), continued from its
    value at the last of them with its slope ``v`` decaying by ``decay`` a frame (``k`` frames into the gap:
    ``v (d + ... + d^k)``); elsewhere the held value stays.  Causal: frame ``t`` uses frames ``<= t`` only;
    :class:`CarriedFill` gives the same frame by frame.  ``observed`` ``(T, C)``: the frames the velocity may be read
    from (default: those outside ``gap``; :func:`carried_ends` fills only the ends, the rest being observed or
    filled already).  Measured with the zero-delay default after it
    (docs/results.md, *Missing frames*): clean motion with 20 % of the frames missing 11.3 against 26.3 mm at the
    filled joints and 1.5 against 5.9 at the others, 8-frame gaps 62 against 103 mm."""
    k = np.arange(support)
    gain = _carried_gain(np.arange(1, flat.shape[0] + 1), decay)  # k = 1, 2, ... frames into a gap
    for c in np.flatnonzero(gap[1:].any(axis=0)):
        g = gap[:, c]
        starts = np.flatnonzero(g[1:] & ~g[:-1]) + 1  # gaps after an observed frame
        if not len(starts):
            continue
        seen = np.flatnonzero(~g if observed is None else observed[:, c])
        r = np.searchsorted(seen, starts)  # observed frames before each gap (>= 1)
        rank = r[:, None] - support + k[None]  # the support's ranks, the last observed frame last
        present = rank >= 0
        frames = seen[np.maximum(rank, 0)]
        base, v = _line_ends(frames, flat[frames, c], present)
        ok = _readable(frames, present, support)
        if not ok.any():
            continue
        at = np.flatnonzero(g)
        at = at[at >= starts[0]]
        run = np.searchsorted(starts, at, side="right") - 1  # the gap each missing frame is in
        keep = ok[run]
        at, run = at[keep], run[keep]
        flat[at, c] = base[run] + v[run] * gain[at - starts[run]]


def carried_start(seen: np.ndarray, k: int) -> np.ndarray:
    """``k`` frames made up before a track's first frame from its first frames ``seen`` ``(n, ..., J, D)`` alone
    (a zero-delay network's first windows): the first frame moved back along the whole body's velocity (the
    joints' mean, fitted over the first :data:`CARRIED_SUPPORT` frames), decaying by :data:`CARRIED_DECAY` a
    frame as :func:`carried_fill` carries a gap; with one frame, that frame held.  Returns ``(k, ..., J, D)``,
    the earliest first.  The whole body's velocity, not each joint's: two or three frames of jitter give a
    joint's velocity a noise the body's mean averages out.  Measured with `synsp-universal-w8-causal` on track
    starts in the validation split (docs/results.md, *Zero-delay methods*): the second frame of a clean track
    1.09 mm from the truth against 1.88 with the first frame held, of a body carried at 10 m/s 1.1 against 164."""
    n = min(len(seen), CARRIED_SUPPORT)
    if n < 2 or k < 1:
        return np.repeat(seen[:1], max(k, 0), axis=0)
    t = np.arange(n) - (n - 1) / 2.0
    body = seen[:n].mean(axis=-2, keepdims=True)  # (n, ..., 1, D)
    v = np.tensordot(t, body, axes=(0, 0)) / (t @ t)  # (..., 1, D) per frame
    gain = _carried_gain(np.arange(k, 0, -1))  # frames before the first: k, ..., 1
    return seen[:1] - gain.reshape((k,) + (1,) * (seen.ndim - 1)) * v[None]


def unseen_start(x: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A causal guess for each joint before its first observation: ``x`` ``(T, P, J, D)`` with those frames (from
    its person's first frame with an observed joint on) holding the mean of the joints observed in that first frame,
    as :func:`synsp.filters.online.hold` gives a stream; and the ``(T, P, J)`` mask of the frames so guessed.
    :func:`carry_missing` would give them the joint's first observation, from a later frame: a zero-delay
    refiner's output for the other joints would read ahead.  A person never observed is left as it is."""
    seen = ~missing
    any_seen = seen.any(axis=-1)  # (T, P)
    start = np.where(any_seen.any(axis=0), any_seen.argmax(axis=0), x.shape[0])  # (P,) each person's first frame
    first = np.where(seen.any(axis=0), seen.argmax(axis=0), x.shape[0])  # (P, J) each joint's first observation
    t = np.arange(x.shape[0])[:, None, None]
    lead = (t >= start[None, :, None]) & (t < first[None])  # (T, P, J)
    if not lead.any():
        return x, lead
    out = np.array(x, dtype=np.float64, copy=True)
    for p in np.flatnonzero(lead.any(axis=(0, 2))):
        f0 = out[start[p], p]
        centre = f0[seen[start[p], p]].mean(axis=0)
        person = out[:, p]  # (T, J, D), a view
        person[lead[:, p]] = centre
    return out, lead


def _carried_gain(steps: np.ndarray, decay: float = CARRIED_DECAY) -> np.ndarray:
    """``d + d^2 + ... + d^k`` for each ``k`` of ``steps``: how many frames of its velocity a carried joint has moved
    ``k`` frames into a gap (:func:`carried_fill`, :func:`carried_start`)."""
    return decay * (1.0 - decay ** steps) / (1.0 - decay)


def carried_ends(flat: np.ndarray, gap: np.ndarray) -> None:
    """The entries ``gap`` ``(T, C)`` of ``flat`` after a coordinate's last observation (and, backwards in time,
    before its first) continue the velocity of its observed frames there, decaying (:func:`carried_fill`), in
    place: a person's joints lost in a take's last (or first) frames go on moving a little, instead of stopping
    dead at the last value seen.  On the test split's clips with the last 1 / 3 / 8 frames missing, the default
    network after the fill is 8.6 / 19.1 / 61.9 mm from the truth there against 22.6 / 49.3 / 110.6 held (with
    the `spiky` family at 1 %: 20.0 / 35.1 / 77.4 against 24.5 / 52.1 / 112.6)."""
    observed = ~gap
    trailing = gap & (np.cumsum(observed[::-1], axis=0)[::-1] == 0)  # no observation at or after the frame
    if trailing.any():
        carried_fill(flat, trailing, observed=observed)
    leading = gap & (np.cumsum(observed, axis=0) == 0)
    if leading.any():
        backwards = flat[::-1].copy()
        carried_fill(backwards, leading[::-1], observed=observed[::-1])
        flat[:] = backwards[::-1]


def _readable(frames: np.ndarray, present: np.ndarray, support: int) -> np.ndarray:
    """``(n,)``: whether a velocity can be read from the observed ``frames`` ``(n, s)`` where ``present`` (the last
    one last): two of them or more, within ``2 * support`` frames."""
    first = np.where(present, frames, frames[:, -1:]).min(axis=1)
    return (present.sum(axis=1) >= 2) & (frames[:, -1] - first <= 2 * support)


def _line_ends(frames: np.ndarray, values: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lines fitted by least squares to ``values`` ``(n, s)`` at ``frames`` ``(n, s)`` where ``present``: their
    value at each row's last frame and their slope per frame, ``(n,)`` each (slope 0 where fewer than two)."""
    w = present.astype(np.float64)
    count = np.maximum(w.sum(axis=1), 1.0)
    t_mean = (w * frames).sum(axis=1) / count
    y_mean = (w * values).sum(axis=1) / count
    dt = w * (frames - t_mean[:, None])
    den = (dt * dt).sum(axis=1)
    slope = np.divide((dt * (values - y_mean[:, None])).sum(axis=1), den, out=np.zeros(len(den)), where=den > 0)
    return y_mean + slope * (frames[:, -1] - t_mean), slope


class CarriedFill:
    """:func:`carried_fill` frame by frame for one track of ``(J, D)`` frames whose joints are missing as a whole:
    :meth:`fill` takes a frame already held (each missing joint at its last value, or a first guess before its
    first observation) and returns it with the gaps carried, equal to the offline fill of the frames so far."""

    def __init__(self, joints: int, dims: int, support: int = CARRIED_SUPPORT, decay: float = CARRIED_DECAY):
        self.support, self.decay = support, decay
        self.frames = np.full((support, joints), -1, dtype=np.int64)  # the last observed frames, the latest last
        self.values = np.zeros((support, joints, dims))
        self.base = np.zeros((joints, dims))  # a gap's start and velocity, read where it began
        self.velocity = np.zeros((joints, dims))
        self.gain = np.zeros(joints)  # d + ... + d^k, k frames into the gap
        self.inside = np.zeros(joints, dtype=bool)  # in a gap that follows an observed frame
        self.t = 0

    def observed_before(self, t: int) -> np.ndarray:
        """``(J,)``: the joints observed in a frame before frame ``t`` (the frames are counted from the first
        :meth:`fill`; the last ``support`` observations of each joint are kept, so its latest before ``t`` is among
        them)."""
        return ((self.frames >= 0) & (self.frames < t)).any(axis=0)

    def fill(self, held: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """Frame ``(J, D)`` (missing joints held) and its ``missing`` ``(J,)`` flags -> the frame filled."""
        seen = ~missing
        if seen.any():
            self.frames[:, seen] = np.roll(self.frames[:, seen], -1, axis=0)
            self.values[:, seen] = np.roll(self.values[:, seen], -1, axis=0)
            self.frames[-1, seen], self.values[-1, seen] = self.t, held[seen]
            self.inside[seen] = False
        start = missing & ~self.inside & (self.frames[-1] >= 0)
        if start.any():
            frames, present = self.frames[:, start].T, self.frames[:, start].T >= 0  # (n, s)
            ok = _readable(frames, present, self.support)
            values = np.moveaxis(self.values[:, start], 0, 1)  # (n, s, D)
            n, D = values.shape[0], values.shape[2]
            base, v = _line_ends(np.repeat(frames, D, axis=0), values.transpose(0, 2, 1).reshape(n * D, -1),
                                 np.repeat(present, D, axis=0))
            self.base[start] = np.where(ok[:, None], base.reshape(n, D), held[start])
            self.velocity[start] = np.where(ok[:, None], v.reshape(n, D), 0.0)
            self.gain[start] = 0.0
            self.inside |= start
        self.t += 1
        carry = missing & self.inside
        if not carry.any():
            return held
        self.gain[carry] = self.decay * (1.0 + self.gain[carry])
        out = held.copy()
        out[carry] = self.base[carry] + self.velocity[carry] * self.gain[carry, None]
        return out


def _require_observed(x: np.ndarray, gap: np.ndarray) -> None:
    """Raise unless every coordinate of ``x`` is observed (not ``gap``) in at least one frame."""
    if gap.all():
        raise SynspInputError(
            f"poses has no observed value (shape {x.shape}: every entry is NaN or below the "
            "confidence threshold); nothing to filter"
        )
    never = gap.all(axis=0)  # (..., J, D)
    if never.any():
        where = np.argwhere(never)[0]
        joint = int(where[-2])
        person = f" of person/view {int(where[0])}" if x.ndim == 4 else ""
        raise SynspInputError(
            f"poses joint {joint}{person} (coordinate {int(where[-1])}) is missing in all "
            f"{x.shape[0]} frames (NaN, or its confidence below the threshold, in each); drop that joint or fill "
            "it before filtering"
        )


def _joint_mean(x: np.ndarray, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``never="joint-mean"``: a coordinate missing in every frame takes, per frame, the mean of the
    observed joints of its person or view (still missing where that frame has none); a person never
    observed at all becomes 0 (observed).  Returns the new ``(x, gap)``."""
    never = gap.all(axis=0)  # ([P,] J, D)
    if not never.any():
        return x, gap
    observed = (~gap).sum(axis=-2, keepdims=True)  # (T, [P,] 1, D)
    total = np.where(gap, 0.0, x).sum(axis=-2, keepdims=True)
    mean = np.divide(total, observed, out=np.full(total.shape, np.nan), where=observed > 0)
    x = np.where(never[None], mean, x)
    gap = np.where(never[None], np.isnan(mean), gap)
    lost = gap.all(axis=(0, -2, -1))  # (P,), or () for (T, J, D); x and gap are new arrays
    if x.ndim == 3 and lost:
        x[:], gap[:] = 0.0, False
    elif x.ndim == 4:
        x[:, lost], gap[:, lost] = 0.0, False
    return x, gap


def _cubic_terms(tau: np.ndarray) -> np.ndarray:
    """``(..., 4)``: 1, tau, tau^2, tau^3 (products, not powers: an hour of gaps is fitted in seconds)."""
    sq = tau * tau
    return np.stack([np.ones_like(tau), tau, sq, sq * tau], axis=-1)
