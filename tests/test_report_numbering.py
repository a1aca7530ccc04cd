"""What the commands report counts as the file does: inspect and render name frames by the file's own numbers, a
GIF plays at the file's rate, and benchmark says how many noise seeds an experiment draws.  Tiny inputs."""

import numpy as np
import pytest

from synsp.cli import main
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import get_skeleton


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def walker(frames: int, seed: int = 0) -> np.ndarray:
    """``(T, 17, 2)`` COCO-17 keypoints in pixels: a standing person drifting right, 1 px of jitter."""
    names = get_skeleton("coco17").joints
    y = {"nose": -160, "eye": -166, "ear": -162, "shoulder": -120, "elbow": -60, "wrist": 0, "hip": 0, "knee": 80,
         "ankle": 160}
    x = {"left": 30.0, "right": -30.0}
    base = np.array([[x.get(n.split("_")[0], 0.0), y[n.split("_")[-1]]] for n in names]) + [320.0, 240.0]
    drift = np.stack([np.linspace(0, 40, frames), np.zeros(frames)], -1)[:, None]
    return base[None] + drift + np.random.default_rng(seed).normal(0, 1.0, (frames, 17, 2))


# 1. inspect: frame ranges and cuts in the file's own frame numbers (a TRC's Frame#, an .npz's frames)


def test_inspect_names_the_files_own_frame_numbers(capsys, tmp_path):
    from synsp.inspection import inspect_pose_file
    from synsp.io.tracks import read_pose_file

    a = walker(120)
    a[70:] += 400.0  # a jump to another place: refine cuts the track at row 70, frame 170 of the file
    np.savez(tmp_path / "f.npz", keypoints=a, frames=np.arange(100, 220), fps=30.0, skeleton="coco17")
    info = inspect_pose_file(read_pose_file(tmp_path / "f.npz"), model="kalman-rts")
    (t,) = info["tracks"]
    assert (t["first"], t["last"]) == (100, 219) and info["cuts"] == {0: [170]}
    code, out, err = run(capsys, "inspect", tmp_path / "f.npz", "--model", "kalman-rts")
    assert code == 0, err
    assert "120 frames, numbered 100-219" in out and "0: frames 100-219, 120 detections" in out
    assert "track 0 at frame(s) 170" in out


def test_inspect_of_detections_on_every_other_frame_gives_the_files_numbers():
    from synsp.inspection import inspect_pose_file

    a = walker(60)  # a detector run on every 2nd frame of frames numbered 1000-1119
    pose_file = PoseFile([Track(0, 2 * np.arange(60), a)], 120, "array", skeleton="coco17", fps=30.0, units="px",
                         frame_numbers=np.arange(1000, 1120))
    info = inspect_pose_file(pose_file, model="kalman-rts")
    (t,) = info["tracks"]
    assert info["frame_step"] == 2 and (t["first"], t["last"]) == (1000, 1118)
    assert info["rows"] == [120, 1000, 1119]


# 2. render: a GIF plays at the file's rate (delays of 30 and 40 ms at 30 fps), each frame stamped with its number


def test_render_gif_plays_in_real_time_and_stamps_the_files_frame_numbers(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from PIL import Image

    import synsp.pictures as pictures

    stamps = []
    draw = pictures._Scene.draw

    def spy(self, t, image):
        draw(self, t, image)
        stamps.append(self.stamp.get_text())

    monkeypatch.setattr(pictures._Scene, "draw", spy)
    a = walker(6)
    np.savez(tmp_path / "f.npz", keypoints=a, frames=np.arange(100, 106), fps=30.0, skeleton="coco17")
    code, out, err = run(capsys, "render", tmp_path / "f.npz", tmp_path / "f.npz", "-o", tmp_path / "f.gif")
    assert code == 0, err
    assert "30 fps, the file's" in out
    im = Image.open(tmp_path / "f.gif")
    delays = []
    for i in range(im.n_frames):
        im.seek(i)
        delays.append(im.info["duration"])
    assert sum(delays) == 200 and set(delays) == {30, 40}  # 6 frames at 30 fps: 0.2 s, not 6 x 30 ms
    assert stamps[0] == "frame 100  ·  0.00 s" and stamps[-1].startswith("frame 105")
    stamps.clear()
    np.save(tmp_path / "plain.npy", a)  # no frame numbers: from 0, as inspect and plot count
    code, _, err = run(capsys, "render", tmp_path / "plain.npy", tmp_path / "plain.npy", "-o", tmp_path / "p.gif")
    assert code == 0, err
    assert stamps[0].startswith("frame 0  ") and stamps[-1].startswith("frame 5  ")


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 45.0, 50.0])
def test_gif_delays_add_up_to_real_time(fps):
    from synsp.pictures import gif_delays

    delays = np.array(gif_delays(1000, fps))
    assert (delays % 10 == 0).all() and delays.min() >= 20  # whole hundredths, none a browser slows down
    assert np.abs(np.cumsum(delays) - 1000 * np.arange(1, 1001) / fps).max() <= 5.0


# 3. benchmark: the experiments of one seed say so, and an explicit --seeds for them is a one-line warning


@pytest.fixture
def no_experiment(monkeypatch):
    """``synsp.experiments.run_experiment`` replaced: records its calls, returns a one-row report."""
    import synsp.experiments as experiments
    from synsp.reports import Report

    calls = []

    def fake(name, **kw):
        calls.append((name, kw))
        rep = Report(f"{name}-x", "t", kw.get("command", ""))
        rep.table("rows", [{"a": 1.0}])
        return rep

    monkeypatch.setattr(experiments, "run_experiment", fake)
    return calls


@pytest.mark.parametrize("name", ["robustness", "inversions"])
def test_benchmark_says_one_seed_and_warns_of_seeds_it_ignores(capsys, no_experiment, name):
    code, _, err = run(capsys, "benchmark", "--experiment", name, "--methods", "kalman-rts")
    assert code == 0, err
    assert f"experiment {name}, preset all, 1 seed(s) (" in err and "warning" not in err
    assert no_experiment[-1][1]["seeds"] == 1
    code, _, err = run(capsys, "benchmark", "--experiment", name, "--methods", "kalman-rts", "--seeds", "5")
    assert code == 0, err
    warned = [line for line in err.splitlines() if "warning" in line]
    assert warned == [f"synsp: warning: --seeds 5: {name} draws one noise seed, whatever --seeds says (it sets the "
                      "other experiments' seeds)"]
    assert f"experiment {name}, preset all, 1 seed(s) (" in err
    # with an experiment of several seeds: --seeds sets its seeds, the warning says so
    code, _, err = run(capsys, "benchmark", "--experiment", f"comparison,{name}", "--methods", "kalman-rts",
                       "--seeds", "2", "--presets", "3dpw-spin-like")
    assert code == 0, err
    assert "experiment comparison, preset 3dpw-spin-like, 2 seed(s) (" in err
    assert f"experiment {name}, preset all, 1 seed(s) (" in err and err.count("warning") == 1
    assert [kw["seeds"] for _, kw in no_experiment[-2:]] == [2, 1]

