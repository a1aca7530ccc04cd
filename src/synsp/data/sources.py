"""Where synsp's real motion comes from, and how each source's skeleton maps to landmarks.

Sources (see ``ATTRIBUTION.md`` in this folder for licences and citations):

* ``cmu_mocap``: the CMU Graphics Lab clips beside the project in
  ``../shared/data/cmu_mocap`` (or ``$SYNSP_CMU_MOCAP``), in four formats:
  original ASF/AMC, BVH retargeted to the Character Creator rig, BVH on one
  DAZ-style rig (salsa, Indian dance, martial arts), exp-map CSV on a 38-joint
  tree.  Its ``manifest.csv`` gives the true frame rate, rest frames and
  duplicates of every clip.
* ``assimp``: Debian package ``assimp-testmodels`` (``Boxing_Toes.bvh``; its
  two CMU files duplicate ``asf_amc/01`` and are skipped).
* ``holosoma``: PyPI ``holosoma-retargeting==0.1.0`` (five optical-mocap climbs,
  joint positions only, z-up).

Each source format has a table from the 19 landmarks of
:mod:`synsp.data.retarget` to its own joint names, and names the joint whose
global rotation turns the head (``None`` for position-only data).  Rigs with no
point at the top of the head get one at ``1.8 x`` the neck length above the
skull base along the head segment's rest "up" axis (``y``), documented per rig.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io.asf_amc import read_asf_amc
from ..io.bvh import read_bvh
from ..io.expmap import read_expmap
from ..validation import SynspInputError
from ..skeletons import get_skeleton
from .retarget import LANDMARKS

SMPL_JOINTS = get_skeleton("smpl24").joints

__all__ = ["RawClip", "ClipData", "RIGS", "find_cmu_mocap", "list_clips", "load_clip"]


@dataclass(frozen=True)
class Rig:
    """How one skeleton format's joints give the landmarks."""

    landmarks: dict[str, str]  # landmark -> joint name ("" = virtual head top)
    head_joint: str | None  # joint whose global rotation is the head segment's
    up_axis: str = "y"
    smpl: dict[str, str] | None = None  # SMPL joint -> rig joint whose rotation turns that segment


def _lr(table: dict[str, str]) -> dict[str, str]:
    """Expand ``{side}`` templates into left and right entries."""
    out = {}
    for key, value in table.items():
        if "{side}" in key:
            for side, short, cap in (("left", "l", "Left"), ("right", "r", "Right")):
                out[key.format(side=side)] = value.format(s=short, S=cap, C=cap[0])
        else:
            out[key] = value
    return out


