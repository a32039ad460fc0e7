"""Send requests: :class:`Request` (HTTP, HTTPS) and :class:`UnixSocketRequest`."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.utils
import urllib3
from urllib3 import exceptions as u3

from consulate import exceptions
from consulate.adapters.errors import nothing_sent, transport_error
from consulate.adapters.response import Response
from consulate.adapters.tls import ServerNameAdapter, resolve_verify
from consulate.adapters.wire import encode_query, merge_headers, redact_path, split_uri

__all__ = [
    'DEFAULT_TIMEOUT',
    'MAX_BACKOFF',
    'RETRY_STATUSES',
    'Request',
    'Timeout',
    'UnixSocketRequest',
]

LOGGER = logging.getLogger('consulate')

#: A timeout in seconds: one number for both phases, or ``(connect, read)``.
Timeout = float | tuple[float, float]

#: Connect and read timeouts, in seconds, used when none is given.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)

#: Statuses a read may be retried on: the leader is changing, a proxy failed,
#: or the agent is rate limiting.
RETRY_STATUSES = frozenset({429, 500, 502, 504})

#: The longest pause between two retries, in seconds.
MAX_BACKOFF = 5.0

_READ_METHODS = frozenset({'GET', 'HEAD'})


class Request:
    """Send requests to Consul over HTTP or HTTPS, through one keep-alive pool.

    The hot path is short: the connection pool, TLS settings, proxy and
    default headers of each Consul address are looked up once (on its first
    request) from the :attr:`session` and its mounted transport adapter, and
    every request then goes straight to that pool. Environment proxies and the
    CA bundle named by ``REQUESTS_CA_BUNDLE`` are still honoured, resolved once
    per client rather than on every call; responses are asked for without
    compression, which only costs CPU for Consul's small bodies.

    :param timeout: seconds, or ``(connect, read)``; default :data:`DEFAULT_TIMEOUT`
    :param verify: ``True`` to verify the server certificate against the
        default CA bundle, a path to a CA bundle (or a directory of CA
        certificates), or ``False`` to turn verification off
    :param cert: a client certificate: a path to a PEM file holding both,
        or ``(cert_path, key_path)``
    :param retries: how often a request is retried when nothing was sent
        (the connection failed), and how often a read is retried on a
        429, 500, 502 or 504; writes are never replayed
    :param tls_server_name: the name to check the server certificate against
        (and send as SNI) instead of the host in the URL
    """

    def __init__(
        self,
        timeout: Timeout | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        *,
        retries: int = 0,
        tls_server_name: str | None = None,
    ) -> None:
        self.timeout: Timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.retries = retries
        self.session = self._new_session()
        # Environment settings (proxies, the CA bundle) are resolved once per
        # host instead of on every request, which is what requests does when
        # trust_env is on and which costs more than the request itself.
        self.session.trust_env = False
        self.session.headers.update({'User-Agent': _user_agent(), 'Accept-Encoding': 'identity'})
        self.session.verify = resolve_verify(verify)
        self.session.cert = cert
        if tls_server_name:
            self.session.mount('https://', ServerNameAdapter(tls_server_name))
        self._proxies: dict[str, dict[str, str]] = {}
        self._routes: dict[str, _Route] = {}
        # The last timeout converted, with its urllib3 form: one tuple, so a
        # thread never pairs one timeout with another's conversion.
        self._last_timeout: tuple[Timeout | None, urllib3.Timeout] = (None, urllib3.Timeout())

    def __repr__(self) -> str:
        return f'<{type(self).__name__} timeout={self.timeout!r}>'

    def _new_session(self) -> requests.Session:
        return requests.Session()

    def close(self) -> None:
        """Close the pooled connections."""
        self._routes.clear()
        self.session.close()

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
        data: bytes | None = None,
        token: str | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> Response:
        """Send one request and return the whole answer, whatever its status.

        ``params`` are encoded as requests encodes them (``None`` values are
        left out, a list repeats its key).

        :param token: the ACL token, sent in the ``X-Consul-Token`` header
        :raises consulate.exceptions.RequestError: no usable answer came back
        """
        origin, target, path = split_uri(uri)
        path = redact_path(path)
        if params:
            query = encode_query(params)
            if query:
                target = f'{target}{"&" if "?" in target else "?"}{query}'
        route = self._routes.get(origin) or self._route(origin, method, path)
        send_headers = route.headers.copy()
        if headers:
            merge_headers(send_headers, headers)
        if token:
            send_headers['X-Consul-Token'] = token
        if content_type:
            send_headers['Content-Type'] = content_type
        raw = self._urlopen(route, method, target, path, data, send_headers, timeout)
        if LOGGER.isEnabledFor(logging.DEBUG):
            LOGGER.debug('%s %s -> %s', method, path, raw.status)
        return Response(raw.status, raw.data, raw.headers, method, path)

    def _urlopen(
        self,
        route: _Route,
        method: str,
        target: str,
        path: str,
        data: bytes | None,
        headers: dict[str, str],
        timeout: Timeout | None,
    ) -> urllib3.BaseHTTPResponse:
        """Send through the route's pool, retrying only what :attr:`retries` allows."""
        timeout_value = self._urllib3_timeout(timeout or self.timeout)
        attempt, refreshed = 0, False
        while True:
            try:
                raw = route.pool.urlopen(
                    method,
                    route.prefix + target,
                    body=data,
                    headers=headers,
                    retries=_NO_RETRIES,
                    redirect=False,
                    assert_same_host=False,
                    timeout=timeout_value,
                    preload_content=True,
                    decode_content=True,
                )
            except u3.ClosedPoolError as error:
                # The pool manager dropped this pool (too many hosts, or
                # close()); nothing was sent, so fetch a fresh pool, once.
                if refreshed:
                    raise transport_error(error, method, path) from error
                route, refreshed = self._route(route.origin, method, path), True
                continue
            except (u3.HTTPError, OSError) as error:
                if attempt < self.retries and nothing_sent(error):
                    attempt = self._pause(attempt, None)
                    continue
                raise transport_error(error, method, path) from error
            if attempt < self.retries and raw.status in RETRY_STATUSES and method in _READ_METHODS:
                attempt = self._pause(attempt, raw.headers.get('Retry-After'))
                continue
            return raw

    def _urllib3_timeout(self, timeout: Timeout) -> urllib3.Timeout:
        """The urllib3 form of a timeout; the last one is kept, as it is nearly always the same."""
        last, converted = self._last_timeout
        if timeout is last:
            return converted
        if isinstance(timeout, tuple):
            connect, read = timeout
            value = urllib3.Timeout(connect=connect, read=read)
        else:
            value = urllib3.Timeout(connect=timeout, read=timeout)
        self._last_timeout = (timeout, value)
        return value

    def _route(self, origin: str, method: str, path: str) -> _Route:
        """Look up (once) the pool, proxy and headers of ``origin`` the way requests would."""
        proxies = self._proxies_for(origin)
        verify, cert = self.session.verify, self.session.cert
        try:
            prepared = requests.Request('GET', f'{origin}/').prepare()
            url = prepared.url or f'{origin}/'
            adapter = self.session.get_adapter(url)
            if not isinstance(adapter, requests.adapters.HTTPAdapter):
                raise exceptions.RequestError(f'no HTTP transport for {method} {path}')
            pool = cast(
                urllib3.HTTPConnectionPool,
                adapter.get_connection_with_tls_context(prepared, verify, proxies, cert),
            )
            absolute = adapter.request_url(prepared, proxies) != prepared.path_url
        except (u3.HTTPError, OSError, ValueError) as error:  # requests' errors are OSErrors
            raise transport_error(error, method, path) from error
        try:
            adapter.cert_verify(pool, url, verify, cert)  # type: ignore[no-untyped-call]
        except OSError as error:  # a CA bundle or client certificate file is missing
            raise exceptions.TLSError(f'TLS failed on {method} {path}: {error}') from error
        headers = {
            name: value if isinstance(value, str) else value.decode('latin-1')
            for name, value in self.session.headers.items()
            if value
        }
        route = _Route(origin, pool, origin if absolute else '', headers)
        self._routes[origin] = route
        return route

    def stream(
        self,
        method: str,
        uri: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        token: str | None = None,
        content_type: str | None = None,
        timeout: Timeout | None = None,
        chunk_size: int = 1 << 16,
    ) -> tuple[Response, Iterator[bytes]]:
        """Send one request and stream the answer's body instead of reading it whole.

        The returned :class:`Response` has an empty :attr:`~Response.content`
        when the status is below 400 (the body comes from the iterator), and
        the whole error text otherwise. ``data`` may be bytes or a file object.
        """
        raw = self._send(method, uri, params, data, token, content_type, None, timeout, stream=True)
        path = redact_path(urlsplit(uri).path)
        if raw.status_code >= 400:
            return Response(raw.status_code, raw.content, raw.headers, method, path), iter(())
        response = Response(raw.status_code, b'', raw.headers, method, path)
        return response, self._iter_body(raw, method, path, chunk_size)

    def _iter_body(
        self, raw: requests.Response, method: str, path: str, chunk_size: int
    ) -> Iterator[bytes]:
        try:
            yield from raw.iter_content(chunk_size)
        except requests.RequestException as error:
            raise transport_error(error, method, path) from error
        finally:
            raw.close()

    def _send(
        self,
        method: str,
        uri: str,
        params: Mapping[str, Any] | None,
        data: Any,
        token: str | None,
        content_type: str | None,
        extra_headers: Mapping[str, str] | None,
        timeout: Timeout | None,
        stream: bool = False,
    ) -> requests.Response:
        """Send through :attr:`session` itself: the path of streamed requests and file bodies."""
        headers: dict[str, str] = dict(extra_headers) if extra_headers else {}
        if token:
            headers['X-Consul-Token'] = token
        if content_type:
            headers['Content-Type'] = content_type
        proxies = self._proxies_for(uri)
        attempt = 0
        while True:
            try:
                raw = self.session.request(
                    method,
                    uri,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=timeout or self.timeout,
                    proxies=proxies,
                    allow_redirects=False,
                    stream=stream,
                )
            except (requests.RequestException, OSError) as error:
                if attempt < self.retries and nothing_sent(error):
                    attempt = self._pause(attempt, None)
                    continue
                raise transport_error(error, method, redact_path(urlsplit(uri).path)) from error
            if (
                attempt < self.retries
                and raw.status_code in RETRY_STATUSES
                and method in _READ_METHODS
            ):
                raw.close()
                attempt = self._pause(attempt, raw.headers.get('Retry-After'))
                continue
            return raw

    def _pause(self, attempt: int, retry_after: str | None) -> int:
        """Sleep before the next attempt: honour Retry-After, else back off with jitter."""
        if retry_after and retry_after.isdigit():
            delay = min(float(retry_after), MAX_BACKOFF)
        else:
            delay = min(0.1 * 2**attempt, MAX_BACKOFF) * (0.5 + random.random() / 2)
        time.sleep(delay)
        return attempt + 1

    def _proxies_for(self, uri: str) -> dict[str, str]:
        """The proxies the environment asks for this URL's host, looked up once per host."""
        parts = urlsplit(uri)
        origin = f'{parts.scheme}://{parts.netloc}'
        proxies = self._proxies.get(origin)
        if proxies is None:
            proxies = self._environ_proxies(origin)
            self._proxies[origin] = proxies
        return proxies

    def _environ_proxies(self, origin: str) -> dict[str, str]:
        return dict(requests.utils.get_environ_proxies(origin))


