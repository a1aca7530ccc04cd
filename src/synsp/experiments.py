"""The seed document's experiments, each one function returning a :class:`synsp.reports.Report`.

Every experiment runs its methods on the same clips of a corpus split with the
same simulated estimator errors (one draw per noise seed), so rows compare like
with like.  These are simulated estimator errors on real mocap (CMU and other
open sources, see ``synsp data info``), not the paper's datasets.

==========================  =============================================================
experiment                  seed document
==========================  =============================================================
``comparison``              Table 1: every refiner side by side
``branches``                Table 2: Position Branch, Acceleration Branch, final output
``windows``                 Table 3: window length 8, 16, 32
``ablation``                components switched off one at a time; the lambda_a/lambda_p ratio
``pearson``                 section 1.3: Pearson r between Diff1 and Diff2, overall and per joint
``base-repeat``             section 2.5: the base stage run again on its averaged output
``window-average``          section 2.6: stride-1 window averaging against non-overlapping windows
``generalisation``          trained on one error preset, tested on every other (a matrix)
``combinations``            section 2.7 in part: each model on single, same-person and random groups
``smoothnet-data``          Table 1 on SmoothNet-format data the user holds (Human3.6M, 3DPW, AIST++ ...)
``rotations``               SMPL-style rotations: quaternion filters and the rotation network (FK and angles)
``robustness``              clean input, held-out error families, presets, motion kinds (:mod:`synsp.robustness`)
``inversions``              left/right inversions and identity swaps: the repair (:mod:`synsp.inversion_benchmark`)
==========================  =============================================================

Models that are not shipped (ablations, other windows) are read from a runs
folder (``benchmarks/train_ablations.sh`` trains them); a missing one is
reported as missing, never replaced.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .metrics import summarize
from .refiners import NetworkRefiner, get_refiner, shipped_models
from .reports import Report, machine
from .skeletons import get_skeleton
from .training import input_as_refiner, validation_set
from .validation import SynspInputError

__all__ = ["EXPERIMENTS", "run_experiment", "test_sets"]

DEFAULT = "synsp-h36m17-3d-w8"
SIMULATION_NOTE = ("Simulated estimator errors (synsp.noise presets) on real mocap from the corpus test split; "
                   "not the paper's datasets, so compare methods within a table, not with the paper's numbers.")


def test_sets(preset: str, seeds: int, frames: int, corpus: str | None, skeleton: str = "h36m17",
              representation: str = "3d") -> list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """One list of (gt, input, confidence) clips of the test split per noise seed."""
    return [validation_set(skeleton, preset, frames, corpus, seed=1000 * s, split="test",
                           representation=representation) for s in range(seeds)]


def _metrics(refiner: Callable, sets, skeleton: str = "h36m17") -> dict[str, float]:
    """Mean over noise seeds of the SmoothNet-style metrics (mm for 3D), with ``*_std`` spreads."""
    sk = get_skeleton(skeleton)
    results = []
    for clips in sets:
        preds = [refiner(inp, fps=30.0, confidence=conf) for _, inp, conf in clips]
        gts = [gt for gt, _, _ in clips]
        inputs = [input_as_refiner(inp) for _, inp, _ in clips]
        scale = 1000.0 if gts[0].shape[-1] == 3 else 1.0
        results.append(summarize(preds, gts, inputs=inputs, root_joints=sk.root_joints, parents=sk.parents,
                                 scale=scale))
    out = {k: float(np.mean([r[k] for r in results])) for k in ("mpjpe", "pa_mpjpe", "accel", "mpjpe_fast")}
    out.update({f"{k}_std": float(np.std([r[k] for r in results])) for k in ("mpjpe", "accel")})
    return out


def _row(label: dict[str, Any], m: dict[str, float], base: dict[str, float] | None = None) -> dict[str, Any]:
    row = dict(label, **{"MPJPE": m["mpjpe"], "PA-MPJPE": m["pa_mpjpe"], "Accel": m["accel"],
                         "MPJPE fast 10 %": m["mpjpe_fast"]})
    if base is not None:
        row["MPJPE vs input"] = f"{100 * (m['mpjpe'] / base['mpjpe'] - 1):+.1f} %"
        row["Accel vs input"] = f"{100 * (m['accel'] / base['accel'] - 1):+.1f} %"
    return row


def _network(name_or_path: str | Path, **kw) -> NetworkRefiner | None:
    """A shipped model or a checkpoint stem (``runs/x/best``); None when it does not exist."""
    key = str(name_or_path)
    if key in shipped_models() or Path(key).with_suffix(".json").is_file():
        return get_refiner(key, **kw)
    return None


def _with_output(refiner: NetworkRefiner, output: str, **kw) -> NetworkRefiner:
    return NetworkRefiner(refiner.model, dataclasses.replace(refiner.card, output=output), **kw)


# ---- the experiments ------------------------------------------------------------------------


def comparison(ctx: "Context") -> Report:
    from .evaluation import compare

    rep = Report("comparison", f"Table 1: refiners side by side ({ctx.preset})", "")
    predictions: dict = {}
    rows = compare(ctx.methods, [ctx.preset], list(range(ctx.seeds)), frames=ctx.frames, corpus=ctx.corpus,
                   skeleton=ctx.skeleton, representation=ctx.representation, sets={ctx.preset: ctx.sets},
                   predictions=predictions)
    unit = "px" if ctx.representation == "2d" else "mm"
    table = []
    spread = ctx.seeds > 1  # one seed: no spread column (it would be all zeros)
    for r in rows:
        latency = ("1" if r.method == "input" else "offline (whole sequence)" if r.delay_frames < 0
                   else f"1+{r.window} ({r.delay_frames} f, {1000 * r.delay_frames / 30:.0f} ms)")
        table.append({"method": r.method, "latency": latency, "MPJPE": r.mean["mpjpe"],
                      **({"±": r.std["mpjpe"]} if spread else {}),
                      "PA-MPJPE": r.mean["pa_mpjpe"], "Accel": r.mean["accel"], **({"± ": r.std["accel"]} if spread else {}),
                      "MPJPE hardest 1 %": r.mean["mpjpe_hardest"], "Accel hardest 1 %": r.mean["accel_hardest"],
                      "MPJPE fast 10 %": r.mean["mpjpe_fast"], "bone std": r.mean["bone_std"],
                      **{f"PCK@{k[4:]} %": v for k, v in r.mean.items() if k.startswith("pck@")},
                      # the input is not computed: no throughput (it printed millions of frames/s)
                      "frames/s": "-" if r.method == "input" else round(r.fps_throughput)})
    rep.table(f"{ctx.skeleton} {ctx.representation.upper()}: MPJPE/PA-MPJPE in {unit}, Accel in {unit}/frame^2 "
              f"(30 fps); " + (f"mean and spread over {ctx.seeds} noise seeds" if spread else "one noise seed"), table)
    _comparison_figures(rep, ctx, unit, {method: preds for (_, method), preds in predictions.items()})
    return rep


def _comparison_figures(rep: Report, ctx: "Context", unit: str, predictions: dict[str, list]) -> None:
    """Error over time on the hardest clip, and per-joint error bars, from the methods' predictions on
    the first noise seed's clips."""
    sk = get_skeleton(ctx.skeleton)
    scale = 1.0 if ctx.representation == "2d" else 1000.0
    clips = ctx.sets[0]
    root = lambda x: x - x[..., list(sk.root_joints), :].mean(-2, keepdims=True)  # noqa: E731
    joint_err = lambda p, g: scale * np.linalg.norm(root(p) - root(g), axis=-1)  # (T, J)  # noqa: E731
    names = ["input", *ctx.methods]
    errors = {n: [joint_err(pred, gt) for pred, (gt, _, _) in zip(predictions[n], clips)] for n in names}
    hardest = int(np.argmax([e.mean() for e in errors["input"]]))
    shown = [n for n in names if n == "input" or n.startswith(("synsp", "smoothnet", "deciwatch", "hanet")) or "/" in n]
    shown += [min((n for n in names if n not in shown), key=lambda n: np.concatenate(errors[n]).mean(), default=None)]
    fig = _figure(10, 3.5)
    ax = fig.subplots()
    t = np.arange(len(clips[hardest][0])) / 30.0
    for n in filter(None, shown):
        ax.plot(t, errors[n][hardest].mean(-1), lw=0.8 if n == "input" else 1.4, label=n)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"MPJPE ({unit})")
    ax.set_title(f"hardest test clip by input error ({ctx.preset}, noise seed 0)")
    ax.legend(fontsize=8)
    rep.figure("comparison_time", fig, "MPJPE over time on the hardest clip, with and without refinement")
    per_joint = {n: list(np.concatenate(errors[n]).mean(0)) for n in filter(None, shown)}
    rep.figure("comparison_joints", _bars_figure(list(sk.joints), per_joint, f"MPJPE ({unit})"),
               "MPJPE per joint")


