"""NWB files with ndx-pose poses: PoseEstimation groups read as tracks, refined, written back into a copy.

The files are written here with h5py in the layout pynwb 4.2 and ndx-pose 0.4 write (checked against a file they
saved: a PoseEstimation group per animal, a PoseEstimationSeries group per body part with data, confidence and
starting_time + rate or timestamps, a link to the Skeleton under Skeletons)."""

from __future__ import annotations

import numpy as np
import pytest

from synsp.cli import main
from synsp.io.tracks import pose_file_format, read_pose_file
from synsp.validation import SynspInputError

h5py = pytest.importorskip("h5py")

PARTS = ["snout", "leftear", "rightear", "neck", "tailbase", "leftpaw", "rightpaw"]


def _mice(T=240, seed=0, noise=1.5):
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None, None] / 30.0
    base = rng.uniform(50, 400, (2, 1, len(PARTS), 2))
    smooth = base + 25 * np.sin(1.1 * t[None] + base / 60)  # (animals, T, parts, 2)
    return smooth, smooth + rng.normal(0, noise, smooth.shape)


def write_nwb(path, xy, conf=None, times=None, rate=30.0, version="0.2", order=None, names=("mouse1", "mouse2")):
    """``xy`` ``(animals, T, parts, D)``; ``times``: timestamps (else ``starting_time`` at ``rate``);
    ``order``: the series' part order in the skeleton (default PARTS)."""
    order = PARTS if order is None else order
    with h5py.File(path, "w") as f:
        f.attrs["neurodata_type"] = "NWBFile"
        f.attrs["nwb_version"] = "2.8.0"
        f["session_description"] = "mice"
        beh = f.create_group("processing/behavior")
        beh.attrs["neurodata_type"] = "ProcessingModule"
        if version == "0.2":
            sk = beh.create_group("Skeletons/mouse_skeleton")
            beh["Skeletons"].attrs["neurodata_type"] = "Skeletons"
            sk.attrs["neurodata_type"] = "Skeleton"
            sk["nodes"] = np.array(order, dtype=object).astype(h5py.string_dtype())
            sk["edges"] = np.array([[0, 1], [0, 2]], dtype=np.uint8)
        for a, name in enumerate(names[:len(xy)]):
            g = beh.create_group(f"PoseEstimation_{name}")
            g.attrs["neurodata_type"] = "PoseEstimation"
            g["source_software"] = "DeepLabCut"
            if version == "0.2":
                g["mouse_skeleton"] = h5py.SoftLink("/processing/behavior/Skeletons/mouse_skeleton")
            else:
                g["nodes"] = np.array(order, dtype=object).astype(h5py.string_dtype())
            for part in order:
                j = PARTS.index(part)
                s = g.create_group(part)
                s.attrs["neurodata_type"] = "PoseEstimationSeries"
                s["data"] = xy[a][:, j]
                s["data"].attrs["unit"] = "pixels"
                s["confidence"] = np.full(len(xy[a]), 0.9) if conf is None else conf[a][:, j]
                s["reference_frame"] = "top left"
                if times is None:
                    s["starting_time"] = 0.0
                    s["starting_time"].attrs["rate"] = rate
                else:
                    s["timestamps"] = times
    return path


