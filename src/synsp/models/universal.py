"""Universal SynSP: one network for any joint set, 2D or 3D (the paper's future work).

SynSP's tokens are frames whose features are the whole pose, so its weights
fix the joint order, the joint count and the dimension.  Here the tokens are
**joints**: every joint's trajectory over the window (its ``W`` frames in the
DCT domain, 2D points padded with a zero depth and flagged) is one token, and
attention runs **across joints** while the time axis lives inside each token.
Nothing in the weights depends on ``J`` or on which joint is which: a joint is
known by what it does (where it sits relative to the body's centroid and how
it moves), so a skeleton never seen in training is refined by the same
weights.  The window is normalised by :func:`synsp.normalization.normalize_windows`
with the centroid of all joints as the root (:data:`synsp.normalization.CENTROID`),
so the root trajectory arrives as one more token, flagged as such.

With ``rotations=True`` the same weights also take **joint rotations** as 6D
vectors (``dims`` 6, e.g. SMPL's 24 local rotations): a rotation's two stored
columns are two unit vectors in 3D, so each becomes a token of 3 coordinates
like a point's, flagged as a rotation column (no trajectory token; the windows
are normalised by :func:`synsp.normalization.normalize_rotation_windows`, the
refined columns are projected back onto rotations by Gram-Schmidt).  A model
trained without rotations is widened by :meth:`UniversalSynSP.load_state_without_rotations`.

The paper's stages, as in :mod:`synsp.models.synsp`:

1. **Embedding**: per token, DCT-II along time of its ``3`` coordinates, its
   missing-joint flags and two flags (trajectory token, 2D input) -> ``d_model``.
   With ``joint_structure`` a token also takes where its joint sits when the
   skeleton is known (``forward``'s ``structure``: depth in the kinematic tree,
   extremity, side, and the DCT coefficients of its bone to the parent; all
   zero for a joint set of unknown structure): the issue's optional joint
   identity.  Trained and measured, not shipped (docs/results.md).
2. **Encoder**: ``n_layers`` self-attention layers across the window's tokens.
3. **Base stage**: the **Position Branch** and the **Acceleration Branch**, each
   one more attention layer and a head predicting a correction of the input's
   DCT coefficients (``y = x + IDCT(head)``; the heads' last layers start at
   0, so an untrained network returns its input: "first, do no harm").
4. **Pose Quality Encoding**: the detached disagreement ``d = |y_p - y_a| / 2``
   becomes a per-joint, per-frame quality ``q = mean_D exp(-(d + 1e-6) / (max_t d + 1e-5))``
   in ``(e^-1, 1)`` (the paper's score, per joint instead of per frame); each
   token gets an embedding of its own scores and of the frame scores (their
   mean over the joints).
5. **Refinement stage**: ``n_refine_layers`` decoder layers from the
   acceleration features plus the quality embedding to a memory of both
   branches' features; its head corrects the branches' mean.
6. **Several views** (``view_consensus``; ``forward(..., views=P)`` with the P
   synchronised 3D views of each window side by side, normalised together):
   every token also embeds the other views' input of its joint (their mean
   where they saw it, relative to its own), the refinement stage's queries
   get an embedding of the other views' base-stage output, and a last head
   moves each token towards that output by a learned gain per coordinate and
   frequency (starting at zero: a one-view model widened by
   :meth:`UniversalSynSP.load_state_without_view_consensus` starts as it was).
   Attention itself stays within a view; what crosses views is the consensus.

``forward`` returns :class:`synsp.models.synsp.SynSPOutput` in the layout of
the dedicated models, ``(B, W, N * D)`` with ``N = J + 1`` tokens, so the
loss (:func:`synsp.models.synsp.synsp_loss`), the windows and the refiners
are shared.  ``pose_quality_encoding=False`` is the ablation without the
cue (the refinement stage then sees the branches' features only).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from ..geometry import dct_matrix, idct_matrix
from ..noise_floor import D3_WHITE_GAIN, FLOOR_QUANTILE
from ..validation import SynspInputError
from .blocks import DecoderLayer, EncoderLayer
from .synsp import SynSPOutput, pose_quality

__all__ = ["UniversalConfig", "UniversalSynSP", "token_quality", "frequency_scale", "noise_cue", "view_consensus"]

#: coordinates per token: 2D points are padded with a zero depth
TOKEN_DIMS = 3
#: with ``joint_structure``: per token whether its place is known, its depth, extremity and side flags and
#: whether it has a parent (then its bone's coefficients follow)
STRUCTURE_COLUMNS = 5


@dataclass
class UniversalConfig:
    """Hyperparameters; nothing here depends on the skeleton or on 2D/3D."""

    window: int = 8
    dims: int = 3  # the dimension used when forward() is not told (the card's dims)
    mask: bool = True  # takes missing-joint flags per token and frame
    d_model: int = 96
    d_inner: int = 192
    n_layers: int = 3
    n_refine_layers: int = 2
    n_head: int = 4
    d_k: int = 24
    d_v: int = 24
    dropout: float = 0.1
    attn_dropout: float = 0.0
    pose_quality_encoding: bool = True
    coefficient_skip: bool = False  # heads also read the token's own preconditioned coefficients (a linear path)
    rotations: bool = False  # also takes 6D joint rotations (dims 6): two column tokens per joint, flagged
    noise_cue: bool = False  # also takes the sequence's jitter floor (synsp.noise_floor) relative to the window
    # several synchronised 3D views of a person (forward's views > 1): each view's tokens also embed the other
    # views' input, its refinement stage reads their base-stage output and moves towards it by a learned gain
    view_consensus: bool = False
    # also told where each joint sits in its skeleton (forward's structure): depth in the kinematic tree,
    # extremity, side, and its bone to the parent over the window; without it (an unknown joint set) zeros
    joint_structure: bool = False

    def __post_init__(self) -> None:
        for name in ("d_model", "d_inner", "n_layers", "n_refine_layers", "n_head", "d_k", "d_v"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SynspInputError(f"UniversalConfig.{name} must be a positive integer, got {value!r}")
        if not 2 <= self.window <= 128:
            raise SynspInputError(f"window must be in 2..128, got {self.window}")
        if self.dims not in ((2, 3, 6) if self.rotations else (2, 3)):
            raise SynspInputError(f"dims must be 2 or 3 (or 6 with rotations=True), got {self.dims}")
        if self.view_consensus and self.rotations:
            raise SynspInputError("view_consensus is for synchronised views of positions, not with rotations=True")
        if self.joint_structure and self.rotations:
            raise SynspInputError("joint_structure is for positions, not with rotations=True")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def frequency_scale(window: int) -> torch.Tensor:
    """``(W,)`` factors that bring every DCT coefficient of a normalised window to about unit size:
    ``1`` for the mean, ``10 k (8 / W)`` for frequency ``k`` (measured on the corpus at W = 8: the truth's
    coefficients fall from 1.2 (k = 0) and 0.07 (k = 1) to under 0.01 (k >= 4), the estimator errors' from
    0.04 to 0.01).  Inputs are multiplied by them and the heads' outputs divided: without it the jitter a
    window carries is 1 % of its token's features and the network stays the identity."""
    k = torch.arange(window, dtype=torch.float32)
    return torch.clamp(10.0 * k * 8.0 / window, min=1.0)


