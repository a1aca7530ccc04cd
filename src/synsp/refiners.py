"""The one contract every refiner obeys, and refiners by name.

A refiner is called on poses ``(T, J, D)`` or ``(T, P, J, D)`` with an
optional frame rate and per-joint confidences, and returns the same shape
(:class:`synsp.filters.base.Refiner`).  Classical filters implement it
directly; :class:`NetworkRefiner` wraps a trained window network (SynSP,
SmoothNet, DeciWatch) with everything around it:

1. missing joints (NaN, or confidence below ``min_confidence``) are filled by
   linear interpolation over time and, for models trained with a mask, flagged;
2. a sequence at another frame rate is resampled to the model's rate (linear
   interpolation), refined, and resampled back to the input's frame times;
3. windows of ``W`` frames at stride 1 (a short sequence is edge-padded) are
   normalised per window (:mod:`synsp.normalization`), refined in batches of
   ``batch`` windows, de-normalised and merged by the exact window average
   (SWAA) as they come, so memory stays bounded for any length;
4. persons are refined independently by single-view models; a multi-view model
   refines the P synchronised views of one person together.

:func:`get_refiner` resolves a name: a filter (``"one-euro"``, ``"savgol"``,
..., with parameters ``"one-euro:min_cutoff=1,beta=0.01"``), a model shipped in ``synsp/weights``, a
checkpoint path or a run folder (its ``best`` checkpoint).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .filters import FILTERS, get_filter, parse_filter_spec
from .filters.base import Refiner
from .missing import hold_missing, interpolate_missing, missing_from_confidence
from .models.checkpoint import ModelCard, load_model
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
from .skeletons import SKELETONS as SKELETON_NAMES, get_skeleton
from .validation import SynspInputError, check_fps, check_poses, check_resampled_length, to_numpy
from .windows import WindowAccumulator, window_starts

__all__ = ["Refiner", "NetworkRefiner", "SubsetRefiner", "get_refiner", "fit_refiner", "shipped_models",
           "WEIGHTS_DIR", "resample_time"]

WEIGHTS_DIR = Path(__file__).parent / "weights"
#: a multi-view model's name plus this suffix refines one person with similar poses (synsp.grouping)
SIMILAR_POSES = "+similar-poses"


def resample_time(x: np.ndarray, length: int) -> np.ndarray:
    """Linear interpolation of ``x`` ``(T, ...)`` onto ``length`` frames spanning the same time.

    The first and last frames map onto each other, so a round trip
    ``T -> n -> T`` returns the original frame times exactly (linear motion
    comes back unchanged).  For a rate change choose
    ``length = round((T - 1) * fps_out / fps_in) + 1``; the grid is then
    stretched by less than half a frame so that both ends coincide.
    """
    if x.shape[0] == 1 or length == 1:
        return np.repeat(x[:1], length, axis=0)
    pos = np.linspace(0.0, x.shape[0] - 1, length)  # fractional input frame of each output frame
    lo = np.minimum(np.floor(pos).astype(int), x.shape[0] - 2)
    w = (pos - lo).reshape((-1,) + (1,) * (x.ndim - 1))
    return (1 - w) * x[lo] + w * x[lo + 1]


class NetworkRefiner:
    """A trained window network behind the refiner contract (see the module docstring)."""

    def __init__(self, model: torch.nn.Module, card: ModelCard, batch: int = 1024, device: str = "cpu",
                 min_confidence: float = 0.3, causal: bool | None = None, stride: int = 1):
        self.model = model.eval().to(device)
        self.card = card
        self.name = card.name
        self.window = card.window
        # causal: frame t is the last frame of the window ending at t (zero delay, no window average)
        self.causal = card.causal if causal is None else causal
        if not (isinstance(stride, int) and 1 <= stride <= card.window):
            raise SynspInputError(f"stride is {stride!r}; expected an integer from 1 to the window ({card.window})")
        self.stride = stride  # 1: every window, averaged (SWAA); W: non-overlapping windows
        self.batch = batch
        self.device = device
        self.min_confidence = min_confidence
        self.skeleton = get_skeleton(card.skeleton) if card.skeleton != "any" else None

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, **kw) -> "NetworkRefiner":
        model, card = load_model(path)
        return cls(model, card, **kw)

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None,
                 progress: bool = False, return_filled: bool = False):
        """Refine ``poses``; with ``return_filled`` also return the mask of filled joints."""
        card = self.card
        joints = self.skeleton.num_joints if self.skeleton else None
        dims = getattr(self.model, "accepts_dims", (card.dims,))  # the universal model: 2D and 3D
        x = check_poses(poses, "poses", ndims=(3, 4), dims=dims, joints=joints, allow_nan=True)
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
        resample = abs(fps_in - card.fps) > 0.01 * card.fps and x4.shape[0] > 1
        n_model = check_resampled_length(x4.shape[0], fps_in, card.fps, int(np.prod(x4.shape[1:]))) \
            if resample else x4.shape[0]
        filled, _ = (hold_missing if self.causal else interpolate_missing)(x4, missing)
        work = resample_time(filled, n_model) if resample else filled
        work_missing = (resample_time(missing.astype(float), n_model) > 0.5) if resample else missing
        groups = [work] if card.views > 1 else [work[:, [p]] for p in range(work.shape[1])]
        mgroups = [work_missing] if card.views > 1 else [work_missing[:, [p]] for p in range(work.shape[1])]
        out = np.concatenate([self._refine(g, m, progress) for g, m in zip(groups, mgroups)], axis=1)
        if resample:
            out = resample_time(out, filled.shape[0])
        out = out[:, 0] if single else out
        if return_filled:
            return out, (missing[:, 0] if single else missing)
        return out

    @torch.no_grad()
    def _refine(self, x: np.ndarray, missing: np.ndarray, progress: bool) -> np.ndarray:
        """``x`` ``(T, P, J, D)`` (P = the model's views, or 1) -> refined, same shape."""
        from tqdm.auto import tqdm

        card = self.card
        T, P, J, D = x.shape
        W = card.window
        if self.causal:  # window t ends at frame t: pad the start with the first frame
            x = np.concatenate([np.repeat(x[:1], W - 1, axis=0), x])
            missing = np.concatenate([np.repeat(missing[:1], W - 1, axis=0), missing])
        elif T < W:  # one window, edge-padded; the padded frames are dropped again
            x = np.concatenate([x, np.repeat(x[-1:], W - T, axis=0)])
            missing = np.concatenate([missing, np.repeat(missing[-1:], W - T, axis=0)])
        starts = np.arange(T) if self.causal else window_starts(x.shape[0], W, self.stride)
        acc = None if self.causal else WindowAccumulator(x.shape[0], (P, J, D))
        last_frames = np.empty((T, P, J, D)) if self.causal else None
        offsets = np.arange(W)
        chunks = range(0, len(starts), self.batch)
        for a in tqdm(chunks, desc=f"refining with {card.name}", unit="batch",
                      disable=not progress or len(chunks) < 2):
            s = starts[a:a + self.batch]
            idx = s[:, None] + offsets[None, :]  # (n, W)
            refined = self.refine_windows(np.moveaxis(x[idx], 2, 1), np.moveaxis(missing[idx], 2, 1))
            if self.causal:
                last_frames[s] = refined[:, :, -1]
            else:
                acc.add(np.moveaxis(refined, 1, 2), s)
        return last_frames if self.causal else acc.result()[:T]

    @torch.no_grad()
    def refine_windows(self, windows: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """Raw windows ``(n, P, W, J, D)`` and missing flags ``(n, P, W, J)`` -> refined windows.

        Normalises each window, runs the network (the card's output) and undoes
        the normalisation; no window averaging.
        """
        card = self.card
        rotations = card.normalization == ROTATIONS_6D
        if rotations:  # 6D joint rotations (synsp.rotations.RotationNetwork): (n, P, W, J*6)
            inp, root = normalize_rotation_windows(windows)
        else:
            roots = root_joints_of(card.normalization, card.root_joints, windows.shape[-2])
            inp, stats = normalize_windows(windows, roots,  # (n, P, W, (J+1)*D)
                                           shared_views=card.normalization == SHARED_VIEWS)
        mask = None
        if card.mask:
            flags = missing.astype(np.float64) if rotations else window_mask(missing, roots)
            mask = torch.as_tensor(flags, dtype=torch.float32, device=self.device)
        y = self.run_windows(torch.as_tensor(inp, dtype=torch.float32, device=self.device), mask,
                             dims=windows.shape[-1]).cpu().numpy()
        if rotations:
            return denormalize_rotation_windows(y, root)
        return denormalize_windows(y, stats, windows.shape[-1])

    def run_windows(self, inp: torch.Tensor, mask: torch.Tensor | None, dims: int | None = None) -> torch.Tensor:
        """Normalised windows ``(n, P, W, C)`` (+ mask) -> the card's output, same shape.  ``dims``: the
        poses' D, told to a model that takes several (the universal model)."""
        if self.card.views == 1:
            inp = inp[:, 0]
            mask = mask[:, 0] if mask is not None else None
        kw = {"dims": dims} if dims is not None and hasattr(self.model, "accepts_dims") else {}
        out = self.model(inp, mask=mask, **kw) if self.card.mask else self.model(inp, **kw)
        if isinstance(out, tuple):
            out = getattr(out, self.card.output)
        return out if self.card.views > 1 else out[:, None]


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


def anchor_positions(body: np.ndarray, anchor: list[int], mean=np.mean) -> np.ndarray:
    """Where the extra joints hang: ``body`` ``(..., Jm, D)`` (the subset's joints) -> ``(..., E, D)``,
    ``body[..., a, :]`` for each anchor ``a``, ``mean`` of the body joints for ``a = -1``."""
    centre = mean(body, axis=-2)
    return np.stack([centre if a < 0 else body[..., a, :] for a in anchor], axis=-2)


class SubsetRefiner:
    """A network for skeleton ``B`` run on a larger skeleton ``A`` that contains ``B``'s joints.

    The joints ``A`` shares with ``B`` are refined by the network.  Each other
    joint (MediaPipe's heels and finger tips, WholeBody's face and hands, ...)
    follows its nearest ancestor among the refined joints, with its offset from
    that ancestor low-pass filtered (zero-phase Butterworth offline, One-Euro for
    a causal network): ``extra = refined_anchor + smooth(raw_extra - raw_anchor)``.
    Joints with no refined ancestor use the mean of the refined joints as anchor.
    A missing anchor (NaN, or a score below ``min_confidence``: OpenPose writes
    ``(0, 0)`` with score 0 for a joint it did not find) is never measured from:
    ``raw_anchor`` is filled over time from the frames where it was seen, like the
    network's input.  A missing extra joint's offset is filled over time; an extra
    joint missing in every frame is left as it was (and not counted as filled).
    """

    def __init__(self, network: "NetworkRefiner", skeleton: str):
        idx = subset_indices(skeleton, network.card.skeleton)
        if idx is None:
            raise SynspInputError(f"skeleton {skeleton!r} does not contain every joint of "
                                  f"{network.card.skeleton!r}; {network.name} cannot refine it")
        self.network, self.subset = network, idx
        self.name, self.window, self.min_confidence = network.name, network.window, network.min_confidence
        self.causal = network.causal
        self.num_joints = get_skeleton(skeleton).num_joints
        self.extra, self.anchor = extra_joint_anchors(skeleton, idx)
        self.offset_filter = get_filter("one-euro" if self.causal else "butterworth")

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
            raw_body, _ = (hold_missing if self.causal else interpolate_missing)(
                x[..., self.subset, :], missing[..., self.subset])
            extra_missing = missing[..., self.extra]
            never = extra_missing.all(axis=0)  # an extra joint never seen: left as it was
            offsets = x[..., self.extra, :] - anchor_positions(raw_body, self.anchor)
            offsets[extra_missing] = np.nan  # missing extra joints: their offset is filled over time
            offsets[:, never] = 0.0
            rate = self.network.card.fps if fps is None else fps
            out[..., self.extra, :] = anchor_positions(body, self.anchor) + self.offset_filter(offsets, fps=rate)
            if never.any():
                kept = out[..., self.extra, :]
                kept[:, never] = x[..., self.extra, :][:, never]
                out[..., self.extra, :] = kept
                extra_filled = filled[..., self.extra]
                extra_filled[:, never] = False
                filled[..., self.extra] = extra_filled
        return (out, filled) if return_filled else out


def fit_refiner(refiner: Refiner, num_joints: int, skeleton: str | None = None) -> Refiner:
    """``refiner``, wrapped in a :class:`SubsetRefiner` when it is a network for fewer joints than the
    data has and the data's skeleton (``skeleton``, or the one registered for ``num_joints``) contains them."""
    if not isinstance(refiner, NetworkRefiner) or refiner.skeleton is None:
        return refiner
    if refiner.skeleton.num_joints == num_joints and (skeleton is None or skeleton == refiner.card.skeleton):
        return refiner
    from .skeletons import skeleton_for

    for name in [skeleton] if skeleton else skeleton_for(num_joints):
        if name in SKELETON_NAMES and subset_indices(name, refiner.card.skeleton) is not None:
            return SubsetRefiner(refiner, name)
    return refiner  # the network's own check names the mismatch


def shipped_models() -> dict[str, Path]:
    """Models shipped in the package: name -> checkpoint stem."""
    if not WEIGHTS_DIR.is_dir():
        return {}
    return {p.stem: p.with_suffix("") for p in sorted(WEIGHTS_DIR.glob("*.json"))}


def get_refiner(name: str | os.PathLike, **kw) -> Refiner:
    """A filter name (optionally with parameters, ``"one-euro:min_cutoff=1,beta=0.01"``), a shipped model
    name, a checkpoint path or a run folder of ``synsp train`` (its ``best`` checkpoint); a multi-view model's name or path plus
    ``+similar-poses`` (``synsp-h36m17-3d-w8-p4+similar-poses``) gives its
    :class:`synsp.grouping.SimilarPoseRefiner` with the shipped pose bank."""
    key = str(name)
    if key in FILTERS:
        return get_filter(key, **kw)
    tuned = parse_filter_spec(key)  # "one-euro:min_cutoff=1,beta=0.01": a filter with its parameters
    if tuned is not None:
        if kw:
            raise SynspInputError(f"{key}: give the filter's parameters in the name or as arguments, not both")
        return tuned
    if key.endswith(SIMILAR_POSES):  # "<multi-view model>+similar-poses": synsp.grouping
        from .grouping import similar_pose_refiner

        return similar_pose_refiner(key[: -len(SIMILAR_POSES)], **kw)
    models = shipped_models()
    if key in models:
        return _as_refiner(NetworkRefiner.from_checkpoint(models[key], **kw))
    path = Path(key)
    if path.is_dir() and (path / "best.json").is_file():  # a run folder of `synsp train`: its best checkpoint
        return _as_refiner(NetworkRefiner.from_checkpoint(path / "best", **kw))
    if path.name.lower().endswith((".pth", ".pt", ".pth.tar", ".tar", ".pkl", ".ckpt")):
        raise SynspInputError(
            f"{key}: a pickled PyTorch checkpoint; synsp never unpickles model files (unpickling runs code). "
            "Official SynSP checkpoints convert with synsp.models.official.load_official_checkpoint(path, "
            "trust_pickle=True) and synsp.models.checkpoint.save_model, once, from a source you trust")
    if path.with_suffix(".json").is_file() or path.is_file():
        return _as_refiner(NetworkRefiner.from_checkpoint(path, **kw))
    raise SynspInputError(
        f"unknown refiner {key!r}: not a filter ({', '.join(sorted(FILTERS))}, optionally with parameters: "
        f"one-euro:min_cutoff=1,beta=0.01), not a shipped model ({', '.join(models) or 'none shipped yet'}), "
        "not a checkpoint file and not a run folder with best.json"
    )


def _as_refiner(network: NetworkRefiner) -> Refiner:
    """A rotation model (6D inside) behind the axis-angle contract, any other network as it is."""
    if network.card.normalization == ROTATIONS_6D:
        from .rotations import RotationNetwork

        return RotationNetwork(network)
    return network
