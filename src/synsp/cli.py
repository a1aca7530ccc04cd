"""The ``synsp`` command: a thin layer over the Python API."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

import click

from . import __version__
from .validation import SynspInputError


class _Output(click.Option):
    """``-o/--output``, the output option of every command; older spellings (``--out``) still work but
    are left out of the help."""

    def __init__(self, *args, hidden_names: tuple[str, ...] = ("--out",), **kw):
        super().__init__(*args, **kw)
        self.hidden_names = hidden_names

    def get_help_record(self, ctx):
        shown, self.opts = self.opts, [o for o in self.opts if o not in self.hidden_names]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


def _output(dest: str, **kw):
    """The ``-o/--output`` option (``--out`` a hidden alias), stored in ``dest``."""
    return click.option("-o", "--output", "--out", dest, cls=_Output, **kw)


def _fps_option(ctx, param, value):
    """``--fps`` (and ``--fps-out``) of every command: 1 to 10,000 Hz (synsp.validation.check_fps), before any
    work."""
    from .validation import check_fps

    return check_fps(value, name=max(param.opts, key=len))


def _max_gap_option(ctx, param, value):
    """``--max-gap`` of refine and inspect: a whole number of frames >= 0, refused before any file is read (inspect
    would otherwise describe a file cut at every frame that refine then refuses)."""
    from .validation import check_max_gap

    return check_max_gap(value, name="--max-gap")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="synsp")
def cli() -> None:
    """Refine jittery pose sequences (2D keypoints, 3D joints, body-model rotations)."""


@cli.command()
@_output("out_dir", type=click.Path(file_okay=False), default="synsp-demo", show_default=True,
         help="folder for the pictures")
@click.option("--preset", default="3dpw-spin-like", show_default=True,
              help="simulated estimator (see synsp.noise.PRESETS)")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="noise seed (>= 0)")
def demo(out_dir: str, preset: str, seed: int) -> None:
    """Refine (1) a real MediaPipe track of a real video, (2) a real mocap clip with simulated errors and
    (3) the same clip's SMPL rotations."""
    from .demo import check_demo_options, run_demo

    check_demo_options(preset, seed)  # before part (1) writes its picture
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise SynspInputError(f"{out_dir}: is a file; -o takes a folder for the pictures")
    result = run_demo(out_dir, preset=preset, seed=seed)
    if result.real_rows is not None:
        s = result.real_summary
        click.echo(f"(1) real estimator output: MediaPipe Pose on the Sports2D demo video ({s['frames']} frames, "
                   f"{s['persons']} person segments), refined by {s['model']}; no ground truth")
        click.echo("pixels; Accel = mean |2nd difference| in px/frame^2; shift = mean |refined - raw| in px")
        click.echo("")
        click.echo("| track | frames | Accel raw | Accel refined | shift |")
        click.echo("|---|---|---|---|---|")
        for r in result.real_rows:
            click.echo(f"| {r['track']} | {r['first']}-{r['last']} ({r['detections']}) | {r['accel_before']:.2f} | "
                       f"{r['accel_after']:.2f} | {r['displacement']:.2f} |")
        _echo_relabelled(s)
        if result.real_picture:
            click.echo(f"\npicture: {result.real_picture}")
        click.echo("")
        click.echo("(2) ", nl=False)
    click.echo(f"clip {result.clip_id}: {result.frames} frames at {result.fps:g} fps, real CMU mocap "
               f"(corpus test split) + simulated '{result.preset}' estimator errors (seed {seed})")
    click.echo("root-relative Human3.6M-17 joints, mm; Accel in mm/frame^2; 'hardest' = worst 1 % input frames; "
               "'clean input' = MPJPE the method adds to the error-free clip (first, do no harm)")
    click.echo("")
    click.echo("| method | MPJPE | PA-MPJPE | Accel | MPJPE hardest | MPJPE fast-motion | bone std | clean input |")
    click.echo("|---|---|---|---|---|---|---|---|")
    for name, m in result.rows.items():
        click.echo(f"| {name} | {m['mpjpe']:.1f} | {m['pa_mpjpe']:.1f} | {m['accel']:.2f} | "
                   f"{m['mpjpe_hardest']:.1f} | {m['mpjpe_fast']:.1f} | {m['bone_std']:.1f} | "
                   f"+{m['clean_added']:.2f} |")
    if result.picture:
        click.echo(f"\npicture: {result.picture}")
    if result.rotation_rows:
        click.echo("")
        click.echo(f"(3) the same clip as SMPL body-model rotations (24 joints) + simulated '{result.preset}' "
                   "rotation errors")
        click.echo("angle = mean geodesic error in degrees; joints by forward kinematics of a neutral body, mm; "
                   "'clean input' = degrees the method adds to the error-free rotations")
        click.echo("")
        click.echo("| method | angle | MPJPE | Accel | clean input |")
        click.echo("|---|---|---|---|---|")
        for name, m in result.rotation_rows.items():
            click.echo(f"| {name} | {m['angle']:.2f} | {m['mpjpe']:.1f} | {m['accel']:.2f} | "
                       f"+{m['clean_added']:.2f} |")
        if result.rotation_picture:
            click.echo(f"\npicture: {result.rotation_picture}")


class _SizeChoice(click.Choice):
    """``--size``: a name of :data:`synsp.models.synsp.SIZES`, read when the option is parsed or shown (the
    CLI starts without importing torch)."""

    def __init__(self) -> None:
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:
        from .models.synsp import SIZES

        return tuple(sorted(SIZES))


@cli.command()
@click.option("--from", "from_model", default=None,
              help="fine-tune this model (a shipped name such as synsp-universal-w16, a checkpoint or a run folder) "
                   "on your corpus: its architecture, window, network settings, weights and recipe, 5 epochs at "
                   "lr 3e-4; any option given here wins")
@click.option("--architecture", type=click.Choice(["synsp", "smoothnet", "deciwatch", "hanet", "universal"]),
              default=None, help="[default: synsp; with --from: the model's] universal: one SynSP for any joint "
                                 "set, 2D and 3D (joints as tokens; synsp.models.universal)")
@click.option("--name", default=None, help="model name (default: derived from the options)")
@click.option("--skeleton", default=None,
              help="joint set (default: the skeleton of a --corpus that holds one, e.g. from `synsp data import`; "
                   "else h36m17)")
@click.option("--representation", type=click.Choice(["3d", "3d-camera", "2d", "rotations"]), default=None,
              help="[default: 3d] rotations: SMPL-style joint rotations (with --skeleton smpl24)")
@click.option("--window", type=int, default=None, help="[default: 8] frames per window (DeciWatch: interval*q+1)")
@click.option("--views", type=int, default=None, help="[default: 1] views refined together (multi-view model)")
@click.option("--min-views", type=int, default=None,
              help="multi-view: train each batch on a random number of views from this to --views")
@click.option("--mode", type=click.Choice(["single", "multiview", "random", "similar"]), default=None,
              help="[default: single]")
@click.option("--preset", default=None,
              help="[default: mixed] simulated estimator: an error family ('mixed': random level and shape per "
                   "segment, clean segments included, so the model learns to leave right input alone; 'mixed-local': "
                   "errors on a few joints) or a noise preset ('3dpw-spin-like', ...: every window wrong, the model "
                   "always corrects); several separated by '+' are mixed")
@click.option("--fast-motion", type=float, default=None,
              help="[default: 0] share of training chunks played 1.25-3x faster (sports, acrobatics)")
@click.option("--low-rate", type=float, default=None,
              help="[default: 0] share of training chunks captured at 10-24 fps, errors included, and brought to "
                   "30 fps through a spline (positions; an experiment: refiners run such input at its own rate, "
                   "which --fast-motion trains, and use the spline only below 10 fps)")
@click.option("--size", type=_SizeChoice(), default=None, help="[default: small] SynSP size")
@click.option("--residual/--no-residual", default=None,
              help="[default: residual] SynSP predicts a correction added to its input (not in the paper; trains "
                   "far faster)")
@click.option("--epochs", type=int, default=None, help="[default: 20; with --from: 5]")
@click.option("--windows-per-epoch", type=int, default=None, help="[default: 50000]")
@click.option("--batch-size", type=int, default=None, help="[default: 256]")
@click.option("--lr", type=float, default=None, help="[default: 0.001; with --from: 0.0003]")
@click.option("--lr-decay", type=float, default=None, help="[default: 0.95]")
@click.option("--w-accel", default=None, type=float, help="accel loss weight (default: 1 for SynSP, 0.1 SmoothNet)")
@click.option("--seed", type=int, default=None, help="[default: 4321]")
@click.option("--corpus", default=None, help="corpus file (default: the built corpus in the cache)")
@_output("out", default=None, help="run folder (default: runs/<name>)")
@click.option("--device", default=None, help="[default: cpu]")
@click.option("--resume", is_flag=True,
              help="continue the run in OUT from OUT/last.pt with its own settings: only --epochs (to extend it), "
                   "--device may differ; without --resume an OUT holding a run is refused")
@click.option("--init", "init", default=None,
              help="start from these weights (a shipped name, a checkpoint or a run folder) with this run's own "
                   "settings, which must fit them (--from takes the model's settings too)")
@click.option("--causal", is_flag=True, default=None,
              help="SynSP, universal: train for zero delay (loss on each window's last frame)")
@click.option("--also-skeleton", "skeletons", multiple=True,
              help="universal: another joint set to train on (repeatable; the corpus must give it)")
@click.option("--mix-2d", type=float, default=None, help="[default: 0] universal: share of the batches in 2D")
@click.option("--joint-subsets", type=float, default=None,
              help="[default: 0] universal: share of the batches on a random subset of the joints (unseen joint sets)")
@click.option("--virtual-joints", type=float, default=None,
              help="[default: 0] universal: share of the batches with extra points along random bones (denser rigs: "
                   "spine chains, hands, fingers, markers)")
@click.option("--shared-view-errors", type=float, default=None,
              help="[default: 0] views (--views): share of the windows whose views' errors are partly one error "
                   "(views of one estimator agree on some of their mistakes)")
@click.option("--mix-rotations", type=float, default=None,
              help="universal with --option rotations=true: share of the batches on smpl24 6D rotations  [default: 0]")
