"""Ultralytics YOLO pose labels (``yolo pose predict source=clip.mp4 save_txt=True``, or ``yolo track``).

A folder (``runs/pose/predict/labels/``) with one ``<video>_<frame>.txt`` per video frame in which
someone was detected (Ultralytics numbers a video's frames from 1; a frame with nobody has no file),
one line per person::

    class x_center y_center width height  x1 y1 v1  x2 y2 v2 ...  [conf] [track_id]

Every coordinate is normalised to the image (x by its width, y by its height); ``v`` is the keypoint's
confidence (``x y`` pairs alone for models trained without it); ``conf`` is the box's confidence
(``save_conf=True``) and ``track_id`` the tracker's (``yolo track``).  The layout is read from the
lines, never guessed: every split of the values after the box into K keypoints (``kpt_shape``: K >= 3) of 2
or 3 values each, with or without box confidence and track id, is tried on every line of the folder; a
split fits when each track id is a whole number >= 0, each confidence is within 0..1 and the keypoints found
lie near their box (a wrong split mixes coordinates with confidences).  The one split that fits is read;
when none or several fit the folder is refused (pass ``num_keypoints=``, the model's ``kpt_shape[0]``).
17 keypoints are COCO's (skeleton ``coco17``, Ultralytics' person models), 21 a hand (``hand21``); any
other count (Ultralytics' dog-pose 24x3, tiger-pose 12x2, custom models) is a body of its own joint set.
``yolo track`` writes the detections of a frame where the tracker returned no track without the id: such
lines (one value shorter) are read too, each joined to the nearby track (within 10 frames) its keypoints
continue, or a track of its own with a negative id.

Units: ``normalised``.  The coordinates are refined as they are, x and y on different scales (the
image's aspect): on the corpus's 2D validation clips the default model's error changes by less than
1 % between pixels and coordinates normalised to a 16:9 or 9:16 image (clean input +0.053 / 0.049 /
0.058 px, spiky 1 % 0.98 / 0.98 / 0.97, overshoot 2 % 1.21 / 1.21 / 1.21, in pixels after scaling back).

Frames: the number after the last ``_`` (``clip_12.txt`` is frame 12); frame ``i`` of the
:class:`~synsp.io.tracks.PoseFile` is that number minus the smallest one.  Tracks: the track ids when
the lines carry them, else the rules of :mod:`synsp.io.keypoints_json` (one person: track 0; several:
``assign_ids="track"``, motion continuity, as ``synsp refine`` does).  A keypoint Ultralytics did not
find is (0, 0) with confidence 0: below the score threshold, so it counts as missing.  Without confidences
(``x y`` pairs) such a (0, 0) is read as NaN: missing, not a point in the image's corner.

:func:`write` writes a new folder with the same file names and lines, only the keypoints' x and y
replaced (``%g``, as Ultralytics writes them), atomically, and each confidence the track's (``Track.scores``: the
token read where unchanged, the token of the keypoint its detection was read at where ``synsp refine`` relabelled
a left/right inversion); files of the folder that are not
``<video>_<frame>.txt`` are not copied.  A keypoint read as not found from ``x y`` pairs stays (0, 0) (nothing
in the line could say it was filled), and a NaN (a part not filled) keeps the values read.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synsp.io._common import as_path, atomic_folder, frames_of_one_video, read_text, reader_fps, scores_to_write
from synsp.io.keypoints_json import Instance, build_tracks, rows_to_write
from synsp.io.tracks import PoseFile
from synsp.validation import SynspInputError

__all__ = ["read", "sniff", "write"]

_NAME = re.compile(r"^(.*)_(\d+)\.txt$")
_HOW_TO_TRACK = "run `yolo track` (not `yolo predict`) with save_txt=True so that every line ends with a track id"
#: skeletons of the keypoint counts of Ultralytics' own models that have one: COCO people, hands
_SKELETONS = {17: "coco17", 21: "hand21"}
#: fewest keypoints a layout guessed from the values may have (a detection line with confidence and track id has 7)
_MIN_GUESSED = 3
#: share of the found keypoints that must lie near their box (the box grown to twice its size) for a layout to fit
_NEAR_BOX = 0.8


@dataclass(frozen=True)
class _Layout:
    """How a line's values after the box are split: K keypoints of ``per`` values, box confidence, track id."""

    K: int
    per: int
    conf: bool
    ids: bool

    def width(self, with_id: bool = True) -> int:
        return 5 + self.K * self.per + self.conf + (self.ids and with_id)

    def __str__(self) -> str:
        tail = [w for w, on in (("box confidence", self.conf), ("track id", self.ids)) if on]
        return f"{self.K} keypoints of {self.per} values" + (" + " + " + ".join(tail) if tail else "")


