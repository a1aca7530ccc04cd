"""Users' own clips: `synsp data import` on BVH / TRC / arrays, any joint count, train and refine."""

import dataclasses
import json
import shutil

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import synsp
from synsp.cli import main
from synsp.data.corpus import load_corpus
from synsp.data.custom import guess_left_right, guess_root_joints, import_corpus
from synsp.data.dataset import WindowDataset
from synsp.io import Motion, write_bvh, write_trc
from synsp.models.checkpoint import ModelCard
from synsp.skeletons import SKELETONS, Skeleton, get_skeleton, register_skeleton
from synsp.training import TrainConfig, train
from synsp.validation import SynspInputError

TINY = dict(d_model=16, d_inner=16, n_layers=1, n_head=2, d_k=8, d_v=8, input_residual=True,
            frequency_output=True, query_positions=True, spectral_skip=True)

BVH_NAMES = ["Hips", "LeftUpLeg", "LeftLeg", "LeftFoot", "RightUpLeg", "RightLeg", "RightFoot",
             "Spine", "LeftArm", "LeftForeArm", "RightArm", "RightForeArm"]
MARKERS = ["Hips", "LHip", "LKnee", "LAnkle", "RHip", "RKnee", "RAnkle", "Neck", "LShoulder", "LWrist",
           "RShoulder", "RWrist"]
PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 7, 10]
OFFSETS_CM = np.array([[0, 0, 0], [10, 0, 0], [0, -45, 0], [0, -42, 0], [-10, 0, 0], [0, -45, 0], [0, -42, 0],
                       [0, 50, 0], [18, 0, 0], [0, -28, 0], [-18, 0, 0], [0, -28, 0]], float)


