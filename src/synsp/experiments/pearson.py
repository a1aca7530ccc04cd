"""``pearson``: section 1.3 of the seed, Pearson r between Diff1 (estimator error) and Diff2 (the
disagreement of two refinements), overall and per joint.
"""

from __future__ import annotations

import numpy as np

from ..reports import Report
from ..skeletons import get_skeleton
from ..training import input_as_refiner
from .common import DEFAULT, Context, bars_figure, find_network, with_output


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def pearson(ctx: Context) -> Report:
    """Diff1 = |estimator output - truth| per frame and joint; Diff2 = |output(ratio 5) - output(ratio 0.5)|."""
    sets, preset, ablation_runs = ctx.sets, ctx.preset, ctx.runs / "ablations"
    rep = Report("pearson", f"Section 1.3: does the smoothness/precision disagreement flag errors? ({preset})", "")
    rep.notes.append("- Diff1: distance between the (simulated) estimator output and the truth, per frame and "
                     "joint, root-relative. Diff2: distance between the outputs of two SynSP models trained with "
                     "lambda_a/lambda_p = 5 and 0.5. Also the shipped model's own Position-vs-Acceleration Branch "
                     "disagreement. The seed reports r = 0.48 on real estimator output.")
    two_d = ctx.representation == "2d"
    prefix, shipped = ("coco17-ratio-", "synsp-coco17-2d-w8") if two_d else ("ratio-", DEFAULT)
    pairs = []
    a, b = find_network(ablation_runs / f"{prefix}5" / "best"), find_network(ablation_runs / f"{prefix}0.5" / "best")
    if a is not None and b is not None:
        pairs.append(("two models, ratio 5 vs 0.5", a, b))
    else:
        rep.notes.append(f"- {prefix}5 / {prefix}0.5 checkpoints not in {ablation_runs}; only the branch pair "
                         "is shown")
    net = find_network(shipped)
    pairs.append((f"{shipped}, Position vs Acceleration Branch", with_output(net, "position"),
                  with_output(net, "acceleration")))
    sk = get_skeleton(ctx.skeleton)
    joints = [j for j in range(sk.num_joints) if j not in sk.root_joints or len(sk.root_joints) > 1]
    rows, per_joint = [], {}  # a single root joint is 0 root-relative and left out
    for label, ra, rb in pairs:
        d1, d2 = [], []
        for gt, inp, conf in sets[0]:
            root = lambda x: x - x[..., list(sk.root_joints), :].mean(-2, keepdims=True)  # noqa: E731
            filled = input_as_refiner(inp)
            d1.append(np.linalg.norm(root(filled) - root(gt), axis=-1))
            d2.append(np.linalg.norm(root(ra(inp, fps=30.0, confidence=conf)) - root(rb(inp, fps=30.0, confidence=conf)),
                                     axis=-1))
        d1, d2 = np.concatenate(d1)[:, joints], np.concatenate(d2)[:, joints]  # (frames, J - roots)
        rows.append({"pair": label, "Pearson r (all)": _pearson(d1.ravel(), d2.ravel()),
                     "r of per-frame means": _pearson(d1.mean(1), d2.mean(1))})
        per_joint[label] = [_pearson(d1[:, k], d2[:, k]) for k in range(len(joints))]
    rep.table("Pearson r between Diff1 and Diff2", rows, digits=3)
    names = [sk.joints[j] for j in joints]
    rep.table("per joint", [{"joint": n, **{k: v[i] for k, v in per_joint.items()}} for i, n in enumerate(names)],
              digits=3)
    rep.figure("pearson_joints", bars_figure(names, per_joint, "Pearson r"), "Pearson r per joint")
    return rep
