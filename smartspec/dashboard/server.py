"""Serve the dashboard with Solara's own server (Starlette + uvicorn), offline.

The front end comes from installed packages (``solara-assets``), never from a CDN, and
Solara's telemetry is off: workshops often run on closed government networks.

Sessions end: a browser that goes away (closed, crashed, or its network gone, which the
websocket pings notice) leaves its session for ``session_timeout`` seconds, in case it comes
back, and then the session and its model are freed. At most ``max_sessions`` sessions live at
once; a further browser (or a raw websocket client) is turned away with a one-line message
instead of a new model.
"""

from __future__ import annotations

import errno
import http.client
import logging
import math
import os
import socket
import threading
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_PORT",
    "DEFAULT_SESSION_TIMEOUT",
    "SessionLimit",
    "offline_environment",
    "serve",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Seconds a session outlives its browser (a reload or a short network drop keeps the run).
DEFAULT_SESSION_TIMEOUT = 120
#: Sessions (browser tabs) served at once: a classroom, with room to spare. Each holds two
#: models, about 20 MB.
DEFAULT_MAX_SESSIONS = 40
APP_MODULE = "smartspec.dashboard.app"
#: Seconds between websocket pings; a browser that misses one for as long again is gone.
PING_SECONDS = 20.0
#: Websocket close code "try again later" (RFC 6455 registry).
CLOSE_TRY_AGAIN_LATER = 1013
_KERNEL_PATH = "/jupyter/api/kernels/"
#: An admitted session that has not shown up among Solara's kernels after this many seconds
#: (its connection failed) stops counting.
_ADMISSION_GRACE = 30.0

logger = logging.getLogger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def offline_environment(session_timeout: float = DEFAULT_SESSION_TIMEOUT) -> dict[str, str]:
    """Environment variables Solara reads at import time."""
    return {
        "SOLARA_APP": APP_MODULE,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_THEME_TITLE": "SmartSpec dashboard",
        # The "This website runs on Solara" badge sits over the charts' bottom-right corner.
        "SOLARA_THEME_SHOW_BANNER": "False",
        # The "proxy" serves /_solara/cdn/ from <venv>/share/solara/cdn, which the
        # solara-assets package fills; without it the browser would ask a public CDN.
        "SOLARA_ASSETS_PROXY": "True",
        # An asset missing from solara-assets then fails here instead of being fetched from
        # the internet (port 9 is "discard": nothing listens).
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
        "SOLARA_KERNEL_CULL_TIMEOUT": f"{session_timeout:g}s",
        "MPLBACKEND": "Agg",
    }


def _live_sessions() -> set[str]:
    from solara.server import kernel_context

    return {
        key
        for key, context in list(kernel_context.contexts.items())
        if not context.closed_event.is_set()
    }


class SessionLimit:
    """ASGI middleware in front of Solara: no new session (kernel) beyond ``max_sessions``.

    A websocket for a kernel that already lives (a reconnect) always passes; one that would
    create a kernel is closed with code 1013 when the limit is reached, and a new page load
    gets a 503 with a one-line explanation.
    """

    def __init__(self, app: Callable[..., Awaitable[None]], max_sessions: int) -> None:
        self.app = app
        self.max_sessions = max_sessions
        self._admitted: dict[str, float] = {}
        self._lock = threading.Lock()
        self._last_logged = -math.inf

    def _admit(self, kernel_id: str) -> bool:
        live = _live_sessions()
        now = time.monotonic()
        with self._lock:
            self._admitted = {
                key: since
                for key, since in self._admitted.items()
                if key not in live and now - since < _ADMISSION_GRACE
            }
            if kernel_id in live or kernel_id in self._admitted:
                return True
            if len(live) + len(self._admitted) >= self.max_sessions:
                return False
            self._admitted[kernel_id] = now
            return True

    def full(self) -> bool:
        """Whether a new session would be refused now."""
        with self._lock:
            pending = len(self._admitted)
        return len(_live_sessions()) + pending >= self.max_sessions

    def _refusal(self) -> str:
        return (
            f"The dashboard is serving its maximum of {self._sessions()}; close a tab or try "
            "again in a few minutes."
        )

    def _log_refusal(self) -> None:
        # Once a minute at most: a client retrying in a loop must not flood the log.
        now = time.monotonic()
        if now - self._last_logged >= 60.0:
            self._last_logged = now
            logger.warning("session refused: %s", self._refusal())

    def _sessions(self) -> str:
        return f"{self.max_sessions} session{'' if self.max_sessions == 1 else 's'}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "websocket" and path.startswith(_KERNEL_PATH):
            kernel_id = path[len(_KERNEL_PATH) :].split("/")[0]
            if not self._admit(kernel_id):
                self._log_refusal()
                await receive()  # the client's connect request
                # Accepted, then closed with a reason, so that the client learns why.
                await send({"type": "websocket.accept"})
                await send(
                    {
                        "type": "websocket.close",
                        "code": CLOSE_TRY_AGAIN_LATER,
                        "reason": f"maximum of {self._sessions()} reached",
                    }
                )
                return
        elif scope["type"] == "http" and path == "/" and self.full():
            body = self._refusal().encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", b"60"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise OSError(f"port {port} on {host} is already in use (try --port)") from None
            raise OSError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def _answers(host: str, port: int) -> bool:
    """Whether the server answers an HTTP request for its page."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status < 500
    except OSError:
        return False
    finally:
        connection.close()


def _announce_when_live(server: Any, host: str, port: int, banner: list[str]) -> None:
    # The address is printed only once the page loads: uvicorn binds the port seconds after
    # it starts (importing Solara), and a browser opened on an earlier banner got "refused".
    local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    while not server.should_exit:
        if server.started and _answers(local, port):
            for line in banner:
                print(line, flush=True)
            return
        time.sleep(0.1)


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    quiet: bool = False,
    session_timeout: float = DEFAULT_SESSION_TIMEOUT,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
) -> None:
    """Run the dashboard until interrupted. Raises ``OSError`` if the address is taken.

    Parameters
    ----------
    host, port
        Where to listen.
    quiet
        Print nothing (otherwise the address, once the page answers).
    session_timeout
        Seconds a session and its model outlive a browser that went away.
    max_sessions
        Sessions served at once; more are refused with a message.
    """
    _check_port_free(host, port)
    os.environ.update(offline_environment(session_timeout))
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    import uvicorn

    # Solara warns on every page load over plain http on 127.0.0.1 that it falls back to
    # samesite=lax cookies, which is right for a local app: not worth a screenful each time.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.server.starlette import app as solara_app

    config = uvicorn.Config(
        SessionLimit(solara_app, max_sessions),
        host=host,
        port=port,
        log_level="warning",
        # Pings find browsers that vanished without closing their connection (a laptop lid
        # shut, a network gone); their sessions are then culled after session_timeout.
        ws_ping_interval=PING_SECONDS,
        ws_ping_timeout=PING_SECONDS,
    )
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    banner = [f"SmartSpec dashboard: http://{shown}:{port}/  (Ctrl-C to stop)"]
    if host in ("0.0.0.0", "::"):
        banner.append(
            f"Listening on every network interface: other machines use this machine's "
            f"address; here, open http://127.0.0.1:{port}/"
        )
    if not quiet:
        threading.Thread(
            target=_announce_when_live, args=(server, host, port, banner), daemon=True
        ).start()
    server.run()
