"""The secondary commands (inspect, plot, render, benchmark, demo): what they say and draw agrees with what refine
does, and a mistake fails first, in one line, writing nothing.  Tiny inputs; no corpus is read or built."""

import re

import numpy as np
import pytest

from synsp.cli import main

COCO = {  # a standing COCO-17 person in image pixels (x right, y down), left and right limbs of equal length
    "nose": (0, -160), "left_eye": (6, -166), "right_eye": (-6, -166), "left_ear": (12, -162),
    "right_ear": (-12, -162), "left_shoulder": (40, -120), "right_shoulder": (-40, -120), "left_elbow": (55, -60),
    "right_elbow": (-55, -60), "left_wrist": (60, 0), "right_wrist": (-60, 0), "left_hip": (25, 0),
    "right_hip": (-25, 0), "left_knee": (28, 80), "right_knee": (-28, 80), "left_ankle": (30, 160),
    "right_ankle": (-30, 160)}


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def one_error_line(err: str) -> str:
    """The one line a user mistake prints (no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(("synsp: error:", "synsp ")) and "Traceback" not in err, err
    return lines[0]


def coco_track(frames: int = 24) -> np.ndarray:
    """``(T, 17, 2)`` COCO-17 keypoints in pixels, arms swinging."""
    from synsp.skeletons import get_skeleton

    names = get_skeleton("coco17").joints
    x = np.array([COCO[n] for n in names], float)[None] + [320.0, 240.0]
    x = np.repeat(x, frames, axis=0)
    swing = 8 * np.sin(np.arange(frames) / 3.0)
    for n in ("left_wrist", "right_wrist", "left_elbow", "right_elbow"):
        x[:, names.index(n), 0] += swing
    return x


def h36m_track(frames: int = 30, seed: int = 0) -> np.ndarray:
    """``(T, 17, 3)`` Human3.6M-17 joints in metres, y up, standing and swaying."""
    from synsp.skeletons import get_skeleton

    sk = get_skeleton("h36m17")
    pos = {"pelvis": (0, 1.0, 0), "right_hip": (-0.12, 1.0, 0), "right_knee": (-0.13, 0.55, 0),
           "right_ankle": (-0.13, 0.1, 0), "left_hip": (0.12, 1.0, 0), "left_knee": (0.13, 0.55, 0),
           "left_ankle": (0.13, 0.1, 0), "spine": (0, 1.25, 0), "thorax": (0, 1.5, 0), "neck": (0, 1.6, 0),
           "head_top": (0, 1.75, 0), "left_shoulder": (0.18, 1.5, 0), "left_elbow": (0.22, 1.22, 0),
           "left_wrist": (0.24, 0.98, 0), "right_shoulder": (-0.18, 1.5, 0), "right_elbow": (-0.22, 1.22, 0),
           "right_wrist": (-0.24, 0.98, 0)}
    x = np.array([pos[n] for n in sk.joints], float)[None].repeat(frames, axis=0)
    x[..., 0] += 0.05 * np.sin(np.arange(frames) / 5.0)[:, None]
    return x + np.random.default_rng(seed).normal(0, 0.003, x.shape)


# 1. plot and render draw 17 2D points as refine and inspect take them: COCO-17


def test_plot_and_render_draw_17_2d_points_as_coco17_like_refine(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import synsp.pictures as pictures

    x = coco_track()
    np.save(tmp_path / "raw.npy", x)
    np.save(tmp_path / "ref.npy", x)
    code, out, _ = run(capsys, "inspect", tmp_path / "raw.npy")
    assert code == 0 and "taken as coco17" in out
    seen = {}
    plot, render = pictures.plot_refinement, pictures.render_animation

    def spy_plot(raw, refined, path, skeleton=None, joints=None, **kw):
        fig = pictures._refinement_figure(raw, refined, skeleton, joints, None, None, None, "px", False, False, None)
        seen["plot"] = (skeleton, fig.axes[0].get_ylabel(), fig.axes[0].lines[0].get_ydata())
        return plot(raw, refined, path, skeleton=skeleton, joints=joints, **kw)

    def spy_render(raw, refined, path, skeleton=None, **kw):
        seen["render"] = skeleton
        return render(raw, refined, path, skeleton, **kw)

    monkeypatch.setattr(pictures, "plot_refinement", spy_plot)
    monkeypatch.setattr(pictures, "render_animation", spy_render)
    code, _, err = run(capsys, "plot", tmp_path / "raw.npy", tmp_path / "ref.npy", "-o", tmp_path / "p.png",
                       "--joints", "left_wrist")
    assert code == 0, err
    skeleton, label, drawn = seen["plot"]
    assert skeleton == "coco17" and label == "left_wrist"
    np.testing.assert_allclose(drawn, x[:, 9, 0])  # COCO's left wrist, not joint 13 (its left knee)
    code, _, err = run(capsys, "render", tmp_path / "raw.npy", tmp_path / "ref.npy", "-o", tmp_path / "r.gif",
                       "--max-frames", "3")
    assert code == 0, err
    assert seen["render"] == "coco17"


# 2. render plays a file at its own frame rate


def test_render_uses_the_files_frame_rate_and_plays_in_real_time(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from PIL import Image

    import synsp.pictures as pictures

    x = h36m_track(12)
    np.savez(tmp_path / "raw.npz", keypoints=x, fps=60.0)
    stamps = []
    draw = pictures._Scene.draw

    def spy(self, t, image):
        draw(self, t, image)
        stamps.append(self.stamp.get_text())

    monkeypatch.setattr(pictures._Scene, "draw", spy)
    code, out, err = run(capsys, "render", tmp_path / "raw.npz", tmp_path / "raw.npz", "-o", tmp_path / "a.gif")
    assert code == 0, err
    assert "60 fps, the file's" in out
    im = Image.open(tmp_path / "a.gif")
    # 12 frames at 60 fps are 0.2 s: every 2nd frame drawn, 30 a second (a GIF cannot show 60 a second)
    assert im.n_frames == 6 and 30 <= im.info["duration"] <= 34
    assert stamps[-1].startswith("frame 10") and stamps[-1].endswith("0.17 s")
    stamps.clear()
    code, _, err = run(capsys, "render", tmp_path / "raw.npz", tmp_path / "raw.npz", "-o", tmp_path / "b.gif",
                       "--fps", "30")
    assert code == 0, err
    assert Image.open(tmp_path / "b.gif").n_frames == 12 and stamps[-1].endswith("0.37 s")


# 3. inspect says refine refuses a file whose every track is too short; 18. "1 frame", not "1 frames"


def test_inspect_says_refine_refuses_a_too_short_file(capsys, tmp_path):
    np.save(tmp_path / "one.npy", h36m_track(1))
    code, out, _ = run(capsys, "inspect", tmp_path / "one.npy")
    assert code == 0
    assert "left as it is" not in out and "1 frames" not in out and "1 detections" not in out
    assert "; 1 frame\n" in out and "1 detection in" in out
    refused = [line for line in out.splitlines() if line.startswith("  refine: refuses this file")]
    assert len(refused) == 1 and "--model kalman-rts" in refused[0]
    code, _, err = run(capsys, "refine", tmp_path / "one.npy", "-o", tmp_path / "out.npy")
    assert code == 2 and "every track is shorter than" in one_error_line(err)
    assert refused[0].split("every track", 1)[1] in err  # the same words
    assert not (tmp_path / "out.npy").exists()


# 4. inspect --max-gap -5 is refused like refine's


@pytest.mark.parametrize("command", ["inspect", "refine"])
def test_negative_max_gap_is_refused_naming_the_option(capsys, tmp_path, command):
    np.save(tmp_path / "a.npy", h36m_track(20))
    extra = ["-o", tmp_path / "out.npy"] if command == "refine" else []
    code, out, err = run(capsys, command, tmp_path / "a.npy", *extra, "--max-gap", "-5")
    assert code == 2 and out == ""
    assert "--max-gap -5" in one_error_line(err) and "max_gap" not in err
    assert not (tmp_path / "out.npy").exists()


# 5. inspect of a file without a valid person: one line, as refine; with several files the others are described


def test_inspect_file_without_a_person_is_one_line_and_others_are_described(capsys, tmp_path):
    np.save(tmp_path / "allnan.npy", np.full((50, 17, 3), np.nan))
    (tmp_path / "noinst.json").write_text('[{"frame_id": 0, "instances": []}]')
    np.save(tmp_path / "good.npy", h36m_track(20))
    for name in ("allnan.npy", "noinst.json"):
        code, out, err = run(capsys, "inspect", tmp_path / name)
        assert code == 2 and out == ""
        assert "no person (no valid joint) in any frame" in one_error_line(err)
    code, out, err = run(capsys, "inspect", tmp_path / "allnan.npy", tmp_path / "good.npy")
    assert code == 1 and "Traceback" not in err
    assert f"{tmp_path / 'good.npy'}: array" in out and "allnan" not in out
    assert f"{tmp_path / 'allnan.npy'}: cannot be described: no person" in err and "1 of 2 files" in err


# 6. the --skeleton name inspect suggests for a file's own points works


def test_the_skeleton_name_inspect_suggests_for_a_files_points_works(capsys, tmp_path):
    from synsp.io import write_trc

    t = np.arange(30) / 100
    base = np.array([[100, 0, 950], [-100, 0, 950], [110, 20, 500], [-110, 20, 500], [105, 0, 80], [-105, 0, 80]],
                    float)
    x = base[None] + np.sin(2 * np.pi * t)[:, None, None] * np.array([0, 30, 0])
    # names no other test registers: the skeleton is only known once this file is read
    write_trc(tmp_path / "m.trc", x, marker_names=["LASIS9", "RASIS9", "LKNEE9", "RKNEE9", "LANKLE9", "RANKLE9"],
              fps=100.0, units="mm")
    code, out, _ = run(capsys, "inspect", tmp_path / "m.trc")
    assert code == 0
    name = re.search(r"--skeleton (custom6-[0-9a-f]+) repairs with them", out).group(1)
    from synsp import skeletons

    skeletons.SKELETONS.pop(name, None)  # as in a new process: not registered before the file is read
    code, out, err = run(capsys, "inspect", tmp_path / "m.trc", "--skeleton", name)
    assert code == 0, err
    assert f"left/right repair: on ({name} pairs)" in out
    skeletons.SKELETONS.pop(name, None)
    code, out, err = run(capsys, "refine", tmp_path / "m.trc", "-o", tmp_path / "r.trc", "--skeleton", name,
                         "--model", "butterworth")
    assert code == 0, err
    assert (tmp_path / "r.trc").is_file()
    code, _, err = run(capsys, "inspect", tmp_path / "m.trc", "--skeleton", "custom6-000000")
    assert code == 2 and "unknown skeleton 'custom6-000000'" in one_error_line(err)


# 7. inspect of a BVH says what refine does into a .bvh: its rotations, in degrees, by the rotation model

BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT LeftUpLeg
  {
    OFFSET 10 0 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -40 0
    }
  }
  JOINT RightUpLeg
  {
    OFFSET -10 0 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -40 0
    }
  }
  JOINT Spine
  {
    OFFSET 0 20 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 30 0
    }
  }
}
MOTION
Frames: 30
Frame Time: 0.0333333
"""


