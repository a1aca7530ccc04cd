"""`synsp data import` guards: joint names that only partly match a built-in skeleton, an output that is one of
the input clips, data whose up axis is not the declared one, and C3D files' own units."""

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

from synsp.cli import main
from synsp.data.corpus import embedded_corpus_path, corpus_meta, load_corpus
from synsp.data.custom import import_corpus
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))
from test_c3d import build_c3d  # noqa: E402


pytestmark = pytest.mark.usefixtures("clean_skeleton_registry")  # tests/conftest.py


def standing_clips(count=3, frames=90):
    """Human3.6M-17 clips of the embedded corpus (metres, y up, 30 fps)."""
    clips = sorted(load_corpus(embedded_corpus_path(), skeleton="h36m17", phases="first"), key=lambda c: c.clip_id)
    return [c.positions[:frames].astype(np.float64) for c in clips if c.num_frames >= frames][:count]


def test_names_that_only_partly_match_a_builtin_skeleton_are_refused_never_stored_in_file_order(tmp_path):
    h36 = list(get_skeleton("h36m17").joints)
    perm = np.random.default_rng(0).permutation(17)
    clips = standing_clips()
    arrays = tmp_path / "arrays"
    arrays.mkdir()
    for i, x in enumerate(clips):
        np.savez(arrays / f"clip{i}.npz", poses=x[:, perm], fps=30.0)
    names = [h36[j] for j in perm]
    # every name matches: stored by name, in h36m17's order
    s = import_corpus([arrays], tmp_path / "ok.npz", skeleton="h36m17", joint_names=names)
    assert "matched by name" in s.skeleton_note
    stored = sorted(load_corpus(tmp_path / "ok.npz", skeleton="h36m17", phases="first"), key=lambda c: c.take)
    np.testing.assert_allclose(stored[0].positions, clips[0][:len(stored[0].positions)], atol=1e-5)
    # 16 of 17 match and one name is unknown: refused, naming both, not stored in file order
    names[names.index("head_top")] = "crown"
    with pytest.raises(SynspInputError, match=r"match 16 of the 17 joints .* not head_top .*crown.*--skeleton"):
        import_corpus([arrays], tmp_path / "bad.npz", skeleton="h36m17", joint_names=names)
    assert not (tmp_path / "bad.npz").exists()
    # C3D markers named in a lab's own spelling (5 of 17 match): refused too
    labels = ["Pelvis", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "Spine", "Thorax", "Neck", "HeadTop",
              "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist"]
    c3d = tmp_path / "c3d"
    c3d.mkdir()
    for i, x in enumerate(clips):
        build_c3d(c3d / f"take{i}.c3d", [labels[j] for j in perm], x[:, perm] * 1000, rate=30.0)
    with pytest.raises(SynspInputError, match=r"match 5 of the 17 joints .* not right_hip.*h36m17 lacks: .*RKnee"):
        import_corpus([c3d], tmp_path / "c3d.npz", skeleton="h36m17")
    # names sharing none with the skeleton (a count match only): file order, as before
    s = import_corpus([arrays], tmp_path / "order.npz", skeleton="h36m17",
                      joint_names=[f"m{i}" for i in range(17)])
    assert "file order" in s.skeleton_note


def test_the_output_is_never_one_of_the_input_clips(tmp_path, capsys):
    for i, x in enumerate(standing_clips()):
        np.savez(tmp_path / f"walk{i}.npz", poses=x, fps=30.0)
    before = hashlib.sha1((tmp_path / "walk0.npz").read_bytes()).hexdigest()
    assert main(["data", "import", str(tmp_path), "-o", str(tmp_path / "walk0.npz"), "--skeleton", "h36m17"]) == 2
    assert "one of the input motion files" in capsys.readouterr().err
    assert hashlib.sha1((tmp_path / "walk0.npz").read_bytes()).hexdigest() == before
    # an earlier import written into the folder is a corpus, not a clip: writing over it is fine
    assert main(["data", "import", str(tmp_path), "-o", str(tmp_path / "corpus.npz"), "--skeleton", "h36m17"]) == 0
    assert main(["data", "import", str(tmp_path), "-o", str(tmp_path / "corpus.npz"), "--skeleton", "h36m17"]) == 0


