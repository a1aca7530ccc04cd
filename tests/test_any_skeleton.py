"""Any skeleton, any file: the filter fallback, people without track ids, hands and faces, and drawing
skeletons synsp has no name for (issue 14, part 1)."""

import json

import numpy as np
import pytest

import synsp
from synsp.cli import main
from synsp.filters import get_filter
from synsp.skeletons import SKELETONS
from synsp.validation import SynspInputError

#: the 22 markers of a Pose2Sim TRC (HALPE-26 body without eyes and ears) and a hierarchy for them
POSE2SIM22 = ["Hip", "RHip", "RKnee", "RAnkle", "RBigToe", "RSmallToe", "RHeel", "LHip", "LKnee", "LAnkle",
              "LBigToe", "LSmallToe", "LHeel", "Neck", "Head", "Nose", "RShoulder", "RElbow", "RWrist",
              "LShoulder", "LElbow", "LWrist"]
PARENTS22 = [-1, 0, 1, 2, 3, 3, 3, 0, 7, 8, 9, 9, 9, 0, 13, 14, 13, 16, 17, 13, 19, 20]


pytestmark = pytest.mark.usefixtures("clean_skeleton_registry")  # tests/conftest.py


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def markers(frames=90, seed=0, joints=22):
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None, None] / 30.0
    base = rng.normal(scale=0.3, size=(1, joints, 3)) + np.array([0, 1, 0])
    return base + 0.2 * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 6, size=(1, joints, 1))) \
        + rng.normal(scale=0.01, size=(frames, joints, 3))


def test_a_22_marker_trc_falls_back_to_the_universal_model_and_says_so(capsys, tmp_path):
    from synsp.io import read_trc, write_trc
    from synsp.refiners import get_refiner

    pos = markers()
    write_trc(tmp_path / "in.trc", pos, marker_names=POSE2SIM22, fps=30.0, units="m")
    code, out, err = run(capsys, "refine", tmp_path / "in.trc", "-o", tmp_path / "out.trc")
    assert code == 0, err
    assert "with synsp-universal-w16" in out
    assert "no shipped model" not in out  # the universal model is the default for any body: nothing to excuse
    refined = read_trc(tmp_path / "out.trc").positions
    expected = get_refiner("synsp-universal-w16")(pos, fps=30.0)
    np.testing.assert_allclose(refined, expected, atol=1e-5)  # TRC keeps 6 decimals
    assert np.abs(expected - pos).max() > 1e-4  # the network did refine
    # --model names any method
    code, out, err = run(capsys, "refine", tmp_path / "in.trc", "-o", tmp_path / "one.trc", "--model", "one-euro")
    assert code == 0 and "with one-euro" in out and "no shipped model" not in out


def test_the_api_falls_back_too_and_the_summary_says_why():
    from synsp.api import FALLBACK_FILTER, UNIVERSAL_MODEL, VIEWS_MODEL, choose_model, refine_pose_file
    from synsp.io.tracks import PoseFile, Track
    from synsp.refiners import get_refiner

    x = markers(joints=22)
    np.testing.assert_allclose(synsp.refine(x, fps=30), get_refiner(UNIVERSAL_MODEL)(x, fps=30), atol=1e-9)
    # the default for one person's body, any joint set: the universal model (it does least harm to clean input)
    assert choose_model(17, 3) == choose_model(17, 2) == choose_model(22, 3) == (UNIVERSAL_MODEL, None)
    # a whole body (COCO-WholeBody): the universal model on its body and feet, the face and hands following
    assert choose_model(133, 2) == choose_model(133, 3) == (UNIVERSAL_MODEL, None)
    # several 3D views: refined together by the universal model trained on views, then fused
    assert choose_model(17, 3, views=4) == ("synsp-universal-w16-views+view-mean", None)
    assert choose_model(22, 2)[0] == UNIVERSAL_MODEL  # the same weights refine 2D
    # not bodies: the filter
    assert choose_model(21, 2, "hand21") == (FALLBACK_FILTER, "no shipped model for 21 joints in 2D on skeleton "
                                             "'hand21': refined with the butterworth filter")
    assert choose_model(22, 3, views=4)[0] == VIEWS_MODEL + "+view-mean"  # any body's views: fused
    assert choose_model(17, 2, views=4)[0] == UNIVERSAL_MODEL  # 2D views: each camera's image alone, not averaged
    # one point (a ball, a centroid): no shape for a network to read (it would come back unchanged): the filter
    assert choose_model(1, 3)[0] == choose_model(1, 2)[0] == FALLBACK_FILTER and "one point" in choose_model(1, 3)[1]
    point = x[:, :1] + np.random.default_rng(1).normal(scale=0.02, size=x[:, :1].shape)
    assert np.abs(synsp.refine(point, fps=30) - point).mean() > 0.005  # refined, not returned as it came
    with pytest.raises(SynspInputError, match="one point per frame has no shape"):
        synsp.refine(point, model=UNIVERSAL_MODEL, fps=30)
    pf = PoseFile([Track(0, np.arange(90), x)], num_frames=90, format="array", units="m")
    _, summary = refine_pose_file(pf, fps=30)
    assert summary["model"] == UNIVERSAL_MODEL and summary["fallback"] is None
    _, summary = refine_pose_file(pf, fps=30, model="savgol")
    assert summary["fallback"] is None


