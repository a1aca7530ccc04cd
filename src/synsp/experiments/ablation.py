"""``ablation``: components switched off one at a time, and the lambda_a/lambda_p loss ratio
(checkpoints of ``benchmarks/train_ablations.sh``).
"""

from __future__ import annotations

from typing import Any

from ..reports import Report
from ..refiners import shipped_models
from ..training import input_as_refiner
from .common import Context, find_network, metrics_row, seed_metrics


ABLATIONS = (
    ("refinement stage reads both branches, corrects their mean (the shipped default before its fine-tuning)",
     "refine-branches"),
    ("paper's refinement stage (over the Acceleration Branch features)", "full"),
    ("  - without Pose Quality Encoding", "no-pqe"),
    ("  - without the global encoder", "no-global-encoder"),
    ("  - shared base decoder (official code)", "shared-decoder"),
    ("plain transformer, same size", "plain"),
)
RATIOS = (("0.5", "ratio-0.5"), ("1", "synsp-h36m17-3d-w8-precise"), ("5", "ratio-5"), ("50", "full"))


def ablation(ctx: Context) -> Report:
    sets, preset, ablation_runs = ctx.sets, ctx.preset, ctx.runs / "ablations"
    rep = Report("ablation", f"Component ablation and loss ratio ({preset})", "")
    rep.notes.append("- Every model: the same recipe and seed with one change (`bash benchmarks/train_ablations.sh`; "
                     "`full` is the first shipped default, `refine-branches` the second; the shipped default is "
                     "`refine-branches` fine-tuned 3 more epochs at lambda_a/lambda_p = 80, so not in this table). "
                     "The indented rows remove one component from the paper's architecture. The loss-ratio sweep "
                     "uses the paper's architecture. The similarity cue needs several views, so its ablation "
                     "belongs to the multi-view setting and is not in this single-view table.")
    base = seed_metrics(input_as_refiner, sets)

    def rows(column: str, entries) -> list[dict[str, Any]]:
        """A row per (label, run) whose checkpoint exists: a shipped model or a run of ``runs/ablations``."""
        out = []
        for label, run in entries:
            where = run if run in shipped_models() else ablation_runs / run / "best"
            net = find_network(where)
            if net is None:
                rep.notes.append(f"- {label}: no checkpoint at {where}, skipped")
                continue
            out.append(metrics_row({column: label}, seed_metrics(net, sets), base))
        return out

    rep.table("components (lambda_a/lambda_p = 50)", [metrics_row({"variant": "input"}, base, base)]
              + rows("variant", ABLATIONS))
    rep.table("loss ratio sweep", rows("lambda_a / lambda_p", RATIOS))
    return rep
