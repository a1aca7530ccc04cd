"""Similar-pose grouping (seed supplementary 2.7): one person refined with 3 similar poses as views.

SynSP's multi-view network refines ``P`` windows jointly and lets every view
attend to the others.  Without synchronised cameras the other ``P - 1`` inputs
can be *similar poses*: for every window of the person, the ``P - 1`` most
similar windows of a :class:`~synsp.data.pose_bank.PoseBank` of training motion
(searched by :func:`~synsp.data.pose_bank.pose_descriptor`: root-relative, in the
window's torso frame, scale-free; mirror images included), moved rigidly onto
the person's window (:meth:`~synsp.data.pose_bank.PoseBank.companions`, the
selection the training data uses too).  The network refines
the group and only the person's output is kept.  The bank is in metres: a window in
millimetres or centimetres is grouped and refined in the power of ten nearest the bank's
unit and scaled back (:meth:`SimilarPoseRefiner.units`), so every unit gives the same result.

:class:`SimilarPoseRefiner` does this behind the refiner contract
(``(T, J, 3)`` or ``(T, P, J, 3)`` in, the same shape out).  It is a
:class:`~synsp.refiners.NetworkRefiner` whose :meth:`refine_windows` builds
the groups, so everything around the windows is NetworkRefiner's: NaN and
low-confidence joints filled and masked, a sequence at another frame rate
resampled, a short sequence edge-padded, windows at stride 1 refined in batches
of ``batch`` (bounded memory for any length) and merged by the sliding-window
average.  The ``P`` axis holds persons, each grouped with its own similar poses
(never with each other).  Online (:meth:`~synsp.refiners.NetworkRefiner.online`,
:class:`synsp.Stream`) each track's windows are grouped the same way.

What the groups hold is what ``WindowDataset(mode="similar")`` trains on (its
default ``companions="bank"``): the bank is searched with the person's *noisy*
(filled) window and the companions are *clean* training windows, nothing of
them masked.  The shipped bank (:data:`DEFAULT_BANK`, made by
``tools/make_pose_bank.py``) is a seeded draw of 1,500 windows of the corpus
train split, stored float16 and centred per window, in a pickle-free ``.npz``
read with ``allow_pickle=False``.

The default network (:data:`DEFAULT_MODEL`) is the shipped multi-view model
``synsp-h36m17-3d-w8-p4``, trained on 4 views of one person: its residual
starts from the views' mean, so it draws on the companions.  With this bank it
did best on the validation split (MPJPE 61.2 mm, against 61.9 for its recipe
fine-tuned on similar-pose groups instead, and 79.4 for the model trained on
random groups, which ignores its companions; README, seed section 2.7).

Deterministic: the companions of a window depend on the window and the bank
only.  With ``pool > P - 1`` the companions are a choice among the ``pool``
nearest entries, made by a hash of ``seed`` and the entries' indices (so the
same seed gives the same output, whatever the batching).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .data.pose_bank import PoseBank, window_scale
from .models.checkpoint import checkpoint_file
from .refiners import SIMILAR_POSES, WEIGHTS_DIR, NetworkRefiner, get_refiner, register_resolver, shipped_models
from .validation import SynspInputError

__all__ = ["DEFAULT_BANK", "DEFAULT_MODEL", "SimilarPoseRefiner", "load_bank", "similar_pose_refiner"]

DEFAULT_MODEL = "synsp-h36m17-3d-w8-p4"
"""The 4-view model used by default (shipped; the best with the bank on the validation split)."""
DEFAULT_BANK = WEIGHTS_DIR / "pose-bank-h36m17-w8.npz"
"""The shipped pose bank: 1,500 clean windows of the corpus train split (h36m17, W = 8, metres)."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def load_bank(path: str | os.PathLike | None = None) -> PoseBank:
    """A pose bank from a pickle-free ``.npz`` (``np.load(..., allow_pickle=False)``); default: the shipped one."""
    return PoseBank.load(DEFAULT_BANK if path is None else path)


