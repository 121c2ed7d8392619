"""The one rule for changing a policy mix's budget shares (``--set``, experiments,
calibration, the EMA connector and the dashboard all call it).

A mix's shares sum to 1, so a share cannot change alone:

* **Named shares are fixed, the others rescale.** Setting ``mix.shares.training = 0.4``
  gives training 0.4 and rescales every other instrument proportionally, so that they keep
  their proportions to each other and together take 0.6 (:func:`set_mix_shares`). Several
  shares set together are all fixed and the rest share what is left.
* **Infeasible points are refused.** Named shares summing to more than 1, or to less than 1
  when every other share is 0 (nothing to rescale), are a one-line :class:`ScenarioError`.
* **Sampling several shares on the simplex.** When an experiment varies several shares with
  ``design.shares = "normalised"``, the sampled values are weights: the varied instruments
  share the total they had in the base mix in proportion to their weights
  (:func:`normalise_share_weights`), so every draw is a feasible mix.

Dotted overrides whose path ends in ``shares.INSTRUMENT`` under ``mix`` (or
``mix.phases.N``) follow these rules wherever a scenario is loaded
(:func:`split_share_overrides`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from .errors import ScenarioError
from .instruments import INSTRUMENTS

__all__ = [
    "SHARE_PATH",
    "is_share_path",
    "mix_table_at",
    "normalise_share_weights",
    "set_mix_shares",
    "split_share_overrides",
]

#: A dotted path to one budget share: ``mix.shares.NAME`` or ``mix.phases.N.shares.NAME``.
SHARE_PATH = re.compile(r"^(?P<table>mix(?:\.phases\.\d+)?)\.shares\.(?P<instrument>[^.]+)$")
_EPSILON = 1e-9


def is_share_path(dotted: str) -> bool:
    """Whether a dotted scenario path names one budget share of a mix."""
    return SHARE_PATH.match(dotted) is not None


def mix_table_at(raw: Mapping[str, Any], table_path: str, source: str = "scenario") -> Any:
    """The mix (or phase) table at ``mix`` or ``mix.phases.N`` of a raw scenario table (or of
    a dumped one); a path that leads nowhere is a :class:`ScenarioError` for ``source``."""
    node: Any = raw
    for part in table_path.split("."):
        if isinstance(node, list):
            if not (part.isdigit() and int(part) < len(node)):
                raise ScenarioError(
                    source, table_path, f"no list item '{part}' (there are {len(node)})"
                )
            node = node[int(part)]
        elif isinstance(node, dict) and isinstance(node.get(part), dict | list):
            node = node[part]
        else:
            raise ScenarioError(source, table_path, "no such mix table to set shares in")
    if not isinstance(node, dict):
        raise ScenarioError(source, table_path, "is not a table")
    return node


def _checked(values: Mapping[str, Any], source: str, field: str) -> dict[str, float]:
    checked = {}
    for name, value in values.items():
        if name not in INSTRUMENTS:
            raise ScenarioError(
                source,
                f"{field}.{name}",
                f"unknown instrument '{name}' (known: {', '.join(INSTRUMENTS)})",
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(source, f"{field}.{name}", f"must be a number, got {value!r}")
        if not 0.0 <= float(value) <= 1.0:
            raise ScenarioError(source, f"{field}.{name}", f"must be in [0, 1], got {value!r}")
        checked[name] = float(value)
    return checked


def set_mix_shares(
    shares: Mapping[str, float],
    values: Mapping[str, float],
    *,
    source: str = "--set",
    field: str = "mix.shares",
    others_zero: Literal["error", "spread"] = "error",
) -> dict[str, float]:
    """A mix's shares with some of them set and the others rescaled proportionally.

    Parameters
    ----------
    shares : mapping
        The mix's current shares (instrument -> share; unlisted instruments are 0).
    values : mapping
        The shares to set (instrument -> value in [0, 1]).
    source, field : str
        Named in the error message (the file or option, and the shares table's path).
    others_zero : {"error", "spread"}
        What happens when every other share is 0 and something is left to give them:
        an error (experiments, ``--set``, calibration), or an equal split (the dashboard's
        sliders, which must always move).

    Returns
    -------
    dict
        Every instrument's share, in the order of :data:`INSTRUMENTS`, summing to 1.

    Raises
    ------
    ScenarioError
        An unknown instrument, a value outside [0, 1], set shares summing to more than 1,
        or a remainder with nothing to rescale (every other share 0).

    Examples
    --------
    >>> set_mix_shares({"rd_grants": 0.5, "training": 0.5}, {"rd_grants": 0.8})["training"]
    0.2
    """
    fixed = _checked(values, source, field)
    current = {name: float(shares.get(name, 0.0)) for name in INSTRUMENTS}
    others = [name for name in INSTRUMENTS if name not in fixed]
    taken = sum(fixed.values())
    named = " + ".join(f"{name} {value:g}" for name, value in fixed.items())
    if taken > 1.0 + _EPSILON:
        raise ScenarioError(
            source, field, f"infeasible mix: the set shares sum to {taken:.6g} > 1 ({named})"
        )
    remainder = max(0.0, 1.0 - taken)
    rest = sum(current[name] for name in others)
    result = dict(fixed)
    if remainder <= _EPSILON:
        result.update(dict.fromkeys(others, 0.0))
    elif rest > _EPSILON:
        result.update({name: current[name] * remainder / rest for name in others})
    elif others and others_zero == "spread":
        result.update(dict.fromkeys(others, remainder / len(others)))
    else:
        raise ScenarioError(
            source,
            field,
            f"cannot set {named}: the other shares are all 0, so there is nothing to rescale "
            f"to fill the remaining {remainder:.6g}; set the other shares too",
        )
    # Rounding to 1e-12 keeps tables clean (0.2, not 0.19999999999999998); the sum stays
    # within 1e-11 of 1, far inside the schema's tolerance.
    return {name: round(result[name], 12) for name in INSTRUMENTS}


def normalise_share_weights(
    shares: Mapping[str, float],
    weights: Mapping[str, float],
    *,
    source: str = "experiment",
    field: str = "mix.shares",
) -> dict[str, float]:
    """The shares of the weighted instruments when several shares are sampled together.

    The weighted instruments share the total they had in ``shares`` in proportion to their
    ``weights``; the other instruments keep their shares. Every draw is therefore a point of
    the simplex, whatever the weights.

    Returns
    -------
    dict
        The weighted instruments' new shares (pass them to :func:`set_mix_shares`, which
        then leaves the other shares unchanged).

    Raises
    ------
    ScenarioError
        Negative or all-zero weights, or weighted instruments that had no share to split.

    Examples
    --------
    >>> base = {"rd_grants": 0.6, "training": 0.4}
    >>> normalise_share_weights(base, {"rd_grants": 1, "training": 3})
    {'rd_grants': 0.25, 'training': 0.75}
    """
    for name, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise ScenarioError(source, f"{field}.{name}", f"weight must be >= 0, got {weight!r}")
        if name not in INSTRUMENTS:
            raise ScenarioError(
                source,
                f"{field}.{name}",
                f"unknown instrument '{name}' (known: {', '.join(INSTRUMENTS)})",
            )
    total_weight = float(sum(weights.values()))
    budget = sum(float(shares.get(name, 0.0)) for name in weights)
    if total_weight <= _EPSILON:
        raise ScenarioError(source, field, "infeasible draw: every sampled weight is 0")
    if budget <= _EPSILON:
        raise ScenarioError(
            source,
            field,
            f"{', '.join(weights)} have no share in the base mix to split among them",
        )
    return {name: budget * float(weight) / total_weight for name, weight in weights.items()}


def split_share_overrides(
    overrides: Mapping[str, Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Separate share overrides from the others.

    Returns
    -------
    tuple
        ``({table path: {instrument: value}}, other overrides)``, e.g.
        ``({"mix": {"training": 0.4}}, {"steps": 20})``.
    """
    groups: dict[str, dict[str, Any]] = {}
    rest: dict[str, Any] = {}
    for dotted, value in overrides.items():
        found = SHARE_PATH.match(dotted.replace("[", ".").replace("]", ""))
        if found:
            groups.setdefault(found["table"], {})[found["instrument"]] = value
        else:
            rest[dotted] = value
    return groups, rest
