"""SLEAP analysis HDF5 files: tracks read as persons, refined, written back into a copy of the file."""

from __future__ import annotations

import numpy as np
import pytest

from synsp.cli import main
from synsp.io.tracks import pose_file_format, read_pose_file
from synsp.validation import SynspInputError

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


# --- SLEAP labels / predictions files (.slp): written here with h5py in the layout SLEAP and sleap-io write -------
# (records checked against a file sleap-io 0.9.5 saved: frames, instances with tracking_score, pred_points, the
# metadata JSON's global node list and each skeleton's node ids)

_FRAMES = np.dtype([("frame_id", "<u8"), ("video", "<u4"), ("frame_idx", "<u8"), ("instance_id_start", "<u8"),
                    ("instance_id_end", "<u8")])
_INSTANCES = np.dtype([("instance_id", "<i8"), ("instance_type", "u1"), ("frame_id", "<u8"), ("skeleton", "<u4"),
                       ("track", "<i4"), ("from_predicted", "<i8"), ("score", "<f4"), ("point_id_start", "<u8"),
                       ("point_id_end", "<u8"), ("tracking_score", "<f4")])
_POINTS = np.dtype([("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?")])
_PRED_POINTS = np.dtype([("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?"), ("score", "<f8")])


def write_slp(path, xy, scores, tracks=("fly0", "fly1"), video_of=None, user_frame=None, first_frame=0,
              node_order=None, nx_graph=False):
    """A .slp of predicted instances ``xy`` ``(frames, nodes, 2, instances)`` (NaN: not found; a whole-NaN
    instance is absent), ``tracks`` their track names (None: untracked), one user-labelled instance in
    ``user_frame``; ``node_order``: the skeleton's node ids into the metadata's global node list."""
    import json

    T, J, _, K = xy.shape
    order = list(range(J)) if node_order is None else node_order
    graph = {"directed": True, "graph": {"name": "fly", "num_edges_inserted": 1}, "links": [
        {"edge_insert_idx": 0, "key": 0, "source": order[0], "target": order[1],
         "type": {"py/reduce": [{"py/type": "sleap.skeleton.EdgeType"}, {"py/tuple": [1]}]}}],
        "multigraph": True, "nodes": [{"id": i} for i in order]}
    nodes = [None] * J
    for k, i in enumerate(order):
        nodes[i] = {"name": NODES[k], "weight": 1.0}
    meta = {"version": "2.0.0", "skeletons": [{"nx_graph": graph} if nx_graph else graph], "nodes": nodes,
            "videos": [], "tracks": [], "suggestions": [], "negative_anchors": {}, "provenance": {}}
    frames, insts, pred, user = [], [], [], []
    for t in range(T):
        start = len(insts)
        for k in range(K):
            if not np.isfinite(xy[t, :, :, k]).any():
                continue
            p0 = len(pred)
            for j in range(J):
                ok = bool(np.isfinite(xy[t, j, :, k]).all())
                pred.append((xy[t, j, 0, k], xy[t, j, 1, k], ok, False, scores[t, j, k] if ok else np.nan))
            insts.append((len(insts), 1, t, 0, k if tracks is not None else -1, -1, 0.9, p0, p0 + J, 0.5))
        if t == user_frame:
            insts.append((len(insts), 0, t, 0, -1, -1, np.nan, len(user), len(user) + J, 0.0))
            user += [(7.0, 7.0, True, True)] * J
        frames.append((t, 0 if video_of is None else video_of(t), first_frame + t, start, len(insts)))
    with h5py.File(path, "w") as f:
        f.create_group("metadata")
        f["metadata"].attrs["format_id"] = 1.4
        f["metadata"].attrs["json"] = np.bytes_(json.dumps(meta).encode())
        f["frames"] = np.array(frames, dtype=_FRAMES)
        f["instances"] = np.array(insts, dtype=_INSTANCES)
        f["points"] = np.array(user, dtype=_POINTS)
        f["pred_points"] = np.array(pred, dtype=_PRED_POINTS)
        strings = h5py.string_dtype()
        f.create_dataset("tracks_json", data=[json.dumps([0, n]) for n in (tracks or ())], dtype=strings)
        video = {"filename": "flies.mp4", "backend": {"filename": "flies.mp4"}}
        f.create_dataset("videos_json", data=[json.dumps(video)], dtype=strings)
        f.create_dataset("suggestions_json", data=[], dtype=strings)
    return path


