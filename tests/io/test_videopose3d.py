"""VideoPose3D 2D datasets (data_2d_*.npz): read only when trusted, one track per video and camera,
written back in the layout its lifter reads."""

from __future__ import annotations

import numpy as np
import pytest

from synsp.cli import main
from synsp.io import videopose3d
from synsp.io.tracks import pose_file_format, read_pose_file, write_pose_file
from synsp.validation import SynspInputError

COCO_SYMMETRY = [[1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, 8, 10, 12, 14, 16]]


def _clip(rng, T: int) -> np.ndarray:
    return (rng.uniform(100, 500, (1, 17, 2)) + 2.0 * np.arange(T)[:, None, None]
            + rng.normal(0, 2, (T, 17, 2))).astype(np.float32)


def _custom(path, lengths=(50, 40), **extra):
    """What prepare_data_2d_custom.py writes for two videos."""
    rng = np.random.default_rng(0)
    positions = {f"v{i}.mp4": {"custom": [_clip(rng, T)]} for i, T in enumerate(lengths)}
    metadata = {"layout_name": "coco", "num_joints": 17, "keypoints_symmetry": COCO_SYMMETRY,
                "video_metadata": {f"v{i}.mp4": {"w": 1920, "h": 1080} for i in range(len(lengths))}}
    np.savez_compressed(path, positions_2d=positions, metadata=metadata, **extra)
    return path, positions, metadata


def test_read_only_when_trusted_one_track_per_video(tmp_path):
    path, positions, _ = _custom(tmp_path / "data_2d_custom_mine.npz")
    assert videopose3d.sniff(path) and pose_file_format(path) == "videopose3d"
    with pytest.raises(SynspInputError, match="VideoPose3D 2D dataset .* pass --trust-pickle"):
        read_pose_file(path)
    pf = read_pose_file(path, trust_pickle=True)
    assert pf.format == "videopose3d" and pf.skeleton == "coco17" and pf.fps is None and pf.units == "px"
    assert [t.track_id for t in pf.tracks] == ["v0.mp4/custom/0", "v1.mp4/custom/0"] and pf.num_frames == 50
    assert pf.meta["independent_tracks"]  # separate videos: never given each other's frames
    np.testing.assert_array_equal(pf.track("v1.mp4/custom/0").keypoints, positions["v1.mp4"]["custom"][0])


def test_human36m_layout_four_cameras_at_50_hz(tmp_path):
    rng = np.random.default_rng(1)
    positions = {"S9": {"Walking": [_clip(rng, 30) for _ in range(4)]}, "S11": {"Eating": [_clip(rng, 20)] * 4}}
    np.savez_compressed(tmp_path / "data_2d_h36m_cpn.npz", positions_2d=positions,
                        metadata={"layout_name": "h36m", "num_joints": 17})
    pf = videopose3d.read(tmp_path / "data_2d_h36m_cpn.npz", trust_pickle=True)
    assert pf.skeleton == "h36m17" and pf.fps == 50.0 and len(pf.tracks) == 8
    assert pf.tracks[3].track_id == "S9/Walking/3"


def test_written_back_in_the_layout_the_lifter_reads(tmp_path):
    path, positions, metadata = _custom(tmp_path / "data_2d_custom_mine.npz", other=np.arange(3))
    pf = videopose3d.read(path, trust_pickle=True)
    gap = pf.track("v0.mp4/custom/0")
    shifted = pf.with_keypoints({t.track_id: t.keypoints + 0.5 for t in pf.tracks})
    out = write_pose_file(tmp_path / "data_2d_custom_smooth.npz", shifted)
    with np.load(out, allow_pickle=True) as z:  # as VideoPose3D's run.py loads it
        written, meta, other = z["positions_2d"].item(), z["metadata"].item(), z["other"]
    assert meta == metadata and other.tolist() == [0, 1, 2]
    assert list(written) == list(positions) and list(written["v0.mp4"]) == ["custom"]
    for video, actions in positions.items():
        new = written[video]["custom"][0]
        assert new.dtype == np.float32 and new.shape == actions["custom"][0].shape
        np.testing.assert_allclose(new, actions["custom"][0] + 0.5, rtol=1e-6)
    assert gap.frames.tolist() == list(range(50))
    with pytest.raises(SynspInputError, match="cannot write .* as a .npy|ending in .npz"):
        write_pose_file(tmp_path / "out.npy", shifted)