def token_quality(position: torch.Tensor, acceleration: torch.Tensor) -> torch.Tensor:
    """``(B, N, D, W)`` branch outputs -> per-token, per-frame quality ``(B, N, W)`` in ``(e^-1, 1)``: SynSP's
    :func:`synsp.models.synsp.pose_quality` with each token in the place of a view (its D coordinates the channels)."""
    return pose_quality(position.transpose(-1, -2), acceleration.transpose(-1, -2))


def noise_cue(joints: torch.Tensor, floor: torch.Tensor | None = None) -> torch.Tensor:
    """The noise cue ``(B,)`` the embedding takes: ``log10(floor + 1e-4) + 2``, clamped to [-2, 2] (0 at a
    floor of 1 % of the window's scale; clean motion capture is near -0.8, 1 % white jitter near 0.3).
    ``floor`` ``(B,)`` in normalised units, or ``None``: the floor of the normalised joint tokens
    ``joints`` ``(B, J, D, W)`` themselves, :func:`synsp.noise_floor.noise_floor`'s estimator over the
    window's frames only."""
    if floor is None:
        d3 = (torch.diff(joints, n=3, dim=-1) ** 2).sum(dim=2)  # (B, J, W - 3)
        level = torch.sqrt(d3.median(dim=-1).values / D3_WHITE_GAIN)  # (B, J), as running_level
        floor = torch.quantile(level, FLOOR_QUANTILE / 100.0, dim=-1) if level.shape[-1] > 1 else level[:, 0]
    return torch.clamp(torch.log10(floor.to(joints.dtype) + 1e-4) + 2.0, -2.0, 2.0)


