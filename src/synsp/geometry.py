"""Rotation conversions, the time-axis DCT and similarity Procrustes alignment.

Everything here is batched over arbitrary leading dimensions ``...`` and accepts
numpy arrays (or nested lists) as well as torch tensors, returning the same
kind.  Torch inputs keep their device and dtype and stay differentiable;
numpy inputs come back as numpy (float32 stays float32, anything else becomes
float64).  There is a single implementation of each function, written in
torch; :func:`_numpy_or_torch` wraps numpy callers around it.  torch is imported
by the functions that run (not by importing this module), so the modules that
only need this one's numpy parts (readers, skeletons, normalisation) load
without it.

Conventions
-----------
* Rotation matrices act on column vectors, ``y = R @ x``.
* Axis-angle ``aa`` is ``angle * unit_axis`` (a rotation vector), angle in radians.
* Quaternions are ``(w, x, y, z)``, unit length, canonicalised to ``w >= 0``.
* The 6D representation (Zhou et al. 2019) is the first two *columns* of ``R``
  stored row by row: ``[R00, R01, R10, R11, R20, R21]``, i.e.
  ``R[..., :, :2].reshape(..., 6)``.  This is the layout of SmoothNet / SynSP
  rotation data.
* Euler angles compose intrinsically in the listed order: ``order="ZYX"``
  means ``R = Rz(a0) @ Ry(a1) @ Rx(a2)`` (BVH / CMU-AMC channel order).
* DCT coefficients are taken along a time axis, ``coeffs = M @ x``.
* Procrustes works on points stored as rows, ``(..., N, D)``, and returns
  ``(s, R, t)`` with ``y_i ~ s R x_i + t``, i.e. ``Y ~ s X R^T + t``.
"""

from __future__ import annotations

import functools
import inspect
import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from synsp.validation import SynspInputError, is_torch

if TYPE_CHECKING:
    import torch

__all__ = [
    "axis_angle_to_matrix",
    "matrix_to_axis_angle",
    "matrix_to_quaternion",
    "quaternion_to_matrix",
    "axis_angle_to_quaternion",
    "quaternion_to_axis_angle",
    "matrix_to_rot6d",
    "rot6d_to_matrix",
    "axis_angle_to_rot6d",
    "rot6d_to_axis_angle",
    "nearest_rotation",
    "euler_to_matrix",
    "geodesic_angle",
    "dct_matrix",
    "idct_matrix",
    "dct",
    "idct",
    "similarity_procrustes",
    "rigid_procrustes",
    "procrustes_align",
]

# Below this squared angle the sin/cos ratios use their Taylor series up to the
# theta^4 term: the truncation error (~theta^6 / 5000) is below float64 epsilon,
# and the gradient stays finite at exactly zero.
_SMALL_SQ = 1e-6


# ----------------------------------------------------------------------------
# numpy / torch dispatch and input checks


def _numpy_or_torch(*array_args: str):
    """Decorator: run a torch implementation for numpy callers too.

    ``array_args`` name the parameters that hold arrays.  If any of them is a
    torch tensor, all are cast to a common floating dtype on the first tensor's
    device and the torch result is returned untouched (autograd intact).
    Otherwise they are wrapped as CPU tensors and the result (a tensor or a
    tuple of tensors) is converted back to numpy.
    """

    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            import torch
            bound = signature.bind(*args, **kwargs)
            values = [bound.arguments[name] for name in array_args]
            tensors = [v for v in values if is_torch(v)]
            if tensors:
                dtype = functools.reduce(torch.promote_types, [t.dtype for t in tensors])
                if not dtype.is_floating_point:
                    dtype = torch.get_default_dtype()
                device = tensors[0].device
                for name, v in zip(array_args, values):
                    bound.arguments[name] = torch.as_tensor(v, dtype=dtype, device=device)
                return fn(*bound.args, **bound.kwargs)

            arrays = [np.asarray(v) for v in values]
            dtype = np.result_type(*arrays)
            if dtype not in (np.float32, np.float64):
                dtype = np.float64
            for name, a in zip(array_args, arrays):
                a = np.ascontiguousarray(a, dtype=dtype)
                if not a.flags.writeable:  # a read-only view (a reader's array): read, never written here
                    with warnings.catch_warnings():
                        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                        bound.arguments[name] = torch.from_numpy(a)
                else:
                    bound.arguments[name] = torch.from_numpy(a)
            out = fn(*bound.args, **bound.kwargs)
            if isinstance(out, tuple):
                return tuple(o.numpy() for o in out)
            return out.numpy()

        return wrapper

    return decorate


