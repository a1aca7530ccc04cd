"""``comparison``: Table 1 of the seed, every refiner side by side (:func:`synsp.evaluation.compare`),
with the error over time on the hardest clip and per joint.
"""

from __future__ import annotations

import numpy as np

from ..evaluation import compare
from ..reports import Report
from ..skeletons import get_skeleton
from .common import Context, bars_figure, new_figure


def comparison(ctx: Context) -> Report:
    rep = Report("comparison", f"Table 1: refiners side by side ({ctx.preset})", "")
    predictions: dict = {}
    rows = compare(ctx.methods, [ctx.preset], list(range(ctx.seeds)), frames=ctx.frames, corpus=ctx.corpus,
                   skeleton=ctx.skeleton, representation=ctx.representation, sets={ctx.preset: ctx.sets},
                   predictions=predictions)
    unit = "px" if ctx.representation == "2d" else "mm"
    table = []
    spread = ctx.seeds > 1  # one seed: no spread column (it would be all zeros)
    for r in rows:
        latency = ("1" if r.method == "input" else "offline (whole sequence)" if r.delay_frames < 0
                   else f"1+{r.window} ({r.delay_frames} f, {1000 * r.delay_frames / 30:.0f} ms)")
        table.append({"method": r.method, "latency": latency, "MPJPE": r.mean["mpjpe"],
                      **({"±": r.std["mpjpe"]} if spread else {}),
                      "PA-MPJPE": r.mean["pa_mpjpe"], "Accel": r.mean["accel"], **({"± ": r.std["accel"]} if spread else {}),
                      "MPJPE hardest 1 %": r.mean["mpjpe_hardest"], "Accel hardest 1 %": r.mean["accel_hardest"],
                      "MPJPE fast 10 %": r.mean["mpjpe_fast"], "bone std": r.mean["bone_std"],
                      **{f"PCK@{k[4:]} %": v for k, v in r.mean.items() if k.startswith("pck@")},
                      # the input is not computed: no throughput (it printed millions of frames/s)
                      "frames/s": "-" if r.method == "input" else round(r.fps_throughput)})
    rep.table(f"{ctx.skeleton} {ctx.representation.upper()}: MPJPE/PA-MPJPE in {unit}, Accel in {unit}/frame^2 "
              f"(30 fps); " + (f"mean and spread over {ctx.seeds} noise seeds" if spread else "one noise seed"), table)
    _comparison_figures(rep, ctx, unit, {method: preds for (_, method), preds in predictions.items()})
    return rep


def _comparison_figures(rep: Report, ctx: Context, unit: str, predictions: dict[str, list]) -> None:
    """Error over time on the hardest clip, and per-joint error bars, from the methods' predictions on
    the first noise seed's clips."""
    sk = get_skeleton(ctx.skeleton)
    scale = 1.0 if ctx.representation == "2d" else 1000.0
    clips = ctx.sets[0]
    root = lambda x: x - x[..., list(sk.root_joints), :].mean(-2, keepdims=True)  # noqa: E731
    joint_err = lambda p, g: scale * np.linalg.norm(root(p) - root(g), axis=-1)  # (T, J)  # noqa: E731
    names = ["input", *ctx.methods]
    errors = {n: [joint_err(pred, gt) for pred, (gt, _, _) in zip(predictions[n], clips)] for n in names}
    hardest = int(np.argmax([e.mean() for e in errors["input"]]))
    shown = [n for n in names if n == "input" or n.startswith(("synsp", "smoothnet", "deciwatch", "hanet")) or "/" in n]
    shown += [min((n for n in names if n not in shown), key=lambda n: np.concatenate(errors[n]).mean(), default=None)]
    fig = new_figure(10, 3.5)
    ax = fig.subplots()
    t = np.arange(len(clips[hardest][0])) / 30.0
    for n in filter(None, shown):
        ax.plot(t, errors[n][hardest].mean(-1), lw=0.8 if n == "input" else 1.4, label=n)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"MPJPE ({unit})")
    ax.set_title(f"hardest test clip by input error ({ctx.preset}, noise seed 0)")
    ax.legend(fontsize=8)
    rep.figure("comparison_time", fig, "MPJPE over time on the hardest clip, with and without refinement")
    per_joint = {n: list(np.concatenate(errors[n]).mean(0)) for n in filter(None, shown)}
    rep.figure("comparison_joints", bars_figure(list(sk.joints), per_joint, f"MPJPE ({unit})"),
               "MPJPE per joint")
