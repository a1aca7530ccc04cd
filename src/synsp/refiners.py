"""The one contract every refiner obeys, and refiners by name.

A refiner is called on poses ``(T, J, D)`` or ``(T, P, J, D)`` with an
optional frame rate and per-joint confidences, and returns the same shape
(with ``return_filled=True`` the mask of the joints it filled too); it has a
``delay`` (its look-ahead in frames) and an online form ``online()``: the
contract :class:`synsp.filters.base.Refiner`, documented there once.
Classical filters implement it directly; :class:`NetworkRefiner` wraps a
trained window network (SynSP, SmoothNet, DeciWatch) with everything around it:

1. missing joints (NaN, or confidence below ``min_confidence``) are filled over
   time, short gaps along the motion's curve (:func:`synsp.missing.curved_fill`;
   causally, the last frame held), and given to the network as observed
   (:attr:`NetworkRefiner.tell_missing`);
2. a sequence at a higher frame rate than the model's is low-passed and resampled to it, refined, and brought
   back to the input's frame times (a cubic spline); one at a lower rate, down to a third of it, is refined by a
   universal model at its own rate (:data:`NATIVE_SLOWDOWN`: its frames are motion played up to 3x faster, which
   those networks learned), otherwise resampled as a higher one;
3. windows of ``W`` frames, one every ``stride`` frames (the card's: 1 unless
   it says otherwise; a short sequence is edge-padded), are normalised per
   window (:mod:`synsp.normalization`), refined in batches of ``batch``
   windows, de-normalised and merged by the exact window average (SWAA) as
   they come, so memory stays bounded for any length;
4. persons are refined independently by single-view models; a multi-view model
   refines the P synchronised views of one person together.

Online (:meth:`NetworkRefiner.online`, what :class:`synsp.Stream` drives) each
track keeps its last frames; every frame completes one window, refined at
once (all tracks' windows in one batched forward), and the oldest pending frame,
covered by every window it will ever be in, comes out: a delay of ``W - 1``
frames, equal to offline when no joint is missing (a gap, filled again when it
closes and its windows refined again, nearly so).  ``causal=True``: each frame
is the last frame of the window ending at it (zero delay).  :class:`SubsetRefiner`
and :class:`FunctionRefiner` (any function behind the contract) complete the set.

:func:`get_refiner` resolves a name: a filter (``"one-euro"``, ``"savgol"``,
..., with parameters ``"one-euro:min_cutoff=1,beta=0.01"``), a model shipped in ``synsp/weights``, a
checkpoint path or a run folder (its ``best`` checkpoint).  Concrete refiners built on these add
themselves to a small registry instead of this module importing them (it imports none of them):
:func:`register_resolver` adds a name pattern (:mod:`synsp.grouping`: ``<model>+similar-poses``) and
:func:`register_wrapper` the wrapper of networks whose card names a normalisation
(:mod:`synsp.rotations`: :class:`~synsp.rotations.RotationNetwork` for 6D rotation cards).  The
modules of :data:`BUILTIN_REFINER_MODULES` are loaded by name the first time a lookup needs them (as
Pillow loads its format plugins), so ``get_refiner`` gives the same refiners in a fresh interpreter.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import math
import os
from collections import deque
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from scipy.signal import lfilter

from .filters import FILTERS, get_filter, parse_filter_spec
from .filters.base import WHOLE_SEQUENCE, Online, Refiner
from .filters.online import hold
from .missing import (CURVED_SUPPORT, CarriedFill, carried_start, carry_missing, fill_gaps, interpolate_missing,
                      missing_from_confidence, unseen_start)
from .models.checkpoint import ModelCard, checkpoint_file, load_model
from .normalization import (
    ROTATIONS_6D,
    root_joints_of,
    SHARED_VIEWS,
    denormalize_rotation_windows,
    denormalize_windows,
    normalize_rotation_windows,
    normalize_windows,
    window_mask,
)
from .noise_floor import noise_floor
from .root_jitter import smooth_rigid_jitter
from .skeletons import (BODY_JOINTS, BUILTIN_SKELETONS, SKELETONS as SKELETON_NAMES, get_skeleton, joint_key,
                        joint_structure, skeleton_for, skeleton_name, skeleton_of_names)
from .timeseries import grid_pieces, per_chunk, resample as sample_at, resample_time, to_higher_rate, to_lower_rate
from .validation import SynspInputError, check_fps, check_poses, check_resampled_length, to_numpy
from .windows import WindowAccumulator, window_starts

__all__ = ["Refiner", "NetworkRefiner", "SubsetRefiner", "FunctionRefiner", "get_refiner", "fit_refiner",
           "what_it_takes", "for_skeleton", "shipped_models", "WEIGHTS_DIR", "resample_time", "network_refiner",
           "register_resolver", "register_wrapper", "BUILTIN_REFINER_MODULES", "VIEW_MEAN", "shipped_path"]

WEIGHTS_DIR = Path(__file__).parent / "weights"
#: a multi-view model's name plus this suffix refines one person with similar poses (synsp.grouping)
SIMILAR_POSES = "+similar-poses"
#: a network refines a track longer than this many frames (at its rate, or the input's when that is higher) in
#: overlapping pieces of it (bounded working memory)
PIECE_FRAMES = 32_768
#: each piece reaches this far (seconds at the network's rate, and at least two windows) beyond the frames it
#: gives: the window average needs one window, the low-pass before a lower rate and the spline back a few
#: frames; so a piece's frames are the whole track's (the stage after the network runs on the whole track)
PIECE_MARGIN_S = 10.0
#: input from this many times below a universal network's rate up to its rate is refined at its own rate, frame for
#: frame, instead of through a spline to the network's rate: its frames are motion played up to this much faster,
#: which the universal networks trained on (``--fast-motion``; 2026-12-07, `python benchmarks/frame_rate.py --split
#: val --rates 12,15,20`: at 15 fps the 8-frame universal model leaves 10.28 mm of spiky jitter and 10.22 of
#: overshoot, through the spline 15.04 / 14.93)
NATIVE_SLOWDOWN = 3.0
#: a single-view method's name plus this suffix refines synchronised views of one person, each alone, then
#: fuses them (synsp.view_fusion)
VIEW_MEAN = "+view-mean"


class NetworkRefiner:
    """A trained window network behind the refiner contract (see the module docstring).

    ``smooth_rigid`` (default: True for the universal models, False for the others, which stay as trained
    and published): offline, single-view and non-causal, a body of 2D / 3D points whose input turns
    jerkily as a whole beyond its shape gets that rotation smoothed after the network
    (:func:`synsp.root_jitter.smooth_rigid_jitter`).
    """

    #: the frames a track part needs to be refined by :func:`synsp.refine_pose_file` (shorter ones are left as they
    #: are): a part shorter than the window is one window, edge-padded.  Measured on the test split's clips cut
    #: into parts of 4-15 frames, 3D and 2D: refined, every held-out family's error drops below the input's at
    #: every length, clean parts gain 0.3-0.5 mm / 0.03-0.08 px (see docs/results.md, *Short track parts*)
    min_frames = 4

    #: whether a network built with a mask input (``card.mask``) is told which joints were filled.  Not by
    #: default: the filled joints (along the motion's curve, or the last frame causally) are given as observed.
    #: Told, the networks move the observed frames around a gap as if the window held errors (in training a
    #: miss comes with other errors): on clean test-split motion with 20 % of the frames missing (linear fill)
    #: the default moved the observed frames by 2.95 mm (0.23 untold) and filled the missing ones 5.10 mm from
    #: the truth (3.74 untold, the straight line's), and untold was as good or better with jitter, in bursts of
    #: misses, in 2D and for the other networks (``python benchmarks/missing_frames.py``; docs/results.md,
    #: *Missing frames*)
    tell_missing = False

    def __init__(self, model: torch.nn.Module, card: ModelCard, batch: int = 1024, device: str = "cpu",
                 min_confidence: float = 0.3, causal: bool | None = None, stride: int | None = None,
                 smooth_rigid: bool | None = None, joint_set: str | None = None):
        self.model = model.eval().to(device)
        self.card = card
        self.name = card.name
        self.window = card.window
        # causal: frame t is the last frame of the window ending at t (zero delay, no window average)
        self.causal = card.causal if causal is None else causal
        # a body whose rotation as a whole jitters beyond its shape: smoothed after the universal model
        self.smooth_rigid = card.architecture == "universal" if smooth_rigid is None else bool(smooth_rigid)
        stride = card.stride if stride is None else stride  # the card's: 1 unless its model says otherwise
        if not (isinstance(stride, int) and 1 <= stride <= card.window):
            raise SynspInputError(f"stride is {stride!r}; expected an integer from 1 to the window ({card.window})")
        self.stride = stride  # 1: every window, averaged (SWAA); W: non-overlapping windows
        self.batch = batch
        self.device = device
        self.min_confidence = min_confidence
        self.skeleton = get_skeleton(card.skeleton) if card.skeleton != "any" else None
        #: the poses' skeleton, told to a universal model built with ``joint_structure`` (where each joint sits)
        self.joint_set = get_skeleton(joint_set).name if joint_set is not None else None

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, **kw) -> "NetworkRefiner":
        model, card = load_model(path)
        return cls(model, card, **kw)

    @property
    def dims(self) -> tuple[int, ...]:
        """The coordinate counts the network takes: the card's, or the model's own ``accepts_dims`` (the
        universal model: 2D and 3D with the same weights)."""
        return tuple(getattr(self.model, "accepts_dims", (self.card.dims,)))

    @property
    def delay(self) -> int:
        """0 when causal, else ``W - 1``: the last window holding frame ``t`` ends at ``t + W - 1``."""
        return 0 if self.causal else self.window - 1

    def online(self, causal: bool | None = None, fps: float | None = None) -> "WindowOnline":
        """The network frame by frame (:class:`WindowOnline`): ``W - 1`` frames of delay, or none with
        ``causal=True`` (default: the refiner's own ``causal``).  ``fps`` must be one the network runs at frame
        for frame (:meth:`runs_at`: its rate, or below it down to a third of it; a stream is not resampled); one
        view per track (a multi-view model raises)."""
        card = self.card
        if fps is not None and not self.runs_at(check_fps(fps)):
            k = next((k for k in range(2, int(fps) + 2) if self.runs_at(fps / k)), None) if fps > card.fps else None
            every = f"push one frame in {k} (Stream(fps={fps / k:g})), " if k else ""
            lowest = card.fps / NATIVE_SLOWDOWN if self.runs_at(card.fps / NATIVE_SLOWDOWN) else card.fps
            rates = f"{lowest:g} to {card.fps:g} fps" if lowest < card.fps else f"{card.fps:g} fps"
            raise SynspInputError(
                f"fps is {fps:g}, but {self.name!r} runs online at {rates} and cannot resample a stream; refine "
                f"offline (synsp.refine resamples), {every}or use a filter (e.g. Stream('one-euro', fps=...))")
        if not self._persons_alone:
            raise SynspInputError(
                f"{self.name} refines {card.views} synchronised views of one person together; online, each track "
                "is one view: use a single-view model (e.g. synsp-h36m17-3d-w8) or "
                f"{self.name}{SIMILAR_POSES}")
        return WindowOnline(self, self.causal if causal is None else bool(causal), card.fps if fps is None else fps)

    def _built_with(self, switch: str) -> bool:
        """The network's config has ``switch`` on (a universal model's ``view_consensus``, ``noise_cue``, ...)."""
        return bool(getattr(getattr(self.model, "config", None), switch, False))

    @property
    def view_consensus(self) -> bool:
        """A universal model trained on several views (``view_consensus``): the views of a window are refined
        together, each one's refinement stage reading the others' base output; any number of views."""
        return self._built_with("view_consensus")

    @property
    def _persons_alone(self) -> bool:
        """True when each person (each track) is refined on its own (a single-view model)."""
        return self.card.views == 1

    @property
    def views_together(self) -> bool:
        """The P axis of ``(T, P, J, D)`` is read as views of one person, refined together (a multi-view or
        view-consensus network): persons given to it would be mixed (:func:`synsp.api.refine` refuses that)."""
        return not self._persons_alone or self.view_consensus

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None,
                 progress: bool = False, return_filled: bool = False):
        """Refine ``poses``; with ``return_filled`` also return the mask of filled joints."""
        card = self.card
        joints = self.skeleton.num_joints if self.skeleton else None
        x = check_poses(poses, "poses", ndims=(3, 4), dims=self.dims, joints=joints, allow_nan=True)
        if x.shape[-2] < 2 and x.shape[-1] in (2, 3):  # normalised, one point is a point: returned as it came
            raise SynspInputError(f"{self.name} refines the joints of a body relative to each other; one point per "
                                  "frame has no shape to read: use a filter (e.g. model='butterworth')")
        single = x.ndim == 3
        x4 = x[:, None] if single else x  # (T, P, J, D)
        missing = np.isnan(x4).any(-1)  # (T, P, J)
        if confidence is not None:
            low = missing_from_confidence(confidence, x.shape, self.min_confidence)
            missing |= low[:, None] if single else low
        if missing.all(axis=(0, 2)).any():
            p = int(np.flatnonzero(missing.all(axis=(0, 2)))[0])
            raise SynspInputError(f"person/view {p} has no valid joint in any frame; nothing to refine")
        fps_in = card.fps if fps is None else check_fps(fps)
        self._model_length(x4.shape[0], fps_in, x4.shape[1:])  # refused before anything is allocated
        if missing.any() or x4.dtype != np.float64:  # offline, short gaps along a curve (synsp.missing.curved_fill)
            if self.causal:  # a joint before its first observation: the stream's guess, never a later frame
                guessed, lead = unseen_start(x4, missing)
                filled, _ = carry_missing(guessed, missing & ~lead)
            else:
                filled, _ = interpolate_missing(x4, missing, curved=True, body=True)  # long gaps: body-relative
        else:  # nothing to fill: the poses themselves, only read from here on (an hour of a body is not copied)
            filled = x4
        del x4, x
        out = self.refine_filled(filled, missing, fps_in, progress)
        out = out[:, 0] if single else out
        if return_filled:
            return out, (missing[:, 0] if single else missing)
        return out

    def refine_filled(self, filled: Any, missing: np.ndarray, fps_in: float, progress: bool = False,
                      decode: Callable | None = None) -> np.ndarray:
        """The network and the stage after it on gap-filled poses ``filled`` ``(T, P, J, D)`` at ``fps_in``
        (``missing`` ``(T, P, J)``: the filled joints), what :meth:`__call__` runs after its checks.

        On a long track the network runs in overlapping pieces of :data:`PIECE_FRAMES` frames at its rate, on
        the whole track's grid of that rate, each reaching :data:`PIECE_MARGIN_S` (and two windows) beyond the
        frames it gives, and the stage after it runs on the whole track (a few joints or frames at a time): the
        working memory is a piece's, not the track's (an hour at 100 Hz), and the output the whole track's
        refinement.  ``filled`` may be a :class:`synsp.timeseries.Converted` (converted a piece at a time) and
        ``decode`` a frame-wise conversion of the output made a piece at a time (a rotation network's 6D
        vectors in and axis-angles out: :class:`synsp.rotations.RotationNetwork`); neither with the stage."""
        from tqdm.auto import tqdm  # loaded when used (the import time of synsp)

        card, T = self.card, filled.shape[0]
        stage = self._stage_for(filled.shape[-1])
        if stage and (decode is not None or not isinstance(filled, np.ndarray)):
            raise ValueError("refine_filled: the rigid stage needs the poses themselves (no Converted, no decode)")
        n_model = self._model_length(T, fps_in, filled.shape[1:])
        resample, n = n_model is not None, T if n_model is None else n_model
        margin = max(2 * self.window, int(math.ceil(PIECE_MARGIN_S * card.fps)))  # frames at the network's rate
        step = (T - 1) / max(1, n - 1)  # input frames per frame at the network's rate (the whole track's grid)
        per = max(1, int(PIECE_FRAMES / max(1.0, step)))  # at most PIECE_FRAMES input frames a piece, and margins
        if n <= per + 2 * margin:
            out = self._refined(np.asarray(filled), missing, fps_in, progress)
            return out if decode is None else per_chunk(decode, out)
        faster = resample and fps_in > card.fps
        keep = decode is None or resample  # the network's output kept as it is (decoded later, if at all)
        net = None  # the network's output at its rate
        work = np.empty((n,) + filled.shape[1:]) if stage and faster else None  # its input, which the stage reads
        bar = tqdm(total=n, desc=f"refining with {card.name}", unit="frame", disable=not progress)
        for k0, k1, lo_k, hi_k, lo, hi, _, _ in grid_pieces(T, n, per, margin):  # the network's frames k0 .. k1 - 1
            down = lo_k * step - lo + step * np.arange(hi_k - lo_k)  # its frames in the piece's input frames
            piece = to_lower_rate(filled[lo:hi], len(down), times=down, spline=not self.causal) if resample \
                else filled[lo:hi]
            gone = (sample_at(missing[lo:hi].astype(float), down) > 0.5) if resample else missing[lo:hi]
            given = self._network(piece, gone, False)[k0 - lo_k:k1 - lo_k]
            given = given if keep else per_chunk(decode, given)
            net = np.empty((n,) + given.shape[1:]) if net is None else net
            net[k0:k1] = given
            if work is not None:
                work[k0:k1] = piece[k0 - lo_k:k1 - lo_k]
            bar.update(k1 - k0)
        bar.close()
        if work is not None:  # at the network's rate, decided on the input as the network saw it
            net = smooth_rigid_jitter(net, card.fps, gate_from=work, copy=False)
            del work
        if not resample:
            out = net
        else:
            out = None
            for _, _, lo_k, hi_k, _, _, a, b in grid_pieces(T, n, per, margin):  # back through the spline, by piece
                back = to_higher_rate(net[lo_k:hi_k], b - a, times=np.arange(a, b) / step - lo_k,
                                      spline=not self.causal)
                back = back if decode is None else per_chunk(decode, back)
                out = np.empty((T,) + back.shape[1:]) if out is None else out
                out[a:b] = back
            del net
        if stage and not faster:  # decided on the input, as for rotations
            out = smooth_rigid_jitter(out, fps_in, gate_from=filled, copy=False)
        return out

    def runs_at(self, fps: float, rotations: bool = False) -> bool:
        """True when input at ``fps`` is refined at its own rate, frame for frame: the network's rate (within 1 %),
        or, for a universal model's positions, below it down to :data:`NATIVE_SLOWDOWN` times lower (measured there
        only: SmoothNet, DeciWatch, HANet and the dedicated SynSP models so run added 2-10 mm more to clean motion
        at 15 fps than through the spline; ``rotations``, 6D rotation input: only its rate, as at 15 fps the
        rotation weights so added 0.03-0.08 degrees to the smallest held-out errors)."""
        rate = self.card.fps
        native = not rotations and self.card.architecture == "universal"
        return abs(fps - rate) <= 0.01 * rate + 1e-9 or (native and rate / NATIVE_SLOWDOWN <= fps < rate)

    def _model_length(self, frames: int, fps_in: float, frame_shape: tuple) -> int | None:
        """The length at the network's rate of ``frames`` frames of shape ``frame_shape`` at ``fps_in``, refused past
        :data:`synsp.validation.MAX_RESAMPLED_VALUES` before anything is allocated; None when the network runs at
        that rate (:meth:`runs_at`) or there is one frame: nothing is resampled."""
        rotations = frame_shape[-1] == 6 or self.card.normalization == ROTATIONS_6D
        if self.runs_at(fps_in, rotations) or frames <= 1:
            return None
        return check_resampled_length(frames, fps_in, self.card.fps, int(np.prod(frame_shape)))

    def _stage_for(self, dims: int) -> bool:
        """The rigid stage (:func:`synsp.root_jitter.smooth_rigid_jitter`) follows the network on ``dims``-D
        poses: a universal model's, offline, whose output is each view's own."""
        one_view_each = self.card.views == 1 or self.view_consensus  # the network's output is every view's own
        return self.smooth_rigid and not self.causal and one_view_each and dims in (2, 3)

    def _network(self, work: np.ndarray, work_missing: np.ndarray, progress: bool) -> np.ndarray:
        """The network alone on poses at its rate ``(T, P, J, D)``: each person alone (views together for a
        multi-view model)."""
        card = self.card
        groups = [work] if card.views > 1 else [work[:, p:p + 1] for p in range(work.shape[1])]  # views: no copy
        mgroups = [work_missing] if card.views > 1 else [work_missing[:, p:p + 1] for p in range(work.shape[1])]
        floors = [noise_floor(g, card.fps) if self._noise_cue else None for g in groups]  # (T, P) each
        parts = [self._refine(g, m, progress, f) for g, m, f in zip(groups, mgroups, floors)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def _refined(self, filled: np.ndarray, missing: np.ndarray, fps_in: float, progress: bool) -> np.ndarray:
        """The network (at its own rate) and the stage after it on gap-filled poses ``(T, P, J, D)`` at
        ``fps_in``; ``missing`` ``(T, P, J)``."""
        card = self.card
        n_model = self._model_length(filled.shape[0], fps_in, filled.shape[1:])
        resample = n_model is not None
        # to the model's rate: a higher one low-passed first (no aliasing), back through a spline
        # (a zero-delay refiner below its rate: straight lines, which read one frame ahead, not the whole sequence)
        work = to_lower_rate(filled, n_model, spline=not self.causal) if resample else filled
        work_missing = (resample_time(missing.astype(float), n_model) > 0.5) if resample else missing
        out = self._network(work, work_missing, progress)
        stage, faster = self._stage_for(out.shape[-1]), resample and fps_in > card.fps
        if stage and faster:  # at the network's rate, decided on the input as the network saw it: the jitter
            out = smooth_rigid_jitter(out, card.fps, gate_from=work, copy=False)  # above its Nyquist rate is gone
        if resample:
            out = to_higher_rate(out, filled.shape[0], spline=not self.causal)
        if stage and not faster:  # decided on the input, as for rotations
            out = smooth_rigid_jitter(out, fps_in, gate_from=filled, copy=False)
        return out

    @property
    def joint_structure(self) -> bool:
        """A universal model built with ``joint_structure``: told where each joint of a known skeleton sits."""
        return self._built_with("joint_structure")

    def told(self, joint_set: str | None) -> "NetworkRefiner":
        """This refiner telling its network that the poses are of skeleton ``joint_set`` (a copy; itself for a
        network that does not take it)."""
        if not self.joint_structure or joint_set == self.joint_set:
            return self
        told = copy.copy(self)
        told.joint_set = get_skeleton(joint_set).name if joint_set is not None else None
        return told

    def _structure(self, joints: int) -> tuple[np.ndarray, np.ndarray] | None:
        """:func:`synsp.skeletons.joint_structure` of the told skeleton when the network takes it and the windows'
        ``joints`` are that skeleton's, else ``None``."""
        if not self.joint_structure or self.joint_set is None or get_skeleton(self.joint_set).num_joints != joints:
            return None
        return joint_structure(self.joint_set)

    @property
    def _noise_cue(self) -> bool:
        """The network takes the sequence's jitter floor (a universal model built with ``noise_cue``)."""
        return self._built_with("noise_cue")

    @torch.no_grad()
    def _refine(self, x: np.ndarray, missing: np.ndarray, progress: bool,
                floor: np.ndarray | None = None) -> np.ndarray:
        """``x`` ``(T, P, J, D)`` (P = the model's views, or 1) -> refined, same shape; ``floor`` ``(T, P)``:
        the input's jitter floor per frame, for a network that takes it."""
        from tqdm.auto import tqdm

        card = self.card
        T, P, J, D = x.shape
        W = card.window
        if self.causal:  # window t ends at frame t: the start padded (the first frame, made up below per window)
            x = np.concatenate([np.repeat(x[:1], W - 1, axis=0), x])
            missing = np.concatenate([np.repeat(missing[:1], W - 1, axis=0), missing])
            floor = np.concatenate([np.repeat(floor[:1], W - 1, axis=0), floor]) if floor is not None else None
        elif T < W:  # one window, edge-padded; the padded frames are dropped again
            x = np.concatenate([x, np.repeat(x[-1:], W - T, axis=0)])
            missing = np.concatenate([missing, np.repeat(missing[-1:], W - T, axis=0)])
            floor = np.concatenate([floor, np.repeat(floor[-1:], W - T, axis=0)]) if floor is not None else None
        starts = np.arange(T) if self.causal else window_starts(x.shape[0], W, self.stride)
        acc = None if self.causal else WindowAccumulator(x.shape[0], (P, J, D))
        last_frames = np.empty((T, P, J, D)) if self.causal else None
        offsets = np.arange(W)
        # a model whose cost grows with the joints (the universal model's attention) says how many windows fit
        batch = (min(self.batch, self.model.max_batch(self.model.tokens(J, D))) if hasattr(self.model, "max_batch")
                 else self.batch)
        batch = max(1, batch // P) if self.view_consensus else batch  # the views of a window run as one batch
        chunks = range(0, len(starts), batch)
        for a in tqdm(chunks, desc=f"refining with {card.name}", unit="batch",
                      disable=not progress or len(chunks) < 2):
            s = starts[a:a + batch]
            idx = s[:, None] + offsets[None, :]  # (n, W)
            cue = {"floor": floor[idx].mean(axis=1)} if floor is not None else {}  # (n, P), a cued network's
            windows = x[idx]
            if self.causal and s[0] < W - 1 and not (D == 6 or card.normalization == ROTATIONS_6D):
                windows = windows.copy()
                for w, t in enumerate(s[s < W - 1]):  # positions: the frames before the track carried back
                    windows[w, :W - 1 - t] = carried_start(windows[w, W - 1 - t:], W - 1 - t)
            refined = self.refine_windows(np.moveaxis(windows, 2, 1), np.moveaxis(missing[idx], 2, 1), **cue)
            if self.causal:
                last_frames[s] = refined[:, :, -1]
            else:
                acc.add(np.moveaxis(refined, 1, 2), s)
        return last_frames if self.causal else acc.result()[:T]

    @torch.no_grad()
    def refine_windows(self, windows: np.ndarray, missing: np.ndarray, floor: np.ndarray | None = None
                       ) -> np.ndarray:
        """Raw windows ``(n, P, W, J, D)`` and missing flags ``(n, P, W, J)`` -> refined windows.
        ``floor`` ``(n, P)``: the sequence's jitter floor around each window (:mod:`synsp.noise_floor`), for
        a network that takes it; ``None``: such a network reads it from the window alone.

        Normalises each window, runs the network (the card's output) and undoes
        the normalisation; no window averaging.
        """
        card = self.card
        # 6D joint rotations (synsp.rotations.RotationNetwork): a rotation model's, or 6D windows given to the
        # universal model trained with rotations; (n, P, W, J*6)
        rotations = card.normalization == ROTATIONS_6D or windows.shape[-1] == 6
        drift = None
        if rotations:
            inp, root = normalize_rotation_windows(windows)
        else:
            roots = root_joints_of(card.normalization, card.root_joints, windows.shape[-2])
            shared = card.normalization == SHARED_VIEWS or self.view_consensus
            inp, stats = normalize_windows(windows, roots, shared_views=shared)  # (n, P, W, (J+1)*D)
            if card.architecture == "universal":  # (where it was measured) a fast path shown at the model's limit
                drift = _excess_drift(inp, windows.shape[-1], shared)
        if drift is not None:  # the network sees the path at the fastest speed it learnt; the rest added back below
            inp = inp - drift
        mask = None
        if card.mask:  # filled joints are told only with tell_missing (by default they are given as observed)
            told = missing if self.tell_missing or self.view_consensus else np.zeros_like(missing)
            flags = told.astype(np.float64) if rotations else window_mask(told, roots)
            mask = torch.as_tensor(flags, dtype=torch.float32, device=self.device)
        as_t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=self.device)  # noqa: E731
        inputs = {}
        if floor is not None and not rotations and self._noise_cue:  # in the windows' normalised units
            inputs["floor"] = as_t(floor / stats.scale[..., 0, 0])
        structure = None if rotations else self._structure(windows.shape[-2])
        if structure is not None:
            inputs["structure"] = structure
        y = self.run_windows(as_t(inp), mask, dims=windows.shape[-1], **inputs).cpu().numpy()
        if rotations:
            return denormalize_rotation_windows(y, root)
        out = denormalize_windows(y if drift is None else y + drift, stats, windows.shape[-1])
        out[stats.flat] = windows[stats.flat]  # every joint at one point: no size, nothing to refine
        return out

    def run_windows(self, inp: torch.Tensor, mask: torch.Tensor | None, dims: int | None = None,
                    floor: torch.Tensor | None = None,
                    structure: tuple[np.ndarray, np.ndarray] | None = None) -> torch.Tensor:
        """Normalised windows ``(n, P, W, C)`` (+ mask) -> the card's output, same shape.  ``dims``: the
        poses' D, told to a model that takes several (the universal model); ``floor`` ``(n, P)``: the
        normalised jitter floor, told to a model that takes it; ``structure``: where the joints sit
        (:meth:`told`).  A model with ``view_consensus`` takes the P views (normalised together) as windows of one
        batch, view-major, and exchanges their base outputs."""
        told = {"structure": structure} if structure is not None else {}
        if self.view_consensus:
            n, P = inp.shape[:2]
            out = self.model(inp.flatten(0, 1), mask=None if mask is None else mask.flatten(0, 1), dims=dims,
                             views=P, **told)
            return getattr(out, self.card.output).unflatten(0, (n, P))
        if self.card.views == 1:
            inp = inp[:, 0]
            mask = mask[:, 0] if mask is not None else None
            floor = floor[:, 0] if floor is not None else None
        kw = {"dims": dims} if dims is not None and hasattr(self.model, "accepts_dims") else {}
        if floor is not None and self._noise_cue:
            kw["floor"] = floor
        kw.update(told)
        out = self.model(inp, mask=mask, **kw) if self.card.mask else self.model(inp, **kw)
        if isinstance(out, tuple):
            out = getattr(out, self.card.output)
        return out if self.card.views > 1 else out[:, None]


