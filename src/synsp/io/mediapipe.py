"""MediaPipe Pose landmarks (the 33 BlazePose landmarks) in CSV and NPZ files, and MediaPipe Hands landmarks (21 per
hand) in the same CSV layouts.

MediaPipe itself writes no file: people export ``results.pose_landmarks`` themselves.  synsp
reads the two CSV layouts people most often write, and its own pickle-free NPZ layout (the one
``synsp video`` and the embedded Sports2D track use).

**Long CSV**: one row per (frame, person, landmark)::

    frame,person,landmark,x,y,z,visibility[,presence]
    0,0,0,812.4,310.2,-0.41,0.998
    0,0,1,818.0,301.7,-0.39,0.997
    ...

``person`` is optional (one person, track 0, without it; its values are the track ids: whole numbers as ints when
every value is a number, else the text; two values spelling one number differently, ``1`` and ``1.0`` or ``01`` and
``1``, are refused with both named, since they may be one person or two); ``landmark`` is the index 0-32 or the
MediaPipe name (``nose``, ``left_shoulder``, ``mouth_left``, ...).  Accepted spellings (any
case): ``frame``/``frame_id``/``frame_idx``/``frame_index``/``frame_number``;
``person``/``person_id``/``track``/``track_id``/``pose``/``pose_id``;
``landmark``/``landmark_id``/``landmark_index``/``landmark_name``/``keypoint``/``joint``/``id``;
``visibility``/``vis``.  ``z``, ``visibility`` and ``presence`` are optional.

**Wide CSV**: one row per frame (per person with a ``person`` column), four or five columns per
landmark::

    frame,x_0,y_0,z_0,visibility_0,x_1,y_1,z_1,visibility_1,...,x_32,y_32,z_32,visibility_32

The landmark columns may also be spelt ``x0``, ``landmark_0_x`` (``lm_``, ``kp_``,
``keypoint_``, ``joint_`` prefixes) or ``nose_x``, ``left_shoulder_x``, ...; ``frame`` is
optional (rows are then consecutive frames).  ``x_i`` and ``y_i`` are needed for all 33
landmarks.

In both CSV layouts empty cells, ``nan`` and ``None`` are missing values (a row with fewer cells
than the header is an error naming its line: a missing value is an empty cell, never a cut row;
blank lines are skipped), every other column is kept as it is, and the units are not written in
the file: coordinates all within [-2, 2] are taken as MediaPipe's normalised image coordinates
(``units='normalised'``), anything else as pixels; ``read(path, units=...)`` says it explicitly.
``fps`` comes from ``read(path, fps=...)``.

**MediaPipe Hands** (``results.multi_hand_landmarks``): the same long and wide layouts with the 21 hand landmarks,
numbered 0-20 (and no higher number) or named (``wrist``, ``thumb_cmc``, ..., ``pinky_tip``, or
``HandLandmark.WRIST`` as ``str()`` of MediaPipe's enum writes it); the person column may be spelt ``hand``,
``hand_id``, ``hand_index``, ``hand_idx``, ``hand_no``, ``handedness`` or ``hand_label``, and its values (the hand's
index in the results, or the handedness ``Left`` / ``Right``) are the track ids.  Neither follows a hand: the index
is the detection order, and MediaPipe's handedness can flip for a few frames; ``synsp refine`` undoes such
exchanges between tracks by the hands' motion before refining (each detection is written back under the id the
file gave it).  Skeleton ``hand21`` (no shipped network: refined by a filter), scores None (hand landmarks have no
visibility; a ``score`` column is kept as it is).  Hands are read from CSV only.

**NPZ** (``np.savez`` arrays, no pickle):

* ``landmarks`` ``(T, P, 33, 4 or 5)``: x, y, z, visibility[, presence] for frame ``t`` and track
  ``p``; NaN where the track has no detection.  x, y in pixels (``units='px'``) or normalised to
  [0, 1] (``units='normalised'``); z is MediaPipe's relative depth (origin at the hip centre,
  smaller = closer to the camera) in the same units as x (MediaPipe's normalised z times the
  image width for pixel files).  ``(T, 33, 4|5)`` (one person) is accepted too.
* ``world_landmarks`` ``(T, P, 33, 3)`` optional: MediaPipe's metric, hip-centred 3D landmarks.
* ``track_ids`` ``(P,)`` int or str (default ``0 .. P-1``); ``fps`` (scalar); ``image_size``
  ``(2,)`` = (width, height) in pixels; ``units`` (``'px'`` or ``'normalised'``).
* any other array is kept by the writer as it is (the embedded file carries ``description``
  and ``estimator`` strings).

Reading gives a :class:`synsp.io.tracks.PoseFile` with skeleton ``mediapipe33``, one track per
person, keypoints ``(n, 33, 2)`` = x, y (``read(path, dims=3)``: x, y, z), scores = visibility
(0 where missing; ``meta["scores"] = "visibility"``: the likelihood that a landmark is not occluded, which
MediaPipe gives with a predicted position either way, so ``synsp refine`` repairs with it and refines a
low-visibility landmark's position instead of filling it, :attr:`~synsp.io.tracks.PoseFile.scores_mark_missing`).
z (with ``dims=2``), the world landmarks and every other column stay
untouched in ``PoseFile.meta`` and :func:`write` replaces only the landmark coordinates the
PoseFile carries, writing the rest of the original file back unchanged.  The visibilities written are the tracks'
scores: the file's own cells (or values) where unchanged; where ``synsp refine`` relabelled a left/right inversion a
landmark takes the visibility of the landmark its detection was read at (they move with the landmarks).  A landmark's
other values, z (unless it is a keypoint coordinate), presence and world landmark, move with it where
``PoseFile.meta["joint_sources"]`` says so: ``{track id: (n, 33) ints}``, for each of the track's detections the
landmark of the file's detection whose values each landmark now holds (a repair's relabelling; without it they stay
where the file has them).
"""

from __future__ import annotations

import csv
import json
import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Hashable, IO

import numpy as np

from synsp.io._common import (MAX_FRAMES, as_path, atomic_write, moved_scores, npz_headers, open_file, read_npz,
                              refuse_ids_stored_alike, scores_to_write, suffix_of)
from synsp.io.tracks import PoseFile, Track
from synsp.validation import SynspInputError, check_fps

__all__ = ["LANDMARK_NAMES", "NUM_LANDMARKS", "sniff", "read", "write", "write_npz", "format_of", "check_output"]

#: MediaPipe's PoseLandmark names, lower case, in landmark order
LANDMARK_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
NUM_LANDMARKS = 33
#: MediaPipe Hands' HandLandmark names, lower case, in landmark order (synsp's skeleton ``hand21``: the same order)
HAND_LANDMARK_NAMES = (
    "wrist", "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip", "index_finger_mcp", "index_finger_pip",
    "index_finger_dip", "index_finger_tip", "middle_finger_mcp", "middle_finger_pip", "middle_finger_dip",
    "middle_finger_tip", "ring_finger_mcp", "ring_finger_pip", "ring_finger_dip", "ring_finger_tip", "pinky_mcp",
    "pinky_pip", "pinky_dip", "pinky_tip",
)
#: MediaPipe Hands' landmark count: a CSV of landmarks 0-20 (or of hand names) is a hand file
HAND_LANDMARKS = 21
SKELETON = "mediapipe33"
HAND_SKELETON = "hand21"
_CHANNELS = ("x", "y", "z", "visibility", "presence")
_NAME_TO_INDEX = {n: i for i, n in enumerate(LANDMARK_NAMES)}
_NAME_TO_INDEX.update({"left_mouth_corner": 9, "right_mouth_corner": 10})  # synsp.skeletons spelling
_HAND_NAME_TO_INDEX = {n: i for i, n in enumerate(HAND_LANDMARK_NAMES)}

