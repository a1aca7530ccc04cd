"""Refining pose files person by person: tracks, gaps, short tracks, filled joints."""

import numpy as np
import pytest

from synsp.api import refine, refine_pose_file
from synsp.io.tracks import PoseFile, Track
from synsp.validation import SynspInputError


def _walk(n, seed, J=17, D=2):
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None, None]
    base = rng.uniform(100, 400, (1, J, D)) + 2.0 * t
    return base + rng.normal(0, 3, (n, J, D))


def _file(tracks, n):
    return PoseFile(tracks=tracks, num_frames=n, format="test", skeleton="coco17", fps=30.0)


def test_each_track_equals_refining_its_own_array():
    a, b = _walk(60, 0), _walk(40, 1)
    pf = _file([Track(0, np.arange(60), a), Track(7, np.arange(20, 60), b)], 60)
    out, summary = refine_pose_file(pf, model="savgol-mmpose")
    np.testing.assert_allclose(out.track(0).keypoints, refine(a, model="savgol-mmpose", fps=30))
    np.testing.assert_allclose(out.track(7).keypoints, refine(b, model="savgol-mmpose", fps=30))
    assert summary["persons"] == 2 and summary["frames"] == 60
    assert summary["accel_after"] < summary["accel_before"]
    assert pf.track(0).keypoints is a  # the input is not changed


def test_short_gap_is_filled_long_gap_splits_the_track():
    x = _walk(100, 2)
    keep = np.r_[0:30, 33:60, 80:100]  # 3 frames missing (filled), then 20 (split at 15)
    pf = _file([Track(0, keep, x[keep])], 100)
    out, _ = refine_pose_file(pf, model="savgol-mmpose", max_gap=15)
    first = x[:60].copy()
    first[30:33] = np.nan
    np.testing.assert_allclose(out.track(0).keypoints[:57], refine(first, model="savgol-mmpose", fps=30)[keep[:57]])
    np.testing.assert_allclose(out.track(0).keypoints[57:], refine(x[80:], model="savgol-mmpose", fps=30))


def test_low_scores_are_filled_and_counted():
    x = _walk(50, 3)
    scores = np.ones((50, 17))
    scores[10:14, 5] = 0.0
    x[10:14, 5] = 0.0  # what detectors write for an invisible joint
    pf = _file([Track(0, np.arange(50), x, scores)], 50)
    out, summary = refine_pose_file(pf, model="one-euro")
    assert summary["filled"] == 4
    assert np.all(out.track(0).keypoints[10:14, 5] > 50)  # interpolated, not pulled to (0, 0)


def test_tracks_shorter_than_the_window_stay_and_are_reported():
    pf = _file([Track(0, np.arange(50), _walk(50, 4)), Track(1, np.arange(3), _walk(3, 5))], 50)
    out, summary = refine_pose_file(pf, model="savgol-mmpose")
    assert summary["unrefined_tracks"] == [1]
    np.testing.assert_array_equal(out.track(1).keypoints, pf.track(1).keypoints)


def test_only_short_tracks_is_an_error():
    pf = _file([Track(0, np.arange(3), _walk(3, 6))], 3)
    with pytest.raises(SynspInputError, match="shorter than the 11-frame window"):
        refine_pose_file(pf, model="savgol-mmpose")


def test_empty_file_is_an_error():
    with pytest.raises(SynspInputError, match="no person"):
        refine_pose_file(_file([], 10), model="one-euro")


def test_a_person_twice_in_one_frame_is_an_error():
    with pytest.raises(SynspInputError, match="appears twice in frame 3"):
        Track(0, [1, 2, 3, 3], np.zeros((4, 17, 2)))


