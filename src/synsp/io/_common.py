"""Helpers shared by the readers and writers: opening (gzipped) text, safe ``.npy``/``.npz`` reading,
output checks and atomic writes, length units."""

from __future__ import annotations

import contextlib
import errno
import gzip
import importlib
import io
import lzma
import math
import os
import shutil
import stat
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from synsp.validation import SynspInputError, check_fps

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


def cast_values(values: Any, dtype: Any, what: str) -> Any:
    """Refined ``values`` in a file's ``dtype``: an integer (or boolean) one gets each value rounded to the nearest
    (a cast truncates, half a unit low on average); a value beyond an integer dtype's range (or NaN) is refused
    naming ``what``, not wrapped."""
    import numpy as np

    dtype = np.dtype(dtype).base
    if dtype.kind in "iub":
        v = np.rint(values)
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            ok = (v >= info.min) & (v <= info.max)
            if not ok.all():
                raise SynspInputError(f"{what}: a refined value is {v[~ok].flat[0]:g}, beyond the range of its {dtype} "
                                      f"data ({info.min}..{info.max}); nothing written")
        return v.astype(dtype)
    return np.asarray(values).astype(dtype)


def as_path(path: Any, what: str = "path") -> Path:
    if isinstance(path, (str, os.PathLike)):
        return Path(path)
    raise SynspInputError(f"{what} must be a file path (str or os.PathLike); found {type(path).__name__}")


#: how text files are decoded and written: bytes that are not UTF-8 survive a read and a write unchanged
TEXT_ERRORS = "surrogateescape"


def open_file(path: Any, mode: str = "rt", newline: str | None = None) -> IO:
    """``path`` opened for reading, text (``"rt"``: UTF-8, a leading byte-order mark dropped; a byte that is not
    UTF-8, e.g. a Latin-1 accent in a name, kept as a surrogate that the writers write back as that byte,
    :data:`TEXT_ERRORS`; ``newline`` as for :func:`open`) or bytes (``"rb"``); a name ending in ``.gz``, or a
    file starting with gzip's magic bytes, is decompressed as it is read.  A missing file, a folder or an
    unreadable one raises :class:`SynspInputError` naming it."""
    p = as_path(path)
    if not p.is_file():
        raise SynspInputError(f"{p}: file not found" if not p.exists() else f"{p}: not a regular file")
    text = {} if mode == "rb" else {"encoding": "utf-8-sig", "errors": TEXT_ERRORS, "newline": newline}
    try:
        if p.name.lower().endswith(".gz") or _gzip_magic(p):  # a compressed file named without .gz, too
            return gzip.open(p, mode, **text)
        return open(p, mode, **text)
    except OSError as exc:
        raise SynspInputError(f"{p}: cannot read the file ({exc})") from exc


