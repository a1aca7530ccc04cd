"""Fuzz-style value tests: inputs that used to give a silently wrong result (exit 0, no error).

Every case goes through ``synsp`` (``synsp.cli.main``, the installed entry point; stderr captured) and/or
the Python API, and ends in one of two outcomes:

* a clear error: exit status 2, one line on stderr naming the problem, no traceback, no output file (the
  API: :class:`SynspInputError` with a one-line message);
* a correct output: finite where it must be, the same as an equivalent well-formed input.

Categories: fps, magnitudes, anchors, checkpoints, refine_smpl/dtypes, messages, training.
The counts (``fuzz_counts``) are printed at the end with ``-s`` (cases tried / clear errors / correct outputs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import synsp
from synsp.api import refine_pose_file, refine_smpl
from fuzz_counts import count as _count
from synsp.cli import main
from synsp.io.tracks import PoseFile, Track
from synsp.refiners import get_refiner, shipped_models
from synsp.rotations import refine_rotations
from synsp.skeletons import get_skeleton
from synsp.validation import (
    ABSURD_COORDINATE,
    MAX_RESAMPLED_VALUES,
    SynspInputError,
    SynspOutputError,
    check_resampled_length,
)

T, J = 40, 17
MODEL = "synsp-h36m17-3d-w8"
def _clip() -> np.ndarray:
    """The longest real motion of the embedded corpus' test split (Human3.6M-17 joints, metres, 30 fps)."""
    from synsp.data.corpus import load_corpus

    return max(load_corpus(None, skeleton="h36m17", split="test", phases="first"),
               key=lambda c: len(c.positions)).positions.astype(np.float64)


CLIP = _clip()


def poses(T=T, seed=0) -> np.ndarray:
    """Real 3D motion (metres, 30 fps) with 1 cm of jitter."""
    return CLIP[:T] + np.random.default_rng(seed).normal(0, 0.01, (T, J, 3))


