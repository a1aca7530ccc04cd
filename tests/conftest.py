"""Shared set-up for every test."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks and small arrays run fastest, and steadiest on a busy machine, on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def clean_skeleton_registry():
    """Custom skeletons registered by a test do not leak into other tests (``pytestmark`` of the modules that
    register them)."""
    from synsp.skeletons import SKELETONS

    before = dict(SKELETONS)
    yield
    SKELETONS.clear()
    SKELETONS.update(before)
