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


def test_a_curved_fill_follows_the_motion_through_short_gaps_and_meets_their_ends():
    """``curved=True``: the cubic of the observed frames around each gap of at most ``CURVED_GAP_FRAMES`` frames
    (a cubic motion comes back exactly), meeting the frames around it; longer gaps, gaps with fewer than two
    observed frames on a side stay linear, the ends carry the motion on (``carried_ends``); observed values are
    untouched."""
    from synsp.missing import CURVED_GAP_FRAMES, fill_gaps

    t = np.arange(80, dtype=np.float64)
    cubic = np.stack([0.001 * t**3 - 0.05 * t**2 + t, np.sin(t / 9.0)], axis=-1)[:, None]  # (T, 1, 2)
    gap = np.zeros((80, 1), dtype=bool)
    gap[10:18] = True  # 8 frames
    gap[30] = gap[32] = True  # single frames, two observed between
    gap[:2] = True  # the start: held
    gap[45:45 + CURVED_GAP_FRAMES + 1] = True  # longer than a curve is trusted: linear
    x = np.where(gap[..., None], np.nan, cubic)
    curved, linear = fill_gaps(x, gap, curved=True), fill_gaps(x, gap)
    np.testing.assert_allclose(curved[10:18, :, 0], cubic[10:18, :, 0], atol=1e-9)  # a cubic is reproduced
    assert np.abs(curved[10:18, :, 1] - cubic[10:18, :, 1]).max() < 0.1 * np.abs(linear[10:18, :, 1]
                                                                                - cubic[10:18, :, 1]).max()
    np.testing.assert_allclose(curved[30:33, :, 0], cubic[30:33, :, 0], atol=1e-9)
    np.testing.assert_array_equal(curved[~gap], cubic[~gap])  # observed: untouched
    # before the first observation the motion's velocity carries on backwards, decaying: nearer than held
    assert np.abs(curved[:2] - cubic[:2]).max() < 0.5 * np.abs(linear[:2] - cubic[:2]).max()
    np.testing.assert_array_equal(curved[45:45 + CURVED_GAP_FRAMES + 1], linear[45:45 + CURVED_GAP_FRAMES + 1])
    assert np.isnan(x).sum() == 2 * gap.sum()  # the input is not changed


def test_a_carried_fill_continues_the_last_velocity_decaying_causally_and_frame_by_frame_alike():
    """``carry_missing``: a gap after two or more observed frames continues the line fitted to the last
    ``CARRIED_SUPPORT`` of them, its slope decaying by ``CARRIED_DECAY`` a frame; without two recent observations it
    holds; it reads no later frame; :class:`CarriedFill` gives the same frame by frame."""
    from synsp.filters.online import hold
    from synsp.missing import CARRIED_DECAY, CARRIED_SUPPORT, CarriedFill, carry_missing

    assert (CARRIED_SUPPORT, CARRIED_DECAY) == (3, 0.85)
    t = np.arange(40, dtype=np.float64)
    x = np.stack([2.0 * t, np.zeros_like(t)], axis=-1)[:, None].repeat(3, axis=1)  # (T, 3, 2): joint 0 moves
    x[:, 1] = 5.0  # joint 1 still
    x[10:20, 0] = np.nan  # a gap after a straight line: 2 a frame, decaying
    x[30:33, 1] = np.nan  # a still joint stays still
    x[20:26, 2] = np.nan
    x[27:29, 2] = np.nan  # after frame 26 alone (the other frames of its support, 18 and 19, too far): held
    filled, mask = carry_missing(x)
    k = np.arange(1, 11)
    gain = CARRIED_DECAY * (1 - CARRIED_DECAY ** k) / (1 - CARRIED_DECAY)
    np.testing.assert_allclose(filled[10:20, 0, 0], 18.0 + 2.0 * gain, rtol=1e-12)
    np.testing.assert_allclose(filled[30:33, 1], 5.0, rtol=1e-12)
    np.testing.assert_array_equal(filled[27:29, 2], x[[26, 26], 2])
    assert np.all(np.diff(filled[10:20, 0, 0]) > 0) and filled[19, 0, 0] < 18.0 + 2.0 * 5.67
    held, _ = hold_missing(x)
    assert np.array_equal(filled[~mask], x[~mask]) and np.isfinite(filled).all()
    truth = 2.0 * t[10:20]
    assert np.abs(filled[10:20, 0, 0] - truth).mean() < 0.5 * np.abs(held[10:20, 0, 0] - truth).mean()
    future = x.copy()
    future[15:] = 99.0  # causal: frames before 15 do not read them
    np.testing.assert_array_equal(carry_missing(future)[0][:15], filled[:15])
    stepper, last, online = CarriedFill(3, 2), None, []
    for frame, m in zip(x, mask.any(-1)):
        last = stepper.fill(hold(last, frame, m), m)
        online.append(last)
    np.testing.assert_allclose(np.stack(online), filled, rtol=1e-12, atol=1e-12)


