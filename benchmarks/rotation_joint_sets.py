"""Rotations of a body with another joint count than SMPL's 24: what refines them when no model is named.

SMPL-H and SMPL-X bodies carry the first 22 of SMPL's joint rotations (no hand joints: their hands come
separately); no rotation model of synsp was trained on 22 joints.  This takes the robustness experiment's
rotation rows (clean input at 1x / 2x / 3x, the held-out error families at 2.5 and 7.5 degrees, the training
family), simulated on the 24 joints, and keeps the first ``--joints`` of every clip; each method then refines
``(T, joints, 3)`` axis-angles.  Mean geodesic angle in degrees (clean rows: what the method adds).  Joint
positions by forward kinematics need all 24 joints, so only angles are reported: on `rigid-shake` (the global
orientation alone jitters) the angle over all joints hardly sees the error; read that row in the 24-joint
table of docs/results.md instead.

Run:  python benchmarks/rotation_joint_sets.py [--joints 22] [--split test|val] [--methods a,b,...]
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--joints", type=int, default=22, help="keep the first N of SMPL's 24 joints (1..23)")
    parser.add_argument("--split", choices=("test", "val"), default="test")
    parser.add_argument("--frames", type=int, default=10**9, help="frames of the split (whole clips)")
    parser.add_argument("--methods", default="butterworth,kalman-rts,default",
                        help="rotation refiners; 'default': what synsp picks for that joint count")
    args = parser.parse_args(argv)
    if not 1 <= args.joints <= 23:
        parser.error("--joints must be 1..23 (24 joints: synsp benchmark --experiment robustness "
                     "--skeleton smpl24 --representation rotations)")

    import numpy as np

    from synsp.data.corpus import available_corpus_path
    from synsp.experiments.robustness import rotation_conditions
    from synsp.metrics import geodesic_error
    from synsp.rotations import refine_rotations, rotation_filter
    from synsp.training import input_as_rotations

    corpus = str(available_corpus_path())
    conds = [c for c in rotation_conditions(args.frames, corpus, split=args.split) if not c.name.startswith("preset")]
    if not conds or not conds[0].clips:
        print(f"the corpus has no {args.split} rotation clips: build it with `synsp data build`")
        return 2
    J = args.joints
    frames = sum(len(clip[0]) for clip in conds[0].clips)
    print(f"{args.split} split, {frames} frames in {len(conds[0].clips)} clips, the first {J} smpl24 joint rotations; "
          "mean geodesic angle (degrees); clean rows: added\n")
    print("| method | " + " | ".join(c.name for c in conds) + " |")
    print("|---" * (len(conds) + 1) + "|")
    for name in ["input"] + [m for m in args.methods.split(",") if m]:
        if name == "input":
            refine, label = input_as_rotations, "input"
        else:
            model = None if name == "default" else name
            refiner = rotation_filter(model, J)
            joints = getattr(getattr(refiner, "skeleton", None), "num_joints", None)
            if joints not in (None, J):
                print(f"| {name} | " + " | ".join("-" for _ in conds) + f" |  (takes {joints} joints only)")
                continue
            label = f"{refiner.name} (default)" if name == "default" else name
            refine = lambda x, refiner=refiner: refine_rotations(x, refiner, fps=30.0)  # noqa: E731
        cells = []
        for c in conds:
            errs = [(geodesic_error(refine(x[:, :J]), g[:, :J]), len(g)) for g, x, *_ in c.clips]
            cells.append(sum(e * n for e, n in errs) / sum(n for _, n in errs))
        print(f"| {label} | " + " | ".join(f"{v:.2f}" for v in cells) + " |", flush=True)
    print(f"\nreproduce: python benchmarks/rotation_joint_sets.py --joints {J} --split {args.split} "
          + (f"--frames {args.frames} " if args.frames != 10**9 else "") + f"--methods {args.methods}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
