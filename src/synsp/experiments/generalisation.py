"""``generalisation``: trained on one simulated estimator, tested on every other (a matrix)."""

from __future__ import annotations

from ..reports import Report
from ..training import input_as_refiner
from .common import DEFAULT, Context, find_network, seed_metrics, test_sets


GENERALISATION_PRESETS = ("h36m-fcn-like", "3dpw-spin-like", "vibe-like")


def generalisation(ctx: Context) -> Report:
    """Train on one simulated estimator, test on every other: MPJPE change from the input per cell."""
    rep = Report("generalisation", "Generalisation: trained on one error preset, tested on each", "")
    rep.notes.append("- Rows: the training preset (`bash benchmarks/train_generalisation.sh`: the paper's "
                     "architecture, the first default's recipe, one preset each; `all three mixed` is that "
                     "architecture on the three presets mixed, `runs/ablations/full`). Columns: the test preset. "
                     "Cells: MPJPE / Accel and the MPJPE change from the input; the diagonal is in-distribution.")
    folder = ctx.runs / "generalisation"
    trained = [(p, find_network(folder / p / "best")) for p in GENERALISATION_PRESETS]
    trained = [(p, n) for p, n in trained if n is not None]
    full = find_network(ctx.runs / "ablations" / "full" / "best")  # same architecture, the three presets mixed
    trained += [("all three mixed", full)] if full is not None else []
    trained += [("all three mixed (shipped default, refine_branches)", find_network(DEFAULT))]
    if len(trained) <= 2:
        rep.notes.append(f"- no single-preset checkpoints in {folder}; only the shipped model's row is shown")
    sets = {p: ctx.sets if p == ctx.preset else test_sets(p, ctx.seeds, ctx.frames, ctx.corpus)
            for p in GENERALISATION_PRESETS}
    inputs = {p: seed_metrics(input_as_refiner, sets[p]) for p in GENERALISATION_PRESETS}
    rows = [{"trained on": "input (no refinement)",
             **{p: f"{inputs[p]['mpjpe']:.1f} / {inputs[p]['accel']:.2f}" for p in GENERALISATION_PRESETS}}]
    for train_preset, net in trained:
        row = {"trained on": train_preset}
        for p in GENERALISATION_PRESETS:
            m = seed_metrics(net, sets[p])
            row[p] = f"{m['mpjpe']:.1f} / {m['accel']:.2f} ({100 * (m['mpjpe'] / inputs[p]['mpjpe'] - 1):+.1f} %)"
        rows.append(row)
    rep.table("MPJPE (mm) / Accel (mm/frame^2) on each test preset", rows)
    return rep