def test_the_zero_delay_networks_carry_gaps_online_as_offline_and_closer_than_holding():
    """A causal network fills with ``carry_missing`` offline and :class:`CarriedFill` in a stream: the same
    frames; on clean motion its filled joints come out nearer the truth than with the last value held."""
    import synsp
    from synsp.data.corpus import load_corpus
    from synsp.refiners import get_refiner

    truth = load_corpus()[0].positions[:120].astype(np.float64)
    rng = np.random.default_rng(3)
    gaps = np.zeros(truth.shape[:2], dtype=bool)
    for s in range(10, 110, 12):
        gaps[s:s + 5, rng.choice(17, 4, replace=False)] = True
    x = np.where(gaps[..., None], np.nan, truth)
    refiner = get_refiner("synsp-universal-w8-causal")
    offline = refiner(x)
    stream = synsp.Stream("synsp-universal-w8-causal")
    online = np.stack([f for frame in x for f in stream.push(frame)])
    np.testing.assert_allclose(online, offline, atol=1e-6)
    held = refiner(hold_missing(x)[0])
    err = lambda y: np.linalg.norm(y - truth, axis=-1)[gaps].mean()  # noqa: E731
    assert err(offline) < 0.7 * err(held)


def test_a_tracks_ends_carry_the_motion_on_offline_as_a_stream_does_while_it_waits():
    """``curved=True`` (the networks' and filters' fill offline): after a coordinate's last observation, and before
    its first, its velocity carries on, decaying (``carried_ends``), as a stream carries an open gap; interior gaps
    are the curve's."""
    import synsp
    from synsp.data.corpus import load_corpus
    from synsp.missing import CARRIED_DECAY, carried_ends

    t = np.arange(30, dtype=np.float64)
    x = np.stack([3.0 * t, np.full_like(t, 2.0)], axis=-1)[:, None]  # (T, 1, 2): moving along x
    gap = np.zeros((30, 1), dtype=bool)
    gap[-3:] = True
    gap[:2] = True
    filled = fill_gaps(np.where(gap[..., None], np.nan, x), gap, curved=True)
    gain = lambda k: CARRIED_DECAY * (1 - CARRIED_DECAY ** k) / (1 - CARRIED_DECAY)  # noqa: E731
    np.testing.assert_allclose(filled[-3:, 0, 0], 3.0 * 26 + 3.0 * gain(np.arange(1, 4)), rtol=1e-12)
    np.testing.assert_allclose(filled[1::-1, 0, 0], 3.0 * 2 - 3.0 * gain(np.arange(1, 3)), rtol=1e-12)
    np.testing.assert_allclose(filled[..., 1], 2.0, rtol=1e-12)  # a still coordinate stays
    flat = np.where(gap, 0.0, x[:, :, 0])
    carried_ends(flat, gap)  # in place, on (T, C)
    np.testing.assert_allclose(flat[-3:, 0], filled[-3:, 0, 0], rtol=1e-12)
    carried_err, held_err = [], []
    for clip in load_corpus()[:8]:
        truth = clip.positions[:80].astype(np.float64)
        lost = truth.copy()
        lost[-3:, [4, 5, 6]] = np.nan  # a leg leaves the image in the last frames
        lost[:2, [11, 12, 13]] = np.nan  # an arm enters it in the second
        where = np.isnan(lost).any(-1)
        held = fill_gaps(lost, np.isnan(lost))  # the ends held
        carried_err.append(np.linalg.norm(synsp.refine(lost, repair=False) - truth, axis=-1)[where].mean())
        held_err.append(np.linalg.norm(synsp.refine(held, repair=False) - truth, axis=-1)[where].mean())
    assert np.mean(carried_err) < 0.6 * np.mean(held_err)  # 0.45 here
