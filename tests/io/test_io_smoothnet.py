"""SmoothNet-format files written in tmp_path with per-sequence object arrays."""

from __future__ import annotations

import numpy as np
import pytest
from pose_file_checks import imgnames, write_smoothnet_files

from synsp.io import (
    H36M_TO_J14,
    SMOOTHNET_DATASETS,
    convert_smoothnet,
    group_views,
    load_smoothnet,
    smoothnet_paths,
    smoothnet_spec,
)
from synsp.validation import SynspInputError


H36M_LENGTHS = {"S9/Directions": [10, 12, 11, 10], "S9/Walking": [7, 7, 8, 9]}


@pytest.fixture
def h36m(tmp_path):
    rng = np.random.default_rng(1)
    names, gts, dets = [], [], []
    for action, lengths in H36M_LENGTHS.items():
        for cam, T in enumerate(lengths, 1):
            names.append(imgnames(f"{action}/camera{cam}", T))
            g = rng.normal(size=(T, 17 * 3)).astype(np.float32)
            gts.append(g)
            dets.append(g + 0.01)
    write_smoothnet_files(tmp_path, "h36m", "fcn", "3D", "test", {"imgname": names, "joints_3d": gts},
           {"imgname": names, "joints_3d": dets})
    return tmp_path


ANCHOR_TABLE = {  # anchors.md section 4: dataset -> {repr: estimators}
    "h36m": {"3D": "fcn rle tcmr vibe videoposet27 videoposet81 videoposet243", "2D": "cpn hourglass hrnet rle"},
    "pw3d": {"3D": "eft pare spin tcmr vibe", "smpl": "eft pare spin tcmr vibe"},
    "aist": {"3D": "spin tcmr vibe", "smpl": "spin tcmr vibe"},
    "mpiinf3dhp": {"3D": "spin tcmr vibe"},
    "mupots": {"3D": "tposenet tposenetrefinenet"},
    "jhmdb": {"2D": "simplepose"},
}


def test_table_covers_anchor_combinations():
    expected = {(ds, e, r) for ds, reps in ANCHOR_TABLE.items() for r, ests in reps.items() for e in ests.split()}
    assert set(SMOOTHNET_DATASETS) == expected | {("h36m", "ppt", "3D")}  # + SynSP's h36m_ppt_3D
    for spec in SMOOTHNET_DATASETS.values():
        assert spec.layout in {"h36m17", "j14", "mpi17", "jhmdb15", "smpl"}
        assert spec.dims == (2 if spec.representation == "2D" else 3)
    assert smoothnet_spec("pw3d", "spin", "3D").stored_as_h36m17
    assert not smoothnet_spec("pw3d", "vibe", "3D").stored_as_h36m17
    assert smoothnet_spec("h36m", "fcn", "3d").root_joints == (0,)
    assert smoothnet_spec("aist", "spin", "3D").layout == "j14"
    assert smoothnet_spec("aist", "spin", "3D").root_joints == (2, 3)
    assert smoothnet_spec("mupots", "tposenet", "3D").root_joints == (14,)
    assert smoothnet_spec("jhmdb", "simplepose", "2D").num_joints == 15
    assert smoothnet_spec("mh36m", "fcn", "3D").dataset == "h36m"


def test_object_arrays_need_trust(h36m):
    with pytest.raises(SynspInputError, match=r"h36m_gt_3D_test\.npz: key '\w+' is an object array.*pickle.*"
                                              r"arbitrary code.*trust_pickle=True.*convert_smoothnet"):
        load_smoothnet(h36m, "h36m", "fcn", "3D", "test")


