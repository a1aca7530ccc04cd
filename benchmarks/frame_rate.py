"""Input at another rate than the model's 30 fps (24 / 25 fps film and video, 60 fps video, 120 fps motion
capture): the corpus split played at ``--rates`` frames per second, clean and under held-out error families,
per method (h36m17 3D, or with ``--representation 2d`` COCO-17 through the seeded virtual cameras, in px).

The 30 fps clips of the split are brought to each rate by band-limited resampling
(``scipy.signal.resample_poly``, padded by a line through each end: the same motion, smooth between the frames),
the errors are simulated at
that rate (:func:`synsp.error_families.simulate_family` with its ``fps``), and every method gets the rate
(``refiner(x, fps=rate)``; the networks run above their 30 fps at 30 fps: :func:`synsp.timeseries.to_lower_rate`
on the way there, :func:`synsp.timeseries.to_higher_rate` on the way back; from 10 fps up to 30 at the input's
own rate, frame for frame: :data:`synsp.refiners.NATIVE_SLOWDOWN`). A method named ``NAME@30`` is told the
network's 30 fps whatever the rate (the network on the frames as they are, the stage after it at 30 fps). MPJPE
in mm, root-relative, h36m17 3D (px for 2D); clean rows: what the method adds.

Run:  python benchmarks/frame_rate.py [--split val] [--frames 8000] [--rates 60,120] [--methods a,b]
      [--representation 2d]
"""

from __future__ import annotations

import argparse
from fractions import Fraction

ROWS = (("clean", "mixed", 0.0), ("spiky 1 %", "spiky", 0.01), ("rigid-shake 1 %", "rigid-shake", 0.01),
        ("overshoot 2 %", "overshoot", 0.02), ("quantized 1 %", "quantized", 0.01),
        ("rigid-shake 3 %", "rigid-shake", 0.03))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("val", "test"), default="test")
    parser.add_argument("--frames", type=int, default=8000, help="frames of the split at 30 fps (whole clips)")
    parser.add_argument("--rates", default="60,120", help="frame rates (fps), comma-separated")
    parser.add_argument("--methods", default="kalman-rts,butterworth,synsp-universal-w16")
    parser.add_argument("--representation", choices=("3d", "2d"), default="3d")
    args = parser.parse_args(argv)

    import numpy as np
    import scipy.signal

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family
    from synsp.metrics import summarize
    from synsp.refiners import get_refiner

    from synsp.skeletons import get_skeleton

    two_d = args.representation == "2d"
    skeleton, depth, scale, unit = ("coco17", None, 1.0, "px") if two_d else ("h36m17", 2, 1000.0, "mm")
    root = get_skeleton(skeleton).root_joints
    truths = [g for g, _ in split_positions(skeleton, args.split, args.representation, args.frames,
                                            str(available_corpus_path()))]
    if not truths:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    rates = [int(r) for r in args.rates.split(",") if r]
    if any(not 10 <= r <= 240 for r in rates):
        print("--rates: whole frame rates from 10 to 240 fps")
        return 2
    methods = [m for m in args.methods.split(",") if m]
    refiners = {"input": None, **{m: get_refiner(m.removesuffix("@30")) for m in methods}}
    for rate in rates:
        up, down = Fraction(rate, 30).numerator, Fraction(rate, 30).denominator
        # padded by a line through the ends: with zeros (scipy's default) a clip brought below 30 fps ended in a
        # body falling hundreds of mm toward the origin, which the truth then held (2026-12-07)
        gts = [scipy.signal.resample_poly(g, up, down, axis=0, padtype="line") for g in truths]
        print(f"\n{'validation' if args.split == 'val' else 'test'} split at {rate} fps "
              f"({sum(len(g) for g in gts)} frames in {len(gts)} clips), {skeleton} {args.representation.upper()}; "
              f"MPJPE ({unit}), clean: added\n")
        print("| method | " + " | ".join(r[0] for r in ROWS) + " |")
        print("|---" * (len(ROWS) + 1) + "|")
        inputs = [[simulate_family(g, family, skeleton=skeleton, fps=float(rate), seed=11 + 7919 * i, level=level,
                                   depth_axis=depth).pred for i, g in enumerate(gts)] for _, family, level in ROWS]
        for name, refine in refiners.items():
            told = 30.0 if name.endswith("@30") else float(rate)
            cells = [summarize([x if refine is None else np.asarray(refine(x, fps=told)) for x in xs], gts,
                               root_joints=root, scale=scale)["mpjpe"] for xs in inputs]
            print(f"| {name} | " + " | ".join(f"{c:.2f}" for c in cells) + " |", flush=True)
    print(f"\nreproduce: python benchmarks/frame_rate.py --split {args.split} --frames {args.frames} "
          f"--rates {args.rates} --methods {args.methods}" + (" --representation 2d" if two_d else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
