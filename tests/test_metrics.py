"""Metrics pinned to analytic facts and to direct loop implementations."""

import numpy as np
import pytest
import torch

from synsp.metrics import (
    accel_error,
    bone_length_std,
    fast_frame_mask,
    mpjpe,
    pa_mpjpe,
    metric_scale,
    pck,
    refine_clips,
    root_relative,
    summarize,
)
from synsp.validation import SynspInputError

rng = np.random.default_rng(0)


def random_rotation(d, rng):
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def loop_procrustes_error(p, g):
    """Textbook similarity Procrustes of one frame (points as rows), then MPJPE."""
    mp, mg = p.mean(0), g.mean(0)
    x, y = p - mp, g - mg
    u, s, vt = np.linalg.svd(x.T @ y)
    d = np.ones(len(s))
    d[-1] = np.sign(np.linalg.det(u @ vt))
    rot = u @ np.diag(d) @ vt  # x @ rot ~ y
    scale = (s * d).sum() / (x**2).sum()
    aligned = scale * x @ rot + mg
    return np.linalg.norm(aligned - g, axis=-1).mean()


def test_constant_velocity_has_zero_accel_error():
    t = np.arange(50.0)[:, None, None]
    start, velocity = rng.normal(size=(1, 17, 3)), rng.normal(size=(1, 17, 3))
    moving = start + velocity * t
    gt = np.zeros_like(moving) + start  # static truth: also zero acceleration
    np.testing.assert_allclose(accel_error(moving, gt), 0.0, atol=1e-10)


@pytest.mark.parametrize("d", [2, 3])
def test_similarity_transformed_copy_has_zero_pa_mpjpe(d):
    gt = rng.normal(size=(20, 17, d))
    pred = np.stack(
        [2.7 * f @ random_rotation(d, rng).T + rng.normal(size=d) for f in gt]
    )
    assert mpjpe(pred, gt).mean() > 0.5
    np.testing.assert_allclose(pa_mpjpe(pred, gt), 0.0, atol=1e-9)


def test_accel_padding_scales_mean_by_t_minus_2_over_t():
    T = 37
    pred, gt = rng.normal(size=(T, 17, 3)), rng.normal(size=(T, 17, 3))
    padded = accel_error(pred, gt)
    assert padded.shape == (T,) and padded[0] == 0 and padded[-1] == 0
    unpadded = padded[1:-1]
    assert padded.mean() == pytest.approx((T - 2) / T * unpadded.mean(), rel=1e-12)


def test_metrics_match_direct_loops():
    T, J = 25, 14
    pred, gt = rng.normal(size=(T, J, 3)), rng.normal(size=(T, J, 3))
    loop_mpjpe = [np.mean([np.linalg.norm(pred[t, j] - gt[t, j]) for j in range(J)]) for t in range(T)]
    np.testing.assert_allclose(mpjpe(pred, gt), loop_mpjpe, rtol=1e-12)
    loop_acc = [0.0]
    for t in range(1, T - 1):
        a = pred[t - 1] - 2 * pred[t] + pred[t + 1] - (gt[t - 1] - 2 * gt[t] + gt[t + 1])
        loop_acc.append(np.mean([np.linalg.norm(a[j]) for j in range(J)]))
    loop_acc.append(0.0)
    np.testing.assert_allclose(accel_error(pred, gt), loop_acc, rtol=1e-12)
    loop_pa = [loop_procrustes_error(pred[t], gt[t]) for t in range(T)]
    np.testing.assert_allclose(pa_mpjpe(pred, gt), loop_pa, rtol=1e-8)


def test_torch_inputs_give_numpy_outputs():
    pred, gt = torch.randn(10, 17, 3), torch.randn(10, 17, 3)
    out = mpjpe(pred, gt)
    assert isinstance(out, np.ndarray) and out.shape == (10,)
    np.testing.assert_allclose(out, mpjpe(pred.numpy(), gt.numpy()))


