"""The rotation networks' stage for a global orientation jittering on its own
(``synsp.root_jitter.smooth_root_jitter``), with each frame's turn capped at several multiples of the root's
jitter level, on the same network output: ``none`` (no stage) and each cap (``inf``: no cap, the stage before
2026-12-06).

Two sets of input:
- default: the corpus split's SMPL-24 rotations at 30 fps, clean (1x / 2x / 3x) and under the held-out
  ``rigid-shake`` family at 2.5 and 7.5 degrees (the global orientation alone jitters); mean angle (degrees) /
  forward-kinematics MPJPE (mm), clean rows: added;
- ``--bvh FILE ...``: BVH takes at their own rate (60 / 120 fps), the first second dropped, white jitter of
  ``--root-levels`` degrees on the root's rotation alone; the root's mean angle error (degrees). A faster input
  is low-passed to the network's rate before it, so the gate and level are decided on the input as the network
  saw it (as ``synsp.rotations.RotationNetwork`` does).

Run:  python benchmarks/root_stage.py [--split val] [--variants none,inf,3,2,1.5]
      python benchmarks/root_stage.py --bvh ../shared/data/cmu_mocap/bvh_daz_aclstm/indian/06.bvh.gz ...
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("val", "test"), default="val")
    parser.add_argument("--frames", type=int, default=30000, help="corpus frames (whole clips)")
    parser.add_argument("--bvh", nargs="*", default=None, help="BVH takes instead of the corpus")
    parser.add_argument("--root-levels", default="1,3", help="--bvh: root jitter, degrees RMS, comma-separated")
    parser.add_argument("--max-frames", type=int, default=1200, help="--bvh: at most this many frames per take")
    parser.add_argument("--model", default="synsp-universal-w16-rot")
    parser.add_argument("--variants", default="none,inf,3,2,1.5,1")
    args = parser.parse_args(argv)

    import numpy as np
    from scipy.spatial.transform import Rotation

    from synsp.metrics import rotation_metrics
    from synsp.refiners import get_refiner
    from synsp.rotations import RotationNetwork

    try:
        caps = {v: None if v == "none" else float(v) for v in (v.strip() for v in args.variants.split(",")) if v}
    except ValueError:
        parser.error(f"--variants {args.variants!r}: expected none or numbers (inf for no cap)")
    net = RotationNetwork(get_refiner(args.model), smooth_root=False)

    def staged(out: np.ndarray, x: np.ndarray, fps: float, cap: float | None) -> np.ndarray:
        return out if cap is None else net.smooth_root_of(out, x, fps, cap=cap)  # as the refiner runs it

    if args.bvh is not None:
        from synsp.io.bvh import read

        rng = np.random.default_rng(0)
        takes = []
        for path in args.bvh:
            pf = read(path, rotations=True)
            start = int(round(pf.fps))
            takes.append((pf.tracks[0].keypoints[start:start + args.max_frames], pf.fps))
        print(f"{len(takes)} BVH takes ({sum(len(t) for t, _ in takes)} frames at "
              f"{', '.join(sorted({f'{f:g}' for _, f in takes}))} fps); the root's mean angle error (degrees)\n")
        print("| root jitter | input | " + " | ".join(caps) + " |")
        print("|---" * (len(caps) + 2) + "|")
        for level in [float(v) for v in args.root_levels.split(",") if v]:
            cells, weights = {k: [] for k in ["input", *caps]}, []
            for truth, fps in takes:
                x = truth.copy()
                delta = rng.normal(0.0, np.radians(level) / np.sqrt(3.0), (len(x), 3))
                x[:, 0] = (Rotation.from_rotvec(delta) * Rotation.from_rotvec(truth[:, 0])).as_rotvec()
                out = net(x, fps=fps)

                def root_error(y: np.ndarray) -> float:
                    rel = Rotation.from_rotvec(truth[:, 0]).inv() * Rotation.from_rotvec(y[:, 0])
                    return float(np.degrees(np.linalg.norm(rel.as_rotvec(), axis=-1)).mean())

                cells["input"].append(root_error(x))
                for name, cap in caps.items():
                    cells[name].append(root_error(staged(out, x, fps, cap)))
                weights.append(len(truth))
            w = np.array(weights, dtype=float) / sum(weights)
            print(f"| {level:g} deg | " + " | ".join(f"{float(np.dot(w, v)):.3f}" for v in cells.values()) + " |")
        print(f"\nreproduce: python benchmarks/root_stage.py --root-levels {args.root_levels} --max-frames "
              f"{args.max_frames} --model {args.model} --variants {args.variants} --bvh {' '.join(args.bvh)}")
        return 0

    from synsp.data.corpus import available_corpus_path
    from synsp.experiments.robustness import rotation_conditions

    conds = [c for c in rotation_conditions(args.frames, str(available_corpus_path()), split=args.split)
             if c.name.startswith(("clean", "rigid"))]
    if not conds or not conds[0].clips:
        print(f"the corpus has no {args.split} rotation clips: build it with `synsp data build`")
        return 2
    print(f"{args.split} split, smpl24 rotations at 30 fps; mean angle (degrees) / forward-kinematics MPJPE (mm); "
          "clean rows: added\n")
    print("| condition | " + " | ".join(caps) + " |")
    print("|---" * (len(caps) + 1) + "|")
    for cond in conds:
        truths, inputs = [c[0] for c in cond.clips], [c[1] for c in cond.clips]
        outs = [net(x, fps=30.0) for x in inputs]
        row = []
        for cap in caps.values():
            m = rotation_metrics([staged(o, x, 30.0, cap) for o, x in zip(outs, inputs)], truths)
            row.append(f"{m['angle']:.3f} / {m['mpjpe']:.2f}")
        print(f"| {cond.name} | " + " | ".join(row) + " |")
    print(f"\nreproduce: python benchmarks/root_stage.py --split {args.split} --frames {args.frames} --model "
          f"{args.model} --variants {args.variants}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