def branches(ctx: "Context") -> Report:
    sets, preset = ctx.sets, ctx.preset
    rep = Report("branches", f"Table 2: SynSP's branch outputs ({preset})", "")
    base = _metrics(input_as_refiner, sets)
    rows = [_row({"model": "-", "output": "input"}, base, base)]
    for name in ctx.models:
        net = _network(name)
        if net is None:
            rep.notes.append(f"- {name}: not found, skipped")
            continue
        for output, label in (("position", "Position Branch"), ("acceleration", "Acceleration Branch"),
                              ("final", "final (refinement stage)")):
            rows.append(_row({"model": name, "output": label}, _metrics(_with_output(net, output), sets), base))
    rep.table("outputs of the same trained models, window-averaged the same way", rows)
    return rep


def windows(ctx: "Context") -> Report:
    sets, preset, runs = ctx.sets, ctx.preset, ctx.runs
    rep = Report("windows", f"Table 3: window length ({preset})", "")
    base = _metrics(input_as_refiner, sets)
    rows, curve = [_row({"window": "input"}, base, base)], []
    for w, path in ((8, DEFAULT), (16, runs / "synsp-h36m17-3d-w16" / "best"), (32, runs / "synsp-h36m17-3d-w32" / "best")):
        net = _network(path)
        if net is None:
            rep.notes.append(f"- W = {w}: no checkpoint at {path} (train it with `synsp train --window {w} ...`)")
            continue
        m = _metrics(net, sets)
        rows.append(_row({"window": w}, m, base))
        curve.append((w, m["mpjpe"], m["accel"]))
    rep.table("SynSP (small) at each window, same recipe", rows)
    if len(curve) > 1:
        rep.figure("windows", _curve_figure(curve, base), "MPJPE and Accel against the window length")
    return rep


