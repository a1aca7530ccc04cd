"""What refiners do to input that has no error: noise-free mocap (corpus test split) refined as it is.

A refiner trained on estimator output has learned corrections; on perfect input they are pure
error. This prints the MPJPE / Accel each method adds to clean clips, positions and SMPL rotations.

Run:  python benchmarks/clean_input.py [--frames 6000]
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=6000, help="test-split frames (whole clips)")
    args = parser.parse_args(argv)

    import synsp
    from synsp.data.corpus import available_corpus_path, load_corpus
    from synsp.metrics import summarize
    from synsp.metrics import rotation_metrics
    from synsp.rotations import refine_rotations

    corpus = available_corpus_path()
    clips = sorted(load_corpus(corpus, skeleton="h36m17", split="test", phases="first", rotations=True),
                   key=lambda c: c.clip_id)
    keep, total = [], 0
    for c in clips:
        if total >= args.frames:
            break
        keep.append(c)
        total += len(c.positions)
    print(f"# reproduce: python benchmarks/clean_input.py --frames {args.frames}  ({total} clean test frames)")
    print("| data | method | MPJPE added (mm) | Accel (mm/frame^2) | angle added (deg) |")
    print("|---|---|---|---|---|")
    gts = [c.positions.astype(float) for c in keep]
    for method in ("synsp-universal-w16", "synsp-h36m17-3d-w8", "synsp-h36m17-3d-w8-precise", "smoothnet-h36m17-3d-w8",
                   "butterworth"):
        out = [synsp.refine(g, model=method, fps=30) for g in gts]
        m = summarize(out, gts, root_joints=(0,), scale=1000.0)
        print(f"| h36m17 positions | {method} | {m['mpjpe']:.1f} | {m['accel']:.2f} | - |")
    rots = [c.rotations.astype(float) for c in keep]
    for method in ("synsp-smpl24-rot-w8", "butterworth", "kalman-rts"):
        out = [refine_rotations(r, method, fps=30) for r in rots]
        m = rotation_metrics(out, rots)
        print(f"| smpl24 rotations | {method} | {m['mpjpe']:.1f} | {m['accel']:.2f} | {m['angle']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
