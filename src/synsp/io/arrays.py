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

import warnings
from typing import Any, IO

import numpy as np

from synsp.io import mediapipe, smpl  # near misses: the formats' own knowledge of their layouts
from synsp.io._common import (METRES_PER_UNIT, as_path, atomic_write, moved_scores, npy_header, npz_headers, open_npz,
                              read_npy, read_npz, refuse_ids_stored_alike, suffix_of)
from synsp.io.tracks import PoseFile, Track, frame_numbers_fit
from synsp.io.trc import frames_on_timeline, rows_of_frames
from synsp.skeletons import SKELETONS, skeleton_of_names
from synsp.validation import SynspInputError, check_poses, to_numpy

__all__ = ["read_array", "write_array", "stored_joint_names", "DEFAULT_KEYS"]

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


def stored_joint_names(path: Any, key: str | None = None) -> list[str] | None:
    """The joint names an ``.npz`` stores beside the array :func:`read_array` reads from it (``key``): its
    ``joint_names``, one string per joint, as :func:`write` stores them and :func:`read` reads them
    (``meta["joint_names"]``); None for an ``.npy``, and for an ``.npz`` without them or with another shape or
    kind under that name (read from the headers; only the names are loaded)."""
    p = as_path(path)
    if suffix_of(p) != ".npz":
        return None
    with open_npz(p, _PICKLE_HINT) as z:
        keys = list(z.files)
        used = key or (keys[0] if len(keys) == 1 else next((k for k in DEFAULT_KEYS if k in keys), None))
        if used not in keys or used == "joint_names" or "joint_names" not in keys:
            return None
        shape, (names_shape, names_dtype) = z.header(used)[0], z.header("joint_names")
        if len(shape) < 2 or np.dtype(names_dtype).kind != "U" or tuple(names_shape) != (shape[-2],):
            return None
        return [str(v) for v in z["joint_names"].tolist()]


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


#: units an ``.npz``'s ``units`` string is read as (others, e.g. ``"axis-angle"``, stay ``"file units"``)
READ_UNITS = ("px", "normalised", *METRES_PER_UNIT)


