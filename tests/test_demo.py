"""`synsp demo` part (1): the embedded real MediaPipe track of the Sports2D video, refined."""

from __future__ import annotations

import numpy as np
import pytest

import synsp.api

pytestmark = pytest.mark.skipif(not hasattr(synsp.api, "refine_pose_file"),
                                reason="synsp.api.refine_pose_file (refines a PoseFile) is not written yet")


@pytest.fixture(scope="module")
def real():
    from synsp.demo import run_real_demo

    return run_real_demo(out_dir=None)


def test_part_one_smooths_every_track(real):
    rows, summary, picture = real
    assert picture is None
    assert len(rows) >= 3 and summary["persons"] == len(rows) and summary["frames"] == 230
    assert summary["unrefined_tracks"] == [], "every person segment of the embedded track is long enough"
    for r in rows:
        assert r["detections"] >= 20 and r["first"] < r["last"]
        assert np.isfinite([r["accel_before"], r["accel_after"], r["displacement"]]).all()
        assert r["accel_after"] < r["accel_before"], f"track {r['track']}: refinement did not smooth"
        assert 0 < r["displacement"] < 50, f"track {r['track']}: refined landmarks moved {r['displacement']:.1f} px"
    assert summary["accel_after"] < summary["accel_before"]


def test_part_one_picture(tmp_path):
    pytest.importorskip("matplotlib")
    from synsp.demo import run_real_demo

    _, _, picture = run_real_demo(out_dir=tmp_path)
    assert picture == tmp_path / "demo_sports2d.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_part_one_picture_draws_refined_joints_in_table_units_with_up_up(tmp_path, monkeypatch):
    """The picture shows joints the network refines, accelerations in px/frame² as the table prints them,
    image y flipped."""
    pytest.importorskip("matplotlib")
    import synsp.pictures
    from synsp.demo import run_real_demo
    from synsp.skeletons import get_skeleton

    seen = {}
    real_plot = synsp.pictures.plot_refinement

    def spy(*args, **kw):
        seen.update(kw)
        return real_plot(*args, **kw)

    monkeypatch.setattr(synsp.pictures, "plot_refinement", spy)
    rows, summary, picture = run_real_demo(out_dir=tmp_path)
    # the default for MediaPipe's 33 landmarks is the universal model, which refines every one of them itself:
    # the picture shows the four most jittery of all 33
    assert picture.is_file() and summary["model"] == "synsp-universal-w16"
    assert len(seen["joints"]) == 4 and len(set(seen["joints"])) == 4
    assert all(0 <= j < get_skeleton("mediapipe33").num_joints for j in seen["joints"])
    assert seen["unit"] == "px" and seen["accel_per_frame"] and seen["image_y"]


def test_plot_refinement_labels_units_per_frame_and_flips_image_y(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from synsp.pictures import plot_refinement

    figures = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: figures.append(self))
    x = np.cumsum(np.random.default_rng(0).normal(size=(30, 17, 2)), axis=0)
    plot_refinement(x, x * 0.5, tmp_path / "p.png", fps=30, unit="px", accel_per_frame=True, image_y=True)
    axes = np.array(figures[0].axes).reshape(-1, 3)
    assert axes[0, 2].get_title() == "acceleration (px/frame²)"
    assert all(row[1].yaxis_inverted() and not row[0].yaxis_inverted() for row in axes)
    figures.clear()
    plot_refinement(x, x * 0.5, tmp_path / "q.png", fps=30)
    axes = np.array(figures[0].axes).reshape(-1, 3)
    assert axes[0, 2].get_title() == "acceleration (units/s²)" and not axes[0, 1].yaxis_inverted()


def test_part_three_draws_its_picture(tmp_path):
    pytest.importorskip("matplotlib")
    from synsp.demo import DEMO_CLIP, _pick_clip, run_rotation_demo

    clip_id = _pick_clip("h36m17").clip_id
    assert clip_id.startswith(DEMO_CLIP)
    rows, picture = run_rotation_demo(clip_id, out_dir=tmp_path, with_picture=True)
    assert rows is not None and {"synsp-smpl24-rot-w8", "synsp-universal-w16-rot"} <= set(rows)
    assert rows["input"]["clean_added"] == 0.0
    # the default leaves error-free rotations (nearly) alone, less changed than the rotation network leaves them
    assert rows["synsp-universal-w16-rot"]["clean_added"] < min(0.2, rows["synsp-smpl24-rot-w8"]["clean_added"])
    assert picture == tmp_path / "demo_rotations.png" and picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run_rotation_demo(clip_id) == rows  # the plain call still returns the rows alone


def test_part_one_reports_what_the_repair_relabelled(real, capsys, tmp_path):
    """The real MediaPipe track has a visible whole-body inversion: the repair relabels frames of it, and
    synsp demo prints them per track and limb group."""
    from synsp.cli import _echo_relabelled

    _, summary, _ = real
    relabelled = summary["relabelled"]
    assert sum(n for groups in relabelled.values() for n in groups.values()) > 0
    assert all(set(groups) <= {"arms", "legs", "head"} for groups in relabelled.values())
    _echo_relabelled(summary)
    line = capsys.readouterr().out
    assert line.startswith("left/right labels exchanged back before refining (frames): track ")
