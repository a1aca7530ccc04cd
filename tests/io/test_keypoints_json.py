"""MMPose 0.x / 1.x and COCO keypoint JSON: reading tracks, writing refined keypoints back in place."""

from __future__ import annotations

import copy
import gzip
import dataclasses
import json

import numpy as np
import pytest
from pose_file_checks import assert_same_pose_files

from synsp.io import keypoints_json as kj
from synsp.io.tracks import pose_file_format, read_pose_file, write_pose_file
from synsp.validation import SynspInputError


def _kp(frame: int, person: int, joints: int = 17, dims: int = 2) -> list[list[float]]:
    """Distinct coordinates for every (frame, person, joint, axis)."""
    return [[float(1000 * person + 10 * frame + j + 0.25 * d) for d in range(dims)] for j in range(joints)]


def _mmpose1_frames(dims: int = 2) -> list[dict]:
    """6 frames: track 0 everywhere but frame 3 (a gap), track 7 enters in frame 2 and leaves after 4."""
    frames = []
    for f in range(6):
        instances = []
        for tid, present in ((0, f != 3), (7, 2 <= f <= 4)):
            if present:
                instances.append({
                    "keypoints": _kp(f, tid, dims=dims),
                    "keypoint_scores": [0.5 + 0.01 * j for j in range(17)],
                    "bbox": [[1.0, 2.0, 30.0, 40.0 + f]],
                    "bbox_score": 0.9,
                    "track_id": tid,
                    "extra": {"note": f"f{f}"},
                })
        frames.append({"frame_id": f, "instances": instances})
    return frames


def _dump(path, doc, **kw):
    path.write_text(json.dumps(doc, **kw) + "\n")
    return path


def _without(doc, key: str):
    """``doc`` with every ``key`` removed, at any depth."""
    if isinstance(doc, dict):
        return {k: _without(v, key) for k, v in doc.items() if k != key}
    if isinstance(doc, list):
        return [_without(v, key) for v in doc]
    return doc


def test_mmpose1_tracks_with_gaps_and_people_entering_and_leaving(tmp_path):
    p = _dump(tmp_path / "video.json", _mmpose1_frames())
    pf = read_pose_file(p)
    assert pf.format == "mmpose" and pf.skeleton == "coco17" and pf.units == "px"
    assert pf.num_frames == 6 and pf.source == p
    assert [t.track_id for t in pf.tracks] == [0, 7]
    t0, t7 = pf.tracks
    assert t0.frames.tolist() == [0, 1, 2, 4, 5]
    assert t7.frames.tolist() == [2, 3, 4]
    assert t0.keypoints.shape == (5, 17, 2) and t0.scores.shape == (5, 17)
    np.testing.assert_array_equal(t7.keypoints[1], _kp(3, 7))
    np.testing.assert_allclose(t7.scores[0, :3], [0.5, 0.51, 0.52])
    dense, _ = t0.dense()
    assert np.isnan(dense[3]).all() and not np.isnan(dense[4]).any()


def test_mmpose1_write_replaces_only_the_coordinates(tmp_path):
    original = _mmpose1_frames()
    p = _dump(tmp_path / "video.json", original, indent=2)
    pf = read_pose_file(p)
    new7 = pf.track(7).keypoints + 100.0
    new7[1, 4] = np.nan  # a joint the refiner gave up on -> null
    out = write_pose_file(tmp_path / "refined.json", pf.with_keypoints({7: new7}))
    text = out.read_text()
    assert text.startswith('[\n  {\n    "frame_id": 0') and text.endswith("]\n")  # indent kept
    written = json.loads(text)
    assert _without(written, "keypoints") == _without(original, "keypoints")
    for f, (fr_w, fr_o) in enumerate(zip(written, original)):
        for inst_w, inst_o in zip(fr_w["instances"], fr_o["instances"]):
            if inst_o["track_id"] == 0:
                assert inst_w["keypoints"] == inst_o["keypoints"]
            else:
                row = (np.array(inst_o["keypoints"]) + 100.0).tolist()
                if f == 3:
                    row[4] = [None, None]
                assert inst_w["keypoints"] == row
    again = kj.read(out)
    assert_same_pose_files(again, pf.with_keypoints({7: new7}))
    assert np.isnan(again.track(7).keypoints[1, 4]).all()


