"""Zero-phase Butterworth low-pass: pass band, stop band, no lag, short sequences."""

import numpy as np
import pytest

from synsp.filters import get_filter


def gain_and_phase(y, freq, fps):
    """Least-squares amplitude and phase of y at freq over the middle half of the sequence."""
    T = y.shape[0]
    mid = slice(T // 4, 3 * T // 4)
    t = np.arange(T)[mid] / fps
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    (s, c), *_ = np.linalg.lstsq(basis, y[mid], rcond=None)
    return np.hypot(s, c), np.arctan2(c, s)


def sinusoid(freq, fps=60, T=600):
    t = np.arange(T) / fps
    return np.broadcast_to(np.sin(2 * np.pi * freq * t)[:, None, None], (T, 2, 3)).copy()


def test_constant_passes_unchanged():
    x = np.full((100, 3, 2), 4.2)
    np.testing.assert_allclose(get_filter("butterworth")(x, fps=60), x, rtol=1e-12)


def test_1hz_passes_with_no_phase_shift():
    y = get_filter("butterworth")(sinusoid(1.0), fps=60)
    gain, phase = gain_and_phase(y[:, 0, 0], 1.0, 60)
    assert gain > 0.99
    assert abs(phase) < 1e-3


def test_15hz_is_attenuated():
    y = get_filter("butterworth")(sinusoid(15.0), fps=60)
    gain, _ = gain_and_phase(y[:, 1, 2], 15.0, 60)
    assert gain < 0.05


def test_gain_at_cutoff_is_one_half_after_the_double_pass():
    y = get_filter("butterworth")(sinusoid(6.0, T=1200), fps=60)
    gain, _ = gain_and_phase(y[:, 0, 1], 6.0, 60)
    assert gain == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("T", range(1, 20))
def test_short_sequences_are_filtered_with_reduced_padding(T):
    x = np.random.default_rng(T).normal(size=(T, 3, 3))
    y = get_filter("butterworth")(x, fps=30)
    assert y.shape == x.shape and np.isfinite(y).all()


def test_cutoff_above_nyquist_returns_input_with_a_warning():
    x = np.random.default_rng(0).normal(size=(30, 3, 3))
    with pytest.warns(UserWarning, match="Nyquist"):
        y = get_filter("butterworth", cutoff=6.0)(x, fps=10)
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("fps", [240.0, 1000.0])
def test_a_take_cut_mid_motion_at_a_high_rate_keeps_its_ends(fps):
    """The padding spans the filter's time scale (fps / cutoff frames): with scipy's 15 frames a 6 Hz low-pass of
    this smooth motion cut mid-swing moved its last frame by 22 mm at 240 fps and 101 mm at 1000 fps (now under 2,
    the bend of the odd reflection at the end), its middle by nothing."""
    from synsp.timeseries import to_lower_rate

    t = np.arange(0.0, 3.0, 1.0 / fps)[:, None, None]
    x = 0.4 * np.sin(2 * np.pi * 0.8 * t + np.arange(3)) + 0.1 * t  # metres, 0.8 Hz: passes the filter
    out = get_filter("butterworth")(x, fps=fps)
    assert np.abs(out - x).max() < 3e-3  # nowhere more than 3 mm, the ends included
    low = to_lower_rate(x, len(x) // 8)  # the low-pass before a network's lower rate: the same at its ends
    assert np.abs(low[[0, -1]] - x[[0, -1]]).max() < 3e-3
