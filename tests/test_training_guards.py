"""`synsp train` / `export` / `plot` guards: a run folder is never overwritten without --resume, a resume keeps the
run's settings, --from and --init take what they say, and user mistakes are one line (exit 2), leaving no folder."""

import json
import shutil

import numpy as np
import pytest
import torch

from synsp.cli import main
from synsp.data.corpus import corpus_meta, embedded_corpus_path
from synsp.refiners import shipped_models
from synsp.training import TrainConfig, fine_tune_settings, train
from synsp.validation import SynspInputError

TINY = dict(d_model=16, d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8, input_residual=True,
            frequency_output=True, query_positions=True, spectral_skip=True)


def config(out, epochs=1, **kw):
    return TrainConfig(**{**dict(name="tiny", model=TINY, corpus=str(embedded_corpus_path()), train_split="test",
                                 val_split="test", epochs=epochs, windows_per_epoch=64, batch_size=32, val_frames=150,
                                 out=str(out)), **kw})


def test_a_finished_run_is_never_overwritten_and_a_resume_keeps_its_settings(tmp_path):
    out = tmp_path / "run"
    train(config(out), progress=False)
    weights = (out / "best.safetensors").read_bytes()
    with pytest.raises(SynspInputError, match="holds a training run already.*--resume.*another -o"):
        train(config(out, seed=99), progress=False)
    assert (out / "best.safetensors").read_bytes() == weights
    # a resume with other training settings is refused, naming them (the optimiser's state would keep the old
    # rate, the others would switch mid-run)
    with pytest.raises(SynspInputError, match=r"lr 0\.1 \(the run: 0\.001\).*preset 3dpw-spin-like \(the run: "
                                              r"mixed\)|preset 3dpw-spin-like \(the run: mixed\).*lr 0\.1"):
        train(config(out, epochs=2, lr=0.1, preset="3dpw-spin-like"), resume=True, progress=False)
    with pytest.raises(SynspInputError, match=r"seed 7 \(the run: 4321\)"):
        train(config(out, epochs=2, seed=7), resume=True, progress=False)
    assert json.loads((out / "last.json").read_text())["recipe"]["epochs"] == 1
    # a last.pt written before the settings were stored: the card's recipe is compared
    state = torch.load(out / "last.pt", weights_only=True)
    del state["settings"]
    torch.save(state, out / "last.pt")
    with pytest.raises(SynspInputError, match=r"w-accel 50\.0 \(the run: 1\.0\)"):
        train(config(out, epochs=2, w_accel=50.0), resume=True, progress=False)
    # --epochs may change: the run is extended
    train(config(out, epochs=2), resume=True, progress=False)
    assert torch.load(out / "last.pt", weights_only=True)["epoch"] == 1


def test_a_resume_from_the_command_line_keeps_every_setting_left_out(tmp_path, capsys, monkeypatch):
    # the settings the run was trained with (a corpus, a batch size, a network of its own) had to be repeated, and
    # the refusal named --workers, which synsp train does not have
    out = tmp_path / "run"
    train(config(out, seed=11), progress=False)
    assert main(["train", "--resume", "-o", str(out), "--epochs", "2"]) == 0, capsys.readouterr().err
    assert torch.load(out / "last.pt", weights_only=True)["epoch"] == 1
    assert json.loads((out / "last.json").read_text())["config"]["d_model"] == TINY["d_model"]
    assert main(["train", "--resume", "-o", str(out), "--epochs", "3", "--seed", "12"]) == 2
    err = capsys.readouterr().err
    assert "seed 12 (the run: 11)" in err and "--workers" not in err and "--epochs, --device" in err
    # a run in its default folder, runs/<name>, resumed by its name
    monkeypatch.chdir(tmp_path)
    train(config("runs/tiny", seed=11), progress=False)
    assert main(["train", "--resume", "--name", "tiny", "--epochs", "2"]) == 0, capsys.readouterr().err
    assert torch.load(tmp_path / "runs" / "tiny" / "last.pt", weights_only=True)["epoch"] == 1


