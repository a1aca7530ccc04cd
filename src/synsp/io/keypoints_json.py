"""MMPose and COCO keypoint JSON: people's tracks in, refined keypoints written back in place.

Layouts read (``format_of`` names the first three ``"mmpose"``, the others ``"coco"``)::

    MMPose 1.x inferencer, --pred-out-dir (one file per video)
        [{"frame_id": 0, "instances": [{"keypoints": [[x, y], ...],      # J pairs, or [x, y, z]
                                        "keypoint_scores": [s, ...],    # J scores (optional)
                                        "bbox": [[x1, y1, x2, y2]], "bbox_score": s,
                                        "track_id": 3}, ...]},           # track_id optional
         {"frame_id": 1, "instances": [...]}, ...]
      one image: the bare list of instances [{"keypoints": [[x, y], ...], ...}, ...] (one frame)

    MMPose 1.x demo scripts, --save-predictions
        {"meta_info": {"dataset_name": "coco", ...}, "instance_info": <either list above>}

    MMPose 0.x per-frame ``pose_results`` dumped as JSON (the input of 0.x's Smoother)
        [[{"keypoints": [[x, y, score], ...], "track_id": 0, "bbox": [...]}, ...],   # frame 0
         [...], ...]                                                                 # frame 1, ...
      rows of four values are [x, y, z, score]

    COCO results (a flat list; several entries share an image in a multi-person frame), AlphaPose's too
        [{"image_id": 1, "category_id": 1, "keypoints": [x1, y1, v1, x2, ...], "score": s,
          "track_id": 0}, ...]                                                 # track_id optional
      AlphaPose: "image_id": "12.jpg", ids in "idx" (with --pose_track; see Tracks)

    COCO annotations (COCO, PoseTrack, COCO-WholeBody)
        {"images": [{"id": 1, "file_name": ...}, ...],
         "annotations": [{"image_id": 1, "keypoints": [x1, y1, v1, ...], "track_id": 0, ...}, ...]}

Frames: MMPose 1.x frame ``i`` is ``frame_id - min(frame_id)``; MMPose 0.x frame ``i`` is the
``i``-th list; COCO frames are the distinct image ids (over ``images`` when the document has them): ids that
number frames (integers, or names alike but for one number, ``"12.jpg"``) are frame numbers, gaps kept (a frame
with no detection has no result), unless spread over more than ten times as many values as there are ids; others
in sorted order (numbers numerically, names naturally, ``"img2"`` before ``"img10"``).

COCO-WholeBody: results of 133 x 3 values are read as they are; entries that split the body into
``keypoints`` (17), ``foot_kpts`` (6), ``face_kpts`` (68), ``lefthand_kpts`` (21) and
``righthand_kpts`` (21) are joined in that order into one (133, 2) array and split back on writing.

Scores: ``keypoint_scores`` (MMPose 1.x), the last column (MMPose 0.x), or ``v`` (COCO: a
confidence in results, the visibility flag 0/1/2 in annotations).  A joint the estimator did not
find stays where the file puts it (usually (0, 0)) with score 0; downstream code drops it by a
confidence threshold.  A ``null`` coordinate is read as NaN and written back as ``null``.

Tracks: the ``track_id`` of each instance (AlphaPose results: ``idx``, where it tells people apart).
Track ids are numbers or strings: ``1`` and ``"1"`` are two people; one number spelt two ways (``1`` and ``1.0``:
one person or two?) is refused with both spellings named, and so are ``true`` / ``false`` (Python's ``True == 1``
would make a ``true`` person one with person ``1``) and ``NaN``.
A file without track ids is one track (id 0) if no
frame has more than one instance; otherwise ``read(..., assign_ids="track")`` follows each person
from frame to frame by motion continuity (:mod:`synsp.identity`; ``synsp refine`` does this by
default), ``assign_ids="order"`` makes the position of an instance within its frame its id, and
without either the reader refuses (people cannot be told apart).  Skeleton: ``coco17`` for 17 2-D keypoints, ``h36m17`` for 17 3-D keypoints (MMPose's pose
lifters predict Human3.6M joints, in metres), ``coco133`` for 133, ``halpe26`` / ``halpe136`` for 26 /
136 (AlphaPose, RTMPose-Halpe), or the ``dataset_name`` of the
demo's ``meta_info``; ``hand21`` for 21 keypoints and ``face68`` for 68 (MMPose's hand and face
models: OneHand10K, FreiHAND, RHD, COCO-WholeBody hand; 300W, COCO-WholeBody face).

:func:`write` writes the document read, with only the keypoint coordinates of the tracks in the
:class:`~synsp.io.tracks.PoseFile` replaced: every other field, the order of frames, instances
and keys, and the indentation style are kept.  Each keypoint's score is the track's (``Track.scores``): the
document's own literal where it is unchanged, so a file refined without a repair keeps its scores byte for
byte; where ``synsp refine`` relabelled a left/right inversion the scores move with the keypoints (each
relabelled joint gets the literal of the joint its detection was written at); see :func:`json_scores`.

Memory: a video's list (MMPose 1.x frames, bare or as the demo's ``instance_info``; MMPose 0.x frames; COCO
results) is read one item at a time (:class:`synsp.io.json_stream.JsonStream`) and no document is kept:
:func:`write` reads the file again, writes each item holding a written track anew and copies every other
character (a track left out keeps its keypoints), and refuses a file that changed since it was read (its
CRC-32).  One image's instances and COCO annotations are parsed whole and kept; their MMPose 1.x ``[[x, y],
...]`` lists are let go once decoded, so a pose file read from one of them must write every track it read.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from synsp.identity import repair_identities
from synsp.io._common import as_path, atomic_write, open_file, read_text, reader_fps, scores_to_write
from synsp.io.json_stream import JsonStream
from synsp.io.tracks import PoseFile, Track
from synsp.validation import SynspInputError

__all__ = ["format_of", "read", "sniff", "write"]
# the JSON helpers shared with synsp.io.openpose (Instance, load_json, json_style, dump_json, kind_of,
# keypoint_triples, with_coords, json_scores, build_tracks, rows_to_write, value_at, with_edits) are public names
# outside __all__: the OpenPose reader and writer use them, users need not

#: the parts of a split COCO-WholeBody entry, in the order of the 133 keypoints, with their sizes
WHOLEBODY_PARTS: tuple[tuple[str, int], ...] = (
    ("keypoints", 17), ("foot_kpts", 6), ("face_kpts", 68), ("lefthand_kpts", 21), ("righthand_kpts", 21),
)

_EXPECTED = (
    "MMPose or COCO keypoint JSON: a list of {'frame_id', 'instances'} (MMPose 1.x inferencer), "
    "{'meta_info', 'instance_info'} (MMPose demo --save-predictions), a list of per-frame lists of "
    "instances with 'keypoints' (MMPose 0.x), a list of {'image_id', 'keypoints', ...} (COCO results) "
    "or {'images', 'annotations'} (COCO annotations)"
)
_HOW_TO_TRACK = (
    "run MMPose with pose tracking so that every instance has a 'track_id' (MMPose's pose-tracking "
    "demos and 3-D pose-lifter demo write one)"
)
#: MMPose dataset names (``meta_info["dataset_name"]``) -> synsp skeleton
_DATASET_SKELETONS = {"coco": "coco17", "coco_wholebody": "coco133", "h36m": "h36m17", "crowdpose": "crowdpose14",
                      "halpe26": "halpe26", "halpe": "halpe136",
                      # MMPose's hand and face datasets of 21 / 68 points (synsp.skeletons hand21, face68)
                      **dict.fromkeys(("coco_wholebody_hand", "onehand10k", "freihand", "rhd2d", "interhand2d",
                                       "panoptic_hand2d"), "hand21"),
                      **dict.fromkeys(("300w", "coco_wholebody_face"), "face68")}
_JSON_NAME = re.compile(r"\.json(\.gz)?$", re.IGNORECASE)
_NUMBER_TYPES = {int, float, type(None)}


# --------------------------------------------------------------------------------------------
# Helpers shared with synsp.io.openpose
# --------------------------------------------------------------------------------------------


@dataclass
class Instance:
    """One detected person in one frame, as read from a document."""

    frame: int  # index into the file's timeline
    order: int  # position among the instances of its frame
    track_id: Hashable | None  # None where the file gives no id
    where: str  # names the instance in messages ("frame_id 3, instance 1")
    loc: tuple  # keys / indices from the document root to the instance (for the writer)
    keypoints: np.ndarray  # (J, D)
    scores: np.ndarray | None  # (J,)


def load_json(p: Path, expected: str) -> tuple[Any, str]:
    """The parsed document and its text; an empty file or a JSON syntax error raise."""
    text = read_text(p).lstrip("\ufeff")
    if not text.strip():
        raise SynspInputError(f"{p}: the file is empty; expected {expected}")
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise SynspInputError(
            f"{p}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; expected {expected}"
        ) from None


def json_style(text: str) -> dict[str, Any]:
    """The indentation, separators and final newline of ``text``, for :func:`dump_json`."""
    head = text[:4096]
    key_sep = ": " if '": ' in head else ":"
    indent = re.match(r"\s*[\[{][ \t]*\r?\n([ \t]+)\S", text)
    item_sep = "," if indent or ", " not in head else ", "
    return {"indent": indent.group(1) if indent else None, "separators": (item_sep, key_sep),
            "end": "\n" if text.endswith("\n") else ""}


def dump_json(doc: Any, style: dict[str, Any], depth: int = 0) -> str:
    """``doc`` as JSON text in the ``style`` of :func:`json_style`; ``depth`` > 0: a value nested that deep in a
    document of that style (its lines indented to match, no final newline).  (``json.dumps``, unlike
    ``json.dump``, uses the C encoder: several times faster on large documents.)"""
    text = json.dumps(doc, ensure_ascii=False, indent=style["indent"], separators=style["separators"])
    if depth == 0:
        return text + style["end"]
    return text.replace("\n", "\n" + style["indent"] * depth) if style["indent"] else text


def kind_of(v: Any) -> str:
    """What a JSON value is, for messages ("an object", "the number 3", ...)."""
    kinds = {dict: "an object", list: "a list", str: "a string", type(None): "null", bool: "a boolean"}
    return kinds.get(type(v), f"the number {v!r}")


def _numbers(values: Any, src: Path, where: str, key: str) -> np.ndarray:
    """``(n,)`` floats from a JSON list of numbers (``null`` -> NaN)."""
    if isinstance(values, list) and {type(v) for v in values} <= _NUMBER_TYPES:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if not isinstance(values, list):
        raise SynspInputError(f"{src}: {where}: {key!r} is {kind_of(values)}; expected a list of numbers")
    k, v = next((k, v) for k, v in enumerate(values) if type(v) not in _NUMBER_TYPES)
    raise SynspInputError(
        f"{src}: {where}: {key!r}[{k}] is {kind_of(v)}; expected a number (or null for a missing value)")


def _rows(values: Any, src: Path, where: str, key: str, widths: tuple[int, ...], shape: str) -> np.ndarray:
    """``(J, W)`` floats from a JSON list of J rows of W numbers, W in ``widths``; ``shape`` describes
    the rows for messages."""
    if not isinstance(values, list) or not values:
        found = "an empty list" if values == [] else kind_of(values)
        raise SynspInputError(f"{src}: {where}: {key!r} is {found}; expected {shape}")
    for j, row in enumerate(values):
        if not isinstance(row, list):
            raise SynspInputError(f"{src}: {where}: {key!r}[{j}] is {kind_of(row)}; expected {shape}")
        if len(row) not in widths:
            raise SynspInputError(f"{src}: {where}: {key!r}[{j}] has {len(row)} values; expected {shape}")
        if len(row) != len(values[0]):
            raise SynspInputError(
                f"{src}: {where}: {key!r}[{j}] has {len(row)} values but {key!r}[0] has {len(values[0])}; "
                f"expected {shape} of one length")
    flat = _numbers([v for row in values for v in row], src, where, key)
    return flat.reshape(len(values), len(values[0]))


def keypoint_triples(values: Any, src: Path, where: str, key: str) -> np.ndarray:
    """``(J, 3)`` floats from a flat JSON list ``[x1, y1, c1, x2, ...]``."""
    flat = _numbers(values, src, where, key)
    if len(flat) == 0 or len(flat) % 3:
        raise SynspInputError(
            f"{src}: {where}: {key!r} has {len(flat)} values; expected x, y, score triples "
            "(a positive multiple of 3)")
    return flat.reshape(-1, 3)


def _coords(row: np.ndarray) -> list[list[float | None]]:
    """``(J, D)`` -> nested JSON lists, NaN -> None."""
    out = row.tolist()
    if np.isnan(row).any():
        return [[None if math.isnan(v) else v for v in joint] for joint in out]
    return out


def with_coords(triples: list, row: np.ndarray, scores: list | None = None) -> list:
    """The flat list ``[x1, y1, c1, ...]`` with x, y replaced from ``row`` (J, 2) and each c kept, or with the
    literals ``scores`` (J, from :func:`json_scores`) where given."""
    out = []
    for j, (x, y) in enumerate(_coords(row)):
        out += [x, y, triples[3 * j + 2] if scores is None else scores[j]]
    return out


def json_scores(literals: list, scores: np.ndarray | None) -> list:
    """The score literals to write for one instance (:func:`synsp.io._common.scores_to_write`): ``literals`` the
    document's (JSON numbers, ``null`` as None: read as NaN), ``scores`` the track's (J; None: the document's
    kept).  A score the document holds at its own joint keeps its literal, one it holds at another joint of the
    instance (the repair exchanged a left and a right joint) takes that literal; any other is written as a new
    number: ``null`` for NaN, a whole number as an integer where the instance's scores are all integers (COCO's
    visibility flags 0/1/2), else a float."""
    if scores is None:
        return literals

    def fresh(v: float) -> Any:
        if math.isnan(v):
            return None
        whole = v.is_integer() and all(type(c) is int for c in literals if c is not None)
        return int(v) if whole else v

    return scores_to_write(literals, np.array(literals, dtype=np.float64), scores, fresh)


#: how people without track ids are told apart (``read(..., assign_ids=...)``; None: refuse when a frame has two)
ASSIGN_IDS = (None, "track", "order")


def _check_assign_ids(assign_ids: str | None) -> None:
    if assign_ids not in ASSIGN_IDS:
        raise SynspInputError(
            f"assign_ids is {assign_ids!r}; expected None (use the file's track ids), 'track' (the file's "
            "track ids, else follow each person by motion continuity) or 'order' (the position of each "
            "instance within its frame is its id)")


def _track_by_position(instances: list[Instance]) -> list[int]:
    """``assign_ids="track"`` on a file without track ids: each instance's track, following every person
    from frame to frame by motion continuity (:func:`synsp.identity.repair_identities` on the instances
    in file order: constant-velocity prediction and assignment with hysteresis; a joint scoring below
    0.3 is not measured).  Instances sorted by (frame, order)."""
    frames = sorted({i.frame for i in instances})
    row = {f: k for k, f in enumerate(frames)}
    slot, counts = {}, {}
    for inst in instances:
        slot[id(inst)] = counts.get(inst.frame, 0)
        counts[inst.frame] = slot[id(inst)] + 1
    P = max(counts.values())
    J, D = instances[0].keypoints.shape
    x = np.full((len(frames), P, J, D), np.nan)
    conf = None if instances[0].scores is None else np.zeros((len(frames), P, J))
    for inst in instances:
        x[row[inst.frame], slot[id(inst)]] = inst.keypoints
        if conf is not None:
            conf[row[inst.frame], slot[id(inst)]] = inst.scores
    with np.errstate(invalid="ignore"):
        x[~(np.abs(x) < 1e9)] = np.nan  # inf and absurd placeholders are no position
    order = repair_identities(x, conf).order  # order[t, k]: the slot whose person is track k at row t
    track_of = np.argsort(order, axis=1)  # track_of[t, slot]
    return [int(track_of[row[i.frame], slot[id(i)]]) for i in instances]


def build_tracks(
    src: Path, instances: list[Instance], assign_ids: str | None, how_to_track: str
) -> tuple[list[Track], dict[Hashable, list[tuple[int, tuple]]]]:
    """Group instances into tracks (in order of first appearance) and where each row came from.  Track ids
    must be numbers (not booleans, not NaN) or strings, each number spelt one way (``1`` and ``1.0`` refused)."""
    _check_assign_ids(assign_ids)
    if not instances:
        return [], {}
    first = instances[0]
    for inst in instances:
        if inst.keypoints.shape != first.keypoints.shape:
            (j, d), (j0, d0) = inst.keypoints.shape, first.keypoints.shape
            raise SynspInputError(
                f"{src}: {inst.where} has {j} keypoints of {d} coordinates, but {first.where} has {j0} "
                f"of {d0}; expected the same keypoint layout in every instance")
        if (inst.scores is None) != (first.scores is None):
            has, lacks = (inst, first) if inst.scores is not None else (first, inst)
            raise SynspInputError(
                f"{src}: {lacks.where} has no keypoint scores but {has.where} has; expected scores "
                "in every instance or in none")
    instances = sorted(instances, key=lambda i: (i.frame, i.order))
    if assign_ids == "order":
        ids = [inst.order for inst in instances]
    elif assign_ids == "track" and all(inst.track_id is None for inst in instances):
        ids = _track_by_position(instances)
    elif all(inst.track_id is not None for inst in instances):
        ids = [inst.track_id for inst in instances]
    elif any(inst.track_id is not None for inst in instances):
        has = next(i for i in instances if i.track_id is not None)
        lacks = next(i for i in instances if i.track_id is None)
        raise SynspInputError(
            f"{src}: {lacks.where} has no track id but {has.where} has one; expected a track id on "
            "every instance or on none")
    else:
        crowded = next(((a, b) for a, b in itertools.pairwise(instances) if a.frame == b.frame), None)
        if crowded is not None:
            raise SynspInputError(
                f"{src}: {crowded[0].where} and {crowded[1].where} are in the same frame and the file "
                f"has no track ids, so the people cannot be followed from frame to frame; {how_to_track}, or pass "
                "assign_ids='track' to follow each person by motion continuity, or assign_ids='order' to use "
                "the position of each person within its frame as the id (right only if the estimator lists "
                "people in a stable order)")
        ids = [0] * len(instances)
    # grouped as Python compares ids (1 == 1.0 == True): booleans and NaN are refused, and one number spelt two
    # ways (1 and 1.0) too, naming both, never taken as one person (nor as two: the PoseFile could not hold them)
    rows: dict[Hashable, list[Instance]] = {}
    spelt: dict[Hashable, Hashable] = {}  # track id -> its first spelling
    for tid, inst in zip(ids, instances):
        bad = isinstance(tid, bool) or (isinstance(tid, float) and not math.isfinite(tid))
        try:
            spelling = tid if bad else spelt.setdefault(tid, tid)
        except TypeError:
            bad = True
        if bad:
            raise SynspInputError(f"{src}: {inst.where}: the track id is {kind_of(tid)} ({_spelling(tid)}); "
                                  "expected a number or a string")
        group = rows.setdefault(tid, [])
        if type(spelling) is not type(tid):
            raise SynspInputError(
                f"{src}: track ids {_spelling(spelling)} ({group[0].where}) and {_spelling(tid)} ({inst.where}) are "
                "one number spelt two ways, so they may be one person or two; spell each person's track id one way "
                "throughout the file")
        if group and group[-1].frame == inst.frame:
            raise SynspInputError(
                f"{src}: track id {tid!r} appears twice in frame {inst.frame} ({group[-1].where} and "
                f"{inst.where}); expected distinct track ids within a frame")
        group.append(inst)
    tracks = [
        Track(
            tid,
            frames=[i.frame for i in group],
            keypoints=np.stack([i.keypoints for i in group]),  # (n, J, D)
            scores=None if first.scores is None else np.stack([i.scores for i in group]),  # (n, J)
        )
        for tid, group in rows.items()
    ]
    return tracks, {tid: [(i.frame, i.loc) for i in group] for tid, group in rows.items()}


def _spelling(tid: Any) -> str:
    """A track id as the file spells it (JSON: ``1``, ``1.0``, ``"1"``, ``true``)."""
    try:
        return json.dumps(tid, allow_nan=True)
    except (TypeError, ValueError):
        return repr(tid)


def rows_to_write(target: Path, pose_file: PoseFile, layouts: tuple[str, ...],
                  scores: bool = False) -> Iterator[tuple]:
    """``(keypoints (J, D), location)`` of every row of every track, checked against the file read; with
    ``scores``: ``(keypoints, location, scores (J,) or None)`` (None: the track has none)."""
    meta = pose_file.meta
    if meta.get("layout") not in layouts:
        raise SynspInputError(
            f"{target}: cannot write a pose file read from {pose_file.source} ({pose_file.format}) in "
            f"this format; the writer replaces the keypoints of the document it was read from")
    for t in pose_file.tracks:
        rows = meta["locations"].get(t.track_id)
        if rows is None:
            raise SynspInputError(
                f"{target}: track {t.track_id!r} is not in {pose_file.source}; the writer can only "
                f"replace the keypoints of the tracks read from it ({list(meta['locations'])})")
        frames = [f for f, _ in rows]
        if t.frames.tolist() != frames or t.keypoints.shape[1:] != tuple(meta["keypoint_shape"]):
            raise SynspInputError(
                f"{target}: track {t.track_id!r} has keypoints {t.keypoints.shape} in frames "
                f"{t.frames[:5].tolist()}...; {pose_file.source} has {(len(frames),) + tuple(meta['keypoint_shape'])} "
                f"in frames {frames[:5]}...; expected the same frames and keypoint layout")
        if not scores:
            for kp, (_, loc) in zip(t.keypoints, rows):
                yield kp, loc
        else:
            sc = [None] * len(rows) if t.scores is None else t.scores
            for kp, (_, loc), s in zip(t.keypoints, rows, sc):
                yield kp, loc, s


def value_at(doc: Any, loc: tuple) -> Any:
    for key in loc:
        doc = doc[key]
    return doc


def with_edits(doc: Any, edits: list[tuple[tuple, dict]]) -> Any:
    """A copy of ``doc`` in which the object at each ``loc`` is updated with its ``new`` keys.

    Only the lists and objects on the way to an edited object are copied (shallowly); everything
    else is shared with ``doc``, which is left unchanged.
    """
    copies = {(): copy.copy(doc)}
    for loc, new in edits:
        node = copies[()]
        for depth in range(1, len(loc) + 1):
            if loc[:depth] not in copies:
                node[loc[depth - 1]] = copies[loc[:depth]] = copy.copy(node[loc[depth - 1]])
            node = copies[loc[:depth]]
        node.update(new)
    return copies[()]


# --------------------------------------------------------------------------------------------
# Recognising a file
# --------------------------------------------------------------------------------------------


def _scan(p: Path, markers: tuple[bytes, ...], enough: Callable[[bytes, set[bytes]], bool]) -> tuple[bytes, set[bytes]]:
    """The first non-blank byte of ``p`` and which ``markers`` occur in it, reading chunks until
    ``enough(first, found)`` or the end (no parsing)."""
    first, found, tail = b"", set(), b""
    with open_file(p, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if not first:
                stripped = chunk.lstrip(b" \t\r\n\xef\xbb\xbf")
                first = stripped[:1]
            window = tail + chunk
            found |= {m for m in markers if m in window}
            if first and enough(first, found):
                break
            tail = window[-32:]
    return first, found


def _looks_like_pose(first: bytes, found: set[bytes]) -> bool:
    if first == b"[":
        return bool(found & {b'"keypoints"', b'"instances"'})
    if first == b"{":
        return b'"instance_info"' in found or {b'"annotations"', b'"keypoints"'} <= found
    return False


def sniff(path: Any) -> bool:
    """True for a ``.json`` / ``.json.gz`` file that looks like one of the layouts of this module
    (by its first character and the key names in it; the file is not parsed)."""
    try:
        p = as_path(path)
        if not _JSON_NAME.search(p.name) or not p.is_file():
            return False
        markers = (b'"keypoints"', b'"instances"', b'"instance_info"', b'"annotations"')
        return _looks_like_pose(*_scan(p, markers, _looks_like_pose))
    except (OSError, EOFError, ValueError, SynspInputError):
        return False


def format_of(path: Any) -> str:
    """``"coco"`` for COCO results / annotations, else ``"mmpose"`` (no parsing)."""
    p = as_path(path)
    first, found = _scan(p, (b'"instance_info"',), lambda f, found: f != b"{" or bool(found))
    if first == b"{":
        return "mmpose" if found else "coco"
    with open_file(p, "rb") as fh:
        head = fh.read(1 << 16).lstrip(b" \t\r\n\xef\xbb\xbf")
    entry = re.match(rb"\[\s*(\{[^}]*)", head)  # the first object, up to its first "}"
    return "coco" if entry and b'"image_id"' in entry.group(1) else "mmpose"


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

# A frame as the layouts below see it: its index in the timeline and its instances as
# (location in the document, the instance object, how messages name it).
_Frame = tuple[int, list[tuple[tuple, Any, str]]]


def _sort_key(v: Any) -> tuple:
    """Orders image ids: numbers numerically, then strings naturally ("img2" < "img10")."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v)
    if isinstance(v, str):
        return (1, tuple(int(s) if k % 2 else s for k, s in enumerate(re.split(r"(\d+)", v))))
    raise TypeError(v)


