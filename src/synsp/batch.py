"""Many pose files at once: ``synsp refine`` on several files and folders, and the per-file function.

``synsp refine a.json b.csv videos/ -o refined/`` (or one folder) refines every pose file found and
mirrors them into the output folder; this module does it:

* :func:`find_jobs` turns inputs (files, OpenPose folders, folders to search) into :class:`Job`\\ s:
  one input file (or OpenPose folder) and the output path it is written to.  One folder given alone
  is mirrored into the output folder (``videos/a/pred.json`` -> ``refined/a/pred.json``); with several
  inputs each folder keeps its name under it (``refined/videos/a/pred.json``) and each file goes in
  directly.  Files found in a folder that no reader recognises are skipped (and listed; one named as an input
  is an error, as when it is refined alone); a BVH file, which cannot be written back, becomes ``<name>.npz``.
  Every option is checked once (:func:`check_options`) and no output may be an input, before any work.
* :func:`refine_file` refines one job and **never raises for a bad file**: it returns a dict
  (``ok``, ``error``, ``frames``, ``persons``, ``model``, ``accel_before``/``accel_after``,
  ``seconds``, ...).  It is a plain picklable function of plain data, so any engine can map it:
  a process pool (:func:`refine_files`), Ray (``ray.remote(refine_file)``), Dask
  (``client.map(refine_file, jobs)``), a cluster's job array (see the README).
* :func:`refine_files` runs the jobs in ``workers`` processes (:class:`concurrent.futures.ProcessPoolExecutor`,
  forkserver start with synsp preloaded on Linux) with one progress bar; each worker uses ``threads``
  torch threads (default: 1 when there are several workers, else ``min(4, CPUs)``).  Ctrl-C stops it at once:
  no queued file starts and no running one is written.
* :func:`summary_table` is the Markdown table ``synsp refine`` prints.

:func:`refine_path` is the one-file work behind both ``synsp refine IN -o OUT`` and :func:`refine_file`
(it raises :class:`synsp.validation.SynspInputError` like the single-file command).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from . import api  # looked up when called (tests replace api.refine_pose_file)
from .calibration import check_cameras
from .filters import DEFAULT_FPS, FILTERS
from .io._common import METRES_PER_UNIT, open_npz, suffix_of
from .io.tracks import FOLDER_FORMATS, output_format, pose_file_format, read_pose_file, write_pose_file
from .refiners import shipped_path, what_it_takes
from .repair import repair_poses
from .rotations import rotation_filter
from .skeletons import SKELETONS, get_skeleton
from .validation import SynspInputError, check_fps, check_max_gap
from .view_labels import agree_camera_poses

__all__ = ["Job", "find_jobs", "check_options", "check_output", "check_output_folder", "folder_probe", "refine_cameras",
           "refine_path", "refine_file", "refine_files", "summary_table", "with_rate", "worker_threads",
           "check_method_fits", "cameras_agreed", "check_camera_files", "read_views", "views_method", "INTERRUPTED"]

#: the refine options a job carries (``synsp refine``'s flags): model, fps, skeleton, key, max_gap,
#: trust_pickle, repair, assign_ids, cuts, num_keypoints
OPTIONS = ("model", "fps", "skeleton", "key", "max_gap", "trust_pickle", "repair", "assign_ids", "cuts",
           "num_keypoints")

#: the ``error`` of a file a Ctrl-C stopped (or kept from starting) in a worker process: not the file's failure
INTERRUPTED = "interrupted (Ctrl-C)"

#: suffixes of pose files: an output folder named like one (``-o refined.npy``) is a mistake, not a folder
POSE_FILE_SUFFIXES = (".json", ".json.gz", ".npy", ".npz", ".csv", ".csv.gz", ".trc", ".trc.gz", ".c3d", ".h5",
                      ".hdf5", ".slp", ".nwb", ".bvh", ".bvh.gz", ".pkl", ".pickle", ".joblib")


@dataclass(frozen=True)
class Job:
    """One input (a pose file or an OpenPose folder), where its refined copy goes, and the refine options."""

    input: str
    output: str
    options: dict = field(default_factory=dict)


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on (taskset, cpusets)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_threads(workers: int, threads: int | None = None) -> int:
    """Torch threads per worker: ``threads`` when given, else ``OMP_NUM_THREADS`` when set (a whole number of at
    least 1), else 1 with several workers (one process per core is faster than threads inside each, see the
    README's benchmarks) and ``min(4, CPUs)`` with one."""
    if threads is not None:
        return int(threads)
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return 1 if workers > 1 else min(4, _available_cpus())


def _output_name(path: Path, fmt: str | None) -> str:
    """The output's file name: the input's, except BVH (cannot be written back): ``<stem>.npz``."""
    if fmt == "bvh":
        name = path.name
        for suffix in (".bvh.gz", ".bvh"):
            if name.lower().endswith(suffix):
                return name[: -len(suffix)] + ".npz"
        return name + ".npz"
    return path.name


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _search(folder: Path, out: Path | None) -> tuple[list[tuple[Path, str]], list[str]]:
    """Pose files and OpenPose / YOLO label folders under ``folder`` (sorted, recursively; not inside ``out``):
    ``[(path, format)]`` and the files skipped as not pose files."""
    found, skipped = [], []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs.sort()
        keep = []
        for d in dirs:
            sub = here / d
            if d.startswith(".") or (out is not None and _inside(sub, out)):
                continue
            fmt = pose_file_format(sub)
            if fmt in FOLDER_FORMATS:  # a folder of one file per frame (OpenPose, YOLO labels): one input
                found.append((sub, fmt))
            else:
                keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            p = here / name
            if name.startswith(".") or name.endswith("_keypoints.json") and here != folder:
                continue  # (frames of an OpenPose folder are found as that folder)
            fmt = pose_file_format(p)
            if fmt is None:
                skipped.append(str(p))
            else:
                found.append((p, fmt))
    return sorted(found), skipped


def find_pose_files(folder: str | os.PathLike) -> list[Path]:
    """The pose files and OpenPose / YOLO label folders under ``folder``, sorted, recursively (as ``synsp refine``
    finds them)."""
    return [f for f, _ in _search(Path(folder), None)[0]]


def find_jobs(inputs: Sequence[str | os.PathLike], output: str | os.PathLike,
              options: dict | None = None) -> tuple[list[Job], list[str]]:
    """The :class:`Job`\\ s for ``inputs`` (files, OpenPose folders, folders searched recursively)
    mirrored into the folder ``output`` (see the module docstring), and the files skipped as not pose
    files (found by searching a folder; a file named in ``inputs`` that is not a pose file is an error, as
    when it is refined alone).  Two inputs that would write the same output, an output that is an input or a
    folder holding one (an output folder that is an input folder or its parent), an output folder named like a
    pose file (``refined.npy``) or one that cannot be made or written into (:func:`check_output_folder`), options
    that do not fit (:func:`check_options`) or inputs with no pose file at all are :class:`SynspInputError`\\ s,
    before any work."""
    options = dict(options or {})
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise SynspInputError(f"unknown refine options {sorted(unknown)}; expected some of {', '.join(OPTIONS)}")
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise SynspInputError(f"{out}: several inputs are written into a folder; this is an existing file")
    if not out.exists() and suffix_of(out) in POSE_FILE_SUFFIXES:
        raise SynspInputError(f"{out}: several inputs (or a folder) are refined into an output folder, and this "
                              f"name ends in {suffix_of(out)} like a pose file; give a folder name without a file "
                              "suffix, or refine each file alone into its own output file")
    check_output_folder(out)
    jobs: list[Job] = []
    formats: list[str | None] = []
    skipped: list[str] = []
    targets: dict[Path, str] = {}
    alone = len(inputs) == 1
    for item in inputs:
        p = Path(item)
        if not p.exists():
            raise SynspInputError(f"{p}: file not found")
        fmt = pose_file_format(p)
        if p.is_dir() and fmt not in FOLDER_FORMATS:
            if out.resolve() == p.resolve():
                raise SynspInputError(f"{out}: the output folder is the input folder; give another folder")
            found, skip = _search(p, out)
            skipped += skip
            base = out if alone else out / p.resolve().name
            pairs = [(f, k, base / f.relative_to(p).parent / _output_name(f, k)) for f, k in found]
        elif fmt is None:  # named by the user: the error the file gets when refined alone, not a skip
            read_pose_file(p)  # raises, naming the file and why (empty, not a format synsp reads, ...)
            raise SynspInputError(f"{p}: not a pose file synsp recognises")
        else:
            pairs = [(p, fmt, out / _output_name(p, fmt))]
        for src, fmt_of, dst in pairs:
            key = dst.resolve()
            if key in targets:
                raise SynspInputError(f"{src} and {targets[key]} would both be written to {dst}; refine them "
                                      "separately or rename one")
            targets[key] = str(src)
            jobs.append(Job(str(src), str(dst), dict(options)))
            formats.append(fmt_of)
    if not jobs:
        raise SynspInputError(f"no pose file in {', '.join(map(str, inputs))}"
                              + (f" ({len(skipped)} file(s) not recognised, e.g. {skipped[0]})" if skipped else ""))
    _check_outputs_spare_inputs(jobs, skipped, out)
    check_options(options, [(job.input, fmt) for job, fmt in zip(jobs, formats)])
    return jobs, skipped


def check_output_folder(folder: str | os.PathLike) -> None:
    """Refuse, before any work, an output ``folder`` that cannot be made or written into, in the one-file command's
    words (:func:`synsp.io._common.check_target`): its nearest existing folder (itself, or the one it is made in) is
    a file (``-o in/take.npy/refined``) or cannot be written into (``-o /proc/refined``, a read-only disk).  A
    probe folder is made there and removed; nothing else is written."""
    out = Path(folder)
    base, why = folder_probe(out)
    if why == "file":
        raise SynspInputError(f"{out}: the folder {base} does not exist (it is a file); write elsewhere")
    if why is not None:
        raise SynspInputError(f"{out}: the folder {base} is not writable ({why}); write to a folder you can write to")


def folder_probe(folder: str | os.PathLike) -> tuple[Path, str | None]:
    """``(base, why)``: the nearest existing folder on the way to ``folder`` (itself, or the one it would be made in)
    and why nothing can be written there (``"file"``: it is a file; else the system's reason), None when a probe
    folder could be made and removed there (nothing else is written).  Each command words its own refusal."""
    import tempfile

    base = Path(folder)
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        return base, "file"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".synsp-probe-", dir=base))
    except OSError as exc:
        return base, str(exc.strerror or exc)
    return base, None


