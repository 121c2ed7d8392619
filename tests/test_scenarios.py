"""Scenario files: bundled scenarios and mixes, archetypes, dotted overrides, CSV proximity
matrices, and every kind of bad input.

Project rule under test: bad input gives ONE line naming the file, the field and the problem, exit
status 2, no traceback, and nothing written (the output folder is not created).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smartspec.cli import main
from smartspec.scenarios import (
    INSTRUMENTS,
    Governance,
    ScenarioError,
    bundled_mixes,
    bundled_scenarios,
    load_scenario,
    parse_override,
)
from smartspec.scenarios.loader import BUNDLED_DIR, MIX_DIR

SCENARIO_NAMES = ["emerging", "moderate", "strong", "leader", "europe"]
SINGLE_REGION = ["emerging", "moderate", "strong", "leader"]
MIX_NAMES = ["baseline", "capacity_first", "cluster_led", "quadruple_helix", "rd_grants_heavy"]
EUROPE_REGIONS = [
    ("leader", "North", (0.0, 0.0)),
    ("strong", "Centre", (1.0, 0.0)),
    ("moderate", "East", (2.0, 0.5)),
    ("emerging", "South-East", (3.0, 1.0)),
]


def bundled_text(name: str) -> str:
    return (BUNDLED_DIR / f"{name}.toml").read_text(encoding="utf-8")


def sub(old: str, new: str) -> Callable[[str], str]:
    """Replace one snippet of a bundled file (which must contain it)."""

    def make(text: str) -> str:
        assert old in text, f"bundled file changed: {old!r} not found"
        return text.replace(old, new, 1)

    return make


def append(extra: str) -> Callable[[str], str]:
    return lambda text: text + "\n" + extra


def head_only(extra: str) -> Callable[[str], str]:
    """Drop the region tables and add ``extra`` at the top level."""
    return lambda text: sub("steps = 56", "steps = 56\n" + extra)(text.split("[[regions]]")[0])


def bundled_table(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def error_of(*args, **kwargs) -> str:
    """The message of the ScenarioError that load_scenario(*args, **kwargs) raises; one line."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message, message
    return message


def assert_cli_rejects(path: Path | str, tmp_path: Path, capsys, *options: str) -> str:
    """Run ``smartspec run PATH --out tmp/results/out`` in-process; it must fail cleanly."""
    results = tmp_path / "results"
    code = main(["run", str(path), "--out", str(results / "out"), *options])
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("smartspec: error:"), lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""
    assert not results.exists(), "nothing may be written for bad input"
    return lines[0]


# --------------------------------------------------------------------------- bundled files


def test_bundled_scenarios_and_mixes_are_listed():
    assert {entry.name for entry in bundled_scenarios()} >= set(SCENARIO_NAMES)
    assert {entry.name for entry in bundled_mixes()} >= set(MIX_NAMES)
    for entry in [*bundled_scenarios(), *bundled_mixes()]:
        assert entry.path.is_file()
        assert entry.description, f"{entry.name} has no description"


