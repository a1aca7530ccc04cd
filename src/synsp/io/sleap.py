"""SLEAP's files of tracked animals, read with h5py (``pip install h5py``, the ``hdf5`` extra; only these need it).

**Labels and predictions** (``.slp``: ``sleap-track``'s ``*.predictions.slp``, a proofread project).  An HDF5
file of records: ``frames`` (a video's frame index and its instances), ``instances`` (type, track, skeleton and
the rows of its points) and ``pred_points`` (x, y, visible, score); the skeleton's node names are in the
``metadata`` group's JSON.  The *predicted* instances of the file's one video are refined: each track (``tracks_json``)
a track of synsp; untracked instances are one track when there is one per frame, else followed by motion
continuity (``assign_ids="track"``, as ``synsp refine`` does) or refused with how to track them; in a file where
some instances are tracked, the untracked ones stay as they are (each its own one-frame track).  A point SLEAP did
not find (not visible, NaN) is missing; the point scores are the scores.  User-labelled instances are left as
they are.  The writer writes a copy of the file with only the refined x and y of the predicted points replaced
(a filled point is marked visible, keeping its score) and the points' scores the tracks' (as stored where
unchanged; where ``synsp refine`` relabelled a left/right inversion a point takes the score of the point its
detection was read at); every other record, the videos, the labels and the
metadata stay as they were, in the file's own coordinate convention.

**Analysis HDF5** (SLEAP's "Export Analysis HDF5", ``sleap-convert --format analysis``).  The file holds
``tracks`` ``(tracks, 2, nodes, frames)`` (x and y, NaN where a node was not found), ``node_names``,
``track_names`` and, in newer versions, ``point_scores`` ``(tracks, nodes, frames)``: every track is a person
of synsp (an animal), its node scores the keypoint scores (absent: every found node scores 1).  The writer
writes a copy of the file with only the refined ``tracks`` values replaced, and ``point_scores`` where the repair
relabelled a left/right inversion (the scores move with the nodes); every other dataset (occupancy, edges,
provenance) is kept as it was.

In both, the nodes' names give the skeleton (:func:`synsp.skeletons.skeleton_of_names`).  The files have no
frame rate: pass ``--fps`` (30 assumed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import (MAX_ARRAY_BYTES, MAX_FRAMES, as_path, h5py_module, is_hdf5, open_hdf5, run_isolated,
                               moved_scores, source_changed, suffix_of, write_changed_copy)
from synsp.io.keypoints_json import Instance, build_tracks, rows_to_write
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import skeleton_of_names
from synsp.validation import SynspInputError

__all__ = ["sniff", "read", "write"]

_HOW_TO_TRACK = "track them in SLEAP first (sleap-track ... --tracking.tracker simple, or the GUI's tracking)"
#: an instance SLEAP predicted (0: labelled by a user)
PREDICTED = 1


def sniff(path: Any) -> bool:
    """An HDF5 file with SLEAP's ``tracks`` and ``node_names`` datasets, or a ``.slp`` file with ``metadata``,
    ``frames`` and ``instances`` (False when h5py is not installed)."""
    try:
        p = as_path(path)
        if h5py_module() is None or not p.is_file() or suffix_of(p) not in (".h5", ".hdf5", ".slp") or not is_hdf5(p):
            return False
        return run_isolated(_holds, p, ("metadata", "frames", "instances") if suffix_of(p) == ".slp" else
                            ("tracks", "node_names"), path=p)
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def _holds(p: Path, keys: tuple[str, ...]) -> bool:
    """Whether the HDF5 file ``p`` holds every one of ``keys`` (run isolated: :func:`run_isolated`)."""
    with open_hdf5(p, "r") as f:
        return all(k in f for k in keys)


def _names(f: Any, key: str, count: int, stem: str) -> list[str]:
    values = f[key][()] if key in f else []
    names = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in np.asarray(values).ravel()]
    return names if len(names) == count else [f"{stem}{i}" for i in range(count)]


def read(path: Any, skeleton: str | None = None, assign_ids: str | None = None) -> PoseFile:
    """Every track of the file as a track of ``(n, nodes, 2)`` pixels (see the module docstring)."""
    p = as_path(path)
    if h5py_module() is None:
        raise SynspInputError(f"{p}: reading SLEAP's files needs h5py: pip install h5py")
    if suffix_of(p) == ".slp":
        return _read_slp(p, skeleton, assign_ids)
    xy, scores, nodes, names = run_isolated(_load_analysis, p, path=p)
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
                    source=p, meta=dict(layout="analysis", shape=(K, 2, J, T), index=index, joint_names=nodes,
                                        named_skeleton=named))


def _load_analysis(p: Path) -> tuple[np.ndarray, np.ndarray | None, list[str], list[str]]:
    """An analysis file's ``tracks``, ``point_scores``, node and track names (run isolated: :func:`run_isolated`)."""
    try:
        with open_hdf5(p, "r") as f:
            shape = f["tracks"].shape
            if len(shape) != 4 or shape[1] != 2:
                raise SynspInputError(f"{p}: its tracks dataset has shape {shape}; a SLEAP analysis file holds "
                                      "(tracks, 2, nodes, frames)")
            if np.prod(shape, dtype=np.float64) * 8 > MAX_ARRAY_BYTES:
                raise SynspInputError(f"{p}: its tracks dataset {shape} is larger than synsp reads at once")
            xy = np.asarray(f["tracks"][()], dtype=np.float64)  # (K, 2, J, T)
            scores = np.asarray(f["point_scores"][()], dtype=np.float64) if "point_scores" in f else None
            return xy, scores, _names(f, "node_names", shape[2], "node"), _names(f, "track_names", shape[0], "track")
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise SynspInputError(f"{p}: not a readable SLEAP analysis file ({exc})") from None


