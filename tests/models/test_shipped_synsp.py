"""The shipped SynSP models give the outputs they gave when shipped, and checkpoints with the tensor names of
earlier versions (every shipped file) keep loading.  Fixture: ``tests/fixtures/shipped_synsp`` (its README says
how and with which version it was made)."""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

import synsp.models.synsp as synsp_module
from synsp.models.checkpoint import check_state_dict, load_model, save_model
from synsp.models.synsp import SynSP, SynSPConfig, upgrade_state_dict
from synsp.refiners import get_refiner
from synsp.validation import SynspInputError

FIXTURE = load_file(str(Path(__file__).resolve().parents[1] / "fixtures" / "shipped_synsp" / "outputs.safetensors"))
WEIGHTS = Path(synsp_module.__file__).resolve().parents[1] / "weights"
#: the shipped models of the SynSP architecture (synsp-universal-w8 is its own architecture, tests/models/test_universal.py)
SHIPPED = sorted(p.stem for p in WEIGHTS.glob("synsp-*.json") if json.loads(p.read_text())["architecture"] == "synsp")
IN_FIXTURE = sorted({k.split("/")[0] for k in FIXTURE if k.startswith("synsp-")})


def test_the_fixture_covers_every_shipped_synsp_model():
    assert IN_FIXTURE == SHIPPED and len(SHIPPED) == 7


@pytest.mark.parametrize("name", IN_FIXTURE)
def test_shipped_networks_give_their_stored_outputs(name):
    model, card = load_model(WEIGHTS / name)
    with torch.no_grad():
        out = model(FIXTURE[f"{name}/x"], mask=FIXTURE[f"{name}/mask"])
    for output in ("position", "acceleration", "final"):
        want = FIXTURE[f"{name}/{output}"]
        assert want.abs().max() > 0.1  # a real output, not a zero placeholder
        torch.testing.assert_close(getattr(out, output), want, atol=1e-5, rtol=1e-5, msg=f"{name} {output}")


def test_the_refiner_path_gives_the_stored_clip():
    clip = FIXTURE["refined/input"].numpy()
    refined = np.asarray(get_refiner("synsp-h36m17-3d-w8")(clip))
    want = FIXTURE["refined/synsp-h36m17-3d-w8"].numpy()
    assert np.abs(want - clip).max() > 1e-3  # the model changed the clip: the comparison is not trivial
    np.testing.assert_allclose(refined, want, atol=1e-6, rtol=0)


def test_a_seeded_network_starts_where_earlier_versions_did():
    """Layers are built, and Xavier-initialised, in the order of earlier versions: the same seed gives the same
    weights (so a seeded training run is the same run)."""
    torch.manual_seed(3)
    tiny = SynSP(SynSPConfig(channels=6, mask_channels=2, d_model=8, d_inner=8, n_layers=1, n_head=1, d_k=4, d_v=4,
                             input_residual=True, frequency_output=True, query_positions=True, spectral_skip=True,
                             refine_branches=True, zero_heads=True))
    old = upgrade_state_dict({k[len("init/"):]: v for k, v in FIXTURE.items() if k.startswith("init/")})
    new = tiny.state_dict()
    assert sorted(old) == sorted(new)
    for key, value in new.items():
        assert torch.equal(value, old[key]), key


def test_shipped_files_keep_the_earlier_tensor_names_and_load_under_the_new_ones(tmp_path):
    stem = WEIGHTS / "synsp-h36m17-3d-w8"
    with safe_open(str(stem.with_suffix(".safetensors")), framework="pt") as f:
        stored = list(f.keys())
    assert "refinement_head.1.weight" in stored and "position_last.ffn.w_1.weight" in stored
    model, card = load_model(stem)
    names = set(model.state_dict())
    assert "refinement.head.1.weight" in names and "position_branch.last.ffn.w_1.weight" in names
    assert sorted(upgrade_state_dict(dict.fromkeys(stored))) == sorted(names)
    # the values are the stored ones, under their new names
    raw = load_file(str(stem.with_suffix(".safetensors")))
    assert torch.equal(model.refinement.head[1].weight, raw["refinement_head.1.weight"])
    assert torch.equal(model.position_branch.last.ffn.w_1.weight, raw["position_last.ffn.w_1.weight"])
    # load_state_dict takes the earlier names too
    fresh = SynSP(SynSPConfig(**card.config)).eval()
    fresh.load_state_dict(raw, strict=True)
    x = FIXTURE["synsp-h36m17-3d-w8/x"]
    with torch.no_grad():
        torch.testing.assert_close(fresh(x, mask=FIXTURE["synsp-h36m17-3d-w8/mask"]).final,
                                   FIXTURE["synsp-h36m17-3d-w8/final"], atol=1e-5, rtol=1e-5)
    # a checkpoint saved now has the new names and loads back to the same network
    saved = save_model(tmp_path / "again", model, card)
    with safe_open(str(saved.with_suffix(".safetensors")), framework="pt") as f:
        assert sorted(f.keys()) == sorted(names)
    again, _ = load_model(saved)
    with torch.no_grad():
        assert torch.equal(again(x, mask=FIXTURE["synsp-h36m17-3d-w8/mask"]).final,
                           model(x, mask=FIXTURE["synsp-h36m17-3d-w8/mask"]).final)


def test_a_training_state_with_earlier_names_is_refused_with_the_way_out():
    """Resuming one would load the weights but not the optimiser (its tensors are in another order): the check
    refuses it and names --init."""
    model, _ = load_model(WEIGHTS / "synsp-h36m17-3d-w8")
    legacy = load_file(str((WEIGHTS / "synsp-h36m17-3d-w8").with_suffix(".safetensors")))
    with pytest.raises(SynspInputError, match="earlier synsp version.*--init"):
        check_state_dict(legacy, model, "last.pt", what="its model weights")
    check_state_dict(model.state_dict(), model, "last.pt")  # the current names pass


def _documented_switches() -> dict[str, str]:
    """The module docstring's switch list: ``{switch: its paragraph}``."""
    items = re.split(r"\n\* ", synsp_module.__doc__.split("Every switch of")[1].split("Checkpoints written")[0])[1:]
    out = {}
    for item in items:
        for name in re.findall(r"``(\w+)``(?: \([^)]*\))?(?:,| and| --)", item.split(" -- ")[0] + " --"):
            out[name] = item
    return out


def test_the_module_docstring_lists_every_switch_with_the_shipped_models_that_use_it():
    """Each switch's paragraph ends with "Shipped: all", "none" or the shipped models whose card sets it away from
    ``SynSPConfig()``'s default; those lists are the cards' ``config``."""
    fields = {f.name: f for f in dataclasses.fields(SynSPConfig)}
    documented = _documented_switches()
    assert set(documented) == {n for n, f in fields.items() if f.type.startswith("bool")} | {"mask_channels"}
    cards = {name: json.loads((WEIGHTS / f"{name}.json").read_text())["config"] for name in SHIPPED}
    for switch, text in documented.items():
        default = fields[switch].default
        departing = sorted(n for n, config in cards.items() if bool(config.get(switch, default)) != bool(default))
        listed = " ".join(text.split("Shipped:")[1].split()).rstrip(".")
        listed = [] if listed == "none" else SHIPPED if listed == "all" else sorted(listed.split(", "))
        assert listed == departing, switch