def test_unchanged_write_reproduces_the_bytes(tmp_path):
    p = _dump(tmp_path / "video.json", _mmpose1_frames())
    out = kj.write(tmp_path / "same.json", kj.read(p))
    assert out.read_bytes() == p.read_bytes()
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps(_mmpose1_frames(), separators=(",", ":")))  # no final newline
    assert kj.write(tmp_path / "same2.json", kj.read(compact)).read_bytes() == compact.read_bytes()


def test_mmpose1_frame_ids_starting_at_one_and_gzip(tmp_path):
    frames = _mmpose1_frames()
    for fr in frames:
        fr["frame_id"] += 1  # the demo scripts count frames from 1
    p = tmp_path / "video.json.gz"
    p.write_bytes(gzip.compress(json.dumps(frames).encode()))
    assert kj.sniff(p) and kj.format_of(p) == "mmpose"
    pf = read_pose_file(p)
    assert pf.num_frames == 6 and pf.track(0).frames.tolist() == [0, 1, 2, 4, 5]
    out = kj.write(tmp_path / "out.json.gz", pf)
    assert json.loads(gzip.decompress(out.read_bytes())) == frames


def test_mmpose_demo_layout_wholebody_meta_and_image_layout(tmp_path):
    frames = [{"frame_id": f, "instances": [{"keypoints": _kp(f, 0, joints=133), "keypoint_scores": [0.8] * 133,
                                             "bbox": [[0, 0, 5, 5]], "bbox_score": 1.0}]} for f in range(3)]
    doc = {"meta_info": {"dataset_name": "coco_wholebody", "num_keypoints": 133}, "instance_info": frames}
    p = _dump(tmp_path / "demo.json", doc)
    assert pose_file_format(p) == "mmpose"
    pf = read_pose_file(p)
    assert pf.skeleton == "coco133" and pf.meta["layout"] == "mmpose1-demo"
    assert [t.track_id for t in pf.tracks] == [0] and pf.tracks[0].keypoints.shape == (3, 133, 2)
    out = kj.write(tmp_path / "out.json", pf.with_keypoints({0: pf.tracks[0].keypoints * 2}))
    written = json.loads(out.read_text())
    assert written["meta_info"] == doc["meta_info"]
    assert written["instance_info"][2]["instances"][0]["keypoints"] == (np.array(_kp(2, 0, 133)) * 2).tolist()

    image = [{"keypoints": _kp(0, p_, joints=17), "keypoint_scores": [1.0] * 17} for p_ in range(2)]
    q = _dump(tmp_path / "image.json", image)
    assert pose_file_format(q) == "mmpose"
    with pytest.raises(SynspInputError, match="same frame and the file has no track ids"):
        kj.read(q)
    one = kj.read(q, assign_ids="order")
    assert one.num_frames == 1 and [t.track_id for t in one.tracks] == [0, 1]


@pytest.mark.parametrize("dataset,joints,skeleton", [("halpe26", 26, "halpe26"), ("halpe", 136, "halpe136")])
def test_mmpose_halpe_models_by_dataset_name(tmp_path, dataset, joints, skeleton):
    frames = [{"frame_id": f, "instances": [{"keypoints": _kp(f, 0, joints=joints), "keypoint_scores": [0.8] * joints}]}
              for f in range(2)]
    doc = {"meta_info": {"dataset_name": dataset, "num_keypoints": joints}, "instance_info": frames}
    assert kj.read(_dump(tmp_path / "demo.json", doc)).skeleton == skeleton


def test_mmpose_3d_keypoints(tmp_path):
    p = _dump(tmp_path / "lifted.json", _mmpose1_frames(dims=3))
    pf = kj.read(p, fps=25)
    assert pf.dims == 3 and pf.skeleton == "h36m17" and pf.units == "m" and pf.fps == 25.0
    np.testing.assert_array_equal(pf.track(0).keypoints[0], _kp(0, 0, dims=3))
    new = {t.track_id: t.keypoints - 0.5 for t in pf.tracks}
    out = kj.write(tmp_path / "out.json", pf.with_keypoints(new))
    assert json.loads(out.read_text())[0]["instances"][0]["keypoints"][1] == [0.5, 0.75, 1.0]
    assert_same_pose_files(kj.read(out), pf.with_keypoints(new))