@click.option("--w-fk", type=float, default=None,
              help="smpl24 rotation batches: weight of the loss on the neutral body's joints (forward kinematics)  "
                   "[default: 0]")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="override a network setting, e.g. pose_quality_encoding=false (ablations); repeatable")
def train(**opts) -> None:
    """Train a refiner on the corpus with simulated estimator errors; best epoch by validation MPJPE (OUT/best),
    the final epoch too (OUT/last)."""
    from .training import TrainConfig, fine_tune_settings, resume_settings, train as run

    # every option is the TrainConfig field of the same name; None (unset) takes --from's value, else the
    # TrainConfig default (name, skeleton, out, w_accel: derived by training.resolve_config)
    given = {key: value for key, value in opts.items() if key not in ("from_model", "options", "skeletons", "resume")
             and value is not None}
    base = fine_tune_settings(opts["from_model"]) if opts["from_model"] else {}
    for key in ("architecture", "window", "skeleton"):
        if key in base and key in given and given[key] != base[key]:
            hint = "; for another joint set fine-tune a universal model (synsp-universal-w16)" * (key == "skeleton")
            raise SynspInputError(f"--{key} {given[key]}: --from {opts['from_model']} is a {base[key]} model; "
                                  f"drop --{key} (a fine-tune keeps the model's){hint}")
    if base and "size" in given:  # the network's settings are the model's (its card's config wins over a size)
        raise SynspInputError(f"--size {given['size']}: --from {opts['from_model']} fixes the network's size (its "
                              "weights are that size); drop --size, or train a new model of that size without --from")
    if base and "init" in given:
        raise SynspInputError("--from and --init both give the starting weights; use one of them")
    # a resume keeps the run's own settings: every option left out is the run's (stored in its last.pt), whatever
    # --from's defaults are; its folder is -o, else runs/<--name> (where a run of that name is written)
    folder = given.get("out") or (f"runs/{given['name']}" if given.get("name") else None)
    stored = resume_settings(folder) if opts["resume"] and folder else {}
    base = {**base, **stored}
    arch = given.get("architecture", base.get("architecture", "synsp"))
    model = {**base.get("model", {}), **_parse_options(opts["options"], arch)}
    skeletons = list(opts["skeletons"]) or list(base.get("skeletons") or [])
    config = TrainConfig(**{**base, **given, "model": model, "skeletons": skeletons,
                            "command": "synsp train " + " ".join(sys.argv[2:])})
    best = run(config, resume=opts["resume"])
    click.echo(f"best checkpoint: {best}.safetensors (+ .json model card)")
    import json

    from .models.checkpoint import worse_than_input

    note = worse_than_input(json.loads(Path(f"{best}.json").read_text()).get("validation", {}))
    if note:
        click.echo(f"synsp: warning: {best}: {note}", err=True)


def _parse_options(options: tuple[str, ...], architecture: str) -> dict:
    """``("pose_quality_encoding=false", "d_model=32")`` -> typed overrides of the network's config."""
    from .models.checkpoint import config_class

    fields = {f.name: f for f in dataclasses.fields(config_class(architecture))}
    out = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep or key not in fields:
            raise SynspInputError(f"--option {item!r}: expected KEY=VALUE with KEY one of {', '.join(fields)}")
        kind = type(fields[key].default)
        if fields[key].default is None:  # a setting that is unset by default (SmoothNet's channels): read as JSON
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value  # a word: the network's own check names what it takes
            continue
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise SynspInputError(f"--option {item!r}: {key} takes true or false")
            out[key] = value.lower() in ("true", "1", "yes")
        else:
            try:
                out[key] = kind(value)
            except ValueError:
                raise SynspInputError(f"--option {item!r}: {key} takes a {kind.__name__}") from None
    return out


@cli.command()
@click.argument("checkpoint")
@_output("out", required=True, help="output stem (.safetensors + .json) or a .onnx file (ONNX: SynSP models of one "
                                     "joint set, DeciWatch and HANet)")
@click.option("--half", is_flag=True, help="store the weights in float16 (half the size)")
@click.option("--name", default=None, help="new model name for the card")
@click.option("--stride", type=int, default=None,
              help="offline window stride stored in the card (1: a window at every frame; 2: half the work)")
def export(checkpoint: str, out: str, half: bool, name: str | None, stride: int | None) -> None:
    """Copy a checkpoint (optionally float16 or renamed) or export it to ONNX.

    CHECKPOINT: a shipped model's name (see `synsp models`), a checkpoint (stem, .safetensors or .json) or a run
    folder of `synsp train` (its best checkpoint), as `synsp refine --model` takes."""
    from .models.checkpoint import checkpoint_file, load_model, save_model
    from .refiners import named_checkpoint

    source = named_checkpoint(checkpoint) or checkpoint
    if Path(out).is_dir():
        raise SynspInputError(f"-o {out}: a folder; give the stem of the checkpoint to write (-o {out}/NAME writes "
                              "NAME.safetensors and NAME.json there) or a .onnx file")
    if name is not None and not name.strip():
        raise SynspInputError(f"--name {name!r}: expected a model name (or leave --name out)")
    if out.endswith(".onnx") and half:
        raise SynspInputError("--half: an ONNX graph is exported in float32; leave --half out, or export a "
                              "float16 checkpoint (-o a stem without .onnx)")
    model, card = load_model(source)
    if not out.endswith(".onnx"):
        src = Path(source)
        src = src / "best" if src.is_dir() else src
        if checkpoint_file(out, ".safetensors").resolve() == checkpoint_file(src, ".safetensors").resolve():
            raise SynspInputError(f"-o {out}: the checkpoint being exported; an export over its own source cannot "
                                  "be undone (--half loses precision): write it to another stem")
    if name:
        card = dataclasses.replace(card, name=name)
    if stride is not None:
        if not 1 <= stride <= card.window:
            raise SynspInputError(f"--stride {stride}: expected an integer from 1 to the window ({card.window})")
        card = dataclasses.replace(card, stride=stride)
    if out.endswith(".onnx"):
        from .models.export import export_onnx

        if not getattr(getattr(model, "config", None), "channels", None):  # ONNX needs a fixed input width
            raise SynspInputError(
                f"{checkpoint}: a {card.architecture} model cannot be exported to ONNX (it takes any number of "
                "channels or joints); ONNX export takes models of a fixed joint set: SynSP (not universal), "
                "DeciWatch and HANet. Export it as a checkpoint instead (-o a stem without .onnx)")
        Path(out).parent.mkdir(parents=True, exist_ok=True)  # as the checkpoint export does
        graph = export_onnx(model, card, out)
        described = graph.with_name(graph.stem + ".card.json")  # --name, --stride and the window normalisation
        described.write_text(card.to_json())
        click.echo(f"wrote {graph} and its card {described} (the normalisation of the windows the graph takes)")
        return
    stem = save_model(out, model, card, half=half)
    click.echo(f"wrote {stem}.safetensors and {stem}.json")


@cli.command()
@click.argument("name", required=False)
def models(name: str | None) -> None:
    """List the shipped models and the classical filters, one line each, with the defaults marked.

    NAME (a model or a filter): its whole model card (with the training command), or the
    filter's parameters and their values.
    """
    import json

    from .models.checkpoint import checkpoint_file

    from .filters import FILTER_NOTES, FILTERS
    from .refiners import shipped_models
    from .stream import NOT_BODY_STREAM_FILTER

    found = shipped_models()
    if name is not None:
        _describe(name, found)
        return
    defaults = _model_defaults(found)
    click.echo("Learned models (default: the one marked for the file's skeleton and coordinates; "
               "synsp models NAME for the whole card):")
    if not found:
        click.echo("  no model shipped yet")
    for model_name, stem in found.items():
        card = json.loads(checkpoint_file(stem, ".json").read_text())
        val = card.get("validation", {})
        unit = "px" if card["dims"] == 2 else "mm"
        kind = "rotations (6D)" if card["dims"] == 6 else f"{card['dims']}D"
        if card["architecture"] == "universal":  # one set of weights: the dimensions its config takes
            kind = "2D, 3D" + (" and rotations (6D)" if card["config"].get("rotations") else "")
        delay = 0 if card.get("causal") else card["window"] - 1
        mark = f" [default for {defaults[model_name]}]" if model_name in defaults else ""
        click.echo(f"  {model_name}{mark}: {card['architecture']}, {card['skeleton']} {kind}, "
                   + (f"{card['views']} views, " if card["views"] > 1 else "")
                   + f"delay {delay} frames, validation MPJPE {val.get('val_mpjpe', float('nan')):.1f} {unit} "
                   f"(input {val.get('input_mpjpe', float('nan')):.1f}), Accel "
                   f"{val.get('val_accel', float('nan')):.2f} (input {val.get('input_accel', float('nan')):.2f})")
        if card.get("limitations"):
            click.echo(f"      limitations: {card['limitations']}")
    click.echo("Classical filters (any skeleton; delay at 30 fps; parameters: --model one-euro:min_cutoff=1,beta=0.01, "
               "synsp models NAME lists them):")
    for filter_name in sorted(FILTERS):
        delay, use = FILTER_NOTES.get(filter_name, ("?", ""))
        marks = {_fallback_filter(): "default for a hand or face alone, one point, or more joints than a model takes",
                 NOT_BODY_STREAM_FILTER: "synsp.Stream()'s default for a hand or face alone"}
        mark = f" [{marks[filter_name]}]" if filter_name in marks else ""
        click.echo(f"  {filter_name}{mark}: delay {delay}; {use}")


def _fallback_filter() -> str:
    from .api import FALLBACK_FILTER

    return FALLBACK_FILTER