def test_trusted_load_shapes(h36m):
    seqs = load_smoothnet(h36m, "h36m", "fcn", "3D", "test", trust_pickle=True)
    assert len(seqs) == 8
    assert [s.num_frames for s in seqs] == H36M_LENGTHS["S9/Directions"] + H36M_LENGTHS["S9/Walking"]
    s = seqs[1]
    assert s.gt.shape == (12, 17, 3) and s.detected.shape == (12, 17, 3) and s.gt.dtype == np.float64
    assert s.name == "S9/Directions/camera2"
    assert s.imgname[0] == "S9/Directions/camera2/img_000001.jpg"
    np.testing.assert_allclose(s.detected - s.gt, 0.01, atol=1e-5)


def test_converter_round_trip(h36m):
    trusted = load_smoothnet(h36m, "h36m", "fcn", "3D", "test", trust_pickle=True)
    g, d = smoothnet_paths(h36m, "h36m", "fcn", "3D", "test")
    out_g = convert_smoothnet(g)
    out_d = convert_smoothnet(d)
    assert out_g.name == "h36m_gt_3D_test.safe.npz" and out_g.parent == g.parent
    with np.load(out_d, allow_pickle=False) as z:  # genuinely pickle-free
        assert z["joints_3d__offsets"].dtype == np.int64
        assert z["imgname"].dtype.kind == "U"
    safe = load_smoothnet(h36m, "h36m", "fcn", "3D", "test")  # no flag needed any more
    assert len(safe) == len(trusted)
    for a, b in zip(safe, trusted):
        assert a.name == b.name
        np.testing.assert_array_equal(a.gt, b.gt)
        np.testing.assert_array_equal(a.detected, b.detected)
        np.testing.assert_array_equal(a.imgname, b.imgname)
    with pytest.raises(SynspInputError, match="trust_pickle=True"):
        convert_smoothnet(g, h36m / "x.npz", trust_pickle=False)


def test_group_views(h36m):
    seqs = load_smoothnet(h36m, "mh36m", "fcn", "3D", "test", trust_pickle=True)
    groups = group_views(seqs)
    assert [gr.key for gr in groups] == ["S9/Directions/", "S9/Walking/"]
    assert groups[0].gt.shape == (10, 4, 17, 3) and groups[1].detected.shape == (7, 4, 17, 3)
    assert groups[1].members == [4, 5, 6, 7]
    np.testing.assert_array_equal(groups[0].gt[:, 2], seqs[2].gt[:10])  # camera3, file order
    np.testing.assert_array_equal(groups[1].detected[:, 3], seqs[7].detected[:7])


def test_3dpw_spin_remap_to_j14(tmp_path):
    T = 5
    # joint j of the H36M-17 array holds the value j (plus a per-frame offset)
    h36 = np.tile(np.repeat(np.arange(17.0), 3), (T, 1)) + np.arange(T)[:, None] * 100
    names = [imgnames("downtown_walking_00", T), imgnames("office_phoneCall_00", T)]
    write_smoothnet_files(tmp_path, "pw3d", "spin", "3D", "test", {"imgname": names, "joints_3d": [h36, h36]},
           {"imgname": names, "joints_3d": [h36 + 0.5, h36 + 0.5]})
    seqs = load_smoothnet(tmp_path, "pw3d", "spin", "3D", "test", trust_pickle=True)
    gt = seqs[0].gt
    assert gt.shape == (T, 14, 3)
    np.testing.assert_array_equal(gt[0, :, 0], np.asarray(H36M_TO_J14, float))
    assert gt[0, 13, 0] == 10  # LSP head top <- H36M head (10)
    assert gt[0, 12, 0] == 8  # LSP neck <- H36M thorax (8)
    assert gt[0, 2, 0] == 4 and gt[0, 3, 0] == 1  # hips used as the root [2, 3]
    assert gt[3, 13, 0] == 310
    np.testing.assert_array_equal(seqs[1].detected, gt + 0.5)
    assert seqs[0].name == "downtown_walking_00"


