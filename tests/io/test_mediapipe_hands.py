"""MediaPipe Hands landmarks in the CSV layouts of MediaPipe Pose: 21 landmarks (numbered 0-20 or by HandLandmark
name), one track per value of a hand column (the hand's index or its handedness), skeleton hand21; written back with
only the coordinates changed; the hands' label swaps undone by their motion when refined."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from synsp.cli import main
from synsp.io import mediapipe as mpio
from synsp.io.tracks import pose_file_format, read_pose_file
from synsp.validation import SynspInputError

T = 60


def _hands(seed: int = 0) -> dict[str, np.ndarray]:
    """Two hands (normalised x, y, z) 0.4 apart, each moving smoothly: {"Left": (T, 21, 3), "Right": ...}."""
    rng = np.random.default_rng(seed)
    shape = rng.uniform(-0.05, 0.05, size=(21, 3))
    t = np.arange(T)[:, None, None] / 30.0
    out = {}
    for k, label in enumerate(("Left", "Right")):
        centre = np.array([0.3 + 0.4 * k, 0.5, 0.0]) + 0.05 * np.concatenate(
            [np.sin(2 * t + k), np.cos(1.5 * t), 0 * t], axis=-1)
        out[label] = centre + shape
    return out


def _write_long(path, hands, labels=None, names=False):
    """``frame,hand,landmark,x,y,z,score`` (MediaPipe Hands' own fields); ``labels[f]``: the label each hand is
    written under in frame f (a handedness flip exchanges them)."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["frame", "hand", "landmark", "x", "y", "z", "score"])
        for f in range(T):
            for label, xyz in hands.items():
                written = labels[f][label] if labels else label
                for j in range(21):
                    lm = f"HandLandmark.{mpio.HAND_LANDMARK_NAMES[j].upper()}" if names else j
                    w.writerow([f, written, lm, *(f"{v:.6f}" for v in xyz[f, j]), "0.97"])
    return path


@pytest.mark.parametrize("names", [False, True])
def test_a_long_hands_csv_reads_as_hand21_tracks(tmp_path, names):
    hands = _hands()
    path = _write_long(tmp_path / "hands.csv", hands, names=names)
    assert pose_file_format(path) == "mediapipe"
    pf = read_pose_file(path)
    assert pf.skeleton == "hand21" and pf.num_joints == 21 and pf.units == "normalised"
    assert [t.track_id for t in pf.tracks] == ["Left", "Right"] and pf.num_frames == T
    np.testing.assert_allclose(pf.track("Right").keypoints, hands["Right"][..., :2], atol=1e-6)
    assert pf.track("Left").scores is None  # Hands landmarks carry no visibility; "score" is kept as a column
    assert read_pose_file(path, dims=3).track("Left").keypoints.shape == (T, 21, 3)


def test_a_wide_hands_csv_reads_as_hand21_by_number_or_name(tmp_path):
    hands = _hands()["Left"]
    for spelling in ("x_{j}", "{name}_x"):
        cols = [c.format(j=j, name=mpio.HAND_LANDMARK_NAMES[j]) for j in range(21) for c in
                (spelling, spelling.replace("x", "y"))]
        rows = [",".join(["frame"] + cols)]
        rows += [",".join([str(f)] + [f"{v:.6f}" for v in hands[f, :, :2].reshape(-1)]) for f in range(T)]
        path = tmp_path / "wide.csv"
        path.write_text("\n".join(rows) + "\n")
        assert mpio.sniff(path)
        pf = read_pose_file(path)
        assert pf.skeleton == "hand21" and pf.num_joints == 21
        np.testing.assert_allclose(pf.tracks[0].keypoints, hands[..., :2], atol=1e-6)


def test_pose_and_hand_names_in_one_file_are_refused(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("frame,landmark,x,y\n0,nose,0.5,0.5\n1,wrist,0.4,0.6\n")
    with pytest.raises(SynspInputError, match="names both MediaPipe Pose landmarks and MediaPipe Hands landmarks"):
        mpio.read(path)


def test_refine_writes_the_hands_back_with_only_the_coordinates_changed_and_less_jitter(tmp_path):
    hands = _hands()
    rng = np.random.default_rng(1)
    noisy = {k: v + np.concatenate([rng.normal(0, 0.004, v[..., :2].shape), 0 * v[..., 2:]], -1)
             for k, v in hands.items()}
    src = _write_long(tmp_path / "hands.csv", noisy)
    out = tmp_path / "out.csv"
    assert main(["refine", str(src), "-o", str(out), "--fps", "30"]) == 0
    before, after = list(csv.reader(open(src))), list(csv.reader(open(out)))
    assert len(before) == len(after) and before[0] == after[0]
    for b, a in zip(before[1:], after[1:]):
        assert b[:3] == a[:3] and b[5:] == a[5:]  # frame, hand, landmark, z and score as they were
    refined = read_pose_file(out)
    for label in hands:
        err_in = np.abs(noisy[label][..., :2] - hands[label][..., :2]).mean()
        err_out = np.abs(refined.track(label).keypoints - hands[label][..., :2]).mean()
        assert err_out < 0.7 * err_in


def test_a_handedness_flip_is_undone_by_the_hands_motion(tmp_path):
    """MediaPipe's handedness can flip for a few frames: the Left and Right tracks then exchange hands. Refining
    follows each hand along its motion; each detection is written back under the label the file gave it."""
    hands = _hands()
    flipped = set(range(20, 32))
    labels = [{"Left": "Right", "Right": "Left"} if f in flipped else {"Left": "Left", "Right": "Right"}
              for f in range(T)]
    src = _write_long(tmp_path / "hands.csv", hands, labels)
    out = tmp_path / "out.csv"
    assert main(["refine", str(src), "-o", str(out), "--fps", "30"]) == 0
    refined = read_pose_file(out)
    for f in (20, 25, 31):  # in the flip, the track "Left" holds the right hand: refined as the right hand
        np.testing.assert_allclose(refined.track("Left").keypoints[f], hands["Right"][f, :, :2], atol=0.01)
        np.testing.assert_allclose(refined.track("Right").keypoints[f], hands["Left"][f, :, :2], atol=0.01)
