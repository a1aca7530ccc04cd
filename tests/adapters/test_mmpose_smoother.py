"""synsp.adapters.mmpose.Smoother: MMPose 0.x's contract for MMPose configs, synsp's for synsp refiners.

The first tests mirror the behaviours MMPose 0.x's own tests/test_post_processing/test_smoother.py checks
(the Gaussian config, 17 x 2 keypoints, tracked and untracked, online and offline), with the values checked
against the filter computed with scipy directly (adapter_refs).
"""

import copy
import warnings

import numpy as np
import pytest
from adapter_refs import (COCO17_LIMB_PAIRS, GAUSSIAN_CFG, MMPOSE_FILTER_CONFIGS, coco17_walk, frames_of,
                          invert_limbs, jitter, keypoints_of, mmpose_gaussian, mmpose_history_calls, mmpose_savgol,
                          one_euro, walk, write_configs)

import synsp
from synsp.adapters import Smoother
from synsp.adapters.mmpose import KALMAN_HISTORY
from synsp.api import choose_model
from synsp.filters import get_filter
from synsp.refiners import get_refiner
from synsp.validation import SynspInputError

ONE_EURO = {"type": "OneEuroFilter", "min_cutoff": 0.02, "beta": 0.002}  # MMPose args, pixel-scale beta


@pytest.fixture()
def gaussian_config(tmp_path):
    """MMPose's configs/_base_/filters/gaussian.py (the config MMPose's Smoother tests use)."""
    write_configs(tmp_path, MMPOSE_FILTER_CONFIGS)
    return str(tmp_path / "gaussian.py")


def online_reference(seq, window=11):
    """MMPose's online Gaussian: frame t is the last frame of the filter over the track's last ``window``
    raw frames (fewer at its start)."""
    return np.stack([mmpose_gaussian(seq[max(0, t - window + 1): t + 1])[-1] for t in range(len(seq))])


# ---- MMPose's test_smoother.py: corner cases ------------------------------------------------------


@pytest.mark.parametrize("filter_cfg", ["config", "gaussian-mmpose"])
def test_corner_case_empty_result_warns(gaussian_config, filter_cfg):
    smoother = Smoother(gaussian_config if filter_cfg == "config" else filter_cfg, keypoint_dim=2)
    with pytest.warns(UserWarning, match="Smoother received empty result."):
        assert smoother.smooth([]) == []
    with pytest.warns(UserWarning, match="Smoother received empty result."):
        assert smoother.smooth([[], []]) == [[], []]


def test_corner_case_inconsistent_track_ids_raise_value_error(gaussian_config):
    x = walk(2, (2, 17, 2), 1.0, 0.1, seed=1)
    results = [frames_of(x[:1, :1], ["0"])[0], frames_of(x[1:], ["0", "1"])[0]]  # targets [1, 2], with ids
    with pytest.raises(ValueError, match="Inconsistent track ids"):
        Smoother(gaussian_config, keypoint_dim=2).smooth(results)


def test_corner_case_inconsistent_target_number_raises_value_error(gaussian_config):
    x = walk(2, (2, 17, 2), 1.0, 0.1, seed=2)
    results = [frames_of(x[:1, :1])[0], frames_of(x[1:])[0]]  # targets [1, 2], no ids
    with pytest.raises(ValueError, match="Inconsistent target number"):
        Smoother(gaussian_config, keypoint_dim=2).smooth(results)
    with pytest.raises(ValueError, match="Inconsistent target number"):  # synsp refiners pair by position too
        Smoother("gaussian-mmpose", keypoint_dim=2).smooth(results)


# ---- MMPose's test_smoother.py: online and offline, with and without track ids ---------------------


def test_smooth_online_with_trackid(gaussian_config):
    # targets [2] * 10 + [3] * 10, ids '0', '1' throughout and '2' from frame 10, listed in shuffled order
    x = np.random.default_rng(3).random((20, 3, 17, 2))
    smoother = Smoother(gaussian_config, keypoint_dim=2)
    outputs = []
    for t in range(20):
        order = [1, 0] if t < 10 else [2, 0, 1]
        frame = [{"track_id": str(p), "keypoints": x[t, p].copy()} for p in order]
        out = smoother.smooth(frame)
        assert isinstance(out, list) and all(isinstance(r, dict) for r in out) and len(out) == len(frame)
        assert [r["track_id"] for r in out] == [r["track_id"] for r in frame]
        assert all(r["keypoints"].shape == (17, 2) for r in out)
        outputs.append({r["track_id"]: r["keypoints"] for r in out})
    for p, first in [(0, 0), (1, 0), (2, 10)]:
        got = np.stack([o[str(p)] for o in outputs[first:]])
        np.testing.assert_allclose(got, online_reference(x[first:, p]), rtol=1e-6, atol=1e-12)


