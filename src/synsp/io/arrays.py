"""Plain joint arrays in ``.npy`` / ``.npz`` files.

* Arrays are ``(T, J, D)`` (frames, joints, 2 or 3 coordinates) or ``(T, P, J, D)``
  (``P`` views or people).  NaN marks a missing joint and is allowed; inf is not.
* Files are always opened with ``allow_pickle=False``: object arrays (for example the
  per-sequence SmoothNet files) are refused with a pointer to
  :func:`synsp.io.convert_smoothnet`.
* In an ``.npz`` with several arrays, ``key=`` picks one; without it the only array is
  used, else the first of :data:`DEFAULT_KEYS` present, else the error lists the keys.
* :func:`write_array` writes atomically (temporary file in the same folder, then
  ``os.replace``); ``.npz`` output is compressed and stores the array under ``key``.
"""

from __future__ import annotations

from typing import Any, IO

import numpy as np

from synsp.io._common import as_path, atomic_write, suffix_of
from synsp.validation import SynspInputError, check_poses, to_numpy

__all__ = ["read_array", "write_array", "DEFAULT_KEYS"]

#: keys tried, in order, when an ``.npz`` holds several arrays and no ``key`` is given
DEFAULT_KEYS = ("keypoints", "poses", "positions", "joints_3d", "joints_2d", "joints", "kpts")

_PICKLE_HINT = (
    "object arrays need pickle, which this reader never enables (unpickling a file can run "
    "arbitrary code). For SmoothNet-format files use synsp.io.load_smoothnet(..., trust_pickle=True) "
    "or convert them once with synsp.io.convert_smoothnet"
)


def _check(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.dtype == object:
        raise SynspInputError(f"{what} is an object array; {_PICKLE_HINT}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise SynspInputError(f"{what} has dtype {arr.dtype}; expected numbers")
    return check_poses(arr, name=what, ndims=(3, 4), dims=(2, 3), allow_nan=True)


def read_array(path: Any, key: str | None = None) -> np.ndarray:
    """Read a ``(T, J, D)`` or ``(T, P, J, D)`` float64 array from ``.npy`` or ``.npz``."""
    p = as_path(path)
    suf = suffix_of(p)
    if suf not in (".npy", ".npz"):
        raise SynspInputError(f"{p}: read_array reads .npy and .npz files; found suffix {suf!r}")
    if not p.is_file():
        raise SynspInputError(f"{p}: file not found")
    try:
        loaded = np.load(p, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise SynspInputError(f"{p}: {_PICKLE_HINT}") from exc
        raise SynspInputError(f"{p}: not a valid {suf} file ({exc})") from exc
    except (OSError, EOFError) as exc:
        raise SynspInputError(f"{p}: not a valid {suf} file ({exc})") from exc
    if suf == ".npy":
        if key is not None:
            raise SynspInputError(f"{p}: key={key!r} only applies to .npz files")
        return _check(loaded, str(p))
    with loaded as z:
        keys = list(z.files)
        if not keys:
            raise SynspInputError(f"{p}: the .npz file holds no arrays")
        if key is None:
            if len(keys) == 1:
                key = keys[0]
            else:
                key = next((k for k in DEFAULT_KEYS if k in keys), None)
                if key is None:
                    raise SynspInputError(
                        f"{p}: holds several arrays {keys} and none of the default keys "
                        f"{list(DEFAULT_KEYS)}; pass key=<one of {keys}>"
                    )
        elif key not in keys:
            raise SynspInputError(f"{p}: has no array {key!r}; its keys are {keys}")
        try:
            arr = z[key]
        except ValueError as exc:
            if "pickle" in str(exc).lower():
                raise SynspInputError(f"{p}[{key!r}]: {_PICKLE_HINT}") from exc
            raise SynspInputError(f"{p}[{key!r}]: cannot be read ({exc})") from exc
    return _check(arr, f"{p}[{key!r}]")


def write_array(path: Any, array: Any, key: str = "keypoints", **extra: Any) -> None:
    """Write a joint array to ``.npy`` or (compressed) ``.npz``, atomically.

    For ``.npz`` the array is stored under ``key``; ``extra`` arrays (numeric or fixed-width
    strings, never objects) are stored beside it.
    """
    p = as_path(path)
    suf = suffix_of(p)
    if suf not in (".npy", ".npz"):
        raise SynspInputError(f"{p}: write_array writes .npy or .npz files; found suffix {suf!r}")
    arr = to_numpy(array) if not isinstance(array, np.ndarray) else array
    if arr.dtype == object:
        raise SynspInputError(f"array for {p} is an object array; only numeric arrays are written")
    arr = check_poses(arr, name=f"array for {p}", ndims=(3, 4), dims=(2, 3), allow_nan=True)
    if suf == ".npy":
        if extra:
            raise SynspInputError(f"{p}: extra arrays {sorted(extra)} need an .npz file")

        def write(fh: IO[bytes]) -> None:
            np.save(fh, arr, allow_pickle=False)
    else:
        payload = {key: arr}
        for k, v in extra.items():
            a = np.asarray(v)
            if a.dtype == object:
                raise SynspInputError(f"extra array {k!r} for {p} is an object array; not written")
            if k in payload:
                raise SynspInputError(f"extra array {k!r} collides with key {key!r}")
            payload[k] = a

        def write(fh: IO[bytes]) -> None:
            np.savez_compressed(fh, **payload)

    atomic_write(p, write, binary=True)
