"""JsonStream: a JSON document walked item by item gives what json.loads gives, whatever the chunk size."""

from __future__ import annotations

import gzip
import json

import pytest

from synsp.io.json_stream import JsonStream
from synsp.validation import SynspInputError

# numbers, literals, escapes and multi-byte characters cut by every chunk size below
_DOC = [
    {"frame_id": 0, "instances": [{"keypoints": [[1.5, -2e-3], [123456789.125, 0]], "name": "Zoë \u2603 \"q\" \\n"}]},
    {"frame_id": 1, "instances": []},
    12345.678e-2, True, False, None, "x" * 100, [], {},
    {"nested": {"deep": [[[-0.0, 1e300]]]}, "emoji": "\U0001F600"},
]


def _walk_list(path, chunk, sink=None):
    with JsonStream(path, "a list", sink=sink, chunk=chunk) as s:
        out = list(s.items())
        s.finish() if sink else s.end()
    return out, s


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2, "\t"])
def test_items_equal_json_loads_and_the_sink_copies_the_text(tmp_path, chunk, indent):
    text = "\ufeff" + json.dumps(_DOC, indent=indent, ensure_ascii=False) + "\n"
    p = tmp_path / "doc.json"
    p.write_text(text, encoding="utf-8")
    items, _ = _walk_list(p, chunk)
    assert items == _DOC
    copied: list[str] = []
    _, s = _walk_list(p, chunk, sink=copied.append)
    assert "".join(copied) == text[1:]  # every character but the byte-order mark, in order
    assert s.last_char == "\n" and s.crc == __import__("zlib").crc32(p.read_bytes())


@pytest.mark.parametrize("chunk", [1, 4, 1 << 20])
def test_members_and_replace(tmp_path, chunk):
    doc = {"meta_info": {"a": [1, 2]}, "instance_info": [{"k": 1}, {"k": 2}, {"k": 3}], "z": "end"}
    p = tmp_path / "doc.json.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(doc))
    copied: list[str] = []
    seen = {}
    with JsonStream(p, "an object", sink=copied.append, chunk=chunk) as s:
        for key in s.members():
            if key == "instance_info":
                for item in s.items():
                    if item["k"] == 2:
                        s.replace('{"k": "two"}')
                seen[key] = "streamed"
            else:
                seen[key] = s.value()
        s.finish()
    assert seen == {"meta_info": {"a": [1, 2]}, "instance_info": "streamed", "z": "end"}
    assert json.loads("".join(copied)) == dict(doc, instance_info=[{"k": 1}, {"k": "two"}, {"k": 3}])


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
@pytest.mark.parametrize(
    "text",
    ['[{"a": 1},\n {"b": }]', '[1, 2\n 3]', '[{"a": 1}] x', '[{"a": "unterminated}]', '[1,\n\n  tru]', "[", ""],
)
def test_errors_name_the_line_and_column_json_loads_names(tmp_path, chunk, text):
    p = tmp_path / "bad.json"
    p.write_text(text)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        expected = f"line {exc.lineno}, column {exc.colno}"
    with pytest.raises(SynspInputError, match="invalid JSON at (line .*)") as info:
        _walk_list(p, chunk)
    assert expected in str(info.value) and str(p) in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SynspInputError, match="file not found"):
        with JsonStream(tmp_path / "nope.json", "a list"):
            pass
