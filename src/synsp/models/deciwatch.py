"""DeciWatch: sample, denoise, recover, all of it in this file.

Paper: Ailing Zeng, Xuan Ju, Lei Yang, Ruiyuan Gao, Xizhou Zhu, Bo Dai, Qiang Xu,
"DeciWatch: A Simple Baseline for 10x Efficient 2D and 3D Pose Estimation", ECCV 2022.

DeciWatch's goal is efficiency: the pose estimator runs on one frame in every
``interval`` (10 % of the frames for ``interval = 10``) and the network fills in
the rest.  Used as a pure refiner, as here, it is handed every frame of a window
but looks only at the sampled ones and re-creates all the others; that is the
setting in which the SynSP paper's Table 1 compares it ("1+101").

A window has ``W = interval * q + 1`` frames (``N = interval``, ``Q = q``; the
published 10 x 10 gives 101), so the sampled frames ``0, N, 2N, ..., QN``
include both ends::

    x (B, W, C)
    sample         x[:, ::N]                                           (B, Q+1, C)
    DenoiseNet     Linear(C, D) pose embedding + sinusoidal position of each sampled frame,
                   Transformer encoder (enc_layers), Linear(D, C) correction added to
                   the sampled poses                                   denoised (B, Q+1, C), memory (B, Q+1, D)
    recovery       linear interpolation of the denoised poses to all W frames (B, W, C)
    RecoverNet     Conv1d(C, D) token embedding of the interpolation + sinusoidal position,
                   Transformer decoder (dec_layers) attending to the memory,
                   Linear(D, C) correction added to the interpolation  recovered (B, W, C)

Unlike SmoothNet, DeciWatch embeds the whole pose per frame, so the config
fixes ``channels`` (``C = J * D``).

Loss (:func:`deciwatch_loss`): ``w_denoise * L1(denoised vs gt at the sampled
frames) + lamada * L1(recovered vs gt)``; the official configs use
``w_denoise = 1`` and ``lamada = 1`` (Human3.6M) or ``2.5`` (3DPW).  ``lamada``
keeps the official configs' spelling (``LAMADA``).

Published configurations (:data:`PRESETS`): interval 10, q 10, 5 encoder and 5
decoder layers, 4 heads, feed-forward width 256, dropout 0.1, embedding width
128 (Human3.6M) or 32 (3DPW).

Choices made here that the sources we checked do not pin down (kept simple,
change them if a checkpoint has to be loaded):

* PyTorch's post-LayerNorm ``nn.TransformerEncoder``/``nn.TransformerDecoder``
  (ReLU feed-forward); the positions are added once to the input tokens, not
  inside every attention layer;
* the positions are the sinusoids of the absolute frame index inside the
  window, so a sampled token and the recovered frame it came from share one;
* the Conv1d token embedding has ``recover_kernel = 5`` taps ("same" padding);
* matrices are initialised Xavier-uniform (as ``nn.Transformer`` does);
* the ``mask`` argument of the synsp network contract is accepted and ignored:
  DeciWatch has no notion of missing joints, fill them before refining.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..validation import SynspInputError, check_same_shape

__all__ = [
    "DeciWatchConfig",
    "DeciWatch",
    "DenoiseNet",
    "RecoverNet",
    "deciwatch_loss",
    "interpolation_matrix",
    "sinusoidal_positions",
    "PRESETS",
]


@dataclass
class DeciWatchConfig:
    """Every hyperparameter of a DeciWatch (the defaults are the Human3.6M configuration).

    ``channels``: pose size ``C = J * D`` of every frame (no default: it depends on the skeleton).
    ``interval``: ``N``, one frame in ``N`` is sampled.
    ``q``: ``Q``, the number of intervals in a window.
    ``window``: ``W = interval * q + 1``; leave it ``None`` to derive it, a
    different value raises :class:`SynspInputError`.
    ``embed_dim``: token width ``D`` of both Transformers.
    ``heads``: attention heads (must divide ``embed_dim``).
    ``ffn``: hidden width of the Transformer feed-forward layers.
    ``enc_layers``, ``dec_layers``: depth of DenoiseNet and RecoverNet.
    ``dropout``: dropout in the Transformers and on the input tokens.
    ``recover_kernel``: taps of RecoverNet's Conv1d token embedding (odd).
    """

    channels: int
    interval: int = 10
    q: int = 10
    window: int | None = None
    embed_dim: int = 128
    heads: int = 4
    ffn: int = 256
    enc_layers: int = 5
    dec_layers: int = 5
    dropout: float = 0.1
    recover_kernel: int = 5

    def __post_init__(self) -> None:
        for name in ("channels", "interval", "q", "embed_dim", "heads", "ffn", "enc_layers", "dec_layers"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise SynspInputError(f"DeciWatchConfig.{name} must be a positive integer, got {value!r}")
        expected = self.interval * self.q + 1
        if self.window is None:
            self.window = expected
        elif self.window != expected:
            raise SynspInputError(
                f"DeciWatchConfig.window = {self.window!r} but a DeciWatch window must have "
                f"interval * q + 1 = {self.interval} * {self.q} + 1 = {expected} frames"
            )
        if self.embed_dim % self.heads:
            raise SynspInputError(
                f"DeciWatchConfig.embed_dim = {self.embed_dim} is not divisible by heads = {self.heads}"
            )
        k = self.recover_kernel
        if int(k) != k or k < 1 or k % 2 == 0:
            raise SynspInputError(
                f"DeciWatchConfig.recover_kernel must be a positive odd integer, got {self.recover_kernel!r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise SynspInputError(f"DeciWatchConfig.dropout must be in [0, 1), got {self.dropout!r}")

    @classmethod
    def preset(cls, name: str, channels: int, interval: int = 10, q: int = 10) -> "DeciWatchConfig":
        """The published configuration ``name`` (a key of :data:`PRESETS`) for poses of ``channels``."""
        if name not in PRESETS:
            raise SynspInputError(f"unknown DeciWatch preset {name!r}; expected one of {sorted(PRESETS)}")
        return cls(channels=channels, interval=interval, q=q, **PRESETS[name])


# Architecture of the official configurations (their loss weights: lamada 1.0 for h36m, 2.5 for pw3d).
PRESETS: dict[str, dict] = {
    "h36m": dict(embed_dim=128, heads=4, ffn=256, enc_layers=5, dec_layers=5, dropout=0.1),
    "pw3d": dict(embed_dim=32, heads=4, ffn=256, enc_layers=5, dec_layers=5, dropout=0.1),
}


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """Transformer sinusoids ``(length, dim)``.

    Column ``2i`` is ``sin(t w_i)`` and column ``2i + 1`` is ``cos(t w_i)``, with
    ``w_i = 10000^(-2i/dim)`` and ``t`` the frame index.  Where tensors are made on the meta device (a
    network sized without allocating it, as :mod:`synsp.models.checkpoint` checks a model card), an empty meta
    tensor: nothing is computed.
    """
    pe = torch.zeros(length, dim, dtype=torch.float64)
    if pe.is_meta:
        return pe.float()
    t = torch.arange(length, dtype=torch.float64)[:, None]  # (L, 1)
    even = torch.arange(0, dim, 2, dtype=torch.float64)  # (ceil(dim/2),)
    freqs = torch.exp(-math.log(10000.0) * even / dim)  # (ceil(dim/2),)
    pe[:, 0::2] = torch.sin(t * freqs)
    pe[:, 1::2] = torch.cos(t * freqs[: dim // 2])
    return pe.float()


def interpolation_matrix(interval: int, q: int) -> torch.Tensor:
    """``M: (W, Q+1)`` with ``M @ poses[::interval]`` the linear interpolation of the sampled frames.

    Frame ``t`` lies between samples ``k = min(t // N, Q - 1)`` and ``k + 1`` at
    fraction ``f = (t - k N) / N``: ``M[t, k] = 1 - f``, ``M[t, k + 1] = f``.
    Sampled frames are reproduced exactly.  On the meta device (see :func:`sinusoidal_positions`) an empty meta
    tensor.
    """
    m = torch.zeros(interval * q + 1, q + 1, dtype=torch.float64)
    if m.is_meta:
        return m.float()
    t = torch.arange(interval * q + 1)  # (W,)
    k = torch.clamp(t // interval, max=q - 1)  # (W,)
    frac = (t - k * interval).double() / interval  # (W,)
    m[t, k] = 1.0 - frac
    m[t, k + 1] = frac
    return m.float()


class DenoiseNet(nn.Module):
    """Transformer encoder over the sampled poses; returns the denoised poses and the encoder memory."""

    def __init__(self, config: DeciWatchConfig):
        super().__init__()
        c = config
        self.pose_embedding = nn.Linear(c.channels, c.embed_dim)
        self.dropout = nn.Dropout(c.dropout)
        layer = nn.TransformerEncoderLayer(c.embed_dim, c.heads, c.ffn, c.dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, c.enc_layers, enable_nested_tensor=False)
        self.pose_head = nn.Linear(c.embed_dim, c.channels)

    def forward(self, sampled: torch.Tensor, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``sampled: (B, S, C)``, ``positions: (S, D)`` -> denoised ``(B, S, C)``, memory ``(B, S, D)``."""
        tokens = self.dropout(self.pose_embedding(sampled) + positions)  # (B, S, D)
        memory = self.encoder(tokens)  # (B, S, D)
        denoised = sampled + self.pose_head(memory)  # (B, S, C)
        return denoised, memory


class RecoverNet(nn.Module):
    """Transformer decoder over the interpolated window, attending to DenoiseNet's memory."""

    def __init__(self, config: DeciWatchConfig):
        super().__init__()
        c = config
        k = c.recover_kernel
        self.token_embedding = nn.Conv1d(c.channels, c.embed_dim, k, padding=k // 2)  # "same" length
        self.dropout = nn.Dropout(c.dropout)
        layer = nn.TransformerDecoderLayer(c.embed_dim, c.heads, c.ffn, c.dropout, batch_first=True)
        self.decoder = nn.TransformerDecoder(layer, c.dec_layers)
        self.pose_head = nn.Linear(c.embed_dim, c.channels)

    def forward(
        self, interpolated: torch.Tensor, memory: torch.Tensor, positions: torch.Tensor
    ) -> torch.Tensor:
        """``interpolated: (B, W, C)``, memory ``(B, S, D)``, positions ``(W, D)`` -> recovered ``(B, W, C)``."""
        tokens = self.token_embedding(interpolated.transpose(1, 2))  # (B, D, W)
        tokens = self.dropout(tokens.transpose(1, 2) + positions)  # (B, W, D)
        h = self.decoder(tokens, memory)  # (B, W, D)
        return interpolated + self.pose_head(h)  # (B, W, C)


class DeciWatch(nn.Module):
    """Refine windows ``x: (B, W, C)`` -> ``(B, W, C)`` from the sampled frames ``x[:, ::interval]``."""

    def __init__(self, config: DeciWatchConfig):
        super().__init__()
        self.config = c = config
        self.denoise_net = DenoiseNet(c)
        self.recover_net = RecoverNet(c)
        self.register_buffer("positions", sinusoidal_positions(c.window, c.embed_dim), persistent=False)
        self.register_buffer("interpolation", interpolation_matrix(c.interval, c.q), persistent=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, return_denoised: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """``x: (B, W, C)`` normalised windows -> recovered ``(B, W, C)``; ``mask`` is ignored.

        With ``return_denoised=True`` returns ``(recovered, denoised)``, the
        second ``(B, Q+1, C)`` being DenoiseNet's output at frames
        ``0, N, ..., QN``: the pair :func:`deciwatch_loss` takes.
        """
        self._check_input(x)
        n = self.config.interval
        sampled = x[:, ::n]  # (B, Q+1, C)
        denoised, memory = self.denoise_net(sampled, self.positions[::n])  # (B, Q+1, C), (B, Q+1, D)
        interpolated = torch.einsum("ws,bsc->bwc", self.interpolation, denoised)  # (B, W, C)
        recovered = self.recover_net(interpolated, memory, self.positions)  # (B, W, C)
        return (recovered, denoised) if return_denoised else recovered

    def _check_input(self, x: torch.Tensor) -> None:
        c = self.config
        if x.ndim != 3:
            raise SynspInputError(
                f"DeciWatch input has shape {tuple(x.shape)} ({x.ndim}-d); expected windows (B, W, C)"
            )
        if x.shape[1] != c.window:
            raise SynspInputError(
                f"DeciWatch input has W = {x.shape[1]} frames (shape {tuple(x.shape)}); expected "
                f"interval * q + 1 = {c.interval} * {c.q} + 1 = {c.window} frames"
            )
        if x.shape[2] != c.channels:
            raise SynspInputError(
                f"DeciWatch input has C = {x.shape[2]} channels (shape {tuple(x.shape)}); "
                f"this model was configured for C = {c.channels}"
            )


def split_sampled_output(pred, gt: torch.Tensor, loss: str, names: tuple[str, str],
                         forward: str) -> tuple[torch.Tensor, torch.Tensor, int]:
    """``pred = (full (B, W, C), sampled (B, Q+1, C))`` checked against ``gt`` ``(B, W, C)``; returns both
    and the sampling interval ``N = (W - 1) / Q`` (shared by the losses of DeciWatch and HANet)."""
    if not (isinstance(pred, (tuple, list)) and len(pred) == 2):
        raise SynspInputError(f"{loss} needs pred = ({names[0]}, {names[1]}), the output of {forward}")
    full, sampled = pred
    check_same_shape(full, gt, (names[0], "gt"))
    if gt.ndim != 3 or sampled.ndim != 3 or sampled.shape[::2] != gt.shape[::2]:
        raise SynspInputError(
            f"{loss}: {names[1]} has shape {tuple(sampled.shape)} and gt {tuple(gt.shape)}; "
            "expected (B, Q+1, C) and (B, W, C)"
        )
    q = sampled.shape[1] - 1
    if q < 1 or gt.shape[1] <= q or (gt.shape[1] - 1) % q:
        raise SynspInputError(
            f"{loss}: {sampled.shape[1]} {names[1]} frames do not sample a window of "
            f"{gt.shape[1]} frames (expected W = interval * (frames - 1) + 1)"
        )
    return full, sampled, (gt.shape[1] - 1) // q


def deciwatch_loss(
    pred: tuple[torch.Tensor, torch.Tensor], gt: torch.Tensor, w_denoise: float = 1.0, lamada: float = 1.0
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """DeciWatch's loss: ``w_denoise * L1(denoised, gt[:, ::N]) + lamada * L1(recovered, gt)``.

    ``pred`` is ``(recovered (B, W, C), denoised (B, Q+1, C))`` as returned by
    ``DeciWatch.forward(x, return_denoised=True)``; ``gt`` is ``(B, W, C)``.  The
    interval is read from the shapes, ``N = (W - 1) / Q``.  L1 is the mean
    absolute error over all elements.  Returns ``(total, {"denoise": ...,
    "recover": ...})``, the terms unweighted and detached.
    """
    recovered, denoised, interval = split_sampled_output(pred, gt, "deciwatch_loss", ("recovered", "denoised"),
                                                         "DeciWatch.forward(x, return_denoised=True)")
    denoise = F.l1_loss(denoised, gt[:, ::interval])
    recover = F.l1_loss(recovered, gt)
    total = w_denoise * denoise + lamada * recover
    return total, {"denoise": denoise.detach(), "recover": recover.detach()}
