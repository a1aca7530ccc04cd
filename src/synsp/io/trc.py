"""TRC ("track row column") marker files, as written by OpenSim, Sports2D and Motion Analysis.

Layout (tab-separated)::

    PathFileType  4  (X/Y/Z)  <file name>
    DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame  OrigNumFrames
    60        60          100        2           mm     60            1                   100
    Frame#  Time  Hip          Knee
                  X1  Y1  Z1   X2  Y2  Z2
    <blank line>
    1       0.0   ...  ...

A missing marker is an empty cell (or ``NaN``) and is read as NaN.  :func:`read_trc`
returns a :class:`Markers` object in the file's units, or in metres with ``metres=True``.
:func:`write_trc` writes the same layout atomically, missing values as empty cells.  Markers read from a
file keep its OrigDataRate and OrigNumFrames (the recording's, not the rows') and its line ends (CRLF stays
CRLF): a refined copy says what its source said; markers made from scratch get the rows' rate and count.
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, IO, Sequence

import numpy as np

from synsp.io._common import METRES_PER_UNIT, as_path, atomic_write, open_file, unit_to_metres
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import BUILTIN_SKELETONS, get_skeleton, skeleton_of_names
from synsp.validation import SynspInputError

__all__ = ["Markers", "read_trc", "write_trc", "frames_on_timeline", "rows_of_frames"]

_HEADER_KEYS = (
    "DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units",
    "OrigDataRate", "OrigDataStartFrame", "OrigNumFrames",
)


@dataclass(eq=False)
class Markers:
    """Marker trajectories: ``positions`` (T, M, 3), NaN where a marker is missing."""

    marker_names: list[str]
    positions: np.ndarray
    fps: float
    units: str = "m"
    frame_numbers: np.ndarray | None = None  # (T,) int
    times: np.ndarray | None = None  # (T,) seconds
    camera_rate: float | None = None
    orig_data_start_frame: int = 1
    source: str | None = None
    orig_data_rate: float | None = None  # the header's OrigDataRate (None: DataRate is written)
    orig_num_frames: int | None = None  # the header's OrigNumFrames (None: the number of rows is written)
    line_ending: str = "\n"  # "\r\n" for a file read with CRLF line ends

    def __post_init__(self) -> None:
        self.marker_names = [str(n) for n in self.marker_names]
        self.positions = np.asarray(self.positions, dtype=np.float64)
        M = len(self.marker_names)
        if self.positions.ndim != 3 or self.positions.shape[1:] != (M, 3):
            raise SynspInputError(f"Markers.positions has shape {self.positions.shape}; expected (T, {M}, 3)")
        T = self.positions.shape[0]
        if self.frame_numbers is None:
            self.frame_numbers = np.arange(self.orig_data_start_frame, self.orig_data_start_frame + T)
        self.frame_numbers = np.asarray(self.frame_numbers, dtype=np.int64)
        if self.times is None:
            self.times = (self.frame_numbers - self.orig_data_start_frame) / float(self.fps)
        self.times = np.asarray(self.times, dtype=np.float64)
        if self.frame_numbers.shape != (T,) or self.times.shape != (T,):
            raise SynspInputError(f"Markers.frame_numbers and .times must have shape ({T},)")
        self.fps = float(self.fps)
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise SynspInputError(f"Markers.fps is {self.fps}; expected a positive frame rate")
        if self.line_ending not in ("\n", "\r\n"):
            raise SynspInputError(f"Markers.line_ending is {self.line_ending!r}; expected '\\n' or '\\r\\n'")

    @property
    def joint_names(self) -> list[str]:
        """Alias of ``marker_names`` (so Markers and Motion can be used alike)."""
        return self.marker_names

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def metres_per_unit(self) -> float:
        return unit_to_metres(self.units, "Markers.units")

    def to_metres(self) -> "Markers":
        """Same markers with positions in metres."""
        if self.units.lower() in ("m", "meters", "metres"):
            return self
        return dataclasses.replace(self, positions=self.positions * self.metres_per_unit, units="m")

    def __repr__(self) -> str:
        return (
            f"Markers({self.num_frames} frames @ {self.fps:g} fps, {len(self.marker_names)} markers, "
            f"units={self.units!r}, source={self.source!r})"
        )


def _split(line: str) -> list[str]:
    """Tab-separated cells if the line has tabs (keeps empty cells), else whitespace tokens."""
    line = line.rstrip("\r\n")
    if "\t" in line:
        return line.split("\t")
    return line.split()


def _cell_float(path: str, ln: int, cell: str, what: str) -> float:
    c = cell.strip()
    if not c:
        return float("nan")
    try:
        return float(c)
    except ValueError:
        raise SynspInputError(f"{path}: line {ln}: {what} is {c!r}, not a number") from None


def _text_and_line_end(p: Path) -> tuple[str, str]:
    """The text of ``p`` and its line end (``"\r\n"`` when its first line ends so, else ``"\n"``)."""
    try:
        with open_file(p, newline="") as fh:  # line ends as they are
            text = fh.read()
    except (OSError, EOFError, zlib.error) as exc:  # bad gzip stream, truncated gzip, ...
        raise SynspInputError(f"{p}: cannot read the file ({exc})") from exc
    end = text.find("\n")
    return text, "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def _lenient(text: str | None, cast: Any) -> Any:
    """``text`` as a finite number cast by ``cast``, or None (a header value synsp only passes on)."""
    try:
        v = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return cast(v) if np.isfinite(v) else None


def read_trc(path: Any, *, metres: bool = False) -> Markers:
    """Read a ``.trc`` (or ``.trc.gz``) file.  ``metres=True`` converts positions to metres."""
    p = as_path(path)
    src = str(p)
    text, line_ending = _text_and_line_end(p)
    lines = text.splitlines()
    if len(lines) < 5:
        raise SynspInputError(
            f"{src}: has {len(lines)} lines; a TRC file needs 3 header lines, the marker-name row and the X1/Y1/Z1 row"
        )
    if not lines[0].strip().lower().startswith("pathfiletype"):
        raise SynspInputError(
            f"{src}: line 1: found {lines[0].strip()[:40]!r}, expected 'PathFileType ...' (is this a TRC file?)"
        )
    keys = [k.strip() for k in _split(lines[1])]
    vals = [v.strip() for v in _split(lines[2])]
    header = {k: v for k, v in zip(keys, vals) if k}
    for req in ("DataRate", "NumFrames", "NumMarkers", "Units"):
        if req not in header:
            raise SynspInputError(
                f"{src}: line 2: header key {req!r} missing; found {list(header)} (expected {list(_HEADER_KEYS)})"
            )

    def hnum(name: str, cast=float):
        try:
            return cast(float(header[name]))
        except (ValueError, KeyError):
            raise SynspInputError(f"{src}: line 3: {name} is {header.get(name)!r}; expected a number") from None

    fps = hnum("DataRate")
    if not fps > 0:  # NaN too
        raise SynspInputError(f"{src}: line 3: DataRate is {fps:g}; expected a frame rate > 0")
    n_frames = hnum("NumFrames", int)
    n_markers = hnum("NumMarkers", int)
    camera_rate = hnum("CameraRate") if header.get("CameraRate") else None
    start_frame = hnum("OrigDataStartFrame", int) if header.get("OrigDataStartFrame") else 1
    units = header["Units"]

    name_cells = _split(lines[3])
    if not name_cells or name_cells[0].strip().lower() != "frame#":
        raise SynspInputError(f"{src}: line 4: expected the marker-name row starting with 'Frame#'")
    names = [c.strip() for c in name_cells[2:] if c.strip()]
    if len(names) != n_markers:
        raise SynspInputError(
            f"{src}: line 4: {len(names)} marker names but NumMarkers (line 3) is {n_markers}"
        )
    n_cols = 2 + 3 * n_markers
    rows: list[tuple[int, list[str]]] = [(k + 1, _split(lines[k])) for k in range(5, len(lines)) if lines[k].strip()]
    if len(rows) < n_frames:
        last = rows[-1][0] if rows else 5
        raise SynspInputError(
            f"{src}: line {last + 1}: the file ends after {len(rows)} of the {n_frames} frames declared by "
            "NumFrames (line 3); the file is truncated"
        )
    if len(rows) > n_frames:
        raise SynspInputError(
            f"{src}: line {rows[n_frames][0]}: found {len(rows)} data rows but NumFrames (line 3) is {n_frames}"
        )
    pos = np.full((n_frames, n_markers * 3), np.nan)
    frame_numbers = np.zeros(n_frames, dtype=np.int64)
    times = np.zeros(n_frames)
    for t, (ln, cells) in enumerate(rows):
        while len(cells) > n_cols and not cells[-1].strip():
            cells = cells[:-1]
        if len(cells) > n_cols:
            raise SynspInputError(f"{src}: line {ln}: {len(cells)} cells; expected {n_cols} (Frame#, Time, 3 per marker)")
        if len(cells) < n_cols:
            raise SynspInputError(
                f"{src}: line {ln}: {len(cells)} cells; expected {n_cols} (Frame#, Time, 3 per marker; "
                "a missing marker is written as empty cells, so a short row means a cut line)"
            )
        fr = _cell_float(src, ln, cells[0], "Frame#")
        if not np.isfinite(fr) or fr != int(fr) or abs(fr) > 2**53:
            raise SynspInputError(f"{src}: line {ln}: Frame# is {cells[0].strip()!r}; expected an integer frame number")
        frame_numbers[t] = int(fr)
        times[t] = _cell_float(src, ln, cells[1], "Time")
        for c, cell in enumerate(cells[2:]):
            pos[t, c] = _cell_float(src, ln, cell, f"value {c + 1}")
    if np.isinf(pos).any():
        t = int(np.argwhere(np.isinf(pos))[0, 0])
        raise SynspInputError(f"{src}: line {rows[t][0]}: contains an inf value")
    back = np.flatnonzero(np.diff(frame_numbers) <= 0)
    if len(back):  # the rows are the frames in time order: a repeated or earlier number is a broken file
        t = int(back[0]) + 1
        raise SynspInputError(f"{src}: line {rows[t][0]}: Frame# {frame_numbers[t]} after {frame_numbers[t - 1]}; "
                              "frame numbers must increase from row to row")
    markers = Markers(
        marker_names=names,
        positions=pos.reshape(n_frames, n_markers, 3),
        fps=fps,
        units=units,
        frame_numbers=frame_numbers,
        times=times,
        camera_rate=camera_rate,
        orig_data_start_frame=start_frame,
        source=src,
        orig_data_rate=_lenient(header.get("OrigDataRate"), float),
        orig_num_frames=_lenient(header.get("OrigNumFrames"), int),
        line_ending=line_ending,
    )
    return markers.to_metres() if metres else markers


def _fmt(v: float) -> str:
    return "" if not np.isfinite(v) else f"{v:.6f}"


def write_trc(
    path: Any,
    data: Markers | Any,
    marker_names: Sequence[str] | None = None,
    fps: float | None = None,
    units: str | None = None,
) -> None:
    """Write markers to a TRC file (atomically).

    ``data`` is a :class:`Markers` object, or a ``(T, M, 3)`` array together with
    ``marker_names`` and ``fps`` (``units`` defaults to ``"m"``).  NaN values are written
    as empty cells.  OrigDataRate and OrigNumFrames are the markers' ``orig_data_rate`` and
    ``orig_num_frames`` (a file read: its own), else the rate and the number of rows; lines end with
    ``line_ending``.
    """
    if isinstance(data, Markers):
        m = data
        if marker_names is not None or fps is not None or units is not None:
            m = dataclasses.replace(
                m,
                marker_names=list(marker_names) if marker_names is not None else m.marker_names,
                fps=fps if fps is not None else m.fps,
                units=units if units is not None else m.units,
            )
    else:
        arr = np.asarray(data, dtype=np.float64)
        if fps is None:
            raise SynspInputError("write_trc needs fps= when given a plain array")
        if arr.ndim != 3 or arr.shape[-1] != 3:
            raise SynspInputError(f"write_trc: positions have shape {arr.shape}; expected (T, M, 3)")
        if marker_names is None:
            marker_names = [f"M{i + 1}" for i in range(arr.shape[1])]
        if len(marker_names) != arr.shape[1]:
            raise SynspInputError(
                f"write_trc: {len(marker_names)} marker names for {arr.shape[1]} markers in the array"
            )
        m = Markers(marker_names=list(marker_names), positions=arr, fps=fps, units=units or "m")
    for n in m.marker_names:
        if "\t" in n or "\n" in n or not n.strip():
            raise SynspInputError(f"write_trc: marker name {n!r} is empty or contains a tab/newline")
    if m.units.lower() not in METRES_PER_UNIT:
        raise SynspInputError(f"write_trc: units {m.units!r} unknown; expected one of {sorted(METRES_PER_UNIT)}")
    p = as_path(path)
    T, M = m.positions.shape[:2]
    rate = f"{m.fps:g}"
    cam = f"{m.camera_rate:g}" if m.camera_rate else rate
    orig_rate = rate if m.orig_data_rate is None else f"{m.orig_data_rate:g}"
    orig_frames = str(T if m.orig_num_frames is None else int(m.orig_num_frames))
    head = [
        "\t".join(["PathFileType", "4", "(X/Y/Z)", Path(p).name]),
        "\t".join(_HEADER_KEYS),
        "\t".join([rate, cam, str(T), str(M), m.units, orig_rate, str(m.orig_data_start_frame), orig_frames]),
        "\t".join(["Frame#", "Time"] + [f"{n}\t\t" for n in m.marker_names]).rstrip("\t"),
        "\t".join(["", ""] + [f"X{i}\tY{i}\tZ{i}" for i in range(1, M + 1)]),
        "",
    ]

    nl = m.line_ending

    def write(fh: IO[str]) -> None:
        fh.write(nl.join(head) + nl)
        flat = m.positions.reshape(T, 3 * M)
        for t in range(T):
            cells = [str(int(m.frame_numbers[t])), f"{m.times[t]:.6f}"] + [_fmt(v) for v in flat[t]]
            fh.write("\t".join(cells) + nl)

    atomic_write(p, write)


# ---- the pose-file contract (synsp.io.tracks) ----------------------------------------------


def sniff(path: Any) -> bool:
    """A ``.trc`` / ``.trc.gz`` file."""
    p = as_path(path)
    return p.is_file() and p.name.lower().endswith((".trc", ".trc.gz"))


#: frame numbers are taken as the rows' places on the timeline unless they spread over more than this many times
#: as many values as there are rows (as the MMPose / COCO reader takes image ids)
SPREAD = 10


def frames_on_timeline(numbers: Any) -> tuple[np.ndarray, int, Any]:
    """Where rows numbered ``numbers`` (increasing whole numbers, one per row) lie on the file's timeline:
    ``(the timeline frame of each row, the number of frames, the file's number of each frame)``.  Frame = number
    less the first, so that a number no row has is an absent frame (a gap, filled up to ``max_gap`` or split, as in
    the MMPose, COCO and DeepLabCut readers); numbers that spread over more than :data:`SPREAD` times as many values
    as there are rows (a few samples of a long recording) leave the rows in order, each keeping its number."""
    n = np.asarray(numbers, dtype=np.int64)
    span = int(n[-1]) - int(n[0]) + 1 if len(n) else 0
    if len(n) and len(n) < span <= SPREAD * len(n):
        return n - n[0], span, range(int(n[0]), int(n[-1]) + 1)
    return np.arange(len(n)), len(n), n


def rows_of_frames(rows: np.ndarray | None, frames: np.ndarray, where: Any) -> np.ndarray:
    """The rows holding the timeline ``frames`` of a track, ``rows`` being the timeline frame of each row
    (:func:`frames_on_timeline`; None: row ``i`` is frame ``i``); a frame no row holds is a
    :class:`SynspInputError` (``where``: the file written)."""
    frames = np.asarray(frames, dtype=np.int64)
    if rows is None:
        return frames
    at = np.searchsorted(rows, frames)
    held = at < len(rows)
    held[held] = rows[at[held]] == frames[held]
    if not held.all():
        raise SynspInputError(f"{where}: frame {int(frames[~held][0])} of the timeline has no row in the file read "
                              "(a track written back into its file holds the frames it was read with)")
    return at


def read(path: Any, skeleton: str | None = None):
    """One track (id 0) of ``(T, M, 3)`` markers in the file's units (empty cells are missing); the skeleton
    ``skeleton``, else that of the marker names (:func:`synsp.skeletons.skeleton_of_names`: a registered one
    whose joints they are, else one of their own with left/right pairs guessed from them); the marker names as
    ``meta["joint_names"]``.  The rows' ``Frame#`` place them on the timeline (:func:`frames_on_timeline`: rows of
    frames 1-99 and 112-240 are 240 frames with 12 absent, not 228 in a row) and number its frames
    (``PoseFile.frame_numbers``); the writer puts each row back with its own number.  Where the ``Time`` column
    says the rows are consecutive samples at ``DataRate`` (``Frame#`` 1, 3, 5, ... of a camera twice as fast), the
    rows stay consecutive."""

    m = read_trc(path)
    at, count, numbers = frames_on_timeline(m.frame_numbers)
    if count != len(at) and not _times_have_gaps(m):  # Time says consecutive samples (Frame# of a faster camera)
        at, count, numbers = np.arange(len(at)), len(at), m.frame_numbers
    present = np.flatnonzero(np.isfinite(m.positions).any(axis=(-1, -2)))
    tracks = [Track(0, at[present], m.positions[present])] if len(present) else []
    named = skeleton_of_names(m.marker_names)
    meta = dict(markers=m, named_skeleton=named, joint_names=list(m.marker_names))
    if count != len(at):  # absent frames: the timeline frame of each row, for the writer
        meta["rows"] = at
    return PoseFile(tracks=tracks, num_frames=count, format="trc", skeleton=skeleton or named,
                    fps=m.fps, units=m.units, source=as_path(path), frame_numbers=numbers, meta=meta)


def _times_have_gaps(m: Markers) -> bool:
    """False only where the ``Time`` column of ``m`` shows its rows to be consecutive samples at ``DataRate`` (every
    step one sample, within half of one), whatever gaps its ``Frame#`` has; True otherwise (no usable times, a
    constant or irregular column: the frame numbers place the rows)."""
    if m.times is None or len(m.times) != len(m.frame_numbers) or not np.isfinite(m.times).all() or not m.fps:
        return True
    steps = np.diff(m.times) * m.fps
    return not (len(steps) and np.all(np.abs(steps - 1.0) < 0.5))


def _marker_names(pose_file) -> list[str]:
    """The names of the markers of a pose file of another format: its ``meta["joint_names"]``, else the joints of
    its built-in skeleton (read back as that skeleton), else ``J1..Jn``."""
    J = pose_file.num_joints
    names = [str(n) for n in pose_file.meta.get("joint_names") or ()]
    if len(names) != J and pose_file.skeleton in BUILTIN_SKELETONS:
        names = list(get_skeleton(pose_file.skeleton).joints)
    return names if len(names) == J else [f"J{i + 1}" for i in range(J)]


def write(path: Any, pose_file) -> Path:
    """A TRC-read file: its markers with the track's positions replaced (frames, times, header kept).

    A single-track 3D pose file of another format (BVH, SmoothNet, ...): markers named after
    ``pose_file.meta["joint_names"]`` when present, else after the joints of its built-in skeleton (``h36m17``:
    read back as that skeleton), else ``J1..Jn``, in the pose file's units and
    frame rate, empty cells where the person is absent.  Frame numbers are the file's
    (``pose_file.frame_numbers``; OrigDataStartFrame the first, Time 0 there), else ``1..T``.  The scores and the
    track id are not written (:func:`synsp.io.tracks.write_pose_file` says so)."""
    if len(pose_file.tracks) != 1 or pose_file.dims != 3:
        raise SynspInputError(f"{path}: a TRC file holds one 3D marker set; write this "
                              f"{pose_file.format} data as .npz instead")
    t = pose_file.tracks[0]
    if pose_file.format == "trc":
        m = pose_file.meta["markers"]
        pos = m.positions.copy()
        pos[rows_of_frames(pose_file.meta.get("rows"), t.frames, path)] = t.keypoints
        write_trc(path, dataclasses.replace(m, positions=pos))
        return as_path(path)
    J = t.num_joints
    names = _marker_names(pose_file)
    units = str(pose_file.units)
    if units.strip().lower() not in METRES_PER_UNIT:
        raise SynspInputError(f"{path}: the {pose_file.format} data is in {units!r}, not a length unit a TRC "
                              "file can state; write it as .npz instead")
    if not pose_file.fps:
        raise SynspInputError(f"{path}: a TRC file needs a frame rate and this {pose_file.format} data has none; "
                              "give it (synsp refine --fps RATE, or the pose file's fps) or write it as .npz "
                              "instead")
    pos = np.full((pose_file.num_frames, J, 3), np.nan)
    pos[t.frames] = t.keypoints
    numbers = pose_file.frame_numbers
    start = {} if numbers is None or not len(numbers) else dict(frame_numbers=numbers,
                                                                 orig_data_start_frame=int(numbers[0]))
    write_trc(path, Markers(marker_names=names, positions=pos, fps=pose_file.fps, units=units, **start))
    return as_path(path)
