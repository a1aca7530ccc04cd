"""The calibrated estimator-error models (:data:`PRESETS`) and :func:`get_preset`."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from ..validation import SynspInputError
from .model import Drift, ErrorModel, Inversions, Jitter, JointScale, Misses, Target


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
