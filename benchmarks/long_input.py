"""Refine one hour of one person (108,000 frames of 17 joints at 30 fps) and report time and peak memory.

The sequence is built from the embedded corpus (real mocap, looped) with the
``3dpw-spin-like`` simulated errors; the refiner works in batches of windows
and merges them as they come (bounded memory), with a progress bar.

``--rotation-joints J``: the corpus's SMPL rotations instead (the first J of the 24; 22: an SMPL-H / SMPL-X
body), with the ``3dpw-spin-like`` errors simulated on rotations, refined by ``synsp.rotations.refine_rotations``
with ``--model`` (``default``: what synsp picks for J joints).

``--whole-body``: a COCO-WholeBody file instead (133 keypoints, float32 ``.npy``: a random walk, nothing
real), refined through ``synsp refine``'s own path (read, repair, refine, check, write;
:func:`synsp.batch.refine_path`) with the default for it (the universal model on the body's 23 points, the
face and hands following them); peak RSS of the whole process. ``--mmpose-json``: the same as one MMPose 1.x
demo JSON (``{"meta_info", "instance_info": [{"frame_id", "instances": [{"keypoints": [[x, y], ...],
"keypoint_scores", "bbox", "bbox_score"}]}, ...]}``, 2D pixels, written one frame at a time), read frame by
frame and written back in its own text (``--joints 17``: COCO's 17 instead). ``--mediapipe-csv long|wide``: one
person's 33 MediaPipe Pose landmarks as a CSV of that layout (pixels, x, y, z, visibility), the same path.
``--bvh``: a BVH of real mocap (``../shared/data/cmu_mocap/bvh_daz_aclstm/martial/06.bvh.gz``, 57 joints of which 43
rotate, 120 Hz, or ``--bvh-source``) played forwards and backwards to ``--frames`` at 30 fps (or ``--rate``: 120 is
its own), refined as joint rotations
and written as a BVH (the same path: ``synsp refine hour.bvh -o out.bvh``).
``--format trc|c3d|coco|mmpose0|yolo``: one person as a TRC of 22 markers (mm, 3D), a C3D of 39 markers (Plug-in
Gait's names, mm, float data, 30 fps or ``--rate``, two analog channels), COCO / AlphaPose results (a list of
``{"image_id", "category_id", "keypoints", "score"}``), MMPose 0.x per-frame lists of instances, or an Ultralytics
YOLO pose label folder (a file per frame; 17 keypoints, 2D), a sine-and-noise walk per point written one frame at a
time, the same path.
``--format dlc-h5|slp|nwb``: one animal of 12 body parts (2D pixels, the same walk) as a DeepLabCut HDF5 file
(pandas' table layout, written by pandas), a SLEAP predictions ``.slp`` or an NWB file with ndx-pose series (both
written with h5py in their layouts), the same path; their HDF5 reading and writing runs in child processes, whose
peak is reported too.

Run:  python benchmarks/long_input.py [--model synsp-h36m17-3d-w8] [--frames 108000] [--rotation-joints 22]
      python benchmarks/long_input.py --whole-body [--missing 0.1] [--mmpose-json [--joints 17]] [--frames 108000]
      python benchmarks/long_input.py --mediapipe-csv long|wide [--frames 108000]
      python benchmarks/long_input.py --bvh [--bvh-source file.bvh.gz] [--rate 120] [--frames 108000]
      python benchmarks/long_input.py --format trc|c3d|coco|mmpose0|yolo [--frames 108000]
      python benchmarks/long_input.py --format c3d|trc --rate 100 --frames 360000   # an hour at 100 Hz
      python benchmarks/long_input.py --format dlc-h5|slp|nwb [--frames 108000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="synsp-h36m17-3d-w8")
    parser.add_argument("--frames", type=int, default=108_000)
    parser.add_argument("--rotation-joints", type=int, default=None, help="SMPL rotations of the first J joints")
    parser.add_argument("--whole-body", action="store_true",
                        help="a 133-keypoint COCO-WholeBody .npy through the file path (read, repair, refine, write)")
    parser.add_argument("--mmpose-json", action="store_true",
                        help="with --whole-body: an MMPose 1.x JSON file instead of an .npy")
    parser.add_argument("--missing", type=float, default=0.0,
                        help="with --whole-body (.npy): this share of the face and hand points missing (NaN) in "
                             "bursts of 1-30 frames, as an estimator loses hands")
    parser.add_argument("--joints", type=int, default=133, choices=(17, 133),
                        help="with --mmpose-json: keypoints per person (133 COCO-WholeBody, 17 COCO)")
    parser.add_argument("--mediapipe-csv", choices=("long", "wide"), default=None,
                        help="a MediaPipe Pose landmark CSV of this layout through the file path")
    parser.add_argument("--bvh", action="store_true", help="a BVH of real mocap, looped, refined as rotations")
    parser.add_argument("--bvh-source", default="../shared/data/cmu_mocap/bvh_daz_aclstm/martial/06.bvh.gz",
                        help="with --bvh: the BVH (or .bvh.gz) to loop")
    parser.add_argument("--format", choices=("trc", "c3d", "coco", "mmpose0", "yolo", "dlc-h5", "slp", "nwb"),
                        default=None,
                        help="a file (folder for yolo) of this format through the file path")
    parser.add_argument("--rate", type=float, default=30.0,
                        help="with --format c3d|trc: the file's frame rate (the same motion, sampled at it); with "
                             "--bvh: the Frame Time written (the source's frames played at that rate)")
    args = parser.parse_args(argv)
    if args.rate != 30.0 and args.format not in ("c3d", "trc") and not args.bvh:
        parser.error("--rate is for --format c3d or trc, or --bvh (the other files store no frame rate)")
    if args.format:
        return _other_format(args)
    if args.bvh:
        return _bvh(args)
    if args.mediapipe_csv:
        return _mediapipe_csv(args)
    if args.rotation_joints is not None:
        return _rotations(args)
    if args.whole_body:
        return _whole_body(args)

    import synsp
    from synsp.data.corpus import load_corpus
    from synsp.noise import simulate

    clips = [c.positions for c in load_corpus(phases="first")]
    track = np.concatenate(clips * (args.frames // sum(len(c) for c in clips) + 1))[: args.frames]
    noisy = simulate(track.astype(np.float64), "3dpw-spin-like", skeleton="h36m17", fps=30, seed=0).pred
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    out = synsp.refine(noisy, model=args.model, fps=30, progress=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert out.shape == noisy.shape and np.isfinite(out).all()
    print(f"# reproduce: python benchmarks/long_input.py --model {args.model} --frames {args.frames}")
    print(f"{args.frames} frames x 17 joints with {args.model}: {seconds:.1f} s "
          f"({args.frames / seconds:,.0f} frames/s), peak RSS {peak:.0f} MiB (before refining: {before:.0f} MiB)")
    return 0


def _whole_body(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    if args.mmpose_json:
        return _mmpose_json(args)
    rng = np.random.default_rng(0)
    joints = 133
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "wholebody.npy", Path(tmp) / "refined.npy"
        arr = np.lib.format.open_memmap(src, mode="w+", dtype=np.float32, shape=(args.frames, joints, 3))
        offsets = rng.normal(0.0, 0.3, (joints, 3))
        body, point = np.zeros(3), np.zeros((joints, 3))
        for a in range(0, args.frames, 4096):  # a random walk of the body and of every point, in chunks
            n = min(4096, args.frames - a)
            walk = body + np.cumsum(rng.normal(0.0, 0.002, (n, 1, 3)), axis=0)
            jitter = point + np.cumsum(rng.normal(0.0, 5e-5, (n, joints, 3)), axis=0)
            block = walk + jitter + offsets
            if args.missing > 0:  # bursts of lost face and hand points, starting at this share of frames / 15
                starts = np.argwhere(rng.random((n, joints - 23)) < args.missing / 15.5)
                for t, j in starts:
                    block[t:t + rng.integers(1, 31), 23 + j] = np.nan
            arr[a:a + n] = block
            body, point = walk[-1, 0], jitter[-1]
        arr.flush()
        del arr
        summary, seconds, before, peak = _timed_refine(src, dst, skeleton="coco133")
        out = np.load(dst, mmap_mode="r")
        assert out.shape == (args.frames, joints, 3) and all(np.isfinite(out[a:a + 4096]).all()
                                                             for a in range(0, args.frames, 4096))
    missing = f" --missing {args.missing:g}" if args.missing else ""
    return _report(f"--whole-body{missing} --frames {args.frames}", args.frames,
                   f"x {joints} keypoints (COCO-WholeBody .npy, read, repaired,", summary, seconds, before, peak)


def _timed_refine(src, dst, **kwargs) -> tuple[dict, float, float, float]:
    """``synsp refine``'s path on one file: ``(summary, seconds, peak RSS before, peak RSS after)`` (MiB)."""
    from synsp.batch import refine_path


    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    summary, _ = refine_path(src, dst, progress=True, **kwargs)
    seconds = time.perf_counter() - start
    return summary, seconds, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _walk_frame(base: np.ndarray, f: int, rng: np.random.Generator) -> np.ndarray:
    """Frame ``f`` of the files' sine-and-noise walk: each point of ``base`` ``(J, D)`` swings 30 units at 1.3 rad/s
    (30 fps) with a phase of its own, plus 2 units of white noise."""
    return base + 30.0 * np.sin(f / 30.0 * 1.3 + base / 100.0) + rng.normal(0.0, 2.0, base.shape)


