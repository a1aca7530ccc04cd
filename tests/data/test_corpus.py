"""Corpus pipeline: resampling, glitch removal, splits, retargeting, build and load."""

from pathlib import Path

import numpy as np
import pytest

from synsp.data import corpus as corpus_mod
from synsp.data.corpus import (
    BASE_FPS,
    clean_segments,
    corpus_table,
    embedded_corpus_path,
    load_corpus,
    resample_phases,
    split_of,
    subset_corpus,
)
from synsp.data.retarget import LANDMARKS, head_frame, to_skeleton
from synsp.data.sources import find_cmu_mocap
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

CMU = find_cmu_mocap(Path(__file__).resolve().parents[3] / "shared" / "data" / "cmu_mocap")
needs_cmu = pytest.mark.skipif(CMU is None, reason="../shared/data/cmu_mocap is not beside the project")


def test_integer_ratio_resampling_is_exact_decimation_in_every_phase():
    x = np.arange(120.0)[:, None]
    phases = resample_phases(x, fps=120.0)
    assert len(phases) == 4
    for p, clip in enumerate(phases):
        np.testing.assert_array_equal(clip[:, 0], np.arange(p, 120, 4))


def test_non_integer_ratio_resampling_keeps_linear_motion_linear():
    t = np.arange(300) / 100.0  # 3 s at 100 fps
    x = (2.0 * t + 1.0)[:, None]
    phases = resample_phases(x, fps=100.0)
    assert len(phases) == 3
    for clip in phases:
        np.testing.assert_allclose(np.diff(clip[:, 0]), 2.0 / BASE_FPS, atol=1e-12)


def test_glitch_frames_are_cut_and_clip_split():
    fps = 30.0
    x = np.zeros((300, 3, 3))
    x[:, :, 0] = np.linspace(0, 3, 300)[:, None]  # 0.3 m/s walk
    x[150, 1] += 5.0  # one frame spike: 150 m/s
    segments = clean_segments(x, fps)
    assert len(segments) == 2
    assert segments[0][1] <= 150 and segments[1][0] > 150
    assert all(stop - start >= corpus_mod.MIN_SEGMENT_S * fps for start, stop in segments)


def test_acceleration_spike_below_the_speed_limit_is_a_glitch():
    fps = 120.0
    x = np.zeros((1200, 2, 3))
    x[600:604, 0, 1] = 0.15  # a 15 cm, 33 ms blip: 18 m/s but 270 m/s^2 at 30 fps
    segments = clean_segments(x, fps)
    assert len(segments) == 2 and segments[0][1] <= 600 and segments[1][0] >= 604


def test_split_rule_is_fixed_and_roughly_70_15_15():
    takes = [f"cmu:{s:02d}_{t:02d}" for s in range(1, 60) for t in range(1, 20)]
    splits = [split_of(t) for t in takes]
    assert splits == [split_of(t) for t in takes]
    share = {s: splits.count(s) / len(splits) for s in ("train", "val", "test")}
    assert 0.12 < share["test"] < 0.18 and 0.12 < share["val"] < 0.18


def _standing_landmarks(T=20, turn=None):
    """A person facing +z (left = +x), optionally with a head rotation turning about y."""
    lm = {
        "left_hip": (0.1, 0.9, 0), "right_hip": (-0.1, 0.9, 0), "left_knee": (0.1, 0.5, 0),
        "right_knee": (-0.1, 0.5, 0), "left_ankle": (0.1, 0.1, 0), "right_ankle": (-0.1, 0.1, 0),
        "left_toe": (0.1, 0.0, 0.15), "right_toe": (-0.1, 0.0, 0.15), "neck_base": (0, 1.45, 0),
        "skull_base": (0, 1.55, 0), "head_top": (0, 1.75, 0), "left_shoulder": (0.18, 1.4, 0),
        "right_shoulder": (-0.18, 1.4, 0), "left_elbow": (0.2, 1.1, 0), "right_elbow": (-0.2, 1.1, 0),
        "left_wrist": (0.2, 0.85, 0), "right_wrist": (-0.2, 0.85, 0), "left_hand": (0.2, 0.8, 0),
        "right_hand": (-0.2, 0.8, 0),
    }
    return np.repeat(np.array([lm[n] for n in LANDMARKS], dtype=float)[None], T, axis=0)


