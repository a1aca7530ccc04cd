"""Several views of one person: each refined alone, then fused (synsp.view_fusion), the default of views=True."""

import numpy as np
import pytest

import synsp
from synsp.data.corpus import load_corpus
from synsp.noise import simulate
from synsp.refiners import get_refiner
from synsp.validation import SynspInputError
from synsp.view_fusion import ViewMeanRefiner


def _views(T=120, P=4, seed=0):
    truth = load_corpus()[seed].positions[:T].astype(np.float64)
    x = np.stack([simulate(truth, "3dpw-spin-like", skeleton="h36m17", fps=30, seed=s).pred for s in range(P)], 1)
    return truth, x


def _err(y, truth):
    rel = lambda a: a - a[..., :1, :]  # noqa: E731
    return 1000 * np.linalg.norm(rel(y) - rel(truth[:, None]), axis=-1).mean()


def test_clean_views_stay_clean_and_noisy_views_are_fused_below_each_view():
    truth, x = _views()
    clean = np.repeat(truth[:, None], 4, axis=1)
    assert _err(synsp.refine(clean, views=True), truth) < 1.0  # mm: first, do no harm
    fused = synsp.refine(x, views=True)
    assert fused.shape == x.shape and np.isfinite(fused).all()
    alone = synsp.refine(x)  # the same model, the views as persons: no fusion
    raw = np.where(np.isfinite(x), x, truth[:, None])
    assert _err(fused, truth) < 0.7 * _err(alone, truth) < 0.7 * _err(raw, truth)
    np.testing.assert_allclose(fused, np.repeat(fused[:, :1], 4, axis=1))  # every view gets the fused poses


def test_a_joint_a_view_missed_is_fused_from_the_views_that_saw_it():
    truth, x = _views(T=60, P=3)
    x[:, 1, 5] = x[:, 0, 5] + 1.0  # view 1 is far off on joint 5 ...
    refiner = get_refiner("synsp-universal-w16+view-mean")
    assert isinstance(refiner, ViewMeanRefiner) and refiner.name == "synsp-universal-w16+view-mean"
    conf = np.ones(x.shape[:3])
    conf[:, 1, 5] = 0.0  # ... and says it did not see it: it does not pull the fused joint
    out, filled = refiner(x, fps=30.0, confidence=conf, return_filled=True)
    assert filled[:, 1, 5].all() and not filled[:, 0, 5].any()
    assert _err(out[:, :, [0, 5]], truth[:, [0, 5]]) < 200  # mm; with view 1's metre off it would be ~330
    x[:, :, 7] = np.nan  # a joint no view saw in some frames: filled in every view, then averaged
    x[20:25, :, 7] = truth[20:25, None, 7]
    assert np.isfinite(refiner(x, fps=30.0)).all()


def test_view_fusion_needs_views_and_is_offline():
    refiner = get_refiner("synsp-universal-w16+view-mean")
    with pytest.raises(SynspInputError, match="poses"):
        refiner(np.zeros((20, 17, 3)))
    with pytest.raises(SynspInputError, match="offline"):
        refiner.online()



def _consensus_refiner(views=4, mode="multiview"):
    """A small universal model with view_consensus whose heads and consensus inputs are random (an untrained
    network would return its input), its card saying it was trained on views."""
    import torch

    from synsp.models.checkpoint import build_model
    from synsp.refiners import NetworkRefiner
    from synsp.training import TrainConfig, _model_config, make_card

    cfg = TrainConfig(architecture="universal", window=8, views=views, mode=mode, name="vc",
                      model={"d_model": 16, "d_inner": 32, "d_k": 8, "d_v": 8, "n_layers": 1,
                             "coefficient_skip": True, "view_consensus": True}).resolved()
    card = make_card(cfg, _model_config(cfg))
    torch.manual_seed(0)
    model = build_model(card)
    for head in (model.position_head, model.acceleration_head, model.refinement_head, model.consensus_head):
        torch.nn.init.normal_(head[-1].weight, std=0.01)
    return NetworkRefiner(model, card, smooth_rigid=False)