#: image ids that number frames are taken as frame numbers (their gaps kept) unless they spread over more than this
#: many times as many values as there are ids (the images of a dataset, not the frames of a video)
_SPREAD = 10


def _frame_index(src: Path, keys: list[Any], what: str) -> tuple[dict[Any, int], int, Sequence[int] | None]:
    """Distinct image ids -> frame indices, the number of frames and the file's number of each frame (None: ids
    that are no numbers).  Ids that number frames (integers, or names
    that differ in one number only: ``"12.jpg"``, ``"frame_000012.png"``) keep their gaps, frame = number less
    the smallest: a frame without a detection has no result, and the frames around it are not neighbours (read
    in sorted order, 4 missing frames moved clean keypoints by up to 20 px).  Other ids, and numbers spread over
    more than :data:`_SPREAD` times as many values as there are ids, in sorted order."""
    try:
        distinct = sorted(set(keys), key=_sort_key)
    except TypeError:
        bad = next(k for k in keys if not isinstance(k, (int, float, str)) or isinstance(k, bool))
        raise SynspInputError(f"{src}: {what} {bad!r} is {kind_of(bad)}; expected a number or a string") from None
    numbers = _frame_numbers(distinct)
    if numbers is not None and numbers[-1] - numbers[0] + 1 <= _SPREAD * len(distinct):
        span = range(numbers[0], numbers[-1] + 1)
        return {k: n - numbers[0] for k, n in zip(distinct, numbers)}, len(span), span
    return {k: i for i, k in enumerate(distinct)}, len(distinct), numbers