@pytest.mark.parametrize("name", ["h36m17", "j14", "coco17"])
def test_retargeted_skeleton_keeps_left_on_the_left(name):
    x = to_skeleton(_standing_landmarks(), name)
    sk = get_skeleton(name)
    for left, right in sk.left_right:
        assert (x[:, left, 0] > 0).all() and (x[:, right, 0] < 0).all()


def test_face_points_are_in_front_and_follow_a_head_turn():
    lm = _standing_landmarks(T=2)
    coco = get_skeleton("coco17")
    x = to_skeleton(lm, "coco17")
    nose = x[:, coco.index("nose")]
    assert (nose[:, 2] > 0.05).all(), "nose is in front (+z) of the head"
    # head rotation: frame 0 straight, frame 1 turned 90 degrees to the left (about +y)
    c, s = np.cos(np.pi / 2), np.sin(np.pi / 2)
    turn = np.stack([np.eye(3), np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])])
    frames = head_frame(lm, turn)
    np.testing.assert_allclose(np.linalg.det(frames), 1.0, atol=1e-9)
    x = to_skeleton(lm, "coco17", turn)
    before, after = x[0, coco.index("nose")], x[1, coco.index("nose")]
    # the fitted offset splits the difference between the two frames: the nose turns by 90 degrees
    d0, d1 = before[[0, 2]] - [0, 0], after[[0, 2]] - [0, 0]
    cos = d0 @ d1 / np.linalg.norm(d0) / np.linalg.norm(d1)
    assert cos == pytest.approx(0.0, abs=1e-6)
    assert x[1, coco.index("left_shoulder")] == pytest.approx(x[0, coco.index("left_shoulder")])


def test_embedded_corpus_loads_every_skeleton_and_split():
    path = embedded_corpus_path()
    assert path.is_file() and path.stat().st_size < 8e6
    for name in ("h36m17", "coco17", "j14"):
        clips = load_corpus(path, skeleton=name)
        assert clips and all(c.positions.shape[1:] == (get_skeleton(name).num_joints, 3) for c in clips)
        assert all(np.isfinite(c.positions).all() and c.fps == BASE_FPS for c in clips)
    clips = load_corpus(path)
    takes_by_split = {}
    for c in clips:
        takes_by_split.setdefault(c.take, set()).add(c.split)
    assert all(len(s) == 1 for s in takes_by_split.values()), "a take never spans two splits"
    assert {c.split for c in clips} == {"test"}


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(SynspInputError, match="no corpus"):
        load_corpus(tmp_path / "missing.npz")
    with pytest.raises(SynspInputError, match="unknown split"):
        load_corpus(split="holdout")
    with pytest.raises(SynspInputError, match="none gives"):
        load_corpus(skeleton="cmu31")


