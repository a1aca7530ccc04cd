"""Neurodata Without Borders files with pose estimates (``.nwb``, the ``ndx-pose`` extension that DeepLabCut,
SLEAP, Lightning Pose and DANDI datasets use), read and written back with h5py alone (``pip install h5py``, the
``hdf5`` extra).

A ``PoseEstimation`` group (anywhere in the file, usually ``processing/behavior``) is one animal or person:
a track of synsp.  Its ``PoseEstimationSeries`` subgroups are its body parts, each with ``data`` ``(frames, 2)``
(pixels) or ``(frames, 3)``, NaN where the part was not found, ``confidence`` ``(frames,)`` (the scores) and the
frame times: ``starting_time`` with its ``rate`` (the frame rate), or ``timestamps`` (the frame of a time is its
distance from the first at the median interval; an irregular clock is refused).  The body parts' order is the
skeleton's (``ndx-pose`` 0.2: the ``Skeleton`` the group links to, with its ``nodes``; 0.1: the group's own
``nodes``), else the series' names in order; their names give the skeleton
(:func:`synsp.skeletons.skeleton_of_names`).

The frames of every series are on one clock: frame 0 is the earliest ``starting_time`` (or first timestamp)
of any series of the file, so animals whose series start at different times line up (a series starting 2 s
later at 30 Hz starts at frame 60).

The writer writes a copy of the file with only the refined ``data`` values replaced, in their own dtype (an
integer dtype: rounded to the nearest, a value beyond its range refused; a filled part keeps its confidence), and
the confidences the tracks' scores (as stored where unchanged; where ``synsp refine`` relabelled a left/right
inversion a part takes the confidence of the part its detection was read at); every other group, dataset and
attribute (the session, the recordings, the links) stays as it was.  Every HDF5 access runs in a child process
(:func:`synsp.io._common.run_isolated`): a damaged file is an input error, not a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import (MAX_ARRAY_BYTES, MAX_FRAMES, as_path, cast_values, h5py_module, is_hdf5, moved_scores,
                               open_hdf5, run_isolated, source_changed, suffix_of, write_changed_copy)
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import skeleton_of_names
from synsp.validation import SynspInputError

__all__ = ["sniff", "read", "write"]


def _text(v: Any) -> str:
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    return v.decode("utf-8", "replace") if isinstance(v, (bytes, np.bytes_)) else str(v)


def _kind(obj: Any) -> str:
    return _text(obj.attrs.get("neurodata_type", "")) if hasattr(obj, "attrs") else ""


def _estimations(f: Any) -> list[str]:
    """The paths of the file's ``PoseEstimation`` groups, in file order."""
    found: list[str] = []

    def visit(name: str, obj: Any) -> None:
        if _kind(obj) == "PoseEstimation" and not hasattr(obj, "dtype"):
            found.append(name)

    f.visititems(visit)
    return found


def sniff(path: Any) -> bool:
    """A ``.nwb`` HDF5 file holding a ``PoseEstimation`` group (False when h5py is not installed)."""
    try:
        p = as_path(path)
        if h5py_module() is None or not p.is_file() or suffix_of(p) != ".nwb" or not is_hdf5(p):
            return False
        return run_isolated(_holds_poses, p, path=p)
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def _holds_poses(p: Path) -> bool:
    with open_hdf5(p, "r") as f:
        return bool(_estimations(f))


def _node_order(g: Any, series: list[str]) -> list[str]:
    """The body parts of the ``PoseEstimation`` group ``g`` in its skeleton's order (then any other series)."""
    nodes = None
    for key in g:
        try:
            obj = g[key]  # a link to the Skeleton (ndx-pose 0.2), or the group's own nodes (0.1)
        except (KeyError, OSError):
            continue
        if _kind(obj) == "Skeleton" and "nodes" in obj:
            nodes = obj["nodes"]
            break
        if key == "nodes" and hasattr(obj, "dtype"):
            nodes = obj
            break
    order = [_text(n) for n in np.asarray(nodes[()]).ravel()] if nodes is not None else []
    known = [n for n in order if n in series]
    return known + [s for s in series if s not in known]


