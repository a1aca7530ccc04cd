"""Similar-pose grouping by data source: does the pose bank's prior carry to motion from elsewhere?

The shipped pose bank holds windows of the corpus train split (mostly CMU mocap). This scores the
single-view default and the 4-view model with bank companions on the test split, per source.

Run:  python benchmarks/similar_pose_by_source.py [--preset 3dpw-spin-like]
"""

from __future__ import annotations

import argparse
import collections
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="3dpw-spin-like")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import built_corpus_path, load_corpus
    from synsp.metrics import summarize
    from synsp.noise import simulate
    from synsp.refiners import get_refiner
    from synsp.training import input_as_refiner

    if not built_corpus_path().is_file():
        print("build the corpus first: synsp data build", file=sys.stderr)
        return 2
    clips = sorted(load_corpus(built_corpus_path(), skeleton="h36m17", split="test", phases="first"),
                   key=lambda c: c.clip_id)
    methods = {"single-view default": get_refiner("synsp-h36m17-3d-w8"),
               "4-view model + 3 similar bank poses": get_refiner("synsp-h36m17-3d-w8-p4+similar-poses")}
    by_source: dict = collections.defaultdict(lambda: collections.defaultdict(list))
    for i, clip in enumerate(clips):  # the seeds of synsp.training.validation_split (seed 0)
        gt = clip.positions.astype(np.float64)
        sim = simulate(gt, args.preset, skeleton="h36m17", fps=clip.fps, seed=i)
        rows = by_source[clip.source]
        rows["gt"].append(gt)
        rows["input"].append(input_as_refiner(sim.pred))
        for name, refiner in methods.items():
            rows[name].append(refiner(sim.pred, fps=clip.fps, confidence=sim.confidence))
    print(f"# reproduce: python benchmarks/similar_pose_by_source.py --preset {args.preset}")
    print("| test clips from | frames | input | " + " | ".join(methods) + " |")
    print("|---|---|---|" + "---|" * len(methods))
    for source, rows in by_source.items():
        cells = []
        for name in ["input", *methods]:
            m = summarize(rows[name], rows["gt"], root_joints=(0,), scale=1000.0)
            cells.append(f"{m['mpjpe']:.1f} / {m['accel']:.2f}")
        print(f"| {source} | {sum(len(g) for g in rows['gt'])} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