@needs_cmu
def test_build_small_corpus_from_real_files(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNSP_CACHE", str(tmp_path / "cache"))
    out = corpus_mod.build_corpus(
        tmp_path / "c.npz", cmu_root=CMU, external=False, progress=False,
        only=["asf_amc/02/02_01", "expmap_li2018/train/walking/walking_1", "bvh_daz_aclstm/salsa/01",
              "bvh_daz_aclstm/salsa/16"],
    )
    clips = load_corpus(out)
    ids = {c.clip_id.split("#")[0] for c in clips}
    # expmap walking_1 duplicates asf_amc 02_01: only the original ASF/AMC copy is kept
    assert "cmu_mocap/expmap_li2018/train/walking/walking_1" not in ids
    assert "cmu_mocap/asf_amc/02/02_01" in ids
    # the two salsa partners of one take share the take id
    salsa = {c.take for c in clips if "salsa" in c.clip_id}
    assert len(salsa) == 1
    # 120 fps ASF/AMC -> four 30 fps phases of the same take
    assert sorted({c.phase for c in clips if "02_01" in c.clip_id}) == [0, 1, 2, 3]
    for c in clips:
        height = c.positions[:, 10, 1].max() - c.positions[:, [3, 6], 1].min()
        assert 1.2 < height < 2.1, c.clip_id
        speed = np.linalg.norm(np.diff(c.positions, axis=0), axis=-1).max() * c.fps
        assert speed < corpus_mod.GLITCH_SPEED
    table = corpus_table(clips)
    assert sum(r["takes"] for r in table) == 2
    sub = subset_corpus(out, tmp_path / "s.npz", splits=("train", "val", "test"))
    assert all(c.phase == 0 for c in load_corpus(sub))


def test_recorded_split_file_matches_the_rule():
    import json

    recorded = json.loads((Path(corpus_mod.__file__).parent / "splits.json").read_text())
    for split in ("train", "val", "test"):
        assert recorded[split], split
        assert all(split_of(take) == split for take in recorded[split])


def _t_pose_landmarks():
    lm = _standing_landmarks(T=1)[0]
    idx = {n: i for i, n in enumerate(LANDMARKS)}
    for side, sign in (("left", 1.0), ("right", -1.0)):  # clavicles and arms out along x
        y = lm[idx["neck_base"], 1]
        lm[idx[f"{side}_shoulder"], 1] = y
        for k, part in enumerate(("elbow", "wrist", "hand")):
            lm[idx[f"{side}_{part}"]] = (sign * (0.18 + 0.28 * (k + 1)), y, 0.0)
        lm[idx[f"{side}_toe"]] = lm[idx[f"{side}_ankle"]] + (0.0, -0.05, 0.1)
    return lm


def test_smpl_rotations_of_the_rest_pose_are_identity():
    from synsp.data.retarget import smpl24_rotations

    aa = smpl24_rotations(np.repeat(np.eye(3)[None, None], 24, axis=1), _t_pose_landmarks())
    np.testing.assert_allclose(aa, 0.0, atol=1e-9)


def test_smpl_rotations_reproduce_the_rig_segment_directions():
    from scipy.spatial.transform import Rotation

    from synsp.data.retarget import _SMPL_SEGMENTS, smpl24_rotations
    from synsp.geometry import axis_angle_to_matrix

    rest = _t_pose_landmarks()
    rest[LANDMARKS.index("left_knee")] += (0.05, 0.0, 0.02)  # a rig rest pose that is not SMPL's
    rng = np.random.default_rng(0)
    g = Rotation.random(5 * 24, random_state=1).as_matrix().reshape(5, 24, 3, 3)
    local = axis_angle_to_matrix(smpl24_rotations(g, rest))
    sk = get_skeleton("smpl24")
    glob = np.empty_like(local)
    for j, p in enumerate(sk.parents):  # SMPL forward kinematics of the rotations
        glob[:, j] = local[:, j] if p < 0 else glob[:, p] @ local[:, j]
    point = {n: rest[i] for i, n in enumerate(LANDMARKS)}
    j = sk.index("left_hip")
    start, end, smpl_dir = _SMPL_SEGMENTS["hip"]
    rig_dir = point["left_knee"] - point["left_hip"]
    want = g[:, j] @ (rig_dir / np.linalg.norm(rig_dir))
    got = glob[:, j] @ np.array(smpl_dir)
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert rng is not None


def test_embedded_corpus_has_rotations_for_rotation_sources():
    clips = load_corpus(rotations=True)
    assert clips and all(c.rotations.shape == (c.num_frames, 24, 3) for c in clips)
    assert all(np.isfinite(c.rotations).all() for c in clips)
    assert all(c.source == "cmu_mocap" for c in clips)
