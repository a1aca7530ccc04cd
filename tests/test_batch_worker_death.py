"""A batch of several workers when a worker process dies (the OOM killer), and a batch into an output folder that
cannot be made or written into."""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle

import numpy as np
import pytest

from synsp.batch import Job, find_jobs, refine_files
from synsp.cli import main
from synsp.validation import SynspInputError

DIED = "the worker process died"


class _ExitOnLoad:
    """Pickled into a .pkl input: reading it (``trust_pickle``) ends the worker process at once, as SIGKILL does."""

    def __reduce__(self):
        return (os._exit, (137,))


def _jobs(folder, kinds: str) -> list[Job]:
    """A job per letter of ``kinds``: ``g`` a good 3D array file, ``x`` a .pkl whose reading kills its worker."""
    rng = np.random.default_rng(0)
    jobs = []
    for k, kind in enumerate(kinds):
        if kind == "x":
            path = folder / f"f{k:02d}.pkl"
            path.write_bytes(pickle.dumps(_ExitOnLoad()))
            options = {"model": "savgol", "trust_pickle": True}
            jobs.append(Job(str(path), str(folder / "out" / f"f{k:02d}.npz"), options))
        else:
            path = folder / f"f{k:02d}.npy"
            np.save(path, np.cumsum(rng.normal(size=(40, 17, 3)), axis=0) * 0.01)
            jobs.append(Job(str(path), str(folder / "out" / path.name), {"model": "savgol"}))
    return jobs


needs_forkserver = pytest.mark.skipif("forkserver" not in mp.get_all_start_methods(), reason="no forkserver here")


@needs_forkserver
def test_a_dead_worker_fails_only_the_files_its_pool_was_refining(tmp_path):
    """A worker killed in a batch of 2 workers failed every queued file too (0 of 8 refined): now only the files
    the pool was refining fail (the dead worker's, and the other worker's running one), the others are refined in a
    fresh pool."""
    results = refine_files(_jobs(tmp_path, "xggggggg"), workers=2, progress=False)
    assert not results[0]["ok"] and results[0]["error"].startswith(DIED)
    assert all(r["ok"] for r in results[2:]), [r["error"] for r in results]
    assert all(r["ok"] or r["error"].startswith(DIED) for r in results)


@needs_forkserver
def test_the_fresh_pool_is_made_once(tmp_path):
    """The files after the first death are refined in one fresh pool; when a worker dies there too, the files not
    started fail with the reason (no third pool)."""
    results = refine_files(_jobs(tmp_path, "xgggxgggggg"), workers=2, progress=False)
    assert not results[0]["ok"] and not results[4]["ok"]
    assert results[2]["ok"] or results[3]["ok"]  # refined by the fresh pool
    assert not results[-1]["ok"] and results[-1]["error"].startswith(DIED)  # not started: its pool died too
    assert all(r["ok"] or r["error"].startswith(DIED) for r in results)


def test_an_output_folder_under_a_file_is_refused_before_any_work(tmp_path):
    """``-o in/take.npy/refined`` (a file on the way) started the pool and failed each file ("Not a directory")."""
    jobs = _jobs(tmp_path, "gg")
    with pytest.raises(SynspInputError, match="the folder .*f00.npy does not exist .it is a file.; write elsewhere"):
        find_jobs([j.input for j in jobs], tmp_path / "f00.npy" / "refined")
    assert find_jobs([j.input for j in jobs], tmp_path / "new" / "refined")  # made later, when written
    assert not (tmp_path / "new").exists() and not list(tmp_path.glob(".synsp-*"))


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="no /proc here")
def test_an_output_folder_that_cannot_be_made_is_one_line_and_exit_2(tmp_path, capsys):
    """``-o /proc/refined``: one error per file and exit 1 before; now one line, exit 2, nothing refined."""
    inputs = [j.input for j in _jobs(tmp_path, "gg")]
    assert main(["refine", *inputs, "-o", "/proc/synsp-refined", "--workers", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("synsp: error: /proc/synsp-refined: the folder /proc is not writable") and "\n" not in err