def test_pose_estimations_are_read_refined_and_written_into_a_copy(tmp_path, capsys):
    smooth, noisy = _mice()
    noisy[0, 100:104, 2] = np.nan  # a part lost for 4 frames
    noisy[1, 150:] = np.nan  # the second mouse leaves
    src = write_nwb(tmp_path / "mice.nwb", noisy, order=PARTS[::-1])  # the skeleton's order, not the file's
    assert pose_file_format(src) == "nwb"
    pf = read_pose_file(src)
    assert [t.track_id for t in pf.tracks] == ["PoseEstimation_mouse1", "PoseEstimation_mouse2"]
    assert pf.meta["joint_names"] == PARTS[::-1] and pf.fps == 30.0 and pf.dims == 2 and pf.units == "px"
    np.testing.assert_array_equal(pf.tracks[0].keypoints[:, ::-1], noisy[0][np.isfinite(noisy[0]).all(-1).any(-1)])
    assert len(pf.track("PoseEstimation_mouse2").frames) == 150
    assert main(["refine", str(src), "-o", str(tmp_path / "out.h5")]) == 2  # an NWB file is written as .nwb
    assert ".nwb" in capsys.readouterr().err and not (tmp_path / "out.h5").exists()
    assert main(["refine", str(src), "-o", str(tmp_path / "out.nwb")]) == 0
    with h5py.File(src, "r") as a, h5py.File(tmp_path / "out.nwb", "r") as b:
        seen = []
        a.visititems(lambda name, obj: seen.append(name) if hasattr(obj, "dtype") else None)
        for name in seen:  # every dataset but the poses' data as it was; the link still a link
            if not name.endswith("/data"):
                assert b[name][()].tobytes() == a[name][()].tobytes() if a[name].dtype != object else \
                    list(np.ravel(b[name][()])) == list(np.ravel(a[name][()]))
        assert isinstance(b["processing/behavior/PoseEstimation_mouse1"].get("mouse_skeleton", getlink=True),
                          h5py.SoftLink)
        out = np.stack([np.stack([b[f"processing/behavior/PoseEstimation_{m}/{p}/data"][()] for p in PARTS], 1)
                        for m in ("mouse1", "mouse2")])
    assert np.isfinite(out[0, 100:104, 2]).all()  # the lost part filled
    assert np.isnan(out[1, 150:]).all()  # the mouse that left stays absent
    err = lambda y, k: np.linalg.norm(y[k, :150] - smooth[k, :150], axis=-1).mean()  # noqa: E731
    assert err(out, 0) < 0.75 * np.nanmean(np.linalg.norm(noisy[0] - smooth[0], axis=-1))
    assert err(out, 1) < 0.75 * err(noisy, 1)


def test_timestamps_give_frames_and_rate_and_a_bad_clock_is_refused(tmp_path, capsys):
    smooth, noisy = _mice(T=121)
    keep = np.delete(np.arange(121), 40)  # one frame dropped by the camera
    src = write_nwb(tmp_path / "ts.nwb", noisy[:, keep], times=100.0 + keep / 25.0, version="0.1")
    pf = read_pose_file(src)
    assert pf.fps == pytest.approx(25.0) and pf.num_frames == 121
    assert pf.tracks[0].frames.tolist() == keep.tolist() and pf.meta["joint_names"] == PARTS
    assert main(["refine", str(src), "-o", str(tmp_path / "ts_out.nwb")]) == 0
    with h5py.File(tmp_path / "ts_out.nwb", "r") as b:
        out = b["processing/behavior/PoseEstimation_mouse1/snout/data"][()]
    assert out.shape == (120, 2) and np.isfinite(out).all()
    bad = write_nwb(tmp_path / "jitter.nwb", noisy, times=np.cumsum(np.random.default_rng(1).uniform(0.01, 0.06, 121)))
    with pytest.raises(SynspInputError, match="not on one frame clock"):
        read_pose_file(bad)
    assert main(["refine", str(bad), "-o", str(tmp_path / "o.nwb")]) == 2
    err = capsys.readouterr().err
    assert "frame clock" in err and "Traceback" not in err and not (tmp_path / "o.nwb").exists()
    with h5py.File(tmp_path / "empty.nwb", "w") as f:
        f.attrs["neurodata_type"] = "NWBFile"
        f.create_group("acquisition")
    assert main(["refine", str(tmp_path / "empty.nwb"), "-o", str(tmp_path / "o.nwb")]) == 2
    assert "an HDF5 file synsp does not read" in capsys.readouterr().err
    (tmp_path / "text.nwb").write_text("not HDF5 at all\n")
    assert main(["refine", str(tmp_path / "text.nwb"), "-o", str(tmp_path / "o.nwb")]) == 2
    assert "not an HDF5 file" in capsys.readouterr().err and not (tmp_path / "o.nwb").exists()


@pytest.mark.parametrize("rate", [0.0, -30.0])
def test_a_wrong_stored_rate_is_refused_and_no_rate_is_not_in_the_file(tmp_path, rate):
    from synsp.api import refine_pose_file

    smooth, noisy = _mice(T=60)
    pf = read_pose_file(write_nwb(tmp_path / "bad.nwb", noisy, rate=rate))
    with pytest.raises(SynspInputError, match="stored frame rate.*--fps"):
        refine_pose_file(pf)
    assert refine_pose_file(pf, fps=30.0)[0].num_frames == 60
    with h5py.File(write_nwb(tmp_path / "none.nwb", noisy), "a") as f:  # starting_time without a rate
        for g in f["processing/behavior"].values():
            for s in g.values():
                if isinstance(s, h5py.Group) and "starting_time" in s:
                    del s["starting_time"].attrs["rate"]
    assert read_pose_file(tmp_path / "none.nwb").fps is None


