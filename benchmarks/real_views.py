"""Real triangulated 3D without ground truth: two calibrated cameras triangulate, the other two judge.

A Pose2Sim user's pipeline: 2D keypoints in several calibrated, synchronised cameras, triangulated into 3D, then
filtered (Pose2Sim's default: a 6 Hz Butterworth).  Here: MediaPipe's three BlazePose models on each of the four
cameras of Pose2Sim's ``Demo_SinglePerson`` (``benchmarks/data/pose2sim``, 100 frames at 60 fps; the cameras in
its ``cameras.npz``, made by ``tools/make_pose2sim_cameras.py``).  For each model and each of the six pairs of
cameras, the pair's keypoints (left/right repaired per camera with the visibility, as ``synsp refine`` does with a
MediaPipe file) are triangulated (``synsp.calibration.triangulate``: linear least squares, per frame and landmark)
into a 3D track in metres; each method
refines that track (``synsp.refine(..., fps=60, skeleton="mediapipe33")``, the repair on); the result is projected
into the two other cameras and measured against every model's keypoints there.  The judges' errors are those of
other images, independent of the pair's, so what they add is the same for every method (noise2noise-style): a
method that removes the triangulation's jitter comes closer, one that bends the motion moves away.  Distances in
undistorted pixels over the 12 body joints (shoulders to ankles) and all 33 landmarks; Accel: the mean length of
the refined body joints' second difference (mm / frame^2).

Run:  python benchmarks/real_views.py [--methods input,butterworth,kalman-rts,default] [--models lite,full,heavy]
      [--no-repair] [--where 3d|2d|both] [--rounds 1] [--agree] [--fuse-models]

``--fuse-models``: several 3D views of one person in one world frame, from real estimators: each pair's three
triangulations (one per BlazePose model, from the same two images, so their errors are partly shared) are the
views of ``synsp.refine(..., views=True)``; each method fuses them (``input``: their plain mean; ``default``:
``synsp.refine``'s own choice for views; a name: that refiner for views, e.g. ``synsp-universal-w16+view-mean``),
and the one fused track is judged as above.

``--agree``: the four cameras' labels are made to agree (:func:`synsp.view_labels.agree_cameras`) after each
camera's own repair, before triangulating; the judges' keypoints stay those of each camera repaired alone.
"""

from __future__ import annotations

import argparse
import itertools
import runpy
import sys
from pathlib import Path

from synsp.calibration import project, triangulate, undistort