def test_pck_counts_joints_within_threshold():
    gt = np.zeros((2, 4, 2))
    pred = gt.copy()
    pred[:, :, 0] = [1.0, 3.0, 6.0, 30.0]  # errors 1, 3, 6, 30 px
    got = pck(pred, gt, body_size=[40.0, 100.0], thresholds=(0.05, 0.1, 0.2))
    # frame 0: thresholds 2, 4, 8 px -> 1/4, 2/4, 3/4 ; frame 1: 5, 10, 20 px -> 2/4, 3/4, 3/4
    np.testing.assert_allclose(got, [[0.25, 0.5, 0.75], [0.5, 0.75, 0.75]])


def test_bone_length_std_zero_for_rigid_motion_positive_when_breathing():
    parents = [-1, 0, 1, 0]
    pose = rng.normal(size=(4, 3))
    rigid = np.stack([pose @ random_rotation(3, rng).T + t for t in rng.normal(size=(30, 3))])
    np.testing.assert_allclose(bone_length_std(rigid, parents), 0.0, atol=1e-12)
    breathing = rigid * (1 + 0.1 * np.sin(np.arange(30)))[:, None, None]
    assert (bone_length_std(breathing, parents) > 1e-3).all()


def test_fast_frame_mask_finds_the_hard_acceleration():
    gt = np.zeros((100, 3, 3))
    gt[60:, :, 0] = 1.0  # a step at frame 60: the second difference peaks at 59 and 60
    mask = fast_frame_mask(gt, fraction=0.02)
    assert mask.sum() == 2 and mask[59] and mask[60]


def test_summarize_is_frame_weighted_and_root_relative():
    gts = [rng.normal(size=(T, 17, 3)) for T in (10, 30)]
    preds = [g + rng.normal(scale=0.01, size=g.shape) for g in gts]
    s = summarize(preds, gts, scale=1000.0)
    pooled = np.concatenate([mpjpe(p, g) for p, g in zip(preds, gts)]) * 1000
    assert s["mpjpe"] == pytest.approx(pooled.mean())
    assert s["frames"] == 40
    # a global shift of the prediction disappears after root-relative alignment
    shifted = [p + np.array([5.0, -2.0, 1.0]) for p in preds]
    with_root = summarize(shifted, gts, root_joints=[0], scale=1000.0)
    without_root = summarize(shifted, gts, scale=1000.0)
    expected = np.concatenate(
        [mpjpe(root_relative(p, [0]), root_relative(g, [0])) for p, g in zip(preds, gts)]
    ).mean() * 1000
    assert with_root["mpjpe"] == pytest.approx(expected)
    assert without_root["mpjpe"] > 1000


def test_summarize_pools_views_and_picks_hardest_frames_by_input():
    gt = rng.normal(size=(100, 2, 5, 3))  # (T, P, J, D)
    inp = gt.copy()
    inp[17, 1] += 10.0  # one terrible frame in view 1
    s = summarize([gt.copy()], [gt], inputs=[inp], hardest=0.005)
    assert s["frames"] == 200
    assert s["mpjpe"] == 0.0 and s["mpjpe_hardest"] == 0.0
    noisy = gt + 0.0
    noisy[17, 1] += 1.0
    s = summarize([noisy], [gt], inputs=[inp], hardest=0.005)
    assert s["mpjpe_hardest"] == pytest.approx(np.sqrt(3.0))


@pytest.mark.parametrize(
    "pred,gt,match",
    [
        (np.zeros((5, 17)), np.zeros((5, 17)), r"shape \(5, 17\)"),
        (np.zeros((5, 17, 4)), np.zeros((5, 17, 4)), "D = 4"),
        (np.zeros((5, 17, 3)), np.zeros((5, 16, 3)), "must match"),
        (np.zeros((0, 17, 3)), np.zeros((0, 17, 3)), "empty"),
        (np.full((5, 17, 3), np.nan), np.zeros((5, 17, 3)), "NaN"),
        (np.full((5, 17, 3), np.inf), np.zeros((5, 17, 3)), "inf"),
    ],
)
def test_bad_input_raises_clear_error(pred, gt, match):
    with pytest.raises(SynspInputError, match=match):
        mpjpe(pred, gt)


