"""The time-series primitives' maths (synsp.timeseries), and that the old names are the same functions."""

import numpy as np
import torch

from synsp.timeseries import (
    continuous_quaternions,
    frame_grid,
    resample,
    resample_time,
    root_relative,
    second_difference,
)


def _linear(T: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, 5, 3))
    t = np.arange(T, dtype=np.float64)
    return a + b * t[:, None, None], (a, b)


def test_resample_reproduces_linear_motion_at_fractional_times():
    x, (a, b) = _linear(20)
    times = np.array([0.0, 0.25, 3.5, 10.0, 18.75, 19.0])
    np.testing.assert_allclose(resample(x, times), a + b * times[:, None, None], rtol=0, atol=1e-12)


def test_resample_integer_times_give_the_frames_exactly():
    x = np.random.default_rng(1).standard_normal((9, 4, 2))
    idx = np.array([0, 3, 8, 8, 2])
    np.testing.assert_array_equal(resample(x, idx.astype(float)), x[idx])


def test_resample_time_matches_both_ends_and_is_resample_on_the_frame_grid():
    x, (a, b) = _linear(31)
    y = resample_time(x, 61)  # twice the rate: every half frame
    np.testing.assert_array_equal(y[[0, -1]], x[[0, -1]])
    np.testing.assert_allclose(y, a + b * frame_grid(31, 61)[:, None, None], rtol=0, atol=1e-12)
    np.testing.assert_allclose(resample_time(y, 31), x, rtol=0, atol=1e-12)  # round trip
    np.testing.assert_array_equal(frame_grid(31, 61), np.arange(61) / 2)
    np.testing.assert_array_equal(resample_time(x[:1], 4), np.repeat(x[:1], 4, axis=0))
    np.testing.assert_array_equal(resample_time(x, 1), x[:1])


def test_second_difference_of_a_quadratic_is_constant():
    rng = np.random.default_rng(2)
    a, b, c = rng.standard_normal((3, 6, 3))
    t = np.arange(12, dtype=np.float64)[:, None, None]
    d = second_difference(a * t**2 + b * t + c)
    assert d.shape == (10, 6, 3)
    np.testing.assert_allclose(d, np.broadcast_to(2 * a, d.shape), rtol=0, atol=1e-9)
    np.testing.assert_allclose(second_difference(b * t + c), 0.0, rtol=0, atol=1e-12)  # linear: 0
    np.testing.assert_array_equal(second_difference(np.arange(12.0)), np.zeros(10))  # exact on integers


def test_second_difference_along_another_axis_and_on_tensors():
    x = np.random.default_rng(3).standard_normal((4, 9, 5))
    expected = x[:, :-2] - 2.0 * x[:, 1:-1] + x[:, 2:]
    np.testing.assert_array_equal(second_difference(x, axis=1), expected)
    np.testing.assert_array_equal(second_difference(x, axis=-2), expected)
    t = torch.from_numpy(x.astype(np.float32))
    out = second_difference(t, axis=-2)
    assert isinstance(out, torch.Tensor) and out.shape == (4, 7, 5)
    np.testing.assert_array_equal(out.numpy(), second_difference(x.astype(np.float32), axis=1))


def test_root_relative_zeroes_the_roots_mean():
    x = np.random.default_rng(4).standard_normal((7, 3, 17, 3))
    r = root_relative(x, (0, 1, 4))
    assert r.shape == x.shape and r.dtype == np.float64
    np.testing.assert_allclose(r[..., [0, 1, 4], :].mean(axis=-2), 0.0, atol=1e-12)
    np.testing.assert_allclose(root_relative(x, [0])[..., 0, :], 0.0, atol=0)
    # differences between joints are unchanged
    np.testing.assert_allclose(r[..., 5, :] - r[..., 9, :], x[..., 5, :] - x[..., 9, :], atol=1e-12)


