"""The universal model: one set of weights for any joint set and for 2D and 3D."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from synsp.data.corpus import embedded_corpus_path
from synsp.models.checkpoint import ModelCard, load_model, save_model
from synsp.models.universal import UniversalConfig, UniversalSynSP, token_quality
from synsp.normalization import CENTROID
from synsp.refiners import NetworkRefiner
from synsp.training import TrainConfig, train
from synsp.validation import SynspInputError

TINY = dict(d_model=16, d_inner=16, n_layers=1, n_refine_layers=1, n_head=2, d_k=8, d_v=8)


def _trained_like(seed=0, **kw) -> UniversalSynSP:
    """A tiny network whose heads are not zero (as after training), in eval mode."""
    torch.manual_seed(seed)
    model = UniversalSynSP(UniversalConfig(**{**TINY, **kw}))
    with torch.no_grad():
        for head in (model.position_head, model.acceleration_head, model.refinement_head):
            torch.nn.init.normal_(head[-1].weight, std=0.1)
    return model.eval()


def _card(**kw) -> ModelCard:
    return ModelCard(name="uni", architecture="universal", config={**TINY, "window": 8}, skeleton="any", dims=3,
                     window=8, normalization=CENTROID, mask=True, **kw)


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("joints", [5, 17, 33])
def test_an_untrained_network_returns_its_input(dims, joints, skip):
    torch.manual_seed(0)
    model = UniversalSynSP(UniversalConfig(**TINY, coefficient_skip=skip)).eval()
    x = torch.randn(4, 8, (joints + 1) * dims)
    out = model(x, dims=dims)
    for y in out:  # zero-started heads: every output is the input (first, do no harm)
        assert y.shape == x.shape
        torch.testing.assert_close(y, x, atol=1e-5, rtol=0)


@pytest.mark.parametrize("skip", [False, True])
def test_joints_are_tokens_permuting_them_permutes_the_output(skip):
    model = _trained_like(coefficient_skip=skip)
    J, D = 12, 3
    x = torch.randn(3, 8, J + 1, D)
    perm = torch.cat([torch.randperm(J), torch.tensor([J])])  # the trajectory token stays last
    y = model(x.reshape(3, 8, -1), dims=D).final.reshape(3, 8, J + 1, D)
    y_perm = model(x[:, :, perm].reshape(3, 8, -1), dims=D).final.reshape(3, 8, J + 1, D)
    torch.testing.assert_close(y_perm, y[:, :, perm], atol=1e-5, rtol=1e-4)


def test_the_same_weights_refine_2d_and_3d_and_2d_is_not_3d_with_zero_depth():
    model = _trained_like()
    x2 = torch.randn(2, 8, 18 * 2)
    y2 = model(x2, dims=2).final
    x3 = torch.cat([x2.reshape(2, 8, 18, 2), torch.zeros(2, 8, 18, 1)], dim=-1).reshape(2, 8, -1)
    y3 = model(x3, dims=3).final.reshape(2, 8, 18, 3)[..., :2].reshape(2, 8, -1)
    assert y2.shape == x2.shape
    assert not torch.allclose(y2, y3, atol=1e-4)  # the 2D flag tells the network the depth is unknown


def test_token_quality_is_one_where_the_branches_agree_and_lower_where_they_do_not():
    p = torch.zeros(1, 2, 3, 8)
    a = p.clone()
    a[0, 1, :, 4] = 1.0  # token 1 disagrees at frame 4
    q = token_quality(p, a)
    assert q.shape == (1, 2, 8)
    agree = float(np.exp(-0.1))  # the paper's formula: exp(-1e-6 / 1e-5) where the branches agree exactly
    torch.testing.assert_close(q[0, 0], torch.full((8,), agree))
    assert q[0, 1, 4] < 0.4 and q[0, 1, 0] > 0.99  # relative to the token's worst frame


def test_wrong_shapes_are_named():
    model = UniversalSynSP(UniversalConfig(**TINY))
    with pytest.raises(SynspInputError, match="N \\* D"):
        model(torch.randn(2, 8, 37), dims=3)
    with pytest.raises(SynspInputError, match="N \\* D"):
        model(torch.randn(2, 8, 36), dims=4)


def test_the_refiner_takes_any_joint_count_and_follows_translation(tmp_path):
    stem = save_model(tmp_path / "uni", _trained_like(), _card())
    model, card = load_model(stem)
    refiner = NetworkRefiner(model, card)
    rng = np.random.default_rng(0)
    for shape in [(30, 7, 3), (30, 40, 3), (30, 21, 2), (5, 25, 2)]:
        x = rng.normal(size=shape)
        y = refiner(x)
        assert y.shape == x.shape and np.isfinite(y).all()
        shift = np.array([5.0, -3.0, 2.0][: shape[-1]])
        np.testing.assert_allclose(refiner(x + shift), y + shift, atol=1e-4)  # centroid-relative windows
        assert np.abs(y - x).max() > 1e-3  # the (non-zero) heads do change the poses


def test_cards_of_the_universal_architecture_are_checked(tmp_path):
    good = dataclasses.asdict(_card())
    ModelCard.from_dict(good)
    ModelCard.from_dict({**good, "causal": True})  # a zero-delay universal model (trained with --causal)
    for bad, field in (({"skeleton": "h36m17"}, "skeleton"), ({"normalization": "window-root-rms"}, "normalization"),
                       ({"views": 2}, "views")):  # the message names the field that is wrong
        with pytest.raises(SynspInputError, match=f"'{field}' is .*universal"):
            ModelCard.from_dict({**good, **bad})
    with pytest.raises(SynspInputError, match="normalization"):  # a SynSP card may not claim the centroid rule
        ModelCard.from_dict(json.loads(json.dumps({**good, "architecture": "synsp",
                                                   "config": {"window": 8, "channels": 54}})))


def test_training_on_two_joint_sets_2d_and_subsets_gives_a_loadable_any_skeleton_model(tmp_path):
    config = TrainConfig(name="uni", architecture="universal", model=TINY, skeleton="h36m17", skeletons=["coco17"],
                         mix_2d=0.5, joint_subsets=0.5, preset="mixed", corpus=str(embedded_corpus_path()),
                         train_split="test", val_split="test", epochs=1, windows_per_epoch=128, batch_size=32,
                         val_frames=150, out=str(tmp_path / "run"))
    model, card = load_model(train(config, progress=False))
    assert card.architecture == "universal" and card.skeleton == "any" and card.normalization == CENTROID
    assert card.recipe["skeletons"] == ["coco17"] and card.recipe["mix_2d"] == 0.5
    refiner = NetworkRefiner(model, card)
    for shape in [(40, 17, 3), (40, 24, 3), (40, 33, 2)]:
        x = np.random.default_rng(1).normal(size=shape)
        assert refiner(x).shape == shape


def test_universal_only_settings_are_refused_for_other_architectures(tmp_path):
    with pytest.raises(SynspInputError, match="universal"):
        TrainConfig(skeletons=["coco17"]).validate()
    with pytest.raises(SynspInputError, match="view_consensus"):
        TrainConfig(architecture="universal", views=2).validate()


def test_many_joints_are_refined_a_few_windows_at_a_time(tmp_path):
    """Attention across joints costs J^2 per window: the refiner batches fewer windows for thousands of points,
    and the result does not depend on the batch."""
    assert UniversalSynSP.max_batch(18) == 256 and UniversalSynSP.max_batch(1501) == 1  # a body: capped (memory)
    assert UniversalSynSP.tokens(43, 6) == 86 and UniversalSynSP.tokens(43, 3) == 44  # rotations: two per joint
    stem = save_model(tmp_path / "uni", _trained_like(), _card())
    model, card = load_model(stem)
    x = np.random.default_rng(0).normal(size=(20, 500, 2))  # 13 windows of 501 tokens
    calls = []
    original = model.forward
    model.forward = lambda *a, **k: calls.append(a[0].shape[0]) or original(*a, **k)
    y = NetworkRefiner(model, card)(x)
    assert max(calls) == UniversalSynSP.max_batch(501) == 8 and sum(calls) == 13 and y.shape == x.shape
    model.forward = original
    np.testing.assert_allclose(y, NetworkRefiner(model, card, batch=2)(x), atol=1e-5)


@pytest.mark.parametrize("name", ["synsp-universal-w8", "synsp-universal-w16"])
def test_the_shipped_universal_model_does_no_harm_and_helps_on_a_joint_set_it_never_saw(name):
    """smpl24 positions were held out of training: on the embedded test split, clean motion comes back within
    1 mm (0.15 mm on the full split), and spiky errors (a family never trained on) end below Butterworth."""
    from synsp.data.positions import split_positions
    from synsp.error_families import simulate_family
    from synsp.filters import get_filter
    from synsp.metrics import mpjpe
    from synsp.refiners import get_refiner

    refiner = get_refiner(name)
    clips = [g for g, _ in split_positions("smpl24", "test", "3d", 1500)]
    added = np.mean([1000 * mpjpe(refiner(g, fps=30.0), g).mean() for g in clips])
    assert added < 1.0
    noisy = [simulate_family(g, "spiky", skeleton="smpl24", fps=30.0, seed=i, level=0.03).pred
             for i, g in enumerate(clips)]
    err = lambda f: np.mean([mpjpe(f(x, fps=30.0), g).mean() for x, g in zip(noisy, clips)])  # noqa: E731
    base = np.mean([mpjpe(x, g).mean() for x, g in zip(noisy, clips)])
    assert err(refiner) < 0.6 * base and err(refiner) < err(get_filter("butterworth"))
    pixels = [g for g, _ in split_positions("coco17", "test", "2d", 1500)]  # 2D, the same weights
    size = np.mean([np.ptp(g[..., 1]) for g in pixels])
    assert np.mean([mpjpe(refiner(g, fps=30.0), g).mean() for g in pixels]) < 0.003 * size


def test_a_cards_stride_is_the_refiners_default_and_export_sets_it(tmp_path):
    """``stride`` in a card: offline windows start every ``stride`` frames unless the caller says otherwise;
    out of 1..W it is refused; ``synsp export --stride`` writes it."""
    from synsp.cli import main

    stem = save_model(tmp_path / "uni", _trained_like(), _card())
    assert main(["export", str(stem), "-o", str(tmp_path / "s2"), "--stride", "2"]) == 0
    model, card = load_model(tmp_path / "s2")
    assert card.stride == 2 and NetworkRefiner(model, card).stride == 2
    x = np.random.default_rng(0).normal(size=(40, 9, 3))
    every, second = NetworkRefiner(model, card, stride=1)(x), NetworkRefiner(model, card)(x)
    assert not np.allclose(every, second, atol=1e-6)  # fewer windows averaged: a (slightly) different result
    with pytest.raises(SynspInputError, match="stride"):
        ModelCard.from_dict({**dataclasses.asdict(card), "stride": 9})  # above the 8-frame window
    assert main(["export", str(stem), "-o", str(tmp_path / "bad"), "--stride", "9"]) == 2
    assert not (tmp_path / "bad.json").exists()


def _rot6d_windows(n, W, J, seed=0):
    from synsp.geometry import axis_angle_to_rot6d

    return torch.as_tensor(axis_angle_to_rot6d(np.random.default_rng(seed).normal(scale=0.5, size=(n, W, J, 3))),
                           dtype=torch.float32).reshape(n, W, J * 6)


def test_with_rotations_the_same_weights_take_6d_rotations_as_two_column_tokens_per_joint():
    torch.manual_seed(0)
    untrained = UniversalSynSP(UniversalConfig(**TINY, rotations=True)).eval()
    x = _rot6d_windows(3, 8, 24)
    mask = torch.zeros(3, 8, 24)
    for y in untrained(x, mask=mask, dims=6):  # zero-started heads: the rotations come back as they went in
        torch.testing.assert_close(y, x, atol=1e-5, rtol=0)
    assert untrained.accepts_dims == (2, 3, 6)
    model = _trained_like(rotations=True)
    J = 10
    x = _rot6d_windows(2, 8, J)
    y = model(x, mask=torch.zeros(2, 8, J), dims=6).final.reshape(2, 8, J, 6)
    perm = torch.randperm(J)  # joints are tokens (two per joint): permuting joints permutes the output
    y_perm = model(x.reshape(2, 8, J, 6)[:, :, perm].reshape(2, 8, -1), mask=torch.zeros(2, 8, J), dims=6).final
    torch.testing.assert_close(y_perm.reshape(2, 8, J, 6), y[:, :, perm], atol=1e-5, rtol=1e-4)
    with pytest.raises(SynspInputError, match="expected \\(2, 8, 10\\)"):
        model(x, mask=torch.zeros(2, 8, 11), dims=6)
    with pytest.raises(SynspInputError, match="D in"):  # a model without rotations refuses 6D windows
        _trained_like()(x, dims=6)


def test_a_model_widened_for_rotations_refines_positions_exactly_as_before():
    source = _trained_like()
    widened = UniversalSynSP(UniversalConfig(**TINY, rotations=True)).eval()
    widened.load_state_without_rotations(source.state_dict())
    x = torch.randn(2, 8, 18 * 3)
    torch.testing.assert_close(widened(x, dims=3).final, source(x, dims=3).final)
    x2 = torch.randn(2, 8, 18 * 2)
    torch.testing.assert_close(widened(x2, dims=2).final, source(x2, dims=2).final)
    with pytest.raises(SynspInputError, match="without rotations"):
        widened.load_state_without_rotations(widened.state_dict())


def test_a_universal_model_with_rotations_refines_smpl_rotations_through_the_rotation_api(tmp_path):
    from synsp.rotations import RotationNetwork, refine_rotations, rotation_filter

    card = dataclasses.replace(_card(), config={**TINY, "window": 8, "rotations": True})
    stem = save_model(tmp_path / "uni-rot", UniversalSynSP(UniversalConfig(**TINY, window=8, rotations=True)), card)
    assert isinstance(rotation_filter(str(stem)), RotationNetwork)
    rng = np.random.default_rng(0)
    rotvec = np.cumsum(rng.normal(scale=0.02, size=(60, 24, 3)), axis=0) + rng.normal(scale=0.3, size=(1, 24, 3))
    out = refine_rotations(rotvec, str(stem), fps=30)
    # an untrained network is the identity: the rotations come back (Gram-Schmidt of their own 6D vectors)
    np.testing.assert_allclose(out, rotvec, atol=1e-4)
    stem = save_model(tmp_path / "trained", _trained_like(window=8, rotations=True), card)
    out = refine_rotations(rotvec, str(stem), fps=30)
    assert out.shape == rotvec.shape and np.isfinite(out).all() and np.abs(out - rotvec).max() > 1e-3
    positions = NetworkRefiner(*load_model(stem))(rng.normal(size=(30, 17, 3)))  # and positions, same weights
    assert positions.shape == (30, 17, 3)
    with pytest.raises(SynspInputError, match="cannot refine rotations"):  # a positions-only universal model
        rotation_filter(str(save_model(tmp_path / "pos", _trained_like(window=8), _card())))


def test_training_the_universal_model_on_rotations_too(tmp_path):
    config = TrainConfig(name="uni", architecture="universal", model={**TINY, "rotations": True}, skeleton="h36m17",
                         mix_rotations=0.4, w_fk=1.0, preset="mixed", corpus=str(embedded_corpus_path()),
                         train_split="test", val_split="test", epochs=1, windows_per_epoch=128, batch_size=32,
                         val_frames=150, out=str(tmp_path / "run"))
    model, card = load_model(train(config, progress=False))
    assert card.recipe["mix_rotations"] == 0.4 and card.recipe["w_fk"] == 1.0 and model.accepts_dims == (2, 3, 6)
    start = dataclasses.replace(config, epochs=1, out=str(tmp_path / "from-positions"),
                                init=str(save_model(tmp_path / "pos", _trained_like(window=8), _card())))
    load_model(train(start, progress=False))  # --init from a model without rotations widens it
    with pytest.raises(SynspInputError, match="rotations=true"):
        TrainConfig(architecture="universal", mix_rotations=0.3).validate()
    with pytest.raises(SynspInputError, match="below 1"):
        TrainConfig(architecture="universal", model={"rotations": True}, mix_2d=0.5, mix_rotations=0.5).validate()
    with pytest.raises(SynspInputError, match="w_fk"):  # a body loss needs rotation batches
        TrainConfig(architecture="universal", w_fk=1.0).validate()


def test_joint_structure_of_a_skeleton_and_of_a_subset_of_it():
    from synsp.skeletons import get_skeleton, joint_structure

    sk = get_skeleton("h36m17")
    parents, info = joint_structure("h36m17")
    assert tuple(parents) == sk.parents and info.shape == (17, 3)
    wrist, thorax, pelvis = sk.joints.index("left_wrist"), sk.joints.index("thorax"), sk.joints.index("pelvis")
    assert info[pelvis].tolist() == [0.0, 0.0, 0.0]  # the root: depth 0, has children, on the midline
    assert info[wrist].tolist() == [1.0, 1.0, 1.0]  # the deepest joint, an extremity, on the left
    assert info[sk.joints.index("right_wrist"), 2] == -1.0 and info[thorax, 1:].tolist() == [0.0, 0.0]
    # a subset: each joint's nearest kept ancestor (the wrist's elbow gone: the shoulder), -1 where none is kept
    keep = [sk.joints.index(n) for n in ("left_wrist", "left_shoulder", "right_knee")]
    parents, info = joint_structure("h36m17", keep)
    assert parents.tolist() == [1, -1, -1] and info[0].tolist() == [1.0, 1.0, 1.0]


def test_a_model_widened_for_joint_structure_starts_as_it_was_and_then_reads_the_bones():
    from synsp.skeletons import joint_structure

    source = _trained_like(window=8)
    widened = UniversalSynSP(UniversalConfig(**TINY, window=8, joint_structure=True)).eval()
    widened.load_state_without_joint_structure(source.state_dict())
    structure = tuple(torch.as_tensor(a) for a in joint_structure("h36m17"))
    x = torch.randn(3, 8, 18 * 3)
    with torch.no_grad():
        same = source(x, dims=3).final
        torch.testing.assert_close(widened(x, dims=3).final, same)
        torch.testing.assert_close(widened(x, dims=3, structure=structure).final, same)
        widened.embedding[0].weight[:, -3 * 8:] = 0.5  # the bone columns, once trained, change the output
        assert not torch.allclose(widened(x, dims=3, structure=structure).final, widened(x, dims=3).final)
        with pytest.raises(SynspInputError, match="structure must be"):  # another joint set's structure
            widened(x, dims=3, structure=tuple(torch.as_tensor(a) for a in joint_structure("smpl24")))
    with pytest.raises(SynspInputError, match="joint_structure"):
        source.load_state_without_joint_structure(source.state_dict())
    with pytest.raises(SynspInputError, match="not with rotations"):
        UniversalConfig(**TINY, joint_structure=True, rotations=True)


def test_the_refiner_tells_a_structured_model_the_skeleton_it_can_name(tmp_path):
    from synsp.refiners import fit_refiner

    model = UniversalSynSP(UniversalConfig(**TINY, window=8, joint_structure=True)).eval()
    seen = []
    forward = model.forward
    model.forward = lambda *a, **kw: seen.append(kw.get("structure")) or forward(*a, **kw)
    refiner = NetworkRefiner(model, dataclasses.replace(_card(), config={**TINY, "window": 8,
                                                                          "joint_structure": True}))
    x = np.random.default_rng(0).normal(size=(20, 24, 3))
    refiner(x)
    assert seen and all(s is None for s in seen)  # not told: a joint set of unknown structure
    seen.clear()
    told = fit_refiner(refiner, 24, "smpl24")
    assert told is not refiner and told.joint_set == "smpl24" and refiner.joint_set is None
    out = told(x)
    assert out.shape == x.shape and seen and all(s is not None and s[0].shape == (24,) for s in seen)
    seen.clear()
    assert fit_refiner(refiner, 17, None) is refiner  # 17 joints alone: Human3.6M's or COCO's, not guessed
    plain = NetworkRefiner(_trained_like(window=8), _card())
    assert plain.told("h36m17") is plain  # a model without the option is not changed


def test_training_a_structured_model_tells_it_the_structure_on_most_steps(tmp_path):
    from synsp.training import STRUCTURE_UNTOLD, _told_structure

    config = TrainConfig(name="uni", architecture="universal", model={**TINY, "joint_structure": True},
                         skeleton="h36m17", joint_subsets=0.5, preset="mixed", corpus=str(embedded_corpus_path()),
                         train_split="test", val_split="test", epochs=1, windows_per_epoch=128, batch_size=32,
                         val_frames=150, out=str(tmp_path / "run"),
                         init=str(save_model(tmp_path / "plain", _trained_like(window=8), _card())))
    model, card = load_model(train(config, progress=False))  # --init from a model without the option widens it
    assert model.config.joint_structure and card.config["joint_structure"] is True
    told = [_told_structure(config, model, "h36m17", None, None, 0, step) for step in range(400)]
    share = np.mean([t is None for t in told])
    assert abs(share - STRUCTURE_UNTOLD) < 0.08
    assert all(t[0].shape == (17,) for t in told if t is not None)
    keep = np.array([0, 4, 5, 6])
    parents, info = _told_structure(config, model, "h36m17", keep, None, 0, next(i for i, t in enumerate(told) if t))
    assert parents.tolist() == [-1, 0, 1, 2] and info.shape == (4, 3)
    extra = (np.array([0]), np.array([1]), np.array([0.5]))  # points along bones have no place in the skeleton
    assert all(_told_structure(config, model, "h36m17", None, extra, 0, s) is None for s in range(20))
    assert _told_structure(config, _trained_like(window=8), "h36m17", None, None, 0, 1) is None
    bad = dataclasses.replace(config, model={**TINY, "joint_structure": True, "rotations": True}, mix_rotations=0.3,
                              init=None, out=str(tmp_path / "refused"))
    with pytest.raises(SynspInputError, match="not with rotations"):  # the network's own rule, before any folder
        train(bad, progress=False)
    assert not (tmp_path / "refused").exists()


def test_the_universal_model_trains_on_smpl24_positions_the_corpus_makes_by_forward_kinematics(tmp_path):
    from synsp.training import _universal_sources

    config = TrainConfig(name="uni", architecture="universal", model=dict(TINY), skeleton="h36m17",
                         skeletons=("smpl24",), preset="mixed", corpus=str(embedded_corpus_path()),
                         train_split="test", val_split="test", epochs=1, windows_per_epoch=64, batch_size=32,
                         val_frames=150, out=str(tmp_path / "run"))
    sources = _universal_sources(config.resolved(), str(embedded_corpus_path()), 8)
    assert [(name, rep) for _, name, rep, _ in sources] == [("h36m17", "3d"), ("smpl24", "3d")]
    item = sources[1][0][0]
    assert item["gt"].shape == (8, 24 * 3) and np.isfinite(item["gt"].numpy()).all()
    _, card = load_model(train(config, progress=False))
    assert card.recipe["skeletons"] == ["smpl24"]
