"""Side-by-side comparison of refiners on the same data (the seed's Table 1, on real mocap).

:func:`compare` runs every refiner on the same clips of a corpus split, each
carrying the same simulated estimator errors (one draw per noise seed), and
reports SmoothNet-convention metrics (root-relative, millimetres, Accel per
frame² at 30 fps), the same on the hardest 1 % of frames (by input error), the
error on the 10 % of frames where the ground truth accelerates hardest
(over-smoothing), bone-length standard deviation, the latency written the
seed's way ("1+W": the estimator's own window plus the refiner's; the delay in
frames and milliseconds at the data's rate, each refiner's own ``delay``, see
:class:`synsp.filters.base.Refiner`) and the throughput measured in the same run.
Values are the mean over noise seeds, with the standard deviation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from .metrics import refine_clips, summarize
from .refiners import FunctionRefiner, get_refiner
from .skeletons import get_skeleton
from .training import evaluate_refiner, input_as_refiner, validation_split

#: one line per method as :func:`compare` starts it (``synsp benchmark`` prints them to stderr)
log = logging.getLogger("synsp.benchmark")

__all__ = ["Row", "compare", "markdown_table", "mpjpe_accel_table"]

#: PCK thresholds of 2D tables (fractions of the larger side of the truth's joint box, the thresholds
#: Sub-JHMDB evaluations report; pooled over frames, where they average per sequence over the annotated box)
PCK_THRESHOLDS = (0.05, 0.1, 0.2)
METRICS = ("mpjpe", "pa_mpjpe", "accel", "mpjpe_hardest", "accel_hardest", "mpjpe_fast", "bone_std",
           *(f"pck@{t:g}" for t in PCK_THRESHOLDS))


@dataclass
class Row:
    method: str
    preset: str
    mean: dict[str, float]
    std: dict[str, float]
    window: int
    delay_frames: int
    fps_throughput: float
    input: bool = False  #: the input row (the estimator's output, no refiner)


#: the input row: the estimator's output as it is (missing joints interpolated), no look-ahead
INPUT = FunctionRefiner(input_as_refiner, name="input", delay=0, window=1)


def compare(methods: list[str], presets: list[str], seeds: list[int], split: str = "test",
            skeleton: str = "h36m17", frames: int = 10**9, corpus: str | None = None,
            data_fps: float = 30.0, representation: str = "3d", sets: dict[str, list] | None = None,
            predictions: dict | None = None) -> list[Row]:
    """Rows of every method (after the input) per preset; 3D in mm, ``representation="2d"`` in pixels
    (each clip seen through a seeded virtual camera).

    ``sets``: for a preset, the (gt, input, confidence) clips of each seed when the caller has drawn
    them already (the same ones :func:`validation_split` would draw); ``predictions``: filled with
    ``{(preset, method): [prediction per clip of the first seed]}``.
    """
    sk = get_skeleton(skeleton)
    rows = []
    began = time.perf_counter()
    for preset in presets:
        if not (sets or {}).get(preset):
            log.info("%s: drawing %d seed(s) of test clips with simulated errors", preset, len(seeds))
        per_seed = (sets or {}).get(preset) or [
            validation_split(skeleton, preset, frames, corpus, seed=1000 * s, split=split,
                             representation=representation) for s in seeds]
        inputs = [[input_as_refiner(inp) for _, inp, _ in clips] for clips in per_seed]  # NaN filled
        for i, method in enumerate(["input", *methods], 1):
            log.info("%s: method %d/%d %s (%.0f s so far)", preset, i, len(methods) + 1, method,
                     time.perf_counter() - began)
            refiner = INPUT if i == 1 else get_refiner(method)
            window, delay = int(refiner.window), int(refiner.delay)  # delay: WHOLE_SEQUENCE (-1) or >= 0
            results, seconds, n_frames = [], 0.0, 0
            for k, clips in enumerate(per_seed):
                run = refine_clips(refiner, clips, data_fps)
                seconds += run.seconds
                n_frames += run.frames
                results.append(summarize(run.preds, run.gts, inputs=inputs[k],
                                         root_joints=sk.root_joints, parents=sk.parents, scale=run.scale,
                                         pck_thresholds=PCK_THRESHOLDS if representation == "2d" else None))
                if predictions is not None and k == 0:
                    predictions[(preset, method)] = run.preds
            rows.append(Row(
                method=method, preset=preset,
                mean={k: float(np.mean([r[k] for r in results])) for k in METRICS if k in results[0]},
                std={k: float(np.std([r[k] for r in results])) for k in METRICS if k in results[0]},
                window=window, delay_frames=delay,
                fps_throughput=n_frames / seconds if seconds > 0 else float("inf"), input=refiner is INPUT,
            ))
    return rows


def markdown_table(rows: list[Row], data_fps: float = 30.0) -> str:
    head = ("| preset | method | latency | MPJPE | PA-MPJPE | Accel | MPJPE hardest 1 % | Accel hardest 1 % "
            "| MPJPE fast 10 % | bone std | frames/s |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        def cell(k: str, digits: int = 1, r: Row = r) -> str:
            return f"{r.mean[k]:.{digits}f} ± {r.std[k]:.{digits}f}" if r.std[k] >= 0.05 else f"{r.mean[k]:.{digits}f}"

        if r.input:
            latency = "1"
        elif r.delay_frames < 0:
            latency = "offline (whole sequence)"
        else:
            latency = f"1+{r.window} ({r.delay_frames} f, {1000 * r.delay_frames / data_fps:.0f} ms)"
        lines.append(f"| {r.preset} | {r.method} | {latency} | {cell('mpjpe')} | {cell('pa_mpjpe')} | "
                     f"{cell('accel', 2)} | {cell('mpjpe_hardest')} | {cell('accel_hardest', 2)} | "
                     f"{cell('mpjpe_fast')} | {cell('bone_std')} | {r.fps_throughput:,.0f} |")
    return "\n".join(lines)


def mpjpe_accel_table(methods: list[tuple[str, object]], clips, skeleton: str = "h36m17") -> str:
    """A Markdown table of MPJPE and Accel for named refiners on the same (gt, input, confidence) clips."""
    lines = ["| method | MPJPE | Accel |", "|---|---|---|"]
    for name, refiner in methods:
        r = evaluate_refiner(refiner, clips, skeleton)
        lines.append(f"| {name} | {r['mpjpe']:.1f} | {r['accel']:.2f} |")
    return "\n".join(lines)