def test_a_predictions_slp_is_refined_into_a_copy_of_itself(tmp_path, capsys):
    smooth, noisy = _flies()
    noisy[100:104, 2, :, 0] = np.nan  # a node lost for 4 frames
    noisy[150:, :, :, 1] = np.nan  # the second fly leaves
    scores = np.full(noisy.shape[:2] + noisy.shape[3:], 0.9)
    src = write_slp(tmp_path / "flies.predictions.slp", noisy, scores, user_frame=20, first_frame=1000)
    assert pose_file_format(src) == "sleap"
    pf = read_pose_file(src)
    assert [t.track_id for t in pf.tracks] == ["fly0", "fly1"] and pf.meta["joint_names"] == NODES
    assert len(pf.track("fly1").frames) == 150 and pf.track("fly0").frames[0] == 1000
    assert main(["refine", str(src), "-o", str(tmp_path / "out.h5")]) == 2  # a .slp is written as .slp
    assert ".slp" in capsys.readouterr().err and not (tmp_path / "out.h5").exists()
    assert main(["refine", str(src), "-o", str(tmp_path / "out.slp"), "--fps", "30"]) == 0
    with h5py.File(src, "r") as a, h5py.File(tmp_path / "out.slp", "r") as b:
        assert set(a) == set(b) and dict(a["metadata"].attrs) == dict(b["metadata"].attrs)
        for key in a:  # every other record as it was: frames, instances, the user's points, tracks, videos
            if key not in ("pred_points", "metadata"):
                x, y = a[key][()], b[key][()]
                assert x.dtype == y.dtype and (x.tobytes() == y.tobytes() if x.dtype != object else list(x) == list(y))
        before, after = a["pred_points"][()], b["pred_points"][()]
        inst = a["instances"][()]
    np.testing.assert_array_equal(before["score"], after["score"])
    lost = [int(inst["point_id_start"][i]) + 2 for i in range(len(inst)) if inst["frame_id"][i] in range(100, 104)
            and inst["track"][i] == 0 and inst["instance_type"][i] == 1]
    assert len(lost) == 4 and after["visible"][lost].all() and np.isfinite(after["x"][lost]).all()  # filled, seen
    assert not before["visible"][lost].any()
    mine = inst[(inst["instance_type"] == 1) & (inst["track"] == 0)]
    rows = (mine["point_id_start"][:, None] + np.arange(len(NODES))).astype(int)  # (frames, nodes)
    out = np.stack([after["x"][rows], after["y"][rows]], -1)
    noisy0 = np.stack([before["x"][rows], before["y"][rows]], -1)
    err = lambda y: np.nanmean(np.linalg.norm(y - smooth[:, :, :, 0], axis=-1))  # noqa: E731
    assert err(out) < 0.75 * err(noisy0)


def test_untracked_predictions_are_one_track_or_followed(tmp_path, capsys):
    smooth, noisy = _flies(T=120)
    scores = np.full(noisy.shape[:2] + noisy.shape[3:], 0.9)
    one = write_slp(tmp_path / "one.slp", noisy[..., :1], scores[..., :1], tracks=None)
    assert [len(t.frames) for t in read_pose_file(one).tracks] == [120]
    two = write_slp(tmp_path / "two.slp", noisy, scores, tracks=None)
    with pytest.raises(SynspInputError, match="sleap-track"):
        read_pose_file(two)  # two flies a frame and no tracks: how to track them
    assert main(["refine", str(two), "-o", str(tmp_path / "two_out.slp")]) == 0  # followed by motion continuity
    got = read_pose_file(tmp_path / "two_out.slp", assign_ids="track")
    assert sorted(len(t.frames) for t in got.tracks) == [120, 120]
    moved = [np.linalg.norm(t.keypoints - smooth[:, :, :, k], axis=-1).mean() for k, t in
             enumerate(sorted(got.tracks, key=lambda t: t.keypoints[0, 0, 0] != noisy[0, 0, 0, 0]))]
    assert max(moved) < 0.75 * np.linalg.norm(noisy - smooth, axis=2).mean()


