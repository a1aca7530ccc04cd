"""Training: a tiny model trains on the embedded corpus, selects on validation, resumes exactly."""

import csv
import json

import numpy as np
import pytest
import torch

from synsp.data.corpus import embedded_corpus_path
from synsp.models.checkpoint import load_model
from synsp.refiners import NetworkRefiner
from synsp.training import TrainConfig, train
from synsp.validation import SynspInputError

TINY = dict(d_model=16, d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8, input_residual=True,
            frequency_output=True, query_positions=True, spectral_skip=True)


def config(out, epochs, model=TINY, **kw):
    return TrainConfig(name="tiny", model=model, corpus=str(embedded_corpus_path()), train_split="test",
                       val_split="test", epochs=epochs, windows_per_epoch=64, batch_size=32, val_frames=150,
                       out=str(out), **kw)


def test_train_writes_card_log_and_a_usable_checkpoint(tmp_path):
    stem = train(config(tmp_path / "run", epochs=2), progress=False)
    model, card = load_model(stem)
    assert card.architecture == "synsp" and card.skeleton == "h36m17" and card.window == 8 and card.mask
    assert card.validation["epoch"] in (0, 1) and card.validation["input_mpjpe"] > 0
    rows = list(csv.DictReader(open(tmp_path / "run" / "log.csv")))
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    best = min(rows, key=lambda r: float(r["val_mpjpe"]))
    assert abs(float(best["val_mpjpe"]) - card.validation["val_mpjpe"]) < 0.01 * card.validation["val_mpjpe"]
    x = np.random.default_rng(0).normal(size=(20, 17, 3))
    assert NetworkRefiner(model, card)(x).shape == x.shape
    assert json.loads((tmp_path / "run" / "best.json").read_text())["name"] == "tiny"


def test_resume_gives_the_same_weights(tmp_path):
    straight = train(config(tmp_path / "a", epochs=2), progress=False)
    train(config(tmp_path / "b", epochs=1), progress=False)
    resumed = train(config(tmp_path / "b", epochs=2), resume=True, progress=False)
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], msg=key)
    assert straight.name == resumed.name == "best"


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(SynspInputError, match="synsp data build"):
        train(TrainConfig(corpus=str(tmp_path / "none.npz"), out=str(tmp_path / "r")), progress=False)


def test_init_starts_from_a_checkpoint_and_checks_its_config(tmp_path):
    first = train(config(tmp_path / "a", epochs=1), progress=False)
    # with a zero learning rate the fine-tuned weights stay the initial checkpoint's
    train(config(tmp_path / "b", epochs=1, init=str(first), lr=0.0), progress=False)
    start, _ = load_model(first)
    after = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model"]
    for key, value in start.state_dict().items():
        torch.testing.assert_close(after[key], value, msg=key)
    other = config(tmp_path / "c", epochs=1, init=str(first))
    other.model = {**TINY, "d_model": 32}
    with pytest.raises(SynspInputError, match="do not fit"):
        train(other, progress=False)


def test_two_torchrun_processes_train_like_one(tmp_path):
    """DDP over 2 gloo processes, each with half of every batch, gives the weights of one process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import torch

    sys.path.insert(0, str(Path(__file__).parent))
    from ddp_worker import tiny_config

    worker = Path(__file__).parent / "ddp_worker.py"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          str(worker), str(tmp_path / "ddp")], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    train(tiny_config(str(tmp_path / "one")), progress=False)
    a = torch.load(tmp_path / "ddp" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "one" / "last.pt", weights_only=True)["model"]
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_min_views_trains_one_model_on_several_view_counts(tmp_path):
    from synsp.training import _keep_views

    cfg = config(tmp_path / "mv", epochs=1, views=3, min_views=2, mode="multiview",
                 model=dict(TINY, view_mean_skip=True))
    batch = {"input": torch.zeros(4, 3, 8, 51), "mask": torch.zeros(4, 3, 8, 17)}
    counts = {_keep_views(batch, cfg, 0, step)["input"].shape[1] for step in range(40)}
    assert counts == {2, 3}
    assert _keep_views(batch, cfg, 0, 5)["mask"].shape[1] == _keep_views(batch, cfg, 0, 5)["input"].shape[1]
    model, card = load_model(train(cfg, progress=False))
    assert card.views == 3 and card.recipe["min_views"] == 2
    x = np.random.default_rng(0).normal(size=(20, 2, 17, 3))  # two views: fewer than trained with
    assert NetworkRefiner(model, card)(x).shape == x.shape
    with pytest.raises(SynspInputError, match="min_views"):
        train(config(tmp_path / "bad", epochs=1, views=2, min_views=3, mode="multiview"), progress=False)


def test_a_family_trained_model_is_selected_on_clean_and_held_out_input_too(tmp_path):
    stem = train(config(tmp_path / "run", epochs=2, preset="mixed", fast_motion=0.5), progress=False)
    rows = list(csv.DictReader(open(tmp_path / "run" / "log.csv")))
    for r in rows:  # the clean set adds what the model does to the truth; its input adds nothing
        assert float(r["val_clean_added"]) >= 0 and float(r["input_heldout_mpjpe"]) > 0
        assert float(r["val_score"]) > 0
    _, card = load_model(stem)
    best = min(float(r["val_score"]) for r in rows)  # selected by the score (Accel breaks 0.5 % ties)
    assert best <= card.validation["val_score"] <= 1.01 * best
    assert card.recipe["fast_motion"] == 0.5 and card.noise_preset == "mixed"
