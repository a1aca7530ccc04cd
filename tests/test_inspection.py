"""synsp inspect: what a pose file holds (format, skeleton, rate, people, missing joints, jitter) and what
refine would do with it, without refining."""

import json

import numpy as np
import pytest

from synsp.cli import main
from synsp.data.positions import split_positions
from synsp.inspection import CLEAN_FLOOR_PCT, describe, inspect_pose_file
from synsp.io.tracks import PoseFile, Track


@pytest.fixture(scope="module")
def clip():
    """A real test-split clip of at least 200 frames (3D metres, h36m17)."""
    return next(g for g, _ in split_positions("h36m17", "test", "3d") if len(g) >= 200)[:200]


def _file(*tracks, fps=None, skeleton="h36m17"):
    return PoseFile([Track(k, np.arange(len(x)), x) for k, x in enumerate(tracks)], len(tracks[0]), "array",
                    skeleton=skeleton, fps=fps, units="m")


def test_clean_motion_reads_as_clean_and_jitter_as_jitter(clip):
    noisy = clip + np.random.default_rng(0).normal(0, 0.01, clip.shape)  # about 1 cm: 0.6 % of the person
    info = inspect_pose_file(_file(clip, noisy))
    clean, jittery = info["tracks"]
    assert clean["jitter"] <= CLEAN_FLOOR_PCT < 0.3 < jittery["jitter"] < 1.2
    assert info["method"] == "synsp-universal-w16" and info["delay"] == 15 and info["window"] == 16
    assert info["repair"] == "h36m17" and info["fallback"] is None
    assert info["file_fps"] is None and info["fps"] == 30.0  # assumed: the model's rate
    lines = describe(info, source="x.npz")
    assert "not in the file: 30 fps assumed (give --fps)" in lines[2]
    assert "(as clean motion capture)" in lines[4] and "(as clean" not in lines[5]


def test_missing_joints_gaps_and_a_joint_never_seen(clip):
    x = clip.copy()
    x[10:20, 3] = np.nan  # a joint lost for 10 frames
    x[:, 16] = np.nan  # one never seen
    t = Track(7, np.r_[0:100, 130:200], x[np.r_[0:100, 130:200]])  # absent 30 frames: two parts at 30 fps
    info = inspect_pose_file(PoseFile([t], 200, "array", skeleton="h36m17", fps=30.0, units="m"))
    (track,) = info["tracks"]
    assert track["parts"] == 2 and track["detections"] == 170 and (track["first"], track["last"]) == (7 - 7, 199)
    assert track["never_seen"] == 1 and track["missing"] == pytest.approx(10 / (170 * 16))
    assert track["jitter"] is not None and info["file_fps"] == 30.0


def test_a_named_filter_and_a_hand_alone(clip):
    info = inspect_pose_file(_file(clip), model="butterworth")
    assert info["method"] == "butterworth" and info["delay"] is None
    assert "whole sequence (offline)" in describe(info)[-2]
    hand = np.random.default_rng(1).normal(300, 5, (60, 21, 2))
    info = inspect_pose_file(PoseFile([Track(0, np.arange(60), hand)], 60, "array", skeleton="hand21", units="px"))
    assert info["method"] == "butterworth" and "no shipped model" in info["fallback"] and info["repair"] is None


def test_cli_prints_each_file_of_a_folder_and_refuses_bad_input(tmp_path, capsys):
    rng = np.random.default_rng(2)
    frames = [{"frame_id": f, "instances": [{"keypoints": (300 + 2 * f + rng.normal(0, 2, (17, 2))).tolist(),
                                             "keypoint_scores": [0.9] * 17, "track_id": 4}]} for f in range(40)]
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.json").write_text(json.dumps(frames))
    (tmp_path / "clips" / "notes.txt").write_text("not a pose file")
    assert main(["inspect", str(tmp_path / "clips"), "--fps", "25"]) == 0
    out = capsys.readouterr().out
    assert "a.json: mmpose" in out and "skeleton: coco17; 17 joints, 2D, units px" in out
    assert "frame rate: 25 fps (given)" in out and "4: frames 0-39, 40 detections" in out
    assert "method: synsp-universal-w8 (7 frames of delay)" in out and "notes.txt" not in out  # 25 fps
    np.savez(tmp_path / "rated.npz", keypoints=np.stack([f["instances"][0]["keypoints"] for f in frames]), fps=30.0)
    assert main(["inspect", str(tmp_path / "rated.npz"), "--fps", "60"]) == 0  # overriding the file's own rate
    assert "frame rate: 60 fps (given; the file says 30)" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{")
    assert main(["inspect", str(tmp_path / "bad.json")]) == 2
    assert "bad.json: not a pose file synsp recognises" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path / "clips" / "a.json"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)  # one JSON object per file
    assert info["file"].endswith("a.json") and info["skeleton"] == "coco17" and info["tracks"][0]["id"] == 4
    assert info["method"] == "synsp-universal-w16" and info["relabelled"] == {}
    np.save(tmp_path / "clips" / "flat.npy", np.zeros((5, 3)))  # a .npy, not poses: named, the others described
    assert main(["inspect", str(tmp_path / "clips")]) == 1
    out, err = capsys.readouterr()
    assert "a.json: mmpose" in out and "flat.npy: cannot be read" in err and "1 of 2 files" in err


