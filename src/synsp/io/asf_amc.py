"""Acclaim ASF (skeleton) / AMC (motion) reader, as used by the CMU motion-capture database.

Forward kinematics (column vectors; ``Rx, Ry, Rz`` are the elementary rotations)
--------------------------------------------------------------------------------
* Each bone has ``direction`` (unit vector), ``length``, ``axis a b c ORDER`` (degrees)
  and an optional ``dof`` list.  ``C`` composes the axis angles about fixed axes in
  ``ORDER``: for ``XYZ`` (every CMU bone) ``C = Rz(c) @ Ry(b) @ Rx(a)``.
* A frame's bone line gives the dof values in the ``dof`` order; ``M`` composes them in
  the same axis order as ``C`` (``M = Rz(rz) @ Ry(ry) @ Rx(rx)`` for ``XYZ``), missing
  dofs being 0.  Then ``L = C @ M @ C^-1``, ``G_bone = G_parent @ L`` and
  ``end_bone = end_parent + G_bone @ (direction * length)``.
* The root: ``p_root = (TX, TY, TZ)`` and ``G_root = Rz(RZ) @ Ry(RY) @ Rx(RX)`` (for the
  root ``axis XYZ``; values are read in the root's ``order``).  A non-zero root
  ``orientation`` is applied like a bone axis (``C M C^-1``); the root ``position`` is
  ignored (the AMC values are absolute).

The returned :class:`~synsp.io.Motion` has one point per bone **end**, root first, then
the bones in ``:bonedata`` order (re-ordered only if a child is listed before its parent).
For the CMU skeleton these are the 31 points ``root, lhipjoint, lfemur (knee), ltibia
(ankle), lfoot, ltoes, rhipjoint, ..., rthumb``.  Its ``offset_frame`` is ``"self"`` and
its ``offsets`` are the bone vectors ``direction * length``.

Units: ASF lengths are in ``1 / length`` inches, where ``length`` is the ``:units``
value (0.45 for CMU, i.e. 0.056444 m per unit).  ``read_amc`` returns metres by default
(``metres=False`` keeps ASF units, labelled ``"asf"``).  The frame rate is not stored in
AMC files: 120 fps (CMU) unless ``fps=`` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from synsp.io._common import as_path, read_text
from synsp.io.motion import Motion
from synsp.validation import SynspInputError

__all__ = ["AsfSkeleton", "read_asf", "read_amc", "read_asf_amc", "find_asf_for"]

_ROT_DOFS = ("rx", "ry", "rz")


@dataclass
class AsfSkeleton:
    """A parsed ASF file.  Index 0 is the root; bones follow in ``:bonedata`` order."""

    name: str
    bone_names: list[str]
    parents: np.ndarray  # (B,)
    directions: np.ndarray  # (B, 3), root row 0
    lengths: np.ndarray  # (B,)
    axes: np.ndarray  # (B, 3) axis angles, degrees, in the order of ``axis_orders``
    axis_orders: list[str]  # e.g. "XYZ"
    dofs: list[tuple[str, ...]]  # per bone, lower-case ("rx", "ry", "rz"); root: ("tx", ..., "rz")
    length_unit: float = 1.0  # the ``:units length`` value
    angle_unit: str = "deg"
    source: str | None = None
    root_orientation: np.ndarray = field(default_factory=lambda: np.zeros(3))

    @property
    def metres_per_unit(self) -> float:
        """Metres per ASF length unit: ``0.0254 / length`` (0.056444 for CMU's 0.45)."""
        return 0.0254 / self.length_unit

    @property
    def offsets(self) -> np.ndarray:
        """(B, 3) bone vectors ``direction * length`` (zero for the root)."""
        return self.directions * self.lengths[:, None]


def _err(path: str, line: int, msg: str) -> SynspInputError:
    return SynspInputError(f"{path}: line {line}: {msg}")


def _floats(path: str, line: int, words: list[str], n: int, what: str) -> list[float]:
    if len(words) < n:
        raise _err(path, line, f"{what} has {len(words)} numbers; expected {n}")
    try:
        return [float(w) for w in words[:n]]
    except ValueError:
        raise _err(path, line, f"{what} must be {n} numbers; found {' '.join(words[:n])!r}") from None


def _fixed_axes_matrix(angles: np.ndarray, order: str) -> np.ndarray:
    """Compose rotations about fixed axes in ``order``: "XYZ" -> Rz @ Ry @ Rx.  angles in degrees, (..., 3)."""
    return Rotation.from_euler(order.lower(), angles, degrees=True).as_matrix()


@dataclass
class _AsfText:
    """What the ASF's sections say, before the bones are put in order (see :func:`_parse_asf`)."""

    name: str
    length_unit: float = 1.0
    angle_unit: str = "deg"
    root_order: list[str] = field(default_factory=lambda: ["tx", "ty", "tz", "rx", "ry", "rz"])
    root_axis: str = "XYZ"
    root_orient: np.ndarray = field(default_factory=lambda: np.zeros(3))
    bones: list[dict] = field(default_factory=list)  # per begin/end block: line, name, direction, length, ...
    hierarchy: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, [parent, child, ...])