def _check_trailing(x: torch.Tensor, name: str, trailing: tuple[int, ...], what: str) -> None:
    """Raise unless ``x.shape`` ends with ``trailing``."""
    k = len(trailing)
    if x.ndim < k or tuple(x.shape[x.ndim - k:]) != trailing:
        expected = "(..., " + ", ".join(str(d) for d in trailing) + ")"
        raise SynspInputError(f"{name} has shape {tuple(x.shape)}; expected {expected} {what}")


def _small_angle_branch(theta_sq: torch.Tensor):
    """Split on ``theta^2 < _SMALL_SQ``; return the mask and a safe ``theta``.

    ``theta`` is replaced by 1 on the small branch so that the unused
    ``sin(theta) / theta``-style expressions (and their gradients) stay finite.
    """
    import torch
    small = theta_sq < _SMALL_SQ
    theta = torch.sqrt(torch.where(small, torch.ones_like(theta_sq), theta_sq))
    return small, theta


def _mat3(entries: list[torch.Tensor]) -> torch.Tensor:
    """Nine ``(...)`` tensors in row-major order -> ``(..., 3, 3)``."""
    import torch
    return torch.stack(entries, dim=-1).unflatten(-1, (3, 3))


def _skew(v: torch.Tensor) -> torch.Tensor:
    """``(..., 3) -> (..., 3, 3)`` cross-product matrix, ``skew(v) @ u = v x u``."""
    import torch
    x, y, z = v.unbind(-1)
    zero = torch.zeros_like(x)
    return _mat3([zero, -z, y, z, zero, -x, -y, x, zero])


# ----------------------------------------------------------------------------
# Rotations


@_numpy_or_torch("aa")
def axis_angle_to_matrix(aa):
    """Rodrigues' formula, ``(..., 3) -> (..., 3, 3)``.

    With ``K = skew(aa)`` and ``theta = |aa|``::

        R = I + sin(theta)/theta K + (1 - cos(theta))/theta^2 K^2

    The second ratio is evaluated as ``2 sin^2(theta/2) / theta^2`` (no
    cancellation); below ``theta ~ 1e-3`` both ratios use their Taylor series
    ``1 - t^2/6 + t^4/120`` and ``1/2 - t^2/24 + t^4/720``, so ``R(0) = I``
    exactly and the gradient at 0 is finite.
    """
    import torch
    _check_trailing(aa, "aa", (3,), "axis-angle vectors")
    theta_sq = (aa * aa).sum(-1)
    small, theta = _small_angle_branch(theta_sq)
    a = torch.where(small, 1 - theta_sq / 6 + theta_sq**2 / 120, torch.sin(theta) / theta)
    b = torch.where(
        small,
        0.5 - theta_sq / 24 + theta_sq**2 / 720,
        2 * torch.sin(theta / 2) ** 2 / theta**2,
    )
    k = _skew(aa)
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device)
    return eye + a[..., None, None] * k + b[..., None, None] * (k @ k)


