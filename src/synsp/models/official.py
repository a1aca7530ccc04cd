"""Load checkpoints of the official SynSP code (``Models_inf.Transformer``).

The official state_dict (key names in the notes, section 3.4) holds modules
that are never used (``proj_i_p``, ``proj_i_2``, position embeddings, final
layer norms, decoder self-attention) and positional tables as buffers.
:func:`convert_official_state_dict` keeps what the forward pass uses, renamed
onto :class:`synsp.models.synsp.SynSP` built with
``SynSPConfig.official(...)``, which then reproduces the official outputs
(checked against the fixture in ``tests/fixtures/official_synsp``).

Official ``.pth.tar`` files are pickles: :func:`load_official_checkpoint`
refuses them unless ``trust_pickle=True`` (and then uses
``torch.load(weights_only=True)``, which only rebuilds tensors and plain
containers); a safetensors export of the state_dict loads without the flag.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch

from ..validation import SynspInputError
from .checkpoint import MAX_CONFIG_INT, MAX_DEPTH, MAX_PARAMETERS
from .synsp import SynSP, SynSPConfig

__all__ = ["convert_official_state_dict", "official_config", "load_official_checkpoint"]

_RENAMES = [
    (r"^proj_i_a\.", "embedding."),
    (r"^proj_o_p\.", "position_branch.head."),
    (r"^proj_o_a\.", "acceleration_branch.head."),
    (r"^proj_o_2\.", "refinement.head."),
    (r"^encoder_local\.layer_stack\.", "local_encoder.layers."),
    (r"^encoder_global\.layer_stack\.", "global_encoder.layers."),
    (r"^decoder\.layer_stack\.", "base_decoder.layers."),
    (r"^decoder_2\.layer_stack\.", "refinement.decoder.layers."),
    (r"\.slf_attn\.(?=\w+\.(weight|bias)$)", ".attention."),  # encoder self-attention
    (r"\.enc_attn\.", ".cross_attention."),
    (r"\.pos_ffn\.", ".ffn."),
    (r"\.w_qs\.", ".w_q."), (r"\.w_ks\.", ".w_k."), (r"\.w_vs\.", ".w_v."), (r"\.fc\.", ".w_o."),
    (r"\.layer_norm\.", ".norm."),
]
_UNUSED = re.compile(
    r"^(proj_i_p|proj_i_2)\.|\.position_embeddings\.|\.position_enc\.|"
    r"^(encoder_local|encoder_global|decoder|decoder_2)\.layer_norm\.|"
    r"^(decoder|decoder_2)\.layer_stack\.\d+\.slf_attn\."
)


def official_config(state_dict: dict[str, torch.Tensor], window: int = 8) -> SynSPConfig:
    """Infer the hyperparameters of an official state_dict, bounded as a model card's are
    (:data:`synsp.models.checkpoint.MAX_DEPTH` layers, sizes up to ``MAX_CONFIG_INT``) before anything is built: the
    layer count is read from key names, which cost nothing to claim."""
    sizes = {}
    for name, key, axis in (("channels", "proj_i_a.0.weight", 1), ("d_model", "proj_i_a.0.weight", 0),
                            ("d_inner", "encoder_local.layer_stack.0.pos_ffn.w_1.weight", 0),
                            ("width", "encoder_local.layer_stack.0.slf_attn.w_qs.weight", 0)):
        if key not in state_dict:
            raise SynspInputError(f"not an official SynSP state_dict: key {key!r} is missing")
        shape = tuple(getattr(state_dict[key], "shape", ()))
        if len(shape) != 2 or not 1 <= shape[axis] <= MAX_CONFIG_INT:
            raise SynspInputError(f"not an official SynSP state_dict: {key} has shape {shape}; expected a matrix of "
                                  f"sizes from 1 to {MAX_CONFIG_INT}")
        sizes[name] = int(shape[axis])
    layers = {int(m.group(1)) for k in state_dict if (m := re.match(r"encoder_local\.layer_stack\.(\d+)\.", k))}
    n_layers = 1 + max(layers)
    if n_layers > MAX_DEPTH:
        raise SynspInputError(f"not an official SynSP state_dict: its keys name {n_layers:,} encoder layers; at most "
                              f"{MAX_DEPTH}")
    absent = [i for i in range(n_layers) if f"encoder_local.layer_stack.{i}.pos_ffn.w_1.weight" not in state_dict]
    if absent:
        raise SynspInputError(f"not an official SynSP state_dict: its keys name {n_layers} encoder layers, and "
                              f"{len(absent)} of them have no weights (layer {absent[0]}, ...)")
    width = sizes.pop("width")
    return SynSPConfig.official(window=window, n_layers=n_layers, **sizes, **_heads(width, state_dict))


def _heads(width: int, state_dict: dict[str, torch.Tensor]) -> dict[str, int]:
    # n_head * d_k = width; the official configs all use d_k = d_v = 64, the fixture 16.
    # The head count is not stored; it is recorded beside converted checkpoints.
    head = state_dict.get("_synsp_n_head")
    n_head = int(head) if head is not None else max(1, width // 64)
    if not 1 <= n_head <= width or width % n_head:
        raise SynspInputError(f"n_head {n_head}: the attention width {width} is n_head * d_k; give a head count "
                              f"that divides it")
    return {"n_head": n_head, "d_k": width // n_head, "d_v": width // n_head}


def convert_official_state_dict(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official keys -> synsp keys (unused official entries dropped)."""
    out = {}
    for key, value in state_dict.items():
        if _UNUSED.search(key) or key.startswith("_synsp_"):
            continue
        new = key
        for pattern, repl in _RENAMES:
            new = re.sub(pattern, repl, new)
        out[new] = value
    return out


def load_official_checkpoint(
    path: str | os.PathLike, window: int = 8, n_head: int | None = None, trust_pickle: bool = False
) -> SynSP:
    """Build a SynSP that reproduces an official checkpoint (``.pth.tar`` or ``.safetensors``).

    ``n_head`` is not stored in checkpoints: the official configs use 4 heads
    of 64 (pass it when yours differ).
    """
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path))
    else:
        if not trust_pickle:
            raise SynspInputError(
                f"{path} is a pickle (torch.save) file, which can execute code when loaded; pass "
                "trust_pickle=True only for files from a source you trust"
            )
        blob = torch.load(path, map_location="cpu", weights_only=True)
        state = blob.get("state_dict", blob) if isinstance(blob, dict) else blob
    if n_head is not None:
        state = {**state, "_synsp_n_head": torch.tensor(n_head)}
    config = official_config(state, window)
    stored = sum(v.numel() for v in state.values() if isinstance(v, torch.Tensor))
    if stored > MAX_PARAMETERS:
        raise SynspInputError(f"{path}: {stored:,} values, over the {MAX_PARAMETERS:,} of the largest model synsp "
                              "builds; not an official SynSP checkpoint")
    model = SynSP(config)
    try:
        model.load_state_dict(convert_official_state_dict(state), strict=True)
    except RuntimeError as exc:
        raise SynspInputError(f"{path}: does not match an official SynSP model ({exc})") from None
    return model.eval()
