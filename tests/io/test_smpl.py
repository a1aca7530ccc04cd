"""SMPL parameter files: every layout read, refined as rotations, written back in place."""

import pickle
import zipfile

import numpy as np
import pytest

from synsp.api import refine_pose_file
from synsp.geometry import axis_angle_to_matrix, matrix_to_axis_angle
from synsp.io import smpl
from synsp.io.tracks import PoseFile, Track, pose_file_format, read_pose_file, write_pose_file
from synsp.metrics import geodesic_error
from synsp.validation import SynspInputError

T = 60


def _rotations(J=24, T=T, seed=0, sigma=0.04):
    """(clean, jittery) axis-angle rotations (T, J, 3)."""
    rng = np.random.default_rng(seed)
    axis = rng.normal(size=(J, 3))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    t = np.arange(T) / 30.0
    clean = (rng.uniform(0.2, 1.2, J) + 0.5 * np.sin(2 * np.pi * 0.4 * t)[:, None])[..., None] * axis
    noise = rng.normal(0, sigma, clean.shape)
    noisy = matrix_to_axis_angle(axis_angle_to_matrix(noise) @ axis_angle_to_matrix(clean))
    return clean, noisy


def _trans(T=T, seed=3):
    t = np.arange(T) / 30.0
    clean = np.stack([np.sin(t), 0.05 * t, 2 + np.cos(t)], -1)
    return clean, clean + np.random.default_rng(seed).normal(0, 0.01, clean.shape)


def _roundtrip(path, out_path, **kw):
    pf = read_pose_file(path, **kw)
    refined, summary = refine_pose_file(pf, model="savgol")
    write_pose_file(out_path, refined)
    return pf, refined, summary


def _load(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_amass_smplh_npz(tmp_path):
    clean, noisy = _rotations(52)
    tclean, tnoisy = _trans()
    src = tmp_path / "walk_poses.npz"
    np.savez(src, poses=noisy.reshape(T, 156), trans=tnoisy, betas=np.arange(16.0), gender=np.array("female"),
             mocap_framerate=np.array(120.0), dmpls=np.zeros((T, 8)))
    assert pose_file_format(src) == "smpl"
    out = tmp_path / "refined.npz"
    pf, refined, summary = _roundtrip(src, out)
    assert (pf.format, pf.units, pf.fps, pf.num_frames) == ("smpl", "axis-angle", 120.0, T)
    assert pf.skeleton is None and pf.meta["body_model"] == "smplh"  # 52 joints: not the smpl24 skeleton
    assert pf.tracks[0].keypoints.shape == (T, 52, 3)
    position_summary = refine_pose_file(PoseFile([Track(0, np.arange(T), noisy)], T, "array"), model="savgol")[1]
    assert set(summary) == set(position_summary)  # the same keys as for positions
    assert summary["accel_after"] < summary["accel_before"] and summary["model"] == "savgol"
    a, b = _load(src), _load(out)
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
    for k in ("betas", "gender", "mocap_framerate", "dmpls"):
        np.testing.assert_array_equal(a[k], b[k])
    got = b["poses"].reshape(T, 52, 3)
    assert geodesic_error(got, clean) < 0.8 * geodesic_error(noisy, clean)
    assert np.abs(b["trans"] - tclean).mean() < 0.8 * np.abs(tnoisy - tclean).mean()


@pytest.mark.parametrize("layout", ["pose-72-float32", "poses-24x3", "rotmat", "split", "split-rotmat"])
def test_estimator_layouts(tmp_path, layout):
    clean, noisy = _rotations(24)
    _, tnoisy = _trans()
    R = axis_angle_to_matrix(noisy)
    arrays = {
        "pose-72-float32": dict(pose=noisy.reshape(T, 72).astype(np.float32), betas=np.zeros((T, 10), np.float32)),
        "poses-24x3": dict(poses=noisy, trans=tnoisy, betas=np.zeros(10)),
        "rotmat": dict(pose=R.astype(np.float32), betas=np.zeros((T, 10))),
        "split": dict(global_orient=noisy[:, 0], body_pose=noisy[:, 1:].reshape(T, 69), transl=tnoisy,
                      betas=np.zeros((1, 10))),
        "split-rotmat": dict(global_orient=R[:, :1], body_pose=R[:, 1:], transl=tnoisy.astype(np.float32)),
    }[layout]
    src = tmp_path / "person.npz"
    np.savez(src, **arrays)
    assert pose_file_format(src) == "smpl"
    out = tmp_path / "out.npz"
    pf, refined, _ = _roundtrip(src, out)
    assert pf.skeleton == "smpl24" and pf.dims == 3 and pf.tracks[0].keypoints.shape == (T, 24, 3)
    np.testing.assert_allclose(axis_angle_to_matrix(pf.tracks[0].keypoints), R, atol=1e-5)
    a, b = _load(src), _load(out)
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
    if layout.endswith("rotmat"):
        mats = [b[k] for k in ("pose", "global_orient", "body_pose") if k in b]
        for m in mats:
            m = m.astype(np.float64)
            np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-5)
            np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-5)
    back = read_pose_file(out).tracks[0].keypoints
    assert geodesic_error(back, clean) < 0.8 * geodesic_error(noisy, clean)
    np.testing.assert_allclose(axis_angle_to_matrix(back), axis_angle_to_matrix(refined.tracks[0].keypoints),
                               atol=1e-5)
    tkey = next((k for k in ("trans", "transl") if k in a), None)
    assert (0 in pf.meta["translation"]) == (tkey is not None)
    if tkey is not None:
        assert not np.allclose(a[tkey], b[tkey])  # refined too


