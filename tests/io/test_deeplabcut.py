"""DeepLabCut pose CSVs: single- and multi-animal files read as tracks, refined, written back cell for cell."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from synsp.cli import main
from synsp.io.pandas_hdf import plain_literal
from synsp.io.tracks import pose_file_format, read_pose_file
from synsp.skeletons import BUILTIN_SKELETONS, SKELETONS
from synsp.validation import SynspInputError

PARTS = ["snout", "leftear", "rightear", "shoulder", "spine1", "spine2", "tailbase", "tailtip", "leftforepaw",
         "rightforepaw"]
SCORER = "DLC_resnet50_mouseJan1shuffle1_50000"


def _motion(T, seed=0, noise=2.0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(100, 300, (len(PARTS), 2))
    t = np.arange(T)[:, None, None] / 30.0
    smooth = base[None] + np.concatenate([40 * np.sin(t * 1.3 + base[None, :, :1] / 50),
                                          30 * np.cos(t * 0.9 + base[None, :, 1:] / 50)], axis=-1)
    return smooth, smooth + rng.normal(0, noise, smooth.shape), rng.uniform(0.5, 1.0, (T, len(PARTS)))


def write_dlc(path, xy, likelihood, individuals=None, unique=None):
    """A DeepLabCut CSV: ``xy`` ``(T, J, 2)`` (or ``(T, P, J, 2)`` with ``individuals``), NaN as empty cells;
    ``unique``: ``(T, 2)`` of one unique body part (``single``)."""
    xy = xy[:, None] if individuals is None else xy
    likelihood = likelihood[:, None] if individuals is None else likelihood
    T, P, J, _ = xy.shape
    who = [n for n in (individuals or [""]) for _ in range(3 * J)] + (["single"] * 3 if unique is not None else [])
    parts = [p for _ in range(P) for p in PARTS[:J] for _ in range(3)] + (["feeder"] * 3 if unique is not None else [])
    rows = [["scorer"] + [SCORER] * len(parts)]
    if individuals is not None:
        rows.append(["individuals"] + who)
    rows += [["bodyparts"] + parts, ["coords"] + ["x", "y", "likelihood"] * (len(parts) // 3)]
    cell = lambda v: "" if not np.isfinite(v) else repr(float(v))  # noqa: E731
    for f in range(T):
        r = [str(f)]
        for p in range(P):
            for j in range(J):
                r += [cell(xy[f, p, j, 0]), cell(xy[f, p, j, 1]), cell(likelihood[f, p, j])]
        if unique is not None:
            r += [cell(unique[f, 0]), cell(unique[f, 1]), "0.9"]
        rows.append(r)
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def test_a_single_animal_file_is_refined_and_written_back_cell_for_cell(tmp_path, capsys):
    smooth, noisy, lik = _motion(300)
    write_dlc(tmp_path / "mouseDLC.csv", noisy, lik)
    assert pose_file_format(tmp_path / "mouseDLC.csv") == "deeplabcut"
    pf = read_pose_file(tmp_path / "mouseDLC.csv")
    assert pf.num_joints == 10 and pf.dims == 2 and pf.units == "px" and pf.fps is None
    assert pf.skeleton not in BUILTIN_SKELETONS  # its body parts' own names: leftear/rightear paired
    sk = SKELETONS[pf.skeleton]
    assert {(sk.joints[a], sk.joints[b]) for a, b in sk.left_right} == {("leftear", "rightear"),
                                                                        ("leftforepaw", "rightforepaw")}
    assert main(["refine", str(tmp_path / "mouseDLC.csv"), "-o", str(tmp_path / "out.csv"), "--fps", "30"]) == 0
    rows_in = list(csv.reader(open(tmp_path / "mouseDLC.csv")))
    rows_out = list(csv.reader(open(tmp_path / "out.csv")))
    assert rows_out[:3] == rows_in[:3] and len(rows_out) == len(rows_in)
    cells_in, cells_out = np.array(rows_in[3:]), np.array(rows_out[3:])
    assert (cells_in[:, 0] == cells_out[:, 0]).all() and (cells_in[:, 3::3] == cells_out[:, 3::3]).all()  # index, lik.
    out = np.stack([cells_out[:, 1::3].astype(float), cells_out[:, 2::3].astype(float)], -1)
    err = lambda a: np.linalg.norm(a - smooth, axis=-1).mean()  # noqa: E731
    assert err(out) < 0.7 * err(noisy)  # 2 px of jitter smoothed


def _two_mice():
    """Two mice over 200 frames (the first loses a body part for 5 frames, the second leaves after 120) and a
    feeder: ``(xy (T, 2, J, 2), likelihood (T, 2, J), feeder (T, 2))``."""
    _, noisy, lik = _motion(200, seed=1)
    _, other, lik2 = _motion(200, seed=2)
    xy = np.stack([noisy, other + 400], axis=1)
    xy[50:55, 0, 3] = lik[50:55, 3] = np.nan  # a body part not detected for 5 frames
    xy[120:200, 1] = np.nan  # the second mouse leaves
    return xy, np.stack([lik, lik2], 1), np.tile([[500.0, 20.0]], (200, 1))


def test_several_animals_are_tracks_and_missing_cells_are_filled(tmp_path):
    xy, lik, feeder = _two_mice()
    write_dlc(tmp_path / "two.csv", xy, lik, individuals=["mouse1", "mouse2"], unique=feeder)
    pf = read_pose_file(tmp_path / "two.csv")
    assert [t.track_id for t in pf.tracks] == ["mouse1", "mouse2"]
    assert len(pf.track("mouse2").frames) == 120
    assert main(["refine", str(tmp_path / "two.csv"), "-o", str(tmp_path / "out.csv")]) == 0
    rows = list(csv.reader(open(tmp_path / "out.csv")))
    data = np.array(rows[4:])
    assert (data[:, -3:] == np.array(list(csv.reader(open(tmp_path / "two.csv"))))[4:, -3:]).all()  # the feeder
    assert all(c != "" for c in data[50:55, 1 + 3 * 3])  # the gap filled
    # its empty likelihood written as 0 (the score it was read with): a `likelihood < pcutoff` filter drops it
    assert (data[50:55, 3 + 3 * 3] == "0.0").all()
    before = np.array(list(csv.reader(open(tmp_path / "two.csv")))[4:])
    changed = np.argwhere(data[:, 3::3] != before[:, 3::3])
    assert changed.tolist() == [[f, 3] for f in range(50, 55)]  # no other likelihood cell touched
    xy_cells = [1 + 30 + 3 * k + d for k in range(10) for d in (0, 1)]
    assert (data[120:, xy_cells] == "").all()  # the second mouse absent, as it was


def test_bad_deeplabcut_files_are_one_clear_error(tmp_path, capsys):
    _, noisy, lik = _motion(20)
    good = write_dlc(tmp_path / "good.csv", noisy, lik)
    rows = good.read_text().splitlines()
    cases = {
        "short.csv": ("\n".join(rows[:10] + [rows[10][:40]]) + "\n", "cells"),
        "word.csv": ("\n".join(rows[:5] + [rows[5].replace(rows[5].split(",")[1], "abc", 1)]) + "\n", "not a number"),
        "xyw.csv": ("\n".join(rows[:2] + [rows[2].replace("likelihood", "w")] + rows[3:]) + "\n", "x, y, likelihood"),
    }
    for name, (text, why) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(SynspInputError, match=why):
            read_pose_file(tmp_path / name)
        assert main(["refine", str(tmp_path / name), "-o", str(tmp_path / f"out_{name}")]) == 2
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err and not (tmp_path / f"out_{name}").exists()
    (tmp_path / "mouse.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert main(["refine", str(tmp_path / "mouse.h5"), "-o", str(tmp_path / "o.h5")]) == 2
    assert "an HDF5 file synsp does not read" in capsys.readouterr().err


# --- DeepLabCut's HDF5 files: written here by pandas itself (PyTables), as DeepLabCut writes them ---------------


def _frame(xy, likelihood, individuals=None, unique=None, dtype=np.float64):
    """The pandas frame DeepLabCut stores: columns (scorer, [individuals,] bodyparts, coords), a row per frame."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("tables")
    xy = xy[:, None] if individuals is None else xy
    likelihood = likelihood[:, None] if individuals is None else likelihood
    T, P, J, _ = xy.shape
    keys, cols = [], []
    for p, who in enumerate(individuals or [None]):
        for j in range(J):
            for c, v in zip(("x", "y", "likelihood"), (xy[:, p, j, 0], xy[:, p, j, 1], likelihood[:, p, j])):
                keys.append((SCORER,) + ((who,) if who else ()) + (PARTS[j], c))
                cols.append(v)
    if unique is not None:
        for c, v in zip(("x", "y", "likelihood"), (unique[:, 0], unique[:, 1], np.full(T, 0.9))):
            keys.append((SCORER, "single", "feeder", c))
            cols.append(v)
    names = ["scorer"] + (["individuals"] if individuals else []) + ["bodyparts", "coords"]
    return pd.DataFrame(np.stack(cols, 1).astype(dtype), columns=pd.MultiIndex.from_tuples(keys, names=names))


