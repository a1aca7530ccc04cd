"""TRC marker files and plain .npy/.npz joint arrays."""

from __future__ import annotations

import os

import numpy as np
import pytest

from synsp.io import Markers, read_array, read_motion, read_trc, write_array, write_trc
from synsp.validation import SynspInputError


def _markers():
    rng = np.random.default_rng(0)
    pos = rng.normal(size=(6, 3, 3)) * 100
    pos[2, 1] = np.nan  # marker "Knee" missing in frame 2
    return Markers(["Hip", "Knee", "Ankle"], pos, fps=50.0, units="mm")


def test_trc_round_trip_with_missing_marker(tmp_path):
    m = _markers()
    p = tmp_path / "walk.trc"
    write_trc(p, m)
    lines = p.read_text().splitlines()
    assert lines[0].split("\t")[:3] == ["PathFileType", "4", "(X/Y/Z)"]
    assert lines[1].split("\t")[:5] == ["DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units"]
    assert lines[2].split("\t")[:5] == ["50", "50", "6", "3", "mm"]
    assert lines[3] == "Frame#\tTime\tHip\t\t\tKnee\t\t\tAnkle"
    assert lines[4].split("\t")[2:5] == ["X1", "Y1", "Z1"]
    assert "\t\t\t\t" in lines[8]  # frame 2: the three empty cells of the missing marker
    r = read_trc(p)
    assert r.marker_names == ["Hip", "Knee", "Ankle"]
    assert r.fps == 50.0 and r.units == "mm"
    assert r.frame_numbers.tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(r.times, np.arange(6) / 50.0)
    assert np.isnan(r.positions[2, 1]).all() and np.isfinite(r.positions[2, [0, 2]]).all()
    np.testing.assert_allclose(r.positions, m.positions, atol=1e-6, equal_nan=True)
    metres = read_motion(p, metres=True)
    assert metres.units == "m"
    np.testing.assert_allclose(metres.positions, m.positions / 1000, atol=1e-9, equal_nan=True)


def test_trc_from_array_and_errors(tmp_path):
    p = tmp_path / "a.trc"
    write_trc(p, np.zeros((4, 2, 3)), ["a", "b"], fps=30)
    assert read_trc(p).positions.shape == (4, 2, 3)
    text = p.read_text().splitlines()
    (tmp_path / "cut.trc").write_text("\n".join(text[:-2]) + "\n")
    with pytest.raises(SynspInputError, match=r"cut\.trc: line \d+: the file ends after 2 of the 4 frames"):
        read_trc(tmp_path / "cut.trc")
    short = list(text)
    short[7] = short[7].rsplit("\t", 2)[0]
    (tmp_path / "short.trc").write_text("\n".join(short) + "\n")
    with pytest.raises(SynspInputError, match=r"short\.trc: line 8: 6 cells; expected 8"):
        read_trc(tmp_path / "short.trc")
    (tmp_path / "nohead.trc").write_text("\n".join([text[0], text[1].replace("NumFrames", "Frames")] + text[2:]))
    with pytest.raises(SynspInputError, match=r"line 2: header key 'NumFrames' missing"):
        read_trc(tmp_path / "nohead.trc")
    with pytest.raises(SynspInputError, match="fps"):
        write_trc(p, np.zeros((4, 2, 3)), ["a", "b"])


def test_npy_round_trip(tmp_path):
    a = np.arange(5 * 4 * 3, dtype=float).reshape(5, 4, 3)
    a[1, 2] = np.nan
    write_array(tmp_path / "a.npy", a)
    np.testing.assert_array_equal(read_array(tmp_path / "a.npy"), a)
    four = np.zeros((5, 2, 4, 2))
    write_array(tmp_path / "b.npy", four)
    assert read_motion(tmp_path / "b.npy").shape == (5, 2, 4, 2)
    assert sorted(os.listdir(tmp_path)) == ["a.npy", "b.npy"]


def test_npz_keys(tmp_path):
    a = np.ones((3, 2, 3))
    write_array(tmp_path / "a.npz", a, key="poses", scores=np.ones((3, 2)))
    np.testing.assert_array_equal(read_array(tmp_path / "a.npz"), a)  # default key "poses"
    np.savez(tmp_path / "b.npz", pred=a, gt=a * 2)
    np.testing.assert_array_equal(read_array(tmp_path / "b.npz", key="gt"), a * 2)
    with pytest.raises(SynspInputError, match=r"b\.npz: holds several arrays \['pred', 'gt'\]"):
        read_array(tmp_path / "b.npz")
    with pytest.raises(SynspInputError, match=r"b\.npz: has no array 'keypoints'; its keys are \['pred', 'gt'\]"):
        read_array(tmp_path / "b.npz", key="keypoints")


def test_pickle_never_allowed(tmp_path):
    obj = np.empty(2, dtype=object)
    obj[0], obj[1] = np.zeros((3, 2, 3)), np.zeros((4, 2, 3))
    np.save(tmp_path / "o.npy", obj, allow_pickle=True)
    with pytest.raises(SynspInputError, match="pickle"):
        read_array(tmp_path / "o.npy")
    np.savez(tmp_path / "o.npz", keypoints=obj)
    with pytest.raises(SynspInputError, match=r"o\.npz\['keypoints'\]: object arrays need pickle"):
        read_array(tmp_path / "o.npz")
    with pytest.raises(SynspInputError, match="object array"):
        write_array(tmp_path / "w.npz", obj)


