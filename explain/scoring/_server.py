"""Serving the scoring service with uvicorn, with limits on slow, idle and too many clients.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive`` seconds, but it
restarts that timer at every byte received and sets none on a new connection, so a client
sending its request headers a byte at a time (a "slow loris") holds the connection forever.
:class:`HeaderTimeoutProtocol` closes a connection whose request headers are not complete
within ``header_timeout`` seconds of the connection (or of the previous response), answering
408 if part of a request arrived. The body has its own deadline in the app
(:class:`explain.scoring._service._BodyDeadline`), so that it holds under any ASGI server.
Headers are limited to 16 KiB (larger get 400) and the connections and requests in progress
to ``limit_concurrency`` (more get 503, uvicorn's answer to overload).

With ``workers > 1`` uvicorn's supervisor starts that many processes on one socket (each a
fresh interpreter: nothing mutable is shared); each builds its app with :func:`worker_app`
from a saved scoring explainer named in the environment (:data:`WORKER_SETTINGS`), which the
parent checked before starting them.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from explain._startup import loading_without_gc
from explain.scoring._service import DEFAULT_HEADER_TIMEOUT, DEFAULT_LIMIT_CONCURRENCY

__all__ = ["WORKER_SETTINGS", "HeaderTimeoutProtocol", "ServiceConfig", "serve", "server_config",
           "worker_app"]

KEEP_ALIVE_TIMEOUT = 5
MAX_HEADER_BYTES = 16 * 1024
WORKER_SETTINGS = "AUTOML_EXPLAIN_SERVE_WORKER"
"""Environment variable holding a worker's settings (JSON): the saved scoring explainer's
``directory``, ``check_versions``, ``unknown_categories`` and the app's limits."""


class ServiceConfig(uvicorn.Config):
    """uvicorn's configuration with the header deadline of :class:`HeaderTimeoutProtocol`
    (a module-level class, so that the configuration pickles for worker processes)."""

    def __init__(self, app: Any, *, header_timeout: float = DEFAULT_HEADER_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.header_timeout = header_timeout


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers arrive too slowly."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.header_timeout = getattr(self.config, "header_timeout", self.header_timeout)
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # a request's headers were parsed
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_header_timer()  # the next request's headers

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:  # part of a request arrived: say why it is closed
            body = json.dumps({"detail": f"headers: not received within {self.header_timeout:g} s."}).encode()
            self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                                 b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        self.transport.close()


def server_config(app: Any, *, host: str, port: int, header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                  limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY, log_level: str = "warning",
                  workers: int = 1) -> ServiceConfig:
    """A uvicorn configuration serving ``app`` with the limits of this module.

    Parameters
    ----------
    app : ASGI app or str
        What to serve (:func:`explain.scoring.create_app`), or with ``workers > 1`` the import
        string of an app factory (``"explain.scoring._server:worker_app"``).
    host, port : str, int
        Where to listen.
    header_timeout : float, default=10
        Most seconds a client may take to send a request's headers.
    limit_concurrency : int, default=256
        Most connections and requests at once (per worker); more get 503.
    log_level : str, default="warning"
        uvicorn's log level.
    workers : int, default=1
        Worker processes.
    """
    return ServiceConfig(app, host=host, port=port, http=HeaderTimeoutProtocol, log_level=log_level,
                         timeout_keep_alive=KEEP_ALIVE_TIMEOUT, limit_concurrency=limit_concurrency,
                         h11_max_incomplete_event_size=MAX_HEADER_BYTES, header_timeout=header_timeout,
                         workers=workers, factory=isinstance(app, str))


def serve(config: ServiceConfig) -> None:
    """Serve until interrupted: in this process, or in ``config.workers`` worker processes."""
    if config.workers == 1:
        uvicorn.Server(config).run()
        return
    from uvicorn.supervisors import Multiprocess

    socket = config.bind_socket()
    try:
        Multiprocess(config, sockets=[socket]).run()
    finally:
        socket.close()


def worker_app() -> Any:
    """The app of one worker process: the saved scoring explainer named by
    :data:`WORKER_SETTINGS`, loaded (checksums and versions checked again) and served."""
    with loading_without_gc():
        from explain.scoring import create_app, load

        settings = json.loads(os.environ[WORKER_SETTINGS])
        scoring = load(settings["directory"], check_versions=settings["check_versions"])
        scoring.unknown_categories = settings["unknown_categories"]
        return create_app(scoring, max_rows=settings["max_rows"], max_body_bytes=settings["max_body_bytes"],
                          body_timeout=settings["body_timeout"])
