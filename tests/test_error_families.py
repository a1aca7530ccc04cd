"""Randomised error families: levels, clean segments, shapes, held-out families, determinism."""

import numpy as np
import pytest

from synsp.data.corpus import load_corpus
from synsp.error_families import (
    FAMILIES,
    HELD_OUT_FAMILIES,
    TRAINING_FAMILIES,
    ErrorFamily,
    person_size,
    simulate_family,
)
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError


@pytest.fixture(scope="module")
def clip():
    return load_corpus(split="test", phases="first")[0].positions.astype(np.float64)


def _rms(pred, gt):
    return float(np.sqrt(np.nanmean(np.sum((pred - gt) ** 2, axis=-1))))


def test_training_and_held_out_families_are_disjoint_and_named():
    assert TRAINING_FAMILIES == ("mixed", "mixed-gentle", "mixed-local")
    assert set(HELD_OUT_FAMILIES) == {"spiky", "rigid-shake", "overshoot", "quantized"}
    assert all(FAMILIES[f].held_out for f in HELD_OUT_FAMILIES)
    # the held-out structures are components the training family never draws
    held = {c for f in HELD_OUT_FAMILIES for c in FAMILIES[f].components} - {"white"}
    assert not any(held & set(FAMILIES[f].components) for f in TRAINING_FAMILIES)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_level_zero_is_the_truth_itself(clip, family):
    sim = simulate_family(clip, family, skeleton="h36m17", fps=30.0, seed=3, level=0.0)
    np.testing.assert_array_equal(sim.pred, clip)
    assert not sim.missing.any()


@pytest.mark.parametrize("family", ["rigid-shake", "quantized"])
def test_a_fixed_level_sets_the_rms_error_as_a_share_of_the_person(clip, family):
    size = float(person_size(clip[:, None])[0])
    for level in (0.01, 0.03):
        sim = simulate_family(clip, family, skeleton="h36m17", fps=30.0, seed=1, level=level)
        assert 0.6 * level * size < _rms(sim.pred, clip) < 1.6 * level * size


def test_spiky_adds_brief_inversions_on_top_of_its_level(clip):
    size = float(person_size(clip[:, None])[0])
    sim = simulate_family(clip, "spiky", skeleton="h36m17", fps=30.0, seed=1, level=0.01)
    assert _rms(sim.pred, clip) > 0.6 * 0.01 * size
    big = np.linalg.norm(sim.pred - clip, axis=-1) > 0.2  # a swapped wrist or ankle is decimetres off
    assert 0 < big.any(axis=1).mean() < 0.2


@pytest.mark.parametrize("representation", ["positions", "rotations"])
def test_mixed_local_errs_on_a_few_joints_and_leaves_the_others_exact(representation):
    c = load_corpus(split="test", phases="first", rotations=True)[0]
    gt, skeleton = (c.positions, "h36m17") if representation == "positions" else (c.rotations, "smpl24")
    J, counts = gt.shape[1], []
    for seed in range(12):
        sim = simulate_family(gt, "mixed-local", skeleton=skeleton, fps=30.0, seed=seed, level=0.03 if
                              representation == "positions" else 7.5, representation=representation)
        wrong = ~np.isclose(np.nan_to_num(sim.pred, nan=1e9), gt, atol=1e-12, rtol=0).all(axis=2)  # (T, J)
        if representation == "rotations":  # never the global orientation's own error (rigid-shake is held out):
            mirrored = wrong.mean(axis=1, keepdims=True) > 0.75  # only in whole-body mirrors
            assert not (wrong[:, :1] & ~mirrored).any()
            wrong = wrong & ~mirrored
        off = wrong.any(axis=0)
        counts.append(int(off.sum()))
    assert min(counts) >= 1 and np.median(counts) <= J // 3 + 1 and min(counts) < max(counts)
    mixed = simulate_family(gt, "mixed", skeleton=skeleton, fps=30.0, seed=0, level=0.03 if
                            representation == "positions" else 7.5, representation=representation)
    assert (~np.isclose(np.nan_to_num(mixed.pred, nan=1e9), gt, atol=1e-12, rtol=0).all(axis=(0, 2))).all()


