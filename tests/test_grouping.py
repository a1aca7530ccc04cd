"""Similar-pose grouping (seed 2.7): the shipped bank, the refiner and the training companions."""

import json

import numpy as np
import pytest
import torch

from synsp.data.corpus import load_corpus
from synsp.data.dataset import Augmentation, WindowDataset
from synsp.data.pose_bank import PoseBank, draw_windows, pose_descriptor
from synsp.geometry import euler_to_matrix
from synsp.grouping import DEFAULT_BANK, SimilarPoseRefiner, load_bank
from synsp.models.checkpoint import ModelCard
from synsp.models.synsp import SynSP, SynSPConfig
from synsp.noise import simulate
from synsp.refiners import NetworkRefiner, get_refiner
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

SK = get_skeleton("h36m17")


def identity_network(views=4):
    """A SynSP whose final output equals its input (residual on, refinement head zeroed)."""
    config = SynSPConfig(window=8, channels=54, mask_channels=18, input_residual=True, d_model=16, d_inner=16,
                         n_layers=1, n_head=2, d_k=8, d_v=8)
    model = SynSP(config)
    for p in model.refinement_head.parameters():
        torch.nn.init.zeros_(p)
    card = ModelCard(name="identity", architecture="synsp", config=config.to_dict(), skeleton="h36m17", dims=3,
                     window=8, views=views, mask=True)
    return NetworkRefiner(model, card)


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def clips():
    return load_corpus()[:4]  # embedded test split: never in the (train split) bank


@pytest.fixture(scope="module")
def shipped():
    return get_refiner("synsp-h36m17-3d-w8-p4")  # a shipped 4-view SynSP (the contract, not the accuracy)


def test_the_shipped_bank_is_a_small_pickle_free_npz_of_train_windows(bank):
    assert DEFAULT_BANK.stat().st_size < 1.2e6
    with np.load(DEFAULT_BANK, allow_pickle=False) as z:  # no object arrays anywhere
        assert set(z.files) == {"windows", "labels", "sources", "meta"}
        assert z["windows"].dtype == np.float16 and z["windows"].shape == (1500, 8, 17, 3)
        meta = json.loads(str(z["meta"]))
    assert meta["skeleton"] == "h36m17" and meta["split"] == "train" and meta["units"] == "m"
    assert isinstance(bank, PoseBank) and len(bank) == 1500 and bank.window == 8
    bones = SK.bone_lengths(bank.windows.astype(np.float64))
    assert 0.05 < np.median(bones) < 0.5  # metres, a human body
    assert np.abs(bank.windows.mean(axis=(1, 2))).max() < 1e-2  # centred per window


def test_companions_of_a_bank_window_include_it_or_its_mirror(bank, shipped):
    refiner = SimilarPoseRefiner(shipped, bank)
    picks = np.array([0, 321, 1499])
    R = euler_to_matrix(np.array([0.4, -1.0, 2.2]), "ZYX")
    w = bank.windows[picks].astype(np.float64)
    for query, expected in ((w, picks), (w @ R.T + 3.0, picks), (SK.mirror(w, axis=0), picks + len(bank))):
        dist, entry = refiner.find(query)
        assert entry.shape == dist.shape == (3, 3)
        np.testing.assert_array_equal(entry[:, 0], expected)
        assert (dist[:, 0] < 1e-2).all() and (np.diff(dist, axis=1) >= 0).all()
    groups = refiner.groups(w @ R.T + 3.0)
    assert groups.shape == (3, 4, 8, 17, 3)
    np.testing.assert_allclose(groups[:, 1], groups[:, 0], atol=2e-3)  # itself, moved back onto the query


def test_identity_network_gives_back_the_person_for_any_length_and_persons(bank):
    refiner = SimilarPoseRefiner(identity_network(), bank, batch=16)
    x = load_corpus()[0].positions[:60].astype(np.float64)
    for T in (1, 5, 8, 60):
        np.testing.assert_allclose(refiner(x[:T]), x[:T], atol=1e-5)
    two = np.stack([x, x[::-1]], axis=1)  # (T, P, J, 3): each person in its own groups
    np.testing.assert_allclose(refiner(two), two, atol=1e-5)


def test_output_is_finite_deterministic_and_independent_of_batching(clips, bank, shipped):
    gt = clips[0].positions[:90].astype(np.float64)
    sim = simulate(gt, "3dpw-spin-like", skeleton="h36m17", fps=30.0, seed=3)
    x = sim.pred.copy()
    x[20:24, 9] = np.nan  # lost joints are filled and masked, as NetworkRefiner does
    a = SimilarPoseRefiner(shipped, bank)(x, fps=30.0, confidence=sim.confidence)
    b = SimilarPoseRefiner(shipped, bank, batch=7)(x, fps=30.0, confidence=sim.confidence)
    assert a.shape == x.shape and np.isfinite(a).all()
    np.testing.assert_allclose(a, b, atol=1e-6)
    resampled = SimilarPoseRefiner(shipped, bank)(x, fps=60.0)  # resampled to the model's 30 fps and back
    assert resampled.shape == x.shape and np.isfinite(resampled).all()
    persons = SimilarPoseRefiner(shipped, bank)(np.stack([x, gt], axis=1), fps=30.0)
    np.testing.assert_allclose(persons[:, 0], SimilarPoseRefiner(shipped, bank)(x, fps=30.0), atol=1e-6)


