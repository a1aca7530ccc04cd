"""SMPL-family body-model parameters: joint rotations (and root translation) per frame.

These files hold *rotations*, not joint positions.  Reading gives a
:class:`synsp.io.tracks.PoseFile` with ``format='smpl'``, ``units='axis-angle'`` and one
:class:`~synsp.io.tracks.Track` per person whose keypoints are the joints' axis-angle
rotations ``(n, K, 3)`` in radians (root first; ``skeleton='smpl24'`` when ``K = 24``, None
for SMPL-H / SMPL-X poses).  :func:`synsp.api.refine_pose_file` refines such files with
:mod:`synsp.rotations` (quaternion smoothing with the classical filters), and :func:`write`
puts the refined rotations back in the file's own layout, key and dtype.

**NPZ** (``np.savez``; always opened with ``allow_pickle=False``), one person:

* the rotations, root first, in one of these layouts:

  - ``poses`` or ``pose``: ``(T, 3K)`` axis-angle (``(T, 72)`` SMPL, ``(T, 156)`` AMASS
    SMPL-H, ``(T, 165)`` SMPL-X), ``(T, K, 3)`` axis-angle, or ``(T, K, 3, 3)`` rotation
    matrices;
  - ``global_orient`` ``(T, 3)`` / ``(T, 1, 3)`` / ``(T, 3, 3)`` / ``(T, 1, 3, 3)`` +
    ``body_pose`` ``(T, 69)`` / ``(T, 23, 3)`` / ``(T, 23, 3, 3)`` (``(T, 63)`` etc. for
    SMPL-H / SMPL-X bodies), as the ``smplx`` package names them;

  ``read(path, key=...)`` picks another array (e.g. ``'pose_world'``);
* ``trans`` or ``transl`` ``(T, 3)`` root translation (optional, any length unit);
* ``mocap_framerate`` (AMASS SMPL-H), ``mocap_frame_rate`` (AMASS SMPL-X), ``fps``,
  ``framerate`` or ``frame_rate``: the frame rate (optional);
* ``frame_ids`` ``(T,)`` optional increasing frame numbers (as VIBE writes them);
* anything else (``betas``, ``gender``, ``dmpls``, ``surface_model_type``, ...) is kept: the
  writer copies every other member of the archive byte for byte, without unpickling even
  object arrays.  AMASS SMPL-X files repeat ``poses`` split into ``root_orient``,
  ``pose_body``, ``pose_jaw``, ``pose_eye`` and ``pose_hand`` (SMPL-H files into
  ``root_orient``, ``pose_body``, ``pose_hand``); when those hold exactly the matching
  columns of ``poses`` the writer updates them too, so the file stays consistent.

Frames whose rotations are not all finite are not part of the track (the writer leaves them
as they were).

**Pickle** (``.pkl`` / ``.pickle`` / ``.joblib``), only with ``read(path, trust_pickle=True)``:
unpickling runs whatever code the file carries, so it is refused by default.  Two layouts:

* person id -> dict of arrays, as VIBE, TCMR, MEVA, PARE and WHAM write (``joblib.dump``):
  ``pose`` ``(n, 72)`` (or ``(n, 24, 3, 3)``), ``frame_ids`` ``(n,)``, optional ``trans``,
  plus ``betas``, ``verts``, ``pred_cam``, ... which are kept; one track per person id;
* one dict of arrays laid out like the NPZ above (one person).

Files written by ``joblib.dump`` need ``joblib`` installed to read; the writer writes with
``joblib`` when the file was read with it, else with :mod:`pickle`.

Multi-person NPZ layouts are not read: no widely used tool writes one.  4DHumans / PHALP
per-frame pickles are not supported either.

A PoseFile built by hand (no source file) is written as an AMASS-style NPZ: ``poses``
``(T, 3K)``, ``trans`` when its meta has a translation, ``mocap_framerate`` when its fps is
known.

``PoseFile.meta``: ``translation`` {track id: ``(n, 3)`` float64} (root translation at the
track's frames; :func:`synsp.rotations.refine_rotation_file` refines it and the writer writes
it back), ``layouts`` {track id: where the arrays live}, ``container`` (``'npz'`` /
``'pickle'``), and for pickles the loaded object (``pickle_object``) and the library
(``pickle_lib``).
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path
from typing import Any, Hashable, IO, Mapping

import numpy as np

from synsp.geometry import axis_angle_to_matrix, matrix_to_axis_angle
from synsp.io._common import as_path, atomic_write, npz_headers, open_npz, suffix_of
from synsp.io.tracks import PICKLE_SUFFIXES, PoseFile, Track
from synsp.skeletons import SMPL24
from synsp.validation import SynspInputError, check_radians

__all__ = ["sniff", "read", "write", "near_miss", "POSE_KEYS", "TRANS_KEYS", "FPS_KEYS", "PICKLE_SUFFIXES",
           "DERIVED_KEYS", "OTHER_POSE_KEYS"]

#: full-pose keys tried in order (root rotation first)
POSE_KEYS = ("poses", "pose")
#: the split layout of the smplx package
SPLIT_KEYS = ("global_orient", "body_pose")
TRANS_KEYS = ("trans", "transl")
FPS_KEYS = ("mocap_framerate", "mocap_frame_rate", "fps", "framerate", "frame_rate")
FRAME_KEYS = ("frame_ids",)
#: arrays that VIBE, TCMR, PARE and WHAM compute from the pose with the body model (mesh vertices, its joints):
#: kept byte for byte, they no longer match a refined pose (``PoseFile.meta['derived']`` names those found;
#: :func:`synsp.api.refine_rotation_file` warns)
DERIVED_KEYS = ("verts", "vertices", "smpl_vertices", "joints3d", "smpl_joints3d", "smpl_joints2d", "kp_3d",
                "joints2d_img_coord")
#: the smplx package's per-part arrays of a whole pose, as column ranges of it: joint count -> {key: (first joint,
#: joints)}; beside a whole pose they are copies of it (updated when equal to it, else named as stale)
SPLIT_PARTS = {
    22: {"global_orient": (0, 1), "body_pose": (1, 21)},
    24: {"global_orient": (0, 1), "body_pose": (1, 23)},
    52: {"global_orient": (0, 1), "body_pose": (1, 21), "left_hand_pose": (22, 15), "right_hand_pose": (37, 15)},
    55: {"global_orient": (0, 1), "body_pose": (1, 21), "jaw_pose": (22, 1), "leye_pose": (23, 1),
         "reye_pose": (24, 1), "left_hand_pose": (25, 15), "right_hand_pose": (40, 15)},
}
#: other copies of the pose or root path some tools save beside the one synsp refines (WHAM's world-frame pose):
#: kept as they were, named in ``PoseFile.meta['stale']`` (:func:`synsp.api.refine_rotation_file` warns)
OTHER_POSE_KEYS = ("pose_world", "poses_world", "global_orient_world", "root_orient_world", "trans_world",
                   "transl_world")
#: joint counts of the SMPL family: SMPL without / with hand joints, SMPL-H, SMPL-X
KNOWN_JOINTS = {22: "smpl (body)", 24: "smpl", 52: "smplh", 55: "smplx"}
#: AMASS copies of column ranges of ``poses``: joint count -> {key: (first joint, joints)}
MIRRORS = {
    52: {"root_orient": (0, 1), "pose_body": (1, 21), "pose_hand": (22, 30)},
    55: {"root_orient": (0, 1), "pose_body": (1, 21), "pose_jaw": (22, 1), "pose_eye": (23, 2),
         "pose_hand": (25, 30)},
}

_EXPECTED = ("'poses' or 'pose' ((T, 72) / (T, 3K) or (T, 24, 3) axis-angle, or (T, 24, 3, 3) rotation "
             "matrices) or 'global_orient' + 'body_pose', with optional 'trans'/'transl', 'betas' and "
             "'mocap_framerate'/'fps'")
_PICKLE_REFUSED = (
    "this is a pickle file, and unpickling runs whatever code the file contains. If you trust where it "
    "came from, pass --trust-pickle to synsp refine (in Python: synsp.io.tracks.read_pose_file(path, "
    "trust_pickle=True)); "
    "or convert it once to a pickle-free .npz, e.g. for VIBE-style output: "
    "d = joblib.load(path)[person_id]; np.savez('person.npz', pose=d['pose'], frame_ids=d['frame_ids'], "
    "betas=d['betas'])")


# ---------------------------------------------------------------------------------- layouts

def _kind_ok(dtype: Any) -> bool:
    return np.dtype(dtype).kind == "f"


def _rotations_shape(shape: tuple[int, ...]) -> tuple[str, int] | None:
    """(rep, K) for a rotation array of ``shape`` with time first, or None."""
    if len(shape) == 2 and shape[1] > 0 and shape[1] % 3 == 0:
        return "aa", shape[1] // 3
    if len(shape) == 3 and shape[2] == 3 and shape[1] > 0:
        return "aa", shape[1]
    if len(shape) == 4 and shape[2:] == (3, 3) and shape[1] > 0:
        return "mat", shape[1]
    return None


def _orient_shape(shape: tuple[int, ...]) -> str | None:
    """rep of a one-joint root rotation array (global_orient), or None."""
    if shape[1:] in ((3,), (1, 3)):
        return "aa"
    if shape[1:] in ((3, 3), (1, 3, 3)):
        return "mat"
    return None


def _find_layout(headers: Mapping[str, tuple[tuple[int, ...], Any]], key: str | None = None,
                 strict: bool = False) -> dict[str, Any] | None:
    """Where the rotations are, from ``{name: (shape, dtype)}``; None when nowhere.

    ``strict`` (sniffing): only the SMPL family's joint counts, and a ``(T, K, 3)`` array only
    beside a translation / shape key (it could be joint positions otherwise)."""
    names = [key] if key is not None else list(POSE_KEYS)
    for name in names:
        if name not in headers:
            continue
        shape, dtype = headers[name]
        found = _rotations_shape(tuple(shape)) if _kind_ok(dtype) and len(shape) >= 2 else None
        if found is None:
            continue
        rep, K = found
        if strict:
            if K not in KNOWN_JOINTS:
                continue
            companions = set(TRANS_KEYS) | {"betas"} | set(FPS_KEYS)
            if len(shape) == 3 and not companions & set(headers):
                continue
        return dict(kind="single", keys=[name], rep=rep, joints=K, shapes={name: tuple(shape)},
                    dtypes={name: str(np.dtype(dtype))})
    if key is None and all(k in headers for k in SPLIT_KEYS):
        (gs, gd), (bs, bd) = headers["global_orient"], headers["body_pose"]
        gs, bs = tuple(gs), tuple(bs)
        if _kind_ok(gd) and _kind_ok(bd) and len(gs) >= 2 and len(bs) >= 2 and gs[0] == bs[0]:
            grep, body = _orient_shape(gs), _rotations_shape(bs)
            if grep is not None and body is not None and body[0] == grep:
                K = 1 + body[1]
                if not strict or K in KNOWN_JOINTS:
                    return dict(kind="split", keys=list(SPLIT_KEYS), rep=grep, joints=K,
                                shapes={"global_orient": gs, "body_pose": bs},
                                dtypes={"global_orient": str(np.dtype(gd)), "body_pose": str(np.dtype(bd))})
    return None


def near_miss(headers: Mapping[str, tuple[tuple[int, ...], Any]], key: str | None = None) -> str | None:
    """Why an ``.npz`` that looks like SMPL parameters (a pose key beside ``betas``, a translation or a frame
    rate) is not read as them, or None (it does not look like them, or it is read): for the plain-array
    reader, whose own message ("2-d") would not say so, or which would read it as joint positions.  From the
    headers only.  ``key``: only that array (one the plain-array reader read), and only when it is a pose key."""
    companions = sorted((set(TRANS_KEYS) | {"betas"} | set(FPS_KEYS) | set(SPLIT_KEYS)) & set(headers))
    if not companions or _find_layout(headers, strict=True) is not None:
        return None
    known = ", ".join(f"{3 * k} for {name}" for k, name in sorted(KNOWN_JOINTS.items()))
    names = POSE_KEYS + SPLIT_KEYS if key is None else (key,) if key in POSE_KEYS else ()
    for name in names:
        if name not in headers:
            continue
        beside = f"beside {[c for c in companions if c != name]}: SMPL parameters?"
        shape, dtype = tuple(headers[name][0]), np.dtype(headers[name][1])
        if name in SPLIT_KEYS:
            other = SPLIT_KEYS[1 - SPLIT_KEYS.index(name)]
            if other in headers:
                return _split_near_miss(headers, companions)
            if not _kind_ok(dtype):
                return f"{name!r} is {shape} {dtype} {beside} their rotations are floats (axis-angles or matrices)"
            what = "the root rotation" if name == "body_pose" else "the other joints' rotations"
            return f"{name!r} {shape} {beside} it needs {other!r} beside it ({what}; or one 'poses' array)"
        plain = (f"; if it is a plain array of joint positions, name it: synsp refine --key {name} "
                 f"(synsp.io.read_array(path, key={name!r}))")
        if len(shape) == 1:
            return (f"{name!r} is {shape} {beside} one frame's values: the rotations need a frame axis, one row "
                    "per frame ((T, 72) / (T, 3K), (T, K, 3) or (T, K, 3, 3))")
        if len(shape) == 3 and shape[2] == 3 and shape[1] in KNOWN_JOINTS and not _kind_ok(dtype):
            # as floats this is SMPL axis-angles: never read as joint positions only for its dtype
            return f"{name!r} is {shape} {dtype} {beside} their rotations are floats (axis-angles){plain}"
        if len(shape) == 4 and shape[2:] == (3, 3):  # 3 x 3 rotation matrices, never 3 joints of K people
            if not _kind_ok(dtype):
                return f"{name!r} is {shape} {dtype} {beside} their rotation matrices are floats{plain}"
            return (f"{name!r} holds {shape[1]} 3 x 3 matrices per frame {beside} {shape[1]} joints is not a joint "
                    f"count of the SMPL family ({', '.join(str(k) for k in sorted(KNOWN_JOINTS))}); to refine them "
                    f"as {shape[1]} joint rotations read the file with synsp.io.smpl.read(path, key={name!r}) and "
                    f"refine it with synsp.api.refine_pose_file{plain}")
        if len(shape) == 3 and shape[1] in KNOWN_JOINTS and shape[2] in (4, 6, 9):
            what = {4: "quaternions", 6: "6D rotations", 9: "3 x 3 matrices flattened to 9 values"}[shape[2]]
            return (f"{name!r} is {shape} {beside} {shape[1]} joints' {what}? synsp reads SMPL rotations as "
                    "axis-angles ((T, 72) / (T, K, 3)) or 3 x 3 matrices ((T, K, 3, 3)): convert them to one of "
                    "those (e.g. a (T, K, 9) array: reshape it to (T, K, 3, 3))")
        if len(shape) == 3 and shape[2] % 3 == 0 and shape[2] // 3 in KNOWN_JOINTS:
            return (f"{name!r} is {shape} {beside} " + (
                f"one body's {shape[2] // 3} joints behind an axis of 1: squeeze it to ({shape[0]}, {shape[2]})"
                # (T, P, 3K) or (P, T, 3K): the people are the shorter axis
                if shape[1] == 1 else f"{min(shape[:2])} people in one array? synsp reads one person per array "
                "(a VIBE-style dict of people: a .pkl with --trust-pickle): split them into files"))
        if len(shape) != 2:
            continue  # (T, J, 3) could be joint positions: the plain array it is read as
        if not _kind_ok(dtype):
            return f"{name!r} is {shape} {dtype} {beside} their rotations are floats (axis-angles or matrices)"
        C = shape[-1]
        if C % 3:
            return (f"{name!r} has {C} values per frame {beside} axis-angle rotations have 3 per joint ({known}) "
                    f"and 3 x 3 matrices 9; {C} is neither")
        return (f"{name!r} has {C} values per frame {beside} {C // 3} joints is not a joint count of the SMPL "
                f"family ({known}); to refine them as {C // 3} joint rotations read the file with "
                f"synsp.io.smpl.read(path, key={name!r}) and refine it with synsp.api.refine_pose_file")
    return None


def _split_near_miss(headers: Mapping[str, tuple[tuple[int, ...], Any]], companions: list[str]) -> str:
    """What is wrong with a ``global_orient`` + ``body_pose`` pair that :func:`_find_layout` does not take."""
    (gs, gd), (bs, bd) = ((tuple(headers[k][0]), np.dtype(headers[k][1])) for k in SPLIT_KEYS)
    others = [c for c in companions if c not in SPLIT_KEYS]
    pair = f"'global_orient' {gs} + 'body_pose' {bs}" + (f" beside {others}" if others else "") + \
        ": SMPL parameters (as the smplx package names them)?"
    bodies = ", ".join(f"{3 * (k - 1)} for {name}" for k, name in sorted(KNOWN_JOINTS.items()))
    for name, dtype in zip(SPLIT_KEYS, (gd, bd)):
        if not _kind_ok(dtype):
            return f"{pair} {name!r} is {dtype}; their rotations are floats (axis-angles or matrices)"
    if len(gs) < 2 or len(bs) < 2 or gs[0] != bs[0]:
        return f"{pair} they need one row per frame each, the same number of frames"
    grep = _orient_shape(gs)
    if grep is None:
        return (f"{pair} 'global_orient' is the root rotation: (T, 3) / (T, 1, 3) axis-angle or (T, 3, 3) / "
                "(T, 1, 3, 3) matrix")
    body = _rotations_shape(bs)
    if body is None or body[0] != grep:
        want = ("axis-angles too: (T, 3J) or (T, J, 3)" if grep == "aa" else "matrices too: (T, J, 3, 3)")
        extra = f"; {bs[-1]} values per frame are not 3 per joint" if len(bs) == 2 and bs[-1] % 3 else ""
        return f"{pair} 'body_pose' should be {want} ({bodies} values per frame){extra}"
    return (f"{pair} 'body_pose' holds {body[1]} joints, {1 + body[1]} with the root, not a joint count of the "
            f"SMPL family ('body_pose' {bodies} values per frame)")


def _describe(headers: Mapping[str, tuple[tuple[int, ...], Any]]) -> str:
    return "{" + ", ".join(f"{k!r}: {tuple(s)} {np.dtype(d)}" for k, (s, d) in headers.items()) + "}"


def _to_axis_angle(arr: np.ndarray, rep: str, what: str) -> np.ndarray:
    """``(T, K, 3)`` float64 axis-angle from the stored ``(T, ...)`` array."""
    T = arr.shape[0]
    a = np.asarray(arr, dtype=np.float64)
    if rep == "aa":
        return a.reshape(T, -1, 3)
    R = a.reshape(T, -1, 3, 3)
    ok = np.isfinite(R).all(axis=(-1, -2))
    if ok.any():
        Rv = R[ok]
        err = np.abs(Rv @ np.swapaxes(Rv, -1, -2) - np.eye(3)).max(axis=(-1, -2))
        det = np.linalg.det(Rv)
        if err.max() > 1e-2 or det.min() <= 0:
            raise SynspInputError(f"{what} holds 3 x 3 matrices that are not rotations (largest |R R^T - I| "
                                  f"{err.max():.3g}, smallest det {det.min():.3g}); expected rotation matrices")
    out = np.full(R.shape[:-1], np.nan)
    if ok.any():
        out[ok] = matrix_to_axis_angle(R[ok])
    return out


def _from_axis_angle(rot: np.ndarray, rep: str, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """The stored layout (shape, dtype) of ``(n, K, 3)`` axis-angle rotations."""
    out = rot if rep == "aa" else axis_angle_to_matrix(rot)
    return np.asarray(out).reshape((len(rot),) + tuple(shape[1:])).astype(dtype)


def _rotations(get, layout: dict[str, Any], what: str) -> np.ndarray:
    """``(T, K, 3)`` axis-angle of a layout, arrays from ``get(name)``."""
    if layout["kind"] == "single":
        name = layout["keys"][0]
        rot = _to_axis_angle(get(name), layout["rep"], f"{what}[{name!r}]")
    else:
        g = _to_axis_angle(get("global_orient"), layout["rep"], f"{what}['global_orient']")
        b = _to_axis_angle(get("body_pose"), layout["rep"], f"{what}['body_pose']")
        rot = np.concatenate([g, b], axis=1)
    if layout["rep"] == "aa":  # the whole body's: one joint may be long (an unwrapped root)
        check_radians(rot, f"{what}[{' + '.join(map(repr, layout['keys']))}]")
    return rot


def _split_back(rot: np.ndarray, layout: dict[str, Any]) -> dict[str, np.ndarray]:
    """``{key: array in its stored layout}`` for ``(n, K, 3)`` rotations."""
    if layout["kind"] == "single":
        name = layout["keys"][0]
        return {name: _from_axis_angle(rot, layout["rep"], layout["shapes"][name], layout["dtypes"][name])}
    return {"global_orient": _from_axis_angle(rot[:, :1], layout["rep"], layout["shapes"]["global_orient"],
                                              layout["dtypes"]["global_orient"]),
            "body_pose": _from_axis_angle(rot[:, 1:], layout["rep"], layout["shapes"]["body_pose"],
                                          layout["dtypes"]["body_pose"])}


def _person(get, headers: Mapping[str, tuple[tuple[int, ...], Any]], what: str, key: str | None,
            trans_key: str | None, fps_out: list) -> tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray | None]:
    """Parse one person's arrays: (layout, frames, rotations at those frames, translation or None)."""
    layout = _find_layout(headers, key=key)
    if layout is None:
        if key is not None and key not in headers:
            raise SynspInputError(f"{what}: has no array {key!r}; its arrays are {_describe(headers)}")
        raise SynspInputError(f"{what}: no SMPL rotations found; its arrays are {_describe(headers)}; "
                              f"expected {_EXPECTED}")
    rot = _rotations(get, layout, what)
    T = rot.shape[0]
    # copies of column ranges (AMASS's, the smplx split of a 'poses' array), updated by the writer when they match
    mirrors = {}
    if layout["kind"] == "single" and layout["rep"] == "aa":
        copies = {**MIRRORS.get(layout["joints"], {}), **SPLIT_PARTS.get(layout["joints"], {})}
        for name, (j0, nj) in copies.items():
            if name in headers and tuple(headers[name][0]) == (T, 3 * nj) and _kind_ok(headers[name][1]):
                stored = np.asarray(get(layout["keys"][0])).reshape(T, -1)[:, 3 * j0: 3 * (j0 + nj)]
                if np.array_equal(np.asarray(get(name)), stored, equal_nan=True):
                    mirrors[name] = (j0, nj, str(np.dtype(headers[name][1])))
    layout["mirrors"] = mirrors
    used = set(layout["keys"]) | set(mirrors)  # other copies of the pose, not refined: named, kept as they were
    parts = sorted({k for table in SPLIT_PARTS.values() for k in table} - set(SPLIT_KEYS))
    layout["stale"] = [k for k in POSE_KEYS + SPLIT_KEYS + tuple(parts) + OTHER_POSE_KEYS
                       if k in headers and k not in used]
    # translation
    tkeys = [trans_key] if trans_key is not None else [k for k in TRANS_KEYS if k in headers]
    if trans_key is not None and trans_key not in headers:
        raise SynspInputError(f"{what}: has no array {trans_key!r}; its arrays are {_describe(headers)}")
    trans = None
    layout["trans"] = None
    if tkeys:
        tk = tkeys[0]
        shape, dtype = headers[tk]
        if tuple(shape) not in ((T, 3), (T, 1, 3)) or not _kind_ok(dtype):
            raise SynspInputError(f"{what}[{tk!r}] has shape {tuple(shape)} {np.dtype(dtype)}; expected ({T}, 3) "
                                  f"floats (one root translation per frame of the {T} rotations)")
        trans = np.asarray(get(tk), dtype=np.float64).reshape(T, 3)
        layout["trans"] = dict(key=tk, shape=tuple(shape), dtype=str(np.dtype(dtype)))
    # frames
    frames = np.arange(T)
    layout["frames_key"] = None
    for fk in FRAME_KEYS:
        if fk in headers:
            ids = np.asarray(get(fk))
            if ids.shape != (T,) or not (np.issubdtype(ids.dtype, np.integer)
                                          or (np.issubdtype(ids.dtype, np.floating) and np.all(ids == np.round(ids)))):
                raise SynspInputError(f"{what}[{fk!r}] has shape {ids.shape} {ids.dtype}; expected ({T},) integer "
                                      "frame numbers, one per row of the rotations")
            frames = ids.astype(np.int64)
            if (frames < 0).any() or (T > 1 and (np.diff(frames) <= 0).any()):
                raise SynspInputError(f"{what}[{fk!r}]: frame numbers must be >= 0 and increasing")
            layout["frames_key"] = fk
    for fk in FPS_KEYS:
        if fk in headers:
            stored = np.asarray(get(fk))
            value = float(stored.reshape(())) if stored.size == 1 and stored.dtype.kind in "iuf" else float("nan")
            if not (np.isfinite(value) and value > 0):
                raise SynspInputError(f"{what}[{fk!r}] is {stored.tolist()!r} ({stored.dtype}); expected one "
                                      "positive frame rate (frames per second); fix or drop the key")
            fps_out.append(value)
            break
    layout["rows"] = T
    return layout, frames, rot, trans