@_numpy_or_torch("R")
def matrix_to_quaternion(R):
    """``(..., 3, 3) -> (..., 4)`` unit quaternion ``(w, x, y, z)`` with ``w >= 0``.

    For a unit quaternion, each of the four rows below equals ``4 q_i q``::

        i=w: (1 + tr,          R21 - R12,        R02 - R20,        R10 - R01)
        i=x: (R21 - R12,       1 + R00-R11-R22,  R10 + R01,        R02 + R20)
        i=y: (R02 - R20,       R10 + R01,        1 - R00+R11-R22,  R21 + R12)
        i=z: (R10 - R01,       R02 + R20,        R21 + R12,        1 - R00-R11+R22)

    The row with the largest diagonal ``4 q_i^2`` (at least 1, since the four
    sum to 4) is normalised; this stays accurate at every angle, including pi.
    """
    import torch
    _check_trailing(R, "R", (3, 3), "rotation matrices")
    r00, r01, r02, r10, r11, r12, r20, r21, r22 = R.flatten(-2).unbind(-1)
    rows = torch.stack(
        [
            torch.stack([1 + r00 + r11 + r22, r21 - r12, r02 - r20, r10 - r01], -1),
            torch.stack([r21 - r12, 1 + r00 - r11 - r22, r10 + r01, r02 + r20], -1),
            torch.stack([r02 - r20, r10 + r01, 1 - r00 + r11 - r22, r21 + r12], -1),
            torch.stack([r10 - r01, r02 + r20, r21 + r12, 1 - r00 - r11 + r22], -1),
        ],
        dim=-2,
    )
    best = rows.diagonal(dim1=-2, dim2=-1).argmax(-1)
    row = torch.take_along_dim(rows, best[..., None, None], dim=-2).squeeze(-2)
    return _canonical(row / torch.linalg.vector_norm(row, dim=-1, keepdim=True))


def _canonical(q: torch.Tensor) -> torch.Tensor:
    """Flip ``q -> -q`` where ``w < 0`` (both describe the same rotation)."""
    import torch
    return torch.where(q[..., :1] < 0, -q, q)


@_numpy_or_torch("q")
def quaternion_to_matrix(q):
    """``(..., 4) (w, x, y, z) -> (..., 3, 3)``; ``q`` is normalised first::

        R = [[1-2(y^2+z^2), 2(xy-wz),     2(xz+wy)    ],
             [2(xy+wz),     1-2(x^2+z^2), 2(yz-wx)    ],
             [2(xz-wy),     2(yz+wx),     1-2(x^2+y^2)]]
    """
    import torch
    _check_trailing(q, "q", (4,), "quaternions (w, x, y, z)")
    w, x, y, z = (q / torch.linalg.vector_norm(q, dim=-1, keepdim=True)).unbind(-1)
    return _mat3(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ]
    )


@_numpy_or_torch("aa")
def axis_angle_to_quaternion(aa):
    """``(..., 3) -> (..., 4)``: ``q = (cos(theta/2), sin(theta/2)/theta * aa)``, ``w >= 0``.

    For tiny ``theta``, ``sin(theta/2)/theta = 1/2 - t^2/48 + t^4/3840`` and
    ``cos(theta/2) = 1 - t^2/8 + t^4/384``.
    """
    import torch
    _check_trailing(aa, "aa", (3,), "axis-angle vectors")
    theta_sq = (aa * aa).sum(-1)
    small, theta = _small_angle_branch(theta_sq)
    ratio = torch.where(
        small, 0.5 - theta_sq / 48 + theta_sq**2 / 3840, torch.sin(theta / 2) / theta
    )
    w = torch.where(small, 1 - theta_sq / 8 + theta_sq**2 / 384, torch.cos(theta / 2))
    return _canonical(torch.cat([w[..., None], ratio[..., None] * aa], dim=-1))