_LONG_ALIASES = {
    "frame": ("frame", "frame_id", "frame_idx", "frame_index", "frame_number", "frame_no"),
    # MediaPipe Hands: the hand's index in multi_hand_landmarks or its handedness label ("Left" / "Right")
    "person": ("person", "person_id", "track", "track_id", "pose", "pose_id", "hand", "hand_id", "hand_index",
               "hand_idx", "hand_no", "handedness", "hand_label"),
    # `for id, lm in enumerate(results.pose_landmarks.landmark)` (the tutorials' loop) writes "id"
    "landmark": ("landmark", "landmark_id", "landmark_index", "landmark_idx", "landmark_name", "keypoint",
                 "keypoint_id", "joint", "joint_id", "id"),
    "x": ("x",), "y": ("y",), "z": ("z",),
    "visibility": ("visibility", "vis"),
    "presence": ("presence",),
}
_WIDE_CHANNEL = r"(x|y|z|visibility|vis|presence)"
_WIDE_PATTERNS = (
    re.compile(rf"^{_WIDE_CHANNEL}_?(\d+)$"),  # x_0, x0  -> (channel, index)
    re.compile(rf"^(?:landmark|lm|kp|keypoint|joint)_?(\d+)_{_WIDE_CHANNEL}$"),  # landmark_0_x -> (index, channel)
    re.compile(rf"^([a-z_]+?)_{_WIDE_CHANNEL}$"),  # nose_x -> (name, channel)
)
_EXPECTED = ("the long layout 'frame,person,landmark,x,y,z,visibility[,presence]' (one row per landmark) "
             "or the wide layout 'frame,x_0,y_0,z_0,visibility_0,...,x_32,y_32,z_32,visibility_32' "
             "(one row per frame)")
_MISSING = {"", "nan", "none", "null", "na", "n/a"}


# ----------------------------------------------------------------------------------------- sniff

def sniff(path: Any) -> bool:
    """True for a MediaPipe landmark CSV (either layout) or an NPZ in synsp's MediaPipe layout."""
    try:
        p = as_path(path)
        if not p.is_file():
            return False
        suf = suffix_of(p)
        if suf == ".npz":
            return _npz_landmarks_shape(p) is not None
        if suf in (".csv", ".csv.gz"):
            header = _csv_header(p)
            return header is not None and _layout_of(header) is not None
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False
    return False


def format_of(path: Any) -> str:
    return "mediapipe"


def _npz_landmarks_shape(p: Path) -> tuple[int, ...] | None:
    """The shape of ``landmarks`` when ``p`` is an npz in this layout (read from the header only)."""
    found = npz_headers(p).get("landmarks")
    if found is None:
        return None
    shape, dtype = found
    ok = len(shape) in (3, 4) and shape[-2] == NUM_LANDMARKS and shape[-1] in (4, 5) and dtype.kind == "f"
    return tuple(shape) if ok else None


#: arrays of the NPZ layout only MediaPipe files have (``fps`` is every format's)
_NPZ_COMPANIONS = ("world_landmarks", "track_ids", "image_size", "units")


def near_miss(headers: dict) -> str | None:
    """Why an ``.npz`` with a ``landmarks`` array of MediaPipe's channels (``x, y, z, visibility[, presence]``:
    4 or 5 per landmark), or with the NPZ layout's other arrays, is not read as MediaPipe's layout, or None: for
    the plain-array reader, whose own message ("D = 4", "pass key=") would not say so.  From the headers only."""
    companions = sorted(set(_NPZ_COMPANIONS) & set(headers))
    found = headers.get("landmarks")
    if found is None:
        if "world_landmarks" in headers and len(headers) > 1:
            return (f"no 'landmarks' array beside {companions}: a MediaPipe NPZ holds the image landmarks as "
                    "'landmarks' (T, P, 33, 4 | 5) (x, y, z, visibility[, presence]); to refine the world landmarks "
                    "as plain 3D points name them: synsp refine --key world_landmarks")
        return None
    shape, dtype = tuple(found[0]), np.dtype(found[1])
    layout = "(T, 33, 4 | 5) or (T, P, 33, 4 | 5) (x, y, z, visibility[, presence])"
    if len(shape) == 2:
        flat = shape[1] in (4 * NUM_LANDMARKS, 5 * NUM_LANDMARKS)
        per = shape[1] // NUM_LANDMARKS
        how = f"; {shape[1]} = 33 x {per}: reshape them to (T, 33, {per})" if flat else ""
        return (f"'landmarks' {shape} is 2-d: MediaPipe's landmarks are {layout}{how}; for other points save "
                "(T, J, 2 | 3) coordinates")
    if len(shape) not in (3, 4):
        return None
    if shape[-1] in (2, 3):
        if shape[-2] == NUM_LANDMARKS and companions:
            return (f"'landmarks' {shape} beside {companions}: a MediaPipe NPZ? its landmarks are {layout}, these "
                    f"have {shape[-1]} channels; add the visibility channel, or to refine them as plain points "
                    "name them: synsp refine --key landmarks")
        return None  # (T, J, 2 | 3): a plain array of points
    if shape[-1] not in (4, 5):
        if shape[-2] == NUM_LANDMARKS:
            return (f"'landmarks' {shape} has {shape[-1]} channels per landmark: MediaPipe's landmarks are "
                    f"{layout}; for other points save (T, J, 2 | 3) coordinates")
        if shape[-1] == NUM_LANDMARKS and shape[-2] in (4, 5):
            return (f"'landmarks' {shape} has its last two axes swapped: MediaPipe's landmarks are {layout}; "
                    "save np.swapaxes(landmarks, -1, -2)")
        return None
    if dtype.kind != "f":
        return (f"'landmarks' {shape} is {dtype}: MediaPipe's landmarks are floats (T, 33, 4 | 5) (x, y, z, "
                "visibility[, presence]); save them as float32 or float64")
    if shape[-2] != NUM_LANDMARKS:
        return (f"'landmarks' {shape} has {shape[-2]} landmarks: MediaPipe Pose's layout has {NUM_LANDMARKS} "
                "(T, 33, 4 | 5); for other points save (T, J, 2 | 3) coordinates (scores beside them as 'scores')")
    return None


def _csv_header(p: Path) -> list[str] | None:
    with _open_csv(p) as fh:
        first = fh.readline(1_000_000)
    first = first.lstrip("\ufeff").strip()
    if not first:
        return None
    return [c.strip() for c in next(csv.reader([first]))]


def _open_csv(p: Path) -> IO[str]:
    """The CSV's text, read as it goes (``.csv.gz`` decompressed); errors name the file."""
    return open_file(p, newline="")


