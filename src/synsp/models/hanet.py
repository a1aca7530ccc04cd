"""HANet: kinematic features, a hierarchical encoder and online mutual learning, all of it in this file.

Paper: Kyung-Min Jin, Byoung-Sung Lim, Gun-Hee Lee, Tae-Kyung Kang, Seong-Whan Lee,
"Kinematic-aware Hierarchical Attention Network for Human Pose Estimation in
Videos", WACV 2023.

HANet is DeciWatch (:mod:`synsp.models.deciwatch`) with three additions: the
keypoints' kinematic features (a local "flow", velocity and acceleration) as
extra inputs, an encoder whose layers grow wider and whose memory combines the
output of *every* layer (multi-scale), and a loss in which the encoder's
refined poses and the decoder's final poses teach each other, per coordinate
channel, whichever is better.  Like DeciWatch it looks only at the sampled
frames ``0, N, 2N, ..., QN`` of a window of ``W = N Q + 1`` frames (the seed's
Table 1 uses ``N = 5``, ``Q = 20``: "1+101").

Notation: ``x`` ``(B, W, C)`` a normalised window, ``s_k = x[k N]`` the ``S = Q + 1``
sampled poses, ``D`` the token width, ``L`` encoder layers.

1. **Kinematic features** (:func:`kinematic_features`), from the sampled poses
   only, in units of one sampling step (``N`` frames); the ends repeat their
   neighbour's value::

       flow          f_k = (s_{k-1} + s_k + s_{k+1}) / 3         (s_{-1} = s_0, s_{Q+1} = s_Q)
       velocity      v_k = s_k - s_{k-1}                          (v_0 = v_1)
       acceleration  a_k = s_{k+1} - 2 s_k + s_{k-1}              (a_0 = a_1, a_Q = a_{Q-1}; 0 when Q = 1)

   A linear trajectory has constant ``v`` and ``a = 0``; a quadratic one constant ``a``.

2. **Hierarchical encoder** (:class:`HierarchicalEncoder`).  Tokens
   ``e_k = Linear_{2C -> D}([s_k ; f_k]) + PE(k N)`` (sinusoids of the frame
   index).  Layer ``l = 1..L`` is a Transformer encoder layer of width
   ``D_l = D g^(l-1)`` (``g = width_growth``, 2 in the paper's code) and
   feed-forward width ``F g^(l-1)``; a linear map widens each layer's output for
   the next::

       z_1 = Layer_1(e),     z_{l+1} = Layer_{l+1}(U_l z_l),      U_l: Linear(D_l, D_{l+1})
       memory  m = (1 / L) sum_l P_l z_l,                        P_l: Linear(D_l, D)

   so the memory holds every layer's attention output, from the narrow first
   one (local, fine) to the wide last one (global, coarse).  The encoder's
   refined poses are ``r = s + H_e(m)`` (``H_e: Linear(D, C)``).

3. **Recovery** as in DeciWatch: ``i = M r``, the linear interpolation of the
   refined samples to all ``W`` frames (:func:`interpolation_matrix`).

4. **Decoder**: tokens ``Conv1d_{C -> D}(i) + PE(t)`` (``recover_kernel`` taps)
   attend to the kinematic memory ``m' = Linear_{D + 2C -> D}([m ; v ; a])``
   (velocity and acceleration supplement the decoder's input, as the paper
   says); ``dec_layers`` Transformer decoder layers; the final poses are
   ``y = i + H_d(h)`` (``H_d: Linear(D, C)``), ``(B, W, C)``.

Loss (:func:`hanet_loss`), with ``y_s = y[:, ::N]`` and ``g`` the ground truth,
per coordinate channel ``c`` (every mean over the batch and the frames named)::

    E_y[c]  = mean_{b,t} |y - g|            (all W frames)
    E_r[c]  = mean_{b,k} |r - g_s|          (the S sampled frames)
    teacher: the encoder teaches channel c when mean_{b,k} |r - g_s| < mean_{b,k} |y_s - g_s|
             (both measured on the sampled frames), else the decoder does
    M[c]    = mean_{b,k} |student - sg(teacher)|     (sg: stop-gradient, only the student moves)
    l_c     = (w_final E_y[c] + w_encoder E_r[c] + w_mutual M[c]) / C
    total   = sum_c l_c + w_hard * mean of the k largest l_c,    k = max(1, 2 floor(C / 4))

The last term is the paper's code's online hard keypoint mining over channels.

Published configuration (the released code's 3D configs; :data:`PRESETS`):
``N = 5``, ``Q = 20``, 5 encoder and 5 decoder layers, 4 heads, feed-forward
256, dropout 0.1, width growth 2, pre-LayerNorm, leaky-ReLU, embedding 64
(Human3.6M), 128 (3DPW) or 32 (AIST++); loss weights ``w_final = LAMADA``
(1 for Human3.6M, up to 5) and ``w_encoder = w_mutual = 1``.  With
``D = 64``, ``g = 2`` the last encoder layer is 1024 wide (about 17 M
parameters in all); ``width_growth = 1`` keeps every layer at ``D``.

Choices made here, where the released code (2D Sub-JHMDB only) differs or the
paper does not say:

* the features use the sampled frames only (the released code also reads the
  two frames next to each sampled one), and the encoder runs on the ``S``
  sampled tokens (the released code runs it on all ``W`` frames with the
  others masked out as keys);
* acceleration enters as the second difference itself (the released code
  squares an embedded difference), and velocity and acceleration are not
  rescaled per channel (a per-channel scale is absorbed by the linear map);
* positions are added once to the input tokens, as in this package's
  DeciWatch (the released code adds normalised sinusoids to queries and keys
  of every layer);
* the teacher is chosen by comparing both branches on the same (sampled)
  frames, and the teacher's output is detached.  In the released loss the
  branches are compared on different frame sets with one normaliser, and the
  L1 distance between them is symmetric and not detached, so both branches
  receive the same pull whichever is named teacher;
* the ``mask`` argument of the synsp network contract is accepted and ignored:
  missing joints are filled before refining (:class:`synsp.refiners.NetworkRefiner`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..validation import SynspInputError
from .deciwatch import interpolation_matrix, sinusoidal_positions, split_sampled_output

__all__ = [
    "HANetConfig",
    "HANet",
    "HANetOutput",
    "HierarchicalEncoder",
    "KinematicDecoder",
    "kinematic_features",
    "mutual_learning",
    "hanet_loss",
    "PRESETS",
    "MAX_WIDTH",
]

#: widest encoder layer a config may ask for (``embed_dim * width_growth^(enc_layers - 1)``); the released
#: Sub-JHMDB configuration reaches 4096
MAX_WIDTH = 8192


@dataclass(frozen=True)
class HANetConfig:
    """Every hyperparameter of a HANet (defaults: the released Human3.6M configuration, window 1+101).

    ``channels``: pose size ``C = J * D`` of every frame (no default: it depends on the skeleton).
    ``interval``: ``N``, one frame in ``N`` is sampled.
    ``q``: ``Q``, the number of intervals in a window.
    ``window``: ``W = interval * q + 1``; leave it ``None`` to derive it, a different value raises.
    ``embed_dim``: token width ``D`` of the first encoder layer and of the decoder.
    ``heads``: attention heads (must divide ``embed_dim``).
    ``ffn``: feed-forward width of the first encoder layer and of the decoder layers.
    ``enc_layers``, ``dec_layers``: depth of the hierarchical encoder and of the decoder.
    ``width_growth``: ``g``; encoder layer ``l`` is ``embed_dim * g^(l-1)`` wide (1: all the same).
    ``dropout``: dropout in the Transformers and on the input tokens.
    ``recover_kernel``: taps of the decoder's Conv1d token embedding (odd).
    ``pre_norm``: LayerNorm before each sub-layer (the released configs) instead of after.
    """

    channels: int
    interval: int = 5
    q: int = 20
    window: int | None = None
    embed_dim: int = 64
    heads: int = 4
    ffn: int = 256
    enc_layers: int = 5
    dec_layers: int = 5
    width_growth: int = 2
    dropout: float = 0.1
    recover_kernel: int = 5
    pre_norm: bool = True

    def __post_init__(self) -> None:
        for name in ("channels", "interval", "q", "embed_dim", "heads", "ffn", "enc_layers", "dec_layers",
                     "width_growth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SynspInputError(f"HANetConfig.{name} must be a positive integer, got {value!r}")
        expected = self.interval * self.q + 1
        if self.window is None:
            object.__setattr__(self, "window", expected)
        elif self.window != expected:
            raise SynspInputError(
                f"HANetConfig.window = {self.window!r} but a HANet window must have "
                f"interval * q + 1 = {self.interval} * {self.q} + 1 = {expected} frames"
            )
        if self.embed_dim % self.heads:
            raise SynspInputError(f"HANetConfig.embed_dim = {self.embed_dim} is not divisible by heads = {self.heads}")
        widest = self.embed_dim * self.width_growth ** (self.enc_layers - 1)
        if widest > MAX_WIDTH:
            raise SynspInputError(
                f"HANetConfig: the last encoder layer would be embed_dim * width_growth^(enc_layers - 1) = "
                f"{self.embed_dim} * {self.width_growth}^{self.enc_layers - 1} = {widest} wide; at most {MAX_WIDTH}"
            )
        k = self.recover_kernel
        if isinstance(k, bool) or not isinstance(k, int) or k < 1 or k % 2 == 0:
            raise SynspInputError(f"HANetConfig.recover_kernel must be a positive odd integer, got {k!r}")
        if isinstance(self.dropout, bool) or not 0.0 <= self.dropout < 1.0:
            raise SynspInputError(f"HANetConfig.dropout must be in [0, 1), got {self.dropout!r}")
        if not isinstance(self.pre_norm, bool):
            raise SynspInputError(f"HANetConfig.pre_norm must be true or false, got {self.pre_norm!r}")

    @property
    def widths(self) -> tuple[int, ...]:
        """Token width of each encoder layer, ``embed_dim * width_growth^l``."""
        return tuple(self.embed_dim * self.width_growth**l for l in range(self.enc_layers))

    @classmethod
    def preset(cls, name: str, channels: int, interval: int = 5, q: int = 20) -> "HANetConfig":
        """The released configuration ``name`` (a key of :data:`PRESETS`) for poses of ``channels``."""
        if name not in PRESETS:
            raise SynspInputError(f"unknown HANet preset {name!r}; expected one of {sorted(PRESETS)}")
        return cls(channels=channels, interval=interval, q=q, **PRESETS[name])

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# Architecture of the released 3D configurations (N = 5, Q = 20); their LAMADA (w_final) is 1 for h36m.
PRESETS: dict[str, dict] = {
    name: dict(embed_dim=dim, heads=4, ffn=256, enc_layers=5, dec_layers=5, width_growth=2, dropout=0.1,
               pre_norm=True)
    for name, dim in (("h36m", 64), ("pw3d", 128), ("aist", 32))
}


# 1. Kinematic features -----------------------------------------------------------------------------------

def kinematic_features(sampled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flow, velocity and acceleration of the sampled poses ``(B, S, C)``, each ``(B, S, C)``.

    Per sampling step, with the ends repeating their neighbour (see the module
    docstring): ``f_k = (s_{k-1} + s_k + s_{k+1}) / 3``, ``v_k = s_k - s_{k-1}``,
    ``a_k = s_{k+1} - 2 s_k + s_{k-1}``.  ``S = 1`` gives zero velocity and
    acceleration; ``S = 2`` zero acceleration.
    """
    if sampled.ndim != 3:
        raise SynspInputError(f"kinematic_features: sampled poses have shape {tuple(sampled.shape)}; expected (B, S, C)")
    s = sampled
    padded = torch.cat([s[:, :1], s, s[:, -1:]], dim=1)  # (B, S+2, C): s_{-1} = s_0, s_{S} = s_{S-1}
    flow = (padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]) / 3.0
    if s.shape[1] < 2:
        zero = torch.zeros_like(s)
        return flow, zero, zero.clone()
    diff = s[:, 1:] - s[:, :-1]  # (B, S-1, C): v_1 .. v_Q
    velocity = torch.cat([diff[:, :1], diff], dim=1)  # v_0 = v_1
    if s.shape[1] < 3:
        return flow, velocity, torch.zeros_like(s)
    second = diff[:, 1:] - diff[:, :-1]  # (B, S-2, C): a_1 .. a_{Q-1}
    acceleration = torch.cat([second[:, :1], second, second[:, -1:]], dim=1)
    return flow, velocity, acceleration


