"""The estimator-error simulator: ground-truth motion in, pose-estimator-like output out.

SynSP learns from pairs (ground truth, estimator output).  Where no estimator
output exists (our motion capture), :func:`simulate` makes one, with the error
types of the SynSP supplementary (section 1.1) plus the slow, correlated error
that real estimators show:

* **jitter**: small per-joint, per-frame errors, Gaussian or heavy-tailed
  (Student-t), optionally correlated over a few tens of milliseconds;
* **drift and bias**: a stationary random process per joint and coordinate
  with a time constant in seconds (Ornstein-Uhlenbeck, or a smooth variant),
  plus a constant per-sequence bias: what a single-frame estimator does on
  hard poses;
* **lag**: a causal first-order low-pass applied to the ground truth, so the
  output trails and under-shoots fast motion (temporal estimators such as VIBE
  and TCMR);
* **miss**: one joint or a whole frame lost in a burst, rendered as NaN, frozen
  at its last valid value, or thrown to an outlier position, with the low
  confidence an estimator would report;
* **inversion**: left/right confusion of one joint pair or of the whole body
  for a burst of frames (uses the skeleton's ``left_right`` pairs);
* **swap**: joints taken from another person nearby (a ``companion`` track,
  see :func:`place_companion`).

Every length is scaled per joint from the joint's *name* (torso < head <
elbows/knees < wrists/ankles/hands/feet, see :class:`JointScale`), so any
skeleton of :mod:`synsp.skeletons` works.  For 3D positions, bias, drift and
jitter are stretched by ``depth_factor`` along the camera's depth axis
(``depth_axis``: monocular 3D is least sure about depth).

Time is in seconds, never in frames: time constants, burst durations (mean of
a geometric distribution) and event rates (Poisson, per second).  The same
preset at another frame rate is the same continuous-time error sampled more or
less densely, so MPJPE and the error spectrum in Hz stay the same (the
calibration script checks both at twice each preset's rate: MPJPE within 1.5 %,
the share above 3 Hz within 0.004).  Accel is per frame², so it does not: the
bias adds none at any rate, white jitter keeps its Accel, an
Ornstein-Uhlenbeck drift's falls like ``fps**-0.5`` and that of smooth
components (order-2 drift and jitter with ``tau_s`` of a few frames or more,
the lag) like ``fps**-2``.  The presets mix these: doubling the frame rate
multiplies their Accel by 0.78 (``3dpw-spin-like``, nearly white jitter) to
0.41 (``vibe-like``, smooth jitter).

Units.  3D presets are in metres (``unit="m"``).  2D presets are in pixels for
a person whose joint bounding box is ``REFERENCE_BOX_PX`` = 500 px tall (a
person about 500 px tall in a 1000 px image, as in Human3.6M); by default
every length is multiplied by ``box / 500``, where ``box`` is the median over
frames of the larger side of the ground truth's joint bounding box, so 2D
presets work at any resolution or normalisation.  For body-model rotations
lengths become angles through the preset's ``radians_per_metre`` (calibrated
so that local-rotation noise on the CMU skeleton gives the preset's MPJPE after
forward kinematics).  ``scale=`` overrides all of this.

The presets (:data:`PRESETS`) are calibrated on real CMU motion capture by
``benchmarks/noise_presets.py``: MPJPE and Accel against the input columns of
SmoothNet's tables, and the share of error energy above 3 Hz against what a
temporal smoother removed there (:class:`Target`).  :func:`error_profile`
measures the three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np
import scipy.fft
import scipy.signal

from .validation import SynspInputError, check_fps, check_poses, to_numpy

__all__ = [
    "REFERENCE_BOX_PX",
    "JointScale",
    "Jitter",
    "Drift",
    "Misses",
    "Inversions",
    "Swaps",
    "Target",
    "ErrorModel",
    "PRESETS",
    "get_preset",
    "Event",
    "Simulated",
    "simulate",
    "joint_factors",
    "place_companion",
    "error_profile",
]

REFERENCE_BOX_PX = 500.0
"""Joint-box height (px) that the 2D presets' pixel values refer to."""

MISS_MODES = ("nan", "freeze", "outlier")
_MODE_CODE = {m: i + 1 for i, m in enumerate(MISS_MODES)}  # 0: not missing
_CLEAN_CONFIDENCE = 0.98  # confidence of a joint with zero localization error
_MISS_CONFIDENCE = 0.3  # upper end of the confidence of a frozen / outlier joint


# ----------------------------------------------------------------------------
# Configuration


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise SynspInputError(message)