RIGS: dict[str, Rig] = {
    # CMU ASF/AMC: points are bone ENDS (the end of lfemur is the knee).
    "asf_amc": Rig(_lr({
        "{side}_hip": "{s}hipjoint", "{side}_knee": "{s}femur", "{side}_ankle": "{s}tibia",
        "{side}_toe": "{s}foot", "neck_base": "thorax", "skull_base": "upperneck", "head_top": "head",
        "{side}_shoulder": "{s}clavicle", "{side}_elbow": "{s}humerus", "{side}_wrist": "{s}radius",
        "{side}_hand": "{s}hand",
    }), head_joint="head", smpl=_lr({
        "pelvis": "root", "{side}_hip": "{s}femur", "{side}_knee": "{s}tibia", "{side}_ankle": "{s}foot",
        "{side}_foot": "{s}toes", "spine1": "lowerback", "spine2": "upperback", "spine3": "thorax",
        "neck": "lowerneck", "head": "head", "{side}_collar": "{s}clavicle", "{side}_shoulder": "{s}humerus",
        "{side}_elbow": "{s}radius", "{side}_wrist": "{s}wrist", "{side}_hand": "{s}hand",
    })),
    # CMU exp-map tree of Li et al. 2018 (points are joints; rotation of joint i turns its children).
    "expmap": Rig(_lr({
        "{side}_hip": "{s}hip", "{side}_knee": "{s}knee", "{side}_ankle": "{s}ankle",
        "{side}_toe": "{s}toebase", "neck_base": "thorax_end", "skull_base": "upperneck_end",
        "head_top": "head_top", "{side}_shoulder": "{s}shoulder", "{side}_elbow": "{s}elbow",
        "{side}_wrist": "{s}wrist", "{side}_hand": "{s}hand_end",
    }), head_joint="upperneck_end", smpl=_lr({
        "pelvis": "root", "{side}_hip": "{s}hip", "{side}_knee": "{s}knee", "{side}_ankle": "{s}ankle",
        "{side}_foot": "{s}toebase", "spine1": "spine_base", "spine2": "lowerback_end",
        "spine3": "upperback_end", "neck": "thorax_end", "head": "upperneck_end",
        "{side}_collar": "{s}clavicle_base", "{side}_shoulder": "{s}shoulder", "{side}_elbow": "{s}elbow",
        "{side}_wrist": "{s}wrist", "{side}_hand": "{s}wrist_end",
    })),
    # Character Creator rig (bvh_cc_retarget): no head-top point -> virtual.  Its zero pose is
    # not a body posture (every bone points up), so it gives no SMPL rotations.
    "bvh_cc": Rig(_lr({
        "{side}_hip": "CC_Base_{C}_Thigh", "{side}_knee": "CC_Base_{C}_Calf",
        "{side}_ankle": "CC_Base_{C}_Foot", "{side}_toe": "CC_Base_{C}_ToeBase",
        "neck_base": "CC_Base_NeckTwist01", "skull_base": "CC_Base_Head", "head_top": "",
        "{side}_shoulder": "CC_Base_{C}_Upperarm", "{side}_elbow": "CC_Base_{C}_Forearm",
        "{side}_wrist": "CC_Base_{C}_Hand", "{side}_hand": "CC_Base_{C}_Mid1",
    }), head_joint="CC_Base_Head"),
    # DAZ-style rig of the acLSTM files: no head-top point -> virtual.
    "bvh_daz": Rig(_lr({
        "{side}_hip": "{s}Thigh", "{side}_knee": "{s}Shin", "{side}_ankle": "{s}Foot",
        "{side}_toe": "{s}Foot_end", "neck_base": "neck", "skull_base": "head", "head_top": "",
        "{side}_shoulder": "{s}Shldr", "{side}_elbow": "{s}ForeArm", "{side}_wrist": "{s}Hand",
        "{side}_hand": "{s}Mid1",
    }), head_joint="head", smpl=_lr({
        "pelvis": "hip", "{side}_hip": "{s}Thigh", "{side}_knee": "{s}Shin", "{side}_ankle": "{s}Foot",
        "{side}_foot": "{s}Foot", "spine1": "abdomen", "spine2": "chest", "spine3": "chest", "neck": "neck",
        "head": "head", "{side}_collar": "{s}Collar", "{side}_shoulder": "{s}Shldr", "{side}_elbow": "{s}ForeArm",
        "{side}_wrist": "{s}Hand", "{side}_hand": "{s}Mid1",
    })),
    # assimp Boxing_Toes.bvh (21 joints).
    "bvh_boxing": Rig(_lr({
        "{side}_hip": "{S}Hip", "{side}_knee": "{S}Knee", "{side}_ankle": "{S}Ankle",
        "{side}_toe": "{S}Toes", "neck_base": "Neck", "skull_base": "Head", "head_top": "Head_end",
        "{side}_shoulder": "{S}Shoulder", "{side}_elbow": "{S}Elbow", "{side}_wrist": "{S}Wrist",
        "{side}_hand": "{S}Wrist_end",
    }), head_joint="Head", smpl=_lr({
        "pelvis": "Hips", "{side}_hip": "{S}Hip", "{side}_knee": "{S}Knee", "{side}_ankle": "{S}Ankle",
        "{side}_foot": "{S}Toes", "spine1": "Ab", "spine2": "Chest", "spine3": "Chest", "neck": "Neck",
        "head": "Head", "{side}_collar": "{S}Collar", "{side}_shoulder": "{S}Shoulder",
        "{side}_elbow": "{S}Elbow", "{side}_wrist": "{S}Wrist", "{side}_hand": "{S}Wrist",
    })),
    # holosoma optical mocap: positions only, z-up; no head-top point -> virtual along neck->head.
    "holosoma": Rig(_lr({
        "{side}_hip": "{S}UpLeg", "{side}_knee": "{S}Leg", "{side}_ankle": "{S}Foot",
        "{side}_toe": "{S}ToeBase", "neck_base": "Neck", "skull_base": "Head", "head_top": "",
        "{side}_shoulder": "{S}Arm", "{side}_elbow": "{S}ForeArm", "{side}_wrist": "{S}Hand",
        "{side}_hand": "{S}HandMiddle1",
    }), head_joint=None, up_axis="z"),
}

