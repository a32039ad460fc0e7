"""The one path of every request: :meth:`Request.request`, and consulate 0.6.0's adapter names.

A call such as ``consul.kv['k']`` ends here, in :meth:`Request.request`,
whatever the endpoint and whether the answer is read whole or streamed. It
builds the target from the URI and query, adds the headers and the token,
applies the timeouts and the retry policy, hands one
:class:`~consulate.adapters.transport.WireRequest` to the agent's transport,
reads the answer, and maps an error status to its exception through the table
in :mod:`consulate.exceptions`. There is no other way to the network.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Mapping
from typing import IO, Any

import requests

from consulate import exceptions
from consulate._version import __version__
from consulate.adapters.polls import LongPoll
from consulate.adapters.response import Response
from consulate.adapters.session import RequestsTransport
from consulate.adapters.tls import check_client_key
from consulate.adapters.transport import READ_METHODS, RawResponse, Transport, WireRequest
from consulate.adapters.wire import encode_query, merge_headers, redact_path, split_uri
from consulate.config import DEFAULT_TIMEOUT, Config, Timeout, proxies_for

__all__ = [
    'DEFAULT_TIMEOUT',
    'MAX_BACKOFF',
    'READ_METHODS',
    'RETRY_STATUSES',
    'Request',
    'Timeout',
    'UnixSocketRequest',
]

LOGGER = logging.getLogger('consulate')

#: Statuses a read may be retried on: the leader is changing, a proxy failed,
#: or the agent is rate limiting.
RETRY_STATUSES = frozenset({429, 500, 502, 504})

#: The longest pause between two retries, in seconds.
MAX_BACKOFF = 5.0

_USER_AGENT = f'consulate/{__version__}'


class Request:
    """Send requests to Consul over HTTP, HTTPS or a UNIX socket, through requests.

    ``Consul`` builds one for each client and every endpoint shares it. Every
    request goes to one transport: a
    :class:`~consulate.adapters.session.RequestsTransport` over a
    :class:`requests.Session` (consulate's own, or the one given as
    ``session``), or a test double (see :mod:`consulate.adapters.transport`).

    :param timeout: seconds, or ``(connect, read)``; default :data:`DEFAULT_TIMEOUT`
    :param verify: ``True`` to verify the server certificate against the
        default CA bundle, a path to a CA bundle (or a directory of CA
        certificates), or ``False`` to turn verification off
    :param cert: a client certificate: a path to a PEM file holding both,
        or ``(cert_path, key_path)``
    :param retries: how often a request is retried when nothing of it was
        sent (the connection failed), and how often a read is retried on a
        429, 500, 502 or 504 or a broken connection (not a timeout); a write
        that may have been sent is never replayed
    :param tls_server_name: the name to check the server certificate against
        (and send as SNI) instead of the host in the URL
    :param pool_size: idle connections kept per agent for ordinary requests
        (default 32); long polls have their own connections
    :param config: the client's resolved settings (the CA bundle and proxy
        variables of its environment); read from :data:`os.environ` when left out
    :param transport: send everything through this transport instead of
        requests (a test double, see :class:`~consulate.adapters.transport.Transport`)
    :param session: send through this :class:`requests.Session` (its adapters,
        auth, hooks, proxies and retries) instead of one consulate builds
    """

    def __init__(
        self,
        timeout: Timeout | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        *,
        retries: int = 0,
        tls_server_name: str | None = None,
        pool_size: int | None = None,
        config: Config | None = None,
        transport: Transport | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if config is None:
            config = Config.build(
                verify=verify,
                cert=cert,
                timeout=timeout,
                retries=retries,
                pool_size=pool_size,
                tls_server_name=tls_server_name,
            )
        self.config = config
        self.timeout: Timeout = config.timeout if timeout is None else timeout
        self.retries = retries or config.retries
        self._transport: Transport = transport or _requests_transport(config, session)

    def __repr__(self) -> str:
        return f'<{type(self).__name__} timeout={self.timeout!r}>'

    @property
    def verify(self) -> bool | str:
        """What server certificates are checked against: True, False or a CA path."""
        return self.config.verify

    def close(self) -> None:
        """End the long polls in flight and close the pooled connections; the adapter stays usable."""
        self._transport.close()

    def long_poll(self) -> LongPoll:
        """A :class:`~consulate.adapters.polls.LongPoll` for a watcher, cache or lock monitor.

        Enter it around each long poll; its ``close()`` ends the one in flight.
        """
        make = getattr(self._transport, 'long_poll', None)
        return make() if make is not None else LongPoll()

    def get(self, uri: str, **kwargs: Any) -> Response:
        """Send a GET; see :meth:`request` for the keyword arguments."""
        return self.request('GET', uri, **kwargs)

    def put(self, uri: str, data: bytes | None = None, **kwargs: Any) -> Response:
        """Send a PUT; see :meth:`request` for the keyword arguments."""
        return self.request('PUT', uri, data=data, **kwargs)

    def post(self, uri: str, data: bytes | None = None, **kwargs: Any) -> Response:
        """Send a POST; see :meth:`request` for the keyword arguments."""
        return self.request('POST', uri, data=data, **kwargs)

    def delete(self, uri: str, **kwargs: Any) -> Response:
        """Send a DELETE; see :meth:`request` for the keyword arguments."""
        return self.request('DELETE', uri, **kwargs)

    def request(
        self,
        method: str,
        uri: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: bytes | IO[bytes] | None = None,
        token: str | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str | None] | None = None,
        timeout: Timeout | None = None,
        allow: frozenset[int] | None = None,
        stream: bool = False,
        long_poll: bool = False,
    ) -> Response:
        """Send one request and return the answer; raise the mapped exception for an error status.

        ``params`` are encoded as requests encodes them (``None`` values are
        left out, a list repeats its key).

        :param data: the body: bytes, or a binary file object (streamed)
        :param token: the ACL token, sent in the ``X-Consul-Token`` header
        :param allow: the error statuses to return; any other status of 400
            or more raises its exception. None (the default, as consulate 0.6's
            adapters did) returns every answer, whatever its status
        :param stream: read the body lazily, through :meth:`Response.iter_content`
        :param long_poll: the answer may take long (a blocking query, a stream):
            it is served on connections ordinary requests never wait for
        :raises consulate.exceptions.APIError: with ``allow``, a status of 400 or more not in it
        :raises consulate.exceptions.RequestError: no usable answer came back;
            ``maybe_applied`` tells a write that may have been applied
        """
        origin, target, path = split_uri(uri)
        path = redact_path(path)
        if params:
            query = encode_query(params)
            if query:
                target = f'{target}{"&" if "?" in target else "?"}{query}'
        send_headers = {'User-Agent': _USER_AGENT}
        if headers:
            merge_headers(send_headers, headers)
        if token:
            send_headers['X-Consul-Token'] = token
        if content_type:
            send_headers['Content-Type'] = content_type
        wire = WireRequest(
            method, origin, target, path, send_headers, data,
            _as_pair(timeout or self.timeout), stream, long_poll,
        )  # fmt: skip
        raw = self._send(wire)
        response = Response(raw.status, raw.content, raw.headers, method, path)
        if stream and raw.status < 400:
            response._raw = raw
        if LOGGER.isEnabledFor(logging.DEBUG):
            LOGGER.debug('%s %s -> %s', method, path, raw.status)
        if raw.status >= 400 and allow is not None and raw.status not in allow:
            response.raise_for_status()
        return response

    def _send(self, wire: WireRequest) -> RawResponse:
        """Send through the agent's transport, retrying only what :attr:`retries` allows."""
        transport = self._transport
        attempt = 0
        while True:
            try:
                raw = transport.send(wire)
                if wire.stream and raw.status >= 400:
                    raw = RawResponse(raw.status, raw.headers, b''.join(raw.iter_chunks()))
            except exceptions.RequestError as error:
                if attempt < self.retries and _may_retry(error, wire.method):
                    attempt = self._pause(attempt, None, wire.timeout)
                    continue
                error.maybe_applied = error.sent and wire.method not in READ_METHODS
                raise
            if (
                attempt < self.retries
                and raw.status in RETRY_STATUSES
                and wire.method in READ_METHODS
            ):
                raw.close()
                attempt = self._pause(attempt, raw.headers.get('Retry-After'), wire.timeout)
                continue
            return raw

    def _pause(self, attempt: int, retry_after: str | None, timeout: tuple[float, float]) -> int:
        """Sleep before the next attempt: honour Retry-After, else back off with jitter.

        ``Retry-After`` may be seconds or an HTTP date; the pause is capped by
        :data:`MAX_BACKOFF` and by the request's read timeout.
        """
        delay = retry_after_seconds(retry_after)
        if delay is None:
            delay = min(0.1 * 2**attempt, MAX_BACKOFF) * (0.5 + random.random() / 2)
        time.sleep(max(0.0, min(delay, MAX_BACKOFF, timeout[1])))
        return attempt + 1


