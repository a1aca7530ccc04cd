"""Training windows: shapes, seeding, augmentation, masks, views."""

import numpy as np
import pytest
import torch

from synsp.data.corpus import load_corpus
from synsp.data.dataset import Augmentation, WindowDataset
from synsp.noise import ErrorModel, Jitter, Misses
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

SK = get_skeleton("h36m17")
PLAIN = Augmentation.none()


@pytest.fixture(scope="module")
def clips():
    return load_corpus()[:6]  # 6 clips of the embedded test split, 1,700 frames


def test_one_item_per_window_start(clips):
    ds = WindowDataset(clips, window=8)
    assert len(ds) == sum(c.num_frames - 7 for c in clips)
    assert ds.locate(0) == (0, 0) and ds.locate(len(ds) - 1) == (5, clips[5].num_frames - 8)
    assert len(WindowDataset(clips, window=8, windows_per_epoch=100)) == 100


@pytest.mark.parametrize("mode", ["single", "multiview", "random", "similar"])
@pytest.mark.parametrize("representation", ["3d", "3d-camera", "2d"])
def test_shapes_dtypes_and_no_nan(clips, mode, representation):
    # single and multiview windows can carry each view's jitter floor (synsp.noise_floor) over their chunk
    floor = {"floor"} if mode in ("single", "multiview") else set()
    ds = WindowDataset(clips, window=8, mode=mode, views=3, representation=representation, floors=bool(floor))
    D = 2 if representation == "2d" else 3
    lead = () if mode == "single" else (3,)
    for index in (0, 555, len(ds) - 1):
        item = ds[index]
        assert set(item) == {"gt", "input", "mask", "confidence"} | floor
        assert item["gt"].shape == item["input"].shape == lead + (8, 17 * D)
        assert item["mask"].shape == item["confidence"].shape == lead + (8, 17)
        if floor:
            assert item["floor"].shape == lead and (item["floor"] >= 0).all()
        for v in item.values():
            assert v.dtype == torch.float32 and torch.isfinite(v).all()


def test_lost_frames_are_filled_and_masked(clips):
    """mediapipe-like loses whole frames (NaN): the input is filled, the mask marks them."""
    ds = WindowDataset(clips, window=8, representation="2d", preset="mediapipe-like", windows_per_epoch=400)
    items = [ds[i] for i in range(len(ds))]
    assert all(torch.isfinite(it["input"]).all() for it in items)
    assert sum(int(it["mask"].sum()) for it in items) > 0


def test_joints_lost_for_a_whole_chunk_are_still_finite():
    """Whole frames lost most of the time: short clips lose every frame of a chunk."""
    misses = Misses(frame_rate=30.0, frame_mean_s=1.0, frame_mode="nan")
    lossy = ErrorModel(name="lossy", unit="m", fps=30.0, misses=misses)
    clip = np.random.default_rng(0).normal(size=(12, 17, 3))
    ds = WindowDataset([clip] * 3, preset=lossy, augment=PLAIN)
    for epoch in range(3):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            item = ds[i]
            assert torch.isfinite(item["input"]).all() and item["mask"].sum() > 0


def test_same_seed_epoch_and_index_give_the_same_item_in_any_order(clips):
    a, b = WindowDataset(clips, seed=3), WindowDataset(clips, seed=3)
    a.set_epoch(2), b.set_epoch(2)
    order = [700, 5, 1200, 5, 300]
    first = [a[i] for i in order]
    second = {i: b[i] for i in reversed(order)}
    for i, item in zip(order, first):
        for key in item:
            torch.testing.assert_close(item[key], second[i][key], rtol=0, atol=0)


def test_errors_are_drawn_afresh_every_epoch(clips):
    ds = WindowDataset(clips, augment=False)
    before = ds[100]
    ds.set_epoch(1)
    after = ds[100]
    torch.testing.assert_close(before["gt"], after["gt"])  # no augmentation: the same truth
    assert not torch.allclose(before["input"], after["input"])
    ds.set_epoch(0)
    torch.testing.assert_close(ds[100]["input"], before["input"], rtol=0, atol=0)


