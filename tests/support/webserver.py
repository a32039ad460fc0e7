"""A web server that is not Consul, on 127.0.0.1: what a wrong address or port answers.

A real agent cannot be made to answer as something else, so this is the
one fault the tests fake: :class:`NotConsul` serves an empty directory with
:mod:`http.server` (``404`` HTML error pages, as any web server sends), or
with ``mode='bare'`` answers every request ``404`` with an empty body and
no header of Consul's, as a minimal server or a load balancer might.
"""

from __future__ import annotations

import functools
import http.server
import tempfile
import threading
from types import TracebackType
from typing import Any

__all__ = ['NotConsul']


class _Bare(http.server.BaseHTTPRequestHandler):
    """Every request: 404, no body, no header of Consul's."""

    def _answer(self) -> None:
        self.send_response(404)
        self.send_header('Content-Length', '0')
        self.end_headers()

    do_GET = do_PUT = do_DELETE = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """http.server's own file server, without its log lines on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class NotConsul:
    """A plain HTTP server on a free port of 127.0.0.1; ``addr`` is its ``host:port``."""

    def __init__(self, mode: str = 'html') -> None:
        self._directory = tempfile.TemporaryDirectory()
        handler: Any = (
            _Bare if mode == 'bare' else functools.partial(_Quiet, directory=self._directory.name)
        )
        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
        self.port = self._server.server_address[1]
        self.addr = f'127.0.0.1:{self.port}'
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> NotConsul:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._directory.cleanup()