def _candidates(n: int, num_keypoints: int | None, ids: bool | None) -> list[_Layout]:
    """Every layout whose line has ``n`` values (``ids``: the lines are known to carry a track id, or not)."""
    out = []
    for per in (3, 2):
        for conf in (False, True):
            for has_id in ((False, True) if ids is None else (ids,)):
                K, rest = divmod(n - 5 - conf - has_id, per)
                if rest == 0 and (K == num_keypoints if num_keypoints else K >= _MIN_GUESSED):
                    out.append(_Layout(K, per, conf, has_id))
    return out


def _fit(lay: _Layout, lines: np.ndarray, with_id: bool) -> tuple[int, int] | None:
    """``(keypoints found near their box, keypoints found)`` on the lines (rows of ``lines``) read with this
    layout, or None where a value cannot be what the layout says: a track id is a whole number >= 0, a box
    confidence is within 0..1 (and not a whole number on every line), a keypoint's confidence within 0..1 (or
    a 0/1/2 visibility label).  Near the box: within the box grown to twice its size (keypoints read from a
    wrong layout mix coordinates with confidences, and x with y)."""
    kp = lines[:, 5:5 + lay.K * lay.per].reshape(len(lines), lay.K, lay.per)
    if with_id and lay.ids:
        last = lines[:, -1]
        if not ((last == np.round(last)) & (last >= 0)).all():
            return None
    if lay.conf:
        conf = lines[:, 5 + lay.K * lay.per]
        if not ((conf >= 0) & (conf <= 1)).all() or (conf == np.round(conf)).all():
            return None
    if lay.per == 3:
        v = kp[..., 2]
        if not (((v >= 0) & (v <= 1)).all() or np.isin(v, (0, 1, 2)).all()):
            return None
    x, y = kp[..., 0], kp[..., 1]
    found = (x != 0) | (y != 0)
    xc, yc, w, h = (lines[:, i:i + 1] for i in range(1, 5))
    near = (np.abs(x - xc) <= np.abs(w) + 0.01) & (np.abs(y - yc) <= np.abs(h) + 0.01)
    return int(near[found].sum()), int(found.sum())


def _fitting(candidates: list[_Layout], parts: list[tuple[np.ndarray, bool]]) -> list[_Layout]:
    """The candidates whose values all make sense and whose keypoints lie near their box: at least
    ``_NEAR_BOX`` of them, and no fewer than under the best candidate less 5 % (else the lines do not say which)."""
    share = {}
    for c in candidates:
        fits = [_fit(c, lines, with_id) for lines, with_id in parts]
        if all(f is not None for f in fits):
            near, found = (sum(f[i] for f in fits) for i in (0, 1))  # type: ignore[index]
            share[c] = near / found if found else 1.0
    best = max(share.values(), default=0.0)
    return [c for c, v in share.items() if v >= _NEAR_BOX and v >= best - 0.05]


