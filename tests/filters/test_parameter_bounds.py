"""Filter parameters: whole-number floats become ints, extreme values are refused with one clear error."""

import numpy as np
import pytest

from synsp.cli import main
from synsp.filters import get_filter, parse_filter_spec
from synsp.validation import SynspInputError


def random_poses(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize(
    "name, params",
    [
        ("savgol", {"window": 11.0}),
        ("savgol", {"polyorder": 2.0}),
        ("savgol-mmpose", {"window": np.int64(11), "polyorder": np.float64(2.0)}),
        ("butterworth", {"order": 4.0}),
        ("gaussian", {"window": 31.0}),
        ("gaussian-mmpose", {"window": 11.0}),
    ],
)
def test_whole_number_floats_become_ints_and_filter_as_the_ints_do(name, params):
    f = get_filter(name, **params)
    for key in params:
        assert type(getattr(f, key)) is int
    x = random_poses((100, 4, 3))
    as_ints = get_filter(name, **{k: int(v) for k, v in params.items()})
    np.testing.assert_array_equal(f(x), as_ints(x))


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("gaussian", {"sigma": 1e9}, "sigma is 1000000000.0; expected at most 10000"),
        ("gaussian-mmpose", {"sigma": 1e8}, "sigma is 100000000.0; expected at most 10000"),
        ("gaussian-mmpose", {"window": 10**9 + 1}, "window is 1000000001; expected at most 10001"),
        ("savgol-mmpose", {"window": 999_999_999}, "window is 999999999; expected at most 10001"),
        ("kalman", {"process_noise": 1e300}, "process_noise is 1e\\+300; expected a number from 1e-100 to 1e\\+100"),
        ("kalman", {"measurement_noise": 1e200}, "measurement_noise is 1e\\+200; expected a number from 1e-100"),
        ("kalman-rts", {"measurement_noise": 1e-300}, "measurement_noise is 1e-300; expected a number from 1e-100"),
        ("kalman", {"process_noise": 1e-120}, "process_noise is 1e-120"),
        ("butterworth", {"cutoff": 1e-9}, "cutoff is 1e-09 Hz; expected at least fps / 100000 = 1e-05 Hz"),
        ("butterworth", {"cutoff": 1e-7}, "cutoff is 1e-07 Hz; expected at least fps / 100000"),
        ("butterworth", {"order": 1000}, "order is 1000; expected at most 100"),
    ],
)
def test_extreme_values_are_refused_naming_the_parameter(name, params, match):
    with pytest.raises(SynspInputError, match=match):
        get_filter(name, **params)


def test_kalman_noise_ratio_beyond_any_smoothing_is_refused_at_the_call():
    """q dt^3 / sigma = 3.7e9: the smoother's covariances were singular (LinAlgError); now one error naming both."""
    f = get_filter("kalman-rts", measurement_noise=1e-12)
    with pytest.raises(SynspInputError, match="process_noise 100 over measurement_noise 1e-12 at fps = 30"):
        f(random_poses((50, 4, 3)), fps=30)
    with pytest.raises(SynspInputError, match="measurement_noise"):
        f.online(causal=True, fps=30)
    x = random_poses((50, 4, 3))  # at the bound of the ratio the filter gives its input back
    np.testing.assert_allclose(get_filter("kalman-rts", measurement_noise=100 / 30**3 / 1e6)(x, fps=30), x, atol=1e-5)


@pytest.mark.parametrize("fps, cutoff, least", [(30.0, 0.0001, "0.0003"), (240.0, 0.002, "0.0024")])
def test_butterworth_cutoff_below_fps_over_100000_is_refused_when_called(fps, cutoff, least):
    f = get_filter("butterworth", cutoff=cutoff)  # fine at 1 fps, so made
    with pytest.raises(SynspInputError, match=f"cutoff is {cutoff} Hz; expected at least fps / 100000 = {least} Hz"):
        f(random_poses((300, 2, 3)), fps=fps)


def test_butterworth_lowest_cutoff_keeps_constants_and_lines_on_a_clip_shorter_than_its_padding():
    """0.03 Hz at 30 fps needs 2000 frames of padding on a 300-frame clip: reflected again and again, a constant
    passes and a line stays within the design's end transient (the padding cut to 299 frames took a 0.01 Hz cut
    of this ramp 3.7 off, twice its range), and a motion faster than the cutoff is removed."""
    T, fps = 300, 30.0
    t = np.arange(T) / fps
    x = np.stack([0.2 * t, np.full(T, 1.0), 0.3 * np.sin(2 * np.pi * 0.4 * t)], axis=1)[:, None, :]
    for cutoff in (0.03, 0.05, 1.0):  # the padding cut to 299 frames: the ramp 0.95 off at 0.03 Hz, 0.13 at 0.05
        y = get_filter("butterworth", cutoff=cutoff)(x, fps=fps)
        np.testing.assert_allclose(y[:, 0, 0], 0.2 * t, atol=0.005)  # the end transient of the filter's design
        np.testing.assert_allclose(y[:, 0, 1], 1.0, rtol=1e-9)
        assert np.abs(y[:, 0, 2]).max() < (0.03 if cutoff < 0.4 else 0.31)


