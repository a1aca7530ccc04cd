"""Several views of one person: each refined alone, then fused (synsp.view_fusion), the default of views=True."""

import numpy as np
import pytest

import synsp
from synsp.data.corpus import load_corpus
from synsp.noise import simulate
from synsp.refiners import get_refiner
from synsp.validation import SynspInputError
from synsp.view_fusion import ViewMeanRefiner


def _views(T=120, P=4, seed=0):
    truth = load_corpus()[seed].positions[:T].astype(np.float64)
    x = np.stack([simulate(truth, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=s).pred for s in range(P)], 1)
    return truth, x


def _err(y, truth):
    rel = lambda a: a - a[..., :1, :]  # noqa: E731
    return 1000 * np.linalg.norm(rel(y) - rel(truth[:, None]), axis=-1).mean()


def test_clean_views_stay_clean_and_noisy_views_are_fused_below_each_view():
    truth, x = _views()
    clean = np.repeat(truth[:, None], 4, axis=1)
    assert _err(synsp.refine(clean, views=True), truth) < 1.0  # mm: first, do no harm
    fused = synsp.refine(x, views=True)
    assert fused.shape == x.shape and np.isfinite(fused).all()
    alone = synsp.refine(x)  # the same model, the views as persons: no fusion
    raw = np.where(np.isfinite(x), x, truth[:, None])
    assert _err(fused, truth) < 0.7 * _err(alone, truth) < 0.7 * _err(raw, truth)
    np.testing.assert_allclose(fused, np.repeat(fused[:, :1], 4, axis=1))  # every view gets the fused poses


def test_a_joint_a_view_missed_is_fused_from_the_views_that_saw_it():
    truth, x = _views(T=60, P=3)
    x[:, 1, 5] = x[:, 0, 5] + 1.0  # view 1 is far off on joint 5 ...
    refiner = get_refiner("synsp-universal-w16+view-mean")
    assert isinstance(refiner, ViewMeanRefiner) and refiner.name == "synsp-universal-w16+view-mean"
    conf = np.ones(x.shape[:3])
    conf[:, 1, 5] = 0.0  # ... and says it did not see it: it does not pull the fused joint
    out, filled = refiner(x, fps=30.0, confidence=conf, return_filled=True)
    assert filled[:, 1, 5].all() and not filled[:, 0, 5].any()
    assert _err(out[:, :, [0, 5]], truth[:, [0, 5]]) < 200  # mm; with view 1's metre off it would be ~330
    x[:, :, 7] = np.nan  # a joint no view saw in some frames: filled in every view, then averaged
    x[20:25, :, 7] = truth[20:25, None, 7]
    assert np.isfinite(refiner(x, fps=30.0)).all()


def test_view_fusion_needs_views_and_is_offline():
    refiner = get_refiner("synsp-universal-w16+view-mean")
    with pytest.raises(SynspInputError, match="poses"):
        refiner(np.zeros((20, 17, 3)))
    with pytest.raises(SynspInputError, match="offline"):
        refiner.online()
