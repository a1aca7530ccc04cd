"""synsp reproduces the official SynSP forward pass (fixture made once with the official code)."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from synsp.models.official import convert_official_state_dict, load_official_checkpoint
from synsp.validation import SynspInputError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "official_synsp"


@pytest.fixture(scope="module")
def model():
    return load_official_checkpoint(FIXTURE / "state_dict.safetensors", window=8, n_head=2)


def test_only_the_documented_unused_official_entries_are_dropped():
    import re

    state = load_file(str(FIXTURE / "state_dict.safetensors"))
    converted = convert_official_state_dict(state)
    assert len(converted) < len(state)
    unused = re.compile(
        r"^proj_i_[p2]\.|position_embeddings|position_enc|^\w+\.layer_norm\.|"
        r"^decoder(_2)?\.layer_stack\.\d+\.slf_attn\."
    )
    kept = [k for k in state if not unused.search(k)]
    assert len(kept) == len(converted)
    assert any("encoder_local.layer_stack.0.slf_attn" in k for k in kept), "encoder self-attention is used"


@pytest.mark.parametrize("rank", ["single", "multi"])
def test_reproduces_official_outputs(model, rank):
    io = load_file(str(FIXTURE / "io.safetensors"))
    with torch.no_grad():
        out = model(io[f"x_{rank}"])
    for name, got in zip(("position_branch", "acceleration_branch", "final"), out):
        torch.testing.assert_close(got, io[f"{rank}_{name}"], atol=1e-5, rtol=1e-5)


def test_pickled_checkpoints_need_trust(tmp_path):
    path = tmp_path / "9_checkpoint.pth.tar"
    torch.save({"state_dict": load_file(str(FIXTURE / "state_dict.safetensors"))}, path)
    with pytest.raises(SynspInputError, match="trust_pickle"):
        load_official_checkpoint(path)
    model = load_official_checkpoint(path, n_head=2, trust_pickle=True)
    io = load_file(str(FIXTURE / "io.safetensors"))
    with torch.no_grad():
        torch.testing.assert_close(model(io["x_single"]).final, io["single_final"], atol=1e-5, rtol=1e-5)
