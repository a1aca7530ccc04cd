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


def test_a_refused_card_leaves_no_custom_skeleton_registered(tmp_path):
    # a card refused after its skeleton_definition was read (here: a negative d_model) registered that skeleton
    # for the whole process, so a valid model of the same name was refused afterwards
    import json
    import shutil

    from synsp.models.checkpoint import load_model
    from synsp.refiners import WEIGHTS_DIR
    from synsp.skeletons import SKELETONS, get_skeleton
    from synsp.validation import SynspInputError

    card = json.loads((WEIGHTS_DIR / "synsp-h36m17-3d-w8.json").read_text())
    definition = get_skeleton("h36m17").to_dict()
    definition["name"] = card["skeleton"] = "refused_rig"
    definition["parents"] = [-1] * 17
    card["skeleton_definition"] = definition
    card["config"]["d_model"] = -1
    (tmp_path / "bad.json").write_text(json.dumps(card))
    shutil.copy(WEIGHTS_DIR / "synsp-h36m17-3d-w8.safetensors", tmp_path / "bad.safetensors")
    with pytest.raises(SynspInputError, match="d_model"):
        load_model(tmp_path / "bad")
    assert "refused_rig" not in SKELETONS
