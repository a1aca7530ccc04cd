"""`synsp refine FOLDER -o OUT --workers N`: a folder of mixed-format pose files, timed per worker count.

The folder is made from the data shipped with synsp (nothing downloaded): the embedded corpus's test
clips (real mocap, Human3.6M-17 joints and SMPL rotations, with a little noise added) and the embedded
MediaPipe track of the Sports2D video, written as every kind of file `synsp refine` reads, one
sub-folder per "video":

  h36m17 .npy (float32, metres)      TRC in mm (17 markers)        SMPL parameter .npz (poses, trans)
  MediaPipe NPZ and long CSV         MMPose 1.x JSON with track ids and without (two people, tracked)
  COCO results JSON                  OpenPose JSON folder (BODY_25)  Pose2Sim-like 22-marker TRC (Butterworth)
  hand (21 points) .npy (Butterworth)

Each worker count refines the whole folder in a fresh `python -m synsp refine` process (wall time,
start-up and model loading included; outputs checked equal across worker counts).

Run:  python benchmarks/many_files.py [--files 20] [--workers 1 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KINDS = ("npy", "trc", "smpl", "mediapipe-npz", "mediapipe-csv", "mmpose", "mmpose-untracked", "coco", "openpose",
         "trc22", "hand")
POSE2SIM22 = ["Hip", "RHip", "RKnee", "RAnkle", "RBigToe", "RSmallToe", "RHeel", "LHip", "LKnee", "LAnkle",
              "LBigToe", "LSmallToe", "LHeel", "Neck", "Head", "Nose", "RShoulder", "RElbow", "RWrist",
              "LShoulder", "LElbow", "LWrist"]


def _sports2d():
    from synsp.data.corpus import embedded_corpus_path

    path = embedded_corpus_path().parent / "sports2d_mediapipe.npz"
    with np.load(path, allow_pickle=False) as z:
        return path, z["landmarks"].astype(np.float64)  # (T, P, 33, 4): x, y, z, visibility


def _coco17(lm: np.ndarray) -> np.ndarray:
    """MediaPipe (..., 33, C) -> COCO-17 (..., 17, C) by joint name."""
    from synsp.skeletons import SKELETONS

    mp, coco = SKELETONS["mediapipe33"], SKELETONS["coco17"]
    return lm[..., [mp.index(n) for n in coco.joints], :]


def _body25(lm: np.ndarray) -> np.ndarray:
    """MediaPipe (T, 33, 4) -> OpenPose BODY_25 (T, 25, 3) x, y, c (neck/mid_hip: the mid-points, toes: foot index)."""
    from synsp.skeletons import SKELETONS

    mp = SKELETONS["mediapipe33"]
    get = lambda n: lm[:, mp.index(n)]  # noqa: E731
    alias = {"big_toe": "foot_index", "small_toe": "foot_index"}
    out = []
    for name in SKELETONS["body25"].joints:
        if name == "neck":
            v = (get("left_shoulder") + get("right_shoulder")) / 2
        elif name == "mid_hip":
            v = (get("left_hip") + get("right_hip")) / 2
        else:
            side, _, rest = name.partition("_")
            v = get(f"{side}_{alias[rest]}" if rest in alias else name)
        out.append(v[:, [0, 1, 3]])
    return np.stack(out, axis=1)


def make_folder(root: Path, files: int = 20, seed: int = 0) -> list[Path]:
    """``files`` pose files of the kinds in :data:`KINDS` (in turn) under ``root/video_XX/``; returns their paths."""
    from synsp.data.corpus import load_corpus
    from synsp.io import write_trc

    rng = np.random.default_rng(seed)
    clips = [c for c in load_corpus(split="test", rotations=True) if len(c.positions) >= 60]
    path, lm = _sports2d()
    made = []
    for i in range(files):
        kind = KINDS[i % len(KINDS)]
        clip = clips[i % len(clips)]
        noisy = clip.positions + rng.normal(scale=0.02, size=clip.positions.shape)  # metres
        folder = root / f"video_{i:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        person = lm[:, 0]  # (230, 33, 4) the first person, NaN where absent
        seen = np.isfinite(person[:, 0, 0])
        if kind == "npy":
            target = folder / "joints3d.npy"
            np.save(target, noisy.astype(np.float32))
        elif kind == "trc":
            target = folder / "markers.trc"
            from synsp.skeletons import SKELETONS

            write_trc(target, noisy * 1000, marker_names=list(SKELETONS["h36m17"].joints), fps=clip.fps, units="mm")
        elif kind == "smpl":
            target = folder / "smpl.npz"
            poses = clip.rotations.reshape(len(clip.rotations), -1) + rng.normal(scale=0.03, size=(len(clip.rotations), 72))
            np.savez(target, poses=poses.astype(np.float32), trans=noisy[:, 0].astype(np.float32),
                     betas=np.zeros(10, np.float32))
        elif kind == "mediapipe-npz":
            target = folder / "mediapipe.npz"
            shutil.copy(path, target)
        elif kind == "mediapipe-csv":
            target = folder / "mediapipe.csv"
            rows = ["frame,person,landmark,x,y,z,visibility"]
            for t in range(len(lm)):
                for p in range(lm.shape[1]):
                    if np.isfinite(lm[t, p, 0, 0]):
                        rows += [f"{t},{p},{j},{x:.3f},{y:.3f},{z:.3f},{v:.4f}" for j, (x, y, z, v) in enumerate(lm[t, p])]
            target.write_text("\n".join(rows) + "\n")
        elif kind in ("mmpose", "mmpose-untracked"):
            target = folder / "predictions.json"
            kp = _coco17(person[seen])  # (n, 17, 4)
            other = kp.copy()
            other[..., 0] += 600  # a second person beside the first
            frames = []
            for t in range(len(kp)):
                people = [(0, kp[t]), (1, other[t])] if kind == "mmpose-untracked" else [(0, kp[t])]
                if kind == "mmpose-untracked" and t % 5 == 0:
                    people.reverse()  # detectors list people in no stable order
                frames.append({"frame_id": t, "instances": [
                    {"keypoints": k[:, :2].round(2).tolist(), "keypoint_scores": k[:, 3].round(4).tolist(),
                     **({} if kind == "mmpose-untracked" else {"track_id": tid})} for tid, k in people]})
            target.write_text(json.dumps(frames))
        elif kind == "coco":
            target = folder / "coco_results.json"
            kp = _coco17(person[seen])
            target.write_text(json.dumps([{"image_id": t + 1, "category_id": 1, "score": 0.9, "track_id": 0,
                                           "keypoints": np.concatenate([k[:, :2], k[:, 3:]], 1).round(3).ravel().tolist()}
                                          for t, k in enumerate(kp)]))
        elif kind == "openpose":
            target = folder / "openpose_json"
            target.mkdir(exist_ok=True)
            b25 = _body25(person[seen])
            for t, k in enumerate(b25):
                doc = {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": k.round(3).ravel().tolist()}]}
                (target / f"clip_{t:012d}_keypoints.json").write_text(json.dumps(doc))
        elif kind == "trc22":
            target = folder / "pose2sim.trc"
            extra = noisy[:, rng.integers(0, 17, size=5)] + rng.normal(scale=0.05, size=(1, 5, 3))
            write_trc(target, np.concatenate([noisy, extra], axis=1), marker_names=POSE2SIM22, fps=clip.fps, units="m")
        else:  # a hand: 21 points in 2D following the wrist
            target = folder / "hand.npy"
            wrist = _coco17(person[seen])[:, 9, :2]
            offsets = rng.normal(scale=15, size=(1, 21, 2))
            np.save(target, wrist[:, None] + offsets + rng.normal(scale=2, size=(len(wrist), 21, 2)))
        made.append(target)
    return made


def _outputs(out: Path) -> dict[str, np.ndarray]:
    """Every output file's bytes-independent content (numbers) for comparing runs."""
    from synsp.io.tracks import pose_file_format, read_pose_file

    found = {}
    for p in sorted(out.rglob("*")):
        if p.is_dir() and pose_file_format(p) == "openpose" or p.is_file() and not p.name.endswith("_keypoints.json"):
            kw = {"assign_ids": "track"} if pose_file_format(p) in ("mmpose", "coco", "openpose") else {}
            found[str(p.relative_to(out))] = read_pose_file(p, **kw).to_array()[0]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", default=None, help="make the folder here and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"# reproduce: python benchmarks/many_files.py --files {args.files} --workers "
          f"{' '.join(map(str, args.workers))}")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        made = make_folder(root / "in", args.files)
        kinds = sorted({KINDS[i % len(KINDS)] for i in range(len(made))})
        print(f"{len(made)} files ({', '.join(kinds)}), {cpus} CPUs; `synsp refine in/ -o out/ --workers N`")
        print()
        print("| workers | wall time (s) | files refined |")
        print("|---|---|---|")
        first = None
        for n in args.workers:
            out = root / f"out{n}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = [sys.executable, "-m", "synsp", "refine", str(root / "in"), "-o", str(out), "--workers", str(n)]
            begin = time.perf_counter()
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - begin
            if proc.returncode:
                raise SystemExit(f"synsp refine failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
            refined = _outputs(out)
            if first is None:
                first = refined
            else:
                assert refined.keys() == first.keys()
                for k in refined:
                    np.testing.assert_allclose(refined[k], first[k], atol=1e-4, err_msg=k)
            print(f"| {n} | {wall:.1f} | {len(refined)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