def _folder_layout(p: Path, rows: list[tuple[list[float], str]], num_keypoints: int | None) -> _Layout:
    """The one layout the folder's lines can have; refuses lines of different lengths and several layouts.

    Ultralytics' ``yolo track`` writes a frame in which the tracker returned nothing with its detections'
    lines without the track id: lines one value shorter than the others are read so."""
    widths = sorted({len(v) for v, _ in rows})
    by_width = {n: np.array([v for v, _ in rows if len(v) == n]) for n in widths}
    first = {n: next(w for v, w in rows if len(v) == n) for n in widths}
    expected = (f"expected 5 box values and {num_keypoints or 'K'} keypoints of 2 or 3 values each, then the box "
                "confidence and the track id when present")
    if len(widths) > 2 or (len(widths) == 2 and widths[1] - widths[0] != 1):
        count = {n: len(by_width[n]) for n in widths}  # the odd line out: one whose length most lines lack
        place = {n: next(k for k, (v, _) in enumerate(rows) if len(v) == n) for n in widths}  # ties: the first
        a = max(widths, key=lambda n: (count[n] + max(count.get(n - 1, 0), count.get(n + 1, 0)), -place[n]))
        pair = {a, a - 1} if count.get(a - 1, 0) >= count.get(a + 1, 0) else {a, a + 1}
        at, (b, where) = next((k, (len(v), w)) for k, (v, w) in enumerate(rows) if len(v) not in pair)
        side = "earlier" if any(len(v) == a for v, _ in rows[:at]) else "later"
        raise SynspInputError(f"{p}: {where} has {b} values, {side} lines {a}; expected one layout per folder")
    n = widths[-1]
    short = widths[0] if len(widths) == 2 else None
    candidates = _candidates(n, num_keypoints, True if short else None)
    fitting = _fitting(candidates, [(by_width[n], True)] + ([(by_width[short], False)] if short else []))
    if len(fitting) == 1:
        return fitting[0]
    where = first[n]
    if not candidates:
        raise SynspInputError(f"{p}: {where} has {n} values; {expected}"
                              + ("" if num_keypoints else " (pass num_keypoints= for a model of fewer than 3)"))
    if not fitting:
        raise SynspInputError(
            f"{p}: lines of {n} values ({where}) fit no layout (tried {'; '.join(map(str, candidates))}: a track id "
            f"must be a whole number, a confidence within 0..1 and most keypoints near their box); {expected}")
    raise SynspInputError(
        f"{p}: lines of {n} values can be read as {' or as '.join(map(str, fitting))}; pass num_keypoints= "
        "(the model's kpt_shape[0]) to say which")


#: an id-less line joins a track seen at most this many frames away ...
_JOIN_FRAMES = 10
#: ... whose keypoints there are within this share of the person's size (median over the joints found in both)
_JOIN_DISTANCE = 0.5


def _found(inst: Instance) -> np.ndarray:
    ok = np.isfinite(inst.keypoints).all(axis=1) & (inst.keypoints != 0).any(axis=1)
    return ok if inst.scores is None else ok & (inst.scores > 0)


