"""synsp.adapters.mmhuman3d: MMHuman3D's smooth_process and build_post_processing.

The ``test_data_type_*`` tests mirror MMHuman3D's tests/test_post_processing.py and
``test_inference_smooth_process_on_vertices`` the smooth_process call of its tests/test_apis/test_inference.py;
the others pin each behaviour against scipy or an independent recursion (adapter_refs).
"""

import warnings

import numpy as np
import pytest
import torch
from adapter_refs import (SHIPPED_SMOOTHNET_WINDOWS, UNSHIPPED_SMOOTHNET_WINDOWS, coco17_walk, invert_limbs,
                          is_rotation, jitter, mmhuman3d_gaus1d, mmhuman3d_savgol, one_euro, time_median_gaussian,
                          walk, write_configs)

import synsp
from synsp.adapters import build_post_processing, get_speed_up_interval, smooth_process, speed_up_process
from synsp.adapters.mmhuman3d import DECIWATCH_TYPES
from synsp.geometry import axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_rot6d, nearest_rotation
from synsp.refiners import get_refiner
from synsp.validation import SynspInputError

SMOOTHNET = {w: {"type": "smoothnet", "window_size": w, "output_size": w, "checkpoint": f"smoothnet_windowsize{w}.pth",
                 "device": "cpu"} for w in (8, 16, 32, 64)}
PEER_WINDOWS = sorted(SMOOTHNET)  # MMHuman3D's smoothnet_windowsize<W> configs
SHIPPED = ".*" + ".*".join(f"window_size {w}" for w in SHIPPED_SMOOTHNET_WINDOWS)


def accel(x):
    x = torch.as_tensor(x, dtype=torch.float64)
    return (x[:-2] - 2 * x[1:-1] + x[2:]).abs().mean()


def rotations(T, joints=24, seed=0, noise=0.05):
    aa = walk(T, (joints, 3), 0.3, noise, seed=seed) - 100.0
    return axis_angle_to_matrix(aa)  # (T, joints, 3, 3)


# ---- MMHuman3D's tests/test_post_processing.py --------------------------------------------------


def test_data_type_torch():
    noisy = torch.randn((100, 24, 3))
    filters = [dict(type="OneEuroFilter", min_cutoff=0.004, beta=0.7),
               dict(type="Gaus1dFilter", window_size=11, sigma=4),
               dict(type="SGFilter", window_size=11, polyorder=2)]
    filters += [SMOOTHNET[w] for w in PEER_WINDOWS if w in SHIPPED_SMOOTHNET_WINDOWS]
    for cfg in filters:
        out = build_post_processing(cfg)(noisy)
        assert isinstance(out, torch.Tensor) and out.shape == noisy.shape and out.dtype == noisy.dtype
        assert accel(out) <= accel(noisy), cfg
    for window in set(PEER_WINDOWS) - set(SHIPPED_SMOOTHNET_WINDOWS):  # a clear error naming the shipped windows
        with pytest.raises(SynspInputError, match=rf"window_size={window}; shipped: {SHIPPED}"):
            build_post_processing(SMOOTHNET[window])
    for name in DECIWATCH_TYPES:  # SMPL axis-angles (24, 3): no shipped network, the samples interpolated
        interval, q = (int(v) for v in name[len("deciwatch_interval"):].split("_q"))
        cfg = dict(type="deciwatch", interval=interval, slide_window_q=q, checkpoint=f"{name}.pth.tar", device="cpu")
        with pytest.warns(UserWarning, match=r"no shipped DeciWatch refines \(K, C\) = \(24, 3\)"):
            out = build_post_processing(cfg)(noisy)
        assert isinstance(out, torch.Tensor) and out.shape == noisy.shape and out.dtype == noisy.dtype
        assert accel(out) <= accel(noisy), name


