"""The one refiner contract (synsp.filters.base.Refiner): every filter, every shipped model and the wrappers
(subset, similar poses, rotations, a plain function) have the same surface -- name, window, causal, delay,
min_confidence, ``__call__(..., return_filled=True)`` and ``online()`` -- and their online form gives every
frame once, ``delay`` frames after it came, equal to the offline output where the method allows."""

import json
import warnings

import numpy as np
import pytest
import torch

from synsp.filters import FILTERS, WHOLE_SEQUENCE, Online, Refiner
from synsp.refiners import FunctionRefiner, NetworkRefiner, fit_refiner, get_refiner, shipped_models
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

SHIPPED = sorted(shipped_models())
CASES = sorted(FILTERS) + SHIPPED + [
    "synsp-h36m17-3d-w8-p4+similar-poses",  # the grouping wrapper
    "subset:synsp-coco17-2d-w8@mediapipe33",  # the subset wrapper
    "subset:synsp-universal-w8-causal@coco133",  # a causal one: a whole body's face and hands follow at zero delay
    "causal:synsp-h36m17-3d-w8",  # a window network made causal
    "causal:synsp-smpl24-rot-w8",  # the rotation network made causal
    "function",  # any function behind the contract
    "universal",  # the universal network (any joint set)
]
_LOADED: dict = {}


def card_of(name):
    return json.loads(shipped_models()[name].with_suffix(".json").read_text())


def make(case):
    """``(refiner, J, D, views, rotations)`` of a contract case (loaded once per session)."""
    if case in _LOADED:
        return _LOADED[case]
    if case in FILTERS:
        made = get_refiner(case), 6, 3, 1, False
    elif case == "function":
        made = FunctionRefiner(lambda x, fps=None, confidence=None: np.nan_to_num(np.asarray(x)), name="zeros"), 6, 2, \
            1, False
    elif case == "universal":
        from synsp.models.checkpoint import ModelCard
        from synsp.models.universal import UniversalConfig, UniversalSynSP
        from synsp.normalization import CENTROID

        tiny = dict(d_model=16, d_inner=16, n_layers=1, n_refine_layers=1, n_head=2, d_k=8, d_v=8)
        torch.manual_seed(0)
        card = ModelCard(name="uni", architecture="universal", config={**tiny, "window": 8}, skeleton="any", dims=3,
                         window=8, normalization=CENTROID, mask=True)
        made = NetworkRefiner(UniversalSynSP(UniversalConfig(**tiny)).eval(), card), 7, 3, 1, False
    elif case.startswith("subset:"):
        name, skeleton = case[len("subset:"):].split("@")
        J = get_skeleton(skeleton).num_joints
        made = fit_refiner(get_refiner(name), J, skeleton), J, 2, 1, False
    elif case.startswith("causal:"):
        name = case[len("causal:"):]
        c = card_of(name)
        rot = c["normalization"].startswith("rot6d")
        made = get_refiner(name, causal=True), 24 if rot else 17, 3, 1, rot
    else:
        c = card_of(case.split("+")[0])
        rot = c["normalization"].startswith("rot6d")
        views = 1 if case.endswith("+similar-poses") else c["views"]
        made = get_refiner(case), 24 if rot else 17, 3 if rot else c["dims"], views, rot  # rotations: axis-angles
    _LOADED[case] = made
    return made


def sequence(T, J, D, views=1, rotations=False, seed=0):
    """A smooth walk with jitter: metres (3D), pixels (2D) or axis-angles (rotations)."""
    rng = np.random.default_rng(seed)
    shape = (T, views, J, D) if views > 1 else (T, J, D)
    scale = 0.02 if rotations else 3.0 if D == 2 else 0.01
    base = rng.normal(scale=0.3, size=shape[1:]) if rotations else rng.normal(scale=40 * scale, size=shape[1:])
    return base + np.cumsum(rng.normal(scale=scale, size=shape), axis=0) + rng.normal(scale=scale, size=shape)


def frames_needed(refiner):
    return max(refiner.window, 8) + 12


@pytest.mark.parametrize("case", CASES)
def test_every_refiner_has_the_surface(case):
    r, *_ = make(case)
    assert isinstance(r, Refiner)
    assert isinstance(r.name, str) and r.name
    assert isinstance(r.window, int) and r.window >= 1
    assert isinstance(r.causal, bool)
    assert isinstance(r.delay, int) and (r.delay >= 0 or r.delay == WHOLE_SEQUENCE)
    if r.causal:
        assert r.delay == 0
    assert isinstance(r.min_confidence, float)


