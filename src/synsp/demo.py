"""The embedded default: (1) a real estimator track of a real video, (2) a real mocap clip
carrying simulated estimator errors.

(1) ``synsp demo`` first refines the embedded MediaPipe Pose track of the Sports2D demo video
(``data/embedded/sports2d_mediapipe.npz``: 230 frames at 30 fps, 1768x994 pixels, several
people in turn, one track per person segment; see ``tools/make_sports2d_track.py``) with
:func:`synsp.api.refine_pose_file` and the default model.  A real video has no ground truth, so
it reports, per track, the mean acceleration of the landmarks before and after refinement
(pixels/frame², over consecutive detections) and the mean displacement between raw and refined
landmarks (pixels), plus a picture of the most jittery landmarks among those the network
refines (``demo_sports2d.png``: MediaPipe's feet and hands follow their nearest refined joint and
are left out; accelerations in px/frame² as in the table, image y flipped so that up is up).

(2) It then takes one clip of the corpus test split shipped in the package
(real CMU motion capture, Human3.6M-17 joints, 30 fps), adds the errors of a
simulated estimator (:mod:`synsp.noise`, default ``3dpw-spin-like``), refines
the result with every available refiner and prints SmoothNet-style metrics
(root-relative, millimetres) before and after, plus a picture of one joint's
trajectory and acceleration.

(3) The same clip's SMPL body-model rotations (the corpus's ``smpl24``
rotations) with simulated rotation errors of the same preset, refined by
filters on quaternions, by the rotation network ``synsp-smpl24-rot-w8`` and by the default
``synsp-universal-w16-rot`` (geodesic angle error, and joints by forward kinematics in mm,
:func:`synsp.metrics.rotation_metrics`), plus a picture of one joint's rotation angle and its
error (``demo_rotations.png``).  Nothing is downloaded.

The refiners are the classical baselines of :mod:`synsp.filters` and every
3D Human3.6M-17 model shipped in the package (SmoothNet, SynSP).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import pictures
from .api import refine_pose_file
from .data.corpus import load_corpus
from .filters import FILTERS
from .geometry import axis_angle_to_matrix, geodesic_angle
from .io._common import atomic_write
from .io.tracks import read_pose_file
from .metrics import rotation_metrics, summarize
from .noise import PRESETS, simulate
from .noise.model import dims_of
from .refiners import get_refiner, shipped_models, shipped_path, subset_indices
from .rotations import refine_rotations
from .skeletons import get_skeleton
from .training import input_as_refiner, input_as_rotations
from .validation import SynspInputError

__all__ = ["DEMO_REFINERS", "DemoResult", "run_demo", "run_real_demo", "REAL_TRACK", "check_demo_options"]

DEMO_REFINERS = ("one-euro", "savgol", "gaussian", "butterworth", "kalman-rts",
                 "smoothnet-h36m17-3d-w8", "synsp-universal-w16", "synsp-h36m17-3d-w8")
DEMO_CLIP = "cmu_mocap/bvh_daz_aclstm/salsa"  # first test clip whose id starts with this
#: the embedded real estimator track of part (1)
REAL_TRACK = Path(__file__).resolve().parent / "data" / "embedded" / "sports2d_mediapipe.npz"


@dataclass
class DemoResult:
    clip_id: str
    frames: int
    fps: float
    preset: str
    rows: dict[str, dict[str, float]]  # method -> summarize() metrics in mm, and clean_added (mm on error-free input)
    picture: Path | None
    # part (1): the real MediaPipe track of the Sports2D video (None when skipped)
    real_rows: list[dict] | None = None  # per track: track, first, last, detections, accel_before/after, displacement
    real_summary: dict | None = None  # synsp.api.refine_pose_file's summary
    real_picture: Path | None = None
    # part (3): the clip's SMPL rotations (None when the clip has none)
    rotation_rows: dict[str, dict[str, float]] | None = None  # method -> rotation_metrics()
    rotation_picture: Path | None = None


def check_demo_options(preset: str, seed: int) -> None:
    """Refuse a ``preset`` or ``seed`` the demo cannot use before anything is computed or written: parts (2) and
    (3) simulate on 3D mocap, so the preset must be a 3D one, and numpy's generators take seeds >= 0 only (part
    (1), run first, would otherwise leave its picture behind a failure)."""
    if preset not in PRESETS:
        raise SynspInputError(f"unknown noise preset {preset!r}; the demo takes a 3D one: {', '.join(_presets_3d())}")
    if dims_of(PRESETS[preset].unit) != 3:
        raise SynspInputError(f"noise preset {preset!r} simulates 2D keypoint errors; the demo's clip is 3D mocap: "
                              f"use a 3D preset ({', '.join(_presets_3d())})")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SynspInputError(f"noise seed {seed!r}: expected a whole number >= 0")


def _presets_3d() -> list[str]:
    return [name for name, model in PRESETS.items() if dims_of(model.unit) == 3]


def _pick_clip(skeleton: str):
    clips = load_corpus(skeleton=skeleton)
    chosen = [c for c in clips if c.clip_id.startswith(DEMO_CLIP)]
    return max(chosen or clips, key=lambda c: c.num_frames)


def run_demo(
    out_dir: str | os.PathLike | None = "synsp-demo",
    preset: str = "3dpw-spin-like",
    seed: int = 0,
    refiners: tuple[str, ...] = DEMO_REFINERS,
    real: bool = True,
) -> DemoResult:
    """Run the demo; ``out_dir=None`` skips the pictures, ``real=False`` skips part (1)."""
    check_demo_options(preset, seed)  # before part (1), which writes its picture first
    real_rows = real_summary = real_picture = None
    if real:
        real_rows, real_summary, real_picture = run_real_demo(out_dir)
    skeleton = get_skeleton("h36m17")
    clip = _pick_clip(skeleton.name)
    gt = clip.positions.astype(np.float64)
    noisy = simulate(gt, preset, skeleton=skeleton.name, fps=clip.fps, seed=seed)
    inp = noisy.pred  # may hold NaN where the simulated estimator lost a joint
    metric = dict(root_joints=skeleton.root_joints, parents=skeleton.parents, scale=1000.0)
    outputs = {"input": input_as_refiner(inp)}  # NaN gaps interpolated: metrics need values
    clean = {"input": 0.0}  # first, do no harm: what each method adds to the error-free clip (mm)
    available = set(FILTERS) | set(shipped_models())
    for name in refiners:
        if name in available:
            refiner = get_refiner(shipped_path(name))  # synsp's own choice: the shipped model
            outputs[name] = refiner(inp, fps=clip.fps, confidence=noisy.confidence)
            clean[name] = summarize([refiner(gt, fps=clip.fps)], [gt], **metric)["mpjpe"]
    rows = {name: {**summarize([pred], [gt], inputs=[outputs["input"]], **metric), "clean_added": clean[name]}
            for name, pred in outputs.items()}
    picture = _plot(out_dir, gt, outputs, clip.fps, skeleton) if out_dir is not None else None
    rotation_rows, rotation_picture = run_rotation_demo(clip.clip_id, preset, seed, out_dir=out_dir,
                                                        with_picture=True)
    return DemoResult(clip.clip_id, clip.num_frames, clip.fps, preset, rows, picture,
                      real_rows, real_summary, real_picture, rotation_rows, rotation_picture)


ROTATION_REFINERS = ("butterworth", "kalman-rts", "synsp-smpl24-rot-w8", "synsp-universal-w16-rot")


def run_rotation_demo(clip_id: str, preset: str = "3dpw-spin-like", seed: int = 0,
                      refiners: tuple[str, ...] = ROTATION_REFINERS, out_dir: str | os.PathLike | None = None,
                      with_picture: bool = False):
    """Part (3): the clip's SMPL rotations with simulated errors, refined; None when it has none.

    Returns the rows (method -> :func:`synsp.metrics.rotation_metrics`, plus ``clean_added``: the mean angle
    in degrees the method adds to the error-free rotations, first do no harm); with ``with_picture`` the
    pair ``(rows, picture)``, the picture ``demo_rotations.png`` in ``out_dir`` (None without
    ``out_dir`` or matplotlib)."""
    found = [c for c in load_corpus(skeleton="h36m17", rotations=True) if c.clip_id == clip_id]
    if not found:
        return (None, None) if with_picture else None
    clip = found[0]
    gt = clip.rotations.astype(np.float64)
    noisy = simulate(gt, preset, skeleton="smpl24", fps=clip.fps, seed=seed, representation="rotations")
    raw = input_as_rotations(noisy.pred)
    available = set(FILTERS) | set(shipped_models())
    outputs = {"input": raw}
    for name in refiners:
        if name in available:
            outputs[name] = refine_rotations(noisy.pred, name, fps=clip.fps, confidence=noisy.confidence)
    rows = {name: rotation_metrics([pred], [gt], [raw]) for name, pred in outputs.items()}
    for name in outputs:
        clean = gt if name == "input" else refine_rotations(gt, name, fps=clip.fps)
        rows[name]["clean_added"] = rotation_metrics([clean], [gt])["angle"]
    if not with_picture:
        return rows
    picture = _plot_rotations(out_dir, gt, outputs, clip.fps) if out_dir is not None else None
    return rows, picture


def _mean_accel(track) -> float:
    """Mean |x[t+1] - 2 x[t] + x[t-1]| over joints and the frames whose two neighbours are detected."""
    kp, _ = track.dense()
    if len(kp) < 3:
        return float("nan")
    acc = np.linalg.norm(kp[2:] - 2 * kp[1:-1] + kp[:-2], axis=-1)
    return float(np.nanmean(acc)) if np.isfinite(acc).any() else float("nan")


def run_real_demo(out_dir: str | os.PathLike | None = "synsp-demo", model: str | None = None,
                  path: str | os.PathLike | None = None) -> tuple[list[dict], dict, Path | None]:
    """Part (1): refine the embedded real MediaPipe track; per-track rows, the refiner's summary, picture.

    Rows: ``track`` id, ``first``/``last`` frame, ``detections``, ``accel_before``/``accel_after``
    (px/frame², mean over landmarks and frames with both neighbours detected) and
    ``displacement`` (mean |refined - raw| over landmarks and detections, px).
    """
    raw = read_pose_file(REAL_TRACK if path is None else path)
    refined, summary = refine_pose_file(raw, model=model, progress=False)
    rows = []
    for before, after in zip(raw.tracks, refined.tracks):
        shift = np.linalg.norm(after.keypoints - before.keypoints, axis=-1)
        rows.append(dict(track=before.track_id, first=int(before.frames[0]), last=int(before.frames[-1]),
                         detections=len(before.frames), accel_before=_mean_accel(before),
                         accel_after=_mean_accel(after),
                         displacement=float(np.nanmean(shift)) if np.isfinite(shift).any() else float("nan")))
    picture = None
    if out_dir is not None:
        picture = _plot_real(out_dir, raw, refined, summary)
    return rows, summary, picture


def _plot_real(out_dir, raw, refined, summary) -> Path | None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:  # matplotlib is an optional extra
        return None

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    before, _ = raw.to_array()
    after, _ = refined.to_array()
    joints = _jittery(before, _refined_joints(raw.skeleton, summary["model"]))
    return pictures.plot_refinement(before, after, out / "demo_sports2d.png", skeleton=raw.skeleton, fps=raw.fps,
                           joints=joints, unit="px", accel_per_frame=True, image_y=raw.dims == 2,
                           title=f"Sports2D demo video: MediaPipe Pose (grey) refined by {summary['model']}")


def _refined_joints(skeleton: str | None, model: str) -> list[int] | None:
    """The joints of ``skeleton`` that ``model`` itself refines: None for all of them (a filter, or a
    network for this skeleton); for a network of a smaller skeleton (the COCO-17 model on MediaPipe's
    33 landmarks) its joints only, the others merely following their nearest refined joint."""
    import json

    models = shipped_models()
    if model not in models or skeleton is None:
        return None
    card = json.loads(models[model].with_suffix(".json").read_text())
    if card["skeleton"] in (skeleton, "any"):  # its own joint set, or any (the universal model)
        return None
    return subset_indices(skeleton, card["skeleton"])


def _jittery(poses: np.ndarray, among: list[int] | None, count: int = 4) -> list[int]:
    """The ``count`` joints of ``among`` (all when None) with the largest mean raw acceleration."""
    import warnings

    x = poses if poses.ndim == 4 else poses[:, None]
    joints = list(range(x.shape[2])) if among is None else list(among)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN joints
        acc = np.linalg.norm(x[2:] - 2 * x[1:-1] + x[:-2], axis=-1)  # (T-2, P, J)
        jitter = np.nanmean(acc, axis=(0, 1))[joints]
    jitter = np.where(np.isnan(jitter), -np.inf, jitter)
    return [joints[i] for i in np.argsort(-jitter, kind="stable")[:count]]


ROTATION_JOINT = "left_elbow"


def _plot_rotations(out_dir, gt, outputs, fps) -> Path | None:
    """Part (3)'s picture: one joint's rotation angle over time and its geodesic error, per method."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # matplotlib is an optional extra
        return None
    import torch

    def error(a, b):  # geodesic angle between axis-angles, radians
        return geodesic_angle(axis_angle_to_matrix(torch.as_tensor(a)), axis_angle_to_matrix(torch.as_tensor(b))).numpy()

    joint = get_skeleton("smpl24").index(ROTATION_JOINT)
    span = slice(0, min(gt.shape[0], int(10 * fps)))
    t = np.arange(gt.shape[0])[span] / fps
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    styles = {"input": dict(color="0.6", lw=0.8), "butterworth": dict(color="C0"),
              "kalman-rts": dict(color="C1"), "synsp-smpl24-rot-w8": dict(color="C3"),
              "synsp-universal-w16-rot": dict(color="C2")}
    for name, rot in outputs.items():
        style = styles.get(name, {})
        axes[0].plot(t, np.degrees(np.linalg.norm(rot[span, joint], axis=-1)), label=name, **style)
        axes[1].plot(t, np.degrees(error(rot[span, joint], gt[span, joint])), label=name, **style)
    axes[0].plot(t, np.degrees(np.linalg.norm(gt[span, joint], axis=-1)), "k", lw=1.2, label="ground truth")
    axes[0].set_ylabel(f"{ROTATION_JOINT.replace('_', ' ')}\nrotation angle (deg)")
    axes[1].set_ylabel("error to ground truth\n(geodesic, deg)")
    axes[1].set_xlabel("time (s)")
    axes[0].legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return _save_png(fig, out_dir, "demo_rotations.png")


