"""Ultralytics YOLO pose labels (save_txt): a folder of <video>_<frame>.txt, read as tracks and written back with
only the keypoints' x, y changed."""

from __future__ import annotations

import numpy as np
import pytest

from synsp.cli import main
from synsp.io import yolo
from synsp.io.tracks import pose_file_format, read_pose_file, write_pose_file
from synsp.validation import SynspInputError


def _line(person: int, frame: int, K: int = 17, per: int = 3, tail: tuple = ()) -> str:
    """A label line: class, box, K keypoints (x, y[, v]) moving with the frame, then ``tail``."""
    kp = [(0.1 + 0.3 * person + 0.001 * frame + 0.01 * j, 0.2 + 0.01 * j) for j in range(K)]
    values = [0, 0.3 * person + 0.2, 0.4, 0.1, 0.5] + [v for x, y in kp for v in ((x, y, 0.9) if per == 3 else (x, y))]
    values += list(tail)
    return ("%g " * len(values)).rstrip() % tuple(values)


def _folder(path, frames: dict[int, list[str]], name: str = "clip"):
    path.mkdir(parents=True, exist_ok=True)
    for frame, lines in frames.items():
        (path / f"{name}_{frame}.txt").write_text("\n".join(lines) + "\n")
    return path


def test_tracked_labels_are_tracks_and_frames_come_from_the_file_names(tmp_path):
    # `yolo track`: box confidence and track id at the end; frame 3 without anybody (no file)
    path = _folder(tmp_path / "labels", {f: [_line(0, f, tail=(0.91, 4)), _line(1, f, tail=(0.85, 9))]
                                         for f in (1, 2, 4, 5)})
    assert yolo.sniff(path) and pose_file_format(path) == "yolo"
    pf = read_pose_file(path)
    assert pf.format == "yolo" and pf.skeleton == "coco17" and pf.units == "normalised" and pf.num_frames == 5
    assert [t.track_id for t in pf.tracks] == [4, 9] and pf.track(4).frames.tolist() == [0, 1, 3, 4]
    np.testing.assert_allclose(pf.track(9).keypoints[2, 3], [0.1 + 0.3 + 0.004 + 0.03, 0.23], atol=1e-6)
    assert (pf.track(4).scores == 0.9).all()


def test_untracked_people_need_assign_ids_and_a_confidence_column_is_not_an_id(tmp_path):
    path = _folder(tmp_path / "labels", {f: [_line(0, f, tail=(0.91,)), _line(1, f, tail=(0.55,))] for f in range(1, 5)})
    with pytest.raises(SynspInputError, match="same frame .* run `yolo track`"):
        yolo.read(path)
    pf = yolo.read(path, assign_ids="order")
    assert [t.track_id for t in pf.tracks] == [0, 1]


@pytest.mark.parametrize("K, per, kw, skeleton", [(17, 2, {}, "coco17"), (21, 3, {}, "hand21"),
                                                  (24, 3, {"num_keypoints": 24}, None)])
def test_other_models_layouts(tmp_path, K, per, kw, skeleton):
    path = _folder(tmp_path / "labels", {f: [_line(0, f, K=K, per=per)] for f in range(1, 4)})
    pf = yolo.read(path, **kw)
    assert pf.skeleton == skeleton and pf.num_joints == K and (pf.tracks[0].scores is None) == (per == 2)
    if skeleton is None:
        assert "24 keypoints" in pf.meta["note"]


def test_written_back_with_only_the_keypoints_changed(tmp_path):
    src = _folder(tmp_path / "labels", {f: [_line(0, f, tail=(0.91, 4)), _line(1, f, tail=(0.85, 9))]
                                        for f in range(1, 4)})
    (src / "notes.md").write_text("not a label file")
    pf = yolo.read(src)
    moved = pf.with_keypoints({t.track_id: t.keypoints + 0.001 for t in pf.tracks})
    out = write_pose_file(tmp_path / "refined", moved)
    assert sorted(p.name for p in out.iterdir()) == ["clip_1.txt", "clip_2.txt", "clip_3.txt"]
    for f in range(1, 4):
        before = (src / f"clip_{f}.txt").read_text().splitlines()
        after = (out / f"clip_{f}.txt").read_text()
        assert after.endswith("\n")
        for a, b in zip(before, after.splitlines()):
            a, b = a.split(), b.split()
            keep = [i for i in range(len(a)) if i < 5 or i >= 5 + 51 or (i - 5) % 3 == 2]  # class, box, v, conf, id
            assert [a[i] for i in keep] == [b[i] for i in keep]
            np.testing.assert_allclose([float(b[i]) for i in range(5, 56) if (i - 5) % 3 != 2],
                                       [float(a[i]) + 0.001 for i in range(5, 56) if (i - 5) % 3 != 2], atol=2e-6)
    with pytest.raises(SynspInputError, match="exists and is not an empty folder"):
        write_pose_file(tmp_path / "refined", moved)


