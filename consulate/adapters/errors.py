"""Turn requests and urllib3 failures into consulate exceptions.

Every message names the agent's address and the request (``cannot reach
Consul at 127.0.0.1:1 for GET /v1/kv/: Connection refused``), never the query
string or a token, and the original exception stays as ``__cause__``.
"""

from __future__ import annotations

import functools
import re
import ssl
from urllib.parse import unquote

import requests
from urllib3 import exceptions as u3

from consulate import exceptions
from consulate.adapters.wire import redact_text

__all__ = ['display_address', 'requests_error', 'scrub', 'stale_connection']


@functools.lru_cache(maxsize=64)
def display_address(origin: str) -> str:
    """How an origin is named in messages: ``host:port``, ``https://host:port``, ``unix:///path``."""
    scheme, _, rest = origin.partition('://')
    if scheme == 'http+unix':
        return f'unix://{unquote(rest)}'
    return rest if scheme == 'http' else origin


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
    if isinstance(
        cause, u3.NewConnectionError
    ):  # refused, unknown host (a ConnectTimeoutError too)
        return exceptions.ConnectError(f'cannot reach Consul at {address} for {where}: {reason}')
    if isinstance(cause, u3.ConnectTimeoutError):
        return exceptions.ConnectTimeout(f'timed out connecting for {where} at {address}')
    if _written_too_slowly(cause):
        return exceptions.RequestTimeout(f'timed out writing {where} to {address}', sent=True)
    if isinstance(cause, (u3.TimeoutError, TimeoutError)) or isinstance(
        error, requests.exceptions.Timeout
    ):
        return exceptions.RequestTimeout(
            f'timed out reading the answer to {where} from {address}', sent=sent
        )
    if not sent or isinstance(cause, (u3.ProxyError, u3.PoolError)):
        return exceptions.ConnectError(
            f'cannot reach Consul at {address} for {where}: {reason}', sent=sent
        )
    return exceptions.ConnectionBroken(
        f'the connection to {address} broke during {where}: {reason}', sent=sent
    )


def stale_connection(error: BaseException) -> bool:
    """Whether a request failed because the agent had closed its kept connection.

    The agent closed it (a restart, an idle timeout) as the request went out:
    the connection was reset, or closed before any byte of an answer.
    """
    cause = _cause(error)
    if isinstance(cause, u3.ProtocolError) and len(cause.args) > 1:
        cause = cause.args[1]
    # http.client's RemoteDisconnected (closed before any answer) is a ConnectionResetError.
    return isinstance(cause, (ConnectionResetError, BrokenPipeError))


def _written_too_slowly(cause: BaseException) -> bool:
    """A timeout while the request was written (urllib3 reports it as an aborted connection)."""
    return (
        isinstance(cause, u3.ProtocolError)
        and len(cause.args) > 1
        and isinstance(cause.args[1], TimeoutError)
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


def scrub(error: BaseException, seen: set[int]) -> None:
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
            scrub(nested, seen)
