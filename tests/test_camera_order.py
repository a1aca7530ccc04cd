"""Calibrated 2D cameras given in another order than the inputs (synsp.view_labels.agree_cameras): a reversed ring
triangulates a mirrored person and two cameras swapped see the person elsewhere; either way no camera is relabelled
and a warning says why, where the cameras' agreement used to relabel right cameras without a word."""

import functools
from pathlib import Path

import numpy as np
import pytest

from synsp.io.cameras import read_cameras
from synsp.repair import decided_pairs, relabel
from synsp.view_labels import agree_cameras

GROUPS = tuple(decided_pairs("coco17"))
POSE2SIM = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "pose2sim"


@functools.lru_cache(maxsize=None)
def _walk() -> np.ndarray:
    """A walking clip of the embedded corpus, COCO-17 joints in metres (y up)."""
    from synsp.data.corpus import embedded_corpus_path, load_corpus

    clips = load_corpus(embedded_corpus_path(), skeleton="coco17")
    return next(c.positions for c in clips if c.clip_id.endswith("walking_14#s0p0")).astype(np.float64)


def _ring(count: int = 4, seed: int = 1, shift: dict | None = None, radius: float = 7.0, height: float = 0.6,
          still: bool = False):
    """``count`` cameras on a circle of ``radius`` m around the walk, ``height`` m above its middle, looking at it
    (OpenCV's convention), and the walk seen by each with 2 px of noise ``(T, C, 17, 2)``; ``shift``: camera -> a
    world offset of the person it sees; ``still``: the walk on the spot (its hips' midpoint kept at the middle)."""
    gt = _walk()
    if still:
        gt = gt - gt[:, 11:13].mean(1, keepdims=True) * np.array([1.0, 0.0, 1.0])
    target = gt.reshape(-1, 3).mean(0)
    K, R, t = [], [], []
    for c in range(count):
        a = 0.3 + 2 * np.pi * c / count
        centre = target + np.array([radius * np.cos(a), height, radius * np.sin(a)])
        z = (target - centre) / np.linalg.norm(target - centre)
        y = np.array([0.0, -1.0, 0.0]) + z[1] * z
        y /= np.linalg.norm(y)
        rot = np.stack([np.cross(y, z), y, z])
        K.append([[1100.0, 0, 960], [0, 1100.0, 540], [0, 0, 1]])
        R.append(rot)
        t.append(-rot @ centre)
    cams = dict(K=np.array(K), R=np.array(R), t=np.array(t))
    seen = np.repeat(gt[:, None], count, 1)
    for c, offset in (shift or {}).items():
        seen[:, c] += offset
    inside = np.einsum("tcjd,ced->tcje", seen, cams["R"]) + cams["t"][:, None]
    px = np.einsum("cab,tcjb->tcja", cams["K"][:, :2, :2], inside[..., :2] / inside[..., 2:])
    px += cams["K"][:, None, :2, 2]
    return cams, px + np.random.default_rng(seed).normal(0.0, 2.0, px.shape)


def test_a_ring_of_cameras_given_reversed_relabels_nothing_and_says_why():
    """Reversed, the ring triangulates a mirrored person; its right labels used to be exchanged in two cameras."""
    cams, px = _ring(radius=4.0, height=1.2, still=True)
    reversed_cams = {k: v[::-1] for k, v in cams.items()}
    with pytest.warns(UserWarning, match="mirrored .* the cameras may not be in the inputs' order"):
        got = agree_cameras(px, reversed_cams, "coco17")
    assert not got.flipped.any()
    np.testing.assert_array_equal(got.poses, px)


def test_every_camera_labelled_the_wrong_way_round_is_named_as_a_mirrored_person():
    """The agreement cannot mend every camera wrong at once (they agree); the mirrored person says so."""
    cams, px = _ring()
    wrong = relabel(px, np.ones(px.shape[:2] + (len(GROUPS),), dtype=bool), "coco17", GROUPS)
    with pytest.warns(UserWarning, match="every camera labels left and right the wrong way round"):
        got = agree_cameras(wrong, cams, "coco17")
    assert not got.flipped.any()


def test_real_cameras_with_two_swapped_relabel_none_of_the_right_ones():
    """Pose2Sim's demo, its cameras 3 and 4 given the other way round: both are named, and cameras 1 and 2 (right)
    are no longer relabelled (camera 1's arms used to be exchanged)."""
    cams = read_cameras(POSE2SIM / "cameras.npz")
    raw = np.stack([np.load(POSE2SIM / f"single_person_cam{c + 1}.npz")["full"].astype(float) for c in range(4)], 1)
    swapped = {k: v[[0, 1, 3, 2]] for k, v in cams.items()}
    with pytest.warns(UserWarning, match="cameras at indices 2, 3 see the person elsewhere.*inputs' order"):
        got = agree_cameras(raw[..., :2], swapped, "mediapipe33", raw[..., 2])
    assert not got.flipped.any()


def test_with_a_camera_left_out_the_relabelled_cameras_are_named_with_their_frames():
    """One camera sees the person 2 m away (left out and named); camera 0's arms and legs, labelled the wrong way
    round throughout, are still mended, and a warning names it and its frames."""
    cams, px = _ring(shift={2: np.array([2.0, 0.0, 0.0])})
    mask = np.zeros(px.shape[:2] + (len(GROUPS),), dtype=bool)
    mask[:, 0] = True
    with pytest.warns(UserWarning, match=f"exchanged in the camera at index 0 in {len(px)} frames"):
        got = agree_cameras(relabel(px, mask, "coco17", GROUPS), cams, "coco17")
    assert got.flipped[:, 0, :2].all() and not got.flipped[:, 1:].any()