def _frame_numbers(ids: list[Any]) -> list[int] | None:
    """The frame numbers of sorted distinct image ids (integers, or names alike but for one number), ascending;
    None when they are not such ids, or two names give one number (``"f1"``, ``"f01"``)."""
    if all(isinstance(k, (int, float)) and not isinstance(k, bool) and float(k).is_integer() for k in ids):
        return [int(k) for k in ids]  # 12 or 12.0
    if not all(isinstance(k, str) for k in ids):
        return None
    parts = [re.fullmatch(r"(.*?)(\d+)(\D*)", k) for k in ids]
    if not all(parts) or len({(m.group(1), m.group(3)) for m in parts}) != 1:
        return None
    numbers = [int(m.group(2)) for m in parts]
    return numbers if len(set(numbers)) == len(numbers) and numbers == sorted(numbers) else None


def _mmpose1_frames(src: Path, frames: list, prefix: tuple) -> tuple[list[_Frame], int, range]:
    """``[{"frame_id", "instances"}, ...]`` -> frames; index = frame_id - min(frame_id) (a frame
    without ``frame_id`` counts as its position in the list)."""
    parsed = [_frame_instances(src, k, fr, prefix) for k, fr in enumerate(frames)]
    ids = [fid for fid, _ in parsed]
    first = _first_frame_id(src, ids)
    count = max(ids) - first + 1 if ids else 0
    return [(fid - first, entries) for fid, entries in parsed], count, range(first, first + count)