def _report(options: str, frames: int, what: str, summary: dict, seconds: float, before: float, peak: float,
            children: float | None = None) -> int:
    """Print the command and the result line of one file through ``synsp refine``'s path; ``what``: the file,
    up to "refined by"; ``children``: the largest peak of a child process (MiB)."""
    print(f"# reproduce: python benchmarks/long_input.py {options}")
    print(f"{frames} frames {what} refined by {summary['model']}, written): {seconds:.1f} s ({frames / seconds:,.0f} "
          f"frames/s), peak RSS {peak:.0f} MiB (before: {before:.0f} MiB)"
          + (f"; child processes' peak {children:.0f} MiB" if children is not None else ""))
    return 0


def _mmpose_json(args: argparse.Namespace) -> int:
    import json
    import os
    import tempfile
    from pathlib import Path


    rng = np.random.default_rng(0)
    joints, name = args.joints, {133: "coco_wholebody", 17: "coco"}[args.joints]
    base = rng.uniform(200.0, 800.0, (joints, 2))
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "hour.json", Path(tmp) / "refined.json"
        with open(src, "w") as fh:  # one frame at a time: the benchmark's own memory stays small
            meta = json.dumps({"meta_info": {"dataset_name": name, "num_keypoints": joints}})
            fh.write(meta[:-1] + ', "instance_info": [')
            for f in range(args.frames):
                xy = _walk_frame(base, f, rng).round(2)
                inst = {"keypoints": xy.tolist(), "keypoint_scores": [0.8] * joints, "bbox": [[0, 0, 100, 100]],
                        "bbox_score": 0.9}
                fh.write((", " if f else "") + json.dumps({"frame_id": f, "instances": [inst]}))
            fh.write("]}\n")
        size = os.path.getsize(src) / 2**20
        summary, seconds, before, peak = _timed_refine(src, dst)
        with open(dst) as fh:
            head = fh.read(1 << 16)
        assert head.startswith('{"meta_info"') and os.path.getsize(dst) > 0
    return _report(f"--whole-body --mmpose-json --joints {joints} --frames {args.frames}", args.frames,
                   f"x {joints} keypoints (one MMPose 1.x JSON of {size:,.0f} MiB, read frame by frame, repaired,",
                   summary, seconds, before, peak)