def _records(f: Any, key: str, fields: tuple[str, ...], p: Path) -> np.ndarray:
    ds = f.get(key)
    names = getattr(getattr(ds, "dtype", None), "names", None) or ()
    if ds is None or not set(fields) <= set(names) or ds.ndim != 1:
        raise SynspInputError(f"{p}: its {key!r} records lack {sorted(set(fields) - set(names))}; not a SLEAP labels "
                              "file synsp reads")
    if ds.shape[0] * ds.dtype.itemsize > MAX_ARRAY_BYTES:
        raise SynspInputError(f"{p}: its {key!r} records are larger than synsp reads at once")
    return ds[()]


def _slp_nodes(f: Any, p: Path) -> tuple[list[list[str]], float]:
    """Each skeleton's node names, in the order of its instances' points, and the file's format id."""
    md = f["metadata"]
    try:
        raw = md.attrs["json"]
        doc = json.loads(bytes(raw).decode("utf-8") if isinstance(raw, (bytes, np.bytes_)) else str(raw))
        names = [str(n["name"]) for n in doc["nodes"]]
        skeletons = []
        for sk in doc["skeletons"]:
            sk = sk.get("nx_graph", sk)  # SLEAP 1.3.2 and later wrap the graph
            skeletons.append([names[int(n["id"])] for n in sk["nodes"]])
        format_id = float(md.attrs.get("format_id", 1.0))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise SynspInputError(f"{p}: its metadata does not name the skeleton's nodes ({type(exc).__name__}: {exc}); "
                              "not a SLEAP labels file synsp reads") from None
    return skeletons, format_id


def _load_slp(p: Path) -> tuple:
    """A ``.slp``'s skeletons' node names, format id and records (run isolated: :func:`run_isolated`)."""
    try:
        with open_hdf5(p, "r") as f:
            skeletons, format_id = _slp_nodes(f, p)
            frames = _records(f, "frames", ("frame_id", "video", "frame_idx"), p)
            inst = _records(f, "instances", ("instance_type", "frame_id", "skeleton", "track", "point_id_start",
                                             "point_id_end"), p)
            points = _records(f, "pred_points", ("x", "y", "visible", "score"), p) if "pred_points" in f else None
            track_names = [json.loads(t) for t in f["tracks_json"][()]] if "tracks_json" in f else []
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise SynspInputError(f"{p}: not a readable SLEAP labels file ({exc})") from None
    return skeletons, format_id, frames, inst, points, track_names


