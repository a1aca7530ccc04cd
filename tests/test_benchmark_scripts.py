"""The benchmark scripts run (quick mode) and check their own results against a reference."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _table_rows(out: str) -> dict[str, list[float]]:
    """A printed markdown table's rows: first cell -> the other cells as numbers (the header row left out; a cell
    ``n of m`` gives n)."""
    return {line.split("|")[1].strip(): [float(c.split(" of ")[0]) for c in line.split("|")[2:-1]]
            for line in out.splitlines() if line.startswith("| ") and not line.startswith("| method")}


def _pair_rows(out: str) -> dict[str, list[list[float]]]:
    """:func:`_table_rows` of a table whose cells are ``a / b (/ c)`` and whose last column (frames/s) is
    left out: first cell -> each cell's numbers."""
    return {line.split("|")[1].strip(): [[float(v) for v in c.split("/")] for c in line.split("|")[2:-2]]
            for line in out.splitlines() if line.startswith("| ") and not line.startswith("| method")}


def _run(script: str, args: list[str], capsys) -> str:
    """Run a benchmark script's ``main(args)``, check it exits 0, and return what it printed."""
    module = runpy.run_path(str(BENCHMARKS / script))
    assert module["main"](args) == 0
    return capsys.readouterr().out


def test_swaa_benchmark_quick(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["swaa.py", "--quick", "--sizes", "8"])
    out = _run("swaa.py", ["--quick", "--sizes", "8"], capsys)  # asserts synsp == loop internally
    assert "reproduce: python benchmarks/swaa.py --quick" in out
    row = [line for line in out.splitlines() if line.startswith("| 8 |")][-1]
    speedup = float(row.split("|")[5].strip().rstrip("x"))
    assert speedup > 1


def test_clean_input_benchmark_runs_and_filters_barely_touch_clean_motion(capsys):
    out = _run("clean_input.py", ["--frames", "200"], capsys)
    assert "reproduce: python benchmarks/clean_input.py --frames 200" in out
    rows = [line.split("|") for line in out.splitlines() if line.startswith("| h36m17") or line.startswith("| smpl24")]
    added = {(r[1].strip(), r[2].strip()): float(r[3]) for r in rows}
    assert len(added) == 8
    assert added[("h36m17 positions", "butterworth")] < added[("h36m17 positions", "synsp-h36m17-3d-w8")]
    # the default does least harm to clean motion, less than the light filter too
    assert added[("h36m17 positions", "synsp-universal-w16")] < added[("h36m17 positions", "butterworth")]
    assert added[("smpl24 rotations", "butterworth")] < added[("smpl24 rotations", "synsp-smpl24-rot-w8")]


def test_simulator_quirk_gives_both_drifts_the_same_size_and_filters_cannot_remove_slow_drift(capsys):
    out = _run("simulator_quirk.py", ["--frames", "300", "--methods", "butterworth"], capsys)
    assert "reproduce: python benchmarks/simulator_quirk.py --frames 300 --methods butterworth" in out
    rows = {r.split("|")[1].strip(): [c.strip() for c in r.split("|")[2:6]] for r in out.splitlines()
            if r.startswith("| input") or r.startswith("| butterworth")}
    independent, angles = float(rows["input"][0]), float(rows["input"][2])
    assert 0.6 < independent / angles < 1.6  # the same root-relative size (the level), within sampling
    for ratio in (rows["butterworth"][1], rows["butterworth"][3]):  # a 0.5 s drift is below any cut-off
        assert abs(float(ratio.rstrip("x")) - 1.0) < 0.05


def test_stream_tracks_benchmark_quick(capsys):
    args = ["--tracks", "1", "3", "--steps", "2", "--push-frames", "3"]
    out = _run("stream_tracks.py", args, capsys)  # asserts step == push internally
    assert "reproduce: python benchmarks/stream_tracks.py --model synsp-h36m17-3d-w8 --tracks 1 3 --steps 2" in out
    rows = [line.split("|") for line in out.splitlines() if line.startswith("| 1 |") or line.startswith("| 3 |")]
    assert len(rows) == 2 and all(float(r[2].replace(",", "")) > 0 for r in rows)


def test_concurrent_refine_benchmark_quick(capsys):
    out = _run("concurrent_refine.py", ["--processes", "1", "--frames", "40", "--threads", "1"], capsys)
    assert "reproduce: python benchmarks/concurrent_refine.py --processes 1 --frames 40 --threads 1" in out
    row = [line.split("|") for line in out.splitlines() if line.startswith("| 1 |")][-1]
    assert float(row[2]) > 0 and float(row[3]) > 0


def test_inversions_benchmark_quick(capsys):
    out = _run("inversions.py", ["--frames", "200", "--cases", "3d", "--long-frames", "2000"], capsys)
    assert ("reproduce: python benchmarks/inversions.py --frames 200 --rate 0.1 --seed 0 --cases 3d "
            "--long-frames 2000") in out
    rows = [r.split("|") for r in out.splitlines() if r.startswith("| ")]
    mpjpe = {}
    for r in rows:  # the first MPJPE table (errors follow the limb): method -> MPJPE
        if len(r) == 8 and r[1].strip() not in mpjpe and r[2].strip().replace(".", "").isdigit():
            mpjpe[r[1].strip()] = float(r[2])
    assert mpjpe["synsp-universal-w16 (repair on, the default)"] < mpjpe["synsp-universal-w16, repair=False"]
    assert mpjpe["butterworth + repair"] < mpjpe["butterworth"]
    timing = [r for r in rows if r[1].strip().startswith("2,000 x 17")][0]
    assert float(timing[2]) > 0 and float(timing[3]) > 0
    out = _run("inversions.py", ["--frames", "400", "--cases", "2d", "--online", "1", "--delay", "30"], capsys)
    rows = [r.split("|") for r in out.splitlines() if r.startswith("| 2D")]
    assert "--online 1 --delay 30" in out and len(rows) == 2  # the two orders, one prior
    for r in rows:  # offline and the stream's repair restore most of the inversions (restored % of N / wrong)
        assert float(r[4].split("%")[0]) > 80 and float(r[5].split("%")[0]) > 50


