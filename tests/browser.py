"""Shared set-up for the tests that drive Debian's chromium through Playwright's Python API.

Never ``playwright install``: it downloads a browser. ``.ci/run`` installs chromium.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium():
    """The playwright.sync_api module, or skip (fail under CI) when chromium is missing."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return pytest.importorskip("playwright.sync_api")
