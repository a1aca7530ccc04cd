"""Shared assertion for the pose-format tests (imported by them; pytest puts this folder on sys.path)."""

import numpy as np


def assert_same_pose_files(a, b, same_format: bool = True):
    """Same frames, skeleton, track ids, frame indices, keypoints and scores."""
    assert a.num_frames == b.num_frames and a.skeleton == b.skeleton
    assert not same_format or a.format == b.format
    assert [t.track_id for t in a.tracks] == [t.track_id for t in b.tracks]
    for ta, tb in zip(a.tracks, b.tracks):
        np.testing.assert_array_equal(ta.frames, tb.frames)
        np.testing.assert_array_equal(ta.keypoints, tb.keypoints)
        np.testing.assert_array_equal(ta.scores, tb.scores)