def walker(frames: int, fps: float, seed: int) -> Motion:
    """A 12-joint stick figure walking forward (BVH-style Motion, centimetres)."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    f = rng.uniform(0.8, 1.4)
    s, c = np.sin(2 * np.pi * f * t), np.cos(2 * np.pi * f * t)
    ang = np.zeros((frames, 12, 3))
    ang[:, 1, 0], ang[:, 4, 0] = 30 * s, -30 * s  # hips
    ang[:, 2, 0], ang[:, 5, 0] = 20 * (1 - c), 20 * (1 + c)  # knees
    ang[:, 8, 0], ang[:, 10, 0] = -25 * s, 25 * s  # shoulders
    ang[:, 0, 1] = 10 * np.sin(0.5 * t)
    rot = Rotation.from_euler("xyz", ang.reshape(-1, 3), degrees=True).as_matrix().reshape(frames, 12, 3, 3)
    root = np.stack([30 * t, 95 + 2 * np.sin(4 * np.pi * f * t), np.zeros(frames)], -1)
    return Motion(BVH_NAMES, np.array(PARENTS), OFFSETS_CM, rot, root, fps=fps, units="cm", metres_per_unit=0.01)


pytestmark = pytest.mark.usefixtures("clean_skeleton_registry")  # tests/conftest.py


def bvh_folder(root, count=6, fps=60.0):
    root.mkdir(parents=True, exist_ok=True)
    motions = {}
    for i in range(count):
        m = walker(150 + 10 * i, fps, seed=i)
        write_bvh(m, root / f"take{i}.bvh")
        motions[f"take{i}.bvh"] = m
    return motions


def corpus_meta(path):
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["meta"])), {k: z[k].shape for k in z.files}


def test_bvh_folder_becomes_a_custom_corpus_split_by_file_at_30fps_in_metres(tmp_path):
    motions = bvh_folder(tmp_path / "clips")
    out = tmp_path / "mine.npz"
    s = import_corpus([tmp_path / "clips"], out, skeleton="stick12")
    assert s.custom and s.skeleton == "stick12"
    meta, shapes = corpus_meta(out)
    assert meta["fps"] == 30.0 and meta["skeletons"] == ["stick12"] and "smpl24_rotations" not in shapes
    d = meta["skeleton_definitions"]["stick12"]
    assert d["joints"] == BVH_NAMES and d["parents"] == PARENTS
    assert d["left_right"] == [[1, 4], [2, 5], [3, 6], [8, 10], [9, 11]]  # Left*/Right* names
    assert d["root_joints"] == [0]  # "Hips"
    # one split per file, every file somewhere, train and validation not empty
    split_of_take = {}
    for m in meta["clips"]:
        assert split_of_take.setdefault(m["take"], m["split"]) == m["split"]
    assert split_of_take == meta["files"] and set(split_of_take) == set(motions)
    assert {"train", "val"} <= set(split_of_take.values())
    clips = load_corpus(out, skeleton="stick12")
    assert len(clips) == 2 * len(motions)  # 60 fps -> two 30 fps phases per file
    for clip in clips:
        m = motions[clip.take]
        assert clip.fps == 30.0 and clip.skeleton == "stick12" and clip.split == split_of_take[clip.take]
        expected = m.positions[clip.phase::2] * 0.01  # exact decimation, centimetres -> metres
        np.testing.assert_allclose(clip.positions, expected, atol=1e-5)
    by_split = {sp: {c.take for c in load_corpus(out, skeleton="stick12", split=sp)} for sp in ("train", "val", "test")}
    assert sum(len(v) for v in by_split.values()) == len(motions)
    with pytest.raises(SynspInputError, match="none gives 'smpl24'"):  # no rotations to make SMPL joints from
        load_corpus(out, skeleton="smpl24")
    from synsp.training import TrainConfig, train

    run = tmp_path / "run"  # a joint set the corpus cannot give is refused before the run folder is made
    with pytest.raises(SynspInputError, match="none gives 'coco17'"):
        train(TrainConfig(architecture="universal", skeleton="stick12", skeletons=("coco17",), corpus=str(out),
                          epochs=1, out=str(run)), progress=False)
    assert not run.exists()
    # a fine-tune of h36m17 weights on it names what works, a universal model (it suggested the corpus's own
    # skeleton, which --from then refused)
    with pytest.raises(SynspInputError, match=r"none gives 'h36m17', the joint set of the starting weights .*"
                                              r"--from synsp-universal-w16"):
        train(TrainConfig(skeleton="h36m17", init="synsp-h36m17-3d-w8", corpus=str(out), epochs=1, out=str(run)),
              progress=False)
    assert not run.exists()


def test_splits_depend_on_the_file_names_only(tmp_path):
    bvh_folder(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "elsewhere" / "b")
    files = sorted((tmp_path / "a").glob("*.bvh"))
    one = import_corpus(files[::-1], tmp_path / "1.npz", skeleton="stick12")
    two = import_corpus([tmp_path / "elsewhere" / "b"], tmp_path / "2.npz", skeleton="stick12")
    assert one.files == two.files
    assert corpus_meta(tmp_path / "1.npz")[0]["files"] == corpus_meta(tmp_path / "2.npz")[0]["files"]


def test_trc_markers_and_arrays_share_a_custom_skeleton(tmp_path):
    a, b, c = walker(90, 60.0, 0), walker(100, 60.0, 1), walker(76, 25.0, 2)
    write_trc(tmp_path / "a.trc", a.positions * 10.0, marker_names=MARKERS, fps=60.0, units="mm")
    write_trc(tmp_path / "b.trc", b.positions * 10.0, marker_names=MARKERS, fps=60.0, units="mm")
    np.save(tmp_path / "c.npy", c.positions)  # centimetres, 25 fps, same joint order
    out = tmp_path / "mixed.npz"
    with pytest.warns(UserWarning, match=r"--fps 25 is for arrays .* used as stated \(60 fps\)"):
        s = import_corpus([tmp_path], out, skeleton="markers12", units="cm", fps=25.0)
    d = corpus_meta(out)[0]["skeleton_definitions"]["markers12"]
    assert d["joints"] == MARKERS and d["parents"] == [-1] * 12  # markers have no hierarchy
    assert d["left_right"] == [[1, 4], [2, 5], [3, 6], [8, 10], [9, 11]]  # L*/R* prefixes
    assert d["root_joints"] == [0]
    assert sum(len(v) for v in s.files.values()) == 3
    clips = {(c_.take, c_.phase): c_ for c_ in load_corpus(out, skeleton="markers12")}
    np.testing.assert_allclose(clips[("a.trc", 1)].positions, a.positions[1::2] * 0.01, atol=1e-5)  # mm -> m
    up = clips[("c.npy", 0)].positions  # 25 -> 30 fps by linear interpolation, cm -> m
    assert up.shape[0] == int(np.floor((76 - 1) * 30 / 25)) + 1
    t = np.arange(up.shape[0]) * 25 / 30
    lo = np.floor(t).astype(int)
    hi = np.minimum(lo + 1, 75)
    w = (t - lo)[:, None, None]
    np.testing.assert_allclose(up, ((1 - w) * c.positions[lo] + w * c.positions[hi]) * 0.01, atol=1e-5)


def test_arrays_without_names_get_numbered_joints_and_the_mean_of_all_as_root(tmp_path):
    for i in range(3):
        np.save(tmp_path / f"clip{i}.npy", walker(80, 30.0, i).positions / 100.0)  # metres
    s = import_corpus([tmp_path], tmp_path / "arr.npz", fps=30.0)
    assert s.custom and s.skeleton.startswith("custom12-")
    (clip, *_) = load_corpus(tmp_path / "arr.npz", skeleton=s.skeleton)
    sk = get_skeleton(s.skeleton)
    assert sk.joints == tuple(f"j{i}" for i in range(12)) and sk.left_right == () and sk.parents == (-1,) * 12
    assert sk.root_joints == tuple(range(12))
    np.testing.assert_allclose(sk.root_position(clip.positions), clip.positions.mean(axis=1), atol=1e-6)
    # no pairs: the dataset never mirrors (a mirrored body would change handedness under the same labels)
    ds = WindowDataset([clip], window=8, skeleton=sk, augment=True, seed=0)
    assert len(ds) > 0 and ds[0]["input"].shape == (8, 36)


def test_files_on_a_builtin_skeleton_are_stored_under_it_by_joint_name(tmp_path):
    h36 = get_skeleton("h36m17")
    rng = np.random.default_rng(0)
    base = rng.normal(size=(17, 3)) * 0.3
    order = rng.permutation(17)  # the files list the joints in another order, with other spelling
    names = ["".join(w.capitalize() for w in h36.joints[j].split("_")) for j in order]  # LeftHip, ...
    clips = {}
    for i in range(2):
        x = base + 0.05 * np.sin(np.arange(60)[:, None, None] / (5 + i)) + [0.0, 1.0, 0.0]
        clips[f"h{i}.trc"] = x
        write_trc(tmp_path / f"h{i}.trc", x[:, order], marker_names=names, fps=30.0, units="m")
    s = import_corpus([tmp_path], tmp_path / "h.npz")
    assert s.skeleton == "h36m17" and not s.custom
    assert "skeleton_definitions" not in corpus_meta(tmp_path / "h.npz")[0]
    for c in load_corpus(tmp_path / "h.npz", skeleton="h36m17"):
        np.testing.assert_allclose(c.positions, clips[c.take], atol=1e-5)
    assert load_corpus(tmp_path / "h.npz", skeleton="j14")[0].positions.shape[1] == 14  # mappings still work
    with pytest.raises(SynspInputError, match="'coco133' has 133 joints .* the files have 17"):
        import_corpus([tmp_path], tmp_path / "x.npz", skeleton="coco133")


@pytest.mark.parametrize("kind", ["bvh", "arrays"])
def test_tiny_synsp_trains_on_a_custom_corpus_and_refines_without_it(tmp_path, kind):
    if kind == "bvh":
        bvh_folder(tmp_path / "clips")
        s = import_corpus([tmp_path / "clips"], tmp_path / "c.npz", skeleton="stick12")
    else:  # no names, no tree, no pairs, root = mean of all joints
        (tmp_path / "clips").mkdir()
        for i in range(4):
            np.save(tmp_path / "clips" / f"{i}.npy", walker(120, 30.0, i).positions)
        s = import_corpus([tmp_path / "clips"], tmp_path / "c.npz", units="cm", fps=30.0)
    config = TrainConfig(name="tiny-custom", model=TINY, corpus=str(tmp_path / "c.npz"), skeleton=s.skeleton,
                         epochs=2, windows_per_epoch=64, batch_size=32, val_frames=150, out=str(tmp_path / "run"))
    stem = train(config, progress=False)
    card = json.loads(stem.with_suffix(".json").read_text())
    sk = get_skeleton(s.skeleton)
    assert card["skeleton"] == s.skeleton and card["skeleton_definition"] == sk.to_dict()
    assert tuple(card["root_joints"]) == sk.root_joints and card["validation"]["input_mpjpe"] > 0
    assert "synsp data import" in card["data"]
    # a fresh process knows nothing of the corpus: the card alone defines the skeleton
    del SKELETONS[s.skeleton]
    (tmp_path / "c.npz").unlink()
    x = walker(50, 30.0, 9).positions / 100.0 + np.random.default_rng(0).normal(scale=0.01, size=(50, 12, 3))
    y = synsp.refine(x, model=str(stem))
    assert y.shape == x.shape and np.isfinite(y).all()
    assert get_skeleton(s.skeleton).to_dict() == card["skeleton_definition"]
    with pytest.raises(SynspInputError, match="expected J = 12"):
        synsp.refine(x[:, :10], model=str(stem))


def test_custom_names_never_redefine_a_registered_skeleton(tmp_path):
    h36 = get_skeleton("h36m17")
    clash = Skeleton(name="h36m17", joints=[f"j{i}" for i in range(17)], parents=[-1] * 17, left_right=[],
                     root_joints=[0])
    with pytest.raises(SynspInputError, match="already a built-in skeleton"):
        register_skeleton(clash)
    assert get_skeleton("h36m17") is h36
    assert register_skeleton(Skeleton.from_dict(h36.to_dict())) is h36  # the same definition is fine
    mine = Skeleton(name="mine", joints=["a", "b"], parents=[-1, 0], left_right=[], root_joints=[0])
    register_skeleton(mine)
    other = Skeleton(name="mine", joints=["a", "c"], parents=[-1, 0], left_right=[], root_joints=[0])
    with pytest.raises(SynspInputError, match="different definition"):
        register_skeleton(other)
    with pytest.raises(SynspInputError, match="different definition"):
        ModelCard(name="m", architecture="synsp", config={}, skeleton="mine", dims=3, window=8,
                  skeleton_definition=other.to_dict())


def test_too_few_usable_files_is_a_clear_error(tmp_path):
    write_bvh(walker(120, 60.0, 0), tmp_path / "only.bvh")
    with pytest.raises(SynspInputError, match="at least 2 are needed"):
        import_corpus([tmp_path], tmp_path / "c.npz", skeleton="stick12")
    write_bvh(walker(6, 60.0, 1), tmp_path / "tiny.bvh")  # 3 frames at 30 fps: too short to keep
    with pytest.raises(SynspInputError, match=r"1 usable file\(s\) \(of 2\); at least 2"):
        import_corpus([tmp_path], tmp_path / "c.npz", skeleton="stick12")
    assert not (tmp_path / "c.npz").exists()


def test_guessed_left_right_pairs_and_roots():
    names = ["pelvis", "left_hip", "right_hip", "LeftHand", "RightHand", "LKnee", "RKnee", "lfemur", "rfemur",
             "toe_l", "toe_r", "Eye.L", "Eye.R", "spine", "ear", "rear"]
    pairs = guess_left_right(names)
    named = {(names[a], names[b]) for a, b in pairs}
    assert named == {("left_hip", "right_hip"), ("LeftHand", "RightHand"), ("LKnee", "RKnee"),
                     ("lfemur", "rfemur"), ("toe_l", "toe_r"), ("Eye.L", "Eye.R")}
    assert guess_root_joints(names, pairs) == (0,)
    assert guess_root_joints(["LHip", "RHip", "Knee"], guess_left_right(["LHip", "RHip", "Knee"])) == (0, 1)
    assert guess_root_joints(["a", "b", "c"], []) == (0, 1, 2)
    cc = ["CC_Base_Hip", "CC_Base_Pelvis", "CC_Base_L_Thigh", "CC_Base_R_Thigh", "CC_Base_L_Eye_end",
          "CC_Base_R_Eye_end"]  # a prefix shared by every name is ignored
    assert guess_left_right(cc) == [(2, 3), (4, 5)] and guess_root_joints(cc, [(2, 3)]) == (1,)
    assert guess_left_right(["mixamorig:Hips", "mixamorig:LeftArm", "mixamorig:RightArm"]) == [(1, 2)]


def test_cli_import_then_train_on_it(tmp_path, capsys):
    bvh_folder(tmp_path / "clips", count=4)
    out = tmp_path / "mine.npz"
    code = main(["data", "import", str(tmp_path / "clips"), "-o", str(out), "--skeleton", "stick12"])
    text = capsys.readouterr().out
    assert code == 0 and out.is_file()
    assert "stick12 (custom: 12 joints, 5 left/right pairs" in text and "| train |" in text
    assert f"synsp train --corpus {out} --skeleton stick12" in text
    # synsp train picks the corpus's only skeleton when --skeleton is not given
    code = main(["train", "--corpus", str(out), "--epochs", "1", "--windows-per-epoch", "32", "--batch-size", "32",
                 "--option", "d_model=16", "--option", "d_inner=16", "--option", "n_layers=1",
                 "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "best.json").read_text())["skeleton"] == "stick12"
    assert json.loads((tmp_path / "run" / "best.json").read_text())["name"] == "synsp-stick12-3d-w8"


def test_cli_import_bad_file_exits_2(tmp_path, capsys):
    bvh_folder(tmp_path / "clips", count=2)
    (tmp_path / "clips" / "broken.bvh").write_text("HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0\n")
    code = main(["data", "import", str(tmp_path / "clips"), "-o", str(tmp_path / "c.npz")])
    err = capsys.readouterr().err
    assert code == 2 and "synsp: error:" in err and "broken.bvh" in err
    assert not (tmp_path / "c.npz").exists()
    code = main(["data", "import", str(tmp_path / "clips" / "take0.bvh"), "-o", str(tmp_path / "c.npz")])
    assert code == 2 and "at least 2 are needed" in capsys.readouterr().err


def test_cli_arrays_with_names_parents_people_and_an_fps_key(tmp_path, capsys):
    for i in range(3):  # two people per file, millimetres, 50 fps stored in the .npz
        two = np.stack([walker(100, 50.0, 2 * i).positions, walker(100, 50.0, 2 * i + 1).positions], axis=1)
        np.savez(tmp_path / f"duo{i}.npz", keypoints=two * 10.0, fps=np.array(50.0))
    out = tmp_path / "out" / "duo.npz"
    code = main(["data", "import", str(tmp_path), "-o", str(out), "--units", "mm", "--skeleton", "Duo12",
                 "--joint-names", ",".join(MARKERS), "--parents", ",".join(map(str, PARENTS))])
    assert code == 0, capsys.readouterr().err
    meta, _ = corpus_meta(out)
    d = meta["skeleton_definitions"]["duo12"]  # names are lowercased
    assert d["joints"] == MARKERS and d["parents"] == PARENTS and len(d["left_right"]) == 5
    clips = load_corpus(out, skeleton="duo12", phases="first")
    assert len(clips) == 6 and {c.clip_id.split("#")[1] for c in clips} == {"person0-s0p0", "person1-s0p0"}
    for c in clips:  # 50 -> 30 fps, mm -> m; both people of a file in its split
        assert c.positions.shape == (int(np.floor(99 * 30 / 50)) + 1, 12, 3) and c.split == meta["files"][c.take]
    first = next(c for c in clips if c.take == "duo0.npz" and "person1" in c.clip_id)
    np.testing.assert_allclose(first.positions[0], walker(100, 50.0, 1).positions[0] * 0.01, atol=1e-5)
    code = main(["data", "import", str(tmp_path), "-o", str(tmp_path / "x.npz"), "--parents", "0,a"])
    assert code == 2 and "--parents" in capsys.readouterr().err


def test_files_with_other_joints_are_refused_and_z_up_is_turned_to_y_up(tmp_path):
    bvh_folder(tmp_path / "a", count=2)
    np.save(tmp_path / "a" / "ten.npy", np.zeros((40, 10, 3)))
    with pytest.raises(SynspInputError, match="ten.npy has 10 joints but take0.bvh has 12"):
        import_corpus([tmp_path / "a"], tmp_path / "c.npz", fps=30.0)
    (tmp_path / "z").mkdir()
    for i in range(2):
        y_up = walker(60, 30.0, i).positions / 100.0
        np.save(tmp_path / "z" / f"{i}.npy", np.stack([y_up[..., 0], -y_up[..., 2], y_up[..., 1]], -1))  # z up
    s = import_corpus([tmp_path / "z"], tmp_path / "z.npz", fps=30.0, up="z", skeleton="zup")
    for c in load_corpus(tmp_path / "z.npz", skeleton=s.skeleton):
        np.testing.assert_allclose(c.positions, walker(60, 30.0, int(c.take[0])).positions / 100.0, atol=1e-5)


def cmu_style_files(root, takes=3, frames=240):
    """ASF/AMC files with the CMU database's 31 bone names (a made-up rest pose and motion, 120 fps)."""
    from synsp.skeletons import CMU31_ASF_BONES

    parents = get_skeleton("cmu31").parents
    rng = np.random.default_rng(3)
    bones = []
    for i, name in enumerate(CMU31_ASF_BONES[1:], start=1):
        d = rng.normal(size=3)
        bones.append(f"begin\n id {i}\n name {name}\n direction {d[0]:.4f} {d[1]:.4f} {d[2]:.4f}\n"
                     f" length {rng.uniform(1, 4):.3f}\n axis 0 0 0 XYZ\n dof rx ry rz\nend")
    children = {}
    for i, p in enumerate(parents):
        if p >= 0:
            children.setdefault(CMU31_ASF_BONES[p], []).append(CMU31_ASF_BONES[i])
    hierarchy = "\n".join(f"{p} {' '.join(c)}" for p, c in children.items())
    root.mkdir(parents=True, exist_ok=True)
    (root / "09.asf").write_text(
        ":version 1.10\n:name cmu\n:units\n mass 1.0\n length 0.45\n angle deg\n:root\n order TX TY TZ RX RY RZ\n"
        " axis XYZ\n position 0 0 0\n orientation 0 0 0\n:bonedata\n" + "\n".join(bones)
        + f"\n:hierarchy\nbegin\n{hierarchy}\nend\n")
    for take in range(takes):
        lines = ["#!OML:ASF 09.asf", ":FULLY-SPECIFIED", ":DEGREES"]
        for t in range(frames):
            a = 10 * np.sin(2 * np.pi * t / 120 * (1 + 0.1 * take) + np.arange(len(CMU31_ASF_BONES)))
            lines += [str(t + 1), f"root {t * 0.1:.3f} 17 0 0 {a[0]:.3f} 0"]
            lines += [f"{name} {a[i]:.3f} {0.5 * a[i]:.3f} 0" for i, name in enumerate(CMU31_ASF_BONES) if i]
        (root / f"09_{take + 1:02d}.amc").write_text("\n".join(lines) + "\n")