def test_a_joint_never_confident_uses_its_coordinates_and_a_never_seen_one_stays_raw():
    from synsp.data.corpus import load_corpus

    clip = load_corpus(None, skeleton="coco17", split="test")[0].positions[:40]
    x = np.stack([400 + 250 * clip[..., 0], 600 - 250 * clip[..., 1]], axis=-1)  # a real person, ~450 px tall
    x = x + np.random.default_rng(7).normal(0, 3, x.shape)
    scores = np.ones((40, 17))
    scores[:, 7] = 0.1  # low confidence throughout, but real coordinates (an occluded elbow)
    scores[:, 3] = 0.0
    x[:, 3] = 0.0  # never seen: the detector's (0, 0) placeholder
    pf = PoseFile(tracks=[Track(0, np.arange(40), x, scores)], num_frames=40, format="test", skeleton="coco17",
                  fps=30.0)
    out, summary = refine_pose_file(pf, model="synsp-coco17-2d-w8")
    k = out.track(0).keypoints
    np.testing.assert_array_equal(k[:, 3], 0.0)
    assert summary["unseen"] == 1
    shift = np.linalg.norm(k - x, axis=-1).mean(axis=0)
    assert shift[7] < 3 * np.median(shift)  # refined near its raw track, not invented elsewhere
    assert np.isfinite(k).all()
    x[:, 3] = 1e12  # the placeholder an absurd value (also left as written, not turned into NaN)
    out, summary = refine_pose_file(pf.with_keypoints({0: x}), model="synsp-coco17-2d-w8")
    np.testing.assert_array_equal(out.track(0).keypoints[:, 3], 1e12)
    np.testing.assert_allclose(out.track(0).keypoints[:, :3], k[:, :3], atol=1e-9)
    assert summary["unseen"] == 1


def test_the_summarys_accelerations_are_the_mean_over_valid_joints_and_the_output_owns_its_arrays():
    from synsp.timeseries import second_difference

    a = _walk(60, 2, J=40)  # more joints than the summary averages at a time
    a[10:14, 3] = np.nan
    scores = np.ones(a.shape[:2])
    scores[20:30, 35] = 0.1  # low score: left out of the acceleration
    short = _walk(5, 3, J=40)  # shorter than the window: unrefined, written as it was
    pf = PoseFile(tracks=[Track(0, np.arange(60), a, scores), Track(1, np.arange(5), short)], num_frames=60,
                  format="test", skeleton=None, fps=30.0)
    out, summary = refine_pose_file(pf, model="savgol-mmpose")
    valid = np.isfinite(a).all(-1) & (scores >= 0.3)
    expected = np.nanmean(np.linalg.norm(second_difference(np.where(valid[..., None], a, np.nan)), axis=-1))
    assert summary["accel_before"] == pytest.approx(expected, rel=1e-9)
    from synsp.api import _accel_values, _valid_mean  # a few joints and frames at a time (an hour of a body)

    for block, frames in [(7, 5), (40, 1), (3, 57), (16, 58)]:
        assert _valid_mean(_accel_values, a, valid, block, frames) == pytest.approx(expected, rel=1e-12)
    refined = out.track(0).keypoints
    after = np.nanmean(np.linalg.norm(second_difference(np.where(valid[..., None], refined, np.nan)), axis=-1))
    assert summary["accel_after"] == pytest.approx(after, rel=1e-9) and after < expected
    np.testing.assert_array_equal(out.track(1).keypoints, short)
    assert not np.shares_memory(out.track(1).keypoints, short) and not np.shares_memory(refined, a)


def test_a_track_part_shorter_than_the_window_is_refined_in_one_padded_window():
    """A detector's fragment of 4-15 frames is refined by the default network (one edge-padded window), as the
    array API does: on real motion with jitter it comes closer to the truth, a clean fragment barely moves;
    below the network's min_frames (4) a fragment is left as it is and listed."""
    from synsp.data.corpus import load_corpus
    from synsp.refiners import NetworkRefiner

    truth = load_corpus(split="test", phases="first")[0].positions.astype(np.float64)  # h36m17, metres
    rng = np.random.default_rng(0)
    noisy = truth + rng.normal(0.0, 0.015, truth.shape)  # 1.5 cm of jitter per coordinate
    parts = [(0, np.arange(60), noisy[:60]), (1, np.arange(100, 106), noisy[100:106]),
             (2, np.arange(200, 206), truth[200:206]), (3, np.arange(300, 303), noisy[300:303])]
    pf = PoseFile(tracks=[Track(i, f, x) for i, f, x in parts], num_frames=400, format="test", skeleton="h36m17",
                  fps=30.0)
    out, summary = refine_pose_file(pf)
    assert summary["model"] == "synsp-universal-w16" and NetworkRefiner.min_frames == 4
    assert summary["unrefined_tracks"] == [3]
    err = lambda x, a: 1000 * np.linalg.norm(x - truth[a:a + len(x)], axis=-1).mean()  # noqa: E731  mm
    assert err(out.track(1).keypoints, 100) < 0.85 * err(noisy[100:106], 100)
    assert err(out.track(2).keypoints, 200) < 2.0  # clean: under 2 mm added
    np.testing.assert_array_equal(out.track(3).keypoints, noisy[300:303])