def _csv_rows(p: Path, fh: IO[str]) -> Iterator[list[str]]:
    """The CSV's rows but blank ones, one at a time (the first cell without a byte-order mark)."""
    try:
        first = True
        for r in csv.reader(fh):
            if first and r:
                r[0], first = r[0].lstrip("\ufeff"), False
            if any(c.strip() for c in r):
                yield r
    except csv.Error as exc:
        raise SynspInputError(f"{p}: not a readable CSV file ({exc})") from exc
    except (OSError, EOFError, zlib.error) as exc:  # a bad or truncated gzip stream
        raise SynspInputError(f"{p}: cannot read the file ({exc})") from exc


def _crc_of(p: Path) -> int:
    crc = 0
    with open(p, "rb") as fh:
        while chunk := fh.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


# ----------------------------------------------------------------------------------------- layouts

def _long_columns(header: list[str]) -> dict[str, int] | None:
    low = [h.lower() for h in header]
    found: dict[str, int] = {}
    for key, names in _LONG_ALIASES.items():
        for name in names:
            if name in low:
                found[key] = low.index(name)
                break
    if {"frame", "landmark", "x", "y"} <= set(found):
        return found
    return None


def _wide_columns(header: list[str]) -> dict[tuple[int, str], int] | None:
    """``{(landmark, channel): column}`` of a wide header: Pose's 33 landmarks, or MediaPipe Hands' 21 (numbered
    0-20 with no higher number, or by hand landmark names); None when neither is complete."""
    cols: dict[tuple[int, str], int] = {}
    hand: dict[tuple[int, str], int] = {}
    pose_named = False
    for c, name in enumerate(header):
        low = name.lower()
        m = _WIDE_PATTERNS[0].match(low)
        if m:
            idx, ch = int(m.group(2)), m.group(1)
        else:
            m = _WIDE_PATTERNS[1].match(low)
            if m:
                idx, ch = int(m.group(1)), m.group(2)
            else:
                m = _WIDE_PATTERNS[2].match(low)
                if not m:
                    continue
                ch = "visibility" if m.group(2) == "vis" else m.group(2)
                if m.group(1) in _HAND_NAME_TO_INDEX:
                    hand.setdefault((_HAND_NAME_TO_INDEX[m.group(1)], ch), c)
                if m.group(1) not in _NAME_TO_INDEX:
                    continue
                idx, pose_named = _NAME_TO_INDEX[m.group(1)], True
        ch = "visibility" if ch == "vis" else ch
        if idx < NUM_LANDMARKS:
            cols.setdefault((idx, ch), c)
    if all((i, "x") in cols and (i, "y") in cols for i in range(NUM_LANDMARKS)):
        return cols
    numbered = {} if pose_named or any(i >= HAND_LANDMARKS for i, _ in cols) else cols
    for found in (hand, numbered):
        if found and all((i, "x") in found and (i, "y") in found for i in range(HAND_LANDMARKS)):
            return found
    return None


def _layout_of(header: list[str]) -> str | None:
    if _long_columns(header) is not None:
        return "csv-long"
    if _wide_columns(header) is not None:
        return "csv-wide"
    return None


# ----------------------------------------------------------------------------------------- read

def read(path: Any, dims: int = 2, fps: float | None = None, units: str | None = None) -> PoseFile:
    """Read a MediaPipe landmark CSV or NPZ (see the module docstring) into a PoseFile.

    ``dims=2``: keypoints x, y; ``dims=3``: x, y, z.  ``fps`` overrides (NPZ) or gives (CSV) the
    frame rate; ``units`` overrides the units (``'px'`` or ``'normalised'``).
    """
    p = as_path(path)
    if dims not in (2, 3):
        raise SynspInputError(f"dims={dims!r}: expected 2 (x, y) or 3 (x, y and MediaPipe's relative z)")
    if not p.is_file():
        raise SynspInputError(f"{p}: file not found" if not p.exists() else f"{p}: not a regular file")
    suf = suffix_of(p)
    if suf == ".npz":
        pf = _read_npz(p, dims)
    elif suf in (".csv", ".csv.gz"):
        pf = _read_csv(p, dims, units)
    else:
        raise SynspInputError(f"{p}: MediaPipe landmarks are read from .csv or .npz files; found suffix {suf!r}")
    if fps is not None:
        pf.fps = check_fps(fps)
    if units is not None:
        pf.units = _check_units(units)
    return pf


def _check_units(units: Any) -> str:
    u = str(units).strip().lower()
    if u in ("px", "pixel", "pixels"):
        return "px"
    if u in ("normalised", "normalized", "norm"):
        return "normalised"
    raise SynspInputError(f"units {units!r}: expected 'px' or 'normalised'")


def _load_npz(p: Path) -> dict[str, np.ndarray]:
    return read_npz(p, "holds an object array, which needs pickle (never enabled here: unpickling can run "
                       "arbitrary code); write track_ids as int or str arrays")


def _read_npz(p: Path, dims: int) -> PoseFile:
    arrays = _load_npz(p)
    if "landmarks" not in arrays:
        raise SynspInputError(
            f"{p}: no 'landmarks' array (its arrays: {sorted(arrays)}); a MediaPipe NPZ holds landmarks "
            "(T, P, 33, 4|5) = x, y, z, visibility[, presence], plus optional world_landmarks, track_ids, "
            "fps, image_size, units")
    lm = arrays["landmarks"]
    if lm.dtype.kind not in "fiu" or lm.ndim not in (3, 4) or lm.shape[-2] != NUM_LANDMARKS \
            or lm.shape[-1] not in (4, 5):
        raise SynspInputError(
            f"{p}: 'landmarks' has shape {lm.shape} and dtype {lm.dtype}; expected float (T, P, 33, 4|5) "
            "or (T, 33, 4|5) = x, y, z, visibility[, presence]")
    single = lm.ndim == 3
    lm4 = lm[:, None] if single else lm
    T, P = lm4.shape[:2]
    if "track_ids" in arrays:
        ids_arr = np.asarray(arrays["track_ids"]).reshape(-1)
        if len(ids_arr) != P:
            raise SynspInputError(f"{p}: 'track_ids' has {len(ids_arr)} entries for {P} tracks in 'landmarks'")
        if ids_arr.dtype.kind not in "iuU":
            raise SynspInputError(f"{p}: 'track_ids' has dtype {ids_arr.dtype}; expected int or str")
        ids = [i.item() if hasattr(i, "item") else i for i in ids_arr]
        ids = [str(i) if isinstance(i, str) else int(i) for i in ids]
        if len(set(ids)) != len(ids):
            raise SynspInputError(f"{p}: 'track_ids' {ids} repeats an id")
    else:
        ids = list(range(P))
    fps = None
    if "fps" in arrays:
        try:
            fps = float(np.asarray(arrays["fps"]).reshape(-1)[0])
        except (ValueError, IndexError, TypeError) as exc:
            raise SynspInputError(f"{p}: 'fps' must be one number; found {arrays['fps']!r}") from exc
        # kept as stored: a rate of 0, negative or NaN is refused where it is used (synsp.api.file_fps), which
        # says so and takes --fps instead, as for every other file with a stored rate
    image_size = None
    if "image_size" in arrays:
        sz = np.asarray(arrays["image_size"]).reshape(-1)
        if sz.shape != (2,) or sz.dtype.kind not in "fiu":
            raise SynspInputError(f"{p}: 'image_size' is {sz!r}; expected (width, height)")
        image_size = (float(sz[0]), float(sz[1]))
    lmf = lm4.astype(np.float64)
    lmf[np.isinf(lmf)] = np.nan  # an infinite coordinate or score is a missing one, as in the other readers
    if "units" in arrays:
        units = _check_units(np.asarray(arrays["units"]).reshape(-1)[0])
    else:
        units = _guess_units(lmf[..., :2])
    present = np.isfinite(lmf[..., :2]).all(-1).any(-1)  # (T, P)
    tracks, z = [], {}
    for k, tid in enumerate(ids):
        frames = np.flatnonzero(present[:, k])
        if len(frames) == 0:
            continue
        vals = lmf[frames, k]
        tracks.append(Track(tid, frames, vals[..., :dims].copy(), np.nan_to_num(vals[..., 3], nan=0.0)))
        z[tid] = vals[..., 2].copy()
    meta = dict(layout="npz", arrays=arrays, single=single, track_index={t: k for k, t in enumerate(ids)},
                image_size=image_size, z=z, scores="visibility")
    return PoseFile(tracks, T, "mediapipe", skeleton=SKELETON, fps=fps, units=units, source=p, meta=meta)