def test_a_run_that_could_not_train_or_load_is_refused_before_its_folder(tmp_path):
    # a training split of fewer windows than one batch: every epoch took no step and untrained weights were saved
    with pytest.raises(SynspInputError, match=r"gives \d+ windows of 8 frames, fewer than one batch \(100000\).*"
                                              r"--batch-size"):
        train(config(tmp_path / "few", batch_size=100_000, windows_per_epoch=100_000), progress=False)
    # a network its own model card would refuse to load (over the size limit), or that cannot be built
    with pytest.raises(SynspInputError, match=r"network's settings .* parameters, over the limit .*smaller --option"):
        train(config(tmp_path / "big", model={**TINY, "d_model": 2048, "d_inner": 8192, "n_layers": 4}),
              progress=False)
    with pytest.raises(SynspInputError, match=r"network's settings .*config.dropout"):
        train(config(tmp_path / "drop", model={**TINY, "dropout": 2.0}), progress=False)
    # DeciWatch's window is interval * q + 1: a --window it does not have named the model
    with pytest.raises(SynspInputError, match=r"--window 21: a deciwatch window is interval \* q \+ 1 \(101"):
        train(config(tmp_path / "dw", architecture="deciwatch", model={}, window=21), progress=False)
    with pytest.raises(SynspInputError, match=r"--window 8: a deciwatch window"):  # 8 given is not "unset"
        train(config(tmp_path / "dw", architecture="deciwatch", model={}, window=8), progress=False)
    assert TrainConfig(architecture="deciwatch").resolved().window == 101  # unset: DeciWatch's own
    # starting weights of another joint set, even where their tensors would fit
    with pytest.raises(SynspInputError, match=r"--init synsp-coco17-2d-w8: a coco17 model, and this run trains h36m17"):
        train(config(tmp_path / "init", init="synsp-coco17-2d-w8", model={}), progress=False)
    assert not any((tmp_path / name).exists() for name in ("few", "big", "drop", "dw", "init"))
    (tmp_path / "afile").write_text("mine")  # an -o that is a file: refused before the corpus is read
    with pytest.raises(SynspInputError, match=r"afile: a file, not a folder"):
        train(config(tmp_path / "afile"), progress=False)
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_diverging_run_is_one_line_and_leaves_no_empty_folder(tmp_path):
    with pytest.raises(SynspInputError, match=r"training loss became .*lower --lr"):
        train(config(tmp_path / "nan", lr=1e12), progress=False)
    assert not (tmp_path / "nan").exists()


def test_refused_runs_leave_no_folder_and_name_what_the_user_passed(tmp_path, capsys):
    first = train(config(tmp_path / "a"), progress=False)
    wrong = config(tmp_path / "b", init=str(first), model={**TINY, "d_model": 32})
    with pytest.raises(SynspInputError, match="starting weights .*--from or --init.* do not fit"):
        train(wrong, progress=False)
    assert not (tmp_path / "b").exists()
    # --init takes a run folder or a shipped name, as --from does
    from synsp.training import _check

    resolved, *_ = _check(config(tmp_path / "c", init=str(tmp_path / "a")))
    assert resolved.init == str(tmp_path / "a" / "best")
    resolved, *_ = _check(config(tmp_path / "c", init="synsp-h36m17-3d-w8"))
    assert resolved.init == str(shipped_models()["synsp-h36m17-3d-w8"])
    with pytest.raises(SynspInputError, match="--init nowhere: not a shipped model"):
        _check(config(tmp_path / "c", init="nowhere"))
    assert not (tmp_path / "c").exists()
    # a device this torch cannot use: one line, before any folder
    with pytest.raises(SynspInputError, match="--device 'banana': not a device"):
        train(config(tmp_path / "d", device="banana"), progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(SynspInputError, match="sees no CUDA GPU"):
            train(config(tmp_path / "d", device="cuda"), progress=False)
    assert not (tmp_path / "d").exists()
    # an .npy given as the corpus: the message says to import it, not to rename it
    np.save(tmp_path / "x.npy", np.zeros((10, 17, 3)))
    with pytest.raises(SynspInputError, match="is an .npy array, not a synsp corpus.*synsp data import"):
        corpus_meta(tmp_path / "x.npy")


def test_from_refuses_size_and_a_card_whose_recipe_lr_is_not_a_number(tmp_path, capsys):
    assert main(["train", "--from", "synsp-h36m17-3d-w8", "--size", "official", "-o", str(tmp_path / "r")]) == 2
    assert "--size official: --from synsp-h36m17-3d-w8 fixes the network's size" in capsys.readouterr().err
    stem = shipped_models()["synsp-h36m17-3d-w8"]
    shutil.copy(f"{stem}.safetensors", tmp_path / "bad.safetensors")
    card = json.loads(stem.with_suffix(".json").read_text())
    card["recipe"]["lr"] = "abc"
    (tmp_path / "bad.json").write_text(json.dumps(card))
    with pytest.raises(SynspInputError, match="recipe gives lr 'abc', not a learning rate"):
        fine_tune_settings(tmp_path / "bad")
    assert not (tmp_path / "r").exists()


def test_a_2d_run_logs_pixels(tmp_path, capsys):
    train(config(tmp_path / "r", representation="2d"), progress=True)
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith("epoch 1:")][0]
    assert "px" in line and " mm" not in line