def _frame_instances(src: Path, k: int, fr: Any, prefix: tuple) -> tuple[int, list[tuple[tuple, Any, str]]]:
    """One ``{"frame_id", "instances"}`` item of a video's list: its frame_id and instances as
    ``(location, instance, name)``."""
    if not isinstance(fr, dict) or not isinstance(fr.get("instances"), list):
        found = f"an object with keys {sorted(fr)}" if isinstance(fr, dict) else kind_of(fr)
        raise SynspInputError(
            f"{src}: frame {k} is {found}; expected {{'frame_id': int, 'instances': [...]}} like the first frame")
    fid = fr.get("frame_id", k)
    if not isinstance(fid, int) or isinstance(fid, bool):
        raise SynspInputError(f"{src}: frame {k}: 'frame_id' is {fid!r}; expected an integer")
    return fid, [(prefix + (k, "instances", n), inst, f"frame_id {fid}, instance {n}")
                 for n, inst in enumerate(fr["instances"])]


def _first_frame_id(src: Path, ids: list[int]) -> int:
    """The smallest of a video's frame_ids (frame 0), after checking none repeats."""
    dup, count = Counter(ids).most_common(1)[0] if ids else (None, 1)
    if count > 1:
        raise SynspInputError(f"{src}: frame_id {dup} appears in {count} frames; expected each once")
    return min(ids, default=0)