def _guess_units(xy: np.ndarray) -> str:
    finite = xy[np.isfinite(xy)]
    return "normalised" if finite.size and np.abs(finite).max() <= 2.0 else "px"


def _number(cell: str, p: Path, line: int, column: str) -> float:
    s = cell.strip()
    if s.lower() in _MISSING:
        return math.nan
    try:
        v = float(s)
    except ValueError:
        raise SynspInputError(f"{p}, line {line}, column {column!r}: {cell!r} is not a number") from None
    if math.isinf(v):
        raise SynspInputError(f"{p}, line {line}, column {column!r}: {cell!r} is infinite")
    return v


def _frame_number(cell: str, p: Path, line: int, column: str) -> int:
    v = _number(cell, p, line, column)
    if math.isnan(v) or v != int(v) or v < 0:
        raise SynspInputError(f"{p}, line {line}, column {column!r}: frame {cell!r} is not a whole number >= 0")
    return int(v)


def _person_ids(values: list[str]) -> list[Hashable]:
    """The track ids of person cells: whole numbers as ints ("01" and "1.0" as 1; a file of numbers with one
    fraction keeps it as text) when every cell is a number, else every cell's text."""
    stripped = [v.strip() for v in values]
    try:
        return [_whole_number(v) for v in stripped]
    except (ValueError, OverflowError):  # names, empty cells, nan, inf: keep the text
        return stripped


def _whole_number(v: str) -> Hashable:
    try:
        return int(v)  # exact, however long ("12345678901234567891" is not 12345678901234567168)
    except ValueError:
        f = float(v)
        return int(f) if f == int(f) else v


def _one_number_twice(cells: list[str]) -> tuple[str, str] | None:
    """Two of the person cells (``(first, second)``) that spell one number differently ("1" and "1.0", "01" and
    "1", "1.5" and "1.50"): read as one track id or as two, one person's landmarks could be taken for another's."""
    seen: dict[Hashable, str] = {}
    for cell, tid in zip(cells, _person_ids(cells)):
        key = tid
        if isinstance(tid, str):
            try:
                v = float(tid)
            except ValueError:
                v = math.nan
            key = v if math.isfinite(v) else tid
        first = seen.setdefault(key, cell)
        if first != cell:
            return first, cell
    return None


def _read_csv(p: Path, dims: int, units: str | None) -> PoseFile:
    """Read row by row: only each (person, frame)'s values are kept, never the rows (an hour of 33 landmarks
    is millions of cells); :func:`_write_csv_like` reads the file again."""
    with _open_csv(p) as fh:
        rows = _csv_rows(p, fh)
        header = [h.strip() for h in next(rows, [])]
        if not header:
            raise SynspInputError(f"{p}: empty file; expected {_EXPECTED}")
        layout = _layout_of(header)
        if layout is None:
            shown = ", ".join(header[:15]) + (f", ... ({len(header)} columns)" if len(header) > 15 else "")
            raise SynspInputError(f"{p}: columns [{shown}] match no MediaPipe landmark layout; expected {_EXPECTED}")
        found = _read_csv_values(p, header, layout, rows)
    values, raw_persons, frame_col, person_col, channels, hands = found
    if not values:
        raise SynspInputError(f"{p}: a header but no data rows")
    twice = _one_number_twice(list(raw_persons))
    if twice is not None:
        (a, b), column = twice, header[person_col]
        raise SynspInputError(
            f"{p}, line {raw_persons[b]}, column {column!r}: person {b!r} is person {a!r} (line {raw_persons[a]}) "
            "spelt another way, so they may be one person or two; spell each person's id one way throughout the file")
    ids = dict(zip(raw_persons, _person_ids(list(raw_persons))))  # the cells' text -> track id, in order of appearance
    num_frames = max(f for (_, f) in values) + 1
    has_vis = 3 in channels
    K = HAND_LANDMARKS if hands else NUM_LANDMARKS
    tracks, z, present, visibility = [], {}, {}, {}
    for raw in raw_persons:
        person = ids[raw]
        frames = sorted(f for (q, f) in values if q == raw)
        # every row of the file, detection or not (frame numbers beyond MAX_FRAMES: refused below, as in Track)
        present[person] = np.asarray(frames if num_frames <= MAX_FRAMES else [], dtype=np.int64)
        vals = np.stack([values.pop((raw, f))[:K, :5] for f in frames])
        keep = np.isfinite(vals[..., :2]).all(-1).any(-1)  # a row of all-empty landmarks = no detection
        frames = [f for f, k in zip(frames, keep) if k]
        vals = vals[keep]
        if not frames:
            continue
        scores = np.nan_to_num(vals[..., 3], nan=0.0) if has_vis else None
        tracks.append(Track(person, frames, vals[..., :dims].copy(), scores))
        z[person] = vals[..., 2].copy()
        if has_vis:  # the scores as read: the writer finds the rows whose scores changed (a repair's exchange)
            visibility[person] = (np.asarray(frames, dtype=np.int64), scores.copy())
    if not tracks:
        raise SynspInputError(f"{p}: no landmark has x and y values")
    all_xy = np.concatenate([t.keypoints[..., :2].reshape(-1) for t in tracks])
    meta = dict(layout=layout, header=header, path=p, person_ids=ids, present=present, crc=_crc_of(p),
                frame_col=frame_col, person_col=person_col, channels=channels, z=z, landmarks=K,
                visibility=visibility)
    if not hands:
        meta["scores"] = "visibility"  # not a confidence: see PoseFile.scores_mark_missing
    if hands:
        meta["note"] = ("MediaPipe Hands: one track per hand column value (index or handedness); refining repairs "
                        "the hands' swaps between tracks by their motion")
    return PoseFile(tracks, num_frames, "mediapipe", skeleton=HAND_SKELETON if hands else SKELETON, fps=None,
                    units=_check_units(units) if units is not None else _guess_units(all_xy), source=p, meta=meta)


def _person_cell(r: list[str], person_col: int | None) -> str:
    """A row's person cell, stripped ("0": a file without a person column, one person)."""
    return r[person_col].strip() if person_col is not None else "0"


