"""``combinations``: section 2.7 of the seed in part, each model on the person alone, several views
of the person, random groups and similar-pose groups.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..data.groups import combine_sequences, neighbour_groups
from ..grouping import DEFAULT_BANK, SimilarPoseRefiner, load_bank
from ..metrics import refine_clips, summarize
from ..refiners import NetworkRefiner
from ..reports import Report
from ..skeletons import get_skeleton
from ..training import input_as_refiner, validation_split
from .common import DEFAULT, Context, find_network, seed_metrics


MULTIVIEW = "synsp-h36m17-3d-w8-p4"


def combinations(ctx: Context) -> Report:
    """Section 2.7: what each model does with each kind of input group (the person, first view, scored)."""
    rep = Report("combinations", f"Section 2.7: input combinations at inference ({ctx.preset})", "")
    rep.notes.append("- Inputs, each scored on the person (the first view): the person alone; 4 world-frame views of "
                     "the same person (independent errors); the person plus 3 windows of other test clips (random "
                     "combination); the person plus 3 similar poses (similar-pose grouping, "
                     "`synsp.grouping.SimilarPoseRefiner`): for every window of the person, the 3 windows most "
                     "similar to its noisy input (mirror images included) among the shipped pose bank "
                     f"(`{DEFAULT_BANK.name}`: 1,500 clean windows of the corpus train split, "
                     "`tools/make_pose_bank.py`), moved rigidly onto it, windows merged by the sliding-window "
                     "average. Models: the shipped single-view and multi-view SynSP, and 4-view models fine-tuned "
                     "from the single-view weights with the same short recipe (README): on random groups "
                     "(`--mode random --option refine_branches=true`), and on similar-pose groups (`--mode "
                     "similar`: clean bank companions found by the person's noisy window, as at inference) with "
                     "either the random-group model's options or the multi-view model's (`--option "
                     "view_mean_skip=true`: the residual starts from the views' mean).")
    same = [validation_split("h36m17", ctx.preset, ctx.frames, ctx.corpus, seed=1000 * s, split="test", views=4)
            for s in range(ctx.seeds)]
    random = []  # each clip's first view, then the first views of the next 3 clips (cut or repeated to its length)
    for clips in same:
        inputs = combine_sequences([x[:, 0] for _, x, _ in clips], neighbour_groups(len(clips), 4))
        random.append([(g, x, c) for (g, _, c), x in zip(clips, inputs)])
    alone = [[(g[:, 0], x[:, 0], c[:, 0]) for g, x, c in clips] for clips in same]
    rep.notes.append(f"- {sum(len(g) for g, _, _ in same[0])} test frames x {ctx.seeds} noise seed(s), 4 views each")
    bank = load_bank() if DEFAULT_BANK.is_file() else None
    if bank is None:
        rep.notes.append(f"- no pose bank at {DEFAULT_BANK} (`python tools/make_pose_bank.py`): no similar-pose column")
    similar_col = "person + 3 similar poses (bank)"
    raw = _cell_pair(seed_metrics(input_as_refiner, alone))  # the first view's input is the same in every group
    rows = [{"model": "input", "person alone": raw, "4 views of the person": raw, "person + 3 other clips": raw,
             similar_col: raw}]
    models = (("single-view SynSP", DEFAULT), ("multi-view SynSP (trained on 4 views of one person)", MULTIVIEW),
              ("SynSP trained on random groups of 4", ctx.runs / "synsp-h36m17-3d-w8-random4" / "best"),
              ("SynSP trained on similar-pose groups of 4 (random-group options)",
               ctx.runs / "synsp-h36m17-3d-w8-similar4" / "best"),
              ("SynSP trained on similar-pose groups of 4 (multi-view options)",
               ctx.runs / "synsp-h36m17-3d-w8-similar4-mean" / "best"))
    for label, name in models:
        net = find_network(name)
        if net is None:
            rep.notes.append(f"- {name}: not found, skipped")
            continue
        if net.card.views == 1:
            rows.append({"model": label, "person alone": _cell_pair(seed_metrics(net, alone)),
                         "4 views of the person": "each view alone", "person + 3 other clips": "each view alone",
                         similar_col: "the person alone"})
            continue
        first = first_view(net)
        rows.append({"model": label,
                     "person alone": _cell_pair(seed_metrics(as_single_group(net), alone)),
                     "4 views of the person": _cell_pair(metrics_first_view(first, same)),
                     "person + 3 other clips": _cell_pair(metrics_first_view(first, random)),
                     similar_col: (_cell_pair(seed_metrics(SimilarPoseRefiner(net, bank), alone)) if bank is not None
                                   else "no bank")})
    rep.table("MPJPE (mm) / Accel (mm/frame^2) of the first view", rows)
    return rep


def first_view(net: NetworkRefiner) -> Callable:
    """A multi-view network on groups ``(T, P, J, D)``, returning the first view ``(T, J, D)``."""
    def run(x, fps=None, confidence=None):
        return net(x, fps=fps, confidence=confidence)[:, 0]
    return run


def metrics_first_view(run: Callable, sets) -> dict[str, float]:
    """:func:`seed_metrics` of ``run`` (groups ``(T, P, J, D)`` in, the first view out) against the first view."""
    sk = get_skeleton("h36m17")
    results = []
    for clips in sets:
        refined = refine_clips(run, [(g[:, 0], x, c) for g, x, c in clips], 30.0)
        inputs = [input_as_refiner(x[:, 0]) for _, x, _ in clips]
        results.append(summarize(refined.preds, refined.gts, inputs=inputs, root_joints=sk.root_joints,
                                 parents=sk.parents, scale=refined.scale))
    return {k: float(np.mean([r[k] for r in results])) for k in ("mpjpe", "accel")}


def _cell_pair(m: dict[str, float]) -> str:
    return f"{m['mpjpe']:.1f} / {m['accel']:.2f}"


def as_single_group(net: NetworkRefiner) -> Callable:
    """A multi-view network on one view: the view is its own group of one."""
    def run(x, fps=None, confidence=None):
        conf = None if confidence is None else confidence[:, None]
        return net(x[:, None], fps=fps, confidence=conf)[:, 0]
    return run
