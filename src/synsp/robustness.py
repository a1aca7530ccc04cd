"""The robustness experiment: a benchmark that cannot flatter a model trained on its own simulator.

Every method runs on the same test-split clips under conditions it was not
tuned for:

* **clean** input (the truth itself), also played 2x and 3x faster: what a
  refiner does to data that is already right ("first, do no harm");
* every **held-out error family** of :mod:`synsp.error_families` (never used
  to train or select a shipped model) at two levels, 1 % and 3 % of the
  person's size (17 and 51 mm for a 1.7 m person; 5 and 15 px at 500 px);
* the training family ``mixed`` (levels drawn per segment);
* the calibrated **presets** of :mod:`synsp.noise`.

Per condition and method: MPJPE (clean rows: what the method *adds*), Accel,
and the MPJPE of the worst clip; per motion kind (locomotion, dance, sports
and acrobatics, everyday) for the clean and one held-out condition.
Simulated errors can rank methods under controlled error structure and
show harm on clean input; they cannot say what a method gains on a real
estimator's output, whose error structure none of these families is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .error_families import HELD_OUT_FAMILIES, simulate_family
from .metrics import root_relative, summarize
from .noise import simulate
from .skeletons import get_skeleton

__all__ = ["Condition", "conditions", "motion_kind", "LEVELS", "PRESETS_3D", "PRESETS_2D", "measure"]

LEVELS = (0.01, 0.03)
PRESETS_3D = ("h36m-fcn-like", "3dpw-spin-like", "vibe-like")
PRESETS_2D = ("hrnet-like", "mediapipe-like")
_KINDS = (("locomotion", ("walk", "run", "terrain", "jog")),
          ("dance", ("dance", "salsa")),
          ("sports / acrobatic", ("basketball", "soccer", "martial", "punch", "jump", "sword", "climb", "box",
                                  "kick", "flip", "cartwheel", "playground", "balance")))


def motion_kind(description: str) -> str:
    """A coarse motion kind from a clip's description."""
    low = description.lower()
    for kind, words in _KINDS:
        if any(w in low for w in words):
            return kind
    return "everyday"


@dataclass
class Condition:
    """One row of the benchmark: ``clips`` of (gt, input, confidence, kind); ``clean``: input = truth."""

    name: str
    clips: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]]
    clean: bool = False


def _truths(skeleton: str, representation: str, frames: int, corpus: str | None) -> list[tuple[np.ndarray, str]]:
    """The test split's clips (one phase each) with their motion kind, 3D metres or 2D pixels."""
    from .data.views import split_positions

    return [(gt, motion_kind(clip.description))
            for gt, clip in split_positions(skeleton, "test", representation, frames, corpus)]


def conditions(skeleton: str = "h36m17", representation: str = "3d", frames: int = 10**9,
               corpus: str | None = None, seed: int = 0) -> list[Condition]:
    """Every condition of the benchmark on the test split (seeded, the same for every method)."""
    truths = _truths(skeleton, representation, frames, corpus)
    depth = None if representation == "2d" else 2
    conf1 = lambda g: np.ones(g.shape[:-1])  # noqa: E731
    out = [Condition("clean", [(g, g.copy(), conf1(g), k) for g, k in truths], clean=True)]
    for speed in (2, 3):
        out.append(Condition(f"clean {speed}x speed", [(g[::speed], g[::speed].copy(), conf1(g[::speed]), k)
                                                        for g, k in truths if len(g[::speed]) >= 16], clean=True))

    def simulated(name: str, draw: Callable[[np.ndarray, int], Any]) -> Condition:
        """``draw(gt, seed)`` (a :class:`synsp.noise.Simulated`) on every clip, each with its own seed."""
        sims = [(g, draw(g, seed + 7919 * i), k) for i, (g, k) in enumerate(truths)]
        return Condition(name, [(g, s.pred, s.confidence, k) for g, s, k in sims])

    for fam in HELD_OUT_FAMILIES:
        for level in LEVELS:
            out.append(simulated(f"{fam} {100 * level:g} %", lambda g, s, fam=fam, level=level: simulate_family(
                g, fam, skeleton=skeleton, fps=30.0, seed=s, level=level, depth_axis=depth)))
    out.append(simulated("mixed (training family)", lambda g, s: simulate_family(
        g, "mixed", skeleton=skeleton, fps=30.0, seed=s, depth_axis=depth)))
    for preset in (PRESETS_2D if representation == "2d" else PRESETS_3D):
        out.append(simulated(f"preset {preset}", lambda g, s, preset=preset: simulate(
            g, preset, skeleton=skeleton, fps=30.0, seed=s)))
    return out


def measure(refiner: Callable, cond: Condition, skeleton: str, scale: float) -> dict[str, Any]:
    """MPJPE, Accel, worst clip MPJPE (root-relative, x ``scale``), per-kind MPJPE and frames/s."""
    sk = get_skeleton(skeleton)
    preds, seconds = [], 0.0
    for _, inp, conf, _ in cond.clips:
        start = time.perf_counter()
        preds.append(np.asarray(refiner(inp, fps=30.0, confidence=conf)))
        seconds += time.perf_counter() - start
    gts = [g for g, _, _, _ in cond.clips]
    m = summarize(preds, gts, root_joints=sk.root_joints, scale=scale)
    per_clip = [scale * float(np.linalg.norm(root_relative(p, sk.root_joints) - root_relative(g, sk.root_joints),
                                            axis=-1).mean()) for p, g in zip(preds, gts)]
    kinds: dict[str, list[tuple[float, int]]] = {}
    for e, (g, _, _, k) in zip(per_clip, cond.clips):
        kinds.setdefault(k, []).append((e, len(g)))
    per_kind = {k: sum(e * n for e, n in v) / sum(n for _, n in v) for k, v in kinds.items()}
    frames = sum(len(g) for g in gts)
    return {"mpjpe": m["mpjpe"], "accel": m["accel"], "worst": max(per_clip), "kinds": per_kind,
            "fps": frames / seconds if seconds > 0 else float("inf")}
