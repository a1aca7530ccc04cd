"""The MMPose 0.x ``Smoother`` and MMHuman3D ``smooth_process`` drop-ins (synsp.adapters)."""

import copy

import numpy as np
import pytest

import synsp
from synsp.adapters import Smoother, smooth_process
from synsp.adapters.mmpose import KALMAN_HISTORY
from synsp.api import default_model
from synsp.filters import get_filter
from synsp.geometry import axis_angle_to_matrix
from synsp.refiners import get_refiner
from synsp.validation import SynspInputError

ONE_EURO = {"type": "OneEuroFilter", "min_cutoff": 0.02, "beta": 0.002}  # MMPose args, pixel-scale beta


def jitter(x):
    """Mean |second difference| over time."""
    return np.abs(np.diff(x, n=2, axis=0)).mean()


def walk(T, shape, step, noise, seed):
    """A smooth random walk plus white jitter, ``(T, *shape)``."""
    rng = np.random.default_rng(seed)
    smooth = np.cumsum(np.cumsum(rng.normal(0, step, (T, *shape)), 0), 0) / T
    return smooth + rng.normal(0, noise, (T, *shape)) + 100.0


def two_person_frames(T=60):
    """MMPose-style online results: track 'a' throughout (absent at frames 20-22), track 7 until
    frame 34, track 9 from frame 40; (17, 3) keypoints with a score column and extra fields."""
    coords = {tid: walk(T, (17, 2), 40.0, 3.0, seed) for seed, tid in enumerate(["a", 7, 9])}
    scores = np.random.default_rng(3).random((T, 3, 17, 1))
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


def collect(outputs, present, tid):
    return np.stack([r["keypoints"] for frame in outputs for r in frame if r["track_id"] == tid])


# ---- MMPose Smoother, online --------------------------------------------------------------------


def test_online_smoother_keeps_structure_and_does_not_mutate():
    frames, _, _ = two_person_frames()
    before = copy.deepcopy(frames)
    smoother = Smoother(ONE_EURO, keypoint_dim=2)
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


def test_online_one_euro_reduces_jitter_and_equals_offline_filter_per_track():
    frames, coords, present = two_person_frames()
    smoother = Smoother(ONE_EURO, keypoint_dim=2)
    outputs = [smoother.smooth(frame) for frame in frames]
    offline = get_filter("one-euro-mmpose", min_cutoff=0.02, beta=0.002)
    for tid in ["a", 7, 9]:
        raw = coords[tid][present[tid]]  # the frames the track was seen in, gaps closed
        online = collect(outputs, present, tid)[:, :, :2]
        # a causal filter stepped once per frame is the filter run offline over the track
        np.testing.assert_allclose(online, offline(raw), rtol=0, atol=1e-12)
        assert jitter(online) < 0.5 * jitter(raw)


def test_a_track_lost_longer_than_max_lost_frames_restarts():
    frames, coords, present = two_person_frames()
    smoother = Smoother(ONE_EURO, keypoint_dim=2, max_lost_frames=2)  # 'a' is absent for 3 frames
    outputs = [smoother.smooth(frame) for frame in frames]
    online = collect(outputs, present, "a")[:, :, :2]
    offline = get_filter("one-euro-mmpose", min_cutoff=0.02, beta=0.002)
    np.testing.assert_allclose(online[:20], offline(coords["a"][:20]), atol=1e-12)
    np.testing.assert_allclose(online[20:], offline(coords["a"][23:]), atol=1e-12)  # fresh state
    np.testing.assert_array_equal(online[20], coords["a"][23])  # a new One-Euro passes frame 0 through


def test_reset_forgets_history():
    frames, coords, _ = two_person_frames()
    smoother = Smoother(ONE_EURO, keypoint_dim=2)
    for frame in frames[:10]:
        smoother.smooth(frame)
    smoother.reset()
    out = smoother.smooth(frames[10])
    np.testing.assert_array_equal(out[0]["keypoints"][:, :2], coords["a"][10])


def test_online_window_filter_sees_the_last_window_frames_like_mmpose():
    x = walk(30, (17, 2), 40.0, 3.0, seed=5)
    smoother = Smoother({"type": "SavizkyGolayFilter", "window_size": 7, "polyorder": 2})
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(30)])
    savgol = get_filter("savgol-mmpose", window=7, polyorder=2)
    want = np.stack([savgol(x[max(0, t - 6): t + 1])[-1] for t in range(30)])
    np.testing.assert_allclose(online, want, atol=1e-12)
    assert jitter(online) < jitter(x)


