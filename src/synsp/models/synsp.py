"""SynSP: Synergy of Smoothness and Precision in pose-sequence refinement (CVPR 2024), in one file.

Reads top to bottom like the paper.  The input is a window of ``W`` frames of
``C`` channels, normalised by the caller (:mod:`synsp.normalization`): for
positions ``C = (J + 1) * D``, ``J`` joints and the trajectory token (the
root's path, split off by the normalisation) of ``D`` coordinates each; for
rotations ``C = J * 6``.  One view is ``(B, W, C)``; ``P`` views or persons at
once are ``(B, P, W, C)``.  Below, ``d_model`` is the width of the tokens
(never ``D``).

1. **Embedding**: DCT-II along time (unnormalised, as the official code), then
   a linear embedding to ``d_model``; token ``k`` is the ``k``-th DCT coefficient.
2. **Local temporal encoder**, per view, and **global encoder**, attending over
   all views x tokens.  The **similarity cue** ``S[i, j, f] = exp(-mean_c (x_j - x_i)^2)``
   (view ``j`` seen from view ``i`` at frame ``f``, :func:`similarity_cue`) is
   added to the global memory; inputs are normalised, so the cue means the
   same for pixels and metres.
3. **Base stage**: a decoder from the embedded input to the memory
   ``[local ; global + S]``, then two branches, each a last decoding layer and
   a head: the :class:`PositionBranch` (trained on position only) and the
   :class:`AccelerationBranch` (trained on position and acceleration).
4. :class:`PoseQualityEncoding`: the detached disagreement ``d = (y_p - y_a) / 2``
   becomes a per-frame quality score
   ``q[f] = mean_c exp(-(|d[f,c]| + 1e-6) / (max_f' |d[f',c]| + 1e-5))``, in
   ``(e^-1, 1)`` (:func:`pose_quality`), added to the view's own global memory
   tokens together with the similarity cue recomputed on the branches' mean.
5. :class:`RefinementStage`: a second decoder over ``[acceleration features ;
   global + S' + Q]`` and a head give the final output.

``forward`` always returns ``SynSPOutput(position, acceleration, final)`` with
the input's shape (the official order flips with the input rank: notes B1).
:func:`synsp_loss` is the paper's Equ. 4 with the second difference taken along
time for every input rank (the official multi-view loss takes it across views:
notes B2).  Official checkpoints load through :mod:`synsp.models.official`
into ``SynSPConfig.official(...)``; the configurations ``synsp train --size``
names are :data:`SIZES` (``SynSPConfig.named("small", ...)``).

Every switch of :class:`SynSPConfig`, why it exists and which model turns it
on.  ``SynSPConfig()`` has them all at the paper's setting; every shipped
model is the ``small`` size with ``input_residual`` and the mask channels
(``synsp train`` with no flags), some with one or two switches more.  "Shipped"
names the ``synsp-*`` cards in ``src/synsp/weights`` (their ``config``); a test
checks these lists against the cards.

* ``mask_channels`` -- the missing-joint flags enter as extra input channels
  (embedded with the coordinates, never refined), so the network knows which
  joints were filled in.  Not in the paper (its inputs have no gaps).
  Shipped: all.
* ``input_residual`` -- each output is the input plus what the heads predict,
  a correction, so training starts near the input.  Not in the paper; the
  official architecture at the small size, without it, ended 41 % worse than
  its input on a CPU budget (docs/results.md).  ``synsp train`` turns it on
  (``--residual``, ``TrainConfig.residual``).  Shipped: all.
* ``frequency_output`` -- the heads predict DCT coefficients, turned into
  frames by the inverse DCT; the official code feeds DCT coefficients in and
  takes the heads' output as frames without an inverse (notes B4).
  Shipped: all.
* ``query_positions`` -- the decoder queries carry their token's sinusoidal
  position (the official queries carry none, so the decoder cannot tell the
  frequencies apart but by their values).  Shipped: all.
* ``spectral_skip`` -- with ``input_residual``, the input reaches each output
  through a learned gain per DCT frequency and channel (a learnable low-pass
  that starts as the identity), one gain set per output.  Shipped: all.
* ``refine_branches`` -- the refinement stage attends to both branches'
  features and predicts a correction of the branches' mean (the paper's
  attends to the Acceleration Branch's features only and, here, followed that
  branch); the final output then starts from that mean, not from the input
  (its ``spectral_skip`` gains go unused).
  Shipped: synsp-h36m17-3d-w8, synsp-h36m17-3d-w8-causal, synsp-h36m17-3d-w8-p4, synsp-smpl24-rot-w8.
* ``zero_heads`` -- the heads' last layers start at zero: with
  ``input_residual`` every output starts as the input (rotations from a
  random start were far from any pose and trained slowly).
  Shipped: synsp-coco17-2d-w8-accurate, synsp-h36m17-3d-w8, synsp-h36m17-3d-w8-causal,
  synsp-h36m17-3d-w8-p4, synsp-smpl24-rot-w8.
* ``view_mean_skip`` -- with several views of one person, every view's
  residual starts from the mean of the views, so the network learns the
  correction to the fused pose (with the views normalised together).
  Shipped: synsp-h36m17-3d-w8-p4.
* ``shared_last_layer`` -- the two branches run the base decoder's last layer
  again instead of one last layer each, as the official code does (notes B3);
  set by ``SynSPConfig.official`` for official checkpoints, and the
  ``shared-decoder`` ablation.  Shipped: none.
* ``pose_quality_encoding`` (off: no quality scores in the refinement
  memory), ``similarity_cue`` (off: no cue on the global memory) and
  ``global_encoder`` (off: the view's own embedded tokens instead of the
  global encoder, and no cues across views) -- the paper's ablations
  (``benchmarks/train_ablations.sh``, ``benchmarks/train_robust_ablations.sh``,
  the multi-view ablation in docs/results.md).  Shipped: none.
* ``plain`` -- the plain-transformer ablation of the same size (one encoder,
  one decoder, one head, no branches or cues): :func:`build_network` builds a
  :class:`PlainTransformer` for it.  Shipped: none.

Checkpoints written before the branches and the refinement stage were modules
name their tensors ``position_last.*``, ``position_head.*``, ...,
``refinement_head.*`` (every shipped ``synsp-*.safetensors`` does):
:func:`upgrade_state_dict` renames them (:data:`LEGACY_NAMES`), and
``SynSP.load_state_dict`` and :func:`synsp.models.checkpoint.load_model` apply it.
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

__all__ = ["SynSPConfig", "SIZES", "SynSPOutput", "OUTPUTS", "SynSP", "PlainTransformer", "build_network",
           "PositionBranch", "AccelerationBranch", "PoseQualityEncoding", "RefinementStage", "synsp_loss",
           "pose_quality", "similarity_cue", "LEGACY_NAMES", "upgrade_state_dict"]

#: named sizes (``synsp train --size``, ``SynSPConfig.named``): settings over ``SynSPConfig()``'s defaults
SIZES: dict[str, dict[str, int | bool]] = {
    # CPU-sized SynSP used for the shipped models (about 0.5 M parameters), with the departures that make it
    # learn on a CPU budget (see the module docstring): frequency-domain heads, positions on the decoder queries
    # and a learned per-frequency skip of the input
    "small": dict(d_model=64, d_inner=128, n_layers=3, n_head=4, d_k=16, d_v=16, frequency_output=True,
                  query_positions=True, spectral_skip=True),
    # the small size without those departures (the official architecture, scaled down)
    "small-plain": dict(d_model=64, d_inner=128, n_layers=3, n_head=4, d_k=16, d_v=16),
    # the official hyperparameters (about 3.1 M parameters with the paper's separate branch layers;
    # SynSPConfig.official() is the official code exactly, with the shared last layer)
    "official": {},
}


@dataclass
class SynSPConfig:
    """Every hyperparameter of the network (defaults: the official ones, W = 8, and the paper's separate
    branch layers).  The switches are described in the module docstring."""

    window: int = 8  # W frames
    channels: int = 51  # C refined channels: (J + 1) * D with the trajectory token (51 = 17 x 3: none, official)
    mask_channels: int = 0  # extra input channels (missing-joint flags, J + 1), not refined
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
    plain: bool = False  # ablation: one encoder + one decoder, no branches or cues (PlainTransformer)
    view_mean_skip: bool = False  # several views in one frame: the residual starts from the views' mean
    refine_branches: bool = False  # refinement stage reads both branches' features and corrects their mean
    zero_heads: bool = False  # heads' last layers start at 0: with input_residual every output starts as the input

    def __post_init__(self) -> None:
        for name in ("d_model", "d_inner", "n_layers", "n_head", "d_k", "d_v", "max_positions"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SynspInputError(f"SynSPConfig.{name} must be a positive integer, got {value!r}")
        if not 1 <= self.window <= self.max_positions:
            raise SynspInputError(f"window must be in 1..{self.max_positions}, got {self.window}")
        if self.channels < 1 or self.mask_channels < 0:
            raise SynspInputError(f"channels must be >= 1 and mask_channels >= 0, got "
                                  f"{self.channels} and {self.mask_channels}")

    @classmethod
    def official(cls, channels: int = 51, window: int = 8, **kw) -> "SynSPConfig":
        """The configuration that reproduces ``Models_inf.Transformer`` exactly."""
        return cls(channels=channels, window=window, shared_last_layer=True, **kw)

    @classmethod
    def named(cls, size: str, **kw) -> "SynSPConfig":
        """The configuration of a named size (:data:`SIZES`), e.g. ``named("small", channels=54,
        mask_channels=18, input_residual=True)`` is the shipped models' network; ``kw`` override."""
        if size not in SIZES:
            raise SynspInputError(f"unknown SynSP size {size!r}; expected one of {', '.join(sorted(SIZES))}")
        return cls(**{**SIZES[size], **kw})

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class SynSPOutput(NamedTuple):
    """The three outputs, always in this order and with the input's shape."""

    position: torch.Tensor  # Position Branch (base stage)
    acceleration: torch.Tensor  # Acceleration Branch (base stage)
    final: torch.Tensor  # Refinement stage


