"""``rotations``: SMPL-style joint rotations, the quaternion filters against the rotation network
(joint errors through forward kinematics and the geodesic angle error).
"""

from __future__ import annotations

import functools
import time
from typing import Callable

import numpy as np

from ..metrics import rotation_metrics
from ..reports import Report
from ..rotations import refine_rotations
from ..training import input_as_rotations
from .common import Context, find_network, test_sets


ROTATION_MODEL = "synsp-smpl24-rot-w8"
ROTATION_FILTERS = ("one-euro", "savgol", "gaussian", "butterworth", "kalman-rts")


def rotations(ctx: Context) -> Report:
    """SMPL-style joint rotations: the quaternion filters against the rotation network, on the same
    noisy rotations; joint errors through forward kinematics and the geodesic angle error."""
    rep = Report("rotations", f"SMPL rotations: filters and the rotation network ({ctx.preset})", "")
    sets = test_sets(ctx.preset, ctx.seeds, ctx.frames, ctx.corpus, "smpl24", "rotations")
    gts = [[g for g, _, _ in clips] for clips in sets]
    inputs = [[input_as_rotations(x) for _, x, _ in clips] for clips in sets]  # lost rotations filled, once
    frames = sum(len(g) for g in gts[0])
    rep.notes.append(f"- {frames} test frames of smpl24 local rotations (retargeted from the corpus's mocap, "
                     f"sources with rotations only) x {ctx.seeds} noise seed(s); errors simulated on the "
                     "rotations with `synsp.noise.simulate(..., representation='rotations')`.")
    rep.notes.append("- MPJPE / PA-MPJPE / Accel: the 24 joints of a fixed neutral body "
                     "(`synsp.rotations.SMPL24_OFFSETS`) by forward kinematics, pelvis at the origin, in mm; "
                     "angle: mean geodesic error in degrees; angular accel: mean |angular acceleration error| "
                     "in degrees/frame^2. Filters smooth sign-continuous quaternions (`synsp.rotations`).")
    methods: list[tuple[str, Callable]] = [("input", input_as_rotations)]
    methods += [(f, functools.partial(refine_rotations, model=f)) for f in ROTATION_FILTERS]
    for label, where in ((ROTATION_MODEL, ROTATION_MODEL),
                         (f"{ROTATION_MODEL} (runs)", ctx.runs / ROTATION_MODEL / "best")):
        net = find_network(where)
        if net is not None:
            methods.append((label, net))
            break
    else:
        rep.notes.append(f"- {ROTATION_MODEL}: not shipped or trained here, skipped")
    rows = []
    for label, run in methods:
        results, seconds = [], 0.0
        for k, clips in enumerate(sets):
            t0 = time.perf_counter()
            preds = [run(x, fps=30.0, confidence=c) for _, x, c in clips]
            seconds += time.perf_counter() - t0
            results.append(rotation_metrics(preds, gts[k], inputs[k]))
        mean = {k: float(np.mean([r[k] for r in results])) for k in results[0]}
        rows.append({"method": label, "MPJPE": mean["mpjpe"], "PA-MPJPE": mean["pa_mpjpe"], "Accel": mean["accel"],
                     "angle (deg)": mean["angle"], "angular accel (deg/f^2)": mean["angle_accel"],
                     "MPJPE hardest 1 %": mean["mpjpe_hardest"],
                     "frames/s": round(frames * len(sets) / max(seconds, 1e-9))})
    rep.table("smpl24 rotations: joints by forward kinematics in mm, angles in degrees (30 fps); mean over noise "
              "seeds", rows)
    return rep