def test_view_consensus_is_the_other_views_observed_mean_and_the_own_value_where_none_saw_it():
    import torch

    from synsp.models.universal import view_consensus

    x = torch.arange(3 * 2 * 4 * 3, dtype=torch.float64).reshape(1, 3, 2, 4, 3)  # (G, P, W, J, D)
    seen = torch.ones(1, 3, 2, 4, 1)
    seen[0, 1, :, 2] = 0  # view 1 did not see joint 2
    seen[0, :, 0, 3] = 0  # nobody saw joint 3 in frame 0
    others, unseen = view_consensus(x, seen)
    torch.testing.assert_close(others[0, 0, :, 0], (x[0, 1, :, 0] + x[0, 2, :, 0]) / 2)
    torch.testing.assert_close(others[0, 0, :, 2], x[0, 2, :, 2])  # view 1 did not see it: only view 2 counts
    torch.testing.assert_close(others[0, 1, :, 2], (x[0, 0, :, 2] + x[0, 2, :, 2]) / 2)  # its own miss: no matter
    torch.testing.assert_close(others[0, :, 0, 3], x[0, :, 0, 3])  # nobody else saw it: the view's own ...
    assert unseen[0, :, 0, 3].all() and unseen.sum() == 3  # ... flagged
    one, alone = view_consensus(x[:, :1], seen[:, :1])  # one view: nothing seen elsewhere
    assert alone.all() and torch.equal(one, x[:, :1])


def test_a_universal_model_with_view_consensus_refines_each_view_with_what_the_others_see():
    together = _consensus_refiner()
    assert together.view_consensus
    truth, x = _views(T=40, P=3)
    x[5:9, 2, 4] = np.nan
    out = together(x, fps=30.0)
    assert out.shape == x.shape and np.isfinite(out).all()
    # changing one view changes the others' output (they read its joints), by less than it changes its own
    x2 = x.copy()
    x2[:, 0] += np.random.default_rng(1).normal(scale=0.05, size=x2[:, 0].shape)
    out2 = together(x2, fps=30.0)
    assert 1e-6 < np.abs(out2[:, 1] - out[:, 1]).max() < np.abs(out2[:, 0] - out[:, 0]).max()
    # any number of views; one view alone is refined as the network does without views
    assert together(x[:, :2], fps=30.0).shape == x[:, :2].shape
    assert together(x[:, 0], fps=30.0).shape == x[:, 0].shape


def test_a_model_without_views_widened_to_view_consensus_starts_as_it_was():
    import torch

    from synsp.models.universal import UniversalConfig, UniversalSynSP

    cfg = dict(window=8, d_model=16, d_inner=32, d_k=8, d_v=8, n_layers=1, coefficient_skip=True)
    torch.manual_seed(0)
    plain = UniversalSynSP(UniversalConfig(**cfg)).eval()
    for head in (plain.position_head, plain.acceleration_head, plain.refinement_head):
        torch.nn.init.normal_(head[-1].weight, std=0.1)
    wide = UniversalSynSP(UniversalConfig(**cfg, view_consensus=True)).eval()
    wide.load_state_without_view_consensus(plain.state_dict())
    x = torch.randn(6, 8, 18 * 3)
    with torch.no_grad():
        ref = plain(x).final
        np.testing.assert_allclose(wide(x).final, ref, atol=1e-6)
        np.testing.assert_allclose(wide(x, views=3).final, ref, atol=1e-6)  # two groups of three views
        with pytest.raises(SynspInputError, match="groups of views"):
            wide(x, views=4)
    with pytest.raises(SynspInputError, match="without view_consensus"):
        wide.load_state_without_view_consensus(wide.state_dict())


def test_a_universal_model_takes_views_together_only_when_built_and_trained_for_them_in_3d():
    import dataclasses

    from synsp.models.checkpoint import ModelCard
    from synsp.training import TrainConfig

    data = dataclasses.asdict(_consensus_refiner().card)
    ModelCard.from_dict(data, "card.json")
    with pytest.raises(SynspInputError, match="views"):
        ModelCard.from_dict({**data, "recipe": {**data["recipe"], "mode": "single"}}, "card.json")
    with pytest.raises(SynspInputError, match="views"):
        ModelCard.from_dict({**data, "config": {**data["config"], "view_consensus": False}}, "card.json")
    consensus = {"view_consensus": True}
    TrainConfig(architecture="universal", views=4, mode="multiview", model=consensus).validate()
    for bad in (dict(views=4, mode="multiview"), dict(views=4, mode="multiview", representation="2d", model=consensus),
                dict(views=4, mode="single", model=consensus), dict(model=consensus)):
        with pytest.raises(SynspInputError, match="view_consensus"):
            TrainConfig(architecture="universal", **bad).validate()


