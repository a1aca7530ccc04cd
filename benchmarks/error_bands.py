"""Where in frequency a method leaves its error: per method, its MPJPE and the RMS of its root-relative error in
frequency bands, under one held-out error family at one level (validation split, h36m17 3D).

A diagnostic for the rows where the default trails a smoother (``spiky 1 %`` against Kalman-RTS): is what it
leaves residual jitter (the high bands), motion it bends (the middle bands) or a slow offset (the low bands)?
``NAME@HZ`` is method NAME with its output then low-passed at HZ (second-order Butterworth, zero phase): what
removing the high bands alone would change. Band RMS: the error's power in the band over all joints and
coordinates (Parseval, per frame), its square root in mm; the bands' squares sum to the error's mean square.
The error draws are those of ``benchmarks/validation_robustness.py``. The test split only to smoke-run it on the
embedded corpus.

Run:  python benchmarks/error_bands.py [--family spiky] [--level 0.01] [--methods kalman-rts,synsp-universal-w16]
"""

from __future__ import annotations

import argparse

#: band edges in Hz (30 fps: up to 15)
EDGES = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 11.0, 15.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", default="spiky", help="an error family (synsp.error_families)")
    parser.add_argument("--level", type=float, default=0.01, help="its RMS level, a share of the person's size")
    parser.add_argument("--component", default=None,
                        help="only this component of the family (e.g. white: spiky's white jitter alone), as "
                             "validation_robustness.py --parts draws it")
    parser.add_argument("--frames", type=int, default=30000, help="validation-split frames (whole clips)")
    parser.add_argument("--split", choices=("val", "test"), default="val")
    parser.add_argument("--methods", default="kalman-rts,synsp-universal-w16",
                        help="comma-separated refiners (filters, shipped models or checkpoint paths), each "
                             "optionally NAME@HZ: its output low-passed at HZ")
    args = parser.parse_args(argv)

    import numpy as np
    from scipy.signal import butter, filtfilt

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import ErrorFamily, get_family, simulate_family
    from synsp.metrics import summarize
    from synsp.refiners import get_refiner

    truths = [g for g, _ in split_positions("h36m17", args.split, "3d", args.frames, str(available_corpus_path()))]
    if not truths:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    family = get_family(args.family)
    if args.component is not None:
        if args.component not in family.components:
            print(f"{args.family} has no component {args.component!r}; its components: {', '.join(family.components)}")
            return 2
        family = ErrorFamily(f"{args.family}:{args.component}", {args.component: 1.0}, clean_fraction=0.0,
                             held_out=True)
    methods = ["input"] + [m for m in args.methods.split(",") if m]
    refiners = {}
    for m in methods[1:]:
        name, _, cutoff = m.partition("@")
        if cutoff and not 0 < float(cutoff) < 15:
            print(f"{m}: the low-pass cutoff must be between 0 and 15 Hz (30 fps)")
            return 2
        refiners[m] = (get_refiner(name), butter(2, float(cutoff) / 15.0) if cutoff else None)
    bands = len(EDGES) - 1
    power = {m: np.zeros(bands) for m in methods}
    errors = {m: [] for m in methods}
    for i, g in enumerate(truths):  # the seeds of benchmarks/validation_robustness.py: the same error draws
        x = simulate_family(g, family, skeleton="h36m17", fps=30.0, seed=11 + 7919 * i, level=args.level,
                            depth_axis=2).pred
        freq = np.fft.rfftfreq(len(g), 1 / 30.0)
        for m in methods:
            if m == "input":
                y = x
            else:
                refiner, lowpass = refiners[m]
                y = np.asarray(refiner(x, fps=30.0))
                y = filtfilt(*lowpass, y, axis=0) if lowpass is not None and len(y) > 9 else y
            errors[m].append(y)
            r = (y - y[:, :1]) - (g - g[:, :1])  # root-relative error (T, J, 3), metres
            spectrum = (np.abs(np.fft.rfft(r, axis=0)) ** 2).sum(axis=(1, 2))
            spectrum[1:(len(g) + 1) // 2] *= 2.0  # rfft: every frequency but 0 and Nyquist stands for two
            for k in range(bands):
                power[m][k] += spectrum[(freq >= EDGES[k]) & (freq < EDGES[k + 1])].sum() / len(g)
    frames = sum(len(g) for g in truths)
    print(f"{'validation' if args.split == 'val' else 'test'} split, {frames} frames in {len(truths)} clips, "
          f"h36m17 3D, {family.name} {100 * args.level:g} %; MPJPE and RMS error per band (mm, all joints)\n")
    names = [f"{EDGES[k]:g}-{min(EDGES[k + 1], 15):g} Hz" for k in range(bands)]
    print("| method | MPJPE | " + " | ".join(names) + " | all |")
    print("|---" * (bands + 3) + "|")
    for m in methods:
        mpjpe = summarize(errors[m], truths, root_joints=[0], scale=1000.0)["mpjpe"]
        rms = 1000.0 * np.sqrt(power[m] / frames)
        print(f"| {m} | {mpjpe:.2f} | " + " | ".join(f"{v:.2f}" for v in rms)
              + f" | {1000.0 * np.sqrt(power[m].sum() / frames):.2f} |")
    print(f"\nreproduce: python benchmarks/error_bands.py --family {args.family} --level {args.level:g} "
          f"--frames {args.frames}" + (f" --component {args.component}" if args.component else "")
          + (f" --split {args.split}" if args.split != "val" else "") + f" --methods {args.methods}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
