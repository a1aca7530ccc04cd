"""Input below 25 fps is refined by the universal model fine-tuned on low-rate captures (synsp.api.LOW_RATE_MODEL):
the default one left the jitter that the spline bringing such input to 30 fps turns smooth."""

from __future__ import annotations

import numpy as np

import synsp
from synsp.api import LOW_RATE_FPS, LOW_RATE_MODEL, UNIVERSAL_MODEL, VIEWS_MODEL, choose_model
from synsp.batch import method_for
from synsp.data.corpus import load_corpus
from synsp.io.tracks import PoseFile, Track


def test_below_25_fps_the_default_is_the_low_rate_model_and_it_removes_the_jitter_the_default_left():
    assert choose_model(17, 3, fps=15)[0] == choose_model(33, 2, fps=12)[0] == choose_model(17, 3, fps=24)[0] \
        == LOW_RATE_MODEL
    assert choose_model(17, 3, fps=LOW_RATE_FPS)[0] == choose_model(17, 3, fps=25)[0] == UNIVERSAL_MODEL
    assert choose_model(17, 3)[0] == UNIVERSAL_MODEL  # no rate known: the network's own
    assert choose_model(17, 3, views=2, fps=15)[0].startswith(VIEWS_MODEL)  # views: the views model
    truth = np.asarray(load_corpus()[2].positions, dtype=np.float64)[::2]  # a test clip captured at 15 fps
    noisy = truth + np.random.default_rng(0).normal(scale=0.01, size=truth.shape)
    error = lambda y: float(np.linalg.norm(y - truth, axis=-1).mean())  # noqa: E731
    before = error(synsp.refine(noisy, fps=15, model=UNIVERSAL_MODEL))  # 15.97 mm: the input's 15.97 left
    now = error(synsp.refine(noisy, fps=15))  # 9.62 mm
    assert now < 0.75 * before and error(synsp.refine(truth, fps=15)) < 0.0005  # clean: 0.09 mm added
    track = Track(0, np.arange(len(noisy)), noisy)  # a file says its rate; --fps overrides it
    slow = PoseFile(tracks=[track], num_frames=len(noisy), format="array", units="m", fps=15.0)
    assert method_for(slow, None)[0].card.name == LOW_RATE_MODEL
    assert method_for(slow, None, fps=30.0)[0].card.name == UNIVERSAL_MODEL


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
