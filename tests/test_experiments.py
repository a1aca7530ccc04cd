"""The seed's experiments as reports: tables, CSV, figures, on the embedded test split."""

import csv

import numpy as np
import pytest

from synsp.experiments import EXPERIMENTS, run_experiment
from synsp.reports import Report
from synsp.validation import SynspInputError


@pytest.fixture(scope="module")
def window_average():
    return run_experiment("window-average", quick=True, corpus=None, command="synsp benchmark ...")


def _table(report, caption_start):
    return next(t for t in report.tables if t.caption.startswith(caption_start)).rows


def test_window_averaging_is_smoother_than_non_overlapping_windows(window_average):
    rows = {r["windows"]: r for r in _table(window_average, "the shipped")}
    swaa, blocks = rows["stride 1, averaged (SWAA)"], rows["non-overlapping (stride W)"]
    # block edges jump; averaging removes the jumps (0.55x with the default re-tuned for fast clean motion,
    # which corrects less inside a window than the earlier weights did: 0.4-0.5x)
    assert swaa["Accel"] < 0.65 * blocks["Accel"]
    assert swaa["MPJPE"] <= blocks["MPJPE"]


def test_reports_save_markdown_csv_with_the_command(window_average, tmp_path):
    paths = window_average.save(tmp_path)
    md = (tmp_path / "window-average-3dpw-spin-like.md").read_text()
    assert "synsp benchmark ..." in md and "simulated" in md.lower() and "| windows |" in md
    with open(tmp_path / "window-average-3dpw-spin-like.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and {r["windows"] for r in rows} >= {"input", "stride 1, averaged (SWAA)"}
    assert all(p.stat().st_size > 0 for p in paths)


def test_pearson_excludes_the_root_and_reports_r_per_joint(tmp_path):
    rep = run_experiment("pearson", quick=True, runs=tmp_path)  # no ablation runs: the branch pair only
    overall = _table(rep, "Pearson r")
    assert len(overall) == 1 and -1 <= overall[0]["Pearson r (all)"] <= 1
    joints = _table(rep, "per joint")
    assert len(joints) == 16 and "pelvis" not in {r["joint"] for r in joints}
    assert all(np.isfinite(v) for r in joints for k, v in r.items() if k != "joint")
    assert any("not in" in n for n in rep.notes)  # the missing two-model pair is said, not invented
    rep.save(tmp_path)
    assert (tmp_path / "pearson_joints-3dpw-spin-like.png").stat().st_size > 5000


def test_unknown_experiment_lists_the_known_ones():
    with pytest.raises(SynspInputError, match="window-average"):
        run_experiment("table-9")


def test_every_experiment_has_a_report_function():
    assert set(EXPERIMENTS) >= {"comparison", "branches", "windows", "ablation", "pearson", "base-repeat",
                                "window-average"}


def test_report_csv_has_one_column_set_for_all_tables():
    rep = Report("x", "X", "cmd")
    rep.table("a", [{"m": "one", "v": 1.0}, {"m": "three", "v": 3.0}])
    rep.table("b", [{"m": "two", "w": 2.0}])
    header = rep.csv().splitlines()[0].split(",")
    assert header == ["table", "m", "v", "w"]  # each column once, however many rows share it
    rows = list(csv.DictReader(rep.csv().splitlines()))
    assert [r["table"] for r in rows] == ["a", "a", "b"] and [r["m"] for r in rows] == ["one", "three", "two"]
    assert rows[2]["w"] == "2.0" and rows[0]["w"] == "" and rows[1]["v"] == "3.0"


def test_every_experiment_runs_quick_from_the_cli_and_writes_its_report(tmp_path, capsys):
    from synsp.cli import main

    code = main(["benchmark", "--experiment", "all", "--quick", "--presets", "3dpw-spin-like", "--corpus", "",
                 "--runs", str(tmp_path / "no-runs"), "--methods", "kalman-rts,synsp-h36m17-3d-w8",
                 "-o", str(tmp_path / "reports")])
    assert code == 0, capsys.readouterr().err
    for name in set(EXPERIMENTS) - {"smoothnet-data", "robustness", "inversions"}:  # 'all': every one on the corpus
        md = (tmp_path / "reports" / f"{name}-3dpw-spin-like.md").read_text()
        assert f"synsp benchmark --experiment {name} --presets 3dpw-spin-like" in md
        assert (tmp_path / "reports" / f"{name}-3dpw-spin-like.csv").stat().st_size > 0
    md = (tmp_path / "reports" / "robustness-h36m17-3d.md").read_text()  # its own conditions, not a preset
    assert "synsp benchmark --experiment robustness --methods kalman-rts,synsp-h36m17-3d-w8 --quick" in md
    md = (tmp_path / "reports" / "inversions-h36m17-3d.md").read_text()  # its own presets and methods
    assert "synsp benchmark --experiment inversions --quick\n" in md and "kalman-rts + repair" in md
    assert (tmp_path / "reports" / "comparison_time-3dpw-spin-like.png").is_file()


def test_pearson_runs_on_coco17_keypoints_with_the_face_joints(tmp_path):
    rep = run_experiment("pearson", quick=True, runs=tmp_path, preset="mediapipe-like", skeleton="coco17",
                         representation="2d")
    joints = {r["joint"] for r in _table(rep, "per joint")}
    assert {"nose", "left_eye", "right_eye", "left_hip", "right_hip"} <= joints and len(joints) == 17


def test_other_experiments_refuse_2d():
    with pytest.raises(SynspInputError, match="pearson"):
        run_experiment("ablation", quick=True, skeleton="coco17", representation="2d")


def test_smoothnet_format_data_gets_the_comparison_table(tmp_path, capsys):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "io"))
    from pose_file_checks import write_smoothnet_files

    from synsp.cli import main
    from synsp.data.corpus import load_corpus

    rng = np.random.default_rng(0)
    clips = [c.positions[:120].astype(np.float64) for c in load_corpus(None, skeleton="h36m17", split="test")[:3]]
    names = [np.array([f"S9/Walking/camera1/{i:06d}.jpg" for i in range(len(c))]) for c in clips]
    gts = [c.reshape(len(c), -1) for c in clips]
    dets = [g + rng.normal(0, 0.02, g.shape) for g in gts]  # 2 cm jitter, metres like SmoothNet's files
    write_smoothnet_files(tmp_path, "h36m", "fcn", "3D", "test", {"imgname": names, "joints_3d": gts},
                          {"imgname": names, "joints_3d": dets})
    code = main(["benchmark", "--experiment", "smoothnet-data", "--smoothnet-root", str(tmp_path),
                 "--dataset", "h36m", "--estimator", "fcn", "--methods", "savgol-mmpose,synsp-h36m17-3d-w8",
                 "--trust-pickle", "-o", str(tmp_path / "reports")])
    out = capsys.readouterr().out
    assert code == 0
    rows = {line.split("|")[1].strip(): float(line.split("|")[4]) for line in out.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip() in ("input", "savgol-mmpose", "synsp-h36m17-3d-w8")}
    assert set(rows) == {"input", "savgol-mmpose", "synsp-h36m17-3d-w8"}
    assert rows["synsp-h36m17-3d-w8"] < 0.5 * rows["input"] and rows["savgol-mmpose"] < rows["input"]  # Accel
    assert (tmp_path / "reports" / "smoothnet-h36m_fcn_3D.md").is_file()
    assert main(["benchmark", "--experiment", "smoothnet-data", "--smoothnet-root", str(tmp_path)]) == 2  # pickled


