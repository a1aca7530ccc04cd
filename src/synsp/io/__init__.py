"""Readers and writers for motion data.

=====================  ==============================================  ==========================
suffix                 reader                                          returns
=====================  ==============================================  ==========================
``.bvh``, ``.bvh.gz``  :func:`read_bvh` (:func:`write_bvh`)            :class:`Motion` (file units, cm by default)
``.amc``, ``.amc.gz``  :func:`read_amc` with an ASF (:func:`read_asf`)  :class:`Motion` (metres, 120 fps)
exp-map ``.txt(.gz)``  :func:`read_expmap` + ``skeleton_38.json``      :class:`Motion` (metres, 120 fps)
``.trc``               :func:`read_trc` (:func:`write_trc`)            :class:`Markers` (file units)
``.npy``, ``.npz``     :func:`read_array` (:func:`write_array`)        ``ndarray`` (T, J, D) / (T, P, J, D)
SmoothNet folders      :func:`load_smoothnet`, :func:`convert_smoothnet`, :func:`group_views`
=====================  ==============================================  ==========================

Every user mistake raises :class:`synsp.validation.SynspInputError` naming the file, the
line or key, what was found and what was expected.  Writers are atomic (temporary file in
the target folder, then ``os.replace``).
"""

from __future__ import annotations

from typing import Any

from synsp.io._common import as_path, suffix_of
from synsp.io.arrays import read_array, write_array
from synsp.io.asf_amc import AsfSkeleton, find_asf_for, read_amc, read_asf, read_asf_amc
from synsp.io.bvh import read_bvh, write_bvh
from synsp.io.expmap import read_expmap
from synsp.io.motion import Motion
from synsp.io.smoothnet import (
    H36M_TO_J14,
    H36M_TO_J17,
    SMOOTHNET_DATASETS,
    SMPL_TO_J14,
    SmoothNetSequence,
    SmoothNetSpec,
    ViewGroup,
    convert_smoothnet,
    group_views,
    load_smoothnet,
    smoothnet_paths,
    smoothnet_spec,
)
from synsp.io.trc import Markers, read_trc, write_trc
from synsp.validation import SynspInputError

__all__ = [
    "Motion",
    "Markers",
    "AsfSkeleton",
    "SmoothNetSequence",
    "SmoothNetSpec",
    "ViewGroup",
    "read_motion",
    "read_bvh",
    "write_bvh",
    "read_asf",
    "read_amc",
    "read_asf_amc",
    "find_asf_for",
    "read_expmap",
    "read_trc",
    "write_trc",
    "read_array",
    "write_array",
    "load_smoothnet",
    "convert_smoothnet",
    "group_views",
    "smoothnet_spec",
    "smoothnet_paths",
    "SMOOTHNET_DATASETS",
    "H36M_TO_J17",
    "H36M_TO_J14",
    "SMPL_TO_J14",
    "SUPPORTED_SUFFIXES",
]

#: suffixes :func:`read_motion` dispatches on
SUPPORTED_SUFFIXES = (".bvh", ".bvh.gz", ".amc", ".amc.gz", ".trc", ".npy", ".npz")


def read_motion(path: Any, **kw: Any) -> Any:
    """Read a motion file, choosing the reader from the suffix.

    * ``.bvh`` / ``.bvh.gz`` -> :func:`read_bvh` (``Motion``); ``kw``: ``scale``, ``units``, ``fps``, ``end_sites``.
    * ``.amc`` / ``.amc.gz`` -> :func:`read_amc` (``Motion``); ``asf=`` names the skeleton, else
      ``<subject>.asf`` (or the only ``*.asf``) beside the file is used; ``kw``: ``fps``, ``metres``.
    * ``.trc`` -> :func:`read_trc` (``Markers``); ``kw``: ``metres``.
    * ``.npy`` / ``.npz`` -> :func:`read_array` (``ndarray``); ``kw``: ``key``.
    """
    p = as_path(path)
    suf = suffix_of(p)
    try:
        if suf in (".bvh", ".bvh.gz"):
            return read_bvh(p, **kw)
        if suf in (".amc", ".amc.gz"):
            asf = kw.pop("asf", None)
            return read_amc(p, asf if asf is not None else find_asf_for(p), **kw)
        if suf == ".trc":
            return read_trc(p, **kw)
        if suf in (".npy", ".npz"):
            return read_array(p, **kw)
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise SynspInputError(f"{p}: {exc} (reader for {suf!r} files)") from exc
        raise
    raise SynspInputError(
        f"{p}: cannot tell the format from the suffix {suf!r}; supported suffixes: "
        f"{', '.join(SUPPORTED_SUFFIXES)} (exp-map CSVs: use read_expmap; SmoothNet folders: load_smoothnet)"
    )
