"""The ``inversions`` experiment: what the whole-track repair restores, what it does to refinement, and
what it costs (``synsp benchmark --experiment inversions``, ``benchmarks/inversions.py``).

Real mocap of the corpus test split (one phase per take), 3D metres (h36m17, ``3dpw-spin-like``
errors) or 2D pixels through a seeded virtual camera per clip (coco17, ``mediapipe-like`` errors),
with long simulated inversions (:func:`synsp.label_errors.simulate_inversions`: bursts of 5-90
frames of the arms, the legs or the whole body on ``rate`` of the frames).  Two orders: the
estimator's errors follow the limb (noise first, then the inversion) or stay with the label
(inversion first, then noise: the presets' constant per-joint bias lands on the other limb).  The
presets' own short whole-body inversions count as inversions too (in the truth of the restored
share, and present in the input "without inversions" as well).

* :func:`restoration`: per limb group the share of inverted frames relabelled back, and the
  group-frames relabelled that were not inverted;
* :func:`false_relabelling`: frames relabelled on error-free motion and on noisy input whose
  preset has its inversions switched off;
* :func:`mpjpe_rows`: MPJPE of the input, filters and the default model without and with the
  repair, against the same method on the same input without the simulated inversions;
* :func:`crossings`: two people passing each other (:func:`synsp.label_errors.simulate_crossing`),
  their ids exchanged at each crossing or never: the person-frames given back to their person,
  the others moved, the default model's MPJPE without and with the repair;
* :func:`timing`: the repair of one long track against the default model's refinement of it.

:func:`report` gathers the tables into a :class:`synsp.reports.Report` for :mod:`synsp.experiments`.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ..api import choose_model, refine
from ..data.corpus import load_corpus
from ..data.positions import split_positions
from ..identity import repair_identities
from ..label_errors import inversion_truth, simulate_crossing, simulate_inversions
from ..noise import Inversions, get_preset, simulate
from ..repair import relabel, repair_inversions
from ..reports import Report
from ..skeletons import get_skeleton
from .common import Context

__all__ = ["inversions", "CASES", "Case", "case_of", "methods_of", "restoration", "false_relabelling",
           "mpjpe_rows", "crossings", "timing", "report", "ORDERS"]


@dataclasses.dataclass(frozen=True)
class Case:
    """One data set of the experiment: skeleton, coordinates, estimator preset, unit and scale to it."""

    skeleton: str
    representation: str  # "3d" (metres) or "2d" (pixels of a virtual camera)
    preset: str
    unit: str
    scale: float

    @property
    def label(self) -> str:
        return f"{self.representation.upper()} {self.skeleton}, {self.preset}"


CASES = {"3d": Case("h36m17", "3d", "3dpw-spin-like", "mm", 1000.0),
         "2d": Case("coco17", "2d", "mediapipe-like", "px", 1.0)}
#: the two orders of estimator errors and inversions: (label, errors follow the limb)
ORDERS = (("errors follow the limb", True), ("errors stay with the label", False))
FPS = 30.0


def case_of(skeleton: str, representation: str) -> Case:
    """The case for a skeleton and representation: the two of :data:`CASES`, or another skeleton with
    the preset of its representation (3D ``3dpw-spin-like``, 2D ``mediapipe-like``)."""
    base = CASES["2d" if representation == "2d" else "3d"]
    return dataclasses.replace(base, skeleton=skeleton)


def methods_of(case: Case) -> list[tuple[str, str | None, bool]]:
    """The rows ``(label, method, repair)``: the input, Kalman-RTS and Butterworth without and with the
    repair, and the default model for the case's skeleton without and with it (method None: input)."""
    model, _ = choose_model(get_skeleton(case.skeleton).num_joints, 2 if case.representation == "2d" else 3,
                            case.skeleton)
    return [("input", None, False),
            ("kalman-rts", "kalman-rts", False), ("kalman-rts + repair", "kalman-rts", True),
            ("butterworth", "butterworth", False), ("butterworth + repair", "butterworth", True),
            (f"{model}, repair=False", model, False), (f"{model} (repair on, the default)", model, True)]


def clips(case: Case, frames: int, corpus: Any = None) -> list[np.ndarray]:
    """The test split's clips of ``case`` (whole clips up to ``frames`` frames), metres or pixels."""
    return [gt for gt, _ in split_positions(case.skeleton, "test", case.representation, frames, corpus)]


