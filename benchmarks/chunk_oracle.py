"""Could a network gain from a smoother's output?  An oracle that picks the better of two refiners per chunk.

Where a network and a classical smoother (Kalman-RTS) are close, one might feed the smoother's output to the
network or switch between the two.  This script bounds what any such combination could gain: for every
chunk of --chunk frames it takes whichever of the two outputs is closer to the truth there (an oracle, which
no real method is), and prints it beside both methods and their plain mean.  If the oracle is only a few per
cent better than the better method, the smoother's output carries little the network lacks.

A diagnostic on the validation split (the test split only to smoke-run it on the embedded corpus), the same
seeded errors as ``benchmarks/validation_robustness.py``; MPJPE root-relative (mm), mean over frames.

Run:  python benchmarks/chunk_oracle.py [--frames 30000] [--chunk 16] [--methods synsp-universal-w16,kalman-rts]
"""

from __future__ import annotations

import argparse
import sys

#: (family, level) rows; the clean rows are played 2x and 3x faster
FAMILY_ROWS = (("spiky", 0.01), ("rigid-shake", 0.03), ("overshoot", 0.02), ("quantized", 0.01))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=30000, help="validation-split frames (whole clips)")
    parser.add_argument("--split", choices=("val", "test"), default="val",
                        help="val (the point of this script); test only to smoke-run it on the embedded corpus")
    parser.add_argument("--chunk", type=int, default=16, help="frames per oracle choice")
    parser.add_argument("--methods", default="synsp-universal-w16,kalman-rts",
                        help="exactly two refiners, comma-separated (filters, shipped models, paths)")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family
    from synsp.metrics import mpjpe, root_relative
    from synsp.refiners import get_refiner
    from synsp.training import input_as_refiner

    methods = [m for m in args.methods.split(",") if m]
    if len(methods) != 2 or args.chunk < 1:
        print(f"--methods {args.methods!r} --chunk {args.chunk}: expected two refiners and a chunk of at least 1 frame")
        return 2
    truths = [g for g, _ in split_positions("h36m17", args.split, "3d", args.frames, str(available_corpus_path()))]
    if not truths:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    rows = {f"clean {s}x": [(g[::s], g[::s]) for g in truths] for s in (2, 3)}
    for family, level in FAMILY_ROWS:
        rows[f"{family} {100 * level:g} %"] = [
            (g, simulate_family(g, family, skeleton="h36m17", fps=30.0, seed=11 + 7919 * i, level=level,
                                depth_axis=2).pred) for i, g in enumerate(truths)]
    a, b = (get_refiner(m) for m in methods)
    cmd = " ".join(["python benchmarks/chunk_oracle.py", *(sys.argv[1:] if argv is None else argv)])
    print(f"{'validation' if args.split == 'val' else 'test'} split, {sum(len(g) for g in truths)} frames in "
          f"{len(truths)} clips, h36m17 3D; MPJPE (mm); oracle: the better of the two per {args.chunk} frames")
    print(f"\n| errors | {methods[0]} | {methods[1]} | mean of both | oracle | oracle against the better |")
    print("|---|---|---|---|---|---|")
    for name, clips in rows.items():
        sums, frames = np.zeros(4), 0
        for g, x in clips:
            x = input_as_refiner(x)
            pa, pb = np.asarray(a(x, fps=30.0)), np.asarray(b(x, fps=30.0))
            # per frame, root-relative (joint 0), mm
            err = [1000.0 * mpjpe(root_relative(p, (0,)), root_relative(g, (0,))) for p in (pa, pb, (pa + pb) / 2)]
            starts = range(0, len(g), args.chunk)
            oracle = sum(min(err[0][s:s + args.chunk].sum(), err[1][s:s + args.chunk].sum()) for s in starts)
            sums += [e.sum() for e in err] + [oracle]
            frames += len(g)
        m = sums / frames
        print(f"| {name} | {m[0]:.2f} | {m[1]:.2f} | {m[2]:.2f} | {m[3]:.2f} | {m[3] / min(m[0], m[1]) - 1:+.1%} |",
              flush=True)
    print(f"\nreproduce: {cmd}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
