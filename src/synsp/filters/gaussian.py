"""Gaussian smoothing along time, in the two variants the literature reports.

Both convolve each channel with a sampled Gaussian kernel
``g[k] ~ exp(-k^2 / (2 sigma^2))``, ``|k| <= 4 sigma``, normalised to sum 1
(:func:`scipy.ndimage.gaussian_filter1d`, borders by reflection
``d c b a | a b c d``).  ``fps`` is ignored: ``sigma`` and the windows are in
frames.

``BlockGaussianFilter`` (preset ``gaussian``) reproduces SmoothNet's evaluation
baseline, the number reported in the SmoothNet and SynSP tables: the sequence
is cut into **non-overlapping** blocks of ``window`` (31) frames, each block is
smoothed on its own (sigma 3, reflected at the block's ends), and the last
``T mod window`` frames are returned **unfiltered**.  Its flaws, kept on
purpose so the baseline matches the papers: the smoothed curve may jump at
every block boundary (each block sees a mirrored copy of itself instead of its
neighbours), the tail keeps all its jitter, and a sequence shorter than one
block is returned unchanged.  Use ``gaussian-mmpose`` for a usable smoother.

``MedianGaussianFilter`` (preset ``gaussian-mmpose``) is MMPose 0.x's
``GaussianFilter`` (after akanazawa/human_dynamics): a running median over
``window`` (11) frames removes outliers, then a Gaussian of sigma 4 smooths the
whole sequence.  Like MMPose (``scipy.signal.medfilt``) the median window is
zero-padded at both ends, which biases the first and last ``window // 2``
frames towards zero (for positive values, frame 0 becomes the smallest of the
first ``window // 2 + 1`` values); a sequence shorter than
``window`` is first padded at its start by repeating the first frame, and the
last ``T`` frames are returned (MMPose returns the padded length; we return
``T`` so the shape contract holds).

Look-ahead (``delay``): a block Gaussian frame waits for the end of its block,
up to ``window - 1`` frames (30); MMPose's waits for the median's half window
plus the kernel's radius (``window // 2 + round(4 sigma)``: 5 + 16 = 21
frames).  Both outputs depend on no frame further away, so online
(:meth:`~synsp.filters.base.TemporalFilter.online`) each frame is given out
after ``delay`` frames and equals the offline output when no joint is missing
(online a missing joint holds its last value; offline it is interpolated).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

from ..validation import SynspInputError
from .base import MAX_WINDOW, TemporalFilter, check_at_most, check_positive

__all__ = ["BlockGaussianFilter", "MedianGaussianFilter", "MAX_SIGMA"]

MAX_SIGMA = 10000.0
"""The largest ``sigma``, in frames: a kernel of 8,001 frames (``4 sigma`` each side), over four minutes at
30 fps.  A wider one makes each frame the mean of a whole clip (or block) and costs time and memory in
proportion (``sigma = 1e9`` asked scipy for a 60 GiB kernel)."""


def check_sigma(sigma: float) -> None:
    check_positive(sigma, "sigma")
    check_at_most(sigma, "sigma", MAX_SIGMA, "frames: its kernel, 4 sigma each side, would span more than "
                  f"{int(8 * MAX_SIGMA) + 1} frames, the whole of most clips")


@dataclass(frozen=True, kw_only=True)
class BlockGaussianFilter(TemporalFilter):
    """SmoothNet's block-wise Gaussian baseline.

    Args:
        window: block length in frames; blocks ``[k*window, (k+1)*window)`` are
            smoothed independently and the ``T mod window`` trailing frames are
            left as they are.  At most :data:`~synsp.filters.base.MAX_WINDOW`.
        sigma: standard deviation of the Gaussian kernel, in frames, at most
            :data:`MAX_SIGMA` (10,000).
        min_confidence: see :class:`TemporalFilter`.
    """

    name: str = "gaussian"
    window: int = 31
    sigma: float = 3.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "window", check_positive(self.window, "window", integer=True))
        check_at_most(self.window, "window", MAX_WINDOW, "frames, the longest filter window")
        check_sigma(self.sigma)

    @property
    def delay(self) -> int:
        return self.window - 1  # the first frame of a block waits for its last

    def _chunk_start(self, t: int, end: int | None) -> int:
        return self.window * (t // self.window)  # blocks stay where they are: a chunk starts at a block

    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        T, C = x.shape
        n_blocks = T // self.window
        out = x.copy()
        if n_blocks:
            head = x[: n_blocks * self.window].reshape(n_blocks, self.window, C)  # (N, W, C)
            smoothed = gaussian_filter1d(head, self.sigma, axis=1, mode="reflect", truncate=4.0)
            out[: n_blocks * self.window] = smoothed.reshape(-1, C)
        return out


@dataclass(frozen=True, kw_only=True)
class MedianGaussianFilter(TemporalFilter):
    """MMPose's median-then-Gaussian smoother over the whole sequence.

    Args:
        window: odd length in frames of the running median (zero-padded ends),
            at most :data:`~synsp.filters.base.MAX_WINDOW`.
        sigma: standard deviation of the Gaussian kernel, in frames, at most
            :data:`MAX_SIGMA` (10,000).
        min_confidence: see :class:`TemporalFilter`.
    """

    name: str = "gaussian-mmpose"
    window: int = 11
    sigma: float = 4.0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "window", check_positive(self.window, "window", integer=True))
        check_at_most(self.window, "window", MAX_WINDOW, "frames, the longest filter window")
        if self.window % 2 == 0:
            raise SynspInputError(f"window is {self.window}; expected an odd number of frames")
        check_sigma(self.sigma)

    @property
    def delay(self) -> int:
        return self.window // 2 + int(4.0 * self.sigma + 0.5)  # the median's half window + the kernel's radius

    def _filter(self, x: np.ndarray, fps: float, weight: np.ndarray) -> np.ndarray:
        T = x.shape[0]
        if T < self.window:
            x = np.concatenate([np.repeat(x[:1], self.window - T, axis=0), x])  # (window, C)
        # size (window, 1): a median over time only, zero outside the sequence (as medfilt)
        med = median_filter(x, size=(self.window, 1), mode="constant", cval=0.0)
        return gaussian_filter1d(med, self.sigma, axis=0, mode="reflect", truncate=4.0)[-T:]