def view_consensus(x: torch.Tensor, seen: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` ``(G, P, ...)``: G groups of P synchronised views of one person in one frame; ``seen`` (1 where the
    view observed the point, broadcastable to ``x``) -> for every view the **other** views' mean, weighted by
    ``seen``, and where none of them saw it (or there is one view) the view's own value; and that ``unseen``
    flag (the shape of ``seen``)."""
    seen = seen.to(x.dtype)
    total, count = (x * seen).sum(dim=1, keepdim=True), seen.sum(dim=1, keepdim=True)
    others, n = total - x * seen, count - seen  # every view's sum and count without itself
    unseen = n < 0.5
    return torch.where(unseen, x, others / n.clamp(min=1.0)), unseen


def _head(d_in: int, hidden: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, out))


class UniversalSynSP(nn.Module):
    def __init__(self, config: UniversalConfig):
        super().__init__()
        self.config = c = config
        #: input dimensions the same weights accept (the refiner checks the user's poses against it)
        self.accepts_dims = (2, 3, 6) if c.rotations else (2, 3)
        flags = 3 if c.rotations else 2  # trajectory token, 2D input[, rotation column]
        flags += int(c.noise_cue)  # [, the noise cue: the last input column, see noise_cue()]
        W = c.window
        layer = (c.d_model, c.d_inner, c.n_head, c.d_k, c.d_v, c.dropout, c.attn_dropout)
        self.register_buffer("dct", torch.tensor(dct_matrix(W, norm="ortho"), dtype=torch.float32), persistent=False)
        self.register_buffer("idct", torch.tensor(idct_matrix(W, norm="ortho"), dtype=torch.float32),
                             persistent=False)
        self.register_buffer("frequency_scale", frequency_scale(W), persistent=False)
        # 1. embedding: coordinates' DCT coefficients, missing flags, trajectory, 2D (and rotation) flags
        # [, with view_consensus: the other views' input relative to the token's own, and where none saw it]
        flags += (TOKEN_DIMS + 1) * W if c.view_consensus else 0
        flags += STRUCTURE_COLUMNS + TOKEN_DIMS * W if c.joint_structure else 0
        self.embedding = nn.Sequential(nn.Linear(TOKEN_DIMS * W + (W if c.mask else 0) + flags, c.d_model), nn.GELU(),
                                       nn.Linear(c.d_model, c.d_model))
        # 2. encoder across joints
        self.encoder = nn.ModuleList(EncoderLayer(*layer) for _ in range(c.n_layers))
        # 3. base stage: Position and Acceleration Branches
        self.position_branch = EncoderLayer(*layer)
        self.acceleration_branch = EncoderLayer(*layer)
        head_in = c.d_model + (TOKEN_DIMS * W if c.coefficient_skip else 0)
        self.position_head = _head(head_in, 2 * c.d_model, TOKEN_DIMS * W)
        self.acceleration_head = _head(head_in, 2 * c.d_model, TOKEN_DIMS * W)
        # 4. Pose Quality Encoding: own and frame scores -> d_model
        if c.pose_quality_encoding:
            self.quality_embedding = nn.Linear(2 * W, c.d_model)
        # 5. refinement stage
        self.refinement = nn.ModuleList(DecoderLayer(*layer) for _ in range(c.n_refine_layers))
        self.refinement_head = _head(head_in, 2 * c.d_model, TOKEN_DIMS * W)
        # 6. with view_consensus: the other views' base output as a cue for the refinement stage, and how far to
        # move each token towards it, per coordinate and frequency
        if c.view_consensus:
            self.consensus_embedding = nn.Linear(TOKEN_DIMS * W + W, c.d_model)
            self.consensus_head = _head(head_in, 2 * c.d_model, TOKEN_DIMS * W)
        for name, p in self.named_parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for head in (self.position_head, self.acceleration_head, self.refinement_head,
                     *([self.consensus_head] if c.view_consensus else [])):
            nn.init.zeros_(head[-1].weight)
            nn.init.zeros_(head[-1].bias)
        if c.view_consensus:  # a cue that starts at zero: a one-view model widened to views starts as it was
            nn.init.zeros_(self.consensus_embedding.weight)
            nn.init.zeros_(self.consensus_embedding.bias)

    @staticmethod
    def tokens(joints: int, dims: int) -> int:
        """Tokens of a window of ``joints`` points of ``dims`` coordinates: each joint and the trajectory, or for
        6D rotations each rotation's two columns."""
        return 2 * joints if dims == 6 else joints + 1

    @staticmethod
    def max_batch(tokens: int, budget: int = 2**21, most: int = 256) -> int:
        """Windows per forward pass that keep the attention scores of ``tokens`` tokens (:meth:`tokens`) near
        ``16 * budget`` bytes (32 MB), and at most ``most``: one window at a time for a thousand points.
        (Measured on 2 threads: 43 joints' rotations, 86 tokens, 256 windows at a time refine faster than 1024,
        1,608 against 1,199 frames/s, with 369 MB of working memory against 777; 17 joints' positions, 30,000
        frames, 5,498 against 4,881 frames/s and a peak of 429 against 527 MiB; 39 points 2,367 against 2,186
        and 594 against 838 MiB.)"""
        return max(1, min(most, budget // (tokens * tokens)))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, dims: int | None = None,
                floor: torch.Tensor | None = None, views: int = 1,
                structure: tuple[torch.Tensor, torch.Tensor] | None = None) -> SynSPOutput:
        """``x`` ``(B, W, N * D)`` normalised windows (``N`` tokens: joints and the trajectory last; for 6D
        rotations ``N`` joints and no trajectory); ``mask`` ``(B, W, N)`` missing flags; ``dims`` ``D``
        (default: the config's); ``floor`` ``(B,)``: with ``noise_cue``, the jitter floor of the sequence
        around each window (:func:`synsp.noise_floor.noise_floor`, its mean over the window's frames) in the
        window's normalised units; ``None``: read from the window's own frames (a weaker estimate).
        ``views``: with ``view_consensus``, ``x`` holds groups of that many synchronised views of one person
        (window ``b`` is view ``b % views`` of group ``b // views``), normalised together
        (:func:`synsp.normalization.normalize_windows` with ``shared_views``).  ``structure``: with
        ``joint_structure``, :func:`synsp.skeletons.joint_structure`'s ``(parents, info)`` of the window's joints
        (every window's the same); ``None``: a joint set of unknown structure."""
        c = self.config
        D = c.dims if dims is None else int(dims)
        if x.dim() != 3 or x.shape[1] != c.window or D not in self.accepts_dims or x.shape[2] % D:
            raise SynspInputError(f"the universal model expects (B, {c.window}, N * D) windows with D in "
                                  f"{self.accepts_dims}; got {tuple(x.shape)} with D = {D}")
        B, W, C = x.shape
        rotations = D == 6
        if rotations:  # 6D [R00, R01, R10, R11, R20, R21]: the rotation's two columns, each a token of 3
            x = x.reshape(B, W, C // 6, 3, 2).transpose(-1, -2).reshape(B, W, C)
            mask = mask.repeat_interleave(2, dim=-1) if mask is not None else None
        Dt = 3 if rotations else D  # coordinates per token
        N = x.shape[2] // Dt
        pts = x.float().reshape(B, W, N, Dt).permute(0, 2, 3, 1)  # (B, N, Dt, W)
        if Dt < TOKEN_DIMS:
            pts = torch.cat([pts, pts.new_zeros(B, N, TOKEN_DIMS - Dt, W)], dim=2)  # (B, N, 3, W)
        coeffs = (pts @ self.dct.T) * self.frequency_scale  # (B, N, 3, W): DCT along time, preconditioned
        flags = torch.zeros(B, N, 3 if c.rotations else 2, dtype=pts.dtype, device=pts.device)
        if rotations:
            flags[:, :, 2] = 1.0  # rotation columns: no trajectory token
        else:
            flags[:, -1, 0] = 1.0  # the trajectory token
            flags[:, :, 1] = float(D == 2)
        parts = [coeffs.reshape(B, N, TOKEN_DIMS * W)]
        if c.mask:
            m = mask.float().permute(0, 2, 1) if mask is not None else pts.new_zeros(B, N, W)  # (B, N, W)
            if m.shape != (B, N, W):
                raise SynspInputError(f"mask has shape {tuple(mask.shape)}; expected ({B}, {W}, "
                                      f"{N // 2 if rotations else N})")
            parts.append(m)
        if c.noise_cue:
            cue = pts.new_zeros(B) if rotations else noise_cue(pts[:, :-1, :Dt], floor)
            flags = torch.cat([flags, cue[:, None, None].expand(B, N, 1)], dim=-1)
        missing = m if c.mask else pts.new_zeros(B, N, W)
        if c.view_consensus:  # the other views' input, as each view's own is: coefficients and where none saw it
            flags = torch.cat([flags, *self._relative(*self._consensus(views, pts, missing), pts)], dim=-1)
        if c.joint_structure:
            flags = torch.cat([flags, self._structure(pts, N - (0 if rotations else 1), structure)], dim=-1)
        h = self.embedding(torch.cat(parts + [flags], dim=-1))  # (B, N, d)
        # the heads' input: features, and with coefficient_skip the token's own coefficients as they came in
        own = (lambda f: torch.cat([f, parts[0]], dim=-1)) if c.coefficient_skip else (lambda f: f)

        for layer in self.encoder:  # 2. attention across joints
            h = layer(h)

        # 3. base stage
        h_p = self.position_branch(h)
        h_a = self.acceleration_branch(h)
        y_p = pts + self._frames(self.position_head(own(h_p)))
        y_a = pts + self._frames(self.acceleration_head(own(h_a)))

        # 4. Pose Quality Encoding (no gradient through the cue)
        query, memory = h_a, torch.cat([h_a, h_p], dim=1)
        if c.pose_quality_encoding:
            q = token_quality(y_p.detach()[:, :, :Dt], y_a.detach()[:, :, :Dt])  # (B, N, W)
            frame_q = q.mean(dim=1, keepdim=True).expand_as(q)
            cue = self.quality_embedding(torch.cat([q, frame_q], dim=-1))  # (B, N, d)
            query, memory = h_a + cue, torch.cat([h_a + cue, h_p + cue], dim=1)
        base = (y_p + y_a) / 2  # the branches' mean, which the refinement stage corrects
        if c.view_consensus:  # 6. the other views' base output: a cue for the refinement stage
            others, seen = self._consensus(views, base, missing)
            query = query + self.consensus_embedding(torch.cat(self._relative(others, seen, base), dim=-1))

        # 5. refinement stage: a correction of the branches' mean
        r = query
        for layer in self.refinement:
            r = layer(r, memory)
        y = base + self._frames(self.refinement_head(own(r)))

        # 6. towards the other views: a learned gain per coordinate and frequency on the difference of their base
        # output from the refined window (zero where no other view saw the token)
        if c.view_consensus:
            gain = self.consensus_head(own(r)).reshape(B, N, TOKEN_DIMS, W)
            y = y + (gain * (((others - y) * seen) @ self.dct.T)) @ self.idct.T
        return SynSPOutput(*(self._layout(o, D) for o in (y_p, y_a, y)))

    @staticmethod
    def _consensus(views: int, base: torch.Tensor, missing: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The base output ``(B, N, 3, W)`` of every view's other views (their mean where they saw the token, the
        view's own where none did) and where some other view saw it ``(B, N, 1, W)``; ``missing`` ``(B, N, W)``."""
        B = base.shape[0]
        if views < 1 or B % views:
            raise SynspInputError(f"{B} windows do not split into groups of views = {views}")
        group = lambda t: t.reshape(B // views, views, *t.shape[1:])  # noqa: E731
        others, unseen = view_consensus(group(base), group(1.0 - missing[:, :, None]))
        return others.reshape(base.shape), (~unseen).reshape(B, -1, 1, base.shape[-1]).to(base.dtype)

    def _relative(self, others: torch.Tensor, seen: torch.Tensor, own: torch.Tensor) -> list[torch.Tensor]:
        """Features of the other views' points ``others`` ``(B, N, 3, W)`` against a view's ``own``: the difference's
        preconditioned DCT coefficients ``(B, N, 3 W)`` and where no other view saw the token ``(B, N, W)``."""
        B, N = own.shape[:2]
        return [(((others - own) @ self.dct.T) * self.frequency_scale).reshape(B, N, -1), 1.0 - seen[:, :, 0]]

    def _structure(self, pts: torch.Tensor, joints: int,
                   structure: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        """The structure columns ``(B, N, STRUCTURE_COLUMNS + 3 W)`` of the tokens ``pts`` ``(B, N, 3, W)``, the
        first ``joints`` of which are joints: known, depth, extremity, side, has a parent, and the preconditioned
        DCT coefficients of the bone to the parent (parent minus joint); zeros for the other tokens and for all
        of them without ``structure``."""
        B, N, _, W = pts.shape
        out = pts.new_zeros(B, N, STRUCTURE_COLUMNS + TOKEN_DIMS * W)
        if structure is None:
            return out
        parents, info = structure
        parents = torch.as_tensor(parents, dtype=torch.long, device=pts.device)
        info = torch.as_tensor(info, dtype=pts.dtype, device=pts.device)
        if parents.shape != (joints,) or info.shape != (joints, 3) or bool((parents >= joints).any()):
            raise SynspInputError(f"structure must be (parents ({joints},), info ({joints}, 3)) for the window's "
                                  f"{joints} joints; got {tuple(parents.shape)}, {tuple(info.shape)}")
        has = (parents >= 0).to(pts.dtype)
        bone = (pts[:, parents.clamp(min=0)] - pts[:, :joints]) * has[None, :, None, None]
        out[:, :joints, 0] = 1.0
        out[:, :joints, 1:4] = info
        out[:, :joints, 4] = has
        out[:, :joints, STRUCTURE_COLUMNS:] = ((bone @ self.dct.T) * self.frequency_scale).reshape(B, joints, -1)
        return out

    def _frames(self, head: torch.Tensor) -> torch.Tensor:
        """A head's ``(B, N, 3 * W)`` preconditioned DCT coefficients -> ``(B, N, 3, W)`` along time."""
        B, N, _ = head.shape
        return (head.reshape(B, N, TOKEN_DIMS, self.config.window) / self.frequency_scale) @ self.idct.T

    @staticmethod
    def _layout(y: torch.Tensor, D: int) -> torch.Tensor:
        """``(B, N, 3, W)`` -> ``(B, W, N * D)``, the dedicated models' layout (6D: two column tokens per
        joint back to ``[R00, R01, R10, R11, R20, R21]``)."""
        B, N, _, W = y.shape
        if D == 6:
            return y.permute(0, 3, 1, 2).reshape(B, W, N // 2, 2, 3).transpose(-1, -2).reshape(B, W, N * 3)
        return y[:, :, :D].permute(0, 3, 1, 2).reshape(B, W, N * D)

    def load_state_without_rotations(self, state: dict) -> None:
        """Load the weights of a universal model trained without ``rotations`` into this one with them: every
        tensor as it is, the embedding's rotation-flag column at zero (the flag is 0 for positions, so the
        network refines positions exactly as the source did)."""
        self._load_widened(state, self.config.rotations, "load_state_without_rotations", "rotations",
                           "rotations=True")

    def load_state_without_noise_cue(self, state: dict) -> None:
        """Load the weights of a universal model built without ``noise_cue`` (and with the same ``rotations``)
        into this one with it: the embedding's cue column at zero, so the network starts as the source."""
        self._load_widened(state, self.config.noise_cue, "load_state_without_noise_cue", "the noise cue",
                           "noise_cue=True")

    def load_state_without_view_consensus(self, state: dict) -> None:
        """Load the weights of a universal model built without ``view_consensus`` (otherwise the same) into this
        one with it: the embedding's columns for the other views' input at zero, its consensus layers as built
        (the cue's and the gain head's last layer at zero), so it starts as the source."""
        c = self.config
        self._load_widened(state, c.view_consensus, "load_state_without_view_consensus", "view_consensus",
                           "view_consensus=True", columns=(TOKEN_DIMS + 1) * c.window, new="consensus_")

    def load_state_without_joint_structure(self, state: dict) -> None:
        """Load the weights of a universal model built without ``joint_structure`` (otherwise the same) into this
        one with it: the embedding's structure columns at zero, so it starts as the source."""
        self._load_widened(state, self.config.joint_structure, "load_state_without_joint_structure",
                           "joint_structure", "joint_structure=True",
                           columns=STRUCTURE_COLUMNS + TOKEN_DIMS * self.config.window)

    def _load_widened(self, state: dict, switched_on: bool, caller: str, without: str, setting: str,
                      columns: int = 1, new: str | None = None) -> None:
        """``state`` with ``columns`` more input columns of the embedding (the last ones) at zero, and this
        model's own (initial) weights for the layers whose names start with ``new``, loaded."""
        key, own = "embedding.0.weight", self.state_dict()
        if (not switched_on or key not in state or state[key].shape[1] + columns != own[key].shape[1]
                or (new and any(k.startswith(new) for k in state))):
            raise SynspInputError(f"{caller}: expects a universal model's weights without {without}, of the same "
                                  f"size, for a model with {setting}")
        state = {**state, **({k: v for k, v in own.items() if k.startswith(new)} if new else {})}
        state[key] = torch.cat([state[key], state[key].new_zeros(state[key].shape[0], columns)], dim=1)
        self.load_state_dict(state)
