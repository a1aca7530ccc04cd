"""BVH joint rotations refined and written back (``synsp refine dance.bvh -o clean.bvh``): what each method
does to the rotations of real motion-capture rigs, clean and with jitter added.

Every file is read as rotations (:func:`synsp.io.bvh.read` with ``rotations=True``: the local rotations of
the joints with three rotation channels), its first second dropped (retargeted CMU takes often start in a
rest pose and jump), and at most ``--frames`` frames kept. Conditions: the clean rotations, and each rotation
composed with white jitter of ``--levels`` degrees RMS (``R exp(delta)``, ``delta`` Gaussian, independent
per joint and frame); ``--root-levels``: the same jitter on the root's rotation alone (a body-model regressor's
wobbling global orientation; the file's first rotating joint). Methods through
:func:`synsp.rotations.refine_rotations` (``default``: the rotation model synsp uses for the
file). Errors: the mean geodesic angle to the true rotation over the rotating
joints (degrees) and the mean distance of the joints from their true place by forward kinematics with the
true root path (mm, the file's units taken as centimetres, root-relative); clean rows: what the method adds.

Run:  python benchmarks/bvh_rotations.py [--files A.bvh B.bvh.gz ...] [--levels 1,3] [--root-levels 1,3]
      [--methods butterworth,default]
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

import numpy as np

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "cmu_mocap")
DEFAULT_FILES = ("bvh_daz_aclstm/indian/04.bvh.gz", "bvh_daz_aclstm/martial/05.bvh.gz",
                 "bvh_daz_aclstm/salsa/01.bvh.gz", "bvh_cc_retarget/005/*_01.bvh*", "bvh_cc_retarget/007/*_02.bvh*")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", nargs="*", default=None, help="BVH files (default: five CMU takes on two rigs "
                        "from ../shared/data/cmu_mocap)")
    parser.add_argument("--frames", type=int, default=1200, help="at most this many frames per file")
    parser.add_argument("--levels", default="1,3", help="white jitter, degrees RMS, comma-separated")
    parser.add_argument("--root-levels", default="", help="white jitter on the root's rotation alone, degrees RMS")
    parser.add_argument("--methods", default="butterworth,kalman-rts,default")
    args = parser.parse_args(argv)

    from scipy.spatial.transform import Rotation

    from synsp.io.bvh import read, read_bvh
    from synsp.kinematics import forward_kinematics
    from synsp.rotations import refine_rotations, rotation_filter

    files = args.files or sorted(f for pattern in DEFAULT_FILES for f in glob.glob(os.path.join(DATA, pattern)))
    if not files:
        print("no BVH file found: give --files", file=sys.stderr)
        return 2
    levels = [float(v) for v in args.levels.split(",") if v]
    methods = [m for m in args.methods.split(",") if m]
    clips = []
    for path in files:
        pf = read(path, rotations=True)
        m, rotating = read_bvh(path), pf.meta["rotating"]  # the motion for forward kinematics
        start = int(round(pf.fps))
        keep = slice(start, start + args.frames)
        clips.append((os.path.relpath(path, DATA) if path.startswith(DATA) else path, pf.fps, m, rotating,
                      keep, pf.tracks[0].keypoints[keep]))
    rng = np.random.default_rng(0)

    def jittered(rotvec: np.ndarray, level: float, root_only: bool = False) -> np.ndarray:
        delta = rng.normal(0.0, np.radians(level) / np.sqrt(3.0), rotvec.shape)
        if root_only:
            delta[:, 1:] = 0.0
        r = Rotation.from_rotvec(rotvec.reshape(-1, 3)) * Rotation.from_rotvec(delta.reshape(-1, 3))
        return r.as_rotvec().reshape(rotvec.shape)

    conditions = {"clean": [c[5] for c in clips]}
    for level in levels:
        conditions[f"white {level:g} deg"] = [jittered(c[5], level) for c in clips]
    for level in [float(v) for v in args.root_levels.split(",") if v]:
        conditions[f"root {level:g} deg"] = [jittered(c[5], level, root_only=True) for c in clips]

    def errors(clip, rotvec: np.ndarray) -> tuple[float, float]:
        _, _, m, rotating, keep, truth = clip
        rel = Rotation.from_rotvec(truth.reshape(-1, 3)).inv() * Rotation.from_rotvec(rotvec.reshape(-1, 3))
        angle = float(np.degrees(np.linalg.norm(rel.as_rotvec(), axis=-1)).mean())
        local = m.local_rotations[keep].copy()
        T = len(local)
        pos = []
        for rv in (truth, rotvec):
            local[:, rotating] = Rotation.from_rotvec(rv.reshape(-1, 3)).as_matrix().reshape(T, -1, 3, 3)
            p, _ = forward_kinematics(local, m.offsets, m.parents, m.root_translation[keep])
            pos.append(p - p[:, :1])
        return angle, float(np.linalg.norm(pos[0] - pos[1], axis=-1).mean() * 10.0)

    rigs = sorted({f"{len(c[3])} rotating joints at {c[1]:g} fps" for c in clips})
    print(f"{len(clips)} BVH files ({sum(len(c[5]) for c in clips)} frames; {'; '.join(rigs)}); mean angle error "
          "(degrees) / forward-kinematics joint error (mm, root-relative); clean: added\n")
    print("| method | " + " | ".join(conditions) + " | frames/s |")
    print("|---" * (len(conditions) + 2) + "|")
    for name in ["input"] + methods:
        model = None if name == "default" else name
        label = f"default ({rotation_filter(None, len(clips[0][3])).name})" if name == "default" else name
        cells, speed = [], float("nan")
        for cond, inputs in conditions.items():
            start = time.perf_counter()
            outs = [x if name == "input" else refine_rotations(x, model=model, fps=c[1]) for c, x in zip(clips, inputs)]
            if cond == "clean" and name != "input":
                speed = sum(len(x) for x in inputs) / (time.perf_counter() - start)
            errs = np.array([errors(c, y) for c, y in zip(clips, outs)])
            weights = np.array([len(c[5]) for c in clips], dtype=float)
            mean = (errs * weights[:, None]).sum(axis=0) / weights.sum()
            cells.append(f"{mean[0]:.3f} / {mean[1]:.2f}")
        print(f"| {label} | " + " | ".join(cells) + f" | {speed:.0f} |", flush=True)
    print(f"\nreproduce: python benchmarks/bvh_rotations.py --frames {args.frames} --levels {args.levels} "
          + (f"--root-levels {args.root_levels} " if args.root_levels else "") + f"--methods {args.methods}"
          + (f" --files {' '.join(args.files)}" if args.files else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
