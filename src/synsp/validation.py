"""Input checks shared by every public function.

Every user mistake (wrong rank, wrong coordinate count, NaN, mismatched shapes,
empty input) raises :class:`SynspInputError`, a :class:`ValueError` whose
message names the offending argument, what it was and what was expected.  The
CLI prints these messages without a traceback and exits non-zero.
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any, Iterable

import numpy as np

__all__ = ["SynspInputError", "SynspOutputError", "is_torch", "float_dtype", "to_numpy", "check_poses", "check_radians",
           "check_same_shape", "check_fps", "check_max_gap", "check_resampled_length", "check_refined",
           "check_refined_shape", "absurd_joints",
           "stray_joints", "MIN_FPS", "MAX_FPS", "ABSURD_COORDINATE", "STRAY_DISTANCE", "STRAY_MIN_JOINTS",
           "PLACEHOLDER_DISTANCE",
           "MAX_RESAMPLED_VALUES"]

#: the frame rates any refiner accepts (Hz).  Below 1 Hz there is no motion left to smooth (and resampling
#: to a model's 30 fps would make 30+ frames per input frame: fps=1e-9 asked for 43 TiB); above 10 kHz no
#: pose estimator or motion-capture system records (fps=1e9 squashed a clip to 2 frames at the model's rate)
MIN_FPS, MAX_FPS = 1.0, 10_000.0

#: a coordinate (or axis-angle component) with a larger magnitude is corrupt, not a pose: 1e9 is 1000 km in
#: mm, a million kilometres in metres, a billion pixels, 1e9 radians.  Such values only come from overflow,
#: uninitialised memory or a broken writer, and they break the arithmetic: the networks' window
#: normalisation squares coordinates (inf past ~1e154 in float64, and float32 overflows past ~1e38, so a
#: single 1e20 turned whole windows into NaN).  Refiners treat them as missing, like NaN.
ABSURD_COORDINATE = 1e9

#: a joint farther from its body's median joint (the median of each coordinate over the frame's joints) than this
#: many times the median of the joints' distances from that point is corrupt, not a pose (:func:`stray_joints`):
#: the networks normalise each window by its joints' centroid and spread, so one such point (a keypoint at 2e4
#: px, 251 times the body's median distance, score unchanged) moved every joint of its body by up to 34 px for a
#: second.  The largest ratio of a real body: 10.9 over the corpus (h36m17, coco17, j14, smpl24; every take,
#: 3D and 2D through random cameras), 25.1 over 213 CMU takes in four rigs of 31-141 joints (ASF/AMC, two BVH
#: rigs, exp-map), 3D and 2D (a 57-joint rig whose 30 finger joints crowd the median: its feet; 16.8 in 3D),
#: 16.3 over MediaPipe's detections on the Sports2D and Pose2Sim videos (image and world landmarks)
STRAY_DISTANCE = 100.0
#: a joint at exactly the origin ((0, 0) or (0, 0, 0)) farther from the rest of its body than this many times that
#: body's spread is a placeholder ("not found": OpenPose, MMPose and YOLO write (0, 0) with a score of 0, and plain
#: arrays keep the zeros without the score), not a pose (:func:`stray_joints`); 2 % of such joints in a 280 px
#: person's 2D track moved the other joints by 14 px through the networks' window normalisation.  A body centred
#: on one of its torso or head joints (a root-centred export: pelvis, hips, thorax, neck, nose, shoulders) has that
#: joint at 3.4 spreads at most (every clip of the embedded corpus, h36m17 and coco17, 3D and 2D; a ``/tmp`` script,
#: 2026-12-07), so it stays a joint; centred on a wrist or an ankle a body reaches 8.3
PLACEHOLDER_DISTANCE = 4.0
#: the fewest judged joints a body needs for :func:`stray_joints`: a body seen with a few of its joints, two of
#: them close together (the eyes in profile), reaches any ratio.  The largest ratio of random subsets of k
#: joints of the corpus's test takes (2D and 3D): 1195 for k = 3, 348 for 5, 100 for 6, 92 for 7, 57 for 8
STRAY_MIN_JOINTS = 8

#: the most values (frames x persons x joints x coordinates) a sequence resampled to a model's frame rate
#: may hold: 2e8 float64 values are 1.6 GB per copy, about 45 hours of one 17-joint 3D person at 30 fps
MAX_RESAMPLED_VALUES = 200_000_000


class SynspInputError(ValueError):
    """A problem with what the user passed in (shape, value, file), not a bug."""


class SynspOutputError(SynspInputError):
    """A refinement produced a result that cannot be right (NaN/inf where the input was finite, a changed
    shape); raised instead of returning or writing it.  A subclass of :class:`SynspInputError`: the cause is
    usually the input (a model or checkpoint that does not fit it, absurd values), and the CLI reports it as
    one line."""


def is_torch(x: Any) -> bool:
    """True for a torch tensor (without importing torch: if it is not loaded, x is no tensor)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def float_dtype(values: Any) -> np.dtype:
    """The floating dtype of the caller's array (numpy or torch) that a result keeps (float32 in, float32 out);
    float64 for anything else (integers, lists, bfloat16)."""
    try:
        dt = np.dtype(str(getattr(values, "dtype", "float64")).replace("torch.", ""))
    except TypeError:
        return np.dtype(np.float64)
    return dt if np.issubdtype(dt, np.floating) else np.dtype(np.float64)


