"""Smart-specialisation metrics on region x domain tables, vectorised.

Functions take plain arrays (rows: regions, columns: domains) so that they serve the model's
per-step indicators and the analysis of stored results alike.

References
----------
Balassa, B. (1965). Trade liberalisation and revealed comparative advantage.
Hidalgo, C. A., Klinger, B., Barabasi, A.-L., Hausmann, R. (2007). The product space
conditions the development of nations. Science 317, 482-487.
Hidalgo, C. A., Hausmann, R. (2009). The building blocks of economic complexity. PNAS 106.
Frenken, K., Van Oort, F., Verburg, T. (2007). Related variety, unrelated variety and regional
economic growth. Regional Studies 41(5), 685-697.
Boschma, R., Balland, P.-A., Kogler, D. F. (2015). Relatedness and technological change in
cities. Industrial and Corporate Change 24(1), 223-250.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "MULTI_REGION_INDICATORS",
    "economic_complexity",
    "entropy_variety",
    "excess_kurtosis",
    "proximity_from_specialisation",
    "rca",
    "relatedness_density",
    "relatedness_weights",
    "specialisation",
]

#: Indicators that are NaN by definition with a single region, and why (the measurement
#: leaves them empty; experiments refuse them as outcomes of a one-region scenario).
MULTI_REGION_INDICATORS = {
    "eci": "economic complexity ranks regions against each other, so it needs at least 2",
}


def rca(values: np.ndarray, reference_share: np.ndarray | None = None) -> np.ndarray:
    """Revealed comparative advantage.

    RCA[r, d] = (x_rd / sum_d x_rd) / (sum_r x_rd / sum_rd x_rd), or, with a reference
    portfolio w, (x_rd / sum_d x_rd) / w_d. Rows with no activity get RCA 0.
    """
    values = np.asarray(values, dtype=np.float64)
    totals = values.sum(axis=1, keepdims=True)
    shares = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    if reference_share is None:
        column = values.sum(axis=0)
        reference_share = column / column.sum() if column.sum() > 0 else column
    reference = np.asarray(reference_share, dtype=np.float64)
    return np.divide(shares, reference, out=np.zeros_like(shares), where=reference > 0)


def specialisation(rca_values: np.ndarray, threshold: float = 1.0) -> np.ndarray:
    """Binary specialisation matrix M[r, d] = 1 if RCA[r, d] >= threshold."""
    return (np.asarray(rca_values) >= threshold).astype(np.float64)


def proximity_from_specialisation(m: np.ndarray) -> np.ndarray:
    """Co-specialisation proximity phi(i, j) = min(P(i|j), P(j|i)) (Hidalgo et al. 2007).

    P(i|j) = sum_r M_ri M_rj / sum_r M_rj. Domains nobody specialises in get proximity 0.
    """
    m = np.asarray(m, dtype=np.float64)
    together = m.T @ m
    ubiquity = m.sum(axis=0)
    conditional = np.divide(
        together, ubiquity[None, :], out=np.zeros_like(together), where=ubiquity[None, :] > 0
    )
    return np.minimum(conditional, conditional.T)


def relatedness_density(
    m: np.ndarray, proximity: np.ndarray, include_self: bool = False
) -> np.ndarray:
    """Relatedness density of each region around each domain.

    density[r, d] = sum_j M[r, j] phi[d, j] / sum_j phi[d, j]. By default j runs over the
    *other* domains (relatedness to what the region does elsewhere); ``include_self=True``
    keeps j = d, as the ``ecomplexity`` package does.
    """
    return np.asarray(m, dtype=np.float64) @ relatedness_weights(proximity, include_self).T


def relatedness_weights(proximity: np.ndarray, include_self: bool = False) -> np.ndarray:
    """The weights of :func:`relatedness_density`: phi[d, j] / sum_j phi[d, j] (domains x
    domains; a row of zeros for a domain related to none), without j = d by default."""
    phi = np.asarray(proximity, dtype=np.float64).copy()
    if not include_self:
        np.fill_diagonal(phi, 0.0)
    totals = phi.sum(axis=1)
    return np.divide(phi, totals[:, None], out=np.zeros_like(phi), where=totals[:, None] > 0)


def economic_complexity(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Economic complexity (ECI, regions) and domain complexity (PCI) by the eigenvector method.

    M~_dd' = sum_r M_rd M_rd' / (k_r k_d); PCI is the eigenvector of the second-largest
    eigenvalue, ECI = (M / k_r) @ PCI, signed so that ECI correlates positively with
    diversity, then both standardised (mean 0, s.d. 1). Regions or domains with zero
    diversity or ubiquity get NaN. With fewer than two valid regions both are NaN.
    """
    m = np.asarray(m, dtype=np.float64)
    diversity = m.sum(axis=1)
    ubiquity = m.sum(axis=0)
    rows, cols = diversity > 0, ubiquity > 0
    eci = np.full(m.shape[0], np.nan)
    pci = np.full(m.shape[1], np.nan)
    if rows.sum() < 2 or cols.sum() < 2:
        return eci, pci
    valid = m[rows][:, cols]
    by_region = valid / diversity[rows][:, None]
    by_domain = valid / ubiquity[cols][None, :]
    transition = by_domain.T @ by_region
    values, vectors = np.linalg.eig(transition)
    order = np.argsort(values.real)
    domain_vector = vectors[:, order[-2]].real
    region_vector = by_region @ domain_vector
    if np.std(region_vector) == 0 or np.std(domain_vector) == 0:
        return eci, pci
    sign = 1.0
    if np.std(diversity[rows]) > 0:
        sign = np.sign(np.corrcoef(diversity[rows], region_vector)[0, 1]) or 1.0
    eci[rows] = _standardise(sign * region_vector)
    pci[cols] = _standardise(sign * domain_vector)
    return eci, pci