def read(path: Any, key: str | None = None, fps: float | None = None, skeleton: str | None = None):
    """``(T, J, D)`` -> one track (id 0); ``(T, P, J, D)`` -> P tracks (ids 0..P-1), each present in
    the frames where it has a finite joint.  Scores from an ``.npz`` key in :data:`SCORE_KEYS`;
    ``fps`` from an ``fps`` key when not given.  What :func:`write` stores beside the keypoints of a file of
    another format is read back from an ``.npz``: ``frames``, ``(T,)`` increasing whole numbers, as the rows' frame
    numbers: they place the rows on the file's timeline (:func:`synsp.io.trc.frames_on_timeline`: rows of frames
    0-29 and 50-79 are 80 frames with 20 absent, a gap filled or split as in any track) and number its frames
    (``PoseFile.frame_numbers``), and :func:`write` puts each row back (a ``(T,)`` ``frames`` of numbers that are
    not increasing whole numbers is left out with a :class:`UserWarning`: the rows are then consecutive frames);
    ``track_ids``, ``(P,)`` distinct integers or strings, as the track ids;
    ``joint_names``, ``(J,)`` strings, as ``meta["joint_names"]`` (a TRC written from it names its markers so);
    when ``skeleton`` is not given, ``skeleton``, one string naming a registered skeleton of ``J`` joints, else
    the skeleton of the joint names (:func:`synsp.skeletons.skeleton_of_names`, as the TRC reader takes it); and
    ``units``, one string of :data:`READ_UNITS`.  Arrays of those names but other shapes or kinds are not read
    (an ``.npz`` of other origin keeps its meaning), and a file without them reads as before."""

    p = as_path(path)
    arr = read_array(p, key=key)
    scores = extra = numbers = names = None
    ids: list = list(range(1 if arr.ndim == 3 else arr.shape[1]))
    units = "file units"
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
        numbers = _stored_frames(p, extra, used, arr.shape[0])
        ids = _stored_ids(p, extra, used, ids)
        names = _stored_names(extra, used, arr.shape[-2])
        named = _stored_text(extra, used, "skeleton")
        if skeleton is None and named is not None:  # a name another process registered: the names' skeleton
            fits = named in SKELETONS and SKELETONS[named].num_joints == arr.shape[-2]
            skeleton = named if fits else skeleton_of_names(names) if names else None
        units = _stored_text(extra, used, "units", READ_UNITS) or units
        key = used
    rows, num_frames = np.arange(arr.shape[0]), arr.shape[0]
    if numbers is not None:
        rows, num_frames, numbers = frames_on_timeline(numbers)
    single = arr.ndim == 3
    a4 = arr[:, None] if single else arr
    s4 = None if scores is None else (scores[:, None] if single else scores)
    tracks = []
    for q in range(a4.shape[1]):
        present = np.flatnonzero(np.isfinite(a4[:, q]).any(axis=(-1, -2)))
        if len(present) == len(a4):  # present in every frame: a view, not a copy (an hour of a whole body)
            tracks.append(Track(ids[q], rows, a4[:, q], None if s4 is None else s4[:, q]))
        elif len(present):
            tracks.append(Track(ids[q], rows[present], a4[present, q], None if s4 is None else s4[present, q]))
    meta = dict(shape=arr.shape, dtype=str(_stored_dtype(p, key)), key=key or "keypoints")
    if num_frames != arr.shape[0]:  # absent frames: the timeline frame of each row, for the writer
        meta["rows"] = rows
    if ids != list(range(len(ids))):
        meta["columns"] = {i: q for q, i in enumerate(ids)}  # track id -> its column, for writing back
    if names:
        meta["joint_names"] = names
    return PoseFile(tracks=tracks, num_frames=num_frames, format="array", skeleton=skeleton, fps=fps,
                    units=units, source=p, meta=meta, frame_numbers=numbers)


def _stored_frames(p: Any, extra: dict[str, Any], used: str | None, T: int) -> np.ndarray | None:
    """The ``frames`` array beside the keypoints as int64 when it is ``T`` increasing whole numbers (frame numbers),
    else None: without a word for an array of another shape or kind (another program's) or numbers int64 cannot
    hold, with a :class:`UserWarning` naming the first row that breaks the order for ``T`` other numbers (ignored,
    not refused: an ``.npz`` of another program's ``frames`` stays readable)."""
    a = np.asarray(extra.get("frames")) if "frames" in extra and used != "frames" else None
    if a is None or a.shape != (T,) or a.dtype.kind not in "iuf":
        return None
    if a.dtype.kind == "f":
        whole = np.isfinite(a) & (a == np.round(a)) & (np.abs(a) < 2**53)
        bad = np.flatnonzero(~whole)
        if len(bad):
            return _frames_left_out(p, f"row {int(bad[0])} holds {a[bad[0]]}, not a whole number")
        a = a.astype(np.int64)
    back = np.flatnonzero(a[1:] <= a[:-1])
    if len(back):
        k = int(back[0]) + 1
        return _frames_left_out(p, f"row {k} holds {a[k]} after {a[k - 1]}, not an increase")
    return a.astype(np.int64) if frame_numbers_fit(a) else None


def _frames_left_out(p: Any, why: str) -> None:
    """Warn that the ``frames`` of ``p`` are not read as frame numbers (``why``: the first row that breaks them,
    counted from 0); None."""
    warnings.warn(f"{p}: its 'frames' are not read as frame numbers ({why}); its rows are taken as consecutive "
                  "frames. To place the rows on their frames (a gap kept as a gap), store one whole number per row, "
                  "increasing (the rows sorted by frame, one row per frame)", UserWarning, stacklevel=2)
    return None


