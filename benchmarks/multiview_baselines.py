"""Multi-view baselines: 4 synchronised world-frame views of one person with independent errors.

Compares, on a corpus split (default: test), the input, the single-view SynSP applied to
each view alone, the plain mean of the views, and the single-view SynSP per
view followed by the mean (what a multi-view refiner has to beat), plus any
multi-view checkpoints given.

Run:  python benchmarks/multiview_baselines.py [--views 4] [--checkpoints runs/.../best ...]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--preset", default="3dpw-spin-like")
    parser.add_argument("--checkpoints", nargs="*", default=[])
    parser.add_argument("--split", default="test", choices=["val", "test"])
    parser.add_argument("--frames", type=int, default=6000)
    args = parser.parse_args(argv)

    from synsp.data.corpus import built_corpus_path
    from synsp.refiners import get_refiner
    from synsp.evaluation import mpjpe_accel_table
    from synsp.training import input_as_refiner, validation_split

    if not built_corpus_path().is_file():
        print("build the corpus first: synsp data build", file=sys.stderr)
        return 2
    clips = validation_split("h36m17", args.preset, args.frames, str(built_corpus_path()), views=args.views,
                             split=args.split)
    single = get_refiner("synsp-h36m17-3d-w8")

    def mean_of(refine):
        def run(x, fps=None, confidence=None):
            out = refine(x, fps=fps, confidence=confidence)
            return np.repeat(out.mean(axis=1, keepdims=True), x.shape[1], axis=1)
        return run

    methods = [("input", input_as_refiner), ("single-view SynSP, each view alone", single),
               ("mean of the views", mean_of(input_as_refiner)),
               ("single-view SynSP per view, then the mean", mean_of(single))]
    methods += [(path, get_refiner(path)) for path in args.checkpoints]
    print(f"# reproduce: python benchmarks/multiview_baselines.py --views {args.views} --preset {args.preset} "
          f"--split {args.split} --frames {args.frames}"
          + (" --checkpoints " + " ".join(args.checkpoints) if args.checkpoints else ""))
    print(mpjpe_accel_table(methods, clips).replace("| method |", "| method |", 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
