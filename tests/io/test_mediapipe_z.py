"""A landmark that a repair relabels (``PoseFile.meta["joint_sources"]``) takes its z, presence and world landmark
with it in every MediaPipe layout, as its x, y and visibility."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np

from synsp.io import mediapipe as mpio
from synsp.io.tracks import read_pose_file

ROW = 2  # the relabelled detection: landmarks 11 and 12 (the shoulders) exchanged


def _landmarks(frames: int = 4) -> np.ndarray:
    """(T, 33, 5): x, y (px), z, visibility, presence; each value distinct, but the shoulders' visibilities equal
    (their exchange cannot be told from the visibilities)."""
    rng = np.random.default_rng(0)
    lm = np.stack([rng.uniform(100, 900, (frames, 33)), rng.uniform(100, 900, (frames, 33)),
                   rng.normal(size=(frames, 33)) * 50, rng.uniform(0.5, 1, (frames, 33)),
                   rng.uniform(0.5, 1, (frames, 33))], -1)
    lm[:, 12, 3] = lm[:, 11, 3]
    return lm


def _relabelled(pf):
    """``pf`` as a repair leaves it: track 0's landmarks 11 and 12 exchanged at detection ROW, with the sources."""
    t = pf.tracks[0]
    src = np.tile(np.arange(33), (len(t.frames), 1))
    src[ROW, [11, 12]] = [12, 11]
    kp, sc = t.keypoints.copy(), t.scores.copy()
    kp[ROW], sc[ROW] = kp[ROW, src[ROW]], sc[ROW, src[ROW]]
    return dataclasses.replace(pf, tracks=[dataclasses.replace(t, keypoints=kp, scores=sc)],
                               meta={**pf.meta, "joint_sources": {t.track_id: src}})


def _moved(values: np.ndarray) -> np.ndarray:
    """``values`` (T, 33, ...) with 11 and 12 exchanged at ROW."""
    out = values.copy()
    out[ROW, [11, 12]] = values[ROW, [12, 11]]
    return out


def _write_csv(path, lm, wide: bool):
    names = ("x", "y", "z", "visibility", "presence")
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        if wide:
            w.writerow(["frame"] + [f"{c}_{j}" for j in range(33) for c in names])
            w.writerows([t] + [repr(float(v)) for v in lm[t].reshape(-1)] for t in range(len(lm)))
        else:
            w.writerow(["frame", "landmark", *names])
            w.writerows([t, j] + [repr(float(v)) for v in lm[t, j]] for t in range(len(lm)) for j in range(33))


def _read_back(path, wide: bool) -> np.ndarray:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    if wide:
        return np.array([[float(v) for v in r[1:]] for r in rows]).reshape(len(rows), 33, 5)
    return np.array([[float(v) for v in r[2:]] for r in rows]).reshape(-1, 33, 5)


def test_z_and_presence_move_with_a_relabelled_landmark_in_csv(tmp_path):
    lm = _landmarks()
    for wide in (True, False):
        src = tmp_path / f"in_{wide}.csv"
        _write_csv(src, lm, wide)
        pf = _relabelled(read_pose_file(src))
        out = _read_back(mpio.write(tmp_path / f"out_{wide}.csv", pf), wide)
        np.testing.assert_array_equal(out, _moved(lm))  # every channel of the two landmarks, nothing else
        assert out[ROW, 11, 2] == lm[ROW, 12, 2]


def test_z_presence_and_world_landmarks_move_in_npz_and_fresh_files(tmp_path):
    lm = _landmarks()
    world = np.random.default_rng(1).normal(size=(len(lm), 33, 3))
    src = mpio.write_npz(tmp_path / "in.npz", lm[:, None], world_landmarks=world[:, None], dtype=np.float64)
    pf = _relabelled(read_pose_file(src))
    with np.load(mpio.write(tmp_path / "out.npz", pf)) as z:
        np.testing.assert_array_equal(z["landmarks"][:, 0], _moved(lm))
        np.testing.assert_array_equal(z["world_landmarks"][:, 0], _moved(world))
    _write_csv(tmp_path / "in.csv", lm, wide=True)  # a CSV written as a fresh NPZ: z from the reader, moved
    with np.load(mpio.write(tmp_path / "fresh.npz", _relabelled(read_pose_file(tmp_path / "in.csv")))) as z:
        np.testing.assert_array_equal(z["landmarks"][:, 0, :, 2], _moved(lm)[..., 2].astype(np.float32))
    # read with z as a keypoint coordinate: moved with the keypoints, not once more
    pf3 = _relabelled(read_pose_file(src, dims=3))
    with np.load(mpio.write(tmp_path / "out3.npz", pf3)) as z:
        np.testing.assert_array_equal(z["landmarks"][:, 0], _moved(lm))