def _check_outputs_spare_inputs(jobs: Sequence[Job], others: Sequence[str], out: Path) -> None:
    """Refuse a batch in which a job's output is an input of the batch (the same path once resolved, or the same
    file by a hard link) or a folder holding one (an OpenPose folder written where an input lies): the first job
    would overwrite what another reads (``synsp refine src out/src/joints.npy -o out``), or an input with its own
    refined copy (``-o`` the parent of an input folder).  ``others``: the files found beside the inputs that are no
    pose files (kept intact too)."""
    given: dict[Path, str] = {}
    inodes: dict[tuple[int, int], str] = {}
    for path in [job.input for job in jobs] + list(others):
        given.setdefault(Path(path).resolve(), path)
        try:
            st = os.stat(path)
            inodes.setdefault((st.st_dev, st.st_ino), path)
        except OSError:
            pass
    targets = {Path(job.output).resolve(): job for job in jobs}

    def refuse(job: Job, what: str) -> None:
        if os.path.realpath(what) == os.path.realpath(job.input):
            raise SynspInputError(f"{job.input} would be written over itself ({job.output}): the output folder {out} "
                                  "holds the inputs (it is an input folder or one above it); give an output folder "
                                  "outside them")
        raise SynspInputError(f"{job.input} would be written to {job.output}, over the input {what} of this batch "
                              f"(the output folder {out} holds inputs); give an output folder outside them")

    for resolved, job in targets.items():
        if resolved in given:
            refuse(job, given[resolved])
        try:
            st = os.stat(resolved)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in inodes:
            refuse(job, inodes[(st.st_dev, st.st_ino)])
    for resolved, path in given.items():  # an input inside a folder a job writes (an OpenPose folder's output)
        for folder in resolved.parents:
            if folder in targets:
                job = targets[folder]
                raise SynspInputError(f"{job.input} would be written to the folder {job.output}, which holds the "
                                      f"input {path}; give an output folder outside the inputs")