def test_cmu_asf_amc_files_are_the_builtin_cmu31_skeleton(tmp_path):
    from synsp.io import read_asf_amc

    cmu_style_files(tmp_path / "cmu")
    s = import_corpus([tmp_path / "cmu"], tmp_path / "c.npz")
    assert s.skeleton == "cmu31" and not s.custom  # recognised by the bone names, not a custom31-<hash>
    assert "skeleton_definitions" not in corpus_meta(tmp_path / "c.npz")[0]
    clips = load_corpus(tmp_path / "c.npz", skeleton="cmu31", phases="first")
    assert len(clips) == 3
    for c in clips:
        truth = read_asf_amc(tmp_path / "cmu" / "09.asf", tmp_path / "cmu" / f"{c.take}").positions
        np.testing.assert_allclose(c.positions, truth[::4], atol=1e-5)  # 120 fps -> 30 fps, phase 0, metres
    assert load_corpus(tmp_path / "c.npz", skeleton="h36m17")[0].positions.shape[1:] == (17, 3)  # mapped by anatomy


def test_glitches_and_a_rest_pose_in_front_are_cut_as_synsp_data_build_cuts_them(tmp_path, capsys):
    motions = bvh_folder(tmp_path / "clips", count=3, fps=60.0)
    take = tmp_path / "clips" / "take1.bvh"
    m = motions["take1.bvh"]
    rot = m.local_rotations.copy()
    rot[0] = np.eye(3)  # frame 0: the rig's rest pose (every joint unrotated), a jump away from frame 1
    rot[100, 8] = Rotation.from_euler("x", 170, degrees=True).as_matrix()  # a one-frame flip of the left arm
    write_bvh(dataclasses.replace(m, local_rotations=rot), take)
    s = import_corpus([tmp_path / "clips"], tmp_path / "c.npz", skeleton="stick12")
    assert len(s.glitches) == 1 and s.glitches[0].startswith("take1.bvh:")
    clips = load_corpus(tmp_path / "c.npz", skeleton="stick12", phases="first")
    cut = sorted((c for c in clips if c.take == "take1.bvh"), key=lambda c: c.clip_id)
    assert [c.clip_id.split("#")[1] for c in cut] == ["s0p0", "s1p0"]  # split at the flip
    flip_at = 100 / 2  # 30 fps frames
    assert cut[0].positions.shape[0] < flip_at - 2  # the rest pose and the flip, each with 0.1 s around, are out
    for c in clips:  # what is left moves like a body: no joint faster than 20 m/s
        assert np.linalg.norm(np.diff(c.positions, axis=0), axis=-1).max() * 30 < 20
    untouched = [c for c in clips if c.take != "take1.bvh"]  # the other files whole: 150 + 10 i frames at 60 fps
    assert len(untouched) == 2
    assert all(len(c.positions) == len(motions[c.take].root_translation) // 2 for c in untouched)
    kept = import_corpus([tmp_path / "clips"], tmp_path / "k.npz", skeleton="stick12", cut_glitches=False)
    assert kept.glitches == []
    whole = [c for c in load_corpus(tmp_path / "k.npz", skeleton="stick12", phases="first") if c.take == "take1.bvh"]
    assert len(whole) == 1 and whole[0].positions.shape[0] == 80
    assert main(["data", "import", str(tmp_path / "clips"), "-o", str(tmp_path / "d.npz"), "--skeleton", "s12"]) == 0
    err = capsys.readouterr().err
    assert "glitches cut (a joint faster than 20 m/s" in err and "take1.bvh: " in err
    (tmp_path / "noise").mkdir()
    for i in range(3):  # noise, not motion (or the wrong units): every frame is a glitch, and the error says so
        np.save(tmp_path / "noise" / f"n{i}.npy", np.random.default_rng(i).normal(0.0, 0.3, (60, 17, 3)))
    assert main(["data", "import", str(tmp_path / "noise"), "-o", str(tmp_path / "n.npz"), "--skeleton", "h36m17",
                 "--fps", "30"]) == 2
    err = capsys.readouterr().err
    assert "0 usable file(s)" in err and "cut as glitches" in err and "--keep-glitches" in err
    assert not (tmp_path / "n.npz").exists()
