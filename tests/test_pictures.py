"""Pictures of a refinement: PNG size and content, animation frame counts, video overlay, errors, CLI."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402  (Pillow comes with matplotlib)

from synsp import pictures  # noqa: E402
from synsp.cli import main  # noqa: E402
from synsp.pictures import plot_refinement, render_animation  # noqa: E402
from synsp.validation import SynspInputError  # noqa: E402

SMALL = (320, 160)  # animation frame size that keeps the tests fast


def walk(T=12, J=17, D=3, persons=None, seed=0, scale=1.0):
    """Smooth random motion (refined) and the same plus jitter (raw); person 1 leaves after frame 4."""
    rng = np.random.default_rng(seed)
    shape = (T, J, D) if persons is None else (T, persons, J, D)
    smooth = scale * (rng.normal(size=shape[1:]) + np.cumsum(rng.normal(scale=0.05, size=shape), axis=0))
    raw = smooth + scale * rng.normal(scale=0.05, size=shape)
    if persons is not None:
        raw[4:, 1] = np.nan
        smooth[4:, 1] = np.nan
    return raw, smooth


def video_frame_count(path):
    """Frames in a video, counted by decoding it with ffmpeg."""
    done = subprocess.run([pictures._ffmpeg_exe(), "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                          capture_output=True, text=True, check=True)
    return int(re.findall(r"frame=\s*(\d+)", done.stderr)[-1])


def write_video(path, frames, size):
    """A tiny synthetic MP4 (a white square moving over a coloured background)."""
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="no video writer (pip install imageio-ffmpeg)")
    w, h = size
    writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=10, macro_block_size=1)
    writer.send(None)
    for t in range(frames):
        image = np.zeros((h, w, 3), np.uint8)
        image[..., 1] = 40 + 10 * t
        image[4:12, 2 * t:2 * t + 8] = 255
        writer.send(image.tobytes())
    writer.close()


# --------------------------------------------------------------------------------------------
# plot_refinement
# --------------------------------------------------------------------------------------------


def test_png_has_the_documented_size_and_is_not_blank(tmp_path):
    raw, refined = walk(T=40)
    raw[10:14, 3] = np.nan  # a gap
    out = plot_refinement(raw, refined, tmp_path / "r.png", skeleton="h36m17", fps=30, gt=refined, title="t")
    assert out == tmp_path / "r.png"
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert im.size == (300 * 4, 200 * 4 + 60)  # D + 1 columns, 4 joints by default
        assert np.asarray(im.convert("L")).var() > 0
    assert os.listdir(tmp_path) == ["r.png"]


def test_png_2d_multi_person_with_chosen_joints(tmp_path):
    raw, refined = walk(T=30, D=2, persons=2, scale=100.0)
    out = plot_refinement(raw, refined, tmp_path / "r.png", skeleton="coco17", joints=["left_wrist", "0"])
    with Image.open(out) as im:
        assert im.size == (300 * 3, 200 * 2 + 60)
        assert np.asarray(im.convert("L")).var() > 0


def test_default_joints_are_the_most_jittery():
    raw, _ = walk(T=30)
    raw[:, 5] += np.random.default_rng(1).normal(scale=5.0, size=raw[:, 5].shape)
    raw[:, 9] += np.random.default_rng(2).normal(scale=2.0, size=raw[:, 9].shape)
    raw[:, 2] = np.nan  # a joint never seen is never chosen first
    chosen = pictures._joints(None, raw[:, None], None)
    assert len(chosen) == 4 and chosen[:2] == [5, 9] and 2 not in chosen


# --------------------------------------------------------------------------------------------
# render_animation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("D, persons, max_frames, expected", [
    (3, None, None, 12),
    (2, 2, 5, 5),
    (3, 2, 100, 12),
])
def test_gif_frame_count(tmp_path, D, persons, max_frames, expected):
    raw, refined = walk(T=12, D=D, persons=persons, scale=1.0 if D == 3 else 100.0)
    out = render_animation(raw, refined, tmp_path / "a.gif", "h36m17", fps=10, max_frames=max_frames, size=SMALL)
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.n_frames == expected
        assert im.size == SMALL
    assert os.listdir(tmp_path) == ["a.gif"]


def test_mp4_frame_count(tmp_path):
    if pictures._ffmpeg_exe() is None:
        pytest.skip("no ffmpeg binary (pip install imageio-ffmpeg)")
    raw, refined = walk(T=15)
    out = render_animation(raw, refined, tmp_path / "a.mp4", "h36m17", fps=10, max_frames=9, size=SMALL)
    assert video_frame_count(out) == 9
    assert os.listdir(tmp_path) == ["a.mp4"]


def test_mp4_without_ffmpeg_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(pictures.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    raw, refined = walk()
    with pytest.raises(SynspInputError, match="pip install imageio-ffmpeg.*or write a .gif"):
        render_animation(raw, refined, tmp_path / "a.mp4", "h36m17")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("persons", [None, 2])
def test_drawn_over_a_video_has_min_of_video_and_pose_frames(tmp_path, persons):
    write_video(tmp_path / "clip.mp4", frames=8, size=(64, 48))
    raw, refined = walk(T=10, D=2, persons=persons, scale=20.0)
    raw, refined = raw + 30, refined + 30
    out = render_animation(raw, refined, tmp_path / "over.gif", "coco17", video=tmp_path / "clip.mp4")
    with Image.open(out) as im:
        assert im.n_frames == 8  # the video is shorter than the poses
        assert im.size == (64, 48)  # the video's frame size
        im.seek(3)
        assert np.asarray(im.convert("RGB"))[..., 1].max() > 0  # the video shows through
    out = render_animation(raw, refined, tmp_path / "short.gif", "coco17", video=tmp_path / "clip.mp4", max_frames=3)
    with Image.open(out) as im:
        assert im.n_frames == 3
    assert sorted(os.listdir(tmp_path)) == ["clip.mp4", "over.gif", "short.gif"]


def test_video_needs_a_reader_and_2d_poses(tmp_path, monkeypatch):
    (tmp_path / "clip.mp4").write_bytes(b"not read")
    raw, refined = walk(D=2, scale=20.0)
    for name in ("cv2", "imageio", "imageio.v3", "imageio_ffmpeg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(SynspInputError, match=re.escape('pip install -e ".[video]"')):
        render_animation(raw, refined, tmp_path / "a.gif", "coco17", video=tmp_path / "clip.mp4")
    raw3, refined3 = walk(D=3)
    with pytest.raises(SynspInputError, match="2D pixel keypoints"):
        render_animation(raw3, refined3, tmp_path / "a.gif", "h36m17", video=tmp_path / "clip.mp4")
    with pytest.raises(SynspInputError, match="video file not found"):
        render_animation(raw, refined, tmp_path / "a.gif", "coco17", video=tmp_path / "missing.mp4")
    assert os.listdir(tmp_path) == ["clip.mp4"]


# --------------------------------------------------------------------------------------------
# user mistakes
# --------------------------------------------------------------------------------------------

RAW, REFINED = walk()
BAD = [
    ("mismatched shapes", dict(refined=REFINED[:, :16]), r"raw has shape \(12, 17, 3\) but refined has shape"),
    ("unknown skeleton", dict(skeleton="nope17"), "unknown skeleton 'nope17'; known skeletons: h36m17"),
    ("joint count", dict(skeleton="j14"), "J = 17 joints but skeleton 'j14' has 14"),
    ("empty", dict(raw=RAW[:0], refined=REFINED[:0]), r"raw is empty \(0 frames\)"),
]


@pytest.mark.parametrize("case, change, message", BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("name", ["picture.png", "movie.gif"])
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, case, change, message, name):
    args = {"raw": RAW, "refined": REFINED, "skeleton": "h36m17", **change}
    draw = plot_refinement if name.endswith(".png") else render_animation
    with pytest.raises(SynspInputError, match=message):
        draw(args["raw"], args["refined"], tmp_path / name, skeleton=args["skeleton"])
    assert os.listdir(tmp_path) == []


def test_unknown_suffix_names_the_supported_ones(tmp_path):
    with pytest.raises(SynspInputError, match=r"writes \.gif, \.mp4 files; found suffix '\.avi'"):
        render_animation(RAW, REFINED, tmp_path / "a.avi", "h36m17")
    with pytest.raises(SynspInputError, match=r"writes \.png, \.pdf, \.svg files; found suffix '\.jpg'"):
        plot_refinement(RAW, REFINED, tmp_path / "a.jpg")
    with pytest.raises(SynspInputError, match="joint 'left_wrist' is a name; pass skeleton="):
        plot_refinement(RAW, REFINED, tmp_path / "a.png", joints=["left_wrist"])
    assert os.listdir(tmp_path) == []


def test_a_failed_render_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "a.gif"
    target.write_bytes(b"old")
    calls = []

    def fail_on_third_frame(self, t, image):
        calls.append(t)
        if t == 2:
            raise RuntimeError("boom")

    monkeypatch.setattr(pictures._Scene, "draw", fail_on_third_frame)
    with pytest.raises(RuntimeError, match="boom"):
        render_animation(RAW, REFINED, target, "h36m17", size=SMALL)
    assert calls == [0, 1, 2]
    assert os.listdir(tmp_path) == ["a.gif"] and target.read_bytes() == b"old"


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def test_cli_plot_and_render(tmp_path, capsys):
    raw, refined = walk(T=8)
    np.save(tmp_path / "raw.npy", raw)
    np.savez(tmp_path / "refined.npz", keypoints=refined)
    assert main(["plot", str(tmp_path / "raw.npy"), str(tmp_path / "refined.npz"), "-o", str(tmp_path / "p.png"),
                 "--fps", "30", "--joints", "left_wrist,3"]) == 0  # skeleton guessed from J = 17
    with Image.open(tmp_path / "p.png") as im:
        assert im.size == (300 * 4, 200 * 2 + 60)
    assert main(["render", str(tmp_path / "raw.npy"), str(tmp_path / "refined.npz"), "-o", str(tmp_path / "a.gif"),
                 "--skeleton", "coco17", "--max-frames", "4"]) == 0
    with Image.open(tmp_path / "a.gif") as im:
        assert im.n_frames == 4
    assert "wrote" in capsys.readouterr().out


def test_cli_errors_exit_2_with_one_line(tmp_path, capsys):
    raw, refined = walk(J=5)
    np.save(tmp_path / "raw.npy", raw)
    np.save(tmp_path / "refined.npy", refined)
    args = [str(tmp_path / "raw.npy"), str(tmp_path / "refined.npy")]
    assert main(["render", *args, "-o", str(tmp_path / "a.gif"), "--skeleton", "nope"]) == 2
    assert "unknown skeleton 'nope'" in capsys.readouterr().err
    assert main(["plot", *args, "-o", str(tmp_path / "p.png"), "--skeleton", "nope"]) == 2
    assert sorted(os.listdir(tmp_path)) == ["raw.npy", "refined.npy"]
    # no known skeleton has 5 joints: drawn as plain points (was an error)
    assert main(["render", *args, "-o", str(tmp_path / "a.gif"), "--max-frames", "2"]) == 0
    assert (tmp_path / "a.gif").is_file()


def test_plot_and_render_read_pose_files_of_any_format(tmp_path):
    import json

    from PIL import Image

    from synsp.cli import main

    rng = np.random.default_rng(0)
    frames = [{"frame_id": t, "instances": [{"keypoints": (rng.normal(0, 3, (17, 2)) + 300 + t).tolist(),
                                             "keypoint_scores": [0.9] * 17, "track_id": 1}]} for t in range(12)]
    (tmp_path / "raw.json").write_text(json.dumps(frames))
    assert main(["refine", str(tmp_path / "raw.json"), "-o", str(tmp_path / "ref.json"), "--model", "one-euro"]) == 0
    assert main(["plot", str(tmp_path / "raw.json"), str(tmp_path / "ref.json"), "-o", str(tmp_path / "p.png")]) == 0
    assert main(["render", str(tmp_path / "raw.json"), str(tmp_path / "ref.json"), "-o", str(tmp_path / "a.gif")]) == 0
    assert Image.open(tmp_path / "a.gif").n_frames == 12


# --------------------------------------------------------------------------------------------
# frames the repair relabelled
# --------------------------------------------------------------------------------------------


def _shaded(fig):
    """Per axes: the relabelled spans drawn, ``{gid: (x0, x1, y0, y1)}`` in data x and axes-fraction y."""
    out = []
    for ax in fig.axes:
        spans = {}
        for patch in ax.patches:
            if (patch.get_gid() or "").startswith("relabelled "):
                (x0, y0), (x1, y1) = patch.get_path().get_extents(patch.get_patch_transform()).get_points()
                spans[patch.get_gid()] = (x0, x1, y0, y1)
        out.append(spans)
    return out


def test_relabelled_frames_are_shaded_per_person_and_group_in_every_panel():
    raw, refined = walk(T=30, persons=2)
    legs = np.zeros(30, dtype=bool)
    legs[[0, 1, 2, 20, 29]] = True
    marks = {0: {"arms": [3, 4, 5, 10]}, 1: {"legs": legs, "head": []}}
    assert pictures.relabelled_spans(marks, 30, 2) == {(0, "arms"): [(3, 6), (10, 11)],
                                                      (1, "legs"): [(0, 3), (20, 21), (29, 30)]}
    fig = pictures._refinement_figure(raw, refined, "coco17", None, 10.0, None, None, "px", False, False, marks)
    expected = {"relabelled 0 arms 3 6": (0.25, 0.55, 0.0, 0.5), "relabelled 0 arms 10 11": (0.95, 1.05, 0.0, 0.5),
                "relabelled 1 legs 0 3": (-0.05, 0.25, 0.5, 1.0), "relabelled 1 legs 20 21": (1.95, 2.05, 0.5, 1.0),
                "relabelled 1 legs 29 30": (2.85, 2.95, 0.5, 1.0)}  # frame f covers f/fps +- half a frame
    for spans in _shaded(fig):  # every panel: the same spans, one band per person and group
        assert spans.keys() == expected.keys()
        for gid, box in spans.items():
            np.testing.assert_allclose(box, expected[gid], atol=1e-9)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "arms relabelled (person 0)" in legend and "legs relabelled (person 1)" in legend
    one = pictures._refinement_figure(raw[:, 0], refined[:, 0], None, [0], None, None, None, "px", False, False,
                                      {"legs": [7]})
    assert _shaded(one)[0] == {"relabelled 0 legs 7 8": (6.5, 7.5, 0.0, 1.0)}  # one band: the whole height
    assert not any(_shaded(pictures._refinement_figure(raw, refined, None, [0], None, None, None, "px", False,
                                                       False, None)))
    with pytest.raises(SynspInputError, match="person 2"):
        pictures.relabelled_spans({2: {"arms": [1]}}, 30, 2)
    with pytest.raises(SynspInputError, match="frame 30"):
        pictures.relabelled_spans({"arms": [30]}, 30)


def test_cli_plot_shades_the_frames_the_repair_relabels(tmp_path, capsys, monkeypatch):
    from synsp.data.positions import split_positions
    from synsp.repair import limb_groups

    gt = split_positions("h36m17", "test", "3d")[0][0][:200]
    x = gt.copy()
    legs = np.asarray(limb_groups("h36m17")["legs"])
    x[100:140, legs[:, 0]], x[100:140, legs[:, 1]] = gt[100:140, legs[:, 1]], gt[100:140, legs[:, 0]]
    np.save(tmp_path / "raw.npy", x)
    np.save(tmp_path / "refined.npy", gt)
    figures = []
    draw = pictures._refinement_figure
    monkeypatch.setattr(pictures, "_refinement_figure", lambda *a: figures.append(draw(*a)) or figures[-1])
    args = ["plot", str(tmp_path / "raw.npy"), str(tmp_path / "refined.npy"), "--joints", "left_knee"]
    assert main([*args, "-o", str(tmp_path / "p.png")]) == 0
    assert "shaded: 40 frames the repair relabels" in capsys.readouterr().out
    assert all(s.keys() == {"relabelled 0 legs 100 140"} for s in _shaded(figures[-1]))
    assert main([*args, "-o", str(tmp_path / "q.png"), "--no-repair"]) == 0
    assert "shaded" not in capsys.readouterr().out and not any(_shaded(figures[-1]))


def test_cli_plot_names_the_files_units_and_puts_image_y_up(tmp_path, monkeypatch):
    import synsp.pictures

    seen = {}

    def capture(*args, **kwargs):
        seen.update(kwargs)
        return tmp_path / "p.png"

    monkeypatch.setattr(synsp.pictures, "plot_refinement", capture)
    raw, refined = walk(T=8)
    for name, x in (("raw", raw), ("refined", refined)):
        frames = [{"frame_id": f, "instances": [{"keypoints": x[f, :, :2].tolist(), "keypoint_scores": [0.9] * 17}]}
                  for f in range(len(x))]
        (tmp_path / f"{name}.json").write_text(__import__("json").dumps(frames))
    assert main(["plot", str(tmp_path / "raw.json"), str(tmp_path / "refined.json"), "-o", str(tmp_path / "p.png")]) == 0
    assert seen["unit"] == "px" and seen["image_y"] is True  # MMPose 2D keypoints: pixels, y down in the image
    np.save(tmp_path / "raw.npy", raw)
    np.save(tmp_path / "refined.npy", refined)
    assert main(["plot", str(tmp_path / "raw.npy"), str(tmp_path / "refined.npy"), "-o", str(tmp_path / "q.png")]) == 0
    assert seen["image_y"] is False  # 3D


def _cut_lines(fig):
    """Per panel: the x of every cut line, by gid."""
    return [{line.get_gid(): line.get_xdata()[0] for line in ax.lines if (line.get_gid() or "").startswith("cut ")}
            for ax in fig.axes]


def test_cuts_are_dotted_in_every_panel_and_named_by_the_cli(tmp_path, capsys, monkeypatch):
    raw, refined = walk(T=30, persons=2)
    fig = pictures._refinement_figure(raw, refined, None, [0], 10.0, None, None, "px", False, False, None,
                                      {1: [12]})
    assert all(lines == {"cut 1 12": pytest.approx(1.15)} for lines in _cut_lines(fig))  # half a frame before
    assert "cut" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    with pytest.raises(SynspInputError, match="frame 30"):
        pictures._refinement_figure(raw, refined, None, [0], None, None, None, "px", False, False, None, {0: [30]})
    with pytest.raises(SynspInputError, match="person 2"):
        pictures._refinement_figure(raw, refined, None, [0], None, None, None, "px", False, False, None, {2: [3]})
    # the CLI marks where synsp refine cuts: two clips joined, the second elsewhere
    from synsp.data.positions import split_positions

    clips = [g for g, _ in split_positions("h36m17", "test", "3d") if len(g) >= 100]
    x = np.concatenate([clips[0][:100], clips[1][:100] + (1.0, 0.0, 0.5)])
    np.save(tmp_path / "raw.npy", x)
    np.save(tmp_path / "refined.npy", x)
    figures = []
    draw = pictures._refinement_figure
    monkeypatch.setattr(pictures, "_refinement_figure", lambda *a: figures.append(draw(*a)) or figures[-1])
    assert main(["plot", str(tmp_path / "raw.npy"), str(tmp_path / "refined.npy"), "--joints", "0",
                 "-o", str(tmp_path / "p.png")]) == 0
    assert "dotted: 1 cut(s)" in capsys.readouterr().out
    assert all(lines.keys() == {"cut 0 100"} for lines in _cut_lines(figures[-1]))
