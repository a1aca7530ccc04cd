"""Corpora of users' own clips, on any skeleton (``synsp data import``).

:func:`import_corpus` reads clean motion (the ground truth a refiner should
learn to recover) from BVH, ASF/AMC, TRC and ``.npy``/``.npz`` files, and
writes a corpus file in the format :func:`synsp.data.corpus.load_corpus`
reads, so ``synsp train --corpus my_corpus.npz`` trains on it unchanged:

1. every file is read with :func:`synsp.io.read_motion` (BVH/AMC: the joint
   positions of the :class:`~synsp.io.Motion`; TRC: the markers; arrays
   ``(T, J, 3)`` or ``(T, P, J, 3)``, each person a clip), converted to metres
   (BVH and arrays carry no unit: ``units``, default ``"cm"`` for BVH as its
   reader assumes, ``"m"`` for arrays; TRC, C3D, ASF and an ``.npz`` with a ``units`` key, as ``synsp refine``
   writes it, carry their own, which ``units`` does not change) and to
   y-up (``up="z"`` turns z-up data);
2. frames where a joint is not finite are cut (the clip is split there), and
   so are glitches as ``synsp data build`` finds them (a joint faster than
   20 m/s or accelerating harder than 20 g, with 0.1 s around: marker swaps,
   orientation spikes, a rest pose in front of a take; ``cut_glitches=False``
   keeps them, and the summary lists what was cut); each
   piece is resampled to ``fps_out`` = 30 fps, the rate models are trained at (a
   corpus at another rate is clean motion for other uses, which ``synsp train`` refuses),
   by linear interpolation: a 120 fps take gives four clips (phases 0-3), as in
   the built corpus; pieces shorter than ``min_frames`` are dropped;
3. every **file** is one take and goes to one split, by a SHA-256 hash of its
   path relative to the common folder of all files (``val_fraction``,
   ``test_fraction``; deterministic, independent of the order given), so no
   file straddles splits; when the hash leaves train or validation empty a
   file is moved there (the train file with the smallest hash to validation,
   the highest-hash other file to train), so at least 2 files are needed.

Folders are searched recursively for the suffixes in :data:`IMPORT_SUFFIXES`,
leaving out ``out`` and any other synsp corpus file found there.

Joint names: BVH/ASF joint names, TRC/C3D marker names; for arrays an ``.npz``'s
``joint_names`` array (one string per joint, as ``synsp refine -o x.npz`` writes
it), else ``joint_names`` (``--joint-names``); an ``.npz`` whose own names differ
from ``joint_names`` is refused (which of the two names its columns is not guessed),
and so are files whose names differ from each other's (both named).

The skeleton: ``skeleton`` naming a built-in skeleton (``"h36m17"``, ...)
stores the data under it, reordered by joint name when the files name its
joints (case and ``_`` ignored) and taken in file order when they only have
its joint count (names that match none of its joints, or arrays without names);
files naming some of its joints but not all are refused (never stored in file
order under its names), with the joints left unmatched.  Without ``skeleton``, files whose joint names are exactly a
built-in skeleton's, or unnamed arrays whose joint count only one built-in
skeleton has, use that skeleton.  Otherwise the corpus gets a **custom**
skeleton (named ``skeleton``, or ``custom<J>-<hash>``), stored in its meta
(``skeleton_definitions``) and registered on load: joint names from the files
(above; ``j0 .. j<J-1>`` for arrays without names); parents from the BVH/ASF hierarchy, else ``parents``, else -1
for all; left/right pairs guessed from the names (:func:`guess_left_right`);
root joints :func:`guess_root_joints` (a joint called pelvis/hips, else a
left/right hip pair, else every joint: the root is then the mean of all
joints).  All files must have the same joints (named files: the same names,
in any order; arrays: the same count).

Simulated estimator errors scale per joint by name (:func:`synsp.noise.joint_factors`;
unrecognised names get factor 1), mirroring swaps the guessed pairs (a skeleton
without pairs is not mirrored), and normalisation uses the root joints.  A
model trained on a custom skeleton carries the definition in its card and
works without the corpus.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..io import Markers, Motion, read_motion
from ..io._common import METRES_PER_UNIT, open_npz, suffix_of, unit_to_metres
from ..io.arrays import stored_joint_names
from ..io.tracks import read_pose_file
from ..skeletons import (BUILTIN_SKELETONS, SKELETONS, Skeleton, custom_skeleton, guess_left_right,
                         guess_root_joints, joint_key, joint_spellings)
from ..validation import SynspInputError, check_fps
from .corpus import BASE_FPS, GLITCH_ACCEL, GLITCH_SPEED, SPLITS, glitch_frames, resample_phases, save_corpus

__all__ = ["import_corpus", "ImportSummary", "guess_left_right", "guess_root_joints", "IMPORT_SUFFIXES",
           "check_up_axis", "upper_lower_joints", "placeholder_frames", "COLLAPSED_BODY_M"]

#: suffixes searched for in folders (``.asf`` files are the skeletons of ``.amc`` files, not clips)
IMPORT_SUFFIXES = (".bvh", ".bvh.gz", ".amc", ".amc.gz", ".trc", ".c3d", ".npy", ".npz")


@dataclass
class _Raw:
    take: str
    positions: np.ndarray  # (T, P, J, 3) metres, y up
    fps: float
    names: list[str] | None
    parents: list[int] | None
    kind: str
    own_units: str | None = None  # the unit a C3D or TRC file states (``units`` does not apply to them)


@dataclass
class ImportSummary:
    """What :func:`import_corpus` wrote: per split, files, clips and frames (phase 0)."""

    path: Path
    skeleton: str
    custom: bool
    skeleton_note: str
    files: dict[str, list[str]] = field(default_factory=dict)
    clips: dict[str, int] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)  # files or pieces left out, with the reason
    glitches: list[str] = field(default_factory=list)  # per file (and person), the glitch frames cut


#: a body whose joints all lie within this distance (m) of their mean in a frame has collapsed to one point
COLLAPSED_BODY_M = 0.01


def placeholder_frames(x: np.ndarray) -> np.ndarray:
    """``(T,)`` True on the frames of ``x`` ``(T, J, 3)`` (metres) that hold a placeholder rather than a pose: the
    whole body within :data:`COLLAPSED_BODY_M` of one point (an exporter's zeros for a lost take), or a joint at
    exactly (0, 0, 0) where it is elsewhere in most frames (a missing marker written as zeros; a joint at the origin
    throughout, a root-centred export's root, is a pose).  NaN frames are not placeholders (they are missing)."""
    with np.errstate(invalid="ignore"):
        spread = np.linalg.norm(x - x.mean(axis=1, keepdims=True), axis=-1).max(axis=-1)  # (T,)
        collapsed = spread < COLLAPSED_BODY_M
    zero = (x == 0).all(axis=-1)  # (T, J)
    placeholder = zero & (zero.mean(axis=0) < 0.5)[None]
    return collapsed | placeholder.any(axis=1)


def _short(names: Sequence[str], count: int = 6) -> str:
    return ", ".join(names[:count]) + (f", ... ({len(names)} in all)" if len(names) > count else "")


def _is_corpus(path: Path) -> bool:
    """A synsp corpus file (``meta`` + ``offsets``), e.g. an earlier import written into the folder."""
    if not path.name.lower().endswith(".npz"):
        return False

    try:
        with open_npz(path) as z:
            return {"meta", "offsets"} <= set(z.files)
    except SynspInputError:  # not a readable .npz: not a corpus (read as a motion file, it fails clearly)
        return False


def _files(paths: Sequence[str | os.PathLike], out: Path) -> list[Path]:
    out_path = out.resolve()
    found_all: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(IMPORT_SUFFIXES)
                           and not _is_corpus(f))
            if not found:
                raise SynspInputError(f"{p}: no motion file ({', '.join(IMPORT_SUFFIXES)}) in this folder")
            found_all.extend(found)
        elif p.is_file():
            found_all.append(p)
        else:
            raise SynspInputError(f"{p}: no such file or folder")
    clash = next((f for f in found_all if f.resolve() == out_path), None)
    if clash is not None:  # writing the corpus there would destroy one of the clips it is made of
        raise SynspInputError(f"-o {out}: that is one of the input motion files ({clash}); writing the corpus "
                              "there would overwrite it: choose another output file (e.g. my_corpus.npz)")
    unique = sorted({f.resolve() for f in found_all})
    if not unique:
        raise SynspInputError("no input files given")
    return unique


def _takes(files: list[Path]) -> list[str]:
    """Take ids: paths relative to the common folder of all files (posix separators)."""
    common = Path(os.path.commonpath([str(f.parent) for f in files]))
    return [f.relative_to(common).as_posix() for f in files]


def _motion(path: Path, suffix: str, units: str | None, fps: float | None, key: str | None, end_sites: bool):
    """``(positions (T, P, J, 3) in metres, fps, joint names or None, parents or None, kind, the unit a TRC file
    states or None)`` of a motion file (BVH, ASF/AMC, TRC, arrays) as it is stored (its own up axis)."""
    if suffix in (".bvh", ".bvh.gz"):
        data = read_motion(path, units=units or "cm", end_sites=end_sites)
    elif suffix in (".npy", ".npz"):
        data = read_motion(path, key=key)
    elif suffix in (".amc", ".amc.gz"):  # AMC stores no rate; CMU's is 120 fps
        data = read_motion(path, **({"fps": fps} if fps else {}))
    else:
        data = read_motion(path)
    own_units = None
    if isinstance(data, Motion):
        m = data.to_metres()
        pos, rate, names, parents = m.positions[:, None], m.fps, list(m.joint_names), [int(p) for p in m.parents]
        kind = "bvh" if suffix.startswith(".bvh") else "asf/amc"
    elif isinstance(data, Markers):
        m, own_units = data.to_metres(), str(data.units)
        pos, rate, names, parents, kind = m.positions[:, None], m.fps, list(m.marker_names), None, "trc"
    else:
        arr = np.asarray(data, dtype=np.float64)
        if arr.shape[-1] != 3:
            raise SynspInputError(f"{path}: has {arr.shape[-1]} coordinates per joint (shape {arr.shape}); "
                                  "a corpus needs 3D positions (T, J, 3) or (T, P, J, 3)")
        rate = fps
        if suffix == ".npz":
            with open_npz(path) as z:
                if rate is None and "fps" in z.files and np.asarray(z["fps"]).size == 1:
                    try:
                        rate = float(z["fps"])
                    except (TypeError, ValueError):
                        raise SynspInputError(f"{path}: its 'fps' array is {z['fps']!r}; expected a number") from None
                stored = np.asarray(z["units"]) if "units" in z.files else None  # as synsp refine writes it
                if stored is not None and stored.size == 1 and stored.dtype.kind == "U":
                    text = str(stored.reshape(())).strip().lower()
                    if text in METRES_PER_UNIT:
                        own_units = text  # the unit the file states (--units does not apply to it)
                    elif text not in ("", "file units"):
                        warnings.warn(f"{path}: its 'units' array says {text!r}, not a length unit; read in "
                                      f"{units or 'm'} (--units)", stacklevel=3)
        if rate is None:
            raise SynspInputError(f"{path}: an array file stores no frame rate; pass --fps (fps=) with its rate "
                                  "or save it in the .npz under the key 'fps'")
        pos = (arr[:, None] if arr.ndim == 3 else arr) * unit_to_metres(own_units or units or "m", "--units")
        names, parents, kind = stored_joint_names(path, key), None, "array"  # an .npz's joint_names, else None
    return pos, rate, names, parents, kind, own_units


def _read(path: Path, take: str, units: str | None, fps: float | None, key: str | None,
          end_sites: bool, up: str) -> _Raw:
    suffix = suffix_of(path)
    own_units = None
    if suffix == ".c3d":  # markers (each subject a person), in the units the file states (POINT:UNITS), as TRC
        pf = read_pose_file(path, format="c3d")
        pos = pf.to_array()[0] * unit_to_metres(pf.units, f"{path}: its POINT:UNITS")
        rate, names, parents, kind, own_units = pf.fps, list(pf.meta["joint_names"]), None, "c3d", pf.units
    else:
        pos, rate, names, parents, kind, own_units = _motion(path, suffix, units, fps, key, end_sites)
    if not (np.isfinite(rate) and rate > 0):
        raise SynspInputError(f"{path}: frame rate {rate!r}; expected a positive number")
    if up == "z":  # z-up -> y-up (a rotation: x, y, z -> x, z, -y)
        pos = np.stack([pos[..., 0], pos[..., 2], -pos[..., 1]], axis=-1)
    return _Raw(take, pos, float(rate), names, parents, kind, own_units)


def _resolve_skeleton(raws: list[_Raw], skeleton: str | None,
                      parents: Sequence[int] | None) -> tuple[Skeleton, list[np.ndarray], bool, str]:
    """The corpus skeleton, each file's joint index list into it, whether it is custom, a note."""
    named = [r for r in raws if r.names is not None]
    ref = named[0] if named else None
    J = len(ref.names) if ref else raws[0].positions.shape[2]
    ref_keys = [joint_key(n) for n in ref.names] if ref else None
    if ref_keys is not None and len(set(ref_keys)) != len(ref_keys):
        dup = sorted({n for n in ref.names if ref_keys.count(joint_key(n)) > 1})
        raise SynspInputError(f"{ref.take}: joint names {dup} differ only in case or separators; rename them")
    for r in raws:
        if r.names is None:
            if r.positions.shape[2] != J:
                first = ref.take if ref else raws[0].take
                raise SynspInputError(f"{r.take} has {r.positions.shape[2]} joints but {first} has {J}; all files "
                                      "must have the same joints")
        elif sorted(joint_key(n) for n in r.names) != sorted(ref_keys):
            keys = [joint_key(n) for n in r.names]
            extra = [n for n, k in zip(r.names, keys) if k not in ref_keys]
            lacks = [n for n, k in zip(ref.names, ref_keys) if k not in keys]
            diff = "; ".join([f"{r.take} has {_short(extra)}, which {ref.take} lacks"] * bool(extra)
                             + [f"{ref.take} has {_short(lacks)}, which {r.take} lacks"] * bool(lacks))
            raise SynspInputError(f"{r.take} has joints {_short(r.names)} but {ref.take} has {_short(ref.names)} "
                                  f"({diff or 'a name repeated'}); all files must have the same joints (import them "
                                  "into separate corpora)")

    def order(wanted_keys: list[str]) -> list[np.ndarray]:
        """Per file, the columns giving ``wanted_keys`` in order (arrays: file order)."""
        out = []
        for r in raws:
            if r.names is None:
                out.append(np.arange(J))
            else:
                k = {key: i for i, key in enumerate(joint_key(n) for n in r.names)}
                out.append(np.array([k[w] for w in wanted_keys]))
        return out

    name = skeleton.strip().lower() if skeleton else None
    if name in BUILTIN_SKELETONS:
        sk = SKELETONS[name]
        for want in joint_spellings(name) if ref_keys is not None else ():
            if set(want) <= set(ref_keys):
                return sk, order(want), False, f"{name} (joints matched by name)"
        if ref_keys is not None and J == sk.num_joints:  # (another count is refused below)
            _refuse_partial_names(name, ref, ref_keys)
        if J == sk.num_joints:
            return sk, order(ref_keys) if ref_keys else order([]), False, f"{name} (joints taken in file order)"
        raise SynspInputError(f"skeleton {name!r} has {sk.num_joints} joints ({_short(sk.joints)}) but the files "
                              f"have {J}" + (f" ({_short(ref.names)})" if ref else "") + " and do not name all of "
                              "its joints; pass a new name for a custom skeleton instead (e.g. --skeleton my_skeleton)")
    if name is None:
        for b in SKELETONS:
            if b not in BUILTIN_SKELETONS or ref_keys is None:
                continue
            for want in joint_spellings(b):
                if sorted(want) == sorted(ref_keys):
                    return SKELETONS[b], order(want), False, f"{b} (the files' joint names are its joints)"
        if ref is None:
            same = [b for b in SKELETONS if b in BUILTIN_SKELETONS and SKELETONS[b].num_joints == J]
            if len(same) == 1:
                return SKELETONS[same[0]], order([]), False, (f"{same[0]} (guessed from the joint count {J}; pass "
                                                              "--skeleton NAME to override)")
            if len(same) > 1:
                raise SynspInputError(f"arrays with {J} joints fit the skeletons {', '.join(same)}; pass --skeleton "
                                      "with one of them, or a new name for a custom skeleton")
    # a custom skeleton
    names = list(ref.names) if ref else [f"j{i}" for i in range(J)]
    tree = next((r for r in raws if r.parents is not None), None)
    if tree is not None:
        source = f"parents from the hierarchy of {tree.take}"
        by_key = {joint_key(n): i for i, n in enumerate(tree.names)}
        cols = [by_key[joint_key(n)] for n in names]  # the tree file's column of each corpus joint
        inverse = {c: i for i, c in enumerate(cols)}
        par = [inverse[tree.parents[c]] if tree.parents[c] >= 0 else -1 for c in cols]
    elif parents is not None:
        par, source = [int(p) for p in parents], "parents as given"
        if len(par) != J:
            raise SynspInputError(f"{len(par)} parents given for {J} joints")
    else:
        par, source = [-1] * J, "no parents (none in the files)"
    kinds = sorted({r.kind for r in raws})
    sk = custom_skeleton(names, par, name, description=f"custom skeleton imported with synsp data import from "
                                                     f"{', '.join(kinds)} files; {source}; left/right pairs guessed "
                                                     "from the names; root: ")
    pairs, roots, name = sk.left_right, sk.root_joints, sk.name
    root_text = ("every joint (mean)" if len(roots) == J and J > 1 else
                 ", ".join(names[i] for i in roots))
    sk = dataclasses.replace(sk, description=sk.description + root_text)
    note = (f"{name} (custom: {J} joints, {len(pairs)} left/right pairs guessed, root {root_text}, {source})")
    return sk, order([joint_key(n) for n in names]) if ref else order([]), True, note


def _refuse_other_names(raw: _Raw, given: list[str]) -> None:
    """Refuse ``--joint-names`` (``given``) for an ``.npz`` that stores other ``joint_names``: which of the two
    names its columns is not for import to guess (the wrong one stores every joint under another's name)."""
    if [joint_key(n) for n in raw.names] == [joint_key(n) for n in given]:
        return
    at = next((i for i, (a, b) in enumerate(zip(raw.names, given)) if joint_key(a) != joint_key(b)), None)
    where = (f"column {at} is {raw.names[at]!r} in the file but {given[at]!r} in --joint-names" if at is not None
             else f"{len(raw.names)} names in the file, {len(given)} in --joint-names")
    raise SynspInputError(
        f"{raw.take}: its joint_names array ({_short(raw.names)}) and --joint-names ({_short(given)}) differ "
        f"({where}); the file's own names are used when --joint-names is left out: drop --joint-names, or save "
        "the file with the names you mean under 'joint_names'")


def _refuse_partial_names(name: str, ref: _Raw, ref_keys: list[str]) -> None:
    """The files name some of the built-in skeleton ``name``'s joints but not all of them: taking the joints in
    file order would store wrong joints under its names (and matching the rest by guess could too), so refuse,
    naming the skeleton's joints no file name matches and the files' names that match none of its joints."""
    spellings = joint_spellings(name)
    best = max(spellings, key=lambda want: len(set(want) & set(ref_keys)))
    if not set(best) & set(ref_keys):
        return  # no name in common: the files' names are not the skeleton's (file order, or a count mismatch)
    sk = SKELETONS[name]
    missing = [sk.joints[i] for i, key in enumerate(best) if key not in ref_keys]
    known = {key for want in spellings for key in want}
    unknown = [n for n, key in zip(ref.names, ref_keys) if key not in known]
    raise SynspInputError(
        f"{ref.take}: its joint names match {len(sk.joints) - len(missing)} of the {len(sk.joints)} joints of "
        f"skeleton {name!r} but not {_short(missing)}" + (f" (names it has that {name} lacks: {_short(unknown)})"
                                                          if unknown else "")
        + f"; rename those joints to {name}'s names (arrays: --joint-names or an .npz's joint_names; C3D/TRC: "
        "the marker labels) so every "
        "joint is matched by name, or import them as a custom skeleton under a new name (e.g. --skeleton my_rig)")


#: the up-axis check (:func:`check_up_axis`) tells a body's upper joints from its lower ones by these parts of their
#: names (:func:`synsp.skeletons.joint_key`; a name with a part of both lists, or of neither, is neither)
UPPER_NAME_PARTS = ("head", "neck", "nose", "eye", "shoulder", "shldr", "clavicle", "collar")
LOWER_NAME_PARTS = ("hip", "pelvis", "buttock", "thigh", "femur", "leg", "knee", "shin", "tibia", "calf", "ankle",
                    "foot", "feet", "heel", "toe")
#: with such names, a frame is upright when the direction from the mean of its lower joints to the mean of its upper
#: ones is closer to +y than to any other axis, and clips of which fewer than this share of the frames are upright
#: are refused where more of their frames lie along the x or z axis most frames point along than are upright (117
#: CMU takes, ASF/AMC and two BVH rigs, all joints or 9 markers of each: at least 73 % upright, 21 % with 70 % of
#: their frames turned to lie; stored z-up and read as y-up: at most 7 %, and 117 and 115 of the 117 refused; a
#: climbing take that crawls most of the time, 31 %)
UP_UPRIGHT_SHARE = 0.15
#: a frame lies along x or z when its joints' spread along y (root mean square distance from their centre) is below
#: this share of their spread along that axis; without such names, clips of which more than this share of the
#: frames lie (along x or z) are refused (the same takes: at most 8 % of a take's frames lie; stored z-up and read
#: as y-up, 109 and 99 of the 117 have more than half of their frames lying; at 0.75 random point clouds of a
#: body's size would lie too)
UP_SPREAD_RATIO, UP_LYING_SHARE = 0.6, 0.5


def upper_lower_joints(names: Sequence[str]) -> tuple[list[int], list[int]]:
    """The indices of the joints ``names`` calls upper (head, neck, shoulders: :data:`UPPER_NAME_PARTS`) and of
    those it calls lower (hips, legs, feet: :data:`LOWER_NAME_PARTS`)."""
    upper, lower = [], []
    for i, name in enumerate(names):
        key = joint_key(name)
        is_upper, is_lower = any(w in key for w in UPPER_NAME_PARTS), any(w in key for w in LOWER_NAME_PARTS)
        if is_upper != is_lower:
            (upper if is_upper else lower).append(i)
    return upper, lower


#: named clips whose bodies point head down (along -y) in more than this share of the frames are refused as upside
#: down (y-down data, as camera coordinates are); a take stored z-up and read as y-up points along -y in its lying
#: frames (57 % of a take lying 60 % of the time), a handstand phase in a fraction of its frames
UP_DOWN_SHARE = 0.8


def check_up_axis(clips: Sequence[np.ndarray], up: str = "y", names: Sequence[str] | None = None) -> None:
    """Refuse clips ``(T, J, 3)`` (metres, converted to y-up from ``up``) whose bodies lie along another axis.

    A frame lies along x or z when its joints' spread along y (root mean square distance from their centre) is
    below :data:`UP_SPREAD_RATIO` of their spread along that axis.  Where ``names`` (the clips' joint names) tell
    upper from lower joints (:func:`upper_lower_joints`), a frame is upright when the direction from its lower
    joints to its upper ones is closer to +y than to any other axis, and the clips are refused when fewer than
    :data:`UP_UPRIGHT_SHARE` of the frames are upright and more of them lie along the x or z axis most frames point
    along than are upright (lying and crawling phases of most of a take pass), or when more than
    :data:`UP_DOWN_SHARE` of the frames point along -y (upside down: y-down data; handstands in a take pass).
    Without such names they are refused when more than :data:`UP_LYING_SHARE` of the frames lie along x or z
    (lying phases of less than half of a take pass).  The error names the files' axis the bodies stand along and
    the ``--up`` that fixes it."""
    clips = [c for c in clips if len(c) and c.shape[1] > 1]
    if not clips:
        return
    spread = np.sqrt(np.concatenate([((c - c.mean(axis=1, keepdims=True)) ** 2).mean(axis=1) for c in clips]))
    upper, lower = upper_lower_joints(names) if names is not None else ([], [])
    if upper and lower:
        direction = np.concatenate([c[:, upper].mean(axis=1) - c[:, lower].mean(axis=1) for c in clips])
        finite = np.isfinite(direction).all(axis=1) & np.isfinite(spread).all(axis=1)
        direction, spread = direction[finite], spread[finite]
        if not len(direction):
            return
        closest = np.abs(direction).argmax(axis=1)  # per frame: 0-2 the axis, +3 where it points to minus
        closest += 3 * (direction[np.arange(len(direction)), closest] < 0)
        share = np.bincount(closest, minlength=6) / len(direction)  # +x, +y, +z, -x, -y, -z
        if share[1] < UP_UPRIGHT_SHARE and share[4] > UP_DOWN_SHARE:  # head below feet: y-down (camera coordinates)
            raise SynspInputError(
                f"the clips stand upside down along the up axis --up {up} declares: from their hips and legs to "
                f"their head, neck and shoulders the bodies point along -{up} in {100 * share[4]:.0f} % of the frames "
                f"(y-down data, as camera coordinates are): turn them (negate {up} and one other axis) first; if "
                "the data is not standing bodies skip this check with --any-up (check_up=False)")
        if share[1] >= UP_UPRIGHT_SHARE:
            return
        most = max((0, 2, 3, 5), key=lambda k: share[k])  # the x or z direction most frames point along
        axis, sign = most % 3, (1 if most < 3 else -1)
        lying = spread[:, 1] < UP_SPREAD_RATIO * spread[:, axis]
        if lying.mean() <= share[1]:  # (a cloud of named points that does not lie along that axis: no verdict)
            return
    else:
        spread = spread[np.isfinite(spread).all(axis=1)]  # (frames, 3) metres
        if not len(spread):
            return
        lying = spread[:, 1] < UP_SPREAD_RATIO * np.maximum(spread[:, 0], spread[:, 2])
        if lying.mean() <= UP_LYING_SHARE:
            return
        axis, sign = (0 if np.median(spread[:, 0]) > np.median(spread[:, 2]) else 2), 1
    # the files' own axis of stored axis ``axis`` (z-up files were turned x, y, z -> x, z, -y)
    file_axis, flip = ("xyz"[axis], 1) if up == "y" else ("xzy"[axis], -1 if axis == 2 else 1)
    file_up = ("-" if upper and lower and sign * flip < 0 else "") + file_axis
    median = np.median(spread, axis=0)
    seen = (f"the joints spread {median[1]:.2f} m along it but {median[axis]:.2f} m along the files' {file_axis} "
            f"axis, root mean square distance from their centre, median over the frames; {100 * lying.mean():.0f} % "
            "of the frames lie")
    if upper and lower:
        seen += (f"; from their hips and legs to their head, neck and shoulders the bodies point along +y in "
                 f"{100 * share[1]:.0f} % of the frames and along the files' {file_up} axis in "
                 f"{100 * share[most]:.0f} %")
    fix = (f"pass --up {file_up} (up='{file_up}')" if file_up in ("y", "z") else
           f"the files' up axis is {file_up}, which import does not take: rotate them to +y or +z up first")
    raise SynspInputError(
        f"the clips do not stand along the up axis --up {up} declares ({seen}): {fix}; if the data is not standing "
        "bodies (animals, hands, lying poses) skip this check with --any-up (check_up=False)")


#: a body's size: the median over frames of its joints' median distance from their median point (metres; robust to
#: a few markers elsewhere: on the floor, a reference at the origin, a placeholder).  Adults in the corpus's clips,
#: crouching and lying too: 0.29-0.48.  Outside the first range a wrong unit (mm or m read as cm, cm read as inches),
#: refused; below the second a warning (children, a lower-body marker set, inches read as cm); a unit is suggested
#: where it gives an adult's size (the third)
BODY_SIZE_M = (0.05, 0.8)
BODY_SIZE_WARN_M = 0.2
ADULT_SIZE_M = (0.25, 0.55)


def body_size(positions: np.ndarray) -> float:
    """The median over frames and persons of ``positions`` ``(T, P, J, 3)``'s joints' median distance from their
    median point (metres; frames without two finite joints, or collapsed to a point, left out); NaN when none."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames
        centre = np.nanmedian(positions, axis=-2, keepdims=True)
        radius = np.nanmedian(np.linalg.norm(positions - centre, axis=-1), axis=-1)  # (T, P)
    radius = radius[np.isfinite(radius) & (radius > 0)]
    return float(np.median(radius)) if radius.size else float("nan")


def _size_notes(sizes: dict[str, float], units: dict[str, str | None], stated: dict[str, bool]) -> str:
    notes = []
    for take, r in list(sizes.items())[:3]:
        unit = units.get(take)
        now = METRES_PER_UNIT.get(str(unit).strip().lower())
        lo, hi = ADULT_SIZE_M
        fits = [u for u in ("m", "cm", "mm", "in") if now and lo <= r * METRES_PER_UNIT[u] / now <= hi]
        fix = ("the file states its own units" + (f" ({unit}): fix them, it looks like {' or '.join(fits)}"
                                                  if fits else "") if stated[take]
               else f"--units {fits[0]} (read as {unit})" if fits else f"read as {unit}")
        notes.append(f"{take}: {r:.3g} m, {fix}")
    return "; ".join(notes) + (f" and {len(sizes) - 3} more" if len(sizes) > 3 else "")


def check_body_size(sizes: dict[str, float], units: dict[str, str | None], stated: dict[str, bool]) -> None:
    """Refuse files whose bodies' size (:func:`body_size`, ``sizes[take]``, metres) is outside :data:`BODY_SIZE_M`:
    their lengths were converted from the wrong unit; warn below :data:`BODY_SIZE_WARN_M`.  ``units[take]`` is the
    unit the file was read in (None: its own, ASF), ``stated[take]`` whether the file states it (TRC, C3D, ASF) or
    ``--units`` / the format's default gave it (BVH, arrays); the message names, for the first files, the unit that
    gives an adult's size."""
    lo, hi = BODY_SIZE_M
    wrong = {t: r for t, r in sizes.items() if np.isfinite(r) and not lo <= r <= hi}
    if wrong:
        raise SynspInputError(
            f"{len(wrong)} file(s) hold bodies whose joints lie a median distance from their centre outside "
            f"{lo:g}-{hi:g} m after unit conversion (adults: about 0.3-0.5), so their length unit is wrong "
            f"({_size_notes(wrong, units, stated)}); if the data is not people (animals, hands) skip this check "
            "with --any-up (check_up=False)")
    small = {t: r for t, r in sizes.items() if np.isfinite(r) and r < BODY_SIZE_WARN_M}
    if small:
        warnings.warn(f"{len(small)} file(s) hold bodies whose joints lie less than {BODY_SIZE_WARN_M:g} m from their "
                      f"centre (adults: about 0.3-0.5): children or a partial marker set, or the wrong length unit "
                      f"({_size_notes(small, units, stated)})", stacklevel=3)


def _splits(takes: list[str], val_fraction: float, test_fraction: float) -> dict[str, str]:
    u = {t: int(hashlib.sha256(t.encode()).hexdigest(), 16) / 16**64 for t in takes}
    split = {t: "test" if u[t] < test_fraction else "val" if u[t] < test_fraction + val_fraction else "train"
             for t in takes}
    for need, pick in (("val", min), ("train", max), ("val", min)):
        members = {s: [t for t in takes if split[t] == s] for s in SPLITS}
        if members[need]:
            continue
        donors = [t for t in takes if split[t] == "test" or (split[t] != need and len(members[split[t]]) > 1)]
        split[pick(donors, key=lambda t: u[t])] = need
    return split


def import_corpus(
    paths: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    skeleton: str | None = None,
    fps_out: float = BASE_FPS,
    units: str | None = None,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    fps: float | None = None,
    joint_names: Sequence[str] | None = None,
    parents: Sequence[int] | None = None,
    up: str = "y",
    end_sites: bool = True,
    key: str | None = None,
    min_frames: int = 8,
    cut_glitches: bool = True,
    check_up: bool = True,
) -> ImportSummary:
    """Write the corpus file ``out`` from the clean motion files or folders ``paths`` (module docstring).

    ``fps``: the rate of ``.npy``/``.npz`` files (an ``.npz`` may store it under ``fps``) and of
    AMC files (default 120, CMU's);
    ``joint_names``: for arrays without names (an ``.npz`` that stores its own ``joint_names`` must
    agree with them); ``parents``: for files without a hierarchy (arrays, markers); ``end_sites``: keep BVH
    End Sites as joints; ``key``: the array inside ``.npz`` files; ``cut_glitches``: cut the frames
    :func:`synsp.data.corpus.glitch_frames` finds, as ``synsp data build`` does (step 2 of the module docstring);
    ``check_up``: refuse data whose bodies are not upright along y after the ``up`` conversion
    (:func:`check_up_axis`; ``False`` for data that is not standing bodies: animals, hands, lying poses).
    """
    if not (0 < val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise SynspInputError(f"val_fraction {val_fraction} and test_fraction {test_fraction}: expected 0 < val, "
                              "0 <= test and val + test < 1 (the rest is the training split)")
    if up not in ("y", "z"):
        raise SynspInputError(f"up is {up!r}; expected 'y' or 'z'")
    check_fps(fps_out, name="fps_out", allow_none=False)
    check_fps(fps, name="fps")
    files = _files(paths, Path(out))
    takes = _takes(files)
    raws = [_read(f, t, units, fps, key, end_sites, up) for f, t in zip(files, takes)]
    stated = {r.own_units for r in raws if r.own_units is not None}
    if units is not None and stated and {str(s).strip().lower() for s in stated} != {units.strip().lower()}:
        warnings.warn(f"--units {units} is for arrays and BVH files; C3D and TRC files (and .npz arrays with a "
                      f"'units' key) state their own units, used as stated ({', '.join(sorted(stated))})",
                      stacklevel=2)
    own_rate = sorted({f"{r.fps:g}" for r in raws if r.kind in ("bvh", "trc", "c3d") and fps is not None
                       and abs(r.fps - fps) > 1e-3 * fps})
    if own_rate:
        warnings.warn(f"--fps {fps:g} is for arrays and AMC files; BVH, TRC and C3D files state their own frame rate, "
                      f"used as stated ({', '.join(own_rate)} fps); import them apart to give them another",
                      stacklevel=2)
    if check_up:  # before glitches are looked for: 1000x lengths are all glitch
        check_body_size({r.take: body_size(r.positions) for r in raws},
                        {r.take: None if r.kind == "asf/amc" else r.own_units or units
                         or ("cm" if r.kind == "bvh" else "m") for r in raws},
                        {r.take: r.own_units is not None or r.kind == "asf/amc" for r in raws})
    if joint_names is not None:  # names for the arrays without them; an .npz's own names must agree
        joint_names = [str(n) for n in joint_names]
        for r in raws:
            if r.names is None:
                if len(joint_names) != r.positions.shape[2]:
                    raise SynspInputError(f"{len(joint_names)} joint names given but {r.take} has "
                                          f"{r.positions.shape[2]} joints")
                r.names = joint_names
            elif r.kind == "array":
                _refuse_other_names(r, joint_names)
    sk, columns, custom, note = _resolve_skeleton(raws, skeleton, parents)

    summary = ImportSummary(path=Path(out), skeleton=sk.name, custom=custom, skeleton_note=note)
    pieces: dict[str, list[dict]] = {}
    sizes = []
    for raw, cols in zip(raws, columns):
        any_finite = False
        for person in range(raw.positions.shape[1]):
            x = raw.positions[:, person][:, cols]  # (T, J, 3)
            who = f"{raw.take}#" + (f"person{person}-" if raw.positions.shape[1] > 1 else "")
            finite = np.isfinite(x).all(axis=(1, 2))
            any_finite |= bool(finite.any())
            placeholder = placeholder_frames(x) & finite  # a body collapsed to a point, a joint at (0, 0, 0)
            if placeholder.any():
                summary.dropped.append(f"{who[:-1]}: {int(placeholder.sum())} of {len(x)} frames with the body "
                                       "collapsed to one point or a joint at exactly (0, 0, 0) (a missing "
                                       "marker's placeholder)")
            if (~finite).any() and finite.any():
                summary.dropped.append(f"{who[:-1]}: {int((~finite).sum())} of {len(x)} frames with a joint not "
                                       "finite (NaN: missing)")
            usable = finite & ~placeholder
            glitch = np.zeros(len(x), dtype=bool)
            runs = np.flatnonzero(np.diff(np.concatenate([[0], usable.astype(int), [0]])))
            for a, b in zip(runs[::2], runs[1::2]) if cut_glitches else []:  # each run of usable frames on its own
                glitch[a:b] = glitch_frames(x[a:b], raw.fps)  # (a missing frame is no glitch, nor its neighbours)
            keep = usable & ~glitch
            bounds = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(int), [0]])))
            if glitch.any():
                summary.glitches.append(f"{who[:-1]}: {int(glitch.sum())} of {len(x)} frames at {raw.fps:g} fps")
            short = []
            for seg, (a, b) in enumerate(zip(bounds[::2], bounds[1::2])):
                phases = resample_phases(x[a:b], raw.fps, fps_out)
                if phases[0].shape[0] < min_frames:
                    short.append(f"{who}s{seg}: {phases[0].shape[0]} frames at {fps_out:g} fps")
                    continue
                for phase, clip in enumerate(phases):
                    tag = f"{who}s{seg}p{phase}"
                    if clip.shape[0] < min_frames:
                        continue
                    sizes.append(np.sqrt(((clip - clip.mean(axis=1, keepdims=True)) ** 2).sum(-1).mean()))
                    pieces.setdefault(raw.take, []).append({
                        "arrays": {sk.name: clip.astype(np.float32)},
                        "meta": {"clip_id": tag, "take": raw.take, "source": "user", "split": "",
                                 "phase": phase, "native_fps": raw.fps, "segment": [int(a), int(b)],
                                 "description": f"user clip ({raw.take})", "rotations": False},
                    })
            if short:  # pieces between cuts too short to train on: one line per file (and person)
                summary.dropped.append(f"{'; '.join(short)} (fewer than {min_frames})" if len(short) <= 3 else
                                       f"{who[:-1]}: {len(short)} pieces shorter than {min_frames} frames")
            if not finite.any():
                summary.dropped.append(f"{raw.take}: no frame where every joint is finite")
        if raw.take not in pieces and any_finite:
            summary.dropped.append(f"{raw.take}: no piece of at least {min_frames} frames left")
    usable = [t for t in takes if t in pieces]
    if len(usable) < 2:
        raise SynspInputError(
            f"{len(usable)} usable file(s) (of {len(files)}); at least 2 are needed, one for the training split "
            "and one for validation (splits are by file). Cut a long recording into several files"
            + (f"; left out: {'; '.join(summary.dropped)}" if summary.dropped else "")
            + (f"; cut as glitches (a joint faster than {GLITCH_SPEED:g} m/s or accelerating harder than "
               f"{GLITCH_ACCEL:g} m/s²; check the units and frame rate, or keep them with --keep-glitches, "
               f"cut_glitches=False): {'; '.join(summary.glitches)}" if summary.glitches else ""))
    if check_up:
        check_up_axis([r["arrays"][sk.name] for t in usable for r in pieces[t] if r["meta"]["phase"] == 0], up,
                      names=sk.joints)
    size = float(np.median(sizes))
    if not 0.02 <= size <= 5.0:
        warnings.warn(f"the clips' typical joint spread is {size:.3g} m after unit conversion; are the units "
                      "right? (--units m|cm|mm for arrays and BVH)", stacklevel=2)
    split = _splits(usable, val_fraction, test_fraction)
    records = []
    for t in usable:
        for r in pieces[t]:
            r["meta"]["split"] = split[t]
            records.append(r)
    extra: dict[str, Any] = {
        "source": "synsp data import", "data": f"user clips imported with synsp data import ({len(usable)} files)",
        "files": {t: split[t] for t in usable},
    }
    if custom:
        extra["skeleton_definitions"] = {sk.name: sk.to_dict()}
    save_corpus(Path(out), records, extra, fps=float(fps_out))
    for s in SPLITS:
        summary.files[s] = [t for t in usable if split[t] == s]
        summary.clips[s] = sum(1 for r in records if r["meta"]["split"] == s)
        summary.frames[s] = sum(len(r["arrays"][sk.name]) for r in records
                                if r["meta"]["split"] == s and r["meta"]["phase"] == 0)
    return summary
