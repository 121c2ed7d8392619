"""The model's version: which set of mechanisms and defaults produced a result.

Raise :data:`MODEL_VERSION` in the commit that changes what the model computes on purpose (and
regenerate the golden tables, ``tests/golden/regenerate.py``, which record it). Every results
folder records it in ``provenance.json``; commands refuse to combine folders, calibrations and
resumed runs of different model versions. Folders written before versions were recorded are
version 1.
"""

from __future__ import annotations

__all__ = ["MODEL_VERSION", "UNVERSIONED"]

#: 1: the model of issues 2-11. 2: simulated firms stand for real ones
#: (``regions.N.represented_firms``): results at other than 1,000 simulated firms changed.
#: 3: budgets as a share of GDP, R&D intensity as BERD / GDP, grants spent over projects with
#: crowding-out, a burn-in before quarter 0, and an index normalised like the RIS against a
#: fixed base-year reference. 4: relatedness produced by the dynamics (entrants choose domains
#: as diversifying firms do, a revenue premium for related local capabilities, a sharper domain
#: review), region x domain market demand shocks, and a capital buffer re-set against T6-T8.
#: 5: named random streams (every verb, founding, instrument and input-data field draws from its
#: own child generator), revenue elastic to relative knowledge, entrants add core expertise to
#: what they know of a domain, and citizens' trust weighs priorities by the salience of needs.
#: 6: entrants start from the knowledge of the region's firms active in their domain (not the
#: mean over all firms), with less starting capital, and T6-T9 are calibrated and validated
#: as Eurostat counts them (firms active in the year; calendar-year cohorts).
#: 7: a growing business population (``firm.population_growth`` 0.02 a year from quarter 0,
#: held in the burn-in) with thinner margins (``firm.wage_share`` 0.94) and less start-up
#: capital (``firm.capital_max`` 0.3), spin-outs inheriting on top of an entrant's knowledge,
#: and archetypes starting less concentrated in their specialisations (0.3-0.39 of firms).
#: 8: the synthetic knowledge space without noise by default (``knowledge.noise`` 0, was
#: 0.05, which moved no output beyond seed noise): proximities are the ring of families' levels.
MODEL_VERSION = 8
#: The version of a folder whose provenance records none.
UNVERSIONED = 1
