"""Helpers shared by the readers: opening (gzipped) text, atomic writes, length units."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tempfile
import zlib
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from synsp.validation import SynspInputError

#: metres per unit for the length units the readers understand (lower-case keys)
METRES_PER_UNIT: dict[str, float] = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "dm": 0.1,
    "cm": 0.01,
    "mm": 0.001,
    "in": 0.0254,
    "inch": 0.0254,
    "inches": 0.0254,
    "ft": 0.3048,
    "feet": 0.3048,
}


def unit_to_metres(units: str, what: str = "units") -> float:
    """Metres per ``units`` (``"m"``, ``"cm"``, ``"mm"``, ``"in"``, ...)."""
    key = str(units).strip().lower()
    if key not in METRES_PER_UNIT:
        raise SynspInputError(
            f"{what} {units!r} is not a known length unit; expected one of "
            f"{sorted(set(METRES_PER_UNIT))}"
        )
    return METRES_PER_UNIT[key]


def as_path(path: Any, what: str = "path") -> Path:
    if isinstance(path, (str, os.PathLike)):
        return Path(path)
    raise SynspInputError(f"{what} must be a file path (str or os.PathLike); found {type(path).__name__}")


def read_text(path: Any) -> str:
    """Whole text of ``path``; ``*.gz`` files are decompressed.  Errors name the file."""
    p = as_path(path)
    if not p.is_file():
        raise SynspInputError(f"{p}: file not found" if not p.exists() else f"{p}: not a regular file")
    try:
        if p.name.lower().endswith(".gz"):
            with gzip.open(p, "rt", encoding="utf-8", errors="replace") as fh:
                return fh.read()
        with open(p, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except (OSError, EOFError, zlib.error) as exc:  # bad gzip stream, truncated gzip, ...
        raise SynspInputError(f"{p}: cannot read the file ({exc})") from exc


@contextlib.contextmanager
def atomic_target(path: Any, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file path in ``path``'s folder (ending in ``suffix``) to write; when the block ends
    without an exception it replaces ``path`` (``os.replace``), otherwise it is deleted.

    A crash or an exception never leaves a half-written ``path`` behind.
    """
    p = as_path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise SynspInputError(f"{p}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write(path: Any, write: Callable[[IO], None], binary: bool = False) -> Path:
    """Call ``write(fh)`` on a temporary file in the target folder, then ``os.replace`` it
    (:func:`atomic_target`).  A target ending in ``.gz`` is gzip-compressed."""
    p = as_path(path)
    with atomic_target(p) as tmp, open(tmp, "wb") as raw:
        if p.name.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as gz:
                _run_writer(gz, write, binary)
        else:
            _run_writer(raw, write, binary)
        raw.flush()
        os.fsync(raw.fileno())
    return p


def _run_writer(raw: IO[bytes], write: Callable[[IO], None], binary: bool) -> None:
    if binary:
        write(raw)
        return
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
    try:
        write(text)
        text.flush()
    finally:
        text.detach()


def npz_headers(path: Any) -> dict[str, tuple[tuple[int, ...], Any]]:
    """``{name: (shape, dtype)}`` of an ``.npz``'s arrays, read from the headers only (no data is
    loaded and nothing is unpickled, so it is safe on untrusted files and cheap on large ones)."""
    import zipfile

    import numpy as np

    out = {}
    with zipfile.ZipFile(as_path(path)) as zf:
        for name in zf.namelist():
            if not name.endswith(".npy"):
                continue
            with zf.open(name) as fh:
                version = np.lib.format.read_magic(fh)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read_header(fh)
            out[name[:-4]] = (tuple(shape), np.dtype(dtype))
    return out


def suffix_of(path: Any) -> str:
    """Lower-case suffix including ``.gz`` (``".bvh.gz"``, ``".npz"``)."""
    name = as_path(path).name.lower()
    parts = name.split(".")
    if len(parts) >= 3 and parts[-1] == "gz":
        return "." + ".".join(parts[-2:])
    return "." + parts[-1] if len(parts) >= 2 else ""