def test_z_up_data_imported_as_y_up_is_refused_naming_up_z(tmp_path, capsys):
    for i, x in enumerate(standing_clips()):  # z up, as Vicon and most labs store it (x, -z, y)
        np.save(tmp_path / f"take{i}.npy", np.stack([x[..., 0], -x[..., 2], x[..., 1]], axis=-1))
    with pytest.raises(SynspInputError, match="pass --up z"):
        import_corpus([tmp_path], tmp_path / "c.npz", skeleton="h36m17", fps=30.0)
    assert not (tmp_path / "c.npz").exists()
    assert main(["data", "import", str(tmp_path), "-o", str(tmp_path / "c.npz"), "--fps", "30", "--skeleton",
                 "h36m17"]) == 2
    assert "--up z" in capsys.readouterr().err
    import_corpus([tmp_path], tmp_path / "z.npz", skeleton="h36m17", fps=30.0, up="z")
    for c in load_corpus(tmp_path / "z.npz", skeleton="h36m17", phases="first"):
        assert np.ptp(c.positions[..., 1], axis=1).mean() > 1.0  # the bodies stand along y, as stored
    assert main(["data", "import", str(tmp_path), "-o", str(tmp_path / "any.npz"), "--fps", "30", "--skeleton",
                 "h36m17", "--any-up"]) == 0
    # the corpus's own clips (every skeleton it stores) stand along y
    from synsp.data.custom import check_up_axis

    path = embedded_corpus_path()
    for skeleton in corpus_meta(path)["skeletons"]:
        check_up_axis([c.positions for c in load_corpus(path, skeleton=skeleton, phases="first")])


def test_c3d_files_are_read_in_their_own_units_whatever_units_says(tmp_path):
    labels = list(get_skeleton("h36m17").joints)
    clips = standing_clips()
    for i, x in enumerate(clips):
        zup = np.stack([x[..., 0], -x[..., 2], x[..., 1]], axis=-1)
        build_c3d(tmp_path / f"take{i}.c3d", labels, zup * 1000, rate=30.0, units="mm")
    with pytest.warns(UserWarning, match="C3D and TRC files .* state their own units"):
        import_corpus([tmp_path], tmp_path / "cm.npz", skeleton="h36m17", up="z", units="cm")
    stored = sorted(load_corpus(tmp_path / "cm.npz", skeleton="h36m17", phases="first"), key=lambda c: c.take)
    np.testing.assert_allclose(stored[0].positions, clips[0][:len(stored[0].positions)], atol=1e-4)  # mm -> m


def test_bodies_of_a_size_no_person_has_name_the_unit_that_fits(tmp_path, capsys):
    clips = standing_clips()
    for i, x in enumerate(clips):  # millimetres, saved as arrays (read as metres by default)
        np.save(tmp_path / f"take{i}.npy", x * 1000)
    with pytest.raises(SynspInputError, match=r"3 file\(s\) hold bodies .* outside 0.05-0.8 m .*--units mm \("
                                              r"read as m\)"):
        import_corpus([tmp_path], tmp_path / "c.npz", skeleton="h36m17", fps=30.0)
    assert not (tmp_path / "c.npz").exists()
    assert main(["data", "import", str(tmp_path), "-o", str(tmp_path / "c.npz"), "--fps", "30", "--skeleton",
                 "h36m17", "--units", "in"]) == 2  # 25.4 times too large
    assert "--units mm (read as in)" in capsys.readouterr().err
    import_corpus([tmp_path], tmp_path / "mm.npz", skeleton="h36m17", fps=30.0, units="mm")
    stored = sorted(load_corpus(tmp_path / "mm.npz", skeleton="h36m17", phases="first"), key=lambda c: c.take)
    np.testing.assert_allclose(stored[0].positions, clips[0][:len(stored[0].positions)], atol=1e-9)
    for i, x in enumerate(clips):  # a file that states the wrong unit: its header is named, not --units
        zup = np.stack([x[..., 0], -x[..., 2], x[..., 1]], axis=-1)
        (tmp_path / "c3d").mkdir(exist_ok=True)
        build_c3d(tmp_path / "c3d" / f"take{i}.c3d", list(get_skeleton("h36m17").joints), zup * 1000,
                  rate=30.0, units="m")
    with pytest.raises(SynspInputError, match=r"states its own units \(m\): fix them, it looks like mm"):
        import_corpus([tmp_path / "c3d"], tmp_path / "c.npz", skeleton="h36m17", up="z")
    (tmp_path / "in").mkdir()
    for i, x in enumerate(clips):  # inches read as centimetres: 2.54 times too small, a child's height
        np.save(tmp_path / "in" / f"take{i}.npy", x / 0.0254)
    with pytest.warns(UserWarning, match=r"less than 0.2 m from their centre .*: children .* --units in "
                                         r"\(read as cm\)"):
        import_corpus([tmp_path / "in"], tmp_path / "in.npz", skeleton="h36m17", fps=30.0, units="cm")


