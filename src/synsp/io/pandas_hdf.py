"""pandas ``DataFrame.to_hdf`` files read, and their values written back, with h5py alone (no pandas, no PyTables).

DeepLabCut stores its predictions this way (``df.to_hdf(path, "df_with_missing", format="table")``).  pandas has
two layouts, both read here:

- ``format="table"`` (group attribute ``pandas_type`` ``frame_table``): a dataset ``table`` of records, an
  ``index`` field and value fields ``values_block_<k>`` of several columns each.  The column labels of each block
  are a group or table attribute that PyTables stores as a protocol-0 pickle of a list of tuples of strings.  It
  is decoded by an unpickler that refuses every global (:func:`plain_literal`): a list, tuple, dict, string or
  number is built, never an object, so no code in the file runs.
- ``format="fixed"`` (``pandas_type`` ``frame``): datasets ``block<k>_values`` ``(rows, columns)`` with their
  column labels as plain arrays (``block<k>_items`` or, for a MultiIndex, ``block<k>_items_level<i>`` and the
  codes ``block<k>_items_label<i>``) and the row labels ``axis1``.

Only numeric value blocks are read; a frame holding columns of objects or strings is refused.  Writing replaces
values in place (:func:`write_values`), in each block's own dtype: every other byte of the file stays as it was,
so pandas reads the file as before with the new values.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np

from synsp.io._common import cast_values
from synsp.validation import SynspInputError

__all__ = ["Frame", "frames_in", "frame_layout", "missing_filters", "plain_literal", "read_index", "read_values",
           "write_values"]

#: the largest pickled attribute decoded (a frame of a million columns' labels is far below it)
MAX_PICKLE_BYTES = 64 << 20


class _NoGlobals(pickle.Unpickler):
    """An unpickler that builds lists, tuples, dicts, strings and numbers, and refuses everything else."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused to load {module}.{name}: only plain lists, tuples and strings are read")


def plain_literal(raw: Any, what: str) -> Any:
    """A PyTables attribute stored as a pickle (bytes) decoded without loading any class or function; a value that
    is not a pickle is returned as it is (bytes decoded as UTF-8)."""
    if isinstance(raw, np.ndarray) and raw.shape == ():
        raw = raw[()]
    if not isinstance(raw, (bytes, np.bytes_)):
        return raw.item() if isinstance(raw, np.generic) else raw
    data = bytes(raw)
    if not data.endswith(b"."):  # a plain string attribute, not a pickle
        return data.decode("utf-8", "replace")
    if len(data) > MAX_PICKLE_BYTES:
        raise SynspInputError(f"its attribute {what} is {len(data):,} bytes; synsp reads at most "
                              f"{MAX_PICKLE_BYTES:,}")
    try:
        return _NoGlobals(io.BytesIO(data)).load()
    except Exception as exc:  # noqa: BLE001 - any malformed or refused pickle is the same input error
        raise SynspInputError(f"its attribute {what} is not a list of plain labels ({exc})") from None


@dataclass(frozen=True)
class Frame:
    """Where a pandas frame's values are: ``columns`` its column labels (tuples), ``blocks`` per value block
    its dataset (``fixed``) or field (``table``) and the positions of its columns in ``columns``."""

    key: str
    layout: str  # "table" or "fixed"
    columns: list[tuple[str, ...]]
    level_names: list[str | None]
    blocks: list[tuple[str, np.ndarray]]
    rows: int
    integer_index: bool  # whether the row labels are integers (read_index reads them)


def frames_in(f: Any) -> list[str]:
    """The names of the top-level groups of an open h5py file that hold a pandas frame."""
    keys = []
    for k, v in f.items():
        kind = v.attrs.get("pandas_type") if hasattr(v, "attrs") and not hasattr(v, "dtype") else None
        if isinstance(kind, (bytes, np.bytes_)) and bytes(kind) in (b"frame_table", b"frame"):
            keys.append(k)
    return keys


def _label(v: Any) -> str:
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, (str, int, float)):
        return str(v)
    raise SynspInputError(f"a column label {type(v).__name__} is not a string or number")


def _as_tuple(c: Any) -> tuple[str, ...]:
    return tuple(_label(v) for v in c) if isinstance(c, (tuple, list)) else (_label(c),)


def _labels_list(value: Any, what: str) -> list[tuple[str, ...]]:
    if not isinstance(value, list):
        raise SynspInputError(f"its attribute {what} is {type(value).__name__}, not a list of column labels")
    return [_as_tuple(c) for c in value]


