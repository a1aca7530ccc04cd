"""Pose files with people in them: tracks, gaps, and writing refined values back in place.

Every estimator format (MMPose / COCO JSON, OpenPose folders, MediaPipe CSV/NPZ, ...)
is read into one :class:`PoseFile`: a list of :class:`Track` objects, one per person
(track id), each holding the frames where that person was detected, the keypoints
``(n, J, D)`` in the file's own units (NaN where a joint is missing) and the optional
per-joint scores ``(n, J)``.  The reader also keeps, in ``PoseFile.meta``, what its
writer needs to write the same document back with only the keypoint coordinates
replaced (every other field kept): :func:`write_pose_file` does that atomically.

:func:`read_pose_file` / :func:`write_pose_file` choose the format from the path
(suffix, folder, or a look inside the file); ``FORMATS`` lists them.  A format module
``synsp.io.<module>`` provides ``sniff(path) -> bool``, ``read(path, **kw) -> PoseFile``
and ``write(path, pose_file) -> Path``.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable

import numpy as np

from synsp.io._common import (MAX_FRAMES, METRES_PER_UNIT, as_path, check_target, h5py_module, is_hdf5, npz_headers,
                              suffix_of)
from synsp.skeletons import BUILTIN_SKELETONS
from synsp.validation import SynspInputError

__all__ = ["Track", "PoseFile", "FORMATS", "FOLDER_FORMATS", "read_pose_file", "write_pose_file", "pose_file_format",
           "output_format", "conversion_losses", "frame_numbers_fit",
           "regroup", "ungroup"]


@dataclass
class Track:
    """One person's detections: ``frames`` (n,) increasing ints into the file's timeline,
    ``keypoints`` (n, J, D) float (NaN = missing), ``scores`` (n, J) or None."""

    track_id: Hashable
    frames: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.frames = _frame_indices(self.frames, self.track_id)
        self.keypoints = np.asarray(self.keypoints, dtype=np.float64)
        if self.keypoints.ndim != 3 or self.keypoints.shape[0] != len(self.frames):
            raise SynspInputError(
                f"track {self.track_id!r}: keypoints of shape {self.keypoints.shape} do not match "
                f"{len(self.frames)} frame indices; expected (n, J, D)")
        if len(self.frames) > 1 and (np.diff(self.frames) <= 0).any():
            i = int(np.flatnonzero(np.diff(self.frames) <= 0)[0])
            raise SynspInputError(
                f"track {self.track_id!r} appears twice in frame {int(self.frames[i + 1])} (or its frames "
                "are out of order); give each person in a frame a distinct track id")
        if self.scores is not None:
            self.scores = np.asarray(self.scores, dtype=np.float64)
            if self.scores.shape != self.keypoints.shape[:2]:
                raise SynspInputError(
                    f"track {self.track_id!r}: scores of shape {self.scores.shape} do not match keypoints "
                    f"{self.keypoints.shape}; expected (n, J)")

    @property
    def num_joints(self) -> int:
        return int(self.keypoints.shape[1])

    @property
    def dims(self) -> int:
        return int(self.keypoints.shape[2])

    def dense(self, a: int = 0, b: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Keypoints over the span of detections ``a..b-1`` (default: all), ``(frames[b-1] - frames[a] + 1,
        J, D)`` with NaN in the gaps, and scores likewise (0 in the gaps).  Without gaps, float64 keypoints
        (and scores) come back as read-only views, not copies (an hour of a body is not copied again)."""
        frames = self.frames[a:b]
        at = frames - frames[0]
        if int(at[-1]) + 1 == len(at) and self.keypoints.dtype == np.float64 and \
                (self.scores is None or self.scores.dtype == np.float64):
            views = [None if v is None else v[a:b].view() for v in (self.keypoints, self.scores)]
            for v in views:
                if v is not None:
                    v.flags.writeable = False
            return views[0], views[1]
        kp = np.full((int(at[-1]) + 1,) + self.keypoints.shape[1:], np.nan)
        kp[at] = self.keypoints[a:b]
        sc = None
        if self.scores is not None:
            sc = np.zeros(kp.shape[:2])
            sc[at] = self.scores[a:b]
        return kp, sc

    def split(self, max_gap: int) -> list[tuple[int, int]]:
        """Index ranges ``[a, b)`` into the detections, cut where more than ``max_gap`` frames are absent."""
        cuts = np.flatnonzero(np.diff(self.frames) > max_gap + 1) + 1
        bounds = np.concatenate([[0], cuts, [len(self.frames)]])
        return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _frame_indices(frames: Any, track_id: Hashable) -> np.ndarray:
    """``frames`` as an int64 vector, refused (before any array of that length exists) when a value is
    not a whole number or is beyond :data:`MAX_FRAMES` (a frame id of 1e9 or 1e30 in a file)."""
    arr = np.asarray(frames)
    if arr.dtype.kind == "i":
        out = arr.astype(np.int64, copy=False).reshape(-1)
        bad = out[np.abs(out) > MAX_FRAMES]
        if len(bad):
            raise SynspInputError(_bad_frame(track_id, bad[0]))
        return out
    # floats, Python ints too large for int64 (object arrays), ...: one by one, before any conversion
    out = np.empty(arr.size, dtype=np.int64)
    for k, v in enumerate(arr.reshape(-1).tolist()):
        try:
            ok = float(v) == int(v) and abs(int(v)) <= MAX_FRAMES
        except (TypeError, ValueError, OverflowError):  # nan, inf, not a number
            ok = False
        if not ok:
            raise SynspInputError(_bad_frame(track_id, v))
        out[k] = int(v)
    return out