def test_a_view_that_lost_the_person_does_not_pull_the_others_through_the_views_model():
    """The views model reads which views saw each joint; a view's filled joints are told as missing (not given as
    seen, as a single track's are), else its fill counted as one more view and pulled every view's output (an
    audit: 16.4 mm where the three views that saw the person gave 2.2)."""
    import synsp
    from synsp.data.corpus import load_corpus

    truth = next(c for c in load_corpus(split="test") if len(c.positions) >= 240).positions[:240].astype(np.float64)
    rng = np.random.default_rng(3)
    seen = np.stack([truth + 0.003 * rng.standard_normal(truth.shape) for _ in range(4)], axis=1)
    lost = seen.copy()
    lost[50:120, 2] = np.nan  # camera 2 lost the person for 70 frames
    err = lambda y: np.linalg.norm(y[50:120] - truth[50:120, None], axis=-1).mean()  # noqa: E731
    together = synsp.refine(lost, views=True, fps=30)
    alone = synsp.refine(lost, views=True, fps=30, model="synsp-universal-w16+view-mean")
    assert err(together) < 1.3 * err(alone) and err(together) < 0.004
    scores = np.ones(seen.shape[:3])
    wrong = seen.copy()
    wrong[60:180, 1, 16] += 0.3  # one view's wrist 30 cm off, scored low
    scores[60:180, 1, 16] = 0.1
    wrist = synsp.refine(wrong, views=True, fps=30, confidence=scores)[60:180, 0, 16]
    assert np.linalg.norm(wrist - truth[60:180, 16], axis=-1).mean() < 0.005


def test_synsp_refine_views_reads_the_files_scores(tmp_path):
    """``synsp refine --views`` gives the array file's ``scores`` to the refinement as a file's tracks do (it dropped
    them: a view's wrist 30 cm off, scored 0.1, pulled the fused wrist 129 mm off)."""
    from synsp.cli import main
    from synsp.data.corpus import load_corpus

    truth = next(c for c in load_corpus(split="test") if len(c.positions) >= 120).positions[:120].astype(np.float64)
    rng = np.random.default_rng(5)
    v = np.stack([truth + 0.003 * rng.standard_normal(truth.shape) for _ in range(4)], axis=1)
    v[30:90, 1, 16] += 0.3
    scores = np.ones(v.shape[:3])
    scores[30:90, 1, 16] = 0.1
    np.savez(tmp_path / "v.npz", keypoints=v, scores=scores)
    assert main(["refine", str(tmp_path / "v.npz"), "--views", "--model", "synsp-universal-w16+view-mean",
                 "-o", str(tmp_path / "o.npz")]) == 0
    fused = np.load(tmp_path / "o.npz")["keypoints"]
    assert np.linalg.norm(fused[30:90, 0, 16] - truth[30:90, 16], axis=-1).mean() < 0.01


def test_a_joint_one_view_never_scores_confidently_is_the_other_views_to_give():
    """Low in every frame of one view: the other views give it (it was trusted as observed, as a lone person's is, and
    a camera's guess 0.3 m off pulled the fused joint 131 mm off); low in every view: trusted, as for one person."""
    import synsp
    from synsp.data.corpus import load_corpus

    truth = next(c for c in load_corpus(split="test") if len(c.positions) >= 120).positions[:120].astype(np.float64)
    rng = np.random.default_rng(5)
    v = np.stack([truth + 0.003 * rng.standard_normal(truth.shape) for _ in range(4)], axis=1)
    guessed = v.copy()
    guessed[:, 1, 9:11] += 0.3  # camera 1 never sees the head: its guess is off, scored 0.05
    scores = np.ones(v.shape[:3])
    scores[:, 1, 9:11] = 0.05
    head = synsp.refine(guessed, views=True, fps=30, confidence=scores)[:, 0, 9:11]
    assert np.linalg.norm(head - truth[:, 9:11], axis=-1).mean() < 0.005
    scores[:, :, 16] = 0.05  # no camera is ever sure of the right wrist: used as given
    v[10, 1, 16] = np.nan  # (and one view losing it in a frame changes nothing about that)
    wrist = synsp.refine(v, views=True, fps=30, confidence=scores)[:, 0, 16]
    assert np.linalg.norm(wrist - truth[:, 16], axis=-1).mean() < 0.005


def test_views_on_one_person_array_and_bad_cameras_unused_are_refused(tmp_path, capsys):
    from synsp.cli import main

    x = load_corpus()[0].positions[:40].astype(np.float64)
    np.save(tmp_path / "one.npy", x)  # (T, J, D): one view, which --views took for "1 view refined alone"
    assert main(["refine", str(tmp_path / "one.npy"), "-o", str(tmp_path / "out.npy"), "--views"]) == 2
    assert "holds one" in capsys.readouterr().err and not (tmp_path / "out.npy").exists()
    px = np.stack([x[..., :2] * 100 + 300] * 3, axis=1)
    bad = {"K": np.stack([np.eye(3)] * 2), "R": np.stack([np.eye(3)] * 2), "t": np.zeros((2, 3))}  # 2 for 3 views
    with pytest.raises(SynspInputError, match="2"):  # with repair=False too, where the cameras are not used
        synsp.refine(px, views=True, cameras=bad, repair=False, model="butterworth")