def test_amass_smplx_copies_stay_consistent_and_object_arrays_are_kept(tmp_path):
    clean, noisy = _rotations(55)
    flat = noisy.reshape(T, 165)
    src = tmp_path / "smplx.npz"
    marker = np.empty(1, dtype=object)
    marker[0] = {"vids": [1, 2, 3]}
    np.savez(src, poses=flat, trans=_trans()[1], root_orient=flat[:, :3], pose_body=flat[:, 3:66],
             pose_jaw=flat[:, 66:69], pose_eye=flat[:, 69:75], pose_hand=flat[:, 75:],
             mocap_frame_rate=np.array(60.0), surface_model_type=np.array("smplx"), markers_latent_vids=marker)
    out = tmp_path / "out.npz"
    pf, _, _ = _roundtrip(src, out)
    assert pf.fps == 60.0 and pf.meta["body_model"] == "smplx"
    with zipfile.ZipFile(src) as za, zipfile.ZipFile(out) as zb:
        assert za.namelist() == zb.namelist()
        assert za.read("markers_latent_vids.npy") == zb.read("markers_latent_vids.npy")  # kept, never unpickled
    with np.load(out, allow_pickle=False) as z:
        p = z["poses"]
        for key, cols in (("root_orient", slice(0, 3)), ("pose_body", slice(3, 66)), ("pose_jaw", slice(66, 69)),
                          ("pose_eye", slice(69, 75)), ("pose_hand", slice(75, 165))):
            np.testing.assert_array_equal(z[key], p[:, cols])
        assert not np.allclose(p, flat)


def test_other_copies_of_the_pose_are_kept_in_step_or_named(tmp_path):
    _, noisy = _rotations(24)
    flat = noisy.reshape(T, 72)
    # 'poses' and the smplx split of it, equal: both refined alike (the split was left stale)
    np.savez(tmp_path / "both.npz", poses=flat, global_orient=flat[:, :3], body_pose=flat[:, 3:], trans=_trans()[1])
    _roundtrip(tmp_path / "both.npz", tmp_path / "both_out.npz")
    z = _load(tmp_path / "both_out.npz")
    assert not np.allclose(z["poses"], flat)
    np.testing.assert_array_equal(z["global_orient"], z["poses"][:, :3])
    np.testing.assert_array_equal(z["body_pose"], z["poses"][:, 3:])
    # SMPL-X: 'poses' (T, 165) and the smplx package's parts of it (a review found body_pose and the hands stale)
    _, x55 = _rotations(55)
    f55 = x55.reshape(T, 165)
    parts = dict(global_orient=f55[:, :3], body_pose=f55[:, 3:66], jaw_pose=f55[:, 66:69], leye_pose=f55[:, 69:72],
                 reye_pose=f55[:, 72:75], left_hand_pose=f55[:, 75:120], right_hand_pose=f55[:, 120:])
    np.savez(tmp_path / "x.npz", poses=f55, trans=_trans()[1], **parts)
    _roundtrip(tmp_path / "x.npz", tmp_path / "x_out.npz")
    z = _load(tmp_path / "x_out.npz")
    assert not np.allclose(z["poses"], f55)
    at = 0
    for key, part in parts.items():
        np.testing.assert_array_equal(z[key], z["poses"][:, at:at + part.shape[1]])
        at += part.shape[1]
    # WHAM's world-frame pose beside its camera-frame one: kept, and the refinement says so
    np.savez(tmp_path / "wham.npz", pose=flat, trans=_trans()[1], pose_world=flat, trans_world=_trans()[1])
    with pytest.warns(UserWarning, match=r"'pose_world', 'trans_world' also hold a pose or root path .* only 'pose' "
                                         r"is refined"):
        _roundtrip(tmp_path / "wham.npz", tmp_path / "wham_out.npz")
    np.testing.assert_array_equal(_load(tmp_path / "wham_out.npz")["pose_world"], flat)
    # a joint with a non-finite value in every frame is left out of the refinement and written back as it came
    bad = flat.copy()
    bad[:, 5] = np.inf
    np.savez(tmp_path / "inf.npz", poses=bad, trans=_trans()[1])
    _roundtrip(tmp_path / "inf.npz", tmp_path / "inf_out.npz")
    out = _load(tmp_path / "inf_out.npz")["poses"]
    np.testing.assert_array_equal(out[:, 3:6], bad[:, 3:6])  # was NaN: the two finite values were lost


