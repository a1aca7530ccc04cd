"""Converting a pose file to another format keeps its frame numbers, frame rate, track ids, scores, skeleton and
units where the target can hold them (an .npz array, read back by synsp.io.arrays.read; a TRC's Frame#, DataRate
and Units), and says in one UserWarning what a target cannot hold (.npy, TRC), never silently."""

import json
import warnings

import numpy as np
import pytest

from synsp.io import read_trc
from synsp.io.tracks import PoseFile, Track, read_pose_file, write_pose_file
from synsp.validation import SynspInputError

T = 20


def _mmpose(path, ids=(3, 7)):
    """An MMPose 1.x JSON of two people (track ids ``ids``), 17 2D keypoints with scores, frame_id 0..T-1."""
    rng = np.random.default_rng(0)
    doc = [{"frame_id": t, "instances": [{"keypoints": (300 + 200 * k + rng.normal(0, 2, (17, 2))).tolist(),
                                          "keypoint_scores": [0.9] * 17, "track_id": tid}
                                         for k, tid in enumerate(ids)]} for t in range(T)]
    path.write_text(json.dumps(doc))
    return path


def _numbered(tmp_path, ids=("alice", "bob"), dims=2):
    """A pose file of another format numbering its frames from 100 with three absent (110-112: no detection), at
    25 fps: T detections on a timeline of T + 3 frames, as the MMPose reader gives them."""
    rng = np.random.default_rng(1)
    numbers = np.arange(100, 123)
    tracks = [Track(i, np.r_[0:10, 13:23], rng.normal(size=(T, 17, dims)), np.full((T, 17), 0.8)) for i in ids]
    return PoseFile(tracks, T + 3, "mmpose", skeleton="coco17" if dims == 2 else "h36m17", fps=25.0,
                    units="px" if dims == 2 else "m", source=tmp_path / "in.json", frame_numbers=numbers)


