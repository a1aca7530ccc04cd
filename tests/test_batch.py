"""Whole folders and many files: `synsp refine A B FOLDER -o OUT --workers N` and the per-file function
(synsp.batch) on a local pool of worker processes, as Ray or Dask would run it."""

import json
import runpy
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from synsp.batch import Job, find_jobs, refine_file, refine_files, summary_table
from synsp.cli import main

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def walk(frames=60, joints=17, dims=3, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(scale=0.01, size=(frames, joints, dims)), axis=0)


def folder_of_files(root: Path) -> Path:
    """npy (3D), TRC, an MMPose JSON without track ids (two people), an OpenPose folder, a text file
    (skipped) and a file that fails (too short) in sub-folders."""
    from synsp.io import write_trc

    (root / "a").mkdir(parents=True)
    (root / "b" / "deep").mkdir(parents=True)
    np.save(root / "a" / "joints.npy", walk().astype(np.float32))
    write_trc(root / "b" / "markers.trc", walk(joints=5) * 1000, marker_names=list("ABCDE"), fps=30.0, units="mm")
    people = []
    for f in range(40):
        inst = [{"keypoints": (walk(1, dims=2, seed=f)[0] * 10 + [100 + f, 100]).tolist()},
                {"keypoints": (walk(1, dims=2, seed=f + 99)[0] * 10 + [400 - f, 100]).tolist()}]
        people.append({"frame_id": f, "instances": inst[::-1] if f % 3 else inst})
    (root / "b" / "deep" / "two.json").write_text(json.dumps(people))
    op = root / "b" / "openpose"
    op.mkdir()
    for f in range(20):
        kp = np.concatenate([walk(1, 25, 2, seed=f)[0] * 5 + 200, np.full((25, 1), 0.9)], axis=1)
        (op / f"clip_{f:012d}_keypoints.json").write_text(json.dumps(
            {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": kp.ravel().tolist()}]}))
    (root / "notes.txt").write_text("not a pose file\n")
    np.save(root / "short.npy", walk(frames=3))  # shorter than any network needs: fails, the others go on
    return root


def test_a_folder_is_mirrored_with_a_table_and_failures_listed(capsys, tmp_path):
    src = folder_of_files(tmp_path / "in")
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "refine", src, "-o", out, "--workers", "1")
    assert code == 1  # one file failed, the others were written
    assert (out / "a" / "joints.npy").is_file() and (out / "b" / "markers.trc").is_file()
    assert (out / "b" / "deep" / "two.json").is_file() and (out / "b" / "openpose").is_dir()
    assert not (out / "short.npy").exists() and not (out / "notes.txt").exists()
    assert np.load(out / "a" / "joints.npy").dtype == np.float32
    table = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + 5  # header + one row per pose file
    assert "| failed: " in stdout and "4 of 5 file(s) refined" in stdout and "1 file(s) skipped" in stdout
    assert "1 of 5 file(s) failed" in err and f"{src / 'short.npy'}: " in err and "--model kalman-rts" in err
    # the two untracked people were followed (the default --assign-ids track)
    row = next(line for line in table if "two.json" in line)
    assert "| ok | 40 | 2 |" in row


def test_several_inputs_keep_their_names_and_two_workers_give_the_same_files(capsys, tmp_path):
    src = folder_of_files(tmp_path / "in")
    (src / "short.npy").unlink()
    np.save(tmp_path / "extra.npy", walk(seed=5))
    code, stdout, err = run(capsys, "refine", tmp_path / "extra.npy", src, "-o", tmp_path / "out2", "--workers", "2")
    assert code == 0, err
    assert (tmp_path / "out2" / "extra.npy").is_file() and (tmp_path / "out2" / "in" / "a" / "joints.npy").is_file()
    code, stdout, err = run(capsys, "refine", src, "-o", tmp_path / "out1", "--workers", "1")
    assert code == 0, err
    np.testing.assert_allclose(np.load(tmp_path / "out2" / "in" / "a" / "joints.npy"),
                               np.load(tmp_path / "out1" / "a" / "joints.npy"), atol=1e-6)


def test_single_file_use_is_unchanged(capsys, tmp_path):
    np.save(tmp_path / "in.npy", walk())
    code, stdout, err = run(capsys, "refine", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
    assert code == 0 and stdout.startswith("60 frames, 1 person(s), 0 joints filled; mean acceleration ")
    assert "| file |" not in stdout and (tmp_path / "out.npy").is_file()


def test_jobs_refuse_collisions_and_an_output_that_is_the_input(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    np.save(tmp_path / "x" / "p.npy", walk())
    np.save(tmp_path / "y" / "p.npy", walk())
    from synsp.validation import SynspInputError

    with pytest.raises(SynspInputError, match="would both be written to"):
        find_jobs([tmp_path / "x" / "p.npy", tmp_path / "y" / "p.npy"], tmp_path / "out")
    with pytest.raises(SynspInputError, match="the output folder is the input folder"):
        find_jobs([tmp_path / "x"], tmp_path / "x")
    (tmp_path / "z").mkdir()
    with pytest.raises(SynspInputError, match="no pose file"):
        find_jobs([tmp_path / "z"], tmp_path / "out")
    jobs, skipped = find_jobs([tmp_path / "x", tmp_path / "y"], tmp_path / "out", {"model": "savgol"})
    assert [Path(j.output).relative_to(tmp_path / "out").as_posix() for j in jobs] == ["x/p.npy", "y/p.npy"]
    assert jobs[0].options == {"model": "savgol"} and skipped == []


def test_the_per_file_function_runs_on_a_local_pool_of_worker_processes(tmp_path):
    """What the README's Ray / Dask recipe does, on concurrent.futures: plain picklable jobs in, dicts out."""
    src = folder_of_files(tmp_path / "in")
    jobs, _ = find_jobs([src], tmp_path / "out")
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(refine_file, jobs))
    assert [r["input"] for r in results] == [j.input for j in jobs]
    assert sum(r["ok"] for r in results) == 4 and not next(r for r in results if "short" in r["input"])["ok"]
    again = refine_files([Job(j.input, str(tmp_path / "again" / (Path(j.output).name + "x")), j.options)
                          for j in jobs[:1]], workers=1, progress=False)
    assert again[0]["ok"] is False and "cannot write" in again[0]["error"]  # a bad output: a result, not a raise
    assert "| failed: " in summary_table(results)


def test_many_files_benchmark_quick(capsys, tmp_path):
    module = runpy.run_path(str(BENCHMARKS / "many_files.py"))
    made = module["make_folder"](tmp_path / "in", 11)
    assert len(made) == 11 and len({p.suffix for p in made}) >= 4
    assert module["main"](["--files", "3", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "reproduce: python benchmarks/many_files.py --files 3 --workers 1" in out and "| 1 |" in out