#: the fastest drift of a whole body the universal models are shown, in body sizes (the normalised windows' scale) per
#: frame at its rate.  The corpus's 16-frame windows drift up to 0.21 (99 % below 0.15) and, played 3x faster, 0.53;
#: the networks bent faster paths (a body carried at 20 m/s by 5.5 mm) and smoothed jitter on a carried body less
#: the faster it went (1 cm of jitter at 0 / 10 / 25 m/s: 8.4 / 12.3 / 26.2 mm left; with this limit 8.4 / 8.9 /
#: 8.9, with 0.6 8.4 / 11.4 / 11.5).  Chosen on the validation split (docs/results.md, *Fast drift*): every row
#: of `validation_robustness.py --all-levels` in 2D and 3D as without a limit, clean 3x 1.51 against 1.52 mm.
DRIFT_LIMIT = 0.15


def _excess_drift(inp: np.ndarray, dims: int, shared_views: bool) -> np.ndarray | None:
    """What to take off normalised windows ``(n, P, W, (J+1) * D)`` (the trajectory last) so that none drifts
    faster than :data:`DRIFT_LIMIT`: the part of the trajectory's least-squares velocity above it, as a straight
    line through the window's middle on the trajectory's coordinates (``shared_views``: the views' mean velocity,
    so that they stay comparable), or None when no window drifts that fast.  A body carried at 20 m/s (a skier, a
    passenger, a fast pan in 2D) spans a dozen body sizes in a window; the networks bent that path."""
    W = inp.shape[-2]
    traj = inp[..., -dims:]  # (n, P, W, D)
    t = np.arange(W) - (W - 1) / 2.0
    v = np.einsum("w,...wd->...d", t, traj) / (t @ t)  # (n, P, D) body sizes per frame
    if shared_views:
        v = np.broadcast_to(v.mean(axis=-2, keepdims=True), v.shape)
    speed = np.linalg.norm(v, axis=-1, keepdims=True)
    if not (speed > DRIFT_LIMIT).any():
        return None
    excess = v * np.clip(1.0 - DRIFT_LIMIT / np.maximum(speed, 1e-12), 0.0, None)  # (n, P, D)
    out = np.zeros(inp.shape)
    out[..., -dims:] = t[:, None] * excess[..., None, :]
    return out