def test_it_says_what_the_repair_would_relabel():
    from synsp.label_errors import simulate_inversions

    g = next(g for g, _ in split_positions("coco17", "test", "2d") if len(g) >= 300)[:300]
    noisy = g + np.random.default_rng(0).normal(0, 1, g.shape)
    inv = simulate_inversions(noisy, "coco17", rate=0.1, seed=3)  # one whole-body inversion of 30 frames
    ((a, b, kind),) = inv.events
    files = [PoseFile([Track(0, np.arange(300), x)], 300, "array", skeleton="coco17", fps=30.0, units="px")
             for x in (noisy, inv.poses)]
    clean, inverted = (inspect_pose_file(f) for f in files)
    assert clean["relabelled"] == {} and "nothing to relabel" in describe(clean)[-1]
    assert kind == "body" and inverted["relabelled"] == {0: {"arms": b - a, "legs": b - a, "head": b - a}}
    assert f"would relabel arms in {b - a} frames" in describe(inverted)[-1]


def test_missing_joints_are_counted_as_the_refiners_count_them(clip):
    scores = np.ones(clip.shape[:2])
    scores[:20, 2] = np.nan  # a NaN score: missing for the refiners, so for inspect too
    scores[20:30, 2] = 0.1  # below the threshold
    pf = PoseFile([Track(0, np.arange(len(clip)), clip, scores)], len(clip), "array", skeleton="h36m17", units="m")
    (track,) = inspect_pose_file(pf)["tracks"]
    assert track["missing"] == pytest.approx(30 / (len(clip) * 17))


def test_a_short_track_is_said_to_stay_only_below_what_the_method_needs(clip):
    """The default network refines a 10-frame track (one padded window), not a 3-frame one; a filter of an
    11-frame window refines neither: inspect says so as refine does it."""
    pf = PoseFile([Track(0, np.arange(200), clip), Track(1, np.arange(10), clip[:10]),
                   Track(2, np.arange(3), clip[:3])], 200, "array", skeleton="h36m17", fps=30.0, units="m")
    info = inspect_pose_file(pf)
    assert info["window"] == 16 and info["min_frames"] == 4
    lines = [line for line in describe(info) if "detections in" in line]
    assert ["fewer than the 4 frames the method needs" in line for line in lines] == [False, False, True]
    info = inspect_pose_file(pf, model="savgol-mmpose")
    lines = [line for line in describe(info) if "detections in" in line]
    assert ["fewer than the 11 frames" in line for line in lines] == [False, True, True]


def test_it_counts_3d_frames_whose_shoulders_face_against_the_hips(clip):
    """The arms' labels exchanged over 100 frames of real 3D motion: each of those frames has its shoulders facing
    against its hips (the motion capture itself never); 2D has no such count."""
    from synsp.repair import relabel

    mask = np.zeros((len(clip), 2), dtype=bool)
    mask[50:150, 0] = True
    swapped = relabel(clip, mask, "h36m17", ("arms", "legs"))
    clean, twisted = (inspect_pose_file(_file(x)) for x in (clip, swapped))
    assert clean["twisted"] == 0 and twisted["twisted"] == 100
    assert "  body twist: 0 frame(s) with the shoulders facing against the hips" in describe(clean)
    assert any(line.startswith("  body twist: 100 frame(s)") and "alone" in line for line in describe(twisted))
    flat = _file(clip[..., :2], skeleton="h36m17")
    assert inspect_pose_file(flat)["twisted"] is None and not any("twist" in line for line in describe(
        inspect_pose_file(flat)))


def test_points_that_name_no_skeleton_say_the_order_assumed_and_whether_they_fit_it(clip):
    """17 unnamed points are taken as h36m17 in 3D (coco17 in 2D) by their count alone, unless their limbs say
    otherwise: points in COCO order have unequal left/right limbs as H36M, equal as COCO, so inspect names coco17,
    which refine's repair and cuts then take (synsp.api.repair_skeleton), and counts the body twist in it."""
    coco = next(g for g, _ in split_positions("coco17", "test", "3d") if len(g) >= 200)[:200]
    info = inspect_pose_file(_file(coco, skeleton=None))
    assert info["assumed_skeleton"] == "h36m17" and info["order_fits"] is False
    assert info["order_looks_like"] == "coco17" and info["repair"] == "coco17" and info["twisted"] == 0
    lines = describe(info)
    assert "see the joint order below" in lines[1]
    assert any("equal in coco17 order: refine takes them as coco17" in line for line in lines)
    right = inspect_pose_file(_file(clip, skeleton=None))  # H36M order: the assumption fits, the twist is counted
    assert right["assumed_skeleton"] == "h36m17" and right["order_fits"] is True and right["twisted"] == 0
    assert not any("joint order" in line for line in describe(right))
    named = inspect_pose_file(_file(coco, skeleton="coco17"))  # named: nothing assumed
    assert named["assumed_skeleton"] is None and named["twisted"] == 0
    assert inspect_pose_file(_file(clip[..., :2], skeleton=None))["assumed_skeleton"] == "coco17"
