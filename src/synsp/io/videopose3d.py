"""VideoPose3D 2D datasets: ``data_2d_<dataset>_<detections>.npz``, the input of its pose lifter.

Layout (``prepare_data_2d_custom.py`` for your own videos, ``prepare_data_2d_h36m_*.py`` for Human3.6M)::

    positions_2d: {subject or video: {action: [camera 0 (T, J, 2), camera 1, ...]}}   # a pickled dict
    metadata:     {"layout_name": "coco" | "h36m" | ..., "num_joints": J,
                   "keypoints_symmetry": [[left joints], [right joints]], "video_metadata": {...}}

A video of your own is ``{"clip.mp4": {"custom": [(T, 17, 2)]}}`` (COCO keypoints in pixels).  Both
arrays are pickled Python objects, so the file is read only with ``trust_pickle=True``
(``synsp refine --trust-pickle``): unpickling runs code, so only for files you made or trust.

Tracks: one per array, id ``"<subject>/<action>/<camera>"`` (``"clip.mp4/custom/0"``), each on its
own timeline from frame 0 (``num_frames``: the longest), separate recordings (no identity repair
between them: ``meta["independent_tracks"]``).  Skeleton ``coco17`` for layout ``coco`` and
``h36m17`` for ``h36m`` with 17 joints (else None); frame rate 50 Hz for ``h36m`` (Human3.6M's),
else unknown (``--fps``).  A frame whose joints are all NaN is a frame without the person.

:func:`write` writes the same file with each array's values replaced by its refined track (same
shape and dtype, an integer one rounded to the nearest; frames the track lacks keep their values) and
every other entry kept, so VideoPose3D reads the output as it read the input (``run.py -d custom -k
<detections>``).  The output is pickled like the input (VideoPose3D needs that); it is written atomically.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import as_path, atomic_write, cast_values, npz_headers, reader_fps, suffix_of
from synsp.io.tracks import PoseFile, Track
from synsp.validation import SynspInputError

__all__ = ["read", "sniff", "write"]

_KEY = "positions_2d"
_EXPECTED = ("positions_2d = {subject or video: {action: [camera arrays (T, J, 2)]}} and metadata = "
             "{'layout_name': ..., 'num_joints': ...}")
#: VideoPose3D layout name -> (skeleton, frame rate)
_LAYOUTS = {"coco": ("coco17", None), "h36m": ("h36m17", 50.0)}


def sniff(path: Any) -> bool:
    """An ``.npz`` holding a pickled ``positions_2d`` (array headers only: never unpickles, never raises)."""
    try:
        p = as_path(path)
        if not p.is_file() or suffix_of(p) != ".npz":
            return False
        header = npz_headers(p).get(_KEY)
        return header is not None and header[1] == object
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def _load(p: Path, trust_pickle: bool) -> dict[str, Any]:
    if not trust_pickle:
        raise SynspInputError(
            f"{p}: a VideoPose3D 2D dataset ({_KEY} and metadata are pickled Python objects); synsp never "
            "unpickles a file unless told to, since unpickling can run arbitrary code: for a file you made "
            "(prepare_data_2d_custom.py) or trust, pass --trust-pickle (trust_pickle=True)")
    try:
        with np.load(p, allow_pickle=True) as z:  # the user vouched for this file
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, ImportError, AttributeError) as exc:
        raise SynspInputError(f"{p}: cannot be read as a VideoPose3D 2D dataset ({exc})") from exc


def _unwrap(obj: Any) -> Any:
    """The Python object ``np.savez`` stored as a 0-d object array (a dict), else ``obj`` itself."""
    return obj.item() if isinstance(obj, np.ndarray) and obj.shape == () else obj


def _entries(p: Path, data: dict[str, Any]) -> list[tuple[str, str, int, np.ndarray]]:
    """``(subject, action, camera, array (T, J, 2))`` of every array in ``positions_2d``, validated."""
    positions = _unwrap(data[_KEY])
    if not isinstance(positions, dict) or not positions:
        found = (f"an array of shape {positions.shape}" if isinstance(positions, np.ndarray)
                 else "empty" if isinstance(positions, dict) else type(positions).__name__)
        raise SynspInputError(f"{p}: {_KEY} is {found}; expected {_EXPECTED}")
    out, J = [], None
    for subject, actions in positions.items():
        if not isinstance(actions, dict):
            raise SynspInputError(f"{p}: {_KEY}[{subject!r}] is {type(actions).__name__}; expected a dict of "
                                  f"actions ({_EXPECTED})")
        for action, cameras in actions.items():
            where = f"{_KEY}[{subject!r}][{action!r}]"
            if not isinstance(cameras, (list, tuple)) or not cameras:
                raise SynspInputError(f"{p}: {where} is {type(cameras).__name__}; expected a list of per-camera "
                                      "arrays (T, J, 2)")
            for cam, a in enumerate(cameras):
                arr = np.asarray(a)
                if arr.dtype.kind not in "fiu" or arr.ndim != 3 or arr.shape[-1] != 2 or not arr.shape[0]:
                    raise SynspInputError(f"{p}: {where}[{cam}] is an array of shape {arr.shape} and dtype "
                                          f"{arr.dtype}; expected numbers of shape (T, J, 2)")
                if J is not None and arr.shape[1] != J:
                    raise SynspInputError(f"{p}: {where}[{cam}] has {arr.shape[1]} joints, an earlier array {J}; "
                                          "expected one keypoint layout in the file")
                J = arr.shape[1]
                out.append((subject, action, cam, arr))
    return out


def read(path: Any, trust_pickle: bool = False, fps: float | None = None) -> PoseFile:
    """Read a VideoPose3D 2D dataset into a :class:`PoseFile` (needs ``trust_pickle=True``; see the module)."""
    p = as_path(path)
    fps = reader_fps(fps)
    if not p.is_file():
        raise SynspInputError(f"{p}: file not found")
    data = _load(p, trust_pickle)
    if _KEY not in data:
        raise SynspInputError(f"{p}: no {_KEY!r}; its arrays are {sorted(data)}; expected {_EXPECTED}")
    entries = _entries(p, data)
    metadata = _unwrap(data.get("metadata"))
    layout = metadata.get("layout_name") if isinstance(metadata, dict) else None
    J = entries[0][3].shape[1]
    skeleton, rate = _LAYOUTS.get(layout, (None, None)) if J == 17 else (None, None)
    tracks, ids = [], []
    for subject, action, cam, arr in entries:
        track_id = f"{subject}/{action}/{cam}"
        ids.append(track_id)
        kp = arr.astype(np.float64)
        present = np.flatnonzero(~np.isnan(kp).all(axis=(1, 2)))
        if len(present):
            tracks.append(Track(track_id, present, kp[present]))
    return PoseFile(tracks=tracks, num_frames=max(len(e[3]) for e in entries), format="videopose3d",
                    skeleton=skeleton, fps=fps if fps is not None else rate, units="px", source=p,
                    meta=dict(data=data, track_ids=ids, layout=layout, independent_tracks=True,
                              note=None if skeleton else f"layout {layout!r} with {J} joints: no synsp skeleton"))


def write(path: Any, pose_file: PoseFile) -> Path:
    """The file ``pose_file`` was read from, with each array's values replaced by its track's; atomic."""
    target = as_path(path)
    data = pose_file.meta.get("data") if pose_file.format == "videopose3d" else None
    if data is None:
        raise SynspInputError(f"{target}: cannot write a pose file read from {pose_file.source} "
                              f"({pose_file.format}) as a VideoPose3D dataset; the writer replaces the arrays "
                              "of the file it was read from")
    p = pose_file.source
    refined = {t.track_id: t for t in pose_file.tracks}
    unknown = set(refined) - set(pose_file.meta["track_ids"])
    if unknown:
        raise SynspInputError(f"{target}: tracks {sorted(unknown)[:3]} are not in {p}; the writer can only "
                              "replace the arrays read from it")
    positions = {}
    for subject, action, cam, arr in _entries(p, data):
        t = refined.get(f"{subject}/{action}/{cam}")
        new = arr.copy()
        if t is not None:
            if t.keypoints.shape[1:] != arr.shape[1:] or t.frames.max(initial=-1) >= len(arr):
                raise SynspInputError(f"{target}: track {t.track_id!r} has keypoints {t.keypoints.shape} in "
                                      f"frames up to {int(t.frames.max())}; {p} has {arr.shape}")
            new[t.frames] = cast_values(t.keypoints, arr.dtype, f"{target}: track {t.track_id!r}")
        positions.setdefault(subject, {}).setdefault(action, []).append(new)
    out = {k: v for k, v in data.items() if k != _KEY}
    out[_KEY] = np.array(positions, dtype=object)
    return atomic_write(target, lambda fh: np.savez_compressed(fh, **out), binary=True)