#: holosoma's joint order (MOCAP_DEMO_JOINTS of holosoma-retargeting 0.1.0)
HOLOSOMA_JOINTS = (
    ["Hips", "Spine", "Spine1", "Neck", "Head"]
    + [f"{s}{j}" for s in ("Left", "Right") for j in (
        ["Shoulder", "Arm", "ForeArm", "Hand"]
        + [f"Hand{f}{k}" for f in ("Thumb", "Index", "Middle", "Ring", "Pinky") for k in (1, 2, 3)])]
    + [f"{s}{j}" for s in ("Left", "Right") for j in ("UpLeg", "Leg", "Foot", "ToeBase")]
    + ["LeftFootMod", "RightFootMod"]
)

HEAD_TOP_NECKS = 1.8  # virtual head top: this many neck lengths above the skull base


@dataclass
class RawClip:
    """One take from one source, before cleaning: landmarks in metres, y-up, native fps."""

    clip_id: str  # unique, e.g. "cmu_mocap/asf_amc/01/01_01"
    take: str  # the take it belongs to (duplicates and salsa partners share one)
    source: str  # "cmu_mocap", "assimp", "holosoma"
    rig: str  # key of RIGS
    path: str
    fps: float
    description: str
    drop_first: bool = False  # frame 0 is a rest pose / T-pose
    skip: bool = False  # a duplicate of a take kept elsewhere
    extra: dict = field(default_factory=dict)


def find_cmu_mocap(explicit: str | os.PathLike | None = None) -> Path | None:
    """The ``cmu_mocap`` folder: argument, ``$SYNSP_CMU_MOCAP``, or ``../shared/data`` upwards."""
    candidates = [explicit, os.environ.get("SYNSP_CMU_MOCAP")]
    here = Path.cwd().resolve()
    for parent in [here, *here.parents]:
        candidates.append(parent / "shared" / "data" / "cmu_mocap")
        candidates.append(parent.parent / "shared" / "data" / "cmu_mocap")
    for c in candidates:
        if c and (Path(c) / "manifest.csv").is_file():
            return Path(c)
    return None


# Keep the original-rate, non-retargeted copy of a duplicated take.
_PREFERENCE = {"asf_amc": 0, "expmap_li2018": 1, "bvh_daz_aclstm": 2, "bvh_cc_retarget": 3}
# CMU 07_10 is very probably expmap train/walking_extra/walking_13 (README: r = 0.95).
_PROBABLE_DUPLICATES = {"bvh_cc_retarget/007/007_10.bvh.gz": "expmap_li2018/train/walking_extra/walking_13.txt.gz"}


def _cmu_take(row: dict) -> str:
    path = row["path"]
    if row["cmu_subject"] and row["cmu_trial"]:
        return f"cmu:{int(row['cmu_subject']):02d}_{int(row['cmu_trial']):02d}"
    if row["group"] == "bvh_daz_aclstm":
        style, number = path.split("/")[1], int(Path(path).name.split(".")[0])
        if style == "salsa":  # files k and k+15 are the two partners of one take
            return f"cmu:salsa_take{(number - 1) % 15 + 1:02d}"
        return f"cmu:{style}_{number:02d}"
    return "cmu:" + path.split("/", 1)[1].split(".")[0]  # exp-map clips without CMU ids