def test_2d_comparison_reports_pck():
    rep = run_experiment("comparison", preset="hrnet-like", quick=True, methods=["one-euro"], skeleton="coco17",
                         representation="2d")
    rows = rep.tables[0].rows
    assert [r["method"] for r in rows] == ["input", "one-euro"]
    assert all(0.0 < r["PCK@0.05 %"] <= r["PCK@0.1 %"] <= r["PCK@0.2 %"] <= 100.0 for r in rows)


def test_robustness_reports_clean_damage_and_every_held_out_family():
    from synsp.error_families import HELD_OUT_FAMILIES

    rep = run_experiment("robustness", quick=True, methods=["butterworth", "savgol"])
    rows = {r["condition"]: r for r in _table(rep, "MPJPE (mm, root-relative)")}
    assert {"clean", "clean 2x speed", "clean 3x speed", "mixed (training family)",
            "preset 3dpw-spin-like"} <= set(rows)
    assert all(f"{f} {lvl} %" in rows for f in HELD_OUT_FAMILIES for lvl in ("1", "3"))
    assert rows["clean"]["input"] == 0.0 and 0.0 < rows["clean"]["butterworth"] < 5.0  # a low-pass bends the truth
    # a filter removes more of the truth's detail when the same motion is played faster
    assert rows["clean 3x speed"]["butterworth"] > rows["clean"]["butterworth"]
    # the family's error grows with its level, and a smoother removes part of the spiky one
    assert rows["spiky 3 %"]["input"] > 2.5 * rows["spiky 1 %"]["input"]
    assert rows["spiky 3 %"]["savgol"] < rows["spiky 3 %"]["input"]
    kinds = _table(rep, "MPJPE (mm) per motion kind")
    assert {r["condition"] for r in kinds} == {"clean", "spiky 3 %"}