def _checked_row(p: Path, r: list[str], width: int, line: int) -> list[str]:
    if len(r) < width:  # a cut row (a writer stopped, a lost delimiter): never guess which cells are missing
        raise SynspInputError(f"{p}, line {line}: {len(r)} cells for {width} columns; every row needs a cell "
                              "per column (leave a missing value's cell empty, as in '1,,3')")
    if len(r) > width and any(c.strip() for c in r[width:]):
        raise SynspInputError(f"{p}, line {line}: {len(r)} cells for {width} columns")
    return r


def _read_csv_values(p: Path, header: list[str], layout: str, rows: Iterator[list[str]]) -> tuple:
    """``(values, persons, frame column, person column, channels, hands)``: ``persons[person cell]`` its first
    line, ``values[(person cell, frame)]`` a
    (33, 6) array of x, y, z, visibility, presence and whether the long layout had the landmark's row."""
    width = len(header)
    values: dict[tuple[str, int], np.ndarray] = {}
    persons: dict[str, int] = {}  # the person cells' text, stripped, in order of appearance -> its first line
    named: set[str] = set()  # "pose" / "hand": which landmark names the long layout used
    if layout == "csv-long":
        cols = _long_columns(header)
        frame_col, person_col = cols["frame"], cols.get("person")
        chans = [(c, ch, cols[ch]) for c, ch in enumerate(_CHANNELS) if ch in cols]
        seen: set[int] = set()
        for i, r in enumerate(rows):
            line = i + 2
            r = _checked_row(p, r, width, line)
            frame = _frame_number(r[frame_col], p, line, header[frame_col])
            j = _landmark_index(r[cols["landmark"]], p, line, header[cols["landmark"]], named)
            person = _person_cell(r, person_col)
            persons.setdefault(person, line)
            key = (person, frame)
            vals = values.get(key)
            if vals is None:
                vals = values[key] = np.full((NUM_LANDMARKS, 6), np.nan)
            if vals[j, 5] == 1.0:
                first = _first_line(p, header, cols, person_col, person, frame, j)
                raise SynspInputError(
                    f"{p}, line {line}: landmark {j} of person {_person_ids([person])[0]!r} in frame {frame} appears "
                    f"twice (first on line {first})")
            vals[j, 5] = 1.0
            seen.add(j)
            for c, ch, col in chans:
                vals[j, c] = _number(r[col], p, line, header[col])
        channels = [c for c, _, _ in chans]
        if named == {"pose", "hand"}:
            raise SynspInputError(f"{p}: column {header[cols['landmark']]!r} names both MediaPipe Pose landmarks and "
                                  "MediaPipe Hands landmarks; expected one model's landmarks per file")
        # exactly landmarks 0-20 (or hand names): MediaPipe Hands' 21, which Pose's 0-20 (nose ... left thumb)
        # would misname (a hand refined as a body, its points exchanged as "left" and "right" by the repair)
        hands = "hand" in named or ("pose" not in named and seen == set(range(HAND_LANDMARKS)))
    else:
        wcols = _wide_columns(header)
        low = [h.lower() for h in header]
        frame_col = next((low.index(a) for a in _LONG_ALIASES["frame"] if a in low), None)
        person_col = next((low.index(a) for a in _LONG_ALIASES["person"] if a in low), None)
        if person_col is not None and frame_col is None:
            raise SynspInputError(f"{p}: a wide CSV with a {header[person_col]!r} column needs a frame column")
        cells = [(j, _CHANNELS.index(ch), c) for (j, ch), c in wcols.items()]
        for i, r in enumerate(rows):
            line = i + 2
            r = _checked_row(p, r, width, line)
            frame = _frame_number(r[frame_col], p, line, header[frame_col]) if frame_col is not None else i
            person = _person_cell(r, person_col)
            persons.setdefault(person, line)
            key = (person, frame)
            if key in values:
                raise SynspInputError(
                    f"{p}, line {line}: person {_person_ids([person])[0]!r} appears twice in frame {frame}")
            vals = np.full((NUM_LANDMARKS, 6), np.nan)
            for j, k, c in cells:
                vals[j, k] = _number(r[c], p, line, header[c])
            values[key] = vals
        channels = sorted({k for _, k, _ in cells})
        hands = max(j for j, _ in wcols) < HAND_LANDMARKS
    return values, persons, frame_col, person_col, channels, hands


def _first_line(p: Path, header: list[str], cols: dict, person_col: int | None, person: str, frame: int, j: int) -> int:
    """The line of a long CSV where a duplicated (person, frame, landmark) first appears (read again: errors only)."""
    with _open_csv(p) as fh:
        rows = _csv_rows(p, fh)
        next(rows)
        for i, r in enumerate(rows):
            if (_person_cell(r, person_col) == person
                    and _frame_number(r[cols["frame"]], p, i + 2, header[cols["frame"]]) == frame
                    and _landmark_index(r[cols["landmark"]], p, i + 2, header[cols["landmark"]], set()) == j):
                return i + 2
    return 0


def _landmark_index(cell: str, p: Path, line: int, column: str, named: set[str]) -> int:
    """The landmark number of a long CSV's cell: a number, a Pose landmark's name or a Hands landmark's name (``str``
    of MediaPipe's enums too: ``PoseLandmark.NOSE``, ``HandLandmark.WRIST``); adds "pose" / "hand" to ``named``."""
    s = cell.strip().lower()
    for prefix, names, kind in (("poselandmark.", _NAME_TO_INDEX, "pose"),
                                ("handlandmark.", _HAND_NAME_TO_INDEX, "hand")):
        name = s[len(prefix):] if s.startswith(prefix) else s
        if name in names:
            named.add(kind)
            return names[name]
    try:
        v = float(s)
    except ValueError:
        v = math.nan
    if not math.isnan(v) and v == int(v) and 0 <= v < NUM_LANDMARKS:
        return int(v)
    raise SynspInputError(
        f"{p}, line {line}, column {column!r}: landmark {cell!r} is not a MediaPipe Pose or Hands landmark; "
        f"expected an index 0-32 or a name ({', '.join(LANDMARK_NAMES[:3])}, ..., {LANDMARK_NAMES[-1]}; "
        f"{HAND_LANDMARK_NAMES[0]}, ..., {HAND_LANDMARK_NAMES[-1]})")


# ----------------------------------------------------------------------------------------- write

def write(path: Any, pose_file: PoseFile) -> Path:
    """Write ``pose_file`` as a MediaPipe CSV/NPZ, atomically.

    A PoseFile read by :func:`read` is written in its own layout with only the landmark
    coordinates of its tracks replaced (x, y; z too for 3D keypoints); every other cell, column
    and array of the original file is kept, but for the landmarks a repair relabelled: their visibility, z,
    presence and world landmark move with them (``meta["joint_sources"]``, see the module docstring).  Other
    PoseFiles (33 joints) are written fresh: NPZ for a ``.npz`` path, the long CSV layout for ``.csv``.
    """
    p = as_path(path)
    suf = suffix_of(p)
    if suf not in (".npz", ".csv", ".csv.gz"):
        raise SynspInputError(f"{p}: MediaPipe landmarks are written to .csv or .npz files; found suffix {suf!r}")
    hands = pose_file.num_joints == HAND_LANDMARKS and suf != ".npz"
    if pose_file.tracks and pose_file.num_joints != NUM_LANDMARKS and not hands:
        raise SynspInputError(
            f"{p}: the pose file has {pose_file.num_joints} joints; MediaPipe Pose files hold {NUM_LANDMARKS}"
            + (f", MediaPipe Hands CSV files {HAND_LANDMARKS}" if pose_file.num_joints != HAND_LANDMARKS else
               f" (its NPZ layout holds Pose's landmarks only; write {HAND_LANDMARKS} hand landmarks as .csv)"))
    layout = _kept_layout(p, pose_file)
    if layout == "npz":
        return _write_npz_like(p, pose_file)
    if layout is not None:
        return _write_csv_like(p, pose_file)
    return _write_fresh(p, pose_file)