def _cmu_clips(root: Path) -> list[RawClip]:
    rows = list(csv.DictReader(open(root / "manifest.csv", newline="")))
    by_path = {r["path"]: r for r in rows}
    twins: dict[str, str] = {}  # duplicated takes, in both directions
    for r in rows:
        twin = r["duplicate_of"] or _PROBABLE_DUPLICATES.get(r["path"], "")
        if twin in by_path:
            twins[r["path"]], twins[twin] = twin, r["path"]
    rig_of = {"asf_amc": "asf_amc", "expmap_li2018": "expmap",
              "bvh_cc_retarget": "bvh_cc", "bvh_daz_aclstm": "bvh_daz"}
    clips = []
    for r in rows:
        take, skip = _cmu_take(r), False
        twin = twins.get(r["path"])
        if twin:
            other = by_path[twin]
            skip = _PREFERENCE[r["group"]] > _PREFERENCE[other["group"]]
            take = min(take, _cmu_take(other))
        clips.append(RawClip(
            clip_id="cmu_mocap/" + r["path"].split(".")[0],
            take=take, source="cmu_mocap", rig=rig_of[r["group"]], path=str(root / r["path"]),
            fps=float(r["fps"]), description=r["description"],
            drop_first=r["first_frame_rest"] == "1" and r["group"] != "expmap_li2018",
            skip=skip,
        ))
    return clips


