"""Training: the paper's recipe, checkpoints selected on the validation split.

``train(TrainConfig(...))`` trains SynSP, SmoothNet, DeciWatch or HANet on windows of
the real-motion corpus carrying simulated estimator errors
(:class:`synsp.data.dataset.WindowDataset`, noise redrawn every epoch):

* Adam with AMSGrad, lr 1e-3 decayed by ``lr_decay`` every epoch, seeded;
* windows normalised with the input window's statistics
  (:mod:`synsp.normalization`; targets use the same statistics);
* the model's own loss (SynSP: Equ. 4; SmoothNet: L1 + 0.1 accel; DeciWatch; HANet with mutual learning);
* after every epoch, validation on the corpus **validation** split through the
  full inference path (windows, SWAA, de-normalisation) with fixed noise; the
  best epoch by validation MPJPE (Accel breaks ties within 0.5 %) is saved as
  ``<out>/best.{safetensors,json}`` with its model card, and the latest epoch as
  ``<out>/last.{safetensors,json}`` (its own validation row in the card);
* ``<out>/last.pt`` (model, optimiser, epoch, history) is written every epoch
  and ``resume=True`` continues from it with the same result; ``<out>/log.csv``
  holds one row per epoch; mixed precision is used when CUDA is present.

Distributed: under ``torchrun --nproc_per_node N`` (``WORLD_SIZE`` > 1) the model
is wrapped in DistributedDataParallel (gloo on CPU, nccl on CUDA, one GPU per
process by ``LOCAL_RANK``); every process draws a disjoint share of the epoch's
windows with ``batch_size / N`` windows per step, so the effective batch and
the epoch stay those of one process; process 0 validates, logs and saves.

Users' own clips: ``synsp data import`` (:mod:`synsp.data.custom`) writes a
corpus of them, on a built-in or a custom skeleton; ``corpus=`` that file and
``skeleton=`` its skeleton train on it unchanged.  A custom skeleton's
definition goes into the model card (``skeleton_definition``).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .data.corpus import built_corpus_path, corpus_gives, corpus_lacks, corpus_meta, load_corpus
from .data.dataset import MODES, Augmentation, WindowDataset
from .data.rotation_windows import RotationWindowDataset, fill_rotations
from .data.positions import split_positions
from .error_families import HELD_OUT_FAMILIES, TRAINING_FAMILIES, is_family, person_size, simulate_family
from .geometry import axis_angle_to_rot6d, rot6d_to_matrix
from .kinematics import forward_kinematics_torch
from .metrics import refine_clips, rotation_metrics, summarize
from .missing import interpolate_missing
from .models.checkpoint import (
    ARCHITECTURES,
    ModelCard,
    build_model,
    check_state_dict,
    checkpoint_stem,
    config_class,
    load_model,
    save_model,
)
from .models.deciwatch import deciwatch_loss
from .models.hanet import hanet_loss
from .models.smoothnet import smoothnet_loss
from .models.synsp import SIZES, SynSPOutput, synsp_loss
from .models.universal import UniversalSynSP
from .noise import PRESETS, ErrorModel, simulate
from .normalization import (
    CENTROID,
    PER_VIEW,
    ROTATIONS_6D,
    SHARED_VIEWS,
    normalize_rotation_windows,
    normalize_windows,
    window_mask,
)
from .refiners import NetworkRefiner, named_checkpoint, network_refiner, shipped_models
from .skeletons import BUILTIN_SKELETONS, SMPL24_OFFSETS, get_skeleton, joint_structure
from .validation import SynspInputError

__all__ = ["TrainConfig", "train", "resolve_config", "default_w_accel", "evaluate_refiner", "validation_split",
           "fine_tune_settings"]

# SynSP's per-frequency input gains start at 1 and must reach ~0 for jittery frequencies:
# with Adam a parameter moves about lr per step, so they get a larger learning rate.
GAIN_LR_FACTOR = 30.0
#: the window of a run that sets none (DeciWatch and HANet: their own ``interval * q + 1``)
DEFAULT_WINDOW = 8
#: TrainConfig.representation of SMPL-style joint rotations (6D inside the network)
ROTATIONS = "rotations"


@dataclass
class TrainConfig:
    """One training run; each field is the ``synsp train`` option of the same name (``model``: its ``--option``
    settings), with the same defaults, so ``TrainConfig()`` trains what ``synsp train`` with no flags trains.
    ``None`` means "derived": :meth:`resolved` (called by :func:`train`) fills it in, in one place."""

    name: str | None = None  # None: "<architecture>-<skeleton>-<representation>-w<window>[-p<views>]"
    architecture: str = "synsp"
    model: dict[str, Any] = field(default_factory=dict)  # overrides of the architecture's config (--option)
    size: str = "small"  # SynSP only: a named size of synsp.models.synsp.SIZES
    residual: bool = True  # SynSP only: input_residual (SynSPConfig's default, the official network, is False)
    skeleton: str | None = None  # None: smpl24 for rotations, else h36m17; a corpus with one skeleton: that one
    window: int | None = None  # None: 8; DeciWatch and HANet: their own interval * q + 1
    views: int = 1
    min_views: int | None = None  # multi-view: each batch keeps a random number of views in min_views..views
    mode: str = "single"  # WindowDataset mode
    representation: str = "3d"
    preset: str | list[str] = "mixed"  # an error family or a noise preset; several: a list, or one string joined by "+"
    corpus: str | None = None  # default: the built corpus in the cache (synsp data build)
    epochs: int = 20
    windows_per_epoch: int | None = 50_000
    batch_size: int = 256
    lr: float = 1e-3
    lr_decay: float = 0.95
    w_pos: float = 1.0
    w_accel: float | None = None  # None: default_w_accel(architecture)
    mask: bool = True
    seed: int = 4321
    val_frames: int = 6000  # validation frames per epoch (whole clips, fixed noise)
    train_split: str = "train"
    val_split: str = "val"
    fast_motion: float = 0.0  # share of training chunks played 1.25-3x faster (Augmentation.fast)
    low_rate: float = 0.0  # positions: share of training chunks captured at 10-24 fps (Augmentation.low_rate)
    init: str | None = None  # start from this checkpoint's weights (same architecture and config)
    causal: bool = False  # SynSP and universal: loss on the window's last frame, zero-delay use
    # the universal model (architecture "universal"): more joint sets, a share of 2D batches, a share of batches
    # on a random subset of the joints; ``skeleton`` and ``representation`` are what it is validated on
    skeletons: list[str] = field(default_factory=list)
    mix_2d: float = 0.0
    joint_subsets: float = 0.0
    virtual_joints: float = 0.0  # universal: share of batches with extra points along random bones (other rigs)
    shared_view_errors: float = 0.0  # universal views: share of windows whose views' errors are partly shared
    mix_rotations: float = 0.0  # universal: share of batches of smpl24 6D rotations (needs --option rotations=true)
    w_fk: float = 0.0  # smpl24 rotation batches: weight of the same loss on the neutral body's joints (metres, FK)
    out: str | None = None  # None: runs/<name>
    device: str = "cpu"
    workers: int = 0
    command: str = ""

    def validate(self) -> None:
        """Raise :class:`SynspInputError` (one line naming the setting) for a value no run can use; called
        first by :func:`train`, before any file is read or written."""
        validate_config(self)

    def resolved(self) -> "TrainConfig":
        """This configuration with every derived default filled in (:func:`resolve_config`)."""
        return resolve_config(self)


def default_w_accel(architecture: str) -> float:
    """The acceleration loss weight of ``TrainConfig(w_accel=None)`` (and of ``synsp train`` without
    ``--w-accel``): 1 for SynSP and the universal model (Equ. 4 as the paper weighs it), 0.1 for the others
    (SmoothNet's L1 + 0.1 accel; DeciWatch and HANet have their own losses and do not read it)."""
    return 1.0 if architecture in ("synsp", "universal") else 0.1


def resolve_config(config: TrainConfig) -> TrainConfig:
    """The one place where ``None`` settings of a :class:`TrainConfig` get their values (the CLI passes its
    unset options as ``None`` and :func:`train` resolves them here): the skeleton (smpl24 for rotations, else
    h36m17; a corpus that holds one skeleton: that one), the name from the architecture, skeleton,
    representation, window and views, the run folder ``runs/<name>``, the acceleration loss weight
    (:func:`default_w_accel`), and a preset string ``"a+b"`` as the list of its parts."""
    skeleton = config.skeleton
    if skeleton is None:
        skeleton = "smpl24" if config.representation == ROTATIONS else "h36m17"
        if config.corpus:
            stored = corpus_meta(config.corpus)["skeletons"]
            skeleton = stored[0] if len(stored) == 1 else "h36m17"
    window = config.window
    if window is None:  # the default: 8, DeciWatch's and HANet's their own interval * q + 1
        window = DEFAULT_WINDOW
        if config.architecture in ("deciwatch", "hanet"):
            try:  # (a setting it refuses is named by _check)
                window = config_class(config.architecture)(**_model_config(dataclasses.replace(
                    config, skeleton=skeleton, window=window))).window
            except (SynspInputError, TypeError, ValueError):
                pass
    name = config.name if config.name is not None else (
        f"{config.architecture}-{skeleton}-{config.representation}-w{window}"
        + (f"-p{config.views}" if config.views > 1 else ""))
    preset = config.preset
    if isinstance(preset, str) and "+" in preset:
        preset = preset.split("+")
    return dataclasses.replace(
        config, skeleton=skeleton, name=name, window=window,
        out=config.out if config.out is not None else f"runs/{name}",
        w_accel=config.w_accel if config.w_accel is not None else default_w_accel(config.architecture),
        preset=preset)


#: a fine-tune's schedule (:func:`fine_tune_settings`) unless the caller sets one: a few epochs at a lower rate
FINE_TUNE_EPOCHS = 5
FINE_TUNE_LR = 3e-4
#: training from ``init`` weights: the rate rises linearly over the first steps (Adam's first updates move
#: every weight by about the full rate, which undoes part of what a trained model knows)
FINE_TUNE_WARMUP_STEPS = 100
#: the universal model's switches a run may turn on over ``init`` weights without them (each has its
#: ``UniversalSynSP.load_state_without_<switch>``), in the order they are looked for
_WIDENING = ("rotations", "noise_cue", "joint_structure", "view_consensus")
#: a universal model with ``joint_structure`` is not told its joints' structure on this share of the training
#: steps, so that it refines joint sets of unknown structure as well
STRUCTURE_UNTOLD = 0.3
#: network settings the new data fixes (derived by the run), never copied from the model being fine-tuned
_DATA_FIXED = frozenset({"window", "channels", "mask_channels", "dims", "mask", "input_residual"})
#: recipe settings a fine-tune keeps from the model's card (the joint sets and rotation batches it was
#: trained on are the corpus's, not the new data's: those are left out)
_RECIPE_KEPT = ("representation", "preset", "fast_motion", "low_rate", "mix_2d", "joint_subsets", "virtual_joints",
                "w_pos", "w_accel", "lr_decay", "mode", "min_views", "shared_view_errors")


def fine_tune_settings(source: str | os.PathLike) -> dict[str, Any]:
    """The :class:`TrainConfig` fields that fine-tune ``source`` (a shipped model's name, a checkpoint or a
    run folder of ``synsp train``) on new data, e.g. ``TrainConfig(**fine_tune_settings("synsp-universal-w16"),
    corpus="mine.npz")``: the model's architecture, window, views, causality and network settings; its
    weights as ``init`` (card and weights validated first); the recipe it was trained with (error family or
    presets, fast motion, 2D and joint-subset shares, loss weights, schedule decay) from its card; and a
    fine-tune's schedule, :data:`FINE_TUNE_EPOCHS` epochs at :data:`FINE_TUNE_LR` (or the card's own last rate
    if lower).  Fields the caller sets win; the corpus is the caller's.  A model of one joint set
    (``synsp-h36m17-3d-w8``) fine-tunes on that joint set (``skeleton`` is the card's; ``synsp train`` refuses
    another); the universal models on any (``skeleton`` is the caller's)."""
    stem = named_checkpoint(source) or checkpoint_stem(source)
    if not Path(f"{stem}.json").is_file():
        raise SynspInputError(f"--from {source}: not a shipped model (see `synsp models`), a checkpoint "
                              "(.safetensors + .json) or a run folder of `synsp train`")
    _, card = load_model(stem)
    recipe = card.recipe or {}
    if not isinstance(recipe, dict):
        raise SynspInputError(f"--from {source}: its card's recipe is {recipe!r}, not a mapping of training settings; "
                              "fix the card or fine-tune another model")
    card_lr = recipe.get("lr")
    if card_lr is not None and (isinstance(card_lr, bool) or not isinstance(card_lr, (int, float))
                                or not math.isfinite(card_lr) or card_lr < 0):
        raise SynspInputError(f"--from {source}: its card's recipe gives lr {card_lr!r}, not a learning rate (a "
                              "number >= 0); fix the card's recipe.lr or fine-tune another model")
    settings: dict[str, Any] = {
        "architecture": card.architecture, "window": card.window, "views": card.views, "causal": card.causal,
        "mask": card.mask, "model": {k: v for k, v in card.config.items() if k not in _DATA_FIXED},
        "init": str(stem), "epochs": FINE_TUNE_EPOCHS,
        "lr": min(FINE_TUNE_LR, float(card_lr or FINE_TUNE_LR))}
    if card.architecture != "universal":  # its weights are one joint set's: train on that one
        settings["skeleton"] = card.skeleton
    if card.architecture == "synsp":
        settings["residual"] = bool(card.config.get("input_residual", False))
    if card.noise_preset:
        settings["preset"] = card.noise_preset
    settings.update({k: recipe[k] for k in _RECIPE_KEPT if recipe.get(k) is not None})
    return settings


def _whole(config: TrainConfig, name: str, low: int, high: float = math.inf, none: bool = False) -> None:
    v = getattr(config, name)
    if v is None and none:
        return
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not low <= v <= high:
        bound = f"from {low} to {high}" if math.isfinite(high) else f">= {low}"
        raise SynspInputError(f"{name} is {v!r}; expected a whole number {bound}" + (" (or None)" if none else ""))


def _number(config: TrainConfig, name: str, low: float, high: float = math.inf, low_open: bool = False) -> None:
    v = getattr(config, name)
    ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)
    if not ok or v < low or (low_open and v == low) or v > high:
        bound = (f"> {low:g}" if low_open else f">= {low:g}") + (f" and <= {high:g}" if math.isfinite(high) else "")
        raise SynspInputError(f"{name} is {v!r}; expected a finite number {bound}")