@dataclasses.dataclass
class Drawn:
    """One clip with simulated inversions under one order: ``pred``/``conf`` the estimator's output
    with the inversions, ``clean``/``clean_conf`` the same without the simulated inversions, ``truth``
    ``(T, G)`` the inverted group-frames (the simulated and the preset's own), ``inverted`` ``(T,)`` the
    frames of the simulated inversions."""

    gt: np.ndarray
    pred: np.ndarray
    conf: np.ndarray
    clean: np.ndarray
    clean_conf: np.ndarray
    truth: np.ndarray
    groups: tuple[str, ...]
    inverted: np.ndarray


def draw(case: Case, gts: list[np.ndarray], follow: bool, rate: float, seed: int) -> list[Drawn]:
    """Every clip with the estimator's errors and long inversions in the order ``follow`` says; clip
    ``i`` uses noise seed ``seed + i`` and inversion seed ``10000 + seed + i``."""
    sk = case.skeleton
    out = []
    for i, gt in enumerate(gts):
        s = seed + i
        if follow:  # the estimator's error moves with the limb it was made on
            sim = simulate(gt, case.preset, skeleton=sk, fps=FPS, seed=s)
            inv = simulate_inversions(sim.pred, sk, rate=rate, seed=10_000 + s)
            pred, conf = inv.poses, relabel(sim.confidence, inv.truth, sk, inv.groups)
            clean, clean_conf = sim.pred, sim.confidence
        else:  # the error stays with the label: the preset's per-joint bias lands on the other limb
            inv = simulate_inversions(gt, sk, rate=rate, seed=10_000 + s)
            sim = simulate(inv.poses, case.preset, skeleton=sk, fps=FPS, seed=s)
            pred, conf = sim.pred, sim.confidence
            ref = simulate(gt, case.preset, skeleton=sk, fps=FPS, seed=s)
            clean, clean_conf = ref.pred, ref.confidence
        truth = inv.truth ^ inversion_truth(sim.events, sk, len(gt))
        out.append(Drawn(gt, pred, conf, clean, clean_conf, truth, inv.groups, inv.truth.any(-1)))
    return out


def restoration(case: Case, drawn: list[Drawn]) -> dict[str, Any]:
    """Restored share per group: ``{"groups": {g: (restored, inverted)}, "wrong": group-frames relabelled
    that were not inverted, "others": group-frames not inverted, "frames": frames, "seconds": the
    repair's time}``."""
    hit: dict[str, list[int]] = {}
    wrong = others = 0
    seconds = 0.0
    for d in drawn:
        start = time.perf_counter()
        r = repair_inversions(d.pred, case.skeleton, d.conf)
        seconds += time.perf_counter() - start
        for k, g in enumerate(r.groups):
            h = hit.setdefault(g, [0, 0])
            h[0] += int((r.flipped[:, k] & d.truth[:, k]).sum())
            h[1] += int(d.truth[:, k].sum())
        wrong += int((r.flipped & ~d.truth).sum())
        others += int((~d.truth).sum())
    return {"groups": {g: tuple(v) for g, v in hit.items()}, "wrong": wrong, "others": others,
            "frames": sum(len(d.gt) for d in drawn), "seconds": seconds}


def false_relabelling(case: Case, gts: list[np.ndarray], seed: int) -> dict[str, tuple[int, int]]:
    """Frames with any group relabelled, and frames, on error-free motion and on the preset's output
    with its inversions switched off (noise seed ``seed + i`` for clip ``i``)."""
    quiet = dataclasses.replace(get_preset(case.preset), inversions=Inversions())
    frames = sum(len(g) for g in gts)
    clean = sum(int(repair_inversions(g, case.skeleton).flipped.any(-1).sum()) for g in gts)
    noisy = 0
    for i, gt in enumerate(gts):
        sim = simulate(gt, quiet, skeleton=case.skeleton, fps=FPS, seed=seed + i)
        noisy += int(repair_inversions(sim.pred, case.skeleton, sim.confidence).flipped.any(-1).sum())
    return {"error-free motion": (clean, frames), f"{case.preset} without inversions": (noisy, frames)}


def frame_errors(pred: np.ndarray, gt: np.ndarray, roots: list[int] | None = None) -> np.ndarray:
    """Per-frame (per person) mean joint error, NaN-aware; root-relative when ``roots`` is given."""
    if roots is not None:
        with np.errstate(invalid="ignore"):
            pred = pred - np.nanmean(pred[..., roots, :], axis=-2, keepdims=True)
            gt = gt - gt[..., roots, :].mean(axis=-2, keepdims=True)
    e = np.linalg.norm(pred - gt, axis=-1)
    n = np.isfinite(e).sum(-1)
    return np.where(n > 0, np.where(np.isfinite(e), e, 0.0).sum(-1) / np.maximum(n, 1), np.nan)


