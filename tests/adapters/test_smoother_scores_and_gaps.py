"""synsp.adapters.mmpose.Smoother under synsp's contract: the keypoint scores are the refiner's confidence
(offline and online), each online call is one frame time (a track missed for longer than the stream's
``max_gap`` starts again), and a short track's warning names the Smoother's own argument."""

import numpy as np
import pytest
from adapter_refs import COCO17_LIMB_PAIRS, coco17_walk, invert_limbs, walk

import synsp
from synsp.adapters import Smoother
from synsp.stream import Stream
from synsp.validation import SynspInputError

T = 60


def occluded(seed=3):
    """A COCO-17 walk ``(T, 17, 2)`` in pixels, its detections (5 % of the keypoints about 60 px off, as a
    detector guesses occluded keypoints) and their scores ``(T, 17)`` (0.05 there, 0.6 to 1 elsewhere)."""
    x = coco17_walk(T, seed=seed)
    rng = np.random.default_rng(seed)
    low = rng.random((T, 17)) < 0.05
    det = x.copy()
    det[low] += rng.normal(0, 60, (int(low.sum()), 2))
    return x, det, np.where(low, 0.05, rng.uniform(0.6, 1.0, (T, 17)))


def error(y, x):
    """Mean distance to the truth over every keypoint."""
    return np.linalg.norm(y[..., :2] - x, axis=-1).mean()


def offline(smoother, kp):
    return np.stack([f[0]["keypoints"] for f in smoother.smooth([[{"track_id": 0, "keypoints": k}] for k in kp])])


@pytest.mark.parametrize("cfg", ["kalman", "savgol-mmpose"])
def test_offline_scores_below_min_confidence_are_missing_as_in_refine(cfg):
    x, det, scores = occluded()
    kp = np.concatenate([det, scores[..., None]], axis=-1)
    out = offline(Smoother(cfg, keypoint_dim=2, repair=False), kp)
    np.testing.assert_allclose(out[..., :2], synsp.refine(det, model=cfg, confidence=scores, repair=False),
                               atol=1e-9)
    np.testing.assert_array_equal(out[..., 2], kp[..., 2])  # the scores as given
    ignored = synsp.refine(det, model=cfg, repair=False)  # what the Smoother gave before
    assert error(out, x) < 0.5 * error(ignored, x)
    # RTMPose's SimCC scores pass 1: still scores (capped at 1), where one of 1.02 turned them all off
    above = kp.copy()
    above[..., 2] *= 1.15
    capped = offline(Smoother(cfg, keypoint_dim=2, repair=False), above)
    assert error(capped, x) < 1.05 * error(out, x) and error(capped, x) < 0.5 * error(ignored, x)
    # a column that is no score in [0, 1] is no confidence; MMPose's own contract never reads the scores
    np.testing.assert_allclose(offline(Smoother(cfg, keypoint_dim=2, repair=False), kp * [1, 1, 100])[..., :2],
                               ignored, atol=1e-9)
    mmpose = dict(type="SavizkyGolayFilter")
    np.testing.assert_array_equal(offline(Smoother(mmpose, keypoint_dim=2), kp)[..., :2],
                                  offline(Smoother(mmpose, keypoint_dim=2), det))


@pytest.mark.parametrize("cfg", ["kalman", "one-euro"])
def test_online_scores_below_min_confidence_are_missing_as_in_a_stream(cfg):
    x, det, scores = occluded()
    kp = np.concatenate([det, scores[..., None]], axis=-1)
    smoother = Smoother(cfg, keypoint_dim=2)
    out = np.stack([smoother.smooth([{"track_id": 0, "keypoints": kp[t]}])[0]["keypoints"] for t in range(T)])
    stream, ignored = Stream(cfg, causal=True), Stream(cfg, causal=True)
    want = np.stack([stream.push(det[t], confidence=scores[t], time=t)[0] for t in range(T)])
    np.testing.assert_allclose(out[..., :2], want, atol=1e-9)
    np.testing.assert_array_equal(out[..., 2], kp[..., 2])
    assert error(out, x) < 0.5 * error(np.stack([ignored.push(f)[0] for f in det]), x)


