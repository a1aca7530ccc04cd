"""Calibrate the estimator-error presets of :mod:`synsp.noise` on real motion capture.

For every preset this simulates estimator output on real CMU motion capture at
the preset's frame rate and prints MPJPE, Accel and the share of error energy
above 3 Hz next to the preset's targets (``synsp.noise.Target``: SmoothNet's
input columns), then the same preset at twice its frame rate (MPJPE and the
spectrum in Hz should hold; Accel per frame² drops), then the 3D presets
applied to local joint rotations (noise on the rotations, forward kinematics,
metrics on the joints).

Data: the CMU ASF/AMC clips of subjects 1-3 in ``../shared/data/cmu_mocap``
(relative to the repository; ``--data`` changes it), read with
``synsp.io.asf_amc.read_asf_amc`` and mapped to ``h36m17`` with
``synsp.skeletons.map_skeleton(x, 'cmu31', 'h36m17')``.  Clips whose manifest
speed exceeds 25 m/s (capture glitches: 01_06, 01_07, 03_02) are left out.
Positions are resampled from 120 fps with a polyphase filter, rotations by
normalised quaternion interpolation.  3D presets run on the metric joints (y
up, camera depth along z); 2D presets on an orthographic projection onto the
x-y plane, scaled so that the median joint box is 500 px
(``synsp.noise.REFERENCE_BOX_PX``).  Every clip has its own fixed seed.
Metrics follow ``synsp.noise.error_profile`` (root-relative on the pelvis,
Accel without end padding).

``--fit`` re-derives the free numbers of each preset by least squares on
(MPJPE, Accel, share above 3 Hz): the common std of bias and drift, the jitter
std and the jitter time constant; then ``radians_per_metre`` from the MPJPE
under rotation noise.  The values in ``src/synsp/noise/presets.py`` are those numbers,
rounded to three digits.

Run:  python benchmarks/noise_presets.py            (the tables, about 30 s)
      python benchmarks/noise_presets.py --fit      (re-calibrate first, about 3 min)
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy.optimize
import scipy.signal

from synsp.geometry import (
    axis_angle_to_matrix,
    matrix_to_axis_angle,
    matrix_to_quaternion,
    quaternion_to_matrix,
)
from synsp.io.asf_amc import read_asf_amc
from synsp.io.motion import Motion
from synsp.noise import PRESETS, REFERENCE_BOX_PX, ErrorModel, error_profile, simulate
from synsp.skeletons import get_skeleton, map_skeleton

COMMAND = "python benchmarks/noise_presets.py"
SKELETON = get_skeleton("h36m17")
GLITCH_SPEED_MPS = 25.0
SOURCE_FPS = 120.0
DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cmu_mocap"


# ----------------------------------------------------------------------------
# Data


def load_clips(data_dir: Path) -> list[tuple[str, Motion]]:
    """``(name, motion)`` for every usable ASF/AMC clip, 120 fps, metres."""
    clips = []
    with open(data_dir / "manifest.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["group"] != "asf_amc" or float(row["max_speed_mps"]) > GLITCH_SPEED_MPS:
                continue
            amc = data_dir / row["path"]
            motion = read_asf_amc(amc.parent / f"{amc.parent.name}.asf", amc)
            assert float(row["fps"]) == SOURCE_FPS == motion.fps
            if row["first_frame_rest"] == "1":
                motion = motion.drop_frames(1)
            clips.append((amc.name.split(".")[0], motion))
    return clips


def resample(x: np.ndarray, fps: float) -> np.ndarray:
    ratio = Fraction(fps / SOURCE_FPS).limit_denominator(1000)
    return scipy.signal.resample_poly(x, ratio.numerator, ratio.denominator, axis=0, padtype="line")


def to_image(x: np.ndarray) -> np.ndarray:
    """Orthographic x-y projection (image y down), median joint box REFERENCE_BOX_PX, centred at 500."""
    uv = np.stack([x[..., 0], -x[..., 1]], axis=-1)
    box = np.median((uv.max(axis=1) - uv.min(axis=1)).max(axis=-1))
    uv = uv * (REFERENCE_BOX_PX / box)
    return uv - uv.mean(axis=(0, 1)) + 500.0


def dataset(clips, model: ErrorModel, fps: float) -> list[np.ndarray]:
    """Ground truth for ``model``: h36m17 joints at ``fps``, in metres or in pixels."""
    out = [resample(map_skeleton(m.positions, "cmu31", "h36m17"), fps) for _, m in clips]
    return [to_image(x) for x in out] if model.unit == "px" else out


def resample_motion(motion: Motion, fps: float) -> Motion:
    """Local rotations by normalised quaternion interpolation, root path linearly, to ``fps``."""
    t = np.arange(0.0, (motion.num_frames - 1) / motion.fps + 1e-9, 1.0 / fps) * motion.fps
    i0 = np.minimum(np.floor(t).astype(int), motion.num_frames - 2)
    w = (t - i0)[:, None, None]
    q = matrix_to_quaternion(motion.local_rotations)  # (T, J, 4)
    q1 = q[i0 + 1] * np.where((q[i0] * q[i0 + 1]).sum(-1, keepdims=True) < 0, -1.0, 1.0)
    rot = quaternion_to_matrix((1 - w) * q[i0] + w * q1)
    root = (1 - w[:, 0]) * motion.root_translation[i0] + w[:, 0] * motion.root_translation[i0 + 1]
    return dataclasses.replace(motion, local_rotations=rot, root_translation=root, fps=fps)


# ----------------------------------------------------------------------------
# Measuring and fitting


def measure(model: ErrorModel, gts: list[np.ndarray], fps: float) -> dict[str, float]:
    preds = [simulate(g, model, skeleton=SKELETON, fps=fps, seed=1000 + i).pred for i, g in enumerate(gts)]
    return error_profile(preds, gts, skeleton=SKELETON, fps=fps)


def with_free(model: ErrorModel, k_slow: float, jitter_std: float, jitter_tau: float) -> ErrorModel:
    """The preset with bias and drift scaled by ``k_slow`` and the jitter's std and time constant replaced."""
    d = model.drift
    drift = dataclasses.replace(d, bias_std=d.bias_std * k_slow, std=d.std * k_slow)
    jitter = dataclasses.replace(model.jitter, std=jitter_std, tau_s=jitter_tau)
    return dataclasses.replace(model, drift=drift, jitter=jitter)