class _WindowTrack:
    """One track of :class:`WindowOnline`: ring buffers of its last frames (the frame of index ``a`` in the
    track sits in slot ``a % len(buffer)`` of each)."""

    __slots__ = ("frames", "missing", "windows", "pushed", "last", "carry")

    def __init__(self) -> None:
        self.frames = None  # (L, J, D) filled input frames (None before the first observed joint)
        self.missing = None  # (L, J) their missing flags
        self.windows = None  # (W, W, J, D) the refined windows ending at the last W frames (not causal)
        self.pushed = 0  # frames taken
        self.last = None  # (J, D) the last filled frame
        self.carry = None  # the open gaps' carried velocity (synsp.missing.CarriedFill)


class WindowOnline:
    """A window network frame by frame (:class:`~synsp.filters.base.Online`; see the module docstring).

    Every taken frame completes one window: the windows of all tracks of a ``step`` are refined in one
    batched forward (``refiner.batch`` windows at most).  Not causal: each pending output frame is the average
    of the refined windows that hold it, and the oldest one, covered by all ``W`` windows it is in, comes out
    (delay ``W - 1``); ``finish`` gives the rest averaged over the windows that exist, or, for a track shorter
    than ``W``, one edge-padded window, as offline (shorter than :func:`min_frames_of`: its frames as given).
    Causal: the last frame of the window ending at each frame (the frames before the track's first made up,
    :func:`synsp.missing.carried_start`).  Windows at stride 1, whatever the refiner's ``stride``.

    Missing joints: a joint missing in the newest frame continues its last velocity, decaying
    (:class:`synsp.missing.CarriedFill`: nothing later is known; offline's fill of a track's end).  Not
    causal, when a joint is observed again, its gaps in the frames that the windows of pending frames hold are
    filled again as offline (:func:`synsp.missing.fill_gaps`, short gaps along the motion's curve; the frames
    before those count as observed), in each of the first :attr:`refill` frames that observe it after a gap, and
    the windows holding a changed frame are refined again: a gap that closes within the delay is filled nearly as
    offline (the curve's support is shorter near the pending frames' start).  Causal: the carried gap stays, as
    the causal refiner fills offline.
    """

    rotations = False
    #: a gap is filled again in each of the first this many frames that observe its joint after it (the curve's
    #: support on each side): more would change nothing the curve uses; 0 holds missing joints only
    refill = CURVED_SUPPORT

    def __init__(self, refiner: NetworkRefiner, causal: bool, fps: float | None = None):
        card = refiner.card
        self.refiner, self.causal = refiner, causal
        self.window = W = card.window
        self.delay = 0 if causal else W - 1
        # frames kept: the window ending at each frame; not causal, every frame that a pending frame's windows
        # hold (2W - 1) and the curve's support before them
        self.span = W if causal else 2 * W - 1 + CURVED_SUPPORT
        self.fps = card.fps if fps is None else float(fps)  # the frames' rate (the network runs at it: runs_at)
        self.joints = refiner.skeleton.num_joints if refiner.skeleton else None
        self.dims = refiner.dims
        self.skeleton = None if card.skeleton == "any" else card.skeleton

    def start(self) -> _WindowTrack:
        return _WindowTrack()

    def step(self, states: list, frames: list, missing: list, confidence: list | None = None) -> list:
        W, L = self.window, self.span
        jobs: list = []  # (window frames (W, J, D), their missing flags (W, J))
        taken: list = []  # (k, [(the frame a window ends at, its job), ...])
        for k, (tr, x, m) in enumerate(zip(states, frames, missing)):
            filled = hold(tr.last, x, m)
            if filled is None:
                continue  # nothing observed yet on this track: wait for a first detection
            n = tr.pushed
            # a gap continues the joint's velocity, decaying, while it is open (synsp.missing.CarriedFill): as a
            # causal refiner fills it offline (carry_missing), as offline fills a track's end (carried_ends)
            tr.carry = tr.carry or CarriedFill(*filled.shape)
            filled = tr.carry.fill(filled, m)
            if tr.frames is None:
                tr.frames = np.repeat(filled[None], L, axis=0)
                tr.missing = np.repeat(m[None], L, axis=0)
                if not self.causal:
                    tr.windows = np.zeros((W, W) + tr.frames.shape[1:])
            tr.frames[n % L] = filled
            tr.missing[n % L] = m
            tr.last = filled
            tr.pushed += 1
            ends = [] if self.causal or not self.refill else self._refilled(tr, n)
            if self.causal or tr.pushed >= W:
                ends.append(n)  # the window ending at this frame
            mine = []
            for e in ends:
                at = np.arange(e - W + 1, e + 1) % L  # (a track's start, causal: slots still holding its first frame)
                mine.append((e, len(jobs)))
                window = tr.frames[at]
                if self.causal and e < W - 1 and not self.rotation_windows(window):  # before the track carried back
                    window[:W - 1 - e] = carried_start(window[W - 1 - e:], W - 1 - e)
                jobs.append((window, tr.missing[at]))
            taken.append((k, mine))
        refined = self._refine(jobs)
        out: list = [None] * len(states)
        for k, mine in taken:
            tr = states[k]
            if self.causal:
                out[k] = [refined[mine[0][1]][-1]]
                continue
            n = tr.pushed - 1
            for e, job in mine:
                tr.windows[e % W] = refined[job]
            out[k] = [self._average(tr, n - W + 1, n)] if mine else []  # all W windows of frame n - W + 1 exist
        return out

    def rotation_windows(self, window: np.ndarray) -> bool:
        """Windows of 6D rotations (a rotation model's, or 6D given to the universal model), not positions."""
        return window.shape[-1] == 6 or self.refiner.card.normalization == ROTATIONS_6D

    def _refilled(self, tr: _WindowTrack, n: int) -> list:
        """After frame ``n`` was taken: the gaps of the joints it observes, in the frames the pending frames'
        windows hold, filled again (in ``tr.frames``); returns the frames at which the stored windows holding a
        changed frame end (to refine again)."""
        W, L = self.window, self.span
        lo = max(0, n - 2 * W + 2)  # the first frame of the window ending at the oldest frame still to come out
        seen = ~tr.missing[n % L]
        if n <= lo or not seen.any():
            return []
        before = tr.missing[np.arange(lo, n) % L] & seen  # (n - lo, J) gaps of the joints observed now
        if not before.any():
            return []
        last_gap = n - 1 - np.argmax(before[::-1], axis=0)  # each joint's last missing frame
        joints = np.flatnonzero(before.any(axis=0) & (n - last_gap <= self.refill))
        if not len(joints):
            return []
        first = max(0, lo - CURVED_SUPPORT)
        at = np.arange(first, n + 1) % L
        x = tr.frames[at][:, joints]
        gap = tr.missing[at][:, joints]
        # frames before ``lo`` are final: observed, for the fill; but a joint seen for the first time has no
        # observation before its gap, whose start is then filled as offline fills a track's start (carried back)
        gap[:lo - first] &= ~tr.carry.observed_before(n)[joints][None]
        new = fill_gaps(x, gap, curved=True)
        changed = np.flatnonzero((new != x).any(axis=(1, 2)))
        if not len(changed):
            return []
        tr.frames[at[:, None], joints[None, :]] = new
        a, b = first + changed[0], first + changed[-1]
        return list(range(max(a, n - W + 1, W - 1), min(b + W - 1, n - 1) + 1))

    def input_frame(self, tr: _WindowTrack, index: int) -> np.ndarray:
        """The network's input frame ``index`` of track state ``tr`` as it is now (missing joints held, or filled
        again once seen); one of the frames a pending output frame's windows hold."""
        return tr.frames[index % self.span]

    def _average(self, tr: _WindowTrack, p: int, last: int) -> np.ndarray:
        """Output frame ``p``: the mean of the stored refined windows that hold it, those ending at ``p`` (or at
        the first window's end) up to ``last``, added in the order they end (as offline's window average)."""
        W = self.window
        ends = range(max(p, W - 1), last + 1)
        total = 0.0
        for e in ends:
            total = total + tr.windows[e % W][p - e + W - 1]
        return total / len(ends)

    def finish(self, states: list) -> list:
        W = self.window
        jobs: list = []
        plan: list = []
        for tr in states:
            n = tr.pushed
            if self.causal or tr.frames is None:
                plan.append(None)  # every frame taken came out
            elif n < min_frames_of(self.refiner):  # too short to refine: as given (missing joints held), as offline
                plan.append(-2)
            elif n < W:  # a short track: one padded window of its frames filled as offline
                frames = tr.frames[:n] = fill_gaps(tr.frames[:n], tr.missing[:n], curved=True, never="keep")
                pad = W - n
                jobs.append((np.concatenate([frames, np.repeat(frames[-1][None], pad, 0)]),
                             np.concatenate([tr.missing[:n], np.repeat(tr.missing[n - 1][None], pad, 0)])))
                plan.append(len(jobs) - 1)
            else:
                plan.append(-1)
        refined = self._refine(jobs)
        out = []
        for tr, p in zip(states, plan):
            if p is None:
                out.append([])
            elif p == -2:
                out.append(list(tr.frames[:tr.pushed]))
            elif p >= 0:
                out.append(list(refined[p][:tr.pushed]))
            else:
                n = tr.pushed
                out.append([self._average(tr, p, n - 1) for p in range(n - W + 1, n)])  # the frames still pending
        return out

    def _refine(self, jobs: list) -> list | None:
        """Windows ``(W, J, D)`` (+ flags) refined in batched forwards -> their refined windows, in order.  Tracks
        of different shapes (a model that takes any joint set, 2D or 3D) are batched by shape."""
        if not jobs:
            return None
        out: list = [None] * len(jobs)
        shapes: dict = {}
        for k, job in enumerate(jobs):
            shapes.setdefault(job[0].shape, []).append(k)
        step = self.refiner.batch
        for ks in shapes.values():
            frames = np.stack([jobs[k][0] for k in ks])
            missing = np.stack([jobs[k][1] for k in ks])
            for a in range(0, len(ks), step):
                refined = self.refiner.refine_windows(frames[a:a + step, None], missing[a:a + step, None])[:, 0]
                for k, r in zip(ks[a:a + step], refined):
                    out[k] = r
        return out


