"""One-Euro filter: the equations of Casiez et al. (2012), frame by frame."""

import math

import numpy as np
import pytest

from synsp.filters import OneEuroFilter, get_filter


def scalar_one_euro(signal, min_cutoff, beta, d_cutoff, t_e):
    """The published equations for one channel, one sample at a time."""

    def alpha(cutoff):
        r = 2 * math.pi * cutoff * t_e
        return r / (r + 1)

    out = [signal[0]]
    x_hat, dx_hat = signal[0], 0.0
    for x in signal[1:]:
        dx_hat = alpha(d_cutoff) * (x - x_hat) / t_e + (1 - alpha(d_cutoff)) * dx_hat
        a = alpha(min_cutoff + beta * abs(dx_hat))
        x_hat = a * x + (1 - a) * x_hat
        out.append(x_hat)
    return np.array(out)


@pytest.mark.parametrize("name", ["one-euro", "one-euro-mmpose"])
def test_matches_scalar_equations_in_frame_units(name):
    f = get_filter(name)
    x = np.random.default_rng(0).normal(size=(80, 3, 2))
    y = f(x)
    for j in range(3):
        for d in range(2):
            want = scalar_one_euro(x[:, j, d], f.min_cutoff, f.beta, f.d_cutoff, t_e=1.0)
            np.testing.assert_allclose(y[:, j, d], want, rtol=1e-12, atol=1e-12)


def test_matches_scalar_equations_in_seconds():
    f = OneEuroFilter(min_cutoff=1.0, beta=0.05, d_cutoff=1.0, time_unit="second")
    x = np.random.default_rng(1).normal(size=(80, 2, 3))
    y = f(x, fps=60)
    want = scalar_one_euro(x[:, 1, 2], 1.0, 0.05, 1.0, t_e=1 / 60)
    np.testing.assert_allclose(y[:, 1, 2], want, rtol=1e-12, atol=1e-12)


def test_hz_cutoffs_equal_frame_cutoffs_scaled_by_fps():
    """f_c Hz at fps is f_c / fps cycles/frame when beta is zero (no speed term)."""
    x = np.random.default_rng(2).normal(size=(50, 4, 3))
    in_hz = OneEuroFilter(min_cutoff=1.5, beta=0.0, d_cutoff=1.0, time_unit="second")(x, fps=30)
    in_frames = OneEuroFilter(min_cutoff=1.5 / 30, beta=0.0, d_cutoff=1.0 / 30)(x)
    np.testing.assert_allclose(in_hz, in_frames, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["one-euro", "one-euro-mmpose"])
def test_first_frame_passes_through(name):
    x = np.random.default_rng(3).normal(size=(20, 5, 3))
    np.testing.assert_array_equal(get_filter(name)(x)[0], x[0])


@pytest.mark.parametrize("name", ["one-euro", "one-euro-mmpose"])
def test_constant_input_stays_constant(name):
    x = np.broadcast_to(np.random.default_rng(4).normal(size=(1, 5, 3)), (30, 5, 3))
    np.testing.assert_array_equal(get_filter(name)(x), x)


def test_lower_cutoff_smooths_more():
    x = np.random.default_rng(5).normal(size=(200, 4, 3))
    step = lambda y: np.abs(np.diff(y, axis=0)).mean()  # noqa: E731
    assert step(get_filter("one-euro-mmpose")(x)) < step(get_filter("one-euro")(x)) < step(x)


def test_online_equals_offline_only_when_no_joint_is_missing_and_the_docs_say_so():
    """A joint lost for six frames: offline interpolates the gap up to its return, online holds the last value,
    so the two differ from the return on; the docstrings limit the claim to "when no joint is missing"."""
    from synsp.filters.one_euro import OneEuroOnline

    T = 40
    whole = np.zeros((T, 3, 2))
    whole[:, :, 0] = 2.0 * np.arange(T)[:, None] + [0, 10, 20]
    gap = whole.copy()
    gap[20:26, 0] = np.nan
    f = get_filter("one-euro", min_cutoff=0.05, beta=0.01)
    for poses, differs in ((whole, False), (gap, True)):
        online = f.online()
        st = [online.start()]
        out = np.array([online.step(st, [np.nan_to_num(poses[k])], [np.isnan(poses[k]).any(-1)])[0][0]
                        for k in range(T)])
        prefix = np.array([f(poses[: k + 1])[-1] for k in range(T)])
        assert (np.abs(out - prefix).max() > 1e-3) == differs
    for doc in (OneEuroFilter.__doc__, OneEuroOnline.__doc__):
        assert "when no joint is missing" in " ".join(doc.split())