def _join_untracked(instances: list[Instance]) -> tuple[int, int]:
    """Give each line without a track id (``yolo track`` on a frame where the tracker returned no track) the id of
    the track it continues: the track, absent from that frame, with an instance at most ``_JOIN_FRAMES`` frames
    away whose keypoints are nearest (median joint distance under ``_JOIN_DISTANCE`` of the person's size;
    closest pairs first).  A line no track fits starts a track of its own, with a negative id, which later
    id-less lines may join.  Changes ``instances`` in place; returns how many lines joined a track and how many
    tracks of their own were started."""
    seen: dict[int, tuple[list[int], dict[int, Instance]]] = {}  # track -> its frames (sorted), instance by frame

    def add(inst: Instance) -> None:
        frames, at = seen.setdefault(inst.track_id, ([], {}))
        if inst.frame not in at:
            bisect.insort(frames, inst.frame)
        at[inst.frame] = inst

    def nearest(tid: int, frame: int) -> Instance:
        frames, at = seen[tid]
        i = bisect.bisect_left(frames, frame)
        return at[min(frames[max(i - 1, 0):i + 1], key=lambda f: abs(f - frame))]

    for inst in instances:
        if inst.track_id is not None:
            add(inst)
    in_frame: dict[int, set] = {}
    for inst in instances:
        in_frame.setdefault(inst.frame, set()).add(inst.track_id)
    lone: dict[int, list[int]] = {}
    for k, inst in enumerate(instances):
        if inst.track_id is None:
            lone.setdefault(inst.frame, []).append(k)
    fresh = -1
    for frame in sorted(lone):
        here = lone[frame]
        pairs = []
        for k in here:
            a, ok_a = instances[k].keypoints, _found(instances[k])
            for tid in seen:
                if tid in in_frame[frame]:
                    continue
                near = nearest(tid, frame)
                if abs(near.frame - frame) > _JOIN_FRAMES:
                    continue
                both = ok_a & _found(near)
                if not both.any():
                    continue
                pts = np.concatenate([a[both], near.keypoints[both]])
                size = float(np.linalg.norm(pts.max(0) - pts.min(0)))
                cost = float(np.median(np.linalg.norm(a[both] - near.keypoints[both], axis=1))) / max(size, 1e-9)
                if cost < _JOIN_DISTANCE:
                    pairs.append((cost, k, tid))
        done: set[int] = set()
        for cost, k, tid in sorted(pairs, key=lambda c: c[:2]):
            if k not in done and tid not in in_frame[frame]:
                instances[k].track_id = tid
                done.add(k)
                in_frame[frame].add(tid)
        for k in here:
            if k not in done:
                instances[k].track_id = fresh
                in_frame[frame].add(fresh)
                fresh -= 1
            add(instances[k])
    lone_count = sum(len(v) for v in lone.values())
    return lone_count + fresh + 1, -fresh - 1


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
    """A folder of ``<video>_<frame>.txt`` files most of whose first lines are YOLO pose labels (never raises).

    Most, not all: a cut or garbled line in one file is for :func:`read` to name (file and line), not a reason
    to take the folder for something else."""
    try:
        p = as_path(path)
        if not p.is_dir():
            return False
        files = [f for f in sorted(p.glob("*_*.txt"))[:50] if _NAME.match(f.name)][:10]
        rows = []
        for f in files:  # a few lines of a few files: pose lines have one length (one less without a track id)
            with open(f, encoding="utf-8", errors="replace") as fh:
                rows += [_numbers(ln) for ln in list(fh)[:20] if ln.strip()]
        good = [v for v in rows if v and np.isfinite(v).all() and v[0] == int(v[0]) >= 0]
        count: dict[int, int] = {}
        for v in good:
            count[len(v)] = count.get(len(v), 0) + 1
        if not count:
            return False
        n = max(count, key=lambda w: (count[w] + count.get(w - 1, 0), w))  # the longer of the two lengths
        if 2 * (count[n] + count.get(n - 1, 0)) <= len(rows):
            return False  # lines of many lengths (segmentation polygons, not poses), or mostly not labels
        return bool(_fitting(_candidates(n, None, None), [(np.array([v for v in good if len(v) == n]), True)]))
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
    texts, rows = {}, []
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
            if len(values) < 5 + 2 * (num_keypoints or _MIN_GUESSED):
                raise SynspInputError(
                    f"{p}: {where} has {len(values)} values; expected 5 box values and "
                    f"{num_keypoints or 'K'} keypoints of 2 or 3 values each (a pose label, not a detection's)")
            rows.append((number - first, f.name, i, values, where))
    if not rows:
        raise SynspInputError(f"{p}: the label files hold no line; expected one line per detected person")
    layout = _folder_layout(p, [(r[3], r[4]) for r in rows], num_keypoints)
    K, per = layout.K, layout.per
    instances, order = [], {}
    for frame, name, i, values, where in rows:
        kp = np.array(values[5:5 + K * per]).reshape(K, per)
        if per == 2:  # no confidence to say so: (0, 0) is a keypoint not found, missing (NaN), not the corner
            kp[(kp == 0).all(axis=1)] = np.nan
        order[frame] = order.get(frame, -1) + 1  # the person's place among the frame's lines
        has_id = layout.ids and len(values) == layout.width()
        instances.append(Instance(frame=frame, order=order[frame], track_id=int(values[-1]) if has_id else None,
                                  where=where, loc=(name, i), keypoints=kp[:, :2],
                                  scores=kp[:, 2] if per == 3 else None))
    untracked = sum(inst.track_id is None for inst in instances) if layout.ids else 0
    joined, own = _join_untracked(instances) if untracked and assign_ids != "order" else (0, 0)
    tracks, locations = build_tracks(p, instances, assign_ids, _HOW_TO_TRACK)
    meta = {"layout": "yolo-folder", "texts": texts, "locations": locations, "keypoint_shape": (K, 2),
            "per_keypoint": per, "line_layout": str(layout)}
    notes = []
    if K not in _SKELETONS:
        notes.append(f"{K} keypoints: a model synsp has no skeleton for (read as a body of its own joint set)")
    if joined or own:
        notes.append(f"{untracked} line(s) without a track id (frames where the tracker returned no track): "
                     f"{joined} joined the track they continue, {own} started a track of its own (negative id)")
    if notes:
        meta["note"] = "; ".join(notes)
    return PoseFile(tracks=tracks, num_frames=files[-1][0] - first + 1, format="yolo", skeleton=_SKELETONS.get(K),
                    fps=fps, units="normalised", source=p, meta=meta, frame_numbers=range(first, files[-1][0] + 1))