def test_mmpose0_frame_lists_keep_the_score_column(tmp_path):
    frames = [[{"keypoints": [xy + [0.0 if j == 3 else 0.7] for j, xy in enumerate(_kp(f, 0))],
                "bbox": [0, 0, 9, 9, 0.99], "track_id": 0}] for f in range(4)]
    frames[1] = []  # nobody in frame 1
    frames[2][0]["keypoints"][3][:2] = [0.0, 0.0]  # a missing joint: (0, 0) with score 0
    p = _dump(tmp_path / "pose_results.json", frames)
    assert pose_file_format(p) == "mmpose"
    pf = read_pose_file(p)
    t = pf.tracks[0]
    assert pf.meta["layout"] == "mmpose0" and pf.num_frames == 4 and t.frames.tolist() == [0, 2, 3]
    assert t.keypoints.shape == (3, 17, 2) and t.scores[:, 3].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_array_equal(t.keypoints[1, 3], [0.0, 0.0])  # kept; the score marks it missing
    out = kj.write(tmp_path / "out.json", pf.with_keypoints({0: t.keypoints + 1}))
    written = json.loads(out.read_text())
    assert written[2][0]["keypoints"][3] == [1.0, 1.0, 0.0]
    assert written[3][0]["keypoints"][5] == [36.0, 36.25, 0.7]
    assert _without(written, "keypoints") == _without(frames, "keypoints")


def _coco_results():
    """Image ids out of order in the file; two tracked people; image 30 has one person."""
    res = []
    for image_id in (30, 10, 20):
        for tid in ((0,) if image_id == 30 else (5, 0)):
            kp = np.array(_kp(image_id, tid))
            flat = np.concatenate([kp, np.full((17, 1), 0.9)], axis=1).reshape(-1).tolist()
            res.append({"image_id": image_id, "category_id": 1, "keypoints": flat, "score": 0.95,
                        "track_id": tid})
    return res


def test_coco_results_frames_sorted_by_image_id_order_kept_on_write(tmp_path):
    res = _coco_results()
    p = _dump(tmp_path / "results.json", res)
    assert kj.sniff(p) and pose_file_format(p) == "coco"
    pf = read_pose_file(p)
    # integer ids number frames: 10, 20, 30 are frames 0, 10 and 20 of 21 (a detector run on every tenth frame)
    assert pf.format == "coco" and pf.skeleton == "coco17" and pf.num_frames == 21
    assert [t.track_id for t in pf.tracks] == [5, 0]  # order of first appearance in time
    assert pf.track(0).frames.tolist() == [0, 10, 20] and pf.track(5).frames.tolist() == [0, 10]
    np.testing.assert_array_equal(pf.track(0).keypoints[2], _kp(30, 0))  # image 30 is the last frame
    assert (pf.track(0).scores == 0.9).all()
    new = {t.track_id: -t.keypoints for t in pf.tracks}
    out = kj.write(tmp_path / "out.json", pf.with_keypoints(new))
    written = json.loads(out.read_text())
    assert [(r["image_id"], r["track_id"]) for r in written] == [(30, 0), (10, 5), (10, 0), (20, 5), (20, 0)]
    assert _without(written, "keypoints") == _without(res, "keypoints")
    assert written[0]["keypoints"][:6] == [-300.0, -300.25, 0.9, -301.0, -301.25, 0.9]
    assert_same_pose_files(kj.read(out), pf.with_keypoints(new))


def test_coco_string_image_ids_sort_naturally(tmp_path):
    res = [{"image_id": name, "keypoints": [1.0, 2.0, 1.0] * 17, "score": 1.0} for name in ("img10", "img2", "img1")]
    res[0]["keypoints"][0] = 10.0
    pf = kj.read(_dump(tmp_path / "r.json", res))
    assert pf.num_frames == 10 and pf.tracks[0].keypoints[2, 0, 0] == 10.0  # img10 is the last frame
    assert pf.tracks[0].frames.tolist() == [0, 1, 9]  # names alike but for a number: frame numbers
    names = [dict(r, image_id=name) for r, name in zip(res, ("b.jpg", "c.jpg", "a.jpg"))]
    assert kj.read(_dump(tmp_path / "n.json", names)).tracks[0].frames.tolist() == [0, 1, 2]  # no numbers: order


