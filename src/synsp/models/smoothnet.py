"""SmoothNet: a temporal-only MLP that refines a window of poses, all of it in this file.

Paper: Ailing Zeng, Lei Yang, Xuan Ju, Jiefeng Li, Jianyi Wang, Qiang Xu,
"SmoothNet: A Plug-and-Play Network for Refining Human Poses in Videos", ECCV 2022.

The network sees one channel (one coordinate of one joint) at a time: a window
of ``W`` values is mapped to ``W`` refined values by an MLP over the time axis,
with the same weights for every joint and every coordinate.  So one model
serves any skeleton and any kind of coordinate (2D, 3D, 6D rotations), and the
input size of the first layer is the window ``W``, not the pose size ``C``::

    x (B, W, C) -> (B, C, W)                    one row per channel
    encoder        Linear(W, hidden) + LeakyReLU(0.1)
    num_blocks x   x + LReLU0.2(Drop(Linear(res_hidden, hidden)(LReLU0.2(Drop(Linear(hidden, res_hidden)(x))))))
    decoder        Linear(hidden, W)
    (B, C, W) -> (B, W, C)

Published configurations (hidden, res_hidden, num_blocks, dropout) and their
parameter counts at ``W = 32`` (see :data:`PRESETS`):

* MMPose 0.x (also the defaults of the SmoothNet copy in the SynSP code): 512, 256, 3, 0.5 -> 822,048 (0.82 M);
* official ``h36m_fcn_3D.yaml`` / ``aist_vibe_3D.yaml``: 512, 128, 5, 0.25 -> 691,872 (0.69 M);
* official ``pw3d_spin_3D.yaml``: 512, 16, 1, 0.5 -> 50,224 (0.05 M).

Loss (:func:`smoothnet_loss`): ``w_pos * L1(position) + w_accel * L1(second
difference along time)``, defaults 1.0 and 0.1.

Departures from the official code, and why:

* ``forward`` returns one tensor, not the same tensor three times (the copy in
  the SynSP code returns ``(x, x, x)`` to fit SynSP's three-output loss, which
  silently triples the position weight and multiplies the acceleration weight
  by 1.5);
* the ``mask`` argument of the synsp network contract is accepted and ignored:
  SmoothNet has no notion of missing joints, fill them before refining.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..timeseries import second_difference as _second_difference
from ..validation import SynspInputError, check_same_shape

__all__ = ["SmoothNetConfig", "SmoothNet", "smoothnet_loss", "PRESETS"]


@dataclass
class SmoothNetConfig:
    """Every hyperparameter of a SmoothNet (the defaults are MMPose 0.x's).

    ``window``: frames per window ``W`` (the official checkpoints use 8, 16, 32, 64).
    ``channels``: ``None`` (any ``C``: the network is per channel), or a fixed
    ``C = J * D`` that :meth:`SmoothNet.forward` then checks.
    ``hidden``: width of the encoder output and of every residual block.
    ``res_hidden``: bottleneck width inside a residual block.
    ``num_blocks``: number of residual blocks.
    ``dropout``: dropout probability inside the residual blocks.
    """

    window: int = 32
    channels: int | None = None
    hidden: int = 512
    res_hidden: int = 256
    num_blocks: int = 3
    dropout: float = 0.5

    def __post_init__(self) -> None:
        for name in ("window", "hidden", "res_hidden"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise SynspInputError(
                    f"SmoothNetConfig.{name} must be a positive integer, got {value!r}"
                )
        if int(self.num_blocks) != self.num_blocks or self.num_blocks < 0:
            raise SynspInputError(
                f"SmoothNetConfig.num_blocks must be a non-negative integer, got {self.num_blocks!r}"
            )
        if self.channels is not None and (int(self.channels) != self.channels or self.channels < 1):
            raise SynspInputError(
                f"SmoothNetConfig.channels must be None (any) or a positive integer, got {self.channels!r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise SynspInputError(f"SmoothNetConfig.dropout must be in [0, 1), got {self.dropout!r}")

    @classmethod
    def preset(cls, name: str, window: int = 32, channels: int | None = None) -> "SmoothNetConfig":
        """The published configuration ``name`` (a key of :data:`PRESETS`) at ``window`` frames."""
        if name not in PRESETS:
            raise SynspInputError(f"unknown SmoothNet preset {name!r}; expected one of {sorted(PRESETS)}")
        return cls(window=window, channels=channels, **PRESETS[name])


# (hidden, res_hidden, num_blocks, dropout) of the published configurations.
PRESETS: dict[str, dict] = {
    "mmpose": dict(hidden=512, res_hidden=256, num_blocks=3, dropout=0.5),
    "h36m": dict(hidden=512, res_hidden=128, num_blocks=5, dropout=0.25),
    "aist": dict(hidden=512, res_hidden=128, num_blocks=5, dropout=0.25),
    "pw3d": dict(hidden=512, res_hidden=16, num_blocks=1, dropout=0.5),
}


class ResidualBlock(nn.Module):
    """``x + LReLU(Drop(Linear(LReLU(Drop(Linear(x))))))``, bottleneck ``hidden -> res_hidden -> hidden``."""

    def __init__(self, hidden: int, res_hidden: int, dropout: float):
        super().__init__()
        self.squeeze = nn.Linear(hidden, res_hidden)
        self.expand = nn.Linear(res_hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, hidden)
        h = self.act(self.dropout(self.squeeze(x)))  # (B, C, res_hidden)
        h = self.act(self.dropout(self.expand(h)))  # (B, C, hidden)
        return x + h


class SmoothNet(nn.Module):
    """Refine windows ``x: (B, W, C)`` -> ``(B, W, C)``, one temporal MLP shared by all channels."""

    def __init__(self, config: SmoothNetConfig | None = None):
        super().__init__()
        self.config = config = config if config is not None else SmoothNetConfig()
        self.encoder = nn.Sequential(nn.Linear(config.window, config.hidden), nn.LeakyReLU(0.1))
        self.blocks = nn.Sequential(
            *(
                ResidualBlock(config.hidden, config.res_hidden, config.dropout)
                for _ in range(config.num_blocks)
            )
        )
        self.decoder = nn.Linear(config.hidden, config.window)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``x: (B, W, C)`` normalised windows -> refined ``(B, W, C)``; ``mask`` is ignored."""
        self._check_input(x)
        h = x.transpose(1, 2)  # (B, C, W): every channel is an independent time series
        h = self.encoder(h)  # (B, C, hidden)
        h = self.blocks(h)  # (B, C, hidden)
        h = self.decoder(h)  # (B, C, W)
        return h.transpose(1, 2)  # (B, W, C)

    def _check_input(self, x: torch.Tensor) -> None:
        cfg = self.config
        if x.ndim != 3:
            raise SynspInputError(
                f"SmoothNet input has shape {tuple(x.shape)} ({x.ndim}-d); expected windows (B, W, C)"
            )
        if x.shape[1] != cfg.window:
            raise SynspInputError(
                f"SmoothNet input has W = {x.shape[1]} frames (shape {tuple(x.shape)}); "
                f"this model was built for windows of {cfg.window} frames"
            )
        if cfg.channels is not None and x.shape[2] != cfg.channels:
            raise SynspInputError(
                f"SmoothNet input has C = {x.shape[2]} channels (shape {tuple(x.shape)}); "
                f"this model was configured for C = {cfg.channels}"
            )


def second_difference(x: torch.Tensor) -> torch.Tensor:
    """Acceleration along time, the second-to-last axis: ``(..., W, C) -> (..., W-2, C)``
    (:func:`synsp.timeseries.second_difference` on tensors)."""
    return _second_difference(x, axis=-2)


def smoothnet_loss(
    pred: torch.Tensor, gt: torch.Tensor, w_pos: float = 1.0, w_accel: float = 0.1
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """SmoothNet's loss on windows ``(B, W, C)``: ``w_pos * L1(pos) + w_accel * L1(accel)``.

    ``L1(pos) = mean |pred - gt|`` over all ``B * W * C`` elements and
    ``L1(accel) = mean |Δ²pred - Δ²gt|`` over ``B * (W-2) * C``, with ``Δ²`` the
    second difference along time.  An error that is constant or linear in time
    has zero acceleration term.  Returns ``(total, {"pos": ..., "accel": ...})``,
    the terms unweighted and detached.
    """
    check_same_shape(pred, gt)
    if pred.ndim != 3 or pred.shape[1] < 3:
        raise SynspInputError(
            f"smoothnet_loss needs windows (B, W, C) with W >= 3 for the acceleration term; "
            f"got shape {tuple(pred.shape)}"
        )
    pos = F.l1_loss(pred, gt)
    accel = F.l1_loss(second_difference(pred), second_difference(gt))
    total = w_pos * pos + w_accel * accel
    return total, {"pos": pos.detach(), "accel": accel.detach()}