@pytest.mark.parametrize("layout", ["table", "fixed"])
def test_a_deeplabcut_hdf5_file_is_refined_and_written_back_for_pandas(tmp_path, capsys, layout):
    smooth, noisy, lik = _motion(300)
    df = _frame(noisy, lik)
    df.index = df.index + 100  # frame numbers of a clip cut from a longer video
    df.to_hdf(tmp_path / "mouseDLC.h5", key="df_with_missing", format=layout, mode="w")
    assert pose_file_format(tmp_path / "mouseDLC.h5") == "deeplabcut"
    pf = read_pose_file(tmp_path / "mouseDLC.h5")
    assert pf.num_joints == 10 and pf.dims == 2 and pf.num_frames == 400 and pf.tracks[0].frames[0] == 100
    np.testing.assert_array_equal(pf.tracks[0].keypoints, noisy)  # every value as pandas stored it
    np.testing.assert_array_equal(pf.tracks[0].scores, lik)
    sk = SKELETONS[pf.skeleton]
    assert {(sk.joints[a], sk.joints[b]) for a, b in sk.left_right} == {("leftear", "rightear"),
                                                                        ("leftforepaw", "rightforepaw")}
    assert main(["refine", str(tmp_path / "mouseDLC.h5"), "-o", str(tmp_path / "out.csv")]) == 2  # not a CSV
    assert ".h5" in capsys.readouterr().err and not (tmp_path / "out.csv").exists()
    assert main(["refine", str(tmp_path / "mouseDLC.h5"), "-o", str(tmp_path / "out.h5"), "--fps", "30"]) == 0
    import pandas as pd

    out = pd.read_hdf(tmp_path / "out.h5", "df_with_missing")
    assert out.columns.equals(df.columns) and out.index.equals(df.index)
    assert (out.xs("likelihood", axis=1, level="coords").to_numpy() == lik).all()
    refined = np.stack([out.xs(c, axis=1, level="coords").to_numpy() for c in ("x", "y")], -1)
    err = lambda a: np.linalg.norm(a - smooth, axis=-1).mean()  # noqa: E731
    assert err(refined) < 0.7 * err(noisy)  # 2 px of jitter smoothed