#: dtype kinds that are never numbers here: complex (the imaginary part would be dropped), object, strings,
#: raw bytes, dates/durations
_NOT_NUMBERS = {"c": "complex", "O": "object", "U": "string", "S": "bytes", "V": "structured/void",
                "M": "datetime", "m": "timedelta"}


def to_numpy(x: Any, dtype=np.float64, name: str = "input") -> np.ndarray:
    """numpy view/copy of an array-like or a torch tensor (detached, on the CPU), as ``dtype``.

    Every public function converts its arrays here, so every path refuses the same things with a
    :class:`SynspInputError` naming ``name``: complex numbers (numpy would silently drop the imaginary
    part), object, string and date arrays, ragged nested lists, and, for a numeric ``dtype``, booleans
    (a mask passed where coordinates or scores belong).  A numpy **masked array**'s masked entries become
    NaN, i.e. missing: the result is exactly that of NaN at those entries (with ``dtype=bool`` they become
    False).
    """
    if is_torch(x):
        x = x.detach().cpu()
        if x.dtype in (sys.modules["torch"].bfloat16,):  # numpy has no bfloat16: every value fits float32
            x = x.float()
        x = x.resolve_conj().numpy() if x.is_complex() else x.numpy()
    masked = np.ma.getmaskarray(x) if isinstance(x, np.ma.MaskedArray) else None
    if masked is not None:
        x = np.ma.getdata(x)
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists ("inhomogeneous shape")
        raise SynspInputError(f"{name} is not a rectangular numeric array ({exc})") from None
    kind = arr.dtype.kind
    numeric = np.dtype(dtype).kind in "fiuc"
    if kind in _NOT_NUMBERS or (kind == "b" and numeric):
        what = "boolean" if kind == "b" else _NOT_NUMBERS[kind]
        hint = (" (the imaginary part would be lost); pass real numbers" if kind == "c"
                else "; pass real numbers (float or int)")
        raise SynspInputError(f"{name} is a {what} array (dtype {arr.dtype}){hint}")
    try:
        out = np.asarray(arr, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise SynspInputError(f"{name} cannot be read as {np.dtype(dtype).name} numbers ({exc})") from None
    if masked is not None and masked.any():
        out = np.array(out, copy=True)
        if out.dtype.kind == "f":
            out[masked] = np.nan
        elif out.dtype.kind == "b":
            out[masked] = False
        else:
            raise SynspInputError(f"{name} is a masked array; masked entries need a float dtype (NaN)")
    return out


def _shape_str(shape: Iterable[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def check_poses(
    x: Any,
    name: str = "poses",
    ndims: tuple[int, ...] = (3,),
    dims: tuple[int, ...] = (2, 3),
    joints: int | None = None,
    allow_nan: bool = False,
    min_frames: int = 1,
) -> np.ndarray:
    """Validate a pose array and return it as float64 numpy.

    ``x`` is ``(T, J, D)`` (``ndims=(3,)``) or ``(T, P, J, D)`` (``ndims=(4,)``);
    ``D`` must be in ``dims``, ``J`` equal ``joints`` when given, ``T >= min_frames``.
    Complex, object, boolean and string arrays raise (:func:`to_numpy`); a masked array's masked
    entries are NaN.  Without ``allow_nan``, NaN, inf and absurd values (magnitude above
    :data:`ABSURD_COORDINATE`) raise.  With ``allow_nan`` (the refiners: a missing joint is filled)
    a joint with an inf or absurd coordinate becomes missing (all its coordinates NaN, in a copy);
    if that leaves no value at all where the input had some, :class:`SynspInputError` says so.
    """
    arr = to_numpy(x, name=name)
    layout = {3: "(T, J, D)", 4: "(T, P, J, D)", 2: "(T, C)"}
    expected = " or ".join(layout.get(n, f"{n}-d") for n in ndims)
    if arr.ndim not in ndims:
        raise SynspInputError(
            f"{name} has shape {_shape_str(arr.shape)} ({arr.ndim}-d); expected {expected}"
        )
    if arr.shape[0] < min_frames:
        what = "is empty (0 frames)" if arr.shape[0] == 0 else f"has {arr.shape[0]} frames"
        raise SynspInputError(f"{name} {what}; expected at least {min_frames} frame(s)")
    if arr.ndim >= 3 and arr.shape[-1] not in dims:
        raise SynspInputError(
            f"{name} has D = {arr.shape[-1]} coordinates per joint (shape {_shape_str(arr.shape)}); "
            f"expected D in {set(dims)}, laid out as {expected}"
        )
    if arr.ndim >= 3 and arr.shape[-2] == 0:
        want = f"J = {joints}" if joints is not None else "at least one joint per pose"
        raise SynspInputError(f"{name} has 0 joints (shape {_shape_str(arr.shape)}); expected {want}, laid out as "
                              f"{expected}")
    if arr.ndim == 4 and arr.shape[1] == 0:
        raise SynspInputError(f"{name} has 0 persons or views (shape {_shape_str(arr.shape)}); nothing to refine")
    if joints is not None and arr.ndim >= 3 and arr.shape[-2] != joints:
        raise SynspInputError(
            f"{name} has J = {arr.shape[-2]} joints (shape {_shape_str(arr.shape)}); expected J = {joints}"
        )
    if allow_nan:
        return _absurd_as_missing(arr, name)
    if np.isinf(arr).any():
        idx = tuple(int(i) for i in np.argwhere(np.isinf(arr))[0])
        raise SynspInputError(f"{name} contains inf (first at index {idx}); pass finite values")
    if np.isnan(arr).any():
        idx = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise SynspInputError(
            f"{name} contains NaN (first at index {idx}); fill or mask missing joints first"
        )
    big = _beyond(arr)
    if big.any():
        idx = tuple(int(i) for i in np.argwhere(big)[0])
        raise SynspInputError(f"{name} contains {arr[idx]:g} (first at index {idx}), beyond the "
                              f"{ABSURD_COORDINATE:g} magnitude of any real coordinate; the data is corrupt")
    return arr


def absurd_joints(x: np.ndarray, stray: bool = False, use: Any = None) -> np.ndarray:
    """Mask ``x.shape[:-1]`` of the joints with an inf coordinate or one beyond :data:`ABSURD_COORDINATE`
    (NaN joints are not in it: they are missing already); with ``stray`` (joint positions only, never rotations)
    also those far from their own body, :func:`stray_joints` ``(x, use)``."""
    bad = _beyond(x).any(-1)
    return bad | stray_joints(x, use) if stray else bad


def stray_joints(x: Any, use: Any = None, over_time: bool = True) -> np.ndarray:
    """Mask ``x.shape[:-1]`` of the joints far from their own body: in each frame (and person) ``(J, D)``, farther
    from the frame's median joint (the median of each coordinate over its joints) than :data:`STRAY_DISTANCE`
    times the median of the joints' distances from that point.  Only the joints that are finite, not
    :func:`absurd_joints` and, where ``use`` (a bool mask of ``x.shape[:-1]``) is given, in ``use`` (e.g. the
    joints of a score above the threshold) make the body and can be flagged; a body of fewer than
    :data:`STRAY_MIN_JOINTS` such joints, or whose median distance is 0, flags none.  Also flagged: a detector's
    placeholder, a joint at exactly the origin farther from the median of the frame's other judged joints than
    :data:`PLACEHOLDER_DISTANCE` times their median distance from it (the other joints at least
    :data:`STRAY_MIN_JOINTS`), unless (``over_time``: the first axis of ``x`` is time) that joint is at the origin
    in every frame where it is judged: a root-centred export's root (a whole body's face and hands pull its median
    far from the root).  Refiners treat these joints as missing, like :func:`absurd_joints`.  For joint
    positions only (never axis-angle rotations)."""
    x = np.asarray(x)
    ok = np.isfinite(x).all(-1) & ~_beyond(x).any(-1)
    if use is not None:
        ok &= np.asarray(use, dtype=bool)
    origin = ok & (x == 0).all(-1)
    if over_time and x.ndim >= 3 and len(x) > 1:  # at the origin wherever judged: a root, not a placeholder
        origin &= ~(origin | ~ok).all(axis=0)
    if x.ndim < 2 or x.size == 0 or not ok.any():
        return np.zeros(x.shape[:-1], dtype=bool)
    flat, oks, origins = x.reshape(-1, *x.shape[-2:]), ok.reshape(-1, x.shape[-2]), origin.reshape(-1, x.shape[-2])
    out = np.zeros(oks.shape, dtype=bool)
    step = max(1, (1 << 22) // (x.shape[-2] * x.shape[-1]))  # frames at a time: float64 copies of 32 MB
    for a in range(0, len(flat), step):
        pts = np.where(oks[a:a + step, :, None], flat[a:a + step], np.nan).astype(np.float64)
        dist = np.linalg.norm(pts - _nan_median(pts, 1)[:, None], axis=-1)  # NaN where not in the body
        scale = _nan_median(dist, 1)[:, None]
        with np.errstate(invalid="ignore"):
            far = dist > STRAY_DISTANCE * scale
        out[a:a + step] = far & (oks[a:a + step].sum(1) >= STRAY_MIN_JOINTS)[:, None] & (scale > 0)
        zero = origins[a:a + step]
        if zero.any():  # placeholders at the origin, judged against the body without them
            rows = np.flatnonzero(zero.any(1))
            pts = np.where((oks[a + rows] & ~zero[rows])[:, :, None], flat[a + rows], np.nan).astype(np.float64)
            centre = _nan_median(pts, 1)
            spread = _nan_median(np.linalg.norm(pts - centre[:, None], axis=-1), 1)
            with np.errstate(invalid="ignore"):
                away = (np.linalg.norm(centre, axis=-1) > PLACEHOLDER_DISTANCE * spread) & (spread > 0)
            away &= (~np.isnan(pts).any(-1)).sum(1) >= STRAY_MIN_JOINTS
            out[a + rows] |= zero[rows] & away[:, None]
    return out.reshape(ok.shape)


def _nan_median(v: np.ndarray, axis: int) -> np.ndarray:
    """The median along ``axis`` of the values that are not NaN (NaN where none is), without the per-slice
    overhead of :func:`numpy.nanmedian`."""
    s = np.sort(v, axis=axis)  # NaN last
    k = np.expand_dims((~np.isnan(v)).sum(axis), axis)
    lo = np.take_along_axis(s, np.maximum(k - 1, 0) // 2, axis)
    hi = np.take_along_axis(s, k // 2, axis)  # (k = 0: the first, NaN)
    return np.squeeze((lo + hi) / 2, axis)


def _beyond(x: np.ndarray) -> np.ndarray:
    """Where ``|x| > ABSURD_COORDINATE`` (inf included; NaN compares False), without a float copy of ``x``
    (an hour of a whole body is 345 MB of float64)."""
    with np.errstate(invalid="ignore"):
        big = np.greater(x, ABSURD_COORDINATE)
        big |= np.less(x, -ABSURD_COORDINATE)
    return big


def _absurd_as_missing(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` with joints of :func:`absurd_joints` set to NaN (a copy when there are any)."""
    if arr.ndim < 2 or arr.size == 0:
        return arr
    bad = absurd_joints(arr)
    if not bad.any():
        return arr
    if np.isnan(arr).all(-1)[~bad].all():  # nothing else was observed
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise SynspInputError(
            f"{name}: every value is NaN, inf or beyond the {ABSURD_COORDINATE:g} magnitude of any real "
            f"coordinate (first non-finite or absurd joint at index {idx}: {arr[idx].tolist()}); "
            "the data is corrupt, nothing to refine")
    arr = arr.copy()
    arr[bad] = np.nan
    return arr


def check_radians(rotvec: np.ndarray, name: str = "poses") -> None:
    """Refuse axis-angles ``(..., 3)`` whose median length (over the vectors that are not zero) is beyond pi: angles
    in degrees, read as radians, would be refined as other rotations and written back as those.  A rotation needs
    at most pi; fitted outputs reach 2 pi and an unwrapped root more, in a few joints: the median is the body's."""
    norms = np.linalg.norm(np.asarray(rotvec, dtype=np.float64).reshape(-1, 3), axis=-1)
    norms = norms[np.isfinite(norms) & (norms > 1e-6)]
    if norms.size and np.median(norms) > np.pi:
        raise SynspInputError(
            f"{name}: axis-angle rotations of a median length {float(np.median(norms)):.4g} (up to "
            f"{float(norms.max()):.4g}); in radians a rotation needs at most pi (3.14): degrees? convert them with "
            "numpy.deg2rad first (or they are not rotations)")


def check_fps(fps: Any, name: str = "fps", allow_none: bool = True) -> float | None:
    """``fps`` as a float frame rate in [:data:`MIN_FPS`, :data:`MAX_FPS`] Hz (None passes when
    ``allow_none``); anything else (0, negative, NaN, inf, 1e9, a string, a bool) raises
    :class:`SynspInputError`.  The one frame-rate check of every refiner, API function and command."""
    if fps is None and allow_none:
        return None
    if isinstance(fps, np.ndarray) and fps.ndim == 0:  # np.load(...)["fps"]
        fps = fps.item()
    ok = isinstance(fps, numbers.Real) and not isinstance(fps, (bool, np.bool_))
    rate = float(fps) if ok else math.nan
    if not (MIN_FPS <= rate <= MAX_FPS):  # NaN fails too
        raise SynspInputError(
            f"{name} is {fps!r}; expected a frame rate from {MIN_FPS:g} to {MAX_FPS:g} Hz (frames per second)")
    return rate


def check_max_gap(max_gap: Any, name: str = "max_gap") -> int | None:
    """``max_gap`` (the longest run of missing frames filled inside a track) as an int >= 0, or None."""
    if max_gap is None:
        return None
    if isinstance(max_gap, (bool, np.bool_)) or not isinstance(max_gap, numbers.Integral) or max_gap < 0:
        said, unset = (f"{name} {max_gap}:", "leave it out") if name.startswith("--") else \
            (f"{name} is {max_gap!r};", "or None")
        raise SynspInputError(f"{said} expected a whole number of frames >= 0 ({unset} for half a second)")
    return int(max_gap)


def check_resampled_length(frames: int, fps_in: float, fps_out: float, values_per_frame: int,
                           name: str = "poses") -> int:
    """The length of ``frames`` frames at ``fps_in`` resampled to ``fps_out``,
    ``round((frames - 1) * fps_out / fps_in) + 1`` (at least 2), refused with :class:`SynspInputError`
    past :data:`MAX_RESAMPLED_VALUES` values before anything is allocated."""
    n = max(2, int(round((frames - 1) * fps_out / fps_in)) + 1)
    if n * max(1, values_per_frame) > MAX_RESAMPLED_VALUES:
        raise SynspInputError(
            f"{name}: {frames} frames at {fps_in:g} fps resampled to the model's {fps_out:g} fps would be {n} "
            f"frames ({n * values_per_frame:.3g} values, over the limit of {MAX_RESAMPLED_VALUES:.3g}); check "
            "the frame rate, or refine the recording in parts")
    return n


def check_refined(out: Any, x: np.ndarray, expected: np.ndarray | None = None, what: str = "refined poses") -> None:
    """The last check before a refined result leaves the API: same shape as the input ``x`` and finite
    wherever ``expected`` (default: the joints of ``x`` that are finite) says a value must exist.  Raises
    :class:`SynspOutputError` naming the problem; the result is never returned or written."""
    check_refined_shape(out, x, what)
    if expected is None:
        expected = np.isfinite(x).all(-1)
    bad = expected & ~np.isfinite(out).all(-1)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise SynspOutputError(
            f"{what}: {int(bad.sum())} joint(s) came out NaN or inf where the input was valid or filled (first "
            f"at index {idx}); nothing returned or written. The model (its weights or card) does not fit "
            "this input, or the input's values are out of range")


def check_refined_shape(out: Any, x: np.ndarray, what: str = "refined poses") -> None:
    """:class:`SynspOutputError` unless a refiner's output ``out`` is an array (anything with a ``shape``) of the
    shape of its input ``x``, naming what it returned instead: a list, None, another shape."""
    shape = getattr(out, "shape", None)
    if shape is not None and tuple(shape) == tuple(x.shape):
        return
    if shape is not None:
        got = f"shape {_shape_str(shape)}"
    elif out is None:
        got = "None"
    else:
        kind = type(out).__name__
        got = f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind} (not an array)"
    raise SynspOutputError(f"{what}: the refiner returned {got} for input of shape {_shape_str(x.shape)}; it must "
                           "return an array of the input's shape (numpy.asarray of its result); nothing returned or "
                           "written")


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("pred", "gt")) -> None:
    if a.shape != b.shape:
        raise SynspInputError(
            f"{names[0]} has shape {_shape_str(a.shape)} but {names[1]} has shape "
            f"{_shape_str(b.shape)}; they must match"
        )
