"""Ultralytics YOLO pose labels (``yolo pose predict source=clip.mp4 save_txt=True``, or ``yolo track``).

A folder (``runs/pose/predict/labels/``) with one ``<video>_<frame>.txt`` per video frame in which
someone was detected (Ultralytics numbers a video's frames from 1; a frame with nobody has no file),
one line per person::

    class x_center y_center width height  x1 y1 v1  x2 y2 v2 ...  [conf] [track_id]

Every coordinate is normalised to the image (x by its width, y by its height); ``v`` is the keypoint's
confidence (``x y`` pairs alone for models trained without it); ``conf`` is the box's confidence
(``save_conf=True``) and ``track_id`` the tracker's (``yolo track``).  The layout is read from the
number of values per line: 17 keypoints (the COCO models, skeleton ``coco17``) when they fit, else
``num_keypoints`` (21: Ultralytics' hand model, ``hand21``); one value more is the track id when it is a
whole number on every line of the folder, else the box confidence; two more are both.

Units: ``normalised``.  The coordinates are refined as they are, x and y on different scales (the
image's aspect): on the corpus's 2D validation clips the default model's error changes by less than
1 % between pixels and coordinates normalised to a 16:9 or 9:16 image (clean input +0.053 / 0.049 /
0.058 px, spiky 1 % 0.98 / 0.98 / 0.97, overshoot 2 % 1.21 / 1.21 / 1.21, in pixels after scaling back).

Frames: the number after the last ``_`` (``clip_12.txt`` is frame 12); frame ``i`` of the
:class:`~synsp.io.tracks.PoseFile` is that number minus the smallest one.  Tracks: the track ids when
the lines carry them, else the rules of :mod:`synsp.io.keypoints_json` (one person: track 0; several:
``assign_ids="track"``, motion continuity, as ``synsp refine`` does).  A keypoint Ultralytics did not
find is (0, 0) with confidence 0: below the score threshold, so it counts as missing.

:func:`write` writes a new folder with the same file names and lines, only the keypoints' x and y
replaced (``%g``, as Ultralytics writes them), atomically; files of the folder that are not
``<video>_<frame>.txt`` are not copied.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import as_path, atomic_folder, frames_of_one_video, read_text, reader_fps
from synsp.io.keypoints_json import Instance, build_tracks, rows_to_write
from synsp.io.tracks import PoseFile
from synsp.validation import SynspInputError

__all__ = ["read", "sniff", "write"]

_NAME = re.compile(r"^(.*)_(\d+)\.txt$")
_HOW_TO_TRACK = "run `yolo track` (not `yolo predict`) with save_txt=True so that every line ends with a track id"
#: keypoint counts tried, in order, when none is given: Ultralytics' COCO models, then its hand model
_COUNTS = (17, 21)
_SKELETONS = {17: "coco17", 21: "hand21"}


def _layout(n: int, num_keypoints: int | None) -> tuple[int, int, int] | None:
    """``(keypoints, values per keypoint, extra values)`` of a line of ``n`` values, or None."""
    counts = (num_keypoints,) if num_keypoints else _COUNTS
    for K in counts:
        for per, extra in ((3, 0), (3, 1), (3, 2), (2, 0), (2, 1), (2, 2)):
            if n == 5 + K * per + extra:
                return K, per, extra
    return None


def _numbers(line: str) -> list[float] | None:
    try:
        return [float(v) for v in line.split()]
    except ValueError:
        return None


def _label_files(p: Path) -> list[tuple[int, Path]]:
    named = [(m.group(1), int(m.group(2)), f) for f in sorted(p.glob("*.txt")) if (m := _NAME.match(f.name))]
    if not named:
        raise SynspInputError(f"{p}: no <video>_<frame>.txt files; expected a folder of Ultralytics YOLO pose labels")
    return frames_of_one_video(p, named)


def sniff(path: Any) -> bool:
    """A folder of ``<video>_<frame>.txt`` files whose first line is a YOLO pose label (never raises)."""
    try:
        p = as_path(path)
        if not p.is_dir():
            return False
        f = next((f for f in sorted(p.glob("*_*.txt")) if _NAME.match(f.name)), None)
        if f is None:
            return False
        with open(f, encoding="utf-8", errors="replace") as fh:
            line = next((ln for ln in fh if ln.strip()), "")
        values = _numbers(line)
        return bool(values) and values[0] == int(values[0]) >= 0 and _layout(len(values), None) is not None
    except Exception:  # noqa: BLE001 - sniffing never raises
        return False


def read(path: Any, assign_ids: str | None = None, num_keypoints: int | None = None,
         fps: float | None = None) -> PoseFile:
    """Read a folder of YOLO pose labels into a :class:`PoseFile` (see the module docstring)."""
    p = as_path(path)
    fps = reader_fps(fps)
    if num_keypoints is not None and not (isinstance(num_keypoints, int) and num_keypoints > 0):
        raise SynspInputError(f"num_keypoints is {num_keypoints!r}; expected a positive whole number")
    if not p.is_dir():
        raise SynspInputError(f"{p}: not a folder; expected a folder of Ultralytics YOLO pose labels")
    files = _label_files(p)
    first = files[0][0]
    texts, rows, layout = {}, [], None
    for number, f in files:
        text = read_text(f)
        texts[f.name] = text
        for i, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            values = _numbers(line)
            where = f"{f.name}, line {i + 1}"
            if values is None or not all(np.isfinite(values)):
                raise SynspInputError(f"{p}: {where}: {line[:60]!r} is not a line of numbers; expected "
                                      "'class x y w h x1 y1 v1 ...'")
            here = _layout(len(values), num_keypoints)
            if here is None:
                raise SynspInputError(
                    f"{p}: {where} has {len(values)} values; expected 5 box values and "
                    f"{num_keypoints or ' or '.join(map(str, _COUNTS))} keypoints of 2 or 3 values each, then "
                    "the box confidence and the track id when present (pass num_keypoints= for another model)")
            if layout is not None and here != layout:
                raise SynspInputError(f"{p}: {where} has {len(values)} values, earlier lines "
                                      f"{5 + layout[0] * layout[1] + layout[2]}; expected one layout per folder")
            layout = here
            rows.append((number - first, f.name, i, values, where))
    if layout is None:
        raise SynspInputError(f"{p}: the label files hold no line; expected one line per detected person")
    K, per, extra = layout
    last = np.array([r[3][-1] for r in rows])
    # one value more: the track id when it is a whole number on every line, else the box confidence
    ids = extra == 2 or (extra == 1 and bool((last == np.round(last)).all() and (last >= 0).all()))
    instances, order = [], {}
    for frame, name, i, values, where in rows:
        kp = np.array(values[5:5 + K * per]).reshape(K, per)
        order[frame] = order.get(frame, -1) + 1  # the person's place among the frame's lines
        instances.append(Instance(frame=frame, order=order[frame], track_id=int(values[-1]) if ids else None,
                                  where=where, loc=(name, i), keypoints=kp[:, :2],
                                  scores=kp[:, 2] if per == 3 else None))
    tracks, locations = build_tracks(p, instances, assign_ids, _HOW_TO_TRACK)
    meta = {"layout": "yolo-folder", "texts": texts, "locations": locations, "keypoint_shape": (K, 2),
            "per_keypoint": per}
    if K not in _SKELETONS:
        meta["note"] = f"{K} keypoints: a model synsp has no skeleton for"
    return PoseFile(tracks=tracks, num_frames=files[-1][0] - first + 1, format="yolo", skeleton=_SKELETONS.get(K),
                    fps=fps, units="normalised", source=p, meta=meta)


def write(path: Any, pose_file: PoseFile) -> Path:
    """The label files ``pose_file`` was read from with the keypoints' x, y replaced: a new folder, atomically."""
    target = as_path(path)
    meta = pose_file.meta
    per = meta["per_keypoint"]
    edits: dict[str, dict[int, np.ndarray]] = {name: {} for name in meta["texts"]}
    for kp, (name, line) in rows_to_write(target, pose_file, ("yolo-folder",)):
        edits[name][line] = kp
    with atomic_folder(target) as tmp:  # refuses an existing file or a folder that is not empty
        for name, text in meta["texts"].items():
            lines = text.splitlines()
            for i, kp in edits[name].items():
                tokens = lines[i].split()
                for j, (x, y) in enumerate(kp):
                    tokens[5 + per * j], tokens[6 + per * j] = f"{x:g}", f"{y:g}"
                lines[i] = " ".join(tokens)
            (tmp / name).write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""), encoding="utf-8")
    return target
