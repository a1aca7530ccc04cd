"""A body's orientation jittering on its own (SMPL's global orientation; a body of points turning as a whole):
found by its ratio to the body's own jitter, smoothed where it is, nowhere else."""

import numpy as np
import pytest

from synsp.data.corpus import embedded_corpus_path, load_corpus
from synsp.error_families import simulate_family
from synsp.geometry import axis_angle_to_matrix, axis_angle_to_quaternion, matrix_to_axis_angle
from synsp.metrics import geodesic_error, mpjpe
from synsp.refiners import NetworkRefiner, get_refiner
from synsp.root_jitter import body_rotation, jitter_level, smooth_rigid_jitter, smooth_root_jitter
from synsp.rotations import RotationNetwork
from synsp.timeseries import continuous_quaternions, root_relative
from synsp.training import input_as_refiner
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


def _bodies(n=3):
    """Real motion: the embedded corpus's longest Human3.6M-17 clips (metres)."""
    clips = [c.positions.astype(np.float64) for c in load_corpus(embedded_corpus_path(), skeleton="h36m17")]
    return sorted(clips, key=len, reverse=True)[:n]


def _shaken(g, family, seed, level=0.03):
    x = simulate_family(g, family, skeleton="h36m17", fps=30.0, seed=seed, level=level,
                        depth_axis=2 if g.shape[-1] == 3 else None).pred
    return input_as_refiner(x)


def _relative_error(x, g):
    return float(np.mean(mpjpe(root_relative(x, (0,)), root_relative(g, (0,)))))


@pytest.mark.parametrize("dims", [3, 2])
def test_a_body_turning_jerkily_as_a_whole_is_smoothed_and_its_shape_kept(dims):
    for i, g in enumerate(_bodies()):
        g = g[..., :dims]
        shaken = _shaken(g, "rigid-shake", i)
        out = smooth_rigid_jitter(shaken, 30.0)
        assert out.shape == shaken.shape and np.isfinite(out).all()
        assert _relative_error(out, g) < 0.9 * _relative_error(shaken, g)
        # each frame only turned about its centroid: every distance between joints as it was
        dist = lambda x: np.linalg.norm(x[:, :, None] - x[:, None], axis=-1)  # noqa: E731
        assert np.allclose(dist(out), dist(shaken), atol=1e-9)
        assert np.allclose(out.mean(axis=1), shaken.mean(axis=1), atol=1e-12)
        # clean motion, and errors on every joint (the network's to remove), pass as given
        for x in (g, g[::3], _shaken(g, "spiky", i, 0.01)):
            assert np.array_equal(smooth_rigid_jitter(x, 30.0), x) or \
                _relative_error(smooth_rigid_jitter(x, 30.0), x) < 1e-4


def test_body_rotation_follows_a_turning_rigid_body():
    rng = np.random.default_rng(1)
    shape = rng.normal(size=(6, 3))
    turns = axis_angle_to_matrix(np.cumsum(rng.normal(0, 0.05, (80, 3)), axis=0))
    points = np.einsum("tab,jb->tja", turns, shape) + rng.normal(size=3)
    R, c = body_rotation(points)
    assert np.allclose(np.einsum("tab,jb->tja", R, c[0]), c, atol=1e-10)
    angle = np.cumsum(rng.normal(0, 0.05, 80))
    flat = np.stack([np.cos(angle)[:, None] * shape[:, 0] - np.sin(angle)[:, None] * shape[:, 1],
                     np.sin(angle)[:, None] * shape[:, 0] + np.cos(angle)[:, None] * shape[:, 1]], axis=-1)
    theta, _ = body_rotation(flat)
    assert np.allclose(theta, angle - angle[0], atol=1e-10)


def test_a_leg_swing_is_not_read_as_a_turn_and_short_tracks_are_left_alone():
    # a still torso with two legs swinging forward and back in antiphase at 3 Hz: without weights the fit
    # reads a turn of 31 degrees about the vertical; the re-weighted fit follows the torso
    t = np.arange(90) / 30.0
    torso = np.array([[0, 1.0, 0], [0.15, 1.0, 0], [-0.15, 1.0, 0], [0, 1.3, 0], [0.2, 1.45, 0], [-0.2, 1.45, 0],
                      [0, 1.7, 0]])
    swing = 0.5 * np.sin(2 * np.pi * 3.0 * t)
    legs = np.stack([np.stack([np.full_like(swing, side), 1.0 - depth * np.cos(swing), sign * depth * np.sin(swing)],
                              axis=-1) for side, sign in ((0.1, 1), (-0.1, -1)) for depth in (0.45, 0.9)], axis=1)
    points = np.concatenate([np.broadcast_to(torso, (90, 7, 3)), legs], axis=1)
    R, _ = body_rotation(points)
    assert np.degrees(np.linalg.norm(matrix_to_axis_angle(R), axis=-1)).max() < 5.0
    # under the level's 2 s window there are too few frames to tell jitter from a turn
    g = _bodies(1)[0]
    short = _shaken(g[:59], "rigid-shake", 2)
    assert np.array_equal(smooth_rigid_jitter(short, 30.0), short)
    assert not np.array_equal(smooth_rigid_jitter(_shaken(g[:200], "rigid-shake", 2), 30.0),
                              _shaken(g[:200], "rigid-shake", 2))


