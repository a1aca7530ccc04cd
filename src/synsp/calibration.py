"""Calibrated cameras: their parameters checked, points undistorted, triangulated and projected.

A set of C cameras is a mapping with ``K`` ``(C, 3, 3)`` (intrinsics, pixels), ``R`` ``(C, 3, 3)`` and ``t`` ``(C, 3)``
(world to camera, ``x_cam = R x_world + t``, OpenCV's axes: x right, y down, z forward) and optionally ``dist``
``(C, 4)`` or ``(C, 5)`` (OpenCV's ``k1, k2, p1, p2[, k3]``) and ``fisheye`` ``(C,)`` (True: the camera follows
OpenCV's fisheye model, ``cv2.fisheye``, whose ``dist`` is ``k1, k2, k3, k4``), as
:func:`synsp.io.cameras.read_cameras` reads them from a Pose2Sim / anipose ``.toml`` calibration or an ``.npz``.
Points are worked on in normalised image coordinates (undistorted ``x / z, y / z``); a world unit is whatever ``t``
is in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .validation import SynspInputError

__all__ = ["check_cameras", "distort", "project", "triangulate", "undistort"]


def check_cameras(cameras: Any, count: int | None = None) -> dict[str, np.ndarray]:
    """``cameras`` as float arrays ``K``, ``R``, ``t``, ``dist`` (zeros when not given) and the boolean ``fisheye``
    (False when not given), or :class:`SynspInputError` naming what is missing or of the wrong shape (``count``: the
    cameras expected), a focal length that is not positive or a rotation that is not orthonormal (``R^T R`` further
    than 1e-3 from the identity) or a reflection."""
    try:
        keys = set(cameras)
    except TypeError:
        raise SynspInputError(f"cameras must be a mapping with K, R and t; got {type(cameras).__name__}") from None
    missing = [k for k in ("K", "R", "t") if k not in keys]
    if missing:
        raise SynspInputError(f"cameras lack {', '.join(missing)}; expected K (C, 3, 3), R (C, 3, 3), t (C, 3) and "
                              f"optionally dist (C, 4 or 5)")
    out = {}
    for key, tail in (("K", (3, 3)), ("R", (3, 3)), ("t", (3,))):
        a = np.asarray(cameras[key], dtype=np.float64)
        if a.ndim != len(tail) + 1 or a.shape[1:] != tail:
            raise SynspInputError(f"cameras[{key!r}] has shape {a.shape}; expected (C, {', '.join(map(str, tail))})")
        out[key] = a
    C = len(out["K"])
    dist = np.zeros((C, 5)) if "dist" not in keys else np.asarray(cameras["dist"], dtype=np.float64)
    if dist.ndim != 2 or dist.shape[1] not in (4, 5):
        raise SynspInputError(f"cameras['dist'] has shape {dist.shape}; expected (C, 4) or (C, 5): "
                              f"k1, k2, p1, p2[, k3]")
    out["dist"] = np.pad(dist, ((0, 0), (0, 5 - dist.shape[1])))
    fisheye = np.zeros(C, dtype=bool) if "fisheye" not in keys else np.asarray(cameras["fisheye"])
    if fisheye.shape != (C,) or fisheye.dtype.kind not in "bi" or not np.isin(fisheye, (0, 1)).all():
        raise SynspInputError(f"cameras['fisheye'] is {fisheye.dtype} of shape {fisheye.shape}; expected ({C},) "
                              f"booleans, one per camera")
    fisheye = fisheye.astype(bool)
    if (fisheye & (out["dist"][:, 4] != 0)).any():
        raise SynspInputError("a fisheye camera has 5 distortion coefficients; OpenCV's fisheye model has 4 "
                              "(k1, k2, k3, k4)")
    if any(len(a) != C for a in out.values()):
        raise SynspInputError(f"cameras give {[len(a) for a in out.values()]} cameras for K, R, t, dist; expected the "
                              f"same count in each")
    if count is not None and C != count:
        raise SynspInputError(f"cameras hold {C} cameras; the keypoints have {count} views: give one camera per view, "
                              f"in the views' order")
    if not all(np.isfinite(a).all() for a in out.values()):
        raise SynspInputError("cameras hold NaN or inf values")
    out["fisheye"] = fisheye
    focal = out["K"][:, [0, 1], [0, 1]]  # fx, fy: a zero one divides by zero, a negative one mirrors the image
    bad = np.flatnonzero((focal <= 0).any(-1))
    if len(bad):
        raise SynspInputError(f"cameras['K'] of the camera at index {bad[0]} has focal lengths fx, fy = "
                              f"{focal[bad[0], 0]:g}, {focal[bad[0], 1]:g}; expected both > 0 (pixels; K = [[fx, "
                              f"skew, cx], [0, fy, cy], [0, 0, 1]])")
    R = out["R"]
    bad = np.flatnonzero((np.abs(R.transpose(0, 2, 1) @ R - np.eye(3)) > 1e-3).any((-1, -2)))
    if len(bad):  # a sheared or scaled matrix can have determinant 1: its triangulations and projections are wrong
        raise SynspInputError(f"cameras['R'] of the camera at index {bad[0]} is not a rotation matrix (R^T R is not "
                              f"the identity); give world-to-camera rotations")
    if (np.abs(np.linalg.det(R) - 1) > 1e-3).any():
        raise SynspInputError("cameras['R'] are not all rotation matrices (determinant 1); give world-to-camera "
                              "rotations")
    return out


def undistort(pixels: np.ndarray, K: np.ndarray, dist: np.ndarray, iterations: int = 20,
              fisheye: bool = False) -> np.ndarray:
    """Pixels ``(..., 2)`` of one camera -> normalised image coordinates ``(..., 2)``, inverting OpenCV's distortion
    ``(k1, k2, p1, p2, k3)`` by fixed-point iteration, or with ``fisheye`` its fisheye model ``(k1, k2, k3, k4)``
    (:func:`_undistort_fisheye`)."""
    yd = (pixels[..., 1] - K[1, 2]) / K[1, 1]
    xd = (pixels[..., 0] - K[0, 2] - K[0, 1] * yd) / K[0, 0]  # K[0, 1]: the skew (0 but for some fisheye fits)
    if fisheye:
        return _undistort_fisheye(xd, yd, dist[:4], iterations)
    k1, k2, p1, p2, k3 = dist
    x, y = xd.copy(), yd.copy()
    for _ in range(iterations if np.any(dist) else 0):
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
        dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        x, y = (xd - dx) / radial, (yd - dy) / radial
    return np.stack([x, y], axis=-1)


def _undistort_fisheye(xd: np.ndarray, yd: np.ndarray, k: np.ndarray, iterations: int) -> np.ndarray:
    """OpenCV's fisheye model inverted: a point at angle ``theta`` from the optical axis is drawn at radius
    ``theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8)``; ``theta`` is found by Newton's
    method from ``theta_d``, and the point goes to radius ``tan(theta)``.  NaN where no angle below 90 degrees
    gives the radius (outside the lens's field, or distortion coefficients that fold the image)."""
    rd = np.hypot(xd, yd)
    theta = np.minimum(rd, 1.5)
    for _ in range(iterations + 10):  # the polynomial is near linear in theta: Newton converges in a few steps
        t2 = theta * theta
        f = theta * (1 + t2 * (k[0] + t2 * (k[1] + t2 * (k[2] + t2 * k[3])))) - rd
        df = 1 + t2 * (3 * k[0] + t2 * (5 * k[1] + t2 * (7 * k[2] + t2 * 9 * k[3])))
        theta = np.clip(theta - f / np.where(np.abs(df) > 1e-9, df, 1e-9), 0.0, np.pi / 2)
    t2 = theta * theta
    fits = np.abs(theta * (1 + t2 * (k[0] + t2 * (k[1] + t2 * (k[2] + t2 * k[3])))) - rd) < 1e-6 * (1 + rd)
    fits &= theta < np.pi / 2 - 1e-6
    scale = np.where(rd > 1e-12, np.tan(theta) / np.where(rd > 1e-12, rd, 1.0), 1.0)
    scale = np.where(fits, scale, np.nan)
    return np.stack([xd * scale, yd * scale], axis=-1)


def distort(points: np.ndarray, K: np.ndarray, dist: np.ndarray, fisheye: bool = False) -> np.ndarray:
    """Normalised image coordinates ``(..., 2)`` -> one camera's pixels ``(..., 2)``, OpenCV's distortion model
    (or with ``fisheye`` its fisheye model): the inverse of :func:`undistort`."""
    x, y = points[..., 0], points[..., 1]
    if fisheye:
        k = dist[:4]
        r = np.hypot(x, y)
        theta = np.arctan(r)
        t2 = theta * theta
        theta_d = theta * (1 + t2 * (k[0] + t2 * (k[1] + t2 * (k[2] + t2 * k[3]))))
        scale = np.where(r > 1e-12, theta_d / np.where(r > 1e-12, r, 1.0), 1.0)
        xd, yd = x * scale, y * scale
    else:
        k1, k2, p1, p2, k3 = dist
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
        xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return np.stack([K[0, 0] * xd + K[0, 1] * yd + K[0, 2], K[1, 1] * yd + K[1, 2]], axis=-1)


def triangulate(points: np.ndarray, weights: np.ndarray, R: np.ndarray, t: np.ndarray,
                chunk: int = 4096) -> np.ndarray:
    """Normalised points ``(T, C, J, 2)`` of C cameras (``R`` ``(C, 3, 3)``, ``t`` ``(C, 3)``) and weights ``(T, C,
    J)`` (0 or NaN points: not used) -> world points ``(T, J, 3)`` by weighted linear least squares (each camera's
    two DLT rows), NaN where fewer than two cameras give the point; ``chunk`` frames at a time (bounded memory)."""
    if len(points) > chunk:
        return np.concatenate([triangulate(points[a:a + chunk], weights[a:a + chunk], R, t, chunk)
                               for a in range(0, len(points), chunk)])
    P = np.concatenate([R, t[:, :, None]], axis=-1)  # (C, 3, 4)
    u, v = points[..., 0, None], points[..., 1, None]  # (T, C, J, 1)
    rows = np.concatenate([u * P[None, :, None, 2] - P[None, :, None, 0],
                           v * P[None, :, None, 2] - P[None, :, None, 1]], axis=1)  # (T, 2C, J, 4)
    w = np.concatenate([weights, weights], axis=1)
    ok = np.isfinite(rows).all(-1) & (np.nan_to_num(w) > 0)
    w = np.where(ok, w, 0.0)
    rows = np.where(ok[..., None], rows, 0.0)
    M, b = rows[..., :3], -rows[..., 3]
    MtM = np.einsum("tkja,tkj,tkjb->tjab", M, w, M)
    Mtb = np.einsum("tkja,tkj,tkj->tja", M, w, b)
    good = (ok.sum(1) >= 4) & (np.abs(np.linalg.det(MtM)) > 1e-12)
    out = np.full(MtM.shape[:2] + (3,), np.nan)
    out[good] = np.linalg.solve(MtM[good], Mtb[good][..., None])[..., 0]
    return out


def project(points: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """World points ``(..., 3)`` -> one camera's normalised image coordinates ``(..., 2)`` (NaN behind it)."""
    cam = points @ R.T + t
    z = np.where(cam[..., 2:] > 0, cam[..., 2:], np.nan)
    return cam[..., :2] / z