def _read_slp(p: Path, skeleton: str | None, assign_ids: str | None) -> PoseFile:
    skeletons, format_id, frames, inst, points, track_names = run_isolated(_load_slp, p, path=p)
    predicted = inst[inst["instance_type"] == PREDICTED]
    if not len(predicted) or points is None:
        raise SynspInputError(f"{p}: holds no predicted instances (labels by hand only); refine the predictions "
                              "SLEAP writes for a video (sleap-track -> *.predictions.slp)")
    by_id = {int(fid): i for i, fid in enumerate(frames["frame_id"])}
    where = np.asarray([by_id.get(int(fid), -1) for fid in predicted["frame_id"]])
    if (where < 0).any():
        raise SynspInputError(f"{p}: an instance names frame_id {int(predicted['frame_id'][where < 0][0])}, which "
                              "its frames do not hold")
    videos = np.unique(frames["video"][where])
    if len(videos) > 1:
        raise SynspInputError(f"{p}: holds predictions for {len(videos)} videos; synsp refines one video's tracks "
                              "per file (split it in SLEAP, or run sleap-track per video)")
    kinds = np.unique(predicted["skeleton"])
    if len(kinds) > 1 or not 0 <= int(kinds[0]) < len(skeletons):
        raise SynspInputError(f"{p}: its predicted instances use skeletons {kinds.tolist()} of {len(skeletons)}; "
                              "expected one skeleton")
    nodes = skeletons[int(kinds[0])]
    J = len(nodes)
    frame_idx = frames["frame_idx"][where].astype(np.int64)
    if frame_idx.min() < 0 or frame_idx.max() >= MAX_FRAMES:
        raise SynspInputError(f"{p}: frame indices {frame_idx.min()}-{frame_idx.max()} are beyond what synsp reads")
    names = {}
    for k, t in enumerate(track_names):
        name = str(t[1]) if isinstance(t, list) and len(t) > 1 else f"track{k}"
        names[k] = name if name not in names.values() else f"{name}#{k}"  # two tracks of one name: both kept
    instances, order = [], {}
    for r, (rec, frame) in enumerate(zip(predicted, frame_idx)):
        start, end = int(rec["point_id_start"]), int(rec["point_id_end"])
        if end - start != J or not 0 <= start <= end <= len(points):
            raise SynspInputError(f"{p}: predicted instance {r} has points {start}-{end}; its skeleton has {J} "
                                  f"nodes and the file {len(points)} predicted points")
        pts = points[start:end]
        kp = np.stack([pts["x"], pts["y"]], -1).astype(np.float64)
        kp[~(pts["visible"].astype(bool) & np.isfinite(kp).all(-1))] = np.nan
        track = int(rec["track"])
        if track >= len(names):
            raise SynspInputError(f"{p}: predicted instance {r} names track {track}; the file has {len(names)}")
        order[int(frame)] = order.get(int(frame), -1) + 1
        instances.append(Instance(frame=int(frame), order=order[int(frame)],
                                  track_id=names[track] if track >= 0 else None,
                                  where=f"frame {int(frame)}, predicted instance {r}", loc=(start,), keypoints=kp,
                                  scores=np.nan_to_num(pts["score"].astype(np.float64), nan=0.0)))
    if any(i.track_id is None for i in instances) and any(i.track_id is not None for i in instances):
        for i in instances:  # SLEAP leaves some instances untracked: they are their own
            if i.track_id is None:
                i.track_id = f"untracked {i.frame}.{i.order}"
    tracks, locations = build_tracks(p, instances, assign_ids, _HOW_TO_TRACK)
    named = skeleton_of_names(nodes)
    return PoseFile(tracks=tracks, num_frames=int(frame_idx.max()) + 1, format="sleap", skeleton=skeleton or named,
                    fps=None, units="px", source=p,
                    meta=dict(layout="slp", locations=locations, keypoint_shape=(J, 2), points=len(points),
                              format_id=format_id, joint_names=nodes, named_skeleton=named))


