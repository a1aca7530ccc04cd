"""synsp.missing.fill_gaps, the one missing-joint fill: its edge policies for a coordinate never observed."""

import numpy as np
import pytest

from synsp.missing import NEVER_OBSERVED, fill_gaps, hold_missing, interpolate_missing
from synsp.validation import SynspInputError


def _poses() -> tuple[np.ndarray, np.ndarray]:
    """(6, 2, 3, 2) poses: view 0 joint 1 never seen, view 1 joint 0 lost in frames 1-3; the mask."""
    x = np.arange(6 * 2 * 3 * 2, dtype=np.float64).reshape(6, 2, 3, 2) ** 1.5
    x[:, 0, 1] = np.nan
    x[1:4, 1, 0] = np.nan
    return x, np.isnan(x)


def test_observed_gaps_are_filled_the_same_way_under_every_policy():
    x, gap = _poses()
    t = np.arange(6.0)
    expected = np.interp(t, [0, 4, 5], x[[0, 4, 5], 1, 0, 0])  # linear between frames 0 and 4
    for never in ("zero", "keep", "joint-mean"):
        np.testing.assert_allclose(fill_gaps(x, gap, never=never)[:, 1, 0, 0], expected, rtol=1e-12)
        np.testing.assert_array_equal(fill_gaps(x, gap, causal=True, never=never)[1:4, 1, 0], x[[0, 0, 0], 1, 0])


def test_never_observed_coordinates_by_policy():
    x, gap = _poses()
    with pytest.raises(SynspInputError, match="joint 1 of person/view 0"):
        fill_gaps(x, gap)
    np.testing.assert_array_equal(fill_gaps(x, gap, never="zero")[:, 0, 1], 0.0)
    assert np.isnan(fill_gaps(x, gap, never="keep")[:, 0, 1]).all()
    kept = x.copy()
    kept[:, 0, 1] = 7.0  # masked (low confidence, say) but not NaN: "keep" keeps the values
    np.testing.assert_array_equal(fill_gaps(kept, gap, causal=True, never="keep")[:, 0, 1], 7.0)
    mean = fill_gaps(x, gap, never="joint-mean")
    np.testing.assert_allclose(mean[:, 0, 1], (x[:, 0, 0] + x[:, 0, 2]) / 2, rtol=1e-12)
    with pytest.raises(SynspInputError, match="never is 'nope'"):
        fill_gaps(x, gap, never="nope")
    assert NEVER_OBSERVED == ("raise", "zero", "keep", "joint-mean")


def test_joint_mean_fills_a_lost_view_with_zeros_and_a_lost_frame_in_time():
    x, _ = _poses()
    x[:, 1] = np.nan  # view 1 never seen at all
    x[2, 0] = np.nan  # frame 2 of view 0 lost: no joint mean there, so joint 1 is filled in time
    filled, mask = interpolate_missing(x, never="joint-mean")
    np.testing.assert_array_equal(filled[:, 1], 0.0)
    np.testing.assert_allclose(filled[2, 0], (filled[1, 0] + filled[3, 0]) / 2, rtol=1e-12)
    assert np.isfinite(filled).all() and mask.sum() == np.isnan(x).sum()


def test_per_joint_mask_and_public_wrappers_agree_with_the_core():
    x, _ = _poses()
    x[:, 0, 1] = 1.0
    low = np.zeros(x.shape[:-1], dtype=bool)
    low[2:5, 0, 2] = True  # low confidence, per joint
    gap = np.isnan(x) | low[..., None]
    np.testing.assert_array_equal(interpolate_missing(x, low)[0], fill_gaps(x, low | np.isnan(x).any(-1)))
    np.testing.assert_array_equal(hold_missing(x, low)[0], fill_gaps(x, gap, causal=True))