@_numpy_or_torch("q")
def quaternion_to_axis_angle(q):
    """``(..., 4) (w, x, y, z) -> (..., 3)`` with angle in ``[0, pi]``.

    After normalising and flipping to ``w >= 0``, with ``v = (x, y, z)`` and
    ``s = |v|``: ``theta = 2 atan2(s, w)`` and ``aa = theta / s * v``.  For
    tiny ``s`` (then ``w ~ 1``), ``theta / s = 2/w (1 - r^2/3 + r^4/5)`` with
    ``r = s / w``.
    """
    import torch
    _check_trailing(q, "q", (4,), "quaternions (w, x, y, z)")
    q = _canonical(q / torch.linalg.vector_norm(q, dim=-1, keepdim=True))
    w, v = q[..., 0], q[..., 1:]
    s_sq = (v * v).sum(-1)
    small, s = _small_angle_branch(s_sq)
    w_safe = torch.where(small, w, torch.ones_like(w))  # keeps the unused branch's gradient finite
    r_sq = s_sq / (w_safe * w_safe)
    ratio = torch.where(small, 2 / w_safe * (1 - r_sq / 3 + r_sq**2 / 5), 2 * torch.atan2(s, w) / s)
    return ratio[..., None] * v


def matrix_to_axis_angle(R):
    """``(..., 3, 3) -> (..., 3)`` via the quaternion, so exact near ``pi`` too.

    At exactly ``pi`` the sign of the axis is arbitrary (both are correct).
    """
    return quaternion_to_axis_angle(matrix_to_quaternion(R))


@_numpy_or_torch("R")
def matrix_to_rot6d(R):
    """``(..., 3, 3) -> (..., 6)``: the first two columns, ``[R00, R01, R10, R11, R20, R21]``."""
    _check_trailing(R, "R", (3, 3), "rotation matrices")
    return R[..., :, :2].flatten(-2)


@_numpy_or_torch("x")
def rot6d_to_matrix(x):
    """``(..., 6) -> (..., 3, 3)`` by Gram-Schmidt on the two stored columns.

    With ``a1 = (x0, x2, x4)`` and ``a2 = (x1, x3, x5)``::

        b1 = a1 / |a1|,  b2 = normalize(a2 - <b1, a2> b1),  b3 = b1 x b2,
        R  = [b1 | b2 | b3]   (columns)

    Any input with non-parallel ``a1``, ``a2`` gives an orthonormal ``R`` with
    ``det R = +1``; for a rotation's own 6D vector it returns that rotation.
    """
    import torch
    _check_trailing(x, "x", (6,), "6D rotations [R00, R01, R10, R11, R20, R21]")
    cols = x.unflatten(-1, (3, 2))
    a1, a2 = cols[..., 0], cols[..., 1]
    b1 = torch.nn.functional.normalize(a1, dim=-1)
    b2 = torch.nn.functional.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.linalg.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def axis_angle_to_rot6d(aa):
    """``(..., 3) -> (..., 6)``, see :func:`matrix_to_rot6d` for the layout."""
    return matrix_to_rot6d(axis_angle_to_matrix(aa))


def rot6d_to_axis_angle(x):
    """``(..., 6) -> (..., 3)``, see :func:`rot6d_to_matrix`."""
    return matrix_to_axis_angle(rot6d_to_matrix(x))


def nearest_rotation(m: np.ndarray) -> np.ndarray:
    """The rotation nearest to each ``(..., 3, 3)`` matrix in the Frobenius norm (numpy):
    ``U diag(1, 1, det(U V^T)) V^T`` from the SVD ``m = U S V^T``."""
    u, _, vt = np.linalg.svd(np.asarray(m, dtype=np.float64))
    flip = np.linalg.det(u @ vt) < 0
    u[..., :, 2] = np.where(flip[..., None], -u[..., :, 2], u[..., :, 2])
    return u @ vt


def _elemental(axis: str, angle: torch.Tensor) -> torch.Tensor:
    """Rotation by ``angle (...)`` about the X, Y or Z axis, ``(..., 3, 3)``."""
    import torch
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    if axis == "X":
        return _mat3([one, zero, zero, zero, c, -s, zero, s, c])
    if axis == "Y":
        return _mat3([c, zero, s, zero, one, zero, -s, zero, c])
    return _mat3([c, -s, zero, s, c, zero, zero, zero, one])