class UnixSocketRequest(Request):
    """Send requests to Consul over a UNIX domain socket.

    URLs take the form ``http+unix://<percent-encoded socket path>/v1/...``;
    :class:`consulate.Consul` builds them when given ``scheme='http+unix'``
    (or ``CONSUL_HTTP_ADDR=unix:///path``). Any :class:`Request` sends to
    such URLs; this class is kept as the name consulate 0.6 gave it.
    """


def retry_after_seconds(value: str | None) -> float | None:
    """The pause a ``Retry-After`` header asks for: seconds, or until an HTTP date; None if neither."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):  # garbled: ignored
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _may_retry(error: exceptions.RequestError, method: str) -> bool:
    """Whether a failed attempt may be sent again: nothing of it was sent, or it was a read.

    A read whose connection broke is sent again; one that timed out is not,
    so that a call never takes more than one timeout. A write that may have
    been sent is never replayed: it may have been applied, and sending it
    again could apply it twice (a check-and-set, a transaction) or undo a
    newer write by someone else (a plain put or delete).
    """
    if isinstance(error, exceptions.Cancelled):
        return False
    if not error.sent:
        return True
    return method in READ_METHODS and not isinstance(error, exceptions.RequestTimeout)


def _requests_transport(config: Config, session: requests.Session | None) -> RequestsTransport:
    """The transport of a client: consulate's own session, or the caller's.

    :raises consulate.exceptions.ValidationError: ``session`` is not a
        :class:`requests.Session`, or the client key needs a passphrase
    """
    if session is not None and not isinstance(session, requests.Session):
        raise exceptions.ValidationError(
            f'session must be a requests.Session, not {type(session).__name__}'
        )
    check_client_key(config.cert)
    explicit = config.verify is not True or config.ca_bundle is not None or config.cert is not None
    return RequestsTransport(
        session=session,
        pool_size=config.pool_size,
        verify=config.verify,
        ca_bundle=config.ca_bundle,
        cert=config.cert,
        tls_server_name=config.tls_server_name,
        proxies=proxies_for(config),
        explicit_tls=explicit,
    )


def _as_pair(timeout: Timeout) -> tuple[float, float]:
    if isinstance(timeout, tuple):
        return timeout
    return (timeout, timeout)
