"""Error families on SMPL local rotations: clean segments exact, levels as geodesic angles, valid rotations."""

import numpy as np
import pytest

from synsp.data.corpus import load_corpus
from synsp.error_families import FAMILIES, ErrorFamily, simulate_family
from synsp.geometry import axis_angle_to_matrix, geodesic_angle
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

MIRROR = np.array([1.0, -1.0, -1.0])  # SMPL's lateral axis is x


@pytest.fixture(scope="module")
def clip():
    clips = load_corpus(skeleton="h36m17", split="test", phases="first", rotations=True)
    return max(clips, key=lambda c: len(c.rotations)).rotations.astype(np.float64)


def _angles(pred, gt):
    """Geodesic angle (degrees) per frame and joint."""
    return np.degrees(geodesic_angle(axis_angle_to_matrix(pred), axis_angle_to_matrix(gt)))


def _sim(gt, family, **kw):
    return simulate_family(gt, family, skeleton="smpl24", fps=30.0, representation="rotations", **kw)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_level_zero_is_the_truth_itself(clip, family):
    sim = _sim(clip, family, seed=3, level=0.0)
    np.testing.assert_array_equal(sim.pred, clip)
    assert not sim.missing.any()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_outputs_are_valid_rotations_missing_only_where_flagged(clip, family):
    sim = _sim(clip, family, seed=1, level=None if family.startswith("mixed") else 8.0)
    lost = np.isnan(sim.pred).any(-1)
    assert np.isnan(sim.pred[lost]).all() and not (lost & ~sim.missing).any()
    kept = sim.pred[~lost]
    assert np.isfinite(kept).all() and np.linalg.norm(kept, axis=-1).max() <= np.pi + 1e-9
    assert sim.confidence.shape == clip.shape[:2] and 0 <= sim.confidence.min() <= sim.confidence.max() <= 1


@pytest.mark.parametrize("level", [1.0, 2.5, 7.5])
def test_a_fixed_level_is_the_rms_geodesic_angle(clip, level):
    for fam in (ErrorFamily("white-only", {"white": 1.0}, clean_fraction=0.0),
                ErrorFamily("drift-only", {"drift": 1.0}, clean_fraction=0.0)):
        a = _angles(_sim(clip, fam, seed=2, level=level).pred, clip)
        assert np.sqrt(np.mean(a**2)) == pytest.approx(level, rel=1e-6)  # |delta| is the angle, exactly
    a = _angles(_sim(clip, "quantized", seed=2, level=level).pred, clip)
    assert 0.8 * level < np.sqrt(np.mean(a**2)) < 1.3 * level


def test_rigid_shake_turns_the_global_orientation_alone(clip):
    sim = _sim(clip, "rigid-shake", seed=4, level=5.0)
    np.testing.assert_array_equal(sim.pred[:, 1:], clip[:, 1:])  # every local joint rotation untouched
    root = _angles(sim.pred[:, 0], clip[:, 0])
    assert np.sqrt(np.mean(root**2)) == pytest.approx(5.0, rel=1e-6)


def test_clean_segments_are_exact_and_come_in_runs(clip):
    gt = np.concatenate([clip] * 8)  # ~4 minutes
    mixed = FAMILIES["mixed"]
    fam = ErrorFamily("mixed-white", {"white": 1.0}, clean_fraction=mixed.clean_fraction, segment_s=mixed.segment_s)
    clean = np.all(_sim(gt, fam, seed=2).pred == gt, axis=(1, 2))
    assert 0.1 < clean.mean() < 0.45  # clean_fraction 0.25 of the segments, edges smoothed
    assert np.diff(np.flatnonzero(np.diff(clean.astype(int)))).mean() > 15  # runs of ~2 s segments
    for family in ("mixed", "mixed-gentle"):  # whatever shapes a seed draws: exactly clean frames and others
        for seed in range(4):
            sim = _sim(gt, family, seed=seed)
            clean = np.all(sim.pred == gt, axis=(1, 2))
            assert 0 < clean.mean() < 1


def test_mixed_gentle_errors_are_angles_from_one_to_twenty_degrees(clip):
    gt = np.concatenate([clip] * 8)
    fam = ErrorFamily("gentle-white", {"white": 1.0}, clean_fraction=0.0, segment_s=2.0, angle_level=(1.0, 20.0))
    a = _angles(_sim(gt, fam, seed=7).pred, gt)
    per_frame = np.sqrt(np.mean(a**2, axis=1))  # one frame's 24 joints: a noisy estimate of its segment's level
    assert 0.5 < np.percentile(per_frame, 2) and np.percentile(per_frame, 98) < 30
    assert per_frame.max() / per_frame.min() > 5  # the levels vary between segments


def test_inversions_swap_and_mirror_left_and_right_rotations(clip):
    fam = ErrorFamily("inversions-only", {"inversions": 1.0}, clean_fraction=0.0)
    sim = _sim(clip, fam, seed=11, level=5.0)
    sk = get_skeleton("smpl24")
    perm = list(sk.flip_permutation)
    swapped = 0
    for t in np.flatnonzero(np.any(sim.pred != clip, axis=(1, 2))):
        if np.allclose(sim.pred[t], clip[t, perm] * MIRROR):
            continue  # the whole body mirrored
        for left, right in sk.left_right:
            if np.array_equal(sim.pred[t, left], clip[t, left]):
                continue
            np.testing.assert_allclose(sim.pred[t, left], clip[t, right] * MIRROR)
            np.testing.assert_allclose(sim.pred[t, right], clip[t, left] * MIRROR)
            swapped += 1
    assert swapped > 0


