"""The transport through :mod:`requests`: used while an HTTP mocking library is active, or via a proxy.

Test suites written for consulate 0.6 mock HTTP with ``responses``,
``requests-mock`` or ``httmock``, which all replace
:meth:`requests.Session.send` or :meth:`requests.adapters.HTTPAdapter.send`.
While either is replaced (:func:`mocked`, one identity check per request),
consulate sends through a :class:`requests.Session`, so those mocks see
every request. The same transport serves an agent that the environment's
``HTTP_PROXY`` / ``HTTPS_PROXY`` variables route through a proxy.

urllib3 logs each request line at DEBUG (and retried URLs at WARNING); a
filter on its loggers, installed when this module is imported, redacts the
legacy ACL IDs (tokens) those lines may carry, as consulate's own records do.

As :class:`~consulate.adapters.http.PooledTransport` does, each transport
forgets its session (and so its pooled connections) in a child process after
:func:`os.fork`: the child makes its own.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

import requests
import requests.adapters

from consulate.adapters.errors import display_address, requests_error
from consulate.adapters.tls import ServerNameAdapter, ca_location
from consulate.adapters.transport import RawResponse, WireRequest
from consulate.adapters.wire import redact_text

__all__ = ['RedactSecrets', 'RequestsTransport', 'mocked']

_SESSION_SEND = requests.Session.send
_ADAPTER_SEND = requests.adapters.HTTPAdapter.send
#: Bytes read at a time from a streamed answer.
CHUNK_SIZE = 1 << 16


def mocked() -> bool:
    """Whether an HTTP mocking library has replaced requests' send methods."""
    return (
        requests.Session.send is not _SESSION_SEND
        or requests.adapters.HTTPAdapter.send is not _ADAPTER_SEND
    )


class RequestsTransport:
    """Send requests to one agent through a :class:`requests.Session`.

    :param proxies: the proxy URL by scheme, for this agent (often empty)
    """

    def __init__(
        self,
        origin: str,
        *,
        pool_size: int,
        verify: bool | str = True,
        ca_bundle: str | None = None,
        cert: str | tuple[str, str] | None = None,
        tls_server_name: str | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        self.origin = origin
        self.address = display_address(origin)
        self._options: dict[str, Any] = {
            'verify': ca_location(verify, ca_bundle),
            'cert': cert,
            'proxies': dict(proxies or {}),
            'allow_redirects': False,
        }
        self._pool_size = pool_size
        self._tls_server_name = tls_server_name
        self._session: requests.Session | None = None
        _TRANSPORTS.add(self)

    def __repr__(self) -> str:
        return f'<RequestsTransport {self.address}>'

    def close(self) -> None:
        """Close the session's connections; the transport stays usable."""
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def send(self, request: WireRequest) -> RawResponse:
        """Send ``request`` through the session (where mocks can see it)."""
        session = self._session or self._new_session()
        prepared = requests.Request(
            request.method, self.origin + request.target, request.headers, data=request.body
        ).prepare()
        try:
            answer = session.send(
                prepared, timeout=request.timeout, stream=request.stream, **self._options
            )
            if request.stream and answer.status_code < 400:
                return RawResponse(
                    answer.status_code,
                    answer.headers,
                    b'',
                    self._chunks(answer, request),
                    answer.close,
                )
            content = answer.content
        except (requests.RequestException, OSError) as error:
            if request.path != request.target.split('?', 1)[0]:
                _scrub(error, set())  # the URL in requests' messages carries a secret
            raise requests_error(error, self.address, request.method, request.path) from error
        return RawResponse(answer.status_code, answer.headers, content)

    def _chunks(self, answer: requests.Response, request: WireRequest) -> Iterator[bytes]:
        try:
            yield from answer.iter_content(CHUNK_SIZE)
        except (requests.RequestException, OSError) as error:
            raise requests_error(error, self.address, request.method, request.path) from error

    def _new_session(self) -> requests.Session:
        if self.origin.startswith('http+unix://'):
            import requests_unixsocket

            session: requests.Session = requests_unixsocket.Session()
        else:
            session = requests.Session()
            if self._tls_server_name:
                session.mount('https://', ServerNameAdapter(self._tls_server_name))
        session.trust_env = False  # consulate.config read the environment already
        for prefix in ('http://', 'https://'):
            adapter = session.adapters.get(prefix)
            if type(adapter) is requests.adapters.HTTPAdapter:
                session.mount(prefix, requests.adapters.HTTPAdapter(pool_maxsize=self._pool_size))
        self._session = session
        return session


#: Every live transport: their sessions are forgotten (not closed) in a child after fork.
_TRANSPORTS: weakref.WeakSet[RequestsTransport] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for transport in list(_TRANSPORTS):
        transport._session = None  # the parent's sockets: never closed or reused here


os.register_at_fork(after_in_child=_after_fork_in_child)


def _scrub(error: BaseException, seen: set[int]) -> None:
    """Redact secret URL paths in an exception of requests or urllib3, its causes and its URL.

    They become the ``__cause__`` of consulate's exception, shown in tracebacks.
    """
    if id(error) in seen:
        return
    seen.add(id(error))
    error.args = tuple(redact_text(arg) if isinstance(arg, str) else arg for arg in error.args)
    if isinstance(getattr(error, 'url', None), str):
        error.url = redact_text(error.url)  # type: ignore[attr-defined]
    inner: list[object] = [*error.args, getattr(error, 'reason', None)]
    inner += [error.__cause__, error.__context__]
    for nested in inner:
        if isinstance(nested, BaseException):
            _scrub(nested, seen)


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites records naming a secret URL path (a legacy ACL's ID).

    Installed on urllib3's loggers, whose records show each request line whole.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message in place; never drop it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record whose arguments do not fit its format
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


#: The loggers urllib3 writes to (filters apply to a logger's own records only).
URLLIB3_LOGGERS = (
    'urllib3',
    'urllib3.connection',
    'urllib3.connectionpool',
    'urllib3.poolmanager',
    'urllib3.response',
    'urllib3.util.retry',
)


def _install_redaction() -> None:
    names = set(URLLIB3_LOGGERS) | {
        name for name in logging.Logger.manager.loggerDict if name.startswith('urllib3.')
    }
    for name in sorted(names):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())


_install_redaction()
