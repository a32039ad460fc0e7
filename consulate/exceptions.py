"""Every exception consulate raises, and the one table that maps HTTP statuses to them.

The tree::

    ConsulateException
    ├── RequestError                 no usable response came back
    │   ├── ConnectError             could not connect (refused, no socket, DNS)
    │   │   ├── TLSError             the TLS handshake or certificate check failed
    │   │   └── ConnectTimeout       the connect timeout expired (also a RequestTimeout)
    │   ├── ConnectionBroken         the connection broke after the request was sent
    │   │   └── Cancelled            close() of its client, watch or cache ended it
    │   ├── RequestTimeout           a connect, write or read timeout expired
    │   └── InvalidResponse          a response came back but cannot be decoded
    ├── APIError                     Consul answered with a status >= 400
    │   ├── ClientError              4xx
    │   │   ├── BadRequest           400
    │   │   ├── ACLDisabled          401 (ACL support disabled on the agent)
    │   │   ├── Forbidden            403 (missing, unknown or under-privileged token)
    │   │   ├── NotFound             404
    │   │   │   ├── KeyNotFound      a KV key is missing (also a KeyError)
    │   │   │   └── UnsupportedEndpoint  the agent has no such route (too old, or OSS)
    │   │   ├── MethodNotAllowed     405
    │   │   ├── Conflict             409
    │   │   │   └── TransactionFailed    a transaction was rolled back
    │   │   ├── PayloadTooLarge      413
    │   │   └── TooManyRequests      429
    │   └── ServerError              5xx
    ├── ValidationError              bad input, refused before any request (also a ValueError)
    │   └── ValueTooLarge            a KV value over Consul's size limit
    ├── LockFailure                  a lock could not be acquired or was lost
    ├── LockConflict                 a lock or semaphore key is laid out for another use
    └── BatchFailed                  one of several transactions failed (the cause is chained)

:class:`RequestError` subclasses keep the transport exception as ``__cause__``.
Messages name the method and the URL path, never the query string and never
the ACL token.

The transport failures are also requests' own exceptions, as consulate 0.6.0
let them out of every call, so ``except requests.exceptions.ConnectionError``
(or ``Timeout``, or ``RequestException``) written for it still catches them:
every :class:`RequestError` is a :class:`requests.RequestException`;
:class:`ConnectError` and :class:`ConnectionBroken` are
:class:`requests.ConnectionError`; :class:`TLSError` is
:class:`requests.exceptions.SSLError`; :class:`RequestTimeout` is
:class:`requests.Timeout`; :class:`ConnectTimeout` is
:class:`requests.ConnectTimeout`. This module imports only
:mod:`requests.exceptions` for that; nothing else of requests is used outside
:mod:`consulate.adapters`. requests' exceptions subclass :class:`OSError`, and
so do these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests.exceptions as _requests

__all__ = [
    'ACLDisabled',
    'APIError',
    'BadRequest',
    'BatchFailed',
    'Cancelled',
    'ClientError',
    'Conflict',
    'ConnectError',
    'ConnectTimeout',
    'ConnectionBroken',
    'ConsulateException',
    'Forbidden',
    'InvalidResponse',
    'KeyNotFound',
    'LockConflict',
    'LockFailure',
    'MethodNotAllowed',
    'NotFound',
    'PayloadTooLarge',
    'RequestError',
    'RequestTimeout',
    'ServerError',
    'TLSError',
    'TooManyRequests',
    'TransactionFailed',
    'UnsupportedEndpoint',
    'ValidationError',
    'ValueTooLarge',
    'error_for',
    'raise_for_status',
]


class ConsulateException(Exception):
    """The root of every exception consulate raises on purpose."""


class RequestError(ConsulateException, _requests.RequestException):
    """The request got no usable answer: connection, TLS, timeout or protocol failure.

    :ivar sent: False when no byte of the request can have reached the agent
        (the connection was never made); True when it may have
    :ivar maybe_applied: True when the request was a write that may have been
        applied although no usable answer came back (it was sent, then the
        connection broke or timed out, or the answer was not Consul's: a
        proxy's page, a body of the wrong shape): read the state again before
        repeating it. A write that raised with ``maybe_applied`` False was
        certainly not applied. consulate never replays such a write itself.
    """

    #: The default of :attr:`sent` for this class.
    default_sent = True

    def __init__(self, *args: object, sent: bool | None = None) -> None:
        super().__init__(*args)
        self.sent = self.default_sent if sent is None else sent
        self.maybe_applied = False

    def __str__(self) -> str:
        text = super().__str__()
        if self.maybe_applied:
            text += ' (the write may have been applied)'
        return text


class ConnectError(RequestError, _requests.ConnectionError):
    """The connection to the agent could not be made (refused, no socket, unknown host)."""

    default_sent = False


class TLSError(ConnectError, _requests.SSLError):
    """The TLS handshake failed, most often because the certificate did not verify."""


class ConnectionBroken(RequestError, _requests.ConnectionError):
    """The connection broke after the request was sent, before its whole answer came back."""


class Cancelled(ConnectionBroken):
    """The request was a long poll, ended by ``close()`` of the client, watch, cache or lock that sent it."""


class RequestTimeout(RequestError, _requests.Timeout):
    """A timeout expired: connecting, writing the request, or waiting for the answer."""


class ConnectTimeout(RequestTimeout, ConnectError, _requests.ConnectTimeout):
    """The connect timeout expired: nothing was sent."""

    default_sent = False


class InvalidResponse(RequestError):
    """The agent (or something in front of it) answered with a body that is not Consul's.

    The body cannot be decoded, or it has the wrong shape (``null``, a list
    where an object belongs, a missing field, an HTML page where Consul sends
    ``true``). The message names the request and what was wrong, never the
    body's content. After a write, :attr:`maybe_applied` is True.
    """


class APIError(ConsulateException):
    """Consul answered with an error status.

    :ivar status_code: the HTTP status
    :ivar method: the HTTP method of the request
    :ivar path: the URL path of the request, without the query string
    :ivar message: Consul's error text (the response body, decoded)
    :ivar response: the answer (headers included), when the error came from one
    """

    #: The advice appended to the message, where there is one to give.
    hint = ''

    def __init__(self, status_code: int, method: str, path: str, message: str) -> None:
        super().__init__(status_code, method, path, message)
        self.status_code = status_code
        self.method = method
        self.path = path
        self.message = message
        #: The :class:`consulate.adapters.Response` that carried the error, when there was one.
        self.response: Any = None

    def __str__(self) -> str:
        text = f'{self.status_code} on {self.method} {self.path}'
        if self.message:
            text += f': {self.message}'
        if self.hint:
            text += f' — {self.hint}'
        return text


class ClientError(APIError):
    """Consul refused the request (a 4xx status)."""


class BadRequest(ClientError):
    """400: a parameter or the body was not accepted."""


class ACLDisabled(ClientError):
    """401: the agent does not have ACLs enabled."""

    hint = 'this agent runs without ACLs'


class Forbidden(ClientError):
    """403: the token is missing, unknown, or lacks the rights for this request."""

    hint = 'check the token and its policy'


class NotFound(ClientError):
    """404: the resource does not exist."""


class KeyNotFound(NotFound, KeyError, AttributeError):
    """A KV key does not exist.

    It is a :class:`KeyError`, as consulate 0.6.0's API documents, and also an
    :class:`AttributeError`, which its usage example catches.
    """

    def __str__(self) -> str:
        return APIError.__str__(self)


class UnsupportedEndpoint(NotFound):
    """The agent has no such route: it is older than the endpoint, or it is Consul OSS."""

    hint = 'this Consul agent does not have this endpoint (too old, or Enterprise only)'


class MethodNotAllowed(ClientError):
    """405: the route exists but not for this method."""


class Conflict(ClientError):
    """409: the request conflicts with the current state."""


class TransactionFailed(Conflict):
    """A transaction was rolled back; nothing in it was applied.

    :ivar errors: a list of ``(op_index, reason)`` pairs, one per failed operation
    """

    def __init__(
        self,
        status_code: int,
        method: str,
        path: str,
        message: str,
        errors: Sequence[tuple[int, str]] = (),
    ) -> None:
        super().__init__(status_code, method, path, message)
        self.errors = list(errors)

    def __str__(self) -> str:
        if not self.errors:
            return super().__str__()
        failed = '; '.join(f'operation {index}: {what}' for index, what in self.errors)
        return f'transaction rolled back ({failed})'


class PayloadTooLarge(ClientError):
    """413: the body, a value or the number of transaction operations is over Consul's limit."""


class TooManyRequests(ClientError):
    """429: the agent is rate limiting this client."""


class ServerError(APIError):
    """5xx: Consul failed to serve the request (no leader, RPC error, invalid setting...)."""


class ValidationError(ConsulateException, ValueError):
    """The arguments were refused before anything was sent to Consul."""


class ValueTooLarge(ValidationError):
    """A KV value is larger than Consul accepts (512 KiB by default)."""


class LockFailure(ConsulateException):
    """A lock could not be acquired within the time allowed, or it was lost."""


class LockConflict(ConsulateException):
    """A lock or semaphore key exists in a form this use cannot share.

    The key holds other flags (a plain lock where a semaphore is asked for, or
    the reverse), or a semaphore stores another limit than the one asked for.
    Nothing was changed. Unlike :class:`LockFailure` it is not a busy lock:
    waiting does not help, the callers disagree on how the key is used.
    """


class BatchFailed(ConsulateException):
    """A write split into several atomic transactions stopped at a failed one.

    Each transaction is atomic, the whole write is not: the batches before the
    failed one were applied. The error from Consul (or the transport) is
    :attr:`cause` and also ``__cause__``.

    :ivar written: the keys (or ``node:``/``service:``/``check:`` names) applied
    :ivar unwritten: the keys certainly not applied
    :ivar uncertain: the keys of the failed batch when its outcome is unknown
        (a timeout, a dropped connection or a 5xx after it was sent); else empty
    :ivar cause: the exception that stopped the write
    """

    def __init__(
        self,
        written: Sequence[str],
        unwritten: Sequence[str],
        uncertain: Sequence[str],
        cause: BaseException,
    ) -> None:
        super().__init__(list(written), list(unwritten), list(uncertain), cause)
        self.written = list(written)
        self.unwritten = list(unwritten)
        self.uncertain = list(uncertain)
        self.cause = cause

    def __str__(self) -> str:
        text = (
            f'batch write stopped after {len(self.written)} keys were written; '
            f'{len(self.unwritten)} were not'
        )
        if self.uncertain:
            text += f', {len(self.uncertain)} may have been'
        return f'{text}: {self.cause}'


#: The one status -> exception table. Statuses not listed fall back to
#: :class:`ClientError` (4xx) or :class:`ServerError` (5xx).
STATUS_EXCEPTIONS: Mapping[int, type[APIError]] = {
    400: BadRequest,
    401: ACLDisabled,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    429: TooManyRequests,
}


def exception_for(status_code: int) -> type[APIError]:
    """Return the exception class for an HTTP error status."""
    try:
        return STATUS_EXCEPTIONS[status_code]
    except KeyError:
        return ClientError if status_code < 500 else ServerError


def error_for(status_code: int, method: str, path: str, body: bytes) -> APIError:
    """The exception an error status maps to, with Consul's message decoded as text."""
    message = body.decode('utf-8', 'replace').strip()
    return exception_for(status_code)(status_code, method, path, message)


def raise_for_status(status_code: int, method: str, path: str, body: bytes) -> None:
    """Raise the mapped exception when ``status_code`` is 400 or more."""
    if status_code >= 400:
        raise error_for(status_code, method, path, body)