def _stored_ids(p: Any, extra: dict[str, Any], used: str | None, ids: list) -> list:
    """The ``track_ids`` beside the keypoints (integers or strings, one per column ``ids`` numbers), else ``ids``;
    repeated ids (another program's "untracked" -1 for every column) are no ids: ``ids`` too."""
    a = np.asarray(extra.get("track_ids")) if "track_ids" in extra and used != "track_ids" else None
    if a is None or a.shape != (len(ids),) or a.dtype.kind not in "iuU":
        return ids
    stored = [int(v) if a.dtype.kind in "iu" else str(v) for v in a.tolist()]
    return stored if len(set(stored)) == len(stored) else ids


def _stored_text(extra: dict[str, Any], used: str | None, name: str, allowed: Any = None) -> str | None:
    """The one string stored under ``name`` when it is in ``allowed`` (None: any), else None."""
    a = np.asarray(extra.get(name)) if name in extra and used != name else None
    if a is None or a.size != 1 or a.dtype.kind != "U":
        return None
    text = str(a.reshape(()))
    return text if allowed is None or text in allowed else None


def _stored_names(extra: dict[str, Any], used: str | None, J: int) -> list[str] | None:
    """The ``joint_names`` beside the keypoints when they are ``J`` strings, else None."""
    a = np.asarray(extra.get("joint_names")) if "joint_names" in extra and used != "joint_names" else None
    return [str(v) for v in a.tolist()] if a is not None and a.shape == (J,) and a.dtype.kind == "U" else None


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
        _track_ids(p, [t.track_id for t in pose_file.tracks])


def _track_ids(p: Any, ids: list) -> np.ndarray | None:
    """``track_ids`` as :func:`write` stores them: None for ``0 .. P-1``; integers as int64, strings as strings;
    any other mix (``1`` and ``"a"``, ``2.5``) as ``str`` of each, refused where two would be one string (``1`` and
    ``"1"``)."""
    plain = [i.item() if isinstance(i, np.generic) else i for i in ids]
    if all(type(i) is int for i in plain):
        if plain == list(range(len(plain))):
            return None
        if all(abs(i) < 2**63 for i in plain):
            return np.asarray(plain, dtype=np.int64)
    if all(type(i) is str for i in plain):
        return np.asarray(plain, dtype=str)
    stored = [str(i) for i in plain]
    refuse_ids_stored_alike(f"{p}: ", ids, stored, "written as track_ids", " (or write the input's own format)")
    return np.asarray(stored)


def _move_scores(extra: dict[str, Any], pose_file, shape: tuple, columns: dict) -> None:
    """The scores array the reader took (the first of :data:`SCORE_KEYS` beside the keypoints) with the tracks'
    scores in (:func:`synsp.io._common.moved_scores`): each value as stored where the track's score is the one
    read there, the value of the joint its detection was read at where ``synsp refine`` relabelled a left/right
    inversion, any other score in the array's dtype (a float array where that dtype cannot hold it).  ``columns``:
    each track's column (:func:`_columns`)."""
    key = next((k for k in SCORE_KEYS if k in extra), None)
    if key is None or np.shape(extra[key]) != shape[:-1] or np.asarray(extra[key]).dtype.kind not in "biuf":
        return
    stored = np.asarray(extra[key])
    s4 = stored[:, None] if len(shape) == 3 else stored
    out = None
    for t in pose_file.tracks:
        q = columns.get(t.track_id)
        if t.scores is None or q is None or not 0 <= q < s4.shape[1]:
            continue
        at = rows_of_frames(pose_file.meta.get("rows"), t.frames, pose_file.source)  # the track's rows
        old = s4[at, q]
        new = moved_scores(old.astype(np.float64), old.astype(np.float64), t.scores)
        if new is None:
            continue
        if out is None:
            out = s4.copy()
        if not np.array_equal(new.astype(out.dtype).astype(np.float64), new, equal_nan=True):
            out = out.astype(np.float64)  # a score the file's dtype cannot hold (an integer array's 0.5)
        out[at, q] = new
    if out is not None:
        extra[key] = out[:, 0] if len(shape) == 3 else out