def test_smooth_online_wo_trackid(gaussian_config):
    # no ids: instances are paired by their position in the list, as MMPose does
    x = np.random.default_rng(4).random((20, 3, 17, 2))
    smoother = Smoother(gaussian_config, keypoint_dim=2)
    outputs = []
    for t in range(20):
        frame = [{"keypoints": x[t, p].copy()} for p in range(2 if t < 10 else 3)]
        out = smoother.smooth(frame)
        assert isinstance(out, list) and len(out) == len(frame) and "track_id" not in out[0]
        assert all(r["keypoints"].shape == (17, 2) for r in out)
        outputs.append(out)
    for p, first in [(0, 0), (1, 0), (2, 10)]:
        got = np.stack([o[p]["keypoints"] for o in outputs[first:]])
        np.testing.assert_allclose(got, online_reference(x[first:, p]), rtol=1e-6, atol=1e-12)


def test_smooth_offline_with_trackid(gaussian_config):
    x = np.random.default_rng(5).random((20, 2, 17, 2))
    results = frames_of(x, ["0", "1"])
    for frame in results[::3]:
        frame.reverse()  # the order inside a frame does not matter with ids
    out = Smoother(gaussian_config, keypoint_dim=2).smooth(results)
    assert len(out) == 20 and all(isinstance(f, list) and len(f) == 2 for f in out)
    for p in range(2):
        got = np.stack([next(r for r in f if r["track_id"] == str(p))["keypoints"] for f in out])
        np.testing.assert_allclose(got, mmpose_gaussian(x[:, p]), rtol=1e-6, atol=1e-12)


def test_smooth_offline_wo_trackid(gaussian_config):
    x = np.random.default_rng(6).random((20, 2, 17, 2))
    out = Smoother(gaussian_config, keypoint_dim=2).smooth(frames_of(x))
    assert len(out) == 20 and all(len(f) == 2 and "track_id" not in f[0] for f in out)
    got = np.stack([keypoints_of(f) for f in out])
    for p in range(2):
        np.testing.assert_allclose(got[:, p], mmpose_gaussian(x[:, p]), rtol=1e-6, atol=1e-12)


# ---- MMPose's track state -------------------------------------------------------------------------


