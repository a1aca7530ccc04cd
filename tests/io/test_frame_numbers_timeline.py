"""Frame numbers place the rows on the file's timeline in every reader (an .npz's ``frames``, a TRC's ``Frame#``,
a DeepLabCut index out of order), so a gap is a gap, and each row is written back with its own number; a TRC of a
built-in skeleton names its markers after the skeleton's joints; the TRC rate message names --fps."""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest

from synsp.api import refine_pose_file
from synsp.batch import check_output
from synsp.io import read_trc, write_trc
from synsp.io.trc import Markers
from synsp.io.tracks import PoseFile, Track, read_pose_file, write_pose_file
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

KEEP = np.r_[0:30, 50:80]  # frames 30-49 absent


def _walk(T=80, J=17, seed=0):
    """A smooth 2D motion with noise, ``(T, J, 2)`` pixels."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None, None] / 30.0
    base = rng.uniform(200, 400, (1, J, 2))
    return base + 60 * np.sin(2 * t + base / 90) + rng.normal(0, 2, (T, J, 2))


def test_npz_frames_with_a_gap_are_a_gap_as_in_mmpose_json(tmp_path):
    x = _walk()
    np.savez(tmp_path / "hole.npz", keypoints=x[KEEP], frames=KEEP, fps=np.float64(30))
    doc = [{"frame_id": int(f), "instances": [{"keypoints": x[f].tolist(), "keypoint_scores": [0.9] * 17,
                                               "track_id": 0}]} for f in KEEP]
    (tmp_path / "hole.json").write_text(json.dumps(doc))
    npz, js = read_pose_file(tmp_path / "hole.npz"), read_pose_file(tmp_path / "hole.json", fps=30)
    assert npz.num_frames == js.num_frames == 80 and npz.frame_numbers.tolist() == list(range(80))
    assert npz.tracks[0].frames.tolist() == js.tracks[0].frames.tolist() == KEEP.tolist()
    a, _ = refine_pose_file(npz, model="butterworth")
    b, _ = refine_pose_file(js, model="butterworth")
    np.testing.assert_allclose(a.tracks[0].keypoints, b.tracks[0].keypoints)
    write_pose_file(tmp_path / "out.npz", a)  # each row back with its own number
    with np.load(tmp_path / "out.npz") as z:
        assert z["frames"].tolist() == KEEP.tolist() and z["keypoints"].shape == (60, 17, 2)
        np.testing.assert_allclose(z["keypoints"], a.tracks[0].keypoints)
    write_pose_file(tmp_path / "same.npz", npz)
    with np.load(tmp_path / "hole.npz") as z0, np.load(tmp_path / "same.npz") as z1:
        assert sorted(z0.files) == sorted(z1.files) and all(np.array_equal(z0[k], z1[k]) for k in z0.files)


def test_npz_frames_that_are_no_timeline_are_left_out_with_a_warning(tmp_path):
    x = _walk(T=4)
    for frames, words in (([0, 2, 1, 3], "row 2 holds 1 after 2"), ([0, 1, 1, 2], "row 2 holds 1 after 1"),
                          ([0.0, 0.5, 1.0, 2.0], "row 1 holds 0.5, not a whole number")):
        np.savez(tmp_path / "odd.npz", keypoints=x, frames=np.asarray(frames))
        with pytest.warns(UserWarning, match="not read as frame numbers") as caught:
            pf = read_pose_file(tmp_path / "odd.npz")
        assert words in str(caught[0].message) and "odd.npz" in str(caught[0].message)
        assert pf.frame_numbers is None and pf.tracks[0].frames.tolist() == [0, 1, 2, 3]
    np.savez(tmp_path / "whole.npz", keypoints=x, frames=np.asarray([5.0, 6.0, 8.0, 9.0]))  # whole floats: numbers
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pf = read_pose_file(tmp_path / "whole.npz")
    assert pf.num_frames == 5 and pf.tracks[0].frames.tolist() == [0, 1, 3, 4]
    np.savez(tmp_path / "spread.npz", keypoints=x, frames=np.asarray([1, 500, 1000, 2000]))  # as COCO image ids:
    pf = read_pose_file(tmp_path / "spread.npz")  # over 10 times as many numbers as rows, the rows in order
    assert pf.num_frames == 4 and pf.frame_numbers.tolist() == [1, 500, 1000, 2000]


def _trc(path, rows, J=3):
    """A TRC whose rows carry the Frame# ``rows``, 100 fps, millimetres."""
    t = np.asarray(rows)[:, None, None] / 100.0
    pos = 100 * np.sin(t + np.arange(J * 3).reshape(1, J, 3)) + 500
    write_trc(path, Markers([f"m{j}" for j in range(J)], pos, fps=100.0, units="mm", frame_numbers=rows))
    return pos


