"""DeepLabCut pose CSV files (``deeplabcut.analyze_videos(..., save_as_csv=True)``): 2D keypoints of animals (or
people) with likelihoods, one individual or several (multi-animal projects: an ``individuals`` header row).

Layout::

    scorer,DLC_resnet50_mouseJan1shuffle1_50000,DLC_resnet50_...,DLC_resnet50_...,...
    individuals,mouse1,mouse1,mouse1,...,single,single,single          (multi-animal projects only)
    bodyparts,snout,snout,snout,leftear,leftear,leftear,...
    coords,x,y,likelihood,x,y,likelihood,...
    0,123.4,56.7,0.99,...

The first column is the frame number (a labelled-data file's image path is taken in row order instead).  Every
individual is a track of its body parts in header order; a multi-animal project's unique body parts (the
individual ``single``: a feeder, an object) are left as they are.  An empty cell is a missing value, and the
likelihood is the detector's confidence (a point below the refiner's threshold is filled, keeping its
likelihood).  The body parts' skeleton is the one their names give (:func:`synsp.skeletons.skeleton_of_names`:
``leftear`` / ``rightear`` pair up), never one guessed from their count.  The file has no frame rate: pass
``--fps`` (30 assumed).  The writer writes the same rows with only the refined x and y cells replaced.

DeepLabCut's HDF5 file (``.h5``) is not read (it needs pandas and PyTables): DeepLabCut writes the CSV beside it
with ``save_as_csv=True``, or ``deeplabcut.analyze_videos_converth5_to_csv(folder)`` converts it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import MAX_FRAMES, as_path, atomic_write, open_file, suffix_of
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import skeleton_of_names
from synsp.validation import SynspInputError

__all__ = ["sniff", "read", "write"]

#: the individual of a multi-animal project's unique body parts (left as they are)
UNIQUE = "single"


def sniff(path: Any) -> bool:
    """A ``.csv`` / ``.csv.gz`` whose first cell is ``scorer`` and whose header has a ``coords`` row."""
    try:
        p = as_path(path)
        if not p.is_file() or suffix_of(p) not in (".csv", ".csv.gz"):
            return False
        with open_file(p, newline="") as fh:
            rows = [next(csv.reader([fh.readline(1_000_000)]), []) for _ in range(4)]
        return bool(rows[0]) and rows[0][0].lstrip("\ufeff").strip().lower() == "scorer" and any(
            r and r[0].strip().lower() == "coords" for r in rows[1:])
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def read(path: Any, skeleton: str | None = None) -> PoseFile:
    """The file's individuals as tracks of ``(n, J, 2)`` pixels with likelihoods as scores (see the module
    docstring)."""
    p = as_path(path)
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
    first = next((i for i, c in enumerate(coords) if c.strip() in ("x", "y", "likelihood")), None)
    width = len(coords) - (first or 0)
    if first is None or first < 1 or width % 3 or any(
            coords[first + 3 * k:first + 3 * k + 3] != ["x", "y", "likelihood"] for k in range(width // 3)):
        raise SynspInputError(f"{p}: its coords row is {coords[:7]}...; expected x, y, likelihood for every body "
                              "part (a 3D DeepLabCut file or another layout is not read)")
    columns: dict[str, list[tuple[str, int]]] = {}  # individual -> [(body part, first column), ...]
    for k in range(width // 3):
        c = first + 3 * k
        name = who[c].strip() if who is not None and c < len(who) else ""
        columns.setdefault(name, []).append((parts[c].strip() if c < len(parts) else f"part{k}", c))
    animals = {n: cols for n, cols in columns.items() if n != UNIQUE}
    if not animals:
        raise SynspInputError(f"{p}: holds only unique body parts ({UNIQUE!r}); nothing to refine")
    names = [b for b, _ in next(iter(animals.values()))]
    for n, cols in animals.items():
        if [b for b, _ in cols] != names:
            raise SynspInputError(f"{p}: individual {n!r} has the body parts {[b for b, _ in cols]}, another has "
                                  f"{names}; expected the same body parts for every individual")
    data = rows[head:]
    if len(data) > MAX_FRAMES:
        raise SynspInputError(f"{p}: {len(data):,} rows; synsp reads at most {MAX_FRAMES:,} frames per file")
    frames = _frame_numbers(data, first, p)
    values = np.full((len(data), len(coords)), np.nan)
    for i, r in enumerate(data):
        if len(r) != len(coords):
            raise SynspInputError(f"{p}: data row {head + i + 1} has {len(r)} cells, the header {len(coords)}; "
                                  "the file is cut or its rows are not the header's")
        for c in range(first, len(r)):
            cell = r[c].strip()
            if cell:
                try:
                    values[i, c] = float(cell)
                except ValueError:
                    raise SynspInputError(f"{p}: row {head + i + 1}, column {c + 1}: {cell!r} is not a number; "
                                          "expected x, y and likelihood values (or an empty cell)") from None
    tracks = []
    for n, cols in animals.items():
        at = np.asarray([c for _, c in cols])
        kp = np.stack([values[:, at], values[:, at + 1]], axis=-1)
        conf = values[:, at + 2]
        kp[~np.isfinite(kp).all(-1)] = np.nan
        here = np.flatnonzero(np.isfinite(kp).all(-1).any(-1))
        if len(here):
            tracks.append(Track(n if n else 0, frames[here], kp[here], np.nan_to_num(conf[here], nan=0.0)))
    span = int(frames.max()) + 1 if len(frames) else 0
    named = skeleton_of_names(names)
    return PoseFile(tracks=tracks, num_frames=span, format="deeplabcut", skeleton=skeleton or named, fps=None,
                    units="px", source=p,
                    meta=dict(rows=rows, head=head, columns={(n if n else 0): [c for _, c in cols]
                                                             for n, cols in animals.items()},
                              row_of={int(f): i for i, f in enumerate(frames)}, joint_names=names,
                              named_skeleton=named))


def _frame_numbers(data: list[list[str]], first: int, p: Path) -> np.ndarray:
    """The first column as frame numbers (rows in order when it is not whole numbers in increasing order)."""
    try:
        frames = np.asarray([int(r[0]) for r in data], dtype=np.int64)
    except (ValueError, IndexError):
        return np.arange(len(data), dtype=np.int64)
    if len(frames) and ((np.diff(frames) <= 0).any() or frames[0] < 0 or frames.max() > MAX_FRAMES):
        return np.arange(len(data), dtype=np.int64)
    return frames


def write(path: Any, pose_file: PoseFile) -> Path:
    """A DeepLabCut-read file: its rows with every track's x and y cells replaced where the refined value is
    finite (likelihoods, unique body parts, the header and the index column as they were)."""
    if pose_file.format != "deeplabcut":
        raise SynspInputError(f"{path}: only a DeepLabCut file's own keypoints are written back as its CSV; write "
                              f"this {pose_file.format} data as .npz instead")
    meta = pose_file.meta
    rows = [list(r) for r in meta["rows"]]
    for t in pose_file.tracks:
        at = np.asarray(meta["columns"][t.track_id])
        for f, kp in zip(t.frames, t.keypoints):
            r = rows[meta["head"] + meta["row_of"][int(f)]]
            for c, (x, y) in zip(at, kp):
                if np.isfinite(x) and np.isfinite(y):
                    r[c], r[c + 1] = repr(float(x)), repr(float(y))

    def body(fh: io.TextIOBase) -> None:
        csv.writer(fh, lineterminator="\n").writerows(rows)

    return atomic_write(path, body)