def test_coco_result_frames_keep_the_gaps_of_their_image_ids(tmp_path):
    """A frame where no one was detected has no result: ids 101-104 missing are four frames of a gap (their
    neighbours 100 and 105 are not consecutive), as MMPose's frame_id gives them; ids spread far more widely than
    a video's frames (a dataset's images) are taken in sorted order."""
    kp = lambda f: [v for j in range(17) for v in (100.0 + 3 * f + j, 200.0 + j, 0.9)]  # noqa: E731
    frames = [f for f in range(1, 41) if not 10 <= f <= 13]
    res = [{"image_id": f, "category_id": 1, "keypoints": kp(f), "score": 0.9} for f in frames]
    pf = kj.read(_dump(tmp_path / "gap.json", res))
    assert pf.num_frames == 40 and pf.tracks[0].frames.tolist() == [f - 1 for f in frames]
    floats = [dict(r, image_id=float(r["image_id"])) for r in res]  # 12.0: a frame number too
    assert kj.read(_dump(tmp_path / "floats.json", floats)).tracks[0].frames.tolist() == [f - 1 for f in frames]
    spread = [dict(r, image_id=r["image_id"] * 1000) for r in res]  # 36 ids over 39,001 values
    pf = kj.read(_dump(tmp_path / "spread.json", spread))
    assert pf.num_frames == 36 and pf.tracks[0].frames.tolist() == list(range(36))


def _alphapose(joints: int, ids) -> list[dict]:
    """AlphaPose's alphapose-results.json: image names as ids, 'idx' per person (people 0 and 1, 4 frames)."""
    res = []
    for f in range(4):
        for person in (1, 0):
            kp = np.array(_kp(f, person, joints=joints))
            flat = np.concatenate([kp, np.full((joints, 1), 0.8)], axis=1).reshape(-1).tolist()
            res.append({"image_id": f"{f}.jpg", "category_id": 1, "keypoints": flat, "score": 2.7,
                        "box": [1.0, 2.0, 3.0, 4.0], "idx": ids(person)})
    return res


@pytest.mark.parametrize("ids", [lambda p: [float(3 + 4 * p)], lambda p: 3 + 4 * p])
def test_alphapose_tracked_ids_are_the_tracks_and_halpe_is_recognised(tmp_path, ids):
    res = _alphapose(26, ids)
    pf = kj.read(_dump(tmp_path / "alphapose-results.json", res))
    assert pf.format == "coco" and pf.skeleton == "halpe26" and pf.num_frames == 4
    assert [t.track_id for t in pf.tracks] == [7, 3]  # idx 3 + 4 * person: person 1 (idx 7) comes first
    np.testing.assert_array_equal(pf.track(7).keypoints[2], _kp(2, 1, joints=26))
    new = {t.track_id: t.keypoints + 1 for t in pf.tracks}
    out = kj.write(tmp_path / "out.json", pf.with_keypoints(new))
    written = json.loads(out.read_text())
    assert _without(written, "keypoints") == _without(res, "keypoints")  # image names, idx, boxes kept
    assert_same_pose_files(kj.read(out), pf.with_keypoints(new))
    assert kj.read(_dump(tmp_path / "136.json", _alphapose(136, ids))).skeleton == "halpe136"


def test_alphapose_without_tracking_shares_idx_0_and_is_read_as_a_file_without_ids(tmp_path):
    path = _dump(tmp_path / "alphapose-results.json", _alphapose(17, lambda p: [0.0]))
    with pytest.raises(SynspInputError, match="same frame"):
        kj.read(path)  # two people, no usable ids: they must be told apart
    pf = kj.read(path, assign_ids="order")
    assert [t.track_id for t in pf.tracks] == [0, 1]
    np.testing.assert_array_equal(pf.track(0).keypoints[:, 0], [_kp(f, 1)[0] for f in range(4)])
    one = [r for r in _alphapose(17, lambda p: [0.0]) if r["keypoints"][0] < 1000]  # person 0 alone
    assert [t.track_id for t in kj.read(_dump(tmp_path / "one.json", one)).tracks] == [0]
    mixed = _alphapose(17, lambda p: [1.0, 2.0] if p else 5)  # a list of two: not a tracker's id
    with pytest.raises(SynspInputError, match="same frame"):
        kj.read(_dump(tmp_path / "mixed.json", mixed))


