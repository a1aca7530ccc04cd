"""Randomised error families: estimator errors of every level and shape, some held out from training.

The presets of :mod:`synsp.noise` are calibrated on a few published numbers;
a model trained on them alone learns their quirks (it always corrects, since
every training window carries a preset's error).  An :class:`ErrorFamily` is
a distribution over error models instead.  Every *segment* of a sequence
(geometric length, mean ``segment_s`` seconds) draws its own **level**: exactly
zero with probability ``clean_fraction``, else log-uniform in ``level`` (RMS
joint displacement as a fraction of the person's size, the median larger side
of the joint bounding box, so one family serves metres and pixels).  Every
sequence draws its own **shape**: a random subset of the family's components,
each with random parameters and random per-joint scales.  Within one window
the quality therefore changes as it does in real estimator output, from
exactly right to badly wrong, which is the situation SynSP's Pose Quality
Encoding is meant for.

Components (each a unit-RMS displacement field, multiplied by the level
envelope ``a(t)``, the joint factor of :func:`synsp.noise.joint_factors` and
a per-joint log-normal scale):

* ``white``: independent Gaussian noise per frame;
* ``coloured``: an AR process with a random time constant (20-300 ms, order 1
  or 2), a random spectrum between white and smooth;
* ``heavy``: Student-t innovations (2.5-5 degrees of freedom);
* ``drift``: smooth drift (0.3-2 s) plus a bias;
* ``angles``: anatomically plausible errors: every bone turned by a small,
  temporally correlated rotation about its parent joint, bone lengths kept
  (what a single-frame regressor's wrong-but-valid poses look like);
* ``depth`` (3D): per-joint errors along the camera's viewing direction;
* ``lag``: the output trails the truth (causal first-order low-pass,
  20-150 ms), blended in by the envelope;
* ``misses``: bursts of lost joints and frames (NaN, frozen, or thrown away);
* ``inversions``: left/right pairs or the whole body swapped for random
  lengths (1 frame to 0.5 s).

``mixed-local`` (training) is ``mixed`` on a few joints only: per sequence one
joint to a third of them carry the error, the others stay exact (an occluded
limb, one mistaken joint; in a family trained on errors of the whole body a
model may learn to leave a body alone whose other joints look right).  For
rotations the global orientation is never among them, so jitter of that joint
alone stays held out (``rigid-shake``).  Inversions still swap whole pairs, and
the bone-angle component moves the chosen joints only.

Held-out families (``held_out=True``; never used to train a shipped model, and
but for ``overshoot`` at 2 % on the validation split, which selects family-trained
checkpoints (:data:`synsp.training.SELECTION_FAMILY`), never used to select one)
have structures the training family lacks:

* ``spiky``: most of the error at the highest frequencies, single-frame
  outliers and brief (1-3 frame) inversions;
* ``rigid-shake``: the whole body jitters rigidly (common translation and
  rotation about the root: a detector's box jitter), joints fully correlated;
* ``overshoot``: an under-damped second-order response to the motion (the
  output rings at 2-4 Hz after every fast change) plus a little white noise;
* ``quantized``: coordinates snapped to a grid (heatmap argmax on a coarse
  grid) plus a little white noise.

For evaluation, :func:`simulate_family` takes ``level=`` to fix the level of
the whole sequence (no clean segments).  Everything is seeded: the same seed
gives the same output.

Rotations
---------
``simulate_family(..., representation="rotations")`` gives the same family
structure on body-model joint rotations (local axis-angles ``(T, J, 3)``, e.g.
SMPL's 24, joint 0 the body's global orientation).  A level is then an
**angle**: the RMS geodesic angle between the output and the true rotation,
over joints and frames, in degrees, drawn log-uniform in the family's
``angle_level`` (``mixed``: 0.5-20 degrees; ``mixed-gentle``: 1-20).  Why that
range: 0.5 degrees is half the 1-degree clean-input goal of the rotation model,
so a model learns that errors that small are to be left alone, and 20 degrees is
beyond the mean geodesic error of a weak monocular body-model estimator (the
``3dpw-spin-like`` preset on rotations: about 12.6 degrees); the range is also
the position range (0.2-8 % of the person's size) at 2.5 degrees per 1 %: the
angle that noise of every local rotation needs for about that much joint error
on a 1.7 m body.  Every error is a rotation composed with the truth on the
joint's own side, ``R_out = R_true exp(delta)`` (the angle between them is
``|delta|`` exactly); where a segment is clean, the output *is* the input
array's value, bit for bit.  The components:

* ``white``, ``coloured``, ``heavy``, ``drift``, ``angles``: the position
  shapes as rotation vectors ``delta`` per joint (``angles`` is a smooth,
  order-2 correlated rotation, as for positions);
* ``lag``, ``overshoot``: the truth's sign-continuous quaternions through the
  low-pass (or under-damped filter), renormalised; the difference to the
  truth is let through by the envelope, all of it from a level of 10 degrees;
* ``misses``: NaN, frozen or thrown-away rotations (a random rotation of
  25-100 degrees composed with the joint's);
* ``inversions``: a left/right pair's rotations swapped *and mirrored* in the
  body's sagittal plane (a local axis-angle ``(x, y, z)`` becomes
  ``(x, -y, -z)``, SMPL's lateral axis being x), or all pairs and the global
  orientation mirrored (a whole-body left/right confusion);
* ``spikes`` (held-out ``spiky``): white jitter plus single-frame outlier
  rotations and brief (1-3 frame) mirrored pair swaps;
* ``rigid`` (held-out ``rigid-shake``): the global orientation alone jitters,
  composed on the camera's side (``R_out = exp(delta) R_true``): the level is
  that orientation's RMS angle error, every joint's orientation in the world
  is off by it;
* ``quantize`` (held-out ``quantized``): the axis-angle components snapped to a
  grid (the rotation error of that, scaled to the level) plus a little white;
* ``depth`` has no rotation counterpart here (no camera) and is skipped.

``level=`` for rotations is the RMS angle in degrees (0 to 180).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import scipy.ndimage
import scipy.signal

from .geometry import axis_angle_to_matrix, axis_angle_to_quaternion, matrix_to_axis_angle, quaternion_to_axis_angle
from .noise import Simulated, joint_factors
from .noise.components import invert, last_valid, localization_confidence
from .noise.joints import flip_permutation, resolve_skeleton
from .noise.processes import ar, bursts, expand
from .noise.scale import depth_unit_vectors, joint_box
from .noise.signals import compose, lowpass
from .timeseries import continuous_quaternions
from .validation import SynspInputError, check_fps, check_poses

__all__ = ["ErrorFamily", "FAMILIES", "TRAINING_FAMILIES", "HELD_OUT_FAMILIES", "get_family", "is_family",
           "simulate_family", "person_size"]

COMPONENTS = ("white", "coloured", "heavy", "drift", "angles", "depth", "lag", "misses", "inversions",
              "spikes", "rigid", "overshoot", "quantize")


@dataclass(frozen=True)
class ErrorFamily:
    """A distribution over error models, see the module docstring.

    ``components``: the component names that may be drawn, with their
    probability of being present in a sequence (at least one always is);
    ``level``: log-uniform range of the RMS joint displacement as a fraction
    of the person's size; ``clean_fraction``: probability that a segment is
    error-free; ``segment_s``: mean segment length in seconds.
    """

    name: str
    components: Mapping[str, float]
    level: tuple[float, float] = (0.002, 0.08)
    clean_fraction: float = 0.25
    segment_s: float = 2.0
    held_out: bool = False
    description: str = ""
    angle_level: tuple[float, float] = (0.5, 20.0)  # rotations: log-uniform RMS angle range, degrees
    joint_share: tuple[float, float] | None = None  # errors on a random share of the joints only (None: all)

    def __post_init__(self) -> None:
        unknown = [c for c in self.components if c not in COMPONENTS]
        if unknown or not self.components:
            raise SynspInputError(f"ErrorFamily {self.name!r}: unknown components {unknown}; known: {COMPONENTS}")
        lo, hi = self.level
        if not (0 < lo <= hi < 1):
            raise SynspInputError(f"ErrorFamily {self.name!r}: level range {self.level} must satisfy 0 < lo <= hi < 1")
        lo, hi = self.angle_level
        if not (0 < lo <= hi < 180):
            raise SynspInputError(f"ErrorFamily {self.name!r}: angle_level {self.angle_level} must satisfy "
                                  "0 < lo <= hi < 180 (degrees)")
        if self.joint_share is not None and not (0 <= self.joint_share[0] <= self.joint_share[1] <= 1):
            raise SynspInputError(f"ErrorFamily {self.name!r}: joint_share {self.joint_share} must satisfy "
                                  "0 <= lo <= hi <= 1")
        if not (0 <= self.clean_fraction < 1 and self.segment_s > 0):
            raise SynspInputError(f"ErrorFamily {self.name!r}: clean_fraction in [0, 1) and segment_s > 0 expected")


FAMILIES: Mapping[str, ErrorFamily] = MappingProxyType({f.name: f for f in (
    ErrorFamily(
        "mixed",
        {"white": 0.5, "coloured": 0.5, "heavy": 0.25, "drift": 0.5, "angles": 0.5, "depth": 0.4, "lag": 0.2,
         "misses": 0.3, "inversions": 0.25},
        description="training family: random level per segment (25 % exactly clean), random mix of shapes",
    ),
    ErrorFamily(
        "mixed-gentle",
        {"white": 0.5, "coloured": 0.5, "heavy": 0.25, "drift": 0.5, "angles": 0.5, "depth": 0.4, "lag": 0.2,
         "misses": 0.3, "inversions": 0.25},
        level=(0.004, 0.08), clean_fraction=0.4, angle_level=(1.0, 20.0),
        description="training family: as 'mixed' with more clean segments (40 %) and no errors below 0.4 % "
                    "(rotations: 1 degree)",
    ),
    ErrorFamily(
        "mixed-local",
        {"white": 0.5, "coloured": 0.5, "heavy": 0.25, "drift": 0.5, "angles": 0.5, "depth": 0.4, "lag": 0.2,
         "misses": 0.3, "inversions": 0.25},
        joint_share=(0.0, 0.35),
        description="training family: as 'mixed' on a few joints only (one joint to a third of them per "
                    "sequence: an occluded limb, a mistaken joint), the others exact",
    ),
    ErrorFamily("spiky", {"white": 1.0, "spikes": 1.0}, clean_fraction=0.0, held_out=True,
                description="high-frequency jitter, single-frame outliers, brief inversions"),
    ErrorFamily("rigid-shake", {"rigid": 1.0}, clean_fraction=0.0, held_out=True,
                description="the whole body jitters rigidly (box jitter): joints fully correlated"),
    ErrorFamily("overshoot", {"overshoot": 1.0}, clean_fraction=0.0, held_out=True,
                description="under-damped response to motion (ringing at 2-4 Hz) plus a little white noise"),
    ErrorFamily("quantized", {"quantize": 1.0}, clean_fraction=0.0, held_out=True,
                description="coordinates snapped to a coarse grid plus a little white noise"),
)})
TRAINING_FAMILIES = tuple(n for n, f in FAMILIES.items() if not f.held_out)
HELD_OUT_FAMILIES = tuple(n for n, f in FAMILIES.items() if f.held_out)


def is_family(name: Any) -> bool:
    """True for an :class:`ErrorFamily` or the name of one (as opposed to a noise preset)."""
    return isinstance(name, ErrorFamily) or (isinstance(name, str) and name in FAMILIES)


def get_family(name: "str | ErrorFamily") -> ErrorFamily:
    if isinstance(name, ErrorFamily):
        return name
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise SynspInputError(f"unknown error family {name!r}; known families: {', '.join(FAMILIES)}") from None


def person_size(x4: np.ndarray) -> np.ndarray:
    """``(P,)`` the median over frames of the larger side of the joint box (metres or pixels)."""
    return joint_box(x4)


# ----------------------------------------------------------------------------
# Levels over time


def _envelope(rng: np.random.Generator, T: int, P: int, fps: float, family: ErrorFamily,
              level: float | None, levels: tuple[float, float] | None = None) -> np.ndarray:
    """``(T, P)`` level per frame: piecewise constant segments, edges smoothed over ~3 frames; ``levels``:
    the log-uniform range (default ``family.level``)."""
    if level is not None:
        return np.full((T, P), float(level))
    lo, hi = family.level if levels is None else levels
    env = np.empty((T, P))
    for p in range(P):
        t = 0
        while t < T:
            n = int(rng.geometric(1.0 / max(1.0, family.segment_s * fps)))
            clean = rng.random() < family.clean_fraction
            env[t:t + n, p] = 0.0 if clean else math.exp(rng.uniform(math.log(lo), math.log(hi)))
            t += n
    if T >= 3:
        env = scipy.ndimage.uniform_filter1d(env, 3, axis=0, mode="nearest")
        env[env < 1e-12] = 0.0  # the running mean leaves rounding residue in clean segments: they stay exact
    return env


def _joint_selection(rng: np.random.Generator, family: ErrorFamily, P: int, J: int,
                     exclude: tuple[int, ...] = ()) -> np.ndarray | None:
    """``(1, P, J)`` True on the joints that carry error, ``None`` for all (``family.joint_share`` unset): per
    person a random share of the joints in the family's range, at least one, never those in ``exclude``."""
    if family.joint_share is None:
        return None
    lo, hi = family.joint_share
    pool = np.array([j for j in range(J) if j not in exclude] or list(range(J)))
    sel = np.zeros((1, P, J), dtype=bool)
    for p in range(P):
        k = int(np.clip(round(rng.uniform(lo, hi) * len(pool)), 1, len(pool)))
        sel[0, p, rng.choice(pool, size=k, replace=False)] = True
    return sel