def test_without_augmentation_gt_is_the_clip_window(clips):
    ds = WindowDataset(clips, augment=False)
    clip, start = ds.locate(400)
    np.testing.assert_allclose(ds[400]["gt"].reshape(8, 17, 3), clips[clip].positions[start : start + 8], atol=1e-6)


def test_augmentation_keeps_bone_lengths_up_to_one_scale_factor(clips):
    """Rotation, mirror and scale: every bone of every frame scaled by the same s in [0.8, 1.2]."""
    rigid = Augmentation(speed=(1.0, 1.0))
    plain, augmented = WindowDataset(clips, augment=PLAIN, seed=1), WindowDataset(clips, augment=rigid, seed=1)
    scales = []
    for index in (0, 300, 900, 1500):
        before = np.sort(SK.bone_lengths(plain[index]["gt"].reshape(8, 17, 3).double().numpy()), axis=-1)
        after = np.sort(SK.bone_lengths(augmented[index]["gt"].reshape(8, 17, 3).double().numpy()), axis=-1)
        ratio = after / before  # sorted: a mirror swaps left and right bones of equal length
        np.testing.assert_allclose(ratio, ratio[0, 0], rtol=1e-5)
        scales.append(ratio[0, 0])
    assert all(0.8 <= s <= 1.2 for s in scales) and np.ptp(scales) > 0


def test_mirroring_swaps_left_and_right(clips):
    plain = WindowDataset(clips, augment=PLAIN)
    always = Augmentation(rotation=False, mirror=1.0, scale=(1.0, 1.0), speed=(1.0, 1.0))
    mirrored = WindowDataset(clips, augment=always)
    g = plain[250]["gt"].reshape(8, 17, 3).numpy()
    m = mirrored[250]["gt"].reshape(8, 17, 3).numpy()
    left, right = SK.index("left_wrist"), SK.index("right_wrist")
    np.testing.assert_allclose(m[:, left], g[:, right] * np.array([-1.0, 1.0, 1.0]), atol=1e-6)
    np.testing.assert_allclose(m, SK.mirror(g, axis=0), atol=1e-6)


def test_speed_change_resamples_before_windowing():
    t = np.arange(200.0)
    clip = np.zeros((200, 17, 3)) + np.linspace(0, 1, 17)[None, :, None]
    clip[..., 0] += 0.01 * t[:, None]  # 1 cm per frame along x
    fast = WindowDataset([clip], augment=Augmentation(rotation=False, mirror=0.0, scale=(1.0, 1.0), speed=(1.25, 1.25)))
    assert len(fast) == 200 - 7
    for index in (0, 100, len(fast) - 1):
        x = fast[index]["gt"].reshape(8, 17, 3).numpy()
        np.testing.assert_allclose(np.diff(x[..., 0], axis=0), 0.0125, atol=1e-6)


def test_rotation_covers_every_direction(clips):
    """With full rotations the body's up axis points anywhere (not only world +y)."""
    rotate = Augmentation(mirror=0.0, scale=(1.0, 1.0), speed=(1.0, 1.0))
    ds = WindowDataset(clips, augment=rotate, windows_per_epoch=200)
    up = []
    for i in range(len(ds)):
        x = ds[i]["gt"].reshape(8, 17, 3).numpy()
        v = x[0, SK.index("thorax")] - x[0, SK.index("pelvis")]
        up.append(v / np.linalg.norm(v))
    up = np.array(up)
    assert (up[:, 1] < 0).mean() > 0.2 and np.abs(up.mean(0)).max() < 0.3


def test_mask_marks_exactly_the_simulated_misses(clips):
    """A preset with outlier misses only: input differs from gt exactly where masked."""
    misses_only = ErrorModel(
        name="misses-only", unit="m", fps=30.0,
        misses=Misses(joint_rate=0.5, joint_mean_s=0.2, joint_mode="outlier", outlier_distance=0.3),
    )
    ds = WindowDataset(clips, preset=misses_only, augment=PLAIN, windows_per_epoch=300)
    total = 0
    for i in range(len(ds)):
        item = ds[i]
        moved = (item["input"] - item["gt"]).reshape(8, 17, 3).abs().amax(-1) > 1e-6
        torch.testing.assert_close(item["mask"], moved.float())
        total += int(moved.sum())
    assert total > 0