# 2. Hierarchical encoder ---------------------------------------------------------------------------------

def _encoder_layer(width: int, heads: int, ffn: int, dropout: float, pre_norm: bool) -> nn.Module:
    return nn.TransformerEncoderLayer(width, heads, ffn, dropout, activation=F.leaky_relu, batch_first=True,
                                      norm_first=pre_norm)


class HierarchicalEncoder(nn.Module):
    """Encoder layers of growing width whose memory is the mean of every layer's projected output."""

    def __init__(self, config: HANetConfig):
        super().__init__()
        c = config
        widths = c.widths
        self.layers = nn.ModuleList(
            _encoder_layer(w, c.heads, c.ffn * c.width_growth**l, c.dropout, c.pre_norm) for l, w in enumerate(widths)
        )
        self.widen = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))  # U_l
        self.project = nn.ModuleList(nn.Linear(w, c.embed_dim) for w in widths)  # P_l

    def forward(self, tokens: torch.Tensor, return_layers: bool = False):
        """``tokens: (B, S, D)`` -> memory ``(B, S, D)``; with ``return_layers`` also the list of ``z_l``."""
        layers = []
        h = tokens
        for l, layer in enumerate(self.layers):
            if l > 0:
                h = self.widen[l - 1](h)
            h = layer(h)
            layers.append(h)
        memory = torch.stack([p(z) for p, z in zip(self.project, layers)]).mean(dim=0)
        return (memory, layers) if return_layers else memory