def test_summarize_reports_pck_for_2d_keypoints():
    from synsp.metrics import summarize

    gt = np.zeros((4, 3, 2))
    gt[:, 1] = (100.0, 0.0)  # box: 100 px wide
    pred = gt.copy()
    pred[:, 0] += (7.0, 0.0)  # joint 0 off by 7 px: within 0.1 and 0.2 of the box, not 0.05
    out = summarize([pred], [gt], pck_thresholds=(0.05, 0.1, 0.2))
    assert out["pck@0.05"] == pytest.approx(200 / 3) and out["pck@0.1"] == 100.0 and out["pck@0.2"] == 100.0
    assert "pck@0.05" not in summarize([pred], [gt])


@pytest.mark.parametrize("frames,hardest,kept", [(3015, 0.01, 31), (200, 0.01, 2), (100, 0.01, 1), (3015, 0.1, 302),
                                                 (50, 0.01, 1)])
def test_hardest_fraction_keeps_smoothnet_count(frames, hardest, kept):
    # SmoothNet's evaluation sorts the input MPJPE and keeps the frames from index int(N * 0.99) (top 1 %) or
    # int(N * 0.9) (top 10 %) on: N - int(0.99 N) frames, not round(0.01 N)
    assert kept == frames - int(frames * (1 - hardest))
    gt = np.zeros((frames, 2, 3))
    err = np.arange(frames, dtype=float)[::-1].copy()  # frame t is off by err[t]; the largest come first
    inp = gt + err[:, None, None] / np.sqrt(3)
    s = summarize([inp], [gt], inputs=[inp], hardest=hardest)
    assert s["mpjpe_hardest"] == pytest.approx(np.sort(err)[-kept:].mean())


def test_metric_scale_is_mm_for_3d_and_px_for_2d():
    assert metric_scale(3) == 1000.0
    assert metric_scale(2) == 1.0


def test_refine_clips_runs_each_clip_with_its_confidence_and_counts_frames():
    calls = []

    def refiner(x, fps=None, confidence=None):
        calls.append((fps, confidence.shape))
        return x + 1.0

    clips = [(np.zeros((5, 3, 3)), np.ones((5, 3, 3)), np.ones((5, 3)), "walk"),
             (np.zeros((7, 3, 3)), np.ones((7, 3, 3)), np.ones((7, 3)), "dance")]
    run = refine_clips(refiner, clips, fps=50.0)
    assert calls == [(50.0, (5, 3)), (50.0, (7, 3))]
    assert [p.tolist() for p in run.preds] == [np.full((n, 3, 3), 2.0).tolist() for n in (5, 7)]
    assert run.gts[1] is clips[1][0] and run.frames == 12 and run.seconds >= 0 and run.fps > 0
    assert run.scale == 1000.0
    assert refine_clips(refiner, [(np.zeros((4, 2, 2)), np.ones((4, 2, 2)), np.ones((4, 2)))]).scale == 1.0


def test_summarize_refuses_a_prediction_with_fewer_views_than_its_truth():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(10, 4, 17, 3))
    with pytest.raises(SynspInputError, match="1 view"):  # view 0 alone was scored before
        summarize([gt[:, 0]], [gt])
    with pytest.raises(SynspInputError, match="the input 2"):
        summarize([gt], [gt], inputs=[gt[:, :2]])


def test_the_angular_acceleration_error_is_the_length_of_the_difference_not_of_the_lengths():
    from synsp.metrics import rotation_metrics

    t = np.arange(20, dtype=np.float64)
    spin = np.zeros((20, 24, 3))
    spin[:, 1, 2] = np.radians(0.25 * t**2)  # joint 1 accelerates about z at 0.5 deg / frame^2
    backwards = spin.copy()
    backwards[:, 1, 2] *= -1  # the same size of acceleration, the other way
    sideways = spin.copy()
    sideways[:, 1] = spin[:, 1, [2, 0, 1]]  # about x instead
    per_joint = rotation_metrics([backwards], [spin])["angle_accel"] * 24
    np.testing.assert_allclose(per_joint, 1.0, rtol=1e-6)  # |(-0.5) - 0.5| degrees / frame^2
    np.testing.assert_allclose(rotation_metrics([sideways], [spin])["angle_accel"] * 24, np.sqrt(0.5), rtol=1e-6)
    assert rotation_metrics([spin], [spin])["angle_accel"] < 1e-9