def fit(model: ErrorModel, gts: list[np.ndarray]) -> ErrorModel:
    """Least squares on log-parameters; residuals are relative errors of MPJPE, Accel, HF share."""
    t = model.target
    goal = np.array([t.mpjpe, t.accel, t.hf_fraction])

    def residual(theta: np.ndarray) -> np.ndarray:
        r = measure(with_free(model, *np.exp(theta)), gts, model.fps)
        return np.array([r["mpjpe"], r["accel"], r["hf_fraction"]]) / goal - 1.0

    theta0 = np.log([1.0, model.jitter.std, max(model.jitter.tau_s, 0.01)])
    lower = np.log([1e-3, model.jitter.std * 1e-2, 0.002])
    upper = np.log([1e3, model.jitter.std * 1e2, 0.25])
    sol = scipy.optimize.least_squares(residual, theta0, bounds=(lower, upper), diff_step=1e-3)
    return with_free(model, *np.exp(sol.x))


def measure_rotations(model: ErrorModel, motions: list[Motion], radians_per_metre: float) -> dict[str, float]:
    """Noise on the local rotations (cmu31), forward kinematics, metrics on the h36m17 joints."""
    preds, gts = [], []
    for i, m in enumerate(motions):
        sim = simulate(
            matrix_to_axis_angle(m.local_rotations), model, skeleton="cmu31", fps=m.fps,
            seed=2000 + i, representation="rotations", scale=radians_per_metre,
        )
        noisy = dataclasses.replace(m, local_rotations=axis_angle_to_matrix(sim.pred))
        preds.append(map_skeleton(noisy.positions, "cmu31", "h36m17"))
        gts.append(map_skeleton(m.positions, "cmu31", "h36m17"))
    return error_profile(preds, gts, skeleton=SKELETON, fps=motions[0].fps)


def fit_rotations(model: ErrorModel, motions: list[Motion]) -> ErrorModel:
    """``radians_per_metre`` that gives the target MPJPE after forward kinematics."""

    def gap(log_rpm: float) -> float:
        mpjpe = measure_rotations(model, motions, float(np.exp(log_rpm)))["mpjpe"]
        return mpjpe / model.target.mpjpe - 1.0

    log_rpm = scipy.optimize.brentq(gap, np.log(0.05), np.log(20.0), xtol=1e-3)
    return dataclasses.replace(model, radians_per_metre=float(np.exp(log_rpm)))


