"""BVH (Biovision hierarchy) reader and writer.

Conventions used by :func:`read_bvh`
------------------------------------
* **Hierarchy.**  One ``ROOT`` and any tree of ``JOINT`` entries; joints are numbered in
  file (depth-first) order, so every parent precedes its children.
* **Channels.**  Any number per joint, any order, names ``Xposition Yposition Zposition
  Xrotation Yrotation Zrotation`` (case-insensitive), angles in degrees.  The rotation
  channels are composed **in the listed order** as intrinsic rotations: ``Zrotation
  Xrotation Yrotation`` gives ``L = Rz(z) @ Rx(x) @ Ry(y)`` (column vectors), which is
  ``scipy.spatial.transform.Rotation.from_euler("ZXY", [z, x, y], degrees=True)``.
* **Translations.**  Position channels are *added* to the joint's ``OFFSET`` (for the
  root as for any other joint): the root sits at ``OFFSET + (Xposition, Yposition,
  Zposition)``.  ``Motion.root_translation`` holds that sum; writing subtracts the
  offset again, so a read/write round trip keeps the file's numbers.
* **End Sites.**  With ``end_sites=True`` (default) every ``End Site`` becomes an extra
  leaf point named ``<parent>_end`` (``Motion.end_site`` marks them; identity rotation,
  no channels), which keeps finger tips, head tops and toe tips and lets
  :func:`write_bvh` reproduce the file.  ``end_sites=False`` drops them.
* **Units.**  BVH stores no unit.  Lengths are returned as stored, times ``scale``;
  ``units`` (default ``"cm"``) only labels the file's unit so that
  :meth:`Motion.to_metres` knows the factor.
* **Frame rate.**  ``fps = 1 / Frame Time`` (snapped to the nearest integer when within
  0.05 %), unless ``fps=`` overrides it (some files declare the wrong frame time).
* Files ending in ``.gz`` are decompressed on the fly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Iterator, Sequence

import numpy as np
from scipy.spatial.transform import Rotation

from synsp.io._common import as_path, atomic_write, text_lines, unit_to_metres
from synsp.io.motion import Motion, unit_label
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import skeleton_of_names
from synsp.validation import ABSURD_COORDINATE, SynspInputError

__all__ = ["read_bvh", "write_bvh", "BVH_CHANNELS"]

#: the channel names a BVH file may use (matched case-insensitively)
BVH_CHANNELS = ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")
_CANON = {c.lower(): c for c in BVH_CHANNELS}
_DEFAULT_ROT = ("Zrotation", "Yrotation", "Xrotation")
_POS = ("Xposition", "Yposition", "Zposition")


@dataclass
class _Node:
    name: str
    parent: int
    line: int
    offset: np.ndarray | None = None
    channels: tuple[str, ...] = ()
    is_end: bool = False
    children: list[int] = field(default_factory=list)


class _Tokens:
    """Token stream over the HIERARCHY section, each token with its 1-based line number."""

    def __init__(self, path: str, tokens: list[tuple[str, int]], end_line: int):
        self.path, self.toks, self.i, self.end_line = path, tokens, 0, end_line

    def error(self, line: int, msg: str) -> SynspInputError:
        return SynspInputError(f"{self.path}: line {line}: malformed BVH hierarchy: {msg}")

    def next(self, expected: str) -> tuple[str, int]:
        if self.i >= len(self.toks):
            raise self.error(self.end_line, f"the hierarchy ends early; expected {expected}")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def peek(self) -> tuple[str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def expect(self, word: str) -> int:
        tok, line = self.next(repr(word))
        if tok.upper() != word.upper():
            raise self.error(line, f"found {tok!r}, expected {word!r}")
        return line

    def number(self, what: str) -> float:
        tok, line = self.next(what)
        try:
            value = float(tok)
        except ValueError:
            raise self.error(line, f"found {tok!r}, expected {what}") from None
        if not np.isfinite(value):
            raise self.error(line, f"found {tok!r}, expected {what} (a finite number)")
        return value


def _tokenize(path: str, lines: list[str]) -> tuple[_Tokens, int]:
    """Tokens of the HIERARCHY section and the index of the MOTION line."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        raise SynspInputError(f"{path}: the file is empty; expected a BVH file starting with HIERARCHY")
    first = lines[i].split()
    if first[0].upper() != "HIERARCHY":
        raise SynspInputError(
            f"{path}: line {i + 1}: found {lines[i].strip()[:40]!r}, expected 'HIERARCHY' (is this a BVH file?)"
        )
    tokens: list[tuple[str, int]] = []
    rest = " ".join(first[1:])
    i += 1
    motion_at = None
    pending = [(rest, i)] if rest else []
    for k in range(i, len(lines)):
        pending.append((lines[k], k + 1))
        stripped = lines[k].strip()
        if stripped.split()[:1] and stripped.split()[0].upper() == "MOTION":
            pending.pop()
            motion_at = k
            break
    for text, ln in pending:
        words = text.split()
        if not words:
            continue
        head = words[0].upper()
        if head in ("ROOT", "JOINT"):
            name = text.strip()[len(words[0]):].strip()
            brace = name.endswith("{")
            if brace:
                name = name[:-1].strip()
            tokens.append((head, ln))
            if name:
                tokens.append((name, ln))
            if brace:
                tokens.append(("{", ln))
            continue
        for tok in text.replace("{", " { ").replace("}", " } ").split():
            tokens.append((tok, ln))
    if motion_at is None:
        raise SynspInputError(
            f"{path}: line {len(lines)}: no MOTION section; the file is truncated or not a BVH file"
        )
    return _Tokens(path, tokens, motion_at + 1), motion_at