def _load(p: Path) -> list[dict[str, Any]]:
    """Per ``PoseEstimation`` group: its path, body parts, ``data`` ``(frames, parts, D)``, confidences and
    frame times (run isolated: :func:`run_isolated`)."""
    out = []
    with open_hdf5(p, "r") as f:
        for path in _estimations(f):
            g = f[path]
            series = [k for k in g if _kind(g[k]) == "PoseEstimationSeries"]
            if not series:
                continue
            parts = _node_order(g, series)
            first = g[parts[0]]
            shape = first["data"].shape if "data" in first else None
            if shape is None or len(shape) != 2 or shape[1] not in (2, 3):
                raise SynspInputError(f"{p}: {path}/{parts[0]}/data has shape {shape}; expected (frames, 2) or "
                                      "(frames, 3)")
            T, D = shape
            if T > MAX_FRAMES or T * len(parts) * D * 8 > MAX_ARRAY_BYTES:
                raise SynspInputError(f"{p}: {path} holds {T:,} frames of {len(parts)} parts, more than synsp reads")
            data = np.full((T, len(parts), D), np.nan)
            conf = np.ones((T, len(parts)))
            for j, name in enumerate(parts):
                s = g[name]
                if "data" not in s or s["data"].shape != shape:
                    raise SynspInputError(f"{p}: {path}/{name}/data has shape "
                                          f"{s['data'].shape if 'data' in s else None}; the other parts {shape}: "
                                          "expected one length for every part of a PoseEstimation")
                data[:, j] = s["data"][()]
                if "confidence" in s and s["confidence"].shape == (T,):
                    conf[:, j] = s["confidence"][()]
            clocks = [_clock(g[name], T) for name in parts]
            out.append(dict(path=path, parts=parts, data=data, confidence=conf, clocks=clocks,
                            unit=_text(first["data"].attrs.get("unit", ""))))
    return out


def _clock(s: Any, T: int) -> dict[str, Any]:
    """A series' frame times: ``rate`` (as stored; None: none in the file) and ``start`` (its ``starting_time``),
    or ``times`` (its ``timestamps``); ``start`` None where the file gives no usable time."""
    if "starting_time" in s:
        stored = s["starting_time"].attrs.get("rate")  # absent: no rate in the file
        rate = None if stored is None else float(np.asarray(stored).reshape(-1)[0])
        try:
            start = float(np.asarray(s["starting_time"][()], dtype=np.float64).reshape(-1)[0])
        except (TypeError, ValueError, IndexError):
            start = None
        usable = rate is not None and np.isfinite(rate) and rate > 0 and start is not None and np.isfinite(start)
        return dict(rate=rate, start=start if usable else None, times=None)
    if "timestamps" in s and s["timestamps"].shape == (T,):
        times = np.asarray(s["timestamps"][()], dtype=np.float64)
        start = float(times[0]) if T >= 2 and np.isfinite(times[0]) else None
        return dict(rate=None, start=start, times=times)
    return dict(rate=None, start=None, times=None)


def _frames(p: Path, where: str, clock: dict[str, Any], T: int, t0: float | None) -> tuple[np.ndarray, float | None]:
    """Frame numbers of a series' ``T`` samples and its frame rate (None: not in the file), on the file's one
    clock: frame 0 is ``t0``, the earliest start of any series (a series starting 2 s later at 30 Hz starts at
    frame 60, where the other series are 2 s on)."""
    if clock["rate"] is not None:  # as stored: 0, negative or NaN is refused where it is used (synsp.api.file_fps)
        rate = float(clock["rate"])
        return _on_clock(p, where, np.arange(T, dtype=np.int64), clock["start"], t0, rate), rate
    t = clock["times"]
    if t is None or T < 2:
        return np.arange(T, dtype=np.int64), None
    step = np.diff(t)
    if not np.isfinite(t).all() or (step <= 0).any():
        raise SynspInputError(f"{p}: {where}: its timestamps do not increase; expected one time per frame")
    dt = float(np.median(step))
    frames = _on_clock(p, where, np.rint((t - t[0]) / dt).astype(np.int64), t[0], t0, 1.0 / dt)
    if (np.diff(frames) <= 0).any() or np.abs((t - t[0]) / dt - (frames - frames[0])).max() > 0.25:
        raise SynspInputError(f"{p}: {where}: its timestamps are not on one frame clock (median interval "
                              f"{dt:.4g} s); synsp refines frames of one rate")
    return frames, 1.0 / dt