def test_a_multi_animal_hdf5_file_keeps_its_dtype_gaps_and_unique_parts(tmp_path):
    pd = pytest.importorskip("pandas")
    xy, lik, feeder = _two_mice()
    df = _frame(xy, lik, individuals=["mouse1", "mouse2"], unique=feeder, dtype=np.float32)
    df.to_hdf(tmp_path / "two.h5", key="df_with_missing", format="table", mode="w")
    pf = read_pose_file(tmp_path / "two.h5")
    assert [t.track_id for t in pf.tracks] == ["mouse1", "mouse2"] and len(pf.track("mouse2").frames) == 120
    assert main(["refine", str(tmp_path / "two.h5"), "-o", str(tmp_path / "out.h5")]) == 0
    out = pd.read_hdf(tmp_path / "out.h5", "df_with_missing")
    assert out.columns.equals(df.columns) and (out.dtypes == np.float32).all()
    assert out.xs("single", axis=1, level="individuals").equals(df.xs("single", axis=1, level="individuals"))
    m1 = out.xs("mouse1", axis=1, level="individuals")
    part = m1.xs(PARTS[3], axis=1, level="bodyparts").droplevel("scorer", axis=1)
    assert np.isfinite(part[["x", "y"]].to_numpy()[50:55]).all()  # filled
    assert (part["likelihood"].iloc[50:55] == 0).all()  # filled: likelihood 0, the score it was read with
    gone = out.xs("mouse2", axis=1, level="individuals").iloc[120:]
    assert gone.loc[:, gone.columns.get_level_values("coords") != "likelihood"].isna().all().all()  # absent, as it was
    lik_cols = out.xs("likelihood", axis=1, level="coords").to_numpy()
    before = df.xs("likelihood", axis=1, level="coords").to_numpy()
    assert np.array_equal(np.isnan(lik_cols), np.isnan(before) & ~np.isin(np.arange(200), np.r_[50:55])[:, None])
    assert np.array_equal(lik_cols[np.isfinite(before)], before[np.isfinite(before)])  # the others as they were