def _check_presets(preset: Any) -> None:
    """Every part of ``preset`` (a name, ``"a+b"`` or a list; an error model object passes) is an error family
    or a noise preset, else one :class:`SynspInputError` naming both kinds, before any file is written."""
    parts = preset.split("+") if isinstance(preset, str) else list(preset) if isinstance(preset, (list, tuple)) \
        else [preset]
    for part in parts:
        if not (is_family(part) or isinstance(part, ErrorModel) or (isinstance(part, str) and part in PRESETS)):
            raise SynspInputError(
                f"unknown error family or noise preset {part!r}; error families: {', '.join(TRAINING_FAMILIES)} "
                f"(held out for evaluation: {', '.join(HELD_OUT_FAMILIES)}); noise presets: {', '.join(PRESETS)}; "
                "several are joined by '+'")


def _warn_held_out(preset: Any) -> None:
    """Warn when ``preset`` trains on a family held out for evaluation: its rows of the robustness experiment stop
    measuring an error the model never saw."""
    parts = preset.split("+") if isinstance(preset, str) else list(preset) if isinstance(preset, (list, tuple)) \
        else [preset]
    held = [p for p in parts if isinstance(p, str) and p in HELD_OUT_FAMILIES]
    if held:
        warnings.warn(f"training on the held-out error famil{'ies' if len(held) > 1 else 'y'} {', '.join(held)}: "
                      "the robustness experiment's rows of it no longer measure an error this model never saw "
                      f"(training families: {', '.join(TRAINING_FAMILIES)})", stacklevel=3)


