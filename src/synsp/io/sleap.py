"""SLEAP analysis HDF5 files (SLEAP's "Export Analysis HDF5", ``sleap-convert --format analysis``): 2D keypoints
of tracked animals, read with h5py (``pip install h5py``; only this format needs it).

The file holds ``tracks`` ``(tracks, 2, nodes, frames)`` (x and y, NaN where a node was not found), ``node_names``,
``track_names`` and, in newer versions, ``point_scores`` ``(tracks, nodes, frames)``: every track is a person
of synsp (an animal), its node scores the keypoint scores (absent: every found node scores 1).  The nodes'
names give the skeleton (:func:`synsp.skeletons.skeleton_of_names`).  The file has no frame rate: pass ``--fps``
(30 assumed).  The writer writes a copy of the file with only the refined ``tracks`` values replaced; every other
dataset (scores, occupancy, edges, provenance) is kept as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import MAX_ARRAY_BYTES, as_path, atomic_target, suffix_of
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import skeleton_of_names
from synsp.validation import SynspInputError

__all__ = ["sniff", "read", "write"]


def _h5py():
    try:
        import h5py  # an optional dependency: loaded when a SLEAP file is read
    except ImportError:
        return None
    return h5py


def sniff(path: Any) -> bool:
    """An HDF5 file with SLEAP's ``tracks`` and ``node_names`` datasets (False when h5py is not installed)."""
    try:
        p = as_path(path)
        h5py = _h5py()
        if h5py is None or not p.is_file() or suffix_of(p) not in (".h5", ".hdf5"):
            return False
        with h5py.File(p, "r") as f:
            return "tracks" in f and "node_names" in f
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def _names(f: Any, key: str, count: int, stem: str) -> list[str]:
    values = f[key][()] if key in f else []
    names = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel()]
    return names if len(names) == count else [f"{stem}{i}" for i in range(count)]


def read(path: Any, skeleton: str | None = None) -> PoseFile:
    """Every track of the file as a track of ``(n, nodes, 2)`` pixels (see the module docstring)."""
    p = as_path(path)
    h5py = _h5py()
    if h5py is None:
        raise SynspInputError(f"{p}: reading SLEAP's HDF5 files needs h5py: pip install h5py")
    try:
        with h5py.File(p, "r") as f:
            shape = f["tracks"].shape
            if len(shape) != 4 or shape[1] != 2:
                raise SynspInputError(f"{p}: its tracks dataset has shape {shape}; a SLEAP analysis file holds "
                                      "(tracks, 2, nodes, frames)")
            if np.prod(shape, dtype=np.float64) * 8 > MAX_ARRAY_BYTES:
                raise SynspInputError(f"{p}: its tracks dataset {shape} is larger than synsp reads at once")
            xy = np.asarray(f["tracks"][()], dtype=np.float64)  # (K, 2, J, T)
            scores = np.asarray(f["point_scores"][()], dtype=np.float64) if "point_scores" in f else None
            nodes = _names(f, "node_names", shape[2], "node")
            names = _names(f, "track_names", shape[0], "track")
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise SynspInputError(f"{p}: not a readable SLEAP analysis file ({exc})") from None
    K, _, J, T = xy.shape
    if scores is not None and scores.shape != (K, J, T):
        scores = None  # another layout: the found nodes score 1
    tracks, index = [], {}
    for k in range(K):
        kp = xy[k].transpose(2, 1, 0)  # (T, J, 2)
        kp[~np.isfinite(kp).all(-1)] = np.nan
        here = np.flatnonzero(np.isfinite(kp).all(-1).any(-1))
        if not len(here):
            continue
        sc = np.isfinite(kp).all(-1).astype(np.float64) if scores is None else np.nan_to_num(scores[k].T, nan=0.0)
        tid = names[k] if names[k] not in index else f"{names[k]}#{k}"  # two tracks of one name: both kept
        index[tid] = k
        tracks.append(Track(tid, here, kp[here], sc[here]))
    named = skeleton_of_names(nodes)
    return PoseFile(tracks=tracks, num_frames=T, format="sleap", skeleton=skeleton or named, fps=None, units="px",
                    source=p, meta=dict(shape=(K, 2, J, T), index=index, joint_names=nodes, named_skeleton=named))


def write(path: Any, pose_file: PoseFile) -> Path:
    """A SLEAP-read file: a copy of it with every track's refined x and y written into ``tracks`` (where finite)."""
    if pose_file.format != "sleap":
        raise SynspInputError(f"{path}: only a SLEAP file's own keypoints are written back as its HDF5; write this "
                              f"{pose_file.format} data as .npz instead")
    h5py = _h5py()
    out = as_path(path, "output path")
    with atomic_target(out, suffix=".h5") as tmp:
        shutil.copyfile(pose_file.source, tmp)
        with h5py.File(tmp, "r+") as f:
            data = f["tracks"]
            if tuple(data.shape) != tuple(pose_file.meta["shape"]):
                raise SynspInputError(f"{path}: the SLEAP file it is written from ({pose_file.source}) changed since "
                                      "it was read; run again")
            xy = np.asarray(data[()])
            for t in pose_file.tracks:
                k = pose_file.meta["index"][t.track_id]
                ok = np.isfinite(t.keypoints).all(-1)  # (n, J)
                block = xy[k][:, :, t.frames]  # (2, J, n)
                new = t.keypoints.transpose(2, 1, 0)
                block[:, ok.T] = new[:, ok.T]
                xy[k][:, :, t.frames] = block
            data[...] = xy
    return out