def _mediapipe_csv(args: argparse.Namespace) -> int:
    import os
    import tempfile
    from pathlib import Path


    rng = np.random.default_rng(0)
    base = rng.uniform(200.0, 800.0, (33, 3))
    wide = args.mediapipe_csv == "wide"
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "hour.csv", Path(tmp) / "refined.csv"
        with open(src, "w") as fh:  # one frame at a time
            fh.write("frame," + ",".join(f"x_{j},y_{j},z_{j},visibility_{j}" for j in range(33)) + "\n" if wide
                     else "frame,landmark,x,y,z,visibility\n")
            for f in range(args.frames):
                xyz = _walk_frame(base, f, rng)
                cells = [f"{x:.2f},{y:.2f},{z:.2f},0.99" for x, y, z in xyz]
                fh.write(f"{f}," + ",".join(cells) + "\n" if wide
                         else "".join(f"{f},{j},{c}\n" for j, c in enumerate(cells)))
        size = os.path.getsize(src) / 2**20
        summary, seconds, before, peak = _timed_refine(src, dst)
        assert os.path.getsize(dst) > 0.9 * os.path.getsize(src)
    return _report(f"--mediapipe-csv {args.mediapipe_csv} --frames {args.frames}", args.frames,
                   f"x 33 landmarks (a {args.mediapipe_csv} MediaPipe CSV of {size:,.0f} MiB, read row by row, "
                   "repaired,", summary, seconds, before, peak)


