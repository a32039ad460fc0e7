"""A recording HTTP proxy in front of a real agent: what the client really sends.

The agent still answers every request; the proxy only writes down the
method, the path with its query string and the headers of each request
before forwarding it, and can delay answers to make an agent look slow.
For faults a real agent cannot produce, ``answer`` may replace the agent's
answer with a :class:`Canned` one (a 502 page from a gateway, a 429 with
``Retry-After``, a body cut off in the middle).
"""

from __future__ import annotations

import http.client
import http.server
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import consulate


@dataclass
class Seen:
    """One request as it crossed the wire."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)
    #: The client's end of the connection, ``(host, port)``: one TCP connection per port.
    peer: tuple[str, int] | None = None


@dataclass
class Canned:
    """The answer the proxy gives instead of the agent's.

    ``status`` or ``body`` left as None take the agent's (the request is then
    forwarded); ``forward`` sends the request to the agent even when both are
    given, and drops its answer (a gateway that lost the reply); ``cut`` sends
    only that many bytes of the body, under the full Content-Length, then
    closes the connection; ``drop`` closes the connection without answering
    at all, once the request was received (and, with ``forward``, applied by
    the agent); ``trailing`` is written after the answer, as stray bytes on a
    connection the client keeps (an answer to nothing).
    """

    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    forward: bool = False
    cut: int | None = None
    drop: bool = False
    trailing: bytes = b''


@dataclass
class RecordingProxy:
    """Forward 127.0.0.1:<port> to ``upstream`` (host:port), recording each request."""

    upstream: str
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    answer: Callable[[Seen], Canned | None] | None = None
    port: int = 0

    def __post_init__(self) -> None:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def _forward(self) -> None:
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                seen = Seen(self.command, self.path, dict(self.headers), body)
                seen.peer = self.client_address[:2]
                proxy.seen.append(seen)
                if proxy.delay:
                    time.sleep(proxy.delay)
                canned = proxy.answer(seen) if proxy.answer else None
                if canned is not None and canned.drop:
                    if canned.forward:
                        self._upstream(body)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status: int = 0
                headers: dict[str, str] = {}
                content = b''
                if canned is None or canned.forward or None in (canned.status, canned.body):
                    status, headers, content = self._upstream(body)
                if canned is not None:
                    if canned.status is not None and canned.body is not None:
                        headers = {}
                    status = canned.status or status
                    content = content if canned.body is None else canned.body
                    headers.update(canned.headers)
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                        self.send_header(name, value)
                self.send_header('Content-Length', str(len(content)))
                if canned is not None and canned.cut is not None:
                    self.send_header('Connection', 'close')
                    self.close_connection = True
                    content = content[: canned.cut]
                self.end_headers()
                try:
                    self.wfile.write(content + (canned.trailing if canned is not None else b''))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a read timeout): nothing to answer

            def _upstream(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
                try:
                    upstream.request(self.command, self.path, body or None, dict(self.headers))
                    answer = upstream.getresponse()
                    return answer.status, dict(answer.getheaders()), answer.read()
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True
        )

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def addr(self) -> str:
        """``127.0.0.1:<port>``, the address clients connect to."""
        return f'127.0.0.1:{self.port}'

    def client(self, **options: Any) -> consulate.Consul:
        """A client whose every request goes through the proxy (no environment read)."""
        return consulate.Consul(addr=self.addr, env={}, **options)

    def sent(self, method: str | None = None) -> list[Seen]:
        """The requests seen so far, or those of one ``method``."""
        return [seen for seen in self.seen if method is None or seen.method == method]