def validate_config(config: TrainConfig) -> None:
    """Every setting of a :class:`TrainConfig` in one place (see :meth:`TrainConfig.validate`)."""
    if config.architecture not in ARCHITECTURES:
        raise SynspInputError(f"architecture is {config.architecture!r}; expected one of {', '.join(ARCHITECTURES)}")
    if config.representation not in ("3d", "3d-camera", "2d", ROTATIONS):
        raise SynspInputError(f"representation is {config.representation!r}; expected 3d, 3d-camera, 2d or "
                              f"{ROTATIONS}")
    if config.mode not in MODES:
        raise SynspInputError(f"mode is {config.mode!r}; expected one of {', '.join(MODES)}")
    if config.name is not None and (not isinstance(config.name, str) or not config.name.strip()):
        raise SynspInputError(f"name is {config.name!r}; expected a non-empty model name (or None)")
    if config.architecture == "synsp" and config.size not in SIZES:
        raise SynspInputError(f"size is {config.size!r}; expected one of {', '.join(sorted(SIZES))}")
    if config.architecture != "synsp" and (config.size != "small" or config.residual is not True):
        raise SynspInputError(f"--size and --residual/--no-residual set SynSP's network; architecture "
                              f"{config.architecture} has its own settings (--option NAME=VALUE)")
    if config.architecture in ("deciwatch", "hanet") and config.w_accel not in (None,
                                                                                default_w_accel(config.architecture)):
        raise SynspInputError(f"--w-accel weighs SynSP's, the universal model's and SmoothNet's acceleration loss; "
                              f"{config.architecture} trains with its own loss, which has no such weight")
    if not isinstance(config.residual, bool):
        raise SynspInputError(f"residual is {config.residual!r}; expected True or False")
    if not isinstance(config.model, dict):
        raise SynspInputError(f"model is {config.model!r}; expected a dict of the network's settings")
    window = config.window or DEFAULT_WINDOW
    if config.model.get("window", window) != window and config.architecture in ("synsp", "smoothnet", "universal"):
        raise SynspInputError(f"model sets window {config.model['window']!r}; the window is the setting window "
                              f"(--window, {window})")
    _whole(config, "epochs", 1)
    _whole(config, "batch_size", 1)
    _whole(config, "windows_per_epoch", max(1, int(config.batch_size) if isinstance(config.batch_size, int) else 1),
           none=True)  # fewer windows than one batch: no training step at all (the last batch is dropped)
    _whole(config, "window", 1, none=True)
    _whole(config, "views", 1)
    _whole(config, "val_frames", 1)
    _whole(config, "workers", 0)
    _whole(config, "seed", 0, 2**32 - 1)
    _number(config, "lr", 0.0, low_open=True)  # a zero rate trains nothing and saves the start as "best"
    _number(config, "lr_decay", 0.0, low_open=True)
    _number(config, "w_pos", 0.0)
    if config.w_accel is not None:
        _number(config, "w_accel", 0.0)
    _number(config, "fast_motion", 0.0, 1.0)
    _number(config, "low_rate", 0.0, 1.0)
    if config.low_rate and config.representation == ROTATIONS:
        raise SynspInputError("--low-rate is for positions (2D, 3D); rotation windows are captured at 30 fps")
    if config.min_views is not None and not (config.views > 1 and isinstance(config.min_views, int)
                                             and 1 <= config.min_views <= config.views):
        raise SynspInputError(f"min_views is {config.min_views}; expected 1..views ({config.views}) with views > 1")
    if config.causal and config.architecture not in ("synsp", "universal"):
        raise SynspInputError("--causal training is implemented for SynSP and the universal model only")
    _number(config, "mix_2d", 0.0, 1.0)
    _number(config, "joint_subsets", 0.0, 1.0)
    _number(config, "virtual_joints", 0.0, 1.0)
    _number(config, "shared_view_errors", 0.0, 1.0)
    if config.shared_view_errors and (config.architecture != "universal" or config.views < 2):
        raise SynspInputError("shared_view_errors trains the universal model on several views (--views > 1)")
    _number(config, "mix_rotations", 0.0, 1.0)
    _number(config, "w_fk", 0.0)
    _check_presets(config.preset)
    if config.w_fk and config.representation != ROTATIONS and not config.mix_rotations:
        raise SynspInputError("w_fk weighs a forward-kinematics loss on smpl24 rotation batches: train on rotations "
                              "(--representation rotations, or --mix-rotations for the universal model)")
    if config.architecture != "universal" and (config.skeletons or config.mix_2d or config.joint_subsets
                                               or config.virtual_joints or config.mix_rotations):
        raise SynspInputError("skeletons, mix_2d, mix_rotations, joint_subsets and virtual_joints train the universal "
                              "model only (--architecture universal)")
    if config.mix_rotations and config.model.get("rotations") is not True:
        raise SynspInputError("mix_rotations trains the universal model on rotations too: give it rotation inputs "
                              "with --option rotations=true")
    if config.mix_2d + config.mix_rotations >= 1:
        raise SynspInputError(f"mix_2d ({config.mix_2d:g}) + mix_rotations ({config.mix_rotations:g}) must stay "
                              "below 1: the rest of the batches are 3D positions")
    if config.architecture == "universal" and config.representation not in ("3d", "2d"):
        raise SynspInputError("the universal model trains on 3d or 2d positions (rotations: --mix-rotations)")
    consensus = config.model.get("view_consensus") is True
    if config.architecture == "universal" and (config.views > 1 or consensus) and not (
            consensus and config.views > 1 and config.representation == "3d" and config.mode == "multiview"
            and not config.mix_2d and not config.mix_rotations):
        raise SynspInputError("the universal model trains on several views (--views > 1) only with --option "
                              "view_consensus=true, in 3D: --representation 3d --mode multiview, without --mix-2d "
                              "or --mix-rotations (2D views lie in different images)")


def _load_state(path: Path, device: str) -> dict:
    """``last.pt`` read without running code (``weights_only``); anything unreadable is one line."""
    import pickle
    import zipfile

    try:
        with warnings.catch_warnings():  # torch's notes on a foreign file (pickle protocol): the error says it
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError, AttributeError,
            zipfile.BadZipFile) as exc:
        first = _first_line(exc)
        raise SynspInputError(f"{path}: not a readable training state ({first}); synsp loads it without running "
                              "code, so a file with pickled objects is refused. Delete it or train without "
                              "--resume") from None
    if not isinstance(state, dict) or not {"model", "optimizer", "scheduler", "epoch", "history"} <= set(state):
        raise SynspInputError(f"{path}: not a synsp training state (expected model, optimizer, scheduler, epoch "
                              "and history); delete it or train without --resume")
    return state


def _first_line(exc: BaseException) -> str:
    """The first line of a failed read of a training state, for a one-line error; torch's refusal of pickled objects
    is said plainly (its hint would be to unpickle them)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return "it holds pickled objects, not only tensors" if "weights only" in first.lower() or \
        "weights_only" in first else first


def _channels(config: TrainConfig) -> tuple[int, int]:
    J = get_skeleton(config.skeleton).num_joints
    if config.representation == ROTATIONS:  # 6D per joint; no extra trajectory joint
        return J * 6, J
    D = 2 if config.representation == "2d" else 3
    return (J + 1) * D, J + 1


def _dims(representation: str) -> int:
    """Coordinates per joint a model works on for ``representation``: 6 (rotations, 6D), 2 or 3."""
    return {ROTATIONS: 6, "2d": 2}.get(representation, 3)


def _normalization(config: TrainConfig) -> str:
    if config.representation == ROTATIONS:
        return ROTATIONS_6D
    if config.architecture == "universal":
        return CENTROID
    return SHARED_VIEWS if _shared_views(config) else PER_VIEW


def _model_config(config: TrainConfig) -> dict[str, Any]:
    """The network's config of a resolved :class:`TrainConfig`: what the data fixes (window, channels, mask),
    for SynSP its named size and residual, then the ``model`` overrides."""
    channels, mask_channels = _channels(config)
    if config.architecture == "synsp":
        base = {"window": config.window, "channels": channels,
                "mask_channels": mask_channels if config.mask else 0, **SIZES[config.size],
                "input_residual": config.residual}
    elif config.architecture == "universal":
        base = {"window": config.window, "dims": _dims(config.representation), "mask": config.mask}
    elif config.architecture == "smoothnet":
        base = {"window": config.window}
    elif config.architecture in ("deciwatch", "hanet"):
        base = {"channels": channels}
    else:
        raise SynspInputError(f"unknown architecture {config.architecture!r}")
    return {**base, **config.model}


def _shared_views(config: TrainConfig) -> bool:
    """Views normalised together: SynSP models whose residual starts from the views' mean."""
    return config.architecture == "synsp" and bool(config.model.get("view_mean_skip", False))


def make_card(config: TrainConfig, model_config: dict[str, Any], data: str | None = None) -> ModelCard:
    sk = get_skeleton(config.skeleton)
    universal = config.architecture == "universal"
    window = config.window if config.architecture not in ("deciwatch", "hanet") else (
        config_class(config.architecture)(**model_config).window)  # interval * q + 1
    return ModelCard(
        name=config.name, architecture=config.architecture, config=model_config,
        skeleton="any" if universal else sk.name, dims=_dims(config.representation), window=window,
        views=config.views, fps=30.0, root_joints=(0,) if universal else tuple(sk.root_joints),
        mask=config.mask and config.architecture in ("synsp", "universal"),
        causal=config.causal, normalization=_normalization(config),
        skeleton_definition=None if sk.name in BUILTIN_SKELETONS else sk.to_dict(),
        data=f"{data or 'synsp corpus (real CMU/assimp/holosoma mocap)'}, {config.train_split} split",
        noise_preset=config.preset if isinstance(config.preset, str) else "+".join(config.preset),
        recipe={k: v for k, v in dataclasses.asdict(config).items()
                if k in ("epochs", "windows_per_epoch", "batch_size", "lr", "lr_decay", "w_pos", "w_accel",
                         "seed", "mode", "representation", "min_views", "fast_motion", "low_rate", "skeletons",
                         "mix_2d", "joint_subsets", "virtual_joints", "mix_rotations", "w_fk", "shared_view_errors")},
        command=config.command,
    )


def _loss(architecture: str, model, inp, gt, mask, config: TrainConfig, dims: int = 3, **inputs):
    """The training loss; ``inputs``: the universal model's further inputs (:func:`_batch_to_tensors`)."""
    if architecture in ("synsp", "universal"):
        out = model(inp, mask=mask, dims=dims, **inputs) if architecture == "universal" else model(inp, mask=mask)
        loss, terms = synsp_loss(out, gt, config.w_pos, config.w_accel, causal=config.causal)
        if config.w_fk and dims == 6 and gt.shape[-1] == 24 * 6:
            body = lambda y: smpl24_joints_torch(y.unflatten(-1, (24, 6))).flatten(-2)  # noqa: E731
            fk, _ = synsp_loss(SynSPOutput(*(body(o) for o in out)), body(gt), config.w_pos, config.w_accel,
                               causal=config.causal)
            loss, terms = loss + config.w_fk * fk, {**terms, "fk": float(fk.detach())}
        return loss, terms
    if architecture == "smoothnet":
        return smoothnet_loss(model(inp), gt, config.w_pos, config.w_accel)
    if architecture == "hanet":
        return hanet_loss(model(inp, return_encoder=True), gt)

    return deciwatch_loss(model(inp, return_denoised=True), gt)


def smpl24_joints_torch(rot6d: torch.Tensor) -> torch.Tensor:
    """``(..., 24, 6)`` SMPL rotations (6D) -> ``(..., 24, 3)`` joints of the neutral body
    (:data:`synsp.skeletons.SMPL24_OFFSETS`, pelvis at the origin, metres), differentiably: the training
    loss's view of a rotation error by what it does to the body (a global orientation's error moves every joint)."""
    return forward_kinematics_torch(rot6d_to_matrix(rot6d), SMPL24_OFFSETS, get_skeleton("smpl24").parents)


