"""Per-frame latency of online refinement (synsp.Stream) for one 17-joint person (or one SMPL body,
24 axis-angle rotations, for a rotation model such as synsp-smpl24-rot-w8).

Each ``push`` refines one window (batch of one) in PyTorch eager mode on the
CPU; the figure excludes the fixed algorithmic delay of W - 1 frames.

Run:  python benchmarks/stream_latency.py [--model synsp-h36m17-3d-w8] [--frames 2000] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="synsp-h36m17-3d-w8")
    parser.add_argument("--frames", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    from synsp.data.corpus import load_corpus
    from synsp.noise import simulate
    from synsp.stream import Stream

    stream = Stream(args.model)
    clips = load_corpus(phases="first", rotations=stream.rotations)
    if stream.rotations:  # SMPL rotations: the clips' smpl24 axis-angles
        gt = np.concatenate([c.rotations for c in clips])[: args.frames].astype(np.float64)
        x = simulate(gt, "3dpw-spin-like", skeleton="smpl24", fps=30, seed=0, representation="rotations").pred
    else:
        gt = np.concatenate([c.positions for c in clips])[: args.frames].astype(np.float64)
        x = simulate(gt, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=0).pred
    times = []
    for frame in x:
        start = time.perf_counter()
        stream.push(frame)
        times.append(time.perf_counter() - start)
    ms = np.array(times[stream.window:]) * 1000  # steady state: every push refines a window
    print(f"# reproduce: python benchmarks/stream_latency.py --model {args.model} --frames {args.frames} "
          f"--threads {args.threads}")
    print(f"{args.model}, {args.threads} thread(s), {len(ms)} pushes: median {np.median(ms):.2f} ms, "
          f"p99 {np.percentile(ms, 99):.2f} ms per frame (plus a fixed delay of {stream.delay} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