def _model_defaults(found: dict) -> dict[str, str]:
    """Shipped model -> the inputs it is the default for (as synsp.api.choose_model picks it), in words."""
    from .api import LOW_RATE_FPS, LOW_RATE_MODEL, UNIVERSAL_MAX_JOINTS, UNIVERSAL_MODEL, choose_model
    from .rotations import DEFAULT_ROTATION_MODEL
    from .skeletons import SKELETONS, get_skeleton
    from .refiners import VIEW_MEAN
    from .stream import DEFAULT_STREAM_MODEL

    chosen: dict[str, list[str]] = {}
    fusing: set[str] = set()  # models whose views are fused by default (synsp refine --views)
    for skeleton in SKELETONS:
        for dims in (2, 3):
            for views in (1, 4):
                model, note = choose_model(get_skeleton(skeleton).num_joints, dims, skeleton, views=views)
                fused = model.endswith(VIEW_MEAN)  # every view refined by the model, then the views fused
                model = model[: -len(VIEW_MEAN)] if fused else model
                if note is not None or model not in found:
                    continue  # a filter, for want of a model
                if views > 1 and (fused or model == choose_model(get_skeleton(skeleton).num_joints, dims, skeleton)[0]):
                    if fused:
                        fusing.add(model)
                    continue  # the same model with or without --views, or the views' fusion: said once
                what = f"{skeleton} {dims}D" + (" with --views" if views > 1 else "")
                chosen.setdefault(model, []).append(what)
    if UNIVERSAL_MODEL in chosen:  # any body joint set, named or not (synsp.api.choose_model)
        chosen[UNIVERSAL_MODEL].append(f"any other body of 2-{UNIVERSAL_MAX_JOINTS} points in 2D or 3D (not 21 or 68 "
                                       "unnamed points, read as a hand or a face)")
    if LOW_RATE_MODEL in found and UNIVERSAL_MODEL in chosen:
        chosen.setdefault(LOW_RATE_MODEL, []).append(f"the same bodies below {LOW_RATE_FPS:g} fps")
    if DEFAULT_ROTATION_MODEL in found:
        chosen.setdefault(DEFAULT_ROTATION_MODEL, []).append("rotations (SMPL's 24 joints, SMPL-X/-H bodies, any "
                                                             "count up to 200)")
    for model in sorted(fusing):  # 3D views: refined (together, a model trained on views), then fused
        chosen.setdefault(model, []).append("synsp refine --views (3D views, then fused)")
    if DEFAULT_STREAM_MODEL in found:
        chosen.setdefault(DEFAULT_STREAM_MODEL, []).append("synsp.Stream()")
    return {model: ", ".join(what) for model, what in chosen.items()}


def _describe(name: str, found: dict) -> None:
    """``synsp models NAME``: a model's whole card, or a filter's parameters."""
    import json

    from .filters import FILTER_NOTES, FILTERS, filter_parameters
    from .models.checkpoint import checkpoint_file

    if name in FILTERS:
        delay, use = FILTER_NOTES.get(name, ("?", ""))
        click.echo(f"{name}: delay {delay}; {use}")
        params = filter_parameters(name)
        click.echo("  parameters: " + ", ".join(f"{k}={v}" for k, v in params.items()))
        example = next(k for k in params if k != "min_confidence")
        click.echo(f"  e.g. synsp refine INPUT -o OUTPUT --model {name}:{example}={params[example]}")
        return
    if name not in found:
        raise SynspInputError(f"no model or filter named {name!r}; synsp models lists them")
    card = json.loads(checkpoint_file(found[name], ".json").read_text())
    defaults = _model_defaults(found)
    if name in defaults:
        click.echo(f"default for {defaults[name]}")
    for key, value in card.items():
        if key in ("config", "skeleton_definition") and isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items())
        click.echo(f"{key}: {value}")


@cli.command()
@click.argument("input_paths", metavar="INPUT...", nargs=-1, required=True, type=click.Path(exists=True))
@_output("output", required=True, type=click.Path(),
         help="output file (or folder for OpenPose); with several inputs or a folder: the folder they are "
              "mirrored into")
@click.option("--model", default=None,
              help="any method: a filter name (butterworth, one-euro, savgol, kalman-rts, ...) optionally with "
                   "parameters (one-euro:min_cutoff=1,beta=0.01), a shipped model, a checkpoint path or a run "
                   "folder (its best checkpoint); default: the shipped model for the file, else butterworth; "
                   "see synsp models")
@click.option("--fps", type=float, default=None, callback=_fps_option,
              help="frame rate of the input, 1 to 10000 Hz (default: the file's, else the model's)")
@click.option("--skeleton", default=None, help="skeleton name of the input, to choose the model")
@click.option("--key", default=None, help="array name inside a plain .npz (default: the only/known one)")
@click.option("--max-gap", type=int, default=None, callback=_max_gap_option,
              help="longest run of missing frames filled inside a track (default: half a second), and of one "
                   "joint's (default: every run; a longer one stays as written)")
@click.option("--views", is_flag=True,
              help="a (T, P, J, D) array holds P synchronised world-frame views of one person: refine them together")
@click.option("--cameras", "cameras_path", type=click.Path(), default=None,
              help="the calibration (Pose2Sim / anipose .toml, or .npz with K, R, t, dist) of 2D cameras: one input "
                   "per camera in its order (each holding the one person), or --views on a (T, C, J, 2) array; the "
                   "cameras' left/right labels are made to agree before each is refined")
@click.option("--trust-pickle", is_flag=True,
              help="read a pickled SMPL file (.pkl as VIBE writes), a SmoothNet npz with object arrays or a "
                   "VideoPose3D data_2d_*.npz; unpickling runs code: only files you trust")
@click.option("--assign-ids", type=click.Choice(["track", "order", "none"]), default="track", show_default=True,
              help="MMPose/COCO/OpenPose/YOLO files without track ids and with several people: track = follow each "
                   "person by motion continuity, order = their position in each frame, none = refuse")
@click.option("--num-keypoints", type=click.IntRange(min=1), default=None,
              help="a YOLO labels folder: keypoints per line (the model's kpt_shape[0]), when its lines fit several "
                   "layouts")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="several inputs: files refined at once in worker processes (default: the CPUs, at most 8)")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="torch threads (per worker; default: OMP_NUM_THREADS when set, else 1 with several workers, "
                   "else min(4, CPUs))")
@click.option("--repair/--no-repair", default=True, show_default=True,
              help="before refining, undo left/right inversions of arms, legs and head over each whole track "
                   "(joint positions; see synsp.repair)")
@click.option("--cuts/--no-cuts", default=True, show_default=True,
              help="where a person's joints jump at one frame to another shot, place or person (an edited video, "
                   "joined recordings, a rest pose in front of a mocap take), refine each side alone instead of "
                   "smoothing over the jump (see synsp.cuts)")
def refine(input_paths: tuple[str, ...], output: str, model: str | None, fps: float | None, skeleton: str | None,
           key: str | None, max_gap: int | None, views: bool, cameras_path: str | None, trust_pickle: bool,
           assign_ids: str, num_keypoints: int | None, workers: int | None, threads: int | None, repair: bool,
           cuts: bool) -> None:
    """Refine pose files person by person; each output keeps its input's format and fields.

    INPUT: MMPose 0.x/1.x, COCO or AlphaPose JSON, an OpenPose JSON folder (face and hands too), a YOLO pose
    labels folder (save_txt),
    MediaPipe CSV/NPZ, a DeepLabCut .h5 or CSV, a SLEAP .slp or analysis HDF5, an NWB file's ndx-pose poses (each individual a track), TRC, C3D (markers, each subject a track;
    written back in place, analog data and parameters kept), BVH (joint positions; into a .bvh OUTPUT its joint rotations), SMPL
    parameter npz (rotations, refined by the universal rotation model or a named filter; .pkl only
    with --trust-pickle), a SmoothNet-format npz, a VideoPose3D data_2d_*.npz (--trust-pickle), or a
    (T, J, D) / (T, P, J, D) array in .npy/.npz.  An .npy/.npz
    OUTPUT of another format gets a plain (T, P, J, D) array with track ids and scores; a
    .trc OUTPUT of one 3D person gets TRC markers; a .bvh OUTPUT of a BVH the same hierarchy with
    refined joint rotations and root path.  SmoothNet files are written back pickle-free.

    Several INPUTs, or a folder (searched recursively for pose files), are refined into the
    OUTPUT folder with the same names and sub-folders (BVH as .npz), --workers files at once;
    a table sums up every file, and the exit status is 1 when any file failed (listed).
    """
    from .filters import parse_filter_spec
    from .io.tracks import FOLDER_FORMATS, pose_file_format

    if model:
        parse_filter_spec(model)  # a filter with a bad parameter fails once, before any file is read
    options = dict(model=model, fps=fps, skeleton=skeleton, key=key, max_gap=max_gap, trust_pickle=trust_pickle,
                   repair=repair, assign_ids=None if assign_ids == "none" else assign_ids, cuts=cuts,
                   num_keypoints=num_keypoints)
    cameras = None
    if cameras_path:
        from .io.cameras import read_cameras

        cameras = read_cameras(cameras_path)  # a bad calibration fails before any work
        if not views:
            if len(input_paths) != len(cameras["K"]):
                raise SynspInputError(f"--cameras {cameras_path} holds {len(cameras['K'])} cameras; give one input per "
                                      f"camera in that order ({len(input_paths)} given), or --views and one "
                                      f"(T, C, J, 2) array")
            set_threads(threads)
            _refine_cameras(input_paths, output, cameras, options)
            return
    single = len(input_paths) == 1 and (os.path.isfile(input_paths[0])
                                        or pose_file_format(input_paths[0]) in FOLDER_FORMATS)
    if not single:
        if views:
            raise SynspInputError("--views takes one (T, P, J, D) .npy/.npz array of P views, not several inputs")
        _refine_many(input_paths, output, options, workers, threads)
        return
    input_path = input_paths[0]
    set_threads(threads)
    if views:
        if skeleton:
            from .skeletons import get_skeleton

            get_skeleton(skeleton)  # an unknown name fails before any work
        _refine_views(input_path, output, model, fps, skeleton, key, repair, cameras, cuts)
        return
    from .batch import refine_path

    s, units = refine_path(input_path, output, progress=True, **options)
    short = f", {len(s['unrefined_tracks'])} track(s) too short, left as they were" if s["unrefined_tracks"] else ""
    if s.get("unseen"):
        short += f", {s['unseen']} joint(s) never seen in a track part, left as written"
    if s.get("frame_step", 1) > 1:  # synsp.api.detection_step
        short += f", detections on one frame in {s['frame_step']} refined as the sequence they are"
    accel = (f"mean acceleration {s['accel_before']:.4g} -> {s['accel_after']:.4g} ({units} per frame^2)"
             if math.isfinite(s["accel_before"]) else "acceleration not measured (no three consecutive frames detected)")
    click.echo(f"{s['frames']} frames, {s['persons']} person(s), {s['filled']} joints filled{short}; "
               f"{accel} with {s['model']}; wrote {output}")
    if s.get("fallback"):
        click.echo(f"{s['fallback']}; choose another method with --model (a filter name, a shipped model or a "
                   "checkpoint; see synsp models)")
    _echo_relabelled(s)


