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
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from explain.scoring._service import DEFAULT_HEADER_TIMEOUT, DEFAULT_LIMIT_CONCURRENCY

__all__ = ["HeaderTimeoutProtocol", "server_config"]

KEEP_ALIVE_TIMEOUT = 5
MAX_HEADER_BYTES = 16 * 1024


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers arrive too slowly."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
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
                  limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY,
                  log_level: str = "warning") -> uvicorn.Config:
    """A uvicorn configuration serving ``app`` with the limits of this module.

    Parameters
    ----------
    app : ASGI app
        What to serve (:func:`explain.scoring.create_app`).
    host, port : str, int
        Where to listen.
    header_timeout : float, default=10
        Most seconds a client may take to send a request's headers.
    limit_concurrency : int, default=256
        Most connections and requests at once; more get 503.
    log_level : str, default="warning"
        uvicorn's log level.
    """
    protocol = type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": header_timeout})
    return uvicorn.Config(app, host=host, port=port, http=protocol, log_level=log_level,
                          timeout_keep_alive=KEEP_ALIVE_TIMEOUT, limit_concurrency=limit_concurrency,
                          h11_max_incomplete_event_size=MAX_HEADER_BYTES)
