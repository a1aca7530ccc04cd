"""Online refinement of many people at once: synsp.Stream.step (one batched network forward per frame time)
against one push per person (a batch of one each).

For each number of tracks N, every frame time gives each of the N people a frame (17 joints, simulated
3dpw-spin-like errors on corpus motion, each person at another point of the motion); the first delay + 1
frame times fill the windows (and the repair's) and are not timed.  Figures: track-frames/s (N x frame times / seconds), the median
and p99 time of one frame time (all N people), and whether that keeps up with 30 fps.  The push column
times the same frames pushed one by one (over fewer frame times when N is large) and checks that both
give the same frames (allclose 1e-5).  PyTorch eager on the CPU; the fixed delay (W - 1 frames, plus the
online left/right repair's) comes on top.  ``--repair on`` (the stream's default) or ``off``: the repair runs
per track in Python, so its cost grows with the number of people (the network's forward is batched).

Run:  python benchmarks/stream_tracks.py [--tracks 1 10 100 1000] [--steps 60] [--push-frames 2000] [--threads 1]
      [--repair on]
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
    parser.add_argument("--tracks", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument("--steps", type=int, default=60, help="timed frame times per track count")
    parser.add_argument("--push-frames", type=int, default=2000,
                        help="timed track-frames pushed one by one per track count (at least 2 frame times)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repair", choices=["on", "off"], default="on", help="the online left/right repair")
    args = parser.parse_args(argv)
    repair = args.repair == "on"
    torch.set_num_threads(args.threads)

    from synsp.data.corpus import load_corpus
    from synsp.noise import simulate
    from synsp.stream import Stream

    gt = np.concatenate([c.positions for c in load_corpus(phases="first")])[:3000].astype(np.float64)
    x = simulate(gt, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=0).pred
    first = Stream(args.model, repair=repair)
    window = first.delay + 1  # frame times before every step gives each person a frame out
    total = window + args.steps

    def frames_at(t: int, n: int) -> dict:
        return {k: x[(t + 131 * k) % len(x)] for k in range(n)}

    print(f"# reproduce: python benchmarks/stream_tracks.py --model {args.model} --tracks "
          f"{' '.join(map(str, args.tracks))} --steps {args.steps} --push-frames {args.push_frames} "
          f"--threads {args.threads} --repair {args.repair}")
    print(f"{args.model}, {args.threads} thread(s), repair {args.repair} (delay {first.delay} frames), "
          f"{args.steps} timed frame times after {window} untimed")
    print()
    print("| tracks | step: track-frames/s | step: median ms per frame time | step: p99 ms | 30 fps? "
          "| push: track-frames/s | step / push |")
    print("|---|---|---|---|---|---|---|")
    for n in args.tracks:
        inputs = [frames_at(t, n) for t in range(total)]
        stream = Stream(args.model, repair=repair)
        stepped: dict = {}
        times = []
        for t, frames in enumerate(inputs):
            start = time.perf_counter()
            out = stream.step(frames)
            times.append(time.perf_counter() - start)
            for k, v in out.items():
                stepped.setdefault(k, []).extend(v)
        ms = np.array(times[window:]) * 1000
        rate = n * len(ms) / (ms.sum() / 1000)

        push_steps = min(total, window + max(2, -(-args.push_frames // n)))  # timed: after the first delay + 1
        stream = Stream(args.model, repair=repair)
        pushed: dict = {}
        push_times = []
        for t, frames in enumerate(inputs[:push_steps]):
            start = time.perf_counter()
            for k, frame in frames.items():
                pushed.setdefault(k, []).extend(stream.push(frame, track_id=k, time=t))
            push_times.append(time.perf_counter() - start)
        for k, v in pushed.items():  # the same frames, whichever way they were refined
            np.testing.assert_allclose(np.stack(v), np.stack(stepped[k][: len(v)]), atol=1e-5)
        timed = np.array(push_times[window:])
        push_rate = n * len(timed) / timed.sum()
        keeps_up = "yes" if np.percentile(ms, 99) < 1000 / 30 else ("median" if np.median(ms) < 1000 / 30 else "no")
        print(f"| {n} | {rate:,.0f} | {np.median(ms):.2f} | {np.percentile(ms, 99):.2f} | {keeps_up} | "
              f"{push_rate:,.0f} | {rate / push_rate:.1f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
