"""Model cards and checkpoints: safetensors weights + a JSON card, loaded without pickle.

A checkpoint is two files with one stem: ``<stem>.safetensors`` (tensors only,
so loading executes no code) and ``<stem>.json``, the :class:`ModelCard`:
architecture and its config, skeleton, representation, window, views, frame
rate, normalisation, training data, noise preset, recipe, validation metrics
and the command that produced it.

A model trained on a custom skeleton (``synsp data import``) carries its
definition in ``skeleton_definition`` (joint names, parents, left/right
pairs, root joints); building the card registers it
(:func:`synsp.skeletons.register_skeleton`), so the checkpoint works without
the corpus it was trained on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from torch import nn

from .. import __version__
from ..normalization import CENTROID, PER_VIEW, ROTATIONS_6D, SHARED_VIEWS
from ..skeletons import SKELETONS, Skeleton, register_skeleton
from ..validation import SynspInputError, check_fps
from .deciwatch import DeciWatch, DeciWatchConfig
from .hanet import HANet, HANetConfig
from .smoothnet import SmoothNet, SmoothNetConfig
from .synsp import SynSPConfig, build_network
from .universal import UniversalConfig, UniversalSynSP

__all__ = ["ModelCard", "build_model", "save_model", "load_model", "config_class", "ARCHITECTURES",
           "check_state_dict", "current_names", "weights_digest", "MAX_PARAMETERS", "MAX_WINDOW", "MAX_VIEWS",
           "MAX_CONFIG_INT", "MAX_DEPTH", "MAX_POSITIONS", "MAX_TABLE", "MAX_JOINTS", "MAX_WEIGHT"]

#: sane bounds of a model card, checked before anything is built: the shipped models have under 1 M
#: parameters and the official SynSP 3.1 M; 50 M float32 parameters are 200 MB.  A tampered card
#: (d_model 60000) once allocated 14 GB before failing.
MAX_PARAMETERS = 50_000_000
MAX_WINDOW, MAX_VIEWS, MAX_CONFIG_INT, MAX_DEPTH = 1024, 64, 100_000, 100
#: SynSP's ``max_positions`` (its positional table's rows; only the window's first rows are used, and the window must
#: fit in it): the shipped cards use the default 100, the longest card window is MAX_WINDOW
MAX_POSITIONS = 4 * MAX_WINDOW
#: values of a positional table (SynSP ``max_positions * d_model``, DeciWatch and HANet ``window * embed_dim``): 2**24
#: float32 values are 64 MB (the shipped cards' largest, 101 x 128, is 13 K).  A card of max_positions 50000 and
#: d_model 2000 once computed a 3.8 GB table while it was only being checked.
MAX_TABLE = 2**24
#: joints of a card's custom skeleton (``skeleton_definition``): the largest rigs (hands, face and body markers) have
#: a few hundred
MAX_JOINTS = 10_000
#: the largest magnitude of a weight a checkpoint may hold: the networks see normalised windows, and the shipped
#: weights stay under 3 (a weight of 3e38 gave infinite outputs that were blamed on the input)
MAX_WEIGHT = 1e6
#: integer config fields for which 0 means something (no mask channels, no residual blocks); every other integer
#: setting (a width, a count of heads, layers, positions, channels) must be at least 1
_MAY_BE_ZERO = ("mask_channels", "num_blocks")
#: config fields that set a number of stacked layers or blocks (bounded by MAX_DEPTH: building 1e6 layers
#: would take minutes before the parameter count could be checked)
_DEPTH_FIELDS = ("n_layers", "num_blocks", "enc_layers", "dec_layers", "n_refine_layers")
#: the model card's fields and their JSON types (bool is not an int here)
_CARD_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "architecture": (str,), "config": (dict,), "skeleton": (str,), "dims": (int,),
    "window": (int,), "views": (int,), "fps": (int, float), "root_joints": (list, tuple),
    "skeleton_definition": (dict, type(None)), "normalization": (str,), "mask": (bool,), "causal": (bool,),
    "stride": (int,), "output": (str,), "data": (str,), "noise_preset": (str,), "recipe": (dict,), "validation": (dict,),
    "command": (str,), "synsp_version": (str,), "limitations": (str,), "weights_sha256": (str,),
}
_OUTPUTS = ("position", "acceleration", "final")


def _architectures() -> dict[str, tuple[type, Callable[[Any], nn.Module]]]:
    """Each architecture's config class and what builds its network from a config (a class, or for SynSP
    :func:`synsp.models.synsp.build_network`, which builds the plain-transformer ablation for ``plain``)."""
    return {"synsp": (SynSPConfig, build_network), "smoothnet": (SmoothNetConfig, SmoothNet),
            "deciwatch": (DeciWatchConfig, DeciWatch), "hanet": (HANetConfig, HANet),
            "universal": (UniversalConfig, UniversalSynSP)}


ARCHITECTURES = ("synsp", "smoothnet", "deciwatch", "hanet", "universal")


def config_class(architecture: str) -> type:
    """The hyperparameter dataclass of ``architecture`` (``SynSPConfig``, ...)."""
    return _architectures()[architecture][0]


@dataclass
class ModelCard:
    """Everything needed to use a model correctly, saved beside its weights."""

    name: str
    architecture: str  # one of ARCHITECTURES
    config: dict[str, Any]
    skeleton: str  # joint set the model was trained on ("h36m17", "coco17", ...)
    dims: int  # 2 or 3
    window: int
    views: int = 1  # P views refined jointly (1: single view)
    fps: float = 30.0  # training frame rate; inputs at other rates are resampled
    root_joints: tuple[int, ...] = (0,)
    # a custom skeleton's definition (synsp.skeletons.Skeleton.to_dict), None for built-in skeletons
    skeleton_definition: dict[str, Any] | None = None
    normalization: str = "window-root-rms"  # see synsp.normalization
    mask: bool = False  # takes missing-joint flags as input channels
    causal: bool = False  # uses the window's last frame only (zero delay)
    stride: int = 1  # offline, a window starts every `stride` frames (1: every frame; the refiner's default)
    output: str = "final"  # SynSP output used for refinement
    data: str = ""
    noise_preset: str = ""
    recipe: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    synsp_version: str = __version__
    limitations: str = ""  # what the model was not trained or checked for (e.g. clean input), said to users
    # the SHA-256 (hex) of the .safetensors file saved with this card (save_model writes it, load_model checks it):
    # a pair left mismatched by an interrupted save is refused.  "": not recorded (the shipped and older cards).
    # Not part of a card's equality: it describes the file saved with the card, not the model
    weights_sha256: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.skeleton_definition is not None:  # make the custom skeleton's name resolve everywhere
            sk = Skeleton.from_dict(self.skeleton_definition)
            if sk.name != self.skeleton and self.skeleton != "any":  # "any": the joints a universal one was tuned on
                raise SynspInputError(f"skeleton_definition is for {sk.name!r} but the card's skeleton is "
                                      f"{self.skeleton!r}")
            register_skeleton(sk)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "model card") -> "ModelCard":
        """A card read from JSON, validated against the schema (:func:`_check_card`): field types, ranges,
        known architectures, normalisations and outputs, joints of the skeleton, consistency with the
        config, and a parameter count under :data:`MAX_PARAMETERS` computed without allocating."""
        if not isinstance(d, dict):
            raise SynspInputError(f"{source}: a model card is a JSON object; found {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        missing = {f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING} - set(d)
        if unknown or missing:
            raise SynspInputError(f"{source}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
        _check_fields(d, source)
        d = dict(d)
        d["root_joints"] = tuple(d.get("root_joints", (0,)))
        d["fps"] = float(d.get("fps", 30.0))
        known = set(SKELETONS)
        try:
            card = cls(**d)
        except SynspInputError as exc:  # a skeleton_definition refused by the skeleton's own checks
            raise SynspInputError(f"{source}: field 'skeleton_definition': {exc}") from None
        except (TypeError, KeyError, IndexError) as exc:  # a malformed skeleton_definition
            raise SynspInputError(f"{source}: field 'skeleton_definition' is not a valid skeleton ({exc})") from None
        try:
            _check_card(card, source)
        except SynspInputError:  # a refused card leaves no skeleton of its own registered in the process
            for name in set(SKELETONS) - known:
                del SKELETONS[name]
            raise
        return card


def _bad(source: str, field_name: str, value: Any, expected: str) -> SynspInputError:
    shown = repr(value)
    return SynspInputError(f"{source}: field {field_name!r} is {shown[:60] + '...' if len(shown) > 60 else shown}; "
                           f"expected {expected}")


def _check_fields(d: dict[str, Any], source: str) -> None:
    """JSON types of a card's fields (before the dataclass or a skeleton is built)."""
    for key, types in _CARD_TYPES.items():
        if key not in d:
            continue
        v = d[key]
        if isinstance(v, bool) and bool not in types or not isinstance(v, types):
            names = " or ".join({"NoneType": "null", "str": "a string", "dict": "an object", "list": "a list",
                                 "tuple": "a list", "int": "an integer", "float": "a number",
                                 "bool": "true or false"}[t.__name__] for t in types)
            raise _bad(source, key, v, names)
    if "root_joints" in d:
        r = d["root_joints"]
        if not r or not all(isinstance(j, int) and not isinstance(j, bool) for j in r):
            raise _bad(source, "root_joints", r, "a non-empty list of joint indices")
    config = d.get("config", {})
    if any(not isinstance(k, str) for k in config):
        raise _bad(source, "config", config, "an object of the architecture's settings")
    digest = d.get("weights_sha256", "")
    if digest and (len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest)):
        raise _bad(source, "weights_sha256", digest, "the 64 lowercase hex digits of a SHA-256, or \"\"")
    definition = d.get("skeleton_definition")
    if isinstance(definition, dict):  # bounded before the skeleton is built (its checks take time per joint)
        for key in ("joints", "parents", "left_right", "root_joints"):
            value = definition.get(key)
            if isinstance(value, (list, tuple, str, dict)) and len(value) > MAX_JOINTS:
                raise SynspInputError(f"{source}: field 'skeleton_definition': {len(value):,} {key.replace('_', ' ')}; "
                                      f"a card's skeleton has at most {MAX_JOINTS:,} joints")


