"""Simulated labelling errors for evaluating :mod:`synsp.repair` and :mod:`synsp.identity`.

* :func:`simulate_inversions`: long left/right inversions (``min_frames`` to ``max_frames``,
  default 5-90) of one limb group (arms or legs) or of the whole body, on a share ``rate`` of
  the frames; the bursts do not touch each other, so the truth per group is unambiguous.
* :func:`simulate_crossing`: two people walking past each other ``crossings`` times (3D world
  metres, or 2D pixels through one virtual camera), their track ids exchanged at each crossing
  with probability ``switch``, and the person behind absent for a few frames at each crossing.

Both work on clean motion; put an estimator's errors on top with :func:`synsp.noise.simulate`
(its presets contain short inversions of their own: their ``body_inversion`` events are
inversions too, see :func:`inversion_truth`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .data.cameras import project, random_camera
from .noise import simulate
from .repair import GROUPS, limb_groups, relabel
from .skeletons import get_skeleton
from .validation import SynspInputError, check_poses

__all__ = ["Inverted", "Crossing", "simulate_inversions", "simulate_crossing", "inversion_truth"]


class Inverted(NamedTuple):
    """``poses`` with the inversions in; ``truth`` ``(T, G)`` True where group g is inverted;
    ``groups`` the G names (:func:`synsp.repair.limb_groups` order); ``events`` ``(start, stop, kind)``."""

    poses: np.ndarray
    truth: np.ndarray
    groups: tuple[str, ...]
    events: tuple[tuple[int, int, str], ...]


def simulate_inversions(poses: Any, skeleton: Any, *, rate: float = 0.05, min_frames: int = 5,
                        max_frames: int = 90, whole_body: float = 0.4, limbs: tuple[str, ...] = ("arms", "legs"),
                        seed: int | np.random.Generator | None = None) -> Inverted:
    """Invert bursts of ``poses`` ``(T, J, D)`` until about ``rate`` of the frames are inverted.

    Each burst lasts a uniform ``min_frames``..``max_frames`` frames and exchanges the left/right
    labels of the whole body (probability ``whole_body``: every group, head included) or of one
    of ``limbs``.  Bursts keep at least 3 frames apart.
    """
    x = check_poses(poses, "poses", ndims=(3,), allow_nan=True)
    sk = get_skeleton(skeleton) if not hasattr(skeleton, "left_right") else skeleton
    if sk.num_joints != x.shape[1]:
        raise SynspInputError(f"poses have {x.shape[1]} joints but skeleton {sk.name!r} has {sk.num_joints}")
    if not 0 <= rate < 1:
        raise SynspInputError(f"rate is {rate!r}; expected a share of the frames in [0, 1)")
    for name, v in (("min_frames", min_frames), ("max_frames", max_frames)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise SynspInputError(f"{name} is {v!r}; expected a whole number of frames >= 1")
    if min_frames > max_frames:
        raise SynspInputError(f"min_frames is {min_frames} and max_frames {max_frames}; expected min_frames <= "
                              "max_frames")
    if not 0 <= whole_body <= 1:
        raise SynspInputError(f"whole_body is {whole_body!r}; expected a probability in [0, 1]")
    rng = np.random.default_rng(seed)
    names = tuple(limb_groups(sk))
    if not names:
        raise SynspInputError(f"skeleton {sk.name!r} has no left/right pairs: there is nothing to invert")
    limbs = (limbs,) if isinstance(limbs, str) else tuple(limbs)
    unknown = [g for g in limbs if g not in GROUPS]
    if unknown:
        raise SynspInputError(f"limbs {unknown} are not limb groups; expected some of {', '.join(GROUPS)}")
    limbs = tuple(g for g in limbs if g in names)  # a face has no arms: its bursts are whole-face ones
    T = len(x)
    truth = np.zeros((T, len(names)), dtype=bool)
    busy = np.zeros(T, dtype=bool)
    events: list[tuple[int, int, str]] = []
    target = int(round(rate * T))
    for _ in range(1000):
        if busy.sum() - 0 >= target or target == 0:
            break
        n = int(rng.integers(min_frames, max_frames + 1))
        n = min(n, max(1, target - int(truth.any(1).sum())), T)
        if n < min(min_frames, T):
            break
        a = int(rng.integers(0, T - n + 1))
        if busy[max(0, a - 3):a + n + 3].any():
            continue
        kind = "body" if rng.random() < whole_body or not limbs else str(rng.choice(limbs))
        cols = list(range(len(names))) if kind == "body" else [names.index(kind)]
        truth[a:a + n, cols] = True
        busy[a:a + n] = True
        events.append((a, a + n, kind))
    events.sort()
    return Inverted(relabel(x, truth, sk, names), truth, names, tuple(events))


def inversion_truth(events: Any, skeleton: Any, num_frames: int) -> np.ndarray:
    """``(T, G)`` True where the ``body_inversion`` events of a :func:`synsp.noise.simulate` result
    (one person) invert every group (its single-pair inversions are not group inversions)."""
    names = tuple(limb_groups(skeleton))
    truth = np.zeros((num_frames, len(names)), dtype=bool)
    for e in events:
        if e.kind == "body_inversion":
            truth[e.start:e.stop] = True
    return truth


class Crossing(NamedTuple):
    """``poses`` ``(T, 2, J, D)`` as a tracker would give them (ids exchanged, absences as NaN);
    ``truth`` ``(T, 2, J, D)`` in the true order; ``swapped`` ``(T,)`` True where slot 0 holds
    person 1; ``crossings`` the frames where the two pass each other."""

    poses: np.ndarray
    truth: np.ndarray
    swapped: np.ndarray
    crossings: np.ndarray


def simulate_crossing(a: Any, b: Any, skeleton: Any, *, crossings: int = 2, distance: float = 1.5,
                      depth_gap: float = 0.4, switch: float = 1.0, absent: int = 4, two_d: bool = False,
                      noise: str | None = None, seed: int | np.random.Generator | None = None) -> Crossing:
    """Two people (clean clips ``a``, ``b``: ``(T, J, 3)`` metres, y up) walking past each other.

    Each clip keeps its own motion about its mean root; the people sway along x with amplitude
    ``distance`` (metres) in opposite phase, ``depth_gap`` apart in z, and pass each other
    ``crossings`` times.  With ``two_d`` both are projected by one random camera (pixels).  With
    ``noise`` (a :data:`synsp.noise.PRESETS` name) each gets independent estimator errors.  At each
    crossing the ids are exchanged with probability ``switch`` and the person further from the
    camera (the back one in 3D) is absent (NaN) for ``absent`` frames.
    """
    rng = np.random.default_rng(seed)
    A = check_poses(a, "a", ndims=(3,), dims=(3,))
    B = check_poses(b, "b", ndims=(3,), dims=(3,), joints=A.shape[1])
    T = min(len(A), len(B))
    sk = get_skeleton(skeleton) if not hasattr(skeleton, "root_joints") else skeleton
    roots = list(sk.root_joints)
    people = []
    sway = distance * np.cos(np.pi * crossings * np.arange(T) / max(T - 1, 1))  # zeros at (k + 1/2) T / crossings
    for k, clip in enumerate((A[:T], B[:T])):
        centred = clip - clip[:, roots].mean(axis=(0, 1))
        offset = np.zeros((T, 3))
        offset[:, 0] = sway * (1 if k == 0 else -1)
        offset[:, 2] = depth_gap / 2 * (1 if k == 0 else -1)
        people.append(centred + offset[:, None])
    gt = np.stack(people, axis=1)  # (T, 2, J, 3)
    depth = gt[:, :, roots, 2].mean(-1)  # (T, 2) z: larger is further in the default camera frame below
    if two_d:
        centre = gt.reshape(-1, 3).mean(axis=0)
        radius = float(np.linalg.norm(gt - centre, axis=-1).max())
        cam = random_camera(rng, centre, radius=radius, yaw_deg=(60.0, 120.0))  # from -z: x across the image
        gt, z = project(gt, cam)
        depth = z.mean(-1)
    pred = gt
    if noise is not None:
        pred = simulate(gt, noise, skeleton=sk, fps=30.0, seed=rng,
                        depth_axis=None if two_d else 2).pred
    side = np.sign(sway)
    cross = np.flatnonzero(side[1:] != side[:-1]) + 1
    swapped = np.zeros(T, dtype=bool)
    for c in cross:
        if rng.random() < switch:
            swapped[c:] ^= True
    obs = np.where(swapped[:, None, None, None], pred[:, ::-1], pred).copy()
    for c in cross:
        behind = int(np.argmax(depth[c]))  # the true person further away
        for f in range(max(0, c - absent // 2), min(T, c - absent // 2 + absent)):
            obs[f, behind ^ int(swapped[f])] = np.nan
    return Crossing(obs, gt, swapped, cross)
