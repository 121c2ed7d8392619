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
import threading
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
def dashboard_server(
    timeout: float = 60, options: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Iterator[dict]:
    """``python -m smartspec dashboard`` on a free port, as a user starts it.

    Yields ``url``, ``port``, ``banner`` (the first line it printed), ``banner_seconds``
    (how long that took) and, once the block ends and the server has stopped, ``stderr``
    (its log). The block starts the moment the banner is printed, as a user opens the
    address the moment they see it: the dashboard prints it only once the page answers.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "smartspec", "dashboard", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    server = {"url": f"http://127.0.0.1:{port}/", "port": port, "stderr": ""}
    try:
        started = time.monotonic()
        reader = threading.Thread(target=lambda: server.update(banner=process.stdout.readline()))
        reader.start()
        reader.join(timeout)
        server["banner_seconds"] = time.monotonic() - started
        if not server.get("banner"):
            process.kill()
            raise RuntimeError(f"the dashboard did not start:\n{process.communicate()[1]}")
        yield server
    finally:
        process.terminate()
        try:
            _, server["stderr"] = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, server["stderr"] = process.communicate()
