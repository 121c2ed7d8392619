"""Firm portfolios as lists of (firm, domain) entries, and their relatedness density.

Firms hold few of the K domains, so per-entry work is far cheaper than passes over every
domain. :class:`PortfolioEntries` keeps the list current from the cells that verbs report as
set or cleared, and falls back to a scan whenever anything else edited the portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .vector import insert_sorted

__all__ = ["PortfolioEntries", "PortfolioLayout", "portfolio_layout"]


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
            at = np.minimum(np.searchsorted(tracked, dropped), max(len(tracked) - 1, 0))
            tracked = np.delete(tracked, at) if len(tracked) else tracked
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


def portfolio_layout(
    entries: np.ndarray, firms: int, domains: int, density_rows: np.ndarray, out: np.ndarray
) -> PortfolioLayout:
    """Split ``entries`` and compute each firm's relatedness density into ``out``.

    The density of a portfolio is the density operator's row of its first domain plus the
    rows of any further ones (the matrix product portfolio @ operator, without multiplying
    zeros). ``density_rows`` has K + 1 rows, the last one zero for firms without a domain.
    """
    entry_firm = entries // domains
    entry_domain = entries - entry_firm * domains
    size = np.bincount(entry_firm, minlength=firms)
    # rank = position of an entry among its firm's entries (0 for the first domain).
    first_entry = np.cumsum(size) - size
    rank = np.arange(len(entries)) - first_entry[entry_firm]
    first = rank == 0
    first_domain = np.full(firms, domains, dtype=np.int64)
    first_domain[entry_firm[first]] = entry_domain[first]
    density = np.take(density_rows, first_domain, axis=0, out=out, mode="clip")
    # Further domains rank by rank: within a rank every firm appears once, so a plain indexed
    # add is exact (no np.add.at); there are only as many ranks as domains held.
    further = np.flatnonzero(~first)
    for level in range(1, int(rank.max(initial=0)) + 1):
        at = further[rank[further] == level]
        density[entry_firm[at]] += density_rows[entry_domain[at]]
    return PortfolioLayout(entries, entry_firm, entry_domain, size, density)
