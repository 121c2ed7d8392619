"""Unit tests of the citizen-group verbs (docs/ODD.md §7.4): participation, co-creation of
social innovations and trust. The verbs that read policy get the governments
(``model.governments``)."""

from __future__ import annotations

import numpy as np
import pytest
from verb_helpers import (
    GOVERNANCE,
    check_determinism,
    clear_network,
    make_model,
    record_calls,
    start_step,
)

from smartspec.model.citizen import CitizenGroups
from smartspec.scenarios.schema import Governance


def test_citizen_verbs_run_in_the_order_of_VERBS(monkeypatch):
    model = make_model()
    start_step(model)
    citizens = model.citizens
    calls = record_calls(citizens, CitizenGroups.VERBS, monkeypatch)
    citizens.step(model.governments)
    assert [verb for verb, _ in calls] == list(CitizenGroups.VERBS)
    # The verbs that read policy get the governments.
    for verb, args in calls:
        expected = () if verb == "co_create" else (model.governments,)
        assert args == expected, verb


#: The citizen-group verbs that draw from the model's generator.
STOCHASTIC = {"co_create"}


@pytest.mark.parametrize("verb", CitizenGroups.VERBS)
def test_verbs_are_deterministic_given_the_model_generator(verb):
    check_determinism("citizens", verb, stochastic=verb in STOCHASTIC)


PARTICIPATION = {
    "citizens.participation_base": 0.1,
    "citizens.participation_trust": 0.2,
    "citizens.participation_labs": 0.5,
    "citizens.participation_open_edp": 0.1,
}


@pytest.mark.parametrize("overrides", [{}, PARTICIPATION], ids=["defaults", "changed"])
def test_participation_moves_towards_its_target(overrides):
    model = make_model({"regions.0.citizen_groups": 40, **overrides})
    citizens, governments = model.citizens, model.governments
    params = model.spec.citizens
    groups = np.arange(citizens.size)
    start_step(model)
    citizens.trust[groups] = np.where(groups % 2 == 0, 0.9, 0.1)
    citizens.participation[groups] = 0.2
    citizens.lab_boost[groups] = np.where(groups % 4 < 2, 0.0, 2.0)
    governments.governance[0] = GOVERNANCE.index(Governance.top_down)
    citizens.participate(governments)
    lab = np.minimum(citizens.lab_boost[groups], 1.0)
    target = np.clip(
        params.participation_base
        + params.participation_trust * citizens.trust[groups]
        + params.participation_labs * lab,
        0,
        1,
    )
    rate = params.participation_adjustment
    expected = 0.2 + rate * (target - 0.2)
    np.testing.assert_allclose(citizens.participation[groups], expected)
    trusting = citizens.participation[0::4]  # high trust, no lab
    sceptical = citizens.participation[1::4]
    assert (trusting > 0.2).all() and (sceptical < 0.2).all()
    # An open (quadruple-helix) EDP raises the target by participation_open_edp.
    citizens.participation[groups] = 0.2
    governments.governance[0] = GOVERNANCE.index(Governance.quadruple_helix)
    citizens.participate(governments)
    np.testing.assert_allclose(
        citizens.participation[groups], expected + rate * params.participation_open_edp
    )


def test_co_create_counts_social_innovations():
    model = make_model({"regions.0.citizen_groups": 40, "citizens.social_innovation_rate": 0.2})
    citizens = model.citizens
    groups = np.arange(citizens.size)
    clear_network(model)
    start_step(model)
    citizens.trust[groups] = 0.5
    citizens.lab_boost[groups] = 0.0
    engaged, absent = groups[::2], groups[1::2]
    citizens.participation[engaged], citizens.participation[absent] = 1.0, 0.0
    counts = np.zeros(citizens.size, dtype=np.int64)
    total = 0
    for _ in range(60):
        before = citizens.social_innovations[groups].copy()
        citizens.co_create()
        step_innovations = citizens.social_innovations[groups] - before
        assert (step_innovations == citizens.innovated[groups]).all()
        counts += step_innovations
        total += int(citizens.innovated[groups].sum())
    assert model.regions.social_innovations[0] == total == counts.sum()
    assert counts[engaged].sum() > 3 * max(counts[absent].sum(), 5)


@pytest.mark.parametrize("persistence", [None, 0.5])
def test_co_create_decays_the_lab_boost(persistence):
    model = make_model({} if persistence is None else {"citizens.lab_persistence": persistence})
    citizens = model.citizens
    groups = np.arange(citizens.size)
    start_step(model)
    citizens.lab_boost[groups] = 1.0
    citizens.co_create()
    kept = model.spec.citizens.lab_persistence
    assert persistence is None or kept == persistence
    np.testing.assert_allclose(citizens.lab_boost[groups], kept)


TRUST = {
    "citizens.trust_base": 0.05,
    "citizens.trust_alignment": 0.5,
    "citizens.trust_quality": 0.2,
}


@pytest.mark.parametrize("overrides", [{}, TRUST], ids=["defaults", "changed"])
def test_trust_follows_alignment_of_needs_with_priorities(overrides):
    model = make_model({"regions.0.citizen_groups": 20, **overrides})
    citizens, governments = model.citizens, model.governments
    params = model.spec.citizens
    groups = np.arange(citizens.size)
    size = model.knowledge.size
    governments.priorities[0] = False
    governments.priorities[0, :6] = True
    aligned, misaligned = groups[:10], groups[10:]
    citizens.needs[aligned] = np.where(np.arange(size) < 6, 1 / 6, 0.0)
    citizens.needs[misaligned] = np.where(np.arange(size) >= 6, 1 / (size - 6), 0.0)
    citizens.trust[groups] = 0.4
    citizens.innovated[groups] = False
    start_step(model)
    citizens.update_trust(governments)
    quality = governments.quality[0]
    rate = params.trust_adjustment
    # Needs of the aligned groups lie wholly in the priorities (alignment 1), those of the
    # misaligned groups wholly outside (alignment 0).
    base = params.trust_base + params.trust_quality * quality
    np.testing.assert_allclose(
        citizens.trust[aligned], 0.4 + rate * (base + params.trust_alignment - 0.4)
    )
    np.testing.assert_allclose(citizens.trust[misaligned], 0.4 + rate * (base - 0.4))
    assert (citizens.trust[aligned] > citizens.trust[misaligned]).all()