def _bad_frame(track_id: Hashable, value: Any) -> str:
    return (f"track {track_id!r}: frame {value} is beyond the {MAX_FRAMES:,} frames synsp reads per file (or not "
            "a whole number); check the file's frame numbers (frame ids, the frame column or the file names)")


@dataclass
class PoseFile:
    """The people of one pose file (see the module docstring).  Track ids are distinct as Python compares them
    (``1``, ``1.0`` and ``True`` are one id): two tracks with one id are a :class:`SynspInputError`.

    ``frame_numbers``: the file's own number of each frame of the timeline, ``(num_frames,)`` increasing ints
    (MMPose's ``frame_id``, a TRC's ``Frame#``, an ``.npz``'s ``frames``), for the writers of other formats to keep;
    None when the file does not number its frames (frame ``i`` is ``i``).  A reader may give a ``range`` (a span
    from the first frame's number), made an array only once ``num_frames`` is checked.  ``Track.frames`` index the
    timeline either way: frame ``i`` of a track is the file's frame ``frame_numbers[i]``."""

    tracks: list[Track]
    num_frames: int
    format: str
    skeleton: str | None = None  # a name in synsp.skeletons when the format says it
    fps: float | None = None  # when the file says it
    units: str = "px"  # "px", "m", "mm", "normalised", ...
    source: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # what the format's writer needs (and, after the left/right
    # repair, "joint_sources": {track id: (n, J) ints}, the input joint each joint of a detection now holds)
    frame_numbers: np.ndarray | range | None = None  # the file's number of each frame (None: frame i is i)

    def __post_init__(self) -> None:
        if not 0 <= self.num_frames <= MAX_FRAMES:
            raise SynspInputError(
                f"{self.source or 'pose file'}: spans {self.num_frames} frames; synsp reads at most {MAX_FRAMES:,} "
                "frames per file; check the file's frame numbers")
        if self.frame_numbers is not None:
            self.frame_numbers = _checked_frame_numbers(self.frame_numbers, self.num_frames, self.source)
        shapes = {t.keypoints.shape[1:] for t in self.tracks}
        if len(shapes) > 1:
            raise SynspInputError(
                f"{self.source or 'pose file'}: tracks have different joint layouts {sorted(shapes)}; "
                "expected one skeleton per file")
        _check_track_ids(self.tracks, self.source)

    @property
    def scores_mark_missing(self) -> bool:
        """Whether a joint scoring below the refiner's threshold is missing (a detector's confidence: OpenPose,
        MMPose, YOLO), or still a position (``meta["scores"] == "visibility"``: MediaPipe's likelihood that a
        landmark is not occluded, given with a predicted position either way; the repair weighs it)."""
        return self.meta.get("scores") != "visibility"

    @property
    def num_joints(self) -> int | None:
        return self.tracks[0].num_joints if self.tracks else None

    @property
    def dims(self) -> int | None:
        return self.tracks[0].dims if self.tracks else None

    def max_gap(self, fps: float | None = None, max_gap: int | None = None) -> int:
        """Longest run of absent frames filled inside a track: ``max_gap`` when given, else half a second
        at ``fps`` (or the file's fps; 15 frames when neither is known)."""
        if max_gap is not None:
            return int(max_gap)
        fps = fps or self.fps
        return int(round(0.5 * fps)) if fps else 15

    def track(self, track_id: Hashable) -> Track:
        for t in self.tracks:
            if t.track_id == track_id:
                return t
        raise KeyError(track_id)

    def with_keypoints(self, keypoints: dict[Hashable, np.ndarray]) -> "PoseFile":
        """A copy with the keypoints of the given tracks replaced (same shapes)."""
        tracks = []
        for t in self.tracks:
            new = keypoints.get(t.track_id, t.keypoints)
            new = np.asarray(new, dtype=np.float64)
            if new.shape != t.keypoints.shape:
                raise ValueError(f"track {t.track_id!r}: new keypoints {new.shape} != {t.keypoints.shape}")
            tracks.append(dataclasses.replace(t, keypoints=new))
        return dataclasses.replace(self, tracks=tracks)

    def to_array(self) -> tuple[np.ndarray, list[Hashable]]:
        """``(num_frames, P, J, D)`` with NaN where a person is absent, and the track ids (P order)."""
        if not self.tracks:
            raise SynspInputError(f"{self.source or 'pose file'}: no person in any frame")
        out = np.full((self.num_frames, len(self.tracks), self.num_joints, self.dims), np.nan)
        for p, t in enumerate(self.tracks):
            out[t.frames, p] = t.keypoints
        return out, [t.track_id for t in self.tracks]

    def scores_array(self) -> np.ndarray | None:
        """The scores laid out as :meth:`to_array`'s keypoints, ``(num_frames, P, J)`` with 0 where a person is
        absent; None unless every track has scores."""
        if not self.tracks or any(t.scores is None for t in self.tracks):
            return None
        out = np.zeros((self.num_frames, len(self.tracks), self.num_joints))
        for p, t in enumerate(self.tracks):
            out[t.frames, p] = t.scores
        return out