def subset_indices(src: str, dst: str) -> list[int] | None:
    """Where each joint of skeleton ``dst`` sits in skeleton ``src`` when ``src`` contains every one
    of them under the same name (``mediapipe33``, ``body25``, ``coco133`` contain ``coco17``), else None."""
    have = get_skeleton(src)._index
    want = get_skeleton(dst).joints
    return [have[n] for n in want] if all(n in have for n in want) else None


def extra_joint_anchors(skeleton: str, subset: list[int]) -> tuple[list[int], list[int]]:
    """The joints of ``skeleton`` outside ``subset`` and, for each, the position in ``subset`` of its
    nearest ancestor there (-1 when it has none: the mean of the subset is its anchor)."""
    sk = get_skeleton(skeleton)
    position = {j: i for i, j in enumerate(subset)}
    extra = [j for j in range(sk.num_joints) if j not in position]
    return extra, [position.get(sk.nearest_ancestor(j, position), -1) for j in extra]


#: extra joints (hands, face, feet beyond the refined body) offset-filtered per block by :class:`SubsetRefiner`
_EXTRA_BLOCK = 16


def anchor_positions(body: np.ndarray, anchor: list[int], mean=np.mean) -> np.ndarray:
    """Where the extra joints hang: ``body`` ``(..., Jm, D)`` (the subset's joints) -> ``(..., E, D)``,
    ``body[..., a, :]`` for each anchor ``a``, ``mean`` of the body joints for ``a = -1``."""
    if not len(anchor):  # no extra joint (a network's own joints in another order)
        return np.zeros((*body.shape[:-2], 0, body.shape[-1]))
    centre = mean(body, axis=-2)
    return np.stack([centre if a < 0 else body[..., a, :] for a in anchor], axis=-2)