def _parse_joint(ts: _Tokens, nodes: list[_Node], parent: int, kw_line: int) -> None:
    """Parse the joint whose ROOT/JOINT keyword was just read, with all its descendants.

    Iterative (a stack of open joints), so a hierarchy of any depth is read without recursion."""
    stack: list[int] = []  # the joints whose '{' is open, innermost last

    def open_joint(parent: int, kw_line: int) -> None:
        name, _ = ts.next("a joint name")
        if name in ("{", "}"):
            raise ts.error(kw_line, "a ROOT/JOINT keyword without a joint name")
        idx = len(nodes)
        nodes.append(_Node(name=name, parent=parent, line=kw_line))
        if parent >= 0:
            nodes[parent].children.append(idx)
        ts.expect("{")
        stack.append(idx)

    open_joint(parent, kw_line)
    while stack:
        idx = stack[-1]
        node, name = nodes[idx], nodes[idx].name
        tok, ln = ts.next("OFFSET, CHANNELS, JOINT, End Site or '}'")
        up = tok.upper()
        if up == "OFFSET":
            node.offset = np.array([ts.number("an OFFSET number") for _ in range(3)])
        elif up == "CHANNELS":
            n_tok, n_ln = ts.next("the channel count")
            try:
                n = int(n_tok)
            except ValueError:
                raise ts.error(n_ln, f"found {n_tok!r}, expected the channel count (an integer)") from None
            if n < 0:
                raise ts.error(n_ln, f"negative channel count {n}")
            chans = []
            for _ in range(n):
                c, c_ln = ts.next(f"{n} channel names")
                canon = _CANON.get(c.lower())
                if canon is None:
                    raise SynspInputError(
                        f"{ts.path}: line {c_ln}: unknown channel name {c!r} for joint {name!r}; "
                        f"expected one of {', '.join(BVH_CHANNELS)} (is the CHANNELS count {n} right?)"
                    )
                if canon in chans:
                    raise ts.error(c_ln, f"channel {canon} listed twice for joint {name!r}")
                chans.append(canon)
            node.channels = tuple(chans)
        elif up == "JOINT":
            open_joint(idx, ln)
        elif up == "END":
            site, s_ln = ts.next("'Site'")
            if site.upper() != "SITE":
                raise ts.error(s_ln, f"found {site!r} after 'End', expected 'Site'")
            end = _Node(name=f"{name}_end", parent=idx, line=ln, is_end=True)
            end_idx = len(nodes)
            nodes.append(end)
            node.children.append(end_idx)
            ts.expect("{")
            ts.expect("OFFSET")
            end.offset = np.array([ts.number("an OFFSET number") for _ in range(3)])
            ts.expect("}")
        elif tok == "}":
            if node.offset is None:
                raise ts.error(node.line, f"joint {name!r} has no OFFSET")
            stack.pop()
        else:
            raise ts.error(ln, f"found {tok!r} in joint {name!r}; expected OFFSET, CHANNELS, JOINT, End Site or '}}'")


def _parse_header_value(path: str, lines: list[str], i: int, key: str) -> tuple[float, int]:
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        raise SynspInputError(f"{path}: line {len(lines)}: the file ends before '{key}:'; it is truncated")
    text = lines[i].strip()
    head, sep, value = text.partition(":")
    if not sep or " ".join(head.split()).lower() != key.lower():
        raise SynspInputError(f"{path}: line {i + 1}: found {text[:40]!r}, expected '{key}: <number>'")
    try:
        return float(value.strip()), i + 1
    except ValueError:
        raise SynspInputError(f"{path}: line {i + 1}: '{key}:' is followed by {value.strip()!r}, not a number") from None


def _rotations_from_channels(values: np.ndarray, order: str) -> np.ndarray:
    """(T, 3, 3) matrices for rotation channel values (degrees) composed in ``order`` (e.g. "ZXY")."""
    if not order:
        return np.broadcast_to(np.eye(3), (values.shape[0], 3, 3))
    return Rotation.from_euler(order, values, degrees=True).as_matrix()


def _snap_fps(fps: float) -> float:
    r = round(fps)
    if r > 0 and abs(fps - r) <= 5e-4 * r:
        return float(r)
    return fps


