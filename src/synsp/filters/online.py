"""The online forms of the classical filters (what :meth:`TemporalFilter.online` returns): their base
:class:`FilterOnline`, the missing-joint rule :func:`hold`, and the two generic forms.

Each is a stepper of the :class:`synsp.filters.base.Online` contract: ``start()`` gives a track's state,
``step(states, frames, missing, confidence)`` takes one frame ``(J, D)`` of each track and returns the
refined frames that became final, ``finish(states)`` the frames still pending.  A missing joint holds its
last value (its first value, before it was ever seen: the mean of the joints seen in the track's first
frame, a guess that only keeps the filter's input whole: :class:`synsp.Stream` gives such a joint out as NaN);
frames before a track's first observed joint are not taken (``step`` answers None for them).  When a joint is
observed for the first time, the frames a look-ahead or recent-window form still keeps take that first value
in place of the guess (offline carries the motion back from it), so the guess is not smoothed into the frames
around the observation (it put them 0.3 m off offline on clean motion); a causal recursion (One-Euro, Kalman)
restarts that joint at the value, as offline, where the frames before hold it.

Three kinds, by what the filter's output at frame ``t`` needs (see :mod:`synsp.filters.base`):

* a causal recursion, advanced one frame per step: zero delay, every frame equal to the filter run
  offline over the track so far when no joint is missing (Kalman's also with missing joints, which it
  does not measure either way; One-Euro's not: offline reads a gap interpolated up to the joint's return,
  online the held value).  Each lives with its filter, a :class:`FilterOnline` of its own
  (:class:`synsp.filters.one_euro.OneEuroOnline`, :class:`synsp.filters.kalman.KalmanOnline`).
* :class:`LookAheadOnline` -- a filter whose output at ``t`` depends on the frames up to ``t + L`` only
  (Savitzky-Golay, the Gaussians): frame ``t`` is given out when frame ``t + L`` has come, computed by the
  filter over the chunk of the track that determines it, so it equals the offline output when no joint is
  missing (the first frames of a Savitzky-Golay track excepted: offline fits them with the first ``window``
  frames).
* :class:`RecentOnline` -- zero delay for any filter: each frame is the last frame of the filter run over
  the track's last ``window`` frames, the rule MMPose's ``Smoother`` applies online (``causal=True``).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

import numpy as np

__all__ = ["hold", "FilterOnline", "LookAheadOnline", "RecentOnline"]


def hold(last: np.ndarray | None, frame: np.ndarray, missing: np.ndarray) -> np.ndarray | None:
    """The frame an online refiner sees: ``frame`` ``(J, D)`` with its ``missing`` ``(J,)`` joints holding
    their value in ``last`` (the previous frame it saw).  At a track's start (``last`` None) the missing
    joints take the mean of the joints observed in the frame; None when no joint is observed (the frame
    is not taken).  The coordinates of a missing joint are never read."""
    if last is None:
        if missing.all():
            return None
        return np.where(missing[:, None], np.nanmean(frame[~missing], axis=0), frame)
    return np.where(missing[:, None], last, frame) if missing.any() else frame


class _State:
    """One track of a filter stepper: ``last`` (the last frame taken, filled), ``seen`` (the joints observed so
    far) and the filter's own fields."""

    def __init__(self) -> None:
        self.last: np.ndarray | None = None
        self.seen: np.ndarray | None = None
        self.taken = 0