def _mmpose0_instances(src: Path, k: int, fr: Any) -> list[tuple[tuple, Any, str]]:
    """Frame ``k`` of an MMPose 0.x list (a list of instances) as ``(location, instance, name)``."""
    if not isinstance(fr, list):
        raise SynspInputError(f"{src}: frame {k} is {kind_of(fr)}; expected a list of instances (MMPose 0.x layout)")
    return [((k, n), inst, f"frame {k}, instance {n}") for n, inst in enumerate(fr)]


def _coco_result(src: Path, k: int, e: Any) -> str:
    """How messages name COCO result ``k``, after checking it is an object with an ``image_id``."""
    if not isinstance(e, dict) or "image_id" not in e:
        found = f"an object with keys {sorted(e)[:8]}" if isinstance(e, dict) else kind_of(e)
        raise SynspInputError(f"{src}: result {k} is {found}; expected {{'image_id', 'keypoints', ...}}")
    return f"result {k} (image_id {e['image_id']!r})"


def _image_frame(instances: list, prefix: tuple) -> tuple[list[_Frame], int, None]:
    """A bare list of MMPose 1.x instances: one frame."""
    return [(0, [(prefix + (n,), inst, f"instance {n}") for n, inst in enumerate(instances)])], 1, None


def _layout(doc: Any, src: Path) -> tuple[str, str, list[_Frame], int, Sequence[int] | None, dict]:
    """``(layout, keypoint encoding, frames, number of frames, frame numbers, MMPose dataset meta)`` of ``doc``.

    Encodings: ``"xy"`` (rows [x, y(, z)], scores in ``keypoint_scores``), ``"xys"`` (rows
    [x, y(, z), score]), ``"flat"`` ([x1, y1, v1, ...]), ``"wholebody"`` (flat, split in parts).
    """
    if isinstance(doc, dict):
        if "instance_info" in doc:
            info, dataset = doc["instance_info"], doc.get("meta_info")
            if not isinstance(info, list):
                raise SynspInputError(
                    f"{src}: 'instance_info' is {kind_of(info)}; expected a list of frames or instances")
            dataset = dataset if isinstance(dataset, dict) else {}
            if info and isinstance(info[0], dict) and "instances" in info[0]:
                return ("mmpose1-demo", "xy") + _mmpose1_frames(src, info, ("instance_info",)) + (dataset,)
            return ("mmpose1-demo-image", "xy") + _image_frame(info, ("instance_info",)) + (dataset,)
        if "annotations" in doc:
            return _coco_annotations(doc, src)
        if "people" in doc:
            raise SynspInputError(
                f"{src}: this is one frame of OpenPose output ('people'); read the folder of "
                "*_keypoints.json files (format 'openpose')")
        raise SynspInputError(
            f"{src}: a JSON object with keys {sorted(doc)[:8]} is not pose output; expected {_EXPECTED}")
    if not isinstance(doc, list):
        raise SynspInputError(f"{src}: the document is {kind_of(doc)}; expected {_EXPECTED}")
    if not doc:
        raise SynspInputError(f"{src}: the document is an empty list (no frames); expected {_EXPECTED}")
    head = doc[0]
    if isinstance(head, list):
        frames = [(k, _mmpose0_instances(src, k, fr)) for k, fr in enumerate(doc)]
        return "mmpose0", "xys", frames, len(doc), None, {}
    if isinstance(head, dict) and "instances" in head:
        return ("mmpose1", "xy") + _mmpose1_frames(src, doc, ()) + ({},)
    if isinstance(head, dict) and "image_id" in head:
        return _coco_results(doc, src)
    if isinstance(head, dict) and "keypoints" in head:
        return ("mmpose1-image", "xy") + _image_frame(doc, ()) + ({},)
    found = f"an object with keys {sorted(head)[:8]}" if isinstance(head, dict) else kind_of(head)
    raise SynspInputError(f"{src}: a list whose first item is {found} is not pose output; expected {_EXPECTED}")


