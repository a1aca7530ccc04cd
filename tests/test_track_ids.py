"""Track ids that Python or a number parser would take as one (1, 1.0, True, "01") never merge two people
silently nor write one person's values over another's: PoseFile refuses two tracks of one id, the JSON and
MediaPipe readers refuse one number spelt two ways (naming both), the .npz writers refuse two ids stored as one
string, and `synsp refine` says so in one line (exit 2, no output).  Ordinary ids still round-trip unchanged."""

import csv
import json

import numpy as np
import pytest

from synsp.cli import main
from synsp.io import mediapipe
from synsp.io.tracks import PoseFile, Track, read_pose_file, write_pose_file
from synsp.validation import SynspInputError

T = 30


def _body(x0, joints, seed):
    """A jittering standing body of ``joints`` points around (x0, 300): (T, joints, 2)."""
    rng = np.random.default_rng(seed)
    base = np.stack([x0 + 40 * np.sin(np.arange(joints)), 300 + 12 * np.arange(joints)], -1)
    return base[None] + rng.normal(0, 2, (T, joints, 2))


A17, B17 = _body(300, 17, 0), _body(900, 17, 1)
A33, B33 = _body(300, 33, 2), _body(900, 33, 3)


def _mmpose(path, people):
    """MMPose 1.x JSON: ``people`` = [(track id, keypoints (T, 17, 2), frames)]."""
    doc = [{"frame_id": t, "instances": [{"keypoints": kp[t].tolist(), "keypoint_scores": [0.9] * 17, "track_id": tid}
                                         for tid, kp, frames in people if t in frames]} for t in range(T)]
    path.write_text(json.dumps(doc))
    return path


