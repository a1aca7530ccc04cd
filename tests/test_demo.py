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
