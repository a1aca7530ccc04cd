"""Real estimator output without ground truth: three BlazePose models judge each other's refined output.

MediaPipe's three BlazePose landmark models (lite, full, heavy), run on the same real video (the Sports2D
demo, 230 frames at 30 fps; ``src/synsp/data/embedded/sports2d_blazepose3.npz``, made by
``tools/make_sports2d_models.py``), are separate networks, so their frame-to-frame errors are largely
independent.  For a refiner R and two models A and B, the mean distance of R(A) to B's *raw* output ranks
refiners as their error against the truth would, up to what A and B share or differ by, which is the same
for every refiner (noise2noise-style): a refiner that removes A's jitter brings R(A) closer to B, one that
bends the motion or mislabels limbs moves it away.  Every ordered pair of the three models counts; a row of
the table is the mean over the six.

Frames: those where all three models found a person and put the hip centres within 5 % of the image width
of each other (the same person), cut into segments of at least 16 frames where the person changes (a hip
jump over 10 % of the width); each segment is refined as one track (``synsp.refine``, skeleton
``mediapipe33``, 30 fps, the repair of left/right inversions on unless ``--no-repair``; ``--scores``: each model's
visibility scores, as ``synsp refine`` uses them on a MediaPipe file: the repair weighs each point by it, the
refiner refines every point's position; ``--scores-missing``: as ``synsp.refine(..., confidence=visibility)``
does, points below 0.3 are missing and filled, which moved them away from the other models' raw guesses
(the reason ``synsp refine`` no longer does it with MediaPipe's visibility).  Distances in
pixels over the 33 landmarks and over the 12 body joints (shoulders to ankles); Accel: the mean length of
the refined body joints' second difference (px / frame^2), against the input's.

``--world``: the models' metric 3D landmarks instead (MediaPipe's hip-centred world landmarks, metres), refined
as 3D joints; distances in mm, and the refined frames whose shoulders face against the hips (the cosine between
the two left-to-right lines below 0; never on motion capture) counted.  ``--twist-cost 0``: the 3D repair without
its cost on such relabellings (``synsp.repair.TWIST_COST``, 10; 0 until 2026-12-05).

``--consensus 0.05,1``: the left/right repair alone, judged by the models' consensus: a model's limb group is
inverted in a frame where it matches the other two models' labels exchanged (by a 1.2x margin of summed
distances) and those two agree with each other, read right where it matches both as labelled; other frames
are not counted (an inversion all three share is not seen).  For each prior per relabelled frame (2D:
``FLIP_COST_2D``; with ``--world`` the 3D one), how many of those inversions the repair undoes and how many
correct labels it exchanges; ``--online 30``: the stream's repair (``synsp.repair.OnlineRepair``, that many
frames of delay) instead of the offline one.

``--data``: other files of this layout, or folders of them, pooled (every row over all their segments);
``--data benchmarks/data/pose2sim``: the same three models on each of the four cameras of the Pose2Sim demos
(``Demo_SinglePerson``, ``Demo_MultiPerson``: 100 frames at 60 fps each, a person balancing; see the folder's
README), data the repair's parameters were not chosen on.

Run:  python benchmarks/real_agreement.py [--methods input,butterworth,kalman-rts,default] [--no-repair] [--world]
      [--scores | --scores-missing] [--rounds 1] [--twist-cost 0] [--data benchmarks/data/pose2sim]
      python benchmarks/real_agreement.py --consensus 0.05,0.3,1,4 [--world] [--online 30]
      [--flip-cost 0.05]  (the repair's 2D prior per relabelled frame; 0.05 was its value until 2026-12-05)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the three models on each of the Pose2Sim demo's camera views (``tools/make_sports2d_models.py --video ...``)
POSE2SIM = ROOT / "benchmarks" / "data" / "pose2sim"
#: MediaPipe's shoulders, elbows, wrists, hips, knees, ankles
BODY = [11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
MODELS = ("lite", "full", "heavy")


def segments(raw: dict, width: float, same: float = 0.05, jump: float = 0.1, shortest: int = 16) -> list:
    """``[(start, stop)]`` of the frames where every model sees the same person, cut where the person changes."""
    import numpy as np

    hips = {m: raw[m][:, [23, 24]].mean(1) for m in raw}
    ok = np.all([np.isfinite(raw[m]).all((1, 2)) for m in raw], axis=0)
    for a in raw:
        for b in raw:
            with np.errstate(invalid="ignore"):
                ok &= ~(np.linalg.norm(hips[a] - hips[b], axis=-1) > same * width)
    first = hips[MODELS[0]]
    with np.errstate(invalid="ignore"):
        cut = np.r_[False, np.linalg.norm(np.diff(first, axis=0), axis=-1) > jump * width]
    out, start = [], None
    for t in range(len(ok) + 1):
        inside = t < len(ok) and ok[t]
        if start is not None and (not inside or cut[t]):
            if t - start >= shortest:
                out.append((start, t))
            start = None
        if inside and start is None:
            start = t
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default="input,butterworth,kalman-rts,one-euro,synsp-universal-w8,default",
                        help="comma-separated: input, filters, shipped models, checkpoint paths, default")
    parser.add_argument("--no-repair", action="store_true", help="refine without the left/right repair")
    parser.add_argument("--scores", action="store_true",
                        help="repair with the models' visibility scores, as synsp refine does with a MediaPipe file")
    parser.add_argument("--scores-missing", action="store_true",
                        help="the visibility as the confidence of synsp.refine: points below 0.3 missing and filled")
    parser.add_argument("--flip-cost", type=float, default=None,
                        help="the repair's prior per relabelled frame in 2D (synsp.repair.FLIP_COST_2D) instead")
    parser.add_argument("--twist-cost", type=float, default=None,
                        help="the 3D repair's cost on a body relabelled into a twist (synsp.repair.TWIST_COST) instead")
    parser.add_argument("--world", action="store_true", help="the metric 3D world landmarks (mm) instead of pixels")
    parser.add_argument("--consensus", default=None,
                        help="comma-separated priors: the repair alone against the models' consensus labels")
    parser.add_argument("--online", type=int, default=None, help="with --consensus: the stream's repair, this delay")
    parser.add_argument("--rounds", type=int, default=None,
                        help="the 2D repair's rounds (synsp.repair.ROUNDS_2D) instead; 1: one round as until 2026-12-05")
    parser.add_argument("--data", type=Path, nargs="+", default=None,
                        help="files of the same layout, or folders of them (default: the Sports2D video's); "
                             f"--data {POSE2SIM.relative_to(ROOT)}: the Pose2Sim demo's eight camera views")
    args = parser.parse_args(argv)

    import numpy as np

    import synsp
    import synsp.repair
    from synsp.io._common import read_npz
    from synsp.repair import repair_inversions, twisted_frames

    if args.flip_cost is not None:
        synsp.repair.FLIP_COST_2D = args.flip_cost
    if args.rounds is not None:
        synsp.repair.ROUNDS_2D = args.rounds
    if args.twist_cost is not None:
        synsp.repair.TWIST_COST = args.twist_cost

    paths = []
    for p in args.data or [Path(synsp.__file__).parent / "data" / "embedded" / "sports2d_blazepose3.npz"]:
        # a folder: its files of the three models' keypoints (benchmarks/data/pose2sim also holds cameras.npz)
        paths += [f for f in sorted(p.glob("*.npz")) if set(MODELS) <= set(read_npz(f))] if p.is_dir() else [p]
    print(f"# reproduce: python benchmarks/real_agreement.py --methods {args.methods}"
          + (" --no-repair" if args.no_repair else "") + (" --scores" if args.scores else "")
          + (" --scores-missing" if args.scores_missing else "")
          + (f" --flip-cost {args.flip_cost:g}" if args.flip_cost is not None else "")
          + (" --world" if args.world else "") + (f" --consensus {args.consensus}" if args.consensus else "")
          + (f" --online {args.online}" if args.online is not None else "")
          + (f" --rounds {args.rounds}" if args.rounds is not None else "")
          + (f" --twist-cost {args.twist_cost:g}" if args.twist_cost is not None else "")
          + (" --data " + " ".join(_shown(p) for p in args.data) if args.data else ""))
    videos = []  # per file: (raw, scores, segments, fps)
    unit, scale = ("mm", 1000.0) if args.world else ("px", 1.0)  # the world landmarks: refined in metres, in mm
    for path in paths:
        data = read_npz(path)
        raw = {m: np.asarray(data[m], dtype=np.float64)[..., :2] for m in MODELS}
        width, fps = float(data["image_size"][0]), float(data["fps"])
        segs = segments(raw, width)  # found on the image landmarks
        frames = sum(b - a for a, b in segs)
        height = float(np.median([np.ptp(raw["full"][t, BODY, 1]) for a, b in segs for t in range(a, b)]))
        if args.world:
            raw = {m: np.asarray(data[f"{m}_world"], dtype=np.float64) for m in MODELS}
        print(f"{path.name}: {frames} frames at {fps:g} fps in {len(segs)} segments {segs}, median body height "
              f"{height:.0f} px; repair {'off' if args.no_repair else 'on'}")
        scores = {m: np.asarray(data[m], dtype=np.float64)[..., 2] for m in MODELS}  # MediaPipe's visibility
        videos.append((raw, scores, segs, fps))
    print()
    if args.consensus:
        return _consensus(videos, [float(v) for v in args.consensus.split(",")], args.world, args.online)
    twisted = "| frames twisted (shoulders against hips) " if args.world else ""
    print(f"| method | 33 landmarks: distance to another model's raw output ({unit}) | 12 body joints ({unit}) | "
          f"body Accel ({unit}/frame^2) {twisted}|")
    print("|---|---|---|---|" + ("---|" if args.world else ""))
    for method in args.methods.split(","):
        every, body, accel, turned, frames = [], [], [], 0, 0
        for raw, scores, segs, fps in videos:
            for a in MODELS:
                for (start, stop) in segs:
                    x, conf = raw[a][start:stop], scores[a][start:stop]
                    if args.scores and not args.no_repair:  # as synsp refine: repaired with the visibility
                        x = repair_inversions(x, "mediapipe33", conf).poses
                    y = refined(x, method, fps, repair=not args.no_repair and not args.scores,
                                confidence=conf if args.scores_missing else None)
                    accel.append(scale * np.linalg.norm(np.diff(y[:, BODY], 2, axis=0), axis=-1).ravel())
                    if args.world:  # bodies whose shoulders face against their hips
                        turned, frames = turned + int(twisted_frames(y, "mediapipe33").sum()), frames + len(y)
                    for b in MODELS:
                        if b != a:
                            d = scale * np.linalg.norm(y - raw[b][start:stop], axis=-1)
                            every.append(d.ravel())
                            body.append(d[:, BODY].ravel())
        print(f"| {method} | {np.mean(np.concatenate(every)):.2f} | {np.mean(np.concatenate(body)):.2f} | "
              f"{np.mean(np.concatenate(accel)):.2f} |" + (f" {turned} of {frames} |" if args.world else ""))
    return 0


def refined(x, method: str, fps: float, **kw):
    """``x`` refined by ``method`` (``input``: as it is; ``default``: ``synsp.refine``'s own choice) on the
    ``mediapipe33`` skeleton; ``kw`` goes to ``synsp.refine`` (``repair``, ``confidence``)."""
    import synsp

    return x if method == "input" else synsp.refine(x, model=None if method == "default" else method, fps=fps,
                                                    skeleton="mediapipe33", **kw)


def _shown(path: Path) -> str:
    """``path`` as the reproduce line shows it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _consensus(videos: list, priors: list[float], world: bool, online: int | None) -> int:
    import numpy as np

    import synsp.repair
    from synsp.repair import OnlineRepair, limb_groups, repair_inversions

    def flipped(x, conf):  # (T, G) and the group names: the offline repair, or the stream's with `online` delay
        if online is None:
            r = repair_inversions(x, "mediapipe33", conf)
            return r.flipped, r.groups
        rep, out = OnlineRepair("mediapipe33", online), []
        for t in range(len(x)):
            out += rep.push(x[t], conf[t])
        out += rep.finish()
        return np.stack([f for _, f in out]), rep.groups

    def exchanged(a, b, pairs, margin=1.2):  # (clearly exchanged, clearly as labelled) per frame
        left, right = pairs[:, 0], pairs[:, 1]
        def dist(p, q):
            return np.linalg.norm(p - q, axis=-1).sum(-1)

        same = dist(a[:, left], b[:, left]) + dist(a[:, right], b[:, right])
        swap = dist(a[:, left], b[:, right]) + dist(a[:, right], b[:, left])
        return swap * margin < same, same * margin < swap

    truth = {}
    for v, (raw, _, segs, _) in enumerate(videos):
        for m in MODELS:
            o1, o2 = [o for o in MODELS if o != m]
            for a, b in segs:
                for g, pairs in limb_groups("mediapipe33").items():
                    pairs = np.asarray(pairs)
                    inv1, same1 = exchanged(raw[m][a:b], raw[o1][a:b], pairs)
                    inv2, same2 = exchanged(raw[m][a:b], raw[o2][a:b], pairs)
                    agree = exchanged(raw[o1][a:b], raw[o2][a:b], pairs)[1]
                    truth[(v, m, a, g)] = np.where(inv1 & inv2 & agree, 1, np.where(same1 & same2 & agree, 0, -1))
    count = {v: sum(int((t == v).sum()) for t in truth.values()) for v in (1, 0, -1)}
    print(f"consensus group-frames ({'3D world landmarks' if world else '2D'}): inverted {count[1]}, as labelled "
          f"{count[0]}, not decided {count[-1]}\n")
    print("| prior per relabelled frame | inversions undone | correct labels exchanged |\n|---|---|---|")
    name = "FLIP_COST_3D" if world else "FLIP_COST_2D"
    kept = getattr(synsp.repair, name)
    try:
        for prior in priors:
            setattr(synsp.repair, name, prior)
            hit = missed = wrong = right = 0
            for v, (raw, scores, segs, _) in enumerate(videos):
                for m, (a, b) in ((m, seg) for m in MODELS for seg in segs):
                    labels, names = flipped(raw[m][a:b], scores[m][a:b])
                    for k, g in enumerate(names):
                        t, f = truth[(v, m, a, g)], labels[:, k]
                        hit += int((f & (t == 1)).sum())
                        missed += int((~f & (t == 1)).sum())
                        wrong += int((f & (t == 0)).sum())
                        right += int((~f & (t == 0)).sum())
            print(f"| {prior:g}{' (default)' if prior == kept else ''} | {hit} of {hit + missed} | "
                  f"{wrong} of {wrong + right} |")
    finally:
        setattr(synsp.repair, name, kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