def test_robustness_in_2d_uses_the_2d_models_and_pixel_presets():
    from synsp.experiments import Context, robustness_methods

    cli_defaults = Context(skeleton="coco17", representation="2d", methods=["synsp-h36m17-3d-w8"],
                           methods_given=False)
    assert "synsp-coco17-2d-w8" in robustness_methods(cli_defaults)
    assert "synsp-h36m17-3d-w8" not in robustness_methods(cli_defaults)
    rep = run_experiment("robustness", quick=True, skeleton="coco17", representation="2d", methods=["gaussian"])
    rows = {r["condition"]: r for r in _table(rep, "MPJPE (px, root-relative)")}
    assert "preset mediapipe-like" in rows and "preset 3dpw-spin-like" not in rows
    assert set(rows["clean"]) == {"condition", "input", "gaussian"}


def test_every_experiment_module_ships_in_the_wheel():
    """synsp.experiments is a package (one module per experiment): pyproject's package finding picks it up."""
    from pathlib import Path

    setuptools = pytest.importorskip("setuptools")
    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parents[1]
    where = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["where"]
    assert "synsp.experiments" in setuptools.find_packages(str(root / where[0]))
    modules = {p.stem for p in (root / where[0] / "synsp" / "experiments").glob("*.py")}
    assert {"common", "robustness", "inversions", "comparison", "windows"} <= modules
    assert {f.__module__.rsplit(".", 1)[-1] for f in EXPERIMENTS.values()} <= modules


def test_robustness_tells_a_network_that_takes_it_where_the_joints_sit(tmp_path, monkeypatch):
    from synsp.models.checkpoint import ModelCard, save_model
    from synsp.models.universal import UniversalConfig, UniversalSynSP
    from synsp.normalization import CENTROID

    tiny = dict(d_model=16, d_inner=16, n_layers=1, n_refine_layers=1, n_head=2, d_k=8, d_v=8, window=8,
                joint_structure=True)
    card = ModelCard(name="uni", architecture="universal", config=tiny, skeleton="any", dims=3, window=8,
                     normalization=CENTROID, mask=True)
    stem = save_model(tmp_path / "uni", UniversalSynSP(UniversalConfig(**tiny)), card)
    seen = []
    forward = UniversalSynSP.forward
    monkeypatch.setattr(UniversalSynSP, "forward",
                        lambda self, *a, **kw: seen.append(kw.get("structure")) or forward(self, *a, **kw))
    run_experiment("robustness", quick=True, methods=[str(stem)])
    assert seen and all(s is not None and tuple(s[0].shape) == (17,) for s in seen)
