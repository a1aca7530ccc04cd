"""Scores follow the labels the repair gives back (``synsp refine`` relabelling a left/right inversion).

A walker whose legs are inverted over frames 30-59 (the detector's scores travel with its detections, so they
are inverted with them) is written in each format that keeps a score per keypoint, refined with ``butterworth``
and written back by the format's own writer.  The written scores must be the refined tracks' scores: exchanged
at the relabelled joints (each the other side's literal, as the file spelt it) and unchanged everywhere else; a
file without an inversion keeps every score literal as it was.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from synsp.api import refine_pose_file
from synsp.io.tracks import read_pose_file, write_pose_file
from synsp.repair import limb_groups
from synsp.skeletons import get_skeleton

T, A, B, FPS = 90, 30, 60, 30.0
COCO = get_skeleton("coco17").joints


# --------------------------------------------------------------------------------------------- the walker


def _coco17() -> np.ndarray:
    """``(T, 17, 2)`` pixels of a person facing the camera (their left at +x), walking to the right."""
    t = np.arange(T) / FPS
    sw = np.sin(2 * np.pi * t)
    x = np.zeros((T, 17, 2))
    left = {0: (0, 150), 1: (8, 140), 3: (16, 145), 5: (45, 220), 7: (55 + 10 * sw, 300), 9: (60 + 20 * sw, 370),
            11: (25, 400), 13: (30 + 15 * sw, 500), 15: (32 + 30 * sw, 600)}
    for j, (dx, y) in left.items():
        x[:, j] = np.stack(np.broadcast_arrays(300 + 40 * t + dx, y), -1)
        if j:  # its right-side partner, mirrored
            x[:, j + 1] = np.stack(np.broadcast_arrays(300 + 40 * t - dx, y), -1)
    return x


def _body(skeleton: str) -> np.ndarray:
    """The walker in ``skeleton``'s joints: points beyond COCO's 17 near the joint they belong to (feet at the
    ankles, face at the nose, hands at the wrists), a left point on the person's left (+x) of its right partner."""
    base = _coco17()
    if skeleton == "coco17":
        return base
    J = len(get_skeleton(skeleton).joints)
    side = np.zeros(J)  # +1 left, -1 right, 0 middle
    for pairs in limb_groups(skeleton).values():
        for a, b in pairs:
            side[a], side[b] = 1, -1
    if skeleton == "mediapipe33":
        anchor = [0, 1, 1, 1, 2, 2, 2, 3, 4, 0, 0, 5, 6, 7, 8, 9, 10, 9, 10, 9, 10, 9, 10, 11, 12, 13, 14, 15, 16,
                  15, 16, 15, 16]
    else:  # coco133: body, feet, face, left hand, right hand
        anchor = list(range(17)) + [15, 15, 15, 16, 16, 16] + [0] * 68 + [9] * 21 + [10] * 21
    x = base[:, anchor].copy()
    k = np.arange(J)
    extra = k >= (17 if skeleton == "coco133" else 0)
    x[:, extra, 0] += (side * (2 + k % 7))[extra]
    x[:, extra, 1] += (3 + k % 5)[extra]
    return x


def _inverted(x: np.ndarray, skeleton: str, groups=("legs",)) -> np.ndarray:
    """``x`` ``(T, J, ...)`` with each group's left and right exchanged over frames A:B."""
    y = x.copy()
    for g in groups:
        pairs = np.asarray(limb_groups(skeleton)[g])
        y[A:B, pairs[:, 0]], y[A:B, pairs[:, 1]] = x[A:B, pairs[:, 1]], x[A:B, pairs[:, 0]]
    return y


def _scores(J: int) -> np.ndarray:
    """``(T, J)`` distinct scores per joint (and a little per frame), four decimals; the left knee's 1."""
    s = np.round(0.5 + 0.45 * np.arange(J) / J + 0.0001 * (np.arange(T)[:, None] % 9), 4)
    s[:, 13] = 1.0
    return s


# --------------------------------------------------------------------------------------------- the formats
# each: (skeleton, make(folder, x, s) -> path, cells(path) -> (T, J) of the scores as the file spells them, output)