@pytest.mark.parametrize(
    "name", sorted({*SCENARIO_NAMES, *(entry.name for entry in bundled_scenarios())})
)
def test_bundled_scenario_loads_and_validates(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.steps == bundled_table(BUNDLED_DIR / f"{name}.toml")["steps"]
    assert scenario.regions, "at least one region"
    assert scenario.mix.name == "baseline"
    assert sum(scenario.mix.share_vector()) == pytest.approx(1.0)
    assert [name for name, _ in scenario.instruments.items()] == list(INSTRUMENTS)
    names = [region.name for region in scenario.regions]
    assert len(set(names)) == len(names)
    # Loading by path gives the same scenario as loading by name.
    assert load_scenario(BUNDLED_DIR / f"{name}.toml") == scenario


@pytest.mark.parametrize("name", SINGLE_REGION)
def test_bundled_region_values_reach_the_scenario(name):
    table = bundled_table(BUNDLED_DIR / f"{name}.toml")["regions"][0]
    region = load_scenario(name).regions[0]
    government = table.pop("government")
    for key, value in table.items():
        assert getattr(region, key) == pytest.approx(value), key
    for key, value in government.items():
        assert getattr(region.government, key) == value, f"government.{key}"


@pytest.mark.parametrize("mix", sorted({*MIX_NAMES, *(entry.name for entry in bundled_mixes())}))
def test_bundled_mix_loads_and_replaces_the_mix(mix):
    shares = bundled_table(MIX_DIR / f"{mix}.toml")["shares"]
    scenario = load_scenario("europe", mix=mix)
    assert scenario.mix.name == mix
    assert scenario.mix.shares == pytest.approx(shares)
    assert sum(scenario.mix.share_vector()) == pytest.approx(1.0)
    assert all(scenario.mix_for(index).name == mix for index in range(len(scenario.regions)))


def test_mix_can_bring_its_governance():
    assert load_scenario("moderate", mix="quadruple_helix").mix.governance is (
        Governance.quadruple_helix
    )
    assert load_scenario("moderate", mix="baseline").mix.governance is None
    with_governance = [
        entry.name for entry in bundled_mixes() if bundled_table(entry.path).get("governance")
    ]
    assert "quadruple_helix" in with_governance


def test_inline_mix_table(tmp_path):
    text = bundled_text("moderate").replace(
        'mix = "baseline"',
        'mix = { name = "mine", shares = { rd_grants = 0.25, training = 0.75 } }',
    )
    path = tmp_path / "inline.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.mix.name == "mine"
    assert scenario.mix.shares == {"rd_grants": 0.25, "training": 0.75}
    assert scenario.mix.share_vector()[INSTRUMENTS.index("training")] == 0.75
    assert load_scenario(path, mix="cluster_led").mix.name == "cluster_led"


def test_region_mix_and_its_replacement_by_mix_option(tmp_path):
    text = bundled_text("europe").replace(
        'name = "East"', 'name = "East"\ngovernment = { mix = "cluster_led" }'
    )
    path = tmp_path / "region_mix.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    assert [scenario.mix_for(i).name for i in range(4)] == [
        "baseline",
        "baseline",
        "cluster_led",
        "baseline",
    ]
    # The archetype's government values survive next to the region's own mix.
    assert (
        scenario.regions[2].government.budget_share
        == load_scenario("moderate").regions[0].government.budget_share
    )
    replaced = load_scenario(path, mix="rd_grants_heavy")
    assert [replaced.mix_for(i).name for i in range(4)] == ["rd_grants_heavy"] * 4


# --------------------------------------------------------------------------- archetypes


def test_europe_expands_four_archetypes():
    europe = load_scenario("europe")
    assert [region.name for region in europe.regions] == [name for _, name, _ in EUROPE_REGIONS]
    assert europe.interregional.openness == 0.15
    assert europe.interregional.distance_decay == 2.0
    for region, (archetype, name, position) in zip(europe.regions, EUROPE_REGIONS, strict=True):
        assert region.name == name
        assert region.position == position
        expected = load_scenario(archetype).regions[0]
        assert region.model_dump(exclude={"name", "position"}) == expected.model_dump(
            exclude={"name", "position"}
        ), archetype
    # The archetypes really differ, so the comparison above is not vacuous.
    assert len({region.absorptive_capacity for region in europe.regions}) == 4


def test_archetype_fields_can_be_overridden_field_by_field(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[regions]]\narchetype = "leader"\nname = "Mine"\nfirms = 77\n\n'
        "[regions.government]\nbudget_share = 0.0035\n",
        encoding="utf-8",
    )
    region = load_scenario(path).regions[0]
    leader = load_scenario("leader").regions[0]
    assert (region.name, region.firms, region.government.budget_share) == ("Mine", 77, 0.0035)
    assert region.absorptive_capacity == leader.absorptive_capacity
    assert region.government.institutional_quality == leader.government.institutional_quality
    assert region.government.governance == leader.government.governance


# --------------------------------------------------------------------------- overrides


def test_override_one_field_by_dotted_path():
    assert load_scenario("moderate", overrides=["regions.0.firms=1234"]).regions[0].firms == 1234
    assert load_scenario("moderate", overrides={"regions.0.firms": 99}).regions[0].firms == 99
    assert load_scenario("moderate").regions[0].firms == 1000, "the bundled file is untouched"


def test_override_wildcard_sets_every_region():
    europe = load_scenario("europe", overrides=["regions.*.government.budget_share=0.004"])
    assert [region.government.budget_share for region in europe.regions] == [0.004] * 4
    # Only the budget changed: the archetypes' other government values stay.
    assert [r.government.institutional_quality for r in europe.regions] == [
        load_scenario(archetype).regions[0].government.institutional_quality
        for archetype, _, _ in EUROPE_REGIONS
    ]