def test_2d_jhmdb_and_smpl(tmp_path):
    T = [6, 4]
    names = [imgnames(f"clip{i}", t) for i, t in enumerate(T)]
    kp = [np.full((t, 30), 7.0) for t in T]
    write_smoothnet_files(tmp_path, "jhmdb", "simplepose", "2D", "train",
           {"imgname": names, "joints_2d": kp, "imgshape": [np.array([240, 320])] * 2},
           {"imgname": names, "joints_2d": kp, "bbox": [np.zeros((t, 4)) for t in T]})
    s = load_smoothnet(tmp_path, "jhmdb", "simplepose", "2D", "train", trust_pickle=True)
    assert s[0].gt.shape == (6, 15, 2) and s[1].detected.shape == (4, 15, 2)
    assert s[1].gt_extra["imgshape"].tolist() == [240, 320]
    assert s[0].detected_extra["bbox"].shape == (6, 4)

    pose = [np.zeros((t, 72)) for t in T]
    write_smoothnet_files(tmp_path, "aist", "spin", "smpl", "test",
           {"imgname": names, "pose": pose, "trans": [np.ones((t, 3)) for t in T], "scaling": [1.5, 2.0]},
           {"imgname": names, "pose": pose, "shape": [np.zeros((t, 10)) for t in T]})
    trusted = load_smoothnet(tmp_path, "aist", "spin", "smpl", "test", trust_pickle=True)
    assert set(trusted[0].gt) == {"pose", "trans", "scaling"} and set(trusted[0].detected) == {"pose", "shape"}
    assert trusted[1].gt["pose"].shape == (4, 72) and float(trusted[1].gt["scaling"]) == 2.0
    for f in smoothnet_paths(tmp_path, "aist", "spin", "smpl", "test"):
        convert_smoothnet(f)
    safe = load_smoothnet(tmp_path, "aist", "spin", "smpl", "test")
    for a, b in zip(safe, trusted):
        for k in b.gt:
            np.testing.assert_array_equal(a.gt[k], b.gt[k])
        for k in b.detected:
            np.testing.assert_array_equal(a.detected[k], b.detected[k])


def test_mismatched_lengths_and_counts(tmp_path):
    names = [imgnames("a", 5), imgnames("b", 6)]
    gt = [np.zeros((5, 42)), np.zeros((6, 42))]
    write_smoothnet_files(tmp_path, "aist", "vibe", "3D", "test", {"imgname": names, "joints_3d": gt},
           {"imgname": names, "joints_3d": [np.zeros((5, 42)), np.zeros((4, 42))]})
    with pytest.raises(SynspInputError, match=r"sequence 1 \(b\): ground truth has 6 frames .* detection has 4"):
        load_smoothnet(tmp_path, "aist", "vibe", "3D", "test", trust_pickle=True)
    write_smoothnet_files(tmp_path, "aist", "vibe", "3D", "test", {"imgname": names, "joints_3d": gt},
           {"imgname": names[:1], "joints_3d": gt[:1]})
    with pytest.raises(SynspInputError, match=r"has 2 sequences but .* has 1"):
        load_smoothnet(tmp_path, "aist", "vibe", "3D", "test", trust_pickle=True)


def test_missing_key_and_missing_files(tmp_path):
    names = [imgnames("a", 5)]
    g, _ = write_smoothnet_files(tmp_path, "pw3d", "vibe", "3D", "test", {"imgname": names, "kp3d": [np.zeros((5, 42))]},
                  {"imgname": names, "joints_3d": [np.zeros((5, 42))]})
    with pytest.raises(SynspInputError, match=rf"{g.name}: missing key 'joints_3d'.*\['imgname', 'kp3d'\]"):
        load_smoothnet(tmp_path, "pw3d", "vibe", "3D", "test", trust_pickle=True)
    with pytest.raises(SynspInputError, match=r"pw3d_gt_3D_train\.npz: file not found"):
        load_smoothnet(tmp_path, "pw3d", "vibe", "3D", "train", trust_pickle=True)
    with pytest.raises(SynspInputError, match="folder not found; known combinations"):
        load_smoothnet(tmp_path, "h36m", "vibe", "3D", "test")