def _xy(p):
    """A point's x and y as CSV cells."""
    return repr(float(p[0])), repr(float(p[1]))


def _dump(path, doc):
    path.write_text(json.dumps(doc))
    return path


def _mmpose1(d, x, s):
    return _dump(d / "in.json", [{"frame_id": t, "instances": [{"keypoints": x[t].tolist(), "keypoint_scores":
                                  s[t].tolist(), "bbox": [[0, 0, 1, 1]], "track_id": 0}]} for t in range(T)])


def _mmpose1_cells(p):
    return [[repr(v) for v in fr["instances"][0]["keypoint_scores"]] for fr in json.loads(p.read_text())]


def _mmpose0(d, x, s):
    return _dump(d / "in.json", [[{"keypoints": np.c_[x[t], s[t]].tolist(), "track_id": 0}] for t in range(T)])


def _mmpose0_cells(p):
    return [[repr(r[-1]) for r in fr[0]["keypoints"]] for fr in json.loads(p.read_text())]


def _coco_results(d, x, s):
    return _dump(d / "in.json", [{"image_id": t, "category_id": 1, "keypoints": np.c_[x[t], s[t]].ravel().tolist(),
                                  "score": 0.9} for t in range(T)])


def _coco_results_cells(p):
    return [[repr(v) for v in e["keypoints"][2::3]] for e in json.loads(p.read_text())]


def _coco_annotations(d, x, s):
    # the whole-document layout; the scores of 1 as integers (COCO's flags): each literal kept as spelt
    anns = []
    for t in range(T):
        flat = np.c_[x[t], s[t]].ravel().tolist()
        flat[2::3] = [1 if v == 1 else v for v in flat[2::3]]
        anns.append({"image_id": t, "keypoints": flat, "track_id": 0, "num_keypoints": 17})
    return _dump(d / "in.json", {"images": [{"id": t, "file_name": f"{t}.jpg"} for t in range(T)],
                                 "annotations": anns})


def _coco_annotations_cells(p):
    return [[repr(v) for v in a["keypoints"][2::3]] for a in json.loads(p.read_text())["annotations"]]


_PARTS = (("keypoints", 17), ("foot_kpts", 6), ("face_kpts", 68), ("lefthand_kpts", 21), ("righthand_kpts", 21))


def _wholebody(d, x, s):
    items = []
    for t in range(T):
        e, start = {"image_id": t, "category_id": 1, "score": 0.9}, 0
        for key, n in _PARTS:
            e[key] = np.c_[x[t, start:start + n], s[t, start:start + n]].ravel().tolist()
            start += n
        items.append(e)
    return _dump(d / "in.json", items)


def _wholebody_cells(p):
    return [[repr(v) for key, _ in _PARTS for v in e[key][2::3]] for e in json.loads(p.read_text())]


def _openpose(d, x, s):
    folder = d / "in_op"
    folder.mkdir()
    for t in range(T):
        _dump(folder / f"clip_{t:012d}_keypoints.json",
              {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": np.c_[x[t], s[t]].ravel().tolist(),
                                           "face_keypoints_2d": [], "pose_keypoints_3d": []}]})
    return folder


def _openpose_cells(p):
    return [[repr(v) for v in json.loads(f.read_text())["people"][0]["pose_keypoints_2d"][2::3]]
            for f in sorted(p.glob("*_keypoints.json"))]


def _yolo(d, x, s):
    folder = d / "in_yolo"
    folder.mkdir()
    n = x / 1000.0  # normalised to a 1000 x 1000 image
    for t in range(T):
        lo, hi = n[t].min(0), n[t].max(0)
        box = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[0] - lo[0], hi[1] - lo[1]]
        kp = " ".join(f"{a:g} {b:g} {c:.4f}" for (a, b), c in zip(n[t], s[t]))
        (folder / f"clip_{t + 1}.txt").write_text("0 " + " ".join(f"{v:g}" for v in box) + " " + kp + "\n")
    return folder


def _yolo_cells(p):
    files = sorted(p.glob("clip_*.txt"), key=lambda f: int(f.stem.split("_")[1]))
    return [f.read_text().split()[7:5 + 3 * 17:3] for f in files]