def test_online_track_missing_for_one_frame_restarts_like_mmpose():
    x = walk(30, (2, 17, 2), 40.0, 3.0, seed=7)
    smoother = Smoother(ONE_EURO, keypoint_dim=2)
    got = []
    for t in range(30):
        people = [0] if t == 12 else [0, 1]  # track 1 is missed at frame 12
        out = smoother.smooth([{"track_id": p, "keypoints": x[t, p]} for p in people])
        got.append({r["track_id"]: r["keypoints"] for r in out})
    track1 = np.stack([g[1] for g in got if 1 in g])
    np.testing.assert_allclose(track1[:12], one_euro(x[:12, 1], 0.02, 0.002), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(track1[12:], one_euro(x[13:, 1], 0.02, 0.002), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(track1[12], x[13, 1])  # a new filter passes its first frame through
    # max_lost_frames keeps the state through the gap instead (synsp's handling, opt-in here)
    smoother = Smoother(ONE_EURO, keypoint_dim=2, max_lost_frames=1)
    kept = [smoother.smooth([{"track_id": p, "keypoints": x[t, p]} for p in ([0] if t == 12 else [0, 1])])
            for t in range(30)]
    track1 = np.stack([r["keypoints"] for out in kept for r in out if r["track_id"] == 1])
    np.testing.assert_allclose(track1, one_euro(np.delete(x[:, 1], 12, axis=0), 0.02, 0.002), rtol=1e-9)


def test_empty_frame_leaves_mmpose_state_alone():
    x = walk(10, (17, 2), 40.0, 3.0, seed=8)
    smoother = Smoother(ONE_EURO, keypoint_dim=2)
    got = []
    for t in range(10):
        if t == 5:
            with pytest.warns(UserWarning, match="empty result"):
                smoother.smooth([])
        got.append(smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"])
    np.testing.assert_allclose(np.stack(got), one_euro(x, 0.02, 0.002), rtol=1e-9, atol=1e-12)


def test_offline_calls_pad_with_the_previous_calls_history(gaussian_config):
    x = np.random.default_rng(9).random((60, 17, 2))
    chunks = [x[:25], x[25:32], x[32:60]]
    smoother = Smoother(gaussian_config, keypoint_dim=2)
    got = [np.stack([f[0]["keypoints"] for f in smoother.smooth(frames_of(c[:, None]))]) for c in chunks]
    want = mmpose_history_calls(chunks, mmpose_gaussian, 11)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-12)


def test_repeated_overlapping_calls_like_the_body3d_demo(gaussian_config):
    # MMPose's body3d demo smooths, for every frame i, the causal 9-frame sequence ending at i (the first
    # frame repeated before the start) and keeps its last frame
    x = np.random.default_rng(10).random((30, 2, 17, 2))
    results = frames_of(x, [0, 1])
    smoother = Smoother(gaussian_config, keypoint_dim=2)
    calls = [[results[0]] * max(0, 8 - i) + results[max(0, i - 8): i + 1] for i in range(30)]
    got = np.stack([[r["keypoints"] for r in smoother.smooth(copy.deepcopy(c))[-1]] for c in calls])
    for p in range(2):
        seqs = [np.stack([f[p]["keypoints"] for f in c]) for c in calls]
        want = np.stack([o[-1] for o in mmpose_history_calls(seqs, mmpose_gaussian, 11)])
        np.testing.assert_allclose(got[:, p], want, rtol=1e-6, atol=1e-12)


def test_one_euro_config_gets_one_filter_per_track():
    # OneEuroFilter is not shareable: two tracks never mix their states
    x = walk(20, (2, 17, 2), 40.0, 3.0, seed=11)
    out = Smoother(ONE_EURO, keypoint_dim=2).smooth(frames_of(x, ["a", "b"]))
    got = np.stack([keypoints_of(f) for f in out])
    for p in range(2):
        np.testing.assert_allclose(got[:, p], one_euro(x[:, p], 0.02, 0.002), rtol=1e-9, atol=1e-12)


# ---- keypoint arrays ------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [2, 3, 5])
def test_keypoints_with_any_number_of_extra_columns(gaussian_config, columns):
    x = np.random.default_rng(12).random((15, 1, 17, columns))
    before = copy.deepcopy(x)
    out = Smoother(gaussian_config, keypoint_dim=2).smooth(frames_of(x))
    got = np.stack([f[0]["keypoints"] for f in out])
    assert got.shape == (15, 17, columns)
    np.testing.assert_allclose(got[..., :2], mmpose_gaussian(x[:, 0, :, :2]), rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(got[..., 2:], x[:, 0, :, 2:])  # scores and other columns untouched
    np.testing.assert_array_equal(x, before)  # the input is not modified


def test_integer_keypoints_keep_their_dtype_like_mmpose(gaussian_config):
    x = np.random.default_rng(13).integers(0, 640, (15, 1, 17, 3))
    out = Smoother(gaussian_config, keypoint_dim=2).smooth(frames_of(x))
    got = np.stack([f[0]["keypoints"] for f in out])
    assert got.dtype == x.dtype
    # MMPose filters the integer array itself (scipy's integer output) and writes into the integer copy
    np.testing.assert_array_equal(got[..., :2], mmpose_gaussian(x[:, 0, :, :2]))
    np.testing.assert_array_equal(got[..., 2], x[:, 0, :, 2])


# ---- synsp's refiners: synsp's contract ------------------------------------------------------------


def two_person_frames(T=60):
    """Online results: track 'a' throughout (absent at frames 20-22), track 7 until frame 34, track 9 from
    frame 40; (17, 3) keypoints with a score column and extra fields."""
    coords = {tid: walk(T, (17, 2), 40.0, 3.0, seed) for seed, tid in enumerate(["a", 7, 9])}
    scores = 0.3 + 0.7 * np.random.default_rng(3).random((T, 3, 17, 1))  # none below 0.3: no keypoint missing
    present = {"a": [t for t in range(T) if not 20 <= t <= 22], 7: list(range(35)), 9: list(range(40, T))}
    frames = []
    for t in range(T):
        frame = []
        for k, tid in enumerate(["a", 7, 9]):
            if t in present[tid]:
                kp = np.concatenate([coords[tid][t], scores[t, k]], axis=1)
                frame.append({"bbox": np.array([t, k, 50.0, 80.0, 0.9]), "track_id": tid, "keypoints": kp,
                              "area": float(t)})
        frames.append(frame)
    return frames, coords, present


def collect(outputs, tid):
    return np.stack([r["keypoints"] for frame in outputs for r in frame if r["track_id"] == tid])


def test_online_smoother_keeps_structure_and_does_not_mutate():
    frames, _, _ = two_person_frames()
    before = copy.deepcopy(frames)
    for cfg in [ONE_EURO, "one-euro-mmpose"]:
        smoother = Smoother(cfg, keypoint_dim=2)
        outputs = [smoother.smooth(frame) for frame in frames]
        for frame, out, orig in zip(frames, outputs, before):
            assert isinstance(out, list) and len(out) == len(frame)
            for res, got, was in zip(frame, out, orig):
                assert got is not res and got["keypoints"] is not res["keypoints"]
                assert list(got) == list(res) and got["track_id"] == res["track_id"]
                assert got["area"] == res["area"] and np.array_equal(got["bbox"], res["bbox"])
                assert got["keypoints"].shape == (17, 3) and got["keypoints"].dtype == res["keypoints"].dtype
                np.testing.assert_array_equal(got["keypoints"][:, 2], res["keypoints"][:, 2])  # score untouched
                np.testing.assert_array_equal(res["keypoints"], was["keypoints"])  # input not mutated
                np.testing.assert_array_equal(res["bbox"], was["bbox"])


def test_synsp_refiner_online_keeps_a_track_through_a_short_gap():
    frames, coords, present = two_person_frames()
    offline = get_filter("one-euro-mmpose", min_cutoff=0.02, beta=0.002)
    smoother = Smoother(offline, keypoint_dim=2)  # a synsp refiner: synsp's track handling
    outputs = [smoother.smooth(frame) for frame in frames]
    for tid in ["a", 7, 9]:
        seen = np.array(present[tid])
        span = coords[tid][seen[0]: seen[-1] + 1].copy()
        if tid == "a":
            span[20:23] = coords["a"][19]  # online, the frames of a short absence hold the track's last pose
        raw = coords[tid][seen]
        online = collect(outputs, tid)[:, :, :2]
        # a causal filter stepped once per frame time is the filter run offline over the track's span
        np.testing.assert_allclose(online, offline(span)[seen - seen[0]], rtol=0, atol=1e-12)
        np.testing.assert_allclose(online, one_euro(span, 0.02, 0.002)[seen - seen[0]], rtol=1e-9, atol=1e-9)
        assert jitter(online) < 0.5 * jitter(raw)


def test_synsp_refiner_track_lost_longer_than_max_lost_frames_restarts():
    frames, coords, _ = two_person_frames()
    smoother = Smoother("one-euro-mmpose", keypoint_dim=2, max_lost_frames=2)  # 'a' is absent for 3 frames
    online = collect([smoother.smooth(frame) for frame in frames], "a")[:, :, :2]
    np.testing.assert_allclose(online[:20], one_euro(coords["a"][:20], 0.004, 0.7), atol=1e-9)
    np.testing.assert_allclose(online[20:], one_euro(coords["a"][23:], 0.004, 0.7), atol=1e-9)  # fresh state
    np.testing.assert_array_equal(online[20], coords["a"][23])  # a new One-Euro passes frame 0 through


def test_reset_forgets_history():
    frames, coords, _ = two_person_frames()
    for cfg in [ONE_EURO, "one-euro-mmpose"]:
        smoother = Smoother(cfg, keypoint_dim=2)
        for frame in frames[:10]:
            smoother.smooth(frame)
        smoother.reset()
        out = smoother.smooth(frames[10])
        np.testing.assert_array_equal(out[0]["keypoints"][:, :2], coords["a"][10])


def test_synsp_window_filter_online_sees_the_last_window_frames():
    x = walk(30, (17, 2), 40.0, 3.0, seed=5)
    smoother = Smoother("savgol-mmpose")
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(30)])
    savgol = get_filter("savgol-mmpose")
    want = np.stack([savgol(x[max(0, t - 10): t + 1])[-1] for t in range(30)])
    np.testing.assert_allclose(online, want, atol=1e-12)
    assert jitter(online) < jitter(x)


def test_synsp_kalman_online_equals_the_offline_filter_beyond_its_history():
    T = KALMAN_HISTORY + 40
    x = walk(T, (17, 3), 0.5, 0.01, seed=6) - 100.0
    smoother = Smoother("kalman", keypoint_dim=3)
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(T)])
    np.testing.assert_allclose(online, synsp.refine(x, model="kalman"), atol=1e-12)