def _coco_encoding(entries: list) -> str:
    return "wholebody" if any(isinstance(e, dict) and "foot_kpts" in e for e in entries) else "flat"


def _coco_results(doc: list, src: Path) -> tuple[str, str, list[_Frame], int, Sequence[int] | None, dict]:
    names = [_coco_result(src, k, e) for k, e in enumerate(doc)]
    index, count, numbers = _frame_index(src, [e["image_id"] for e in doc], "image_id")
    frames: dict[int, list] = {i: [] for i in sorted(index.values())}
    for k, (e, where) in enumerate(zip(doc, names)):
        frames[index[e["image_id"]]].append(((k,), e, where))
    return "coco-results", _coco_encoding(doc), list(frames.items()), count, numbers, {}


def _coco_annotations(doc: dict, src: Path) -> tuple[str, str, list[_Frame], int, Sequence[int] | None, dict]:
    anns, images = doc["annotations"], doc.get("images")
    if not isinstance(anns, list):
        raise SynspInputError(f"{src}: 'annotations' is {kind_of(anns)}; expected a list of annotations")
    for k, a in enumerate(anns):
        if not isinstance(a, dict) or "image_id" not in a:
            found = f"an object with keys {sorted(a)[:8]}" if isinstance(a, dict) else kind_of(a)
            raise SynspInputError(f"{src}: annotation {k} is {found}; expected {{'image_id', 'keypoints', ...}}")
    if images is None:
        index, count, numbers = _frame_index(src, [a["image_id"] for a in anns], "image_id")
    else:
        if not isinstance(images, list) or not all(isinstance(im, dict) and "id" in im for im in images):
            raise SynspInputError(f"{src}: 'images' must be a list of objects with an 'id'")
        ids = [im["id"] for im in images]
        if len(set(map(repr, ids))) != len(ids):
            raise SynspInputError(f"{src}: 'images' lists an id twice; expected distinct image ids")
        index, count, numbers = _frame_index(src, ids, "image id")
        for k, a in enumerate(anns):
            if not isinstance(a["image_id"], (int, float, str)) or a["image_id"] not in index:
                raise SynspInputError(
                    f"{src}: annotation {k} refers to image_id {a['image_id']!r}, which is not in 'images'")
    frames: dict[int, list] = {i: [] for i in sorted(index.values())}
    for k, a in enumerate(anns):
        frames[index[a["image_id"]]].append((("annotations", k), a, f"annotation {k} (image_id {a['image_id']!r})"))
    return "coco-annotations", _coco_encoding(anns), list(frames.items()), count, numbers, {}


def _decode(src: Path, frame: int, order: int, loc: tuple, inst: Any, where: str, encoding: str) -> Instance:
    if not isinstance(inst, dict) or "keypoints" not in inst:
        found = f"an object with keys {sorted(inst)[:8]}" if isinstance(inst, dict) else kind_of(inst)
        raise SynspInputError(f"{src}: {where} is {found}; expected an object with 'keypoints'")
    scores = None
    if encoding == "xy":
        kp = _rows(inst["keypoints"], src, where, "keypoints", (2, 3), "a list of [x, y] or [x, y, z] rows")
        if "keypoint_scores" in inst:
            scores = _numbers(inst["keypoint_scores"], src, where, "keypoint_scores")
            if len(scores) != len(kp):
                raise SynspInputError(
                    f"{src}: {where}: 'keypoints' has {len(kp)} rows but 'keypoint_scores' {len(scores)} values; "
                    "expected one score per keypoint (is a keypoint row or a score missing?)")
    elif encoding == "xys":
        rows = _rows(inst["keypoints"], src, where, "keypoints", (3, 4),
                     "a list of [x, y, score] or [x, y, z, score] rows")
        kp, scores = rows[:, :-1], rows[:, -1]
    else:
        parts = WHOLEBODY_PARTS if encoding == "wholebody" else (("keypoints", None),)
        for key, _ in parts:
            if key not in inst:
                raise SynspInputError(
                    f"{src}: {where} has no {key!r}; a COCO-WholeBody entry splits its keypoints into "
                    f"{[k for k, _ in WHOLEBODY_PARTS]}")
        chunks = [keypoint_triples(inst[key], src, where, key) for key, _ in parts]  # (J_part, 3) each
        for (key, size), chunk in zip(parts, chunks):
            if size is not None and len(chunk) != size:
                raise SynspInputError(
                    f"{src}: {where}: {key!r} has {len(chunk)} keypoints; COCO-WholeBody has {size}")
        triples = np.concatenate(chunks)  # (J, 3)
        kp, scores = triples[:, :2], triples[:, 2]
    return Instance(frame, order, inst.get("track_id"), where, loc, kp, scores)


def _skeleton(dataset: dict, num_joints: int | None, dims: int | None) -> str | None:
    if dataset.get("dataset_name") in _DATASET_SKELETONS:
        return _DATASET_SKELETONS[dataset["dataset_name"]]
    if num_joints == 17:
        return "h36m17" if dims == 3 else "coco17"
    return {133: "coco133", 21: "hand21", 68: "face68", 26: "halpe26", 136: "halpe136"}.get(num_joints)