# ---------------------------------------------------------------------------------- npz access

def _is_pickle_path(p: Path) -> bool:
    return suffix_of(p) in PICKLE_SUFFIXES


def sniff(path: Any) -> bool:
    """An ``.npz`` holding SMPL rotations (see the module docstring), or a pickle file (``.pkl``, ...:
    read refuses it without ``trust_pickle=True``).  Never unpickles."""
    try:
        p = as_path(path)
        if not p.is_file():
            return False
        if _is_pickle_path(p):
            return True
        if suffix_of(p) != ".npz":
            return False
        return _find_layout(npz_headers(p), strict=True) is not None
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def _load_pickle(p: Path) -> tuple[Any, str]:
    try:
        import joblib  # VIBE & co. write with joblib.dump; joblib.load reads plain pickles too
    except ImportError:
        joblib = None
    try:
        if joblib is not None:
            return joblib.load(p), "joblib"
        with open(p, "rb") as fh:
            return pickle.load(fh), "pickle"
    except ModuleNotFoundError as exc:
        hint = " (written by joblib.dump: pip install joblib)" if "joblib" in str(exc) else ""
        raise SynspInputError(f"{p}: cannot unpickle: {exc}{hint}") from exc
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        raise SynspInputError(f"{p}: cannot unpickle the file ({type(exc).__name__}: {exc})") from exc


