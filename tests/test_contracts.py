"""Small contracts (issue 14, part 3): dtypes kept, `python -m synsp`, one output flag, checkpoints worse than
their input named, and an honest `synsp benchmark --quick`."""

import json
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import synsp
from synsp.cli import cli, main


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def walk(frames=40, joints=17, dims=3):
    return np.cumsum(np.random.default_rng(0).normal(scale=0.01, size=(frames, joints, dims)), axis=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_refine_keeps_the_float_dtype(dtype):
    x = walk().astype(dtype)
    assert synsp.refine(x).dtype == dtype
    out, filled = synsp.refine(x, model="one-euro", return_filled=True)
    assert out.dtype == dtype and filled.dtype == bool and filled.shape == x.shape[:-1]
    assert synsp.refine((walk() * 1000).astype(np.int64), model="savgol").dtype == np.float64


def test_refine_keeps_a_torch_float32_as_numpy_float32():
    torch = pytest.importorskip("torch")
    assert synsp.refine(torch.tensor(walk(), dtype=torch.float32)).dtype == np.float32


def test_refine_takes_bfloat16_and_refuses_no_persons_and_a_function_it_cannot_call():
    torch = pytest.importorskip("torch")
    x = walk()
    out = synsp.refine(torch.tensor(x, dtype=torch.bfloat16), model="savgol")  # numpy has no bfloat16
    assert out.dtype == np.float64 and np.abs(out - x).max() < 0.05
    with pytest.raises(ValueError, match="0 persons or views"):
        synsp.refine(np.zeros((10, 0, 17, 3)))
    with pytest.raises(ValueError, match=r"def fn\(poses, fps=None, confidence=None\)"):
        synsp.refine(x, model=lambda p: p)
    np.testing.assert_array_equal(synsp.refine(x, model=lambda p, **kw: p), x)


def test_scores_on_a_0_100_scale_are_warned_about():
    x = walk()
    with pytest.warns(UserWarning, match="0-100 or 0-255 scale"):
        synsp.refine(x, model="savgol", confidence=np.full(x.shape[:-1], 90.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        synsp.refine(x, model="savgol", confidence=np.full(x.shape[:-1], 1.1))  # SimCC scores pass 1 a little


def test_refine_takes_a_refiner_object():
    from synsp.filters import OneEuroFilter

    x = walk()
    np.testing.assert_array_equal(synsp.refine(x, model=OneEuroFilter(min_cutoff=1.0)),
                                  OneEuroFilter(min_cutoff=1.0)(x))
    with pytest.raises(ValueError, match="expected a method name"):
        synsp.refine(x, model=3)


def test_python_dash_m_synsp_runs_the_command():
    done = subprocess.run([sys.executable, "-m", "synsp", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("synsp, version")


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


def test_every_output_option_is_dash_o_dash_dash_output_and_the_old_spelling_is_hidden():
    import click

    seen = 0
    for path, command in _commands(cli):
        for param in command.params:
            if isinstance(param, click.Option) and ("--out" in param.opts or "--output" in param.opts):
                assert param.opts[:2] == ["-o", "--output"] and "--out" in param.opts, path
                record = param.get_help_record(click.Context(command))[0]
                assert record.startswith("-o, --output") and "--out " not in record + " ", path
                seen += 1
    assert seen >= 9  # demo, train, export, refine, plot, render, video, benchmark, data build, data import


def test_the_old_output_spelling_still_works(capsys, tmp_path):
    np.save(tmp_path / "in.npy", walk())
    code, out, err = run(capsys, "refine", tmp_path / "in.npy", "--out", tmp_path / "a.npy", "--model", "savgol")
    assert code == 0, err
    code, out, err = run(capsys, "refine", tmp_path / "in.npy", "--output", tmp_path / "b.npy", "--model", "savgol")
    assert code == 0, err
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def _worse_checkpoint(tmp_path):
    from synsp.refiners import shipped_models

    stem = shipped_models()["synsp-h36m17-3d-w8"]
    shutil.copy(stem.with_suffix(".safetensors"), tmp_path / "smoke.safetensors")
    card = json.loads(stem.with_suffix(".json").read_text())
    card["validation"] = dict(card["validation"], val_mpjpe=400.0, input_mpjpe=27.0)
    (tmp_path / "smoke.json").write_text(json.dumps(card))
    return tmp_path / "smoke"


def test_a_checkpoint_worse_than_its_input_warns_when_loaded(capsys, tmp_path):
    from synsp.models.checkpoint import worse_than_input
    from synsp.refiners import get_refiner

    assert worse_than_input({"val_mpjpe": 20.0, "input_mpjpe": 27.0}) is None
    assert worse_than_input({}) is None
    assert "angle error 13 is worse than its input's 12" in worse_than_input({"val_angle": 13.0, "input_angle": 12.0})
    stem = _worse_checkpoint(tmp_path)
    with pytest.warns(UserWarning, match=r"validation MPJPE 400 is worse than its input's 27 \(14.8x\)"):
        get_refiner(str(stem))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        get_refiner("synsp-h36m17-3d-w8")  # the shipped models are better than their input
    np.save(tmp_path / "in.npy", walk())
    code, out, err = run(capsys, "refine", tmp_path / "in.npy", "-o", tmp_path / "o.npy", "--model", stem)
    assert code == 0 and "synsp: warning: " in err and "makes data worse" in err


def test_training_that_ends_worse_than_its_input_says_so(capsys, tmp_path, monkeypatch):
    import synsp.training

    stem = _worse_checkpoint(tmp_path)
    monkeypatch.setattr(synsp.training, "train", lambda config, resume=False: stem)
    code, out, err = run(capsys, "train", "--epochs", "1", "--windows-per-epoch", "512", "-o", tmp_path / "run")
    assert code == 0 and "best checkpoint:" in out
    assert f"synsp: warning: {stem}: its validation MPJPE 400 is worse than its input's 27" in err


def test_benchmark_quick_echoes_one_seed_without_a_spread_column_or_an_input_throughput(capsys):
    code, out, _ = run(capsys, "benchmark", "--quick", "--methods", "savgol", "--presets", "h36m-fcn-like",
                       "--corpus", "")
    assert code == 0
    assert "--seeds 1" in out and "--seeds 3" not in out
    header = next(line for line in out.splitlines() if line.startswith("| method"))
    assert "±" not in header
    row = next(line for line in out.splitlines() if line.startswith("| input"))
    assert row.rstrip().endswith("| - |")


def test_a_joint_never_confident_but_predicted_in_every_frame_is_refined_as_synsp_refine_does_for_files():
    # MediaPipe and MMPose still predict a joint that is out of the image or hidden for a whole clip, at a low score;
    # the array API refused such input ("missing in all frames") where `synsp refine` refines the file
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1, (40, 33, 2)).cumsum(0) + 300
    conf = np.ones((40, 33))
    conf[:, 27:33] = 0.05  # the feet out of the image throughout
    for model in (None, "kalman-rts"):
        out, filled = synsp.refine(x, model=model, confidence=conf, skeleton="mediapipe33", return_filled=True)
        assert np.isfinite(out).all() and not filled.any()
        feet = slice(27, 33)
        jitter = lambda a: np.abs(np.diff(a[:, feet], 2, axis=0)).mean()  # noqa: E731
        assert jitter(out) < jitter(x)  # refined like the others, not left as they came
    x[3, 30] = np.nan  # one that is also lost in a frame could only be filled from nothing: as given, as files keep it
    with pytest.warns(UserWarning, match=r"joint 30 is missing .* in every frame: the others were refined with a "
                                         r"stand-in .* it comes back as given"):
        out = synsp.refine(x, confidence=conf, skeleton="mediapipe33")
    assert np.array_equal(out[:, 30], x[:, 30], equal_nan=True) and np.isfinite(np.delete(out, 30, axis=1)).all()


def test_a_joint_never_given_comes_back_as_given_and_the_others_are_refined_as_with_it_stood_in_for():
    # an array with a joint NaN throughout (OpenPose's feet never found) was refused; a file's track keeps it as written
    from synsp.data.corpus import load_corpus

    truth = load_corpus()[0].positions[:60].astype(np.float64)
    x = truth + np.random.default_rng(3).normal(0, 0.01, truth.shape)
    x[:, 3] = np.nan  # the right foot
    with pytest.warns(UserWarning, match=r"joint 3 is missing"):
        out, filled = synsp.refine(x, skeleton="h36m17", return_filled=True)
    assert np.isnan(out[:, 3]).all() and not filled[:, 3].any() and np.isfinite(np.delete(out, 3, axis=1)).all()
    error = lambda a: np.linalg.norm(np.delete(a - truth, 3, axis=1), axis=-1).mean()  # noqa: E731
    assert error(out) < 0.8 * error(x)  # the other joints refined
    stood_in = x.copy()
    stood_in[:, 3] = x[:, 2]  # its parent, the right knee: the stand-in
    np.testing.assert_allclose(np.delete(out, 3, axis=1), np.delete(synsp.refine(stood_in, skeleton="h36m17"), 3, 1))

    # a joint given before a cut and never after it: stood in for in that part alone (it was refused, "missing in all
    # 40 frames", naming the part's length as if it were the input's)
    cut = truth.copy()
    cut[30:] += np.array([3.0, 0.0, 0.0])
    cut[30:, 5] = np.nan
    with pytest.warns(UserWarning, match=r"joint\(s\) 5 missing in every frame of the part 30-59 between cuts"):
        out = synsp.refine(cut, skeleton="h36m17")
    assert np.isnan(out[30:, 5]).all() and np.isfinite(out[:30]).all() and np.isfinite(np.delete(out, 5, 1)).all()


def test_mediapipes_visibility_weighs_the_repair_and_no_landmark_is_filled():
    # the real lite BlazePose track of the Sports2D video: visibility= is what synsp refine does with a MediaPipe
    # file (repair weighted by it, every predicted position refined); confidence= fills the landmarks below 0.3
    from pathlib import Path

    from synsp.io._common import read_npz
    from synsp.repair import repair_inversions

    data = read_npz(Path(synsp.__file__).parent / "data" / "embedded" / "sports2d_blazepose3.npz")
    x, vis = np.asarray(data["lite"], dtype=np.float64)[5:165, :, :2], np.asarray(data["lite"])[5:165, :, 2]
    assert (vis < 0.3).any()
    out, filled = synsp.refine(x, visibility=vis, skeleton="mediapipe33", return_filled=True)
    assert not filled.any()
    repaired = repair_inversions(x, "mediapipe33", vis).poses
    np.testing.assert_allclose(out, synsp.refine(repaired, skeleton="mediapipe33", repair=False), atol=1e-9)
    assert not np.allclose(repaired, repair_inversions(x, "mediapipe33").poses)  # the weights change the repair
    _, filled_as_confidence = synsp.refine(x, confidence=vis, skeleton="mediapipe33", return_filled=True)
    assert filled_as_confidence.sum() == (vis < 0.3).sum()


def test_smpl_axis_angles_given_to_refine_as_points_are_named_in_a_warning():
    # smoothed as points, an axis-angle near pi (a half turn) wraps: an audit saw the root 113 degrees off
    import warnings

    from synsp.data.corpus import embedded_corpus_path, load_corpus
    from synsp.data.positions import split_positions

    rotations = load_corpus(rotations=True)[0].rotations[:60].astype(np.float64)
    with pytest.warns(UserWarning, match="may be SMPL axis-angle rotations.*refine_smpl"):
        synsp.refine(rotations, repair=False)
    positions = split_positions("smpl24", "test", "3d", 400, str(embedded_corpus_path()))[0][0][:60]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SMPL's 24 joint positions: no warning
        synsp.refine(positions, repair=False)
