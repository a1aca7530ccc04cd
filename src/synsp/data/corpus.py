"""The real-motion corpus: build it from every reachable source, split it by take, load it.

Pipeline (``synsp data build``), for every clip of :func:`synsp.data.sources.list_clips`:

1. read the clip (metres, y-up, native frame rate), drop a flagged rest frame,
   skip takes duplicated in a better copy (original rate, not retargeted);
2. reduce it to landmarks and compute the standard skeletons
   (:data:`~synsp.data.retarget.STANDARD_SKELETONS`) at the native rate;
3. remove glitches: frames where any joint moves faster than
   :data:`GLITCH_SPEED` m/s or accelerates harder than :data:`GLITCH_ACCEL`
   m/s² (CMU has 2-9 frame orientation spikes, knee flips and blends out of
   the T-pose at clip starts) are cut with :data:`GLITCH_MARGIN_S` seconds on
   each side, and the clip is split into the clean segments of at least
   :data:`MIN_SEGMENT_S`;
4. resample to the base rate :data:`BASE_FPS` = 30 fps: a 120 fps take gives four
   30 fps clips (phases 0-3), 60 fps two, 100 fps three (linear interpolation at
   the phase offsets; exact decimation when the ratio is an integer);
5. assign the **take** (not the clip, window or phase) to train / validation /
   test with a fixed hash rule (:func:`split_of`), recorded in the corpus.

The world trajectory is kept (no root centring): estimators that output
global positions jitter there too.  Phases of one take are one unit everywhere:
for splitting and for counting how much data there is (:func:`corpus_table`
counts phase 0 only).

Storage: one pickle-free ``.npz`` with, per skeleton, all frames concatenated
``(F, J, 3)`` float32, ``offsets`` ``(clips + 1,)`` and ``meta`` (a JSON string:
one record per clip).  Corpora of users' own clips (``synsp data import``,
:mod:`synsp.data.custom`) use the same format with one skeleton and no
rotations; when that skeleton is a custom one, ``meta["skeleton_definitions"]``
holds its definition (:meth:`synsp.skeletons.Skeleton.to_dict`), registered on
load so that its name works like a built-in one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..skeletons import Skeleton, has_mapping, map_skeleton, register_skeleton, smpl24_joints
from ..io._common import atomic_write, open_npz
from ..timeseries import continuous_quaternions, resample
from ..validation import SynspInputError
from ..geometry import axis_angle_to_quaternion, quaternion_to_axis_angle
from .retarget import STANDARD_SKELETONS, smpl24_rotations, to_skeleton
from .sources import RawClip, find_cmu_mocap, list_clips, load_clip

__all__ = [
    "BASE_FPS", "Clip", "build_corpus", "load_corpus", "split_of", "corpus_table",
    "default_cache", "embedded_corpus_path", "built_corpus_path", "available_corpus_path", "takes_by_split",
    "subset_corpus",
    "corpus_meta", "save_corpus", "corpus_gives", "corpus_lacks",
]

BASE_FPS = 30.0
GLITCH_SPEED = 20.0  # m/s: no joint of a real body moves faster (punch ~ 10, kick ~ 15)
GLITCH_ACCEL = 200.0  # m/s^2 (20 g) at 30 fps: above what limbs reach, below mocap spikes
GLITCH_MARGIN_S = 0.1
MIN_SEGMENT_S = 2.0
SPLITS = ("train", "val", "test")
FORMAT_VERSION = 1
ROTATIONS = "smpl24_rotations"  # (F, 24, 3) local axis-angles; NaN for position-only sources


@dataclass
class Clip:
    """One 30 fps clip of the corpus: ``positions`` ``(T, J, 3)`` metres, y-up, world frame."""

    positions: np.ndarray
    skeleton: str
    fps: float
    clip_id: str
    take: str
    source: str
    split: str
    phase: int
    description: str
    rotations: np.ndarray | None = None  # (T, 24, 3) smpl24 local axis-angles, when loaded

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])


def split_of(take: str) -> str:
    """Fixed split of a take: 15 % test, 15 % validation, 70 % train, by a SHA-256 hash."""
    bucket = int(hashlib.sha256(take.encode()).hexdigest(), 16) % 20
    return "test" if bucket < 3 else "val" if bucket < 6 else "train"


def default_cache() -> Path:
    """``$SYNSP_CACHE`` or ``~/.cache/synsp``."""
    return Path(os.environ.get("SYNSP_CACHE", Path.home() / ".cache" / "synsp"))


def built_corpus_path() -> Path:
    """Where ``synsp data build`` writes the full corpus by default."""
    return default_cache() / f"corpus-v{FORMAT_VERSION}.npz"


def embedded_corpus_path() -> Path:
    """The small corpus shipped inside the package (demo and tests)."""
    return Path(__file__).parent / "embedded" / "corpus_small.npz"


def available_corpus_path() -> Path:
    """The built corpus (:func:`built_corpus_path`) when ``synsp data build`` has made it, else the embedded
    one (what a fresh clone holds): the corpus the benchmark scripts read."""
    built = built_corpus_path()
    return built if built.is_file() else embedded_corpus_path()


def clean_segments(positions: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """``[start, stop)`` frame ranges free of glitches (:func:`glitch_frames`), each at least MIN_SEGMENT_S
    long."""
    bad = glitch_frames(positions, fps)
    shortest = MIN_SEGMENT_S * fps
    segments, start = [], None
    for t, b in enumerate(np.append(bad, True)):
        if not b and start is None:
            start = t
        elif b and start is not None:
            if t - start >= shortest:
                segments.append((start, t))
            start = None
    return segments


def glitch_frames(positions: np.ndarray, fps: float) -> np.ndarray:
    """``(T,)`` True on the frames of ``positions`` ``(T, J, 3)`` (metres) to cut as glitches, with
    GLITCH_MARGIN_S seconds on each side: a joint moves faster than GLITCH_SPEED, or accelerates harder
    than GLITCH_ACCEL measured at the base rate (second difference over ``round(fps / BASE_FPS)`` frames, so
    that 120 fps sensor noise does not count), or is not finite."""
    with np.errstate(invalid="ignore"):  # a non-finite frame is a glitch whatever its speed
        speed = np.linalg.norm(np.diff(positions, axis=0), axis=-1).max(axis=-1) * fps  # (T-1,)
        bad = np.zeros(positions.shape[0], dtype=bool)
        bad[:-1] |= speed > GLITCH_SPEED
        bad[1:] |= speed > GLITCH_SPEED
        k = max(1, int(round(fps / BASE_FPS)))
        if positions.shape[0] > 2 * k:
            second = positions[: -2 * k] - 2 * positions[k:-k] + positions[2 * k:]
            accel = np.linalg.norm(second, axis=-1).max(axis=-1) * (fps / k) ** 2  # m/s^2
            bad[k:-k] |= accel > GLITCH_ACCEL
    bad |= ~np.isfinite(positions).all(axis=(1, 2))
    margin = int(np.ceil(GLITCH_MARGIN_S * fps))
    if margin and bad.any():  # ("full", cut to the frames: "same" gives the kernel's length for a shorter clip)
        bad = np.convolve(bad, np.ones(2 * margin + 1), mode="full")[margin:margin + len(bad)] > 0
    return bad


def resample_phases(x: np.ndarray, fps: float, base: float = BASE_FPS) -> list[np.ndarray]:
    """All phases of ``x`` ``(T, ...)`` at ``base`` fps (linear interpolation in time)."""
    ratio = fps / base
    phases = max(1, int(round(ratio)))
    out = []
    for p in range(phases):
        times = np.arange(p * ratio / phases, x.shape[0] - 1 + 1e-9, ratio)  # in source frames
        if round(ratio) == ratio:
            out.append(x[np.round(times).astype(int)])
            continue
        out.append(resample(x, times))
    return out


def resample_rotation_phases(aa: np.ndarray, fps: float, base: float = BASE_FPS) -> list[np.ndarray]:
    """:func:`resample_phases` for axis-angle rotations ``(T, J, 3)`` (normalised quaternion lerp)."""
    q = continuous_quaternions(axis_angle_to_quaternion(aa))  # neighbours interpolate the short way
    return [quaternion_to_axis_angle(p / np.linalg.norm(p, axis=-1, keepdims=True))
            for p in resample_phases(q, fps, base)]


def _clips_of(raw: RawClip) -> Iterable[dict]:
    clip = load_clip(raw)
    native = {name: to_skeleton(clip.landmarks, name, clip.head_rotation) for name in STANDARD_SKELETONS}
    rotations = (smpl24_rotations(clip.smpl_global, clip.rest_landmarks) if clip.smpl_global is not None
                 else np.full((clip.landmarks.shape[0], 24, 3), np.nan))
    check = np.concatenate([native[n] for n in STANDARD_SKELETONS], axis=1)
    for seg_index, (start, stop) in enumerate(clean_segments(check, raw.fps)):
        per_skeleton = {n: resample_phases(native[n][start:stop], raw.fps) for n in STANDARD_SKELETONS}
        rot = (resample_rotation_phases(rotations[start:stop], raw.fps) if clip.smpl_global is not None
               else resample_phases(rotations[start:stop], raw.fps))
        for phase in range(len(rot)):
            yield {
                "arrays": {**{n: per_skeleton[n][phase] for n in STANDARD_SKELETONS}, ROTATIONS: rot[phase]},
                "meta": {
                    "clip_id": f"{raw.clip_id}#s{seg_index}p{phase}",
                    "take": raw.take, "source": raw.source, "split": split_of(raw.take),
                    "phase": phase, "native_fps": raw.fps, "segment": [start, stop],
                    "description": raw.description, "rotations": clip.smpl_global is not None,
                },
            }


def save_corpus(path: Path, records: list[dict], extra_meta: dict, fps: float = BASE_FPS) -> None:
    """Write records (``arrays``: one ``(T, J, 3)`` per skeleton name [+ ROTATIONS], ``meta``) as a corpus
    file at ``path`` (the storage format above; atomic): the writer of built, subset and imported corpora."""
    names = list(records[0]["arrays"])  # skeletons in order, then ROTATIONS when present
    arrays = {n: np.concatenate([r["arrays"][n] for r in records]).astype(np.float32) for n in names}
    skeletons = [n for n in names if n != ROTATIONS]
    lengths = [len(r["arrays"][skeletons[0]]) for r in records]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    meta = {"version": FORMAT_VERSION, "fps": fps, "skeletons": skeletons,
            "clips": [r["meta"] for r in records], **extra_meta}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda fh: np.savez_compressed(fh, offsets=offsets, meta=np.array(json.dumps(meta)), **arrays),
                 binary=True)


def build_corpus(
    out: str | os.PathLike | None = None,
    cmu_root: str | os.PathLike | None = None,
    external: bool = True,
    progress: bool = True,
    only: list[str] | None = None,
) -> Path:
    """Build the full corpus (cached: returns at once when ``out`` exists).

    ``external=False`` skips the Debian/PyPI downloads; ``only`` keeps the
    clips whose id contains one of the given substrings (for tests).
    """
    from tqdm.auto import tqdm

    cache = default_cache()
    path = Path(out) if out else built_corpus_path()
    if path.is_file():
        return path
    root = find_cmu_mocap(cmu_root)
    raws = list_clips(root, cache, external=external)
    if only:
        raws = [r for r in raws if any(o in r.clip_id for o in only)]
    records, skipped = [], []
    for raw in tqdm(raws, desc="building corpus", unit="take", disable=not progress):
        if raw.skip:
            skipped.append(raw.clip_id)
            continue
        records.extend(_clips_of(raw))
    if not records:
        raise SynspInputError("the sources gave no clean clip; nothing to save")
    save_corpus(path, records, {"skipped_duplicates": skipped})
    return path


def subset_corpus(
    src: str | os.PathLike, dst: str | os.PathLike, splits: tuple[str, ...] = ("test",),
    first_phase_only: bool = True,
) -> Path:
    """Write the clips of ``splits`` (phase 0 only by default) of corpus ``src`` to ``dst``."""
    z, meta = _open_corpus(Path(src))
    with z:
        arrays = {n: z[n] for n in (*meta["skeletons"], ROTATIONS) if n in z.files}
        offsets = z["offsets"]
    records = [
        {"arrays": {n: a[offsets[i]:offsets[i + 1]] for n, a in arrays.items()}, "meta": m}
        for i, m in enumerate(meta["clips"])
        if m["split"] in splits and (m["phase"] == 0 or not first_phase_only)
    ]
    extra = {k: v for k, v in meta.items() if k not in ("version", "fps", "skeletons", "clips")}
    save_corpus(Path(dst), records, {**extra, "subset_of": Path(src).name, "subset_splits": list(splits)},
          fps=meta["fps"])
    return Path(dst)


def _open_corpus(path: Path):
    """The corpus archive (:class:`synsp.io._common.NpzArrays`, to close) and its meta record; a file
    that is not a readable corpus is a one-line :class:`SynspInputError` naming it."""
    z = open_npz(path, npy_hint=f"is an .npy array, not a synsp corpus; make a corpus of your clips with `synsp data "
                                f"import {path} -o my_corpus.npz`, or use `synsp data build`")
    try:
        if not {"meta", "offsets"} <= set(z.files):
            raise SynspInputError(
                f"corpus {path}: not a synsp corpus (no 'meta' and 'offsets' arrays; it holds {z.files[:8]}); "
                "make one with `synsp data build` or `synsp data import`")
        try:
            meta = json.loads(str(z["meta"]))
        except json.JSONDecodeError as exc:
            raise SynspInputError(f"corpus {path}: its 'meta' record is not valid JSON ({exc}); the file is "
                                  "corrupt: make it again with `synsp data build` or `synsp data import`") from exc
        if not (isinstance(meta, dict) and isinstance(meta.get("skeletons"), list) and meta["skeletons"]
                and isinstance(meta.get("clips"), list) and isinstance(meta.get("fps"), (int, float))):
            raise SynspInputError(f"corpus {path}: its 'meta' record lacks skeletons, clips or fps; the file is "
                                  "corrupt or not a synsp corpus: make it again with `synsp data build` or "
                                  "`synsp data import`")
    except BaseException:
        z.close()
        raise
    return z, meta


def _register_definitions(meta: dict, path: Path) -> None:
    """Register the custom skeletons a corpus defines (``synsp data import``)."""
    for name, definition in meta.get("skeleton_definitions", {}).items():
        sk = Skeleton.from_dict(definition)
        if sk.name != name:
            raise SynspInputError(f"corpus {path}: the definition stored for skeleton {name!r} is named {sk.name!r}")
        register_skeleton(sk)


def corpus_meta(path: str | os.PathLike | None = None) -> dict:
    """The meta record of a corpus file (``skeletons``, ``fps``, ``clips``, ...); the custom skeletons
    it defines are registered on the way."""
    path = Path(path) if path else embedded_corpus_path()
    if not path.is_file():
        raise SynspInputError(f"no corpus at {path}; build it with `synsp data build` or `synsp data import`")
    z, meta = _open_corpus(path)
    z.close()
    _register_definitions(meta, path)
    return meta


def _stored_for(meta: dict, skeleton: str) -> str | None:
    """The stored joint set that gives ``skeleton`` (itself, or one mapped to it), or None."""
    stored = next((s for s in meta["skeletons"] if s == skeleton), None)
    return stored or next((s for s in meta["skeletons"] if has_mapping(s, skeleton)), None)


def _by_kinematics(meta: dict, skeleton: str) -> bool:
    """``skeleton`` is smpl24, not stored, and made from the corpus's rotations (h36m17 gives the pelvis path)."""
    return (skeleton == "smpl24" and "smpl24" not in meta["skeletons"] and "h36m17" in meta["skeletons"]
            and any(c.get("rotations") for c in meta["clips"]))