def test_online_kalman_equals_the_offline_filter_beyond_its_history():
    T = KALMAN_HISTORY + 40
    x = walk(T, (17, 3), 0.5, 0.01, seed=6) - 100.0
    smoother = Smoother("kalman", keypoint_dim=3)
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(T)])
    np.testing.assert_allclose(online, synsp.refine(x, model="kalman"), atol=1e-12)


def test_online_synsp_uses_the_causal_network_with_zero_delay():
    x = walk(40, (17, 3), 0.5, 0.02, seed=7) - 100.0
    smoother = Smoother("synsp", keypoint_dim=3)
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(40)])
    causal = get_refiner("synsp-h36m17-3d-w8-causal")
    assert causal.causal
    np.testing.assert_allclose(online, causal(x), atol=1e-6)


def test_synsp_on_2d_coco_follows_refines_default_model():
    x = walk(20, (17, 2), 40.0, 3.0, seed=16)
    try:
        model = default_model(17, 2)
    except SynspInputError:  # no 2D network shipped: the Smoother says so too
        with pytest.raises(SynspInputError, match="needs a shipped network for 17 keypoints in 2D"):
            Smoother("synsp").smooth([{"keypoints": x[0]}])
        return
    offline = Smoother("synsp").smooth([[{"keypoints": x[t]}] for t in range(20)])
    np.testing.assert_allclose(np.stack([f[0]["keypoints"] for f in offline]), synsp.refine(x), atol=1e-9)
    smoother = Smoother("synsp")
    online = np.stack([smoother.smooth([{"keypoints": x[t]}])[0]["keypoints"] for t in range(20)])
    # no causal 2D model: the offline one runs on each frame's last W frames
    np.testing.assert_allclose(online, get_refiner(model, causal=True)(x), atol=1e-6)


# ---- MMPose Smoother, offline -------------------------------------------------------------------


def test_offline_smoother_equals_refine_per_track():
    frames, coords, present = two_person_frames()
    smoother = Smoother("savgol-mmpose", keypoint_dim=2)
    outputs = smoother.smooth(frames)
    assert [[r["track_id"] for r in f] for f in outputs] == [[r["track_id"] for r in f] for f in frames]
    for tid in [7, 9]:  # tracks without gaps
        want = synsp.refine(coords[tid][present[tid]], model="savgol-mmpose")
        np.testing.assert_allclose(collect(outputs, present, tid)[:, :, :2], want, atol=1e-12)
    # track 'a' is absent at frames 20-22: refined over its span with the gap missing
    span = coords["a"].copy()
    span[20:23] = np.nan
    want = synsp.refine(span, model="savgol-mmpose")[present["a"]]
    np.testing.assert_allclose(collect(outputs, present, "a")[:, :, :2], want, atol=1e-12)
    # offline calls leave the online state alone
    assert smoother._online is None


def test_offline_synsp_and_smoothnet_config_equal_refine():
    x = walk(30, (2, 17, 3), 0.5, 0.02, seed=8) - 100.0
    frames = [[{"track_id": p, "keypoints": x[t, p]} for p in range(2)] for t in range(30)]
    smoothnet_cfg = {"type": "SmoothNetFilter", "window_size": 8, "output_size": 8,  # MMPose's t8 config
                     "checkpoint": "smoothnet_ws8_h36m.pth", "hidden_size": 512, "res_hidden_size": 256,
                     "num_blocks": 3}
    for cfg, model in [("synsp", None), (smoothnet_cfg, "smoothnet-h36m17-3d-w8")]:
        out = Smoother(cfg, keypoint_dim=3).smooth(frames)
        got = np.stack([[r["keypoints"] for r in frame] for frame in out])
        np.testing.assert_allclose(got, synsp.refine(x, model=model), atol=1e-9)


