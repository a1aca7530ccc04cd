"""SIGTERM (``kill``, ``Popen.terminate``, a supervisor) stops ``synsp refine`` as Ctrl-C does: before, a batch's
workers went on refining and writing its files after the command had died, and held its pipes open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_sigterm_stops_a_batch_and_its_workers(tmp_path):
    rng = np.random.default_rng(0)
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    walk = np.cumsum(rng.normal(size=(3000, 17, 3)), axis=0) + 1000.0
    for k in range(8):
        np.save(src / f"take{k}.npy", walk + k)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "synsp", "refine", str(src), "-o", str(out), "--workers", "2",
                             "--model", "butterworth"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env=env)
    try:
        deadline = time.time() + 120
        while not (out.is_dir() and any(p.suffix == ".npy" for p in out.iterdir())) and proc.poll() is None:
            assert time.time() < deadline, "no output within 120 s"
            time.sleep(0.05)
        if proc.poll() is not None:
            pytest.skip("the batch finished before it could be stopped")
        proc.terminate()
        err = proc.communicate(timeout=60)[1].decode()  # returns: nothing holds the pipe open any more
        assert proc.returncode == 130 and "aborted" in err
        written = sorted(p.name for p in out.iterdir())
        time.sleep(2)
        assert sorted(p.name for p in out.iterdir()) == written  # nothing written after the command ended
        assert len(written) < 8 and not [n for n in written if n.startswith(".synsp")]
        alive = subprocess.run(["ps", "-o", "pid=", "-s", str(proc.pid)], capture_output=True, text=True).stdout
        assert not alive.split(), f"processes of the batch still running: {alive.split()}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_sigterm_where_python_handles_no_sigint_interrupts_at_once():
    """A script's background job starts with SIGINT ignored: SIGTERM sent on as SIGINT would be dropped."""
    from synsp.cli import _terminate_as_interrupt

    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with pytest.raises(KeyboardInterrupt):
            _terminate_as_interrupt(signal.SIGTERM, None)
    finally:
        signal.signal(signal.SIGINT, old)
