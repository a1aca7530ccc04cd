"""BVH and SmoothNet-format files through the pose-file contract (read, refine, write) and `synsp refine`."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pose_file_checks import imgnames, write_smoothnet_files
from scipy.spatial.transform import Rotation

from synsp.api import refine_pose_file
from synsp.cli import main
from synsp.io import (
    Motion,
    convert_smoothnet,
    load_smoothnet,
    read_trc,
    smoothnet_paths,
    write_bvh,
)
from synsp.io.tracks import pose_file_format, read_pose_file, write_pose_file
from synsp.skeletons import SKELETONS
from synsp.validation import SynspInputError

T = 60
NAMES = ["hips", "spine", "head", "leg"]


@pytest.fixture
def bvh(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(T) / 30.0
    angles = np.stack([np.sin(2 * np.pi * f * t) * 20 for f in (0.5, 0.7, 0.9)], axis=-1)  # (T, 3) degrees
    rots = np.empty((T, 4, 3, 3))
    for j in range(4):
        jitter = rng.normal(scale=2.0, size=(T, 3))
        rots[:, j] = Rotation.from_euler("ZYX", angles + jitter, degrees=True).as_matrix()
    root = np.stack([t * 10, np.full(T, 90.0), np.zeros(T)], axis=-1) + rng.normal(scale=0.5, size=(T, 3))
    offsets = np.array([[0, 90, 0], [0, 10, 0], [0, 20, 0], [10, 0, 0]], float)
    m = Motion(NAMES, [-1, 0, 1, 0], offsets, rots, root, fps=30, units="cm")
    p = tmp_path / "clip.bvh"
    write_bvh(m, p)
    return p


def test_bvh_read_refinewrite_smoothnet_files(bvh, tmp_path):
    assert pose_file_format(bvh) == "bvh"
    pf = read_pose_file(bvh, format="bvh")
    assert pf.format == "bvh" and pf.units == "cm" and pf.fps == 30 and pf.num_frames == T
    assert pf.meta["joint_names"] == NAMES  # no End Sites in this file
    # a skeleton of the file's own joints (its hierarchy), never one borrowed by the joint count
    own = SKELETONS[pf.skeleton]
    assert pf.skeleton.startswith("custom4-") and list(own.joints) == NAMES
    assert list(own.parents) == list(pf.meta["parents"])
    assert [t.track_id for t in pf.tracks] == [0] and pf.tracks[0].keypoints.shape == (T, 4, 3)
    refined, summary = refine_pose_file(pf, model="butterworth")
    assert summary["accel_after"] < summary["accel_before"]

    out_npz = write_pose_file(tmp_path / "out.npz", refined)
    with np.load(out_npz) as z:
        assert z["keypoints"].shape == (T, 1, 4, 3) and float(z["fps"]) == 30
        np.testing.assert_allclose(z["keypoints"][:, 0], refined.tracks[0].keypoints)

    out_trc = write_pose_file(tmp_path / "out.trc", refined)
    m = read_trc(out_trc)
    assert m.marker_names == NAMES and m.units == "cm" and m.fps == 30 and m.positions.shape == (T, 4, 3)
    assert m.frame_numbers.tolist() == list(range(1, T + 1))
    np.testing.assert_allclose(m.positions, refined.tracks[0].keypoints, atol=1e-5)

    with pytest.raises(SynspInputError, match=r"BVH rotations is not supported.*\.bvh into a \.bvh.*\.npz.*\.trc"):
        write_pose_file(tmp_path / "out.bvh", refined)
    assert not (tmp_path / "out.bvh").exists()


def test_trc_of_unnamed_joints_and_trc_files_unchanged(bvh, tmp_path):
    pf = read_pose_file(bvh)
    pf.meta.pop("joint_names")
    m = read_trc(write_pose_file(tmp_path / "a.trc", pf))
    assert m.marker_names == ["J1", "J2", "J3", "J4"]
    # a TRC-read file keeps its own writer (header and frame numbers kept)
    again = read_pose_file(tmp_path / "a.trc")
    np.testing.assert_allclose(read_trc(write_pose_file(tmp_path / "b.trc", again)).positions, m.positions)


def test_cli_refine_bvh(bvh, tmp_path):
    out = tmp_path / "r.npz"
    assert main(["refine", str(bvh), "-o", str(out), "--model", "butterworth"]) == 0
    assert out.is_file()
    assert main(["refine", str(bvh), "-o", str(tmp_path / "r.trc"), "--model", "butterworth"]) == 0
    assert read_trc(tmp_path / "r.trc").marker_names == NAMES
    # into a BVH: its joint rotations refined (here by the filter on quaternions), the same hierarchy
    assert main(["refine", str(bvh), "-o", str(tmp_path / "r.bvh"), "--model", "butterworth"]) == 0
    assert read_pose_file(tmp_path / "r.bvh").meta["joint_names"] == NAMES


# ---- SmoothNet --------------------------------------------------------------------------------

LENGTHS = {"S9/Directions/camera1": 40, "S9/Directions/camera2": 35, "S9/Walking/camera1": 50}


@pytest.fixture
def h36m(tmp_path):
    rng = np.random.default_rng(2)
    names, gts, dets = [], [], []
    for prefix, n in LENGTHS.items():
        names.append(imgnames(prefix, n))
        g = np.cumsum(rng.normal(scale=0.01, size=(n, 17 * 3)), axis=0).astype(np.float32)
        gts.append(g)
        dets.append(g + rng.normal(scale=0.02, size=g.shape).astype(np.float32))
    write_smoothnet_files(tmp_path, "h36m", "fcn", "3D", "test", {"imgname": names, "joints_3d": gts},
           {"imgname": names, "joints_3d": dets, "camera": [np.ones((n, 3)) for n in LENGTHS.values()]})
    return smoothnet_paths(tmp_path, "h36m", "fcn", "3D", "test")


def _check_round_trip(root, det_path, out, trust):
    """Read ``det_path``, refine with a filter, write ``out``; the original sequences from ``root``."""
    pf = read_pose_file(det_path, format="smoothnet", trust_pickle=trust)
    assert pf.format == "smoothnet" and pf.skeleton == "h36m17" and pf.fps == 50 and pf.units == "m"
    assert [t.track_id for t in pf.tracks] == list(LENGTHS)
    assert pf.num_frames == max(LENGTHS.values())
    assert [len(t.frames) for t in pf.tracks] == list(LENGTHS.values())
    assert all(t.frames[0] == 0 for t in pf.tracks)
    refined, _ = refine_pose_file(pf, model="butterworth")
    written = write_pose_file(out, refined)
    assert written == out
    with np.load(out, allow_pickle=False) as z:  # pickle-free whatever the name
        assert "__synsp_format__" in z.files and z["joints_3d"].dtype == np.float32
    return refined


def _compare(before, after, refined):
    for a, b, t in zip(before, after, refined.tracks):
        assert a.name == b.name == t.track_id
        assert not np.allclose(a.detected, b.detected)
        np.testing.assert_allclose(b.detected, t.keypoints, atol=1e-6)
        np.testing.assert_array_equal(a.gt, b.gt)
        np.testing.assert_array_equal(a.imgname, b.imgname)
        np.testing.assert_array_equal(a.detected_extra["camera"], b.detected_extra["camera"])


def test_smoothnet_pickled_round_trip(h36m):
    g, d = h36m
    root = g.parent.parent.parent
    assert pose_file_format(d) == "smoothnet" and pose_file_format(g) == "smoothnet"
    with pytest.raises(SynspInputError, match=r"object array.*trust_pickle=True.*--trust-pickle.*convert_smoothnet"):
        read_pose_file(d)
    assert read_pose_file(d, trust_pickle=True).meta["independent_tracks"]  # sequences: no identity repair
    before = load_smoothnet(root, "h36m", "fcn", "3D", "test", trust_pickle=True)
    safe_out = d.with_name(d.name[:-4] + ".safe.npz")  # where load_smoothnet looks first
    refined = _check_round_trip(root, d, safe_out, trust=True)
    after = load_smoothnet(root, "h36m", "fcn", "3D", "test", trust_pickle=True)  # gt pickled, det safe
    _compare(before, after, refined)


def test_smoothnet_safe_input_and_plain_output_name(h36m, tmp_path):
    g, d = h36m
    root = g.parent.parent.parent
    before = load_smoothnet(root, "h36m", "fcn", "3D", "test", trust_pickle=True)
    convert_smoothnet(g)
    safe_d = convert_smoothnet(d)
    out = tmp_path / "refined.npz"  # not .safe.npz: still pickle-free
    refined = _check_round_trip(root, safe_d, out, trust=False)
    assert pose_file_format(out) == "smoothnet"
    back = read_pose_file(out)  # no trust needed; spec found from the recorded source name
    assert back.skeleton == "h36m17" and back.fps == 50
    with pytest.raises(SynspInputError, match=r"written as a \(pickle-free\) \.npz"):
        write_pose_file(tmp_path / "refined.csv", refined)
    assert not (tmp_path / "refined.csv").exists()
    d.unlink()
    safe_d.unlink()
    out.replace(d)  # as the detected file of the folder
    _compare(before, load_smoothnet(root, "h36m", "fcn", "3D", "test"), refined)


def test_smoothnet_smpl_is_a_clear_error(tmp_path):
    names = [imgnames("clip", 5)]
    _, d = write_smoothnet_files(tmp_path, "aist", "spin", "smpl", "test", {"imgname": names, "pose": [np.zeros((5, 72))]},
                  {"imgname": names, "pose": [np.zeros((5, 72))]})
    assert pose_file_format(d) == "smoothnet"
    with pytest.raises(SynspInputError, match="SMPL rotations.*'smpl'"):
        read_pose_file(d, trust_pickle=True)


def test_smoothnet_sniff_rejects_other_npz(tmp_path):
    from synsp.io import smoothnet

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "plain.npz", keypoints=rng.normal(size=(10, 17, 3)))
    np.savez(tmp_path / "named.npz", joints_3d=rng.normal(size=(10, 17, 3)), imgname=np.array(["a"] * 10))
    np.savez(tmp_path / "mp.npz", landmarks=rng.normal(size=(10, 33, 4)))
    np.savez(tmp_path / "smpl.npz", poses=rng.normal(size=(10, 72)), betas=np.zeros(10), trans=np.zeros((10, 3)))
    np.savez(tmp_path / "spin.npz", imgname=np.array(["a.jpg"] * 10), pose=np.zeros((10, 72)), shape=np.zeros((10, 10)))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    np.save(tmp_path / "a.npy", np.zeros((3, 2, 2)))
    for name in ("plain.npz", "named.npz", "mp.npz", "smpl.npz", "spin.npz", "bad.npz", "a.npy", "missing.npz"):
        assert not smoothnet.sniff(tmp_path / name), name
    assert pose_file_format(tmp_path / "mp.npz") == "mediapipe"
    assert pose_file_format(tmp_path / "smpl.npz") == "smpl"
    assert pose_file_format(tmp_path / "plain.npz") == "array"


def test_cli_refine_smoothnet(h36m, tmp_path):
    _, d = h36m
    out = tmp_path / "o.npz"
    assert main(["refine", str(d), "-o", str(out), "--model", "butterworth"]) == 2
    assert not out.exists()
    assert main(["refine", str(d), "-o", str(out), "--model", "butterworth", "--trust-pickle"]) == 0
    with np.load(out, allow_pickle=False) as z:
        assert z["joints_3d"].shape == (sum(LENGTHS.values()), 51)


def _motion_rows(path) -> np.ndarray:
    """The numbers of a BVH file's MOTION section, one row per frame."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Frame Time")) + 1
    return np.array([[float(v) for v in line.split()] for line in lines[start:] if line.strip()])


