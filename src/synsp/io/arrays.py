"""Plain joint arrays in ``.npy`` / ``.npz`` files.

* Arrays are ``(T, J, D)`` (frames, joints, 2 or 3 coordinates) or ``(T, P, J, D)``
  (``P`` views or people).  NaN marks a missing joint; a joint with an inf (or absurd) coordinate
  is read as missing too, as every refiner takes it (:func:`synsp.validation.check_poses` with
  ``allow_nan``).
* Files are always opened with ``allow_pickle=False``: object arrays (for example the
  per-sequence SmoothNet files) are refused with a pointer to
  :func:`synsp.io.convert_smoothnet`.
* In an ``.npz`` with several arrays, ``key=`` picks one; without it the only array is
  used, else the first of :data:`DEFAULT_KEYS` present, else the error lists the keys.
* :func:`write_array` writes atomically (temporary file in the same folder, then
  ``os.replace``); ``.npz`` output is compressed and stores the array under ``key``.
"""

from __future__ import annotations

from typing import Any, IO

import numpy as np

from synsp.io import mediapipe, smpl  # near misses: the formats' own knowledge of their layouts
from synsp.io._common import (as_path, atomic_write, moved_scores, npy_header, npz_headers, open_npz, read_npy,
                              read_npz, refuse_ids_stored_alike, suffix_of)
from synsp.io.tracks import PoseFile, Track
from synsp.validation import SynspInputError, check_poses, to_numpy

__all__ = ["read_array", "write_array", "DEFAULT_KEYS"]

#: keys tried, in order, when an ``.npz`` holds several arrays and no ``key`` is given
DEFAULT_KEYS = ("keypoints", "poses", "positions", "joints_3d", "joints_2d", "joints", "kpts")

_PICKLE_HINT = (
    "object arrays need pickle, which this reader never enables (unpickling a file can run "
    "arbitrary code). For SmoothNet-format files use synsp.io.load_smoothnet(..., trust_pickle=True) "
    "or convert them once with synsp.io.convert_smoothnet; a dict saved with numpy.savez (e.g. VIBE's results per "
    "person): save it with joblib.dump as a .pkl and read it with --trust-pickle (trust_pickle=True), or save its "
    "arrays as plain numeric arrays"
)


