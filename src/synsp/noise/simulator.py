"""The simulator: checks the input, draws one random stream per component and applies the
components of :mod:`synsp.noise.components` in the order of :func:`simulate`'s docstring."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_fps, check_poses
from . import components
from .joints import resolve_skeleton, joint_factors
from .model import ErrorModel, require
from .presets import get_preset
from .result import Simulated
from .scale import resolve_scale
from .signals import displace

#: the random streams of :func:`simulate`, one per component, in the order they are split off the seed
STREAMS = ("bias", "drift", "jitter", "inversions", "swaps", "joint_misses", "frame_misses", "confidence")


def simulate(
    gt: Any,
    preset: str | ErrorModel,
    *,
    skeleton: Any,
    fps: float,
    seed: int | np.random.Generator | None = None,
    companion: Any = None,
    representation: str = "positions",
    depth_axis: Any = 2,
    scale: Any = None,
    lateral_axis: int = 0,
) -> Simulated:
    """Turn ground truth into estimator-like output.

    Args:
        gt: ``(T, J, D)`` or ``(T, P, J, D)`` (P views or persons, each with
            independent errors), D = 2 or 3; for ``representation="rotations"``
            local axis-angle rotations ``(T, J, 3)`` / ``(T, P, J, 3)``.
        preset: a name from :data:`PRESETS` or an :class:`ErrorModel`.
        skeleton: a skeleton name (``"h36m17"``) or object with ``joints``,
            ``left_right`` and ``root_joints``; its joint count must be J.
        fps: frame rate of ``gt``; all times of the model are in seconds.
        seed: an int, a ``numpy.random.Generator`` or None; the same seed gives
            the same output.
        companion: another person's track, the shape of ``gt`` (or
            ``(T, J, D)`` shared by all P), needed by swap errors.
        depth_axis: camera depth direction for 3D positions: a coordinate index,
            a 3-vector or ``(P, 3)``; None for isotropic errors.
        scale: overrides the length multiplier (see the module docstring).
        lateral_axis: for rotations, the body's left-right axis in the joints'
            local frames (x for SMPL); mirroring negates the other two
            axis-angle components.

    The components are applied in this order: lag, then bias + drift +
    jitter, then inversions (which move the noisy joints and their
    confidences), swaps, and last misses (so a frozen joint repeats the
    last output value, whatever it was).  Swaps need ``companion``; without
    one the model's swaps are skipped.  Each component draws from its own
    random stream, so switching one off leaves the others' realisation
    unchanged.
    """
    model = get_preset(preset)
    fps = check_fps(fps, allow_none=False)
    rotations, sk, names, x4, single, comp = _check_inputs(gt, skeleton, companion, representation, lateral_axis)
    T, P, J, D = x4.shape
    s = resolve_scale(model, x4, representation, scale)  # (P,)
    factors = joint_factors(names, model.joint_scale)  # (J,)
    pairs = np.asarray(list(sk.left_right), dtype=np.int64).reshape(-1, 2)
    rng = _streams(seed)
    mirror = None
    if rotations:
        mirror = -np.ones(3)
        mirror[lateral_axis] = 1.0

    base = components.lag(x4, model.lag_s, fps, rotations)
    noise = components.localization_error(
        model.drift, model.jitter, (T, P, J, D), fps, factors, s, rng["bias"], rng["drift"], rng["jitter"]
    )
    if not rotations and D == 3 and model.depth_factor != 1:
        components.stretch_depth(noise, model.depth_factor, depth_axis)
    pred = displace(base, noise, rotations)
    confidence = components.localization_confidence(noise, rng["confidence"])
    events = components.inversions(rng["inversions"], pred, confidence, model.inversions, fps, sk, pairs, mirror)
    events += components.swaps(rng["swaps"], pred, comp, noise, model.swaps, fps, rotations)
    missing = np.zeros((T, P, J), dtype=bool)
    mode = np.zeros((T, P, J), dtype=np.int8)  # MODE_CODE of the burst that lost the joint
    events += components.joint_misses(
        rng["joint_misses"], pred, missing, mode, model.misses, fps, factors, s, rotations
    )
    events += components.frame_misses(rng["frame_misses"], pred, missing, mode, model.misses, fps, s, rotations)
    pred, confidence = components.render_misses(rng["confidence"], pred, confidence, missing, mode)

    if single:
        pred, confidence, missing = pred[:, 0], confidence[:, 0], missing[:, 0]
    events.sort(key=lambda e: (e.start, e.person, e.kind))
    return Simulated(pred, confidence, missing, tuple(events), model, fps, s)


def _check_inputs(
    gt: Any, skeleton: Any, companion: Any, representation: str, lateral_axis: int
) -> tuple[bool, Any, list, np.ndarray, bool, np.ndarray | None]:
    """``(rotations, skeleton, joint names, gt as (T, P, J, D), gt was (T, J, D), companion as (T, P, J, D)
    or None)``, checked in this order."""
    require(
        representation in ("positions", "rotations"),
        f"representation is {representation!r}; expected 'positions' or 'rotations'",
    )
    rotations = representation == "rotations"
    require(lateral_axis in (0, 1, 2), f"lateral_axis is {lateral_axis!r}; expected 0, 1 or 2")
    sk = resolve_skeleton(skeleton)
    names = list(sk.joints)
    x = check_poses(gt, "gt", ndims=(3, 4), dims=(3,) if rotations else (2, 3), joints=len(names))
    single = x.ndim == 3
    x4 = x[:, None] if single else x  # (T, P, J, D)
    T, P, J, D = x4.shape
    comp = None
    if companion is not None:
        c = check_poses(companion, "companion", ndims=(3, 4), dims=(D,), joints=J)
        ok_shapes = [x.shape] + ([] if single else [(T, J, D)])
        require(
            c.shape in ok_shapes,
            f"companion has shape {c.shape}; expected {' or '.join(str(s) for s in ok_shapes)} like gt "
            "(use place_companion to cut and place another clip)",
        )
        comp = np.broadcast_to(c[:, None] if c.ndim == 3 else c, x4.shape)
    return rotations, sk, names, x4, single, comp


def _streams(seed: int | np.random.Generator | None) -> dict[str, np.random.Generator]:
    """One independent generator per name of :data:`STREAMS`, split off ``seed`` in that order."""
    require(not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed >= 0,
            f"seed is {seed!r}; expected a whole number >= 0 (numpy's generators take no negative seed)")
    keys = np.random.default_rng(seed).integers(0, 2**63 - 1, size=len(STREAMS))
    return {name: np.random.default_rng(int(k)) for name, k in zip(STREAMS, keys)}
