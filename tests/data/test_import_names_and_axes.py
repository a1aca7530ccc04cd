"""`synsp data import` uses what the files say: an .npz's `joint_names` (as `synsp refine -o x.npz` writes them)
name its columns, and the up-axis check judges the bodies' own up direction, also for sparse marker sets."""

import sys
from pathlib import Path

import numpy as np
import pytest

from synsp.cli import main
from synsp.data.corpus import embedded_corpus_path, load_corpus
from synsp.data.custom import check_up_axis, import_corpus
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from test_c3d import build_c3d  # noqa: E402

pytestmark = pytest.mark.usefixtures("clean_skeleton_registry")  # tests/conftest.py

H36 = list(get_skeleton("h36m17").joints)
#: 9 markers (hip, neck, head, shoulders, elbows, thighs) and the Human3.6M-17 joint each is taken from
MARKERS = {"hip": "pelvis", "neck": "neck", "head": "head_top", "rShldr": "right_shoulder", "rForeArm": "right_elbow",
           "lShldr": "left_shoulder", "lForeArm": "left_elbow", "rThigh": "right_hip", "lThigh": "left_hip"}


def standing_clips(count=3, frames=90):
    """Human3.6M-17 clips of the embedded corpus (metres, y up, 30 fps)."""
    clips = sorted(load_corpus(embedded_corpus_path(), skeleton="h36m17", phases="first"), key=lambda c: c.clip_id)
    return [c.positions[:frames].astype(np.float64) for c in clips if c.num_frames >= frames][:count]


def markers(x):
    return x[:, [H36.index(j) for j in MARKERS.values()]]


def z_up(x):
    return np.stack([x[..., 0], -x[..., 2], x[..., 1]], axis=-1)


def stored(path, skeleton):
    return [c.positions for c in sorted(load_corpus(path, skeleton=skeleton, phases="first"), key=lambda c: c.take)]


def test_an_npz_s_joint_names_say_which_joint_each_column_is(tmp_path):
    perm = np.random.default_rng(1).permutation(17)
    clips = standing_clips()
    folder = tmp_path / "in"
    folder.mkdir()
    for i, x in enumerate(clips):
        np.savez(folder / f"clip{i}.npz", positions=x[:, perm], fps=30.0, joint_names=np.array(H36)[perm])
    # with --skeleton, and without it: the names settle h36m17 (coco17 has 17 joints too)
    for skeleton, note in (("h36m17", "matched by name"), (None, "the files' joint names are its joints")):
        out = tmp_path / f"{skeleton}.npz"
        s = import_corpus([folder], out, skeleton=skeleton)
        assert s.skeleton == "h36m17" and note in s.skeleton_note
        for got, x in zip(stored(out, "h36m17"), clips):
            np.testing.assert_allclose(got, x[:len(got)], atol=1e-5)  # pelvis is the pelvis, not column 0


