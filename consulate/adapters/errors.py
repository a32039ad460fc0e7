"""Turn socket, TLS, HTTP, requests and urllib3 failures into consulate exceptions.

Every message names the agent's address and the request (``cannot reach
Consul at 127.0.0.1:1 for GET /v1/kv/: Connection refused``), never the query
string or a token, and the original exception stays as ``__cause__``.
"""

from __future__ import annotations

import re
import socket
import ssl

import requests
from urllib3 import exceptions as u3

from consulate import exceptions
from consulate.adapters.connection import ProtocolError

__all__ = ['display_address', 'requests_error', 'socket_error']


def display_address(origin: str) -> str:
    """How an origin is named in messages: ``host:port``, ``https://host:port``, ``unix:///path``."""
    from urllib.parse import unquote

    scheme, _, rest = origin.partition('://')
    if scheme == 'http+unix':
        return f'unix://{unquote(rest)}'
    return rest if scheme == 'http' else origin


def socket_error(
    error: BaseException, address: str, method: str, path: str, *, sent: bool
) -> exceptions.RequestError:
    """The consulate exception for a failure of a pooled connection (:mod:`consulate.adapters.connection`).

    :param sent: whether any of the request may have reached the agent
    """
    where = f'{method} {path}'
    reason = _strerror(error)
    mapped: exceptions.RequestError
    if isinstance(error, (ssl.SSLError, ssl.CertificateError)):
        mapped = exceptions.TLSError(f'TLS failed with {address} on {where}: {reason}')
    elif isinstance(error, (TimeoutError, socket.timeout)):
        phase = 'reading the answer to' if sent else 'connecting for'
        mapped = exceptions.RequestTimeout(f'timed out {phase} {where} at {address}', sent=sent)
    elif not sent:
        mapped = exceptions.ConnectError(f'cannot reach Consul at {address} for {where}: {reason}')
    elif isinstance(error, (ProtocolError, OSError)):
        mapped = exceptions.RequestError(
            f'the connection to {address} broke during {where}: {reason}', sent=True
        )
    else:  # pragma: no cover - every failure of a connection is one of the above
        mapped = exceptions.RequestError(f'request failed on {where} at {address}: {reason}')
    return mapped


def _strerror(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def requests_error(
    error: BaseException, address: str, method: str, path: str
) -> exceptions.RequestError:
    """The consulate exception for a requests (or urllib3) failure, with ``sent`` set."""
    where = f'{method} {path}'
    cause = _cause(error)
    reason = _reason(cause)
    sent = not _nothing_sent(cause)
    if isinstance(cause, (u3.SSLError, ssl.SSLError, ssl.CertificateError)) or isinstance(
        error, requests.exceptions.SSLError
    ):
        return exceptions.TLSError(f'TLS failed with {address} on {where}: {reason}')
    if isinstance(cause, (u3.TimeoutError, TimeoutError)) or isinstance(
        error, requests.exceptions.Timeout
    ):
        return exceptions.RequestTimeout(f'timed out on {where} at {address}: {reason}', sent=sent)
    if not sent or isinstance(cause, (u3.ProxyError, u3.PoolError)):
        return exceptions.ConnectError(
            f'cannot reach Consul at {address} for {where}: {reason}', sent=sent
        )
    return exceptions.RequestError(
        f'the connection to {address} broke during {where}: {reason}', sent=sent
    )


def _cause(error: BaseException) -> BaseException:
    """The urllib3 or socket error under requests' and urllib3's wrappers."""
    inner = error
    while True:
        if isinstance(inner, u3.MaxRetryError) and inner.reason is not None:
            inner = inner.reason
        elif (
            isinstance(inner, requests.RequestException)
            and inner.args
            and isinstance(inner.args[0], BaseException)
        ):
            inner = inner.args[0]
        else:
            return inner


def _nothing_sent(cause: BaseException) -> bool:
    """True when the request failed before any byte of it reached the agent."""
    if isinstance(cause, u3.ProtocolError) and len(cause.args) > 1:
        cause = cause.args[1]
    # NewConnectionError and NameResolutionError are ConnectTimeoutErrors too.
    return isinstance(cause, (u3.ConnectTimeoutError, FileNotFoundError, ConnectionRefusedError))


def _reason(cause: BaseException) -> str:
    """The most telling part of a (urllib3 or socket) error, without the pool's repr."""
    inner = cause
    if isinstance(inner, u3.ProtocolError) and len(inner.args) > 1:
        if isinstance(inner.args[1], BaseException):
            inner = inner.args[1]
    text = str(inner)
    if isinstance(inner, u3.PoolError):
        # "HTTPConnectionPool(host=..., port=...): Read timed out." -> "Read timed out."
        text = text.split(': ', 1)[-1]
    # urllib3 connection errors start with the connection (``<...>: `` or
    # ``HTTPConnection(host=..., port=...): ``); the cause follows it.
    return _CONNECTION_PREFIX.sub('', text, count=1)


_CONNECTION_PREFIX = re.compile(r'^(<[^>]*>|\w*Connection\(host=[^)]*\)): ')
