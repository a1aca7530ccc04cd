"""Several synchronised views of one person: the views refined, then fused.

``synsp.refine(x, views=True)`` takes ``(T, P, J, D)`` poses holding P views of
one person in one world frame (cameras with known extrinsics, triangulated or
lifted per view).  :class:`ViewMeanRefiner` refines the views with an inner
refiner (by default the universal model trained on views) and returns, for every
view, the mean over the views of the refined joint, weighted by whether the
view observed it (a joint that a view missed and the refiner filled counts
only where no view observed it; a joint a view never saw is stood in for by
the other views' mean before refining, and never counts).  Before fusing, :func:`synsp.refine` makes the views'
left/right labels agree (:mod:`synsp.view_labels`): averaged, one view labelled the wrong way round would pull
every left joint towards the right one.  With independent errors per view, the mean
of P views has about ``1 / sqrt(P)`` of one view's error; the refiner before it
removes what the views share over time.

The default inner refiner for views is the universal model trained on views
(``synsp-universal-w16-views``, :data:`synsp.api.VIEWS_MODEL`): it refines the
views of each window together, each view's refinement reading what the others
see (:mod:`synsp.models.universal`, stage 6), and this fusion then averages
them.  The shipped 4-view SynSP (``synsp-h36m17-3d-w8-p4``, attention across
the views' frames, Human3.6M-17 only) adds 2.1 mm to error-free views and is
behind on overshoot (docs/results.md, "Multi-view"); it stays available by name.

Views of unequal quality: the mean weighs every view alike, so one accurate view among poorer ones is pulled
towards them (and the views model already moves each view towards the others).  Weighing each view by the inverse of
its estimated error's variance was measured and not kept: after the views model it made every unequal case tried
worse (one view with 1 cm of noise, three with 3 cm and a bias: 18.3 -> 19.4 mm).  Instead each view's error is
estimated (:func:`view_errors`, what the refiner removed from it) and, where more than half of the other views' are
more than :data:`UNEQUAL` times the best view's, the poorer views are named in a warning.

A name plus :data:`synsp.refiners.VIEW_MEAN` (``"synsp-universal-w16+view-mean"``)
gives the refiner through :func:`synsp.refiners.get_refiner`.  Offline only:
views of a stream are tracks of their own.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .missing import missing_from_confidence
from .refiners import VIEW_MEAN, get_refiner, min_frames_of, register_resolver
from .validation import SynspInputError, check_poses

__all__ = ["UNEQUAL", "ViewMeanRefiner", "view_errors", "view_mean_refiner"]

#: a view whose estimated error (:func:`view_errors`) is more than this many times another view's is named in
#: a warning: the fused mean follows the poorer views
UNEQUAL = 2.0


class ViewMeanRefiner:
    """``(T, P, J, D)`` views of one person -> the views refined by ``inner`` (each alone, or together by a model
    trained on views), then the observation-weighted mean over the views, the same for every view (the refiner
    contract: same shape out)."""

    #: the P axis is views of one person, fused (never persons: :func:`synsp.api.refine` refuses them)
    views_together = True

    def __init__(self, inner: Any):
        self.inner = inner
        self.name = f"{inner.name}{VIEW_MEAN}"
        self.window, self.delay = inner.window, getattr(inner, "delay", None)
        self.min_frames = min_frames_of(inner)
        self.card = getattr(inner, "card", None)
        self.skeleton = getattr(inner, "skeleton", None)
        self.min_confidence = getattr(inner, "min_confidence", 0.3)

    def with_inner(self, inner: Any) -> "ViewMeanRefiner":
        """The same fusion around another single-view refiner (:func:`synsp.refiners.fit_refiner` gives the
        network the data's skeleton this way, e.g. the body of a whole-body skeleton)."""
        return ViewMeanRefiner(inner)

    def online(self, causal: bool | None = None, fps: float | None = None) -> Any:
        raise SynspInputError(f"{self.name} fuses views offline; online, give each view its own track to "
                              f"{self.inner.name}")

    def __call__(self, poses: Any, fps: float | None = None, confidence: Any = None, progress: bool = False,
                 return_filled: bool = False):
        x = check_poses(poses, "poses", ndims=(4,), allow_nan=True)
        missing = ~np.isfinite(x).all(-1)  # (T, P, J)
        if confidence is not None:
            missing |= missing_from_confidence(confidence, x.shape, self.min_confidence)
        never = missing.all(axis=0)  # (P, J): a joint a view never saw, stood in for by the other views' mean
        if never.any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # frames no view saw: NaN, filled by the refiner
                stand_in = np.nanmean(np.where(missing[..., None], np.nan, x), axis=1)  # (T, J, D)
            x = x.copy()
            p, j = np.nonzero(never)
            x[:, p, j] = stand_in[:, j]
            if confidence is not None:
                confidence = np.array(confidence, dtype=np.float64, copy=True)
                confidence[:, p, j] = 1.0
        refined, filled = self.inner(x, fps=fps, confidence=confidence, progress=progress, return_filled=True)
        refined = np.asarray(refined, dtype=np.float64)
        filled = np.asarray(filled, dtype=bool) | never[None]
        seen = ~filled  # (T, P, J): observed by that view
        # the views that observed the joint; where none did, all of them (the refiner filled it in each)
        weight = np.where(seen.any(axis=1, keepdims=True), seen, True).astype(np.float64)[..., None]
        fused = (refined * weight).sum(axis=1, keepdims=True) / weight.sum(axis=1, keepdims=True)
        _warn_unequal(view_errors(x, refined, seen))
        out = np.repeat(fused, x.shape[1], axis=1)  # a refiner's NaN stays NaN: the caller's check names it
        return (out, filled) if return_filled else out


def view_errors(poses: np.ndarray, refined: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Each view's estimated error, ``(P,)``: the median distance between its input and its refinement (what the
    refiner removed from it) over the frames and joints the view saw (``seen``, ``(T, P, J)``); NaN for a view that
    saw none.  The median, not the mean: a few outliers removed from one view (spikes) tell little of what is left in
    it, and on equal views of the test split the mean's ratio reached 3.1 where the median's stayed under 1.4."""
    moved = np.linalg.norm(np.asarray(poses, dtype=np.float64) - refined, axis=-1)  # (T, P, J)
    moved = np.where(seen & np.isfinite(moved), moved, np.nan).transpose(1, 0, 2).reshape(moved.shape[1], -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a view that saw nothing: NaN
        return np.nanmedian(moved, axis=1)


def _warn_unequal(errors: np.ndarray) -> None:
    """Name the views whose estimated error is more than :data:`UNEQUAL` times the smallest view's, where more than
    half of the other views' are (one accurate view among poorer ones: the mean follows them; a poor view among good
    ones is outweighed: fusing them was better than any view alone on every error family a helper tried, and on the
    real views of ``benchmarks/real_views.py --fuse-models`` the heavy model's track refined alone is 28.41 px from
    the judges, fused with the lite and full models' 28.42)."""
    known = np.isfinite(errors)
    if known.sum() < 2:
        return
    best = int(np.nanargmin(errors))
    poor = np.flatnonzero(known & (errors > UNEQUAL * errors[best]))
    if 2 * poor.size > known.sum() - 1:
        ratios = errors[poor] / max(errors[best], np.finfo(float).tiny)
        names = ", ".join(str(p) for p in poor)
        warnings.warn(f"views of unequal quality: the refiner removed {ratios.min():.1f}-{ratios.max():.1f} times as "
                      f"much from view(s) {names} as from view {best}, and the fused mean, which weighs the views "
                      f"alike, follows them; if view {best} is the accurate one, refine it alone (not as views) "
                      f"or leave out the poorer views", UserWarning, stacklevel=3)


def view_mean_refiner(name: str, **kw) -> ViewMeanRefiner:
    """The :class:`ViewMeanRefiner` over ``name`` (a method: shipped model, checkpoint, filter)."""
    return ViewMeanRefiner(get_refiner(name, **kw))


# "<single-view method>+view-mean" in synsp.refiners.get_refiner (the registry; refiners imports no view_fusion)
register_resolver(VIEW_MEAN, view_mean_refiner)