#: the outputs' names, in the order of :class:`SynSPOutput` (and of ``spectral_gain``'s first axis)
OUTPUTS: tuple[str, ...] = SynSPOutput._fields


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
    """Tokens ``(N, W, d_model)`` -> ``(N, W, C)``: two linear layers, as the official ``proj_o_*``."""
    return nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.Linear(2 * d_model, channels))


def _xavier(*modules: nn.Module | None) -> None:
    """Xavier-uniform on every matrix of ``modules`` (as the official code), in the order given: the order
    fixes which random numbers each matrix gets, so a seeded network starts where earlier versions did."""
    for module in modules:
        for p in module.parameters() if module is not None else ():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)


def _zero_last_layers(*heads: nn.Sequential) -> None:
    for head in heads:
        nn.init.zeros_(head[-1].weight)
        nn.init.zeros_(head[-1].bias)


class _Branch(nn.Module):
    """A base-stage branch: a last decoding layer over the base decoder's tokens, then a head.

    ``last`` is None with ``shared_last_layer`` (the official code): the branch then runs the base
    decoder's last layer, passed to :meth:`forward`, which it does not own."""

    def __init__(self, last: DecoderLayer | None, head: nn.Sequential):
        super().__init__()
        self.last = last
        self.head = head

    def forward(self, h: torch.Tensor, memory: torch.Tensor, query: torch.Tensor,
                shared_last: DecoderLayer | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``h`` and ``query`` ``(B*P, W, d_model)``, ``memory`` ``(B*P, L, d_model)`` -> the branch's features
        ``(B*P, W, d_model)`` (read by the refinement stage) and its head's output ``(B*P, W, C)``."""
        layer = self.last if self.last is not None else shared_last
        features = layer(h, memory) + query
        return features, self.head(features)


class PositionBranch(_Branch):
    """The Position Branch of the base stage: trained on position only (``k = 0`` in :func:`synsp_loss`), the
    precise output."""


class AccelerationBranch(_Branch):
    """The Acceleration Branch of the base stage: trained on position and acceleration (``k = 1`` in
    :func:`synsp_loss`), the smooth output; its features are the refinement stage's memory."""


class PoseQualityEncoding(nn.Module):
    """What the branches' disagreement adds to the refinement stage's global memory (no gradient flows back):
    each view's per-frame quality :func:`pose_quality` on its own tokens and, across views, the similarity cue
    of the branches' mean.

    ``across_views`` False (no global encoder): the memory holds only the view's own ``W`` tokens, and no cue."""

    def __init__(self, across_views: bool = True, similarity: bool = True):
        super().__init__()
        self.across_views, self.similarity = across_views, similarity and across_views

    def forward(self, position: torch.Tensor, acceleration: torch.Tensor) -> torch.Tensor:
        """``(B, P, W, C)`` outputs of the two branches -> ``(B*P, P*W, 1)`` (``(B*P, W, 1)`` within one view)."""
        yp, ya = position.detach(), acceleration.detach()
        B, P, W, _ = yp.shape
        q = pose_quality(yp, ya)  # (B, P, W)
        own = _own_view_tokens(q) if self.across_views else q.reshape(B * P, W, 1)
        return own + (similarity_cue((yp + ya) / 2) if self.similarity else 0.0)


class RefinementStage(nn.Module):
    """The refinement stage: a decoder from the queries to the base stage's features and the quality-encoded
    global memory, then a head."""

    def __init__(self, decoder: Decoder, head: nn.Sequential):
        super().__init__()
        self.decoder = decoder
        self.head = head

    def forward(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """``query`` ``(B*P, W, d_model)``, ``memory`` ``(B*P, L, d_model)`` -> ``(B*P, W, C)``."""
        return self.head(self.decoder(query, memory) + query)


class _WindowNetwork(nn.Module):
    """What SynSP and its plain-transformer ablation share: the DCT, the embedding, the local encoder, the
    input checks, and turning a head's output into poses (inverse DCT, residual, spectral skip)."""

    def __init__(self, config: SynSPConfig):
        super().__init__()
        self.config = c = config
        self.layer_args = (c.d_model, c.d_inner, c.n_head, c.d_k, c.d_v, c.dropout, c.attn_dropout)
        for name, matrix in (("dct", dct_matrix(c.window, norm=None)), ("idct", idct_matrix(c.window, norm="ortho")),
                             ("dct_ortho", dct_matrix(c.window, norm="ortho"))):
            self.register_buffer(name, torch.tensor(matrix, dtype=torch.float32), persistent=False)
        if c.spectral_skip:  # one gain per output (OUTPUTS order), frequency and channel, starting as the identity
            self.spectral_gain = nn.Parameter(torch.ones(len(OUTPUTS), c.window, c.channels))
        self.embedding = nn.Sequential(nn.Linear(c.channels + c.mask_channels, c.d_model),
                                       nn.Linear(c.d_model, c.d_model))
        self.local_encoder = Encoder(c.n_layers, *self.layer_args, c.max_positions)

    def _inputs(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """``x`` as ``(B, P, W, C)`` float, the network input ``(B, P, W, C + M)`` (mask channels appended) and
        whether ``x`` was one view ``(B, W, C)``."""
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
        inp = x if mask is None else torch.cat([x, mask.to(x.dtype)], dim=-1)
        if inp.shape[-1] != x.shape[-1] + c.mask_channels:
            raise SynspInputError(f"mask has {inp.shape[-1] - x.shape[-1]} channels; the model expects "
                                  f"{c.mask_channels}")
        return x, inp, single

    def _embed(self, inp: torch.Tensor) -> torch.Tensor:
        """Step 1: ``(B, P, W, C + M)`` -> DCT coefficients -> tokens ``(B, P, W, d_model)``."""
        coeffs = torch.einsum("kt,bptc->bpkc", self.dct, inp)  # (B, P, W, C+M): token k = coefficient k
        return self.embedding(coeffs)

    def _queries(self, tokens: torch.Tensor) -> torch.Tensor:
        """The decoders' queries: the embedded tokens ``(B*P, W, d_model)``, with ``query_positions`` plus their
        positions."""
        W = tokens.shape[1]
        return tokens + self.local_encoder.positions[:W] if self.config.query_positions else tokens

    def _from_frequency(self, head: torch.Tensor) -> torch.Tensor:
        """A head's ``(B, P, W, C)``: with ``frequency_output`` DCT coefficients, turned into frames."""
        return torch.einsum("tk,bpkc->bptc", self.idct, head) if self.config.frequency_output else head

    def _skip(self, x: torch.Tensor, output: str) -> torch.Tensor:
        """Where ``output``'s residual starts: the input ``(B, P, W, C)``, or the views' mean with
        ``view_mean_skip``, through ``output``'s per-frequency gain with ``spectral_skip``."""
        c = self.config
        if c.view_mean_skip:  # (B, P, W, C): every view starts from the mean of the views
            x = x.mean(dim=1, keepdim=True).expand_as(x)
        if c.spectral_skip:
            coeffs = torch.einsum("kt,bptc->bpkc", self.dct_ortho, x) * self.spectral_gain[OUTPUTS.index(output)]
            x = torch.einsum("tk,bpkc->bptc", self.idct, coeffs)
        return x

    def _to_frames(self, head: torch.Tensor, x: torch.Tensor, output: str) -> torch.Tensor:
        """A head's ``(B, P, W, C)`` output as the poses of ``output`` (one of :data:`OUTPUTS`): inverse DCT
        with ``frequency_output``, plus the residual's start with ``input_residual``."""
        frames = self._from_frequency(head)
        return frames + self._skip(x, output) if self.config.input_residual else frames

    @staticmethod
    def _shape(out: SynSPOutput, single: bool) -> SynSPOutput:
        return SynSPOutput(*(o[:, 0] for o in out)) if single else out


class SynSP(_WindowNetwork):
    """The SynSP network (module docstring); ``SynSPConfig(plain=True)`` is :class:`PlainTransformer`, built by
    :func:`build_network`."""

    def __init__(self, config: SynSPConfig):
        if config.plain:
            raise SynspInputError("plain=True is the plain-transformer ablation: build it with "
                                  "synsp.models.synsp.build_network(config) (a PlainTransformer)")
        super().__init__(config)
        c, args = config, self.layer_args
        # 2. encoders
        if c.global_encoder:
            self.global_encoder = Encoder(c.n_layers, *args, c.max_positions)
        # 3. base stage: a shared stack, then the Position and Acceleration Branches (their last layers are
        # built before their heads, as in earlier versions: the seeded start stays the same)
        self.base_decoder = Decoder(c.n_layers, *args)
        position_last, acceleration_last = (None, None) if c.shared_last_layer else (DecoderLayer(*args),
                                                                                    DecoderLayer(*args))
        self.position_branch = PositionBranch(position_last, _head(c.d_model, c.channels))
        self.acceleration_branch = AccelerationBranch(acceleration_last, _head(c.d_model, c.channels))
        # 4. Pose Quality Encoding (no parameters)
        self.pose_quality_encoding = PoseQualityEncoding(c.global_encoder, c.similarity_cue) \
            if c.pose_quality_encoding else None
        # 5. refinement stage
        self.refinement = RefinementStage(Decoder(c.n_layers, *args), _head(c.d_model, c.channels))
        _xavier(self.embedding, self.local_encoder, getattr(self, "global_encoder", None), self.base_decoder,
                position_last, acceleration_last, self.position_branch.head, self.acceleration_branch.head,
                self.refinement)
        if c.zero_heads:  # e.g. rotations, where a random start is far from any rotation
            _zero_last_layers(self.position_branch.head, self.acceleration_branch.head, self.refinement.head)
        self.register_load_state_dict_pre_hook(_rename_legacy_tensors)

    # the heads under the names of earlier versions (scripts and tests use them)
    position_head = property(lambda self: self.position_branch.head)
    acceleration_head = property(lambda self: self.acceleration_branch.head)
    refinement_head = property(lambda self: self.refinement.head)

    @staticmethod
    def upgrade_state_dict(state: dict) -> dict:
        """A checkpoint's tensors under this version's names (:func:`upgrade_state_dict`)."""
        return upgrade_state_dict(state)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> SynSPOutput:
        """``x`` ``(B, W, C)`` or ``(B, P, W, C)``; ``mask`` the same with ``mask_channels``."""
        c = self.config
        x, inp, single = self._inputs(x, mask)
        B, P, W, C = x.shape

        # 1. embedding of DCT coefficients
        embedded = self._embed(inp)  # (B, P, W, d_model)
        z0 = embedded.reshape(B * P, W, c.d_model)  # (B*P, W, d_model): per-view tokens
        query = self._queries(z0)

        # 2. local and global encoders, similarity cue
        local = self.local_encoder(z0, W)  # (B*P, W, d_model)
        if c.global_encoder:
            g = self.global_encoder(embedded.reshape(B, P * W, c.d_model), W)  # (B, P*W, d_model)
            g = g.repeat_interleave(P, dim=0)  # (B*P, P*W, d_model): row b*P+i holds g[b]
        else:
            g = z0  # no cross-view attention: the view's own embedded tokens
        cue = similarity_cue(x) if (c.similarity_cue and c.global_encoder) else 0.0

        # 3. base stage: the Position Branch and the Acceleration Branch
        memory = torch.cat([local, g + cue], dim=1)  # (B*P, W + P*W, d_model)
        h = self.base_decoder(query, memory)
        shared = self.base_decoder.layers[-1] if c.shared_last_layer else None
        h_a, head_a = self.acceleration_branch(h, memory, query, shared)  # first: dropout draws as before
        h_p, head_p = self.position_branch(h, memory, query, shared)
        y_p = self._to_frames(head_p.view(B, P, W, C), x, "position")
        y_a = self._to_frames(head_a.view(B, P, W, C), x, "acceleration")

        # 4. Pose Quality Encoding (no gradient through the cues)
        extra = self.pose_quality_encoding(y_p, y_a) if self.pose_quality_encoding is not None else 0.0

        # 5. refinement stage over the acceleration features and the cues
        if c.refine_branches:  # departure: both branches' features, and a correction of their mean
            head = self.refinement(query, torch.cat([h_a, h_p, g + extra], dim=1)).view(B, P, W, C)
            y = self._from_frequency(head) + (y_p + y_a) / 2
        else:
            head = self.refinement(query, torch.cat([h_a, g + extra], dim=1)).view(B, P, W, C)
            y = self._to_frames(head, x, "final")
        return self._shape(SynSPOutput(y_p, y_a, y), single)


class PlainTransformer(_WindowNetwork):
    """The ablation "plain transformer, same size" (``SynSPConfig(plain=True)``): SynSP's embedding and local
    encoder, one decoder over the local memory and one head; no branches, no quality encoding, no cues.  Its
    three outputs are the same tensor (with ``spectral_skip``, the final output's gains; the other two go
    unused).  Tensor names are those of every earlier version."""

    def __init__(self, config: SynSPConfig):
        if not config.plain:
            raise SynspInputError("PlainTransformer needs SynSPConfig(plain=True); build_network picks the class")
        super().__init__(config)
        c = config
        self.decoder = Decoder(c.n_layers, *self.layer_args)
        self.head = _head(c.d_model, c.channels)
        _xavier(self.embedding, self.local_encoder, self.decoder, self.head)
        if c.zero_heads:
            _zero_last_layers(self.head)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> SynSPOutput:
        """``x`` ``(B, W, C)`` or ``(B, P, W, C)``; ``mask`` the same with ``mask_channels``."""
        c = self.config
        x, inp, single = self._inputs(x, mask)
        B, P, W, C = x.shape
        z0 = self._embed(inp).reshape(B * P, W, c.d_model)
        query = self._queries(z0)
        local = self.local_encoder(z0, W)
        out = self._to_frames(self.head(self.decoder(query, local) + query).view(B, P, W, C), x, "final")
        return self._shape(SynSPOutput(out, out, out), single)


def build_network(config: SynSPConfig) -> SynSP | PlainTransformer:
    """The network of a SynSP configuration: :class:`PlainTransformer` for the ``plain`` ablation, else
    :class:`SynSP` (what a model card of architecture ``synsp`` builds)."""
    return PlainTransformer(config) if config.plain else SynSP(config)


#: tensor names of checkpoints written before the branches and the refinement stage were modules (every shipped
#: ``synsp-*.safetensors`` keeps them; the values are the same): old prefix -> new prefix
LEGACY_NAMES: tuple[tuple[str, str], ...] = (
    ("position_last.", "position_branch.last."),
    ("position_head.", "position_branch.head."),
    ("acceleration_last.", "acceleration_branch.last."),
    ("acceleration_head.", "acceleration_branch.head."),
    ("refinement_decoder.", "refinement.decoder."),
    ("refinement_head.", "refinement.head."),
)


def _current_name(key: str) -> str:
    for old, new in LEGACY_NAMES:
        if key.startswith(old):
            return new + key[len(old):]
    return key


def upgrade_state_dict(state: dict) -> dict:
    """A SynSP state_dict (or safetensors header) with :data:`LEGACY_NAMES` renamed; current names and values
    are kept as they are."""
    return {_current_name(k): v for k, v in state.items()}


def _rename_legacy_tensors(module, state_dict, prefix, *_) -> None:
    """``load_state_dict`` pre-hook of :class:`SynSP`: legacy tensor names (under the module's prefix) renamed
    in place (``load_state_dict`` hands hooks its own copy of the dict)."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        new = prefix + _current_name(key[len(prefix):])
        if new != key and new not in state_dict:
            state_dict[new] = state_dict.pop(key)


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
