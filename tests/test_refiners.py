"""NetworkRefiner and checkpoints: the full inference path around a window network."""

import json

import numpy as np
import pytest
import torch

from synsp.models.checkpoint import ModelCard, load_model, save_model
from synsp.models.synsp import SynSP, SynSPConfig
from synsp.refiners import NetworkRefiner, get_refiner, resample_time
from synsp.validation import SynspInputError

SMALL = dict(d_model=16, d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8)


def identity_refiner(views=1, mask=True, window=8):
    """A SynSP whose final output equals its input (residual on, refinement head zeroed)."""
    J, D = 17, 3
    config = SynSPConfig(window=window, channels=(J + 1) * D, mask_channels=(J + 1) if mask else 0,
                         input_residual=True, **SMALL)
    model = SynSP(config)
    for p in model.refinement_head.parameters():
        torch.nn.init.zeros_(p)
    card = ModelCard(name="identity", architecture="synsp", config=config.to_dict(), skeleton="h36m17",
                     dims=3, window=window, views=views, mask=mask)
    return model, card


def motion(T, P=None, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None, None] / 30.0
    x = rng.normal(size=(1, 17, 3)) * 0.3 + np.sin(2 * np.pi * 0.5 * t + rng.normal(size=(1, 17, 3)))
    x = x + np.array([1.0, 0.0, 3.0]) * t  # walking away: a world trajectory
    return x if P is None else np.stack([x + 0.1 * p for p in range(P)], axis=1)


@pytest.mark.parametrize("T", [1, 5, 8, 9, 100])
def test_identity_network_reproduces_the_input(T):
    refiner = NetworkRefiner(*identity_refiner())
    x = motion(T)
    np.testing.assert_allclose(refiner(x), x, atol=1e-5)


def test_persons_are_refined_independently_and_in_small_batches():
    model, card = identity_refiner()
    x = motion(40, P=3)
    out = NetworkRefiner(model, card, batch=7)(x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, x, atol=1e-5)


def test_missing_joints_are_filled_and_reported():
    refiner = NetworkRefiner(*identity_refiner())
    x = motion(30)
    holed = x.copy()
    holed[10:13, 5] = np.nan
    conf = np.ones((30, 17))
    conf[20, 7] = 0.1
    out, filled = refiner(holed, confidence=conf, return_filled=True)
    assert np.isfinite(out).all()
    assert filled[10:13, 5].all() and filled[20, 7] and filled.sum() == 4
    # the gap follows the motion's curve (synsp.missing.curved_fill; the identity network keeps it): far closer
    # to the truth than the straight line between its ends
    from synsp.missing import interpolate_missing

    np.testing.assert_allclose(out, interpolate_missing(holed, conf < 0.3, curved=True)[0], atol=1e-5)
    line = (x[9, 5] * 2 + x[13, 5] * 2) / 4
    assert np.linalg.norm(out[10:13, 5] - x[10:13, 5]) < 0.2 * np.linalg.norm(line - x[11, 5])


def test_other_frame_rates_are_resampled_and_come_back_at_the_input_times():
    refiner = NetworkRefiner(*identity_refiner())
    t = np.arange(120) / 60.0
    x = np.zeros((120, 17, 3)) + (0.5 * t)[:, None, None]  # linear motion survives linear resampling
    out = refiner(x, fps=60)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, x, atol=1e-5)
    np.testing.assert_allclose(resample_time(resample_time(x, 60), 120), x, atol=1e-12)


def test_multiview_model_refines_views_together():
    model, card = identity_refiner(views=3)
    x = motion(20, P=3)
    np.testing.assert_allclose(NetworkRefiner(model, card)(x), x, atol=1e-5)


def test_checkpoint_round_trip_and_half_precision(tmp_path):
    model, card = identity_refiner()
    stem = save_model(tmp_path / "m", model, card)
    loaded, card2 = load_model(stem.with_suffix(".safetensors"))
    assert card2 == card
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    save_model(tmp_path / "h", model, card, half=True)
    half, _ = load_model(tmp_path / "h.json")
    x = motion(20)
    np.testing.assert_allclose(NetworkRefiner(half, card)(x), x, atol=1e-3)
    assert isinstance(get_refiner(str(stem)), NetworkRefiner)


