"""Random combination (seed supplementary 2.7): windows or clips of different people and frames
stacked as if they were synchronised views.

SynSP refines ``P`` pose sequences at once and lets every view attend to the
others; without P cameras of one motion (:func:`synsp.data.cameras.multi_view`)
or similar poses (:mod:`synsp.data.pose_bank`) the other views can be
unrelated windows: :func:`random_groups` draws the indices,
:func:`random_combination` stacks the windows.  :func:`neighbour_groups` and
:func:`combine_sequences` are the deterministic, whole-clip counterpart the
combinations experiment evaluates on (each clip with the next ones).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..validation import SynspInputError, to_numpy

__all__ = ["random_groups", "random_combination", "neighbour_groups", "combine_sequences"]


def random_groups(n: int, views: int, rng: np.random.Generator, num_groups: int | None = None) -> np.ndarray:
    """Indices ``(N', P)`` of ``views`` distinct items out of ``n`` per group.

    ``num_groups=None``: a random partition, every item in at most one group,
    ``N' = n // views`` (the remainder is left out).  Otherwise ``num_groups``
    independent groups (items repeat across groups, never within one).
    """
    if int(views) != views or views < 1 or views > n:
        raise SynspInputError(f"views is {views!r}; expected an integer in 1..{n} (the number of windows)")
    if num_groups is None:
        count = n // views
        return rng.permutation(n)[: count * views].reshape(count, views)
    if int(num_groups) != num_groups or num_groups < 1:
        raise SynspInputError(f"num_groups is {num_groups!r}; expected a positive integer or None")
    return np.stack([rng.choice(n, size=views, replace=False) for _ in range(int(num_groups))])


def random_combination(
    windows: Any, views: int, rng: np.random.Generator, num_groups: int | None = None
) -> np.ndarray:
    """Windows ``(N, W, J, D)`` of different people and frames grouped as views: ``(N', P, W, J, D)``.

    The seed's "random combination" (supplementary 2.7): unrelated windows
    stacked as if they were synchronised views.  Grouping as in
    :func:`random_groups`.
    """
    w = to_numpy(windows)
    if w.ndim != 4 or w.shape[-1] not in (2, 3):
        raise SynspInputError(f"windows has shape {w.shape}; expected (N, W, J, D) with D = 2 or 3")
    return w[random_groups(w.shape[0], views, rng, num_groups)]


def neighbour_groups(n: int, views: int) -> np.ndarray:
    """Indices ``(n, P)``: item ``i`` followed by the ``views - 1`` items after it, cyclically
    (``i, i + 1, ..., i + P - 1`` modulo ``n``): every item leads one group, and with ``n >= P``
    never meets itself."""
    if int(n) != n or n < 1 or int(views) != views or views < 1:
        raise SynspInputError(f"n and views are {n!r} and {views!r}; expected positive integers")
    return (np.arange(int(n))[:, None] + np.arange(int(views))) % int(n)


def combine_sequences(sequences: Sequence[Any], groups: Any) -> list[np.ndarray]:
    """Sequences ``(T_i, J, D)`` stacked as views, one ``(T, P, J, D)`` per row of ``groups``
    (indices ``(N, P)``, e.g. :func:`neighbour_groups`): ``T`` is the length of the row's first
    sequence, the others are cut to it or repeated from their start (:func:`numpy.resize`)."""
    seqs = [to_numpy(s) for s in sequences]
    out = []
    for row in np.asarray(groups):
        first = seqs[row[0]]
        out.append(np.stack([first, *[np.resize(seqs[k], first.shape) for k in row[1:]]], axis=1))
    return out
