"""Virtual cameras, multi-view sets, random combinations and similar-pose groups."""

import numpy as np
import pytest

from synsp.data.corpus import load_corpus
from synsp.data.cameras import (Camera, from_camera, look_at, multi_view, project, random_camera, to_camera,
                                view_depth_axes)
from synsp.data.groups import random_combination, random_groups
from synsp.data.pose_bank import PoseBank, draw_windows, pose_descriptor, similar_pose_groups
from synsp.geometry import euler_to_matrix
from synsp.noise import simulate
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

SK = get_skeleton("h36m17")


@pytest.fixture(scope="module")
def clips():
    return load_corpus()


@pytest.fixture(scope="module")
def bank(clips):
    return PoseBank.from_clips(clips, window=8, size=3000, seed=0)


def cameras(n, seed=0, center=(0.0, 1.0, 0.0)):
    rng = np.random.default_rng(seed)
    return [random_camera(rng, np.array(center)) for _ in range(n)]


# ---- cameras -------------------------------------------------------------------------------


def test_point_on_the_optical_axis_projects_to_the_principal_point():
    for cam in cameras(20):
        for depth in (0.5, 3.0, 40.0):
            pixel, z = project(cam.position + depth * cam.viewing_direction, cam)
            np.testing.assert_allclose(pixel, cam.principal, atol=1e-9)
            assert z == pytest.approx(depth)


def test_look_at_target_is_the_image_centre_and_axes_follow_opencv():
    cam = look_at((0.0, 1.0, 5.0), (0.0, 1.0, 0.0), focal=1000.0, image_size=(1920, 1080))
    np.testing.assert_allclose(project(np.array([0.0, 1.0, 0.0]), cam)[0], (960.0, 540.0))
    # looking along -z with y up: world +x is image right, world +y is image up
    right, depth = project(np.array([0.5, 1.0, 0.0]), cam)
    above, _ = project(np.array([0.0, 1.5, 0.0]), cam)
    assert right[0] == pytest.approx(960.0 + 1000.0 * 0.5 / 5.0) and depth == pytest.approx(5.0)
    assert above[1] == pytest.approx(540.0 - 1000.0 * 0.5 / 5.0)
    np.testing.assert_allclose(to_camera(np.array([0.5, 1.5, 0.0]), cam), (0.5, -0.5, 5.0), atol=1e-12)


def test_to_camera_then_back_is_identity():
    x = np.random.default_rng(1).normal(size=(30, 17, 3))
    for cam in cameras(5):
        np.testing.assert_allclose(from_camera(to_camera(x, cam), cam), x, atol=1e-12)


def test_random_cameras_stay_in_their_ranges():
    rng = np.random.default_rng(2)
    for _ in range(200):
        cam = random_camera(rng, np.zeros(3))
        d = np.linalg.norm(cam.position)
        pitch = np.degrees(np.arcsin(cam.position[1] / d))
        fit = np.sqrt(1.0 + (cam.focal[0] / (0.45 * min(cam.image_size))) ** 2)  # 1 m subject fills 90 %
        assert 2.5 - 1e-9 <= d <= max(8.0, fit) + 1e-9
        assert -10.0 - 1e-6 <= pitch <= 40.0 + 1e-6
        assert 500.0 <= cam.focal[0] <= 1500.0 and cam.image_size in ((1000, 1000), (1920, 1080))
        np.testing.assert_allclose(np.linalg.det(cam.R), 1.0)


def test_subject_is_inside_the_image_for_random_cameras(clips):
    """Every joint of a standing person (radius 1 m about the joint box centre) projects inside."""
    rng = np.random.default_rng(3)
    inside = []
    for clip in clips:
        for pose in clip.positions[:: 25]:
            center = (pose.min(0) + pose.max(0)) / 2.0
            cam = random_camera(rng, center)
            pixel, depth = project(pose, cam)
            w, h = cam.image_size
            inside.append(bool((depth > 0).all() and (pixel >= 0).all() and (pixel < (w, h)).all()))
    assert np.mean(inside) >= 0.99


def test_a_whole_clip_stays_in_view_when_the_radius_covers_it(clips):
    rng = np.random.default_rng(4)
    for clip in clips[:10]:
        x = clip.positions.astype(np.float64)
        center = (x.min((0, 1)) + x.max((0, 1))) / 2.0
        cam = random_camera(rng, center, radius=float(np.linalg.norm(x - center, axis=-1).max()))
        pixel, depth = project(x, cam)
        assert (depth > 0).all() and (pixel >= 0).all() and (pixel < cam.image_size).all()


def test_camera_rejects_a_reflection():
    with pytest.raises(SynspInputError):
        Camera(np.diag([1.0, 1.0, -1.0]), np.zeros(3), (1000, 1000), (500, 500), (1000, 1000))


# ---- multi-view ----------------------------------------------------------------------------


