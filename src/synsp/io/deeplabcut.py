"""DeepLabCut pose files: 2D keypoints of animals (or people) with likelihoods, one individual or several
(multi-animal projects), or the 3D points of its triangulation (``deeplabcut.triangulate``: coords x, y, z, in
the calibration's units, no likelihood), as the CSV (``deeplabcut.analyze_videos(..., save_as_csv=True)``) or as
the HDF5 file DeepLabCut writes by default (``.h5``: a pandas frame, read and written with h5py alone, see
:mod:`synsp.io.pandas_hdf`; ``pip install h5py`` or the ``hdf5`` extra; data compressed with PyTables' blosc needs
``pip install hdf5plugin``).

CSV layout::

    scorer,DLC_resnet50_mouseJan1shuffle1_50000,DLC_resnet50_...,DLC_resnet50_...,...
    individuals,mouse1,mouse1,mouse1,...,single,single,single          (multi-animal projects only)
    bodyparts,snout,snout,snout,leftear,leftear,leftear,...
    coords,x,y,likelihood,x,y,likelihood,...
    0,123.4,56.7,0.99,...

The HDF5 file holds the same columns as a frame (``df_with_missing``) whose column labels are the header rows
(scorer, [individuals,] bodyparts, coords) and whose rows are the frames.

The first column (the frame's index) is the frame number: rows out of order are taken in the order of their
numbers (and written back in their own places), a number two rows give is refused; a labelled-data file's image
paths (and negative numbers) are taken in row order.  Every individual is a track of its body parts in column
order; a multi-animal project's unique
body parts (the individual ``single``: a feeder, an object) are left as they are.  An empty cell (NaN) is a
missing value, and the likelihood is the detector's confidence (a point below the refiner's threshold is filled,
keeping its likelihood; a missing point's empty likelihood reads as 0, and a filled one is written with likelihood 0,
so that a ``likelihood < pcutoff`` filter still drops it; where ``synsp refine`` relabelled a left/right inversion
the likelihoods move with the points, each cell taking the one of the point its detection was read at).  The body
parts' skeleton is the one their names give (:func:`synsp.skeletons.skeleton_of_names`: ``leftear`` / ``rightear``
pair up), never one guessed from their count.  The file has no frame rate: pass ``--fps`` (30 assumed).  The
writer writes the same rows with only the refined x and y (and z) values (and moved likelihoods) replaced: a CSV's
cells, or a copy of the HDF5 file with the values replaced in place in their own dtype (pandas and DeepLabCut read
it as before).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Callable

import numpy as np

from synsp.io._common import (MAX_ARRAY_BYTES, MAX_FRAMES, as_path, atomic_write, h5py_module, is_hdf5, moved_scores,
                               open_file, open_hdf5, run_isolated, source_changed, suffix_of, write_changed_copy)
from synsp.io.pandas_hdf import (Frame, frame_layout, frames_in, missing_filters, read_index, read_values,
                                 write_values)
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import skeleton_of_names
from synsp.validation import SynspInputError

__all__ = ["sniff", "read", "write"]

#: the individual of a multi-animal project's unique body parts (left as they are)
UNIQUE = "single"
#: the key DeepLabCut stores its predictions under (a file of several frames: this one is read)
PREDICTIONS_KEY = "df_with_missing"
HDF5_SUFFIXES = (".h5", ".hdf5")
#: the coords of one body part DeepLabCut writes: 2D with a likelihood, or 3D points of its triangulation
_LAYOUTS = (["x", "y", "likelihood"], ["x", "y", "z"])


def sniff(path: Any) -> bool:
    """A ``.csv`` / ``.csv.gz`` whose first cell is ``scorer`` and whose header has a ``coords`` row, or an HDF5
    file holding a pandas frame whose last column level is ``x`` / ``y`` / ``likelihood`` (needs h5py)."""
    try:
        p = as_path(path)
        if not p.is_file():
            return False
        if suffix_of(p) in HDF5_SUFFIXES:
            return h5py_module() is not None and is_hdf5(p) and run_isolated(_holds_dlc_frame, p, path=p)
        if suffix_of(p) not in (".csv", ".csv.gz"):
            return False
        with open_file(p, newline="") as fh:
            rows = [next(csv.reader([fh.readline(1_000_000)]), []) for _ in range(4)]
        return bool(rows[0]) and rows[0][0].lstrip("\ufeff").strip().lower() == "scorer" and any(
            r and r[0].strip().lower() == "coords" for r in rows[1:])
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def _holds_dlc_frame(p: Path) -> bool:
    """Whether the HDF5 file ``p`` holds a DeepLabCut frame (run isolated: :func:`run_isolated`)."""
    with open_hdf5(p, "r") as f:
        return _dlc_frame(f) is not None


def _dlc_frame(f: Any) -> Frame | None:
    """The frame of a DeepLabCut HDF5 file (``df_with_missing`` first), or None when it holds none."""
    keys = frames_in(f)
    for key in sorted(keys, key=lambda k: k != PREDICTIONS_KEY):
        try:
            frame = frame_layout(f, key)
        except (SynspInputError, KeyError, ValueError, TypeError):
            continue
        if frame.columns and len(frame.columns[0]) in (3, 4) and {c[-1] for c in frame.columns} in (
                {"x", "y", "likelihood"}, {"x", "y", "z"}):
            return frame
    return None


def read(path: Any, skeleton: str | None = None) -> PoseFile:
    """The file's individuals as tracks of ``(n, J, 2)`` pixels with likelihoods as scores, or ``(n, J, 3)``
    triangulated points (see the module docstring)."""
    p = as_path(path)
    if suffix_of(p) in HDF5_SUFFIXES:
        return _read_h5(p, skeleton)
    with open_file(p, newline="") as fh:
        try:
            rows = [r for r in csv.reader(fh) if r]
        except csv.Error as exc:
            raise SynspInputError(f"{p}: not a readable CSV ({exc})") from None
    if rows:
        rows[0][0] = rows[0][0].lstrip("\ufeff")
    labels = [r[0].strip().lower() for r in rows[:4]]
    if "coords" not in labels or "bodyparts" not in labels:
        raise SynspInputError(f"{p}: a DeepLabCut CSV has the header rows scorer, [individuals,] bodyparts and coords; "
                              f"found {labels}")
    head = labels.index("coords") + 1
    coords, parts = rows[head - 1], rows[labels.index("bodyparts")]
    who = rows[labels.index("individuals")] if "individuals" in labels else None
    first = next((i for i, c in enumerate(coords) if c.strip() in ("x", "y", "z", "likelihood")), None)
    if first is None or first < 1:
        raise SynspInputError(f"{p}: its coords row is {coords[:7]}...; expected x, y, likelihood (or x, y, z) for "
                              "every body part")
    width = len(coords) - first
    cell = lambda r, c: r[c].strip() if r is not None and c < len(r) else ""  # noqa: E731
    columns = [(cell(who, c), cell(parts, c) or f"part{(c - first) // 3}", coords[c].strip())
               for c in range(first, len(coords))]
    data = rows[head:]
    if len(data) > MAX_FRAMES:
        raise SynspInputError(f"{p}: {len(data):,} rows; synsp reads at most {MAX_FRAMES:,} frames per file")
    animals, names, dims = _animals(columns, p)
    frames = _frame_numbers(data, p, head)
    values = np.full((len(data), width), np.nan)
    for i, r in enumerate(data):
        if len(r) != len(coords):
            raise SynspInputError(f"{p}: data row {head + i + 1} has {len(r)} cells, the header {len(coords)}; "
                                  "the file is cut or its rows are not the header's")
        for c in range(first, len(r)):
            text = r[c].strip()
            if text:
                try:
                    values[i, c - first] = float(text)
                except ValueError:
                    raise SynspInputError(f"{p}: row {head + i + 1}, column {c + 1}: {text!r} is not a number; "
                                          "expected x, y and likelihood (or z) values, or an empty cell") from None
    return _pose_file(p, skeleton, animals, names, values, frames, dict(rows=rows, head=head, first=first, dims=dims))


def _read_h5(p: Path, skeleton: str | None) -> PoseFile:
    if h5py_module() is None:
        raise SynspInputError(f"{p}: reading DeepLabCut's HDF5 files needs h5py: pip install h5py (or give the CSV "
                              "DeepLabCut writes with save_as_csv=True)")
    frame, values, index = run_isolated(_load_h5, p, path=p)
    level = frame.level_names.index("individuals") if "individuals" in frame.level_names else (
        1 if len(frame.columns[0]) == 4 else None)
    parts = frame.level_names.index("bodyparts") if "bodyparts" in frame.level_names else len(frame.columns[0]) - 2
    columns = [(c[level] if level is not None else "", c[parts], c[-1]) for c in frame.columns]
    animals, names, dims = _animals(columns, p)
    frames = _in_order(index, frame.rows, p, lambda i: f"row {i} (from 0)")
    return _pose_file(p, skeleton, animals, names, values, frames, dict(frame=frame, dims=dims))


def _in_order(frames: np.ndarray | None, rows: int, p: Path, row: Callable[[int], str]) -> np.ndarray:
    """``frames`` as the rows' frame numbers when they are whole numbers from 0 to :data:`MAX_FRAMES` (rows out of
    order: a valid table, taken in the order of their numbers by :func:`_pose_file`), else (or None) the rows in
    order.  A number two rows give is a :class:`SynspInputError` naming the first row that repeats one (``row``: a
    row's name in words, from its index in the data, from 0)."""
    if frames is None or (len(frames) and (frames.min() < 0 or frames.max() > MAX_FRAMES)):
        return np.arange(rows, dtype=np.int64)
    order = np.argsort(frames, kind="stable")
    twice = np.flatnonzero(np.diff(frames[order]) == 0)
    if len(twice):
        b = int(order[twice + 1].min())  # the first row whose number an earlier row has
        a = int(np.flatnonzero(frames == frames[b])[0])
        raise SynspInputError(f"{p}: {row(b)} repeats the frame number {frames[b]} of {row(a)} (the index); each "
                              "frame has one row: remove the repeated row (or renumber the rows)")
    return frames


def _load_h5(p: Path) -> tuple[Frame, np.ndarray, np.ndarray | None]:
    """The DeepLabCut frame of the HDF5 file ``p``, its values and its integer row labels (run isolated:
    :func:`run_isolated`)."""
    with open_hdf5(p, "r") as f:
        frame = _dlc_frame(f)
        if frame is None:
            keys = frames_in(f)
            raise SynspInputError(
                f"{p}: holds no DeepLabCut frame (pandas frames {keys or 'none'}; expected columns scorer, "
                "[individuals,] bodyparts, coords with coords x, y, likelihood or x, y, z)")
        if frame.rows > MAX_FRAMES:
            raise SynspInputError(f"{p}: {frame.rows:,} rows; synsp reads at most {MAX_FRAMES:,} frames per file")
        if frame.rows * len(frame.columns) * 8 > MAX_ARRAY_BYTES:
            raise SynspInputError(f"{p}: {frame.rows:,} rows of {len(frame.columns):,} columns are more than synsp "
                                  "reads at once")
        _check_filters(p, f, frame)
        return frame, read_values(f, frame), read_index(f, frame)



def _check_filters(p: Path, f: Any, frame: Frame) -> None:
    """Data compressed with a filter this h5py lacks (PyTables' blosc, 32001) is refused, saying how to read it."""
    missing = missing_filters(f, frame)
    if missing:
        raise SynspInputError(f"{p}: its data is compressed with HDF5 filter(s) {missing} that h5py does not have "
                              "(PyTables' blosc is 32001): pip install hdf5plugin (synsp loads it when installed), "
                              "or save the file without that compression (pandas' to_hdf with complib='zlib' or "
                              "none)")


def _animals(columns: list[tuple[str, str, str]], p: Path) -> tuple[dict[str, list[int]], list[str], int]:
    """Each individual's x columns (positions in ``columns``) in body-part order, the body parts' names and the
    points' dimensions (2 or 3).
    ``columns``: per value column ``(individual, body part, coord)``: x, y, likelihood (2D) or x, y, z (3D) per
    body part, one layout for the whole file."""
    coords = [c[2] for c in columns]
    layout = next((lay for lay in _LAYOUTS if coords[:3] == lay), None)
    if not columns or len(columns) % 3 or layout is None or any(
            coords[k:k + 3] != layout for k in range(0, len(columns), 3)):
        raise SynspInputError(f"{p}: its coords are {coords[:7]}...; expected x, y, likelihood (2D) or x, y, z (3D) "
                              "for every body part")
    parts: dict[str, list[tuple[str, int]]] = {}  # individual -> [(body part, x column), ...]
    for k in range(0, len(columns), 3):
        if len({(c[0], c[1]) for c in columns[k:k + 3]}) != 1:
            raise SynspInputError(f"{p}: the coords columns {k + 1}-{k + 3} ({', '.join(layout)}) name different "
                                  "body parts")
        parts.setdefault(columns[k][0], []).append((columns[k][1], k))
    animals = {n: cols for n, cols in parts.items() if n != UNIQUE}
    if not animals:
        raise SynspInputError(f"{p}: holds only unique body parts ({UNIQUE!r}); nothing to refine")
    names = [b for b, _ in next(iter(animals.values()))]
    for n, cols in animals.items():
        if [b for b, _ in cols] != names:
            raise SynspInputError(f"{p}: individual {n!r} has the body parts {[b for b, _ in cols]}, another has "
                                  f"{names}; expected the same body parts for every individual")
    return {n: [c for _, c in cols] for n, cols in animals.items()}, names, 3 if layout[2] == "z" else 2


def _pose_file(p: Path, skeleton: str | None, animals: dict[str, list[int]], names: list[str], values: np.ndarray,
               frames: np.ndarray, meta: dict[str, Any]) -> PoseFile:
    """The tracks of ``values`` ``(rows, columns)``: x, y, likelihood (``meta["dims"]`` 2) or x, y, z (3) per body
    part at each individual's x column, the rows in the order of their frame numbers ``frames`` (``meta["order"]``:
    the row read of each, when they were out of order)."""
    tracks, D = [], meta["dims"]
    order = np.argsort(frames, kind="stable")
    if (np.diff(order) != 1).any():  # rows out of order: in the order of their frame numbers, each row kept
        frames, values, meta["order"] = frames[order], values[order], order
    for n, cols in animals.items():
        at = np.asarray(cols)
        kp = np.stack([values[:, at + d] for d in range(D)], axis=-1)
        kp[~np.isfinite(kp).all(-1)] = np.nan
        conf = values[:, at + 2] if D == 2 else np.isfinite(kp).all(-1).astype(np.float64)  # 3D: found or not
        here = np.flatnonzero(np.isfinite(kp).all(-1).any(-1))
        if len(here):
            tracks.append(Track(n if n else 0, frames[here], kp[here], np.nan_to_num(conf[here], nan=0.0)))
    span = int(frames.max()) + 1 if len(frames) else 0
    named = skeleton_of_names(names)
    meta.update(columns={(n if n else 0): cols for n, cols in animals.items()}, frames=frames, joint_names=names,
                named_skeleton=named, individuals=[n if n else 0 for n in animals])  # also those never detected
    return PoseFile(tracks=tracks, num_frames=span, format="deeplabcut", skeleton=skeleton or named, fps=None,
                    units="px" if D == 2 else "calibration units", source=p, meta=meta)


def _frame_numbers(data: list[list[str]], p: Path, head: int) -> np.ndarray:
    """The first column as frame numbers (:func:`_in_order`; rows in order when it is not whole numbers); ``head``:
    the header's rows, to name a row by its line."""
    try:
        frames = np.asarray([int(r[0]) for r in data], dtype=np.int64)
    except (ValueError, IndexError, OverflowError):
        frames = None
    return _in_order(frames, len(data), p, lambda i: f"line {head + i + 1}")


def _rows(meta: dict[str, Any], frames: np.ndarray) -> np.ndarray:
    """The rows of the file read that hold a track's ``frames`` (``meta["order"]``: rows read out of order)."""
    at = np.searchsorted(meta["frames"], frames)
    order = meta.get("order")
    return at if order is None else order[at]


def _refined(pose_file: PoseFile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, columns, values)`` of every track's finite refined x and y (and z) in the file's
    ``(rows, columns)``."""
    meta = pose_file.meta
    rows, cols, vals = [], [], []
    for t in pose_file.tracks:
        at = np.asarray(meta["columns"][t.track_id])
        here = _rows(meta, t.frames)
        r, j = np.nonzero(np.isfinite(t.keypoints).all(-1))  # (n, J) finite
        for d in range(t.keypoints.shape[-1]):
            rows.append(here[r])
            cols.append(at[j] + d)
            vals.append(t.keypoints[r, j, d])
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _filled_likelihoods(pose_file: PoseFile) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, columns)`` of the likelihood cells of every track's finite refined 2D point (none in 3D): where
    such a cell is empty (NaN: the point was missing and has been filled) the writer puts 0, the score the reader
    gave it, so that a ``likelihood < pcutoff`` filter still drops the filled point."""
    meta = pose_file.meta
    if meta.get("dims", 2) != 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows, cols = [], []
    for t in pose_file.tracks:
        at = np.asarray(meta["columns"][t.track_id])
        r, j = np.nonzero(np.isfinite(t.keypoints).all(-1))
        rows.append(_rows(meta, t.frames)[r])
        cols.append(at[j] + 2)
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(cols)


def _likelihoods(pose_file: PoseFile) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(rows (n,), columns (J,), scores (n, J))`` of every 2D track's likelihood cells and its scores (none in 3D,
    where the scores are whether a point was found)."""
    meta = pose_file.meta
    if meta.get("dims", 2) != 2:
        return []
    return [(_rows(meta, t.frames), np.asarray(meta["columns"][t.track_id]) + 2, t.scores)
            for t in pose_file.tracks if t.scores is not None]


def _likelihood(cell: str) -> float:
    """A likelihood cell as the reader scores it: an empty cell (or NaN) 0."""
    text = cell.strip()
    value = float(text) if text else 0.0
    return 0.0 if value != value else value  # NaN -> 0 (plain floats: numpy's scalar call per cell was 3x slower)


def _empty(cell: str) -> bool:
    try:
        return not np.isfinite(float(cell))
    except ValueError:
        return True  # an empty cell


def write(path: Any, pose_file: PoseFile) -> Path:
    """A DeepLabCut-read file: its rows with every track's x and y replaced where the refined value is finite
    (likelihoods, unique body parts, the header and the index as they were), as the file it was read from: CSV
    cells, or a copy of the HDF5 file with the values replaced."""
    if pose_file.format != "deeplabcut":
        raise SynspInputError(f"{path}: only a DeepLabCut file's own keypoints are written back as its CSV or HDF5; "
                              f"write this {pose_file.format} data as .npz instead")
    meta = pose_file.meta
    out = as_path(path, "output path")
    if "frame" in meta:
        if suffix_of(out) not in HDF5_SUFFIXES:
            raise SynspInputError(f"{out}: a DeepLabCut HDF5 file is written back as .h5 (or as .npz / .npy arrays)")
        return _write_h5(out, pose_file)
    if suffix_of(out) in HDF5_SUFFIXES:
        raise SynspInputError(f"{out}: a DeepLabCut CSV is written back as .csv (or as .npz / .npy arrays)")
    rows, first, head = [list(r) for r in meta["rows"]], meta["first"], meta["head"]
    for i, c, v in zip(*_refined(pose_file)):
        rows[head + i][first + c] = repr(float(v))
    for at, cols, scores in _likelihoods(pose_file):  # the cells as they were; moved with relabelled points
        cells = np.array([[rows[head + i][first + c] for c in cols] for i in at.tolist()], dtype=object)
        stored = np.array([[_likelihood(v) for v in r] for r in cells.tolist()]).reshape(cells.shape)
        new = moved_scores(cells, stored, scores, lambda v: [repr(float(x)) if np.isfinite(x) else "" for x in v])
        if new is not None:
            for r, j in zip(*np.nonzero(new != cells)):
                rows[head + at[r]][first + cols[j]] = new[r, j]
    for i, c in zip(*_filled_likelihoods(pose_file)):
        if _empty(rows[head + i][first + c]):
            rows[head + i][first + c] = "0.0"

    def body(fh: io.TextIOBase) -> None:
        csv.writer(fh, lineterminator="\n").writerows(rows)

    return atomic_write(out, body)


def _write_h5(out: Path, pose_file: PoseFile) -> Path:
    return write_changed_copy(out, pose_file.source, ".h5", _store_h5, out, pose_file.source, pose_file.meta["frame"],
                              *_refined(pose_file), *_filled_likelihoods(pose_file), _likelihoods(pose_file))


def _store_h5(tmp: Path, out: Path, source: Path, frame: Frame, rows: np.ndarray, cols: np.ndarray,
              vals: np.ndarray, lik_rows: np.ndarray, lik_cols: np.ndarray, likelihoods: list | tuple = ()) -> None:
    """``vals`` written at ``(rows, cols)`` of the frame in ``tmp``, a copy of ``source``, the tracks' scores into
    their likelihoods (``(rows, columns, scores)``, :func:`_likelihoods`: moved with relabelled points), and 0 at
    the NaN cells of ``(lik_rows, lik_cols)`` (the likelihoods of filled points; run isolated)."""
    with open_hdf5(tmp, "r+") as f:
        try:
            now = frame_layout(f, frame.key)
        except (SynspInputError, KeyError):
            now = None
        if now is None or now.columns != frame.columns or now.rows != frame.rows:
            raise source_changed(out, source, "DeepLabCut file")
        values = read_values(f, frame)
        values[rows, cols] = vals
        for at, lik, scores in likelihoods:
            cells = values[np.ix_(at, lik)]
            new = moved_scores(cells, np.nan_to_num(cells, nan=0.0), scores)
            if new is not None:
                values[np.ix_(at, lik)] = new
        nan = np.isnan(values[lik_rows, lik_cols])
        values[lik_rows[nan], lik_cols[nan]] = 0.0
        write_values(f, frame, values)