@pytest.mark.parametrize("shape, said", [
    ((T, 24, 6), "24 joints' 6D rotations"), ((T, 24, 9), "24 joints' 3 x 3 matrices flattened"),
    ((T, 24, 4), "quaternions"), ((T, 1, 72), "squeeze it to"), ((2, T, 72), "2 people in one array")])
def test_smpl_rotations_in_layouts_synsp_does_not_read_are_named_so(tmp_path, shape, said):
    np.savez(tmp_path / "x.npz", poses=np.zeros(shape), trans=np.zeros((T, 3)))
    with pytest.raises(SynspInputError, match=said):
        read_pose_file(tmp_path / "x.npz")


def test_axis_angles_in_degrees_are_refused(tmp_path):
    clean, _ = _rotations(24)
    np.savez(tmp_path / "deg.npz", poses=np.rad2deg(clean).reshape(T, 72), trans=_trans()[1])
    with pytest.raises(SynspInputError, match=r"in radians a rotation needs at most pi .*degrees\?"):
        read_pose_file(tmp_path / "deg.npz")


def test_frame_ids_and_nan_rows(tmp_path):
    clean, noisy = _rotations(24)
    frames = np.r_[0:30, 33:63]
    pose = noisy.reshape(T, 72).copy()
    pose[10] = np.nan  # not a detection: left as it is
    src = tmp_path / "vibe_person.npz"
    np.savez(src, pose=pose, frame_ids=frames, betas=np.zeros((T, 10)))
    pf = read_pose_file(src)
    assert pf.num_frames == 63 and len(pf.tracks[0].frames) == T - 1
    refined, summary = refine_pose_file(pf, model="butterworth")
    assert summary["filled"] == 0
    out = tmp_path / "o.npz"
    write_pose_file(out, refined)
    b = _load(out)
    np.testing.assert_array_equal(b["frame_ids"], frames)
    assert np.isnan(b["pose"][10]).all() and np.isfinite(np.delete(b["pose"], 10, axis=0)).all()


def test_pickle_refused_without_trust_then_vibe_layout(tmp_path):
    clean, noisy = _rotations(24, seed=5)
    people = {
        1: dict(pose=noisy.reshape(T, 72).astype(np.float32), betas=np.zeros((T, 10), np.float32),
                frame_ids=np.arange(T), verts=np.zeros((T, 5, 3), np.float32), pred_cam=np.ones((T, 3))),
        4: dict(pose=noisy[:40].reshape(40, 72).astype(np.float32), betas=np.zeros((40, 10), np.float32),
                frame_ids=np.arange(20, 60), verts=np.zeros((40, 5, 3), np.float32), pred_cam=np.ones((40, 3))),
    }
    src = tmp_path / "vibe_output.pkl"
    with open(src, "wb") as fh:
        pickle.dump(people, fh)
    assert pose_file_format(src) == "smpl"
    with pytest.raises(SynspInputError, match=r"vibe_output\.pkl.*runs whatever code.*trust_pickle=True"):
        read_pose_file(src)
    out = tmp_path / "refined.pkl"
    pf, refined, summary = _roundtrip(src, out, trust_pickle=True)
    assert [t.track_id for t in pf.tracks] == [1, 4] and pf.num_frames == 60
    assert summary["persons"] == 2
    with open(out, "rb") as fh:
        back = pickle.load(fh)
    assert sorted(back) == [1, 4]
    for pid in (1, 4):
        assert sorted(back[pid]) == sorted(people[pid])
        assert back[pid]["pose"].dtype == np.float32 and back[pid]["pose"].shape == people[pid]["pose"].shape
        np.testing.assert_array_equal(back[pid]["verts"], people[pid]["verts"])
    got = back[1]["pose"].reshape(T, 24, 3).astype(np.float64)
    assert geodesic_error(got, clean) < 0.8 * geodesic_error(noisy, clean)


