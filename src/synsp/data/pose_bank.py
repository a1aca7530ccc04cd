"""Similar poses (seed supplementary 2.7): a searchable bank of training windows, and each window's
most similar bank windows as its companion views.

SynSP refines ``P`` pose sequences at once and lets every view attend to the
others; without P cameras of one motion (:func:`synsp.data.cameras.multi_view`)
the other views can be each window's nearest neighbours in a :class:`PoseBank`
of training windows, moved onto it (:func:`align_to`).  The one selection of
such companions is :meth:`PoseBank.companions`: the training data
(:class:`synsp.data.dataset.WindowDataset`, ``mode="similar"``), the refiner
(:class:`synsp.grouping.SimilarPoseRefiner`) and :func:`similar_pose_groups`
use it.  :func:`draw_windows` draws a bank's windows from clips.

Windows are compared by :func:`pose_descriptor`: root-relative per frame,
rotated into the window's mean torso frame (3D; so the facing direction and
any camera rotation do not count), divided by the window's RMS joint distance
from the root (so body size and camera distance do not count), flattened.
:class:`PoseBank` searches it exactly (mirror images included), with a PCA prefilter and matrix
products in chunks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..skeletons import Skeleton, get_skeleton
from ..validation import SynspInputError, check_poses, to_numpy

__all__ = ["pose_descriptor", "PoseBank", "window_scale", "draw_windows", "clip_arrays", "align_to",
           "similar_pose_groups"]

PCA_DIMS = 32
"""Dimensions of the PCA code that preselects candidates in :meth:`PoseBank.nearest`."""

_BANK_VERSION = 1


def _torso(sk: Skeleton) -> tuple[list[int], list[int], list[int], list[int]] | None:
    names = ("left_hip", "left_shoulder", "right_hip", "right_shoulder")
    if not all(n in sk.joints for n in names):
        return None
    lh, ls, rh, rs = (sk.index(n) for n in names)
    return [lh, ls], [rh, rs], [lh, rh], [ls, rs]


def _torso_frames(x: np.ndarray, sk: Skeleton) -> np.ndarray | None:
    """Rows (lateral, up, forward) of each window's mean torso frame, ``(N, 3, 3)``.

    ``x`` ``(N, W, J, 3)`` root-relative.  Up: shoulders' midpoint minus
    hips' midpoint; lateral: left minus right (hips and shoulders),
    orthogonalised; forward completes a right-handed frame.
    """
    torso = _torso(sk)
    if torso is None:
        return None
    left, right, hips, shoulders = torso
    lateral = (x[:, :, left].mean(2) - x[:, :, right].mean(2)).mean(1)  # (N, 3)
    up = (x[:, :, shoulders].mean(2) - x[:, :, hips].mean(2)).mean(1)
    up = up / np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-12)
    lateral = lateral - (lateral * up).sum(-1, keepdims=True) * up
    lateral = lateral / np.maximum(np.linalg.norm(lateral, axis=-1, keepdims=True), 1e-12)
    return np.stack([lateral, up, np.cross(lateral, up)], axis=1)


def pose_descriptor(windows: Any, skeleton: Any = "h36m17") -> np.ndarray:
    """Normalised, flattened windows: ``(N, W, J, D) -> (N, W*J*D)`` float32.

    Per frame root-relative; in 3D rotated into the window's mean torso frame
    (when the skeleton names both hips and shoulders); divided by the window's
    RMS joint distance from the root.  A window and any rotated, translated or
    scaled copy of it have the same descriptor.
    """
    sk = get_skeleton(skeleton)
    x = to_numpy(windows)
    if x.ndim != 4 or x.shape[-1] not in (2, 3) or x.shape[2] != sk.num_joints:
        raise SynspInputError(
            f"windows has shape {x.shape}; expected (N, W, J, D) with J = {sk.num_joints} "
            f"({sk.name}) and D = 2 or 3"
        )
    x = x - sk.root_position(x)[..., None, :]
    rms = _root_rms(x)
    if x.shape[-1] == 3:
        frames = _torso_frames(x, sk)
        if frames is not None:
            x = np.einsum("nij,nwkj->nwki", frames, x)
    x = x / np.maximum(rms, 1e-12)[:, None, None, None]
    return x.reshape(x.shape[0], -1).astype(np.float32)


def _root_rms(relative: np.ndarray) -> np.ndarray:
    """``(N,)``: the RMS joint distance from the root of root-relative windows ``(N, W, J, D)``."""
    return np.sqrt((relative * relative).sum(-1).mean((1, 2)))


def window_scale(windows: Any, skeleton: Any = "h36m17") -> np.ndarray:
    """``(N,)``: each window's RMS joint distance from the root (per frame), the size that
    :func:`pose_descriptor` divides by; ``windows`` ``(N, W, J, D)`` on ``skeleton``."""
    x = to_numpy(windows)
    return _root_rms(x - get_skeleton(skeleton).root_position(x)[..., None, :])


@dataclass(eq=False)
class PoseBank:
    """Training windows searchable by pose similarity, mirror images included.

    ``windows`` ``(M, W, J, D)`` float32 on ``skeleton``; ``labels`` ``(M,)``
    int group ids (the take: windows of one take can be excluded from its own
    queries); ``sources`` ``(M, 2)`` (clip index, start frame) in the clips it
    was built from; ``seed`` the draw that chose them.

    The search runs over ``2M`` *entries*: entry ``i < M`` is ``windows[i]``,
    entry ``M + i`` its mirror image (:meth:`Skeleton.mirror`: left and right
    swapped), so a pose and its mirrored twin are equally easy to find (the
    descriptor of a pose raising the right arm is far from the same pose
    raising the left arm).  :meth:`entries` returns them.  Descriptors and
    their PCA code are computed on construction (a few seconds for 20,000
    windows).
    """

    windows: np.ndarray
    skeleton: str
    labels: np.ndarray
    sources: np.ndarray
    seed: int = 0
    descriptors: np.ndarray = field(init=False, repr=False)
    _mean: np.ndarray = field(init=False, repr=False)
    _basis: np.ndarray = field(init=False, repr=False)
    _codes_t: np.ndarray = field(init=False, repr=False)
    _code_norms: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        sk = get_skeleton(self.skeleton)
        self.skeleton = sk.name
        self.windows = np.asarray(to_numpy(self.windows), dtype=np.float32)
        M = self.windows.shape[0] if self.windows.ndim == 4 else 0
        if M == 0:
            raise SynspInputError(f"PoseBank windows have shape {self.windows.shape}; expected (M, W, J, D), M >= 1")
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        self.sources = np.asarray(self.sources, dtype=np.int64).reshape(-1, 2)
        if self.labels.shape != (M,) or self.sources.shape != (M, 2):
            raise SynspInputError(
                f"PoseBank has {M} windows but labels {self.labels.shape} and sources "
                f"{self.sources.shape}; expected ({M},) and ({M}, 2)"
            )
        mirrored = sk.mirror(self.windows, axis=0).astype(np.float32)
        self.descriptors = pose_descriptor(np.concatenate([self.windows, mirrored]), sk)  # (2M, F)
        d = self.descriptors.astype(np.float64)
        mean = d.mean(0)
        centred = d - mean
        _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
        basis = vectors[:, ::-1][:, : min(PCA_DIMS, d.shape[1])]
        codes = centred @ basis  # (2M, K)
        self._mean, self._basis = mean.astype(np.float32), np.ascontiguousarray(basis, dtype=np.float32)
        self._codes_t = np.ascontiguousarray(codes.T, dtype=np.float32)  # (K, 2M)
        self._code_norms = (codes**2).sum(1).astype(np.float32)

    def __len__(self) -> int:
        return int(self.windows.shape[0])

    @property
    def window(self) -> int:
        return int(self.windows.shape[1])

    def entries(self, index: Any) -> np.ndarray:
        """Windows of entry indices ``(...)`` -> ``(..., W, J, D)`` (mirror images for ``index >= M``)."""
        index = np.asarray(index, dtype=np.int64)
        M = len(self)
        w = self.windows[index % M]
        mirrored = get_skeleton(self.skeleton).mirror(w, axis=0)
        return np.where((index >= M)[..., None, None, None], mirrored, w)

    @classmethod
    def from_clips(
        cls,
        clips: Sequence[Any],
        window: int = 8,
        size: int = 20000,
        skeleton: Any = "h36m17",
        seed: int = 0,
    ) -> "PoseBank":
        """``size`` windows drawn uniformly without replacement over every (clip, start).

        ``clips``: :class:`~synsp.data.corpus.Clip` objects (labelled by take)
        or ``(T, J, D)`` arrays (labelled by index).  Clips shorter than
        ``window`` are skipped; all windows are kept when there are fewer than
        ``size``.
        """
        windows, labels, sources = draw_windows(clips, window, size, seed)
        return cls(windows, get_skeleton(skeleton).name, labels, sources, seed)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the bank to a pickle-free ``.npz`` (windows, labels, sources, metadata)."""
        path = Path(path)
        meta = {"version": _BANK_VERSION, "skeleton": self.skeleton, "seed": int(self.seed)}
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            np.savez_compressed(
                f, windows=self.windows, labels=self.labels, sources=self.sources, meta=np.array(json.dumps(meta))
            )
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PoseBank":
        """Read a bank written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise SynspInputError(f"no pose bank at {path}")
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("version") != _BANK_VERSION:
                raise SynspInputError(f"{path} is pose-bank format {meta.get('version')}; expected {_BANK_VERSION}")
            return cls(z["windows"], meta["skeleton"], z["labels"], z["sources"], meta["seed"])

    def nearest(self, query: Any, k: int, exclude: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` bank windows most similar to each query window.

        ``query`` ``(W, J, D)`` or ``(N, W, J, D)``; ``exclude`` an optional
        label (or ``(N,)`` labels) whose windows a query must not return.
        Returns ``(distance, index)``, each ``(N, k)`` (``N = 1`` for one
        window), nearest first; ``index`` counts entries (``index % M`` is the
        stored window, ``index >= M`` its mirror image).  ``distance`` is the
        RMS per-joint distance between descriptors, in units of the windows'
        RMS joint radius (0 for the same window, or a rotated, moved or scaled
        copy, or the mirror image of a stored window).  The search
        preselects ``max(4k, 64)`` candidates by the PCA code and ranks them by
        the full descriptor, in chunks of 256 queries.
        """
        q = to_numpy(query)
        if q.ndim == 3:
            q = q[None]
        if q.ndim != 4 or q.shape[1:] != self.windows.shape[1:]:
            raise SynspInputError(
                f"query has shape {q.shape}; expected (W, J, D) or (N, W, J, D) with (W, J, D) = "
                f"{self.windows.shape[1:]} like the bank"
            )
        if int(k) != k or not 1 <= k <= 2 * len(self):
            raise SynspInputError(f"k is {k!r}; expected an integer in 1..{2 * len(self)} (the bank's entries)")
        excl = None if exclude is None else np.broadcast_to(np.asarray(exclude, dtype=np.int64), (q.shape[0],))
        desc = pose_descriptor(q, self.skeleton)
        codes = (desc - self._mean) @ self._basis  # (N, K)
        labels = np.tile(self.labels, 2)
        n_cand = min(2 * len(self), max(4 * int(k), 64))
        scale = float(self.windows.shape[1] * self.windows.shape[2])
        dist = np.empty((q.shape[0], k))
        index = np.empty((q.shape[0], k), dtype=np.int64)
        for lo in range(0, q.shape[0], 256):
            hi = min(lo + 256, q.shape[0])
            # a few queries: einsum's plain loop; OpenBLAS's thread start-up costs ms per call
            dot = codes[lo:hi] @ self._codes_t if hi - lo > 16 else np.einsum("nk,km->nm", codes[lo:hi], self._codes_t)
            d2 = self._code_norms - 2.0 * dot  # (n, M), |q|^2 left out
            if excl is not None:
                d2[labels[None] == excl[lo:hi, None]] = np.inf
            cand = np.argpartition(d2, n_cand - 1, axis=1)[:, :n_cand]  # (n, c)
            diff = self.descriptors[cand] - desc[lo:hi, None]  # (n, c, F)
            full = np.einsum("ncf,ncf->nc", diff, diff)
            full[np.isinf(np.take_along_axis(d2, cand, axis=1))] = np.inf
            order = np.argsort(full, axis=1, kind="stable")[:, :k]
            best = np.take_along_axis(full, order, axis=1)
            if not np.isfinite(best).all():
                raise SynspInputError(f"fewer than {k} bank entries are left after excluding label(s) {exclude!r}")
            dist[lo:hi] = np.sqrt(best / scale)
            index[lo:hi] = np.take_along_axis(cand, order, axis=1)
        return dist, index

    def companions(
        self,
        query: Any,
        count: int,
        *,
        pool: int | None = None,
        exclude: Any = None,
        choose: Callable[[np.ndarray], np.ndarray] | None = None,
        align: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each query window's companion views: ``count`` of its most similar bank windows.

        ``query`` ``(W, J, D)`` or ``(N, W, J, D)``.  The ``pool`` (default
        ``count``) nearest entries are searched (:meth:`nearest`: mirror images
        included; ``exclude``: label(s) never to return, e.g. the query's own
        take); ``choose``, given the entries ``(N, pool)`` nearest first,
        returns the columns ``(N, count)`` to keep, in increasing order (the
        caller's seeded choice; without it the ``count`` nearest are kept).
        ``align``: each companion is moved onto its query (:func:`align_to`:
        rigid in 3D, similarity in 2D) so that the views share the query's
        frame, as the network's cross-view similarity cue expects.

        Returns ``(distance (N, count), entry (N, count), windows (N, count,
        W, J, D) float64)``, ``entry`` counting entries as :meth:`nearest` does.
        """
        q = to_numpy(query)
        q4 = q[None] if q.ndim == 3 else q
        dist, entry = self.nearest(q4, count if pool is None else pool, exclude=exclude)
        if choose is not None:
            pick = choose(entry)
            dist, entry = np.take_along_axis(dist, pick, axis=1), np.take_along_axis(entry, pick, axis=1)
        windows = self.entries(entry).astype(np.float64)  # (N, count, W, J, D)
        if align:
            (windows,) = align_to(windows, q4[:, None].astype(np.float64))
        return dist, entry, windows


def draw_windows(
    clips: Sequence[Any], window: int, size: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``size`` windows drawn uniformly without replacement over every (clip, start) pair.

    Returns ``(windows (M, W, J, D) float32, labels (M,), sources (M, 2))``
    as :class:`PoseBank` takes them; ``M = min(size, number of pairs)``.
    """
    arrays, labels = clip_arrays(clips)
    if int(window) != window or window < 1 or int(size) != size or size < 1:
        raise SynspInputError(f"window and size must be positive integers; got {window!r} and {size!r}")
    lengths = np.array([max(a.shape[0] - window + 1, 0) for a in arrays])
    total = int(lengths.sum())
    if total == 0:
        raise SynspInputError(f"no clip has {window} frames; nothing to draw")
    pick = np.sort(np.random.default_rng(seed).choice(total, size=min(size, total), replace=False))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    clip = np.searchsorted(offsets, pick, side="right") - 1
    start = pick - offsets[clip]
    windows = np.stack([arrays[c][s : s + window] for c, s in zip(clip, start)])
    return windows, labels[clip], np.stack([clip, start], 1)


def clip_arrays(clips: Sequence[Any]) -> tuple[list[np.ndarray], np.ndarray]:
    """Positions of Clip objects or arrays, and an int label per clip (take id, or index)."""
    if len(clips) == 0:
        raise SynspInputError("clips is empty; pass at least one clip")
    arrays, names = [], []
    for i, c in enumerate(clips):
        positions = getattr(c, "positions", c)
        arrays.append(check_poses(positions, f"clips[{i}]").astype(np.float32))
        names.append(getattr(c, "take", None) or f"#{i}")
    ids = {n: k for k, n in enumerate(dict.fromkeys(names))}
    return arrays, np.array([ids[n] for n in names], dtype=np.int64)


def align_to(source: np.ndarray, target: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Move windows ``source`` ``(..., W, J, D)`` onto ``target`` (broadcastable).

    3D: rigid Procrustes (rotation and translation) over all joints of the
    window; 2D: similarity (also scale, since pixels scale with camera
    distance).  ``others`` (same shape as ``source``, e.g. its noisy version)
    get the same transform.  Returns the moved ``source`` then ``others``.

    Same solution as :func:`synsp.geometry.rigid_procrustes` /
    :func:`~synsp.geometry.similarity_procrustes`, in numpy: the training
    loop calls this per sample, where torch's per-call overhead on 3 x 3
    matrices costs milliseconds.
    """
    shape, D = source.shape, source.shape[-1]
    src = source.reshape(shape[:-3] + (-1, D)).astype(np.float64)  # (..., N, D)
    tgt = np.broadcast_to(target.reshape(target.shape[:-3] + (-1, D)), src.shape).astype(np.float64)
    mu1, mu2 = src.mean(-2, keepdims=True), tgt.mean(-2, keepdims=True)
    X1, X2 = src - mu1, tgt - mu2
    K = np.swapaxes(X1, -1, -2) @ X2  # (..., D, D)
    U, _, Vh = np.linalg.svd(K)
    z = np.ones(K.shape[:-1])
    z[..., -1] = np.where(np.linalg.det(U @ Vh) < 0, -1.0, 1.0)  # a rotation, never a reflection
    R = np.swapaxes(Vh, -1, -2) @ (z[..., :, None] * np.swapaxes(U, -1, -2))  # V Z U^T
    if D == 2:
        var = (X1 * X1).sum((-2, -1))
        s = (R * np.swapaxes(K, -1, -2)).sum((-2, -1)) / np.where(var > 0, var, 1.0)
    else:
        s = np.ones(K.shape[:-2])
    t = mu2 - s[..., None, None] * mu1 @ np.swapaxes(R, -1, -2)  # (..., 1, D)
    moved = []
    for x in (source, *others):
        flat = x.reshape(src.shape).astype(np.float64)
        moved.append((s[..., None, None] * flat @ np.swapaxes(R, -1, -2) + t).reshape(shape))
    return tuple(moved)


def similar_pose_groups(
    query: Any,
    bank: PoseBank | Any,
    companions: int,
    rng: np.random.Generator | None = None,
    *,
    skeleton: Any = "h36m17",
    pool: int | None = None,
    exclude: Any = None,
    align: bool = True,
) -> np.ndarray:
    """Each query window with its ``companions`` most similar bank windows as views (:meth:`PoseBank.companions`).

    ``query`` ``(W, J, D)`` or ``(N, W, J, D)``; ``bank`` a :class:`PoseBank`
    or windows ``(M, W, J, D)`` on ``skeleton``.  Returns ``(P, W, J, D)`` or
    ``(N, P, W, J, D)`` with ``P = companions + 1``: the query first, then its
    companions, nearest first.  With ``rng`` the companions are a random
    choice among the ``pool`` nearest (default ``4 * companions``), so one
    query gets varied groups.  Companions may be mirror images of bank
    windows (see :class:`PoseBank`).  ``exclude``: bank label(s) never to return (the
    query's own take).  ``align``: companions are moved onto the query
    (:func:`align_to`: rigid in 3D, similarity in 2D) so that the views share
    its frame, as the network's cross-view similarity cue expects.
    """
    if not isinstance(bank, PoseBank):
        b = to_numpy(bank)
        bank = PoseBank(b, skeleton, np.arange(b.shape[0] if b.ndim else 0), np.zeros((b.shape[0] if b.ndim else 0, 2)))
    q = to_numpy(query)
    single = q.ndim == 3
    q4 = q[None] if single else q
    if int(companions) != companions or companions < 1:
        raise SynspInputError(f"companions is {companions!r}; expected a positive integer")
    pool = 4 * companions if pool is None else int(pool)
    if pool < companions:
        raise SynspInputError(f"pool is {pool}; expected at least companions = {companions}")
    k = min(pool, 2 * len(bank)) if rng is not None else companions
    if k < companions:
        raise SynspInputError(f"the bank has {2 * len(bank)} entries; fewer than companions = {companions}")
    choose = None
    if rng is not None:
        def choose(entry: np.ndarray) -> np.ndarray:
            return np.sort(np.argsort(rng.random(entry.shape), axis=1)[:, :companions], axis=1)
    _, _, chosen = bank.companions(q4, companions, pool=k, exclude=exclude, choose=choose, align=align)
    groups = np.concatenate([q4[:, None].astype(np.float64), chosen], axis=1)
    return groups[0] if single else groups
