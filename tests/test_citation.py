"""SmartSpec is citable: a licence, citation metadata, one version everywhere."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

import smartspec
from smartspec.cli import main
from smartspec.experiments.provenance import provenance
from smartspec.model.version import MODEL_VERSION

ROOT = Path(__file__).resolve().parent.parent

#: The keys the Citation File Format 1.2.0 schema allows at the top level.
CFF_KEYS = {
    "abstract",
    "authors",
    "cff-version",
    "commit",
    "contact",
    "date-released",
    "doi",
    "identifiers",
    "keywords",
    "license",
    "license-url",
    "message",
    "preferred-citation",
    "references",
    "repository",
    "repository-artifact",
    "repository-code",
    "title",
    "type",
    "url",
    "version",
}
PERSON_KEYS = {"family-names", "given-names", "name-particle", "name-suffix", "affiliation"}
ENTITY_KEYS = {"name", "address", "city", "country", "email", "website", "orcid", "alias"}


def _citation() -> dict:
    # CFF dates are strings; YAML would read an unquoted date as a date object.
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def test_the_licence_is_mit():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == {"text": "MIT"}


def test_the_citation_file_follows_cff_1_2_0():
    cff = _citation()
    assert set(cff) <= CFF_KEYS, set(cff) - CFF_KEYS
    for key in ("cff-version", "message", "title", "authors"):
        assert cff.get(key), key
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] in ("software", "dataset")
    assert cff["license"] == "MIT"
    for author in cff["authors"]:
        assert set(author) <= PERSON_KEYS | ENTITY_KEYS | {"orcid", "email", "website"}
        assert author.get("name") or author.get("family-names")
    assert isinstance(cff["date-released"], str)
    datetime.date.fromisoformat(cff["date-released"])
    assert all(isinstance(keyword, str) for keyword in cff["keywords"])


def test_one_version_everywhere():
    version = smartspec.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert _citation()["version"] == version
    assert metadata.version("smartspec") == version
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    assert "version" not in pyproject["project"]


def test_the_command_prints_its_version():
    done = subprocess.run(
        [sys.executable, "-m", "smartspec", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    expected = f"smartspec {smartspec.__version__} (model version {MODEL_VERSION})"
    assert done.stdout.strip() == expected


def test_every_provenance_record_carries_the_version(tmp_path):
    assert provenance()["smartspec_version"] == smartspec.__version__
    out = tmp_path / "run"
    args = ["run", "emerging", "--steps", "1", "--set", "regions.0.firms=60", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["smartspec_version"] == smartspec.__version__


def test_the_readme_says_how_to_cite():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How to cite", 1)[1].split("\n## ", 1)[0]
    assert "CITATION.cff" in section and "smartspec --version" in section
    assert f"version {smartspec.__version__}" in section
    assert "[LICENSE](LICENSE)" in readme
