"""One real clip of each CMU format in ../shared/data/cmu_mocap (skipped when the data is absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from synsp.io import read_amc, read_bvh, read_expmap, read_motion

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cmu_mocap"

pytestmark = pytest.mark.skipif(not (DATA / "manifest.csv").is_file(), reason=f"CMU mocap data not found at {DATA}")


@pytest.fixture(scope="module")
def manifest():
    with open(DATA / "manifest.csv", newline="") as fh:
        return {row["path"]: row for row in csv.DictReader(fh)}


def _check_motion(m, expected_frames, fps):
    assert m.num_frames == expected_frames
    assert m.fps == pytest.approx(fps)
    metres = m.to_metres()
    assert np.isfinite(metres.positions).all()
    # bones are rigid: every joint keeps its distance to its parent
    lengths = metres.bone_lengths()[:, 1:]
    spread = lengths.max(axis=0) - lengths.min(axis=0)
    assert (spread <= 1e-6 * np.maximum(lengths.mean(axis=0), 1e-3)).all()
    return metres


def _height(metres, frame):
    y = metres.positions[frame, :, 1]  # y-up
    return float(y.max() - y.min())


def test_asf_amc_clip(manifest):
    row = manifest["asf_amc/02/02_01.amc.gz"]
    m = read_motion(DATA / row["path"])  # finds 02.asf beside the file
    assert m.num_joints == 31 and m.joint_names[:3] == ["root", "lhipjoint", "lfemur"]
    assert m.joint_names[16] == "head" and m.joint_names[-1] == "rthumb"
    metres = _check_motion(m, int(row["frames"]), float(row["fps"]))
    assert 1.3 < _height(metres, 0) < 2.0


def test_bvh_cc_retarget_clip(manifest):
    row = manifest["bvh_cc_retarget/007/007_12.bvh.gz"]
    m = read_bvh(DATA / row["path"])
    assert m.units == "cm" and m.joint_names[0] == "CC_Base_Hip"
    metres = _check_motion(m, int(row["frames"]), float(row["fps"]))  # header frame time is right here
    assert row["first_frame_rest"] == "1"
    assert 1.3 < _height(metres, 0) < 2.0  # frame 0 is a T-pose
    # the root's channel values are added to its OFFSET: the feet then touch the floor (y ~ 0)
    assert abs(metres.positions[:, :, 1].min()) < 0.1


def test_bvh_daz_salsa_clip_with_true_fps(manifest):
    row = manifest["bvh_daz_aclstm/salsa/25.bvh.gz"]
    assert float(row["header_fps"]) == 120.0 and float(row["fps"]) == 60.0
    assert read_bvh(DATA / row["path"], end_sites=False).fps == 120.0  # what the header claims
    m = read_bvh(DATA / row["path"], fps=float(row["fps"]))
    metres = _check_motion(m, int(row["frames"]), 60.0)
    assert 1.3 < _height(metres, 0) < 2.0  # frame 0 is the T-pose
    assert m.drop_frames(1).num_frames == int(row["frames"]) - 1


def test_expmap_clip_matches_amc_root(manifest):
    row = manifest["expmap_li2018/train/walking/walking_1.txt.gz"]
    e = read_expmap(DATA / row["path"])
    assert e.num_joints == 38
    metres = _check_motion(e, int(row["frames"]) - 1, 120.0)  # the rest row is dropped
    assert 1.3 < _height(metres, 0) < 2.0
    # walking_1 is CMU 02_01: same root path (README: 1e-4 ASF units)
    amc = read_amc(DATA / "asf_amc/02/02_01.amc.gz", DATA / "asf_amc/02/02.asf")
    assert amc.num_frames == e.num_frames
    assert np.abs(e.root_translation - amc.root_translation).max() < 1e-3
    # and the same body: head top within a few cm
    head = np.abs(e.positions[:, e.joint_names.index("head_top")] - amc.positions[:, amc.joint_names.index("head")])
    assert head.max() < 0.03