def _angle_steps(m: Motion) -> float:
    """Mean rotation from frame to frame of every joint's local rotation, second difference (degrees)."""
    r = Rotation.from_matrix(m.local_rotations.reshape(-1, 3, 3)).as_rotvec().reshape(m.num_frames, -1, 3)
    return float(np.degrees(np.linalg.norm(np.diff(r, 2, axis=0), axis=-1)).mean())


def test_a_bvh_read_as_rotations_writes_itself_back(bvh, tmp_path):
    from synsp.io.bvh import read, read_bvh

    pf = read(bvh, rotations=True)
    assert pf.units == "axis-angle" and pf.num_joints == 4 and pf.meta["rotating"] == [0, 1, 2, 3]
    np.testing.assert_allclose(pf.meta["translation"][0], read_bvh(bvh).root_translation)
    out = write_pose_file(tmp_path / "same.bvh", pf)
    a, b = read_bvh(bvh), read_bvh(out)
    assert a.joint_names == b.joint_names and a.channels == b.channels and b.num_frames == T
    np.testing.assert_allclose(b.local_rotations, a.local_rotations, atol=1e-6)
    np.testing.assert_allclose(b.root_translation, a.root_translation, atol=1e-6)
    with pytest.raises(SynspInputError, match="joint rotations are not marker positions|cannot write bvh"):
        write_pose_file(tmp_path / "rotations.trc", pf)  # axis-angles are no marker positions
    assert not (tmp_path / "rotations.trc").exists()