# ----------------------------------------------------------------------------
# Report


def describe(model: ErrorModel) -> str:
    d, j = model.drift, model.jitter
    return (
        f"{model.name}: Drift(bias_std={d.bias_std:.4g}, std={d.std:.4g}, tau_s={d.tau_s:g}, "
        f"order={d.order}), Jitter(std={j.std:.4g}, tau_s={j.tau_s:.4g}, order={j.order}, df={j.df})"
        + (f", radians_per_metre={model.radians_per_metre:.4g}" if model.unit == "m" else "")
    )


def position_table(clips, models: dict[str, ErrorModel]) -> None:
    head = ("MPJPE", "Accel /f^2", "HF>3Hz")
    print(f"\n{'preset':16s} {'fps':>5s} {'frames':>7s} {'unit':>4s}  "
          f"{head[0]:>15s}  {head[1]:>15s}  {head[2]:>13s}  missing")
    print(f"{'':36s}  {'meas / target':>15s}  {'meas / target':>15s}  {'meas / target':>13s}")
    for name, model in models.items():
        k, unit = (1000.0, "mm") if model.unit == "m" else (1.0, "px")
        t = model.target
        for fps in (model.fps, 2 * model.fps):
            gts = dataset(clips, model, fps)
            r = measure(model, gts, fps)
            at_target = fps == model.fps
            if at_target:
                tgt = (f"{t.mpjpe * k:6.2f}", f"{t.accel * k:6.2f}", f"{t.hf_fraction:5.3f}")
            else:
                tgt = ("     -", "     -", "    -")
            label = name if at_target else "  (same, 2x fps)"
            print(
                f"{label:16s} {fps:5.0f} {sum(len(g) for g in gts):7d} {unit:>4s}  "
                f"{r['mpjpe'] * k:6.2f} / {tgt[0]}  {r['accel'] * k:6.2f} / {tgt[1]}  "
                f"{r['hf_fraction']:5.3f} / {tgt[2]}  {r['missing_fraction']:.4f}"
            )


def rotation_table(clips, models: dict[str, ErrorModel], refit: bool) -> None:
    print("\nrotations (3D presets as local axis-angle noise on the CMU skeleton, forward kinematics,"
          " h36m17 joints; only MPJPE is fitted):")
    print(f"{'preset':16s} {'fps':>5s} {'rad/m':>6s}  {'MPJPE mm':>15s}  {'Accel mm/f^2':>15s}  {'HF>3Hz':>13s}")
    for name, model in models.items():
        if model.unit != "m":
            continue
        motions = [resample_motion(m, model.fps) for _, m in clips]
        if refit:
            model = models[name] = fit_rotations(model, motions)
            print("fitted " + describe(model))
        r = measure_rotations(model, motions, model.radians_per_metre)
        t = model.target
        print(
            f"{name:16s} {model.fps:5.0f} {model.radians_per_metre:6.3f}  "
            f"{r['mpjpe'] * 1e3:6.2f} / {t.mpjpe * 1e3:6.2f}  {r['accel'] * 1e3:6.2f} / {t.accel * 1e3:6.2f}  "
            f"{r['hf_fraction']:5.3f} / {t.hf_fraction:5.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the cmu_mocap folder")
    parser.add_argument("--fit", action="store_true", help="re-fit the free parameters first and print them")
    parser.add_argument("--preset", action="append", choices=list(PRESETS), help="only these presets (repeatable)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    clips = load_clips(args.data.resolve())
    minutes = sum(m.num_frames for _, m in clips) / SOURCE_FPS / 60
    print(f"command: {COMMAND}{' --fit' if args.fit else ''}")
    print(f"data: {len(clips)} CMU ASF/AMC clips (subjects 1-3), {minutes:.1f} min, cmu31 -> h36m17")
    models = {n: PRESETS[n] for n in (args.preset or PRESETS)}
    for name, model in models.items():
        if args.fit:
            model = models[name] = fit(model, dataset(clips, model, model.fps))
        print(("fitted " if args.fit else "preset ") + describe(model))
    position_table(clips, models)
    rotation_table(clips, models, args.fit)
    print("\ntargets:")
    for model in models.values():
        rule = "; HF = 1 - (after / before)^2" if "SmoothNet" in model.target.source else ""
        print(f"  {model.name}: {model.target.source}{rule}")
    print(f"\n({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
