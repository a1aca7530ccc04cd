"""A drop-in for MMPose 0.x's ``mmpose.core.post_processing.smoother.Smoother``.

MMPose 1.x dropped the ``Smoother``; this class keeps its interface and runs
synsp underneath::

    from synsp.adapters.mmpose import Smoother      # was: from mmpose.core import Smoother
    smoother = Smoother(dict(type='OneEuroFilter', min_cutoff=0.004, beta=0.7), keypoint_dim=2)
    for frame in pose_results:                      # online: one frame's list[dict] per call
        frame = smoother.smooth(frame)
    smoothed = Smoother('synsp', keypoint_dim=3).smooth(all_frames)   # offline: list[list[dict]]

Interface mirrored (MMPose 0.x, last version):

* ``Smoother(filter_cfg, keypoint_dim=2, keypoint_key='keypoints')``;
  ``filter_cfg`` is a filter config dict (``type`` = ``OneEuroFilter`` /
  ``oneeuro``, ``SavizkyGolayFilter`` / ``savgol``, ``GaussianFilter`` /
  ``gaussian``, ``SmoothNetFilter`` / ``SmoothNet`` / ``Smoothnet`` /
  ``smoothnet``, with MMPose's arguments) or the path of a Python config file
  defining ``filter_cfg`` (run as plain Python; no ``_base_`` inheritance).
* ``smooth(results)``: ``results`` is one frame's ``list[dict]`` (online) or a
  ``list[list[dict]]`` over frames (offline).  Each dict holds ``keypoints``
  ``(K, C)`` (the first ``keypoint_dim`` columns are coordinates, any score
  column after them is returned untouched) and an optional ``track_id``.  The
  result has the input's structure; every dict is a deep copy with smoothed
  keypoints, and the input is not modified.

synsp additions: ``filter_cfg`` may also be ``"synsp"`` (the default: the
shipped network for the keypoint count and ``keypoint_dim``, see below), a
synsp filter or model name (``"one-euro"``, ``"kalman"``,
``"smoothnet-h36m17-3d-w8"``, ...), a checkpoint path or a refiner object;
``frame_rate`` is passed to filters whose parameters are in Hz and to networks
(which resample to their training rate offline); ``max_lost_frames`` and
:meth:`Smoother.reset` control online track state.

The MMPose configs map onto synsp filters with the same definition:
``OneEuroFilter`` -> ``one-euro-mmpose`` (``min_cutoff``, ``beta``; frame time
unit, ``d_cutoff`` 1), ``SavizkyGolayFilter`` -> ``savgol-mmpose``
(``window_size``, ``polyorder``; short tracks padded at the start with their
first frame), ``GaussianFilter`` -> ``gaussian-mmpose`` (``window_size``,
``sigma``: running median, then Gaussian), ``SmoothNetFilter`` -> the shipped
SmoothNet with the same ``window_size``.  MMPose's SmoothNet checkpoints cannot
be loaded: ``output_size``, ``checkpoint``, ``hidden_size``,
``res_hidden_size``, ``num_blocks``, ``device`` and ``root_index`` are
accepted and ignored, and a ``window_size`` with no shipped SmoothNet raises
:class:`SynspInputError` listing the shipped ones.

Offline (``list[list[dict]]``): every track is refined over the frames from
its first to its last appearance, exactly as ``synsp.refine(track, model,
fps=frame_rate)`` on its ``(T, K, keypoint_dim)`` array; frames where it is
absent inside that span are filled by linear interpolation (and not returned).
Unlike MMPose, tracks may come and go between frames.  An offline call neither
reads nor changes the online state.

Online (one frame per call), per track, with no delay:

* One-Euro filters advance one step per frame, so every returned frame equals
  the filter run offline over the track up to that frame.
* Kalman filters (unbounded memory) are re-run on the track's last
  :data:`KALMAN_HISTORY` frames; the presets forget their start well within
  that (the causal ``kalman`` output then equals the offline filter to
  rounding error).
* Other filters follow MMPose 0.x: the filter runs on the track's last
  ``window`` frames (fewer at a track's start) and the last frame is kept.
* Networks run as a zero-delay :class:`synsp.Stream` (``causal=True``): each
  frame is the last frame of the refined window of the last ``W`` frames (the
  track's first frame repeated before its start).  A model trained for that
  (``synsp-h36m17-3d-w8-causal``) does it best; ``"synsp"`` picks a causal
  shipped model online when one fits, otherwise the offline default, whose
  window-end frames are less accurate than its offline output.  A network
  cannot resample online, so ``frame_rate`` must then be the model's rate.

A track absent from a frame keeps its state for ``max_lost_frames`` frames and
resumes where it stopped; after that it is forgotten and its id, like any new
id, starts afresh.  NaN keypoints hold their last value online (networks flag
them as missing); a keypoint NaN on a track's first frame raises for filters.

Without ``track_id`` a frame may hold one instance, which is track 0; several
instances without ids raise :class:`SynspInputError` (MMPose would pair them
by list position, which mixes people up as soon as one leaves).  Networks
refine the skeleton and dimension they were trained for (``synsp models``
lists them): ``"synsp"`` for keypoints no shipped model fits raises
:class:`SynspInputError`, as ``synsp.refine`` does, and a named network given
other keypoints raises naming the model and both shapes.
"""