def test_validation_robustness_rows_run_and_a_filter_harms_fast_clean_motion_more(capsys):
    module = runpy.run_path(str(BENCHMARKS / "validation_robustness.py"))
    # the test split: the one the embedded corpus of a fresh clone holds (the script's default is val)
    assert module["main"](["--split", "test", "--frames", "300", "--methods", "butterworth"]) == 0
    out = capsys.readouterr().out
    assert ("reproduce: python benchmarks/validation_robustness.py --split test --frames 300 --methods "
            "butterworth") in out
    assert out.startswith("test split")
    row = [line for line in out.splitlines() if line.startswith("| butterworth")][0]
    cells = [float(c) for c in row.split("|")[2:-1]]
    assert len(cells) == 9 and all(c >= 0 for c in cells)
    assert cells[0] < cells[1] < cells[2]  # a low-pass filter harms fast clean motion more than slow


def test_validation_robustness_gives_accel_ratios_on_the_error_rows_only(capsys):
    module = runpy.run_path(str(BENCHMARKS / "validation_robustness.py"))
    assert module["main"](["--split", "test", "--frames", "300", "--accel", "--methods", "butterworth"]) == 0
    out = capsys.readouterr().out
    assert "--split test --frames 300 --accel --methods butterworth" in out
    cells = [c.strip() for c in [line for line in out.splitlines() if line.startswith("| butterworth")][0].split("|")[2:-1]]
    assert all(" / " not in c for c in cells[:3])  # clean rows: MPJPE added only
    ratios = [float(c.split(" / ")[1].rstrip("x")) for c in cells[3:]]
    assert len(ratios) == 6 and all(0 < r < 1 for r in ratios)  # a low-pass filter lowers every error row's Accel


def _butterworth_table(option: str, capsys) -> tuple[list[str], list[float]]:
    """validation_robustness.py with ``option`` on 300 test frames: the columns and Butterworth's MPJPE row."""
    module = runpy.run_path(str(BENCHMARKS / "validation_robustness.py"))
    assert module["main"](["--split", "test", "--frames", "300", option, "--methods", "butterworth"]) == 0
    out = capsys.readouterr().out
    assert f"--split test --frames 300 {option} --methods butterworth" in out
    header = [line for line in out.splitlines() if line.startswith("| method")][0]
    row = [line for line in out.splitlines() if line.startswith("| butterworth")][0]
    return [c.strip() for c in header.split("|")[2:-1]], [float(c) for c in row.split("|")[2:-1]]


def test_validation_robustness_takes_a_family_of_several_components_apart(capsys):
    names, cells = _butterworth_table("--parts", capsys)
    # spiky is white jitter and single-frame outliers: each alone, at the family's level
    assert names[-3:] == ["spiky 1 % (white alone)", "spiky 1 % (spikes alone)", "mixed"]
    assert len(cells) == 11 and all(c > 0 for c in cells[3:])


def test_validation_robustness_all_levels_gives_the_test_tables_rows(capsys):
    names, cells = _butterworth_table("--all-levels", capsys)
    for fam in ("spiky", "rigid-shake", "overshoot", "quantized"):  # each held-out family at both test levels
        assert f"{fam} 1 %" in names and f"{fam} 3 %" in names
    assert len(names) == len(set(names)) == 13 and names[-1] == "mixed"  # clean x3, 9 family rows, mixed
    # the same family at three times the level leaves more error
    assert cells[names.index("spiky 3 %")] > cells[names.index("spiky 1 %")]


def test_validation_robustness_has_the_rotation_rows(capsys):
    module = runpy.run_path(str(BENCHMARKS / "validation_robustness.py"))
    assert module["main"](["--representation", "rotations", "--split", "test", "--frames", "200",
                           "--methods", "butterworth"]) == 0
    out = capsys.readouterr().out
    assert "--representation rotations --frames 200 --split test --methods butterworth" in out
    row = [line for line in out.splitlines() if line.startswith("| butterworth")][0]
    cells = [tuple(float(v) for v in c.split(" / ")) for c in row.split("|")[2:-1]]
    assert len(cells) == 12  # clean x3, four held-out families x2, the training family
    assert cells[0][0] < cells[2][0]  # a low-pass filter harms fast clean rotations more than slow ones
    assert all(angle > 0 and mm > 0 for angle, mm in cells)


def test_rotation_joint_sets_refines_22_joint_bodies_with_the_default(capsys):
    module = runpy.run_path(str(BENCHMARKS / "rotation_joint_sets.py"))
    assert module["main"](["--joints", "22", "--frames", "200", "--methods", "butterworth,default"]) == 0
    out = capsys.readouterr().out
    assert "reproduce: python benchmarks/rotation_joint_sets.py --joints 22 --split test --frames 200" in out
    rows = _table_rows(out)
    assert set(rows) == {"input", "butterworth", "synsp-universal-w16-rot (default)"}
    assert rows["input"][0] == 0.0 and rows["input"][3] > 0  # clean: nothing added; spiky 2.5 deg: an error
    assert rows["synsp-universal-w16-rot (default)"][0] < rows["butterworth"][0]  # less harm to clean rotations
    with pytest.raises(SystemExit):
        module["main"](["--joints", "24"])


