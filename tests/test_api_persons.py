"""synsp.refine on persons (T, P, J, D): every column a track, refined by the rules of a file's tracks."""

import warnings

import numpy as np
import pytest

import synsp
from synsp.api import refine_pose_file
from synsp.data.corpus import load_corpus
from synsp.io.tracks import PoseFile, Track
from synsp.label_errors import simulate_crossing


@pytest.fixture(scope="module")
def clips():
    return [np.asarray(c.positions, dtype=np.float64) for c in load_corpus()[:9]]


def enter_and_leave(clips, T=90):
    """Clean mocap in metres, columns right: person 1 only in frames 30-59; person 2 leaves at frame 40 and a
    different person walks in 6 m away from where they were in column 2 at frame 70."""
    x = np.full((T, 3, 17, 3), np.nan)
    x[:, 0] = clips[0][:T]
    x[30:60, 1] = clips[2][30:60] + [2, 0, 0]
    x[:40, 2] = clips[7][:40] + [-2, 0, 0]
    x[70:, 2] = clips[8][70:T] + [4, 0, 0]
    return x


def as_file(x, scores=None):
    """The columns of ``x`` as the tracks ``synsp refine`` reads from an array file (present where finite)."""
    tracks = []
    for q in range(x.shape[1]):
        at = np.flatnonzero(np.isfinite(x[:, q]).any(axis=(-1, -2)))
        tracks.append(Track(q, at, x[at, q], None if scores is None else scores[at, q]))
    return PoseFile(tracks=tracks, num_frames=len(x), format="array", fps=30.0)


def test_absent_persons_stay_nan_and_a_newcomer_keeps_their_column(clips):
    x = enter_and_leave(clips)
    present = np.isfinite(x).all((-1, -2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every part long enough: nothing to warn about
        out, filled = synsp.refine(x, fps=30, return_filled=True)
    assert out.shape == x.shape
    assert np.array_equal(np.isfinite(out).all((-1, -2)), present)  # no pose where nobody was
    assert np.isnan(out[~present]).all() and not filled[~present].any()
    moved = np.linalg.norm(out - x, axis=-1).mean(-1)  # (T, P) metres on the present frames
    assert moved[70:, 2].max() < 0.002  # the newcomer stays in column 2, near their clean input
    assert np.nanmax(np.where(present, moved, np.nan)) < 0.003
    # the same rules as synsp refine on the array file: the same values
    refined, summary = refine_pose_file(as_file(x), fps=30)
    for t in refined.tracks:
        np.testing.assert_allclose(out[t.frames, t.track_id], t.keypoints, atol=1e-9)
    assert summary["reassigned"] == 0


def test_a_long_absence_splits_the_timeline_and_a_short_gap_is_filled_and_given_back_empty(clips):
    a = clips[1][:120]
    x = np.full((120, 1, 17, 3), np.nan)
    x[:50, 0], x[60:120, 0] = a[:50], a[60:120]  # 10 frames gone (under half a second)
    x[20:24, 0] = np.nan  # a short gap: filled for the refinement only
    out, filled = synsp.refine(x, model="butterworth", fps=30, return_filled=True)
    assert np.isnan(out[20:24]).all() and np.isnan(out[50:60]).all() and not filled.any()
    assert np.isfinite(out[:20]).all() and np.isfinite(out[24:50]).all() and np.isfinite(out[60:]).all()
    # max_gap=5: the 10 absent frames split the person's timeline: each side alone
    split = synsp.refine(x, model="butterworth", fps=30, max_gap=5)
    first = synsp.refine(x[:50], model="butterworth", fps=30)
    np.testing.assert_allclose(split[:50], first, atol=1e-9)
    assert not np.allclose(out[:50], first, atol=1e-6)  # one timeline across the short absence by default


def test_a_swap_between_two_people_present_together_is_still_repaired(clips):
    long = [c for c in clips if len(c) >= 300]
    cr = simulate_crossing(long[0][:300], long[1][:300], "h36m17", crossings=3, absent=0, seed=2)
    assert cr.swapped.any()
    with pytest.warns(UserWarning, match=r"person-frames moved to another column: .*repair=False keeps"):
        out = synsp.refine(cr.poses, model="butterworth", fps=30)  # said: the columns are no tracker's ids now
    truth = cr.truth  # column k follows the person of column k at frame 0
    err = np.linalg.norm(out - truth, axis=-1).mean()
    plain = np.linalg.norm(synsp.refine(cr.poses, model="butterworth", fps=30, repair=False) - truth, axis=-1).mean()
    assert err < 0.01 < 0.1 < plain


def test_low_scores_are_filled_and_the_mask_follows_the_persons(clips):
    x = np.stack([clips[3][:60], clips[4][:60] + [3.0, 0, 0]], axis=1)
    conf = np.ones(x.shape[:-1])
    conf[10:14, 1, 5] = 0.1
    out, filled = synsp.refine(x, model="butterworth", fps=30, confidence=conf, return_filled=True)
    assert filled[10:14, 1, 5].all() and filled.sum() == 4
    assert np.isfinite(out).all()