def test_synsp_online_uses_the_causal_network_with_zero_delay():
    x = walk(40, (17, 3), 0.5, 0.02, seed=7) - 100.0
    smoother = Smoother("synsp", keypoint_dim=3)
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(40)])
    causal = get_refiner("synsp-universal-w8-causal")  # the zero-delay counterpart of the default
    assert causal.causal
    np.testing.assert_allclose(online, causal(x), atol=1e-6)


def test_synsp_on_2d_coco_follows_refines_default_model():
    x = walk(20, (17, 2), 40.0, 3.0, seed=16)
    try:
        model = choose_model(17, 2)[0]
    except SynspInputError:  # no 2D network shipped: the Smoother says so too
        with pytest.raises(SynspInputError, match="needs a shipped network for 17 keypoints in 2D"):
            Smoother("synsp").smooth([{"keypoints": x[0]}])
        return
    assert model == "synsp-universal-w16"
    offline = Smoother("synsp").smooth([[{"keypoints": x[t]}] for t in range(20)])
    np.testing.assert_allclose(np.stack([f[0]["keypoints"] for f in offline]), synsp.refine(x), atol=1e-9)
    smoother = Smoother("synsp")
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(20)])
    # online, the default's zero-delay counterpart (the same weights refine 2D)
    np.testing.assert_allclose(online, get_refiner("synsp-universal-w8-causal")(x), atol=1e-6)


