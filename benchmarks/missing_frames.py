"""Missing frames and joints: what a refiner does to the frames it observed, and how well it fills the others.

Estimators lose joints (occlusion, low scores) and whole frames (no detection, or a detector run on some frames
only); ``synsp.refine`` fills them (NaN, or a confidence below 0.3).  Two questions, on the test split's clips
(real motion, not selected on), clean and with the held-out ``spiky`` family at 1 % (white jitter, outliers):

* **observed**: the error of the frames that were given (a refiner should not move good frames because others
  are missing; on clean input it is what the refiner adds);
* **missing**: the error of the filled joints (linear interpolation is the baseline: the ``input`` row).

Patterns: 20 % and 50 % of the frames missing at random, bursts of 8 frames every 2 s (the whole body, or 4
joints).  Methods as in ``synsp benchmark``; ``NAME/told``: network ``NAME`` told which joints were filled
(``NetworkRefiner.tell_missing``, the default until 2026-12-06) instead of given them as observed; ``NAME/stream``:
``synsp.Stream(NAME)`` pushed frame by frame (online: a missing joint holds its last value until seen again, then
its gap is filled again and its windows refined again); ``NAME/held``: that stream without the second fill
(``Stream(NAME, refill=False)``, what every stream did before 2026-12-06).

Run:  python benchmarks/missing_frames.py [--representation 2d] [--frames 6000]
      [--methods input,kalman-rts,synsp-universal-w16,synsp-universal-w16/told]
"""

from __future__ import annotations

import argparse
import copy
import functools

PATTERNS = ("20 % of frames", "50 % of frames", "8-frame bursts", "8-frame bursts of 4 joints")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--representation", choices=("3d", "2d"), default="3d")
    parser.add_argument("--frames", type=int, default=6000, help="test-split frames (whole clips)")
    parser.add_argument("--methods", default="input,kalman-rts,synsp-universal-w16,synsp-universal-w16/told")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family
    from synsp.refiners import NetworkRefiner, get_refiner
    from synsp.training import input_as_refiner

    two_d = args.representation == "2d"
    skeleton = "coco17" if two_d else "h36m17"
    truths = [g for g, _ in split_positions(skeleton, "test", args.representation, args.frames,
                                            str(available_corpus_path()))]
    scale, unit = (1.0, "px") if two_d else (1000.0, "mm")
    rng = np.random.default_rng(0)
    cases = []  # (noise, pattern, truth, input, missing)
    for noise in ("clean", "spiky 1 %"):
        for pattern in PATTERNS:
            for i, g in enumerate(truths):
                x = g if noise == "clean" else simulate_family(
                    g, "spiky", skeleton=skeleton, fps=30.0, seed=11 + 7919 * i, level=0.01,
                    depth_axis=None if two_d else 2).pred
                miss = np.zeros(g.shape[:2], dtype=bool)
                if pattern.endswith("of frames"):
                    miss[rng.random(len(g)) < float(pattern.split()[0]) / 100] = True
                else:
                    for s in range(20, len(g) - 10, 60):
                        joints = rng.choice(g.shape[1], 4, replace=False) if "joints" in pattern else slice(None)
                        miss[s:s + 8, joints] = True
                miss[[0, -1]] = False  # the ends seen: a fill between observed frames
                cases.append((noise, pattern, g, np.where(miss[..., None], np.nan, x), miss))
    print(f"test split, {sum(len(g) for g in truths)} frames in {len(truths)} clips, {skeleton} "
          f"{args.representation}; mean joint error ({unit}) of the observed / the missing joints\n")
    header = [f"{n}, {p}" for n in ("clean", "spiky 1 %") for p in PATTERNS]
    print("| method | " + " | ".join(header) + " |")
    print("|---" * (len(header) + 1) + "|")
    for name in [m for m in args.methods.split(",") if m]:
        if name == "input":
            refiner = lambda x, fps: input_as_refiner(x)  # noqa: E731
        elif name.endswith(("/stream", "/held")):
            refiner = functools.partial(streamed, name.rsplit("/", 1)[0], refill=name.endswith("/stream"))
        else:
            refiner = get_refiner(name.removesuffix("/told"))
            if name.endswith("/told"):
                if not isinstance(refiner, NetworkRefiner):
                    parser.error(f"{name}: /told is for networks")
                refiner = copy.copy(refiner)
                refiner.tell_missing = True
            if isinstance(refiner, NetworkRefiner):
                refiner = refiner.told(skeleton)
        cells = []
        for noise in ("clean", "spiky 1 %"):
            for pattern in PATTERNS:
                seen, lost = [], []
                for n, p, g, x, miss in cases:
                    if (n, p) != (noise, pattern):
                        continue
                    err = scale * np.linalg.norm(np.asarray(refiner(x, fps=30.0)) - g, axis=-1)
                    seen.append(err[~miss])
                    lost.append(err[miss])
                cells.append(f"{np.concatenate(seen).mean():.2f} / {np.concatenate(lost).mean():.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    extra = ["--representation 2d"] if two_d else []
    print(f"\nreproduce: python benchmarks/missing_frames.py {' '.join(extra + [f'--frames {args.frames}'])} "
          f"--methods {args.methods}")
    return 0


def streamed(name: str, x, fps: float, refill: bool = True):
    """``x`` pushed through ``synsp.Stream(name, refill=refill)`` frame by frame."""
    import numpy as np

    from synsp.stream import Stream

    stream = Stream(name, fps=fps, refill=refill)
    return np.stack([f for frame in x for f in stream.push(frame)] + stream.flush()[0])


if __name__ == "__main__":
    raise SystemExit(main())
