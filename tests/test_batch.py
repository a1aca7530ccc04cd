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


def test_a_job_that_would_overwrite_another_jobs_input_is_refused_before_any_work(capsys, tmp_path):
    """`synsp refine src out/src/joints.npy -o out`: src/joints.npy's output is out/src/joints.npy, the user's other
    input; it was overwritten, then refined again (exit 0).  Refused up front, naming both, writing nothing."""
    np.save(tmp_path / "walk.npy", walk())
    (tmp_path / "src").mkdir()
    np.save(tmp_path / "src" / "joints.npy", walk())
    (tmp_path / "out" / "src").mkdir(parents=True)
    theirs = tmp_path / "out" / "src" / "joints.npy"
    np.save(theirs, walk(seed=3) + 5)
    kept = theirs.read_bytes()
    code, stdout, err = run(capsys, "refine", tmp_path / "src", theirs, "-o", tmp_path / "out", "--model", "savgol",
                            "--workers", "1")
    assert code == 2, err
    assert f"{tmp_path / 'src' / 'joints.npy'} would be written to {theirs}, over the input {theirs}" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert theirs.read_bytes() == kept and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["src"]
    # a hard link to an input is that input too
    (tmp_path / "o2").mkdir()
    import os

    os.link(tmp_path / "walk.npy", tmp_path / "o2" / "joints.npy")
    with pytest.raises(Exception, match="over the input"):
        find_jobs([tmp_path / "src" / "joints.npy", tmp_path / "walk.npy"], tmp_path / "o2")


def test_an_output_folder_above_an_input_folder_is_refused_up_front(capsys, tmp_path, monkeypatch):
    """Finding 12: `-o .` with the input `sub/` (and `k.npy`) beside it wrote every output over its input; it
    failed per file (exit 1).  Refused before any work (exit 2), as find_jobs' docstring says."""
    (tmp_path / "sub").mkdir()
    np.save(tmp_path / "sub" / "j.npy", walk())
    np.save(tmp_path / "k.npy", walk(seed=1))
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(capsys, "refine", "sub", "k.npy", "-o", ".", "--model", "savgol", "--workers", "1")
    assert code == 2, err
    assert "would be written over itself" in err and "the output folder . holds the inputs" in err
    assert "| file |" not in stdout and "Traceback" not in err


def test_an_openpose_folder_written_over_an_input_is_refused(tmp_path):
    """A job whose output is a folder (an OpenPose folder) that holds an input of the batch."""
    src = folder_of_files(tmp_path / "in")
    (src / "short.npy").unlink()
    target = tmp_path / "out" / "in" / "b" / "openpose"  # where in/b/openpose is written with several inputs
    target.mkdir(parents=True)
    np.save(target / "mine.npy", walk(seed=7))
    from synsp.validation import SynspInputError

    with pytest.raises(SynspInputError, match=r"would be written to the folder .*openpose, which holds the input "
                                              r".*mine\.npy"):
        find_jobs([src, target / "mine.npy"], tmp_path / "out")


@pytest.mark.parametrize("option, said", [
    (["--model", "nosuchmodel"], "unknown refiner 'nosuchmodel'"),
    (["--skeleton", "nosuch"], "unknown skeleton 'nosuch'"),
    (["--key", "nosuch"], "--key nosuch only applies to .npz files (and 2 more of the 3 inputs)"),
    (["--num-keypoints", "17"], "num_keypoints (--num-keypoints) says how many keypoints a YOLO labels folder"),
])
def test_an_option_mistake_in_a_batch_is_one_error_before_any_file(capsys, tmp_path, option, said):
    """Each file failed with the same mistake (exit 1) and an empty output folder was made."""
    (tmp_path / "in").mkdir()
    np.save(tmp_path / "in" / "a.npy", walk())
    np.save(tmp_path / "in" / "b.npy", walk(seed=1))
    np.savez(tmp_path / "in" / "c.npz", keypoints=walk(seed=2))
    code, stdout, err = run(capsys, "refine", tmp_path / "in", "-o", tmp_path / "out", "--workers", "1", *option)
    assert code == 2, err
    assert said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists() and "| file |" not in stdout


def test_a_key_that_fits_every_npz_passes_and_one_missing_is_refused(capsys, tmp_path):
    (tmp_path / "in").mkdir()
    np.savez(tmp_path / "in" / "a.npz", kp=walk(), other=np.zeros(3))
    np.savez(tmp_path / "in" / "b.npz", kp=walk(seed=1), other=np.zeros(3))
    jobs, _ = find_jobs([tmp_path / "in"], tmp_path / "out", {"key": "kp"})
    assert len(jobs) == 2
    from synsp.validation import SynspInputError

    with pytest.raises(SynspInputError, match=r"a\.npz: has no array 'nosuch'; its keys are \['kp', 'other'\]"):
        find_jobs([tmp_path / "in"], tmp_path / "out", {"key": "nosuch"})


