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


def test_stream_of_a_larger_skeleton_refines_the_model_joints_like_offline():
    import synsp
    from synsp.io.tracks import read_pose_file
    from synsp.refiners import subset_indices

    track = read_pose_file(synsp.data.__path__[0] + "/embedded/sports2d_mediapipe.npz").tracks[0]
    x = track.keypoints[:60]  # (60, 33, 2) real MediaPipe landmarks in pixels
    stream = synsp.Stream("synsp-coco17-2d-w8", skeleton="mediapipe33")
    out = [f for frame in x for f in stream.push(frame, track_id=0)]
    out += stream.flush()[0]
    out = np.stack(out)
    assert out.shape == x.shape and np.isfinite(out).all()
    idx = subset_indices("mediapipe33", "coco17")
    offline = synsp.refine(x[:, idx], model="synsp-coco17-2d-w8")
    np.testing.assert_allclose(out[:, idx], offline, atol=1e-6)  # the network's joints: exactly offline
    extra = [j for j in range(33) if j not in idx]
    jitter = lambda a: np.abs(np.diff(a[:, extra], 2, axis=0)).mean()  # noqa: E731
    assert jitter(out) < jitter(x)


def test_stream_refuses_a_skeleton_without_the_models_joints():
    import synsp
    from synsp.validation import SynspInputError

    with pytest.raises(SynspInputError, match="does not contain"):
        synsp.Stream("synsp-coco17-2d-w8", skeleton="j14")


def test_stream_of_smpl_rotations_equals_offline_refinement():
    from synsp.data.corpus import embedded_corpus_path, load_corpus
    from synsp.noise import simulate
    from synsp.rotations import refine_rotations

    clip = load_corpus(embedded_corpus_path(), skeleton="h36m17", rotations=True)[0].rotations[:40].astype(float)
    noisy = simulate(clip, "3dpw-spin-like", skeleton="smpl24", fps=30, seed=1, representation="rotations").pred
    noisy = np.where(np.isnan(noisy), 0.0, noisy)  # no missing rotations: online equals offline
    stream = Stream("synsp-smpl24-rot-w8")
    online = [f for x in noisy for f in stream.push(x)] + stream.flush()[0]
    assert len(online) == 40 and stream.delay == 7
    offline = refine_rotations(noisy, "synsp-smpl24-rot-w8", fps=30)
    np.testing.assert_allclose(np.stack(online), offline, atol=1e-6)
    with pytest.raises(SynspInputError, match=r"expected \(24, 3\) axis-angle"):
        Stream("synsp-smpl24-rot-w8").push(np.zeros((24, 6)))
