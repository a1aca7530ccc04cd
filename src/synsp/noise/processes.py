"""Random building blocks, vectorised over time: unit-variance AR processes, Poisson bursts, directions."""

from __future__ import annotations

import math

import numpy as np
import scipy.signal


def _unit_innovations(rng: np.random.Generator, shape: tuple[int, ...], df: float | None) -> np.ndarray:
    if df is None:
        return rng.standard_normal(shape)
    return rng.standard_t(df, size=shape) * math.sqrt((df - 2.0) / df)


def ar(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    fps: float,
    tau_s: float,
    order: int = 1,
    df: float | None = None,
) -> np.ndarray:
    """Stationary unit-variance process along axis 0 with time constant ``tau_s``.

    ``order=1``: the exact sampling of an Ornstein-Uhlenbeck process, an AR(1)
    ``x[t] = phi x[t-1] + sqrt(1 - phi^2) w[t]`` with ``phi = exp(-1/(fps*tau_s))``
    and ``x[0] = w[0]`` (lag-k autocorrelation ``phi^k``; spectrum
    ``1 / (1 + (2 pi f tau_s)^2)``).  ``order=2``: that AR(1) filtered once
    more by the same stage and rescaled by ``sqrt((1 - phi^2) / (1 + phi^2))``,
    a smooth process (autocorrelation ``(1 + |t|/tau) exp(-|t|/tau)``, spectrum
    ``1 / (1 + (2 pi f tau_s)^2)^2``), started stationary by discarding a
    burn-in of ``8 tau_s`` seconds.  ``tau_s = 0`` gives the unit-variance
    innovations ``w`` themselves (white).
    """
    if tau_s <= 0:
        return _unit_innovations(rng, shape, df)
    phi = math.exp(-1.0 / (fps * tau_s))
    burn = 0 if order == 1 else int(math.ceil(8 * tau_s * fps))
    w = _unit_innovations(rng, (shape[0] + burn,) + tuple(shape[1:]), df)
    x = w * math.sqrt(1.0 - phi * phi)
    x[0] = w[0]
    x = scipy.signal.lfilter([1.0], [1.0, -phi], x, axis=0)
    if order == 2:
        gain = (1.0 - phi * phi) / math.sqrt(1.0 + phi * phi)
        x = scipy.signal.lfilter([gain], [1.0, -phi], x, axis=0)
    return x[burn:]


def bursts(
    rng: np.random.Generator, num_frames: int, fps: float, rates: np.ndarray, mean_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson bursts on independent tracks: ``(track, start, stop)`` per burst.

    ``rates[k]`` bursts per second on track ``k``; starts uniform over the
    frames; lengths geometric with mean ``max(1, mean_s * fps)`` frames,
    clipped at the end of the sequence.
    """
    counts = rng.poisson(np.asarray(rates, dtype=np.float64) * (num_frames / fps))
    track = np.repeat(np.arange(counts.size), counts)
    start = rng.integers(0, num_frames, size=track.size)
    length = rng.geometric(1.0 / max(1.0, mean_s * fps), size=track.size)
    return track, start, np.minimum(start + length, num_frames)


def expand(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (frame, burst index) covered by the bursts, without a Python loop."""
    length = stop - start
    burst = np.repeat(np.arange(start.size), length)
    first = np.repeat(np.cumsum(length) - length, length)
    return start[burst] + (np.arange(burst.size) - first), burst


def random_directions(rng: np.random.Generator, n: int, dims: int) -> np.ndarray:
    v = rng.standard_normal((n, dims))
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
