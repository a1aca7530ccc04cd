"""A body carried fast as a whole (a skier, a cyclist, a passenger; a fast pan in 2D): the networks see its path
at most at ``DRIFT_LIMIT`` body sizes a frame, the rest of the drift taken off before and added back after."""

import numpy as np

import synsp
from synsp.refiners import DRIFT_LIMIT, _excess_drift


def _clip(frames=150):
    from synsp.data.corpus import load_corpus

    return load_corpus()[3].positions[:frames].astype(np.float64)  # metres, 30 fps


def test_a_clean_body_carried_at_any_speed_comes_back_as_it_went():
    x = _clip()
    moved = {}
    for v in (0.0, 10.0, 20.0, 40.0):  # m/s along x: 20 m/s bent the path by 5.5 mm, 40 m/s by 28
        carried = x + (v * np.arange(len(x)) / 30.0)[:, None, None] * np.array([1.0, 0.0, 0.0])
        moved[v] = 1000 * np.linalg.norm(synsp.refine(carried, fps=30) - carried, axis=-1).mean()
    assert max(moved.values()) < 0.6, moved
    assert abs(moved[40.0] - moved[20.0]) < 0.05, moved


def test_jitter_on_a_fast_carried_body_is_removed_as_on_the_body_standing():
    x = _clip()
    noise = np.random.default_rng(0).normal(0.0, 0.01, x.shape)
    drift = (25.0 * np.arange(len(x)) / 30.0)[:, None, None] * np.array([0.0, 1.0, 0.0])
    err = lambda y, g: 1000 * np.linalg.norm(y - g, axis=-1).mean()  # noqa: E731
    still, carried = err(synsp.refine(x + noise, fps=30), x), err(synsp.refine(x + drift + noise, fps=30), x + drift)
    assert carried < 1.1 * still and still < 0.7 * err(x + noise, x)


def test_windows_slower_than_the_limit_are_given_as_they_are():
    rng = np.random.default_rng(1)
    W, J, D = 16, 17, 3
    t = np.arange(W) - (W - 1) / 2
    inp = rng.normal(0, 0.05, (4, 1, W, (J + 1) * D))
    inp[..., -D:] += 0.5 * DRIFT_LIMIT * t[:, None]  # half the limit along each axis: 0.87 of it in all
    assert _excess_drift(inp, D, False) is None
    inp[0, 0, :, -D:] += DRIFT_LIMIT * t[:, None]
    drift = _excess_drift(inp, D, False)
    assert drift is not None and not drift[1:].any() and not drift[0, 0, :, :-D].any()
    left = inp - drift
    speed = np.linalg.norm(np.einsum("w,wd->d", t, left[0, 0, :, -D:]) / (t @ t))
    assert abs(speed - DRIFT_LIMIT) < 1e-9