def test_export_takes_names_and_run_folders_and_refuses_onnx_of_models_without_a_fixed_width(tmp_path, capsys):
    assert main(["export", "synsp-h36m17-3d-w8", "-o", str(tmp_path / "copy")]) == 0
    assert (tmp_path / "copy.json").is_file()
    for name in ("synsp-universal-w16", "smoothnet-h36m17-3d-w8"):
        assert main(["export", name, "-o", str(tmp_path / f"{name}.onnx")]) == 2
        err = capsys.readouterr().err
        assert "cannot be exported to ONNX" in err and "DeciWatch and HANet" in err and "Traceback" not in err
    assert main(["export", "synsp-h36m17-3d-w8", "-o", str(tmp_path / "h.onnx"), "--half"]) == 2  # float32 only
    assert "ONNX graph is exported in float32" in capsys.readouterr().err and not (tmp_path / "h.onnx").exists()
    pytest.importorskip("onnx")
    assert main(["export", "synsp-h36m17-3d-w8", "-o", str(tmp_path / "new" / "sub" / "m.onnx"), "--name", "mine",
                 "--stride", "2"]) == 0
    assert (tmp_path / "new" / "sub" / "m.onnx").is_file()
    card = json.loads((tmp_path / "new" / "sub" / "m.card.json").read_text())  # what the graph's windows need
    assert card["name"] == "mine" and card["stride"] == 2 and card["normalization"] and card["window"] == 8


