"""Filling missing joints: linear inside gaps, constant at the ends, exact mask."""

import numpy as np
import pytest
import torch

from synsp.filters import get_filter
from synsp.missing import interpolate_missing, missing_from_confidence
from synsp.validation import SynspInputError


def test_gaps_are_filled_linearly_and_ends_held_constant():
    x = np.zeros((8, 1, 2))
    x[:, 0, 0] = [np.nan, np.nan, 2.0, np.nan, np.nan, 8.0, np.nan, np.nan]
    x[:, 0, 1] = [1.0, np.nan, 3.0, 4.0, 5.0, np.nan, np.nan, 8.0]
    filled, mask = interpolate_missing(x)
    np.testing.assert_allclose(filled[:, 0, 0], [2, 2, 2, 4, 6, 8, 8, 8])
    np.testing.assert_allclose(filled[:, 0, 1], [1, 2, 3, 4, 5, 6, 7, 8])
    np.testing.assert_array_equal(mask, np.isnan(x))


def test_observed_values_are_returned_unchanged():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2, 6, 3))
    holes = rng.random(x.shape) < 0.3
    holes[0] = False  # every coordinate observed at least once
    x_holes = np.where(holes, np.nan, x)
    filled, mask = interpolate_missing(torch.from_numpy(x_holes))
    np.testing.assert_array_equal(mask, holes)
    np.testing.assert_array_equal(filled[~holes], x[~holes])
    assert filled.dtype == np.float64 and np.isfinite(filled).all()


def test_a_line_with_holes_is_restored_exactly():
    t = np.arange(30, dtype=float)
    x = np.stack([1.5 * t - 2, -0.5 * t], axis=-1)[:, None, :]  # (T, 1, 2)
    holes = x.copy()
    holes[[3, 4, 5, 17, 20, 21]] = np.nan
    np.testing.assert_allclose(interpolate_missing(holes)[0], x, rtol=1e-12)


def test_no_missing_gives_a_copy_and_an_empty_mask():
    x = np.random.default_rng(1).normal(size=(5, 3, 3))
    filled, mask = interpolate_missing(x)
    np.testing.assert_array_equal(filled, x)
    assert filled is not x and not mask.any()


def test_per_joint_mask_marks_all_coordinates_of_the_joint():
    x = np.arange(24, dtype=float).reshape(4, 2, 3)
    missing = np.zeros((4, 2), bool)
    missing[1, 0] = True
    filled, mask = interpolate_missing(x, missing)
    assert mask[1, 0].all() and mask.sum() == 3
    np.testing.assert_allclose(filled[1, 0], (x[0, 0] + x[2, 0]) / 2)


def test_confidence_below_threshold_is_missing():
    confidence = np.array([[0.9, 0.1], [0.3, np.nan]])
    np.testing.assert_array_equal(
        missing_from_confidence(confidence, (2, 2, 3), threshold=0.3), [[False, True], [False, True]]
    )


def test_filter_ignores_low_confidence_values():
    x = np.full((20, 2, 2), 1.0)
    x[8:12, 0] = 100.0  # a detector glitch, reported with low confidence
    confidence = np.ones((20, 2))
    confidence[8:12, 0] = 0.05
    np.testing.assert_allclose(get_filter("savgol")(x, confidence=confidence), np.ones_like(x), rtol=1e-12)


def test_all_nan_raises():
    with pytest.raises(SynspInputError, match="no observed value"):
        interpolate_missing(np.full((6, 3, 2), np.nan))


def test_all_missing_through_the_mask_raises():
    with pytest.raises(SynspInputError, match="no observed value"):
        interpolate_missing(np.zeros((6, 3, 2)), np.ones((6, 3), bool))


def test_joint_missing_in_every_frame_is_named():
    x = np.zeros((6, 2, 4, 3))
    x[:, 1, 2] = np.nan
    with pytest.raises(SynspInputError, match="joint 2 of person/view 1 .* missing in all 6 frames"):
        interpolate_missing(x)


def test_mask_of_wrong_shape_raises():
    with pytest.raises(SynspInputError, match="missing has shape"):
        interpolate_missing(np.zeros((6, 3, 2)), np.zeros((6, 2), bool))


@pytest.mark.parametrize("bad, match", [(np.zeros((6, 3)), "2-d"), (np.zeros((6, 3, 5)), "D = 5"), (np.full((6, 3, 2), np.inf), "inf")])
def test_bad_poses_raise(bad, match):
    with pytest.raises(SynspInputError, match=match):
        interpolate_missing(bad)


def test_hold_missing_is_causal_and_holds_the_last_value():
    from synsp.missing import hold_missing

    x = np.arange(10.0)[:, None, None] * np.ones((10, 2, 3))
    x[4:7, 1] = np.nan
    x[0:2, 0] = np.nan  # a gap before the first observation
    filled, mask = hold_missing(x)
    np.testing.assert_array_equal(filled[4:7, 1], np.repeat(x[3:4, 1], 3, axis=0))  # held, not interpolated
    np.testing.assert_array_equal(filled[0:2, 0], np.repeat(x[2:3, 0], 2, axis=0))  # the first observed value
    assert mask[4:7, 1].all() and not mask[7:, 1].any()
    changed = x.copy()
    changed[8:] += 100.0
    np.testing.assert_array_equal(hold_missing(changed)[0][:8], filled[:8])
