"""synsp.adapters.mmpose.build_filter: filters that look like MMPose 0.x's temporal filters.

``test_temporal_filter`` mirrors MMPose 0.x's tests/test_post_processing/test_temporal_filter.py (every
config of configs/_base_/filters, checkpoints off); the others pin each behaviour against scipy or an
independent recursion (adapter_refs).
"""

import glob
import os

import numpy as np
import pytest
import torch
from adapter_refs import (MMPOSE_FILTER_CONFIGS, SHIPPED_SMOOTHNET_WINDOWS, UNSHIPPED_SMOOTHNET_WINDOWS, jitter,
                          mmpose_gaussian, mmpose_savgol, one_euro, walk, write_configs)

import synsp
from synsp.adapters import build_filter
from synsp.adapters.mmpose import SharedSmoothNet, load_config
from synsp.refiners import get_refiner
from synsp.validation import SynspInputError

FILTER_CFGS = {
    "gaussian": {"type": "GaussianFilter", "window_size": 11, "sigma": 4.0},
    "savgol": {"type": "SavizkyGolayFilter", "window_size": 11, "polyorder": 2},
    "one_euro": {"type": "OneEuroFilter", "min_cutoff": 0.004, "beta": 0.7},
    "smoothnet": {"type": "SmoothNetFilter", "window_size": 8, "output_size": 8, "root_index": 0},
}


def test_temporal_filter(tmp_path):
    folder = write_configs(tmp_path, MMPOSE_FILTER_CONFIGS)
    rng = np.random.default_rng(0)
    for path in sorted(glob.glob(os.path.join(folder, "*.py"))):
        cfg = load_config(path, "filter_cfg")
        if "checkpoint" in cfg:  # as MMPose's test: no checkpoint
            cfg["checkpoint"] = None
        with pytest.warns(UserWarning, match="untrained") if cfg["type"] == "SmoothNetFilter" and \
                cfg["window_size"] not in SHIPPED_SMOOTHNET_WINDOWS else _no_warning():
            f = build_filter(cfg)
        for T in (1, f.window_size + 1):
            x = rng.random((T, 17, 2)).astype(np.float32)
            y = f(x)
            assert isinstance(y, np.ndarray) and y.shape == x.shape, path


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_filters_have_window_size_and_shareable():
    windows = {"gaussian": 11, "savgol": 11, "one_euro": 1, "smoothnet": 8}
    for name, cfg in FILTER_CFGS.items():
        f = build_filter(cfg)
        assert f.window_size == windows[name]
        assert f.shareable == (name != "one_euro")  # One-Euro holds one track's state
        assert callable(f)
    assert build_filter({"type": "gaussian", "window_size": 5}).window_size == 5  # registry aliases
    assert build_filter({"type": "savgol"}).window_size == 11
    assert build_filter({"type": "oneeuro"}).window_size == 1
    for alias in ("SmoothNet", "Smoothnet", "smoothnet"):
        assert build_filter({"type": alias, "window_size": 8, "output_size": 8}).window_size == 8


@pytest.mark.parametrize("name", sorted(FILTER_CFGS))
def test_float32_is_kept(name):
    x = walk(20, (17, 2), 1.0, 0.1, seed=1).astype(np.float32)
    y = build_filter(FILTER_CFGS[name])(x)
    assert y.dtype == np.float32 and y.shape == x.shape


