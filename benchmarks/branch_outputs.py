"""The seed's Table 2: SynSP's Position Branch, Acceleration Branch and final outputs, next to the input.

Each shipped SynSP model refines the corpus test split (simulated estimator
errors on real mocap, several noise seeds) once per output; the window
average and every other step are the same.

Run:  python benchmarks/branch_outputs.py [--preset 3dpw-spin-like] [--seeds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="3dpw-spin-like")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--models", default="synsp-h36m17-3d-w8,synsp-h36m17-3d-w8-precise")
    args = parser.parse_args(argv)

    from synsp.data.corpus import built_corpus_path
    from synsp.models.checkpoint import load_model
    from synsp.refiners import NetworkRefiner, shipped_models
    from synsp.training import evaluate_refiner, input_as_refiner, validation_set

    corpus = str(built_corpus_path()) if built_corpus_path().is_file() else None
    sets = [validation_set("h36m17", args.preset, 10**9, corpus, seed=1000 * s, split="test")
            for s in range(args.seeds)]
    print(f"# reproduce: python benchmarks/branch_outputs.py --preset {args.preset} --seeds {args.seeds}")
    print(f"# corpus test split ({'built corpus' if corpus else 'embedded'}), simulated '{args.preset}' errors")
    print("| model | output | MPJPE | PA-MPJPE | Accel |")
    print("|---|---|---|---|---|")
    rows = [("-", "input", input_as_refiner)]
    for name in args.models.split(","):
        model, card = load_model(shipped_models()[name])
        for output in ("position", "acceleration", "final"):
            rows.append((name, output, NetworkRefiner(model, dataclasses.replace(card, output=output))))
    for name, output, refiner in rows:
        results = [evaluate_refiner(refiner, clips, "h36m17") for clips in sets]
        mean = {k: float(np.mean([r[k] for r in results])) for k in ("mpjpe", "pa_mpjpe", "accel")}
        label = {"position": "Position Branch", "acceleration": "Acceleration Branch",
                 "final": "final (refinement stage)", "input": "input"}[output]
        print(f"| {name} | {label} | {mean['mpjpe']:.1f} | {mean['pa_mpjpe']:.1f} | {mean['accel']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