def test_synsp_on_coco_wholebody_refines_the_body_and_the_face_and_hands_follow():
    # MMPose's whole-body models give 133 keypoints: refined as synsp.refine does (the universal model on the
    # body and feet); a network named for COCO-17 refines the 17 body points (both refused before)
    x = walk(24, (133, 2), 40.0, 3.0, seed=17)
    offline = Smoother("synsp").smooth([[{"keypoints": x[t]}] for t in range(24)])
    np.testing.assert_allclose(np.stack([f[0]["keypoints"] for f in offline]), synsp.refine(x), atol=1e-9)
    smoother = Smoother("synsp")
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(24)])
    assert online.shape == x.shape and np.isfinite(online).all()
    np.testing.assert_allclose(online[:, :23], get_refiner("synsp-universal-w8-causal")(x[:, :23]), atol=1e-6)
    named = Smoother("synsp-coco17-2d-w8").smooth([[{"keypoints": x[t]}] for t in range(24)])
    np.testing.assert_allclose(np.stack([f[0]["keypoints"] for f in named]),
                               synsp.refine(x, model="synsp-coco17-2d-w8"), atol=1e-9)


def test_synsp_refiner_offline_refines_each_track_over_its_span():
    frames, coords, present = two_person_frames()
    smoother = Smoother("savgol-mmpose", keypoint_dim=2)
    outputs = smoother.smooth(frames)  # tracks come and go: fine for synsp's refiners
    assert [[r["track_id"] for r in f] for f in outputs] == [[r["track_id"] for r in f] for f in frames]
    for tid in [7, 9]:  # tracks without gaps
        want = synsp.refine(coords[tid][present[tid]], model="savgol-mmpose")
        np.testing.assert_allclose(collect(outputs, tid)[:, :, :2], want, atol=1e-12)
    span = coords["a"].copy()  # 'a' is absent at frames 20-22: refined over its span with the gap missing
    span[20:23] = np.nan
    want = synsp.refine(span, model="savgol-mmpose")[present["a"]]
    np.testing.assert_allclose(collect(outputs, "a")[:, :, :2], want, atol=1e-12)
    # calls are independent: the same call twice gives the same output
    again = smoother.smooth(frames)
    np.testing.assert_array_equal(collect(again, "a"), collect(outputs, "a"))
    with pytest.raises(ValueError, match="Inconsistent track ids"):  # the same tracks under an MMPose config
        Smoother({"type": "SavizkyGolayFilter"}, keypoint_dim=2).smooth(frames)


def test_offline_synsp_and_smoothnet_config_equal_refine():
    x = walk(30, (2, 17, 3), 0.5, 0.02, seed=8) - 100.0
    frames = [[{"track_id": p, "keypoints": x[t, p]} for p in range(2)] for t in range(30)]
    smoothnet_cfg = {"type": "SmoothNetFilter", "window_size": 8, "output_size": 8,  # MMPose's t8 config
                     "checkpoint": "smoothnet_ws8_h36m.pth", "hidden_size": 512, "res_hidden_size": 256,
                     "num_blocks": 3, "root_index": 0}
    for cfg, model in [("synsp", None), (smoothnet_cfg, "smoothnet-h36m17-3d-w8")]:
        out = Smoother(cfg, keypoint_dim=3).smooth(frames)
        got = np.stack([[r["keypoints"] for r in frame] for frame in out])
        np.testing.assert_allclose(got, synsp.refine(x, model=model), atol=1e-6)


def test_config_file_path_like_mmpose(tmp_path):
    path = tmp_path / "gaussian.py"
    path.write_text("filter_cfg = dict(type='GaussianFilter', window_size=7, sigma=2.0)\n")
    x = walk(25, (5, 2), 40.0, 3.0, seed=9)
    out = Smoother(str(path)).smooth([[{"keypoints": x[t]}] for t in range(25)])
    got = np.stack([f[0]["keypoints"] for f in out])
    np.testing.assert_allclose(got, mmpose_gaussian(x, 7, 2.0), rtol=1e-9, atol=1e-12)


# ---- left/right inversion repair: on for synsp's refiners, off for MMPose configs ----------------------

SAVGOL_CFG = {"type": "SavizkyGolayFilter", "window_size": 11, "polyorder": 2}


def inverted_person(T=60):
    """A COCO-17 track ``(T, 17, 2)``, its keypoints with a score column (a different score per joint) and the
    same keypoints with every left/right pair (eyes, ears, arms, legs) exchanged in frames 20-44: a detector
    taking the person for back-facing.  (In 2D the repair's prior keeps the head with the body unless its own
    motion says otherwise: synsp.repair.FLIP_COST_2D.)"""
    x = coco17_walk(T, seed=30)
    kp = np.concatenate([x, np.tile(np.linspace(0.5, 0.9, 17), (T, 1))[..., None]], axis=-1)
    return x, kp, invert_limbs(kp, slice(20, 45), [(1, 2), (3, 4)] + COCO17_LIMB_PAIRS)