def test_synsp_s_own_npz_output_reimports_on_its_named_joints(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i, x in enumerate(standing_clips()):  # the keys synsp refine -o x.npz writes for a named input
        np.savez(folder / f"take{i}.npz", keypoints=markers(x), fps=np.asarray(30.0), units=np.asarray("m"),
                 joint_names=np.array(list(MARKERS)))
    s = import_corpus([folder], tmp_path / "c.npz")
    assert s.custom and "3 left/right pairs" in s.skeleton_note and "root hip" in s.skeleton_note
    assert len(stored(tmp_path / "c.npz", s.skeleton)) == 3  # (loading registers the corpus's skeleton)
    assert list(get_skeleton(s.skeleton).joints) == list(MARKERS)


def test_stored_names_that_disagree_are_refused_naming_the_files(tmp_path, capsys):
    clips = standing_clips()
    folder = tmp_path / "in"
    folder.mkdir()
    for i, x in enumerate(clips):
        np.savez(folder / f"clip{i}.npz", positions=x, fps=30.0, joint_names=np.array(H36))
    # --joint-names that agree (case and separators aside) are fine; others are refused, naming the first difference
    import_corpus([folder], tmp_path / "same.npz", joint_names=[n.upper() for n in H36])
    other = H36[1:] + H36[:1]
    with pytest.raises(SynspInputError, match=r"clip0.npz: its joint_names array .* and --joint-names .* differ "
                                              r"\(column 0 is 'pelvis' in the file but 'right_hip'"):
        import_corpus([folder], tmp_path / "other.npz", joint_names=other)
    assert main(["data", "import", str(folder), "-o", str(tmp_path / "cli.npz"), "--joint-names",
                 ",".join(other)]) == 2
    assert "drop --joint-names" in capsys.readouterr().err
    # one file of the import names another joint set: refused, naming both files and the names that differ
    np.savez(folder / "clip1.npz", positions=clips[1], fps=30.0, joint_names=np.array(H36[:-1] + ["r_wrist"]))
    with pytest.raises(SynspInputError, match=r"clip1.npz has r_wrist, which clip0.npz lacks; clip0.npz has "
                                              r"right_wrist, which clip1.npz lacks"):
        import_corpus([folder], tmp_path / "mixed.npz")
    # names matching only some of a built-in skeleton's joints are refused, never stored in file order
    for i, x in enumerate(clips):
        np.savez(folder / f"clip{i}.npz", positions=x, fps=30.0, joint_names=np.array(H36[:12] + list("abcde")))
    with pytest.raises(SynspInputError, match=r"match 12 of the 17 joints of skeleton 'h36m17'"):
        import_corpus([folder], tmp_path / "partial.npz", skeleton="h36m17")


def test_sparse_marker_sets_stored_z_up_are_refused_without_up_z(tmp_path, capsys):
    folder = tmp_path / "c3d"
    folder.mkdir()
    for i, x in enumerate(standing_clips()):
        build_c3d(folder / f"take{i}.c3d", list(MARKERS), z_up(markers(x)) * 1000, rate=30.0)
    with pytest.raises(SynspInputError, match=r"along \+y in 0 % of the frames and along the files' z axis in "
                                              r"\d+ %\): pass --up z"):
        import_corpus([folder], tmp_path / "c.npz")
    import_corpus([folder], tmp_path / "z.npz", up="z")
    # unnamed arrays of the same markers (a custom skeleton j0 .. j8): judged by the joints' spread
    arrays = tmp_path / "arrays"
    arrays.mkdir()
    for i, x in enumerate(standing_clips()):
        np.save(arrays / f"take{i}.npy", z_up(markers(x)))
    assert main(["data", "import", str(arrays), "-o", str(tmp_path / "a.npz"), "--fps", "30"]) == 2
    err = capsys.readouterr().err
    assert "along the files' z axis" in err and "pass --up z" in err
    import_corpus([arrays], tmp_path / "az.npz", fps=30.0, up="z")


def lie_down(x, share):
    """``x`` with its middle ``share`` of the frames turned to lie along z (90 degrees about x, about the body's
    centre): a lying or crawling phase inside a standing take."""
    x = x.copy()
    a = int(len(x) * (1 - share) / 2)
    b = a + int(len(x) * share)
    centre = x[a:b].mean(axis=1, keepdims=True)
    x[a:b] = centre + z_up(x[a:b] - centre)
    return x


def test_lying_phases_inside_standing_takes_do_not_decide_the_up_axis(tmp_path):
    takes = [lie_down(x, 0.6) for x in standing_clips()]  # 60 % of each take lying: still standing takes
    folders = {name: tmp_path / name for name in ("h36", "h36_z", "markers", "markers_z")}
    for folder in folders.values():
        folder.mkdir()
    for i, x in enumerate(takes):
        np.save(folders["h36"] / f"take{i}.npy", x)
        np.save(folders["h36_z"] / f"take{i}.npy", z_up(x))
        for name, turn in (("markers", markers), ("markers_z", lambda x: z_up(markers(x)))):
            np.savez(folders[name] / f"take{i}.npz", positions=turn(x), fps=30.0, joint_names=np.array(list(MARKERS)))
    import_corpus([folders["h36"]], tmp_path / "h36.npz", skeleton="h36m17", fps=30.0, cut_glitches=False)
    import_corpus([folders["markers"]], tmp_path / "markers.npz", cut_glitches=False)
    for name in ("h36_z", "markers_z"):  # the same takes stored z-up: refused all the same
        with pytest.raises(SynspInputError, match="pass --up z"):
            import_corpus([folders[name]], tmp_path / f"{name}.npz", skeleton="h36m17" if name == "h36_z" else None,
                          fps=30.0, cut_glitches=False)
    check_up_axis([lie_down(markers(x), 0.3) for x in standing_clips()])  # without names: 30 % lying passes


def test_upside_down_bodies_are_refused_when_their_names_tell_head_from_feet():
    """Review: y-down data (camera coordinates: a body turned 180 degrees about x) passed the up-axis check."""
    down = [x * [1.0, -1.0, -1.0] for x in standing_clips()]
    with pytest.raises(SynspInputError, match=r"upside down .* point along -y in 9\d % of the frames"):
        check_up_axis(down, names=H36)
    check_up_axis(standing_clips(), names=H36)  # standing: passes
    handstand = [np.concatenate([x[:60], x[60:] * [1.0, -1.0, -1.0]]) for x in standing_clips()]  # a third inverted
    check_up_axis(handstand, names=H36)


def test_an_npz_that_states_its_units_is_read_in_them(tmp_path):
    """An .npz as synsp refine writes it (units "cm") needed --units cm to import (read as metres: 100x too big)."""
    (tmp_path / "cm").mkdir()
    for i, x in enumerate(standing_clips()):
        np.savez(tmp_path / "cm" / f"take{i}.npz", keypoints=x * 100.0, fps=30.0, units="cm",
                 joint_names=np.array(H36))
    s = import_corpus([tmp_path / "cm"], tmp_path / "c.npz", cut_glitches=False)
    z = np.load(tmp_path / "c.npz", allow_pickle=False)
    key = next(k for k in z.files if k.startswith(s.skeleton) or k == s.skeleton)
    assert 0.2 < np.nanmedian(np.abs(z[key])) < 2.0  # metres, not centimetres read as metres
    with pytest.warns(UserWarning, match=r"state their own units, used as stated \(cm\)"):
        import_corpus([tmp_path / "cm"], tmp_path / "d.npz", units="mm", cut_glitches=False)