def _keep_views(batch: dict, config: TrainConfig, epoch: int, step: int) -> dict:
    """With ``min_views``: the batch's first ``k`` views, ``k`` drawn in ``min_views..views`` (seeded by
    epoch and step), so one multi-view model learns every view count in that range."""
    if not config.min_views or config.views <= 1:
        return batch
    k = int(np.random.default_rng([config.seed, epoch, step, 7]).integers(config.min_views, config.views + 1))
    return {key: value[:, :k] for key, value in batch.items()}


def _batch_to_tensors(batch: dict, config: TrainConfig, root_joints, skeleton: str | None = None,
                      representation: str | None = None, subset: np.ndarray | None = None,
                      extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                      shared: np.ndarray | None = None) -> tuple[torch.Tensor, ...]:
    """Dataset batch (positions or axis-angles, un-normalised) -> normalised input, target and mask tensors,
    and the universal model's further inputs as keywords: the windows' jitter floors in normalised units
    (``floor``, a batch that has them) and for views ``(B, P, W, C)`` their count (``views``; the views are
    normalised together and become windows of the batch, view-major).
    ``skeleton``/``representation``: the batch's (default: the config's); ``subset``: keep these joints only
    (the universal model, whose root is then the centroid of the kept joints); ``extra``: points along bones
    appended after them (:func:`_virtual_joints`; input, truth and missing flags alike); ``shared`` ``(B,)``: per
    window of views, the share of view 0's error every view takes on (:func:`_shared_view_errors`)."""
    representation = representation or config.representation
    J = get_skeleton(skeleton or config.skeleton).num_joints
    D = 2 if representation == "2d" else 3  # rotations: axis-angles here, 6D below
    inp = batch["input"].numpy().astype(np.float64)
    gt = batch["gt"].numpy().astype(np.float64)
    shape = inp.shape[:-1] + (J, D)  # (B, [P,] W, J, D)
    if subset is not None or config.architecture == "universal":
        keep = np.arange(J) if subset is None else subset
        inp, gt, missing = inp.reshape(shape), gt.reshape(shape), batch["mask"]
        parts = [(inp[..., keep, :], gt[..., keep, :], missing[..., keep])]
        if extra is not None:  # each extra point: (1 - t) a + t b on bone (a, b), missing where an end is
            a, b, t = extra
            along = lambda v: v[..., a, :] * (1 - t[:, None]) + v[..., b, :] * t[:, None]  # noqa: E731
            parts.append((along(inp), along(gt), torch.maximum(missing[..., a], missing[..., b])))
        inp, gt = (np.concatenate([p[i] for p in parts], axis=-2) for i in (0, 1))
        batch = {**batch, "mask": torch.cat([p[2] for p in parts], dim=-1)}
        J, shape, root_joints = inp.shape[-2], inp.shape, tuple(range(inp.shape[-2]))
    views = None
    if config.architecture == "universal" and inp.ndim == 5:  # (B, P, W, J, D) views of one motion
        if shared is not None:  # every view's error moved towards view 0's, and its misses shared
            rho = np.asarray(shared, dtype=np.float64)[:, None, None, None, None]
            inp = inp + rho * ((inp[:, :1] - gt[:, :1]) - (inp - gt))
            batch = {**batch, "mask": torch.maximum(batch["mask"], batch["mask"][:, :1] * torch.as_tensor(
                shared > 0, dtype=batch["mask"].dtype)[:, None, None, None])}
        views = inp.shape[1]
    if representation == ROTATIONS:
        x, root = normalize_rotation_windows(axis_angle_to_rot6d(inp.reshape(shape)))
        y, _ = normalize_rotation_windows(axis_angle_to_rot6d(gt.reshape(shape)), root)
        mask = batch["mask"].numpy() if config.mask else None
    else:
        x, stats = normalize_windows(inp.reshape(shape), root_joints,
                                     shared_views=_shared_views(config) or views is not None)
        y, _ = normalize_windows(gt.reshape(shape), root_joints, stats)
        mask = window_mask(batch["mask"].numpy(), root_joints) if config.mask else None
    dev = config.device
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=dev)  # noqa: E731
    inputs = {}
    if representation != ROTATIONS and "floor" in batch:  # (B, [P]) in the input's units -> normalised
        inputs["floor"] = as_t(batch["floor"].numpy().astype(np.float64) / stats.scale[..., 0, 0])
    x, y, mask = as_t(x), as_t(y), (as_t(mask) if mask is not None else None)
    if views is not None:  # every view one window of the batch, the views of a motion side by side
        x, y, mask = (t.flatten(0, 1) if t is not None else None for t in (x, y, mask))
        inputs = {k: v.flatten(0, 1) for k, v in inputs.items()}
        inputs["views"] = views
    return x, y, mask, inputs


def validation_split(skeleton: str, preset: str, frames: int, corpus: str | None, seed: int = 0,
                     split: str = "val", representation: str = "3d",
                     views: int = 1, level: float | None = None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Fixed (gt, noisy input, confidence) clips of a split, up to ``frames`` frames in all.

    ``representation="2d"``: each clip is first seen through a seeded random
    virtual camera (:mod:`synsp.data.positions`) and the truth is in pixels.
    ``views > 1``: ``(T, P, J, D)`` clips, the same world-frame motion seen
    ``P`` times with independent estimator errors (the multi-view setting).
    ``representation="rotations"``: the clips' smpl24 local axis-angles (clips of
    sources with rotations only; ``skeleton`` is then ``"smpl24"``).
    ``preset`` may name an error family (:mod:`synsp.error_families`);
    ``level`` then fixes its level (0: the clean truth itself; for rotations an
    RMS angle in degrees).
    """
    rotations = representation == ROTATIONS
    if rotations:
        clips = load_corpus(corpus, skeleton="h36m17", split=split, phases="first", rotations=True)
        truths, total = [], 0
        for clip in sorted(clips, key=lambda c: c.clip_id):
            if total >= frames:
                break
            truths.append((clip.rotations.astype(np.float64), clip))
            total += clip.rotations.shape[0]
    else:
        truths = split_positions(skeleton, split, representation, frames, corpus, seed)
    out = []
    for i, (gt, clip) in enumerate(truths):
        if views > 1:
            gt = np.repeat(gt[:, None], views, axis=1)
        if is_family(preset):
            sim = simulate_family(gt, preset, skeleton=skeleton, fps=clip.fps, seed=seed + i, level=level,
                                  depth_axis=None if representation == "2d" else 2,
                                  representation="rotations" if rotations else "positions")
        else:
            sim = simulate(gt, preset, skeleton=skeleton, fps=clip.fps, seed=seed + i,
                           representation="rotations" if rotations else "positions")
        out.append((gt, sim.pred, sim.confidence))
    if not out:
        raise SynspInputError(f"the corpus has no {split} clips")
    return out


#: what a family-trained model is selected on besides its own family: clean input, and one held-out family
#: (the other held-out families are never used for selection: they stay unseen until the benchmark)
SELECTION_FAMILY, SELECTION_LEVEL = "overshoot", 0.02
#: clean-input damage that costs as much score as 5 % of MPJPE: 3 mm in 3D, 0.3 % of the person's size in 2D
CLEAN_GOAL_MM, CLEAN_GOAL_FRACTION = 3.0, 0.003
#: rotations (smpl24): the held-out family's level (5 degrees RMS: 2 % at 2.5 degrees per 1 % of the person's
#: size, the scale of the rotation families) and the clean goal, 1 degree of mean geodesic angle added to clean
#: input; the rotation selection score is on geodesic angles (rotation_metrics' ``angle``), not on the
#: forward-kinematics MPJPE
SELECTION_ANGLE, CLEAN_GOAL_DEGREES = 5.0, 1.0


def selection_sets(config: "TrainConfig", corpus: str) -> dict[str, list]:
    """Validation sets of a model trained on an error family: ``clean`` (level 0) and ``held-out``
    (:data:`SELECTION_FAMILY` at :data:`SELECTION_LEVEL`), on the validation split."""
    common = dict(skeleton=config.skeleton, frames=config.val_frames, corpus=corpus, split=config.val_split,
                  representation=config.representation, views=config.views)
    held = SELECTION_ANGLE if config.representation == ROTATIONS else SELECTION_LEVEL
    return {"clean": validation_split(preset=SELECTION_FAMILY, level=0.0, **common),
            "held-out": validation_split(preset=SELECTION_FAMILY, level=held, **common)}


def selection_score(main: dict, main_input: dict, extra: dict[str, dict], extra_input: dict[str, dict],
                    clean_goal: float, key: str = "mpjpe") -> float:
    """Mean ``key`` ratio (refined / input) over the noisy sets plus 0.05 per ``clean_goal`` of damage to
    clean input: lower is better.  ``key``: ``"mpjpe"`` (positions) or ``"angle"`` (rotations: mean geodesic
    angle in degrees, ``clean_goal`` :data:`CLEAN_GOAL_DEGREES`)."""
    ratios = [main[key] / main_input[key], extra["held-out"][key] / extra_input["held-out"][key]]
    return float(np.mean(ratios) + 0.05 * extra["clean"][key] / clean_goal)


def evaluate_refiner(refiner, clips, skeleton: str, fps: float = 30.0, representation: str = "3d") -> dict[str, float]:
    """SmoothNet-style metrics of a refiner on (gt, input, confidence) clips: root-relative,
    millimetres for 3D (metres x 1000), pixels for 2D; for ``representation="rotations"``
    :func:`synsp.metrics.rotation_metrics` (joints by forward kinematics in mm, angles in degrees)."""
    sk = get_skeleton(skeleton)
    run = refine_clips(refiner, clips, fps)
    inputs = [_filled_input(inp, pred, representation) for (_, inp, _), pred in zip(clips, run.preds)]
    if representation == ROTATIONS:
        return rotation_metrics(run.preds, run.gts, inputs)
    return summarize(run.preds, run.gts, inputs=inputs, root_joints=sk.root_joints,
                     parents=sk.parents if sk.bones else None, scale=run.scale)


def _filled_input(inp: np.ndarray, pred: np.ndarray, representation: str) -> np.ndarray:
    """The input as the tables' input row fills it (:func:`input_as_refiner`), so that the hardest frames, chosen by
    the input's error, are the same for every method; a joint never observed takes the refined values."""
    try:
        filled = input_as_rotations(inp) if representation == ROTATIONS else input_as_refiner(inp)
    except SynspInputError:
        filled = inp
    return np.where(np.isfinite(filled), filled, pred)