def smoothed_keypoints(smoother, frames):
    return np.stack([f[0]["keypoints"] for f in smoother.smooth(frames)])


@pytest.mark.parametrize("with_ids", [True, False])
def test_synsp_offline_repairs_left_right_inversions_of_each_track(with_ids):
    x, kp, inverted = inverted_person()
    frames = [[{"track_id": 4, "keypoints": inverted[t]} if with_ids else {"keypoints": inverted[t]}]
              for t in range(60)]
    smoother = Smoother("savgol-mmpose", keypoint_dim=2)
    out = smoothed_keypoints(smoother, frames)
    np.testing.assert_allclose(out[..., :2], mmpose_savgol(x), atol=1e-9)  # as if never inverted
    np.testing.assert_array_equal(out[..., 2], kp[..., 2])  # the scores moved with their joints
    assert smoother.relabelled == {4 if with_ids else 0: {"arms": 25, "legs": 25, "head": 25}}
    assert inverted[30, 9, 0] > 330 and out[30, 9, 0] < 330  # the left wrist is on the left again


def test_synsp_offline_repair_false_keeps_the_labels():
    _, _, inverted = inverted_person()
    smoother = Smoother("savgol-mmpose", keypoint_dim=2, repair=False)
    out = smoothed_keypoints(smoother, [[{"track_id": 4, "keypoints": inverted[t]}] for t in range(60)])
    np.testing.assert_allclose(out[..., :2], mmpose_savgol(inverted[..., :2]), atol=1e-9)
    assert smoother.relabelled == {}


def test_mmpose_config_is_not_repaired_unless_asked():
    x, _, inverted = inverted_person()
    frames = [[{"track_id": 4, "keypoints": inverted[t]}] for t in range(60)]
    smoother = Smoother(SAVGOL_CFG, keypoint_dim=2)  # MMPose's own result, inversions and all
    np.testing.assert_allclose(smoothed_keypoints(smoother, frames)[..., :2], mmpose_savgol(inverted[..., :2]),
                               atol=1e-9)
    assert smoother.relabelled == {}
    smoother = Smoother(SAVGOL_CFG, keypoint_dim=2, repair=True)
    np.testing.assert_allclose(smoothed_keypoints(smoother, frames)[..., :2], mmpose_savgol(x), atol=1e-9)
    assert smoother.relabelled == {4: {"arms": 25, "legs": 25, "head": 25}}


def test_online_calls_are_not_repaired():
    _, _, inverted = inverted_person()
    smoother = Smoother("savgol-mmpose", keypoint_dim=2)
    online = np.stack([smoother.smooth([{"track_id": 4, "keypoints": inverted[t]}])[0]["keypoints"]
                       for t in range(60)])
    np.testing.assert_array_equal(online[..., 2], inverted[..., 2])  # labels (and scores) as they came
    assert smoother.relabelled == {}


# ---- bad input ------------------------------------------------------------------------------------


def test_network_with_wrong_joint_count_or_dims_names_model_and_shapes():
    smoother = Smoother("smoothnet-h36m17-3d-w8", keypoint_dim=3)
    with pytest.raises(SynspInputError, match=r"smoothnet-h36m17-3d-w8.*17 joints.*16 keypoints"):
        smoother.smooth([{"keypoints": np.zeros((16, 3))}])
    with pytest.raises(SynspInputError, match=r"synsp-h36m17-3d-w8.*3D.*keypoint_dim = 2"):
        Smoother("synsp-h36m17-3d-w8", keypoint_dim=2)


def test_track_ids_on_some_instances_or_twice_raise():
    kp = np.zeros((17, 3))
    for cfg in [GAUSSIAN_CFG, "gaussian-mmpose"]:
        with pytest.raises(SynspInputError, match="track_id on some instances only"):
            Smoother(cfg).smooth([{"track_id": 1, "keypoints": kp}, {"keypoints": kp}])
        with pytest.raises(SynspInputError, match="same track_id on several instances"):
            Smoother(cfg).smooth([{"track_id": 1, "keypoints": kp}, {"track_id": 1, "keypoints": kp}])