def _download_dir(cache: Path) -> Path:
    d = cache / "downloads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def fetch_assimp(cache: Path) -> Path | None:
    """Extract ``Boxing_Toes.bvh`` from Debian's ``assimp-testmodels`` (cached)."""
    target = _download_dir(cache) / "assimp" / "Boxing_Toes.bvh"
    if target.is_file():
        return target
    work = _download_dir(cache) / "assimp"
    work.mkdir(exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", "assimp-testmodels"], cwd=work, check=True,
                       capture_output=True, timeout=300)
        deb = next(work.glob("assimp-testmodels_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(work / "x")], check=True, capture_output=True)
        found = next((work / "x").rglob("Boxing_Toes.bvh"))
    except (OSError, subprocess.SubprocessError, StopIteration) as exc:
        print(f"synsp: skipping assimp-testmodels ({exc})", file=sys.stderr)
        return None
    found.replace(target)
    return target


def fetch_holosoma(cache: Path) -> list[Path]:
    """Extract the five climbing sequences from PyPI ``holosoma-retargeting==0.1.0`` (cached)."""
    work = _download_dir(cache) / "holosoma"
    done = sorted(work.glob("mocap_climb_seq_*.npy"))
    if len(done) == 5:
        return done
    work.mkdir(exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                        "holosoma-retargeting==0.1.0", "-d", str(work)],
                       check=True, capture_output=True, timeout=900)
        wheel = next(work.glob("holosoma_retargeting-0.1.0-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():  # .../climb/mocap_climb_seq_K/mocap_climb_seq_K_joint_positions_*.npy
                if "/demo_data/climb/" in name and "_joint_positions_" in name and name.endswith(".npy"):
                    stem = Path(name).name.split("_joint_positions_")[0]
                    (work / f"{stem}.npy").write_bytes(z.read(name))
        wheel.unlink()
    except (OSError, subprocess.SubprocessError, StopIteration, zipfile.BadZipFile) as exc:
        print(f"synsp: skipping holosoma-retargeting ({exc})", file=sys.stderr)
        return []
    return sorted(work.glob("mocap_climb_seq_*.npy"))


def list_clips(cmu_root: Path | None, cache: Path, external: bool = True) -> list[RawClip]:
    """Every clip of every reachable source (duplicates flagged ``skip``)."""
    clips: list[RawClip] = []
    if cmu_root is not None:
        clips += _cmu_clips(cmu_root)
    if external:
        boxing = fetch_assimp(cache)
        if boxing is not None:
            clips.append(RawClip("assimp/Boxing_Toes", "assimp:boxing_toes", "assimp", "bvh_boxing",
                                 str(boxing), 100.0, "boxing"))
        for p in fetch_holosoma(cache):
            clips.append(RawClip(f"holosoma/{p.stem}", f"holosoma:{p.stem}", "holosoma", "holosoma",
                                 str(p), 120.0, "climbing over boxes"))
    if not clips:
        raise SynspInputError(
            "no motion source found: put the CMU data at ../shared/data/cmu_mocap (or set "
            "SYNSP_CMU_MOCAP) and/or allow the Debian/PyPI downloads"
        )
    return clips


@dataclass
class ClipData:
    """What one clip gives the corpus: landmarks and, for rotation-bearing rigs, rotations."""

    landmarks: np.ndarray  # (T, 19, 3) metres, y-up
    head_rotation: np.ndarray | None  # (T, 3, 3) global rotation of the head segment
    smpl_global: np.ndarray | None  # (T, 24, 3, 3) global rotations of the rig joints SMPL maps to
    rest_landmarks: np.ndarray | None  # (19, 3) landmarks of the rig's zero-rotation pose


def _landmarks(positions: np.ndarray, rotations: np.ndarray, idx: dict[str, int], rig: Rig,
               neck_length: float) -> np.ndarray:
    out = np.empty((positions.shape[0], len(LANDMARKS), 3))
    for k, lm in enumerate(LANDMARKS):
        name = rig.landmarks[lm]
        if name:
            out[:, k] = positions[:, idx[name]]
        else:  # virtual head top along the head segment's rest "up" (y) axis
            skull = positions[:, idx[rig.landmarks["skull_base"]]]
            out[:, k] = skull + HEAD_TOP_NECKS * neck_length * rotations[:, idx[rig.head_joint], :, 1]
    return out


def load_clip(clip: RawClip) -> ClipData:
    """Read a clip: landmarks in metres, y-up, at ``clip.fps``, plus rotations where the rig has them."""
    rig = RIGS[clip.rig]
    if clip.rig == "holosoma":
        pos = np.load(clip.path, allow_pickle=False).astype(np.float64)
        pos = np.stack([pos[..., 0], pos[..., 2], -pos[..., 1]], axis=-1)  # z-up -> y-up
        idx = {n: i for i, n in enumerate(HOLOSOMA_JOINTS)}
        out = np.empty((pos.shape[0], len(LANDMARKS), 3))
        for k, lm in enumerate(LANDMARKS):
            out[:, k] = pos[:, idx[rig.landmarks[lm]]] if rig.landmarks[lm] else np.nan
        skull, neck = out[:, LANDMARKS.index("skull_base")], out[:, LANDMARKS.index("neck_base")]
        neck_len = np.median(np.linalg.norm(skull - neck, axis=-1))
        up = (skull - neck) / np.linalg.norm(skull - neck, axis=-1, keepdims=True)
        out[:, LANDMARKS.index("head_top")] = skull + HEAD_TOP_NECKS * neck_len * up
        return ClipData(out, None, None, None)
    if clip.rig == "asf_amc":
        asf = next(Path(clip.path).parent.glob("*.asf"))
        motion = read_asf_amc(asf, clip.path)
    elif clip.rig == "expmap":
        motion = read_expmap(clip.path)
    else:
        motion = read_bvh(clip.path, fps=clip.fps).to_metres()
    if clip.drop_first:
        motion = motion.drop_frames(first=1)
    idx = {n: i for i, n in enumerate(motion.joint_names)}
    rest = motion.rest_positions()
    neck_len = float(np.linalg.norm(rest[idx[rig.landmarks["skull_base"]]] - rest[idx[rig.landmarks["neck_base"]]]))
    landmarks = _landmarks(motion.positions, motion.global_rotations, idx, rig, neck_len)
    rest_landmarks = _landmarks(rest[None], np.broadcast_to(np.eye(3), (1, len(idx), 3, 3)), idx, rig, neck_len)[0]
    head = motion.global_rotations[:, idx[rig.head_joint]] if rig.head_joint else None
    smpl = None
    if rig.smpl:
        smpl = np.stack([motion.global_rotations[:, idx[rig.smpl[j]]] for j in SMPL_JOINTS], axis=1)
    return ClipData(landmarks, head, smpl, rest_landmarks)