def reader_option_problem(input_path: str | os.PathLike, fmt: str | None, key: str | None = None,
                          num_keypoints: int | None = None, arrays: bool = False) -> str | None:
    """Why the reader options ``key`` (``--key``) and ``num_keypoints`` (``--num-keypoints``) do not fit
    ``input_path``, a file of format ``fmt``, in the words of the one-file command's error; None when they fit.
    ``arrays``: also list an ``.npz``'s arrays (not read) to find ``key`` among them (an ``.npy`` has none)."""
    if key and fmt not in ("array", "smpl"):
        return (f"{input_path}: key {key!r} (--key) names an array of an .npz file (plain arrays, SMPL "
                f"parameters), and this {fmt} file has none; drop it")
    if num_keypoints is not None and fmt != "yolo":
        return (f"{input_path}: num_keypoints (--num-keypoints) says how many keypoints a YOLO labels folder's "
                f"lines hold, and this file is not one (its format: {fmt}); drop it")
    if key and arrays:
        suffix = suffix_of(input_path)
        if fmt == "array" and suffix == ".npy":
            return f"{input_path}: key={key!r} only applies to .npz files"
        if suffix == ".npz":
            try:
                with open_npz(input_path) as z:  # the archive's list of arrays, none read
                    keys = list(z.files)
            except (OSError, ValueError):  # a damaged file: its reader says why
                return None
            if key not in keys:
                return f"{input_path}: has no array {key!r}; its keys are {keys}"
    return None


def check_options(options: Mapping[str, Any], inputs: Sequence[tuple[str | os.PathLike, str | None]] = ()) -> None:
    """The refine ``options`` of a batch (:data:`OPTIONS`) checked once, before any file is read or written, as the
    one-file command checks them: ``model`` names a refiner (loaded here, once: this process's files reuse it),
    ``fps`` and ``max_gap`` are in range, ``skeleton`` is registered (or is a ``custom<J>-<hash>`` name an input
    may define), and ``key`` / ``num_keypoints`` fit every input (``inputs``: ``(path, format)`` pairs; an
    ``.npz``'s arrays are listed, not read).  A mistake is a :class:`SynspInputError` naming the option (and the
    first input it does not fit), instead of the same failure for every file."""
    check_fps(options.get("fps"), name="fps")
    check_max_gap(options.get("max_gap"), name="max_gap")
    model = options.get("model")
    if isinstance(model, (str, os.PathLike)) and model not in FILTERS and model not in _LOADED:
        _LOADED[model] = api.refiner_of(model)  # an unknown name, a missing or broken checkpoint: refused now
    skeleton = options.get("skeleton")
    if skeleton:
        try:
            get_skeleton(skeleton)
        except SynspInputError:
            if not any(_may_define_skeleton(path, skeleton, fmt) for path, fmt in inputs):
                raise
    problems = [why for path, fmt in inputs
                if (why := reader_option_problem(path, fmt, options.get("key"), options.get("num_keypoints"),
                                                 arrays=True))]
    if problems:
        more = f" (and {len(problems) - 1} more of the {len(inputs)} inputs)" if len(problems) > 1 else ""
        raise SynspInputError(problems[0] + more)


def read_input(input_path: str | os.PathLike, skeleton: str | None = None, key: str | None = None,
               trust_pickle: bool = False, assign_ids: str | None = "track", rotations: bool = False,
               progress: bool = False, num_keypoints: int | None = None):
    """Read one pose file as ``synsp refine``, ``inspect``, ``plot`` and ``render`` do: the reader's options that
    apply to its format (``key``: a plain or SMPL .npz's array; ``trust_pickle``: SMPL, SmoothNet, VideoPose3D;
    ``assign_ids``: MMPose / COCO / OpenPose / YOLO / SLEAP; ``rotations``: a BVH's joint rotations, as refining into a
    .bvh reads it; ``progress``: a progress bar over an OpenPose folder's files; ``num_keypoints``: a YOLO labels
    folder's keypoint count, where its lines fit several layouts), and ``skeleton`` checked
    against the joint count and set on the result.  A ``skeleton`` not yet registered may be the joint set the
    reader makes of the file's own point names (a C3D's labels, a TRC's markers, a BVH's joints:
    ``custom6-3181dc``, the name ``synsp inspect`` gives): it is looked up again once the file is read."""
    known = True
    if skeleton:
        try:
            get_skeleton(skeleton)  # an unknown name fails before the file is read, unless the file may define it
        except SynspInputError:
            if not _may_define_skeleton(input_path, skeleton):
                raise
            known = False
    fmt = pose_file_format(input_path)
    problem = reader_option_problem(input_path, fmt, key, num_keypoints)
    if problem:
        raise SynspInputError(problem)
    kw: dict[str, Any] = {"key": key} if key else {}
    if num_keypoints is not None:
        kw["num_keypoints"] = num_keypoints
    if trust_pickle and fmt in ("smpl", "smoothnet", "videopose3d"):
        kw["trust_pickle"] = True
    if assign_ids is not None and fmt in ("mmpose", "coco", "openpose", "yolo", "sleap"):
        kw["assign_ids"] = assign_ids
    if fmt == "bvh" and rotations:
        kw["rotations"] = True  # a BVH back into a BVH: its joint rotations and root path refined
    if fmt == "openpose" and progress:
        kw["progress"] = True  # a folder of one file per frame: an hour is 108,000 files
    pose_file = read_pose_file(input_path, format=fmt, **kw)
    if skeleton and not known:
        if fmt == "bvh" and rotations:  # rotations are not repaired: a name of the file's points has no use here
            skeleton = None  # (and reading rotations registers none)
        else:
            get_skeleton(skeleton)  # the file's own joint set is registered now; any other unknown name fails here
    if skeleton:
        if pose_file.tracks and pose_file.units != "axis-angle":
            api.check_skeleton_fits(skeleton, pose_file.num_joints)  # --skeleton smpl24 on 17 joints: an error
        pose_file.skeleton = skeleton
        pose_file.meta.pop("named_skeleton", None)  # named by the user: its pairs repair (api.guessed_pairs)
    return pose_file