def test_cli_errors_name_the_cli_flag_not_the_python_keyword(capsys, tmp_path):
    np.save(tmp_path / "short.npy", markers(frames=3, joints=22))  # fewer than the 4 frames a network needs
    code, out, err = run(capsys, "refine", tmp_path / "short.npy", "-o", tmp_path / "o.npy")
    assert code == 2 and "--model kalman-rts" in err and "model=" not in err


def _two_people(frames=60, swap_every=7, ids=False, joints=17):
    """MMPose 1.x frames of two people walking apart; the instance order flips every few frames."""
    rng = np.random.default_rng(3)
    shape = rng.normal(scale=20, size=(joints, 2))
    doc = []
    for f in range(frames):
        people = [shape + [100 + 2 * f, 200], shape + [500 - 2 * f, 220]]
        people = [p + rng.normal(scale=1.0, size=p.shape) for p in people]
        order = [1, 0] if (f // swap_every) % 2 else [0, 1]
        inst = [{"keypoints": people[k].tolist(), "keypoint_scores": [0.9] * joints,
                 **({"track_id": k} if ids else {})} for k in order]
        doc.append({"frame_id": f, "instances": inst})
    return doc


def test_mmpose_people_without_track_ids_are_followed_by_default(capsys, tmp_path):
    from synsp.io import keypoints_json as kj

    (tmp_path / "two.json").write_text(json.dumps(_two_people()))
    pf = kj.read(tmp_path / "two.json", assign_ids="track")
    assert [t.track_id for t in pf.tracks] == [0, 1]
    for t in pf.tracks:  # each track stays on one side of the picture: no jump between the people
        assert np.abs(np.diff(t.keypoints.mean(1)[:, 0])).max() < 20
    code, out, err = run(capsys, "refine", tmp_path / "two.json", "-o", tmp_path / "out.json")
    assert code == 0, err
    assert "2 person(s)" in out
    code, out, err = run(capsys, "refine", tmp_path / "two.json", "-o", tmp_path / "o2.json", "--assign-ids", "none")
    assert code == 2 and "--assign-ids track" in err and "assign_ids=" not in err
    code, out, err = run(capsys, "refine", tmp_path / "two.json", "-o", tmp_path / "o3.json", "--assign-ids", "order")
    assert code == 0, err
    # the file's own track ids win over "track"
    (tmp_path / "ids.json").write_text(json.dumps(_two_people(ids=True)))
    pf = kj.read(tmp_path / "ids.json", assign_ids="track")
    first = pf.track(0).keypoints.mean(1)[:, 0]
    assert (first < 300).all()


@pytest.mark.parametrize("joints, skeleton", [(21, "hand21"), (68, "face68")])
def test_hands_and_faces_are_recognised_and_refined_by_a_filter(capsys, tmp_path, joints, skeleton):
    from synsp.io.tracks import read_pose_file

    doc = _two_people(ids=True, joints=joints)
    (tmp_path / "in.json").write_text(json.dumps(doc))
    assert read_pose_file(tmp_path / "in.json").skeleton == skeleton
    code, out, err = run(capsys, "refine", tmp_path / "in.json", "-o", tmp_path / "out.json")
    assert code == 0, err
    assert "with butterworth" in out and f"no shipped model for {joints} joints in 2D on skeleton '{skeleton}'" in out
    demo = {"meta_info": {"dataset_name": "onehand10k" if joints == 21 else "300w"}, "instance_info": doc}
    (tmp_path / "demo.json").write_text(json.dumps(demo))
    assert read_pose_file(tmp_path / "demo.json").skeleton == skeleton
    # drawn with their bones
    code, out, err = run(capsys, "render", tmp_path / "in.json", tmp_path / "out.json", "-o", tmp_path / "a.gif",
                         "--max-frames", "2")
    assert code == 0, err


def test_hand21_and_face68_trees():
    hand, face = SKELETONS["hand21"], SKELETONS["face68"]
    assert hand.joints[0] == "hand_root" and hand.parents[1:5] == (0, 1, 2, 3) and hand.parents[17] == 0
    assert face.joints[30] == "nose_bridge_4" and face.tree_roots == (30,) and len(face.left_right) == 29
    coco133 = SKELETONS["coco133"].joints
    assert list(face.joints) == list(coco133[23:91])  # the same 68 names as WholeBody's face
    assert [f"left_{n}" for n in hand.joints] == list(coco133[91:112])


def test_render_draws_a_custom_skeleton_from_its_corpus_and_points_otherwise(capsys, tmp_path):
    from synsp.cli import _drawing_skeleton
    from synsp.io import write_trc
    from synsp.io.tracks import read_pose_file

    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(2):
        write_trc(clips / f"take{i}.trc", markers(seed=i), marker_names=POSE2SIM22, fps=30.0, units="m")
    code, out, err = run(capsys, "data", "import", clips, "-o", tmp_path / "mine.npz", "--skeleton", "pose2sim22",
                         "--parents", ",".join(map(str, PARENTS22)))
    assert code == 0, err
    SKELETONS.pop("pose2sim22", None)  # a new process: only the corpus knows it
    raw = clips / "take0.trc"
    assert run(capsys, "refine", raw, "-o", tmp_path / "ref.trc")[0] == 0
    pf = read_pose_file(raw)
    assert SKELETONS[_drawing_skeleton(None, pf, 22)].num_bones == 0  # the markers' names, no hierarchy: points
    assert _drawing_skeleton(str(tmp_path / "mine.npz"), pf, 22) == "pose2sim22"
    assert SKELETONS["pose2sim22"].num_bones == 21
    for extra in ([], ["--skeleton", tmp_path / "mine.npz"]):
        code, out, err = run(capsys, "render", raw, tmp_path / "ref.trc", "-o", tmp_path / f"a{len(extra)}.gif",
                             "--max-frames", "2", *extra)
        assert code == 0, err
    code, out, err = run(capsys, "plot", raw, tmp_path / "ref.trc", "-o", tmp_path / "p.png",
                         "--skeleton", tmp_path / "mine.npz", "--joints", "RWrist")
    assert code == 0, err


def test_a_bvh_file_is_drawn_with_its_own_hierarchy(tmp_path):
    from synsp.cli import _drawing_skeleton
    from synsp.io.tracks import PoseFile, Track

    names = ["hips", "left_up_leg", "left_leg", "right_up_leg", "right_leg"]
    pf = PoseFile([Track(0, np.arange(3), np.zeros((3, 5, 3)))], num_frames=3, format="bvh",
                  meta={"joint_names": names, "parents": np.array([-1, 0, 1, 0, 3])})
    sk = _drawing_skeleton(None, pf, 5)
    assert sk.bones == ((1, 0), (2, 1), (3, 0), (4, 3)) and sk.left_right == ((1, 3), (2, 4))
