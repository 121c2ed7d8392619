"""Run one measurement of a benchmark script in a fresh interpreter.

A fresh process per measurement keeps each peak memory figure its own and stops one
measurement's warm caches from flattering the next.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure_in_child(module: str, kind: str, *arguments: int) -> dict:
    """``module._measure_<kind>(*arguments)`` in a new Python process; its JSON result."""
    call = f"b._measure_{kind}({', '.join(str(int(value)) for value in arguments)})"
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import {module} as b; "
        f"print(json.dumps({call}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])