ABLATIONS = (
    ("refinement stage reads both branches, corrects their mean (the shipped default before its fine-tuning)",
     "refine-branches"),
    ("paper's refinement stage (over the Acceleration Branch features)", "full"),
    ("  - without Pose Quality Encoding", "no-pqe"),
    ("  - without the global encoder", "no-global-encoder"),
    ("  - shared base decoder (official code)", "shared-decoder"),
    ("plain transformer, same size", "plain"),
)
RATIOS = (("0.5", "ratio-0.5"), ("1", "synsp-h36m17-3d-w8-precise"), ("5", "ratio-5"), ("50", "full"))


def ablation(ctx: "Context") -> Report:
    sets, preset, ablation_runs = ctx.sets, ctx.preset, ctx.runs / "ablations"
    rep = Report("ablation", f"Component ablation and loss ratio ({preset})", "")
    rep.notes.append("- Every model: the same recipe and seed with one change (`bash benchmarks/train_ablations.sh`; "
                     "`full` is the first shipped default, `refine-branches` the second; the shipped default is "
                     "`refine-branches` fine-tuned 3 more epochs at lambda_a/lambda_p = 80, so not in this table). "
                     "The indented rows remove one component from the paper's architecture. The loss-ratio sweep "
                     "uses the paper's architecture. The similarity cue needs several views, so its ablation "
                     "belongs to the multi-view setting and is not in this single-view table.")
    base = _metrics(input_as_refiner, sets)

    def rows(column: str, entries) -> list[dict[str, Any]]:
        """A row per (label, run) whose checkpoint exists: a shipped model or a run of ``runs/ablations``."""
        out = []
        for label, run in entries:
            where = run if run in shipped_models() else ablation_runs / run / "best"
            net = _network(where)
            if net is None:
                rep.notes.append(f"- {label}: no checkpoint at {where}, skipped")
                continue
            out.append(_row({column: label}, _metrics(net, sets), base))
        return out

    rep.table("components (lambda_a/lambda_p = 50)", [_row({"variant": "input"}, base, base)]
              + rows("variant", ABLATIONS))
    rep.table("loss ratio sweep", rows("lambda_a / lambda_p", RATIOS))
    return rep


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def pearson(ctx: "Context") -> Report:
    """Diff1 = |estimator output - truth| per frame and joint; Diff2 = |output(ratio 5) - output(ratio 0.5)|."""
    sets, preset, ablation_runs = ctx.sets, ctx.preset, ctx.runs / "ablations"
    rep = Report("pearson", f"Section 1.3: does the smoothness/precision disagreement flag errors? ({preset})", "")
    rep.notes.append("- Diff1: distance between the (simulated) estimator output and the truth, per frame and "
                     "joint, root-relative. Diff2: distance between the outputs of two SynSP models trained with "
                     "lambda_a/lambda_p = 5 and 0.5. Also the shipped model's own Position-vs-Acceleration Branch "
                     "disagreement. The seed reports r = 0.48 on real estimator output.")
    two_d = ctx.representation == "2d"
    prefix, shipped = ("coco17-ratio-", "synsp-coco17-2d-w8") if two_d else ("ratio-", DEFAULT)
    pairs = []
    a, b = _network(ablation_runs / f"{prefix}5" / "best"), _network(ablation_runs / f"{prefix}0.5" / "best")
    if a is not None and b is not None:
        pairs.append(("two models, ratio 5 vs 0.5", a, b))
    else:
        rep.notes.append(f"- {prefix}5 / {prefix}0.5 checkpoints not in {ablation_runs}; only the branch pair "
                         "is shown")
    net = _network(shipped)
    pairs.append((f"{shipped}, Position vs Acceleration Branch", _with_output(net, "position"),
                  _with_output(net, "acceleration")))
    sk = get_skeleton(ctx.skeleton)
    joints = [j for j in range(sk.num_joints) if j not in sk.root_joints or len(sk.root_joints) > 1]
    rows, per_joint = [], {}  # a single root joint is 0 root-relative and left out
    for label, ra, rb in pairs:
        d1, d2 = [], []
        for gt, inp, conf in sets[0]:
            root = lambda x: x - x[..., list(sk.root_joints), :].mean(-2, keepdims=True)  # noqa: E731
            filled = input_as_refiner(inp)
            d1.append(np.linalg.norm(root(filled) - root(gt), axis=-1))
            d2.append(np.linalg.norm(root(ra(inp, fps=30.0, confidence=conf)) - root(rb(inp, fps=30.0, confidence=conf)),
                                     axis=-1))
        d1, d2 = np.concatenate(d1)[:, joints], np.concatenate(d2)[:, joints]  # (frames, J - roots)
        rows.append({"pair": label, "Pearson r (all)": _pearson(d1.ravel(), d2.ravel()),
                     "r of per-frame means": _pearson(d1.mean(1), d2.mean(1))})
        per_joint[label] = [_pearson(d1[:, k], d2[:, k]) for k in range(len(joints))]
    rep.table("Pearson r between Diff1 and Diff2", rows, digits=3)
    names = [sk.joints[j] for j in joints]
    rep.table("per joint", [{"joint": n, **{k: v[i] for k, v in per_joint.items()}} for i, n in enumerate(names)],
              digits=3)
    rep.figure("pearson_joints", _bars_figure(names, per_joint, "Pearson r"), "Pearson r per joint")
    return rep