def frame_layout(f: Any, key: str) -> Frame:
    """The layout of the pandas frame ``key`` of an open h5py file (see the module docstring)."""
    g = f[key]
    kind = bytes(g.attrs["pandas_type"])
    return _table_layout(g, key) if kind == b"frame_table" else _fixed_layout(g, key)


def _table_layout(g: Any, key: str) -> Frame:
    if "table" not in g or getattr(g["table"], "dtype", None) is None or g["table"].dtype.names is None:
        raise SynspInputError(f"its frame {key!r} has no table of records")
    t = g["table"]
    axes = plain_literal(g.attrs.get("non_index_axes", b"(lp0\n."), f"{key}.non_index_axes")
    if not (isinstance(axes, list) and len(axes) == 1 and isinstance(axes[0], tuple) and len(axes[0]) == 2):
        raise SynspInputError(f"its frame {key!r} is not a table of columns (non_index_axes {str(axes)[:80]})")
    columns = _labels_list(axes[0][1], f"{key}.non_index_axes")
    where = {c: i for i, c in enumerate(columns)}
    value_cols = plain_literal(g.attrs.get("values_cols", b"(lp0\n."), f"{key}.values_cols")
    if not isinstance(value_cols, list) or not all(isinstance(v, str) for v in value_cols):
        raise SynspInputError(f"its frame {key!r} names no value blocks")
    blocks, seen = [], np.zeros(len(columns), bool)
    for name in value_cols:
        if name not in t.dtype.names:
            raise SynspInputError(f"its frame {key!r} names a value block {name!r} its table lacks")
        if t.dtype[name].base.kind not in "fiub":
            raise SynspInputError(f"its frame {key!r} holds {t.dtype[name].base} values in {name!r}; only numbers "
                                  "are read")
        labels = _labels_list(plain_literal(t.attrs.get(f"{name}_kind", b"(lp0\n."), f"{name}_kind"), f"{name}_kind")
        at = np.asarray([where.get(c, -1) for c in labels], dtype=np.int64)
        if (at < 0).any() or len(at) != int(np.prod(t.dtype[name].shape, dtype=np.int64)):
            raise SynspInputError(f"its frame {key!r}: the block {name!r}'s labels are not the frame's columns")
        seen[at] = True
        blocks.append((name, at))
    if not seen.all():
        missing = [columns[i] for i in np.flatnonzero(~seen)[:3]]
        raise SynspInputError(f"its frame {key!r} keeps columns {missing} outside its value blocks (data columns "
                              "of strings or objects); only numeric value blocks are read")
    info = plain_literal(g.attrs.get("info", b"(dp0\n."), f"{key}.info")
    names = info.get(1, {}).get("names") if isinstance(info, dict) and isinstance(info.get(1), dict) else None
    level_names = [n if isinstance(n, str) else None for n in names] if isinstance(names, list) else []
    integer = "index" in t.dtype.names and t.dtype["index"].kind in "iu" and t.dtype["index"].shape == ()
    return Frame(key, "table", columns, level_names, blocks, int(t.shape[0]), integer)


def _items(g: Any, stem: str) -> tuple[list[tuple[str, ...]], list[str | None]]:
    """The labels stored under ``stem`` (``axis0``, ``block0_items``) of a fixed-format frame."""
    variety = bytes(g.attrs.get(f"{stem}_variety", b"regular"))
    if variety == b"multi":
        n = int(g.attrs.get(f"{stem}_nlevels", 0))
        levels, codes, names = [], [], []
        for i in range(n):
            lv, lb = g.get(f"{stem}_level{i}"), g.get(f"{stem}_label{i}")
            if lv is None or lb is None or lv.dtype.kind not in "SUif" or lb.dtype.kind not in "iu":
                raise SynspInputError(f"its {stem} labels are not plain arrays (level {i})")
            levels.append([_label(v) for v in lv[()]])
            codes.append(np.asarray(lb[()], dtype=np.int64))
            name = lv.attrs.get("name")
            names.append(_label(name) if isinstance(name, (bytes, np.bytes_)) and bytes(name) != b"N." else None)
        if not codes or any(len(c) != len(codes[0]) for c in codes) or any(
                ((c < 0) | (c >= len(lv))).any() for c, lv in zip(codes, levels)):
            raise SynspInputError(f"its {stem} label codes do not index its levels")
        return [tuple(levels[i][c[k]] for i, c in enumerate(codes)) for k in range(len(codes[0]))], names
    ds = g.get(stem)
    if ds is None or ds.dtype.kind not in "SUif":
        raise SynspInputError(f"its {stem} labels are not a plain array")
    return [(_label(v),) for v in ds[()]], [None]


