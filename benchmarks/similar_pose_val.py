"""4-view models on the corpus validation split, fed each kind of input group (seed supplementary 2.7).

For every checkpoint (a 4-view SynSP), MPJPE / Accel of the person (the first view) on
the validation split (whole clips, ``validation_split``'s fixed noise) when the other 3
inputs are: nothing (the person alone), 3 more views of the same person with their own
errors (what ``synsp train`` validates on), windows of 3 other clips (random combination),
or the 3 most similar windows of the shipped pose bank (``synsp.grouping.SimilarPoseRefiner``).
This is how the similar-pose model was chosen and compared with the random-group model
before shipping it.

Run:  python benchmarks/similar_pose_val.py runs/synsp-h36m17-3d-w8-random4/best \\
          runs/synsp-h36m17-3d-w8-similar4/best [--split val] [--preset 3dpw-spin-like]
"""

from __future__ import annotations

import argparse
import sys
import time



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="+", help="4-view checkpoint stems or shipped model names")
    parser.add_argument("--split", default="val", choices=["val", "test"])
    parser.add_argument("--preset", default="3dpw-spin-like")
    parser.add_argument("--frames", type=int, default=10**9, help="at most this many frames (whole clips)")
    parser.add_argument("--seeds", type=int, default=1, help="noise seeds (0, 1000, ...)")
    parser.add_argument("--bank", default=None, help="pose bank .npz (default: the shipped one)")
    args = parser.parse_args(argv)

    from synsp.data.corpus import built_corpus_path
    from synsp.experiments.combinations import as_single_group as _as_single_group
    from synsp.experiments.combinations import first_view as _first_view
    from synsp.experiments.combinations import metrics_first_view as _metrics_first_view
    from synsp.experiments.common import seed_metrics as _metrics
    from synsp.grouping import SimilarPoseRefiner, load_bank
    from synsp.data.groups import combine_sequences, neighbour_groups
    from synsp.refiners import get_refiner
    from synsp.training import input_as_refiner, validation_split

    if not built_corpus_path().is_file():
        print("build the corpus first: synsp data build", file=sys.stderr)
        return 2
    same = [validation_split("h36m17", args.preset, args.frames, str(built_corpus_path()), seed=1000 * s,
                             split=args.split, views=4) for s in range(args.seeds)]
    random = [[(g, x, c) for (g, _, c), x in zip(clips, combine_sequences([x[:, 0] for _, x, _ in clips],
                                                                         neighbour_groups(len(clips), 4)))]
              for clips in same]
    alone = [[(g[:, 0], x[:, 0], c[:, 0]) for g, x, c in clips] for clips in same]
    bank = load_bank(args.bank)

    def cell(m: dict) -> str:
        return f"{m['mpjpe']:.2f} / {m['accel']:.2f}"

    frames = sum(len(g) for g, _, _ in same[0])
    print(f"{args.split} split, {frames} frames x {args.seeds} noise seed(s), {args.preset}; "
          f"bank {len(bank)} windows. MPJPE (mm) / Accel (mm/frame^2) of the person\n")
    print("| model | person alone | 4 views of the person | person + 3 other clips | person + 3 similar poses |")
    print("|---|---|---|---|---|")
    print(f"| input | {cell(_metrics(input_as_refiner, alone))} | | | |")
    for name in args.checkpoints:
        t0 = time.time()
        net = get_refiner(name)
        first = _first_view(net)
        cells = [cell(_metrics(_as_single_group(net), alone)), cell(_metrics_first_view(first, same)),
                 cell(_metrics_first_view(first, random)), cell(_metrics(SimilarPoseRefiner(net, bank), alone))]
        print(f"| {name} | " + " | ".join(cells) + f" |  <!-- {time.time() - t0:.0f} s -->", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
