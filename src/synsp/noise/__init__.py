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

The package: :mod:`~synsp.noise.model` (the configuration dataclasses),
:mod:`~synsp.noise.presets`, :mod:`~synsp.noise.simulator` (:func:`simulate`),
:mod:`~synsp.noise.components` (one function per error component, in the order
:func:`simulate` applies them), :mod:`~synsp.noise.processes` (random processes
and bursts), :mod:`~synsp.noise.signals` (low-pass, rotation composition),
:mod:`~synsp.noise.joints` (per-joint factors), :mod:`~synsp.noise.scale`,
:mod:`~synsp.noise.result`, :mod:`~synsp.noise.companion` and
:mod:`~synsp.noise.measure` (:func:`error_profile`).
"""

from __future__ import annotations

from .companion import place_companion
from .joints import joint_factors
from .measure import error_profile
from .model import (
    MISS_MODES,
    REFERENCE_BOX_PX,
    Drift,
    ErrorModel,
    Inversions,
    Jitter,
    JointScale,
    Misses,
    Swaps,
    Target,
)
from .presets import PRESETS, get_preset
from .result import Event, Simulated
from .simulator import simulate

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