def base_repeat(ctx: "Context") -> Report:
    sets, preset = ctx.sets, ctx.preset
    rep = Report("base-repeat", f"Section 2.5: refinement stage vs repeating the base stage ({preset})", "")
    net = _network(DEFAULT)
    ab = _with_output(net, "acceleration")
    base = _metrics(input_as_refiner, sets)
    rows = [_row({"variant": "input"}, base, base),
            _row({"variant": "base stage (Acceleration Branch), averaged"}, _metrics(ab, sets), base),
            _row({"variant": "base stage twice (again on its averaged output)"},
                 _metrics(lambda x, fps=None, confidence=None: ab(ab(x, fps=fps, confidence=confidence), fps=fps),
                          sets), base),
            _row({"variant": "base + refinement stage (SynSP)"}, _metrics(net, sets), base)]
    rep.table(f"the shipped {DEFAULT}", rows)
    return rep


def window_average(ctx: "Context") -> Report:
    sets, preset = ctx.sets, ctx.preset
    rep = Report("window-average", f"Section 2.6: window averaging (SWAA) accuracy and time ({preset})", "")
    base = _metrics(input_as_refiner, sets)
    rows = [_row({"windows": "input"}, base, base)]
    for label, stride in (("non-overlapping (stride W)", 8), ("stride 4, averaged", 4), ("stride 1, averaged (SWAA)", 1)):
        rows.append(_row({"windows": label}, _metrics(_network(DEFAULT, stride=stride), sets), base))
    rep.table(f"the shipped {DEFAULT}: accuracy (the seed: -27.1 % MPJPE, -45.4 % Accel for stride 1 vs "
              "non-overlapping)", rows)
    rep.notes.append("- The time of the window average against the per-frame loop is measured by "
                     "`python benchmarks/swaa.py` (the loop, the official conv2d trick and synsp side by side).")
    return rep


