"""Sliding windows over a sequence and their exact average (SWAA).

Window-based refiners (SmoothNet, DeciWatch, SynSP) cut a sequence of ``T``
frames into overlapping windows of ``W`` frames, refine every window, and merge
the ``N`` refined windows back into one sequence by averaging, for each frame,
the predictions of all windows that contain it: the Sliding Window Average
Algorithm (SWAA) of the SynSP paper (supplementary section 2.6).

``sliding_windows(seq, W, step)`` and ``average_windows(windows, step, length)``
are exact inverses on unrefined data, for every ``N >= 1``, ``W >= 1`` and
``1 <= step <= W``:

* window ``i`` starts at ``i * step``; when ``step`` does not divide ``T - W``
  one more window, aligned to the end (start ``T - W``), covers the last frames;
* a sequence shorter than the window (``T < W``) becomes one window padded at
  the end by repeating its last frame (zero velocity, so no spurious jerk); pass
  ``length=T`` to :func:`average_windows` and the padded frames are dropped
  again, so they never reach a metric.

The official SynSP conv2d version is wrong for fewer than ``W - 1`` windows and
ignores the step (notes B8); here the stride-1 case sums anti-diagonals of a
strided view of the windows (one pass over memory, no copy), and every other
case scatter-adds one window position at a time (``W`` vectorised adds, never a
loop over frames).  Numpy and torch (any device) inputs are both accepted and
the result has the input's kind, dtype and device.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from .validation import SynspInputError, is_torch

__all__ = ["window_starts", "sliding_windows", "average_windows", "WindowAccumulator"]


def window_starts(length: int, window: int, step: int = 1) -> np.ndarray:
    """Start frame of every window covering ``length`` frames, shape ``(N,)``.

    ``0, step, 2*step, ...`` and, when that misses the last frames, one more
    window starting at ``length - window``.  ``length < window`` gives ``[0]``
    (the one padded window).
    """
    _check_window_step(window, step)
    if length < 1:
        raise SynspInputError(f"sequence is empty (length {length}); expected at least 1 frame")
    if length <= window:
        return np.zeros(1, dtype=np.int64)
    starts = np.arange(0, length - window + 1, step, dtype=np.int64)
    if starts[-1] != length - window:
        starts = np.append(starts, length - window)
    return starts


def _check_window_step(window: int, step: int) -> None:
    if int(window) != window or window < 1:
        raise SynspInputError(f"window must be a positive integer, got {window!r}")
    if int(step) != step or not 1 <= step <= window:
        raise SynspInputError(
            f"step must be an integer in 1..window ({window}), got {step!r}; "
            "a larger step would leave frames uncovered"
        )


def sliding_windows(seq: Any, window: int, step: int = 1) -> Any:
    """Cut ``seq`` ``(T, ...)`` into windows ``(N, W, ...)`` covering every frame.

    Numpy input with regular starts returns a read-only strided view (no copy);
    torch input returns ``Tensor.unfold`` (also a view) when it can.  See the
    module docstring for the end-aligned last window and the padding of
    ``T < W``.
    """
    _check_window_step(window, step)
    torch_in = is_torch(seq)
    x = seq if torch_in else np.asarray(seq)
    if x.ndim < 1 or x.shape[0] == 0:
        raise SynspInputError(f"sequence has shape {tuple(x.shape)}; expected (T, ...) with T >= 1")
    length = x.shape[0]
    if length < window:
        pad = window - length
        if torch_in:
            x = torch.cat([x, x[-1:].expand(pad, *x.shape[1:])], dim=0)
        else:
            x = np.concatenate([x, np.repeat(x[-1:], pad, axis=0)], axis=0)
        return x[None]
    starts = window_starts(length, window, step)
    regular = starts[-1] == (len(starts) - 1) * step
    if torch_in:
        if regular:
            return x.unfold(0, window, step).movedim(-1, 1)
        index = torch.as_tensor(starts[:, None] + np.arange(window)[None], device=x.device)
        return x[index]
    if regular:
        view = np.lib.stride_tricks.sliding_window_view(x, window, axis=0)[::step]
        return np.moveaxis(view, -1, 1)
    return x[starts[:, None] + np.arange(window)[None]]


def average_windows(windows: Any, step: int = 1, length: int | None = None) -> Any:
    """Merge windows ``(N, W, ...)`` into a sequence ``(T, ...)`` by SWAA.

    Frame ``t`` of the result is the mean of ``windows[i, t - starts[i]]`` over
    every window ``i`` containing ``t``, with ``starts = window_starts(T, W,
    step)``.  ``length`` is the sequence length ``T``; it defaults to
    ``(N - 1) * step + W`` and must be given when the last window was aligned
    to the end or the sequence was shorter than the window.
    """
    torch_in = is_torch(windows)
    w = windows if torch_in else _as_tensor_view(windows)
    if w.ndim < 2 or w.shape[0] == 0:
        raise SynspInputError(
            f"windows have shape {tuple(w.shape)}; expected (N, W, ...) with N >= 1 windows"
        )
    n, window = int(w.shape[0]), int(w.shape[1])
    _check_window_step(window, step)
    if length is None:
        length = (n - 1) * step + window
    starts = window_starts(length, window, step)
    if len(starts) != n:
        raise SynspInputError(
            f"{n} windows of {window} frames at step {step} do not tile a sequence of "
            f"{length} frames (that needs {len(starts)} windows); pass the length used "
            "to cut them"
        )
    if not w.is_floating_point():
        w = w.to(torch.float64)
    feature_shape = w.shape[2:]
    flat = w.reshape(n, window, -1)  # (N, W, C)
    if length < window:  # one padded window: its first `length` frames are the sequence
        out = flat[0, :length]
    elif step == 1 and n >= window:
        out = _average_stride1(flat)
    else:
        out = _scatter_sum(flat, starts, length) / _coverage(starts, window, length, flat)
    out = out.reshape(length, *feature_shape)
    return out if torch_in else out.numpy()


def _as_tensor_view(array: Any) -> torch.Tensor:
    """Zero-copy torch view of a numpy array (read-only arrays too: never written); a non-native byte order
    (big-endian data read from a file, which torch refuses) is converted to the native one, a copy."""
    array = np.ascontiguousarray(array)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(array)


def _scatter_sum(flat: torch.Tensor, starts: np.ndarray, length: int) -> torch.Tensor:
    """Sum of window values per frame: ``W`` vectorised index-adds, ``(T, C)``."""
    n, window, channels = flat.shape
    sums = flat.new_zeros(length, channels)
    index = torch.as_tensor(starts, device=flat.device)
    for b in range(window):  # one add per position in the window, never per frame
        frames = index + b
        keep = frames < length
        sums.index_add_(0, frames[keep], flat[:, b][keep])
    return sums


def _coverage(starts: np.ndarray, window: int, length: int, like: torch.Tensor) -> torch.Tensor:
    """How many windows contain each frame, ``(T, 1)``."""
    frames = (starts[:, None] + np.arange(window)[None]).ravel()
    counts = np.bincount(frames[frames < length], minlength=length)
    return torch.as_tensor(counts, dtype=like.dtype, device=like.device)[:, None]


def _antidiagonal_sums(block: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """``out[u] = sum_b block[u + W-1 - b, b]`` for a contiguous ``(M, W, C)`` block.

    Writing ``b' = W-1-b``, the summed element sits at flat offset
    ``(W-1)*C + u*W*C + b'*(W-1)*C + c``, so ``as_strided`` with strides
    ``(W*C, (W-1)*C, 1)`` exposes all of them as an ``(M-W+1, W, C)`` view
    (no copy) whose sum over the middle axis is the result (written into
    ``out`` when given, to save a copy; autograd needs ``out=None``).
    """
    block = block.contiguous()
    m, window, channels = block.shape
    view = torch.as_strided(
        block,
        size=(m - window + 1, window, channels),
        stride=(window * channels, (window - 1) * channels, 1),
        storage_offset=block.storage_offset() + (window - 1) * channels,
    )
    return view.sum(dim=1) if out is None else torch.sum(view, dim=1, out=out)


def _average_stride1(flat: torch.Tensor) -> torch.Tensor:
    """Stride-1 SWAA for ``N >= W`` windows in one pass over memory, ``(T, C)``.

    Frame ``t`` sums ``windows[t - b, b]`` over ``b``: an anti-diagonal of the
    ``(N, W)`` grid.  Interior frames ``W-1 .. N-1`` see all ``W`` windows and
    are summed straight from a strided view of the windows; the ``W-1`` head
    and tail frames come from the first and last ``W-1`` windows, padded with
    zero windows, then each frame is divided by the number of windows covering
    it (``1..W-1`` at the head, ``W`` inside, ``W-1..1`` at the tail).
    """
    n, window, channels = flat.shape
    if window == 1:
        return flat[:, 0]
    edge = window - 1
    zeros = flat.new_zeros(edge, window, channels)
    head_block, tail_block = torch.cat([zeros, flat[:edge]]), torch.cat([flat[n - edge :], zeros])
    ramp = torch.arange(1, window, dtype=flat.dtype, device=flat.device)[:, None]
    if torch.is_grad_enabled() and flat.requires_grad:
        return torch.cat([
            _antidiagonal_sums(head_block) / ramp,
            _antidiagonal_sums(flat) / window,
            _antidiagonal_sums(tail_block) / ramp.flip(0),
        ])
    out = flat.new_empty(n + edge, channels)
    _antidiagonal_sums(flat, out[edge:n]).div_(window)
    _antidiagonal_sums(head_block, out[:edge]).div_(ramp)
    _antidiagonal_sums(tail_block, out[n:]).div_(ramp.flip(0))
    return out


class WindowAccumulator:
    """SWAA over windows that arrive in batches, in bounded memory.

    Holds per-frame sums ``(T, C)`` and counts ``(T,)`` only (float64 numpy);
    ``add(windows, starts)`` adds a batch of windows ``(n, W, ...)`` starting at
    frames ``starts`` (frames past ``length`` are ignored, as for a padded short
    sequence); :meth:`result` divides.  Adding every window of
    ``window_starts(T, W, step)`` gives exactly :func:`average_windows`.
    """

    def __init__(self, length: int, feature_shape: tuple[int, ...]):
        self.length = int(length)
        self.feature_shape = tuple(feature_shape)
        self.sums = np.zeros((self.length, int(np.prod(feature_shape, dtype=np.int64))))
        self.counts = np.zeros(self.length)

    def add(self, windows: Any, starts: Any) -> None:
        if self.sums is None:
            raise SynspInputError("the accumulator's result was already taken; add the windows to a new one")
        w = windows.detach().cpu().numpy() if is_torch(windows) else np.asarray(windows)
        starts = np.asarray(starts, dtype=np.int64)
        n, window = w.shape[:2]
        if len(starts) != n or w.shape[2:] != self.feature_shape:
            raise SynspInputError(
                f"got {n} windows of shape {tuple(w.shape[1:])} with {len(starts)} starts; expected "
                f"one start per window and windows of shape (W, {', '.join(map(str, self.feature_shape))})"
            )
        flat = w.reshape(n, window, -1)
        distinct = len(np.unique(starts)) == n  # then no frame repeats within one add
        for b in range(window):  # one vectorised add per position in the window
            frames = starts + b
            keep = frames < self.length
            if distinct:
                self.sums[frames[keep]] += flat[keep, b]
                self.counts[frames[keep]] += 1.0
            else:
                np.add.at(self.sums, frames[keep], flat[keep, b])
                np.add.at(self.counts, frames[keep], 1.0)

    def result(self) -> np.ndarray:
        """The averaged sequence ``(T, ...)``; frames no window covered raise.  The sums are divided in place
        (no second copy of a long sequence): the accumulator is done after it."""
        if (self.counts == 0).any():
            first = int(np.argmin(self.counts > 0))
            raise SynspInputError(f"frame {first} is covered by no window; add every window first")
        if self.sums is None:
            raise SynspInputError("the accumulator's result was already taken; add the windows to a new one")
        out, self.sums = self.sums, None
        out /= self.counts[:, None]
        return out.reshape(self.length, *self.feature_shape)
