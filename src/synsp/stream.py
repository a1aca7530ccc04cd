"""Online refinement: push frames as they come, get refined frames after a fixed delay.

``Stream(model)`` keeps, per track, the last ``W`` input frames and the
partial window averages of the frames not yet final.  Every pushed frame
completes one window, which is refined at once (batch of one); the oldest
pending frame is then covered by every window it will ever be in, so it is
returned: the **delay is W - 1 frames** (7 frames, 233 ms at 30 fps, for
W = 8).  ``flush()`` returns the last W - 1 frames of every track (averaged
over the windows that exist, as offline refinement does at a sequence's end).

The output equals offline :func:`synsp.refine` of the whole track frame for
frame when no joint is missing and the stream runs at the model's frame rate.

``Stream(model, causal=True)`` has **zero delay**: each pushed frame is
returned at once as the last frame of the refined window ending at it (the
start of a track is padded with its first frame), equal to
``NetworkRefiner(..., causal=True)`` offline.  The shipped models were trained
on whole windows, so their last frame is less accurate than the averaged
output (see the README).
Missing joints (NaN, or confidence below ``min_confidence``) can only be
filled from the past online: they hold their last observed value and are
flagged to models trained with a mask.

``Stream(model, skeleton="mediapipe33")`` streams a larger skeleton that
contains the model's joints (MediaPipe-33, BODY_25, WholeBody-133 for the
COCO-17 model): those joints go through the network; every other joint
follows its nearest refined joint with its offset from it smoothed online
(exponential smoothing, 2 Hz cut-off at the model's rate), as
:class:`synsp.refiners.SubsetRefiner` does offline.

``Stream("synsp-smpl24-rot-w8")`` streams SMPL rotations: frames are ``(24, 3)``
axis-angles, refined as 6D vectors (the windows averaged on them, as offline)
and returned as axis-angles.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Hashable

import numpy as np

from .geometry import axis_angle_to_rot6d, rot6d_to_axis_angle
from .refiners import NetworkRefiner, anchor_positions, extra_joint_anchors, get_refiner, subset_indices
from .skeletons import get_skeleton
from .validation import SynspInputError

__all__ = ["Stream"]


@dataclass
class _Track:
    frames: deque = field(default_factory=deque)  # last W filled input frames (J, D)
    first: np.ndarray | None = None  # first filled frame (causal padding)
    first_missing: np.ndarray | None = None
    missing: deque = field(default_factory=deque)  # their missing flags (J,)
    sums: deque = field(default_factory=deque)  # partial sums of pending output frames
    counts: deque = field(default_factory=deque)
    last_valid: np.ndarray | None = None
    pushed: int = 0
    offset: np.ndarray | None = None  # smoothed offsets of the extra joints (larger skeletons)
    offsets: deque = field(default_factory=deque)  # ... of the frames not returned yet


class Stream:
    """Per-track online refinement with a window network (see the module docstring)."""

    def __init__(self, model: str = "synsp-h36m17-3d-w8", min_confidence: float = 0.3,
                 causal: bool | None = None, skeleton: str | None = None):
        """``causal=None`` follows the model card (``True`` for models trained with ``--causal``);
        ``skeleton``: frames of a larger skeleton containing the model's joints (see the module docstring)."""
        from .rotations import RotationNetwork

        refiner = get_refiner(model) if not isinstance(model, (NetworkRefiner, RotationNetwork)) else model
        self.rotations = isinstance(refiner, RotationNetwork)  # axis-angles in and out, 6D inside
        if self.rotations:
            refiner = refiner.network
        if not isinstance(refiner, NetworkRefiner) or refiner.card.views != 1:
            raise SynspInputError(f"Stream needs a single-view window network; {model!r} is not one")
        self.refiner = refiner
        self.card = refiner.card
        self.window = refiner.card.window
        self.causal = refiner.causal if causal is None else causal
        self.delay = 0 if self.causal else self.window - 1
        self.min_confidence = min_confidence
        self.tracks: dict[Hashable, _Track] = {}
        self.subset = None
        if skeleton is not None and skeleton != self.card.skeleton:
            self.subset = subset_indices(skeleton, self.card.skeleton)
            if self.subset is None:
                raise SynspInputError(f"skeleton {skeleton!r} does not contain every joint of "
                                      f"{self.card.skeleton!r}; {self.card.name} cannot stream it")
            self.extra, self.anchor = extra_joint_anchors(skeleton, self.subset)
            self.num_joints = get_skeleton(skeleton).num_joints
            self.smoothing = 1.0 - math.exp(-2 * math.pi * 2.0 / self.card.fps)

    def push(self, frame: Any, track_id: Hashable = 0, confidence: Any = None) -> list[np.ndarray]:
        """Add one frame ``(J, D)`` of a track; returns the frames that became final (0 or 1)."""
        if self.rotations:
            return [rot6d_to_axis_angle(f) for f in self._push(self._rot6d(frame), track_id, confidence)]
        if self.subset is None:
            return self._push(frame, track_id, confidence)
        x = np.array(frame, dtype=np.float64)
        if x.shape != (self.num_joints, self.card.dims):
            raise SynspInputError(f"frame has shape {x.shape}; expected ({self.num_joints}, {self.card.dims})")
        conf = None if confidence is None else np.asarray(confidence, dtype=np.float64)
        before = self.tracks[track_id].pushed if track_id in self.tracks else 0
        body = self._push(x[self.subset], track_id, None if conf is None else conf[self.subset])
        track = self.tracks[track_id]
        if track.pushed > before:  # the frame was taken: keep its smoothed extra-joint offsets
            seen = np.isfinite(x[self.extra]).all(-1)
            if conf is not None:
                seen &= conf[self.extra] >= self.min_confidence
            offset = x[self.extra] - anchor_positions(x[self.subset], self.anchor, np.nanmean)
            if track.offset is None:
                track.offset = np.where(seen[:, None], offset, np.nan)
            else:
                new = track.offset + self.smoothing * (offset - track.offset)
                track.offset = np.where(seen[:, None], np.where(np.isnan(track.offset), offset, new),
                                        track.offset)
            track.offsets.append(track.offset.copy())
        return [self._with_extras(b, track) for b in body]

    def _with_extras(self, body: np.ndarray, track: _Track) -> np.ndarray:
        out = np.empty((self.num_joints, body.shape[-1]))
        out[self.subset] = body
        out[self.extra] = anchor_positions(body, self.anchor, np.nanmean) + track.offsets.popleft()
        return out

    def _push(self, frame: Any, track_id: Hashable, confidence: Any) -> list[np.ndarray]:
        x = np.array(frame, dtype=np.float64)
        joints = self.refiner.skeleton.num_joints if self.refiner.skeleton else x.shape[0]
        if x.shape != (joints, self.card.dims):
            raise SynspInputError(f"frame has shape {x.shape}; expected ({joints}, {self.card.dims})")
        missing = ~np.isfinite(x).all(-1)
        if confidence is not None:
            missing |= ~(np.asarray(confidence, dtype=np.float64) >= self.min_confidence)
        track = self.tracks.setdefault(track_id, _Track())
        if track.last_valid is None:
            if missing.all():
                return []  # nothing observed yet on this track: wait for a first detection
            track.last_valid = np.where(missing[:, None], np.nanmean(x[~missing], axis=0), x)
        filled = np.where(missing[:, None], track.last_valid, x)
        track.last_valid = filled
        track.frames.append(filled)
        track.missing.append(missing)
        track.sums.append(np.zeros_like(filled))
        track.counts.append(0)
        track.pushed += 1
        if len(track.frames) > self.window:
            track.frames.popleft()
            track.missing.popleft()
        if self.causal:
            track.sums.clear()
            track.counts.clear()
            if track.first is None:
                track.first, track.first_missing = filled, missing
            pad = self.window - len(track.frames)
            frames = np.stack([track.first] * pad + list(track.frames))
            flags = np.stack([track.first_missing] * pad + list(track.missing))
            return [self._refine(frames, flags)[-1]]
        if len(track.frames) < self.window:
            return []
        self._add_window(track, np.stack(track.frames), np.stack(track.missing))
        return [self._pop(track)]

    def flush(self, track_id: Hashable | None = None) -> dict[Hashable, list[np.ndarray]]:
        """End tracks (all, or one): their remaining frames, oldest first."""
        ids = list(self.tracks) if track_id is None else [track_id]
        out = {}
        for tid in ids:
            track = self.tracks.pop(tid)
            frames = self._remaining(track)
            if self.rotations:
                frames = [rot6d_to_axis_angle(f) for f in frames]
            out[tid] = frames if self.subset is None else [self._with_extras(b, track) for b in frames]
        return out

    def _rot6d(self, frame: Any) -> np.ndarray:
        """An axis-angle frame ``(J, 3)`` as 6D vectors ``(J, 6)`` (NaN rotations stay NaN)."""
        x = np.array(frame, dtype=np.float64)
        joints = self.refiner.skeleton.num_joints
        if x.shape != (joints, 3):
            raise SynspInputError(f"frame has shape {x.shape}; expected ({joints}, 3) axis-angle rotations")
        lost = ~np.isfinite(x).all(-1)
        out = axis_angle_to_rot6d(np.where(lost[:, None], 0.0, x))
        out[lost] = np.nan
        return out

    def _remaining(self, track: _Track) -> list[np.ndarray]:
        """The frames of an ended track not returned yet (averaged over the windows that exist)."""
        if self.causal:
            return []  # every frame was returned when it was pushed
        if track.pushed and track.pushed < self.window:  # a short track: one padded window
            pad = self.window - len(track.frames)
            frames = np.concatenate([np.stack(track.frames), np.repeat(track.frames[-1][None], pad, 0)])
            missing = np.concatenate([np.stack(track.missing), np.repeat(track.missing[-1][None], pad, 0)])
            refined = self._refine(frames, missing)[: len(track.sums)]
            return [refined[i] for i in range(len(refined))]
        return [track.sums[i] / track.counts[i] for i in range(len(track.sums))]

    def _add_window(self, track: _Track, frames: np.ndarray, missing: np.ndarray) -> None:
        refined = self._refine(frames, missing)
        for i in range(self.window):  # the window covers the last W pending frames
            k = len(track.sums) - self.window + i
            track.sums[k] = track.sums[k] + refined[i]
            track.counts[k] += 1

    def _pop(self, track: _Track) -> np.ndarray:
        frame = track.sums.popleft() / track.counts.popleft()
        return frame

    def _refine(self, frames: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """One window ``(W, J, D)`` (+ flags ``(W, J)``) -> refined ``(W, J, D)``."""
        return self.refiner.refine_windows(frames[None, None], missing[None, None])[0, 0]
