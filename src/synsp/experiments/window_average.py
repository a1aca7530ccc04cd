"""``window-average``: section 2.6 of the seed, stride-1 window averaging (SWAA) against
non-overlapping windows.
"""

from __future__ import annotations

from ..reports import Report
from ..training import input_as_refiner
from .common import DEFAULT, Context, find_network, metrics_row, seed_metrics


def window_average(ctx: Context) -> Report:
    sets, preset = ctx.sets, ctx.preset
    rep = Report("window-average", f"Section 2.6: window averaging (SWAA) accuracy and time ({preset})", "")
    base = seed_metrics(input_as_refiner, sets)
    rows = [metrics_row({"windows": "input"}, base, base)]
    for label, stride in (("non-overlapping (stride W)", 8), ("stride 4, averaged", 4), ("stride 1, averaged (SWAA)", 1)):
        rows.append(metrics_row({"windows": label}, seed_metrics(find_network(DEFAULT, stride=stride), sets), base))
    rep.table(f"the shipped {DEFAULT}: accuracy (the seed: -27.1 % MPJPE, -45.4 % Accel for stride 1 vs "
              "non-overlapping)", rows)
    rep.notes.append("- The time of the window average against the per-frame loop is measured by "
                     "`python benchmarks/swaa.py` (the loop, the official conv2d trick and synsp side by side).")
    return rep
