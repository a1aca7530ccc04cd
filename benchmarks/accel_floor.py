"""How low can Accel go?  Linear smoothers at every setting against held-out error rows.

The generalisation goal asks for Accel (the error of the acceleration) at most 0.25x the input's on every
held-out error row.  At low levels of slow, body-correlated error (``rigid-shake`` and ``overshoot`` at 1 %
of the person's size) the input's own Accel is small, and a smoother that removes the error's acceleration
also removes some of the motion's.  This script sweeps the two classical smoothers over their whole range
(Butterworth's cut-off, Kalman-RTS's process noise, the shipped ``kalman-rts`` at 100: light to very
heavy) and prints, for each setting, what
it adds to clean motion and the MPJPE / Accel ratio it reaches on each row; networks given with --methods
get a row each.  If no setting reaches 0.25x on a row, that goal is out of reach for every method that
cannot tell this error from motion, however it is tuned.

A diagnostic on the validation split (the test split only to smoke-run it on the embedded corpus), the same
seeded errors as ``benchmarks/validation_robustness.py``.  MPJPE root-relative (mm), Accel in mm/frame^2.

Run:  python benchmarks/accel_floor.py [--frames 30000] [--rows rigid-shake:0.01,overshoot:0.01] [--methods a,b]
"""

from __future__ import annotations

import argparse
import sys

#: the sweeps: light to very heavy smoothing
CUTOFFS_HZ = (6.0, 4.0, 3.0, 2.0, 1.5, 1.0)
PROCESS_NOISES = (300.0, 100.0, 30.0, 10.0, 3.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=30000, help="validation-split frames (whole clips)")
    parser.add_argument("--split", choices=("val", "test"), default="val",
                        help="val (the point of this script); test only to smoke-run it on the embedded corpus")
    parser.add_argument("--rows", default="rigid-shake:0.01,overshoot:0.01,rigid-shake:0.03",
                        help="comma-separated FAMILY:LEVEL (level: RMS share of the person's size)")
    parser.add_argument("--methods", default="synsp-universal-w16",
                        help="comma-separated refiners added after the sweeps (filters, shipped models, paths)")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import FAMILIES, simulate_family
    from synsp.metrics import summarize
    from synsp.refiners import get_refiner
    from synsp.training import input_as_refiner

    rows = []
    for item in [r for r in args.rows.split(",") if r]:
        family, _, level = item.partition(":")
        try:
            value = float(level)
        except ValueError:
            value = -1.0
        if family not in FAMILIES or not 0 < value < 1:
            print(f"--rows {item!r}: expected FAMILY:LEVEL with a family of {sorted(FAMILIES)} and a level in (0, 1)")
            return 2
        rows.append((family, value))
    truths = [g for g, _ in split_positions("h36m17", args.split, "3d", args.frames, str(available_corpus_path()))]
    if not truths:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    metric = lambda preds: summarize(preds, truths, root_joints=(0,), scale=1000.0)  # noqa: E731
    inputs = {}
    for family, level in rows:
        xs = [input_as_refiner(simulate_family(g, family, skeleton="h36m17", fps=30.0, seed=11 + 7919 * i,
                                               level=level, depth_axis=2).pred) for i, g in enumerate(truths)]
        inputs[f"{family} {100 * level:g} %"] = (xs, metric(xs)["accel"])
    methods = ([f"butterworth:cutoff={c:g}" for c in CUTOFFS_HZ]
               + [f"kalman-rts:process_noise={q:g}" for q in PROCESS_NOISES]
               + [m for m in args.methods.split(",") if m])
    cmd = " ".join(["python benchmarks/accel_floor.py", *(sys.argv[1:] if argv is None else argv)])
    print(f"{'validation' if args.split == 'val' else 'test'} split, {sum(len(g) for g in truths)} frames in "
          f"{len(truths)} clips, h36m17 3D; clean: mm added; rows: MPJPE (mm) / Accel as a multiple of the input's")
    print("\n| method | clean | " + " | ".join(inputs) + " |")
    print("|---" * (len(inputs) + 2) + "|")
    print("| input | 0.00 | " + " | ".join(f"{metric(xs)['mpjpe']:.2f} / 1.00x" for xs, _ in inputs.values()) + " |")
    best = {name: (np.inf, "") for name in inputs}
    for method in methods:
        refiner = get_refiner(method)
        cells = [f"{metric([np.asarray(refiner(g, fps=30.0)) for g in truths])['mpjpe']:.2f}"]
        for name, (xs, accel) in inputs.items():
            m = metric([np.asarray(refiner(x, fps=30.0)) for x in xs])
            ratio = m["accel"] / accel
            if ratio < best[name][0]:
                best[name] = (ratio, method)
            cells.append(f"{m['mpjpe']:.2f} / {ratio:.2f}x")
        print(f"| {method} | " + " | ".join(cells) + " |", flush=True)
    print("\nlowest Accel ratio per row: " + "; ".join(f"{name}: {r:.2f}x ({m})" for name, (r, m) in best.items()))
    print(f"\nreproduce: {cmd}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
