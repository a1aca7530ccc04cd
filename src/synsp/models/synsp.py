"""SynSP: Synergy of Smoothness and Precision in pose-sequence refinement (CVPR 2024), in one file.

Reads top to bottom like the paper.  A window of ``W`` frames of ``C``
channels (joints x coordinates, normalised by the caller), for one view
``(B, W, C)`` or for ``P`` views or persons at once ``(B, P, W, C)``:

1. **Embedding**: DCT-II along time (unnormalised, as the official code), then
   a linear embedding to ``d_model``; token ``k`` is the ``k``-th DCT coefficient.
2. **Local temporal encoder**, per view, and **global encoder**, attending over
   all views x tokens.  The **similarity cue** ``S[i, j, f] = exp(-mean_c (x_j - x_i)^2)``
   (view ``j`` seen from view ``i`` at frame ``f``) is added to the global
   memory; inputs are normalised, so the cue means the same for pixels and metres.
3. **Base stage**: a decoder from the embedded input to the memory
   ``[local ; global + S]`` with two branches: the **Position Branch** (trained
   on position only) and the **Acceleration Branch** (trained on position and
   acceleration).  By default each branch has its own last decoding layer and
   head, as the paper describes; ``shared_last_layer=True`` reproduces the
   official code, whose two branches run the same last layer (notes B3).
4. **Pose Quality Encoding**: the detached disagreement ``d = (y_p - y_a) / 2``
   becomes a per-frame quality score
   ``q[f] = mean_c exp(-(|d[f,c]| + 1e-6) / (max_f' |d[f',c]| + 1e-5))``, in
   ``(e^-1, 1)``, added to the view's own global memory tokens together with
   the similarity cue recomputed on the branches' mean.
5. **Refinement stage**: a second decoder over ``[acceleration features ;
   global + S' + Q]`` gives the final output.

``forward`` always returns ``SynSPOutput(position, acceleration, final)`` with
the input's shape (the official order flips with the input rank: notes B1).
:func:`synsp_loss` is the paper's Equ. 4 with the second difference taken along
time for every input rank (the official multi-view loss takes it across views:
notes B2).

Departures from the official code, all switchable in :class:`SynSPConfig`:
separate last layers per branch (paper) instead of a shared one (code); an
optional missing-joint mask as extra input channels; an optional residual on
the input pose; ablation switches (no PQE, no similarity cue, no global
encoder, a plain transformer of the same size).  Official checkpoints load
through :mod:`synsp.models.official` into ``SynSPConfig.official(...)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from ..geometry import dct_matrix, idct_matrix
from ..validation import SynspInputError
from .blocks import Decoder, DecoderLayer, Encoder
from .smoothnet import second_difference

__all__ = ["SynSPConfig", "SynSPOutput", "SynSP", "synsp_loss", "pose_quality", "similarity_cue"]


@dataclass
class SynSPConfig:
    """Every hyperparameter of the network (defaults: the official ones, W = 8)."""

    window: int = 8
    channels: int = 51  # C = J * D of the refined output
    mask_channels: int = 0  # extra input channels (missing-joint flags), not refined
    d_model: int = 128
    d_inner: int = 128
    n_layers: int = 4
    n_head: int = 4
    d_k: int = 64
    d_v: int = 64
    dropout: float = 0.2
    attn_dropout: float = 0.1
    max_positions: int = 100
    shared_last_layer: bool = False  # True: the official code's shared base decoder
    input_residual: bool = False  # final = input + network output (not in the paper)
    frequency_output: bool = False  # heads predict DCT coefficients, inverse-transformed (fixes notes B4)
    query_positions: bool = False  # decoder queries carry their token index (official: none)
    spectral_skip: bool = False  # residual = input through a learned per-frequency gain (a linear low-pass)
    pose_quality_encoding: bool = True
    similarity_cue: bool = True
    global_encoder: bool = True
    plain: bool = False  # ablation: one encoder + one decoder, no branches or cues
    view_mean_skip: bool = False  # several views in one frame: the residual starts from the views' mean
    refine_branches: bool = False  # refinement stage reads both branches' features and corrects their mean
    zero_heads: bool = False  # heads' last layers start at 0: with input_residual every output starts as the input

    def __post_init__(self) -> None:
        if not 1 <= self.window <= self.max_positions:
            raise SynspInputError(f"window must be in 1..{self.max_positions}, got {self.window}")
        if self.channels < 1 or self.mask_channels < 0:
            raise SynspInputError(f"channels must be >= 1 and mask_channels >= 0, got "
                                  f"{self.channels} and {self.mask_channels}")

    @classmethod
    def official(cls, channels: int = 51, window: int = 8, **kw) -> "SynSPConfig":
        """The configuration that reproduces ``Models_inf.Transformer`` exactly."""
        return cls(channels=channels, window=window, shared_last_layer=True, **kw)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class SynSPOutput(NamedTuple):
    """The three outputs, always in this order and with the input's shape."""

    position: torch.Tensor  # Position Branch (base stage)
    acceleration: torch.Tensor  # Acceleration Branch (base stage)
    final: torch.Tensor  # Refinement stage