def _headers_of(d: Mapping[str, Any]) -> dict[str, tuple[tuple[int, ...], Any]]:
    out = {}
    for k, v in d.items():
        if isinstance(v, np.ndarray) or (hasattr(v, "shape") and hasattr(v, "dtype")):
            a = np.asarray(v)
            out[str(k)] = (a.shape, a.dtype)
    return out


def _is_person_dict(v: Any) -> bool:
    return isinstance(v, Mapping) and _find_layout(_headers_of(v)) is not None


# ---------------------------------------------------------------------------------- read

def read(path: Any, trust_pickle: bool = False, key: str | None = None, trans_key: str | None = None,
         fps: float | None = None) -> PoseFile:
    """Read SMPL parameters (module docstring) into a PoseFile of axis-angle rotations.

    ``key`` / ``trans_key`` pick the rotation / translation arrays when the defaults do not
    (``'pose_world'`` / ``'trans_world'`` in WHAM output); ``fps`` overrides the file's.
    """
    p = as_path(path)
    if not p.is_file():
        raise SynspInputError(f"{p}: file not found" if not p.exists() else f"{p}: not a regular file")
    if _is_pickle_path(p):
        if not trust_pickle:
            raise SynspInputError(f"{p}: {_PICKLE_REFUSED}")
        return _read_pickle(p, key, trans_key, fps)
    if suffix_of(p) != ".npz":
        raise SynspInputError(f"{p}: SMPL parameters are read from .npz (or, with trust_pickle=True, .pkl) "
                              f"files; found suffix {suffix_of(p)!r}")
    headers = npz_headers(p)
    if not headers:
        raise SynspInputError(f"{p}: the .npz file holds no arrays; expected {_EXPECTED}")
    z = open_npz(p, "is an object array, which needs pickle; synsp never unpickles .npz files. Save it as a "
                    "numeric array")

    def get(name: str) -> np.ndarray:
        return z[name]

    fps_found: list[float] = []
    with z:
        layout, frames, rot, trans = _person(get, headers, str(p), key, trans_key, fps_found)
    if key is None:
        _not_joint_positions(p, headers, layout, rot)
    pf = _pose_file(p, {0: (layout, frames, rot, trans)}, fps if fps is not None else
                    (fps_found[0] if fps_found else None), container="npz")
    pf.meta["derived"] = [k for k in DERIVED_KEYS if k in headers]
    pf.meta["stale"] = list(layout["stale"])
    return pf


