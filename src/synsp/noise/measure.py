"""Measuring a simulated (or real) error: MPJPE, Accel and the share of error energy at high frequency."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft

from ..missing import fill_gaps
from ..validation import check_fps, check_poses
from .joints import resolve_skeleton
from .model import require


def error_profile(
    pred: Any,
    gt: Any,
    *,
    skeleton: Any,
    fps: float,
    cutoff_hz: float = 3.0,
) -> dict[str, float]:
    """MPJPE, Accel and the share of error energy above ``cutoff_hz``.

    ``pred``/``gt``: one ``(T, J, D)`` / ``(T, P, J, D)`` array each, or
    equal-length lists of them (pooled: frame-weighted means, summed
    energies).  Both are made root-relative on ``skeleton.root_joints`` first.

    * ``mpjpe``: mean over valid (non-NaN) joints of ``||pred - gt||``;
    * ``accel``: mean over joints of ``||D2 pred - D2 gt||`` with
      ``D2 x = x[t-1] - 2 x[t] + x[t+1]``, per frame², no end padding;
    * ``hf_fraction``: energy of the error's orthonormal DCT-II coefficients
      above ``cutoff_hz`` (coefficient k is ``k fps / 2T`` Hz) over the total,
      bias included; NaN gaps are interpolated linearly first.  The DCT's even
      extension avoids the end-jump leakage an FFT would add.
    """
    fps = check_fps(fps, allow_none=False)
    sk = resolve_skeleton(skeleton)
    roots = list(sk.root_joints)
    preds = list(pred) if isinstance(pred, (list, tuple)) else [pred]
    gts = list(gt) if isinstance(gt, (list, tuple)) else [gt]
    require(
        len(preds) == len(gts) and len(preds) > 0,
        f"got {len(preds)} predictions for {len(gts)} ground truths; pass one of each per sequence",
    )
    sums = {"mpjpe": 0.0, "n_mpjpe": 0, "accel": 0.0, "n_accel": 0, "hf": 0.0, "total": 0.0}
    for i, (p, g) in enumerate(zip(preds, gts)):
        g = check_poses(g, f"gt[{i}]", ndims=(3, 4), joints=len(sk.joints))
        p = check_poses(
            p, f"pred[{i}]", ndims=(g.ndim,), dims=(g.shape[-1],), joints=g.shape[-2], allow_nan=True
        )
        require(p.shape == g.shape, f"pred[{i}] has shape {p.shape} but gt[{i}] has shape {g.shape}")
        err = (p - p[..., roots, :].mean(-2, keepdims=True)) - (g - g[..., roots, :].mean(-2, keepdims=True))
        dist = np.linalg.norm(err, axis=-1)
        ok = np.isfinite(dist)
        sums["mpjpe"] += float(dist[ok].sum())
        sums["n_mpjpe"] += int(ok.sum())
        if err.shape[0] >= 3:
            acc = np.linalg.norm(err[:-2] - 2 * err[1:-1] + err[2:], axis=-1)
            ok = np.isfinite(acc)
            sums["accel"] += float(acc[ok].sum())
            sums["n_accel"] += int(ok.sum())
        gaps = fill_gaps(err, ~np.isfinite(err), never="zero")  # an error never measured counts 0
        coeffs = scipy.fft.dct(gaps, type=2, norm="ortho", axis=0)
        energy = (coeffs**2).reshape(coeffs.shape[0], -1).sum(axis=1)
        freq = np.arange(coeffs.shape[0]) * fps / (2.0 * coeffs.shape[0])
        sums["hf"] += float(energy[freq > cutoff_hz].sum())
        sums["total"] += float(energy.sum())
    return {
        "mpjpe": sums["mpjpe"] / max(sums["n_mpjpe"], 1),
        "accel": sums["accel"] / max(sums["n_accel"], 1),
        "hf_fraction": sums["hf"] / sums["total"] if sums["total"] > 0 else 0.0,
        "missing_fraction": 1.0 - sums["n_mpjpe"] / max(sum(int(np.prod(np.shape(g)[:-1])) for g in gts), 1),
    }