def frame_numbers_fit(numbers: Any) -> bool:
    """Whether ``numbers`` (an integer array or a ``range``) increase strictly and all fit in int64 (a file's frame
    ids of 2**63 and more, which read before frame numbers were kept, are then left out, not refused)."""
    return _increasing_integers(numbers) and _in_int64(numbers)


def _checked_frame_numbers(numbers: Any, num_frames: int, source: Path | None) -> np.ndarray | None:
    """``numbers`` (an array, or a reader's ``range``, made an array only once its length is known to be
    ``num_frames``: never a billion values) as ``num_frames`` increasing int64; None (left out) where they are
    increasing integers that int64 cannot hold (ids of 2**63 and more: the frames are read, not their numbers);
    else a :class:`SynspInputError`."""
    span = isinstance(numbers, range)
    count = len(numbers) if span else np.size(numbers)
    if count != num_frames or not (span or np.ndim(numbers) == 1) or not _increasing_integers(numbers):
        raise SynspInputError(f"{source or 'pose file'}: {count} frame numbers for {num_frames} frames; expected one "
                              "increasing integer per frame")
    if not _in_int64(numbers):
        return None
    if span:  # from its start (np.arange's stop past int64 would make floats)
        return numbers.start + numbers.step * np.arange(count, dtype=np.int64)
    return np.asarray(numbers).astype(np.int64)