def test_a_vibe_person_written_as_none_is_kept_and_the_others_refined(tmp_path):
    _, noisy = _rotations(24, seed=6)
    src = tmp_path / "vibe_none.pkl"
    with open(src, "wb") as fh:
        pickle.dump({0: dict(pose=noisy.reshape(T, 72), frame_ids=np.arange(T)), 1: None}, fh)
    out = tmp_path / "refined.pkl"
    pf, refined, summary = _roundtrip(src, out, trust_pickle=True)
    assert [t.track_id for t in pf.tracks] == [0] and summary["persons"] == 1
    with open(out, "rb") as fh:
        back = pickle.load(fh)
    assert sorted(back) == [0, 1] and back[1] is None and back[0]["pose"].shape == (T, 72)


def test_bad_files_give_clear_errors(tmp_path):
    bad = tmp_path / "nothing.npz"
    np.savez(bad, foo=np.zeros((5, 2)))
    assert pose_file_format(bad) == "array" or pose_file_format(bad) is None
    with pytest.raises(SynspInputError, match=r"nothing\.npz.*'foo'.*expected 'poses' or 'pose'"):
        read_pose_file(bad, format="smpl")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(SynspInputError, match=r"junk\.npz: not a valid \.npz"):
        smpl.read(junk)
    wrong_trans = tmp_path / "wt.npz"
    np.savez(wrong_trans, poses=np.zeros((10, 72)), trans=np.zeros((9, 3)))
    with pytest.raises(SynspInputError, match=r"wt\.npz\['trans'\] has shape \(9, 3\).*expected \(10, 3\)"):
        smpl.read(wrong_trans)
    not_rot = tmp_path / "nr.npz"
    np.savez(not_rot, pose=np.ones((10, 24, 3, 3)))
    with pytest.raises(SynspInputError, match=r"nr\.npz\['pose'\].*not rotations"):
        smpl.read(not_rot)
    obj = tmp_path / "obj.npz"
    o = np.empty(10, dtype=object)
    o[:] = [np.zeros(72)] * 10
    np.savez(obj, poses=o, trans=np.zeros((10, 3)))
    with pytest.raises(SynspInputError, match=r"obj\.npz.*'poses'"):
        smpl.read(obj)
    txt = tmp_path / "p.txt"
    txt.write_text("x")
    with pytest.raises(SynspInputError, match="suffix"):
        smpl.read(txt)


def test_sniffing(tmp_path):
    smpl_file = tmp_path / "a.npz"
    np.savez(smpl_file, poses=np.zeros((10, 72)), trans=np.zeros((10, 3)))
    assert pose_file_format(smpl_file) == "smpl"
    keypoints = tmp_path / "k.npz"
    np.savez(keypoints, keypoints=np.zeros((10, 17, 3)), scores=np.ones((10, 17)))
    assert pose_file_format(keypoints) == "array"
    positions = tmp_path / "p.npz"  # 'poses' of joint positions, no SMPL companion keys
    np.savez(positions, poses=np.zeros((10, 24, 3)))
    assert pose_file_format(positions) == "array"
    positions17 = tmp_path / "p17.npz"
    np.savez(positions17, poses=np.zeros((10, 17, 3)), trans=np.zeros((10, 3)))
    assert pose_file_format(positions17) == "array"
    pf = read_pose_file(keypoints)
    assert pf.format == "array"


def test_position_network_is_refused_and_the_default_refines_rotations(tmp_path):
    src = tmp_path / "a.npz"
    np.savez(src, poses=_rotations(24)[1].reshape(T, 72), trans=np.zeros((T, 3)))
    pf = read_pose_file(src)
    with pytest.raises(SynspInputError, match="cannot refine rotations.*classical filter"):
        refine_pose_file(pf, model="synsp-h36m17-3d-w8")
    refined, summary = refine_pose_file(pf)  # default: the rotation network when shipped, else butterworth
    assert summary["model"] in ("synsp-universal-w16-rot", "butterworth")
    assert refined.format == "smpl" and pf.meta["translation"][0] is not refined.meta["translation"][0]
    assert summary["accel_after"] < summary["accel_before"]
    # other joint counts (SMPL-X bodies, ...) get the universal model trained on rotations too
    src55 = tmp_path / "b.npz"
    np.savez(src55, poses=_rotations(55)[1].reshape(T, 165), trans=np.zeros((T, 3)))
    _, summary55 = refine_pose_file(read_pose_file(src55))
    assert summary55["model"] == "synsp-universal-w16-rot" and summary55["fallback"] is None
    assert summary55["accel_after"] < summary55["accel_before"]


