"""Unnamed points of a joint count with several orders (17: h36m17 / coco17; 14: j14 / crowdpose14): the order the
repair takes is the one their bones fit (synsp.api.guess_joint_order), none where two fit about as well."""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import pytest

import synsp
from synsp.api import repair_skeleton
from synsp.data.positions import split_positions
from synsp.repair import limb_groups, relabel
from synsp.skeletons import get_skeleton, skeleton_for


@lru_cache(maxsize=None)
def _clips(skeleton: str, dims: str) -> tuple[np.ndarray, ...]:
    """The test split's clips (metres, or pixels through the seeded cameras)."""
    return tuple(gt for gt, _ in split_positions(skeleton, "test", dims))


#: CrowdPose's annotation order (MMPose's crowdpose dataset: its 'top_head' is head_top)
CROWDPOSE = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
             "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "head_top", "neck")


def _crowdpose(x: np.ndarray) -> np.ndarray:
    """j14 points put in CrowdPose order (the same 14 joints)."""
    return x[..., [get_skeleton("j14").index(n) for n in CROWDPOSE], :]


def _inverted(x: np.ndarray, skeleton: str, group: str, frames: slice) -> np.ndarray:
    mask = np.zeros((len(x), 1), dtype=bool)
    mask[frames] = True
    return relabel(x, mask, skeleton, (group,))


def test_crowdpose14_is_registered_in_crowdpose_annotation_order():
    # the order of CrowdPose's annotation files, its six left/right pairs, the tree rooted at the neck
    sk = get_skeleton("crowdpose14")
    assert sk.joints == CROWDPOSE
    assert sk.left_right == ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11))
    assert limb_groups(sk) == {"arms": ((0, 1), (2, 3), (4, 5)), "legs": ((6, 7), (8, 9), (10, 11))}
    assert sk.tree_roots == (13,) and sk.root_joints == (6, 7)
    assert skeleton_for(14) == ["j14", "crowdpose14"] and sorted(get_skeleton("j14").joints) == sorted(sk.joints)


@pytest.mark.parametrize("dims", ["3d", "2d"])
def test_crowdpose_points_are_repaired_with_crowdpose_pairs_and_j14_points_with_j14_pairs(dims):
    # taken as j14 by their count, CrowdPose's arms inversion was "repaired" by exchanging wrists with shoulders
    gt = _crowdpose(_clips("j14", dims)[0][:300])
    x = gt.copy()
    x[100:130, [0, 2, 4]], x[100:130, [1, 3, 5]] = gt[100:130, [1, 3, 5]], gt[100:130, [0, 2, 4]]  # arms inverted
    refined = synsp.refine(x, model="butterworth")
    err = lambda y: np.linalg.norm(y - gt, axis=-1)[100:130].max()  # noqa: E731
    assert err(refined) < 0.1 * err(x)
    assert repair_skeleton(14, int(dims[0]), poses=x).name == "crowdpose14"
    np.testing.assert_allclose(refined, synsp.refine(x, model="butterworth", skeleton="crowdpose14"), atol=1e-9)
    j14 = _clips("j14", dims)[0][:300]
    assert repair_skeleton(14, int(dims[0]), poses=_inverted(j14, "j14", "legs", slice(100, 130))).name == "j14"


def test_14_points_of_no_known_order_are_not_repaired():
    # without points to judge, or with points that fit both orders (here a track half in each), no pairs are known
    assert repair_skeleton(14, 3) is None and repair_skeleton(14, 2) is None
    assert repair_skeleton(14, 2, "crowdpose14").name == "crowdpose14" and repair_skeleton(14, 2, "j14").name == "j14"
    j14 = _clips("j14", "3d")[0][:300]
    mixed = np.concatenate([j14[:150], _crowdpose(j14[150:])])
    with pytest.warns(UserWarning, match="--skeleton NAME"):
        assert repair_skeleton(14, 3, poses=mixed) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refined = synsp.refine(mixed, model="butterworth")
    np.testing.assert_allclose(refined, synsp.refine(mixed, model="butterworth", repair=False), atol=1e-9)


def test_2d_points_in_h36m_order_are_taken_as_h36m17_and_coco_points_stay_coco17():
    # these three test clips' 2D points were taken as COCO-17 (their leg inversion left as it was)
    for i in (0, 2, 7):
        gt = _clips("h36m17", "2d")[i][:250]
        x = _inverted(gt, "h36m17", "legs", slice(100, 140))
        assert repair_skeleton(17, 2, poses=x).name == "h36m17"
        refined = synsp.refine(x, model="butterworth")
        np.testing.assert_allclose(refined, synsp.refine(x, model="butterworth", skeleton="h36m17"), atol=1e-9)
        coco = _clips("coco17", "2d")[i][:250]
        assert repair_skeleton(17, 2, poses=_inverted(coco, "coco17", "legs", slice(100, 140))).name == "coco17"


def test_a_stream_without_repair_equals_offline_and_partial_bodies_keep_the_counts_order():
    """The review of the change: offline refinement without the repair took the cuts' left/right pairs from the order
    the points chose, a stream (which sees no points before its first output) from the count, so at a whole-body
    inversion of Human3.6M-order 2D points the two differed by 10-44 px; the cuts now take the count's order
    without the repair, as the stream does.  A body with its legs out of the picture does not choose its order
    (CrowdPose points then fitted j14 in 6-10 % of short pieces): the count's default stays (none for 14)."""
    sk = get_skeleton("h36m17")
    flip = np.arange(17)
    for a, b in sk.left_right:
        flip[a], flip[b] = b, a
    clip = next(c for c in _clips("h36m17", "2d") if len(c) >= 150)[:150]
    flipped = np.concatenate([clip[:60], clip[60:][:, flip]])
    stream = synsp.Stream("synsp-universal-w8")
    online = [f for t in range(len(flipped)) for f in stream.push(flipped[t])] + list(stream.flush()[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        offline = synsp.refine(flipped, model="synsp-universal-w8", repair=False)
    np.testing.assert_allclose(np.stack(online), offline, atol=1e-3)
    legs_out = _crowdpose(next(c for c in _clips("j14", "2d") if len(c) >= 60)[:60])
    legs_out[:, 8:12] = np.nan  # knees and ankles
    assert repair_skeleton(14, 2, poses=legs_out) is None
    assert repair_skeleton(14, 2, poses=_crowdpose(_clips("j14", "2d")[0])).name == "crowdpose14"