def test_camera_frame_views_differ_by_the_relative_rotation(clips):
    gt = clips[0].positions[:100].astype(np.float64)
    cams = cameras(4, center=gt[:, 0].mean(0))
    views = multi_view(gt, cams, "camera")
    rel = multi_view(gt, cams, "camera", root_relative=True, skeleton=SK)
    for p in range(1, 4):
        R = cams[p].R @ cams[0].R.T  # camera 0 -> camera p
        np.testing.assert_allclose(rel[:, p], rel[:, 0] @ R.T, atol=1e-9)
        world = (views[:, 0] - cams[0].t) @ cams[0].R
        np.testing.assert_allclose(views[:, p], world @ cams[p].R.T + cams[p].t, atol=1e-9)
    np.testing.assert_allclose(rel[:, :, 0], 0.0, atol=1e-12)


def test_world_frame_views_equal_gt_before_noise(clips):
    gt = clips[1].positions.astype(np.float64)
    views = multi_view(gt, cameras(3), "world")
    assert views.shape == (gt.shape[0], 3, 17, 3)
    for p in range(3):
        np.testing.assert_array_equal(views[:, p], gt)


def test_image_views_are_the_projections(clips):
    gt = clips[1].positions[:20].astype(np.float64)
    cams = cameras(2, center=gt[:, 0].mean(0))
    views = multi_view(gt, cams, "image")
    assert views.shape == (20, 2, 17, 2)
    np.testing.assert_allclose(views[:, 1], project(gt, cams[1])[0])


def test_each_view_gets_independent_errors_stretched_along_its_depth(clips):
    gt = clips[0].positions.astype(np.float64)  # 847 frames
    cams = cameras(2, center=gt[:, 0].mean(0))
    views = multi_view(gt, cams, "world")
    sim = simulate(views, "3dpw-spin-like", skeleton=SK, fps=30.0, seed=5, depth_axis=view_depth_axes(cams))
    err = sim.pred - views
    ok = ~sim.missing[..., None].repeat(3, -1)
    e0, e1 = err[:, 0][ok[:, 0] & ok[:, 1]], err[:, 1][ok[:, 0] & ok[:, 1]]
    assert abs(np.corrcoef(e0, e1)[0, 1]) < 0.1
    for p, cam in enumerate(cams):  # depth_factor 2: twice the spread along the camera's axis
        along = err[:, p] @ cam.viewing_direction
        across = err[:, p] @ cam.R[0]
        assert 1.5 < along.std() / across.std() < 2.7
    other = simulate(views, "3dpw-spin-like", skeleton=SK, fps=30.0, seed=6, depth_axis=view_depth_axes(cams))
    assert not np.allclose(other.pred[:, 0], sim.pred[:, 0], equal_nan=True)


def test_depth_axes_in_camera_frames_are_z():
    np.testing.assert_array_equal(view_depth_axes(cameras(3), "camera"), np.tile([0.0, 0.0, 1.0], (3, 1)))


def test_multi_view_rejects_unknown_frames_and_2d_input():
    with pytest.raises(SynspInputError):
        multi_view(np.zeros((5, 17, 3)), cameras(2), "screen")
    with pytest.raises(SynspInputError):
        multi_view(np.zeros((5, 17, 2)), cameras(2), "world")
    with pytest.raises(SynspInputError):
        view_depth_axes(cameras(2), "image")


# ---- random combination --------------------------------------------------------------------


def test_random_combination_partitions_the_windows():
    windows = np.arange(10)[:, None, None, None] * np.ones((10, 8, 17, 3))
    groups = random_combination(windows, 4, np.random.default_rng(0))
    assert groups.shape == (2, 4, 8, 17, 3)
    ids = groups[:, :, 0, 0, 0].ravel()
    assert len(set(ids)) == 8


def test_random_groups_never_repeat_a_window_within_a_group():
    idx = random_groups(6, 3, np.random.default_rng(1), num_groups=50)
    assert idx.shape == (50, 3)
    assert all(len(set(row)) == 3 for row in idx)
    with pytest.raises(SynspInputError):
        random_groups(3, 4, np.random.default_rng(1))


# ---- similar poses -------------------------------------------------------------------------


def test_a_window_in_the_bank_is_its_own_nearest_neighbour(bank):
    picks = [0, 17, 1234, len(bank) - 1]
    dist, index = bank.nearest(bank.windows[picks], 3)
    np.testing.assert_array_equal(index[:, 0], picks)
    np.testing.assert_allclose(dist[:, 0], 0.0, atol=1e-6)
    assert (dist[:, 1] > 0).all()


