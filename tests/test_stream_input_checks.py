"""synsp.Stream refuses what offline refinement refuses (axis-angles in degrees, flags that are not booleans, a
score threshold off the 0-1 scale), says what to do with a frame of no one, and warns of scores on a 0-100 scale
as synsp.refine does."""

import warnings

import numpy as np
import pytest

from synsp.stream import Stream
from synsp.validation import SynspInputError


def _rotations(T, seed=0):
    return np.random.default_rng(seed).normal(scale=0.3, size=(T, 24, 3))  # SMPL axis-angles in radians


@pytest.mark.parametrize("model", ["synsp-smpl24-rot-w8", "synsp-universal-w16-rot"])
def test_a_rotation_stream_refuses_degrees_and_stays_as_it_was(model):
    x = _rotations(30)
    stream, clean = Stream(model), Stream(model)
    got, want = [], []
    for t in range(10):
        got += stream.push(x[t], time=t)
        want += clean.push(x[t], time=t)
    for call in (lambda: stream.push(np.degrees(x[10]), time=10),
                 lambda: stream.step({0: x[10], 1: np.degrees(x[10])}, time=10)):
        with pytest.raises(SynspInputError, match=r"frame of track \d.*median length .*numpy\.deg2rad") as exc:
            call()
        assert "\n" not in str(exc.value)
    assert list(stream.tracks) == [0] and stream.time == 9
    for t in range(10, 30):
        got += stream.push(x[t], time=t)
        want += clean.push(x[t], time=t)
    got += stream.flush()[0]
    want += clean.flush()[0]
    assert len(got) == 30
    np.testing.assert_array_equal(np.stack(got), np.stack(want))


@pytest.mark.parametrize("flag, value", [("causal", "yes"), ("causal", 1), ("visibility", "no"), ("visibility", 0)])
def test_every_boolean_option_takes_only_a_boolean(flag, value):  # as cuts=, refill=, identities= did
    with pytest.raises(SynspInputError, match=f"^{flag} is {value!r}; expected True or False"):
        Stream("one-euro", **{flag: value})


def test_min_confidence_is_a_score_from_0_to_1():
    for bad in (50, 1.5, -0.1):
        with pytest.raises(SynspInputError, match=f"min_confidence is {bad!r}; expected a score from 0 to 1"):
            Stream("one-euro", min_confidence=bad)
    assert Stream("one-euro", min_confidence=0).min_confidence == 0.0
    assert Stream("one-euro", min_confidence=1).min_confidence == 1.0
    assert Stream("one-euro", visibility=True, causal=False).visibility is True


def test_a_frame_of_no_one_says_how_to_mark_an_absent_person():
    stream = Stream("synsp-h36m17-3d-w8")
    for call in (lambda: stream.push(None), lambda: stream.step({0: None})):
        with pytest.raises(SynspInputError, match=r"frame of track 0 is None; .*time=.*NaN") as exc:
            call()
        assert "\n" not in str(exc.value)
    assert stream.tracks == {} and stream.time == -1
    stream.push(np.full((17, 3), np.nan))  # what the message offers is taken
    assert list(stream.tracks) == [0]


def test_scores_on_a_0_100_scale_warn_once_per_stream():
    x = np.random.default_rng(0).normal(0, 0.3, (12, 17, 3))
    for confidence in (np.full(17, 90.0), 90.0):
        stream = Stream("synsp-h36m17-3d-w8")
        with pytest.warns(UserWarning, match=r"scores' median is 90; a score below 0\.3 is a missing joint.* 0 to 1") \
                as record:
            for t in range(6):
                stream.push(x[t], confidence=confidence, time=t)
            stream.step({0: x[6], 1: x[6]}, {0: confidence, 1: confidence})
        assert len([w for w in record if "median" in str(w.message)]) == 1
    for scores, visibility in ((np.full(17, 0.9), False), (np.full(17, 90.0), True)):  # 0-1 scores; visibility:
        stream = Stream("synsp-h36m17-3d-w8", visibility=visibility)  # as synsp.refine, no warning
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for t in range(6):
                stream.push(x[t], confidence=scores)