def test_gaussian_filter_is_median_then_gaussian_like_mmpose():
    x = walk(40, (17, 2), 40.0, 3.0, seed=2)
    f = build_filter(FILTER_CFGS["gaussian"])
    np.testing.assert_allclose(f(x), mmpose_gaussian(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f(x[:6]), mmpose_gaussian(x[:6]), rtol=1e-12, atol=1e-12)  # start-padded
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(f(x32), mmpose_gaussian(x32), rtol=1e-6)


def test_savgol_filter_like_mmpose():
    x = walk(40, (17, 3), 40.0, 3.0, seed=3)
    f = build_filter(FILTER_CFGS["savgol"])
    np.testing.assert_allclose(f(x), mmpose_savgol(x), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(f(x[:7]), mmpose_savgol(x[:7]), rtol=1e-12, atol=1e-9)
    f5 = build_filter({"type": "SavizkyGolayFilter", "window_size": 5, "polyorder": 3})
    np.testing.assert_allclose(f5(x), mmpose_savgol(x, 5, 3), rtol=1e-12, atol=1e-9)


def test_one_euro_filter_continues_its_track_across_calls():
    x = walk(30, (17, 2), 40.0, 3.0, seed=4)
    f = build_filter({"type": "OneEuroFilter", "min_cutoff": 0.02, "beta": 0.002})
    got = np.concatenate([f(x[:10]), f(x[10:11]), f(x[11:])])
    np.testing.assert_allclose(got, one_euro(x, 0.02, 0.002), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(got[0], x[0])


@pytest.mark.parametrize("name", sorted(FILTER_CFGS))
@pytest.mark.parametrize("columns", [1, 4, 9])
def test_any_number_of_keypoint_columns(name, columns):
    x = walk(20, (5, columns), 1.0, 0.1, seed=5)
    y = build_filter(FILTER_CFGS[name])(x)
    assert y.shape == x.shape and np.isfinite(y).all()
    if name == "gaussian":
        np.testing.assert_allclose(y, mmpose_gaussian(x), rtol=1e-12, atol=1e-12)


def test_integer_keypoints_as_mmpose():
    x = np.random.default_rng(6).integers(-300, 300, (20, 17, 2))
    gauss = build_filter(FILTER_CFGS["gaussian"])(x)
    assert gauss.dtype == x.dtype  # scipy's integer output: truncated
    np.testing.assert_array_equal(gauss, mmpose_gaussian(x))
    sg = build_filter(FILTER_CFGS["savgol"])(x)
    assert sg.dtype == np.float64  # scipy's savgol_filter computes integers in float64
    np.testing.assert_allclose(sg, mmpose_savgol(x), rtol=1e-12, atol=1e-9)
    oe = build_filter({"type": "OneEuroFilter", "min_cutoff": 0.02, "beta": 0.002})(x)
    assert oe.dtype == x.dtype  # written into a copy of the integer input
    np.testing.assert_array_equal(oe, np.trunc(one_euro(x, 0.02, 0.002)).astype(x.dtype))
    net = build_filter(FILTER_CFGS["smoothnet"])
    assert net(x).dtype == x.dtype and np.array_equal(net(x[:5]), x[:5])


# ---- SmoothNet ------------------------------------------------------------------------------------


def test_smoothnet_short_input_is_returned_unchanged():
    for window in SHIPPED_SMOOTHNET_WINDOWS:
        f = build_filter({"type": "SmoothNetFilter", "window_size": window, "output_size": window, "root_index": 0})
        x = walk(window - 1, (17, 3), 0.5, 0.02, seed=7)
        y = f(x)
        np.testing.assert_array_equal(y, x)
        assert y is not x


def test_smoothnet_h36m_config_equals_the_shipped_smoothnet():
    # 17 joints in 3D around joint 0: exactly what the shipped network was trained for
    x = walk(70, (17, 3), 0.5, 0.02, seed=8) - 100.0
    for window in SHIPPED_SMOOTHNET_WINDOWS:
        f = build_filter({"type": "SmoothNetFilter", "window_size": window, "output_size": window, "root_index": 0})
        want = synsp.refine(x, model=f"smoothnet-h36m17-3d-w{window}")
        np.testing.assert_allclose(f(x), want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("window", SHIPPED_SMOOTHNET_WINDOWS)
@pytest.mark.parametrize("shape,step,noise", [((17, 2), 40.0, 4.0), ((5, 3), 0.5, 0.03), ((133, 2), 40.0, 4.0),
                                              ((1, 2), 40.0, 4.0), ((24, 6), 0.3, 0.03)])
def test_smoothnet_any_keypoints_and_dims(window, shape, step, noise):
    x = walk(80, shape, step, noise, seed=9)  # longer than every window
    y = build_filter({"type": "SmoothNetFilter", "window_size": window, "output_size": window})(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert jitter(y) < 0.5 * jitter(x)


def test_smoothnet_weights_shared_across_coordinates():
    # channels (one keypoint, or C > 3) go through the network one by one, each window minus its mean,
    # and the windows are averaged: computed here with the shipped network directly
    model = get_refiner("smoothnet-h36m17-3d-w8").model
    x = walk(20, (2, 5), 0.5, 0.03, seed=10)
    T, W = 20, 8
    sums, counts = np.zeros((T, 10)), np.zeros(T)
    for s in range(T - W + 1):
        win = x[s:s + W].reshape(W, 10)
        mean = win.mean(axis=0)
        with torch.no_grad():
            for c in range(10):
                series = torch.tensor((win[:, c] - mean[c])[None, :, None], dtype=torch.float32)
                sums[s:s + W, c] += model(series)[0, :, 0].numpy() + mean[c]
        counts[s:s + W] += 1
    want = (sums / counts[:, None]).reshape(x.shape)
    np.testing.assert_allclose(SharedSmoothNet(8)(x), want, rtol=1e-6, atol=1e-9)


def test_smoothnet_window_without_shipped_weights():
    shipped = ".*" + ".*".join(f"window_size {w}" for w in SHIPPED_SMOOTHNET_WINDOWS)
    for window in UNSHIPPED_SMOOTHNET_WINDOWS:
        with pytest.raises(SynspInputError, match=rf"window_size={window}; shipped: {shipped}"):
            build_filter({"type": "SmoothNetFilter", "window_size": window, "output_size": window,
                          "checkpoint": f"smoothnet_ws{window}_h36m.pth"})
        with pytest.warns(UserWarning, match=rf"window_size={window} without checkpoint.*untrained"):
            f = build_filter({"type": "SmoothNetFilter", "window_size": window, "output_size": window})
        x = walk(window + 3, (17, 2), 1.0, 0.1, seed=11)
        assert f(x).shape == x.shape


def test_bad_filter_configs():
    with pytest.raises(SynspInputError, match="expected one of GaussianFilter"):
        build_filter({"type": "MedianFilter"})
    with pytest.raises(SynspInputError, match="odd"):
        build_filter({"type": "GaussianFilter", "window_size": 10})
    with pytest.raises(SynspInputError, match="polyorder"):
        build_filter({"type": "SavizkyGolayFilter", "window_size": 5, "polyorder": 5})
    with pytest.raises(SynspInputError, match="output_size"):
        build_filter({"type": "SmoothNetFilter", "window_size": 8, "output_size": 4})
    with pytest.raises(SynspInputError, match="unexpected keyword"):
        build_filter({"type": "OneEuroFilter", "window_size": 3})
    with pytest.raises(SynspInputError, match=r"expected a non-empty pose sequence \(T, K, C\)"):
        build_filter(FILTER_CFGS["gaussian"])(np.zeros((10, 17)))


def test_a_coordinate_nan_in_every_frame_comes_back_nan_in_the_callers_layout_and_the_rest_smoothed():
    # the filters run on the channels regrouped in threes: keypoint 5's x was "joint 3 (coordinate 1)" of the
    # regrouped array, whose other coordinates (keypoint 4's y, keypoint 5's y) must not be marked missing with it.
    # MMPose lets the NaN through; this raised
    x = np.random.default_rng(0).normal(0, 1, (30, 17, 2))
    x[:, 5, 0] = np.nan
    zero = np.where(np.isnan(x), 0.0, x)
    for cfg in (dict(type="GaussianFilter"), dict(type="SavizkyGolayFilter")):
        y = build_filter(cfg)(x)
        assert np.isnan(y[:, 5, 0]).all() and np.isfinite(np.delete(y.reshape(30, -1), 10, axis=1)).all()
        want = build_filter(cfg)(zero)  # every channel alone: the others as if the NaN one were anything
        want[:, 5, 0] = np.nan
        np.testing.assert_allclose(y, want, atol=1e-12)
        one = build_filter(cfg)(x[:1])  # one frame (the Smoother's first online frame): as it came
        np.testing.assert_allclose(one, x[:1], atol=1e-12)


def test_smoothnet_keeps_a_keypoint_nan_in_every_frame_out_of_the_others_normalisation():
    # the points are normalised around their root (the mean of all keypoints): the NaN keypoint raised ("nothing to
    # fill it from"), and filled it would have moved every other keypoint's input; MMPose's spreads it
    x = walk(40, (17, 2), 0.5, 0.02, seed=4)
    x[:, 7] = np.nan
    f = build_filter({"type": "SmoothNetFilter", "window_size": 8})
    y = f(x)
    assert np.isnan(y[:, 7]).all()
    np.testing.assert_allclose(np.delete(y, 7, axis=1), f(np.delete(x, 7, axis=1)), atol=1e-9)
    x[:, 3, 1] = np.nan  # one coordinate of another keypoint: its other one refined in its own units, not NaN
    y = f(x)
    assert np.isnan(y[:, 3, 1]).all() and np.isfinite(y[:, 3, 0]).all()
    np.testing.assert_allclose(np.delete(y, [3, 7], axis=1), f(np.delete(x, [3, 7], axis=1)), atol=1e-9)
    rooted = build_filter({"type": "SmoothNetFilter", "window_size": 8, "root_index": 7})  # the root is the NaN one
    np.testing.assert_allclose(np.delete(rooted(x), [3, 7], axis=1), np.delete(y, [3, 7], axis=1), atol=1e-9)
