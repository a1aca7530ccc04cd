"""What every experiment shares: the :class:`Context` it runs on, the test clips of a preset
(:func:`test_sets`), a refiner's metrics over the noise seeds (:func:`seed_metrics`) as a table row
(:func:`metrics_row`), networks by name or checkpoint (:func:`find_network`, :func:`with_output`) and
the figure helpers.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..metrics import refine_clips, summarize
from ..filters import FILTERS, parse_filter_spec
from ..models.checkpoint import checkpoint_file
from ..refiners import NetworkRefiner, get_refiner, named_checkpoint, shipped_models
from ..skeletons import get_skeleton
from ..training import input_as_refiner, validation_split

__all__ = ["DEFAULT", "SIMULATION_NOTE", "Context", "test_sets", "seed_metrics", "metrics_row", "find_network",
           "with_output", "new_figure", "bars_figure", "card_of", "fits_joint_set"]


DEFAULT = "synsp-h36m17-3d-w8"
SIMULATION_NOTE = ("Simulated estimator errors (synsp.noise presets) on real mocap from the corpus test split; "
                   "not the paper's datasets, so compare methods within a table, not with the paper's numbers.")


@dataclasses.dataclass
class Context:
    """What an experiment runs on: the preset, noise seeds, frames, corpus, runs folder and methods."""

    preset: str = "3dpw-spin-like"
    seeds: int = 3
    frames: int = 10**9
    corpus: str | None = None
    runs: Path = Path("runs")
    methods: list[str] = dataclasses.field(default_factory=list)
    models: list[str] = dataclasses.field(default_factory=lambda: [DEFAULT])
    skeleton: str = "h36m17"
    representation: str = "3d"
    smoothnet: tuple[str, str, str, str] | None = None  # (root, dataset, estimator, "3D" | "2D")
    trust_pickle: bool = False
    methods_given: bool = True  # False: ``methods`` are the CLI's 3D defaults (robustness picks 2D ones)
    quick: bool = False

    @functools.cached_property
    def sets(self):
        return test_sets(self.preset, self.seeds, self.frames, self.corpus, self.skeleton, self.representation)


def test_sets(preset: str, seeds: int, frames: int, corpus: str | None, skeleton: str = "h36m17",
              representation: str = "3d") -> list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """One list of (gt, input, confidence) clips of the test split per noise seed."""
    return [validation_split(skeleton, preset, frames, corpus, seed=1000 * s, split="test",
                             representation=representation) for s in range(seeds)]


def seed_metrics(refiner: Callable, sets, skeleton: str = "h36m17") -> dict[str, float]:
    """Mean over noise seeds of the SmoothNet-style metrics (mm for 3D), with ``*_std`` spreads."""
    sk = get_skeleton(skeleton)
    results = []
    for clips in sets:
        run = refine_clips(refiner, clips, 30.0)
        inputs = [input_as_refiner(inp) for _, inp, _ in clips]
        results.append(summarize(run.preds, run.gts, inputs=inputs, root_joints=sk.root_joints, parents=sk.parents,
                                 scale=run.scale))
    out = {k: float(np.mean([r[k] for r in results])) for k in ("mpjpe", "pa_mpjpe", "accel", "mpjpe_fast")}
    out.update({f"{k}_std": float(np.std([r[k] for r in results])) for k in ("mpjpe", "accel")})
    return out


def metrics_row(label: dict[str, Any], m: dict[str, float], base: dict[str, float] | None = None) -> dict[str, Any]:
    row = dict(label, **{"MPJPE": m["mpjpe"], "PA-MPJPE": m["pa_mpjpe"], "Accel": m["accel"],
                         "MPJPE fast 10 %": m["mpjpe_fast"]})
    if base is not None:
        row["MPJPE vs input"] = f"{100 * (m['mpjpe'] / base['mpjpe'] - 1):+.1f} %"
        row["Accel vs input"] = f"{100 * (m['accel'] / base['accel'] - 1):+.1f} %"
    return row


def find_network(name_or_path: str | Path, **kw) -> NetworkRefiner | None:
    """A shipped model or a checkpoint stem (``runs/x/best``); None when it does not exist."""
    key = str(name_or_path)
    if key in shipped_models() or checkpoint_file(key, ".json").is_file():
        return get_refiner(key, **kw)
    return None


def with_output(refiner: NetworkRefiner, output: str, **kw) -> NetworkRefiner:
    return NetworkRefiner(refiner.model, dataclasses.replace(refiner.card, output=output), **kw)


def new_figure(w: float, h: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def bars_figure(names, series: dict[str, list[float]], ylabel: str):
    fig = new_figure(10, 3.5)
    ax = fig.subplots()
    width = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        ax.bar(np.arange(len(names)) + i * width, values, width, label=label)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return fig


def card_of(name: str) -> dict | None:
    """The model card (a dict) of a network of one joint set named ``name`` (a shipped model, a checkpoint or a run
    folder; with a registered suffix, ``synsp-h36m17-3d-w8-p4+similar-poses``, the network before it), read without
    building anything; None for filters, other registered names, the universal model and cards that cannot be read
    (the refiner that loads them names what is wrong)."""
    if name in FILTERS or parse_filter_spec(name) is not None:
        return None
    stem = named_checkpoint(name) or (name if checkpoint_file(name, ".json").is_file() else None)
    if stem is None and "+" in name:
        return card_of(name.split("+", 1)[0])
    if stem is None:
        return None
    try:
        card = json.loads(checkpoint_file(stem, ".json").read_text())
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) and card.get("architecture") != "universal" else None


def fits_joint_set(name: str, skeleton: str) -> bool:
    """Whether method ``name`` refines the joints of ``skeleton``: a filter and the universal model refine any; a
    network of one joint set only its own (on another joint order it would refine the wrong joints)."""
    card = card_of(name)
    return card is None or card.get("skeleton") in (None, skeleton)