@cli.command()
@click.argument("input_paths", metavar="INPUT...", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--model", default=None, help="the method to describe (default: what synsp refine would choose)")
@click.option("--fps", type=float, default=None, callback=_fps_option,
              help="frame rate of the input, 1 to 10000 Hz (default: the file's, else the model's)")
@click.option("--skeleton", default=None, help="skeleton name of the input")
@click.option("--key", default=None, help="array name inside a plain .npz (default: the only/known one)")
@click.option("--max-gap", type=int, default=None, callback=_max_gap_option,
              help="longest run of missing frames filled inside a track (default: half a second)")
@click.option("--trust-pickle", is_flag=True, help="read pickled files (SMPL .pkl, SmoothNet, VideoPose3D): "
                                                   "unpickling runs code, only files you trust")
@click.option("--assign-ids", type=click.Choice(["track", "order", "none"]), default="track", show_default=True,
              help="MMPose/COCO/OpenPose/YOLO files without track ids and with several people (see synsp refine)")
@click.option("--num-keypoints", type=click.IntRange(min=1), default=None,
              help="a YOLO labels folder: keypoints per line (the model's kpt_shape[0]), when its lines fit several "
                   "layouts")
@click.option("--views", is_flag=True,
              help="a (T, P, J, D) array holds P synchronised views of one person: what synsp refine --views would do")
@click.option("--cameras", "cameras_path", type=click.Path(), default=None,
              help="the calibration of 2D cameras (see synsp refine): one input per camera in its order, or --views on "
                   "a (T, C, J, 2) array; which cameras' left/right labels would be exchanged to agree")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per file (one per line) instead of text")
def inspect(input_paths: tuple[str, ...], model: str | None, fps: float | None, skeleton: str | None,
            key: str | None, max_gap: int | None, trust_pickle: bool, assign_ids: str, num_keypoints: int | None,
            views: bool, cameras_path: str | None, as_json: bool) -> None:
    """What each pose file holds and what synsp refine would do with it, refining nothing.

    Per file: the format, skeleton, units and frame rate synsp read (and whether the rate was assumed),
    every person's frames, parts and missing joints, how much each jitters (the white-jitter floor as a
    share of the person's size: clean motion capture stays below 0.10 %), the method and its delay, and
    the left/right inversions and identity swaps the repair would undo.  A folder is one OpenPose or YOLO
    labels folder, else searched for pose files; with several files, one that cannot be read or described (no
    person in it, a --model for other points) is named and the others described (exit status 1).

    --views: one (T, P, J, D) array of P views, as synsp refine --views takes it: the method for P views and the
    left/right labels each view's own repair and the views' agreement would exchange (2D views: with --cameras).
    --cameras without --views: one input per calibrated camera, as synsp refine takes them: each described, with
    the labels that would be exchanged to agree with the other cameras."""
    from .batch import find_pose_files, known_skeleton_of, read_input
    from .filters import parse_filter_spec
    from .inspection import as_plain, bvh_rotations, describe, inspect_pose_file
    from .io.tracks import FOLDER_FORMATS, pose_file_format

    if model:
        parse_filter_spec(model)  # a filter with a bad parameter fails once, before any file is read
    known_skeleton_of(model, skeleton)  # the custom skeleton of one's own model, by its card
    if views or cameras_path:
        _inspect_views(input_paths, model, fps, skeleton, key, max_gap, views, cameras_path, as_json,
                       dict(trust_pickle=trust_pickle, assign_ids=None if assign_ids == "none" else assign_ids,
                            num_keypoints=num_keypoints))
        return

    paths = []
    for given in input_paths:
        if os.path.isdir(given) and pose_file_format(given) not in FOLDER_FORMATS:
            paths += [str(p) for p in find_pose_files(given)]
        else:
            paths.append(given)
    if not paths:
        raise SynspInputError(f"{', '.join(input_paths)}: no pose file found")
    failed = 0
    options = dict(skeleton=skeleton, key=key, trust_pickle=trust_pickle,
                   assign_ids=None if assign_ids == "none" else assign_ids, num_keypoints=num_keypoints)
    for path in paths:
        read = False
        try:
            pose_file = read_input(path, **options)
            read = True
            info = inspect_pose_file(pose_file, model=model, fps=fps, max_gap=max_gap)
            if pose_file.format == "bvh":  # into a .bvh refine reads its joint rotations instead: say both
                info["as_bvh"] = bvh_rotations(read_input(path, rotations=True, **options), model=model, fps=fps,
                                               max_gap=max_gap)
            lines = ([json.dumps(as_plain({"file": path, **info}))] if as_json else
                     [_cli_words(line) for line in describe(info, source=path)])
        except SynspInputError as err:
            if len(paths) == 1:
                raise
            failed += 1
            reason = str(err)[len(f"{path}: "):] if str(err).startswith(f"{path}: ") else str(err)
            # the others are still described, as refine refines the others (and names the failed ones)
            click.echo(f"{path}: {'cannot be described' if read else 'cannot be read'}: {_cli_words(reason)}",
                       err=True)
            continue
        for line in lines:
            click.echo(line)
    if failed:
        click.echo(f"synsp: error: {failed} of {len(paths)} files could not be read or described (above)", err=True)
        raise click.exceptions.Exit(1)


def _inspect_views(input_paths: tuple[str, ...], model: str | None, fps: float | None, skeleton: str | None,
                   key: str | None, max_gap: int | None, views: bool, cameras_path: str | None, as_json: bool,
                   options: dict) -> None:
    """``synsp inspect --views`` (one array of views) and ``synsp inspect --cameras`` (one input per camera): what
    ``synsp refine`` with the same options would do, with the same checks."""
    from .batch import cameras_agreed, check_camera_files, read_input, read_views
    from .inspection import as_plain, describe, describe_views, inspect_pose_file, inspect_views
    from .io.cameras import read_cameras

    cameras = read_cameras(cameras_path) if cameras_path else None  # a bad calibration fails before any work
    if skeleton:
        from .skeletons import get_skeleton

        get_skeleton(skeleton)  # an unknown name fails as refine's
    if views:
        if len(input_paths) != 1 or not os.path.isfile(input_paths[0]):
            raise SynspInputError("--views takes one (T, P, J, D) .npy/.npz array of P views, not several inputs")
        pose_file, x = read_views(input_paths[0], key, cameras)
        info = inspect_views(pose_file, x, model=model, fps=fps, skeleton=skeleton, cameras=cameras)
        lines = ([json.dumps(as_plain({"file": input_paths[0], **info}))] if as_json else
                 [_cli_words(line) for line in describe_views(info, source=input_paths[0])])
        for line in lines:
            click.echo(line)
        return
    if len(input_paths) != len(cameras["K"]):  # refine's words
        raise SynspInputError(f"--cameras {cameras_path} holds {len(cameras['K'])} cameras; give one input per "
                              f"camera in that order ({len(input_paths)} given), or --views and one "
                              f"(T, C, J, 2) array")
    files = [read_input(p, skeleton=skeleton, key=key, **options) for p in input_paths]
    cams, names = check_camera_files(input_paths, files, cameras)
    agreed = cameras_agreed(files, cams, skeleton)
    sk = agreed["skeleton"]
    for c, (path, f, rows) in enumerate(zip(input_paths, files, agreed["rows"])):
        info = inspect_pose_file(f, model=model, fps=fps, max_gap=max_gap)
        info["camera"] = dict(index=c, count=len(files), name=names[c], skeleton=None if sk is None else sk.name,
                              repaired=int(agreed["repaired"][c]), agreed=int(agreed["flipped"][rows, c].sum()))
        lines = ([json.dumps(as_plain({"file": path, **info}))] if as_json else
                 [_cli_words(line) for line in describe(info, source=path)])
        for line in lines:
            click.echo(line)


def _echo_relabelled(summary: dict) -> None:
    """The cuts found per track, the repair's reassigned person-frames and relabelled frames per track and limb
    group (nothing when none were)."""
    if summary.get("reassigned"):
        click.echo(f"identity swaps undone before refining: {summary['reassigned']} person-frames followed their "
                   "own person (each detection keeps its place and track id)")
    if summary.get("cuts"):
        click.echo("cuts (a jump to another shot, place or person; each side refined alone) at frames: " + "; ".join(
            f"track {k}: " + ", ".join(str(f) for f in frames[:10]) + (f" and {len(frames) - 10} more"
                                                                        if len(frames) > 10 else "")
            for k, frames in summary["cuts"].items()))
    if summary.get("relabelled"):
        click.echo("left/right labels exchanged back before refining (frames): " + "; ".join(
            f"track {k}: " + ", ".join(f"{g} {n}" for g, n in groups.items())
            for k, groups in summary["relabelled"].items()))


def _refine_many(inputs: tuple[str, ...], output: str, options: dict, workers: int | None,
                 threads: int | None) -> None:
    """``synsp refine`` on several inputs or a folder: mirrored into ``output``, in worker processes."""
    import time

    from .batch import find_jobs, refine_files, summary_table

    jobs, skipped = find_jobs(inputs, output, options)
    if workers is None:
        workers = min(8, _available_cpus())
    workers = min(workers, len(jobs))
    if workers == 1:  # in this process: the threads of a one-file refine
        set_threads(threads)
        threads = None
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    start = time.perf_counter()
    results = refine_files(jobs, workers=workers, threads=threads, progress=True)
    elapsed = time.perf_counter() - start
    for r in results:
        if r["error"]:
            r["error"] = _cli_words(r["error"])
    click.echo(summary_table(results))
    failed = [r for r in results if not r["ok"]]
    click.echo(f"{len(results) - len(failed)} of {len(results)} file(s) refined into {output} in {elapsed:.1f} s "
               f"with {workers} worker(s)" + (f"; {len(skipped)} file(s) skipped (not pose files: "
                                              f"{_some(skipped)})" if skipped else ""))
    if failed:
        click.echo(f"synsp: error: {len(failed)} of {len(results)} file(s) failed:", err=True)
        for r in failed:
            click.echo(f"  {r['input']}: {r['error']}", err=True)
        raise click.exceptions.Exit(1)


def _some(names: list[str], shown: int = 3) -> str:
    """The first ``shown`` of ``names`` and how many more: ``a.json, b.txt, c.csv and 4 more``."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on (taskset, cpusets)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_threads(threads: int | None = None) -> None:
    """Torch threads of a refining command: ``threads`` when given, else ``OMP_NUM_THREADS`` when set
    (torch reads it), else ``min(4, CPUs)``.  Idle OpenMP threads sleep (``OMP_WAIT_POLICY=PASSIVE``
    unless set; only before torch is loaded): spinning threads of processes sharing the cores (several
    refines at once, a training) made four concurrent refines on 2 cores 4x slower than one after
    another."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if threads is None and os.environ.get("OMP_NUM_THREADS"):
        return
    import torch

    torch.set_num_threads(int(threads) if threads is not None else min(4, _available_cpus()))


def _refine_cameras(inputs: tuple[str, ...], output: str, cameras, options: dict) -> None:
    """``synsp refine cam1 cam2 cam3 ... -o folder --cameras calib.toml``: one input per calibrated camera."""
    from .batch import refine_cameras

    results = refine_cameras(inputs, output, cameras, progress=True, **options)
    for path, r in zip(inputs, results):
        camera = f" (camera {r['camera']})" if r.get("camera") else ""
        click.echo(f"{path}{camera}: {r['frames']} frames, labels of {r['agreed']} group-frame(s) exchanged to agree with the "
                   f"other cameras, refined with {r['model']}; wrote {r['output']}")


def _refine_views(input_path: str, output: str, model: str | None, fps: float | None,
                  skeleton: str | None, key: str | None, repair: bool = True, cameras=None, cuts: bool = True) -> None:
    """``synsp refine --views``: one (T, P, J, D) array of P views refined together (2D: each camera alone, its labels
    first made to agree with the other cameras' when ``cameras`` calibrate them)."""
    import numpy as np

    from .api import refine as run
    from .api import views_relabelled
    from .batch import check_output, read_views, views_method, with_rate
    from .inspection import views_labels
    from .io.tracks import write_pose_file
    from .refiners import VIEW_MEAN, min_frames_of

    pose_file, x = read_views(input_path, key, cameras)
    check_output(output, pose_file, fps)
    rate = fps if fps is not None else pose_file.fps
    refiner, name = views_method(pose_file, x.shape[1], model, rate, skeleton)  # loaded once: checked, then refining
    least = min_frames_of(refiner)
    if x.shape[0] < least:  # the rule of a pose file's tracks (synsp.api.refine_pose_file): refused, not padded
        raise SynspInputError(f"{input_path}: the views are {x.shape[0]} frames long, shorter than the {least} frames "
                              f"{name} needs; nothing to refine. Pass a method that takes shorter tracks (e.g. --model "
                              f"kalman-rts+view-mean, from 3 frames in any units) or a longer recording")
    conf = pose_file.scores_array()  # as a pose file's tracks use them: a confidence, or MediaPipe's visibility
    scores = {} if conf is None else {"confidence" if pose_file.scores_mark_missing else "visibility": conf}
    out = run(x, model=refiner, fps=rate, skeleton=skeleton, views=True,
              progress=True, repair=repair, cameras=cameras, cuts=cuts, **scores)
    write_pose_file(output, with_rate(pose_file.with_keypoints({t.track_id: out[t.frames, p]
                                                                for p, t in enumerate(pose_file.tracks)}), fps))
    found = None
    if repair:  # what refine relabelled (found again: refine does not return it); its warnings were given above
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            found = views_relabelled(x, refiner, skeleton, cameras=cameras, **scores)
    labels = views_labels(found, x.shape[-1], cameras is not None)
    if x.shape[-1] == 2:  # each camera's own image: nothing to average
        click.echo(f"{x.shape[0]} frames, {x.shape[1]} camera views, each refined alone by {name}; {labels}; "
                   f"wrote {output}")
        return
    spread = lambda a: float(np.nanmean(np.linalg.norm(a - np.nanmean(a, axis=1, keepdims=True), axis=-1)))  # noqa: E731
    fused = name.endswith(VIEW_MEAN) or getattr(refiner, "views_together", False)  # else each view alone
    how = (f"refined together by {name}" if fused else
           f"each refined alone by {name} (--model {name}{VIEW_MEAN} fuses them)")
    click.echo(f"{x.shape[0]} frame{'s' * (x.shape[0] != 1)}, {x.shape[1]} view{'s' * (x.shape[1] != 1)} {how}; "
               f"{labels}; mean distance of a view to the views' mean {spread(x):.4g} -> {spread(out):.4g} "
               f"(input units); wrote {output}")


def _read_pair(input_path: str, refined_path: str, key: str | None):
    """Raw and refined poses ``(T, J, D)`` or ``(T, P, J, D)`` (NaN where a person is absent) and the raw
    :class:`~synsp.io.tracks.PoseFile`, from two arrays or two pose files of any supported format (people
    without track ids followed by motion continuity, as ``synsp refine`` does)."""
    from .batch import read_input

    def one(path: str):
        pose_file = read_input(path, key=key)  # the reader's options as synsp refine gives them
        if pose_file.units == "axis-angle":
            raise SynspInputError(f"{path}: holds joint rotations; plot and render draw joint positions")
        x, _ = pose_file.to_array()
        return (x[:, 0] if x.shape[1] == 1 else x), pose_file

    (raw, pose_file), (refined, _) = one(input_path), one(refined_path)
    if raw.shape != refined.shape:  # (the drawing's own check names neither file)
        raise SynspInputError(f"{input_path} holds poses of shape {raw.shape} and {refined_path} {refined.shape}; "
                              "give a pose file and its refined copy (the same frames, persons, joints and "
                              "coordinates)")
    return raw, refined, pose_file


def _check_picture_name(out: str, allowed: tuple[str, ...], command: str, what: str) -> None:
    """``-o`` of plot and render: a suffix the command writes, checked before the inputs are read."""
    from .io._common import suffix_of

    suffix = suffix_of(out)
    if suffix not in allowed:
        found = f"found {suffix!r}" if suffix else "found no suffix"
        raise SynspInputError(f"-o {out}: synsp {command} writes {what}; give a name ending in "
                              f"{', '.join(allowed[:-1])} or {allowed[-1]} ({found})")


def _drawing_skeleton(given: str | None, pose_file, num_joints: int):
    """The skeleton to draw or name joints with: ``--skeleton`` (a registered name, or a corpus from
    ``synsp data import`` / a model card or checkpoint that defines a custom skeleton), else the one
    the file names (the readers of BVH, TRC and C3D give their own joints:
    :func:`synsp.skeletons.skeleton_of_names`), else the one of its joint names and hierarchy (``meta``'s
    ``joint_names`` and ``parents``), else the built-in skeleton with that joint count; None when nothing is
    known (the joints are drawn as plain points).  By the joint count, the skeleton is the one ``synsp refine`` and
    ``synsp inspect`` take (:func:`synsp.api.repair_skeleton`: 17 points are Human3.6M-17 in 3D, COCO-17 in 2D,
    unless the limbs show the other order), never another: a COCO-17 file drawn with Human3.6M's bones and named
    by its joints would plot the left knee as the left wrist."""
    from .api import joint_order_sample, repair_skeleton
    from .models.checkpoint import checkpoint_file
    from .skeletons import SKELETONS, get_skeleton, skeleton_for, skeleton_of_names

    if given:
        if given.strip().lower() in SKELETONS:
            return given.strip().lower()
        path = Path(given)
        if path.is_dir() and (path / "best.json").is_file():  # a run folder of synsp train: its best model
            path = path / "best"
        if path.is_file() or checkpoint_file(path, ".json").is_file():
            names = _register_skeletons_of(path)
            unknown = [n for n in names if n not in SKELETONS]
            if unknown and not [n for n in names if n in SKELETONS]:  # a universal model's card: skeleton "any"
                raise SynspInputError(f"--skeleton {given}: that model is not on one skeleton (its card says "
                                      f"{', '.join(map(repr, unknown))}: a universal model refines any joint set); "
                                      "pass the skeleton's name, the corpus it was trained on (synsp data import), "
                                      "or leave --skeleton out to use the file's own")
            fits = [n for n in names if SKELETONS[n].num_joints == num_joints]
            if not fits:
                raise SynspInputError(f"{given}: defines no skeleton of {num_joints} joints (it has "
                                      f"{', '.join(names) or 'none'}); pass the corpus or model the data is on")
            return fits[0]
        get_skeleton(given)  # an unknown name: one line naming the known ones
    named = pose_file.skeleton
    if named in SKELETONS and SKELETONS[named].num_joints == num_joints:
        return named
    names, parents = pose_file.meta.get("joint_names"), pose_file.meta.get("parents")
    if names is not None and parents is not None and len(names) == num_joints:
        try:
            return get_skeleton(skeleton_of_names(names, [int(v) for v in parents]))
        except (SynspInputError, ValueError, TypeError):
            pass
    if not skeleton_for(num_joints):
        return None
    chosen = repair_skeleton(num_joints, pose_file.dims, None, poses=joint_order_sample(pose_file))
    return None if chosen is None else chosen.name


def _register_skeletons_of(path):
    """The skeleton names a corpus file (``synsp data import``) or a model card / checkpoint defines,
    registered on the way."""
    import json

    from .models.checkpoint import checkpoint_file
    from .skeletons import Skeleton, register_skeleton

    card = path if path.suffix == ".json" else checkpoint_file(path, ".json")
    if card.is_file() and path.suffix != ".npz":
        try:
            doc = json.loads(card.read_text())
        except (OSError, ValueError) as exc:
            raise SynspInputError(f"{card}: not a readable model card ({exc})") from None
        definition = doc.get("skeleton_definition") if isinstance(doc, dict) else None
        if definition:
            return [register_skeleton(Skeleton.from_dict(definition)).name]
        return [doc["skeleton"]] if isinstance(doc, dict) and isinstance(doc.get("skeleton"), str) else []
    from .data.corpus import corpus_meta

    return list(corpus_meta(path).get("skeletons", []))


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@click.argument("refined_path", metavar="REFINED", type=click.Path(exists=True))
@_output("out", required=True, type=click.Path(dir_okay=False), help="output .png (or .pdf/.svg)")
@click.option("--skeleton", default=None,
              help="skeleton: a name, or a corpus (synsp data import) or model defining a custom one "
                   "(default: the file's, its BVH hierarchy, else guessed from J; none known: numbered joints)")
@click.option("--fps", type=float, default=None, callback=_fps_option,
              help="frame rate: time axis in seconds (default: frames)")
@click.option("--joints", default=None, help="comma-separated joint names or indices (default: the most jittery 4)")
@click.option("--key", default=None, help="array name inside .npz files (default: the only/known one)")
@click.option("--repair/--no-repair", default=True, show_default=True,
              help="shade the frames whose left/right labels the repair of synsp refine exchanges (run again on "
                   "INPUT), per person and limb group")
def plot(input_path: str, refined_path: str, out: str, skeleton: str | None, fps: float | None,
         joints: str | None, key: str | None, repair: bool) -> None:
    """Picture of raw vs refined trajectories and accelerations of a few joints."""
    from .io._common import check_target
    from .pictures import PLOT_SUFFIXES, plot_refinement

    _check_picture_name(out, PLOT_SUFFIXES, "plot", "a picture")
    check_target(out, sources=[input_path, refined_path])
    raw, refined, pose_file = _read_pair(input_path, refined_path, key)
    skeleton = _drawing_skeleton(skeleton, pose_file, raw.shape[-2])  # None: joints are numbered
    chosen = [j.strip() for j in joints.split(",")] if joints else None
    marks = _relabelled_frames(pose_file, fps) if repair else {}
    cuts = _cut_frames(pose_file, fps)
    unit = str(pose_file.units or "units")  # the file's (px, m, mm, normalised, ...)
    path = plot_refinement(raw, refined, out, skeleton=skeleton, joints=chosen, fps=fps, relabelled=marks,
                           unit=unit, image_y=pose_file.dims == 2 and unit in ("px", "normalised"), cuts=cuts)
    shaded = sum(len(f) for groups in marks.values() for f in groups.values())
    dotted = sum(len(f) for f in cuts.values())
    notes = ([f"shaded: {shaded} frames the repair relabels, counted per limb group"] if shaded else []) + (
        [f"dotted: {dotted} cut(s), each side refined alone"] if dotted else [])
    click.echo(f"wrote {path}" + (f" ({'; '.join(notes)})" if notes else ""))


def _cut_frames(pose_file, fps: float | None) -> dict:
    """``{track position: file frames}`` where ``synsp refine`` cuts ``pose_file``'s tracks (as ``synsp inspect``
    finds them, :mod:`synsp.cuts`)."""
    from .inspection import file_cuts

    try:
        found = file_cuts(pose_file, fps=fps)
    except SynspInputError:
        return {}  # nothing refine would cut either
    return {p: found[t.track_id] for p, t in enumerate(pose_file.tracks) if t.track_id in found}


def _relabelled_frames(pose_file, fps: float | None) -> dict:
    """``{track position: {group: frames}}`` the repair of ``synsp refine`` relabels in ``pose_file``
    (:func:`synsp.api.repair_pose_file`); empty where it cannot run (every track too short)."""
    from .api import repair_pose_file

    try:
        _, summary = repair_pose_file(pose_file, fps=fps)
    except SynspInputError:
        return {}
    found = summary["relabelled_frames"]
    return {p: found[t.track_id] for p, t in enumerate(pose_file.tracks) if t.track_id in found}


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@click.argument("refined_path", metavar="REFINED", type=click.Path(exists=True))
@_output("out", required=True, type=click.Path(dir_okay=False), help="output .gif or .mp4")
@click.option("--skeleton", default=None,
              help="skeleton: a name, or a corpus (synsp data import) or model defining a custom one "
                   "(default: the file's, its BVH hierarchy, else guessed from J; none known: plain points)")
@click.option("--fps", type=float, default=None, callback=_fps_option,
              help="frame rate of the poses (default: the file's, else 30); a GIF shows at most 50 frames a "
                   "second, so a faster file is drawn every 2nd (3rd, ...) frame, in real time")
@click.option("--video", type=click.Path(exists=True, dir_okay=False), default=None,
              help="draw over this video's frames (2D pixel keypoints)")
@click.option("--max-frames", type=int, default=None, help="render at most this many frames")
@click.option("--key", default=None, help="array name inside .npz files (default: the only/known one)")
def render(input_path: str, refined_path: str, out: str, skeleton: str | None, fps: float | None,
           video: str | None, max_frames: int | None, key: str | None) -> None:
    """Skeleton animation, raw (left) vs refined (right), or both over a video."""
    from .io._common import check_target
    from .pictures import ANIMATION_SUFFIXES, check_animation_path, render_animation

    if max_frames is not None and max_frames < 1:
        raise SynspInputError(f"--max-frames {max_frames}: expected a whole number of frames >= 1")
    _check_picture_name(out, ANIMATION_SUFFIXES, "render", "an animation")
    check_target(out, sources=[input_path, refined_path, video])
    check_animation_path(out)  # an .mp4 without ffmpeg: before the inputs are read
    from .api import file_fps  # (loads torch: after the checks)
    raw, refined, pose_file = _read_pair(input_path, refined_path, key)
    skeleton = _drawing_skeleton(skeleton, pose_file, raw.shape[-2])  # None: plain points
    rate = file_fps(pose_file, fps)  # the file's own rate unless --fps says otherwise (a 60 fps file plays in time)
    path = render_animation(raw, refined, out, skeleton, fps=rate or 30.0, video=video, max_frames=max_frames,
                            frame_numbers=pose_file.frame_numbers)  # the file's own numbers (else from 0)
    how = "--fps" if fps is not None else "the file's" if rate else "assumed: the file has none; give --fps"
    click.echo(f"wrote {path} ({rate or 30.0:g} fps, {how})")


@cli.command()
@click.argument("video_path", metavar="VIDEO", type=click.Path(exists=True, dir_okay=False))
@_output("output", required=True, type=click.Path(dir_okay=False),
         help="refined track (.npz); the raw MediaPipe track goes beside it as <stem>.raw.npz")
@click.option("--model", default=None, help="shipped model name, checkpoint path or filter name")
@click.option("--render", default=None, type=click.Path(dir_okay=False),
              help="also write a side-by-side animation, raw | refined (.gif or .mp4)")
def video(video_path: str, output: str, model: str | None, render: str | None) -> None:
    """Run MediaPipe Pose on a video (pip install -e ".[video]" in the synsp clone) and refine every person's track."""
    from .video import process_video

    s = process_video(video_path, output, model=model, render=render, progress=True)
    tracks = ", ".join(f"{k}: {v} frames" for k, v in s["tracks"].items())
    click.echo(f"{s['frames']} frames, {s['persons']} track(s) ({tracks}), "
               f"{s['filled']} landmarks filled, mean acceleration {s['accel_before']:.3g} -> {s['accel_after']:.3g} "
               f"px/frame^2 ({s['model']})")
    if s["unrefined_tracks"]:
        click.echo(f"left unrefined (too short): {', '.join(map(str, s['unrefined_tracks']))}")
    click.echo(f"wrote {s['raw']} (raw) and {s['refined']} (refined)" + (f", {s['render']}" if s["render"] else ""))


@cli.command()
@click.option("--experiment", "experiments", default="comparison", show_default=True,
              help="comma-separated: robustness, comparison, branches, windows, ablation, pearson, base-repeat, "
                   "window-average, generalisation, combinations, rotations, inversions, smoothnet-data, or 'all' "
                   "(all but smoothnet-data)")
@click.option("--methods", default="one-euro,one-euro-mmpose,savgol,savgol-mmpose,gaussian,gaussian-mmpose,"
              "butterworth,kalman,kalman-rts,smoothnet-h36m17-3d-w8,smoothnet-h36m17-3d-w32,deciwatch-h36m17-3d-w101,"
              "hanet-h36m17-3d-w101,"
              "synsp-universal-w16,synsp-h36m17-3d-w8,synsp-h36m17-3d-w8-precise", show_default=True,
              help="comparison: comma-separated refiners (names or checkpoint paths)")
@click.option("--presets", default=None,
              help="comma-separated noise presets (synsp.noise.PRESETS) [default: h36m-fcn-like,3dpw-spin-like,"
                   "vibe-like; with --representation 2d: hrnet-like,mediapipe-like]")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="noise seeds (robustness and inversions draw one, whatever it says)")
