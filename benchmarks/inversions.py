"""Left/right inversions and identity swaps: how much the whole-track repair restores, what it does
to refinement, and what it costs.

The measuring is :mod:`synsp.experiments.inversions` (the ``inversions`` experiment of
``synsp benchmark``; its docstring says what is measured); this script runs it with a chosen number
of frames, inversion rate and seed, for 3D (h36m17, 3dpw-spin-like errors) and 2D (coco17 through
the virtual cameras, mediapipe-like errors), and times the repair of one long track against the
default model's refinement of it.

``--online 0.05,1``: instead, the stream's repair (:class:`synsp.repair.OnlineRepair`, ``--delay`` frames
of delay, default 30) with each prior per relabelled frame, against the offline repair with the same prior:
inverted group-frames restored and other group-frames relabelled, on the same inputs.

Run:  python benchmarks/inversions.py [--frames 8000] [--rate 0.1] [--seed 0] [--cases 3d,2d]
                                      [--long-frames 108000]
      python benchmarks/inversions.py --cases 2d --online 0.05,1 [--delay 30]
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=8000,
                        help="test-split frames per case (whole clips; 0: only the timing)")
    parser.add_argument("--rate", type=float, default=0.1, help="share of the frames inverted")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", default="3d,2d", help="comma-separated: 3d (h36m17), 2d (coco17)")
    parser.add_argument("--long-frames", type=int, default=108_000, help="frames of the timed track (0: skip it)")
    parser.add_argument("--online", default=None, help="comma-separated priors: the stream's repair against offline")
    parser.add_argument("--delay", type=int, default=30, help="with --online: frames of delay")
    args = parser.parse_args(argv)
    if args.online:
        return _online(args)

    import torch

    from synsp.experiments import inversions as ib
    from synsp.reports import machine

    command = (f"python benchmarks/inversions.py --frames {args.frames} --rate {args.rate:g} --seed {args.seed} "
               f"--cases {args.cases} --long-frames {args.long_frames}")
    print(f"# reproduce: {command}  (torch threads: {torch.get_num_threads()})")
    print(f"# machine: {machine()}")
    if args.frames > 0:
        for name in args.cases.split(","):
            rep = ib.report(ib.CASES[name.strip()], frames=args.frames, rate=args.rate, seed=args.seed)
            rep.command = command
            print()
            print(rep.markdown())
    if args.long_frames > 0:
        t = ib.timing(args.long_frames)
        print("\n| long track | repair (s) | default model refinement (s) | repair / refinement |")
        print("|---|---|---|---|")
        print(f"| {t['frames']:,} x 17 (h36m17, 3D) | {t['repair']:.2f} | {t['refine']:.1f} | "
              f"{100 * t['repair'] / t['refine']:.1f} % |")
    return 0


def _online(args: argparse.Namespace) -> int:
    import numpy as np

    from synsp.experiments import inversions as ib
    from synsp.repair import OnlineRepair, repair_inversions

    print(f"# reproduce: python benchmarks/inversions.py --frames {args.frames} --rate {args.rate:g} --seed "
          f"{args.seed} --cases {args.cases} --online {args.online} --delay {args.delay}")
    print("\n| case | errors | prior | offline: restored / wrongly relabelled | online: restored / wrongly "
          "relabelled |")
    print("|---|---|---|---|---|")
    for name in args.cases.split(","):
        case = ib.CASES[name.strip()]
        gts = ib.clips(case, args.frames)
        for label, follow in ib.ORDERS:
            drawn = ib.draw(case, gts, follow, args.rate, args.seed)
            for prior in (float(v) for v in args.online.split(",")):
                cells = []
                for online in (False, True):
                    hit = total = wrong = 0
                    for d in drawn:
                        if online:
                            rep, out = OnlineRepair(case.skeleton, args.delay, flip_cost=prior), []
                            for t in range(len(d.pred)):
                                out += rep.push(d.pred[t], d.conf[t])
                            flipped = np.stack([f for _, f in out + rep.finish()])
                        else:
                            flipped = repair_inversions(d.pred, case.skeleton, d.conf, flip_cost=prior).flipped
                        hit += int((flipped & d.truth).sum())
                        total += int(d.truth.sum())
                        wrong += int((flipped & ~d.truth).sum())
                    cells.append(f"{100 * hit / max(total, 1):.1f} % of {total} / {wrong}")
                print(f"| {case.label} | {label} | {prior:g} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
