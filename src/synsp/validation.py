"""Input checks shared by every public function.

Every user mistake (wrong rank, wrong coordinate count, NaN, mismatched shapes,
empty input) raises :class:`SynspInputError`, a :class:`ValueError` whose
message names the offending argument, what it was and what was expected.  The
CLI prints these messages without a traceback and exits non-zero.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

import numpy as np

__all__ = ["SynspInputError", "is_torch", "to_numpy", "check_poses", "check_same_shape"]


class SynspInputError(ValueError):
    """A problem with what the user passed in (shape, value, file), not a bug."""


def is_torch(x: Any) -> bool:
    """True for a torch tensor (without importing torch: if it is not loaded, x is no tensor)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def to_numpy(x: Any, dtype=np.float64) -> np.ndarray:
    """numpy view/copy of an array-like or a torch tensor (detached, on the CPU)."""
    if is_torch(x):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def _shape_str(shape: Iterable[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def check_poses(
    x: Any,
    name: str = "poses",
    ndims: tuple[int, ...] = (3,),
    dims: tuple[int, ...] = (2, 3),
    joints: int | None = None,
    allow_nan: bool = False,
    min_frames: int = 1,
) -> np.ndarray:
    """Validate a pose array and return it as float64 numpy.

    ``x`` is ``(T, J, D)`` (``ndims=(3,)``) or ``(T, P, J, D)`` (``ndims=(4,)``);
    ``D`` must be in ``dims``, ``J`` equal ``joints`` when given, ``T >= min_frames``.
    NaN/inf raise unless ``allow_nan`` (then only inf raises).
    """
    arr = to_numpy(x)
    layout = {3: "(T, J, D)", 4: "(T, P, J, D)", 2: "(T, C)"}
    expected = " or ".join(layout.get(n, f"{n}-d") for n in ndims)
    if arr.ndim not in ndims:
        raise SynspInputError(
            f"{name} has shape {_shape_str(arr.shape)} ({arr.ndim}-d); expected {expected}"
        )
    if arr.shape[0] < min_frames:
        what = "is empty (0 frames)" if arr.shape[0] == 0 else f"has {arr.shape[0]} frames"
        raise SynspInputError(f"{name} {what}; expected at least {min_frames} frame(s)")
    if arr.ndim >= 3 and arr.shape[-1] not in dims:
        raise SynspInputError(
            f"{name} has D = {arr.shape[-1]} coordinates per joint (shape {_shape_str(arr.shape)}); "
            f"expected D in {set(dims)}, laid out as {expected}"
        )
    if arr.ndim >= 3 and arr.shape[-2] == 0:
        raise SynspInputError(f"{name} has 0 joints (shape {_shape_str(arr.shape)})")
    if joints is not None and arr.ndim >= 3 and arr.shape[-2] != joints:
        raise SynspInputError(
            f"{name} has J = {arr.shape[-2]} joints (shape {_shape_str(arr.shape)}); expected J = {joints}"
        )
    if np.isinf(arr).any():
        idx = tuple(int(i) for i in np.argwhere(np.isinf(arr))[0])
        raise SynspInputError(f"{name} contains inf (first at index {idx}); pass finite values")
    if not allow_nan and np.isnan(arr).any():
        idx = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise SynspInputError(
            f"{name} contains NaN (first at index {idx}); fill or mask missing joints first"
        )
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str] = ("pred", "gt")) -> None:
    if a.shape != b.shape:
        raise SynspInputError(
            f"{names[0]} has shape {_shape_str(a.shape)} but {names[1]} has shape "
            f"{_shape_str(b.shape)}; they must match"
        )