def _may_define_skeleton(input_path: str | os.PathLike, name: str, fmt: str | None = "") -> bool:
    """Whether reading ``input_path`` may register the joint set ``name`` of its points' names
    (:func:`synsp.skeletons.skeleton_of_names`, named ``custom<J>-<hash>``): a name of that form and a file whose
    format names its points (every format but plain arrays and SMPL parameters).  Any other unknown name is
    refused before the file is read (an hour of OpenPose files).  ``fmt``: the file's format when known."""
    if re.fullmatch(r"custom\d+-[0-9a-f]+", str(name).strip().lower()) is None:
        return False
    return (pose_file_format(input_path) if fmt == "" else fmt) not in (None, "array", "smpl")


def known_skeleton_of(model: str | None, skeleton: str | None) -> None:
    """A ``skeleton`` name not registered yet, given with a ``model`` of one's own: the model loaded now (once per
    process), so that its card registers the custom skeleton it names, before the input is read with that name."""
    if model is not None and skeleton is not None and skeleton not in SKELETONS and model not in FILTERS:
        _LOADED[model] = api.refiner_of(model)  # loaded again if cached: loading is what registers the skeleton


def refine_path(input_path: str | os.PathLike, output: str | os.PathLike, model: str | None = None,
                fps: float | None = None, skeleton: str | None = None, key: str | None = None,
                max_gap: int | None = None, trust_pickle: bool = False, repair: bool = True,
                assign_ids: str | None = "track", progress: bool = False, cuts: bool = True,
                num_keypoints: int | None = None) -> tuple[dict, str]:
    """Read one pose file, refine every person, write it: ``(summary, units)`` (see
    :func:`synsp.api.refine_pose_file`).  The output is checked before the compute; problems raise
    :class:`SynspInputError`.  ``assign_ids`` (MMPose/COCO/OpenPose files without track ids; see
    :func:`synsp.io.keypoints_json.read`): ``"track"`` (default), ``"order"`` or None (refuse)."""
    known_skeleton_of(model, skeleton)
    pose_file = read_input(input_path, skeleton=skeleton, key=key, trust_pickle=trust_pickle, assign_ids=assign_ids,
                           rotations=str(output).lower().endswith((".bvh", ".bvh.gz")), progress=progress,
                           num_keypoints=num_keypoints)
    check_output(output, pose_file, fps)  # a wrong suffix, the input itself, an unwritable target: before the compute
    method, fallback = method_for(pose_file, model, fps, max_gap)
    check_method_fits(pose_file, method, model)
    refined, summary = api.refine_pose_file(pose_file, model=method, fps=fps, max_gap=max_gap, progress=progress,
                                        repair=repair, cuts=cuts)
    summary.setdefault("fallback", None)
    summary["fallback"] = summary["fallback"] or fallback
    write_pose_file(output, with_rate(refined, fps))
    units = "degrees" if pose_file.units == "axis-angle" else pose_file.units
    return summary, units


def check_output(output: str | os.PathLike, pose_file, fps: float | None = None) -> str:
    """The format ``pose_file`` refined at ``fps`` is written to ``output`` in (:func:`synsp.io.tracks.output_format`:
    the suffix, the target), and what its writer would refuse after the compute: TRC markers of another format need
    a length unit and a frame rate (a plain array's "file units" have none).  Raises :class:`SynspInputError` with
    the writer's words, before any work; a suffix the data cannot take is not suggested."""
    trc_unit = str(pose_file.units).strip().lower() in METRES_PER_UNIT
    try:
        fmt = output_format(output, pose_file)
    except SynspInputError as exc:
        if pose_file.format == "trc" or trc_unit:
            raise
        raise SynspInputError(str(exc).replace(", .trc, .trc.gz", "")) from None  # no length unit: not TRC
    if fmt == "trc" and pose_file.format != "trc":  # as synsp.io.trc.write refuses it, after the compute
        if not trc_unit:
            raise SynspInputError(f"{output}: the {pose_file.format} data is in {str(pose_file.units)!r}, not a length "
                                  "unit a TRC file can state; write it as .npz instead")
        if not (pose_file.fps or fps):
            raise SynspInputError(f"{output}: a TRC file needs a frame rate and this {pose_file.format} data has none "
                                  f"(refine assumes {DEFAULT_FPS:g} fps): give it with --fps RATE, or write it as "
                                  ".npz instead")
    return fmt


def with_rate(pose_file, fps: float | None):
    """``pose_file`` with the rate it was refined at (``fps``) when the file had none, so that a writer that records
    one (an ``.npz``'s ``fps`` key) keeps it; a file's own rate is never replaced."""
    if fps is None or pose_file.fps is not None:
        return pose_file
    return dataclasses.replace(pose_file, fps=float(fps))


def refine_cameras(input_paths: Sequence[str | os.PathLike], output: str | os.PathLike, cameras: Any,
                   model: str | None = None, fps: float | None = None, skeleton: str | None = None,
                   key: str | None = None, max_gap: int | None = None, trust_pickle: bool = False,
                   repair: bool = True, assign_ids: str | None = "track", progress: bool = False,
                   cuts: bool = True, num_keypoints: int | None = None) -> list[dict]:
    """Several pose files, one per calibrated camera (in the order of ``cameras``, :mod:`synsp.calibration`), each
    holding the same one person in 2D (frames matched by their frame numbers): each camera's track repaired alone,
    the cameras' left/right labels made to agree (:func:`synsp.view_labels.agree_cameras`), then each camera
    refined (its repair done) and written into the folder ``output`` under its input's name.  Returns each file's
    ``summary`` (:func:`synsp.api.refine_pose_file`) with ``output`` and ``agreed`` (its group-frames relabelled to
    agree with the other cameras).  Every file is read and checked before anything is written."""
    files = [read_input(p, skeleton=skeleton, key=key, trust_pickle=trust_pickle, assign_ids=assign_ids,
                        progress=progress, num_keypoints=num_keypoints) for p in input_paths]
    cams, camera_names = check_camera_files(input_paths, files, cameras)
    out_dir = Path(output)
    names = [_output_name(Path(p), f.format) for p, f in zip(input_paths, files)]
    if len(set(names)) != len(names):
        raise SynspInputError(f"the inputs' names {names} are not all different; each is written into {out_dir} "
                              f"under its own name")
    if out_dir.exists() and not out_dir.is_dir():
        raise SynspInputError(f"{out_dir}: is a file; with --cameras the output is a folder (one file per camera)")
    outputs = [out_dir / n for n in names]
    made = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)  # (removed again, when made here, if anything below fails)
    try:
        for target, f in zip(outputs, files):
            check_output(target, f, fps)  # a wrong suffix, an input itself: before the compute
        return _refine_each_camera(files, outputs, cams, camera_names, skeleton, model, fps, max_gap, progress,
                                   repair, cuts)
    except BaseException:
        if made and out_dir.is_dir() and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise


