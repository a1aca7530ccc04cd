"""What synsp does with arrays whose layout or joint order it cannot be sure of (audit of 2026-12-07): it says so,
refuses a model of another joint order and honours a skeleton name however it is spelt."""

import warnings

import numpy as np
import pytest

import synsp
from synsp.api import layout_doubts, repair_skeleton
from synsp.cli import main
from synsp.data.positions import split_positions
from synsp.skeletons import get_skeleton, skeleton_name
from synsp.validation import SynspInputError


def _clip(skeleton="coco17", rep="3d"):
    return split_positions(skeleton, "test", rep)[0][0][:120]


def _doubts(x):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        synsp.refine(x, fps=30, model="butterworth")
    return [str(w.message) for w in caught]


def test_real_joint_positions_raise_no_doubt():
    for x in (_clip("coco17", "3d"), _clip("h36m17", "3d") * 1000, _clip("coco17", "2d")):
        assert layout_doubts(x) == [] and _doubts(x) == []


def test_a_score_in_the_last_channel_and_frames_and_joints_exchanged_are_named():
    px = _clip("coco17", "2d")
    scores = np.random.default_rng(0).uniform(0.3, 1.0, size=px.shape[:2])
    with_scores = np.concatenate([px, scores[..., None]], axis=-1)  # [x, y, score] rows
    assert any("like a detector's score" in d for d in _doubts(with_scores))
    walk = np.cumsum(np.random.default_rng(1).normal(scale=0.01, size=(17, 150, 3)), axis=0)
    assert any("swapaxes" in d for d in _doubts(walk))  # 17 "frames" of 150 "joints"


def test_a_skeleton_name_is_read_however_it_is_spelt():
    assert skeleton_name(" H36M17 ") == "h36m17" and skeleton_name("nosuch") == "nosuch"
    x = _clip("h36m17", "2d")
    assert repair_skeleton(17, 2, "H36M17") is get_skeleton("h36m17")  # was None: the repair was off
    np.testing.assert_array_equal(synsp.refine(x, fps=30, model="butterworth", skeleton="H36M17"),
                                  synsp.refine(x, fps=30, model="butterworth", skeleton="h36m17"))


def test_a_dedicated_model_is_refused_on_the_other_seventeen_joint_order(tmp_path):
    x = _clip("coco17", "3d")
    with pytest.raises(SynspInputError, match="refines h36m17 joints; these are coco17"):
        synsp.refine(x, fps=30, model="synsp-h36m17-3d-w8", skeleton="coco17")
    np.save(tmp_path / "coco.npy", x)
    assert main(["refine", str(tmp_path / "coco.npy"), "-o", str(tmp_path / "o.npy"), "--fps", "30",
                 "--model", "synsp-h36m17-3d-w8", "--skeleton", "coco17"]) == 2
    assert not (tmp_path / "o.npy").exists()