def test_data_type_torch_zero():
    zeros = torch.zeros((50, 20, 3))
    for cfg in [dict(type="OneEuroFilter", min_cutoff=0.004, beta=0.7),
                dict(type="Gaus1dFilter", window_size=11, sigma=4), dict(type="SGFilter", window_size=11, polyorder=2)]:
        out = build_post_processing(cfg)(zeros)
        assert isinstance(out, torch.Tensor) and out.shape == zeros.shape
        assert torch.equal(out, zeros), cfg["type"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_data_type_torch_cuda():
    noisy = torch.randn((100, 24, 3)).cuda()
    for cfg in [dict(type="OneEuroFilter", min_cutoff=0.0004, beta=0.7),
                dict(type="Gaus1dFilter", window_size=6, sigma=1), dict(type="SGFilter", window_size=7, polyorder=2),
                {**SMOOTHNET[8], "device": "cuda:0"}]:
        out = build_post_processing(cfg)(noisy)
        assert out.is_cuda and out.device == noisy.device and out.shape == noisy.shape
        assert accel(out.cpu()) <= accel(noisy.cpu())


def test_data_type_np():
    noisy = np.random.default_rng(1).random((100, 24, 6))
    for cfg in [dict(type="OneEuroFilter", min_cutoff=0.004, beta=0.1),
                dict(type="Gaus1dFilter", window_size=5, sigma=2), dict(type="SGFilter", window_size=5, polyorder=2),
                *(SMOOTHNET[w] for w in PEER_WINDOWS if w in SHIPPED_SMOOTHNET_WINDOWS)]:
        out = build_post_processing(cfg)(noisy)
        assert isinstance(out, np.ndarray) and out.shape == noisy.shape and out.dtype == noisy.dtype


def test_even_window_size_is_one_less_like_mmhuman3d():
    x = walk(40, (24, 3), 0.5, 0.05, seed=2)
    np.testing.assert_allclose(build_post_processing(dict(type="Gaus1dFilter", window_size=6, sigma=1))(x),
                               mmhuman3d_gaus1d(x, 5, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(build_post_processing(dict(type="SGFilter", window_size=8, polyorder=2))(x),
                               mmhuman3d_savgol(x, 7, 2), rtol=1e-12, atol=1e-9)


# ---- MMHuman3D's tests/test_apis/test_inference.py ---------------------------------------------


def test_inference_smooth_process_on_vertices():
    verts = walk(1, (6890, 3), 0.1, 0.01, seed=3).astype(np.float32)
    x = verts.repeat(20, 0) + np.random.default_rng(4).normal(0, 0.01, (20, 6890, 3)).astype(np.float32)
    out = smooth_process(x)  # savgol by default
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, mmhuman3d_savgol(x.astype(np.float64)), rtol=1e-5, atol=1e-5)


# ---- smooth_process on what MMHuman3D's demo passes -----------------------------------------------


DEMO_INPUTS = ["rotmat (T, 24, 9)", "rotmat (T, 24, 3, 3)", "rotmat (T, 2, 24, 9)", "6D (T, 24, 6)",
               "vertices (T, 6890, 3)", "cameras (T, 1, 3)", "cameras (T, 2, 1, 3)"]


def demo_input(kind, T):
    R = rotations(T)
    if kind.startswith("rotmat (T, 2"):
        return np.stack([R.reshape(T, 24, 9), rotations(T, seed=1).reshape(T, 24, 9)], axis=1).astype(np.float32)
    if kind.startswith("rotmat"):
        return (R.reshape(T, 24, 9) if kind.endswith("9)") else R).astype(np.float32)
    if kind.startswith("6D"):
        return matrix_to_rot6d(R).astype(np.float32)
    if kind.startswith("vertices"):
        return walk(T, (6890, 3), 0.1, 0.01, seed=5, offset=0.0).astype(np.float32)
    cams = walk(T, (1, 3), 0.2, 0.02, seed=6, offset=0.5).astype(np.float32)
    return np.stack([cams, cams[::-1]], axis=1) if "2, 1" in kind else cams


@pytest.mark.parametrize("smooth_type", ["smoothnet", *(f"smoothnet_windowsize{w}" for w in SHIPPED_SMOOTHNET_WINDOWS)])
@pytest.mark.parametrize("kind", DEMO_INPUTS)
def test_smoothnet_on_the_demo_inputs(smooth_type, kind):
    if kind.startswith("vertices") and smooth_type != "smoothnet":
        pytest.skip("vertices once (the network runs on 20,673 channels)")
    T = 8 if kind.startswith("vertices") else 80
    x = demo_input(kind, T)
    out = smooth_process(x, smooth_type=smooth_type)
    assert out.shape == x.shape and out.dtype == x.dtype
    if kind.startswith("rotmat"):
        assert is_rotation(out)  # rotation matrices stay rotations
    if not kind.startswith("vertices"):
        assert jitter(out) < 0.6 * jitter(x)


def test_smoothnet_short_input_is_returned_unchanged():
    x = walk(7, (24, 6), 0.3, 0.03, seed=7)
    np.testing.assert_array_equal(smooth_process(x, "smoothnet_windowsize8"), x)
    np.testing.assert_array_equal(smooth_process(x[:, None], "smoothnet_windowsize32"), x[:, None])


def test_smoothnet_window_without_shipped_weights_names_the_shipped_windows():
    for window in UNSHIPPED_SMOOTHNET_WINDOWS:
        with pytest.raises(SynspInputError, match=rf"window_size={window}; shipped: {SHIPPED}"):
            build_post_processing({**SMOOTHNET[8], "window_size": window, "output_size": window})
        if window in PEER_WINDOWS:
            with pytest.raises(SynspInputError, match=rf"window_size={window}; shipped: {SHIPPED}"):
                smooth_process(np.zeros((80, 24, 9)), smooth_type=f"smoothnet_windowsize{window}")


# ---- DeciWatch --------------------------------------------------------------------------------------


def sampled_only(x, interval):
    """``x`` with every frame up to the last sampled one that is not sampled set to zero (MMHuman3D's demo)."""
    z = x.copy()
    last = (len(x) - 1) // interval * interval
    skip = np.arange(len(x)) % interval != 0
    skip[last + 1:] = False
    z[skip] = 0
    return z


def linear_from_samples(x, interval):
    """Frames up to the last sampled one by np.interp of the samples, per channel; the rest as they are."""
    T = len(x)
    last = (T - 1) // interval * interval
    t = np.arange(last + 1)
    flat = x.reshape(T, -1).astype(np.float64)
    out = flat.copy()
    for c in range(flat.shape[1]):
        out[: last + 1, c] = np.interp(t, t[::interval], flat[: last + 1: interval, c])
    return out.reshape(x.shape)


def slerp_from_samples(R, interval):
    """Rotation matrices ``(T, J, 3, 3)``: each joint's samples slerped by scipy, up to the last sample."""
    from scipy.spatial.transform import Rotation, Slerp

    T = len(R)
    last = (T - 1) // interval * interval
    out = np.array(R, dtype=np.float64, copy=True)
    keys = np.arange(0, last + 1, interval)
    for j in range(R.shape[1]):
        out[: last + 1, j] = Slerp(keys, Rotation.from_matrix(R[keys, j]))(np.arange(last + 1)).as_matrix()
    return out


@pytest.mark.parametrize("interval", [5, 10])
def test_deciwatch_reads_only_the_sampled_frames(interval):
    x = walk(63, (17, 3), 0.5, 0.02, seed=8) - 100.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # interval 5 without its network warns
        out = smooth_process(x, f"deciwatch_interval{interval}_q3")
        np.testing.assert_array_equal(smooth_process(sampled_only(x, interval), f"deciwatch_interval{interval}_q3"),
                                      out)
    last = 62 // interval * interval
    np.testing.assert_array_equal(out[last + 1:], x[last + 1:])  # after the last sample: as estimated


@pytest.mark.parametrize("interval,model", [(10, "deciwatch-h36m17-3d-w101"),
                                            (5, "deciwatch-h36m17-3d-w101-interval5")])
def test_deciwatch_runs_the_shipped_network_of_the_interval_on_the_interpolated_samples(interval, model):
    x = walk(63, (17, 3), 0.5, 0.02, seed=8) - 100.0
    last = 62 // interval * interval
    base = linear_from_samples(x, interval)
    want = base.copy()
    want[:last + 1] = get_refiner(model, stride=interval)(base[:last + 1])  # windows start on samples
    for q in (1, 5):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a shipped network: no warning
            np.testing.assert_allclose(smooth_process(x, f"deciwatch_interval{interval}_q{q}"), want, rtol=1e-6,
                                       atol=1e-9)


@pytest.mark.parametrize("layout", ["(T, 24, 9)", "(T, 24, 3, 3)", "(T, 2, 24, 9)"])
def test_deciwatch_on_smpl_rotation_matrices_slerps_the_samples(layout):
    T = 53
    R = rotations(T, seed=3)
    want = slerp_from_samples(R, 5)
    x = {"(T, 24, 9)": R.reshape(T, 24, 9), "(T, 24, 3, 3)": R,
         "(T, 2, 24, 9)": np.stack([R.reshape(T, 24, 9)] * 2, axis=1)}[layout]
    with pytest.warns(UserWarning, match="rotation matrices along the shortest arc"):
        out = smooth_process(sampled_only(x, 5), "deciwatch_interval5_q3")
    assert out.shape == x.shape and is_rotation(out)
    got = out.reshape(T, -1, 24, 3, 3)
    for p in range(got.shape[1]):
        np.testing.assert_allclose(got[:, p], want, atol=1e-9)


def test_deciwatch_on_smpl_axis_angles_slerps_like_mmhuman3d_reads_them():
    from synsp.geometry import matrix_to_axis_angle

    T = 41
    R = rotations(T, seed=4)
    aa = matrix_to_axis_angle(R)  # (T, 24, 3), every vector at most pi long
    with pytest.warns(UserWarning, match="SMPL axis-angles along the shortest arc"):
        out = smooth_process(aa, "deciwatch_interval10_q2")
    np.testing.assert_allclose(axis_angle_to_matrix(out), slerp_from_samples(R, 10), atol=1e-9)


@pytest.mark.parametrize("kind", ["6D (T, 24, 6)", "vertices (T, 6890, 3)", "cameras (T, 1, 3)",
                                  "cameras (T, 2, 1, 3)"])
def test_deciwatch_on_other_demo_inputs_interpolates_the_samples_linearly(kind):
    x = demo_input(kind, 27)
    with pytest.warns(UserWarning, match="interpolated \\(linearly\\), with no learned recovery"):
        out = smooth_process(sampled_only(x, 5), "deciwatch_interval5_q1")
    assert out.shape == x.shape and out.dtype == x.dtype
    np.testing.assert_allclose(out, linear_from_samples(x, 5), rtol=1e-6, atol=1e-6)


def test_speed_up_process_like_the_mmhuman3d_demo():
    assert get_speed_up_interval("deciwatch") == 5  # 'deciwatch' is deciwatch_interval5_q3
    assert get_speed_up_interval("deciwatch_interval10_q4") == 10
    with pytest.warns(UserWarning):
        out = speed_up_process(torch.ones(100, 24, 3, 3))  # MMHuman3D's test_inference.py call
    assert isinstance(out, np.ndarray) and out.shape == (100, 24, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.ones((100, 24, 3, 3)))
    R = rotations(31, seed=5)
    both = torch.as_tensor(sampled_only(np.stack([R, R], axis=1), 10))  # (T, persons, 24, 3, 3)
    with pytest.warns(UserWarning):
        out = speed_up_process(both, "deciwatch_interval10_q3")
    assert out.shape == (31, 2, 24, 3, 3) and out.dtype == np.float64
    np.testing.assert_allclose(out[:, 1], slerp_from_samples(R, 10), atol=1e-9)
    with pytest.raises(SynspInputError, match="speed_up_type is 'smoothnet'"):
        speed_up_process(both, "smoothnet")


# ---- cfg_base_dir -------------------------------------------------------------------------------


def test_cfg_base_dir_reads_mmhuman3d_config_names(tmp_path):
    folder = write_configs(tmp_path, {
        "savgol.py": "smooth_cfg = dict(type='savgol', window_size=5, polyorder=2)\n",
        "gaus1d.py": "smooth_cfg = dict(type='gaus1d', window_size=7, sigma=2)\n",
        "oneeuro.py": "smooth_cfg = dict(type='oneeuro', min_cutoff=0.02, beta=0.01)\n",
        "smoothnet_windowsize8.py": "smooth_cfg = dict(type='smoothnet', window_size=8, output_size=8,\n"
                                    "    checkpoint='https://example.org/smoothnet_windowsize8.pth.tar')\n",
        "deciwatch_interval5_q1.py": "speed_up_cfg = dict(type='deciwatch', interval=7, slide_window_q=1,\n"
                                     "    checkpoint='deciwatch_interval5_q1.pth.tar')\n",
    })
    x = walk(30, (24, 3), 0.5, 0.02, seed=9)
    np.testing.assert_allclose(smooth_process(x, "savgol", cfg_base_dir=folder), mmhuman3d_savgol(x, 5, 2),
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(smooth_process(x, "gaus1d", cfg_base_dir=folder), mmhuman3d_gaus1d(x, 7, 2),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(smooth_process(x, "oneeuro", cfg_base_dir=folder), one_euro(x, 0.02, 0.01),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(smooth_process(x, "smoothnet", cfg_base_dir=folder),  # reads smoothnet_windowsize8.py
                               smooth_process(x, "smoothnet_windowsize8", cfg_base_dir=None), rtol=1e-12)
    assert get_speed_up_interval("deciwatch_interval5_q1", cfg_base_dir=folder) == 7  # speed_up_cfg is read
    with pytest.warns(UserWarning, match="DeciWatch interval 7"):
        smooth_process(x, "deciwatch_interval5_q1", cfg_base_dir=folder)
    with pytest.raises(SynspInputError, match=r"smoothnet_windowsize32\.py' does not exist"):
        smooth_process(x, "smoothnet_windowsize32", cfg_base_dir=folder)


def test_cfg_base_dir_defaults_like_mmhuman3d(tmp_path, monkeypatch):
    x = walk(30, (24, 3), 0.5, 0.02, seed=10)
    monkeypatch.chdir(tmp_path)  # no configs here: MMHuman3D's settings, built in
    np.testing.assert_allclose(smooth_process(x), mmhuman3d_savgol(x, 11, 2), rtol=1e-12, atol=1e-9)
    (tmp_path / "configs/_base_/post_processing").mkdir(parents=True)  # MMHuman3D's relative default folder
    (tmp_path / "configs/_base_/post_processing/savgol.py").write_text(
        "smooth_cfg = dict(type='savgol', window_size=7, polyorder=3)\n")
    np.testing.assert_allclose(smooth_process(x), mmhuman3d_savgol(x, 7, 3), rtol=1e-12, atol=1e-9)


# ---- types in and out -------------------------------------------------------------------------------


@pytest.mark.parametrize("smooth_type", ["oneeuro", "gaus1d", "savgol", "smoothnet", "gaus1d_time"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tensor_in_tensor_out_same_dtype_and_device(smooth_type, dtype):
    x = torch.as_tensor(walk(30, (2, 24, 3), 0.5, 0.05, seed=11), dtype=dtype)
    out = smooth_process(x, smooth_type=smooth_type)
    assert isinstance(out, torch.Tensor) and out.dtype == dtype and out.device == x.device and out.shape == x.shape
    np.testing.assert_allclose(out.numpy(), smooth_process(x.numpy(), smooth_type=smooth_type), rtol=1e-6)
    f = build_post_processing({"type": "gaus1d" if smooth_type == "gaus1d" else "savgol"})
    y = f(x[:, 0])
    assert isinstance(y, torch.Tensor) and y.dtype == dtype
    assert isinstance(f(x[:, 0].numpy()), np.ndarray)


def test_integer_input_as_mmhuman3d():
    x = np.random.default_rng(12).integers(-500, 500, (30, 24, 3))
    out = smooth_process(x, "savgol")
    assert out.dtype == x.dtype  # written into integer arrays: truncated towards zero
    np.testing.assert_array_equal(out, mmhuman3d_savgol(x))
    np.testing.assert_array_equal(smooth_process(x, "gaus1d"), mmhuman3d_gaus1d(x))  # scipy's integer path
    np.testing.assert_array_equal(smooth_process(x, "oneeuro"), np.trunc(one_euro(x, 0.004, 0.7)).astype(x.dtype))


# ---- the filters' definitions -------------------------------------------------------------------


def test_gaus1d_is_a_2d_median_over_keypoints_and_time():
    x = walk(40, (24, 3), 0.5, 0.05, seed=13)
    out = smooth_process(x, "gaus1d")
    np.testing.assert_allclose(out, mmhuman3d_gaus1d(x), rtol=1e-12, atol=1e-12)
    four = np.stack([x, x[::-1]], axis=1)  # persons independently
    np.testing.assert_allclose(smooth_process(four, "gaus1d")[:, 1], mmhuman3d_gaus1d(x[::-1].copy()),
                               rtol=1e-12, atol=1e-12)


def test_gaus1d_time_is_the_median_over_time_only():
    x = walk(40, (24, 3), 0.5, 0.05, seed=14)
    np.testing.assert_allclose(smooth_process(x, "gaus1d_time"), time_median_gaussian(x), rtol=1e-12, atol=1e-12)
    assert np.abs(smooth_process(x, "gaus1d_time") - smooth_process(x, "gaus1d")).max() > 1e-3


def test_gaus1d_zeroes_the_outer_keypoints_first_and_last_frames_like_mmhuman3d():
    x = walk(40, (24, 3), 0.5, 0.05, seed=22)  # positive values: the padding zeros sort first
    out = smooth_process(x, "gaus1d")
    np.testing.assert_array_equal(out[[0, -1]][:, [0, -1]], mmhuman3d_gaus1d(x)[[0, -1]][:, [0, -1]])
    assert np.abs(out[[0, -1]][:, [0, -1]]).max() < 0.5 * np.abs(x).min()  # pulled towards zero
    assert np.abs(smooth_process(x, "gaus1d_time") - x).max() < 0.05 * np.abs(x).min()


def test_gaus1d_with_few_keypoints_warns_that_the_output_is_zero():
    cams = walk(30, (1, 3), 0.2, 0.02, seed=15)
    with pytest.warns(UserWarning, match="output is zero.*gaus1d_time"):
        out = smooth_process(cams, "gaus1d")
    np.testing.assert_array_equal(out, mmhuman3d_gaus1d(cams))
    assert not out.any()


@pytest.mark.parametrize("T", [2, 4, 6, 8, 10, 3, 7])
def test_savgol_short_sequence_like_mmhuman3d(T):
    x = walk(T, (24, 3), 0.5, 0.05, seed=16)
    np.testing.assert_allclose(smooth_process(x, "savgol"), mmhuman3d_savgol(x), rtol=1e-12, atol=1e-9)


def test_gaus1d_even_short_sequence_uses_one_frame_less():
    x = walk(8, (24, 3), 0.5, 0.05, seed=17)  # MMHuman3D's medfilt raises on the even window 8
    np.testing.assert_allclose(smooth_process(x, "gaus1d"), mmhuman3d_gaus1d(x, 7), rtol=1e-12, atol=1e-12)


def test_oneeuro_like_mmhuman3d():
    x = walk(50, (2, 24, 3), 0.5, 0.05, seed=18)
    got = smooth_process(x, "oneeuro")
    for p in range(2):
        np.testing.assert_allclose(got[:, p], one_euro(x[:, p], 0.004, 0.7), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("smooth_type", ["oneeuro", "gaus1d", "savgol", "gaus1d_time"])
@pytest.mark.parametrize("shape,dtype", [((50, 17, 3), np.float32), ((50, 2, 24, 2), np.float64),
                                         ((50, 12, 5), np.float32)])
def test_smooth_process_keeps_shape_and_dtype_and_reduces_jitter(smooth_type, shape, dtype):
    x = walk(shape[0], shape[1:], 0.5, 0.02, seed=19).astype(dtype)
    out = smooth_process(x, smooth_type=smooth_type)
    assert out.shape == x.shape and out.dtype == x.dtype
    if smooth_type != "gaus1d":  # gaus1d zeroes the outer keypoints' first and last frames (see below)
        assert jitter(out) < 0.5 * jitter(x)


@pytest.mark.parametrize("layout", ["9", "3x3"])
@pytest.mark.parametrize("smooth_type", ["savgol", "oneeuro", "gaus1d"])
def test_filters_keep_rotation_matrices_valid(layout, smooth_type):
    T = 60
    R = rotations(T, seed=20).astype(np.float32)
    x = R.reshape(T, 24, 9) if layout == "9" else R
    if smooth_type == "gaus1d":
        with pytest.warns(UserWarning, match="mixes the rotations of neighbouring joints"):
            out = smooth_process(x, smooth_type)
    else:
        out = smooth_process(x, smooth_type)
    assert out.shape == x.shape and out.dtype == np.float32 and is_rotation(out)
    # entry by entry as MMHuman3D on the (T, 24, 9) layout, then the nearest rotation
    entrywise = {"savgol": mmhuman3d_savgol, "gaus1d": mmhuman3d_gaus1d,
                 "oneeuro": lambda a: one_euro(a, 0.004, 0.7)}[smooth_type](R.reshape(T, 24, 9).astype(np.float64))
    m = entrywise.reshape(T, 24, 3, 3)
    sound = np.linalg.det(m) > 0.1  # gaus1d's block median leaves matrices far from any rotation
    assert sound.mean() > (0.3 if smooth_type == "gaus1d" else 0.99)
    np.testing.assert_allclose(out.reshape(T, 24, 3, 3)[sound], nearest_rotation(m[sound]), atol=1e-5)
    if smooth_type != "gaus1d":
        assert jitter(out) < 0.6 * jitter(x)
        assert np.abs(out.reshape(T, 24, 9) - entrywise).max() < 0.1  # the projection moves little


def test_synsp_uses_the_shipped_networks():
    x = walk(30, (17, 3), 0.5, 0.02, seed=21) - 100.0
    x4 = np.stack([x, x[::-1]], axis=1)
    want = np.stack([synsp.refine(x4[:, p]) for p in range(2)], axis=1)  # each person alone
    np.testing.assert_allclose(smooth_process(x4, "synsp"), want, atol=1e-9)


def test_synsp_repairs_left_right_inversions_of_each_person():
    a, b = coco17_walk(50, seed=31), coco17_walk(50, seed=32)[::-1]
    x = np.stack([invert_limbs(a, slice(10, 30)), invert_limbs(b, slice(25, 40))], axis=1)  # (T, 2, 17, 2)
    refiner = get_refiner(synsp.api.choose_model(17, 2)[0])  # what synsp.refine uses
    want = np.stack([refiner(a), refiner(b)], axis=1)  # each person as if never inverted
    np.testing.assert_allclose(smooth_process(x, "synsp"), want, atol=1e-6)
    np.testing.assert_allclose(smooth_process(x, "synsp", repair=False),
                               np.stack([refiner(x[:, 0]), refiner(x[:, 1])], axis=1), atol=1e-6)


def test_mmhuman3d_types_are_not_repaired_unless_asked():
    a = coco17_walk(50, seed=33)
    x = invert_limbs(a, slice(10, 30))
    np.testing.assert_allclose(smooth_process(x, "savgol"), mmhuman3d_savgol(x), atol=1e-9)  # MMHuman3D's result
    np.testing.assert_allclose(smooth_process(x, "savgol", repair=True), mmhuman3d_savgol(a), atol=1e-9)
    R = rotations(30)  # rotations are never relabelled (mirroring a joint's rotation is not a relabelling)
    np.testing.assert_allclose(smooth_process(R.reshape(30, 24, 9), "savgol", repair=True),
                               smooth_process(R.reshape(30, 24, 9), "savgol"), atol=0)


def test_synsp_refines_smpl_rotation_matrices_with_the_rotation_network():
    from synsp.rotations import refine_rotations

    T = 40
    aa = walk(T, (24, 3), 0.3, 0.05, seed=16) - 100.0
    R = axis_angle_to_matrix(aa).astype(np.float32)
    out = smooth_process(R.reshape(T, 1, 24, 9), "synsp")
    assert out.shape == (T, 1, 24, 9) and out.dtype == np.float32
    expected = axis_angle_to_matrix(refine_rotations(aa, "synsp-universal-w16-rot"))  # the default rotation model
    np.testing.assert_allclose(out.reshape(T, 24, 3, 3), expected, atol=1e-4)
    assert jitter(out) < 0.5 * jitter(R.reshape(T, 1, 24, 9))


def test_synsp_refines_other_joint_counts_of_rotation_matrices_with_the_universal_model():
    """SMPL-X's ``body_pose`` (21 joints, no global orientation) is not 24 SMPL joints: the universal model
    trained on rotations refines it; without it installed, the error names what would."""
    from synsp.rotations import UNIVERSAL_ROTATION_MODEL, refine_rotations

    T = 40
    aa = walk(T, (21, 3), 0.3, 0.05, seed=17) - 100.0
    R = axis_angle_to_matrix(aa).astype(np.float32)
    out = smooth_process(R.reshape(T, 21, 3, 3), "synsp")
    assert out.shape == (T, 21, 3, 3) and out.dtype == np.float32
    expected = axis_angle_to_matrix(refine_rotations(aa, UNIVERSAL_ROTATION_MODEL))
    np.testing.assert_allclose(out, expected, atol=1e-4)
    assert jitter(out.reshape(T, 1, 21, 9)) < 0.5 * jitter(R.reshape(T, 1, 21, 9))
    two = smooth_process(np.stack([R.reshape(T, 21, 9)] * 2, axis=1), "synsp")  # (T, persons, K, 9)
    np.testing.assert_allclose(two[:, 1].reshape(T, 21, 3, 3), out, atol=1e-4)
    with pytest.raises(SynspInputError, match="rotation network for 300 joints"):
        smooth_process(np.broadcast_to(np.eye(3).ravel(), (20, 300, 9)).copy(), smooth_type="synsp")


def test_errors_list_what_exists():
    x = np.zeros((20, 17, 3))
    with pytest.raises(SynspInputError, match="expected one of oneeuro, gaus1d, savgol, smoothnet.*deciwatch.*synsp"):
        smooth_process(x, smooth_type="kalman")
    with pytest.raises(SynspInputError, match="K = 24 keypoints with C = 9"):
        smooth_process(np.ones((20, 24, 9)), smooth_type="synsp")  # not rotations: no model for it
    with pytest.raises(SynspInputError, match=r"expected a non-empty numeric array"):
        smooth_process(np.zeros((20, 3)))
    with pytest.raises(SynspInputError, match="inf"):
        smooth_process(np.full((20, 2, 3), np.inf))
    with pytest.raises(SynspInputError, match="expected one of OneEuroFilter"):
        build_post_processing({"type": "kalman"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a valid call warns about nothing
        smooth_process(x + 1.0, "gaus1d")


def test_synsp_reads_smpl_axis_angles_as_rotations_and_a_root_centred_body_as_points():
    # MMHuman3D's SmoothNet reads C = 3 as axis-angles: (T, 24, 3) SMPL poses go through the rotation network
    # (they were refined as 24 points, the global orientation turned by up to 110 degrees); 24 joint positions
    # of one body, root-centred in metres (every vector shorter than pi too), stay points: their bones are rigid
    from synsp.data.corpus import embedded_corpus_path, load_corpus
    from synsp.rotations import refine_rotations
    from synsp.skeletons import get_skeleton

    aa = load_corpus(embedded_corpus_path(), skeleton="h36m17", rotations=True)[0].rotations[:40].astype(np.float64)
    aa = aa + np.random.default_rng(5).normal(0, 0.03, aa.shape)
    out = smooth_process(aa, "synsp")
    np.testing.assert_allclose(out, refine_rotations(aa, "synsp-universal-w16-rot"), atol=1e-6)
    np.testing.assert_allclose(smooth_process(aa[:, None], "synsp")[:, 0], out, atol=1e-9)
    rng = np.random.default_rng(6)
    parents = get_skeleton("smpl24").parents
    rest = np.zeros((24, 3))
    for j in range(1, 24):
        rest[j] = rest[parents[j]] + rng.normal(0, 0.12, 3)
    turn = np.linspace(0, 1.5, 40)
    body = np.stack([rest @ np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]]) for a in turn])
    body = body - body[:, :1] + rng.normal(0, 0.005, body.shape)
    assert np.linalg.norm(body, axis=-1).max() < np.pi
    np.testing.assert_allclose(smooth_process(body, "synsp"), synsp.refine(body), atol=1e-9)


@pytest.mark.parametrize("smooth_type", ["savgol", "oneeuro", "gaus1d", "gaus1d_time", "smoothnet", "synsp"])
def test_an_all_nan_person_comes_back_nan_and_the_others_as_alone(smooth_type):
    # an empty slot of (frames, persons, K, C): it raised, naming no person ("channel (0, 0) is NaN in every
    # frame") or the wrong one ("person/view 0"); MMHuman3D's loop over persons gives it back
    x = np.random.default_rng(11).normal(0, 1, (30, 2, 17, 3)).cumsum(0)
    x[:, 1] = np.nan
    out = smooth_process(x, smooth_type, cfg_base_dir=None)
    assert np.isnan(out[:, 1]).all()
    np.testing.assert_allclose(out[:, 0], smooth_process(x[:, 0], smooth_type, cfg_base_dir=None), atol=1e-9)


@pytest.mark.parametrize("smooth_type", ["savgol", "gaus1d", "smoothnet"])
def test_a_channel_nan_in_every_frame_comes_back_nan_and_the_rest_smoothed(smooth_type):
    x = np.random.default_rng(12).normal(0, 1, (30, 17, 3)).cumsum(0)
    x[:, 4] = np.nan
    out = smooth_process(x, smooth_type, cfg_base_dir=None)
    assert np.isnan(out[:, 4]).all() and np.isfinite(np.delete(out, 4, axis=1)).all()


def test_an_error_of_one_person_names_it():
    x = np.random.default_rng(11).normal(0, 1, (30, 2, 17, 3)).cumsum(0)
    x[:, 1, 3] = np.nan  # DeciWatch's network refines 17 joints: one missing in every sampled frame raises
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SynspInputError, match=r"^person 1 \(x\[:, 1\]\): .*joint 3"):
            smooth_process(x, "deciwatch_interval10_q1", cfg_base_dir=None)


# ---- SMPL rotations: axis-angles beyond pi, through a half turn; persons of any joint count -------------------


def angle_deg(a, b):
    """The angle between the rotations of axis-angles ``a`` and ``b`` ``(..., 3)``, in degrees."""
    m = np.swapaxes(axis_angle_to_matrix(np.asarray(a, np.float64)), -1, -2) @ axis_angle_to_matrix(b)
    return np.degrees(np.arccos(np.clip((np.trace(m, axis1=-2, axis2=-1) - 1) / 2, -1, 1)))


def swinging_poses(T=100, seed=61):
    """SMPL axis-angles ``(T, 24, 3)``, clean and with 2 degrees of noise: smooth rotations, joint 5 swinging
    through a half turn (120 to 200 degrees about one axis, so its axis-angle flips where it passes pi)."""
    clean = walk(T, (24, 3), 0.1, 0.0, seed, offset=0.0) + np.random.default_rng(seed).normal(0, 0.5, (24, 3))
    axis = np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8])
    clean[:, 5] = np.radians(160 + 40 * np.sin(2 * np.pi * 0.3 * np.arange(T) / 30))[:, None] * axis
    clean = matrix_to_axis_angle(axis_angle_to_matrix(clean))  # every vector at most pi long
    shake = np.random.default_rng(seed + 1).normal(0, np.radians(2), clean.shape)
    noisy = matrix_to_axis_angle(axis_angle_to_matrix(shake) @ axis_angle_to_matrix(clean))
    return clean, noisy


def test_synsp_reads_smpl_axis_angles_longer_than_pi_as_rotations():
    # fitted outputs hold axis-angles up to 2 pi long: one such vector made the whole array read as 24 joint
    # positions (refined as points: up to 143 degrees off); it is the same rotation as the short one
    from synsp.rotations import looks_like_axis_angles

    clean, noisy = swinging_poses()
    long = noisy.copy()
    n = np.linalg.norm(noisy[50, 5])
    long[50, 5] = -noisy[50, 5] / n * (2 * np.pi - n)
    assert np.linalg.norm(long[50, 5]) > np.pi and angle_deg(long[50, 5], noisy[50, 5]) < 1e-6
    assert looks_like_axis_angles(long) and looks_like_axis_angles(long.astype(np.float32))
    out = smooth_process(long, "synsp", cfg_base_dir=None)
    assert angle_deg(out, clean).max() < 15
    assert angle_deg(out, smooth_process(noisy, "synsp", cfg_base_dir=None)).max() < 0.5


def test_joint_positions_far_from_the_origin_are_not_axis_angles():
    # noisy joint positions whose bones alone do not tell (root-centred they read as axis-angles) are far from
    # the origin here: most vectors beyond pi, or a few frames where the whole body is
    from synsp.rotations import looks_like_axis_angles
    from synsp.skeletons import get_skeleton

    rng = np.random.default_rng(7)
    parents = get_skeleton("smpl24").parents
    rest = np.zeros((24, 3))
    for j in range(1, 24):
        rest[j] = rest[parents[j]] + rng.normal(0, 0.12, 3)
    body = rest - rest[:1] + rng.normal(0, 0.05, (60, 24, 3))
    assert looks_like_axis_angles(body)
    away = body + np.array([0.0, 0.3, 4.0])
    assert not looks_like_axis_angles(away) and np.linalg.norm(away, axis=-1).max() < 2 * np.pi
    walking = body + np.linspace([0, 0.3, 0.5], [0, 0.3, 3.1], 60)[:, None]  # near pi only in its last frames
    assert 0 < (np.linalg.norm(walking, axis=-1) > np.pi + 0.01).mean() < 0.1
    assert not looks_like_axis_angles(walking)
    assert not looks_like_axis_angles(body + np.array([0.0, 0.0, 7.0]))  # beyond 2 pi


@pytest.mark.parametrize("smooth_type", ["savgol", "oneeuro", "gaus1d_time", "smoothnet"])
def test_mmhuman3d_types_smooth_smpl_axis_angles_as_rotations(smooth_type):
    # component by component (as MMHuman3D) the joint swinging through a half turn came back 128-164 degrees
    # off where its axis-angle flips; as its rotation matrices, 3-10 degrees
    T = 100
    clean, noisy = swinging_poses(T)
    out = smooth_process(noisy, smooth_type, cfg_base_dir=None)
    matrices = smooth_process(axis_angle_to_matrix(noisy).reshape(T, 24, 9), smooth_type, cfg_base_dir=None)
    assert out.shape == noisy.shape and out.dtype == noisy.dtype and np.linalg.norm(out, axis=-1).max() < np.pi + 1e-6
    np.testing.assert_allclose(out, matrix_to_axis_angle(matrices.reshape(T, 24, 3, 3)), atol=1e-9)
    assert angle_deg(out[:, 5], clean[:, 5]).max() < 15
    two = smooth_process(np.stack([noisy, noisy[::-1]], axis=1), smooth_type, cfg_base_dir=None)  # persons alone
    np.testing.assert_allclose(two[:, 0], out, atol=1e-9)
    got = smooth_process(torch.tensor(noisy, dtype=torch.float32), smooth_type, cfg_base_dir=None)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float32 and got.shape == noisy.shape
    assert angle_deg(got.numpy(), out).max() < 0.1


def test_synsp_refines_each_persons_rotation_matrices_alone_whatever_their_joint_count():
    # 8 persons of 21 joints (168 = 7 x 24) were regrouped into 7 "bodies" of 24 joints, mixing the persons
    T, P, K = 40, 8, 21
    R = axis_angle_to_matrix(walk(T, (P, K, 3), 0.3, 0.05, seed=18, offset=0.0)).reshape(T, P, K, 9)
    out = smooth_process(R, "synsp", cfg_base_dir=None)
    alone = np.stack([smooth_process(R[:, p], "synsp", cfg_base_dir=None) for p in range(P)], axis=1)
    np.testing.assert_allclose(out, alone, atol=1e-9)


@pytest.mark.parametrize("smooth_type", ["savgol", "synsp"])
def test_an_all_nan_person_of_rotations_comes_back_nan(smooth_type):
    T = 30
    R = axis_angle_to_matrix(walk(T, (2, 24, 3), 0.3, 0.05, seed=19, offset=0.0)).reshape(T, 2, 24, 9)
    R[:, 1] = np.nan  # the projection onto rotations raised (SVD of NaN); the rotation network named no person
    out = smooth_process(R, smooth_type, cfg_base_dir=None)
    assert np.isnan(out[:, 1]).all()
    np.testing.assert_allclose(out[:, 0], smooth_process(R[:, 0], smooth_type, cfg_base_dir=None), atol=1e-9)
