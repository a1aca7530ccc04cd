"""``smoothnet-data``: Table 1 on SmoothNet-format data the user holds (Human3.6M, 3DPW, AIST++ ...)."""

from __future__ import annotations

import numpy as np

from ..io.smoothnet import load_smoothnet, smoothnet_spec
from ..metrics import summarize
from ..refiners import get_refiner
from ..reports import Report
from ..skeletons import SKELETONS, get_skeleton
from ..validation import SynspInputError
from .common import Context


def smoothnet_data(ctx: Context) -> Report:
    """Table 1 on the paper's own data, for users who hold it in SmoothNet's format: every method on the
    detected sequences of ``<root>/<dataset>_<estimator>_<3D|2D>/`` against their ground truth."""
    if ctx.smoothnet is None:
        raise SynspInputError("the smoothnet-data experiment needs --smoothnet-root DIR --dataset NAME "
                              "--estimator NAME (the SmoothNet data folders)")
    root, dataset, estimator, representation = ctx.smoothnet
    spec = smoothnet_spec(dataset, estimator, representation)
    if spec is None or spec.layout == "smpl":
        raise SynspInputError(f"no positions table for {dataset}/{estimator}/{representation}; see "
                              "synsp.io.SMOOTHNET_DATASETS for the combinations (SMPL rotations are not measured)")
    seqs = load_smoothnet(root, dataset, estimator, representation, "test", trust_pickle=ctx.trust_pickle)
    if ctx.frames < 10**9:  # --quick: the first sequences only
        keep, total = [], 0
        for q in seqs:
            if total >= ctx.frames:
                break
            keep.append(q)
            total += q.num_frames
        seqs = keep
    fps = spec.fps or 30.0
    scale = 1000.0 if spec.dims == 3 else 1.0
    unit = "mm" if spec.dims == 3 else "px"
    parents = get_skeleton(spec.layout).parents if spec.layout in SKELETONS else None
    rep = Report(f"smoothnet-{spec.folder}", f"Table 1 on SmoothNet-format data: {spec.folder}", "")
    rep.notes.append(f"- {len(seqs)} test sequences, {sum(q.num_frames for q in seqs)} frames at {fps:g} fps; "
                     f"real estimator output ({estimator}) against the dataset's ground truth; SmoothNet "
                     f"conventions ({unit}, root-relative on joints {list(spec.root_joints)}, Accel per frame^2).")
    gts = [np.asarray(q.gt, dtype=np.float64) for q in seqs]
    dets = [np.asarray(q.detected, dtype=np.float64) for q in seqs]
    rows = []
    for method in ["input", *ctx.methods]:
        if method == "input":
            preds = dets
        else:
            refiner = get_refiner(method)
            try:
                preds = [refiner(d, fps=fps) for d in dets]
            except SynspInputError as exc:
                rep.notes.append(f"- {method}: not run on this data ({exc})")
                continue
        m = summarize(preds, gts, inputs=dets, root_joints=spec.root_joints or None, parents=parents, scale=scale)
        rows.append({"method": method, "MPJPE": m["mpjpe"], "PA-MPJPE": m["pa_mpjpe"], "Accel": m["accel"],
                     "MPJPE hardest 1 %": m["mpjpe_hardest"], "MPJPE fast 10 %": m["mpjpe_fast"]})
    rep.table(f"{spec.folder}: MPJPE/PA-MPJPE in {unit}, Accel in {unit}/frame^2 at {fps:g} fps", rows)
    return rep
