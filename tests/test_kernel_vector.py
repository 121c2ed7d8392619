"""Direct tests of the vectorised helpers (``smartspec.model.vector``), each against a naive
loop or NumPy's own operator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from smartspec.model import vector
from smartspec.model.vector import FEW_GROUPS, choose_per_row, serial_matmul, sum_rows, sum_runs

EXAMPLES = settings(max_examples=150, deadline=None)


class FixedUniform:
    """Stands in for a Generator whose ``random`` always returns ``u``: it pins the inverse-CDF
    threshold, including at the edges a real generator reaches rarely or never."""

    def __init__(self, u: float) -> None:
        self.u = u

    def random(self, size: int) -> np.ndarray:
        return np.full(size, self.u)


def weight_matrices(dtype=np.float64):
    """Non-negative weight matrices with many exact zeros (whole rows of them too)."""
    element = st.one_of(st.just(0.0), st.floats(2.0**-20, 2.0**10, width=32))
    shape = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12)
    return hnp.arrays(dtype, shape, elements=element)


# ------------------------------------------------------------------- choose_per_row
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_choose_per_row_draws_in_proportion_to_the_weights(seed):
    # Two kinds of rows interleaved, so each row must use its own weights. Counts are
    # binomial; a margin of 6 standard deviations fails with a chance below 1e-8 per
    # comparison, so the test holds for any seed in practice.
    rows = 40_000
    kinds = np.array([[0.0, 1.0, 2.0, 0.0, 5.0], [4.0, 0.0, 0.0, 1.0, 0.0]])
    weights = kinds[np.arange(rows) % 2]
    chosen = choose_per_row(np.random.default_rng(seed), weights)
    for kind in range(2):
        drawn = chosen[kind::2]
        probability = kinds[kind] / kinds[kind].sum()
        counts = np.bincount(drawn, minlength=5)
        n = len(drawn)
        margin = 6 * np.sqrt(n * probability * (1 - probability))
        assert np.all(np.abs(counts - n * probability) <= margin)
        assert np.all(counts[probability == 0] == 0)


def test_choose_per_row_works_on_float32_weights():
    # The model passes float32 knowledge as weights.
    weights = np.tile(np.array([1.0, 0.0, 3.0], dtype=np.float32), (20_000, 1))
    chosen = choose_per_row(np.random.default_rng(5), weights)
    share = np.mean(chosen == 2)
    assert not np.any(chosen == 1)
    assert abs(share - 0.75) < 6 * np.sqrt(0.75 * 0.25 / 20_000)


@EXAMPLES
@given(st.one_of(weight_matrices(np.float64), weight_matrices(np.float32)), st.integers(0, 2**32))
def test_choose_per_row_never_draws_a_zero_weight(weights, seed):
    chosen = choose_per_row(np.random.default_rng(seed), weights)
    check_draws(weights, chosen)


@EXAMPLES
@given(weight_matrices(), st.sampled_from([0.0, 0.5, 1 - 2**-53, 1.0]))
def test_choose_per_row_at_the_edges_of_the_uniform(weights, u):
    """u = 0 and u just below 1 are what a generator can return; u = 1 stands for u * total
    rounding up to total, the case the overflow guard handles."""
    chosen = choose_per_row(FixedUniform(u), weights)
    check_draws(weights, chosen)


def check_draws(weights: np.ndarray, chosen: np.ndarray) -> None:
    """One in-range draw per row, of a positive weight; 0 for a row of zeros."""
    rows = np.arange(len(weights))
    assert chosen.shape == (len(weights),)
    assert np.all((chosen >= 0) & (chosen < weights.shape[1]))
    has_weight = weights.sum(axis=1) > 0
    assert np.all(weights[rows, chosen][has_weight] > 0)
    assert np.all(chosen[~has_weight] == 0)


def test_choose_per_row_inverts_the_cumulative_distribution():
    weights = np.array([[0.0, 1.0, 0.0, 3.0, 0.0]])  # cumulative 0, 1, 1, 4, 4
    assert choose_per_row(FixedUniform(0.0), weights).tolist() == [1]  # first positive
    assert choose_per_row(FixedUniform(0.2), weights).tolist() == [1]  # 0.8 < 1
    assert choose_per_row(FixedUniform(0.25), weights).tolist() == [3]  # 1.0 is not < 1
    assert choose_per_row(FixedUniform(0.99), weights).tolist() == [3]


def test_choose_per_row_when_the_threshold_reaches_the_total():
    # u * total == total: every cumulative sum is <= the threshold, so the count points past
    # the end; the draw must be the row's last positive weight (not a trailing zero).
    weights = np.array([[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    assert choose_per_row(FixedUniform(1.0), weights).tolist() == [1, 3, 0]


def test_choose_per_row_of_all_zero_rows_and_no_rows():
    rng = np.random.default_rng(0)
    assert choose_per_row(rng, np.zeros((6, 4))).tolist() == [0] * 6
    empty = choose_per_row(rng, np.zeros((0, 4)))
    assert empty.shape == (0,)
    assert empty.dtype == np.int64


# ------------------------------------------------------------------------- sum_rows
def naive_sum_rows(index, values, groups):
    out = np.zeros((groups, values.shape[1]), dtype=np.float64)
    for row, group in enumerate(index):
        out[group] += values[row]
    return out


@st.composite
def grouped_rows(draw, few: bool):
    """(index, values, groups): groups on the chosen side of ``FEW_GROUPS``, index sorted or
    not, and integer-valued values so that any summation order is exact."""
    if few:
        groups = draw(st.integers(1, FEW_GROUPS))
    else:
        groups = draw(st.integers(FEW_GROUPS + 1, 3 * FEW_GROUPS))
    n = draw(st.integers(0, 200))
    width = draw(st.integers(1, 5))
    index = draw(hnp.arrays(np.int64, n, elements=st.integers(0, groups - 1)))
    if draw(st.booleans()):
        index = np.sort(index)
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    values = draw(hnp.arrays(dtype, (n, width), elements=st.integers(-1000, 1000)))
    return index, values, groups


@EXAMPLES
@given(st.one_of(grouped_rows(few=True), grouped_rows(few=False)))
def test_sum_rows_matches_a_loop(case):
    index, values, groups = case
    out = sum_rows(index, values, groups)
    assert out.shape == (groups, values.shape[1])
    assert out.dtype == values.dtype
    assert np.array_equal(out, naive_sum_rows(index, values, groups))


@pytest.mark.parametrize("groups", [FEW_GROUPS, FEW_GROUPS + 1])
def test_sum_rows_on_both_sides_of_the_few_groups_limit(groups):
    rng = np.random.default_rng(3)
    index = rng.integers(0, groups, 500)
    values = rng.random((500, 3))
    expected = naive_sum_rows(index, values, groups)
    assert np.allclose(sum_rows(index, values, groups), expected)
    assert np.allclose(sum_rows(np.sort(index), values[np.argsort(index)], groups), expected)
    assert not sum_rows(np.empty(0, np.int64), values[:0], groups).any()


def test_sum_rows_leaves_its_inputs_alone():
    index = np.array([70, 3, 70, 65])
    values = np.arange(8.0).reshape(4, 2)
    sum_rows(index, values, 80)
    assert index.tolist() == [70, 3, 70, 65]
    assert values.tolist() == np.arange(8.0).reshape(4, 2).tolist()


# ------------------------------------------------------------------------- sum_runs
@EXAMPLES
@given(grouped_rows(few=False))
def test_sum_runs_matches_a_loop(case):
    index, values, _ = case
    distinct, sums = sum_runs(index, values)
    expected: dict[int, np.ndarray] = {}
    for row, group in enumerate(index.tolist()):
        expected[group] = expected.get(group, 0) + values[row].astype(np.float64)
    assert distinct.tolist() == sorted(expected)
    assert sums.shape == (len(expected), values.shape[1])
    assert np.array_equal(
        sums, np.array([expected[g] for g in sorted(expected)]).reshape(sums.shape)
    )


def test_sum_runs_of_sorted_and_unsorted_indices():
    values = np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 40.0], [8.0, 80.0]])
    distinct, sums = sum_runs(np.array([5, 5, 9, 12]), values)
    assert distinct.tolist() == [5, 9, 12]
    assert sums.tolist() == [[3.0, 30.0], [4.0, 40.0], [8.0, 80.0]]
    distinct, sums = sum_runs(np.array([9, 5, 12, 5]), values)
    assert distinct.tolist() == [5, 9, 12]
    assert sums.tolist() == [[10.0, 100.0], [1.0, 10.0], [4.0, 40.0]]
    distinct, sums = sum_runs(np.empty(0, np.int64), values[:0])
    assert len(distinct) == 0
    assert sums.shape == (0, 2)


# -------------------------------------------------------------------- serial_matmul
@pytest.mark.parametrize("rows_from_boundary", [-1, 0, 1])
@pytest.mark.parametrize("blocks", [1, 3])
def test_serial_matmul_matches_matmul_across_block_boundaries(blocks, rows_from_boundary):
    rng = np.random.default_rng(7)
    inner, width = 64, 64
    block = vector.SERIAL_WORK // (inner * width)  # rows per BLAS call
    rows = max(1, blocks * block + rows_from_boundary)
    # Integer-valued floats: every product and sum is exact, whatever the blocking.
    a = rng.integers(-5, 6, (rows, inner)).astype(np.float64)
    b = rng.integers(-5, 6, (inner, width)).astype(np.float64)
    assert np.array_equal(serial_matmul(a, b), a @ b)


@EXAMPLES
@given(
    st.integers(0, 40),
    st.integers(1, 12),
    st.integers(1, 12),
    st.integers(1, 300),
    st.sampled_from([np.float32, np.float64]),
)
def test_serial_matmul_matches_matmul_for_any_block_size(rows, inner, width, work, dtype):
    # A tiny work limit forces many blocks, down to one row per call.
    rng = np.random.default_rng(rows * 1000 + inner * 10 + width)
    a = rng.integers(-5, 6, (rows, inner)).astype(dtype)
    b = rng.integers(-5, 6, (inner, width)).astype(np.float64)
    original = vector.SERIAL_WORK
    vector.SERIAL_WORK = work
    try:
        product = serial_matmul(a, b)
    finally:
        vector.SERIAL_WORK = original
    assert product.dtype == np.result_type(a, b)
    assert np.array_equal(product, a @ b)


def test_serial_matmul_writes_into_out():
    a = np.arange(12.0).reshape(4, 3)
    b = np.arange(6.0).reshape(3, 2)
    out = np.full((4, 2), np.nan)
    assert serial_matmul(a, b, out=out) is out
    assert np.array_equal(out, a @ b)


# -------------------------------------------------------------------- row_operation
@pytest.mark.parametrize("ufunc", [np.subtract, np.maximum, np.add])
@pytest.mark.parametrize("row_first", [False, True])
@pytest.mark.parametrize("rows_from_boundary", [-1, 0, 1])
@pytest.mark.parametrize("blocks", [0, 1, 3])
def test_row_operation_equals_broadcasting_bit_for_bit(
    ufunc, row_first, rows_from_boundary, blocks
):
    rng = np.random.default_rng(11)
    rows = max(0, blocks * vector.row_block(7) + rows_from_boundary)
    matrix = rng.normal(size=(rows, 7)).astype(np.float32)
    matrix[rng.random(matrix.shape) < 0.1] = 0.0
    row = rng.normal(size=7).astype(np.float32)
    row[2] = 0.0
    expected = ufunc(row, matrix) if row_first else ufunc(matrix, row)
    out = np.full_like(matrix, np.nan)
    assert vector.row_operation(ufunc, matrix, row, out, row_first=row_first) is out
    assert out.tobytes() == expected.tobytes()


def test_row_operation_in_place_and_on_a_non_contiguous_matrix():
    rng = np.random.default_rng(12)
    matrix = rng.normal(size=(3 * vector.row_block(4) + 5, 4))
    expected = np.maximum(matrix, 0.0)
    vector.row_operation(np.maximum, matrix, np.zeros(4), matrix)
    assert np.array_equal(matrix, expected)
    strided = rng.normal(size=(2 * vector.row_block(4), 8))[:, ::2]
    out = np.empty(strided.shape)
    vector.row_operation(np.subtract, strided, np.arange(4.0), out)
    assert np.array_equal(out, strided - np.arange(4.0))