def test_the_universal_models_run_it_offline_and_others_do_not():
    g = _bodies(1)[0][:300]
    shaken = _shaken(g, "rigid-shake", 5)
    default = get_refiner("synsp-universal-w16")
    plain = NetworkRefiner(default.model, default.card, smooth_rigid=False)
    assert default.smooth_rigid and not plain.smooth_rigid
    a, b = default(shaken, fps=30.0), plain(shaken, fps=30.0)
    assert _relative_error(a, g) < 0.95 * _relative_error(b, g)
    assert np.array_equal(default(g, fps=30.0), plain(g, fps=30.0))  # decided on the (clean) input
    assert not get_refiner("synsp-h36m17-3d-w8").smooth_rigid  # the dedicated and baseline networks as trained
    causal = get_refiner("synsp-universal-w8-causal")
    assert np.array_equal(causal(shaken, fps=30.0),
                          NetworkRefiner(causal.model, causal.card, smooth_rigid=False)(shaken, fps=30.0))


@pytest.mark.parametrize("dims", [3, 2])
def test_a_cut_is_not_smoothed_over_and_no_frame_turns_more_than_the_jitter_allows(dims):
    # a rest pose in front of a take (BVH files often start with one), the body turned 150 degrees from the
    # take's first frame: smoothing across that jump would drag the take's first frames towards it
    from synsp.root_jitter import CORRECTION_CAP, _rigid_gate_and_level

    g = _bodies(1)[0][:240, :, :dims]
    shaken = _shaken(g, "rigid-shake", 5)
    turned = np.radians(150.0)
    if dims == 3:
        rest = np.einsum("ab,jb->ja", axis_angle_to_matrix(np.array([0.0, turned, 0.0])), g[0] - g[0].mean(0))
    else:
        rest = (g[0] - g[0].mean(0)) @ np.array([[np.cos(turned), np.sin(turned)], [-np.sin(turned), np.cos(turned)]])
    x = np.concatenate([rest[None] + g[0].mean(0), shaken])
    out = smooth_rigid_jitter(x, 30.0)
    assert np.allclose(out[0], x[0])  # the rest pose alone is a piece too short to smooth
    alone = smooth_rigid_jitter(shaken, 30.0)
    early = slice(0, 10)  # the take's first frames are refined as without the rest pose in front
    assert _relative_error(out[1:][early], g[early]) < _relative_error(shaken[early], g[early])
    assert _relative_error(out[1:][early], alone[early]) < 0.2 * _relative_error(shaken[early], alone[early])
    # every frame is turned by at most CORRECTION_CAP times the input's rotation jitter level
    _, level = _rigid_gate_and_level(shaken, 30.0)
    a, b = shaken - shaken.mean(1, keepdims=True), alone - alone.mean(1, keepdims=True)
    if dims == 3:  # each frame's turn about its centroid (Kabsch; the stage only turns frames)
        U, _, Vt = np.linalg.svd(np.einsum("tja,tjb->tab", a, b))
        turn = np.linalg.norm(matrix_to_axis_angle(np.einsum("tba,tcb->tac", Vt, U)), axis=-1)
    else:
        cross = np.sum(a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0], axis=1)
        turn = np.abs(np.arctan2(cross, np.sum(a * b, axis=(1, 2))))
    assert turn.max() > 0 and np.all(turn <= CORRECTION_CAP * level + 1e-6)


def _fast_wobble(T, fps, seed, degrees):
    """Rotation vectors ``(T, 3)`` of a wobble only above 20 Hz (white noise high-passed): what a 30 fps
    network never sees, since a faster input is low-passed to 15 Hz before it."""
    from scipy.signal import butter, sosfiltfilt

    noise = np.random.default_rng(seed).normal(0.0, 1.0, (T, 3))
    fast = sosfiltfilt(butter(4, 20.0, "highpass", fs=fps, output="sos"), noise, axis=0)
    return np.radians(degrees) * fast / fast.std()