def read_bvh(
    path: Any,
    scale: float = 1.0,
    *,
    units: str = "cm",
    fps: float | None = None,
    end_sites: bool = True,
) -> Motion:
    """Read a ``.bvh`` or ``.bvh.gz`` file into a :class:`Motion` (see the module docstring).

    Parameters
    ----------
    path : the file.
    scale : multiply every length (offsets, translations) by this factor.
    units : the length unit the file is written in (BVH has no unit field); default ``"cm"``.
    fps : true frame rate; overrides the header's ``Frame Time``.
    end_sites : keep ``End Site`` entries as leaf points named ``<parent>_end`` (default) or drop them.
    """
    scale = float(scale)
    if not np.isfinite(scale) or scale <= 0:
        raise SynspInputError(f"read_bvh: scale is {scale}; expected a positive factor")
    src, nodes, fps, starts, data = _parse_file(path, units, fps)

    # kinematics: the joints kept and their local transforms per frame
    keep, names, parents = _kept_joints(src, nodes, end_sites)
    offsets = np.stack([nodes[j].offset for j in keep]) * scale
    rots, root_translation, translations = _local_transforms(nodes, keep, starts, data, offsets, scale)

    mpu = unit_to_metres(units, "units") / float(scale)
    label = units if scale == 1 else unit_label(mpu, f"{units}*{float(scale):g}")
    return Motion(
        joint_names=names,
        parents=parents,
        offsets=offsets,
        local_rotations=rots,
        root_translation=root_translation,
        fps=fps,
        units=label,
        metres_per_unit=mpu,
        source=src,
        offset_frame="parent",
        translations=translations,
        end_site=np.array([nodes[j].is_end for j in keep]),
        channels=[nodes[j].channels for j in keep],
    )


def _parse_hierarchy(src: str, lines: list[str]) -> tuple[list[_Node], int]:
    """The joints of the HIERARCHY section in file order (one ROOT) and the index of the MOTION line."""
    ts, motion_at = _tokenize(src, lines)
    nodes: list[_Node] = []
    tok = ts.next("ROOT")
    if tok[0].upper() != "ROOT":
        raise ts.error(tok[1], f"found {tok[0]!r}, expected 'ROOT'")
    _parse_joint(ts, nodes, -1, tok[1])
    extra = ts.peek()
    if extra is not None:
        what = "a second ROOT (only one skeleton per file is supported)" if extra[0] == "ROOT" else repr(extra[0])
        raise ts.error(extra[1], f"found {what} after the root joint closed; expected MOTION")
    return nodes, motion_at


def _parse_motion_header(
    src: str, lines: list[str], motion_at: int, fps: float | None
) -> tuple[int, float, int, int]:
    """``(frames, fps, index of the first data line, 1-based line of 'Frames:')`` from the lines after
    MOTION; ``fps`` (when given) overrides ``1 / Frame Time`` (snapped, :func:`_snap_fps`)."""
    n_frames_f, i = _parse_header_value(src, lines, motion_at + 1, "Frames")
    frames_line = i
    frame_time, i = _parse_header_value(src, lines, i, "Frame Time")
    if not np.isfinite(n_frames_f) or n_frames_f < 0 or n_frames_f != int(n_frames_f):
        raise SynspInputError(f"{src}: line {frames_line}: 'Frames: {n_frames_f:g}' is not a frame count")
    n_frames = int(n_frames_f)
    if n_frames == 0:
        raise SynspInputError(f"{src}: line {frames_line}: the file declares 'Frames: 0'; expected motion data")
    if fps is None:
        if not np.isfinite(frame_time) or frame_time <= 0:
            raise SynspInputError(
                f"{src}: line {i}: 'Frame Time: {frame_time:g}' must be > 0 (or give the frame rate: --fps, or fps=)"
            )
        fps = _snap_fps(1.0 / frame_time)
    return n_frames, fps, i, frames_line


def _channel_layout(src: str, nodes: list[_Node]) -> tuple[list[int], int]:
    """The first data column of every joint and the number of columns."""
    n_ch = 0
    starts = []
    for node in nodes:
        starts.append(n_ch)
        n_ch += len(node.channels)
    if n_ch == 0:
        raise SynspInputError(f"{src}: the hierarchy declares no CHANNELS; expected motion channels")
    return starts, n_ch


#: frame lines parsed at a time
_BLOCK = 4096


def _parse_file(path: Any, units: str, fps: float | None) -> tuple[str, list[_Node], float, list[int], np.ndarray]:
    """``(path as text, the hierarchy's nodes, fps, each node's first data column, the (frames, channels) values)``
    of a BVH file, read line by line (an hour's text is never held whole)."""
    p = as_path(path)
    src = str(p)
    if fps is not None and (not np.isfinite(float(fps)) or float(fps) <= 0):
        raise SynspInputError(f"read_bvh: fps is {fps}; expected a positive frame rate")
    unit_to_metres(units, "read_bvh units")
    with contextlib.closing(text_lines(p)) as lines:
        header: list[str] = []  # through MOTION and the two lines after it ('Frames:', 'Frame Time:')
        after = None
        for line in lines:
            header.append(line)
            if after is None:
                words = line.split()
                after = 0 if words and words[0].upper() == "MOTION" else None
            elif line.strip():
                after += 1
                if after == 2:
                    break
        nodes, motion_at = _parse_hierarchy(src, header)
        n_frames, fps, data_at, frames_line = _parse_motion_header(src, header, motion_at, fps)
        starts, n_ch = _channel_layout(src, nodes)
        data = _parse_frames(src, lines, data_at, n_frames, n_ch, frames_line)
    return src, nodes, fps, starts, data