def _blend(env: np.ndarray) -> np.ndarray:
    """``(T, P, 1, 1)`` how much of a motion-dependent error (lag, ringing) a level lets through: all of it
    from a level of 4 % of the person's size, proportionally less below."""
    return np.minimum(env / 0.04, 1.0)[:, :, None, None]


def _gate(env: np.ndarray) -> np.ndarray:
    """True where a segment carries error (events only happen there)."""
    return env > 1e-12


# ----------------------------------------------------------------------------
# Components: each returns a displacement (T, P, J, D) of unit RMS per joint, or edits pred in place


def _unit(field: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(np.sum(field**2, axis=-1)))
    return field / rms if rms > 0 else field


def _joint_scales(rng: np.random.Generator, factors: np.ndarray, P: int) -> np.ndarray:
    """``(1, P, J, 1)`` joint factors times a random log-normal scale per joint."""
    J = factors.size
    return (factors[None, :] * np.exp(0.4 * rng.standard_normal((P, J))))[None, :, :, None]


def bone_rotate(x4: np.ndarray, parents: tuple[int, ...], angles: np.ndarray) -> np.ndarray:
    """Every bone vector turned by its own small rotation, bone lengths kept, positions rebuilt root-out.

    ``angles`` ``(T, P, J, 3)`` rotation vectors in 3D, ``(T, P, J, 1)`` angles in 2D (joint j's bone is
    joint j minus its parent; roots keep their position)."""
    D = x4.shape[-1]
    shift = np.zeros_like(x4)  # accumulated from the roots out; exactly 0 where every angle above is 0
    if D == 3:
        R = axis_angle_to_matrix(angles)  # (T, P, J, 3, 3)
    for j in _topological(parents):
        p = parents[j]
        if p < 0:
            continue
        bone = x4[:, :, j] - x4[:, :, p]
        if D == 3:
            turned = np.einsum("tpab,tpb->tpa", R[:, :, j], bone)
        else:
            c, s = np.cos(angles[:, :, j, 0]), np.sin(angles[:, :, j, 0])
            turned = np.stack([c * bone[..., 0] - s * bone[..., 1], s * bone[..., 0] + c * bone[..., 1]], -1)
        shift[:, :, j] = shift[:, :, p] + (turned - bone)
    return x4 + shift