def _alphapose_ids(idx: list[Any], instances: list[Instance]) -> list[Instance]:
    """COCO results without ``track_id`` whose entries carry AlphaPose's ``idx``: its tracker's ids
    (``--pose_track``; a number or a one-element list) become the track ids, when every entry has an
    integer one and no frame has two alike.  Without tracking AlphaPose writes 0 for everyone, so
    several people in a frame share it: then the file is read as one without ids.  ``idx``: each instance's."""
    ids = []
    for v in idx:
        v = v[0] if isinstance(v, list) and len(v) == 1 else v
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v != int(v):
            return instances
        ids.append(int(v))
    if not ids or len(set(zip((i.frame for i in instances), ids))) < len(ids):
        return instances
    return [dataclasses.replace(inst, track_id=i) for inst, i in zip(instances, ids)]


def _head_style(p: Path) -> dict[str, Any]:
    """:func:`json_style` of the file's first characters (its final newline: set by the caller)."""
    with open_file(p, "rb") as fh:
        head = fh.read(1 << 14).decode("utf-8", errors="replace").lstrip("\ufeff")
    return json_style(head)


def _list_layout(head: Any) -> str | None:
    """The streamed layout of a list whose first item is ``head`` (None: read whole)."""
    if isinstance(head, dict) and "instances" in head:
        return "mmpose1"
    if isinstance(head, list):
        return "mmpose0"
    if isinstance(head, dict) and "image_id" in head:
        return "coco-results"
    return None


class _Streamed:
    """What :func:`_read_streamed` gathers, item by item."""

    def __init__(self, src: Path):
        self.src = src
        self.instances: list[Instance] = []
        self.ids: list[Any] = []  # frame_id per frame (MMPose 1.x) or image_id per result (COCO)
        self.idx: list[Any] = []  # AlphaPose's "idx" per result
        self.encoding = "xy"

    def take(self, layout: str, items: Iterator[Any], prefix: tuple) -> bool:
        """Decode every item; False when the layout turns out not to be streamable (read whole then)."""
        src, out = self.src, self.instances
        for k, item in enumerate(items):
            if layout in ("mmpose1", "mmpose1-demo"):
                fid, entries = _frame_instances(src, k, item, prefix)
                self.ids.append(fid)
                for order, (loc, inst, where) in enumerate(entries):
                    out.append(_decode(src, fid, order, loc, inst, where, "xy"))
            elif layout == "mmpose0":
                self.encoding = "xys"
                for n, (loc, inst, where) in enumerate(_mmpose0_instances(src, k, item)):
                    out.append(_decode(src, k, n, loc, inst, where, "xys"))
                self.ids.append(k)
            else:  # coco-results: frames numbered once every image id is known
                where = _coco_result(src, k, item)
                if k == 0:
                    self.encoding = "wholebody" if "foot_kpts" in item else "flat"
                elif self.encoding == "flat" and "foot_kpts" in item:
                    return False  # whole-body parts after flat results: the whole-file reader says what is wrong
                self.ids.append(item["image_id"])
                self.idx.append(item.get("idx"))
                out.append(_decode(src, 0, 0, (k,), item, where, self.encoding))
        return True

    def frames(self, layout: str) -> tuple[int, Sequence[int] | None]:
        """Number the frames as the whole-file reader does; the number of frames and their numbers in the file."""
        ids, src = self.ids, self.src
        if layout == "mmpose0":
            return len(ids), None
        if layout == "coco-results":
            index, count, numbers = _frame_index(src, ids, "image_id")
            counts: dict[int, int] = {}
            for inst, image in zip(self.instances, ids):
                inst.frame = index[image]
                inst.order = counts[inst.frame] = counts.get(inst.frame, -1) + 1
            return count, numbers
        first = _first_frame_id(src, ids)
        for inst in self.instances:
            inst.frame -= first
        return max(ids) - first + 1, range(first, max(ids) + 1)


def _read_streamed(p: Path) -> tuple[str, str, list[Instance], int, dict, dict[str, Any]] | None:
    """A video's list read one item at a time (layouts mmpose1, mmpose1-demo, mmpose0, coco-results): ``(layout,
    encoding, instances, number of frames, dataset meta, stream facts)``; None for every other layout (read
    whole)."""
    try:
        first, found = _scan(p, (b'"instance_info"',), lambda f, found: f != b"{" or bool(found))
    except (OSError, EOFError, zlib.error):
        return None  # the whole-file reader says what is wrong
    if first not in (b"[", b"{") or (first == b"{" and not found):
        return None
    got, dataset, layout = _Streamed(p), {}, None
    with JsonStream(p, _EXPECTED) as s:
        if s.peek() == "[":
            items = s.items()
            head = next(items, None)
            layout = _list_layout(head)
            if layout is None or not got.take(layout, itertools.chain([head], items), ()):
                return None
        else:
            for key in s.members():
                if key == "instance_info" and layout is None and s.peek() == "[":
                    items = s.items()
                    head = next(items, None)
                    if _list_layout(head) != "mmpose1":
                        return None  # one image's instances: read whole
                    layout = "mmpose1-demo"
                    got.take(layout, itertools.chain([head], items), ("instance_info",))
                elif key == "instance_info":
                    return None  # not a list, or twice: the whole-file reader decides
                else:
                    v = s.value()
                    if key == "meta_info":
                        dataset = v if isinstance(v, dict) else {}
            if layout is None:
                return None
        s.end()
        facts = {"crc": s.crc, "final_newline": s.last_char == "\n"}
    num_frames, facts["frame_numbers"] = got.frames(layout)
    instances = got.instances
    if layout == "coco-results" and all(inst.track_id is None for inst in instances):
        instances = _alphapose_ids(got.idx, instances)
    return layout, got.encoding, instances, num_frames, dataset, facts


