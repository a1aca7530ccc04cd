"""Long gaps follow the body (``fill_gaps(..., body=True)``, the offline refine path), short ones keep their fill;
``synsp.refine(..., max_gap=...)`` gives a joint lost for longer back NaN."""

import warnings

import numpy as np
import pytest

import synsp
from synsp.data.corpus import load_corpus
from synsp.missing import BODY_END_FRAMES, CURVED_GAP_FRAMES, fill_gaps

WRIST = 16  # h36m17's right wrist


@pytest.fixture(scope="module")
def clips():
    by_id = {c.clip_id: np.asarray(c.positions, dtype=np.float64) for c in load_corpus()}
    return by_id["cmu_mocap/bvh_cc_retarget/007/007_03#s0p0"], by_id["cmu_mocap/asf_amc/01/01_13#s0p0"]


def error(out, truth, frames):
    return float(np.linalg.norm(out[frames, WRIST] - truth[frames, WRIST], axis=-1).mean())


def test_a_wrist_lost_for_long_moves_on_with_the_body_and_short_gaps_keep_their_fill(clips):
    walk, playground = clips  # a walk at 1.2 m/s (104 frames); 847 frames of a playground at 1.0 m/s
    cases = [(walk, slice(44, 104)), (playground, slice(300, 390))]  # end, inside
    for k, (truth, lost) in enumerate(cases):
        x = truth.copy()
        x[lost, WRIST] = np.nan
        gap = np.isnan(x)
        before = error(fill_gaps(x, gap, curved=True), truth, lost)  # 0.87 m held, 0.39 m straight
        after = error(fill_gaps(x, gap, curved=True, body=True), truth, lost)  # 0.10 / 0.16 m
        assert after < 0.2 and after < 0.5 * before
        # the offline filters fill so, as the networks do (Kalman-RTS measures the fill at a track's ends and in
        # gaps of more than 30 frames; drawn across a 90-frame gap by its motion model, the wrist was 0.73 m off)
        for model in ("butterworth", "kalman-rts"):
            assert error(synsp.refine(x, model=model, fps=30), truth, lost) < 0.2
    # a track's start keeps its fill (carried back), which a stream reproduces from the frames it holds
    x = walk.copy()
    x[:60, WRIST] = np.nan
    np.testing.assert_array_equal(fill_gaps(x, np.isnan(x), curved=True, body=True),
                                  fill_gaps(x, np.isnan(x), curved=True))
    # (T, P, J, D): each person follows their own body; 2D the same
    x = np.stack([walk, walk + [3.0, 0.0, 0.0]], axis=1)
    x[44:, 1, WRIST] = np.nan
    filled = fill_gaps(x, np.isnan(x), curved=True, body=True)
    assert np.linalg.norm(filled[44:, 1, WRIST] - x[44:, 0, WRIST] - [3.0, 0.0, 0.0], axis=-1).max() < 0.3
    flat = walk[..., [0, 2]]  # the ground plane, walked along its second axis
    lost = flat.copy()
    lost[44:, WRIST] = np.nan
    assert error(fill_gaps(lost, np.isnan(lost), curved=True, body=True), flat, slice(44, 104)) < 0.1  # 0.87 held
    # short gaps, causal fills, rotations and gaps with no joint seen through them keep their fill
    x = walk.copy()
    x[:BODY_END_FRAMES, 3] = np.nan  # a track's start: carried back, as before
    x[-BODY_END_FRAMES:, WRIST] = np.nan
    x[20:20 + CURVED_GAP_FRAMES, 13] = np.nan  # inside: the curve (or the straight line) between its ends
    x[40:45, [0, 7, 8]] = np.nan  # several joints at once
    gap = np.isnan(x)
    np.testing.assert_array_equal(fill_gaps(x, gap, curved=True, body=True), fill_gaps(x, gap, curved=True))
    x[-40:, WRIST] = np.nan  # long, but causal: held
    gap = np.isnan(x)
    np.testing.assert_array_equal(fill_gaps(x, gap, causal=True, body=True), fill_gaps(x, gap, causal=True))
    quaternions = np.concatenate([x, x[..., :1]], axis=-1)  # D = 4: not positions
    gap = np.isnan(quaternions)
    np.testing.assert_array_equal(fill_gaps(quaternions, gap, curved=True, body=True),
                                  fill_gaps(quaternions, gap, curved=True))
    lone = x.copy()
    lone[-40:] = np.nan  # no joint seen through the gap: nothing to follow
    gap = np.isnan(lone)
    np.testing.assert_array_equal(fill_gaps(lone, gap, curved=True, body=True), fill_gaps(lone, gap, curved=True))


def test_max_gap_gives_a_joint_lost_for_longer_back_nan(clips):
    truth = clips[1][:300]
    x = truth.copy()
    x[100:160, WRIST] = np.nan  # 2 s
    x[200:205, 13] = np.nan  # 5 frames
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, filled = synsp.refine(x, model="butterworth", fps=30, max_gap=15, return_filled=True)
    assert np.isnan(out[100:160, WRIST]).all() and not filled[100:160, WRIST].any()
    assert filled[200:205, 13].all() and np.isfinite(out[200:205, 13]).all()
    assert np.isnan(out).any(-1).sum() == 60
    out, filled = synsp.refine(x, model="butterworth", fps=30, return_filled=True)  # no max_gap: all filled
    assert np.isfinite(out).all() and filled.sum() == 65
    gone = x.copy()
    gone[230:260] = np.nan  # whole frames of a (T, J, D) array: as a person's absence, beyond max_gap
    out = synsp.refine(gone, model="butterworth", fps=30, max_gap=15)
    assert np.isnan(out[230:260]).all() and np.isfinite(out[200:230]).all()
    persons = np.stack([x, truth + [3.0, 0.0, 0.0]], axis=1)
    out, filled = synsp.refine(persons, model="butterworth", fps=30, max_gap=15, return_filled=True)
    assert np.isnan(out[100:160, 0, WRIST]).all() and filled[200:205, 0, 13].all() and np.isfinite(out[:, 1]).all()
    views = np.stack([x, truth], axis=1)  # views refined each alone (a filter): view 0's long fill is invented
    out, filled = synsp.refine(views, model="butterworth", fps=30, views=True, max_gap=15, return_filled=True)
    assert np.isnan(out[100:160, 0, WRIST]).all() and np.isfinite(out[:, 1]).all()
    # fused (+view-mean): another view saw the wrist, so its position is no invention
    out, filled = synsp.refine(views, model="butterworth+view-mean", fps=30, views=True, max_gap=15,
                               return_filled=True)
    assert np.isfinite(out).all() and filled[100:160, 0, WRIST].all()


def test_the_entries_the_body_fill_decided_are_marked_and_a_lone_point_has_none(clips):
    """Kalman-RTS measures the body fill (`refilled`), not every long gap: a lone point's 90-frame gap, where no joint
    is there to follow, is left to its motion model (a straight line measured there was 0.72 m off against 0.45)."""
    from synsp.missing import interpolate_missing

    walk, playground = clips
    x = playground.copy()
    x[300:390, WRIST] = np.nan
    refilled = np.zeros(x.shape, dtype=bool)
    interpolate_missing(x, curved=True, body=True, refilled=refilled)
    assert refilled[300:390, WRIST].all() and refilled.sum() == 90 * 3
    lone = x[:, WRIST:WRIST + 1]
    refilled = np.zeros(lone.shape, dtype=bool)
    interpolate_missing(lone, curved=True, body=True, refilled=refilled)
    assert not refilled.any()