def test_refine_bvh_into_bvh_refines_the_rotations_and_the_root_path(bvh, tmp_path, capsys):
    from synsp.io.bvh import read_bvh

    out = tmp_path / "clean.bvh"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing for a user to wonder about (a reader's read-only arrays included)
        assert main(["refine", str(bvh), "-o", str(out)]) == 0
    assert "degrees" in capsys.readouterr().out
    a, b = read_bvh(bvh), read_bvh(out)
    assert a.joint_names == b.joint_names and a.channels == b.channels and b.num_frames == a.num_frames
    assert np.isfinite(b.local_rotations).all() and np.isfinite(b.root_translation).all()
    assert _angle_steps(b) < 0.5 * _angle_steps(a)  # 2 degrees of jitter on every angle, mostly gone
    root_jitter = lambda m: np.abs(np.diff(m.root_translation, 2, axis=0)).mean()  # noqa: E731
    assert root_jitter(b) < 0.5 * root_jitter(a)
    # the Euler angles stay continuous (no 360-degree jumps) and near the input's
    ea, eb = _motion_rows(bvh), _motion_rows(out)
    assert ea.shape == eb.shape and np.abs(np.diff(eb, axis=0)).max() < 30 and np.abs(eb - ea).mean() < 3


def test_clean_bvh_rotations_come_back_nearly_unchanged(tmp_path):
    from synsp.io.bvh import read_bvh

    t = np.arange(90) / 30.0
    angles = np.stack([np.sin(2 * np.pi * f * t) * 25 for f in (0.4, 0.6, 0.8)], axis=-1)
    rots = np.repeat(Rotation.from_euler("ZYX", angles, degrees=True).as_matrix()[:, None], 4, axis=1)
    root = np.stack([t * 10, np.full(90, 90.0), np.zeros(90)], axis=-1)
    offsets = np.array([[0, 90, 0], [0, 10, 0], [0, 20, 0], [10, 0, 0]], float)
    write_bvh(Motion(NAMES, [-1, 0, 1, 0], offsets, rots, root, fps=30, units="cm"), tmp_path / "smooth.bvh")
    assert main(["refine", str(tmp_path / "smooth.bvh"), "-o", str(tmp_path / "out.bvh")]) == 0
    a, b = read_bvh(tmp_path / "smooth.bvh"), read_bvh(tmp_path / "out.bvh")
    rel = Rotation.from_matrix(a.local_rotations.reshape(-1, 3, 3)).inv() * \
        Rotation.from_matrix(b.local_rotations.reshape(-1, 3, 3))
    assert np.degrees(np.linalg.norm(rel.as_rotvec(), axis=-1)).mean() < 0.5
    assert np.linalg.norm(a.positions - b.positions, axis=-1).mean() < 0.3  # cm


def test_smoothnet_sequences_of_text_or_none_are_refused_clearly(tmp_path):
    seqs, names = np.empty(2, dtype=object), np.empty(2, dtype=object)  # a pickled (object) SmoothNet file
    seqs[0], seqs[1] = np.zeros((20, 51)), np.array("abc")
    names[0] = names[1] = None
    p = tmp_path / "h36m_fcn_3D_test.npz"
    np.savez(p, imgname=names, joints_3d=seqs)
    with pytest.raises(SynspInputError, match=r"'joints_3d', sequence 1: holds <U3 values; expected numbers"):
        read_pose_file(p, trust_pickle=True)
    seqs[1] = None
    np.savez(p, imgname=names, joints_3d=seqs)
    with pytest.raises(SynspInputError, match=r"sequence 1: holds object values"):
        read_pose_file(p, trust_pickle=True)


_MIXED = """HIERARCHY
ROOT hips
{
\tOFFSET 0 90 0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\tJOINT spine
\t{
\t\tOFFSET 0 10 0
\t\tCHANNELS 3 Xrotation Yrotation Zrotation
\t\tEnd Site
\t\t{
\t\t\tOFFSET 0 20 0
\t\t}
\t}
\tJOINT hinge
\t{
\t\tOFFSET 10 0 0
\t\tCHANNELS 4 Xposition Yposition Zrotation Xrotation
\t\tJOINT foot
\t\t{
\t\t\tOFFSET 0 -40 0
\t\t\tCHANNELS 3 Yrotation Xrotation Zrotation
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET 0 0 10
\t\t\t}
\t\t}
\t}
}
MOTION
Frames: {frames}
Frame Time: 0.0333333
"""


def _mixed_bvh(path, frames: int = 30, seed: int = 0) -> np.ndarray:
    """A BVH with channels in several orders, a joint with two rotation channels and a translation, End Sites,
    and first / last angles that turn past 180 degrees (written unwrapped); returns its channel values."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None]
    values = rng.normal(0.0, 5.0, (frames, 16)).round(4)
    values[:, 0:3] += [100.0, 90.0, -50.0]
    values[:, 3] = 150.0 + 2.0 * t[:, 0]  # the root's Z angle from 150 to beyond 180 (no jump in the file)
    values[:, 4] = np.clip(values[:, 4], -60, 60)  # middle angles inside (-90, 90): one Euler triple
    values[:, 7] = np.clip(values[:, 7], -60, 60)
    values[:, 13] = -170.0 - 1.5 * t[:, 0]  # the foot's Y angle from -170 to beyond -180
    values[:, 14] = np.clip(values[:, 14], -60, 60)
    text = _MIXED.replace("{frames}", str(frames)) + "\n".join(" ".join(f"{v:.4f}" for v in row) for row in values)
    path.write_text(text + "\n")
    return values


@pytest.mark.parametrize("chunk", [4, 8192])
def test_a_bvh_of_mixed_channels_writes_back_its_own_numbers_chunk_by_chunk(tmp_path, monkeypatch, chunk):
    """Read as rotations and written back unrefined, every channel keeps its value: the rotating joints' angles
    through axis-angles (unwrapped across the chunks the conversion works in, so angles past 180 degrees come
    back as written), the hinge's two rotation channels and its translation as read, the root's position."""
    import synsp.io.bvh as bvh_io

    monkeypatch.setattr(bvh_io, "_CHUNK", chunk)
    values = _mixed_bvh(tmp_path / "mixed.bvh")
    pf = bvh_io.read(tmp_path / "mixed.bvh", rotations=True)
    assert pf.meta["joint_names"] == ["hips", "spine", "foot"] and pf.num_joints == 3
    expected = Rotation.from_euler("ZXY", values[:, 3:6], degrees=True).as_rotvec()
    np.testing.assert_allclose(pf.tracks[0].keypoints[:, 0], expected, atol=1e-9)
    np.testing.assert_allclose(pf.meta["translation"][0], values[:, :3] + [0, 90, 0])
    out = write_pose_file(tmp_path / "back.bvh", pf)
    np.testing.assert_allclose(_motion_rows(out), values, atol=1e-6)
    assert "CHANNELS 4 Xposition Yposition Zrotation Xrotation" in out.read_text()


def test_a_long_bvh_is_read_as_rotations_without_a_matrix_per_joint_and_frame(tmp_path):
    """An hour of BVH must stay in bounded memory: reading its rotations holds the channel values and the
    axis-angles (and a block of lines at a time), not the file's text nor every joint's rotation matrices."""
    import tracemalloc

    from synsp.io.bvh import read

    frames, joints = 40_000, 16
    header = ["HIERARCHY", "ROOT j0", "{", "OFFSET 0 0 0", "CHANNELS 6 Xposition Yposition Zposition "
              "Zrotation Yrotation Xrotation"]
    for j in range(1, joints):
        header += [f"JOINT j{j}", "{", "OFFSET 0 1 0", "CHANNELS 3 Zrotation Yrotation Xrotation"]
    header += ["End Site", "{", "OFFSET 0 1 0", "}"] + ["}"] * joints
    values = np.random.default_rng(0).uniform(-60.0, 60.0, (frames, 3 + 3 * joints))
    path = tmp_path / "long.bvh"
    with open(path, "w") as fh:
        fh.write("\n".join(header + ["MOTION", f"Frames: {frames}", "Frame Time: 0.0333333"]) + "\n")
        np.savetxt(fh, values, fmt="%.3f")
    tracemalloc.start()
    try:
        pf = read(path, rotations=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    held = pf.meta["bvh"].values.nbytes + pf.tracks[0].keypoints.nbytes  # 5 + 15 MB
    assert pf.tracks[0].keypoints.shape == (frames, joints, 3)
    # the whole text (19 MB) or the rotation matrices (46 MB) would each take it beyond this
    assert peak < 2 * held + 16e6, f"{peak / 1e6:.0f} MB for {held / 1e6:.0f} MB of values"


def test_euler_angles_written_back_keep_the_files_branch_and_turns(tmp_path):
    """A rotation has two sets of Euler angles (and turns of 360 degrees); written back, each frame takes the set
    nearest the frame before (the file's first frame first): a shoulder raised past 90 degrees of its middle angle
    kept its curves (they flipped by 180 degrees where the decomposition's branch changes) and a root spun twice
    round keeps -726 degrees."""
    from synsp.io.bvh import read, read_bvh

    n = 60
    x_mid = np.linspace(40.0, 130.0, n)  # the arm's middle (X) angle sweeps past 90
    spin = np.linspace(0.0, -726.0, n)  # the root turns twice about Z, written unwrapped
    lines = ["HIERARCHY", "ROOT hips", "{", "OFFSET 0 0 0",
             "CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation",
             "JOINT arm", "{", "OFFSET 10 0 0", "CHANNELS 3 Zrotation Xrotation Yrotation",
             "End Site", "{", "OFFSET 10 0 0", "}", "}", "}", "MOTION", f"Frames: {n}", "Frame Time: 0.0333333"]
    rows = [f"0 90 0 {spin[t]:.6f} 5 -3 10 {x_mid[t]:.6f} -20" for t in range(n)]
    src = tmp_path / "arm.bvh"
    src.write_text("\n".join(lines + rows) + "\n")
    out = write_pose_file(tmp_path / "back.bvh", read(src, rotations=True))
    a, b = read_bvh(src), read_bvh(out)
    np.testing.assert_allclose(b.local_rotations, a.local_rotations, atol=1e-6)
    written = np.array([[float(v) for v in line.split()] for line in out.read_text().split("Frame Time:")[1]
                        .strip().splitlines()[1:]])
    given = np.array([[float(v) for v in r.split()] for r in rows])
    np.testing.assert_allclose(written, given, atol=1e-4)  # every channel as the file had it
