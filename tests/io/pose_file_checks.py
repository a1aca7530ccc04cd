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


def object_array(items):
    """A 1-D object array holding ``items`` (how SmoothNet files store one entry per sequence)."""
    arr = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        arr[i] = x
    return arr


def imgnames(prefix, n):
    """SmoothNet's per-frame image names of one sequence: ``<prefix>/img_000001.jpg`` ..."""
    return [f"{prefix}/img_{k + 1:06d}.jpg" for k in range(n)]


def write_smoothnet_files(root, dataset, est, rep, split, gt: dict, det: dict):
    """The original SmoothNet layout under ``root``: one object array per key, ground truth and detected."""
    from synsp.io import smoothnet_paths

    g, d = smoothnet_paths(root, dataset, est, rep, split)
    for path, content in ((g, gt), (d, det)):
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{k: object_array(v) for k, v in content.items()})
    return g, d
