"""A joint not observed yet in its track comes out of a Stream as NaN, never as the refiner's first guess.

The online refiners hold a stand-in for such a joint (the mean of the joints of the track's first frame, then held)
so that their input stays whole; it was given out as if it were the joint (a keypoint never detected came back as
the person's centre).  Offline refinement returns NaN for a joint never given and fills a joint missing at a track's
start from its first observation: the stream gives NaN until that observation, and afterwards (for the refiners that
fill the frames they still hold from it) the offline fill.
"""

import numpy as np
import pytest

import synsp
from synsp.refiners import get_refiner
from synsp.stream import Stream

MODEL = "synsp-h36m17-3d-w8"  # delay 7


def clean(T, seed=2):
    from synsp.data.corpus import load_corpus

    return load_corpus()[seed].positions[:T].astype(np.float64)


def streamed(stream, x):
    """Every frame of ``x`` pushed, and for each output frame the number of frames pushed when it came out."""
    out, when = [], []
    for t, frame in enumerate(x):
        got = stream.push(frame)
        out += got
        when += [t + 1] * len(got)
    rest = stream.flush()[0]
    return np.stack(out + rest), np.array(when + [len(x)] * len(rest))


@pytest.mark.parametrize("method", ["one-euro", "kalman", "savgol", "gaussian-mmpose", MODEL])
def test_a_joint_never_observed_comes_out_nan_as_offline(method):
    x = clean(40)
    x[:, 5] = np.nan
    out, _ = streamed(Stream(method), x)
    assert out.shape == x.shape
    assert np.isnan(out[:, 5]).all()  # it was the centre of the first frame's other joints, then held
    assert np.isfinite(np.delete(out, 5, axis=1)).all()
    with pytest.warns(UserWarning, match="joint 5 is missing"):
        assert np.isnan(synsp.refine(x, model=method)[:, 5]).all()  # offline too


@pytest.mark.parametrize("method", ["one-euro", "kalman"])
def test_a_causal_filter_gives_nan_before_the_joints_first_observation_and_the_others_unchanged(method):
    x = clean(30)
    late = x.copy()
    late[:10, [5, 9]] = np.nan
    out, _ = streamed(Stream(method), late)
    assert np.isnan(out[:10, [5, 9]]).all() and np.isfinite(out[10:]).all()
    others = [j for j in range(17) if j not in (5, 9)]
    full, _ = streamed(Stream(method), x)
    np.testing.assert_allclose(out[:, others], full[:, others], atol=1e-12)  # a filter treats joints alone
    # from its first observation on the joint is the offline filter's (its recursion starts at that value, not at
    # the guess it held: One-Euro was 0.13 m off on the frames after it)
    np.testing.assert_allclose(out[10:], synsp.refine(late, model=method, repair=False)[10:], atol=1e-9)
    zero = Stream(method, causal=True)  # zero delay: the frame comes back at once, as MMPose's Smoother
    assert np.isnan(zero.push(late[0])[0][5]).all() and np.isfinite(zero.push(x[1])[0]).all()


def test_a_look_ahead_filter_fills_the_frames_it_holds_from_the_first_observation():
    # gaussian-mmpose: 21 frames of delay.  Joint 5 is first seen at frame 30: frames 0..8 came out before (NaN);
    # frames 9.. came out after, with the frames the filter held filled with its first value (offline carries the
    # motion back from it).  The first guess, the body's centre, was smoothed into them and into the frames after
    # the observation: 0.60 m and 0.28 m off offline
    method = "gaussian-mmpose"
    x = clean(90)
    x[:30, 5] = np.nan
    stream = Stream(method)
    assert stream.delay == 21
    out, when = streamed(stream, x)
    before = when <= 30
    assert before.sum() == 9 and np.isnan(out[before][:, 5]).all() and np.isfinite(out[~before]).all()
    offline = get_refiner(method)(x)
    off = np.linalg.norm(out - offline, axis=-1)
    assert off[9:30, 5].max() < 0.1 and off[30:, 5].max() < 0.03  # metres (0.081 and 0.015)
    np.testing.assert_allclose(np.delete(out, 5, axis=1), np.delete(offline, 5, axis=1), atol=1e-9)


def test_a_window_network_gives_nan_until_the_joint_is_seen_then_offlines_fill():
    x = clean(60)
    x[:25, [3, 6]] = np.nan
    stream = Stream(MODEL)
    out, when = streamed(stream, x)
    before = when <= 25  # out before frame 25 (the first to observe them) was pushed: frames 0 .. 25 - 8
    assert before.sum() == 25 - stream.delay
    assert np.isnan(out[before][:, [3, 6]]).all() and np.isfinite(np.delete(out, [3, 6], axis=1)).all()
    assert np.isfinite(out[~before]).all()
    offline = synsp.refine(x, model=MODEL, repair=False)
    assert np.linalg.norm(out[~before] - offline[~before], axis=-1).max() < 0.05  # metres


def test_a_stream_with_times_and_repair_gives_nan_too():
    x = clean(50)
    x[:, 16] = np.nan
    stream = Stream(MODEL, repair=True, skeleton="h36m17")
    got = []
    for t, frame in enumerate(x):
        got += stream.step({"a": frame})["a"]
    got += stream.flush()["a"]
    out = np.stack(got)
    assert len(out) == 50 and np.isnan(out[:, 16]).all() and np.isfinite(out[:, :16]).all()


@pytest.mark.parametrize("method", ["synsp-universal-w8-causal", "synsp-h36m17-3d-w8-causal"])
def test_a_zero_delay_network_offline_reads_no_frame_after_the_one_it_gives(method):
    # a joint missing from the start: offline filled it from its first observation (a later frame), so the other
    # joints' output read ahead (9.7 mm of frames 0-11 moved when frames 12 on moved); now the stream's guess
    x = clean(40)
    x[:12, 5] = np.nan
    out, _ = streamed(Stream(method, repair=False), x)
    offline = synsp.refine(x, model=method, repair=False, cuts=False)
    np.testing.assert_allclose(np.delete(offline, 5, axis=1), np.delete(out, 5, axis=1), atol=1e-9)
    np.testing.assert_allclose(offline[12:, 5], out[12:, 5], atol=1e-9)
    later = x.copy()
    later[12:] += 0.05
    moved = synsp.refine(later, model=method, repair=False, cuts=False)
    np.testing.assert_array_equal(moved[:12], offline[:12])


def test_a_nan_score_is_no_score_as_offline():
    # a NaN confidence in every frame: the stream dropped every frame (never observed), offline refines them
    x = clean(40)
    stream = Stream(MODEL, repair=False)
    out = []
    for frame in x:
        out += stream.push(frame, confidence=np.full(17, np.nan))
    out += stream.flush()[0]
    offline = synsp.refine(x, model=MODEL, confidence=np.full((40, 17), np.nan), repair=False)
    assert len(out) == 40
    np.testing.assert_allclose(np.stack(out), offline, atol=1e-9)