from __future__ import annotations

import copy
import json
import os
import runpy
from collections import deque
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from ..api import default_model
from ..filters import KalmanFilter, OneEuroFilter, get_filter
from ..filters.base import Refiner, check_positive, resolve_fps
from ..filters.one_euro import smoothing_factor
from ..refiners import NetworkRefiner, get_refiner, shipped_models
from ..skeletons import skeleton_for
from ..stream import Stream
from ..validation import SynspInputError

__all__ = ["KALMAN_HISTORY", "Smoother"]

KALMAN_HISTORY = 150
"""Frames a Kalman filter is re-run on per online frame (5 s at 30 fps)."""

# MMPose 0.x filter registry names (aliases included) -> (synsp preset, MMPose argument -> synsp parameter)
_ONE_EURO = ("one-euro-mmpose", {"min_cutoff": "min_cutoff", "beta": "beta"})
_SAVGOL = ("savgol-mmpose", {"window_size": "window", "polyorder": "polyorder"})
_GAUSSIAN = ("gaussian-mmpose", {"window_size": "window", "sigma": "sigma"})
MMPOSE_FILTERS = {
    "OneEuroFilter": _ONE_EURO, "oneeuro": _ONE_EURO,
    "SavizkyGolayFilter": _SAVGOL, "savgol": _SAVGOL,
    "GaussianFilter": _GAUSSIAN, "gaussian": _GAUSSIAN,
}
MMPOSE_SMOOTHNET = ("SmoothNetFilter", "SmoothNet", "Smoothnet", "smoothnet")
# SmoothNetFilter arguments with no synsp counterpart: the shipped network brings its own
_SMOOTHNET_IGNORED = ("output_size", "checkpoint", "hidden_size", "res_hidden_size", "num_blocks",
                      "device", "root_index")


def shipped_cards() -> dict[str, dict[str, Any]]:
    """The model cards (JSON) of the shipped models, by name."""
    return {name: json.loads(stem.with_suffix(".json").read_text()) for name, stem in shipped_models().items()}


def describe_shipped() -> str:
    """One line per shipped model: name, skeleton, dims, window."""
    return "; ".join(f"{name} ({c['skeleton']}, {c['dims']}D, window {c['window']})"
                     for name, c in shipped_cards().items()) or "none"


def shipped_smoothnet(window_size: Any) -> str:
    """The shipped SmoothNet whose window is ``window_size`` frames."""
    nets = {name: c["window"] for name, c in shipped_cards().items() if c["architecture"] == "smoothnet"}
    for name, window in nets.items():
        if window == window_size:
            return name
    shipped = ", ".join(f"{name} (window_size {w})" for name, w in nets.items()) or "none"
    raise SynspInputError(
        f"no shipped SmoothNet has window_size={window_size!r}; shipped: {shipped}.  MMPose/MMHuman3D "
        f"SmoothNet checkpoints cannot be loaded; train one with `synsp train --architecture smoothnet "
        f"--window {window_size}`"
    )