def similarity_cue(x: torch.Tensor) -> torch.Tensor:
    """``(B, P, W, C) -> (B*P, P*W, 1)``: row ``b*P+i``, column ``j*W+f`` holds
    ``exp(-mean_c (x[b,j,f,c] - x[b,i,f,c])^2)``."""
    B, P, W, C = x.shape
    diff = x[:, None, :, :, :] - x[:, :, None, :, :]  # (B, P_i, P_j, W, C)
    sim = torch.exp(-(diff**2).mean(dim=-1))  # (B, P_i, P_j, W)
    return sim.reshape(B * P, P * W, 1)


def pose_quality(position: torch.Tensor, acceleration: torch.Tensor) -> torch.Tensor:
    """Per-frame quality ``(B, P, W)`` in ``(e^-1, 1)`` from the branches' disagreement."""
    delta = ((position - acceleration) / 2).abs()  # (B, P, W, C)
    worst = delta.amax(dim=-2, keepdim=True)  # (B, P, 1, C): over the window's frames
    return torch.exp(-(delta + 1e-6) / (worst + 1e-5)).mean(dim=-1)


def _own_view_tokens(q: torch.Tensor) -> torch.Tensor:
    """``(B, P, W) -> (B*P, P*W, 1)``: view i's scores on its own tokens, 0 elsewhere."""
    B, P, W = q.shape
    eye = torch.eye(P, dtype=q.dtype, device=q.device)  # (P_i, P_j)
    return (eye[None, :, :, None] * q[:, :, None, :]).reshape(B * P, P * W, 1)


def _head(d_model: int, channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.Linear(2 * d_model, channels))


