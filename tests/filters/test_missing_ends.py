"""Missing frames at a track's start or end: the Kalman smoother follows the fill every refiner refines (it
extrapolated its motion model without bound: a 10 m body after 30 lost frames), the forward filter and its
online form hold the position deep in a gap; and windows of a non-native byte order average."""

import dataclasses

import numpy as np
import pytest

from synsp.filters import get_filter
from synsp.filters.kalman import free_frames
from synsp.windows import average_windows
from test_kalman import textbook_kalman  # the textbook recursions (tests/filters/test_kalman.py)

FPS = 30


def smooth_body(T=300, seed=0):
    """A 17-joint body about 1.7 m tall, each coordinate a sum of sines (0.2-1.5 Hz, 3-15 cm), the whole body
    swaying 0.5 m at 0.15 Hz: metres at 30 fps; and the same with 10 mm of white noise."""
    rng = np.random.default_rng(seed)
    J = 17
    rest = np.stack([rng.uniform(-0.3, 0.3, J), rng.uniform(-0.2, 0.2, J), np.linspace(-0.85, 0.85, J)], axis=-1)
    t = np.arange(T)[:, None, None] / FPS
    x = rest + 0.5 * np.sin(2 * np.pi * 0.15 * t + np.array([0.0, 1.0, 2.0]))
    for _ in range(3):
        amplitude = rng.uniform(0.03, 0.15, (J, 3))
        x = x + amplitude * np.sin(2 * np.pi * rng.uniform(0.2, 1.5, (J, 3)) * t + rng.uniform(0, 2 * np.pi, (J, 3)))
    return x, x + 0.01 * rng.normal(size=x.shape)


def box(frame):
    """The largest side of a frame's ``(J, D)`` bounding box."""
    return np.ptp(frame, axis=0).max()


def error(y, x):
    """Per frame, the mean joint distance."""
    return np.linalg.norm(y - x, axis=-1).mean(axis=-1)


def lost(case):
    """``(frames, observed)``: the missing frames of a case and the observed ones."""
    where, k = case
    return (slice(-k, None), slice(None, -k)) if where == "last" else (slice(0, k), slice(k, None))


CASES = [("last", 15), ("last", 30), ("last", 90), ("first", 30)]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", CASES)
def test_smoother_follows_the_fill_at_a_tracks_start_and_end(case, seed):
    x, noisy = smooth_body(seed=seed)
    gone, _ = lost(case)
    g = noisy.copy()
    g[gone] = np.nan
    y, filled = get_filter("kalman-rts")(g, fps=FPS, return_filled=True)
    reference = get_filter("butterworth")(g, fps=FPS)
    assert filled[gone].all() and not filled[lost(case)[1]].any()
    assert np.isfinite(y).all()
    truth_box = max(box(f) for f in x[gone])
    assert max(box(f) for f in y[gone]) <= 1.5 * truth_box  # it was 6x after 30 frames, 60x after 90
    assert error(y[gone], x[gone]).max() <= 2 * error(reference[gone], x[gone]).max()
    assert error(y[gone], x[gone]).mean() <= 2 * error(reference[gone], x[gone]).mean()
    # continuous at the join: no step between the last observed frame and the first filled one beyond the
    # motion's own (the truth moves at most ~0.1 m a frame here)
    assert np.abs(np.diff(y, axis=0)).max() < 0.15


@pytest.mark.parametrize("case", CASES)
def test_smoother_leaves_the_observed_frames_as_they_were(case):
    """Before the fix, missing frames at an end were not measured, so the observed frames came out as the smoother
    of the observed frames alone: they still do, but near the join (13 mm at the last observed frame, 0.6 mm ten
    frames before, 2e-5 m twenty frames before, 2e-8 m forty frames before)."""
    _, noisy = smooth_body(seed=2)
    gone, seen = lost(case)
    g = noisy.copy()
    g[gone] = np.nan
    f = get_filter("kalman-rts")
    y = f(g, fps=FPS)[seen]
    alone = f(noisy[seen], fps=FPS)
    middle = slice(40, -40)
    np.testing.assert_allclose(y[middle], alone[middle], rtol=0, atol=1e-7)
    assert np.abs(y - alone).max() < 0.02  # at the join, the fill beyond it moves them by less than the noise


