"""Refining joint rotations: quaternion smoothing, sign continuity, the pi wrap, errors."""

import numpy as np
import pytest

from synsp.api import refine_smpl
from synsp.geometry import axis_angle_to_matrix, matrix_to_axis_angle
from synsp.metrics import angular_acceleration, geodesic_error
from synsp.rotations import (
    DEFAULT_ROTATION_MODEL,
    continuous_quaternions,
    refine_rotations,
    rotation_filter,
)
from synsp.validation import SynspInputError


def _clean(T=120, J=24, seed=0):
    """Smooth rotations: each joint turns about its own fixed axis, angle a slow sine."""
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=(J, 3))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    t = np.arange(T) / 30.0
    angle = rng.uniform(0.3, 1.5, J) + 0.6 * np.sin(2 * np.pi * 0.5 * t)[:, None]
    return angle[..., None] * axis


def _jitter(rot, sigma=0.05, seed=1):
    """``rot`` with a small random rotation (sigma rad per axis) composed on every frame."""
    noise = np.random.default_rng(seed).normal(0, sigma, rot.shape)
    return matrix_to_axis_angle(axis_angle_to_matrix(noise) @ axis_angle_to_matrix(rot))


@pytest.mark.parametrize("model", ["butterworth", "savgol", "kalman-rts", "gaussian"])
def test_jitter_is_reduced(model):
    clean = _clean()
    noisy = _jitter(clean)
    out = refine_rotations(noisy, model=model, fps=30)
    assert out.shape == clean.shape and out.dtype == np.float64
    assert geodesic_error(out, clean) < 0.8 * geodesic_error(noisy, clean)
    assert np.nanmean(angular_acceleration(out)) < 0.5 * np.nanmean(angular_acceleration(noisy))


def test_rotation_crossing_pi_stays_smooth():
    T = 90
    axis = np.array([0.3, 0.5, -0.8]) / np.linalg.norm([0.3, 0.5, -0.8])
    angle = np.linspace(np.pi - 0.6, np.pi + 0.6, T)  # crosses pi: the axis-angle vector flips sign
    rv = matrix_to_axis_angle(axis_angle_to_matrix(angle[:, None, None] * axis))  # (T, 1, 3), |rv| <= pi
    assert np.abs(np.diff(rv, axis=0)).max() > 5  # the standard vectors do jump
    out = refine_rotations(rv, "butterworth", fps=30)
    assert geodesic_error(out, rv) < 0.01  # a constant-speed turn is left as it is
    step = np.degrees(np.diff(angle)[0])
    acc = angular_acceleration(out)
    assert np.nanmax(acc) < 0.01 * step  # no jump in the rotations themselves
    # with jitter on top, the result still follows the clean turn
    noisy = _jitter(rv, 0.03, seed=4)
    out = refine_rotations(noisy, "savgol", fps=30)
    assert geodesic_error(out, rv) < 0.7 * geodesic_error(noisy, rv)


def test_quaternion_sign_flips_do_not_matter():
    q = np.tile(np.array([0.6, 0.8, 0.0, 0.0]), (20, 2, 1))
    q[::3] *= -1  # the same rotations with alternating signs
    q[5, 1] = np.nan
    c = continuous_quaternions(q)
    finite = np.isfinite(c).all(-1)
    assert np.isnan(c[5, 1]).all()
    assert (c[finite][:, 0] == c[0, 0, 0]).all()  # all brought to the first frame's sign
    # a 2*pi-equivalent axis-angle input (angle > pi) gives the same result as the standard one
    clean = _clean(60, 3)
    norm = np.linalg.norm(clean, axis=-1, keepdims=True)
    wrapped = clean - 2 * np.pi * clean / norm  # same rotations, angle - 2 pi
    np.testing.assert_allclose(axis_angle_to_matrix(refine_rotations(wrapped)),
                               axis_angle_to_matrix(refine_rotations(clean)), atol=1e-9)


def test_identity_in_identity_out_and_shapes():
    out = refine_rotations(np.zeros((40, 24, 3)), "butterworth", fps=30)
    assert out.shape == (40, 24, 3)
    np.testing.assert_allclose(out, 0.0, atol=1e-9)
    poses, trans = refine_smpl(np.zeros((40, 72)), np.ones((40, 3)), model="savgol", fps=30)
    assert poses.shape == (40, 72) and trans.shape == (40, 3)
    np.testing.assert_allclose(poses, 0.0, atol=1e-9)
    np.testing.assert_allclose(trans, 1.0, atol=1e-9)
    poses, trans = refine_smpl(_jitter(_clean(50)), None)
    assert poses.shape == (50, 24, 3) and trans is None


def test_refine_smpl_smooths_translation_too():
    T = 100
    t = np.arange(T) / 30.0
    clean = np.stack([np.sin(t), 0.1 * t, np.cos(t)], -1)
    noisy = clean + np.random.default_rng(2).normal(0, 0.01, clean.shape)
    _, trans = refine_smpl(_jitter(_clean(T)).reshape(T, 72), noisy, fps=30)
    assert np.abs(trans - clean).mean() < 0.7 * np.abs(noisy - clean).mean()


