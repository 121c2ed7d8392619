"""Firm portfolios as lists of (firm, domain) entries, and their relatedness density.

Firms hold few of the K domains, so per-entry work is far cheaper than passes over every
domain. :class:`PortfolioEntries` keeps the list current from the cells that verbs report as
set or cleared, and falls back to a scan whenever anything else edited the portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .vector import insert_sorted

__all__ = ["PortfolioDensity", "PortfolioEntries", "PortfolioLayout", "portfolio_layout"]


class PortfolioEntries:
    """The True cells of a (firms x domains) portfolio as sorted flat indices.

    The verbs that change portfolios report the cells they set and clear (:meth:`track`),
    which are applied to the list of the last :meth:`current` call: that spares a scan of the
    whole portfolio. The list is used only after a check that it is exactly the portfolio's:
    strictly increasing, every listed cell True and as many cells True as listed. Anything
    else that edits the portfolio (initialisation, compaction, tests) therefore just makes it
    rescan.
    """

    def __init__(self) -> None:
        self._tracked: np.ndarray | None = None
        self._added: list[np.ndarray] = []
        self._dropped: list[np.ndarray] = []
        #: How many times :meth:`current` scanned the whole portfolio (its list could not be
        #: updated from reported changes): what others derived from the list is stale then.
        self.scans = 0

    def track(self, added: np.ndarray | None = None, dropped: np.ndarray | None = None) -> None:
        """Note cells set True (``added``) or False (``dropped``), as flat indices."""
        if added is not None and len(added):
            self._added.append(added)
        if dropped is not None and len(dropped):
            self._dropped.append(dropped)

    def forget(self) -> None:
        """Rows moved (compaction): the next :meth:`current` rescans."""
        self._tracked = None
        self._added, self._dropped = [], []

    def current(self, portfolio: np.ndarray) -> np.ndarray:
        """The flat indices of the True cells of ``portfolio`` (rows ``[:size]``), sorted."""
        tracked = self._tracked
        if tracked is not None and self._dropped:
            dropped = np.concatenate(self._dropped)
            if len(tracked):
                at = np.minimum(np.searchsorted(tracked, dropped), len(tracked) - 1)
                # np.delete's own mask, without its argument handling.
                kept = np.ones(len(tracked), dtype=bool)
                kept[at] = False
                tracked = tracked[kept]
        if tracked is not None and self._added:
            added = np.sort(np.concatenate(self._added))
            tracked = insert_sorted(tracked, np.searchsorted(tracked, added), added)
        if (
            tracked is not None
            and (len(tracked) == 0 or tracked[-1] < portfolio.size)
            and len(tracked) == np.count_nonzero(portfolio)
            and portfolio.reshape(-1)[tracked].all()
            and not np.any(tracked[1:] <= tracked[:-1])
        ):
            entries = tracked
        else:
            entries = np.flatnonzero(portfolio)
            self.scans += 1
        self._tracked = entries
        self._added, self._dropped = [], []
        return entries


@dataclass(frozen=True)
class PortfolioLayout:
    """A portfolio's entries and what follows from them.

    ``entries``: flat indices into the (firms x domains) arrays, sorted by firm;
    ``entry_firm``, ``entry_domain``: their rows and columns; ``size``: domains per firm;
    ``density``: relatedness density of every domain to each firm's portfolio (firms x K).
    """

    entries: np.ndarray
    entry_firm: np.ndarray
    entry_domain: np.ndarray
    size: np.ndarray
    density: np.ndarray


class PortfolioDensity:
    """Each firm row's relatedness density to its portfolio (rows x K), kept from one
    :meth:`layout` to the next: a row is recomputed only when its portfolio changed (rows
    reported through :meth:`note`) or the row is new, and the same way as all rows are, so
    with the same sums. Most firms keep their portfolio for many quarters.

    Whenever the entries had to be rescanned (``PortfolioEntries.scans`` moved: an edit
    nobody reported, rows moved by compaction), every row is recomputed.
    """

    def __init__(self) -> None:
        self._buffer: np.ndarray | None = None
        self._rows = 0  # rows [:_rows] of the buffer are current
        self._scans = -1
        self._changed: list[np.ndarray] = []

    def note(self, rows: np.ndarray) -> None:
        """Firm rows whose portfolio changed."""
        self._changed.append(rows)

    def forget(self) -> None:
        """Rows moved: the next :meth:`layout` recomputes every row."""
        self._buffer = None

    def layout(
        self, entries: np.ndarray, scans: int, firms: int, density_rows: np.ndarray
    ) -> PortfolioLayout:
        """:func:`portfolio_layout` of ``entries`` (as of ``scans``) over ``firms`` rows."""
        buffer, domains = self._buffer, density_rows.shape[1]
        stale = buffer is None or scans != self._scans
        if stale or len(buffer) < firms:
            grown = np.empty((2 * firms, domains), dtype=np.float32)
            if not stale:
                grown[: self._rows] = buffer[: self._rows]
            self._buffer = buffer = grown
        rows = None
        if not stale:
            changed = np.zeros(firms, dtype=bool)
            for noted in self._changed:
                changed[noted[noted < firms]] = True
            changed[self._rows :] = True
            rows = np.flatnonzero(changed)
        self._rows, self._scans, self._changed = firms, scans, []
        return portfolio_layout(entries, firms, domains, density_rows, buffer[:firms], rows)


def portfolio_layout(
    entries: np.ndarray,
    firms: int,
    domains: int,
    density_rows: np.ndarray,
    out: np.ndarray,
    rows: np.ndarray | None = None,
) -> PortfolioLayout:
    """Split ``entries`` and compute each firm's relatedness density into ``out`` (only that
    of the firms ``rows``, sorted, if given: the other rows of ``out`` are left as they are).

    The density of a portfolio is the density operator's row of its first domain plus the
    rows of any further ones (the matrix product portfolio @ operator, without multiplying
    zeros). ``density_rows`` has K + 1 rows, the last one zero for firms without a domain.
    """
    entry_firm = entries // domains
    entry_domain = entries - entry_firm * domains
    size = np.bincount(entry_firm, minlength=firms)
    first_entry = np.cumsum(size) - size
    every = np.arange(firms) if rows is None else rows
    _density_of_rows(every, size[every], first_entry[every], entry_domain, density_rows, out)
    return PortfolioLayout(entries, entry_firm, entry_domain, size, out)


def _density_of_rows(
    rows: np.ndarray,
    held: np.ndarray,
    first_entry: np.ndarray,
    entry_domain: np.ndarray,
    density_rows: np.ndarray,
    out: np.ndarray,
) -> None:
    """The density of the firms ``rows`` (holding ``held`` domains from entry ``first_entry``
    on) into their rows of ``out``: the first domain's row, then the further domains' rows
    added level by level (within a level every firm appears once, so a plain indexed add is
    exact, without np.add.at; there are only as many levels as domains held)."""
    # The last row of the operator is the zero row, for firms without a domain.
    first_domain = np.full(len(rows), len(density_rows) - 1, dtype=np.int64)
    holding = np.flatnonzero(held > 0)
    first_domain[holding] = entry_domain[first_entry[holding]]
    out[rows] = density_rows[first_domain]
    for level in range(1, int(held.max(initial=0))):
        at = np.flatnonzero(held > level)
        out[rows[at]] += density_rows[entry_domain[first_entry[at] + level]]
