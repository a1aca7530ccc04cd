"""A joint absurdly far from its own body in one frame (a keypoint at 2e4 px, score unchanged) is missing, as an
absurd coordinate is: it must not move the other joints through the networks' window normalisation."""

from __future__ import annotations

import numpy as np

import synsp
from synsp import validation
from synsp.api import refine_pose_file
from synsp.inspection import describe, inspect_pose_file
from synsp.io.tracks import PoseFile, Track


def _body(frames: int = 60, seed: int = 0) -> np.ndarray:
    """A 2D coco17-like body of about 400 px walking to the right, with 1 px of jitter ``(T, 17, 2)``."""
    rng = np.random.default_rng(seed)
    rest = np.array([[0, -190], [-6, -196], [6, -196], [-14, -192], [14, -192], [-45, -140], [45, -140],
                     [-55, -80], [55, -80], [-60, -20], [60, -20], [-30, 0], [30, 0], [-32, 100], [32, 100],
                     [-34, 200], [34, 200]], dtype=np.float64)
    t = np.arange(frames)[:, None, None]
    return 900 + rest[None] + np.concatenate([3 * t, 20 * np.sin(t / 8)], -1) + rng.normal(size=(frames, 17, 2))


def test_stray_joints_flags_a_far_joint_and_no_real_or_sparse_body():
    x = _body(4)
    x[1, 5] = 2e4
    x[2, 5] = 1.01e9  # absurd already: absurd_joints' alone
    mask = validation.stray_joints(x)
    assert mask.tolist() == [[False] * 17, [j == 5 for j in range(17)], [False] * 17, [False] * 17]
    assert validation.absurd_joints(x, stray=True)[[1, 2], 5].all() and validation.absurd_joints(x).sum() == 1
    assert not validation.stray_joints(x.astype(np.float32)[[0, 3]]).any()
    few = np.full((1, 17, 2), np.nan)  # a body seen with fewer than STRAY_MIN_JOINTS joints is not judged
    few[0, :validation.STRAY_MIN_JOINTS - 1] = x[1, :validation.STRAY_MIN_JOINTS - 1]
    assert not validation.stray_joints(few).any()
    # OpenPose's "not found" (0, 0) of score 0 in most joints: with the scores, only the found joints make the body;
    # without them the zeros are placeholders (far from the body), still not a reason to flag the found joints
    zeros = x[:1].copy()
    zeros[0, 8:] = 0.0
    use = np.arange(17)[None] < 8
    assert not validation.stray_joints(zeros, use).any()
    assert validation.stray_joints(zeros).tolist() == [[j >= 8 for j in range(17)]]


def test_zero_placeholders_are_missing_unless_the_body_is_centred_on_them():
    """A plain array keeps OpenPose's / MMPose's (0, 0) "not found" without its score: 2 % of them moved the other
    joints of a 400 px body by up to 190 px; a root-centred body keeps its root at the origin as a joint."""
    clean = _body(90)
    bad = clean.copy()
    hit = np.random.default_rng(0).random(bad.shape[:2]) < 0.02
    bad[hit] = 0.0
    out, filled = synsp.refine(bad, return_filled=True)
    assert filled[hit].all() and not filled[~hit].any()
    assert np.abs(out[~hit] - synsp.refine(clean)[~hit]).max() < 1.0
    assert np.linalg.norm(out[hit] - clean[hit], axis=-1).max() < 10  # filled where the body is
    stream, online = synsp.Stream(), []
    for frame in bad:
        online += stream.push(frame)
    online = np.stack(online + stream.flush()[0])  # the stream's placeholders are missing too (was 14.8 px)
    assert online.shape == clean.shape and np.abs(online - clean).max() < 10
    for root in (0, 11, 5):  # nose-, hip-, shoulder-centred 2D and a pelvis-like 3D: nothing flagged
        assert not validation.stray_joints(clean - clean[:, root:root + 1]).any()
    body3d = np.concatenate([clean, 50 * np.sin(np.arange(90) / 9)[:, None, None] + np.zeros((90, 17, 1))], -1)
    assert not validation.stray_joints(body3d - body3d[:, 11:13].mean(1, keepdims=True)).any()
    assert not validation.stray_joints(body3d - body3d[:, 11:12]).any()


def test_a_far_joint_does_not_move_the_body_in_refine():
    clean = _body()
    bad = clean.copy()
    bad[30, 5] = 2e4
    ref_clean, ref_bad = synsp.refine(clean), synsp.refine(bad)
    others = np.arange(17) != 5
    assert np.abs(ref_bad[:, others] - ref_clean[:, others]).max() < 0.5  # was 33 px
    assert np.linalg.norm(ref_bad[30, 5] - clean[30, 5]) < 10  # filled where the body is


def _file(poses: np.ndarray, units: str = "px", fmt: str = "array") -> PoseFile:
    track = Track(0, np.arange(len(poses)), poses, np.ones(poses.shape[:2]))
    return PoseFile([track], len(poses), fmt, skeleton="coco17" if units == "px" else None, fps=30.0, units=units)


