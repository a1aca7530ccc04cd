"""Transformer blocks of SynSP: post-LayerNorm attention, feed-forward, encoder and decoder.

These follow the blocks the official SynSP code uses (the "Attention is all
you need" layout): every sub-layer is ``LayerNorm(x + Dropout(sublayer(x)))``
with ``eps = 1e-6``; attention projections have no bias; the attention inner
width is ``n_head * d_k`` (256 for SynSP's 4 heads of 64, wider than
``d_model`` = 128); attention probabilities have their own dropout (0.1 in the
official code).  Unlike the official code there are no unused modules: the
decoder layers are cross-attention only (the official ones build a
self-attention that is never called), and :mod:`synsp.models.official` maps
official checkpoints onto these modules.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MultiHeadAttention", "FeedForward", "EncoderLayer", "DecoderLayer", "Encoder",
           "Decoder", "sinusoid_table"]


def sinusoid_table(n_position: int, d_model: int) -> torch.Tensor:
    """``(n_position, d_model)``: ``PE[p, 2i] = sin(p / 10000^(2i/d))``, ``PE[p, 2i+1] = cos(...)``.

    Where tensors are made on the meta device (a network sized without allocating it, as
    :mod:`synsp.models.checkpoint` checks a model card), the table is an empty meta tensor: nothing is computed."""
    table = torch.empty(n_position, d_model, dtype=torch.float32)
    if table.is_meta:
        return table
    position = np.arange(n_position)[:, None]
    rate = np.power(10000.0, 2 * (np.arange(d_model) // 2) / d_model)[None, :]
    angle = position / rate
    values = np.where(np.arange(d_model)[None, :] % 2 == 0, np.sin(angle), np.cos(angle))
    return table.copy_(torch.from_numpy(values))


class MultiHeadAttention(nn.Module):
    """``LayerNorm(q + Dropout(W_o · softmax(Q K^T / sqrt(d_k)) V))`` over ``n_head`` heads."""

    def __init__(self, d_model: int, n_head: int, d_k: int, d_v: int, dropout: float, attn_dropout: float):
        super().__init__()
        self.n_head, self.d_k, self.d_v = n_head, d_k, d_v
        self.attn_dropout = attn_dropout
        self.w_q = nn.Linear(d_model, n_head * d_k, bias=False)
        self.w_k = nn.Linear(d_model, n_head * d_k, bias=False)
        self.w_v = nn.Linear(d_model, n_head * d_v, bias=False)
        self.w_o = nn.Linear(n_head * d_v, d_model, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model, eps=1e-6)

    def forward(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        B, Lq, _ = query.shape  # (B, Lq, D)
        Lk = memory.shape[1]
        q = self.w_q(query).view(B, Lq, self.n_head, self.d_k).transpose(1, 2)  # (B, H, Lq, dk)
        k = self.w_k(memory).view(B, Lk, self.n_head, self.d_k).transpose(1, 2)  # (B, H, Lk, dk)
        v = self.w_v(memory).view(B, Lk, self.n_head, self.d_v).transpose(1, 2)  # (B, H, Lk, dv)
        p = self.attn_dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=p, scale=1.0 / math.sqrt(self.d_k))
        out = out.transpose(1, 2).reshape(B, Lq, self.n_head * self.d_v)  # (B, Lq, H*dv)
        return self.norm(query + self.dropout(self.w_o(out)))


class FeedForward(nn.Module):
    """``LayerNorm(x + Dropout(W_2 ReLU(W_1 x)))``."""

    def __init__(self, d_model: int, d_inner: int, dropout: float):
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_inner)
        self.w_2 = nn.Linear(d_inner, d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(d_model, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + self.dropout(self.w_2(F.relu(self.w_1(x)))))


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward."""

    def __init__(self, d_model, d_inner, n_head, d_k, d_v, dropout, attn_dropout):
        super().__init__()
        self.attention = MultiHeadAttention(d_model, n_head, d_k, d_v, dropout, attn_dropout)
        self.ffn = FeedForward(d_model, d_inner, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffn(self.attention(x, x))


class DecoderLayer(nn.Module):
    """Cross-attention from the queries to a memory, then feed-forward (no self-attention)."""

    def __init__(self, d_model, d_inner, n_head, d_k, d_v, dropout, attn_dropout):
        super().__init__()
        self.cross_attention = MultiHeadAttention(d_model, n_head, d_k, d_v, dropout, attn_dropout)
        self.ffn = FeedForward(d_model, d_inner, dropout)

    def forward(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        return self.ffn(self.cross_attention(query, memory))


class Encoder(nn.Module):
    """Adds sinusoidal positions (repeated per view for the global encoder), dropout, layers."""

    def __init__(self, n_layers, d_model, d_inner, n_head, d_k, d_v, dropout, attn_dropout, max_positions):
        super().__init__()
        self.register_buffer("positions", sinusoid_table(max_positions, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, d_inner, n_head, d_k, d_v, dropout, attn_dropout) for _ in range(n_layers)
        )

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        """``x`` ``(B, V*frames, D)``: V blocks of ``frames`` tokens, each gets positions 0..frames-1."""
        views = x.shape[1] // frames
        h = self.dropout(x + self.positions[:frames].repeat(views, 1))
        for layer in self.layers:
            h = layer(h)
        return h


class Decoder(nn.Module):
    """A stack of cross-attention layers over one memory; queries get no positions."""

    def __init__(self, n_layers, d_model, d_inner, n_head, d_k, d_v, dropout, attn_dropout):
        super().__init__()
        self.layers = nn.ModuleList(
            DecoderLayer(d_model, d_inner, n_head, d_k, d_v, dropout, attn_dropout) for _ in range(n_layers)
        )

    def forward(self, query: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        h = query
        for layer in self.layers:
            h = layer(h, memory)
        return h
