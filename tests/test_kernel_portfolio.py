"""Direct tests of ``Firms.portfolio_entries``: the incrementally maintained list of portfolio
cells must always equal ``np.flatnonzero(portfolio[:size])``, however the portfolio changed
(cells reported through ``track_portfolio``, edits nobody reported, firms founded, removed or
compacted away, whole model steps)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_model
from hypothesis import given, settings
from hypothesis import strategies as st

from smartspec.model import portfolio
from smartspec.model.portfolio import portfolio_layout

# More firms than the 64 rows below which a population is never compacted.
FIRMS = 80
# Firms enter (and so review and drop) domains far more often than calibrated, so that a few
# steps exercise the changes ``diversify`` reports.
DIVERSIFYING = {"firm.diversification_rate": 0.5}


def rescanned(firms) -> np.ndarray:
    return np.flatnonzero(firms.portfolio[: firms.size])


def assert_entries_exact(firms) -> None:
    entries = firms.portfolio_entries()
    assert np.array_equal(entries, rescanned(firms))
    assert_density_exact(firms)


def assert_density_exact(firms) -> None:
    """The density kept between layouts (rows recomputed only where portfolios changed) is
    bit for bit the density of every row computed afresh."""
    entries, n, rows = firms.portfolio_entries(), firms.size, firms.knowledge_space.density_rows32
    kept = firms.density.layout(entries, firms.entries.scans, n, rows).density
    fresh = portfolio_layout(
        entries, n, firms.domains, rows, np.empty((n, firms.domains), rows.dtype)
    )
    assert kept.tobytes() == fresh.density.tobytes()


def set_cell(firms, slot: int, domain: int, value: bool, tracked: bool) -> None:
    firms.portfolio[slot, domain] = value
    if tracked:
        cell = np.array([slot * firms.domains + domain])
        firms.track_portfolio(**({"added": cell} if value else {"dropped": cell}))


def found(firms, count: int, rng: np.random.Generator) -> np.ndarray:
    cores = rng.integers(0, firms.domains, count)
    return firms.found(0, count, cores, np.full(count, 0.5), np.full(count, 3.0))


def entries_and_rescans(firms, monkeypatch) -> tuple[np.ndarray, int]:
    """``portfolio_entries()`` and how many times it scanned the portfolio (a rescan goes
    through ``np.flatnonzero``; the update from reported changes does not)."""
    calls = []
    scan = np.flatnonzero
    with monkeypatch.context() as patch:
        patch.setattr(np, "flatnonzero", lambda *a, **k: calls.append(1) or scan(*a, **k))
        entries = type(firms).portfolio_entries(firms)  # the method, even if wrapped
    return entries, len(calls)


@pytest.fixture
def firms():
    return make_model(firms=FIRMS).firms


# --------------------------------------------------------------------------- examples
def test_entries_of_a_new_model_are_its_portfolio_cells(firms):
    assert_entries_exact(firms)
    assert len(firms.portfolio_entries()) >= FIRMS  # every firm holds its core domain


def test_reported_changes_are_applied_without_a_rescan(firms, monkeypatch):
    firms.portfolio_entries()
    outside = np.flatnonzero(~firms.portfolio[3])
    inside = np.flatnonzero(firms.portfolio[5])
    set_cell(firms, 3, outside[0], True, tracked=True)
    set_cell(firms, 5, inside[0], False, tracked=True)
    expected = rescanned(firms)
    entries, rescans = entries_and_rescans(firms, monkeypatch)
    assert np.array_equal(entries, expected)
    assert rescans == 0


def test_founded_firms_are_added_without_a_rescan(firms, monkeypatch):
    firms.portfolio_entries()
    found(firms, 7, np.random.default_rng(1))
    entries, rescans = entries_and_rescans(firms, monkeypatch)
    assert np.array_equal(entries, rescanned(firms))
    assert rescans == 0


def test_model_steps_report_their_changes(monkeypatch):
    """The verbs that edit portfolios (``diversify``, founding) report every change: in a step
    without compaction, no call of ``portfolio_entries`` (``prepare`` and the indicators both
    call it) rescans."""
    model = make_model(DIVERSIFYING, firms=FIRMS, seed=4)
    firms = model.firms
    rescans_per_call: list[int] = []
    reported = {"added": 0, "dropped": 0}

    def checked_entries() -> np.ndarray:
        added, dropped = firms.entries._added, firms.entries._dropped
        reported["added"] += len(added)
        reported["dropped"] += len(dropped)
        entries, rescans = entries_and_rescans(firms, monkeypatch)
        assert np.array_equal(entries, rescanned(firms))
        rescans_per_call.append(rescans)
        return entries

    monkeypatch.setattr(firms, "portfolio_entries", checked_entries)
    steps_checked = 0
    for _ in range(20):
        epoch = model.nodes.epoch
        rescans_per_call.clear()
        model.step()
        assert len(rescans_per_call) >= 2
        if model.nodes.epoch == epoch:  # compaction moves rows: then a rescan is expected
            assert sum(rescans_per_call) == 0
            steps_checked += 1
    # The run did exercise both kinds of change that verbs report.
    assert reported["added"] > 0 and reported["dropped"] > 0
    assert steps_checked >= 10


def test_a_cell_set_and_cleared_between_two_calls(firms):
    firms.portfolio_entries()
    domain = int(np.flatnonzero(~firms.portfolio[7])[0])
    set_cell(firms, 7, domain, True, tracked=True)
    set_cell(firms, 7, domain, False, tracked=True)
    assert_entries_exact(firms)


def test_unreported_edits_are_noticed(firms):
    firms.portfolio_entries()
    # An unreported addition, then an unreported swap that keeps the count of cells.
    firms.portfolio[2] = True
    assert_entries_exact(firms)
    held = int(np.flatnonzero(firms.portfolio[4])[0])
    free = int(np.flatnonzero(~firms.portfolio[4])[0])
    firms.portfolio[4, held] = False
    firms.portfolio[4, free] = True
    assert_entries_exact(firms)


def test_a_cell_reported_as_added_twice(firms):
    # A verb may report a domain the firm already holds (``diversify`` would for a firm with
    # no domain left to enter: its row of zero weights draws domain 0). The list must not
    # then hold that cell twice.
    firms.portfolio_entries()
    domain = int(np.flatnonzero(firms.portfolio[9])[0])
    set_cell(firms, 9, domain, True, tracked=True)
    assert_entries_exact(firms)


def test_a_duplicate_report_balanced_by_an_unreported_addition(firms):
    # The list then has as many cells as the portfolio, all of them set: only its order
    # (a repeated cell) shows it is wrong.
    firms.portfolio_entries()
    held = int(np.flatnonzero(firms.portfolio[9])[0])
    set_cell(firms, 9, held, True, tracked=True)
    set_cell(firms, 11, int(np.flatnonzero(~firms.portfolio[11])[0]), True, tracked=False)
    assert_entries_exact(firms)


def test_entries_after_founding_removal_and_compaction(firms):
    rng = np.random.default_rng(0)
    firms.portfolio_entries()
    found(firms, 5, rng)
    assert_entries_exact(firms)
    # Dead firms keep their rows (and cells) until compaction.
    firms.remove(np.arange(3))
    assert firms.size == FIRMS + 5
    assert_entries_exact(firms)
    firms.remove(np.arange(3, 40))
    assert firms.size == FIRMS + 5 - 40  # compacted
    assert_entries_exact(firms)
    found(firms, 2, rng)
    assert_entries_exact(firms)


def test_entries_through_model_steps():
    model = make_model(DIVERSIFYING, firms=FIRMS, seed=3)
    for _ in range(12):
        model.step()
        assert_entries_exact(model.firms)


# ------------------------------------------------------------------ random sequences
slot_choice = st.integers(0, 10**6)  # taken modulo the current size
domain_choice = st.integers(0, 10**6)  # taken modulo the number of domains
operations = st.one_of(
    st.tuples(st.just("set"), slot_choice, domain_choice, st.booleans()),
    st.tuples(st.just("clear"), slot_choice, domain_choice, st.booleans()),
    st.tuples(st.just("found"), st.integers(1, 12)),
    st.tuples(st.just("remove"), st.lists(slot_choice, max_size=30)),
    st.tuples(st.just("compact")),
    st.tuples(st.just("step")),
    st.tuples(st.just("check")),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(operations, max_size=30), st.integers(0, 2**32 - 1))
def test_entries_equal_the_portfolio_after_any_sequence_of_changes(sequence, seed):
    """Changes accumulate between explicit checks, as between two ``prepare`` calls."""
    model = make_model(DIVERSIFYING, firms=FIRMS, seed=seed)
    firms = model.firms
    rng = np.random.default_rng(seed)
    firms.portfolio_entries()
    for operation, *arguments in sequence:
        if operation in ("set", "clear", "remove") and firms.size == 0:
            continue  # every row compacted away: nothing to pick
        if operation in ("set", "clear"):
            slot, domain, tracked = arguments
            value = operation == "set"
            set_cell(firms, slot % firms.size, domain % firms.domains, value, tracked)
        elif operation == "found":
            found(firms, arguments[0], rng)
        elif operation == "remove":
            slots = np.unique(np.array(arguments[0], dtype=np.int64) % firms.size)
            firms.remove(slots[firms.alive[slots]])
            # What the model does after exits (end of ``step``): links never outlive a firm.
            model.network.drop_dead(model.nodes.alive)
        elif operation == "compact":
            firms.compact()
        elif operation == "step":
            model.step()
        else:
            assert_entries_exact(firms)
    assert_entries_exact(firms)


def test_model_steps_recompute_the_density_of_changed_rows_only(monkeypatch):
    model = make_model(DIVERSIFYING, firms=FIRMS, seed=5)
    recomputed: list[int] = []
    layout = portfolio.portfolio_layout

    def counted(entries, firms, domains, density_rows, out, rows=None):
        # The kept density's partial recomputations (a rescan recomputes every row).
        if rows is not None:
            recomputed.append(len(rows))
        return layout(entries, firms, domains, density_rows, out, rows)

    monkeypatch.setattr(portfolio, "portfolio_layout", counted)
    for _ in range(12):
        model.step()
        assert_density_exact(model.firms)
    assert recomputed and max(recomputed) < model.firms.size