def excess_kurtosis(values: np.ndarray, groups: np.ndarray | None, count: int) -> np.ndarray:
    """Excess kurtosis m4 / m2^2 - 3 of ``values`` within each of ``count`` groups (NaN for
    a group without values or spread): 0 for normal values, 3 for Laplace ones, the tent
    shape of firm growth rates (Stanley et al. 1996; Bottazzi & Secchi 2006). With one
    group, ``groups`` is not read (None will do)."""
    values = np.asarray(values, dtype=np.float64)
    found = np.full(count, np.nan)
    if count == 1:  # every value is in group 0: no masked copy
        if len(values):
            found[0] = _kurtosis(values)
        return found
    for group in np.flatnonzero(np.bincount(groups, minlength=count)).tolist():
        found[group] = _kurtosis(values[groups == group])
    return found


#: Machine epsilon of float64 (np.finfo's lookup costs more than the rest of a scalar step).
_EPS = np.finfo(np.float64).eps


def _kurtosis(values: np.ndarray) -> float:
    """``scipy.stats.kurtosis(values)`` (Fisher, biased), without its per-call argument
    handling. The powers are products, not ``np.power`` with an array exponent as scipy
    forms them: twenty times faster, equal to the last bit or two. Without spread, NaN
    (scipy's test for it, which also covers the zero standard deviation)."""
    mean = np.mean(values, keepdims=True)
    deviation = values - mean
    square = deviation * deviation
    m2 = np.mean(square)
    m4 = np.mean(square * square)
    bound = _EPS * mean[0]
    if m2 <= bound * bound:
        return np.nan
    # The kurtosis of a normal distribution is 3 = 2 + 1 (bare numbers are scenario fields).
    return float(m4 / (m2 * m2) - (2.0 + 1.0))


def _standardise(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def entropy_variety(values: np.ndarray, family: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Related and unrelated variety by entropy decomposition (Frenken et al. 2007).

    With shares p_d of each region's activity over domains and family shares P_g:
    unrelated variety UV = sum_g P_g log2(1/P_g); related variety
    RV = sum_g P_g H_g with H_g = sum_{d in g} (p_d/P_g) log2(P_g/p_d).
    Returns (related, unrelated), one value per row.
    """
    values = np.asarray(values, dtype=np.float64)
    family = np.asarray(family)
    totals = values.sum(axis=1, keepdims=True)
    shares = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    group_shares = shares @ _family_indicator(tuple(family.tolist()))
    unrelated = -np.sum(_plogp(group_shares), axis=1)
    # total entropy = UV + RV (entropy decomposition theorem)
    total = -np.sum(_plogp(shares), axis=1)
    return total - unrelated, unrelated


@functools.cache
def _family_indicator(family: tuple) -> np.ndarray:
    """The (domains x families) 0/1 matrix of a family labelling, families in sorted order.
    Kept per labelling: a model's families never change, and np.unique took a third of a
    step's variety measure. Read-only, as it is shared."""
    labels = np.asarray(family)
    groups = np.unique(labels)
    indicator = (labels[:, None] == groups[None, :]).astype(np.float64)
    indicator.flags.writeable = False
    return indicator


def _plogp(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log2(p), 0.0)
