"""Track parts shorter than a network's window: refined in one edge-padded window, or left as they are?

Detectors and trackers cut a person's track where they lose them; ``synsp refine`` refines each part alone.  A
network refines a part shorter than its window as one window padded with the part's last frame
(``synsp.refiners.NetworkRefiner``), from ``NetworkRefiner.min_frames`` frames on.  This script measures what that
does: the test split's clips (one phase per take) cut into parts of each length (at most ``--parts`` of them,
seeded), with no error (clean: what refining adds) and under the held-out error families at 1 % of the person's
size (``synsp.error_families``), refined by each method; mean joint error in mm (3D, h36m17, metres) or px (2D,
coco17 through the evaluation cameras), or degrees for ``--rotations`` (smpl24 axis-angles, the families at 2.5
degrees).  ``input``: the part as it is (what ``synsp refine`` did before 2026-12-05 for parts shorter than the
window).

Run:  python benchmarks/short_parts.py [--representation 3d|2d] [--lengths 4,6,8,10,12,15] [--parts 300]
      [--methods input,default,synsp-universal-w8,kalman-rts,butterworth]
      python benchmarks/short_parts.py --rotations [--lengths 4,8,12] [--methods input,default,kalman-rts]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--representation", choices=("3d", "2d"), default="3d")
    parser.add_argument("--rotations", action="store_true", help="smpl24 joint rotations instead of positions")
    parser.add_argument("--lengths", default="4,6,8,10,12,15", help="part lengths in frames, comma-separated")
    parser.add_argument("--parts", type=int, default=300, help="at most this many parts per length")
    parser.add_argument("--frames", type=int, default=8000, help="test-split frames to cut the parts from")
    parser.add_argument("--methods", default=None,
                        help="comma-separated: input, default, filters, shipped models (default: see Run)")
    args = parser.parse_args(argv)

    import synsp
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family
    from synsp.experiments.robustness import _rotation_truths
    from synsp.rotations import refine_rotations, rotation_filter

    rot = args.rotations
    methods = (args.methods or ("input,default,kalman-rts" if rot else
                                "input,default,synsp-universal-w8,kalman-rts,butterworth")).split(",")
    lengths = [int(v) for v in args.lengths.split(",")]
    command = (f"python benchmarks/short_parts.py {'--rotations' if rot else f'--representation {args.representation}'}"
               f" --lengths {args.lengths} --parts {args.parts} --frames {args.frames} --methods {','.join(methods)}")
    print(f"# reproduce: {command}")
    if rot:
        truths = [t for t, _ in _rotation_truths(args.frames, None, "test")]
        skeleton, level, unit = "smpl24", 2.5, "degrees"
    else:
        skeleton = "h36m17" if args.representation == "3d" else "coco17"
        truths = [g for g, _ in split_positions(skeleton, "test", args.representation, args.frames)]
        level, unit = 0.01, "mm" if args.representation == "3d" else "px"
    families = ("spiky", "rigid-shake", "overshoot", "quantized")
    conditions: dict[str, list[np.ndarray]] = {"clean": truths}
    for fam in families:
        conditions[f"{fam} {level * 100:g} %" if not rot else f"{fam} {level:g} deg"] = [
            simulate_family(g, fam, skeleton=skeleton, fps=30.0, seed=i, level=level,
                            representation="rotations" if rot else "positions").pred for i, g in enumerate(truths)]

    if rot:
        from scipy.spatial.transform import Rotation

        filters = {m: rotation_filter(None if m == "default" else m, 24) for m in methods if m != "input"}

        def refined(x: np.ndarray, method: str) -> np.ndarray:
            return x if method == "input" else refine_rotations(x, filters[method], fps=30.0)

        def error(y: np.ndarray, truth: np.ndarray) -> float:
            rel = Rotation.from_rotvec(truth.reshape(-1, 3)).inv() * Rotation.from_rotvec(y.reshape(-1, 3))
            return float(np.degrees(np.linalg.norm(rel.as_rotvec(), axis=-1)).mean())
    else:
        scale = 1000.0 if args.representation == "3d" else 1.0

        def refined(x: np.ndarray, method: str) -> np.ndarray:
            return x if method == "input" else synsp.refine(
                x, model=None if method == "default" else method, fps=30.0, skeleton=skeleton, repair=False)

        def error(y: np.ndarray, truth: np.ndarray) -> float:
            return float(np.linalg.norm(y - truth, axis=-1).mean() * scale)

    rng = np.random.default_rng(0)
    print(f"{sum(len(t) for t in truths)} test-split frames in {len(truths)} clips ({skeleton}"
          f"{', rotations' if rot else ', ' + args.representation.upper()}); mean error ({unit}) of the parts, "
          "clean: added\n")
    for length in lengths:
        cuts = [(i, s) for i, g in enumerate(truths) for s in range(0, len(g) - length, max(length, 40))]
        cuts = [cuts[k] for k in rng.choice(len(cuts), min(args.parts, len(cuts)), replace=False)]
        print(f"**{length} frames** ({len(cuts)} parts)\n")
        print("| condition | " + " | ".join(methods) + " |")
        print("|---" * (len(methods) + 1) + "|")
        for name, inputs in conditions.items():
            cells = [np.mean([error(refined(inputs[i][s:s + length], m), truths[i][s:s + length]) for i, s in cuts])
                     for m in methods]
            print(f"| {name} | " + " | ".join(f"{c:.2f}" for c in cells) + " |", flush=True)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