@click.option("--quick", is_flag=True, help="a few clips and one seed, whatever --seeds says (smoke test, well under "
              "2 minutes)")
@click.option("--corpus", default=None, help="corpus file (default: built corpus, else the embedded one)")
@click.option("--runs", default="runs", show_default=True, help="folder with the non-shipped checkpoints")
@click.option("--skeleton", default="h36m17", show_default=True, help="comparison: skeleton of the data")
@click.option("--representation", type=click.Choice(["3d", "2d", "rotations"]), default="3d", show_default=True,
              help="comparison: 3D joints (mm) or 2D keypoints seen by virtual cameras (px); robustness also "
                   "rotations (with --skeleton smpl24: SMPL local rotations, degrees)")
@click.option("--smoothnet-root", default=None, type=click.Path(exists=True, file_okay=False),
              help="smoothnet-data: the folder holding SmoothNet's <dataset>_<estimator>_<repr> data folders")
@click.option("--dataset", default="h36m", show_default=True, help="smoothnet-data: h36m, pw3d, aist, ...")
@click.option("--estimator", default="fcn", show_default=True, help="smoothnet-data: fcn, spin, vibe, ...")
@click.option("--smoothnet-repr", type=click.Choice(["3D", "2D"]), default="3D", show_default=True)
@click.option("--trust-pickle", is_flag=True, help="smoothnet-data: read SmoothNet's pickled npz files")
@_output("out", default=None, help="folder for the Markdown/CSV reports and PNG figures")
def benchmark(experiments: str, methods: str, presets: str | None, seeds: int, quick: bool, corpus: str | None,
              runs: str, skeleton: str, representation: str, smoothnet_root: str | None, dataset: str,
              estimator: str, smoothnet_repr: str, trust_pickle: bool, out: str | None) -> None:
    """Run the seed's experiments on simulated estimator errors over real mocap (corpus test split), or
    Table 1 on SmoothNet-format data you hold (--experiment smoothnet-data --smoothnet-root DIR)."""
    import logging

    # progress on stderr (the tables go to stdout or --output): one line per experiment and per method
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("synsp benchmark: %(message)s"))
    progress = logging.getLogger("synsp.benchmark")
    progress.addHandler(handler)
    progress.setLevel(logging.INFO)
    progress.propagate = False
    try:
        _benchmark(progress, experiments, methods, presets, seeds, quick, corpus, runs, skeleton, representation,
                   smoothnet_root, dataset, estimator, smoothnet_repr, trust_pickle, out)
    finally:
        progress.removeHandler(handler)


