"""A model trained on one's own skeleton (a custom ``custom<J>-<hash>`` joint set known only by its joint names) takes
named input by name: the same joints in another column order are reordered for it and back, names that are not its
joints are refused naming a few; unnamed input (a bare array) is taken in column order as before.  Starting weights
that do not fit a run's network name the card's architecture and the options that build it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from synsp.cli import main
from synsp.data.corpus import embedded_corpus_path
from synsp.models.checkpoint import ModelCard, save_model
from synsp.models.synsp import SynSP, SynSPConfig
from synsp.refiners import NetworkRefiner, SubsetRefiner, fit_refiner, get_refiner
from synsp.skeletons import SKELETONS, custom_skeleton, skeleton_of_names
from synsp.training import TrainConfig, train
from synsp.validation import SynspInputError

NAMES = ["hips", "spine", "head", "left_hand", "right_hand", "left_foot", "right_foot"]
PERM = [3, 0, 6, 2, 5, 1, 4]


def save_custom(stem, names=NAMES, skeleton=None):
    """A tiny 3D SynSP on ``names`` (a custom skeleton unless ``skeleton`` names a built-in one) whose refinement
    head is not zero, so that its output depends on which joint sits in which column."""
    torch.manual_seed(0)
    J = len(names)
    config = SynSPConfig(window=8, channels=(J + 1) * 3, mask_channels=J + 1, input_residual=True, d_model=16,
                         d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8)
    model = SynSP(config).eval()
    with torch.no_grad():
        for p in model.refinement_head.parameters():
            p.normal_(std=0.3)
    if skeleton is None:
        sk = custom_skeleton(names, parents=[-1, 0, 1, 1, 1, 0, 0])
        card = ModelCard(name="mine", architecture="synsp", config=config.to_dict(), skeleton=sk.name, dims=3,
                         window=8, mask=True, root_joints=sk.root_joints, skeleton_definition=sk.to_dict())
    else:
        card = ModelCard(name="mine", architecture="synsp", config=config.to_dict(), skeleton=skeleton, dims=3,
                         window=8, mask=True)
    return save_model(stem, model, card)


def motion(J=len(NAMES), T=60):
    rng = np.random.default_rng(1)
    return (np.cumsum(rng.normal(scale=0.01, size=(T, J, 3)), axis=0) + rng.normal(size=(1, J, 3))).astype(np.float32)


def refine_npz(tmp_path, name, x, **extra):
    np.savez(tmp_path / f"{name}.npz", keypoints=x, fps=30.0, **extra)
    code = main(["refine", str(tmp_path / f"{name}.npz"), "-o", str(tmp_path / f"{name}_out.npz"), "--model",
                 str(tmp_path / "mine"), "--no-repair", "--no-cuts"])
    return code, (np.load(tmp_path / f"{name}_out.npz")["keypoints"].reshape(x.shape) if code == 0 else None)


def test_named_columns_in_another_order_are_refined_as_the_models_joints(tmp_path, capsys):
    save_custom(tmp_path / "mine")
    x = motion()
    code, own = refine_npz(tmp_path, "own", x, joint_names=np.array(NAMES))
    assert code == 0
    code, moved = refine_npz(tmp_path, "moved", x[:, PERM], joint_names=np.array(NAMES)[PERM])
    assert code == 0
    np.testing.assert_allclose(moved[:, np.argsort(PERM)], own, atol=1e-5)  # was 0.1 m away: columns taken as joints
    # names spelled otherwise (case, separators) are the same joints
    spelled = [n.upper().replace("_", "-") for n in NAMES]
    code, upper = refine_npz(tmp_path, "upper", x[:, PERM], joint_names=np.array(spelled)[PERM])
    assert code == 0
    np.testing.assert_allclose(upper[:, np.argsort(PERM)], own, atol=1e-5)
    # a bare array names nothing: its columns are the model's joints, as before
    code, bare = refine_npz(tmp_path, "bare", x[:, PERM])
    assert code == 0
    assert np.abs(bare[:, np.argsort(PERM)] - own).max() > 1e-3


def test_names_that_are_not_the_models_joints_are_refused(tmp_path, capsys):
    save_custom(tmp_path / "mine")
    x = motion()
    capsys.readouterr()
    code, _ = refine_npz(tmp_path, "markers", x, joint_names=np.array([f"marker{i}" for i in range(len(NAMES))]))
    err = capsys.readouterr().err
    assert code == 2 and not (tmp_path / "markers_out.npz").exists()
    assert "marker0, marker1" in err and "hips, spine" in err and "joint names" in err, err
    assert "leave the model out" in err and "joint_names" in err, err


def test_fit_refiner_takes_a_named_skeleton_by_name(tmp_path):
    refiner = get_refiner(save_custom(tmp_path / "mine"))
    own = refiner.card.skeleton
    J = len(NAMES)
    assert fit_refiner(refiner, J) is refiner  # unnamed
    assert fit_refiner(refiner, J, None, NAMES) is refiner  # its own names in its own order
    moved = fit_refiner(refiner, J, skeleton_of_names([NAMES[i] for i in PERM]))
    assert isinstance(moved, SubsetRefiner) and moved.subset == [PERM.index(j) for j in range(J)]
    x = motion()
    np.testing.assert_allclose(moved(x[:, PERM])[:, np.argsort(PERM)], refiner(x), atol=1e-5)
    # unrelated names of another count: refused naming them (the network's check named only a joint count)
    other = skeleton_of_names([f"m{i}" for i in range(J + 2)])
    with pytest.raises(SynspInputError, match=rf"{own} .*m0, m1, m2, m3, \.\.\. \({J + 2} in all\)"):
        fit_refiner(refiner, J + 2, other)
    # the same joints and a few more: the extra ones follow (as for built-in skeletons)
    more = skeleton_of_names(NAMES + ["left_eye"])
    assert isinstance(fit_refiner(refiner, J + 1, more), SubsetRefiner)


def test_a_builtin_network_reorders_its_own_joint_names_and_leaves_other_names_alone(tmp_path):
    names = list(SKELETONS["h36m17"].joints)
    refiner = get_refiner(save_custom(tmp_path / "h36", names=names, skeleton="h36m17"))
    assert isinstance(refiner, NetworkRefiner)
    perm = np.random.default_rng(0).permutation(17)
    moved = fit_refiner(refiner, 17, None, [names[i] for i in perm])
    x = motion(J=17)
    np.testing.assert_allclose(moved(x[:, perm])[:, np.argsort(perm)], refiner(x), atol=1e-5)
    assert fit_refiner(refiner, 17, None, [f"p{i}" for i in range(17)]) is refiner  # not its names: as before


def test_init_weights_of_another_network_name_the_options_that_build_it(tmp_path):
    config = TrainConfig(name="tiny", corpus=str(embedded_corpus_path()), train_split="test", val_split="test",
                         epochs=1, windows_per_epoch=64, batch_size=32, val_frames=150, out=str(tmp_path / "r"),
                         init="synsp-universal-w16")
    with pytest.raises(SynspInputError) as err:  # said only "183 tensor(s) missing (spectral_gain, ...)"
        train(config, progress=False)
    said = str(err.value)
    assert "do not fit" in said and "they are a universal network, window 16" in said, said
    assert "--architecture universal --window 16 --option d_model=64" in said, said
    assert "(--from synsp-universal-w16 instead of --init)" in said, said
    assert not (tmp_path / "r").exists()


def test_the_skeleton_of_ones_own_model_can_be_named_on_the_command_line(tmp_path, capsys):
    """`synsp refine --skeleton custom7-... --model mine`: the name is the model's card's, known once it is loaded
    (it failed as an unknown skeleton, read before the model)."""
    from synsp.skeletons import SKELETONS

    save_custom(tmp_path / "mine")
    own = custom_skeleton(NAMES, parents=[-1, 0, 1, 1, 1, 0, 0]).name
    SKELETONS.pop(own, None)  # a fresh process: the name is the card's only
    assert own not in SKELETONS
    np.save(tmp_path / "bare.npy", motion())
    assert main(["inspect", str(tmp_path / "bare.npy"), "--model", str(tmp_path / "mine"), "--skeleton", own]) == 0
    SKELETONS.pop(own, None)
    assert main(["refine", str(tmp_path / "bare.npy"), "-o", str(tmp_path / "out.npy"), "--model",
                 str(tmp_path / "mine"), "--skeleton", own, "--no-repair"]) == 0, capsys.readouterr().err
