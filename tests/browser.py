"""Shared set-up for the tests that drive Debian's chromium through Playwright's Python API.

Never ``playwright install``: it downloads a browser. ``.ci/run`` installs chromium.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(timeout: float = 60) -> Iterator[dict]:
    """``python -m smartspec dashboard`` on a free port, as a user starts it.

    Yields ``url``, ``port``, ``banner`` (the first line it printed) and, once the block ends
    and the server has stopped, ``stderr`` (its log).
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "smartspec", "dashboard", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    server = {"url": f"http://127.0.0.1:{port}/", "port": port, "stderr": ""}
    try:
        server["banner"] = process.stdout.readline()
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start:\n{process.stderr.read()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            _, server["stderr"] = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, server["stderr"] = process.communicate()