class SynSP(nn.Module):
    def __init__(self, config: SynSPConfig):
        super().__init__()
        self.config = c = config
        layer_args = (c.d_model, c.d_inner, c.n_head, c.d_k, c.d_v, c.dropout, c.attn_dropout)
        self.register_buffer("dct", torch.tensor(dct_matrix(c.window, norm=None), dtype=torch.float32),
                             persistent=False)
        self.register_buffer("idct", torch.tensor(idct_matrix(c.window, norm="ortho"), dtype=torch.float32),
                             persistent=False)
        self.register_buffer("dct_ortho", torch.tensor(dct_matrix(c.window, norm="ortho"), dtype=torch.float32),
                             persistent=False)
        if c.spectral_skip:  # one gain per output, frequency and channel, starting as the identity
            self.spectral_gain = nn.Parameter(torch.ones(3, c.window, c.channels))
        self.embedding = nn.Sequential(nn.Linear(c.channels + c.mask_channels, c.d_model),
                                       nn.Linear(c.d_model, c.d_model))
        self.local_encoder = Encoder(c.n_layers, *layer_args, c.max_positions)
        if c.plain:
            self.decoder = Decoder(c.n_layers, *layer_args)
            self.head = _head(c.d_model, c.channels)
            self._init_weights()
            return
        if c.global_encoder:
            self.global_encoder = Encoder(c.n_layers, *layer_args, c.max_positions)
        # base stage: a shared stack, then the Position and Acceleration Branches
        self.base_decoder = Decoder(c.n_layers, *layer_args)
        if not c.shared_last_layer:
            self.position_last = DecoderLayer(*layer_args)
            self.acceleration_last = DecoderLayer(*layer_args)
        self.position_head = _head(c.d_model, c.channels)
        self.acceleration_head = _head(c.d_model, c.channels)
        # refinement stage
        self.refinement_decoder = Decoder(c.n_layers, *layer_args)
        self.refinement_head = _head(c.d_model, c.channels)
        self._init_weights()

    def _init_weights(self) -> None:
        for name, p in self.named_parameters():  # as the official code: Xavier on every matrix
            if p.dim() > 1 and name != "spectral_gain":
                nn.init.xavier_uniform_(p)
        if self.config.zero_heads:  # e.g. rotations, where a random start is far from any rotation
            heads = (self.head,) if self.config.plain else (self.position_head, self.acceleration_head,
                                                            self.refinement_head)
            for head in heads:
                nn.init.zeros_(head[-1].weight)
                nn.init.zeros_(head[-1].bias)

    def _branch_layers(self):
        if self.config.shared_last_layer:
            last = self.base_decoder.layers[-1]
            return last, last
        return self.position_last, self.acceleration_last

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> SynSPOutput:
        """``x`` ``(B, W, C)`` or ``(B, P, W, C)``; ``mask`` the same with ``mask_channels``."""
        c = self.config
        single = x.dim() == 3
        if single:
            x = x[:, None]
            mask = mask[:, None] if mask is not None else None
        if x.dim() != 4 or x.shape[-2:] != (c.window, c.channels):
            raise SynspInputError(
                f"SynSP expects (B, {c.window}, {c.channels}) or (B, P, {c.window}, {c.channels}); "
                f"got {tuple(x.shape)}"
            )
        x = x.float()
        B, P, W, C = x.shape
        inp = x if mask is None else torch.cat([x, mask.to(x.dtype)], dim=-1)
        if inp.shape[-1] != C + c.mask_channels:
            raise SynspInputError(f"mask has {inp.shape[-1] - C} channels; the model expects {c.mask_channels}")

        # 1. embedding of DCT coefficients
        coeffs = torch.einsum("kt,bptc->bpkc", self.dct, inp)  # (B, P, W, C+M)
        embedded = self.embedding(coeffs)  # (B, P, W, D)
        z0 = embedded.reshape(B * P, W, c.d_model)  # (B*P, W, D): per-view tokens
        query = z0 + self.local_encoder.positions[:W] if c.query_positions else z0  # decoder queries

        # 2. local and global encoders
        local = self.local_encoder(z0, W)  # (B*P, W, D)
        if c.plain:
            out = self._to_frames(self.head(self.decoder(query, local) + query).view(B, P, W, C), x, 2)
            return self._shape(SynSPOutput(out, out, out), single)
        if c.global_encoder:
            g = self.global_encoder(embedded.reshape(B, P * W, c.d_model), W)  # (B, P*W, D)
            g = g.repeat_interleave(P, dim=0)  # (B*P, P*W, D): row b*P+i holds g[b]
        else:
            g = z0  # no cross-view attention: the view's own embedded tokens
        cue = similarity_cue(x) if (c.similarity_cue and c.global_encoder) else 0.0

        # 3. base stage: Position Branch and Acceleration Branch
        memory = torch.cat([local, g + cue], dim=1)  # (B*P, W + P*W, D)
        h = self.base_decoder(query, memory)
        position_layer, acceleration_layer = self._branch_layers()
        h_a = acceleration_layer(h, memory) + query
        h_p = position_layer(h, memory) + query
        y_p = self._to_frames(self.position_head(h_p).view(B, P, W, C), x, 0)
        y_a = self._to_frames(self.acceleration_head(h_a).view(B, P, W, C), x, 1)

        # 4. Pose Quality Encoding (no gradient through the cues)
        extra = 0.0
        if c.pose_quality_encoding:
            yp, ya = y_p.detach(), y_a.detach()
            q = pose_quality(yp, ya)  # (B, P, W)
            own = _own_view_tokens(q) if c.global_encoder else q.reshape(B * P, W, 1)
            extra = own + (similarity_cue((yp + ya) / 2) if (c.similarity_cue and c.global_encoder) else 0.0)

        # 5. refinement stage over the acceleration features and the cues
        if c.refine_branches:  # departure: both branches' features, and a correction of their mean
            memory2 = torch.cat([h_a, h_p, g + extra], dim=1)
            head = self.refinement_head(self.refinement_decoder(query, memory2) + query).view(B, P, W, C)
            if c.frequency_output:
                head = torch.einsum("tk,bpkc->bptc", self.idct, head)
            y = head + (y_p + y_a) / 2
        else:
            memory2 = torch.cat([h_a, g + extra], dim=1)
            y = self._to_frames(self.refinement_head(self.refinement_decoder(query, memory2) + query).view(
                B, P, W, C), x, 2)
        return self._shape(SynSPOutput(y_p, y_a, y), single)

    def _to_frames(self, head: torch.Tensor, x: torch.Tensor, output: int) -> torch.Tensor:
        """A head's ``(B, P, W, C)`` output as poses: optionally inverse-DCT, optionally plus the
        input (through the output's learned per-frequency gain with ``spectral_skip``)."""
        c = self.config
        if c.frequency_output:
            head = torch.einsum("tk,bpkc->bptc", self.idct, head)
        if not c.input_residual:
            return head
        if c.view_mean_skip:  # (B, P, W, C): every view starts from the mean of the views
            x = x.mean(dim=1, keepdim=True).expand_as(x)
        if c.spectral_skip:
            coeffs = torch.einsum("kt,bptc->bpkc", self.dct_ortho, x) * self.spectral_gain[output]
            x = torch.einsum("tk,bpkc->bptc", self.idct, coeffs)
        return head + x

    @staticmethod
    def _shape(out: SynSPOutput, single: bool) -> SynSPOutput:
        return SynSPOutput(*(o[:, 0] for o in out)) if single else out


def synsp_loss(
    out: SynSPOutput, gt: torch.Tensor, w_pos: float = 1.0, w_accel: float = 1.0, causal: bool = False
) -> tuple[torch.Tensor, dict[str, float]]:
    """Equ. 4: per output ``w_pos * L1(pos) + k * w_accel * L1(accel)`` with
    ``k = 0`` (Position Branch), ``1`` (Acceleration Branch), ``0.5`` (final).

    ``causal``: only the window's last frame counts (its position, and the
    acceleration at the last three frames), for zero-delay use.
    """
    if causal:
        out = SynSPOutput(*(o[..., -3:, :] for o in out))
        gt = gt[..., -3:, :]
    terms, total = {}, 0.0
    accel_gt = second_difference(gt)
    for name, y, k in (("position", out.position, 0.0), ("acceleration", out.acceleration, 1.0),
                       ("final", out.final, 0.5)):
        loss = w_pos * ((y - gt)[..., -1:, :] if causal else (y - gt)).abs().mean()
        if k:
            loss = loss + k * w_accel * (second_difference(y) - accel_gt).abs().mean()
        terms[name] = float(loss.detach())
        total = total + loss
    return total, terms
