"""Views of unequal quality (synsp.view_fusion): each view's error estimated from what the refiner removed, and the
views far poorer than another named in a warning (the fused mean weighs the views alike)."""

import warnings

import numpy as np
import pytest

import synsp
from synsp.data.corpus import load_corpus
from synsp.view_fusion import UNEQUAL, view_errors


def _views(sigmas, T=150, seed=0):
    truth = load_corpus()[0].positions[:T].astype(np.float64)
    rng = np.random.default_rng(seed)
    return truth, np.stack([truth + rng.normal(0, s, truth.shape) for s in sigmas], 1)


def test_a_view_far_better_than_the_others_is_named_and_equal_views_are_not():
    """One view with 1 cm of noise, three with 3 cm: the fused mean is worse than the good view's own input (the
    audit: 16.1 -> 18.3 mm, silently); the warning names the poorer views and the good one.  Equal views: none."""
    truth, x = _views([0.01, 0.03, 0.03, 0.03])
    with pytest.warns(UserWarning, match=r"view\(s\) 1, 2, 3 as from view 0, .* refine it alone"):
        synsp.refine(x, views=True, fps=30)
    _, equal = _views([0.03] * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        synsp.refine(equal, views=True, fps=30)


def test_view_errors_are_medians_over_the_joints_each_view_saw():
    """A few large outliers removed from one view leave its estimate at the typical distance; a joint the view did not
    see (filled by the refiner) does not count; a view that saw nothing is NaN."""
    rng = np.random.default_rng(1)
    poses = rng.normal(0, 1, (200, 3, 5, 3))
    refined = poses.copy()
    refined[..., 0] += 0.01  # every view moved by 1 cm ...
    refined[::20, 1, :, 0] += 1.0  # ... view 1 also lost a spike every 20 frames
    seen = np.ones((200, 3, 5), bool)
    refined[:, 2, 4, 0] += 5.0  # view 2's joint 4 was filled, far off
    seen[:, 2, 4] = False
    np.testing.assert_allclose(view_errors(poses, refined, seen), 0.01)
    seen[:, 1] = False
    assert np.isnan(view_errors(poses, refined, seen)[1]) and UNEQUAL == 2.0
