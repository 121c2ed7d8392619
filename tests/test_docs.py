"""Documentation stays true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from smartspec.model.indicators import REGION_COLUMNS
from smartspec.scenarios import reference

ROOT = Path(__file__).resolve().parent.parent


def test_scenario_reference_is_generated_from_the_current_schema():
    on_disk = (ROOT / "docs" / "scenario-reference.md").read_text(encoding="utf-8")
    assert on_disk == reference.render(), "run: python -m smartspec.scenarios.reference"


def test_odd_parameter_tables_are_generated_from_the_current_schema():
    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert text == reference.render_odd(text), "run: python -m smartspec.scenarios.reference"


def test_odd_shows_every_table_of_behavioural_parameters():
    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert sorted(reference.odd_keys(text)) == sorted(reference._parameter_sections())


def test_odd_has_the_seven_elements_in_order():
    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (\d)\.? ", text, flags=re.MULTILINE)
    assert headings[:7] == ["1", "2", "3", "4", "5", "6", "7"]


def test_odd_documents_every_indicator_column():
    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    missing = [
        column
        for column in REGION_COLUMNS
        if column not in text and not column.startswith(("committed_", "absorbed_"))
    ]
    assert not missing, missing


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_local_link_and_image_in_the_docs_exists():
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.name}: {target}")
    assert not broken, broken


def test_the_dashboard_tour_names_real_controls_and_commands():
    from smartspec.cli import build_parser
    from smartspec.dashboard.settings import ARCHETYPES, GOVERNANCE_MODELS, mix_names

    tour = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")
    assert "dashboard" in build_parser().format_help()
    for archetype in ARCHETYPES:
        assert f"`{archetype}`" in tour
    for mix in re.findall(r"`([a-z_]+)`", tour):
        if mix.endswith(("_heavy", "_first", "_helix", "_grants")):
            assert mix in [*mix_names(), *GOVERNANCE_MODELS], mix


#: Every row of ../shared/targets.md, and the innovation paradox (held out for validation).
PUBLISHED_TARGETS = [f"T{number}" for number in range(1, 20)] + ["paradox"]


def test_calibration_maps_every_published_target():
    text = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    section = text.split("### Published targets and the statistics they map to")[1]
    table = section.split("\n### ")[0]  # the mapping table's own section
    rows = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")}
    shared = ROOT.parent / "shared" / "targets.md"
    listed = PUBLISHED_TARGETS
    if shared.exists():  # the targets file lives next to the repository, when checked out
        published = shared.read_text(encoding="utf-8").splitlines()
        listed = sorted({line.split("|")[1].strip() for line in published if "| T" in line[:5]})
        listed += ["paradox"]
    assert set(listed) <= rows, sorted(set(listed) - rows)
    for line in table.splitlines():
        if line.startswith("| T") or line.startswith("| paradox"):
            use = line.rstrip(" |").split("|")[-1]
            uses = ("calibrated", "held out", "definition", "diagnostic")
            assert any(word in use for word in uses), line


def test_readme_names_the_current_model_version():
    from smartspec.model.version import MODEL_VERSION

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Version {MODEL_VERSION} (this one)" in readme
