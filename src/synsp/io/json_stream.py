"""A JSON document read piece by piece: the outer list or object walked by hand, each item parsed alone.

An hour of MMPose output for one whole body (133 keypoints) is a JSON text of a few gigabytes whose parsed
Python objects take several times that; a video's frames, though, are items of one list. :class:`JsonStream`
reads a (gzipped) UTF-8 file in chunks and walks the outer list or object itself; every item or member value
is parsed alone by the standard library's C scanner (``json.JSONDecoder.raw_decode``), so only one item is
held as Python objects at a time. Errors give the line and column of the whole file, as ``json.loads`` would.

Writing back (:func:`synsp.io.keypoints_json.write`): the same walk with a ``sink`` receives the file's text
unchanged, except the items passed to :meth:`JsonStream.replace`; :attr:`JsonStream.crc` is the CRC-32 of the
bytes read, so a writer can refuse a source that changed since it was read.
"""

from __future__ import annotations

import codecs
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from synsp.io._common import TEXT_ERRORS, open_file
from synsp.validation import SynspInputError

__all__ = ["JsonStream"]

_WHITESPACE = " \t\r\n"
_DECODER = json.JSONDecoder()
_MARGIN = 64  # characters: a token this near the end of the text held may be cut


class JsonStream:
    """``with JsonStream(path, expected) as s:`` then :meth:`peek`, :meth:`items`, :meth:`members`,
    :meth:`value`; ``expected`` describes the document for error messages. ``sink``: called with the text
    read, in order, with :meth:`replace`'s text instead of the items replaced (call :meth:`finish` last)."""

    def __init__(self, path: Path, expected: str, sink: Callable[[str], Any] | None = None, chunk: int = 1 << 22):
        self.path, self.expected, self.sink, self.chunk = path, expected, sink, chunk
        self.crc = 0  # of the bytes read so far (the whole file once the document's end was checked)
        self.last_char = ""  # the last character read (after end(): the file's)
        self._buf, self._pos, self._copied = "", 0, 0  # text held; next to parse; handed to the sink up to
        # newlines before the text held, characters after the last of them, characters let go
        self._lines, self._column, self._dropped = 0, 0, 0
        self._last = (0, 0)  # the last value's span in the text held
        self._eof, self._started, self._fh = False, False, None
        self._decode = codecs.getincrementaldecoder("utf-8")(TEXT_ERRORS)  # bytes not UTF-8 written back as read

    def __enter__(self) -> JsonStream:
        self._fh = open_file(self.path, "rb")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._fh is not None:
            self._fh.close()

    # -- reading text ------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Read one more chunk into the text held (dropping what was parsed); False at the end."""
        if self._eof:
            return False
        fh: IO[bytes] = self._fh  # type: ignore[assignment]
        try:
            raw = fh.read(self.chunk)
        except (OSError, EOFError, zlib.error) as exc:
            raise SynspInputError(f"{self.path}: cannot read the file ({exc})") from exc
        self.crc = zlib.crc32(raw, self.crc)
        text = self._decode.decode(raw, final=not raw)
        if not self._started and text:
            self._started, text = True, text.removeprefix("\ufeff")
        if text:
            self.last_char = text[-1]
        if self._pos:  # the text parsed is let go (the sink has it first)
            drop = self._pos
            self._flush_to(drop)
            gone = self._buf[:drop]
            newlines = gone.count("\n")
            self._lines += newlines
            self._column = len(gone) - gone.rfind("\n") - 1 if newlines else self._column + len(gone)
            self._buf, self._pos, self._copied = self._buf[drop:], 0, max(self._copied - drop, 0)
            self._dropped += drop
            self._last = (self._last[0] - drop, self._last[1] - drop)
        self._buf += text
        self._eof = not raw
        return bool(raw)

    def _flush_to(self, end: int) -> None:
        if self.sink is not None and end > self._copied:
            self.sink(self._buf[self._copied:end])
            self._copied = end

    def _skip(self) -> str:
        """The next character that is not whitespace ('' at the end), not consumed."""
        while True:
            buf, pos = self._buf, self._pos
            while pos < len(buf) and buf[pos] in _WHITESPACE:
                pos += 1
            self._pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self._fill():
                return ""

    def _where(self, pos: int) -> tuple[int, int]:
        line = self._lines + self._buf.count("\n", 0, pos) + 1
        last = self._buf.rfind("\n", 0, pos)
        return line, (pos - last if last >= 0 else self._column + pos + 1)

    def _error(self, pos: int, msg: str) -> SynspInputError:
        line, col = self._where(pos)
        return SynspInputError(
            f"{self.path}: invalid JSON at line {line}, column {col}: {msg}; expected {self.expected}")

    def _expect(self, chars: str, what: str) -> str:
        c = self._skip()
        if not c or c not in chars:
            raise self._error(self._pos, f"Expecting {what}")
        self._pos += 1
        return c

    # -- the document ------------------------------------------------------------------------

    def peek(self) -> str:
        """The first character of the next value: '[' a list, '{' an object, '' the end of the text."""
        return self._skip()

    def value(self) -> Any:
        """The next whole value, parsed."""
        if not self._skip():
            raise self._error(self._pos, "Expecting value")
        while True:
            try:
                obj, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                # a value cut at the chunk's end fails at that end (a string: at its start): read on
                cut = exc.pos >= len(self._buf) - _MARGIN or exc.msg.startswith("Unterminated string")
                if cut and not self._eof:
                    self._fill()  # (then parsed again: the text held moves when it reads)
                    continue
                raise self._error(exc.pos, exc.msg) from None
            if end >= len(self._buf) - _MARGIN and not isinstance(obj, (list, dict, str)) and not self._eof:
                self._fill()  # a number or literal near the chunk's end may go on in the next one
                continue
            self._last = (self._pos, end)
            self._pos = end
            return obj

    def items(self) -> Iterator[Any]:
        """The items of the list that comes next, parsed one at a time (after each, :meth:`replace` may
        give the sink another text for it)."""
        self._expect("[", "'['")
        if self._skip() == "]":
            self._pos += 1
            return
        while True:
            yield self.value()
            if self._expect(",]", "',' delimiter") == "]":
                return

    def members(self) -> Iterator[str]:
        """Walk the object that comes next: yields each key with the stream before its value."""
        self._expect("{", "'{'")
        if self._skip() == "}":
            self._pos += 1
            return
        while True:
            if self._skip() != '"':
                raise self._error(self._pos, "Expecting property name enclosed in double quotes")
            key = self.value()
            self._expect(":", "':' delimiter")
            at = self._dropped + self._pos
            yield key
            if self._dropped + self._pos == at:
                raise RuntimeError("JsonStream.members: the value was not read")  # a caller's bug
            if self._expect(",}", "',' delimiter") == "}":
                return

    def end(self) -> None:
        """Check that nothing but whitespace follows the document."""
        if self._skip():
            raise self._error(self._pos, "Extra data")

    def replace(self, text: str) -> None:
        """Give the sink ``text`` instead of the last value's own text."""
        start, end = self._last
        self._flush_to(start)
        if self.sink is not None:
            self.sink(text)
        self._copied = end

    def finish(self) -> None:
        """Read to the end, handing the rest of the text to the sink (and checking it is whitespace)."""
        self.end()
        self._flush_to(len(self._buf))