def read_asf(path: Any) -> AsfSkeleton:
    """Parse an ASF skeleton file (``.asf`` or ``.asf.gz``)."""
    p = as_path(path)
    src = str(p)
    text = _parse_asf(src, read_text(p).splitlines(), p.stem)
    names, parent_of = _bone_parents(src, text)
    order = _topological_order(src, names, parent_of)
    return _skeleton_in_order(src, text, order, parent_of)


def _parse_asf(src: str, lines: list[str], default_name: str) -> _AsfText:
    """The ``:name``, ``:units``, ``:root``, ``:bonedata`` and ``:hierarchy`` sections (others are skipped)."""
    out = _AsfText(name=default_name)
    section = None
    cur: dict | None = None
    in_hier_block = False
    saw_bonedata = False
    for ln, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith(":"):
            words = s.split()
            section = words[0][1:].lower()
            if section == "name" and len(words) > 1:
                out.name = words[1]
            if section == "bonedata":
                saw_bonedata = True
            continue
        words = s.split()
        key = words[0].lower()
        if section == "units":
            _units_line(src, ln, key, words, out)
        elif section == "root":
            _root_line(src, ln, key, words, out)
        elif section == "bonedata":
            cur = _bone_line(src, ln, key, words, cur, out)
        elif section == "hierarchy":
            if key == "begin":
                in_hier_block = True
            elif key == "end":
                in_hier_block = False
            elif in_hier_block:
                out.hierarchy.append((ln, words))
    if cur is not None:
        raise _err(src, cur["line"], "bone block 'begin' is never closed by 'end'")
    if not saw_bonedata or not out.bones:
        raise SynspInputError(f"{src}: no bones found; expected a ':bonedata' section with begin/end blocks")
    if not out.hierarchy:
        raise SynspInputError(f"{src}: no ':hierarchy' section; expected 'parent child ...' lines")
    return out


def _units_line(src: str, ln: int, key: str, words: list[str], out: _AsfText) -> None:
    """A ``:units`` line: ``length`` (ASF units per 1/length inch) and ``angle`` (deg or rad); mass is ignored."""
    if key == "length":
        out.length_unit = _floats(src, ln, words[1:], 1, "length")[0]
        if out.length_unit <= 0:
            raise _err(src, ln, f"':units length' is {out.length_unit}; expected > 0")
    elif key == "angle":
        if len(words) < 2 or words[1].lower() not in ("deg", "rad"):
            raise _err(src, ln, f"':units angle' is {' '.join(words[1:])!r}; expected 'deg' or 'rad'")
        out.angle_unit = words[1].lower()


