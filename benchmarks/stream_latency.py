"""Per-frame latency of online refinement (synsp.Stream) for one 17-joint person (or one SMPL body,
24 axis-angle rotations, for a rotation model such as synsp-smpl24-rot-w8).

Each ``push`` refines one window (batch of one) in PyTorch eager mode on the
CPU; the figure excludes the fixed algorithmic delay (W - 1 frames, plus the
online left/right repair's delay when it is on).  ``--repair on`` (the
stream's default for position models), ``off``, or ``both``: the two streams
pushed the same frames alternately (so both see the same machine load), each
timed per push, and the repair's own cost per frame (the difference).

``--missing F``: each joint missing (NaN) in about a fraction F of the frames, in bursts of 1-8 frames (a flickering
low score): a window network fills a closed gap again and refines the windows holding it again
(:class:`synsp.refiners.WindowOnline`), which costs more forwards per frame.

Run:  python benchmarks/stream_latency.py [--model synsp-h36m17-3d-w8] [--frames 2000] [--threads 2] [--repair on]
      [--cuts on|off|both] [--missing 0.1 [--no-refill]]
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
    parser.add_argument("--repair", choices=["on", "off", "both"], default="on",
                        help="the online left/right repair (rotation models: always off)")
    parser.add_argument("--cuts", choices=["on", "off", "both"], default="on",
                        help="the online cut detector (synsp.cuts; the frames are corpus clips joined one after "
                             "another, cut where they meet); both: with and without it, as --repair both")
    parser.add_argument("--missing", type=float, default=0.0,
                        help="fraction of each joint's frames missing (NaN), in bursts of 1-8 frames")
    parser.add_argument("--no-refill", action="store_true",
                        help="Stream(refill=False): a missing joint only holds its last value (no second fill)")
    args = parser.parse_args(argv)
    if not 0.0 <= args.missing < 1.0:
        parser.error("--missing must be in [0, 1)")
    if args.repair == "both" and args.cuts == "both":
        parser.error("--repair both and --cuts both: compare one at a time")
    torch.set_num_threads(args.threads)

    from synsp.data.corpus import load_corpus
    from synsp.noise import simulate
    from synsp.stream import Stream

    flags = {"on": [True], "off": [False], "both": [True, False]}
    stream = Stream(args.model, repair=False)
    repairs = [False] if stream.rotations else flags[args.repair]
    cuts = [False] if stream.rotations or stream.causal else flags[args.cuts]
    kinds = [(r, c) for r in repairs for c in cuts]
    # the frames are Human3.6M-17 joints: the skeleton the repair needs (a universal model has none of its own)
    streams = [Stream(args.model, repair=r, cuts=c, skeleton=None if stream.rotations else "h36m17",
                      refill=not args.no_refill) for r, c in kinds]
    clips = load_corpus(phases="first", rotations=stream.rotations)
    if stream.rotations:  # SMPL rotations: the clips' smpl24 axis-angles
        gt = np.concatenate([c.rotations for c in clips])[: args.frames].astype(np.float64)
        x = simulate(gt, "3dpw-spin-like", skeleton="smpl24", fps=30, seed=0, representation="rotations").pred
    else:
        gt = np.concatenate([c.positions for c in clips])[: args.frames].astype(np.float64)
        x = simulate(gt, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=0).pred
    if args.missing:
        rng = np.random.default_rng(1)
        lengths = rng.integers(1, 9, size=x.shape[:2])  # a burst of 1-8 frames (4.5 on average) may start anywhere
        starts = rng.random(x.shape[:2]) < args.missing / 4.5
        gone = np.zeros(x.shape[:2], dtype=bool)
        for t, j in zip(*np.nonzero(starts)):
            gone[t:t + lengths[t, j], j] = True
        gone[0] = False  # a track starts with its first detection
        x = np.where(gone[..., None], np.nan, x)
        print(f"{gone.mean():.1%} of the joints missing, in {gone.any(axis=1).mean():.1%} of the frames")
    times = [[] for _ in streams]
    for frame in x:
        for s, into in zip(streams, times):
            start = time.perf_counter()
            s.push(frame)
            into.append(time.perf_counter() - start)
    print(f"# reproduce: python benchmarks/stream_latency.py --model {args.model} --frames {args.frames} "
          f"--threads {args.threads} --repair {args.repair} --cuts {args.cuts}"
          + (f" --missing {args.missing:g}" if args.missing else "") + (" --no-refill" if args.no_refill else ""))
    steady = max(s.delay for s in streams) + 1  # steady state: every push refines a window and gives a frame out
    per = []
    for s, into in zip(streams, times):
        ms = np.array(into[steady:]) * 1000
        per.append(ms)
        repair = f"repair on, {s.repair_delay} frames" if s.repair else "repair off"
        repair += ", cuts on" if s.cuts else ", cuts off"
        print(f"{args.model}, {args.threads} thread(s), {repair}, {len(ms)} pushes: median {np.median(ms):.2f} ms, "
              f"p99 {np.percentile(ms, 99):.2f} ms per frame (plus a fixed delay of {s.delay} frames)")
    if len(per) == 2:
        extra = per[0] - per[1]  # the same frame, with and without the repair (or the cuts)
        what = "cut detector" if args.cuts == "both" else "repair"
        print(f"the {what}'s own cost: median {np.median(extra):.3f} ms, p99 {np.percentile(extra, 99):.3f} ms per "
              f"frame ({np.median(per[0]) / np.median(per[1]) - 1:+.0%} on the median push)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
