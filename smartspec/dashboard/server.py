"""Serve the dashboard with Solara's own server (Starlette + uvicorn), offline.

The front end comes from installed packages (``solara-assets``), never from a CDN, and
Solara's telemetry is off: workshops often run on closed government networks.
"""

from __future__ import annotations

import errno
import os
import socket
import warnings

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "offline_environment", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP_MODULE = "smartspec.dashboard.app"


def offline_environment() -> dict[str, str]:
    """Environment variables Solara reads at import time."""
    return {
        "SOLARA_APP": APP_MODULE,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_THEME_TITLE": "SmartSpec dashboard",
        # The "proxy" serves /_solara/cdn/ from <venv>/share/solara/cdn, which the
        # solara-assets package fills; without it the browser would ask a public CDN.
        "SOLARA_ASSETS_PROXY": "True",
        # An asset missing from solara-assets then fails here instead of being fetched from
        # the internet (port 9 is "discard": nothing listens).
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
        "MPLBACKEND": "Agg",
    }


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise OSError(f"port {port} on {host} is already in use (try --port)") from None
            raise OSError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, quiet: bool = False) -> None:
    """Run the dashboard until interrupted. Raises ``OSError`` if the address is taken."""
    _check_port_free(host, port)
    os.environ.update(offline_environment())
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    import uvicorn

    # Solara warns on every page load over plain http on 127.0.0.1 that it falls back to
    # samesite=lax cookies, which is right for a local app: not worth a screenful each time.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    config = uvicorn.Config(
        "solara.server.starlette:app",
        host=host,
        port=port,
        log_level="warning",
        ws_ping_interval=None,
    )
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    if not quiet:
        print(f"SmartSpec dashboard: http://{shown}:{port}/  (Ctrl-C to stop)", flush=True)
        if host in ("0.0.0.0", "::"):
            print(
                f"Listening on every network interface: other machines use this machine's "
                f"address; here, open http://127.0.0.1:{port}/",
                flush=True,
            )
    server.run()
