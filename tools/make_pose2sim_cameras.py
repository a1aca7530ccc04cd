"""Make ``benchmarks/data/pose2sim/cameras.npz``: the four calibrated cameras of the Pose2Sim demos.

A maintainer's tool, run by hand.  It reads Pose2Sim's Qualisys calibration
(``Pose2Sim/Demo_SinglePerson/calibration/Calib.qca.txt`` of the PyPI package ``pose2sim==0.10.49``, BSD-3-Clause;
the two demos share it) and writes, pickle-free, per camera (``names``: cam01-cam04):

* ``K`` ``(4, 3, 3)``: intrinsics in pixels (Qualisys gives them in 1/64 pixel);
* ``dist`` ``(4, 5)``: OpenCV's ``k1, k2, p1, p2, k3`` (Qualisys' radial 1-3 and tangential 1-2);
* ``R`` ``(4, 3, 3)``, ``t`` ``(4, 3)``: world to camera, ``x_cam = R x_world + t``, in metres.

The file gives each camera's orientation matrix and position (mm).  Which convention turns them into ``R, t``
was measured, not assumed: of the eight candidates (the matrix or its transpose, times one of the four axis
flips), ``R = diag(1, -1, -1) @ M`` and ``t = -R @ position`` is the one under which the three BlazePose models'
keypoints of each camera pair meet the epipolar lines (median 10.7-20.5 px over the six pairs, against 47-858 px
for the seven others; the images are 1,920 px tall).  ``benchmarks/real_views.py`` uses the file.

    pip download --no-deps pose2sim==0.10.49 -d /tmp/p2s && cd /tmp/p2s && python3 -m zipfile -e pose2sim-*.whl x
    python tools/make_pose2sim_cameras.py --calibration /tmp/p2s/x/Pose2Sim/Demo_SinglePerson/calibration/Calib.qca.txt
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "data" / "pose2sim" / "cameras.npz"
#: Qualisys stores the intrinsics in sub-pixel units: 64 per pixel
SUBPIXELS = 64.0
#: the axis flip between Qualisys' camera frame and OpenCV's (x right, y down, z forward)
FLIP = np.diag([1.0, -1.0, -1.0])


def read_qca(path: Path) -> dict[str, np.ndarray]:
    """The cameras of a Qualisys ``.qca.txt`` calibration as :func:`main` writes them."""
    names, K, dist, R, t = [], [], [], [], []
    for cam in ET.parse(path).getroot().iter("camera"):
        tr, it = cam.find("transform").attrib, cam.find("intrinsic").attrib
        orientation = np.array([[float(tr[f"r{i}{j}"]) for j in (1, 2, 3)] for i in (1, 2, 3)])
        position = np.array([float(tr[k]) for k in "xyz"]) / 1000.0  # mm -> m
        names.append(cam.attrib["serial"])
        K.append([[float(it["focalLengthU"]) / SUBPIXELS, 0.0, float(it["centerPointU"]) / SUBPIXELS],
                  [0.0, float(it["focalLengthV"]) / SUBPIXELS, float(it["centerPointV"]) / SUBPIXELS],
                  [0.0, 0.0, 1.0]])
        dist.append([float(it[k]) for k in ("radialDistortion1", "radialDistortion2", "tangentalDistortion1",
                                            "tangentalDistortion2", "radialDistortion3")])
        rot = FLIP @ orientation
        R.append(rot)
        t.append(-rot @ position)
    return dict(names=np.array(names), K=np.array(K), dist=np.array(dist), R=np.array(R), t=np.array(t))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calibration", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    cams = read_qca(args.calibration)
    np.savez_compressed(args.out, **cams, description=np.array(
        "The four cameras of Pose2Sim's demos (pose2sim 0.10.49, BSD-3-Clause, (c) 2022 perfanalytics), from "
        "Demo_SinglePerson/calibration/Calib.qca.txt: K (px), dist (k1, k2, p1, p2, k3), world-to-camera R, t (m)"))
    print(f"wrote {args.out}: {len(cams['names'])} cameras")


if __name__ == "__main__":
    main()
