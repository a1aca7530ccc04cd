"""COCO-WholeBody (133 keypoints: body 17, feet 6, face 68, hands 2 x 21) in 2D: which method for the body,
and what happens to the face and hands.

The corpus has bodies only, so the whole body is built around its COCO-17 clips (seen through the seeded
virtual cameras of the 2D tables): every foot, face and hand point rides rigidly on its segment (the feet
on the shin, the face on the eyes' line through the nose, each hand on its forearm; a fixed template, scaled
by the segment's length in the image). The body's 17 points are real motion; the other 116 move with it
but have no motion of their own (no finger or mouth movement). The errors (one error family at one level,
:mod:`synsp.error_families`) are simulated on all 133 points.

MPJPE in pixels of the body's 17 points, of the 116 others, and of all 133 (the root: the hips' midpoint),
clean rows: pixels added (the input's missing points interpolated); methods by name, every one fitted to the
133 keypoints as ``synsp.refine`` fits it (:func:`synsp.refiners.fit_refiner`: a COCO-17 network refines the
body's 17 points and the universal model the body's 23 with the feet, the others following their nearest
refined joint), plus ``<model>:all`` for a network of any joint set on all 133 points at once; frames per
second on the clean clips.

Run:  python benchmarks/whole_body.py [--split val] [--frames 6000] [--methods butterworth,synsp-universal-w16]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

ROWS = (("clean", "mixed", 0.0), ("spiky 1 %", "spiky", 0.01), ("rigid-shake 1 %", "rigid-shake", 0.01),
        ("overshoot 2 %", "overshoot", 0.02),
        ("quantized 1 %", "quantized", 0.01), ("mixed (training family)", "mixed", None))
BODY = 17
# COCO-17 joints used to place the others
NOSE, L_EYE, R_EYE, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = \
    0, 1, 2, 7, 8, 9, 10, 13, 14, 15, 16


def _template(rng: np.random.Generator, n: int, along: tuple[float, float], across: tuple[float, float]):
    return np.stack([rng.uniform(*along, n), rng.uniform(*across, n)], axis=-1)  # (n, 2)


def whole_body(body: np.ndarray) -> np.ndarray:
    """``(T, 17, 2)`` COCO-17 keypoints -> ``(T, 133, 2)`` COCO-WholeBody keypoints, the body's own 17 first."""
    rng = np.random.default_rng(133)

    def rigid(origin: np.ndarray, axis: np.ndarray, template: np.ndarray) -> np.ndarray:
        across = np.stack([-axis[..., 1], axis[..., 0]], axis=-1)  # the axis turned by 90 degrees
        return origin[:, None] + template[None, :, :1] * axis[:, None] + template[None, :, 1:] * across[:, None]

    feet = [rigid(body[:, ankle], body[:, ankle] - body[:, knee], np.array([[0.10, 0.25], [0.12, 0.20],
                                                                            [0.08, -0.08]]))
            for ankle, knee in ((L_ANKLE, L_KNEE), (R_ANKLE, R_KNEE))]
    face = rigid(body[:, NOSE], body[:, R_EYE] - body[:, L_EYE], _template(rng, 68, (-1.2, 1.2), (-0.6, 1.6)))
    hand = _template(rng, 21, (0.0, 0.55), (-0.2, 0.2))
    hand[0] = 0.0  # the hand's root at the wrist
    hands = [rigid(body[:, wrist], body[:, wrist] - body[:, elbow], hand)
             for wrist, elbow in ((L_WRIST, L_ELBOW), (R_WRIST, R_ELBOW))]
    return np.concatenate([body] + feet + [face] + hands, axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("val", "test"), default="test")
    parser.add_argument("--frames", type=int, default=6000, help="frames of the split (whole clips)")
    parser.add_argument("--methods", default="butterworth,kalman-rts,synsp-coco17-2d-w8,synsp-universal-w16,"
                        "synsp-universal-w16:all", help="comma-separated refiners; '<model>:all' on all 133 points")
    args = parser.parse_args(argv)

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family
    from synsp.missing import interpolate_missing
    from synsp.refiners import fit_refiner, get_refiner

    truths = [whole_body(g) for g, _ in split_positions("coco17", args.split, "2d", args.frames,
                                                        str(available_corpus_path()))]
    if not truths:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    methods = [m for m in args.methods.split(",") if m]
    refiners = {"input": lambda x, fps: interpolate_missing(x, ~np.isfinite(x).all(-1))[0]}  # misses filled
    for m in methods:
        name, _, scope = m.partition(":")
        refiners[m] = get_refiner(name) if scope == "all" else fit_refiner(get_refiner(name), 133, "coco133")
    parts = {"body 17": slice(0, BODY), "other 116": slice(BODY, None), "all 133": slice(None)}
    frames = sum(len(g) for g in truths)
    print(f"{'validation' if args.split == 'val' else 'test'} split, {frames} frames in {len(truths)} clips, "
          "COCO-WholeBody 2D (the body's motion, the other points riding on it); MPJPE (px) of the body's 17 / "
          "the other 116 / all 133 points; clean rows: added\n")
    print("| method | " + " | ".join(r[0] for r in ROWS) + " | frames/s |")
    print("|---" * (len(ROWS) + 2) + "|")
    inputs = [[simulate_family(g, family, skeleton="coco133", fps=30.0, seed=11 + 7919 * i, level=level,
                               depth_axis=None).pred for i, g in enumerate(truths)] for _, family, level in ROWS]
    for name, refine in refiners.items():
        cells, speed = [], float("nan")
        for r, xs in enumerate(inputs):
            start = time.perf_counter()
            outs = [np.asarray(refine(x, fps=30.0)) for x in xs]
            if r == 0 and name != "input":
                speed = frames / (time.perf_counter() - start)
            errs = []
            for part in parts.values():
                num = den = 0.0
                for g, y in zip(truths, outs):
                    root = lambda a: a - a[:, 11:13].mean(axis=1, keepdims=True)  # noqa: E731  the hips
                    num += float(np.linalg.norm(root(y)[:, part] - root(g)[:, part], axis=-1).mean()) * len(g)
                    den += len(g)
                errs.append(num / den)
            cells.append(" / ".join(f"{e:.2f}" for e in errs))
        print(f"| {name} | " + " | ".join(cells) + f" | {speed:.0f} |", flush=True)
    print(f"\nreproduce: python benchmarks/whole_body.py --split {args.split} --frames {args.frames} "
          f"--methods {args.methods}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
