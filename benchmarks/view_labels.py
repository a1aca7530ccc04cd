"""Views whose left/right labels disagree: what fusing them does, and what making them agree first restores.

Each test-split clip (h36m17, metres) is seen by ``--views`` simulated views in one world frame: the
``3dpw-spin-like`` estimator once per view (its own seed) plus ``--spread`` metres of independent noise (the
disagreement of monocular lifts).  One view has its limbs labelled the wrong way round for the whole take, or the
arms alone over the last two thirds of it.  Each input goes through ``synsp.refine(views=True)`` (each view's own
repair, then :func:`synsp.view_labels.agree_views`, then the default fusion) and, for comparison, the same without
the views' agreement (each view's own repair only) and with no repair.  MPJPE of the fused poses against the truth
(mm), and the group-frames whose labels are right that the agreement exchanged (on the views as simulated).

Run:  python benchmarks/view_labels.py [--views 4] [--spread 0.02] [--clips 26]
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--spread", type=float, default=0.02, help="metres of independent noise per view")
    parser.add_argument("--clips", type=int, default=26, help="test-split clips (at most 26)")
    args = parser.parse_args(argv)

    from unittest import mock

    import numpy as np

    import synsp
    import synsp.api
    from synsp.data.positions import split_positions
    from synsp.noise import simulate
    from synsp.repair import limb_groups, relabel
    from synsp.view_labels import agree_views

    print(f"# reproduce: python benchmarks/view_labels.py --views {args.views} --spread {args.spread:g} "
          f"--clips {args.clips}")
    names = tuple(limb_groups("h36m17"))
    clips = [gt for gt, _ in split_positions("h36m17", "test", "3d")][: args.clips]
    cases = {"labels agree": None, "one view the wrong way round throughout": names,
             "one view's arms exchanged over 2/3 of the take": ("arms",)}
    unchanged = lambda x, sk, conf: (x, conf, None)  # noqa: E731  (the views' agreement left out)
    rows = {case: np.zeros(3) for case in cases}
    frames = wrongly = total = 0
    for k, gt in enumerate(clips):
        rng = np.random.default_rng(k)
        x = np.stack([simulate(gt, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=100 * k + v).pred
                      + rng.normal(0.0, args.spread, gt.shape) for v in range(args.views)], 1)
        flipped = agree_views(x, "h36m17").flipped
        for g, name in enumerate(names):  # relabelled where the simulated view was right against the truth
            pairs = np.asarray(limb_groups("h36m17")[name])
            left, right = x[:, :, pairs[:, 0]], x[:, :, pairs[:, 1]]
            tl, tr = gt[:, None, pairs[:, 0]], gt[:, None, pairs[:, 1]]
            same = np.linalg.norm(left - tl, axis=-1).sum(-1) + np.linalg.norm(right - tr, axis=-1).sum(-1)
            swap = np.linalg.norm(left - tr, axis=-1).sum(-1) + np.linalg.norm(right - tl, axis=-1).sum(-1)
            wrongly += int((flipped[..., g] & (same <= swap)).sum())
            total += flipped[..., g].size
        for case, groups in cases.items():
            xi = x
            if groups:
                mask = np.zeros(x.shape[:2] + (len(names),), dtype=bool)
                span = slice(None) if len(groups) == len(names) else slice(len(x) // 3, None)
                for g in groups:
                    mask[span, k % args.views, names.index(g)] = True
                xi = relabel(x, mask, "h36m17", names)
            err = []
            for how in ("agree", "own", "none"):
                if how == "own":
                    with mock.patch.object(synsp.api, "agree_view_poses", unchanged):
                        out = synsp.refine(xi, views=True)
                else:
                    out = synsp.refine(xi, views=True, repair=how == "agree")
                err.append(1000 * np.linalg.norm(out[:, 0] - gt, axis=-1).mean() * len(gt))
            rows[case] += err
        frames += len(clips[k])
    print(f"\n{len(clips)} clips, {frames:,} frames, {args.views} views, {args.spread:g} m between views\n")
    print("| input | repair and views' agreement (default) | each view's own repair only | no repair |")
    print("|---|---|---|---|")
    for case, err in rows.items():
        print(f"| {case} | " + " | ".join(f"{e / frames:.2f}" for e in err) + " |")
    print(f"\nright labels exchanged by the agreement on the views as simulated: {wrongly} of {total:,} group-frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
