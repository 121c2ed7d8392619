"""S3 metrics against an independent implementation (the ecomplexity package) and by definition."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from smartspec.model import metrics

ecomplexity = pytest.importorskip("ecomplexity")


def table(values: np.ndarray) -> pd.DataFrame:
    regions, domains = values.shape
    return pd.DataFrame(
        [
            {"time": 2020, "loc": f"r{r:02d}", "prod": f"p{d:02d}", "val": values[r, d]}
            for r in range(regions)
            for d in range(domains)
        ]
    )


COLUMNS = {"time": "time", "loc": "loc", "prod": "prod", "val": "val"}


@pytest.fixture(params=[1, 2, 3])
def activity(request) -> np.ndarray:
    rng = np.random.default_rng(request.param)
    values = rng.lognormal(0.0, 1.2, (14, 10)) * (rng.random((14, 10)) < 0.8)
    values[:, 0] += 0.1  # every domain present somewhere
    values[0] += 0.1  # every region active
    return values


@pytest.fixture
def reference(activity):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ecomplexity.ecomplexity(table(activity), COLUMNS, verbose=False)
        proximity = ecomplexity.proximity(table(activity), COLUMNS)
    return out, proximity


def wide(frame: pd.DataFrame, value: str, index: str = "loc", columns: str = "prod"):
    return frame.pivot(index=index, columns=columns, values=value).sort_index().to_numpy()


def test_rca_matches_ecomplexity(activity, reference):
    out, _ = reference
    assert np.allclose(metrics.rca(activity), wide(out, "rca"))


def test_proximity_and_density_match_ecomplexity(activity, reference):
    out, proximity = reference
    m = metrics.specialisation(metrics.rca(activity))
    phi = metrics.proximity_from_specialisation(m)
    expected = wide(proximity, "proximity", "prod_1", "prod_2")
    assert np.allclose(phi, np.nan_to_num(expected))
    density = metrics.relatedness_density(m, phi, include_self=True)
    assert np.allclose(density, wide(out, "density"))


def test_eci_and_pci_match_ecomplexity(activity, reference):
    out, _ = reference
    eci, pci = metrics.economic_complexity(metrics.specialisation(metrics.rca(activity)))
    expected_eci = out.groupby("loc")["eci"].first().sort_index().to_numpy()
    expected_pci = out.groupby("prod")["pci"].first().sort_index().to_numpy()
    assert np.allclose(eci, (expected_eci - expected_eci.mean()) / expected_eci.std())
    assert np.allclose(pci, (expected_pci - expected_pci.mean()) / expected_pci.std())


def test_rca_with_reference_portfolio():
    values = np.array([[2.0, 2.0, 0.0]])
    result = metrics.rca(values, reference_share=np.array([0.25, 0.25, 0.5]))
    assert np.allclose(result, [[2.0, 2.0, 0.0]])


def test_density_excluding_self_ignores_the_domain_itself():
    phi = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
    m = np.array([[1.0, 0.0, 0.0]])
    density = metrics.relatedness_density(m, phi)
    assert density[0, 1] == pytest.approx(1.0)  # its only neighbour is held
    assert density[0, 0] == pytest.approx(0.0)  # holding d itself does not count
    assert density[0, 2] == pytest.approx(0.0)  # unrelated to everything


def test_entropy_variety_decomposition():
    family = np.array([0, 0, 1, 1])
    even = np.array([[1.0, 1.0, 1.0, 1.0]])
    related, unrelated = metrics.entropy_variety(even, family)
    assert unrelated[0] == pytest.approx(1.0)  # two equal families: 1 bit
    assert related[0] == pytest.approx(1.0)  # two equal domains in each: 1 bit
    one_family = np.array([[1.0, 1.0, 0.0, 0.0]])
    related, unrelated = metrics.entropy_variety(one_family, family)
    assert unrelated[0] == pytest.approx(0.0)
    assert related[0] == pytest.approx(1.0)


def test_eci_undefined_for_a_single_region():
    eci, pci = metrics.economic_complexity(np.array([[1.0, 0.0, 1.0]]))
    assert np.isnan(eci).all() and np.isnan(pci).all()


def test_excess_kurtosis_by_group_matches_scipy():
    from scipy.stats import kurtosis

    rng = np.random.default_rng(4)
    values = np.concatenate([rng.laplace(size=400), rng.normal(size=300), [1.0, 1.0]])
    groups = np.repeat([0, 2, 3], [400, 300, 2])
    found = metrics.excess_kurtosis(values, groups, 4)
    assert found[0] == pytest.approx(kurtosis(values[:400]))
    assert found[2] == pytest.approx(kurtosis(values[400:700]))
    # No spread (group 3) or no values (group 1): undefined.
    assert np.isnan(found[1]) and np.isnan(found[3])
    # Laplace values are fat-tailed (3), normal ones are not (0).
    assert found[0] > 1.5 and abs(found[2]) < 0.8
