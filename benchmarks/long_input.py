"""Refine one hour of one person (108,000 frames of 17 joints at 30 fps) and report time and peak memory.

The sequence is built from the embedded corpus (real mocap, looped) with the
``3dpw-spin-like`` simulated errors; the refiner works in batches of windows
and merges them as they come (bounded memory), with a progress bar.

Run:  python benchmarks/long_input.py [--model synsp-h36m17-3d-w8] [--frames 108000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="synsp-h36m17-3d-w8")
    parser.add_argument("--frames", type=int, default=108_000)
    args = parser.parse_args(argv)

    import synsp
    from synsp.data.corpus import load_corpus
    from synsp.noise import simulate

    clips = [c.positions for c in load_corpus(phases="first")]
    track = np.concatenate(clips * (args.frames // sum(len(c) for c in clips) + 1))[: args.frames]
    noisy = simulate(track.astype(np.float64), "3dpw-spin-like", skeleton="h36m17", fps=30, seed=0).pred
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    out = synsp.refine(noisy, model=args.model, fps=30, progress=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert out.shape == noisy.shape and np.isfinite(out).all()
    print(f"# reproduce: python benchmarks/long_input.py --model {args.model} --frames {args.frames}")
    print(f"{args.frames} frames x 17 joints with {args.model}: {seconds:.1f} s "
          f"({args.frames / seconds:,.0f} frames/s), peak RSS {peak:.0f} MiB (before refining: {before:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
