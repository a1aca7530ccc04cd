"""A whole body's hands at the wrists they hang from after the left/right repair (synsp.repair.hand_exchanges): a hand
detector labels its hands apart from the body, so a body inverted with its hands right must not carry them over."""

from typing import Any

import numpy as np
import pytest

import synsp
from synsp.data.positions import split_positions
from synsp.repair import hand_exchanges, relabel, repair_inversions, repair_poses
from synsp.skeletons import BODY_JOINTS, get_skeleton

COCO = get_skeleton("coco133")


def _whole_body(name: str, seed: int = 0) -> np.ndarray:
    """``(T, J, 2)`` pixels: the first coco17 test clip's body with feet and face riding on their nearest body joint,
    and each hand a fixed shape along its forearm (root at the wrist, its length about the forearm's), the joints
    put in ``name``'s order (neck, mid-hip, pupils, head top made from the body)."""
    g = split_positions("coco17", "test", "2d", frames=1)[0][0][:240]
    rng = np.random.default_rng(seed)
    anchor = [COCO.nearest_ancestor(j, set(range(17))) for j in range(17, 91)]
    x = np.concatenate([g, g[:, anchor] + rng.normal(0, 3, (74, 2)), np.zeros((len(g), 42, 2))], axis=1)
    shape = np.stack([rng.uniform(0.1, 0.9, 20), rng.uniform(-0.3, 0.3, 20)], -1)  # along, across the forearm
    for wrist, elbow, root in ((9, 7, 91), (10, 8, 112)):
        along = g[:, wrist] - g[:, elbow]
        across = np.stack([-along[:, 1], along[:, 0]], -1)
        x[:, root] = g[:, wrist] + 0.05 * along
        x[:, root + 1:root + 21] = (g[:, wrist, None] + shape[None, :, :1] * along[:, None]
                                    + shape[None, :, 1:] * across[:, None])
    sk, at = get_skeleton(name), {n: i for i, n in enumerate(COCO.joints)}
    made = {"neck": x[:, [5, 6]].mean(1), "mid_hip": x[:, [11, 12]].mean(1), "left_pupil": x[:, 1],
            "right_pupil": x[:, 2], "head_top": 1.5 * x[:, 0] - 0.5 * x[:, [5, 6]].mean(1)}
    out = np.stack([x[:, at[n]] if n in at else made[n] for n in sk.joints], 1)
    return out + rng.normal(0, 0.5, out.shape)


def _swapped(x: np.ndarray, pairs: list, frames: Any) -> np.ndarray:
    """``x`` with the left/right joints of ``pairs`` exchanged in ``frames`` (a slice or frame numbers)."""
    out, p = x.copy(), np.asarray(pairs)
    sub = x[frames].copy()
    sub[:, p[:, 0]], sub[:, p[:, 1]] = x[frames][:, p[:, 1]], x[frames][:, p[:, 0]]
    out[frames] = sub
    return out


def _parts(name: str) -> tuple[list, list]:
    """The body's left/right pairs and the hands' (``name``'s indices)."""
    sk = get_skeleton(name)
    body = set(BODY_JOINTS[name])
    wrists = (sk.index("left_wrist"), sk.index("right_wrist"))
    hand = [p for p in sk.left_right if p[0] not in body and sk.nearest_ancestor(p[0], body) == wrists[0]]
    return [p for p in sk.left_right if p[0] in body], hand


def _off_wrist(y: np.ndarray, name: str) -> np.ndarray:
    """``(T,)`` the larger distance from a hand's root to its own wrist."""
    sk = get_skeleton(name)
    i = sk.index
    return np.maximum(np.linalg.norm(y[:, i("left_hand_root")] - y[:, i("left_wrist")], axis=-1),
                      np.linalg.norm(y[:, i("right_hand_root")] - y[:, i("right_wrist")], axis=-1))


