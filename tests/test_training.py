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
    # the final epoch is a checkpoint too, its card holding that epoch's validation row
    last, last_card = load_model(tmp_path / "run" / "last")
    assert last_card.validation["epoch"] == 1 and last_card.validation["val_mpjpe"] == float(rows[1]["val_mpjpe"])
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["model"]
    for key, value in last.state_dict().items():
        torch.testing.assert_close(value, state[key], msg=key)


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
    # with a negligible learning rate the fine-tuned weights stay the initial checkpoint's (zero is refused)
    with pytest.raises(SynspInputError, match="lr is 0.0"):
        train(config(tmp_path / "z", epochs=1, init=str(first), lr=0.0), progress=False)
    train(config(tmp_path / "b", epochs=1, init=str(first), lr=1e-12), progress=False)
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
    # Adam divides by the root of the squared gradients, so an element whose gradient is near zero can take a
    # step of about lr one way or the other on a different summation order (seen on some CPUs): all but a few
    # elements must agree closely, and none by more than one such step per optimiser step (4)
    lr = tiny_config("").lr
    far = sum(int((~torch.isclose(a[k], b[k], rtol=1e-4, atol=1e-5)).sum()) for k in a)
    assert far <= 0.005 * sum(a[k].numel() for k in a), far
    for k in a:
        assert float((a[k] - b[k]).abs().max()) < 4 * lr, k


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


def _cli_config(monkeypatch, *flags):
    """The TrainConfig `synsp train FLAGS` hands to training.train (which is replaced: nothing trains)."""
    import synsp.training
    from synsp.cli import main

    seen = []

    def capture(config, resume=False):
        seen.append(config)
        raise SynspInputError("captured")

    monkeypatch.setattr(synsp.training, "train", capture)
    assert main(["train", *flags]) == 2 and len(seen) == 1
    return seen[0]


def _settings(config):
    """A resolved TrainConfig's settings and the network config it builds (the command line aside)."""
    import dataclasses

    from synsp.training import _model_config

    resolved = config.resolved()
    return {**dataclasses.asdict(resolved), "command": None}, _model_config(resolved)


def test_train_config_with_no_arguments_trains_what_synsp_train_with_no_flags_trains(monkeypatch):
    from synsp.models.synsp import SynSPConfig

    cli = _cli_config(monkeypatch)
    assert _settings(cli) == _settings(TrainConfig())
    settings, network = _settings(TrainConfig())
    # the shipped models' network: the small size, residual, mask channels; Equ. 4 with w_accel 1
    assert SynSPConfig(**network) == SynSPConfig.named("small", channels=54, mask_channels=18, input_residual=True)
    assert settings["w_accel"] == 1.0 and settings["name"] == "synsp-h36m17-3d-w8"
    assert settings["out"] == "runs/synsp-h36m17-3d-w8" and settings["skeleton"] == "h36m17"
    # your own model is trained on the error family (clean segments included), not on a preset's every-window
    # error, so it learns to leave right input alone; the selection then weighs what it adds to clean input
    assert settings["preset"] == "mixed"


@pytest.mark.parametrize("flags,fields", [
    (["--size", "small-plain", "--no-residual"], dict(size="small-plain", residual=False)),
    (["--architecture", "smoothnet", "--window", "32"], dict(architecture="smoothnet", window=32)),
    (["--w-accel", "50", "--option", "refine_branches=true"], dict(w_accel=50.0, model={"refine_branches": True})),
    (["--representation", "rotations"], dict(representation="rotations")),
    (["--preset", "3dpw-spin-like+vibe-like", "--views", "4", "--mode", "multiview", "--name", "x", "-o", "r/x"],
     dict(preset="3dpw-spin-like+vibe-like", views=4, mode="multiview", name="x", out="r/x")),
])
def test_every_train_flag_is_the_train_config_field_of_that_name(monkeypatch, flags, fields):
    assert _settings(_cli_config(monkeypatch, *flags)) == _settings(TrainConfig(**fields))