MULTIVIEW = "synsp-h36m17-3d-w8-p4"


def combinations(ctx: Context) -> Report:
    """Section 2.7: what each model does with each kind of input group (the person, first view, scored)."""
    from .grouping import DEFAULT_BANK, SimilarPoseRefiner, load_bank

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
    same = [validation_set("h36m17", ctx.preset, ctx.frames, ctx.corpus, seed=1000 * s, split="test", views=4)
            for s in range(ctx.seeds)]
    random = []
    for clips in same:
        group = []
        for i, (g, x, c) in enumerate(clips):
            others = [np.resize(clips[(i + k) % len(clips)][1][:, 0], x[:, 0].shape) for k in (1, 2, 3)]
            group.append((g, np.stack([x[:, 0], *others], axis=1), c))
        random.append(group)
    alone = [[(g[:, 0], x[:, 0], c[:, 0]) for g, x, c in clips] for clips in same]
    rep.notes.append(f"- {sum(len(g) for g, _, _ in same[0])} test frames x {ctx.seeds} noise seed(s), 4 views each")
    bank = load_bank() if DEFAULT_BANK.is_file() else None
    if bank is None:
        rep.notes.append(f"- no pose bank at {DEFAULT_BANK} (`python tools/make_pose_bank.py`): no similar-pose column")
    similar_col = "person + 3 similar poses (bank)"
    raw = _cell_pair(_metrics(input_as_refiner, alone))  # the first view's input is the same in every group
    rows = [{"model": "input", "person alone": raw, "4 views of the person": raw, "person + 3 other clips": raw,
             similar_col: raw}]
    models = (("single-view SynSP", DEFAULT), ("multi-view SynSP (trained on 4 views of one person)", MULTIVIEW),
              ("SynSP trained on random groups of 4", ctx.runs / "synsp-h36m17-3d-w8-random4" / "best"),
              ("SynSP trained on similar-pose groups of 4 (random-group options)",
               ctx.runs / "synsp-h36m17-3d-w8-similar4" / "best"),
              ("SynSP trained on similar-pose groups of 4 (multi-view options)",
               ctx.runs / "synsp-h36m17-3d-w8-similar4-mean" / "best"))
    for label, name in models:
        net = _network(name)
        if net is None:
            rep.notes.append(f"- {name}: not found, skipped")
            continue
        if net.card.views == 1:
            rows.append({"model": label, "person alone": _cell_pair(_metrics(net, alone)),
                         "4 views of the person": "each view alone", "person + 3 other clips": "each view alone",
                         similar_col: "the person alone"})
            continue
        first = _first_view(net)
        rows.append({"model": label,
                     "person alone": _cell_pair(_metrics(_as_single_group(net), alone)),
                     "4 views of the person": _cell_pair(_metrics_first_view(first, same)),
                     "person + 3 other clips": _cell_pair(_metrics_first_view(first, random)),
                     similar_col: (_cell_pair(_metrics(SimilarPoseRefiner(net, bank), alone)) if bank is not None
                                   else "no bank")})
    rep.table("MPJPE (mm) / Accel (mm/frame^2) of the first view", rows)
    return rep


def _first_view(net: NetworkRefiner) -> Callable:
    """A multi-view network on groups ``(T, P, J, D)``, returning the first view ``(T, J, D)``."""
    def run(x, fps=None, confidence=None):
        return net(x, fps=fps, confidence=confidence)[:, 0]
    return run


def _metrics_first_view(run: Callable, sets) -> dict[str, float]:
    """:func:`_metrics` of ``run`` (groups ``(T, P, J, D)`` in, the first view out) against the first view."""
    sk = get_skeleton("h36m17")
    results = []
    for clips in sets:
        preds = [run(x, fps=30.0, confidence=c) for _, x, c in clips]
        gts = [g[:, 0] for g, _, _ in clips]
        inputs = [input_as_refiner(x[:, 0]) for _, x, _ in clips]
        results.append(summarize(preds, gts, inputs=inputs, root_joints=sk.root_joints, parents=sk.parents,
                                 scale=1000.0))
    return {k: float(np.mean([r[k] for r in results])) for k in ("mpjpe", "accel")}


def _cell_pair(m: dict[str, float]) -> str:
    return f"{m['mpjpe']:.1f} / {m['accel']:.2f}"


