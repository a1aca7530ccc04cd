"""Camera calibrations: Pose2Sim / anipose ``.toml`` and ``.npz`` files read into :mod:`synsp.calibration`'s form.

* ``.toml`` (Pose2Sim's ``Calib*.toml``, anipose's ``calibration.toml``): one table per camera (``[cam_01]``, ...;
  ``[metadata]`` and tables with no camera key, such as Caliscope's ``[charuco]``, are skipped), in file order,
  each with ``matrix`` (3 x 3 intrinsics, pixels), ``distortions`` (4 or 5: OpenCV's ``k1, k2, p1, p2[, k3]``),
  ``rotation`` (world to camera, a Rodrigues vector) and ``translation`` (world to camera, the calibration's
  unit).  A camera with ``fisheye = true`` (anipose's fisheye cameras, GoPro-like lenses) follows OpenCV's fisheye
  model, its ``distortions`` the 4 coefficients ``k1, k2, k3, k4``.
* ``.npz``: ``K`` ``(C, 3, 3)``, ``R`` ``(C, 3, 3)``, ``t`` ``(C, 3)``, optionally ``dist`` ``(C, 4|5)``,
  ``fisheye`` ``(C,)`` and ``names`` (``benchmarks/data/pose2sim/cameras.npz`` is one); read without pickle.

The order of the cameras is the order of the views they calibrate.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..calibration import check_cameras
from ..geometry import axis_angle_to_matrix
from ..validation import SynspInputError
from ._common import read_npz

__all__ = ["read_cameras"]

#: the tables of a ``.toml`` calibration that are not cameras (Pose2Sim's and anipose's); any other with one of a
#: camera's keys is one, and then a missing key is an error, not a camera fewer
NOT_CAMERAS = ("metadata",)


def read_cameras(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """``{"K", "R", "t", "dist", "names"}`` of the cameras in ``path`` (``.toml`` or ``.npz``), checked
    (:func:`synsp.calibration.check_cameras`); :class:`SynspInputError` naming the file and what is wrong."""
    p = Path(path)
    if not p.is_file():
        raise SynspInputError(f"{p}: no such camera calibration file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".toml":
            cams = _read_toml(p)
        elif suffix == ".npz":
            data = read_npz(p)
            cams = {k: data[k] for k in ("K", "R", "t", "dist", "fisheye", "names") if k in data}
        else:
            raise SynspInputError(f"{p}: a camera calibration is a Pose2Sim / anipose .toml or an .npz with K, R, t")
        names = cams.pop("names", None)
        out = check_cameras(cams)
    except SynspInputError as err:
        raise SynspInputError(f"{p}: {err}" if not str(err).startswith(str(p)) else str(err)) from None
    out["names"] = np.asarray(names if names is not None else [f"cam{c + 1}" for c in range(len(out["K"]))])
    return out


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise SynspInputError(f"{path}: not a readable TOML file ({err})") from None
    keys = ("matrix", "distortions", "rotation", "translation")
    tables = [(name, t) for name, t in doc.items() if isinstance(t, dict) and name.lower() not in NOT_CAMERAS
              and any(k in t for k in keys)]  # a table with none of a camera's keys is something else ([charuco])
    if not tables:
        raise SynspInputError(f"{path}: no camera table (expected [cam_01] tables as Pose2Sim and anipose write them)")
    out: dict[str, list] = {"K": [], "R": [], "t": [], "dist": [], "fisheye": [], "names": []}
    for name, t in tables:
        missing = [k for k in keys if k not in t]
        if missing:
            raise SynspInputError(f"{path}: [{name}] lacks {', '.join(missing)} (a table with any of "
                                  f"{', '.join(keys)} is read as a camera)")
        fisheye = t.get("fisheye", False)
        if not isinstance(fisheye, bool):
            raise SynspInputError(f"{path}: [{name}] fisheye = {fisheye!r}; expected true or false")
        try:
            rvec = np.asarray(t["rotation"], dtype=np.float64)
            dist = np.asarray(t["distortions"], dtype=np.float64)
            out["K"].append(np.asarray(t["matrix"], dtype=np.float64))
            out["t"].append(np.asarray(t["translation"], dtype=np.float64))
        except (TypeError, ValueError):
            raise SynspInputError(f"{path}: [{name}] has values that are not numbers") from None
        if rvec.shape != (3,) or dist.shape not in (((4,),) if fisheye else ((4,), (5,))):
            raise SynspInputError(f"{path}: [{name}] rotation has shape {rvec.shape} and distortions {dist.shape}; "
                                  f"expected a Rodrigues vector (3) and "
                                  + ("4 coefficients (a fisheye camera: k1, k2, k3, k4)" if fisheye else
                                     "4 or 5 coefficients (k1, k2, p1, p2[, k3])"))
        out["R"].append(np.asarray(axis_angle_to_matrix(rvec), dtype=np.float64))
        out["dist"].append(np.pad(dist, (0, 5 - len(dist))))
        out["fisheye"].append(fisheye)
        out["names"].append(str(t.get("name", name)))
    shapes = {k: {np.shape(v) for v in vals} for k, vals in out.items() if k != "names"}
    if any(len(s) > 1 for s in shapes.values()):
        raise SynspInputError(f"{path}: the cameras' tables do not all have the same shapes ({shapes})")
    return {k: np.stack(v) if k != "names" else v for k, v in out.items()}