def test_long_input_runs_short_for_positions_and_rotations(capsys):
    module = runpy.run_path(str(BENCHMARKS / "long_input.py"))
    assert module["main"](["--model", "butterworth", "--frames", "400"]) == 0
    assert "400 frames x 17 joints with butterworth" in capsys.readouterr().out
    assert module["main"](["--model", "default", "--frames", "400", "--rotation-joints", "22"]) == 0
    out = capsys.readouterr().out
    assert "--rotation-joints 22" in out and "400 frames x 22 joint rotations with synsp-universal-w16-rot" in out
    assert module["main"](["--frames", "400", "--rotation-joints", "30"]) == 2
    assert module["main"](["--whole-body", "--frames", "300"]) == 0  # a COCO-WholeBody file through the file path
    out = capsys.readouterr().out
    assert "--whole-body --frames 300" in out and "300 frames x 133 keypoints" in out and "synsp-universal-w16" in out
    assert module["main"](["--whole-body", "--mmpose-json", "--joints", "17", "--frames", "300"]) == 0
    out = capsys.readouterr().out
    assert "--mmpose-json --joints 17 --frames 300" in out and "300 frames x 17 keypoints (one MMPose 1.x JSON" in out
    assert module["main"](["--mediapipe-csv", "long", "--frames", "300"]) == 0
    out = capsys.readouterr().out
    assert "--mediapipe-csv long --frames 300" in out and "300 frames x 33 landmarks (a long MediaPipe CSV" in out


@pytest.mark.parametrize("fmt", ["trc", "c3d", "coco", "mmpose0", "yolo"])
def test_long_input_writes_each_format_and_refines_it_through_the_file_path(fmt, capsys):
    module = runpy.run_path(str(BENCHMARKS / "long_input.py"))
    assert module["main"](["--format", fmt, "--frames", "200"]) == 0
    out = capsys.readouterr().out
    points = {"trc": 22, "c3d": 39}.get(fmt, 17)
    assert f"--format {fmt} --frames 200" in out and f"200 frames x {points} points ({fmt}" in out
    assert "refined by synsp-universal-w16" in out
    if fmt in ("trc", "c3d"):  # a file at another rate (resampled to the network's and back)
        assert module["main"](["--format", fmt, "--rate", "100", "--frames", "400"]) == 0
        assert f"--format {fmt} --rate 100 --frames 400" in capsys.readouterr().out
    else:
        with pytest.raises(SystemExit):  # the other files store no frame rate
            module["main"](["--format", fmt, "--rate", "100", "--frames", "200"])


def test_long_input_loops_a_bvh_and_refines_its_rotations(tmp_path, capsys):
    from scipy.spatial.transform import Rotation

    from synsp.io import Motion, write_bvh

    t = np.arange(40) / 30.0
    rots = np.repeat(Rotation.from_euler("ZYX", np.sin(t)[:, None] * [20, 10, 5], degrees=True).as_matrix()[:, None],
                     4, axis=1)
    offsets = np.array([[0, 90, 0], [0, 10, 0], [0, 20, 0], [10, 0, 0]], float)
    write_bvh(Motion(["hips", "spine", "head", "leg"], [-1, 0, 1, 0], offsets, rots, np.zeros((40, 3)) + [0, 90, 0],
                     fps=120, units="cm"), tmp_path / "clip.bvh")
    module = runpy.run_path(str(BENCHMARKS / "long_input.py"))
    assert module["main"](["--bvh", "--bvh-source", str(tmp_path / "clip.bvh"), "--frames", "300"]) == 0
    out = capsys.readouterr().out
    assert "--bvh --bvh-source" in out and "300 frames of clip.bvh looped" in out and "synsp-universal-w16-rot" in out
    assert module["main"](["--bvh", "--bvh-source", str(tmp_path / "none.bvh")]) == 2


def test_short_parts_are_refined_below_their_input_and_clean_ones_barely_change(capsys):
    out = _run("short_parts.py", ["--lengths", "4,8", "--parts", "20", "--frames", "600",
                                  "--methods", "input,default,butterworth"], capsys)
    assert "# reproduce: python benchmarks/short_parts.py --representation 3d --lengths 4,8" in out
    tables = out.split("**")[1:]
    assert [t.split(" frames")[0] for t in tables[::2]] == ["4", "8"]
    for table in tables[1::2]:
        rows = {line.split("|")[1].strip(): [float(c) for c in line.split("|")[2:-1]]
                for line in table.splitlines() if line.startswith("| ") and not line.startswith("| condition")}
        assert rows["clean"][0] == 0.0 and rows["clean"][1] < 2.0  # mm added by the default
        for name in ("spiky 1 %", "quantized 1 %"):
            assert rows[name][1] < rows[name][0]  # the default below its input


def test_multiview_robustness_rows_run(capsys):
    out = _run("multiview_robustness.py", ["--views", "2", "--frames", "150", "--methods",
                                           "synsp-universal-w16+view-mean"], capsys)
    assert "reproduce: python benchmarks/multiview_robustness.py --views 2 --frames 150 --split test" in out
    rows = _table_rows(out)
    assert rows["input"][0] == 0.0 and rows["synsp-universal-w16+view-mean"][0] < 1.0  # clean views stay clean
    assert rows["mean of the input views"][1] < rows["input"][1]  # two views' errors average out
    fused_first = rows["mean of the input views, then synsp-universal-w16"]
    assert fused_first[0] < 1.0 and fused_first[1] < rows["mean of the input views"][1]


