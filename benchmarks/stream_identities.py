"""Identity swaps in a stream: synsp.Stream(identities=True) against the same stream without it and against the
offline repair of the whole file's tracks.

Two people of the test split pass each other four times (``synsp.label_errors.simulate_crossing``: the tracker's
ids exchanged at every crossing, the person behind absent for 6 frames there, each person with their own
estimator errors), clip pairs of at least 300 frames until ``--frames`` frames; 3D h36m17 in metres with
``3dpw-spin-like`` errors, 2D coco17 through one camera per pair with ``mediapipe-like`` errors.  Each frame
time is one ``Stream.step`` with the detections present (an absent person gives none).  Figures: the
person-frames the identity repair gives back to their person (both present, ids exchanged) and the others it
moves, for the stream's (:class:`synsp.identity.OnlineIdentities`, from the frames before each one only) and
the offline one (:func:`synsp.identity.repair_track_identities`, its unit from the whole file); the refined
tracks' MPJPE against each true person (not root-relative; the stream's default model, its frames as they come
out); the median time of one step.

Run:  python benchmarks/stream_identities.py [--frames 4000] [--cases 3d,2d] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

CASES = {"3d": ("h36m17", "3dpw-spin-like", 1000.0, "mm"), "2d": ("coco17", "mediapipe-like", 1.0, "px")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=4000, help="frames of clip pairs per case")
    parser.add_argument("--cases", default="3d,2d")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from synsp.data.positions import split_positions
    from synsp.identity import OnlineIdentities, repair_track_identities
    from synsp.label_errors import simulate_crossing
    from synsp.stream import Stream

    print(f"# reproduce: python benchmarks/stream_identities.py --frames {args.frames} --cases {args.cases} "
          f"--seed {args.seed}\n")
    print("| case | frames | ids exchanged: person-frames given back, stream / offline | others moved, stream / "
          "offline | MPJPE of the stream without / with identities | ms per step without / with |")
    print("|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        skeleton, preset, scale, unit = CASES[case]
        pool = [gt for gt, _ in split_positions(skeleton, "test", "3d") if len(gt) >= 300]
        count = dict(frames=0, swapped=0, online=0, offline=0, others=0, moved_on=0, moved_off=0)
        errors, ms = {False: [], True: []}, {False: [], True: []}
        for i in range(len(pool)):
            if count["frames"] >= args.frames:
                break
            cr = simulate_crossing(pool[i], pool[(i + 1) % len(pool)], skeleton, crossings=4, absent=6,
                                   two_d=case == "2d", noise=preset, seed=args.seed + i)
            frames = [{k: x[k] for k in (0, 1) if np.isfinite(x[k]).any()} for x in cr.poses]
            count["frames"] += len(frames)
            both = np.array([len(f) == 2 for f in frames])
            # who has person 0 (the person of tracker id 0 at the start): the stream's and the offline repair's
            ident = OnlineIdentities()
            online = np.array([next((k for k, p in ident.assign(t, f).items() if p == 0), -1)
                               for t, f in enumerate(frames)])
            on_k = [np.flatnonzero([k in f for f in frames]) for k in (0, 1)]  # each tracker id's frame times
            owner = repair_track_identities([(t, cr.poses[t, k], None) for k, t in enumerate(on_k)]).owner
            offline = np.full(len(frames), -1)
            for k, t in enumerate(on_k):
                offline[t[owner[k] == 0]] = k
            truth = cr.swapped.astype(int)
            for key, got in (("online", online), ("offline", offline)):
                count[key] += int((both & cr.swapped & (got == truth)).sum())
                count["moved_on" if key == "online" else "moved_off"] += int((both & ~cr.swapped
                                                                             & (got != truth)).sum())
            count["swapped"] += int((both & cr.swapped).sum())
            count["others"] += int((both & ~cr.swapped).sum())
            for on in (False, True):
                stream = Stream(None, identities=on)
                out: dict = {}
                for t, f in enumerate(frames):
                    start = time.perf_counter()
                    got = stream.step(f, time=t)
                    ms[on].append(1000 * (time.perf_counter() - start))
                    for pid, fr in got.items():
                        out.setdefault(pid, []).extend(zip(fr.times, fr))
                for pid, fr in stream.flush().items():
                    out.setdefault(pid, []).extend(zip(fr.times, fr))
                for pid, rows in out.items():
                    errors[on] += [np.linalg.norm(y - cr.truth[t, pid], axis=-1).mean() * scale for t, y in rows]
        print(f"| {case.upper()} {skeleton}, {preset} | {count['frames']} | "
              f"{100 * count['online'] / count['swapped']:.1f} % / {100 * count['offline'] / count['swapped']:.1f} % "
              f"of {count['swapped']:,} | {count['moved_on']} / {count['moved_off']} of {count['others']:,} | "
              f"{np.mean(errors[False]):.1f} / {np.mean(errors[True]):.1f} {unit} | "
              f"{np.median(ms[False]):.2f} / {np.median(ms[True]):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