def test_override_with_brackets():
    europe = load_scenario("europe", overrides=["regions[1].name=Mitte"])
    assert [region.name for region in europe.regions] == ["North", "Mitte", "East", "South-East"]


def test_override_creates_missing_tables():
    scenario = load_scenario("moderate", overrides=["firm.learning_own=0.2", "steps=8"])
    assert scenario.firm.learning_own == 0.2
    assert scenario.steps == 8


def test_override_mix_by_name():
    assert load_scenario("europe", overrides=["mix=cluster_led"]).mix.name == "cluster_led"


@pytest.mark.parametrize(
    ("assignment", "key", "value"),
    [
        pytest.param("steps=20", "steps", 20, id="int"),
        pytest.param("x=2.5", "x", 2.5, id="float"),
        pytest.param("x=1e3", "x", 1000.0, id="exponent"),
        pytest.param("x=true", "x", True, id="bool-true"),
        pytest.param("x=false", "x", False, id="bool-false"),
        pytest.param("x=hello", "x", "hello", id="bare-text"),
        pytest.param("x=Nord Ouest", "x", "Nord Ouest", id="text-with-space"),
        pytest.param('x="42"', "x", "42", id="quoted-number-is-text"),
        pytest.param("x=[1, 2.5]", "x", [1, 2.5], id="list"),
        pytest.param(" a.b = 7 ", "a.b", 7, id="spaces-trimmed"),
        pytest.param("x=a=b", "x", "a=b", id="value-with-equals"),
    ],
)
def test_override_value_parsing(assignment, key, value):
    parsed_key, parsed = parse_override(assignment)
    assert parsed_key == key
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("assignment", "check"),
    [
        pytest.param(
            "regions.0.position=[5.0, 6]",
            lambda s: s.regions[0].position == (5.0, 6.0),
            id="list-to-tuple",
        ),
        pytest.param(
            "regions.0.name=Nord Ouest", lambda s: s.regions[0].name == "Nord Ouest", id="text"
        ),
        pytest.param(
            "regions.0.government.governance=quadruple_helix",
            lambda s: s.regions[0].government.governance is Governance.quadruple_helix,
            id="enum",
        ),
        pytest.param(
            "regions.0.absorptive_capacity=0.5",
            lambda s: s.regions[0].absorptive_capacity == 0.5,
            id="float",
        ),
        pytest.param("knowledge.domains=12", lambda s: s.knowledge.domains == 12, id="nested-int"),
    ],
)
def test_override_values_reach_the_scenario(assignment, check):
    assert check(load_scenario("europe", overrides=[assignment]))


@pytest.mark.parametrize(
    ("assignment", "field", "problem"),
    [
        pytest.param(
            "regions.7.firms=1",
            "regions.7.firms",
            "no list item '7' (there are 4)",
            id="index-out-of-range",
        ),
        pytest.param(
            "regions.x.firms=1", "regions.x.firms", "no list item 'x'", id="index-not-a-number"
        ),
        pytest.param("steps", "steps", "expected dotted.key=value", id="no-equals"),
        pytest.param("=3", "=3", "expected dotted.key=value", id="empty-key"),
        pytest.param("..=3", "..", "empty field path", id="only-dots"),
        pytest.param("steps.x=1", "steps.x", "not a table", id="path-through-a-value"),
        pytest.param("regions.0.firmz=3", "regions[0].firmz", "unknown field", id="unknown-field"),
        pytest.param("regions.0.firms=many", "regions[0].firms", "valid integer", id="wrong-type"),
        pytest.param(
            "regions.0.firms=0", "regions[0].firms", "greater than or equal to 1", id="out-of-range"
        ),
        pytest.param("mix=nope", "mix", "unknown mix 'nope'", id="unknown-mix"),
    ],
)
def test_bad_override_is_one_line(assignment, field, problem):
    message = error_of("europe", overrides=[assignment])
    assert field in message
    assert problem in message


def test_override_of_a_region_mix_takes_effect():
    scenario = load_scenario("europe", overrides=["regions.0.government.mix=cluster_led"])
    assert scenario.mix_for(0).name == "cluster_led"


def test_override_with_unknown_region_mix_is_rejected():
    message = error_of("europe", overrides=["regions.0.government.mix=no_such_mix"])
    assert "regions[0].government.mix" in message and "unknown mix" in message


# --------------------------------------------------------------------------- CSV matrices

