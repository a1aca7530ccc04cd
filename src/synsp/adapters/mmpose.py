"""A drop-in for MMPose 0.x's ``Smoother`` and its temporal filters (``build_filter``).

MMPose 1.x dropped the ``Smoother``; this module keeps its interface and runs
synsp underneath::

    from synsp.adapters.mmpose import Smoother      # was: from mmpose.core import Smoother
    smoother = Smoother('configs/_base_/filters/one_euro.py', keypoint_dim=2)
    for frame in pose_results:                      # online: one frame's list[dict] per call
        frame = smoother.smooth(frame)
    smoothed = Smoother('synsp', keypoint_dim=3).smooth(all_frames)   # offline: list[list[dict]]

    from synsp.adapters.mmpose import build_filter  # was: from mmpose.core.post_processing.temporal_filters ...
    f = build_filter(dict(type='GaussianFilter', window_size=11, sigma=4.0))
    y = f(x)                                        # x (T, K, C) -> (T, K, C), float32 kept

Two kinds of ``filter_cfg``, two contracts:

**MMPose's API** -- a filter config dict or the path of a Python config file
defining ``filter_cfg`` (run as plain Python; no ``_base_`` inheritance) --
behaves as MMPose 0.x (last release) does:

* ``build_filter(cfg)`` gives filters with ``window_size``, ``shareable`` and
  ``f(x)`` on ``(T, K, C)`` numpy arrays, any K and C (:class:`GaussianFilter`
  / ``gaussian``, :class:`SavizkyGolayFilter` / ``savgol``,
  :class:`OneEuroFilter` / ``oneeuro``, :class:`SmoothNetFilter` /
  ``SmoothNet`` / ``Smoothnet`` / ``smoothnet``, with MMPose's arguments and
  defaults).  The output dtype follows MMPose's filters: float32 and float64
  stay as they are; integer input comes back as integers (truncated towards
  zero) from the Gaussian, One-Euro and SmoothNet filters and as float64 from
  Savitzky-Golay.  The Gaussian and Savitzky-Golay filters are synsp's
  ``gaussian-mmpose`` and ``savgol-mmpose`` (same definition: a short
  sequence is padded at its start with its first frame); the One-Euro filter
  is stateful (``shareable`` False): successive calls continue one track.
* The ``Smoother`` keeps, per track, the filter and the track's last
  ``window_size - 1`` raw frames, and prepends them to the next call's frames
  (online: one frame per call; offline: each ``list[list[dict]]`` call,
  including repeated overlapping calls as MMPose's body3d demo makes).  Every
  call replaces that state with the tracks it contains, so a track absent from
  one frame starts afresh (pass ``max_lost_frames=N`` to keep an absent
  track's state for N frames instead).  Instances are paired by ``track_id``
  or, without ids, by their position in the list.  In one offline call every
  frame must hold the same track ids (``ValueError: Inconsistent track ids in
  frame t``) or, without ids, the same number of instances
  (``ValueError: Inconsistent target number in frame t: n vs m``).  An empty
  input (``[]``, or an empty first frame) warns ``Smoother received empty
  result.``, returns the input and leaves the state alone.  Left/right
  inversions are not repaired (``repair=True`` repairs each track of an
  offline call first), so the results equal MMPose's.

Where this API differs from MMPose 0.x (each where MMPose's result is unusable):

* NaN (a missing keypoint): MMPose's filters spread it (SmoothNet over every
  keypoint, the Gaussian's median over the window).  Here a coordinate NaN in
  every frame of a filter's input comes back NaN and the others are smoothed
  without it (in the Smoother online: a keypoint missing in a track's first
  frame is NaN in the first output); a NaN inside a sequence is filled by
  interpolation first; :class:`OneEuroFilter` holds a missing keypoint's last
  value, and gives NaN before its first observation.
* Instances with ``track_id`` -1 (:data:`DISCARDED_TRACK_ID`: MMPose's
  tracker marks every instance it discards so, several in a frame) take no
  part in the smoothing and come back as they came (deep copies); MMPose's
  Smoother collapses them into one track.  Any other id given twice in a frame
  raises.
* ``GaussianFilter`` on ``T < window_size`` frames returns ``T`` frames (the
  last ``T`` of MMPose's); MMPose's returns ``window_size`` frames, its
  padding included.
* A torch tensor of keypoints comes back as a numpy array of its dtype
  (float32 stays float32); MMPose's writes into a copy of the tensor.
* A filter type given as a string (``Smoother('GaussianFilter')``) raises
  naming the config dict to pass; MMPose reads a string as a config file's
  path.  ``'savgol'`` and ``'gaussian'`` name synsp's own filters (below).

**synsp's own refiners** -- ``filter_cfg="synsp"`` (the default: the shipped
network for the keypoint count and ``keypoint_dim``), a synsp filter or model
name (``"one-euro"``, ``"kalman"``, ``"smoothnet-h36m17-3d-w8"``, ...), a
checkpoint path or a refiner object -- get synsp's track handling, which
differs from MMPose's where MMPose's loses accuracy.  ``"savgol"`` and
``"gaussian"``, also MMPose's registry aliases, are synsp's filters of a
31-frame window: offline, a track of 30 frames or fewer comes back unchanged
(a warning says so and names ``dict(type='savgol')``, MMPose's 11-frame
filter); other MMPose type names as strings raise (above).  A track shorter
than any method needs comes back unchanged with a warning that names a method
to pass as ``filter_cfg=``.

* the keypoints' scores are the refiner's confidence, offline and online, as
  ``synsp.refine(confidence=...)`` and ``synsp refine`` on a pose file take
  them: a keypoint scoring below the refiner's ``min_confidence`` (default
  0.3) is missing (filled offline, held or carried online, as a NaN keypoint;
  a keypoint below it in every frame of a track is used as it is).  The
  scores are the column after the coordinates (MMPose 0.x's ``[x, y, score]``
  and ``[x, y, z, score]``) or, for keypoints without one (MMPose 1.x's
  ``[[x, y], ...]``), the instance's ``keypoint_scores``, and only when every
  value of them lies in [0, 1] (offline over a track's frames in the call,
  online in the frame); other values (a column of something else, scores on
  another scale) are no confidence and leave the refinement as without them.
  The returned scores are the given ones (moved with a relabelled keypoint);
* offline, each track's left/right inversions are undone over the call first
  (``repair``, default on: :func:`synsp.repair.repair_poses` on the
  coordinates, with the scores above as the confidence, as
  ``synsp.refine_pose_file`` does; every column of a relabelled keypoint, and
  its ``keypoint_scores``, move with it; :attr:`Smoother.relabelled` says what
  moved).  Online calls are not repaired (a repair needs the frames after an
  inversion);
* offline, each call refines every track over the frames from its first to its
  last appearance, exactly as ``synsp.refine(track, model, fps=frame_rate,
  repair=False, confidence=scores)`` on its repaired ``(T, K, keypoint_dim)``
  array (each side of a cut alone, :mod:`synsp.cuts`): tracks may come and go between frames
  (frames where a track is absent inside its span are filled by linear
  interpolation and not returned), and calls are independent (a call is a
  whole sequence; MMPose's padding with the previous call's frames would put
  frames of another sequence, or the same frames twice, into the filter);
* online, each call is one frame time, an empty call too, and the tracks are
  pushed with it, so the stream's gap rule applies: a track absent for at most
  the stream's ``max_gap`` frames (half a second at its frame rate: 15 at 30
  fps) and at most ``max_lost_frames`` (default 30) goes on, its absent frames
  held as missing keypoints (a person missed by the detector for a frame does
  not restart from the raw detection); absent longer, it ends, and when its id
  comes back a new track starts from the raw detection (its motion over the
  absence is no frame-to-frame motion);
* online, every synsp refiner runs through one zero-delay :class:`synsp.Stream`
  (``causal=True``: MMPose's online rule, each call returns the frame it was
  given, smoothed; the stream's tracks are the Smoother's): causal filters
  (One-Euro, Kalman) advance one step per frame time, so every returned frame
  equals the filter run offline over the track up to that frame when no
  keypoint is missing and the track was in every frame (online a missing
  keypoint holds its last value, offline
  it is interpolated up to the frame it returns in: One-Euro then differs,
  Kalman measures it in neither); the Kalman
  smoother gives its forward filter (its estimate of the latest frame); other
  filters run on the track's last ``window`` frames and keep the last; networks
  give the last frame of the window ending at the frame (``"synsp"`` picks a
  causal shipped model online when one fits).  A network cannot resample
  online, so ``frame_rate`` must then be one it runs at frame for frame (its rate, or below it down to a third
  of it: :meth:`synsp.refiners.NetworkRefiner.runs_at`).

Shared by both: instances without ``track_id`` are paired by list position, as
in MMPose (``track_id`` on some instances of a frame only, or the same id
twice, -1 aside, raises); ``keypoints`` are ``(K, C)`` arrays whose first
``keypoint_dim`` columns are coordinates, any further columns (scores, ...)
are returned untouched (synsp's contract reads the scores, above); each
returned dict is a deep copy and its keypoints keep their dtype, as in MMPose
(integer coordinates are truncated), and MMPose 1.x's ``[[x, y], ...]``
lists stay lists (``json.dump`` still writes them); the input is not
modified; an offline call whose frames hold no instance at all warns as
MMPose does.  NaN keypoints are missing: filters fill them by interpolation
offline and hold their last value online (a Kalman filter does not measure
them); a track's frames before its first observed keypoint pass through, and a
keypoint not observed yet in its track comes back NaN (offline: never observed
in the track; online: not observed up to the frame, :class:`synsp.Stream`).
Instances with ``track_id`` -1 are returned as they came (above).

**SmoothNet** (:class:`SmoothNetFilter`): SmoothNet's network looks at one
channel (one coordinate of one keypoint) at a time, with the same weights for
all, so the shipped SmoothNet of the config's ``window_size`` serves any K and
C, 2D or 3D (:class:`SharedSmoothNet`).  Points (C <= 3, K >= 2) are
normalised per window as the shipped model was trained (root-relative, divided
by the median RMS distance to the root; the root trajectory is one more
channel): the root is ``root_index`` (MMPose's SmoothNet configs set 0), or
the mean of all keypoints when it is None.  Other data (one keypoint, or C >
3) enters in its own units minus each window's mean.  Windows are averaged
(stride 1, as MMPose).  As in MMPose, a sequence shorter than the window is
returned unchanged.  MMPose's checkpoints are never loaded (``checkpoint``,
``hidden_size``, ``res_hidden_size``, ``num_blocks`` are ignored when a
shipped SmoothNet has the window); a window with no shipped SmoothNet raises
:class:`SynspInputError` naming the shipped ones when the config names a
checkpoint, and with ``checkpoint=None`` builds an untrained network as MMPose
does (a warning says so: its output is not smoothed, only shaped).
"""

