"""The estimator-error simulator obeys its definitions (analytic facts, synthetic motion)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from synsp.geometry import axis_angle_to_matrix, matrix_to_axis_angle
from synsp.noise import (
    PRESETS,
    REFERENCE_BOX_PX,
    Drift,
    ErrorModel,
    Inversions,
    Jitter,
    JointScale,
    Misses,
    Swaps,
    error_profile,
    get_preset,
    joint_factors,
    place_companion,
    simulate,
)
from synsp.noise import components
from synsp.noise.simulator import STREAMS, _streams
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

H36M = get_skeleton("h36m17")
FLAT = JointScale(1.0, 1.0, 1.0, 1.0)

# A standing h36m17 pose in metres, y up, facing +z (the subject's left is +x).
REST = {
    "pelvis": (0.0, 0.95, 0.0), "right_hip": (-0.13, 0.95, 0.0), "right_knee": (-0.13, 0.52, 0.03),
    "right_ankle": (-0.13, 0.09, 0.0), "left_hip": (0.13, 0.95, 0.0), "left_knee": (0.13, 0.52, 0.03),
    "left_ankle": (0.13, 0.09, 0.0), "spine": (0.0, 1.18, 0.0), "thorax": (0.0, 1.45, 0.0),
    "neck": (0.0, 1.57, 0.02), "head_top": (0.0, 1.75, 0.0), "left_shoulder": (0.19, 1.43, 0.0),
    "left_elbow": (0.23, 1.15, 0.0), "left_wrist": (0.25, 0.90, 0.06), "right_shoulder": (-0.19, 1.43, 0.0),
    "right_elbow": (-0.23, 1.15, 0.0), "right_wrist": (-0.25, 0.90, 0.06),
}


def walking(seconds: float, fps: float, seed: int = 0) -> np.ndarray:
    """Smooth synthetic motion ``(T, 17, 3)``: the rest pose, limbs swinging at 0.3-1.5 Hz, walking 1 m/s.

    A continuous function of time, so two frame rates sample the same motion.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * fps)))[:, None, None] / fps
    rest = np.array([REST[n] for n in H36M.joints])
    amp = 0.04 * joint_factors(H36M.joints)[:, None] ** 2
    freq = rng.uniform(0.3, 1.5, size=(1, 17, 3))
    phase = rng.uniform(0, 2 * np.pi, size=(1, 17, 3))
    walk = np.zeros((1, 1, 3))
    walk[..., 0] = 1.0
    return rest + amp * np.sin(2 * np.pi * freq * t + phase) + walk * t


def image(x: np.ndarray, box: float = REFERENCE_BOX_PX) -> np.ndarray:
    """Orthographic projection to pixels with a ``box``-px joint box."""
    uv = np.stack([x[..., 0], -x[..., 1]], axis=-1)
    extent = np.median((uv.max(axis=-2) - uv.min(axis=-2)).max(axis=-1))
    return uv * (box / extent) + 500.0


def model(**kwargs) -> ErrorModel:
    """A 3D model with nothing switched on except what is passed."""
    return ErrorModel(name="test", unit="m", fps=50.0, joint_scale=FLAT, **kwargs)


# --- determinism and shapes


def test_same_seed_same_output_and_different_seed_differs():
    gt = walking(4, 50)
    a = simulate(gt, "h36m-fcn-like", skeleton="h36m17", fps=50, seed=3)
    b = simulate(gt, "h36m-fcn-like", skeleton="h36m17", fps=50, seed=3)
    c = simulate(gt, "h36m-fcn-like", skeleton="h36m17", fps=50, seed=4)
    np.testing.assert_array_equal(a.pred, b.pred)
    np.testing.assert_array_equal(a.confidence, b.confidence)
    assert a.events == b.events
    assert not np.allclose(a.pred, c.pred)
    d = simulate(gt, "h36m-fcn-like", skeleton="h36m17", fps=50, seed=np.random.default_rng(3))
    assert d.pred.shape == gt.shape