def test_config_file_path_like_mmpose(tmp_path):
    path = tmp_path / "gaussian.py"
    path.write_text("filter_cfg = dict(type='GaussianFilter', window_size=11, sigma=4.0)\n")
    x = walk(25, (5, 2), 40.0, 3.0, seed=9)
    out = Smoother(str(path)).smooth([[{"keypoints": x[t]}] for t in range(25)])
    got = np.stack([f[0]["keypoints"] for f in out])
    np.testing.assert_allclose(got, synsp.refine(x, model="gaussian-mmpose"), atol=1e-12)


# ---- MMPose Smoother, bad input -----------------------------------------------------------------


def test_network_with_wrong_joint_count_or_dims_names_model_and_shapes():
    smoother = Smoother("smoothnet-h36m17-3d-w8", keypoint_dim=3)
    with pytest.raises(SynspInputError, match=r"smoothnet-h36m17-3d-w8.*17 joints.*16 keypoints"):
        smoother.smooth([{"keypoints": np.zeros((16, 3))}])
    with pytest.raises(SynspInputError, match=r"synsp-h36m17-3d-w8.*3D.*keypoint_dim = 2"):
        Smoother("synsp-h36m17-3d-w8", keypoint_dim=2)


def test_several_instances_need_track_ids():
    frame = [{"keypoints": np.zeros((17, 3))}, {"keypoints": np.ones((17, 3))}]
    with pytest.raises(SynspInputError, match="2 instances and no track_id"):
        Smoother(ONE_EURO).smooth(frame)
    with pytest.raises(SynspInputError, match=r"results\[0\] has 2 instances and no track_id"):
        Smoother(ONE_EURO).smooth([frame])
    single = Smoother(ONE_EURO).smooth([{"keypoints": np.zeros((17, 3))}])  # one instance: track 0
    assert "track_id" not in single[0]


def test_bad_configs_and_shapes():
    with pytest.raises(SynspInputError, match="needs a shipped network for 12 keypoints"):
        Smoother("synsp").smooth([{"keypoints": np.zeros((12, 2))}])
    with pytest.raises(SynspInputError, match="OneEuroFilter.*SmoothNetFilter"):
        Smoother({"type": "MedianFilter"})
    with pytest.raises(SynspInputError, match="no argument window_size"):
        Smoother({"type": "OneEuroFilter", "window_size": 3})
    with pytest.raises(SynspInputError, match=r"window_size=64; shipped: .*smoothnet-h36m17-3d-w8"):
        Smoother({"type": "SmoothNetFilter", "window_size": 64, "output_size": 64})
    with pytest.raises(SynspInputError, match=r"expected \(K, 2\) or \(K, 3\)"):
        Smoother(ONE_EURO).smooth([{"keypoints": np.zeros((17, 4))}])
    with pytest.raises(SynspInputError, match="'frame_rate'|frame_rate is 60"):
        Smoother("synsp", keypoint_dim=3, frame_rate=60).smooth([{"keypoints": np.zeros((17, 3))}])


# ---- MMHuman3D smooth_process -------------------------------------------------------------------


@pytest.mark.parametrize("smooth_type", ["oneeuro", "gaus1d", "savgol"])
@pytest.mark.parametrize("shape,dtype", [((50, 17, 3), np.float32), ((50, 2, 24, 2), np.float64),
                                         ((50, 1, 5), np.float32)])
def test_smooth_process_keeps_shape_and_dtype_and_reduces_jitter(smooth_type, shape, dtype):
    x = walk(shape[0], shape[1:], 0.5, 0.02, seed=10).astype(dtype)
    out = smooth_process(x, smooth_type=smooth_type)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert jitter(out) < 0.5 * jitter(x)


def test_smooth_process_filters_every_channel_like_the_synsp_filter():
    x = walk(40, (2, 17, 3), 0.5, 0.02, seed=11)
    np.testing.assert_allclose(smooth_process(x, "savgol"), get_filter("savgol", window=11)(x), atol=1e-12)
    np.testing.assert_allclose(smooth_process(x, "oneeuro"), synsp.refine(x, model="one-euro-mmpose"), atol=1e-12)
    boxes = walk(40, (1, 5), 0.5, 0.02, seed=12)  # C = 5: filtered channel by channel
    per_channel = np.stack([get_filter("gaussian-mmpose")(np.repeat(boxes[:, :, [c]], 2, -1))[..., 0]
                            for c in range(5)], -1)
    np.testing.assert_allclose(smooth_process(boxes, "gaus1d"), per_channel, atol=1e-12)


