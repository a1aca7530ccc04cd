"""Zero-delay refiners side by side (validation split, simulated errors on real mocap).

Compares the causal SynSP model, the window models used causally (each frame
is the last frame of the refined window ending at it), One-Euro with both
default sets and a forward-only Kalman filter, on the same clips.

Run:  python benchmarks/causal.py [--preset 3dpw-spin-like]
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="3dpw-spin-like")
    parser.add_argument("--frames", type=int, default=6000, help="validation frames (whole clips)")
    args = parser.parse_args(argv)

    from synsp.data.corpus import built_corpus_path
    from synsp.refiners import get_refiner
    from synsp.evaluation import mpjpe_accel_table
    from synsp.training import input_as_refiner, validation_split

    if not built_corpus_path().is_file():
        print("build the corpus first: synsp data build", file=sys.stderr)
        return 2
    clips = validation_split("h36m17", args.preset, args.frames, str(built_corpus_path()))
    methods = [
        ("input", input_as_refiner),
        ("synsp-h36m17-3d-w8-causal", get_refiner("synsp-h36m17-3d-w8-causal")),
        ("synsp-h36m17-3d-w8 used causally", get_refiner("synsp-h36m17-3d-w8", causal=True)),
        ("synsp-h36m17-3d-w8-precise used causally", get_refiner("synsp-h36m17-3d-w8-precise", causal=True)),
        ("one-euro", get_refiner("one-euro")),
        ("one-euro-mmpose", get_refiner("one-euro-mmpose")),
        ("kalman", get_refiner("kalman")),
    ]
    print(f"# reproduce: python benchmarks/causal.py --preset {args.preset} --frames {args.frames}")
    print(mpjpe_accel_table(methods, clips).replace("| method |", "| zero-delay method |", 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