@pytest.mark.parametrize(
    "preset, shape, representation",
    [
        ("h36m-fcn-like", (60, 17, 3), "positions"),
        ("3dpw-spin-like", (60, 4, 17, 3), "positions"),
        ("hrnet-like", (60, 17, 2), "positions"),
        ("mediapipe-like", (60, 3, 17, 2), "positions"),
        ("vibe-like", (60, 17, 3), "rotations"),
        ("vibe-like", (60, 2, 17, 3), "rotations"),
    ],
)
def test_shapes(preset, shape, representation):
    rng = np.random.default_rng(0)
    if representation == "rotations":
        gt = 0.3 * rng.standard_normal(shape)
    else:
        base = walking(60 / 30, 30)
        base = image(base) if shape[-1] == 2 else base
        gt = base if len(shape) == 3 else np.repeat(base[:, None], shape[1], axis=1)
    out = simulate(gt, preset, skeleton="h36m17", fps=30, seed=0, representation=representation)
    assert out.pred.shape == gt.shape
    assert out.confidence.shape == out.missing.shape == gt.shape[:-1]
    assert out.missing.dtype == bool
    assert np.all((out.confidence >= 0) & (out.confidence <= 1))


def test_views_get_independent_errors():
    gt = np.repeat(walking(4, 50)[:, None], 2, axis=1)
    out = simulate(gt, "h36m-fcn-like", skeleton="h36m17", fps=50, seed=0)
    err = out.pred - gt
    assert abs(np.corrcoef(err[:, 0].ravel(), err[:, 1].ravel())[0, 1]) < 0.1


# --- jitter


@pytest.mark.parametrize("tau_s, order", [(0.0, 1), (0.04, 1), (0.04, 2)])
def test_jitter_std_matches_request(tau_s, order):
    gt = walking(60, 50)
    m = model(jitter=Jitter(std=0.01, tau_s=tau_s, order=order))
    out = simulate(gt, m, skeleton=H36M, fps=50, seed=1)
    assert np.std(out.pred - gt) == pytest.approx(0.01, rel=0.03)


def test_extremities_noisier_than_torso():
    gt = walking(60, 50)
    scale = JointScale(torso=0.5, head=0.8, limb=1.0, extremity=1.5)
    m = dataclasses.replace(model(jitter=Jitter(std=0.01)), joint_scale=scale)
    err = simulate(gt, m, skeleton=H36M, fps=50, seed=2).pred - gt
    std = err.std(axis=(0, 2))
    wrists = [H36M.index("left_wrist"), H36M.index("right_wrist"), H36M.index("left_ankle")]
    torso = [H36M.index("left_hip"), H36M.index("thorax"), H36M.index("right_shoulder")]
    elbows = [H36M.index("left_elbow"), H36M.index("right_knee")]
    assert std[wrists].mean() > std[elbows].mean() > std[torso].mean()
    assert std[wrists].mean() / std[torso].mean() == pytest.approx(3.0, rel=0.05)


def test_joint_classes_come_from_names():
    names = ["left_wrist", "right_hand", "left_foot_index", "left_heel", "left_elbow", "right_knee",
             "nose", "head_top", "left_ear", "pelvis", "spine1", "left_collar", "mystery"]
    s = JointScale(torso=0.1, head=0.2, limb=0.3, extremity=0.4)
    np.testing.assert_allclose(joint_factors(names, s), [0.4] * 4 + [0.3] * 2 + [0.2] * 3 + [0.1] * 3 + [0.3])


def test_depth_axis_std_larger_by_factor():
    gt = walking(60, 50)
    m = model(jitter=Jitter(std=0.01), depth_factor=2.5)
    out = simulate(gt, m, skeleton=H36M, fps=50, seed=3, depth_axis=2)
    std = (out.pred - gt).std(axis=(0, 1))
    assert std[2] / std[0] == pytest.approx(2.5, rel=0.04)
    assert std[1] / std[0] == pytest.approx(1.0, rel=0.04)
    # a camera direction that is not a coordinate axis
    n = np.array([1.0, 0.0, 1.0]) / math.sqrt(2)
    out = simulate(gt, m, skeleton=H36M, fps=50, seed=3, depth_axis=n)
    err = (out.pred - gt).reshape(-1, 3)
    across = np.array([1.0, 0.0, -1.0]) / math.sqrt(2)
    assert (err @ n).std() / (err @ across).std() == pytest.approx(2.5, rel=0.04)