def _kept_layout(p: Path, pose_file: PoseFile) -> str | None:
    """The layout of the file ``pose_file`` was read from when :func:`write` writes ``p`` in it (None: fresh)."""
    layout = pose_file.meta.get("layout") if pose_file.format == "mediapipe" else None
    suf = suffix_of(p)
    if layout == "npz" and suf == ".npz" and "arrays" in pose_file.meta:
        return layout
    if layout in ("csv-long", "csv-wide") and suf != ".npz" and "person_ids" in pose_file.meta:
        return layout
    return None


def check_output(path: Any, pose_file: PoseFile) -> None:
    """Refuse (before any work: :func:`synsp.io.tracks.output_format`) track ids that :func:`write` could not
    keep apart: two ids stored as one NPZ ``track_ids`` string (``1`` and ``"1"``), or written as CSV person cells
    that read back as one person (``1`` and ``"1"`` as ``1``; ``"01"`` and ``"1"``).  A CSV written in its own
    layout spells each person as the file did."""
    p = as_path(path)
    layout = _kept_layout(p, pose_file)
    ids = [t.track_id for t in pose_file.tracks]
    if layout == "npz":
        return
    if suffix_of(p) == ".npz":
        _npz_track_ids(ids, len(ids), p)
        return
    cells = _person_cells(pose_file) if layout is not None else [str(i) for i in ids]
    refuse_ids_stored_alike(f"{p}: ", ids, cells, "written as person", " (or write an .npz)")
    twice = _one_number_twice(cells)
    if twice is not None:
        a, b = (ids[cells.index(c)] for c in twice)
        raise SynspInputError(
            f"{p}: track ids {a!r} and {b!r} would be written as person {twice[0]!r} and {twice[1]!r}, which read "
            "back as one person; give the tracks distinct ids (or write an .npz)")


def _person_cells(pose_file: PoseFile) -> list[str]:
    """The person cell of each track in a CSV written in the layout it was read from: the file's own spelling
    (``"1.0"`` stays ``"1.0"``), ``str`` of a track id the file did not have."""
    own = {tid: cell for cell, tid in pose_file.meta["person_ids"].items()}
    return [own.get(t.track_id, str(t.track_id)) for t in pose_file.tracks]


def _npz_track_ids(track_ids: Any, P: int, p: Any = None) -> np.ndarray:
    """``track_ids`` as the NPZ layout stores them: ``(P,)`` ints or strings, distinct once stored (``1`` and
    ``"1"`` would both be stored as ``'1'``)."""
    where = f"{p}: " if p is not None else ""
    given = list(range(P)) if track_ids is None else list(track_ids)
    whole = [isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)) for i in given]
    if len(given) != P or not all(w or isinstance(i, (str, np.str_)) for w, i in zip(whole, given)):
        raise SynspInputError(f"{where}track_ids {track_ids!r}: expected {P} ints or strings")
    if all(whole) and all(-2**63 <= int(i) < 2**63 for i in given):
        stored = np.asarray([int(i) for i in given], dtype=np.int64)
    else:  # text, or a whole number past int64 (a 20-digit id): as its digits, never wrapped around
        stored = np.asarray([str(i) for i in given])
    refuse_ids_stored_alike(where, given, stored.tolist(), "stored as track_ids")
    return stored


def _channel_count(pose_file: PoseFile) -> int:
    d = pose_file.dims or 2
    if d not in (2, 3):
        raise SynspInputError(f"MediaPipe landmarks have 2 or 3 coordinates; the pose file has {d}")
    return d


def _write_npz_like(p: Path, pf: PoseFile) -> Path:
    arrays = {k: np.array(v, copy=True) for k, v in pf.meta["arrays"].items()}
    lm = arrays["landmarks"]
    lm4 = lm[:, None] if pf.meta.get("single") else lm
    if lm4.dtype.kind != "f":
        lm4 = lm4.astype(np.float64)
    lm4[np.isinf(lm4)] = np.nan  # read as missing: written as missing, never as an infinite coordinate
    d = _channel_count(pf)
    index = pf.meta["track_index"]
    world = arrays.get("world_landmarks")
    world = world[:, None] if world is not None and pf.meta.get("single") else world
    if world is None or world.shape != lm4.shape[:3] + (3,):  # not MediaPipe's (T, P, 33, 3): kept as it is
        world = None
    for t in pf.tracks:
        if t.track_id not in index:
            raise SynspInputError(f"{p}: track {t.track_id!r} is not in the original file (tracks {list(index)})")
        if len(t.frames) and (t.frames[0] < 0 or t.frames[-1] >= lm4.shape[0]):
            raise SynspInputError(f"{p}: track {t.track_id!r} has frames outside 0..{lm4.shape[0] - 1}")
        lm4[t.frames, index[t.track_id], :, :d] = t.keypoints
        if t.scores is not None:  # the visibilities as stored; moved with landmarks a repair relabelled
            vis = lm4[t.frames, index[t.track_id], :, 3]
            new = moved_scores(vis, np.nan_to_num(vis.astype(np.float64), nan=0.0), t.scores)
            if new is not None:
                lm4[t.frames, index[t.track_id], :, 3] = new
        src = _joint_sources(pf, t)
        if src is not None:  # relabelled landmarks: their z (in 2D), presence and world landmark move with them
            k = index[t.track_id]
            for c in [c for c in (2, 4) if d <= c < lm4.shape[-1]]:
                lm4[t.frames, k, :, c] = np.take_along_axis(lm4[t.frames, k, :, c], src, axis=-1)
            if world is not None:
                world[t.frames, k] = np.take_along_axis(world[t.frames, k], src[..., None], axis=-2)
    arrays["landmarks"] = lm4[:, 0] if pf.meta.get("single") else lm4
    if pf.fps is not None:
        arrays["fps"] = np.asarray(pf.fps, dtype=np.float64)
    return atomic_write(p, lambda fh: np.savez_compressed(fh, **arrays), binary=True)


def _fmt(v: float) -> str:
    return "" if not np.isfinite(v) else repr(float(v))