@pytest.mark.parametrize("T", [2, 3, 5, 10, 15, 16, 40])
def test_butterworth_short_clips_at_a_high_rate_keep_a_line_and_their_ends(T):
    """At 240 fps the 6 Hz filter pads 80 frames: a clip shorter than that is reflected repeatedly."""
    t = np.arange(T)[:, None, None] / 240.0
    line = 0.5 + 0.3 * t + np.zeros((1, 2, 3))
    np.testing.assert_allclose(get_filter("butterworth")(line, fps=240), line, atol=1e-4)  # the end transient
    smooth = 0.4 * np.sin(2 * np.pi * 0.8 * t + np.arange(3))  # 0.8 Hz: passes the filter
    # was 23 mm at T = 16, the padding cut to T - 1 frames
    assert np.abs(get_filter("butterworth")(smooth, fps=240) - smooth).max() < 5e-3


def test_butterworth_docstring_states_the_padding_the_code_uses():
    """The padding is max(3 (2 s + 1), ceil(2 fps / cutoff)) frames (80 at 240 fps), not scipy's 15."""
    import synsp.filters.butterworth as bw
    from scipy.signal import butter, sosfiltfilt

    flat = " ".join(bw.__doc__.split())
    assert "pad = max(3 (2 s + 1), ceil(2 fps / cutoff))" in flat and "15 at order 4; scipy's default)" not in flat
    x = random_poses((400, 1, 3))
    sos = butter(4, 6.0, output="sos", fs=240)
    np.testing.assert_allclose(get_filter("butterworth")(x, fps=240)[:, 0],
                               sosfiltfilt(sos, x[:, 0], axis=0, padtype="odd", padlen=80), atol=1e-12)


def test_butterworth_cutoff_at_nyquist_still_returns_the_input_with_a_warning():
    x = random_poses((30, 3, 3))
    with pytest.warns(UserWarning, match="Nyquist"):
        np.testing.assert_array_equal(get_filter("butterworth", cutoff=20.0)(x, fps=30), x)


def test_parse_filter_spec_refuses_a_parameter_given_twice():
    with pytest.raises(SynspInputError, match="filter 'one-euro': beta is given twice"):
        parse_filter_spec("one-euro:beta=1,beta=2")
    with pytest.raises(SynspInputError, match="given twice"):
        parse_filter_spec("kalman:process-noise=1,process_noise=2")


@pytest.mark.parametrize("spec, example", [("one-euro:min_cutoff", "one-euro:min_cutoff=0.04"),
                                           ("kalman:q", "kalman:model=ca"), ("butterworth:x", "butterworth:order=4")])
def test_parse_filter_spec_example_uses_the_filters_own_first_parameter(spec, example):
    with pytest.raises(SynspInputError) as info:
        parse_filter_spec(spec)
    assert f"(e.g. {example})" in str(info.value) and "min_confidence" not in str(info.value)


@pytest.mark.parametrize("spec, word", [("gaussian:sigma=1e9", "sigma"), ("gaussian-mmpose:sigma=1e8", "sigma"),
                                        ("kalman:process_noise=1e300", "process_noise"),
                                        ("kalman:measurement_noise=1e200", "measurement_noise"),
                                        ("kalman:measurement_noise=1e-300", "measurement_noise"),
                                        ("butterworth:cutoff=1e-9", "cutoff"), ("butterworth:cutoff=0.0001", "cutoff")])
def test_cli_extreme_filter_values_exit_2_with_one_line(tmp_path, capsys, spec, word):
    np.save(tmp_path / "in.npy", random_poses((40, 17, 3)))
    assert main(["refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.npy"), "--model", spec]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and word in err and "Traceback" not in err
    assert not (tmp_path / "out.npy").exists()


def test_legitimate_extremes_are_taken():
    # a review found the first bounds too strict: drift removal at 120 fps, a Gaussian of 6 s at 240 fps, a whole
    # number written with a decimal point on the command line
    x = random_poses((3000, 2, 3))
    assert np.isfinite(get_filter("butterworth", cutoff=0.05)(x, fps=120)).all()
    assert np.isfinite(get_filter("gaussian", sigma=1500)(x, fps=240)).all()
    assert parse_filter_spec("savgol:window=11.0").window == 11
    with pytest.raises(SynspInputError, match="not a whole number"):
        parse_filter_spec("savgol:window=11.5")