def _save_png(fig, out_dir, name: str) -> Path:
    """Write a figure atomically into ``out_dir`` (made if missing) and close it."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = atomic_write(out / name, lambda fh: fig.savefig(fh, format="png", dpi=100), binary=True)
    plt.close(fig)
    return path


def _plot(out_dir, gt, outputs, fps, skeleton) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # matplotlib is an optional extra
        return None
    joint = skeleton.index("left_wrist")
    t = np.arange(gt.shape[0]) / fps
    span = slice(0, min(gt.shape[0], int(10 * fps)))
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    for name, style in (("input", dict(color="0.6", lw=0.8)), ("kalman-rts", dict(color="C1")),
                        ("smoothnet-h36m17-3d-w8", dict(color="C2")), ("synsp-h36m17-3d-w8", dict(color="C3"))):
        if name not in outputs:
            continue
        x = outputs[name][span, joint, 1] - outputs[name][span, 0, 1]
        axes[0].plot(t[span], x * 1000, label=name, **style)
        acc = np.linalg.norm(np.diff(outputs[name][span, joint], 2, axis=0), axis=-1) * 1000
        axes[1].plot(t[span][1:-1], acc, label=name, **style)
    x = gt[span, joint, 1] - gt[span, 0, 1]
    axes[0].plot(t[span], x * 1000, "k", lw=1.2, label="ground truth")
    axes[1].plot(t[span][1:-1], np.linalg.norm(np.diff(gt[span, joint], 2, axis=0), axis=-1) * 1000, "k", lw=1.2)
    axes[0].set_ylabel("left wrist height\nover pelvis (mm)")
    axes[1].set_ylabel("acceleration\n(mm/frame²)")
    axes[1].set_xlabel("time (s)")
    axes[0].legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return _save_png(fig, out_dir, "demo_mocap.png")