def test_resolve_fills_the_derived_defaults_in_one_place():
    from synsp.training import default_w_accel

    assert [default_w_accel(a) for a in ("synsp", "smoothnet", "universal")] == [1.0, 0.1, 1.0]
    smooth = TrainConfig(architecture="smoothnet", window=32).resolved()
    assert (smooth.name, smooth.out, smooth.w_accel) == ("smoothnet-h36m17-3d-w32", "runs/smoothnet-h36m17-3d-w32",
                                                         0.1)
    rot = TrainConfig(representation="rotations", views=1).resolved()
    assert rot.skeleton == "smpl24" and rot.name == "synsp-smpl24-rotations-w8"
    mixed = TrainConfig(preset="a+b", views=2, w_accel=5.0, name="m").resolved()
    assert mixed.preset == ["a", "b"] and mixed.w_accel == 5.0 and mixed.out == "runs/m"
    assert TrainConfig(skeleton="coco17", corpus=str(embedded_corpus_path())).resolved().skeleton == "coco17"
    assert TrainConfig().w_accel is None and TrainConfig().resolved().resolved() == TrainConfig().resolved()


def test_size_residual_and_window_are_checked_with_the_rest():
    from synsp.training import _model_config

    with pytest.raises(SynspInputError, match="size"):
        TrainConfig(size="huge").validate()
    with pytest.raises(SynspInputError, match="--size and --residual"):  # SynSP only: not silently ignored
        TrainConfig(size="huge", architecture="smoothnet").validate()
    with pytest.raises(SynspInputError, match="residual"):
        TrainConfig(residual="yes").validate()
    with pytest.raises(SynspInputError, match="window"):
        TrainConfig(model={"window": 16}).validate()
    network = _model_config(TrainConfig(size="official", residual=False, model={"d_model": 32}).resolved())
    assert network == {"window": 8, "channels": 54, "mask_channels": 18, "input_residual": False, "d_model": 32}


def test_an_unknown_preset_is_refused_before_any_run_folder_is_made(tmp_path, capsys):
    from synsp.cli import main

    with pytest.raises(SynspInputError, match="unknown error family or noise preset 'mixed-locall'.*mixed-local"):
        TrainConfig(preset="mixed+mixed-locall").validate()
    TrainConfig(preset=["mixed", "mixed-local", "3dpw-spin-like"]).validate()  # families and presets mix
    assert main(["train", "--preset", "3dpw-spin-likee", "-o", str(tmp_path / "run")]) == 2
    assert "noise presets: h36m-fcn-like" in capsys.readouterr().err and not (tmp_path / "run").exists()


def test_fine_tune_settings_take_the_models_network_weights_and_recipe_not_what_the_data_fixes():
    from synsp.refiners import shipped_models
    from synsp.training import FINE_TUNE_EPOCHS, FINE_TUNE_LR, fine_tune_settings

    s = fine_tune_settings("synsp-universal-w16")
    card = json.loads(shipped_models()["synsp-universal-w16"].with_suffix(".json").read_text())
    assert (s["architecture"], s["window"], s["views"], s["causal"]) == ("universal", 16, 1, False)
    assert s["init"] == str(shipped_models()["synsp-universal-w16"])
    assert s["model"] == {k: v for k, v in card["config"].items() if k not in ("window", "dims", "mask")}
    for key in ("fast_motion", "mix_2d", "joint_subsets", "w_accel", "lr_decay"):
        assert s[key] == card["recipe"][key]
    assert s["preset"] == card["noise_preset"] and (s["epochs"], s["lr"]) == (FINE_TUNE_EPOCHS, FINE_TUNE_LR)
    assert "skeletons" not in s and "mix_rotations" not in s  # the corpus's joint sets are not the user's
    assert "skeleton" not in s  # the universal model fine-tunes on the caller's joint set
    causal = fine_tune_settings("synsp-universal-w8-causal")
    assert causal["causal"] is True and causal["window"] == 8
    # a model of one joint set fine-tunes on that joint set and representation, never faster than it last trained
    two_d = fine_tune_settings("synsp-coco17-2d-w8")
    assert (two_d["skeleton"], two_d["representation"]) == ("coco17", "2d")
    assert fine_tune_settings("deciwatch-h36m17-3d-w101")["lr"] == 2e-4
    with pytest.raises(SynspInputError, match="not a shipped model"):
        fine_tune_settings("no-such-model")