def refiner_from_config(cfg: Mapping, filters: Mapping[str, tuple[str, dict[str, str]]],
                        smoothnet_types: tuple[str, ...], what: str) -> Refiner:
    """The synsp refiner for an OpenMMLab filter config ``{'type': ..., **arguments}``.

    ``filters`` maps a config type to a synsp filter preset and the config's
    argument names to the preset's parameter names; ``smoothnet_types`` name
    SmoothNet, mapped to the shipped SmoothNet with the config's
    ``window_size``.  ``what`` names the config in error messages.
    """
    args = dict(cfg)
    kind = args.pop("type", None)
    if kind in smoothnet_types:
        unknown = sorted(set(args) - {"window_size", *_SMOOTHNET_IGNORED})
        if unknown or "window_size" not in args:
            raise SynspInputError(
                f"{what} type {kind!r} takes window_size (required) and the ignored "
                f"{', '.join(_SMOOTHNET_IGNORED)}; got {', '.join(sorted(args)) or 'nothing'}"
            )
        return get_refiner(shipped_smoothnet(args["window_size"]))
    if kind not in filters:
        raise SynspInputError(
            f"{what} type is {kind!r}; expected one of {', '.join([*filters, *smoothnet_types])}"
        )
    preset, names = filters[kind]
    unknown = sorted(set(args) - set(names))
    if unknown:
        raise SynspInputError(
            f"{what} type {kind!r} has no argument {', '.join(unknown)}; expected some of {', '.join(names)}"
        )
    return get_filter(preset, **{names[k]: v for k, v in args.items()})


def load_config(path: str | os.PathLike, key: str) -> dict[str, Any]:
    """The dict ``key`` of an OpenMMLab Python config file, run as plain Python (no ``_base_``)."""
    if not os.path.isfile(path):
        raise SynspInputError(f"config file {os.fspath(path)!r} does not exist")
    namespace = runpy.run_path(os.fspath(path))
    if not isinstance(namespace.get(key), Mapping):
        raise SynspInputError(f"config file {os.fspath(path)!r} defines no dict {key!r}")
    return dict(namespace[key])


def _hold(last: np.ndarray | None, x: np.ndarray, track_id: Hashable) -> np.ndarray:
    """``x`` with NaN entries replaced by ``last`` (the track's previous filled frame)."""
    missing = np.isnan(x)
    if not missing.any():
        return x
    if last is None:
        joints = sorted({int(j) for j in np.nonzero(missing)[0]})
        raise SynspInputError(
            f"track {track_id!r}: keypoints {joints} are NaN in its first frame; an online filter holds "
            "a missing keypoint at its last value and has none yet, so fill or drop them"
        )
    return np.where(missing, last, x)