def _other_format(args: argparse.Namespace) -> int:
    import json
    import os
    import tempfile
    from pathlib import Path

    rng = np.random.default_rng(0)
    fmt, frames = args.format, args.frames
    joints, dims = {"trc": (22, 3), "c3d": (len(PLUG_IN_GAIT), 3), "dlc-h5": (12, 2), "slp": (12, 2),
                    "nwb": (12, 2)}.get(fmt, (17, 2))
    base = rng.uniform(200.0, 800.0, (joints, dims))

    def pose(f: int) -> np.ndarray:
        return _walk_frame(base, f * 30.0 / args.rate, rng).round(2)

    with tempfile.TemporaryDirectory() as tmp:
        name = {"trc": "hour.trc", "c3d": "hour.c3d", "coco": "hour.json", "mmpose0": "hour.json",
                "yolo": "labels", "dlc-h5": "hour.h5", "slp": "hour.slp", "nwb": "hour.nwb"}[fmt]
        src, dst = Path(tmp) / name, Path(tmp) / f"refined_{name}"
        if fmt in ("dlc-h5", "slp", "nwb"):
            write_animal_file(src, fmt, np.stack([pose(f) for f in range(frames)]))
        elif fmt == "c3d":
            write_c3d_file(src, PLUG_IN_GAIT, frames, args.rate, pose)
        elif fmt == "yolo":
            src.mkdir()
            for f in range(frames):
                xy = pose(f) / [1920.0, 1080.0]
                kp = " ".join(f"{x:.5f} {y:.5f} 0.9" for x, y in xy)
                (cx, cy), (w, h) = (xy.max(0) + xy.min(0)) / 2, 1.1 * (xy.max(0) - xy.min(0))  # the person's box
                (src / f"clip_{f + 1}.txt").write_text(f"0 {cx:.5f} {cy:.5f} {w:.5f} {h:.5f} {kp}\n")
        else:
            with open(src, "w") as fh:  # one frame at a time
                if fmt == "trc":
                    names = [f"M{j}" for j in range(joints)]
                    fh.write(f"PathFileType\t4\t(X/Y/Z)\t{name}\nDataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\t"
                             f"OrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n{args.rate:g}\t{args.rate:g}\t"
                             f"{frames}\t{joints}\tmm\t{args.rate:g}\t1\t"
                             f"{frames}\nFrame#\tTime\t" + "\t\t\t".join(names) + "\n\t\t"
                             + "\t".join(f"X{j + 1}\tY{j + 1}\tZ{j + 1}" for j in range(joints)) + "\n\n")
                    for f in range(frames):
                        values = "\t".join(f"{v:.2f}" for v in pose(f).ravel())
                        fh.write(f"{f + 1}\t{f / args.rate:.5f}\t{values}\n")
                else:
                    fh.write("[")
                    for f in range(frames):
                        xys = np.concatenate([pose(f), np.full((joints, 1), 0.9)], axis=1).round(2)
                        item = ({"image_id": f, "category_id": 1, "keypoints": xys.ravel().tolist(), "score": 0.9}
                                if fmt == "coco" else [{"keypoints": xys.tolist(), "bbox": [0, 0, 100, 100, 0.9]}])
                        fh.write((", " if f else "") + json.dumps(item))
                    fh.write("]\n")
        size = (sum(p.stat().st_size for p in src.iterdir()) if src.is_dir() else os.path.getsize(src)) / 2**20
        summary, seconds, before, peak = _timed_refine(src, dst)
        assert dst.exists()
    kind = "folder" if fmt == "yolo" else "file"
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rate = f" --rate {args.rate:g}" if args.rate != 30.0 else ""
    return _report(f"--format {fmt}{rate} --frames {frames}", frames,
                   f"x {joints} points ({fmt} {kind} of {size:,.0f} MiB, read, repaired,", summary, seconds, before, peak,
                   children if fmt in ("dlc-h5", "slp", "nwb") else None)