def test_detections_never_three_in_a_row_say_their_acceleration_is_not_measured(capsys, tmp_path):
    """No three consecutive frames seen (two of every three frames detected): the summary's accelerations are NaN
    without a numpy warning, and the command says why instead of printing 'nan -> nan'."""
    import json
    import warnings

    from synsp.cli import main

    walk = _walk(80, 5)
    frames = [{"frame_id": 3 * (t // 2) + t % 2,
               "instances": [{"keypoints": walk[t].tolist(), "keypoint_scores": [0.9] * 17}]}
              for t in range(80)]
    src = tmp_path / "two_of_three.json"
    src.write_text(json.dumps(frames))
    from synsp.io.tracks import read_pose_file

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, summary = refine_pose_file(read_pose_file(src))
    assert np.isnan(summary["accel_before"]) and np.isnan(summary["accel_after"])
    assert main(["refine", str(src), "-o", str(tmp_path / "out.json")]) == 0
    out = capsys.readouterr()
    assert "acceleration not measured (no three consecutive frames detected)" in out.out and "nan" not in out.out


def test_max_gap_leaves_a_joint_lost_for_longer_as_written_in_a_file(tmp_path):
    """``--max-gap`` limits one joint's fill as it limits a person's absence: a joint missing (NaN, or below the
    score threshold) for more than ``max_gap`` frames comes back as written, a shorter run is filled."""
    x = _walk(120, 6)
    x[20:60, 9] = np.nan  # 40 frames of NaN: beyond 15
    x[70:74, 4] = np.nan  # 4 frames: filled
    scores = np.ones((120, 17))
    scores[30:90, 11] = 0.0  # 60 frames below the threshold: as written, its score beside it
    x[30:90, 11] = 0.0
    pf = _file([Track(0, np.arange(120), x, scores)], 120)
    out, summary = refine_pose_file(pf, model="savgol-mmpose", max_gap=15)
    k = out.track(0).keypoints
    assert np.isnan(k[20:60, 9]).all() and np.isfinite(k[:20, 9]).all() and np.isfinite(k[60:, 9]).all()
    np.testing.assert_array_equal(k[30:90, 11], 0.0)
    assert np.isfinite(k[70:74, 4]).all() and summary["filled"] == 4
    out, summary = refine_pose_file(pf, model="savgol-mmpose")  # no max_gap: every joint filled
    assert np.isfinite(out.track(0).keypoints).all() and summary["filled"] == 40 + 4 + 60
    assert np.all(out.track(0).keypoints[30:90, 11] > 50)
    # the command line, into .npz: the NaN stays
    from click.testing import CliRunner

    from synsp.cli import cli

    src = tmp_path / "in.npz"
    np.savez(src, keypoints=x, scores=scores, fps=30.0)
    for flag, lost in (([], False), (["--max-gap", "15"], True)):
        res = CliRunner().invoke(cli, ["refine", str(src), "--model", "savgol-mmpose", "-o",
                                        str(tmp_path / "out.npz"), *flag])
        assert res.exit_code == 0, res.output
        with np.load(tmp_path / "out.npz") as f:
            assert np.isnan(f["keypoints"][20:60, ..., 9, :]).all() == lost


def test_detections_on_every_other_frame_are_refined_as_the_sequence_they_are():
    """A detector run on one frame in 2 (frame ids 0, 2, 4, ...): its detections are a 15 fps sequence.  Filled in
    between, a network took the curve through them as observed and left their jitter (0.03 px moved of 2.3)."""
    from synsp.api import detection_step

    x, y = _walk(60, 7), _walk(60, 8)
    every = _file([Track(0, np.arange(60) * 2 + 10, x), Track("b", np.arange(60) * 2 + 10, y)], 130)
    compact = PoseFile(tracks=[Track(0, np.arange(60), x), Track("b", np.arange(60), y)], num_frames=60,
                       format="test", skeleton="coco17", fps=15.0)
    assert detection_step(every, 30.0) == 2 and detection_step(compact, 15.0) == 1
    assert detection_step(every, 30.0, max_gap=0) == 1  # an absence of one frame is not filled: as before
    out, summary = refine_pose_file(every)
    ref, _ = refine_pose_file(compact)
    for tid in (0, "b"):
        np.testing.assert_array_equal(out.track(tid).frames, every.track(tid).frames)
        np.testing.assert_allclose(out.track(tid).keypoints, ref.track(tid).keypoints)
    assert summary["frame_step"] == 2 and summary["frames"] == 130
    moved = np.abs(out.track(0).keypoints - x).mean()
    assert moved > 0.5  # the jitter (3 px) is smoothed, not kept
    odd = _file([Track(0, np.r_[0:60:2, 61], x[:31])], 62)  # one detection off the step: as before
    assert detection_step(odd, 30.0) == 1


def test_inspect_takes_detections_on_every_other_frame_as_refine_does():
    from synsp.inspection import describe, inspect_pose_file

    x = _walk(60, 9)
    every = _file([Track(0, np.arange(60) * 2 + 10, x)], 130)
    info = inspect_pose_file(every)
    assert info["frame_step"] == 2 and info["frames"] == 130 and info["fps"] == 30.0
    (t,) = info["tracks"]
    assert (t["first"], t["last"], t["detections"], t["parts"]) == (10, 128, 60, 1) and t["missing"] == 0.0
    assert "  detections on one frame in 2: refined as the sequence they are, at 15 fps" in describe(info)


def test_a_stepped_file_fills_long_lost_joints_by_default_and_plot_marks_what_refine_repairs():
    """Review: the stepped refinement passed its track gap on as max_gap, so a joint lost for longer than half a
    second came back unfilled without --max-gap; the repair alone (synsp plot) did not take the step."""
    from synsp.api import repair_pose_file

    x = _walk(60, 10)
    x[10:40, 9] = np.nan  # 30 detections (2 s at 15 fps)
    every = _file([Track(0, np.arange(60) * 2, x)], 120)
    out, summary = refine_pose_file(every)
    assert summary["frame_step"] == 2 and np.isfinite(out.track(0).keypoints).all() and summary["filled"] == 30
    out, _ = refine_pose_file(every, max_gap=20)  # given: a joint lost longer stays as written
    assert np.isnan(out.track(0).keypoints[10:40, 9]).all()
    from synsp.data.corpus import embedded_corpus_path
    from synsp.data.positions import split_positions
    from synsp.inspection import file_cuts

    clip = next(c for c, _ in split_positions("coco17", "test", "2d", 20000, str(embedded_corpus_path()))
                if len(c) >= 400)
    a = clip[:400:2] + np.random.default_rng(0).normal(0, 2, (200, 17, 2))  # a detector on every second frame
    a[120:] += 300.0  # a cut
    left, right = [5, 7, 9, 11, 13, 15], [6, 8, 10, 12, 14, 16]
    for t in (40, 41, 150):
        a[t, left + right] = a[t, right + left]
    stepped = _file([Track(0, 2 * np.arange(200), a)], 399)
    _, refined = refine_pose_file(stepped)
    _, repaired = repair_pose_file(stepped)
    marks = lambda s: {g: np.asarray(f).tolist() for g, f in s["relabelled_frames"].get(0, {}).items()}  # noqa: E731
    assert marks(refined) == marks(repaired) and any(marks(refined).values())  # what plot shades is what refine did
    assert file_cuts(stepped) == refined["cuts"] == {0: [240]}  # and its cut line (file frames)


def test_a_bad_stored_rate_of_a_stepped_file_is_one_line_and_a_step_below_10_fps_is_not_taken(tmp_path):
    from synsp.api import detection_step
    from synsp.cli import main

    x = _walk(40, 12)
    np.savez(tmp_path / "nan.npz", keypoints=x[:, None], frames=np.arange(40) * 2, fps=np.nan)
    assert main(["refine", str(tmp_path / "nan.npz"), "-o", str(tmp_path / "out.npz")]) == 2
    four = _file([Track(0, np.arange(40) * 4, x)], 157)  # 7.5 fps: a network would resample it anyway
    assert detection_step(four, 30.0) == 1 and detection_step(four, 60.0) == 4