def test_an_hdf5_file_cannot_run_code_or_pass_for_deeplabcut(tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    _, noisy, lik = _motion(30)
    df = _frame(noisy, lik)
    df.to_hdf(tmp_path / "evil.h5", key="df_with_missing", format="table", mode="w")
    marker = tmp_path / "ran"
    evil = f"cposix\nsystem\n(Vtouch {marker}\ntR.".encode()  # a pickle that would run a command
    with h5py.File(tmp_path / "evil.h5", "r+") as f:
        f["df_with_missing"].attrs["non_index_axes"] = np.bytes_(evil)
        f["df_with_missing/table"].attrs["values_block_0_kind"] = np.bytes_(evil)
    assert main(["refine", str(tmp_path / "evil.h5"), "-o", str(tmp_path / "out.h5")]) == 2
    err = capsys.readouterr().err
    assert not marker.exists() and "Traceback" not in err and not (tmp_path / "out.h5").exists()
    with pytest.raises(SynspInputError, match="refused to load posix.system"):
        plain_literal(evil, "non_index_axes")
    assert plain_literal(b"(lp0\n(VDLC\np1\nVx\ntp2\na.", "ok") == [("DLC", "x")]
    import pandas as pd

    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}).to_hdf(tmp_path / "other.h5", key="df", format="table")
    assert main(["refine", str(tmp_path / "other.h5"), "-o", str(tmp_path / "o.h5")]) == 2
    assert "an HDF5 file synsp does not read" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["csv", "h5"])
