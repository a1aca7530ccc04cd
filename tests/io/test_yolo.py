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
    ({1: [_line(0, 1)], 2: ["0 0.1 0.2 0.3"]}, r"clip_2.txt, line 1 has 4 values; expected 5 box values and 17 or 21"),
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
