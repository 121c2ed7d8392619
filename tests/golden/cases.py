"""The golden-output cases: fixed scenarios and seeds whose model tables are recorded.

Every archetype and ``europe`` over the full 56 quarters (EDP revisions, late mix phases,
exits and instrument delays all happen), every bundled mix on the emerging archetype, and a
few settings that reach code the bundled scenarios leave alone (peer review, horizontal
targeting of every instrument, heavy firm turnover).

Regenerate the recorded files (only when a change of results is intended, and say why in the
commit)::

    .venv/bin/python tests/golden/regenerate.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from smartspec.scenarios import INSTRUMENTS

GOLDEN_DIR = Path(__file__).resolve().parent
VERSIONS_FILE = GOLDEN_DIR / "versions.json"
#: Packages whose releases may change floating-point results; recorded with the files.
PACKAGES = ("numpy", "pandas", "scipy", "mesa")

_MIXES = (
    "baseline",
    "capacity_first",
    "capacity_then_grants",
    "cluster_led",
    "grants_then_capacity",
    "quadruple_helix",
    "rd_grants_heavy",
    "social_innovation",
)

#: name -> (scenario, mix, seed, overrides)
CASES: dict[str, tuple[str, str | None, int, dict[str, Any]]] = {
    **{
        f"archetype-{name}": (name, None, 1, {})
        for name in ("emerging", "moderate", "strong", "leader", "europe")
    },
    **{f"mix-{mix}": ("emerging", mix, 2, {}) for mix in _MIXES},
    "europe-peer-review": (
        "europe",
        "quadruple_helix",
        3,
        {
            "peer_review.enabled": True,
            "peer_review.period": 4,
            "peer_review.selection": "leader_laggard",
        },
    ),
    "europe-peer-review-similar": (
        "europe",
        None,
        5,
        {"peer_review.enabled": True, "peer_review.period": 6, "peer_review.peers": 1},
    ),
    "horizontal-targeting": (
        "moderate",
        "rd_grants_heavy",
        4,
        {f"instruments.{name}.targeting": "horizontal" for name in INSTRUMENTS},
    ),
    "horizontal-social": (
        "emerging",
        "quadruple_helix",
        4,
        {f"instruments.{name}.targeting": "horizontal" for name in INSTRUMENTS},
    ),
    "turnover": (
        "emerging",
        "cluster_led",
        6,
        {
            "firm.diversification_rate": 0.3,
            "firm.entry_rate": 0.05,
            "firm.exit_losses": 2,
            "steps": 40,
        },
    ),
}


def simulate(name: str) -> dict[str, pd.DataFrame]:
    """Run one case; return its tables (indicators, domains, model series, peer reviews)."""
    from smartspec import EcosystemModel

    scenario, mix, seed, overrides = CASES[name]
    model = EcosystemModel(scenario, rng=seed, mix=mix, **overrides)
    model.run_for(model.spec.steps)
    tables = {
        "indicators": model.indicators(),
        "domains": model.domains(),
        "model": model.datacollector.get_model_vars_dataframe().reset_index(drop=True),
    }
    if model.peer_reviews:
        tables["reviews"] = pd.DataFrame(model.peer_reviews)
    return tables


def path_of(name: str, table: str) -> Path:
    return GOLDEN_DIR / f"{name}.{table}.parquet"


def numpy_simd() -> str:
    """The SIMD extensions NumPy's vectorised loops (exp, log, sums) dispatch to on this CPU:
    the baseline and every dispatch target the CPU has. Loops for other extensions may round
    the last bit differently (seen: the same versions on a CPU with AVX512_SPR changed the
    related variety in the last bits), so exact equality holds only on a CPU like the one the
    files were recorded on."""
    try:
        from numpy._core import _multiarray_umath as umath

        enabled = [name for name in umath.__cpu_dispatch__ if umath.__cpu_features__.get(name)]
        return " ".join([*umath.__cpu_baseline__, *enabled])
    except (ImportError, AttributeError):  # a NumPy without these (private) tables
        return "unknown"


def installed_versions() -> dict[str, str]:
    """The package versions and NumPy's SIMD extensions, as recorded with the files."""
    from importlib import metadata

    return {
        **{package: metadata.version(package) for package in PACKAGES},
        "numpy_simd": numpy_simd(),
    }


def recorded_versions() -> dict[str, str]:
    """The package versions (and NumPy's SIMD extensions) the golden tables were made with,
    without the model version."""
    recorded = json.loads(VERSIONS_FILE.read_text())
    recorded.pop("model_version", None)
    return recorded


def recorded_model_version() -> int:
    """The model version the golden tables were made by (smartspec.model.version)."""
    return int(json.loads(VERSIONS_FILE.read_text()).get("model_version", 1))