@_numpy_or_torch("angles")
def euler_to_matrix(angles, order: str, degrees: bool = False):
    """``(..., K)`` Euler angles -> ``(..., 3, 3)``, intrinsic, ``K = len(order)``.

    ``order`` is 1 to 3 letters from ``"XYZ"`` (repeats allowed, e.g. ``"ZXZ"``);
    ``R = R_{order[0]}(a0) @ R_{order[1]}(a1) @ ...``.  So ``"ZYX"`` gives
    ``Rz(a0) Ry(a1) Rx(a2)``, which is what a BVH joint with channels
    ``Zrotation Yrotation Xrotation`` means (and scipy's uppercase
    ``Rotation.from_euler("ZYX", ...)``).
    """
    import torch
    if not isinstance(order, str) or not 1 <= len(order) <= 3 or set(order) - set("XYZ"):
        raise SynspInputError(
            f"order is {order!r}; expected 1 to 3 uppercase letters from 'XYZ' such as 'ZYX' "
            "(intrinsic rotations; lowercase/extrinsic orders are not supported)"
        )
    _check_trailing(angles, "angles", (len(order),), f"Euler angles for order {order!r}")
    if degrees:
        angles = torch.deg2rad(angles)
    R = _elemental(order[0], angles[..., 0])
    for i, axis in enumerate(order[1:], start=1):
        R = R @ _elemental(axis, angles[..., i])
    return R


@_numpy_or_torch("R1", "R2")
def geodesic_angle(R1, R2):
    """Rotation angle of ``R1^T R2`` in ``[0, pi]``; ``(..., 3, 3), (..., 3, 3) -> (...)``.

    With ``M = R1^T R2``: ``tr(M) - 1 = 2 cos(theta)`` and the skew part
    ``(M21 - M12, M02 - M20, M10 - M01)`` has norm ``2 sin(theta)``, so
    ``theta = atan2(|skew|, tr(M) - 1)``.  Unlike ``arccos`` of a clipped
    cosine this is accurate for tiny angles and its gradient is bounded;
    it stays in ``[0, pi]`` even for slightly non-orthogonal inputs.
    """
    import torch
    _check_trailing(R1, "R1", (3, 3), "rotation matrices")
    _check_trailing(R2, "R2", (3, 3), "rotation matrices")
    M = R1.transpose(-1, -2) @ R2
    skew = torch.stack(
        [M[..., 2, 1] - M[..., 1, 2], M[..., 0, 2] - M[..., 2, 0], M[..., 1, 0] - M[..., 0, 1]],
        dim=-1,
    )
    sin2_sq = (skew * skew).sum(-1)
    nonzero = sin2_sq > 0
    sin2 = torch.where(nonzero, torch.sqrt(torch.where(nonzero, sin2_sq, 1.0)), 0.0)
    cos2 = M.diagonal(dim1=-2, dim2=-1).sum(-1) - 1
    return torch.atan2(sin2, cos2)


# ----------------------------------------------------------------------------
# DCT along time


def _check_norm(norm) -> None:
    if norm not in ("ortho", None):
        raise SynspInputError(f"norm is {norm!r}; expected 'ortho' or None")


@functools.lru_cache(maxsize=64)
def dct_matrix(n: int, norm: str | None = "ortho") -> np.ndarray:
    """Type-II DCT as an ``(n, n)`` float64 matrix, ``coeffs = M @ x`` along time.

    ``norm=None`` (same as ``scipy.fft.dct(x, type=2, norm=None, axis=0)``)::

        M[k, i] = 2 cos(pi k (2i + 1) / (2n))

    ``norm="ortho"`` scales row 0 by ``1/sqrt(4n)`` and the others by
    ``1/sqrt(2n)``, making ``M`` orthogonal.  The result is cached and
    read-only; copy it before modifying.
    """
    _check_norm(norm)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise SynspInputError(f"n is {n!r}; expected a positive integer number of frames")
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    M = 2 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))
    if norm == "ortho":
        M[0] *= math.sqrt(1 / (4 * n))
        M[1:] *= math.sqrt(1 / (2 * n))
    M.flags.writeable = False
    return M