def _not_joint_positions(p: Path, headers: Mapping[str, tuple[tuple[int, ...], Any]], layout: dict[str, Any],
                         rot: np.ndarray) -> None:
    """Refuse a ``(T, 22 | 24, 3)`` array that only a frame-rate key made look like SMPL axis-angles and whose
    SMPL "bones" keep their lengths over a moving sequence, as joint positions do (axis-angles do not): the two
    readings of one file, which the headers cannot tell apart."""
    if set(headers) - set(layout["keys"]) - set(FPS_KEYS) or layout["kind"] != "single" or layout["rep"] != "aa":
        return  # betas, a translation or anything else beside it: SMPL parameters
    shape = layout["shapes"][layout["keys"][0]]
    K = rot.shape[1]
    if len(shape) != 3 or K not in (22, 24) or len(rot) < 10:
        return
    parents = SMPL24.parents[:K]
    bones = np.linalg.norm(rot[:, 1:] - rot[:, list(parents[1:])], axis=-1)  # (T, K - 1) child - parent
    moving = np.nanmedian(np.nanstd(rot, axis=0)) > 1e-3
    with np.errstate(invalid="ignore", divide="ignore"):
        variation = float(np.nanmedian(np.nanstd(bones, axis=0) / np.nanmean(bones, axis=0)))
    if moving and variation < 0.02:
        name = layout["keys"][0]
        raise SynspInputError(
            f"{p}: {name!r} {shape} beside only a frame rate reads as SMPL axis-angles, but its joints keep their "
            f"distances over the frames (median variation {100 * variation:.2g} %) as joint positions do; if these "
            f"are joint positions, rename the array (e.g. 'joints') or read it with "
            f"synsp.io.read_array(path, key={name!r}); if they are SMPL rotations, pass --key {name}")


