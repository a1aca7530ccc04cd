"""The error model's configuration: one frozen, validated dataclass per error component.

:class:`ErrorModel` gathers them; the calibrated instances are in :mod:`synsp.noise.presets`.
Lengths are for a joint of factor 1 (:class:`JointScale`), in the model's ``unit`` (metres or
pixels at a ``REFERENCE_BOX_PX`` joint box); times are in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..validation import SynspInputError

REFERENCE_BOX_PX = 500.0
"""Joint-box height (px) that the 2D presets' pixel values refer to."""

MISS_MODES = ("nan", "freeze", "outlier")
MODE_CODE = {m: i + 1 for i, m in enumerate(MISS_MODES)}  # 0: not missing
CLEAN_CONFIDENCE = 0.98  # confidence of a joint with zero localization error
MISS_CONFIDENCE = 0.3  # upper end of the confidence of a frozen / outlier joint


def require(ok: bool, message: str) -> None:
    if not ok:
        raise SynspInputError(message)


def _non_negative(obj: Any, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        require(
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
    (see :func:`ar`); ``df``: Student-t degrees of freedom (> 2, rescaled
    to unit variance) for heavy tails, ``None`` for Gaussian.
    """

    std: float = 0.0
    tau_s: float = 0.0
    order: int = 1
    df: float | None = None

    def __post_init__(self) -> None:
        _non_negative(self, "std", "tau_s")
        require(self.order in (1, 2), f"Jitter.order is {self.order!r}; expected 1 or 2")
        require(
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
    pose as it changes (see :func:`ar`).
    """

    bias_std: float = 0.0
    std: float = 0.0
    tau_s: float = 1.0
    order: int = 1

    def __post_init__(self) -> None:
        _non_negative(self, "bias_std", "std")
        require(self.tau_s > 0, f"Drift.tau_s is {self.tau_s!r}; expected > 0 seconds")
        require(self.order in (1, 2), f"Drift.order is {self.order!r}; expected 1 or 2")


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
            require(
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
        require(self.body_fraction <= 1, f"Swaps.body_fraction is {self.body_fraction}; expected <= 1")


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
        require(self.unit in ("m", "px"), f"ErrorModel.unit is {self.unit!r}; expected 'm' or 'px'")
        require(self.fps > 0, f"ErrorModel.fps is {self.fps!r}; expected > 0")
        _non_negative(self, "lag_s", "depth_factor", "radians_per_metre")


def dims_of(unit: str) -> int:
    return 2 if unit == "px" else 3
