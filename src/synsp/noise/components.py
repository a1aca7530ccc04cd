"""The error components of :func:`synsp.noise.simulate`, one function each, in the order it applies them.

1. :func:`lag`, 2. :func:`bias`, :func:`drift` and :func:`jitter` (summed, scaled and stretched
along the depth axis by :func:`localization_error` and :func:`stretch_depth`; the confidence
follows from their size, :func:`localization_confidence`), 3. :func:`inversions`,
4. :func:`swaps`, 5. :func:`joint_misses` and :func:`frame_misses`, rendered last by
:func:`render_misses`.

Arrays are ``(T, P, J, D)`` (frames, persons or views, joints, coordinates), masks ``(T, P, J)``.
A length of the model is given for a factor-1 joint in the model's unit (metres, or pixels at a
``REFERENCE_BOX_PX`` joint box); :func:`localization_error` multiplies by the joint factor
``(J,)`` and the person scale ``(P,)`` (see :func:`synsp.noise.scale.resolve_scale`), which turns
it into the ground truth's unit (radians for rotations).  Times are in seconds, rates in events per
second.  Each drawing component takes its own generator, so switching one off leaves the others'
draws unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..missing import fill_gaps
from .joints import flip_permutation
from .model import CLEAN_CONFIDENCE, MISS_CONFIDENCE, MODE_CODE, Drift, Inversions, Jitter, Misses, Swaps
from .processes import ar, bursts, expand, random_directions
from .result import Event
from .scale import depth_unit_vectors
from .signals import compose, displace, lowpass, lowpass_rotations


# ---------------------------------------------------------------------------- 1. lag


def lag(x4: np.ndarray, lag_s: float, fps: float, rotations: bool) -> np.ndarray:
    """The estimator trails the truth: a causal first-order low-pass of the ground truth.

    Draws nothing.  ``y[t] = a y[t-1] + (1 - a) x[t]`` with ``a = exp(-1 / (fps lag_s))``
    (``lag_s`` in seconds), on the coordinates, or for rotations on sign-aligned quaternions.
    Returns ``x4`` itself when ``lag_s`` is 0 or there is one frame.
    """
    if lag_s > 0 and x4.shape[0] > 1:
        alpha = math.exp(-1.0 / (fps * lag_s))
        return lowpass_rotations(x4, alpha) if rotations else lowpass(x4, alpha)
    return x4


# ---------------------------------------------------------------------------- 2. bias, drift, jitter


def bias(rng: np.random.Generator, bias_std: float, shape: tuple[int, ...]) -> np.ndarray:
    """Constant per-sequence offset: one ``N(0, bias_std^2)`` draw per person, joint and coordinate.

    Returns ``(1, P, J, D)`` in the model's unit for a factor-1 joint (``shape`` is ``(T, P, J, D)``).
    """
    return bias_std * rng.standard_normal((1,) + tuple(shape[1:]))


def drift(rng: np.random.Generator, model: Drift, shape: tuple[int, ...], fps: float) -> np.ndarray:
    """Slow stationary error: ``model.std`` times a unit-variance process per person, joint and
    coordinate with time constant ``model.tau_s`` seconds (``order`` 1: Ornstein-Uhlenbeck, 2: smooth;
    see :func:`synsp.noise.processes.ar`).  Returns ``shape`` ``(T, P, J, D)``, model unit, factor-1 joint.
    """
    return model.std * ar(rng, shape, fps, model.tau_s, model.order)


def jitter(rng: np.random.Generator, model: Jitter, shape: tuple[int, ...], fps: float) -> np.ndarray:
    """Per-frame localization noise: ``model.std`` times a unit-variance process, white when
    ``model.tau_s`` is 0, else correlated over ``tau_s`` seconds (``order`` 1 or 2), with Student-t
    innovations of ``model.df`` degrees of freedom (rescaled to unit variance) or Gaussian ones.
    Returns ``shape`` ``(T, P, J, D)``, model unit, factor-1 joint.
    """
    return model.std * ar(rng, shape, fps, model.tau_s, model.order, model.df)


def localization_error(
    drift_model: Drift,
    jitter_model: Jitter,
    shape: tuple[int, ...],
    fps: float,
    factors: np.ndarray,
    scale: np.ndarray,
    rng_bias: np.random.Generator,
    rng_drift: np.random.Generator,
    rng_jitter: np.random.Generator,
) -> np.ndarray:
    """``bias + drift + jitter`` (each only when its std is > 0), times the joint factor ``(J,)`` and
    the person scale ``(P,)``: ``(T, P, J, D)`` in the ground truth's unit."""
    noise = np.zeros(shape)
    if drift_model.bias_std > 0:
        noise += bias(rng_bias, drift_model.bias_std, shape)
    if drift_model.std > 0:
        noise += drift(rng_drift, drift_model, shape, fps)
    if jitter_model.std > 0:
        noise += jitter(rng_jitter, jitter_model, shape, fps)
    noise *= factors[None, None, :, None] * scale[None, :, None, None]
    return noise