def _as_single_group(net: NetworkRefiner) -> Callable:
    """A multi-view network on one view: the view is its own group of one."""
    def run(x, fps=None, confidence=None):
        conf = None if confidence is None else confidence[:, None]
        return net(x[:, None], fps=fps, confidence=conf)[:, 0]
    return run


GENERALISATION_PRESETS = ("h36m-fcn-like", "3dpw-spin-like", "vibe-like")


def generalisation(ctx: "Context") -> Report:
    """Train on one simulated estimator, test on every other: MPJPE change from the input per cell."""
    rep = Report("generalisation", "Generalisation: trained on one error preset, tested on each", "")
    rep.notes.append("- Rows: the training preset (`bash benchmarks/train_generalisation.sh`: the paper's "
                     "architecture, the first default's recipe, one preset each; `all three mixed` is that "
                     "architecture on the three presets mixed, `runs/ablations/full`). Columns: the test preset. "
                     "Cells: MPJPE / Accel and the MPJPE change from the input; the diagonal is in-distribution.")
    folder = ctx.runs / "generalisation"
    trained = [(p, _network(folder / p / "best")) for p in GENERALISATION_PRESETS]
    trained = [(p, n) for p, n in trained if n is not None]
    full = _network(ctx.runs / "ablations" / "full" / "best")  # same architecture, the three presets mixed
    trained += [("all three mixed", full)] if full is not None else []
    trained += [("all three mixed (shipped default, refine_branches)", _network(DEFAULT))]
    if len(trained) <= 2:
        rep.notes.append(f"- no single-preset checkpoints in {folder}; only the shipped model's row is shown")
    sets = {p: ctx.sets if p == ctx.preset else test_sets(p, ctx.seeds, ctx.frames, ctx.corpus)
            for p in GENERALISATION_PRESETS}
    inputs = {p: _metrics(input_as_refiner, sets[p]) for p in GENERALISATION_PRESETS}
    rows = [{"trained on": "input (no refinement)",
             **{p: f"{inputs[p]['mpjpe']:.1f} / {inputs[p]['accel']:.2f}" for p in GENERALISATION_PRESETS}}]
    for train_preset, net in trained:
        row = {"trained on": train_preset}
        for p in GENERALISATION_PRESETS:
            m = _metrics(net, sets[p])
            row[p] = f"{m['mpjpe']:.1f} / {m['accel']:.2f} ({100 * (m['mpjpe'] / inputs[p]['mpjpe'] - 1):+.1f} %)"
        rows.append(row)
    rep.table("MPJPE (mm) / Accel (mm/frame^2) on each test preset", rows)
    return rep


def smoothnet_data(ctx: "Context") -> Report:
    """Table 1 on the paper's own data, for users who hold it in SmoothNet's format: every method on the
    detected sequences of ``<root>/<dataset>_<estimator>_<3D|2D>/`` against their ground truth."""
    from .io.smoothnet import load_smoothnet, smoothnet_spec
    from .skeletons import SKELETONS

    if ctx.smoothnet is None:
        raise SynspInputError("the smoothnet-data experiment needs --smoothnet-root DIR --dataset NAME "
                              "--estimator NAME (the SmoothNet data folders)")
    root, dataset, estimator, representation = ctx.smoothnet
    spec = smoothnet_spec(dataset, estimator, representation)
    if spec is None or spec.layout == "smpl":
        raise SynspInputError(f"no positions table for {dataset}/{estimator}/{representation}; see "
                              "synsp.io.SMOOTHNET_DATASETS for the combinations (SMPL rotations are not measured)")
    seqs = load_smoothnet(root, dataset, estimator, representation, "test", trust_pickle=ctx.trust_pickle)
    if ctx.frames < 10**9:  # --quick: the first sequences only
        keep, total = [], 0
        for q in seqs:
            if total >= ctx.frames:
                break
            keep.append(q)
            total += q.num_frames
        seqs = keep
    fps = spec.fps or 30.0
    scale = 1000.0 if spec.dims == 3 else 1.0
    unit = "mm" if spec.dims == 3 else "px"
    parents = get_skeleton(spec.layout).parents if spec.layout in SKELETONS else None
    rep = Report(f"smoothnet-{spec.folder}", f"Table 1 on SmoothNet-format data: {spec.folder}", "")
    rep.notes.append(f"- {len(seqs)} test sequences, {sum(q.num_frames for q in seqs)} frames at {fps:g} fps; "
                     f"real estimator output ({estimator}) against the dataset's ground truth; SmoothNet "
                     f"conventions ({unit}, root-relative on joints {list(spec.root_joints)}, Accel per frame^2).")
    gts = [np.asarray(q.gt, dtype=np.float64) for q in seqs]
    dets = [np.asarray(q.detected, dtype=np.float64) for q in seqs]
    rows = []
    for method in ["input", *ctx.methods]:
        if method == "input":
            preds = dets
        else:
            refiner = get_refiner(method)
            try:
                preds = [refiner(d, fps=fps) for d in dets]
            except SynspInputError as exc:
                rep.notes.append(f"- {method}: not run on this data ({exc})")
                continue
        m = summarize(preds, gts, inputs=dets, root_joints=spec.root_joints or None, parents=parents, scale=scale)
        rows.append({"method": method, "MPJPE": m["mpjpe"], "PA-MPJPE": m["pa_mpjpe"], "Accel": m["accel"],
                     "MPJPE hardest 1 %": m["mpjpe_hardest"], "MPJPE fast 10 %": m["mpjpe_fast"]})
    rep.table(f"{spec.folder}: MPJPE/PA-MPJPE in {unit}, Accel in {unit}/frame^2 at {fps:g} fps", rows)
    return rep


