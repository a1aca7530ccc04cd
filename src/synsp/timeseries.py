"""Time-series primitives, one implementation each: resampling, second difference, root-relative
coordinates, quaternion sign continuity, frame-wise conversions in chunks of frames.

A bottom-layer module (numpy and scipy, nothing else of synsp): readers, the data pipeline, refiners,
metrics and rotations all take these from here.  Time is axis 0 unless a function says otherwise.

* :func:`resample`: ``x`` ``(T, ...)`` at fractional frame times ``t`` ``(n,)`` by linear
  interpolation, ``y[i] = (1 - w_i) x[l_i] + w_i x[h_i]`` with ``l_i = floor(t_i)``,
  ``h_i = min(l_i + 1, T - 1)``, ``w_i = t_i - l_i``; :func:`resample_time` onto ``length`` frames
  spanning the same time (both ends matched), i.e. ``t = frame_grid(T, length)``.
* :func:`to_lower_rate` (``length < T``): the same after a zero-phase low-pass at the new rate's Nyquist
  frequency, so that what the lower rate cannot hold is removed instead of folded into it (white jitter
  at 120 fps keeps a quarter of its power at 30 fps instead of all of it); :func:`to_higher_rate`
  (``length > T``) through a cubic spline instead of straight lines between the frames.  Each also takes the
  other direction, through the spline (no low-pass): a network's rate is reached, and left, from either side
  (straight lines between 25 fps frames and back moved clean motion by about 0.9 mm, the spline 0.1).
* :func:`second_difference`: ``x[t-1] - 2 x[t] + x[t+1]`` along one axis (the discrete
  acceleration, per frame²), for numpy arrays and torch tensors alike.
* :func:`root_relative`: every joint minus the per-frame mean of the root joints.
* :func:`continuous_quaternions`: the sign of each unit quaternion chosen so that consecutive valid
  frames have a non-negative dot product (``q`` and ``-q`` are the same rotation; interpolating or
  filtering along time needs the short way between neighbours).
* :func:`per_chunk`: a frame-wise conversion applied :data:`CHUNK_FRAMES` frames at a time, so the
  memory of long sequences stays bounded; :class:`Converted`: such a conversion made only for the frames
  sliced from it (a long track read a piece at a time, never converted whole).
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

import numpy as np

__all__ = ["frame_grid", "resample", "resample_time", "to_lower_rate", "grid_pieces", "to_lower_rate_in_pieces",
           "to_higher_rate", "second_difference", "root_relative", "continuous_quaternions", "CHUNK_FRAMES",
           "per_chunk", "Converted"]

#: frames converted at once by :func:`per_chunk` (the torch-based conversions make several full-size
#: temporaries: whole hour-long sequences at once would take gigabytes)
CHUNK_FRAMES = 4096


def frame_grid(frames: int, length: int) -> np.ndarray:
    """The fractional input frame of each of ``length`` output frames spanning the same time as
    ``frames`` input frames, ends matched: ``linspace(0, frames - 1, length)``, ``(length,)``."""
    return np.linspace(0.0, frames - 1, length)


def resample(x: np.ndarray, times: np.ndarray) -> np.ndarray:
    """``x`` ``(T, ...)`` at fractional frame ``times`` ``(n,)`` (0 <= t <= T - 1) by linear
    interpolation, ``(n, ...)``.

    ``y[i] = (1 - w) x[l] + w x[h]`` with ``l = floor(t_i)``, ``h = min(l + 1, T - 1)`` and
    ``w = t_i - l``: an integer time gives its frame, the last frame included (``h = l``); linear
    motion is reproduced exactly up to rounding.  A NaN in either neighbour makes the result NaN.
    """
    lo = np.floor(times).astype(np.int64)
    hi = np.minimum(lo + 1, x.shape[0] - 1)
    w = (times - lo).reshape((-1,) + (1,) * (x.ndim - 1))
    return (1.0 - w) * x[lo] + w * x[hi]


def resample_time(x: np.ndarray, length: int) -> np.ndarray:
    """Linear interpolation of ``x`` ``(T, ...)`` onto ``length`` frames spanning the same time.

    The first and last frames map onto each other (``resample(x, frame_grid(T, length))``), so a
    round trip ``T -> n -> T`` returns the original frame times exactly (linear motion comes back
    unchanged).  For a rate change choose ``length = round((T - 1) * fps_out / fps_in) + 1``; the
    grid is then stretched by less than half a frame so that both ends coincide.  One input frame
    or ``length = 1``: the first frame repeated.
    """
    if x.shape[0] == 1 or length == 1:
        return np.repeat(x[:1], length, axis=0)
    return resample(x, frame_grid(x.shape[0], length))


#: order of the zero-phase Butterworth low-pass of :func:`to_lower_rate` (applied forward and backward)
ANTIALIAS_ORDER = 4


def to_lower_rate(x: np.ndarray, length: int, times: np.ndarray | None = None, spline: bool = True) -> np.ndarray:
    """``x`` ``(T, ...)`` (finite) onto ``length`` frames spanning the same time, as :func:`resample_time`;
    onto fewer frames (``length < T``) after a zero-phase Butterworth low-pass (order :data:`ANTIALIAS_ORDER`,
    forward and backward) at the Nyquist frequency of the new rate: the frequencies the fewer frames cannot
    hold are removed, not folded back (aliased) into the ones they keep.  ``times`` ``(length,)``: the
    fractional frames of ``x`` to take instead, evenly spaced (a piece of a longer track on that track's
    grid); spaced by more than a frame, low-passed at their own rate first.  Onto more frames through
    :func:`to_higher_rate`'s spline, or with ``spline=False`` straight lines (each frame from its two neighbours
    only: what a zero-delay refiner may read)."""
    if times is not None and len(times) != length:
        raise ValueError(f"times has {len(times)} values for length {length}")
    T = x.shape[0]
    if times is not None:
        step = float(times[1] - times[0]) if len(times) > 1 else 1.0
        if step < 1.0 and T >= 4 and spline:  # more frames than given: through the spline
            return to_higher_rate(x, length, times=times)
        return resample(_antialiased(x, 1.0 / step) if step > 1.0 and T >= 3 else x, times)
    if length > T and T >= 4 and spline:
        return to_higher_rate(x, length)
    if length >= T or length < 2 or T < 3:
        return resample_time(x, length)
    return resample_time(_antialiased(x, (length - 1) / (T - 1)), length)


def grid_pieces(frames: int, length: int, piece: int, margin: int) -> Iterator[tuple[int, ...]]:
    """The pieces of ``frames`` input frames resampled onto ``length`` frames (:func:`frame_grid`), ``piece``
    resampled frames at a time, each made with ``margin`` more on either side: ``(k0, k1, lo_k, hi_k, lo, hi, a,
    b)``, the resampled frames ``k0 .. k1 - 1`` given and ``lo_k .. hi_k - 1`` made, from input frames
    ``lo .. hi - 1``, and the input frames ``a .. b - 1`` whose times fall among the given ones."""
    step = (frames - 1) / max(1, length - 1)  # input frames per resampled frame
    for k0 in range(0, length, piece):
        k1 = min(length, k0 + piece)
        lo_k, hi_k = max(0, k0 - margin), min(length, k1 + margin)
        lo, hi = int(math.floor(lo_k * step)), min(frames, int(math.ceil((hi_k - 1) * step)) + 1)
        a = 0 if k0 == 0 else int(math.ceil(k0 * step - 1e-9))
        b = frames if k1 == length else int(math.ceil(k1 * step - 1e-9))
        yield k0, k1, lo_k, hi_k, lo, hi, a, b


def to_lower_rate_in_pieces(x: np.ndarray, length: int, fn: Any = None, piece: int = 32_768,
                            margin: int = 256, fn_out: Any = None) -> np.ndarray:
    """:func:`to_lower_rate` of ``fn(x)`` (``fn``: a frame-wise conversion, or None) made ``piece`` output frames at a
    time (fewer when they span more than ``piece`` input frames), each low-passed over its input frames and
    ``margin`` output frames more on either side, on the whole sequence's grid: the same result within
    rounding, in the memory of a piece (an hour at 120 Hz is not converted and filtered whole).  ``fn_out``: a
    frame-wise conversion of the result, made a piece at a time (``fn_out(to_lower_rate_in_pieces(x, length,
    fn))`` without the whole intermediate)."""
    T = x.shape[0]
    piece = max(1, int(piece / max(1.0, (T - 1) / max(1, length - 1))))  # at most `piece` input frames, too
    if length >= T or length < 2 or T < 3 or length <= piece + 2 * margin:
        y = to_lower_rate(x if fn is None else per_chunk(fn, x), length)
        return y if fn_out is None else per_chunk(fn_out, y)
    grid = frame_grid(T, length)
    out = None
    for k0, k1, lo_k, hi_k, lo, hi, _, _ in grid_pieces(T, length, piece, margin):
        span = x[lo:hi] if fn is None else per_chunk(fn, x[lo:hi])
        y = to_lower_rate(span, hi_k - lo_k, times=grid[lo_k:hi_k] - lo)[k0 - lo_k:k1 - lo_k]
        y = y if fn_out is None else per_chunk(fn_out, y)
        out = np.empty((length,) + y.shape[1:], dtype=y.dtype) if out is None else out
        out[k0:k1] = y
    return out


def _antialiased(x: np.ndarray, cutoff: float) -> np.ndarray:
    """The low-pass of :func:`to_lower_rate` at ``cutoff`` (a fraction of ``x``'s Nyquist frequency)."""
    import scipy.signal

    sos = scipy.signal.butter(ANTIALIAS_ORDER, cutoff, output="sos")
    # padded over twice the filter's time scale (4 / cutoff frames) and at least scipy's default, so that the ends
    # of a take at a high rate (far above the network's) carry no transient of the padding
    pad = max(3 * (2 * len(sos) + 1), int(math.ceil(4.0 / cutoff)))
    return scipy.signal.sosfiltfilt(sos, x, axis=0, padlen=min(pad, x.shape[0] - 1))


def to_higher_rate(x: np.ndarray, length: int, times: np.ndarray | None = None, spline: bool = True) -> np.ndarray:
    """``x`` ``(T, ...)`` (finite) onto ``length`` frames spanning the same time, as :func:`resample_time`;
    onto more frames (``length > T``, from at least 4) through a cubic spline (not-a-knot) through its
    frames, ends matched; onto fewer frames through the same spline, not low-passed (for a smooth ``x``, such as a
    network's output on its way back to a lower input rate).  ``times`` ``(length,)``: the fractional frames of
    ``x`` to take instead (within ``0 .. T - 1``), through the same spline.  ``spline=False``: straight lines
    between the frames instead (each point from its two neighbouring frames only: what a zero-delay refiner may
    read; a spline's every point depends on the whole sequence)."""
    if times is not None and len(times) != length:
        raise ValueError(f"times has {len(times)} values for length {length}")
    T = x.shape[0]
    if times is None and (length == T or T < 4 or length < 2 or not spline):
        return resample_time(x, length)
    if times is not None and (T < 4 or not spline):
        return resample(x, np.clip(times, 0.0, T - 1))
    import scipy.interpolate

    at = frame_grid(T, length) if times is None else np.clip(times, 0.0, T - 1)
    return scipy.interpolate.CubicSpline(np.arange(T, dtype=np.float64), x, axis=0)(at)


def second_difference(x: Any, axis: int = 0) -> Any:
    """The discrete acceleration ``x[t-1] - 2 x[t] + x[t+1]`` along ``axis``: ``T`` frames give
    ``T - 2`` (a numpy array or a torch tensor, whichever ``x`` is; evaluated in that order, as
    SmoothNet computes its Accel metric and loss).

    A quadratic ``a t² + b t + c`` gives the constant ``2 a``; a constant or linear signal gives 0.
    """
    ax = axis % x.ndim
    head = (slice(None),) * ax

    def part(a: int, b: int | None) -> tuple:
        return head + (slice(a, b),)

    return x[part(None, -2)] - 2.0 * x[part(1, -1)] + x[part(2, None)]


def root_relative(x: Any, root_joints: Sequence[int]) -> np.ndarray:
    """Every joint minus the per-frame mean of ``root_joints``: ``x - mean_{r in roots} x[..., r, :]``,
    ``(..., J, D)`` in, the same shape out (float64); the roots' mean becomes 0."""
    arr = np.asarray(x, dtype=np.float64)
    return arr - arr[..., list(root_joints), :].mean(axis=-2, keepdims=True)


def continuous_quaternions(q: Any) -> np.ndarray:
    """``(T, J, 4)`` quaternions with signs chosen so that consecutive valid frames of each joint
    have a non-negative dot product (NaN frames are skipped and stay NaN).

    Frame ``t`` is compared with the last valid frame before it *as read*: ``s_t = -1`` where
    ``q_t . q_prev < 0``, and the output is ``q_t prod_{u <= t} s_u`` (float64).
    """
    q = np.array(q, dtype=np.float64)
    T = q.shape[0]
    valid = np.isfinite(q).all(-1)  # (T, J)
    idx = np.where(valid, np.arange(T)[:, None], -1)
    last = np.maximum.accumulate(idx, axis=0)  # last valid frame <= t
    prev = np.concatenate([np.full((1,) + last.shape[1:], -1), last[:-1]], axis=0)  # last valid frame < t
    has_prev = valid & (prev >= 0)
    ref = np.take_along_axis(q, np.clip(prev, 0, None)[..., None], axis=0)
    dot = np.einsum("tjk,tjk->tj", np.where(has_prev[..., None], q, 0.0), np.where(has_prev[..., None], ref, 0.0))
    step = np.where(dot < 0, -1.0, 1.0)  # flip relative to the previous valid frame (as read)
    sign = np.cumprod(step, axis=0)
    return q * sign[..., None]


def per_chunk(fn: Any, x: np.ndarray, chunk: int = CHUNK_FRAMES) -> np.ndarray:
    """``fn`` (a frame-wise conversion, e.g. :func:`synsp.geometry.axis_angle_to_rot6d`) applied to
    ``x`` ``(T, ...)`` ``chunk`` frames at a time, so memory stays bounded for long sequences."""
    if len(x) <= chunk:
        return np.asarray(fn(x))
    first = np.asarray(fn(x[:chunk]))
    out = np.empty((len(x),) + first.shape[1:], dtype=first.dtype)  # filled in place: no list of chunks to join
    out[:chunk] = first
    for a in range(chunk, len(x), chunk):
        out[a:a + chunk] = fn(x[a:a + chunk])
    return out


class Converted:
    """The frame-wise conversion ``fn`` of ``x`` ``(T, ...)``, made for the frames sliced from it: ``c[a:b]`` is
    ``per_chunk(fn, x[a:b])`` (the frames of ``per_chunk(fn, x)``), ``c.shape`` the whole result's, last axis
    ``dims`` (``Converted(rotvec, axis_angle_to_rot6d, 6)``: an hour's 6D vectors never made at once).
    ``np.asarray(c)`` converts every frame."""

    def __init__(self, x: np.ndarray, fn: Any, dims: int):
        self.x, self.fn = x, fn
        self.shape = tuple(x.shape[:-1]) + (int(dims),)
        self.ndim, self.dtype = len(self.shape), np.dtype(np.float64)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a Converted array is sliced by frames (c[a:b]) only")
        return per_chunk(self.fn, self.x[key])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = per_chunk(self.fn, self.x)
        return out if dtype is None else out.astype(dtype)