def test_an_interior_gap_is_bridged_by_the_smoother_as_before():
    x, noisy = smooth_body(T=120, seed=3)
    g = noisy.copy()
    g[45:75] = np.nan  # a second lost inside the track: the frames after it bridge it, nothing changes
    y = get_filter("kalman-rts")(g, fps=FPS)
    c = np.ones(120)
    c[45:75] = 0.0
    for j, d in [(0, 0), (8, 2), (16, 1)]:
        want = textbook_kalman(g[:, j, d], c, "ca", 100.0, 0.01, FPS, smoother=True)
        np.testing.assert_allclose(y[:, j, d], want, rtol=0, atol=1e-8)
    reference = get_filter("butterworth")(g, fps=FPS)
    assert error(y[45:75], x[45:75]).max() <= 2 * error(reference[45:75], x[45:75]).max()


def test_the_forward_filter_is_the_textbook_one_on_a_short_gap_and_holds_deep_in_a_long_one():
    H = free_frames(FPS)
    assert H == 4 and free_frames(25) == 4 and free_frames(60) == 8
    x, noisy = smooth_body(T=120, seed=4)
    g = noisy.copy()
    g[40:40 + H] = np.nan  # a short gap: predicted by the model alone, as the textbook filter
    g[90:] = np.nan  # the track's last 30 frames: held from the (H+1)-th on
    f = get_filter("kalman")
    y = f(g, fps=FPS)
    c = np.ones(120)
    c[40:40 + H] = 0.0
    c[90:] = 0.0
    for j, d in [(0, 0), (8, 2), (16, 1)]:
        want = textbook_kalman(g[:, j, d], c, "ca", 30.0, 0.01, FPS, smoother=False)
        np.testing.assert_allclose(y[:90 + H, j, d], want[:90 + H], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(y[90 + H:], np.broadcast_to(y[90 + H], y[90 + H:].shape))
    assert np.isfinite(y).all() and box(y[-1]) <= 1.5 * box(x[-1])


@pytest.mark.parametrize("name", ["kalman", "kalman-rts"])
def test_online_holds_after_the_last_observation_as_offline(name):
    """The stream's form (the forward filter; the smoother's zero-delay form) cannot see the future: deep in a
    gap it holds, equal to the offline forward filter, where it extrapolated a 13 m body after 30 frames."""
    x, noisy = smooth_body(T=150, seed=5)
    missing = np.zeros((150, 17), dtype=bool)
    missing[120:] = True  # the person is lost for the last second
    missing[60:80, 4] = True  # and one joint for 20 frames inside
    f = get_filter(name)
    online = f.online(causal=True, fps=FPS)
    state = online.start()
    got = []
    for t in range(150):
        got += online.step([state], [np.where(missing[t][:, None], 1e6, noisy[t])], [missing[t]])[0]
    got = np.stack(got)
    forward = f if name == "kalman" else dataclasses.replace(f, smoother=False)
    np.testing.assert_allclose(got, forward(np.where(missing[..., None], np.nan, noisy), fps=FPS), atol=1e-9)
    H = free_frames(FPS)
    np.testing.assert_array_equal(got[120 + H:], np.broadcast_to(got[120 + H], got[120 + H:].shape))
    assert box(got[-1]) <= 1.5 * box(x[-1]) and error(got[60:80], x[60:80]).max() < 1.0


def test_a_low_score_joint_at_the_end_follows_the_fill_as_the_other_methods():
    """Joints scoring below ``min_confidence`` are missing and filled (the contract): the smoother gives the same
    fill smoothed as Butterworth, where it extrapolated the wrist 1.7 m away."""
    x, noisy = smooth_body(seed=6)
    conf = np.ones((300, 1, 17))
    conf[-30:, 0, 16] = 0.1
    y = get_filter("kalman-rts")(noisy[:, None], fps=FPS, confidence=conf)
    reference = get_filter("butterworth")(noisy[:, None], fps=FPS, confidence=conf)
    assert np.abs(y[-30:, 0, 16] - reference[-30:, 0, 16]).max() < 0.05
    assert np.abs(y[:-30] - reference[:-30]).max() < 0.1  # elsewhere both smooth the same observations


@pytest.mark.parametrize("step", [1, 3])
def test_average_windows_takes_a_non_native_byte_order(step):
    windows = np.random.default_rng(7).normal(size=(5, 8, 2))
    length = (5 - 1) * step + 8
    swapped = windows.astype(windows.dtype.newbyteorder())  # the same values in the other byte order
    assert not swapped.dtype.isnative
    out = average_windows(swapped, step, length=length)
    np.testing.assert_array_equal(out, average_windows(windows, step, length=length))
    assert out.dtype == np.float64 and out.dtype.isnative
    np.testing.assert_array_equal(average_windows(np.zeros((3, 8, 2), dtype=">f8"), 1, length=10), np.zeros((10, 2)))
