"""ONNX export matches PyTorch on random input."""

import numpy as np
import pytest
import torch

from synsp.models.checkpoint import ModelCard
from synsp.models.smoothnet import SmoothNet, SmoothNetConfig
from synsp.models.synsp import SynSP, SynSPConfig

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.mark.parametrize("mask", [True, False])
def test_synsp_onnx_parity(tmp_path, mask):
    from synsp.models.export import export_onnx

    config = SynSPConfig(channels=54, mask_channels=18 if mask else 0, d_model=32, d_inner=32, n_layers=2,
                         n_head=2, d_k=16, d_v=16, input_residual=True)
    model = SynSP(config).eval()
    card = ModelCard(name="t", architecture="synsp", config=config.to_dict(), skeleton="h36m17", dims=3,
                     window=8, mask=mask)
    path = export_onnx(model, card, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(size=(7, 8, 54)).astype(np.float32)  # another batch size than traced
    feeds = {"x": x}
    m = None
    if mask:
        m = (np.random.default_rng(1).random((7, 8, 18)) < 0.2).astype(np.float32)
        feeds["mask"] = m
    got = session.run(None, feeds)[0]
    with torch.no_grad():
        want = model(torch.from_numpy(x), mask=None if m is None else torch.from_numpy(m)).final.numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert not (tmp_path / "m.onnx.partial").exists()


def test_smoothnet_onnx_parity(tmp_path):
    from synsp.models.export import export_onnx

    config = SmoothNetConfig(window=8, channels=54, hidden=64, res_hidden=32, num_blocks=1)
    model = SmoothNet(config).eval()
    card = ModelCard(name="s", architecture="smoothnet", config=vars(config), skeleton="h36m17", dims=3, window=8)
    session = ort.InferenceSession(str(export_onnx(model, card, tmp_path / "s.onnx")),
                                   providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).normal(size=(3, 8, 54)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(session.run(None, {"x": x})[0], model(torch.from_numpy(x)).numpy(), atol=1e-5)