def _write_csv_like(p: Path, pf: PoseFile) -> Path:
    """The CSV read, row by row from the file again, with the landmark coordinates of the tracks replaced; a
    track's frames the file lacks are appended. A source changed since it was read is refused (CRC-32)."""
    meta = pf.meta
    src, header, layout = meta["path"], meta["header"], meta["layout"]  # the file read (meta: shared by copies)
    frame_col, person_col = meta["frame_col"], meta["person_col"]
    d = _channel_count(pf)
    check_output(p, pf)
    wide = _wide_columns(header) if layout == "csv-wide" else None
    long_cols = _long_columns(header) if layout == "csv-long" else None
    if d == 3 and ((wide is not None and not any(ch == "z" for _, ch in wide))
                   or (long_cols is not None and "z" not in long_cols)):
        raise SynspInputError(f"{p}: 3D keypoints, but the original file has no z column")
    try:
        changed = _crc_of(src) != meta["crc"]
    except OSError:
        changed = True
    if changed:
        raise SynspInputError(f"{p}: {src} changed or went away since it was read; read it again and refine it "
                              "again (nothing was written)")
    K = pf.num_joints
    ids = meta["person_ids"]
    tracks, at = {}, {}  # track id -> its keypoints; its row for each frame (-1: none)
    for t in pf.tracks:
        tracks[t.track_id] = t.keypoints
        index = np.full(int(t.frames[-1]) + 1 if len(t.frames) else 0, -1, dtype=np.int64)
        index[t.frames] = np.arange(len(t.frames))
        at[t.track_id] = index
    if wide is not None:
        cells = [(j, k, c) for (j, ch), c in wide.items() if j < K and (k := _CHANNELS.index(ch)) < d]
        vis_cols = {j: c for (j, ch), c in wide.items() if j < K and ch == "visibility"}
    else:
        cells = [(k, long_cols[ch]) for k, ch in enumerate(_CHANNELS[:d]) if ch in long_cols]
        vis_cols = {} if "visibility" not in long_cols else dict.fromkeys(range(K), long_cols["visibility"])
    scores = {t.track_id: t.scores for t in pf.tracks if t.scores is not None and vis_cols}
    moved = _moved_visibility(pf, scores)  # track id -> the rows whose scores are not the ones read
    if long_cols is not None:  # the cells of those rows, gathered first: a row's landmarks are rows of their own
        any_moved = any(len(rows) for rows in moved.values())
        moved = _long_visibility(src, header, long_cols, person_col, ids, at, moved, scores, K) if any_moved else {}
    # z (unless a keypoint coordinate) and presence move with a relabelled landmark: {channel: {landmark: column}}
    along = [ch for ch in ("z", "presence") if _CHANNELS.index(ch) >= d]
    along_cols = ({ch: {j: c for (j, h), c in wide.items() if h == ch and j < K} for ch in along} if wide is not None
                  else {ch: dict.fromkeys(range(K), long_cols[ch]) for ch in along if ch in long_cols})
    sources = {t.track_id: s for t in pf.tracks if (s := _joint_sources(pf, t)) is not None}
    relabelled = {tid: set(np.flatnonzero((s != np.arange(K)).any(axis=1)).tolist()) for tid, s in sources.items()}
    along_cells = {}  # long layout: track id -> {row: {column: the row's landmarks' cells}} of relabelled rows
    if long_cols is not None and any(relabelled.values()) and along_cols:
        along_cells = _long_cells(src, header, long_cols, person_col, ids, at, relabelled,
                                  sorted({c for cols in along_cols.values() for c in cols.values()}), K)

    def new_row(r: list[str], line: int, i: int) -> list[str]:
        tid = ids.get(_person_cell(r, person_col))
        index = at.get(tid)
        if index is None:
            return r
        frame = _frame_number(r[frame_col], src, line, header[frame_col]) if frame_col is not None else i
        row = index[frame] if frame < len(index) else -1
        if row < 0:
            return r
        kp = tracks[tid][row]
        from_joint = sources[tid][row] if row in relabelled.get(tid, ()) else None
        if wide is not None:
            for j, k, c in cells:
                r[c] = _fmt(kp[j, k])
            for cols in along_cols.values() if from_joint is not None else ():
                literals = {j: r[c] for j, c in cols.items()}
                for j, c in cols.items():
                    r[c] = literals.get(int(from_joint[j]), "")
            if row in moved.get(tid, ()):
                literals = [r[vis_cols[j]] if j in vis_cols else "" for j in range(K)]
                for j, v in enumerate(_visibility_cells(literals, scores[tid][row])):
                    if j in vis_cols:
                        r[vis_cols[j]] = v
        else:
            j = _landmark_index(r[long_cols["landmark"]], src, line, header[long_cols["landmark"]], set())
            if j < K:
                for k, c in cells:
                    r[c] = _fmt(kp[j, k])
                literals = moved.get(tid, {}).get(row) if vis_cols else None
                if literals is not None:
                    r[vis_cols[j]] = literals[j]
                for c, literals in along_cells.get(tid, {}).get(row, {}).items() if from_joint is not None else ():
                    r[c] = literals[int(from_joint[j])]
        return r

    def dump(fh: IO) -> None:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        with _open_csv(src) as text:
            rows = _csv_rows(src, text)
            next(rows)
            for i, r in enumerate(rows):
                out.writerow(new_row(r, i + 2, i))
        added: list[list[str]] = []  # a track's frames the file did not have: rows appended for them
        for t, cell in zip(pf.tracks, _person_cells(pf)):  # under the file's spelling of the person ("1.0")
            new = np.flatnonzero(~np.isin(t.frames, meta["present"].get(t.track_id, [])))
            vis = scores.get(t.track_id)
            for n, f, kp in zip(new.tolist(), t.frames[new].tolist(), t.keypoints[new]):
                w = _append_rows(added, header, layout, cell, f, frame_col, person_col, wide, long_cols, K)
                for j in range(K):
                    for c in [*range(d), 3] if vis is not None else range(d):
                        if (j, c) in w:
                            r, col = w[(j, c)]
                            added[r - 1][col] = _fmt(kp[j, c] if c < d else vis[n, j])
            out.writerows(added)
            added.clear()

    return atomic_write(p, dump)


def _visibility_value(cell: str) -> float:
    """A visibility cell as the reader scores it (a missing value 0; the reader refused any other text)."""
    s = cell.strip()
    if s.lower() in _MISSING:
        return 0.0
    value = float(s)
    return 0.0 if value != value else value  # NaN -> 0, as the reader (plain floats: fast per cell)


def _visibility_cells(literals: list[str], scores: np.ndarray) -> list[str]:
    """One row's visibility cells to write (:func:`synsp.io._common.scores_to_write`): ``literals`` the file's cells
    (J), ``scores`` the track's.  A cell stays where its score is the one read there; a landmark a repair relabelled
    takes the cell of the landmark its detection was read at; any other score is written as the writer writes
    numbers."""
    return scores_to_write(literals, [_visibility_value(v) for v in literals], scores, _fmt)


def _moved_visibility(pf: PoseFile, scores: dict) -> dict:
    """Per track with ``scores`` (track id -> ``(n, J)``): the rows (indices into its frames) whose scores are not
    the ones read (``meta["visibility"]``; every row where the reader's are not known for its frames)."""
    read = pf.meta.get("visibility") or {}
    out = {}
    for t in pf.tracks:
        if t.track_id not in scores:
            continue
        frames, before = read.get(t.track_id, (None, None))
        if frames is None or not np.array_equal(frames, t.frames):
            out[t.track_id] = set(range(len(t.frames)))
            continue
        now = scores[t.track_id]
        same = (before == now) | (np.isnan(before) & np.isnan(now))
        out[t.track_id] = set(np.flatnonzero(~same.all(axis=1)).tolist())
    return out