def test_heavy_tailed_jitter_has_higher_kurtosis():
    gt = walking(60, 50)

    def kurtosis(df):
        m = model(jitter=Jitter(std=0.01, df=df))
        e = (simulate(gt, m, skeleton=H36M, fps=50, seed=4).pred - gt).ravel()
        return np.mean(e**4) / np.mean(e**2) ** 2

    assert kurtosis(None) == pytest.approx(3.0, abs=0.1)
    assert kurtosis(5.0) > 4.0


# --- correlated error, lag, frame rate


def test_ou_drift_lag1_autocorrelation():
    gt = walking(100, 50)
    tau = 0.2
    err = simulate(gt, model(drift=Drift(std=0.01, tau_s=tau)), skeleton=H36M, fps=50, seed=5).pred - gt
    e = err.reshape(err.shape[0], -1)
    rho = np.mean(e[1:] * e[:-1]) / np.mean(e * e)
    assert rho == pytest.approx(math.exp(-1 / (50 * tau)), abs=0.01)


def test_bias_is_constant_over_time():
    gt = walking(2, 50)
    err = simulate(gt, model(drift=Drift(bias_std=0.02)), skeleton=H36M, fps=50, seed=6).pred - gt
    np.testing.assert_allclose(err, np.broadcast_to(err[:1], err.shape), atol=1e-12)


def test_each_component_comes_from_its_own_stream_and_adds_up():
    """simulate = the sum of its components: switching jitter off removes exactly the term that
    components.jitter draws from the simulator's jitter stream (times the joint factors), and the
    bias and drift realisation stays the same."""
    gt = walking(2, 50)
    full = dataclasses.replace(
        model(drift=Drift(bias_std=0.02, std=0.01, tau_s=0.3), jitter=Jitter(std=0.005, tau_s=0.03, order=2)),
        joint_scale=JointScale(),
    )
    no_jitter = dataclasses.replace(full, jitter=Jitter())
    a = simulate(gt, full, skeleton=H36M, fps=50, seed=11)
    b = simulate(gt, no_jitter, skeleton=H36M, fps=50, seed=11)
    term = components.jitter(_streams(11)["jitter"], full.jitter, (100, 1, 17, 3), 50.0)[:, 0]
    np.testing.assert_allclose(a.pred - b.pred, term * joint_factors(H36M.joints)[:, None], rtol=0, atol=1e-12)
    assert STREAMS == ("bias", "drift", "jitter", "inversions", "swaps", "joint_misses", "frame_misses",
                       "confidence")