def _read_pickle(p: Path, key: str | None, trans_key: str | None, fps: float | None) -> PoseFile:
    obj, lib = _load_pickle(p)
    if not isinstance(obj, Mapping):
        raise SynspInputError(f"{p}: unpickled a {type(obj).__name__}; expected a dict (person id -> dict of "
                              f"arrays, as VIBE writes, or one dict of arrays) with {_EXPECTED}")
    fps_found: list[float] = []
    people: dict[Hashable, tuple] = {}
    found = {pid: v for pid, v in obj.items() if v is not None}  # a person VIBE lost is written as None
    person_keyed = bool(found) and all(isinstance(v, Mapping) for v in found.values())
    if person_keyed:
        if not any(_is_person_dict(v) or key is not None for v in found.values()):
            first = next(iter(found))
            raise SynspInputError(f"{p}: person {first!r} has arrays {_describe(_headers_of(found[first]))}; "
                                  f"expected {_EXPECTED}")
        for pid, d in found.items():
            what = f"{p}[{pid!r}]"
            people[pid] = _person(lambda k, d=d: np.asarray(d[k]), _headers_of(d), what, key, trans_key, fps_found)
    else:
        people[0] = _person(lambda k: np.asarray(obj[k]), _headers_of(obj), str(p), key, trans_key, fps_found)
    pf = _pose_file(p, people, fps if fps is not None else (fps_found[0] if fps_found else None),
                    container="pickle")
    pf.meta.update(pickle_object=obj, pickle_lib=lib, person_keyed=person_keyed)
    dicts = list(found.values()) if person_keyed else [obj]
    pf.meta["derived"] = [k for k in DERIVED_KEYS if any(k in d for d in dicts)]
    pf.meta["stale"] = sorted({k for lay, *_ in people.values() for k in lay["stale"]})
    return pf