class SubsetRefiner:
    """A network for skeleton ``B`` run on a larger skeleton ``A`` that contains ``B``'s joints, or the
    universal model (any joint set) on the body of a whole-body skeleton (``subset``: its joints,
    :data:`synsp.skeletons.BODY_JOINTS`).

    The joints ``A`` shares with ``B`` (or ``subset``) are refined by the network.  Each other
    joint (MediaPipe's heels and finger tips, WholeBody's face and hands, ...)
    follows its nearest ancestor among the refined joints, with its offset from
    that ancestor low-pass filtered (zero-phase Butterworth offline; for a causal
    network the stream's exponential smoothing, :func:`offset_smoothing`, so that
    offline equals online and no unit changes the result):
    ``extra = refined_anchor + smooth(raw_extra - raw_anchor)``.
    Joints with no refined ancestor use the mean of the refined joints as anchor.
    A missing anchor (NaN, or a score below ``min_confidence``: OpenPose writes
    ``(0, 0)`` with score 0 for a joint it did not find) is never measured from:
    ``raw_anchor`` is filled over time from the frames where it was seen, like the
    network's input.  A missing extra joint's offset is filled over time; an extra
    joint missing in every frame is left as it was (and not counted as filled).

    Online (:meth:`online`, :class:`SubsetOnline`) the offsets are smoothed by exponential smoothing
    (:data:`OFFSET_CUTOFF` at the stream's rate), from the frames so far.
    """

    def __init__(self, network: "NetworkRefiner", skeleton: str, subset: "list[int] | tuple[int, ...] | None" = None):
        if subset is not None:
            idx = [int(i) for i in subset]
            if network.skeleton is not None or not idx or len(set(idx)) != len(idx) \
                    or not all(0 <= i < get_skeleton(skeleton).num_joints for i in idx):
                raise SynspInputError(f"subset {list(subset)!r}: distinct joints of {skeleton!r} for a network of "
                                      f"any joint set expected ({network.name} refines {network.card.skeleton})")
        else:
            idx = subset_indices(skeleton, network.card.skeleton)
            if idx is None:
                raise SynspInputError(f"skeleton {skeleton!r} does not contain every joint of "
                                      f"{network.card.skeleton!r}; {network.name} cannot refine it")
        self.network, self.subset = network, idx
        self.name, self.window, self.min_confidence = network.name, network.window, network.min_confidence
        self.min_frames = min_frames_of(network)
        self.causal, self.delay = network.causal, network.delay
        self.skeleton = get_skeleton(skeleton)
        self.num_joints = self.skeleton.num_joints
        self.extra, self.anchor = extra_joint_anchors(skeleton, idx)
        # offline Butterworth; causal, the stream's exponential smoothing (SubsetOnline), which, unlike One-Euro,
        # is the same in any unit
        self.offset_filter = offset_smoothing if self.causal else get_filter("butterworth")

    @property
    def views_together(self) -> bool:
        """The network's (:attr:`NetworkRefiner.views_together`): a whole body's views refined together."""
        return self.network.views_together

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None,
                 progress: bool = False, return_filled: bool = False):
        x = check_poses(poses, "poses", ndims=(3, 4), joints=self.num_joints, allow_nan=True)
        conf = None if confidence is None else to_numpy(confidence, name="confidence")
        sub_conf = None if conf is None else conf[..., self.subset]
        body, filled_body = self.network(x[..., self.subset, :], fps=fps, confidence=sub_conf,
                                         progress=progress, return_filled=True)
        out = np.empty_like(x)
        out[..., self.subset, :] = body
        missing = np.isnan(x).any(-1)
        if conf is not None:
            missing |= missing_from_confidence(conf, x.shape, self.min_confidence)
        filled = missing.copy()
        filled[..., self.subset] = filled_body
        if self.extra:
            # the raw anchors: the body joints with missing ones (NaN, or a low score such as OpenPose's
            # (0, 0, c=0) "not found") filled over time as the network's input is, never the placeholder
            # itself, so an extra joint's offset is measured from where its anchor was, not from (0, 0)
            raw_body, _ = carry_missing(x[..., self.subset, :], missing[..., self.subset]) if self.causal else \
                interpolate_missing(x[..., self.subset, :], missing[..., self.subset], curved=True, body=True)
            rate = self.network.card.fps if fps is None else fps
            # a few extra joints at a time: a whole body's hands and face (116 joints of COCO-WholeBody) over an
            # hour would otherwise hold several full copies of their offsets at once (the filter's among them)
            for start in range(0, len(self.extra), _EXTRA_BLOCK):
                cols, anchor = self.extra[start:start + _EXTRA_BLOCK], self.anchor[start:start + _EXTRA_BLOCK]
                extra_missing = missing[..., cols]
                never = extra_missing.all(axis=0)  # an extra joint never seen: left as it was
                offsets = x[..., cols, :] - anchor_positions(raw_body, anchor)
                offsets[extra_missing] = np.nan  # missing extra joints: their offset is filled over time
                offsets[:, never] = 0.0
                if not self.causal:  # as the filter fills, not from the other joints' offsets (they follow anchors)
                    offsets = fill_gaps(offsets, np.isnan(offsets), curved=True)
                block = anchor_positions(body, anchor) + self.offset_filter(offsets, fps=rate)
                if never.any():
                    block[:, never] = x[..., cols, :][:, never]
                    extra_filled = filled[..., cols]
                    extra_filled[:, never] = False
                    filled[..., cols] = extra_filled
                out[..., cols, :] = block
        return (out, filled) if return_filled else out

    def online(self, causal: bool | None = None, fps: float | None = None) -> "SubsetOnline":
        """The network's online form on the subset's joints, the other joints following (:class:`SubsetOnline`)."""
        return SubsetOnline(self, self.network.online(causal=causal, fps=fps))