class FilterOnline:
    """Base of the filter steppers: the ``Online`` surface around ``_push`` (one filled frame of one track)."""

    rotations = False
    skeleton: str | None = None
    joints: int | None = None
    dims: tuple[int, ...] = (2, 3)

    def __init__(self, f: Any, fps: float, delay: int):
        self.filter, self.fps, self.delay = f, fps, delay
        self.window = f.window

    def start(self) -> _State:
        return _State()

    def step(self, states: list, frames: list, missing: list, confidence: list | None = None) -> list:
        out = []
        for k, (st, x, m) in enumerate(zip(states, frames, missing)):
            filled = hold(st.last, x, m)
            if filled is None:
                out.append(None)
                continue
            first = st.last is None
            new = ~m if first else ~m & ~st.seen
            st.seen = new if first else st.seen | new
            if not first and new.any():
                self._first_seen(st, new, filled)
            st.last = filled
            st.taken += 1
            out.append(self._push(st, filled, m, None if confidence is None else confidence[k], first))
        return out

    def finish(self, states: list) -> list:
        return [self._finish(st) if st.taken else [] for st in states]

    def _push(self, st: _State, x: np.ndarray, missing: np.ndarray, confidence: Any, first: bool) -> list:
        raise NotImplementedError

    def _finish(self, st: _State) -> list:
        return []

    def _first_seen(self, st: _State, joints: np.ndarray, frame: np.ndarray) -> None:
        """``joints`` ``(J,)`` observed for the first time in ``frame``: the frames kept take their value there."""

    @staticmethod
    def _fill_back(frames: deque, joints: np.ndarray, frame: np.ndarray) -> None:
        for k, kept in enumerate(frames):
            frames[k] = np.where(joints[:, None], frame, kept)

    def _run(self, frames: list) -> np.ndarray:
        """The filter's offline output over ``frames`` (filled ``(J, D)`` frames), ``(n, J, D)``."""
        x = np.stack(frames)
        flat = x.reshape(len(x), -1)
        return self.filter._filter(flat, self.fps, np.ones_like(flat)).reshape(x.shape)


class RecentOnline(FilterOnline):
    """Zero delay for any filter: frame ``t`` is the last frame of the filter over the track's last
    ``window`` frames (MMPose's ``Smoother`` online rule; an approximation of the offline filter)."""

    def __init__(self, f: Any, fps: float):
        super().__init__(f, fps, 0)

    def _push(self, st, x, missing, confidence, first):
        if first:
            st.recent = deque(maxlen=self.window)
        st.recent.append(x)
        return [self._run(list(st.recent))[-1]]

    def _first_seen(self, st, joints, frame):
        self._fill_back(st.recent, joints, frame)


class LookAheadOnline(FilterOnline):
    """A filter with a bounded look-ahead ``delay``: frame ``t`` is given out when frame ``t + delay`` has
    come, as the filter's offline output over the chunk ``[chunk_start(t, None), t + delay]`` of the track;
    at the track's end (``finish``) the pending frames come from the chunk ``[chunk_start(t0, n), n)``
    (``t0``: the first pending frame, ``n``: the track's length).  Equal to offline wherever the chunk holds
    every frame the offline output depends on and no joint is missing."""

    def __init__(self, f: Any, fps: float, delay: int, chunk_start: Callable[[int, int | None], int]):
        super().__init__(f, fps, delay)
        self.chunk_start = chunk_start
        self.keep = 2 * delay + f.window + 1  # frames kept per track: every chunk lies in them

    def _push(self, st, x, missing, confidence, first):
        if first:
            st.frames = deque(maxlen=self.keep)
        st.frames.append(x)
        t = st.taken - 1 - self.delay
        if t < 0:
            return []
        a = self.chunk_start(t, None)
        return [self._chunk(st, a, st.taken)[t - a]]

    def _first_seen(self, st, joints, frame):
        self._fill_back(st.frames, joints, frame)

    def _finish(self, st):
        n = st.taken
        first = max(0, n - self.delay)
        a = self.chunk_start(first, n)
        out = self._chunk(st, a, n)
        return [out[t - a] for t in range(first, n)]

    def _chunk(self, st, a: int, b: int) -> np.ndarray:
        """The filter over the track's frames ``a .. b - 1`` (absolute indices)."""
        offset = st.taken - len(st.frames)
        assert a >= offset, "the chunk starts before the frames kept"  # keep covers every chunk
        frames = list(st.frames)[a - offset: b - offset]
        return self._run(frames)