def _whole(value: Any) -> bool:
    """A whole number as an id or a frame number (a Python or numpy integer, not a bool)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _increasing_integers(numbers: Any) -> bool:
    """Whether ``numbers`` (an array or a ``range``) are whole numbers increasing strictly (as Python integers: any
    size)."""
    if isinstance(numbers, range):
        return numbers.step > 0 or len(numbers) < 2
    a = np.asarray(numbers)
    if a.dtype.kind not in "iuO":
        return False
    values = a.astype(object).ravel().tolist()
    return all(_whole(v) for v in values) and all(x < y for x, y in zip(values, values[1:]))


def _in_int64(numbers: Any) -> bool:
    """Whether increasing ``numbers`` (:func:`_increasing_integers`) all fit in int64: their first and last do."""
    values = numbers if isinstance(numbers, range) else np.asarray(numbers).ravel()
    return len(values) == 0 or (-2**63 <= int(values[0]) and int(values[-1]) < 2**63)


def _check_track_ids(tracks: list[Track], source: Path | None) -> None:
    """Every track's id is hashable, equal to itself and unlike every other track's, as Python compares
    (``1 == 1.0 == True``, ``np.int64(1) == 1``): results are kept per track id (``dict``), where two tracks
    with one id would overwrite each other's values (one person refined onto another)."""
    where = source or "pose file"
    seen: dict[Hashable, int] = {}
    for k, t in enumerate(tracks):
        tid = t.track_id
        try:
            first = seen.get(tid)
        except TypeError:
            raise SynspInputError(f"{where}: track {k} has id {tid!r} ({type(tid).__name__}), which cannot be "
                                  "a track id; give each track a number or a string") from None
        if tid != tid:
            raise SynspInputError(f"{where}: track {k} has id {tid!r}, which equals no id (not even itself); "
                                  "give each track a number or a string")
        if first is not None:
            other = tracks[first].track_id
            same = f"id {tid!r}" if repr(other) == repr(tid) else f"ids {other!r} and {tid!r} (equal in Python)"
            raise SynspInputError(f"{where}: tracks {first} and {k} have the same track {same}; their values would "
                                  "overwrite each other: give each person its own track id")
        seen[tid] = k


def regroup(pose_file: PoseFile, owner: list[np.ndarray]) -> PoseFile:
    """The file's detections regrouped by person: ``owner[k][i]`` is the index (into ``pose_file.tracks``)
    of the person whose detection track ``k``'s row ``i`` is (see :func:`synsp.identity.repair_track_identities`);
    track ``p`` of the result holds person ``p``'s detections in frame order, under the id of the track
    ``p`` of the file.  Persons without a detection are left out.  :func:`ungroup` puts values back."""
    tracks = pose_file.tracks
    frames = np.concatenate([t.frames for t in tracks])
    person = np.concatenate(owner)
    kp = np.concatenate([t.keypoints for t in tracks])
    scores = None if any(t.scores is None for t in tracks) else np.concatenate([t.scores for t in tracks])
    out = []
    for p, t in enumerate(tracks):
        rows = np.flatnonzero(person == p)
        if not len(rows):
            continue
        rows = rows[np.argsort(frames[rows], kind="stable")]
        out.append(Track(t.track_id, frames[rows], kp[rows], None if scores is None else scores[rows]))
    return dataclasses.replace(pose_file, tracks=out)


def ungroup(pose_file: PoseFile, persons: PoseFile, owner: list[np.ndarray]) -> PoseFile:
    """``pose_file`` with every detection's keypoints (and scores) taken from its person's track in
    ``persons`` (a :func:`regroup` of it with the same ``owner``, after refinement): each detection
    stays where the file has it, under its own track id."""
    by_id = {t.track_id: t for t in persons.tracks}
    tracks = []
    for t, own in zip(pose_file.tracks, owner):
        kp, sc = t.keypoints.copy(), None if t.scores is None else t.scores.copy()
        for p in np.unique(own):
            person = by_id[pose_file.tracks[p].track_id]
            mine = own == p
            at = np.searchsorted(person.frames, t.frames[mine])
            kp[mine] = person.keypoints[at]
            if sc is not None and person.scores is not None:
                sc[mine] = person.scores[at]
        tracks.append(dataclasses.replace(t, keypoints=kp, scores=sc))
    return dataclasses.replace(pose_file, tracks=tracks)