def test_an_export_named_with_a_dot_keeps_the_whole_name_and_overwrites_nothing(tmp_path):
    # `-o mine.v1` wrote mine.json / mine.safetensors, and `-o mine.v2` then replaced the float16 export silently
    from synsp.models.checkpoint import load_model
    from synsp.refiners import get_refiner

    assert main(["export", "synsp-h36m17-3d-w8", "-o", str(tmp_path / "mine.v1"), "--half"]) == 0
    assert main(["export", "synsp-universal-w16", "-o", str(tmp_path / "mine.v2")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.v1.json", "mine.v1.safetensors", "mine.v2.json",
                                                          "mine.v2.safetensors"]
    assert load_model(tmp_path / "mine.v1")[1].architecture != load_model(tmp_path / "mine.v2.json")[1].architecture
    assert get_refiner(str(tmp_path / "mine.v1")).card.architecture == load_model(tmp_path / "mine.v1")[1].architecture


def test_plot_and_render_with_a_universal_models_card_as_skeleton_is_a_clear_error(tmp_path, capsys):
    x = np.random.default_rng(0).normal(size=(12, 57, 3))
    np.save(tmp_path / "raw.npy", x)
    np.save(tmp_path / "ref.npy", x)
    stem = str(shipped_models()["synsp-universal-w16"])
    for command, out in (("plot", "p.png"), ("render", "r.gif")):
        assert main([command, str(tmp_path / "raw.npy"), str(tmp_path / "ref.npy"), "-o", str(tmp_path / out),
                     "--skeleton", stem]) == 2
        assert "not on one skeleton" in capsys.readouterr().err
        assert not (tmp_path / out).exists()


def test_a_rotation_model_on_a_corpus_of_positions_says_so(tmp_path):
    # an imported corpus of joint positions has no rotations: fine-tuning the SMPL rotation model on it said
    # "clips is empty; pass at least one clip"
    from synsp.data.corpus import load_corpus
    from synsp.data.custom import import_corpus

    clips = tmp_path / "clips"
    clips.mkdir()
    for k, clip in enumerate(load_corpus(embedded_corpus_path())[:3]):
        np.save(clips / f"take{k}.npy", clip.positions.astype(np.float64))
    corpus = tmp_path / "mine.npz"
    import_corpus([clips], corpus, skeleton="h36m17", fps=30.0)
    rotations = fine_tune_settings("synsp-smpl24-rot-w8")
    with pytest.raises(SynspInputError, match="holds no joint rotations.*--from synsp-universal-w16"):
        train(config(tmp_path / "run", corpus=str(corpus), representation="rotations", skeleton="smpl24",
                     architecture=rotations["architecture"]), progress=False)
    assert not (tmp_path / "run").exists()


def test_training_on_a_held_out_family_warns_that_its_robustness_rows_are_no_longer_unseen(tmp_path):
    with pytest.warns(UserWarning, match="held-out error family spiky"):
        train(config(tmp_path / "run", preset="mixed+spiky"), progress=False)


def test_a_resume_without_last_pt_is_refused_instead_of_starting_over(tmp_path):
    out = tmp_path / "run"
    train(config(out), progress=False)
    best = (out / "best.safetensors").read_bytes()
    (out / "last.pt").unlink()  # as a Ctrl-C while it was written leaves it
    with pytest.raises(SynspInputError, match="no last.pt to resume from"):
        train(config(out, epochs=2), resume=True, progress=False)
    assert (out / "best.safetensors").read_bytes() == best


def test_settings_an_architecture_does_not_read_are_refused():
    with pytest.raises(SynspInputError, match="--size and --residual"):
        TrainConfig(architecture="smoothnet", residual=False).validate()
    with pytest.raises(SynspInputError, match="its own loss"):
        TrainConfig(architecture="deciwatch", w_accel=5.0).validate()
    TrainConfig(architecture="deciwatch").resolved().validate()  # its resolved default passes
    with pytest.raises(SynspInputError, match="--low-rate is for positions"):  # rotation windows ignore it
        TrainConfig(representation="rotations", skeleton="smpl24", low_rate=0.3).validate()
    with pytest.raises(SynspInputError, match="low_rate"):
        TrainConfig(low_rate=1.5).validate()


def test_starting_weights_trained_with_another_residual_switch_are_refused(tmp_path):
    run = tmp_path / "run"
    train(config(run), progress=False)
    with pytest.raises(SynspInputError, match="input_residual False"):
        train(config(tmp_path / "b", model={**TINY, "input_residual": False}, init=str(run / "best")),
              progress=False)
    train(config(tmp_path / "c", init=str(run / "best")), progress=False)  # the same settings: fine


def test_an_option_whose_setting_is_unset_by_default_is_read_not_a_traceback():
    from synsp.cli import _parse_options

    assert _parse_options(("channels=54",), "smoothnet") == {"channels": 54}
    assert _parse_options(("window=101",), "deciwatch") == {"window": 101}


def test_a_resume_of_a_run_with_a_body_loss_needs_no_repeated_flags(tmp_path):
    # --w-fk and --mix-rotations had defaults of 0, so a resume that left them out was refused as a change
    import click

    from synsp.cli import train as train_command

    params = {p.name: p.default for p in train_command.params if isinstance(p, click.Option)}
    assert params["w_fk"] is None and params["mix_rotations"] is None


def test_export_refuses_its_own_source_a_folder_and_an_empty_name(tmp_path, capsys):
    run = tmp_path / "run"
    train(config(run), progress=False)
    before = (run / "best.safetensors").read_bytes()
    assert main(["export", str(run / "best"), "-o", str(run / "best"), "--half"]) == 2
    assert main(["export", str(run), "-o", str(run / "best.json")]) == 2
    assert (run / "best.safetensors").read_bytes() == before  # float32 kept, not halved over itself
    assert main(["export", str(run / "best"), "-o", str(tmp_path)]) == 2
    assert main(["export", str(run / "best"), "-o", str(tmp_path / "copy"), "--name", "  "]) == 2
    err = capsys.readouterr().err
    assert "its own source" in err and "a folder" in err and "--name" in err
    assert main(["export", str(run / "best"), "-o", str(tmp_path / "copy"), "--half"]) == 0


def test_more_windows_per_epoch_than_the_split_gives_is_said_not_silently_capped():
    from types import SimpleNamespace

    from synsp.training import _check_windows

    data = SimpleNamespace(sources=[(range(3000), "h36m17", "3d", 1.0)])
    with pytest.warns(UserWarning, match=r"--windows-per-epoch 20000: the training split \(train\) gives 3000 windows"
                                         r" of 16 frames, so an epoch takes those \(11 steps\)"):
        _check_windows(TrainConfig(windows_per_epoch=20000, batch_size=256), data, 16, 1)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check_windows(TrainConfig(windows_per_epoch=2000, batch_size=256), data, 16, 1)  # fewer: nothing to say