def test_integer_data_is_written_rounded_to_the_nearest_and_a_value_beyond_its_range_is_refused(tmp_path):
    # int16 data: the refined values were cast (truncated), 0.5 px low on average
    from synsp.io.tracks import write_pose_file

    smooth, noisy = _mice(T=60)
    src = write_nwb(tmp_path / "int.nwb", np.rint(noisy).astype(np.int16))
    pf = read_pose_file(src)
    moved = pf.with_keypoints({t.track_id: t.keypoints + 0.7 for t in pf.tracks})
    write_pose_file(tmp_path / "out.nwb", moved)
    with h5py.File(src, "r") as a, h5py.File(tmp_path / "out.nwb", "r") as b:
        for m in ("mouse1", "mouse2"):
            before, after = (f[f"processing/behavior/PoseEstimation_{m}/snout/data"] for f in (a, b))
            assert after.dtype == np.int16
            np.testing.assert_array_equal(after[()], before[()] + 1)  # x + 0.7 rounds up, not down
    far = pf.with_keypoints({t.track_id: t.keypoints + 40000 for t in pf.tracks})
    with pytest.raises(SynspInputError, match=r"far.nwb: .* beyond the range of its int16 data \(-32768..32767\)"):
        write_pose_file(tmp_path / "far.nwb", far)
    assert not (tmp_path / "far.nwb").exists()


def test_series_starting_later_are_placed_on_the_files_one_clock(tmp_path):
    # each PoseEstimationSeries has its starting_time: mouse2's series starting 2 s later at 30 Hz start at frame 60
    # (they were read from frame 0, beside mouse1's first frames); written back where they came from
    from synsp.io.tracks import write_pose_file

    smooth, noisy = _mice(T=90)
    src = write_nwb(tmp_path / "late.nwb", noisy)
    with h5py.File(src, "a") as f:
        for part in PARTS:
            s = f[f"processing/behavior/PoseEstimation_mouse2/{part}"]
            del s["starting_time"]
            s["starting_time"] = 2.0
            s["starting_time"].attrs["rate"] = 30.0
    pf = read_pose_file(src)
    assert pf.num_frames == 150 and pf.fps == 30.0
    assert pf.track("PoseEstimation_mouse1").frames.tolist() == list(range(90))
    assert pf.track("PoseEstimation_mouse2").frames.tolist() == list(range(60, 150))
    np.testing.assert_array_equal(pf.track("PoseEstimation_mouse2").keypoints, noisy[1])
    write_pose_file(tmp_path / "same.nwb", pf)  # untouched: every value where it was
    write_pose_file(tmp_path / "moved.nwb", pf.with_keypoints({t.track_id: t.keypoints + 1 for t in pf.tracks}))
    with h5py.File(src, "r") as a, h5py.File(tmp_path / "same.nwb", "r") as b, \
            h5py.File(tmp_path / "moved.nwb", "r") as c:
        for m in ("mouse1", "mouse2"):
            for part in PARTS:
                key = f"processing/behavior/PoseEstimation_{m}/{part}"
                np.testing.assert_array_equal(b[key + "/data"][()], a[key + "/data"][()])
                np.testing.assert_array_equal(c[key + "/data"][()], a[key + "/data"][()] + 1)
                assert b[key + "/starting_time"][()] == a[key + "/starting_time"][()]
    ts = write_nwb(tmp_path / "ts.nwb", noisy, times=100.0 + np.arange(90) / 30.0)  # timestamps: absolute times
    with h5py.File(ts, "a") as f:
        for part in PARTS:
            s = f[f"processing/behavior/PoseEstimation_mouse1/{part}"]
            del s["timestamps"]
            s["timestamps"] = 99.0 + np.arange(90) / 30.0
    pf = read_pose_file(ts)
    assert pf.track("PoseEstimation_mouse1").frames[0] == 0 and pf.track("PoseEstimation_mouse2").frames[0] == 30