class SimilarPoseRefiner(NetworkRefiner):
    """A multi-view network fed each window of the person plus its ``P - 1`` most similar bank windows.

    Args:
        network: a multi-view :class:`~synsp.refiners.NetworkRefiner`, or a
            shipped model name / checkpoint stem (3D, ``views >= 2``).
        bank: a :class:`~synsp.data.pose_bank.PoseBank` or the path of one saved
            as ``.npz``; ``None``: :data:`DEFAULT_BANK`.  Same skeleton and
            window as the network, 3D.
        seed: drives the choice among the ``pool`` nearest (unused when
            ``pool`` is the number of companions, the default).
        pool: choose the companions among this many nearest bank entries
            (default: the ``P - 1`` nearest themselves).
        batch: windows refined at once (default: the network's).

    See the module docstring for what the groups hold.
    """

    def __init__(self, network: NetworkRefiner | str | os.PathLike, bank: PoseBank | str | os.PathLike | None = None,
                 seed: int = 0, pool: int | None = None, batch: int | None = None):
        if not isinstance(network, NetworkRefiner):
            network = get_refiner(network)
            if not isinstance(network, NetworkRefiner):
                raise SynspInputError(f"{network.name!r} is a filter; similar-pose grouping needs a multi-view "
                                      f"network (e.g. {DEFAULT_MODEL})")
        card = network.card
        if card.views < 2 or card.dims != 3:
            raise SynspInputError(f"{card.name} takes {card.views} view(s) of {card.dims}D poses; similar-pose "
                                  "grouping needs a 3D multi-view model (views >= 2)")
        bank = bank if isinstance(bank, PoseBank) else load_bank(bank)
        if bank.skeleton != card.skeleton or bank.window != card.window or bank.windows.shape[-1] != 3:
            raise SynspInputError(
                f"the pose bank holds {bank.skeleton} windows of shape {bank.windows.shape[1:]}; {card.name} needs "
                f"{card.skeleton} windows of {card.window} frames in 3D")
        companions = card.views - 1
        pool = companions if pool is None else pool
        if int(pool) != pool or not companions <= pool <= 2 * len(bank):
            raise SynspInputError(f"pool is {pool!r}; expected an integer from {companions} (the companions) "
                                  f"to {2 * len(bank)} (the bank's entries)")
        if int(seed) != seed:
            raise SynspInputError(f"seed is {seed!r}; expected an integer")
        super().__init__(network.model, card, batch=batch or network.batch, device=network.device,
                         min_confidence=network.min_confidence, causal=network.causal, stride=network.stride)
        self.network, self.bank = network, bank
        self.bank_scale = float(np.median(window_scale(bank.windows.astype(np.float64), bank.skeleton)))
        self.companions, self.pool, self.seed = companions, int(pool), int(seed)
        self.name = f"{card.name}+similar-poses"

    @property
    def _persons_alone(self) -> bool:
        """Each person is refined alone (with its companions), so it streams: :meth:`online` works."""
        return True

    def find(self, windows: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(distance, entry)`` ``(n, P - 1)`` of each window's companions, nearest first.

        ``windows`` ``(W, J, 3)`` or ``(n, W, J, 3)``, finite; ``entry`` counts
        the bank's entries (``entry >= len(bank)``: the mirror image of window
        ``entry - len(bank)``, see :class:`~synsp.data.pose_bank.PoseBank`).
        """
        dist, entry, _ = self._companions(windows, align=False)
        return dist, entry

    def groups(self, windows: Any) -> np.ndarray:
        """Windows ``(n, W, J, 3)`` -> groups ``(n, P, W, J, 3)``: each window, then its aligned companions."""
        w = np.asarray(windows, dtype=np.float64)
        _, _, companions = self._companions(w, align=True)
        return np.concatenate([w[:, None], companions], axis=1)

    def _companions(self, windows: Any, align: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`PoseBank.companions` of the windows, chosen among the ``pool`` nearest by :meth:`_choose`."""
        choose = self._choose if self.pool > self.companions else None
        return self.bank.companions(windows, self.companions, pool=self.pool, choose=choose, align=align)

    def _choose(self, entry: np.ndarray) -> np.ndarray:
        """Columns of the ``P - 1`` entries kept among ``entry`` ``(n, pool)``: a keyed hash of (seed, entry),
        so the same choice in any batch."""
        key = (entry.astype(np.uint64) + np.uint64(self.seed * int(_GOLDEN) % 2**64)) * _GOLDEN
        key ^= key >> np.uint64(29)
        return np.sort(np.argsort(key, axis=1, kind="stable")[:, : self.companions], axis=1)

    def units(self, windows: Any) -> np.ndarray:
        """``(n,)``: the power of ten that brings each window ``(n, W, J, 3)`` nearest the bank's unit (1 for
        metres, 1,000 for millimetres, 100 for centimetres): the bank's poses are in metres and are moved rigidly
        onto a window, so a window in another unit is grouped and refined in metres and its output scaled back."""
        ratio = window_scale(windows, self.card.skeleton) / self.bank_scale
        with np.errstate(divide="ignore", invalid="ignore"):
            power = np.round(np.log10(ratio))
        return 10.0 ** np.where(np.isfinite(power), power, 0.0)

    def refine_windows(self, windows: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """Windows ``(n, P, W, J, 3)`` of P persons (filled) -> each person refined within its own group."""
        out = np.empty(windows.shape)
        for p in range(windows.shape[1]):
            unit = self.units(windows[:, p])[:, None, None, None]
            groups = self.groups(windows[:, p] / unit)
            flags = np.zeros(groups.shape[:-1], dtype=bool)
            flags[:, 0] = missing[:, p]  # companions are clean bank windows: nothing to mask
            out[:, p] = super().refine_windows(groups, flags)[:, 0] * unit
        return out


def similar_pose_refiner(model: str | os.PathLike = DEFAULT_MODEL, bank: str | os.PathLike | None = None,
                         runs: str | os.PathLike = "runs", **kw) -> SimilarPoseRefiner:
    """A :class:`SimilarPoseRefiner` for a model name or checkpoint, with the shipped bank by default.

    ``model`` is looked up among the shipped models, then as a checkpoint stem,
    then as ``<runs>/<model>/best`` (where ``synsp train`` writes it).
    """
    key = str(model)
    if key not in shipped_models() and not checkpoint_file(key, ".json").is_file():
        trained = Path(runs) / key / "best"
        if checkpoint_file(trained, ".json").is_file():
            model = trained
    return SimilarPoseRefiner(model, bank, **kw)


# "<multi-view model>+similar-poses" in synsp.refiners.get_refiner (the registry; refiners imports no grouping)
register_resolver(SIMILAR_POSES, similar_pose_refiner)