def _check_card(card: ModelCard, source: str) -> None:
    """Ranges, enumerations and consistency of a card whose field types are right."""
    if card.architecture not in ARCHITECTURES:
        raise _bad(source, "architecture", card.architecture, f"one of {', '.join(ARCHITECTURES)}")
    normalizations = (PER_VIEW, SHARED_VIEWS, ROTATIONS_6D, CENTROID)
    if card.normalization not in normalizations:
        raise _bad(source, "normalization", card.normalization, f"one of {', '.join(normalizations)}")
    if card.dims not in (2, 3, 6) or (card.dims == 6) != (card.normalization == ROTATIONS_6D):
        raise _bad(source, "dims", card.dims, "2 or 3 (positions), or 6 with normalization "
                   f"{ROTATIONS_6D!r} (rotations)")
    if not 1 <= card.window <= MAX_WINDOW:
        raise _bad(source, "window", card.window, f"an integer from 1 to {MAX_WINDOW}")
    if not 1 <= card.views <= MAX_VIEWS:
        raise _bad(source, "views", card.views, f"an integer from 1 to {MAX_VIEWS}")
    if not 1 <= card.stride <= card.window:
        raise _bad(source, "stride", card.stride, f"an integer from 1 to the window ({card.window})")
    if (card.architecture == "universal") != (card.normalization == CENTROID):
        raise _bad(source, "normalization", card.normalization, f"{CENTROID!r} exactly for the universal "
                   "architecture, and only for it")
    if card.architecture == "universal" and card.skeleton != "any":
        raise _bad(source, "skeleton", card.skeleton, "'any': the universal architecture has no joint set")
    if card.architecture != "universal" and card.skeleton == "any":
        raise _bad(source, "skeleton", card.skeleton, f"the joint set a {card.architecture} model was trained on "
                   "(only the universal architecture takes any skeleton)")
    mode = card.recipe.get("mode")
    if card.architecture == "universal" and card.views != 1 and (
            card.config.get("view_consensus") is not True or card.dims != 3 or mode != "multiview"):
        raise _bad(source, "views", card.views, "1: the universal architecture refines several views together "
                   "only when built with view_consensus and trained on 3D views (recipe mode 'multiview')")
    if card.views > 1 and (card.architecture not in ("synsp", "universal") or mode == "single"):
        raise _bad(source, "views", card.views, "1: " + ("the model was trained on one view (recipe mode "
                   "'single')" if mode == "single" else f"{card.architecture} refines one view at a time"))
    if card.normalization == SHARED_VIEWS and (card.views < 2 or not card.config.get("view_mean_skip", False)):
        raise _bad(source, "normalization", card.normalization,
                   f"{PER_VIEW!r}: shared-view normalisation belongs to multi-view models with view_mean_skip")
    try:
        check_fps(card.fps, name=f"{source}: field 'fps'", allow_none=False)
    except SynspInputError as exc:
        raise SynspInputError(str(exc)) from None
    if card.output not in _OUTPUTS:
        raise _bad(source, "output", card.output, f"one of {', '.join(_OUTPUTS)}")
    if card.skeleton != "any":
        if card.skeleton not in SKELETONS:
            raise _bad(source, "skeleton", card.skeleton, "a known skeleton (or a skeleton_definition)")
        J = SKELETONS[card.skeleton].num_joints
        bad_roots = [j for j in card.root_joints if not 0 <= j < J]
        if bad_roots:
            raise _bad(source, "root_joints", list(card.root_joints), f"joint indices from 0 to {J - 1} of "
                       f"{card.skeleton!r}")
    _check_config(card, source)