#: the three-model benchmark beside this one: its data folder, body joints, models and method runner
_AGREEMENT = runpy.run_path(str(Path(__file__).with_name("real_agreement.py")))
DATA, BODY, MODELS, refined = (_AGREEMENT[k] for k in ("POSE2SIM", "BODY", "MODELS", "refined"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default="input,butterworth,kalman-rts,one-euro,synsp-universal-w8,default",
                        help="comma-separated: input, filters, shipped models, checkpoint paths, default")
    parser.add_argument("--models", default="lite,full,heavy", help="which BlazePose models' keypoints triangulate")
    parser.add_argument("--no-repair", action="store_true", help="refine the 3D tracks without the left/right repair")
    parser.add_argument("--rounds", type=int, default=None,
                        help="the cameras' 2D repair's rounds (synsp.repair.ROUNDS_2D) instead; 1: one round")
    parser.add_argument("--agree", action="store_true",
                        help="make the four cameras' left/right labels agree (synsp.view_labels.agree_cameras) after "
                             "each camera's own repair, before triangulating")
    parser.add_argument("--where", choices=("3d", "2d", "both"), default="3d",
                        help="refine the triangulated 3D (default), each camera's 2D keypoints before "
                             "triangulating, or both")
    parser.add_argument("--fuse-models", action="store_true",
                        help="the models' triangulations of each pair are views of one person, fused by each method")
    args = parser.parse_args(argv)

    import numpy as np

    import synsp
    import synsp.repair
    from synsp.io._common import read_npz
    from synsp.repair import repair_inversions
    from synsp.view_labels import agree_cameras

    if args.rounds is not None:
        synsp.repair.ROUNDS_2D = args.rounds

    cams = read_npz(DATA / "cameras.npz")
    files = [read_npz(DATA / f"single_person_cam{c + 1}.npz") for c in range(4)]
    fps = float(files[0]["fps"])
    views, pixels = {}, {}  # (model, camera) -> undistorted normalised points / pixels (T, 33, 2), repaired
    judges = {}  # the same, each camera repaired alone: what judges a triangulation (the same with --agree)
    for m in MODELS:
        for c, f in enumerate(files):
            x = np.asarray(f[m], dtype=np.float64)
            pixels[m, c] = repair_inversions(x[..., :2], "mediapipe33", x[..., 2]).poses
            judges[m, c] = undistort(pixels[m, c], cams["K"][c], cams["dist"][c])
        if args.agree:  # the cameras' labels made to agree (the visibility weighing them, as in the repair)
            vis = np.stack([np.asarray(f[m], dtype=np.float64)[..., 2] for f in files], 1)
            agreed = agree_cameras(np.stack([pixels[m, c] for c in range(4)], 1), cams, "mediapipe33", vis).poses
            pixels.update({(m, c): agreed[:, c] for c in range(4)})
        for c in range(4):
            views[m, c] = undistort(pixels[m, c], cams["K"][c], cams["dist"][c])

    print(f"# reproduce: python benchmarks/real_views.py --methods {args.methods} --models {args.models}"
          + (" --no-repair" if args.no_repair else "") + (f" --where {args.where}" if args.where != "3d" else "")
          + (f" --rounds {args.rounds}" if args.rounds is not None else "") + (" --agree" if args.agree else "")
          + (" --fuse-models" if args.fuse_models else ""))
    print(f"Pose2Sim Demo_SinglePerson: 4 cameras, {len(files[0]['full'])} frames at {fps:g} fps; each of the 6 "
          f"camera pairs triangulates each model's keypoints ({args.models}), the other two cameras judge\n")
    print("| method | 12 body joints: px from the judges' keypoints | 33 landmarks (px) | body Accel (mm/frame^2) |")
    print("|---|---|---|---|")
    for method in args.methods.split(","):
        body, every, accel = [], [], []

        def judged(Y, pair):  # a refined 3D track of a pair, measured in the two other cameras
            accel.append(1000 * np.linalg.norm(np.diff(Y[:, BODY], 2, axis=0), axis=-1).ravel())
            for judge in (c for c in range(4) if c not in pair):
                seen = project(Y, cams["R"][judge], cams["t"][judge])
                for other in MODELS:
                    d = cams["K"][judge][0, 0] * np.linalg.norm(seen - judges[other, judge], axis=-1)
                    body.append(d[:, BODY].ravel())
                    every.append(d.ravel())

        if args.fuse_models:  # each pair's triangulations by every model, fused by the method
            for pair in itertools.combinations(range(4), 2):
                ends = list(pair)
                X = np.stack([triangulate(np.stack([views[m, c] for c in pair], 1), np.ones((len(views[m, 0]), 2, 33)),
                                          cams["R"][ends], cams["t"][ends]) for m in args.models.split(",")], 1)
                Y = (np.nanmean(X, axis=1) if method == "input" else synsp.refine(
                    X, model=None if method == "default" else method, fps=fps, skeleton="mediapipe33", views=True,
                    repair=not args.no_repair)[:, 0])
                judged(Y, pair)
        for m in ([] if args.fuse_models else args.models.split(",")):
            for pair in itertools.combinations(range(4), 2):
                # each camera's keypoints are repaired already, with their visibility: refining them does not
                # repair them again (without it)
                a, b = (views[m, c] if args.where == "3d" else
                        undistort(refined(pixels[m, c], method, fps, repair=False), cams["K"][c], cams["dist"][c])
                        for c in pair)
                pts, ends = np.stack([a, b], 1), list(pair)  # (T, 2, 33, 2): linear least squares, NaN unseen
                X = triangulate(pts, np.ones(pts.shape[:-1]), cams["R"][ends], cams["t"][ends])
                Y = refined(X, method, fps, repair=not args.no_repair) if args.where != "2d" else X
                judged(Y, pair)
        body, every, accel = (np.concatenate(v) for v in (body, every, accel))
        print(f"| {method} | {np.nanmean(body):.2f} | {np.nanmean(every):.2f} | {np.nanmean(accel):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
