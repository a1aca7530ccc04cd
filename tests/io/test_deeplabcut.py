"""DeepLabCut pose CSVs: single- and multi-animal files read as tracks, refined, written back cell for cell."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from synsp.cli import main
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


def test_several_animals_are_tracks_and_missing_cells_are_filled(tmp_path):
    smooth, noisy, lik = _motion(200, seed=1)
    _, other, lik2 = _motion(200, seed=2)
    xy = np.stack([noisy, other + 400], axis=1)
    xy[50:55, 0, 3] = lik[50:55, 3] = np.nan  # a body part not detected for 5 frames
    xy[120:200, 1] = np.nan  # the second mouse leaves
    feeder = np.tile([[500.0, 20.0]], (200, 1))
    write_dlc(tmp_path / "two.csv", xy, np.stack([lik, lik2], 1), individuals=["mouse1", "mouse2"], unique=feeder)
    pf = read_pose_file(tmp_path / "two.csv")
    assert [t.track_id for t in pf.tracks] == ["mouse1", "mouse2"]
    assert len(pf.track("mouse2").frames) == 120
    assert main(["refine", str(tmp_path / "two.csv"), "-o", str(tmp_path / "out.csv")]) == 0
    rows = list(csv.reader(open(tmp_path / "out.csv")))
    data = np.array(rows[4:])
    assert (data[:, -3:] == np.array(list(csv.reader(open(tmp_path / "two.csv"))))[4:, -3:]).all()  # the feeder
    assert all(c != "" for c in data[50:55, 1 + 3 * 3])  # the gap filled (its likelihood cell stays empty)
    assert (data[50:55, 3 + 3 * 3] == "").all()
    xy_cells = [1 + 30 + 3 * k + d for k in range(10) for d in (0, 1)]
    assert (data[120:, xy_cells] == "").all()  # the second mouse absent, as it was


def test_bad_deeplabcut_files_are_one_clear_error(tmp_path, capsys):
    _, noisy, lik = _motion(20)
    good = write_dlc(tmp_path / "good.csv", noisy, lik)
    rows = good.read_text().splitlines()
    cases = {
        "short.csv": ("\n".join(rows[:10] + [rows[10][:40]]) + "\n", "cells"),
        "word.csv": ("\n".join(rows[:5] + [rows[5].replace(rows[5].split(",")[1], "abc", 1)]) + "\n", "not a number"),
        "xyz.csv": ("\n".join(rows[:2] + [rows[2].replace("likelihood", "z")] + rows[3:]) + "\n", "x, y, likelihood"),
    }
    for name, (text, why) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(SynspInputError, match=why):
            read_pose_file(tmp_path / name)
        assert main(["refine", str(tmp_path / name), "-o", str(tmp_path / f"out_{name}")]) == 2
        err = capsys.readouterr().err
        assert why in err and "Traceback" not in err and not (tmp_path / f"out_{name}").exists()
    (tmp_path / "mouse.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert main(["refine", str(tmp_path / "mouse.h5"), "-o", str(tmp_path / "o.csv")]) == 2
    assert "save_as_csv=True" in capsys.readouterr().err