def _check_config(card: ModelCard, source: str) -> None:
    """The architecture's settings: known names, types, bounds, sizes and their products (positional tables) and
    agreement with the card, all before anything is built; then the size of the network it builds (counted on the
    meta device: nothing is allocated)."""
    fields = {f.name: f for f in dataclasses.fields(config_class(card.architecture))}
    for key, value in card.config.items():
        where = f"config.{key}"
        if key not in fields:
            raise SynspInputError(f"{source}: field {where!r}: no such {card.architecture} setting (known: "
                                  f"{', '.join(fields)})")
        kind = str(fields[key].type)
        if value is None and "None" in kind:
            continue
        if kind.startswith("bool"):
            if not isinstance(value, bool):
                raise _bad(source, where, value, "true or false")
        elif kind.startswith("int"):
            low = 0 if key in _MAY_BE_ZERO else 1
            high = MAX_DEPTH if key in _DEPTH_FIELDS else MAX_POSITIONS if key == "max_positions" else MAX_CONFIG_INT
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise _bad(source, where, value, f"an integer from {low} to {high}")
        elif kind.startswith("float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0 <= value <= 1:
                raise _bad(source, where, value, "a number from 0 to 1")
    window = card.config.get("window")
    if card.architecture in ("synsp", "smoothnet", "universal") and window is not None and window != card.window:
        raise _bad(source, "window", card.window, f"the config's window ({window})")
    settings = {name: f.default for name, f in fields.items() if f.default is not dataclasses.MISSING}
    settings.update(card.config)  # every setting the network is built with (a missing required one: refused below)
    _check_sizes(card, settings, source)
    _check_layout(card, settings, source)
    try:
        with _parameters_on_meta():
            meta = build_model(card)
    except SynspInputError as exc:
        raise SynspInputError(f"{source}: field 'config': {exc}") from None
    except (TypeError, ValueError, RuntimeError, ZeroDivisionError, AssertionError) as exc:
        raise SynspInputError(f"{source}: field 'config' does not describe a buildable {card.architecture} "
                              f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    count = sum(p.numel() for p in meta.parameters())
    if count > MAX_PARAMETERS:
        raise SynspInputError(f"{source}: field 'config' describes a network of {count:,} parameters, over the "
                              f"limit of {MAX_PARAMETERS:,}; the card is corrupt or not a synsp model")


def _check_sizes(card: ModelCard, settings: dict[str, Any], source: str) -> None:
    """What the network's tables would hold, from the settings alone: SynSP's positions (``max_positions *
    d_model``), DeciWatch's and HANet's window (``interval * q + 1``, the card's window) and positions (``window *
    embed_dim``), each under :data:`MAX_TABLE`."""
    if card.architecture == "synsp":
        rows, width = settings["max_positions"], settings["d_model"]
        if rows * width > MAX_TABLE:
            raise SynspInputError(f"{source}: field 'config': max_positions * d_model = {rows:,} * {width:,} = "
                                  f"{rows * width:,} positional values, over the limit of {MAX_TABLE:,}; the card is "
                                  "corrupt or not a synsp model")
    elif card.architecture in ("deciwatch", "hanet"):
        interval, q = settings["interval"], settings["q"]
        if interval * q + 1 != card.window:
            raise _bad(source, "window", card.window, f"the config's interval * q + 1 ({interval} * {q} + 1 = "
                       f"{interval * q + 1})")
        if settings.get("window") is not None and settings["window"] != card.window:
            raise _bad(source, "config.window", settings["window"], f"the card's window ({card.window})")
        width = settings["embed_dim"]
        if card.window * width > MAX_TABLE:
            raise SynspInputError(f"{source}: field 'config': window * embed_dim = {card.window:,} * {width:,} = "
                                  f"{card.window * width:,} positional values, over the limit of {MAX_TABLE:,}; the "
                                  "card is corrupt or not a synsp model")


def _check_layout(card: ModelCard, settings: dict[str, Any], source: str) -> None:
    """The config agrees with the card: the channels are the skeleton's joints (and the trajectory token) times the
    card's dims, the missing-joint flags are there exactly when the card says ``mask``, and a universal model's
    dims are the card's."""
    arch = card.architecture
    if arch == "universal":
        for key, value in (("mask", card.mask), ("dims", card.dims)):
            if settings[key] != value:
                raise _bad(source, key, value, f"the config's {key} ({settings[key]!r})")
        return
    if arch == "synsp":
        if card.mask != (settings["mask_channels"] > 0):
            raise _bad(source, "mask", card.mask, f"{'true' if settings['mask_channels'] else 'false'}: the config "
                       f"has {settings['mask_channels']} mask_channels")
    elif card.mask:
        raise _bad(source, "mask", card.mask, f"false: {arch} takes no missing-joint flags")
    J = SKELETONS[card.skeleton].num_joints
    tokens = J if card.dims == 6 else J + 1  # rotations: one per joint; positions: the joints and the trajectory
    channels, expected = settings.get("channels"), tokens * card.dims
    what = (f"{J} joints of {card.skeleton!r} x 6" if card.dims == 6 else
            f"({J} joints of {card.skeleton!r} + the trajectory) x {card.dims}")
    if channels is not None and channels != expected:
        raise _bad(source, "config.channels", channels, f"{expected}: {what} (the card's skeleton and dims)")
    if arch == "synsp" and card.mask and settings["mask_channels"] != tokens:
        raise _bad(source, "config.mask_channels", settings["mask_channels"], f"{tokens}: one flag per "
                   f"{'joint' if card.dims == 6 else 'joint and the trajectory'} of {card.skeleton!r}")


def _parameters_on_meta():
    """A torch function mode that creates the tensors of ``torch.empty/zeros/ones/rand/randn/full`` (what
    layers make their parameters with) on the meta device: a network is built and its parameters counted
    without allocating them.  (``with torch.device("meta")`` would do it too, but moves every computation
    there, and the first ``arange`` on meta imports torch's reference ops: seconds per process.)"""
    import torch
    from torch.overrides import TorchFunctionMode

    factories = {torch.empty, torch.zeros, torch.ones, torch.rand, torch.randn, torch.full}

    class Mode(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = dict(kwargs or {})
            if func in factories:
                kwargs["device"] = "meta"
            return func(*args, **kwargs)

    return Mode()



def _summary(names: list[str], count: int = 3) -> str:
    shown = ", ".join(names[:count])
    return shown + (f", ... ({len(names)} in all)" if len(names) > count else "")


def check_state_dict(state: dict[str, Any], model: nn.Module, source: str, what: str = "weights",
                     against: str = "the card's model") -> None:
    """Raise :class:`SynspInputError` unless ``state`` fits ``model.state_dict()`` exactly: the same
    names, the same shapes, floating-point tensors where the model has them, and only finite values.
    The message names the first few mismatches and their count (never one line per tensor).

    ``state`` values may be tensors or ``(shape, dtype)`` pairs (read from a safetensors header before
    loading): then the finiteness is left to a second call with the tensors."""
    import torch

    expected = model.state_dict()
    if not isinstance(state, dict):
        raise SynspInputError(f"{source}: {what} are a {type(state).__name__}, not a mapping of tensor names")
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = ([f"{len(missing)} tensor(s) missing ({_summary(missing)})"] if missing else []) + \
                ([f"{len(unexpected)} unexpected ({_summary(unexpected)})"] if unexpected else [])
        if set(current_names(state, model)) == set(expected):
            parts.append("they are the tensor names of an earlier synsp version: load_model (and train --init) "
                         "renames them, but a training state of that version cannot be resumed; start a run "
                         "from its best checkpoint with --init instead")
        raise SynspInputError(f"{source}: {what} do not fit {against}: {'; '.join(parts)}")
    shapes, dtypes, bad_values = [], [], []
    for k, want in expected.items():
        got = state[k]
        if isinstance(got, torch.Tensor):
            shape, dtype = tuple(got.shape), got.dtype
        elif isinstance(got, tuple) and len(got) == 2:
            shape, dtype = got
        else:
            dtypes.append(f"{k} (a {type(got).__name__}, not a tensor)")
            continue
        if tuple(shape) != tuple(want.shape):
            shapes.append(f"{k} {tuple(shape)} vs {tuple(want.shape)}")
        elif (dtype.is_floating_point if isinstance(dtype, torch.dtype) else False) != want.dtype.is_floating_point:
            dtypes.append(f"{k} ({str(dtype).replace('torch.', '')})")
        elif isinstance(got, torch.Tensor) and got.is_floating_point() and not torch.isfinite(got).all():
            bad_values.append(f"{k} ({int((~torch.isfinite(got)).sum())} values)")
    if shapes:
        raise SynspInputError(f"{source}: {what} do not fit {against}: {len(shapes)} tensor(s) of another "
                              f"shape ({_summary(shapes)})")
    if dtypes:
        raise SynspInputError(f"{source}: {what} must be floating-point tensors; {len(dtypes)} are not "
                              f"({_summary(dtypes)})")
    if bad_values:
        raise SynspInputError(f"{source}: {what} hold NaN or inf in {len(bad_values)} tensor(s) "
                              f"({_summary(bad_values)}); the checkpoint is corrupt")


def current_names(state: dict[str, Any], model: nn.Module) -> dict[str, Any]:
    """``state`` (tensors, or a safetensors header) under the tensor names ``model`` uses now: a model class
    whose earlier versions named tensors otherwise renames them with its ``upgrade_state_dict``
    (:func:`synsp.models.synsp.upgrade_state_dict`; every shipped SynSP file keeps the earlier names)."""
    upgrade = getattr(model, "upgrade_state_dict", None)
    return upgrade(state) if upgrade is not None else state


def build_model(card: ModelCard) -> nn.Module:
    archs = _architectures()
    if card.architecture not in archs:
        raise SynspInputError(f"unknown architecture {card.architecture!r}; expected one of {sorted(archs)}")
    config_cls, build = archs[card.architecture]
    return build(config_cls(**card.config))


def checkpoint_stem(path: str | os.PathLike) -> Path:
    """Either file of a checkpoint pair (``.safetensors``, ``.json``) or its stem -> the stem (the whole name: the
    stem of ``mine.v1`` is ``mine.v1``, whose files are ``mine.v1.json`` and ``mine.v1.safetensors``)."""
    p = Path(path)
    return p.with_suffix("") if p.suffix in (".json", ".safetensors") else p


def checkpoint_file(path: str | os.PathLike, suffix: str) -> Path:
    """The ``suffix`` file (``".json"`` / ``".safetensors"``) of the checkpoint pair ``path`` (either file or the
    stem): the stem's whole name with the suffix added (``Path.with_suffix`` would replace ``.v1`` of ``mine.v1``)."""
    stem = checkpoint_stem(path)
    return stem.with_name(stem.name + suffix)


def weights_digest(path: str | os.PathLike) -> str:
    """The SHA-256 (64 hex digits) of a file, read in chunks: what a card's ``weights_sha256`` records."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model(path: str | os.PathLike, model: nn.Module, card: ModelCard, half: bool = False) -> Path:
    """Write ``<stem>.safetensors`` and ``<stem>.json`` so that the pair stays consistent; returns the stem.

    Both files are written to temporary files first (an interrupt there leaves the previous pair as it was), the
    card recording the weights' SHA-256 (``weights_sha256``); then the previous card is removed, the weights renamed
    into place and the card last.  An interrupt between those renames leaves weights without a card (refused as
    incomplete), never new weights under an old card that loads silently; a card left beside weights it was not
    written with is refused by :func:`load_model` through its ``weights_sha256``.

    ``half``: floating-point tensors as float16; refused (before anything is written) when a value is beyond
    float16's range (it would become inf, and the checkpoint would not load)."""
    import torch
    from safetensors.torch import save_file

    stem = checkpoint_stem(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if half:
        for k, v in tensors.items():
            if v.is_floating_point():
                v16 = v.half()
                if not bool(torch.isfinite(v16).all()):
                    worst = float(v.abs().max()) if v.numel() else 0.0
                    raise SynspInputError(f"{stem}: tensor {k} holds values float16 cannot represent (largest "
                                          f"magnitude {worst:.4g}, float16's largest is 65504); save it in float32 "
                                          "(without --half)")
                tensors[k] = v16.contiguous()
    stem.parent.mkdir(parents=True, exist_ok=True)
    weights_file, card_file = checkpoint_file(stem, ".safetensors"), checkpoint_file(stem, ".json")
    temps: list[str] = []
    try:
        for suffix in (".safetensors", ".json"):
            fd, tmp = tempfile.mkstemp(dir=stem.parent, suffix=suffix + ".partial")
            os.close(fd)
            temps.append(tmp)
        save_file(tensors, temps[0])
        card = dataclasses.replace(card, weights_sha256=weights_digest(temps[0]))
        Path(temps[1]).write_text(card.to_json())
        for tmp in temps:
            os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; checkpoints are meant to be shared
        if card_file.exists() or card_file.is_symlink():  # an old card never sits beside the new weights
            os.unlink(card_file)
        os.replace(temps[0], weights_file)
        os.replace(temps[1], card_file)
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return stem


def load_model(path: str | os.PathLike) -> tuple[nn.Module, ModelCard]:
    """Load a checkpoint (either file of the pair, or the stem) in eval mode, float32."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    stem = checkpoint_stem(path)
    card_path, weights_path = checkpoint_file(stem, ".json"), checkpoint_file(stem, ".safetensors")
    for p in (card_path, weights_path):
        if not p.is_file():
            raise SynspInputError(f"checkpoint file {p} is missing; a model is a .safetensors + .json pair")
    try:
        data = json.loads(card_path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, an integer of over 4300 digits, ...
        raise SynspInputError(f"{card_path}: not a valid JSON model card ({str(exc)[:200]})") from None
    except RecursionError:
        raise SynspInputError(f"{card_path}: not a valid JSON model card (nested too deeply)") from None
    card = ModelCard.from_dict(data, str(card_path))
    model = build_model(card)  # the card's size was checked: this allocates at most MAX_PARAMETERS
    try:
        from safetensors import safe_open

        with safe_open(str(weights_path), framework="pt") as f:  # names, shapes and dtypes: before loading
            header = {k: (tuple(f.get_slice(k).get_shape()), _torch_dtype(f.get_slice(k).get_dtype()))
                      for k in f.keys()}
        if card.weights_sha256:  # a readable weights file: is it the one the card was saved with?
            digest = weights_digest(weights_path)
            if digest != card.weights_sha256:
                raise SynspInputError(
                    f"{weights_path}: not the weights its card {card_path.name} was saved with (SHA-256 "
                    f"{digest[:12]}..., the card records {card.weights_sha256[:12]}...): the pair was left "
                    "mismatched by an interrupted save or a file copied over one of them; save or export the "
                    "model again")
        header = current_names(header, model)
        check_state_dict(header, model, str(weights_path))
        state = current_names(load_file(str(weights_path)), model)
    except (SafetensorError, OSError, ValueError) as exc:
        if isinstance(exc, SynspInputError):
            raise
        raise SynspInputError(
            f"{weights_path}: not a readable safetensors file ({exc}); synsp never unpickles "
            "checkpoints: convert .pth files with synsp.models.official"
        ) from None
    check_state_dict(state, model, str(weights_path))
    _check_magnitudes(state, str(weights_path))
    expected = model.state_dict()
    model.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=True)
    note = worse_than_input(card.validation)
    if note:
        import warnings

        warnings.warn(f"{stem}: {note}", UserWarning, stacklevel=2)
    return model.eval(), card


def _check_magnitudes(state: dict[str, Any], source: str) -> None:
    """Refuse weights (finite, checked before) of a magnitude over :data:`MAX_WEIGHT`: no trained network has them,
    and they give absurd or infinite outputs that would be blamed on the input."""
    big = []
    for k, v in state.items():
        if v.is_floating_point() and v.numel():
            worst = float(v.abs().max())
            if worst > MAX_WEIGHT:
                big.append((k, worst))
    if big:
        shown = _summary([f"{k} (up to {w:.3g})" for k, w in big])
        raise SynspInputError(f"{source}: weights hold values over {MAX_WEIGHT:.0e} in magnitude in {len(big)} "
                              f"tensor(s) ({shown}); the checkpoint is corrupt")


def worse_than_input(validation: dict[str, Any]) -> str | None:
    """A one-line warning when a model card's validation error is worse than its input's (``val_mpjpe``
    above ``input_mpjpe``, or for rotation models ``val_angle`` above ``input_angle``): refining with
    such a checkpoint makes data worse (a smoke run of one short epoch does).  None otherwise or when
    the card has no such figures."""
    for what, unit in (("mpjpe", "MPJPE"), ("angle", "angle error")):
        val, inp = validation.get(f"val_{what}"), validation.get(f"input_{what}")
        if isinstance(val, (int, float)) and isinstance(inp, (int, float)) and val > inp:
            return (f"its validation {unit} {val:.4g} is worse than its input's {inp:.4g} ({val / inp:.1f}x): "
                    "refining with it makes data worse; train longer (--epochs, --windows-per-epoch) or use "
                    "a shipped model or a filter")
    return None


def _torch_dtype(name: str):
    """A safetensors dtype name (``F32``, ``I64``, ...) as a torch dtype (None when unknown)."""
    import torch

    return {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
            "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
            "BOOL": torch.bool}.get(str(name).upper())
