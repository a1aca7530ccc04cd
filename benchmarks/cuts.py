"""Cuts (``synsp.cuts``): what a jump to another shot, place or person costs every method when it is smoothed
over, what refining each side alone saves, how often the detector finds it, and how often it fires where
there is none.

1. **Joined clips.**  Pairs of the split's clips, 5 s of each (``--seconds``), joined at a cut of one of three kinds:
   ``elsewhere`` (the second clip 0.5-1.5 person sizes away, in 2D also 0.6-1.5x the size: another camera),
   ``same place`` (the second clip moved onto the first one's last root position: another pose, no jump of
   the body), ``same take`` (the same clip, a second or more later: a cut inside one recording).  Clean, and
   with the held-out ``spiky`` family at 1 % on top (MPJPE against the truth).  Per method, cuts off / on
   (``synsp.refine(..., cuts=)``): MPJPE over the 1 s around the cut and over the whole joined sequence
   (mm in 3D, px in 2D; clean rows: what the method adds), and the share of cuts found at their frame.
2. **False alarms.**  Cuts found (with the skeleton's left/right pairs, as ``synsp.refine`` uses them) on the
   split's clips, clean at 1x / 2x / 3x speed and under every error family and preset.

3. ``--bvh FILE ...``: BVH takes, clean, refined as ``synsp refine`` refines them (the default, through
   ``synsp.api.refine_pose_file``) as joint rotations and as joint positions, cuts off / on: the takes where a
   cut is found (a rest pose in front of the take), and what refining adds over their first 0.2 s and over
   the first ``--max-frames`` frames (degrees of every joint's rotation; mm of every joint).

Run:  python benchmarks/cuts.py [--representation 2d] [--split train|val|test] [--part joined|alarms|both]
                                [--methods a,b,...] [--pairs 18] [--seconds 5]
      python benchmarks/cuts.py --bvh ../shared/data/cmu_mocap/bvh_*/*/*.bvh.gz
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--representation", choices=("3d", "2d"), default="3d")
    parser.add_argument("--split", choices=("train", "val", "test"), default="test")
    parser.add_argument("--part", choices=("joined", "alarms", "both"), default="both",
                        help="section 1 (joined clips), 2 (false alarms) or both")
    parser.add_argument("--methods", default="synsp-universal-w16,kalman-rts,butterworth")
    parser.add_argument("--pairs", type=int, default=18, help="joined pairs per kind of cut")
    parser.add_argument("--frames", type=int, default=30000, help="split frames (whole clips)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of each clip on either side of a cut")
    parser.add_argument("--bvh", nargs="*", default=None, help="BVH takes instead of the corpus")
    parser.add_argument("--max-frames", type=int, default=480, help="--bvh: the first frames of each take")
    args = parser.parse_args(argv)
    cmd = " ".join(["python benchmarks/cuts.py", *(sys.argv[1:] if argv is None else argv)])
    if args.bvh is not None:
        return _bvh(args, cmd)

    import numpy as np

    import synsp
    from synsp.cuts import find_cuts
    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import FAMILIES, simulate_family
    from synsp.noise import PRESETS, simulate
    from synsp.skeletons import get_skeleton

    two_d = args.representation == "2d"
    sk = "coco17" if two_d else "h36m17"
    skeleton = get_skeleton(sk)  # its pairs, each limb group's inversion no cut, as synsp.refine judges
    corpus = str(available_corpus_path())
    clips = [g for g, _ in split_positions(sk, args.split, args.representation, args.frames, corpus)]
    if len(clips) < 2:
        print(f"the corpus has fewer than 2 {args.split} clips: build it with `synsp data build`")
        return 2
    scale, unit = (1.0, "px") if two_d else (1000.0, "mm")
    depth = None if two_d else 2
    fps = 30.0
    n = max(15, int(round(args.seconds * fps)))
    rng = np.random.default_rng(0)
    long = [c for c in clips if len(c) >= 2 * n]
    if not long:
        print(f"no {args.split} clip is {2 * n} frames long: pass a shorter --seconds")
        return 2
    size = lambda g: float(np.ptp(g[0], axis=0).max())  # noqa: E731

    def joined(kind):
        a = long[rng.integers(len(long))]
        ta = int(rng.integers(n, len(a) - n + 1))
        A = a[ta - n:ta]
        if kind == "same take":
            tb = int(rng.integers(0, len(a) - n + 1))
            while abs(tb - ta) < 30:
                tb = int(rng.integers(0, len(a) - n + 1))
            return A, a[tb:tb + n]
        b = clips[rng.integers(len(clips))]
        tb = int(rng.integers(0, max(1, len(b) - n + 1)))
        B = b[tb:tb + n]
        B = B - B[0].mean(0) + A[-1].mean(0)
        if kind == "elsewhere":
            direction = rng.normal(size=A.shape[-1])
            B = B + direction / np.linalg.norm(direction) * rng.uniform(0.5, 1.5) * size(A)
            if two_d:
                B = (B - B[0].mean(0)) * rng.uniform(0.6, 1.5) + B[0].mean(0)
        return A, B

    methods = args.methods.split(",")
    print(f"command: {cmd}")
    print(f"{args.split} split, {args.representation}, {args.pairs} joined pairs per kind, {n} frames each side; "
          f"MPJPE {unit}: 1 s around the cut / the whole sequence, cuts off -> on")
    print()
    if args.part != "alarms":
        print("| cut | input | found | " + " | ".join(methods) + " |")
        print("|---|---|---|" + "---|" * len(methods))
    for kind in ("elsewhere", "same place", "same take") if args.part != "alarms" else ():
        pairs = [joined(kind) for _ in range(args.pairs)]
        for noisy in (False, True):
            found, cells = 0, {m: np.zeros((2, 2)) for m in methods}
            inp = np.zeros(2)
            for i, (A, B) in enumerate(pairs):
                truth = np.concatenate([A, B])
                x = truth
                if noisy:
                    x = np.concatenate([simulate_family(part, "spiky", skeleton=sk, fps=fps, seed=2 * i + k, level=0.01,
                                                        depth_axis=depth).pred for k, part in enumerate((A, B))])
                near = slice(n - 15, n + 15)
                err = lambda y: np.array([np.linalg.norm(y[near] - truth[near], axis=-1).mean(),  # noqa: E731
                                          np.linalg.norm(y - truth, axis=-1).mean()]) * scale
                inp += err(x)
                found += list(find_cuts(x, fps, skeleton=skeleton)) == [n]
                for m in methods:
                    for k, on in enumerate((False, True)):
                        cells[m][k] += err(synsp.refine(x, model=m, fps=fps, skeleton=sk, cuts=on))
            P = len(pairs)
            row = [f"{kind}{', spiky 1 %' if noisy else ''}", "%.2f / %.2f" % tuple(inp / P), f"{found}/{P}"]
            row += ["%.2f -> %.2f / %.2f -> %.2f" % (c[0, 0] / P, c[1, 0] / P, c[0, 1] / P, c[1, 1] / P)
                    for c in cells.values()]
            print("| " + " | ".join(row) + " |")

    if args.part == "joined":
        return 0
    print()
    print(f"False alarms: cuts found on the {args.split} split's {len(clips)} clips ({sum(map(len, clips))} frames at "
          "1x) where there is none")
    print()
    print("| input | cuts |")
    print("|---|---|")
    for speed in (1, 2, 3):
        print(f"| clean {speed}x | {sum(len(find_cuts(c[::speed], fps, skeleton=skeleton)) for c in clips)} |")
    for fam, f in FAMILIES.items():
        for level in ((0.01, 0.03) if f.held_out else (None,)):
            ys = [simulate_family(c, fam, skeleton=sk, fps=fps, seed=i, level=level, depth_axis=depth).pred
                  for i, c in enumerate(clips)]
            name = fam if level is None else f"{fam} {level:.0%}"
            print(f"| {name} | {sum(len(find_cuts(y, fps, skeleton=skeleton)) for y in ys)} |")
    for pre, model in PRESETS.items():
        if (model.unit == "px") != two_d:
            continue
        ys = [simulate(c, pre, skeleton=sk, fps=fps, seed=i).pred for i, c in enumerate(clips)]
        print(f"| {pre} | {sum(len(find_cuts(y, fps, skeleton=skeleton)) for y in ys)} |")
    return 0


def _bvh(args: argparse.Namespace, cmd: str) -> int:
    """Section 3: BVH takes through the file path, as rotations and as positions, cuts off / on."""
    import dataclasses

    import numpy as np
    from scipy.spatial.transform import Rotation

    from synsp.api import refine_pose_file
    from synsp.io.bvh import read

    rows: dict[str, list] = {"rotations": [], "positions": []}
    found = {"rotations": 0, "positions": 0}
    for path in args.bvh:
        for kind in rows:
            pf = read(path, rotations=kind == "rotations")
            t = pf.tracks[0]
            n = min(args.max_frames, len(t.frames))
            meta = dict(pf.meta)
            if "translation" in meta:
                meta["translation"] = {k: v[:n] for k, v in meta["translation"].items()}
            part = dataclasses.replace(t, frames=t.frames[:n], keypoints=t.keypoints[:n], scores=None)
            short = dataclasses.replace(pf, tracks=[part], num_frames=n, meta=meta)
            on, s_on = refine_pose_file(short)
            if not s_on["cuts"]:
                continue
            found[kind] += 1
            off, _ = refine_pose_file(short, cuts=False)
            x = t.keypoints[:n].astype(np.float64)
            first = int(round(0.2 * pf.fps))
            if kind == "rotations":
                def err(y):
                    rel = Rotation.from_rotvec(x.reshape(-1, 3)).inv() * Rotation.from_rotvec(y.reshape(-1, 3))
                    return np.degrees(np.linalg.norm(rel.as_rotvec(), axis=-1)).reshape(x.shape[:2]).mean(1)
            else:
                unit = {"m": 1000.0, "cm": 10.0, "mm": 1.0}.get(pf.units, 1.0)

                def err(y):
                    return np.linalg.norm(y - x, axis=-1).mean(1) * unit
            e_off, e_on = err(off.tracks[0].keypoints), err(on.tracks[0].keypoints)
            rows[kind].append((e_off[:first].mean(), e_on[:first].mean(), e_off.mean(), e_on.mean()))
    print(f"command: {cmd}")
    print(f"{len(args.bvh)} BVH takes, clean, the first {args.max_frames} frames; added by the default through "
          "refine_pose_file, cuts off -> on\n")
    print("| read as | takes with a cut | first 0.2 s | the frames |")
    print("|---|---|---|---|")
    for kind, unit in (("rotations", "degrees"), ("positions", "mm")):
        r = np.array(rows[kind]) if rows[kind] else np.zeros((1, 4))
        print(f"| {kind} ({unit}) | {found[kind]} of {len(args.bvh)} | {r[:, 0].mean():.3f} -> {r[:, 1].mean():.3f} | "
              f"{r[:, 2].mean():.3f} -> {r[:, 3].mean():.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
