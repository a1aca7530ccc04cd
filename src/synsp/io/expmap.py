"""Reader for exp-map CSV motions (the CMU "Li et al. 2018" benchmark files).

Each row is a frame: columns ``0:3`` the root translation (skeleton units) and columns
``3 + 3 i : 6 + 3 i`` the exponential map (axis * angle, radians) of joint ``i``.  The tree
comes from a JSON file with ``parents``, ``offsets_asf_units`` (or ``offsets``),
``joint_names`` and optionally ``units_to_metres`` (the ``skeleton_38.json`` shipped
with the data).  The JSON describes the FK in the row-vector convention::

    G_0 = R(e_0);  p_0 = t;   G_i = R(e_i) @ G_parent;  p_i = off_i @ G_parent + p_parent

which, transposed into this package's column-vector convention, is a local rotation
``L_i = R(e_i)^T`` and ``p_i = p_parent + G'_parent @ off_i`` (``offset_frame="parent"``).
Row 0 of each file is a rest pose and is dropped by default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from synsp.io._common import as_path, read_text
from synsp.io.motion import Motion
from synsp.validation import SynspInputError

__all__ = ["read_expmap", "load_expmap_skeleton", "find_expmap_skeleton"]

CMU_ASF_METRES_PER_UNIT = 0.056444


def find_expmap_skeleton(path: Any, name: str = "skeleton_38.json") -> Path:
    """``name`` in the folder of ``path`` or one of its (up to 4) parent folders."""
    p = as_path(path).resolve()
    for folder in [p.parent, *list(p.parent.parents)[:4]]:
        cand = folder / name
        if cand.is_file():
            return cand
    raise SynspInputError(
        f"{path}: cannot find {name} in its folder or the folders above it; pass skeleton=<json path>"
    )


def load_expmap_skeleton(path: Any) -> dict:
    """Parsed and checked skeleton JSON: keys ``joint_names``, ``parents`` (J,), ``offsets`` (J, 3), ``units_to_metres``."""
    p = as_path(path)
    try:
        meta = json.loads(read_text(p))
    except json.JSONDecodeError as exc:
        raise SynspInputError(f"{p}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise SynspInputError(f"{p}: expected a JSON object with 'parents' and 'offsets_asf_units'")
    for key in ("parents",):
        if key not in meta:
            raise SynspInputError(f"{p}: missing key {key!r}; found keys {sorted(meta)}")
    off_key = "offsets_asf_units" if "offsets_asf_units" in meta else "offsets"
    if off_key not in meta:
        raise SynspInputError(f"{p}: missing key 'offsets_asf_units' (or 'offsets'); found keys {sorted(meta)}")
    parents = np.asarray(meta["parents"], dtype=np.int64)
    offsets = np.asarray(meta[off_key], dtype=np.float64)
    J = parents.shape[0]
    if offsets.shape != (J, 3):
        raise SynspInputError(f"{p}: {off_key!r} has shape {offsets.shape}; expected ({J}, 3) to match 'parents'")
    names = meta.get("joint_names") or [f"joint{i}" for i in range(J)]
    if len(names) != J:
        raise SynspInputError(f"{p}: 'joint_names' has {len(names)} entries; expected {J}")
    mpu = float(meta.get("units_to_metres", CMU_ASF_METRES_PER_UNIT))
    return {"joint_names": list(names), "parents": parents, "offsets": offsets, "units_to_metres": mpu}


def read_expmap(
    path: Any,
    skeleton: Any = None,
    *,
    fps: float = 120.0,
    drop_rest: bool = True,
    metres: bool = True,
) -> Motion:
    """Read an exp-map CSV (``.txt``/``.txt.gz``, comma-separated) into a :class:`Motion`.

    ``skeleton`` is the tree JSON (path or an already loaded dict); by default
    ``skeleton_38.json`` is looked up beside the file and in the folders above it.
    ``drop_rest`` removes row 0 (a rest pose); lengths are in metres unless ``metres=False``.
    """
    p = as_path(path)
    src = str(p)
    if skeleton is None:
        skeleton = find_expmap_skeleton(p)
    skel = skeleton if isinstance(skeleton, dict) else load_expmap_skeleton(skeleton)
    J = len(skel["parents"])
    rows = []
    for ln, line in enumerate(read_text(p).splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        parts = s.split(",")
        if len(parts) != 3 + 3 * J:
            raise SynspInputError(
                f"{src}: line {ln}: {len(parts)} comma-separated values; expected {3 + 3 * J} "
                f"(3 root translation + 3 exp-map values for each of the {J} joints of the skeleton)"
            )
        try:
            rows.append([float(v) for v in parts])
        except ValueError:
            bad = next(v for v in parts if not _is_float(v))
            raise SynspInputError(f"{src}: line {ln}: {bad.strip()!r} is not a number") from None
    data = np.asarray(rows, dtype=np.float64).reshape(-1, 3 + 3 * J)
    if drop_rest:
        data = data[1:]
    if data.shape[0] == 0:
        raise SynspInputError(f"{src}: no motion frames{' after dropping the rest row' if drop_rest else ''}")
    if not np.isfinite(data).all():
        k = int(np.argwhere(~np.isfinite(data))[0, 0]) + (1 if drop_rest else 0)
        raise SynspInputError(f"{src}: data row {k} contains a NaN or inf value")
    T = data.shape[0]
    ev = data[:, 3:].reshape(T * J, 3)
    local = Rotation.from_rotvec(ev).as_matrix().reshape(T, J, 3, 3).transpose(0, 1, 3, 2)
    scale = skel["units_to_metres"] if metres else 1.0
    return Motion(
        joint_names=skel["joint_names"],
        parents=skel["parents"],
        offsets=skel["offsets"] * scale,
        local_rotations=local,
        root_translation=data[:, :3] * scale,
        fps=fps,
        units="m" if metres else "asf",
        metres_per_unit=1.0 if metres else skel["units_to_metres"],
        source=src,
        offset_frame="parent",
    )


def _is_float(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False
