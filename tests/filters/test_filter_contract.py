"""Every registered filter obeys the refiner contract (shape, dtype, inputs, errors)."""

import numpy as np
import pytest
import torch

from synsp.filters import FILTERS, Refiner, get_filter
from synsp.validation import SynspInputError

NAMES = sorted(FILTERS)
CAUSAL = [n for n in NAMES if get_filter(n).causal]


def random_poses(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("name", NAMES)
def test_registered_filter_is_a_refiner(name):
    f = get_filter(name)
    assert isinstance(f, Refiner)
    assert f.name == name
    assert isinstance(f.window, int) and f.window >= 1
    assert isinstance(f.causal, bool)
    if f.causal:
        assert f.window == 1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("T", [1, 2, 5, 31, 100])
@pytest.mark.parametrize("layout", [(17, 3), (2, 5, 2)])
def test_shape_and_dtype_kept_for_numpy_and_torch(name, T, layout):
    f = get_filter(name)
    x = random_poses((T, *layout), seed=T)
    for poses in (x, x.astype(np.float32), torch.from_numpy(x)):
        y = f(poses)
        assert isinstance(y, np.ndarray)
        assert y.shape == x.shape and y.dtype == np.float64
        assert np.isfinite(y).all()


@pytest.mark.parametrize("name", NAMES)
def test_sequence_one_frame_shorter_than_window(name):
    f = get_filter(name)
    x = random_poses((max(f.window - 1, 1), 4, 3))
    assert f(x).shape == x.shape


@pytest.mark.parametrize("name", NAMES)
def test_persons_are_filtered_independently(name):
    f = get_filter(name)
    x = random_poses((40, 3, 5, 2))
    y = f(x)
    for p in range(3):
        np.testing.assert_allclose(y[:, p], f(x[:, p]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CAUSAL)
def test_causal_output_ignores_future_frames(name):
    f = get_filter(name)
    x = random_poses((60, 4, 3))
    changed = x.copy()
    changed[30:] = random_poses((30, 4, 3), seed=1)
    np.testing.assert_array_equal(f(x)[:30], f(changed)[:30])


@pytest.mark.parametrize("name", NAMES)
def test_fps_none_means_30(name):
    f = get_filter(name)
    x = random_poses((50, 4, 3))
    np.testing.assert_array_equal(f(x), f(x, fps=30))


@pytest.mark.parametrize("name", ["one-euro", "one-euro-mmpose", "savgol", "savgol-mmpose", "gaussian", "gaussian-mmpose"])
def test_filters_defined_in_frames_ignore_fps(name):
    f = get_filter(name)
    x = random_poses((50, 4, 3))
    np.testing.assert_array_equal(f(x, fps=30), f(x, fps=120))


@pytest.mark.parametrize("name", NAMES)
def test_nan_joints_are_filled_before_filtering(name):
    f = get_filter(name)
    x = random_poses((40, 4, 3))
    x[10:14, 2] = np.nan
    x[0, 1, 0] = np.nan
    y = f(x)
    assert np.isfinite(y).all()


@pytest.mark.parametrize("name", NAMES)
def test_low_confidence_joint_is_treated_as_missing(name):
    f = get_filter(name)
    x = random_poses((40, 4, 3))
    confidence = np.ones((40, 4))
    confidence[10:14, 2] = 0.1  # below min_confidence: ignored, whatever its value
    garbage = x.copy()
    garbage[10:14, 2] = 1e3
    gap = x.copy()
    gap[10:14, 2] = np.nan
    np.testing.assert_allclose(f(garbage, confidence=confidence), f(gap), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_all_nan_raises(name):
    with pytest.raises(SynspInputError, match="no observed value"):
        get_filter(name)(np.full((10, 4, 3), np.nan))


@pytest.mark.parametrize(
    "poses, match",
    [
        (np.zeros((10, 3)), "expected \\(T, J, D\\) or \\(T, P, J, D\\)"),
        (np.zeros((10, 2, 2, 4, 3)), "5-d"),
        (np.zeros((10, 4, 4)), "D = 4"),
        (np.zeros((0, 4, 3)), "empty"),
        (np.full((10, 4, 3), np.inf), "inf"),
    ],
)
@pytest.mark.parametrize("name", NAMES)
def test_bad_poses_raise(name, poses, match):
    with pytest.raises(SynspInputError, match=match):
        get_filter(name)(poses)


@pytest.mark.parametrize("fps", [0, -30, float("nan"), "fast"])
def test_bad_fps_raises(fps):
    with pytest.raises(SynspInputError, match="fps"):
        get_filter("butterworth")(np.zeros((10, 4, 3)), fps=fps)


def test_confidence_of_wrong_shape_raises():
    with pytest.raises(SynspInputError, match="confidence has shape"):
        get_filter("savgol")(np.zeros((10, 4, 3)), confidence=np.ones((10, 3)))


def test_unknown_filter_name_lists_the_names():
    with pytest.raises(SynspInputError, match="savgol") as info:
        get_filter("kalmann")
    assert "'kalmann'" in str(info.value)
    assert all(n in str(info.value) for n in NAMES)


def test_unknown_parameter_raises():
    with pytest.raises(SynspInputError, match="no parameter sigma"):
        get_filter("savgol", sigma=3)


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("savgol", {"window": 30}, "odd"),
        ("savgol", {"polyorder": 31}, "polyorder"),
        ("gaussian", {"sigma": 0}, "sigma"),
        ("gaussian-mmpose", {"window": 10}, "odd"),
        ("butterworth", {"order": 2.5}, "order"),
        ("one-euro", {"time_unit": "hz"}, "time_unit"),
        ("kalman", {"model": "cj"}, "model"),
        ("kalman-rts", {"measurement_noise": -1}, "measurement_noise"),
    ],
)
def test_bad_parameters_raise(name, params, match):
    with pytest.raises(SynspInputError, match=match):
        get_filter(name, **params)


def test_parameters_override_preset_defaults():
    f = get_filter("one-euro-mmpose", beta=0.1)
    assert (f.name, f.min_cutoff, f.beta) == ("one-euro-mmpose", 0.004, 0.1)
    assert FILTERS["butterworth"](cutoff=4.0).cutoff == 4.0