def test_one_joint_errors_the_rotation_model_no_longer_leaves_a_noisy_joint_of_a_clean_body_alone(capsys):
    args = ["--split", "test", "--frames", "300", "--methods", "synsp-universal-w16-rot"]
    out = _run("one_joint_errors.py", args, capsys)
    assert "reproduce: python benchmarks/one_joint_errors.py --representation rotations --split test" in out
    rows = _table_rows(out)
    assert 3.0 < rows["input"][0] < 5.0 and rows["input"][1] == 0.0  # 4 degrees on one joint, the rest exact
    # trained on errors of a few joints too ('mixed-local'), it removes part of one joint's noise in an
    # otherwise clean body (the model trained on whole-body errors alone: 0.97x on this clip, 3.57 of 3.68
    # degrees) and leaves the other joints alone
    assert rows["synsp-universal-w16-rot"][0] < 0.94 * rows["input"][0]
    assert rows["synsp-universal-w16-rot"][1] < 0.1


def test_noise_level_sweep_shows_every_method_below_its_input_and_more_error_at_higher_levels(capsys):
    args = ["--split", "test", "--frames", "300", "--levels", "0.01,0.03", "--methods", "kalman-rts,butterworth"]
    out = _run("noise_level_sweep.py", args, capsys)
    assert "reproduce: python benchmarks/noise_level_sweep.py --split test --frames 300 --levels 0.01,0.03" in out
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out.splitlines()
            if line.startswith("| white") or line.startswith("| spiky")]
    assert [(r[0], r[1]) for r in rows] == [("white", "1 %"), ("white", "3 %"), ("spiky", "1 %"), ("spiky", "3 %")]
    values = np.array([[float(c) for c in r[2:]] for r in rows])  # input, kalman-rts, butterworth
    assert (values[:, 1:] < values[:, :1]).all()  # both filters remove part of the jitter
    assert (values[1::2] > values[0::2]).all()  # three times the error leaves more behind, for every column
    assert 0.8 < values[1, 0] / values[0, 0] / 3 < 1.2  # the level is the input's RMS share: about 3x the error


def test_noise_level_sweep_refuses_a_level_outside_zero_to_one(capsys):
    module = runpy.run_path(str(BENCHMARKS / "noise_level_sweep.py"))
    assert module["main"](["--split", "test", "--levels", "2"]) == 2
    assert "expected shares of the person's size" in capsys.readouterr().out


def test_accel_floor_sweeps_both_smoothers_and_heavier_smoothing_changes_clean_motion_more(capsys):
    args = ["--split", "test", "--frames", "300", "--rows", "rigid-shake:0.03", "--methods", "gaussian"]
    out = _run("accel_floor.py", args, capsys)
    assert f"reproduce: python benchmarks/accel_floor.py {' '.join(args)}" in out
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in out.splitlines() if line.startswith("| ") and not line.startswith("| method")}
    assert len(rows) == 1 + 6 + 5 + 1  # input, the Butterworth and Kalman-RTS sweeps, --methods
    clean = {name: float(cells[0]) for name, cells in rows.items()}
    assert clean["input"] == 0.0
    # the sweeps run from light to heavy: each step changes clean motion more
    assert clean["butterworth:cutoff=6"] < clean["butterworth:cutoff=3"] < clean["butterworth:cutoff=1"]
    assert clean["kalman-rts:process_noise=300"] < clean["kalman-rts:process_noise=30"] < clean["kalman-rts:process_noise=3"]
    ratios = [float(cells[1].split("/")[1].strip().rstrip("x")) for cells in rows.values()]
    assert ratios[0] == 1.0 and all(0 < r < 1 for r in ratios[1:])  # every smoother removes acceleration error
    assert "lowest Accel ratio per row: rigid-shake 3 %:" in out


def test_accel_floor_refuses_an_unknown_family_or_level(capsys):
    module = runpy.run_path(str(BENCHMARKS / "accel_floor.py"))
    assert module["main"](["--split", "test", "--rows", "wobble:0.01"]) == 2
    assert "expected FAMILY:LEVEL" in capsys.readouterr().out
    assert module["main"](["--split", "test", "--rows", "spiky:3"]) == 2


def test_chunk_oracle_is_never_worse_than_the_better_method_and_equals_it_with_one_chunk(capsys):
    args = ["--split", "test", "--frames", "300", "--methods", "butterworth,kalman-rts"]
    out = _run("chunk_oracle.py", args, capsys)
    assert f"reproduce: python benchmarks/chunk_oracle.py {' '.join(args)}" in out
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("| errors")]
    assert [r[0] for r in rows] == ["clean 2x", "clean 3x", "spiky 1 %", "rigid-shake 3 %", "overshoot 2 %",
                                    "quantized 1 %"]
    values = np.array([[float(c) for c in r[1:5]] for r in rows])  # a, b, mean, oracle
    assert (values[:, 3] <= values[:, :2].min(axis=1) + 0.005).all()
    # one chunk per clip longer than any clip: the oracle picks a whole method per clip, still no worse
    out = _run("chunk_oracle.py", args + ["--chunk", "100000"], capsys)
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("| errors")]
    whole = np.array([[float(c) for c in r[1:5]] for r in rows])
    assert (whole[:, 3] >= values[:, 3] - 0.005).all()  # coarser choices can only lose


def test_chunk_oracle_wants_exactly_two_methods(capsys):
    module = runpy.run_path(str(BENCHMARKS / "chunk_oracle.py"))
    assert module["main"](["--split", "test", "--methods", "butterworth"]) == 2
    assert "expected two refiners" in capsys.readouterr().out


