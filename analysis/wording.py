"""Words and numbers for people: the report's number formats, plain labels, glossary and
conclusions.

Every table and sentence of the HTML report (``analysis/report.py`` and the analysis kinds)
formats its numbers and names its indicators and parameters through this module, so that a
reader sees "Composite innovation index at the end (EU reference = 100)" and "3,043", never
``final_innovation_index`` or ``3.04e+03``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from numbers import Integral, Real

import pandas as pd

from smartspec.model.indicators import label_of, phrase_of

__all__ = [
    "METHOD_TERMS",
    "GLOSSARY",
    "Conclusion",
    "conclusions_html",
    "zero_width",
    "format_interval",
    "format_number",
    "glossary_html",
    "html_table",
    "indicator_label",
    "indicator_phrase",
    "indicator_unit",
    "is_policy_lever",
    "parameter_description",
    "parameter_label",
    "parameter_unit",
]

#: Fields of a region's government that the region's S3 authority sets itself (dotted paths
#: ending ``government.<field>``); a bundled mix (``mix``) is a lever too. Everything else a
#: screening varies is a condition of the region or an assumption of the model.
POLICY_LEVER_FIELDS = (
    "budget_share",
    "governance",
    "n_priorities",
    "revision_period",
    "initial_priorities",
    "mix",
)

#: Words of identifiers that read differently in prose.
_WORDS = {"rd": "R&D", "edp": "EDP", "rca": "RCA", "eci": "ECI", "gdp": "GDP", "eu": "EU"}

#: The terms a report uses, explained once (term -> explanation, plain text).
GLOSSARY: dict[str, str] = {
    "S3 (smart specialisation)": "A regional innovation strategy that concentrates research "
    "and innovation money on a few priority domains in which the region already has "
    "strengths; required for EU cohesion funding.",
    "RIS (Regional Innovation Scoreboard)": "The European Commission's comparison of "
    "regions' innovation performance. It groups regions as Emerging (below 70 % of the EU "
    "average), Moderate (70-100 %), Strong (100-125 %) and Leaders (above 125 %).",
    "Composite innovation index": "The model's version of the RIS summary index: business "
    "R&D, innovating firms, tertiary-educated workers and collaborating firms, each scaled "
    "and averaged; 100 is the EU reference, so 66 reads as 66 % of it.",
    "EDP (entrepreneurial discovery process)": "How a region chooses its priorities: firms, "
    "universities, government and (in a quadruple helix) citizen groups reveal where its "
    "opportunities lie.",
    "Triple and quadruple helix": "Governance by firms, universities and government; the "
    "quadruple helix adds citizens and civil society.",
    "RCA (revealed comparative advantage)": "A region's share of activity in a domain "
    "divided by that domain's share overall; RCA of 1 or more means the region is "
    "specialised in the domain.",
    "Knowledge space": "The map of domains placed by relatedness: two domains are close when "
    "regions often specialise in both.",
    "Policy mix": "How the S3 budget is split over instruments (R&D grants, vouchers, "
    "collaborative projects, training, ...). The mixes compared split the same budget; the "
    "Setting box says whether their totals came out exactly equal.",
    "Absorption rate": "The share of the committed budget that was actually spent, limited "
    "by the capacity of firms and administration to use it.",
    "Replication": "One simulation run with its own random numbers; the same setting is run "
    "several times to see how much results vary by chance.",
    "Common random numbers": "Every mix is run with the same random seeds, so replication 1 "
    "of one mix meets the same chance events as replication 1 of another. Differences "
    "between mixes are then measured pair by pair, which removes most of the chance "
    "variation.",
    "95 % interval": "A range computed so that, in 95 of 100 studies like this one, it "
    "contains the mean that endlessly many replications would give. A difference whose "
    "interval contains 0 cannot be told apart from no difference.",
    "Zero-width interval": "An interval from a value to the same value: every replication "
    "gave exactly the same number, so chance did not move it at all.",
    "Sensitivity screening (Morris method)": "Moves one parameter at a time from many "
    "starting points and records how much the outcome changes (elementary effects).",
    "Morris mu* (mu-star)": "The average size of an elementary effect, ignoring its sign: "
    "how much the outcome moves when the parameter moves across its range. Larger means "
    "more influential.",
    "Morris sigma": "The spread of the elementary effects: a large sigma means the "
    "parameter's effect depends on the other parameters (interaction) or is not linear.",
    "Sobol indices": "The share of the outcome's variance due to one parameter alone "
    "(first order) or including its interactions (total).",
    "Policy lever": "A parameter that the region's S3 authority sets itself (budget, mix, "
    "number of priorities, governance), as opposed to a condition of the region or an "
    "assumption of the model.",
}


@dataclass(frozen=True)
class Conclusion:
    """One plain-word conclusion of the report's "What this means" section (HTML strings).

    ``claim`` says what follows for the reader, ``evidence`` the numbers it rests on and
    ``caveat`` what it does not show.
    """

    claim: str
    evidence: str
    caveat: str


def format_number(value: object, digits: int = 3) -> str:
    """A number as a person reads it: thousands separators, ``digits`` significant figures
    for fractional values, whole numbers from 1,000 on, never an exponent ("" for missing).

    >>> format_number(3043.2), format_number(0.0003812), format_number(66.2875)
    ('3,043', '0.000381', '66.3')
    """
    if value is None or isinstance(value, str):
        return "" if value is None else value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if not isinstance(value, Real):
        return str(value)
    number = float(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "infinite" if number > 0 else "minus infinite"
    if number == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(number)))
    if magnitude >= digits - 1 or abs(number) >= 1000:
        return f"{number:,.0f}"
    # Below 10^-9 a share or rate is zero for any reader of the report.
    decimals = min(digits - 1 - magnitude, 9)
    text = f"{number:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def zero_width(low: float, high: float) -> bool:
    """Whether an interval has no width: every replication gave the same value (up to the
    rounding of floating-point sums, 10^-9 of the values' size)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    return abs(high - low) <= 1e-9 * max(1.0, abs(low), abs(high))


def format_interval(low: float, high: float, digits: int = 3) -> str:
    """A 95 % interval in words: "63.6 to 68.9"; a zero-width one says that every
    replication gave the same value; a missing one (fewer than two replications) says so."""
    if low != low or high != high:  # NaN: fewer than two replications
        return "none (fewer than two replications)"
    if zero_width(low, high):
        return f"{format_number((low + high) / 2, digits)} in every replication (no spread)"
    return f"{format_number(low, digits)} to {format_number(high, digits)}"


def indicator_label(column: str, unit: bool = False) -> str:
    """An indicator or outcome column's plain label from the indicator registry (with its
    unit in brackets when ``unit``); an unknown column in words."""
    label = label_of(column, unit=unit)
    return column.replace("_", " ") if label == column else label


def indicator_phrase(column: str) -> str:
    """The column as it reads inside a sentence ("the composite innovation index at the end")."""
    return phrase_of(column)


def indicator_unit(column: str, difference: bool = False) -> str:
    """The unit the registry gives an indicator or outcome column ("" if unknown); a
    difference of an index relative to a reference ("EU reference = 100") is in index
    points (``difference``)."""
    with_unit, without = label_of(column, unit=True), label_of(column)
    unit = with_unit[len(without) + 2 : -1] if with_unit != without else ""
    if "=" in unit:
        return "index points" if difference else f"index, {unit}"
    return unit


def parameter_label(name: str) -> str:
    """A parameter's name in words ("partner_search_rate" -> "partner search rate")."""
    words = [_WORDS.get(word.lower(), word) for word in name.replace(".", " ").split("_")]
    return " ".join(words)


def _schema_field(path: str):
    from .calibration_results import schema_field

    return schema_field(path)


def parameter_description(path: str) -> str:
    """What the scenario schema says a dotted path is, up to its first ";" ("" if unknown)."""
    found = _schema_field(path)
    text = (found.description or "") if found is not None else ""
    return text.split(";")[0].strip().rstrip(".")


def parameter_unit(path: str) -> str:
    """The unit the scenario schema declares for a dotted path ("" if none)."""
    from .calibration_results import parameter_unit as unit

    return unit(path)


def is_policy_lever(path: str) -> bool:
    """Whether a dotted parameter path is set by the region's S3 authority itself
    (:data:`POLICY_LEVER_FIELDS` of a government, or a mix)."""
    parts = path.split(".")
    return parts[0] == "mix" or ("government" in parts[:-1] and parts[-1] in POLICY_LEVER_FIELDS)


def html_table(frame: pd.DataFrame, digits: int = 3, headers: dict[str, str] | None = None) -> str:
    """An HTML table with every number formatted by :func:`format_number`, column headers
    renamed by ``headers`` and every cell escaped."""
    headers = headers or {}
    head = "".join(
        f"<th>{html.escape(str(headers.get(c, str(c).replace('_', ' '))))}</th>"
        for c in frame.columns
    )
    rows = []
    for record in frame.itertuples(index=False):
        cells = "".join(
            f'<td class="num">{html.escape(format_number(v, digits))}</td>'
            if isinstance(v, Real) and not isinstance(v, bool)
            else f"<td>{html.escape(format_number(v, digits))}</td>"
            for v in record
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


#: The glossary's terms about methods (replications, intervals, sensitivity indices): the only
#: ones a report on the user's own function (``smartspec sweep --target``) needs.
METHOD_TERMS = (
    "Replication",
    "Common random numbers",
    "95 % interval",
    "Zero-width interval",
    "Sensitivity screening (Morris method)",
    "Morris mu* (mu-star)",
    "Morris sigma",
    "Sobol indices",
)


def glossary_html(model_terms: bool = True) -> str:
    """The glossary as a definition list; ``model_terms=False`` keeps the method terms only."""
    items = "".join(
        f"<dt>{html.escape(term)}</dt><dd>{html.escape(text)}</dd>"
        for term, text in GLOSSARY.items()
        if model_terms or term in METHOD_TERMS
    )
    return f'<dl class="glossary">{items}</dl>'


def conclusions_html(conclusions: list[Conclusion]) -> str:
    """The "What this means" section: each conclusion with its evidence and caveat."""
    return "".join(
        f'<div class="conclusion"><p class="claim">{item.claim}</p>'
        f'<p><span class="tag">Evidence:</span> {item.evidence}</p>'
        f'<p><span class="tag">Caveat:</span> {item.caveat}</p></div>'
        for item in conclusions
    )
