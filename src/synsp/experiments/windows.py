"""``windows``: Table 3 of the seed, window length 8, 16 and 32 (non-shipped windows from the runs folder)."""

from __future__ import annotations

from ..reports import Report
from ..training import input_as_refiner
from .common import DEFAULT, Context, find_network, metrics_row, new_figure, seed_metrics


def windows(ctx: Context) -> Report:
    sets, preset, runs = ctx.sets, ctx.preset, ctx.runs
    rep = Report("windows", f"Table 3: window length ({preset})", "")
    base = seed_metrics(input_as_refiner, sets)
    rows, curve = [metrics_row({"window": "input"}, base, base)], []
    for w, path in ((8, DEFAULT), (16, runs / "synsp-h36m17-3d-w16" / "best"), (32, runs / "synsp-h36m17-3d-w32" / "best")):
        net = find_network(path)
        if net is None:
            rep.notes.append(f"- W = {w}: no checkpoint at {path} (train it with `synsp train --window {w} ...`)")
            continue
        m = seed_metrics(net, sets)
        rows.append(metrics_row({"window": w}, m, base))
        curve.append((w, m["mpjpe"], m["accel"]))
    rep.table("SynSP (small) at each window, same recipe", rows)
    if len(curve) > 1:
        rep.figure("windows", _curve_figure(curve, base), "MPJPE and Accel against the window length")
    return rep


def _curve_figure(curve, base):
    fig = new_figure(7, 3)
    ax1, ax2 = fig.subplots(1, 2)
    w = [c[0] for c in curve]
    ax1.plot(w, [c[1] for c in curve], "o-", label="SynSP")
    ax1.axhline(base["mpjpe"], color="grey", ls="--", label="input")
    ax2.plot(w, [c[2] for c in curve], "o-")
    ax2.axhline(base["accel"], color="grey", ls="--")
    for ax, what in ((ax1, "MPJPE (mm)"), (ax2, "Accel (mm/frame²)")):
        ax.set_xlabel("window (frames)")
        ax.set_ylabel(what)
        ax.set_xticks(w)
    ax1.legend()
    return fig
