"""Input below a network's rate, down to a third of it, is refined at its own rate, frame for frame (its frames are
motion played faster, which the networks learned); below 29.7 fps by default with the 8-frame universal model
(synsp.api.LOW_RATE_MODEL).  Through a spline to 30 fps the default had left the jitter, which the spline turns
smooth."""

from __future__ import annotations

import numpy as np
import pytest

import synsp
from synsp.api import LOW_RATE_FPS, LOW_RATE_MODEL, UNIVERSAL_MODEL, VIEWS_MODEL, choose_model
from synsp.batch import method_for
from synsp.data.corpus import load_corpus
from synsp.io.tracks import PoseFile, Track
from synsp.refiners import NATIVE_SLOWDOWN, NetworkRefiner, get_refiner
from synsp.validation import SynspInputError


def test_below_30_fps_the_default_runs_the_8_frame_network_at_the_inputs_rate_and_removes_the_jitter():
    assert LOW_RATE_MODEL != UNIVERSAL_MODEL
    assert choose_model(17, 3, fps=15)[0] == choose_model(33, 2, fps=12)[0] == choose_model(17, 3, fps=24)[0] \
        == LOW_RATE_MODEL
    assert choose_model(17, 3, fps=25)[0] == choose_model(17, 3, fps=29)[0] == LOW_RATE_MODEL  # PAL video too
    assert choose_model(17, 3, fps=LOW_RATE_FPS)[0] == choose_model(17, 3, fps=29.97)[0] == UNIVERSAL_MODEL
    assert choose_model(17, 3)[0] == UNIVERSAL_MODEL  # no rate known: the network's own
    assert choose_model(17, 3, views=2, fps=15)[0].startswith(VIEWS_MODEL)  # views: the views model
    net = get_refiner(LOW_RATE_MODEL)
    rate = net.card.fps
    assert net.runs_at(rate) and net.runs_at(15.0) and net.runs_at(rate / NATIVE_SLOWDOWN)
    assert not net.runs_at(0.99 * rate / NATIVE_SLOWDOWN) and not net.runs_at(60.0)
    truth = np.asarray(load_corpus()[2].positions, dtype=np.float64)[::2]  # a test clip captured at 15 fps
    noisy = truth + np.random.default_rng(0).normal(scale=0.01, size=truth.shape)
    error = lambda y: float(np.linalg.norm(y - truth, axis=-1).mean())  # noqa: E731
    # frame for frame: the network alone gives at 15 fps what it gives to the same frames at its own rate
    plain = NetworkRefiner(net.model, net.card, smooth_rigid=False)
    np.testing.assert_array_equal(plain(noisy, fps=15.0), plain(noisy, fps=rate))
    now = error(synsp.refine(noisy, fps=15))  # 9.5 mm of the input's 16.0 (through the spline: 16.0 left)
    assert now < 0.7 * error(noisy) and error(synsp.refine(truth, fps=15)) < 0.0005  # clean: 0.2 mm added
    track = Track(0, np.arange(len(noisy)), noisy)  # a file says its rate; --fps overrides it
    slow = PoseFile(tracks=[track], num_frames=len(noisy), format="array", units="m", fps=15.0)
    assert method_for(slow, None)[0].card.name == LOW_RATE_MODEL
    assert method_for(slow, None, fps=30.0)[0].card.name == UNIVERSAL_MODEL