def test_a_far_joint_is_missing_in_files_and_counted_by_inspect_never_in_rotations():
    clean = _body()
    bad = clean.copy()
    bad[30, 5] = 2e4
    ref_clean, _ = refine_pose_file(_file(clean))
    ref_bad, summary = refine_pose_file(_file(bad))
    a, b = ref_clean.tracks[0].keypoints, ref_bad.tracks[0].keypoints
    others = np.arange(17) != 5
    assert np.abs(b[:, others] - a[:, others]).max() < 0.5 and summary["filled"] == 1
    assert np.linalg.norm(b[30, 5] - clean[30, 5]) < 10
    info = inspect_pose_file(_file(bad))
    assert info["tracks"][0]["corrupt"] == 1
    assert "1 joint(s) inf, beyond 1e+09 or absurdly far from the body" in "\n".join(describe(info))
    assert inspect_pose_file(_file(clean))["tracks"][0]["corrupt"] == 0
    # axis-angles are no body: a joint rotated far more than the others is a rotation, refined, never filled
    rot = np.zeros((60, 24, 3)) + np.random.default_rng(1).normal(size=(60, 24, 3)) * 1e-3
    rot[:, 7, 0] = 1.5
    rotations = _file(rot, units="axis-angle", fmt="smpl")
    assert validation.stray_joints(rot)[:, 7].all()  # as positions they would be
    _, summary = refine_pose_file(rotations, model="savgol")
    assert summary["filled"] == 0
    assert inspect_pose_file(rotations, model="savgol")["tracks"][0]["corrupt"] == 0


def test_a_stray_joint_refine_does_not_fill_comes_back_as_given():
    """Review: refine() gave NaN for a finite stray joint it did not fill (too short, in every frame, beyond max_gap),
    where a file keeps it as written."""
    x = _body(60)
    x[:, 16] = 1e5  # in every frame: never seen, so as given (a file: "unseen", as written)
    out, filled = synsp.refine(x, model="butterworth", fps=30, return_filled=True)
    assert np.all(out[:, 16] == 1e5) and not filled[:, 16].any()
    short = _body(3)
    short[1, 5] = 1e5  # too short to refine: as it came
    assert np.array_equal(synsp.refine(short, fps=30), short)
    gap = _body(60)
    gap[20:25, 5] = 1e5  # stray for 5 frames, beyond max_gap=2: as given, not NaN
    out, filled = synsp.refine(gap, model="butterworth", fps=30, max_gap=2, return_filled=True)
    assert np.all(out[20:25, 5] == 1e5) and not filled[20:25, 5].any() and np.isfinite(out).all()
    persons = np.stack([gap, _body(60, 3) + [0.0, 600.0]], axis=1)  # persons too (the review: NaN there)
    out, filled = synsp.refine(persons, model="butterworth", fps=30, max_gap=2, return_filled=True)
    assert np.all(out[20:25, 0, 5] == 1e5) and not filled[20:25, 0, 5].any() and np.isfinite(out).all()
    out, filled = synsp.refine(gap, model="butterworth", fps=30, return_filled=True)  # filled: near the body
    assert filled[20:25, 5].all() and np.abs(out[20:25, 5] - _body(60)[20:25, 5]).max() < 50


def test_persons_are_judged_per_track_and_a_stray_point_never_lands_in_another_column():
    """Review: refine() of persons gave a stray joint back in the input's column order into an output whose
    columns the identity repair had exchanged: another person's never-seen wrist came back as the stray point."""
    a, b = _body(80, 1), _body(80, 2) + [0.0, 600.0]
    b[:, 10] = np.nan  # b's right wrist never seen
    x = np.stack([a, b], axis=1)
    x[30:] = x[30:, ::-1]  # a tracker exchanged the two at frame 30
    x[40:45, 1, 10] = 1e5  # a's right wrist, in column 1 from frame 30, stray
    clean = x.copy()
    clean[40:45, 1, 10] = np.nan
    out = synsp.refine(x, model="butterworth", fps=30)
    ref = synsp.refine(clean, model="butterworth", fps=30)
    assert np.abs(out[40:45, 0, 10]).max() < 2e3 or np.isnan(out[40:45, 0, 10]).all()  # b's wrist: never 1e5
    np.testing.assert_allclose(np.nan_to_num(out), np.nan_to_num(ref), atol=1e-6)  # as if the point were missing


def test_a_stream_takes_a_stray_joint_as_missing_as_offline_does():
    """Review: online, a 2e4 px shoulder moved the other joints by 30 px (only values beyond 1e9 were missing)."""
    def streamed(poses, score=None):
        stream = synsp.Stream()
        return np.stack([f for frame in poses for f in stream.push(frame, confidence=score)] + stream.flush()[0])

    x = _body(60)
    x[30, 5] = 2e4
    lost = x.copy()
    lost[30, 5] = np.nan
    np.testing.assert_array_equal(streamed(x), streamed(lost))  # the point is missing, filled as a NaN is
    assert np.abs(streamed(x) - streamed(_body(60))).max() < 2.0  # the body stays where it is (30 px before)
    # never confident joints are used as observed (as offline): judged after that (the review: 29 px moved)
    assert np.abs(streamed(x, 0.2) - streamed(_body(60), 0.2)).max() < 2.0


def test_a_root_at_the_origin_throughout_is_no_placeholder_even_beside_a_face_and_hands():
    """A whole body's face and hand points pull its median towards the head: a root-centred export's root was read
    as a placeholder in every frame (a review, openpose137-like: 100 % of frames)."""
    body = _body(40)
    rng = np.random.default_rng(2)
    head = body[:, :1] + rng.normal(scale=8.0, size=(40, 60, 2))  # 60 face / hand points around the nose
    whole = np.concatenate([body, head], axis=1)
    centred = whole - whole[:, 11:12]
    assert not validation.stray_joints(centred)[:, 11].any()
    assert validation.stray_joints(centred[:1])[:, 11].all()  # one frame alone: no time to tell (a stream's case)
    hole = centred.copy()
    hole[5, 7] = 0.0  # a placeholder in a root-centred body is still one
    assert validation.stray_joints(hole)[5, 7]
