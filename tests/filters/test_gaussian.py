"""Gaussian smoothing: SmoothNet's block semantics and MMPose's median + Gaussian."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.signal import medfilt

from synsp.filters import get_filter


@pytest.mark.parametrize("T", [31, 40, 62, 100, 123])
def test_smoothnet_gaussian_leaves_the_last_t_mod_31_frames_unfiltered(T):
    x = np.random.default_rng(T).normal(size=(T, 4, 3))
    y = get_filter("gaussian")(x)
    tail = T % 31
    np.testing.assert_array_equal(y[T - tail :], x[T - tail :])
    assert not np.allclose(y[: T - tail], x[: T - tail])


@pytest.mark.parametrize("T", [1, 5, 30])
def test_smoothnet_gaussian_returns_a_sequence_shorter_than_a_block_unchanged(T):
    x = np.random.default_rng(T).normal(size=(T, 4, 3))
    np.testing.assert_array_equal(get_filter("gaussian")(x), x)


def test_smoothnet_gaussian_blocks_are_independent():
    x = np.random.default_rng(0).normal(size=(93, 4, 3))
    y = get_filter("gaussian")(x)
    for k in range(3):
        block = x[31 * k : 31 * (k + 1)]
        np.testing.assert_allclose(y[31 * k : 31 * (k + 1)], gaussian_filter1d(block, 3, axis=0), atol=1e-12)


def test_mmpose_gaussian_is_zero_padded_median_then_gaussian():
    x = np.random.default_rng(1).normal(size=(60, 4, 3))
    want = gaussian_filter1d(medfilt(x, (11, 1, 1)), 4.0, axis=0)
    np.testing.assert_allclose(get_filter("gaussian-mmpose")(x), want, rtol=1e-12, atol=1e-12)


def test_mmpose_gaussian_removes_an_isolated_outlier_completely():
    x = np.full((50, 2, 3), 0.7)
    spiked = x.copy()
    spiked[20, 1, 2] = 50.0
    np.testing.assert_allclose(get_filter("gaussian-mmpose")(spiked), x, rtol=1e-12)
