"""Are the preset gains a property of the simulator?  The same slow error, anatomically implausible or not.

The presets' low-frequency error is per-joint independent drift: each joint wanders on its own, so
bones stretch and shrink, which a network with a pose prior can see and undo and no real estimator
produces.  A single-frame regressor's slow errors are wrong-but-valid poses instead: bones turned,
lengths kept.  This script gives both the same time structure (order-2 AR, time constant --tau
seconds) and the same root-relative RMS size (--level x the person's size) on the test split, and prints what
each method removes from each:

* ``independent``: every joint and coordinate drifts on its own (the presets' structure);
* ``bone-angles``: every bone turns about its parent by a drifting rotation (lengths kept).

A method whose gain on ``independent`` is far larger than on ``bone-angles`` is exploiting the
simulator's implausibility, not the error's time structure.

Run:  python benchmarks/simulator_quirk.py [--level 0.03] [--tau 0.5] [--frames 100000] [--methods ...]
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--level", type=float, default=0.03, help="RMS error as a share of the person's size")
    parser.add_argument("--tau", type=float, default=0.5, help="time constant of the drift (s)")
    parser.add_argument("--frames", type=int, default=100_000, help="test-split frames (whole clips)")
    parser.add_argument("--methods", default="kalman-rts,butterworth,smoothnet-h36m17-3d-w8,synsp-h36m17-3d-w8")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path, load_corpus
    from synsp.error_families import bone_rotate, person_size
    from synsp.metrics import summarize
    from synsp.noise.processes import ar
    from synsp.refiners import get_refiner
    from synsp.skeletons import get_skeleton

    sk = get_skeleton("h36m17")
    corpus = available_corpus_path()
    clips = sorted(load_corpus(corpus, split="test", phases="first"), key=lambda c: c.clip_id)
    gts, total = [], 0
    for c in clips:
        if total >= args.frames:
            break
        gts.append(c.positions.astype(np.float64))
        total += len(c.positions)
    inputs = {"independent": [], "bone-angles": []}
    for i, g in enumerate(gts):
        rng = np.random.default_rng(i)
        target = args.level * float(person_size(g[:, None])[0])
        drift = ar(rng, g.shape, 30.0, args.tau, 2)
        rel = drift - drift[:, list(sk.root_joints)].mean(1, keepdims=True)  # sized as MPJPE sees it: root-relative
        inputs["independent"].append(g + drift * target / np.sqrt(np.mean(np.sum(rel**2, -1))))
        u = ar(rng, g.shape, 30.0, args.tau, 2)[:, None]  # (T, 1, J, 3) rotation vectors
        probe = bone_rotate(g[:, None], sk.parents, 0.1 * u)[:, 0] - g
        gain = 0.1 * target / np.sqrt(np.mean(np.sum(probe**2, -1)))
        inputs["bone-angles"].append(bone_rotate(g[:, None], sk.parents, gain * u)[:, 0])
    cmd = " ".join(["python benchmarks/simulator_quirk.py", *sys.argv[1:]] if argv is None else
                   ["python benchmarks/simulator_quirk.py", *argv])
    print(f"# reproduce: {cmd}  ({total} test frames, level {args.level}, tau {args.tau} s)")
    print("| method | independent drift MPJPE (mm) | x input | bone-angle drift MPJPE (mm) | x input |")
    print("|---|---|---|---|---|")
    base = {}
    for method in ["input", *args.methods.split(",")]:
        cells = []
        for kind, xs in inputs.items():
            preds = xs if method == "input" else [get_refiner(method)(x, fps=30.0) for x in xs]
            m = summarize(preds, gts, root_joints=sk.root_joints, scale=1000.0)["mpjpe"]
            base.setdefault(kind, m)
            cells += [f"{m:.1f}", f"{m / base[kind]:.2f}x"]
        print(f"| {method} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
