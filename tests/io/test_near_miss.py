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
    # read as joint positions before (a (T, 24, 3) int, or 3 x 3 matrices as (T, P, J=3, D=3) people), refined
    (dict(poses=np.zeros((40, 24, 3), dtype=np.int32), betas=np.zeros(10)),
     r"'poses' is \(40, 24, 3\) int32 beside \['betas'\]: SMPL parameters\? .* floats .* --key poses"),
    (dict(poses=np.tile(np.eye(3, dtype=np.int32), (40, 24, 1, 1)), betas=np.zeros(10)),
     r"'poses' is \(40, 24, 3, 3\) int32 .* rotation matrices are floats"),
    (dict(poses=np.tile(np.eye(3), (40, 23, 1, 1)), trans=np.zeros((40, 3))),
     r"'poses' holds 23 3 x 3 matrices per frame beside \['trans'\]: SMPL parameters\? 23 joints is not a joint "
     r"count of the SMPL family"),
    # the split layout: the message names the array at fault (it blamed 'global_orient' as "1 joints")
    (dict(global_orient=np.zeros((40, 3)), body_pose=np.zeros((40, 68)), betas=np.zeros(10)),
     r"'global_orient' \(40, 3\) \+ 'body_pose' \(40, 68\) .* 'body_pose' should be axis-angles too: .*69 for smpl"),
    (dict(global_orient=np.zeros((40, 3)), body_pose=np.zeros((40, 69), dtype=np.int32), betas=np.zeros(10)),
     r"'body_pose' is int32; their rotations are floats"),
    (dict(global_orient=np.zeros((39, 3)), body_pose=np.zeros((40, 69)), betas=np.zeros(10)),
     r"'global_orient' \(39, 3\) \+ 'body_pose' \(40, 69\) .* the same number of frames"),
    (dict(body_pose=np.zeros((40, 69)), betas=np.zeros(10)), r"'body_pose' \(40, 69\) .* it needs 'global_orient'"),
    (dict(poses=POSES[0], betas=np.zeros(10)), r"'poses' is \(72,\) beside \['betas'\]: .* need a frame axis"),
    (dict(landmarks=LANDMARKS.reshape(40, -1)), r"'landmarks' \(40, 132\) is 2-d: .* reshape them to \(T, 33, 4\)"),
    (dict(landmarks=np.zeros((40, 33, 6))), r"'landmarks' \(40, 33, 6\) has 6 channels per landmark: MediaPipe's"),
    (dict(landmarks=LANDMARKS.transpose(0, 2, 1)), r"'landmarks' \(40, 4, 33\) has its last two axes swapped"),
    (dict(landmarks=LANDMARKS[..., :3], world_landmarks=LANDMARKS[..., :3], track_ids=np.array([0])),
     r"'landmarks' \(40, 33, 3\) beside \['track_ids', 'world_landmarks'\]: a MediaPipe NPZ\? .* --key landmarks"),
    (dict(world_landmarks=LANDMARKS[..., :3], track_ids=np.array([0])),
     r"no 'landmarks' array beside \['track_ids', 'world_landmarks'\]: .* --key world_landmarks"),
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
    np.savez(tmp_path / "int.npz", poses=np.zeros((40, 17, 3), dtype=np.int32), betas=np.zeros(10))  # no SMPL count
    assert read_pose_file(tmp_path / "int.npz").num_joints == 17


def test_a_near_miss_named_with_key_is_read_as_the_plain_array_it_is(tmp_path):
    """The way out the messages give: naming the array reads it as a plain one."""
    np.savez(tmp_path / "m.npz", poses=np.tile(np.eye(3), (40, 23, 1, 1)), trans=np.zeros((40, 3)))
    assert len(read_pose_file(tmp_path / "m.npz", key="poses").tracks) == 23
    np.savez(tmp_path / "w.npz", world_landmarks=LANDMARKS[..., :3], track_ids=np.array([0]))
    assert read_pose_file(tmp_path / "w.npz", key="world_landmarks").num_joints == 33


def _long_csv(path, landmarks):
    rows = ["frame,person,landmark,x,y,z,visibility"]
    for f in range(20):
        rows += [f"{f},0,{j},{0.4 + 0.01 * j + 0.001 * f:.4f},{0.5 + 0.005 * j:.4f},0,0.9" for j in landmarks]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_mediapipe_hands_csv_is_not_read_as_a_pose(tmp_path):
    """Landmarks 0-20 alone are MediaPipe Hands' 21: read as Pose's they would be a nose, eyes, shoulders and an arm
    (refined as a body, their 'left' and 'right' swapped by the repair); read as a hand (skeleton hand21)."""
    hand = read_pose_file(_long_csv(tmp_path / "hand.csv", range(21)))
    assert hand.skeleton == "hand21" and hand.num_joints == 21
    upper = read_pose_file(_long_csv(tmp_path / "upper.csv", range(25)))  # the upper body only: a pose
    assert upper.skeleton == "mediapipe33" and np.isnan(upper.tracks[0].keypoints[:, 25:]).all()


def test_joint_positions_beside_only_a_frame_rate_are_not_read_as_smpl_rotations(tmp_path, capsys):
    """(T, 24, 3) 'poses' beside 'fps' alone is SMPL's axis-angle layout by the headers; joint positions keep their
    joints' distances over the frames, rotations do not: positions are refused with both ways out."""
    from synsp.data.corpus import load_corpus
    from synsp.data.positions import split_positions

    positions = next(g for g, _ in split_positions("smpl24", "test", "3d") if len(g) > 100)[:100]
    np.savez(tmp_path / "pos.npz", poses=positions, fps=np.array(30.0))
    with pytest.raises(SynspInputError, match=r"keep their distances over the frames .* rename the array .* "
                                              r"if they are SMPL rotations, pass --key poses"):
        read_pose_file(tmp_path / "pos.npz")
    assert main(["refine", str(tmp_path / "pos.npz"), "-o", str(tmp_path / "out.npz")]) == 2
    assert not (tmp_path / "out.npz").exists() and "Traceback" not in capsys.readouterr().err
    np.savez(tmp_path / "joints.npz", joints=positions, fps=np.array(30.0))  # renamed: joint positions
    assert pose_file_format(tmp_path / "joints.npz") == "array"
    rotations = next(c.rotations for c in load_corpus(None, skeleton="h36m17", split="test", rotations=True)
                     if c.rotations is not None and np.isfinite(c.rotations).all())
    np.savez(tmp_path / "rot.npz", poses=rotations, fps=np.array(30.0))  # real SMPL rotations: still SMPL
    assert read_pose_file(tmp_path / "rot.npz").format == "smpl"
    np.savez(tmp_path / "still.npz", poses=np.repeat(rotations[:1], 50, axis=0), fps=np.array(30.0))
    assert read_pose_file(tmp_path / "still.npz").format == "smpl"  # a still pose cannot tell: its headers decide