# ---- figures --------------------------------------------------------------------------------


def _figure(w: float, h: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def _curve_figure(curve, base):
    fig = _figure(7, 3)
    ax1, ax2 = fig.subplots(1, 2)
    w = [c[0] for c in curve]
    ax1.plot(w, [c[1] for c in curve], "o-", label="SynSP")
    ax1.axhline(base["mpjpe"], color="grey", ls="--", label="input")
    ax2.plot(w, [c[2] for c in curve], "o-")
    ax2.axhline(base["accel"], color="grey", ls="--")
    for ax, what in ((ax1, "MPJPE (mm)"), (ax2, "Accel (mm/frame²)")):
        ax.set_xlabel("window (frames)")
        ax.set_ylabel(what)
        ax.set_xticks(w)
    ax1.legend()
    return fig


def _bars_figure(names, series: dict[str, list[float]], ylabel: str):
    fig = _figure(10, 3.5)
    ax = fig.subplots()
    width = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        ax.bar(np.arange(len(names)) + i * width, values, width, label=label)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return fig


ROTATION_MODEL = "synsp-smpl24-rot-w8"
ROTATION_FILTERS = ("one-euro", "savgol", "gaussian", "butterworth", "kalman-rts")


def rotations(ctx: "Context") -> Report:
    """SMPL-style joint rotations: the quaternion filters against the rotation network, on the same
    noisy rotations; joint errors through forward kinematics and the geodesic angle error."""
    import time

    from .rotations import refine_rotations, rotation_metrics
    from .training import input_as_rotations

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
        net = _network(where)
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


ROBUSTNESS_2D = ("one-euro", "savgol", "gaussian", "butterworth", "kalman-rts", "synsp-coco17-2d-w8",
                 "synsp-coco17-2d-w8-accurate")


def robustness_methods(ctx: "Context") -> list[str]:
    """The methods of the robustness table: those asked for, or in 2D, when the CLI's (3D) defaults were
    left alone, the filters and the 2D models."""
    return list(ROBUSTNESS_2D) if ctx.representation == "2d" and not ctx.methods_given else list(ctx.methods)


def robustness(ctx: "Context") -> Report:
    """Every method under conditions it was not tuned for: clean input (also 2x and 3x faster), the held-out
    error families at two levels, the training family, the presets; per motion kind; throughput."""
    from . import robustness as rb

    two_d = ctx.representation == "2d"
    unit, scale = ("px", 1.0) if two_d else ("mm", 1000.0)
    methods = robustness_methods(ctx)
    rep = Report("robustness", f"Robustness: clean input, held-out error families, presets ({ctx.skeleton} "
                 f"{ctx.representation.upper()})", "")
    conds = rb.conditions(ctx.skeleton, ctx.representation, min(ctx.frames, 600) if ctx.quick else ctx.frames,
                          ctx.corpus)
    results = {}
    for method in ["input", *methods]:
        refiner = input_as_refiner if method == "input" else get_refiner(method)
        results[method] = {c.name: rb.measure(refiner, c, ctx.skeleton, scale) for c in conds}
    inp = results["input"]
    table, ratios, worst = [], [], []
    for c in conds:
        row, rrow, wrow = {"condition": c.name}, {"condition": c.name}, {"condition": c.name}
        for method in results:
            m = results[method][c.name]
            row[method] = m["mpjpe"]
            wrow[method] = m["worst"]
            if c.clean:
                rrow[method] = f"+{m['mpjpe']:.2f} {unit}"
            elif method != "input":
                rrow[method] = (f"{m['mpjpe'] / inp[c.name]['mpjpe']:.2f}x / "
                                f"{m['accel'] / max(inp[c.name]['accel'], 1e-12):.2f}x")
        table.append(row)
        ratios.append(rrow)
        worst.append(wrow)
    rep.table(f"MPJPE ({unit}, root-relative) per condition; clean rows: what the method adds to the truth",
              table)
    rep.table("MPJPE / Accel as a multiple of the input's (clean rows: MPJPE added)", ratios)
    rep.table(f"MPJPE of the worst clip ({unit})", worst)
    probe = f"spiky {100 * rb.LEVELS[-1]:g} %"
    kinds = sorted({k for c in conds for _, _, _, k in c.clips})
    per_kind = []
    for kind in kinds:
        for cname in ("clean", probe):
            row = {"motion kind": kind, "condition": cname}
            for method in results:
                row[method] = results[method][cname]["kinds"].get(kind, float("nan"))
            per_kind.append(row)
    rep.table(f"MPJPE ({unit}) per motion kind (clean: added)", per_kind)
    rep.table("throughput on the clean clips (frames/s, this machine)",
              [{"method": m, "frames/s": round(results[m]["clean"]["fps"])} for m in methods])
    rep.notes.append("- Held-out families (synsp.error_families: "
                     f"{', '.join(rb.HELD_OUT_FAMILIES)}) are never used to train a shipped model; the 'overshoot' "
                     "family at 2 % on the validation split is used to select family-trained checkpoints, the "
                     "others are never seen before this table. Levels are RMS displacements as a share of the "
                     "person's size (1.7 m person: 1 % = 17 mm).")
    rep.notes.append("- What simulated errors can show: harm done to clean motion, and how methods rank under "
                     "controlled error structures. What they cannot: the gain on a real estimator's output, whose "
                     "error structure none of these families is; the published gains on real estimator output "
                     "are 1-6 %.")
    return rep


def inversions(ctx: "Context") -> Report:
    """Long left/right inversions and crossing people on the test split: what the whole-track repair
    restores, what it relabels where nothing is inverted, and the MPJPE of the input, filters and the
    default model without and with it (:mod:`synsp.inversion_benchmark`; 3D h36m17 with 3dpw-spin-like
    errors, 2D coco17 through the virtual cameras with mediapipe-like errors)."""
    from . import inversion_benchmark as ib

    case = ib.case_of(ctx.skeleton, ctx.representation)
    return ib.report(case, frames=min(ctx.frames, 800) if ctx.quick else ctx.frames, corpus=ctx.corpus,
                     crossing_frames=600 if ctx.quick else None)


EXPERIMENTS: dict[str, Callable[..., Report]] = {
    "comparison": comparison,
    "branches": branches,
    "windows": windows,
    "ablation": ablation,
    "pearson": pearson,
    "base-repeat": base_repeat,
    "window-average": window_average,
    "generalisation": generalisation,
    "combinations": combinations,
    "smoothnet-data": smoothnet_data,
    "rotations": rotations,
    "robustness": robustness,
    "inversions": inversions,
}


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


def run_experiment(name: str, preset: str = "3dpw-spin-like", seeds: int = 3, quick: bool = False,
                   corpus: str | None = None, runs: str | Path = "runs", methods: list[str] | None = None,
                   models: list[str] | None = None, command: str = "", skeleton: str = "h36m17",
                   representation: str = "3d", smoothnet: tuple[str, str, str, str] | None = None,
                   trust_pickle: bool = False, methods_given: bool = True) -> Report:
    """Run one experiment of :data:`EXPERIMENTS` and return its report (not yet saved)."""
    if name not in EXPERIMENTS:
        raise SynspInputError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    two_d = (skeleton, representation) == ("coco17", "2d")
    if (skeleton, representation) != ("h36m17", "3d") and not (name in ("comparison", "robustness", "inversions")
                                                               or (name == "pearson" and two_d)):
        raise SynspInputError(f"experiment {name!r} studies the shipped 3D h36m17 models; 'comparison', "
                              "'robustness' and 'inversions' take --skeleton / --representation, 'pearson' also "
                              "--skeleton coco17 --representation 2d")
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
