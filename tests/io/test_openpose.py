"""OpenPose --write_json folders: frames from file names, untracked people, face and hands."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from pose_file_checks import assert_same_pose_files

from synsp.io import openpose
from synsp.io.tracks import pose_file_format, read_pose_file, write_pose_file
from synsp.skeletons import SKELETONS
from synsp.validation import SynspInputError


def _body(frame: int, person: int, joints: int = 25) -> list[float]:
    """Flat [x, y, c] * joints; joint 4 undetected ((0, 0), confidence 0) in every frame."""
    out = []
    for j in range(joints):
        out += [0.0, 0.0, 0.0] if j == 4 else [100.0 * person + 10 * frame + j, 0.5 * j + frame, 0.8]
    return out


def _person(frame: int, person: int, pid=(-1,), joints: int = 25) -> dict:
    return {
        "person_id": list(pid),
        "pose_keypoints_2d": _body(frame, person, joints),
        "face_keypoints_2d": [float(frame)] * 210,
        "hand_left_keypoints_2d": [1.0, 2.0, 0.3] * 21,
        "hand_right_keypoints_2d": [],
        "pose_keypoints_3d": [],
    }


def _folder(path, people_per_frame: dict[int, list[dict]], name: str = "clip") -> dict[str, dict]:
    path.mkdir(exist_ok=True)
    docs = {}
    for frame, people in people_per_frame.items():
        fname = f"{name}_{frame:012d}_keypoints.json"
        docs[fname] = {"version": 1.3, "people": people}
        (path / fname).write_text(json.dumps(docs[fname], separators=(",", ":")))
    return docs


def _one_person_folder(path) -> dict[str, dict]:
    """Frames 0..4, nobody in frame 2."""
    return _folder(path, {f: [_person(f, 0)] if f != 2 else [] for f in range(5)})


def test_read_folder_one_untracked_person_with_a_gap(tmp_path):
    _one_person_folder(tmp_path / "op")
    (tmp_path / "op" / "frame.png").write_bytes(b"")  # other files are ignored
    assert pose_file_format(tmp_path / "op") == "openpose"
    whole = read_pose_file(tmp_path / "op")  # face and a left hand beside the body: all four lists
    assert whole.skeleton == "openpose137" and whole.tracks[0].keypoints.shape == (4, 137, 2)
    pf = read_pose_file(tmp_path / "op", include="pose")
    np.testing.assert_array_equal(whole.tracks[0].keypoints[:, :25], pf.tracks[0].keypoints)
    assert pf.format == "openpose" and pf.skeleton == "body25" and pf.num_frames == 5 and pf.units == "px"
    (t,) = pf.tracks
    assert t.track_id == 0 and t.frames.tolist() == [0, 1, 3, 4]
    assert t.keypoints.shape == (4, 25, 2) and t.scores.shape == (4, 25)
    np.testing.assert_array_equal(t.keypoints[2, 5], [35.0, 5.5])  # frame 3, joint 5
    np.testing.assert_array_equal(t.keypoints[:, 4], 0.0)  # undetected joint kept at (0, 0) ...
    assert (t.scores[:, 4] == 0).all() and (t.scores[:, 5] == 0.8).all()  # ... with confidence 0


def test_write_folder_of_the_body_alone_replaces_only_body_coordinates(tmp_path):
    docs = _one_person_folder(tmp_path / "op")
    pf = openpose.read(tmp_path / "op", include="pose")
    new = pf.tracks[0].keypoints + 0.5
    out = write_pose_file(tmp_path / "refined", pf.with_keypoints({0: new}))
    assert out == tmp_path / "refined"
    assert sorted(p.name for p in out.iterdir()) == sorted(docs)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folder left
    for name, doc in docs.items():
        text = (out / name).read_text()
        written = json.loads(text)
        assert text.startswith('{"version":1.3,"people":[')  # compact, like the input
        for p_w, p_o in zip(written["people"], doc["people"]):
            assert {k: v for k, v in p_w.items() if k != "pose_keypoints_2d"} == \
                   {k: v for k, v in p_o.items() if k != "pose_keypoints_2d"}
            assert p_w["pose_keypoints_2d"][2::3] == p_o["pose_keypoints_2d"][2::3]  # confidences kept
            assert p_w["pose_keypoints_2d"][0::3] == [v + 0.5 for v in p_o["pose_keypoints_2d"][0::3]]
    assert_same_pose_files(openpose.read(out, include="pose"), pf.with_keypoints({0: new}))
    assert (tmp_path / "op" / "clip_000000000000_keypoints.json").read_text() == \
        json.dumps(docs["clip_000000000000_keypoints.json"], separators=(",", ":"))  # input untouched


def test_write_refuses_a_non_empty_target_and_fills_an_empty_one(tmp_path):
    _one_person_folder(tmp_path / "op")
    pf = openpose.read(tmp_path / "op")
    with pytest.raises(SynspInputError, match="exists and is not an empty folder"):
        openpose.write(tmp_path / "op", pf)
    (tmp_path / "empty").mkdir()
    out = openpose.write(tmp_path / "empty", pf)
    assert len(list(out.iterdir())) == 5  # frame 2 (nobody) is a file too


@pytest.mark.parametrize("change", ["edited", "edited, same size and time", "removed"])
def test_a_document_changed_since_it_was_read_is_refused_and_nothing_written(tmp_path, change):
    # the documents are read again to write (their texts are not held in memory): a folder changed in
    # between would mix its new documents with the old coordinates
    _one_person_folder(tmp_path / "op")
    pf = openpose.read(tmp_path / "op")
    f = tmp_path / "op" / "clip_000000000003_keypoints.json"
    if change.startswith("edited"):
        st = f.stat()
        f.write_text(f.read_text().replace('"version":1.3', '"version":1.7'))  # the same size
        if change.endswith("time"):  # as a coarse file-system clock would leave it: found by the text's CRC
            os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    else:
        f.unlink()
    with pytest.raises(SynspInputError, match="clip_000000000003_keypoints.json: changed or removed since it was read"):
        write_pose_file(tmp_path / "refined", pf)
    assert not (tmp_path / "refined").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["op"]
    single = tmp_path / "one_000000000000_keypoints.json"  # one document read as a pose file: the same check
    single.write_text(json.dumps({"version": 1.3, "people": [_person(0, 0)]}))
    one = openpose.read(single)
    single.write_text(json.dumps({"version": 1.3, "people": [_person(0, 0), _person(0, 1)]}))
    with pytest.raises(SynspInputError, match="changed or removed"):
        write_pose_file(tmp_path / "out_000000000000_keypoints.json", one)
    assert not (tmp_path / "out_000000000000_keypoints.json").exists()


def test_failing_write_leaves_no_folder(tmp_path, monkeypatch):
    _one_person_folder(tmp_path / "op")
    pf = openpose.read(tmp_path / "op")
    calls = []

    def boom(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_dumps(*args, **kwargs)

    real_dumps = json.dumps
    monkeypatch.setattr(json, "dumps", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        openpose.write(tmp_path / "refined", pf)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["op"]


def test_two_untracked_people_need_assign_ids(tmp_path):
    _folder(tmp_path / "op", {f: [_person(f, 0), _person(f, 1)] for f in range(3)})
    with pytest.raises(SynspInputError, match=r"person 0 and .* person 1 are in the same frame .* person_id \[-1\]"):
        openpose.read(tmp_path / "op")
    pf = openpose.read(tmp_path / "op", assign_ids="order")
    assert [t.track_id for t in pf.tracks] == [0, 1]
    np.testing.assert_array_equal(pf.track(1).keypoints[0, 0], [100.0, 0.0])


def test_tracked_person_ids_people_entering_and_leaving(tmp_path):
    _folder(tmp_path / "op", {
        10: [_person(0, 0, pid=[3])],
        11: [_person(1, 1, pid=[8]), _person(1, 0, pid=[3])],
        12: [_person(2, 1, pid=[8])],
    })
    pf = openpose.read(tmp_path / "op")
    assert pf.num_frames == 3  # numbered from the first file
    assert [t.track_id for t in pf.tracks] == [3, 8]
    assert pf.track(3).frames.tolist() == [0, 1] and pf.track(8).frames.tolist() == [1, 2]
    out = openpose.write(tmp_path / "out", pf.with_keypoints({8: pf.track(8).keypoints * 0}))
    second = json.loads((out / "clip_000000000011_keypoints.json").read_text())["people"]
    assert second[0]["pose_keypoints_2d"][:3] == [0.0, 0.0, 0.8]
    assert second[1]["pose_keypoints_2d"] == _body(1, 0)


def test_coco18_model_and_single_file(tmp_path):
    _folder(tmp_path / "op", {0: [_person(0, 0, joints=18)], 1: [_person(1, 0, joints=18)]})
    pf = openpose.read(tmp_path / "op")
    assert pf.skeleton is None and pf.num_joints == 18 and "COCO-18" in pf.meta["note"]
    assert "face and hand keypoints are read beside a BODY_25 body only" in pf.meta["note"]

    single = tmp_path / "op" / "clip_000000000001_keypoints.json"
    assert openpose.sniff(single) and pose_file_format(single) == "openpose"
    one = read_pose_file(single)
    assert one.num_frames == 1 and one.tracks[0].frames.tolist() == [0]
    out = write_pose_file(tmp_path / "one_keypoints.json", one.with_keypoints({0: one.tracks[0].keypoints + 1}))
    written = json.loads(out.read_text())
    assert written["people"][0]["pose_keypoints_2d"][:3] == [11.0, 2.0, 0.8]
    assert written["people"][0]["face_keypoints_2d"] == [1.0] * 210


def test_old_pose_keypoints_key(tmp_path):
    person = {"person_id": [-1], "pose_keypoints": _body(0, 0)}
    _folder(tmp_path / "op", {0: [person]})
    pf = openpose.read(tmp_path / "op")
    out = openpose.write(tmp_path / "out", pf.with_keypoints({0: pf.tracks[0].keypoints + 1}))
    written = json.loads((out / "clip_000000000000_keypoints.json").read_text())["people"][0]
    assert sorted(written) == ["person_id", "pose_keypoints"] and written["pose_keypoints"][:2] == [1.0, 1.0]
    person["hand_right_keypoints"] = [3.0, 4.0, 0.5] * 21  # older versions' hand key, beside the body
    _folder(tmp_path / "old", {0: [person]})
    pf = openpose.read(tmp_path / "old")
    assert pf.skeleton == "openpose137"
    np.testing.assert_array_equal(pf.tracks[0].keypoints[0, 116:], np.broadcast_to([3.0, 4.0], (21, 2)))
    out = openpose.write(tmp_path / "out2", pf.with_keypoints({0: pf.tracks[0].keypoints + 1}))
    written = json.loads((out / "clip_000000000000_keypoints.json").read_text())["people"][0]
    assert sorted(written) == ["hand_right_keypoints", "person_id", "pose_keypoints"]
    assert written["hand_right_keypoints"][:3] == [4.0, 5.0, 0.5]


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the file is empty"),
        ('{"version": 1.3, "people": [\n{"pose_keypoints_2d": [1, 2, }]}', "invalid JSON at line 2, column 30"),
        ('{"version": 1.3}', r"is an object with keys \['version'\]; expected OpenPose JSON"),
        ('{"people": [{"person_id": [-1]}]}',
         r"person 0 is an object with keys \['person_id'\]; expected .*pose_keypoints_2d"),
        ('{"people": [{"pose_keypoints_2d": [1, 2, 3, 4]}]}',
         r"'pose_keypoints_2d' has 4 values; expected x, y, score"),
        ('{"people": [{"pose_keypoints_2d": [1, 2, 1], "person_id": "a"}]}', r"'person_id' is 'a'; expected a list"),
    ],
)
def test_bad_frame_file_names_the_file(tmp_path, content, message):
    _one_person_folder(tmp_path / "op")
    bad = tmp_path / "op" / "clip_000000000007_keypoints.json"
    bad.write_text(content)
    with pytest.raises(SynspInputError, match=message) as info:
        openpose.read(tmp_path / "op")
    assert str(bad) in str(info.value)


def test_bad_folders(tmp_path):
    _one_person_folder(tmp_path / "op")
    (tmp_path / "op" / "other_000000000001_keypoints.json").write_text('{"people": []}')
    with pytest.raises(SynspInputError, match=r"2 different inputs \(\['clip_', 'other_'\]\)"):
        openpose.read(tmp_path / "op")
    _folder(tmp_path / "unnumbered", {})
    (tmp_path / "unnumbered" / "photo_keypoints.json").write_text('{"people": []}')
    with pytest.raises(SynspInputError, match="has no frame number"):
        openpose.read(tmp_path / "unnumbered")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SynspInputError, match=r"no \*_keypoints.json files"):
        openpose.read(tmp_path / "empty")
    with pytest.raises(SynspInputError, match="include is 'face'; expected 'all' .* or 'pose'"):
        openpose.read(tmp_path / "op", include="face")
    _folder(tmp_path / "mixed", {0: [_person(0, 0)], 1: [_person(1, 0, joints=18)]})
    with pytest.raises(SynspInputError, match="has 18 keypoints .* has 25"):
        openpose.read(tmp_path / "mixed", include="pose")
    with pytest.raises(SynspInputError, match="has 18 keypoints .* has 25"):  # the body's counts, not 137
        openpose.read(tmp_path / "mixed")


def test_sniff(tmp_path):
    _one_person_folder(tmp_path / "op")
    assert openpose.sniff(tmp_path / "op")
    (tmp_path / "empty").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.json").write_text('{"a": 1}')
    assert not openpose.sniff(tmp_path / "empty") and not openpose.sniff(tmp_path / "other")
    assert not openpose.sniff(tmp_path / "other" / "a.json") and not openpose.sniff(tmp_path / "missing")
    assert pose_file_format(tmp_path / "empty") is None and pose_file_format(tmp_path / "other") is None


def test_face_and_hands_read_and_written_with_the_body(tmp_path):
    """openpose137: body 0-24, face 25-94, left hand 95-115, right hand 116-136; lists a person lacks
    read as "not found" and stay empty; the 3-D lists are never touched."""
    people = {f: [_person(f, 0, pid=[1]), _person(f, 1, pid=[2])] for f in range(3)}
    for f in range(3):
        people[f][1]["face_keypoints_2d"] = []  # person 2: no face, but a right hand
        people[f][1]["hand_right_keypoints_2d"] = [5.0, 6.0, 0.9] * 21
        people[f][0]["pose_keypoints_3d"] = [1.0, 2.0, 3.0, 0.5] * 25
    docs = _folder(tmp_path / "op", people)
    pf = openpose.read(tmp_path / "op")
    assert pf.skeleton == "openpose137" and [t.track_id for t in pf.tracks] == [1, 2]
    one, two = pf.track(1), pf.track(2)
    np.testing.assert_array_equal(one.keypoints[1, 25:95], 1.0)  # frame 1's face: x = y = 1
    np.testing.assert_array_equal(one.scores[1, 25:95], 1.0)
    np.testing.assert_array_equal(one.keypoints[:, 95:116], np.broadcast_to([1.0, 2.0], (3, 21, 2)))
    np.testing.assert_array_equal(one.scores[:, 116:], 0.0)  # an empty right hand: not found
    np.testing.assert_array_equal(two.scores[:, 25:95], 0.0)
    np.testing.assert_array_equal(two.keypoints[:, 116:], np.broadcast_to([5.0, 6.0], (3, 21, 2)))
    sk = SKELETONS["openpose137"]
    assert sk.joints[95] == "left_hand_root" and sk.joints[sk.parents[95]] == "left_wrist"
    assert sk.joints[93:95] == ("right_pupil", "left_pupil") and sk.joints[25] == "right_jaw_8"

    shifted = pf.with_keypoints({t.track_id: t.keypoints + 0.5 for t in pf.tracks})
    out = openpose.write(tmp_path / "out", shifted)
    for name, doc in docs.items():
        written = json.loads((out / name).read_text())["people"]
        for p_w, p_o in zip(written, doc["people"]):
            assert p_w["pose_keypoints_3d"] == p_o["pose_keypoints_3d"] and p_w["person_id"] == p_o["person_id"]
            for key in ("pose_keypoints_2d", "face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d"):
                if not p_o[key]:
                    assert p_w[key] == []  # a list the person did not have stays empty
                    continue
                assert p_w[key][2::3] == p_o[key][2::3]  # scores kept
                assert p_w[key][0::3] == [v + 0.5 for v in p_o[key][0::3]], key
    lacked = {1: slice(116, 137), 2: slice(25, 95)}  # not written: read back as "not found" again
    back = openpose.read(out)
    for t in back.tracks:
        expected = shifted.track(t.track_id).keypoints.copy()
        expected[:, lacked[t.track_id]] = 0.0
        np.testing.assert_array_equal(t.keypoints, expected)
        np.testing.assert_array_equal(t.scores, pf.track(t.track_id).scores)


def test_face_or_hand_of_the_wrong_length_is_refused(tmp_path):
    person = _person(0, 0)
    person["hand_left_keypoints_2d"] = [1.0, 2.0, 0.3] * 20
    _folder(tmp_path / "op", {0: [person]})
    with pytest.raises(SynspInputError, match=r"'hand_left_keypoints_2d' has 20 points; expected 21 .* or an empty "
                                              r"list; the body alone reads with .*include='pose'"):
        openpose.read(tmp_path / "op")
    assert openpose.read(tmp_path / "op", include="pose").skeleton == "body25"


def test_refine_moves_the_face_and_hands_with_the_refined_body(tmp_path):
    """`synsp refine` on OpenPose output with --face --hand: the body comes out as the body alone would,
    each hand's root stays on its refined wrist, and the jitter of face and hands is reduced."""
    from synsp.cli import main

    rng = np.random.default_rng(0)
    T = 60
    body = rng.uniform(300, 500, (1, 25, 2)) + 2.0 * np.arange(T)[:, None, None] + rng.normal(0, 2, (T, 25, 2))
    face = body[:, :1] + rng.uniform(-20, 20, (1, 70, 2)) + rng.normal(0, 1, (T, 70, 2))
    hands = [body[:, w:w + 1] + rng.uniform(-30, 30, (1, 21, 2)) + rng.normal(0, 1, (T, 21, 2)) for w in (7, 4)]
    hands[0][:, 0] = body[:, 7] + [3.0, -4.0]  # the left hand's root: a fixed offset from the left wrist

    def triples(a):
        return np.concatenate([a, np.full(a.shape[:-1] + (1,), 0.9)], -1).reshape(-1).tolist()

    def folder(path, whole):
        _folder(path, {f: [{"person_id": [-1], "pose_keypoints_2d": triples(body[f]),
                            "face_keypoints_2d": triples(face[f]) if whole else [],
                            "hand_left_keypoints_2d": triples(hands[0][f]) if whole else [],
                            "hand_right_keypoints_2d": triples(hands[1][f]) if whole else []}] for f in range(T)})

    folder(tmp_path / "whole", True)
    folder(tmp_path / "body", False)
    for name in ("whole", "body"):
        assert main(["refine", str(tmp_path / name), "-o", str(tmp_path / f"{name}_out"), "--fps", "30"]) == 0
    whole, alone = (read_pose_file(tmp_path / f"{n}_out").tracks[0].keypoints for n in ("whole", "body"))
    assert whole.shape == (T, 137, 2) and alone.shape == (T, 25, 2)
    np.testing.assert_allclose(whole[:, :25], alone, atol=1e-6)
    np.testing.assert_allclose(whole[:, 95] - whole[:, 7], np.tile([3.0, -4.0], (T, 1)), atol=1e-4)
    raw = np.concatenate([body, face, *hands], axis=1)
    jitter = lambda a: np.abs(np.diff(a[:, 25:], 2, axis=0)).mean()  # noqa: E731
    assert jitter(whole) < 0.5 * jitter(raw)