#: format name -> (module under synsp.io, what it is)
FORMATS: dict[str, tuple[str, str]] = {
    "mmpose": ("keypoints_json", "MMPose 0.x/1.x JSON (per-frame instances, keypoints, scores, track ids)"),
    "coco": ("keypoints_json", "COCO-style results JSON (flat x, y, v keypoints; WholeBody 133 kept; AlphaPose's)"),
    "openpose": ("openpose", "OpenPose JSON folder (one *_keypoints.json per frame; BODY_25, face and hands)"),
    "yolo": ("yolo", "Ultralytics YOLO pose labels folder (one <video>_<frame>.txt per frame, save_txt=True)"),
    # before mediapipe/smpl: a pickle-free SmoothNet SMPL file ('pose' (N, 72)) would pass as SMPL parameters
    "smoothnet": ("smoothnet", "SmoothNet-format npz (Human3.6M, 3DPW, AIST++ detected/groundtruth files)"),
    "videopose3d": ("videopose3d", "VideoPose3D 2D dataset npz (positions_2d per video and camera; pickled)"),
    "deeplabcut": ("deeplabcut", "DeepLabCut pose CSV or HDF5 (x, y, likelihood per body part; multi-animal "
                                 "individuals; .h5 needs h5py)"),
    "sleap": ("sleap", "SLEAP labels / predictions .slp or analysis HDF5 (tracks of nodes; needs h5py)"),
    "nwb": ("nwb", "Neurodata Without Borders .nwb with ndx-pose PoseEstimation (DeepLabCut, SLEAP, DANDI; "
                   "needs h5py)"),
    "mediapipe": ("mediapipe",
                  "MediaPipe landmark CSV/NPZ (Pose: 33 landmarks, x, y, z, visibility; Hands CSV: 21 per hand)"),
    "smpl": ("smpl", "SMPL parameters (poses/betas/trans as written by body-model estimators: .npz, or a trusted .pkl)"),
    "trc": ("trc", "TRC marker file (OpenSim / Sports2D / Pose2Sim)"),
    "c3d": ("c3d", "C3D motion capture (Vicon, Qualisys, OptiTrack, ...: marker trajectories, subjects as tracks)"),
    "bvh": ("bvh", "BVH motion capture (joint positions by forward kinematics)"),
    # last: any other .npy/.npz holding a (T, J, D) or (T, P, J, D) array
    "array": ("arrays", "plain (T, J, D) / (T, P, J, D) array in .npy/.npz, optional scores and fps"),
}


#: formats whose input is a folder of one file per frame (each folder is one input, written as a new folder)
FOLDER_FORMATS = ("openpose", "yolo")


def _module(fmt: str):
    if fmt not in FORMATS:
        raise SynspInputError(f"unknown pose format {fmt!r}; known: {', '.join(FORMATS)}")
    return importlib.import_module(f"synsp.io.{FORMATS[fmt][0]}")


def pose_file_format(path: Any) -> str | None:
    """The format name of ``path`` (folder or file) when one of ``FORMATS`` recognises it, else None."""
    p = as_path(path)
    for fmt in FORMATS:
        try:
            mod = _module(fmt)
        except ImportError:  # a format module not written yet
            continue
        if mod.sniff(p):
            return getattr(mod, "format_of", lambda _p, f=fmt: f)(p)
    return None


def read_pose_file(path: Any, format: str | None = None, **kw: Any) -> PoseFile:
    """Read any supported pose file or folder into a :class:`PoseFile`.  Every problem with the file is a
    :class:`SynspInputError` naming it."""
    p = as_path(path)
    try:
        return _read_pose_file(p, format, **kw)
    except SynspInputError as exc:
        if str(p) in str(exc):
            raise
        raise SynspInputError(f"{p}: {exc}") from exc