def test_same_seed_same_output_other_seed_other_output(clip):
    a = simulate_family(clip, "mixed", skeleton="h36m17", fps=30.0, seed=5)
    b = simulate_family(clip, "mixed", skeleton="h36m17", fps=30.0, seed=5)
    c = simulate_family(clip, "mixed", skeleton="h36m17", fps=30.0, seed=6)
    np.testing.assert_array_equal(a.pred, b.pred)
    assert not np.array_equal(np.nan_to_num(a.pred), np.nan_to_num(c.pred))


def test_mixed_has_exactly_clean_segments_in_about_its_clean_share():
    gt = np.cumsum(np.random.default_rng(0).normal(size=(30 * 600, 17, 3)) * 0.002, axis=0)
    sim = simulate_family(gt, "mixed", skeleton="h36m17", fps=30.0, seed=2)
    clean = np.all(sim.pred == gt, axis=(1, 2))
    assert 0.12 < clean.mean() < 0.4  # clean_fraction 0.25 of the segments, edges smoothed
    # clean frames come in runs (segments of ~2 s), not scattered single frames
    runs = np.diff(np.flatnonzero(np.diff(clean.astype(int)))).mean()
    assert runs > 15


def test_angle_errors_keep_every_bone_length(clip):
    fam = ErrorFamily("angles-only", {"angles": 1.0}, clean_fraction=0.0)
    sim = simulate_family(clip, fam, skeleton="h36m17", fps=30.0, seed=4, level=0.03)
    sk = get_skeleton("h36m17")
    for j, p in enumerate(sk.parents):
        if p >= 0:
            np.testing.assert_allclose(np.linalg.norm(sim.pred[:, j] - sim.pred[:, p], axis=-1),
                                       np.linalg.norm(clip[:, j] - clip[:, p], axis=-1), rtol=1e-9, atol=1e-12)
    assert _rms(sim.pred, clip) > 0.01


def test_depth_errors_lie_along_the_camera_axis(clip):
    fam = ErrorFamily("depth-only", {"depth": 1.0}, clean_fraction=0.0)
    sim = simulate_family(clip, fam, skeleton="h36m17", fps=30.0, seed=4, level=0.02, depth_axis=2)
    d = sim.pred - clip
    assert np.abs(d[..., :2]).max() == 0.0 and np.abs(d[..., 2]).max() > 0


def test_rigid_shake_moves_the_body_rigidly(clip):
    sim = simulate_family(clip, "rigid-shake", skeleton="h36m17", fps=30.0, seed=4, level=0.03)
    sk = get_skeleton("h36m17")
    for j, p in enumerate(sk.parents):  # a rigid motion keeps every bone length
        if p >= 0:
            np.testing.assert_allclose(np.linalg.norm(sim.pred[:, j] - sim.pred[:, p], axis=-1),
                                       np.linalg.norm(clip[:, j] - clip[:, p], axis=-1), rtol=1e-6)


def test_2d_keypoints_and_several_views():
    rng = np.random.default_rng(0)
    gt = 300 + np.cumsum(rng.normal(size=(200, 3, 17, 2)), axis=0)
    sim = simulate_family(gt, "spiky", skeleton="coco17", fps=30.0, seed=0, level=0.02, depth_axis=None)
    assert sim.pred.shape == gt.shape and sim.confidence.shape == (200, 3, 17)
    errs = [_rms(sim.pred[:, p], gt[:, p]) for p in range(3)]
    assert min(errs) > 0 and not np.allclose(sim.pred[:, 0] - gt[:, 0], sim.pred[:, 1] - gt[:, 1])


def test_bad_arguments_are_clear_errors(clip):
    with pytest.raises(SynspInputError, match="unknown error family"):
        simulate_family(clip, "nope", skeleton="h36m17", fps=30.0)
    with pytest.raises(SynspInputError, match="level"):
        simulate_family(clip, "spiky", skeleton="h36m17", fps=30.0, level=2.0)
    with pytest.raises(SynspInputError, match="unknown components"):
        ErrorFamily("x", {"wobble": 1.0})