@pytest.mark.parametrize("lines, message", [
    ({1: [_line(0, 1)], 2: ["0 0.1 0.2 0.3"]}, r"clip_2.txt, line 1 has 4 values; expected 5 box values and K keypoints"),
    ({1: [_line(0, 1)], 2: [_line(0, 2, per=2)]}, r"clip_2.txt, line 1 has 39 values, earlier lines 56"),
    ({1: [_line(0, 1)], 2: ["0 a b"]}, r"clip_2.txt, line 1: '0 a b' is not a line of numbers"),
])
def test_bad_lines_name_file_and_line(tmp_path, lines, message):
    path = _folder(tmp_path / "labels", lines)
    with pytest.raises(SynspInputError, match=message):
        yolo.read(path)


def test_not_yolo_labels(tmp_path):
    _folder(tmp_path / "words", {1: ["hello world"]})
    _folder(tmp_path / "short", {1: ["0 0.5 0.5 0.1 0.1"]})  # a detection label without keypoints
    (tmp_path / "empty").mkdir()
    assert not any(yolo.sniff(tmp_path / d) for d in ("words", "short", "empty", "missing"))


def test_cli_refines_a_labels_folder_and_finds_it_inside_a_folder(tmp_path):
    rng = np.random.default_rng(0)
    frames = {}
    for f in range(1, 61):
        kp = np.array([(0.4 + 0.002 * f + 0.01 * j, 0.3 + 0.02 * j) for j in range(17)]) + rng.normal(0, 0.002, (17, 2))
        values = [0, 0.5, 0.5, 0.2, 0.5] + [v for x, y in kp for v in (x, y, 0.9)]
        frames[f] = [("%g " * len(values)).rstrip() % tuple(values)]
    _folder(tmp_path / "runs" / "labels", frames)
    assert main(["refine", str(tmp_path / "runs" / "labels"), "-o", str(tmp_path / "out"), "--fps", "30"]) == 0
    raw, refined = (read_pose_file(p).tracks[0].keypoints for p in (tmp_path / "runs" / "labels", tmp_path / "out"))
    jitter = lambda a: np.abs(np.diff(a, 2, axis=0)).mean()  # noqa: E731
    assert refined.shape == raw.shape and jitter(refined) < 0.5 * jitter(raw)
    assert main(["refine", str(tmp_path / "runs"), "-o", str(tmp_path / "many")]) == 0  # the folder is one input
    assert (tmp_path / "many" / "labels" / "clip_1.txt").is_file()


@pytest.mark.parametrize("fps", [True, float("nan"), float("inf"), 1e9, 0, "30"])
def test_a_readers_fps_is_checked_as_every_refiners(tmp_path, fps):
    # the keypoint readers' fps= (the files record none) goes through the refiners' own check: a bool is not 1 Hz
    path = _folder(tmp_path / "labels", {f: [_line(0, f)] for f in range(1, 4)})
    with pytest.raises(SynspInputError, match="fps is .*frame rate from"):
        yolo.read(path, fps=fps)
    assert yolo.read(path, fps=25).fps == 25.0