#: the cut-off (Hz) of the exponential smoothing of an extra joint's offset from its anchor by a causal network's
#: :class:`SubsetRefiner` and by :class:`SubsetOnline`
OFFSET_CUTOFF = 2.0


def offset_weight(fps: float) -> float:
    """The weight of a new frame in the exponential smoothing of the offsets at ``fps`` (:data:`OFFSET_CUTOFF`)."""
    return 1.0 - math.exp(-2 * math.pi * OFFSET_CUTOFF / fps)


def offset_smoothing(offsets: np.ndarray, fps: float) -> np.ndarray:
    """Causal exponential smoothing of ``offsets`` ``(T, ...)`` along time, as :class:`SubsetOnline` smooths them
    frame by frame (equal to it where every value is seen): missing values (NaN) hold the last seen one (the
    first seen one before it), a column never seen stays NaN.  Linear, so the same in any unit."""
    x = np.asarray(offsets, dtype=np.float64)
    if not len(x):
        return x.copy()
    gap = np.isnan(x)
    held = fill_gaps(x, gap, causal=True, never="keep") if gap.any() else x
    a = offset_weight(fps)
    return lfilter([a], [1.0, a - 1.0], held, axis=0, zi=(1.0 - a) * held[:1])[0]


class SubsetOnline:
    """:class:`SubsetRefiner` frame by frame: the network's joints through its online form, every other joint
    at its anchor among the refined joints plus its offset from that anchor, exponentially smoothed (2 Hz
    cut-off at the stream's rate) from the frames so far.  Anchors are measured on the network's input as it is
    when the frame comes out (a missing anchor held, or filled again once seen: :class:`WindowOnline`), so a
    missing or low-score anchor is never measured from."""

    rotations = False

    def __init__(self, refiner: SubsetRefiner, inner: WindowOnline):
        self.inner, self.subset = inner, refiner.subset
        self.extra, self.anchor = refiner.extra, refiner.anchor
        self.delay, self.fps, self.dims = inner.delay, inner.fps, inner.dims
        self.joints, self.skeleton = refiner.num_joints, refiner.skeleton.name
        self.smoothing = offset_weight(inner.fps)

    def start(self) -> list:
        # the network's state, the smoothed offsets, the taken frames' extra joints (not out yet), frames out
        return [self.inner.start(), None, deque(), 0]

    def step(self, states: list, frames: list, missing: list, confidence: list | None = None) -> list:
        bodies = self.inner.step([s[0] for s in states], [x[self.subset] for x in frames],
                                 [m[self.subset] for m in missing])
        for s, x, m, body in zip(states, frames, missing, bodies):
            if body is not None:  # a taken frame: its extra joints, measured when it comes out
                s[2].append((x[self.extra], ~m[self.extra]))
        return self._full(states, bodies)

    def finish(self, states: list) -> list:
        return self._full(states, self.inner.finish([s[0] for s in states]))

    def _smooth(self, s: list, extra: np.ndarray, seen: np.ndarray, body: np.ndarray) -> None:
        if s[1] is not None and not seen.any():
            return  # nothing seen (an absent frame held): the offsets stay
        with np.errstate(invalid="ignore"):
            offset = extra - anchor_positions(body, self.anchor, np.mean)
        if s[1] is None:
            s[1] = np.where(seen[:, None], offset, np.nan)
        else:
            new = s[1] + self.smoothing * (offset - s[1])
            s[1] = np.where(seen[:, None], np.where(np.isnan(s[1]), offset, new), s[1])

    def _full(self, states: list, bodies: list) -> list:
        """The network's output frames -> frames of the larger skeleton (each with the offsets of its time, from
        the network's input frame as it is now: held, or filled again)."""
        out = []
        for s, frames in zip(states, bodies):
            if not frames:
                out.append(frames)
                continue
            body = np.stack(frames)
            full = np.empty((len(body), self.joints, body.shape[-1]))
            full[:, self.subset] = body
            offsets = []
            for _ in frames:
                extra, seen = s[2].popleft()
                self._smooth(s, extra, seen, self.inner.input_frame(s[0], s[3]))
                s[3] += 1
                offsets.append(s[1])
            full[:, self.extra] = anchor_positions(body, self.anchor, np.nanmean) + np.stack(offsets)
            out.append(list(full))
        return out


