"""Audit fixes for SMPL rotations: short or slow clean SMPL axis-angles in smooth_process('synsp'), a joint-first
(24, T, 3) rotation array, the multi-person SMPL .npz message."""

import warnings

import numpy as np
import pytest

from synsp import refine_smpl
from synsp.adapters.mmhuman3d import smooth_process
from synsp.geometry import axis_angle_to_matrix
from synsp.io.smpl import near_miss
from synsp.rotations import axis_angle_evidence, check_time_first
from synsp.skeletons import get_skeleton
from synsp.validation import SynspInputError


def angle_deg(a, b):
    r = np.swapaxes(axis_angle_to_matrix(a), -1, -2) @ axis_angle_to_matrix(b)
    return np.degrees(np.arccos(np.clip((np.trace(r, axis1=-2, axis2=-1) - 1) / 2, -1, 1)))


def slow_smpl(T=16, seed=0):
    """Clean, slow SMPL axis-angles whose root turns through pi about y (its vector flips sign)."""
    rng = np.random.default_rng(seed)
    t = np.arange(T)[:, None]
    x = rng.normal(0, 0.3, (24, 3)) + 0.002 * t[..., None] * rng.normal(0, 1, (24, 3))
    x[:, 0] = np.radians(175 + 10 * t / T) * np.array([0.0, 1.0, 0.0])
    x[:, 0] = np.where(np.linalg.norm(x[:, :1], axis=-1) > np.pi, x[:, 0] - 2 * np.pi * np.array([0, 1, 0]), x[:, 0])
    return x


def test_short_slow_smpl_axis_angles_are_refined_as_rotations():
    x = slow_smpl()
    assert axis_angle_evidence(x) == "axis-angles"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = smooth_process(x.astype(np.float32), "synsp", cfg_base_dir=None).astype(np.float64)
    assert angle_deg(out[:, 0], x[:, 0]).max() < 2  # was 100+ degrees off, smoothed as points across the flip


def test_still_smpl_axis_angles_are_assumed_rotations_with_a_warning():
    x = np.repeat(slow_smpl()[:1], 8, axis=0)
    assert axis_angle_evidence(x) == "unsure"
    with pytest.warns(UserWarning, match="assumed SMPL axis-angles"):
        out = smooth_process(x, "savgol", cfg_base_dir=None)
    assert angle_deg(out, x).max() < 1e-3


def test_moving_joint_positions_stay_positions():
    rng = np.random.default_rng(3)
    parents = get_skeleton("smpl24").parents
    rest = np.zeros((24, 3))
    for j in range(1, 24):
        rest[j] = rest[parents[j]] + rng.normal(0, 0.12, 3)
    walk = rest - rest[:1] + np.linspace([0, 0, 0], [0.5, 0, 0.3], 16)[:, None]
    assert axis_angle_evidence(walk) == "positions"


def test_joint_first_rotations_are_refused():
    x = np.zeros((24, 240, 3))
    with pytest.raises(SynspInputError, match=r"\(24, 240, 3\).*time comes first"):
        check_time_first(x)
    check_time_first(np.zeros((240, 24, 3)))
    check_time_first(np.zeros((24, 24, 3)))


def test_multi_person_npz_message_names_the_people():
    headers = {"poses": ((240, 2, 72), np.float32), "trans": ((240, 2, 3), np.float32), "betas": ((2, 10), np.float32)}
    msg = near_miss(headers)
    assert "2 people" in msg and "240 people" not in msg


def test_refine_smpl_refuses_joints_first():
    rot = np.random.default_rng(0).normal(scale=0.2, size=(240, 24, 3))
    with pytest.raises(SynspInputError, match="time comes first"):
        refine_smpl(np.swapaxes(rot, 0, 1))


def test_time_first_rotations_of_few_joints_are_taken():
    """A second of a 15-joint hand at 24 fps is (24, 15, 3), time first (a review: it was refused)."""
    for shape in [(24, 15, 3), (55, 16, 3), (24, 17, 3)]:
        check_time_first(np.zeros(shape))