def check_camera_files(input_paths: Sequence[str | os.PathLike], files: list, cameras: Any) -> tuple[dict, list]:
    """The pose ``files`` read from ``input_paths``, one per camera of ``cameras``, checked as :func:`refine_cameras`
    takes them (each the one person in 2D, the same joint count): ``(cameras, names)``, the cameras in the inputs'
    order (:func:`cameras_by_name`) and checked (:func:`synsp.calibration.check_cameras`), and each input's camera
    name (None where matched by position)."""
    cameras, camera_names = cameras_by_name(cameras, input_paths)
    cams = check_cameras(cameras, len(files))
    for path, f in zip(input_paths, files):
        if len(f.tracks) != 1:
            raise SynspInputError(f"{path}: holds {len(f.tracks)} people; each camera's file must hold the one person "
                                  f"the cameras see (associate people across cameras first, as Pose2Sim's "
                                  f"personAssociation does)")
        if f.dims != 2 or f.units == "axis-angle":
            raise SynspInputError(f"{path}: holds {f.dims}D points; cameras calibrate 2D keypoints")
    joints = {f.num_joints for f in files}
    if len(joints) != 1:
        raise SynspInputError(f"the cameras' files hold {sorted(joints)} joints; expected the same joint set in each")
    return cams, camera_names


def read_views(input_path: str | os.PathLike, key: str | None = None, cameras: Any = None) -> tuple[Any, np.ndarray]:
    """``(pose_file, views)``: the ``(T, P, J, D)`` array of P synchronised views of one person that ``synsp refine
    --views`` reads from the ``.npy``/``.npz`` ``input_path``, checked as it checks them: P >= 2 and, with
    ``cameras`` (the calibration of 2D views), 2D points and one camera per view."""
    if pose_file_format(input_path) != "array":
        raise SynspInputError(f"{input_path}: --views takes a (T, P, J, D) .npy/.npz array of P views")
    pose_file = read_pose_file(input_path, format="array", **({"key": key} if key else {}))
    x, _ = pose_file.to_array()
    if x.shape[1] < 2:
        raise SynspInputError(f"{input_path}: --views refines P >= 2 synchronised views of one person together, and "
                              f"this array holds one ({x.shape[0]} frames of {x.shape[2]} joints); leave out --views")
    if cameras is not None:
        if x.shape[-1] != 2:
            raise SynspInputError(f"{input_path}: --cameras calibrates 2D keypoints; the array holds {x.shape[-1]}D "
                                  "points (3D views in one world frame need no cameras)")
        check_cameras(cameras, x.shape[1])
    return pose_file, x


def _refine_each_camera(files: list, outputs: list, cams: dict, camera_names: list, skeleton: str | None,
                        model: str | None, fps: float | None, max_gap: int | None, progress: bool, repair: bool,
                        cuts: bool) -> list[dict]:
    """:func:`refine_cameras` once every input is read and checked: the cameras' tracks on one timeline, repaired
    alone, their labels agreed, each refined, and every file written once all are refined."""
    tracks = [f.tracks[0] for f in files]
    agreed = cameras_agreed(files, cams, skeleton, repair)
    x, conf, at, flipped = (agreed[k] for k in ("keypoints", "confidence", "rows", "flipped"))
    results, written = [], []
    for c, (f, t, rows, target) in enumerate(zip(files, tracks, at, outputs)):
        scores = None if t.scores is None else np.asarray(conf[rows, c], dtype=t.scores.dtype)
        one = dataclasses.replace(f, tracks=[dataclasses.replace(t, keypoints=x[rows, c], scores=scores)])
        method, fallback = method_for(one, model, fps, max_gap)
        check_method_fits(one, method, model)
        refined, summary = api.refine_pose_file(one, model=method, fps=fps, max_gap=max_gap, progress=progress,
                                            repair=False, cuts=cuts)
        written.append((target, with_rate(refined, fps)))
        summary.update(output=str(target), fallback=summary.get("fallback") or fallback, camera=camera_names[c],
                       agreed=int(flipped[rows, c].sum()))
        results.append(summary)
    for target, refined in written:  # every camera refined before any file is written
        write_pose_file(target, refined)
    return results


def cameras_agreed(files: list, cams: dict, skeleton: str | None = None,
                   repair: bool = True) -> dict[str, Any]:
    """The one 2D track of each camera's pose file in ``files`` (checked as :func:`refine_cameras` checks them) on one
    timeline (their frame numbers), each repaired alone and the cameras' labels made to agree
    (:func:`synsp.view_labels.agree_camera_poses`; with ``repair``): a dict of ``keypoints`` ``(T, C, J, 2)``,
    ``confidence`` ``(T, C, J)``, ``rows`` (each camera's frames on that timeline), ``skeleton`` (the repair's, or
    None), ``repaired`` ``(C,)`` (the group-frames, a limb group in a frame, each camera's own repair relabelled) and
    ``flipped`` ``(T, C, G)`` (True where a camera's limb group was relabelled to agree with the others; G = 0:
    nothing compared)."""
    tracks = [f.tracks[0] for f in files]
    frames = np.unique(np.concatenate([t.frames for t in tracks]))
    J = files[0].num_joints
    x = np.full((len(frames), len(files), J, 2), np.nan)
    conf = np.ones(x.shape[:-1])
    at = [np.searchsorted(frames, t.frames) for t in tracks]
    for c, (t, rows) in enumerate(zip(tracks, at)):
        x[rows, c] = t.keypoints
        if t.scores is not None:
            conf[rows, c] = t.scores
    sk = api.repair_skeleton(J, 2, skeleton or files[0].skeleton, poses=np.concatenate([t.keypoints[:3000]
                                                                                     for t in tracks]))
    flipped, repaired = np.zeros(x.shape[:2] + (0,), dtype=bool), np.zeros(len(files), dtype=int)
    if repair and sk is not None:
        x, conf, report = repair_poses(x, sk, conf)  # each camera alone first, as a one-camera file would be
        if report.get("relabelled") is not None:
            repaired = np.asarray(report["relabelled"]).reshape(len(files), -1).sum(-1).astype(int)
        x, conf, flipped = agree_camera_poses(x, sk, conf, cams)
    return dict(keypoints=x, confidence=conf, rows=at, skeleton=sk, repaired=repaired, flipped=flipped)