def test_a_triangulated_3d_file_is_refined_in_3d(tmp_path, kind):
    """deeplabcut.triangulate's output: coords x, y, z (the calibration's units), no likelihood."""
    rng = np.random.default_rng(5)
    T = 240
    t = np.arange(T)[:, None, None] / 30.0
    base = rng.uniform(-200, 200, (1, len(PARTS), 3))
    smooth = base + 40 * np.sin(1.2 * t + base / 80)
    noisy = smooth + rng.normal(0, 3.0, smooth.shape)
    noisy[60:64, 2] = np.nan  # a part not triangulated for 4 frames
    keys = [(SCORER, part, c) for part in PARTS for c in ("x", "y", "z")]
    if kind == "csv":
        rows = [["scorer"] + [k[0] for k in keys], ["bodyparts"] + [k[1] for k in keys],
                ["coords"] + [k[2] for k in keys]]
        rows += [[str(f)] + ["" if not np.isfinite(v) else repr(float(v)) for v in noisy[f].ravel()] for f in range(T)]
        with open(tmp_path / "mouse_3D.csv", "w", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    else:
        pd = pytest.importorskip("pandas")
        pytest.importorskip("tables")
        cols = pd.MultiIndex.from_tuples(keys, names=["scorer", "bodyparts", "coords"])
        pd.DataFrame(noisy.reshape(T, -1), columns=cols).to_hdf(tmp_path / "mouse_3D.h5", key="df_with_missing",
                                                                 format="table", mode="w")
    src = tmp_path / f"mouse_3D.{kind}"
    pf = read_pose_file(src)
    assert pf.dims == 3 and pf.num_joints == len(PARTS) and pf.units == "calibration units"
    assert main(["refine", str(src), "-o", str(tmp_path / f"out.{kind}")]) == 0
    out = read_pose_file(tmp_path / f"out.{kind}").tracks[0].keypoints
    assert np.isfinite(out[60:64, 2]).all()  # filled
    err = lambda a: np.nanmean(np.linalg.norm(a - smooth, axis=-1))  # noqa: E731
    assert err(out) < 0.7 * err(noisy)


def test_compressed_hdf5_files_are_read_or_say_what_they_need(tmp_path, capsys):
    """pandas' zlib compression is read by any h5py; PyTables' blosc needs hdf5plugin, and without it the error
    says so (nothing written)."""
    pytest.importorskip("tables")
    smooth, noisy, lik = _motion(120, seed=3)
    df = _frame(noisy, lik)
    df.to_hdf(tmp_path / "zlib.h5", key="df_with_missing", format="table", mode="w", complib="zlib", complevel=5)
    assert main(["refine", str(tmp_path / "zlib.h5"), "-o", str(tmp_path / "zlib_out.h5")]) == 0
    import pandas as pd

    assert pd.read_hdf(tmp_path / "zlib_out.h5").columns.equals(df.columns)
    df.to_hdf(tmp_path / "blosc.h5", key="df_with_missing", format="table", mode="w", complib="blosc", complevel=5)
    code = main(["refine", str(tmp_path / "blosc.h5"), "-o", str(tmp_path / "blosc_out.h5")])
    try:
        import hdf5plugin  # noqa: F401
    except ImportError:
        assert code == 2 and "pip install hdf5plugin" in capsys.readouterr().err
        assert not (tmp_path / "blosc_out.h5").exists()
    else:
        assert code == 0 and pd.read_hdf(tmp_path / "blosc_out.h5").columns.equals(df.columns)


def test_inspect_names_an_individual_never_detected_and_the_rows_frame_numbers(tmp_path):
    from synsp.inspection import describe, inspect_pose_file

    xy, lik, _ = _two_mice()
    xy = np.concatenate([xy[:90], np.full((90, 1, 10, 2), np.nan)], axis=1)  # a third mouse never detected
    path = write_dlc(tmp_path / "three.csv", xy, np.concatenate([lik[:90], np.full((90, 1, 10), 0.9)], 1),
                     individuals=["mouse1", "mouse2", "mouse3"])
    rows = list(csv.reader(open(path)))
    for k, r in enumerate(rows[4:]):
        r[0] = str(100 + k)  # rows of frames 100-189 (a clip cut from a longer video)
    with open(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    info = inspect_pose_file(read_pose_file(path))
    assert info["never_detected"] == ["mouse3"] and info["rows"] == [90, 100, 189]
    lines = describe(info)
    assert lines[2].endswith("; 90 frames, numbered 100-189")
    assert lines[3 if not lines[3].startswith("  note") else 4] == (
        "  people: 2 track(s) (3 individuals in the file, 1 never detected: 'mouse3')")


def test_a_key_is_refused_for_a_file_that_has_no_arrays_and_a_failure_names_its_file_once(tmp_path, capsys):
    from synsp.batch import refine_file

    _, noisy, lik = _motion(40)
    write_dlc(tmp_path / "m.csv", noisy, lik)
    assert main(["refine", str(tmp_path / "m.csv"), "-o", str(tmp_path / "out.csv"), "--key", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "key 'nonsense' (--key) names an array of an .npz file" in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()
    (tmp_path / "bad.csv").write_text("scorer,x\n1,2\n")
    result = refine_file({"input": str(tmp_path / "bad.csv"), "output": str(tmp_path / "o" / "bad.csv")})
    assert not result["ok"] and str(tmp_path / "bad.csv") not in result["error"]  # the report names it beside