def write_animal_file(path, fmt: str, xy: np.ndarray) -> None:
    """One animal's body parts ``xy`` ``(T, J, 2)`` as a DeepLabCut HDF5 file (``dlc-h5``, by pandas), a SLEAP
    predictions ``.slp`` or an NWB file with ndx-pose series (both by h5py, in their layouts), likelihood 0.9."""
    import json

    import h5py

    T, J, _ = xy.shape
    parts = [f"part{j}" for j in range(J)]
    if fmt == "dlc-h5":
        import pandas as pd

        cols = pd.MultiIndex.from_product([["DLC_bench"], parts, ["x", "y", "likelihood"]],
                                          names=["scorer", "bodyparts", "coords"])
        values = np.concatenate([xy, np.full((T, J, 1), 0.9)], axis=-1).reshape(T, 3 * J)
        pd.DataFrame(values, columns=cols).to_hdf(path, key="df_with_missing", format="table", mode="w")
    elif fmt == "slp":
        graph = {"directed": True, "graph": {"name": "animal"}, "links": [], "multigraph": True,
                 "nodes": [{"id": j} for j in range(J)]}
        meta = {"version": "2.0.0", "skeletons": [graph], "nodes": [{"name": n, "weight": 1.0} for n in parts]}
        frames = np.zeros(T, dtype=[("frame_id", "<u8"), ("video", "<u4"), ("frame_idx", "<u8"),
                                    ("instance_id_start", "<u8"), ("instance_id_end", "<u8")])
        frames["frame_id"] = frames["frame_idx"] = frames["instance_id_start"] = np.arange(T)
        frames["instance_id_end"] = np.arange(T) + 1
        inst = np.zeros(T, dtype=[("instance_id", "<i8"), ("instance_type", "u1"), ("frame_id", "<u8"),
                                  ("skeleton", "<u4"), ("track", "<i4"), ("from_predicted", "<i8"), ("score", "<f4"),
                                  ("point_id_start", "<u8"), ("point_id_end", "<u8"), ("tracking_score", "<f4")])
        inst["instance_id"] = inst["frame_id"] = np.arange(T)
        inst["instance_type"], inst["from_predicted"], inst["score"] = 1, -1, 0.9
        inst["point_id_start"], inst["point_id_end"] = np.arange(T) * J, np.arange(T) * J + J
        pts = np.zeros(T * J, dtype=[("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?"),
                                     ("score", "<f8")])
        pts["x"], pts["y"], pts["visible"], pts["score"] = xy[..., 0].ravel(), xy[..., 1].ravel(), True, 0.9
        with h5py.File(path, "w") as f:
            f.create_group("metadata").attrs["json"] = np.bytes_(json.dumps(meta).encode())
            f["metadata"].attrs["format_id"] = 1.4
            f["frames"], f["instances"], f["pred_points"] = frames, inst, pts
            f.create_dataset("tracks_json", data=[json.dumps([0, "animal"])], dtype=h5py.string_dtype())
    else:
        with h5py.File(path, "w") as f:
            g = f.create_group("processing/behavior/PoseEstimation")
            g.attrs["neurodata_type"] = "PoseEstimation"
            for j, n in enumerate(parts):
                s = g.create_group(n)
                s.attrs["neurodata_type"] = "PoseEstimationSeries"
                s["data"], s["confidence"], s["starting_time"] = xy[:, j], np.full(T, 0.9), 0.0
                s["starting_time"].attrs["rate"] = 30.0


#: the markers of Vicon's Plug-in Gait full-body model (39)
PLUG_IN_GAIT = ("LFHD RFHD LBHD RBHD C7 T10 CLAV STRN RBAK LSHO LUPA LELB LFRM LWRA LWRB LFIN RSHO RUPA RELB RFRM RWRA "
                "RWRB RFIN LASI RASI LPSI RPSI LTHI LKNE LTIB LANK LHEE LTOE RTHI RKNE RTIB RANK RHEE RTOE").split()