from __future__ import annotations

import copy
import json
import numbers
import os
import runpy
import warnings
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import torch

from ..api import UNIVERSAL_CAUSAL_MODEL, UNIVERSAL_MODEL, choose_model, refine, repair_skeleton
from ..filters import get_filter
from ..filters.base import Refiner, check_positive, resolve_fps
from ..models.smoothnet import SmoothNet, SmoothNetConfig
from ..normalization import denormalize_windows, normalize_windows
from ..refiners import NetworkRefiner, SubsetRefiner, fit_refiner, get_refiner, shipped_models, shipped_path
from ..repair import relabel, repair_poses
from ..skeletons import skeleton_for
from ..stream import Stream
from ..validation import SynspInputError, is_torch
from ..windows import WindowAccumulator

__all__ = ["KALMAN_HISTORY", "EMPTY_RESULT_WARNING", "DISCARDED_TRACK_ID", "Smoother", "build_filter", "FILTERS",
           "TemporalFilter", "GaussianFilter", "SavizkyGolayFilter", "OneEuroFilter", "SmoothNetFilter",
           "SharedSmoothNet"]

KALMAN_HISTORY = 150
"""Frames the Smoother used to re-run a Kalman filter on per online frame (5 s at 30 fps).  Kept for
callers: a Kalman filter now advances one update per frame, equal to the offline filter at every frame."""

EMPTY_RESULT_WARNING = "Smoother received empty result."
"""The warning MMPose's ``Smoother`` gives for an empty input (kept word for word: users filter on it)."""


# ---- shipped models -------------------------------------------------------------------------------


def shipped_cards() -> dict[str, dict[str, Any]]:
    """The model cards (JSON) of the shipped models, by name."""
    return {name: json.loads(stem.with_suffix(".json").read_text()) for name, stem in shipped_models().items()}


def describe_shipped() -> str:
    """One line per shipped model: name, skeleton, dims, window."""
    return "; ".join(f"{name} ({c['skeleton']}, {c['dims']}D, window {c['window']})"
                     for name, c in shipped_cards().items()) or "none"


def shipped_smoothnets() -> dict[str, int]:
    """The shipped SmoothNets: name -> window."""
    return {name: c["window"] for name, c in shipped_cards().items() if c["architecture"] == "smoothnet"}


def shipped_smoothnet(window_size: Any) -> str:
    """The shipped SmoothNet whose window is ``window_size`` frames (raises naming the shipped ones)."""
    nets = shipped_smoothnets()
    for name, window in nets.items():
        if window == window_size:
            return name
    shipped = ", ".join(f"{name} (window_size {w})" for name, w in sorted(nets.items(), key=lambda n: n[1])) or "none"
    raise SynspInputError(
        f"no shipped SmoothNet has window_size={window_size!r}; shipped: {shipped}.  MMPose/MMHuman3D "
        f"SmoothNet checkpoints cannot be loaded; train one with `synsp train --architecture smoothnet "
        f"--window {window_size}`, or pass checkpoint=None for an untrained network (shapes only)"
    )


def load_config(path: str | os.PathLike, key: str) -> dict[str, Any]:
    """The dict ``key`` of an OpenMMLab Python config file, run as plain Python (no ``_base_``)."""
    if not os.path.isfile(path):
        raise SynspInputError(f"config file {os.fspath(path)!r} does not exist")
    namespace = runpy.run_path(os.fspath(path))
    if not isinstance(namespace.get(key), Mapping):
        raise SynspInputError(f"config file {os.fspath(path)!r} defines no dict {key!r}")
    return dict(namespace[key])


# ---- arrays ---------------------------------------------------------------------------------------