def test_coco_annotations_empty_images_are_frames(tmp_path):
    doc = {
        "info": {"description": "clip"},
        "images": [{"id": 3, "file_name": "c.jpg"}, {"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}],
        "annotations": [
            {"id": 11, "image_id": 3, "category_id": 1, "num_keypoints": 17, "track_id": 1,
             "keypoints": [v for xy in _kp(3, 1) for v in (int(xy[0]), int(xy[1]), 2)]},
            {"id": 12, "image_id": 1, "category_id": 1, "num_keypoints": 17, "track_id": 1,
             "keypoints": [v for xy in _kp(1, 1) for v in (int(xy[0]), int(xy[1]), 1)]},
        ],
        "categories": [{"id": 1, "name": "person", "keypoints": ["nose"] * 17}],
    }
    p = _dump(tmp_path / "person_keypoints.json", doc)
    assert pose_file_format(p) == "coco"
    pf = read_pose_file(p)
    assert pf.meta["layout"] == "coco-annotations" and pf.num_frames == 3
    assert pf.track(1).frames.tolist() == [0, 2] and pf.track(1).scores[:, 0].tolist() == [1.0, 2.0]
    out = kj.write(tmp_path / "out.json", pf.with_keypoints({1: pf.track(1).keypoints + 0.5}))
    written = json.loads(out.read_text())
    assert _without(written, "keypoints") == _without(doc, "keypoints")
    assert written["categories"] == doc["categories"]
    assert written["annotations"][0]["keypoints"][:3] == [1030.5, 1030.5, 2]


def test_wholebody_annotations_split_and_merge(tmp_path):
    parts = dict(kj.WHOLEBODY_PARTS)
    anns = []
    for f in range(2):
        kp = np.array(_kp(f, 0, joints=133))
        tri = np.concatenate([kp, np.ones((133, 1))], axis=1)
        ann = {"image_id": f, "id": f, "face_valid": True, "face_box": [0, 0, 1, 1]}
        start = 0
        for key, n in kj.WHOLEBODY_PARTS:
            ann[key] = tri[start:start + n].reshape(-1).tolist()
            start += n
        anns.append(ann)
    doc = {"images": [{"id": 0}, {"id": 1}], "annotations": anns}
    pf = read_pose_file(_dump(tmp_path / "wb.json", doc))
    assert pf.skeleton == "coco133" and pf.meta["encoding"] == "wholebody"
    t = pf.tracks[0]
    assert t.keypoints.shape == (2, 133, 2)
    np.testing.assert_array_equal(t.keypoints[1], _kp(1, 0, joints=133))
    new = t.keypoints.copy()
    new[:, 17 + 6 + 68:] += 1000  # the hands move
    out = kj.write(tmp_path / "out.json", pf.with_keypoints({0: new}))
    written = json.loads(out.read_text())
    for key in ("keypoints", "foot_kpts", "face_kpts"):
        assert written["annotations"][1][key] == anns[1][key]
    assert len(written["annotations"][1]["righthand_kpts"]) == 3 * parts["righthand_kpts"]
    assert written["annotations"][1]["lefthand_kpts"][:3] == [anns[1]["lefthand_kpts"][0] + 1000,
                                                              anns[1]["lefthand_kpts"][1] + 1000, 1.0]
    assert written["annotations"][0]["face_box"] == [0, 0, 1, 1]
    assert_same_pose_files(kj.read(out), pf.with_keypoints({0: new}))

    flat = [{"image_id": 0, "keypoints": [1.0, 2.0, 0.5] * 133, "score": 0.9}]
    assert kj.read(_dump(tmp_path / "wb_results.json", flat)).skeleton == "coco133"


def test_track_id_rules(tmp_path):
    two = [{"frame_id": f, "instances": [{"keypoints": _kp(f, k), "keypoint_scores": [1.0] * 17} for k in range(2)]}
           for f in range(3)]
    p = _dump(tmp_path / "two.json", two)
    with pytest.raises(SynspInputError, match=r"frame_id 0, instance 0 and frame_id 0, instance 1 .* no track ids"):
        read_pose_file(p)
    with pytest.raises(SynspInputError, match="assign_ids='order'"):
        read_pose_file(p)
    pf = read_pose_file(p, assign_ids="order")
    assert [t.track_id for t in pf.tracks] == [0, 1]
    np.testing.assert_array_equal(pf.track(1).keypoints[2], _kp(2, 1))
    with pytest.raises(SynspInputError, match="assign_ids is 'sorted'"):
        read_pose_file(p, assign_ids="sorted")

    one = [{"frame_id": f, "instances": [{"keypoints": _kp(f, 0), "keypoint_scores": [1.0] * 17}] if f != 1 else []}
           for f in range(3)]
    pf = read_pose_file(_dump(tmp_path / "one.json", one))
    assert [t.track_id for t in pf.tracks] == [0] and pf.tracks[0].frames.tolist() == [0, 2]

    mixed = copy.deepcopy(two)
    for fr in mixed:
        fr["instances"][0]["track_id"] = 4
    with pytest.raises(SynspInputError, match="instance 1 has no track id but .* has one"):
        kj.read(_dump(tmp_path / "mixed.json", mixed))
    for fr in mixed:
        fr["instances"][1]["track_id"] = 4
    with pytest.raises(SynspInputError, match=r"track id 4 appears twice in frame 0"):
        kj.read(_dump(tmp_path / "dup.json", mixed))


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the file is empty"),
        ("  \n", "the file is empty"),
        ('[{"frame_id": 0,\n "instances": [}]', r"invalid JSON at line 2, column 16"),
        ('{"a": 1}', r"keys \['a'\] is not pose output; expected .*'instance_info'.*'annotations'"),
        ("[]", "empty list"),
        ("[1, 2]", "a list whose first item is the number 1 is not pose output"),
        ('{"version": 1.3, "people": []}', "OpenPose"),
        ('[{"image_id": 1, "keypoints": [1, 2, 3, 4]}]', r"'keypoints' has 4 values; expected x, y, score triples"),
        ('[{"image_id": 1, "keypoints": [1, 2, "3"]}]', r"'keypoints'\[2\] is a string; expected a number"),
        ('[{"image_id": 1, "keypoints": [1, 2, 1]}, {"image_id": 2, "keypoints": [1, 2, 1, 3, 4, 1]}]',
         r"result 1 \(image_id 2\) has 2 keypoints .* result 0 \(image_id 1\) has 1"),
        ('[{"image_id": 1, "bbox": [1, 2, 3, 4]}]',
         r"result 0 \(image_id 1\) is an object with keys \['bbox', 'image_id'\]; expected an object with 'keypoints'"),
        ('[{"frame_id": 0, "instances": [{"keypoints": [[1, 2]], "keypoint_scores": [1, 1]}]}]',
         r"'keypoints' has 1 rows but 'keypoint_scores' 2 values; expected one score per keypoint"),
        ('[{"frame_id": 0, "instances": [{"keypoints": [[1, 2], [3]]}]}]',
         r"'keypoints'\[1\] has 1 values; expected a list of \[x, y\] or \[x, y, z\] rows"),
        ('[{"frame_id": 0, "instances": [{"keypoints": [[1, 2], [3, 4, 5]]}]}]',
         r"'keypoints'\[1\] has 3 values but 'keypoints'\[0\] has 2"),
        ('[{"frame_id": 0, "instances": [{"keypoints": [[1, 2]]}, {"keypoints": [[1, 2]], "keypoint_scores": [1]}]}]',
         "frame_id 0, instance 0 has no keypoint scores but frame_id 0, instance 1 has"),
        ('[{"frame_id": 0, "instances": []}, {"frame_id": 0, "instances": []}]', "frame_id 0 appears in 2 frames"),
        ('{"images": [{"id": 1}], "annotations": [{"image_id": 2, "keypoints": [1, 2, 1]}]}',
         r"annotation 0 refers to image_id 2, which is not in 'images'"),
        ('{"annotations": [{"image_id": 1, "keypoints": [1, 2, 1], "foot_kpts": [1, 2, 1]}]}',
         r"has no 'face_kpts'; a COCO-WholeBody entry"),
        (json.dumps({"annotations": [{"image_id": 1, **{k: [1, 2, 1] * n for k, n in kj.WHOLEBODY_PARTS},
                                      "face_kpts": [1, 2, 1] * 70}]}),
         r"annotation 0 \(image_id 1\): 'face_kpts' has 70 keypoints; COCO-WholeBody has 68"),
    ],
)
def test_bad_input_names_the_problem(tmp_path, content, message):
    p = tmp_path / "bad.json"
    p.write_text(content)
    with pytest.raises(SynspInputError, match=message) as info:
        kj.read(p)
    assert str(p) in str(info.value)