def _root_line(src: str, ln: int, key: str, words: list[str], out: _AsfText) -> None:
    """A ``:root`` line: the ``order`` of the AMC root values, the ``axis`` order, the ``orientation``."""
    if key == "order":
        out.root_order = [w.lower() for w in words[1:]]
        bad = [w for w in out.root_order if w not in ("tx", "ty", "tz", "rx", "ry", "rz")]
        if bad:
            raise _err(src, ln, f"root order has unknown entries {bad}; expected TX TY TZ RX RY RZ")
    elif key == "axis":
        out.root_axis = words[1].upper() if len(words) > 1 else ""
        if sorted(out.root_axis) != ["X", "Y", "Z"]:
            raise _err(src, ln, f"root axis {out.root_axis!r} is not an order of X, Y, Z")
    elif key == "orientation":
        out.root_orient = np.array(_floats(src, ln, words[1:], 3, "root orientation"))


def _bone_line(src: str, ln: int, key: str, words: list[str], cur: dict | None, out: _AsfText) -> dict | None:
    """A ``:bonedata`` line; returns the open bone block (None after ``end``, which appends it to ``out``)."""
    if key == "begin":
        return {"line": ln, "name": None, "direction": None, "length": None,
                "axis": np.zeros(3), "order": "XYZ", "dof": ()}
    if key == "end":
        if cur is None:
            raise _err(src, ln, "'end' without a matching 'begin' in :bonedata")
        for req in ("name", "direction", "length"):
            if cur[req] is None:
                raise _err(src, cur["line"], f"bone block has no '{req}'")
        out.bones.append(cur)
        return None
    if cur is None:
        raise _err(src, ln, f"found {words[0]!r} outside a begin/end bone block")
    if key == "name":
        if len(words) < 2:
            raise _err(src, ln, "bone 'name' without a value")
        cur["name"] = words[1]
    elif key == "direction":
        cur["direction"] = np.array(_floats(src, ln, words[1:], 3, "direction"))
    elif key == "length":
        cur["length"] = _floats(src, ln, words[1:], 1, "length")[0]
    elif key == "axis":
        cur["axis"] = np.array(_floats(src, ln, words[1:], 3, "axis"))
        order = words[4].upper() if len(words) > 4 else "XYZ"
        if sorted(order) != ["X", "Y", "Z"]:
            raise _err(src, ln, f"axis order {order!r} is not an order of X, Y, Z")
        cur["order"] = order
    elif key == "dof":
        dofs = tuple(w.lower() for w in words[1:])
        bad = [d for d in dofs if d not in _ROT_DOFS]
        if bad:
            raise _err(
                src, ln,
                f"bone {cur['name']!r} has dof {bad}; only rotational dofs rx ry rz are supported",
            )
        cur["dof"] = dofs
    # id, limits (and their continuation lines), bodymass, cofmass: ignored
    return cur


def _bone_parents(src: str, text: _AsfText) -> tuple[list[str], dict[str, str]]:
    """``(names, parent of each bone)``: ``root`` then the bones in ``:bonedata`` order, the parents from
    ``:hierarchy``; a name used twice, an unknown name, a second parent or a bone without one raise."""
    names = ["root"] + [b["name"] for b in text.bones]
    index = {}
    for k, n in enumerate(names):
        if n in index:
            line = text.bones[k - 1]["line"] if k else 0
            raise _err(src, line, f"bone name {n!r} is used twice")
        index[n] = k
    parent_of: dict[str, str] = {}
    for ln, words in text.hierarchy:
        par = words[0]
        if par not in index:
            raise _err(src, ln, f"hierarchy names unknown bone {par!r}; known bones: {names}")
        for child in words[1:]:
            if child not in index:
                raise _err(src, ln, f"hierarchy names unknown bone {child!r}; known bones: {names}")
            if child == "root":
                raise _err(src, ln, "the root cannot be a child")
            if child in parent_of:
                raise _err(src, ln, f"bone {child!r} has two parents ({parent_of[child]!r} and {par!r})")
            parent_of[child] = par
    orphans = [n for n in names[1:] if n not in parent_of]
    if orphans:
        raise SynspInputError(f"{src}: bones {orphans} have no parent in ':hierarchy'")
    return names, parent_of