@functools.lru_cache(maxsize=64)
def idct_matrix(n: int, norm: str | None = "ortho") -> np.ndarray:
    """Exact inverse of :func:`dct_matrix` ``(n, norm)``, ``(n, n)`` float64, read-only.

    With ``C = dct_matrix(n, "ortho")`` (orthogonal) and ``dct_matrix(n, None)
    = diag(f) C`` where ``f = (2 sqrt(n), sqrt(2n), ..., sqrt(2n))``, the
    inverses are ``C^T`` and ``C^T diag(1/f)``.
    """
    C = dct_matrix(n, "ortho")
    if norm == "ortho":
        Minv = C.T.copy()
    else:
        _check_norm(norm)
        f = np.full(n, math.sqrt(2 * n))
        f[0] = 2 * math.sqrt(n)
        Minv = C.T / f[None, :]
    Minv.flags.writeable = False
    return Minv


@functools.lru_cache(maxsize=64)
def _time_matrix_torch(n: int, norm, inverse: bool, dtype: torch.dtype, device: torch.device):
    import torch
    M = idct_matrix(n, norm) if inverse else dct_matrix(n, norm)
    return torch.tensor(M, dtype=dtype, device=device)


def _apply_along(x: torch.Tensor, axis: int, norm, inverse: bool) -> torch.Tensor:
    import torch
    _check_norm(norm)
    if not -x.ndim <= axis < x.ndim:
        raise SynspInputError(
            f"axis is {axis} but x has shape {tuple(x.shape)} ({x.ndim}-d); "
            f"expected -{x.ndim} <= axis < {x.ndim}"
        )
    n = x.shape[axis]
    if n == 0:
        raise SynspInputError(f"x has shape {tuple(x.shape)}: 0 frames along axis {axis}")
    M = _time_matrix_torch(n, norm, inverse, x.dtype, x.device)
    return (torch.movedim(x, axis, -1) @ M.T).movedim(-1, axis)


@_numpy_or_torch("x")
def dct(x, axis: int = -2, norm: str | None = "ortho"):
    """Type-II DCT of ``x`` along ``axis`` (default ``-2``: time in ``(..., T, C)``).

    Same shape as ``x``; coefficient ``k`` sits where frame ``k`` was.  Equals
    ``scipy.fft.dct(x, type=2, axis=axis, norm=norm)``.
    """
    return _apply_along(x, axis, norm, inverse=False)


@_numpy_or_torch("x")
def idct(x, axis: int = -2, norm: str | None = "ortho"):
    """Inverse of :func:`dct` with the same ``axis`` and ``norm``: ``idct(dct(x)) == x``."""
    return _apply_along(x, axis, norm, inverse=True)


# ----------------------------------------------------------------------------
# Procrustes


