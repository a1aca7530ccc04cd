"""Left/right inversions and identity swaps: how much the whole-track repair restores, what it does
to refinement, and what it costs.

Real mocap (corpus test split, one phase per take), 3D metres (h36m17, '3dpw-spin-like' errors) and
2D pixels through a seeded virtual camera per clip (coco17, 'mediapipe-like' errors), with long
simulated inversions (synsp.label_errors.simulate_inversions: 5-90 frames of the arms, the legs or
the whole body, --rate of the frames).  Two orders: the estimator's errors follow the limb (noise
first, then the inversion) or stay with the label (inversion first, then noise: the presets'
constant per-joint bias lands on the other limb).  The presets' own short whole-body inversions count
as inversions too.  Tables:

1. restored share of the inverted frames per group, and the share of the other frames relabelled;
2. MPJPE (3D: root-relative mm; 2D: px) of the input, Butterworth and the default SynSP model without
   and with the repair, and of the same input without the simulated inversions (refined by the
   default model), over all frames and over the inverted frames;
3. two people crossing (synsp.label_errors.simulate_crossing, ids exchanged at each crossing): the
   share of swapped person-frames reassigned, MPJPE of the default model without and with repair;
4. time of the repair on one long track against the default model's refinement of it.

Run:  python benchmarks/inversions.py [--frames 8000] [--rate 0.1] [--long-frames 108000]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

CASES = (("3D", "h36m17", "3dpw-spin-like", 1000.0, "mm"), ("2D", "coco17", "mediapipe-like", 1.0, "px"))


def _clips(skeleton: str, two_d: bool, frames: int) -> list[np.ndarray]:
    from synsp.data.views import split_positions

    return [gt for gt, _ in split_positions(skeleton, "test", "2d" if two_d else "3d", frames)]


def _errors(pred: np.ndarray, gt: np.ndarray, roots: list[int] | None) -> np.ndarray:
    """Per-frame mean joint error (NaN-aware), root-relative when ``roots`` is given."""
    if roots is not None:
        with np.errstate(invalid="ignore"):
            pred = pred - np.nanmean(pred[..., roots, :], axis=-2, keepdims=True)
            gt = gt - gt[..., roots, :].mean(axis=-2, keepdims=True)
    e = np.linalg.norm(pred - gt, axis=-1)
    n = np.isfinite(e).sum(-1)
    return np.where(n > 0, np.where(np.isfinite(e), e, 0.0).sum(-1) / np.maximum(n, 1), np.nan)  # NaN: nobody there


def _mean(values: list[np.ndarray], masks: list[np.ndarray] | None = None) -> float:
    v = np.concatenate(values) if masks is None else np.concatenate([a[m] for a, m in zip(values, masks)])
    return float(np.nanmean(v)) if v.size else float("nan")


def inversions(rate: float, frames: int, seed: int) -> tuple[list[str], list[str]]:
    import synsp
    from synsp.label_errors import inversion_truth, simulate_inversions
    from synsp.noise import simulate
    from synsp.repair import relabel, repair_inversions
    from synsp.skeletons import get_skeleton

    share_rows, mpjpe_rows = [], []
    for dim, sk, preset, scale, unit in CASES:
        clips = _clips(sk, dim == "2D", frames)
        roots = list(get_skeleton(sk).root_joints) if dim == "3D" else None
        for follow in (True, False):
            order = "errors follow the limb" if follow else "errors stay with the label"
            hit, total, false, others = {}, {}, 0, 0
            errs: dict[str, list[np.ndarray]] = {}
            inverted = []
            for i, gt in enumerate(clips):
                s = seed + i
                if follow:
                    sim = simulate(gt, preset, skeleton=sk, fps=30, seed=s)
                    inv = simulate_inversions(sim.pred, sk, rate=rate, seed=10_000 + s)
                    pred, conf = inv.poses, relabel(sim.confidence, inv.truth, sk, inv.groups)
                    clean, clean_conf = sim.pred, sim.confidence
                else:
                    inv = simulate_inversions(gt, sk, rate=rate, seed=10_000 + s)
                    sim = simulate(inv.poses, preset, skeleton=sk, fps=30, seed=s)
                    pred, conf = sim.pred, sim.confidence
                    ref = simulate(gt, preset, skeleton=sk, fps=30, seed=s)
                    clean, clean_conf = ref.pred, ref.confidence
                truth = inv.truth ^ inversion_truth(sim.events, sk, len(gt))
                r = repair_inversions(pred, sk, conf)
                for k, g in enumerate(r.groups):
                    hit[g] = hit.get(g, 0) + int((r.flipped[:, k] & truth[:, k]).sum())
                    total[g] = total.get(g, 0) + int(truth[:, k].sum())
                false += int((r.flipped & ~truth).sum())
                others += int((~truth).sum())
                inverted.append(inv.truth.any(-1))
                outputs = {
                    "input": pred,
                    "butterworth": synsp.refine(pred, model="butterworth", fps=30, confidence=conf, repair=False),
                    "butterworth + repair": synsp.refine(pred, model="butterworth", fps=30, confidence=conf),
                    "synsp (default model)": synsp.refine(pred, fps=30, confidence=conf, repair=False),
                    "synsp + repair": synsp.refine(pred, fps=30, confidence=conf),
                    "no simulated inversions: input": clean,
                    "no simulated inversions: synsp + repair": synsp.refine(clean, fps=30, confidence=clean_conf),
                }
                for name, out in outputs.items():
                    errs.setdefault(name, []).append(_errors(out, gt, roots) * scale)
            groups = ", ".join(f"{g} {100 * hit[g] / max(total[g], 1):.1f} % of {total[g]}" for g in hit)
            share_rows.append(f"| {dim} {sk} {preset} | {order} | {groups} | {100 * false / max(others, 1):.2f} % |")
            for name, e in errs.items():
                mpjpe_rows.append(f"| {dim} {sk} {preset} | {order} | {name} | {_mean(e):.1f} | "
                                  f"{_mean(e, inverted):.1f} |")
    return share_rows, mpjpe_rows


def crossings(frames: int, seed: int) -> list[str]:
    import synsp
    from synsp.identity import repair_identities
    from synsp.label_errors import simulate_crossing

    rows = []
    clips = [c for c in _clips("coco17", False, 10**9) if len(c) >= 300]
    for dim, preset, scale, unit in (("3D", "3dpw-spin-like", 1000.0, "mm"), ("2D", "mediapipe-like", 1.0, "px")):
        swapped = restored = wrong = others = total = 0
        err_plain, err_rep = [], []
        for i in range(len(clips)):
            if total >= frames:
                break
            cr = simulate_crossing(clips[i], clips[(i + 1) % len(clips)], "coco17", crossings=4, absent=6,
                                   two_d=dim == "2D", noise=preset, seed=seed + i)
            total += len(cr.poses)
            r = repair_identities(cr.poses)
            right = (r.order[:, 0] == 1) == cr.swapped
            both = np.isfinite(cr.poses).all(-1).any(-1).all(-1)
            swapped += int((cr.swapped & both).sum())
            restored += int((cr.swapped & both & right).sum())
            others += int((~cr.swapped & both).sum())
            wrong += int((~cr.swapped & both & ~right).sum())
            err_plain.append(_errors(synsp.refine(cr.poses, fps=30, repair=False), cr.truth, None).ravel() * scale)
            err_rep.append(_errors(synsp.refine(cr.poses, fps=30), cr.truth, None).ravel() * scale)
        rows.append(f"| {dim} coco17 {preset} | {total} | {100 * restored / max(swapped, 1):.1f} % of {swapped} | "
                    f"{100 * wrong / max(others, 1):.2f} % | {_mean(err_plain):.1f} {unit} | {_mean(err_rep):.1f} {unit} |")
    return rows


def timing(long_frames: int) -> str:
    import synsp
    from synsp.data.corpus import load_corpus
    from synsp.noise import simulate
    from synsp.repair import repair_inversions

    clips = [c.positions for c in load_corpus(phases="first")]
    track = np.concatenate(clips * (long_frames // sum(len(c) for c in clips) + 1))[:long_frames].astype(np.float64)
    sim = simulate(track, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=0)
    start = time.perf_counter()
    repair_inversions(sim.pred, "h36m17", sim.confidence)
    repair_s = time.perf_counter() - start
    start = time.perf_counter()
    synsp.refine(sim.pred, fps=30, confidence=sim.confidence, repair=False)
    refine_s = time.perf_counter() - start
    return (f"| {long_frames:,} x 17 (h36m17, 3D) | {repair_s:.2f} | {refine_s:.1f} | "
            f"{100 * repair_s / refine_s:.1f} % |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=8000,
                        help="test-split frames per case (whole clips; 0: skip tables 1-3)")
    parser.add_argument("--rate", type=float, default=0.1, help="share of the frames inverted")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--long-frames", type=int, default=108_000, help="frames of the timed track (0: skip it)")
    args = parser.parse_args(argv)

    import torch

    print(f"# reproduce: python benchmarks/inversions.py --frames {args.frames} --rate {args.rate:g} "
          f"--seed {args.seed} --long-frames {args.long_frames}  (torch threads: {torch.get_num_threads()})")
    if args.frames > 0:
        shares, mpjpe = inversions(args.rate, args.frames, args.seed)
        print("\n| data | order | restored (inverted frames relabelled back) | other frames relabelled |")
        print("|---|---|---|---|")
        print("\n".join(shares))
        print("\n| data | order | method | MPJPE all frames | MPJPE inverted frames |")
        print("|---|---|---|---|---|")
        print("\n".join(mpjpe))
        print("\n| two people crossing (4 crossings, ids exchanged at each, 6 frames absent) | frames | "
              "swapped person-frames reassigned | others reassigned | MPJPE synsp | MPJPE synsp + repair |")
        print("|---|---|---|---|---|---|")
        print("\n".join(crossings(args.frames, args.seed)))
    if args.long_frames > 0:
        print("\n| long track | repair (s) | default model refinement (s) | repair / refinement |")
        print("|---|---|---|---|")
        print(timing(args.long_frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