def _check(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.dtype == object:
        raise SynspInputError(f"{what} is an object array; {_PICKLE_HINT}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise SynspInputError(f"{what} has dtype {arr.dtype}; expected numbers")
    return check_poses(arr, name=what, ndims=(3, 4), dims=(2, 3), allow_nan=True)


def read_array(path: Any, key: str | None = None) -> np.ndarray:
    """Read a ``(T, J, D)`` or ``(T, P, J, D)`` float64 array from ``.npy`` or ``.npz``."""
    p = as_path(path)
    suf = suffix_of(p)
    if suf not in (".npy", ".npz"):
        raise SynspInputError(f"{p}: read_array reads .npy and .npz files; found suffix {suf!r}")
    if not p.is_file():
        raise SynspInputError(f"{p}: file not found")
    if suf == ".npy":
        if key is not None:
            raise SynspInputError(f"{p}: key={key!r} only applies to .npz files")
        return _check(read_npy(p, _PICKLE_HINT), str(p))
    with open_npz(p, _PICKLE_HINT) as z:
        keys = list(z.files)
        if not keys:
            raise SynspInputError(f"{p}: the .npz file holds no arrays")
        if key is None:
            if len(keys) == 1:
                key = keys[0]
            else:
                key = next((k for k in DEFAULT_KEYS if k in keys), None)
                if key is None:
                    _near_miss(p, {k: z.header(k) for k in keys})
                    raise SynspInputError(
                        f"{p}: holds several arrays {keys} and none of the default keys "
                        f"{list(DEFAULT_KEYS)}; pass key=<one of {keys}>"
                    )
            near = {k: z.header(k) for k in keys}
        elif key not in keys:
            raise SynspInputError(f"{p}: has no array {key!r}; its keys are {keys}")
        else:
            near = None  # a key named: the user said it is a plain array
        arr = z[key]
    try:
        out = _check(arr, f"{p}[{key!r}]")
    except SynspInputError:
        if near is not None:
            _near_miss(p, near)
        raise
    if near is not None:  # read, but SMPL rotations the SMPL reader refused would pass as joint positions
        _near_miss(p, near, read=key)
    return out


def _near_miss(p: Any, headers: dict, read: str | None = None) -> None:
    """Raise the message of a format the file nearly is (MediaPipe landmarks, SMPL parameters) when there is one;
    ``read``: the array was read as a plain one, which only SMPL rotations under a pose key are not."""
    if read is not None:
        why = smpl.near_miss(headers, key=read)
    else:
        why = mediapipe.near_miss(headers) or smpl.near_miss(headers)
    if why:
        raise SynspInputError(f"{p}: {why}")


def write_array(path: Any, array: Any, key: str = "keypoints", **extra: Any) -> None:
    """Write a joint array to ``.npy`` or (compressed) ``.npz``, atomically.

    For ``.npz`` the array is stored under ``key``; ``extra`` arrays (numeric or fixed-width
    strings, never objects) are stored beside it.
    """
    p = as_path(path)
    suf = suffix_of(p)
    if suf not in (".npy", ".npz"):
        raise SynspInputError(f"{p}: write_array writes .npy or .npz files; found suffix {suf!r}")
    arr = to_numpy(array) if not isinstance(array, np.ndarray) else array
    if arr.dtype == object:
        raise SynspInputError(f"array for {p} is an object array; only numeric arrays are written")
    check_poses(arr, name=f"array for {p}", ndims=(3, 4), dims=(2, 3), allow_nan=True)  # written in its own dtype
    if suf == ".npy":
        if extra:
            raise SynspInputError(f"{p}: extra arrays {sorted(extra)} need an .npz file")

        def write(fh: IO[bytes]) -> None:
            np.save(fh, arr, allow_pickle=False)
    else:
        payload = {key: arr}
        for k, v in extra.items():
            a = np.asarray(v)
            if a.dtype == object:
                raise SynspInputError(f"extra array {k!r} for {p} is an object array; not written")
            if k in payload:
                raise SynspInputError(f"extra array {k!r} collides with key {key!r}")
            payload[k] = a

        def write(fh: IO[bytes]) -> None:
            np.savez_compressed(fh, **payload)

    atomic_write(p, write, binary=True)


# ---- the pose-file contract (synsp.io.tracks) ----------------------------------------------

#: keys of per-joint scores read beside the keypoints in an ``.npz``: (T, J) or (T, P, J)
SCORE_KEYS = ("scores", "confidence", "keypoint_scores")


def sniff(path: Any) -> bool:
    """An ``.npy`` / ``.npz`` file (the other ``.npz`` layouts are tried first)."""
    return as_path(path).is_file() and suffix_of(path) in (".npy", ".npz")


def read(path: Any, key: str | None = None, fps: float | None = None, skeleton: str | None = None):
    """``(T, J, D)`` -> one track (id 0); ``(T, P, J, D)`` -> P tracks (ids 0..P-1), each present in
    the frames where it has a finite joint.  Scores from an ``.npz`` key in :data:`SCORE_KEYS`;
    ``fps`` from an ``fps`` key when not given."""

    p = as_path(path)
    arr = read_array(p, key=key)
    scores = extra = None
    if suffix_of(p) == ".npz":
        extra = read_npz(p, _PICKLE_HINT)
        used = key or next((k for k in ((*DEFAULT_KEYS,) if len(extra) > 1 else tuple(extra)) if k in extra), None)
        skey = next((k for k in SCORE_KEYS if k in extra and k != used), None)
        if skey is not None:
            scores = _numbers(extra[skey], f"{p}[{skey!r}]", "scores (numbers in [0, 1])")
            if scores.shape != arr.shape[:-1]:
                raise SynspInputError(f"{p}[{skey!r}] has shape {scores.shape}; expected {arr.shape[:-1]} "
                                      "(one score per joint and frame)")
        if fps is None and "fps" in extra and np.asarray(extra["fps"]).size == 1:
            fps = float(_numbers(extra["fps"], f"{p}['fps']", "one frame rate (a number)", "iuf").reshape(()))
        key = used
    single = arr.ndim == 3
    a4 = arr[:, None] if single else arr
    s4 = None if scores is None else (scores[:, None] if single else scores)
    tracks = []
    for q in range(a4.shape[1]):
        present = np.flatnonzero(np.isfinite(a4[:, q]).any(axis=(-1, -2)))
        if len(present) == len(a4):  # present in every frame: a view, not a copy (an hour of a whole body)
            tracks.append(Track(q, present, a4[:, q], None if s4 is None else s4[:, q]))
        elif len(present):
            tracks.append(Track(q, present, a4[present, q], None if s4 is None else s4[present, q]))
    return PoseFile(tracks=tracks, num_frames=arr.shape[0], format="array", skeleton=skeleton, fps=fps,
                    units="file units", source=p,
                    meta=dict(shape=arr.shape, dtype=str(_stored_dtype(p, key)), key=key or "keypoints"))


def _numbers(value: Any, where: str, what: str, kinds: str = "biuf") -> np.ndarray:
    """``value`` as float64, or a :class:`SynspInputError` naming ``where`` and ``what`` it should hold
    (text, complex, structured or object arrays are refused, not converted; ``kinds``: the numpy dtype
    kinds taken, e.g. no booleans for a frame rate)."""
    a = np.asarray(value)
    if a.dtype.kind not in kinds:
        raise SynspInputError(f"{where} holds {a.dtype} values; expected {what}")
    return a.astype(np.float64)


def _stored_dtype(p: Any, key: str | None) -> np.dtype:
    """The dtype the array has in the file (``read_array`` returns float64), from its header only."""
    if suffix_of(p) == ".npy":
        return npy_header(p)[1]
    return npz_headers(p)[key][1]


def check_output(path: Any, pose_file) -> None:
    """Refuse (before any work: :func:`synsp.io.tracks.output_format`) a pose file whose track ids :func:`write`
    would store as one ``track_ids`` string (``1`` and ``"1"``): two people could no longer be told apart."""
    p = as_path(path)
    if suffix_of(p) == ".npz" and not (pose_file.meta if pose_file.format == "array" else {}):
        _track_id_strings(p, [t.track_id for t in pose_file.tracks])


def _track_id_strings(p: Any, ids: list) -> np.ndarray:
    """``track_ids`` as :func:`write` stores them, ``str`` of each id (``3``, ``"3"``: ``'3'``), all distinct."""
    stored = [str(i) for i in ids]
    refuse_ids_stored_alike(f"{p}: ", ids, stored, "written as track_ids", " (or write the input's own format)")
    return np.asarray(stored)


def _move_scores(extra: dict[str, Any], pose_file, shape: tuple) -> None:
    """The scores array the reader took (the first of :data:`SCORE_KEYS` beside the keypoints) with the tracks'
    scores in (:func:`synsp.io._common.moved_scores`): each value as stored where the track's score is the one
    read there, the value of the joint its detection was read at where ``synsp refine`` relabelled a left/right
    inversion, any other score in the array's dtype (a float array where that dtype cannot hold it)."""
    key = next((k for k in SCORE_KEYS if k in extra), None)
    if key is None or np.shape(extra[key]) != shape[:-1] or np.asarray(extra[key]).dtype.kind not in "biuf":
        return
    stored = np.asarray(extra[key])
    s4 = stored[:, None] if len(shape) == 3 else stored
    out = None
    for t in pose_file.tracks:
        if t.scores is None or not isinstance(t.track_id, (int, np.integer)) or not 0 <= t.track_id < s4.shape[1]:
            continue
        old = s4[t.frames, t.track_id]
        new = moved_scores(old.astype(np.float64), old.astype(np.float64), t.scores)
        if new is None:
            continue
        if out is None:
            out = s4.copy()
        if not np.array_equal(new.astype(out.dtype).astype(np.float64), new, equal_nan=True):
            out = out.astype(np.float64)  # a score the file's dtype cannot hold (an integer array's 0.5)
        out[t.frames, t.track_id] = new
    if out is not None:
        extra[key] = out[:, 0] if len(shape) == 3 else out


def write(path: Any, pose_file) -> Any:
    """Write the tracks as one ``(T, P, J, D)`` array (``(T, J, D)`` when read from one) with NaN where
    a person is absent; an ``.npz`` keeps every other array of the file it was read from, gets
    ``track_ids`` (``str`` of each id; two ids of one string, ``1`` and ``"1"``, are refused: see
    :func:`check_output`) and ``scores`` when it was not read from an array file (one read from an ``.npz`` with
    scores gets the tracks' scores in that array: they move with joints ``synsp refine`` relabelled), and ``fps``
    (read back by :func:`read`) when the pose file has a rate and the source ``.npz`` had no ``fps`` key."""
    p = as_path(path)
    meta = pose_file.meta if pose_file.format == "array" else {}
    if meta:  # back into the file's own layout: every column (also one with no person) and dtype
        shape = tuple(meta["shape"])
        dtype = np.dtype(meta["dtype"])  # a float file keeps its dtype (built in it: no float64 copy of an hour)
        arr = np.full((shape[0], 1) + shape[1:] if len(shape) == 3 else shape, np.nan,
                      dtype=dtype if dtype.kind == "f" else np.float64)
        for t in pose_file.tracks:  # track ids are the person columns
            arr[t.frames, t.track_id] = t.keypoints
        arr = arr[:, 0] if len(shape) == 3 else arr
    else:
        arr, ids = pose_file.to_array()
    extra = {}
    src = pose_file.source
    if suffix_of(p) == ".npz":
        if meta:  # read from an array file: an .npz's other arrays are kept, an .npy had none
            if src is not None and suffix_of(src) == ".npz":
                extra = {k: v for k, v in read_npz(src, _PICKLE_HINT).items() if k != meta["key"]}
                _move_scores(extra, pose_file, tuple(meta["shape"]))
            if pose_file.fps and "fps" not in extra:  # a rate given for a file without one (synsp refine --fps)
                extra["fps"] = np.asarray(pose_file.fps)
        else:
            extra["track_ids"] = _track_id_strings(p, ids)
            scores = pose_file.scores_array()
            if scores is not None:
                extra["scores"] = scores
            if pose_file.fps:
                extra["fps"] = np.asarray(pose_file.fps)
    write_array(p, arr, key=meta.get("key", "keypoints"), **extra)
    return p
