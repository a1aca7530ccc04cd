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