def _read_pose_file(p: Path, format: str | None = None, **kw: Any) -> PoseFile:
    if not p.exists():
        raise SynspInputError(f"{p}: file not found")
    if p.is_file() and p.stat().st_size == 0:
        raise SynspInputError(f"{p}: the file is empty (0 bytes); expected pose-estimator output")
    fmt = format or pose_file_format(p)
    if fmt is None and suffix_of(p) in (".h5", ".hdf5", ".slp", ".nwb"):
        if p.is_file() and not is_hdf5(p):
            raise SynspInputError(f"{p}: not an HDF5 file (it does not begin with HDF5's signature): the file is "
                                  "cut, damaged or not what its name says")
        if h5py_module() is None:
            raise SynspInputError(f"{p}: reading HDF5 pose files (SLEAP's .slp and analysis files, DeepLabCut's .h5, "
                                  "NWB) needs h5py: pip install h5py")
        raise SynspInputError(f"{p}: an HDF5 file synsp does not read, or a damaged one (synsp reads SLEAP's .slp "
                              "and analysis files, DeepLabCut's pandas HDF5 files and NWB files with ndx-pose "
                              "poses); or give the keypoints as a (T, J, 2) .npy")
    if fmt is None:
        raise SynspInputError(
            f"{p}: not a pose file synsp recognises; supported: "
            + "; ".join(f"{k} ({v[1]})" for k, v in FORMATS.items()))
    return _module(fmt).read(p, **kw)


#: output suffixes of each format's own writer (an OpenPose folder: a folder name, see _write_choices)
#: suffixes of pickled SMPL parameter files (VIBE, ROMP, joblib dumps), the ``smpl`` format's containers
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")

_OWN_SUFFIXES: dict[str, tuple[str, ...]] = {
    "mmpose": (".json", ".json.gz"),
    "coco": (".json", ".json.gz"),
    "smoothnet": (".npz",),
    "videopose3d": (".npz",),
    "deeplabcut": (".csv", ".csv.gz"),  # its HDF5 file: .h5 / .hdf5 (_write_choices)
    "nwb": (".nwb",),
    "sleap": (".h5", ".hdf5"),  # a .slp: written back as .slp (_write_choices)
    "mediapipe": (".csv", ".csv.gz", ".npz"),
    "smpl": (".npz",),
    "trc": (".trc", ".trc.gz"),
    "c3d": (".c3d",),
    "bvh": (".bvh", ".bvh.gz"),  # a BVH read as joint rotations only (read(..., rotations=True))
    "array": (".npy", ".npz"),
}
#: formats whose own writer takes .npz (the others write .npy/.npz as a plain array)
_NPZ_FORMATS = ("array", "mediapipe", "smpl", "smoothnet", "videopose3d")
#: why a format's own suffixes are few (in the message refusing another suffix)
_WHY_NOT = {
    "bvh": "writing refined joint positions back into BVH rotations is not supported; refining a .bvh into a "
           ".bvh refines its joint rotations instead",
    "smoothnet": "a SmoothNet file is written as a (pickle-free) .npz",
    "videopose3d": "a VideoPose3D dataset is written as the .npz its lifter reads",
    "c3d": "a C3D file is written back as a copy of itself with the markers replaced",
}
#: every suffix some writer writes: a name ending in one is not taken as an OpenPose folder
_FILE_SUFFIXES = (".json", ".json.gz", ".npy", ".npz", ".csv", ".csv.gz", ".trc", ".trc.gz", ".c3d", ".h5", ".hdf5",
                  ".slp", ".nwb", ".bvh", ".bvh.gz",
                  ".pkl", ".pickle", ".joblib", ".txt", ".gz")