def test_failing_write_leaves_nothing_behind(tmp_path, monkeypatch):
    src = _dump(tmp_path / "video.json", _mmpose1_frames())
    pf = kj.read(src)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(json, "dumps", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        kj.write(tmp_path / "out.json", pf)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["video.json"]


def test_writer_refuses_tracks_it_did_not_read(tmp_path):
    pf = kj.read(_dump(tmp_path / "video.json", _mmpose1_frames()))
    t0 = pf.tracks[0]
    stranger = pf.__class__(tracks=[t0.__class__(99, t0.frames, t0.keypoints)], num_frames=6, format="mmpose",
                            meta=pf.meta, source=pf.source)
    with pytest.raises(SynspInputError, match="track 99 is not in"):
        kj.write(tmp_path / "out.json", stranger)
    foreign = pf.__class__(tracks=[], num_frames=6, format="mmpose", meta={}, source=tmp_path / "x.csv")
    with pytest.raises(SynspInputError, match="replaces the keypoints of the document it was read from"):
        kj.write(tmp_path / "out.json", foreign)
    assert not (tmp_path / "out.json").exists()


def test_sniff_rejects_unrelated_files(tmp_path):
    assert not kj.sniff(_dump(tmp_path / "config.json", {"a": 1}))
    assert not kj.sniff(_dump(tmp_path / "numbers.json", [1, 2, 3]))
    assert not kj.sniff(_dump(tmp_path / "people.json", {"version": 1.3, "people": []}))
    (tmp_path / "video.txt").write_text(json.dumps(_mmpose1_frames()))
    assert not kj.sniff(tmp_path / "video.txt")
    (tmp_path / "broken.json.gz").write_bytes(b"not gzip")
    assert not kj.sniff(tmp_path / "broken.json.gz")
    assert not kj.sniff(tmp_path) and not kj.sniff(tmp_path / "missing.json")
    assert pose_file_format(tmp_path / "config.json") is None
    with pytest.raises(SynspInputError, match="not a pose file synsp recognises"):
        read_pose_file(tmp_path / "config.json")


def test_mmpose0_3d_rows_and_demo_image_layout(tmp_path):
    frames = [[{"keypoints": [xyz + [0.6] for xyz in _kp(f, 0, dims=3)], "track_id": 2}] for f in range(2)]
    pf = kj.read(_dump(tmp_path / "lifted0.json", frames))
    assert pf.dims == 3 and pf.skeleton == "h36m17" and pf.tracks[0].track_id == 2
    assert (pf.tracks[0].scores == 0.6).all()
    out = kj.write(tmp_path / "out0.json", pf.with_keypoints({2: pf.tracks[0].keypoints * 0}))
    assert json.loads(out.read_text())[1][0]["keypoints"][3] == [0.0, 0.0, 0.0, 0.6]

    doc = {"meta_info": {"dataset_name": "coco"},
           "instance_info": [{"keypoints": _kp(0, 0), "keypoint_scores": [1] * 17}]}
    pf = kj.read(_dump(tmp_path / "demo_image.json", doc))
    assert pf.meta["layout"] == "mmpose1-demo-image" and pf.num_frames == 1 and pf.skeleton == "coco17"
    out = kj.write(tmp_path / "out1.json", pf.with_keypoints({0: pf.tracks[0].keypoints + 1}))
    assert json.loads(out.read_text())["instance_info"][0]["keypoints"][0] == [1.0, 1.25]


def test_mmpose1_videos_are_read_frame_by_frame_and_written_back_in_their_own_text(tmp_path):
    # an hour of whole bodies is gigabytes of parsed Python lists: a video's frames are read one at a time and no
    # document is kept; writing reads the file again and changes only the keypoints of the tracks written
    frames = _mmpose1_frames()
    meta = {"dataset_name": "coco"}
    mmpose0 = [[{"keypoints": [xy + [0.7] for xy in _kp(f, 0)], "track_id": 0}] for f in range(4)]
    wholebody = [{"image_id": f, **{k: [float(f + j) for j in range(3 * n)] for k, n in kj.WHOLEBODY_PARTS}}
                 for f in range(3)]
    for name, doc in (("video.json", frames), ("demo.json", {"meta_info": meta, "instance_info": frames}),
                      ("demo_last.json.gz", {"instance_info": frames, "meta_info": {"dataset_name": "coco"}}),
                      ("mmpose0.json", mmpose0), ("results.json", _coco_results()),
                      ("alphapose.json", _alphapose(26, lambda p: [float(p)])), ("wholebody.json", wholebody)):
        for kw in ({}, {"indent": 2}, {"indent": "\t"}, {"separators": (",", ":")}):
            src = tmp_path / name
            text = json.dumps(doc, **kw) + "\n"
            if name.endswith(".gz"):
                with gzip.open(src, "wt") as fh:
                    fh.write(text)
            else:
                src.write_text(text)
            pf = read_pose_file(src)
            assert pf.meta["document"] is None and pf.tracks, name
            out = write_pose_file(tmp_path / ("out" + name), pf)
            read_back = gzip.open(out, "rt").read() if name.endswith(".gz") else out.read_text()
            assert read_back == text, (name, kw)  # unchanged keypoints: the same text, style and all
    pf = read_pose_file(tmp_path / "video.json")
    moved = pf.with_keypoints({7: pf.tracks[1].keypoints + 0.5})
    fewer = dataclasses.replace(moved, tracks=[t for t in moved.tracks if t.track_id == 7])  # track 0 left out
    out = json.loads(write_pose_file(tmp_path / "fewer.json", fewer).read_text())
    for fr, orig in zip(out, frames):
        for inst, o in zip(fr["instances"], orig["instances"]):
            shift = 0.5 if o["track_id"] == 7 else 0.0  # a track left out keeps the file's keypoints
            assert inst["keypoints"] == [[v + shift for v in row] for row in o["keypoints"]]
            assert _without(inst, "keypoints") == _without(o, "keypoints")


def test_streamed_results_that_turn_whole_body_late_get_the_whole_file_readers_error(tmp_path):
    res = _coco_results()
    res.append({"image_id": 40, **{k: [1.0, 2.0, 1.0] * n for k, n in kj.WHOLEBODY_PARTS}})
    with pytest.raises(SynspInputError, match=r"result 1 \(image_id 10\) has no 'foot_kpts'"):
        kj.read(_dump(tmp_path / "late.json", res))


def test_a_video_changed_since_it_was_read_is_not_written(tmp_path):
    frames = _mmpose1_frames()
    src = _dump(tmp_path / "video.json", frames, indent=2)
    pf = read_pose_file(src)
    text = src.read_text()
    for changed in (text.replace('"bbox_score": 0.9', '"bbox_score": 0.8', 1),  # same shape, other text
                    json.dumps(frames[:3], indent=2) + "\n",  # frames gone
                    text[:-20]):  # cut short
        src.write_text(changed)
        with pytest.raises(SynspInputError, match="changed since it was read; read it again"):
            write_pose_file(tmp_path / "out.json", pf)
        assert not (tmp_path / "out.json").exists()


def test_whole_documents_still_refuse_to_write_tracks_left_out(tmp_path):
    # MMPose 1.x layouts read whole (one image) let their keypoint lists go too: a track left out is refused
    doc = {"meta_info": {"dataset_name": "coco"},
           "instance_info": [{"keypoints": _kp(0, k), "keypoint_scores": [1] * 17, "track_id": k} for k in range(2)]}
    pf = read_pose_file(_dump(tmp_path / "image.json", doc))
    assert pf.meta["layout"] == "mmpose1-demo-image" and pf.meta["document"] is not None
    fewer = dataclasses.replace(pf, tracks=pf.tracks[:1])
    with pytest.raises(SynspInputError, match=r"tracks \[1\] of .* are not in the pose file"):
        write_pose_file(tmp_path / "fewer.json", fewer)
    assert not (tmp_path / "fewer.json").exists()


def test_a_streamed_file_writes_back_bytes_that_are_not_utf8(tmp_path):
    """A video-length list is read one item at a time (JsonStream) and written back from its text: a Latin-1
    image name comes back as the same byte, not as U+FFFD."""
    items = [{"image_id": f"caf\u00e9_{i}.jpg", "category_id": 1, "score": 0.9, "track_id": 0,
              "keypoints": [v for j in range(17) for v in (10.0 + j + i, 20.0, 0.9)]} for i in range(5)]
    src = tmp_path / "latin1.json"
    src.write_bytes(json.dumps(items, ensure_ascii=False).encode().replace("\u00e9".encode(), b"\xe9"))
    pf = kj.read(src)
    assert pf.num_frames == 5
    out = kj.write(tmp_path / "out.json", pf)
    assert b"caf\xe9_4.jpg" in out.read_bytes() and "\ufffd".encode() not in out.read_bytes()