def test_a_few_markers_elsewhere_do_not_make_a_body_of_another_size(tmp_path):
    # static floor markers 3 m apart and a reference at the origin beside a subject 2 m away (a review found such
    # files refused as a wrong unit when the whole extent was taken for the body's height)
    from synsp.data.custom import body_size, check_body_size

    floor = np.array([[1.5, 0, 1.5], [-1.5, 0, 1.5], [1.5, 0, -1.5], [-1.5, 0, -1.5], [0, 0, 0]])
    for x in standing_clips():
        body = x + np.array([2.0, 0.0, 0.0])
        marked = np.concatenate([body, np.broadcast_to(floor, (len(x), 5, 3))], axis=1)[:, None]  # (T, 1, 22, 3)
        size = body_size(marked)
        assert 0.3 < body_size(x[:, None]) < 0.45 and 0.3 < size < 0.65  # 5 of 22 markers elsewhere: a little larger
        check_body_size({"take": size}, {"take": "mm"}, {"take": True})  # not refused


def test_placeholder_frames_are_cut_and_missing_frames_are_not_called_glitches(tmp_path):
    # frames an exporter wrote as zeros (a body collapsed to a point, or one marker at exactly (0, 0, 0)) were imported
    # as training clips; a file with a joint NaN on every third frame was reported as "200 of 300 frames" of glitches
    # and, with nothing left of it, was not listed as left out
    clips = standing_clips(count=4, frames=90)
    folder = tmp_path / "clips"
    folder.mkdir()
    collapsed, marker, holes = clips[0].copy(), clips[1].copy(), clips[2].copy()
    collapsed[30:60] = 0.0
    marker[10:20, 16] = 0.0  # the right wrist lost for 10 frames, written as zeros
    holes[::3, 5] = np.nan
    for name, x in (("collapsed", collapsed), ("marker", marker), ("holes", holes), ("clean", clips[3])):
        np.save(folder / f"{name}.npy", x)
    s = import_corpus([folder], tmp_path / "c.npz", skeleton="h36m17", fps=30.0)
    said = " | ".join(s.dropped)
    assert "collapsed.npy: 30 of 90 frames with the body collapsed to one point" in said
    assert "marker.npy: 10 of 90 frames" in said
    assert "holes.npy: 30 of 90 frames with a joint not finite (NaN: missing)" in said
    assert "holes.npy: no piece of at least 8 frames left" in said and not any("holes" in g for g in s.glitches)
    for clip in load_corpus(tmp_path / "c.npz", skeleton="h36m17"):
        spread = np.linalg.norm(clip.positions - clip.positions.mean(axis=1, keepdims=True), axis=-1).max(axis=-1)
        assert spread.min() > 0.1 and not (clip.positions == 0).all(axis=-1).any()
    # a root-centred export keeps its root at the origin in every frame: a pose, not a placeholder
    from synsp.data.custom import placeholder_frames

    centred = clips[3] - clips[3][:, :1]
    assert not placeholder_frames(centred).any()
    # a glitch inside a run of usable frames shorter than the glitch margin (between two missing frames) crashed
    from synsp.data.corpus import glitch_frames

    short = clips[3][:5].copy()
    short[2, 4] += 1.0
    assert glitch_frames(short, 30.0).all() and len(glitch_frames(short, 30.0)) == 5
