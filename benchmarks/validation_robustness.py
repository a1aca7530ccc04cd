"""Candidate checkpoints compared on the validation split (never the test split): clean input at 1x, 2x and
3x speed, held-out error families, the training family.

Choosing between training runs on the test split would select on it; this script gives the robustness
experiment's kind of rows on the validation split instead, so the test-split table stays unseen until a model
is shipped. MPJPE (root-relative; mm in 3D, px in 2D) per condition; clean rows: what the method adds.

Run:  python benchmarks/validation_robustness.py [--representation 2d|rotations] [--frames 8000] [--accel] [--all-levels] [--parts]
      [--methods a,b,...]

``--representation rotations``: the robustness experiment's rotation rows (smpl24, degrees) on the validation
split; methods are rotation refiners (filters on quaternions, rotation networks, a universal model trained
with rotations).
"""

from __future__ import annotations

import argparse
import functools

#: (family, level): one level per held-out family, overshoot at the level the selection uses
FAMILY_ROWS = (("spiky", 0.01), ("rigid-shake", 0.01), ("rigid-shake", 0.03), ("overshoot", 0.02),
               ("quantized", 0.01))
# --all-levels: also the robustness experiment's other rows, every held-out family at 1 % and 3 %
ALL_LEVELS = tuple((fam, level) for fam in ("spiky", "rigid-shake", "overshoot", "quantized") for level in (0.01, 0.03))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--representation", choices=("3d", "2d", "rotations"), default="3d")
    parser.add_argument("--skeleton", default=None,
                        help="joint set (default: h36m17 in 3D, coco17 in 2D; smpl24: the universal model's held-out one)")
    parser.add_argument("--frames", type=int, default=8000, help="validation-split frames (whole clips)")
    parser.add_argument("--split", choices=("val", "test", "train", "all"), default="val",
                        help="val (the point of this script); test only to smoke-run it on the embedded corpus; "
                             "train or all with --corpus: a corpus of your own that no compared model was trained on")
    parser.add_argument("--corpus", default=None,
                        help="a corpus file (synsp data import) instead of the built one; --skeleton its joint set")
    parser.add_argument("--stride", type=int, default=None,
                        help="networks: offline window stride (default: each model card's own)")
    parser.add_argument("--methods", default="kalman-rts,butterworth",
                        help="comma-separated refiners: filters, shipped models or checkpoint paths; 'input' for the "
                             "input itself (missing joints interpolated)")
    parser.add_argument("--untold", action="store_true",
                        help="networks built with joint_structure are not told the skeleton (a joint set of unknown "
                             "structure, as for 17 joints without --skeleton)")
    parser.add_argument("--accel", action="store_true",
                        help="positions: each error row's Accel as a multiple of the input's after the MPJPE")
    parser.add_argument("--all-levels", action="store_true",
                        help="positions: every held-out family at 1 %% and 3 %% too, the test table's rows (spiky 3 %%, "
                             "overshoot 1 %% and 3 %%, quantized 3 %%), so a choice between runs sees all of them")
    parser.add_argument("--parts", action="store_true",
                        help="positions: also each component of a held-out family of several components alone, at "
                             "the family's level (spiky: its white jitter alone, its outliers and brief inversions)")
    args = parser.parse_args(argv)

    import numpy as np

    from synsp.data.corpus import available_corpus_path
    from synsp.data.positions import split_positions
    from synsp.error_families import ErrorFamily, get_family, simulate_family
    from synsp.metrics import summarize
    from synsp.refiners import NetworkRefiner, get_refiner
    from synsp.skeletons import get_skeleton

    if args.representation == "rotations":
        return _rotations(args)
    two_d = args.representation == "2d"
    skeleton = args.skeleton or ("coco17" if two_d else "h36m17")
    if args.split in ("train", "all") and not args.corpus:
        print(f"--split {args.split}: only with --corpus, a corpus the compared models were not trained on")
        return 2
    corpus = args.corpus or available_corpus_path()
    split, split_name = _split(args)
    truths = [g for g, _ in split_positions(skeleton, split, args.representation, args.frames, str(corpus))]
    if not truths:
        print(f"the corpus has no {args.split} clips: build it with `synsp data build`")
        return 2
    depth, scale, unit = (None, 1.0, "px") if two_d else (2, 1000.0, "mm")
    conds = {"clean": [(g, g) for g in truths]}
    for speed in (2, 3):
        conds[f"clean {speed}x"] = [(g[::speed], g[::speed]) for g in truths if len(g[::speed]) >= 16]
    rows = FAMILY_ROWS + tuple(r for r in ALL_LEVELS if r not in FAMILY_ROWS) if args.all_levels else FAMILY_ROWS
    for fam, level in rows:
        conds[f"{fam} {100 * level:g} %"] = [
            (g, simulate_family(g, fam, skeleton=skeleton, fps=30.0, seed=11 + 7919 * i, level=level,
                                depth_axis=depth).pred) for i, g in enumerate(truths)]
    if args.parts:  # which part of a family of several components makes its error
        for fam, level in FAMILY_ROWS:
            components = get_family(fam).components
            if len(components) < 2 or f"{fam} {100 * level:g} % ({next(iter(components))} alone)" in conds:
                continue
            for comp in components:
                part = ErrorFamily(f"{fam}:{comp}", {comp: 1.0}, clean_fraction=0.0, held_out=True)
                conds[f"{fam} {100 * level:g} % ({comp} alone)"] = [
                    (g, simulate_family(g, part, skeleton=skeleton, fps=30.0, seed=11 + 7919 * i, level=level,
                                        depth_axis=depth).pred) for i, g in enumerate(truths)]
    conds["mixed"] = [(g, simulate_family(g, "mixed", skeleton=skeleton, fps=30.0, seed=5 + 7919 * i,
                                          depth_axis=depth).pred) for i, g in enumerate(truths)]
    root = get_skeleton(skeleton).root_joints
    methods = [m for m in args.methods.split(",") if m]
    print(f"{split_name}, {sum(len(g) for g in truths)} frames in {len(truths)} clips, {skeleton} "
          f"{args.representation}; MPJPE ({unit}); clean rows: added")
    print("\n| method | " + " | ".join(conds) + " |")
    print("|---" * (len(conds) + 1) + "|")
    input_accel = {cond: summarize([_interpolated(x) for _, x in clips], [g for g, _ in clips], root_joints=root,
                                   scale=scale)["accel"] for cond, clips in conds.items()} if args.accel else {}
    for name in methods:
        refiner = (lambda x, fps: _interpolated(x)) if name == "input" else get_refiner(name)
        if args.stride is not None and isinstance(refiner, NetworkRefiner):
            refiner = NetworkRefiner(refiner.model, refiner.card, stride=args.stride)
        if isinstance(refiner, NetworkRefiner) and not args.untold:  # a network that takes where the joints sit
            refiner = refiner.told(skeleton)
        cells = []
        for cond, clips in conds.items():
            preds = [np.asarray(refiner(x, fps=30.0)) for _, x in clips]
            gts = [g for g, _ in clips]
            m = summarize(preds, gts, root_joints=root, scale=scale)
            cell = f"{m['mpjpe']:.2f}"
            if args.accel and not cond.startswith("clean"):
                cell += f" / {m['accel'] / input_accel[cond]:.2f}x"
            cells.append(cell)
        print(f"| {name} | " + " | ".join(cells) + " |")
    extra = [f"--representation {args.representation}"] if two_d else []
    extra += [f"--skeleton {args.skeleton}"] if args.skeleton else []
    extra += [f"--split {args.split}"] if args.split != "val" else []
    extra += [f"--corpus {args.corpus}"] if args.corpus else []
    extra += [f"--frames {args.frames}"] + ([f"--stride {args.stride}"] if args.stride is not None else [])
    extra += ["--accel"] if args.accel else []
    extra += ["--all-levels"] if args.all_levels else []
    extra += ["--parts"] if args.parts else []
    extra += ["--untold"] if args.untold else []
    extra += [f"--methods {args.methods}"]
    if args.accel:
        print("\nerror rows: MPJPE / Accel as a multiple of the input's (missing joints interpolated)")
    print(f"\nreproduce: python benchmarks/validation_robustness.py {' '.join(extra)}")
    return 0