def test_validation_robustness_reads_a_given_corpus_and_its_train_split_only_from_one(capsys):
    from synsp.data.corpus import embedded_corpus_path

    module = runpy.run_path(str(BENCHMARKS / "validation_robustness.py"))
    assert module["main"](["--split", "train", "--methods", "butterworth"]) == 2
    assert "only with --corpus" in capsys.readouterr().out
    corpus = str(embedded_corpus_path())
    assert module["main"](["--corpus", corpus, "--split", "test", "--frames", "300", "--methods", "butterworth"]) == 0
    out = capsys.readouterr().out
    assert f"--split test --corpus {corpus} --frames 300 --methods butterworth" in out
    assert module["main"](["--corpus", corpus, "--split", "train", "--frames", "300", "--methods", "butterworth"]) == 2
    assert "the corpus has no train clips" in capsys.readouterr().out  # the embedded corpus holds the test split only


def test_error_by_speed_sorts_clips_by_speed_and_every_method_removes_part_of_the_error(capsys):
    args = ["--split", "test", "--frames", "1000", "--methods", "kalman-rts,butterworth"]
    out = _run("error_by_speed.py", args, capsys)
    assert f"reproduce: python benchmarks/error_by_speed.py --family spiky --level 0.01 --frames 1000 --split test " \
           "--methods kalman-rts,butterworth" in out
    rows = [[float(c.strip()) for c in line.split("|")[1:-1]] for line in out.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip()[:1].isdigit()]
    assert len(rows) >= 2
    speeds = [r[0] for r in rows]
    assert speeds == sorted(speeds) and speeds[0] > 0
    # spiky 1 % leaves each clip with at most its input's error (the input is about 14 mm on the corpus)
    assert all(0 < e < 20 for r in rows for e in r[2:])
    halves = {line.split("|")[1].strip(): [float(c) for c in line.split("|")[2:-1]]
              for line in out.splitlines() if line.startswith("| **")}
    assert set(halves) == {"**slower half**", "**faster half**", "**all**"}
    assert halves["**all**"][0] == sum(r[1] for r in rows)  # every frame counted once


def test_whole_body_benchmark_runs_every_method_on_133_points(capsys):
    out = _run("whole_body.py", ["--frames", "200", "--methods", "butterworth,synsp-coco17-2d-w8,synsp-universal-w16"],
               capsys)
    assert "reproduce: python benchmarks/whole_body.py --split test --frames 200" in out
    rows = _pair_rows(out)
    assert rows["input"][0] == [0.0, 0.0, 0.0] and all(all(v > 0 for v in cell) for cell in rows["input"][1:])
    # the default on the body (17 points) leaves clean motion closer than the COCO-17 network it replaced
    assert rows["synsp-universal-w16"][0][0] < rows["synsp-coco17-2d-w8"][0][0]
    for cells, noisy in zip(rows["synsp-universal-w16"][1:], rows["input"][1:]):
        assert cells[0] < noisy[0] and cells[1] < noisy[1]  # body and face/hands both closer than the input


def test_frame_rate_benchmark_plays_the_split_faster(capsys):
    out = _run("frame_rate.py", ["--frames", "150", "--rates", "60", "--methods", "butterworth"], capsys)
    assert "test split at 60 fps" in out and "reproduce: python benchmarks/frame_rate.py --split test" in out
    rows = _table_rows(out)
    assert rows["input"][0] == 0.0 and all(v > 0 for v in rows["input"][1:])
    assert rows["butterworth"][1] < rows["input"][1]  # jitter at 60 fps: the filter removes part of it


def test_bvh_rotations_benchmark_on_a_file_of_its_own(tmp_path, capsys):
    from scipy.spatial.transform import Rotation

    from synsp.io import Motion, write_bvh

    t = np.arange(150) / 60.0
    angles = np.stack([np.sin(2 * np.pi * f * t) * 20 for f in (0.5, 0.7, 0.9)], axis=-1)
    rots = np.repeat(Rotation.from_euler("ZYX", angles, degrees=True).as_matrix()[:, None], 3, axis=1)
    root = np.stack([t * 10, np.full(150, 90.0), np.zeros(150)], axis=-1)
    offsets = np.array([[0, 90, 0], [0, 10, 0], [10, 0, 0]], float)
    write_bvh(Motion(["hips", "spine", "leg"], [-1, 0, 0], offsets, rots, root, fps=60, units="cm"), tmp_path / "a.bvh")
    out = _run("bvh_rotations.py", ["--files", str(tmp_path / "a.bvh"), "--levels", "2", "--root-levels", "3",
                                    "--methods", "butterworth"], capsys)
    assert "--levels 2 --root-levels 3 --methods butterworth" in out
    rows = _pair_rows(out)
    assert rows["input"][0] == [0.0, 0.0] and 1.5 < rows["input"][1][0] < 2.5  # 2 degrees RMS of jitter
    assert 0.5 < rows["input"][2][0] < 1.5  # 3 degrees on the root alone: a third of it over the 3 joints
    assert rows["butterworth"][1][0] < rows["input"][1][0]


def _counts(out: str) -> dict[str, list[int]]:
    """The ``--consensus`` table's rows of the 0.05 prior and the default: ``[undone, correct labels exchanged]``."""
    return {line.split("|")[1].strip(): [int(c.split(" of ")[0]) for c in line.split("|")[2:4]]
            for line in out.splitlines() if line.startswith("| 0.05 ") or "(default)" in line}


