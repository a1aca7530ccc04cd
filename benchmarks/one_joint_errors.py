"""Errors on one joint while the rest of the body is exact: does a refiner still remove them?

Real estimators often go wrong on one joint at a time (an occluded wrist, a mistaken ankle) while the rest of
the pose is right. A model trained only on errors spread over the whole body can learn that a window whose
other joints look clean is clean, and leave that one joint's error alone. This adds white noise to one joint
of every clip (each joint in turn, or ``--joint``), the rest exact, and reports the error of that joint before
and after each method: positions (h36m17, mm, ``--noise`` in mm) or SMPL rotations (smpl24 local rotations,
mean geodesic angle in degrees, ``--noise`` in degrees; joint 0 is the global orientation).

It is a diagnostic, not a held-out family: the training family ``mixed-local`` (errors on a few joints,
never the global orientation alone) has this structure.

Run:  python benchmarks/one_joint_errors.py [--representation positions|rotations] [--split val|test]
      [--joint N] [--noise 15] [--methods a,b,...]
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--representation", choices=("positions", "rotations"), default="rotations")
    parser.add_argument("--split", choices=("val", "test"), default="val")
    parser.add_argument("--frames", type=int, default=3000, help="frames of the split (whole clips)")
    parser.add_argument("--joint", type=int, default=None, help="only this joint (default: every joint in turn)")
    parser.add_argument("--noise", type=float, default=None,
                        help="RMS of the white noise: mm for positions (default 15), degrees for rotations (4)")
    parser.add_argument("--methods", default="kalman-rts,synsp-universal-w16,synsp-universal-w16-rot",
                        help="refiners (for rotations: rotation refiners)")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path, load_corpus
    from synsp.data.positions import split_positions
    from synsp.geometry import axis_angle_to_matrix, matrix_to_axis_angle
    from synsp.metrics import geodesic_error
    from synsp.refiners import get_refiner
    from synsp.rotations import rotation_filter

    corpus = str(available_corpus_path())
    rotations = args.representation == "rotations"
    noise = args.noise if args.noise is not None else (4.0 if rotations else 15.0)
    if rotations:
        clips, total = [], 0
        for clip in sorted(load_corpus(corpus, skeleton="h36m17", split=args.split, phases="first", rotations=True),
                           key=lambda c: c.clip_id):
            if total >= args.frames:
                break
            clips.append(clip.rotations.astype(np.float64))
            total += len(clips[-1])
    else:
        clips = [g for g, _ in split_positions("h36m17", args.split, "3d", args.frames, corpus)]
    if not clips:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    J = clips[0].shape[1]
    if args.joint is not None and not 0 <= args.joint < J:
        parser.error(f"--joint must be 0..{J - 1}")
    joints = [args.joint] if args.joint is not None else list(range(J))
    rng = np.random.default_rng(7)
    cases = []  # (joint, truth, noisy)
    for j in joints:
        for g in clips:
            x = g.copy()
            if rotations:
                d = rng.normal(0.0, np.radians(noise) / np.sqrt(3.0), (len(g), 3))
                x[:, j] = matrix_to_axis_angle(axis_angle_to_matrix(d) @ axis_angle_to_matrix(g[:, j]))
            else:
                x[:, j] += rng.normal(0.0, noise / 1000.0 / np.sqrt(3.0), (len(g), 3))
            cases.append((j, g, x))

    def error(y, g, j):
        return geodesic_error(y[:, j], g[:, j]) if rotations else 1000.0 * np.linalg.norm(y[:, j] - g[:, j], axis=-1).mean()

    unit = "degrees" if rotations else "mm"
    print(f"{args.split} split, {sum(len(g) for g in clips)} frames in {len(clips)} clips; white noise of "
          f"{noise:g} {unit} RMS on one joint, the others exact; that joint's mean error ({unit}), averaged over "
          f"{'joint ' + str(args.joint) if args.joint is not None else 'every joint in turn'}"
          + (" (and the global orientation, joint 0, alone)" if rotations and args.joint is None else ""))
    print("\n| method | noisy joint | others (added) |" + (" global orientation |" if rotations and args.joint is None else ""))
    print("|---|---|---|" + ("---|" if rotations and args.joint is None else ""))
    methods = ["input"] + [m for m in args.methods.split(",") if m]
    for name in methods:
        refiner = None if name == "input" else (rotation_filter(name) if rotations else get_refiner(name))
        hit, rest, root = [], [], []
        for j, g, x in cases:
            y = x if refiner is None else np.asarray(refiner(x, fps=30.0))
            hit.append(error(y, g, j))
            others = [k for k in range(J) if k != j]
            rest.append(np.mean([error(y, g, k) for k in others]))
            if j == 0:
                root.append(hit[-1])
        row = f"| {name} | {np.mean(hit):.2f} | {np.mean(rest):.2f} |"
        print(row + (f" {np.mean(root):.2f} |" if rotations and args.joint is None else ""), flush=True)
    extra = [f"--representation {args.representation}", f"--split {args.split}", f"--frames {args.frames}"]
    extra += ([f"--joint {args.joint}"] if args.joint is not None else []) + (
        [f"--noise {args.noise:g}"] if args.noise is not None else []) + [f"--methods {args.methods}"]
    print(f"\nreproduce: python benchmarks/one_joint_errors.py {' '.join(extra)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