def test_a_face_that_is_not_a_list_is_left_as_it_is_beside_read_hands(tmp_path):
    people = {f: [_person(f, 0)] for f in range(3)}
    for f in range(3):
        people[f][0]["face_keypoints_2d"] = {"not": "a list"}
    docs = _folder(tmp_path / "op", people)
    pf = openpose.read(tmp_path / "op")
    assert pf.skeleton == "openpose137" and (pf.tracks[0].scores[:, 25:95] == 0).all()  # the face: not found
    out = openpose.write(tmp_path / "out", pf.with_keypoints({0: pf.tracks[0].keypoints + 1}))
    for name, doc in docs.items():
        person = json.loads((out / name).read_text())["people"][0]
        assert person["face_keypoints_2d"] == {"not": "a list"}
        assert person["hand_left_keypoints_2d"][:3] == [2.0, 3.0, 0.3]


def test_a_long_folder_reads_with_a_progress_bar_when_asked(tmp_path, capsys):
    _folder(tmp_path / "op", {f: [{"person_id": [-1], "pose_keypoints_2d": _body(f, 0)}] for f in range(1000)})
    openpose.read(tmp_path / "op")
    assert "reading op" not in capsys.readouterr().err  # the API is quiet unless asked
    pf = openpose.read(tmp_path / "op", progress=True)
    assert "reading op" in capsys.readouterr().err and pf.num_frames == 1000


@pytest.mark.parametrize("joints, skeleton", [(26, "halpe26"), (17, "coco17"), (133, "coco133"), (136, "halpe136")])
def test_other_models_in_openposes_json_by_their_count(tmp_path, joints, skeleton):
    """Pose2Sim and Sports2D write RTMPose's HALPE_26 (and COCO_17, COCO_133) in OpenPose's JSON."""
    _folder(tmp_path / "op", {f: [{"person_id": [-1], "pose_keypoints_2d": _body(f, 0, joints)}] for f in range(3)})
    pf = openpose.read(tmp_path / "op")
    assert pf.skeleton == skeleton and pf.num_joints == joints and "note" not in pf.meta
    _folder(tmp_path / "hands", {f: [_person(f, 0, joints=joints)] for f in range(3)})  # hand lists beside them
    pf = openpose.read(tmp_path / "hands")
    assert pf.skeleton == skeleton and pf.meta["note"] == ("face and hand keypoints are read beside a BODY_25 body "
                                                           "only, kept unchanged")
