"""OpenPose ``--write_json`` output: a folder with one ``<name>_<frame>_keypoints.json`` per frame.

Layout of one file::

    {"version": 1.3,
     "people": [{"person_id": [-1],
                 "pose_keypoints_2d": [x1, y1, c1, x2, y2, c2, ...],      # 25 x 3 (BODY_25)
                 "face_keypoints_2d": [...], "hand_left_keypoints_2d": [...],
                 "hand_right_keypoints_2d": [...],
                 "pose_keypoints_3d": [...], ...}, ...]}

Frames: the number before ``_keypoints.json`` (``video_000000000042_keypoints.json`` is frame
42); frame ``i`` of the :class:`~synsp.io.tracks.PoseFile` is that number minus the smallest one,
so a missing file is a frame without people.  All files of the folder must share the name
before the number.  A single ``*_keypoints.json`` file can be read (one frame) and written too.

Keypoints: the body, ``pose_keypoints_2d`` (``pose_keypoints`` in older OpenPose versions): 25 joints
-> skeleton ``body25``; the COCO-18 model's 18 joints (and other models) are read with skeleton
None and a ``meta["note"]``.  The confidence ``c`` is the score; a joint OpenPose did not find
is (0, 0) with confidence 0 and stays so (downstream code drops it by a confidence threshold).
Only the body is read (``include="pose"``): face, hands and the 3-D variants are kept untouched in
the documents and written back unchanged.

Tracks: ``person_id`` ``[-1]`` (what OpenPose writes without tracking) means no id, and then
the rules of :mod:`synsp.io.keypoints_json` apply: one person per frame is track 0, several need
``assign_ids="track"`` (followed by motion continuity) or ``"order"`` (position in ``people`` as id).  Another ``person_id`` ``[k]`` is id ``k``.

:func:`write` writes a new folder with the same file names and documents, only the body
coordinates of the tracks replaced.  It is written into a temporary sibling folder and then
renamed, and it refuses a target that exists and is not empty (so the input folder cannot be
overwritten).  Files of the input folder that are not ``*_keypoints.json`` are not copied.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from synsp.io._common import as_path, atomic_folder, atomic_write
from synsp.io.keypoints_json import (
    Instance,
    build_tracks,
    dump_json,
    json_style,
    keypoint_triples,
    kind_of,
    load_json,
    rows_to_write,
    value_at,
    with_coords,
    with_edits,
)
from synsp.io.tracks import PoseFile
from synsp.validation import SynspInputError

__all__ = ["read", "sniff", "write"]

_SUFFIX = "_keypoints.json"
_NAME = re.compile(r"^(.*?)(\d+)_keypoints\.json$")
_EXPECTED = "OpenPose JSON: {'version': ..., 'people': [{'person_id': [...], 'pose_keypoints_2d': [...]}, ...]}"
_HOW_TO_TRACK = "OpenPose writes person_id [-1] unless it tracks people"
#: number of body keypoints -> (skeleton, note)
_MODELS = {
    25: ("body25", None),
    18: (None, "18 body keypoints: OpenPose's COCO-18 model, an order synsp has no skeleton for"),
}


def sniff(path: Any) -> bool:
    """True for a folder holding at least one ``*_keypoints.json``, or one such file."""
    try:
        p = as_path(path)
        if p.is_dir():
            return next(p.glob("*" + _SUFFIX), None) is not None
        return p.is_file() and p.name.endswith(_SUFFIX)
    except (OSError, SynspInputError):
        return False


def _frame_files(p: Path) -> list[tuple[int, Path]]:
    """``(frame number, file)`` of the folder (or the single file), sorted by number."""
    files = sorted(p.glob("*" + _SUFFIX)) if p.is_dir() else [p]
    if not files:
        raise SynspInputError(f"{p}: no *{_SUFFIX} files in this folder; expected OpenPose --write_json output")
    numbered, prefixes = [], set()
    for f in files:
        m = _NAME.match(f.name)
        if m is None:
            raise SynspInputError(
                f"{f}: the file name has no frame number; expected <name>_<frame number>{_SUFFIX}")
        prefixes.add(m.group(1))
        numbered.append((int(m.group(2)), f))
    if len(prefixes) > 1:
        raise SynspInputError(
            f"{p}: the files belong to {len(prefixes)} different inputs ({sorted(prefixes)[:4]}); "
            "expected the frames of one video per folder")
    numbered.sort()
    for (a, fa), (b, fb) in itertools.pairwise(numbered):
        if a == b:
            raise SynspInputError(f"{p}: {fa.name} and {fb.name} are both frame {a}; expected one file per frame")
    return numbered


def _person_id(pid: Any, f: Path, where: str) -> Hashable | None:
    """``[-1]`` / ``-1`` / absent -> None (untracked), ``[k]`` / ``k`` -> k, ``[a, b]`` -> (a, b)."""
    if pid is None:
        return None
    ids = pid if isinstance(pid, list) else [pid]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise SynspInputError(f"{f}: {where}: 'person_id' is {pid!r}; expected a list of integers such as [-1]")
    if not ids or ids == [-1]:
        return None
    return ids[0] if len(ids) == 1 else tuple(ids)


def _pose_key(person: dict) -> str | None:
    return next((k for k in ("pose_keypoints_2d", "pose_keypoints") if k in person), None)


def read(path: Any, assign_ids: str | None = None, include: str = "pose", fps: float | None = None) -> PoseFile:
    """Read an OpenPose JSON folder (or one ``*_keypoints.json``) into a :class:`PoseFile`.

    Only ``include="pose"`` (the body keypoints) is supported; face and hands stay in the documents.
    ``assign_ids="order"`` numbers untracked people by their position in ``people``; ``fps`` is
    stored on the result (OpenPose does not record it).
    """
    p = as_path(path)
    if include != "pose":
        raise SynspInputError(
            f"include is {include!r}; only 'pose' (the body keypoints) is supported; face and hand "
            "keypoints are kept in the files unchanged")
    if fps is not None and not (isinstance(fps, (int, float)) and fps > 0):
        raise SynspInputError(f"fps is {fps!r}; expected a positive frame rate")
    if not p.exists():
        raise SynspInputError(f"{p}: file not found")
    files = _frame_files(p)
    first = files[0][0]
    documents, instances, style = {}, [], None
    for number, f in files:
        doc, text = load_json(f, _EXPECTED)
        style = style or json_style(text)
        people = doc.get("people") if isinstance(doc, dict) else None
        if not isinstance(people, list):
            found = f"an object with keys {sorted(doc)[:8]}" if isinstance(doc, dict) else kind_of(doc)
            raise SynspInputError(f"{f}: the document is {found}; expected {_EXPECTED}")
        for k, person in enumerate(people):
            where = f"person {k}"
            key = _pose_key(person) if isinstance(person, dict) else None
            if key is None:
                found = f"an object with keys {sorted(person)[:8]}" if isinstance(person, dict) else kind_of(person)
                raise SynspInputError(f"{f}: {where} is {found}; expected an object with 'pose_keypoints_2d'")
            triples = keypoint_triples(person[key], f, where, key)  # (J, 3): x, y, confidence
            instances.append(Instance(
                frame=number - first, order=k, track_id=_person_id(person.get("person_id"), f, where),
                where=f"{f.name}, {where}", loc=(f.name, "people", k), keypoints=triples[:, :2], scores=triples[:, 2]))
        documents[f.name] = doc
    tracks, locations = build_tracks(p, instances, assign_ids, _HOW_TO_TRACK)
    shape = instances[0].keypoints.shape if instances else None
    skeleton, note = _MODELS.get(shape[0], (None, f"{shape[0]} body keypoints: not BODY_25")) if shape else (None, None)
    meta = {
        "layout": "openpose-folder" if p.is_dir() else "openpose-file",
        "documents": documents,  # file name -> parsed document, in frame order
        "locations": locations,  # track id -> [(frame, (file name, "people", index))] into documents
        "keypoint_shape": shape,  # (J, 2)
        "style": style,  # indent / separators / final newline of the first file
    }
    if note:
        meta["note"] = note
    return PoseFile(tracks=tracks, num_frames=files[-1][0] - first + 1, format="openpose", skeleton=skeleton,
                    fps=None if fps is None else float(fps), units="px", source=p, meta=meta)


def write(path: Any, pose_file: PoseFile) -> Path:
    """Write the documents ``pose_file`` was read from with the body coordinates of its tracks
    replaced: a new folder (or, for a pose file read from one file, that one file), atomically."""
    target = as_path(path)
    rows = list(rows_to_write(target, pose_file, ("openpose-folder", "openpose-file")))
    meta, documents = pose_file.meta, pose_file.meta["documents"]
    edits = []
    for kp, loc in rows:
        person = value_at(documents, loc)
        key = _pose_key(person)
        edits.append((loc, {key: with_coords(person[key], kp)}))
    documents = with_edits(documents, edits)
    if meta["layout"] == "openpose-file":
        (doc,) = documents.values()
        return atomic_write(target, lambda fh: fh.write(dump_json(doc, meta["style"])))
    with atomic_folder(target) as tmp:  # refuses an existing file or a folder that is not empty
        for name, doc in documents.items():
            (tmp / name).write_text(dump_json(doc, meta["style"]), encoding="utf-8")
    return target