def _gzip_magic(p: Path) -> bool:
    """The file starts with gzip's two magic bytes."""
    with open(p, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def read_text(path: Any) -> str:
    """Whole text of ``path``; ``*.gz`` files are decompressed.  Errors name the file."""
    p = as_path(path)
    try:
        with open_file(p) as fh:
            return fh.read()
    except (OSError, EOFError, zlib.error) as exc:  # bad gzip stream, truncated gzip, ...
        raise SynspInputError(f"{p}: cannot read the file ({exc})") from exc


def text_lines(path: Any) -> Iterator[str]:
    """The lines of ``path`` one at a time, without their line ends (as ``str.splitlines`` gives them for
    ``\\n``, ``\\r\\n`` and ``\\r``), so that a long file is never held whole; ``*.gz`` decompressed.  Errors,
    also while reading on, name the file."""
    p = as_path(path)
    with open_file(p) as fh:
        try:
            for line in fh:
                yield line.rstrip("\n")
        except (OSError, EOFError, zlib.error) as exc:
            raise SynspInputError(f"{p}: cannot read the file ({exc})") from exc


#: the largest array (declared size, in bytes) the ``.npy`` / ``.npz`` readers accept; checked from the
#: file's headers before anything is allocated or decompressed (a corrupt header or a zip bomb is refused)
MAX_ARRAY_BYTES = 4 * 2**30

#: the longest timeline (frames) a pose file may span; frame numbers beyond it are refused before any
#: array of that length is allocated (a frame id of 1e9 in a JSON, CSV or OpenPose file name)
MAX_FRAMES = 10_000_000


def _same_file(a: Path, b: Path) -> bool:
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:  # one of them does not exist (yet)
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def check_target(path: Any, sources: Any = (), folder: bool = False) -> Path:
    """Refuse, before any work, an output ``path`` that would destroy data or cannot be written.

    * ``path`` is one of ``sources`` (the input files or folders: same file by ``samefile`` or
      ``realpath``, so ``./in.json``, a symbolic link or a hard link to the input count);
    * it exists and is not a regular file (a device such as ``/dev/null``, a FIFO, a socket):
      ``os.replace`` would replace the device;
    * it is an existing folder where a file is written, or (``folder=True``, OpenPose) an existing
      file or a folder that is not empty;
    * its name is longer than the file system allows, its folder does not exist or is not writable.

    Every writer runs it (:func:`atomic_target`, :func:`atomic_folder`); ``synsp refine`` runs it with
    the input as source before the compute.  Returns ``path`` as a :class:`Path`.
    """
    p = as_path(path, "output path")
    if not p.name or p.name in (".", ".."):
        raise SynspInputError(f"{p}: names a folder, not a file; give an output file name")
    for src in [sources] if isinstance(sources, (str, os.PathLike)) else sources:
        if src is not None and _same_file(p, as_path(src)):
            raise SynspInputError(
                f"{p}: is the input {src}; refusing to overwrite the input; give another output path")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise SynspInputError(f"{p}: the folder {parent} does not exist; create it first or write elsewhere")
    try:
        name_max = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    if name_max and name_max > 0 and len(os.fsencode(p.name)) > name_max:
        raise SynspInputError(f"{p}: the file name is {len(os.fsencode(p.name))} bytes long; this file system "
                              f"allows at most {name_max}; give a shorter name")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise SynspInputError(f"{p}: cannot use this output path ({exc.strerror or exc})") from exc
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            if not folder:
                raise SynspInputError(f"{p}: is an existing folder; give the path of an output file, not a folder")
            if any(os.scandir(p)):
                raise SynspInputError(
                    f"{p}: exists and is not an empty folder; this output (a folder) is written to a new or empty "
                    "folder")
        elif not stat.S_ISREG(st.st_mode):
            kind = ("a character device" if stat.S_ISCHR(st.st_mode) else "a block device" if stat.S_ISBLK(st.st_mode)
                    else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                    else "not a regular file")
            raise SynspInputError(
                f"{p}: exists and is {kind}; refusing to replace it; give the path of a regular file")
        elif folder:
            raise SynspInputError(f"{p}: exists and is not an empty folder (it is a file); this output (a folder) "
                                  "is written to a new or empty folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SynspInputError(f"{p}: the folder {parent} is not writable; write to a folder you can write to")
    return p


def write_error(path: Any, exc: OSError) -> SynspInputError:
    """A one-line :class:`SynspInputError` for an ``OSError`` met while writing ``path``."""
    code = getattr(exc, "errno", None)
    why = exc.strerror or str(exc)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        hint = "free some space or write to another disk"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "write to a folder you can write to"
    elif code == errno.ENAMETOOLONG:
        hint = "give a shorter name"
    else:
        hint = "check the output path"
    return SynspInputError(f"{path}: cannot write the output ({why}); nothing was written; {hint}")


def _short_temp(folder: Path, suffix: str, directory: bool = False) -> str:
    """A new temporary file (or folder) with a short name (``.synsp-XXXXXXXX<suffix>``) in ``folder``:
    short, so that it fits the file system's name limit whatever the target's name."""
    if directory:
        return tempfile.mkdtemp(prefix=".synsp-", suffix=suffix, dir=folder)
    fd, tmp = tempfile.mkstemp(prefix=".synsp-", suffix=suffix, dir=folder)
    os.close(fd)
    return tmp


@contextlib.contextmanager
def atomic_target(path: Any, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file path in ``path``'s folder (ending in ``suffix``) to write; when the block ends
    without an exception it replaces ``path`` (``os.replace``), otherwise it is deleted.

    The target is checked first (:func:`check_target`); an ``OSError`` on the way (full disk,
    read-only folder, ...) becomes a one-line :class:`SynspInputError` (:func:`write_error`).
    A crash or an exception never leaves a half-written ``path`` behind.
    """
    p = check_target(path)
    folder = p.parent if str(p.parent) else Path(".")
    try:
        tmp = _short_temp(folder, suffix)
        _usual_permissions(tmp, 0o666)  # mkstemp makes 0600 files
    except OSError as exc:
        raise write_error(p, exc) from exc
    try:
        yield Path(tmp)
        os.replace(tmp, p)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise write_error(p, exc) from exc
        raise


def _usual_permissions(path: Any, mode: int) -> None:
    """Give a temporary file (``0o666``) or folder (``0o777``) the permissions a new one gets: ``mode`` less the
    process's umask (read here: ``os.umask`` can only be read by setting it)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


@contextlib.contextmanager
def atomic_folder(path: Any) -> Iterator[Path]:
    """:func:`atomic_target` for a folder: a temporary folder beside ``path`` to fill; when the block
    ends without an exception it becomes ``path`` (which must be new or an empty folder)."""
    p = check_target(path, folder=True)
    parent = p.parent if str(p.parent) else Path(".")
    try:
        tmp = Path(_short_temp(parent, ".tmp", directory=True))
    except OSError as exc:
        raise write_error(p, exc) from exc
    try:
        yield tmp
        _usual_permissions(tmp, 0o777)  # mkdtemp makes 0700 folders (others on shared storage could not read them)
        if p.exists():
            p.rmdir()
        os.replace(tmp, p)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(p, exc) from exc
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
    text = io.TextIOWrapper(raw, encoding="utf-8", errors=TEXT_ERRORS, newline="\n")
    try:
        write(text)
        text.flush()
    finally:
        text.detach()


_PICKLE_REFUSED = ("reading it would need pickle, which synsp never enables for .npy/.npz files (unpickling "
                   "a file can run arbitrary code); save it as a numeric or string array")


def _npy_header(fh: IO[bytes]) -> tuple[tuple[int, ...], bool, Any, int]:
    """``(shape, fortran order, dtype, header length)`` of the ``.npy`` stream at ``fh`` (at its start)."""
    import numpy as np

    version = np.lib.format.read_magic(fh)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(fh)
    return tuple(int(n) for n in shape), bool(fortran), np.dtype(dtype), fh.tell()


def _checked_size(shape: tuple[int, ...], dtype: Any, available: int, what: str, pickle_hint: str | None) -> int:
    """Bytes of the declared array, refused when it needs pickle, is over :data:`MAX_ARRAY_BYTES` or is
    more than the ``available`` bytes of the file (a truncated file or a lying header)."""
    if dtype.hasobject:
        raise SynspInputError(f"{what}: {pickle_hint}" if pickle_hint else f"{what} is an object array; {_PICKLE_REFUSED}")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise SynspInputError(
            f"{what}: the header declares an array of shape {shape} ({nbytes / 2**30:.3g} GiB), over the "
            f"{MAX_ARRAY_BYTES / 2**30:g} GiB synsp reads; the file is corrupt or not pose data")
    if nbytes > available:
        raise SynspInputError(
            f"{what}: the header declares an array of shape {shape} ({nbytes} bytes) but the file holds only "
            f"{max(available, 0)} bytes of data; the file is truncated or corrupt")
    return nbytes


#: what reading a corrupt ``.npy`` / zip member can raise (zipfile, zlib, numpy's header parser, ...)
_BAD_FILE = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError, NotImplementedError,
             RuntimeError, struct.error, SyntaxError, TypeError)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def read_npy(path: Any, pickle_hint: str | None = None) -> Any:
    """The array of an ``.npy`` file, safely: never unpickled (object arrays are refused with
    ``pickle_hint``), the declared size checked against the file size and :data:`MAX_ARRAY_BYTES`
    before anything is allocated, and every defect a one-line :class:`SynspInputError`."""
    p = as_path(path)
    try:
        with open(p, "rb") as fh:
            if fh.read(4) in _ZIP_MAGIC:
                raise SynspInputError(f"{p}: is a zip archive (an .npz file), not an .npy file; rename it to .npz")
            fh.seek(0)
            try:
                shape, fortran, dtype, offset = _npy_header(fh)
            except _BAD_FILE as exc:
                raise SynspInputError(f"{p}: not a valid .npy file ({exc}); expected a file written by numpy.save") \
                    from exc
            nbytes = _checked_size(shape, dtype, os.fstat(fh.fileno()).st_size - offset, str(p), pickle_hint)
            data = bytearray(nbytes)  # at most the file's size (checked above)
            got = fh.readinto(data)
    except OSError as exc:
        raise SynspInputError(f"{p}: cannot read the file ({exc.strerror or exc})") from exc
    if got != nbytes:
        raise SynspInputError(f"{p}: the file is truncated (its data ends early)")
    return _array_from(data, shape, fortran, dtype)


def npy_header(path: Any) -> tuple[tuple[int, ...], Any]:
    """``(shape, dtype)`` of an ``.npy`` file from its header (no data read, nothing unpickled)."""
    p = as_path(path)
    try:
        with open(p, "rb") as fh:
            shape, _, dtype, _ = _npy_header(fh)
    except _BAD_FILE as exc:
        raise SynspInputError(f"{p}: not a valid .npy file ({exc}); expected a file written by numpy.save") from exc
    return shape, dtype


def _array_from(data: Any, shape: tuple[int, ...], fortran: bool, dtype: Any) -> Any:
    import numpy as np

    if dtype.itemsize == 0:
        return np.zeros(shape, dtype=dtype)
    arr = np.frombuffer(data, dtype=dtype)
    if fortran:
        return arr.reshape(shape[::-1]).transpose()
    return arr.reshape(shape)


class NpzArrays:
    """The arrays of an ``.npz`` file, read safely (the replacement of ``np.load`` on an ``.npz``).

    Opening checks the archive (a zip of ``.npy`` members only, none encrypted or compressed with
    an unknown method, none declaring more than :data:`MAX_ARRAY_BYTES`); reading a member checks
    its header (no object array: nothing is ever unpickled; the declared shape fits the member) and
    its CRC.  Every defect is a one-line :class:`SynspInputError` naming the file and the member.
    Use as a context manager; ``files`` lists the array names, ``z[name]`` reads one array and
    :meth:`header` gives ``(shape, dtype)`` without reading the data.
    """

    def __init__(self, path: Any, pickle_hint: str | None = None, npy_hint: str | None = None):
        self.path = p = as_path(path)
        self.pickle_hint = pickle_hint
        try:
            with open(p, "rb") as fh:
                magic = fh.read(6)
        except OSError as exc:
            raise SynspInputError(f"{p}: cannot read the file ({exc.strerror or exc})") from exc
        if magic == b"\x93NUMPY":  # one array where an archive is expected: the caller's hint, or the file's name
            raise SynspInputError(f"{p}: " + (npy_hint or "is an .npy file (one array), not an .npz archive"
                                              + ("; rename it to .npy" if suffix_of(p) != ".npy" else "")))
        try:
            self._zip = zipfile.ZipFile(p)
        except _BAD_FILE as exc:
            raise SynspInputError(f"{p}: not a valid .npz file ({exc}); the file is truncated or not a zip archive "
                                  "of .npy arrays as numpy.savez writes") from exc
        try:
            self._members = {}
            for info in self._zip.infolist():
                where = f"{p}: member {info.filename!r}"
                if info.is_dir() or not info.filename.endswith(".npy"):
                    raise SynspInputError(f"{where} is not a NumPy array (.npy); an .npz written by numpy.savez "
                                          "holds only .npy arrays")
                if info.flag_bits & 0x1:
                    raise SynspInputError(f"{where} is encrypted; save the arrays with numpy.savez (no password)")
                if info.compress_type not in _ZIP_METHODS:
                    raise SynspInputError(f"{where} uses zip compression method {info.compress_type}, which synsp "
                                          "does not read; save the arrays with numpy.savez or numpy.savez_compressed")
                if info.file_size > MAX_ARRAY_BYTES:
                    raise SynspInputError(
                        f"{where} declares {info.file_size / 2**30:.3g} GiB uncompressed, over the "
                        f"{MAX_ARRAY_BYTES / 2**30:g} GiB synsp reads; the file is corrupt or not pose data")
                self._members[info.filename[:-4]] = info
        except BaseException:
            self._zip.close()
            raise
        self.files = list(self._members)

    def __enter__(self) -> "NpzArrays":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def __contains__(self, key: object) -> bool:
        return key in self._members

    def _info(self, key: str) -> zipfile.ZipInfo:
        if key not in self._members:
            raise SynspInputError(f"{self.path}: has no array {key!r}; its arrays are {self.files}")
        return self._members[key]

    def header(self, key: str) -> tuple[tuple[int, ...], Any]:
        """``(shape, dtype)`` of array ``key`` from its header (no data is read)."""
        info, what = self._info(key), f"{self.path}[{key!r}]"
        try:
            with self._zip.open(info) as fh:
                shape, _, dtype, _ = _npy_header(fh)
        except _BAD_FILE as exc:
            raise SynspInputError(f"{what}: not a valid array ({exc}); the .npz file is corrupt") from exc
        return shape, dtype

    def __getitem__(self, key: str) -> Any:
        info, what = self._info(key), f"{self.path}[{key!r}]"
        try:
            with self._zip.open(info) as fh:
                shape, fortran, dtype, offset = _npy_header(fh)
                nbytes = _checked_size(shape, dtype, info.file_size - offset, what, self.pickle_hint)
                data = bytearray()
                while len(data) < nbytes:  # grows with the data really there, never to a lying size
                    chunk = fh.read(min(nbytes - len(data), 1 << 24))
                    if not chunk:
                        raise SynspInputError(f"{what}: the data ends early; the .npz file is truncated or corrupt")
                    data += chunk
                while fh.read(1 << 20):  # to the end of the member, which checks its CRC
                    pass
        except SynspInputError:
            raise
        except _BAD_FILE as exc:
            raise SynspInputError(f"{what}: cannot be read ({exc}); the .npz file is corrupt or truncated") from exc
        return _array_from(data, shape, fortran, dtype)


_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def open_npz(path: Any, pickle_hint: str | None = None, npy_hint: str | None = None) -> NpzArrays:
    """:class:`NpzArrays` of ``path`` (use ``with open_npz(p) as z: ...``); ``npy_hint``: what to say when the file
    is one ``.npy`` array instead of an archive."""
    return NpzArrays(path, pickle_hint, npy_hint)


def read_npz(path: Any, pickle_hint: str | None = None) -> dict[str, Any]:
    """Every array of an ``.npz``, read safely (:class:`NpzArrays`)."""
    with open_npz(path, pickle_hint) as z:
        return {k: z[k] for k in z.files}


def npz_headers(path: Any) -> dict[str, tuple[tuple[int, ...], Any]]:
    """``{name: (shape, dtype)}`` of an ``.npz``'s arrays, read from the headers only (no data is
    loaded and nothing is unpickled, so it is safe on untrusted files and cheap on large ones)."""
    with open_npz(path) as z:
        return {k: z.header(k) for k in z.files}


def reader_fps(fps: Any) -> float | None:
    """A reader's ``fps=`` argument (the files do not record one): None, or a frame rate as a float, checked as
    every refiner checks it (:func:`synsp.validation.check_fps`: a bool, NaN, inf or 1e9 is refused)."""
    return check_fps(fps)


def frames_of_one_video(folder: Path, named: list[tuple[str, int, Path]]) -> list[tuple[int, Path]]:
    """``(frame number, file)`` sorted by number, from ``(name before the number, number, file)`` of the files of a
    folder of one file per frame (OpenPose JSON, YOLO labels); files of two videos, or two files of one frame,
    are errors naming them."""
    prefixes = sorted({name for name, _, _ in named})
    if len(prefixes) > 1:
        raise SynspInputError(f"{folder}: the files belong to {len(prefixes)} different inputs ({prefixes[:4]}); "
                              "expected the frames of one video per folder")
    numbered = sorted((number, f) for _, number, f in named)
    for (a, fa), (b, fb) in zip(numbered, numbered[1:]):
        if a == b:
            raise SynspInputError(f"{folder}: {fa.name} and {fb.name} are both frame {a}; expected one file per frame")
    return numbered


def refuse_ids_stored_alike(where: str, ids: list, stored: list, as_what: str, advice: str = "") -> None:
    """:class:`SynspInputError` naming the first two track ``ids`` whose ``stored`` values (as a writer stores
    them, in the same order) are equal: two people could no longer be told apart in the file written."""
    first: dict[Any, int] = {}
    for k, v in enumerate(stored):
        j = first.setdefault(v, k)
        if j != k:
            raise SynspInputError(f"{where}track ids {ids[j]!r} and {ids[k]!r} would both be {as_what} {v!r}; give "
                                  f"the tracks distinct ids{advice}")


def suffix_of(path: Any) -> str:
    """Lower-case suffix including ``.gz`` (``".bvh.gz"``, ``".npz"``)."""
    name = as_path(path).name.lower()
    parts = name.split(".")
    if len(parts) >= 3 and parts[-1] == "gz":
        return "." + ".".join(parts[-2:])
    return "." + parts[-1] if len(parts) >= 2 else ""


#: the HDF5 signature, at the start of the file or of a user block of 512 * 2**k bytes
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def is_hdf5(path: Any) -> bool:
    """Whether ``path`` is a file with the HDF5 signature (at 0, 512, 1024, ... up to 1 MiB)."""
    try:
        with open(path, "rb") as fh:
            at = 0
            while at <= 1 << 20:
                fh.seek(at)
                if fh.read(8) == _HDF5_SIGNATURE:
                    return True
                at = 512 if at == 0 else 2 * at
    except OSError:
        return False
    return False


def run_isolated(fn: Callable[..., Any], *args: Any, path: Any) -> Any:
    """``fn(*args)`` in a child process, for code that hands a file to the HDF5 C library: on a damaged file it
    can crash (a segmentation fault, an abort) instead of raising, and a crash there must be an input error,
    not the end of ``synsp refine`` (or of the user's Python session).

    The child is forked on Linux (the loaded modules are shared, a few milliseconds) and spawned elsewhere
    (``fn`` and ``args`` then travel by pickle: module-level functions and plain data).  Its result comes back
    by pickle through a pipe (the child is synsp's own code).  A :class:`SynspInputError` in the child is raised
    again with its message; any other exception, or a child that dies, is a :class:`SynspInputError` naming
    ``path``.  Inside a daemonic process (which may not start children) ``fn`` runs in the process itself."""
    import multiprocessing as mp
    import sys

    if mp.current_process().daemon:
        return fn(*args)
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_isolated_child, args=(send, fn, args), daemon=True)
    child.start()
    send.close()
    try:
        kind, value = receive.recv()
    except EOFError:  # the child died before answering
        kind, value = "died", None
    finally:
        receive.close()
        child.join()
    if kind == "ok":
        return value
    if kind == "input":
        raise SynspInputError(value)
    if kind == "error":
        raise SynspInputError(f"{path}: not a readable HDF5 file ({value})")
    raise SynspInputError(f"{path}: the HDF5 library crashed reading it (exit code {child.exitcode}): the file is "
                          "damaged; export it again from the program that wrote it")


def write_changed_copy(out: Path, source: Any, suffix: str, store: Callable[..., None], *args: Any) -> Path:
    """``out`` written as a copy of the HDF5 file ``source`` that ``store(tmp, *args)`` changes in a child process
    (:func:`run_isolated`), atomically (:func:`atomic_target`): an exception or a crash leaves nothing."""
    with atomic_target(out, suffix=suffix) as tmp:
        shutil.copyfile(source, tmp)
        run_isolated(store, tmp, *args, path=out)
    return out


def source_changed(out: Any, source: Any, what: str) -> SynspInputError:
    """The error of a writer whose source file no longer has what was read from it."""
    return SynspInputError(f"{out}: the {what} it is written from ({source}) changed since it was read; run again")


def _isolated_child(send: Any, fn: Callable[..., Any], args: tuple) -> None:
    import faulthandler

    faulthandler.disable()  # a crash here is expected and answered by the parent: no traceback dump of it
    try:
        answer = ("ok", fn(*args))
    except SynspInputError as exc:
        answer = ("input", str(exc))
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the parent as a message
        answer = ("error", f"{type(exc).__name__}: {exc}")
    try:
        send.send(answer)
    except Exception as exc:  # noqa: BLE001 - an answer that cannot be pickled
        send.send(("error", f"{type(exc).__name__}: {exc}"))
    send.close()


def h5py_module() -> Any:
    """h5py when it is installed, else None: an optional dependency (the ``hdf5`` extra), loaded only when an HDF5
    file (DeepLabCut, SLEAP, NWB) is read.  hdf5plugin is loaded too when it is installed: it gives h5py the
    compression filters PyTables and others write (blosc, bzip2, lz4, zstd)."""
    try:
        import h5py
    except ImportError:
        return None
    try:
        importlib.import_module("hdf5plugin")  # registers its filters with h5py
    except ImportError:
        pass
    return h5py


def open_hdf5(path: Any, mode: str = "r") -> Any:
    """``h5py.File(path, mode)``; call it inside :func:`run_isolated` (the HDF5 library can crash on damaged files)."""
    return h5py_module().File(path, mode)


def score_sources(stored: Any, scores: Any) -> tuple[Any, Any]:
    """Where each of a track's ``scores`` comes from in the file it is written back into: ``(source, fresh)``.

    ``stored`` ``(..., J)``: the scores as the reader read the file's values (NaN where it reads a value as NaN;
    the reader's number where it reads one otherwise, e.g. 0 for an empty DeepLabCut likelihood); ``scores``
    ``(..., J)``: the scores to write, those of the refined track (the repair exchanges a left and a right joint's
    scores with their coordinates).  ``source[..., j]`` is the joint of the same row whose stored value (its
    literal, as the file spells it) is to be written at joint ``j``: ``j`` itself where the score is the stored
    one (the common case: a file is written back byte for byte), else another joint of the row whose stored
    value the score is (an exchange: preferring the joint that took ``j``'s value in turn); ``fresh[..., j]``
    where no joint of the row has it (write the score itself, in the file's style).  NaN matches NaN."""
    import numpy as np

    stored, scores = np.asarray(stored, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    J = stored.shape[-1]
    source = np.broadcast_to(np.arange(J), stored.shape).copy()
    fresh = np.zeros(stored.shape, dtype=bool)
    same = (stored == scores) | (np.isnan(stored) & np.isnan(scores))
    if same.all():
        return source, fresh
    old, new, src, out, kept = (a.reshape(-1, J) for a in (stored, scores, source, fresh, same))
    rows = np.flatnonzero(~kept.all(axis=1))
    step = max(1, (1 << 20) // (J * J))  # rows at a time: (rows, J, J) comparisons of about a million
    for at in (rows[i:i + step] for i in range(0, len(rows), step)):
        o, n = old[at], new[at]
        # holds[r, j, k]: joint k of row r stored the score j is to get; both ways: k is to get j's in turn
        holds = (n[:, :, None] == o[:, None, :]) | (np.isnan(n)[:, :, None] & np.isnan(o)[:, None, :])
        both = holds & holds.transpose(0, 2, 1)
        found, changed = holds.any(-1), ~kept[at]
        pick = np.where(both.any(-1), both.argmax(-1), holds.argmax(-1))
        src[at] = np.where(changed & found, pick, src[at])
        out[at] = changed & ~found
    return source, fresh


def scores_to_write(literals: list, stored: Any, scores: Any, fresh: Callable[[float], Any]) -> list:
    """One row's score literals to write (:func:`score_sources`): ``literals`` as the file spells the row's
    scores (J values: JSON numbers, text cells), ``stored`` the reader's numbers of them (J floats) and ``scores``
    the track's (J; None: the file's as they are). A score that is the stored one at its own joint keeps that
    literal (``literals`` itself comes back when all do), one that is another joint's takes that joint's literal,
    any other is ``fresh(score)``."""
    import numpy as np

    if scores is None:
        return literals
    source, new = score_sources(stored, scores)
    if not new.any() and (source == np.arange(len(literals))).all():
        return literals
    values = [float(s) for s in np.asarray(scores, dtype=np.float64)]
    return [fresh(values[j]) if new[j] else literals[k] for j, k in enumerate(source.tolist())]


def moved_scores(values: Any, stored: Any, scores: Any, fresh: Callable[[Any], Any] | None = None) -> Any:
    """:func:`score_sources` on arrays: ``values`` ``(..., J)`` what the file holds (numbers in its dtype, or text
    cells as an object array), ``stored`` the reader's numbers of them, ``scores`` the track's.  A copy of
    ``values`` with each row's values taken from the joints the scores come from, and ``fresh(scores)`` (default:
    the scores in ``values``' dtype) where no joint of the row holds the score; None when it would be ``values``
    itself (every score the one read at its joint: nothing to write)."""
    import numpy as np

    values, scores = np.asarray(values), np.asarray(scores, dtype=np.float64)
    source, new = score_sources(stored, scores)
    if not new.any() and (source == np.arange(source.shape[-1])).all():
        return None
    out = np.take_along_axis(values, source, axis=-1)
    if new.any():
        out[new] = scores[new].astype(out.dtype) if fresh is None else fresh(scores[new])
    return out
