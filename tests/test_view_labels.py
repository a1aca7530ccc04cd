"""Left/right labels made to agree across the views of one person (synsp.view_labels) before they are fused."""

import functools

import numpy as np
import pytest

import synsp
from synsp.data.positions import split_positions
from synsp.noise import simulate
from synsp.repair import limb_groups, relabel, repair_poses
from synsp.validation import SynspInputError
from synsp.view_labels import agree_view_poses, agree_views

NAMES = tuple(limb_groups("h36m17"))


@functools.lru_cache(maxsize=None)
def _truth(k: int) -> np.ndarray:
    return [gt for gt, _ in split_positions("h36m17", "test", "3d")][k]


def _views(k: int, views: int = 4, spread: float = 0.02) -> np.ndarray:
    """``(T, views, 17, 3)``: the test clip through the 3dpw-spin-like estimator once per view, plus independent
    noise of ``spread`` metres (views that disagree as monocular lifts in one world frame do)."""
    gt = _truth(k)
    rng = np.random.default_rng(k)
    return np.stack([simulate(gt, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=100 * k + v).pred
                     + rng.normal(0.0, spread, gt.shape) for v in range(views)], 1)


def _inverted(x: np.ndarray, view: int, frames: slice, groups: tuple[str, ...] = NAMES):
    """``x`` with one view's groups exchanged over ``frames``; and that mask ``(T, P, G)``."""
    mask = np.zeros(x.shape[:2] + (len(NAMES),), dtype=bool)
    for g in groups:
        mask[frames, view, NAMES.index(g)] = True
    return relabel(x, mask, "h36m17", NAMES), mask


def test_a_view_labelled_the_wrong_way_round_throughout_is_relabelled_before_the_views_are_fused():
    """Four views, one of them labelled the wrong way round for the whole take (a camera behind the person): its
    own motion cannot show it, and fused with the others its left wrist met their right one (72 mm from the truth
    against 7 with the labels agreeing).  The views are now made to agree first: the same result as with agreeing
    labels."""
    x, gt = _views(2), _truth(2)
    wrong, _ = _inverted(x, 1, slice(None))

    def error(views, **kw):
        return 1000 * np.linalg.norm(synsp.refine(views, views=True, **kw)[:, 0] - gt, axis=-1).mean()

    agreeing = error(x)
    assert error(wrong) == pytest.approx(agreeing, abs=1e-6)
    assert error(wrong, repair=False) > agreeing + 30  # what fusing the disagreeing labels did (mm)


def _against_truth(x: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``(T, P, G)`` True where a view's group is closer to the truth with its labels exchanged."""
    out = []
    for g in NAMES:
        pairs = np.asarray(limb_groups("h36m17")[g])
        left, right = x[:, :, pairs[:, 0]], x[:, :, pairs[:, 1]]
        tl, tr = gt[:, None, pairs[:, 0]], gt[:, None, pairs[:, 1]]
        same = np.linalg.norm(left - tl, axis=-1).sum(-1) + np.linalg.norm(right - tr, axis=-1).sum(-1)
        swap = np.linalg.norm(left - tr, axis=-1).sum(-1) + np.linalg.norm(right - tl, axis=-1).sum(-1)
        out.append(swap < same)
    return np.stack(out, -1)


@pytest.mark.parametrize("spread", [0.02, 0.05, 0.1])
def test_views_that_agree_are_left_as_they_are_and_a_stretch_of_one_views_group_is_restored(spread):
    """On a sixth of the test clips, four simulated views with up to 10 cm of disagreement between them: at most
    0.1 % of the group-frames whose labels are right are relabelled (the preset's own short inversions may be);
    one view's groups exchanged over the last two thirds of a clip are restored but for at most 0.5 % of them."""
    wrongly = total = left = inverted = 0
    for k in range(0, 26, 5):
        x, gt = _views(k, spread=spread), _truth(k)
        before = _against_truth(x, gt)
        wrongly += (agree_views(x, "h36m17").flipped & ~before).sum()
        total += before.size
        wrong, mask = _inverted(x, k % 4, slice(len(x) // 3, None), NAMES[k % 2:])
        left += max(0, _against_truth(agree_views(wrong, "h36m17").poses, gt).sum() - before.sum())
        inverted += mask.sum()
    assert wrongly <= 0.001 * total
    assert left <= 0.005 * inverted


def test_with_two_views_the_second_is_made_to_agree_with_the_first():
    """Two views cannot say which one is right: the first keeps its labels, the second follows it, so that the
    fusion averages a left wrist with a left wrist."""
    x = _views(7, views=2)
    wrong, _ = _inverted(x, 0, slice(None))
    got = agree_views(wrong, "h36m17")
    assert not got.flipped[:, 0].any() and got.flipped[:, 1].all()
    np.testing.assert_array_equal(got.poses[:, 0], wrong[:, 0])
    np.testing.assert_array_equal(got.poses[:, 1], relabel(x[:, 1], np.ones((len(x), 2), bool), "h36m17", NAMES))
    with pytest.warns(UserWarning, match="two views cannot tell which is right"):
        fixed, _, _ = agree_view_poses(wrong, "h36m17")
    np.testing.assert_array_equal(fixed, got.poses)


def test_missing_views_and_low_confidence_are_not_evidence():
    """A view missing for half the take and a view whose scores are all low are not compared where they are not
    seen; the inverted view is still restored, nothing else is relabelled, and the confidence follows."""
    x = _views(12)
    wrong, mask = _inverted(x, 2, slice(None), ("arms",))
    wrong[: len(x) // 2, 3] = np.nan
    conf = np.ones(x.shape[:-1])
    conf[:, 0] = 0.1
    conf[:, 2, 11] = 0.5  # the left shoulder's score, which must move to the right shoulder with its label
    fixed, conf_out, _ = repair_poses(wrong, "h36m17", conf)  # each view alone first, as synsp.refine does
    fixed, conf_out, flipped = agree_view_poses(fixed, "h36m17", conf_out)
    count = flipped.sum(0)
    assert count[2, NAMES.index("arms")] >= 0.995 * len(x)
    assert count.sum() - count[2, NAMES.index("arms")] <= 0.001 * mask.size
    assert (conf_out[:, 2, 14] == 0.5).mean() > 0.99 and (conf_out[:, 2, 11] == 0.5).mean() < 0.01


def test_views_in_2d_are_not_compared_and_bad_input_is_refused():
    """2D views are each in their own image: no world frame to compare them in."""
    x = _views(3)[..., :2]
    wrong, _ = _inverted(x, 1, slice(None))
    assert agree_view_poses(wrong, "coco17")[0] is wrong
    with pytest.raises(SynspInputError, match="3"):
        agree_views(x, "coco17")
    with pytest.raises(SynspInputError, match="joints"):
        agree_views(_views(3), "smpl24")
    with pytest.raises(SynspInputError, match="confidence"):
        agree_views(_views(3), "h36m17", np.ones((5, 4, 17)))


def test_a_view_of_another_person_is_named_in_a_warning():
    """A view that follows someone else (a camera whose single-person estimator picked another person) would be
    averaged in: it is named.  Views that agree, and a view labelled the wrong way round, are not."""
    import warnings

    x = _views(2)  # 559 frames
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        agree_view_poses(x, "h36m17")
        agree_view_poses(_inverted(x, 2, slice(None))[0], "h36m17")
    other = x.copy()
    other[:, 3] = _views(0)[: len(x), 0]  # another clip's person
    with pytest.warns(UserWarning, match="the view at index 3 is .* is it the same person"):
        agree_view_poses(other, "h36m17")