def _pose_file(p: Path | None, people: dict[Hashable, tuple], fps: float | None, container: str) -> PoseFile:
    tracks, layouts, translation = [], {}, {}
    num_frames = 0
    joints = {lay["joints"] for lay, *_ in people.values()}
    if len(joints) > 1:
        raise SynspInputError(f"{p}: the people have different joint counts {sorted(joints)}; expected one body model")
    for pid, (layout, frames, rot, trans) in people.items():
        layouts[pid] = layout
        if len(frames):
            num_frames = max(num_frames, int(frames[-1]) + 1)
        # a rotation with a non-finite component is missing (that joint alone, filled and counted by the
        # refinement like a missing joint position); a frame without any rotation is absent
        seen = np.isfinite(rot).all(axis=-1)
        rot = np.where(seen[..., None], rot, np.nan)
        ok = seen.any(axis=-1)
        if not ok.any():
            continue
        tracks.append(Track(pid, frames[ok], rot[ok]))
        if trans is not None:
            translation[pid] = trans[ok]
    K = joints.pop() if joints else 24
    return PoseFile(tracks=tracks, num_frames=num_frames, format="smpl", skeleton="smpl24" if K == 24 else None,
                    fps=fps, units="axis-angle", source=p,
                    meta=dict(container=container, layouts=layouts, translation=translation,
                              body_model=KNOWN_JOINTS.get(K)))