def listing(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


def run_cli(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def clear_cli_error(category: str, capsys, d: Path, args: list, *needles: str) -> str:
    """``synsp ARGS`` exits 2 with one line naming the problem (every needle), no traceback, nothing written."""
    before = listing(d)
    code, err = run_cli(capsys, *args)
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert listing(d) == before, "an output or temporary file was left"
    _count(category, "clear error")
    return err


def clear_api_error(category: str, call, *needles: str, kind=SynspInputError) -> str:
    with pytest.raises(kind) as info:
        call()
    msg = str(info.value)
    assert len(msg.splitlines()) == 1, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    _count(category, "clear error")
    return msg


def correct(category: str) -> None:
    _count(category, "correct output")


# ---------------------------------------------------------------------------------------------------- fps

BAD_FPS = ["0", "-30", "nan", "inf", "-inf", "1e9", "1e-9", "1e-3", "0.5", "20000"]


@pytest.mark.parametrize("fps", BAD_FPS)
def test_cli_bad_fps_is_one_clear_line(fps, tmp_path, capsys):
    np.save(tmp_path / "in.npy", poses())
    clear_cli_error("fps", capsys, tmp_path, ["refine", tmp_path / "in.npy", "-o", tmp_path / "out.npy",
                                              "--fps", fps], "--fps", "1 to 10000 Hz")


def test_cli_bad_fps_of_plot_render_and_views(tmp_path, capsys):
    x = poses()
    np.save(tmp_path / "a.npy", x)
    np.save(tmp_path / "b.npy", x)
    np.save(tmp_path / "v.npy", np.stack([x] * 4, axis=1))
    for args in (["plot", tmp_path / "a.npy", tmp_path / "b.npy", "-o", tmp_path / "p.png", "--fps", "0"],
                 ["render", tmp_path / "a.npy", tmp_path / "b.npy", "-o", tmp_path / "r.gif", "--fps", "-1"],
                 ["refine", tmp_path / "v.npy", "-o", tmp_path / "o.npy", "--views", "--fps", "0"]):
        clear_cli_error("fps", capsys, tmp_path, args, "1 to 10000 Hz")


@pytest.mark.parametrize("fps", [0, -30.0, float("nan"), float("inf"), 1e9, 1e-9, 1e-3, True, "30"])
def test_api_bad_fps_every_path(fps):
    x = poses()
    rot = np.random.default_rng(1).normal(0, 0.3, (T, 24, 3))
    pf = PoseFile([Track(0, np.arange(T), x)], T, "array", skeleton="h36m17", fps=30.0, units="m")
    net = get_refiner(MODEL)
    calls = [lambda: synsp.refine(x, model=MODEL, fps=fps),  # network
             lambda: synsp.refine(x, model="one-euro", fps=fps),  # filter
             lambda: net(x, fps=fps),  # NetworkRefiner directly
             lambda: refine_pose_file(pf, model=MODEL, fps=fps),
             lambda: refine_smpl(rot.reshape(T, 72), fps=fps),  # rotation network
             lambda: refine_rotations(rot, model="butterworth", fps=fps)]
    for call in calls:
        clear_api_error("fps", call, "1 to 10000 Hz")


def test_api_bad_fps_of_subset_refiner_and_of_the_file():
    x2 = np.random.default_rng(0).uniform(100, 500, (T, 33, 2))
    clear_api_error("fps", lambda: synsp.refine(x2, fps=1e9, skeleton="mediapipe33"), "1 to 10000 Hz")
    pf = PoseFile([Track(0, np.arange(T), poses())], T, "array", skeleton="h36m17", fps=30.0, units="m")
    pf.fps = 1e9  # a file that stores a wrong rate: named, with the way out
    clear_api_error("fps", lambda: refine_pose_file(pf, model=MODEL), "stored frame rate", "--fps")
    out, _ = refine_pose_file(pf, model=MODEL, fps=60.0)  # the right rate given: fine
    assert np.isfinite(out.tracks[0].keypoints).all()
    correct("fps")


def test_resampled_length_is_bounded_before_allocating():
    clear_api_error("fps", lambda: check_resampled_length(10_000_000, 1.0, 30.0, 51), "over the limit")
    assert check_resampled_length(100, 60.0, 30.0, 51) == 51
    assert MAX_RESAMPLED_VALUES >= 30 * 3600 * 51  # an hour of 17 3D joints at 30 fps fits
    correct("fps")


def test_good_fps_is_refined_and_resampled():
    from synsp.refiners import resample_time

    rng = np.random.default_rng(0)
    for fps, truth in ((1.0, CLIP[::30][:60]), (60.0, resample_time(CLIP[:60], 119)),
                       (10_000.0, resample_time(CLIP[:2], 60))):  # the same motion recorded at that rate
        x = truth + rng.normal(0, 0.01, truth.shape)
        out = synsp.refine(x, model=MODEL, fps=fps)
        assert out.shape == x.shape and np.isfinite(out).all()
        assert np.abs(out - truth).mean() < 0.025  # 0.8 cm input error (a wrong rate: 16 cm to 1 m)
        correct("fps")


# --------------------------------------------------------------------------------------------- magnitudes

def test_one_absurd_coordinate_is_missing_not_a_nan_frame(tmp_path, capsys):
    x = poses()
    clean = synsp.refine(x, model=MODEL)
    for value in (1e20, 1e154, np.inf, -np.inf, -1e300):
        bad = x.copy()
        bad[10, 3, 1] = value
        nan = x.copy()
        nan[10, 3] = np.nan
        out = synsp.refine(bad, model=MODEL)
        np.testing.assert_allclose(out, synsp.refine(nan, model=MODEL), atol=1e-9)  # the same as a missing joint
        assert np.isfinite(out).all() and np.abs(out - clean).max() < 0.2
        correct("magnitudes")
    bad = x.copy()
    bad[10, 3, 1] = 1e20
    np.save(tmp_path / "in.npy", bad)
    code, err = run_cli(capsys, "refine", tmp_path / "in.npy", "-o", tmp_path / "out.npy")
    assert code == 0, err
    assert np.isfinite(np.load(tmp_path / "out.npy")).all()
    correct("magnitudes")


def test_all_absurd_is_a_clear_error(tmp_path, capsys):
    np.save(tmp_path / "in.npy", np.full((T, J, 3), 1e154))
    clear_cli_error("magnitudes", capsys, tmp_path, ["refine", tmp_path / "in.npy", "-o", tmp_path / "out.npy"],
                    "beyond the 1e+09")
    x = poses()
    for bad in (np.full_like(x, 1e200), np.where(np.isnan(np.full_like(x, np.nan)), np.inf, 0)):
        for model in (MODEL, "savgol"):
            clear_api_error("magnitudes", lambda: synsp.refine(bad, model=model), "beyond the 1e+09")
    pf = PoseFile([Track(0, np.arange(T), np.full((T, J, 3), -1e30))], T, "array", skeleton="h36m17", units="m")
    clear_api_error("magnitudes", lambda: refine_pose_file(pf, model=MODEL), "beyond the 1e+09")
    assert ABSURD_COORDINATE == 1e9


def _overflowing_checkpoint(d: Path) -> Path:
    """A checkpoint with finite but huge weights (3e38): its output overflows to inf/NaN."""
    from safetensors.torch import load_file, save_file

    stem = shipped_models()[MODEL]
    shutil.copy(stem.with_suffix(".json"), d / "huge.json")
    state = load_file(str(stem.with_suffix(".safetensors")))
    state = {k: (torch.full_like(v, 3e38, dtype=torch.float32) if "refinement_head" in k else v)
             for k, v in state.items()}
    save_file(state, str(d / "huge.safetensors"))
    return d / "huge"


def test_a_nan_result_is_never_returned_or_written(tmp_path, capsys):
    ckpt = _overflowing_checkpoint(tmp_path)
    np.save(tmp_path / "in.npy", poses())
    # such weights are refused when loaded (a corrupt checkpoint, since 2026-12-07) ...
    clear_cli_error("magnitudes", capsys, tmp_path,
                    ["refine", tmp_path / "in.npy", "-o", tmp_path / "out.npy", "--model", ckpt],
                    "the checkpoint is corrupt")
    # ... and a network that overflows anyway (built in Python) is caught on its output: nothing returned
    from safetensors.torch import load_file

    from synsp.models.checkpoint import load_model
    from synsp.refiners import NetworkRefiner

    model, card = load_model(shipped_models()[MODEL])
    model.load_state_dict(load_file(str(ckpt) + ".safetensors"))
    huge = NetworkRefiner(model, card)
    clear_api_error("magnitudes", lambda: synsp.refine(poses(), model=huge), "came out NaN or inf",
                    kind=SynspOutputError)
    pf = PoseFile([Track(0, np.arange(T), poses())], T, "array", skeleton="h36m17", fps=30.0, units="m")
    clear_api_error("magnitudes", lambda: refine_pose_file(pf, model=huge), "refined track 0",
                    kind=SynspOutputError)


# ------------------------------------------------------------------------------------------------ anchors

BODY25_TEMPLATE = {
    "nose": (0, -160), "neck": (0, -130), "right_shoulder": (-30, -130), "right_elbow": (-38, -90),
    "right_wrist": (-42, -52), "left_shoulder": (30, -130), "left_elbow": (38, -90), "left_wrist": (42, -52),
    "mid_hip": (0, -40), "right_hip": (-18, -40), "right_knee": (-20, 20), "right_ankle": (-22, 80),
    "left_hip": (18, -40), "left_knee": (20, 20), "left_ankle": (22, 80), "right_eye": (-6, -166),
    "left_eye": (6, -166), "right_ear": (-14, -162), "left_ear": (14, -162), "left_big_toe": (32, 92),
    "left_small_toe": (38, 90), "left_heel": (20, 88), "right_big_toe": (-32, 92), "right_small_toe": (-38, 90),
    "right_heel": (-20, 88)}


def body25_track(T=90, seed=0):
    """A walking BODY_25 person in pixels (truth, raw with 2 px jitter) and OpenPose's "not found" joints:
    x = y = 0 with score 0 for ears in many frames, the ankles (the toes' and heels' anchor) for a few."""
    sk = get_skeleton("body25")
    base = np.array([BODY25_TEMPLATE[n] for n in sk.joints], float) + [400.0, 300.0]
    t = np.arange(T)[:, None, None]
    truth = base[None] + np.concatenate([3.0 * t, 5.0 * np.sin(2 * np.pi * t / 30)], -1)
    raw = truth + np.random.default_rng(seed).normal(0, 2.0, truth.shape)
    gone = np.zeros((T, 25), bool)
    gone[::3, sk.index("right_ear")] = True
    gone[1::4, sk.index("left_ear")] = True
    gone[20:26, sk.index("left_ankle")] = True
    gone[50:53, sk.index("right_ankle")] = True
    gone[60:64, sk.index("right_heel")] = True
    raw[gone] = 0.0
    conf = np.where(gone, 0.0, 0.8)
    return sk, truth, raw, conf, gone


def test_openpose_not_found_joints_are_no_anchors_and_not_in_the_summary():
    sk, truth, raw, conf, gone = body25_track()
    pf = PoseFile([Track(0, np.arange(len(raw)), raw, conf)], len(raw), "openpose", skeleton="body25", fps=30.0,
                  units="px")
    out, summary = refine_pose_file(pf)
    ref = out.tracks[0].keypoints
    for name in ("neck", "mid_hip", "left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_heel"):
        j = sk.index(name)
        seen = ~gone[:, j]
        raw_err = np.linalg.norm(raw[seen, j] - truth[seen, j], axis=-1).mean()
        ref_err = np.linalg.norm(ref[:, j] - truth[:, j], axis=-1)
        assert ref_err[seen].mean() <= raw_err + 0.2, name  # was 23 px (neck) to 46 px (toes) for 2.5 px input
        assert ref_err.max() < 10, name  # never towards (0, 0) (was up to 690 px)
        correct("anchors")
    # the summary's "before" is over valid joints only: the jumps to (0, 0) are not motion
    valid = np.where(~gone[..., None], raw, np.nan)
    accel = np.linalg.norm(np.diff(valid, 2, axis=0), axis=-1)
    assert summary["accel_before"] == pytest.approx(np.nanmean(accel))
    assert summary["accel_before"] < 10 and summary["accel_after"] < summary["accel_before"]  # was 60 -> 7
    correct("anchors")


def test_low_score_mediapipe_anchors_are_not_measured_from():
    """MediaPipe still gives coordinates for joints it does not see: below the score threshold they are
    missing, so where such a guess lies changes nothing (the heels used to follow the guessed ankle)."""
    rng = np.random.default_rng(3)
    t = np.arange(60)[:, None, None]
    raw = rng.uniform(200, 600, (1, 33, 2)) + 3.0 * t + rng.normal(0, 1.0, (60, 33, 2))
    conf = np.full((60, 33), 0.9)
    sk = get_skeleton("mediapipe33")
    ankle = sk.index("left_ankle")
    conf[20:30, ankle] = 0.1
    guessed = raw.copy()
    guessed[20:30, ankle] += 80.0  # the occluded ankle guessed far off, with its low score
    out = synsp.refine(guessed, skeleton="mediapipe33", confidence=conf)
    np.testing.assert_allclose(out, synsp.refine(raw, skeleton="mediapipe33", confidence=conf), atol=1e-9)
    correct("anchors")


# -------------------------------------------------------------------------------------------- checkpoints

CARD_CHANGES = {
    "root_joints -1": (lambda c: c.update(root_joints=[-1]), "root_joints"),
    "causal yes": (lambda c: c.update(causal="yes"), "causal"),
    "views 4 on a single-view model": (lambda c: c.update(views=4), "views"),
    "unknown normalization": (lambda c: c.update(normalization="z-score"), "normalization"),
    "negative fps": (lambda c: c.update(fps=-30), "fps"),
    "d_model 60000": (lambda c: c["config"].update(d_model=60000), "parameters"),
    "n_layers 1e6": (lambda c: c["config"].update(n_layers=1_000_000), "config.n_layers"),
    "unknown config key": (lambda c: c["config"].update(size="huge"), "config.size"),
    "dims 7": (lambda c: c.update(dims=7), "dims"),
    "window not the config's": (lambda c: c.update(window=16), "window"),
    "unknown architecture": (lambda c: c.update(architecture="lstm"), "architecture"),
    "unknown output": (lambda c: c.update(output="middle"), "output"),
    "mask a string": (lambda c: c.update(mask="true"), "mask"),
}


def _weights(change):
    from safetensors.torch import load_file

    state = load_file(str(shipped_models()[MODEL].with_suffix(".safetensors")))
    return change(state)


def _nan_weights(state):
    k = next(iter(state))
    state[k] = state[k].clone()
    state[k].view(-1)[0] = float("nan")
    return state


WEIGHT_CHANGES = {
    "NaN weight": (_nan_weights, "NaN or inf"),
    "inf weights": (lambda s: {k: torch.full_like(v, float("inf")) for k, v in s.items()}, "NaN or inf"),
    "int weights": (lambda s: {k: (v * 100).to(torch.int32) for k, v in s.items()}, "floating-point"),
    "another model's names": (lambda s: {"module." + k: v for k, v in s.items()}, "185 tensor(s) missing"),
    "another shape": (lambda s: {k: (v[:1] if v.ndim else v) for k, v in s.items()}, "of another shape"),
}


def _checkpoint(d: Path, card_change=None, weight_change=None) -> Path:
    from safetensors.torch import save_file

    card = json.loads(shipped_models()[MODEL].with_suffix(".json").read_text())
    if card_change:
        card_change(card)
    (d / "m.json").write_text(json.dumps(card))
    save_file(_weights(weight_change or (lambda s: s)), str(d / "m.safetensors"))
    return d / "m"


@pytest.mark.parametrize("case", sorted(CARD_CHANGES) + sorted(WEIGHT_CHANGES))
def test_tampered_checkpoints_are_one_clear_line(case, tmp_path, capsys):
    card_change, needle = CARD_CHANGES.get(case, (None, None))
    weight_change = None
    if case in WEIGHT_CHANGES:
        weight_change, needle = WEIGHT_CHANGES[case]
    (tmp_path / "ckpt").mkdir()
    stem = _checkpoint(tmp_path / "ckpt", card_change, weight_change)
    np.save(tmp_path / "in.npy", poses())
    file = "m.json" if card_change else "m.safetensors"
    err = clear_cli_error("checkpoints", capsys, tmp_path,
                          ["refine", tmp_path / "in.npy", "-o", tmp_path / "out.npy", "--model", stem], file, needle)
    assert len(err) < 600, err  # summarised, never one line per tensor
    clear_api_error("checkpoints", lambda: get_refiner(str(stem)), file, needle)


def test_an_untouched_copy_and_a_float16_copy_load(tmp_path):
    stem = _checkpoint(tmp_path)
    x = poses()
    np.testing.assert_allclose(synsp.refine(x, model=str(stem)), synsp.refine(x, model=MODEL))
    correct("checkpoints")
    (tmp_path / "h").mkdir()
    half = _checkpoint(tmp_path / "h", weight_change=lambda s: {k: v.half() for k, v in s.items()})
    assert np.abs(synsp.refine(x, model=str(half)) - synsp.refine(x, model=MODEL)).max() < 0.01
    correct("checkpoints")


# -------------------------------------------------------------------------------------- smpl and dtypes

def test_all_nan_rotations_are_an_error_not_made_up():
    for call in (lambda: refine_smpl(np.full((T, 72), np.nan)),
                 lambda: refine_smpl(np.full((T, 72), np.nan), model="butterworth"),
                 lambda: refine_rotations(np.full((T, 24, 3), np.nan))):
        clear_api_error("smpl/dtypes", call, "no rotation")
    one = np.random.default_rng(0).normal(0, 0.3, (T, 24, 3))
    one[:, 5] = np.nan
    clear_api_error("smpl/dtypes", lambda: refine_rotations(one), "joint 5 is NaN in all")


@pytest.mark.parametrize("kind", ["complex", "object", "bool", "string", "ragged"])
def test_non_real_arrays_are_refused_on_every_path(kind, tmp_path, capsys):
    x = poses()
    rot = np.random.default_rng(1).normal(0, 0.3, (T, 72))
    bad = {"complex": lambda a: a + 1j, "object": lambda a: a.astype(object), "bool": lambda a: a > 0,
           "string": lambda a: a.astype(str), "ragged": lambda a: [list(r) for r in a.reshape(len(a), -1)][:-1]
           + [[0.0]]}[kind]
    needle = {"complex": "complex", "object": "object", "bool": "boolean", "string": "string",
              "ragged": "rectangular"}[kind]
    for call in (lambda: synsp.refine(bad(x), model=MODEL), lambda: synsp.refine(bad(x), model="one-euro"),
                 lambda: refine_smpl(bad(rot)), lambda: refine_smpl(rot, trans=bad(rot[:, :3])),
                 lambda: synsp.refine(x, model=MODEL, confidence=bad(np.ones((T, J))))):
        clear_api_error("smpl/dtypes", call, needle)
    if kind == "complex":
        np.save(tmp_path / "in.npy", bad(x))
        clear_cli_error("smpl/dtypes", capsys, tmp_path, ["refine", tmp_path / "in.npy", "-o", tmp_path / "o.npy"],
                        "complex")


def test_masked_entries_are_missing():
    x = poses()
    mask = np.zeros(x.shape, bool)
    mask[5:9, 2] = True
    mask[20, 7, 1] = True  # one masked coordinate
    nan = x.copy()
    nan[mask] = np.nan  # the same as NaN at those entries
    for model in (MODEL, "savgol"):
        np.testing.assert_allclose(synsp.refine(np.ma.masked_array(x, mask), model=model),
                                   synsp.refine(nan, model=model))
        correct("smpl/dtypes")
    rot = np.random.default_rng(1).normal(0, 0.3, (T, 24, 3))
    rmask = np.zeros(rot.shape, bool)
    rmask[3:6, 4] = True
    rnan = rot.copy()
    rnan[3:6, 4] = np.nan
    np.testing.assert_allclose(refine_smpl(np.ma.masked_array(rot, rmask))[0], refine_smpl(rnan)[0])
    correct("smpl/dtypes")


def _mediapipe_csv(path: Path, cut_line: int | None = None, empty_cells_line: int | None = None) -> Path:
    rng = np.random.default_rng(0)
    lines = ["frame,landmark,x,y,z,visibility"]
    for f in range(12):
        for j in range(33):
            x, y, z = rng.uniform(100, 500), rng.uniform(100, 500), rng.random()
            lines.append(f"{f},{j},{x:.3f},{y:.3f},{z:.3f},0.9")
    if cut_line is not None:
        lines[cut_line - 1] = ",".join(lines[cut_line - 1].split(",")[:4])  # x, y, then the row stops
    if empty_cells_line is not None:
        cells = lines[empty_cells_line - 1].split(",")
        lines[empty_cells_line - 1] = ",".join(cells[:2] + ["", ""] + cells[4:])
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_cut_csv_row_is_an_error_naming_the_line(tmp_path, capsys):
    from synsp.io import mediapipe

    src = _mediapipe_csv(tmp_path / "in.csv", cut_line=50)
    clear_api_error("smpl/dtypes", lambda: mediapipe.read(src), "line 50", "4 cells for 6 columns")
    clear_cli_error("smpl/dtypes", capsys, tmp_path, ["refine", src, "-o", tmp_path / "out.csv", "--model",
                                                      "one-euro"], "line 50")
    ok = _mediapipe_csv(tmp_path / "ok.csv", empty_cells_line=50)  # explicitly empty cells: a missing landmark
    pf = mediapipe.read(ok)
    assert np.isnan(pf.tracks[0].keypoints[1, 15]).all()  # line 50 = frame 1, landmark 15
    correct("smpl/dtypes")


# ------------------------------------------------------------------------------------------------ messages

@pytest.mark.parametrize("max_gap", ["-1", "-100"])
def test_cli_bad_max_gap_names_max_gap(max_gap, tmp_path, capsys):
    np.save(tmp_path / "in.npy", poses())
    err = clear_cli_error("messages", capsys, tmp_path,
                          ["refine", tmp_path / "in.npy", "-o", tmp_path / "out.npy", "--max-gap", max_gap],
                          "--max-gap", ">= 0")  # the command line's name for it
    assert "shorter than" not in err


def test_api_bad_options_name_the_option():
    pf = PoseFile([Track(0, np.arange(T), poses())], T, "array", skeleton="h36m17", fps=30.0, units="m")
    for bad in (-1, 1.5, True, "3"):
        msg = clear_api_error("messages", lambda: refine_pose_file(pf, model=MODEL, max_gap=bad), "max_gap")
        assert "shorter than" not in msg
    msg = clear_api_error("messages", lambda: refine_pose_file(pf, model=MODEL, fps=-30), "fps is -30")
    assert "shorter than" not in msg
    out, _ = refine_pose_file(pf, model=MODEL, max_gap=0)
    assert np.isfinite(out.tracks[0].keypoints).all()
    correct("messages")


# ------------------------------------------------------------------------------------------------ training

@pytest.fixture(scope="module")
def corpus():
    from synsp.data.corpus import embedded_corpus_path

    return str(embedded_corpus_path())


TRAIN_OPTIONS = {
    "batch size 0": (["--batch-size", "0"], "batch_size is 0"),
    "lr nan": (["--lr", "nan"], "lr is nan"),
    "lr -1": (["--lr", "-1"], "lr is -1"),
    "epochs 0": (["--epochs", "0"], "epochs is 0"),
    "windows per epoch below one batch": (["--windows-per-epoch", "10", "--batch-size", "32"], "windows_per_epoch"),
    "lr-decay 0": (["--lr-decay", "0"], "lr_decay"),
    "w-accel inf": (["--w-accel", "inf"], "w_accel"),
    "fast-motion 2": (["--fast-motion", "2"], "fast_motion"),
    "seed -1": (["--seed", "-1"], "seed"),
}


@pytest.mark.parametrize("case", sorted(TRAIN_OPTIONS))
def test_bad_training_options_are_one_line(case, tmp_path, capsys, corpus):
    args, needle = TRAIN_OPTIONS[case]
    clear_cli_error("training", capsys, tmp_path,
                    ["train", "--corpus", corpus, "--out", tmp_path / "run", *args], needle)


TINY = ["--option", "d_model=16", "--option", "d_inner=16", "--option", "n_layers=1", "--option", "n_head=2",
        "--option", "d_k=8", "--option", "d_v=8"]


def _last_pt(run: Path, kind: str) -> None:
    run.mkdir()
    if kind == "pickled":
        import pickle

        (run / "last.pt").write_bytes(pickle.dumps({"model": object()}))
    elif kind == "truncated":
        buf = run / "full.pt"
        torch.save({"model": {"w": torch.zeros(1000)}, "epoch": 0}, buf)
        (run / "last.pt").write_bytes(buf.read_bytes()[:300])
        buf.unlink()
    elif kind == "object inside":
        torch.save({"model": {}, "epoch": 0, "opt": Path("x")}, run / "last.pt")
    elif kind == "another architecture":
        from synsp.models.smoothnet import SmoothNet, SmoothNetConfig

        m = SmoothNet(SmoothNetConfig(window=8, hidden=16, res_hidden=8, num_blocks=1))
        torch.save({"model": m.state_dict(), "optimizer": {}, "scheduler": {}, "epoch": 0, "history": []},
                   run / "last.pt")


@pytest.mark.parametrize("kind", ["pickled", "truncated", "object inside", "another architecture"])
def test_resume_from_a_bad_last_pt_is_one_line(kind, tmp_path, capsys, corpus):
    _last_pt(tmp_path / "run", kind)
    needle = {"pickled": "not a readable training state", "truncated": "not a readable training state",
              "object inside": "not a readable training state", "another architecture": "do not fit"}[kind]
    err = clear_cli_error("training", capsys, tmp_path,
                          ["train", "--corpus", corpus, "--out", tmp_path / "run", "--resume", *TINY], needle)
    assert len(err) < 500, err


def test_a_corrupt_corpus_is_one_line(tmp_path, capsys, corpus):
    data = Path(corpus).read_bytes()
    (tmp_path / "c.npz").write_bytes(data[: len(data) // 2])
    clear_cli_error("training", capsys, tmp_path, ["train", "--corpus", tmp_path / "c.npz",
                                                   "--out", tmp_path / "run"], "c.npz")
    (tmp_path / "t.npz").write_bytes(b"PK\x03\x04 not really a zip")
    clear_cli_error("training", capsys, tmp_path, ["train", "--corpus", tmp_path / "t.npz", "--skeleton", "h36m17",
                                                   "--out", tmp_path / "run"], "t.npz")


def test_train_config_validate_is_the_one_place():
    from synsp.training import TrainConfig

    TrainConfig().validate()
    for bad in (dict(batch_size=0), dict(lr=float("nan")), dict(epochs=0), dict(views=0), dict(window=0),
                dict(architecture="lstm"), dict(min_views=3), dict(workers=-1), dict(val_frames=0)):
        clear_api_error("training", lambda: TrainConfig(**bad).validate(), next(iter(bad)))


@pytest.mark.parametrize("flag,value", [("--fps", "0"), ("--fps", "1e9"), ("--fps-out", "nan"), ("--fps-out", "-30")])
def test_data_import_checks_its_frame_rates_before_reading(tmp_path, capsys, flag, value):
    """`synsp data import --fps / --fps-out` go through the one frame-rate check (one line, exit 2, no corpus)."""
    np.save(tmp_path / "a.npy", np.zeros((40, 17, 3)))
    np.save(tmp_path / "b.npy", np.zeros((40, 17, 3)))
    code = main(["data", "import", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "-o",
                 str(tmp_path / "c.npz"), flag, value])
    err = capsys.readouterr().err
    assert code == 2 and flag in err and "frame rate" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "c.npz").exists()
    with pytest.raises(SynspInputError, match="fps_out"):
        from synsp.data.custom import import_corpus

        import_corpus([str(tmp_path / "a.npy"), str(tmp_path / "b.npy")], str(tmp_path / "d.npz"),
                      fps_out=float(value) if flag == "--fps-out" else 0.0)
    _count("fps", "clear error")


def test_absurd_joints_are_inf_or_beyond_the_bound_either_sign_and_never_nan():
    from synsp.validation import absurd_joints, check_poses

    x = np.zeros((4, 6, 3))
    x[0, 0, 1] = np.inf
    x[1, 1, 2] = -np.inf
    x[2, 2, 0] = 2 * ABSURD_COORDINATE
    x[3, 3, 1] = -2 * ABSURD_COORDINATE
    x[0, 4] = np.nan  # missing, not absurd
    x[1, 5, 0] = ABSURD_COORDINATE  # at the bound: a number
    expected = np.zeros((4, 6), dtype=bool)
    expected[0, 0] = expected[1, 1] = expected[2, 2] = expected[3, 3] = True
    np.testing.assert_array_equal(absurd_joints(x), expected)
    np.testing.assert_array_equal(absurd_joints(x.astype(np.float32)), expected)
    with pytest.raises(SynspInputError, match="beyond"):
        check_poses(np.where(np.isfinite(x), x, 0.0), name="x")