def _on_clock(p: Path, where: str, frames: np.ndarray, start: float | None, t0: float | None,
              rate: float) -> np.ndarray:
    """A series' ``frames`` (from 0) moved to the file's clock: by its ``start`` after ``t0`` (seconds) at
    ``rate``; refused when that puts them past :data:`MAX_FRAMES`."""
    shift = int(np.rint((start - t0) * rate)) if start is not None and t0 is not None else 0
    if len(frames) and shift + int(frames[-1]) + 1 > MAX_FRAMES:
        raise SynspInputError(f"{p}: {where} starts {start - t0:.4g} s after another series, at frame {shift:,}; "
                              "more frames than synsp reads")
    return frames + shift


def read(path: Any, skeleton: str | None = None) -> PoseFile:
    """Every ``PoseEstimation`` group of the file as a track (see the module docstring)."""
    p = as_path(path)
    if h5py_module() is None:
        raise SynspInputError(f"{p}: reading NWB files needs h5py: pip install h5py")
    items = run_isolated(_load, p, path=p)
    if not items:
        raise SynspInputError(f"{p}: holds no PoseEstimationSeries (ndx-pose); nothing to refine")
    parts, D = items[0]["parts"], items[0]["data"].shape[-1]
    for it in items[1:]:
        if it["parts"] != parts or it["data"].shape[-1] != D:
            raise SynspInputError(f"{p}: {it['path']} has the parts {it['parts']} in {it['data'].shape[-1]}D, "
                                  f"{items[0]['path']} {parts} in {D}D; expected the same body parts for every "
                                  "PoseEstimation")
    starts = [c["start"] for it in items for c in it["clocks"] if c["start"] is not None]
    t0 = min(starts) if starts else None  # frame 0 of the file's one clock
    tracks, fps, index, span = [], None, {}, 0
    for it in items:
        kp, conf = it["data"], np.nan_to_num(it["confidence"], nan=0.0)
        kp[~np.isfinite(kp).all(-1)] = np.nan
        per_part = []  # each series' frame numbers
        for name, clock in zip(it["parts"], it["clocks"]):
            frames, rate = _frames(p, f"{it['path']}/{name}", clock, len(kp), t0)
            if rate is not None:
                if fps is not None and not (abs(rate - fps) <= 1e-3 * abs(fps) or np.isnan(rate) and np.isnan(fps)):
                    raise SynspInputError(f"{p}: {it['path']}/{name} runs at {rate:.4g} fps, another series at "
                                          f"{fps:.4g}; expected one frame rate per file")
                fps = rate
            per_part.append(frames)
        frames = per_part[0]
        if any(not np.array_equal(f, frames) for f in per_part[1:]):  # parts on clocks of their own: all frames
            frames = np.unique(np.concatenate(per_part))
            at = [np.searchsorted(frames, f) for f in per_part]
            kp_all, conf_all = np.full((len(frames),) + kp.shape[1:], np.nan), np.zeros((len(frames), kp.shape[1]))
            for j, rows in enumerate(at):
                kp_all[rows, j], conf_all[rows, j] = kp[:, j], conf[:, j]
            kp, conf = kp_all, conf_all
        here = np.flatnonzero(np.isfinite(kp).all(-1).any(-1))
        tid = it["path"].rsplit("/", 1)[-1]
        tid = tid if tid not in index else it["path"]
        index[tid] = dict(path=it["path"], frames=np.stack(per_part) if per_part else np.zeros((0, 0), np.int64),
                          length=len(it["data"]))
        span = max(span, int(frames.max()) + 1 if len(frames) else 0)
        if len(here):
            tracks.append(Track(tid, frames[here], kp[here], conf[here]))
    unit = items[0]["unit"]
    word = unit.strip().lower()
    units = "px" if word in ("pixel", "pixels", "px") or (not word and D == 2) else (unit.strip() or "file units")
    named = skeleton_of_names(parts)
    return PoseFile(tracks=tracks, num_frames=span, format="nwb", skeleton=skeleton or named, fps=fps, units=units,
                    source=p, meta=dict(index=index, parts=parts, joint_names=parts, named_skeleton=named))


