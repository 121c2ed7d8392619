"""The report's words and numbers: number formats, plain labels from the indicator registry,
policy levers, conclusions, and figures whose every label is present and readable."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from smartspec.analysis import figures
from smartspec.analysis.kinds.comparison import _conclusions
from smartspec.analysis.wording import (
    GLOSSARY,
    format_interval,
    format_number,
    html_table,
    indicator_label,
    indicator_unit,
    is_policy_lever,
    parameter_label,
)
from smartspec.model.indicators import label_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3043.2, "3,043"),
        (1_234_567, "1,234,567"),
        (66.2875, "66.3"),
        (0.49123, "0.491"),
        (0.000381234, "0.000381"),
        (-0.156, "-0.156"),
        (-1.6e-17, "0"),
        (0.0, "0"),
        (150, "150"),
        (True, "yes"),
        (float("nan"), ""),
        ("capacity_first", "capacity_first"),
    ],
)
def test_numbers_are_formatted_for_people(value, expected):
    assert format_number(value) == expected
    assert "e+" not in format_number(value) and "e-" not in format_number(value)


def test_intervals_say_when_they_have_no_width_or_do_not_exist():
    assert format_interval(63.61, 68.94) == "63.6 to 68.9"
    assert format_interval(1813.4, 1874.2) == "1,813 to 1,874"
    # Paired differences of mixes that move an outcome identically differ by rounding only.
    assert format_interval(-9.4e-17, 6.1e-17) == "0 in every replication (no spread)"
    assert format_interval(0.509, 0.509) == "0.509 in every replication (no spread)"
    assert format_interval(math.nan, math.nan) == "none (fewer than two replications)"


def test_tables_format_every_number_and_name_their_columns():
    frame = pd.DataFrame({"mix": ["baseline"], "total_innovations": [3043.2], "n": [10]})
    table = html_table(frame, headers={"mix": "Mix"})
    assert "3,043" in table and "e+03" not in table and "<th>Mix</th>" in table
    assert "<th>total innovations</th>" in table and '<td class="num">10</td>' in table


def test_outcome_labels_and_units_come_from_the_registry():
    assert label_of("total_innovations", unit=True) == "Innovations (total over the run) (firms)"
    assert "per quarter" not in label_of("total_social_innovations", unit=True)
    assert label_of("mean_absorption_rate") == (
        "Budget absorption rate (cumulative; mean of the last quarters)"
    )
    assert indicator_label("final_innovation_index") == "Composite innovation index at the end"
    assert indicator_unit("final_innovation_index") == "index, EU reference = 100"
    assert indicator_unit("final_innovation_index", difference=True) == "index points"
    assert indicator_label("y") == "y" and indicator_label("my_outcome") == "my outcome"


def test_policy_levers_are_what_the_s3_authority_sets():
    assert is_policy_lever("regions.0.government.budget_share")
    assert is_policy_lever("regions.2.government.n_priorities")
    assert is_policy_lever("mix.shares.rd_grants")
    assert not is_policy_lever("regions.0.government.institutional_quality")
    assert not is_policy_lever("regions.0.absorptive_capacity")
    assert not is_policy_lever("instruments.rd_grants.effect")
    assert parameter_label("rd_intensity") == "R&D intensity"


def test_the_glossary_explains_the_report_jargon():
    terms = " ".join(GLOSSARY)
    for term in ("RIS", "EDP", "RCA", "Common random numbers", "Morris mu*", "Morris sigma"):
        assert term in terms


def _differences(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "mix": mix,
                "outcome": "final_innovation_index",
                "difference": d,
                "low": lo,
                "high": hi,
                "clear": bool(np.isfinite(lo) and (lo > 0 or hi < 0)),
            }
            for mix, d, lo, hi in rows
        ]
    )


def test_conclusions_say_when_nothing_can_be_concluded():
    unclear = _differences([("a", 0.5, -1.0, 2.0), ("b", -0.2, -1.5, 1.1)])
    found = _conclusions(
        unclear, pd.DataFrame(), "final_innovation_index", "baseline", "mix", 10, 56
    )
    assert len(found) == 1
    assert found[0].claim.startswith("Nothing can be concluded about which mix is best")
    assert "2 index points" in found[0].caveat and "-1.5 to 1.1" in found[0].evidence

    mixed = _differences([("a", 3.3, 0.55, 6.1), ("b", -0.2, -1.5, 1.1)])
    found = _conclusions(mixed, pd.DataFrame(), "final_innovation_index", "baseline", "mix", 10, 56)
    assert "<b>a</b>" in found[0].claim and "raises" in found[0].claim
    assert "0.55 to 6.1" in found[0].evidence and "stylised" in found[0].caveat
    assert found[1].claim.startswith("Nothing can be concluded about <b>b</b>")

    single = _differences([("a", 0.5, math.nan, math.nan)])
    found = _conclusions(single, pd.DataFrame(), "final_innovation_index", "baseline", "mix", 1, 56)
    assert found[0].claim.startswith("Nothing can be concluded") and "1 time" in found[0].evidence


def test_morris_figure_labels_every_parameter_and_marks_the_levers():
    names = [f"parameter_{i}" for i in range(12)]
    indices = pd.DataFrame(
        {
            "parameter": names,
            "mu_star": np.linspace(1.0, 12.0, 12),
            "mu_star_conf": np.full(12, 0.5),
            "sigma": np.linspace(2.0, 1.0, 12),
            "mu": np.linspace(1.0, 12.0, 12),
        }
    )
    figure = figures.plot_morris(indices, "mean_innovation_index", levers={"parameter_3"})
    left = figure.axes[0]
    labels = [tick.get_text() for tick in left.get_yticklabels()]
    assert sorted(labels) == sorted(name.replace("_", " ") for name in names)
    assert labels[-1] == "parameter 11"  # most influential at the top
    colours = {patch.get_facecolor() for patch in left.patches}
    assert len(colours) == 2
    assert "mean_innovation_index" not in figure.get_suptitle()


def test_network_legend_shows_every_actor_at_one_size(make_model):
    model = make_model(seed=1)
    model.run_for(2)
    figure = figures.plot_network(model)
    handles = figure.legends[0].legend_handles
    assert [text.get_text() for text in figure.legends[0].get_texts()][:2] == [
        "firm",
        "university",
    ]
    assert len({handle.get_markersize() for handle in handles}) == 1


def test_svg_keeps_text_as_text():
    figure = figures.plot_morris(
        pd.DataFrame(
            {"parameter": ["a_b"], "mu_star": [1.0], "mu_star_conf": [0.1], "sigma": [0.5]}
        ),
        "final_innovation_index",
    )
    markup = figures.svg(figure, "screening")
    assert markup.startswith('<figure role="img"') and "<text" in markup and "a b" in markup