def write(path: Any, pose_file: PoseFile) -> Path:
    """A SLEAP-read file: a copy of it with every track's refined x and y written in (where finite): into
    ``tracks`` of an analysis file, into the predicted points of a ``.slp``."""
    if pose_file.format != "sleap":
        raise SynspInputError(f"{path}: only a SLEAP file's own keypoints are written back as its HDF5; write this "
                              f"{pose_file.format} data as .npz instead")
    out = as_path(path, "output path")
    slp = pose_file.meta.get("layout") == "slp"
    if slp:  # the predicted points' rows and their refined x, y; each instance's first point and scores
        at, xy, starts, scores = [], [], [], []
        for kp, (start,), sc in rows_to_write(out, pose_file, ("slp",), scores=True):
            ok = np.flatnonzero(np.isfinite(kp).all(-1))
            at.append(start + ok)
            xy.append(kp[ok])
            if sc is not None:
                starts.append(start)
                scores.append(sc)
        J = pose_file.meta["keypoint_shape"][0]
        edits = (np.concatenate(at) if at else np.zeros(0, np.int64), np.concatenate(xy) if xy else np.zeros((0, 2)),
                 np.asarray(starts, dtype=np.int64), np.asarray(scores, dtype=np.float64).reshape(-1, J))
        store, size = _store_slp, pose_file.meta["points"]
    else:  # (track, frame, node) of every finite refined point and its x, y
        k, f, j, xy, scores = [], [], [], [], []
        for t in pose_file.tracks:
            n, jj = np.nonzero(np.isfinite(t.keypoints).all(-1))
            k.append(np.full(len(n), pose_file.meta["index"][t.track_id]))
            f.append(t.frames[n])
            j.append(jj)
            xy.append(t.keypoints[n, jj])
            if t.scores is not None:  # (track, its frames, their scores): written where the file has point_scores
                scores.append((pose_file.meta["index"][t.track_id], t.frames, t.scores))
        cat = lambda v, e: np.concatenate(v) if v else e  # noqa: E731
        edits = (cat(k, np.zeros(0, np.int64)), cat(f, np.zeros(0, np.int64)), cat(j, np.zeros(0, np.int64)),
                 cat(xy, np.zeros((0, 2))), scores)
        store, size = _store_analysis, tuple(pose_file.meta["shape"])
    return write_changed_copy(out, pose_file.source, ".slp" if slp else ".h5", store, out, pose_file.source, size,
                              *edits)


def _store_analysis(tmp: Path, out: Path, source: Path, shape: tuple, k: np.ndarray, f: np.ndarray, j: np.ndarray,
                    xy: np.ndarray, scores: list | tuple = ()) -> None:
    """Refined points written into ``tracks`` of ``tmp``, a copy of ``source``, and each track's ``scores``
    (``(track, frames, (n, J) scores)``) into its ``point_scores`` where the file has them (run isolated)."""
    with open_hdf5(tmp, "r+") as h5:
        data = h5["tracks"]
        if tuple(data.shape) != shape:
            raise source_changed(out, source, "SLEAP file")
        tracks = np.asarray(data[()])  # (K, 2, J, T)
        tracks[k, 0, j, f], tracks[k, 1, j, f] = xy[:, 0], xy[:, 1]
        data[...] = tracks
        ps = h5.get("point_scores")
        K, _, J, T = shape
        if ps is None or tuple(ps.shape) != (K, J, T) or not scores:  # no scores read from the file: none written
            return
        stored = np.asarray(ps[()])  # (K, J, T)
        changed = False
        for kk, frames, sc in scores:
            now = stored[kk][:, frames].T  # (n, J)
            new = _moved(now, sc)
            if new is not None:
                stored[kk][:, frames] = new.T
                changed = True
        if changed:
            ps[...] = stored


def _store_slp(tmp: Path, out: Path, source: Path, size: int, at: np.ndarray, xy: np.ndarray,
               starts: np.ndarray | None = None, scores: np.ndarray | None = None) -> None:
    """Refined points written into the predicted points of ``tmp``, a copy of ``source``, marked visible, and the
    scores ``(n, J)`` of the instances whose points start at ``starts`` (run isolated)."""
    with open_hdf5(tmp, "r+") as h5:
        data = h5.get("pred_points")
        if data is None or data.shape[0] != size:
            raise source_changed(out, source, "SLEAP file")
        points = data[()]
        points["x"][at], points["y"][at], points["visible"][at] = xy[:, 0], xy[:, 1], True
        if starts is not None and len(starts):
            rows = starts[:, None] + np.arange(scores.shape[1])  # (n, J) point rows
            new = _moved(points["score"][rows], scores)
            if new is not None:
                points["score"][rows] = new
        data[...] = points


def _moved(stored: np.ndarray, scores: np.ndarray) -> np.ndarray | None:
    """The stored point scores ``(n, J)`` with the track's ``scores`` in (:func:`synsp.io._common.moved_scores`; a
    NaN score reads as 0): each stored value kept where it is the score read there, the value of the point it
    was read at where ``synsp refine`` relabelled a left/right inversion, any other score in the stored dtype;
    None when nothing changes."""
    return moved_scores(stored, np.nan_to_num(stored.astype(np.float64), nan=0.0), scores)
