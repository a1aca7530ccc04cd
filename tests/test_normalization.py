"""Per-window normalisation: exact round trip, invariances, no per-frame scale."""

import numpy as np

from synsp.normalization import denormalize_windows, normalize_windows, window_mask

rng = np.random.default_rng(0)


def test_round_trip_is_exact_and_units_free():
    windows = rng.normal(size=(5, 2, 8, 17, 3)) + 3.0
    y, stats = normalize_windows(windows, (0,))
    assert y.shape == (5, 2, 8, 18 * 3)
    np.testing.assert_allclose(denormalize_windows(y, stats, 3), windows, atol=1e-12)
    # the same motion in millimetres and shifted normalises to the same numbers
    y_mm, _ = normalize_windows(windows * 1000 + 250.0, (0,))
    np.testing.assert_allclose(y_mm, y, atol=1e-9)


def test_scale_is_one_per_window_not_per_frame():
    windows = rng.normal(size=(3, 8, 17, 2))
    _, stats = normalize_windows(windows, (11, 12))
    assert stats.scale.shape == (3, 1, 1) and stats.centre.shape == (3, 1, 2)


def test_target_uses_the_input_statistics():
    inp = rng.normal(size=(4, 8, 17, 3))
    gt = inp + 0.01 * rng.normal(size=inp.shape)
    x, stats = normalize_windows(inp, (0,))
    y, same = normalize_windows(gt, (0,), stats)
    assert same is stats
    np.testing.assert_allclose(denormalize_windows(y, stats, 3), gt, atol=1e-12)


def test_mask_adds_the_root_channel():
    missing = np.zeros((8, 17), bool)
    missing[3, 0] = True
    m = window_mask(missing, (0,))
    assert m.shape == (8, 18) and m[3, -1] == 1 and m[4, -1] == 0


def test_shared_view_stats_are_one_centre_and_scale_for_all_views_and_invert_exactly():
    from synsp.normalization import denormalize_windows, normalize_windows

    rng = np.random.default_rng(3)
    w = rng.normal(size=(5, 4, 8, 17, 3)) + rng.normal(size=(5, 4, 1, 1, 3))  # 4 views, offsets differ
    y, stats = normalize_windows(w, (0,), shared_views=True)
    assert np.allclose(stats.centre, stats.centre[:, :1]) and np.allclose(stats.scale, stats.scale[:, :1])
    np.testing.assert_allclose(denormalize_windows(y, stats, 3), w, atol=1e-12)
    # normalising the views' mean gives the mean of the normalised views (one affine map for all)
    mean_view = w.mean(axis=1, keepdims=True).repeat(4, axis=1)
    y_mean, _ = normalize_windows(mean_view, (0,), stats)
    np.testing.assert_allclose(y_mean, y.mean(axis=1, keepdims=True).repeat(4, axis=1), atol=1e-12)


def test_a_window_without_size_is_returned_as_it_came():
    import synsp
    from synsp.normalization import SCALE_FLOOR

    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(0, 0.01, (60, 17, 3)), axis=0) + rng.normal(0, 0.1, (1, 17, 3))
    for still in (np.zeros((60, 17, 3)), np.full((60, 17, 3), 5.0), walk * 1e-10):  # every joint at one point
        np.testing.assert_allclose(synsp.refine(still), still, atol=1e-15)  # not the network's guess of noise
    _, stats = normalize_windows(np.stack([walk[:16], walk[:16] * 1e-10]), tuple(range(17)))
    assert stats.flat.tolist() == [False, True] and stats.scale[1, 0, 0] == 1.0 and SCALE_FLOOR == 1e-9
    assert np.abs(synsp.refine(walk) - walk).max() > 1e-4  # a body with a size is refined