@pytest.mark.parametrize("name", ["coco133", "openpose137", "halpe136"])
def test_a_body_relabelled_keeps_its_correctly_labelled_hands_at_their_wrists(name):
    """The body and feet inverted over frames 60-74, both hands labelled right (each root beside its own wrist): the
    body is relabelled and the hands stay where they are (before: carried with the arms, each to the other wrist,
    about the wrists' distance away).  A body inverted with its hands is relabelled with them, as before."""
    x = _whole_body(name)
    body, hand = _parts(name)
    cols = np.asarray(hand).reshape(-1)
    xi = _swapped(x, body, slice(60, 75))
    r = repair_inversions(xi, name)
    assert r.flipped[:, r.groups.index("arms")].tolist() == [60 <= t < 75 for t in range(len(x))]
    assert _off_wrist(r.poses, name).max() < 5.0  # every hand at its wrist (the input's, 2.6-3.1 px)
    assert np.flatnonzero(r.hands).tolist() == list(range(60, 75))  # exchanged back against the arms
    np.testing.assert_array_equal(r.poses[:, cols], xi[:, cols])  # the hands' points as they came
    out = synsp.refine(xi, model="butterworth", skeleton=name)  # the repair synsp.refine runs
    assert _off_wrist(out, name)[60:75].max() < 5.0
    both = repair_inversions(_swapped(x, body + hand, slice(60, 75)), name)  # the hands inverted too
    assert not both.hands.any()
    np.testing.assert_array_equal(both.poses[:, cols], x[:, cols])


def test_hands_exchanged_alone_beside_correct_arms_are_left_as_they_came():
    """Only the hands exchanged (frames 140-169): the arms are not relabelled, so neither are the hands (decided frame
    by frame, the rule would also move correct hands to the wrong wrists wherever an arm inversion is left: a review,
    17 -> 130 wrong hand-frames); ``hand_exchanges`` alone still finds them."""
    name = "coco133"
    x = _whole_body(name)
    _, hand = _parts(name)
    frames = np.r_[140:170]
    xi = _swapped(x, hand, frames)
    y, _, report = repair_poses(xi, get_skeleton(name), np.full(x.shape[:2], 0.9))
    assert not report["flipped"].any() and not report["hands"].any()
    np.testing.assert_array_equal(y, xi)
    assert set(np.flatnonzero(hand_exchanges(xi, name))) == set(frames)


def test_correct_hands_stay_beside_an_arm_inversion_the_repair_leaves():
    """The body inverted over the track's last 100 frames, hands correct: where the repair leaves the arms as they
    came, the hands stay as they came too."""
    name = "coco133"
    x = _whole_body(name)
    body, _ = _parts(name)
    frames = np.r_[len(x) - 100:len(x)]
    xi = _swapped(x, body, frames)
    _, _, report = repair_poses(xi, get_skeleton(name), np.full(x.shape[:2], 0.9))
    arms = report["flipped"][:, list(report["groups"]).index("arms")]
    assert not (report["hands"] & ~arms).any()


def test_hands_decide_only_where_both_hands_and_wrists_are_seen():
    """A frame decides nothing where a hand's root or a wrist is missing or scored under ``min_confidence``; a
    skeleton without separate hands has no answer (None)."""
    name = "coco133"
    x = _whole_body(name)
    _, hand = _parts(name)
    xi = _swapped(x, hand, slice(140, 170))
    assert hand_exchanges(xi, name)[140:170].all() and not hand_exchanges(x, name).any()
    missing = xi.copy()
    missing[141, COCO.index("right_hand_root")] = np.nan
    missing[142, COCO.index("left_wrist")] = np.nan
    conf = np.ones(x.shape[:2])
    conf[143, COCO.index("left_hand_root")] = 0.1
    got = hand_exchanges(missing, name, conf)
    assert got[140:170].tolist() == [True] + [False] * 3 + [True] * 26
    assert hand_exchanges(np.stack([xi, x], axis=1), name)[140:170].tolist() == [[True, False]] * 30  # (T, P, J, D)
    assert hand_exchanges(x[:, :17], "coco17") is None


def test_a_stream_puts_the_hands_back_at_their_wrists_as_offline():
    """The stream's repair relabels the body frame by frame: where it relabels the arms, the hands go back to their
    wrists too (before, only offline did)."""
    name = "coco133"
    x = _whole_body(name)[:120]
    body, _ = _parts(name)
    xi = _swapped(x, body, np.r_[60:75])
    stream, out = synsp.Stream("kalman", repair=True, skeleton=name), []
    for frame in xi:
        out += stream.push(frame)
    out = np.stack(out + stream.flush()[0])
    assert stream.relabelled[0]["arms"] == 15
    assert _off_wrist(out, name)[60:75].max() < 10.0  # was about 100 px: the hands carried to the other wrists
