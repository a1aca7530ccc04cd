"""The first frames of a track under a zero-delay method: each output frame is refined from it and the frames
before it, and at a track's start there are none, so a zero-delay network's first windows are made up before
the first frame (``synsp.missing.carried_start``: the first frame moved back along the body's velocity).

Tracks start at random frames of the validation split's clips (6 per clip); each track's first ``--frames-per-
track`` frames are refined as a whole track by each method, and the mean joint error (mm) to the truth is given
for each of those frames. Conditions: clean motion, the held-out ``spiky`` family at 1 % and 3 % of the person's
size, and clean motion carried along one axis at ``--speed`` m/s (a skier, a passenger). ``NAME:held`` is NAME with
the made-up frames holding the first frame instead (synsp before 2026-12-07), measured in the same run.
The test split only to smoke-run it on the embedded corpus.

Run:  python benchmarks/track_starts.py [--methods synsp-universal-w8-causal,synsp-universal-w8-causal:held]
"""

from __future__ import annotations

import argparse
import contextlib


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default="synsp-universal-w8-causal,synsp-universal-w8-causal:held,"
                                             "synsp-h36m17-3d-w8-causal,synsp-h36m17-3d-w8-causal:held,kalman")
    parser.add_argument("--split", choices=("val", "test"), default="val")
    parser.add_argument("--frames", type=int, default=30000, help="split frames (whole clips)")
    parser.add_argument("--frames-per-track", type=int, default=8)
    parser.add_argument("--speed", type=float, default=10.0, help="m/s of the carried condition")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import numpy as np

    import synsp.refiners as refiners
    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family

    corpus = available_corpus_path()
    clips = [np.asarray(g, dtype=np.float64)
             for g, _ in split_positions("h36m17", args.split, "3d", args.frames, str(corpus))]
    n = args.frames_per_track
    rng = np.random.default_rng(args.seed)
    starts = [(c, int(s)) for c, g in enumerate(clips) if len(g) >= n + 1
              for s in rng.integers(0, len(g) - n, size=6)]
    conditions = {"clean": None, "spiky 1 %": 0.01, "spiky 3 %": 0.03, f"carried {args.speed:g} m/s": "carried"}
    tracks: dict = {}
    for name, how in conditions.items():
        tracks[name] = []
        for c, s in starts:
            truth = clips[c][s:s + n]
            if how == "carried":
                truth = truth + (np.arange(n) * args.speed / 30.0)[:, None, None] * np.array([1.0, 0.0, 0.0])
            x = truth if not isinstance(how, float) else simulate_family(
                truth, "spiky", skeleton="h36m17", fps=30, seed=int(rng.integers(2**31)), level=how).pred
            tracks[name].append((truth, x))

    @contextlib.contextmanager
    def held_start(on: bool):
        keep = refiners.carried_start
        if on:
            refiners.carried_start = lambda seen, k: np.repeat(seen[:1], k, axis=0)
        try:
            yield
        finally:
            refiners.carried_start = keep

    print(f"# reproduce: python benchmarks/track_starts.py --methods {args.methods} --split {args.split} "
          f"--frames {args.frames} --frames-per-track {n} --speed {args.speed:g} --seed {args.seed}")
    print(f"{args.split} split, {len(starts)} track starts in {len(clips)} clips; mean joint error (mm) at each of "
          f"a track's first {n} frames, then their mean")
    for method in [m for m in args.methods.split(",") if m]:
        name, held = (method[:-5], True) if method.endswith(":held") else (method, False)
        refiner = refiners.get_refiner(name)
        print(f"\n{method}")
        for cond, pairs in tracks.items():
            with held_start(held):
                err = np.mean([np.linalg.norm(refiner(x, fps=30) - truth, axis=-1).mean(-1) * 1000
                               for truth, x in pairs], axis=0)
            print(f"  {cond:18s} " + " ".join(f"{e:7.2f}" for e in err) + f"   mean {err.mean():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