# ---------------------------------------------------------------------------------- write

def _updates(layout: dict[str, Any], original: Any, track: Track, trans: np.ndarray | None,
             what: str) -> dict[str, np.ndarray]:
    """The arrays of one person to replace, full length, in their stored layouts.

    ``original(name)`` gives the array as read; only the track's rows change."""
    if layout["frames_key"] is not None:
        ids = np.asarray(original(layout["frames_key"])).astype(np.int64)
        rows = np.searchsorted(ids, track.frames)
        if (rows >= len(ids)).any() or not np.array_equal(ids[np.clip(rows, 0, len(ids) - 1)], track.frames):
            raise SynspInputError(f"{what}: the track's frames are not among the file's {layout['frames_key']!r}")
    else:
        rows = track.frames
    if len(rows) and rows.max() >= layout["rows"]:
        raise SynspInputError(f"{what}: track frames reach {int(rows.max())}, but the file has {layout['rows']} rows")
    out = {}
    new = _split_back(track.keypoints, layout)
    for name, arr in new.items():
        full = np.array(original(name), copy=True)
        if full.shape != layout["shapes"][name]:
            raise SynspInputError(f"{what}[{name!r}] changed since it was read: shape {full.shape}, "
                                  f"expected {layout['shapes'][name]}")
        full[rows] = np.where(np.isnan(arr), full[rows], arr)  # a joint kept missing (a non-finite value): as given
        out[name] = full
    if layout["mirrors"]:
        flat = track.keypoints.reshape(len(rows), -1)
        for name, (j0, nj, dtype) in layout["mirrors"].items():
            full = np.array(original(name), copy=True)
            part = flat[:, 3 * j0: 3 * (j0 + nj)]
            full[rows] = np.where(np.isnan(part), full[rows], part).astype(dtype)
            out[name] = full
    if trans is not None and layout["trans"] is not None:
        t = layout["trans"]
        full = np.array(original(t["key"]), copy=True)
        full[rows] = np.asarray(trans, dtype=np.float64).reshape((len(rows),) + tuple(t["shape"][1:])).astype(t["dtype"])
        out[t["key"]] = full
    return out