def _long_visibility(src: Path, header: list[str], long_cols: dict, person_col: int | None, ids: dict, at: dict,
                     moved: dict, scores: dict, K: int) -> dict:
    """Long layout: the visibility cells to write for each ``moved`` row (track id -> {row: J cells}), from the
    row's landmarks' cells read again (a landmark's row gathered before the others are written)."""
    col = long_cols["visibility"]
    literals = _long_cells(src, header, long_cols, person_col, ids, at, moved, [col], K)
    return {tid: {row: _visibility_cells(cells[col], scores[tid][row]) for row, cells in rows.items()}
            for tid, rows in literals.items()}


def _long_cells(src: Path, header: list[str], long_cols: dict, person_col: int | None, ids: dict, at: dict,
                wanted: dict, cols: list[int], K: int) -> dict:
    """Long layout: the cells of columns ``cols`` of each ``wanted`` row's landmarks (track id -> {row: {column: K
    cells}}, ``""`` for a landmark without a row), read again from the file."""
    literals: dict = {tid: {row: {c: [""] * K for c in cols} for row in rows} for tid, rows in wanted.items() if rows}
    lm_col, frame_col = long_cols["landmark"], long_cols["frame"]
    with _open_csv(src) as text:
        rows = _csv_rows(src, text)
        next(rows)
        for i, r in enumerate(rows):
            tid = ids.get(_person_cell(r, person_col))
            if tid not in literals:
                continue
            frame = _frame_number(r[frame_col], src, i + 2, header[frame_col])
            index = at[tid]
            row = index[frame] if frame < len(index) else -1
            if row >= 0 and row in literals[tid]:
                j = _landmark_index(r[lm_col], src, i + 2, header[lm_col], set())
                if j < K:
                    for c in cols:
                        literals[tid][row][c][j] = r[c]
    return literals


def _joint_sources(pf: PoseFile, t: Track) -> np.ndarray | None:
    """``pf.meta["joint_sources"]`` of track ``t``: ``(n, J)``, for each detection the landmark of the file's
    detection whose values each landmark now holds (a repair's relabelling); None where the meta has none."""
    src = (pf.meta.get("joint_sources") or {}).get(t.track_id)
    if src is None:
        return None
    src = np.asarray(src)
    J = t.keypoints.shape[1]
    if src.shape != t.keypoints.shape[:2] or src.dtype.kind not in "iu" or ((src < 0) | (src >= J)).any():
        raise SynspInputError(f"meta['joint_sources'][{t.track_id!r}] is {src.dtype} {src.shape}; expected the "
                              f"landmark indices 0..{J - 1} of the track's {t.keypoints.shape[:2]} landmarks")
    return src


def _append_rows(rows, header, layout, track_id, frame, frame_col, person_col, wide, long_cols, landmarks):
    w = {}
    if layout == "csv-wide":
        if frame_col is None:
            raise SynspInputError("cannot add frames to a wide CSV without a frame column")
        r = [""] * len(header)
        r[frame_col] = str(frame)
        if person_col is not None:
            r[person_col] = str(track_id)
        rows.append(r)
        for (j, ch), c in wide.items():
            w[(j, _CHANNELS.index(ch))] = (len(rows), c)
        return w
    for j in range(landmarks):
        r = [""] * len(header)
        r[long_cols["frame"]] = str(frame)
        if "person" in long_cols:
            r[long_cols["person"]] = str(track_id)
        r[long_cols["landmark"]] = str(j)
        rows.append(r)
        for k, ch in enumerate(_CHANNELS):
            if ch in long_cols:
                w[(j, k)] = (len(rows), long_cols[ch])
    return w


def _write_fresh(p: Path, pf: PoseFile) -> Path:
    check_output(p, pf)
    d = _channel_count(pf)
    T = max(pf.num_frames, max((int(t.frames[-1]) + 1 for t in pf.tracks if len(t.frames)), default=0))
    P, K = len(pf.tracks), pf.num_joints if pf.tracks else NUM_LANDMARKS
    lm = np.full((T, P, K, 4), np.nan)
    for k, t in enumerate(pf.tracks):
        lm[t.frames, k, :, :d] = t.keypoints
        if t.scores is not None:
            lm[t.frames, k, :, 3] = t.scores
        z = pf.meta.get("z", {}).get(t.track_id) if d == 2 else None
        if z is not None and np.shape(z) == t.keypoints.shape[:2]:
            src = _joint_sources(pf, t)
            lm[t.frames, k, :, 2] = z if src is None else np.take_along_axis(np.asarray(z), src, axis=-1)
    ids = [t.track_id for t in pf.tracks]
    units = pf.units if pf.units in ("px", "normalised") else "px"
    if suffix_of(p) == ".npz":
        return write_npz(p, lm, track_ids=ids, fps=pf.fps, units=units)
    names = ["frame", "person", "landmark", "x", "y", "z", "visibility"]

    def dump(fh: IO) -> None:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(names)
        for f in range(T):
            for k, tid in enumerate(ids):
                if not np.isfinite(lm[f, k, :, :2]).any():
                    continue
                for j in range(K):
                    out.writerow([f, tid, j] + [_fmt(v) for v in lm[f, k, j]])

    return atomic_write(p, dump)


def write_npz(
    path: Any,
    landmarks: np.ndarray,
    *,
    track_ids: Any = None,
    fps: float | None = None,
    image_size: tuple[float, float] | None = None,
    units: str = "px",
    world_landmarks: np.ndarray | None = None,
    dtype: Any = np.float32,
    **extra: Any,
) -> Path:
    """Write landmarks ``(T, P, 33, 4|5)`` (and the optional fields) in the NPZ layout, atomically.

    ``extra`` arrays (for example ``description="..."`` strings) are stored as they are; they must
    not need pickle (numbers or strings).
    """
    lm = np.asarray(landmarks, dtype=dtype)
    if lm.ndim != 4 or lm.shape[2] != NUM_LANDMARKS or lm.shape[3] not in (4, 5):
        raise SynspInputError(f"landmarks has shape {lm.shape}; expected (T, P, 33, 4|5)")
    arrays: dict[str, np.ndarray] = {"landmarks": lm}
    arrays["track_ids"] = _npz_track_ids(track_ids, lm.shape[1], path)
    if fps is not None:
        arrays["fps"] = np.asarray(float(fps))
    if image_size is not None:
        arrays["image_size"] = np.asarray(image_size, dtype=np.int64 if all(float(v).is_integer()
                                                                           for v in image_size) else np.float64)
    arrays["units"] = np.asarray(_check_units(units))
    if world_landmarks is not None:
        wl = np.asarray(world_landmarks, dtype=dtype)
        if wl.shape != lm.shape[:3] + (3,):
            raise SynspInputError(f"world_landmarks has shape {wl.shape}; expected {lm.shape[:3] + (3,)}")
        arrays["world_landmarks"] = wl
    for k, v in extra.items():
        if isinstance(v, (dict, list)) and k.endswith("json"):
            v = json.dumps(v, sort_keys=True)
        a = np.asarray(v)
        if a.dtype == object:
            raise SynspInputError(f"{k}: object arrays need pickle; store numbers or strings")
        arrays[k] = a
    return atomic_write(as_path(path), lambda fh: np.savez_compressed(fh, **arrays), binary=True)