def _parse_frames(src: str, lines: Iterator[str], i: int, n_frames: int, n_ch: int, frames_line: int) -> np.ndarray:
    """The ``(frames, channels)`` values of the non-blank lines that ``lines`` gives from index ``i`` on, parsed
    :data:`_BLOCK` lines at a time (an hour's cells as Python strings are GBs).

    A frame line too many is dropped with a warning (real exporters write one); too few lines,
    a line with the wrong number of values, a value that is not a number, NaN or inf raise."""
    # filled block by block, no list of blocks to join (an hour is 450 MB); grown as lines come, not made as large
    # as 'Frames:' says at once (a corrupt count would allocate terabytes)
    data = np.empty((min(n_frames, 16 * _BLOCK), n_ch))
    block: list[tuple[int, str]] = []
    count = extra = 0
    first_extra, last = 0, i
    for k, text in enumerate(lines, start=i):
        if not text.strip():
            continue
        if count == n_frames:  # real exporters sometimes write one frame too many
            first_extra = first_extra or k + 1
            extra += 1
            continue
        block.append((k + 1, text))
        count, last = count + 1, k + 1
        if len(block) == _BLOCK:
            data = _grown(data, count, n_frames)
            data[count - len(block):count] = _parse_block(src, block, count - len(block), n_ch)
            block = []
    if count < n_frames:
        raise SynspInputError(
            f"{src}: line {last + 1}: the file ends after {count} of the {n_frames} frames "
            f"declared by 'Frames:' (line {frames_line}); the file is truncated"
        )
    if block:
        data = _grown(data, count, n_frames)
        data[count - len(block):count] = _parse_block(src, block, count - len(block), n_ch)
    if extra:
        warnings.warn(
            f"{src}: line {first_extra}: {n_frames + extra} frame lines but 'Frames:' "
            f"(line {frames_line}) declares {n_frames}; reading the declared {n_frames}",
            stacklevel=4,  # the caller of read_bvh
        )
    return data[:count]


def _grown(data: np.ndarray, rows: int, most: int) -> np.ndarray:
    """``data`` with room for ``rows`` rows: itself, or its rows in one twice as long (at most ``most``)."""
    if rows <= len(data):
        return data
    out = np.empty((min(most, max(rows, 2 * len(data))), data.shape[1]))
    out[:len(data)] = data
    return out


def _parse_block(src: str, block: list[tuple[int, str]], first: int, n_ch: int) -> np.ndarray:
    """The values of frame lines ``block`` ``[(line number, text)]``, frame ``first`` the first of them."""
    rows = [t.split() for _, t in block]
    for k, ((ln, _), row) in enumerate(zip(block, rows), start=first):
        if len(row) != n_ch:
            raise SynspInputError(
                f"{src}: line {ln}: frame {k} has {len(row)} values; expected {n_ch} "
                f"(one per channel in the hierarchy){' - the line is cut short' if len(row) < n_ch else ''}"
            )
    try:
        data = np.array(rows, dtype=np.float64).reshape(len(block), n_ch)
    except ValueError:
        for (ln, _), row in zip(block, rows):
            for v in row:
                try:
                    float(v)
                except ValueError:
                    raise SynspInputError(f"{src}: line {ln}: {v!r} is not a number") from None
        raise
    if not np.isfinite(data).all():
        k = int(np.argwhere(~np.isfinite(data))[0, 0])
        raise SynspInputError(f"{src}: line {block[k][0]}: frame {first + k} contains a NaN or inf value")
    if (np.abs(data) >= ABSURD_COORDINATE).any():
        k = int(np.argwhere(np.abs(data) >= ABSURD_COORDINATE)[0, 0])
        raise SynspInputError(f"{src}: line {block[k][0]}: frame {first + k} has a value beyond "
                              f"{ABSURD_COORDINATE:g}, not a real position or angle; the file is corrupt")
    return data


def _kept_joints(src: str, nodes: list[_Node], end_sites: bool) -> tuple[list[int], list[str], np.ndarray]:
    """``(kept node indices, their unique names, their parents renumbered)``: every node, or without
    the End Sites; an End Site whose ``<parent>_end`` name is taken gets a number (``..._end2``)."""
    keep = [j for j, n in enumerate(nodes) if end_sites or not n.is_end]
    new_index = {old: new for new, old in enumerate(keep)}
    names: list[str] = []
    for j in keep:
        name = nodes[j].name
        if nodes[j].is_end:
            base, k = name, 2
            while name in names or any(nodes[o].name == name and not nodes[o].is_end for o in keep):
                name = f"{base}{k}"
                k += 1
        elif name in names:
            raise SynspInputError(f"{src}: line {nodes[j].line}: joint name {name!r} is used twice")
        names.append(name)
    parents = np.array([-1 if nodes[j].parent < 0 else new_index[nodes[j].parent] for j in keep], dtype=np.int64)
    return keep, names, parents


def _translation(offset: np.ndarray, data: np.ndarray, positions: dict[int, int], scale: float = 1.0) -> np.ndarray:
    """``(T, 3)``: a joint's ``offset`` plus its position channels ``{axis: column}`` of ``data`` times ``scale``."""
    t = np.broadcast_to(offset, (len(data), 3)).copy()
    for axis, col in positions.items():
        t[:, axis] += data[:, col] * scale
    return t