def _write_choices(pose_file: PoseFile) -> list[tuple[str, str]]:
    """``(suffix, format)`` pairs ``pose_file`` can be written as; suffix ``""`` is an OpenPose folder."""
    fmt, layout = pose_file.format, pose_file.meta.get("layout")
    if fmt == "openpose":
        own = [("", fmt)] if layout == "openpose-folder" else [(".json", fmt)]
    elif fmt == "yolo":
        own = [("", fmt)]
    elif fmt == "smpl" and pose_file.meta.get("container") == "pickle":
        own = [(s, fmt) for s in PICKLE_SUFFIXES]
    elif fmt == "sleap" and layout == "slp":
        own = [(".slp", fmt)]
    elif fmt == "deeplabcut" and "frame" in pose_file.meta:  # read from DeepLabCut's HDF5: written back as one
        own = [(".h5", fmt), (".hdf5", fmt)]
    elif fmt == "bvh" and pose_file.units != "axis-angle":  # BVH joint positions: not back into rotations
        own = []
    elif fmt == "trc" and str(pose_file.units).strip().lower() not in METRES_PER_UNIT:
        own = []  # a TRC states its unit: one it does not know cannot be written (as .npz it can)
    else:
        own = [(s, fmt) for s in _OWN_SUFFIXES.get(fmt, ())]
    if fmt not in _NPZ_FORMATS:  # -> a plain (T, P, J, D) array
        own += [(".npy", "array"), (".npz", "array")]
    rotations = pose_file.units == "axis-angle"  # joint rotations are not marker positions
    if fmt != "trc" and len(pose_file.tracks) == 1 and pose_file.dims == 3 and not rotations:  # -> TRC markers
        own += [(".trc", "trc"), (".trc.gz", "trc")]
    return own


def output_format(path: Any, pose_file: PoseFile, format: str | None = None) -> str:
    """The format :func:`write_pose_file` writes ``pose_file`` to ``path`` in, after checking, before any
    work, that the output can be written: its suffix is one ``pose_file`` can be written as (``format``
    skips this) and the target passes :func:`synsp.io._common.check_target` (not the input file or
    folder, not a device or FIFO, not an existing folder, a writable folder, a legal name) and the format
    module's ``check_output(path, pose_file)`` where it has one (track ids its writer could not keep apart).
    ``synsp refine`` calls it before the compute; :func:`write_pose_file` calls it too."""
    p = as_path(path, "output path")
    try:
        mode = os.stat(p).st_mode
    except OSError:  # absent (or a name check_target explains below)
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a device, FIFO, socket: say so first
        check_target(p)
    if format is None:
        choices = _write_choices(pose_file)
        suffix = suffix_of(p)
        folder = any(s == "" for s, _ in choices) and suffix not in _FILE_SUFFIXES
        format = next((f for s, f in choices if s == suffix or (s == "" and folder)), None)
        if format is None:
            allowed = ("a new folder's name (no file suffix) or " if choices[0][0] == "" else "") + \
                "an output ending in " + ", ".join(s for s, _ in choices if s)
            if mode is not None and stat.S_ISDIR(mode):
                raise SynspInputError(f"{p}: is an existing folder; give {allowed}")
            note = _WHY_NOT.get(pose_file.format, "")
            if pose_file.format == "trc" and suffix in (".trc", ".trc.gz"):
                note = (f"{pose_file.source}: its Units {pose_file.units!r} are not a length unit synsp knows "
                        f"({', '.join(sorted(METRES_PER_UNIT))}); fix the header")
            what = f"a {suffix!r} file" if suffix else "a file without a suffix"
            raise SynspInputError(f"{p}: cannot write {pose_file.format} pose data as {what}"
                                  f"{' (' + note + ')' if note else ''}; give {allowed}")
    is_folder = format in FOLDER_FORMATS and str(pose_file.meta.get("layout", "")).endswith("-folder")
    check_target(p, sources=[pose_file.source], folder=is_folder)
    check = getattr(_module(format), "check_output", None)  # what the writer would refuse (track ids it cannot keep)
    if check is not None:
        check(p, pose_file)
    return format