def _non_negative(obj: Any, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        _require(
            isinstance(value, (int, float)) and math.isfinite(value) and value >= 0,
            f"{type(obj).__name__}.{name} is {value!r}; expected a finite number >= 0",
        )


@dataclass(frozen=True)
class JointScale:
    """Error multiplier per joint class, chosen from the joint's name.

    ``extremity``: wrist, hand, ankle, foot, toe, heel, finger names;
    ``limb``: elbow, knee (and any name not recognised); ``head``: head and
    face points; ``torso``: hips, pelvis, spine, thorax, neck, shoulders.
    Every length of the error model is given for a factor-1 joint.
    """

    torso: float = 0.6
    head: float = 0.8
    limb: float = 1.0
    extremity: float = 1.4

    def __post_init__(self) -> None:
        _non_negative(self, "torso", "head", "limb", "extremity")


@dataclass(frozen=True)
class Jitter:
    """Per-frame localization noise (per coordinate).

    ``std``: standard deviation (length unit of the model); ``tau_s``:
    correlation time in seconds (0: white noise at any frame rate);
    ``order``: 1 for an AR(1) / Ornstein-Uhlenbeck correlation, 2 for a
    smooth one whose spectrum falls as ``f^-4`` above ``1/(2 pi tau_s)``
    (see :func:`_ar`); ``df``: Student-t degrees of freedom (> 2, rescaled
    to unit variance) for heavy tails, ``None`` for Gaussian.
    """

    std: float = 0.0
    tau_s: float = 0.0
    order: int = 1
    df: float | None = None

    def __post_init__(self) -> None:
        _non_negative(self, "std", "tau_s")
        _require(self.order in (1, 2), f"Jitter.order is {self.order!r}; expected 1 or 2")
        _require(
            self.df is None or (math.isfinite(self.df) and self.df > 2),
            f"Jitter.df is {self.df!r}; expected None (Gaussian) or degrees of freedom > 2",
        )


@dataclass(frozen=True)
class Drift:
    """Slow error: a per-sequence bias plus an Ornstein-Uhlenbeck drift.

    ``bias_std``: std of a constant offset per joint and coordinate;
    ``std``: stationary std of the drift; ``tau_s``: its time constant in
    seconds; ``order`` 1: Ornstein-Uhlenbeck (autocorrelation
    ``exp(-|lag|/tau_s)``, spectrum ``1 / (1 + (2 pi f tau_s)^2)``), whose
    rough paths add Accel; ``order`` 2: a smooth drift (autocorrelation
    ``(1 + |lag|/tau_s) exp(-|lag|/tau_s)``), like an error that follows the
    pose as it changes (see :func:`_ar`).
    """

    bias_std: float = 0.0
    std: float = 0.0
    tau_s: float = 1.0
    order: int = 1

    def __post_init__(self) -> None:
        _non_negative(self, "bias_std", "std")
        _require(self.tau_s > 0, f"Drift.tau_s is {self.tau_s!r}; expected > 0 seconds")
        _require(self.order in (1, 2), f"Drift.order is {self.order!r}; expected 1 or 2")


@dataclass(frozen=True)
class Misses:
    """Lost joints and lost frames, in bursts.

    ``joint_rate``: bursts per second per joint on average (distributed over
    joints in proportion to their :class:`JointScale` factor);
    ``frame_rate``: whole-frame bursts per second.  Durations are geometric
    with mean ``*_mean_s`` seconds (at least one frame).  Modes: ``"nan"``,
    ``"freeze"`` (repeat the last valid value) or ``"outlier"`` (a random
    displacement of ``outlier_distance`` x U(0.5, 1.5) in a random direction,
    fixed for the burst; a lost frame moves all joints by the same vector, or
    for rotations composes them all with the same rotation vector).
    """

    joint_rate: float = 0.0
    joint_mean_s: float = 0.2
    joint_mode: str = "outlier"
    frame_rate: float = 0.0
    frame_mean_s: float = 0.2
    frame_mode: str = "nan"
    outlier_distance: float = 0.0

    def __post_init__(self) -> None:
        _non_negative(self, "joint_rate", "joint_mean_s", "frame_rate", "frame_mean_s", "outlier_distance")
        for name in ("joint_mode", "frame_mode"):
            _require(
                getattr(self, name) in MISS_MODES,
                f"Misses.{name} is {getattr(self, name)!r}; expected one of {MISS_MODES}",
            )


@dataclass(frozen=True)
class Inversions:
    """Left/right confusion: ``pair_rate`` bursts per second of one random
    left/right pair swapped, ``body_rate`` of all pairs; mean burst ``mean_s``."""

    pair_rate: float = 0.0
    body_rate: float = 0.0
    mean_s: float = 0.2

    def __post_init__(self) -> None:
        _non_negative(self, "pair_rate", "body_rate", "mean_s")


@dataclass(frozen=True)
class Swaps:
    """Joints taken from the ``companion``: ``rate`` bursts per second, each
    the whole body with probability ``body_fraction``, else one random joint."""

    rate: float = 0.0
    mean_s: float = 0.3
    body_fraction: float = 0.0

    def __post_init__(self) -> None:
        _non_negative(self, "rate", "mean_s", "body_fraction")
        _require(self.body_fraction <= 1, f"Swaps.body_fraction is {self.body_fraction}; expected <= 1")


@dataclass(frozen=True)
class Target:
    """What a preset is calibrated to, at the preset's frame rate.

    ``mpjpe`` and ``accel`` in the model's length unit (per frame² for Accel),
    ``hf_fraction``: share of the error energy above 3 Hz; ``source``: where
    the numbers come from.
    """

    mpjpe: float
    accel: float
    hf_fraction: float
    source: str


@dataclass(frozen=True)
class ErrorModel:
    """A complete estimator-error model; the presets are instances.

    ``unit``: ``"m"`` (3D presets) or ``"px"`` (2D presets, pixels at a
    ``REFERENCE_BOX_PX`` joint box).  ``fps``: the frame rate the ``target``
    refers to (the model itself works at any rate).  ``lag_s``: time constant
    of the causal low-pass applied to the ground truth (0: none).
    ``depth_factor``: std multiplier of bias, drift and jitter along the depth
    axis (3D positions).  ``radians_per_metre``: how lengths become angles for
    ``representation="rotations"``.
    """

    name: str
    unit: str
    fps: float
    jitter: Jitter = field(default_factory=Jitter)
    drift: Drift = field(default_factory=Drift)
    lag_s: float = 0.0
    depth_factor: float = 1.0
    joint_scale: JointScale = field(default_factory=JointScale)
    misses: Misses = field(default_factory=Misses)
    inversions: Inversions = field(default_factory=Inversions)
    swaps: Swaps = field(default_factory=Swaps)
    radians_per_metre: float = 3.4
    target: Target | None = None
    description: str = ""

    def __post_init__(self) -> None:
        _require(self.unit in ("m", "px"), f"ErrorModel.unit is {self.unit!r}; expected 'm' or 'px'")
        _require(self.fps > 0, f"ErrorModel.fps is {self.fps!r}; expected > 0")
        _non_negative(self, "lag_s", "depth_factor", "radians_per_metre")


def _dims_of(unit: str) -> int:
    return 2 if unit == "px" else 3


# Calibrated by benchmarks/noise_presets.py (its docstring has the command).
# Per preset, the design fixes the joint scale, depth factor, lag, time
# constant and order of the drift, the bias/drift split (1:1) and the events
# (misses, inversions); the script fits the common std of bias and drift, the
# jitter std and the jitter time constant to the three targets, and
# radians_per_metre to the MPJPE target under rotation noise.
# Targets: SmoothNet README input columns (anchors.md section 6.1); the
# high-frequency share is 1 - (MPJPE after SmoothNet / MPJPE before)^2 from
# the same table, the error energy a temporal smoother removed.  (If all of
# that error were white, Accel alone would imply a smaller share, about
# (Accel^2 / 6) (1 - 6 Hz / fps) / MPJPE^2: 1.8 % for FCN, 0.7 % for HRNet;
# real single-frame errors carry more energy at 3-8 Hz than white noise.)
PRESETS: Mapping[str, ErrorModel] = MappingProxyType(
    {
        m.name: m
        for m in (
            ErrorModel(
                name="h36m-fcn-like",
                unit="m",
                fps=50.0,
                description="single-frame 3D lifting (FCN of Martinez et al. on Human3.6M)",
                jitter=Jitter(std=0.00808, tau_s=0.0229, order=2, df=4.0),
                drift=Drift(bias_std=0.0157, std=0.0157, tau_s=0.5, order=2),
                depth_factor=2.0,
                misses=Misses(
                    joint_rate=0.005, joint_mean_s=0.1,
                    joint_mode="outlier", outlier_distance=0.15,
                ),
                inversions=Inversions(pair_rate=0.01, mean_s=0.15),
                radians_per_metre=3.42,
                target=Target(
                    0.05455, 0.01917, 0.066,
                    "SmoothNet README, H36M FCN 3D: 54.55 -> 52.72 mm, 19.17 mm/f^2",
                ),
            ),
            ErrorModel(
                name="3dpw-spin-like",
                unit="m",
                fps=30.0,
                description="single-frame body-model regressor in the wild (SPIN on 3DPW)",
                jitter=Jitter(std=0.00665, tau_s=0.0099, order=2, df=4.0),
                drift=Drift(bias_std=0.0289, std=0.0289, tau_s=0.5, order=2),
                depth_factor=2.0,
                misses=Misses(
                    joint_rate=0.01, joint_mean_s=0.2,
                    joint_mode="outlier", outlier_distance=0.15,
                ),
                inversions=Inversions(pair_rate=0.01, body_rate=0.002, mean_s=0.2),
                radians_per_metre=3.51,
                target=Target(
                    0.09685, 0.03455, 0.021,
                    "SmoothNet README, 3DPW SPIN 3D: 96.85 -> 95.84 mm, 34.55 mm/f^2",
                ),
            ),
            ErrorModel(
                name="vibe-like",
                unit="m",
                fps=30.0,
                description="temporal video regressor (VIBE on 3DPW): lag, strongly correlated error",
                jitter=Jitter(std=0.0185, tau_s=0.0694, order=2),
                drift=Drift(bias_std=0.0215, std=0.0215, tau_s=1.0, order=2),
                lag_s=0.03,
                depth_factor=2.0,
                misses=Misses(
                    joint_rate=0.005, joint_mean_s=0.3,
                    joint_mode="outlier", outlier_distance=0.15,
                ),
                inversions=Inversions(pair_rate=0.005, mean_s=0.3),
                radians_per_metre=3.46,
                target=Target(
                    0.08297, 0.02316, 0.035,
                    "SmoothNet README, 3DPW VIBE 3D: 82.97 -> 81.49 mm, 23.16 mm/f^2",
                ),
            ),
            ErrorModel(
                name="hrnet-like",
                unit="px",
                fps=50.0,
                description="top-down 2D heatmap detector (HRNet on Human3.6M), person 500 px tall",
                jitter=Jitter(std=0.564, tau_s=0.0195, order=2, df=4.0),
                drift=Drift(bias_std=2.21, std=2.21, tau_s=0.5, order=2),
                joint_scale=JointScale(torso=0.8, head=0.6, limb=1.0, extremity=1.3),
                misses=Misses(
                    joint_rate=0.001, joint_mean_s=0.1,
                    joint_mode="outlier", outlier_distance=20.0,
                ),
                inversions=Inversions(pair_rate=0.003, mean_s=0.1),
                target=Target(
                    4.59, 1.01, 0.022,
                    "SmoothNet README, H36M HRNet 2D: 4.59 -> 4.54 px, 1.01 px/f^2",
                ),
            ),
            ErrorModel(
                name="mediapipe-like",
                unit="px",
                fps=30.0,
                description="single-person mobile 2D detector (BlazePose, no smoothing): noisier,"
                " misses and inversions",
                jitter=Jitter(std=2.79, tau_s=0.0417, order=2, df=3.0),
                drift=Drift(bias_std=5.13, std=5.13, tau_s=0.4, order=2),
                joint_scale=JointScale(torso=0.8, head=0.6, limb=1.0, extremity=1.5),
                misses=Misses(
                    joint_rate=0.02, joint_mean_s=0.3, joint_mode="outlier",
                    frame_rate=0.02, frame_mean_s=0.3, frame_mode="nan", outlier_distance=40.0,
                ),
                inversions=Inversions(pair_rate=0.02, body_rate=0.005, mean_s=0.3),
                target=Target(
                    12.0, 4.0, 0.05,
                    "design values (no published per-frame MediaPipe errors in our references)",
                ),
            ),
        )
    }
)


def get_preset(name: "str | ErrorModel") -> ErrorModel:
    """The preset called ``name`` (an :class:`ErrorModel` passes through); unknown names raise
    listing the known ones."""
    if isinstance(name, ErrorModel):
        return name
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise SynspInputError(
            f"unknown noise preset {name!r}; known presets: {', '.join(PRESETS)}"
        ) from None


# ----------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Event:
    """One injected burst: frames ``start`` to ``stop`` (exclusive) of person/view
    ``person``.  ``kind``: ``joint_miss``, ``frame_miss``, ``pair_inversion``,
    ``body_inversion`` or ``swap``; ``joints``: the joints it touches (a
    left/right pair for ``pair_inversion``); ``mode``: the miss mode of misses."""

    kind: str
    start: int
    stop: int
    person: int
    joints: tuple[int, ...]
    mode: str = ""


@dataclass
class Simulated:
    """Output of :func:`simulate`.

    ``pred``: same shape as the ground truth (NaN only for ``"nan"`` misses);
    ``confidence``: ``(T, J)`` or ``(T, P, J)`` in [0, 1], what the estimator
    would report (high on clean joints, dropping with localization error, low
    on misses, 0 on NaN; inversions and swaps are *confident* mistakes);
    ``missing``: ``(T, J)`` or ``(T, P, J)``, True where a miss burst lost the
    joint (any mode); ``events``: every injected burst; ``scale``: ``(P,)``
    length multiplier that was applied (metres per unit, box / 500 px, or
    radians per metre).
    """

    pred: np.ndarray
    confidence: np.ndarray
    missing: np.ndarray
    events: tuple[Event, ...]
    preset: ErrorModel
    fps: float
    scale: np.ndarray


# ----------------------------------------------------------------------------
# Skeleton helpers

_EXTREMITY_WORDS = (
    "wrist", "hand", "ankle", "foot", "toe", "heel", "finger", "thumb", "index", "pinky", "palm",
)
_LIMB_WORDS = ("elbow", "knee", "forearm", "shin", "calf")
_HEAD_WORDS = ("head", "nose", "eye", "ear", "mouth", "face", "jaw", "chin", "lip", "brow")
_TORSO_WORDS = (
    "hip", "pelvis", "spine", "thorax", "neck", "shoulder", "chest", "clavicle", "collar", "root",
    "torso", "abdomen", "back", "sternum", "waist",
)


def _joint_class(name: str) -> str:
    low = name.lower()
    for cls, words in (
        ("extremity", _EXTREMITY_WORDS),
        ("limb", _LIMB_WORDS),
        ("head", _HEAD_WORDS),
        ("torso", _TORSO_WORDS),
    ):
        if any(w in low for w in words):
            return cls
    return "limb"


def joint_factors(names: Sequence[str], scale: JointScale | None = None) -> np.ndarray:
    """Error multiplier per joint from its name, ``(J,)``, see :class:`JointScale`."""
    scale = JointScale() if scale is None else scale
    return np.array([getattr(scale, _joint_class(str(n))) for n in names], dtype=np.float64)


def _resolve_skeleton(skeleton: Any):
    if isinstance(skeleton, str):
        from .skeletons import get_skeleton

        return get_skeleton(skeleton)
    missing = [a for a in ("joints", "left_right", "root_joints") if not hasattr(skeleton, a)]
    if missing:
        raise SynspInputError(
            f"skeleton is {type(skeleton).__name__}, which has no {', '.join(missing)}; "
            "pass a skeleton name such as 'h36m17' or a synsp.skeletons.Skeleton"
        )
    return skeleton


def _flip_permutation(num_joints: int, pairs: np.ndarray) -> np.ndarray:
    perm = np.arange(num_joints)
    perm[pairs[:, 0]], perm[pairs[:, 1]] = pairs[:, 1], pairs[:, 0]
    return perm


# ----------------------------------------------------------------------------
# Random building blocks (all vectorised over time)


def _unit_innovations(rng: np.random.Generator, shape: tuple[int, ...], df: float | None) -> np.ndarray:
    if df is None:
        return rng.standard_normal(shape)
    return rng.standard_t(df, size=shape) * math.sqrt((df - 2.0) / df)


def _ar(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    fps: float,
    tau_s: float,
    order: int = 1,
    df: float | None = None,
) -> np.ndarray:
    """Stationary unit-variance process along axis 0 with time constant ``tau_s``.

    ``order=1``: the exact sampling of an Ornstein-Uhlenbeck process, an AR(1)
    ``x[t] = phi x[t-1] + sqrt(1 - phi^2) w[t]`` with ``phi = exp(-1/(fps*tau_s))``
    and ``x[0] = w[0]`` (lag-k autocorrelation ``phi^k``; spectrum
    ``1 / (1 + (2 pi f tau_s)^2)``).  ``order=2``: that AR(1) filtered once
    more by the same stage and rescaled by ``sqrt((1 - phi^2) / (1 + phi^2))``,
    a smooth process (autocorrelation ``(1 + |t|/tau) exp(-|t|/tau)``, spectrum
    ``1 / (1 + (2 pi f tau_s)^2)^2``), started stationary by discarding a
    burn-in of ``8 tau_s`` seconds.  ``tau_s = 0`` gives the unit-variance
    innovations ``w`` themselves (white).
    """
    if tau_s <= 0:
        return _unit_innovations(rng, shape, df)
    phi = math.exp(-1.0 / (fps * tau_s))
    burn = 0 if order == 1 else int(math.ceil(8 * tau_s * fps))
    w = _unit_innovations(rng, (shape[0] + burn,) + tuple(shape[1:]), df)
    x = w * math.sqrt(1.0 - phi * phi)
    x[0] = w[0]
    x = scipy.signal.lfilter([1.0], [1.0, -phi], x, axis=0)
    if order == 2:
        gain = (1.0 - phi * phi) / math.sqrt(1.0 + phi * phi)
        x = scipy.signal.lfilter([gain], [1.0, -phi], x, axis=0)
    return x[burn:]


def _bursts(
    rng: np.random.Generator, num_frames: int, fps: float, rates: np.ndarray, mean_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson bursts on independent tracks: ``(track, start, stop)`` per burst.

    ``rates[k]`` bursts per second on track ``k``; starts uniform over the
    frames; lengths geometric with mean ``max(1, mean_s * fps)`` frames,
    clipped at the end of the sequence.
    """
    counts = rng.poisson(np.asarray(rates, dtype=np.float64) * (num_frames / fps))
    track = np.repeat(np.arange(counts.size), counts)
    start = rng.integers(0, num_frames, size=track.size)
    length = rng.geometric(1.0 / max(1.0, mean_s * fps), size=track.size)
    return track, start, np.minimum(start + length, num_frames)


def _expand(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (frame, burst index) covered by the bursts, without a Python loop."""
    length = stop - start
    burst = np.repeat(np.arange(start.size), length)
    first = np.repeat(np.cumsum(length) - length, length)
    return start[burst] + (np.arange(burst.size) - first), burst


def _random_directions(rng: np.random.Generator, n: int, dims: int) -> np.ndarray:
    v = rng.standard_normal((n, dims))
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


# ----------------------------------------------------------------------------
# Rotations (axis-angle) helpers


def _compose(base_aa: np.ndarray, delta_aa: np.ndarray) -> np.ndarray:
    """``R(base) @ R(delta)`` as axis-angle: a local perturbation of each rotation."""
    from .geometry import axis_angle_to_matrix, matrix_to_axis_angle

    return matrix_to_axis_angle(axis_angle_to_matrix(base_aa) @ axis_angle_to_matrix(delta_aa))


def _lowpass_rotations(aa: np.ndarray, alpha: float) -> np.ndarray:
    """Causal first-order low-pass of axis-angle tracks via sign-aligned quaternions."""
    from .geometry import axis_angle_to_quaternion, quaternion_to_axis_angle

    q = axis_angle_to_quaternion(aa)  # (T, P, J, 4)
    flips = np.where((q[1:] * q[:-1]).sum(-1, keepdims=True) < 0, -1.0, 1.0)
    q = q * np.concatenate([np.ones_like(flips[:1]), np.cumprod(flips, axis=0)])
    return quaternion_to_axis_angle(_lowpass(q, alpha))


def _lowpass(x: np.ndarray, alpha: float) -> np.ndarray:
    """``y[t] = alpha y[t-1] + (1 - alpha) x[t]``, ``y[0] = x[0]``, along axis 0."""
    zi = alpha * x[:1]
    y, _ = scipy.signal.lfilter([1.0 - alpha], [1.0, -alpha], x, axis=0, zi=zi)
    return y


# ----------------------------------------------------------------------------
# Input checks


def _joint_box(x4: np.ndarray) -> np.ndarray:
    """Median over frames of the larger side of the joint bounding box, ``(P,)``."""
    extent = (x4.max(axis=2) - x4.min(axis=2)).max(axis=-1)  # (T, P)
    return np.median(extent, axis=0)


def _resolve_scale(model: ErrorModel, x4: np.ndarray, representation: str, scale: Any) -> np.ndarray:
    num_persons, dims = x4.shape[1], x4.shape[-1]
    if scale is not None:
        s = np.broadcast_to(np.asarray(to_numpy(scale), dtype=np.float64), (num_persons,)).copy()
        ok = bool(np.all(np.isfinite(s) & (s > 0)))
        _require(ok, f"scale is {scale!r}; expected positive finite value(s)")
        return s
    if representation == "rotations":
        _require(
            model.unit == "m",
            f"preset {model.name!r} is a 2D pixel preset; for rotations use a 3D preset or pass scale= "
            "(radians per preset unit)",
        )
        return np.full(num_persons, model.radians_per_metre)
    _require(
        dims == _dims_of(model.unit),
        f"preset {model.name!r} is a {_dims_of(model.unit)}D preset ({model.unit}) but gt has D = {dims}; "
        "use a matching preset or pass scale= (preset units -> gt units)",
    )
    if dims == 3:
        return np.ones(num_persons)
    box = _joint_box(x4)
    _require(
        bool(np.all(box > 0)),
        "gt has a zero-size joint box (all joints at one point), so the 2D preset cannot be "
        "scaled; pass scale=",
    )
    return box / REFERENCE_BOX_PX


def _depth_unit_vectors(depth_axis: Any, num_persons: int) -> np.ndarray | None:
    """``(P, 3)`` unit camera directions, or None for isotropic noise."""
    if depth_axis is None:
        return None
    if isinstance(depth_axis, (int, np.integer)):
        _require(0 <= int(depth_axis) < 3, f"depth_axis is {depth_axis}; expected 0, 1 or 2 (or a 3-vector)")
        n = np.zeros((num_persons, 3))
        n[:, int(depth_axis)] = 1.0
        return n
    n = np.asarray(to_numpy(depth_axis), dtype=np.float64)
    _require(
        n.shape in ((3,), (num_persons, 3)) and bool(np.all(np.isfinite(n))),
        f"depth_axis has shape {n.shape}; expected an axis index, a 3-vector or one 3-vector "
        f"per view ({num_persons}, 3)",
    )
    n = np.broadcast_to(n, (num_persons, 3))
    norm = np.linalg.norm(n, axis=-1, keepdims=True)
    _require(bool(np.all(norm > 0)), "depth_axis has a zero vector; expected the camera's viewing direction")
    return n / norm


# ----------------------------------------------------------------------------
# The simulator


def simulate(
    gt: Any,
    preset: str | ErrorModel,
    *,
    skeleton: Any,
    fps: float,
    seed: int | np.random.Generator | None = None,
    companion: Any = None,
    representation: str = "positions",
    depth_axis: Any = 2,
    scale: Any = None,
    lateral_axis: int = 0,
) -> Simulated:
    """Turn ground truth into estimator-like output.

    Args:
        gt: ``(T, J, D)`` or ``(T, P, J, D)`` (P views or persons, each with
            independent errors), D = 2 or 3; for ``representation="rotations"``
            local axis-angle rotations ``(T, J, 3)`` / ``(T, P, J, 3)``.
        preset: a name from :data:`PRESETS` or an :class:`ErrorModel`.
        skeleton: a skeleton name (``"h36m17"``) or object with ``joints``,
            ``left_right`` and ``root_joints``; its joint count must be J.
        fps: frame rate of ``gt``; all times of the model are in seconds.
        seed: an int, a ``numpy.random.Generator`` or None; the same seed gives
            the same output.
        companion: another person's track, the shape of ``gt`` (or
            ``(T, J, D)`` shared by all P), needed by swap errors.
        depth_axis: camera depth direction for 3D positions: a coordinate index,
            a 3-vector or ``(P, 3)``; None for isotropic errors.
        scale: overrides the length multiplier (see the module docstring).
        lateral_axis: for rotations, the body's left-right axis in the joints'
            local frames (x for SMPL); mirroring negates the other two
            axis-angle components.

    The components are applied in this order: lag, then bias + drift +
    jitter, then inversions (which move the noisy joints and their
    confidences), swaps, and last misses (so a frozen joint repeats the
    last output value, whatever it was).  Swaps need ``companion``; without
    one the model's swaps are skipped.  Each component draws from its own
    random stream, so switching one off leaves the others' realisation
    unchanged.
    """
    model = get_preset(preset)
    fps = check_fps(fps, allow_none=False)
    _require(
        representation in ("positions", "rotations"),
        f"representation is {representation!r}; expected 'positions' or 'rotations'",
    )
    rotations = representation == "rotations"
    _require(lateral_axis in (0, 1, 2), f"lateral_axis is {lateral_axis!r}; expected 0, 1 or 2")
    sk = _resolve_skeleton(skeleton)
    names = list(sk.joints)
    x = check_poses(gt, "gt", ndims=(3, 4), dims=(3,) if rotations else (2, 3), joints=len(names))
    single = x.ndim == 3
    x4 = x[:, None] if single else x  # (T, P, J, D)
    T, P, J, D = x4.shape
    comp = None
    if companion is not None:
        c = check_poses(companion, "companion", ndims=(3, 4), dims=(D,), joints=J)
        ok_shapes = [x.shape] + ([] if single else [(T, J, D)])
        _require(
            c.shape in ok_shapes,
            f"companion has shape {c.shape}; expected {' or '.join(str(s) for s in ok_shapes)} like gt "
            "(use place_companion to cut and place another clip)",
        )
        comp = np.broadcast_to(c[:, None] if c.ndim == 3 else c, x4.shape)
    s = _resolve_scale(model, x4, representation, scale)  # (P,)
    factors = joint_factors(names, model.joint_scale)  # (J,)
    pairs = np.asarray(list(sk.left_right), dtype=np.int64).reshape(-1, 2)
    rng_bias, rng_drift, rng_jitter, rng_inv, rng_swap, rng_jmiss, rng_fmiss, rng_conf = (
        np.random.default_rng(int(k)) for k in np.random.default_rng(seed).integers(0, 2**63 - 1, size=8)
    )

    # -- lag: the estimator trails the truth
    base = x4
    if model.lag_s > 0 and T > 1:
        alpha = math.exp(-1.0 / (fps * model.lag_s))
        base = _lowpass_rotations(x4, alpha) if rotations else _lowpass(x4, alpha)

    # -- bias + drift + jitter, per coordinate, scaled per joint and per person
    shape = (T, P, J, D)
    noise = np.zeros(shape)
    if model.drift.bias_std > 0:
        noise += model.drift.bias_std * rng_bias.standard_normal((1, P, J, D))
    if model.drift.std > 0:
        noise += model.drift.std * _ar(rng_drift, shape, fps, model.drift.tau_s, model.drift.order)
    if model.jitter.std > 0:
        jit = model.jitter
        noise += jit.std * _ar(rng_jitter, shape, fps, jit.tau_s, jit.order, jit.df)
    noise *= factors[None, None, :, None] * s[None, :, None, None]
    if not rotations and D == 3 and model.depth_factor != 1:
        n = _depth_unit_vectors(depth_axis, P)
        if n is not None:
            n4 = n[None, :, None, :]
            noise += (model.depth_factor - 1.0) * (noise * n4).sum(-1, keepdims=True) * n4
    pred = _compose(base, noise) if rotations else base + noise
    confidence = _localization_confidence(noise, rng_conf)

    events: list[Event] = []
    mirror = None
    if rotations:
        mirror = -np.ones(3)
        mirror[lateral_axis] = 1.0

    # -- inversions
    if pairs.size and (model.inversions.pair_rate > 0 or model.inversions.body_rate > 0):
        inv = model.inversions
        body_mask = np.zeros((T, P), dtype=bool)
        track, start, stop = _bursts(rng_inv, T, fps, np.full(P, inv.body_rate), inv.mean_s)
        t_idx, b = _expand(start, stop)
        body_mask[t_idx, track[b]] = True
        events += [
            Event("body_inversion", int(a), int(z), int(p), tuple(range(J)))
            for p, a, z in zip(track, start, stop)
        ]
        K = pairs.shape[0]
        pair_mask = np.zeros((T, P, K), dtype=bool)
        track, start, stop = _bursts(rng_inv, T, fps, np.full(P * K, inv.pair_rate / K), inv.mean_s)
        t_idx, b = _expand(start, stop)
        pair_mask[t_idx, track[b] // K, track[b] % K] = True
        events += [
            Event("pair_inversion", int(a), int(z), int(tr // K), tuple(int(j) for j in pairs[tr % K]))
            for tr, a, z in zip(track, start, stop)
        ]
        flip = getattr(sk, "flip_permutation", None)
        perm = np.asarray(flip) if flip is not None else _flip_permutation(J, pairs)
        for arr, mir in ((pred, mirror), (confidence[..., None], None)):
            _invert(arr, pair_mask, body_mask, pairs, perm, mir)

    # -- swaps with the companion
    if comp is not None and model.swaps.rate > 0:
        sw = model.swaps
        track, start, stop = _bursts(rng_swap, T, fps, np.full(P, sw.rate), sw.mean_s)
        whole = rng_swap.random(track.size) < sw.body_fraction
        joint = rng_swap.integers(0, J, size=track.size)
        swap_mask = np.zeros((T, P, J), dtype=bool)
        t_idx, b = _expand(start, stop)
        body = whole[b]
        swap_mask[t_idx[body], track[b][body], :] = True
        swap_mask[t_idx[~body], track[b][~body], joint[b][~body]] = True
        comp_pred = _compose(comp, noise) if rotations else comp + noise
        pred[swap_mask] = comp_pred[swap_mask]
        events += [
            Event("swap", int(a), int(z), int(p), tuple(range(J)) if w else (int(j),))
            for p, a, z, w, j in zip(track, start, stop, whole, joint)
        ]

    # -- misses
    ms = model.misses
    missing = np.zeros((T, P, J), dtype=bool)
    mode = np.zeros((T, P, J), dtype=np.int8)  # _MODE_CODE of the burst that lost the joint
    if ms.joint_rate > 0:
        weights = factors / factors.mean() if factors.mean() > 0 else np.ones(J)
        track, start, stop = _bursts(rng_jmiss, T, fps, np.tile(ms.joint_rate * weights, P), ms.joint_mean_s)
        t_idx, b = _expand(start, stop)
        p_idx, j_idx = track[b] // J, track[b] % J
        if ms.joint_mode == "outlier":
            offsets = _outlier_offsets(rng_jmiss, track.size, D, ms.outlier_distance, s[track // J], rotations)
            pred[t_idx, p_idx, j_idx] = _displace(pred[t_idx, p_idx, j_idx], offsets[b], rotations)
        missing[t_idx, p_idx, j_idx] = True
        mode[t_idx, p_idx, j_idx] = _MODE_CODE[ms.joint_mode]
        events += [
            Event("joint_miss", int(a), int(z), int(tr // J), (int(tr % J),), ms.joint_mode)
            for tr, a, z in zip(track, start, stop)
        ]
    if ms.frame_rate > 0:
        track, start, stop = _bursts(rng_fmiss, T, fps, np.full(P, ms.frame_rate), ms.frame_mean_s)
        t_idx, b = _expand(start, stop)
        if ms.frame_mode == "outlier":
            offsets = _outlier_offsets(rng_fmiss, track.size, D, ms.outlier_distance, s[track], rotations)
            rigid = np.broadcast_to(offsets[b][:, None, :], (b.size, J, D))
            pred[t_idx, track[b]] = _displace(pred[t_idx, track[b]], rigid, rotations)
        missing[t_idx, track[b]] = True
        mode[t_idx, track[b]] = _MODE_CODE[ms.frame_mode]
        events += [
            Event("frame_miss", int(a), int(z), int(p), tuple(range(J)), ms.frame_mode)
            for p, a, z in zip(track, start, stop)
        ]
    if missing.any():
        freeze = missing & (mode == _MODE_CODE["freeze"])
        if freeze.any():
            pred = np.where(freeze[..., None], _last_valid(pred, ~missing), pred)
        nan = missing & (mode == _MODE_CODE["nan"])
        pred[nan] = np.nan
        low = rng_conf.uniform(0.0, _MISS_CONFIDENCE, size=missing.shape)
        confidence = np.where(missing, np.where(nan, 0.0, low), confidence)

    if single:
        pred, confidence, missing = pred[:, 0], confidence[:, 0], missing[:, 0]
    events.sort(key=lambda e: (e.start, e.person, e.kind))
    return Simulated(pred, confidence, missing, tuple(events), model, fps, s)


def _localization_confidence(noise: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Confidence ``(T, P, J)`` from the size of the localization error.

    ``0.98 exp(-(e / e0)^2 / 2)`` plus a little N(0, 0.02) noise, with ``e0``
    twice the joint's RMS error over the sequence: near 0.9 for typical
    errors, dropping toward 0 for errors several times larger.
    """
    err = np.linalg.norm(noise, axis=-1)  # (T, P, J)
    ref = 2.0 * np.sqrt(np.mean(err**2, axis=0, keepdims=True))
    ratio = np.divide(err, ref, out=np.zeros_like(err), where=ref > 0)
    conf = _CLEAN_CONFIDENCE * np.exp(-0.5 * ratio**2) + 0.02 * rng.standard_normal(err.shape)
    return np.clip(conf, 0.0, 1.0)


def _invert(
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


def _outlier_offsets(
    rng: np.random.Generator, n: int, dims: int, distance: float, scale: np.ndarray, rotations: bool
) -> np.ndarray:
    """``(n, D)`` random displacements (rotation vectors for rotations)."""
    size = distance * rng.uniform(0.5, 1.5, size=n) * scale
    if rotations:
        size = np.minimum(size, math.pi)
    return _random_directions(rng, n, dims) * size[:, None]


def _displace(values: np.ndarray, offsets: np.ndarray, rotations: bool) -> np.ndarray:
    return _compose(values, offsets) if rotations else values + offsets


def _last_valid(pred: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """For every (t, p, j), the value at the last valid frame at or before t.

    Before the first valid frame the first valid value is used; a joint that
    is never valid keeps its own values.
    """
    T = pred.shape[0]
    frames = np.arange(T)[:, None, None]
    last = np.maximum.accumulate(np.where(valid, frames, -1), axis=0)
    first = np.where(valid.any(axis=0), valid.argmax(axis=0), -1)[None]
    src = np.where(last >= 0, last, np.where(first >= 0, first, frames))
    src = np.broadcast_to(src[..., None], pred.shape)
    return np.take_along_axis(pred, src, axis=0)


# ----------------------------------------------------------------------------
# Companions


def place_companion(
    subject: Any,
    other: Any,
    distance: float,
    *,
    skeleton: Any,
    up_axis: int = 1,
    angle_deg: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Cut ``other`` to the subject's length and move it ``distance`` away.

    ``subject`` ``(T, J, D)``, ``other`` ``(T2, J, D)`` on the same skeleton
    (D = 2 or 3, same units).  ``other`` is cropped to T frames, or played
    forward and backward until it has T frames (no jump at the seams).  It is
    then translated so that its mean root position (over frames) sits
    ``distance`` from the subject's mean root position: in 3D along a
    horizontal direction at ``angle_deg`` about ``up_axis`` (random when
    None), in 2D along the image x axis (to the right, or the left with a
    random sign when ``angle_deg`` is None and 180 degrees otherwise), with
    the vertical mean aligned.  Returns ``(T, J, D)``, ready for
    ``simulate(..., companion=...)``.
    """
    sk = _resolve_skeleton(skeleton)
    a = check_poses(subject, "subject", joints=len(sk.joints))
    b = check_poses(other, "other", dims=(a.shape[-1],), joints=a.shape[1])
    _require(
        isinstance(distance, (int, float)) and math.isfinite(distance) and distance >= 0,
        f"distance is {distance!r}; expected a finite number >= 0 in the poses' units",
    )
    T, D = a.shape[0], a.shape[-1]
    _require(0 <= up_axis < D, f"up_axis is {up_axis}; expected an axis index below D = {D}")
    idx = np.arange(T) % (2 * b.shape[0] - 1) if b.shape[0] > 1 else np.zeros(T, dtype=int)
    idx = np.where(idx < b.shape[0], idx, 2 * (b.shape[0] - 1) - idx)
    placed = b[idx]
    roots = list(sk.root_joints)
    shift = a[:, roots].mean(axis=(0, 1)) - placed[:, roots].mean(axis=(0, 1))
    rng = np.random.default_rng(seed)
    direction = np.zeros(D)
    horizontal = [k for k in range(D) if k != up_axis]
    if D == 2:
        if angle_deg is None:
            sign = rng.choice([-1.0, 1.0])
        else:
            sign = math.copysign(1.0, math.cos(math.radians(angle_deg)))
        direction[horizontal[0]] = sign
    else:
        angle = rng.uniform(0, 2 * math.pi) if angle_deg is None else math.radians(angle_deg)
        direction[horizontal[0]], direction[horizontal[1]] = math.cos(angle), math.sin(angle)
    shift[horizontal] += distance * direction[horizontal]
    return placed + shift


# ----------------------------------------------------------------------------
# Measuring a simulated (or real) error


def _fill_gaps(x: np.ndarray) -> np.ndarray:
    """Linear interpolation of NaN along axis 0 (constant beyond the ends; all-NaN -> 0)."""
    valid = np.isfinite(x)
    if valid.all():
        return x
    T = x.shape[0]
    frames = np.arange(T).reshape((T,) + (1,) * (x.ndim - 1))
    prev = np.maximum.accumulate(np.where(valid, frames, -1), axis=0)
    nxt = np.flip(np.minimum.accumulate(np.flip(np.where(valid, frames, T), 0), axis=0), 0)
    prev_ok, next_ok = prev >= 0, nxt < T
    p = np.where(prev_ok, prev, np.where(next_ok, nxt, 0))
    n = np.where(next_ok, nxt, p)
    xp = np.take_along_axis(np.nan_to_num(x), p, axis=0)
    xn = np.take_along_axis(np.nan_to_num(x), n, axis=0)
    w = np.where(n > p, (frames - p) / np.maximum(n - p, 1), 0.0)
    filled = xp + w * (xn - xp)
    filled = np.where(valid.any(axis=0, keepdims=True), filled, 0.0)
    return np.where(valid, x, filled)


def error_profile(
    pred: Any,
    gt: Any,
    *,
    skeleton: Any,
    fps: float,
    cutoff_hz: float = 3.0,
) -> dict[str, float]:
    """MPJPE, Accel and the share of error energy above ``cutoff_hz``.

    ``pred``/``gt``: one ``(T, J, D)`` / ``(T, P, J, D)`` array each, or
    equal-length lists of them (pooled: frame-weighted means, summed
    energies).  Both are made root-relative on ``skeleton.root_joints`` first.

    * ``mpjpe``: mean over valid (non-NaN) joints of ``||pred - gt||``;
    * ``accel``: mean over joints of ``||D2 pred - D2 gt||`` with
      ``D2 x = x[t-1] - 2 x[t] + x[t+1]``, per frame², no end padding;
    * ``hf_fraction``: energy of the error's orthonormal DCT-II coefficients
      above ``cutoff_hz`` (coefficient k is ``k fps / 2T`` Hz) over the total,
      bias included; NaN gaps are interpolated linearly first.  The DCT's even
      extension avoids the end-jump leakage an FFT would add.
    """
    fps = check_fps(fps, allow_none=False)
    sk = _resolve_skeleton(skeleton)
    roots = list(sk.root_joints)
    preds = list(pred) if isinstance(pred, (list, tuple)) else [pred]
    gts = list(gt) if isinstance(gt, (list, tuple)) else [gt]
    _require(
        len(preds) == len(gts) and len(preds) > 0,
        f"got {len(preds)} predictions for {len(gts)} ground truths; pass one of each per sequence",
    )
    sums = {"mpjpe": 0.0, "n_mpjpe": 0, "accel": 0.0, "n_accel": 0, "hf": 0.0, "total": 0.0}
    for i, (p, g) in enumerate(zip(preds, gts)):
        g = check_poses(g, f"gt[{i}]", ndims=(3, 4), joints=len(sk.joints))
        p = check_poses(
            p, f"pred[{i}]", ndims=(g.ndim,), dims=(g.shape[-1],), joints=g.shape[-2], allow_nan=True
        )
        _require(p.shape == g.shape, f"pred[{i}] has shape {p.shape} but gt[{i}] has shape {g.shape}")
        err = (p - p[..., roots, :].mean(-2, keepdims=True)) - (g - g[..., roots, :].mean(-2, keepdims=True))
        dist = np.linalg.norm(err, axis=-1)
        ok = np.isfinite(dist)
        sums["mpjpe"] += float(dist[ok].sum())
        sums["n_mpjpe"] += int(ok.sum())
        if err.shape[0] >= 3:
            acc = np.linalg.norm(err[:-2] - 2 * err[1:-1] + err[2:], axis=-1)
            ok = np.isfinite(acc)
            sums["accel"] += float(acc[ok].sum())
            sums["n_accel"] += int(ok.sum())
        coeffs = scipy.fft.dct(_fill_gaps(err), type=2, norm="ortho", axis=0)
        energy = (coeffs**2).reshape(coeffs.shape[0], -1).sum(axis=1)
        freq = np.arange(coeffs.shape[0]) * fps / (2.0 * coeffs.shape[0])
        sums["hf"] += float(energy[freq > cutoff_hz].sum())
        sums["total"] += float(energy.sum())
    return {
        "mpjpe": sums["mpjpe"] / max(sums["n_mpjpe"], 1),
        "accel": sums["accel"] / max(sums["n_accel"], 1),
        "hf_fraction": sums["hf"] / sums["total"] if sums["total"] > 0 else 0.0,
        "missing_fraction": 1.0 - sums["n_mpjpe"] / max(sum(int(np.prod(np.shape(g)[:-1])) for g in gts), 1),
    }