def test_mask_is_low_confidence(clips):
    ds = WindowDataset(clips, preset="3dpw-spin-like", windows_per_epoch=200)
    for i in range(len(ds)):
        item = ds[i]
        torch.testing.assert_close(item["mask"], (item["confidence"] < 0.3).float())


def test_multiview_world_frame_shares_gt_and_has_independent_errors(clips):
    ds = WindowDataset(clips, mode="multiview", views=4, representation="3d")
    item = ds[321]
    for p in range(1, 4):
        torch.testing.assert_close(item["gt"][p], item["gt"][0])
        assert not torch.allclose(item["input"][p], item["input"][0])


def test_multiview_camera_frames_differ_by_a_rotation(clips):
    ds = WindowDataset(clips, mode="multiview", views=3, representation="3d-camera", augment=PLAIN)
    gt = ds[321]["gt"].reshape(3, 8 * 17, 3).double().numpy()
    centred = gt - gt.mean(1, keepdims=True)
    for p in (1, 2):
        U, _, Vt = np.linalg.svd(centred[0].T @ centred[p])
        R = Vt.T @ U.T
        np.testing.assert_allclose(centred[0] @ R.T, centred[p], atol=1e-4)
        assert not np.allclose(centred[0], centred[p], atol=1e-2)


def test_similar_companions_are_closer_than_random_ones(clips):
    kw = dict(window=8, views=3, augment=PLAIN, windows_per_epoch=40, seed=2)
    similar, random = WindowDataset(clips, mode="similar", **kw), WindowDataset(clips, mode="random", **kw)

    def spread(ds):
        d = []
        for i in range(len(ds)):
            g = ds[i]["gt"].reshape(3, 8, 17, 3)
            d.append((g[1:] - g[:1]).norm(dim=-1).mean())
        return float(np.median(d))

    assert spread(similar) < 0.5 * spread(random)


def test_a_data_loader_yields_batches(clips):
    ds = WindowDataset(clips, window=8, windows_per_epoch=128)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True, num_workers=0)))
    assert batch["gt"].shape == batch["input"].shape == (64, 8, 51)
    assert batch["mask"].shape == batch["confidence"].shape == (64, 8, 17)


def test_bad_input_raises(clips):
    with pytest.raises(SynspInputError, match="longest clip"):
        WindowDataset(clips, window=10_000)
    with pytest.raises(SynspInputError, match="mode"):
        WindowDataset(clips, mode="crowd")
    with pytest.raises(SynspInputError, match="preset"):
        WindowDataset(clips, preset="no-such-estimator")
    with pytest.raises(SynspInputError, match="2D pixel presets"):
        WindowDataset(clips, representation="2d", preset="3dpw-spin-like")
    with pytest.raises(SynspInputError, match="views"):
        WindowDataset(clips, mode="multiview", views=1)
    with pytest.raises(SynspInputError, match="representation"):
        WindowDataset(clips, representation="4d")
    with pytest.raises(IndexError):
        WindowDataset(clips)[10**9]


def test_similar_companions_follow_the_mirroring_of_their_window(clips):
    """The bank matches unaugmented windows; a mirrored window must get mirrored companions."""
    def spread(augment):
        ds = WindowDataset(clips, window=8, views=3, mode="similar", companions="simulated", augment=augment,
                           windows_per_epoch=60, seed=2)
        d = [float((g[1:] - g[:1]).norm(dim=-1).mean()) for g in (ds[i]["gt"].reshape(3, 8, 17, 3)
                                                                  for i in range(len(ds)))]
        return float(np.median(d))

    mirror_only = Augmentation(rotation=False, mirror=0.5, scale=(1.0, 1.0), speed=(1.0, 1.0))
    assert spread(mirror_only) < 1.05 * spread(PLAIN)  # before the fix: 22 % wider (half mismatched)