def test_continuous_quaternions_make_consecutive_dots_non_negative_and_keep_rotations():
    rng = np.random.default_rng(5)
    q = rng.standard_normal((50, 3, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    q *= np.where(rng.random((50, 3, 1)) < 0.5, -1.0, 1.0)  # random signs
    q[10:13, 1] = np.nan  # a gap: compared with the last valid frame before it
    c = continuous_quaternions(q)
    np.testing.assert_array_equal(np.isnan(c), np.isnan(q))
    ok = ~np.isnan(q).any(-1)
    np.testing.assert_array_equal(np.abs(c[ok]), np.abs(q[ok]))  # only signs change
    for j in range(3):
        v = c[ok[:, j], j]
        assert ((v[1:] * v[:-1]).sum(-1) >= 0).all()


def test_the_old_names_are_the_one_implementation():
    import synsp.metrics
    import synsp.models.smoothnet
    import synsp.refiners
    import synsp.rotations

    assert synsp.refiners.resample_time is resample_time
    assert synsp.metrics.root_relative is root_relative
    assert synsp.rotations.continuous_quaternions is continuous_quaternions
    x = torch.randn(2, 8, 6)
    assert torch.equal(synsp.models.smoothnet.second_difference(x), second_difference(x, axis=-2))



def test_to_lower_rate_removes_what_the_lower_rate_cannot_hold_and_keeps_motion():
    from synsp.timeseries import to_lower_rate

    t = np.arange(481) / 120.0  # 4 s at 120 fps onto 30 fps (121 frames)
    motion = np.sin(2 * np.pi * 1.0 * t)[:, None]
    fast = 0.5 * np.sin(2 * np.pi * 52.0 * t)[:, None]  # above 15 Hz: not representable at 30 fps
    plain = resample_time(motion + fast, 121)
    assert np.abs(plain - resample_time(motion, 121)).max() > 0.3  # folded into the lower rate (aliased)
    low = to_lower_rate(motion + fast, 121)
    assert low.shape == (121, 1)
    np.testing.assert_allclose(low[10:-10], resample_time(motion, 121)[10:-10], atol=0.02)
    np.testing.assert_array_equal(to_lower_rate(motion, 481), motion)  # not a lower rate: unchanged


def test_to_higher_rate_is_a_cubic_spline_through_the_frames():
    from synsp.timeseries import to_higher_rate

    t = np.arange(31, dtype=float)
    cubic = (0.01 * t ** 3 - 0.2 * t ** 2 + t)[:, None]
    up = to_higher_rate(cubic, 121)
    fine = np.linspace(0, 30, 121)
    np.testing.assert_allclose(up[:, 0], 0.01 * fine ** 3 - 0.2 * fine ** 2 + fine, atol=1e-9)  # exact on cubics
    np.testing.assert_array_equal(up[::4], cubic)  # through every frame, ends matched
    np.testing.assert_allclose(to_higher_rate(cubic[:3], 9), resample_time(cubic[:3], 9))  # too few: linear


def test_either_rate_change_takes_the_other_direction_through_the_spline():
    """A network's rate is reached from below (to_lower_rate onto more frames) and left towards a lower rate
    (to_higher_rate onto fewer) through the cubic spline, as a higher rate comes back: a cubic survives both."""
    from synsp.timeseries import frame_grid, to_higher_rate, to_lower_rate

    t = np.arange(26, dtype=float)  # 25 frames at 25 fps onto 31 at 30 fps, and back
    f = lambda s: (0.01 * s ** 3 - 0.2 * s ** 2 + s)[:, None]  # noqa: E731
    up = to_lower_rate(f(t), 31)
    np.testing.assert_allclose(up, f(frame_grid(26, 31)), atol=1e-9)
    np.testing.assert_allclose(to_higher_rate(up, 26), f(t), atol=1e-9)
    times = frame_grid(26, 31)[5:20]  # a piece of a longer track
    np.testing.assert_allclose(to_lower_rate(f(t), 15, times=times), f(times), atol=1e-9)
    assert np.abs(resample_time(resample_time(f(t), 31), 26) - f(t)).max() > 1e-3  # straight lines would not


def test_clean_motion_below_the_networks_rate_comes_back_nearly_unchanged():
    import scipy.interpolate

    import synsp
    from synsp.data.corpus import embedded_corpus_path
    from synsp.data.positions import split_positions
    from synsp.timeseries import frame_grid

    truth = split_positions("h36m17", "test", "3d", 400, str(embedded_corpus_path()))[0][0][:240]
    at25 = scipy.interpolate.CubicSpline(np.arange(240), truth, axis=0)(frame_grid(240, 200))  # 30 -> 25 fps
    moved = np.linalg.norm(synsp.refine(at25, fps=25) - at25, axis=-1).mean()
    assert moved < 0.0006  # 0.26 mm here (straight lines to 30 fps and back: 1.27)


def test_a_network_uses_every_frame_of_a_higher_rate():
    import scipy.signal

    import synsp
    from synsp.data.corpus import embedded_corpus_path
    from synsp.data.positions import split_positions

    truth = split_positions("h36m17", "test", "3d", 400, str(embedded_corpus_path()))[0][0][:240]
    truth120 = scipy.signal.resample_poly(truth, 4, 1, axis=0)  # the same motion at 120 fps
    rng = np.random.default_rng(0)
    err = lambda y, g: np.linalg.norm((y - y[:, :1]) - (g - g[:, :1]), axis=-1).mean()  # noqa: E731
    at30 = err(synsp.refine(truth + rng.normal(0, 0.01, truth.shape), fps=30), truth)
    at120 = err(synsp.refine(truth120 + rng.normal(0, 0.01, truth120.shape), fps=120), truth120)
    # four times the frames of the same 1 cm jitter: a network that saw every fourth frame only (plain
    # resampling) was as far from the truth as at 30 fps (10.3 against 10.5 mm); low-passed first, 7.2
    assert at120 < 0.8 * at30
    assert err(synsp.refine(truth120, fps=120), truth120) < 0.003  # clean motion at 120 fps stays close


def test_a_zero_delay_network_below_its_rate_reads_no_further_ahead_than_the_next_frame():
    """The spline of a rate change (below a third of a network's rate) depends on the whole sequence; a zero-delay
    refiner takes straight lines instead (each point from its two neighbouring frames), so offline it stays what a
    stream could compute.  From a third of its rate up, a network runs at the input's rate: nothing to read."""
    import synsp
    from synsp.data.corpus import embedded_corpus_path
    from synsp.data.positions import split_positions
    from synsp.refiners import get_refiner

    x = split_positions("h36m17", "test", "3d", 400, str(embedded_corpus_path()))[0][0][:120]
    causal = get_refiner("synsp-universal-w8-causal")
    future = x.copy()
    future[80:] += 0.3
    for fps in (6.0, 8.0, 15.0, 20.0):
        moved = np.abs(causal(x, fps=fps) - causal(future, fps=fps)).max(axis=(1, 2))
        assert not moved[:79].any() and moved[80:].min() > 0.1, fps
    plain = synsp.refine(x, fps=8.0)  # not causal: the spline
    assert np.abs(plain - synsp.refine(future, fps=8.0))[:70].max() > 1e-6
