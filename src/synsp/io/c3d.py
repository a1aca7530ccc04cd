"""C3D motion-capture files (Vicon, Qualisys, OptiTrack, Motion Analysis, Cortex, ...): 3D point trajectories.

A C3D file is a series of 512-byte blocks: a header, a parameter section (groups of typed parameters:
``POINT:LABELS``, ``POINT:RATE``, ``POINT:SCALE``, ``POINT:UNITS``, ...) and the data, frame after frame:
each point's X, Y, Z and a residual word (negative where the point was not seen), then the analog samples.
Coordinates are 16-bit integers times ``POINT:SCALE``, or 32-bit floats where the scale is negative; the
numbers are Intel (little-endian), DEC (VAX floats) or MIPS/SGI (big-endian), as the parameter section's
processor byte says.  Only numpy is used: the data is read through a memory map a few thousand frames at a
time, and the parameter section is parsed with bounds checked at every step (a damaged file is a
:class:`~synsp.validation.SynspInputError` naming it, never a crash or an endless loop).

:func:`read_c3d` returns a :class:`C3D`: the point labels, positions ``(T, M, 3)`` in the file's units with
NaN where a point was not seen, the frame rate, the units and what the writer needs.  :func:`write_c3d`
writes a copy of the source file with the coordinates of the points given replaced, every other byte
(the parameters, the analog channels, the events, the residual words of the points seen) as it was; a
point the file did not see but that is given now (a gap synsp filled) is marked seen with residual 0.

The pose-file contract (:mod:`synsp.io.tracks`): the markers are one track, or one per subject where the
labels carry subject prefixes (Vicon's ``Name:LASI``) with the same markers (subjects with other markers, a
prop beside a person: the one with the most markers, the others left as they are).  Points that are not marker
positions (the modelled angles, forces, moments and powers Vicon lists in ``POINT:ANGLES``, ...) and
unlabelled trajectories (``*12``) are left as they are.  The markers' skeleton is the one their names give
(:func:`synsp.skeletons.skeleton_of_names`), never one guessed from their count.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import as_path, atomic_target
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import skeleton_of_names
from synsp.validation import SynspInputError

__all__ = ["C3D", "read_c3d", "write_c3d", "sniff", "read", "write"]

BLOCK = 512
#: the parameter section's processor byte -> byte order / float format
PROCESSORS = {84: "intel", 85: "dec", 86: "mips"}
#: POINT parameters of Vicon (and others) listing points that are not marker positions
NOT_POSITIONS = ("ANGLES", "FORCES", "MOMENTS", "POWERS", "SCALARS", "REACTIONS")
#: frames decoded at a time (an hour of 60 markers at 100 Hz stays a few MB per step)
CHUNK = 8192


@dataclass(frozen=True)
class _Layout:
    """Where and how the point data of a C3D file is stored (what :func:`write_c3d` needs)."""

    processor: str  # intel, dec or mips
    floats: bool  # 32-bit floats (else 16-bit integers times ``scale``)
    scale: float  # |POINT:SCALE|
    data_offset: int  # bytes from the start of the file
    points: int
    analog_words: int  # analog values per frame
    frames: int
    size: int  # the source file's size and modification time when it was read
    mtime_ns: int

    @property
    def word(self) -> np.dtype:
        order = ">" if self.processor == "mips" else "<"
        if self.floats:
            return np.dtype(order + ("u4" if self.processor == "dec" else "f4"))
        return np.dtype(order + "i2")

    @property
    def frame(self) -> np.dtype:
        return np.dtype([("p", self.word, (self.points, 4)), ("a", self.word, (self.analog_words,))])


@dataclass(eq=False)
class C3D:
    """A C3D file's points: ``labels`` (M), ``positions`` ``(T, M, 3)`` in the file's ``units`` (NaN where a
    point was not seen), ``fps``, ``first_frame`` (the file's number of its first frame), ``parameters``
    (``{GROUP: {NAME: value}}``, strings as ``str`` or lists of them, numbers as numpy arrays) and ``source``."""

    labels: list[str]
    positions: np.ndarray
    fps: float
    units: str
    first_frame: int
    parameters: dict[str, dict[str, Any]]
    source: Path
    layout: _Layout = field(repr=False)

    def marker_columns(self) -> list[int]:
        """The points that are marker positions: not listed as angles, forces, moments, powers, scalars or
        reactions in the POINT group, not unlabelled (``*12``)."""
        point = self.parameters.get("POINT", {})
        other = set()
        for key in NOT_POSITIONS:
            other.update(_strings(point.get(key)))
        return [m for m, name in enumerate(self.labels) if name not in other and not name.startswith("*")]


# ---- numbers in the file's processor format ------------------------------------------------------------------


def _floats(raw: bytes | np.ndarray, processor: str) -> np.ndarray:
    """32-bit floats stored by ``processor`` (``raw``: bytes, or the raw words as read) as float64."""
    if processor == "dec":  # VAX F: the two 16-bit halves swapped against IEEE, and a quarter of its value
        u = np.frombuffer(raw, dtype="<u4") if isinstance(raw, (bytes, bytearray, memoryview)) else raw
        u = u.astype(np.uint32)
        with np.errstate(invalid="ignore"):  # a damaged word may be a signalling NaN: NaN, a missing value
            return (((u & 0xFFFF) << 16) | (u >> 16)).view("<f4").astype(np.float64) / 4.0
    order = ">" if processor == "mips" else "<"
    with np.errstate(invalid="ignore"):
        return np.frombuffer(raw, dtype=order + "f4").astype(np.float64)


def _dec_words(values: np.ndarray) -> np.ndarray:
    """float values as the raw little-endian 32-bit words of VAX F floats (the inverse of :func:`_floats`)."""
    u = (np.asarray(values, dtype=np.float64) * 4.0).astype("<f4").view("<u4")
    return ((u & 0xFFFF) << 16) | (u >> 16)


def _s8(byte: int) -> int:
    """A byte as a signed 8-bit number."""
    return byte - 256 if byte > 127 else byte


def _ints(raw: bytes, processor: str, unsigned: bool = False) -> np.ndarray:
    order = ">" if processor == "mips" else "<"
    return np.frombuffer(raw, dtype=order + ("u2" if unsigned else "i2")).astype(np.int64)


# ---- reading -----------------------------------------------------------------------------------------------------


def read_c3d(path: Any) -> C3D:
    """The points of the C3D file ``path`` (see the module docstring)."""
    p = as_path(path)
    try:
        with open(p, "rb") as fh:
            st = os.fstat(fh.fileno())
            header = fh.read(BLOCK)
            if len(header) < BLOCK or header[1] != 0x50 or header[0] < 1:
                raise SynspInputError(f"{p}: not a C3D file (its first block is not a C3D header: expected 512 "
                                      "bytes whose second byte is 0x50)")
            fh.seek((header[0] - 1) * BLOCK)
            start = fh.read(4)
            if len(start) < 4 or start[3] not in PROCESSORS:
                raise SynspInputError(f"{p}: damaged C3D file (its parameter section at block {header[0]} names no "
                                      f"processor type 84, 85 or 86); export it again")
            processor = PROCESSORS[start[3]]
            fh.seek((header[0] - 1) * BLOCK)
            section = fh.read(max(int(start[2]), 1) * BLOCK)
    except OSError as exc:
        raise SynspInputError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    params = _parameters(section, processor, p)
    words = _ints(header[:20], processor, unsigned=True)
    points, analog_words, first, last, data_start = (int(words[i]) for i in (1, 2, 3, 4, 8))
    scale = float(_floats(header[12:16], processor)[0])
    rate = float(_floats(header[20:24], processor)[0])
    point = params.get("POINT", {})
    scale = float(_number(point.get("SCALE"), scale))
    rate = float(_number(point.get("RATE"), rate))
    if data_start < 1:
        data_start = int(_number(point.get("DATA_START"), 0)) & 0xFFFF
    frames = last - first + 1 if last >= first else 0
    frames = max(frames, _frames_parameter(point.get("FRAMES")), _trial_frames(params.get("TRIAL", {})))
    if not (np.isfinite(rate) and rate > 0):
        raise SynspInputError(f"{p}: its frame rate (POINT:RATE) is {rate!r}; expected a positive number")
    if not np.isfinite(scale) or scale == 0:
        raise SynspInputError(f"{p}: its POINT:SCALE is {scale!r}; expected a non-zero number")
    if data_start < 1:
        raise SynspInputError(f"{p}: damaged C3D file (no data start block in its header nor POINT:DATA_START)")
    layout = _Layout(processor, scale < 0, abs(scale), (data_start - 1) * BLOCK, points, analog_words, frames,
                     st.st_size, st.st_mtime_ns)
    held = max(0, (st.st_size - layout.data_offset) // layout.frame.itemsize) if layout.frame.itemsize else frames
    if frames > held:
        raise SynspInputError(f"{p}: declares {frames} frames of {points} points but holds {held} whole frames; the "
                              "file is cut short (copy or export it again)")
    labels = _labels(point, points)
    positions = np.full((frames, points, 3), np.nan)
    for a in range(0, frames if points else 0, CHUNK):  # a chunk mapped at a time: the file is not held whole
        data = _frames_of(p, layout, a, min(a + CHUNK, frames), "r")
        try:
            positions[a:a + CHUNK] = _decode(np.asarray(data["p"]), layout)
        finally:
            del data
    units = point.get("UNITS")
    units = units.strip() if isinstance(units, str) and units.strip() else "mm"
    return C3D(labels=labels, positions=positions, fps=rate, units=units, first_frame=first, parameters=params,
               source=p, layout=layout)


def _decode(raw: np.ndarray, layout: _Layout) -> np.ndarray:
    """``(n, M, 3)`` coordinates of raw point words ``(n, M, 4)``, NaN where the residual word is negative."""
    if layout.floats:
        with np.errstate(invalid="ignore"):  # a signalling NaN in a damaged file: NaN, not seen
            values = (_floats(raw.reshape(-1), "dec").reshape(raw.shape) if layout.processor == "dec"
                      else raw.astype(np.float64))
        xyz, seen = values[..., :3], values[..., 3] >= 0
    else:
        xyz, seen = raw[..., :3].astype(np.float64) * layout.scale, raw[..., 3] >= 0
    seen &= np.isfinite(xyz).all(-1)
    return np.where(seen[..., None], xyz, np.nan)


def _number(value: Any, default: float) -> float:
    """The first number of a parameter's value, else ``default``."""
    if isinstance(value, np.ndarray) and value.size:
        return float(value.reshape(-1)[0])
    return default


def _frames_parameter(value: Any) -> int:
    """POINT:FRAMES: an unsigned 16-bit count, or a float where a file holds more than 65,535 frames."""
    if not isinstance(value, np.ndarray) or not value.size:
        return 0
    v = value.reshape(-1)[0]
    return int(v) & 0xFFFF if value.dtype.kind == "i" else int(v) if np.isfinite(v) and v > 0 else 0


def _trial_frames(trial: dict[str, Any]) -> int:
    """TRIAL:ACTUAL_END_FIELD - ACTUAL_START_FIELD + 1 (each two unsigned 16-bit words, low first), or 0."""
    ends = [trial.get("ACTUAL_START_FIELD"), trial.get("ACTUAL_END_FIELD")]
    if not all(isinstance(v, np.ndarray) and v.size == 2 and v.dtype.kind == "i" for v in ends):
        return 0
    a, b = ((int(v[0]) & 0xFFFF) + ((int(v[1]) & 0xFFFF) << 16) for v in (e.reshape(-1) for e in ends))
    return b - a + 1 if b >= a else 0


def _labels(point: dict[str, Any], count: int) -> list[str]:
    """POINT:LABELS, then LABELS2, LABELS3, ... (files of more than 255 points), ``P<i>`` for any left without."""
    names: list[str] = []
    for key in ["LABELS"] + [f"LABELS{i}" for i in range(2, 100)]:
        value = point.get(key)
        if value is None:
            if key != "LABELS":
                break
            continue
        names.extend(_strings(value) or [""] * (value.size if isinstance(value, np.ndarray) else 0))
    names = names[:count]
    return [n or f"P{i + 1}" for i, n in enumerate(names)] + [f"P{i + 1}" for i in range(len(names), count)]


def _strings(value: Any) -> list[str]:
    """A character parameter's strings, stripped (one string or a list); [] for anything else."""
    if isinstance(value, str):
        return [value.strip()]
    return [v.strip() for v in value] if isinstance(value, list) else []


def _parameters(section: bytes, processor: str, p: Path) -> dict[str, dict[str, Any]]:
    """``{GROUP: {NAME: value}}`` of the parameter section (which starts with its 4-byte header)."""
    groups: dict[int, str] = {}
    entries: list[tuple[int, str, Any]] = []
    pos, n = 4, len(section)
    order = ">" if processor == "mips" else "<"
    for _ in range(n // 4):  # every entry takes at least 4 bytes: a damaged chain cannot loop for ever
        if pos + 2 > n:
            break
        length = abs(_s8(section[pos]))
        if length == 0:
            break
        gid = _s8(section[pos + 1])
        name = section[pos + 2:pos + 2 + length].decode("latin-1").strip().upper()
        at = pos + 2 + length
        if at + 2 > n:
            break
        offset = int(np.frombuffer(section[at:at + 2], dtype=order + "i2")[0])
        body = at + 2
        if gid < 0:
            groups[-gid] = name
        elif gid > 0:
            entries.append((gid, name, _value(section, body, processor, p, name)))
        if offset <= 0:
            break
        pos = at + offset
    out: dict[str, dict[str, Any]] = {}
    for gid, name, value in entries:
        out.setdefault(groups.get(gid, f"GROUP{gid}"), {})[name] = value
    return out


def _value(section: bytes, at: int, processor: str, p: Path, name: str) -> Any:
    """A parameter's value at ``at`` (its type byte): a string, a list of strings or a numpy array; None when it
    runs past the section (a damaged parameter nobody may need)."""
    if at + 2 > len(section):
        return None
    kind, ndim = _s8(section[at]), section[at + 1]
    dims = list(section[at + 2:at + 2 + ndim])
    size = abs(kind) * int(np.prod(dims)) if dims else abs(kind)
    start = at + 2 + ndim
    raw = section[start:start + size]
    if len(dims) != ndim or len(raw) != size or kind not in (-1, 1, 2, 4):
        return None
    if kind == -1:  # characters: the first dimension is the length of each string
        text = raw.decode("latin-1")
        if ndim <= 1:
            return text.rstrip()
        width = dims[0]
        return [text[i:i + width].rstrip() for i in range(0, len(text), width)] if width else []
    if kind == 1:
        values = np.frombuffer(raw, dtype=np.int8).astype(np.int64)
    elif kind == 2:
        values = _ints(raw, processor)
    else:
        values = _floats(raw, processor)
    return values.reshape(dims[::-1]) if 0 < len(dims) <= 7 else values  # the format has at most 7 dimensions


# ---- writing -----------------------------------------------------------------------------------------------------


def write_c3d(path: Any, c3d: C3D, positions: Any) -> Path:
    """A copy of ``c3d``'s source file at ``path`` (atomically) with the points' coordinates replaced by
    ``positions`` ``(T, M, 3)`` (file units) wherever those are finite; everything else byte for byte as it was.
    A point the file did not see but given here is marked seen (residual word 0)."""
    new = np.asarray(positions, dtype=np.float64)
    if new.shape != c3d.positions.shape:
        raise SynspInputError(f"{path}: positions of shape {new.shape} for a C3D file of {c3d.positions.shape}")
    return _write_points(path, c3d, lambda a, b: new[a:b])


def _write_points(path: Any, c3d: C3D, chunk: Any) -> Path:
    """:func:`write_c3d` with the new positions of frames ``a:b`` given by ``chunk(a, b)`` (``(b - a, M, 3)``, NaN
    where a point keeps its coordinates), a few thousand frames at a time."""
    lay = c3d.layout
    try:
        st = os.stat(c3d.source)
        changed = (st.st_size, st.st_mtime_ns) != (lay.size, lay.mtime_ns)
    except OSError:
        changed = True
    if changed:
        raise SynspInputError(f"{path}: the C3D file it is written from ({c3d.source}) changed or went away since it "
                              "was read; run again")
    out = as_path(path, "output path")
    with atomic_target(out, suffix=".c3d") as tmp:  # an error on the way leaves nothing
        shutil.copyfile(c3d.source, tmp)
        for a in range(0, lay.frames if lay.points else 0, CHUNK):  # a chunk mapped at a time
            b = min(a + CHUNK, lay.frames)
            new = chunk(a, b)
            big = 0.0 if lay.floats else float(np.abs(new[np.isfinite(new)]).max(initial=0.0)) / lay.scale
            if big > 32767:
                raise SynspInputError(f"{path}: a refined coordinate ({big * lay.scale:g} {c3d.units}) is "
                                      "beyond what the file's 16-bit integers hold at its scale "
                                      f"{lay.scale:g}; write a .trc or .npz")
            data = _frames_of(tmp, lay, a, b, "r+")
            try:
                raw = np.array(data["p"])
                _encode(raw, new, c3d.positions[a:b], lay)
                data["p"] = raw
                data.flush()
            finally:
                del data
    return out


def _frames_of(path: Any, layout: _Layout, a: int, b: int, mode: str) -> np.memmap:
    """Frames ``a .. b - 1`` of a C3D file's data mapped alone (``mode`` ``"r"`` or ``"r+"``)."""
    return np.memmap(path, dtype=layout.frame, mode=mode, offset=layout.data_offset + a * layout.frame.itemsize,
                     shape=(b - a,))


def _encode(raw: np.ndarray, new: np.ndarray, old: np.ndarray, layout: _Layout) -> None:
    """Write ``new`` ``(n, M, 3)`` into the raw point words ``raw`` ``(n, M, 4)`` where it is finite; a point
    ``old`` had not (NaN) gets residual word 0."""
    write = np.isfinite(new).all(-1)
    if not write.any():
        return
    unseen = write & ~np.isfinite(old).all(-1)
    if layout.floats and layout.processor == "dec":
        words = _dec_words(new[write])
        zero = _dec_words(np.zeros(1))[0]
    elif layout.floats:
        words, zero = new[write], 0.0
    else:
        words, zero = np.rint(new[write] / layout.scale), 0
    xyz = raw[..., :3]
    xyz[write] = words.astype(raw.dtype)
    raw[..., :3] = xyz
    raw[..., 3][unseen] = zero


# ---- the pose-file contract (synsp.io.tracks) ------------------------------------------------------------------


def sniff(path: Any) -> bool:
    """A ``.c3d`` file."""
    p = as_path(path)
    return p.is_file() and p.name.lower().endswith(".c3d")


def _subjects(labels: list[str], columns: list[int]) -> tuple[list[tuple[Any, list[int], list[str]]], str | None]:
    """``([(track id, point columns, marker names), ...], note)``: one per subject prefix (``Name:marker``) when
    every marker has one and all subjects have the same markers in the same order; when the subjects' markers
    differ (a person and a prop), the subject with the most markers alone (the others are left as they are, and
    ``note`` says so); else one track (id 0) of every marker."""
    split = [labels[c].split(":", 1) for c in columns]
    if columns and all(len(s) == 2 and s[0] and s[1] for s in split):
        by: dict[str, list[int]] = {}
        for c, (who, _) in zip(columns, split):
            by.setdefault(who, []).append(c)
        names = {who: [labels[c].split(":", 1)[1] for c in cols] for who, cols in by.items()}
        first = next(iter(names.values()))
        if len(by) > 1 and all(n == first for n in names.values()) and len(set(first)) == len(first):
            return [(who, cols, names[who]) for who, cols in by.items()], None
        if len(by) == 1:
            return [(0, columns, first)], None
        main = max(by, key=lambda who: len(by[who]))  # the first of the largest
        others = ", ".join(f"{who} ({len(cols)})" for who, cols in by.items() if who != main)
        return [(main, by[main], names[main])], (f"subjects with other markers than {main} ({len(by[main])}): "
                                                 f"{others}; left as they are (one skeleton per file)")
    return [(0, columns, [labels[c] for c in columns])], None


def read(path: Any, skeleton: str | None = None):
    """The file's markers: one track (id 0), or one per subject (its prefix as the track id), ``(n, M, 3)`` in
    the file's units; frames where a person has no marker seen are absent from their track."""
    c = read_c3d(path)
    columns = c.marker_columns()
    if not columns:
        raise SynspInputError(f"{c.source}: holds no marker positions (its {len(c.labels)} points are modelled "
                              "angles, forces, moments, powers or unlabelled trajectories); nothing to refine")
    subjects, note = _subjects(c.labels, columns)
    tracks = []
    for tid, cols, _ in subjects:  # views of the file's positions where they can be (an hour at 100 Hz: 300 MB)
        kp = c.positions if cols == list(range(len(c.labels))) else c.positions[:, cols]
        present = np.flatnonzero(np.isfinite(kp).any(axis=(-1, -2)))
        if len(present):
            tracks.append(Track(tid, present, kp if len(present) == len(kp) else kp[present]))
    names = subjects[0][2]
    named = skeleton_of_names(names)
    return PoseFile(tracks=tracks, num_frames=len(c.positions), format="c3d", skeleton=skeleton or named, fps=c.fps,
                    units=c.units, source=c.source, meta=dict(c3d=c, columns={tid: cols for tid, cols, _ in subjects},
                                                              joint_names=list(names), named_skeleton=named,
                                                              **({"note": note} if note else {})),
                    frame_numbers=c.first_frame + np.arange(len(c.positions)))


def write(path: Any, pose_file) -> Path:
    """A C3D-read file: the source file with every track's refined markers written in place (see
    :func:`write_c3d`)."""
    if pose_file.format != "c3d":
        raise SynspInputError(f"{path}: only a C3D file's own points are written back as .c3d; write this "
                              f"{pose_file.format} data as .trc or .npz instead")
    c = pose_file.meta["c3d"]
    tracks = [(t.frames, np.asarray(pose_file.meta["columns"][t.track_id]), t.keypoints) for t in pose_file.tracks]

    def chunk(a: int, b: int) -> np.ndarray:  # the tracks' new positions of frames a:b
        out = np.full((b - a,) + c.positions.shape[1:], np.nan)
        for frames, cols, kp in tracks:
            i, j = np.searchsorted(frames, [a, b])
            out[(frames[i:j] - a)[:, None], cols[None, :]] = kp[i:j]
        return out

    return _write_points(path, c, chunk)