def _pose_line(frame: int, K: int, per: int, center=(0.5, 0.5), tail: tuple = (), spread=(0.1, 0.3)) -> str:
    """A label line as Ultralytics writes it: keypoints of a small figure moving with the frame, boxed by their extent."""
    j = np.arange(K)
    kp = np.stack([center[0] + 0.004 * frame + spread[0] * np.sin(1.3 * j), center[1] + spread[1] * np.cos(0.7 * j)], 1)
    (x0, y0), (x1, y1) = kp.min(0), kp.max(0)
    values = [0, (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
    values += [v for k, (x, y) in enumerate(kp) for v in ((x, y, 0.5 + 0.4 * ((k * 7 + frame) % 5) / 4)[:per])]
    return " ".join("%g" % v for v in values + list(tail))


@pytest.mark.parametrize("K, per, tail", [(14, 3, ()), (26, 2, ()), (12, 3, ()), (24, 3, ()), (12, 2, ()),
                                          (24, 3, (0.88, 2)), (17, 3, (0.9, 1)), (21, 3, (0.7,))])
def test_the_layout_is_read_from_the_values_for_any_keypoint_count(tmp_path, K, per, tail):
    # 14x3 (47 values) was read as hand21, 26x2 (57) and 12x3 (41) as coco17; dog-pose 24x3 and tiger-pose 12x2
    # were not recognised.  The one split of the values that makes sense is read, whatever K.
    path = _folder(tmp_path / "labels", {f: [_pose_line(f, K, per, tail=tail)] for f in range(1, 6)})
    assert yolo.sniff(path)
    pf = read_pose_file(path)
    assert pf.num_joints == K and (pf.tracks[0].scores is None) == (per == 2)
    assert pf.skeleton == {17: "coco17", 21: "hand21"}.get(K)
    assert [t.track_id for t in pf.tracks] == [tail[-1] if len(tail) == 2 or tail[-1:] == (1,) else 0]
    first = np.array(_pose_line(1, K, per, tail=tail).split(), float)[5:5 + K * per].reshape(K, per)
    np.testing.assert_allclose(pf.tracks[0].keypoints[0], first[:, :2], atol=1e-6)
    if K not in (17, 21):
        assert f"{K} keypoints" in pf.meta["note"]


def test_a_line_length_with_two_sensible_readings_is_refused_until_num_keypoints_says_which(tmp_path):
    # 57 values: 26 keypoints of (x, y), or 17 of (x, y, v) and a box confidence.  With a box covering the whole
    # image both readings put every keypoint in the box: the folder does not say which, so it is refused.
    lines = {}
    for f in range(1, 6):
        kp = np.stack([0.5 + 0.45 * np.sin(np.arange(26) + f), 0.5 + 0.45 * np.cos(1.7 * np.arange(26))], 1)
        lines[f] = [" ".join("%g" % v for v in [0, 0.5, 0.5, 1, 1, *kp.ravel()])]
    path = _folder(tmp_path / "labels", lines)
    with pytest.raises(SynspInputError, match=r"57 values can be read as .* or as .*; pass num_keypoints=") as err:
        yolo.read(path)
    message = str(err.value)
    assert "26 keypoints of 2 values" in message and "17 keypoints of 3 values + box confidence" in message
    assert yolo.read(path, num_keypoints=26).num_joints == 26
    assert yolo.read(path, num_keypoints=17).num_joints == 17
    from synsp.cli import main  # the command line: the same refusal in its words, and --num-keypoints

    out = tmp_path / "refined"
    assert main(["inspect", str(path)]) == 2 and not out.exists()
    assert main(["inspect", str(path), "--num-keypoints", "26"]) == 0
    assert main(["refine", str(path), "-o", str(out), "--num-keypoints", "26", "--model", "kalman-rts"]) == 0
    assert len((out / "clip_1.txt").read_text().split()) == 57


def test_yolo_track_lines_without_a_track_id_join_the_track_they_continue(tmp_path):
    # `yolo track` writes a frame where the tracker returned no track with the detections' lines, without the id
    frames = {}
    for f in range(1, 11):
        a, b = _pose_line(f, 17, 3, center=(0.2, 0.5), tail=(0.9, 3)), _pose_line(f, 17, 3, center=(0.7, 0.5),
                                                                                 tail=(0.8, 7))
        frames[f] = [a, b]
    strip = lambda line: line.rsplit(" ", 1)[0]  # noqa: E731
    frames[1] = [strip(frames[1][1]), strip(frames[1][0])]  # the first frame: nobody tracked yet
    frames[6] = [strip(frames[6][0]), frames[6][1]]  # person 3 lost by the tracker for a frame
    frames[12] = [strip(_pose_line(12, 17, 3, center=(0.45, 0.1), tail=(0.5, 0), spread=(0.03, 0.05)))]  # another
    path = _folder(tmp_path / "labels", frames)
    pf = yolo.read(path)
    assert sorted(t.track_id for t in pf.tracks) == [-1, 3, 7]
    assert pf.track(3).frames.tolist() == list(range(10)) and pf.track(7).frames.tolist() == list(range(10))
    assert pf.track(-1).frames.tolist() == [11]
    np.testing.assert_allclose(pf.track(7).keypoints[0, 0], np.array(frames[1][0].split(), float)[5:7], atol=1e-6)
    assert "4 line(s) without a track id" in pf.meta["note"] and "3 joined" in pf.meta["note"]
    out = write_pose_file(tmp_path / "out", pf)
    assert len((out / "clip_1.txt").read_text().split("\n")[0].split()) == 57  # written back without an id


def test_read_input_passes_num_keypoints_to_a_yolo_folder_only(tmp_path):
    from synsp.batch import read_input

    path = _folder(tmp_path / "labels", {f: [_pose_line(f, 24, 3)] for f in range(1, 4)})
    assert read_input(path, num_keypoints=24).num_joints == 24
    with pytest.raises(SynspInputError, match="has 77 values; expected 5 box values and 25 keypoints"):
        read_input(path, num_keypoints=25)
    np.save(tmp_path / "x.npy", np.zeros((5, 3, 2)))
    with pytest.raises(SynspInputError,
                       match=r"num_keypoints \(--num-keypoints\) .* not one \(its format: array\); drop it"):
        read_input(tmp_path / "x.npy", num_keypoints=3)


def test_a_folder_of_segmentation_labels_is_not_taken_for_poses(tmp_path):
    # YOLO segmentation labels (class, then a polygon of any length) fit some keypoint layout line by line; their
    # lines have many lengths, pose lines one (and one less without a track id)
    from synsp.io.tracks import pose_file_format

    rng = np.random.default_rng(3)
    frames = {f: [" ".join("%g" % v for v in [0, *rng.uniform(0.2, 0.8, 2 * rng.integers(20, 60))])
                  for _ in range(2)] for f in range(1, 6)}
    path = _folder(tmp_path / "seg", frames)
    assert not yolo.sniff(path) and pose_file_format(path) != "yolo"


def test_a_keypoint_not_found_in_an_xy_layout_is_missing_and_written_back_as_not_found(tmp_path):
    # kpt_shape [K, 2]: no confidence, so (0, 0) is Ultralytics' "not found"; read as a position it pulled the
    # neighbouring frames' refined joint toward the image's corner (0.09 off) and was written back moved
    frames = {f: [_pose_line(f, 17, 2, tail=(1,))] for f in range(1, 41)}
    for f in (20, 21, 22):
        values = frames[f][0].split()
        values[5 + 2 * 3:5 + 2 * 3 + 2] = ["0", "0"]
        frames[f] = [" ".join(values)]
    path = _folder(tmp_path / "labels", frames)
    pf = yolo.read(path)
    assert pf.tracks[0].scores is None and np.isnan(pf.tracks[0].keypoints[19:22, 3]).all()
    assert np.isfinite(pf.tracks[0].keypoints[[18, 22], 3]).all()
    out = tmp_path / "out"
    assert main(["refine", str(path), "-o", str(out), "--model", "butterworth", "--fps", "30"]) == 0
    for f in range(1, 41):
        a, b = (np.array((d / f"clip_{f}.txt").read_text().split(), float) for d in (path, out))
        if f in (20, 21, 22):
            assert (b[11:13] == 0).all()
        else:
            assert np.abs(b[11:13] - a[11:13]).max() < 0.005


def test_one_cut_line_is_named_not_the_folder_refused_as_no_pose_file(tmp_path):
    # a line cut short in clip_10.txt (sorted among the first files sniffed) made the whole folder "no pose file",
    # naming clip_1.txt; the folder is YOLO's, and the reader names the line
    frames = {f: [_pose_line(f, 17, 3, tail=(0.9, 1))] for f in range(1, 31)}
    frames[10] = [frames[10][0][:120]]
    path = _folder(tmp_path / "labels", frames)
    assert yolo.sniff(path) and pose_file_format(path) == "yolo"
    with pytest.raises(SynspInputError, match=r"clip_10.txt, line 1 has \d+ values, earlier lines 58") as err:
        read_pose_file(path)
    assert "\n" not in str(err.value)
    frames[1] = ["0 0.5 0.5 garbled"] + frames[1]  # the first line of the first file, not numbers
    frames[10] = frames[11]
    path = _folder(tmp_path / "labels2", frames)
    assert yolo.sniff(path)
    with pytest.raises(SynspInputError, match=r"clip_1.txt, line 1: .* is not a line of numbers"):
        read_pose_file(path)
    assert main(["refine", str(path), "-o", str(tmp_path / "out")]) == 2