class _OneEuroTracks:
    """The recursion of :class:`~synsp.filters.OneEuroFilter`, one step per frame and track."""

    def __init__(self, f: OneEuroFilter, fps: float | None):
        self.f = f
        self.t_e = 1.0 if f.time_unit == "frame" else 1.0 / resolve_fps(fps)
        self.alpha_d = smoothing_factor(f.d_cutoff, self.t_e)
        self.state: dict[Hashable, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # input, x_hat, dx_hat

    def push(self, track_id: Hashable, x: np.ndarray) -> np.ndarray:
        if track_id not in self.state:  # the first frame passes through
            x = _hold(None, x, track_id)
            self.state[track_id] = (x, x, np.zeros_like(x))
            return x
        last, x_hat, dx_hat = self.state[track_id]
        x = _hold(last, x, track_id)
        dx_hat = self.alpha_d * (x - x_hat) / self.t_e + (1.0 - self.alpha_d) * dx_hat
        alpha = smoothing_factor(self.f.min_cutoff + self.f.beta * np.abs(dx_hat), self.t_e)
        x_hat = x_hat + alpha * (x - x_hat)
        self.state[track_id] = (x, x_hat, dx_hat)
        return x_hat

    def drop(self, track_id: Hashable) -> None:
        self.state.pop(track_id, None)


class _RecentTracks:
    """A filter re-run on each track's last ``history + 1`` frames; the last frame is kept."""

    def __init__(self, f: Refiner, history: int, fps: float | None):
        self.f = f
        self.fps = fps
        self.size = history + 1
        self.frames: dict[Hashable, deque] = {}

    def push(self, track_id: Hashable, x: np.ndarray) -> np.ndarray:
        frames = self.frames.get(track_id)
        x = _hold(frames[-1] if frames else None, x, track_id)
        if frames is None:
            frames = self.frames[track_id] = deque(maxlen=self.size)
        frames.append(x)
        return self.f(np.stack(frames), fps=self.fps)[-1]

    def drop(self, track_id: Hashable) -> None:
        self.frames.pop(track_id, None)


class _StreamTracks:
    """A zero-delay :class:`synsp.Stream`: the last frame of the refined window ending at each frame."""

    def __init__(self, refiner: NetworkRefiner):
        self.stream = Stream(refiner, causal=True)

    def push(self, track_id: Hashable, x: np.ndarray) -> np.ndarray:
        out = self.stream.push(x, track_id=track_id)
        return out[0] if out else x  # frames before a track's first detection pass through

    def drop(self, track_id: Hashable) -> None:
        if track_id in self.stream.tracks:
            self.stream.flush(track_id)


class Smoother:
    """MMPose 0.x's ``Smoother`` on synsp filters and networks (see the module docstring).

    Args:
        filter_cfg: ``"synsp"``, a synsp filter/model name or checkpoint path,
            an MMPose filter config dict, the path of an MMPose ``.py`` config
            file defining ``filter_cfg``, or a synsp refiner object.
        keypoint_dim: coordinates per keypoint (C); a ``keypoints`` array may
            have one more column (the score), returned untouched.
        keypoint_key: the key of the keypoints in each result dict.
        frame_rate: frames per second of the results (None: 30 for filters in
            Hz, the model's rate for networks).
        max_lost_frames: frames an absent track keeps its online state.
    """

    def __init__(self, filter_cfg: Any = "synsp", keypoint_dim: int = 2, keypoint_key: str = "keypoints",
                 frame_rate: float | None = None, max_lost_frames: int = 30):
        check_positive(keypoint_dim, "keypoint_dim", integer=True)
        check_positive(max_lost_frames, "max_lost_frames", integer=True, allow_zero=True)
        if frame_rate is not None:
            resolve_fps(frame_rate)
        self.filter_cfg = filter_cfg
        self.keypoint_dim = int(keypoint_dim)
        self.key = keypoint_key
        self.frame_rate = frame_rate
        self.max_lost_frames = int(max_lost_frames)
        if isinstance(filter_cfg, (str, os.PathLike)) and os.fspath(filter_cfg).endswith(".py"):
            filter_cfg = load_config(filter_cfg, "filter_cfg")
        if isinstance(filter_cfg, Mapping):
            self._refiner = refiner_from_config(filter_cfg, MMPOSE_FILTERS, MMPOSE_SMOOTHNET, "filter_cfg")
        elif isinstance(filter_cfg, Refiner):
            self._refiner = filter_cfg
        elif filter_cfg == "synsp":
            self._refiner = None  # chosen per keypoint count on first use
        else:
            self._refiner = get_refiner(filter_cfg)
        if isinstance(self._refiner, NetworkRefiner):
            self._check_network(self._refiner, None)
        self._synsp: dict[tuple[int, bool], Refiner] = {}
        self.reset()

    def reset(self) -> None:
        """Forget every track's online state (as after construction)."""
        self._online: _OneEuroTracks | _RecentTracks | _StreamTracks | None = None
        self._num_keypoints: int | None = None
        self._lost: dict[Hashable, int] = {}

    def smooth(self, results: list) -> list:
        """Smooth one frame's ``list[dict]`` (online) or a ``list[list[dict]]`` of frames (offline).

        Returns the input's structure with deep-copied dicts whose keypoint
        coordinates are smoothed.  An empty list is an empty online frame.
        """
        if not isinstance(results, (list, tuple)):
            raise SynspInputError(
                f"results is a {type(results).__name__}; expected one frame's list[dict] (online) or a "
                "list of frames, list[list[dict]] (offline)"
            )
        if all(isinstance(r, Mapping) for r in results):
            return self._smooth_frame(results)
        if all(isinstance(r, (list, tuple)) for r in results):
            return self._smooth_sequence(results)
        raise SynspInputError(
            "results mixes dicts and lists; expected one frame's list[dict] (online) or a list of frames, "
            "list[list[dict]] (offline)"
        )

    # ---- online -------------------------------------------------------------------------------

    def _smooth_frame(self, frame: list) -> list:
        ids = self._track_ids(frame, None)
        keypoints = [self._keypoints(r, None) for r in frame]
        if keypoints:
            K = self._num_keypoints if self._num_keypoints is not None else keypoints[0].shape[0]
            self._check_count(keypoints, K, "earlier frames" if self._num_keypoints is not None else None)
            self._num_keypoints = K
            if self._online is None:
                self._online = self._online_engine(self._refiner_for(K, online=True))
        out = []
        for track_id, result, kp in zip(ids, frame, keypoints):
            self._lost[track_id] = 0
            smoothed = self._online.push(track_id, kp[:, : self.keypoint_dim].astype(np.float64))
            out.append(self._scatter(result, kp, smoothed))
        seen = set(ids)
        for track_id in [t for t in self._lost if t not in seen]:
            self._lost[track_id] += 1
            if self._lost[track_id] > self.max_lost_frames:
                del self._lost[track_id]
                self._online.drop(track_id)
        return out

    def _online_engine(self, refiner: Refiner):
        if isinstance(refiner, NetworkRefiner):
            fps = refiner.card.fps
            if self.frame_rate is not None and abs(float(self.frame_rate) - fps) > 0.01 * fps:
                raise SynspInputError(
                    f"frame_rate is {self.frame_rate}, but {refiner.name!r} runs online at its training rate "
                    f"{fps:g} fps and cannot resample a stream; smooth offline (a list of frames) or use a filter"
                )
            return _StreamTracks(refiner)
        if isinstance(refiner, OneEuroFilter):
            return _OneEuroTracks(refiner, self.frame_rate)
        history = KALMAN_HISTORY if isinstance(refiner, KalmanFilter) else refiner.window - 1
        return _RecentTracks(refiner, history, self.frame_rate)

    # ---- offline ------------------------------------------------------------------------------

    def _smooth_sequence(self, frames: list) -> list:
        tracks: dict[Hashable, list[tuple[int, int, np.ndarray]]] = {}
        for t, frame in enumerate(frames):
            if not all(isinstance(r, Mapping) for r in frame):
                raise SynspInputError(f"results[{t}] is not a list of dicts (one per instance)")
            for i, (track_id, result) in enumerate(zip(self._track_ids(frame, t), frame)):
                tracks.setdefault(track_id, []).append((t, i, self._keypoints(result, t)))
        out: list[list] = [[None] * len(frame) for frame in frames]
        if not tracks:
            return out
        items = [item for track in tracks.values() for item in track]
        K = items[0][2].shape[0]
        self._check_count([kp for _, _, kp in items], K, None)
        refiner = self._refiner_for(K, online=False)
        for track in tracks.values():
            start = track[0][0]
            poses = np.full((track[-1][0] - start + 1, K, self.keypoint_dim), np.nan)
            for t, _, kp in track:
                poses[t - start] = kp[:, : self.keypoint_dim]
            smoothed = refiner(poses, fps=self.frame_rate)
            for t, i, kp in track:
                out[t][i] = self._scatter(frames[t][i], kp, smoothed[t - start])
        return out

    # ---- shared -------------------------------------------------------------------------------

    def _refiner_for(self, num_keypoints: int, online: bool) -> Refiner:
        refiner = self._refiner
        if refiner is None:
            key = (num_keypoints, online)
            if key not in self._synsp:
                self._synsp[key] = get_refiner(self._synsp_model(num_keypoints, online))
            refiner = self._synsp[key]
        if isinstance(refiner, NetworkRefiner):
            self._check_network(refiner, num_keypoints)
        return refiner

    def _synsp_model(self, num_keypoints: int, online: bool) -> str:
        """``"synsp"``: a causal shipped model online when one fits, else the offline default."""
        if online:
            skeletons = skeleton_for(num_keypoints)
            causal = sorted(name for name, c in shipped_cards().items()
                            if c.get("causal") and c["skeleton"] in skeletons and c["dims"] == self.keypoint_dim
                            and c["views"] == 1)
            if causal:
                return causal[0]
        try:
            return default_model(num_keypoints, self.keypoint_dim)
        except SynspInputError as err:
            raise SynspInputError(
                f"filter_cfg='synsp' needs a shipped network for {num_keypoints} keypoints in "
                f"{self.keypoint_dim}D and none is shipped (shipped: {describe_shipped()}); pass a filter, "
                "e.g. filter_cfg=dict(type='OneEuroFilter') or 'one-euro-mmpose'"
            ) from err

    def _check_network(self, refiner: NetworkRefiner, num_keypoints: int | None) -> None:
        card = refiner.card
        joints = refiner.skeleton.num_joints if refiner.skeleton else None
        joints_ok = num_keypoints is None or joints is None or joints == num_keypoints
        if card.dims != self.keypoint_dim or card.views != 1 or not joints_ok:
            found = f"{num_keypoints} keypoints with " if num_keypoints is not None else ""
            raise SynspInputError(
                f"model {card.name!r} refines {joints or 'any number of'} joints ({card.skeleton}) in "
                f"{card.dims}D, {card.views} view(s); the results have {found}keypoint_dim = "
                f"{self.keypoint_dim}, one view per track"
            )

    def _track_ids(self, frame: list, t: int | None) -> list[Hashable]:
        where = f"results[{t}]" if t is not None else "the frame"
        with_id = ["track_id" in r for r in frame]
        if all(with_id):
            ids = [r["track_id"] for r in frame]
            if len(set(ids)) != len(ids):
                raise SynspInputError(f"{where} has the same track_id on several instances: {ids}")
            return ids
        if any(with_id):
            raise SynspInputError(f"{where} has track_id on some instances only; give every instance one")
        if len(frame) > 1:
            raise SynspInputError(
                f"{where} has {len(frame)} instances and no track_id; track the instances (MMPose's "
                "tracking demos add 'track_id') or smooth one instance at a time"
            )
        return [0] * len(frame)

    def _keypoints(self, result: Mapping, t: int | None) -> np.ndarray:
        where = f"an instance of results[{t}]" if t is not None else "an instance"
        if self.key not in result:
            raise SynspInputError(f"{where} has no {self.key!r}; it has {', '.join(map(str, result))}")
        kp = np.asarray(result[self.key])
        dim = self.keypoint_dim
        if kp.ndim != 2 or kp.shape[1] not in (dim, dim + 1) or kp.shape[0] == 0:
            raise SynspInputError(
                f"{self.key} of {where} has shape {kp.shape}; expected (K, {dim}) or (K, {dim + 1}) "
                f"(coordinates, then an optional score column) for keypoint_dim={dim}"
            )
        if not np.issubdtype(kp.dtype, np.number) or np.isinf(kp[:, :dim]).any():
            raise SynspInputError(f"{self.key} of {where} must be finite numbers (NaN marks a missing keypoint)")
        return kp

    def _check_count(self, keypoints: list[np.ndarray], K: int, previous: str | None) -> None:
        counts = sorted({kp.shape[0] for kp in keypoints})
        if counts != [K]:
            against = f" ({K} in {previous})" if previous else ""
            raise SynspInputError(
                f"{self.key} arrays have {', '.join(map(str, counts))} keypoints{against}; every instance "
                "must have the same K (reset() before switching models)"
            )

    def _scatter(self, result: Mapping, kp: np.ndarray, smoothed: np.ndarray) -> Any:
        out = copy.deepcopy(result)
        new = kp.astype(np.promote_types(kp.dtype, np.float32))
        new[:, : self.keypoint_dim] = smoothed
        out[self.key] = new
        return out