def test_rotated_moved_scaled_and_mirrored_copies_are_found_at_distance_zero(bank):
    """Closer than any other window; the mirror image is found as the bank's mirror entry."""
    R = euler_to_matrix(np.array([0.7, -1.2, 2.5]), "ZYX")
    picks = np.array([3, 500, 2222])
    w = bank.windows[picks].astype(np.float64)
    moved = 1.3 * w @ R.T + np.array([4.0, -2.0, 7.0])
    mirrored = SK.mirror(w, axis=0)
    for query, expected in ((moved, picks), (mirrored, picks + len(bank))):
        dist, index = bank.nearest(query, 2)
        np.testing.assert_array_equal(index[:, 0], expected)
        assert (dist[:, 0] < 1e-4).all() and (dist[:, 1] > 10 * dist[:, 0]).all()
    np.testing.assert_allclose(pose_descriptor(moved), pose_descriptor(w), atol=1e-5)


def test_excluded_labels_are_never_returned(bank):
    label = bank.labels[100]
    _, index = bank.nearest(bank.windows[100], 20, exclude=label)
    assert (bank.labels[index % len(bank)] != label).all()


def test_similar_pose_groups_put_the_query_first_and_align_companions(bank):
    rng = np.random.default_rng(0)
    R = euler_to_matrix(np.array([2.0, 0.3, -0.4]), "ZYX")
    query = bank.windows[42].astype(np.float64) @ R.T + 5.0  # a moved copy of a bank window
    groups = similar_pose_groups(query, bank, 3)
    assert groups.shape == (4, 8, 17, 3)
    np.testing.assert_array_equal(groups[0], query)
    np.testing.assert_allclose(groups[1], query, atol=1e-4)  # the original, moved back onto the query
    batch = similar_pose_groups(bank.windows[:5], bank, 2, rng)
    assert batch.shape == (5, 3, 8, 17, 3)


def test_bank_round_trips_through_a_pickle_free_npz(bank, tmp_path):
    path = bank.save(tmp_path / "bank.npz")
    with np.load(path, allow_pickle=False) as z:
        assert set(z.files) == {"windows", "labels", "sources", "meta"}
    loaded = PoseBank.load(path)
    np.testing.assert_array_equal(loaded.windows, bank.windows)
    np.testing.assert_array_equal(loaded.sources, bank.sources)
    np.testing.assert_array_equal(loaded.nearest(bank.windows[:4], 3)[1], bank.nearest(bank.windows[:4], 3)[1])


def test_bank_windows_are_a_seeded_draw_over_every_start(clips):
    a = draw_windows(clips, window=8, size=200, seed=7)
    b = draw_windows(clips, window=8, size=200, seed=7)
    c = draw_windows(clips, window=8, size=200, seed=8)
    np.testing.assert_array_equal(a[2], b[2])
    assert not np.array_equal(a[2], c[2])
    clip, start = a[2][5]
    np.testing.assert_array_equal(a[0][5], clips[clip].positions[start : start + 8])
    assert len(set(map(tuple, a[2]))) == 200  # without replacement


def test_bank_rejects_wrong_query_shapes(bank):
    with pytest.raises(SynspInputError):
        bank.nearest(np.zeros((16, 17, 3)), 1)
    with pytest.raises(SynspInputError):
        draw_windows([np.zeros((5, 17, 3))], window=8, size=10)


def test_smpl24_positions_are_a_rigid_neutral_body_on_the_pelvis_path():
    """The corpus stores no smpl24 positions: they come from the clips' rotations by forward kinematics,
    moved along the h36m17 pelvis path (the held-out joint set of the universal model's benchmark)."""
    from synsp.data.corpus import load_corpus
    from synsp.data.positions import split_positions
    from synsp.skeletons import get_skeleton

    clips = split_positions("smpl24", "test", "3d", 2000)
    assert clips and all(g.shape[1:] == (24, 3) for g, _ in clips)
    parents = get_skeleton("smpl24").parents
    for g, clip in clips:
        bones = np.linalg.norm(g[:, 1:] - g[:, parents[1:]], axis=-1)  # (T, 23)
        assert bones.std(axis=0).max() < 1e-9 and bones.min() > 0.01  # rigid bones, none collapsed
        h36m = next(c for c in load_corpus(None, skeleton="h36m17", split="test", phases="first")
                    if c.clip_id == clip.clip_id)
        np.testing.assert_allclose(g[:, 0], h36m.positions[:, 0], atol=1e-6)  # the pelvis follows h36m17's
    pixels = split_positions("smpl24", "test", "2d", 2000)
    assert [p.shape[:2] for p, _ in pixels] == [g.shape[:2] for g, _ in clips] and pixels[0][0].shape[-1] == 2
    # the same clips from the corpus itself, for training on them (synsp train --also-skeleton smpl24)
    loaded = {c.clip_id: c for c in load_corpus(None, skeleton="smpl24", split="test", phases="first")}
    for g, clip in clips:
        assert loaded[clip.clip_id].skeleton == "smpl24" and loaded[clip.clip_id].rotations is None
        np.testing.assert_allclose(loaded[clip.clip_id].positions, g)