def read(path: Any, assign_ids: str | None = None, fps: float | None = None) -> PoseFile:
    """Read an MMPose or COCO keypoint JSON (``.json`` or ``.json.gz``) into a :class:`PoseFile`.

    ``assign_ids="order"`` numbers the people of each frame by their position in it (see the
    module docstring); ``fps`` is stored on the result (these files do not record it).
    """
    p = as_path(path)
    fps = reader_fps(fps)
    _check_assign_ids(assign_ids)
    streamed = _read_streamed(p) if p.is_file() else None
    if streamed is not None:  # a video's frames, one at a time: no document held (an hour of whole bodies
        layout, encoding, instances, num_frames, dataset, facts = streamed  # is gigabytes of Python lists)
        doc, style = None, dict(_head_style(p), end="\n" if facts["final_newline"] else "")
    else:
        facts = {}
        doc, text = load_json(p, _EXPECTED)
        style = json_style(text)
        del text  # the parsed document is kept to write back; its text is not
        layout, encoding, frames, num_frames, facts["frame_numbers"], dataset = _layout(doc, p)
        instances = []
        for frame, entries in frames:
            for order, (loc, inst, where) in enumerate(entries):
                instances.append(_decode(p, frame, order, loc, inst, where, encoding))
                if encoding == "xy":  # written back whole from the tracks: its parsed [[x, y], ...] let go;
                    inst["keypoints"] = None  # see write()
    if doc is not None and layout == "coco-results" and all(inst.track_id is None for inst in instances):
        instances = _alphapose_ids([value_at(doc, inst.loc).get("idx") for inst in instances], instances)
    tracks, locations = build_tracks(p, instances, assign_ids, _HOW_TO_TRACK)
    shape = instances[0].keypoints.shape if instances else None
    dims = shape[1] if shape else None
    return PoseFile(
        tracks=tracks,
        num_frames=num_frames,
        format="coco" if layout.startswith("coco") else "mmpose",
        skeleton=_skeleton(dataset, shape[0] if shape else None, dims),
        fps=fps,
        units="m" if dims == 3 else "px",
        source=p,
        frame_numbers=facts["frame_numbers"],  # the file's frame_id / image number of each frame
        meta={
            "layout": layout,  # mmpose1[-demo][-image], mmpose0, coco-results, coco-annotations
            "encoding": encoding,  # how an instance stores its keypoints (see _layout)
            "document": doc,  # the parsed file, written back with new coordinates (None: read frame by frame)
            "locations": locations,  # track id -> [(frame, path to the instance in document)]
            "keypoint_shape": shape,  # (J, D)
            "style": style,  # indent / separators / final newline of the file
            # the instances' keypoints are not in the document (write() needs every track)
            "released": doc is not None and encoding == "xy",
            "crc": facts.get("crc"),  # read frame by frame: the CRC-32 of the file (read again to write)
            "path": p if doc is None else None,  # ... and which file (copies of the meta keep it)
        },
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _encode(inst: dict, encoding: str, row: np.ndarray, scores: np.ndarray | None = None) -> dict[str, list]:
    """The keys of ``inst`` that hold its keypoints, with ``row`` (J, D) put in, in the encoding
    it was read with, and its scores those of ``scores`` (J; None: kept; :func:`json_scores`)."""
    if encoding == "xy":
        new = {"keypoints": _coords(row)}
        if scores is not None and isinstance(inst.get("keypoint_scores"), list):
            literals = json_scores(inst["keypoint_scores"], scores)
            if literals is not inst["keypoint_scores"]:
                new["keypoint_scores"] = literals
        return new
    if encoding == "xys":
        literals = json_scores([old[-1] for old in inst["keypoints"]], scores)
        return {"keypoints": [xyz + [c] for xyz, c in zip(_coords(row), literals)]}
    if encoding == "flat":
        triples = inst["keypoints"]
        return {"keypoints": with_coords(triples, row, json_scores(triples[2::3], scores))}
    new, start = {}, 0
    literals = json_scores([c for key, _ in WHOLEBODY_PARTS for c in inst[key][2::3]], scores)
    for key, size in WHOLEBODY_PARTS:
        new[key] = with_coords(inst[key], row[start:start + size], literals[start:start + size])
        start += size
    return new


_LAYOUTS = ("mmpose1", "mmpose1-image", "mmpose1-demo", "mmpose1-demo-image", "mmpose0",
            "coco-results", "coco-annotations")


def write(path: Any, pose_file: PoseFile) -> Path:
    """Write the document ``pose_file`` was read from to ``path`` with the keypoint coordinates of
    its tracks replaced (NaN -> ``null``), atomically; a ``.gz`` target is gzip-compressed."""
    target = as_path(path)
    rows = list(rows_to_write(target, pose_file, _LAYOUTS, scores=True))
    meta, doc = pose_file.meta, pose_file.meta["document"]
    if doc is None:
        return _write_streamed(target, pose_file, rows)
    written = {t.track_id for t in pose_file.tracks}
    missing = [tid for tid in meta["locations"] if tid not in written] if meta.get("released") else []
    if missing:  # their keypoints were let go when read: never written as null
        raise SynspInputError(
            f"{target}: tracks {missing[:5]} of {pose_file.source} are not in the pose file; synsp keeps the file's "
            "other fields, not its keypoints, so every track read from it must be written. Write the tracks "
            "you left out unchanged (or save the ones you keep as an array)")
    doc = with_edits(doc, [(loc, _encode(value_at(doc, loc), meta["encoding"], kp, sc)) for kp, loc, sc in rows])
    return atomic_write(target, lambda fh: fh.write(dump_json(doc, meta["style"])))


def _write_streamed(target: Path, pose_file: PoseFile, rows: list[tuple]) -> Path:
    """A video read item by item, written the same way: the source is read again, each item holding a track's
    instance is written anew with its keypoints replaced, every other character copied as it is (tracks left
    out of ``pose_file`` keep their keypoints). A source that changed since it was read is refused (its
    CRC-32), and then nothing is written."""
    meta = pose_file.meta
    src = meta.get("path") or pose_file.source
    depth = 2 if meta["layout"] == "mmpose1-demo" else 1  # of an item in the document, for its indentation
    edits: dict[int, list[tuple]] = {}
    for kp, loc, sc in rows:  # loc: (["instance_info",] k, ...) with the item's own path after k
        edits.setdefault(loc[depth - 1], []).append((loc[depth:], kp, sc))
    style, encoding = meta["style"], meta["encoding"]
    changed = (f"{target}: {src} changed since it was read; read it again and refine it again (nothing was "
               "written)")

    def items(s: JsonStream) -> None:
        for k, item in enumerate(s.items()):
            for sub, kp, sc in edits.get(k, ()):
                try:
                    inst = value_at(item, sub)
                    inst.update(_encode(inst, encoding, kp, sc))
                except (KeyError, IndexError, TypeError, AttributeError, ValueError):
                    raise SynspInputError(changed) from None
            if k in edits:
                s.replace(dump_json(item, style, depth))

    def write(fh: Any) -> None:
        try:
            with JsonStream(src, _EXPECTED, sink=fh.write) as s:
                if depth == 1:
                    items(s)
                else:
                    for key in s.members():
                        if key == "instance_info":
                            items(s)
                        else:
                            s.value()
                s.finish()
                crc = s.crc
        except SynspInputError as exc:
            raise SynspInputError(exc.args[0] if exc.args[0] == changed else f"{changed}: {exc}") from None
        if crc != meta["crc"]:
            raise SynspInputError(changed)

    return atomic_write(target, write)