def test_a_stream_below_the_networks_rate_equals_offline_and_a_faster_one_is_told_what_to_do():
    truth = np.asarray(load_corpus()[2].positions, dtype=np.float64)[::2][:80]
    x = truth + np.random.default_rng(1).normal(scale=0.01, size=truth.shape)
    stream = synsp.Stream(fps=15, repair=False, cuts=False)
    assert stream.fps == 15.0 and stream.max_gap == 8  # half a second at its rate
    out = [f for frame in x for f in stream.push(frame)] + stream.flush()[0]
    net = get_refiner(synsp.Stream().refiner.name)
    offline = NetworkRefiner(net.model, net.card, smooth_rigid=False)(x, fps=15.0)
    np.testing.assert_allclose(np.stack(out), offline, atol=1e-9)
    with pytest.raises(SynspInputError, match=r"one frame in 2 \(Stream\(fps=30\)\)"):
        synsp.Stream(fps=60)
    with pytest.raises(SynspInputError, match="runs online at 10 to 30 fps"):
        synsp.Stream(fps=8)
    assert synsp.Stream("one-euro", fps=60).fps == 60.0  # a filter takes any rate


def test_the_views_command_and_the_mmpose_smoother_choose_by_the_rate_too(tmp_path, capsys):
    """The review of the change: `synsp refine --views` and MMPose's Smoother("synsp", frame_rate=15) chose the 30 fps
    weights whatever the rate."""
    from synsp.adapters.mmpose import Smoother
    from synsp.cli import main

    assert Smoother("synsp", keypoint_dim=3, frame_rate=15)._synsp_model(17, online=False) == LOW_RATE_MODEL
    assert Smoother("synsp", keypoint_dim=3, frame_rate=30)._synsp_model(17, online=False) == UNIVERSAL_MODEL
    truth = np.asarray(load_corpus()[2].positions, dtype=np.float64)[::2, :, :2] * 500  # two 15 fps 2D cameras
    views = np.stack([truth, truth + 40.0], axis=1) + np.random.default_rng(1).normal(scale=4.0, size=(len(truth),
                                                                                                      2, 17, 2))
    np.savez(tmp_path / "views.npz", keypoints=views, fps=np.asarray(15.0))
    assert main(["refine", str(tmp_path / "views.npz"), "-o", str(tmp_path / "out.npz"), "--views"]) == 0
    with np.load(tmp_path / "out.npz") as z:
        out = z["keypoints"]
    ours = synsp.refine(views, fps=15, views=True)
    np.testing.assert_allclose(out, ours, atol=1e-6)  # the command refines as synsp.refine at the file's rate
    noisy = float(np.linalg.norm(views[:, 0] - truth, axis=-1).mean())
    assert float(np.linalg.norm(out[:, 0] - truth, axis=-1).mean()) < 0.8 * noisy


def test_rotations_run_at_the_networks_rate_only():
    """At 15 fps the rotation weights on the frames as they are added 0.03-0.08 degrees to the smallest held-out
    errors of the validation split: rotations keep the spline, and their stream its rate."""
    rot = synsp.rotations.rotation_filter("synsp-universal-w16-rot", 24)
    assert rot.network.runs_at(15.0) and not rot.network.runs_at(15.0, rotations=True)
    with pytest.raises(SynspInputError, match="refines rotations online at its rate 30 fps only"):
        rot.online(fps=15.0)
    x = np.zeros((40, 24, 3))
    x[:, 0, 0] = np.linspace(0.0, 1.0, 40)  # a root turning steadily
    plain = synsp.rotations.RotationNetwork(rot.network, smooth_root=False)
    assert np.abs(plain(x, fps=15.0) - plain(x, fps=30.0)).max() > 1e-6  # through the spline, not frame for frame


def test_only_the_universal_models_run_below_their_rate_frame_for_frame():
    """Review: SmoothNet, DeciWatch, HANet and the dedicated SynSP models so run added 2-10 mm more to clean motion
    at 15 fps than through the spline (they did not learn faster motion)."""
    for name in ("smoothnet-h36m17-3d-w8", "synsp-h36m17-3d-w8", "synsp-coco17-2d-w8"):
        net = get_refiner(name)
        assert net.runs_at(30.0) and net.runs_at(30.3) and not net.runs_at(15.0), name
        with pytest.raises(SynspInputError, match="runs online at 30 fps"):
            net.online(fps=15.0)
    assert get_refiner("synsp-universal-w8-causal").runs_at(15.0)