def test_synsp_train_from_fine_tunes_the_model_and_keeps_its_architecture(monkeypatch):
    from synsp.refiners import shipped_models

    seen = _cli_config(monkeypatch, "--from", "synsp-universal-w16", "--epochs", "2", "--option", "dropout=0.2")
    assert (seen.architecture, seen.window, seen.epochs, seen.lr) == ("universal", 16, 2, 3e-4)
    assert seen.init == str(shipped_models()["synsp-universal-w16"])
    assert seen.model["d_model"] == 64 and seen.model["dropout"] == 0.2  # --option wins over the card


@pytest.mark.parametrize("flags,message", [
    (["--from", "synsp-universal-w16", "--window", "8"], "drop --window"),
    (["--from", "synsp-universal-w16", "--architecture", "synsp"], "drop --architecture"),
    (["--from", "synsp-universal-w16", "--init", "runs/x"], "use one of them"),
    (["--from", "synsp-coco17-2d-w8", "--skeleton", "h36m17"], "fine-tune a universal model"),
    (["--from", "nowhere/model"], "not a shipped model"),
])
def test_synsp_train_from_refuses_what_contradicts_the_model(capsys, flags, message):
    from synsp.cli import main

    assert main(["train", *flags]) == 2
    assert message in capsys.readouterr().err


def test_a_fine_tuned_default_starts_from_its_weights_not_from_scratch(tmp_path):
    from synsp.training import fine_tune_settings

    settings = {**fine_tune_settings("synsp-universal-w16"), "epochs": 1}
    runs = {}
    for name, init in (("ft", settings["init"]), ("scratch", None)):
        cfg = TrainConfig(**{**settings, "init": init}, name=name, corpus=str(embedded_corpus_path()),
                          train_split="test", val_split="test", windows_per_epoch=64, batch_size=32, val_frames=150,
                          out=str(tmp_path / name))
        runs[name] = load_model(train(cfg, progress=False))[1]
    card = runs["ft"]
    assert card.architecture == "universal" and card.window == 16 and card.config["d_model"] == 64
    # two small steps at a fine-tune's rate: from the pretrained weights the run is well below its input; from
    # scratch the same steps leave it near its input (an untrained universal network returns its input)
    ft, scratch = card.validation["val_mpjpe"], runs["scratch"].validation["val_mpjpe"]
    assert ft < 0.95 * card.validation["input_mpjpe"] and ft < 0.95 * scratch


def test_virtual_joints_add_points_on_the_skeletons_bones_to_input_truth_and_missing_flags_alike():
    from synsp.skeletons import get_skeleton
    from synsp.training import _batch_to_tensors, _virtual_joints

    sk = get_skeleton("h36m17")
    off = TrainConfig(architecture="universal")
    assert _virtual_joints(off, "h36m17", 0, 0) is None  # off by default
    on = TrainConfig(architecture="universal", virtual_joints=1.0)
    draws = [_virtual_joints(on, "h36m17", 0, step) for step in range(20)]
    for a, b, t in draws:
        assert all(sk.parents[j] == p for p, j in zip(a, b))  # parent -> child: real bones
        assert 1 <= len(t) <= sk.num_joints and ((t >= -0.2) & (t <= 1.5)).all()
    assert len({len(t) for _, _, t in draws}) > 1  # the count varies from step to step
    assert _virtual_joints(on, "h36m17", 0, 3)[2].tolist() == draws[3][2].tolist()  # seeded by epoch and step

    rng = np.random.default_rng(0)
    B, W, J = 2, 16, sk.num_joints
    gt = rng.normal(size=(B, W, J, 3))
    inp = gt + 0.01 * rng.normal(size=gt.shape)
    missing = np.zeros((B, W, J), dtype=np.float32)
    missing[0, 3, 5] = 1.0
    batch = {"input": torch.tensor(inp.reshape(B, W, -1)), "gt": torch.tensor(gt.reshape(B, W, -1)),
             "mask": torch.tensor(missing)}
    a, b, t = np.array([4, 0]), np.array([5, 1]), np.array([0.5, 1.25])  # a mid-shin point, one beyond the hip
    x, y, mask, _ = _batch_to_tensors(batch, on, (0,), "h36m17", "3d", None, (a, b, t))
    x0, y0, mask0, _ = _batch_to_tensors(batch, on, (0,), "h36m17", "3d")
    assert x.shape == (B, W, (J + 2 + 1) * 3) and x0.shape == (B, W, (J + 1) * 3)  # + trajectory token
    assert mask.shape == (B, W, J + 2 + 1)
    assert mask[0, 3, J] == 1 and mask[0, 3, J + 1] == 0 and mask[0, 3, :J].tolist() == mask0[0, 3, :J].tolist()
    # the truth's extra points sit on the bones in the normalised window too (normalisation is affine per window)
    pts = y[..., :(J + 2) * 3].reshape(B, W, J + 2, 3)
    assert torch.allclose(pts[:, :, J], 0.5 * pts[:, :, 4] + 0.5 * pts[:, :, 5], atol=1e-5)
    assert torch.allclose(pts[:, :, J + 1], -0.25 * pts[:, :, 0] + 1.25 * pts[:, :, 1], atol=1e-5)