def test_same_seed_same_output_other_seed_other_output(clip):
    a, b, c = (_sim(clip, "mixed", seed=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.pred, b.pred)
    assert not np.array_equal(np.nan_to_num(a.pred), np.nan_to_num(c.pred))


def test_several_persons_get_their_own_errors(clip):
    gt = np.stack([clip, clip], axis=1)
    sim = _sim(gt, "spiky", seed=0, level=3.0)
    assert sim.pred.shape == gt.shape and sim.confidence.shape == gt.shape[:-1]
    assert not np.array_equal(sim.pred[:, 0], sim.pred[:, 1])


def test_bad_arguments_are_clear_errors(clip):
    with pytest.raises(SynspInputError, match="degrees"):
        _sim(clip, "spiky", level=200.0)
    with pytest.raises(SynspInputError, match="representation"):
        simulate_family(clip, "spiky", skeleton="smpl24", fps=30.0, representation="quaternions")
    with pytest.raises(SynspInputError, match="angle_level"):
        ErrorFamily("x", {"white": 1.0}, angle_level=(5.0, 1.0))
    with pytest.raises(SynspInputError, match="D = 2"):
        _sim(clip[..., :2], "spiky", level=1.0)


def test_rotation_training_windows_from_a_family_include_exactly_clean_ones():
    from synsp.data.corpus import embedded_corpus_path
    from synsp.data.rotation_windows import RotationWindowDataset

    clips = [c.rotations for c in load_corpus(embedded_corpus_path(), skeleton="h36m17", rotations=True)]
    ds = RotationWindowDataset(clips, window=8, preset="mixed-gentle", seed=1, windows_per_epoch=200)
    items = [ds[i] for i in range(200)]
    clean = [bool((it["input"] == it["gt"]).all()) for it in items]
    assert 0.05 < np.mean(clean) < 0.95  # clean segments (40 % of them) and erroneous ones
    noisy = [it for it, c in zip(items, clean) if not c]
    angles = [_angles(it["input"].numpy().reshape(8, 24, 3).astype(np.float64),
                      it["gt"].numpy().reshape(8, 24, 3).astype(np.float64)).mean() for it in noisy]
    assert 0.1 < np.median(angles) < 30


def test_a_family_trained_rotation_model_is_selected_on_angles(tmp_path):
    from synsp.data.corpus import embedded_corpus_path
    from synsp.training import TrainConfig, train
    from synsp.models.checkpoint import load_model

    tiny = dict(d_model=16, d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8, input_residual=True,
                frequency_output=True, query_positions=True, spectral_skip=True, zero_heads=True)
    config = TrainConfig(name="tiny-rot-fam", model=tiny, skeleton="smpl24", representation="rotations",
                         preset="mixed-gentle", corpus=str(embedded_corpus_path()), train_split="test",
                         val_split="test", epochs=1, windows_per_epoch=64, batch_size=32, val_frames=150,
                         w_accel=20.0, fast_motion=0.3, out=str(tmp_path / "r"))
    _, card = load_model(train(config, progress=False))
    v = card.validation
    assert card.noise_preset == "mixed-gentle" and v["val_clean_angle"] > 0 and v["input_heldout_angle"] > 0
    # the score is on geodesic angles (degrees): the noisy sets' ratios and 0.05 per degree added to clean input
    ratios = [v["val_angle"] / v["input_angle"], v["val_heldout_angle"] / v["input_heldout_angle"]]
    assert v["val_score"] == pytest.approx(np.mean(ratios) + 0.05 * v["val_clean_angle"] / 1.0)


def test_robustness_rows_on_rotations():
    from synsp.experiments.robustness import ROTATION_LEVELS, measure_rotations, rotation_conditions, rotation_refiner

    conds = {c.name: c for c in rotation_conditions(frames=300)}
    assert [n for n in conds if n.startswith("clean")] == ["clean", "clean 2x speed", "clean 3x speed"]
    for fam in ("spiky", "rigid-shake", "overshoot", "quantized"):
        assert all(f"{fam} {v:g} deg" in conds for v in ROTATION_LEVELS)
    assert {"mixed (training family)", "preset 3dpw-spin-like"} <= set(conds)
    clean = measure_rotations(rotation_refiner("input"), conds["clean"])
    assert clean["angle"] == 0 and clean["mpjpe"] == 0
    shaken = measure_rotations(rotation_refiner("input"), conds["rigid-shake 7.5 deg"])
    assert shaken["mpjpe"] > 10  # a jittering global orientation moves every joint of the body
    smooth = measure_rotations(rotation_refiner("butterworth"), conds["spiky 7.5 deg"])
    assert smooth["angle"] < measure_rotations(rotation_refiner("input"), conds["spiky 7.5 deg"])["angle"]


def test_benchmark_cli_runs_the_rotation_rows(tmp_path):
    from click.testing import CliRunner

    from synsp.cli import cli

    args = ["benchmark", "--experiment", "robustness", "--skeleton", "smpl24", "--representation", "rotations",
            "--methods", "butterworth", "--quick", "-o", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    md = (tmp_path / "robustness-smpl24-rotations.md").read_text()
    assert ("synsp benchmark --experiment robustness --skeleton smpl24 --representation rotations --methods "
            "butterworth --quick") in md
    assert "| clean | +0.00 deg / +0.0 mm | +" in md and "rigid-shake 7.5 deg" in md

def test_benchmark_cli_refuses_rotations_on_another_skeleton(capsys):
    from synsp.cli import main

    assert main(["benchmark", "--experiment", "robustness", "--representation", "rotations", "--quick"]) == 2
    assert "--skeleton smpl24" in capsys.readouterr().err
