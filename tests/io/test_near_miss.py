"""Files that nearly are a format (MediaPipe landmarks, SMPL parameters) get that format's message, not the
plain-array reader's; plain arrays stay plain arrays."""

import numpy as np
import pytest

from synsp.cli import main
from synsp.io.tracks import pose_file_format, read_pose_file
from synsp.validation import SynspInputError

RNG = np.random.default_rng(0)
LANDMARKS = RNG.uniform(0, 1, (40, 33, 4))
POSES = RNG.normal(0, 0.1, (40, 72))


@pytest.mark.parametrize("arrays, message", [
    (dict(landmarks=(LANDMARKS * 1000).astype(np.int32)), r"'landmarks' \(40, 33, 4\) is int32: MediaPipe's landmarks "
                                                          r"are floats \(T, 33, 4 \| 5\)"),
    (dict(landmarks=(LANDMARKS * 1000).astype(np.int32), fps=np.array(30.0)), "is int32: MediaPipe's landmarks"),
    (dict(landmarks=LANDMARKS[:, :32]), r"has 32 landmarks: MediaPipe Pose's layout has 33"),
    (dict(poses=POSES[:, :71], betas=np.zeros(10), trans=np.zeros((40, 3))),
     r"'poses' has 71 values per frame beside \['betas', 'trans'\]: SMPL parameters\? .* 71 is neither"),
    (dict(poses=np.zeros((40, 75)), betas=np.zeros(10)),
     r"25 joints is not a joint count of the SMPL family .* synsp.io.smpl.read\(path, key='poses'\)"),
    (dict(poses=np.zeros((40, 72), dtype=np.int32), betas=np.zeros(10)), r"is \(40, 72\) int32 .* rotations are floats"),
    (dict(global_orient=np.zeros((40, 3)), betas=np.zeros(10)), r"it needs 'body_pose' beside it"),
])
def test_near_misses_name_the_format_and_what_to_change(tmp_path, capsys, arrays, message):
    path = tmp_path / "near.npz"
    np.savez(path, **arrays)
    with pytest.raises(SynspInputError, match=message):
        read_pose_file(path)
    assert main(["refine", str(path), "-o", str(tmp_path / "out.npz")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and not (tmp_path / "out.npz").exists()


def test_plain_arrays_under_those_names_are_still_read(tmp_path):
    np.savez(tmp_path / "points.npz", landmarks=LANDMARKS[..., :3])  # (T, 33, 3): points, no visibility
    assert read_pose_file(tmp_path / "points.npz").dims == 3
    np.savez(tmp_path / "joints.npz", poses=RNG.normal(0, 1, (40, 17, 3)), trans=np.zeros((40, 3)))  # positions
    assert read_pose_file(tmp_path / "joints.npz").num_joints == 17
    np.savez(tmp_path / "smpl.npz", poses=POSES, betas=np.zeros(10))  # the real thing
    assert pose_file_format(tmp_path / "smpl.npz") == "smpl"
    np.savez(tmp_path / "mp.npz", landmarks=LANDMARKS)
    assert pose_file_format(tmp_path / "mp.npz") == "mediapipe"


def _long_csv(path, landmarks):
    rows = ["frame,person,landmark,x,y,z,visibility"]
    for f in range(20):
        rows += [f"{f},0,{j},{0.4 + 0.01 * j + 0.001 * f:.4f},{0.5 + 0.005 * j:.4f},0,0.9" for j in landmarks]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_mediapipe_hands_csv_is_not_read_as_a_pose(tmp_path):
    """Landmarks 0-20 alone are MediaPipe Hands' 21: read as Pose's they would be a nose, eyes, shoulders and an arm
    (refined as a body, their 'left' and 'right' swapped by the repair); refused with what to do instead."""
    with pytest.raises(SynspInputError, match=r"landmarks 0-20 only: MediaPipe Hands' 21 hand landmarks, not "
                                              r"Pose's 33, .* an array \(T, 21, 2\|3\)"):
        read_pose_file(_long_csv(tmp_path / "hand.csv", range(21)))
    upper = read_pose_file(_long_csv(tmp_path / "upper.csv", range(25)))  # the upper body only: a pose
    assert upper.skeleton == "mediapipe33" and np.isnan(upper.tracks[0].keypoints[:, 25:]).all()