GOOD_CSV = (
    ",alpha,beta,gamma,delta\n"
    "alpha,1,0.5,0.1,0\n"
    "beta,0.5,1,0.2,0.3\n"
    "gamma,0.1,0.2,1,0.4\n"
    "delta,0,0.3,0.4,1\n"
)


def csv_scenario(
    folder: Path, csv_text: str | bytes | None, extra: str = "", domains_line: bool = False
) -> Path:
    """A copy of moderate.toml whose knowledge space is ``m.csv`` next to it (4 domains)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = bundled_text("moderate")
    domains = "domains = 30          # technology/industry domains\n"
    assert domains in text
    text = text.replace(
        domains, 'matrix_csv = "m.csv"\n' + ("domains = 30\n" if domains_line else "")
    )
    text = text.replace("n_priorities = 5", "n_priorities = 2").replace(
        'name = "Moderate"', 'name = "Moderate"\n' + extra
    )
    if isinstance(csv_text, bytes):
        (folder / "m.csv").write_bytes(csv_text)
    elif csv_text is not None:
        (folder / "m.csv").write_text(csv_text, encoding="utf-8")
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_matrix_sets_the_domains(tmp_path, monkeypatch):
    path = csv_scenario(
        tmp_path / "data",
        GOOD_CSV,
        extra='specialised_domains = ["alpha", "gamma"]',
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the CSV path is relative to the scenario file, not the cwd
    scenario = load_scenario(path)
    assert scenario.knowledge.domains == 4
    assert Path(scenario.knowledge.matrix_csv) == (tmp_path / "data" / "m.csv").resolve()
    assert scenario.regions[0].specialised_domains == ["alpha", "gamma"]


def test_csv_domain_names_are_usable_as_priorities(tmp_path):
    path = csv_scenario(tmp_path, GOOD_CSV)
    scenario = load_scenario(
        path, overrides=['regions.0.government.initial_priorities=["beta", "delta"]']
    )
    assert scenario.regions[0].government.initial_priorities == ["beta", "delta"]


def test_csv_with_byte_order_mark_is_read(tmp_path):
    assert load_scenario(csv_scenario(tmp_path, "\ufeff" + GOOD_CSV)).knowledge.domains == 4


def _swap(old: str, new: str) -> str:
    assert old in GOOD_CSV
    return GOOD_CSV.replace(old, new)


BAD_CSVS = [
    pytest.param(None, "not found", id="missing-file"),
    pytest.param(
        "".join(
            line + (",0\n" if index else "\n") for index, line in enumerate(GOOD_CSV.splitlines())
        ),
        "not square",
        id="not-square",
    ),
    pytest.param(
        "".join(GOOD_CSV.splitlines(keepends=True)[:4]),
        "differ|square",
        id="fewer-rows-than-columns",
    ),
    pytest.param(
        _swap("beta,0.5,1,0.2,0.3", "beta,0.5,1,0.2"),
        "square|row|column",
        id="ragged-row",
    ),
    pytest.param(
        _swap(",alpha,beta,gamma,delta", ",alpha,beta,gamma,omega"),
        "header and row names differ",
        id="header-index-mismatch",
    ),
    pytest.param(_swap("alpha,1,0.5,", "alpha,1,0.6,"), "not symmetric", id="asymmetric"),
    pytest.param(
        _swap("gamma,0.1,0.2,1,0.4", "gamma,0.1,0.2,1.5,0.4"), r"\[0, 1\]", id="value-above-1"
    ),
    pytest.param(
        _swap("gamma,0.1,0.2,1,0.4", "gamma,0.1,0.2,-1,0.4"), r"\[0, 1\]", id="negative-value"
    ),
    pytest.param(
        _swap("gamma,0.1,0.2,1,0.4", "gamma,0.1,0.2,nan,0.4"), r"\[0, 1\]", id="nan-value"
    ),
    pytest.param(
        _swap("gamma,0.1,0.2,1,0.4", "gamma,0.1,0.2,high,0.4"), "non-numeric", id="non-numeric-cell"
    ),
    pytest.param(
        _swap("gamma,0.1,0.2,1,0.4", "gamma,0.1,0.2,,0.4"), "non-numeric", id="empty-cell"
    ),
    pytest.param(
        GOOD_CSV.replace("gamma", "alpha"), "duplicate domain names", id="duplicate-names"
    ),
    pytest.param("", "header", id="empty-file"),
    pytest.param(
        GOOD_CSV.replace("alpha", "\xe9t\xe9").encode("latin-1"), "cannot read", id="not-utf8"
    ),
]


@pytest.mark.parametrize(("csv_text", "problem"), BAD_CSVS)
def test_bad_csv_matrix_is_one_line_error(tmp_path, capsys, csv_text, problem):
    path = csv_scenario(tmp_path / "data", csv_text)
    message = error_of(path)
    assert str(path) in message
    assert "knowledge.matrix_csv" in message
    assert re.search(problem, message), message
    line = assert_cli_rejects(path, tmp_path, capsys)
    assert "knowledge.matrix_csv" in line


def test_csv_domain_count_must_match_domains_field(tmp_path):
    message = error_of(csv_scenario(tmp_path, GOOD_CSV, domains_line=True))
    assert "knowledge.domains" in message and "4 domains" in message


def test_csv_too_few_domains_for_priorities(tmp_path):
    message = error_of(
        csv_scenario(tmp_path, GOOD_CSV), overrides=["regions.0.government.n_priorities=5"]
    )
    assert "n_priorities (5)" in message and "exceeds" in message


@pytest.mark.parametrize(
    ("old", "new", "field", "unknown"),
    [
        pytest.param(
            'name = "Moderate"',
            'name = "Moderate"\nspecialised_domains = ["alpha", "zeta"]',
            "regions[0].specialised_domains",
            "zeta",
            id="specialised_domains",
        ),
        pytest.param(
            "n_priorities = 2",
            'n_priorities = 2\ninitial_priorities = ["beta", "D01"]',
            "regions[0].government.initial_priorities",
            "D01",
            id="initial_priorities",
        ),
    ],
)
def test_csv_unknown_domain_name(tmp_path, old, new, field, unknown):
    path = csv_scenario(tmp_path, GOOD_CSV)
    path.write_text(sub(old, new)(path.read_text(encoding="utf-8")), encoding="utf-8")
    message = error_of(path)
    assert str(path) in message
    assert field in message
    assert f"unknown domain '{unknown}'" in message


@pytest.mark.parametrize(
    ("override", "field"),
    [
        pytest.param(
            'regions.0.specialised_domains=["D01", "D31"]',
            "regions[0].specialised_domains",
            id="specialised_domains",
        ),
        pytest.param(
            'regions.0.government.initial_priorities=["D02", "D31"]',
            "regions[0].government.initial_priorities",
            id="initial_priorities",
        ),
    ],
)
def test_synthetic_unknown_domain_name(override, field):
    message = error_of("moderate", overrides=[override])
    assert field in message and "unknown domain 'D31'" in message and "D01..D30" in message
    good = override.replace("D31", "D30")
    load_scenario("moderate", overrides=[good])  # known names are accepted


# --------------------------------------------------------------------------- bad scenario files


@dataclass(frozen=True)
class Bad:
    base: str  # bundled scenario whose text is copied
    make: Callable[[str], str]  # how to break it
    field: str  # the field the message must name ("" = none: the file as a whole)
    problem: str  # regular expression for the problem
    encoding: str = "utf-8"

    def write(self, folder: Path) -> Path:
        path = folder / "broken.toml"
        path.write_bytes(self.make(bundled_text(self.base)).encode(self.encoding))
        return path


def case(case_id: str, bad: Bad, bug: str | None = None):
    """One parametrized bad file; ``bug`` marks a known loader bug (strict xfail)."""
    marks = pytest.mark.xfail(strict=True, reason=f"BUG: {bug}") if bug else ()
    return pytest.param(bad, id=case_id, marks=marks)


BAD_FILES = [
    # unknown keys
    case(
        "unknown-key-top-level",
        Bad("moderate", sub("steps = 56", "steps = 56\nstepz = 4"), "stepz", "unknown field"),
    ),
    case(
        "unknown-key-in-region",
        Bad(
            "moderate",
            sub("universities = 2", "universities = 2\nfirmz = 3"),
            "regions[0].firmz",
            "unknown field",
        ),
    ),
    case(
        "unknown-key-in-government",
        Bad(
            "moderate",
            sub("budget_share = 0.0015", "budget_share = 0.0015\nbudgte = 3"),
            "regions[0].government.budgte",
            "unknown field",
        ),
    ),
    case(
        "unknown-key-in-inline-mix",
        Bad(
            "moderate",
            sub(
                'mix = "baseline"',
                'mix = { name = "x", colour = "red", shares = { rd_grants = 1.0 } }',
            ),
            "mix.colour",
            "unknown field",
        ),
    ),
    case(
        "unknown-key-in-mix-table",
        Bad(
            "moderate",
            lambda t: append(
                '[mix]\nname = "x"\ncolour = "red"\n\n[mix.shares]\nrd_grants = 1.0\n'
            )(sub('mix = "baseline"', "")(t)),
            "mix.colour",
            "unknown field",
        ),
    ),
    case(
        "unknown-key-in-firm",
        Bad("moderate", append("[firm]\nlerning_own = 0.1\n"), "firm.lerning_own", "unknown field"),
    ),
    case(
        "unknown-key-in-archetype-region",
        Bad(
            "europe",
            sub('name = "East"', 'name = "East"\nfirmz = 3'),
            "regions[2].firmz",
            "unknown field",
        ),
    ),
    # wrong types
    case(
        "string-for-int",
        Bad("moderate", sub("firms = 1000", 'firms = "many"'), "regions[0].firms", "valid integer"),
    ),
    case(
        "fraction-for-int",
        Bad("moderate", sub("firms = 1000", "firms = 10.5"), "regions[0].firms", "valid integer"),
    ),
    case(
        "list-for-float",
        Bad(
            "moderate",
            sub("absorptive_capacity = 0.36", "absorptive_capacity = [0.3]"),
            "regions[0].absorptive_capacity",
            "valid number",
        ),
    ),
    case(
        "string-for-table",
        Bad(
            "moderate",
            sub("[knowledge]", 'interregional = "open"\n\n[knowledge]'),
            "interregional",
            "valid dictionary",
        ),
    ),
    case(
        "number-for-mix",
        Bad("moderate", sub('mix = "baseline"', "mix = 5"), "mix", "valid dictionary"),
    ),
    case(
        "bad-governance",
        Bad(
            "moderate",
            sub('governance = "triple_helix"', 'governance = "anarchy"'),
            "regions[0].government.governance",
            "top_down",
        ),
    ),
    case(
        "position-one-number",
        Bad(
            "moderate",
            sub("firms = 1000", "firms = 1000\nposition = [1.0]"),
            "regions[0].position",
            "missing",
        ),
    ),
    # out of range
    case(
        "absorptive-capacity-1.5",
        Bad(
            "moderate",
            sub("absorptive_capacity = 0.36", "absorptive_capacity = 1.5"),
            "regions[0].absorptive_capacity",
            "less than or equal to 1",
        ),
    ),
    case(
        "institutional-quality-negative",
        Bad(
            "moderate",
            sub("institutional_quality = 0.5", "institutional_quality = -0.1"),
            "regions[0].government.institutional_quality",
            "greater than or equal to 0",
        ),
    ),
    case(
        "steps-0",
        Bad("moderate", sub("steps = 56", "steps = 0"), "steps", "greater than or equal to 1"),
    ),
    case(
        "firms-0",
        Bad(
            "moderate",
            sub("firms = 1000", "firms = 0"),
            "regions[0].firms",
            "greater than or equal to 1",
        ),
    ),
    case(
        "negative-budget",
        Bad(
            "moderate",
            sub("budget_share = 0.0015", "budget_share = -0.001"),
            "regions[0].government.budget_share",
            "greater than or equal to 0",
        ),
    ),
    case(
        "nan-capacity",
        Bad(
            "moderate",
            sub("absorptive_capacity = 0.36", "absorptive_capacity = nan"),
            "regions[0].absorptive_capacity",
            "nan",
        ),
    ),
    case(
        "empty-region-name",
        Bad(
            "moderate",
            sub('name = "Moderate"', 'name = ""'),
            "regions[0].name",
            "at least 1 character",
        ),
    ),
    case("no-regions", Bad("moderate", head_only("regions = []"), "regions", "at least 1 item")),
    case(
        "firm-rate-negative",
        Bad(
            "moderate",
            append("[firm]\nlearning_own = -1.0\n"),
            "firm.learning_own",
            "greater than or equal to 0",
        ),
    ),
    case(
        "instrument-delay-too-long",
        Bad(
            "moderate",
            append("[instruments.rd_grants]\ndelay = 99\n"),
            "instruments.rd_grants.delay",
            "less than or equal to 40",
        ),
    ),
    case(
        "instrument-zero-cost",
        Bad(
            "moderate",
            append("[instruments.rd_grants]\nunit_cost = 0.0\n"),
            "instruments.rd_grants.unit_cost",
            "greater than 0",
        ),
    ),
    # mixes and instruments
    case(
        "shares-do-not-sum-to-1",
        Bad(
            "moderate",
            sub(
                'mix = "baseline"',
                'mix = { name = "x", shares = { rd_grants = 0.5, training = 0.3 } }',
            ),
            "mix.shares",
            "sum to 1",
        ),
    ),
    case(
        "share-above-1",
        Bad(
            "moderate",
            sub(
                'mix = "baseline"',
                'mix = { name = "x", shares = { rd_grants = 1.5, training = -0.5 } }',
            ),
            "mix.shares.rd_grants",
            "less than or equal to 1",
        ),
    ),
    case(
        "unknown-instrument-in-shares",
        Bad(
            "moderate",
            sub(
                'mix = "baseline"',
                'mix = { name = "x", shares = { rd_grants = 0.5, teleport = 0.5 } }',
            ),
            "mix.shares",
            "unknown instrument 'teleport'",
        ),
    ),
    case(
        "unknown-instrument-table",
        Bad(
            "moderate",
            append(
                "[instruments.teleport]\nunit_cost = 1.0\ndelay = 1\n"
                'targeting = "priority"\neffect = 1.0\n'
            ),
            "instruments",
            "unknown instrument 'teleport'",
        ),
    ),
    case(
        "unknown-bundled-mix",
        Bad(
            "moderate",
            sub('mix = "baseline"', 'mix = "no_such_mix"'),
            "mix",
            "unknown mix 'no_such_mix'",
        ),
    ),
    case(
        "unknown-region-mix",
        Bad(
            "moderate",
            sub("n_priorities = 5", 'n_priorities = 5\nmix = "no_such_mix"'),
            "regions[0].government.mix",
            "unknown mix 'no_such_mix'",
        ),
    ),
    # cross-field rules
    case(
        "n-priorities-above-domains",
        Bad(
            "moderate",
            sub("n_priorities = 5", "n_priorities = 31"),
            "n_priorities",
            r"exceeds the number of domains \(30\)",
        ),
    ),
    case(
        "families-above-domains",
        Bad(
            "moderate",
            sub("families = 6", "families = 31"),
            "knowledge",
            r"families \(31\) must not exceed domains \(30\)",
        ),
    ),
    case(
        "duplicate-region-names",
        Bad(
            "europe",
            sub('name = "Centre"', 'name = "North"'),
            "regions[1].name",
            "duplicate region name .North.",
        ),
    ),
    case(
        "unknown-archetype",
        Bad(
            "europe",
            sub('archetype = "strong"', 'archetype = "mythical"'),
            "regions[1].archetype",
            "unknown archetype 'mythical'",
        ),
    ),
    case(
        "unknown-domain-in-priorities",
        Bad(
            "moderate",
            sub("n_priorities = 5", 'n_priorities = 5\ninitial_priorities = ["D99"]'),
            "regions[0].government.initial_priorities",
            "unknown domain 'D99'",
        ),
    ),
    case(
        "missing-csv-matrix",
        Bad(
            "moderate",
            sub("families = 6", 'matrix_csv = "nowhere.csv"\nfamilies = 6'),
            "knowledge.matrix_csv",
            "not found",
        ),
    ),
    # the file as a whole
    case(
        "invalid-toml-syntax",
        Bad("moderate", sub("firms = 1000", "firms = = 1000"), "", r"invalid TOML.*line \d+"),
    ),
    case(
        "duplicate-toml-key",
        Bad("moderate", sub("firms = 1000", "firms = 1000\nfirms = 2000"), "", "invalid TOML"),
    ),
    # found bugs: these must become one-line errors
    case(
        "not-utf8",
        Bad(
            "moderate",
            sub('name = "Moderate"', 'name = "Mod\u00e9r\u00e9"'),
            "",
            "UTF-8|encoding|cannot read",
            encoding="cp1252",  # as saved by a Windows editor
        ),
    ),
    case(
        "unknown-burn-in-mix",
        Bad(
            "moderate",
            append('[initial]\nburn_in_mix = "nope"'),
            "initial.burn_in_mix",
            "unknown mix 'nope'",
        ),
    ),
    case(
        "budget-in-euros",
        Bad(
            "moderate",
            sub("budget_share = 0.0015", "budget = 20.0"),
            "regions[0].government",
            "'budget' \\(M€ per year\\) was replaced by 'budget_share'.*share of the region's GDP",
        ),
    ),
    case(
        "infinite-budget",
        Bad(
            "moderate",
            sub("budget_share = 0.0015", "budget_share = inf"),
            "regions[0].government.budget_share",
            "finite|inf|less than",
        ),
    ),
    case(
        "bool-for-int",
        Bad("moderate", sub("firms = 1000", "firms = true"), "regions[0].firms", "integer"),
    ),
    case(
        "unknown-instrument-partial-table",
        Bad(
            "moderate",
            append("[instruments.rd_grant]\neffect = 2.0\n"),
            "instruments",
            "unknown instrument 'rd_grant'",
        ),
    ),
    case(
        "multi-region-scenario-as-archetype",
        Bad(
            "europe",
            sub('archetype = "strong"', 'archetype = "europe"'),
            "regions[1].archetype",
            "archetype",
        ),
    ),
    case(
        "archetype-path-into-mixes",
        Bad(
            "europe",
            sub('archetype = "strong"', 'archetype = "mixes/baseline"'),
            "regions[1].archetype",
            "unknown archetype",
        ),
    ),
    case(
        "mix-path-to-a-scenario",
        Bad("moderate", sub('mix = "baseline"', 'mix = "../emerging"'), "mix", "unknown mix"),
    ),
]


@pytest.mark.parametrize("bad", BAD_FILES)
def test_bad_file_gives_one_line_error(tmp_path, bad):
    path = bad.write(tmp_path)
    message = error_of(path)
    assert str(path) in message, message
    assert bad.field in message, message
    assert re.search(bad.problem, message), message


@pytest.mark.parametrize("bad", BAD_FILES)
def test_bad_file_cli_exits_2_with_one_line(tmp_path, capsys, bad):
    path = bad.write(tmp_path)
    line = assert_cli_rejects(path, tmp_path, capsys)
    assert str(path) in line
    assert bad.field in line
    assert re.search(bad.problem, line), line


SUBPROCESS_CASES = {
    "unknown-key-top-level",
    "invalid-toml-syntax",
    "absorptive-capacity-1.5",
    "unknown-archetype",
    "not-utf8",
}


@pytest.mark.parametrize("bad", [param for param in BAD_FILES if param.id in SUBPROCESS_CASES])
@pytest.mark.slow
def test_bad_file_real_process(tmp_path, bad):
    path = bad.write(tmp_path)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "smartspec", "run", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("smartspec: error:")
    assert str(path) in lines[0] and bad.field in lines[0]
    assert re.search(bad.problem, lines[0]), lines[0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.toml"]


@pytest.mark.parametrize(
    ("scenario", "problem"),
    [
        pytest.param("no_such_scenario", "unknown scenario", id="unknown-bundled-name"),
        pytest.param("missing.toml", "file not found", id="missing-file"),
    ],
)
def test_unknown_scenario_is_one_line(tmp_path, capsys, scenario, problem):
    target = str(tmp_path / scenario) if scenario.endswith(".toml") else scenario
    assert problem in error_of(target)
    assert problem in assert_cli_rejects(target, tmp_path, capsys)


def test_folder_given_as_scenario_is_one_line(tmp_path, capsys):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    assert str(folder) in error_of(folder)
    assert_cli_rejects(folder, tmp_path, capsys)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        pytest.param(
            ["--mix", "no_such_mix"], "unknown mix 'no_such_mix'", id="unknown-mix-option"
        ),
        pytest.param(
            ["--set", "regions.3.firms=5"], "no list item '3'", id="set-index-out-of-range"
        ),
        pytest.param(
            ["--set", "regions.0.firms"], "expected dotted.key=value", id="set-without-value"
        ),
        pytest.param(
            ["--set", "regions.0.firms=-4"], "greater than or equal to 1", id="set-out-of-range"
        ),
    ],
)
def test_bad_option_values_are_one_line(tmp_path, capsys, options, problem):
    assert problem in assert_cli_rejects("moderate", tmp_path, capsys, *options)


def test_duplicate_region_name_error_names_the_duplicate(tmp_path):
    path = tmp_path / "dup.toml"
    path.write_text(
        sub('name = "Centre"', 'name = "North"')(bundled_text("europe")), encoding="utf-8"
    )
    message = error_of(path)
    assert "North" in message and "(top level)" not in message