def test_a_named_file_that_is_not_a_pose_file_is_an_error_and_found_ones_are_named(capsys, tmp_path):
    """`synsp refine joints.npy empty.json obj.json -o out` skipped the two named files silently (exit 0)."""
    np.save(tmp_path / "joints.npy", walk())
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "obj.json").write_text("{}")
    code, stdout, err = run(capsys, "refine", tmp_path / "joints.npy", tmp_path / "empty.json", tmp_path / "obj.json",
                            "-o", tmp_path / "out", "--model", "savgol", "--workers", "1")
    assert code == 2, err
    assert f"{tmp_path / 'empty.json'}: the file is empty" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    code, stdout, err = run(capsys, "refine", tmp_path / "joints.npy", tmp_path / "obj.json", "-o", tmp_path / "out",
                            "--model", "savgol", "--workers", "1")
    assert code == 2 and f"{tmp_path / 'obj.json'}: " in err, err
    # found by searching a folder: skipped, and named (a few, then a count)
    (tmp_path / "in").mkdir()
    np.save(tmp_path / "in" / "joints.npy", walk())
    for name in ("a.txt", "b.txt", "c.txt", "d.txt", "empty.json"):
        (tmp_path / "in" / name).write_text("")
    code, stdout, err = run(capsys, "refine", tmp_path / "in", "-o", tmp_path / "out", "--model", "savgol",
                            "--workers", "1")
    assert code == 0, err
    assert f"5 file(s) skipped (not pose files: {tmp_path / 'in' / 'a.txt'}, " in stdout
    assert f"{tmp_path / 'in' / 'c.txt'} and 2 more)" in stdout


def test_an_output_folder_named_like_a_pose_file_is_refused(capsys, tmp_path):
    """`synsp refine a.npy b.trc -o refined.npy` made a folder named refined.npy."""
    np.save(tmp_path / "a.npy", walk())
    np.save(tmp_path / "b.npy", walk(seed=1))
    code, stdout, err = run(capsys, "refine", tmp_path / "a.npy", tmp_path / "b.npy", "-o", tmp_path / "refined.npy",
                            "--model", "savgol", "--workers", "1")
    assert code == 2 and "ends in .npy like a pose file; give a folder name without a file suffix" in err, err
    assert not (tmp_path / "refined.npy").exists()


def test_a_keyboard_interrupt_in_a_worker_is_no_failure_of_its_file(monkeypatch):
    """A Ctrl-C reaching a worker stops its file (reported as interrupted, not failed) and every file after it."""
    from synsp import batch

    def interrupted(job):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "refine_file", interrupted)
    job = {"input": "a.npy", "output": "out/a.npy", "options": {}}
    result = batch._refine_in_worker(job)
    assert result["interrupted"] and result["error"] == batch.INTERRUPTED and not result["ok"]
    monkeypatch.setattr(batch, "_STOPPING", True)
    monkeypatch.setattr(batch, "refine_file", lambda job: pytest.fail("a file started after the interrupt"))
    assert batch._refine_in_worker(job)["interrupted"]


def test_ctrl_c_stops_a_batch_of_workers_at_once(tmp_path):
    """Ctrl-C (SIGINT to this process only) once the first file is written: the running file stops without writing,
    the queued ones never start, the workers end, and KeyboardInterrupt comes back (the CLI: 'aborted', exit 130).
    Before, leaving the pool waited for every queued file: all were written, 30 s later."""
    import os
    import signal
    import threading
    import time

    src = tmp_path / "in"
    src.mkdir()
    np.save(src / "a.npy", walk())  # done at once
    for k in range(5):
        np.save(src / f"b{k}.npy", walk(frames=200_000, seed=k))  # seconds each
    jobs, _ = find_jobs([src], tmp_path / "out", {"model": "kalman-rts"})
    first = tmp_path / "out" / "a.npy"
    sent: list[float] = []

    def interrupt_once_the_first_file_is_written() -> None:
        end = time.monotonic() + 60
        while not first.exists() and time.monotonic() < end:
            time.sleep(0.01)
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=interrupt_once_the_first_file_is_written, daemon=True)
    # Python's own Ctrl-C handler, also where the test run inherited "ignore SIGINT" (a shell's background job)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    watcher.start()
    raised = False
    try:
        refine_files(jobs, workers=2, threads=1, progress=False)
    except KeyboardInterrupt:
        raised = True
    else:  # (it came too late, or was not raised again: caught here, not by pytest)
        try:
            watcher.join()
            time.sleep(1)
        except KeyboardInterrupt:
            pass
    finally:
        signal.signal(signal.SIGINT, before)
    stopped = time.monotonic() - sent[0]
    watcher.join()
    assert raised
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["a.npy"], written  # no temporary file left either
    assert stopped < 5, stopped