def write(path: Any, pose_file: PoseFile) -> Path:
    """Write ``pose_file`` back in the layout it was read from, atomically (module docstring)."""
    p = as_path(path)
    meta = pose_file.meta
    translation = meta.get("translation") or {}
    container = meta.get("container")
    if container == "pickle":
        return _write_pickle(p, pose_file)
    src = pose_file.source
    if suffix_of(p) != ".npz":
        raise SynspInputError(f"{p}: SMPL parameters read from an .npz are written to an .npz path; found suffix "
                              f"{suffix_of(p)!r}")
    if container != "npz" or src is None:
        return _write_new_npz(p, pose_file)
    src = Path(src)
    if not src.is_file():
        raise SynspInputError(f"{p}: the file it was read from, {src}, is gone; the writer copies its other arrays")
    layout = meta["layouts"][0]
    with open_npz(src) as z:
        def original(name: str) -> np.ndarray:
            return z[name]
        replace: dict[str, np.ndarray] = {}
        for track in pose_file.tracks:
            replace.update(_updates(layout, original, track, translation.get(track.track_id), str(src)))
    with zipfile.ZipFile(src) as zf:
        members = [(info, None if info.filename[:-4] in replace else zf.read(info)) for info in zf.infolist()]

    def write_zip(fh: IO[bytes]) -> None:
        with zipfile.ZipFile(fh, "w", allowZip64=True) as out:
            for info, raw in members:
                if raw is None:
                    buf = io.BytesIO()
                    np.lib.format.write_array(buf, np.ascontiguousarray(replace[info.filename[:-4]]),
                                              allow_pickle=False)
                    raw = buf.getvalue()
                new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                new.compress_type = info.compress_type
                new.external_attr = info.external_attr
                out.writestr(new, raw)

    return atomic_write(p, write_zip, binary=True)


def _write_new_npz(p: Path, pose_file: PoseFile) -> Path:
    """An AMASS-style npz for a PoseFile not read from an npz: poses (T, 3K), trans, mocap_framerate."""
    if len(pose_file.tracks) != 1:
        raise SynspInputError(f"{p}: an SMPL .npz holds one person; this pose file has {len(pose_file.tracks)} "
                              "tracks (write each person to its own file)")
    track = pose_file.tracks[0]
    T = pose_file.num_frames
    poses = np.full((T, track.num_joints * 3), np.nan)
    poses[track.frames] = track.keypoints.reshape(len(track.frames), -1)
    payload = {"poses": poses}
    tr = (pose_file.meta.get("translation") or {}).get(track.track_id)
    if tr is not None:
        trans = np.full((T, 3), np.nan)
        trans[track.frames] = tr
        payload["trans"] = trans
    if pose_file.fps:
        payload["mocap_framerate"] = np.asarray(float(pose_file.fps))
    if not np.array_equal(track.frames, np.arange(T)):
        payload["frame_ids"] = np.arange(T)

    def write_npz(fh: IO[bytes]) -> None:
        np.savez_compressed(fh, **payload)

    return atomic_write(p, write_npz, binary=True)


def _write_pickle(p: Path, pose_file: PoseFile) -> Path:
    meta = pose_file.meta
    if suffix_of(p) == ".npz":
        raise SynspInputError(f"{p}: this pose file was read from a pickle; write it to a .pkl path (or convert "
                              "each person to an .npz yourself)")
    obj = meta["pickle_object"]
    translation = meta.get("translation") or {}
    out = dict(obj)
    for track in pose_file.tracks:
        pid = track.track_id
        layout = meta["layouts"][pid]
        d = obj[pid] if meta["person_keyed"] else obj
        what = f"{pose_file.source}[{pid!r}]" if meta["person_keyed"] else str(pose_file.source)
        new = _updates(layout, lambda k, d=d: np.asarray(d[k]), track, translation.get(pid), what)
        if meta["person_keyed"]:
            out[pid] = {**d, **new}
        else:
            out.update(new)
    lib = meta.get("pickle_lib", "pickle")

    def dump(fh: IO[bytes]) -> None:
        if lib == "joblib":
            import joblib

            joblib.dump(out, fh)
        else:
            pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)

    return atomic_write(p, dump, binary=True)