def _columns(pose_file) -> dict:
    """Track id -> its column in the array file it was read from (the id itself, or where ``track_ids`` put it)."""
    return pose_file.meta.get("columns") or {t.track_id: t.track_id for t in pose_file.tracks
                                             if isinstance(t.track_id, (int, np.integer))}


def _joint_names(pose_file) -> np.ndarray | None:
    """``meta["joint_names"]`` as strings when the file names each of its joints (BVH, TRC, SLEAP, ...), else None."""
    names = [str(n) for n in pose_file.meta.get("joint_names") or ()]
    return np.asarray(names, dtype=str) if names and len(names) == pose_file.num_joints else None


def write(path: Any, pose_file) -> Any:
    """Write the tracks as one ``(T, P, J, D)`` array (``(T, J, D)`` when read from one) with NaN where
    a person is absent.  An ``.npz`` read from keeps every other array (its scores, one read from an ``.npz``
    with scores, get the tracks' scores: they move with joints ``synsp refine`` relabelled), and gets ``fps``
    when the pose file has a rate and the source ``.npz`` had no ``fps`` key.  An ``.npz`` of a file of another
    format gets what :func:`read` reads back, each when known: ``fps``; ``frames``, the file's number of each row
    (``PoseFile.frame_numbers``: written whenever the file numbers its frames, also ``0 .. T-1``); ``track_ids``
    unless they are ``0 .. P-1`` (an int64 or a string array; another mix, ``str`` of each, two ids of one string,
    ``1`` and ``"1"``, refused: see :func:`check_output`); ``scores`` when every track has them; ``skeleton`` and
    ``units`` as strings; ``joint_names`` when the file names its joints.  An ``.npy`` holds the keypoints only
    (:func:`synsp.io.tracks.conversion_losses`: :func:`synsp.io.tracks.write_pose_file` says what it leaves out)."""
    p = as_path(path)
    meta = pose_file.meta if pose_file.format == "array" else {}
    if meta:  # back into the file's own layout: every column (also one with no person) and dtype
        shape = tuple(meta["shape"])
        dtype = np.dtype(meta["dtype"])  # a float file keeps its dtype (built in it: no float64 copy of an hour)
        arr = np.full((shape[0], 1) + shape[1:] if len(shape) == 3 else shape, np.nan,
                      dtype=dtype if dtype.kind == "f" else np.float64)
        columns = _columns(pose_file)
        for t in pose_file.tracks:  # each track in its own column, each frame in its row
            arr[rows_of_frames(meta.get("rows"), t.frames, p), columns[t.track_id]] = t.keypoints
        arr = arr[:, 0] if len(shape) == 3 else arr
    else:
        arr, ids = pose_file.to_array()
    extra = {}
    src = pose_file.source
    if suffix_of(p) == ".npz":
        if meta:  # read from an array file: an .npz's other arrays are kept, an .npy had none
            if src is not None and suffix_of(src) == ".npz":
                extra = {k: v for k, v in read_npz(src, _PICKLE_HINT).items() if k != meta["key"]}
                _move_scores(extra, pose_file, tuple(meta["shape"]), columns)
            if pose_file.fps and "fps" not in extra:  # a rate given for a file without one (synsp refine --fps)
                extra["fps"] = np.asarray(pose_file.fps)
        else:
            stored = {"track_ids": _track_ids(p, ids), "scores": pose_file.scores_array(), "frames":
                      pose_file.frame_numbers, "fps": np.asarray(pose_file.fps) if pose_file.fps else None,
                      "skeleton": None if pose_file.skeleton is None else str(pose_file.skeleton),
                      "units": str(pose_file.units), "joint_names": _joint_names(pose_file)}
            extra = {k: np.asarray(v) for k, v in stored.items() if v is not None}
    write_array(p, arr, key=meta.get("key", "keypoints"), **extra)
    return p