def _benchmark(progress, experiments: str, methods: str, presets: str | None, seeds: int, quick: bool,
               corpus: str | None, runs: str, skeleton: str, representation: str, smoothnet_root: str | None,
               dataset: str, estimator: str, smoothnet_repr: str, trust_pickle: bool, out: str | None) -> None:
    import shlex
    import time

    from .data.corpus import built_corpus_path
    from .experiments import ONE_SEED, run_experiment

    began = time.perf_counter()
    source = click.get_current_context().get_parameter_source
    default_methods = source("methods") == click.core.ParameterSource.DEFAULT
    names, method_list, preset_list = _benchmark_plan(experiments, methods, presets, skeleton, representation,
                                                      smoothnet_root, default_methods)
    one_seed = [n for n in names if n in ONE_SEED]
    if one_seed and seeds > 1 and source("seeds") != click.core.ParameterSource.DEFAULT:
        what = f"{one_seed[0]} draws" if len(one_seed) == 1 else f"{' and '.join(one_seed)} draw"
        warnings.warn(f"--seeds {seeds}: {what} one noise seed, whatever --seeds says (it sets the other "
                      "experiments' seeds)", UserWarning, stacklevel=2)
    methods = ",".join(method_list)
    if corpus and not os.path.isfile(corpus):
        raise SynspInputError(f"--corpus {corpus}: no such file (a corpus of synsp data build / synsp data import)")
    if out:
        _check_output_folder(out)
    # the command above each table reproduces its figures: every option that changes them
    q = shlex.quote
    shared = f" --corpus {q(corpus)}" if corpus else ""
    # the experiments that read models of the runs folder (synsp.experiments: ctx.runs)
    from_runs = f" --runs {q(runs)}" if runs != "runs" else ""
    reads_runs = ("ablation", "combinations", "generalisation", "pearson", "rotations", "windows")
    quick_flag = " --quick" if quick else ""
    corpus = corpus or (str(built_corpus_path()) if built_corpus_path().is_file() else None)
    if "smoothnet-data" in names:
        names.remove("smoothnet-data")
        command = (f"synsp benchmark --experiment smoothnet-data --smoothnet-root {q(str(smoothnet_root))} --dataset "
                   f"{q(dataset)} --estimator {q(estimator)} --smoothnet-repr {smoothnet_repr} --methods "
                   f"{q(methods)}" + (" --trust-pickle" if trust_pickle else "") + quick_flag)
        progress.info("experiment smoothnet-data on %s", smoothnet_root)
        _emit(run_experiment("smoothnet-data", quick=quick, methods=method_list, command=command,
                             smoothnet=(smoothnet_root, dataset, estimator, smoothnet_repr),
                             trust_pickle=trust_pickle), out)
    seeds = 1 if quick else seeds  # --quick runs one seed: the commands echoed say so
    extra = "" if (skeleton, representation) == ("h36m17", "3d") else \
        f" --skeleton {q(skeleton)} --representation {representation}"
    given_methods = "" if default_methods else f" --methods {q(methods)}"
    for name in names:
        for preset in (preset_list if name not in ("robustness", "inversions") else ["all"]):
            command = (f"synsp benchmark --experiment {name} --presets {preset} --seeds {seeds}{extra}{shared}"
                       + (from_runs if name in reads_runs else "")
                       + (f" --methods {q(methods)}" if name == "comparison" else "") + quick_flag)
            if name == "robustness":  # its own conditions, one seed; the presets are rows of it
                command = f"synsp benchmark --experiment robustness{extra}{shared}{given_methods}{quick_flag}"
            if name == "inversions":  # its own presets and methods (synsp.experiments.inversions)
                command = f"synsp benchmark --experiment inversions{extra}{shared}{quick_flag}"
            drawn = 1 if name in ONE_SEED else seeds
            progress.info("experiment %s, preset %s, %d seed(s)%s (%.0f s so far)", name, preset, drawn,
                          " (quick)" if quick else "", time.perf_counter() - began)
            if representation == "rotations":  # SMPL rotations: the robustness rows (synsp.experiments.robustness)
                _emit(_rotation_robustness(method_list, default_methods, quick, corpus, command), out)
                continue
            _emit(run_experiment(name, preset=preset, seeds=drawn, quick=quick, corpus=corpus, runs=runs,
                                 methods=method_list, command=command, skeleton=skeleton,
                                 representation=representation, methods_given=not default_methods), out)