def test_bad_checkpoints_and_inputs_raise_clear_errors(tmp_path):
    model, card = identity_refiner()
    stem = save_model(tmp_path / "m", model, card)
    with pytest.raises(SynspInputError, match="missing"):
        load_model(tmp_path / "nothing")
    stem.with_suffix(".safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(SynspInputError, match="never unpickles"):
        load_model(stem)
    (tmp_path / "c.json").write_text("{broken")
    (tmp_path / "c.safetensors").write_bytes(b"")
    with pytest.raises(SynspInputError, match="JSON"):
        load_model(tmp_path / "c")
    refiner = NetworkRefiner(model, card)
    with pytest.raises(SynspInputError, match="J = 14"):
        refiner(np.zeros((20, 14, 3)))
    with pytest.raises(SynspInputError, match="D = 2"):
        refiner(np.zeros((20, 17, 2)))
    with pytest.raises(SynspInputError, match="no valid joint"):
        refiner(np.full((20, 17, 3), np.nan))
    with pytest.raises(SynspInputError, match="unknown refiner"):
        get_refiner("no-such-method")
    card_dict = json.loads(stem.with_suffix(".json").read_text())
    card_dict["surprise"] = 1
    stem.with_suffix(".json").write_text(json.dumps(card_dict))
    with pytest.raises(SynspInputError, match="unknown keys"):
        load_model(stem)


def test_views_true_fuses_the_views_by_default_and_with_the_4_view_network():
    import synsp
    from synsp.api import default_model

    assert default_model(17, 3) == "synsp-h36m17-3d-w8"
    assert default_model(17, 3, views=4) == "synsp-h36m17-3d-w8-p4"  # the dedicated model for views, by name
    rng = np.random.default_rng(0)
    truth = np.cumsum(rng.normal(scale=0.002, size=(40, 1, 17, 3)), axis=0) + rng.normal(size=(1, 1, 17, 3)) * 0.3
    x = truth + rng.normal(scale=0.03, size=(40, 4, 17, 3))  # 4 views, independent errors
    fused = synsp.refine(x, views=True)
    alone = synsp.refine(x, model="synsp-h36m17-3d-w8")  # the single-view model it was fine-tuned from
    err = lambda y: np.linalg.norm(y - truth, axis=-1).mean()  # noqa: E731
    assert err(fused) < err(alone)
    assert np.abs(fused - fused[:, :1]).max() < 0.5 * np.abs(x - x[:, :1]).max()  # the views agree afterwards
    network = synsp.refine(x, model="synsp-h36m17-3d-w8-p4", views=True)  # the 4-view network fuses too
    assert err(network) < err(alone)
    assert np.abs(network - network[:, :1]).max() < 0.5 * np.abs(x - x[:, :1]).max()


def test_every_shipped_model_not_trained_for_robustness_says_so(capsys):
    """A model trained on the calibrated presets alone corrects clean input too: its card and
    `synsp models` must say so; a model trained on an error family (clean segments included) need not."""
    import json

    from synsp.cli import main
    from synsp.error_families import is_family
    from synsp.refiners import shipped_models

    for name, stem in shipped_models().items():
        card = json.loads(stem.with_suffix(".json").read_text())
        if card["architecture"] == "synsp" or "limitations" in card:
            robust = any(is_family(p) for p in card["noise_preset"].split("+"))
            assert robust or "not re-trained" in card.get("limitations", ""), name
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert out.count("limitations: ") == sum(
        bool(json.loads(s.with_suffix(".json").read_text()).get("limitations")) for s in shipped_models().values())


def test_networks_for_views_refuse_persons_and_rotation_networks_refuse_positions():
    """The P axis of ``synsp.refine`` holds persons unless ``views=True``: a network that refines views together
    would mix two people (each moved about 1.5 m toward the other), and a rotation network would read joint
    positions as axis-angles; both are refused, naming the fix."""
    import synsp

    x = motion(40, P=2)
    x[:, 1] += np.array([3.0, 0.0, 0.0])  # two people 3 m apart
    for name in ("synsp-h36m17-3d-w8-p4", "synsp-universal-w16-views", "synsp-universal-w16+view-mean"):
        with pytest.raises(SynspInputError, match="views=True"):
            synsp.refine(x, model=name)
        assert synsp.refine(x, model=name, views=True).shape == x.shape
    whole = np.concatenate([x, np.repeat(x[:, :, :1], 116, axis=2)], axis=2)  # COCO-WholeBody: a body subset
    with pytest.raises(SynspInputError, match="views=True"):
        synsp.refine(whole, model="synsp-universal-w16-views", skeleton="coco133", repair=False)
    assert synsp.refine(x[:, :1], model="synsp-universal-w16-views").shape == (40, 1, 17, 3)  # one: nothing to mix
    both = synsp.refine(x, model="synsp-universal-w16")  # persons: each refined alone
    np.testing.assert_allclose(both[:, 1], synsp.refine(x[:, 1], model="synsp-universal-w16"), atol=1e-9)
    with pytest.raises(SynspInputError, match="refines joint rotations.*refine_smpl"):
        synsp.refine(np.zeros((40, 24, 3)) + np.linspace(0, 1, 40)[:, None, None], model="synsp-smpl24-rot-w8")


def test_the_observed_frames_of_clean_motion_stay_where_others_are_missing():
    """Filled joints are given to the networks as observed (``NetworkRefiner.tell_missing`` False): told which
    ones were filled, the default moved the observed frames of clean motion with 20 % of its frames missing by
    about 2.8 mm (docs/results.md, *Missing frames*)."""
    import copy

    from synsp.data.corpus import embedded_corpus_path, load_corpus

    clip = max((c.positions.astype(np.float64) for c in load_corpus(embedded_corpus_path())), key=len)[:300]
    miss = np.random.default_rng(0).random(len(clip)) < 0.2
    miss[[0, -1]] = False
    holed = np.where(miss[:, None, None], np.nan, clip)
    default = get_refiner("synsp-universal-w16")
    told = copy.copy(default)
    told.tell_missing = True
    moved = lambda refiner: 1000 * np.linalg.norm(refiner(holed, fps=30.0) - clip, axis=-1)[~miss].mean()  # noqa: E731
    untold_mm, told_mm = moved(default), moved(told)
    assert untold_mm < 0.6 < 1.5 < told_mm, (untold_mm, told_mm)


def test_a_person_slot_never_filled_stays_empty_and_the_others_are_refined():
    """``(T, P, J, D)`` with P the most people at once: a column no one filled is left NaN (it raised 'person 1 has
    no valid joint'), the others refined as without it."""
    import synsp

    x = np.stack([motion(60), np.full((60, 17, 3), np.nan), motion(60, seed=1) + 3.0], axis=1)
    out, filled = synsp.refine(x, model="synsp-universal-w16", return_filled=True)
    assert np.isnan(out[:, 1]).all() and not filled[:, 1].any() and out.shape == x.shape
    np.testing.assert_allclose(out[:, [0, 2]], synsp.refine(x[:, [0, 2]], model="synsp-universal-w16"), atol=1e-12)
    with pytest.raises(SynspInputError):
        synsp.refine(np.full((60, 2, 17, 3), np.nan))  # no one at all: still an error