def test_real_agreement_three_blazepose_models_judge_the_repair(capsys, monkeypatch):
    # real MediaPipe output (lite / full / heavy on the Sports2D video): a filter brings each model's track closer
    # to the others' raw output; with the repair's former 2D prior it moved it away (legs kept exchanged)
    import synsp.repair

    default = synsp.repair.FLIP_COST_2D
    monkeypatch.setattr(synsp.repair, "FLIP_COST_2D", default)  # --flip-cost sets it
    twist = synsp.repair.TWIST_COST
    monkeypatch.setattr(synsp.repair, "TWIST_COST", twist)  # --twist-cost too
    out = _run("real_agreement.py", ["--methods", "input,butterworth"], capsys)
    assert "reproduce: python benchmarks/real_agreement.py --methods input,butterworth" in out
    assert "189 frames at 30 fps in 2 segments" in out
    rows = _table_rows(out)
    assert rows["butterworth"][1] < rows["input"][1] - 1.0 and rows["butterworth"][2] < rows["input"][2] / 3
    out = _run("real_agreement.py", ["--methods", "input,butterworth", "--flip-cost", "0.05"], capsys)
    rows = _table_rows(out)
    # 2.1 px further than the input (3.7 before the glitch check)
    assert rows["butterworth"][1] > rows["input"][1] + 1.5
    out = _run("real_agreement.py", ["--methods", "input,butterworth", "--world", "--no-repair"], capsys)
    rows = _table_rows(out)  # the metric 3D landmarks, mm
    assert "--no-repair --world" in out and 100 < rows["input"][1] < 140 and rows["butterworth"][1] < rows["input"][1]
    # the 3D repair gives no body whose shoulders face against its hips that the input did not have; without the
    # twist cost it gave 16 (frames of the three models' tracks, refined)
    for cost, most in ((f"{twist:g}", rows["input"][3]), ("0", None)):
        out = _run("real_agreement.py", ["--methods", "input,butterworth", "--world", "--twist-cost", cost], capsys)
        twisted = _table_rows(out)["butterworth"][3]
        assert twisted <= most if most is not None else twisted > 10
    synsp.repair.TWIST_COST = twist
    synsp.repair.FLIP_COST_2D = default
    out = _run("real_agreement.py", ["--consensus", f"0.05,{default:g}"], capsys)  # the repair against the consensus
    cells = _counts(out)
    ours = cells[f"{default:g} (default)"]
    assert ours[0] >= cells["0.05"][0] and ours[1] < cells["0.05"][1] / 4
    out = _run("real_agreement.py", ["--consensus", f"0.05,{default:g}", "--online", "30"], capsys)  # the stream's
    cells = _counts(out)
    assert "--online 30" in out and cells[f"{default:g} (default)"][1] < cells["0.05"][1] / 4
    # several files pooled (a folder of them): the Pose2Sim demo's camera 1, where the repair once cost 11 px
    folder = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "pose2sim"
    out = _run("real_agreement.py", ["--methods", "input,butterworth", "--data", str(folder / "single_person_cam1.npz"),
                                     str(folder / "single_person_cam3.npz")], capsys)
    rows = _table_rows(out)
    assert "--data benchmarks/data/pose2sim/single_person_cam1.npz" in out and out.count("100 frames at 60 fps") == 2
    assert rows["butterworth"][1] < rows["input"][1]


def test_real_views_two_cameras_triangulate_and_the_other_two_judge(capsys):
    # real MediaPipe keypoints in the Pose2Sim demo's four calibrated cameras: a filter brings the triangulated 3D
    # closer to what the other cameras saw (the geometry is synsp.calibration's, tests/test_camera_labels.py)
    out = _run("real_views.py", ["--methods", "input,butterworth", "--models", "heavy"], capsys)
    rows = _table_rows(out)
    assert "reproduce: python benchmarks/real_views.py --methods input,butterworth --models heavy" in out
    assert rows["butterworth"][0] < rows["input"][0] and rows["butterworth"][2] < rows["input"][2] / 4
    # the cameras' labels made to agree before triangulating: lite's, whose camera 2 sees the person from behind,
    # triangulate closer to the same judges (all three models together: 31.81 -> 30.67 px)
    lite = [_table_rows(_run("real_views.py", ["--methods", "input", "--models", "lite"] + agree, capsys))["input"][0]
            for agree in ([], ["--agree"])]
    assert lite[1] < lite[0] - 1


def test_real_views_fuse_the_models_triangulations_as_views_of_one_person(capsys):
    # each pair's lite and heavy triangulations are two 3D views; the plain mean is one fused track, and
    # Butterworth on each view before the mean comes closer to the judges with a fraction of its acceleration
    out = _run("real_views.py", ["--methods", "input,butterworth+view-mean", "--models", "lite,heavy", "--fuse-models"],
               capsys)
    assert "--models lite,heavy --fuse-models" in out
    rows = _table_rows(out)
    assert rows["butterworth+view-mean"][0] < rows["input"][0] and rows["butterworth+view-mean"][2] < rows["input"][2] / 4


def test_view_labels_benchmark_mends_a_view_labelled_the_wrong_way_round(capsys):
    out = _run("view_labels.py", ["--clips", "1"], capsys)
    assert "reproduce: python benchmarks/view_labels.py --views 4 --spread 0.02 --clips 1" in out
    rows = _table_rows("\n".join(line for line in out.splitlines() if line.startswith(("| labels", "| one view"))))
    agree, wrong = rows["labels agree"], rows["one view the wrong way round throughout"]
    assert wrong[0] == pytest.approx(agree[0], abs=0.1)  # the views' agreement mends it
    assert wrong[1] > agree[1] + 20 and wrong[2] > agree[2] + 20  # each view's own repair cannot see it