def test_trc_frame_numbers_with_a_gap_are_a_gap_and_come_back_byte_for_byte(tmp_path):
    rows = np.r_[1:100, 112:241]  # Frame# 100-111 absent
    pos = _trc(tmp_path / "hole.trc", rows)
    pf = read_pose_file(tmp_path / "hole.trc")
    assert pf.num_frames == 240 and pf.frame_numbers.tolist() == list(range(1, 241))
    assert pf.tracks[0].frames.tolist() == (rows - 1).tolist()
    write_pose_file(tmp_path / "same.trc", pf)
    assert (tmp_path / "same.trc").read_bytes() == (tmp_path / "hole.trc").read_bytes().replace(b"hole", b"same")
    moved = pf.with_keypoints({0: pos + 1.0})
    write_pose_file(tmp_path / "moved.trc", moved)
    back = read_trc(tmp_path / "moved.trc")
    assert back.frame_numbers.tolist() == rows.tolist()
    np.testing.assert_allclose(back.positions, pos + 1.0, atol=1e-6)


def test_trc_rows_the_time_column_says_are_consecutive_stay_consecutive(tmp_path):
    """Review: Frame# 1, 3, 5, ... of a camera twice as fast as DataRate, with Time 1/DataRate apart, was read as a
    timeline of twice the frames with every other one absent."""
    n = 240
    pos = 100 * np.sin(np.arange(n)[:, None, None] / 60.0 + np.arange(9).reshape(1, 3, 3)) + 500
    write_trc(tmp_path / "odd.trc", Markers(["m0", "m1", "m2"], pos, fps=60.0, units="mm",
                                            frame_numbers=np.arange(n) * 2 + 1, times=np.arange(n) / 60.0))
    pf = read_pose_file(tmp_path / "odd.trc")
    assert pf.num_frames == n and pf.tracks[0].frames.tolist() == list(range(n))
    write_pose_file(tmp_path / "same.trc", pf)
    assert (tmp_path / "same.trc").read_bytes() == (tmp_path / "odd.trc").read_bytes().replace(b"odd", b"same")
    rows = np.r_[1:100, 112:241]  # a real hole, and a Time column that says nothing (0 throughout): Frame# decides
    write_trc(tmp_path / "flat.trc", Markers(["m0", "m1", "m2"], pos[:len(rows)], fps=60.0, units="mm",
                                             frame_numbers=rows, times=np.zeros(len(rows))))
    assert read_pose_file(tmp_path / "flat.trc").num_frames == 240


def _dlc(path, frames, xy):
    """A single-animal DeepLabCut CSV whose rows carry the index ``frames`` and the points ``xy`` ``(T, J, 2)``."""
    J = xy.shape[1]
    rows = [["scorer"] + ["DLC"] * 3 * J, ["bodyparts"] + [f"p{j}" for j in range(J) for _ in range(3)],
            ["coords"] + ["x", "y", "likelihood"] * J]
    rows += [[str(f)] + [v for j in range(J) for v in (repr(float(p[j, 0])), repr(float(p[j, 1])), "0.9")]
             for f, p in zip(frames, xy)]
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_dlc_rows_out_of_order_are_sorted_and_written_back_in_place_and_a_repeated_index_is_refused(tmp_path):
    x = _walk(T=60, J=4)
    order = np.arange(60)
    order[[40, 41]] = [41, 40]  # the rows of frames 40 and 41 swapped
    _dlc(tmp_path / "sorted.csv", np.arange(60), x)
    _dlc(tmp_path / "swapped.csv", order, x[order])
    a, b = read_pose_file(tmp_path / "sorted.csv"), read_pose_file(tmp_path / "swapped.csv")
    assert b.tracks[0].frames.tolist() == list(range(60))
    np.testing.assert_array_equal(a.tracks[0].keypoints, b.tracks[0].keypoints)
    write_pose_file(tmp_path / "out.csv", b.with_keypoints({0: b.tracks[0].keypoints + 1.0}))
    out = list(csv.reader(open(tmp_path / "out.csv")))[3:]
    assert [int(r[0]) for r in out] == order.tolist()  # the rows where they were
    assert float(out[40][1]) == pytest.approx(x[41, 0, 0] + 1.0)  # the row of frame 41 got frame 41's value
    _dlc(tmp_path / "twice.csv", np.r_[0:20, 19, 20:59], x)
    with pytest.raises(SynspInputError, match=r"twice\.csv: line 24 repeats the frame number 19 of line 23"):
        read_pose_file(tmp_path / "twice.csv")


def test_trc_of_a_builtin_skeleton_names_its_joints_and_reads_back_as_it_and_a_missing_rate_names_fps(tmp_path):
    T = 12
    pf = PoseFile([Track(0, np.arange(T), np.random.default_rng(1).normal(size=(T, 17, 3)))], T, "mmpose",
                  skeleton="h36m17", fps=None, units="m", source=tmp_path / "in.json")
    with pytest.raises(SynspInputError, match=r"--fps RATE"):
        check_output(tmp_path / "a.trc", pf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scores, the skeleton name (tracks.conversion_losses)
        write_pose_file(tmp_path / "a.trc", PoseFile(pf.tracks, T, "mmpose", skeleton="h36m17", fps=30.0, units="m"))
    assert read_trc(tmp_path / "a.trc").marker_names == list(get_skeleton("h36m17").joints)
    assert read_pose_file(tmp_path / "a.trc").skeleton == "h36m17"
