"""ONNX export of a trained window network (``pip install -e ".[onnx]"`` in the synsp clone to run it with ONNX Runtime).

The exported graph maps normalised windows ``x (B, W, C)`` (and, for models
trained with missing-joint flags, ``mask (B, W, M)``) to the refined windows
the :class:`synsp.refiners.NetworkRefiner` would use (the card's ``output``),
with a dynamic batch axis.  Normalisation, windowing and the window average
stay in Python (numpy), as they are cheap and shape-dependent.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..validation import SynspInputError
from .checkpoint import ModelCard

__all__ = ["export_onnx"]


class _Wrapped(torch.nn.Module):
    def __init__(self, model: torch.nn.Module, output: str, with_mask: bool):
        super().__init__()
        self.model, self.output, self.with_mask = model, output, with_mask

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        out = self.model(x, mask=mask) if self.with_mask else self.model(x)
        return getattr(out, self.output) if isinstance(out, tuple) else out


def export_onnx(model: torch.nn.Module, card: ModelCard, path: str | os.PathLike, opset: int = 17) -> Path:
    """Write ``path`` (atomically) and return it.

    Only models of one view (``card.views == 1``) are exported: the graph takes one view's windows ``(B, W, C)``,
    and a multi-view model refines its views together (``(B, P, W, C)``), so running it view by view would give
    other results; such a card is refused (:class:`SynspInputError`)."""
    path = Path(path)
    if card.views != 1:
        raise SynspInputError(f"model {card.name!r} refines {card.views} views together ((B, P, W, C) windows); ONNX "
                              "export takes one-view models only, and running its views one by one would give other "
                              "results: refine it with synsp (synsp refine --views), or export a one-view model")
    wrapped = _Wrapped(model.eval(), card.output, card.mask).eval()
    channels = model.config.channels if getattr(model.config, "channels", None) else None
    if channels is None:
        raise SynspInputError(f"model {card.name!r}: ONNX export needs a model with a fixed channel count (a "
                              f"{card.architecture} model without one takes any joint set)")
    example = (torch.randn(2, card.window, channels),)
    names = ["x"]
    if card.mask:
        example += (torch.zeros(2, card.window, model.config.mask_channels),)
        names.append("mask")
    tmp = path.with_name(path.name + ".partial")
    torch.onnx.export(wrapped, example, str(tmp), input_names=names, output_names=["refined"],
                      dynamic_axes={n: {0: "batch"} for n in [*names, "refined"]}, opset_version=opset,
                      dynamo=False)
    os.replace(tmp, path)
    return path