def test_a_person_in_millimetres_or_centimetres_is_grouped_with_the_banks_poses_at_its_own_size(clips, bank, shipped):
    # the bank is in metres and its poses are moved rigidly onto a window: a window in mm used to get companions a
    # thousandth of its size (six test clips with 1.5 cm of jitter: 45 mm MPJPE in metres, 314 in mm); each window
    # is now grouped in the power of ten nearest the bank's unit and scaled back: metres untouched, mm and cm alike
    gt = clips[1].positions[:60].astype(np.float64)
    x = simulate(gt, "3dpw-spin-like", skeleton="h36m17", fps=30.0, seed=4).pred
    refiner = SimilarPoseRefiner(shipped, bank)
    windows = np.stack([x[t:t + 8] for t in range(0, 50, 10)])
    assert refiner.units(windows).tolist() == [1.0] * 5
    assert refiner.units(windows * 1000).tolist() == [1000.0] * 5
    assert refiner.units(windows * 100).tolist() == [100.0] * 5
    metres = refiner(x, fps=30.0)
    for unit in (1000.0, 100.0):
        np.testing.assert_allclose(refiner(x * unit, fps=30.0) / unit, metres, atol=1e-9)
    mm = windows * 1000
    groups = refiner.groups(mm / refiner.units(mm)[:, None, None, None])  # what the network sees: one body size
    assert 0.7 < np.median(SK.bone_lengths(groups[:, 1:])) / np.median(SK.bone_lengths(groups[:, :1])) < 1.4


def test_a_pool_choice_is_seeded(bank, shipped):
    w = bank.windows[::50].astype(np.float64)  # 30 windows
    _, nearest = bank.nearest(w, 12)
    picked = {s: SimilarPoseRefiner(shipped, bank, seed=s, pool=12).find(w)[1] for s in (0, 1)}
    np.testing.assert_array_equal(picked[0], SimilarPoseRefiner(shipped, bank, seed=0, pool=12).find(w)[1])
    assert not np.array_equal(picked[0], picked[1])
    for entries in picked.values():
        assert all(set(row) <= set(near) for row, near in zip(entries, nearest))


def test_bad_input_raises(bank, shipped):
    refiner = SimilarPoseRefiner(shipped, bank)
    for bad in (np.zeros((20, 16, 3)), np.zeros((20, 17, 2)), np.zeros((20, 2, 2, 17, 3)), np.zeros((0, 17, 3))):
        with pytest.raises(SynspInputError):
            refiner(bad)
    with pytest.raises(SynspInputError, match="multi-view"):
        SimilarPoseRefiner("synsp-h36m17-3d-w8", bank)  # single view: nothing to group
    with pytest.raises(SynspInputError, match="pose bank"):
        windows, labels, sources = draw_windows(load_corpus()[:2], 16, 50)
        SimilarPoseRefiner(shipped, PoseBank(windows, "h36m17", labels, sources))
    with pytest.raises(SynspInputError, match="pool"):
        SimilarPoseRefiner(shipped, bank, pool=2)


def test_training_companions_are_clean_bank_windows_found_by_the_noisy_input(clips):
    """What WindowDataset(mode="similar") trains on is what SimilarPoseRefiner feeds at inference."""
    plain = Augmentation.none()
    ds = WindowDataset(clips, mode="similar", views=4, augment=plain, windows_per_epoch=12, seed=5)
    assert ds.companions == "bank"
    for i in range(len(ds)):
        item = ds[i]
        gt, inp = (item[k].reshape(4, 8, 17, 3).double().numpy() for k in ("gt", "input"))
        np.testing.assert_array_equal(inp[1:], gt[1:])  # clean: input = truth
        assert item["mask"][1:].sum() == 0 and (item["confidence"][1:] == 1).all()
        assert not np.allclose(inp[0], gt[0])  # the person keeps its simulated errors
        label = ds._labels[ds.locate(i)[0]]
        _, pool = ds.bank.nearest(inp[0], 12, exclude=label)  # searched by the noisy input, other takes only
        entries = ds.bank.descriptors[pool[0]]
        for comp in pose_descriptor(inp[1:]):  # each companion is one of those entries, moved rigidly
            assert np.abs(entries - comp).max(axis=1).min() < 1e-4
    old = WindowDataset(clips, mode="similar", views=4, augment=plain, windows_per_epoch=4, companions="simulated")
    item = old[0]
    assert not torch.allclose(item["input"][1:], item["gt"][1:])  # the previous behaviour: simulated errors
    with pytest.raises(SynspInputError, match="3D"):
        WindowDataset(clips, mode="similar", representation="2d", companions="bank")
    with pytest.raises(SynspInputError, match="companions"):
        WindowDataset(clips, mode="similar", companions="noisy")


def test_similar_poses_by_name_through_get_refiner():
    from synsp.grouping import SimilarPoseRefiner
    from synsp.refiners import get_refiner

    refiner = get_refiner("synsp-h36m17-3d-w8-p4+similar-poses")
    assert isinstance(refiner, SimilarPoseRefiner) and refiner.companions == 3
    with pytest.raises(SynspInputError, match="multi-view"):
        get_refiner("synsp-h36m17-3d-w8+similar-poses")
