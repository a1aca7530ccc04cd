"""SLEAP analysis HDF5 files: tracks read as persons, refined, written back into a copy of the file."""

from __future__ import annotations

import numpy as np
import pytest

from synsp.cli import main
from synsp.io.tracks import pose_file_format, read_pose_file

h5py = pytest.importorskip("h5py")

NODES = ["head", "thorax", "abdomen", "leftwing", "rightwing", "leftleg", "rightleg"]


def write_analysis(path, xy, scores=None, names=("track_0", "track_1")):
    """SLEAP's analysis layout: ``xy`` ``(frames, nodes, 2, tracks)`` stored transposed, as SLEAP writes it."""
    with h5py.File(path, "w") as f:
        f["tracks"] = xy.T  # (tracks, 2, nodes, frames)
        f["node_names"] = np.array([n.encode() for n in NODES])
        f["track_names"] = np.array([n.encode() for n in names[:xy.shape[-1]]])
        f["track_occupancy"] = np.isfinite(xy).all(2).any(1).astype(np.uint8)
        f["edge_inds"] = np.array([[0, 1], [1, 2]])
        if scores is not None:
            f["point_scores"] = scores.T
    return path


def _flies(T=240, seed=0, noise=1.5):
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None, None] / 30.0
    base = rng.uniform(50, 400, (1, len(NODES), 2, 2))
    smooth = base + 25 * np.sin(1.1 * t[..., None] + base / 60)
    return smooth, smooth + rng.normal(0, noise, smooth.shape)


def test_tracks_are_read_refined_and_written_into_a_copy(tmp_path, capsys):
    smooth, noisy = _flies()
    noisy[100:104, 2, :, 0] = np.nan  # a node lost for 4 frames
    noisy[150:, :, :, 1] = np.nan  # the second fly leaves
    scores = np.where(np.isfinite(noisy).all(2), 0.9, np.nan)
    src = write_analysis(tmp_path / "flies.analysis.h5", noisy, scores)
    assert pose_file_format(src) == "sleap"
    pf = read_pose_file(src)
    assert [t.track_id for t in pf.tracks] == ["track_0", "track_1"] and pf.num_joints == 7 and pf.dims == 2
    assert len(pf.track("track_1").frames) == 150 and pf.meta["joint_names"] == NODES
    assert main(["refine", str(src), "-o", str(tmp_path / "out.h5"), "--fps", "30"]) == 0
    with h5py.File(src, "r") as a, h5py.File(tmp_path / "out.h5", "r") as b:
        assert set(a) == set(b)
        for key in a:  # every other dataset as it was
            if key != "tracks":
                np.testing.assert_array_equal(a[key][()], b[key][()])
        out = b["tracks"][()].T  # (frames, nodes, 2, tracks)
    assert np.isfinite(out[100:104, 2, :, 0]).all()  # the lost node filled
    assert np.isnan(out[150:, :, :, 1]).all()  # the fly that left stays absent
    err = lambda y, k: np.nanmean(np.linalg.norm(y[:150, :, :, k] - smooth[:150, :, :, k], axis=-1))  # noqa: E731
    assert err(out, 0) < 0.75 * err(noisy, 0) and err(out, 1) < 0.75 * err(noisy, 1)


def test_other_hdf5_files_are_one_clear_error(tmp_path, capsys):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["data"] = np.zeros((3, 3))
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f["tracks"] = np.zeros((2, 3, 7, 10))  # not (tracks, 2, nodes, frames)
        f["node_names"] = np.array([n.encode() for n in NODES])
    for name, why in (("other.h5", "an HDF5 file synsp does not read"), ("bad.h5", "(tracks, 2, nodes, frames)")):
        assert main(["refine", str(tmp_path / name), "-o", str(tmp_path / f"out_{name}")]) == 2
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err and not (tmp_path / f"out_{name}").exists()