def test_bad_configs_and_shapes():
    with pytest.raises(SynspInputError, match="needs a shipped network for 21 keypoints"):  # a hand: no network
        Smoother("synsp").smooth([{"keypoints": np.zeros((21, 2))}])
    with pytest.raises(SynspInputError, match="GaussianFilter.*SmoothNetFilter"):
        Smoother({"type": "MedianFilter"})
    with pytest.raises(SynspInputError, match="window_size"):
        Smoother({"type": "OneEuroFilter", "window_size": 3})
    with pytest.raises(SynspInputError, match=r"window_size=12; shipped: .*smoothnet-h36m17-3d-w8"):
        Smoother({"type": "SmoothNetFilter", "window_size": 12, "output_size": 12, "checkpoint": "t12.pth"})
    with pytest.raises(SynspInputError, match=r"expected \(K, C\) with C >= keypoint_dim = 3"):
        Smoother(GAUSSIAN_CFG, keypoint_dim=3).smooth([{"keypoints": np.zeros((17, 2))}])
    with pytest.raises(SynspInputError, match="'frame_rate'|frame_rate is 60"):
        Smoother("synsp", keypoint_dim=3, frame_rate=60).smooth([{"keypoints": np.zeros((17, 3))}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a valid call warns about nothing
        Smoother(GAUSSIAN_CFG).smooth([{"keypoints": np.zeros((17, 3))}])


def test_online_smoothing_is_a_zero_delay_stream_of_the_refiner():
    """One front: the Smoother's online calls go through synsp.Stream(refiner, causal=True), any method."""
    from synsp.stream import Stream

    x = walk(40, (17, 3), 0.5, 0.01, seed=17) - 100.0
    for name in ("kalman-rts", "butterworth", "gaussian-mmpose"):
        smoother = Smoother(name, keypoint_dim=3)
        online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(40)])
        assert isinstance(smoother._online, Stream) and smoother._online.delay == 0
        stream = Stream(name, causal=True)
        np.testing.assert_array_equal(online, np.stack([stream.push(frame)[0] for frame in x]))
    # the Kalman smoother online is its forward filter (its estimate of the latest frame)
    stream = Stream("kalman-rts", causal=True)
    np.testing.assert_allclose(np.stack([stream.push(f)[0] for f in x]), get_filter("kalman", process_noise=100.0)(x),
                               atol=1e-12)


def test_mmpose1_inferencer_lists_come_back_as_lists_that_json_can_write():
    """MMPose 1.x's inferencer gives keypoints as [[x, y], ...] lists (and keypoint_scores beside them);
    the smoothed results keep that, online and offline, so json.dump still writes them."""
    import json

    rng = np.random.default_rng(5)
    frames = [[{"keypoints": (300 + 2.0 * t + rng.normal(0, 2, (17, 2))).tolist(), "keypoint_scores": [0.9] * 17,
                "bbox": ([1.0, 2.0, 3.0, 4.0],), "bbox_score": 0.9}] for t in range(40)]
    offline = Smoother("synsp", keypoint_dim=2).smooth(frames)
    online = Smoother("synsp", keypoint_dim=2)
    for t, frame in enumerate(frames):
        for res, src in ((online.smooth(frame)[0], frame[0]), (offline[t][0], frame[0])):
            kp = res["keypoints"]
            assert isinstance(kp, list) and len(kp) == 17 and all(isinstance(p, list) and len(p) == 2 for p in kp)
            assert res["keypoint_scores"] == src["keypoint_scores"] and res["bbox"] == src["bbox"]
            json.dumps(res["keypoints"])
    raw = np.array([f[0]["keypoints"] for f in frames])
    smooth = np.array([f[0]["keypoints"] for f in offline])
    assert np.abs(np.diff(smooth, 2, axis=0)).mean() < 0.5 * np.abs(np.diff(raw, 2, axis=0)).mean()


# ---- the audit of the adapters: missing keypoints, names, dtypes, discarded instances -------------


def online_keypoints(smoother, x):
    return np.stack([smoother.smooth([{"track_id": 0, "keypoints": x[t].copy()}])[0]["keypoints"]
                     for t in range(len(x))])


@pytest.mark.parametrize("cfg", [dict(type="OneEuroFilter"), "synsp", "one-euro", "kalman"])
def test_online_a_keypoint_not_observed_yet_comes_back_nan_not_the_persons_centre(cfg):
    # it came back as the mean of the other keypoints of the track's first frame (then held); offline it is NaN
    rng = np.random.default_rng(6)
    x = rng.uniform(100, 200, (8, 17, 3))
    x[:, 16, :2] = np.nan  # never detected
    x[:3, 4, :2] = np.nan  # detected from frame 3 on
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # synsp.refine names the keypoint missing in every frame
        on = online_keypoints(Smoother(cfg, keypoint_dim=2), x)
        off = np.stack([f[0]["keypoints"] for f in Smoother(cfg, keypoint_dim=2).smooth(
            [[{"track_id": 0, "keypoints": x[t].copy()}] for t in range(8)])])
    assert np.isnan(on[:, 16, :2]).all() and np.isnan(off[:, 16, :2]).all()
    assert np.isnan(on[:3, 4, :2]).all() and np.isfinite(on[3:, 4]).all()
    assert np.isfinite(np.delete(on[:, :, :2], [4, 16], axis=1)).all()
    np.testing.assert_array_equal(on[..., 2], x[..., 2])  # the scores untouched


@pytest.mark.parametrize("cfg", [dict(type="GaussianFilter"), dict(type="SavizkyGolayFilter"),
                                 dict(type="SmoothNetFilter", window_size=8)])
