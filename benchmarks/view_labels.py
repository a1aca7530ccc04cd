"""Views whose left/right labels disagree: what fusing them does, and what making them agree first restores.

Each test-split clip (h36m17, metres) is seen by ``--views`` simulated views in one world frame: the
``3dpw-spin-like`` estimator once per view (its own seed) plus ``--spread`` metres of independent noise (the
disagreement of monocular lifts).  One view has its limbs labelled the wrong way round for the whole take, or the
arms alone over the last two thirds of it.  Each input goes through ``synsp.refine(views=True)`` (each view's own
repair, then :func:`synsp.view_labels.agree_views`, then the default fusion) and, for comparison, the same without
the views' agreement (each view's own repair only) and with no repair.  MPJPE of the fused poses against the truth
(mm), and the group-frames whose labels are right that the agreement exchanged (on the views as simulated).

``--real``: real views instead.  MediaPipe's world landmarks (hip-centred, metric, in each camera's axes) of each
BlazePose model on each calibrated camera of the Pose2Sim demo (``benchmarks/data/pose2sim``), turned into the
cameras' common world axes (``w @ R``), are monocular 3D views of one person in one world frame, hip-centred.  A
camera that sees another person (its heavy model's hips more than 100 px from where every pair of the other cameras
puts them: camera 3 of the multi-person demo) is left out.  Judge: the heavy model's 2D keypoints of all the
cameras used (each repaired alone), triangulated (``synsp.calibration``) and hip-centred; body joints, mm.  Each single view,
then the views fused by ``synsp.refine(views=True)`` (MediaPipe's visibility weighing the repair) with the views'
agreement, with each view's own repair only, and with no repair.  Then the cameras' 2D keypoints themselves, each
camera repaired alone and then made to agree with the others (:func:`synsp.view_labels.agree_cameras`): each
camera's distance to another model's keypoints in that camera.

Run:  python benchmarks/view_labels.py [--views 4] [--spread 0.02] [--clips 26]
      python benchmarks/view_labels.py --real
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--spread", type=float, default=0.02, help="metres of independent noise per view")
    parser.add_argument("--clips", type=int, default=26, help="test-split clips (at most 26)")
    parser.add_argument("--real", action="store_true", help="the Pose2Sim demo's calibrated cameras instead")
    args = parser.parse_args(argv)
    if args.real:
        return _real()

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


def _real() -> int:
    import runpy
    from pathlib import Path
    from unittest import mock

    import numpy as np

    import synsp
    import synsp.api
    from synsp.calibration import project, triangulate, undistort
    from synsp.io._common import read_npz
    from synsp.repair import repair_inversions, repair_poses
    from synsp.view_labels import agree_view_poses

    here = Path(__file__).resolve().parent
    views = runpy.run_path(str(here / "real_views.py"))
    body, models, folder = views["BODY"], views["MODELS"], here / "data" / "pose2sim"
    cams = read_npz(folder / "cameras.npz")
    unchanged = lambda x, sk, conf: (x, conf, None)  # noqa: E731  (the views' agreement left out)
    print("# reproduce: python benchmarks/view_labels.py --real\n")
    print("| demo | model | cameras | single views | fused, no repair | each view's own repair | with the views' "
          "agreement (default) | group-frames relabelled by the agreement |")
    print("|---|---|---|---|---|---|---|---|")
    for demo in ("single_person", "multi_person"):
        files = [read_npz(folder / f"{demo}_cam{c + 1}.npz") for c in range(4)]

        def points(model, c):  # normalised image coordinates, each camera's track repaired alone
            x = np.asarray(files[c][model], dtype=np.float64)
            return undistort(repair_inversions(x[..., :2], "mediapipe33", x[..., 2]).poses, cams["K"][c],
                             cams["dist"][c])

        heavy = [points("heavy", c) for c in range(4)]
        used = []
        for c in range(4):  # a camera that sees the person where the others put the hips
            others = [q for q in range(4) if q != c]
            far = []
            for i, a in enumerate(others):
                for b in others[i + 1:]:
                    pts = np.stack([heavy[a], heavy[b]], 1)[:, :, [23, 24]]
                    X = triangulate(pts, np.ones(pts.shape[:-1]), cams["R"][[a, b]], cams["t"][[a, b]])
                    d = np.linalg.norm(project(X, cams["R"][c], cams["t"][c]) - heavy[c][:, [23, 24]], axis=-1)
                    far.append(cams["K"][c][0, 0] * np.nanmedian(d))
            if min(far) <= 100:
                used.append(c)
        pts = np.stack([heavy[c] for c in used], 1)  # the cameras used, triangulated together
        ref = triangulate(pts, np.ones(pts.shape[:-1]), cams["R"][used], cams["t"][used])
        ref -= (ref[:, 23:24] + ref[:, 24:25]) / 2  # hip-centred, as the world landmarks

        def error(y):
            return 1000 * float(np.nanmean(np.linalg.norm(y[:, body] - ref[:, body], axis=-1)))

        for model in models:
            x = np.stack([np.asarray(files[c][f"{model}_world"], dtype=np.float64) @ cams["R"][c] for c in used], 1)
            vis = np.stack([np.asarray(files[c][model], dtype=np.float64)[..., 2] for c in used], 1)
            none = synsp.refine(x, views=True, repair=False)[:, 0]
            with mock.patch.object(synsp.api, "agree_view_poses", unchanged):
                own = synsp.refine(x, views=True, visibility=vis)[:, 0]
            fused = synsp.refine(x, views=True, visibility=vis)[:, 0]
            repaired, weights, _ = repair_poses(x, "mediapipe33", vis)
            relabelled = agree_view_poses(repaired, "mediapipe33", weights)[2].sum()
            print(f"| {demo} | {model} | {', '.join(str(c + 1) for c in used)} | "
                  f"{' / '.join(f'{error(x[:, k]):.1f}' for k in range(len(used)))} | {error(none):.1f} | "
                  f"{error(own):.1f} | {error(fused):.1f} | {int(relabelled)} |")
    _real_cameras(folder, cams)
    return 0


def _real_cameras(folder, cams) -> None:
    """The same cameras' 2D keypoints, each camera repaired alone (with the visibility), then made to agree
    (:func:`synsp.view_labels.agree_cameras`, all four cameras: one that sees another person is left out by it)."""
    import warnings

    import numpy as np

    from synsp.io._common import read_npz
    from synsp.repair import repair_inversions
    from synsp.view_labels import agree_cameras

    body = [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
    print("\n2D keypoints of the four cameras, each repaired alone, then the cameras' labels made to agree: body "
          "joints' distance (px) to another model's keypoints in the same camera (heavy; for heavy, full)\n")
    print("| demo | model | cameras 1 / 2 / 3 / 4, each repaired alone | with the cameras' agreement | group-frames "
          "relabelled per camera | warnings |")
    print("|---|---|---|---|---|---|")
    for demo in ("single_person", "multi_person"):
        files = [read_npz(folder / f"{demo}_cam{c + 1}.npz") for c in range(4)]

        def repaired(model):
            x = np.stack([np.asarray(f[model], dtype=np.float64) for f in files], 1)
            return np.stack([repair_inversions(x[:, c, :, :2], "mediapipe33", x[:, c, :, 2]).poses
                             for c in range(4)], 1), x[..., 2]

        tracks = {m: repaired(m) for m in ("lite", "full", "heavy")}
        for model, (x, vis) in tracks.items():
            judge = tracks["full" if model == "heavy" else "heavy"][0]
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                got = agree_cameras(x, cams, "mediapipe33", vis)

            def px(y):
                d = np.nanmean(np.linalg.norm(y[:, :, body] - judge[:, :, body], axis=-1), axis=(0, 2))
                return " / ".join(f"{v:.1f}" for v in d)

            notes = "; ".join(str(w.message).split(" (")[0] for w in said) or "-"
            print(f"| {demo} | {model} | {px(x)} | {px(got.poses)} | "
                  f"{' / '.join(str(int(n)) for n in got.flipped.sum((0, 2)))} | {notes} |")


if __name__ == "__main__":
    sys.exit(main())
