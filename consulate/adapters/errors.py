"""Turn requests and urllib3 failures into :class:`consulate.exceptions.RequestError` subclasses."""

from __future__ import annotations

import re
import ssl

import requests
from urllib3 import exceptions as u3

from consulate import exceptions

__all__ = ['nothing_sent', 'transport_error']


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


def nothing_sent(error: BaseException) -> bool:
    """True when the request failed before any byte of it reached the agent."""
    cause = _cause(error)
    if isinstance(cause, u3.ProtocolError) and len(cause.args) > 1:
        cause = cause.args[1]
    # NewConnectionError and NameResolutionError are ConnectTimeoutErrors too.
    return isinstance(cause, (u3.ConnectTimeoutError, FileNotFoundError, ConnectionRefusedError))


def transport_error(error: BaseException, method: str, path: str) -> exceptions.RequestError:
    """Map a requests or urllib3 exception to the matching consulate exception."""
    where = f'{method} {path}'
    cause = _cause(error)
    reason = _reason(cause)
    if isinstance(cause, (u3.SSLError, ssl.SSLError, ssl.CertificateError)) or isinstance(
        error, requests.exceptions.SSLError
    ):
        return exceptions.TLSError(f'TLS failed on {where}: {reason}')
    if isinstance(cause, u3.NewConnectionError):
        return exceptions.ConnectError(f'cannot reach Consul for {where}: {reason}')
    if isinstance(cause, (u3.TimeoutError, TimeoutError)) or isinstance(
        error, requests.exceptions.Timeout
    ):
        return exceptions.RequestTimeout(f'timed out on {where}: {reason}')
    if isinstance(cause, u3.ProtocolError) and not str(cause.args[0]).startswith(
        'Connection aborted'
    ):
        # The connection broke in the middle of the answer.
        return exceptions.RequestError(f'request failed on {where}: {reason}')
    if isinstance(cause, (u3.ProtocolError, u3.ProxyError, u3.PoolError, OSError)) or isinstance(
        error, requests.exceptions.ConnectionError
    ):
        return exceptions.ConnectError(f'cannot reach Consul for {where}: {reason}')
    return exceptions.RequestError(f'request failed on {where}: {reason}')


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