class _Route:
    """Where the requests to one Consul address go, looked up on its first request.

    ``prefix`` is the origin when the request line must carry the whole URL
    (plain HTTP through a proxy), else empty; ``headers`` are the session's
    default headers.
    """

    __slots__ = ('headers', 'origin', 'pool', 'prefix')

    def __init__(
        self,
        origin: str,
        pool: urllib3.HTTPConnectionPool,
        prefix: str,
        headers: dict[str, str],
    ) -> None:
        self.origin = origin
        self.pool = pool
        self.prefix = prefix
        self.headers = headers


#: No retries inside urllib3 (the adapter does its own), as requests sends.
_NO_RETRIES = urllib3.Retry(0, read=False)


class UnixSocketRequest(Request):
    """Send requests to Consul over a UNIX domain socket.

    URLs take the form ``http+unix://<percent-encoded socket path>/v1/...``;
    :class:`consulate.Consul` builds them when given ``scheme='http+unix'``
    (or ``CONSUL_HTTP_ADDR=unix:///path``).
    """

    def _new_session(self) -> requests.Session:
        import requests_unixsocket

        from consulate.adapters.unix import PooledUnixAdapter

        session: requests.Session = requests_unixsocket.Session()
        session.mount('http+unix://', PooledUnixAdapter())
        return session

    def _environ_proxies(self, origin: str) -> dict[str, str]:
        return {}


def _user_agent() -> str:
    from consulate._version import __version__

    return f'consulate/{__version__}'
