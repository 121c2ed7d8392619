"""Scenario discovery (``smartspec.analysis.discovery``) on synthetic sweeps with known boxes."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.stats import qmc

from smartspec.analysis import discovery

PARAMETERS = ["x1", "x2", "x3", "x4"]


def lhs(n: int, seed: int) -> pd.DataFrame:
    """``n`` Latin-hypercube points over [0, 1]^4."""
    sample = qmc.LatinHypercube(d=len(PARAMETERS), seed=seed).random(n)
    return pd.DataFrame(sample, columns=PARAMETERS)


def box_interest(frame: pd.DataFrame) -> np.ndarray:
    """The known box: x1 > 0.6 and x2 < 0.3; x3 and x4 are irrelevant."""
    return ((frame["x1"] > 0.6) & (frame["x2"] < 0.3)).to_numpy()


@pytest.fixture(scope="module")
def sweep() -> pd.DataFrame:
    """Sweep-like outcomes: design columns, four parameters and one outcome."""
    frame = lhs(1000, seed=11)
    frame.insert(0, "run_id", np.arange(len(frame)))
    frame.insert(1, "point", np.arange(len(frame)))
    frame.insert(2, "replication", 0)
    frame["mean_innovation_index"] = np.where(box_interest(frame), 80.0, 50.0)
    return frame


@pytest.fixture(scope="module")
def found(sweep: pd.DataFrame) -> discovery.DiscoveryResult:
    interest = discovery.catch_up(sweep, "mean_innovation_index", 70.0)
    return discovery.discover(sweep, PARAMETERS, interest)


def test_catch_up_is_inclusive_and_treats_missing_as_not_of_interest():
    outcomes = pd.DataFrame({"mean_innovation_index": [69.9, 70.0, 75.0, np.nan]})
    flags = discovery.catch_up(outcomes, "mean_innovation_index", 70.0)
    assert flags.dtype == bool
    assert flags.tolist() == [False, True, True, False]
    with pytest.raises(KeyError, match="mean_innovation_index"):
        discovery.catch_up(outcomes.rename(columns=str.upper), "mean_innovation_index", 70.0)


def test_prim_recovers_the_known_box(found: discovery.DiscoveryResult):
    box = found.box.set_index("parameter")
    assert box.loc["x1", "low_restricted"] and not box.loc["x1", "high_restricted"]
    assert box.loc["x1", "low"] == pytest.approx(0.6, abs=0.03)
    assert box.loc["x2", "high_restricted"] and not box.loc["x2", "low_restricted"]
    assert box.loc["x2", "high"] == pytest.approx(0.3, abs=0.03)
    assert not box.loc["x3", "restricted"] and not box.loc["x4", "restricted"]
    assert found.res_dim == 2
    assert found.restricted in (["x1", "x2"], ["x2", "x1"])
    assert found.coverage >= 0.9 and found.density >= 0.9
    assert found.threshold_met
    # The mass is close to the true box's volume (0.4 x 0.3).
    assert found.mass == pytest.approx(0.12, abs=0.02)
    # Quasi-p values: both limits are far from chance.
    assert box.loc["x1", "qp_low"] < 1e-6 and box.loc["x2", "qp_high"] < 1e-6
    assert np.isnan(box.loc["x1", "qp_high"]) and np.isnan(box.loc["x3", "qp_low"])


def test_chosen_box_follows_the_rule(found: discovery.DiscoveryResult):
    trajectory = found.trajectory
    assert list(trajectory.columns) == [
        "coverage",
        "density",
        "mass",
        "res_dim",
        "n",
        "n_interest",
        "chosen",
    ]
    first = trajectory.iloc[0]
    assert (first["coverage"], first["mass"], first["res_dim"]) == (1.0, 1.0, 0)
    assert trajectory["chosen"].sum() == 1 and trajectory["chosen"].idxmax() == found.chosen
    dense = trajectory[trajectory["density"] >= found.threshold]
    assert found.coverage == dense["coverage"].max()
    chosen = trajectory.loc[found.chosen]
    assert (chosen["coverage"], chosen["density"], chosen["mass"]) == (
        found.coverage,
        found.density,
        found.mass,
    )


def test_feature_scores_rank_the_relevant_parameters_first(found: discovery.DiscoveryResult):
    scores = found.feature_scores
    assert sorted(scores.index) == PARAMETERS
    assert scores.is_monotonic_decreasing
    assert scores.sum() == pytest.approx(1.0)
    assert min(scores["x1"], scores["x2"]) > max(scores["x3"], scores["x4"])


def test_discovery_is_deterministic_and_quiet(sweep: pd.DataFrame, found):
    interest = box_interest(sweep)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = discovery.discover(sweep, PARAMETERS, interest.astype(int))
    assert [str(w.message) for w in caught] == []
    pd.testing.assert_frame_equal(again.box, found.box)
    pd.testing.assert_frame_equal(again.trajectory, found.trajectory)
    pd.testing.assert_series_equal(again.feature_scores, found.feature_scores)


@pytest.mark.slow
def test_importing_ema_workbench_prints_nothing():
    code = "from smartspec.analysis import discovery; discovery._ema()"
    run = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "" and run.stderr == ""


def test_parameter_ranges_and_unrestricted_sides(sweep: pd.DataFrame):
    provenance = {
        "experiment": {
            "parameters": [
                {"name": "x1", "range": [0.0, 1.0], "distribution": "uniform"},
                {"name": "x2", "range": [0.0, 1.0], "distribution": "triangular"},
                {"name": "x3", "range": None, "levels": [1, 0.5, 0]},
                {"name": "x4", "range": [0.5, 0.2], "distribution": "normal"},
                {"name": "colour", "range": None, "levels": ["red", "blue"]},
            ]
        }
    }
    ranges = discovery.parameter_ranges(provenance)
    assert ranges == {"x1": (0.0, 1.0), "x2": (0.0, 1.0), "x3": (0.0, 1.0)}
    result = discovery.discover(sweep, PARAMETERS, box_interest(sweep), ranges=ranges)
    box = result.box.set_index("parameter")
    # Unrestricted sides are reported as the ends of the full range ...
    assert box.loc["x1", "high"] == 1.0 and box.loc["x2", "low"] == 0.0
    assert (box.loc["x3", "low"], box.loc["x3", "high"]) == (0.0, 1.0)
    # ... or of the observed range when no full range is known.
    assert box.loc["x4", "range_low"] == sweep["x4"].min()
    assert box.loc["x4", "high"] == sweep["x4"].max()


def test_replications_are_averaged_per_design_point():
    points = lhs(300, seed=5)
    rng = np.random.default_rng(3)
    rows = []
    expected = {}
    for point, values in points.iterrows():
        target = bool(values["x1"] > 0.5)
        expected[point] = target
        # Two replications agree with the target, one is random: the majority is the target.
        votes = [target, target, bool(rng.random() < 0.5)]
        rng.shuffle(votes)
        for replication, vote in enumerate(votes):
            rows.append({"point": point, "replication": replication, **values, "hit": vote})
    outcomes = pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)
    outcomes.insert(0, "run_id", np.arange(len(outcomes)))

    result = discovery.discover(outcomes, PARAMETERS, outcomes["hit"].to_numpy())
    assert result.replicated
    assert result.n_runs == 900 and result.n_futures == 300
    cases = result.cases
    assert cases.index.name == "point"
    assert (cases["replications"] == 3).all()
    assert cases["interest"].to_dict() == expected
    pd.testing.assert_frame_equal(
        cases[PARAMETERS], points.rename_axis("point"), check_exact=False, rtol=1e-12
    )
    assert result.base_rate == pytest.approx(np.mean(list(expected.values())))
    box = result.box.set_index("parameter")
    assert result.restricted == ["x1"]
    assert box.loc["x1", "low"] == pytest.approx(0.5, abs=0.03)
    assert result.density == 1.0 and result.coverage >= 0.9

    # A failed run leaves a point with two replications; one of two (a tie) counts.
    dropped = outcomes[~((outcomes["point"] == 0) & (outcomes["replication"] == 2))]
    votes = dropped[dropped["point"] == 0]["hit"].tolist()
    again = discovery.discover(dropped, PARAMETERS, dropped["hit"].to_numpy())
    assert again.cases.loc[0, "replications"] == 2
    assert again.cases.loc[0, "share"] == pytest.approx(np.mean(votes))
    assert again.cases.loc[0, "interest"] == (np.mean(votes) >= 0.5)


def test_densest_box_when_the_threshold_cannot_be_met():
    frame = lhs(400, seed=8)
    interest = np.random.default_rng(4).random(len(frame)) < 0.3  # unrelated to x
    result = discovery.discover(frame, PARAMETERS, interest, threshold=1.0)
    assert not result.threshold_met
    assert result.density == result.trajectory["density"].max() < 1.0
    assert any("densest" in sentence for sentence in discovery.describe(result, "it works"))


def test_describe_speaks_plainly(found: discovery.DiscoveryResult):
    labels = {"x1": ("budget", "M€/year"), "x2": "absorptive capacity"}
    sentences = discovery.describe(found, "the emerging region catches up (index ≥ 70)", labels)
    text = " ".join(sentences)
    share = f"{100 * found.base_rate:.0f} %"
    assert sentences[0] == (
        f"In {share} of the 1,000 futures explored, the emerging region catches up (index ≥ 70)."
    )
    box_sentence = next(s for s in sentences if "of those futures have" in s)
    assert box_sentence.startswith(f"{100 * found.coverage:.0f} % of those futures")
    above = re.search(r"budget above (0\.\d+) M€/year", box_sentence)
    below = re.search(r"absorptive capacity below (0\.\d+)", box_sentence)
    assert above and float(above.group(1)) == pytest.approx(0.6, abs=0.03)
    assert below and float(below.group(1)) == pytest.approx(0.3, abs=0.03)
    assert f"density {found.density:.2f}: when both hold" in box_sentence
    assert f"in {100 * found.density:.0f} % of the futures" in box_sentence
    assert "x3" not in box_sentence and "x4" not in box_sentence
    assert "x3 and x4 do not change this conclusion" in text or (
        "x4 and x3 do not change this conclusion" in text
    )
    assert "feature scores" in text and "seeds" not in text
    # Without labels, the parameter names are used as given.
    plain = " ".join(discovery.describe(found, "it catches up"))
    assert "x1 above" in plain and "x2 below" in plain


def test_figures_build(found: discovery.DiscoveryResult):
    tradeoff = discovery.plot_tradeoff(found)
    assert isinstance(tradeoff, Figure)
    axis = tradeoff.axes[0]
    legend = [text.get_text() for text in axis.get_legend().get_texts()]
    assert any(f"chosen box {found.chosen}" in entry for entry in legend)
    box = discovery.plot_box(found, labels={"x1": ("budget", "M€/year")})
    assert isinstance(box, Figure)
    axis = box.axes[0]
    heights = {
        label.get_text(): y
        for label, y in zip(axis.get_yticklabels(), axis.get_yticks(), strict=True)
    }
    assert sorted(heights) == ["budget (M€/year)", "x2", "x3", "x4"]
    # Restricted parameters on top.
    assert min(heights["budget (M€/year)"], heights["x2"]) > max(heights["x3"], heights["x4"])
    for figure in (tradeoff, box):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=50)
        assert buffer.getvalue().startswith(b"\x89PNG")


def test_bad_inputs_are_refused(sweep: pd.DataFrame):
    interest = box_interest(sweep)
    with pytest.raises(ValueError, match="shape"):
        discovery.discover(sweep, PARAMETERS, interest[:-1])
    with pytest.raises(KeyError, match="x9"):
        discovery.discover(sweep, [*PARAMETERS, "x9"], interest)
    with pytest.raises(ValueError, match="no future"):
        discovery.discover(sweep, PARAMETERS, np.zeros(len(sweep), dtype=bool))
    with pytest.raises(ValueError, match="every future"):
        discovery.discover(sweep, PARAMETERS, np.ones(len(sweep), dtype=bool))
    with pytest.raises(ValueError, match="threshold"):
        discovery.discover(sweep, PARAMETERS, interest, threshold=1.5)
    with pytest.raises(ValueError, match="boolean"):
        discovery.discover(sweep, PARAMETERS, interest * 2)
    with pytest.raises(ValueError, match="not numeric"):
        discovery.discover(sweep.assign(x3="a"), PARAMETERS, interest)
