"""Where a learned refiner stands against the filters as the error grows: white jitter alone, and the held-out
``spiky`` family (white jitter plus single-frame outliers and brief inversions), each at several levels.

A diagnostic on the validation split (the test split only to smoke-run it on the embedded corpus): the
robustness experiment gives one or two levels per family; this sweep shows the crossing point, the level
below which a smoother tuned for about 1 cm of noise on slow motion (Kalman-RTS) is ahead of a network that
must also leave fast clean motion alone. Every clip gets its own seeded error draw, the same for every method.
MPJPE root-relative (mm in 3D), the mean over clips.

Run:  python benchmarks/noise_level_sweep.py [--frames 4000] [--levels 0.005,0.01,0.02] [--methods a,b,...]
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=4000, help="validation-split frames (whole clips)")
    parser.add_argument("--split", choices=("val", "test"), default="val",
                        help="val (the point of this script); test only to smoke-run it on the embedded corpus")
    parser.add_argument("--levels", default="0.005,0.01,0.02",
                        help="comma-separated RMS levels as a share of the person's size")
    parser.add_argument("--methods", default="kalman-rts,synsp-universal-w16",
                        help="comma-separated refiners: filters, shipped models or checkpoint paths")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import ErrorFamily, simulate_family
    from synsp.metrics import summarize
    from synsp.refiners import get_refiner

    levels = [float(v) for v in args.levels.split(",") if v]
    if not levels or not all(0 < v < 1 for v in levels):
        print(f"--levels {args.levels!r}: expected shares of the person's size in (0, 1), e.g. 0.005,0.01")
        return 2
    truths = [g for g, _ in split_positions("h36m17", args.split, "3d", args.frames, str(available_corpus_path()))]
    if not truths:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    methods = [m for m in args.methods.split(",") if m]
    refiners = {m: get_refiner(m) for m in methods}
    white = ErrorFamily("white", {"white": 1.0}, clean_fraction=0.0, description="white jitter alone")
    print(f"{'validation' if args.split == 'val' else 'test'} split, {sum(len(g) for g in truths)} frames in "
          f"{len(truths)} clips, h36m17 3D; MPJPE (mm), mean over clips")
    print("\n| errors | level | input | " + " | ".join(methods) + " |")
    print("|---" * (len(methods) + 3) + "|")

    def mpjpe(a: np.ndarray, g: np.ndarray) -> float:  # one clip, root-relative, mm
        return summarize([a], [g], root_joints=(0,), scale=1000.0)["mpjpe"]

    for name, family in (("white", white), ("spiky", "spiky")):
        for level in levels:
            sims = [simulate_family(g, family, skeleton="h36m17", fps=30.0, seed=100 + i, level=level)
                    for i, g in enumerate(truths)]
            cells = [np.mean([mpjpe(s.pred, g) for s, g in zip(sims, truths)])]
            for refiner in refiners.values():
                cells.append(np.mean([mpjpe(np.asarray(refiner(s.pred, fps=30.0, confidence=s.confidence)), g)
                                      for s, g in zip(sims, truths)]))
            print(f"| {name} | {100 * level:g} % | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    extra = ([f"--split {args.split}"] if args.split != "val" else []) + [f"--frames {args.frames}"]
    print(f"\nreproduce: python benchmarks/noise_level_sweep.py {' '.join(extra)} --levels {args.levels} "
          f"--methods {args.methods}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