@pytest.mark.parametrize("layout", ["9", "3x3"])
def test_smooth_process_keeps_rotation_matrices_valid(layout):
    T = 60
    aa = walk(T, (24, 3), 0.5, 0.05, seed=13) - 100.0
    R = axis_angle_to_matrix(aa).astype(np.float32)  # (T, 24, 3, 3)
    x = R.reshape(T, 24, 9) if layout == "9" else R
    out = smooth_process(x, "savgol")
    assert out.shape == x.shape and out.dtype == np.float32
    m = out.reshape(T, 24, 3, 3).astype(np.float64)
    np.testing.assert_allclose(m @ m.transpose(0, 1, 3, 2), np.broadcast_to(np.eye(3), m.shape), atol=1e-5)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-5)
    assert jitter(out) < 0.5 * jitter(x)
    # the projection only removes the small non-rotation part of the entry-wise average
    entrywise = get_filter("savgol", window=11)(R.reshape(T, -1, 3).astype(np.float64)).reshape(m.shape)
    assert np.abs(m - entrywise).max() < 0.05


def test_smooth_process_smoothnet_and_synsp_use_the_shipped_networks():
    x = walk(30, (17, 3), 0.5, 0.02, seed=14) - 100.0
    for smooth_type in ["smoothnet", "smoothnet_windowsize8"]:
        np.testing.assert_allclose(smooth_process(x, smooth_type), synsp.refine(x, model="smoothnet-h36m17-3d-w8"),
                                   atol=1e-9)
    x4 = np.stack([x, x[::-1]], axis=1)
    np.testing.assert_allclose(smooth_process(x4, "synsp"), synsp.refine(x4), atol=1e-9)


def test_smooth_process_errors_list_what_exists():
    x = np.zeros((20, 17, 3))
    with pytest.raises(SynspInputError, match="expected one of oneeuro, gaus1d, savgol, smoothnet.*synsp"):
        smooth_process(x, smooth_type="kalman")
    with pytest.raises(SynspInputError, match="window_size=16; shipped: .*smoothnet-h36m17-3d-w8"):
        smooth_process(x, smooth_type="smoothnet_windowsize16")
    with pytest.raises(SynspInputError, match=r"refines 17 joints.*K = 24, C = 3.*Shipped:"):
        smooth_process(np.zeros((20, 24, 3)), smooth_type="smoothnet")
    with pytest.raises(SynspInputError, match="K = 24 keypoints with C = 9"):
        smooth_process(np.ones((20, 24, 9)), smooth_type="synsp")  # not rotations: no model for it
    with pytest.raises(SynspInputError, match="24 SMPL joints"):
        smooth_process(np.broadcast_to(np.eye(3).ravel(), (20, 23, 9)).copy(), smooth_type="synsp")
    with pytest.raises(SynspInputError, match=r"expected a non-empty numeric array"):
        smooth_process(np.zeros((20, 3)))


def test_smooth_process_reads_cfg_base_dir_like_mmhuman3d(tmp_path):
    (tmp_path / "savgol.py").write_text("smooth_cfg = dict(type='savgol', window_size=5, polyorder=2)\n")
    x = walk(30, (17, 3), 0.5, 0.02, seed=15)
    np.testing.assert_allclose(smooth_process(x, "savgol", cfg_base_dir=str(tmp_path)),
                               get_filter("savgol", window=5)(x), atol=1e-12)
    with pytest.raises(SynspInputError, match="does not exist"):
        smooth_process(x, "gaus1d", cfg_base_dir=str(tmp_path))


def test_smooth_process_synsp_refines_smpl_rotation_matrices_with_the_rotation_network():
    from synsp.rotations import refine_rotations

    T = 40
    aa = walk(T, (24, 3), 0.3, 0.05, seed=16) - 100.0
    R = axis_angle_to_matrix(aa).astype(np.float32)
    out = smooth_process(R.reshape(T, 1, 24, 9), "synsp")
    assert out.shape == (T, 1, 24, 9) and out.dtype == np.float32
    expected = axis_angle_to_matrix(refine_rotations(aa, "synsp-smpl24-rot-w8"))
    np.testing.assert_allclose(out.reshape(T, 24, 3, 3), expected, atol=1e-4)
    assert jitter(out) < 0.5 * jitter(R.reshape(T, 1, 24, 9))