def _procrustes(source: torch.Tensor, target: torch.Tensor, with_scale: bool):
    """Shared body of :func:`similarity_procrustes` and :func:`rigid_procrustes`."""
    import torch
    for name, x in (("source", source), ("target", target)):
        if x.ndim < 2 or x.shape[-1] not in (2, 3) or x.shape[-2] == 0:
            raise SynspInputError(
                f"{name} has shape {tuple(x.shape)}; expected (..., N, D) points with N >= 1 "
                "and D = 2 or 3"
            )
    if source.shape != target.shape:
        raise SynspInputError(
            f"source has shape {tuple(source.shape)} but target has shape "
            f"{tuple(target.shape)}; they must match"
        )
    mu1 = source.mean(-2, keepdim=True)
    mu2 = target.mean(-2, keepdim=True)
    X1, X2 = source - mu1, target - mu2
    K = X1.transpose(-1, -2) @ X2  # sum_i x1_i x2_i^T, (..., D, D)
    # Items with NaN/inf points get NaN results instead of failing the whole batch's SVD.
    bad = ~torch.isfinite(K).all(-1).all(-1)
    K = torch.where(bad[..., None, None], 0.0, K)
    # K = 0 (all source or all target points equal) leaves R undetermined and the SVD
    # gradient undefined; those items get R = I from a stand-in with distinct singular values.
    k_zero = (K == 0).all(-1).all(-1)
    D = K.shape[-1]
    stand_in = torch.diag(torch.arange(D, 0, -1, dtype=K.dtype, device=K.device))
    U, _, Vh = torch.linalg.svd(torch.where(k_zero[..., None, None], stand_in, K))
    # Reflection fix: flip the last singular direction where det(U V^T) < 0.
    flip = torch.linalg.det(U @ Vh) < 0
    z = torch.ones(K.shape[:-1], dtype=K.dtype, device=K.device)
    z[..., -1] = torch.where(flip, -1.0, 1.0)
    R = Vh.transpose(-1, -2) @ (z[..., :, None] * U.transpose(-1, -2))  # V Z U^T
    if with_scale:
        var1 = (X1 * X1).sum((-2, -1))
        trace_rk = (R * K.transpose(-1, -2)).sum((-2, -1))
        scale = trace_rk / torch.where(var1 > 0, var1, torch.ones_like(var1))
    else:
        scale = torch.ones(K.shape[:-2], dtype=K.dtype, device=K.device)
    t = (mu2 - scale[..., None, None] * mu1 @ R.transpose(-1, -2)).squeeze(-2)
    nan = torch.tensor(float("nan"), dtype=K.dtype, device=K.device)
    return (
        torch.where(bad, nan, scale),
        torch.where(bad[..., None, None], nan, R),
        torch.where(bad[..., None], nan, t),
    )


@_numpy_or_torch("source", "target")
def similarity_procrustes(source, target):
    """Best similarity transform from ``source`` to ``target``, both ``(..., N, D)``.

    Minimises ``sum_i |s R x_i + t - y_i|^2`` over scale ``s``, rotation ``R``
    (``det R = +1``) and translation ``t``, where ``x_i``, ``y_i`` are the rows.
    In points-as-columns form (SmoothNet's ``compute_similarity_transform``)::

        X1 = S1 - mu1,  X2 = S2 - mu2,  K = X1 X2^T,  U S V^T = svd(K)
        Z  = diag(1, ..., 1, sign det(U V^T)),  R = V Z U^T
        s  = tr(R K) / |X1|_F^2,  t = mu2 - s R mu1

    Returns ``(scale (...), R (..., D, D), t (..., D))``; the aligned source is
    ``s * source @ R^T + t`` (see :func:`procrustes_align`).  A degenerate
    source (all points equal) gives ``s = 0``, ``R = I`` and ``t = mean(target)``
    (finite gradients too); an item with any NaN/inf point gets NaN outputs, the
    other items are unaffected.
    """
    return _procrustes(source, target, with_scale=True)


@_numpy_or_torch("source", "target")
def rigid_procrustes(source, target):
    """As :func:`similarity_procrustes` with ``s = 1``; returns ``(R (..., D, D), t (..., D))``."""
    _, R, t = _procrustes(source, target, with_scale=False)
    return R, t


@_numpy_or_torch("source", "target")
def procrustes_align(source, target):
    """``source`` moved onto ``target`` by :func:`similarity_procrustes`, shape ``(..., N, D)``."""
    scale, R, t = _procrustes(source, target, with_scale=True)
    return scale[..., None, None] * source @ R.transpose(-1, -2) + t[..., None, :]
