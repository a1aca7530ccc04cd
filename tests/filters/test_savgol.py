"""Savitzky-Golay: polynomial fits reproduce polynomials; short sequences as SmoothNet / MMPose."""

import numpy as np
import pytest
from scipy.signal import savgol_filter

from synsp.filters import get_filter


def quadratic(T, seed=0):
    """A different parabola for every joint coordinate, (T, 4, 3)."""
    c = np.random.default_rng(seed).normal(size=(3, 4, 3))
    t = np.arange(T, dtype=float)[:, None, None]
    return c[0] + c[1] * t / 10 + c[2] * (t / 10) ** 2


@pytest.mark.parametrize("T", [3, 4, 5, 10, 31, 32, 100])
def test_savgol_reproduces_a_quadratic_everywhere(T):
    x = quadratic(T)
    np.testing.assert_allclose(get_filter("savgol")(x), x, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("T", [11, 50])
def test_savgol_mmpose_reproduces_a_quadratic_everywhere(T):
    x = quadratic(T)
    np.testing.assert_allclose(get_filter("savgol-mmpose")(x), x, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("T", [1, 2])
def test_savgol_returns_one_or_two_frames_unchanged(T):
    x = np.random.default_rng(T).normal(size=(T, 4, 3))
    np.testing.assert_array_equal(get_filter("savgol")(x), x)


@pytest.mark.parametrize("T", [6, 7])
def test_savgol_short_sequence_uses_odd_window_clipped_to_length(T):
    x = np.random.default_rng(T).normal(size=(T, 4, 3))
    window = T if T % 2 else T - 1
    want = savgol_filter(x, window, 2, axis=0, mode="interp")
    np.testing.assert_allclose(get_filter("savgol")(x), want, rtol=1e-12, atol=1e-12)


def test_savgol_mmpose_short_sequence_repeats_first_frame_before_it():
    x = np.random.default_rng(0).normal(size=(4, 3, 2))
    padded = np.concatenate([np.repeat(x[:1], 7, axis=0), x])  # 11 frames
    want = savgol_filter(padded, 11, 2, axis=0, mode="interp")[-4:]
    np.testing.assert_allclose(get_filter("savgol-mmpose")(x), want, rtol=1e-12, atol=1e-12)


def test_shrinking_is_documented_as_a_direct_call_only_and_refine_leaves_a_short_part_as_it_is():
    import warnings

    import synsp
    import synsp.filters as filters
    import synsp.filters.savgol as savgol

    x = np.random.default_rng(0).normal(size=(20, 4, 3))
    assert np.abs(get_filter("savgol")(x) - x).max() > 0.1  # called directly: the window shrinks to 19
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.testing.assert_array_equal(synsp.refine(x, model="savgol", repair=False), x)
    assert any("shorter than" in str(w.message) for w in caught)
    for doc in (filters.__doc__, savgol.__doc__):
        flat = " ".join(doc.split())
        assert "called directly" in flat and "synsp.refine" in flat and "leaves a part shorter than" in flat
