"""The default's stage for a body turning jerkily as a whole (``synsp.root_jitter.smooth_rigid_jitter``), its
variants side by side on the same network output: without it, as it was before 2026-12-06 (no limit on each
frame's turn, smoothed across cuts), and with each frame's turn capped at a multiple of the input rotation's
jitter level. Rows: clean input at 1x / 2x / 3x speed (MPJPE added) and the held-out rigid-shake family at 1 %
and 3 % (MPJPE), root-relative, mm in 3D and px in 2D. The network runs once per input; only the stage differs.

Run:  python benchmarks/rigid_stage.py [--split val] [--representation 2d] [--corpus user.npz --skeleton NAME]
      [--variants none,inf:nocut,1,1.5,2] [--frames 30000]

A variant is ``none`` (no stage), or a cap (a number or ``inf``) with ``:nocut`` to smooth across cuts too.
"""

from __future__ import annotations

import argparse
import math


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--representation", choices=("3d", "2d"), default="3d")
    parser.add_argument("--skeleton", default="h36m17", help="joint set of the corpus (default h36m17)")
    parser.add_argument("--corpus", default=None, help="a corpus file (synsp data import) instead of the built one")
    parser.add_argument("--split", choices=("val", "test", "train", "all"), default="val",
                        help="all: every clip (a corpus of your own)")
    parser.add_argument("--frames", type=int, default=30000, help="whole clips up to this many frames")
    parser.add_argument("--model", default="synsp-universal-w16", help="a universal model (shipped name or path)")
    parser.add_argument("--variants", default="none,inf:nocut,1,1.5,2,3")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family
    from synsp.metrics import summarize
    from synsp.refiners import NetworkRefiner, get_refiner
    from synsp.root_jitter import MAX_TURN_DEG_S, smooth_rigid_jitter
    from synsp.skeletons import get_skeleton

    variants = {}
    for v in (v.strip() for v in args.variants.split(",") if v.strip()):
        if v == "none":
            variants[v] = None
            continue
        cap, _, cut = v.partition(":")
        try:
            variants[v] = (float(cap), math.inf if cut == "nocut" else MAX_TURN_DEG_S)
        except ValueError:
            parser.error(f"variant {v!r}: expected none, a number, inf, or one of them with :nocut")
        if cut not in ("", "nocut"):
            parser.error(f"variant {v!r}: expected none, a number, inf, or one of them with :nocut")
    corpus = str(args.corpus or available_corpus_path())
    split = None if args.split == "all" else args.split
    truths = [g for g, _ in split_positions(args.skeleton, split, args.representation, args.frames, corpus)]
    if not truths:
        print(f"the corpus has no {args.split} clips of {args.skeleton}")
        return 2
    model = get_refiner(args.model)
    if not isinstance(model, NetworkRefiner):
        print(f"{args.model} is not a network")
        return 2
    net = NetworkRefiner(model.model, model.card, smooth_rigid=False)
    root = get_skeleton(args.skeleton).root_joints
    two_d = args.representation == "2d"
    scale, unit = (1.0, "px") if two_d else (1000.0, "mm")
    rows = [("clean", None, 1), ("clean 2x", None, 2), ("clean 3x", None, 3), ("rigid-shake 1 %", 0.01, 1),
            ("rigid-shake 3 %", 0.03, 1)]
    table = {"input": []} | {v: [] for v in variants}
    for _, level, speed in rows:
        gts = [g[::speed] for g in truths if len(g[::speed]) >= 16]
        xs = gts if level is None else [
            np.asarray(simulate_family(g, "rigid-shake", skeleton=args.skeleton, fps=30.0, seed=11 + 7919 * i,
                                       level=level, depth_axis=None if two_d else 2).pred) for i, g in enumerate(gts)]
        outs = [np.asarray(net(x, fps=30.0)) for x in xs]
        table["input"].append(summarize(xs, gts, root_joints=root, scale=scale)["mpjpe"])
        for v, params in variants.items():
            preds = outs if params is None else [
                smooth_rigid_jitter(o, 30.0, gate_from=x, cap=params[0], max_turn_deg_s=params[1])
                for o, x in zip(outs, xs)]
            table[v].append(summarize(preds, gts, root_joints=root, scale=scale)["mpjpe"])
    print(f"{args.split} clips, {sum(len(g) for g in truths)} frames in {len(truths)} clips, {args.skeleton} "
          f"{args.representation}, {args.model}'s network then the stage; MPJPE ({unit}), clean rows: added\n")
    print("| stage | " + " | ".join(r[0] for r in rows) + " |")
    print("|---" * (len(rows) + 1) + "|")
    for name, cells in table.items():
        print(f"| {name} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    extra = [f"--split {args.split}", f"--representation {args.representation}", f"--skeleton {args.skeleton}"]
    extra += [f"--corpus {args.corpus}"] if args.corpus else []
    extra += [f"--frames {args.frames}", f"--model {args.model}", f"--variants {args.variants}"]
    print(f"\nreproduce: python benchmarks/rigid_stage.py {' '.join(extra)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