def _topological_order(src: str, names: list[str], parent_of: dict[str, str]) -> list[str]:
    """``names`` with every bone after its ancestors (the given order when it already is); a cycle raises."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str) -> None:  # n after its ancestors; iterative, so any depth is fine
        chain: list[str] = []
        while state.get(n) != 2:
            if state.get(n) == 1:
                cycle = chain[chain.index(n):] + [n]
                raise SynspInputError(f"{src}: ':hierarchy' has a cycle through {' -> '.join(cycle)}")
            state[n] = 1
            chain.append(n)
            if n not in parent_of:
                break
            n = parent_of[n]
        for c in reversed(chain):
            state[c] = 2
            order.append(c)

    for n in names:
        visit(n)
    return order


def _skeleton_in_order(src: str, text: _AsfText, order: list[str], parent_of: dict[str, str]) -> AsfSkeleton:
    """The :class:`AsfSkeleton` with bones in ``order`` (root first); radians become degrees."""
    pos = {n: k for k, n in enumerate(order)}
    by_name = {b["name"]: b for b in text.bones}
    B = len(order)
    directions = np.zeros((B, 3))
    lengths = np.zeros(B)
    axes = np.zeros((B, 3))
    axis_orders = []
    dofs: list[tuple[str, ...]] = []
    parents = np.full(B, -1, dtype=np.int64)
    for k, n in enumerate(order):
        if n == "root":
            axes[k] = text.root_orient
            axis_orders.append(text.root_axis)
            dofs.append(tuple(text.root_order))
            continue
        b = by_name[n]
        parents[k] = pos[parent_of[n]]
        directions[k] = b["direction"]
        lengths[k] = b["length"]
        axes[k] = b["axis"]
        axis_orders.append(b["order"])
        dofs.append(b["dof"])
    if text.angle_unit == "rad":
        axes = np.degrees(axes)
    return AsfSkeleton(
        name=text.name,
        bone_names=order,
        parents=parents,
        directions=directions,
        lengths=lengths,
        axes=axes,
        axis_orders=axis_orders,
        dofs=dofs,
        length_unit=text.length_unit,
        angle_unit=text.angle_unit,
        source=src,
        root_orientation=np.degrees(text.root_orient) if text.angle_unit == "rad" else text.root_orient,
    )


def find_asf_for(amc_path: Any) -> Path:
    """The ASF beside an AMC: ``<subject>.asf`` for ``<subject>_<trial>.amc(.gz)``, else the only ``*.asf``."""
    p = as_path(amc_path)
    stem = p.name.split(".")[0]
    candidates = [p.parent / f"{stem.split('_')[0]}.asf", p.parent / f"{stem}.asf"]
    for c in candidates:
        if c.is_file():
            return c
    found = sorted(p.parent.glob("*.asf")) + sorted(p.parent.glob("*.asf.gz"))
    if len(found) == 1:
        return found[0]
    raise SynspInputError(
        f"{p}: cannot find its ASF skeleton (looked for {candidates[0].name} and a single *.asf in "
        f"{p.parent}, found {len(found)}); pass the skeleton explicitly (asf=...)"
    )


def read_amc(
    path: Any,
    skeleton: AsfSkeleton | Any,
    *,
    fps: float = 120.0,
    metres: bool = True,
) -> Motion:
    """Read an AMC motion (``.amc`` or ``.amc.gz``) for an ASF skeleton (an :class:`AsfSkeleton` or a path).

    Returns a :class:`Motion` whose points are the bone ends (see the module docstring),
    in metres unless ``metres=False``.  Bones missing from a frame keep zero angles.
    """
    skel = skeleton if isinstance(skeleton, AsfSkeleton) else read_asf(skeleton)
    p = as_path(path)
    src = str(p)
    col = _amc_columns(skel)
    data, degrees = _parse_amc(src, read_text(p).splitlines(), skel, col)
    rots, root_t = _local_transforms(skel, col, data, degrees)
    scale = skel.metres_per_unit if metres else 1.0
    return Motion(
        joint_names=list(skel.bone_names),
        parents=skel.parents,
        offsets=skel.offsets * scale,
        local_rotations=rots,
        root_translation=root_t * scale,
        fps=fps,
        units="m" if metres else "asf",
        metres_per_unit=1.0 if metres else skel.metres_per_unit,
        source=src,
        offset_frame="self",
    )


def _amc_columns(skel: AsfSkeleton) -> dict[str, tuple[int, int]]:
    """``(first column, number of dofs)`` of every bone in a frame's value vector (bones in skeleton order)."""
    col: dict[str, tuple[int, int]] = {}
    n_cols = 0
    for k, n in enumerate(skel.bone_names):
        col[n] = (n_cols, len(skel.dofs[k]))
        n_cols += len(skel.dofs[k])
    return col


