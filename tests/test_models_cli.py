"""`synsp models` lists models and filters with the defaults; `--model filter:param=value` and run folders."""

import shutil

import numpy as np
import pytest

import synsp
from synsp.cli import main
from synsp.filters import FILTER_NOTES, FILTERS, OneEuroFilter
from synsp.refiners import WEIGHTS_DIR, get_refiner, shipped_models
from synsp.validation import SynspInputError


def test_models_lists_the_filters_and_marks_the_defaults(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert set(FILTER_NOTES) == set(FILTERS)
    for name in FILTERS:  # one line each, with its delay
        assert sum(line.startswith(f"  {name}:") or line.startswith(f"  {name} [") for line in lines) == 1, name
    assert any(line.startswith("  butterworth [default for a hand or face alone, one point") for line in lines)
    assert any(line.startswith("  savgol-mmpose [synsp.Stream()'s default for a hand or face alone]") for line in lines)
    models = shipped_models()
    if "synsp-universal-w16" in models:  # the default for one person's body, any joint set, 2D or 3D
        marked = next(line for line in lines if line.startswith("  synsp-universal-w16 ["))
        assert all(f"{s} {d}D" in marked for s in ("h36m17", "coco17", "mediapipe33", "body25") for d in (2, 3))
        assert "coco133 2D" in marked  # a whole body: its body and feet, the face and hands following them
        assert "any other body of 2-200 points in 2D or 3D" in marked  # a custom rig, a 22-marker TRC
    if "synsp-universal-w16-rot" in models:  # one set of weights for 2D, 3D and 6D rotations
        marked = next(line for line in lines if line.startswith("  synsp-universal-w16-rot ["))
        assert "rotations (SMPL's 24 joints, SMPL-X/-H bodies" in marked and "2D, 3D and rotations (6D)" in marked
    if "synsp-universal-w8" in models:  # input below 29.7 fps (synsp.api.LOW_RATE_FPS), at its own rate
        assert any(line.startswith("  synsp-universal-w8 [default for the same bodies below 29.7 fps, synsp.Stream()]")
                   for line in lines)
    if "synsp-universal-w16-views" in models:  # --views: 3D views refined together by it, then fused
        marked = next(line for line in lines if line.startswith("  synsp-universal-w16-views ["))
        assert "[default for synsp refine --views (3D views, then fused)]" in marked
        assert "--views" not in next(line for line in lines if line.startswith("  synsp-universal-w16 ["))
    if "synsp-coco17-2d-w8" in models:  # no longer the default for any skeleton (the universal model is)
        assert any(line.startswith("  synsp-coco17-2d-w8: synsp, coco17 2D") for line in lines)
    assert "trained with" not in out and "synsp train" not in out  # the commands are in `synsp models NAME`


def test_models_name_gives_the_whole_card_or_the_filter_parameters(capsys):
    name = next(iter(shipped_models()))
    assert main(["models", name]) == 0
    assert "command: synsp train" in capsys.readouterr().out
    assert main(["models", "one-euro"]) == 0
    out = capsys.readouterr().out
    assert "min_cutoff=0.04" in out and "beta=0.7" in out
    assert main(["models", "nonsense"]) == 2
    assert "synsp models lists them" in capsys.readouterr().err


def test_a_filter_with_parameters_by_name():
    f = get_refiner("one-euro:min_cutoff=1,beta=0.01")
    assert isinstance(f, OneEuroFilter) and f.min_cutoff == 1.0 and f.beta == 0.01
    assert get_refiner("savgol-mmpose:window=7").window == 7
    x = np.cumsum(np.random.default_rng(0).normal(size=(40, 17, 3)), axis=0).astype(np.float32)
    via_name = synsp.refine(x, model="one-euro:min_cutoff=1", repair=False)
    via_object = synsp.refine(x, model=OneEuroFilter(min_cutoff=1.0), repair=False)
    np.testing.assert_array_equal(via_name, via_object)


@pytest.mark.parametrize("spec, words", [
    ("one-euro:cutoff=1", "no parameter cutoff; expected some of beta, d_cutoff, min_confidence, min_cutoff"),
    ("one-euro:min_cutoff", "is not name=value"),
    ("one-euro:min_cutoff=fast", "is not a number"),
    ("one-euro:min_cutoff=-1", "min_cutoff"),
])
def test_a_bad_filter_parameter_is_one_line_naming_the_valid_ones(spec, words):
    with pytest.raises(SynspInputError) as err:
        synsp.refine(np.zeros((20, 17, 3)), model=spec)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_cli_model_with_parameters_and_a_run_folder(tmp_path, capsys):
    x = np.cumsum(np.random.default_rng(1).normal(size=(60, 17, 3)), axis=0)
    np.save(tmp_path / "in.npy", x)
    assert main(["refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "a.npy"),
                 "--model", "butterworth:cutoff=3,order=2"]) == 0
    assert main(["refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "b.npy"), "--model", "butterworth"]) == 0
    assert not np.allclose(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))
    capsys.readouterr()
    assert main(["refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "c.npy"),
                 "--model", "butterworth:q=3"]) == 2
    err = capsys.readouterr().err
    assert "no parameter q; expected some of" in err and "cutoff" in err and len(err.strip().splitlines()) == 1

    run = tmp_path / "runs" / "x"
    run.mkdir(parents=True)
    for suffix in (".json", ".safetensors"):
        shutil.copy(WEIGHTS_DIR / f"synsp-h36m17-3d-w8{suffix}", run / f"best{suffix}")
    assert main(["refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "d.npy"), "--model", str(run)]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "d.npy"),
                               synsp.refine(x, model="synsp-h36m17-3d-w8"), atol=1e-6)