def views_method(pose_file, views: int, model: str | None = None, fps: float | None = None,
                 skeleton: str | None = None) -> tuple[Any, str]:
    """``(refiner, name)``: what ``synsp refine --views`` refines ``pose_file``'s ``(T, P, J, D)`` array of ``views``
    views with: ``model``, else :func:`synsp.api.choose_model`'s default for ``views`` views at ``fps`` (else the
    file's rate); loaded once per process.  A network that cannot take the views' points raises
    (:func:`check_method_fits`)."""
    rate = fps if fps is not None else pose_file.fps
    name = model if model is not None else api.choose_model(pose_file.num_joints, pose_file.dims, skeleton,
                                                            views=views, fps=rate)[0]
    key = ("views", name)
    if key not in _LOADED:
        _LOADED[key] = api.refiner_of(name if model is not None else shipped_path(name))
    check_method_fits(pose_file, _LOADED[key], model)  # a network for other points: named, with the views' D and J
    return _LOADED[key], str(name)


def cameras_by_name(cameras: Any, input_paths: Sequence[str | os.PathLike]) -> tuple[Any, list]:
    """``cameras`` in the order of ``input_paths`` where their names say so, and each input's camera name: when every
    camera's name and every input's file name end in a number (``cam_02`` and ``cam2.json``, ``[cam_01]`` ...), the
    numbers are the same set, each once, and the calibration lists them in another order than the inputs, the
    cameras are reordered to the inputs' (a calibration listing ``cam_02`` first, taken by position, relabelled
    correct cameras: 27-35 px) and each input's camera named; else ``cameras`` as given (matched by position) and
    no names."""
    names = cameras.get("names") if isinstance(cameras, Mapping) else None
    kept = [None] * len(input_paths)  # matched by position: no name to report
    if names is None or np.ndim(names) != 1 or len(names) != len(input_paths):
        return cameras, kept
    names = [str(n) for n in names]

    def label(text: str) -> tuple[str, int] | None:  # the letters before the last number, and the number
        found = list(re.finditer(r"\d+", text))
        return (re.sub(r"[^a-z]", "", text[:found[-1].start()].lower()), int(found[-1].group())) if found else None

    have = [label(n) for n in names]
    want = [label(Path(p).name.split(".")[0]) for p in input_paths]
    if None in have or None in want or len({n for _, n in have}) != len(have):
        return cameras, kept
    # the same numbers, each file's letters ending in its camera's ("cam" in "trial1_cam02"): not a made-up "cam1"
    # matched to "view2"
    by_number = {n: k for k, (_, n) in enumerate(have)}
    if sorted(by_number) != sorted(n for _, n in want) or not all(
            w.endswith(have[by_number[n]][0]) for w, n in want):
        return cameras, kept
    order = [by_number[n] for _, n in want]
    if order == list(range(len(order))):
        return cameras, kept
    moved = {k: ([v[i] for i in order] if isinstance(v, list) else np.asarray(v)[order])
             if np.ndim(v) and len(v) == len(names) else v for k, v in cameras.items()}
    return moved, [names[i] for i in order]


#: networks loaded in this process, by name (a worker refines many files with the same few models)
_LOADED: dict[Any, Any] = {}


def method_for(pose_file, model: str | None, fps: float | None = None,
               max_gap: int | None = None) -> tuple[Any, str | None]:
    """The refiner for ``pose_file`` (``model``, else the default for its skeleton and frame rate, ``fps`` or the
    file's, over :func:`synsp.api.detection_step`'s step; see :func:`synsp.api.choose_model`) and the fallback note;
    networks are loaded once per process."""
    if pose_file.format == "smpl" or pose_file.units == "axis-angle":  # rotations: see synsp.rotations
        key = ("rotations", model, pose_file.num_joints)
        if key not in _LOADED:
            _LOADED[key] = rotation_filter(model, pose_file.num_joints)
        method = _LOADED[key]
        name = getattr(method, "name", "")
        if model is None and name in FILTERS:
            return method, (f"no shipped rotation model for {pose_file.num_joints} joints: refined with the "
                            f"{name} filter on quaternions")
        return method, None
    fallback = None
    if model is None:
        if not pose_file.tracks:
            return None, None  # refine_pose_file names the problem
        rate = api.file_fps(pose_file, fps)  # a stored rate that is no rate: refused here, in refine's words
        step = api.detection_step(pose_file, rate, max_gap)  # detections on one frame in k: a sequence at rate / k
        rate = rate if step == 1 else (rate or DEFAULT_FPS) / step
        model, fallback = api.choose_model(pose_file.num_joints, pose_file.dims, pose_file.skeleton, fps=rate)
        # the default is the shipped model: loaded by its checkpoint's path, whatever the working folder holds
        model = shipped_path(model)
    if model in FILTERS:
        return model, fallback
    if model not in _LOADED:
        _LOADED[model] = api.refiner_of(model)
    return _LOADED[model], fallback


def check_method_fits(pose_file, method: Any, model: Any = None) -> None:
    """Refuse a network that cannot take ``pose_file``'s joint positions, naming it and the file's points, before
    any work: a 2D model on 3D points (or the reverse), or a network of one joint set on another that does not
    contain it (the network's own check said only "poses has D = 3 ...; expected D in {2}", naming neither the
    model nor the option).  Filters take any points; rotation files are refined by rotation refiners
    (:func:`synsp.rotations.rotation_filter` names its own mismatches)."""
    if not pose_file.tracks or pose_file.format == "smpl" or pose_file.units == "axis-angle" or isinstance(method, str):
        return
    dims, own = what_it_takes(method, pose_file.num_joints, pose_file.skeleton)
    name = getattr(method, "name", model)
    source, D, J = pose_file.source or "the pose file", pose_file.dims, pose_file.num_joints
    named = f"model={str(model if model is not None else name)!r}"
    if dims is not None and D not in dims:
        raise SynspInputError(
            f"{named} refines {' or '.join(f'{d}D' for d in dims)} points, and {source} holds {D}D points (D = {D}, "
            f"J = {J} joints); name a {D}D model or a filter (synsp models lists them), or leave the model out for "
            "the default")
    if own is not None and getattr(own, "num_joints", J) != J:
        raise SynspInputError(
            f"{named} refines the {own.num_joints} joints of {own.name}, and {source} holds J = {J} joints ({D}D), "
            f"not a skeleton holding {own.name}'s joints; name a model of this joint set or a filter (synsp models "
            "lists them), or leave the model out for the default")


