"""Several synchronised views of one person (``synsp.refine(x, views=True)``): clean views, held-out error
families and a preset, per method.

The same world-frame motion of the corpus split seen ``--views`` times with independent errors
(:func:`synsp.training.validation_split` with ``views``); MPJPE (mm, root-relative) of every view's output
against the truth, averaged over views and frames; clean rows: what the method adds. Methods: the input, the
mean of the input views, that mean refined once by the universal model, the default (each view refined by the
universal model, then the views fused: ``synsp-universal-w16+view-mean``), the 4-view network
``synsp-h36m17-3d-w8-p4`` (the default before 2026-12-04) and any others named.

Run:  python benchmarks/multiview_robustness.py [--views 4] [--frames 3000] [--split test] [--methods a,b] [--speed]

``--speed``: instead, each method's frames per second on 9,000 frames of the views of 17 joints (torch's threads as
set, e.g. ``OMP_NUM_THREADS=2``).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

ROWS = (("clean", "mixed", 0.0), ("spiky 1 %", "spiky", 0.01), ("overshoot 2 %", "overshoot", 0.02),
        ("quantized 1 %", "quantized", 0.01), ("rigid-shake 3 %", "rigid-shake", 0.03),
        ("preset 3dpw-spin-like", "3dpw-spin-like", None))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--split", default="test", choices=["val", "test"])
    parser.add_argument("--methods", default="synsp-universal-w16+view-mean,synsp-h36m17-3d-w8-p4")
    parser.add_argument("--speed", action="store_true", help="time the methods instead")
    args = parser.parse_args(argv)
    if args.speed:
        return _speed(args)

    from synsp.data.corpus import available_corpus_path
    from synsp.api import UNIVERSAL_MODEL
    from synsp.refiners import get_refiner
    from synsp.training import validation_split

    corpus = str(available_corpus_path())
    conds = {name: validation_split("h36m17", preset, args.frames, corpus, views=args.views, split=args.split,
                                    level=level) for name, preset, level in ROWS}
    if not next(iter(conds.values())):
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`", file=sys.stderr)
        return 2

    def err(y: np.ndarray, truth: np.ndarray) -> float:
        rel = lambda a: a - a[..., :1, :]  # noqa: E731
        return 1000 * float(np.linalg.norm(rel(y) - rel(truth), axis=-1).mean())

    def mean_of_views(x: np.ndarray, fps: float) -> np.ndarray:
        return np.repeat(np.nanmean(x, axis=1, keepdims=True), x.shape[1], axis=1)

    default = get_refiner(UNIVERSAL_MODEL)

    def mean_then_refine(x: np.ndarray, fps: float) -> np.ndarray:  # one refine of the fused views
        return np.repeat(np.asarray(default(np.nanmean(x, axis=1, keepdims=True), fps=fps)), x.shape[1], axis=1)

    methods = {"input": lambda x, fps: x, "mean of the input views": mean_of_views,
               f"mean of the input views, then {UNIVERSAL_MODEL}": mean_then_refine}
    methods.update({name: get_refiner(name) for name in args.methods.split(",") if name})
    frames = sum(len(g) for g, _, _ in next(iter(conds.values())))
    print(f"{args.split} split, {frames} frames x {args.views} views (h36m17 3D, world frame); MPJPE (mm) of every "
          "view; clean rows: added\n")
    print("| method | " + " | ".join(conds) + " |")
    print("|---" * (len(conds) + 1) + "|")
    for name, refine in methods.items():
        cells = []
        for clips in conds.values():
            total = sum(err(np.where(np.isfinite(x), np.asarray(refine(x, fps=30.0)), g), g) * len(g)
                        for g, x, _ in clips)
            cells.append(total / sum(len(g) for g, _, _ in clips))
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in cells) + " |", flush=True)
    print(f"\nreproduce: python benchmarks/multiview_robustness.py --views {args.views} --frames {args.frames} "
          f"--split {args.split} --methods {args.methods}")
    return 0


def _speed(args) -> int:
    import time

    import torch

    from synsp.refiners import get_refiner

    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(0, 0.01, (9000, 1, 17, 3)), axis=0) + rng.normal(0, 0.01, (9000, args.views, 17, 3))
    print(f"9,000 frames x {args.views} views x 17 joints, {torch.get_num_threads()} threads\n")
    for name in args.methods.split(","):
        refine = get_refiner(name)
        refine(x[:200], fps=30.0)  # warm up
        start = time.perf_counter()
        refine(x, fps=30.0)
        print(f"{name}: {len(x) / (time.perf_counter() - start):,.0f} frames/s", flush=True)
    print(f"\nreproduce: python benchmarks/multiview_robustness.py --views {args.views} --methods {args.methods} --speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
