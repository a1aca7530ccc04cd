"""Specifications of synsp.skeletons: joint orders, trees, mirror symmetry and joint mappings."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from synsp.skeletons import (
    BUILTIN_SKELETONS,
    CMU31_ASF_BONES,
    SKELETONS,
    Skeleton,
    describe_mapping,
    get_skeleton,
    has_mapping,
    map_skeleton,
    mapping_matrix,
    mapping_targets,
    register_skeleton,
    skeleton_for,
)
from synsp.validation import SynspInputError

EXPECTED_COUNTS = {
    "h36m17": 17,
    "coco17": 17,
    "coco133": 133,
    "smpl24": 24,
    "j14": 14,
    "crowdpose14": 14,
    "mediapipe33": 33,
    "body25": 25,
    "cmu31": 31,
    "hand21": 21,
    "face68": 68,
    "openpose137": 137,
    "halpe26": 26,
    "halpe136": 136,
}

ALL = sorted(SKELETONS)
PAIRS = [(a, b) for a in ALL for b in ALL if has_mapping(a, b)]
NON_IDENTITY = [(a, b) for a, b in PAIRS if a != b]


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _side(name: str) -> int:
    return 1 if name.startswith("left_") else -1 if name.startswith("right_") else 0


def _lateral_pose(sk: Skeleton, rng: np.random.Generator, frames: int = 4) -> np.ndarray:
    """(T, J, 3) poses with x > 0 on left joints, x < 0 on right joints, x = 0 on the midline."""
    x = rng.normal(size=(frames, sk.num_joints, 3))
    side = np.array([_side(n) for n in sk.joints], dtype=float)
    x[..., 0] = side * rng.uniform(0.5, 1.5, size=(frames, sk.num_joints))
    return x


# ---- registry -------------------------------------------------------------------------------


def test_registry_holds_exactly_the_documented_skeletons():
    # (other tests register custom skeletons in this process: a TRC's or C3D's named markers, a corpus)
    assert {n: s.num_joints for n, s in SKELETONS.items() if n in BUILTIN_SKELETONS} == EXPECTED_COUNTS
    assert set(BUILTIN_SKELETONS) == set(EXPECTED_COUNTS)
    assert all(s.name == n for n, s in SKELETONS.items())


def test_skeleton_for_lists_candidates_by_joint_count():
    assert skeleton_for(17) == ["h36m17", "coco17"]
    assert skeleton_for(14) == ["j14", "crowdpose14"]
    assert skeleton_for(133) == ["coco133"]
    assert skeleton_for(137) == ["openpose137"]
    assert skeleton_for(26) == ["halpe26"] and skeleton_for(136) == ["halpe136"]
    assert skeleton_for(18) == []


def test_get_skeleton_returns_registered_and_passes_instances_through():
    assert get_skeleton("h36m17") is SKELETONS["h36m17"]
    assert get_skeleton(SKELETONS["j14"]) is SKELETONS["j14"]


def test_unknown_skeleton_raises_listing_known_names():
    with pytest.raises(SynspInputError) as err:
        get_skeleton("h36m18")
    for name in SKELETONS:
        assert name in str(err.value)


# ---- structure of every skeleton --------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_names_are_unique_snake_case(name):
    sk = SKELETONS[name]
    assert len(set(sk.joints)) == sk.num_joints
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", n) for n in sk.joints)


@pytest.mark.parametrize("name", ALL)
def test_parents_form_a_forest_whose_roots_are_flagged(name):
    sk = SKELETONS[name]
    assert len(sk.parents) == sk.num_joints
    roots = [j for j, p in enumerate(sk.parents) if p == -1]
    assert roots and tuple(roots) == sk.tree_roots
    for j in range(sk.num_joints):  # every joint climbs to a flagged root in fewer than J steps
        k, steps = j, 0
        while sk.parents[k] != -1:
            k, steps = sk.parents[k], steps + 1
            assert steps < sk.num_joints
        assert k in roots
    assert len(sk.bones) == sk.num_joints - len(roots)  # a forest: J - (components) edges


@pytest.mark.parametrize("name", ALL)
def test_every_skeleton_is_one_connected_tree(name):
    assert len(SKELETONS[name].tree_roots) == 1


@pytest.mark.parametrize("name", ALL)
def test_left_right_pairs_are_name_consistent_and_complete(name):
    sk = SKELETONS[name]
    for a, b in sk.left_right:
        assert sk.joints[a].startswith("left_")
        assert sk.joints[b] == "right_" + sk.joints[a][len("left_"):]
    sided = [n for n in sk.joints if _side(n) != 0]
    assert len(sided) == 2 * len(sk.left_right)


@pytest.mark.parametrize("name", ALL)
def test_flip_permutation_is_an_involution_swapping_the_pairs(name):
    sk = SKELETONS[name]
    perm = np.array(sk.flip_permutation)
    assert sorted(perm) == list(range(sk.num_joints))
    assert np.array_equal(perm[perm], np.arange(sk.num_joints))
    for j, n in enumerate(sk.joints):
        assert _side(sk.joints[perm[j]]) == -_side(n)


@pytest.mark.parametrize("name", ALL)
def test_mirror_twice_is_identity_and_mirror_keeps_anatomical_sides(name):
    sk = SKELETONS[name]
    rng = np.random.default_rng(0)
    x = _lateral_pose(sk, rng)
    m = sk.mirror(x, axis=0)
    np.testing.assert_array_equal(sk.mirror(m, axis=0), x)
    # negating x and relabelling both keep left joints at x > 0
    side = np.array([_side(n) for n in sk.joints])
    assert np.all(m[..., side > 0, 0] > 0) and np.all(m[..., side < 0, 0] < 0)


@pytest.mark.parametrize("name", ALL)
def test_mirror_preserves_bone_lengths_up_to_the_flip(name):
    sk = SKELETONS[name]
    x = np.random.default_rng(1).normal(size=(3, sk.num_joints, 3))
    perm = sk.flip_permutation

    def key(c, p):
        return tuple(sorted((c, p)))

    assert {key(perm[c], perm[p]) for c, p in sk.bones} == {key(*b) for b in sk.bones}  # symmetric
    length = {key(*b): v for b, v in zip(sk.bones, np.moveaxis(sk.bone_lengths(x), -1, 0))}
    mirrored = sk.bone_lengths(sk.mirror(x, axis=2))
    for (c, p), v in zip(sk.bones, np.moveaxis(mirrored, -1, 0)):
        np.testing.assert_allclose(v, length[key(perm[c], perm[p])], rtol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_bone_lengths_are_invariant_to_rigid_motion(name):
    sk = SKELETONS[name]
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, sk.num_joints, 3))
    moved = x @ _random_rotation(rng).T + rng.normal(size=3) * 10
    assert sk.bone_lengths(x).shape == (5, sk.num_bones)
    np.testing.assert_allclose(sk.bone_lengths(moved), sk.bone_lengths(x), rtol=1e-10, atol=1e-12)


def test_bone_lengths_of_a_unit_chain():
    sk = SKELETONS["h36m17"]
    x = np.zeros((17, 2))
    x[sk.index("right_hip")] = [3.0, 4.0]
    lengths = dict(zip(sk.bones, sk.bone_lengths(x)))
    assert lengths[(sk.index("right_hip"), sk.index("pelvis"))] == 5.0
    assert lengths[(sk.index("right_knee"), sk.index("right_hip"))] == 5.0
    assert lengths[(sk.index("left_hip"), sk.index("pelvis"))] == 0.0


def test_torch_inputs_keep_type_dtype_and_gradients():
    sk = SKELETONS["smpl24"]
    x = torch.randn(2, 24, 3, dtype=torch.float32, requires_grad=True)
    m = sk.mirror(x)
    assert isinstance(m, torch.Tensor) and m.dtype == torch.float32
    np.testing.assert_allclose(m.detach().numpy(), sk.mirror(x.detach().numpy()), rtol=1e-6)
    b = sk.bone_lengths(x)
    np.testing.assert_allclose(b.detach().numpy(), sk.bone_lengths(x.detach().numpy()), rtol=1e-5)
    y = map_skeleton(x, "smpl24", "h36m17")
    assert y.shape == (2, 17, 3) and y.dtype == torch.float32
    (b.sum() + y.sum()).backward()
    assert x.grad is not None


def test_wrong_joint_count_raises():
    with pytest.raises(SynspInputError, match="J = 17"):
        SKELETONS["h36m17"].mirror(np.zeros((4, 16, 3)))
    with pytest.raises(SynspInputError, match="J = 24"):
        map_skeleton(np.zeros((4, 17, 3)), "smpl24", "h36m17")


# ---- construction checks ----------------------------------------------------------------------


def test_construction_rejects_cycles_duplicates_and_overlapping_pairs():
    names = ("pelvis", "left_hip", "right_hip")
    Skeleton("ok", names, (-1, 0, 0), ((1, 2),), (0,))
    with pytest.raises(SynspInputError, match="cycle"):
        Skeleton("bad", names, (2, 0, 1), ((1, 2),), (0,))
    with pytest.raises(SynspInputError, match="duplicate"):
        Skeleton("bad", ("a", "a", "b"), (-1, 0, 0), (), (0,))
    with pytest.raises(SynspInputError, match="more than one"):
        Skeleton("bad", names, (-1, 0, 0), ((1, 2), (2, 0)), (0,))
    with pytest.raises(SynspInputError, match="parent"):
        Skeleton("bad", names, (-1, 0, 5), (), (0,))
    with pytest.raises(SynspInputError, match="root_joints"):
        Skeleton("bad", names, (-1, 0, 0), (), ())


def test_index_of_unknown_joint_lists_the_joints():
    with pytest.raises(SynspInputError, match="left_hip"):
        SKELETONS["j14"].index("pelvis")


# ---- joint orders ------------------------------------------------------------------------------

SPOT_CHECKS = {  # "index name" items, from each format's documentation
    "crowdpose14": "0 left_shoulder, 1 right_shoulder, 4 left_wrist, 5 right_wrist, 6 left_hip, 11 right_ankle, "
    "12 head_top, 13 neck",
    "h36m17": "0 pelvis, 1 right_hip, 3 right_ankle, 4 left_hip, 7 spine, 8 thorax, 9 neck, "
    "10 head_top, 11 left_shoulder, 13 left_wrist, 14 right_shoulder, 16 right_wrist",
    "coco17": "0 nose, 1 left_eye, 4 right_ear, 5 left_shoulder, 6 right_shoulder, 9 left_wrist, "
    "11 left_hip, 12 right_hip, 16 right_ankle",
    "coco133": "0 nose, 16 right_ankle, 17 left_big_toe, 19 left_heel, 20 right_big_toe, "
    "22 right_heel, 23 right_jaw_8, 31 chin, 39 left_jaw_8, 53 nose_bridge_4, 56 nose_base, "
    "59 right_eye_outer_corner, 68 left_eye_outer_corner, 71 right_mouth_corner, "
    "77 left_mouth_corner, 91 left_hand_root, 92 left_thumb1, 96 left_forefinger1, "
    "111 left_pinky_finger4, 112 right_hand_root, 132 right_pinky_finger4",
    "openpose137": "0 nose, 1 neck, 8 mid_hip, 24 right_heel, 25 right_jaw_8, 33 chin, 55 nose_bridge_4, "
    "93 right_pupil, 94 left_pupil, 95 left_hand_root, 96 left_thumb1, 115 left_pinky_finger4, "
    "116 right_hand_root, 136 right_pinky_finger4",
    "halpe26": "0 nose, 1 left_eye, 4 right_ear, 5 left_shoulder, 10 right_wrist, 11 left_hip, 16 right_ankle, "
    "17 head_top, 18 neck, 19 mid_hip, 20 left_big_toe, 21 right_big_toe, 22 left_small_toe, "
    "23 right_small_toe, 24 left_heel, 25 right_heel",
    "halpe136": "19 mid_hip, 25 right_heel, 26 right_jaw_8, 34 chin, 56 nose_bridge_4, 94 left_hand_root, "
    "114 left_pinky_finger4, 115 right_hand_root, 135 right_pinky_finger4",
    "smpl24": "0 pelvis, 1 left_hip, 2 right_hip, 3 spine1, 9 spine3, 12 neck, 15 head, "
    "16 left_shoulder, 17 right_shoulder, 20 left_wrist, 23 right_hand",
    "j14": "0 right_ankle, 2 right_hip, 3 left_hip, 5 left_ankle, 6 right_wrist, 8 right_shoulder, "
    "9 left_shoulder, 11 left_wrist, 12 neck, 13 head_top",
    "mediapipe33": "0 nose, 1 left_eye_inner, 2 left_eye, 4 right_eye_inner, 7 left_ear, "
    "9 left_mouth_corner, 11 left_shoulder, 12 right_shoulder, 15 left_wrist, 17 left_pinky, "
    "19 left_index, 21 left_thumb, 23 left_hip, 24 right_hip, 27 left_ankle, 29 left_heel, "
    "31 left_foot_index, 32 right_foot_index",
    "body25": "0 nose, 1 neck, 2 right_shoulder, 4 right_wrist, 5 left_shoulder, 8 mid_hip, "
    "9 right_hip, 11 right_ankle, 12 left_hip, 14 left_ankle, 15 right_eye, 16 left_eye, "
    "17 right_ear, 18 left_ear, 19 left_big_toe, 21 left_heel, 22 right_big_toe, 24 right_heel",
    "cmu31": "0 pelvis, 1 left_hip, 2 left_knee, 3 left_ankle, 4 left_toe_base, 5 left_toe_tip, "
    "6 right_hip, 10 right_toe_tip, 11 lower_back, 13 thorax, 16 head_top, 17 left_shoulder, "
    "18 left_elbow, 19 left_wrist, 23 left_thumb_end, 24 right_shoulder, 26 right_wrist, "
    "30 right_thumb_end",
    "hand21": "0 hand_root, 1 thumb1, 4 thumb4, 5 forefinger1, 9 middle_finger1, 13 ring_finger1, 20 pinky_finger4",
    "face68": "0 right_jaw_8, 8 chin, 16 left_jaw_8, 17 right_eyebrow_1, 21 right_eyebrow_5, 22 left_eyebrow_5, "
    "30 nose_bridge_4, 33 nose_base, 36 right_eye_outer_corner, 45 left_eye_outer_corner, 48 right_mouth_corner, "
    "54 left_mouth_corner, 66 inner_lower_lip_center",
}


@pytest.mark.parametrize("name", ALL)
def test_spot_checks_of_joint_order(name):
    sk = SKELETONS[name]
    for item in SPOT_CHECKS[name].split(", "):
        index, joint = int(item.split()[0]), item.split()[1]
        assert sk.joints[index] == joint
        assert sk.index(joint) == index


def test_root_joints_match_smoothnet_conventions():
    assert SKELETONS["h36m17"].root_joints == (0,)
    assert SKELETONS["j14"].root_joints == (2, 3)
    assert SKELETONS["body25"].root_joints == (8,)
    assert SKELETONS["smpl24"].root_joints == (0,)
    assert SKELETONS["cmu31"].root_joints == (0,)
    sk = SKELETONS["coco17"]
    assert {sk.joints[j] for j in sk.root_joints} == {"left_hip", "right_hip"}
    x = np.random.default_rng(3).normal(size=(2, 14, 3))
    np.testing.assert_allclose(SKELETONS["j14"].root_position(x), x[:, [2, 3]].mean(1))


def test_smpl_kinematic_tree_is_the_standard_one():
    assert SKELETONS["smpl24"].parents == (
        -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21
    )


def test_cmu31_parents_follow_the_asf_hierarchy():
    # bone -> parent bone, from the :hierarchy section of the CMU ASF files
    hierarchy = """
        root lhipjoint rhipjoint lowerback
        lhipjoint lfemur
        lfemur ltibia
        ltibia lfoot
        lfoot ltoes
        rhipjoint rfemur
        rfemur rtibia
        rtibia rfoot
        rfoot rtoes
        lowerback upperback
        upperback thorax
        thorax lowerneck lclavicle rclavicle
        lowerneck upperneck
        upperneck head
        lclavicle lhumerus
        lhumerus lradius
        lradius lwrist
        lwrist lhand lthumb
        lhand lfingers
        rclavicle rhumerus
        rhumerus rradius
        rradius rwrist
        rwrist rhand rthumb
        rhand rfingers
    """
    parent = {}
    for line in hierarchy.strip().splitlines():
        head, *children = line.split()
        parent.update({c: head for c in children})
    order = (
        "root lhipjoint lfemur ltibia lfoot ltoes rhipjoint rfemur rtibia rfoot rtoes lowerback "
        "upperback thorax lowerneck upperneck head lclavicle lhumerus lradius lwrist lhand "
        "lfingers lthumb rclavicle rhumerus rradius rwrist rhand rfingers rthumb"
    ).split()
    expected = tuple(order.index(parent[b]) if b in parent else -1 for b in order)
    assert SKELETONS["cmu31"].parents == expected
    assert CMU31_ASF_BONES == tuple(order)  # the names synsp data import recognises as cmu31


def test_coco133_face_pairs_are_the_ibug_flip_pairs():
    pairs = (
        [(i, 16 - i) for i in range(8)]  # jaw contour
        + [(17 + i, 26 - i) for i in range(5)]  # eyebrows
        + [(31, 35), (32, 34)]  # lower nose
        + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
        + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58)]  # outer lips
        + [(60, 64), (61, 63), (65, 67)]  # inner lips
    )
    flip = list(range(68))
    for a, b in pairs:
        flip[a], flip[b] = b, a
    perm = SKELETONS["coco133"].flip_permutation
    assert [perm[23 + i] - 23 for i in range(68)] == flip
    assert [perm[91 + i] for i in range(21)] == [112 + i for i in range(21)]  # hand point by point


# ---- mappings ----------------------------------------------------------------------------------


def test_documented_mappings_exist_and_unsound_ones_do_not():
    documented = (
        "cmu31 h36m17, h36m17 j14, smpl24 h36m17, smpl24 j14, mediapipe33 coco17, "
        "body25 coco17, coco133 coco17, cmu31 j14, coco133 body25, openpose137 body25, openpose137 coco17, "
        "halpe26 coco17, halpe136 halpe26, halpe136 coco17"
    )
    for pair in documented.split(", "):
        assert has_mapping(*pair.split())
    for name in ALL:
        assert has_mapping(name, name)
    assert not has_mapping("coco17", "h36m17")
    assert not has_mapping("j14", "h36m17")
    assert not has_mapping("nonsense", "h36m17")


def test_unknown_mapping_raises_naming_the_available_targets():
    with pytest.raises(SynspInputError) as err:
        map_skeleton(np.zeros((2, 17, 2)), "coco17", "smpl24")
    msg = str(err.value)
    assert "coco17" in msg and "smpl24" in msg
    for target in mapping_targets("coco17"):
        assert target in msg
    with pytest.raises(SynspInputError) as err:
        mapping_matrix("smpl24", "coco17")
    for target in ("smpl24", "h36m17", "j14"):
        assert target in str(err.value)
    with pytest.raises(SynspInputError, match="known skeletons"):
        mapping_matrix("h36m", "j14")


@pytest.mark.parametrize("src,dst", PAIRS)
def test_mapping_rows_sum_to_one(src, dst):
    M = mapping_matrix(src, dst)
    assert M.shape == (SKELETONS[dst].num_joints, SKELETONS[src].num_joints)
    np.testing.assert_allclose(M.sum(1), 1.0, atol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_identity_mapping(name):
    x = np.random.default_rng(4).normal(size=(3, SKELETONS[name].num_joints, 2))
    np.testing.assert_array_equal(map_skeleton(x, name, name), x)
    np.testing.assert_array_equal(mapping_matrix(name, name), np.eye(SKELETONS[name].num_joints))


@pytest.mark.parametrize("src,dst", NON_IDENTITY)
def test_mapping_keeps_left_on_the_left(src, dst):
    s, d = SKELETONS[src], SKELETONS[dst]
    y = map_skeleton(_lateral_pose(s, np.random.default_rng(5)), src, dst)
    side = np.array([_side(n) for n in d.joints])
    assert np.all(y[..., side > 0, 0] > 0)
    assert np.all(y[..., side < 0, 0] < 0)


@pytest.mark.parametrize("src,dst", NON_IDENTITY)
def test_mapping_commutes_with_mirroring(src, dst):
    s, d = SKELETONS[src], SKELETONS[dst]
    x = np.random.default_rng(6).normal(size=(4, s.num_joints, 3))
    np.testing.assert_allclose(
        map_skeleton(s.mirror(x, axis=0), src, dst),
        d.mirror(map_skeleton(x, src, dst), axis=0),
        atol=1e-12,
    )


@pytest.mark.parametrize("src,dst", NON_IDENTITY)
def test_mapping_commutes_with_rigid_motion(src, dst):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, SKELETONS[src].num_joints, 3))
    R, t = _random_rotation(rng), rng.normal(size=3)
    np.testing.assert_allclose(
        map_skeleton(x @ R.T + t, src, dst), map_skeleton(x, src, dst) @ R.T + t, atol=1e-10
    )


@pytest.mark.parametrize("src,dst", NON_IDENTITY)
def test_map_skeleton_equals_the_matrix_product(src, dst):
    x = np.random.default_rng(8).normal(size=(2, 3, SKELETONS[src].num_joints, 2))
    expected = np.einsum("ij,...jd->...id", mapping_matrix(src, dst), x)
    np.testing.assert_allclose(map_skeleton(x, src, dst), expected, atol=1e-12)


@pytest.mark.parametrize("src,dst", NON_IDENTITY)
def test_describe_mapping_has_one_line_per_target(src, dst):
    lines = describe_mapping(src, dst).splitlines()
    assert len(lines) == 1 + SKELETONS[dst].num_joints


def test_h36m17_to_j14_is_the_smoothnet_selection_for_this_leg_order():
    x = np.random.default_rng(9).normal(size=(5, 17, 3))
    idx = [3, 2, 1, 4, 5, 6, 16, 15, 14, 11, 12, 13, 8, 10]
    np.testing.assert_array_equal(map_skeleton(x, "h36m17", "j14"), x[:, idx])


def test_composed_mappings_equal_the_two_steps():
    for src in ("smpl24", "cmu31"):
        np.testing.assert_allclose(
            mapping_matrix(src, "j14"),
            mapping_matrix("h36m17", "j14") @ mapping_matrix(src, "h36m17"),
        )


def test_cmu31_to_h36m17_definitions():
    # x[i] is the end of ASF bone i: 0 root, 1/6 l/rhipjoint, 11 lowerback, 13 thorax,
    # 14 lowerneck, 15 upperneck, 16 head
    x = np.random.default_rng(10).normal(size=(31, 3))
    y = map_skeleton(x, "cmu31", "h36m17")
    h = SKELETONS["h36m17"]
    np.testing.assert_allclose(y[h.index("pelvis")], (x[1] + x[6]) / 2)
    np.testing.assert_array_equal(y[h.index("spine")], x[11])
    np.testing.assert_array_equal(y[h.index("thorax")], x[13])
    np.testing.assert_allclose(y[h.index("neck")], (x[14] + x[15]) / 2)
    np.testing.assert_array_equal(y[h.index("head_top")], x[16])
    limbs = ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")
    # ends of hipjoint, femur, tibia, clavicle, humerus, radius
    for side, cmu_rows in {"left": [1, 2, 3, 17, 18, 19], "right": [6, 7, 8, 24, 25, 26]}.items():
        got = y[[h.index(f"{side}_{j}") for j in limbs]]
        np.testing.assert_array_equal(got, x[cmu_rows])


def test_selections_pick_the_documented_source_indices():
    x = np.arange(33 * 2, dtype=float).reshape(33, 2)
    rows = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]
    np.testing.assert_array_equal(map_skeleton(x, "mediapipe33", "coco17"), x[rows])
    x = np.arange(25 * 2, dtype=float).reshape(25, 2)
    rows = [0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11]
    np.testing.assert_array_equal(map_skeleton(x, "body25", "coco17"), x[rows])
    x = np.arange(133 * 2, dtype=float).reshape(133, 2)
    np.testing.assert_array_equal(map_skeleton(x, "coco133", "coco17"), x[:17])
    body = map_skeleton(x, "coco133", "body25")
    np.testing.assert_array_equal(body[1], (x[5] + x[6]) / 2)
    np.testing.assert_array_equal(body[8], (x[11] + x[12]) / 2)
    np.testing.assert_array_equal(body[19:25], x[17:23])


def test_nan_in_a_source_joint_only_reaches_the_targets_that_use_it():
    x = np.random.default_rng(11).normal(size=(24, 3))
    x[SKELETONS["smpl24"].index("left_hip")] = np.nan
    y = map_skeleton(x, "smpl24", "h36m17")
    h = SKELETONS["h36m17"]
    nan_rows = {h.joints[i] for i in np.flatnonzero(np.isnan(y).any(-1))}
    assert nan_rows == {"pelvis", "left_hip"}


def test_named_points_get_their_own_skeleton_and_no_count_is_borrowed_from_one(tmp_path):
    """A file that names its points (TRC markers, C3D labels, BVH joints) gets the skeleton the names give; one
    registered that way (or by a corpus) is never guessed for unnamed data of the same joint count later."""
    from synsp.api import choose_model, repair_skeleton
    from synsp.io import Markers, write_trc
    from synsp.io.tracks import read_pose_file
    from synsp.skeletons import skeleton_of_names

    assert skeleton_of_names(list(get_skeleton("coco17").joints)) == "coco17"
    assert skeleton_of_names([n.upper().replace("_", "") for n in get_skeleton("h36m17").joints]) == "h36m17"
    names = [f"M{i}" for i in range(16)] + ["LHip"]  # 17 markers, not Human3.6M's joints
    points = np.random.default_rng(0).normal(size=(20, 17, 3))
    write_trc(tmp_path / "m.trc", Markers(marker_names=names, positions=points, fps=100.0, units="mm"))
    pf = read_pose_file(tmp_path / "m.trc")
    assert pf.skeleton not in BUILTIN_SKELETONS and SKELETONS[pf.skeleton].left_right == ()
    assert repair_skeleton(17, 3, pf.skeleton) is SKELETONS[pf.skeleton]  # no pairs: nothing relabelled
    hand = [f"H{i}" for i in range(21)]
    register_skeleton(Skeleton(name="my-hand-sized-body", joints=hand, parents=[-1] * 21, left_right=[(1, 2)],
                               root_joints=[0]))
    assert skeleton_for(21) == ["hand21"] and skeleton_for(17) == ["h36m17", "coco17"]
    assert choose_model(21, 2)[0] == "butterworth"  # a hand alone, whatever the process registered
    assert repair_skeleton(21, 2).name == "hand21" and repair_skeleton(17, 3).name == "h36m17"