def _local_transforms(
    nodes: list[_Node], keep: list[int], starts: list[int], data: np.ndarray, offsets: np.ndarray, scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The channels as local transforms: ``(rotations (T, J, 3, 3), root translation (T, 3),
    translations (T, J, 3) or None)``.

    Rotation channels compose in their listed order (:func:`_rotations_from_channels`; no rotation
    channel: identity); position channels, times ``scale``, are added to the joint's (scaled)
    offset.  ``translations`` exists only when a joint other than the root has position channels.
    """
    T, J = data.shape[0], len(keep)
    rots = np.empty((T, J, 3, 3))
    rots[:] = np.eye(3)
    by_order: dict[str, list[tuple[int, list[int]]]] = {}
    translations = None
    root_translation = np.broadcast_to(offsets[0], (T, 3)).copy()
    for new, j in enumerate(keep):
        node = nodes[j]
        rot_cols, order, pos = [], "", {}
        for c, ch in enumerate(node.channels):
            if ch.endswith("rotation"):
                rot_cols.append(starts[j] + c)
                order += ch[0]
            else:
                pos["XYZ".index(ch[0])] = starts[j] + c
        if order:
            by_order.setdefault(order, []).append((new, rot_cols))
        if pos:
            t = _translation(offsets[new], data, pos, scale)
            if new == 0:
                root_translation = t
            else:
                if translations is None:
                    translations = np.broadcast_to(offsets, (T, J, 3)).copy()
                translations[:, new] = t
    for order, members in by_order.items():
        idx = [m[0] for m in members]
        vals = np.stack([data[:, m[1]] for m in members], axis=1)  # (T, n, k)
        mats = _rotations_from_channels(vals.reshape(-1, len(order)), order)
        rots[:, idx] = mats.reshape(T, len(idx), 3, 3)
    if translations is not None:
        translations[:, 0] = root_translation
    return rots, root_translation, translations


# ---------------------------------------------------------------------------- writing
def _euler_for(mats: np.ndarray, order: str, joint: str) -> np.ndarray:
    """Angles (T, len(order)) in degrees with ``from_euler(order, angles) == mats``."""
    T = mats.shape[0]
    if not order:
        if not np.allclose(mats, np.eye(3), atol=1e-8):
            raise SynspInputError(
                f"joint {joint!r} has no rotation channels but its local rotation is not the identity"
            )
        return np.zeros((T, 0))
    full = order + "".join(a for a in "ZYX" if a not in order)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gimbal-lock warning: the matrix is still reproduced exactly
        ang = Rotation.from_matrix(mats).as_euler(full, degrees=True)
    if len(order) < 3:
        rest = ang[:, len(order):]
        if np.abs(rest).max(initial=0.0) > 1e-5:
            raise SynspInputError(
                f"joint {joint!r} has only the rotation channels {order} but its rotation needs "
                f"the axes {full[len(order):]} too; write it with three rotation channels"
            )
        ang = ang[:, : len(order)]
    return np.unwrap(ang, period=360.0, axis=0)  # no 360-degree jumps from frame to frame


def write_bvh(
    motion: Motion,
    path: Any,
    *,
    channels: Sequence[Sequence[str]] | None = None,
    precision: int = 9,
) -> None:
    """Write ``motion`` as a BVH file (``.bvh``, or gzip-compressed when ``path`` ends in ``.gz``).

    Lengths are written in ``motion.units`` (call :meth:`Motion.to_metres` or
    :meth:`Motion.scaled` first to change them).  The channel layout is ``channels`` if
    given, else the one the motion was read with, else ``Xposition Yposition Zposition
    Zrotation Yrotation Xrotation`` for the root and ``Zrotation Yrotation Xrotation``
    elsewhere.  Points flagged in ``motion.end_site`` become ``End Site`` entries.
    ASF/AMC motions (``offset_frame == "self"``) are converted with
    :meth:`Motion.to_parent_frame` first.  The file is written to a temporary file in the
    same folder and moved into place with ``os.replace`` (atomic).
    """
    if not isinstance(motion, Motion):
        raise SynspInputError(f"write_bvh expects a Motion; found {type(motion).__name__}")
    m = motion.to_parent_frame()
    J, T = m.num_joints, m.num_frames
    end = m.end_site if m.end_site is not None else np.zeros(J, dtype=bool)
    children: list[list[int]] = [[] for _ in range(J)]
    for j in range(1, J):
        children[m.parents[j]].append(j)
    if end[0]:
        raise SynspInputError("the root joint cannot be an End Site")
    for j in range(J):
        if end[j] and children[j]:
            raise SynspInputError(f"joint {m.joint_names[j]!r} is marked as an End Site but has children")

    if channels is None:
        if m.channels is not None and m is motion:
            channels = m.channels
        else:
            chans = []
            for j in range(J):
                if end[j]:
                    chans.append(())
                elif j == 0:
                    chans.append(_POS + _DEFAULT_ROT)
                elif m.translations is not None and not np.allclose(m.translations[:, j], m.offsets[j]):
                    chans.append(_POS + _DEFAULT_ROT)
                else:
                    chans.append(_DEFAULT_ROT)
            channels = chans
    if len(channels) != J:
        raise SynspInputError(f"channels has {len(channels)} entries; expected one per joint ({J})")
    canon_channels = []
    for j, chans in enumerate(channels):
        canon = []
        for c in chans:
            cc = _CANON.get(str(c).lower())
            if cc is None:
                raise SynspInputError(
                    f"unknown channel name {c!r} for joint {m.joint_names[j]!r}; expected one of {', '.join(BVH_CHANNELS)}"
                )
            if cc in canon:
                raise SynspInputError(f"channel {cc} listed twice for joint {m.joint_names[j]!r}")
            canon.append(cc)
        if end[j] and canon:
            raise SynspInputError(f"End Site {m.joint_names[j]!r} cannot have channels")
        canon_channels.append(tuple(canon))

    columns: list[np.ndarray] = []
    for j in range(J):
        if end[j]:
            continue
        chans = canon_channels[j]
        local_t = m.root_translation if j == 0 else (
            m.translations[:, j] if m.translations is not None else np.broadcast_to(m.offsets[j], (T, 3))
        )
        delta = local_t - m.offsets[j]
        pos_axes = [ch[0] for ch in chans if ch.endswith("position")]
        for a, axis in enumerate("XYZ"):
            if axis not in pos_axes and np.abs(delta[:, a]).max(initial=0.0) > 1e-9 * max(1.0, np.abs(local_t).max()):
                what = "root translation" if j == 0 else "per-frame translation"
                raise SynspInputError(
                    f"joint {m.joint_names[j]!r} has a {what} along {axis} but no {axis}position channel"
                )
        order = "".join(ch[0] for ch in chans if ch.endswith("rotation"))
        ang = _euler_for(m.local_rotations[:, j], order, m.joint_names[j])
        r = 0
        for ch in chans:
            if ch.endswith("position"):
                columns.append(delta[:, "XYZ".index(ch[0])])
            else:
                columns.append(ang[:, r])
                r += 1
    data = np.stack(columns, axis=1) if columns else np.zeros((T, 0))
    header = _hierarchy_lines(m.joint_names, m.parents, m.offsets, end, canon_channels, m.fps, T, precision)
    atomic_write(path, lambda fh: _write_text(fh, header, [data], precision))


def _number_format(precision: int) -> Any:
    """``num(v)``: ``v`` as text with ``precision`` significant digits ("0" for -0)."""
    fmt = f"%.{int(precision)}g"

    def num(v: float) -> str:
        s = fmt % v
        return "0" if s == "-0" else s

    return num


def _hierarchy_lines(names: Sequence[str], parents: np.ndarray, offsets: np.ndarray, end: np.ndarray,
                     channels: Sequence[Sequence[str]], fps: float, frames: int, precision: int) -> list[str]:
    """The lines of a BVH file up to its first frame: HIERARCHY (two spaces per level), MOTION, Frames, Frame Time."""
    num = _number_format(precision)
    children: list[list[int]] = [[] for _ in names]
    for j in range(1, len(names)):
        children[parents[j]].append(j)
    out: list[str] = ["HIERARCHY"]
    # depth-first, iteratively (any depth): ("open", joint, depth) entries, and ("close", ...) for the '}'
    todo: list[tuple[str, int, int]] = [("open", 0, 0)]
    while todo:
        what, j, depth = todo.pop()
        ind = "  " * depth
        if what == "close":
            out.append(f"{ind}}}")
            continue
        off = " ".join(num(v) for v in offsets[j])
        if end[j]:
            out.extend([f"{ind}End Site", f"{ind}{{", f"{ind}  OFFSET {off}", f"{ind}}}"])
            continue
        out.append(f"{ind}{'ROOT' if j == 0 else 'JOINT'} {names[j]}")
        out.append(f"{ind}{{")
        out.append(f"{ind}  OFFSET {off}")
        chans = channels[j]
        out.append(f"{ind}  CHANNELS {len(chans)}" + "".join(f" {c}" for c in chans))
        todo.append(("close", j, depth))
        todo.extend(("open", c, depth + 1) for c in reversed(children[j]))
    return out + ["MOTION", f"Frames: {frames}", f"Frame Time: {1.0 / fps:.8f}"]


def _write_text(fh: IO[str], header: list[str], blocks: Iterable[np.ndarray], precision: int) -> None:
    """``header``'s lines, then every row of each ``(frames, channels)`` block as a frame line."""
    num = _number_format(precision)
    fh.write("\n".join(header) + "\n")
    for block in blocks:
        for row in block:
            fh.write(" ".join(num(v) for v in row) + "\n")


# ---- the pose-file contract (synsp.io.tracks) ----------------------------------------------


def sniff(path: Any) -> bool:
    """A ``.bvh`` / ``.bvh.gz`` file."""
    try:
        p = as_path(path)
        return p.is_file() and p.name.lower().endswith((".bvh", ".bvh.gz"))
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def read(path: Any, units: str = "cm", fps: float | None = None, end_sites: bool = True, rotations: bool = False):
    """One track (id 0) of the joint positions ``(T, J, 3)`` computed by forward kinematics, in the
    file's units (BVH states none: ``units`` labels them, default ``"cm"``), at the file's frame rate
    (or ``fps``).  End Sites are points ``<parent>_end`` unless ``end_sites=False``.  The skeleton is
    the registered synsp skeleton whose joints the names are, else one of the file's own joints
    (:func:`synsp.skeletons.skeleton_of_names`: its hierarchy, left/right pairs guessed from the names), never
    one borrowed by the joint count; ``meta`` keeps the joint names and parents.  See :func:`read_bvh`.

    ``rotations=True``: the joints' local rotations instead, as axis-angles ``(T, R, 3)`` (radians,
    ``units="axis-angle"``, refined like a body model's rotations by :func:`synsp.api.refine_pose_file`)
    of the ``R`` joints with three rotation channels (End Sites and joints with fewer channels are kept
    as they are), the root's position as ``meta['translation'][0]`` and the file's hierarchy and channel
    values in ``meta['bvh']`` (:class:`BvhChannels`), so that :func:`write` writes the same hierarchy and
    channels back with the new rotations and root path (``synsp refine dance.bvh -o clean.bvh``); no joint's
    rotation matrices nor positions are computed (an hour of 57 joints stays within a few hundred MB)."""

    p = as_path(path)
    if rotations:
        return _rotation_file(p, units, fps, end_sites)
    m = read_bvh(p, units=units, fps=fps, end_sites=end_sites)
    pos = m.positions
    present = np.flatnonzero(np.isfinite(pos).any(axis=(-1, -2)))
    tracks = [Track(0, present, pos[present])] if len(present) else []
    named = skeleton_of_names(m.joint_names, m.parents)
    return PoseFile(tracks=tracks, num_frames=m.num_frames, format="bvh", skeleton=named, fps=m.fps, units=m.units,
                    source=p, meta=dict(joint_names=list(m.joint_names), parents=m.parents.copy(),
                                        named_skeleton=named))


@dataclass(frozen=True)
class BvhChannels:
    """A BVH file as read for its rotations (``read(..., rotations=True)``): what :func:`write` needs to write it
    back.  Per kept joint (End Sites as points ``<parent>_end`` unless dropped): ``names``, ``parents``,
    ``offsets`` ``(J, 3)``, ``end`` (End Site or not), ``channels`` and ``starts`` (its first column among the
    file's ``num_channels``), ``fps``; ``rotating``: the joints with three rotation channels, in the order of the
    rotations read; ``values`` ``(T, K)`` the channels the refinement does not give (not the rotating joints'
    rotations nor the root's position) as read, at the file's columns ``value_columns`` ``(K,)`` (only those: an
    hour of a 57-joint take at 120 Hz would hold 450 MB of angles that are written anew); ``first`` every channel of
    the first frame (the Euler branch and turns the written angles start from)."""

    names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    end: np.ndarray
    channels: list[tuple[str, ...]]
    starts: list[int]
    values: np.ndarray
    fps: float
    rotating: list[int]
    value_columns: np.ndarray
    num_channels: int
    first: np.ndarray | None = None

    def rotation_columns(self) -> dict[str, tuple[list[int], np.ndarray]]:
        """``{order: (positions in rotating, (n, 3) value columns)}``: the rotating joints by channel order."""
        out: dict[str, tuple[list[int], list[list[int]]]] = {}
        for r, j in enumerate(self.rotating):
            cols = [(self.starts[j] + c, ch[0]) for c, ch in enumerate(self.channels[j]) if ch.endswith("rotation")]
            order = "".join(axis for _, axis in cols)
            out.setdefault(order, ([], []))[0].append(r)
            out[order][1].append([c for c, _ in cols])
        return {order: (rs, np.asarray(cols)) for order, (rs, cols) in out.items()}

    def root_positions(self) -> dict[int, int]:
        """``{axis: column}``: the root's position channels."""
        return {"XYZ".index(ch[0]): self.starts[0] + c for c, ch in enumerate(self.channels[0])
                if ch.endswith("position")}


#: frames converted at a time between Euler angles and axis-angles (bounded memory on long files)
_CHUNK = 8192


def _rotation_file(p: Any, units: str, fps: float | None, end_sites: bool) -> PoseFile:
    """:func:`read` with ``rotations=True``: the 3-channel joints' local rotations as one track, converted from
    the file's Euler angles a chunk of frames at a time."""
    src, nodes, fps, starts, data = _parse_file(p, units, fps)
    keep, names, parents = _kept_joints(src, nodes, end_sites)
    every = np.arange(data.shape[1])  # the columns kept until the ones write() gives are known (below)
    layout = BvhChannels(
        names=names, parents=parents, offsets=np.stack([nodes[j].offset for j in keep]),
        end=np.array([nodes[j].is_end for j in keep]), channels=[nodes[j].channels for j in keep],
        starts=[starts[j] for j in keep], values=data, fps=fps,
        rotating=[k for k, j in enumerate(keep) if sum(c.endswith("rotation") for c in nodes[j].channels) == 3],
        value_columns=every, num_channels=data.shape[1], first=data[0].copy() if len(data) else None)
    given = {int(c) for _, cols in layout.rotation_columns().values() for c in np.ravel(cols)}
    given |= set(layout.root_positions().values())  # the columns write() fills from the refined rotations and root
    columns = every[~np.isin(every, list(given))]
    layout = dataclasses.replace(layout, values=np.ascontiguousarray(data[:, columns]), value_columns=columns)
    if not layout.rotating:
        raise SynspInputError(f"{p}: no joint has three rotation channels; nothing to refine as rotations "
                              "(write the joint positions to an .npz or a .trc instead)")
    T = len(data)
    rotvec = np.empty((T, len(layout.rotating), 3))
    for order, (rs, cols) in layout.rotation_columns().items():
        for a in range(0, T, _CHUNK):
            angles = data[a:a + _CHUNK][:, cols].reshape(-1, 3)
            rotvec[a:a + _CHUNK, rs] = Rotation.from_euler(order, angles, degrees=True).as_rotvec().reshape(
                -1, len(rs), 3)
    root = _translation(layout.offsets[0], data, layout.root_positions())
    return PoseFile(tracks=[Track(0, np.arange(T), rotvec)], num_frames=T, format="bvh", skeleton=None,
                    fps=fps, units="axis-angle", source=p,
                    meta=dict(joint_names=[names[j] for j in layout.rotating], rotating=list(layout.rotating),
                              bvh=layout, translation={0: root}))


def write(path: Any, pose_file) -> Any:
    """A BVH read with ``read(..., rotations=True)``: the same hierarchy and channels, its joints' rotations
    and root path from ``pose_file`` (refined), every other value as read.  Joint positions (a BVH read as
    positions) cannot be written back as joint rotations."""
    layout = pose_file.meta.get("bvh")
    if pose_file.units != "axis-angle" or not isinstance(layout, BvhChannels):
        raise SynspInputError(
            f"{path}: writing refined joint positions back into BVH rotations is not supported; "
            "write them as an .npz (joint positions array) or a .trc (markers named after the joints) instead, "
            "or refine the .bvh into a .bvh (its joint rotations are refined then)")
    rotating = list(layout.rotating)
    T = len(layout.values)  # (T, K), K maybe 0
    if len(pose_file.tracks) != 1 or pose_file.num_joints != len(rotating) or pose_file.num_frames != T:
        raise SynspInputError(f"{path}: the rotations do not fit the BVH they were read from ({len(rotating)} "
                              f"rotating joints, {T} frames)")
    track = pose_file.tracks[0]
    if len(track.frames) == T and (track.frames == np.arange(T)).all():
        rotvec = np.asarray(track.keypoints)  # every frame: the refined rotations themselves (an hour: no copy)
    else:
        rotvec = np.full((T, len(rotating), 3), np.nan)
        rotvec[track.frames] = track.keypoints
    root = np.asarray(pose_file.meta.get("translation", {}).get(track.track_id, np.nan), float)
    if not (np.isfinite(rotvec).all() and root.shape == (T, 3) and np.isfinite(root).all()):
        raise SynspInputError(f"{path}: a rotation or root position is missing or not finite; nothing written")
    delta = root - layout.offsets[0]
    placed = layout.root_positions()
    for axis in set(range(3)) - set(placed):
        if np.abs(delta[:, axis]).max(initial=0.0) > 1e-9 * max(1.0, np.abs(root).max()):
            raise SynspInputError(f"joint {layout.names[0]!r} has a root translation along {'XYZ'[axis]} but no "
                                  f"{'XYZ'[axis]}position channel")
    header = _hierarchy_lines(layout.names, layout.parents, layout.offsets, layout.end, layout.channels,
                              layout.fps, T, 9)
    atomic_write(path, lambda fh: _write_text(fh, header, _refined_values(layout, rotvec, delta), 9))
    return as_path(path)


def _nearest_euler(angles: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Euler angles ``(..., 3)`` in degrees of a Tait-Bryan order (three different axes, as every BVH joint has):
    of the rotation's two sets, ``angles`` and ``(a + 180, 180 - b, c + 180)``, each angle moved by whole turns to
    lie nearest ``given`` ``(..., 3)``, the set nearer ``given`` in all."""
    other = angles + np.array([180.0, 0.0, 180.0])
    other[..., 1] = 180.0 - angles[..., 1]
    near = [a + 360.0 * np.round((given - a) / 360.0) for a in (angles, other)]
    closer = np.abs(near[1] - given).sum(-1) < np.abs(near[0] - given).sum(-1)
    return np.where(closer[..., None], near[1], near[0])


def _refined_values(layout: BvhChannels, rotvec: np.ndarray, delta: np.ndarray) -> Iterator[np.ndarray]:
    """The channel values of ``layout`` a chunk of frames at a time, with the rotating joints' angles from
    ``rotvec`` and the root's position channels from ``delta`` (its translation less its offset); every other
    channel as read.  Each rotation has two sets of Euler angles, ``(a, b, c)`` and ``(a + 180, 180 - b, c + 180)``,
    each up to turns of 360 degrees: the one nearest the angles the file had for that joint and frame is written, so
    the curves keep their branch and turns (an exporter's unwrapped spin, a shoulder raised past 90 degrees)
    instead of flipping by 180 degrees where the decomposition's own branch changes: the first frame's set nearest
    the file's first frame, every later frame's nearest the frame before it (:func:`_nearest_euler`)."""
    groups = layout.rotation_columns()
    placed = layout.root_positions()
    T = len(layout.values)
    last = {order: None if layout.first is None else layout.first[cols] for order, (_, cols) in groups.items()}
    for a in range(0, T, _CHUNK):
        n = min(_CHUNK, T - a)
        block = np.empty((n, layout.num_channels))
        block[:, layout.value_columns] = layout.values[a:a + n]
        for axis, col in placed.items():
            block[:, col] = delta[a:a + n, axis]
        for order, (rs, cols) in groups.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # gimbal-lock warning: the rotation is still reproduced exactly
                ang = Rotation.from_rotvec(rotvec[a:a + n, rs].reshape(-1, 3)).as_euler(order, degrees=True)
            ang = ang.reshape(n, len(rs), 3)
            for t in range(n):  # each frame's set nearest the one written before it (the file's first frame's)
                ang[t] = last[order] = ang[t] if last[order] is None else _nearest_euler(ang[t], last[order])
            block[:, cols] = ang
        yield block