def test_view_labels_benchmark_on_real_cameras_mends_the_view_from_behind_and_leaves_the_rest(capsys):
    """MediaPipe's world landmarks from the Pose2Sim demo's calibrated cameras as 3D views of one person: lite on
    camera 2 (the person seen from behind) is relabelled to agree with the other cameras; views that agree are not
    touched; camera 3 of the multi-person demo, which sees another person, is left out."""
    out = _run("view_labels.py", ["--real"], capsys)
    first, second = out.split("2D keypoints of the four cameras")
    rows = {tuple(c.strip() for c in line.split("|")[1:3]): line.split("|")[3:-1]
            for line in first.splitlines() if line.startswith(("| single_person", "| multi_person"))}
    assert len(rows) == 6
    lite = rows["single_person", "lite"]
    assert float(lite[4]) < float(lite[3]) - 20 and int(lite[5]) > 0
    for key, cells in rows.items():
        assert cells[0].strip() == ("1, 2, 4" if key[0] == "multi_person" else "1, 2, 3, 4")
        if key != ("single_person", "lite"):
            assert cells[3] == cells[4] and int(cells[5]) == 0
    # the cameras' 2D keypoints: camera 2 comes closer to the other model for lite and full, nothing else moves, and
    # camera 3 of the multi-person demo is named
    cams = {tuple(c.strip() for c in line.split("|")[1:3]): [c.strip() for c in line.split("|")[3:-1]]
            for line in second.splitlines() if line.startswith(("| single_person", "| multi_person"))}
    assert len(cams) == 6
    for key, (before, after, relabelled, said) in cams.items():
        before, after = [float(v) for v in before.split("/")], [float(v) for v in after.split("/")]
        if key in (("single_person", "lite"), ("single_person", "full")):
            assert after[1] < before[1] - 2 and relabelled.split(" / ")[1] != "0"
        else:
            assert after == before and relabelled == "0 / 0 / 0 / 0"
        assert ("camera at index 2" in said) == (key[0] == "multi_person")