def _parse_amc(
    src: str, lines: list[str], skel: AsfSkeleton, col: dict[str, tuple[int, int]]
) -> tuple[np.ndarray, bool]:
    """``(values (T, columns), angles in degrees)``: a frame-number line starts a frame, each bone line
    fills its columns (bones not listed stay 0); ``:DEGREES`` / ``:RADIANS`` switch the angle unit."""
    n_cols = sum(n for _, n in col.values())
    degrees = skel.angle_unit == "deg"
    frames: list[np.ndarray] = []
    frame_numbers: list[int] = []
    cur: np.ndarray | None = None
    for ln, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s or s[0] == "#":
            continue
        if s[0] == ":":
            word = s.split()[0].upper()
            if word == ":DEGREES":
                degrees = True
            elif word == ":RADIANS":
                degrees = False
            continue
        words = s.split()
        if len(words) == 1 and words[0].lstrip("-").isdigit():
            cur = np.zeros(n_cols)
            frames.append(cur)
            frame_numbers.append(int(words[0]))
            continue
        name = words[0]
        if name not in col:
            raise _err(
                src, ln,
                f"unknown bone {name!r} (not in the ASF skeleton {skel.source or skel.name}); "
                f"known bones: {', '.join(skel.bone_names)}",
            )
        if cur is None:
            raise _err(src, ln, f"bone {name!r} appears before the first frame number")
        start, n = col[name]
        if len(words) - 1 != n:
            raise _err(src, ln, f"bone {name!r} has {len(words) - 1} values; its ASF dof list needs {n}")
        try:
            cur[start:start + n] = [float(w) for w in words[1:]]
        except ValueError:
            raise _err(src, ln, f"bone {name!r} has a value that is not a number: {' '.join(words[1:])!r}") from None
    if not frames:
        raise SynspInputError(f"{src}: no frames found; expected frame-number lines followed by bone lines")
    data = np.stack(frames)
    if not np.isfinite(data).all():
        k = int(np.argwhere(~np.isfinite(data))[0, 0])
        raise SynspInputError(f"{src}: frame {frame_numbers[k]} contains a NaN or inf value")
    return data, degrees


def _local_transforms(
    skel: AsfSkeleton, col: dict[str, tuple[int, int]], data: np.ndarray, degrees: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``(local rotations (T, B, 3, 3), root translation (T, 3) in ASF units)``: per bone
    ``L = C M C^-1`` (see the module docstring), the root's translation dofs as they are."""
    T, B = data.shape[0], len(skel.bone_names)
    rots = np.empty((T, B, 3, 3))
    root_t = np.zeros((T, 3))
    for k, n in enumerate(skel.bone_names):
        start, nd = col[n]
        vals = data[:, start:start + nd]
        order = skel.axis_orders[k]
        ang = np.zeros((T, 3))  # angles in the order of ``order``
        for d, dof in enumerate(skel.dofs[k]):
            axis = dof[1].upper()
            if dof[0] == "t":
                root_t[:, "XYZ".index(axis)] = vals[:, d]
            else:
                v = vals[:, d]
                ang[:, order.index(axis)] = v if degrees else np.degrees(v)
        M = _fixed_axes_matrix(ang, order)
        if np.any(skel.axes[k] != 0):
            C = _fixed_axes_matrix(skel.axes[k], order)
            M = C @ M @ C.T
        rots[:, k] = M
    return rots, root_t


def read_asf_amc(asf: Any, amc: Any, **kwargs: Any) -> Motion:
    """``read_amc(amc, read_asf(asf), **kwargs)``."""
    return read_amc(amc, read_asf(asf), **kwargs)
