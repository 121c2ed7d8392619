"""The CIS-like indicators (model/cis.py, docs/ODD.md §7.8) by hand on a constructed state."""

from __future__ import annotations

import numpy as np
import pytest

from smartspec.model.base import NEVER
from smartspec.model.cis import cis_shares, cis_window


def _constructed(make_model):
    """Four surveyed firms (20 employees): two innovated inside the 3-year window (one linked
    to a firm, one to a university), one just outside it, one never; every other firm has 5
    employees, innovated last quarter and is linked, so that it must not count."""
    model = make_model(firms=40, seed=3)
    firms, network = model.firms, model.network
    n = firms.size
    network.keep(np.zeros(len(network), dtype=bool))
    live = np.flatnonzero(firms.alive[:n])
    firms.employees[:n] = 5.0
    firms.last_innovation[:n] = model.steps - 1
    surveyed = live[:4]
    firms.employees[surveyed] = 20.0
    firms.last_innovation[surveyed] = [
        model.steps - cis_window() + 1,
        model.steps - 3,
        model.steps - cis_window(),
        NEVER,
    ]
    small = live[4:]
    network.add(firms.uid[small[:-1]], firms.uid[small[1:]])
    network.add(firms.uid[[surveyed[0]]], firms.uid[[small[0]]])
    network.add(firms.uid[[surveyed[1]]], model.universities.uid[[0]])
    network.add(firms.uid[[surveyed[2]]], model.universities.uid[[0]])  # not innovative
    return model


def test_cis_shares_count_the_survey_population_by_hand(make_model):
    model = _constructed(make_model)
    shares = cis_shares(model.steps, model.firms, model.nodes, model.network, 1)
    assert shares["cis_innovating_share"][0] == pytest.approx(2 / 4)
    assert shares["cooperation_share"][0] == pytest.approx(2 / 2)
    assert shares["university_cooperation_share"][0] == pytest.approx(1 / 2)


def test_cis_shares_are_zero_without_surveyed_firms(make_model):
    model = make_model(firms=20, seed=2)
    model.firms.employees[: model.firms.size] = 3.0
    shares = cis_shares(model.steps, model.firms, model.nodes, model.network, 1)
    assert all(values[0] == 0.0 for values in shares.values())


def test_cis_indicators_are_region_table_columns(make_model):
    model = make_model(firms=60, seed=4)
    model.run_for(2)
    table = model.indicators()
    for column in ("cis_innovating_share", "cooperation_share", "university_cooperation_share"):
        assert table[column].between(0, 1).all()
    # A link to a university is a collaboration link: that share is never the larger.
    assert (table["university_cooperation_share"] <= table["cooperation_share"]).all()