def test_stream_identities_gives_exchanged_ids_back_as_offline(capsys):
    # two people crossing, their tracker ids exchanged: the stream's identity repair gives every exchanged
    # person-frame back, as the offline repair does, and its refined tracks follow the people
    out = _run("stream_identities.py", ["--frames", "300", "--cases", "3d"], capsys)
    assert "reproduce: python benchmarks/stream_identities.py --frames 300 --cases 3d" in out
    row = next(line for line in out.splitlines() if line.startswith("| 3D"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert cells[2].startswith("100.0 % / 100.0 %") and cells[3].startswith("0 / 0")
    without, with_ = (float(v) for v in cells[4].split(" mm")[0].split(" / "))
    assert with_ < 150 and without > 5 * with_


def test_multiview_robustness_times_the_methods(capsys):
    out = _run("multiview_robustness.py", ["--views", "2", "--methods", "butterworth+view-mean", "--speed"], capsys)
    assert "reproduce: python benchmarks/multiview_robustness.py --views 2 --methods butterworth+view-mean --speed" in out
    assert float(out.split("butterworth+view-mean: ")[1].split(" frames/s")[0].replace(",", "")) > 0


def test_error_bands_split_each_methods_error_by_frequency_and_a_low_pass_empties_the_high_bands(capsys):
    args = ["--split", "test", "--frames", "1000", "--methods", "butterworth,butterworth@4"]
    out = _run("error_bands.py", args, capsys)
    assert f"reproduce: python benchmarks/error_bands.py --family spiky --level 0.01 --frames 1000 --split test " \
           "--methods butterworth,butterworth@4" in out
    rows = {line.split("|")[1].strip(): [float(c) for c in line.split("|")[2:-1]]
            for line in out.splitlines() if line.startswith("| ") and line.split("|")[2].strip()[:1].isdigit()}
    assert set(rows) == {"input", "butterworth", "butterworth@4"}
    for values in rows.values():  # Parseval: the bands' squares add up to the whole error's mean square
        assert sum(v * v for v in values[1:-1]) == pytest.approx(values[-1] ** 2, rel=0.01)
    # white jitter and outliers: much of the input's error is above 5 Hz; Butterworth (6 Hz) removes most of it
    # and a further low-pass at 4 Hz most of what it leaves at 5-8 Hz
    assert sum(v * v for v in rows["input"][6:-1]) > 0.4 * rows["input"][-1] ** 2
    assert sum(v * v for v in rows["butterworth"][6:-1]) < 0.5 * sum(v * v for v in rows["input"][6:-1])
    assert rows["butterworth@4"][6] < 0.6 * rows["butterworth"][6]
    assert rows["butterworth"][0] < rows["input"][0]  # MPJPE
    module = runpy.run_path(str(BENCHMARKS / "error_bands.py"))
    assert module["main"](["--split", "test", "--frames", "300", "--methods", "butterworth@20"]) == 2
    assert module["main"](["--split", "test", "--frames", "300", "--component", "drift"]) == 2  # not spiky's
    out = _run("error_bands.py", ["--split", "test", "--frames", "300", "--component", "white"], capsys)
    assert "spiky:white 1 %" in out and "--component white --split test" in out


def test_validation_robustness_on_every_clip_of_a_users_corpus_with_the_input_row(tmp_path, capsys):
    from synsp.data.corpus import load_corpus
    from synsp.data.custom import import_corpus

    clips = sorted(load_corpus(skeleton="h36m17", split="test", phases="first"), key=lambda c: c.clip_id)[:3]
    for i, c in enumerate(clips):
        np.save(tmp_path / f"take{i}.npy", c.positions[:150])
    import_corpus([tmp_path], tmp_path / "user.npz", skeleton="h36m17", fps=30.0)
    module = runpy.run_path(str(BENCHMARKS / "validation_robustness.py"))
    assert module["main"](["--split", "all", "--frames", "300", "--methods", "input,butterworth"]) == 2  # no corpus
    assert module["main"](["--corpus", str(tmp_path / "user.npz"), "--split", "all", "--frames", "1000", "--accel",
                           "--methods", "input,butterworth"]) == 0
    out = capsys.readouterr().out
    frames = sum(min(150, len(c.positions)) for c in clips)
    assert f"every clip, {frames} frames in 3 clips" in out  # all three files, whichever split each was given
    cells = [c.strip() for c in [line for line in out.splitlines() if line.startswith("| input")][0].split("|")[2:-1]]
    assert cells[:3] == ["0.00"] * 3 and all(c.endswith(" / 1.00x") and float(c.split()[0]) > 0 for c in cells[3:])


def test_rigid_stage_compares_the_stages_variants_on_one_network_output(capsys):
    module = runpy.run_path(str(BENCHMARKS / "rigid_stage.py"))
    assert module["main"](["--split", "test", "--frames", "400", "--variants", "none,inf:nocut,1.5"]) == 0
    out = capsys.readouterr().out
    assert "reproduce: python benchmarks/rigid_stage.py --split test --representation 3d" in out
    table = {line.split("|")[1].strip(): [float(c) for c in line.split("|")[2:-1]]
             for line in out.splitlines() if line.startswith("| ") and not line.startswith("| stage")}
    assert list(table) == ["input", "none", "inf:nocut", "1.5"]
    assert table["input"][:3] == [0.0, 0.0, 0.0] and table["input"][3] < table["input"][4]
    for name in ("none", "inf:nocut", "1.5"):  # the network lowers the shake, with or without the stage
        assert table[name][3] < table["input"][3] and table[name][4] < table["input"][4]
    assert table["inf:nocut"][4] < table["none"][4]  # the stage removes more of a 3 % shake
    with pytest.raises(SystemExit):
        module["main"](["--variants", "fast"])


def test_root_stage_compares_caps_on_one_rotation_network_output(capsys):
    module = runpy.run_path(str(BENCHMARKS / "root_stage.py"))
    assert module["main"](["--split", "test", "--frames", "300", "--variants", "none,inf,2"]) == 0
    out = capsys.readouterr().out
    assert "reproduce: python benchmarks/root_stage.py --split test --frames 300" in out
    rows = {line.split("|")[1].strip(): [tuple(float(v) for v in c.split(" / ")) for c in line.split("|")[2:-1]]
            for line in out.splitlines() if line.startswith("| ") and not line.startswith("| condition")}
    assert list(rows) == ["clean", "clean 2x speed", "clean 3x speed", "rigid-shake 2.5 deg", "rigid-shake 7.5 deg"]
    none, uncapped, capped = rows["rigid-shake 7.5 deg"]
    assert uncapped[1] < none[1] and capped[1] < none[1]  # the stage removes part of the root's own jitter
    assert all(0 <= v[0] < 0.5 for v in rows["clean"])


def test_cuts_benchmark_finds_the_joins_and_refining_each_side_alone_removes_the_spread(capsys):
    out = _run("cuts.py", ["--pairs", "3", "--seconds", "2", "--methods", "butterworth", "--frames", "3000"], capsys)
    assert "command: python benchmarks/cuts.py --pairs 3 --seconds 2" in out
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in out.splitlines() if line.startswith("| ") and not line.startswith("| cut")}
    assert rows["elsewhere"][1] == "3/3"
    near = [float(v) for v in rows["elsewhere"][2].split("/")[0].split("->")]
    assert near[1] < 0.2 * near[0]  # a cut to another place: smoothed over, then each side alone
    for name in ("clean 1x", "clean 3x", "spiky 3%", "mixed"):  # no cut where there is none
        assert rows[name] == ["0"]


def test_cuts_benchmark_on_a_bvh_take_that_starts_in_its_rest_pose(tmp_path, capsys):
    from scipy.spatial.transform import Rotation

    from synsp.io import Motion, write_bvh

    t = np.arange(150) / 60.0
    angles = np.stack([np.sin(2 * np.pi * f * t) * 20 for f in (0.5, 0.7, 0.9)], axis=-1)
    angles[:, 0] += 150.0  # the take turned round from its rest pose, which is its first frame
    angles[0] = 0.0
    rots = np.repeat(Rotation.from_euler("ZYX", angles, degrees=True).as_matrix()[:, None], 4, axis=1)
    root = np.stack([t * 10, np.full(150, 90.0), np.zeros(150)], axis=-1)
    offsets = np.array([[0, 90, 0], [0, 20, 0], [20, 0, 0], [0, -40, 0]], float)
    write_bvh(Motion(["hips", "spine", "arm", "leg"], [-1, 0, 1, 0], offsets, rots, root, fps=60, units="cm"),
              tmp_path / "a.bvh")
    out = _run("cuts.py", ["--bvh", str(tmp_path / "a.bvh"), "--max-frames", "150"], capsys)
    assert "command: python benchmarks/cuts.py --bvh" in out
    for kind in ("rotations (degrees)", "positions (mm)"):
        row = [c.strip() for c in out.split(f"| {kind} |")[1].splitlines()[0].split("|")[:-1]]
        assert row[0] == "1 of 1"
        first = [float(v) for v in row[1].split("->")]
        assert first[1] < first[0]  # the rest pose is not spread over the take's first frames