def corpus_gives(meta: dict, skeleton: str) -> bool:
    """Whether :func:`load_corpus` gives ``skeleton`` from a corpus of meta record ``meta``."""
    return _stored_for(meta, skeleton) is not None or _by_kinematics(meta, skeleton)


def corpus_lacks(path: Any, meta: dict, skeleton: str) -> str:
    """The one-line error for a corpus that does not give ``skeleton``."""
    return (f"corpus {path} has skeletons {meta['skeletons']}; none gives {skeleton!r} "
            f"(choose one of them, e.g. synsp train --skeleton {meta['skeletons'][0]})")


def load_corpus(
    path: str | os.PathLike | None = None,
    skeleton: str = "h36m17",
    split: str | None = None,
    phases: str = "all",
    rotations: bool = False,
) -> list[Clip]:
    """Clips of a corpus file (default: the embedded one), optionally one split.

    ``phases="first"`` keeps only phase 0 of every segment (one clip per take
    segment, e.g. for evaluation without near-duplicates).  ``rotations=True``
    also loads the smpl24 local rotations and keeps only clips that have them
    (sources with rotations; see :mod:`synsp.data.retarget`).

    ``skeleton="smpl24"`` from a corpus that stores no smpl24 positions (the
    built one): the clips with rotations, their joints by forward kinematics of
    a neutral SMPL body (:func:`synsp.skeletons.smpl24_joints`) moved along the
    clip's h36m17 pelvis path.
    """
    if skeleton == "smpl24" and _by_kinematics(corpus_meta(path), skeleton):
        return [dataclasses.replace(c, skeleton="smpl24", positions=(
            smpl24_joints(c.rotations.astype(np.float64)) + c.positions[:, :1]),
            rotations=c.rotations if rotations else None)
            for c in load_corpus(path, "h36m17", split, phases, rotations=True)]
    path = Path(path) if path else embedded_corpus_path()
    if not path.is_file():
        raise SynspInputError(f"no corpus at {path}; build it with `synsp data build`")
    if split is not None and split not in SPLITS:
        raise SynspInputError(f"unknown split {split!r}; expected one of {SPLITS}")
    z, meta = _open_corpus(path)
    with z:
        _register_definitions(meta, path)
        stored = _stored_for(meta, skeleton)
        if stored is None:
            raise SynspInputError(corpus_lacks(path, meta, skeleton))
        data, offsets = z[stored], z["offsets"]
        rot = z[ROTATIONS] if rotations and ROTATIONS in z.files else None
    if (offsets.shape != (len(meta["clips"]) + 1,) or offsets.dtype.kind not in "iu"
            or (len(offsets) and (offsets[0] != 0 or offsets[-1] > len(data) or (np.diff(offsets) < 0).any()))):
        raise SynspInputError(f"corpus {path}: its clip offsets do not match its {len(meta['clips'])} clips and "
                              f"{len(data)} frames; the file is corrupt: make it again")
    if stored != skeleton:
        data = map_skeleton(data, stored, skeleton).astype(np.float32)
    clips = []
    for i, m in enumerate(meta["clips"]):
        if (split and m["split"] != split) or (phases == "first" and m["phase"] != 0):
            continue
        if rotations and (rot is None or not m.get("rotations")):
            continue
        clips.append(Clip(
            positions=data[offsets[i]:offsets[i + 1]], skeleton=skeleton, fps=meta["fps"],
            clip_id=m["clip_id"], take=m["take"], source=m["source"], split=m["split"],
            phase=m["phase"], description=m["description"],
            rotations=rot[offsets[i]:offsets[i + 1]] if rotations else None,
        ))
    return clips


def takes_by_split(clips: list[Clip]) -> dict[str, list[str]]:
    """The recorded split: sorted take ids per split (``splits.json`` in this folder)."""
    out: dict[str, set[str]] = {s: set() for s in SPLITS}
    for c in clips:
        out[c.split].add(c.take)
    return {s: sorted(t) for s, t in out.items()}


def corpus_table(clips: list[Clip]) -> list[dict]:
    """Per source and split: takes, frames and hours (phase 0 only), motion kinds."""
    rows: dict[tuple[str, str], dict] = {}
    for c in clips:
        if c.phase != 0:
            continue
        row = rows.setdefault((c.source, c.split), {"source": c.source, "split": c.split, "takes": set(),
                                                    "frames": 0, "kinds": set()})
        row["takes"].add(c.take)
        row["frames"] += c.num_frames
        row["kinds"].add(c.description.split(" (")[0].split(" - ")[0])
    out = []
    for key in sorted(rows):
        r = rows[key]
        out.append({"source": r["source"], "split": r["split"], "takes": len(r["takes"]),
                    "frames": r["frames"], "hours": r["frames"] / BASE_FPS / 3600,
                    "kinds": sorted(r["kinds"])})
    return out
