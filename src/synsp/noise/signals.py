"""Deterministic operations on tracks: the causal low-pass (positions and axis-angles), composing rotations."""

from __future__ import annotations

import numpy as np
import scipy.signal

from ..geometry import (
    axis_angle_to_matrix,
    axis_angle_to_quaternion,
    matrix_to_axis_angle,
    quaternion_to_axis_angle,
)


def compose(base_aa: np.ndarray, delta_aa: np.ndarray) -> np.ndarray:
    """``R(base) @ R(delta)`` as axis-angle: a local perturbation of each rotation."""
    return matrix_to_axis_angle(axis_angle_to_matrix(base_aa) @ axis_angle_to_matrix(delta_aa))


def lowpass_rotations(aa: np.ndarray, alpha: float) -> np.ndarray:
    """Causal first-order low-pass of axis-angle tracks via sign-aligned quaternions."""
    q = axis_angle_to_quaternion(aa)  # (T, P, J, 4)
    flips = np.where((q[1:] * q[:-1]).sum(-1, keepdims=True) < 0, -1.0, 1.0)
    q = q * np.concatenate([np.ones_like(flips[:1]), np.cumprod(flips, axis=0)])
    return quaternion_to_axis_angle(lowpass(q, alpha))


def lowpass(x: np.ndarray, alpha: float) -> np.ndarray:
    """``y[t] = alpha y[t-1] + (1 - alpha) x[t]``, ``y[0] = x[0]``, along axis 0."""
    zi = alpha * x[:1]
    y, _ = scipy.signal.lfilter([1.0 - alpha], [1.0, -alpha], x, axis=0, zi=zi)
    return y


def displace(values: np.ndarray, offsets: np.ndarray, rotations: bool) -> np.ndarray:
    """``values`` moved by ``offsets``: added (positions) or composed as local rotation vectors."""
    return compose(values, offsets) if rotations else values + offsets