def test_the_delays_are_each_kinds_look_ahead():
    delays = {name: get_refiner(name).delay for name in FILTERS}
    assert delays == {"one-euro": 0, "one-euro-mmpose": 0, "kalman": 0, "savgol": 15, "savgol-mmpose": 5,
                      "gaussian": 30, "gaussian-mmpose": 21, "butterworth": WHOLE_SEQUENCE,
                      "kalman-rts": WHOLE_SEQUENCE}
    for name in SHIPPED:  # window networks: the last window holding a frame ends W - 1 frames later
        r = get_refiner(name)
        assert r.delay == (0 if r.causal else r.window - 1), name


@pytest.mark.parametrize("case", CASES)
def test_call_returns_the_poses_and_the_mask_of_the_joints_it_filled(case):
    r, J, D, views, rot = make(case)
    T = frames_needed(r)
    x = sequence(T, J, D, views, rot)
    x[3:5, ..., 2, :] = np.nan  # a joint lost for two frames
    conf = np.ones(x.shape[:-1])
    conf[6, ..., 0] = 0.1  # and one below the confidence threshold
    out, filled = r(x, confidence=conf, return_filled=True)
    assert isinstance(out, np.ndarray) and out.shape == x.shape and out.dtype == np.float64
    assert np.isfinite(out).all()
    assert filled.dtype == bool and filled.shape == x.shape[:-1]
    np.testing.assert_array_equal(filled, np.isnan(x).any(-1) | (conf < r.min_confidence))
    np.testing.assert_array_equal(r(x, confidence=conf), out)


@pytest.mark.parametrize("case", CASES)
def test_the_input_is_only_read_and_may_be_read_only(case):
    """A reader's array is passed on as a read-only view (an hour of a body is not copied): every refiner takes
    it, gap-free (nothing to fill) or not, and leaves it as it was."""
    r, J, D, views, rot = make(case)
    for gap in (False, True):
        x = sequence(frames_needed(r), J, D, views, rot)
        if gap:
            x[3:5, ..., 2, :] = np.nan
        kept = x.copy()
        x.flags.writeable = False
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = r(x)
        np.testing.assert_array_equal(x, kept)
        assert out.shape == x.shape and np.isfinite(out).all() and not np.shares_memory(out, x)


def run_online(online, tracks):
    """Step ``tracks`` (a list of (T, J, D) arrays of one length) through ``online`` together: the frames out per
    track, and for each step the number of frames out so far per track."""
    states = [online.start() for _ in tracks]
    got = [[] for _ in tracks]
    counts = []
    for t in range(len(tracks[0])):
        frames = [x[t] for x in tracks]
        results = online.step(states, frames, [np.zeros(len(f), dtype=bool) for f in frames])
        for k, res in enumerate(results):
            assert res is not None  # every joint observed: every frame is taken
            got[k] += res
        counts.append([len(g) for g in got])
    for k, res in enumerate(online.finish(states)):
        got[k] += res
    return got, counts


@pytest.mark.parametrize("case", CASES)
def test_online_gives_every_frame_once_after_its_delay_or_refuses_clearly(case):
    r, J, D, views, rot = make(case)
    T = frames_needed(r)
    a, b = sequence(T, J, D, 1, rot, seed=1), sequence(T, J, D, 1, rot, seed=2)
    for causal in (None, True):
        try:
            online = r.online(causal=causal)
        except SynspInputError as err:  # a whole-sequence filter (by default) or a multi-view network
            assert causal is None and r.delay == WHOLE_SEQUENCE or views > 1 or case == "function", case
            msg = str(err)
            assert "\n" not in msg and ("causal=True" in msg or "single-view" in msg or "no online form" in msg)
            continue
        assert isinstance(online, Online)
        delay = online.delay
        assert delay == (0 if causal else r.delay)
        assert online.rotations is rot and D in online.dims and online.joints in (None, J)
        got, counts = run_online(online, [a, b])
        for t, c in enumerate(counts):  # frame t - delay comes out when frame t goes in
            assert c == [max(0, t + 1 - delay)] * 2, (case, causal, t)
        for g in got:
            assert len(g) == T and all(f.shape == (J, D) and np.isfinite(f).all() for f in g)
    if views > 1:
        with pytest.raises(SynspInputError, match="single-view"):
            r.online(causal=True)