# 4. Decoder ----------------------------------------------------------------------------------------------

class KinematicDecoder(nn.Module):
    """Transformer decoder over the interpolated window attending to ``[memory ; velocity ; acceleration]``."""

    def __init__(self, config: HANetConfig):
        super().__init__()
        c = config
        k = c.recover_kernel
        self.token_embedding = nn.Conv1d(c.channels, c.embed_dim, k, padding=k // 2)  # "same" length
        self.kinematic_memory = nn.Linear(c.embed_dim + 2 * c.channels, c.embed_dim)
        self.dropout = nn.Dropout(c.dropout)
        layer = nn.TransformerDecoderLayer(c.embed_dim, c.heads, c.ffn, c.dropout, activation=F.leaky_relu,
                                           batch_first=True, norm_first=c.pre_norm)
        self.decoder = nn.TransformerDecoder(layer, c.dec_layers, norm=nn.LayerNorm(c.embed_dim) if c.pre_norm else None)
        self.pose_head = nn.Linear(c.embed_dim, c.channels)

    def forward(self, interpolated: torch.Tensor, memory: torch.Tensor, velocity: torch.Tensor,
                acceleration: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """``interpolated (B, W, C)``, memory ``(B, S, D)``, velocity/acceleration ``(B, S, C)``,
        positions ``(W, D)`` -> final poses ``(B, W, C)``."""
        tokens = self.token_embedding(interpolated.transpose(1, 2)).transpose(1, 2)  # (B, W, D)
        tokens = self.dropout(tokens + positions)
        kin = self.kinematic_memory(torch.cat([memory, velocity, acceleration], dim=-1))  # (B, S, D)
        h = self.decoder(tokens, kin)  # (B, W, D)
        return interpolated + self.pose_head(h)


# The network ---------------------------------------------------------------------------------------------

class HANetOutput(NamedTuple):
    """Both branches: the decoder's final poses and the encoder's refined sampled poses."""

    final: torch.Tensor  # (B, W, C)
    encoder: torch.Tensor  # (B, Q+1, C), at frames 0, N, ..., QN


class HANet(nn.Module):
    """Refine windows ``x: (B, W, C)`` -> ``(B, W, C)`` from the sampled frames ``x[:, ::interval]``."""

    def __init__(self, config: HANetConfig):
        super().__init__()
        self.config = c = config
        self.pose_embedding = nn.Linear(2 * c.channels, c.embed_dim)  # [s ; f] -> D
        self.dropout = nn.Dropout(c.dropout)
        self.encoder = HierarchicalEncoder(c)
        self.encoder_head = nn.Linear(c.embed_dim, c.channels)  # H_e
        self.decoder = KinematicDecoder(c)
        self.register_buffer("positions", sinusoidal_positions(c.window, c.embed_dim), persistent=False)
        self.register_buffer("interpolation", interpolation_matrix(c.interval, c.q), persistent=False)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None,
                return_encoder: bool = False) -> torch.Tensor | HANetOutput:
        """``x: (B, W, C)`` normalised windows -> final poses ``(B, W, C)``; ``mask`` is ignored.

        With ``return_encoder=True`` returns :class:`HANetOutput` ``(final,
        encoder)``, the pair :func:`hanet_loss` takes.
        """
        self._check_input(x)
        n = self.config.interval
        sampled = x[:, ::n]  # (B, S, C)
        flow, velocity, acceleration = kinematic_features(sampled)
        tokens = self.dropout(self.pose_embedding(torch.cat([sampled, flow], dim=-1)) + self.positions[::n])
        memory = self.encoder(tokens)  # (B, S, D)
        refined = sampled + self.encoder_head(memory)  # (B, S, C)
        interpolated = torch.einsum("ws,bsc->bwc", self.interpolation, refined)  # (B, W, C)
        final = self.decoder(interpolated, memory, velocity, acceleration, self.positions)
        return HANetOutput(final, refined) if return_encoder else final

    def _check_input(self, x: torch.Tensor) -> None:
        c = self.config
        if x.ndim != 3:
            raise SynspInputError(f"HANet input has shape {tuple(x.shape)} ({x.ndim}-d); expected windows (B, W, C)")
        if x.shape[1] != c.window:
            raise SynspInputError(
                f"HANet input has W = {x.shape[1]} frames (shape {tuple(x.shape)}); expected "
                f"interval * q + 1 = {c.interval} * {c.q} + 1 = {c.window} frames"
            )
        if x.shape[2] != c.channels:
            raise SynspInputError(
                f"HANet input has C = {x.shape[2]} channels (shape {tuple(x.shape)}); "
                f"this model was configured for C = {c.channels}"
            )


# Loss: online mutual learning ----------------------------------------------------------------------------

def mutual_learning(final_sampled: torch.Tensor, encoder: torch.Tensor,
                    gt_sampled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The online mutual learning term per channel, ``(C,)``, and the teacher choice, ``(C,)`` bool.

    All three inputs are ``(B, S, C)`` on the sampled frames.  Channel ``c`` is
    taught by the encoder (``True``) when its mean absolute error there is
    strictly lower than the decoder's, else by the decoder.  The term is
    ``mean_{b,k} |student - teacher|`` with the teacher detached, so only the
    worse branch of each channel receives its gradient.
    """
    with torch.no_grad():
        encoder_error = (encoder - gt_sampled).abs().mean(dim=(0, 1))  # (C,)
        final_error = (final_sampled - gt_sampled).abs().mean(dim=(0, 1))
        encoder_teaches = encoder_error < final_error
    final_learns = (final_sampled - encoder.detach()).abs().mean(dim=(0, 1))
    encoder_learns = (encoder - final_sampled.detach()).abs().mean(dim=(0, 1))
    return torch.where(encoder_teaches, final_learns, encoder_learns), encoder_teaches


def hanet_loss(pred: tuple[torch.Tensor, torch.Tensor], gt: torch.Tensor, w_final: float = 1.0,
               w_encoder: float = 1.0, w_mutual: float = 1.0,
               w_hard: float = 1.0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """HANet's loss (module docstring): both branches against ``gt``, mutual learning, hard channels.

    ``pred`` is ``(final (B, W, C), encoder (B, Q+1, C))`` as returned by
    ``HANet.forward(x, return_encoder=True)``; ``gt`` is ``(B, W, C)``; the
    interval is read from the shapes, ``N = (W - 1) / Q``.  Returns ``(total,
    terms)``: ``final``, ``encoder``, ``mutual`` (means over all elements),
    ``hard`` (the mean of the ``k`` largest per-channel losses), all unweighted
    and detached, and ``encoder_teaches`` ``(C,)`` bool, the teacher choice.
    """
    final, encoder, n = split_sampled_output(pred, gt, "hanet_loss", ("final", "encoder"),
                                             "HANet.forward(x, return_encoder=True)")
    gt_s = gt[:, ::n]
    e_final = (final - gt).abs().mean(dim=(0, 1))  # (C,)
    e_encoder = (encoder - gt_s).abs().mean(dim=(0, 1))
    mutual, encoder_teaches = mutual_learning(final[:, ::n], encoder, gt_s)
    C = gt.shape[2]
    per_channel = (w_final * e_final + w_encoder * e_encoder + w_mutual * mutual) / C  # l_c
    k = max(1, 2 * (C // 4))
    hard = torch.topk(per_channel, k).values.mean()
    total = per_channel.sum() + w_hard * hard
    terms = {"final": e_final.mean().detach(), "encoder": e_encoder.mean().detach(),
             "mutual": mutual.mean().detach(), "hard": hard.detach(), "encoder_teaches": encoder_teaches}
    return total, terms