def test_array_shape_errors(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros((5, 51)))
    with pytest.raises(SynspInputError, match=r"flat\.npy has shape \(5, 51\)"):
        read_array(tmp_path / "flat.npy")
    with pytest.raises(SynspInputError, match="supported suffixes"):
        read_motion(tmp_path / "x.csv")


def test_a_windows_saved_trc_with_a_bom_and_latin1_names_is_refined_and_keeps_their_bytes(tmp_path):
    """A byte-order mark (Windows editors write one) is read past, and a marker name that is not UTF-8 (Latin-1
    'Hüfte') comes back as the same bytes, not as U+FFFD; the CLI prints it without failing."""
    from synsp.cli import main

    rng = np.random.default_rng(1)
    t = np.arange(60)[:, None, None] / 50.0
    pos = 300 * np.sin(2 * t + rng.uniform(0, 3, (1, 3, 3))) + rng.normal(0, 2, (60, 3, 3))
    plain = tmp_path / "plain.trc"
    write_trc(plain, Markers(["Hip", "Knee", "Ankle"], pos, fps=50.0, units="mm"))
    raw = b"\xef\xbb\xbf" + plain.read_bytes().replace(b"Hip", "H\u00fcfte".encode("latin-1"))
    src = tmp_path / "windows.trc"
    src.write_bytes(raw)
    assert read_trc(src).marker_names[1:] == ["Knee", "Ankle"]
    assert main(["refine", str(src), "-o", str(tmp_path / "out.trc")]) == 0
    out = (tmp_path / "out.trc").read_bytes()
    assert b"H\xfcfte\t" in out and "\ufffd".encode() not in out
    assert main(["inspect", str(src)]) == 0


def test_a_rate_given_for_a_file_without_one_is_stored_in_the_npz_written(tmp_path):
    # synsp refine x.npy -o y.npz --fps 100: the output records the rate it was refined at, read back as the file's
    from synsp.batch import refine_path
    from synsp.io.arrays import read as read_arrays

    t = np.arange(120)[:, None, None] / 100.0
    x = np.concatenate([np.sin(t + np.arange(5)[None, :, None]), np.cos(t * 2 + np.arange(5)[None, :, None])], -1)
    np.save(tmp_path / "x.npy", x)
    refine_path(tmp_path / "x.npy", tmp_path / "y.npz", model="butterworth", fps=100)
    assert float(np.load(tmp_path / "y.npz")["fps"]) == 100.0 and read_arrays(tmp_path / "y.npz").fps == 100.0
    np.savez(tmp_path / "own.npz", keypoints=x, fps=np.asarray(50.0))  # a file's own rate is kept, not replaced
    refine_path(tmp_path / "own.npz", tmp_path / "own_out.npz", model="butterworth", fps=100)
    assert float(np.load(tmp_path / "own_out.npz")["fps"]) == 50.0


def test_an_inf_coordinate_is_a_missing_joint_as_the_docstring_says(tmp_path):
    x = np.ones((10, 4, 2))
    x[5, 1, 0] = np.inf
    np.save(tmp_path / "inf.npy", x)
    got = read_array(tmp_path / "inf.npy")
    assert np.isnan(got[5, 1]).all() and np.isfinite(np.delete(got.reshape(40, 2), 21, 0)).all()
    import synsp.io.arrays as arrays

    assert "inf (or absurd) coordinate" in arrays.__doc__ and "missing" in arrays.__doc__


def test_a_refined_copy_keeps_the_sources_orig_rate_and_frames_and_its_crlf_line_ends(tmp_path):
    # OrigDataRate / OrigNumFrames (the recording's: 200 Hz, 500 frames, of which rows 11.. at 100 Hz were kept)
    # were overwritten with DataRate / NumFrames, and a Windows file's CRLF became LF
    from synsp.cli import main

    t = np.arange(60) / 100.0
    rows = ["\t".join([str(k + 11), f"{t[k] + 0.1:.5f}"] + [f"{300 * np.sin(2 * t[k] + c) + c:.5f}" for c in range(6)])
            for k in range(60)]
    head = ["PathFileType\t4\t(X/Y/Z)\tx.trc", "\t".join(["DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units",
                                                          "OrigDataRate", "OrigDataStartFrame", "OrigNumFrames"]),
            "100\t100\t60\t2\tmm\t200\t11\t500", "Frame#\tTime\tHip\t\t\tKnee", "\t\tX1\tY1\tZ1\tX2\tY2\tZ2", ""]
    src = tmp_path / "win.trc"
    src.write_bytes("\r\n".join(head + rows).encode() + b"\r\n")
    m = read_trc(src)
    assert (m.orig_data_rate, m.orig_num_frames, m.line_ending) == (200.0, 500, "\r\n")
    assert main(["refine", str(src), "-o", str(tmp_path / "out.trc"), "--model", "butterworth"]) == 0
    out = (tmp_path / "out.trc").read_bytes()
    assert out.count(b"\r\n") == len(head) + len(rows) and b"\n" not in out.replace(b"\r\n", b"")
    assert out.split(b"\r\n")[2] == b"100\t100\t60\t2\tmm\t200\t11\t500"
    fresh = tmp_path / "fresh.trc"  # from scratch: the rows' rate and count, LF as before
    write_trc(fresh, Markers(["Hip"], np.zeros((4, 1, 3)), fps=50.0, units="mm"))
    assert fresh.read_bytes().split(b"\n")[2] == b"50\t50\t4\t1\tmm\t50\t1\t4" and b"\r" not in fresh.read_bytes()
    with pytest.raises(SynspInputError, match="line_ending"):
        Markers(["Hip"], np.zeros((4, 1, 3)), fps=50.0, line_ending="\r")