def per_channel(refiner: Refiner, x: np.ndarray) -> np.ndarray:
    """Run a synsp filter on every channel of ``x`` ``(T, ...)`` on its own, float64 out.

    synsp filters take ``(T, J, D)`` with D = 2 or 3 and treat every
    coordinate independently, so the channels are laid out as ``(T, J, 3)``
    (zero-padded to a multiple of 3; the padding is dropped).  A channel NaN in
    every frame comes back NaN (nothing to smooth it from; MMPose's filters let
    NaN through) and stays out of the regrouping, so it never marks another
    channel missing.
    """
    T = x.shape[0]
    flat = np.asarray(x, dtype=np.float64).reshape(T, -1)
    out = np.full(flat.shape, np.nan)
    live = ~np.isnan(flat).all(axis=0)
    n = int(live.sum())
    if n:
        padded = np.concatenate([flat[:, live], np.zeros((T, -n % 3))], axis=1)
        out[:, live] = refiner(padded.reshape(T, -1, 3)).reshape(T, -1)[:, :n]
    return out.reshape(x.shape)


def fill_missing(x: np.ndarray) -> np.ndarray:
    """``x`` ``(T, ...)`` float with every NaN filled by linear interpolation over time, channel by
    channel (held at the ends); a channel NaN in every frame stays NaN (nothing to fill it from: the
    caller keeps it out of anything that would spread it)."""
    if not np.isnan(x).any():
        return x
    T = x.shape[0]
    flat = x.reshape(T, -1).copy()
    t = np.arange(T)
    for c in np.flatnonzero(np.isnan(flat).any(axis=0)):
        seen = ~np.isnan(flat[:, c])
        if seen.any():
            flat[~seen, c] = np.interp(t[~seen], t[seen], flat[seen, c])
    return flat.reshape(x.shape)


#: the largest value a keypoint score column may hold to be read as confidence (:func:`confidence_column`): RTMPose's
#: SimCC scores pass 1 (one score of 1.02 in a track switched its confidence off: 0.79 -> 5.44 px offline), a
#: coordinate column rarely stays within [0, 2]
SCORE_MAX = 2.0


def confidence_column(rows: list, dim: int) -> np.ndarray | None:
    """The confidence ``(T, K)`` of a track's keypoint arrays ``rows`` (``(K, C)`` each; None where the track
    is absent, NaN there): the column after the ``dim`` coordinates, when every array has one and its finite
    values all lie in [0, :data:`SCORE_MAX`] (a score, MMPose's ``[x, y(, z), score]``; RTMPose's SimCC scores
    pass 1), capped at 1; else None (no column, or one that holds something else)."""
    present = [kp for kp in rows if kp is not None]
    if not present or any(kp.shape[1] <= dim for kp in present):
        return None
    conf = np.full((len(rows), present[0].shape[0]), np.nan)
    for t, kp in enumerate(rows):
        if kp is not None:
            conf[t] = kp[:, dim]
    seen = conf[np.isfinite(conf)]
    if seen.size == 0 or seen.min() < 0 or seen.max() > SCORE_MAX:
        return None
    return np.minimum(conf, 1.0)


def as_sequence(x: Any, what: str = "x") -> np.ndarray:
    """``x`` as a numpy ``(T, K, C)`` array (dtype kept), or :class:`SynspInputError`."""
    if is_torch(x):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim != 3 or 0 in arr.shape:
        raise SynspInputError(f"{what} has shape {arr.shape}; expected a non-empty pose sequence (T, K, C)")
    if arr.dtype.kind not in "fiu":
        raise SynspInputError(f"{what} has dtype {arr.dtype}; expected real numbers (float or int)")
    if arr.dtype.kind == "f" and np.isinf(arr).any():
        raise SynspInputError(f"{what} contains inf; pass finite values (NaN marks a missing value)")
    return arr


