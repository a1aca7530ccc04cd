"""The readers and the numeric core load without torch (issue 16): synsp.geometry imports torch in the
functions that run, so the file readers, skeletons, normalisation and identity repair do not pay for it."""

from __future__ import annotations

import subprocess
import sys

import pytest

TORCH_FREE = [
    "synsp.io",
    "synsp.io.bvh, synsp.io.smoothnet, synsp.io.smpl, synsp.io.keypoints_json",
    "synsp.geometry, synsp.skeletons",
    "synsp.normalization",
    "synsp.identity",
]


@pytest.mark.parametrize("modules", TORCH_FREE)
def test_importing_does_not_load_torch(modules):
    code = f"import sys; import {modules}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False", f"importing {modules} loads torch"


def test_geometry_still_runs_on_numpy_and_torch():
    code = (
        "import sys, numpy as np; from synsp.geometry import axis_angle_to_matrix; "
        "r = axis_angle_to_matrix(np.zeros(3)); import torch; "
        "t = axis_angle_to_matrix(torch.zeros(3)); "
        "print(type(r).__name__, type(t).__name__, bool(np.allclose(r, np.eye(3))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ndarray Tensor True"