class FunctionRefiner:
    """Any function ``fn(poses, fps=None, confidence=None) -> poses`` behind the refiner contract: ``delay``
    and ``window`` as given, the filled mask the joints NaN or scoring below ``min_confidence``, no online form."""

    causal = False

    def __init__(self, fn: Any, name: str | None = None, delay: int = WHOLE_SEQUENCE, window: int = 1,
                 min_confidence: float = 0.3):
        self.fn, self.delay, self.window = fn, delay, window
        self.name = name or getattr(fn, "name", None) or getattr(fn, "__name__", type(fn).__name__)
        self.min_confidence = getattr(fn, "min_confidence", min_confidence)
        try:
            signature = inspect.signature(fn)
        except (TypeError, ValueError):  # a builtin without one: called as it is
            signature = None
        if signature is not None:
            try:
                signature.bind(None, fps=None, confidence=None)
            except TypeError:
                raise SynspInputError(
                    f"the model function {self.name} takes {signature}; a function is called as fn(poses, "
                    "fps=..., confidence=...): define it as def fn(poses, fps=None, confidence=None)") from None

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None, progress: bool = False,
                 return_filled: bool = False):
        out = self.fn(poses, fps=fps, confidence=confidence)
        if not return_filled:
            return out
        x = check_poses(poses, "poses", ndims=(3, 4), allow_nan=True)
        filled = np.isnan(x).any(-1)
        if confidence is not None:
            filled |= missing_from_confidence(confidence, x.shape, self.min_confidence)
        return out, filled

    def online(self, causal: bool | None = None, fps: float | None = None) -> Online:
        raise SynspInputError(f"{self.name} is a function of the whole sequence; it has no online form (use a "
                              "synsp filter or network by name)")


def as_refiner(method: Any, **kw) -> Refiner:
    """``method`` when it is a :class:`Refiner` already, else a callable wrapped in a :class:`FunctionRefiner`
    (``kw``: its name, delay, window)."""
    if isinstance(method, Refiner):
        return method
    if callable(method):
        return FunctionRefiner(method, **kw)
    raise SynspInputError(f"{method!r} is neither a refiner nor a function of poses")


def _body_of(network: "NetworkRefiner", skeleton: str) -> Refiner:
    """A network for any joint set (the universal model) on ``skeleton``: on the body of a whole-body one
    (:data:`synsp.skeletons.BODY_JOINTS`: COCO-WholeBody's face and hands follow it), else on all its joints."""
    return SubsetRefiner(network, skeleton, BODY_JOINTS[skeleton]) if skeleton in BODY_JOINTS else network


def for_skeleton(refiner: Refiner, skeleton: str | None) -> Refiner:
    """``refiner`` for frames of ``skeleton`` (None: its own): a network for a skeleton that ``skeleton``
    contains becomes a :class:`SubsetRefiner`, as does the universal model on a whole-body skeleton (its
    body refined, the face and hands following); a network for joints ``skeleton`` lacks raises."""
    if skeleton is None or not isinstance(refiner, NetworkRefiner):
        return refiner  # a filter or another refiner
    if refiner.skeleton is None:  # a network for any joint set (universal)
        return _body_of(refiner, get_skeleton(skeleton).name)
    if refiner.card.skeleton == skeleton:
        return refiner  # a network for these very joints
    return SubsetRefiner(refiner, skeleton)


def min_frames_of(refiner: Any) -> int:
    """The frames a track part needs to be refined by ``refiner``: its ``min_frames`` (the networks', which pad a
    shorter part into one window; at most their window), else its ``window`` (a filter's)."""
    window = int(refiner.window)
    return min(int(refiner.min_frames), window) if hasattr(refiner, "min_frames") else window


def what_it_takes(refiner: Refiner, num_joints: int, skeleton: str | None = None) -> tuple[Any, Any]:
    """``(dims, skeleton)`` of the network that would refine ``num_joints`` joints of ``skeleton`` with ``refiner``
    (:func:`fit_refiner`, then the network inside a :class:`SubsetRefiner` or a view fusion): the point dimensions it
    takes (a tuple, e.g. ``(2, 3)``) and its joint set (a :class:`synsp.skeletons.Skeleton`), each None where the
    refiner does not say (filters, a universal network for any joint set).  For the checks that refuse a method
    before any work, each in its own words."""
    fitted = fit_refiner(refiner, num_joints, skeleton)
    network = getattr(fitted, "network", fitted)
    return getattr(network, "dims", None), getattr(fitted, "skeleton", None)


def fit_refiner(refiner: Refiner, num_joints: int, skeleton: str | None = None,
                joint_names: Any = None) -> Refiner:
    """``refiner``, wrapped in a :class:`SubsetRefiner` when it is a network for fewer joints than the
    data has and the data's skeleton (``skeleton``, or the one registered for ``num_joints``) contains them,
    or the universal model and that skeleton a whole body (:data:`synsp.skeletons.BODY_JOINTS`).

    Input that names its joints (``skeleton``, else ``joint_names``: the names of a pose file's points) is taken
    by name by a network of one skeleton: its joints in another order go to the network in the network's order
    and back (a :class:`SubsetRefiner` of them all), names spelled otherwise (:func:`synsp.skeletons.joint_key`)
    included.  A network of a custom skeleton (``synsp data import``: its joints are known only by their names)
    refuses names that are not its joints, naming a few of them; a built-in one takes ``joint_names`` that are
    not its joints in column order, as unnamed input (``skeleton`` and ``joint_names`` None) always is."""
    skeleton = skeleton_name(skeleton)
    inner = getattr(refiner, "inner", None)  # a refiner around a network (synsp.view_fusion): fit the network
    if isinstance(inner, NetworkRefiner) and hasattr(refiner, "with_inner"):
        fitted = fit_refiner(inner, num_joints, skeleton, joint_names)
        return refiner if fitted is inner else refiner.with_inner(fitted)
    if not isinstance(refiner, NetworkRefiner):
        return refiner
    if refiner.skeleton is None:  # a network for any joint set (universal): a whole body's body only
        names = [skeleton] if skeleton else skeleton_for(num_joints)
        whole = [n for n in names if n in BODY_JOINTS and get_skeleton(n).num_joints == num_joints]
        if whole:
            return _body_of(refiner, whole[0])
        fits = [n for n in names if get_skeleton(n).num_joints == num_joints]
        return refiner.told(fits[0]) if len(fits) == 1 else refiner  # 17 joints alone: h36m17 or coco17?
    own = refiner.card.skeleton
    custom = own not in BUILTIN_SKELETONS
    if skeleton is None and joint_names is not None and len(joint_names) == num_joints:
        named = named_like(own, [str(n) for n in joint_names])
        if custom or named in BUILTIN_SKELETONS or subset_indices(named, own) is not None:
            skeleton = named  # else another network's joints under names of their own: taken as unnamed
    elif custom and skeleton in SKELETON_NAMES and subset_indices(skeleton, own) is None:
        sk = get_skeleton(skeleton)
        skeleton = named_like(own, sk.joints, sk.parents)  # the model's joints spelled otherwise (Hip for hip)?
    if refiner.skeleton.num_joints == num_joints and (skeleton is None or skeleton == own):
        return refiner
    for name in [skeleton] if skeleton else skeleton_for(num_joints):
        if name in SKELETON_NAMES and subset_indices(name, own) is not None:
            return SubsetRefiner(refiner, name)
    if custom and skeleton in SKELETON_NAMES:
        raise not_its_joints(refiner, skeleton)
    if skeleton in SKELETON_NAMES and refiner.skeleton.num_joints == num_joints:
        # as many joints as the network's, in another order (COCO-17 points into a Human3.6M-17 network: worse
        # than the input, 18-28 mm added to clean motion)
        raise SynspInputError(f"{refiner.name} refines {own} joints; these are {skeleton} joints in "
                              "another order: name a model for them (or leave the model out: the default refines "
                              "any body joint set)")
    return refiner  # the network's own check names a joint count it cannot take


def named_like(skeleton: str, names: Any, parents: Any = None) -> str:
    """The registered skeleton of the joints ``names`` (:func:`synsp.skeletons.skeleton_of_names`, with
    ``parents``), each name that is one of skeleton ``skeleton``'s joints spelled otherwise
    (:func:`synsp.skeletons.joint_key`: ``Hip``, ``hip``) spelled as there, so that :func:`subset_indices` finds
    it; a name that two of ``skeleton``'s joints share is left as it is."""
    keys: dict[str, list[str]] = {}
    for joint in get_skeleton(skeleton).joints:
        keys.setdefault(joint_key(joint), []).append(joint)
    spelled = [keys[joint_key(n)][0] if len(keys.get(joint_key(n), ())) == 1 else n for n in map(str, names)]
    return skeleton_of_names(spelled, parents)


#: joint names shown in a message (the first few, then how many in all)
NAMES_SHOWN = 4


