"""Small vectorised helpers shared by the agent populations."""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = [
    "FEW_GROUPS",
    "choose_per_row",
    "count_by_group",
    "insert_sorted",
    "row_block",
    "row_operation",
    "serial_matmul",
    "sum_rows",
    "sum_runs",
]

FEW_GROUPS = 64


def choose_per_row(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One draw per row, with probability proportional to the row's non-negative weights.

    Inverse-CDF sampling: with C the running sum along a row and u uniform on [0, C_last),
    the draw is the first j with C_j > u, i.e. the number of C_j <= u. Zero weights are never
    drawn (their C_j equals the previous one); a row of zeros gives 0. One uniform per row is
    far cheaper than a Gumbel variate (two logarithms) per entry.
    """
    if weights.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    cumulative = np.cumsum(weights, axis=1)
    total = cumulative[:, -1]
    threshold = rng.random(len(total)) * total
    chosen = np.count_nonzero(cumulative <= threshold[:, None], axis=1)
    # u * total can round up to total itself; the draw is then the last positive weight.
    overflow = np.flatnonzero(chosen >= weights.shape[1])
    if len(overflow):
        positive = weights[overflow] > 0
        last = weights.shape[1] - 1 - np.argmax(positive[:, ::-1], axis=1)
        chosen[overflow] = np.where(positive.any(axis=1), last, 0)
    return chosen


#: Multiply-adds per BLAS call in :func:`serial_matmul`. OpenBLAS hands a product to its worker
#: threads above about 2^18 to 2^20 of them; the workers then spin between calls, keep a second
#: core busy for the whole step and, when that core is contended (2-core machines, shared
#: hosts), slow every step several-fold. Our products are thin (agents x domains x domains)
#: and gain little from threads.
SERIAL_WORK = 1 << 18


def serial_matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` (2-D) computed in row blocks small enough that BLAS stays single-threaded."""
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    block = max(1, SERIAL_WORK // max(1, b.shape[0] * b.shape[1]))
    for start in range(0, a.shape[0], block):
        np.matmul(a[start : start + block], b, out=out[start : start + block])
    return out


def row_block(width: int) -> int:
    """Matrix rows per call in :func:`row_operation`: as many as fill NumPy's own buffer (the
    chunk its iterator works in), so the per-call cost vanishes and the tiled row stays in
    the fastest cache."""
    return max(1, np.getbufsize() // max(1, width))


def row_operation(
    ufunc: np.ufunc, matrix: np.ndarray, row: np.ndarray, out: np.ndarray, row_first: bool = False
) -> np.ndarray:
    """``ufunc(matrix, row, out=out)`` (``ufunc(row, matrix, ...)`` if ``row_first``) for a
    C-contiguous (n x m) ``matrix`` and ``out`` and a row of m values of the matrix's dtype:
    each element the same as by broadcasting, but faster.

    Broadcasting a short row makes NumPy run its loop once per matrix row of m elements, and a
    scalar operand of ``np.maximum`` takes a loop that is not vectorised: each about 3x slower
    at m = 30 than the same ufunc over two whole arrays. Here the row is tiled over a block of
    rows (:func:`row_block`) and the matrix is seen as rows of that many of its rows.
    """
    contiguous = matrix.flags.c_contiguous and out.flags.c_contiguous
    block = row_block(matrix.shape[-1])
    if not contiguous or matrix.ndim != 2 or len(matrix) < block:
        return ufunc(row, matrix, out=out) if row_first else ufunc(matrix, row, out=out)
    whole = len(matrix) // block * block
    span = block * matrix.shape[1]
    pairs = (
        (np.tile(row, block), matrix[:whole].reshape(-1, span), out[:whole].reshape(-1, span)),
        (row, matrix[whole:], out[whole:]),
    )
    for repeated, part, part_out in pairs:
        if row_first:
            ufunc(repeated, part, out=part_out)
        else:
            ufunc(part, repeated, out=part_out)
    return out


def sum_rows(index: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """Sum rows of ``values`` (n x m) into ``groups`` rows by ``index``.

    Few groups (regions): a dense one-hot matrix product, which BLAS does in one pass.
    Many groups (agents): sort by group and ``np.add.reduceat`` over contiguous runs.
    """
    index = np.asarray(index, dtype=np.int64)
    out = np.zeros((groups, values.shape[1]), dtype=values.dtype)
    if len(index) == 0:
        return out
    if groups <= FEW_GROUPS:
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
    ``np.add.reduceat`` along axis 0. Unsorted indices are handled by the matrix's column
    order, so ``values`` itself is never permuted (copied).
    """
    index = np.asarray(index, dtype=np.int64)
    if len(index) == 0:
        return index, values[:0]
    columns = np.arange(len(index))
    if np.any(index[1:] < index[:-1]):
        columns = np.argsort(index, kind="stable")
        index = index[columns]
    starts = np.flatnonzero(np.concatenate([[True], index[1:] != index[:-1]]))
    indptr = np.append(starts, len(index))
    grouping = sparse.csr_array(
        (np.ones(len(index), dtype=values.dtype), columns, indptr),
        shape=(len(starts), len(index)),
    )
    return index[starts], grouping @ values


def count_by_group(groups: np.ndarray, count: int, *masks: np.ndarray) -> list[np.ndarray]:
    """For each mask, how many of its True entries fall in each group 0..count-1 (float64);
    with one group a plain count, without gathering the groups."""
    if count == 1:
        return [np.array([np.count_nonzero(mask)], dtype=np.float64) for mask in masks]
    return [np.bincount(groups[mask], minlength=count).astype(np.float64) for mask in masks]


def insert_sorted(values: np.ndarray, positions: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``np.insert(values, positions, new)`` for non-decreasing ``positions`` (as
    ``np.searchsorted`` of sorted ``new`` gives them): the same array, without np.insert's
    handling of the general case, which takes over half its time on these sizes."""
    out = np.empty(len(values) + len(new), dtype=values.dtype)
    # Entry i of ``new`` lands after the i entries of ``new`` before it.
    at = positions + np.arange(len(new))
    kept = np.ones(len(out), dtype=bool)
    kept[at] = False
    out[at] = new
    out[kept] = values
    return out
