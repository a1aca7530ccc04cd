"""What synsp.refine says of a user's mistake, and when it warns: each message names the mistake in the input's own
terms and what to do (the audit of 2026-12-07: an all-NaN (T, J, D) array was "person/view 0", a 2D model on 3D
points named neither the model nor what it takes, a model function returning a list "returned shape None")."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import synsp
from synsp.data.corpus import load_corpus
from synsp.validation import SynspInputError, SynspOutputError


def _noisy(frames: int = 60, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(load_corpus()[2].positions, dtype=np.float64)[: frames * step: step]
    return truth, truth + np.random.default_rng(0).normal(0, 0.01, truth.shape)


def test_all_nan_poses_say_what_to_do_without_a_person_or_view():
    for model in (None, "kalman-rts"):  # a network said "person/view 0 ...", a filter "... nothing to filter"
        with pytest.raises(SynspInputError) as info:
            synsp.refine(np.full((50, 17, 3), np.nan), model=model)
        text = str(info.value)
        assert text.startswith("poses: every coordinate is NaN") and "person" not in text and "view" not in text
        assert "Give the joints' finite coordinates: NaN marks a missing joint" in text
    with pytest.raises(SynspInputError, match="no joint of any person or view is seen"):
        synsp.refine(np.full((50, 2, 17, 3), np.nan))


def test_poses_without_joints_say_what_is_expected():
    with pytest.raises(SynspInputError, match=r"has 0 joints \(shape \(100, 0, 3\)\); expected at least one joint"):
        synsp.refine(np.zeros((100, 0, 3)))


def test_a_model_of_other_points_is_named_with_what_it_refines():
    _, x = _noisy()
    # it said "poses has D = 3 coordinates per joint ...; expected D in {2}", naming neither the model nor what to do
    with pytest.raises(SynspInputError, match=r"model='synsp-coco17-2d-w8' refines 2D points, and poses holds 3D "
                                              r"points \(D = 3.*name a 3D model or a filter .* or leave model= out"):
        synsp.refine(x, model="synsp-coco17-2d-w8")
    with pytest.raises(SynspInputError, match="model='synsp-h36m17-3d-w8' refines 3D points, and poses holds 2D"):
        synsp.refine(x[:, None, :, :2], model="synsp-h36m17-3d-w8")


def test_a_model_function_returning_a_list_is_told_to_return_an_array():
    _, x = _noisy()
    as_list = lambda p, fps=None, confidence=None: np.asarray(p).tolist()  # noqa: E731
    for poses in (x, x[:, None]):  # persons: a TypeError ("list indices must be integers or slices, not tuple")
        with pytest.raises(SynspOutputError, match=r"returned a list \(not an array\) .* must return an array of the "
                                                   r"input's shape"):
            synsp.refine(poses, model=as_list, fps=30)


def test_a_joint_never_given_to_a_person_is_warned_about_naming_the_person():
    _, x = _noisy()
    x[:, 10] = np.nan
    with warnings.catch_warnings(record=True) as caught:  # (T, J, D) warned; (T, 1, J, D) did not
        warnings.simplefilter("always")
        out = synsp.refine(x[:, None], fps=30, model="kalman-rts")
    said = [w for w in caught if "joint 10 is missing" in str(w.message)]
    assert len(said) == 1 and str(said[0].message).startswith("synsp.refine: person 0: joint 10 is missing")
    assert os.path.basename(said[0].filename) == os.path.basename(__file__)  # the caller's line
    assert np.isnan(out[:, 0, 10]).all() and np.isfinite(np.delete(out, 10, axis=2)).all()


def test_below_the_networks_native_rates_the_universal_model_warns_that_it_barely_refines():
    truth, x = _noisy(50, step=4)  # 7.5 fps motion
    error = lambda y: float(np.linalg.norm(y - truth, axis=-1).mean())  # noqa: E731
    with pytest.warns(UserWarning, match=r"at 8 fps synsp-universal-w8 barely refines.*model='kalman-rts'"):
        out = synsp.refine(x, fps=8)
    assert error(out) > 0.99 * error(x)  # 15.99 -> 15.97 mm: left as it came (Kalman-RTS 13.75)
    for kw in (dict(fps=10), dict(fps=8, model="kalman-rts"), dict(fps=8, model="synsp-h36m17-3d-w8")):
        with warnings.catch_warnings(record=True) as caught:  # none: at its own rates, a filter, a network that refines
            warnings.simplefilter("always")
            synsp.refine(x, **kw)
        assert not [w for w in caught if "barely refines" in str(w.message)], kw
