"""Which clips a method wins: per clip of the validation split, its speed and each method's MPJPE under one
held-out error family at one level, then the slower and the faster half of the clips.

A diagnostic for the rows where the default trails a smoother (e.g. ``spiky 1 %`` against Kalman-RTS): a
network that must leave fast clean motion alone may correct less where the motion is fast, whatever the
error. Speed: the mean speed of the joints about the root (mm/s). MPJPE root-relative, mm; the halves are
frame-weighted means. The test split only to smoke-run it on the embedded corpus.

Run:  python benchmarks/error_by_speed.py [--family spiky] [--level 0.01] [--methods kalman-rts,synsp-universal-w16]
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", default="spiky", help="an error family (synsp.error_families)")
    parser.add_argument("--level", type=float, default=0.01, help="its RMS level, a share of the person's size")
    parser.add_argument("--frames", type=int, default=30000, help="validation-split frames (whole clips)")
    parser.add_argument("--split", choices=("val", "test"), default="val")
    parser.add_argument("--methods", default="kalman-rts,synsp-universal-w16",
                        help="comma-separated refiners: filters, shipped models or checkpoint paths")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family
    from synsp.metrics import summarize
    from synsp.refiners import get_refiner

    truths = [g for g, _ in split_positions("h36m17", args.split, "3d", args.frames, str(available_corpus_path()))]
    if not truths:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    methods = [m for m in args.methods.split(",") if m]
    refiners = [get_refiner(m) for m in methods]
    rows = []
    for i, g in enumerate(truths):  # the seeds of benchmarks/validation_robustness.py: the same error draws
        x = simulate_family(g, args.family, skeleton="h36m17", fps=30.0, seed=11 + 7919 * i, level=args.level,
                            depth_axis=2).pred
        rel = g - g[:, :1]
        speed = float(np.linalg.norm(np.diff(rel, axis=0), axis=-1).mean() * 30.0 * 1000.0)
        errors = [summarize([np.asarray(r(x, fps=30.0))], [g], root_joints=[0], scale=1000.0)["mpjpe"]
                  for r in refiners]
        rows.append((speed, len(g), *errors))
    rows.sort()
    table = np.array(rows)
    print(f"{'validation' if args.split == 'val' else 'test'} split, {int(table[:, 1].sum())} frames in "
          f"{len(rows)} clips, h36m17 3D, {args.family} {100 * args.level:g} %; MPJPE (mm)\n")
    print("| speed (mm/s) | frames | " + " | ".join(methods) + " |")
    print("|---" * (len(methods) + 2) + "|")
    for row in rows:
        print(f"| {row[0]:.0f} | {row[1]} | " + " | ".join(f"{e:.2f}" for e in row[2:]) + " |")
    slow = np.arange(len(rows)) < len(rows) // 2  # the rows are sorted by speed
    for name, part in (("slower half", slow), ("faster half", ~slow), ("all", np.ones_like(slow))):
        if not part.any():
            continue
        means = [np.average(table[part, 2 + k], weights=table[part, 1]) for k in range(len(methods))]
        print(f"| **{name}** | {int(table[part, 1].sum())} | " + " | ".join(f"{m:.2f}" for m in means) + " |")
    print(f"\nreproduce: python benchmarks/error_by_speed.py --family {args.family} --level {args.level:g} "
          f"--frames {args.frames}" + (f" --split {args.split}" if args.split != "val" else "")
          + f" --methods {args.methods}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