def test_at_120_fps_the_stages_are_decided_on_the_input_as_the_network_saw_it():
    from scipy.signal import resample_poly

    # a body turning as a whole, but only above 20 Hz: the network's low-pass removes it, so the whole-body
    # stage must stay shut (decided on the raw 120 fps input it opened and smoothed real turns)
    g = resample_poly(_bodies(1)[0][:300], 4, 1, axis=0)  # 120 fps
    turn = axis_angle_to_matrix(_fast_wobble(len(g), 120.0, 3, 3.0))
    x = np.einsum("tab,tjb->tja", turn, g - g.mean(1, keepdims=True)) + g.mean(1, keepdims=True)
    default = get_refiner("synsp-universal-w16")
    plain = NetworkRefiner(default.model, default.card, smooth_rigid=False)
    assert np.allclose(default(x, fps=120.0), plain(x, fps=120.0), atol=1e-9)
    assert not np.allclose(smooth_rigid_jitter(plain(x, fps=120.0), 120.0, gate_from=x), plain(x, fps=120.0))
    # the same for the global orientation of rotations
    r = _clips(1)[0][:300]
    r = np.stack([resample_poly(r[:, j], 4, 1, axis=0) for j in range(r.shape[1])], axis=1)  # smooth, 120 fps
    wobbly = r.copy()
    wobble = axis_angle_to_matrix(_fast_wobble(len(r), 120.0, 4, 3.0))
    wobbly[:, 0] = matrix_to_axis_angle(np.einsum("tab,tbc->tac", wobble, axis_angle_to_matrix(r[:, 0])))
    with_stage = RotationNetwork(get_refiner("synsp-universal-w16-rot"))
    without = RotationNetwork(with_stage.network, smooth_root=False)
    assert np.allclose(with_stage(wobbly, fps=120.0), without(wobbly, fps=120.0), atol=1e-9)
    with pytest.raises(SynspInputError, match="gate_from has shape"):  # another rate, but not the same joints
        smooth_root_jitter(wobbly, 120.0, gate_from=wobbly[::4, :5], gate_from_fps=30.0)


def test_the_global_orientation_is_turned_at_most_by_the_cap_times_its_jitter():
    from synsp.root_jitter import ROOT_CORRECTION_CAP, _root_gate_and_level

    g = _clips(1)[0]
    shaken = _family(g, "rigid-shake", 2)
    _, level = _root_gate_and_level(shaken, 30.0)
    for cap, bound in ((ROOT_CORRECTION_CAP, ROOT_CORRECTION_CAP), (np.inf, None)):
        out = smooth_root_jitter(shaken, 30.0, cap=cap)
        turn = np.linalg.norm(matrix_to_axis_angle(np.einsum("tab,tcb->tac", axis_angle_to_matrix(out[:, 0]),
                                                             axis_angle_to_matrix(shaken[:, 0]))), axis=-1)
        assert turn.max() > 0
        if bound is None:  # uncapped, the smoother turns some frames further than that
            assert np.any(turn > ROOT_CORRECTION_CAP * np.radians(level) + 1e-6)
        else:
            assert np.all(turn <= bound * np.radians(level) + 1e-6)


def test_the_global_orientation_is_not_smoothed_over_a_cut():
    g = _clips(1)[0][:300]
    shaken = _family(g, "rigid-shake", 6)
    rest = shaken[0].copy()
    rest[0] = matrix_to_axis_angle(axis_angle_to_matrix(np.array([0.0, np.radians(150.0), 0.0]))
                                   @ axis_angle_to_matrix(shaken[0, 0]))  # a rest pose turned away in front
    x = np.concatenate([rest[None], shaken])
    out, alone = smooth_root_jitter(x, 30.0), smooth_root_jitter(shaken, 30.0)
    assert np.allclose(out[0], x[0])  # the rest pose alone is too short a piece to smooth
    early = slice(0, 10)  # the take's first frames are smoothed as without the rest pose in front
    assert _root_error(out[1:][early], alone[early]) < 0.2 * _root_error(shaken[early], alone[early])
    dragged = smooth_root_jitter(x, 30.0, max_turn_deg_s=np.inf)  # smoothed across the cut, as before
    assert _root_error(dragged[1:][early], alone[early]) > _root_error(out[1:][early], alone[early])
