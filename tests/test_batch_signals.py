"""`refine_files(..., workers=2)` leaves this process as it found it: SIGINT's handler and mask, the fork server's
preload list, and no fork server with SIGINT blocked for the later forkserver processes of the program."""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.forkserver
import signal
from concurrent.futures import ProcessPoolExecutor

import pytest

from synsp import batch
from synsp.batch import Job, refine_files

pytestmark = pytest.mark.skipif("forkserver" not in mp.get_all_start_methods(), reason="no forkserver here")


def test_later_forkserver_processes_get_sigint_after_a_batch_of_workers(monkeypatch):
    """After a batch of two workers, a later forkserver pool of the same process had SIGINT blocked in every worker
    (the fork server, started with SIGINT blocked, passes its mask on): Ctrl-C never reached them."""
    # the pool's set-up and work stood in for by built-ins (max(threads, ignored), dict(job): the job back as its
    # result), and only pytest's __main__ preloaded: the fork server and the workers start fast, importing no synsp
    monkeypatch.setattr(batch, "_init_pool_worker", max)
    monkeypatch.setattr(batch, "_refine_in_worker", dict)
    monkeypatch.setattr(batch, "_FORKSERVER_PRELOAD", ["__main__"], raising=False)
    server = multiprocessing.forkserver._forkserver
    running, preload = server._forkserver_pid, list(server._preload_modules)
    handler, mask = signal.getsignal(signal.SIGINT), signal.pthread_sigmask(signal.SIG_BLOCK, [])
    results = refine_files([Job(f"in{k}.npy", f"out{k}.npy") for k in range(2)], workers=2, progress=False)
    assert [r["input"] for r in results] == ["in0.npy", "in1.npy"]
    assert signal.getsignal(signal.SIGINT) is handler and signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask
    try:
        with ProcessPoolExecutor(1, mp_context=mp.get_context("forkserver")) as later:
            blocked = later.submit(signal.pthread_sigmask, signal.SIG_BLOCK, []).result()
        assert signal.SIGINT not in blocked
        assert server._preload_modules == preload
    finally:
        if running is None:  # the fork server started here is not left to the tests after this one
            server._stop()