@dataclass
class _Processes:
    """This process's place among the ``torchrun`` processes (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world: int = 1
    device: str = "cpu"

    @classmethod
    def start(cls, device: str) -> "_Processes":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world == 1:
            return cls(device=device)
        import torch.distributed as dist

        if device.startswith("cuda"):
            device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
        return cls(dist.get_rank(), world, device)

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        if self.world == 1:
            return model
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model, device_ids=[self.device] if self.device.startswith("cuda") else None)

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()


@dataclass
class _Run:
    """What :func:`_build` makes and the epochs carry on: the model and its card, the optimiser and
    schedule, the training state (``start_epoch``, ``history``, ``best`` row) and the run folder."""

    out: Path
    model: torch.nn.Module
    card: ModelCard
    optimizer: torch.optim.Optimizer
    scheduler: Any
    stepper: torch.nn.Module  # the module the training steps run through (DDP under torchrun)
    scaler: Any
    use_amp: bool
    start_epoch: int = 0
    history: list[dict] = field(default_factory=list)
    best: dict | None = None

    @property
    def last(self) -> Path:
        return self.out / "last.pt"


@dataclass
class _Data:
    """What :func:`_data` reads: the training sources ``(dataset, skeleton, representation, share)``, the
    validation set with its input baseline, and for family-trained models the selection sets (``extra``)
    with theirs, the selection metric ``key`` and the ``clean_goal``."""

    sources: list[tuple[Any, str, str, float]]
    root_joints: tuple[int, ...]
    val: list
    baseline: dict[str, float]
    extra: dict[str, list]
    extra_input: dict[str, dict[str, float]]
    key: str
    clean_goal: float | None


def train(config: TrainConfig, resume: bool = False, progress: bool = True) -> Path:
    """Train; returns the stem of the best checkpoint (``<out>/best``).

    ``out`` holding a run already (its checkpoints, ``last.pt`` or ``log.csv``) is refused unless ``resume``;
    ``resume`` continues it with the run's own settings: only :data:`RESUME_MAY_CHANGE` (``epochs``, to extend
    it; ``device``, ``workers``) may differ, any other difference is refused, naming it."""
    config, procs, corpus, meta = _check(config, resume)
    progress = progress and procs.rank == 0
    _warn_held_out(config.preset)
    run = _build(config, procs, meta, resume)
    data = _data(config, corpus, run.card)
    _check_windows(config, data, run.card.window, procs.world)
    made = not run.out.exists()
    run.out.mkdir(parents=True, exist_ok=True)  # after every check and read: a refused run leaves no folder
    try:
        if config.init and not run.history and procs.rank == 0:  # the starting weights are a candidate too: a
            _validate_and_save(config, run, data, -1, [], time.time(), progress)  # fine-tune never ends worse
        procs.barrier()
        for epoch in range(run.start_epoch, config.epochs):
            losses, t0 = _train_epoch(config, procs, run, data, epoch, progress)
            if procs.rank == 0:  # process 0 validates and saves; the others wait for it
                _validate_and_save(config, run, data, epoch, losses, t0, progress)
            procs.barrier()
    except BaseException:
        if made and procs.rank == 0 and run.out.is_dir() and not any(run.out.iterdir()):
            run.out.rmdir()  # a run that failed before its first checkpoint leaves no empty folder
        raise
    if procs.rank == 0 and not (run.out / "best.safetensors").is_file():
        raise SynspInputError(f"{run.out}: no epoch was trained (--resume found {run.start_epoch} of {config.epochs} "
                              "epochs done) and no best checkpoint exists there; raise --epochs")
    return run.out / "best"


def _check(config: TrainConfig, resume: bool = False) -> tuple[TrainConfig, _Processes, str, dict]:
    """Step 1: validate and resolve the configuration, check the device, the run folder (a run there only with
    ``resume``, and then with the same settings: :func:`_check_resume`), join the ``torchrun`` processes, seed,
    and check the representation and the corpus (present, at 30 fps); the run folder is made only once
    everything is read (:func:`train`), so a refused run leaves none.  Returns the resolved configuration (on this
    process's device), the processes, the corpus path and its metadata."""
    config.validate()
    config = config.resolved()
    _check_device(config.device)
    if config.init:  # a shipped model's name, a run folder (its best checkpoint) or a checkpoint, as --from takes
        stem = named_checkpoint(config.init) or checkpoint_stem(config.init)
        if not (Path(f"{stem}.json").is_file() and Path(f"{stem}.safetensors").is_file()):
            raise SynspInputError(f"--init {config.init}: not a shipped model (see `synsp models`), a checkpoint "
                                  "(.safetensors + .json) or a run folder of `synsp train`")
        _check_init(config, stem)
        config = dataclasses.replace(config, init=str(stem))
    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise SynspInputError(f"-o {out}: a file, not a folder; a run writes its checkpoints into a folder, give one")
    there = [f for f in _RUN_FILES if (out / f).exists()]
    if there and not resume:
        raise SynspInputError(f"{out} holds a training run already ({', '.join(there)}); pass --resume to continue "
                              "it (--epochs to extend it) or choose another -o folder")
    if resume and there and not (out / "last.pt").is_file():
        # a resume from nothing would start again at epoch 0 and write a worse best over the run's (a Ctrl-C while
        # last.pt was written leaves this)
        raise SynspInputError(f"{out}: no last.pt to resume from (it holds {', '.join(there)}); the run cannot be "
                              f"continued: train into another -o folder (--init {out}/best starts from its best)")
    procs = _Processes.start(config.device)
    if procs.world > 1:
        if config.batch_size % procs.world:
            raise SynspInputError(f"batch size {config.batch_size} does not split over {procs.world} processes")
        config = dataclasses.replace(config, device=procs.device)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    if config.representation == ROTATIONS and (config.skeleton != "smpl24" or config.architecture != "synsp"
                                               or config.views != 1):
        raise SynspInputError("rotation training (--representation rotations) needs --skeleton smpl24, "
                              "--architecture synsp and one view (--views 1)")
    corpus = str(config.corpus or built_corpus_path())
    if not Path(corpus).is_file():
        raise SynspInputError(f"no corpus at {corpus}; run `synsp data build` first (about 45 s on 2 cores)")
    meta = corpus_meta(corpus)  # registers the custom skeleton of an imported corpus (synsp data import)
    if abs(float(meta["fps"]) - 30.0) > 1e-6:
        raise SynspInputError(f"corpus {corpus} is at {meta['fps']:g} fps; models train at 30 fps "
                              "(synsp data import --fps-out 30)")
    _check_network(config, meta)  # the network's own rules and its card's, before any folder
    for name in dict.fromkeys([config.skeleton, *config.skeletons]):  # every joint set the run loads
        if config.representation != ROTATIONS and not corpus_gives(meta, name):
            if config.init and config.architecture != "universal":  # --from / --init weights of that joint set
                raise SynspInputError(f"corpus {corpus} has skeletons {meta['skeletons']}; none gives {name!r}, the "
                                      f"joint set of the starting weights {config.init}; for this corpus's joints "
                                      "fine-tune a universal model (--from synsp-universal-w16)")
            raise SynspInputError(corpus_lacks(corpus, meta, name))
    if config.representation == ROTATIONS and not any(c.get("rotations") for c in meta.get("clips", [])):
        raise SynspInputError(f"corpus {corpus} holds no joint rotations (its clips are positions: markers, arrays or "
                              "joints); a rotation model trains on SMPL rotations, as synsp data build makes from CMU; "
                              "fine-tune a position model on it (e.g. --from synsp-universal-w16)")
    if resume and (out / "last.pt").is_file():
        _check_resume(config, out)
    return config, procs, corpus, meta


#: network settings that have no weights of their own: starting weights trained with another value are refused
WEIGHTLESS_SWITCHES = ("input_residual", "frequency_output")


def _check_init(config: TrainConfig, stem: Path) -> None:
    """Starting weights of another joint set or coordinate count are refused even where their tensors happen to fit
    (17 joints of another rig): they would start the run from the wrong joints' weights."""
    import json

    card = ModelCard.from_dict(json.loads(Path(f"{stem}.json").read_text()), source=f"--init {config.init}")
    if card.skeleton != "any" and config.architecture != "universal" and card.skeleton != config.skeleton:
        raise SynspInputError(f"--init {config.init}: a {card.skeleton} model, and this run trains {config.skeleton}; "
                              "for another joint set fine-tune a universal model (--from synsp-universal-w16)")
    if config.architecture != "universal" and card.dims != _dims(config.representation):
        raise SynspInputError(f"--init {config.init}: a {card.dims}D model, and this run trains "
                              f"{config.representation} ({_dims(config.representation)}D poses)")
    if card.architecture == config.architecture:
        try:
            wanted = _model_config(config)
        except (SynspInputError, KeyError, TypeError):
            wanted = {}
        # switches with no weights of their own: the tensors fit either way, the start is another network
        # (--no-residual from a residual model started 452 mm off where its own settings gave 20.7)
        differ = [f"{k} {wanted[k]} (the model: {card.config[k]})" for k in WEIGHTLESS_SWITCHES
                  if k in card.config and k in wanted and wanted[k] != card.config[k]]
        if differ:
            raise SynspInputError(f"--init {config.init}: {', '.join(differ)}; these change what the same weights "
                                  "compute: train with the model's settings (--residual / --option NAME=VALUE as its "
                                  "card has them)")
    if card.causal and not config.causal:
        warnings.warn(f"--init {config.init}: zero-delay weights (causal), and this run trains a whole-window model "
                      "(add --causal for zero delay)", UserWarning, stacklevel=3)


def _check_network(config: TrainConfig, meta: dict) -> None:
    """The network the settings describe, checked as its model card will be when the run's checkpoint is loaded
    (types, bounds, a buildable network under :data:`synsp.models.checkpoint.MAX_PARAMETERS`): a run that trains
    for hours must give a model that loads.  DeciWatch and HANet: their window is ``interval * q + 1``."""
    import json

    model_config = _model_config(config)
    config_class(config.architecture)(**model_config)  # its own rules first, in its own words
    card = make_card(config, model_config, data=meta.get("data"))
    if config.architecture in ("deciwatch", "hanet") and card.window != config.window:
        raise SynspInputError(f"--window {config.window}: a {config.architecture} window is interval * q + 1 "
                              f"({card.window} with these settings); set it with --option interval=... --option q=..."
                              f", or give --window {card.window}")
    try:
        ModelCard.from_dict(json.loads(card.to_json()), source="the network's settings (--option, --size)")
    except SynspInputError as exc:
        message = str(exc).replace("; the card is corrupt or not a synsp model", "; choose smaller --option values")
        raise SynspInputError(message) from None


#: the files of a training run in its folder: a new run (without resume) refuses to write over them
_RUN_FILES = ("best.safetensors", "best.json", "last.safetensors", "last.json", "last.pt", "log.csv")
#: settings a resumed run may change: the number of epochs (to extend a run) and where it runs
RESUME_MAY_CHANGE = ("epochs", "device", "workers")


def _check_device(device: Any) -> None:
    """``device`` names a device this torch can use, else one line naming it (before any folder is made)."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise SynspInputError(f"--device {device!r}: not a device; expected cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise SynspInputError(f"--device {device}: this torch sees no CUDA GPU (a CPU-only build or no driver); "
                                  "train with --device cpu or install a CUDA build of torch")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise SynspInputError(f"--device {device}: this machine has {torch.cuda.device_count()} CUDA GPU(s) "
                                  f"(cuda:0 to cuda:{torch.cuda.device_count() - 1})")
    elif dev.type != "cpu":
        try:
            torch.empty(0, device=dev)
        except (RuntimeError, AssertionError):
            raise SynspInputError(f"--device {device}: this torch cannot use it; expected cpu, cuda or cuda:N") \
                from None


def _plain(value: Any) -> Any:
    """A setting as ``last.pt`` stores it (loaded without running code): numbers, strings, lists and dicts."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return repr(value)


def _run_settings(config: TrainConfig) -> dict[str, Any]:
    """The settings of a resolved run that a resume must keep (:data:`RESUME_MAY_CHANGE` and the command left
    out; ``init`` too: the weights come from ``last.pt``), as stored in ``last.pt``."""
    settings = {k: _plain(v) for k, v in dataclasses.asdict(config).items()
                if k not in (*RESUME_MAY_CHANGE, "command", "init", "out")}
    if settings.get("corpus"):
        settings["corpus"] = str(Path(settings["corpus"]).resolve())
    if isinstance(settings.get("preset"), str):
        settings["preset"] = settings["preset"].split("+")
    return settings


def _check_resume(config: TrainConfig, out: Path) -> None:
    """A resume runs with the run's own settings: refuse one whose settings differ from those ``last.pt``
    stores (a run saved before they were stored: its card's recipe, noise preset and network), naming them."""
    state = _load_state(out / "last.pt", "cpu")
    stored = state.get("settings")
    now = _run_settings(config)
    if isinstance(stored, dict):
        changed = [k for k in now if k in stored and stored[k] != now[k]]
        was = stored
    else:  # an older last.pt: compare what its card records
        card_path = out / "last.json"
        if not card_path.is_file():
            return
        import json

        try:
            card = json.loads(card_path.read_text())
        except (OSError, ValueError):
            return
        recipe = card.get("recipe") or {}
        was = {k: _plain(v) for k, v in recipe.items() if k not in RESUME_MAY_CHANGE}
        was["preset"] = str(card.get("noise_preset", "")).split("+")
        was["architecture"] = card.get("architecture")
        changed = [k for k in was if k in now and was[k] != now[k]]
        if card.get("config") is not None and _plain(card["config"]) != _plain(_model_config(config)):
            changed.append("model")
    if changed:
        def show(v: Any) -> str:
            return "+".join(map(str, v)) if isinstance(v, list) and all(isinstance(x, str) for x in v) else repr(v)

        diffs = "; ".join(f"{k.replace('_', '-')} {show(now[k])} (the run: {show(was[k])})" if k in was and k != "model"
                          else f"{k.replace('_', '-')} differs" for k in changed)
        raise SynspInputError(
            f"--resume {out}: the run was trained with other settings ({diffs}); a resumed run keeps its own "
            f"(only the {', '.join(RESUME_MAY_CHANGE)} may change: --epochs, --device): leave the others out, or "
            "start a new run in another -o folder (--init its best checkpoint to start from its weights)")


def resume_settings(out: str | os.PathLike) -> dict[str, Any]:
    """The :class:`TrainConfig` settings that the run in ``out`` stored in its ``last.pt`` (the resolved ones: name,
    skeleton, corpus, preset, network, ...), for a resume that gives only what may change; ``{}`` when there is no
    such run or it predates stored settings.  Read without unpickling (:func:`_load_state`)."""
    path = Path(out) / "last.pt"
    if not path.is_file():
        return {}
    stored = _load_state(path, "cpu").get("settings")
    if not isinstance(stored, dict):
        return {}
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    settings = {k: v for k, v in stored.items() if k in fields}
    if isinstance(settings.get("preset"), list):
        settings["preset"] = "+".join(map(str, settings["preset"]))
    return settings


def _network_of(card: ModelCard, config: TrainConfig) -> str:
    """What to add when starting weights (``card``'s) do not fit the run's network: the options that build the
    card's network (``--architecture``, ``--window``, ``--option KEY=VALUE`` for each setting of the card's that
    this run sets otherwise), or fine-tuning it with all its settings (``--from``); "" when the run's network is the
    card's already (the weights themselves are at fault)."""
    args = [f"--architecture {card.architecture}"] if card.architecture != config.architecture else []
    if card.window != config.window and card.architecture not in ("deciwatch", "hanet"):  # theirs: interval * q + 1
        args.append(f"--window {card.window}")
    try:  # the settings of this run with the card's architecture and window (SynSP: its size and defaults)
        run = _model_config(dataclasses.replace(config, architecture=card.architecture, window=card.window))
    except (SynspInputError, KeyError, TypeError, ValueError):
        run = {}
    defaults = {f.name: f.default for f in dataclasses.fields(config_class(card.architecture))}
    for key, value in card.config.items():
        if key not in _DATA_FIXED and run.get(key, defaults.get(key)) != value:
            text = value if isinstance(value, str) else json.dumps(value)  # true / false, numbers, lists
            args.append(f"--option {key}={text}")
    if not args:
        return ""
    source = {str(stem): name for name, stem in shipped_models().items()}.get(str(config.init), config.init)
    return (f"; they are a {card.architecture} network, window {card.window}: train that network ({' '.join(args)}) "
            f"or fine-tune it with all its settings (--from {source} instead of --init)")


def _build(config: TrainConfig, procs: _Processes, meta: dict, resume: bool) -> _Run:
    """Step 2: the model and its card (weights from ``init`` if set), Adam (AMSGrad; SynSP's spectral gains
    at :data:`GAIN_LR_FACTOR` times the rate) with its exponential schedule, and with ``resume`` the state
    of ``<out>/last.pt``."""
    model_config = _model_config(config)
    card = make_card(config, model_config, data=meta.get("data"))
    model = build_model(card).to(config.device)
    if config.init:
        start, start_card = load_model(config.init)
        # a universal model switched on for rotations, the noise cue, the joints' structure or views, started from
        # one without that switch: its weights, widened (the new inputs at zero)
        widened = next((s for s in _WIDENING if isinstance(model, UniversalSynSP) and isinstance(start, UniversalSynSP)
                        and getattr(model.config, s) and not getattr(start.config, s)), None)
        if widened is not None:
            getattr(model, f"load_state_without_{widened}")(start.state_dict())
        else:
            # switches without weights (e.g. view_mean_skip) may differ; every weight must fit
            try:
                check_state_dict(start.state_dict(), model, f"the starting weights {config.init} (--from or --init)",
                                 what="its weights", against="this run's model")
            except SynspInputError as exc:
                raise SynspInputError(f"{exc}{_network_of(start_card, config)}") from None
            model.load_state_dict(start.state_dict(), strict=True)
    gains = [p for n, p in model.named_parameters() if n == "spectral_gain"]
    others = [p for n, p in model.named_parameters() if n != "spectral_gain"]
    groups = [{"params": others}] + ([{"params": gains, "lr": config.lr * GAIN_LR_FACTOR}] if gains else [])
    optimizer = torch.optim.Adam(groups, lr=config.lr, amsgrad=True)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=config.lr_decay)
    stepper = procs.wrap(model)
    use_amp = config.device.startswith("cuda")
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    run = _Run(Path(config.out), model, card, optimizer, scheduler, stepper, scaler, use_amp)
    if resume and run.last.is_file():
        _resume(run, config.device)
    return run


