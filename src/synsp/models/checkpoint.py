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
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from .. import __version__
from ..validation import SynspInputError

__all__ = ["ModelCard", "build_model", "save_model", "load_model", "config_class", "ARCHITECTURES"]


def _architectures() -> dict[str, tuple[type, type]]:
    from .deciwatch import DeciWatch, DeciWatchConfig
    from .smoothnet import SmoothNet, SmoothNetConfig
    from .synsp import SynSP, SynSPConfig

    return {"synsp": (SynSPConfig, SynSP), "smoothnet": (SmoothNetConfig, SmoothNet),
            "deciwatch": (DeciWatchConfig, DeciWatch)}


ARCHITECTURES = ("synsp", "smoothnet", "deciwatch")


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
    output: str = "final"  # SynSP output used for refinement
    data: str = ""
    noise_preset: str = ""
    recipe: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    synsp_version: str = __version__

    def __post_init__(self) -> None:
        if self.skeleton_definition is not None:  # make the custom skeleton's name resolve everywhere
            from ..skeletons import Skeleton, register_skeleton

            sk = Skeleton.from_dict(self.skeleton_definition)
            if sk.name != self.skeleton:
                raise SynspInputError(f"model card: skeleton_definition is for {sk.name!r} but the card's "
                                      f"skeleton is {self.skeleton!r}")
            register_skeleton(sk)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "model card") -> "ModelCard":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        missing = {f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING} - set(d)
        if unknown or missing:
            raise SynspInputError(f"{source}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
        d = dict(d)
        d["root_joints"] = tuple(d.get("root_joints", (0,)))
        return cls(**d)


def build_model(card: ModelCard) -> nn.Module:
    archs = _architectures()
    if card.architecture not in archs:
        raise SynspInputError(f"unknown architecture {card.architecture!r}; expected one of {sorted(archs)}")
    config_cls, model_cls = archs[card.architecture]
    return model_cls(config_cls(**card.config))


def _stem(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p.with_suffix("") if p.suffix in (".json", ".safetensors") else p


def save_model(path: str | os.PathLike, model: nn.Module, card: ModelCard, half: bool = False) -> Path:
    """Write ``<stem>.safetensors`` and ``<stem>.json`` atomically; returns the stem."""
    from safetensors.torch import save_file

    stem = _stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
               for k, v in model.state_dict().items()}
    for suffix, write in ((".safetensors", lambda f: save_file(tensors, f)),
                          (".json", lambda f: Path(f).write_text(card.to_json()))):
        fd, tmp = tempfile.mkstemp(dir=stem.parent, suffix=suffix + ".partial")
        os.close(fd)
        try:
            write(tmp)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; checkpoints are meant to be shared
            os.replace(tmp, stem.with_suffix(suffix))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return stem


def load_model(path: str | os.PathLike) -> tuple[nn.Module, ModelCard]:
    """Load a checkpoint (either file of the pair, or the stem) in eval mode, float32."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    stem = _stem(path)
    card_path, weights_path = stem.with_suffix(".json"), stem.with_suffix(".safetensors")
    for p in (card_path, weights_path):
        if not p.is_file():
            raise SynspInputError(f"checkpoint file {p} is missing; a model is a .safetensors + .json pair")
    try:
        card = ModelCard.from_dict(json.loads(card_path.read_text()), str(card_path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SynspInputError(f"{card_path}: not a valid JSON model card ({exc})") from None
    try:
        state = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise SynspInputError(
            f"{weights_path}: not a readable safetensors file ({exc}); synsp never unpickles "
            "checkpoints: convert .pth files with synsp.models.official"
        ) from None
    model = build_model(card)
    try:
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except RuntimeError as exc:
        raise SynspInputError(f"{weights_path}: weights do not match the card's model ({exc})") from None
    return model.eval(), card
