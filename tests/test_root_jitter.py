"""The global orientation's own jitter: found by its ratio to the body's, smoothed where it is, nowhere else."""

import numpy as np
import pytest

from synsp.data.corpus import embedded_corpus_path, load_corpus
from synsp.error_families import simulate_family
from synsp.geometry import axis_angle_to_quaternion
from synsp.metrics import geodesic_error
from synsp.refiners import get_refiner
from synsp.root_jitter import jitter_level, smooth_root_jitter
from synsp.rotations import RotationNetwork
from synsp.timeseries import continuous_quaternions
from synsp.validation import SynspInputError


def _clips(n=4):
    """Real motion: the embedded corpus's longest SMPL-24 rotation clips (CMU mocap)."""
    clips = [c.rotations.astype(np.float64) for c in load_corpus(embedded_corpus_path(), skeleton="h36m17",
                                                                  rotations=True)]
    return sorted(clips, key=len, reverse=True)[:n]


def _family(g, family, seed):
    return simulate_family(g, family, skeleton="smpl24", fps=30.0, seed=seed, level=7.5,
                           representation="rotations").pred


def _root_error(x, g):
    return geodesic_error(x[:, :1], g[:, :1])


def test_global_orientation_jitter_alone_is_smoothed_and_the_body_is_kept():
    for i, g in enumerate(_clips()):
        shaken = _family(g, "rigid-shake", i)
        out = smooth_root_jitter(shaken, 30.0)
        assert out.shape == shaken.shape and np.isfinite(out).all()
        assert _root_error(out, g) < 0.8 * _root_error(shaken, g)
        assert np.array_equal(out[:, 1:], shaken[:, 1:])  # the other joints are not touched
        assert not np.shares_memory(out, shaken)


def test_clean_motion_and_whole_body_jitter_are_left_alone():
    for i, g in enumerate(_clips()):
        # real motion, also played 3x faster: the root turns no more jerkily than the limbs, nothing changes
        for clip in (g, g[::3]):
            assert _root_error(smooth_root_jitter(clip, 30.0), clip) < 0.05
        # the same jitter on every joint is the network's to remove, not this stage's
        spiky = _family(g, "spiky", i)
        assert np.array_equal(smooth_root_jitter(spiky, 30.0), spiky)


def test_several_people_short_clips_and_small_bodies():
    g = _clips(2)
    T = min(len(c) for c in g)
    shaken = np.stack([_family(c[:T], "rigid-shake", 7) for c in g], axis=1)  # (T, 2, 24, 3)
    out = smooth_root_jitter(shaken, 30.0)
    for p in range(2):
        assert np.array_equal(out[:, p], smooth_root_jitter(shaken[:, p], 30.0))
    for x in (shaken[:15, 0], shaken[:, 0, :3]):  # too short to tell jitter from motion; no body to compare
        assert np.array_equal(smooth_root_jitter(x, 30.0), x)
    # what it cannot use is refused, not passed through as NaN
    lost = shaken[:, 0].copy()
    lost[5, 3] = np.nan
    for bad in (dict(rotvec=lost), dict(rotvec=shaken[:, 0], gate_from=shaken[:, 1, :20]),
                dict(rotvec=shaken[..., :2])):
        with pytest.raises(SynspInputError):
            smooth_root_jitter(fps=30.0, **bad)


def test_jitter_level_reads_white_noise_as_its_standard_deviation():
    rng = np.random.default_rng(0)
    # white noise of 2 degrees per axis on a still rotation: an angle of 2 sqrt(3) degrees, read as that
    q = continuous_quaternions(axis_angle_to_quaternion(np.radians(2.0) * rng.normal(size=(600, 1, 3))))[:, 0]
    level = jitter_level(q, 30.0)
    assert level.shape == (600,) and np.median(level) == pytest.approx(2.0 * np.sqrt(3), rel=0.25)
    # a smooth turn of the same size reads as far less
    t = np.arange(600) / 30.0
    turn = continuous_quaternions(axis_angle_to_quaternion(np.stack([np.sin(t), 0 * t, 0 * t], -1)[:, None]))[:, 0]
    assert np.max(jitter_level(turn, 30.0)) < 0.05


def test_rotation_networks_run_it_offline_and_not_causally():
    g = _clips(1)[0][:300]
    shaken = _family(g, "rigid-shake", 3)
    with_stage = RotationNetwork(get_refiner("synsp-universal-w16-rot"))
    without = RotationNetwork(with_stage.network, smooth_root=False)
    assert with_stage.smooth_root and not without.smooth_root
    a, b = with_stage(shaken, fps=30.0), without(shaken, fps=30.0)
    assert _root_error(a, g) < 0.8 * _root_error(b, g)
    assert np.array_equal(a[:, 1:], b[:, 1:])
    # where to smooth is read from the input: error-free rotations pass as the network gives them, also
    # through the dedicated network, which smooths the body and so makes its output's root look jerky
    dedicated = get_refiner("synsp-smpl24-rot-w8")
    for model in (with_stage, dedicated):
        assert model.smooth_root
        out, plain = model(g, fps=30.0), RotationNetwork(model.network, smooth_root=False)(g, fps=30.0)
        assert geodesic_error(out, plain) < 0.01 and abs(_root_error(out, g) - _root_error(plain, g)) < 0.05
    causal = get_refiner("synsp-universal-w16-rot", causal=True)
    assert np.array_equal(RotationNetwork(causal)(shaken, fps=30.0),
                          RotationNetwork(causal, smooth_root=False)(shaken, fps=30.0))