def test_hand_built_pose_file_is_written_as_amass_npz(tmp_path):
    rot = _rotations(24)[1]
    pf = PoseFile(tracks=[Track(0, np.arange(T), rot)], num_frames=T, format="smpl", skeleton="smpl24",
                  fps=30.0, units="axis-angle", meta={"translation": {0: _trans()[1]}})
    refined, _ = refine_pose_file(pf, model="butterworth")
    out = tmp_path / "new.npz"
    write_pose_file(out, refined)
    back = read_pose_file(out)
    assert back.fps == 30.0 and back.tracks[0].keypoints.shape == (T, 24, 3)
    np.testing.assert_allclose(back.meta["translation"][0], refined.meta["translation"][0])
    with pytest.raises(SynspInputError, match="npz"):
        write_pose_file(tmp_path / "new.txt", refined)


def test_joint_never_valid_is_left_as_it_was():
    rot = _rotations(24)[1]
    rot[:, 3] = np.nan
    pf = PoseFile(tracks=[Track(0, np.arange(T), rot)], num_frames=T, format="smpl", units="axis-angle")
    refined, summary = refine_pose_file(pf, model="butterworth")
    assert summary["unseen"] == 1 and summary["filled"] == 0
    out = refined.tracks[0].keypoints
    assert np.isnan(out[:, 3]).all() and np.isfinite(np.delete(out, 3, axis=1)).all()


def test_a_frame_with_some_nan_rotations_is_refined_with_them_filled_not_left_raw(tmp_path):
    """A NaN rotation is a missing joint, not a missing frame: the frame's other rotations are refined with
    their neighbours (were the frame dropped, it would come back raw between refined frames), the missing one
    is filled and counted; a joint NaN in every frame stays NaN and the file is still refined."""
    pose = _rotations(24)[1]
    pose[5:9, 3] = np.nan
    pose[:, 7] = np.nan
    src = tmp_path / "holes.npz"
    np.savez(src, poses=pose.reshape(T, 72), trans=np.zeros((T, 3)), mocap_framerate=30.0)
    pf = read_pose_file(src)
    assert len(pf.tracks) == 1 and len(pf.tracks[0].frames) == T
    refined, summary = refine_pose_file(pf)
    assert summary["filled"] == 4 and summary["unseen"] == 1
    write_pose_file(tmp_path / "out.npz", refined)
    out = np.load(tmp_path / "out.npz")["poses"].reshape(T, 24, 3)
    assert np.isnan(out[:, 7]).all() and np.isfinite(np.delete(out, 7, axis=1)).all()
    others = np.delete(np.arange(24), [3, 7])
    changed = np.abs(out[:, others] - pose[:, others]).max(axis=(1, 2))
    assert (changed[5:9] > 1e-6).all()  # the frames with a hole are refined like their neighbours


def test_a_rotation_file_too_short_for_the_network_names_methods_that_refine_rotations(tmp_path):
    src = tmp_path / "short.npz"
    np.savez(src, poses=_rotations(55)[1][:3].reshape(3, 165), trans=np.zeros((3, 3)), mocap_framerate=30.0)
    with pytest.raises(SynspInputError, match="4 frames synsp-universal-w16-rot needs") as err:
        refine_pose_file(read_pose_file(src))
    assert "kalman-rts" in str(err.value) and "synsp-universal-w8" not in str(err.value)  # not a positions model
    refined, summary = refine_pose_file(read_pose_file(src), model="kalman-rts")
    assert summary["model"] == "kalman-rts" and refined.tracks[0].keypoints.shape == (3, 55, 3)
    # 10 frames, shorter than its 16-frame window: the network refines them in one padded window
    np.savez(src, poses=_rotations(55)[1][:10].reshape(10, 165), trans=np.zeros((10, 3)), mocap_framerate=30.0)
    refined, summary = refine_pose_file(read_pose_file(src))
    assert summary["model"] == "synsp-universal-w16-rot" and summary["unrefined_tracks"] == []