def _split(args: argparse.Namespace) -> tuple[str | None, str]:
    """The corpus split ``--split`` names (``None``: every clip) and how the table's first line names it."""
    if args.split == "all":
        return None, "every clip"
    return args.split, "validation split" if args.split == "val" else f"{args.split} split"


def _interpolated(x):
    """The input as the tables' input row: missing joints linearly interpolated."""
    from synsp.training import input_as_refiner

    return input_as_refiner(x)


def _rotations(args: argparse.Namespace) -> int:
    """The rotation rows: mean geodesic angle (degrees; clean rows: added) / forward-kinematics MPJPE (mm)."""
    from synsp.data.corpus import available_corpus_path
    from synsp.experiments.robustness import measure_rotations, rotation_conditions, rotation_refiner
    from synsp.refiners import NetworkRefiner
    from synsp.rotations import RotationNetwork

    corpus = str(args.corpus or available_corpus_path())
    split, split_name = _split(args)
    conds = [c for c in rotation_conditions(args.frames, corpus, split=split) if not c.name.startswith("preset")]
    if not conds or not conds[0].clips:
        print(f"the corpus has no {args.split} rotation clips: build it with `synsp data build`")
        return 2
    print(f"{split_name}, smpl24 rotations; mean geodesic angle (degrees) "
          "/ forward-kinematics MPJPE (mm); clean rows: added")
    print("\n| method | " + " | ".join(c.name for c in conds) + " |")
    print("|---" * (len(conds) + 1) + "|")
    for name in [m for m in args.methods.split(",") if m]:
        refiner = rotation_refiner(name)  # functools.partial(refine_rotations, model=...)
        model = refiner.keywords.get("model") if isinstance(refiner, functools.partial) else None
        if args.stride is not None and isinstance(getattr(model, "network", None), NetworkRefiner):
            network = model.network  # a rotation network: its windows at the asked stride
            model = RotationNetwork(NetworkRefiner(network.model, network.card, stride=args.stride),
                                    smooth_root=model.smooth_root)
            refiner = functools.partial(refiner.func, model=model)
        cells = [measure_rotations(refiner, c) for c in conds]
        print(f"| {name} | " + " | ".join(f"{m['angle']:.2f} / {m['mpjpe']:.1f}" for m in cells) + " |")
    print(f"\nreproduce: python benchmarks/validation_robustness.py --representation rotations --frames {args.frames}"
          + (f" --stride {args.stride}" if args.stride is not None else "")
          + (f" --split {args.split}" if args.split != "val" else "")
          + (f" --corpus {args.corpus}" if args.corpus else "") + f" --methods {args.methods}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
