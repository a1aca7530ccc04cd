"""Every filter removes most of the jitter of a noisy smooth trajectory."""

import numpy as np
import pytest

from synsp.filters import FILTERS, get_filter

FPS = 30


def accel_error(x, gt):
    """Mean over frames and joints of ||(x[t-1] - 2x[t] + x[t+1]) - (same for gt)||."""
    second = lambda a: a[:-2] - 2 * a[1:-1] + a[2:]  # noqa: E731
    return np.linalg.norm(second(x) - second(gt), axis=-1).mean()


def mpjpe(x, gt):
    return np.linalg.norm(x - gt, axis=-1).mean()


@pytest.fixture(scope="module")
def noisy_sinusoids():
    """Joints moving on 0.1-0.4 Hz sinusoids of 10 cm, in metres at 30 fps, with 2 cm of white noise."""
    rng = np.random.default_rng(0)
    t = np.arange(200)[:, None, None] / FPS
    freq = rng.uniform(0.1, 0.4, size=(17, 3))
    phase = rng.uniform(0, 2 * np.pi, size=(17, 3))
    gt = 0.1 * np.sin(2 * np.pi * freq * t + phase)  # (T, J, D)
    return gt, gt + 0.02 * rng.normal(size=gt.shape)


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_acceleration_error_halved(name, noisy_sinusoids):
    gt, noisy = noisy_sinusoids
    out = get_filter(name)(noisy, fps=FPS)
    assert accel_error(out, gt) < 0.5 * accel_error(noisy, gt)


@pytest.mark.parametrize("name", sorted(n for n in FILTERS if not get_filter(n).causal))
def test_offline_filters_also_reduce_position_error(name, noisy_sinusoids):
    gt, noisy = noisy_sinusoids
    out = get_filter(name)(noisy, fps=FPS)
    assert mpjpe(out, gt) < mpjpe(noisy, gt)