def _fixed_layout(g: Any, key: str) -> Frame:
    if int(g.attrs.get("ndim", 2)) != 2:
        raise SynspInputError(f"its frame {key!r} is not a two-dimensional frame")
    columns, level_names = _items(g, "axis0")
    where = {c: i for i, c in enumerate(columns)}
    if len(where) != len(columns):
        raise SynspInputError(f"its frame {key!r} has repeated column labels")
    blocks, seen, rows = [], np.zeros(len(columns), bool), None
    for k in range(int(g.attrs.get("nblocks", 0))):
        ds = g.get(f"block{k}_values")
        if ds is None or getattr(ds, "dtype", None) is None or ds.dtype.kind not in "fiub" or ds.ndim != 2:
            raise SynspInputError(f"its frame {key!r} holds a block of strings or objects (block{k}); only numbers "
                                  "are read")
        labels, _ = _items(g, f"block{k}_items")
        at = np.asarray([where.get(c, -1) for c in labels], dtype=np.int64)
        if (at < 0).any() or len(at) != ds.shape[1] or (rows is not None and ds.shape[0] != rows):
            raise SynspInputError(f"its frame {key!r}: block{k}'s labels or shape are not the frame's")
        rows = ds.shape[0]
        seen[at] = True
        blocks.append((f"block{k}_values", at))
    if not blocks or not seen.all():
        raise SynspInputError(f"its frame {key!r} keeps columns outside its numeric blocks")
    ax = g.get("axis1")
    integer = (ax is not None and getattr(ax, "dtype", None) is not None and ax.dtype.kind in "iu"
               and ax.shape == (rows,))
    return Frame(key, "fixed", columns, level_names, blocks, int(rows), bool(integer))


def read_index(f: Any, frame: Frame) -> np.ndarray | None:
    """The frame's row labels ``(rows,)`` when they are integers, else None."""
    if not frame.integer_index:
        return None
    g = f[frame.key]
    if frame.layout == "table":
        return np.asarray(g["table"].fields(["index"])[()]["index"] if frame.rows else np.zeros(0), dtype=np.int64)
    return np.asarray(g["axis1"][()], dtype=np.int64)


def missing_filters(f: Any, frame: Frame) -> list[int]:
    """The ids of the HDF5 filters (compression) the frame's data needs and this h5py cannot apply (PyTables'
    blosc is 32001; hdf5plugin provides it)."""
    import h5py

    g = f[frame.key]
    datasets = [g["table"]] if frame.layout == "table" else [g[name] for name, _ in frame.blocks]
    missing = []
    for ds in datasets:
        plist = ds.id.get_create_plist()
        for k in range(plist.get_nfilters()):
            code = plist.get_filter(k)[0]
            if not h5py.h5z.filter_avail(code) and code not in missing:
                missing.append(int(code))
    return missing


def read_values(f: Any, frame: Frame) -> np.ndarray:
    """The frame's values as ``(rows, columns)`` float64, in the order of ``frame.columns``."""
    out = np.empty((frame.rows, len(frame.columns)), dtype=np.float64)
    for name, at in frame.blocks:
        out[:, at] = _block(f, frame, name)
    return out


def _block(f: Any, frame: Frame, name: str) -> np.ndarray:
    g = f[frame.key]
    if frame.layout == "table":
        data = g["table"].fields([name])[()][name] if frame.rows else np.zeros((0,))
        return np.asarray(data, dtype=np.float64).reshape(frame.rows, -1)
    return np.asarray(g[name][()], dtype=np.float64)


def write_values(f: Any, frame: Frame, values: np.ndarray) -> None:
    """``values`` ``(rows, columns)`` written into the frame of an h5py file open for writing, each block in its
    own dtype (integer blocks rounded)."""
    g = f[frame.key]
    if frame.layout == "table":
        t = g["table"]
        records = t[()]
        for name, at in frame.blocks:
            field = records[name]
            records[name] = cast_values(values[:, at], field.dtype,
                                        f"column {name} of {frame.key}").reshape(field.shape)
        t[...] = records
        return
    for name, at in frame.blocks:
        g[name][...] = cast_values(values[:, at], g[name].dtype, f"column {name} of {frame.key}")
