"""The synsp command: user-facing behaviour, exit codes and messages (no tracebacks)."""

import numpy as np
import pytest

from synsp import __version__
from synsp.cli import main


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version_and_help(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and __version__ in out
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "demo" in out and "refine" in out and "train" in out


def test_demo_prints_metrics_and_writes_a_picture(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, _ = run(capsys, "demo", "-o", str(tmp_path))
    assert code == 0
    assert out.index("(1) real estimator output") < out.index("(2) clip")
    part3 = out[out.index("(3) the same clip"):]  # SMPL rotations of the clip
    out = out[out.index("(2) clip"):out.index("(3) the same clip")]  # the mocap part, with ground truth
    angle = {line.split("|")[1].strip(): float(line.split("|")[2]) for line in part3.splitlines()
             if line.startswith("| ") and line.split("|")[2].strip()[:1].isdigit()}
    clean_rot = {line.split("|")[1].strip(): float(line.split("|")[5]) for line in part3.splitlines()
                 if line.startswith("| ") and line.split("|")[5].strip().startswith("+")}
    assert set(angle) == set(clean_rot) == {"input", "butterworth", "kalman-rts", "synsp-smpl24-rot-w8",
                                             "synsp-universal-w16-rot"}
    assert angle["synsp-smpl24-rot-w8"] < 0.9 * angle["input"], "the rotation network lowers the angle error"
    # the default rotation model leaves error-free rotations almost unchanged, the dedicated one less so
    assert clean_rot["synsp-universal-w16-rot"] < 0.2 < clean_rot["synsp-smpl24-rot-w8"]
    assert "| input |" in out and "| kalman-rts |" in out
    rows = {line.split("|")[1].strip(): line.split("|")[3] for line in out.splitlines() if line.startswith("| ")}
    mpjpe = {k: float(v) for k, v in rows.items() if k not in ("method", "---")}
    accel = {line.split("|")[1].strip(): float(line.split("|")[4]) for line in out.splitlines()
             if line.startswith("| ") and line.split("|")[4].strip()[0].isdigit()}
    assert accel["kalman-rts"] < 0.3 * accel["input"], "the demo's refiners remove most of the jitter"
    assert mpjpe["kalman-rts"] < mpjpe["input"]
    clean = {line.split("|")[1].strip(): float(line.split("|")[8]) for line in out.splitlines()
             if line.startswith("| ") and line.split("|")[8].strip().startswith("+")}
    # first, do no harm: the default leaves the error-free clip almost unchanged, the dedicated model does not
    assert clean["input"] == 0 and clean["synsp-universal-w16"] < 1.0 < clean["synsp-h36m17-3d-w8"]
    png = tmp_path / "demo_mocap.png"
    assert png.is_file() and png.stat().st_size > 10_000


def test_refine_npy_round_trip_and_summary(capsys, tmp_path):
    x = np.cumsum(np.random.default_rng(0).normal(scale=0.01, size=(60, 17, 3)), axis=0)
    x[10, 4] = np.nan
    src, dst = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(src, x)
    code, out, err = run(capsys, "refine", str(src), "-o", str(dst), "--model", "savgol")
    assert code == 0, err
    y = np.load(dst)
    assert y.shape == x.shape and np.isfinite(y).all()
    assert "60 frames, 1 person(s), 1 joints filled" in out


@pytest.mark.parametrize(
    "payload,message",
    [
        (np.zeros((20, 17, 4)), "D = 4"),
        (np.zeros((20, 17)), "expected"),
        (np.full((20, 17, 3), np.nan), "no valid joint"),
    ],
)
def test_refine_bad_input_exits_2_without_output(capsys, tmp_path, payload, message):
    src, dst = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(src, payload)
    code, _, err = run(capsys, "refine", str(src), "-o", str(dst), "--model", "savgol")
    assert code == 2 and message in err and "Traceback" not in err
    assert not dst.exists() and list(tmp_path.iterdir()) == [src]


def test_refine_unknown_model_and_missing_file(capsys, tmp_path):
    src = tmp_path / "in.npy"
    np.save(src, np.zeros((20, 17, 3)))
    code, _, err = run(capsys, "refine", str(src), "-o", str(tmp_path / "o.npy"), "--model", "nope")
    assert code == 2 and "unknown refiner 'nope'" in err
    code, _, err = run(capsys, "refine", str(tmp_path / "missing.npy"), "-o", str(tmp_path / "o.npy"))
    assert code == 2 and "does not exist" in err


def test_data_info_reports_the_embedded_corpus(capsys):
    code, out, _ = run(capsys, "data", "info")
    assert code == 0 and "| cmu_mocap | test |" in out


def test_benchmark_quick_compares_methods_on_the_same_data(capsys):
    code, out, err = run(capsys, "benchmark", "--quick", "--methods", "savgol,kalman-rts",
                         "--presets", "3dpw-spin-like", "--corpus", "")
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("| ") and "|---" not in line][1:]
    assert [line.split("|")[1].strip() for line in lines] == ["input", "savgol", "kalman-rts"]
    assert "synsp benchmark --experiment comparison --presets 3dpw-spin-like" in out
    # progress on stderr, not in the tables: the experiment, then one line per method
    progress = [line for line in err.splitlines() if line.startswith("synsp benchmark: ")]
    assert "experiment comparison, preset 3dpw-spin-like, 1 seed(s) (quick)" in progress[0]
    for i, method in enumerate(["input", "savgol", "kalman-rts"], 1):
        assert any(f"method {i}/3 {method} (" in line for line in progress), progress
    assert "synsp benchmark:" not in out


def test_train_option_overrides_reach_the_network_config():
    from synsp.cli import _parse_options

    assert _parse_options(("pose_quality_encoding=false", "d_model=32", "dropout=0.1"), "synsp") == {
        "pose_quality_encoding": False, "d_model": 32, "dropout": 0.1}


def test_train_rejects_unknown_or_mistyped_options():
    from synsp.cli import main

    assert main(["train", "--option", "no_such_setting=1"]) == 2
    assert main(["train", "--option", "plain=maybe"]) == 2
    assert main(["train", "--option", "d_model=big"]) == 2


def test_refine_short_track_exits_2_naming_the_window(capsys, tmp_path):
    src, dst = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(src, np.zeros((5, 17, 3)))
    code, _, err = run(capsys, "refine", str(src), "-o", str(dst), "--model", "savgol-mmpose")
    assert code == 2 and "shorter than the 11-frame window" in err and not dst.exists()


def test_refine_two_people_in_an_npz_keeps_other_arrays(capsys, tmp_path):
    rng = np.random.default_rng(1)
    x = np.cumsum(rng.normal(scale=0.01, size=(50, 2, 17, 3)), axis=0)
    x[:20, 1] = np.nan  # the second person enters at frame 20
    src, dst = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(src, keypoints=x, fps=np.asarray(25.0), camera=np.eye(3))
    code, out, err = run(capsys, "refine", str(src), "-o", str(dst), "--model", "one-euro")
    assert code == 0, err
    assert "2 person(s)" in out
    with np.load(dst) as z:
        assert set(z.files) == {"keypoints", "fps", "camera"}
        y = z["keypoints"]
        np.testing.assert_array_equal(z["camera"], np.eye(3))
    assert np.isnan(y[:20, 1]).all() and np.isfinite(y[20:]).all() and np.isfinite(y[:, 0]).all()


def test_refine_trc_keeps_the_header_and_frames(capsys, tmp_path):
    from synsp.io import read_trc, write_trc

    rng = np.random.default_rng(2)
    pos = np.cumsum(rng.normal(scale=1.0, size=(40, 5, 3)), axis=0)
    write_trc(tmp_path / "in.trc", pos, marker_names=list("ABCDE"), fps=60.0, units="mm")
    code, out, err = run(capsys, "refine", str(tmp_path / "in.trc"), "-o", str(tmp_path / "out.trc"),
                         "--model", "butterworth")
    assert code == 0, err
    a, b = read_trc(tmp_path / "in.trc"), read_trc(tmp_path / "out.trc")
    assert b.marker_names == a.marker_names and b.fps == 60.0 and b.units == "mm"
    np.testing.assert_array_equal(b.frame_numbers, a.frame_numbers)
    assert np.abs(np.diff(b.positions, 2, axis=0)).mean() < np.abs(np.diff(a.positions, 2, axis=0)).mean()


def test_refine_refuses_a_pickled_checkpoint(capsys, tmp_path):
    src, ckpt = tmp_path / "in.npy", tmp_path / "model.pth.tar"
    np.save(src, np.zeros((20, 17, 3)))
    ckpt.write_bytes(b"\x80\x04K\x01.")  # a pickle
    code, _, err = run(capsys, "refine", str(src), "-o", str(tmp_path / "o.npy"), "--model", str(ckpt))
    assert code == 2 and "never unpickles" in err and not (tmp_path / "o.npy").exists()


def test_refine_smpl_npz_reports_degrees_and_keeps_keys(capsys, tmp_path):
    rng = np.random.default_rng(5)
    poses = (np.linspace(0, 1, 60)[:, None] * rng.normal(0, 0.5, 72) + rng.normal(0, 0.02, (60, 72))).astype(
        np.float32)
    np.savez(tmp_path / "smpl.npz", poses=poses, trans=rng.normal(0, 0.01, (60, 3)), betas=np.zeros(10),
             mocap_framerate=np.asarray(30.0))
    code, out, err = run(capsys, "refine", str(tmp_path / "smpl.npz"), "-o", str(tmp_path / "out.npz"))
    assert code == 0, err
    assert "degrees per frame^2" in out
    with np.load(tmp_path / "out.npz") as z:
        assert set(z.files) == {"poses", "trans", "betas", "mocap_framerate"} and z["poses"].dtype == np.float32


def test_refine_pickled_smpl_needs_the_trust_flag(capsys, tmp_path):
    import pickle

    rng = np.random.default_rng(6)
    with open(tmp_path / "vibe.pkl", "wb") as fh:
        pickle.dump({1: {"pose": rng.normal(0, 0.1, (40, 72)), "frame_ids": np.arange(40)}}, fh)
    code, _, err = run(capsys, "refine", str(tmp_path / "vibe.pkl"), "-o", str(tmp_path / "o.pkl"))
    assert code == 2 and "pickle" in err and not (tmp_path / "o.pkl").exists()
    code, out, err = run(capsys, "refine", str(tmp_path / "vibe.pkl"), "-o", str(tmp_path / "o.pkl"),
                         "--trust-pickle")
    assert code == 0, err


def test_refine_smpl_warns_that_a_mesh_computed_from_the_pose_is_copied_unrefined(capsys, tmp_path):
    """VIBE-style output keeps 'verts' and 'joints3d' computed from the estimator's pose: copied as they were, they
    no longer match the refined pose, and the user is told so (a file without them is refined silently)."""
    rng = np.random.default_rng(6)
    pose = rng.normal(0, 0.1, (40, 72))
    np.savez(tmp_path / "vibe.npz", pose=pose, verts=rng.normal(size=(40, 20, 3)),
             joints3d=rng.normal(size=(40, 49, 3)))
    np.savez(tmp_path / "plain.npz", pose=pose, betas=np.zeros(10))
    code, _, err = run(capsys, "refine", str(tmp_path / "vibe.npz"), "-o", str(tmp_path / "o.npz"))
    assert code == 0, err
    assert "'verts', 'joints3d' came from the unrefined pose and are copied unchanged" in err and "smplx" in err
    with np.load(tmp_path / "o.npz") as z, np.load(tmp_path / "vibe.npz") as src:
        assert np.array_equal(z["verts"], src["verts"]) and not np.allclose(z["pose"], src["pose"])
    code, _, err = run(capsys, "refine", str(tmp_path / "plain.npz"), "-o", str(tmp_path / "p.npz"))
    assert code == 0 and "unrefined pose" not in err


def test_refine_views_fuses_an_array_of_views(capsys, tmp_path):
    rng = np.random.default_rng(0)
    truth = np.cumsum(rng.normal(scale=0.002, size=(40, 1, 17, 3)), axis=0)
    np.save(tmp_path / "v.npy", truth + rng.normal(scale=0.03, size=(40, 4, 17, 3)))
    code, out, err = run(capsys, "refine", str(tmp_path / "v.npy"), "-o", str(tmp_path / "o.npy"), "--views")
    assert code == 0, err
    assert "4 views refined together" in out and np.load(tmp_path / "o.npy").shape == (40, 4, 17, 3)
    code, out, err = run(capsys, "refine", str(tmp_path / "v.npy"), "-o", str(tmp_path / "b.npy"), "--views",
                         "--model", "butterworth")  # a method for one view: each alone, and the summary says so
    assert code == 0 and "4 views each refined alone by butterworth (--model butterworth+view-mean fuses" in out


def test_refine_views_shorter_than_the_model_needs_exits_2_as_a_single_track_does(capsys, tmp_path):
    """Two frames of four views are refused like two frames of one track (not padded into a window and fused);
    a method that takes three frames refines three."""
    rng = np.random.default_rng(2)
    np.save(tmp_path / "short.npy", rng.normal(size=(2, 4, 17, 3)))
    np.save(tmp_path / "one.npy", rng.normal(size=(2, 17, 3)))
    code, _, err = run(capsys, "refine", str(tmp_path / "short.npy"), "-o", str(tmp_path / "o.npy"), "--views")
    assert code == 2 and "shorter than the 4 frames synsp-universal-w16-views+view-mean needs" in err
    assert "Traceback" not in err and not (tmp_path / "o.npy").exists()
    code, _, err = run(capsys, "refine", str(tmp_path / "one.npy"), "-o", str(tmp_path / "o1.npy"))
    assert code == 2 and "shorter than the 4 frames" in err
    np.save(tmp_path / "three.npy", rng.normal(size=(3, 4, 17, 3)))
    code, _, err = run(capsys, "refine", str(tmp_path / "three.npy"), "-o", str(tmp_path / "o3.npy"), "--views",
                       "--model", "kalman-rts+view-mean")
    assert code == 0, err
    out = np.load(tmp_path / "o3.npy")
    assert out.shape == (3, 4, 17, 3) and np.isfinite(out).all()


def test_refine_views_makes_the_views_labels_agree_and_says_when_two_views_cannot_tell(capsys, tmp_path):
    """A view labelled the wrong way round throughout (invisible to its own motion) is relabelled before the views
    are fused: the output is what the agreeing views give.  With two views a warning says which was relabelled."""
    from synsp.data.positions import split_positions
    from synsp.repair import limb_groups, relabel

    truth = [gt for gt, _ in split_positions("h36m17", "test", "3d")][2][:120]
    rng = np.random.default_rng(1)
    views = truth[:, None] + rng.normal(scale=0.02, size=(120, 3, 17, 3))
    flip = np.zeros((120, 3, 2), dtype=bool)
    flip[:, 2] = True  # both groups of the third view, the whole take
    names = tuple(limb_groups("h36m17"))
    for k, x in enumerate((views, relabel(views, flip, "h36m17", names))):
        np.save(tmp_path / f"v{k}.npy", x)
        code, _, err = run(capsys, "refine", str(tmp_path / f"v{k}.npy"), "-o", str(tmp_path / f"o{k}.npy"), "--views")
        assert code == 0, err
    np.testing.assert_allclose(np.load(tmp_path / "o1.npy"), np.load(tmp_path / "o0.npy"), atol=1e-9)
    two = relabel(views[:, 1:], flip[:, 1:], "h36m17", names)
    np.save(tmp_path / "two.npy", two)
    code, _, err = run(capsys, "refine", str(tmp_path / "two.npy"), "-o", str(tmp_path / "o.npy"), "--views")
    assert code == 0 and "synsp: warning: the two views disagree on left and right" in err


def test_refine_array_keeps_its_dtype_and_a_column_with_nobody(capsys, tmp_path):
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.normal(scale=0.01, size=(40, 3, 17, 3)), axis=0).astype(np.float32)
    x[:, 2] = np.nan  # a person slot nobody fills
    np.save(tmp_path / "in.npy", x)
    code, _, err = run(capsys, "refine", str(tmp_path / "in.npy"), "-o", str(tmp_path / "out.npy"),
                       "--model", "one-euro")
    assert code == 0, err
    y = np.load(tmp_path / "out.npy")
    assert y.shape == x.shape and y.dtype == np.float32 and np.isnan(y[:, 2]).all() and np.isfinite(y[:, :2]).all()