def test_inspect_of_a_bvh_says_what_refine_does_into_a_bvh(capsys, tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for t in range(30):
        angles = 10 * np.sin(t / 5 + np.arange(12)) + rng.normal(0, 1, 12)
        rows.append(" ".join(f"{v:.4f}" for v in [0.5 * t, 90, 0, *angles]))
    (tmp_path / "walk.bvh").write_text(BVH + "\n".join(rows) + "\n")
    code, out, err = run(capsys, "inspect", tmp_path / "walk.bvh")
    assert code == 0, err
    said = re.search(r"into a \.bvh OUTPUT: its joint rotations in (\w+), by (\S+) ", out)
    assert said, out
    code, refined, err = run(capsys, "refine", tmp_path / "walk.bvh", "-o", tmp_path / "r.bvh")
    assert code == 0, err
    assert f"({said.group(1)} per frame^2) with {said.group(2)};" in refined
    # the name inspect suggests for the file's points works into a .bvh too (rotations are not repaired: unused)
    named = re.search(r"--skeleton (custom\d+-[0-9a-f]+)", out)
    if named:
        code, _, err = run(capsys, "refine", tmp_path / "walk.bvh", "-o", tmp_path / "n.bvh", "--skeleton",
                           named.group(1))
        assert code == 0, err
    # a mistyped name of another form is refused before the file is read, naming only the built-in skeletons
    code, _, err = run(capsys, "refine", tmp_path / "walk.bvh", "-o", tmp_path / "m.bvh", "--skeleton", "h36m-17")
    assert code == 2 and "unknown skeleton 'h36m-17'" in one_error_line(err) and not (tmp_path / "m.bvh").exists()


# 14. a model for other points: inspect flags it, refine names the model and the input's D


def test_refine_views_names_a_model_for_other_points(capsys, tmp_path):
    # --views gave the network's own "poses has D = 2 ...; expected D in {3}", naming neither the model nor the option
    np.save(tmp_path / "v.npy", np.random.default_rng(0).normal(size=(20, 4, 17, 2)).cumsum(0))
    code, out, err = run(capsys, "refine", tmp_path / "v.npy", "--views", "--model", "synsp-h36m17-3d-w8", "-o",
                         tmp_path / "o.npy")
    line = one_error_line(err)
    assert code == 2 and "--model synsp-h36m17-3d-w8 refines 3D points" in line and "(D = 2, J = 17" in line
    assert not (tmp_path / "o.npy").exists()


def test_a_model_for_other_dimensions_is_flagged_by_inspect_and_named_by_refine(capsys, tmp_path):
    from synsp.refiners import shipped_models

    if "synsp-coco17-2d-w8" not in shipped_models():
        pytest.skip("needs the shipped synsp-coco17-2d-w8")
    np.save(tmp_path / "a.npy", h36m_track(20))
    for command in ("inspect", "refine"):
        extra = ["-o", tmp_path / "out.npy"] if command == "refine" else []
        code, out, err = run(capsys, command, tmp_path / "a.npy", *extra, "--model", "synsp-coco17-2d-w8")
        line = one_error_line(err)
        assert code == 2 and out == ""
        assert "--model synsp-coco17-2d-w8 refines 2D points" in line and "holds 3D points (D = 3" in line
    assert not (tmp_path / "out.npy").exists()


# 18. inspect of SMPL parameters: the repair is off because rotations are not repaired


def test_inspect_smpl_says_rotations_are_not_repaired(capsys, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "smpl.npz", poses=rng.normal(0, 0.1, (20, 72)), trans=np.zeros((20, 3)),
             mocap_framerate=30.0)
    code, out, err = run(capsys, "inspect", tmp_path / "smpl.npz", "--model", "butterworth")
    assert code == 0, err
    assert "left/right repair: none (joint rotations are not repaired" in out
    assert "no skeleton with left/right pairs" not in out


# 12. render --video with a file that is no video: one line


def test_render_over_a_file_that_is_no_video_fails_in_one_line(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    x = coco_track(4)
    np.save(tmp_path / "raw.npy", x)
    (tmp_path / "clip.mp4").write_bytes(b"not a video at all\n" * 10)
    code, _, err = run(capsys, "render", tmp_path / "raw.npy", tmp_path / "raw.npy", "-o", tmp_path / "v.gif",
                       "--video", tmp_path / "clip.mp4", "--max-frames", "2")
    assert code == 2
    one_error_line(err)
    assert not (tmp_path / "v.gif").exists()


def test_a_video_readers_banner_is_cut_to_its_reason():
    from synsp.pictures import _reason

    banner = RuntimeError("Could not load meta information\n=== stderr ===\n\nffmpeg version n9 Copyright\n"
                          "  configuration: --enable-gpl\n  libavutil 61. 1.102\n"
                          "Error opening input file x.npy.\nError opening input files: Invalid data found when "
                          "processing input")
    assert _reason(banner) == "Error opening input files: Invalid data found when processing input"


# 13. a z-up recording is drawn standing, and the title says which axes are drawn


def test_render_draws_z_up_data_standing_and_says_so(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import synsp.pictures as pictures

    y_up = h36m_track(6)
    z_up = y_up[..., [0, 2, 1]] * [1, -1, 1]  # (x, -z, y): the body along z
    scenes = []
    scene = pictures._Scene

    class Spy(scene):
        def __init__(self, fig, *args, **kw):
            super().__init__(fig, *args, **kw)
            scenes.append((self, [ax.get_title() for ax in fig.axes]))

    monkeypatch.setattr(pictures, "_Scene", Spy)
    for name, x, up in (("z", z_up, 2), ("y", y_up, 1)):
        pictures.render_animation(x, x, tmp_path / f"{name}.gif", "h36m17", fps=30)
        drawn, titles = scenes[-1]
        assert all(f"x right, {name} up" in t for t in titles) and "front view (x right, y up)" not in titles
        np.testing.assert_allclose(drawn.raw[:, 0, :, 1], x[..., up])  # the panel's vertical is the body's height
        np.testing.assert_allclose(drawn.raw[:, 0, :, 0], x[..., 0])
    assert pictures.up_axis(z_up) == 2 and pictures.up_axis(y_up) == 1


# 18. plot colours: one per person, also beyond ten


def test_plot_gives_every_person_its_own_colour():
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_rgba

    from synsp.pictures import _refinement_figure

    x = np.stack([h36m_track(10, seed=p) + [p, 0, 0] for p in range(12)], axis=1)  # (T, 12, J, 3)
    fig = _refinement_figure(x, x, None, [0], None, None, None, "m", False, False, None)
    colours = {to_rgba(line.get_color()) for line in fig.axes[0].lines if str(line.get_label()).startswith("refined")}
    assert len(colours) == 12


# 8, 9, 10, 15, 16, 18. benchmark: every option checked first; the printed command reproduces the figures


@pytest.fixture
def no_experiment(monkeypatch):
    """``synsp.experiments.run_experiment`` replaced: records its calls, returns a report with one figure."""
    import synsp.experiments as experiments
    from synsp.reports import Report

    calls = []

    def fake(name, **kw):
        calls.append((name, kw))
        rep = Report(f"{name}-x", "t", kw.get("command", ""))
        rep.table("rows", [{"a": 1.0}])
        rep.figure("fig", None, "a figure")
        return rep

    monkeypatch.setattr(experiments, "run_experiment", fake)
    return calls


def test_benchmark_command_names_corpus_and_runs(capsys, tmp_path, no_experiment):
    corpus = tmp_path / "my corpus.npz"
    corpus.write_bytes(b"")
    code, out, err = run(capsys, "benchmark", "--experiment", "comparison,windows", "--quick", "--methods",
                         "butterworth", "--presets", "3dpw-spin-like", "--corpus", corpus, "--runs", tmp_path / "runs2")
    assert code == 0, err
    command = no_experiment[0][1]["command"]
    assert f"--corpus '{corpus}'" in command
    assert "--methods butterworth" in command and "--presets 3dpw-spin-like" in command and "--quick" in command
    assert command in out
    windows = no_experiment[1][1]["command"]  # it reads its models from the runs folder
    assert f"--corpus '{corpus}'" in windows and f"--runs {tmp_path / 'runs2'}" in windows
    # 18: without -o no figure is written, so none is linked
    assert "](fig.png)" not in out and "not written" in out


@pytest.mark.parametrize("seeds", ["0", "-1"])
def test_benchmark_seeds_below_one_is_one_line(capsys, seeds, no_experiment):
    code, out, err = run(capsys, "benchmark", "--methods", "butterworth", "--seeds", seeds)
    assert code == 2 and "--seeds" in one_error_line(err) and not no_experiment


@pytest.mark.parametrize("args, said", [
    (["--experiment", "comparison,bogus"], "unknown experiment 'bogus'"),
    (["--methods", "butterworth,bogus"], "--methods: unknown refiner 'bogus'"),
    (["--presets", "3dpw-spin-like,bogus"], "--presets: unknown noise preset 'bogus'"),
    # a 3D network in a 2D benchmark failed mid-run with the network's own message (a review found it)
    (["--skeleton", "coco17", "--representation", "2d", "--methods", "butterworth,synsp-h36m17-3d-w8"],
     "--methods: synsp-h36m17-3d-w8 refines 3D points, and this benchmark simulates 2D ones"),
    # a network of another joint set ran on COCO-17's joint order as if it were its own
    (["--skeleton", "coco17", "--experiment", "robustness", "--methods", "kalman-rts,synsp-h36m17-3d-w8"],
     "--methods: synsp-h36m17-3d-w8 refines h36m17 joints, and this benchmark simulates coco17 ones"),
    (["--skeleton", "coco17", "--experiment", "robustness", "--methods", "synsp-h36m17-3d-w8-p4+similar-poses"],
     "--methods: synsp-h36m17-3d-w8-p4+similar-poses refines h36m17 joints"),
])
def test_benchmark_checks_every_name_before_any_work(capsys, tmp_path, no_experiment, args, said):
    code, _, err = run(capsys, "benchmark", "--quick", "-o", tmp_path / "reports", *args)
    assert code == 2 and said in one_error_line(err)
    assert not no_experiment and not (tmp_path / "reports").exists()


def test_benchmark_output_is_checked_before_the_work(capsys, tmp_path, no_experiment):
    (tmp_path / "afile").write_text("x")
    code, _, err = run(capsys, "benchmark", "--quick", "--methods", "butterworth", "-o", tmp_path / "afile")
    assert code == 2 and "is a file; give a folder" in one_error_line(err)
    code, _, err = run(capsys, "benchmark", "--quick", "--methods", "butterworth", "-o", tmp_path / "afile" / "sub")
    assert code == 2 and "is a file" in one_error_line(err)
    assert not no_experiment and (tmp_path / "afile").read_text() == "x"
    assert list(tmp_path.iterdir()) == [tmp_path / "afile"]


def test_benchmark_default_methods_keep_the_networks_of_the_skeleton_only(capsys, no_experiment):
    code, _, err = run(capsys, "benchmark", "--quick", "--skeleton", "coco17", "--experiment", "comparison")
    assert code == 0, err
    methods = no_experiment[0][1]["methods"]
    assert "kalman-rts" in methods and "synsp-universal-w16" in methods
    assert not [m for m in methods if "h36m17" in m]  # the h36m17 networks left out on COCO-17
    code, _, err = run(capsys, "benchmark", "--quick", "--experiment", "comparison")
    assert "synsp-h36m17-3d-w8" in no_experiment[-1][1]["methods"]


def test_benchmark_2d_takes_the_2d_presets(capsys, no_experiment):
    code, _, err = run(capsys, "benchmark", "--quick", "--skeleton", "coco17", "--representation", "2d",
                       "--methods", "butterworth")
    assert code == 0, err
    assert [kw["preset"] for _, kw in no_experiment] == ["hrnet-like", "mediapipe-like"]
    code, _, err = run(capsys, "benchmark", "--quick", "--skeleton", "coco17", "--representation", "2d",
                       "--presets", "vibe-like")
    line = one_error_line(err)
    assert code == 2 and "--presets vibe-like" in line and "hrnet-like,mediapipe-like" in line
    assert "scale=" not in line and len(no_experiment) == 2


# 17. robustness --quick: a few methods, per-method progress


def test_robustness_quick_runs_few_methods_with_progress(caplog, monkeypatch):
    from synsp.experiments import robustness as rob
    from synsp.experiments.common import Context

    g = h36m_track(40)
    clips = [(g, g + np.random.default_rng(1).normal(0, 0.01, g.shape), np.ones(g.shape[:-1]), "everyday")]
    conds = [rob.Condition("clean", [(g, g.copy(), np.ones(g.shape[:-1]), "everyday")], clean=True),
             rob.Condition("spiky 3 %", clips)]
    monkeypatch.setattr(rob, "conditions", lambda *a, **k: conds)
    ctx = Context(methods=["one-euro"] * 16, methods_given=False, quick=True)
    assert rob.robustness_methods(ctx) == list(rob.QUICK_3D) and len(rob.QUICK_3D) <= 4
    monkeypatch.setattr(rob, "QUICK_3D", ("butterworth", "kalman-rts"))  # the loop, not the networks' speed
    with caplog.at_level("INFO", logger="synsp.benchmark"):
        rep = rob.robustness(ctx)
    said = [r.getMessage() for r in caplog.records if r.name == "synsp.benchmark"]
    assert [s.split(",")[0] for s in said] == ["robustness: method 1/3 input", "robustness: method 2/3 butterworth",
                                               "robustness: method 3/3 kalman-rts"]
    assert list(rep.tables[0].rows[0]) == ["condition", "input", "butterworth", "kalman-rts"]


# 11. demo checks --preset and --seed first and writes nothing when they are wrong


@pytest.mark.parametrize("args, said", [(["--preset", "bogus"], "unknown noise preset 'bogus'"),
                                        (["--preset", "hrnet-like"], "simulates 2D keypoint errors"),
                                        (["--seed", "-1"], "--seed")])
def test_demo_checks_its_options_first(capsys, tmp_path, args, said):
    code, out, err = run(capsys, "demo", "-o", tmp_path / "demo", *args)
    assert code == 2 and said in one_error_line(err)
    assert not (tmp_path / "demo").exists()


def test_run_demo_refuses_a_negative_seed_before_writing(tmp_path):
    from synsp.demo import run_demo
    from synsp.validation import SynspInputError

    with pytest.raises(SynspInputError, match="seed -1"):
        run_demo(tmp_path / "demo", seed=-1)
    assert not (tmp_path / "demo").exists()


def test_simulate_negative_seed_is_a_clear_error():
    from synsp.noise import simulate
    from synsp.validation import SynspInputError

    with pytest.raises(SynspInputError, match="seed is -1"):
        simulate(h36m_track(10), "3dpw-spin-like", skeleton="h36m17", fps=30.0, seed=-1)


def test_render_max_frames_names_the_option(capsys, tmp_path):
    np.save(tmp_path / "raw.npy", coco_track(4))
    code, _, err = run(capsys, "render", tmp_path / "raw.npy", tmp_path / "raw.npy", "-o", tmp_path / "v.gif",
                       "--max-frames", "0")
    assert code == 2 and "--max-frames 0" in one_error_line(err) and "max_frames" not in err
    assert not (tmp_path / "v.gif").exists()


@pytest.mark.parametrize("command, name, said", [
    ("plot", "p.txt", "-o {out}: synsp plot writes a picture; give a name ending in .png, .pdf or .svg (found '.txt')"),
    ("render", "r.txt", "-o {out}: synsp render writes an animation; give a name ending in .gif or .mp4 (found "
                        "'.txt')"),
])
def test_plot_and_render_check_the_output_name_before_reading_the_inputs(capsys, tmp_path, command, name, said):
    """The suffix was checked after both inputs were read, in the Python function's words ("plot_refinement
    writes ...")."""
    (tmp_path / "raw.npy").write_bytes(b"not an array")  # would fail to read: the name is checked first
    (tmp_path / "refined.npy").write_bytes(b"not an array")
    out = tmp_path / name
    code, _, err = run(capsys, command, tmp_path / "raw.npy", tmp_path / "refined.npy", "-o", out)
    assert code == 2 and one_error_line(err) == "synsp: error: " + said.format(out=out)
    assert "plot_refinement" not in err and "render_animation" not in err


def test_plot_of_two_files_of_different_shapes_names_both(capsys, tmp_path):
    np.save(tmp_path / "a.npy", h36m_track(30))
    np.save(tmp_path / "b.npy", h36m_track(20))
    code, _, err = run(capsys, "plot", tmp_path / "a.npy", tmp_path / "b.npy", "-o", tmp_path / "p.png")
    line = one_error_line(err)
    assert code == 2 and f"{tmp_path / 'a.npy'} holds poses of shape (30, 17, 3) and {tmp_path / 'b.npy'} " \
                         "(20, 17, 3)" in line, line
    assert not (tmp_path / "p.png").exists()