def _benchmark_plan(experiments: str, methods: str, presets: str | None, skeleton: str, representation: str,
                    smoothnet_root: str | None, default_methods: bool) -> tuple[list[str], list[str], list[str]]:
    """The experiments, methods and presets of ``synsp benchmark``, every one checked before the first experiment
    runs (a mistake in the last name must not come after hours of work and the first reports written): known
    experiment names that study ``skeleton`` and ``representation``, methods a refiner answers to, presets of the
    representation's dimensions.  In 2D the defaults are the 2D presets and the methods of the robustness
    table's 2D rows (the default methods include 3D-only networks)."""
    from .experiments import EXPERIMENTS, check_experiment, check_method, fits_joint_set
    from .experiments.robustness import PRESETS_2D, PRESETS_3D, ROBUSTNESS_2D
    from .noise import PRESETS
    from .noise.model import dims_of
    from .skeletons import get_skeleton

    names = [n for n in EXPERIMENTS if n != "smoothnet-data"] if experiments == "all" else \
        [n.strip() for n in experiments.split(",")]
    if not all(names):
        raise SynspInputError(f"--experiment {experiments!r}: an empty name; give comma-separated names of "
                              f"{', '.join(EXPERIMENTS)} or 'all'")
    get_skeleton(skeleton)
    for name in names:  # smoothnet-data: the user's files, whatever --skeleton says
        check_experiment(name, *((skeleton, representation) if name != "smoothnet-data" else ()))
    if representation == "rotations" and (set(names) != {"robustness"} or skeleton != "smpl24"):
        raise SynspInputError("--representation rotations is for --experiment robustness --skeleton smpl24 (the "
                              "rotation comparison under the presets is --experiment rotations)")
    if "smoothnet-data" in names and not smoothnet_root:
        raise SynspInputError("--experiment smoothnet-data needs --smoothnet-root DIR (the folder of SmoothNet's "
                              "data folders), with --dataset and --estimator")
    method_list = list(ROBUSTNESS_2D) if default_methods and representation == "2d" else \
        [m.strip() for m in methods.split(",")]
    if default_methods:  # the dedicated networks only on their own joint set (on another joint order they refine the
        method_list = [m for m in method_list if fits_joint_set(m, skeleton)]  # wrong joints); given ones refused
    for method in method_list:
        if not method:
            raise SynspInputError(f"--methods {methods!r}: an empty name; give comma-separated refiners")
        try:
            check_method(method, None if representation == "rotations" else 2 if representation == "2d" else 3,
                         skeleton)
        except SynspInputError as exc:
            raise SynspInputError(f"--methods: {exc}") from None
    want = 2 if representation == "2d" else 3
    preset_list = ([p.strip() for p in presets.split(",")] if presets else
                   list(PRESETS_2D if representation == "2d" else PRESETS_3D))
    if any(n not in ("robustness", "inversions", "smoothnet-data") for n in names) and representation != "rotations":
        fitting = [p for p, model in PRESETS.items() if dims_of(model.unit) == want]
        for preset in preset_list:
            if preset not in PRESETS:
                raise SynspInputError(f"--presets: unknown noise preset {preset!r}; the {want}D presets: "
                                      f"{', '.join(fitting)}")
            if dims_of(PRESETS[preset].unit) != want:
                raise SynspInputError(
                    f"--presets {preset}: a {dims_of(PRESETS[preset].unit)}D preset, and --representation "
                    f"{representation} simulates {want}D errors; give {want}D presets (--presets {','.join(fitting)}), "
                    "or leave --presets out for them")
    return names, method_list, preset_list


def _check_output_folder(out: str) -> None:
    """``synsp benchmark -o``: a folder that can be written into (it is made when missing), checked before the
    hours of work: an existing file, or a parent that is a file or cannot be written, fails now, writing
    nothing (a probe folder is made and removed)."""
    from .batch import folder_probe

    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise SynspInputError(f"-o {out}: is a file; give a folder (the reports are written into it)")
    base, why = folder_probe(folder)
    if why == "file":
        raise SynspInputError(f"-o {out}: {base} is a file; give a folder (the reports are written into it)")
    if why is not None:
        raise SynspInputError(f"-o {out}: cannot write into {base} ({why}); give a folder you can write to")


def _rotation_robustness(methods: list[str], default_methods: bool, quick: bool, corpus: str | None,
                         command: str):
    """``--experiment robustness --skeleton smpl24 --representation rotations``:
    :func:`synsp.experiments.robustness.rotation_report`."""
    from .experiments.robustness import QUICK_FRAMES, rotation_report

    return rotation_report(None if default_methods else methods, QUICK_FRAMES if quick else 10**9, corpus, command)