@pytest.mark.parametrize("representation", ["3d", "2d"])
def test_error_family_gives_exactly_clean_and_noisy_windows(clips, representation):
    ds = WindowDataset(clips, window=8, preset="mixed", representation=representation, windows_per_epoch=400,
                       seed=3)
    diffs = np.array([float((ds[i]["input"] - ds[i]["gt"]).abs().max()) for i in range(len(ds))])
    clean = diffs == 0.0
    assert 0.05 < clean.mean() < 0.6 and (diffs > 0).mean() > 0.3  # a quality that varies between windows
    items = [ds[i] for i in np.flatnonzero(clean)[:5]]
    assert all(float(it["mask"].sum()) == 0.0 for it in items)  # nothing is lost in a clean segment


def test_fast_motion_plays_chunks_faster(clips):
    slow = WindowDataset(clips, window=8, augment=Augmentation(rotation=False, mirror=0.0, scale=(1, 1),
                                                              speed=(1, 1)), seed=1)
    fast = WindowDataset(clips, window=8, augment=Augmentation(rotation=False, mirror=0.0, scale=(1, 1),
                                                              speed=(1, 1), fast=1.0, fast_speed=(2.0, 3.0)),
                         seed=1)
    speeds = {fast._chunk(c, 0).speed for c in range(len(clips))}
    assert all(2.0 <= s <= 3.0 for s in speeds) and {slow._chunk(c, 0).speed for c in range(len(clips))} == {1.0}
    with pytest.raises(SynspInputError, match="fast"):
        Augmentation(fast=1.5)


def test_low_rate_chunks_carry_jitter_the_spline_made_smooth(clips):
    """A chunk captured at 10-15 fps: its errors are drawn at that rate and brought to 30 fps through the spline,
    so the input error is smooth between captured frames (no frame-to-frame white jitter at 30 fps) yet as large
    as at the captured frames; the truth is the spline through the true captured moments, the chunk's first and last
    frames among them (a clip's last frame is its own, not one held), so clean input equals it."""
    noisy = ErrorModel(name="white", unit="m", fps=30.0, jitter=Jitter(std=0.02))
    clean = ErrorModel(name="none", unit="m", fps=30.0)
    plain = dict(rotation=False, mirror=0.0, scale=(1, 1), speed=(1, 1))
    low_aug = Augmentation(**plain, low_rate=1.0, low_rate_factor=(2.0, 3.0))
    base = WindowDataset(clips, window=8, preset=noisy, augment=Augmentation(**plain), seed=2)
    low = WindowDataset(clips, window=8, preset=noisy, seed=2, augment=low_aug)
    untouched = WindowDataset(clips, window=8, preset=clean, seed=2, augment=low_aug)
    for c in range(3):
        a, b = base._chunk(c, 0), low._chunk(c, 0)
        assert np.abs(b.gt - a.gt).mean() < 0.01  # the spline through every 2nd-3rd frame: near the motion
        ea, eb = a.input - a.gt, b.input - b.gt
        rough = lambda e: float(np.abs(np.diff(e, 2, axis=0)).mean() / np.abs(e).mean())  # noqa: E731
        assert rough(eb) < 0.5 * rough(ea)  # white at 30 fps: about 2.3; smooth between captured frames
        assert 0.5 < float(np.abs(eb).mean() / np.abs(ea).mean()) < 1.5
        assert b.mask.shape == a.mask.shape and b.confidence.shape == a.confidence.shape
        same = untouched._chunk(c, 0)
        np.testing.assert_allclose(same.input, same.gt[:, :1], atol=1e-6)  # clean: nothing to correct
    last = low._chunk(0, (clips[0].num_frames - 8) // low._chunk_starts)  # a clip's last chunk: its ends captured
    assert np.abs(last.gt[-1] - base._chunk(0, (clips[0].num_frames - 8) // base._chunk_starts).gt[-1]).max() < 1e-6
    with pytest.raises(SynspInputError, match="low_rate"):
        Augmentation(low_rate=2.0)
    with pytest.raises(SynspInputError, match="low_rate_factor"):
        Augmentation(low_rate_factor=(0.5, 2.0))
