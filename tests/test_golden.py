"""The model's tables for fixed scenarios and seeds equal the recorded golden files.

Exact (bit-identical) when NumPy, pandas, SciPy and Mesa are the versions the files were
recorded with and NumPy dispatches to the same SIMD extensions (the same kind of CPU); to a
tight relative tolerance otherwise, so that a new dependency release or another CPU alone
cannot fail CI. Regenerate with ``.venv/bin/python tests/golden/regenerate.py`` when a
change of results is intended (tests/golden/cases.py lists the cases).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))

from cases import (  # noqa: E402
    CASES,
    installed_versions,
    path_of,
    recorded_model_version,
    recorded_versions,
    simulate,
)

EXACT = installed_versions() == recorded_versions()


@pytest.mark.parametrize("name", list(CASES))
def test_model_tables_equal_the_golden_files(name):
    tables = simulate(name)
    expected_tables = sorted(
        path.name.split(".")[1] for path in path_of(name, "x").parent.glob(f"{name}.*.parquet")
    )
    assert sorted(tables) == expected_tables
    for table, frame in tables.items():
        expected = pd.read_parquet(path_of(name, table))
        if EXACT:
            pd.testing.assert_frame_equal(frame, expected, check_exact=True, obj=f"{name} {table}")
        else:
            pd.testing.assert_frame_equal(
                frame, expected, check_exact=False, rtol=1e-7, obj=f"{name} {table}"
            )


def test_golden_tables_are_of_this_model_version():
    """Regenerating the tables on purpose goes with raising MODEL_VERSION (and the other way
    round), so that results of the old and new model are never combined."""
    from smartspec.model.version import MODEL_VERSION

    assert recorded_model_version() == MODEL_VERSION