def cast_like(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``out`` in ``like``'s dtype; integers are truncated towards zero, as numpy's cast (and MMPose)."""
    return out.astype(like.dtype, copy=False)


# ---- SmoothNet, one network for every channel ----------------------------------------------------


class SharedSmoothNet:
    """A SmoothNet applied to any ``(T, K, C)``, the same weights for every channel.

    Args:
        window: frames per window; the shipped SmoothNet of that window is used.
        checkpoint: what the config asks for.  Only decides what happens when
            no SmoothNet of ``window`` is shipped: a checkpoint named raises
            :class:`SynspInputError`, None builds an untrained network (with a
            warning), as MMPose/MMHuman3D build one without a checkpoint.
        hidden, res_hidden, num_blocks: the untrained network's sizes.
        device: torch device of the network.
        batch_channels: window channels per forward pass (bounds memory).
    """

    def __init__(self, window: int, checkpoint: Any = None, hidden: int = 512, res_hidden: int = 256,
                 num_blocks: int = 3, device: Any = "cpu", batch_channels: int = 1 << 16):
        check_positive(window, "window_size", integer=True)
        self.window = int(window)
        self.device = torch.device(device)
        self.batch_channels = int(batch_channels)
        if self.window in shipped_smoothnets().values():
            network = get_refiner(shipped_smoothnet(self.window))
            self.name, self.trained, model = network.name, True, network.model
        elif checkpoint:
            shipped_smoothnet(self.window)  # raises, naming the shipped windows
        else:
            warnings.warn(
                f"SmoothNet window_size={self.window} without checkpoint: no shipped SmoothNet has this window "
                f"(shipped windows: {sorted(shipped_smoothnets().values())}), so this is an untrained network, as "
                "MMPose/MMHuman3D build one "
                "without a checkpoint: its output has the input's shape but is not smoothed", UserWarning,
                stacklevel=3)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                model = SmoothNet(SmoothNetConfig(window=self.window, hidden=int(hidden), res_hidden=int(res_hidden),
                                                  num_blocks=int(num_blocks)))
            self.name, self.trained = f"untrained SmoothNet (window {self.window})", False
        self.model = model.eval().to(self.device)

    def __call__(self, x: np.ndarray, root_index: int | None = None) -> np.ndarray:
        """Refine ``x`` ``(T, K, C)`` (float64; NaN filled first) -> float64, same shape.

        ``T < window`` returns a copy of ``x`` unchanged.  Points (``C <= 3``,
        ``K >= 2``) are normalised around ``root_index`` (None: the mean of
        all keypoints); other data around each window's mean.  A channel NaN in
        every frame comes back NaN and is kept out of the others' normalisation
        (MMPose's SmoothNet spreads the NaN): the keypoints with every channel
        observed are refined as points (around the mean of them when the root
        is one of the NaN ones), the observed channels of the other keypoints
        each in its own units.
        """
        x = fill_missing(np.asarray(x, dtype=np.float64))
        T, K, C = x.shape
        if T < self.window:
            return x.copy()
        if root_index is not None and C <= 3 and K >= 2 \
                and not (isinstance(root_index, (int, np.integer)) and 0 <= root_index < K):
            raise SynspInputError(f"root_index is {root_index!r}; expected None or a keypoint index 0..{K - 1}")
        dead = np.isnan(x).all(axis=0)  # (K, C): after the fill, NaN only where NaN in every frame
        if not dead.any():
            return self._refine(x, root_index)
        out = np.full(x.shape, np.nan)
        whole = ~dead.any(-1)  # the keypoints with every channel observed
        if whole.any():
            root = None if root_index is None or not whole[root_index] else int(whole[:root_index].sum())
            out[:, whole] = self._refine(x[:, whole], root)
        live = ~dead & ~whole[:, None]  # the observed channels of the other keypoints
        if live.any():
            out[:, live] = self._refine(x[:, live][:, None], None)[:, 0]
        return out

    def _refine(self, x: np.ndarray, root_index: int | None) -> np.ndarray:
        """:meth:`__call__` on ``x`` ``(T >= window, K, C)`` without NaN."""
        T, K, C = x.shape
        W = self.window
        points = C <= 3 and K >= 2
        if points:
            roots = (int(root_index),) if root_index is not None else tuple(range(K))
        channels = (K + 1) * C if points else K * C
        starts = np.arange(T - W + 1)
        per_batch = max(1, self.batch_channels // channels)
        acc = WindowAccumulator(T, (K, C))
        for a in range(0, len(starts), per_batch):
            s = starts[a:a + per_batch]
            windows = x[s[:, None] + np.arange(W)]  # (n, W, K, C)
            if points:
                inp, stats = normalize_windows(windows, roots)  # (n, W, (K+1)*C)
                refined = denormalize_windows(self._forward(inp), stats, C)
            else:
                flat = windows.reshape(len(s), W, K * C)
                centre = flat.mean(axis=1, keepdims=True)
                refined = (self._forward(flat - centre) + centre).reshape(windows.shape)
            acc.add(refined, s)
        return acc.result()

    @torch.no_grad()
    def _forward(self, windows: np.ndarray) -> np.ndarray:
        inp = torch.as_tensor(windows, dtype=torch.float32, device=self.device)
        return self.model(inp).cpu().numpy().astype(np.float64)


# ---- MMPose 0.x temporal filters ------------------------------------------------------------------


class TemporalFilter(ABC):
    """MMPose 0.x's filter interface: ``window_size``, ``shareable`` and ``f(x)`` on ``(T, K, C)``."""

    _shareable: bool = True  # one object may serve every track (no state between calls)

    def __init__(self, window_size: int = 1):
        check_positive(window_size, "window_size", integer=True)
        self._window_size = int(window_size)

    @property
    def window_size(self) -> int:
        """Frames the filter needs; the ``Smoother`` keeps ``window_size - 1`` frames per track."""
        return self._window_size

    @property
    def shareable(self) -> bool:
        """False when the filter holds the state of one track (the ``Smoother`` builds one per track)."""
        return self._shareable

    @abstractmethod
    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Smooth ``x`` ``(T, K, C)`` along time; numpy of the same shape."""


class GaussianFilter(TemporalFilter):
    """A running median of ``window_size`` frames, then a Gaussian of ``sigma`` frames (``gaussian-mmpose``).
    ``T < window_size`` frames give ``T`` frames, the last ``T`` of the ``window_size`` MMPose's returns (its
    padding is no frame of the input)."""

    def __init__(self, window_size: int = 11, sigma: float = 4.0):
        super().__init__(window_size)
        if self.window_size % 2 == 0:
            raise SynspInputError(f"GaussianFilter window_size is {window_size}; expected an odd number of frames")
        check_positive(sigma, "sigma")
        self.sigma = sigma
        self._filter = get_filter("gaussian-mmpose", window=self.window_size, sigma=float(sigma))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        arr = as_sequence(x)
        return cast_like(per_channel(self._filter, arr), arr)


class SavizkyGolayFilter(TemporalFilter):
    """Savitzky-Golay of ``window_size`` frames and degree ``polyorder`` (``savgol-mmpose``)."""

    def __init__(self, window_size: int = 11, polyorder: int = 2):
        super().__init__(window_size)
        check_positive(polyorder, "polyorder", integer=True)
        if polyorder >= self.window_size:
            raise SynspInputError(f"polyorder is {polyorder}; expected less than window_size = {window_size}")
        if self.window_size % 2 == 0:
            raise SynspInputError(f"SavizkyGolayFilter window_size is {window_size}; expected an odd number")
        self.polyorder = int(polyorder)
        self._filter = get_filter("savgol-mmpose", window=self.window_size, polyorder=self.polyorder)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        arr = as_sequence(x)
        out = per_channel(self._filter, arr)
        return out.astype(arr.dtype) if arr.dtype.kind == "f" else out  # integers come back as float64


class OneEuroFilter(TemporalFilter):
    """One-Euro (``one-euro-mmpose``: frame time unit, ``d_cutoff`` 1), stateful: calls continue one track
    (the filter's online form, one step per frame).  A keypoint with a NaN coordinate is missing: it holds its
    last value once observed, and comes back NaN before its first observation (the filter's stand-in there, the
    body's mean, is no data; MMPose's lets the NaN through)."""

    _shareable = False

    def __init__(self, min_cutoff: float = 0.004, beta: float = 0.7):
        super().__init__(1)
        self.min_cutoff, self.beta = min_cutoff, beta
        self._online = get_filter("one-euro-mmpose", min_cutoff=min_cutoff, beta=beta).online()
        self._track = self._online.start()
        self._shape: tuple | None = None
        self._seen: np.ndarray | None = None  # (K,) the keypoints observed so far

    def __call__(self, x: np.ndarray) -> np.ndarray:
        arr = as_sequence(x)
        if self._shape is not None and self._shape != arr.shape[1:]:
            raise SynspInputError(f"OneEuroFilter got frames of shape {arr.shape[1:]} after {self._shape}; "
                                  "one filter follows one track (build another)")
        self._shape = arr.shape[1:]
        out = []
        for frame in arr.astype(np.float64):
            missing = np.isnan(frame).any(-1)
            self._seen = ~missing if self._seen is None else self._seen | ~missing
            got = self._online.step([self._track], [frame], [missing])[0]
            if got is None:
                out.append(frame)  # nothing observed yet: passed through
            else:
                out.append(np.where(self._seen[:, None], got[0], np.nan))
        return cast_like(np.stack(out), arr)


class SmoothNetFilter(TemporalFilter):
    """SmoothNet through MMPose's config (see :class:`SharedSmoothNet` and the module docstring)."""

    def __init__(self, window_size: int, output_size: int | None = None, checkpoint: str | None = None,
                 hidden_size: int = 512, res_hidden_size: int = 256, num_blocks: int = 3, device: str = "cpu",
                 root_index: int | None = None):
        super().__init__(window_size)
        if output_size is not None and output_size != window_size:
            raise SynspInputError(
                f"SmoothNet output_size is {output_size}; synsp's SmoothNet refines the whole window "
                f"(output_size = window_size = {window_size})")
        self.root_index = root_index
        self.net = SharedSmoothNet(self.window_size, checkpoint, hidden_size, res_hidden_size, num_blocks, device)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        arr = as_sequence(x)
        if arr.shape[0] < self.window_size:
            return arr.copy()  # as MMPose: too short to fill one window
        return cast_like(self.net(arr, self.root_index), arr)


_SMOOTHNET_NAMES = ("SmoothNetFilter", "SmoothNet", "Smoothnet", "smoothnet")
FILTERS: dict[str, type[TemporalFilter]] = {
    "GaussianFilter": GaussianFilter, "gaussian": GaussianFilter,
    "SavizkyGolayFilter": SavizkyGolayFilter, "savgol": SavizkyGolayFilter,
    "OneEuroFilter": OneEuroFilter, "oneeuro": OneEuroFilter,
    **{name: SmoothNetFilter for name in _SMOOTHNET_NAMES},
}
"""MMPose 0.x's filter registry names (aliases included) -> filter class."""

#: the MMPose filter aliases that are also synsp refiner names (a string picks synsp's): what MMPose's does
MMPOSE_ALIASES = {"savgol": "window_size 11, any length", "gaussian": "window_size 11, any length"}

#: MMPose's default arguments of each filter (SmoothNet: a shipped window), for messages that show a config
MMPOSE_EXAMPLE_ARGS: dict[type, str] = {
    GaussianFilter: "window_size=11, sigma=4.0", SavizkyGolayFilter: "window_size=11, polyorder=2",
    OneEuroFilter: "min_cutoff=0.004, beta=0.7", SmoothNetFilter: "window_size=8",
}


def build_filter(cfg: Mapping) -> TemporalFilter:
    """The filter of an MMPose filter config ``{'type': ..., **arguments}`` (MMPose's ``build_filter``)."""
    return build_from_registry(cfg, FILTERS, "filter_cfg")


def build_from_registry(cfg: Mapping, registry: Mapping[str, type], what: str) -> Any:
    """``registry[cfg['type']](**arguments)``, with errors that name the config and what it may hold."""
    if not isinstance(cfg, Mapping):
        raise SynspInputError(f"{what} is a {type(cfg).__name__}; expected a dict with a 'type'")
    args = dict(cfg)
    kind = args.pop("type", None)
    if kind not in registry:
        raise SynspInputError(f"{what} type is {kind!r}; expected one of {', '.join(registry)}")
    try:
        return registry[kind](**args)
    except TypeError as err:  # unknown or missing argument
        raise SynspInputError(f"{what} type {kind!r}: {err}") from None


# ---- MMPose's history -----------------------------------------------------------------------------


class _MMPoseHistory:
    """MMPose 0.x's ``Smoother`` state: per track, its filter and its last ``window_size - 1`` raw frames.

    Each call prepends a track's kept frames to its new ones, filters, returns
    the new frames' part and keeps the tail of the raw frames; tracks absent
    from the call are forgotten after ``max_lost`` frames (MMPose: 0).
    """

    def __init__(self, cfg: Mapping, max_lost: int):
        self.cfg = dict(cfg)
        self.max_lost = max_lost
        self._next = build_filter(self.cfg)  # built up front: a bad config fails here, as in MMPose
        self.padding = self._next.window_size - 1
        self.tracks: dict[Hashable, list] = {}  # id -> [kept raw frames or None, filter, frames absent]

    def _new_filter(self) -> TemporalFilter:
        f = self._next
        if not f.shareable:  # it will hold this track's state: the next track gets its own
            self._next = build_filter(self.cfg)
        return f

    def smooth(self, poses: dict[Hashable, np.ndarray], T: int) -> dict[Hashable, np.ndarray]:
        out: dict[Hashable, np.ndarray] = {}
        kept: dict[Hashable, list] = {}
        for track_id, pose in poses.items():
            if track_id in self.tracks:
                frames, f, _ = self.tracks[track_id]
                if frames is not None:
                    if frames.shape[1:] != pose.shape[1:]:
                        raise SynspInputError(
                            f"track {track_id!r} has keypoints {pose.shape[1:]} after {frames.shape[1:]}; "
                            "every frame of a track needs the same K (reset() between sequences)")
                    pose = np.concatenate([frames, pose])
            else:
                f = self._new_filter()
            kept[track_id] = [pose[-self.padding:].copy() if self.padding else None, f, 0]
            out[track_id] = f(pose)[-T:]
        for track_id, entry in self.tracks.items():
            if track_id not in poses:
                entry[2] += T
                if entry[2] <= self.max_lost:
                    kept[track_id] = entry
        self.tracks = kept
        return out


# ---- the Smoother ---------------------------------------------------------------------------------


DISCARDED_TRACK_ID = -1
"""The ``track_id`` MMPose 0.x's tracker (``get_track_id``) gives every instance it discards (few confident
keypoints; its keypoints moved off the image): such instances are returned as they came, unsmoothed."""


def is_discarded(result: Mapping) -> bool:
    """True for an instance whose ``track_id`` is :data:`DISCARDED_TRACK_ID`."""
    tid = result.get("track_id")
    return isinstance(tid, numbers.Integral) and not isinstance(tid, bool) and tid == DISCARDED_TRACK_ID


class Smoother:
    """MMPose 0.x's ``Smoother`` on synsp filters and networks (see the module docstring).

    Args:
        filter_cfg: an MMPose filter config dict or the path of an MMPose
            ``.py`` config file defining ``filter_cfg`` (MMPose's contract);
            or ``"synsp"``, a synsp filter/model name or checkpoint path, or a
            synsp refiner object (synsp's contract).
        keypoint_dim: coordinates per keypoint (C); further columns of the
            ``keypoints`` arrays are returned untouched (for synsp refiners a
            score column in [0, 1] is the confidence: the module docstring).
        keypoint_key: the key of the keypoints in each result dict.
        frame_rate: frames per second of the results, for synsp refiners
            (None: 30 for filters in Hz, the model's rate for networks);
            MMPose's filters work in frames and ignore it.
        max_lost_frames: frames an absent track keeps its online state (None:
            0 for MMPose configs, as MMPose; 30 for synsp refiners, whose
            online stream also ends a track absent for more than its
            ``max_gap``, half a second).
        repair: undo left/right inversions of each track over an offline
            call before smoothing (:func:`synsp.repair.repair_poses`, as
            ``synsp.refine_pose_file``; skeletons registered for the keypoint
            count).  None: on for synsp refiners, off for MMPose configs (their
            results then equal MMPose's).  Online calls are not repaired.

    After an offline call, :attr:`relabelled` holds ``{track_id: {group: frames}}`` for the tracks the
    repair relabelled somewhere (empty when it relabelled nothing).
    """

    def __init__(self, filter_cfg: Any = "synsp", keypoint_dim: int = 2, keypoint_key: str = "keypoints",
                 frame_rate: float | None = None, max_lost_frames: int | None = None, repair: bool | None = None):
        check_positive(keypoint_dim, "keypoint_dim", integer=True)
        if max_lost_frames is not None:
            check_positive(max_lost_frames, "max_lost_frames", integer=True, allow_zero=True)
        if frame_rate is not None:
            resolve_fps(frame_rate)
        self.filter_cfg = filter_cfg
        self.keypoint_dim = int(keypoint_dim)
        self.key = keypoint_key
        self.frame_rate = frame_rate
        if isinstance(filter_cfg, (str, os.PathLike)) and os.fspath(filter_cfg).endswith(".py"):
            filter_cfg = load_config(filter_cfg, "filter_cfg")
        self._mmpose_cfg = dict(filter_cfg) if isinstance(filter_cfg, Mapping) else None
        default_lost = 0 if self._mmpose_cfg is not None else 30
        self.repair = (self._mmpose_cfg is None) if repair is None else bool(repair)
        self.max_lost_frames = default_lost if max_lost_frames is None else int(max_lost_frames)
        self._refiner: Refiner | None = None
        if self._mmpose_cfg is not None:
            build_filter(self._mmpose_cfg)  # a bad config fails at construction, as in MMPose
        elif isinstance(filter_cfg, Refiner):
            self._refiner = filter_cfg
        elif filter_cfg != "synsp":  # "synsp": chosen per keypoint count on first use
            self._refiner = self._named_refiner(filter_cfg)
        if isinstance(self._refiner, NetworkRefiner):
            self._check_network(self._refiner, None)
        self._synsp: dict[tuple[int, bool], Refiner] = {}
        self.reset()

    @staticmethod
    def _named_refiner(name: Any) -> Refiner:
        """synsp's refiner ``name``; an MMPose filter type given as a string (MMPose reads a string as a config
        file's path) raises naming the config dict to pass instead."""
        try:
            return get_refiner(name)
        except SynspInputError:
            if not isinstance(name, str) or name not in FILTERS:
                raise
        args = MMPOSE_EXAMPLE_ARGS[FILTERS[name]]
        raise SynspInputError(
            f"filter_cfg {name!r} is an MMPose filter type, and MMPose reads a string as a config file's path; pass "
            f"the config dict, e.g. Smoother(dict(type={name!r}, {args}))") from None

    @property
    def follows_mmpose(self) -> bool:
        """True when ``filter_cfg`` is an MMPose config, so MMPose's track contract applies."""
        return self._mmpose_cfg is not None

    def reset(self) -> None:
        """Forget every track's state (as after construction)."""
        self._history = _MMPoseHistory(self._mmpose_cfg, self.max_lost_frames) if self.follows_mmpose else None
        self._online: Stream | None = None  # the online calls' stream (built on the first one)
        self._num_keypoints: int | None = None
        self._lost: dict[Hashable, int] = {}
        self._time = -1  # the frame time of the latest online call
        self.relabelled: dict[Hashable, dict[str, int]] = {}

    def smooth(self, results: list) -> list:
        """Smooth one frame's ``list[dict]`` (online) or a ``list[list[dict]]`` of frames (offline).

        Returns the input's structure with deep-copied dicts whose keypoint
        coordinates are smoothed.
        """
        if not isinstance(results, (list, tuple)):
            raise SynspInputError(
                f"results is a {type(results).__name__}; expected one frame's list[dict] (online) or a "
                "list of frames, list[list[dict]] (offline)"
            )
        online = all(isinstance(r, Mapping) for r in results)
        if not online and not all(isinstance(r, (list, tuple)) for r in results):
            raise SynspInputError(
                "results mixes dicts and lists; expected one frame's list[dict] (online) or a list of frames, "
                "list[list[dict]] (offline)"
            )
        if self.follows_mmpose:
            if not results or not results[0]:
                warnings.warn(EMPTY_RESULT_WARNING, UserWarning, stacklevel=2)
                return results
        elif not results or (not online and not any(results)):
            warnings.warn(EMPTY_RESULT_WARNING, UserWarning, stacklevel=2)
            if online:
                self._smooth_frame(results)  # an empty frame: absent tracks age
            return results
        frames = [results] if online else results
        kept = self._without_discarded(frames)
        if self.follows_mmpose:
            smoothed = self._smooth_mmpose(kept)
        elif online:
            smoothed = [self._smooth_frame(kept[0])]
        else:
            smoothed = self._smooth_sequence(kept) if any(kept) else [[] for _ in kept]
        if kept is not frames:  # the discarded instances back in their places, as they came
            smoothed = [[copy.deepcopy(r) if isinstance(r, Mapping) and is_discarded(r) else next(done) for r in frame]
                        for frame, done in zip(frames, map(iter, smoothed))]
        return smoothed[0] if online else smoothed

    def _without_discarded(self, frames: list) -> list:
        """``frames`` without the instances whose ``track_id`` is :data:`DISCARDED_TRACK_ID` (``frames`` itself
        when there is none): those take no part and come back as they came (the module docstring)."""
        if not any(isinstance(r, Mapping) and is_discarded(r) for frame in frames for r in frame):
            return frames
        for t, frame in enumerate(frames):
            if any(isinstance(r, Mapping) and is_discarded(r) for r in frame) \
                    and not all(isinstance(r, Mapping) and "track_id" in r for r in frame):
                where = f"results[{t}]" if len(frames) > 1 else "the frame"
                raise SynspInputError(f"{where} has track_id on some instances only; give every instance one")
        return [[r for r in frame if not (isinstance(r, Mapping) and is_discarded(r))] for frame in frames]

    # ---- MMPose's contract --------------------------------------------------------------------

    def _smooth_mmpose(self, frames: list) -> list:
        for t, frame in enumerate(frames):
            if not all(isinstance(r, Mapping) for r in frame):
                raise SynspInputError(f"results[{t}] is not a list of dicts (one per instance)")
        with_ids = "track_id" in frames[0][0] if frames[0] else True  # empty: only discarded instances (with ids)
        ids = [self._frame_ids(frame, t if len(frames) > 1 else None, with_ids) for t, frame in enumerate(frames)]
        for t in range(1, len(frames)):
            if with_ids and set(ids[t]) != set(ids[0]):
                raise SynspInputError(
                    f"Inconsistent track ids in frame {t}: {sorted(map(str, ids[t]))} vs "
                    f"{sorted(map(str, ids[0]))} in frame 0; MMPose's Smoother needs the same tracks in every "
                    "frame of one call (synsp's refiners, e.g. filter_cfg='synsp', take tracks that come and go)")
            if not with_ids and len(ids[t]) != len(ids[0]):
                raise SynspInputError(
                    f"Inconsistent target number in frame {t}: {len(ids[t])} vs {len(ids[0])}; without "
                    "track_id the instances are paired by position, so every frame needs the same number")
        keypoints = [[self._keypoints(r, t if len(frames) > 1 else None) for r in frame]
                     for t, frame in enumerate(frames)]
        poses = {}
        skeleton = self._repair_skeleton(keypoints[0][0].shape[0], None) if len(frames) > 1 and ids[0] else None
        self.relabelled = {}
        for i, track_id in enumerate(ids[0]):
            where = [ids[t].index(track_id) for t in range(len(frames))]
            if skeleton is not None and len({keypoints[t][where[t]].shape[0] for t in range(len(frames))}) == 1:
                fixed = self._repair_track(track_id, [keypoints[t][where[t]] for t in range(len(frames))], skeleton)
                for t, kp in enumerate(fixed):
                    keypoints[t][where[t]] = kp
            track = [keypoints[t][where[t]][:, : self.keypoint_dim] for t in range(len(frames))]
            if len({kp.shape for kp in track}) > 1:
                raise SynspInputError(f"track {track_id!r} has keypoints of shapes "
                                      f"{sorted({kp.shape for kp in track})}; every frame needs the same K")
            poses[track_id] = np.stack(track)
        smoothed = self._history.smooth(poses, len(frames))
        return [[self._scatter(r, kp, smoothed[track_id][t]) for r, kp, track_id in zip(frame, keypoints[t], ids[t])]
                for t, frame in enumerate(frames)]

    # ---- synsp's contract, online -------------------------------------------------------------

    def _smooth_frame(self, frame: list) -> list:
        self._time += 1  # every online call is one frame time, an empty one too
        ids = self._frame_ids(frame, None, None)
        keypoints = [self._scored(r, self._keypoints(r, None), "an instance") for r in frame]
        if keypoints:
            K = self._num_keypoints if self._num_keypoints is not None else keypoints[0].shape[0]
            self._check_count(keypoints, K, "earlier frames" if self._num_keypoints is not None else None)
            self._num_keypoints = K
            if self._online is None:
                self._online = self._stream(self._refiner_for(K, online=True))
        out = []
        for track_id, result, kp in zip(ids, frame, keypoints):
            self._lost[track_id] = 0
            coords = kp[:, : self.keypoint_dim].astype(np.float64)
            conf = confidence_column([kp], self.keypoint_dim)
            smoothed = self._online.push(coords, track_id=track_id, confidence=None if conf is None else conf[0],
                                         time=self._time)
            now = [f for f, t in zip(smoothed, smoothed.times) if t == self._time]
            out.append(self._scatter(result, kp, now[0] if now else coords))  # none yet: as it came
        seen = set(ids)
        for track_id in [t for t in self._lost if t not in seen]:
            self._lost[track_id] += 1
            if self._lost[track_id] > self.max_lost_frames:
                del self._lost[track_id]
                if track_id in self._online.tracks:
                    self._online.flush(track_id)  # its state is freed (a zero-delay stream has nothing pending)
        return out

    def _stream(self, refiner: Refiner) -> Stream:
        """The zero-delay :class:`synsp.Stream` of ``refiner`` that smooths online calls: tracks pushed with the
        call's frame time (the stream's gap rule: an absence up to its ``max_gap`` frames is held, a longer one
        ends the track), scores below the refiner's ``min_confidence`` missing."""
        try:
            return Stream(refiner, causal=True, fps=self.frame_rate, repair=False,
                          min_confidence=getattr(refiner, "min_confidence", 0.3))
        except SynspInputError as err:
            raise SynspInputError(f"frame_rate is {self.frame_rate}: {err}") if self.frame_rate is not None \
                else err from None

    # ---- synsp's contract, offline ------------------------------------------------------------

    def _smooth_sequence(self, frames: list) -> list:
        tracks: dict[Hashable, list[tuple[int, int, np.ndarray]]] = {}
        with_ids = any("track_id" in r for frame in frames for r in frame)
        counts = [len(frame) for frame in frames]
        if not with_ids and len(set(counts)) > 1:
            t = next(t for t, n in enumerate(counts) if n != counts[0])
            raise SynspInputError(
                f"Inconsistent target number in frame {t}: {counts[t]} vs {counts[0]}; without track_id the "
                "instances are paired by position, so every frame needs the same number (add 'track_id' for "
                "people who come and go)")
        for t, frame in enumerate(frames):
            if not all(isinstance(r, Mapping) for r in frame):
                raise SynspInputError(f"results[{t}] is not a list of dicts (one per instance)")
            for i, (track_id, result) in enumerate(zip(self._frame_ids(frame, t, with_ids), frame)):
                kp = self._scored(result, self._keypoints(result, t), f"an instance of results[{t}]")
                tracks.setdefault(track_id, []).append((t, i, kp))
        out: list[list] = [[None] * len(frame) for frame in frames]
        items = [item for track in tracks.values() for item in track]
        K = items[0][2].shape[0]
        self._check_count([kp for _, _, kp in items], K, None)
        refiner = self._refiner_for(K, online=False)
        skeleton = self._repair_skeleton(K, refiner)
        self.relabelled = {}
        for track_id, track in tracks.items():
            start = track[0][0]
            if skeleton is not None:
                span: list = [None] * (track[-1][0] - start + 1)
                for t, _, kp in track:
                    span[t - start] = kp
                fixed = self._repair_track(track_id, span, skeleton)
                track = [(t, i, fixed[t - start]) for t, i, _ in track]
            poses = np.full((track[-1][0] - start + 1, K, self.keypoint_dim), np.nan)
            rows: list = [None] * len(poses)
            for t, _, kp in track:
                poses[t - start] = kp[:, : self.keypoint_dim]
                rows[t - start] = kp
            smoothed = self._refine(poses, refiner, confidence_column(rows, self.keypoint_dim))
            for t, i, kp in track:
                out[t][i] = self._scatter(frames[t][i], kp, smoothed[t - start])
        return out

    def _refine(self, poses: np.ndarray, refiner: Refiner, confidence: np.ndarray | None) -> np.ndarray:
        """``synsp.refine`` of one track (cut where it jumps; ``confidence`` ``(T, K)`` or None).  A track shorter
        than the method needs comes back unchanged with a warning, which here names the method to pass as
        ``filter_cfg=`` (``synsp.refine``'s says ``model=``); synsp's ``savgol`` and ``gaussian`` (31-frame
        windows) share their names with MMPose's filter aliases (11 frames, any length), so for them the warning
        names the MMPose config as well."""
        name = getattr(refiner, "name", None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            smoothed = refine(poses, model=refiner, fps=self.frame_rate, repair=False, confidence=confidence)
        for w in caught:
            message = str(w.message)
            if "shorter than" in message:
                message = message.replace("(model=", "(filter_cfg=")
                if name in MMPOSE_ALIASES:
                    message += (f"; Smoother({name!r}) is synsp's {name} filter ({refiner.window}-frame window), "
                                f"Smoother(dict(type={name!r})) MMPose's ({MMPOSE_ALIASES[name]})")
            warnings.warn(message, w.category, stacklevel=4)
        return smoothed

    # ---- shared -------------------------------------------------------------------------------

    def _refiner_for(self, num_keypoints: int, online: bool) -> Refiner:
        refiner = self._refiner
        if refiner is None:
            key = (num_keypoints, online)
            if key not in self._synsp:
                self._synsp[key] = get_refiner(shipped_path(self._synsp_model(num_keypoints, online)))
            refiner = self._synsp[key]
        # a body model on a larger skeleton that contains it (WholeBody's 133 keypoints: the body refined,
        # the face and hands following it), as synsp.refine does
        refiner = fit_refiner(refiner, num_keypoints)
        if isinstance(refiner, NetworkRefiner):
            self._check_network(refiner, num_keypoints)
        elif isinstance(refiner, SubsetRefiner):
            self._check_network(refiner.network, None)
        return refiner

    def _synsp_model(self, num_keypoints: int, online: bool) -> str:
        """``"synsp"``: a causal shipped model online when one fits (for a body the universal zero-delay
        model, else a dedicated causal one for these keypoints), else the offline default."""
        if online and choose_model(num_keypoints, self.keypoint_dim)[0] == UNIVERSAL_MODEL \
                and UNIVERSAL_CAUSAL_MODEL in shipped_cards():
            return UNIVERSAL_CAUSAL_MODEL
        if online:
            skeletons = skeleton_for(num_keypoints)
            causal = sorted(name for name, c in shipped_cards().items()
                            if c.get("causal") and c["skeleton"] in skeletons and c["dims"] == self.keypoint_dim
                            and c["views"] == 1)
            if causal:
                return causal[0]
        model, fallback = choose_model(num_keypoints, self.keypoint_dim, fps=self.frame_rate)  # as synsp.refine
        if fallback is not None:
            raise SynspInputError(
                f"filter_cfg='synsp' needs a shipped network for {num_keypoints} keypoints in "
                f"{self.keypoint_dim}D and none is shipped (shipped: {describe_shipped()}); pass a filter, "
                "e.g. filter_cfg=dict(type='OneEuroFilter') or 'one-euro-mmpose'")
        return model

    def _check_network(self, refiner: NetworkRefiner, num_keypoints: int | None) -> None:
        card = refiner.card
        joints = refiner.skeleton.num_joints if refiner.skeleton else None
        joints_ok = num_keypoints is None or joints is None or joints == num_keypoints
        dims = refiner.dims
        if self.keypoint_dim not in dims or card.views != 1 or not joints_ok:
            found = f"{num_keypoints} keypoints with " if num_keypoints is not None else ""
            raise SynspInputError(
                f"model {card.name!r} refines {joints or 'any number of'} joints ({card.skeleton}) in "
                f"{' or '.join(f'{d}D' for d in dims)}, {card.views} view(s); the results have {found}keypoint_dim = "
                f"{self.keypoint_dim}, one view per track (SmoothNet for any keypoints: "
                "filter_cfg=dict(type='SmoothNetFilter', window_size=8))"
            )

    def _repair_skeleton(self, num_keypoints: int, refiner: Refiner | None) -> Any:
        """The skeleton whose left/right pairs the repair uses, or None (repair off, or none registered)."""
        return repair_skeleton(num_keypoints, self.keypoint_dim, None, refiner) if self.repair else None

    def _repair_track(self, track_id: Hashable, span: list, skeleton: Any) -> list:
        """One track's keypoint arrays over its span (None where absent) with its left/right inversions
        undone: every column of a relabelled frame moves with its joint.  The column after the coordinates
        is the confidence when every value there lies in [0, 1] (MMPose's score)."""
        dim = self.keypoint_dim
        K = next(kp for kp in span if kp is not None).shape[0]
        poses = np.full((len(span), K, dim), np.nan)
        for t, kp in enumerate(span):
            if kp is not None:
                poses[t] = kp[:, :dim]
        _, _, report = repair_poses(poses, skeleton, confidence_column(span, dim))
        flipped, hands = report.get("flipped"), report.get("hands")  # hands: a whole body's, back to their wrists
        if flipped is None or not (flipped.any() or hands is not None and hands.any()):
            return span
        groups = report["groups"]
        self.relabelled[track_id] = {g: int(n) for g, n in zip(groups, flipped.sum(0)) if n}
        return [None if kp is None else
                relabel(kp[None], flipped[t:t + 1], skeleton, groups, None if hands is None else hands[t:t + 1])[0]
                for t, kp in enumerate(span)]

    def _frame_ids(self, frame: list, t: int | None, with_ids: bool | None) -> list[Hashable]:
        """Track ids of a frame's instances: their ``track_id`` or, without ids, their list positions.

        ``with_ids``: whether the call uses ids (None: decided by this frame).
        """
        where = f"results[{t}]" if t is not None else "the frame"
        has = ["track_id" in r for r in frame]
        if with_ids is None:
            with_ids = any(has)
        if not with_ids:
            return list(range(len(frame)))
        if not all(has):
            raise SynspInputError(f"{where} has track_id on some instances only; give every instance one")
        ids = [r["track_id"] for r in frame]
        if len(set(ids)) != len(ids):
            raise SynspInputError(f"{where} has the same track_id on several instances: {ids}")
        return ids

    def _keypoints(self, result: Mapping, t: int | None) -> np.ndarray:
        where = f"an instance of results[{t}]" if t is not None else "an instance"
        if self.key not in result:
            raise SynspInputError(f"{where} has no {self.key!r}; it has {', '.join(map(str, result))}")
        kp = result[self.key]
        kp = kp.detach().cpu().numpy() if is_torch(kp) else np.asarray(kp)
        dim = self.keypoint_dim
        if kp.ndim != 2 or kp.shape[1] < dim or kp.shape[0] == 0:
            raise SynspInputError(
                f"{self.key} of {where} has shape {kp.shape}; expected (K, C) with C >= keypoint_dim = {dim} "
                "(coordinates first, then any further columns such as the score)"
            )
        if kp.dtype.kind not in "fiu" or np.isinf(kp[:, :dim]).any():
            raise SynspInputError(f"{self.key} of {where} must be finite numbers (NaN marks a missing keypoint)")
        return kp

    def _scored(self, result: Mapping, kp: np.ndarray, where: str) -> np.ndarray:
        """``kp`` with MMPose 1.x's ``keypoint_scores`` appended as the column after the coordinates, where
        ``kp`` has no column there and ``result`` has them (synsp's contract reads that column as the
        confidence, and a relabelled keypoint's columns move with it); else ``kp`` itself."""
        if kp.shape[1] > self.keypoint_dim or "keypoint_scores" not in result:
            return kp
        scores = result["keypoint_scores"]
        try:
            scores = scores.detach().cpu().numpy() if is_torch(scores) else np.asarray(scores)
        except ValueError:  # a ragged list
            scores = np.asarray(None)
        if scores.shape != (kp.shape[0],) or scores.dtype.kind not in "fiu":
            raise SynspInputError(f"keypoint_scores of {where} has shape {scores.shape} and dtype {scores.dtype}; "
                                  f"expected {kp.shape[0]} numbers, one score per keypoint")
        return np.concatenate([kp, scores[:, None]], axis=1)

    def _check_count(self, keypoints: list[np.ndarray], K: int, previous: str | None) -> None:
        counts = sorted({kp.shape[0] for kp in keypoints})
        if counts != [K]:
            against = f" ({K} in {previous})" if previous else ""
            raise SynspInputError(
                f"{self.key} arrays have {', '.join(map(str, counts))} keypoints{against}; every instance "
                "must have the same K (reset() before switching models)"
            )

    def _scatter(self, result: Mapping, kp: np.ndarray, smoothed: np.ndarray) -> Any:
        """A deep copy of ``result`` with the smoothed coordinates written into its keypoints.

        An array keeps its dtype, as in MMPose (integer coordinates truncated); a tensor comes back as an
        array of the tensor's dtype (float32 stays float32); nested lists (MMPose 1.x's inferencer results,
        ``[[x, y], ...]``) stay nested lists of floats, so the result can still be written as JSON.  A ``kp``
        with one column more than the result's keypoints carries its ``keypoint_scores`` (:meth:`_scored`):
        they are written back only where a relabelling moved them (an array as an array of its dtype, else
        a list).
        """
        out = copy.deepcopy(result)
        original = result[self.key]
        base = self._keypoints(result, None)
        columns = base.shape[1]
        if isinstance(original, (list, tuple)):
            new = np.array(kp[:, :columns], dtype=np.float64)
        else:
            new = np.array(kp[:, :columns], dtype=base.dtype)
        new[:, : self.keypoint_dim] = smoothed
        out[self.key] = new.tolist() if isinstance(original, (list, tuple)) else new
        if kp.shape[1] > columns:
            given = result["keypoint_scores"]
            given = given.detach().cpu().numpy() if is_torch(given) else given
            scores = kp[:, columns]
            if not np.array_equal(scores, np.asarray(given, dtype=np.float64), equal_nan=True):
                out["keypoint_scores"] = scores.astype(given.dtype) if isinstance(given, np.ndarray) \
                    else scores.tolist()
        return out