def test_mmpose_configs_pass_a_keypoint_nan_in_every_frame_through_as_nan(cfg):
    # a keypoint NaN in the first online frame raised for the Gaussian and Savitzky-Golay configs, one NaN for a
    # whole call raised for SmoothNet; MMPose lets the NaN through
    rng = np.random.default_rng(6)
    x = rng.uniform(100, 200, (12, 17, 3))
    x[0, 3, :2] = np.nan
    x[:, 16, :2] = np.nan
    on = online_keypoints(Smoother(cfg, keypoint_dim=2), x)
    assert np.isnan(on[0, 3, :2]).all() and np.isfinite(on[1:, 3]).all()
    assert np.isnan(on[:, 16, :2]).all() and np.isfinite(np.delete(on, [3, 16], axis=1)).all()
    off = np.stack([f[0]["keypoints"] for f in Smoother(cfg, keypoint_dim=2).smooth(frames_of(x[:, None]))])
    assert np.isnan(off[:, 16, :2]).all() and np.isfinite(np.delete(off, 16, axis=1)).all()


def test_a_filter_type_as_a_string_names_the_config_dict_to_pass():
    # MMPose reads a string as a config file's path; here "unknown refiner" listed every synsp name, no hint
    for name in ("GaussianFilter", "SavizkyGolayFilter", "OneEuroFilter", "oneeuro", "SmoothNetFilter", "smoothnet"):
        with pytest.raises(SynspInputError, match=rf"Smoother\(dict\(type='{name}', ") as err:
            Smoother(name)
        assert "\n" not in str(err.value) and len(str(err.value)) < 250  # not the list of every refiner
    with pytest.raises(SynspInputError, match="unknown refiner"):  # any other name: as before
        Smoother("GaussianFiltr")


def test_synsps_savgol_and_gaussian_by_name_warn_on_a_short_track_and_name_mmposes_config():
    # the same names as MMPose's aliases pick synsp's 31-frame filters: a 30-frame track comes back unchanged
    x = walk(30, (17, 2), 0.5, 2.0, seed=5)
    for name in ("savgol", "gaussian"):
        with pytest.warns(UserWarning, match=rf"shorter than the 31 frames.*Smoother\(dict\(type='{name}'\)\)"):
            out = Smoother(name).smooth(frames_of(x[:, None]))
        np.testing.assert_array_equal(np.stack([f[0]["keypoints"] for f in out]), x)


@pytest.mark.parametrize("cfg", [dict(type="OneEuroFilter"), GAUSSIAN_CFG, "one-euro"])
def test_torch_keypoints_come_back_as_an_array_of_their_dtype(cfg):
    import torch

    x = torch.rand(17, 3, dtype=torch.float32) * 100
    online = Smoother(cfg).smooth([{"track_id": 0, "keypoints": x}])[0]["keypoints"]
    offline = Smoother(cfg).smooth([[{"track_id": 0, "keypoints": x}]] * 3)[0][0]["keypoints"]
    for out in (online, offline):
        assert isinstance(out, np.ndarray) and out.dtype == np.float32  # was float64
    np.testing.assert_array_equal(online[:, 2], x[:, 2].numpy())


@pytest.mark.parametrize("cfg", [dict(type="OneEuroFilter"), GAUSSIAN_CFG, "one-euro", "synsp"])
def test_instances_with_track_id_minus_one_pass_through_unsmoothed(cfg):
    # MMPose 0.x's tracker gives -1 to every instance it discards, often several in a frame: that raised
    # ("the same track_id on several instances"); they take no part and come back as they came
    x = walk(12, (17, 3), 0.5, 2.0, seed=3)
    junk = {"track_id": np.int64(-1), "keypoints": np.full((17, 3), 7.0), "bbox": np.zeros(5)}
    smoother, alone = Smoother(cfg), Smoother(cfg)
    for t in range(12):
        out = smoother.smooth([junk, {"track_id": 0, "keypoints": x[t]}, junk])
        want = alone.smooth([{"track_id": 0, "keypoints": x[t]}])[0]
        np.testing.assert_array_equal(out[1]["keypoints"], want["keypoints"])
        assert out[0] is not junk and all((out[i]["keypoints"] == 7.0).all() for i in (0, 2))
    assert (smoother.smooth([junk, junk])[1]["keypoints"] == 7.0).all()  # a frame of discarded instances only
    frames = [[{"track_id": 0, "keypoints": x[t]}] + [junk] * (t % 3 == 0) * 2 for t in range(12)]
    out = Smoother(cfg).smooth(frames)
    want = Smoother(cfg).smooth([f[:1] for f in frames])
    for o, w, f in zip(out, want, frames):
        assert len(o) == len(f)
        np.testing.assert_array_equal(o[0]["keypoints"], w[0]["keypoints"])
    with pytest.raises(SynspInputError, match="track_id on some instances only"):
        Smoother(cfg).smooth([junk, {"keypoints": x[0]}])
