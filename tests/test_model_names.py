"""A shipped model's name that a local model also has (a checkpoint pair or a run folder of `synsp train` in the
working folder) is refused instead of loading the shipped weights in silence; `./NAME` is the local model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from synsp.cli import main
from synsp.models.checkpoint import ModelCard, save_model
from synsp.models.synsp import SynSP, SynSPConfig
from synsp.refiners import get_refiner, shipped_models
from synsp.validation import SynspInputError

NAME = "synsp-universal-w16"


def save_mine(stem: Path) -> Path:
    """A tiny 3D Human3.6M-17 model, card name "mine" (a fine-tune saved under the shipped name)."""
    config = SynSPConfig(window=8, channels=18 * 3, mask_channels=18, input_residual=True, d_model=16, d_inner=16,
                         n_layers=1, n_head=2, d_k=8, d_v=8)
    model = SynSP(config)
    for p in model.refinement_head.parameters():
        torch.nn.init.zeros_(p)
    card = ModelCard(name="mine", architecture="synsp", config=config.to_dict(), skeleton="h36m17", dims=3, window=8,
                     mask=True)
    return save_model(stem, model, card)


@pytest.mark.parametrize("where", ["pair", "run folder"])
def test_a_shipped_name_that_is_also_a_local_model_is_refused(tmp_path, monkeypatch, where):
    """`get_refiner("synsp-universal-w16")` loaded the shipped weights beside ./synsp-universal-w16.json (or the run
    folder ./synsp-universal-w16/best.*) without a word."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / NAME).mkdir()  # a folder of that name that holds no model: not a model
    (tmp_path / NAME / "notes.txt").write_text("not a model")
    assert get_refiner(NAME).name == NAME  # the shipped model, as before
    save_mine(tmp_path / NAME if where == "pair" else tmp_path / NAME / "best")
    with pytest.raises(SynspInputError) as err:
        get_refiner(NAME)
    said = str(err.value)
    assert "names both a shipped model" in said and str(tmp_path) in said, said
    assert f"./{NAME}" in said and str(shipped_models()[NAME]) in said, said  # how to name either
    for spelled in (f"./{NAME}", str(tmp_path / NAME), Path(NAME)):  # a path, spelled as one: the local model
        assert get_refiner(spelled).name == "mine", spelled
    assert get_refiner(shipped_models()[NAME]).name == NAME  # the shipped checkpoint's path: the shipped model


def test_the_cli_refuses_the_name_and_keeps_the_default_and_the_path(tmp_path, monkeypatch, capsys):
    """`synsp refine --model synsp-universal-w16` used the shipped model beside a local one of that name; the default
    (no --model) is the shipped model whatever the working folder holds."""
    monkeypatch.chdir(tmp_path)
    save_mine(tmp_path / NAME)
    np.save("walk.npy", np.cumsum(np.random.default_rng(0).normal(scale=0.01, size=(40, 17, 3)), axis=0))
    assert main(["refine", "walk.npy", "-o", "a.npy", "--model", NAME]) == 2
    err = capsys.readouterr().err
    assert f"model '{NAME}' names both a shipped model" in err and "Traceback" not in err, err
    assert not Path("a.npy").exists()
    assert main(["refine", "walk.npy", "-o", "b.npy", "--model", f"./{NAME}"]) == 0
    assert "with mine" in capsys.readouterr().out
    assert main(["refine", "walk.npy", "-o", "c.npy"]) == 0
    assert f"with {NAME}" in capsys.readouterr().out


def test_defaults_synsp_picks_itself_are_the_shipped_models_beside_local_ones_of_their_names(tmp_path, monkeypatch):
    """The review of the change: synsp.Stream(), synsp.refine without a model and the rotations' default were refused
    (or said "cannot refine rotations") beside local models named like the defaults; they load the shipped ones."""
    import synsp
    from synsp.rotations import DEFAULT_ROTATION_MODEL, rotation_filter
    from synsp.stream import DEFAULT_STREAM_MODEL

    monkeypatch.chdir(tmp_path)
    for name in (NAME, DEFAULT_STREAM_MODEL, DEFAULT_ROTATION_MODEL):
        save_mine(tmp_path / name / "best")
    assert synsp.Stream().refiner.card.name == DEFAULT_STREAM_MODEL
    assert rotation_filter(None, 24).name == DEFAULT_ROTATION_MODEL
    x = np.cumsum(np.random.default_rng(0).normal(scale=0.01, size=(40, 17, 3)), axis=0)
    assert synsp.refine(x).shape == x.shape
    with pytest.raises(SynspInputError, match="names both a shipped model"):  # named by the user: refused
        rotation_filter(DEFAULT_ROTATION_MODEL, 24)
