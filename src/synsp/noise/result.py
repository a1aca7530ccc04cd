"""What :func:`synsp.noise.simulate` returns: the output arrays and the injected events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import ErrorModel


@dataclass(frozen=True)
class Event:
    """One injected burst: frames ``start`` to ``stop`` (exclusive) of person/view
    ``person``.  ``kind``: ``joint_miss``, ``frame_miss``, ``pair_inversion``,
    ``body_inversion`` or ``swap``; ``joints``: the joints it touches (a
    left/right pair for ``pair_inversion``); ``mode``: the miss mode of misses."""

    kind: str
    start: int
    stop: int
    person: int
    joints: tuple[int, ...]
    mode: str = ""


@dataclass
class Simulated:
    """Output of :func:`simulate`.

    ``pred``: same shape as the ground truth (NaN only for ``"nan"`` misses);
    ``confidence``: ``(T, J)`` or ``(T, P, J)`` in [0, 1], what the estimator
    would report (high on clean joints, dropping with localization error, low
    on misses, 0 on NaN; inversions and swaps are *confident* mistakes);
    ``missing``: ``(T, J)`` or ``(T, P, J)``, True where a miss burst lost the
    joint (any mode); ``events``: every injected burst; ``scale``: ``(P,)``
    length multiplier that was applied (metres per unit, box / 500 px, or
    radians per metre).
    """

    pred: np.ndarray
    confidence: np.ndarray
    missing: np.ndarray
    events: tuple[Event, ...]
    preset: ErrorModel
    fps: float
    scale: np.ndarray