def _mean(values: list[np.ndarray], masks: list[np.ndarray] | None = None) -> float:
    v = np.concatenate(values) if masks is None else np.concatenate([a[m] for a, m in zip(values, masks)])
    return float(np.nanmean(v)) if v.size else float("nan")


def _run(method: str | None, x: np.ndarray, conf: np.ndarray, skeleton: str, repair: bool,
         seconds: dict[str, float] | None = None, label: str = "") -> np.ndarray:
    if method is None:
        return x
    start = time.perf_counter()
    out = refine(x, model=method, fps=FPS, confidence=conf, skeleton=skeleton, repair=repair)
    if seconds is not None:
        seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - start
    return out


def mpjpe_rows(case: Case, drawn: list[Drawn], methods: list[tuple[str, str | None, bool]],
               seconds: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Per method: MPJPE over all frames and over the inverted ones, and of the same method on the same
    input without the simulated inversions (3D root-relative mm, 2D px)."""
    roots = list(get_skeleton(case.skeleton).root_joints) if case.representation == "3d" else None
    rows = []
    for label, method, repair in methods:
        with_inv, without = [], []
        for d in drawn:
            with_inv.append(frame_errors(_run(method, d.pred, d.conf, case.skeleton, repair, seconds, label),
                                         d.gt, roots) * case.scale)
            without.append(frame_errors(_run(method, d.clean, d.clean_conf, case.skeleton, repair), d.gt,
                                        roots) * case.scale)
        inv = [d.inverted for d in drawn]
        a, b = _mean(with_inv), _mean(without)
        rows.append({"method": label, "MPJPE": a, "MPJPE inverted frames": _mean(with_inv, inv),
                     "MPJPE without the inversions": b, "its inverted frames": _mean(without, inv),
                     "with / without": f"{100 * (a / b - 1):+.1f} %"})
    return rows


def crossings(case: Case, frames: int, seed: int, corpus: Any = None, switch: float = 1.0,
              noise: bool = True) -> dict[str, Any]:
    """Two people of the test split crossing 4 times (the one behind absent 6 frames at each crossing),
    their ids exchanged at each crossing with probability ``switch``, pairs of clips of at least 300
    frames until ``frames`` frames; 3D in the world (metres), 2D through one camera per pair.  Returns
    the counts (``swapped`` person-frames with both present, ``restored`` of them given back,
    ``others``, ``moved`` of them reassigned) and the default model's MPJPE without and with repair."""
    three = dataclasses.replace(case, representation="3d")
    pool = [c for c in clips(three, 10**9, corpus) if len(c) >= 300]
    dims = 2 if case.representation == "2d" else 3
    model, _ = choose_model(pool[0].shape[1], dims, case.skeleton) if pool else (None, None)
    out = {"frames": 0, "swapped": 0, "restored": 0, "others": 0, "moved": 0, "plain": [], "repaired": [],
           "model": model}
    for i in range(len(pool)):
        if out["frames"] >= frames:
            break
        cr = simulate_crossing(pool[i], pool[(i + 1) % len(pool)], case.skeleton, crossings=4, absent=6,
                               switch=switch, two_d=case.representation == "2d",
                               noise=case.preset if noise else None, seed=seed + i)
        out["frames"] += len(cr.poses)
        r = repair_identities(cr.poses)
        right = (r.order[:, 0] == 1) == cr.swapped  # output slot 0 follows the person of slot 0 at frame 0
        both = np.isfinite(cr.poses).all(-1).any(-1).all(-1)
        out["swapped"] += int((cr.swapped & both).sum())
        out["restored"] += int((cr.swapped & both & right).sum())
        out["others"] += int((~cr.swapped & both).sum())
        out["moved"] += int((~cr.swapped & both & ~right).sum())
        for key, repair in (("plain", False), ("repaired", True)):
            refined = refine(cr.poses, model=model, fps=FPS, skeleton=case.skeleton, repair=repair)
            out[key].append(frame_errors(refined, cr.truth).ravel() * case.scale)
    out["plain"], out["repaired"] = _mean(out["plain"]), _mean(out["repaired"])
    return out


def timing(long_frames: int, corpus: Any = None) -> dict[str, float]:
    """Seconds of the repair of one ``long_frames``-frame 3D h36m17 track (the corpus's clips end to
    end with ``3dpw-spin-like`` errors) and of the default model's refinement of it."""
    parts = [c.positions for c in load_corpus(corpus, skeleton="h36m17", phases="first")]
    track = np.concatenate(parts * (long_frames // sum(len(c) for c in parts) + 1))[:long_frames].astype(np.float64)
    sim = simulate(track, "3dpw-spin-like", skeleton="h36m17", fps=FPS, seed=0)
    start = time.perf_counter()
    repair_inversions(sim.pred, "h36m17", sim.confidence)
    repair_s = time.perf_counter() - start
    start = time.perf_counter()
    refine(sim.pred, fps=FPS, confidence=sim.confidence, skeleton="h36m17", repair=False)
    return {"frames": long_frames, "repair": repair_s, "refine": time.perf_counter() - start}


def _share(n: int, of: int) -> str:
    return f"{100 * n / max(of, 1):.1f} % of {of:,}"


def report(case: Case, frames: int = 10**9, rate: float = 0.1, seed: int = 0, corpus: Any = None,
           crossing_frames: int | None = None, methods: list[tuple[str, str | None, bool]] | None = None):
    """The experiment's :class:`synsp.reports.Report` (command and machine notes are the caller's)."""
    rep = Report("inversions", f"Left/right inversions and identity swaps: the whole-track repair "
                 f"({case.label})", "")
    methods = methods_of(case) if methods is None else methods
    gts = clips(case, frames, corpus)
    total = sum(len(g) for g in gts)
    rep.notes.append(f"- {total:,} test frames ({len(gts)} clips), {100 * rate:g} % of the frames inverted in bursts "
                     "of 5-90 frames (arms, legs or the whole body; synsp.label_errors.simulate_inversions), "
                     f"estimator errors of the {case.preset!r} preset (its own short whole-body inversions "
                     "count as inverted frames and stay in the input without inversions); 30 fps.")
    shares, mpjpe, seconds = [], {}, {}
    repair_s = 0.0
    for order, follow in ORDERS:
        drawn = draw(case, gts, follow, rate, seed)
        r = restoration(case, drawn)
        repair_s = r["seconds"] if follow else repair_s
        row = {"errors": order}
        row.update({f"{g} restored": _share(*v) for g, v in r["groups"].items()})
        row["wrongly relabelled (group-frames)"] = f"{r['wrong']:,} ({100 * r['wrong'] / max(r['others'], 1):.2f} %)"
        shares.append(row)
        mpjpe[order] = mpjpe_rows(case, drawn, methods, seconds if follow else None)
    rep.table("restored: inverted frames relabelled back, per limb group (the repair alone, before any method)",
              shares)
    false = false_relabelling(case, gts, seed)
    rep.table("frames relabelled where nothing is inverted",
              [{"input": k, "frames relabelled": n, "of frames": f, "share": f"{100 * n / max(f, 1):.2f} %"}
               for k, (n, f) in false.items()])
    root = "root-relative " if case.representation == "3d" else ""
    for order, rows in mpjpe.items():
        rep.table(f"MPJPE ({root}{case.unit}), {order}: all frames and the inverted ones, with the simulated "
                  "inversions and without them (the same method on the same input)", rows, digits=1)
    cross_rows = []
    for what, switch, noise in (("ids exchanged at each crossing", 1.0, True),
                                ("ids exchanged at each crossing, no estimator errors", 1.0, False),
                                ("ids never exchanged", 0.0, True)):
        c = crossings(case, crossing_frames if crossing_frames is not None else frames, seed, corpus, switch, noise)
        cross_rows.append({"two people crossing 4 times": what, "frames": c["frames"],
                           "swapped person-frames given back": _share(c["restored"], c["swapped"]) if c["swapped"]
                           else "-", "other person-frames moved": _share(c["moved"], c["others"]),
                           f"MPJPE {c['model']}, repair=False": c["plain"], "with repair": c["repaired"]})
    rep.table(f"identity swaps: two people crossing (the one behind absent 6 frames at each crossing); MPJPE "
              f"({case.unit}, not root-relative) against each true person", cross_rows, digits=1)
    plain = next((label for label, method, repair in methods if method not in (None, "kalman-rts", "butterworth")
                  and not repair), None)
    if plain in seconds:
        rep.notes.append(f"- time on these clips (errors follow the limb, this machine): the repair {repair_s:.2f} s, "
                         f"{plain} {seconds[plain]:.1f} s ({100 * repair_s / max(seconds[plain], 1e-9):.1f} %; "
                         "one long track: python benchmarks/inversions.py --long-frames 108000).")
    return rep


def inversions(ctx: Context) -> Report:
    """Long left/right inversions and crossing people on the test split: what the whole-track repair
    restores, what it relabels where nothing is inverted, and the MPJPE of the input, filters and the
    default model without and with it (:func:`report`; 3D h36m17 with 3dpw-spin-like errors, 2D coco17
    through the virtual cameras with mediapipe-like errors)."""
    case = case_of(ctx.skeleton, ctx.representation)
    return report(case, frames=min(ctx.frames, 800) if ctx.quick else ctx.frames, corpus=ctx.corpus,
                  crossing_frames=600 if ctx.quick else None)
