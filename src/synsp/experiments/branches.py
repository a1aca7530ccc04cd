"""``branches``: Table 2 of the seed, the Position Branch, the Acceleration Branch and the final output."""

from __future__ import annotations

from ..reports import Report
from ..training import input_as_refiner
from .common import Context, find_network, metrics_row, seed_metrics, with_output


def branches(ctx: Context) -> Report:
    sets, preset = ctx.sets, ctx.preset
    rep = Report("branches", f"Table 2: SynSP's branch outputs ({preset})", "")
    base = seed_metrics(input_as_refiner, sets)
    rows = [metrics_row({"model": "-", "output": "input"}, base, base)]
    for name in ctx.models:
        net = find_network(name)
        if net is None:
            rep.notes.append(f"- {name}: not found, skipped")
            continue
        for output, label in (("position", "Position Branch"), ("acceleration", "Acceleration Branch"),
                              ("final", "final (refinement stage)")):
            rows.append(metrics_row({"model": name, "output": label}, seed_metrics(with_output(net, output), sets),
                                    base))
    rep.table("outputs of the same trained models, window-averaged the same way", rows)
    return rep
