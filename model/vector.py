"""Small vectorised helpers shared by the agent populations."""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["gumbel_argmax", "sum_rows", "sum_runs"]

_FEW_GROUPS = 64


def gumbel_argmax(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One draw per row, with probability proportional to the row's non-negative weights.

    The Gumbel-max trick: argmax(log w + G) with G ~ Gumbel(0, 1) samples index j with
    probability w_j / sum(w), for all rows at once.
    """
    with np.errstate(divide="ignore"):
        logs = np.log(weights)
    return np.argmax(logs + rng.gumbel(size=weights.shape), axis=1)


def sum_rows(index: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Sum rows of ``values`` (n x m) into ``groups`` rows by ``index``.

    Few groups (regions): a dense one-hot matrix product, which BLAS does in one pass.
    Many groups (agents): sort by group and ``np.add.reduceat`` over contiguous runs.
    """
    index = np.asarray(index, dtype=np.int64)
    out = np.zeros((groups, values.shape[1]), dtype=values.dtype)
    if len(index) == 0:
        return out
    if groups <= _FEW_GROUPS:
        onehot = (index[None, :] == np.arange(groups)[:, None]).astype(values.dtype)
        return onehot @ values
    if np.any(index[1:] < index[:-1]):
        order = np.argsort(index, kind="stable")
        index, values = index[order], values[order]
    starts = np.flatnonzero(np.concatenate([[True], index[1:] != index[:-1]]))
    out[index[starts]] = np.add.reduceat(values, starts, axis=0)
    return out


def sum_runs(index: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum rows of ``values`` sharing an ``index``; returns (distinct indices, their sums).

    The grouping is a CSR matrix with one row per distinct index (built directly from the
    run boundaries, no conversion), multiplied by ``values``: far faster than
    ``np.add.reduceat`` along axis 0.
    """
    index = np.asarray(index, dtype=np.int64)
    if len(index) == 0:
        return index, values[:0]
    if np.any(index[1:] < index[:-1]):
        order = np.argsort(index, kind="stable")
        index, values = index[order], values[order]
    starts = np.flatnonzero(np.concatenate([[True], index[1:] != index[:-1]]))
    indptr = np.append(starts, len(index))
    grouping = sparse.csr_array(
        (np.ones(len(index), dtype=values.dtype), np.arange(len(index)), indptr),
        shape=(len(starts), len(index)),
    )
    return index[starts], grouping @ values
