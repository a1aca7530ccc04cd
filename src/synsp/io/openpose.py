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

Keypoints: the body, ``pose_keypoints_2d`` (``pose_keypoints`` in older OpenPose versions, likewise
``face_keypoints`` ...): 25 joints
-> skeleton ``body25``; other estimators' models written in OpenPose's JSON (Pose2Sim, Sports2D) by
their count: 17 ``coco17``, 26 ``halpe26`` (HALPE_26), 133 ``coco133`` (COCO_133), 136 ``halpe136``; the
COCO-18 model's 18 joints (and other counts) are read with skeleton None and a ``meta["note"]``.
(OpenPose's experimental BODY_25B has 25 keypoints in another order: it would read as BODY_25.)  The
confidence ``c`` is the score; a joint OpenPose did not find is (0, 0) with confidence 0: missing, so
``synsp refine`` fills it (within a track's gap limit) and writes it with its confidence 0 kept, which
downstream code still drops by a confidence threshold; a joint never found in a track is left as written.

Face and hands (OpenPose run with ``--face`` / ``--hand``): when any person of the files has a
non-empty ``face_keypoints_2d`` (70 points), ``hand_left_keypoints_2d`` or ``hand_right_keypoints_2d``
(21 each) beside a BODY_25 body, the four lists are read as one array of 137 joints, skeleton
``openpose137`` (``include="all"``, the default): the refiners refine the body and the face and
hands follow it (:data:`synsp.skeletons.BODY_JOINTS`), so a refined wrist and its hand's root
stay together.  A list a person does not have (empty, or no such key) reads as "not found"
points ((0, 0), score 0) and stays empty when written.  ``include="pose"`` reads the body alone
(skeleton ``body25``) and leaves face and hands in the documents, written back unchanged, as does
a body that is not BODY_25.  The 3-D variants (``pose_keypoints_3d``, ...) are never read and
always written back unchanged.

Tracks: ``person_id`` ``[-1]`` (what OpenPose writes without tracking) means no id, and then
the rules of :mod:`synsp.io.keypoints_json` apply: one person per frame is track 0, several need
``assign_ids="track"`` (followed by motion continuity) or ``"order"`` (position in ``people`` as id).  Another ``person_id`` ``[k]`` is id ``k``.

:func:`write` writes a new folder with the same file names and documents, only the body
coordinates of the tracks replaced, and each keypoint's confidence the track's (``Track.scores``): the document's
own literal where it is unchanged, the literal of the joint its detection was read at where ``synsp refine``
relabelled a left/right inversion (the confidences move with the keypoints; see
:func:`synsp.io.keypoints_json.json_scores`).  It is written into a temporary sibling folder and then
renamed, and it refuses a target that exists and is not empty (so the input folder cannot be
overwritten).  Files of the input folder that are not ``*_keypoints.json`` are not copied.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import as_path, atomic_folder, atomic_write, frames_of_one_video, reader_fps
from synsp.io.keypoints_json import (
    Instance,
    build_tracks,
    dump_json,
    json_scores,
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
#: the lists read beside a BODY_25 body with include="all": (key, points), in the order of openpose137
PARTS = (("face_keypoints_2d", 70), ("hand_left_keypoints_2d", 21), ("hand_right_keypoints_2d", 21))
INCLUDE = ("all", "pose")
BODY25_JOINTS = 25
WHOLE_JOINTS = BODY25_JOINTS + sum(n for _, n in PARTS)  # 137
_NAME = re.compile(r"^(.*?)(\d+)_keypoints\.json$")
_EXPECTED = "OpenPose JSON: {'version': ..., 'people': [{'person_id': [...], 'pose_keypoints_2d': [...]}, ...]}"
_HOW_TO_TRACK = "OpenPose writes person_id [-1] unless it tracks people"
#: number of body keypoints -> (skeleton, note)
_MODELS = {
    25: ("body25", None),
    18: (None, "18 body keypoints: OpenPose's COCO-18 model, an order synsp has no skeleton for"),
    # other estimators writing OpenPose's JSON (Pose2Sim and Sports2D with RTMPose / MMPose models)
    17: ("coco17", None),
    26: ("halpe26", None),
    133: ("coco133", None),
    136: ("halpe136", None),
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
    named = []
    for f in files:
        m = _NAME.match(f.name)
        if m is None:
            raise SynspInputError(
                f"{f}: the file name has no frame number; expected <name>_<frame number>{_SUFFIX}")
        named.append((m.group(1), int(m.group(2)), f))
    return frames_of_one_video(p, named)


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


def _part_key(person: dict, key: str) -> str:
    """``key`` (``face_keypoints_2d``), or its name in older OpenPose versions (``face_keypoints``) where the
    person has only that."""
    return key if key in person or key[:-3] not in person else key[:-3]


def _has_parts(person: Any) -> bool:
    return isinstance(person, dict) and any(
        isinstance(v := person.get(_part_key(person, k)), list) and v for k, _ in PARTS)


def _part(person: dict, key: str, points: int, f: Path, where: str) -> "np.ndarray | SynspInputError":
    """``(points, 3)`` triples of one face / hand list; empty or absent: "not found" (zeros).  A list that is
    not OpenPose's gives the error, raised only if the file is read with its face and hands."""
    key = _part_key(person, key)
    values = person.get(key)
    if not isinstance(values, list) or values == []:
        return np.zeros((points, 3))  # absent (or not a list: not read, written back as it was)
    try:
        triples = keypoint_triples(values, f, where, key)
    except SynspInputError as err:
        return err
    if len(triples) != points:
        return SynspInputError(
            f"{f}: {where}: {key!r} has {len(triples)} points; expected {points} (OpenPose's "
            f"{3 * points} values) or an empty list; the body alone reads with "
            "synsp.io.openpose.read(..., include='pose')")
    return triples


def read(path: Any, assign_ids: str | None = None, include: str = "all", fps: float | None = None,
         progress: bool = False) -> PoseFile:
    """Read an OpenPose JSON folder (or one ``*_keypoints.json``) into a :class:`PoseFile`.

    ``include="all"``: the body, and its face and hands when the files hold any beside a BODY_25 body
    (skeleton ``openpose137``); ``"pose"``: the body alone, face and hands kept in the documents.
    ``assign_ids="order"`` numbers untracked people by their position in ``people``; ``fps`` is
    stored on the result (OpenPose does not record it); ``progress``: a progress bar over the files (an
    hour of video is 108,000 of them).
    """
    p = as_path(path)
    if include not in INCLUDE:
        raise SynspInputError(
            f"include is {include!r}; expected 'all' (the body, and face and hands where the files have them) "
            "or 'pose' (the body keypoints alone; face and hands are kept in the files unchanged)")
    fps = reader_fps(fps)
    if not p.exists():
        raise SynspInputError(f"{p}: file not found")
    files = _frame_files(p)
    first = files[0][0]
    crcs, bodies, parts, style = {}, [], False, None
    from tqdm.auto import tqdm

    bar = tqdm(files, desc=f"reading {p.name}", unit=" files", disable=not progress or len(files) < 1000, leave=False)
    for number, f in bar:  # each document parsed, its keypoints taken as arrays, and let go
        doc, text = load_json(f, _EXPECTED)
        style = style or json_style(text)
        people = doc.get("people") if isinstance(doc, dict) else None
        if not isinstance(people, list):
            found = f"an object with keys {sorted(doc)[:8]}" if isinstance(doc, dict) else kind_of(doc)
            raise SynspInputError(f"{f}: the document is {found}; expected {_EXPECTED}")
        crcs[f.name] = zlib.crc32(text.encode("utf-8"))  # the text is read again to write (an hour: 430 MB of it)
        for k, person in enumerate(people):
            where = f"person {k}"
            key = _pose_key(person) if isinstance(person, dict) else None
            if key is None:
                found = f"an object with keys {sorted(person)[:8]}" if isinstance(person, dict) else kind_of(person)
                raise SynspInputError(f"{f}: {where} is {found}; expected an object with 'pose_keypoints_2d'")
            body = keypoint_triples(person[key], f, where, key)  # (J, 3): x, y, confidence
            track_id = _person_id(person.get("person_id"), f, where)
            extra = [_part(person, key2, n, f, where) for key2, n in PARTS] if include == "all" else []
            parts = parts or (include == "all" and _has_parts(person))
            bodies.append((number, f, k, track_id, body, extra))
    whole = parts and all(len(body) == BODY25_JOINTS for *_, body, _ in bodies)  # face and hands beside BODY_25 only
    instances = []
    for i, (number, f, k, track_id, triples, extra) in enumerate(bodies):
        bodies[i] = None  # its arrays go with the instance (joined for a whole body: the parts let go as we go)
        if whole:
            for got in extra:
                if isinstance(got, SynspInputError):  # a face or hand list that is not OpenPose's
                    raise got
            triples = np.concatenate([triples] + extra)
        instances.append(Instance(
            frame=number - first, order=k, track_id=track_id, where=f"{f.name}, person {k}",
            loc=(f.name, "people", k), keypoints=triples[:, :2], scores=triples[:, 2]))
    tracks, locations = build_tracks(p, instances, assign_ids, _HOW_TO_TRACK)
    shape = instances[0].keypoints.shape if instances else None
    if shape and shape[0] == WHOLE_JOINTS:
        skeleton, note = "openpose137", None
    else:
        skeleton, note = (_MODELS.get(shape[0], (None, f"{shape[0]} body keypoints: not BODY_25")) if shape
                          else (None, None))
        if parts and shape:
            kept = "face and hand keypoints are read beside a BODY_25 body only, kept unchanged"
            note = f"{note}; {kept}" if note else kept
    meta = {
        "layout": "openpose-folder" if p.is_dir() else "openpose-file",
        "documents": crcs,  # file name -> CRC-32 of the document's text, in frame order (read again to write)
        "locations": locations,  # track id -> [(frame, (file name, "people", index))] into the documents
        "keypoint_shape": shape,  # (J, 2)
        "style": style,  # indent / separators / final newline of the first file
    }
    if note:
        meta["note"] = note
    return PoseFile(tracks=tracks, num_frames=files[-1][0] - first + 1, format="openpose", skeleton=skeleton,
                    fps=fps, units="px", source=p, meta=meta, frame_numbers=range(first, files[-1][0] + 1))


def write(path: Any, pose_file: PoseFile) -> Path:
    """Write the documents ``pose_file`` was read from with the body coordinates of its tracks
    replaced: a new folder (or, for a pose file read from one file, that one file), atomically."""
    target = as_path(path)
    meta = pose_file.meta
    edits: dict[str, list] = {name: [] for name in meta["documents"]}
    for kp, loc, sc in rows_to_write(target, pose_file, ("openpose-folder", "openpose-file"), scores=True):
        edits[loc[0]].append((loc[1:], kp, sc))
    source = as_path(pose_file.source)

    def document(name: str) -> Any:
        """The file's document with the rows' coordinates in: read and parsed again, one at a time, and refused
        (the atomic write then leaves nothing) unless its text is the one read."""
        f = source / name if meta["layout"] == "openpose-folder" else source
        try:
            doc, text = load_json(f, _EXPECTED)
        except SynspInputError:
            text = None
        if text is None or zlib.crc32(text.encode("utf-8")) != meta["documents"][name]:
            raise SynspInputError(f"{f}: changed or removed since it was read (its documents are read again to "
                                  "write the refined coordinates into them); nothing written. Read and refine it "
                                  "again")
        changes = []
        for loc, kp, sc in edits[name]:
            person = value_at(doc, loc)
            key = _pose_key(person)
            body = len(person[key]) // 3
            lists = [(key, 0, body)]  # (key, first joint, joints) of each list written
            if len(kp) == WHOLE_JOINTS:  # openpose137: face and hands where the person has them
                start = BODY25_JOINTS
                for part, points in PARTS:
                    part = _part_key(person, part)
                    if isinstance(person.get(part), list) and len(person[part]) == 3 * points:  # read: write back
                        lists.append((part, start, points))
                    start += points
            # the scores as the person's lists hold them; a part it lacks: its points' score 0, as read
            literals = [0.0] * len(kp)
            for part, start, points in lists:
                literals[start:start + points] = person[part][2::3]
            literals = json_scores(literals, sc)
            new = {part: with_coords(person[part], kp[start:start + points], literals[start:start + points])
                   for part, start, points in lists}
            changes.append((loc, new))
        return with_edits(doc, changes)

    if meta["layout"] == "openpose-file":
        (name,) = meta["documents"]
        return atomic_write(target, lambda fh: fh.write(dump_json(document(name), meta["style"])))
    with atomic_folder(target) as tmp:  # refuses an existing file or a folder that is not empty
        for name in meta["documents"]:
            (tmp / name).write_text(dump_json(document(name), meta["style"]), encoding="utf-8")
    return target