def _resume(run: _Run, device: str) -> None:
    """The model, optimiser, schedule, epoch and history of ``<out>/last.pt`` into ``run``."""
    last = run.last
    state = _load_state(last, device)
    check_state_dict(state["model"], run.model, f"--resume {last}", what="its model weights",
                     against="this run's model (another architecture or size?)")
    try:
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.scheduler.load_state_dict(state["scheduler"])
        run.start_epoch, run.history = int(state["epoch"]) + 1, list(state["history"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        first = _first_line(exc)
        raise SynspInputError(f"--resume {last}: its optimiser or schedule does not fit this run ({first}); "
                              "delete it or train without --resume") from None
    run.best = min(run.history, key=_rank) if run.history else None


def _window_dataset(config: TrainConfig, corpus: str, window: int, skeleton: str,
                    representation: str) -> WindowDataset:
    """The training windows of one joint set and representation (noise redrawn every epoch)."""
    return WindowDataset(load_corpus(corpus, skeleton=skeleton, split=config.train_split), window=window,
                         skeleton=skeleton, fps=30.0, preset=config.preset, mode=config.mode,
                         views=config.views, representation=representation, seed=config.seed,
                         augment=Augmentation(fast=config.fast_motion, low_rate=config.low_rate),
                         floors=config.architecture == "universal" and bool(config.model.get("noise_cue")))


def _rotation_dataset(config: TrainConfig, corpus: str, window: int) -> RotationWindowDataset:
    """The training windows of the corpus's smpl24 rotations (noise redrawn every epoch)."""
    train_clips = load_corpus(corpus, skeleton="h36m17", split=config.train_split, rotations=True)
    return RotationWindowDataset(train_clips, window=window, skeleton="smpl24", fps=30.0, preset=config.preset,
                                 mode=config.mode, seed=config.seed, augment=Augmentation(fast=config.fast_motion))


def _data(config: TrainConfig, corpus: str, card: ModelCard) -> _Data:
    """Step 3: the training sources (one dataset; the universal model: :func:`_universal_sources`), the
    validation set and the input's metrics on it, and for a family-trained model the selection sets
    (:func:`selection_sets`) with their input metrics and the clean goal."""
    rotations = config.representation == ROTATIONS
    # sources: (dataset, skeleton, representation, share of the batches)
    if rotations:
        sources = [(_rotation_dataset(config, corpus, card.window), config.skeleton, config.representation, 1.0)]
    elif config.architecture == "universal":
        sources = _universal_sources(config, corpus, card.window)
    else:
        dataset = _window_dataset(config, corpus, card.window, config.skeleton, config.representation)
        sources = [(dataset, config.skeleton, config.representation, 1.0)]
    presets = [config.preset] if isinstance(config.preset, str) else list(config.preset)
    val = validation_split(config.skeleton, "mixed" if is_family(presets[0]) else presets[0],  # one for families
                           config.val_frames, corpus, split=config.val_split,
                           representation=config.representation, views=config.views)
    root_joints = tuple(get_skeleton(config.skeleton).root_joints)
    baseline = evaluate_refiner(input_as_rotations if rotations else input_as_refiner, val, config.skeleton,
                                representation=config.representation)
    extra = selection_sets(config, corpus) if any(is_family(p) for p in presets) else {}
    extra_input = {k: evaluate_refiner(input_as_rotations if rotations else input_as_refiner, v, config.skeleton,
                                       representation=config.representation) for k, v in extra.items()}
    key = "angle" if rotations else "mpjpe"
    clean_goal = None
    if extra:  # the clean goal in the units of the metrics: mm in 3D, a share of the person's size in 2D, degrees
        clean_goal = CLEAN_GOAL_MM if config.representation != "2d" else CLEAN_GOAL_FRACTION * float(np.mean(
            [person_size(g[:, None])[0] for g, _, _ in extra["clean"]]))
        if rotations:
            clean_goal = CLEAN_GOAL_DEGREES
    return _Data(sources, root_joints, val, baseline, extra, extra_input, key, clean_goal)


def _check_windows(config: TrainConfig, data: _Data, window: int, world: int) -> None:
    """Refuse a run whose training split gives no full batch (every epoch would take no step, and untrained weights
    would be saved as its best), naming how many windows there are."""
    per_process = config.batch_size // world
    for ds, skeleton, representation, share in data.sources:
        n = len(ds) if config.windows_per_epoch is None else min(config.windows_per_epoch, len(ds))
        if len(ds) == 0 or (len(data.sources) == 1 and n // world < per_process):
            raise SynspInputError(
                f"the training split ({config.train_split}) gives {len(ds)} windows of {window} frames"
                f"{f' of {skeleton} {representation}' if len(data.sources) > 1 else ''}, fewer than one batch "
                f"({config.batch_size}): no training step would run. Give more or longer clips, or a smaller "
                f"--batch-size (at most {max(1, len(ds) // 2)} gives two steps an epoch)")
        if config.windows_per_epoch is not None and config.windows_per_epoch > len(ds) and len(data.sources) == 1:
            warnings.warn(f"--windows-per-epoch {config.windows_per_epoch}: the training split ({config.train_split}) "
                          f"gives {len(ds)} windows of {window} frames, so an epoch takes those "
                          f"({len(ds) // config.batch_size} steps); more epochs train longer", UserWarning,
                          stacklevel=2)


def _train_epoch(config: TrainConfig, procs: _Processes, run: _Run, data: _Data, epoch: int,
                 progress: bool) -> tuple[list[float], float]:
    """Step 4: one epoch of training steps (seeded by the epoch, so resume is exact): every source's share
    of the windows in a seeded order, this process's part of them, the sources' batches interleaved in a
    seeded order; then the schedule's step.  Returns the steps' losses and the epoch's start time."""
    from tqdm.auto import tqdm

    sources = data.sources
    torch.manual_seed(config.seed + epoch)  # dropout masks depend on the epoch only: resume is exact
    generator = torch.Generator().manual_seed(config.seed + epoch)
    loaders = []
    for i, (ds, *_, share) in enumerate(sources):
        ds.set_epoch(epoch)
        gen = generator if i == 0 else torch.Generator().manual_seed(config.seed + epoch + 7919 * i)
        n = len(ds) if config.windows_per_epoch is None else min(config.windows_per_epoch, len(ds))
        n = max(config.batch_size, int(n * share)) if len(sources) > 1 else n
        order = list(torch.utils.data.RandomSampler(ds, num_samples=n, generator=gen))
        loaders.append(torch.utils.data.DataLoader(ds, batch_size=config.batch_size // procs.world,
                                                   sampler=order[procs.rank::procs.world],
                                                   num_workers=config.workers, drop_last=True))
    plan = np.concatenate([np.full(len(loader), i) for i, loader in enumerate(loaders)])
    if len(sources) > 1:  # the sources' batches interleaved in a seeded order
        plan = np.random.default_rng([config.seed, epoch, 13]).permutation(plan)
    batches = [iter(loader) for loader in loaders]
    run.model.train()
    t0, losses = time.time(), []
    rates = [g["lr"] for g in run.optimizer.param_groups]
    warm = config.init is not None and epoch == 0  # a fine-tune's first steps: the rate rises linearly
    for step, k in enumerate(tqdm(plan, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch",
                                  disable=not progress, leave=False)):
        if warm:
            for g, rate in zip(run.optimizer.param_groups, rates):
                g["lr"] = rate * min(1.0, (step + 1) / FINE_TUNE_WARMUP_STEPS)
        batch = _keep_views(next(batches[k]), config, epoch, step)
        _, skeleton, representation, _ = sources[k]
        subset = _joint_subset(config, skeleton, epoch, step) if representation != ROTATIONS else None
        extra = _virtual_joints(config, skeleton, epoch, step) if representation != ROTATIONS else None
        shared = _shared_view_errors(config, batch["input"].shape, epoch, step)
        x, y, mask, inputs = _batch_to_tensors(batch, config, data.root_joints, skeleton, representation, subset,
                                               extra, shared)
        structure = _told_structure(config, run.model, skeleton, subset, extra, epoch, step)
        if structure is not None:
            inputs["structure"] = structure
        with torch.autocast("cuda", enabled=run.use_amp):
            loss, _ = _loss(config.architecture, run.stepper, x, y, mask, config, dims=_dims(representation),
                            **inputs)
        if not math.isfinite(loss.item()):
            raise SynspInputError(f"the training loss became {loss.item()} at epoch {epoch + 1}, step {step + 1} (the "
                                  f"learning rate {config.lr:g} is too high for this run?); lower --lr")
        run.optimizer.zero_grad(set_to_none=True)
        run.scaler.scale(loss).backward()
        run.scaler.step(run.optimizer)
        run.scaler.update()
        losses.append(loss.item())
    for g, rate in zip(run.optimizer.param_groups, rates):
        g["lr"] = rate  # the schedule continues from the epoch's rate, warm-up or not
    run.scheduler.step()
    run.model.eval()
    return losses, t0


def _validate_and_save(config: TrainConfig, run: _Run, data: _Data, epoch: int, losses: list[float], t0: float,
                       progress: bool) -> None:
    """Step 5 (process 0): the epoch's metrics row (validation, and the selection sets' scores), the best
    checkpoint if this epoch ranks first (:func:`_rank`), ``log.csv``, ``last.pt`` and the progress line."""
    rotations = config.representation == ROTATIONS
    baseline, extra = data.baseline, data.extra
    refiner = network_refiner(NetworkRefiner(run.model, run.card, device=config.device, joint_set=config.skeleton))
    metrics = evaluate_refiner(refiner, data.val, config.skeleton, representation=config.representation)
    row = {"epoch": epoch, "train_loss": float(np.mean(losses)) if losses else math.nan,
           "lr": run.optimizer.param_groups[0]["lr"],
           "seconds": round(time.time() - t0, 1), **{f"val_{k}": v for k, v in metrics.items()},
           "input_mpjpe": baseline["mpjpe"], "input_accel": baseline["accel"],
           **({"input_angle": baseline["angle"]} if rotations else {})}
    if extra:
        scores = {k: evaluate_refiner(refiner, v, config.skeleton, representation=config.representation)
                  for k, v in extra.items()}
        row.update({"val_clean_added": scores["clean"]["mpjpe"],
                    "val_heldout_mpjpe": scores["held-out"]["mpjpe"],
                    "val_heldout_accel": scores["held-out"]["accel"],
                    "input_heldout_mpjpe": data.extra_input["held-out"]["mpjpe"]})
        if rotations:  # degrees: what the selection score is on
            row.update({"val_clean_angle": scores["clean"]["angle"],
                        "val_heldout_angle": scores["held-out"]["angle"],
                        "input_heldout_angle": data.extra_input["held-out"]["angle"]})
        row["val_score"] = selection_score(metrics, baseline, scores, data.extra_input, data.clean_goal, data.key)
    run.history.append(row)
    if run.best is None or _rank(row) < _rank(run.best):
        run.best = row
        run.card.validation = {k: v for k, v in row.items()}
        save_model(run.out / "best", run.model, run.card)
    # the final epoch as a checkpoint too: a fine-tune chosen on rows the training score does not hold
    # (another held-out family, the validation script's table) is exported from it, `synsp export <out>/last`
    save_model(run.out / "last", run.model, dataclasses.replace(run.card, validation=dict(row)))
    _write_log(run.out / "log.csv", run.history)
    tmp = run.last.with_suffix(".partial")
    torch.save({"model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
                "scheduler": run.scheduler.state_dict(), "epoch": epoch, "history": run.history,
                "settings": _run_settings(config)}, tmp)
    os.replace(tmp, run.last)
    if progress:
        angle = f"  angle {metrics['angle']:.2f} deg" if rotations else ""
        more = (f"  clean +{row['val_clean_added']:.2f}  held-out {row['val_heldout_mpjpe']:.1f} (input "
                f"{row['input_heldout_mpjpe']:.1f})  score {row['val_score']:.4f}") if extra else ""
        if extra and rotations:
            more += (f"  clean +{row['val_clean_angle']:.2f} deg  held-out {row['val_heldout_angle']:.2f} deg "
                     f"(input {row['input_heldout_angle']:.2f})")
        label = "start (--init weights):" if epoch < 0 else f"epoch {epoch + 1}: loss {row['train_loss']:.4f}"
        unit = "px" if config.representation == "2d" else "mm"  # 2D metrics are in pixels
        print(f"{label}{angle}  val MPJPE {metrics['mpjpe']:.1f} {unit}  "
              f"Accel {metrics['accel']:.2f} {unit}/f^2 (input {baseline['mpjpe']:.1f} / "
              f"{baseline['accel']:.2f}){more}  ({row['seconds']} s)", flush=True)


def _universal_sources(config: TrainConfig, corpus: str, window: int) -> list[tuple[Any, str, str, float]]:
    """The universal model's training sources: every joint set of ``skeleton`` + ``skeletons`` in 3D, and
    with ``mix_2d`` in 2D too; the 2D ones share ``mix_2d`` of the batches, the 3D ones the rest but
    ``mix_rotations``, which go to the corpus's smpl24 rotations (6D, the rotation error families)."""
    names = list(dict.fromkeys([config.skeleton, *config.skeletons]))
    kinds = [("3d", 1.0 - config.mix_2d - config.mix_rotations)] + (
        [("2d", config.mix_2d)] if config.mix_2d > 0 else [])
    sources = [(_window_dataset(config, corpus, window, name, rep), name, rep, share / len(names))
               for rep, share in kinds if share > 0 for name in names]
    if config.mix_rotations > 0:
        sources.append((_rotation_dataset(config, corpus, window), "smpl24", ROTATIONS, config.mix_rotations))
    return sources


def _joint_subset(config: TrainConfig, skeleton: str, epoch: int, step: int) -> np.ndarray | None:
    """With ``joint_subsets``: for that share of the steps, a random subset of at least 5 of the skeleton's
    joints (seeded by epoch and step), so the universal model meets joint sets it has no name for."""
    if config.joint_subsets <= 0:
        return None
    rng = np.random.default_rng([config.seed, epoch, step, 11])
    if rng.random() >= config.joint_subsets:
        return None
    J = get_skeleton(skeleton).num_joints
    return np.sort(rng.choice(J, size=int(rng.integers(min(5, J), J + 1)), replace=False))


def _told_structure(config: TrainConfig, model: torch.nn.Module, skeleton: str, subset: np.ndarray | None,
                    extra: Any, epoch: int, step: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """For a universal model built with ``joint_structure``: the structure of the batch's joints
    (:func:`synsp.skeletons.joint_structure` of ``skeleton``, the kept ``subset``), or ``None`` (as for a joint
    set of unknown structure) for :data:`STRUCTURE_UNTOLD` of the steps (seeded by epoch and step) and for
    batches with points along bones, which have no place in the skeleton."""
    if not getattr(getattr(model, "config", None), "joint_structure", False) or extra is not None:
        return None
    if np.random.default_rng([config.seed, epoch, step, 23]).random() < STRUCTURE_UNTOLD:
        return None
    parents, info = joint_structure(skeleton, subset)
    return (torch.as_tensor(parents, device=config.device),
            torch.as_tensor(info, dtype=torch.float32, device=config.device))


def _shared_view_errors(config: TrainConfig, shape: tuple[int, ...], epoch: int, step: int) -> np.ndarray | None:
    """With ``shared_view_errors``, for a batch of views ``shape`` ``(B, P, W, C)``: per window, the share of view
    0's error that every view takes on, uniform in [0, 1] for that share of the windows and 0 for the others
    (seeded by epoch and step): views of one estimator share some of their mistakes, so the other views'
    consensus is not always right where this view is wrong.  ``None`` without it or without views."""
    if config.shared_view_errors <= 0 or len(shape) != 4:
        return None
    rng = np.random.default_rng([config.seed, epoch, step, 19])
    return np.where(rng.random(shape[0]) < config.shared_view_errors, rng.random(shape[0]), 0.0)


def _virtual_joints(config: TrainConfig, skeleton: str, epoch: int, step: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """With ``virtual_joints``: for that share of the steps, 1 to ``J`` extra points on random bones of the
    skeleton (seeded by epoch and step): bone ``(a, b)`` (parent, child) and ``t`` in ``[-0.2, 1.5]``, the point
    ``(1 - t) a + t b`` (beyond the child: hands, feet, fingers; between: spine chains, markers on limbs), so
    the universal model meets rigs denser than its corpus joint sets.  ``None`` for the other steps."""
    if config.virtual_joints <= 0:
        return None
    rng = np.random.default_rng([config.seed, epoch, step, 17])
    if rng.random() >= config.virtual_joints:
        return None
    sk = get_skeleton(skeleton)
    bones = np.array([(p, j) for j, p in enumerate(sk.parents) if p >= 0])
    if not len(bones):
        return None
    k = int(rng.integers(1, sk.num_joints + 1))
    pick = bones[rng.integers(0, len(bones), size=k)]
    return pick[:, 0], pick[:, 1], rng.uniform(-0.2, 1.5, size=k)


def input_as_refiner(x: np.ndarray, fps: float | None = None, confidence=None) -> np.ndarray:
    """The estimator output itself as a 'refiner', NaN joints linearly interpolated (metrics need
    finite values): the input row of every table."""
    filled, _ = interpolate_missing(x)
    return filled


def input_as_rotations(x: np.ndarray, fps: float | None = None, confidence=None) -> np.ndarray:
    """:func:`input_as_refiner` for axis-angle rotations (lost ones filled along time on quaternions,
    :func:`synsp.data.rotation_windows.fill_rotations`)."""
    return fill_rotations(x)


def _rank(row: dict) -> tuple[float, float]:
    """Validation MPJPE (or, for a family-trained model, :func:`selection_score` as a ratio), rounded to
    0.5 % so that Accel breaks near-ties."""
    m = row.get("val_score", row["val_mpjpe"])
    return (round(math.log(m) / math.log(1.005)), row["val_accel"])


def _write_log(path: Path, history: list[dict]) -> None:
    tmp = path.with_suffix(".partial")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)
    os.replace(tmp, path)
