"""`synsp refine` picks its torch threads: --threads, else OMP_NUM_THREADS, else min(4, CPUs); idle threads sleep."""

import os

import numpy as np
import pytest
import torch

import synsp.cli
from synsp.cli import main


@pytest.fixture
def pose_npy(tmp_path):
    x = np.cumsum(np.random.default_rng(0).normal(scale=0.01, size=(30, 17, 3)), axis=0)
    np.save(tmp_path / "in.npy", x)
    return str(tmp_path / "in.npy"), str(tmp_path / "out.npy")


@pytest.fixture
def eight_cpus(monkeypatch):
    monkeypatch.setattr(synsp.cli, "_available_cpus", lambda: 8)
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")  # restored afterwards, whatever the test sets
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_refine_defaults_to_at_most_four_threads(pose_npy, eight_cpus, capsys):
    src, dst = pose_npy
    torch.set_num_threads(1)
    assert main(["refine", src, "-o", dst]) == 0, capsys.readouterr().err
    assert torch.get_num_threads() == 4


def test_refine_threads_option_wins_and_omp_num_threads_is_left_to_torch(pose_npy, eight_cpus, monkeypatch, capsys):
    src, dst = pose_npy
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    torch.set_num_threads(1)
    assert main(["refine", src, "-o", dst]) == 0, capsys.readouterr().err
    assert torch.get_num_threads() == 1  # torch read OMP_NUM_THREADS when it was loaded: not changed here
    assert main(["refine", src, "-o", dst, "--threads", "2"]) == 0
    assert torch.get_num_threads() == 2
    assert main(["refine", src, "-o", dst, "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err


def test_idle_openmp_threads_sleep_unless_the_user_says_otherwise(pose_npy, eight_cpus, monkeypatch):
    src, dst = pose_npy
    monkeypatch.delenv("OMP_WAIT_POLICY")
    assert main(["refine", src, "-o", dst, "--threads", "1"]) == 0
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert main(["refine", src, "-o", dst, "--threads", "1"]) == 0
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_each_worker_takes_omp_num_threads_when_set_else_one(monkeypatch):
    from synsp.batch import worker_threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert worker_threads(4) == 1 and worker_threads(4, threads=3) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert worker_threads(4) == 2 and worker_threads(1) == 2 and worker_threads(4, threads=3) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "0")  # not a thread count: the default
    assert worker_threads(4) == 1
