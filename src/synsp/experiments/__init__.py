"""The seed document's experiments, one module each: a function returning a :class:`synsp.reports.Report`.

Every experiment runs its methods on the same clips of a corpus split with the
same simulated estimator errors (one draw per noise seed), so rows compare like
with like.  These are simulated estimator errors on real mocap (CMU and other
open sources, see ``synsp data info``), not the paper's datasets.

==================  ======================  ==========================================================
experiment          module                  seed document
==================  ======================  ==========================================================
``comparison``      :mod:`.comparison`      Table 1: every refiner side by side
``branches``        :mod:`.branches`        Table 2: Position Branch, Acceleration Branch, final output
``windows``         :mod:`.windows`         Table 3: window length 8, 16, 32
``ablation``        :mod:`.ablation`        components switched off one at a time; the lambda_a/lambda_p
                                            ratio
``pearson``         :mod:`.pearson`         section 1.3: Pearson r between Diff1 and Diff2, overall and
                                            per joint
``base-repeat``     :mod:`.base_repeat`     section 2.5: the base stage run again on its averaged output
``window-average``  :mod:`.window_average`  section 2.6: stride-1 window averaging against
                                            non-overlapping windows
``generalisation``  :mod:`.generalisation`  trained on one error preset, tested on every other (a matrix)
``combinations``    :mod:`.combinations`    section 2.7 in part: each model on single, same-person and
                                            random groups
``smoothnet-data``  :mod:`.smoothnet_data`  Table 1 on SmoothNet-format data the user holds (Human3.6M,
                                            3DPW, AIST++ ...)
``rotations``       :mod:`.rotations`       SMPL-style rotations: quaternion filters and the rotation
                                            network (FK and angles)
``robustness``      :mod:`.robustness`      clean input, held-out error families, presets, motion kinds;
                                            its conditions and measures (positions and SMPL rotations)
``inversions``      :mod:`.inversions`      left/right inversions and identity swaps: the repair; its
                                            measures
==================  ======================  ==========================================================

What they share (the :class:`Context` an experiment runs on, the test clips of a preset, a refiner's
metrics over the noise seeds as a table row, networks by name or checkpoint, figures) is in
:mod:`.common`.  Each module's function is named after its experiment (``comparison.comparison``);
:data:`EXPERIMENTS` maps the names ``synsp benchmark --experiment`` takes to them, and
:func:`run_experiment` runs one with the notes every report carries.

Models that are not shipped (ablations, other windows) are read from a runs
folder (``benchmarks/train_ablations.sh`` trains them); a missing one is
reported as missing, never replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..filters import FILTERS, parse_filter_spec
from ..models.checkpoint import checkpoint_file
from ..refiners import get_refiner, named_checkpoint
from ..reports import Report, machine
from ..validation import SynspInputError
from . import (
    ablation,
    base_repeat,
    branches,
    combinations,
    comparison,
    generalisation,
    inversions,
    pearson,
    robustness,
    rotations,
    smoothnet_data,
    window_average,
    windows,
)
from .common import DEFAULT, SIMULATION_NOTE, Context, card_of, fits_joint_set, test_sets
from .robustness import robustness_methods

__all__ = ["EXPERIMENTS", "ONE_SEED", "run_experiment", "test_sets", "Context", "robustness_methods",
           "check_experiment", "check_method", "fits_joint_set"]

EXPERIMENTS: dict[str, Callable[..., Report]] = {
    "comparison": comparison.comparison,
    "branches": branches.branches,
    "windows": windows.windows,
    "ablation": ablation.ablation,
    "pearson": pearson.pearson,
    "base-repeat": base_repeat.base_repeat,
    "window-average": window_average.window_average,
    "generalisation": generalisation.generalisation,
    "combinations": combinations.combinations,
    "smoothnet-data": smoothnet_data.smoothnet_data,
    "rotations": rotations.rotations,
    "robustness": robustness.robustness,
    "inversions": inversions.inversions,
}

#: the experiments that draw one noise seed of their own, whatever ``seeds`` says (``synsp benchmark --seeds``)
ONE_SEED = ("robustness", "inversions")


def check_experiment(name: str, skeleton: str = "h36m17", representation: str = "3d") -> None:
    """Refuse an experiment name :data:`EXPERIMENTS` lacks, or a skeleton and representation it does not study;
    ``synsp benchmark`` checks every experiment it is given so before running the first (a mistake in the last
    one must not come after the first ones' reports are written)."""
    if name not in EXPERIMENTS:
        raise SynspInputError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    two_d = (skeleton, representation) == ("coco17", "2d")
    if (skeleton, representation) != ("h36m17", "3d") and not (name in ("comparison", "robustness", "inversions")
                                                               or (name == "pearson" and two_d)):
        raise SynspInputError(f"experiment {name!r} studies the shipped 3D h36m17 models; 'comparison', "
                              "'robustness' and 'inversions' take --skeleton / --representation, 'pearson' also "
                              "--skeleton coco17 --representation 2d")


def check_method(name: str, dims: int | None = None, skeleton: str | None = None) -> None:
    """Refuse a method name no refiner answers to (not a filter, with or without parameters, not a shipped model,
    not a checkpoint or run folder, not a registered name), without loading a network where the name alone
    tells: ``synsp benchmark`` checks every method before any experiment runs.  ``dims`` and ``skeleton``: the
    points and joint set the benchmark simulates (2 or 3; a skeleton's name); a network of one joint set for other
    dimensions or another joint set is refused too (read from its card, nothing built; the universal model takes
    any)."""
    if name in FILTERS or parse_filter_spec(name) is not None:
        return
    if (named_checkpoint(name) or (name if checkpoint_file(name, ".json").is_file() else None)) is None:
        get_refiner(name)  # a registered name (a multi-view model + "+similar-poses") resolves; anything else raises
    card = card_of(name)  # (of such a name: the network before its suffix)
    if card is None:
        return
    if dims is not None and card.get("dims") not in (None, dims):
        raise SynspInputError(f"{name} refines {card.get('dims')}D points, and this benchmark simulates {dims}D "
                              f"ones; name a {dims}D model, the universal model or a filter")
    if skeleton is not None and not fits_joint_set(name, skeleton):
        raise SynspInputError(f"{name} refines {card.get('skeleton')} joints, and this benchmark simulates "
                              f"{skeleton} ones (on their joint order it would refine the wrong joints); name a "
                              f"{skeleton} model, the universal model or a filter")


def run_experiment(name: str, preset: str = "3dpw-spin-like", seeds: int = 3, quick: bool = False,
                   corpus: str | None = None, runs: str | Path = "runs", methods: list[str] | None = None,
                   models: list[str] | None = None, command: str = "", skeleton: str = "h36m17",
                   representation: str = "3d", smoothnet: tuple[str, str, str, str] | None = None,
                   trust_pickle: bool = False, methods_given: bool = True) -> Report:
    """Run one experiment of :data:`EXPERIMENTS` and return its report (not yet saved)."""
    check_experiment(name, skeleton, representation)
    ctx = Context(preset, 1 if quick else seeds, 1500 if quick else 10**9, corpus, Path(runs),
                  methods or [], models or [DEFAULT], skeleton, representation, smoothnet, trust_pickle,
                  methods_given, quick)
    rep = EXPERIMENTS[name](ctx)
    if name == "smoothnet-data":  # the user's data, not the corpus: no preset, no simulation note
        rep.command = command
        rep.notes.append(f"- machine: {machine()}")
        return rep
    suffix = f"{skeleton}-{representation}" if name in ("robustness", "inversions") else preset
    rep.name = f"{rep.name}-{suffix}"
    for i, (stem, fig, caption) in enumerate(rep.figures):
        rep.figures[i] = (f"{stem}-{suffix}", fig, caption)
    rep.command = command
    drawn = vars(ctx).get("sets")  # the experiments on other clip sets say their size themselves
    size = f"{sum(len(c[0]) for c in drawn[0])} test frames x {ctx.seeds} noise seed(s); " if drawn else ""
    rep.notes[:0] = [f"- {SIMULATION_NOTE}", f"- {size}machine: {machine()}"]
    return rep