def _emit(report, out: str | None) -> None:
    """Print a report as Markdown and, with ``-o``, save it (Markdown, CSV, PNG) into ``out``; without ``-o`` no
    figure is written, so none is linked."""
    click.echo(report.markdown(figures=bool(out)))
    if out:
        for path in report.save(out):
            click.echo(f"wrote {path}", err=True)


@cli.group()
def data() -> None:
    """Build, import (your own clips) and inspect training corpora."""


@data.command("build")
@_output("out", type=click.Path(dir_okay=False), default=None,
         help="corpus file (default: ~/.cache/synsp/corpus-v1.npz, or $SYNSP_CACHE)")
@click.option("--cmu", "cmu_root", type=click.Path(file_okay=False), default=None,
              help="the cmu_mocap folder (default: ../shared/data/cmu_mocap or $SYNSP_CMU_MOCAP)")
@click.option("--no-download", is_flag=True, help="skip the Debian/PyPI sources")
def data_build(out: str | None, cmu_root: str | None, no_download: bool) -> None:
    """Build the full corpus from every reachable source (cached)."""
    from .data.corpus import build_corpus, corpus_table, load_corpus

    path = build_corpus(out, cmu_root=cmu_root, external=not no_download)
    click.echo(f"corpus: {path}")
    _print_table(corpus_table(load_corpus(path)))


@data.command("import")
@click.argument("paths", metavar="FILES_OR_FOLDERS...", nargs=-1, required=True, type=click.Path(exists=True))
@_output("out", required=True, type=click.Path(dir_okay=False), help="corpus file to write (.npz)")
@click.option("--skeleton", default=None,
              help="a built-in skeleton the data is on (h36m17, ...), or a name for a custom one "
                   "(default: detected from the joint names/count, else custom<J>-<hash>)")
@click.option("--fps-out", type=float, default=30.0, show_default=True, callback=_fps_option,
              help="rate the clips are resampled to (synsp train needs 30)")
@click.option("--units", type=click.Choice(["m", "cm", "mm", "in"]), default=None,
              help="length unit of .npy/.npz (default m) and BVH (default cm) files; TRC, C3D, ASF and an .npz with a "
                   "'units' key (as synsp refine writes it) state their own; files whose bodies are of no person's "
                   "size are refused (a child's: a warning), naming the unit that fits")
@click.option("--fps", type=float, default=None, callback=_fps_option,
              help="frame rate of .npy/.npz files (else an 'fps' key in the .npz) and AMC files (default 120); BVH, "
                   "TRC and C3D files state their own")
@click.option("--val-fraction", type=float, default=0.15, show_default=True, help="share of the files for validation")
@click.option("--test-fraction", type=float, default=0.15, show_default=True, help="share of the files for test")
@click.option("--joint-names", default=None,
              help="comma-separated joint names for .npy/.npz files without a joint_names array (an .npz's own names "
                   "are used; different ones are refused)")
@click.option("--parents", default=None, help="comma-separated parent indices (-1: none) for files without a hierarchy")
@click.option("--up", type=click.Choice(["y", "z"]), default="y", show_default=True,
              help="the data's up axis (C3D files from Vicon, Qualisys and most labs are z-up); data whose bodies "
                   "do not stand along it is refused, naming the axis they stand along")
@click.option("--any-up", is_flag=True,
              help="skip that check: the data is not standing bodies (animals, hands, lying poses)")
@click.option("--no-end-sites", is_flag=True, help="drop BVH End Sites (default: they are joints <parent>_end)")
@click.option("--key", default=None, help="array name inside .npz files (default: the only/known one)")
@click.option("--keep-glitches", is_flag=True,
              help="keep frames where a joint moves faster than 20 m/s or accelerates harder than 20 g (default: "
                   "cut them with 0.1 s around, as synsp data build does; imports before 2026-12-06 kept them)")
def data_import(paths: tuple[str, ...], out: str, skeleton: str | None, fps_out: float, units: str | None,
                fps: float | None, val_fraction: float, test_fraction: float, joint_names: str | None,
                parents: str | None, up: str, any_up: bool, no_end_sites: bool, key: str | None,
                keep_glitches: bool) -> None:
    """Make a training corpus of your own clean motion (BVH, ASF/AMC, TRC, C3D, .npy/.npz), any joint set."""
    import os

    from .data.custom import import_corpus
    from .io._common import check_target

    if os.path.isdir(os.path.dirname(out) or "."):  # (the corpus writer makes a missing folder)
        check_target(out, sources=paths)
    try:
        parent_list = [int(v) for v in parents.split(",")] if parents else None
    except ValueError:
        raise SynspInputError(f"--parents {parents!r}: expected comma-separated integers") from None
    s = import_corpus(list(paths), out, skeleton=skeleton, fps_out=fps_out, units=units, fps=fps,
                      val_fraction=val_fraction, test_fraction=test_fraction,
                      joint_names=[n.strip() for n in joint_names.split(",")] if joint_names else None,
                      parents=parent_list, up=up, end_sites=not no_end_sites, key=key,
                      cut_glitches=not keep_glitches, check_up=not any_up)
    click.echo(f"skeleton: {s.skeleton_note}")
    click.echo(f"| split | files | clips | frames ({fps_out:g} fps, phase 0) |")
    click.echo("|---|---|---|---|")
    for split in ("train", "val", "test"):
        click.echo(f"| {split} | {len(s.files[split])} | {s.clips[split]} | {s.frames[split]} |")
    if s.glitches:
        from .data.corpus import GLITCH_ACCEL, GLITCH_MARGIN_S, GLITCH_SPEED

        click.echo(f"glitches cut (a joint faster than {GLITCH_SPEED:g} m/s or accelerating harder than "
                   f"{GLITCH_ACCEL:g} m/s², with {GLITCH_MARGIN_S:g} s around; --keep-glitches keeps them): "
                   + "; ".join(s.glitches), err=True)
    for item in s.dropped:
        click.echo(f"left out: {item}", err=True)
    if abs(fps_out - 30.0) > 1e-6:
        click.echo(f"wrote {s.path}: clean clips at {fps_out:g} fps for your own use (synsp.data.corpus.load_corpus); "
                   "synsp train needs a corpus at 30 fps: import again with --fps-out 30 to train on these files")
    else:
        click.echo(f"wrote {s.path}; train with: synsp train --corpus {s.path} --skeleton {s.skeleton}")


@data.command("info")
@click.argument("corpus", type=click.Path(dir_okay=False), required=False)
def data_info(corpus: str | None) -> None:
    """Takes, frames, hours and motion kinds per source and split (default: the embedded corpus)."""
    from .data.corpus import corpus_meta, corpus_table, load_corpus

    stored = corpus_meta(corpus)["skeletons"]
    _print_table(corpus_table(load_corpus(corpus, skeleton="h36m17" if "h36m17" in stored else stored[0])))


def _print_table(rows: list[dict]) -> None:
    click.echo("| source | split | takes | frames (30 fps) | hours | motion kinds |")
    click.echo("|---|---|---|---|---|---|")
    for r in rows:
        click.echo(f"| {r['source']} | {r['split']} | {r['takes']} | {r['frames']} | "
                   f"{r['hours']:.3f} | {', '.join(r['kinds'])} |")


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"synsp: warning: {message}", err=True)


def _cli_words(message: str) -> str:
    """An API message's Python hints in the command line's words: ``model='one-euro'`` -> ``--model one-euro``,
    ``pass model= a filter`` -> ``pass --model a filter``, ``assign_ids='order'`` -> ``--assign-ids order``,
    ``key='kp'`` -> ``--key kp``."""
    import re

    for word, flag in (("model", "--model"), ("assign_ids", "--assign-ids"), ("num_keypoints", "--num-keypoints")):
        message = re.sub(rf"(?<![\w-]){word}='([^']*)'", rf"{flag} \1", message)
        message = re.sub(rf"(?<![\w-]){word}=(?=\s)", flag, message)
    # key= of the readers (an .npz's array): not inside a Python call's arguments, "read_array(path, key='kp')"
    message = re.sub(r"(?<![\w(-])(?<!, )key='([^']*)'", r"--key \1", message)
    message = re.sub(r"(?<![\w(-])(?<!, )key=(?=<)", "--key ", message)
    return message


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    """SIGTERM (``kill``, ``Popen.terminate``, a supervisor) stops a command as Ctrl-C does: a batch's workers stopped,
    no output written after it ends, temporary files removed (before, the workers went on writing and held the
    command's pipes open).  Sent on as SIGINT, so the handling in force (a batch holding Ctrl-C while its pool
    starts) takes it; where Python handles no SIGINT (a background job of a script starts with it ignored), a
    ``KeyboardInterrupt`` at once."""
    if not callable(signal.getsignal(signal.SIGINT)):
        raise KeyboardInterrupt
    os.kill(os.getpid(), signal.SIGINT)


def main(argv: list[str] | None = None) -> int:
    """Entry point: user mistakes print one clear line and exit 2, never a traceback."""
    warnings.showwarning = _one_line_warning
    for stream in (sys.stdout, sys.stderr):  # a name read from a file that is not UTF-8 prints as \xe9, never fails
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    on_main = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGTERM, _terminate_as_interrupt) if on_main else None
    try:
        return _main(argv)
    finally:
        if on_main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if before is None else before)  # None: set outside Python


def _main(argv: list[str] | None) -> int:
    """:func:`main` after its set-up."""
    try:
        code = cli.main(args=argv, prog_name="synsp", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.UsageError as exc:  # an unknown option, a bad value: one line too, naming where to look
        command = exc.ctx.command_path if exc.ctx is not None else "synsp"
        click.echo(f"{command}: error: {exc.format_message()} (see {command} --help)", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (SynspInputError, FileNotFoundError) as exc:
        click.echo(f"synsp: error: {_cli_words(str(exc))}", err=True)
        return 2
    except OSError as exc:  # a file system error no check caught (permissions, full disk, ...): one line too
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"synsp: error: {where}{exc.strerror or exc}", err=True)
        return 2
    return code if isinstance(code, int) else 0  # a command's click.exceptions.Exit(code) (refine: files failed)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