def write_c3d_file(path, labels: list[str], frames: int, rate: float, pose) -> None:
    """A C3D file (Intel, float data, millimetres) of ``pose(f)`` ``(M, 3)`` per frame and two analog channels,
    written a few thousand frames at a time: the header, a parameter section (POINT: USED, SCALE, RATE, LABELS,
    UNITS; ANALOG: USED; TRIAL: ACTUAL_START_FIELD / ACTUAL_END_FIELD for more than 65,535 frames) and the data."""
    import struct

    M, A = len(labels), 2

    def param(name: str, gid: int, kind: int, dims: list[int], data: bytes) -> bytes:
        body = struct.pack("<bB", kind, len(dims)) + bytes(dims) + data + b"\0"
        return struct.pack("<bb", len(name), gid) + name.encode() + struct.pack("<h", 2 + len(body)) + body

    width = max(map(len, labels))
    section = b"".join([
        struct.pack("<bb", 5, -1) + b"POINT" + struct.pack("<h", 3) + b"\0",
        struct.pack("<bb", 6, -2) + b"ANALOG" + struct.pack("<h", 3) + b"\0",
        struct.pack("<bb", 5, -3) + b"TRIAL" + struct.pack("<h", 3) + b"\0",
        param("USED", 1, 2, [], struct.pack("<h", M)), param("SCALE", 1, 4, [], struct.pack("<f", -0.1)),
        param("RATE", 1, 4, [], struct.pack("<f", rate)),
        param("LABELS", 1, -1, [width, M], b"".join(n.ljust(width).encode() for n in labels)),
        param("UNITS", 1, -1, [2], b"mm"), param("USED", 2, 2, [], struct.pack("<h", A)),
        param("ACTUAL_START_FIELD", 3, 2, [2], struct.pack("<HH", 1, 0)),
        param("ACTUAL_END_FIELD", 3, 2, [2], struct.pack("<HH", frames & 0xFFFF, frames >> 16)), b"\0\0"])
    blocks = -(-(len(section) + 4) // 512)
    section = (bytes([1, 0x50, blocks, 84]) + section).ljust(blocks * 512, b"\0")
    header = bytearray(512)
    header[0:2] = bytes([2, 0x50])
    header[2:12] = struct.pack("<HHHHH", M, A, 1, min(frames, 65535), 10)
    header[12:16], header[16:20], header[20:24] = struct.pack("<f", -0.1), struct.pack("<HH", 2 + blocks, 1), \
        struct.pack("<f", rate)
    with open(path, "wb") as fh:
        fh.write(bytes(header) + section)
        for a in range(0, frames, 4096):
            chunk = np.zeros((min(4096, frames - a), M * 4 + A), dtype="<f4")
            for k in range(len(chunk)):
                chunk[k, :M * 4].reshape(M, 4)[:, :3] = pose(a + k)
            fh.write(chunk.tobytes())


def _bvh(args: argparse.Namespace) -> int:
    import gzip
    import os
    import tempfile
    from pathlib import Path

    source = Path(args.bvh_source)
    if not source.is_file():
        print(f"error: {source} not found; give a BVH with --bvh-source", file=sys.stderr)
        return 2
    with (gzip.open(source, "rt") if source.name.endswith(".gz") else open(source)) as fh:
        lines = fh.read().splitlines()
    at = next(k for k, line in enumerate(lines) if line.strip().upper() == "MOTION")
    frames = [line for line in lines[at + 3:] if line.strip()]
    loop = frames + frames[-2:0:-1]  # forwards, then backwards: no jump where it repeats
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "hour.bvh", Path(tmp) / "refined.bvh"
        with open(src, "w") as fh:
            fh.write("\n".join(lines[:at]) + f"\nMOTION\nFrames: {args.frames}\nFrame Time: {1 / args.rate:.8f}\n")
            for f in range(args.frames):
                fh.write(loop[f % len(loop)] + "\n")
        del lines, frames, loop
        size = os.path.getsize(src) / 2**20
        summary, seconds, before, peak = _timed_refine(src, dst)
        assert os.path.getsize(dst) > 0.5 * os.path.getsize(src)
    rate = f" --rate {args.rate:g}" if args.rate != 30.0 else ""
    return _report(f"--bvh --bvh-source {args.bvh_source}{rate} --frames {args.frames}", args.frames,
                   f"of {source.name} looped (a BVH of {size:,.0f} MiB, read, its rotations",
                   summary, seconds, before, peak)


def _rotations(args: argparse.Namespace) -> int:
    from synsp.data.corpus import load_corpus
    from synsp.noise import simulate
    from synsp.rotations import refine_rotations, rotation_filter

    J = args.rotation_joints
    if not 1 <= J <= 24:
        print("--rotation-joints must be 1..24 (SMPL's joints)", file=sys.stderr)
        return 2
    clips = [c.rotations for c in load_corpus(skeleton="h36m17", phases="first", rotations=True)]
    track = np.concatenate(clips * (args.frames // sum(len(c) for c in clips) + 1))[: args.frames].astype(np.float64)
    noisy = simulate(track, "3dpw-spin-like", skeleton="smpl24", fps=30, seed=0, representation="rotations").pred
    noisy = np.ascontiguousarray(noisy[:, :J])
    refiner = rotation_filter(None if args.model == "default" else args.model, J)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    out = refine_rotations(noisy, refiner, fps=30)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert out.shape == noisy.shape and np.isfinite(out).all()
    print(f"# reproduce: python benchmarks/long_input.py --model {args.model} --frames {args.frames} "
          f"--rotation-joints {J}")
    print(f"{args.frames} frames x {J} joint rotations with {refiner.name}: {seconds:.1f} s "
          f"({args.frames / seconds:,.0f} frames/s), peak RSS {peak:.0f} MiB (before refining: {before:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