def refine_file(job: Job | dict) -> dict:
    """Refine one :class:`Job` (or its dict) and report; never raises for a problem with the file.

    Returns ``input``, ``output``, ``ok``, ``error`` (one line, None when ok), ``seconds`` and, when
    ok, ``frames``, ``persons``, ``filled``, ``model``, ``units``, ``accel_before``, ``accel_after``,
    ``unrefined_tracks``, ``fallback`` (see :func:`synsp.api.refine_pose_file`)."""
    if isinstance(job, dict):
        job = Job(**job)
    start = time.perf_counter()
    result: dict[str, Any] = {"input": job.input, "output": job.output, "ok": False, "error": None}
    try:
        Path(job.output).parent.mkdir(parents=True, exist_ok=True)  # the mirrored folder (kept if the file fails)
        summary, units = refine_path(job.input, job.output, **job.options)
    except (SynspInputError, OSError, ValueError) as exc:  # the file's problem, in one line
        where = f"{exc.filename}: " if isinstance(exc, OSError) and exc.filename else ""
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        result["error"] = f"{where}{text}".splitlines()[0] if text else type(exc).__name__
        named = f"{job.input}: "  # the report names the input beside the error: not twice
        if result["error"].startswith(named) and len(result["error"]) > len(named):
            result["error"] = result["error"][len(named):]
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files; named with its type
        result["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    else:
        result.update(ok=True, units=units, **{k: summary.get(k) for k in (
            "frames", "persons", "filled", "model", "accel_before", "accel_after", "unrefined_tracks", "fallback")})
        result["unrefined_tracks"] = [str(t) for t in result["unrefined_tracks"] or []]
        result["cuts"] = {str(t): [int(f) for f in frames] for t, frames in (summary.get("cuts") or {}).items()}
    result["seconds"] = time.perf_counter() - start
    return result


def _init_worker(threads: int) -> None:
    """A worker process: ``threads`` torch threads, idle OpenMP threads asleep, no per-file progress bars."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(threads)


#: in a worker process: a Ctrl-C (SIGINT) came; no further file is started
_STOPPING = False
#: in a worker process: a file is being refined now (a Ctrl-C stops it)
_BUSY = False


def _on_interrupt(signum, frame) -> None:
    """A worker's SIGINT handler: the first one stops the file being refined (a ``KeyboardInterrupt`` there, so
    its temporary output is removed and nothing written), and every file after it is skipped; a worker waiting for
    work just remembers it (no traceback from the pool's loop)."""
    global _STOPPING
    first = not _STOPPING
    _STOPPING = True
    if first and _BUSY:
        raise KeyboardInterrupt


def _init_pool_worker(threads: int, ignored: bool = False) -> None:
    """:func:`_init_worker` in a process of :func:`refine_files`' pool, which handles Ctrl-C itself
    (:func:`_on_interrupt`); SIGINT, blocked while the worker started (:func:`_sigint_blocked`), is let in now.
    ``ignored``: the batch's process ignores SIGINT (a background job of a script): so do its workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN if ignored else _on_interrupt)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # one that came meanwhile: handled now
    _init_worker(threads)


def _interrupted(job: dict) -> dict:
    return {"input": job["input"], "output": job["output"], "ok": False, "error": INTERRUPTED, "seconds": None,
            "interrupted": True}


def _refine_in_worker(job: dict) -> dict:
    """:func:`refine_file` in a pool's worker: a file a Ctrl-C stops, or keeps from starting, is reported as
    interrupted (``interrupted``: True), not as failed."""
    global _BUSY
    if _STOPPING:
        return _interrupted(job)
    _BUSY = True
    try:
        if _STOPPING:  # (came between the two lines above)
            return _interrupted(job)
        return refine_file(job)
    except KeyboardInterrupt:
        return _interrupted(job)
    finally:
        _BUSY = False


@contextlib.contextmanager
def _sigint_blocked():
    """A Ctrl-C held back (not lost) while the pool's processes start, then raised as ``KeyboardInterrupt``: one in
    the middle of starting a worker would leave it half-started (its traceback printed once this process is gone).
    SIGINT is blocked in this thread, so the processes started here inherit the block (the forkserver and the
    workers it forks: a Ctrl-C while a worker imports synsp prints no traceback; each lets SIGINT in once it handles
    it, :func:`_init_pool_worker`), and one delivered to another thread only sets a flag here."""
    main = threading.current_thread() is threading.main_thread()
    came: list[int] = []
    old_handler = signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum)) if main else None
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if hasattr(signal, "pthread_sigmask") else None
    try:
        yield
    finally:
        if old_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)  # one that came to this thread: handled here, now
        if main:
            signal.signal(signal.SIGINT, old_handler)
    if came:
        raise KeyboardInterrupt


def _stop_pool(pool) -> None:
    """Stop a pool at once (Ctrl-C, an error): the queued files are cancelled, every worker is interrupted (SIGINT,
    also when only this process got it: the running file stops without writing, a worker skips what it still
    holds) and the workers are waited for.  A second Ctrl-C meanwhile is ignored (it would leave workers behind)."""
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            try:
                os.kill(process.pid, signal.SIGINT)
            except (OSError, TypeError):  # gone already, or not started
                pass
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if main:
            signal.signal(signal.SIGINT, old)


#: the modules the fork server of :func:`refine_files` imports once, for every worker it forks
_FORKSERVER_PRELOAD = ["synsp.api"]


@contextlib.contextmanager
def _pool_context():
    """The context of :func:`refine_files`' pool: forkserver with synsp preloaded where it exists (fast, no fork of a
    threaded parent), else spawn; what it changed in this process is undone on leaving.

    The fork server is one per process, and every process it forks starts with the signal mask the server started
    with: one started by the pool's first worker has SIGINT blocked (:func:`_sigint_blocked`), so a later forkserver
    process of this program (a pool of its own) would never get a Ctrl-C.  A fork server started here is therefore
    stopped on leaving, once the pool's workers have ended (SIGTERM: it holds nothing to clean up, and its normal
    exit takes a second with torch loaded); the next forkserver user starts one in its own state, and a batch after
    this one starts its own again.  The preload list is put back too.  A fork server running before is used, and
    left running.  Both use the private state of :mod:`multiprocessing.forkserver` (it has no public one), and are
    skipped where it is missing."""
    import multiprocessing as mp
    from multiprocessing import forkserver

    if "forkserver" not in mp.get_all_start_methods():
        yield mp.get_context("spawn")
        return
    server = getattr(forkserver, "_forkserver", None)
    running, preload = getattr(server, "_forkserver_pid", None), getattr(server, "_preload_modules", None)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(_FORKSERVER_PRELOAD))
    try:
        yield ctx
    finally:
        if preload is not None:
            ctx.set_forkserver_preload(preload)
        started = getattr(server, "_forkserver_pid", None)
        if started is not None and started != running and hasattr(server, "_stop"):
            with contextlib.suppress(OSError):
                os.kill(started, signal.SIGTERM)
            server._stop()  # closes its pipe and waits for it


def _died(job: Job, exc: BaseException) -> dict:
    """The result of a file whose worker process died (or whose pool did, before it started)."""
    return {"input": job.input, "output": job.output, "ok": False, "seconds": None,
            "error": f"the worker process died ({exc or 'killed'}); retry this file alone"}


def _run_pool(context, jobs: Sequence[Job], waiting: list[int], results: list, workers: int, initargs: tuple,
              bar) -> BaseException | None:
    """Refine the jobs numbered ``waiting`` (taken from its front) in a new pool of ``workers`` processes, one file
    per worker at a time (so that a file is only given to a pool when a worker is free to start it), putting each
    result in ``results``.  Returns None when all are done, or the ``BrokenProcessPool`` of a pool in which a worker
    died: the files it was refining have failed (:func:`_died`), and those still in ``waiting`` were not started."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_pool_worker,
                               initargs=initargs)
    running: dict[Any, int] = {}
    broken: BaseException | None = None
    try:
        while running or (waiting and broken is None):
            while waiting and broken is None and len(running) < workers:
                try:
                    with _sigint_blocked():  # a worker starts (in submit) with SIGINT held back
                        future = pool.submit(_refine_in_worker, asdict(jobs[waiting[0]]))
                except BrokenProcessPool as exc:  # the pool broke since the last result
                    broken = exc
                    break
                running[future] = waiting.pop(0)
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as exc:
                    broken = exc
                    result = _died(jobs[i], exc)
                if result.get("interrupted"):  # a worker got the Ctrl-C (this process too, or it will not)
                    raise KeyboardInterrupt
                results[i] = result
                bar.update()
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return broken


