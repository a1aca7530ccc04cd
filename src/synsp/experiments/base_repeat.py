"""``base-repeat``: section 2.5 of the seed, the refinement stage against running the base stage again."""

from __future__ import annotations

from ..reports import Report
from ..training import input_as_refiner
from .common import DEFAULT, Context, find_network, metrics_row, seed_metrics, with_output


def base_repeat(ctx: Context) -> Report:
    sets, preset = ctx.sets, ctx.preset
    rep = Report("base-repeat", f"Section 2.5: refinement stage vs repeating the base stage ({preset})", "")
    net = find_network(DEFAULT)
    ab = with_output(net, "acceleration")
    base = seed_metrics(input_as_refiner, sets)
    rows = [metrics_row({"variant": "input"}, base, base),
            metrics_row({"variant": "base stage (Acceleration Branch), averaged"}, seed_metrics(ab, sets), base),
            metrics_row({"variant": "base stage twice (again on its averaged output)"},
                        seed_metrics(lambda x, fps=None, confidence=None: ab(ab(x, fps=fps, confidence=confidence),
                                                                             fps=fps), sets), base),
            metrics_row({"variant": "base + refinement stage (SynSP)"}, seed_metrics(net, sets), base)]
    rep.table(f"the shipped {DEFAULT}", rows)
    return rep