ONLINE_EQUALS_OFFLINE = [n for n in sorted(FILTERS) if get_refiner(n).delay != WHOLE_SEQUENCE] + [
    n for n in SHIPPED if card_of(n)["views"] == 1] + [
    "synsp-h36m17-3d-w8-p4+similar-poses", "causal:synsp-h36m17-3d-w8", "causal:synsp-smpl24-rot-w8",
    "subset:synsp-universal-w8-causal@coco133"]


@pytest.mark.parametrize("case", ONLINE_EQUALS_OFFLINE)
def test_online_equals_offline_where_the_method_allows(case):
    r, J, D, views, rot = make(case)
    T = frames_needed(r)
    x = sequence(T, J, D, 1, rot, seed=3)
    (online,), _ = run_online(r.online(), [x])
    start = r.delay if case.startswith("savgol") else 0  # offline fits a track's first frames with later ones
    offline = r
    if getattr(r, "stride", 1) > 1:  # a card's offline stride skips windows; online every window ends a frame
        offline = NetworkRefiner(r.model, r.card, stride=1)
        assert np.abs(r(x) - offline(x)).max() < 0.1 * np.abs(x).max()  # the skipped windows change little
    np.testing.assert_allclose(np.stack(online)[start:], offline(x)[start:], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["butterworth", "savgol-mmpose", "gaussian-mmpose", "kalman-rts"])
def test_zero_delay_is_mmposes_online_rule(name):
    """``online(causal=True)``: each frame the last frame of the filter over the track's last ``window`` frames
    (MMPose's Smoother online); the Kalman smoother's latest estimate is its forward filter's."""
    import dataclasses

    f = get_refiner(name)
    x = sequence(40, 5, 3, seed=4)
    (online,), _ = run_online(f.online(causal=True), [x])
    if name == "kalman-rts":
        want = dataclasses.replace(f, smoother=False)(x)
    else:
        want = np.stack([f(x[max(0, t - f.window + 1): t + 1])[-1] for t in range(len(x))])
    np.testing.assert_allclose(np.stack(online), want, atol=1e-12)


def test_a_missing_joint_holds_its_value_online_and_a_kalman_filter_does_not_measure_it():
    x = sequence(30, 4, 3, seed=5)
    missing = np.zeros((30, 4), dtype=bool)
    missing[10:14, 1] = True
    lost = np.where(missing[..., None], 1e6, x)  # what a missing joint's coordinates hold is never read
    for name in ("one-euro", "kalman", "savgol-mmpose"):
        online = get_refiner(name).online()
        state = online.start()
        got = []
        for t in range(30):
            got += online.step([state], [lost[t]], [missing[t]])[0]
        got += online.finish([state])[0]
        got = np.stack(got)
        assert np.abs(got).max() < 10
        held = np.where(missing[..., None], x[9, 1], x)  # the joint holds frame 9's value
        if name == "kalman":  # not measured: the offline filter with the joint missing
            want = get_refiner(name)(np.where(missing[..., None], np.nan, x))
            np.testing.assert_allclose(got, want, atol=1e-9)
        elif name == "one-euro":
            np.testing.assert_allclose(got, get_refiner(name)(held), atol=1e-12)
    nothing = get_refiner("one-euro").online()
    state = nothing.start()
    assert nothing.step([state], [x[0]], [np.ones(4, dtype=bool)]) == [None]  # no joint seen yet: not taken


UNIT_CASES = [c for c in CASES if c != "function"]


@pytest.mark.parametrize("case", UNIT_CASES)
def test_the_result_does_not_depend_on_the_unit_but_for_one_euros_speed_term(case):
    # metres, millimetres or a hundredth of a metre: every method but One-Euro refines the same motion to the same
    # motion (linear filters, networks normalising each window, the causal whole body's offsets smoothed linearly);
    # One-Euro's cut-off rises with the speed in the data's units, so its presets smooth metres far more than mm
    r, J, D, views, rot = make(case)
    if rot:
        pytest.skip("rotations have one unit (radians)")
    x = sequence(frames_needed(r) + 10, J, D, views, rot, seed=6)
    out = r(x, fps=30.0)
    worst = max(np.abs(r(x * s, fps=30.0) / s - out).max() for s in (1000.0, 0.01)) / np.abs(x).max()
    if case.startswith("one-euro"):
        assert worst > 1e-3
    else:
        assert worst < 1e-5, worst