def write(path: Any, pose_file: PoseFile) -> Path:
    """A copy of the NWB file ``pose_file`` was read from with every track's refined, finite values written into
    its series' ``data``."""
    if pose_file.format != "nwb":
        raise SynspInputError(f"{path}: only an NWB file's own poses are written back as NWB; write this "
                              f"{pose_file.format} data as .npz instead")
    out = as_path(path, "output path")
    meta = pose_file.meta
    edits = []
    for t in pose_file.tracks:
        where = meta["index"][t.track_id]
        rows, joints, values, samples = [], [], [], []
        for j, frames in enumerate(where["frames"]):  # each part's samples, at their own frames
            at = np.minimum(np.searchsorted(frames, t.frames), max(len(frames) - 1, 0))
            hit = frames[at] == t.frames if len(frames) else np.zeros(len(t.frames), dtype=bool)
            n = np.flatnonzero(hit & np.isfinite(t.keypoints[:, j]).all(-1))
            rows.append(at[n])
            joints.append(np.full(len(n), j))
            values.append(t.keypoints[n, j])
            samples.append(np.where(hit, at, -1))  # the part's sample at each of the track's frames (-1: none)
        D = t.keypoints.shape[-1]
        scores = None if t.scores is None or not samples else (np.stack(samples, axis=1), t.scores)
        edits.append((where["path"], where["length"], np.concatenate(rows or [np.zeros(0, np.int64)]),
                      np.concatenate(joints or [np.zeros(0, np.int64)]),
                      np.concatenate(values or [np.zeros((0, D))]), scores))
    return write_changed_copy(out, pose_file.source, ".nwb", _store, out, pose_file.source, meta["parts"], edits)


def _store(tmp: Path, out: Path, source: Path, parts: list[str], edits: list[tuple]) -> None:
    """The refined values written into the series of ``tmp``, a copy of ``source``, and the tracks' scores into
    their confidences (:func:`_confidences`; run isolated)."""
    with open_hdf5(tmp, "r+") as f:
        for path, length, rows, joints, values, scores in edits:
            g = f.get(path)
            if g is None or any(name not in g or "data" not in g[name] or g[name]["data"].shape[0] != length
                                for name in parts):
                raise source_changed(out, source, "NWB file")
            for j, name in enumerate(parts):
                mine = joints == j
                if mine.any():
                    data = g[name]["data"]
                    block = data[()]
                    block[rows[mine]] = cast_values(values[mine], block.dtype, f"{out}: {path}/{name}/data")
                    data[...] = block
            if scores is not None:
                _confidences(g, parts, length, *scores)


def _confidences(g: Any, parts: list[str], length: int, samples: np.ndarray, scores: np.ndarray) -> None:
    """A track's ``scores`` ``(n, J)`` written into the ``confidence`` of its series (``samples`` ``(n, J)``: each
    part's sample at the track's frames, -1 where it has none), as :func:`synsp.io._common.moved_scores` says:
    each stored value where the score is the one read there, the value of the part its detection was read at where
    ``synsp refine`` relabelled a left/right inversion, any other score in the dataset's dtype.  A part without
    its confidence (read as 1) or without a sample at a frame (read as 0) has nothing written."""
    kept = [name in g and "confidence" in g[name] and g[name]["confidence"].shape == (length,) for name in parts]
    if not any(kept):
        return
    conf = [np.asarray(g[name]["confidence"][()]) if ok else None for name, ok in zip(parts, kept)]
    has = samples >= 0
    stored = np.zeros(samples.shape)  # as the reader scores the values (a NaN: 0)
    for j, c in enumerate(conf):
        stored[has[:, j], j] = 1.0 if c is None else c[samples[has[:, j], j]]
    new = moved_scores(stored, np.nan_to_num(stored, nan=0.0), scores)
    if new is None:
        return
    for j, (name, c) in enumerate(zip(parts, conf)):
        rows = has[:, j] & (new[:, j] != stored[:, j]) & ~(np.isnan(new[:, j]) & np.isnan(stored[:, j]))
        if c is not None and rows.any():
            c[samples[rows, j]] = cast_values(new[rows, j], c.dtype, f"{g.name}/{name}/confidence")
            g[name]["confidence"][...] = c

