"""Re-record the golden model tables (tests/golden/*.parquet) and the package versions.

    .venv/bin/python tests/golden/regenerate.py

Run this only when the model's results are meant to change, and give the reason in the commit
message; ``tests/test_golden.py`` then checks the new files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import CASES, GOLDEN_DIR, VERSIONS_FILE, installed_versions, path_of, simulate  # noqa: E402


def main() -> None:
    for stale in GOLDEN_DIR.glob("*.parquet"):
        stale.unlink()
    for name in CASES:
        for table, frame in simulate(name).items():
            frame.to_parquet(path_of(name, table), index=False, compression="zstd")
        print(f"recorded {name}")
    from smartspec.model.version import MODEL_VERSION

    record = {**installed_versions(), "model_version": MODEL_VERSION}
    VERSIONS_FILE.write_text(json.dumps(record, indent=2) + "\n")
    print(f"versions: {installed_versions()}")


if __name__ == "__main__":
    main()
