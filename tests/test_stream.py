"""Online refinement equals offline refinement, with a fixed delay of W - 1 frames."""

import numpy as np
import pytest

import synsp
from synsp.stream import Stream
from synsp.validation import SynspInputError

MODEL = "synsp-h36m17-3d-w8"


def track(T, seed=0):
    from synsp.data.corpus import load_corpus
    from synsp.noise import simulate

    gt = load_corpus()[seed].positions[:T].astype(np.float64)
    return simulate(gt, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=seed).pred


@pytest.mark.parametrize("T", [3, 8, 40])
def test_stream_equals_offline_with_delay_w_minus_1(T):
    x = track(T)
    stream = Stream(MODEL)
    online, delays = [], []
    for t in range(T):
        out = stream.push(x[t])
        online += out
        if out:
            delays.append(t - (len(online) - 1))
    assert all(d == stream.delay == 7 for d in delays)
    online += stream.flush()[0]
    assert len(online) == T
    np.testing.assert_allclose(np.stack(online), synsp.refine(x, model=MODEL, fps=30), atol=1e-5)


def test_tracks_are_independent_and_interleaved():
    a, b = track(20, seed=0), track(12, seed=1)
    stream = Stream(MODEL)
    got = {"a": [], "b": []}
    for t in range(20):
        got["a"] += stream.push(a[t], track_id="a")
        if t < 12:
            got["b"] += stream.push(b[t], track_id="b")
    for tid, frames in stream.flush().items():
        got[tid] += frames
    np.testing.assert_allclose(np.stack(got["a"]), synsp.refine(a, model=MODEL), atol=1e-5)
    np.testing.assert_allclose(np.stack(got["b"]), synsp.refine(b, model=MODEL), atol=1e-5)


def test_missing_joints_hold_their_last_value_and_bad_frames_raise():
    x = track(12)
    stream = Stream(MODEL)
    x[9, 3] = np.nan
    out = [f for t in range(12) for f in stream.push(x[t])] + stream.flush()[0]
    assert np.isfinite(np.stack(out)).all()
    with pytest.raises(SynspInputError, match=r"\(17, 3\)"):
        stream.push(np.zeros((14, 3)))
    with pytest.raises(SynspInputError, match="window network"):
        Stream("savgol")


def test_causal_stream_has_zero_delay_and_matches_the_causal_refiner():
    from synsp.refiners import get_refiner

    x = track(20)
    stream = Stream(MODEL, causal=True)
    online = []
    for t in range(20):
        out = stream.push(x[t])
        assert len(out) == 1  # the frame just pushed comes back at once
        online += out
    assert stream.delay == 0 and stream.flush()[0] == []
    offline = get_refiner(MODEL, causal=True)(x)
    np.testing.assert_allclose(np.stack(online), offline, atol=1e-5)
    future = x.copy()
    future[10:] += 0.5
    np.testing.assert_allclose(get_refiner(MODEL, causal=True)(future)[:10], offline[:10], atol=1e-9)