def test_missing_and_low_confidence_joints_are_filled():
    clean = _clean(60, 4)
    x = clean.copy()
    x[20:23, 1] = np.nan
    conf = np.ones((60, 4))
    conf[30:33, 2] = 0.0
    out = refine_rotations(x, "butterworth", fps=30, confidence=conf)
    assert np.isfinite(out).all()
    assert geodesic_error(out[20:23, 1], clean[20:23, 1]) < 2.0
    with pytest.raises(SynspInputError, match="confidence"):
        refine_rotations(x, "butterworth", confidence=np.ones((60, 5)))


def test_network_models_and_bad_input_give_clear_errors():
    with pytest.raises(SynspInputError, match=r"cannot refine rotations.*rotation network.*butterworth.*positions"):
        refine_rotations(np.zeros((40, 24, 3)), model="synsp-h36m17-3d-w8")
    with pytest.raises(SynspInputError, match="classical filter"):
        refine_smpl(np.zeros((40, 72)), model="/no/such/checkpoint.pt")
    assert rotation_filter(None).name in (DEFAULT_ROTATION_MODEL, "butterworth")
    assert rotation_filter("one-euro").name == "one-euro"
    with pytest.raises(SynspInputError, match="rotvec"):
        refine_rotations(np.zeros((40, 24, 4)))
    with pytest.raises(SynspInputError, match="poses"):
        refine_smpl(np.zeros((40, 71)))
    with pytest.raises(SynspInputError, match="trans"):
        refine_smpl(np.zeros((40, 72)), np.zeros((39, 3)))


@pytest.mark.parametrize("model", [None, "butterworth", "kalman-rts"])
def test_refine_smpl_low_confidence_frames_are_filled_as_nan_ones(model):
    clean = _clean()
    wrong, nan = clean.copy(), clean.copy()
    wrong[50:55, 0] = [1.0, 2.0, 0.5]  # garbage where the estimator says it is unsure (it made a cut there)
    nan[50:55, 0] = np.nan
    conf = np.ones((len(clean), 24))
    conf[50:55, 0] = 0.0
    by_conf, _ = refine_smpl(wrong, model=model, confidence=conf)
    by_nan, _ = refine_smpl(nan, model=model)
    np.testing.assert_allclose(by_conf, by_nan, atol=1e-9)
    assert np.degrees(geodesic_error(by_conf[50:55, 0], clean[50:55, 0])) < 5.0  # was 90 degrees


def test_refine_smpl_refuses_flattened_matrices_and_degrees():
    clean = _clean()
    T = len(clean)
    with pytest.raises(SynspInputError, match=r"24 joints' 3 x 3 rotation matrices flattened"):
        refine_smpl(axis_angle_to_matrix(clean).reshape(T, 216))
    with pytest.raises(SynspInputError, match=r"24 joints' 6D rotations flattened"):
        refine_smpl(axis_angle_to_matrix(clean)[..., :2].reshape(T, 144))
    with pytest.raises(SynspInputError, match=r"degrees\? convert them with numpy.deg2rad"):
        refine_smpl(np.degrees(clean))
    long = clean.copy()  # a fitted root near 2 pi, or unwrapped to 6 pi (a spin): radians all the same
    for turns in (2 * np.pi - 0.2, 6 * np.pi):
        long[:, 0] = clean[:, 0] * turns / np.linalg.norm(clean[:, 0], axis=-1, keepdims=True)
        assert refine_smpl(long, model="butterworth")[0].shape == clean.shape


def test_geodesic_error():
    a = _clean(10, 5)
    assert geodesic_error(a, a) < 1e-6
    b = matrix_to_axis_angle(axis_angle_to_matrix(np.array([0.0, 0.0, np.radians(10)])) @ axis_angle_to_matrix(a))
    assert geodesic_error(b, a) == pytest.approx(10.0, abs=1e-6)
    with pytest.raises(SynspInputError):
        geodesic_error(a, a[:5])


def test_long_sequences_are_converted_in_chunks_with_the_same_result(monkeypatch):
    import synsp.metrics as metrics
    from synsp.geometry import axis_angle_to_rot6d
    from synsp.timeseries import per_chunk

    x = _jitter(_clean(53, 3), seed=9)
    whole_acc, whole_6d = angular_acceleration(x), axis_angle_to_rot6d(x)
    monkeypatch.setattr(metrics, "CHUNK_FRAMES", 5)
    np.testing.assert_allclose(angular_acceleration(x), whole_acc, atol=1e-9)  # pairs across chunk borders
    np.testing.assert_allclose(per_chunk(axis_angle_to_rot6d, x, chunk=5), whole_6d, atol=1e-12)