def test_virtual_joints_train_the_universal_model_only():
    with pytest.raises(SynspInputError, match="virtual_joints"):
        TrainConfig(virtual_joints=0.5).validate()
    with pytest.raises(SynspInputError, match="virtual_joints"):
        TrainConfig(architecture="universal", virtual_joints=1.5).validate()


def test_a_fine_tune_warms_its_rate_up_and_keeps_its_starting_weights_when_training_only_harms(tmp_path, monkeypatch):
    from synsp.training import FINE_TUNE_WARMUP_STEPS, fine_tune_settings

    rates = []
    original = torch.optim.Adam.step

    def step(self, *args, **kwargs):
        rates.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    settings = {**fine_tune_settings("synsp-universal-w16"), "epochs": 2, "lr": 0.5}  # a rate that wrecks it
    cfg = TrainConfig(**settings, name="ft", corpus=str(embedded_corpus_path()), train_split="test",
                      val_split="test", windows_per_epoch=96, batch_size=32, val_frames=150, out=str(tmp_path / "ft"))
    stem = train(cfg, progress=False)
    # epoch 1's three steps rise linearly towards the rate; epoch 2 runs at the decayed rate, not a warm one
    assert rates == pytest.approx([0.5 * (i + 1) / FINE_TUNE_WARMUP_STEPS for i in range(3)] + [0.5 * 0.9] * 3)
    with open(tmp_path / "ft" / "log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [-1, 0, 1]  # the starting weights were validated first
    _, card = load_model(stem)
    start, _ = load_model(settings["init"])
    model, _ = load_model(stem)
    assert float(rows[2]["val_score"]) > float(rows[0]["val_score"])  # that rate made it worse ...
    assert card.validation["epoch"] == -1  # ... so the best checkpoint is the starting weights themselves
    for (name, a), b in zip(start.state_dict().items(), model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-3), name  # (float16 shipped weights, float32 here)



def test_views_of_one_motion_become_windows_normalised_together_for_the_universal_model():
    from synsp.training import _batch_to_tensors

    cfg = TrainConfig(architecture="universal", views=3, mode="multiview", model={"view_consensus": True})
    cfg.validate()
    rng = np.random.default_rng(0)
    B, P, W, J = 2, 3, 16, 17
    gt = np.repeat(rng.normal(size=(B, 1, W, J, 3)), P, axis=1)  # one motion, seen three times
    inp = gt + 0.01 * rng.normal(size=gt.shape)  # each view with its own errors
    missing = np.zeros((B, P, W, J), dtype=np.float32)
    missing[0, 2, 3, 5] = 1.0
    batch = {"input": torch.tensor(inp.reshape(B, P, W, -1)), "gt": torch.tensor(gt.reshape(B, P, W, -1)),
             "mask": torch.tensor(missing)}
    x, y, mask, inputs = _batch_to_tensors(batch, cfg, (0,), "h36m17", "3d")
    assert x.shape == y.shape == (B * P, W, (J + 1) * 3) and inputs == {"views": P}  # every view a window
    assert mask.shape == (B * P, W, J + 1) and mask[2, 3, 5] == 1 and mask.sum() == 2  # + its trajectory
    # normalised together: the truth is the same window in every view, the trajectory token included
    assert torch.allclose(y[0], y[1], atol=1e-6) and torch.allclose(y[0], y[2], atol=1e-6)
    assert not torch.allclose(x[0], x[2], atol=1e-4)


def test_shared_view_errors_move_every_views_error_towards_view_0s_and_share_its_misses():
    from synsp.training import _batch_to_tensors, _shared_view_errors

    cfg = TrainConfig(architecture="universal", views=3, mode="multiview", model={"view_consensus": True},
                      shared_view_errors=0.5)
    cfg.validate()
    draws = [_shared_view_errors(cfg, (64, 3, 16, 51), 0, step) for step in range(4)]
    assert all(d.shape == (64,) and ((d >= 0) & (d <= 1)).all() for d in draws)
    assert 0.3 < np.mean([(d == 0).mean() for d in draws]) < 0.7  # about half the windows untouched
    assert _shared_view_errors(cfg, (64, 16, 51), 0, 0) is None  # one view: nothing to share
    rng = np.random.default_rng(0)
    B, P, W, J = 2, 3, 16, 17
    gt = np.repeat(rng.normal(size=(B, 1, W, J, 3)), P, axis=1)
    inp = gt + 0.01 * rng.normal(size=gt.shape)
    missing = np.zeros((B, P, W, J), dtype=np.float32)
    missing[1, 0, 3, 5] = 1.0  # view 0 of window 1 missed a joint
    batch = {"input": torch.tensor(inp.reshape(B, P, W, -1)), "gt": torch.tensor(gt.reshape(B, P, W, -1)),
             "mask": torch.tensor(missing)}
    plain = _batch_to_tensors(batch, cfg, (0,), "h36m17", "3d")
    x, _, mask, _ = _batch_to_tensors(batch, cfg, (0,), "h36m17", "3d", shared=np.array([0.0, 1.0]))
    assert torch.equal(x[:P], plain[0][:P])  # window 0: nothing shared
    assert torch.allclose(x[P], x[P + 1], atol=1e-6) and torch.allclose(x[P], x[P + 2], atol=1e-6)  # all of it
    assert mask[P:, 3, 5].tolist() == [1, 1, 1] and mask[:P].sum() == 0
    with pytest.raises(SynspInputError, match="shared_view_errors"):
        TrainConfig(architecture="universal", shared_view_errors=0.5).validate()


def test_the_hardest_frames_are_chosen_by_the_input_as_its_row_fills_it_not_by_the_method():
    from synsp.metrics import summarize
    from synsp.training import evaluate_refiner, input_as_refiner

    rng = np.random.default_rng(3)
    gt = np.cumsum(rng.normal(scale=0.01, size=(200, 17, 3)), axis=0)
    inp = gt + rng.normal(scale=0.005, size=gt.shape)
    inp[50:54] = np.nan  # four lost frames
    zeros = lambda x, fps=None, confidence=None: np.nan_to_num(x)  # noqa: E731 (puts the lost frames at 0)
    got = evaluate_refiner(zeros, [(gt, inp, None)], "h36m17")
    pred = np.nan_to_num(inp)
    want = summarize([pred], [gt], inputs=[input_as_refiner(inp)], root_joints=(0,), scale=1000.0)
    assert got["mpjpe_hardest"] == pytest.approx(want["mpjpe_hardest"])
    # before, the lost frames took the method's own (here absurd) values and were picked as the input's hardest
    assert got["mpjpe_hardest"] != pytest.approx(summarize([pred], [gt], inputs=[pred], root_joints=(0,),
                                                           scale=1000.0)["mpjpe_hardest"])