def _mediapipe_csv(path, people):
    """Long MediaPipe CSV: ``people`` = [(person cell, landmarks (T, 33, 2), frames)]."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["frame", "person", "landmark", "x", "y", "z", "visibility"])
        for t in range(T):
            for cell, kp, frames in people:
                if t in frames:
                    for j in range(33):
                        w.writerow([t, cell, j, f"{kp[t, j, 0]:.3f}", f"{kp[t, j, 1]:.3f}", "0", "0.99"])
    return path


def _refused(capsys, tmp_path, src, out, *words):
    """`synsp refine src -o out` exits 2 with one line holding ``words``, no traceback, no file written."""
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["refine", str(src), "-o", str(out), "--model", "butterworth"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no temporary file
    return err


def _track(tid, kp=A17):
    return Track(tid, np.arange(T), kp)


# ---- PoseFile: one id, one track ------------------------------------------------------------------------------


@pytest.mark.parametrize("ids, named", [((1, 1), "track id 1;"), ((1, 1.0), "ids 1 and 1.0"),
                                        ((True, 1), "ids True and 1"), (("a", "a"), "track id 'a'")])
def test_pose_file_refuses_two_tracks_of_one_id(ids, named):
    with pytest.raises(SynspInputError, match="tracks 0 and 1 have the same track") as exc:
        PoseFile([_track(ids[0]), _track(ids[1], B17)], T, "array")
    assert named in str(exc.value) and "give each person its own track id" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_pose_file_refuses_ids_that_cannot_be_compared():
    with pytest.raises(SynspInputError, match=r"track 0 has id \[1\]"):
        PoseFile([_track([1])], T, "array")
    with pytest.raises(SynspInputError, match="track 0 has id nan"):
        PoseFile([_track(float("nan"))], T, "array")


def test_pose_file_keeps_distinct_ids_and_replacing_keypoints_checks_again():
    pf = PoseFile([_track(1), _track("1", B17)], T, "array")
    assert [t.track_id for t in pf.tracks] == [1, "1"]
    assert np.array_equal(pf.with_keypoints({"1": A17}).track("1").keypoints, A17)


# ---- MMPose / COCO JSON ---------------------------------------------------------------------------------------


def test_json_ids_1_and_1_0_are_refused_never_one_track(tmp_path, capsys):
    src = _mmpose(tmp_path / "in.json", [(1, A17, range(0, 12)), (1.0, B17, range(15, T))])
    with pytest.raises(SynspInputError, match=r"track ids 1 \(frame_id 0, instance 0\) and 1\.0 \(frame_id 15"):
        read_pose_file(src)
    _refused(capsys, tmp_path, src, tmp_path / "out.json", "track ids 1 ", " and 1.0 ", "one number spelt two ways")


def test_json_boolean_id_is_named_as_the_boolean(tmp_path, capsys):
    src = _mmpose(tmp_path / "in.json", [(True, A17, range(T)), (1, B17, range(T))])
    err = _refused(capsys, tmp_path, src, tmp_path / "out.json", "the track id is a boolean (true)")
    assert "track id 1 appears twice" not in err


def test_json_ids_1_and_string_1_stay_two_people_and_npz_output_is_refused(tmp_path, capsys):
    src = _mmpose(tmp_path / "in.json", [(1, A17, range(T)), ("1", B17, range(T))])
    pf = read_pose_file(src)
    assert [t.track_id for t in pf.tracks] == [1, "1"]
    _refused(capsys, tmp_path, src, tmp_path / "out.npz", "track ids 1 and '1' would both be written as track_ids '1'")
    out = tmp_path / "out.json"  # the file's own format keeps the ids as they are: each person keeps its place
    assert main(["refine", str(src), "-o", str(out), "--model", "butterworth"]) == 0
    got = {t.track_id: t.keypoints for t in read_pose_file(out).tracks}
    assert np.abs(got[1] - A17).max() < 30 and np.abs(got["1"] - B17).max() < 30


def test_json_normal_ids_round_trip_to_npz_unchanged(tmp_path):
    src = _mmpose(tmp_path / "in.json", [(3, A17, range(T)), (7, B17, range(T))])
    assert main(["refine", str(src), "-o", str(tmp_path / "out.npz"), "--model", "butterworth"]) == 0
    with np.load(tmp_path / "out.npz") as z:
        assert z["track_ids"].tolist() == [3, 7]
        assert np.abs(z["keypoints"][:, 0] - A17).max() < 30 and np.abs(z["keypoints"][:, 1] - B17).max() < 30


# ---- MediaPipe CSV / NPZ --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cells, line", [(("1", "1.0"), 35), (("01", "1"), 35), (("1.5", "1.50"), 35)])
def test_mediapipe_person_spelt_two_ways_is_refused_naming_both(tmp_path, capsys, cells, line):
    src = _mediapipe_csv(tmp_path / "in.csv", [(cells[0], A33, range(T)), (cells[1], B33, range(T))])
    words = (f"line {line}, column 'person': person {cells[1]!r} is person {cells[0]!r} (line 2) spelt another way",)
    with pytest.raises(SynspInputError, match="spell each person's id one way"):
        read_pose_file(src)
    _refused(capsys, tmp_path, src, tmp_path / "out.csv", *words)


def test_mediapipe_two_people_are_refined_each_in_its_own_place(tmp_path):
    src = _mediapipe_csv(tmp_path / "in.csv", [("0", A33, range(T)), ("1", B33, range(T))])
    assert [t.track_id for t in read_pose_file(src).tracks] == [0, 1]
    out = tmp_path / "out.csv"
    assert main(["refine", str(src), "-o", str(out), "--model", "butterworth"]) == 0
    got = {t.track_id: t.keypoints for t in read_pose_file(out).tracks}
    assert sorted(got) == [0, 1]
    assert np.abs(got[0] - A33).max() < 30 and np.abs(got[1] - B33).max() < 30


def test_mediapipe_npz_ids_round_trip_and_two_ids_of_one_string_are_refused(tmp_path, capsys):
    lm = np.full((T, 2, 33, 4), np.nan)
    lm[:, 0, :, :2], lm[:, 1, :, :2], lm[..., 3] = A33, B33, 0.9
    src = mediapipe.write_npz(tmp_path / "in.npz", lm, track_ids=[3, 7])
    pf = read_pose_file(src)
    assert [t.track_id for t in pf.tracks] == [3, 7]
    write_pose_file(tmp_path / "again.npz", pf)
    with np.load(tmp_path / "again.npz") as z:
        assert z["track_ids"].tolist() == [3, 7]
    (tmp_path / "again.npz").unlink()
    with pytest.raises(SynspInputError, match="track ids 1 and '1' would both be stored as track_ids '1'"):
        mediapipe.write_npz(tmp_path / "bad.npz", lm, track_ids=[1, "1"])
    # string ids "01" and "1" are two people in an npz; as CSV person cells they would read back as one
    src2 = mediapipe.write_npz(tmp_path / "in2.npz", lm, track_ids=["01", "1"])
    assert [t.track_id for t in read_pose_file(src2).tracks] == ["01", "1"]
    _refused(capsys, tmp_path, src2, tmp_path / "out.csv", "track ids '01' and '1' would be written as person")


def test_mediapipe_csv_writes_each_person_as_the_file_spells_it_and_refuses_cells_read_back_as_one(tmp_path):
    import dataclasses

    gap = [t for t in range(T) if not 15 <= t < 18]
    pf = read_pose_file(_mediapipe_csv(tmp_path / "in.csv", [("1.0", A33, gap)]))
    (t,) = pf.tracks
    full = dataclasses.replace(t, frames=np.arange(T), keypoints=A33, scores=np.full((T, 33), 0.9))
    write_pose_file(tmp_path / "out.csv", dataclasses.replace(pf, tracks=[full]))  # frames 15-17 appended
    with open(tmp_path / "out.csv", newline="") as fh:
        assert {r[1] for r in list(csv.reader(fh))[1:]} == {"1.0"}
    (back,) = read_pose_file(tmp_path / "out.csv").tracks
    assert back.track_id == 1 and back.frames.tolist() == list(range(T))
    two = PoseFile([Track(1, np.arange(T), A33), Track("1", np.arange(T), B33)], T, "mediapipe")
    with pytest.raises(SynspInputError, match="track ids 1 and '1' would both be written as person '1'"):
        write_pose_file(tmp_path / "two.csv", two)
    assert not (tmp_path / "two.csv").exists()