def not_its_joints(network: "NetworkRefiner", skeleton: str) -> SynspInputError:
    """The error for input whose joints (skeleton ``skeleton``) are not all ``network``'s, a network of a custom
    skeleton that knows its joints only by name: a few names on either side, and what to do."""
    own, given = network.skeleton, get_skeleton(skeleton)

    def few(names: list[str]) -> str:
        more = f", ... ({len(names)} in all)" if len(names) > NAMES_SHOWN else ""
        return ", ".join(names[:NAMES_SHOWN]) + more

    theirs = [n for n in given.joints if n not in own.joints]
    lacking = [n for n in own.joints if n not in given.joints]
    what = (f"{len(theirs)} of the input's {given.num_joints} joint names are not the model's ({few(theirs)})"
            if theirs else f"the input's {given.num_joints} joints are all the model's")
    return SynspInputError(
        f"{network.name} refines the {own.num_joints} joints of its own skeleton {own.name} and takes them by name: "
        f"{what}, and {len(lacking)} of the model's are not among them ({few(lacking)}). Give the input the "
        "model's joint names (re-export the file with them; an .npz without a joint_names array, or "
        f"synsp.refine without skeleton=, is taken column by column in the model's order), or refine it with a "
        "model of its own joints or the universal model, which takes any joint set (leave the model out)")


#: the modules of the concrete refiners that register themselves here at import time; loaded by name
#: (:func:`importlib.import_module`) on the first lookup that needs the registry, never imported here
BUILTIN_REFINER_MODULES = ("synsp.grouping", "synsp.rotations", "synsp.view_fusion")
#: (does a name match, the refiner for it) in registration order; the first match wins
_RESOLVERS: list[tuple[Callable[[str], bool], Callable[..., Refiner]]] = []
#: a card's normalisation -> what wraps a network with that card (``ROTATIONS_6D``: synsp.rotations)
_WRAPPERS: dict[str, Callable[["NetworkRefiner"], Refiner]] = {}
_builtins_loaded = False


def register_resolver(match: str | Callable[[str], bool], factory: Callable[..., Refiner]) -> None:
    """Let :func:`get_refiner` resolve names that ``match``: a suffix (``"+similar-poses"``; ``factory``
    gets the name without it) or a predicate on the whole name (``factory`` gets the whole name); the
    keyword arguments of ``get_refiner`` go to ``factory`` too.  Names are tried after the filters and
    before shipped models and paths, in registration order; registering the same suffix again replaces it."""
    if isinstance(match, str):
        suffix = match

        def matches(key: str) -> bool:
            return key.endswith(suffix)

        def make(key: str, **kw) -> Refiner:
            return factory(key[: -len(suffix)], **kw)

        matches.suffix = suffix  # type: ignore[attr-defined]
        _RESOLVERS[:] = [r for r in _RESOLVERS if getattr(r[0], "suffix", None) != suffix]
        _RESOLVERS.append((matches, make))
    elif callable(match):
        _RESOLVERS.append((match, factory))
    else:
        raise SynspInputError(f"register_resolver: {match!r} is neither a name suffix nor a predicate")


def register_wrapper(normalization: str, wrapper: Callable[["NetworkRefiner"], Refiner]) -> None:
    """Let :func:`network_refiner` (so :func:`get_refiner`) wrap every network whose card's normalisation
    is ``normalization`` in ``wrapper(network)`` (a rotation model behind the axis-angle contract)."""
    _WRAPPERS[normalization] = wrapper


def _load_builtin_refiners() -> None:
    """Import the modules of :data:`BUILTIN_REFINER_MODULES` once, so that they register themselves."""
    global _builtins_loaded
    if not _builtins_loaded:
        for module in BUILTIN_REFINER_MODULES:
            importlib.import_module(module)
        _builtins_loaded = True


def _resolve_registered(key: str, kw: dict) -> Refiner | None:
    """The refiner of the first registered resolver that matches ``key``; None when none does."""
    _load_builtin_refiners()
    for matches, factory in _RESOLVERS:
        if matches(key):
            return factory(key, **kw)
    return None


def shipped_models() -> dict[str, Path]:
    """Models shipped in the package: name -> checkpoint stem."""
    if not WEIGHTS_DIR.is_dir():
        return {}
    return {p.stem: p.with_suffix("") for p in sorted(WEIGHTS_DIR.glob("*.json"))}


def named_checkpoint(key: str | os.PathLike) -> Path | None:
    """The checkpoint stem a name stands for: a shipped model's name, or a run folder of ``synsp train`` (its
    ``best`` checkpoint); ``None`` for anything else (a checkpoint's own path is its stem already).

    A shipped model's name that is also the path of a local model (a run folder holding ``best.json`` or
    ``best.safetensors``, or a checkpoint ``NAME.json`` / ``NAME.safetensors``) is refused
    (:class:`SynspInputError`): the local model is named as a path (``./NAME``, an absolute path), which is never
    a shipped model's name.  Given as a path object (``Path("NAME")``), such a name is the local model."""
    stem = shipped_models().get(str(key))
    if stem is not None:
        local = _local_model(key)  # a few stat calls, for a shipped name only
        if local is None:
            return stem
        if not isinstance(key, str):
            return local
        what = (f"the run folder {key}{os.sep} of synsp train" if local != Path(key)
                else f"the checkpoint {key}.json/.safetensors")
        raise SynspInputError(
            f"model {key!r} names both a shipped model and, in the working folder {Path.cwd()}, {what}; say which: "
            f".{os.sep}{key} (or its absolute path) for the local one, {stem} (the shipped checkpoint's path) for "
            "the shipped one, or rename the local one")
    if Path(key).is_dir() and (Path(key) / "best.json").is_file():
        stem = Path(key) / "best"
    return stem


def shipped_path(name: Any) -> Any:
    """A default synsp picks itself (no model named by the user) as what loads it: a shipped model's name (with an
    optional ``+suffix`` such as ``+view-mean``) as its checkpoint's path, so a local model of the same name in the
    working folder (which :func:`named_checkpoint` refuses for a name the user gave) neither replaces nor blocks
    it; anything else as it is."""
    if not isinstance(name, str):
        return name
    base, plus, suffix = name.partition("+")
    stem = shipped_models().get(base)
    return name if stem is None else f"{stem}{plus}{suffix}"


def _local_model(key: str | os.PathLike) -> Path | None:
    """The stem of the model at the path ``key``: its ``best`` checkpoint when it is a run folder, else ``key``
    when a checkpoint file ``key.json`` or ``key.safetensors`` exists; None when neither file is there."""
    for stem in (Path(key) / "best", Path(key)):
        if checkpoint_file(stem, ".json").is_file() or checkpoint_file(stem, ".safetensors").is_file():
            return stem
    return None


def get_refiner(name: str | os.PathLike, **kw) -> Refiner:
    """A filter name (optionally with parameters, ``"one-euro:min_cutoff=1,beta=0.01"``), a shipped model
    name, a checkpoint path or a run folder of ``synsp train`` (its ``best`` checkpoint); a multi-view model's name
    or path plus ``+similar-poses`` (``synsp-h36m17-3d-w8-p4+similar-poses``) gives its
    :class:`synsp.grouping.SimilarPoseRefiner` with the shipped pose bank.  A shipped model's name that a local model
    in the working folder also has is refused (:func:`named_checkpoint`): ``./NAME`` is the local one."""
    key = str(name)
    if not key.strip():
        raise SynspInputError("the model name is empty; name a filter, a shipped model (synsp models lists them) "
                              "or a checkpoint, or leave the option out for the default")
    if key in FILTERS:
        return get_filter(key, **kw)
    tuned = parse_filter_spec(key)  # "one-euro:min_cutoff=1,beta=0.01": a filter with its parameters
    if tuned is not None:
        if kw:
            raise SynspInputError(f"{key}: give the filter's parameters in the name or as arguments, not both")
        return tuned
    resolved = _resolve_registered(key, kw)  # e.g. "<multi-view model>+similar-poses": synsp.grouping
    if resolved is not None:
        return resolved
    stem = named_checkpoint(name)  # a shipped model, or a run folder of `synsp train`: its best checkpoint
    if stem is not None:
        return network_refiner(NetworkRefiner.from_checkpoint(stem, **kw))
    path = Path(key)
    if path.name.lower().endswith((".pth", ".pt", ".pth.tar", ".tar", ".pkl", ".ckpt")):
        raise SynspInputError(
            f"{key}: a pickled PyTorch checkpoint; synsp never unpickles model files (unpickling runs code). "
            "Official SynSP checkpoints convert with synsp.models.official.load_official_checkpoint(path, "
            "trust_pickle=True) and synsp.models.checkpoint.save_model, once, from a source you trust")
    if checkpoint_file(path, ".json").is_file() or path.is_file():
        return network_refiner(NetworkRefiner.from_checkpoint(path, **kw))
    raise SynspInputError(
        f"unknown refiner {key!r}: not a filter ({', '.join(sorted(FILTERS))}, optionally with parameters: "
        f"one-euro:min_cutoff=1,beta=0.01), not a shipped model ({', '.join(shipped_models()) or 'none shipped yet'}), "
        "not a checkpoint file and not a run folder with best.json"
    )


def network_refiner(network: NetworkRefiner) -> Refiner:
    """A rotation model (6D inside) behind the axis-angle contract, any other network as it is."""
    _load_builtin_refiners()
    wrapper = _WRAPPERS.get(network.card.normalization)
    return network if wrapper is None else wrapper(network)


_as_refiner = network_refiner  # the earlier private name