def test_frames_without_the_person_are_left_as_they_were(tmp_path):
    rng = np.random.default_rng(2)
    clip = _clip(rng, 30)
    clip[10:14] = np.nan
    np.savez_compressed(tmp_path / "d.npz", positions_2d={"v": {"custom": [clip]}}, metadata={"layout_name": "coco"})
    pf = videopose3d.read(tmp_path / "d.npz", trust_pickle=True)
    assert 10 not in pf.tracks[0].frames and len(pf.tracks[0].frames) == 26
    out = videopose3d.write(tmp_path / "o.npz", pf.with_keypoints({"v/custom/0": pf.tracks[0].keypoints * 0}))
    with np.load(out, allow_pickle=True) as z:
        new = z["positions_2d"].item()["v"]["custom"][0]
    assert np.isnan(new[10:14]).all() and (new[:10] == 0).all() and (new[14:] == 0).all()


@pytest.mark.parametrize("positions, message", [
    ([1, 2], r"positions_2d is an array of shape \(2,\); expected positions_2d = {subject or video"),
    ({}, "positions_2d is empty; expected"),
    ({"v": [np.zeros((5, 17, 2))]}, r"positions_2d\['v'\] is list; expected a dict of actions"),
    ({"v": {"custom": []}}, r"positions_2d\['v'\]\['custom'\] is list; expected a list of per-camera"),
    ({"v": {"custom": [np.zeros((5, 17, 3))]}}, r"\[0\] is an array of shape \(5, 17, 3\) .* expected numbers of "
                                                r"shape \(T, J, 2\)"),
    ({"v": {"custom": [np.zeros((5, 17, 2)), np.zeros((5, 26, 2))]}}, r"\[1\] has 26 joints, an earlier array 17"),
])
def test_broken_datasets_name_the_entry(tmp_path, positions, message):
    np.savez(tmp_path / "d.npz", positions_2d=np.array(positions, dtype=object), metadata={"layout_name": "coco"})
    with pytest.raises(SynspInputError, match=message):
        videopose3d.read(tmp_path / "d.npz", trust_pickle=True)


def test_other_npz_files_are_not_videopose3d(tmp_path):
    np.savez(tmp_path / "plain.npz", keypoints=np.zeros((5, 17, 2)))
    np.savez(tmp_path / "dense.npz", positions_2d=np.zeros((5, 17, 2)))  # a plain array under that name
    assert not videopose3d.sniff(tmp_path / "plain.npz") and not videopose3d.sniff(tmp_path / "dense.npz")
    assert not videopose3d.sniff(tmp_path / "missing.npz")


def test_cli_refines_it_with_trust_and_refuses_it_without(tmp_path, capsys):
    path, positions, _ = _custom(tmp_path / "data_2d_custom_mine.npz")
    out = tmp_path / "data_2d_custom_smooth.npz"
    assert main(["refine", str(path), "-o", str(out)]) == 2
    assert "pass --trust-pickle" in capsys.readouterr().err and not out.exists()
    assert main(["refine", str(path), "-o", str(out), "--trust-pickle", "--fps", "30"]) == 0
    with np.load(out, allow_pickle=True) as z:
        written = z["positions_2d"].item()
    raw = positions["v0.mp4"]["custom"][0]
    new = written["v0.mp4"]["custom"][0]
    jitter = lambda a: np.abs(np.diff(a, 2, axis=0)).mean()  # noqa: E731
    assert new.shape == raw.shape and np.isfinite(new).all() and jitter(new) < 0.5 * jitter(raw)


def test_integer_arrays_get_the_refined_values_rounded_and_one_beyond_their_range_is_refused(tmp_path):
    # an int16 array (pixels): the cast truncated the refined values, half a pixel low on average
    rng = np.random.default_rng(4)
    clip = np.rint(_clip(rng, 20)).astype(np.int16)
    path = tmp_path / "data_2d_custom_int.npz"
    np.savez_compressed(path, positions_2d={"v.mp4": {"custom": [clip]}}, metadata={"layout_name": "coco"})
    pf = videopose3d.read(path, trust_pickle=True)
    out = write_pose_file(tmp_path / "out.npz", pf.with_keypoints({t.track_id: t.keypoints + 0.7 for t in pf.tracks}))
    with np.load(out, allow_pickle=True) as z:
        new = z["positions_2d"].item()["v.mp4"]["custom"][0]
    assert new.dtype == np.int16
    np.testing.assert_array_equal(new, clip + 1)
    far = pf.with_keypoints({t.track_id: t.keypoints + 40000 for t in pf.tracks})
    with pytest.raises(SynspInputError, match=r"far.npz: track 'v.mp4/custom/0'.* int16 data \(-32768..32767\)"):
        write_pose_file(tmp_path / "far.npz", far)
    assert not (tmp_path / "far.npz").exists()