def test_mmpose1_keypoint_scores_are_the_confidence_and_move_with_a_relabelled_keypoint():
    x, det, scores = occluded()
    frames = [[{"keypoints": det[t].tolist(), "keypoint_scores": scores[t].tolist()}] for t in range(T)]
    out = Smoother("kalman", keypoint_dim=2, repair=False).smooth(frames)
    np.testing.assert_allclose(np.array([f[0]["keypoints"] for f in out]),
                               synsp.refine(det, model="kalman", confidence=scores, repair=False), atol=1e-9)
    assert [f[0]["keypoint_scores"] for f in out] == [f[0]["keypoint_scores"] for f in frames]
    # a person taken for back-facing in frames 20-44: the repair relabels the keypoints and their scores
    pairs = [(1, 2), (3, 4)] + COCO17_LIMB_PAIRS
    walker, each = coco17_walk(T, seed=30), np.tile(np.linspace(0.5, 0.9, 17), (T, 1))
    inverted, moved = invert_limbs(walker, slice(20, 45), pairs), invert_limbs(each, slice(20, 45), pairs)
    frames = [[{"track_id": 4, "keypoints": inverted[t].tolist(), "keypoint_scores": np.array(moved[t])}]
              for t in range(T)]
    smoother = Smoother("savgol-mmpose", keypoint_dim=2)
    out = smoother.smooth(frames)
    assert smoother.relabelled == {4: {"arms": 25, "legs": 25, "head": 25}}
    np.testing.assert_array_equal(np.stack([f[0]["keypoint_scores"] for f in out]), each)
    frames[3][0]["keypoint_scores"] = [0.9] * 16
    with pytest.raises(SynspInputError, match=r"keypoint_scores of an instance of results\[3\] has shape \(16,\)"):
        smoother.smooth(frames)


def pushed(stream, frame, t):
    """The refined frame of time ``t`` that ``stream.push(frame, time=t)`` returns (after any held ones)."""
    frames = stream.push(frame, time=t)
    return next(f for f, when in zip(frames, frames.times) if when == t)


@pytest.mark.parametrize("cfg", ["kalman", "synsp"])
def test_online_calls_are_frame_times_and_a_long_miss_starts_the_track_again(cfg):
    truth = walk(56, (17, 3), 0.05, 0.0, seed=8, offset=0.0) + np.linspace(0, 2.24, 56)[:, None, None] * [1, 0, 0]
    x = truth + np.random.default_rng(0).normal(0, 0.01, truth.shape)  # metres, walking 1.2 m/s at 30 fps
    for miss in (5, 20):  # at most and more than the stream's max_gap (15 frames at 30 fps)
        seen = [t for t in range(56) if not 30 <= t < 30 + miss]
        smoother = Smoother(cfg, keypoint_dim=3, frame_rate=30)
        out = {}
        for t in range(56):
            if t in seen:
                out[t] = smoother.smooth([{"track_id": 0, "keypoints": x[t]}])[0]["keypoints"]
            else:
                with pytest.warns(UserWarning, match="empty result"):
                    smoother.smooth([])  # the detector missed the person
        model = "synsp-universal-w8-causal" if cfg == "synsp" else cfg
        stream = Stream(model, causal=True, fps=30)
        want = [pushed(stream, x[t], t) for t in seen]  # a stream pushed with the frame times
        np.testing.assert_allclose(np.stack([out[t] for t in seen]), np.stack(want), atol=1e-6)
        if miss == 20:  # a new track from the raw detection, not a jump of 20 frames' motion in one frame
            back = 30 + miss
            error = np.linalg.norm(out[back] - truth[back], axis=-1).mean()
            assert error < 3 * np.linalg.norm(x[back] - truth[back], axis=-1).mean()


@pytest.mark.parametrize("cfg", ["savgol", "butterworth"])
def test_a_short_track_warning_names_filter_cfg_not_model(cfg):
    x = walk(5, (17, 2), 0.5, 2.0, seed=5)
    with pytest.warns(UserWarning, match="shorter than") as caught:
        Smoother(cfg).smooth([[{"keypoints": x[t]}] for t in range(5)])
    message = " ".join(str(w.message) for w in caught)
    assert "filter_cfg='kalman-rts'" in message and "model=" not in message
