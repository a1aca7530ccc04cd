"""The SmoothNet data format (also used by DeciWatch and SynSP).

Layout under a root folder (``data/poses`` in those projects)::

    <root>/<dataset>_<estimator>_<repr>/groundtruth/<dataset>_gt_<repr>_<split>.npz
    <root>/<dataset>_<estimator>_<repr>/detected/<dataset>_<estimator>_<repr>_<split>.npz

``<repr>`` is ``3D``, ``2D`` or ``smpl``; ``<split>`` is ``train`` or ``test``.  Every key of
these files is an **object array with one entry per sequence**; the sequence order is the
same in the ground-truth and the detected file.  Keys:

* ``imgname``: per-frame image names (H36M: ``S9/Directions/camera1/img_000001.jpg``);
* 3D: ``joints_3d`` ``(T, J*3)`` in metres (root-relative as stored);
* 2D: ``joints_2d`` ``(T, J*2)`` in pixels; Sub-JHMDB also ``imgshape`` ``[H, W]`` per
  sequence and ``bbox`` ``(T, 4)``;
* SMPL: ``pose`` ``(T, 72)`` axis-angle and ``shape`` ``(T, 10)``; AIST++ ground truth has
  ``trans`` ``(T, 3)`` and ``scaling`` (per sequence) instead of ``shape``.
  DeciWatch detected files may also carry ``camera`` ``(T, 3)``.

Object arrays can only be loaded with pickle, and unpickling a file can run arbitrary
code.  :func:`load_smoothnet` therefore refuses them unless ``trust_pickle=True``.  The
one-time converter :func:`convert_smoothnet` writes a pickle-free copy
``<name>.safe.npz`` (per-sequence arrays concatenated along frames, plus an int64
``<key>__offsets`` array, image names as fixed-width unicode and a JSON description
under ``__synsp_format__``).  :func:`load_smoothnet` prefers ``<name>.safe.npz`` when it
sits beside ``<name>.npz`` (or instead of it) and reads it without the flag.

What the loader returns: 3D/2D joints as float64 ``(T, J, D)`` arrays, **as stored**
(metres or pixels; the H36M ``(x - 500) / 500`` and JHMDB ``x / W - 0.5`` 2D
normalisations of the training code are *not* applied); 3DPW-EFT/SPIN/PARE 3D arrays
stored as H36M-17 are remapped to the 14-joint LSP order with :data:`H36M_TO_J14`
(applied to whichever file has 17 joints); SMPL as dicts of per-frame arrays.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, IO, Sequence

import numpy as np

from synsp.io._common import as_path, atomic_write, npz_headers, open_npz, suffix_of
from synsp.io.tracks import PoseFile, Track
from synsp.skeletons import SKELETONS
from synsp.validation import SynspInputError

__all__ = [
    "SmoothNetSpec",
    "SmoothNetSequence",
    "ViewGroup",
    "SMOOTHNET_DATASETS",
    "H36M_TO_J17",
    "H36M_TO_J14",
    "SMPL_TO_J14",
    "smoothnet_spec",
    "smoothnet_paths",
    "load_smoothnet",
    "convert_smoothnet",
    "group_views",
    "SAFE_SUFFIX",
]

#: SPIN's map from the H36M 17-joint order to its 17-joint (LSP-14 + pelvis, spine, head) order
H36M_TO_J17 = (6, 5, 4, 1, 2, 3, 16, 15, 14, 11, 12, 13, 8, 10, 0, 7, 9)
#: the first 14 entries: H36M-17 to the 14-joint LSP order used for 3DPW / AIST++
H36M_TO_J14 = H36M_TO_J17[:14]
#: SMPL(+extra) joints used for the 14-joint SMPL evaluation (needs SPIN's 49-joint regressor)
SMPL_TO_J14 = (11, 10, 9, 12, 13, 14, 4, 3, 2, 5, 6, 7, 1, 38)

SAFE_SUFFIX = ".safe.npz"
_FORMAT_KEY = "__synsp_format__"
_FORMAT_NAME = "synsp-smoothnet-safe"
_OFFSETS = "__offsets"


@dataclass(frozen=True)
class SmoothNetSpec:
    """One ``<dataset>_<estimator>_<repr>`` folder of the SmoothNet data.

    ``layout`` names the joint set after loading (``h36m17``, ``j14``, ``mpi17``,
    ``jhmdb15`` or ``smpl``; the names match :mod:`synsp.skeletons` where it defines them).
    ``root_joints`` are the joints averaged for root-relative evaluation (empty when the
    evaluation is not root-relative, e.g. 2D).  ``stored_as_h36m17`` marks files stored as
    H36M-17 that the loader remaps with :data:`H36M_TO_J14`.
    """

    dataset: str
    estimator: str
    representation: str
    layout: str
    num_joints: int
    dims: int
    root_joints: tuple[int, ...]
    stored_as_h36m17: bool = False
    fps: float | None = None
    note: str = ""

    @property
    def folder(self) -> str:
        return f"{self.dataset}_{self.estimator}_{self.representation}"


def _build_table() -> dict[tuple[str, str, str], SmoothNetSpec]:
    t: dict[tuple[str, str, str], SmoothNetSpec] = {}

    def add(ds, ests, rep, layout, J, D, root, fps=None, h36m=(), note=""):
        for e in ests:
            t[(ds, e, rep)] = SmoothNetSpec(ds, e, rep, layout, J, D, tuple(root), e in h36m, fps, note)

    add("h36m", ["fcn", "rle", "videoposet27", "videoposet81", "videoposet243"], "3D", "h36m17", 17, 3, [0], 50.0)
    add("h36m", ["ppt"], "3D", "h36m17", 17, 3, [0], 50.0, note="added by SynSP")
    add("h36m", ["tcmr", "vibe"], "3D", "j14", 14, 3, [2, 3], 50.0)
    add("h36m", ["cpn", "hourglass", "hrnet", "rle"], "2D", "h36m17", 17, 2, [], 50.0,
        note="pixels in a 1000 px image; the training code normalises (x - 500) / 500")
    add("pw3d", ["eft", "pare", "spin"], "3D", "j14", 14, 3, [2, 3], 30.0, h36m=("eft", "pare", "spin"),
        note="stored as H36M-17, remapped with H36M_TO_J14")
    add("pw3d", ["tcmr", "vibe"], "3D", "j14", 14, 3, [2, 3], 30.0)
    add("pw3d", ["eft", "pare", "spin", "tcmr", "vibe"], "smpl", "smpl", 24, 3, [2, 3], 30.0,
        note="pose (T, 72) axis-angle, shape (T, 10); root [2, 3] of the SMPL_TO_J14 joints")
    add("aist", ["spin", "tcmr", "vibe"], "3D", "j14", 14, 3, [2, 3], 60.0)
    add("aist", ["spin", "tcmr", "vibe"], "smpl", "smpl", 24, 3, [2, 3], 60.0,
        note="ground truth has trans (T, 3) and scaling instead of shape")
    add("mpiinf3dhp", ["spin", "tcmr", "vibe"], "3D", "mpi17", 17, 3, [14],
        note="17 joints with the pelvis at index 14 (joint order not verified here)")
    add("mupots", ["tposenet", "tposenetrefinenet"], "3D", "mpi17", 17, 3, [14],
        note="17 joints with the pelvis at index 14 (joint order not verified here)")
    add("jhmdb", ["simplepose"], "2D", "jhmdb15", 15, 2, [], 30.0,
        note="pixels; imgshape [H, W] per sequence and bbox (T, 4); training normalises x / W - 0.5")
    return t


#: every dataset/estimator/representation combination of the SmoothNet data (plus SynSP's h36m_ppt_3D)
SMOOTHNET_DATASETS: dict[tuple[str, str, str], SmoothNetSpec] = _build_table()

#: dataset names whose files live in another dataset's folder (SynSP's multi-view H36M reads h36m_*)
_DATASET_ALIASES = {"mh36m": "h36m"}

_DATA_KEY = {"3D": "joints_3d", "2D": "joints_2d", "smpl": "pose"}


def _norm_repr(representation: str) -> str:
    r = str(representation).strip()
    low = r.lower()
    if low in ("3d", "2d"):
        return low.upper()
    if low == "smpl":
        return "smpl"
    raise SynspInputError(f"representation {representation!r} unknown; expected '3D', '2D' or 'smpl'")


def smoothnet_spec(dataset: str, estimator: str, representation: str) -> SmoothNetSpec | None:
    """The table entry for a combination (``None`` if it is not one of :data:`SMOOTHNET_DATASETS`)."""
    ds = _DATASET_ALIASES.get(dataset.lower(), dataset.lower())
    return SMOOTHNET_DATASETS.get((ds, estimator.lower(), _norm_repr(representation)))


def smoothnet_paths(root: Any, dataset: str, estimator: str, representation: str, split: str) -> tuple[Path, Path]:
    """``(groundtruth_npz, detected_npz)`` paths of a combination (original names, not ``.safe.npz``)."""
    rep = _norm_repr(representation)
    ds = _DATASET_ALIASES.get(dataset.lower(), dataset.lower())
    est = estimator.lower()
    folder = as_path(root, "root") / f"{ds}_{est}_{rep}"
    return (
        folder / "groundtruth" / f"{ds}_gt_{rep}_{split}.npz",
        folder / "detected" / f"{ds}_{est}_{rep}_{split}.npz",
    )


@dataclass(eq=False)
class SmoothNetSequence:
    """One sequence: ground truth and detection with the same number of frames.

    ``gt`` / ``detected`` are ``(T, J, D)`` float64 arrays (3D, 2D) or dicts of per-frame
    arrays (SMPL: ``pose``, ``shape`` / ``trans``, ``scaling``).  ``*_extra`` hold the other
    per-sequence entries of each file (``bbox``, ``imgshape``, ``camera``, ...).
    """

    index: int
    name: str
    gt: Any
    detected: Any
    imgname: np.ndarray | None = None
    gt_extra: dict[str, np.ndarray] = field(default_factory=dict)
    detected_extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        g = self.gt["pose"] if isinstance(self.gt, dict) else self.gt
        return int(len(g))

    def __repr__(self) -> str:
        shape = {k: v.shape for k, v in self.gt.items()} if isinstance(self.gt, dict) else self.gt.shape
        return f"SmoothNetSequence({self.index}, {self.name!r}, {self.num_frames} frames, gt {shape})"


# ------------------------------------------------------------------------------ file access
def _pickle_error(path: Path, key: str) -> SynspInputError:
    return SynspInputError(
        f"{path}: key {key!r} is an object array (one entry per sequence), which numpy can only load "
        "with pickle; unpickling a file can execute arbitrary code stored in it. If you trust where "
        "the file came from, pass trust_pickle=True (--trust-pickle on the command line: synsp refine, synsp "
        "benchmark), or convert it once with "
        f"synsp.io.convert_smoothnet({str(path)!r}) which writes {path.name[:-4]}{SAFE_SUFFIX} beside it; "
        "that copy loads without pickle"
    )


def _safe_path(path: Path) -> Path:
    name = path.name
    if name.endswith(SAFE_SUFFIX):
        return path
    return path.with_name(name[:-4] + SAFE_SUFFIX if name.endswith(".npz") else name + SAFE_SUFFIX)


def _seq_entries(path: Path, key: str, arr: np.ndarray) -> list[np.ndarray]:
    if arr.ndim == 0:
        raise SynspInputError(f"{path}: key {key!r} is a single value; expected one entry per sequence")
    return [np.asarray(e) for e in arr]


def _read_safe(path: Path, z: Any) -> dict[str, list[np.ndarray]]:
    try:
        meta = json.loads(str(z[_FORMAT_KEY]))
    except (ValueError, KeyError) as exc:
        raise SynspInputError(f"{path}: the {_FORMAT_KEY!r} entry is not valid JSON ({exc})") from exc
    if meta.get("format") != _FORMAT_NAME:
        raise SynspInputError(f"{path}: {_FORMAT_KEY!r} names format {meta.get('format')!r}; expected {_FORMAT_NAME!r}")
    out: dict[str, list[np.ndarray]] = {}
    for key, info in meta.get("keys", {}).items():
        if key not in z.files:
            raise SynspInputError(f"{path}: missing key {key!r} announced by {_FORMAT_KEY!r}; keys: {z.files}")
        data = z[key]
        kind = info.get("kind")
        if kind == "ragged":
            off_key = key + _OFFSETS
            if off_key not in z.files:
                raise SynspInputError(f"{path}: missing key {off_key!r}; keys: {z.files}")
            off = z[off_key].astype(np.int64)
            if off.ndim != 1 or off[0] != 0 or off[-1] != len(data) or np.any(np.diff(off) < 0):
                raise SynspInputError(f"{path}: {off_key!r} is not a valid offsets array for {key!r}")
            out[key] = [data[off[i]:off[i + 1]] for i in range(len(off) - 1)]
        elif kind in ("dense", "stacked"):
            out[key] = [data[i] for i in range(len(data))]
        else:
            raise SynspInputError(f"{path}: key {key!r} has unknown kind {kind!r} in {_FORMAT_KEY!r}")
    return out


def _read_npz(path: Path, trust_pickle: bool) -> tuple[dict[str, list[np.ndarray]], Path]:
    """Per-key lists of per-sequence arrays, and the file actually read."""
    safe = _safe_path(path)
    use = safe if safe.is_file() else path
    if not use.is_file():
        raise SynspInputError(
            f"{path}: file not found (nor {safe.name} beside it); expected the SmoothNet layout "
            "<root>/<dataset>_<estimator>_<repr>/{groundtruth,detected}/..."
        )
    with open_npz(use) as z:
        if _FORMAT_KEY in z.files:
            return _read_safe(use, z), use
        out: dict[str, list[np.ndarray]] = {}
        needs_pickle = []
        for key in z.files:
            if z.header(key)[1].hasobject:  # never unpickled here (only below, when the user trusts the file)
                needs_pickle.append(key)
                continue
            out[key] = _seq_entries(use, key, z[key])
    if needs_pickle:
        if not trust_pickle:
            raise _pickle_error(use, needs_pickle[0])
        try:
            with np.load(use, allow_pickle=True) as z:  # the user vouched for this file
                for key in needs_pickle:
                    out[key] = _seq_entries(use, key, z[key])
        except (ValueError, OSError, EOFError) as exc:
            raise SynspInputError(f"{use}: cannot be read ({exc})") from exc
    return out, use


# ------------------------------------------------------------------------------ converter
def _to_plain(path: Path, key: str, i: int, e: Any) -> np.ndarray:
    a = np.asarray(e)
    if a.dtype == object:
        flat = a.reshape(-1)
        if all(isinstance(v, (str, np.str_)) for v in flat):
            return a.astype(str)
        if all(isinstance(v, (bytes, np.bytes_)) for v in flat):
            return np.char.decode(a.astype(bytes), "utf-8", "replace")
        try:
            return a.astype(np.float64)
        except (TypeError, ValueError):
            raise SynspInputError(
                f"{path}: key {key!r}, sequence {i}: holds Python objects that are neither strings nor numbers; "
                "cannot convert it to a pickle-free file"
            ) from None
    if a.dtype.kind == "S":
        return np.char.decode(a, "utf-8", "replace")
    return a


def _encode_key(src: Path, key: str, value: Any) -> tuple[dict[str, np.ndarray], dict[str, Any], int]:
    """The pickle-free entries of one key: a non-object array is kept whole (``dense``); an object
    array or a list of per-sequence entries becomes ``stacked`` (scalars) or ``ragged`` (arrays
    concatenated along frames, plus ``<key>__offsets``).  Returns ``(payload, key meta, sequences)``."""
    if key.endswith(_OFFSETS) or key == _FORMAT_KEY:
        raise SynspInputError(f"{src}: key {key!r} clashes with the converted format's names")
    if isinstance(value, np.ndarray) and value.dtype != object:
        if value.ndim == 0:
            raise SynspInputError(f"{src}: key {key!r} is a single value; expected one entry per sequence")
        return {key: _to_plain(src, key, 0, value)}, {"kind": "dense", "sequences": len(value)}, len(value)
    raw = _seq_entries(src, key, value) if isinstance(value, np.ndarray) else list(value)
    entries = [_to_plain(src, key, i, e) for i, e in enumerate(raw)]
    n = len(entries)
    if entries and all(e.ndim == 0 for e in entries):
        return {key: np.stack(entries)}, {"kind": "stacked", "sequences": n}, n
    trail = {e.shape[1:] for e in entries if e.ndim > 0}
    if any(e.ndim == 0 for e in entries) or len(trail) > 1:
        raise SynspInputError(
            f"{src}: key {key!r}: sequences have incompatible shapes "
            f"{sorted({e.shape for e in entries})}; cannot concatenate them"
        )
    lengths = [len(e) for e in entries]
    payload = {
        key: np.concatenate(entries, axis=0) if entries else np.zeros(0),
        key + _OFFSETS: np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    }
    return payload, {"kind": "ragged", "sequences": n}, n


def _write_safe(dst: Path, src: Path, items: Any) -> Path:
    """Write ``items`` (``(key, value)`` pairs, see :func:`_encode_key`) as a pickle-free ``.safe.npz``
    layout at ``dst`` (atomically); ``src`` is the file they came from."""
    payload: dict[str, np.ndarray] = {}
    keys_meta: dict[str, dict] = {}
    n_seq = None
    for key, value in items:
        entries, info, n = _encode_key(src, key, value)
        payload.update(entries)
        keys_meta[key] = info
        if n_seq is None:
            n_seq = n
    meta = {"format": _FORMAT_NAME, "version": 1, "source": src.name, "num_sequences": n_seq, "keys": keys_meta}
    payload[_FORMAT_KEY] = np.array(json.dumps(meta))

    def write(fh: IO[bytes]) -> None:
        np.savez(fh, **payload)

    atomic_write(dst, write, binary=True)
    return dst


def convert_smoothnet(src_npz: Any, dst_npz: Any = None, trust_pickle: bool = True) -> Path:
    """Convert a SmoothNet ``.npz`` with object arrays into a pickle-free ``.npz`` (one time).

    ``dst_npz`` defaults to ``<name>.safe.npz`` beside the source, where
    :func:`load_smoothnet` finds it.  Per-sequence arrays are concatenated along their
    first axis with an int64 ``<key>__offsets`` array (``N + 1`` entries); per-sequence
    scalars are stacked; image names become fixed-width unicode.  The source must be
    unpickled once, so ``trust_pickle`` must stay True (only convert files you trust).
    Returns the written path; the write is atomic.
    """
    src = as_path(src_npz, "src_npz")
    if not trust_pickle:
        raise SynspInputError(
            f"{src}: converting needs to unpickle the object arrays once; pass trust_pickle=True "
            "if you trust the file's origin"
        )
    if not src.is_file():
        raise SynspInputError(f"{src}: file not found")
    dst = as_path(dst_npz, "dst_npz") if dst_npz is not None else _safe_path(src)
    if dst.resolve() == src.resolve():
        raise SynspInputError(f"{src}: the destination must differ from the source")
    try:
        z = np.load(src, allow_pickle=True)
    except (ValueError, OSError, EOFError) as exc:
        raise SynspInputError(f"{src}: not a valid .npz file ({exc})") from exc
    with z:
        if _FORMAT_KEY in z.files:
            raise SynspInputError(f"{src}: is already a converted (pickle-free) file")
        return _write_safe(dst, src, ((key, z[key]) for key in z.files))


# ------------------------------------------------------------------------------ loader
def _require(path: Path, data: dict, key: str, rep: str) -> list[np.ndarray]:
    if key not in data:
        raise SynspInputError(
            f"{path}: missing key {key!r} (needed for {rep} data); the file has keys {sorted(data)}"
        )
    return data[key]


def _joints(path: Path, key: str, i: int, arr: np.ndarray, D: int) -> np.ndarray:
    a = np.asarray(arr)
    if a.dtype.kind not in "biuf":
        raise SynspInputError(f"{path}: key {key!r}, sequence {i}: holds {a.dtype} values; expected numbers, "
                              f"(T, J*{D}) or (T, J, {D}) coordinates")
    a = a.astype(np.float64)
    if a.ndim == 3 and a.shape[-1] == D:
        return a
    if a.ndim != 2 or a.shape[1] % D:
        raise SynspInputError(
            f"{path}: key {key!r}, sequence {i}: shape {a.shape}; expected (T, J*{D}) or (T, J, {D})"
        )
    return a.reshape(a.shape[0], a.shape[1] // D, D)


def _seq_name(imgname: np.ndarray | None, i: int) -> str:
    if imgname is not None and imgname.ndim >= 1 and len(imgname):
        first = str(imgname[0])
        return first.rsplit("/", 1)[0] if "/" in first else first
    return f"seq{i:05d}"


def load_smoothnet(
    root: Any,
    dataset: str,
    estimator: str,
    representation: str,
    split: str,
    trust_pickle: bool = False,
) -> list[SmoothNetSequence]:
    """Load the paired ground-truth / detected sequences of one SmoothNet combination.

    ``root`` is the folder holding ``<dataset>_<estimator>_<repr>/``; ``dataset`` may be
    ``mh36m`` (reads the ``h36m`` files, as SynSP does).  Files with object arrays need
    ``trust_pickle=True`` unless a converted ``*.safe.npz`` (see :func:`convert_smoothnet`)
    is present.  Combinations missing from :data:`SMOOTHNET_DATASETS` are read too, with
    ``D`` taken from the representation and no remapping.
    """
    rep = _norm_repr(representation)
    spec = smoothnet_spec(dataset, estimator, rep)
    gt_path, det_path = smoothnet_paths(root, dataset, estimator, rep, split)
    if not gt_path.parent.parent.is_dir():
        known = sorted(f"{d}_{e}_{r}" for d, e, r in SMOOTHNET_DATASETS)
        raise SynspInputError(
            f"{gt_path.parent.parent}: folder not found; known combinations: {', '.join(known)}"
        )
    gt, gt_used = _read_npz(gt_path, trust_pickle)
    det, det_used = _read_npz(det_path, trust_pickle)
    key = _DATA_KEY[rep]
    g_list = _require(gt_used, gt, key, rep)
    d_list = _require(det_used, det, key, rep)
    if len(g_list) != len(d_list):
        raise SynspInputError(
            f"{gt_used} has {len(g_list)} sequences but {det_used} has {len(d_list)}; "
            "ground truth and detections must list the same sequences"
        )
    N = len(g_list)
    names_src = gt.get("imgname") or det.get("imgname")
    if names_src is not None and len(names_src) != N:
        raise SynspInputError(f"'imgname' has {len(names_src)} entries but there are {N} sequences")
    D = 2 if rep == "2D" else 3
    out: list[SmoothNetSequence] = []
    for i in range(N):
        imgname = np.asarray(names_src[i]).astype(str) if names_src is not None else None
        name = _seq_name(imgname, i)
        if rep == "smpl":
            g = {k: np.asarray(v[i]) for k, v in gt.items() if k != "imgname" and len(v) == N}
            d = {k: np.asarray(v[i]) for k, v in det.items() if k != "imgname" and len(v) == N}
            g_extra, d_extra = {}, {}
            tg, td = len(g["pose"]), len(d["pose"])
        else:
            g = _joints(gt_used, key, i, g_list[i], D)
            d = _joints(det_used, key, i, d_list[i], D)
            if spec is not None and spec.stored_as_h36m17:
                g = g[:, list(H36M_TO_J14)] if g.shape[1] == 17 else g
                d = d[:, list(H36M_TO_J14)] if d.shape[1] == 17 else d
            g_extra = {k: np.asarray(v[i]) for k, v in gt.items() if k not in ("imgname", key) and len(v) == N}
            d_extra = {k: np.asarray(v[i]) for k, v in det.items() if k not in ("imgname", key) and len(v) == N}
            tg, td = len(g), len(d)
            if g.shape[1] != d.shape[1]:
                raise SynspInputError(
                    f"sequence {i} ({name}): ground truth has {g.shape[1]} joints ({gt_used}) but the "
                    f"detection has {d.shape[1]} ({det_used})"
                )
            if spec is not None and g.shape[1] != spec.num_joints:
                raise SynspInputError(
                    f"sequence {i} ({name}): {g.shape[1]} joints; {spec.folder} should have "
                    f"{spec.num_joints} ({spec.layout})"
                )
        if tg != td:
            raise SynspInputError(
                f"sequence {i} ({name}): ground truth has {tg} frames ({gt_used}) but the detection has "
                f"{td} ({det_used}); they must match frame for frame"
            )
        if imgname is not None and len(imgname) != tg:
            raise SynspInputError(
                f"sequence {i} ({name}): 'imgname' has {len(imgname)} entries but the sequence has {tg} frames"
            )
        out.append(SmoothNetSequence(i, name, g, d, imgname, g_extra, d_extra))
    return out


# ------------------------------------------------------------------------------ multi-view
@dataclass(eq=False)
class ViewGroup:
    """Synchronised views of one take: ``gt`` / ``detected`` are ``(T, P, J, D)``."""

    key: str
    members: list[int]
    names: list[str]
    gt: np.ndarray
    detected: np.ndarray

    @property
    def num_views(self) -> int:
        return int(self.gt.shape[1])


def group_views(sequences: Sequence[SmoothNetSequence]) -> list[ViewGroup]:
    """Group the camera views of each take (Human3.6M multi-view, as in SynSP).

    The group key is ``imgname[0].split('camera')[0]`` (``"S9/Directions/"``); members
    keep file order, every member is cropped to the shortest, and the views are stacked
    on a new axis 1: ``(T, P, J, D)``.  Groups appear in the order of their first member.
    """
    groups: dict[str, list[SmoothNetSequence]] = {}
    for s in sequences:
        if isinstance(s.gt, dict):
            raise SynspInputError(f"sequence {s.index} ({s.name}): group_views needs joint arrays, not SMPL parameters")
        if s.imgname is None or len(s.imgname) == 0:
            raise SynspInputError(f"sequence {s.index}: has no 'imgname'; group_views needs image names to group views")
        groups.setdefault(str(s.imgname[0]).split("camera")[0], []).append(s)
    out = []
    for key, members in groups.items():
        T = min(m.num_frames for m in members)
        shapes = {m.gt.shape[1:] for m in members}
        if len(shapes) > 1:
            raise SynspInputError(f"group {key!r}: views have different joint layouts {sorted(shapes)}")
        out.append(
            ViewGroup(
                key=key,
                members=[m.index for m in members],
                names=[m.name for m in members],
                gt=np.stack([m.gt[:T] for m in members], axis=1),
                detected=np.stack([m.detected[:T] for m in members], axis=1),
            )
        )
    return out


# ---- the pose-file contract (synsp.io.tracks) ----------------------------------------------
#
# One SmoothNet file (detected or ground truth, original pickled layout or the pickle-free
# ``.safe.npz`` one) is one PoseFile: one track per sequence, each on its own timeline.


def _safe_meta(p: Path) -> dict[str, Any] | None:
    """The JSON description of a pickle-free file, or None when ``p`` is not one."""
    with open_npz(p) as z:
        if _FORMAT_KEY not in z.files:
            return None
        meta = json.loads(str(z[_FORMAT_KEY]))
    return meta if isinstance(meta, dict) and meta.get("format") == _FORMAT_NAME else None


def sniff(path: Any) -> bool:
    """An ``.npz`` in the SmoothNet layout: a converted pickle-free file (``__synsp_format__``), or a
    ``joints_3d`` / ``joints_2d`` / ``pose`` key holding one entry per sequence (an object array, or
    a dense ``(N, T, ...)`` array beside per-sequence ``imgname`` entries).  Reads the array headers only
    (never unpickles) and never raises."""
    try:
        p = as_path(path)
        if not p.is_file() or suffix_of(p) != ".npz":
            return False
        headers = npz_headers(p)
        if _FORMAT_KEY in headers:
            return _safe_meta(p) is not None
        key = next((k for k in _DATA_KEY.values() if k in headers), None)
        if key is None:
            return False
        shape, dtype = headers[key]
        if dtype == object:
            return True
        names = headers.get("imgname")
        return names is not None and (names[1] == object or len(names[0]) >= 2) and len(shape) >= 3
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def _parse_name(name: str) -> tuple[str, str, str] | None:
    """``(dataset, estimator or 'gt', repr)`` from ``<ds>_<est>_<repr>[_<split>][.safe].npz``."""
    for suf in (SAFE_SUFFIX, ".npz"):
        if name.lower().endswith(suf):
            name = name[: -len(suf)]
            break
    parts = name.split("_")
    if len(parts) not in (3, 4):
        return None
    try:
        return parts[0].lower(), parts[1].lower(), _norm_repr(parts[2])
    except SynspInputError:
        return None


def _specs_for(names: Sequence[str], rep: str) -> list[SmoothNetSpec]:
    """The table entries a file may belong to, from its folder / file names (first that parses)."""
    for name in names:
        parsed = _parse_name(name)
        if parsed is None or parsed[2] != rep:
            continue
        ds, est, _ = parsed
        ds = _DATASET_ALIASES.get(ds, ds)
        if est == "gt":  # a ground-truth file: any estimator of the dataset
            found = [s for (d, _e, r), s in SMOOTHNET_DATASETS.items() if d == ds and r == rep]
        else:
            found = [s for s in [SMOOTHNET_DATASETS.get((ds, est, rep))] if s is not None]
        if found:
            return found
    return []


def _skeleton_and_fps(specs: Sequence[SmoothNetSpec], J: int) -> tuple[str | None, float | None]:
    fps_set = {s.fps for s in specs}
    fps = fps_set.pop() if len(fps_set) == 1 else None
    layouts = set()
    for s in specs:
        if s.stored_as_h36m17 and J == 17:  # kept as stored (H36M-17), not remapped
            layouts.add("h36m17")
        elif s.num_joints == J:
            layouts.add(s.layout)
    layout = layouts.pop() if len(layouts) == 1 else None
    skeleton = layout if layout in SKELETONS and SKELETONS[layout].num_joints == J else None
    return skeleton, fps


def _key_kinds(used: Path, data: dict[str, list[np.ndarray]]) -> dict[str, str]:
    """Per key: ``dense`` (one non-object array in the file) or ``sequences`` (per-sequence entries)."""
    meta = _safe_meta(used)
    if meta is not None:
        return {k: "dense" if info.get("kind") == "dense" else "sequences" for k, info in meta["keys"].items()}
    headers = npz_headers(used)
    return {k: "sequences" if headers.get(k, ((), np.dtype(object)))[1] == object else "dense" for k in data}


def read(path: Any, trust_pickle: bool = False):
    """One track per sequence (track id = the sequence's name from ``imgname``, ``seq00000``... without
    it), each on its own timeline from frame 0 (``num_frames`` = the longest sequence), holding the
    file's joints (the estimator's detections in a ``detected`` file) ``(T, J, D)`` as stored: metres
    (3D) or pixels (2D); H36M-17 arrays of 3DPW EFT/SPIN/PARE stay H36M-17 (skeleton ``h36m17``).
    Skeleton and fps (H3.6M 50, 3DPW 30, AIST++ 60) come from :data:`SMOOTHNET_DATASETS` when the
    folder or file name names the combination.  Object arrays (the original files) need
    ``trust_pickle=True``; a ``<name>.safe.npz`` beside the file is read instead when present.
    SMPL files (rotations) are not supported here: use :func:`load_smoothnet`."""

    p = as_path(path)
    data, used = _read_npz(p, trust_pickle)
    rep = next((r for r, k in (("3D", "joints_3d"), ("2D", "joints_2d"), ("smpl", "pose")) if k in data), None)
    if rep is None:
        raise SynspInputError(f"{used}: no 'joints_3d' or 'joints_2d' key; keys: {sorted(data)} "
                              "(expected a SmoothNet detected/groundtruth file)")
    if rep == "smpl":
        raise SynspInputError(
            f"{used}: holds SMPL rotations (representation 'smpl': 'pose' axis-angle per sequence); refining "
            "SmoothNet rotation files is not supported, only joint positions (the '3D' and '2D' files); "
            "load it with synsp.io.load_smoothnet")
    key = _DATA_KEY[rep]
    D = 2 if rep == "2D" else 3
    seqs = data[key]
    N = len(seqs)
    imgnames = data.get("imgname")
    if imgnames is not None and len(imgnames) != N:
        raise SynspInputError(f"{used}: 'imgname' has {len(imgnames)} entries but {key!r} has {N} sequences")
    names = [_seq_name(np.asarray(imgnames[i]).astype(str) if imgnames is not None else None, i) for i in range(N)]
    seen: dict[str, int] = {}
    ids = []
    for i, n in enumerate(names):  # track ids must be distinct
        ids.append(n if n not in seen else f"{n}#{i}")
        seen.setdefault(n, i)
    tracks, longest, J = [], 0, None
    for i in range(N):
        kp = _joints(used, key, i, seqs[i], D)
        longest = max(longest, len(kp))
        J = J if J is not None else kp.shape[1]
        present = np.flatnonzero(np.isfinite(kp).any(axis=(-1, -2)))
        if len(present):
            tracks.append(Track(ids[i], present, kp[present]))
    safe = _safe_meta(used)
    candidates = [used.parent.parent.name, used.name]
    if safe is not None and safe.get("source"):
        candidates.insert(0, str(safe["source"]))  # a file written by write(): its original name
    skeleton, fps = _skeleton_and_fps(_specs_for(candidates, rep), J or 0)
    return PoseFile(tracks=tracks, num_frames=longest, format="smoothnet", skeleton=skeleton, fps=fps,
                    units="m" if rep == "3D" else "px", source=p,
                    meta=dict(read_from=used, key=key, representation=rep, track_ids=ids, data=data,
                              independent_tracks=True,  # separate recordings: no identity repair between them
                              kinds=_key_kinds(used, data),
                              original_name=str(safe["source"]) if safe and safe.get("source") else used.name))


def write(path: Any, pose_file) -> Path:
    """Write the file read, with the refined tracks in place of its joints (``joints_3d`` /
    ``joints_2d``, same shapes and float dtype) and every other array kept, **always pickle-free**:
    the ``.safe.npz`` layout of :func:`convert_smoothnet`, which :func:`load_smoothnet` and
    :func:`read` load without ``trust_pickle``.  A path not ending in ``.safe.npz`` (``out.npz``)
    still gets that pickle-free layout, under the name given; note that :func:`load_smoothnet`
    prefers a ``out.safe.npz`` lying beside ``out.npz`` (a warning says so when one does).
    Atomic."""
    p = as_path(path)
    if pose_file.format != "smoothnet":
        raise SynspInputError(f"{p}: only a pose file read from a SmoothNet file can be written as one; "
                              f"write this {pose_file.format} data as a plain .npz array instead")
    if suffix_of(p) != ".npz":
        raise SynspInputError(f"{p}: a SmoothNet file is written as a (pickle-free) .npz; give an .npz output "
                              "(a file of one 3D sequence can also be written as .trc)")
    meta = pose_file.meta
    data, key, used = meta["data"], meta["key"], meta["read_from"]
    D = 2 if meta["representation"] == "2D" else 3
    new = list(data[key])
    for i, tid in enumerate(meta["track_ids"]):
        try:
            t = pose_file.track(tid)
        except KeyError:  # a sequence with no valid frame: kept as it was
            continue
        orig = np.asarray(new[i])
        kp = _joints(used, key, i, orig, D).copy()
        kp[t.frames] = t.keypoints
        out = kp.reshape(orig.shape)
        new[i] = out.astype(orig.dtype) if orig.dtype.kind == "f" else out

    def items():
        for k, entries in data.items():
            entries = new if k == key else entries
            if meta["kinds"].get(k) == "dense":
                yield k, np.stack(entries) if len(entries) else np.zeros(0)
            else:
                yield k, list(entries)

    safe_beside = _safe_path(p)
    if safe_beside != p and safe_beside.is_file():
        warnings.warn(f"{safe_beside.name} lies beside {p.name}; load_smoothnet and synsp read that "
                      f".safe.npz first, not {p.name}", stacklevel=2)
    return _write_safe(p, Path(meta["original_name"]), items())
