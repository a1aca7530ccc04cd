"""Input, persons and parts too short to refine come back as they came (with a warning in synsp.refine), and a
fragment of a frame or two after a jump (a false detection far away) is cut off and left as it is."""

import warnings

import numpy as np
import pytest

import synsp
from synsp.api import refine_pose_file
from synsp.cuts import CUT_SEEN, whole_frames
from synsp.data.corpus import load_corpus
from synsp.io.tracks import PoseFile, Track
from synsp.refiners import get_refiner, min_frames_of
from synsp.skeletons import get_skeleton


@pytest.fixture(scope="module")
def body():
    return np.asarray(load_corpus()[1].positions[:120], dtype=np.float64)  # clean mocap, metres, 30 fps


def refined_with_warning(x, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = synsp.refine(x, **kw)
    ours = [str(w.message) for w in caught if "synsp.refine" in str(w.message)]
    assert len(ours) == 1 and "\n" not in ours[0], ours
    return out, ours[0]


def test_the_minimum_frames_of_the_defaults():
    assert min_frames_of(get_refiner("synsp-universal-w16")) == 4  # parts of 1-3 frames stay as they are
    assert min_frames_of(get_refiner("butterworth")) == 16  # one point, hand21, face68: under 16 frames


@pytest.mark.parametrize("T", [2, 3, 5, 10])
def test_one_point_and_a_hand_shorter_than_butterworth_needs_come_back_as_they_came(T):
    x = np.zeros((T, 1, 3))
    x[:, 0, 0] = 0.1 * np.arange(T)  # a ball moving 10 cm a frame in a straight line
    out, message = refined_with_warning(x, fps=30)
    np.testing.assert_array_equal(out, x)
    assert f"{T} frames" in message and "16 frames butterworth needs" in message and "more frames" in message
    hand = np.random.default_rng(T).normal(300.0, 40.0, (T, 21, 2)).astype(np.float32)
    out, message = refined_with_warning(hand, fps=30)
    assert out.dtype == np.float32 and np.array_equal(out, hand)


@pytest.mark.parametrize("T", [1, 2, 3])
def test_a_body_shorter_than_the_networks_minimum_comes_back_as_it_came(body, T):
    x = body[20:20 + T].copy()
    x[0, 4] = np.nan  # a missing joint stays missing, as in a track part too short to refine
    (out, filled), message = refined_with_warning(x, fps=30, return_filled=True)
    np.testing.assert_array_equal(out, x)
    assert not filled.any() and "4 frames synsp-universal-w16 needs" in message and "kalman-rts" in message


def test_from_the_minimum_on_the_body_is_refined_without_a_warning(body):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = synsp.refine(body[20:24], fps=30)
    assert not np.array_equal(out, body[20:24]) and np.abs(out - body[20:24]).max() < 0.01


def test_a_short_person_among_persons_comes_back_as_they_came(body):
    x = np.full((60, 2, 17, 3), np.nan)
    x[:, 0] = body[:60]
    x[10:13, 1] = body[60:63] + [2.0, 0, 0]
    (out, filled), message = refined_with_warning(x, fps=30, return_filled=True)
    np.testing.assert_array_equal(out[:, 1], x[:, 1])  # 3 frames, NaN around them: all as it came
    assert not filled[:, 1].any() and "person 1: 3 frames from frame 10" in message
    assert np.isfinite(out[:, 0]).all() and not np.array_equal(out[:, 0], x[:, 0])


# --- a false detection far away after a jump: cut off, left as it is ----------------------------------------


def scene(body):
    """A person in pixels (2 px of noise) detected in frames 0-44, then one false detection at frame 50, 1000 px
    away, its joint 15 scored 0.1: poses (51, 17, 2) (NaN while nobody is detected) and scores."""
    rng = np.random.default_rng(0)
    person = np.stack([600 + 300 * body[:45, :, 0], 800 - 300 * body[:45, :, 1]], -1) + rng.normal(0, 2, (45, 17, 2))
    x = np.full((51, 17, 2), np.nan)
    x[:45], x[50] = person, person[44] + [1000.0, 0.0]
    scores = np.full((51, 17), 0.9)
    scores[50, 15] = 0.1
    return x, scores


def pulled(out, x):
    """How far the person's frames are from the person refined alone, without the false detection (px; the most of
    any frame, mean over the joints; a network moves a fast track's last frame 2 px more than the others, alone)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alone = synsp.refine(x[:45], fps=30)
    return float(np.linalg.norm(out[:45] - alone, axis=-1).mean(-1).max())


def refined_file(x, scores, track_id):
    """The scene as one track of a pose file (detected in frames 0-44 and 50), refined: (poses by frame, summary)."""
    at = np.r_[0:45, 50]
    pf = PoseFile(tracks=[Track(track_id, at, x[at], scores[at])], num_frames=51, format="array", fps=30.0)
    refined, summary = refine_pose_file(pf)
    out = np.full_like(x, np.nan)
    out[at] = refined.tracks[0].keypoints
    return out, summary


def test_a_false_detection_far_away_is_cut_off_in_a_file_and_listed(body):
    x, scores = scene(body)
    out, summary = refined_file(x, scores, track_id=7)
    assert summary["cuts"] == {7: [50]} and summary["unrefined_tracks"] == [7]
    np.testing.assert_array_equal(out[50], x[50])  # the fragment as it came
    assert pulled(out, x) < 0.1  # the person is not dragged towards it (before: 7-50 px)


def test_a_false_detection_far_away_is_cut_off_by_refine(body):
    x, scores = scene(body)
    (out, filled), message = refined_with_warning(x, fps=30, confidence=scores, return_filled=True)
    np.testing.assert_array_equal(out[50], x[50])
    assert not filled[50].any() and "1 frame from frame 50" in message
    assert pulled(out, x) < 0.1
    persons, message = refined_with_warning(x[:, None], fps=30, confidence=scores[:, None])  # as a person's column
    np.testing.assert_array_equal(persons[50, 0], x[50])
    assert np.isnan(persons[45:50]).all() and "person 0: 1 frame from frame 50" in message
    assert pulled(persons[:, 0], x) < 0.1


def test_the_frames_a_short_part_may_be_left_as_it_is_in():
    valid = np.ones((6, 17), dtype=bool)
    valid[1, 15] = False  # a joint under the score threshold
    valid[2, :5] = False  # most of the body lost
    valid[3] = False  # nobody detected
    assert whole_frames(valid).tolist() == [True, True, False, True, True, True]
    assert 16 / 17 >= CUT_SEEN > 12 / 17
    finite = np.ones((6, 17), dtype=bool)
    finite[3] = False  # nobody: NaN
    finite[4, 2] = False  # a NaN joint: refine of one track fills it, so such a part stays with its neighbour
    assert whole_frames(valid, finite=finite).tolist() == [True, True, False, False, False, True]
    whole = np.ones((3, 133), dtype=bool)
    whole[:2, 23:] = False  # COCO-WholeBody: the body seen, face and hands below the threshold in two frames
    assert whole_frames(whole, get_skeleton("coco133")).all() and whole_frames(whole).tolist() == [False, False, True]


def test_a_false_detection_is_cut_off_where_the_face_and_feet_points_are_never_found(body):
    # BODY_25 with 8 points never found: the refinement stands in for them, and so must the repair's cut finder
    x, scores = scene(body)
    x = np.concatenate([x, np.zeros((51, 8, 2))], axis=1)  # 25 points, 8 never found: (0, 0) with score 0
    scores = np.concatenate([scores, np.zeros((51, 8))], axis=1)
    out, summary = refined_file(x, scores, track_id=0)
    assert summary["cuts"] == {0: [50]} and summary["unrefined_tracks"] == [0]
    np.testing.assert_array_equal(out[50], x[50])
    at = np.r_[0:45, 50]
    np.testing.assert_array_equal(out[at, 17:], x[at, 17:])  # never found: as written
    alone = refine_pose_file(PoseFile(tracks=[Track(0, at[:45], x[:45], scores[:45])], num_frames=45, format="array",
                                      fps=30.0))[0].tracks[0].keypoints
    assert np.linalg.norm(out[:45] - alone, axis=-1).mean(-1).max() < 0.1  # not pulled (before: 46 px)