def _write(path, pose_file):
    """``write_pose_file`` and the UserWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_pose_file(path, pose_file)
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_npz_keeps_frame_numbers_fps_ids_scores_skeleton_units_and_reads_them_back(tmp_path):
    pf = _numbered(tmp_path)
    assert _write(tmp_path / "a.npz", pf) == []
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:  # no key needs pickle
        assert z["frames"].tolist() == pf.frame_numbers.tolist() and float(z["fps"]) == 25
        assert z["track_ids"].tolist() == ["alice", "bob"] and z["track_ids"].dtype.kind == "U"
        assert str(z["skeleton"]) == "coco17" and str(z["units"]) == "px" and z["scores"].shape == (T + 3, 2, 17)
    back = read_pose_file(tmp_path / "a.npz")
    assert [t.track_id for t in back.tracks] == ["alice", "bob"] and back.fps == 25
    assert back.frame_numbers.tolist() == pf.frame_numbers.tolist()
    assert back.skeleton == "coco17" and back.units == "px"
    assert _write(tmp_path / "b.npz", back) == []  # npz -> npz: the same again, each person in its column
    again = read_pose_file(tmp_path / "b.npz")
    assert [t.track_id for t in again.tracks] == ["alice", "bob"] and again.fps == 25
    assert again.frame_numbers.tolist() == pf.frame_numbers.tolist()
    np.testing.assert_allclose(again.tracks[1].keypoints, pf.tracks[1].keypoints)


def test_json_integer_ids_are_an_int_array_and_come_back_as_ids(tmp_path):
    pf = read_pose_file(_mmpose(tmp_path / "in.json"), fps=30)
    assert _write(tmp_path / "a.npz", pf) == []
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert z["track_ids"].dtype == np.int64 and z["track_ids"].tolist() == [3, 7] and float(z["fps"]) == 30
    back = read_pose_file(tmp_path / "a.npz")
    assert [t.track_id for t in back.tracks] == [3, 7] and back.fps == 30 and back.skeleton == "coco17"
    write_pose_file(tmp_path / "b.npz", back)
    assert [t.track_id for t in read_pose_file(tmp_path / "b.npz").tracks] == [3, 7]


def test_npy_says_once_what_it_drops(tmp_path):
    said = _write(tmp_path / "a.npy", _numbered(tmp_path))
    assert len(said) == 1, said
    for words in ("25 fps", "frame numbers (100..122)", "track ids ('alice', 'bob')", "scores", "'coco17'", "'px'",
                  "write an .npz"):
        assert words in said[0], said[0]
    assert np.load(tmp_path / "a.npy").shape == (T + 3, 2, 17, 2)


def test_no_warning_when_nothing_is_lost(tmp_path):
    x = np.random.default_rng(2).normal(size=(T, 17, 2))
    np.save(tmp_path / "in.npy", x)
    pf = read_pose_file(tmp_path / "in.npy")
    assert pf.frame_numbers is None and [t.track_id for t in pf.tracks] == [0]
    assert _write(tmp_path / "same.npy", pf) == [] and _write(tmp_path / "to.npz", pf) == []
    with np.load(tmp_path / "to.npz") as z:
        assert sorted(z.files) == ["keypoints"]


def test_npz_to_npy_names_the_arrays_left_out(tmp_path):
    write_pose_file(tmp_path / "a.npz", _numbered(tmp_path))
    said = _write(tmp_path / "b.npy", read_pose_file(tmp_path / "a.npz"))
    assert len(said) == 1 and "'frames'" in said[0] and "'track_ids'" in said[0] and "'fps'" in said[0], said


def test_trc_keeps_frame_numbers_and_rate_and_says_what_it_drops(tmp_path):
    pf = _numbered(tmp_path, ids=(5,), dims=3)
    said = _write(tmp_path / "a.trc", pf)
    assert len(said) == 1 and "the track id 5" in said[0] and "scores" in said[0] and "'h36m17'" not in said[0], said
    m = read_trc(tmp_path / "a.trc")
    assert m.frame_numbers.tolist() == pf.frame_numbers.tolist() and m.fps == 25 and m.units == "m"
    assert m.times[0] == 0 and m.times[-1] == pytest.approx(22 / 25)
    # TRC -> npz -> TRC: Frame#, rate, units and marker names come back
    trc = read_pose_file(tmp_path / "a.trc")
    assert trc.frame_numbers.tolist() == pf.frame_numbers.tolist()
    assert _write(tmp_path / "m.npz", trc) == []
    assert _write(tmp_path / "m.trc", read_pose_file(tmp_path / "m.npz")) == []
    m2 = read_trc(tmp_path / "m.trc")
    assert m2.frame_numbers.tolist() == m.frame_numbers.tolist() and m2.marker_names == m.marker_names
    assert m2.fps == 25 and m2.units == "m"


def test_some_tracks_without_scores_are_said_for_npz(tmp_path):
    pf = _numbered(tmp_path)
    pf.tracks[1].scores = None
    said = _write(tmp_path / "a.npz", pf)
    assert len(said) == 1 and "scores of track 'alice'" in said[0], said


def test_old_npz_and_other_arrays_of_those_names_read_as_before(tmp_path):
    x = np.random.default_rng(3).normal(size=(T, 2, 17, 2))
    np.savez(tmp_path / "old.npz", keypoints=x, fps=np.asarray(30.0))
    np.savez(tmp_path / "other.npz", keypoints=x, frames=np.zeros((T, 4, 4)), track_ids=np.asarray([1.5, 2.5]),
             units=np.asarray("axis-angle"), skeleton=np.asarray("no such skeleton"))
    for name in ("old.npz", "other.npz"):
        pf = read_pose_file(tmp_path / name)
        assert [t.track_id for t in pf.tracks] == [0, 1] and pf.frame_numbers is None
        assert pf.units == "file units" and pf.skeleton is None
    np.savez(tmp_path / "twice.npz", keypoints=x, track_ids=np.asarray([4, 4]))  # repeated: no ids, the columns
    assert [t.track_id for t in read_pose_file(tmp_path / "twice.npz").tracks] == [0, 1]


def test_frame_numbers_must_be_one_increasing_integer_per_frame(tmp_path):
    track = [Track(0, np.arange(3), np.zeros((3, 17, 2)))]
    for bad in ([1, 2], [3, 2, 1], [0.5, 1, 2], range(0, 10**9)):
        with pytest.raises(SynspInputError, match="one increasing integer per frame"):
            PoseFile(track, 3, "mmpose", frame_numbers=bad)
    assert PoseFile(track, 3, "mmpose", frame_numbers=range(7, 10)).frame_numbers.tolist() == [7, 8, 9]





def test_mmpose_frame_ids_from_100_with_absent_frames_survive_json_npz_npz(tmp_path):
    ids = [100, 101, 102, 106, 107, 108, 109, 110]  # 103-105 absent
    doc = [{"frame_id": f, "instances": [{"keypoints": np.full((17, 2), 300.0 + f).tolist(),
                                          "keypoint_scores": [0.9] * 17, "track_id": 4}]} for f in ids]
    (tmp_path / "in.json").write_text(json.dumps(doc))
    pf = read_pose_file(tmp_path / "in.json")
    assert pf.frame_numbers.tolist() == list(range(100, 111))
    write_pose_file(tmp_path / "a.npz", pf)
    with np.load(tmp_path / "a.npz") as z:
        assert z["frames"].tolist() == list(range(100, 111)) and np.isnan(z["keypoints"][3:6]).all()
        assert z["keypoints"][6, 0, 0, 0] == 406.0  # frame_id 106 in row 6
    write_pose_file(tmp_path / "b.npz", read_pose_file(tmp_path / "a.npz"))
    assert read_pose_file(tmp_path / "b.npz").frame_numbers.tolist() == list(range(100, 111))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_pose_file(tmp_path / "c.npy", pf)
    assert len(caught) == 1 and "frame numbers (100..110)" in str(caught[0].message)


def test_coco_image_ids_are_the_frame_numbers(tmp_path):
    doc = [{"image_id": i, "category_id": 1, "keypoints": [300.0, 300.0, 0.9] * 17, "score": 0.9}
           for i in (1, 500, 1000)]  # spread: read in order, numbers kept as they are
    (tmp_path / "r.json").write_text(json.dumps(doc))
    pf = read_pose_file(tmp_path / "r.json")
    assert pf.num_frames == 3 and pf.frame_numbers.tolist() == [1, 500, 1000]


def test_frame_numbers_int64_cannot_hold_and_foreign_npz_keys_are_left_out_not_refused(tmp_path):
    """The review of the change: frame ids of 2**63 and more (files that read before) were refused; an .npz's
    unsigned, non-increasing frames or its repeated track ids (another program's -1) made it unreadable."""
    for ids, kept in (([2**63 - 1], [2**63 - 1]), ([2**63, 2**63 + 1], None), ([10**20, 10**20 + 2], None)):
        doc = [{"frame_id": f, "instances": [{"keypoints": np.full((17, 2), 300.0).tolist(),
                                              "keypoint_scores": [0.9] * 17}]} for f in ids]
        (tmp_path / "big.json").write_text(json.dumps(doc))
        pf = read_pose_file(tmp_path / "big.json")
        assert (None if pf.frame_numbers is None else pf.frame_numbers.tolist()) == kept, ids
        assert pf.num_frames == ids[-1] - ids[0] + 1
    x = np.zeros((4, 2, 17, 2))
    np.savez(tmp_path / "odd.npz", keypoints=x, frames=np.uint32([3, 1, 2, 0]), track_ids=np.int64([-1, -1]))
    pf = read_pose_file(tmp_path / "odd.npz")
    assert pf.frame_numbers is None and [t.track_id for t in pf.tracks] == [0, 1]
