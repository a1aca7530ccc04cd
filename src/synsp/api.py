"""``synsp.refine``: numpy in, numpy out, any method by name."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .missing import missing_from_confidence
from .refiners import NetworkRefiner, get_refiner, shipped_models
from .skeletons import skeleton_for
from .validation import SynspInputError, check_poses

__all__ = ["refine", "default_model"]


def default_model(num_joints: int, dims: int, skeleton: str | None = None, views: int = 1) -> str:
    """The shipped model for a joint count and coordinate count (and optional skeleton name)."""
    import json

    names = [skeleton] if skeleton else skeleton_for(num_joints)
    candidates = []
    for name, stem in shipped_models().items():
        card = json.loads(stem.with_suffix(".json").read_text())
        if card["skeleton"] in names and card["dims"] == dims and not card.get("causal", False):
            candidates.append((card["views"] != views, card["architecture"] != "synsp", name))
    if not candidates:
        raise SynspInputError(
            f"no shipped model for {num_joints} joints in {dims}D"
            + (f" on skeleton {skeleton!r}" if skeleton else "")
            + "; pass model= a filter name ('one-euro', 'savgol', 'kalman-rts', ...) or a checkpoint "
            "trained with `synsp train`"
        )
    return min(candidates)[2]


def refine(
    poses: Any,
    model: str | os.PathLike | None = None,
    fps: float | None = None,
    confidence: Any = None,
    skeleton: str | None = None,
    return_filled: bool = False,
    progress: bool = False,
):
    """Refine ``poses`` ``(T, J, D)`` or ``(T, P, J, D)`` in the user's units; returns the same shape.

    ``model``: a shipped model name, a checkpoint path or a filter name
    (``"one-euro"``, ``"savgol"``, ``"gaussian"``, ``"butterworth"``,
    ``"kalman-rts"``, ...); by default the shipped model for the joint count,
    D and ``skeleton``.  ``confidence`` ``(T, J)``/``(T, P, J)``: joints below
    0.3 or NaN are treated as missing and filled; with ``return_filled`` the
    mask of filled joints is returned too.
    """
    x = check_poses(poses, "poses", ndims=(3, 4), allow_nan=True)
    if model is None:
        model = default_model(x.shape[-2], x.shape[-1], skeleton)
    refiner = get_refiner(model)
    if isinstance(refiner, NetworkRefiner):
        return refiner(x, fps=fps, confidence=confidence, progress=progress, return_filled=return_filled)
    out = refiner(x, fps=fps, confidence=confidence)
    if return_filled:
        missing = np.isnan(x).any(-1)
        if confidence is not None:
            missing |= missing_from_confidence(confidence, x.shape, refiner.min_confidence)
        return out, missing
    return out