def stretch_depth(noise: np.ndarray, depth_factor: float, depth_axis: Any) -> None:
    """In place: the component of ``noise`` ``(T, P, J, 3)`` along each view's camera depth direction
    (``depth_axis``: an index, a 3-vector or ``(P, 3)``; None: isotropic) is multiplied by
    ``depth_factor``.  Draws nothing.  Only for 3D positions; the caller decides."""
    n = depth_unit_vectors(depth_axis, noise.shape[1])
    if n is not None:
        n4 = n[None, :, None, :]
        noise += (depth_factor - 1.0) * (noise * n4).sum(-1, keepdims=True) * n4


def localization_confidence(noise: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Confidence ``(T, P, J)`` from the size of the localization error.

    ``0.98 exp(-(e / e0)^2 / 2)`` plus a little N(0, 0.02) noise, with ``e0``
    twice the joint's RMS error over the sequence: near 0.9 for typical
    errors, dropping toward 0 for errors several times larger.
    """
    err = np.linalg.norm(noise, axis=-1)  # (T, P, J)
    ref = 2.0 * np.sqrt(np.mean(err**2, axis=0, keepdims=True))
    ratio = np.divide(err, ref, out=np.zeros_like(err), where=ref > 0)
    conf = CLEAN_CONFIDENCE * np.exp(-0.5 * ratio**2) + 0.02 * rng.standard_normal(err.shape)
    return np.clip(conf, 0.0, 1.0)


# ---------------------------------------------------------------------------- 3. inversions


def inversions(
    rng: np.random.Generator,
    pred: np.ndarray,
    confidence: np.ndarray,
    model: Inversions,
    fps: float,
    skeleton: Any,
    pairs: np.ndarray,
    mirror: np.ndarray | None,
) -> list[Event]:
    """Left/right confusions, in place on ``pred`` and ``confidence`` (a confident mistake).

    Draws the whole-body bursts first (``model.body_rate`` per second per person: every
    left/right pair swapped), then the single-pair bursts (``model.pair_rate`` per second per
    person, spread evenly over the K ``pairs``); durations geometric with mean ``model.mean_s``
    seconds.  With ``mirror`` (rotations) swapped joints, and for the whole body every joint, are
    mirrored.  Off (no draw) without pairs or with both rates 0.  Returns the events.
    """
    if not (pairs.size and (model.pair_rate > 0 or model.body_rate > 0)):
        return []
    T, P, J = pred.shape[:3]
    body_mask = np.zeros((T, P), dtype=bool)
    track, start, stop = bursts(rng, T, fps, np.full(P, model.body_rate), model.mean_s)
    t_idx, b = expand(start, stop)
    body_mask[t_idx, track[b]] = True
    events = [
        Event("body_inversion", int(a), int(z), int(p), tuple(range(J)))
        for p, a, z in zip(track, start, stop)
    ]
    K = pairs.shape[0]
    pair_mask = np.zeros((T, P, K), dtype=bool)
    track, start, stop = bursts(rng, T, fps, np.full(P * K, model.pair_rate / K), model.mean_s)
    t_idx, b = expand(start, stop)
    pair_mask[t_idx, track[b] // K, track[b] % K] = True
    events += [
        Event("pair_inversion", int(a), int(z), int(tr // K), tuple(int(j) for j in pairs[tr % K]))
        for tr, a, z in zip(track, start, stop)
    ]
    flip = getattr(skeleton, "flip_permutation", None)
    perm = np.asarray(flip) if flip is not None else flip_permutation(J, pairs)
    for arr, mir in ((pred, mirror), (confidence[..., None], None)):
        invert(arr, pair_mask, body_mask, pairs, perm, mir)
    return events


def invert(
    arr: np.ndarray,
    pair_mask: np.ndarray,
    body_mask: np.ndarray,
    pairs: np.ndarray,
    perm: np.ndarray,
    mirror: np.ndarray | None,
) -> None:
    """In place: swap left/right pairs where ``pair_mask`` (T, P, K), all pairs where ``body_mask`` (T, P).

    With ``mirror`` (rotations) the swapped joints, and for whole-body
    inversions every joint, are mirrored: ``aa * mirror``.
    """
    for k, (left, right) in enumerate(pairs):
        t_idx, p_idx = np.nonzero(pair_mask[..., k])
        a, b = arr[t_idx, p_idx, left], arr[t_idx, p_idx, right]
        if mirror is not None:
            a, b = a * mirror, b * mirror
        arr[t_idx, p_idx, left], arr[t_idx, p_idx, right] = b, a
    t_idx, p_idx = np.nonzero(body_mask)
    flipped = arr[t_idx, p_idx][:, perm]
    arr[t_idx, p_idx] = flipped * mirror if mirror is not None else flipped


# ---------------------------------------------------------------------------- 4. swaps


def swaps(
    rng: np.random.Generator,
    pred: np.ndarray,
    companion: np.ndarray | None,
    noise: np.ndarray,
    model: Swaps,
    fps: float,
    rotations: bool,
) -> list[Event]:
    """Joints taken from another person, in place on ``pred``.

    Draws ``model.rate`` bursts per second per person (durations geometric, mean ``model.mean_s``
    seconds), then per burst whether it takes the whole body (probability ``model.body_fraction``),
    then the joint it takes otherwise.  The taken joints are the ``companion``'s ``(T, P, J, D)``
    with the same localization error ``noise``.  Off (no draw) without a companion or at rate 0.
    Returns the events.
    """
    if companion is None or not model.rate > 0:
        return []
    T, P, J = pred.shape[:3]
    track, start, stop = bursts(rng, T, fps, np.full(P, model.rate), model.mean_s)
    whole = rng.random(track.size) < model.body_fraction
    joint = rng.integers(0, J, size=track.size)
    swap_mask = np.zeros((T, P, J), dtype=bool)
    t_idx, b = expand(start, stop)
    body = whole[b]
    swap_mask[t_idx[body], track[b][body], :] = True
    swap_mask[t_idx[~body], track[b][~body], joint[b][~body]] = True
    comp_pred = compose(companion, noise) if rotations else companion + noise
    pred[swap_mask] = comp_pred[swap_mask]
    return [
        Event("swap", int(a), int(z), int(p), tuple(range(J)) if w else (int(j),))
        for p, a, z, w, j in zip(track, start, stop, whole, joint)
    ]


# ---------------------------------------------------------------------------- 5. misses


def joint_misses(
    rng: np.random.Generator,
    pred: np.ndarray,
    missing: np.ndarray,
    mode: np.ndarray,
    model: Misses,
    fps: float,
    factors: np.ndarray,
    scale: np.ndarray,
    rotations: bool,
) -> list[Event]:
    """Single joints lost in bursts; marks ``missing`` and ``mode`` (and moves outliers in ``pred``) in place.

    Draws ``model.joint_rate`` bursts per second per person on average, shared over the joints in
    proportion to their factor (durations geometric, mean ``model.joint_mean_s`` seconds); for
    ``"outlier"`` mode then one displacement per burst (:func:`_outlier_offsets`: size
    ``model.outlier_distance`` x U(0.5, 1.5) x the person scale, random direction, fixed for the
    burst).  ``"nan"`` and ``"freeze"`` are rendered by :func:`render_misses`.  Returns the events.
    """
    if not model.joint_rate > 0:
        return []
    T, P, J, D = pred.shape
    weights = factors / factors.mean() if factors.mean() > 0 else np.ones(J)
    track, start, stop = bursts(rng, T, fps, np.tile(model.joint_rate * weights, P), model.joint_mean_s)
    t_idx, b = expand(start, stop)
    p_idx, j_idx = track[b] // J, track[b] % J
    if model.joint_mode == "outlier":
        offsets = _outlier_offsets(rng, track.size, D, model.outlier_distance, scale[track // J], rotations)
        pred[t_idx, p_idx, j_idx] = displace(pred[t_idx, p_idx, j_idx], offsets[b], rotations)
    missing[t_idx, p_idx, j_idx] = True
    mode[t_idx, p_idx, j_idx] = MODE_CODE[model.joint_mode]
    return [
        Event("joint_miss", int(a), int(z), int(tr // J), (int(tr % J),), model.joint_mode)
        for tr, a, z in zip(track, start, stop)
    ]


def frame_misses(
    rng: np.random.Generator,
    pred: np.ndarray,
    missing: np.ndarray,
    mode: np.ndarray,
    model: Misses,
    fps: float,
    scale: np.ndarray,
    rotations: bool,
) -> list[Event]:
    """Whole frames lost in bursts; marks ``missing`` and ``mode`` (and moves outliers in ``pred``) in place.

    Draws ``model.frame_rate`` bursts per second per person (durations geometric, mean
    ``model.frame_mean_s`` seconds); for ``"outlier"`` mode then one displacement per burst, the
    same for every joint of the frame (a rigid shift, or for rotations the same rotation vector
    composed with every joint).  Returns the events.
    """
    if not model.frame_rate > 0:
        return []
    T, P, J, D = pred.shape
    track, start, stop = bursts(rng, T, fps, np.full(P, model.frame_rate), model.frame_mean_s)
    t_idx, b = expand(start, stop)
    if model.frame_mode == "outlier":
        offsets = _outlier_offsets(rng, track.size, D, model.outlier_distance, scale[track], rotations)
        rigid = np.broadcast_to(offsets[b][:, None, :], (b.size, J, D))
        pred[t_idx, track[b]] = displace(pred[t_idx, track[b]], rigid, rotations)
    missing[t_idx, track[b]] = True
    mode[t_idx, track[b]] = MODE_CODE[model.frame_mode]
    return [
        Event("frame_miss", int(a), int(z), int(p), tuple(range(J)), model.frame_mode)
        for p, a, z in zip(track, start, stop)
    ]


def render_misses(
    rng_conf: np.random.Generator, pred: np.ndarray, confidence: np.ndarray, missing: np.ndarray, mode: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The lost joints as the estimator reports them: ``"freeze"`` repeats the last output value
    (:func:`last_valid`), ``"nan"`` is NaN with confidence 0, and every other lost joint gets a
    low confidence U(0, 0.3) (drawn for every entry from the confidence stream).  Returns
    ``(pred, confidence)``; no draw when nothing is missing."""
    if not missing.any():
        return pred, confidence
    freeze = missing & (mode == MODE_CODE["freeze"])
    if freeze.any():
        pred = np.where(freeze[..., None], last_valid(pred, ~missing), pred)
    nan = missing & (mode == MODE_CODE["nan"])
    pred[nan] = np.nan
    low = rng_conf.uniform(0.0, MISS_CONFIDENCE, size=missing.shape)
    confidence = np.where(missing, np.where(nan, 0.0, low), confidence)
    return pred, confidence


def _outlier_offsets(
    rng: np.random.Generator, n: int, dims: int, distance: float, scale: np.ndarray, rotations: bool
) -> np.ndarray:
    """``(n, D)`` random displacements (rotation vectors for rotations)."""
    size = distance * rng.uniform(0.5, 1.5, size=n) * scale
    if rotations:
        size = np.minimum(size, math.pi)
    return random_directions(rng, n, dims) * size[:, None]


def last_valid(pred: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """For every (t, p, j), the value at the last valid frame at or before t (``valid`` ``(T, P, J)``).

    Before the first valid frame the first valid value is used; a joint that
    is never valid keeps its own values (:func:`synsp.missing.fill_gaps`, causal, ``never="keep"``).
    """
    return fill_gaps(pred, ~valid, causal=True, never="keep")
