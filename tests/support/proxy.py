"""A recording HTTP proxy in front of a real agent: what the client really sends.

The agent still answers every request; the proxy only writes down the
method, the path with its query string and the headers of each request
before forwarding it, and can delay answers to make an agent look slow.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class Seen:
    """One request as it crossed the wire."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingProxy:
    """Forward 127.0.0.1:<port> to ``upstream`` (host:port), recording each request."""

    upstream: str
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def _forward(self) -> None:
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                proxy.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                if proxy.delay:
                    time.sleep(proxy.delay)
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
                upstream.request(self.command, self.path, body or None, dict(self.headers))
                answer = upstream.getresponse()
                content = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                        self.send_header(name, value)
                self.send_header('Content-Length', str(len(content)))
                self.end_headers()
                self.wfile.write(content)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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
        return f'127.0.0.1:{self.port}'