def test_slp_nodes_follow_the_skeleton_and_bad_slp_files_are_clear_errors(tmp_path, capsys):
    _, noisy = _flies(T=40)
    scores = np.full(noisy.shape[:2] + noisy.shape[3:], 0.9)
    src = write_slp(tmp_path / "perm.slp", noisy, scores, node_order=[3, 0, 6, 1, 5, 2, 4], nx_graph=True)
    pf = read_pose_file(src)
    assert pf.meta["joint_names"] == NODES  # the skeleton's order, not the global node list's
    np.testing.assert_array_equal(pf.track("fly0").keypoints, noisy[..., 0])
    cases = {
        "videos.slp": (dict(video_of=lambda t: t % 2), "2 videos"),
        "labels.slp": (dict(xy=np.full_like(noisy, np.nan), user_frame=3), "no predicted instances"),
    }
    for name, (kw, why) in cases.items():
        write_slp(tmp_path / name, kw.pop("xy", noisy), scores, **kw)
        assert main(["refine", str(tmp_path / name), "-o", str(tmp_path / f"out_{name}")]) == 2
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err and not (tmp_path / f"out_{name}").exists()
    with h5py.File(tmp_path / "nometa.slp", "w") as f:
        f.create_group("metadata")
        f["frames"] = np.zeros(1, dtype=_FRAMES)
        f["instances"] = np.zeros(1, dtype=_INSTANCES)
    assert main(["refine", str(tmp_path / "nometa.slp"), "-o", str(tmp_path / "o.slp")]) == 2
    assert "metadata does not name" in capsys.readouterr().err


def _abort(_):
    import os

    os.abort()  # what libhdf5 does on some damaged files


def _raise(kind):
    raise kind("broken")


def test_a_crash_in_the_hdf5_library_is_an_input_error_not_the_end_of_the_process(tmp_path, capsys):
    from synsp.io._common import run_isolated

    with pytest.raises(SynspInputError, match="the HDF5 library crashed reading it"):
        run_isolated(_abort, 1, path="x.slp")
    with pytest.raises(SynspInputError, match="^broken$"):
        run_isolated(_raise, SynspInputError, path="x.slp")
    with pytest.raises(SynspInputError, match=r"x.slp: not a readable HDF5 file \(RuntimeError: broken\)"):
        run_isolated(_raise, RuntimeError, path="x.slp")
    assert run_isolated(np.add, 2, 3, path="x.slp") == 5
    # damaged files (bytes changed at random): each refined or refused in one line, never a crash or traceback
    _, noisy = _flies(T=40)
    src = write_slp(tmp_path / "base.slp", noisy, np.full((40, len(NODES), 2), 0.9), user_frame=3).read_bytes()
    rng = np.random.default_rng(7)
    codes = []
    for k in range(40):
        b = bytearray(src)
        for i in rng.integers(0, len(b), rng.integers(1, 16)):
            b[i] = rng.integers(0, 256)
        (tmp_path / "bad.slp").write_bytes(bytes(b))
        codes.append(main(["refine", str(tmp_path / "bad.slp"), "-o", str(tmp_path / f"o{k}.slp"), "--model",
                           "butterworth"]))
        err = capsys.readouterr().err
        assert codes[-1] in (0, 2) and "Traceback" not in err
        assert (codes[-1] == 0) == (tmp_path / f"o{k}.slp").exists()
    assert 2 in codes