def refine_files(jobs: Iterable[Job], workers: int = 1, threads: int | None = None,
                 progress: bool = True) -> list[dict]:
    """:func:`refine_file` on every job, in ``workers`` processes (1: in this process, whose torch
    threads are kept unless ``threads`` is given), with one progress bar; the results in the jobs' order.

    A worker process that dies (out of memory, a crash in native code) takes its pool down: the files the pool was
    refining fail with the reason (the dead worker's and the other workers' running files), and the files not yet
    started are refined in a fresh pool.  When that pool dies too, they fail with the same reason.  Finished files
    stay.

    Ctrl-C (``KeyboardInterrupt``; SIGINT to this process or its whole process group) stops the batch at once: no
    queued file starts, the running ones stop without writing their output, the workers end, and the
    ``KeyboardInterrupt`` is raised again (the files finished before it stay)."""
    from tqdm.auto import tqdm

    jobs = list(jobs)
    workers = max(1, min(int(workers), len(jobs)))
    per_worker = worker_threads(workers, threads)
    results: list[dict | None] = [None] * len(jobs)
    bar = tqdm(total=len(jobs), desc="refining", unit="file", disable=not progress)
    try:
        if workers == 1:  # in this process: its torch threads unless ``threads`` is given
            if threads is not None:
                _init_worker(int(threads))
            for i, job in enumerate(jobs):
                results[i] = refine_file(job)
                bar.update()
            return results  # type: ignore[return-value]
        initargs = (per_worker, signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
        waiting = list(range(len(jobs)))  # the jobs not started yet, in order
        with _pool_context() as context:
            broken = _run_pool(context, jobs, waiting, results, workers, initargs, bar)
            if broken is not None and waiting:  # a worker died: the files not started get one fresh pool
                broken = _run_pool(context, jobs, waiting, results, min(workers, len(waiting)), initargs, bar)
        for i in waiting:  # the fresh pool died too
            results[i] = _died(jobs[i], broken)  # type: ignore[arg-type]
            bar.update()
        return results  # type: ignore[return-value]
    finally:
        bar.close()


def _number(value: Any, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def summary_table(results: Sequence[dict]) -> str:
    """The Markdown table of :func:`refine_files`' results: one row per file, failures with their reason."""
    rows = ["| file | result | frames | persons | method | accel before -> after (per frame^2) | s |",
            "|---|---|---|---|---|---|---|"]
    for r in results:
        if r["ok"]:
            what = "ok" + (f", {len(r['unrefined_tracks'])} track(s) too short" if r.get("unrefined_tracks") else "")
            if r.get("fallback"):
                what += ", no shipped model: filter"
            cuts = sum(len(v) for v in (r.get("cuts") or {}).values())
            if cuts:
                what += f", {cuts} cut(s)"
            accel = f"{r['accel_before']:.4g} -> {r['accel_after']:.4g} {r['units']}"
            rows.append(f"| {r['input']} | {what} | {r['frames']} | {r['persons']} | {r['model']} | {accel} | "
                        f"{_number(r['seconds'], '.1f')} |")
        else:
            rows.append(f"| {r['input']} | failed: {r['error'].replace('|', '/')} | | | | | "
                        f"{_number(r.get('seconds'), '.1f')} |")
    return "\n".join(rows)