def test_depth_stretch_scales_only_the_depth_component():
    noise = np.random.default_rng(0).normal(size=(30, 2, 17, 3))
    before = noise.copy()
    components.stretch_depth(noise, 2.5, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(noise[:, 0, :, 2], 2.5 * before[:, 0, :, 2], rtol=1e-12)
    np.testing.assert_array_equal(noise[:, 0, :, :2], before[:, 0, :, :2])
    np.testing.assert_allclose(noise[:, 1, :, 0], 2.5 * before[:, 1, :, 0], rtol=1e-12)
    np.testing.assert_array_equal(noise[:, 1, :, 1:], before[:, 1, :, 1:])


def test_lag_trails_a_ramp_by_the_first_order_delay():
    fps, tau, v = 50.0, 0.1, 2.0
    gt = np.broadcast_to(v * np.arange(200)[:, None, None] / fps, (200, 17, 3)).copy()  # v m/s on every axis
    out = simulate(gt, model(lag_s=tau), skeleton=H36M, fps=fps, seed=0).pred
    alpha = math.exp(-1 / (fps * tau))
    expected = -v / fps * alpha / (1 - alpha)  # steady state of y = a y + (1 - a) x on a ramp
    np.testing.assert_allclose((out - gt)[-20:], expected, rtol=1e-6)


@pytest.mark.parametrize("preset", ["h36m-fcn-like", "vibe-like", "mediapipe-like"])
def test_doubling_fps_keeps_mpjpe(preset):
    m = get_preset(preset)
    profiles = []
    for fps in (m.fps, 2 * m.fps):
        gt = walking(60, fps, seed=1)
        gt = image(gt) if m.unit == "px" else gt
        out = simulate(gt, m, skeleton=H36M, fps=fps, seed=7)
        profiles.append(error_profile(out.pred, gt, skeleton=H36M, fps=fps))
    assert profiles[1]["mpjpe"] == pytest.approx(profiles[0]["mpjpe"], rel=0.10)
    assert profiles[1]["accel"] < profiles[0]["accel"]  # per frame², so it drops at a higher rate


def test_high_frequency_share_of_white_noise():
    gt = walking(40, 50)
    out = simulate(gt, model(jitter=Jitter(std=0.01)), skeleton=H36M, fps=50, seed=8)
    hf = error_profile(out.pred, gt, skeleton=H36M, fps=50)["hf_fraction"]
    assert hf == pytest.approx(1 - 3.0 / 25.0, abs=0.01)  # flat spectrum up to Nyquist (25 Hz)


# --- misses


def miss_model(mode, **kwargs):
    return model(
        jitter=Jitter(std=0.01),
        misses=Misses(joint_rate=0.5, joint_mean_s=0.2, joint_mode=mode, frame_rate=0.2, frame_mean_s=0.1,
                      frame_mode=mode, outlier_distance=0.3),
        **kwargs,
    )


def test_nan_misses_exactly_where_missing():
    gt = walking(30, 50)
    out = simulate(gt, miss_model("nan"), skeleton=H36M, fps=50, seed=9)
    assert out.missing.any() and not out.missing.all()
    np.testing.assert_array_equal(np.isnan(out.pred).any(-1), out.missing)
    np.testing.assert_array_equal(np.isnan(out.pred).all(-1), out.missing)
    assert np.all(out.confidence[out.missing] == 0)
    assert {e.kind for e in out.events} == {"joint_miss", "frame_miss"}


def test_error_profile_skips_lost_joints():
    gt = walking(20, 50)
    out = simulate(gt, miss_model("nan"), skeleton=H36M, fps=50, seed=20)
    profile = error_profile(out.pred, gt, skeleton=H36M, fps=50)
    dist = np.linalg.norm((out.pred - out.pred[:, :1]) - (gt - gt[:, :1]), axis=-1)  # pelvis is the root
    assert profile["mpjpe"] == pytest.approx(np.nanmean(dist))
    assert profile["missing_fraction"] == pytest.approx(np.isnan(dist).mean())
    assert 0 < profile["hf_fraction"] < 1


def test_freeze_repeats_the_last_valid_value():
    gt = walking(30, 50)
    out = simulate(gt, miss_model("freeze"), skeleton=H36M, fps=50, seed=10)
    t, j = np.nonzero(out.missing[1:])
    assert t.size > 100
    np.testing.assert_array_equal(out.pred[t + 1, j], out.pred[t, j])  # a missing frame copies the one before
    assert not np.isnan(out.pred).any()
    clean = ~out.missing
    np.testing.assert_allclose(np.std(out.pred[clean] - gt[clean]), 0.01, rtol=0.05)


def test_outliers_are_far_and_confidence_drops_on_misses():
    gt = walking(30, 50)
    out = simulate(gt, miss_model("outlier"), skeleton=H36M, fps=50, seed=11)
    err = np.linalg.norm(out.pred - gt, axis=-1)
    assert np.median(err[out.missing]) > 0.1 > np.median(err[~out.missing])
    assert out.confidence[out.missing].mean() < 0.3 < 0.8 < out.confidence[~out.missing].mean()


def test_burst_lengths_follow_the_mean_in_seconds():
    fps = 50
    gt = walking(400, fps)
    m = model(misses=Misses(joint_rate=0.2, joint_mean_s=0.2, joint_mode="nan"))
    out = simulate(gt, m, skeleton=H36M, fps=fps, seed=12)
    lengths = np.array([e.stop - e.start for e in out.events if e.kind == "joint_miss"])
    assert lengths.size > 1000
    assert lengths.mean() / fps == pytest.approx(0.2, rel=0.07)
    # the onset rate is per second and per joint on average
    assert lengths.size / (400 * 17) == pytest.approx(0.2, rel=0.1)


# --- inversions and swaps


def test_pair_inversion_swaps_left_and_right_exactly():
    gt = walking(30, 50)
    m = model(inversions=Inversions(pair_rate=0.5, mean_s=0.2))
    out = simulate(gt, m, skeleton=H36M, fps=50, seed=13)
    events = [e for e in out.events if e.kind == "pair_inversion"]
    assert len(events) > 5
    touched = np.zeros(gt.shape[:2], dtype=bool)
    for e in events:
        left, right = e.joints
        assert (left, right) in H36M.left_right
        np.testing.assert_array_equal(out.pred[e.start:e.stop, left], gt[e.start:e.stop, right])
        np.testing.assert_array_equal(out.pred[e.start:e.stop, right], gt[e.start:e.stop, left])
        touched[e.start:e.stop, [left, right]] = True
    np.testing.assert_array_equal(out.pred[~touched], gt[~touched])


def test_body_inversion_flips_every_pair():
    gt = walking(30, 50)
    m = model(inversions=Inversions(body_rate=0.3, mean_s=0.3))
    out = simulate(gt, m, skeleton=H36M, fps=50, seed=14)
    frames = np.zeros(gt.shape[0], dtype=bool)
    for e in out.events:
        frames[e.start:e.stop] = True
    assert 0 < frames.sum() < gt.shape[0]
    np.testing.assert_array_equal(out.pred[frames], gt[frames][:, list(H36M.flip_permutation)])
    np.testing.assert_array_equal(out.pred[~frames], gt[~frames])


def test_rotation_inversion_swaps_and_mirrors():
    smpl = get_skeleton("smpl24")
    gt = 0.4 * np.random.default_rng(0).standard_normal((1500, 24, 3))
    m = model(inversions=Inversions(pair_rate=0.5, mean_s=0.2))
    out = simulate(gt, m, skeleton=smpl, fps=50, seed=15, representation="rotations")
    mirror = np.array([1.0, -1.0, -1.0])
    events = [e for e in out.events if e.kind == "pair_inversion"]
    assert events
    for e in events:
        left, right = e.joints
        sl = slice(e.start, e.stop)
        np.testing.assert_allclose(out.pred[sl, left], gt[sl, right] * mirror, atol=1e-9)


def test_swapped_joints_equal_the_companion():
    gt = walking(30, 50)
    other = walking(20, 50, seed=5)
    companion = place_companion(gt, other, 1.5, skeleton=H36M, seed=0)
    out = simulate(gt, model(swaps=Swaps(rate=0.4, mean_s=0.3, body_fraction=0.3)),
                   skeleton=H36M, fps=50, seed=16, companion=companion)
    touched = np.zeros(gt.shape[:2], dtype=bool)
    events = [e for e in out.events if e.kind == "swap"]
    assert any(len(e.joints) == 17 for e in events) and any(len(e.joints) == 1 for e in events)
    for e in events:
        touched[e.start:e.stop, list(e.joints)] = True
    np.testing.assert_array_equal(out.pred[touched], companion[touched])
    np.testing.assert_array_equal(out.pred[~touched], gt[~touched])


def test_place_companion_sets_the_distance():
    gt = walking(10, 50)
    other = walking(3, 50, seed=2)
    placed = place_companion(gt, other, 2.0, skeleton=H36M, angle_deg=30.0)
    assert placed.shape == gt.shape
    offset = placed[:, 0].mean(0) - gt[:, 0].mean(0)
    assert offset[1] == pytest.approx(0.0, abs=1e-9)  # same height (y up)
    assert np.hypot(offset[0], offset[2]) == pytest.approx(2.0)
    assert np.abs(np.diff(placed, axis=0)).max() < 0.1  # played back and forth, no jump


# --- scale, rotations


def test_2d_noise_scales_with_the_box():
    gt = image(walking(10, 50), box=REFERENCE_BOX_PX)
    big = (gt - 500.0) * 3.0 + 500.0
    a = simulate(gt, "mediapipe-like", skeleton=H36M, fps=50, seed=17)
    b = simulate(big, "mediapipe-like", skeleton=H36M, fps=50, seed=17)
    assert a.scale[0] == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(b.pred - big, 3.0 * (a.pred - gt), atol=1e-8)


def test_rotation_jitter_is_a_small_local_rotation():
    gt = 0.5 * np.random.default_rng(1).standard_normal((2000, 17, 3))
    out = simulate(gt, model(jitter=Jitter(std=0.02)), skeleton=H36M, fps=50, seed=18,
                   representation="rotations", scale=1.0)
    relative = np.swapaxes(axis_angle_to_matrix(gt), -1, -2) @ axis_angle_to_matrix(out.pred)
    delta = matrix_to_axis_angle(relative)  # R_gt^T R_pred = exp(noise)
    assert delta.std() == pytest.approx(0.02, rel=0.03)


# --- presets


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_mpjpe_on_synthetic_motion(name):
    m = get_preset(name)
    gt = walking(60, m.fps, seed=3)
    gt = image(gt) if m.unit == "px" else gt
    out = simulate(gt, m, skeleton="h36m17", fps=m.fps, seed=19)
    mpjpe = error_profile(out.pred, gt, skeleton=H36M, fps=m.fps)["mpjpe"]
    assert mpjpe == pytest.approx(m.target.mpjpe, rel=0.25)


def test_presets_are_frozen_and_named():
    for name, m in PRESETS.items():
        assert m.name == name and m.target is not None
        with pytest.raises(dataclasses.FrozenInstanceError):
            m.lag_s = 1.0  # type: ignore[misc]


# --- bad input


def test_unknown_preset_lists_the_names():
    with pytest.raises(SynspInputError, match="h36m-fcn-like.*mediapipe-like"):
        get_preset("openpose-like")
    with pytest.raises(SynspInputError, match="unknown noise preset"):
        simulate(walking(1, 50), "openpose-like", skeleton="h36m17", fps=50)


def test_nan_gt_is_rejected():
    gt = walking(1, 50)
    gt[3, 2, 1] = np.nan
    with pytest.raises(SynspInputError, match="gt contains NaN"):
        simulate(gt, "h36m-fcn-like", skeleton="h36m17", fps=50)


def test_companion_of_wrong_shape_is_rejected():
    gt = walking(2, 50)
    with pytest.raises(SynspInputError, match="companion has shape"):
        simulate(gt, "h36m-fcn-like", skeleton="h36m17", fps=50, companion=gt[:50])
    with pytest.raises(SynspInputError, match="companion"):
        simulate(gt, "h36m-fcn-like", skeleton="h36m17", fps=50, companion=gt[..., :2])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(preset="hrnet-like"), "2D preset"),
        (dict(fps=0), "fps"),
        (dict(representation="quaternions"), "representation"),
        (dict(skeleton="coco17"), "J = 17|joints"),
    ],
)
def test_other_mistakes_name_the_problem(kwargs, message):
    args = dict(preset="h36m-fcn-like", skeleton="h36m17", fps=50)
    args.update(kwargs)
    gt = walking(1, 50)
    if kwargs.get("skeleton") == "coco17":
        gt = gt[:, :16]
    with pytest.raises(SynspInputError, match=message):
        simulate(gt, args.pop("preset"), **args)


def test_invalid_model_fields_are_rejected():
    with pytest.raises(SynspInputError, match="joint_mode"):
        Misses(joint_mode="vanish")
    with pytest.raises(SynspInputError, match="df"):
        Jitter(std=1.0, df=2.0)
    with pytest.raises(SynspInputError, match="std"):
        Jitter(std=-1.0)