def _dlc(d, x, s):
    p = d / "inDLC.csv"
    cols = [c for j in COCO for c in (j, j, j)]
    rows = [["scorer"] + ["DLC"] * len(cols), ["bodyparts"] + cols, ["coords"] + ["x", "y", "likelihood"] * 17]
    rows += [[str(t)] + [c for j in range(17) for c in (*_xy(x[t, j]), f"{s[t, j]:.4f}")] for t in range(T)]
    with open(p, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return p


def _dlc_cells(p):
    with open(p, newline="") as fh:
        rows = list(csv.reader(fh))
    return [r[3:52:3] for r in rows[3:]]


def _dlc_h5(d, x, s):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("tables")
    keys, cols = [], []
    for j, name in enumerate(COCO):
        for c, v in zip(("x", "y", "likelihood"), (x[:, j, 0], x[:, j, 1], s[:, j])):
            keys.append(("DLC", name, c))
            cols.append(v)
    df = pd.DataFrame(np.stack(cols, 1).astype(np.float32),
                      columns=pd.MultiIndex.from_tuples(keys, names=["scorer", "bodyparts", "coords"]))
    df.to_hdf(d / "inDLC.h5", key="df_with_missing", format="table", mode="w")
    return d / "inDLC.h5"


def _dlc_h5_cells(p):
    import pandas as pd

    return pd.read_hdf(p, "df_with_missing").xs("likelihood", axis=1, level="coords").to_numpy()


def _h5py():
    return pytest.importorskip("h5py")


def _slp(d, x, s):
    h5py = _h5py()
    nodes = [{"name": n, "weight": 1.0} for n in COCO]
    graph = {"directed": True, "graph": {"name": "person"}, "links": [], "multigraph": True,
             "nodes": [{"id": i} for i in range(17)]}
    meta = {"version": "2.0.0", "skeletons": [graph], "nodes": nodes, "videos": [], "tracks": []}
    frames = np.array([(t, 0, t, t, t + 1) for t in range(T)],
                      dtype=[("frame_id", "<u8"), ("video", "<u4"), ("frame_idx", "<u8"), ("instance_id_start", "<u8"),
                             ("instance_id_end", "<u8")])
    inst = np.array([(t, 1, t, 0, 0, -1, 0.9, 17 * t, 17 * t + 17, 0.5) for t in range(T)],
                    dtype=[("instance_id", "<i8"), ("instance_type", "u1"), ("frame_id", "<u8"), ("skeleton", "<u4"),
                           ("track", "<i4"), ("from_predicted", "<i8"), ("score", "<f4"), ("point_id_start", "<u8"),
                           ("point_id_end", "<u8"), ("tracking_score", "<f4")])
    pred = np.array([(x[t, j, 0], x[t, j, 1], True, False, s[t, j]) for t in range(T) for j in range(17)],
                    dtype=[("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?"), ("score", "<f4")])
    with h5py.File(d / "in.slp", "w") as f:
        f.create_group("metadata")
        f["metadata"].attrs["format_id"] = 1.4
        f["metadata"].attrs["json"] = np.bytes_(json.dumps(meta).encode())
        f["frames"], f["instances"], f["pred_points"] = frames, inst, pred
        f["points"] = np.zeros(0, dtype=[("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?")])
        f.create_dataset("tracks_json", data=[json.dumps([0, "person"])], dtype=h5py.string_dtype())
    return d / "in.slp"


def _slp_cells(p):
    with _h5py().File(p, "r") as f:
        return f["pred_points"]["score"].reshape(T, 17)


def _analysis(d, x, s):
    with _h5py().File(d / "in.h5", "w") as f:
        f["tracks"] = x.transpose(2, 1, 0)[None]  # (tracks, 2, nodes, frames)
        f["point_scores"] = s.T[None].astype(np.float32)  # (tracks, nodes, frames)
        f["node_names"] = np.array([n.encode() for n in COCO])
        f["track_names"] = np.array([b"person"])
    return d / "in.h5"


def _analysis_cells(p):
    with _h5py().File(p, "r") as f:
        return f["point_scores"][0].T


def _nwb(d, x, s):
    h5py = _h5py()
    with h5py.File(d / "in.nwb", "w") as f:
        f.attrs["neurodata_type"] = "NWBFile"
        g = f.create_group("processing/behavior/PoseEstimation_person")
        f["processing/behavior"].attrs["neurodata_type"] = "ProcessingModule"
        g.attrs["neurodata_type"] = "PoseEstimation"
        g["nodes"] = np.array(COCO, dtype=object).astype(h5py.string_dtype())
        for j, name in enumerate(COCO):
            series = g.create_group(name)
            series.attrs["neurodata_type"] = "PoseEstimationSeries"
            series["data"] = x[:, j]
            series["data"].attrs["unit"] = "pixels"
            series["confidence"] = s[:, j]
            series["starting_time"] = 0.0
            series["starting_time"].attrs["rate"] = FPS
    return d / "in.nwb"


def _nwb_cells(p):
    with _h5py().File(p, "r") as f:
        g = f["processing/behavior/PoseEstimation_person"]
        return np.stack([g[name]["confidence"][()] for name in COCO], 1)


def _mediapipe_npz(d, x, s):
    lm = np.concatenate([x, np.zeros(x.shape[:2] + (1,)), s[..., None]], -1).astype(np.float32)  # x, y, z, vis
    np.savez(d / "in.npz", landmarks=lm[:, None], units=np.array("px"))
    return d / "in.npz"


def _mediapipe_npz_cells(p):
    return np.load(p)["landmarks"][:, 0, :, 3]


def _mediapipe_wide(d, x, s):
    with open(d / "in.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["frame"] + [f"{ch}_{j}" for j in range(33) for ch in ("x", "y", "z", "visibility")])
        for t in range(T):
            w.writerow([t] + [c for j in range(33) for c in (*_xy(x[t, j]), "0", f"{s[t, j]:.4f}")])
    return d / "in.csv"


def _mediapipe_wide_cells(p):
    with open(p, newline="") as fh:
        return [r[4::4] for r in list(csv.reader(fh))[1:]]


def _mediapipe_long(d, x, s):
    with open(d / "in.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["frame", "person", "landmark", "x", "y", "z", "visibility", "note"])
        for t in range(T):
            for j in range(33):
                w.writerow([t, 0, j, *_xy(x[t, j]), "0", f"{s[t, j]:.4f}", f"kept-{t}-{j}"])
    return d / "in.csv"


def _mediapipe_long_cells(p):
    with open(p, newline="") as fh:
        return [[r[6] for r in rows] for rows in np.array(list(csv.reader(fh))[1:], dtype=object).reshape(T, 33, -1)]


def _array(d, x, s):
    np.savez(d / "in.npz", keypoints=x.astype(np.float32), scores=s.astype(np.float32))
    return d / "in.npz"


def _array_cells(p):
    return np.load(p)["scores"]


CASES = {
    "mmpose1": ("coco17", _mmpose1, _mmpose1_cells, "out.json"),
    "mmpose0": ("coco17", _mmpose0, _mmpose0_cells, "out.json"),
    "coco-results": ("coco17", _coco_results, _coco_results_cells, "out.json"),
    "coco-annotations": ("coco17", _coco_annotations, _coco_annotations_cells, "out.json"),
    "coco-wholebody": ("coco133", _wholebody, _wholebody_cells, "out.json"),
    "openpose": ("coco17", _openpose, _openpose_cells, "out_op"),
    "yolo": ("coco17", _yolo, _yolo_cells, "out_yolo"),
    "deeplabcut-csv": ("coco17", _dlc, _dlc_cells, "outDLC.csv"),
    "deeplabcut-h5": ("coco17", _dlc_h5, _dlc_h5_cells, "outDLC.h5"),
    "sleap-slp": ("coco17", _slp, _slp_cells, "out.slp"),
    "sleap-analysis": ("coco17", _analysis, _analysis_cells, "out.h5"),
    "nwb": ("coco17", _nwb, _nwb_cells, "out.nwb"),
    "mediapipe-npz": ("mediapipe33", _mediapipe_npz, _mediapipe_npz_cells, "out.npz"),
    "mediapipe-wide-csv": ("mediapipe33", _mediapipe_wide, _mediapipe_wide_cells, "out.csv"),
    "mediapipe-long-csv": ("mediapipe33", _mediapipe_long, _mediapipe_long_cells, "out.csv"),
    "array-npz": ("coco17", _array, _array_cells, "out.npz"),
}


def _refined(tmp_path, case, inverted: bool):
    """The case's file of the walker (legs inverted over A:B or not) refined and written back: ``(cells read,
    cells written, the frames the repair relabelled per group, skeleton)``."""
    skeleton, make, cells, out = CASES[case]
    x, s = _body(skeleton), _scores(len(get_skeleton(skeleton).joints))
    groups = ("legs", "arms") if skeleton == "coco133" else ("legs",)  # whole body: hands cross its parts
    if inverted:
        x, s = _inverted(x, skeleton, groups), _inverted(s, skeleton, groups)
    src = make(tmp_path, x, s)
    pf = read_pose_file(src, **({"skeleton": skeleton} if case == "array-npz" else {}))
    assert pf.skeleton == skeleton and len(pf.tracks) == 1
    refined, summary = refine_pose_file(pf, model="butterworth", fps=FPS)
    written = write_pose_file(tmp_path / out, refined)
    relabelled = summary["relabelled_frames"].get(pf.tracks[0].track_id, {})
    for g in groups if inverted else ():
        assert set(range(A, B)) <= set(np.asarray(relabelled.get(g, ())).tolist()), (g, relabelled)  # undone
    return _as_cells(cells(src)), _as_cells(cells(written)), relabelled, skeleton


def _as_cells(values):
    """A binary file's ``(T, J)`` values in their own dtype; a text file's literals as an object array."""
    return values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)


@pytest.mark.parametrize("case", list(CASES))
def test_relabelled_joints_are_written_with_the_scores_of_their_detections(tmp_path, case):
    before, after, relabelled, skeleton = _refined(tmp_path, case, inverted=True)
    assert before.shape == after.shape == (T, len(get_skeleton(skeleton).joints))
    expected = before.copy()  # each relabelled joint: the other side's score as the file spelt it
    for g, frames in relabelled.items():
        pairs = np.asarray(limb_groups(skeleton)[g])
        expected[np.ix_(frames, pairs[:, 0])] = before[np.ix_(frames, pairs[:, 1])]
        expected[np.ix_(frames, pairs[:, 1])] = before[np.ix_(frames, pairs[:, 0])]
    legs = np.asarray(limb_groups(skeleton)["legs"])
    assert (after[A:B, legs[:, 0]] == before[A:B, legs[:, 1]]).all()  # exchanged ...
    assert (after[A:B, legs[:, 1]] == before[A:B, legs[:, 0]]).all()
    assert (after[A:B, legs[:, 0]] != before[A:B, legs[:, 0]]).all()  # ... which they were not before
    assert (after == expected).all()  # and every other score as it was


@pytest.mark.parametrize("case", list(CASES))
def test_a_file_without_an_inversion_keeps_every_score_as_it_was(tmp_path, case):
    before, after, relabelled, _ = _refined(tmp_path, case, inverted=False)
    assert relabelled == {}
    assert after.dtype == before.dtype and (after == before).all()  # literals, or values in the file's dtype


def test_a_score_the_file_does_not_hold_is_written_as_a_number_in_the_files_style(tmp_path):
    import dataclasses

    x, s = _body("coco17"), np.ones((T, 17))  # COCO's flags: every score the integer 1
    pf = read_pose_file(_coco_annotations(tmp_path, x, s))
    track = pf.tracks[0]
    scores = track.scores.copy()
    scores[5, 0], scores[6, 1], scores[7, 2] = 2.0, 0.25, np.nan  # none of them in the file
    pf = dataclasses.replace(pf, tracks=[dataclasses.replace(track, scores=scores)])
    cells = np.asarray(_coco_annotations_cells(write_pose_file(tmp_path / "out.json", pf)), dtype=object)
    assert (cells[5, 0], cells[6, 1], cells[7, 2]) == ("2", "0.25", "None")  # an integer file's whole number: 2
    cells[5, 0] = cells[6, 1] = cells[7, 2] = "1"
    assert (cells == "1").all()
