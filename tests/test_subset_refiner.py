"""A COCO-17 network refining larger skeletons (MediaPipe 33, BODY_25, WholeBody 133)."""

import numpy as np
import pytest

import synsp
from synsp.api import default_model
from synsp.refiners import SubsetRefiner, fit_refiner, get_refiner, subset_indices
from synsp.skeletons import get_skeleton

MODEL = "synsp-coco17-2d-w8"


def _noisy(J, T=40, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None, None]
    return rng.uniform(200, 600, (1, J, 2)) + 3.0 * t + rng.normal(0, 4, (T, J, 2))


@pytest.mark.parametrize("skeleton", ["mediapipe33", "body25", "coco133"])
def test_the_default_2d_model_serves_skeletons_that_contain_coco17(skeleton):
    J = get_skeleton(skeleton).num_joints
    assert default_model(J, 2, skeleton) == MODEL
    assert isinstance(fit_refiner(get_refiner(MODEL), J, skeleton), SubsetRefiner)


def test_shared_joints_are_the_network_output_on_them():
    x = _noisy(33)
    idx = subset_indices("mediapipe33", "coco17")
    out = synsp.refine(x, model=MODEL, skeleton="mediapipe33")
    np.testing.assert_allclose(out[:, idx], synsp.refine(x[:, idx], model=MODEL), atol=1e-9)


def test_rigidly_attached_extra_joints_move_with_their_anchor():
    x = _noisy(33, seed=1)
    sk = get_skeleton("mediapipe33")
    heel, ankle = sk.index("left_heel"), sk.index("left_ankle")
    x[:, heel] = x[:, ankle] + np.array([5.0, 12.0])  # constant offset from the ankle
    out = synsp.refine(x, model=MODEL, skeleton="mediapipe33")
    np.testing.assert_allclose(out[:, heel] - out[:, ankle], np.tile([5.0, 12.0], (len(x), 1)), atol=1e-6)


def test_extra_joints_get_smoother():
    x = _noisy(33, T=120, seed=2)
    out = synsp.refine(x, model=MODEL, skeleton="mediapipe33")
    extra = [j for j in range(33) if j not in subset_indices("mediapipe33", "coco17")]
    jitter = lambda a: np.abs(np.diff(a[:, extra], 2, axis=0)).mean()  # noqa: E731
    assert jitter(out) < 0.5 * jitter(x)


def test_a_skeleton_without_the_models_joints_is_refused():
    with pytest.raises(synsp.validation.SynspInputError, match="17 joints|expected J = 17"):
        synsp.refine(_noisy(14), model=MODEL)


def test_the_model_for_accurate_2d_detectors_leaves_accurate_input_as_accurate():
    from synsp.api import default_model
    from synsp.data.corpus import embedded_corpus_path
    from synsp.metrics import summarize
    from synsp.refiners import get_refiner
    from synsp.training import validation_split

    assert default_model(17, 2, "coco17") == "synsp-coco17-2d-w8"  # the accurate-input model is opt-in
    clips = validation_split("coco17", "hrnet-like", 600, str(embedded_corpus_path()), split="test",
                             representation="2d")
    gts = [g for g, _, _ in clips]
    raw = [np.where(np.isnan(x), g, x) for g, x, _ in clips]
    out = [get_refiner("synsp-coco17-2d-w8-accurate")(x, fps=30, confidence=c) for _, x, c in clips]
    before, after = (summarize(p, gts) for p in (raw, out))
    assert after["mpjpe"] < 1.02 * before["mpjpe"] and after["accel"] < 0.95 * before["accel"]


@pytest.mark.parametrize("skeleton,body", [("coco133", 23), ("openpose137", 25), ("halpe136", 26)])
def test_the_universal_model_refines_a_whole_bodys_body_and_feet_and_the_face_and_hands_follow(skeleton, body):
    from synsp.api import UNIVERSAL_MODEL
    from synsp.skeletons import BODY_JOINTS

    sk = get_skeleton(skeleton)
    universal = get_refiner(UNIVERSAL_MODEL)
    fitted = fit_refiner(universal, sk.num_joints)
    assert isinstance(fitted, SubsetRefiner) and fitted.subset == list(range(body)) == list(BODY_JOINTS[skeleton])
    assert fit_refiner(universal, 33) is universal  # a body of any other joint set: all of it
    x = _noisy(sk.num_joints, T=60, seed=3)
    wrist, thumb_tip = sk.index("left_wrist"), sk.index("left_thumb4")
    x[:, thumb_tip] = x[:, wrist] + np.array([-7.0, 20.0])  # a hand point riding rigidly on the wrist
    out = synsp.refine(x, repair=False)
    # the body (and COCO-WholeBody's feet) are the universal model's output on them alone
    np.testing.assert_allclose(out[:, :body], universal(x[:, :body], fps=30.0), atol=1e-6)
    np.testing.assert_allclose(out[:, thumb_tip] - out[:, wrist], np.tile([-7.0, 20.0], (len(x), 1)), atol=1e-6)
    jitter = lambda a: np.abs(np.diff(a[:, body:], 2, axis=0)).mean()  # noqa: E731  face and hands
    assert jitter(out) < 0.5 * jitter(x)


def test_a_whole_bodys_views_are_fused_after_the_universal_model_on_each_views_body():
    from synsp.refiners import NetworkRefiner

    view_mean = get_refiner("synsp-universal-w16+view-mean")
    fitted = fit_refiner(view_mean, 133)
    assert isinstance(fitted.inner, SubsetRefiner) and isinstance(view_mean.inner, NetworkRefiner)
    assert fit_refiner(view_mean, 17) is view_mean
    rng = np.random.default_rng(4)
    x = np.cumsum(rng.normal(0, 0.01, (40, 1, 133, 3)), axis=0) + rng.normal(0, 0.02, (40, 3, 133, 3))
    out = synsp.refine(x, views=True, repair=False)
    assert out.shape == x.shape and np.isfinite(out).all()
    np.testing.assert_allclose(out[:, 0], out[:, 2])  # one fused pose for every view


def test_extra_joints_filtered_in_blocks_give_what_all_at_once_gives(monkeypatch):
    # a whole body's 116 face, hand and foot points are offset-filtered a block at a time (bounded memory over
    # an hour); the result must not depend on the block: one joint per block, the default, all in one
    import synsp.refiners as refiners

    x = _noisy(133, T=60, seed=3)
    x[5:9, 40] = np.nan  # a face point missing for a few frames: filled over time in its block
    x[:, 120] = np.nan  # a hand point never seen: left as it was
    net = fit_refiner(get_refiner("synsp-universal-w16"), 133, "coco133")
    outs = []
    for block in (1, refiners._EXTRA_BLOCK, 1000):
        monkeypatch.setattr(refiners, "_EXTRA_BLOCK", block)
        outs.append(net(x, fps=30.0, return_filled=True))
    for out, filled in outs[1:]:
        np.testing.assert_array_equal(out, outs[0][0])
        np.testing.assert_array_equal(filled, outs[0][1])
    assert np.isnan(outs[0][0][:, 120]).all() and outs[0][1][5:9, 40].all() and np.isfinite(outs[0][0][:, 40]).all()