def write(path: Any, pose_file: PoseFile) -> Path:
    """The label files ``pose_file`` was read from with the keypoints' x, y replaced: a new folder, atomically."""
    target = as_path(path)
    meta = pose_file.meta
    per = meta["per_keypoint"]
    edits: dict[str, dict[int, tuple]] = {name: {} for name in meta["texts"]}
    for kp, (name, line), sc in rows_to_write(target, pose_file, ("yolo-folder",), scores=True):
        edits[name][line] = kp, sc
    with atomic_folder(target) as tmp:  # refuses an existing file or a folder that is not empty
        for name, text in meta["texts"].items():
            lines = text.splitlines()
            for i, (kp, sc) in edits[name].items():
                tokens = lines[i].split()
                for j, (x, y) in enumerate(kp):
                    a, b = 5 + per * j, 6 + per * j
                    if not np.isfinite([x, y]).all() or per == 2 and float(tokens[a]) == float(tokens[b]) == 0:
                        continue  # not filled, or not found in an x y layout: stays as read (0, 0 there)
                    tokens[a], tokens[b] = f"{x:g}", f"{y:g}"
                if per == 3 and sc is not None:  # the confidences move with relabelled keypoints
                    tokens[7:5 + 3 * len(kp):3] = _confidences(tokens[7:5 + 3 * len(kp):3], sc)
                lines[i] = " ".join(tokens)
            (tmp / name).write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""), encoding="utf-8")
    return target


def _confidences(literals: list[str], scores: np.ndarray) -> list[str]:
    """A line's keypoint confidences to write (:func:`synsp.io._common.scores_to_write`): each token as read where
    the track's score is the one read there, the token of the keypoint it was read at where ``synsp refine``
    relabelled it (a left/right inversion), any other score as Ultralytics writes it (``%g``; 0, not found, for
    NaN)."""
    return scores_to_write(literals, np.array([float(v) for v in literals]), scores,
                           lambda v: f"{v:g}" if np.isfinite(v) else "0")