def conversion_losses(path: Any, pose_file: PoseFile, format: str) -> list[str]:
    """What writing ``pose_file`` to ``path`` in ``format`` leaves out, in words (empty when nothing): a file's
    own writer keeps everything, but for a plain ``.npy`` written from an ``.npz`` (its other arrays).

    * an ``.npz`` array (:func:`synsp.io.arrays.write`) keeps the frame rate, frame numbers, track ids, scores,
      skeleton name, units and joint names; it leaves out the scores of a file where some tracks have none, and
      keeps track ids that are not all integers or all text as text (``1.5`` as ``"1.5"``); a format's other
      fields (MediaPipe's world landmarks, a TRC's time offset) stay in that format only;
    * an ``.npy`` keeps the keypoints only: row ``i`` is frame ``i`` and column ``p`` is track ``p``;
    * a TRC file (:func:`synsp.io.trc.write`) keeps the frame numbers, rate, units and the joints' names (a built-in
      skeleton's when the file names none: read back as it), not the scores, the track's id (read back as 0) or
      the name of another skeleton without its joints' names."""
    p = as_path(path, "output path")
    suffix, tracks = suffix_of(p), pose_file.tracks
    if format == pose_file.format:
        if format != "array" or suffix != ".npy" or pose_file.source is None or suffix_of(pose_file.source) != ".npz":
            return []
        others = [k for k in npz_headers(pose_file.source) if k != pose_file.meta.get("key", "keypoints")]
        return [f"the arrays {', '.join(map(repr, others))} of {pose_file.source}"] if others else []
    scored = [t.track_id for t in tracks if t.scores is not None]
    if format == "array" and suffix == ".npz":
        lost = [f"the scores of track{'s' * (len(scored) > 1)} {_listed(scored)} (the other tracks have none)"] \
            if scored and len(scored) < len(tracks) else []
        ids = [t.track_id for t in tracks]
        if not (all(_whole(i) for i in ids) or all(isinstance(i, str) for i in ids)):
            lost.append(f"the track ids' types ({_listed(ids)} are written as text)")
        return lost
    if format not in ("array", "trc"):
        return []
    lost, numbers = [], pose_file.frame_numbers
    if format == "array":  # .npy
        if pose_file.fps:
            lost.append(f"the frame rate ({pose_file.fps:g} fps)")
        if numbers is not None and not np.array_equal(numbers, np.arange(pose_file.num_frames)):
            lost.append(f"the frame numbers ({numbers[0]}..{numbers[-1]})")
        ids = [t.track_id for t in tracks]
        if not all(_whole(i) and i == k for k, i in enumerate(ids)):
            lost.append(f"the track ids ({_listed(ids)})")
    elif tracks and tracks[0].track_id != 0:  # trc: one track
        lost.append(f"the track id {tracks[0].track_id!r}")
    if scored:
        lost.append("the scores")
    named = len(pose_file.meta.get("joint_names") or ()) == (pose_file.num_joints or 0)
    builtin = format == "trc" and pose_file.skeleton in BUILTIN_SKELETONS  # its joints name the markers
    if pose_file.skeleton is not None and (format == "array" or not (named or builtin)):
        lost.append(f"the skeleton name {pose_file.skeleton!r}")
    if format == "array" and pose_file.units != "file units":
        lost.append(f"the units {pose_file.units!r}")
    if format == "array" and named:
        lost.append("the joint names")
    return lost


def _listed(values: list) -> str:
    """``values`` in a message: up to four, then how many (``3, 'a', 7, 9, ... (30 in all)``)."""
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:4])
    return shown + (f", ... ({len(values)} in all)" if len(values) > 4 else "")


def write_pose_file(path: Any, pose_file: PoseFile, format: str | None = None) -> Path:
    """Write ``pose_file`` in its own format, atomically; to an ``.npy``/``.npz`` path as a plain array
    when it was read from another format, to a ``.trc`` path as markers when it holds one 3D track of
    another format (or in ``format`` when given).  The output is checked first (:func:`output_format`):
    a wrong suffix, the input itself or a target that cannot be written is a :class:`SynspInputError`.
    What the output cannot hold of the input (:func:`conversion_losses`) is said in one :class:`UserWarning`."""
    p = as_path(path, "output path")
    format = output_format(p, pose_file, format)
    out = _module(format).write(p, pose_file)
    lost = conversion_losses(p, pose_file, format)
    if lost:
        keep = "write an .npz to keep them" if suffix_of(p) != ".npz" else "write the input's own format to keep them"
        warnings.warn(f"{p}: not written (the output cannot hold them): {'; '.join(lost)}; {keep}", UserWarning,
                      stacklevel=2)
    return out