def _topological(parents: tuple[int, ...]) -> list[int]:
    depth = []
    for j in range(len(parents)):
        d, k = 0, j
        while parents[k] >= 0 and d <= len(parents):
            k, d = parents[k], d + 1
        depth.append(d)
    return sorted(range(len(parents)), key=lambda j: depth[j])


def _perm(sk, J: int, pairs: np.ndarray) -> np.ndarray:
    flip = getattr(sk, "flip_permutation", None)
    return np.asarray(flip) if flip is not None else flip_permutation(J, pairs)


def _ringing(x4: np.ndarray, fps: float, freq: float, damping: float) -> np.ndarray:
    """The truth through an under-damped second-order low-pass (unit DC gain), run causally."""
    w = 2 * math.pi * min(freq, 0.45 * fps)
    b, a = scipy.signal.bilinear([w * w], [1.0, 2 * damping * w, w * w], fs=fps)
    zi = scipy.signal.lfilter_zi(b, a)
    shape = (-1,) + (1,) * (x4.ndim - 1)
    y, _ = scipy.signal.lfilter(b, a, x4, axis=0, zi=zi.reshape(shape) * x4[:1])
    return y


def _draw_misses(r: np.random.Generator, T: int, fps: float, P: int, J: int, gate: np.ndarray,
                 missing: np.ndarray) -> None:
    """Bursts of missed joints and of whole missed persons inside the error segments (``gate``), set
    in ``missing`` ``(T, P, J)``."""
    rate = r.uniform(0.2, 1.5)
    track, start, stop = bursts(r, T, fps, np.full(P * J, rate / J), r.uniform(0.03, 0.4))
    t_idx, b = expand(start, stop)
    keep = gate[t_idx, track[b] // J]
    missing[t_idx[keep], (track[b] // J)[keep], (track[b] % J)[keep]] = True
    ftrack, fstart, fstop = bursts(r, T, fps, np.full(P, rate / 5), r.uniform(0.03, 0.3))
    t_idx, b = expand(fstart, fstop)
    keep = gate[t_idx, ftrack[b]]
    missing[t_idx[keep], ftrack[b][keep]] = True


def _draw_inversions(r: np.random.Generator, T: int, fps: float, P: int, K: int,
                     gate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inversions of random length (mean one frame to 0.5 s) of each of the ``K`` left/right pairs
    ``(T, P, K)`` and of the whole body ``(T, P)``, inside the error segments (``gate``)."""
    mean_s = math.exp(r.uniform(math.log(1.0 / fps), math.log(0.5)))
    pair_mask = np.zeros((T, P, K), dtype=bool)
    track, start, stop = bursts(r, T, fps, np.full(P * K, r.uniform(0.05, 0.5) / K), mean_s)
    t_idx, b = expand(start, stop)
    pair_mask[t_idx, track[b] // K, track[b] % K] = True
    body_mask = np.zeros((T, P), dtype=bool)
    track, start, stop = bursts(r, T, fps, np.full(P, r.uniform(0.0, 0.1)), mean_s)
    t_idx, b = expand(start, stop)
    body_mask[t_idx, track[b]] = True
    return pair_mask & gate[:, :, None], body_mask & gate


def _draw_brief_inversions(r: np.random.Generator, T: int, fps: float, P: int, K: int,
                           gate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The spiky family's inversions: of single left/right pairs, 1-3 frames (mean 1.5 frames, 0.3 per
    second), inside the error segments (``gate``); no whole-body inversions (the ``(T, P)`` mask is empty)."""
    pair_mask = np.zeros((T, P, K), dtype=bool)
    track, start, stop = bursts(r, T, fps, np.full(P * K, 0.3 / K), 1.5 / fps)
    stop = np.minimum(stop, start + 3)
    t_idx, b = expand(start, stop)
    pair_mask[t_idx, track[b] // K, track[b] % K] = True
    return pair_mask & gate[:, :, None], np.zeros((T, P), dtype=bool)


def simulate_family(
    gt: Any,
    family: "str | ErrorFamily",
    *,
    skeleton: Any,
    fps: float,
    seed: int | np.random.Generator | None = None,
    depth_axis: Any = 2,
    level: float | None = None,
    representation: str = "positions",
) -> Simulated:
    """Estimator-like output of ``gt`` ``(T, J, D)`` / ``(T, P, J, D)`` (positions, D = 2 or 3) under a family.

    ``level``: a fixed RMS displacement (fraction of the person's size) for the
    whole sequence, no clean segments (evaluation); ``None``: a level per
    segment as the family draws it (training).  ``depth_axis``: the camera's
    viewing direction for 3D (an axis index, a 3-vector or ``(P, 3)``).
    Returns a :class:`synsp.noise.Simulated` (``preset`` is None, ``events``
    empty; ``scale`` is the person size).

    ``representation="rotations"``: ``gt`` holds local axis-angle rotations
    ``(T, J, 3)`` / ``(T, P, J, 3)`` (radians) and ``level`` is an RMS
    geodesic angle in degrees; see the module docstring (``depth_axis`` is
    not used; ``scale`` is radians per degree).
    """
    fam = get_family(family)
    fps = check_fps(fps, allow_none=False)
    if representation == "rotations":
        return _simulate_rotations(gt, fam, skeleton, fps, seed, level)
    if representation != "positions":
        raise SynspInputError(f"representation is {representation!r}; expected 'positions' or 'rotations'")
    if level is not None and not (isinstance(level, (int, float)) and 0 <= level < 1):
        raise SynspInputError(f"level is {level!r}; expected a fraction of the person's size in [0, 1)")
    sk = resolve_skeleton(skeleton)
    x = check_poses(gt, "gt", ndims=(3, 4), dims=(2, 3), joints=len(sk.joints))
    single = x.ndim == 3
    x4 = x[:, None] if single else x
    T, P, J, D = x4.shape
    rng = np.random.default_rng(seed)
    size = np.maximum(person_size(x4), 1e-9)  # (P,)
    env = _envelope(rng, T, P, fps, fam, level)  # (T, P)
    amp = env * size[None, :]  # (T, P) RMS displacement in gt units
    gate = _gate(env)
    factors = joint_factors(list(sk.joints))
    factors = factors / np.sqrt(np.mean(factors**2))
    chosen = [c for c, p in fam.components.items() if rng.random() < p]
    if not chosen:
        names = list(fam.components)
        chosen = [names[int(rng.integers(len(names)))]]
    weights = {c: math.exp(rng.uniform(-1.0, 1.0)) for c in chosen}
    total = math.sqrt(sum(w * w for w in weights.values()))
    for c in weights:
        weights[c] /= total  # the displacement components' RMS add up to the level
    pairs = np.asarray(list(sk.left_right), dtype=np.int64).reshape(-1, 2)

    selection = _joint_selection(rng, fam, P, J)
    base = x4.copy()
    noise = np.zeros((T, P, J, D))
    missing = np.zeros((T, P, J), dtype=bool)
    A = amp[:, :, None, None]
    for comp in chosen:
        w = weights[comp]
        r = np.random.default_rng(int(rng.integers(2**63 - 1)))
        if comp == "white":
            noise += w * A * _unit(r.standard_normal((T, P, J, D)) * _joint_scales(r, factors, P))
        elif comp == "coloured":
            tau = math.exp(r.uniform(math.log(0.02), math.log(0.3)))
            f = ar(r, (T, P, J, D), fps, tau, int(r.integers(1, 3)))
            noise += w * A * _unit(f * _joint_scales(r, factors, P))
        elif comp == "heavy":
            df = r.uniform(2.5, 5.0)
            noise += w * A * _unit(r.standard_t(df, (T, P, J, D)) * _joint_scales(r, factors, P))
        elif comp == "drift":
            tau = r.uniform(0.3, 2.0)
            f = ar(r, (T, P, J, D), fps, tau, 2) + r.standard_normal((1, P, J, D))
            noise += w * A * _unit(f * _joint_scales(r, factors, P))
        elif comp == "angles":
            tau = math.exp(r.uniform(math.log(0.03), math.log(0.6)))
            k = 3 if D == 3 else 1
            u = ar(r, (T, P, J, k), fps, tau, 2) * _joint_scales(r, factors, P)
            probe = bone_rotate(x4, sk.parents, 0.1 * u) - x4  # displacement per 0.1 rad of unit field
            rms = np.sqrt(np.mean(np.sum(probe**2, -1), axis=(0, 2)))  # (P,)
            gain = np.where(rms > 0, 0.1 / np.maximum(rms, 1e-12), 0.0)  # rad per unit displacement
            ang = u * (w * amp * gain[None, :])[:, :, None, None]
            noise += bone_rotate(x4, sk.parents, ang) - x4  # x4 + shift - x4: exactly 0 where ang is 0
        elif comp == "depth" and D == 3:
            n = depth_unit_vectors(depth_axis, P)
            if n is None:
                continue
            tau = r.uniform(0.05, 1.0)
            a = ar(r, (T, P, J, 1), fps, tau, 2) * _joint_scales(r, factors, P)
            noise += w * A * _unit(a * n[None, :, None, :])
        elif comp == "lag":
            tau = r.uniform(0.02, 0.15)
            alpha = math.exp(-1.0 / (fps * tau))
            noise += _blend(env) * (lowpass(x4, alpha) - x4)
        elif comp == "misses":
            _draw_misses(r, T, fps, P, J, gate, missing)
        elif comp == "inversions" and pairs.size:
            invert(base, *_draw_inversions(r, T, fps, P, pairs.shape[0], gate), pairs, _perm(sk, J, pairs), None)
        elif comp == "spikes":
            jit = r.standard_normal((T, P, J, D)) * _joint_scales(r, factors, P)
            spikes = np.zeros((T, P, J, D))
            hit = r.random((T, P, J)) < 0.5 / fps  # single-frame outliers, 0.5 per joint and second
            spikes[hit] = r.standard_normal((int(hit.sum()), D)) * 4.0
            noise += w * A * _unit(jit + spikes)
            if pairs.size:
                invert(base, *_draw_brief_inversions(r, T, fps, P, pairs.shape[0], gate), pairs,
                        _perm(sk, J, pairs), None)
        elif comp == "rigid":  # half the level as a common translation, half as a rotation about the root
            tau = r.uniform(0.01, 0.06)
            root = x4[:, :, list(sk.root_joints)].mean(axis=2, keepdims=True)  # (T, P, 1, D)
            rel = x4 - root
            radius = max(float(np.sqrt(np.mean(np.sum(rel**2, -1)))), 1e-12)
            half = w * amp / math.sqrt(2.0)  # (T, P)
            noise += _unit(ar(r, (T, P, 1, D), fps, tau, 2)) * half[:, :, None, None]
            if D == 3:
                omega = _unit(ar(r, (T, P, 3), fps, tau, 2)) * (half / radius)[..., None]
                noise += np.einsum("tpab,tpjb->tpja", axis_angle_to_matrix(omega), rel) - rel
            else:
                ang = ar(r, (T, P), fps, tau, 2) * half / radius
                c, s = np.cos(ang)[..., None], np.sin(ang)[..., None]
                noise += np.stack([c * rel[..., 0] - s * rel[..., 1], s * rel[..., 0] + c * rel[..., 1]], -1) - rel
        elif comp == "overshoot":
            rung = _ringing(x4, fps, r.uniform(2.0, 4.0), r.uniform(0.15, 0.35)) - x4
            noise += _blend(env) * rung + 0.3 * w * A * _unit(r.standard_normal((T, P, J, D)))
        elif comp == "quantize":
            step = (np.sqrt(12.0) * amp)[:, :, None, None]  # uniform rounding error of RMS amp per coordinate
            offset = r.uniform(0, 1, (1, P, 1, D)) * step
            q = np.where(step > 0, np.round((x4 + offset) / np.where(step > 0, step, 1.0)) * step - offset, x4)
            noise += (q - x4) / math.sqrt(D) + 0.3 * w * A * _unit(r.standard_normal((T, P, J, D)))

    if selection is not None:  # the family's error on some joints only (inversions swap whole pairs as drawn)
        noise *= selection[..., None]
        missing &= selection
    pred = base + noise
    confidence = localization_confidence(noise + (base - x4), np.random.default_rng(int(rng.integers(2**63 - 1))))
    if missing.any():
        mode = rng.integers(0, 3, size=missing.shape)  # 0 NaN, 1 frozen, 2 thrown away
        frozen = missing & (mode == 1)
        if frozen.any():
            pred = np.where(frozen[..., None], last_valid(pred, ~missing), pred)
        thrown = missing & (mode == 2)
        if thrown.any():
            d = rng.standard_normal((int(thrown.sum()), D))
            d *= (rng.uniform(0.1, 0.4, len(d)) / np.maximum(np.linalg.norm(d, axis=-1), 1e-12))[:, None]
            pred[thrown] += d * np.broadcast_to(size[None, :, None], thrown.shape)[thrown][:, None]
        pred[missing & (mode == 0)] = np.nan
        low = rng.uniform(0.0, 0.3, size=missing.shape)
        confidence = np.where(missing, np.where(mode == 0, 0.0, low), confidence)
    if single:
        pred, confidence, missing = pred[:, 0], confidence[:, 0], missing[:, 0]
    return Simulated(pred, confidence, missing, (), None, fps, size)


# ----------------------------------------------------------------------------
# Rotations (local axis-angles)

#: rotations: the angle (degrees) from which a motion-dependent error (lag, ringing) is let through whole
_BLEND_DEGREES = 10.0
#: rotations: the sagittal mirror of a local axis-angle whose lateral axis is x (SMPL)
_MIRROR = np.array([1.0, -1.0, -1.0])


def _relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The rotation vector ``log(R(a)^T R(b))``: what turns ``a`` into ``b`` on the joint's side."""
    Ra, Rb = axis_angle_to_matrix(a), axis_angle_to_matrix(b)
    return matrix_to_axis_angle(np.swapaxes(Ra, -1, -2) @ Rb)


def _quaternion_filter(x4: np.ndarray, fn: Any) -> np.ndarray:
    """``fn`` (a filter along axis 0) applied to the sign-continuous quaternions of ``x4`` ``(T, P, J, 3)``,
    renormalised, back to axis-angles."""
    T, P, J, _ = x4.shape
    q = continuous_quaternions(axis_angle_to_quaternion(x4).reshape(T, P * J, 4))
    y = fn(q)
    y /= np.maximum(np.linalg.norm(y, axis=-1, keepdims=True), 1e-12)
    return quaternion_to_axis_angle(y).reshape(T, P, J, 3)


def _simulate_rotations(gt: Any, fam: ErrorFamily, skeleton: Any, fps: float,
                        seed: int | np.random.Generator | None, level: float | None) -> Simulated:
    """:func:`simulate_family` on local axis-angles; see the module docstring's *Rotations*."""
    if level is not None and not (isinstance(level, (int, float)) and 0 <= level < 180):
        raise SynspInputError(f"level is {level!r}; for rotations expected an RMS angle in degrees in [0, 180)")
    sk = resolve_skeleton(skeleton)
    x = check_poses(gt, "gt", ndims=(3, 4), dims=(3,), joints=len(sk.joints))
    single = x.ndim == 3
    x4 = x[:, None] if single else x
    T, P, J, D = x4.shape
    rng = np.random.default_rng(seed)
    lo, hi = fam.angle_level
    env = _envelope(rng, T, P, fps, fam, level, levels=(lo, hi))  # (T, P) degrees
    amp = np.radians(env)  # (T, P) RMS angle in radians
    gate = _gate(env)
    blend = np.minimum(env / _BLEND_DEGREES, 1.0)[:, :, None, None]
    factors = joint_factors(list(sk.joints))
    factors = factors / np.sqrt(np.mean(factors**2))
    chosen = [c for c, p in fam.components.items() if rng.random() < p and c != "depth"]
    if not chosen:
        names = [c for c in fam.components if c != "depth"] or ["white"]
        chosen = [names[int(rng.integers(len(names)))]]
    weights = {c: math.exp(rng.uniform(-1.0, 1.0)) for c in chosen}
    total = math.sqrt(sum(w * w for w in weights.values()))
    for c in weights:
        weights[c] /= total
    pairs = np.asarray(list(sk.left_right), dtype=np.int64).reshape(-1, 2)

    # some joints only: never the global orientation alone (held-out rigid-shake jitters just that)
    selection = _joint_selection(rng, fam, P, J, exclude=tuple(sk.root_joints))
    base = x4.copy()
    noise = np.zeros((T, P, J, 3))  # rotation vectors composed on the joint's side of the truth
    missing = np.zeros((T, P, J), dtype=bool)
    A = amp[:, :, None, None]
    for comp in chosen:
        w = weights[comp]
        r = np.random.default_rng(int(rng.integers(2**63 - 1)))
        if comp == "white":
            noise += w * A * _unit(r.standard_normal((T, P, J, 3)) * _joint_scales(r, factors, P))
        elif comp == "coloured":
            tau = math.exp(r.uniform(math.log(0.02), math.log(0.3)))
            f = ar(r, (T, P, J, 3), fps, tau, int(r.integers(1, 3)))
            noise += w * A * _unit(f * _joint_scales(r, factors, P))
        elif comp == "heavy":
            df = r.uniform(2.5, 5.0)
            noise += w * A * _unit(r.standard_t(df, (T, P, J, 3)) * _joint_scales(r, factors, P))
        elif comp == "drift":
            tau = r.uniform(0.3, 2.0)
            f = ar(r, (T, P, J, 3), fps, tau, 2) + r.standard_normal((1, P, J, 3))
            noise += w * A * _unit(f * _joint_scales(r, factors, P))
        elif comp == "angles":
            tau = math.exp(r.uniform(math.log(0.03), math.log(0.6)))
            noise += w * A * _unit(ar(r, (T, P, J, 3), fps, tau, 2) * _joint_scales(r, factors, P))
        elif comp == "lag":
            alpha = math.exp(-1.0 / (fps * r.uniform(0.02, 0.15)))
            lagged = _quaternion_filter(x4, lambda q: lowpass(q, alpha))
            noise += blend * _relative(x4, lagged)
        elif comp == "overshoot":
            freq, damping = r.uniform(2.0, 4.0), r.uniform(0.15, 0.35)
            rung = _quaternion_filter(x4, lambda q: _ringing(q, fps, freq, damping))
            noise += blend * _relative(x4, rung) + 0.3 * w * A * _unit(r.standard_normal((T, P, J, 3)))
        elif comp == "misses":
            _draw_misses(r, T, fps, P, J, gate, missing)
        elif comp == "inversions" and pairs.size:
            invert(base, *_draw_inversions(r, T, fps, P, pairs.shape[0], gate), pairs, _perm(sk, J, pairs), _MIRROR)
        elif comp == "spikes":
            jit = r.standard_normal((T, P, J, 3)) * _joint_scales(r, factors, P)
            spikes = np.zeros((T, P, J, 3))
            hit = r.random((T, P, J)) < 0.5 / fps  # single-frame outliers, 0.5 per joint and second
            spikes[hit] = r.standard_normal((int(hit.sum()), 3)) * 4.0
            noise += w * A * _unit(jit + spikes)
            if pairs.size:
                invert(base, *_draw_brief_inversions(r, T, fps, P, pairs.shape[0], gate), pairs,
                        _perm(sk, J, pairs), _MIRROR)
        elif comp == "rigid":  # the global orientation jitters on the camera's side: exp(d) R = R exp(R^T d)
            tau = r.uniform(0.01, 0.06)
            d = _unit(ar(r, (T, P, 3), fps, tau, 2)) * (w * amp)[..., None]  # (T, P, 3)
            for root in sk.root_joints:
                Rt = np.swapaxes(axis_angle_to_matrix(x4[:, :, root]), -1, -2)
                noise[:, :, root] += np.einsum("tpab,tpb->tpa", Rt, d)
        elif comp == "quantize":
            step = (np.sqrt(12.0) * amp)[:, :, None, None]  # uniform rounding error of RMS amp per component
            offset = r.uniform(0, 1, (1, P, 1, 3)) * step
            q = np.where(step > 0, np.round((x4 + offset) / np.where(step > 0, step, 1.0)) * step - offset, x4)
            noise += _relative(x4, q) / math.sqrt(3.0) + 0.3 * w * A * _unit(r.standard_normal((T, P, J, 3)))

    if selection is not None:
        noise *= selection[..., None]
        missing &= selection
    # compose where there is an error: elsewhere (clean segments) the output is the input's value itself
    moved = np.any(noise != 0, axis=-1)
    pred = base.copy()
    if moved.any():
        pred[moved] = compose(base[moved], noise[moved])
    changed = np.any(pred != x4, axis=-1)
    err = np.zeros((T, P, J, 3))
    if changed.any():
        err[changed] = _relative(x4[changed], pred[changed])
    confidence = localization_confidence(err, np.random.default_rng(int(rng.integers(2**63 - 1))))
    if missing.any():
        mode = rng.integers(0, 3, size=missing.shape)  # 0 NaN, 1 frozen, 2 thrown away
        frozen = missing & (mode == 1)
        if frozen.any():
            pred = np.where(frozen[..., None], last_valid(pred, ~missing), pred)
        thrown = missing & (mode == 2)
        if thrown.any():
            d = rng.standard_normal((int(thrown.sum()), 3))
            d *= (np.radians(rng.uniform(25.0, 100.0, len(d))) / np.maximum(np.linalg.norm(d, axis=-1), 1e-12))[:, None]
            pred[thrown] = compose(pred[thrown], d)
        pred[missing & (mode == 0)] = np.nan
        low = rng.uniform(0.0, 0.3, size=missing.shape)
        confidence = np.where(missing, np.where(mode == 0, 0.0, low), confidence)
    if single:
        pred, confidence, missing = pred[:, 0], confidence[:, 0], missing[:, 0]
    return Simulated(pred, confidence, missing, (), None, fps, np.full(P, math.radians(1.0)))
